"""Event-level queries of the performance views (Ibis expressions over the engine's tables).

The performance spectrum, the monthly drift of waiting, the attribute drivers and the SLA breaches of
:mod:`analysis.performance` run here, set-based over the log's DuckDB tables; only compact results
(per transition, per activity and month, per attribute level, capped samples) are executed into pandas.

Samples are deterministic: rows are ranked by a hash of the case id (salted with ``seed``), ties broken
by the case id and the event's position in the file, so the same log gives the same sample on every
run of the same DuckDB version.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from mapper.columns import ACTIVITY, CASE_ID, ROW_NR
from mapper.engine import US_PER_HOUR, hours, non_negative
from mapper.log import EventLog

#: Microseconds per second, for month truncation (the DuckDB backend converts seconds, not µs).
_US_PER_S = 1_000_000


def sample_key(case_id: ir.StringValue, seed: int) -> ir.StringValue:
    """A deterministic pseudo-random key per case: the MD5 digest (hex) of the case id salted with ``seed``.

    MD5 rather than the engine's ``hash()``: every engine computes the same digest (DuckDB's ``hash`` and
    Spark's differ), so the same cases are sampled on each.
    """
    return (case_id + ibis.literal(f"#{int(seed)}")).hexdigest("md5")


def _pair_filter(t: ir.Table, pairs: list[tuple[str, str]]) -> ir.BooleanValue:
    cond = ibis.literal(False)
    for s, g in pairs:
        cond = cond | ((t.source == s) & (t.target == g))
    return cond


# --- performance spectrum ----------------------------------------------------------------------------


def spectrum_segments(o: ir.Table, pairs: list[tuple[str, str]]) -> ir.Table:
    """One segment per occurrence of each directly-follows pair in ``pairs``.

    Returns
    -------
    ibis Table
        ``source``, ``target`` (str), ``case_id`` (str), ``row_nr`` (int64, the source event),
        ``src_us`` (int64, completion of the source event), ``tgt_us`` (int64, start of the target
        event, its completion when it has no start), ``dur_us`` (int64, ``tgt_us - src_us`` clipped at 0).
    """
    p = o.filter(o.next_activity.notnull())
    p = p.select(
        source=p[ACTIVITY],
        target=p.next_activity,
        case_id=p[CASE_ID],
        row_nr=p[ROW_NR],
        src_us=p.t_us,
        tgt_us=p.next_start_us.coalesce(p.next_t_us),
    )
    p = p.filter(_pair_filter(p, pairs))
    return p.mutate(dur_us=non_negative(p.tgt_us - p.src_us))


def spectrum_stats(seg: ir.Table, tolerance_share: float) -> ir.Table:
    """Per transition: occurrences, duration quartiles and the batching tolerance.

    Returns
    -------
    ibis Table
        ``source``, ``target``, ``occurrences`` (int64), ``q1_us``, ``median_us``, ``q3_us`` (float,
        exact quartiles of ``dur_us``), ``tol_us`` (int64: ``tolerance_share`` times the median, rounded
        down to whole µs; 0 when the median is 0, so that instants then coincide only when equal).
    """
    g = seg.group_by(["source", "target"]).aggregate(
        occurrences=seg.count(),
        q1_us=seg.dur_us.quantile(0.25),
        median_us=seg.dur_us.quantile(0.5),
        q3_us=seg.dur_us.quantile(0.75),
    )
    return g.mutate(tol_us=(g.median_us.cast("float64") * float(tolerance_share)).floor().cast("int64"))


def spectrum_indicators(
    seg: ir.Table, tolerances: dict[tuple[str, str], int], *, min_others: int, window: int, seed: int
) -> ir.Table:
    """Per transition: how many occurrences are batched, and how often they overtake each other.

    *Batched*: the target instant has at least ``min_others`` other target instants of the same
    transition within its tolerance (``tolerances``, µs) either side: a range window over the distinct
    target instants weighted by how many occurrences share each. The same count over the source instants
    (``bunched``) is the baseline: arrivals that already come together do not show batching by the step.

    *Overtaking*: in the order of target instants (ties in a neutral order: :func:`sample_key`), each
    occurrence is compared with the next ``window`` ones; a pair is *compared* when both its target and
    its source instants differ, and *overtaking* when the one whose target comes first arrived (source
    instant) later.

    Returns
    -------
    ibis Table
        ``source``, ``target``, ``batched`` (int64, occurrences), ``bunched`` (int64, occurrences whose
        source instant has ``min_others`` others within the tolerance), ``compared_pairs`` and
        ``overtaking_pairs`` (int64).
    """
    parts = []
    for (src, tgt), tol in tolerances.items():
        s = seg.filter((seg.source == src) & (seg.target == tgt))

        def coinciding(col: str, s=s, tol=tol) -> ir.IntegerScalar:
            c = s.group_by(col).aggregate(k=s.count())
            near = c.k.sum().over(ibis.window(order_by=c[col], range=(-int(tol), int(tol))))
            c = c.mutate(near=near)
            return c.aggregate(n=(c.k * (c.near - 1 >= int(min_others)).cast("int64")).sum().fill_null(0))

        w = ibis.window(order_by=[s.tgt_us, sample_key(s[CASE_ID], seed), s[CASE_ID], s[ROW_NR]])
        compared = ibis.literal(0)
        overtaking = ibis.literal(0)
        for d in range(1, int(window) + 1):
            nt, ns = s.tgt_us.lead(d).over(w), s.src_us.lead(d).over(w)
            compared = compared + ((nt > s.tgt_us) & (ns != s.src_us)).fill_null(False).cast("int64")
            overtaking = overtaking + ((nt > s.tgt_us) & (ns < s.src_us)).fill_null(False).cast("int64")
        m = s.mutate(cmp=compared, ovt=overtaking)
        pairs = m.aggregate(
            compared_pairs=m.cmp.sum().fill_null(0), overtaking_pairs=m.ovt.sum().fill_null(0)
        )
        b = coinciding("tgt_us").select(batched="n")
        u = coinciding("src_us").select(bunched="n")
        row = pairs.cross_join(b).cross_join(u)
        parts.append(
            row.select(source=ibis.literal(src), target=ibis.literal(tgt), **{c: row[c] for c in row.columns})
        )
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def spectrum_sample(seg: ir.Table, stats: ir.Table, *, max_lines: int, seed: int) -> ir.Table:
    """At most ``max_lines`` segments per transition, chosen by :func:`sample_key`, with their quartile.

    Returns
    -------
    ibis Table
        ``source``, ``target``, ``case_id``, ``src_us``, ``tgt_us`` (int64), ``duration_hours`` (float),
        ``quartile`` (int64, 1 = the fastest quarter of all occurrences of the transition ... 4 = the
        slowest; bounds inclusive upwards: a duration equal to the median is in quartile 2).
    """
    s = seg.join(stats.select("source", "target", "q1_us", "median_us", "q3_us"), ["source", "target"])
    w = ibis.window(
        group_by=[s.source, s.target], order_by=[sample_key(s[CASE_ID], seed), s[CASE_ID], s[ROW_NR]]
    )
    s = s.mutate(k=ibis.row_number().over(w))
    s = s.filter(s.k < int(max_lines))
    quartile = ibis.cases(
        (s.dur_us <= s.q1_us, 1), (s.dur_us <= s.median_us, 2), (s.dur_us <= s.q3_us, 3), else_=4
    )
    return s.select(
        "source",
        "target",
        CASE_ID,
        "src_us",
        "tgt_us",
        duration_hours=hours(s.dur_us),
        quartile=quartile.cast("int64"),
    )


# --- drift of waiting ------------------------------------------------------------------------------


def month_of(us: ir.IntegerValue) -> ir.TimestampValue:
    """The calendar month (UTC, the backend's session zone) of an instant in µs: its first day."""
    return (us // _US_PER_S).as_timestamp("s").truncate("M")


def waiting_instances(o: ir.Table, activities: list[str]) -> ir.Table:
    """The waits before the given activities, each with the month in which it began.

    Returns
    -------
    ibis Table
        ``activity``, ``case_id`` (str), ``row_nr`` (int64), ``enabled_us`` (int64, the completion of the
        previous event), ``month`` (timestamp: the first day of the calendar month of ``enabled_us``),
        ``waiting_hours`` (float). The first event of a case has no wait and is left out.
    """
    w = o.filter(o[ACTIVITY].isin(activities) & o.wait_us.notnull() & o.enabled_us.notnull())
    return w.select(
        ACTIVITY,
        CASE_ID,
        ROW_NR,
        "enabled_us",
        month=month_of(w.enabled_us),
        waiting_hours=hours(w.wait_us),
    )


def activity_bounds(o: ir.Table, w: ir.Table) -> ir.Table:
    """Per activity of ``w`` (:func:`waiting_instances`): ``waiting_hours_p90`` and ``age_hours_p90``
    (float), the p90 of the waits and of the case's age when the wait began (hours since the case's
    first start or completion)."""
    begin = o.start_us.coalesce(o.t_us)
    starts = o.group_by(CASE_ID).aggregate(case_begin_us=begin.min())
    x = w.join(starts, CASE_ID)
    return x.group_by(ACTIVITY).aggregate(
        waiting_hours_p90=x.waiting_hours.quantile(0.9),
        age_hours_p90=hours(x.enabled_us - x.case_begin_us).quantile(0.9),
    )


def log_span(t: ir.Table) -> ir.Table:
    """One row: ``start_us`` (first start or completion) and ``end_us`` (last completion) of the log."""
    return t.aggregate(start_us=t.start_us.coalesce(t.t_us).min(), end_us=t.t_us.max())


def monthly_waiting(w: ir.Table) -> ir.Table:
    """Per activity and month: ``instances`` (int64), ``waiting_hours_median``, ``waiting_hours_p90``."""
    return w.group_by([ACTIVITY, "month"]).aggregate(
        instances=w.count(),
        waiting_hours_median=w.waiting_hours.median(),
        waiting_hours_p90=w.waiting_hours.quantile(0.9),
    )


def capped_sample(t: ir.Table, by: list[str], *, cap: int, seed: int) -> ir.Table:
    """At most ``cap`` rows of ``t`` per group ``by``, chosen by :func:`sample_key` (then ``row_nr``)."""
    w = ibis.window(
        group_by=[t[c] for c in by], order_by=[sample_key(t[CASE_ID], seed), t[CASE_ID], t[ROW_NR]]
    )
    s = t.mutate(_k=ibis.row_number().over(w))
    return s.filter(s._k < int(cap)).drop("_k")


# --- attribute drivers -------------------------------------------------------------------------------


def text_value(col: ir.Value) -> ir.StringValue:
    """An event-table column as the text pandas gives it (``astype("string")``), missing stays missing.

    Numbers and text cast as in pandas (DuckDB writes floats in their shortest round-trip form, as
    Python does); booleans are written ``True``/``False`` (DuckDB's cast gives lower case).
    """
    if col.type().is_boolean():
        return ibis.cases((col, "True"), (~col, "False"), else_=ibis.null("string"))  # missing stays missing
    return col.cast("string")


def attribute_table(log: EventLog, columns: list[str]) -> ir.Table:
    """The given event-table columns as text: ``(row_nr, a0, a1, ...)``, over :meth:`EventLog.table`.

    Columns are named by their position in ``columns`` (source names may hold any character); values are
    the text pandas gives (:func:`text_value`), missing stays missing. A query, not a stored table: its
    one reader (:func:`case_first_values`) scans it once.
    """
    t = log.table()
    return t.select(
        t[ROW_NR].cast("int64").name(ROW_NR),
        *[text_value(t[c]).name(f"a{i}") for i, c in enumerate(columns)],
    )


def case_first_values(o: ir.Table, attrs: ir.Table, n: int) -> ir.Table:
    """Per case and attribute: its first non-missing value, whether it changes, whether it is there at once.

    Returns
    -------
    ibis Table
        ``case_id`` and for each attribute ``i`` < ``n``: ``f{i}`` (str, the value of the earliest event of
        the case, in the engine's event order, that has one), ``d{i}`` (bool, the case carries more than
        one distinct value: its smallest and largest values differ, cheaper than counting distinct
        values), ``s{i}`` (bool, the case's first event carries a value).
    """
    j = o.select(CASE_ID, ROW_NR, "pos").join(attrs, ROW_NR)
    aggs = {}
    for i in range(n):
        a = j[f"a{i}"]
        aggs[f"f{i}"] = a.argmin(ibis.ifelse(a.notnull(), j.pos, ibis.null("int64")))
        aggs[f"d{i}"] = a.min() != a.max()
        aggs[f"s{i}"] = (a.notnull() & (j.pos == 0)).any()
    return j.group_by(CASE_ID).aggregate(**aggs)


def attribute_profile(f: ir.Table, n: int) -> ir.Table:
    """One row: per attribute ``i``, ``cases{i}`` (cases with a value), ``varying{i}`` (cases with more than
    one value), ``distinct{i}`` (distinct first values), ``nonnumeric{i}`` (first values that are not
    numbers), ``atstart{i}`` (cases whose first event carries a value) and ``datelike{i}`` (first values
    that start with an ISO date, ``YYYY-MM-DD``); all int64."""
    aggs = {}
    for i in range(n):
        v = f[f"f{i}"]
        aggs[f"cases{i}"] = v.count()
        aggs[f"varying{i}"] = f[f"d{i}"].fill_null(False).cast("int64").sum()
        aggs[f"distinct{i}"] = v.nunique()
        aggs[f"nonnumeric{i}"] = (v.notnull() & v.try_cast("float64").isnull()).cast("int64").sum()
        aggs[f"atstart{i}"] = f[f"s{i}"].cast("int64").sum()
        aggs[f"datelike{i}"] = v.re_search(r"^\d{4}-\d{2}-\d{2}").cast("int64").sum().fill_null(0)
    return f.aggregate(**aggs)


def numeric_edges(f: ir.Table, indices: list[int]) -> ir.Table:
    """One row: the 25/50/75 % quantiles (``q25_{i}``, ``q50_{i}``, ``q75_{i}``), ``min_{i}`` and
    ``max_{i}`` of the numeric first values of each attribute in ``indices`` (float)."""
    aggs = {}
    for i in indices:
        x = f[f"f{i}"].try_cast("float64")
        aggs[f"q25_{i}"] = x.quantile(0.25)
        aggs[f"q50_{i}"] = x.quantile(0.5)
        aggs[f"q75_{i}"] = x.quantile(0.75)
        aggs[f"min_{i}"] = x.min()
        aggs[f"max_{i}"] = x.max()
    return f.aggregate(**aggs)


def case_levels(f: ir.Table, levels: dict[str, ir.Value]) -> ir.Table:
    """The long table ``(case_id, attribute, level)``: one row per case with a value, per attribute.

    ``levels`` maps each attribute's name to an expression over ``f`` giving the case's level (text).
    """
    parts = []
    for name, expr in levels.items():
        x = f.select(CASE_ID, attribute=ibis.literal(name), level=expr)
        parts.append(x.filter(x.level.notnull()))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def case_cycle_hours(o: ir.Table, end_activities: list[str] | None = None) -> ir.Table:
    """Per case: ``y`` (float), hours from the first start (or completion) to the last completion.

    With ``end_activities``, only the closed cases (their last activity is one of them): an open case's
    cycle time is cut short by the end of the log.
    """
    begin = o.start_us.coalesce(o.t_us)
    g = o.group_by(CASE_ID).aggregate(b=begin.min(), e=o.t_us.max(), last=o[ACTIVITY].argmax(o.pos))
    if end_activities:
        g = g.filter(g["last"].isin(list(end_activities)))
    return g.select(CASE_ID, y=hours(g.e - g.b))


def case_waiting_hours(o: ir.Table, activity: str | None) -> ir.Table:
    """Per case: ``y`` (float), hours of waiting before ``activity`` (summed over its occurrences), or
    before every step when ``activity`` is None. Cases without such a wait are left out."""
    w = o.filter(o.wait_us.notnull())
    if activity is not None:
        w = w.filter(w[ACTIVITY] == activity)
    g = w.group_by(CASE_ID).aggregate(s=w.wait_us.sum())
    return g.select(CASE_ID, y=hours(g.s))


def level_medians(j: ir.Table) -> ir.Table:
    """Per attribute and level: ``cases`` (int64) and ``median_hours`` (float) of ``y``; and
    ``other_median_hours``, the median of ``y`` over the cases of the attribute's other levels."""
    per = j.group_by(["attribute", "level"]).aggregate(cases=j.count(), median_hours=j.y.median())
    lv = per.select(l_attr="attribute", l_level="level")
    x = j.join(lv, (j.attribute == lv.l_attr) & (j.level != lv.l_level))
    others = x.group_by(attribute=x.attribute, level=x.l_level).aggregate(other_median_hours=x.y.median())
    return per.left_join(others, ["attribute", "level"]).select(
        "attribute", "level", "cases", "median_hours", "other_median_hours"
    )


def sampled_cases(y: ir.Table, *, cap: int, seed: int) -> ir.Table:
    """At most ``cap`` cases of ``y`` (``case_id``, ...), chosen by :func:`sample_key`."""
    w = ibis.window(order_by=[sample_key(y[CASE_ID], seed), y[CASE_ID]])
    s = y.mutate(_k=ibis.row_number().over(w))
    return s.filter(s._k < int(cap)).select(CASE_ID)


# --- SLA breaches --------------------------------------------------------------------------------


def target_overruns(o: ir.Table, targets: ir.Table) -> ir.Table:
    """Per event of a targeted activity: hours from enabling to completion and hours over its target.

    Parameters
    ----------
    targets : ibis Table
        ``activity`` (str), ``target_hours`` (float).

    Returns
    -------
    ibis Table
        ``activity``, ``case_id``, ``row_nr``, ``target_hours``, ``hours`` (float, null for the first
        event of a case: it has no enabling), ``over_hours`` (float, ``hours - target_hours``).
    """
    e = o.select(ACTIVITY, CASE_ID, ROW_NR, "enabled_us", "t_us").join(targets, ACTIVITY)
    h = (e.t_us - e.enabled_us).cast("float64") / US_PER_HOUR
    return e.select(ACTIVITY, CASE_ID, ROW_NR, "target_hours", hours=h, over_hours=h - e.target_hours)


def due_overruns(o: ir.Table, due: ir.Table) -> ir.Table:
    """Per event with a due timestamp: hours by which its completion passed the due time.

    Parameters
    ----------
    due : ibis Table
        ``row_nr`` (int64), ``due_us`` (int64).

    Returns
    -------
    ibis Table
        ``activity``, ``case_id``, ``row_nr``, ``target_hours`` (null), ``hours`` (null),
        ``over_hours`` (float, completion minus due; > 0 is a breach).
    """
    e = o.select(ACTIVITY, CASE_ID, ROW_NR, "t_us").join(due, ROW_NR)
    return e.select(
        ACTIVITY,
        CASE_ID,
        ROW_NR,
        target_hours=ibis.null("float64"),
        hours=ibis.null("float64"),
        over_hours=(e.t_us - e.due_us).cast("float64") / US_PER_HOUR,
    )


def breach_summary(x: ir.Table, *, examples: int) -> ir.Table:
    """Per activity: instances measured, breaches, hours over, and the worst breaching cases.

    Returns
    -------
    ibis Table
        ``activity``, ``instances`` (int64, with a measured duration), ``unmeasured`` (int64),
        ``target_hours`` (float), ``breaches`` (int64, ``over_hours > 0``), ``hours_over_total``,
        ``hours_over_p90`` (float, over the breaches; null without breaches), ``example_cases``
        (array<str>: the cases of the ``examples`` largest overruns, largest first, ties by case id).
    """
    breach = x.over_hours > 0
    w = ibis.window(group_by=x[ACTIVITY], order_by=[ibis.desc(x.over_hours), x[CASE_ID], x[ROW_NR]])
    r = x.mutate(_k=ibis.row_number().over(w), _b=breach.fill_null(False))
    ex = r.filter(r._b & (r._k < int(examples)))
    ex = ex.group_by(ACTIVITY).aggregate(example_cases=ex[CASE_ID].collect(order_by=[ex._k]))
    agg = r.group_by(ACTIVITY).aggregate(
        instances=r.over_hours.count(),
        unmeasured=r.over_hours.isnull().cast("int64").sum(),
        target_hours=r.target_hours.max(),
        breaches=r._b.cast("int64").sum(),
        hours_over_total=r.over_hours.sum(where=r._b),
        hours_over_p90=r.over_hours.quantile(0.9, where=r._b),
    )
    return agg.left_join(ex, ACTIVITY).drop(f"{ACTIVITY}_right")


def case_breaches(x: ir.Table) -> ir.Table:
    """Per case with a due timestamp: ``events_with_due``, ``breaches`` (int64) and ``hours_over_max``
    (float, the largest overrun of the case; negative when every due time was met)."""
    b = (x.over_hours > 0).cast("int64")
    return x.group_by(CASE_ID).aggregate(
        events_with_due=x.count(), breaches=b.sum(), hours_over_max=x.over_hours.max()
    )
