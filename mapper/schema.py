"""The pandera schema of the event table, checked once when a log is loaded.

Everything after :func:`mapper.load.load_event_log` may assume what this schema states.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from mapper.columns import ACTIVITY, CASE_ID, RESOURCE, ROLE, ROW_NR, START_TIMESTAMP, TIMESTAMP
from mapper.errors import ValidationError

_UTC = pd.DatetimeTZDtype(tz="UTC")


def event_table_schema(*, has_start: bool, has_resource: bool, has_role: bool) -> pa.DataFrameSchema:
    """Build the schema of a canonical event table.

    Parameters
    ----------
    has_start, has_resource, has_role : bool
        Whether the optional columns ``start_timestamp``, ``resource`` and ``role`` are present.

    Returns
    -------
    pandera.DataFrameSchema
        ``case_id`` and ``activity``: non-empty text; ``timestamp``: ``datetime64[ns, UTC]``, never
        missing; ``start_timestamp``: ``datetime64[ns, UTC]``, missing allowed, never after
        ``timestamp``; ``resource``/``role``: text, missing allowed; ``row_nr``: int64, unique.
        Other columns are allowed and not checked.
    """
    columns = {
        CASE_ID: pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        ACTIVITY: pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        TIMESTAMP: pa.Column(_UTC, nullable=False),
        ROW_NR: pa.Column("int64", unique=True, nullable=False),
    }
    checks = []
    if has_start:
        columns[START_TIMESTAMP] = pa.Column(_UTC, nullable=True)
        checks.append(
            pa.Check(
                lambda df: df[START_TIMESTAMP].isna() | (df[START_TIMESTAMP] <= df[TIMESTAMP]),
                error="start_timestamp must not be after timestamp",
            )
        )
    if has_resource:
        columns[RESOURCE] = pa.Column(str, nullable=True)
    if has_role:
        columns[ROLE] = pa.Column(str, nullable=True)
    return pa.DataFrameSchema(columns, checks=checks, strict=False, coerce=False)


def validate_event_table(events: pd.DataFrame, *, source: str) -> None:
    """Check ``events`` against :func:`event_table_schema`, reporting every failure at once.

    Raises
    ------
    ValidationError
        Listing each failing column and check with up to five example rows (1-based data rows).
    """
    schema = event_table_schema(
        has_start=START_TIMESTAMP in events, has_resource=RESOURCE in events, has_role=ROLE in events
    )
    try:
        schema.validate(events, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for (col, check), grp in fc.groupby(["column", "check"], dropna=False, sort=False):
            idx = [int(i) + 1 for i in grp["index"].dropna().head(5)]
            where = f" (rows {', '.join(map(str, idx))})" if idx else ""
            lines.append(f"- column {col}: {check}{where}")
        raise ValidationError(
            f"{source}: the event table breaks {len(lines)} rule(s):\n" + "\n".join(lines)
        ) from None


def validate_engine_table(table, *, source: str) -> None:
    """Check the engine's event table against the rules of :func:`event_table_schema`, by queries.

    The same rules as :func:`validate_event_table` (types, missing values, non-empty text, unique
    ``row_nr``, ``start_timestamp`` never after ``timestamp``), evaluated in the engine without a pandas
    copy.

    Parameters
    ----------
    table : ibis Table
        The whole event table (:meth:`mapper.EventLog.table`).
    source : str
        The file name, for the message.

    Raises
    ------
    ValidationError
        Listing each failing column and check with up to five example rows (1-based data rows).
    """
    schema = table.schema()
    lines = []
    for col in (CASE_ID, ACTIVITY, TIMESTAMP, ROW_NR):
        if col not in schema:
            lines.append(f"- column {col}: column_in_dataframe")
    for col in (CASE_ID, ACTIVITY, RESOURCE, ROLE):
        if col in schema and not schema[col].is_string():
            lines.append(f"- column {col}: dtype('str')")
    for col in (TIMESTAMP, START_TIMESTAMP):
        if col in schema and not (schema[col].is_timestamp() and schema[col].timezone == "UTC"):
            lines.append(f"- column {col}: dtype('datetime64[ns, UTC]')")
    if ROW_NR in schema and not schema[ROW_NR].is_int64():
        lines.append(f"- column {ROW_NR}: dtype('int64')")
    if lines:
        raise ValidationError(f"{source}: the event table breaks {len(lines)} rule(s):\n" + "\n".join(lines))
    rules = {
        (CASE_ID, "not_nullable"): table[CASE_ID].isnull(),
        (ACTIVITY, "not_nullable"): table[ACTIVITY].isnull(),
        (CASE_ID, "str_length(1, None)"): table[CASE_ID].length() < 1,
        (ACTIVITY, "str_length(1, None)"): table[ACTIVITY].length() < 1,
        (TIMESTAMP, "not_nullable"): table[TIMESTAMP].isnull(),
        (ROW_NR, "not_nullable"): table[ROW_NR].isnull(),
    }
    if START_TIMESTAMP in schema:
        rules[("None", "start_timestamp must not be after timestamp")] = (
            table[START_TIMESTAMP] > table[TIMESTAMP]
        ).fill_null(False)
    counts = table.aggregate(
        **{f"r{i}": rule.fill_null(False).cast("int64").sum() for i, rule in enumerate(rules.values())},
        rows=table.count(),
        distinct_rows=table[ROW_NR].nunique(),
    ).execute()
    for i, (col, check) in enumerate(rules):
        if int(counts[f"r{i}"].iloc[0] or 0):
            rule = list(rules.values())[i]
            first = table.filter(rule.fill_null(False)).order_by(ROW_NR).limit(5)[ROW_NR].execute()
            lines.append(f"- column {col}: {check} (rows {', '.join(str(int(r) + 1) for r in first)})")
    if int(counts["rows"].iloc[0]) != int(counts["distinct_rows"].iloc[0]):
        lines.append(f"- column {ROW_NR}: field_uniqueness")
    if lines:
        raise ValidationError(f"{source}: the event table breaks {len(lines)} rule(s):\n" + "\n".join(lines))
