"""Event-level queries of the readiness analysis (Ibis expressions over the engine's tables).

Everything here runs set-based in the log's DuckDB connection and returns compact results: per activity,
per (activity, neighbour), per (activity, month, outcome), per attribute column, or a bounded sample of
decision instances (at most ``max_instances`` per decision point).
"""

from __future__ import annotations

import re
import threading
import weakref

import ibis
import ibis.expr.types as ir
import pandas as pd

from mapper.columns import (
    ACTIVITY,
    CASE_ID,
    NOT_ATTRIBUTES,
    RESOURCE,
    ROW_NR,
)
from mapper.engine import execute, hours
from mapper.log import EventLog

#: At most this many attribute columns are read (those with the most values).
MAX_ATTRIBUTES = 60
#: A numeric attribute of whole numbers reaching this value, with at most ``CODE_MAX_DISTINCT`` values, is
#: a code (a staff number, a department id): compared for equality, not cut at thresholds.
CODE_MIN, CODE_MAX_DISTINCT = 100_000, 100

#: The neighbour of the first event of a case, and the outcome of the last one.
START, END = "<start>", "<end>"


#: Attribute names that describe the whole trace, so they leak where a case goes: a variant or
#: cluster label is computed from the finished trace, and a case id predicts nothing.
LEAKY_NAME = re.compile(r"(?i)variant|cluster|concept:name|(^|[^a-z])id$")

# Per log: the attribute table and its summary, computed once (the engine's tables live as long as the
# log; so do these).
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.RLock()

# Knuth's multiplicative hash: a fixed pseudo-random order of the rows, the same on every run and backend.
_HASH_MUL, _HASH_MOD = 2654435761, 4294967296


def neighbour_counts(o: ir.Table) -> ir.Table:
    """Per activity: how often each activity directly precedes and follows it.

    Returns
    -------
    ibis Table
        ``activity``, ``direction`` (``"pred"`` or ``"succ"``), ``neighbour`` (str; :data:`START` for
        the first event of a case, :data:`END` after the last), ``n`` (int64, events).
    """
    pred = o.mutate(neighbour=o.prev_activity.fill_null(START))
    succ = o.mutate(neighbour=o.next_activity.fill_null(END))
    a = (
        pred.group_by([ACTIVITY, "neighbour"])
        .aggregate(n=pred.count())
        .mutate(direction=ibis.literal("pred"))
    )
    b = (
        succ.group_by([ACTIVITY, "neighbour"])
        .aggregate(n=succ.count())
        .mutate(direction=ibis.literal("succ"))
    )
    return a.union(b).select(ACTIVITY, "direction", "neighbour", "n")


def repeat_cases(o: ir.Table) -> ir.Table:
    """Per activity: in how many cases it is repeated after other work (a loop back), or directly.

    An occurrence after the first whose directly preceding event is another activity is a loop back:
    the case came back to the step (rework). An occurrence directly after itself is a self-repeat
    (several instances in a row: instalments, several documents), counted apart.

    Returns
    -------
    ibis Table
        ``activity``, ``cases`` (int64, cases containing it), ``loop_cases`` (int64), ``self_cases``
        (int64).
    """
    again = o.occurrence > 0
    loop = again & (o.prev_activity != o[ACTIVITY])
    self_rep = again & (o.prev_activity == o[ACTIVITY])
    return o.group_by(ACTIVITY).aggregate(
        cases=o[CASE_ID].nunique(),
        loop_cases=o[CASE_ID].nunique(where=loop),
        self_cases=o[CASE_ID].nunique(where=self_rep),
    )


def lost_cases(
    o: ir.Table, ends: list[str], log_end_us: int, cancel_pattern: str, outcome_pattern: str
) -> ir.Table:
    """Per activity: cases abandoned right after it, and cases cancelled right after it.

    A case is **abandoned** after an activity when that activity is its last event, the case never
    reached an end (no event of the case is an end activity, ``ends``, or an outcome, an activity whose
    name matches ``outcome_pattern``: cancelled, declined, rejected ...), and the log runs on after it
    for longer than the 95th percentile of the time the activity normally waits for its next event: the
    case had time to continue and did not (a case cut by the end of the log is not abandoned). An
    activity never followed by anything has no normal waiting time and no abandoned cases. A case is
    **cancelled** after an activity when the next event is an activity whose name matches
    ``cancel_pattern``. An outcome activity itself is charged with neither: it *is* the outcome.

    Returns
    -------
    ibis Table
        ``activity``, ``abandoned_cases``, ``cancelled_cases`` (int64).
    """
    outcome = o[ACTIVITY].re_search(outcome_pattern)
    is_end = (o[ACTIVITY].isin(ends) | outcome) if ends else outcome
    reached = o.mutate(reached=is_end.fill_null(False).any().over(ibis.window(group_by=o[CASE_ID])))
    step = o.filter(o.next_t_us.notnull())
    gaps = step.group_by(ACTIVITY).aggregate(p95=(step.next_t_us - step.t_us).cast("float64").quantile(0.95))
    last = reached.filter((reached.pos == reached.n_events - 1) & ~reached.reached)
    j = last.join(gaps, ACTIVITY)
    gone = (ibis.literal(int(log_end_us)) - j.t_us).cast("float64") > j.p95
    abandoned = j.group_by(ACTIVITY).aggregate(abandoned_cases=j[CASE_ID].nunique(where=gone))
    canc = o.filter(
        o.next_activity.notnull()
        & o.next_activity.re_search(cancel_pattern)
        & ~o[ACTIVITY].re_search(outcome_pattern)
    )
    cancelled = canc.group_by(ACTIVITY).aggregate(cancelled_cases=canc[CASE_ID].nunique())
    acts = o.select(ACTIVITY).distinct()
    out = acts.left_join(abandoned, ACTIVITY).drop(f"{ACTIVITY}_right")
    out = out.left_join(cancelled, ACTIVITY).drop(f"{ACTIVITY}_right")
    return out.select(
        ACTIVITY,
        abandoned_cases=out.abandoned_cases.fill_null(0),
        cancelled_cases=out.cancelled_cases.fill_null(0),
    )


def monthly_flow(o: ir.Table) -> ir.Table:
    """Per activity, calendar month (UTC, of the completion) and outcome: how many events.

    Returns
    -------
    ibis Table
        ``activity``, ``month`` (str ``YYYY-MM``), ``outcome`` (the next activity, or :data:`END`),
        ``n`` (int64).
    """
    m = o.mutate(
        month=(o.t_us // 1_000_000).as_timestamp("s").truncate("M").strftime("%Y-%m"),
        outcome=o.next_activity.fill_null(END),
    )
    return m.group_by([ACTIVITY, "month", "outcome"]).aggregate(n=m.count())


def performer_counts(o: ir.Table) -> ir.Table:
    """Per (activity, resource): events done (events without a resource left out).

    Returns
    -------
    ibis Table
        ``activity``, ``resource`` (str), ``n`` (int64).
    """
    r = o.filter(o[RESOURCE].notnull())
    return r.group_by([ACTIVITY, RESOURCE]).aggregate(n=r.count())


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


def distinct_counts(t: ir.Table, columns: list[str]) -> ir.Table:
    """The number of distinct non-missing values of each of ``columns``.

    Returns
    -------
    ibis Table
        A single row: one int64 column per entry of ``columns`` (same name).
    """
    return t.aggregate(**{c: t[c].nunique() for c in columns})


# --- Attributes -----------------------------------------------------------------------------------


def attribute_names(log: EventLog) -> dict[str, str]:
    """The case and event attributes of ``log`` usable by the engine: engine name -> column name.

    Every column of the event table that is not canonical (:data:`mapper.columns.NOT_ATTRIBUTES`) and
    does not hold timestamps (a date predicts through the calendar, which a gateway condition should
    not) gets an engine name ``a0``, ``a1``, ... in column order; at most :data:`MAX_ATTRIBUTES` of
    them, those with the most values (a log that spreads a list over numbered columns,
    ``RequestedAmount_0`` ... ``RequestedAmount_14``, has columns too sparse to carry a rule for most
    instances). Read from the engine's table (:meth:`mapper.EventLog.table`): its schema, and one
    count per column when there are too many.
    """
    t = log.table()
    schema = t.schema()
    names = [c for c in log.columns if c not in NOT_ATTRIBUTES and not schema[c].is_timestamp()]
    if len(names) > MAX_ATTRIBUTES:
        counts = execute(
            t.aggregate(**{f"n{i}": has_value(t[c]).cast("int64").sum() for i, c in enumerate(names)})
        )
        filled = {c: int(counts.iloc[0][f"n{i}"]) for i, c in enumerate(names)}
        keep = set(sorted(names, key=lambda c: (-filled[c], names.index(c)))[:MAX_ATTRIBUTES])
        names = [c for c in names if c in keep]
    return {f"a{i}": c for i, c in enumerate(names)}


def has_value(col: ir.Column) -> ir.BooleanValue:
    """Whether an event carries a value in ``col``: not missing (a float NaN is missing, as in pandas)."""
    present = col.notnull()
    if col.type().is_floating():
        present = present & ~col.isnan()
    return present


def attribute_table(log: EventLog) -> ir.Table:
    """The attributes of every event, stored once per log in its DuckDB connection.

    Returns
    -------
    ibis Table
        ``row_nr`` (int64) and one column per :func:`attribute_names` entry: float64 for numeric
        columns, string otherwise (booleans and mixed values as their text).
    """
    with _LOCK:
        memo = _CACHE.setdefault(log, {})
        if "table" not in memo:
            memo["table"] = _attribute_table(log)
        return memo["table"]


def _attribute_table(log: EventLog) -> ir.Table:
    tables = log.tables()
    t = log.table()
    cols = {ROW_NR: t[ROW_NR].cast("int64")}
    for a, c in attribute_names(log).items():
        col = t[c]
        kind = col.type()
        if kind.is_boolean():  # as pandas writes them: True / False
            cols[a] = ibis.cases((col, "True"), (~col, "False"), else_=ibis.null("string"))
        elif kind.is_numeric():
            x = col.cast("float64")
            cols[a] = ibis.cases((x.isnan(), ibis.null("float64")), else_=x) if kind.is_floating() else x
        else:
            cols[a] = col.cast("string")
    return tables.materialise("attributes", t.select(**cols))


def attribute_summary(log: EventLog) -> pd.DataFrame:
    """What each attribute column holds, to choose decision features and detect free text.

    Returns
    -------
    pandas.DataFrame
        One row per :func:`attribute_names` entry: ``engine`` (str, ``a0``...), ``name`` (str),
        ``numeric`` (bool: float column, or at least 95 % of the values read as numbers), ``date``
        (bool: text of which at least 95 % reads as a date or a timestamp), ``code``
        (bool: a number that is a code, not a quantity: whole numbers, some of six digits or more, with
        at most 100 distinct values, such as a resource's staff number),
        ``values`` (int64, events with a value), ``distinct`` (int64), ``mean_length``,
        ``mean_spaces`` (float, of the text), ``case_constant`` (float: share of the cases with a
        value in which it has one value only), ``cases_with_value`` (int64), ``step_constant``
        (float: share of the events with a value whose activity always has the same value),
        ``step_lambda`` (float: Goodman & Kruskal's lambda of the value given the activity, for
        non-numeric attributes that vary within cases; NaN otherwise).
    """
    with _LOCK:
        memo = _CACHE.setdefault(log, {})
        if "summary" not in memo:
            memo["summary"] = _attribute_summary(log)
        return memo["summary"].copy()


def _attribute_summary(log: EventLog) -> pd.DataFrame:
    names = attribute_names(log)
    columns = [
        "engine",
        "name",
        "numeric",
        "date",
        "code",
        "values",
        "distinct",
        "mean_length",
        "mean_spaces",
        "case_constant",
        "cases_with_value",
        "step_constant",
        "step_lambda",
    ]
    if not names:
        return pd.DataFrame(columns=columns)
    tables = log.tables()
    at = attribute_table(log)
    ev = tables.events.select(ROW_NR, CASE_ID, ACTIVITY).join(at, ROW_NR)
    aggs = {}
    for a in names:
        col = ev[a]
        aggs[f"{a}__values"] = col.count()
        # HyperLogLog: the distinct count only feeds thresholds (identifier, constant), and the exact
        # count over hundreds of columns dominated the run time on wide logs.
        aggs[f"{a}__distinct"] = col.approx_nunique()
        x = col.try_cast("float64") if col.type().is_string() else col.cast("float64")
        aggs[f"{a}__num"] = x.count()
        aggs[f"{a}__max"] = x.max()
        aggs[f"{a}__frac"] = (x - x.floor()).abs().max()
        if col.type().is_string():
            aggs[f"{a}__date"] = col.try_cast("timestamp").count()
            aggs[f"{a}__len"] = col.length().cast("float64").mean()
            aggs[f"{a}__spaces"] = (col.length() - col.replace(" ", "").length()).cast("float64").mean()
        else:
            aggs[f"{a}__date"] = ibis.literal(0, "int64")
            aggs[f"{a}__len"] = ibis.literal(None, "float64")
            aggs[f"{a}__spaces"] = ibis.literal(None, "float64")
    basic = execute(ev.aggregate(**aggs)).iloc[0]
    # One value within a case (an activity) is min == max over its non-missing values: cheaper than a
    # distinct count.
    per_case = ev.group_by(CASE_ID).aggregate(
        **{f"{a}__lo": ev[a].min() for a in names}, **{f"{a}__hi": ev[a].max() for a in names}
    )
    case = execute(
        per_case.aggregate(
            **{
                f"{a}__const": (per_case[f"{a}__lo"] == per_case[f"{a}__hi"])
                .fill_null(False)
                .cast("int64")
                .sum()
                for a in names
            },
            **{f"{a}__cases": per_case[f"{a}__lo"].count() for a in names},
        )
    ).iloc[0]
    per_act = ev.group_by(ACTIVITY).aggregate(
        **{f"{a}__lo": ev[a].min() for a in names},
        **{f"{a}__hi": ev[a].max() for a in names},
        **{f"{a}__v": ev[a].count() for a in names},
    )
    step = execute(
        per_act.aggregate(
            **{
                f"{a}__fixed": ibis.ifelse(
                    (per_act[f"{a}__lo"] == per_act[f"{a}__hi"]).fill_null(True), per_act[f"{a}__v"], 0
                ).sum()
                for a in names
            }
        )
    ).iloc[0]
    rows = []
    for a, name in names.items():
        values = int(basic[f"{a}__values"])
        cases = int(case[f"{a}__cases"])
        rows.append(
            {
                "engine": a,
                "name": name,
                "numeric": bool(values and basic[f"{a}__num"] >= 0.95 * values),
                "date": bool(values and basic[f"{a}__date"] >= 0.95 * values),
                "code": bool(
                    values
                    and basic[f"{a}__num"] >= 0.95 * values
                    and basic[f"{a}__frac"] == 0
                    and basic[f"{a}__max"] >= CODE_MIN
                    and basic[f"{a}__distinct"] <= CODE_MAX_DISTINCT
                ),
                "values": values,
                "distinct": int(basic[f"{a}__distinct"]),
                "mean_length": float(basic[f"{a}__len"]) if pd.notna(basic[f"{a}__len"]) else float("nan"),
                "mean_spaces": float(basic[f"{a}__spaces"])
                if pd.notna(basic[f"{a}__spaces"])
                else float("nan"),
                "case_constant": float(case[f"{a}__const"]) / cases if cases else float("nan"),
                "cases_with_value": cases,
                "step_constant": float(step[f"{a}__fixed"]) / values if values else float("nan"),
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in columns if c != "step_lambda"])
    # Goodman-Kruskal lambda of the value given the activity, for the attributes that vary within cases
    # and are not numbers (a case attribute cannot describe a step; a number rarely names one).
    todo = out[(out["case_constant"] < 0.99) & ~out["numeric"] & (out["distinct"] > 2)]["engine"].tolist()
    out["step_lambda"] = out["engine"].map(_step_lambda(ev, todo)).astype("float64")
    return out[columns]


def _step_lambda(ev: ir.Table, engines: list[str]) -> dict[str, float]:
    """Goodman & Kruskal's lambda: how much knowing the activity reduces the error of guessing the value.

    ``lambda = (sum over activities of the count of its most common value - the count of the most common
    value overall) / (values - the count of the most common value overall)``: 0 when the activity tells
    nothing about the value, 1 when it fixes it (the value names the step: its code, a translation).
    """
    if not engines:
        return {}
    long = None
    for a in engines:
        part = ev.filter(ev[a].notnull()).select(
            col=ibis.literal(a), act=ev[ACTIVITY], val=ev[a].cast("string")
        )
        long = part if long is None else long.union(part, distinct=False)
    pairs = long.group_by(["col", "act", "val"]).aggregate(n=long.count())
    per_act = pairs.group_by(["col", "act"]).aggregate(top=pairs.n.max(), tot=pairs.n.sum())
    by_act = per_act.group_by("col").aggregate(top=per_act.top.sum(), tot=per_act.tot.sum())
    per_val = pairs.group_by(["col", "val"]).aggregate(n=pairs.n.sum())
    overall = per_val.group_by("col").aggregate(mode=per_val.n.max())
    j = execute(by_act.join(overall, "col"))
    den = j["tot"] - j["mode"]
    lam = ((j["top"] - j["mode"]) / den.where(den > 0)).fillna(0.0)
    return dict(zip(j["col"], lam, strict=True))


def text_presence(log: EventLog, text_columns: list[str]) -> ir.Table:
    """Per activity: events carrying free text (a value in any of ``text_columns``, engine names).

    Returns
    -------
    ibis Table
        ``activity``, ``text_events`` (int64).
    """
    tables = log.tables()
    at = attribute_table(log)
    ev = tables.events.select(ROW_NR, ACTIVITY).join(at.select(ROW_NR, *text_columns), ROW_NR)
    has = ibis.literal(False)
    for c in text_columns:
        has = has | ev[c].notnull()
    return ev.group_by(ACTIVITY).aggregate(text_events=has.cast("int64").sum())


def decision_instances(
    log: EventLog,
    activities: list[str],
    case_features: list[str],
    event_features: list[str],
    max_instances: int,
) -> ir.Table:
    """One row per instance of each decision point, with what was known before it and where it went.

    Case features take the case's value (constant within the case). Event features take the last
    value recorded on an earlier event of the same case (strictly before the instance: the
    instance's own attributes are written when it completes, and may hold the decision itself).
    Above ``max_instances`` instances of one activity, a deterministic sample is kept: the instances
    first in a fixed pseudo-random order of their row numbers (Knuth's multiplicative hash), the
    same on every run.

    Returns
    -------
    ibis Table
        ``activity``, ``case_id``, ``row_nr``, ``outcome`` (next activity, or :data:`END`),
        ``times_before`` (int64: earlier occurrences of the activity in the case), ``wait_hours``
        (float: waiting before the instance; null for the first event of a case), and one column per
        feature (engine names).
    """
    tables = log.tables()
    o = tables.ordered
    at = attribute_table(log)
    feats = list(case_features) + list(event_features)
    # The sample first (cheap), then the windows only over the cases it touches.
    inst = o.filter(o[ACTIVITY].isin(activities))
    key = (inst[ROW_NR] * _HASH_MUL) % _HASH_MOD
    inst = inst.mutate(
        k=ibis.row_number().over(ibis.window(group_by=inst[ACTIVITY], order_by=[key, inst[ROW_NR]]))
    )
    sampled = inst.filter(inst.k < max_instances).select(s_row=inst[ROW_NR], s_case=inst[CASE_ID])
    cases = sampled.select(s_case=sampled.s_case).distinct()
    events = o.semi_join(cases, o[CASE_ID] == cases.s_case)
    base = events.select(CASE_ID, ACTIVITY, ROW_NR, "pos", "occurrence", "next_activity", "wait_us").join(
        at.select(ROW_NR, *feats), ROW_NR
    )
    if case_features:
        wc = ibis.window(group_by=base[CASE_ID])
        base = base.mutate(**{c: base[c].max().over(wc) for c in case_features})
    if event_features:
        upto = ibis.window(group_by=base[CASE_ID], order_by=base.pos, rows=(None, 0))
        base = base.mutate(**{f"g__{c}": base[c].count().over(upto) for c in event_features})
        base = base.mutate(
            **{
                f"f__{c}": base[c]
                .first()
                .over(ibis.window(group_by=[base[CASE_ID], base[f"g__{c}"]], order_by=base.pos))
                for c in event_features
            }
        )
        prev = ibis.window(group_by=base[CASE_ID], order_by=base.pos)
        base = base.mutate(**{c: base[f"f__{c}"].lag().over(prev) for c in event_features})
    sel = base.semi_join(sampled, base[ROW_NR] == sampled.s_row)
    return sel.select(
        ACTIVITY,
        CASE_ID,
        ROW_NR,
        outcome=sel.next_activity.fill_null(END),
        times_before=sel.occurrence.cast("int64"),
        wait_hours=hours(sel.wait_us),
        **{c: sel[c] for c in feats},
    )
