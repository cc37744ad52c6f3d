"""Event-level queries of the handover-of-work analysis (Ibis expressions over the engine's tables).

Moved here from :mod:`mapper.engine`, which keeps only the event-table primitives. Every function takes
Ibis tables and returns an Ibis expression; only compact results are executed into pandas.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from mapper.columns import ACTIVITY, CASE_ID, RESOURCE, ROLE, ROW_NR, SOURCE_SYSTEM
from mapper.engine import P90, US_PER_HOUR, hours, non_negative
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


# --- Stints: the runs of one performer within a case ---------------------------------------------------


def performer_events(o: ir.Table, col: str, mapping: ir.Table | None = None) -> ir.Table:
    """The ordered events with the performer at one level, and whether each redoes its performer's work.

    Parameters
    ----------
    o : ibis Table
        The ordered events (:func:`mapper.engine.order_events`).
    col : str
        The column holding the performer (``resource``, ``role``, ``source_system``), or, with
        ``mapping``, the column to map (``resource`` to a performer type, ``row_nr`` to an attribute).
    mapping : ibis Table, optional
        ``key`` (the type of ``o[col]``) and ``performer`` (str): the performer is ``mapping.performer``
        where ``o[col] == mapping.key`` (null where no key matches).

    Returns
    -------
    ibis Table
        ``case_id``, ``pos``, ``activity``, ``t_us`` (completion), ``begin_us`` (start, or completion
        without a start), ``performer`` (str, nullable) and ``redone`` (bool: the activity was done
        before in the case by the same performer).
    """
    if mapping is None:
        e = o.mutate(performer=o[col].cast("string"))
    else:
        m = mapping.select(_key=mapping.key, _perf=mapping.performer)
        j = o.left_join(m, o[col] == m._key)
        e = j.mutate(performer=j._perf.cast("string")).drop("_key", "_perf")
    wa = ibis.window(group_by=[e[CASE_ID], e[ACTIVITY]], order_by=e.pos)
    before = e.performer.lag().over(wa)
    return e.select(
        CASE_ID,
        "pos",
        ACTIVITY,
        "t_us",
        begin_us=e.start_us.coalesce(e.t_us),
        performer=e.performer,
        redone=(e.performer.notnull() & before.notnull() & (before == e.performer)).fill_null(False),
    )


def stints(pe: ir.Table) -> ir.Table:
    """Runs of consecutive events of one performer within a case, with the runs around them.

    A handover of work is the boundary between two stints of different, known performers; events
    without a performer form stints of their own (``performer`` null) and break the chain, as in
    :func:`handovers`.

    Parameters
    ----------
    pe : ibis Table
        :func:`performer_events`.

    Returns
    -------
    ibis Table
        One row per stint: ``case_id``, ``stint`` (int64, 1-based within the case), ``performer`` (str,
        nullable), ``first_pos``, ``last_pos`` (int64), ``first_activity``, ``last_activity`` (str),
        ``begin_us`` (start of its first event), ``end_us`` (completion of its last event), ``events``
        (int64), ``redone`` (bool: some event redoes work the same performer did earlier in the case),
        ``redone_activity`` (str, nullable: the first such activity); for the previous stint
        ``prev_performer``, ``prev_first_activity``, ``prev_last_activity``, ``prev_begin_us``,
        ``prev_end_us``; for the one before it ``prev2_performer``, ``prev2_last_activity``,
        ``prev2_end_us``; for the next ``next_performer``, ``next_first_activity``, ``next_begin_us``,
        ``next_redone``; and ``next2_performer``.
    """
    w = ibis.window(group_by=pe[CASE_ID], order_by=pe.pos)
    key = pe.performer.fill_null("\x01")
    new = ibis.ifelse(key.lag().over(w).isnull() | (key.lag().over(w) != key), 1, 0)
    e = pe.mutate(_new=new)
    e = e.mutate(stint=e._new.sum().over(ibis.cumulative_window(group_by=e[CASE_ID], order_by=e.pos)))
    s = e.group_by([CASE_ID, "stint"]).aggregate(
        performer=e.performer.max(),
        first_pos=e.pos.min(),
        last_pos=e.pos.max(),
        first_activity=e[ACTIVITY].argmin(e.pos),
        last_activity=e[ACTIVITY].argmax(e.pos),
        begin_us=e.begin_us.argmin(e.pos),
        end_us=e.t_us.argmax(e.pos),
        events=e.count(),
        redone=e.redone.any(),
        redone_activity=e[ACTIVITY].argmin(e.pos, where=e.redone),
    )
    ws = ibis.window(group_by=s[CASE_ID], order_by=s.stint)
    return s.mutate(
        prev_performer=s.performer.lag().over(ws),
        prev_first_activity=s.first_activity.lag().over(ws),
        prev_last_activity=s.last_activity.lag().over(ws),
        prev_begin_us=s.begin_us.lag().over(ws),
        prev_end_us=s.end_us.lag().over(ws),
        prev2_performer=s.performer.lag(2).over(ws),
        prev2_last_activity=s.last_activity.lag(2).over(ws),
        prev2_end_us=s.end_us.lag(2).over(ws),
        next_performer=s.performer.lead().over(ws),
        next_first_activity=s.first_activity.lead().over(ws),
        next_begin_us=s.begin_us.lead().over(ws),
        next_redone=s.redone.lead().over(ws),
        next2_performer=s.performer.lead(2).over(ws),
    )


def stint_handovers(st: ir.Table) -> ir.Table:
    """The handovers of work between stints, with the waiting time of each.

    Returns
    -------
    ibis Table
        One row per handover: ``case_id``, ``stint`` (of the receiving stint), ``source``, ``target``
        (str), ``after_activity`` (the source's last step), ``activity`` (the target's first step),
        ``arrive_us`` (completion of the source's last event: the case reaches the target),
        ``pickup_us`` (start, or completion, of the target's first event), ``wait_us`` (int64,
        ``pickup_us - arrive_us`` clipped at 0).
    """
    h = st.filter(st.performer.notnull() & st.prev_performer.notnull())
    return h.select(
        CASE_ID,
        "stint",
        source=h.prev_performer,
        target=h.performer,
        after_activity=h.prev_last_activity,
        activity=h.first_activity,
        arrive_us=h.prev_end_us,
        pickup_us=h.begin_us,
        wait_us=non_negative(h.begin_us - h.prev_end_us),
    )


def bounces(st: ir.Table) -> ir.Table:
    """Work that goes from its owner to another performer and straight back, where the owner redoes it.

    A bounce is a stint of performer Q whose previous stint is of another performer P and the one before
    that of Q again (Q -> P -> Q), in which Q redoes a step it already did in the case.

    Returns
    -------
    ibis Table
        One row per bounce: ``case_id``, ``stint``, ``owner`` (Q), ``other`` (P), ``after_activity``
        (Q's last step before the case left for P), ``activity`` (P's first step), ``returned_after``
        (P's last step), ``returned_to`` (Q's first step on return), ``redone_activity`` (the step Q
        redoes), ``round_trip_us`` (from the completion of ``after_activity`` to the start of Q's
        return stint, clipped at 0), ``back_wait_us`` (from the completion of ``returned_after`` to
        that start).
    """
    b = st.filter(
        st.performer.notnull()
        & st.prev_performer.notnull()
        & st.prev2_performer.notnull()
        & (st.prev2_performer == st.performer)
        & st.redone
    )
    return b.select(
        CASE_ID,
        "stint",
        owner=b.performer,
        other=b.prev_performer,
        after_activity=b.prev2_last_activity,
        activity=b.prev_first_activity,
        returned_after=b.prev_last_activity,
        returned_to=b.first_activity,
        redone_activity=b.redone_activity,
        round_trip_us=non_negative(b.begin_us - b.prev2_end_us),
        back_wait_us=non_negative(b.begin_us - b.prev_end_us),
    )


def request_responses(st: ir.Table, external: list[str]) -> ir.Table:
    """Requests to an outside party and its responses: an internal stint followed by an external one.

    Returns
    -------
    ibis Table
        One row per request: ``case_id``, ``stint``, ``requester``, ``party`` (str), ``request_activity``
        (the requester's last step), ``response_activity`` (the party's last step),
        ``waiting_us`` (from the completion of the request to the completion of the response, clipped
        at 0: the time spent waiting on the outside party), ``next_performer`` (str, nullable: who
        picks the case up), ``pickup_us`` (from the response to the pickup, nullable),
        ``returned`` (bool: picked up by the requester).
    """
    r = st.filter(
        st.performer.isin(external) & st.prev_performer.notnull() & ~st.prev_performer.isin(external)
    )
    return r.select(
        CASE_ID,
        "stint",
        requester=r.prev_performer,
        party=r.performer,
        request_activity=r.prev_last_activity,
        response_activity=r.last_activity,
        waiting_us=non_negative(r.end_us - r.prev_end_us),
        next_performer=r.next_performer,
        pickup_us=non_negative(r.next_begin_us - r.end_us),
        returned=(r.next_performer == r.prev_performer).fill_null(False),
    )


def pair_waits(h: ir.Table) -> ir.Table:
    """The usual waiting time of every (source, target) pair: median, and quartiles of ln(1 + hours).

    Returns
    -------
    ibis Table
        ``source``, ``target``, ``handovers`` (int64), ``wait_median_us`` (float, µs), ``log_q1``,
        ``log_q3`` (float: the quartiles of ``ln(1 + wait in hours)``).
    """
    lw = (hours(h.wait_us) + 1.0).ln()
    return h.group_by(["source", "target"]).aggregate(
        handovers=h.count(),
        wait_median_us=h.wait_us.cast("float64").quantile(0.5),
        log_q1=lw.quantile(0.25),
        log_q3=lw.quantile(0.75),
    )


def long_waits(
    h: ir.Table, pairs: ir.Table, *, far_out: float, min_wait_us: int, min_pair: int, not_targets: list[str]
) -> ir.Table:
    """Handovers that wait far longer than their pair usually does (candidates for a dropped baton).

    A handover is a candidate when its pair has at least ``min_pair`` handovers, its target is not one
    of ``not_targets`` (outside parties and machines), and its wait exceeds both ``min_wait_us`` and
    the pair's far-out fence on the log scale: ``exp(Q3 + far_out * (Q3 - Q1)) - 1`` hours, with Q1,
    Q3 the quartiles of ``ln(1 + wait hours)``.

    Returns
    -------
    ibis Table
        The handovers of :func:`stint_handovers` that qualify, plus ``usual_us`` (the pair's median),
        ``threshold_us`` (float).
    """
    p = pairs.filter(pairs.handovers >= min_pair)
    fence_h = (p.log_q3 + far_out * (p.log_q3 - p.log_q1)).exp() - 1.0
    p = p.select(
        _s=p.source,
        _t=p.target,
        usual_us=p.wait_median_us,
        threshold_us=ibis.greatest(fence_h * US_PER_HOUR, ibis.literal(float(min_wait_us))),
    )
    j = h.join(p, [h.source == p._s, h.target == p._t]).drop("_s", "_t")
    keep = j.wait_us.cast("float64") > j.threshold_us
    if not_targets:
        keep = keep & ~j.target.isin(not_targets)
    return j.filter(keep)


def overtaking(cands: ir.Table, h: ir.Table) -> ir.Table:
    """For each candidate: handovers to the same target and step that arrived while it waited.

    Returns
    -------
    ibis Table
        ``case_id``, ``stint`` (of the candidate), ``arrived`` (int64: handovers to the same target for
        the same step that reached it after the candidate did and before the candidate was picked up)
        and ``overtook`` (int64: those picked up before the candidate).
    """
    c = cands.select(
        _case=cands[CASE_ID],
        _stint=cands.stint,
        _t=cands.target,
        _a=cands.activity,
        _arr=cands.arrive_us,
        _pick=cands.pickup_us,
    )
    x = h.select(x_t=h.target, x_a=h.activity, x_arr=h.arrive_us, x_pick=h.pickup_us)
    j = c.join(x, [c._t == x.x_t, c._a == x.x_a, x.x_arr > c._arr, x.x_arr < c._pick])
    agg = j.group_by(["_case", "_stint"]).aggregate(
        arrived=j.count(), overtook=ibis.ifelse(j.x_pick < j._pick, 1, 0).sum()
    )
    out = c.select("_case", "_stint").left_join(agg, ["_case", "_stint"])
    return out.select(
        case_id=out._case,
        stint=out._stint,
        arrived=out.arrived.fill_null(0),
        overtook=out.overtook.fill_null(0),
    )


def escalations(st: ir.Table, ranks: ir.Table) -> ir.Table:
    """Moves of a case to a higher support level, and what happened next.

    Parameters
    ----------
    st : ibis Table
        :func:`stints` over the level of each event (the performer is the level's value).
    ranks : ibis Table
        ``value`` (str), ``rank`` (int64): the order of the levels, 1 = first line.

    Returns
    -------
    ibis Table
        One row per escalation: ``case_id``, ``stint``, ``from_level``, ``to_level`` (str),
        ``escalated_after`` (the last step before it), ``activity`` (the first step at the higher
        level), ``returned`` (bool: the next stint is at a lower level), ``returned_after`` (the last
        step at the higher level), ``back_to`` (str, nullable), ``back_activity`` (str, nullable),
        ``redone_below`` (bool: on return the lower level redoes work it did before),
        ``re_escalated`` (bool: after the return the case goes up again), ``hours_us`` (from the
        escalation to the return, or to the end of the stint when it does not return).
    """
    r = ranks.select(_v=ranks.value, _r=ranks["rank"])
    cur = st.left_join(r, st.performer == r._v).drop("_v").rename(cur_rank="_r")
    r2 = ranks.select(_v=ranks.value, _r=ranks["rank"])
    cur = cur.left_join(r2, cur.prev_performer == r2._v).drop("_v").rename(prev_rank="_r")
    r3 = ranks.select(_v=ranks.value, _r=ranks["rank"])
    cur = cur.left_join(r3, cur.next_performer == r3._v).drop("_v").rename(next_rank="_r")
    r4 = ranks.select(_v=ranks.value, _r=ranks["rank"])
    cur = cur.left_join(r4, cur.next2_performer == r4._v).drop("_v").rename(next2_rank="_r")
    e = cur.filter(cur.cur_rank.notnull() & cur.prev_rank.notnull() & (cur.cur_rank > cur.prev_rank))
    returned = (e.next_rank.notnull() & (e.next_rank < e.cur_rank)).fill_null(False)
    return e.select(
        CASE_ID,
        "stint",
        from_level=e.prev_performer,
        to_level=e.performer,
        escalated_after=e.prev_last_activity,
        activity=e.first_activity,
        returned=returned,
        returned_after=e.last_activity,
        back_to=ibis.ifelse(returned, e.next_performer, ibis.null("string")),
        back_activity=ibis.ifelse(returned, e.next_first_activity, ibis.null("string")),
        redone_below=(returned & e.next_redone.fill_null(False)),
        re_escalated=(returned & (e.next2_rank > e.next_rank).fill_null(False)),
        hours_us=non_negative(ibis.ifelse(returned, e.next_begin_us, e.end_us) - e.prev_end_us),
    )


def case_crossings(pe: ir.Table, ends: list[str]) -> ir.Table:
    """Per closed case: how many distinct performers it crosses and its cycle time.

    A case is closed when its last activity is one of ``ends``.

    Returns
    -------
    ibis Table
        ``case_id``, ``performers`` (int64: distinct known performers), ``cycle_us`` (int64: first
        start, or completion, to last completion).
    """
    g = pe.group_by(CASE_ID).aggregate(
        performers=pe.performer.nunique(),
        cycle_us=pe.t_us.max() - pe.begin_us.min(),
        last_activity=pe[ACTIVITY].argmax(pe.pos),
    )
    g = g.filter(g.last_activity.isin(ends)) if ends else g.filter(g.performers < 0)
    return g.select(CASE_ID, "performers", "cycle_us")


def network_pairs(pe: ir.Table, *, depth: int | None, fall_factor: float, per_case: bool) -> ir.Table:
    """The handover-of-work metric of van der Aalst, Reijers & Song (2005) per (source, target) pair.

    Every pair of events of a case at distance ``n`` (1 = directly following; up to ``depth``, all when
    None) whose performers are both known counts ``fall_factor ** (n - 1)``; with ``per_case`` a pair
    of performers counts once per case and distance ("ignoring multiple transfers"). Self pairs are
    kept here (they enter the normaliser); the caller drops them.

    Returns
    -------
    ibis Table
        ``source``, ``target`` (str), ``weight`` (float: the summed weights), ``cases`` (int64: cases in
        which the pair occurs within the depth), ``transfers`` (int64: occurrences).
    """
    a = pe.filter(pe.performer.notnull()).select(_case=pe[CASE_ID], _pos=pe.pos, source=pe.performer)
    b = pe.filter(pe.performer.notnull()).select(b_case=pe[CASE_ID], b_pos=pe.pos, target=pe.performer)
    cond = [a._case == b.b_case, b.b_pos > a._pos]
    if depth is not None:
        cond.append(b.b_pos - a._pos <= depth)
    j = a.join(b, cond)
    j = j.mutate(n=(j.b_pos - j._pos))
    if per_case:
        j = j.group_by(["_case", "source", "target", "n"]).aggregate(k=j.count())
        wt = ibis.literal(float(fall_factor)).pow((j.n - 1).cast("float64"))
        return j.group_by(["source", "target"]).aggregate(
            weight=wt.sum(), cases=j._case.nunique(), transfers=j.k.sum()
        )
    wt = ibis.literal(float(fall_factor)).pow((j.n - 1).cast("float64"))
    return j.group_by(["source", "target"]).aggregate(
        weight=wt.sum(), cases=j._case.nunique(), transfers=j.count()
    )


def network_normaliser(pe: ir.Table, *, depth: int | None, fall_factor: float) -> ir.Table:
    """The denominator of the per-case metric: the summed weights of every distance of every case.

    Per case with ``m`` events: ``sum over 1 <= n < m (n <= depth) of fall_factor ** (n - 1)``.

    Returns
    -------
    ibis Table
        A single row: ``total`` (float).
    """
    c = pe.group_by(CASE_ID).aggregate(m=pe.count())
    top = c.m - 1 if depth is None else ibis.least(c.m - 1, depth)
    if fall_factor == 1:
        term = top.cast("float64")
    elif fall_factor == 0:
        term = ibis.ifelse(top >= 1, 1.0, 0.0)
    else:
        beta = ibis.literal(float(fall_factor))
        term = (1 - beta.pow(top)) / (1 - beta)
    return c.aggregate(total=ibis.ifelse(top > 0, term, 0.0).sum())
