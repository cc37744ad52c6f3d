"""load_event_log(): read -> map -> parse times -> pair lifecycles -> validate -> report."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import ibis
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
from mapper.engine import execute, pair_lifecycle, pair_schedule, rebind_tables, timestamp_ties, to_us
from mapper.errors import EventLogError, TimestampError
from mapper.log import DataQuality, EventLog
from mapper.readers import RawTable, read_raw
from mapper.schema import validate_event_table
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


def _text(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Identifiers and names as stripped text; empty -> missing. Integral floats lose their '.0'.

    Returns the text and a mask of the non-empty values that had spaces around them.
    """
    if pd.api.types.is_float_dtype(series):
        as_int = series.dropna()
        if (as_int == as_int.round()).all():
            series = series.astype("Int64")
    text = series.astype("string")
    out = text.str.strip()
    padded = (out != text) & (out != "")
    return out.mask(out == ""), padded.fillna(False).to_numpy(dtype=bool)


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
        raw = read_raw(source, sheet=sheet, object_type=object_type, xes_reader=xes_reader)
    ledger = Ledger(raw)
    if raw.format == "csv" and raw.details.get("line_offset", 2) is None:
        ledger.notes.append(
            f"The file has {raw.details['lines']:,} lines for {len(raw.frame):,} rows and a header: blank "
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
    frame = raw.frame
    explicit = {
        CASE_ID: case_id,
        ACTIVITY: activity,
        TIMESTAMP: timestamp,
        START_TIMESTAMP: start_timestamp,
        RESOURCE: resource,
        ROLE: role,
        LIFECYCLE: lifecycle,
    }
    mapping, notes = detect_mapping(list(frame.columns), explicit=explicit, source=raw.source)
    ledger.notes.extend(notes)
    n = len(frame)

    # Canonical columns first, the rest untouched; nothing of the caller's frame is changed.
    renames = mapping.renames()
    columns: dict[str, pd.Series] = {ROW_NR: pd.Series(np.arange(n, dtype="int64"), index=frame.index)}
    for src, canon in renames.items():
        columns[canon] = frame[src]
    for col in frame.columns:
        if col in renames:
            continue
        if col in columns:  # e.g. a column named "resource" while another column was mapped to resource
            kept_as = f"source_{col}"
            ledger.notes.append(f"Column {col!r} is not the one mapped to {col}; it is kept as {kept_as!r}.")
            columns[kept_as] = frame[col]
        else:
            columns[col] = frame[col]
    events = pd.concat(columns, axis=1)

    for canon in (CASE_ID, ACTIVITY, RESOURCE, ROLE, LIFECYCLE):
        if canon in events:
            events[canon], padded = _text(events[canon])
            if canon != LIFECYCLE:
                ledger.repair(
                    f"spaces around the value removed (column {getattr(mapping, canon)!r})",
                    events.index[padded],
                )
    for canon in (CASE_ID, ACTIVITY):
        gone = events.index[events[canon].isna()]
        ledger.drop(f"missing {canon} (column {getattr(mapping, canon)!r})", gone)
        events = events.drop(index=gone)
    events = _duplicates(events, frame, ledger, drop_duplicates)

    events = _parse_times(events, mapping, ledger, timestamp_format, dayfirst, timezone, on_bad_timestamp)
    if LIFECYCLE in events:
        events = _pair_lifecycles(events, ledger)
    if events.empty:
        raise EventLogError(f"{raw.source}: no event is left after dropping unusable rows: {ledger.reasons}.")
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

    log = EventLog.from_frame(
        events, raw.source, mapping, DataQuality(raw.source, raw.format, 0, 0, 0), timezone
    )
    ties = execute(timestamp_ties(log.tables().events)).iloc[0]
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
    final = dataclasses.replace(log, quality=quality)
    rebind_tables(log, final)  # the engine tables built for the ties are the final log's
    return final


def _duplicates(events: pd.DataFrame, frame: pd.DataFrame, ledger: Ledger, drop: bool) -> pd.DataFrame:
    """Count rows that repeat an earlier row in every source column; drop them when asked."""
    if frame.empty:
        return events
    # On the frame as read, without copying it: a row equal to a dropped row has the same defect and
    # was dropped too, so no kept row is counted against a row that is gone.
    try:
        repeated = frame.duplicated(keep="first")
    except TypeError:  # unhashable cells (XES lists): compare their text
        repeated = frame.astype("string").duplicated(keep="first")
    dup = events.index[repeated.loc[events.index].to_numpy()]
    ledger.details["duplicates"] = len(dup)
    if not len(dup):
        return events
    if drop:
        ledger.drop("exact duplicate of an earlier row (drop_duplicates)", dup)
        return events.drop(index=dup)
    ledger.examples.setdefault("exact duplicates (kept)", [int(r) + 1 for r in list(dup[:5])])
    ledger.notes.append(
        f"{len(dup):,} rows repeat an earlier row in every column (e.g. {ledger.label(dup[0])}); they are "
        "kept. Pass --drop-duplicates to drop them."
    )
    return events


def _estimate_starts(events: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    from mapper.start_times import estimate_start_times

    if START_TIMESTAMP in events and events[START_TIMESTAMP].notna().all():
        ledger.notes.append("Every event has a recorded start time; no start time was estimated.")
        return events
    events, report = estimate_start_times(events, source=ledger.raw.source)
    ledger.details["start_time_estimation"] = report
    ledger.notes.append(
        f"Start times of {report['estimated']:,} events were ESTIMATED ({report['method']}); processing "
        "and waiting times built on them are estimates (column start_estimated)."
    )
    return events


def _pseudonymise(events: pd.DataFrame, key: bytes, columns, ledger: Ledger) -> pd.DataFrame:
    from mapper.pseudonymise import pseudonymise_event_table

    events, report, note = pseudonymise_event_table(events, key, columns, source=ledger.raw.source)
    ledger.details["pseudonymised"] = report
    ledger.notes.append(note)
    return events


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
            f"unknown time zone {timezone!r}; use an IANA name such as 'Europe/London' or 'UTC'."
        ) from None


def _parse_times(events, mapping, ledger, timestamp_format, dayfirst, timezone, on_bad) -> pd.DataFrame:
    source = ledger.raw.source
    for canon in (TIMESTAMP, START_TIMESTAMP):
        if canon not in events:
            continue
        col = getattr(mapping, canon)
        parsed = parse_timestamps(
            events[canon],
            column=col,
            source=source,
            timestamp_format=timestamp_format,
            dayfirst=dayfirst,
            timezone=timezone,
            row_label=ledger.label,
            excel_epoch=ledger.raw.details.get("excel_epoch"),
        )
        bad = events.index[parsed.bad]
        if len(bad):
            examples = "; ".join(f"{ledger.label(i)}: {events.at[i, canon]!r}" for i in bad[:5])
            if on_bad == "error":
                remedy = "drop those rows" if canon == TIMESTAMP else "keep those events without a start time"
                raise TimestampError(
                    f"{source}: column {col!r} has {len(bad):,} value(s) that are not timestamps in the "
                    f"column's format ({parsed.format}): {examples}. Fix them, pass --timestamp-format, or "
                    f"pass --drop-bad-timestamps to {remedy} (they are reported)."
                )
        for how, count in parsed.repairs.items():
            rows = parsed.repair_rows.get(how, pd.Index([]))
            ledger.repair(f"{col}: {how}", rows, None if len(rows) == count else count)
        fmt = parsed.format
        if fmt == "native datetime" and ledger.raw.details.get("xes_reader") == "rustxes":
            fmt = "XES xs:dateTime (ISO 8601), parsed by rustxes"
        ledger.details[f"{canon}_format"] = fmt
        ledger.details[f"{canon}_zone"] = parsed.zone
        if parsed.date_only:
            ledger.notes.append(f"Column {col!r} holds dates without times of day.")
        if canon == TIMESTAMP:
            ledger.notes.append(f"Timestamps in {col!r}: {fmt}, {parsed.zone}.")
            events[canon] = parsed.values
            ledger.drop(f"unparseable timestamp (column {col!r})", bad)
            gone = events.index[parsed.missing]
            ledger.drop(f"missing timestamp (column {col!r})", gone)
            events = events.drop(index=bad.union(gone))
        else:
            values = parsed.values.mask(parsed.bad)
            ledger.repair(f"unparseable start timestamp in {col!r}: event kept without a start", bad)
            late = events.index[values.notna() & (values > events[TIMESTAMP])]
            ledger.repair(f"start in {col!r} after the completion: event kept without a start", late)
            values.loc[late] = pd.NaT
            missing = int(parsed.missing.sum())
            if missing:
                ledger.notes.append(
                    f"{missing:,} events have no start time in {col!r}; their processing time is unknown."
                )
            events[canon] = values
    return events


_WORK = ("start", "complete")
_AUX = ("schedule", "assign")
_AUX_REASONS = {
    "unmatched": "lifecycle transition {lc!r} with no start or complete after it (the work does not appear "
    "in the log)",
    "superseded": "lifecycle transition 'assign' superseded by a later assignment before the work started",
    "late": "lifecycle transition 'assign' after the work had started (a reassignment)",
}


def _pair_lifecycles(events: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    """Pair schedule/assign/start/complete events into activity instances; drop the rest (reported).

    See :func:`mapper.engine.pair_lifecycle` and :func:`mapper.engine.pair_schedule`.
    """
    lc = events[LIFECYCLE].str.lower()
    counts = {str(k): int(v) for k, v in lc.value_counts(dropna=False).items()}
    has_start = bool((lc == "start").any())
    has_aux = bool(lc.isin(_AUX).any())
    if not has_start and not has_aux:
        ledger.details["lifecycle"] = {
            "transitions": counts,
            "paired": 0,
            "unmatched_complete": 0,
            "unmatched_start": 0,
        }
        if (lc == "complete").any():  # completion events are the events
            other = events.index[lc != "complete"]
            for value, idx in pd.Series(other, index=other).groupby(lc.loc[other].fillna("<missing>")):
                ledger.drop(f"lifecycle transition {value!r} (only complete events are used)", idx.index)
            events = events.drop(index=other)
        return events.drop(columns=[LIFECYCLE])
    if has_start and START_TIMESTAMP in events:
        raise EventLogError(
            f"{ledger.raw.source}: both a start-time column and start lifecycle events are present; "
            "map only one of them (drop the other column, or pass lifecycle='')."
        )
    other = events.index[~lc.isin(_WORK + _AUX)]
    for value, idx in pd.Series(other, index=other).groupby(lc.loc[other].fillna("<missing>")):
        ledger.drop(
            f"lifecycle transition {value!r} (only schedule, assign, start and complete are used)", idx.index
        )
    events = events.drop(index=other)
    lc = lc.drop(index=other)

    narrow = pd.DataFrame(
        {
            ROW_NR: events[ROW_NR].to_numpy(),
            CASE_ID: events[CASE_ID].astype(str).to_numpy(),
            ACTIVITY: events[ACTIVITY].astype(str).to_numpy(),
            "t_us": to_us(events[TIMESTAMP]).to_numpy(),
            "lifecycle": lc.to_numpy(),
        }
    )
    con = ibis.duckdb.connect(threads=2)
    table = con.create_table("lc", narrow, temp=True)
    pairs = execute(pair_lifecycle(table.filter(table.lifecycle.isin(_WORK))))
    aux = execute(pair_schedule(table)) if has_aux else pd.DataFrame(columns=[ROW_NR, "lifecycle", "kind"])
    con.disconnect()
    by_row = events.set_index(ROW_NR, drop=False).rename_axis(None)
    instances = by_row.loc[pairs[ROW_NR].to_numpy()].copy()
    start_rows = pairs["start_row_nr"]
    paired = start_rows.notna().to_numpy()
    if has_start:
        start = pd.Series(pd.NaT, index=instances.index, dtype="datetime64[ns, UTC]")
        start.iloc[paired] = by_row.loc[start_rows[paired].astype("int64").to_numpy(), TIMESTAMP].to_numpy()
        instances[START_TIMESTAMP] = start  # same index; keeps the UTC dtype even when all NaT
    if RESOURCE in instances and has_start:  # a completion without a resource takes its start's
        res = instances[RESOURCE].copy()
        fill = paired & res.isna().to_numpy()
        if fill.any():
            from_start = by_row.loc[start_rows[fill].astype("int64").to_numpy(), RESOURCE].to_numpy()
            res.iloc[fill] = from_start
            filled = instances[ROW_NR].to_numpy()[fill][pd.notna(from_start)]
            ledger.repair(
                "resource missing on the complete event: taken from its start event", pd.Index(filled)
            )
        instances[RESOURCE] = res.to_numpy()
    kinds = pairs["kind"].value_counts().to_dict()
    summary = {
        "transitions": counts,
        "paired": int(kinds.get("paired", 0)),
        "unmatched_complete": int(kinds.get("unmatched_complete", 0)),
        "unmatched_start": int(kinds.get("unmatched_start", 0)),
    }
    if has_aux:
        first_event = pd.Series(
            start_rows.fillna(pairs[ROW_NR]).astype("int64").to_numpy(), index=instances.index
        )
        for lifecycle, column in (("schedule", SCHEDULE_TIMESTAMP), ("assign", ASSIGN_TIMESTAMP)):
            mine = aux[aux["lifecycle"] == lifecycle]
            ok = mine[mine["kind"] == "paired"]
            when = pd.Series(
                by_row.loc[ok[ROW_NR].to_numpy(), TIMESTAMP].to_numpy(),
                index=ok["target_row_nr"].astype("int64").to_numpy(),
            )
            instances[column] = first_event.map(when).astype("datetime64[ns, UTC]")
            if len(mine):
                summary[f"{lifecycle}_paired"] = len(ok)
            for kind, reason in _AUX_REASONS.items():
                gone = mine.loc[mine["kind"] == kind, ROW_NR]
                if len(gone):
                    ledger.drop(reason.format(lc=lifecycle), pd.Index(gone.sort_values().to_numpy()))
                    summary[f"{lifecycle}_{kind}"] = len(gone)
            if not len(mine):
                instances = instances.drop(columns=[column])
    ledger.details["lifecycle"] = summary
    if kinds.get("unmatched_start", 0) or kinds.get("unmatched_complete", 0):
        ledger.notes.append(
            f"Lifecycle pairing: {kinds.get('paired', 0):,} start/complete pairs; "
            f"{kinds.get('unmatched_complete', 0):,} complete and {kinds.get('unmatched_start', 0):,} start "
            "events without a partner are kept as completion-only events."
        )
    if has_aux:
        attached = [
            f"{summary[f'{lc}_paired']:,} {lc} events (column {col})"
            for lc, col in (("schedule", SCHEDULE_TIMESTAMP), ("assign", ASSIGN_TIMESTAMP))
            if f"{lc}_paired" in summary
        ]
        ledger.notes.append(
            f"Lifecycle pairing: {' and '.join(attached)} attached to the instance they precede."
        )
    instances = instances.drop(columns=[LIFECYCLE]).sort_values(ROW_NR)
    return instances.reset_index(drop=True)
