"""load_event_log(): read -> map -> parse times -> pair lifecycles -> validate -> report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from mapper.columns import (
    ACTIVITY,
    ASSIGN_TIMESTAMP,
    CASE_ID,
    LIFECYCLE,
    RESOURCE,
    ROLE,
    ROW_NR,
    SCHEDULE_TIMESTAMP,
    START_TIMESTAMP,
    TIMESTAMP,
    detect_mapping,
)
from mapper.engine import (
    EventStore,
    epoch_us,
    execute,
    frame_of,
    narrow_events,
    pair_lifecycle,
    pair_schedule,
    run_ddl,
    timestamp_ties,
    to_us,
    unique_name,
)
from mapper.errors import EventLogError, TimestampError
from mapper.log import DataQuality, EventLog
from mapper.readers import RAW_ROW, RawTable, read_raw
from mapper.schema import validate_engine_table, validate_event_table
from mapper.timestamps import parse_timestamps


class Ledger:
    """Collects what happens to the rows of one source: drops, repairs and notes."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.reasons: dict[str, int] = {}
        self.examples: dict[str, list[int]] = {}
        self.repairs: dict[str, int] = {}
        self.notes: list[str] = []
        self.details: dict = dict(raw.details)
        # Per-row line numbers are for messages only, not for the report.
        self.row_lines = self.details.pop("row_lines", None) or self.details.pop("sheet_rows", None)

    def label(self, pos: int) -> str:
        """A human label of the 0-based data row ``pos``."""
        d = self.raw.details
        if self.raw.format == "csv" and d.get("line_offset"):
            return f"row {pos + 1} (line {pos + d['line_offset']})"
        if self.raw.format == "csv" and self.row_lines and pos < len(self.row_lines):
            return f"row {pos + 1} (line {self.row_lines[pos]})"
        if self.raw.format == "xes":
            return f"event {pos + 1}"
        if self.raw.format == "excel":
            sheet_row = self.row_lines[pos] if self.row_lines else pos + 2
            return f"row {pos + 1} (sheet row {sheet_row})"
        return f"row {pos + 1}"

    def drop(self, reason: str, rows: pd.Index | np.ndarray) -> None:
        if len(rows):
            self.reasons[reason] = self.reasons.get(reason, 0) + len(rows)
            self.examples.setdefault(reason, [int(r) + 1 for r in list(rows[:5])])

    def repair(self, how: str, rows: pd.Index | np.ndarray, n: int | None = None) -> None:
        count = len(rows) if n is None else n
        if count:
            self.repairs[how] = self.repairs.get(how, 0) + count
            if len(rows):
                self.examples.setdefault(how, [int(r) + 1 for r in list(rows[:5])])


def load_event_log(
    source: str | Path | pd.DataFrame,
    *,
    case_id: str | None = None,
    activity: str | None = None,
    timestamp: str | None = None,
    start_timestamp: str | None = None,
    resource: str | None = None,
    role: str | None = None,
    lifecycle: str | None = None,
    timestamp_format: str | None = None,
    dayfirst: bool | None = None,
    timezone: str = "UTC",
    on_bad_timestamp: Literal["error", "drop"] = "error",
    drop_duplicates: bool = False,
    estimate_start_times: bool = False,
    pseudonym_key: bytes | None = None,
    pseudonymise: Sequence[str] = (CASE_ID, RESOURCE),
    sheet: str | None = None,
    object_type: str | None = None,
    xes_reader: Literal["auto", "rustxes", "lxml"] = "auto",
) -> EventLog:
    """Load an event log into a validated canonical event table.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A ``.csv``/``.tsv``/``.xes`` (optionally ``.gz``), ``.parquet`` or ``.xlsx`` file, an OCEL 2.0
        log (``.jsonocel``, ``.xmlocel``, ``.sqlite``; see ``object_type``), or a DataFrame (not
        changed). See :func:`mapper.readers.read_raw`.
    case_id, activity, timestamp, start_timestamp, resource, role, lifecycle : str, optional
        The source column holding each canonical column; ``""`` says the file has no such column
        (optional columns only: switches detection off). Columns not given are detected from common
        names (``case:concept:name``, ``concept:name``, ``time:timestamp``, ``org:resource``,
        ``org:role``/``org:group``, ``lifecycle:transition``, ``case_id``, ``activity``,
        ``start_time``/``end_time`` ...); uncertain detections are listed in ``quality.notes``.
        ``timestamp`` is the completion time.
    timestamp_format : str, optional
        ``strptime`` format of the time columns, e.g. ``"%d/%m/%Y %H:%M"``.
    dayfirst : bool, optional
        How to read numeric dates like ``01/02/2024``; ambiguous columns are refused when not given.
    timezone : str
        IANA zone in which naive timestamps are taken (default ``"UTC"``); reported in the notes.
    on_bad_timestamp : {"error", "drop"}
        What to do with a timestamp that cannot be parsed: raise (default) or drop the row and report it.
    drop_duplicates : bool
        Rows that repeat an earlier row in every column are always counted and reported
        (``quality.details["duplicates"]``); with ``True`` they are dropped (reported as such).
    estimate_start_times : bool
        Estimate missing start times with pix-framework's estimator (:mod:`mapper.start_times`); the
        estimated ones are marked in the ``start_estimated`` column and in the report.
    pseudonym_key : bytes, optional
        When given, the values of the ``pseudonymise`` columns are replaced by keyed HMAC-SHA256
        pseudonyms (:mod:`mapper.pseudonymise`) before anything else sees the event table. The key is
        never stored in the log or its report.
    pseudonymise : sequence of str
        Canonical or attribute columns to pseudonymise (default ``case_id`` and ``resource``; absent
        columns are skipped).
    sheet : str, optional
        Excel: the worksheet (default the first).
    object_type : str, optional
        OCEL 2.0: the object type whose objects are the cases.
    xes_reader : {"auto", "rustxes", "lxml"}
        XES: the parser (see :func:`mapper.readers.read_raw`).

    Returns
    -------
    EventLog
        ``events`` has ``case_id``, ``activity`` (str), ``timestamp`` (``datetime64[ns, UTC]``),
        ``row_nr`` (int64, 0-based position in the source), optional ``start_timestamp``,
        ``resource``, ``role``, and the other attributes untouched. With a lifecycle column holding
        ``start`` events, start and complete events are paired into one row per activity instance
        (see :func:`mapper.engine.pair_lifecycle`); unmatched events are kept as completion-only rows
        and counted in ``quality.details["lifecycle"]``.

    Raises
    ------
    EventLogError
        The file cannot be read, or no event is left.
    ColumnMappingError
        A required column is missing or a named column does not exist.
    TimestampError
        Timestamps cannot be parsed, or their day/month order is ambiguous.
    ValidationError
        The event table breaks the schema of :mod:`mapper.schema`.

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> log.summary()["cases"]
    1000
    """
    check_zone(timezone)
    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise EventLogError("<DataFrame>: the DataFrame has no rows.")
        raw = RawTable(source.reset_index(drop=True), "<DataFrame>", "dataframe", {})
    else:
        raw = read_raw(source, sheet=sheet, object_type=object_type, xes_reader=xes_reader, engine=True)
    ledger = Ledger(raw)
    if raw.format == "csv" and raw.details.get("line_offset", 2) is None:
        ledger.notes.append(
            f"The file has {raw.details['lines']:,} lines for {raw.n_rows:,} rows and a header: blank "
            "lines were skipped or values span several lines."
        )
    if raw.details.get("sep_line"):
        ledger.notes.append(
            f"The first line 'sep={raw.details['delimiter']}' (Excel's delimiter hint) was used."
        )
    if raw.details.get("blank_rows"):
        ledger.notes.append(f"{raw.details['blank_rows']:,} blank rows of the worksheet were skipped.")
    if raw.format == "ocel":
        d = raw.details
        ledger.notes.append(
            f"OCEL 2.0 log flattened on object type {d['object_type']!r}: each of its objects is a case; "
            f"an event related to several of them appears in each of their cases; "
            f"{d['events_without_object']:,} of {d['ocel_events']:,} events relate to no such object and "
            "are not part of this view."
        )
    if raw.details.get("xes_reader_note"):
        ledger.notes.append(f"XES read with lxml: {raw.details['xes_reader_note']}.")
    explicit = {
        CASE_ID: case_id,
        ACTIVITY: activity,
        TIMESTAMP: timestamp,
        START_TIMESTAMP: start_timestamp,
        RESOURCE: resource,
        ROLE: role,
        LIFECYCLE: lifecycle,
    }
    detected = detect_mapping(raw.columns, explicit=explicit, source=raw.source)
    mapping = detected.mapping
    ledger.notes.extend(detected.notes)
    n = raw.n_rows
    handle = raw.engine_table()
    con, raw_name = handle.con, handle.name

    # Canonical columns first, the rest untouched; the raw table is read once into the event table.
    ev = _map_columns(con, raw_name, raw, mapping, ledger)
    run_ddl(con, f"drop table if exists {_q(raw_name)}")  # the event table holds every raw value now
    _account_text_and_duplicates(con, ev, mapping, ledger, drop_duplicates)
    ev = _parse_times_engine(con, ev, mapping, ledger, timestamp_format, dayfirst, timezone, on_bad_timestamp)
    if ev.count == 0:
        raise EventLogError(f"{raw.source}: no event is left after dropping unusable rows: {ledger.reasons}.")
    if LIFECYCLE in ev.columns:
        counts = _lifecycle_counts(con, ev)
        _completion_lifecycles(con, ev, ledger, counts)
        if LIFECYCLE in ev.columns:
            _pair_lifecycles_engine(con, ev, ledger, counts)
        if ev.count == 0:
            raise EventLogError(
                f"{raw.source}: no event is left after dropping unusable rows: {ledger.reasons}."
            )
    if estimate_start_times or pseudonym_key is not None:
        # These steps still work on a pandas frame (pix-framework's estimator, HMAC pseudonyms in
        # Python): the table is materialised once, changed, and stored back.
        events = ev.to_pandas(con)
        if estimate_start_times:
            events = _estimate_starts(events, ledger)
        if pseudonym_key is not None:
            events = _pseudonymise(events, pseudonym_key, pseudonymise, ledger)
        for canon in (CASE_ID, ACTIVITY):
            events[canon] = events[canon].astype(object)
        for canon in (RESOURCE, ROLE):
            if canon in events:
                events[canon] = events[canon].astype(object).where(events[canon].notna(), None)
        events = events.reset_index(drop=True)
        validate_event_table(events, source=raw.source)
        store = EventStore.from_frame(events, con)
    else:
        store = EventStore.from_table(con, ev.name, ev.dtypes)
        validate_engine_table(store.table(), source=raw.source)

    ties = execute(timestamp_ties(narrow_events(store.table()))).iloc[0]
    if int(ties.tied_events):
        ledger.notes.append(
            f"{int(ties.tied_events):,} events in {int(ties.tied_cases):,} cases share their timestamp with "
            "another event of the same case; they are ordered by their position in the file."
        )
    ledger.details["tied_events"], ledger.details["tied_cases"] = int(ties.tied_events), int(ties.tied_cases)
    dropped = sum(ledger.reasons.values())
    quality = DataQuality(
        source=raw.source,
        format=raw.format,
        rows_read=n,
        rows_kept=n - dropped,
        rows_dropped=dropped,
        reasons=ledger.reasons,
        examples=ledger.examples,
        repairs=ledger.repairs,
        notes=ledger.notes,
        details={**ledger.details, "mapping": mapping.as_dict(), "timezone": timezone},
    )
    return EventLog(store.on_engine(), raw.source, mapping, quality, timezone)


#: Python's ``str.strip()`` white space (``str.isspace``) as an RE2 class, for the engine's text repair.
_WS = r"[\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


def _strip_sql(text: str) -> str:
    """SQL stripping leading and trailing white space from ``text`` as ``str.strip()`` does."""
    return f"regexp_replace({text}, '^{_WS}+|{_WS}+$', '', 'g')"


_TEXT_CANON = (CASE_ID, ACTIVITY, RESOURCE, ROLE, LIFECYCLE)


def _q(name: object) -> str:
    """A quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _lit(value: str) -> str:
    """A quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass
class _Events:
    """The event table while it is being loaded: a table of the load's connection and what it holds."""

    name: str
    columns: list
    dtypes: dict
    count: int

    def to_pandas(self, con) -> pd.DataFrame:
        return frame_of(con.table(self.name).order_by(ROW_NR).to_pandas(), self.dtypes)


def _replace_table(con, ev: _Events, select_sql: str) -> _Events:
    """Store ``select_sql`` (over ``{src}``, the current table) as the new event table."""
    name = unique_name("load")
    run_ddl(con, f"create temp table {_q(name)} as {select_sql.format(src=_q(ev.name))}")
    run_ddl(con, f"drop table if exists {_q(ev.name)}")
    count = con.raw_sql(f"select count(*) from {_q(name)}").fetchall()[0][0]
    return _Events(name, ev.columns, ev.dtypes, int(count))


def _text_sql(con, raw_name: str, col: str, kind: str) -> str:
    """SQL of the text of raw column ``col`` as pandas writes it (``astype("string")``).

    Integral floats lose their '.0' (pandas reads integer ids with missing values as floats).
    """
    c = _q(col)
    if kind in ("FLOAT", "DOUBLE"):
        integral = con.raw_sql(
            f"select coalesce(bool_and({c} = round({c})), true) from {_q(raw_name)} where {c} is not null"
        ).fetchall()[0][0]
        return f"cast(cast({c} as hugeint) as varchar)" if integral else f"cast({c} as varchar)"
    if kind == "BOOLEAN":
        return f"case when {c} then 'True' when not {c} then 'False' end"
    if kind == "VARCHAR":
        return c
    return f"cast({c} as varchar)"


def _map_columns(con, raw_name: str, raw: RawTable, mapping, ledger: Ledger) -> _Events:
    """The event table as first mapped: ``row_nr``, the canonical columns, then the attributes.

    Text columns are stripped (empty -> missing) with a flag per column for values that had spaces
    around them; ``_dup`` flags rows repeating an earlier row in every source column.
    """
    kinds = dict(con.raw_sql(f"select column_name, column_type from (describe {_q(raw_name)})").fetchall())
    renames = mapping.renames()
    select = [f"{_q(RAW_ROW)} as {ROW_NR}"]
    columns = [ROW_NR]
    dtypes = {ROW_NR: np.dtype("int64")}
    taken = {ROW_NR}
    for src, canon in renames.items():
        if canon in _TEXT_CANON:
            text = _text_sql(con, raw_name, src, kinds[src])
            stripped = _strip_sql(text)
            select.append(f"nullif({stripped}, '') as {_q(canon)}")
            select.append(
                f"coalesce({stripped} <> {text} and {stripped} <> '', false) as {_q('_padded_' + canon)}"
            )
            dtypes[canon] = np.dtype(object)
        else:
            select.append(f"{_q(src)} as {_q(canon)}")
            dtypes[canon] = pd.DatetimeTZDtype(tz="UTC")
        columns.append(canon)
        taken.add(canon.lower())
    for col in raw.columns:
        if col in renames:
            continue
        name = col
        if str(col).lower() in taken:  # e.g. a column named "resource" while another was mapped to it
            name = f"source_{col}"
            ledger.notes.append(f"Column {col!r} is not the one mapped to {col}; it is kept as {name!r}.")
        select.append(f"{_q(col)} as {_q(name)}")
        columns.append(name)
        taken.add(str(name).lower())
        if raw.dtypes.get(col) is not None:
            dtypes[name] = raw.dtypes[col]
    dups = _duplicate_rows(con, raw_name, raw.columns)
    select.append(f"{_q(RAW_ROW)} in (select r from {_q(dups)}) as _dup")
    name = unique_name("load")
    run_ddl(con, f"create temp table {_q(name)} as select {', '.join(select)} from {_q(raw_name)}")
    run_ddl(con, f"drop table {_q(dups)}")
    return _Events(name, columns, dtypes, raw.n_rows)


def _duplicate_rows(con, raw_name: str, columns: list) -> str:
    """A table ``(r)`` of the raw rows that repeat an earlier row in every source column.

    Rows are first grouped by a hash of all their values; only rows sharing a hash with another row
    are compared value by value (missing values equal each other, as pandas' ``duplicated``).
    """
    name = unique_name("dups")
    cols = ", ".join(_q(c) for c in columns)
    raw = _q(raw_name)
    row = _q(RAW_ROW)
    run_ddl(
        con,
        f"create temp table {_q(name)} as with h as (select {row}, hash({cols}) as _h from {raw}), "
        f"c as (select {row} from h where _h in (select _h from h group by _h having count(*) > 1)) "
        f"select r from (select {row} as r, row_number() over (partition by {cols} order by {row}) as _n "
        f"from {raw} where {row} in (select {row} from c)) where _n > 1",
    )
    return name


class _Rows:
    """A count with the first row numbers: what :class:`Ledger` needs of a set of rows."""

    def __init__(self, count: int, first: list[int]) -> None:
        self.count, self.first = count, first

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, item):
        return self.first[item]


def _rows(con, table: str, where: str) -> _Rows:
    """The rows of ``table`` matching ``where``, as :func:`_query_rows`."""
    return _query_rows(con, f"select {ROW_NR} from {_q(table)} where {where}")


def _query_rows(con, query: str) -> _Rows:
    """The rows that ``query`` (SQL selecting one column, ``row_nr``) returns, as :func:`_rows`."""
    count = con.raw_sql(f"select count(*) from ({query})").fetchall()[0][0]
    first = (
        con.raw_sql(f"select {ROW_NR} from ({query}) order by {ROW_NR} limit 5").fetchall() if count else []
    )
    return _Rows(int(count), [int(r[0]) for r in first])


def _account_text_and_duplicates(con, ev: _Events, mapping, ledger: Ledger, drop_duplicates: bool) -> None:
    """Repairs of padded values, drops of rows without case or activity, and the duplicates (in place)."""
    for canon in (CASE_ID, ACTIVITY, RESOURCE, ROLE):
        if canon in ev.columns:
            ledger.repair(
                f"spaces around the value removed (column {getattr(mapping, canon)!r})",
                _rows(con, ev.name, _q("_padded_" + canon)),
            )
    ok = "true"
    for canon in (CASE_ID, ACTIVITY):
        gone = _rows(con, ev.name, f"{ok} and {_q(canon)} is null")
        ledger.drop(f"missing {canon} (column {getattr(mapping, canon)!r})", gone)
        ok = f"{ok} and {_q(canon)} is not null"
    dup = _rows(con, ev.name, f"{ok} and _dup")
    ledger.details["duplicates"] = len(dup)
    if len(dup) and drop_duplicates:
        ledger.drop("exact duplicate of an earlier row (drop_duplicates)", dup)
        ok = f"{ok} and not _dup"
    elif len(dup):
        ledger.examples.setdefault("exact duplicates (kept)", [int(r) + 1 for r in dup.first])
        ledger.notes.append(
            f"{len(dup):,} rows repeat an earlier row in every column (e.g. {ledger.label(dup.first[0])}); "
            "they are kept. Set `drop_duplicates=True` to drop them."
        )
    cols = ", ".join(_q(c) for c in ev.columns)
    new = _replace_table(con, ev, f"select {cols} from {{src}} where {ok}")
    ev.name, ev.count = new.name, new.count


def _estimate_starts(events: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    from mapper.start_times import estimate_start_times

    if START_TIMESTAMP in events and events[START_TIMESTAMP].notna().all():
        ledger.notes.append("Every event has a recorded start time; no start time was estimated.")
        return events
    estimate = estimate_start_times(events, source=ledger.raw.source)
    events, report = estimate.events, estimate.report()
    ledger.details["start_time_estimation"] = report
    ledger.notes.append(
        f"Start times of {report['estimated']:,} events were ESTIMATED ({report['method']}); processing "
        "and waiting times built on them are estimates (column start_estimated)."
    )
    return events


def _pseudonymise(events: pd.DataFrame, key: bytes, columns, ledger: Ledger) -> pd.DataFrame:
    from mapper.pseudonymise import pseudonymise_event_table

    done = pseudonymise_event_table(events, key, columns, source=ledger.raw.source)
    ledger.details["pseudonymised"] = {k: v for k, v in done.report().items() if k != "key_source"}
    ledger.notes.append(done.note)
    return done.events


def check_zone(timezone: str) -> None:
    """Check that ``timezone`` is an IANA zone name (shared by the load and the mapping preview).

    Raises
    ------
    TimestampError
        When it is not; the message names the zone and gives examples.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimestampError(
            f"unknown time zone {timezone!r} in `timezone`; use an IANA name such as 'Europe/London' "
            "or 'UTC'."
        ) from None


def _lifecycle_counts(con, ev: _Events) -> list:
    """The lower-cased lifecycle values (``None`` for missing) with their counts: most frequent first,
    ties in order of first appearance."""
    lc = f"lower({_q(LIFECYCLE)})"
    return con.raw_sql(
        f"select {lc} as v, count(*) as n from {_q(ev.name)} group by v order by n desc, min({ROW_NR})"
    ).fetchall()


def _completion_lifecycles(con, ev: _Events, ledger: Ledger, counts: list) -> None:
    """Lifecycles without start, schedule or assign events: keep the complete events (in the engine).

    Leaves the table as it is when start/schedule/assign events are present (they are paired by
    :func:`_pair_lifecycles_engine`). ``counts`` is :func:`_lifecycle_counts`.
    """
    lc = f"lower({_q(LIFECYCLE)})"
    values = {v for v, _ in counts}
    if values & {"start", *_AUX}:
        return
    ledger.details["lifecycle"] = {
        "transitions": {("<NA>" if v is None else str(v)): int(k) for v, k in counts},
        "paired": 0,
        "unmatched_complete": 0,
        "unmatched_start": 0,
    }
    keep = "true"
    if "complete" in values:  # completion events are the events
        others = sorted(("<missing>" if v is None else v) for v in values if v != "complete")
        for value in others:
            where = f"{lc} is null" if value == "<missing>" else f"{lc} = {_lit(value)}"
            ledger.drop(
                f"lifecycle transition {value!r} (only complete events are used)", _rows(con, ev.name, where)
            )
        keep = f"{lc} is not distinct from 'complete'"
    ev.columns = [c for c in ev.columns if c != LIFECYCLE]
    new = _replace_table(con, ev, f"select {', '.join(_q(c) for c in ev.columns)} from {{src}} where {keep}")
    ev.name, ev.count = new.name, new.count


def _parse_times_engine(con, ev: _Events, mapping, ledger, timestamp_format, dayfirst, timezone, on_bad):
    """Parse the time columns of the event table; drop or repair the rows as today's contract says.

    Columns the engine already holds as UTC (or naive, taken as UTC) timestamps are converted by a
    query. Any other column is parsed by :func:`mapper.timestamps.parse_timestamps` on its DISTINCT
    values (indexed by the first row holding each, so messages name real rows), and the result is
    joined back; columns read by pandas readers (Excel cells of mixed types) are parsed row by row.
    """
    source = ledger.raw.source
    for canon in (TIMESTAMP, START_TIMESTAMP):
        if canon not in ev.columns:
            continue
        col = getattr(mapping, canon)
        c = _q(canon)
        kind = con.raw_sql(
            f"select column_type from (describe {_q(ev.name)}) where column_name = {_lit(canon)}"
        )
        kind = kind.fetchall()[0][0]
        others = ", ".join(_q(x) for x in ev.columns if x != canon)
        excel = ledger.raw.details.get("excel_epoch")
        aware = kind.startswith("TIMESTAMPTZ") or kind.endswith("WITH TIME ZONE")
        native = aware or (kind.startswith("TIMESTAMP") and timezone == "UTC")
        if native and excel is None:
            parsed_sql = f"cast({c} as timestamptz)"
            zone = "time zone stored in the data" if aware else f"naive, taken as {timezone}"
            fmt, how_rows = "native datetime", {}
            date_only = con.raw_sql(
                f"select coalesce(bool_and({parsed_sql} = date_trunc('day', {parsed_sql})), true) "
                f"from {_q(ev.name)} where {c} is not null"
            ).fetchall()[0][0]
            table = unique_name("load")
            run_ddl(
                con,
                f"create temp table {_q(table)} as select {others}, {parsed_sql} as {c}, {c} as _raw, "
                f"{c} is null as _missing, false as _bad from {_q(ev.name)}",
            )
        else:
            by_row = excel is not None and ledger.raw.frame is not None
            if by_row:  # Excel cells keep their own types (dates, serial numbers, text) in pandas
                rows = con.raw_sql(f"select {ROW_NR} from {_q(ev.name)} order by {ROW_NR}").fetchnumpy()
                index = pd.Index(rows[ROW_NR], dtype="int64")
                values = ledger.raw.frame[getattr(mapping, canon)].iloc[index.to_numpy()]
                values.index = index
                key_sql, join = f"{ROW_NR}", ""
            else:
                d = unique_name("distinct")
                run_ddl(
                    con,
                    f"create temp table {_q(d)} as select {c} as v, min({ROW_NR}) as first_row "
                    f"from {_q(ev.name)} group by {c}",
                )
                shown = "cast(v as varchar)" if kind == "DATE" else "v"  # as pandas reads Parquet dates
                got = con.raw_sql(f"select first_row, {shown} as v from {_q(d)} order by first_row").df()
                values = pd.Series(got["v"].to_numpy(), index=pd.Index(got["first_row"], dtype="int64"))
                key_sql = "_d.first_row"
                join = f"join {_q(d)} _d on e.{c} is not distinct from _d.v"
            parsed = parse_timestamps(
                values,
                column=col,
                source=source,
                timestamp_format=timestamp_format,
                dayfirst=dayfirst,
                timezone=timezone,
                row_label=ledger.label,
                excel_epoch=ledger.raw.details.get("excel_epoch"),
            )
            fmt, zone, date_only = parsed.format, parsed.zone, parsed.date_only
            how_rows = {how: f"_rep{i}" for i, how in enumerate(parsed.repairs)}
            p = pd.DataFrame(
                {
                    "_key": values.index.to_numpy(),
                    "_us": to_us(parsed.values).astype("Int64").reset_index(drop=True),
                    "_bad": parsed.bad.to_numpy(dtype=bool),
                    "_missing": parsed.missing.to_numpy(dtype=bool),
                }
            )
            for how, flag in how_rows.items():
                p[flag] = values.index.isin(parsed.repair_rows.get(how, pd.Index([])))
            pname = unique_name("parsed")
            con.con.register(pname, p)
            flags = "".join(f", _p.{f}" for f in how_rows.values())
            table = unique_name("load")
            kept = ", ".join("e." + _q(x) for x in ev.columns if x != canon)
            on = key_sql.replace(ROW_NR, "e." + ROW_NR)
            run_ddl(
                con,
                f"create temp table {_q(table)} as select {kept}, "
                f"cast(make_timestamp(cast(_p._us as bigint)) as timestamptz) as {c}, e.{c} as _raw, "
                f"_p._missing, _p._bad{flags} from {_q(ev.name)} e {join} join {pname} _p on _p._key = {on}",
            )
            con.con.unregister(pname)
            if not by_row:
                run_ddl(con, f"drop table {_q(d)}")
        run_ddl(con, f"drop table {_q(ev.name)}")
        bad = _rows(con, table, "_bad")
        if len(bad) and on_bad == "error":
            shown = con.raw_sql(
                f"select {ROW_NR}, _raw from {_q(table)} where _bad order by {ROW_NR} limit 5"
            )
            examples = "; ".join(f"{ledger.label(int(i))}: {v!r}" for i, v in shown.fetchall())
            remedy = "drop those rows" if canon == TIMESTAMP else "keep those events without a start time"
            raise TimestampError(
                f"{source}: column {col!r} has {len(bad):,} value(s) that are not timestamps in the "
                f"column's format ({fmt}): {examples}. Fix them, give the format with `timestamp_format`, or "
                f"set `on_bad_timestamp='drop'` to {remedy} (they are reported)."
            )
        for how, flag in how_rows.items():
            ledger.repair(f"{col}: {how}", _rows(con, table, flag))
        if fmt == "native datetime" and ledger.raw.details.get("xes_reader") == "rustxes":
            fmt = "XES xs:dateTime (ISO 8601), parsed by rustxes"
        ledger.details[f"{canon}_format"] = fmt
        ledger.details[f"{canon}_zone"] = zone
        if date_only:
            ledger.notes.append(f"Column {col!r} holds dates without times of day.")
        cols = ", ".join(_q(x) for x in ev.columns)
        if canon == TIMESTAMP:
            ledger.notes.append(f"Timestamps in {col!r}: {fmt}, {zone}.")
            ledger.drop(f"unparseable timestamp (column {col!r})", bad)
            ledger.drop(f"missing timestamp (column {col!r})", _rows(con, table, "_missing"))
            keep = f"select {cols} from {{src}} where not _bad and not _missing"
        else:
            ledger.repair(f"unparseable start timestamp in {col!r}: event kept without a start", bad)
            late = _rows(con, table, f"{c} > {_q(TIMESTAMP)}")
            ledger.repair(f"start in {col!r} after the completion: event kept without a start", late)
            missing = len(_rows(con, table, "_missing"))
            if missing:
                ledger.notes.append(
                    f"{missing:,} events have no start time in {col!r}; their processing time is unknown."
                )
            fixed = f"case when _bad or {c} > {_q(TIMESTAMP)} then null else {c} end as {c}"
            keep = "select " + ", ".join(fixed if x == canon else _q(x) for x in ev.columns) + " from {src}"
        ev.name = table
        new = _replace_table(con, ev, keep)
        ev.name, ev.count = new.name, new.count
    return ev


_WORK = ("start", "complete")
_AUX = ("schedule", "assign")
_AUX_REASONS = {
    "unmatched": "lifecycle transition {lc!r} with no start or complete after it (the work does not appear "
    "in the log)",
    "superseded": "lifecycle transition 'assign' superseded by a later assignment before the work started",
    "late": "lifecycle transition 'assign' after the work had started (a reassignment)",
}


def _pair_lifecycles_engine(con, ev: _Events, ledger: Ledger, counts: list) -> None:
    """Pair schedule/assign/start/complete events into activity instances, in the engine (in place).

    Transitions other than the four of the standard lifecycle model are dropped (reported per value).
    :func:`mapper.engine.pair_lifecycle` pairs start and complete events and
    :func:`mapper.engine.pair_schedule` attaches schedule and assign events, both on a narrow view of
    the event table in its own connection ``con``; the instances are then assembled by one join: the
    row of the complete (or unmatched start) event with ``start_timestamp`` from its start event, a
    missing resource taken from the start event (a counted repair), and ``schedule_timestamp`` /
    ``assign_timestamp`` (UTC) from the events attached to the instance's first event. ``ev`` then
    names the new table, ordered by ``row_nr``, without the lifecycle column.

    Parameters
    ----------
    con : ibis backend
        The load's DuckDB connection, holding the table ``ev.name``.
    ev : _Events
        The event table; it holds start, schedule or assign events (see :func:`_completion_lifecycles`).
    ledger : Ledger
        Receives the drops, the repair, the notes and ``details["lifecycle"]``.
    counts : list of (str or None, int)
        The lower-cased lifecycle values and their counts, most frequent first (:func:`_lifecycle_counts`).

    Raises
    ------
    EventLogError
        When start events and a start-time column are both present.

    References
    ----------
    IEEE 1849-2016, Standard for eXtensible Event Stream (XES), lifecycle extension (standard model).
    """
    values = {v for v, _ in counts}
    has_start = "start" in values
    if has_start and START_TIMESTAMP in ev.columns:
        raise EventLogError(
            f"{ledger.raw.source}: both a start-time column and start lifecycle events are present; "
            "map only one of them (drop the other column, or set `lifecycle=''`)."
        )
    lc = f"lower({_q(LIFECYCLE)})"
    for value in sorted(("<missing>" if v is None else v) for v in values if v not in _WORK + _AUX):
        where = f"{lc} is null" if value == "<missing>" else f"{lc} = {_lit(value)}"
        ledger.drop(
            f"lifecycle transition {value!r} (only schedule, assign, start and complete are used)",
            _rows(con, ev.name, where),
        )

    names = [unique_name(stem) for stem in ("lc_narrow", "lc_pairs", "lc_aux")]
    t = con.table(ev.name)
    used = t.filter(t[LIFECYCLE].lower().isin(_WORK + _AUX))
    narrow = con.create_table(
        names[0],
        used.select(
            **{
                ROW_NR: used[ROW_NR].cast("int64"),
                CASE_ID: used[CASE_ID].cast("string"),
                ACTIVITY: used[ACTIVITY].cast("string"),
                "t_us": epoch_us(used[TIMESTAMP]),
                "lifecycle": used[LIFECYCLE].lower(),
            }
        ),
        temp=True,
    )
    con.create_table(names[1], pair_lifecycle(narrow.filter(narrow.lifecycle.isin(_WORK))), temp=True)
    kinds = dict(con.raw_sql(f"select kind, count(*) from {_q(names[1])} group by kind").fetchall())
    aux = None
    if values & set(_AUX):
        aux = con.create_table(names[2], pair_schedule(narrow), temp=True)
    p, src = _q(names[1]), "{src}"

    if RESOURCE in ev.columns and has_start:  # a completion without a resource takes its start's
        ledger.repair(
            "resource missing on the complete event: taken from its start event",
            _query_rows(
                con,
                f"select p.{ROW_NR} from {p} p join {_q(ev.name)} e on e.{ROW_NR} = p.{ROW_NR} "
                f"join {_q(ev.name)} s on s.{ROW_NR} = p.start_row_nr "
                f"where e.{_q(RESOURCE)} is null and s.{_q(RESOURCE)} is not null",
            ),
        )
    summary = {
        "transitions": {("None" if v is None else str(v)): int(n) for v, n in counts},
        "paired": int(kinds.get("paired", 0)),
        "unmatched_complete": int(kinds.get("unmatched_complete", 0)),
        "unmatched_start": int(kinds.get("unmatched_start", 0)),
    }
    # Output column -> SQL, in order; a column set again keeps its place (as in a DataFrame).
    select = {c: f"e.{_q(c)}" for c in ev.columns if c != LIFECYCLE}
    joins = [f"from {p} p join {src} e on e.{ROW_NR} = p.{ROW_NR}"]
    if has_start:
        if RESOURCE in select:
            select[RESOURCE] = f"coalesce(e.{_q(RESOURCE)}, s.{_q(RESOURCE)})"
        select[START_TIMESTAMP] = f"s.{_q(TIMESTAMP)}"
        joins.append(f"left join {src} s on s.{ROW_NR} = p.start_row_nr")
    if aux is not None:
        a = _q(names[2])
        for lifecycle, column in (("schedule", SCHEDULE_TIMESTAMP), ("assign", ASSIGN_TIMESTAMP)):
            if lifecycle not in values:  # no such events: no column
                select.pop(column, None)
                continue
            mine = f"lifecycle = {_lit(lifecycle)}"
            paired = con.raw_sql(f"select count(*) from {a} where {mine} and kind = 'paired'").fetchall()
            summary[f"{lifecycle}_paired"] = int(paired[0][0])
            for kind, reason in _AUX_REASONS.items():
                gone = _rows(con, names[2], f"{mine} and kind = {_lit(kind)}")
                if len(gone):
                    ledger.drop(reason.format(lc=lifecycle), gone)
                    summary[f"{lifecycle}_{kind}"] = len(gone)
            j = f"j_{lifecycle}"
            select[column] = f"{j}.v"
            joins.append(
                f"left join (select a.target_row_nr as r, x.{_q(TIMESTAMP)} as v from {a} a "
                f"join {src} x on x.{ROW_NR} = a.{ROW_NR} where a.{mine} and a.kind = 'paired') {j} "
                f"on {j}.r = coalesce(p.start_row_nr, p.{ROW_NR})"
            )
    ledger.details["lifecycle"] = summary
    if kinds.get("unmatched_start", 0) or kinds.get("unmatched_complete", 0):
        ledger.notes.append(
            f"Lifecycle pairing: {kinds.get('paired', 0):,} start/complete pairs; "
            f"{kinds.get('unmatched_complete', 0):,} complete and {kinds.get('unmatched_start', 0):,} start "
            "events without a partner are kept as completion-only events."
        )
    if aux is not None:
        attached = [
            f"{summary[f'{lc}_paired']:,} {lc} events (column {col})"
            for lc, col in (("schedule", SCHEDULE_TIMESTAMP), ("assign", ASSIGN_TIMESTAMP))
            if f"{lc}_paired" in summary
        ]
        ledger.notes.append(
            f"Lifecycle pairing: {' and '.join(attached)} attached to the instance they precede."
        )
    columns = ", ".join(f"{sql} as {_q(c)}" for c, sql in select.items())
    new = _replace_table(con, ev, f"select {columns} {' '.join(joins)} order by e.{ROW_NR}")
    for name in names:
        run_ddl(con, f"drop table if exists {_q(name)}")
    ev.dtypes = {c: ev.dtypes[c] for c in select if c in ev.dtypes}
    times = (START_TIMESTAMP, SCHEDULE_TIMESTAMP, ASSIGN_TIMESTAMP)
    ev.dtypes.update({c: pd.DatetimeTZDtype(tz="UTC") for c in select if c in times})
    ev.columns = list(select)
    ev.name, ev.count = new.name, new.count
