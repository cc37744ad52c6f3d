"""Event-level queries of the process KPIs (Ibis expressions over the engine's tables)."""

from __future__ import annotations

import ibis.expr.types as ir

from mapper.columns import ACTIVITY, CASE_ID
from mapper.engine import P90, hours


def process_kpis(o: ir.Table) -> ir.Table:
    """Process-wide baseline figures.

    Returns
    -------
    ibis Table
        A single row: ``waiting_hours_median``, ``waiting_hours_p90`` (float, over all waits),
        ``waiting_hours_total`` (float), ``rework_cases`` (int64: cases with any activity repeated),
        ``cases`` (int64).
    """
    per_case = o.group_by([CASE_ID, ACTIVITY]).aggregate(n=o.count())
    rw = per_case.group_by(CASE_ID).aggregate(rep=(per_case.n.max() > 1))
    waits = o.aggregate(
        waiting_hours_median=hours(o.wait_us).median(),
        waiting_hours_p90=hours(o.wait_us).quantile(P90),
        waiting_hours_total=hours(o.wait_us).sum(),
    )
    counts = rw.aggregate(rework_cases=rw.rep.cast("int64").sum(), cases=rw.count())
    return waits.cross_join(counts)
