"""Several systems, one case: merge event logs from several sources into one event table.

Each source is loaded on its own (its own columns, date order and time zone) with
:func:`mapper.load_event_log`, then the logs are merged here. Case ids are matched as they are (the same
id in two systems is the same case) or through a mapping table; every event keeps the system it comes
from in ``source_system``, so a case moving from one system to another is a handover of work at the
``"system"`` level of :func:`analysis.handoffs.find_handoffs`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from mapper.columns import CASE_ID, RESOURCE, ROLE, ROW_NR, SOURCE_ROW_NR, SOURCE_SYSTEM
from mapper.engine import execute, rebind_tables, timestamp_ties
from mapper.errors import ColumnMappingError, EventLogError
from mapper.log import DataQuality, EventLog
from mapper.schema import validate_event_table

#: Column keeping each event's case id as its own system wrote it.
SYSTEM_CASE_ID = "system_case_id"
#: Column keeping each event's position in its own source (``row_nr`` is renumbered across sources).


def _read_case_map(case_map: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, str]:
    if isinstance(case_map, pd.DataFrame):
        return case_map.copy(), "<case map>"
    from mapper.readers import read_raw

    raw = read_raw(case_map)
    return raw.frame, raw.source


def _case_lookup(table: pd.DataFrame, name: str, systems: list[str]) -> dict[str, pd.Series]:
    """For each system, a Series mapping its case ids to the merged case id."""
    cols = [s for s in systems if s in table.columns]
    if not cols:
        raise ColumnMappingError(
            f"{name}: the case map needs a column per system named {systems}; it has {list(table.columns)}."
        )
    text = table.astype("string").apply(lambda c: c.str.strip()).replace("", pd.NA)
    merged = text[CASE_ID] if CASE_ID in text.columns else text[cols].bfill(axis=1).iloc[:, 0]
    lookups = {}
    for system in cols:
        ids = text[system]
        keep = ids.notna() & merged.notna()
        dup = ids[keep & ids.duplicated(keep=False)]
        if len(dup):
            rows = ", ".join(str(i + 2) for i in dup.index[:5])
            raise EventLogError(
                f"{name}: column {system!r} lists case id {dup.iloc[0]!r} more than once (lines {rows}); "
                "each case of a system may map to one merged case only."
            )
        lookups[system] = pd.Series(merged[keep].to_numpy(), index=ids[keep].to_numpy())
    return lookups


def merge_event_logs(
    logs: Mapping[str, EventLog] | Sequence[EventLog],
    *,
    case_map: pd.DataFrame | str | Path | None = None,
    pseudonym_key: bytes | None = None,
    pseudonymise: Sequence[str] = (CASE_ID, RESOURCE),
) -> EventLog:
    """Merge the event logs of several systems into one log whose cases span the systems.

    Parameters
    ----------
    logs : mapping of str to EventLog, or sequence of EventLog
        The loaded logs, keyed by system name (a sequence uses each log's file name without its
        extension). Not changed.
    case_map : pandas.DataFrame, str or pathlib.Path, optional
        A table linking the case ids of the systems: one column per system (named as the system), one
        row per case; an optional ``case_id`` column gives the merged id (otherwise the id in the first
        system column that has one). Cases not in the map keep their own id, so equal ids in two
        systems are the same case. A CSV/Excel/Parquet file is read as text.
    pseudonym_key : bytes, optional
        Pseudonymise the merged table (``case_id`` and ``system_case_id`` alike) with this key, after
        the case ids were matched: load the sources *without* a key when their ids go through a case
        map, which holds the original ids. See :func:`mapper.pseudonymise.pseudonymise_event_table`.
    pseudonymise : sequence of str
        The columns to pseudonymise (default ``case_id`` and ``resource``).

    Returns
    -------
    EventLog
        ``events`` holds every event of every log, with ``source_system`` (str), ``system_case_id``
        (str: the id in its own system), ``source_row_nr`` (int64: the position in its own source) and
        ``row_nr`` renumbered across the sources in the order given (the tie-break of equal
        timestamps). Attributes missing in one source are missing for its events. ``quality`` adds up
        the sources' reports (reasons and repairs prefixed with the system) and keeps each source's own
        report in ``details["sources"]``.

    Raises
    ------
    EventLogError
        Fewer than two logs, duplicate system names, or a case map that links one case id twice.
    ColumnMappingError
        The case map has no column for any system.

    Examples
    --------
    >>> permits = load_event_log("sample_logs/council_permits.csv")
    >>> merged = merge_event_logs({"planning": permits, "copy": permits})
    >>> merged.summary()["systems"]
    ['copy', 'planning']
    """
    named = (
        list(logs.items()) if isinstance(logs, Mapping) else [(system_name(log.source), log) for log in logs]
    )
    if len(named) < 2:
        raise EventLogError("merge_event_logs needs at least two logs.")
    systems = [str(s) for s, _ in named]
    if len(set(systems)) != len(systems):
        raise EventLogError(f"system names must differ; got {systems}. Name the logs explicitly.")
    lookups = _case_lookup(*_read_case_map(case_map), systems) if case_map is not None else {}

    frames, notes, offset = [], [], 0
    reasons, examples, repairs, sources = {}, {}, {}, {}
    for system, log in named:
        ev = log.events.copy()
        ev[SYSTEM_CASE_ID] = ev[CASE_ID]
        ev[SOURCE_ROW_NR] = ev[ROW_NR]
        ev[ROW_NR] = ev[ROW_NR] + offset
        offset += int(log.quality.rows_read) if log.quality.rows_read else int(ev[ROW_NR].max()) + 1
        ev[SOURCE_SYSTEM] = system
        if system in lookups:
            mapped = ev[CASE_ID].map(lookups[system])
            unmapped = ev.loc[mapped.isna(), CASE_ID].nunique()
            if unmapped:
                notes.append(
                    f"{system}: {unmapped:,} of {ev[CASE_ID].nunique():,} cases are not in the case map "
                    "and keep their own id."
                )
            ev[CASE_ID] = mapped.fillna(ev[CASE_ID]).astype(object)
        frames.append(ev)
        q = log.quality
        sources[system] = q.to_dict()
        reasons.update({f"{system}: {r}": n for r, n in q.reasons.items()})
        examples.update({f"{system}: {r}": e for r, e in q.examples.items()})
        repairs.update({f"{system}: {r}": n for r, n in q.repairs.items()})
        notes.extend(f"{system}: {n}" for n in q.notes)
    events = pd.concat(frames, ignore_index=True, sort=False)
    for col in (RESOURCE, ROLE):
        if col in events:
            events[col] = events[col].astype(object).where(events[col].notna(), None)
    events = events.sort_values(ROW_NR, kind="stable").reset_index(drop=True)
    shared = events.groupby(CASE_ID, sort=False)[SOURCE_SYSTEM].nunique()
    notes.append(
        f"Merged {len(systems)} systems ({', '.join(systems)}): {int((shared > 1).sum()):,} of "
        f"{len(shared):,} cases have events in more than one system."
    )
    name = " + ".join(systems)
    pseudonymised = None
    if pseudonym_key is not None:
        from mapper.pseudonymise import pseudonymise_event_table

        done = pseudonymise_event_table(events, pseudonym_key, pseudonymise, source=name)
        events = done.events
        pseudonymised = {k: v for k, v in done.report().items() if k != "key_source"}
        notes.append(done.note)
    validate_event_table(events, source=name)
    rows_read = sum(int(log.quality.rows_read) for _, log in named)
    rows_dropped = sum(int(log.quality.rows_dropped) for _, log in named)
    first = named[0][1]
    draft = EventLog.from_frame(
        events, name, first.mapping, DataQuality(name, "merged", 0, 0, 0), first.timezone
    )
    ties = execute(timestamp_ties(draft.tables().events)).iloc[0]
    details = {
        "sources": sources,
        "systems": systems,
        "cases_in_several_systems": int((shared > 1).sum()),
        "case_map": bool(lookups),
        "tied_events": int(ties.tied_events),
        "tied_cases": int(ties.tied_cases),
        "mapping": {s: log.mapping.as_dict() for s, log in named},
        "timezone": {s: log.timezone for s, log in named},
    }
    if pseudonymised is not None:
        details["pseudonymised"] = pseudonymised
    if int(ties.tied_events):
        notes.append(
            f"{int(ties.tied_events):,} events in {int(ties.tied_cases):,} merged cases share their "
            "timestamp with another event of the same case; they are ordered by system (in the order "
            "given), then by their position in the file."
        )
    quality = DataQuality(
        source=name,
        format="merged",
        rows_read=rows_read,
        rows_kept=rows_read - rows_dropped,
        rows_dropped=rows_dropped,
        reasons=reasons,
        examples=examples,
        repairs=repairs,
        notes=notes,
        details=details,
    )
    final = dataclasses.replace(draft, quality=quality)
    rebind_tables(draft, final)
    return final


def system_name(source: str) -> str:
    """The default system name of a log: its file name without the extensions (``crm.csv.gz`` -> ``crm``).

    Parameters
    ----------
    source : str
        A file name or path.

    Returns
    -------
    str
    """
    name = Path(source).name
    for ext in (".gz", ".csv", ".tsv", ".txt", ".xes", ".parquet", ".xlsx", ".jsonocel", ".xmlocel"):
        name = name.removesuffix(ext)
    return name or source
