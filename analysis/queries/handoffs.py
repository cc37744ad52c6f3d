"""Event-level queries of the handover-of-work analysis (Ibis expressions over the engine's tables).

Moved here from :mod:`mapper.engine`, which keeps only the event-table primitives. Every function takes
Ibis tables and returns an Ibis expression; only compact results are executed into pandas.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from mapper.columns import ACTIVITY, CASE_ID, RESOURCE, ROLE, ROW_NR, SOURCE_SYSTEM
from mapper.engine import P90, hours, non_negative
from mapper.log import EventLog

#: The event-table column holding the performer at each handover level.
LEVEL_COLUMNS = {"resource": RESOURCE, "role": ROLE, "system": SOURCE_SYSTEM}


def handover_table(log: EventLog, level: Literal["resource", "role", "system"]) -> ir.Table:
    """The handovers of ``log`` at ``level`` (:func:`handovers`), materialised once per log and level."""
    tables = log.tables()
    return tables.materialise(f"handovers_{level}", handovers(tables.ordered, level))


def handovers(o: ir.Table, level: Literal["resource", "role", "system"]) -> ir.Table:
    """Handover-of-work events: consecutive events of a case done by different resources (roles, systems).

    Following van der Aalst, Reijers & Song (2005), a handover occurs when an event is directly
    followed, in its case, by an event of another performer. Events whose performer is unknown break
    the chain: no handover is counted from or to them.

    Returns
    -------
    ibis Table
        One row per handover: ``case_id``, ``source``, ``target`` (performers), ``source_activity``,
        ``activity`` (the receiving activity), ``delay_us`` (from the completion of the previous event
        to the start, or completion when no start is known, of the receiving event), ``pos``,
        ``repeat`` (bool: the receiving activity was done before in the case), and ``ping_pong``
        (bool): the next handover in the same case goes straight back (target -> source) and the work
        is redone: the return lands on an activity already done in the case, or the handover after it
        sends the case to the same target again for an activity it already did (A -> B -> A -> B).
        A plain return of a case to its sender for new work (intake -> check -> intake system) is not
        a ping-pong.
    """
    col = LEVEL_COLUMNS[level]
    prev = f"prev_{col}"
    h = o.filter(o[col].notnull() & o[prev].notnull() & (o[col] != o[prev]))
    begin = h.start_us.coalesce(h.t_us)
    h = h.select(
        CASE_ID,
        source=h[prev],
        target=h[col],
        source_activity=h.prev_activity,
        activity=h[ACTIVITY],
        delay_us=non_negative(begin - h.prev_t_us),
        pos=h.pos,
        repeat=h.occurrence > 0,
    )
    w = ibis.window(group_by=h[CASE_ID], order_by=h.pos)
    src1, tgt1, rep1 = h.source.lead(1).over(w), h.target.lead(1).over(w), h.repeat.lead(1).over(w)
    src2, tgt2, rep2 = h.source.lead(2).over(w), h.target.lead(2).over(w), h.repeat.lead(2).over(w)
    back = (src1 == h.target) & (tgt1 == h.source)
    resent = (src2 == h.source) & (tgt2 == h.target) & rep2
    return h.mutate(ping_pong=(back & (rep1 | resent.fill_null(False))).fill_null(False))


def handover_pairs(h: ir.Table) -> ir.Table:
    """Aggregate handovers per (source, target) pair.

    Returns
    -------
    ibis Table
        ``source``, ``target``, ``count`` (int64), ``cases`` (int64), ``delay_hours_median``,
        ``delay_hours_p90`` (float), ``ping_pong_cases`` (int64: cases in which a handover from source to
        target was a ping-pong as defined in :func:`handovers`: answered straight back, with the work
        redone).
    """
    return h.group_by(["source", "target"]).aggregate(
        count=h.count(),
        cases=h[CASE_ID].nunique(),
        delay_hours_median=hours(h.delay_us).median(),
        delay_hours_p90=hours(h.delay_us).quantile(P90),
        ping_pong_cases=h[CASE_ID].nunique(where=h.ping_pong),
    )


def activity_handoffs(o: ir.Table, h: ir.Table, level: Literal["resource", "role", "system"]) -> ir.Table:
    """Per activity: how often work changes hands around it, and its part in ping-pong.

    Parameters
    ----------
    o : ibis Table
        The ordered events (:func:`order_events`).
    h : ibis Table
        The handovers at ``level`` (:func:`handovers`).

    Returns
    -------
    ibis Table
        ``activity``, ``events`` (int64), ``handoff_events`` (int64: occurrences received from, or
        handed to, another performer), ``handoffs_in`` (int64), ``ping_pong_cases`` (int64: cases in
        which the activity receives either leg of a ping-pong), ``delay_hours_median_in`` (float).
    """
    col = LEVEL_COLUMNS[level]
    w = ibis.window(group_by=o[CASE_ID], order_by=[o.t_us, o[ROW_NR]])
    nxt = o[col].lead().over(w)
    prv = o[col].lag().over(w)
    marked = o.mutate(
        touches=(
            (o[col].notnull() & prv.notnull() & (prv != o[col]))
            | (o[col].notnull() & nxt.notnull() & (nxt != o[col]))
        ).fill_null(False)
    )
    per_act = marked.group_by(ACTIVITY).aggregate(
        events=marked.count(), handoff_events=marked.touches.cast("int64").sum()
    )
    wh = ibis.window(group_by=h[CASE_ID], order_by=h.pos)
    hh = h.mutate(involved=(h.ping_pong | h.ping_pong.lag().over(wh).fill_null(False)))
    inbound = hh.group_by(ACTIVITY).aggregate(
        handoffs_in=hh.count(),
        ping_pong_cases=hh[CASE_ID].nunique(where=hh.involved),
        delay_hours_median_in=hours(hh.delay_us).median(),
    )
    j = per_act.left_join(inbound, ACTIVITY)
    return j.select(
        ACTIVITY,
        "events",
        "handoff_events",
        handoffs_in=j.handoffs_in.fill_null(0),
        ping_pong_cases=j.ping_pong_cases.fill_null(0),
        delay_hours_median_in=j.delay_hours_median_in,
    )


def handover_activity_flows(h: ir.Table) -> ir.Table:
    """Handovers per (source, target, receiving activity).

    Returns
    -------
    ibis Table
        ``source``, ``target``, ``activity`` (str), ``count`` (int64), ``delay_hours_p90`` (float).
    """
    return h.group_by(["source", "target", ACTIVITY]).aggregate(
        count=h.count(), delay_hours_p90=hours(h.delay_us).quantile(P90)
    )
