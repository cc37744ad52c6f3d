"""Event-level queries of the blueprint (Ibis expressions over the log's whole event table)."""

from __future__ import annotations

import ibis.expr.types as ir

from analysis.queries.readiness import has_value
from mapper.columns import ACTIVITY


def column_presence(t: ir.Table, columns: list[str]) -> ir.Table:
    """Per activity: how many of its events carry a value in each of ``columns``.

    Parameters
    ----------
    t : ibis Table
        The whole event table (:meth:`mapper.EventLog.table`).
    columns : list of str
        Columns of ``t``.

    Returns
    -------
    ibis Table
        One row per activity: ``activity`` (str) and one int64 column per entry of ``columns`` (same
        name): the events of the activity with a value there.
    """
    return t.group_by(t[ACTIVITY].cast("string").name(ACTIVITY)).aggregate(
        **{c: has_value(t[c]).cast("int64").sum() for c in columns}
    )


__all__ = ["column_presence"]
