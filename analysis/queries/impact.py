"""Event-level queries behind :mod:`analysis.impact`: the inputs of the simulation model, per activity,
transition and resource, and the observed case outcomes the simulation is validated against."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from analysis.queries.performance import sample_key
from mapper.columns import ACTIVITY, CASE_ID, RESOURCE
from mapper.engine import P90, hours

US_PER_SECOND = 1_000_000.0


def transitions(o: ir.Table) -> ir.Table:
    """How often each activity follows another in a case, with the case's start and end.

    Returns
    -------
    ibis Table
        ``source`` (str; null = the case starts), ``target`` (str; null = the case ends), ``count``
        (int64).
    """
    flows = o.select(source=o[ACTIVITY], target=o.next_activity)
    starts = o.filter(o.pos == 0).select(source=ibis.null().cast("string"), target=o[ACTIVITY])
    both = flows.union(starts, distinct=False)
    return both.group_by(["source", "target"]).aggregate(count=both.count())


def activity_durations(o: ir.Table) -> ir.Table:
    """Processing time per activity (seconds), from the events with a start time.

    Returns
    -------
    ibis Table
        ``activity``, ``events`` (int64), ``known`` (int64, events with a start time),
        ``mean_s``, ``var_s`` (population variance, s²), ``min_s``, ``max_s`` (float, null when no start
        time is known).
    """
    s = o.proc_us.cast("float64") / US_PER_SECOND
    return o.group_by(ACTIVITY).aggregate(
        events=o.count(),
        known=o.proc_us.count(),
        mean_s=s.mean(),
        var_s=s.var(how="pop"),
        min_s=s.min(),
        max_s=s.max(),
    )


def resource_activities(o: ir.Table) -> ir.Table:
    """Which resource performs which activity, and how often (events naming no resource left out).

    Returns
    -------
    ibis Table
        ``resource``, ``activity`` (str), ``events`` (int64), ``proc_hours`` (float, total processing
        time of its events with a start time).
    """
    r = o.filter(o[RESOURCE].notnull())
    return r.group_by([RESOURCE, ACTIVITY]).aggregate(events=r.count(), proc_hours=hours(r.proc_us).sum())


def case_outcomes(o: ir.Table, end_activities: list[str]) -> ir.Table:
    """Per closed case: cycle time and total waiting (hours), with the case's arrival instant.

    A case is closed when its last event is one of ``end_activities`` (all cases when the list is
    empty). Cycle time runs from the first event's start (its completion without a start time) to the
    last completion; waiting is the sum of the engine's ``wait_us`` over the case's events.

    Returns
    -------
    ibis Table
        ``case_id``, ``arrival_us`` (int64), ``cycle_hours``, ``waiting_hours`` (float), ``closed``
        (bool).
    """
    begin = o.start_us.coalesce(o.t_us)
    last = o.filter(o.pos == o.n_events - 1).select(CASE_ID, last_activity=o[ACTIVITY])
    per = o.group_by(CASE_ID).aggregate(
        arrival_us=begin.min(),
        end_us=o.t_us.max(),
        wait_us=o.wait_us.sum(),
    )
    per = per.join(last, CASE_ID)
    closed = per.last_activity.isin(end_activities) if end_activities else ibis.literal(True)
    return per.select(
        CASE_ID,
        "arrival_us",
        cycle_hours=hours(per.end_us - per.arrival_us),
        waiting_hours=hours(per.wait_us.coalesce(0)),
        closed=closed,
    )


def outcome_stats(c: ir.Table) -> ir.Table:
    """Cycle time and waiting statistics of the closed cases of :func:`case_outcomes`, and the arrivals.

    Returns
    -------
    ibis Table
        One row: ``cases``, ``closed_cases`` (int64), ``first_us``, ``last_us`` (int64, first and last
        arrival), ``cycle_median``, ``cycle_mean``, ``cycle_p90``, ``waiting_median``, ``waiting_mean``,
        ``waiting_p90`` (float, hours, closed cases).
    """
    cyc = c.cycle_hours.cast("float64")
    wait = c.waiting_hours.cast("float64")
    closed = c.closed
    return c.aggregate(
        cases=c.count(),
        closed_cases=closed.cast("int64").sum(),
        first_us=c.arrival_us.min(),
        last_us=c.arrival_us.max(),
        cycle_median=cyc.median(where=closed),
        cycle_mean=cyc.mean(where=closed),
        cycle_p90=cyc.quantile(P90, where=closed),
        waiting_median=wait.median(where=closed),
        waiting_mean=wait.mean(where=closed),
        waiting_p90=wait.quantile(P90, where=closed),
    )


def delay_columns(inst: ir.Table, *, has_start: bool) -> ir.Table:
    """Per waiting instance, the delay that no simulated resource produces (seconds).

    With start times, ``ext_s`` is the extraneous and unexplained wait and ``all_s`` adds the batching
    (queues and calendars are simulated, so they are left out). Without start times both are the whole
    wait.

    Parameters
    ----------
    inst : ibis Table
        :func:`analysis.waiting.waiting_instance_table`.

    Returns
    -------
    ibis Table
        ``case_id``, ``activity`` (str), ``start_us`` (int64), ``all_s``, ``ext_s`` (float64, seconds),
        ``batching_hours`` (float64, hours).
    """

    def z(col: str) -> ir.FloatingValue:
        return inst[col].fill_null(0.0) if col in inst.columns else ibis.literal(0.0, "float64")

    if has_start:
        ext = (z("extraneous_hours") + z("unknown_hours")) * 3600.0
        every = ext + z("batching_hours") * 3600.0
    else:
        ext = every = z("waiting_hours") * 3600.0
    return inst.select(
        CASE_ID, ACTIVITY, "start_us", all_s=every, ext_s=ext, batching_hours=z("batching_hours")
    )


def delay_statistics(d: ir.Table, min_delay_s: float) -> ir.Table:
    """Per activity, the share of instances delayed at least ``min_delay_s`` and their delays' moments.

    Parameters
    ----------
    d : ibis Table
        :func:`delay_columns`.

    Returns
    -------
    ibis Table
        ``activity``, ``instances`` (int64); for ``kind`` in ``all``, ``ext``: ``<kind>_positive``
        (int64, instances delayed at least ``min_delay_s``), ``<kind>_share`` (float), and over those
        delays ``<kind>_mean_s``, ``<kind>_var_s`` (population variance, s²), ``<kind>_max_s`` (float,
        null when none); ``batching_hours`` (float, total).
    """
    agg: dict = {"instances": d.count(), "batching_hours": d.batching_hours.sum()}
    for kind in ("all", "ext"):
        v = d[f"{kind}_s"]
        pos = v >= float(min_delay_s)
        agg[f"{kind}_positive"] = d.count(where=pos)
        agg[f"{kind}_mean_s"] = v.mean(where=pos)
        agg[f"{kind}_var_s"] = v.var(how="pop", where=pos)
        agg[f"{kind}_max_s"] = v.max(where=pos)
    t = d.group_by(ACTIVITY).aggregate(**agg)
    return t.mutate(
        all_share=t.all_positive.cast("float64") / t.instances,
        ext_share=t.ext_positive.cast("float64") / t.instances,
    )


def delay_sample(d: ir.Table, min_delay_s: float, *, cap: int, seed: int = 0) -> ir.Table:
    """At most ``cap`` delays of at least ``min_delay_s`` per activity (``all_s``), drawn by whole cases.

    The cases are chosen by an MD5 key of their id (the same on every engine), so the sample is
    reproducible; below the cap every delay is kept.

    Returns
    -------
    ibis Table
        ``activity`` (str), ``all_s`` (float64, seconds).
    """
    p = d.filter(d.all_s >= float(min_delay_s))
    w = ibis.window(group_by=p[ACTIVITY], order_by=[sample_key(p[CASE_ID], seed), p[CASE_ID], p.start_us])
    s = p.mutate(_k=ibis.row_number().over(w))
    return s.filter(s._k < int(cap)).select(ACTIVITY, "all_s")
