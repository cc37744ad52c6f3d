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
