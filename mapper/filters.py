"""Log filters applied before analysis: time frame, attribute values, variants, case duration.

The filters of Disco, Apromore and pm4py, as one function: :func:`filter_log` returns a new
:class:`~mapper.log.EventLog` holding the kept rows of the event table, with a description of every
filter applied (``log.filters``), so that findings, report and app say what was analysed.
:func:`filter_bounds`, :func:`attribute_columns` and :func:`attribute_values` give the ranges and the
values the pickers of the app offer.

The selection runs as set-based queries in the log's engine (:mod:`mapper.engine`); pandas only
receives the row numbers kept.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from mapper.columns import ACTIVITY, CASE_ID, RESOURCE, ROLE, ROW_NR, SOURCE_SYSTEM
from mapper.discovery import discover_variants
from mapper.engine import EngineTables, case_traces, engine_text, execute, hours
from mapper.engine import variants as variants_query
from mapper.errors import AnalysisError
from mapper.log import EventLog

TimeMode = Literal["intersecting", "contained", "started", "completed", "trim"]
AttributeMode = Literal["cases", "exclude", "events"]
TimeBound = pd.Timestamp | datetime | str | None

TIME_MODES = ("intersecting", "contained", "started", "completed", "trim")
ATTRIBUTE_MODES = ("cases", "exclude", "events")

#: Columns the engine's narrow event table already holds as text; any other column is registered on
#: first use as its own narrow table (see :func:`_attribute_table`).
_ENGINE_TEXT_COLUMNS = (CASE_ID, ACTIVITY, RESOURCE, ROLE, SOURCE_SYSTEM)
#: How the descriptions name each time mode.
_TIME_WORDS = {
    "intersecting": "cases intersecting",
    "contained": "cases contained in",
    "started": "cases started in",
    "completed": "cases completed in",
    "trim": "events completed in",
}
_ATTRIBUTE_WORDS = {"cases": "cases with", "exclude": "cases without", "events": "events"}
#: Descriptions list at most this many values or variant numbers, then say how many more.
_LIST_AT_MOST = 10


def filter_log(
    log: EventLog,
    *,
    time_range: tuple[TimeBound, TimeBound] | None = None,
    time_mode: TimeMode = "intersecting",
    attributes: Mapping[str, Iterable[object]] | None = None,
    attribute_mode: AttributeMode = "cases",
    variants: Iterable[int] | None = None,
    case_hours: tuple[float | None, float | None] | None = None,
) -> EventLog:
    """Keep the cases (or events) of ``log`` that pass the given filters.

    The filters apply in this fixed order, each to what the previous ones kept:

    1. **time** (``time_range``, ``time_mode``);
    2. **attributes** (``attributes``, ``attribute_mode``);
    3. **variants** (``variants``), numbered on ``log`` as given, before any filter of this call;
    4. **case duration** (``case_hours``), measured on the events still kept.

    Filters left at ``None`` (or empty) are not applied. Every bound is inclusive.

    Parameters
    ----------
    log : EventLog
    time_range : (start, end), optional
        Each a ``pandas.Timestamp``, ``datetime``, ISO 8601 string, or ``None`` for an open end.
        Values without a zone are taken in ``log.timezone``.
    time_mode : {"intersecting", "contained", "started", "completed", "trim"}
        Which cases the time frame keeps, by their span (from their first start, or completion when no
        start is known, to their last completion): those whose span overlaps the range, lies fully
        inside it, starts in it, or ends in it. ``"trim"`` keeps, of every case, only the events whose
        completion lies in the range.
    attributes : dict of str to list, optional
        Column of ``log.events`` -> the values to match, compared as text (``str(value)``; a single
        string counts as one value; missing values never match). Any column works: ``activity``,
        ``resource``, ``role``, or an attribute of the source such as ``"vehicleClass"``. Values of
        one column are alternatives (OR); the columns must all match (AND). Columns given an empty
        list are ignored.
    attribute_mode : {"cases", "exclude", "events"}
        ``"cases"``: keep the cases in which, for every column, at least one event has one of its values
        (the columns may be matched by different events, so a case attribute recorded on one event
        combines with an activity; as chaining Disco's *Mandatory* or pm4py's case-level attribute
        filters). ``"exclude"``: drop exactly those cases, keep the rest (Disco's *Forbidden*).
        ``"events"``: keep only the events whose value matches in every column (Disco's *Keep
        selected*); cases left without events disappear.
    variants : list of int, optional
        Variant numbers as :func:`mapper.discover_variants` numbers them on ``log`` (column
        ``variant``, 1 = most frequent). A case keeps the variant it has in ``log`` even when an earlier
        filter of the same call trimmed its events.
    case_hours : (min, max), optional
        Cycle time bounds in hours, either ``None`` for an open end; the cycle time is the hours from
        the case's first start (or completion) to its last completion, as in
        :func:`mapper.engine.case_traces`, over the events kept by the earlier filters.

    Returns
    -------
    EventLog
        A new log with the kept rows of ``log.events`` in their original order, with their dtypes, and
        a fresh index; the same ``source``, ``mapping``, ``quality`` and ``timezone``; ``filters`` =
        ``log.filters`` followed by one description per filter applied (e.g. ``"cases intersecting
        2024-01-01 00:00 UTC – 2024-03-31 00:00 UTC"``, ``"activity in {A, B} (cases with)"``,
        ``"variants 1, 2, 3"``, ``"cycle time 2.0–48.0 hours"``). ``log`` itself when no filter is
        given. ``log`` is never changed.

    Raises
    ------
    AnalysisError
        When an argument is invalid: an unknown ``time_mode`` or ``attribute_mode``; a time bound that
        is not a time, or a start after the end; an attribute column ``log.events`` does not have
        (the message lists those it has); variant numbers the log does not have (the message gives the
        valid range); negative, non-numeric or reversed ``case_hours``. And when no case is left: the
        message lists the filters applied.

    See Also
    --------
    filter_bounds : the time and cycle-time range of a log, for sliders.
    attribute_columns, attribute_values : the columns and values worth offering as value filters.

    References
    ----------
    Fluxicon, *Disco User's Guide*, "Filtering": the Timeframe filter (contained, intersecting,
    started, completed, trim), the Attributes filter (keep selected, mandatory, forbidden), the
    Variation and Performance (case duration) filters. pm4py documentation,
    ``pm4py.filter_time_range`` (modes ``traces_intersecting``, ``traces_contained``, ``events``),
    ``pm4py.filter_event_attribute_values`` (``level="case"`` / ``"event"``, ``retain``),
    ``pm4py.filter_variants``, ``pm4py.filter_case_performance``. Janssenswillen et al. (2019),
    "bupaR: Enabling reproducible business process analysis", Knowledge-Based Systems 163
    (edeaR's ``filter_time_period`` with the same five methods).

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> spring = filter_log(log, time_range=("2025-03-01", "2025-05-31"), variants=[1, 2])
    >>> spring.filters
    ('cases intersecting 2025-03-01 00:00 UTC – 2025-05-31 00:00 UTC', 'variants 1, 2')
    """
    if time_mode not in TIME_MODES:
        raise AnalysisError(
            f"`time_mode` must be one of {', '.join(map(repr, TIME_MODES))}, not {time_mode!r}."
        )
    if attribute_mode not in ATTRIBUTE_MODES:
        raise AnalysisError(
            f"`attribute_mode` must be one of {', '.join(map(repr, ATTRIBUTE_MODES))}, "
            f"not {attribute_mode!r}."
        )
    window = _time_window(log, time_range)
    attrs = _attribute_lists(log, attributes)
    wanted = _variant_numbers(log, variants)
    duration = _hours_bounds(case_hours)
    if window is None and not attrs and wanted is None and duration is None:
        return log

    tables = log.tables()
    kept = tables.events
    described: list[str] = []
    if window is not None:
        kept = _filter_time(kept, window, time_mode)
        described.append(f"{_TIME_WORDS[time_mode]} {_describe_window(log, window)}")
    if attrs:
        kept = _filter_attributes(tables, log, kept, attrs, attribute_mode)
        described.append(
            " and ".join(f"{col} in {{{_listing(vals)}}}" for col, vals in attrs.items())
            + f" ({_ATTRIBUTE_WORDS[attribute_mode]})"
        )
    if wanted is not None:
        cv = _case_variants(tables, log)
        kept = kept.semi_join(cv.filter(cv.variant.isin(wanted)).select(CASE_ID), CASE_ID)
        described.append(("variant " if len(wanted) == 1 else "variants ") + _listing(map(str, wanted)))
    if duration is not None:
        kept = _filter_duration(kept, duration)
        described.append(_describe_hours(duration))

    full = log.table()
    kept = full.semi_join(kept.select(ROW_NR), ROW_NR)
    derived = log.derive(kept, filters=(*log.filters, *described))
    if derived.n_events == 0:
        earlier = f" (after the earlier filters: {'; '.join(log.filters)})" if log.filters else ""
        raise AnalysisError(
            f"No case of {log.source} is left after the filters {'; '.join(described)}{earlier}. "
            "Widen them: a longer time range, more attribute values or variants, or wider case hours."
        )
    return derived


def filter_bounds(log: EventLog) -> dict:
    """The time and cycle-time range of ``log``: the bounds of the sliders of :func:`filter_log`.

    Parameters
    ----------
    log : EventLog

    Returns
    -------
    dict
        ``start`` (``pandas.Timestamp``, UTC: the earliest start, or completion when no start is known,
        of any event), ``end`` (``pandas.Timestamp``, UTC: the latest completion), ``case_hours_min`` and
        ``case_hours_max`` (float, hours: the shortest and longest cycle time of a case, as
        ``case_hours`` of :func:`filter_log` measures it).
    """
    b = log.tables().result("filter_bounds", _bounds).iloc[0]
    to_ts = lambda us: pd.Timestamp(int(us), unit="us", tz="UTC")  # noqa: E731
    return {
        "start": to_ts(b.start_us),
        "end": to_ts(b.end_us),
        "case_hours_min": float(b.case_hours_min),
        "case_hours_max": float(b.case_hours_max),
    }


def attribute_columns(log: EventLog, *, max_values: int = 200) -> pd.DataFrame:
    """The columns of ``log`` worth a value filter: those with few distinct values.

    Parameters
    ----------
    log : EventLog
    max_values : int, default 200
        Keep columns with at most this many distinct values (as text).

    Returns
    -------
    pandas.DataFrame
        One row per column, in the order of ``log.events``: ``column`` (str), ``distinct`` (int64,
        distinct non-missing values, at least 1), ``events_with_value`` (int64, events where the column
        is not missing). Timestamp columns, ``row_nr`` and ``case_id`` are left out, and so are columns
        that are always missing.

    Raises
    ------
    AnalysisError
        When ``max_values`` is not a positive integer.
    """
    if not isinstance(max_values, numbers.Integral) or max_values < 1:
        raise AnalysisError(f"max_values must be a positive integer, not {max_values!r}.")
    schema = log.table().schema()
    candidates = [c for c in log.columns if c not in (ROW_NR, CASE_ID) and not schema[c].is_timestamp()]
    out = pd.DataFrame(
        {
            "column": pd.Series(dtype="object"),
            "distinct": pd.Series(dtype="int64"),
            "events_with_value": pd.Series(dtype="int64"),
        }
    )
    if not candidates:
        return out
    tables = log.tables()
    parts = []
    for c in candidates:
        t, value = _value_table(tables, log, c)
        parts.append(
            t.aggregate(
                column=ibis.literal(c),
                distinct=t[value].nunique().cast("int64"),
                events_with_value=t[value].count().cast("int64"),
            )
        )
    counts = execute(ibis.union(*parts) if len(parts) > 1 else parts[0])
    counts = counts.set_index("column").reindex(candidates)  # union order is not guaranteed
    counts = counts[(counts["distinct"] >= 1) & (counts["distinct"] <= max_values)]
    out = counts.rename_axis("column").reset_index()
    return out.astype({"column": "object", "distinct": "int64", "events_with_value": "int64"})


def attribute_values(log: EventLog, column: str, *, top: int | None = None) -> pd.DataFrame:
    """The values of one column with how many events and cases have them: the options of a value filter.

    Parameters
    ----------
    log : EventLog
    column : str
        Any column of ``log.events``.
    top : int, optional
        Return only the ``top`` values with the most cases.

    Returns
    -------
    pandas.DataFrame
        One row per distinct non-missing value, the value in most cases first (ties by value):
        ``value`` (str, the value as text, as :func:`filter_log` compares it), ``events`` (int64),
        ``cases`` (int64, distinct cases with at least one such event).

    Raises
    ------
    AnalysisError
        When ``log.events`` has no column ``column`` (the message lists those it has), or ``top`` is not
        a positive integer.
    """
    _check_column(log, column)
    if top is not None and (not isinstance(top, numbers.Integral) or top < 1):
        raise AnalysisError(f"top must be a positive integer or None, not {top!r}.")
    t, value = _value_table(log.tables(), log, column)
    t = t.filter(t[value].notnull())
    q = t.group_by(value=t[value]).aggregate(
        events=t.count().cast("int64"), cases=t[CASE_ID].nunique().cast("int64")
    )
    q = q.order_by([ibis.desc("cases"), "value"])
    if top is not None:
        q = q.limit(int(top))
    out = execute(q)
    return out.astype({"value": "object", "events": "int64", "cases": "int64"}).reset_index(drop=True)


# --- argument checks -------------------------------------------------------------------------------


def _time_window(log: EventLog, time_range) -> tuple[int | None, int | None] | None:
    """``time_range`` as (start, end) in µs since the epoch (UTC), or None when not given."""
    if time_range is None:
        return None
    pair = _pair(time_range)
    if pair is None:
        raise AnalysisError(
            f"`time_range` must be a pair (start, end), each a timestamp, an ISO 8601 string or None; "
            f"got {time_range!r}."
        )
    start, end = (_to_us(log, v, which) for v, which in zip(pair, ("start", "end"), strict=True))
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        raise AnalysisError(
            f"`time_range` starts after it ends ({pair[0]!s} > {pair[1]!s}); give the earlier time first."
        )
    return start, end


def _pair(value) -> tuple | None:
    """``value`` as a 2-tuple, or None when it is not a pair (a string is not a pair)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return None
    pair = tuple(value)
    return pair if len(pair) == 2 else None


def _to_us(log: EventLog, value, which: str) -> int | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    try:
        ts = pd.Timestamp(value)
        if ts.tzinfo is None:
            ts = ts.tz_localize(log.timezone)
        ts = ts.tz_convert("UTC")
    except (ValueError, TypeError, OverflowError) as exc:
        raise AnalysisError(
            f"The {which} of `time_range`, {value!r}, is not a time ({exc}); give a pandas.Timestamp, a "
            f"datetime or an ISO 8601 string such as '2024-01-31' or '2024-01-31T17:00'."
        ) from None
    return ts.value // 1000


def _check_column(log: EventLog, column) -> None:
    if column not in log.columns:
        have = ", ".join(map(str, log.columns))
        raise AnalysisError(f"{log.source} has no column {column!r}; the columns are: {have}.")


def _attribute_lists(log: EventLog, attributes) -> dict[str, list[str]]:
    """``attributes`` with every value as text, de-duplicated in the order given; empty lists dropped."""
    if attributes is None:
        return {}
    if not isinstance(attributes, Mapping):
        raise AnalysisError(
            f"`attributes` must be a dict of column -> list of values, e.g. {{'activity': ['A', 'B']}}; "
            f"got {type(attributes).__name__}."
        )
    out: dict[str, list[str]] = {}
    for column, values in attributes.items():
        _check_column(log, column)
        if values is None:
            continue
        vals = [values] if isinstance(values, str) or not isinstance(values, Iterable) else values
        texts = list(dict.fromkeys(str(v) for v in vals))
        if texts:
            out[column] = texts
    return out


def _variant_numbers(log: EventLog, variants) -> list[int] | None:
    if variants is None:
        return None
    if isinstance(variants, numbers.Integral):
        variants = [variants]
    bad_type = [v for v in variants if not isinstance(v, numbers.Integral) or isinstance(v, bool)]
    if bad_type:
        raise AnalysisError(
            f"`variants` must be variant numbers (int) as discover_variants numbers them; got {bad_type!r}."
        )
    wanted = sorted({int(v) for v in variants})
    if not wanted:
        return None
    n = len(log.tables().result("variants", variants_query))  # the table discover_variants numbers
    unknown = [v for v in wanted if not 1 <= v <= n]
    if unknown:
        raise AnalysisError(
            f"{log.source} has no variant {', '.join(map(str, unknown))}: its variants are numbered 1–{n} "
            "(see discover_variants)."
        )
    return wanted


def _hours_bounds(case_hours) -> tuple[float | None, float | None] | None:
    if case_hours is None:
        return None
    pair = _pair(case_hours)
    if pair is None:
        raise AnalysisError(
            f"`case_hours` must be a pair (min, max) of hours, either of them None; got {case_hours!r}."
        )
    bounds = []
    for v, which in zip(pair, ("min", "max"), strict=True):
        if v is None:
            bounds.append(None)
            continue
        if not isinstance(v, numbers.Real) or isinstance(v, bool) or np.isnan(v):
            raise AnalysisError(f"The {which} of `case_hours` must be a number of hours or None; got {v!r}.")
        if v < 0:
            raise AnalysisError(
                f"The {which} of `case_hours` is negative ({v}); cycle times are at least 0 hours."
            )
        bounds.append(float(v))
    lo, hi = bounds
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None and lo > hi:
        raise AnalysisError(f"`case_hours` has min {lo} above max {hi}; give the smaller number first.")
    return lo, hi


# --- the queries ---------------------------------------------------------------------------------


def _case_spans(t: ir.Table) -> ir.Table:
    """Per case: ``first_us`` (earliest start, or completion) and ``last_us`` (latest completion)."""
    return t.group_by(CASE_ID).aggregate(first_us=t.start_us.coalesce(t.t_us).min(), last_us=t.t_us.max())


def _filter_time(t: ir.Table, window: tuple[int | None, int | None], mode: str) -> ir.Table:
    lo, hi = window

    def inside(x: ir.IntegerValue) -> ir.BooleanValue:
        conds = ([x >= lo] if lo is not None else []) + ([x <= hi] if hi is not None else [])
        return ibis.and_(*conds)

    if mode == "trim":
        return t.filter(inside(t.t_us))
    s = _case_spans(t)
    if mode == "intersecting":
        keep = ibis.and_(
            *([s.last_us >= lo] if lo is not None else []), *([s.first_us <= hi] if hi is not None else [])
        )
    elif mode == "contained":
        keep = inside(s.first_us) & inside(s.last_us)
    elif mode == "started":
        keep = inside(s.first_us)
    else:  # completed
        keep = inside(s.last_us)
    return t.semi_join(s.filter(keep).select(CASE_ID), CASE_ID)


def _value_table(tables: EngineTables, log: EventLog, column: str) -> tuple[ir.Table, str]:
    """A table with ``case_id``, ``row_nr`` and the column's value as text, and the name of that column."""
    if column in _ENGINE_TEXT_COLUMNS:
        return tables.events, column
    return _attribute_table(tables, log, column), "value"


def _attribute_table(tables: EngineTables, log: EventLog, column: str) -> ir.Table:
    """Register ``column`` as a narrow temp table ``(case_id, row_nr, value)`` in the log's connection.

    Only the events where the column is not missing are stored; the value is the text pandas gives
    (``astype("string")``), the same text the engine holds for ``resource`` and ``role``.
    """
    t = log.table()
    narrow = t.select(
        **{CASE_ID: t[CASE_ID].cast("string"), ROW_NR: t[ROW_NR], "value": engine_text(t[column])}
    )
    # Named by position: column names may hold any character.
    return tables.materialise(f"attribute_{log.columns.index(column)}", narrow.filter(narrow.value.notnull()))


def _filter_attributes(
    tables: EngineTables, log: EventLog, t: ir.Table, attrs: dict[str, list[str]], mode: str
) -> ir.Table:

    def matching(x: ir.Table, column: str, values: list[str]) -> ir.Table:
        """The events of ``x`` whose value in ``column`` is one of ``values``."""
        if column in _ENGINE_TEXT_COLUMNS:
            return x.filter(x[column].isin(values))
        a = _attribute_table(tables, log, column)
        return x.semi_join(a.filter(a.value.isin(values)).select(ROW_NR), ROW_NR)

    if mode == "events":  # every column must match on the event itself
        for column, values in attrs.items():
            t = matching(t, column, values)
        return t
    # every column must match on some event of the case, not necessarily the same one
    matches = [matching(t, column, values) for column, values in attrs.items()]
    cases = matches[0].select(CASE_ID).distinct()
    for m in matches[1:]:
        cases = cases.semi_join(m.select(CASE_ID), CASE_ID)
    return t.semi_join(cases, CASE_ID) if mode == "cases" else t.anti_join(cases, CASE_ID)


def _case_variants(tables: EngineTables, log: EventLog) -> ir.Table:
    """``(case_id, variant)`` for every case of ``log``, numbered by :func:`discover_variants`."""

    def build() -> ir.Table:
        v = discover_variants(log)
        numbers_ = ibis.memtable(
            pd.DataFrame({"variant": v["variant"].astype("int64"), "trace": [list(x) for x in v["trace"]]})
        )
        joined = case_traces(tables.ordered).join(numbers_, "trace").select(CASE_ID, "variant")
        return tables.materialise("case_variants", joined)

    return tables.cached(("filters", "case_variants"), build)


def _filter_duration(t: ir.Table, bounds: tuple[float | None, float | None]) -> ir.Table:
    lo, hi = bounds
    s = _case_spans(t)
    cycle = hours(s.last_us - s.first_us)
    keep = ibis.and_(*([cycle >= lo] if lo is not None else []), *([cycle <= hi] if hi is not None else []))
    return t.semi_join(s.filter(keep).select(CASE_ID), CASE_ID)


def _bounds(o: ir.Table) -> ir.Table:
    c = case_traces(o)
    return c.aggregate(
        start_us=c.start_us.min(),
        end_us=c.end_us.max(),
        case_hours_min=c.cycle_hours.min(),
        case_hours_max=c.cycle_hours.max(),
    )


# --- descriptions --------------------------------------------------------------------------------


def _listing(items) -> str:
    items = list(items)
    shown = ", ".join(items[:_LIST_AT_MOST])
    more = len(items) - _LIST_AT_MOST
    return shown + (f", … (+{more} more)" if more > 0 else "")


def _describe_window(log: EventLog, window: tuple[int | None, int | None]) -> str:
    def text(us: int | None) -> str:
        if us is None:
            return "…"
        ts = pd.Timestamp(us, unit="us", tz="UTC").tz_convert(log.timezone)
        fmt = "%Y-%m-%d %H:%M" + (":%S" if ts.second or ts.microsecond else "")
        return f"{ts.strftime(fmt)} {log.timezone}"

    return f"{text(window[0])} – {text(window[1])}"


def _describe_hours(bounds: tuple[float | None, float | None]) -> str:
    lo, hi = (None if b is None else f"{b:,.2f}".rstrip("0").rstrip(".") for b in bounds)
    if lo is None:
        return f"cycle time ≤ {hi} hours"
    if hi is None:
        return f"cycle time ≥ {lo} hours"
    return f"cycle time {lo}–{hi} hours"
