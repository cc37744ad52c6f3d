"""Event-level queries of the readiness analysis (Ibis expressions over the engine's tables)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from mapper.columns import ACTIVITY, RESOURCE


def neighbour_entropy(o: ir.Table) -> ir.Table:
    """Per activity: how predictable its predecessors and successors are.

    Uses the normalised Shannon entropy of the predecessor and successor distributions (the case start
    and the case end count as one more outcome, ``<none>``).

    Returns
    -------
    ibis Table
        ``activity``, ``pred_entropy``, ``succ_entropy`` (float in [0, 1]: 0 = always the same
        neighbour), ``succ_distinct`` (int64), ``succ_top_share`` (float).
    """

    def entropy(col: str, name: str) -> ir.Table:
        k = o.mutate(nb=o[col].fill_null("<none>"))
        counts = k.group_by([ACTIVITY, "nb"]).aggregate(n=k.count())
        w = ibis.window(group_by=counts[ACTIVITY])
        tot = counts.n.sum().over(w)
        p = counts.n.cast("float64") / tot
        distinct = counts.n.count().over(w)
        counts = counts.mutate(plogp=-(p * p.ln()), n_distinct=distinct, prob=p)
        agg = counts.group_by(ACTIVITY).aggregate(
            h=counts.plogp.sum(), k=counts.n_distinct.max(), top=counts.prob.max()
        )
        norm = ibis.cases((agg.k > 1, agg.h / agg.k.cast("float64").ln()), else_=0.0)
        return agg.select(
            ACTIVITY, **{f"{name}_entropy": norm, f"{name}_distinct": agg.k, f"{name}_top_share": agg.top}
        )

    pred = entropy("prev_activity", "pred")
    succ = entropy("next_activity", "succ")
    return pred.join(succ, ACTIVITY)


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
