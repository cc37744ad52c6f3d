"""The event-level queries, written once as Ibis expressions over an embedded DuckDB backend.

Everything that touches every event (ordering within a case, directly-follows pairs, waiting times,
handovers, per-activity and per-case statistics, variants) is an Ibis expression here, so that the
same definitions can later run on Spark or a warehouse. Only compact results are executed into pandas.

Events are ordered within a case by completion timestamp, then by their position in the file
(``row_nr``), exactly as pm4py does; any other tie-break changes the directly-follows graph of logs
with equal timestamps (Road Traffic has dates only).

Times are carried as integer microseconds since the epoch (``t_us``, ``start_us``) so that differences
are exact on every backend; they are converted to hours only in the aggregated results.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from mapper.columns import (
    ACTIVITY,
    CASE_ID,
    RESOURCE,
    ROLE,
    ROW_NR,
    SOURCE_SYSTEM,
    START_TIMESTAMP,
    TIMESTAMP,
)

US_PER_HOUR = 3_600_000_000.0
#: Quantiles computed for every time distribution; p90 is the SLA-style figure used across flowready.
P90 = 0.9


@dataclass(frozen=True, eq=False)
class EngineTables:
    """The DuckDB connection of one event log and its two base tables.

    Attributes
    ----------
    con : ibis backend
        An in-process DuckDB connection owned by this log.
    events : ibis Table
        ``case_id`` (string), ``activity`` (string), ``t_us`` (int64, completion, µs since epoch),
        ``start_us`` (int64, nullable), ``resource`` and ``role`` (string, nullable), ``row_nr`` (int64).
    ordered : ibis Table
        ``events`` plus the per-case position and the neighbours; see :func:`order_events`.
    """

    con: object
    events: ir.Table
    ordered: ir.Table
    _memo: dict = field(default_factory=dict, repr=False)

    def handovers(self, level: Literal["resource", "role", "system"]) -> ir.Table:
        """The handovers at ``level`` (:func:`handovers`), materialised once per log and level."""
        key = ("handovers", level)
        if key not in self._memo:
            self._memo[key] = self.con.create_table(
                f"handovers_{level}", handovers(self.ordered, level), temp=True
            )
        return self._memo[key]

    def result(self, name: str, query) -> pd.DataFrame:
        """Execute ``query(self.ordered)`` once per log and return a copy of the compact result.

        For the aggregates several analyses share (``activity_stats``, ``dfg_edges``).
        """
        if name not in self._memo:
            self._memo[name] = execute(query(self.ordered))
        return self._memo[name].copy()


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _to_us(series: pd.Series) -> pd.Series:
    """Timezone-aware timestamps -> int64 microseconds since the epoch (nullable)."""
    out = series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    return pd.Series(out.to_numpy().astype("int64"), index=series.index).where(series.notna()).astype("Int64")


def engine_input(events: pd.DataFrame) -> pd.DataFrame:
    """The narrow table the engine stores: only the columns the queries read.

    Parameters
    ----------
    events : pandas.DataFrame
        A validated event table (see :mod:`mapper.schema`).

    Returns
    -------
    pandas.DataFrame
        Columns ``case_id``, ``activity`` (str), ``t_us``, ``start_us`` (Int64 µs), ``resource``,
        ``role``, ``source_system`` (str, nullable), ``row_nr`` (int64).
    """
    out = pd.DataFrame(
        {
            CASE_ID: events[CASE_ID].astype(str),
            ACTIVITY: events[ACTIVITY].astype(str),
            "t_us": _to_us(events[TIMESTAMP]),
            "start_us": _to_us(events[START_TIMESTAMP])
            if START_TIMESTAMP in events
            else pd.Series(pd.NA, index=events.index, dtype="Int64"),
            RESOURCE: events[RESOURCE].astype("string")
            if RESOURCE in events
            else pd.Series(pd.NA, index=events.index, dtype="string"),
            ROLE: events[ROLE].astype("string")
            if ROLE in events
            else pd.Series(pd.NA, index=events.index, dtype="string"),
            SOURCE_SYSTEM: events[SOURCE_SYSTEM].astype("string")
            if SOURCE_SYSTEM in events
            else pd.Series(pd.NA, index=events.index, dtype="string"),
            ROW_NR: events[ROW_NR].astype("int64"),
        }
    )
    return out.reset_index(drop=True)


def tables_for(owner: object, events: pd.DataFrame) -> EngineTables:
    """Return the engine tables of ``owner`` (an EventLog), creating them on first use.

    The DuckDB copy lives as long as ``owner`` does; the ordered table is materialised once so that
    every later query reuses the window computation.
    """
    cached = _CACHE.get(owner)
    if cached is not None:
        return cached
    con = ibis.duckdb.connect(threads=2)
    base = con.create_table("events", engine_input(events), temp=True)
    ordered = con.create_table("ordered", order_events(base), temp=True)
    tables = EngineTables(con, base, ordered)
    _CACHE[owner] = tables
    return tables


def rebind_tables(old_owner: object, new_owner: object) -> None:
    """Hand the engine tables of ``old_owner`` to ``new_owner`` (same events), instead of rebuilding them."""
    tables = _CACHE.pop(old_owner, None)
    if tables is not None:
        _CACHE[new_owner] = tables


def order_events(t: ir.Table) -> ir.Table:
    """Order the events of each case and attach each event's neighbours.

    Parameters
    ----------
    t : ibis Table
        The engine's ``events`` table.

    Returns
    -------
    ibis Table
        ``t`` plus ``pos`` (0-based position in the case), ``occurrence`` (0-based: how many times the
        activity occurred before in the case; > 0 is rework), ``n_events`` (events in the case), and for
        the previous and next event in the case: ``prev_activity``, ``prev_t_us``, ``prev_resource``,
        ``prev_role``, ``prev_source_system``, ``next_activity``, ``next_t_us``, ``next_start_us``.
        ``enabled_us`` is the completion of the previous event (the event's enabling time under
        sequential execution), and
        ``wait_us`` the waiting time before the event: from ``enabled_us`` to its start when a start
        timestamp exists (negative overlaps clipped to 0), otherwise to its completion.
    """
    w = ibis.window(group_by=t[CASE_ID], order_by=[t.t_us, t[ROW_NR]])
    wc = ibis.window(group_by=t[CASE_ID])
    wa = ibis.window(group_by=[t[CASE_ID], t[ACTIVITY]], order_by=[t.t_us, t[ROW_NR]])
    o = t.mutate(
        pos=ibis.row_number().over(w),
        occurrence=ibis.row_number().over(wa),
        n_events=t[ROW_NR].count().over(wc),
        prev_activity=t[ACTIVITY].lag().over(w),
        prev_t_us=t.t_us.lag().over(w),
        prev_resource=t[RESOURCE].lag().over(w),
        prev_role=t[ROLE].lag().over(w),
        prev_source_system=t[SOURCE_SYSTEM].lag().over(w),
        next_activity=t[ACTIVITY].lead().over(w),
        next_t_us=t.t_us.lead().over(w),
        next_start_us=t.start_us.lead().over(w),
    )
    begin = o.start_us.coalesce(o.t_us)
    wait = begin - o.prev_t_us
    return o.mutate(
        enabled_us=o.prev_t_us,
        wait_us=non_negative(wait),
        proc_us=(o.t_us - o.start_us),
    )


def non_negative(expr: ir.NumericValue) -> ir.NumericValue:
    """Clip negative values to 0 and keep nulls null (SQL ``GREATEST`` would turn null into 0 on DuckDB)."""
    return ibis.ifelse(expr < 0, 0, expr)


def hours(expr: ir.NumericValue) -> ir.FloatingValue:
    """Microseconds -> hours (float)."""
    return expr.cast("float64") / US_PER_HOUR


def _time_stats(value_us: ir.NumericColumn, prefix: str) -> dict:
    h = hours(value_us)
    return {
        f"{prefix}_hours_median": h.median(),
        f"{prefix}_hours_p90": h.quantile(P90),
        f"{prefix}_hours_mean": h.mean(),
        f"{prefix}_hours_total": h.sum(),
    }


def dfg_edges(o: ir.Table) -> ir.Table:
    """Directly-follows relation with frequencies and times.

    Returns
    -------
    ibis Table
        ``source``, ``target`` (str), ``frequency`` (int64, number of times ``target`` directly follows
        ``source`` in a case), ``cases`` (int64, distinct cases), and the time from the completion of
        ``source`` to the completion of ``target`` in hours: ``hours_median``, ``hours_p90``,
        ``hours_mean``, ``hours_total``; plus the waiting time from the completion of ``source`` to the
        start of ``target`` (equal to the former when there are no start timestamps):
        ``wait_hours_median``, ``wait_hours_p90``, ``wait_hours_total``.
    """
    pairs = o.filter(o.next_activity.notnull())
    span = pairs.next_t_us - pairs.t_us
    wait = non_negative(pairs.next_start_us.coalesce(pairs.next_t_us) - pairs.t_us)
    return pairs.group_by(source=pairs[ACTIVITY], target=pairs.next_activity).aggregate(
        frequency=pairs.count(),
        cases=pairs[CASE_ID].nunique(),
        hours_median=hours(span).median(),
        hours_p90=hours(span).quantile(P90),
        hours_mean=hours(span).mean(),
        hours_total=hours(span).sum(),
        wait_hours_median=hours(wait).median(),
        wait_hours_p90=hours(wait).quantile(P90),
        wait_hours_total=hours(wait).sum(),
    )


def start_end_activities(o: ir.Table) -> ir.Table:
    """How often each activity starts and ends a case.

    Returns
    -------
    ibis Table
        ``activity`` (str), ``starts`` and ``ends`` (int64, number of cases).
    """
    return o.group_by(ACTIVITY).aggregate(
        starts=(o.pos == 0).cast("int64").sum(),
        ends=(o.pos == o.n_events - 1).cast("int64").sum(),
    )


def case_traces(o: ir.Table) -> ir.Table:
    """One row per case: its trace (activities in order) and its times.

    Returns
    -------
    ibis Table
        ``case_id``, ``trace`` (array<string>), ``events`` (int64), ``start_us``/``end_us`` (int64),
        ``cycle_hours`` (float), ``last_activity`` (str).
    """
    begin = o.start_us.coalesce(o.t_us)
    return (
        o.group_by(CASE_ID)
        .aggregate(
            trace=o[ACTIVITY].collect(order_by=[o.pos]),
            events=o.count(),
            start_us=begin.min(),
            end_us=o.t_us.max(),
            last_activity=o[ACTIVITY].argmax(o.pos),
        )
        .mutate(cycle_hours=lambda c: hours(c.end_us - c.start_us))
    )


def variants(o: ir.Table) -> ir.Table:
    """Variants: distinct traces with their frequency and cycle times.

    Returns
    -------
    ibis Table
        ``trace`` (array<string>), ``cases`` (int64), ``events`` (int64, length of the trace),
        ``cycle_hours_median``, ``cycle_hours_p90`` (float).
    """
    c = case_traces(o)
    return c.group_by("trace").aggregate(
        cases=c.count(),
        events=c.events.max(),
        cycle_hours_median=c.cycle_hours.median(),
        cycle_hours_p90=c.cycle_hours.quantile(P90),
    )


def activity_stats(o: ir.Table) -> ir.Table:
    """Per activity: volume, waiting time before it, processing time, rework.

    Returns
    -------
    ibis Table
        ``activity``, ``events`` (int64), ``cases`` (int64, distinct cases containing it),
        ``waiting_hours_median``/``_p90``/``_mean``/``_total`` (waits before the activity, excluding the
        first event of each case, which has no predecessor), ``processing_hours_median``/``_p90``/
        ``_mean``/``_total`` and ``processing_hours_std`` (null without start timestamps),
        ``processing_known`` (int64, events with a start timestamp), ``waits`` (int64, events with a
        predecessor), ``system_events`` is not computed here (see the readiness module).
    """
    return o.group_by(ACTIVITY).aggregate(
        events=o.count(),
        cases=o[CASE_ID].nunique(),
        waits=o.wait_us.count(),
        **_time_stats(o.wait_us, "waiting"),
        **_time_stats(o.proc_us, "processing"),
        processing_hours_std=hours(o.proc_us).std(),
        processing_known=o.proc_us.count(),
    )


def rework(o: ir.Table) -> ir.Table:
    """Per activity: in how many cases it is repeated (rework).

    Returns
    -------
    ibis Table
        ``activity``, ``cases`` (int64, cases containing it), ``cases_with_rework`` (int64, cases in
        which it occurs more than once), ``repeats`` (int64, occurrences beyond the first).
    """
    per_case = o.group_by([CASE_ID, ACTIVITY]).aggregate(n=o.count())
    return per_case.group_by(ACTIVITY).aggregate(
        cases=per_case.count(),
        cases_with_rework=(per_case.n > 1).cast("int64").sum(),
        repeats=(per_case.n - 1).sum(),
    )


#: The event-table column holding the performer at each handover level.
_LEVEL_COLUMNS = {"resource": RESOURCE, "role": ROLE, "system": SOURCE_SYSTEM}


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
    col = _LEVEL_COLUMNS[level]
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


def neighbour_entropy(o: ir.Table) -> ir.Table:
    """Per activity: how predictable its predecessors and successors are.

    Uses the normalised Shannon entropy of the predecessor and successor distributions (the case start
    and the case end count as one more outcome, ``<none>``).

    Returns
    -------
    ibis Table
        ``activity``, ``pred_entropy``, ``succ_entropy`` (float in [0, 1]: 0 = always the same
        neighbour), ``succ_distinct`` (int64), ``succ_top_share`` (float).
    """

    def entropy(col: str, name: str) -> ir.Table:
        k = o.mutate(nb=o[col].fill_null("<none>"))
        counts = k.group_by([ACTIVITY, "nb"]).aggregate(n=k.count())
        w = ibis.window(group_by=counts[ACTIVITY])
        tot = counts.n.sum().over(w)
        p = counts.n.cast("float64") / tot
        distinct = counts.n.count().over(w)
        counts = counts.mutate(plogp=-(p * p.ln()), n_distinct=distinct, prob=p)
        agg = counts.group_by(ACTIVITY).aggregate(
            h=counts.plogp.sum(), k=counts.n_distinct.max(), top=counts.prob.max()
        )
        norm = ibis.cases((agg.k > 1, agg.h / agg.k.cast("float64").ln()), else_=0.0)
        return agg.select(
            ACTIVITY, **{f"{name}_entropy": norm, f"{name}_distinct": agg.k, f"{name}_top_share": agg.top}
        )

    pred = entropy("prev_activity", "pred")
    succ = entropy("next_activity", "succ")
    return pred.join(succ, ACTIVITY)


def execute(expr: ir.Table) -> pd.DataFrame:
    """Run an expression and return a pandas DataFrame (only for compact results)."""
    return expr.to_pandas()


def pair_lifecycle(t: ir.Table) -> ir.Table:
    """Pair ``start`` and ``complete`` lifecycle events into activity instances.

    Within each case and activity, events are ordered by time and file position; a ``complete`` event
    directly preceded (in that order) by a ``start`` event is paired with it; every other start or
    complete event is unmatched. Overlapping instances of the same activity in one case (start, start,
    complete, complete) thus pair the inner start and complete and leave the outer two unmatched.

    Parameters
    ----------
    t : ibis Table
        ``row_nr`` (int64), ``case_id``, ``activity`` (str), ``t_us`` (int64), ``lifecycle`` (str,
        lower-case: only ``start`` and ``complete`` rows).

    Returns
    -------
    ibis Table
        One row per activity instance: ``row_nr`` (the row that carries the instance: the complete event,
        or the unmatched start), ``start_row_nr`` (int64, nullable: the paired start event),
        ``kind`` (``"paired"``, ``"unmatched_complete"`` or ``"unmatched_start"``).
    """
    w = ibis.window(group_by=[t[CASE_ID], t[ACTIVITY]], order_by=[t.t_us, t[ROW_NR]])
    x = t.mutate(
        prev_lc=t.lifecycle.lag().over(w),
        prev_row=t[ROW_NR].lag().over(w),
        next_lc=t.lifecycle.lead().over(w),
    )
    complete = x.filter(x.lifecycle == "complete")
    complete = complete.select(
        ROW_NR,
        start_row_nr=ibis.cases((complete.prev_lc == "start", complete.prev_row), else_=ibis.null("int64")),
        kind=ibis.cases((complete.prev_lc == "start", "paired"), else_="unmatched_complete"),
    )
    lonely = x.filter((x.lifecycle == "start") & ((x.next_lc != "complete") | x.next_lc.isnull()))
    lonely = lonely.select(ROW_NR, start_row_nr=ibis.null("int64"), kind=ibis.literal("unmatched_start"))
    return complete.union(lonely)


def pair_schedule(t: ir.Table) -> ir.Table:
    """Attach ``schedule`` and ``assign`` lifecycle events to the activity instance they precede.

    Within each case and activity, events are ordered by time and file position. Each ``schedule``
    event opens a segment (the IEEE 1849 XES standard lifecycle model: schedule, assign, start,
    complete); the first instance to begin in the segment (a ``start``, or a ``complete`` without a
    start directly before it, as :func:`pair_lifecycle` pairs them) is the one the schedule belongs to,
    and the last ``assign`` before its first event is its assignment. A ``complete`` that closes an
    instance begun before the schedule does not take it (start, schedule, complete: the schedule is
    for the next instance).

    Parameters
    ----------
    t : ibis Table
        ``row_nr`` (int64), ``case_id``, ``activity`` (str), ``t_us`` (int64), ``lifecycle`` (str,
        lower-case: ``schedule``, ``assign``, ``start`` and ``complete`` rows).

    Returns
    -------
    ibis Table
        One row per schedule or assign event: ``row_nr``, ``lifecycle``, ``target_row_nr`` (int64,
        nullable: the first event, start or complete, of the instance it belongs to) and ``kind``:
        ``"paired"``, ``"unmatched"`` (no start or complete follows before the next schedule),
        ``"superseded"`` (an assign followed by another assign before the work began) or ``"late"``
        (an assign after the work began: a reassignment).

    References
    ----------
    IEEE 1849-2016, Standard for eXtensible Event Stream (XES), lifecycle extension (standard model).
    """
    # Which start/complete events begin an instance: a start, or a complete not directly preceded by a
    # start (the pairing rule of pair_lifecycle). A schedule belongs to the next instance to begin.
    w = t.filter(t.lifecycle.isin(["start", "complete"]))
    ww = ibis.window(group_by=[w[CASE_ID], w[ACTIVITY]], order_by=[w.t_us, w[ROW_NR]])
    begins = w.mutate(prev_lc=w.lifecycle.lag().over(ww))
    begins = begins.select(
        b_row=begins[ROW_NR],
        begin=(begins.lifecycle == "start") | begins.prev_lc.isnull() | (begins.prev_lc != "start"),
    )
    t = t.left_join(begins, t[ROW_NR] == begins.b_row).drop("b_row")
    by = [t[CASE_ID], t[ACTIVITY]]
    x = t.mutate(k=ibis.row_number().over(ibis.window(group_by=by, order_by=[t.t_us, t[ROW_NR]])))
    x = x.mutate(
        seg=(x.lifecycle == "schedule")
        .cast("int64")
        .sum()
        .over(ibis.cumulative_window(group_by=[x[CASE_ID], x[ACTIVITY]], order_by=x.k))
    )
    seg_w = ibis.window(group_by=[x[CASE_ID], x[ACTIVITY], x.seg])
    work = x.begin.fill_null(False)
    x = x.mutate(first_k=ibis.cases((work, x.k), else_=ibis.null("int64")).min().over(seg_w))
    x = x.mutate(
        first_row=ibis.cases((x.k == x.first_k, x[ROW_NR]), else_=ibis.null("int64")).max().over(seg_w),
        last_assign_k=ibis.cases(
            ((x.lifecycle == "assign") & (x.k < x.first_k), x.k), else_=ibis.null("int64")
        )
        .max()
        .over(seg_w),
    )
    aux = x.filter(x.lifecycle.isin(["schedule", "assign"]))
    kind = ibis.cases(
        (aux.first_k.isnull(), "unmatched"),
        (aux.lifecycle == "schedule", "paired"),
        (aux.k > aux.first_k, "late"),
        (aux.k == aux.last_assign_k, "paired"),
        else_="superseded",
    )
    return aux.select(
        ROW_NR,
        "lifecycle",
        target_row_nr=ibis.cases((kind == "paired", aux.first_row), else_=ibis.null("int64")),
        kind=kind,
    )


def timestamp_ties(t: ir.Table) -> ir.Table:
    """Events that share their completion timestamp with another event of the same case.

    Returns
    -------
    ibis Table
        A single row: ``tied_events`` (int64) and ``tied_cases`` (int64).
    """
    g = t.group_by([CASE_ID, "t_us"]).aggregate(n=t.count())
    g = g.filter(g.n > 1)
    return g.aggregate(tied_events=g.n.sum().fill_null(0), tied_cases=g[CASE_ID].nunique())


def log_counts(t: ir.Table) -> ir.Table:
    """Headline counts of the event table.

    Returns
    -------
    ibis Table
        A single row: ``cases``, ``events``, ``activities``, ``resources``, ``roles`` (int64, distinct
        non-missing values), ``start_us``, ``end_us`` (int64, earliest start or completion and latest
        completion).
    """
    return t.aggregate(
        cases=t[CASE_ID].nunique(),
        events=t.count(),
        activities=t[ACTIVITY].nunique(),
        resources=t[RESOURCE].nunique(),
        roles=t[ROLE].nunique(),
        start_us=t.start_us.coalesce(t.t_us).min(),
        end_us=t.t_us.max(),
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
    col = _LEVEL_COLUMNS[level]
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


def system_share(o: ir.Table, pattern: str) -> ir.Table:
    """Per activity: the share of its events done by resources whose name matches ``pattern``.

    Returns
    -------
    ibis Table
        ``activity``, ``with_resource`` (int64), ``system_events`` (int64).
    """
    is_sys = o[RESOURCE].re_search(pattern).fill_null(False)
    return o.group_by(ACTIVITY).aggregate(
        with_resource=o[RESOURCE].count(),
        system_events=is_sys.cast("int64").sum(),
    )


def process_kpis(o: ir.Table) -> ir.Table:
    """Process-wide baseline figures.

    Returns
    -------
    ibis Table
        A single row: ``waiting_hours_median``, ``waiting_hours_p90`` (float, over all waits),
        ``waiting_hours_total`` (float), ``rework_cases`` (int64: cases with any activity repeated),
        ``cases`` (int64).
    """
    per_case = o.group_by([CASE_ID, ACTIVITY]).aggregate(n=o.count())
    rw = per_case.group_by(CASE_ID).aggregate(rep=(per_case.n.max() > 1))
    waits = o.aggregate(
        waiting_hours_median=hours(o.wait_us).median(),
        waiting_hours_p90=hours(o.wait_us).quantile(P90),
        waiting_hours_total=hours(o.wait_us).sum(),
    )
    counts = rw.aggregate(rework_cases=rw.rep.cast("int64").sum(), cases=rw.count())
    return waits.cross_join(counts)


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
