"""The only place that speaks pm4py's (XES) column names.

pm4py works here on compact inputs (the variants with their frequencies) or, in tests, on an event
table renamed to its XES keys.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from mapper.columns import ACTIVITY, CASE_ID, RESOURCE, ROLE, ROW_NR, TIMESTAMP

XES_NAMES = {
    CASE_ID: "case:concept:name",
    ACTIVITY: "concept:name",
    TIMESTAMP: "time:timestamp",
    RESOURCE: "org:resource",
    ROLE: "org:role",
}


def to_pm4py_frame(events: pd.DataFrame) -> pd.DataFrame:
    """The event table under pm4py's column names, in pm4py's order (case, time, file position).

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical event table.

    Returns
    -------
    pandas.DataFrame
        The same rows with ``case:concept:name``, ``concept:name``, ``time:timestamp``,
        ``org:resource``, ``org:role`` (when present); a new frame, ``events`` is not changed.
    """
    cols = [c for c in (CASE_ID, ACTIVITY, TIMESTAMP, RESOURCE, ROLE, ROW_NR) if c in events]
    out = events[cols].rename(columns=XES_NAMES)
    return out.sort_values(["case:concept:name", "time:timestamp", ROW_NR], kind="stable").reset_index(
        drop=True
    )


def inductive_miner_from_variants(variants: dict[tuple[str, ...], int], noise_threshold: float):
    """Mine a process tree with the Inductive Miner - infrequent (IMf) from a variant counter.

    Parameters
    ----------
    variants : dict of tuple of str to int
        Each distinct trace and the number of cases that follow it.
    noise_threshold : float
        IMf's filtering threshold in [0, 1): 0 keeps every behaviour (the plain Inductive Miner's
        fitness guarantee); higher values drop infrequent directly-follows behaviour.

    Returns
    -------
    pm4py ProcessTree

    References
    ----------
    Leemans, Fahland & van der Aalst (2013), "Discovering block-structured process models from event
    logs containing infrequent behaviour", BPM Workshops, LNBIP 171.
    """
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic as pt_util
    from pm4py.objects.process_tree.utils.generic import tree_sort

    params = {"noise_threshold": float(noise_threshold)}
    uvcl = Counter({tuple(trace): int(n) for trace, n in variants.items()})
    tree = IMFUVCL(params).apply(IMDataStructureUVCL(uvcl), params)
    tree = pt_util.fold(tree)
    tree_sort(tree)
    return tree


def tree_to_bpmn(tree):
    """Convert a process tree to a pm4py BPMN graph."""
    import pm4py

    return pm4py.convert_to_bpmn(tree)
