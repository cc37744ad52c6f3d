"""Preview a column mapping before loading: the first rows as they will be read, each time column's format.

The app's mapping step calls :func:`preview_event_log` on every change of the mapping, so the analyst sees
what :func:`mapper.load_event_log` will make of the file before the full load runs. The preview uses the
same mapping detection and the same timestamp parser as the load, so what it shows is what the load does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mapper.columns import (
    ACTIVITY,
    CASE_ID,
    LIFECYCLE,
    RESOURCE,
    ROLE,
    START_TIMESTAMP,
    TIMESTAMP,
    ColumnMapping,
    detect_mapping,
)
from mapper.load import Ledger, check_zone
from mapper.readers import RawTable
from mapper.timestamps import parse_timestamps

#: Canonical columns in the order the preview shows them.
PREVIEW_COLUMNS = (CASE_ID, ACTIVITY, START_TIMESTAMP, TIMESTAMP, RESOURCE, ROLE, LIFECYCLE)


@dataclass(frozen=True)
class MappingPreview:
    """What :func:`mapper.load_event_log` will make of a file under one column mapping.

    Attributes
    ----------
    mapping : ColumnMapping
        The mapping the load will use (the user's choices, the rest detected).
    notes : list of str
        Detections that were not certain (as in the import report).
    rows : pandas.DataFrame
        The first rows of the file under canonical names: ``row`` (str, the row's label in the source,
        e.g. ``"row 1 (line 2)"``), then those of ``case_id``, ``activity``, ``start_timestamp``,
        ``timestamp`` (``datetime64[ns, UTC]``; ``NaT`` where empty or unreadable), ``resource``,
        ``role``, ``lifecycle`` that are mapped (values as read, object dtype).
    time_columns : pandas.DataFrame
        One row per mapped time column: ``column`` (str, canonical), ``source_column`` (str),
        ``format`` (str, in words: ``"ISO 8601"``, ``"day-first (DD/MM/YYYY)"``, a strptime format...),
        ``zone`` (str), ``values`` (int64, non-empty), ``missing`` (int64, empty), ``unreadable``
        (int64, present but not in the column's format), ``example_unreadable`` (str, up to three
        labelled examples; ``""`` when none). Computed over the whole column, not only the rows shown.
    """

    mapping: ColumnMapping
    notes: list
    rows: pd.DataFrame
    time_columns: pd.DataFrame


def preview_event_log(
    raw: RawTable,
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
    rows: int = 20,
) -> MappingPreview:
    """Show how a raw table will be read under a column mapping, without loading it.

    Parameters
    ----------
    raw : RawTable
        From :func:`mapper.readers.read_raw` (not changed).
    case_id, activity, timestamp, start_timestamp, resource, role, lifecycle : str, optional
        As in :func:`mapper.load_event_log`: the source column of each canonical column; ``None``
        detects it, ``""`` says the file has none (optional columns only).
    timestamp_format, dayfirst, timezone
        As in :func:`mapper.load_event_log`.
    rows : int, default 20
        How many rows of the file to show.

    Returns
    -------
    MappingPreview

    Raises
    ------
    ColumnMappingError
        As :func:`mapper.detect_mapping`: a named column does not exist, one column is given twice, a
        required column cannot be found.
    TimestampError
        A time column's day/month order is ambiguous and ``dayfirst`` is not given, or its format
        cannot be recognised (the same message the load gives).
    EventLogError
        ``timezone`` is not an IANA zone name.

    Examples
    --------
    >>> from mapper.readers import read_raw
    >>> p = preview_event_log(read_raw("sample_logs/council_permits.csv"))
    >>> p.time_columns["format"].tolist()
    ['ISO 8601', 'ISO 8601']
    """
    check_zone(timezone)
    explicit = {
        CASE_ID: case_id,
        ACTIVITY: activity,
        TIMESTAMP: timestamp,
        START_TIMESTAMP: start_timestamp,
        RESOURCE: resource,
        ROLE: role,
        LIFECYCLE: lifecycle,
    }
    detected = detect_mapping(list(raw.frame.columns), explicit=explicit, source=raw.source)
    mapping, notes = detected.mapping, list(detected.notes)
    labels = Ledger(raw).label
    head = raw.frame.head(rows)
    shown: dict[str, pd.Series] = {"row": pd.Series([labels(i) for i in range(len(head))], index=head.index)}
    times = []
    for canon in PREVIEW_COLUMNS:
        col = getattr(mapping, canon)
        if col is None:
            continue
        if canon not in (TIMESTAMP, START_TIMESTAMP):
            shown[canon] = head[col].astype(object)
            continue
        parsed = parse_timestamps(
            raw.frame[col],
            column=col,
            source=raw.source,
            timestamp_format=timestamp_format,
            dayfirst=dayfirst,
            timezone=timezone,
            row_label=labels,
            excel_epoch=raw.details.get("excel_epoch"),
        )
        bad = parsed.bad[parsed.bad].index
        times.append(
            {
                "column": canon,
                "source_column": col,
                "format": parsed.format,
                "zone": parsed.zone,
                "values": int((~parsed.missing).sum()),
                "missing": int(parsed.missing.sum()),
                "unreadable": len(bad),
                "example_unreadable": "; ".join(f"{labels(i)}: {raw.frame.at[i, col]!r}" for i in bad[:3]),
            }
        )
        shown[canon] = parsed.values.loc[head.index]
    time_columns = pd.DataFrame(
        times,
        columns=[
            "column",
            "source_column",
            "format",
            "zone",
            "values",
            "missing",
            "unreadable",
            "example_unreadable",
        ],
    ).astype({"values": "int64", "missing": "int64", "unreadable": "int64"})
    return MappingPreview(mapping, notes, pd.DataFrame(shown).reset_index(drop=True), time_columns)
