"""Event-level queries of the before/after comparison (Ibis expressions over the engine's tables).

The statistics of :mod:`analysis.compare` resample **periods** of case starts (a block bootstrap), so
they need values and sums per period, not only totals. These queries return them as compact numeric
tables:

* sums per period (and per activity and period), over every case: counts, rework, events;
* values (cycle times, waits, processing times) with the start of their case, capped per group by a
  **deterministic sample**: the rows of a group are ordered by the DuckDB hash of their case id (then
  the case id and the position in the case, so that equal hashes still order the same way) and the
  first ``cap`` are kept. The hash does not depend on the values measured, so the sample is as good as
  a random one, and the same log always gives the same sample.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from analysis.queries.handoffs import handover_table
from mapper.columns import ACTIVITY, CASE_ID
from mapper.engine import hours
from mapper.log import EventLog


def case_measures(o: ir.Table) -> ir.Table:
    """One row per case with the values the process-level comparison reads.

    Parameters
    ----------
    o : ibis Table
        The ordered events (:func:`mapper.engine.order_events`).

    Returns
    -------
    ibis Table
        ``case_id`` (str), ``start_us`` (int64, first start, or completion when no start is known),
        ``end_us`` (int64, last completion), ``cycle_hours`` (float), ``waiting_hours`` (float, the sum
        of the waits before the case's events, 0 for a one-event case), ``events`` (int64),
        ``rework`` (bool: some activity occurs more than once in the case), ``last_activity`` (str).
    """
    begin = o.start_us.coalesce(o.t_us)
    c = o.group_by(CASE_ID).aggregate(
        start_us=begin.min(),
        end_us=o.t_us.max(),
        waiting_us=o.wait_us.sum(),
        events=o.count(),
        rework=o.occurrence.max() > 0,
        last_activity=o[ACTIVITY].argmax(o.pos),
    )
    return c.select(
        CASE_ID,
        "start_us",
        "end_us",
        cycle_hours=hours(c.end_us - c.start_us),
        waiting_hours=hours(c.waiting_us).fill_null(0.0),
        events=c.events,
        rework=c.rework,
        last_activity=c.last_activity,
    )


def case_table(log: EventLog) -> ir.Table:
    """:func:`case_measures` of ``log``, materialised once per log."""
    tables = log.tables()
    return tables.materialise("compare_cases", case_measures(tables.ordered))


def case_starts(c: ir.Table) -> ir.Table:
    """A single row: ``cases`` (int64), ``first_start_us``, ``last_start_us``, ``median_start_us``
    (int64, the first, last and median case start)."""
    return c.aggregate(
        cases=c.count(),
        first_start_us=c.start_us.min(),
        last_start_us=c.start_us.max(),
        median_start_us=c.start_us.quantile(0.5).cast("int64"),
    )


def case_ends(c: ir.Table) -> ir.Table:
    """Per last activity: ``last_activity`` (str), ``cases`` (int64, cases that end with it)."""
    return c.group_by("last_activity").aggregate(cases=c.count())


def activity_cases(o: ir.Table) -> ir.Table:
    """Per activity: ``activity`` (str), ``events`` (int64), ``cases`` (int64, cases containing it)."""
    return o.group_by(ACTIVITY).aggregate(events=o.count(), cases=o[CASE_ID].nunique())


def _period(start_us: ir.IntegerValue, origin_us: int, period_us: int) -> ir.IntegerValue:
    return ((start_us - origin_us) / period_us).floor().cast("int64")


def ping_pong_flags(log: EventLog, level: Literal["resource", "role"]) -> ir.Table:
    """The cases of ``log`` with at least one ping-pong at ``level`` (the definition of
    :func:`analysis.queries.handoffs.handovers`): ``case_id`` (str), one row per such case."""
    h = handover_table(log, level)
    return h.filter(h.ping_pong).select(CASE_ID).distinct()


def case_periods(c: ir.Table, pings: ir.Table | None, origin_us: int, period_us: int) -> ir.Table:
    """Sums per (last activity, period of the case start), for proportions and means.

    Grouping by the last activity lets the caller keep only the closed cases (those ending with an end
    activity) without another pass over the events.

    Parameters
    ----------
    c : ibis Table
        :func:`case_measures`.
    pings : ibis Table or None
        :func:`ping_pong_flags`, or None when ping-pong is not measured (the count is then 0).
    origin_us, period_us : int
        Period ``k`` holds the cases that start in ``[origin + k * period, origin + (k + 1) * period)``.

    Returns
    -------
    ibis Table
        ``last_activity`` (str), ``period`` (int64), ``cases``, ``rework_cases``, ``ping_pong_cases``,
        ``events_sum``, ``events_sq_sum`` (int64, the sum of the squared event counts of the cases).
    """
    if pings is not None:
        flagged = pings.select(pp_case=pings[CASE_ID], pp=ibis.literal(True))
        c = c.left_join(flagged, c[CASE_ID] == flagged.pp_case)
        pp = c.pp.fill_null(False)
    else:
        pp = ibis.literal(False)
    c = c.mutate(pp_flag=pp, period=_period(c.start_us, origin_us, period_us))
    return c.group_by(["last_activity", "period"]).aggregate(
        cases=c.count(),
        rework_cases=c.rework.cast("int64").sum(),
        ping_pong_cases=c.pp_flag.cast("int64").sum(),
        events_sum=c.events.sum(),
        events_sq_sum=(c.events * c.events).sum(),
    )


def activity_periods(o: ir.Table, c: ir.Table, origin_us: int, period_us: int) -> ir.Table:
    """Per activity and period of the case start: volume and rework.

    Returns
    -------
    ibis Table
        ``activity`` (str), ``period`` (int64), ``events`` (int64), ``cases`` (int64, cases containing
        it), ``rework_cases`` (int64, cases in which it occurs more than once), ``events_sq_sum``
        (int64, the sum over those cases of the squared count).
    """
    per_case = o.group_by([CASE_ID, ACTIVITY]).aggregate(n=o.count())
    starts = c.select(s_case=c[CASE_ID], period=_period(c.start_us, origin_us, period_us))
    j = per_case.join(starts, per_case[CASE_ID] == starts.s_case)
    return j.group_by([ACTIVITY, "period"]).aggregate(
        events=j.n.sum(),
        cases=j.count(),
        rework_cases=(j.n > 1).cast("int64").sum(),
        events_sq_sum=(j.n * j.n).sum(),
    )


def case_sample(c: ir.Table, cap: int) -> ir.Table:
    """At most ``cap`` cases of :func:`case_measures`, chosen by the hash of the case id.

    Returns
    -------
    ibis Table
        ``start_us`` (int64), ``cycle_hours``, ``waiting_hours`` (float), ``last_activity`` (str).
    """
    w = ibis.window(order_by=[c[CASE_ID].hash(), c[CASE_ID]])
    k = c.mutate(k=ibis.row_number().over(w))
    return k.filter(k.k < cap).select("start_us", "cycle_hours", "waiting_hours", "last_activity")


def instance_sample(o: ir.Table, cap: int) -> ir.Table:
    """At most ``cap`` instances of every activity, chosen by the hash of their case id.

    Returns
    -------
    ibis Table
        ``activity`` (str), ``case_start_us`` (int64, the start of the instance's case),
        ``waiting_hours`` (float, the wait before the instance; null for the first event of a case),
        ``processing_hours`` (float, null without a start timestamp).
    """
    case_start = o.start_us.coalesce(o.t_us).min().over(ibis.window(group_by=o[CASE_ID]))
    o = o.mutate(case_start_us=case_start)
    w = ibis.window(group_by=o[ACTIVITY], order_by=[o[CASE_ID].hash(), o[CASE_ID], o.pos])
    k = o.mutate(k=ibis.row_number().over(w))
    k = k.filter(k.k < cap)
    return k.select(
        ACTIVITY,
        "case_start_us",
        waiting_hours=hours(k.wait_us),
        processing_hours=hours(k.proc_us),
    )


def closed_cases(c: ir.Table, ends: list[str] | None, among: ir.Table | None = None) -> ir.Table:
    """The cases whose last activity is one of ``ends`` (all cases when None): ``case_id`` (str),
    ``start_us`` (int64); only those listed in ``among`` (a table with a ``case_id`` column) when given,
    so that the result is no larger than the caller's list."""
    sel = c.filter(c.last_activity.isin(ends)) if ends is not None else c
    if among is not None:
        sel = sel.semi_join(among, sel[CASE_ID] == among[CASE_ID])
    return sel.select(CASE_ID, "start_us")
