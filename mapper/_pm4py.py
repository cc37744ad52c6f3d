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


def roles_from_counts(counts: dict[tuple[str, str], int], threshold: float) -> list[dict]:
    """Discover organisational roles from the number of events of each (resource, activity) pair.

    pm4py's roles algorithm (``pm4py.algo.organizational_mining.roles.common.algorithm``), which reads
    nothing but these counts: every activity starts as a role holding the multiset of resources that
    perform it; the two roles whose normalised resource multisets are most similar (sum of minima over
    sum of maxima) merge while that similarity exceeds ``threshold``.

    Parameters
    ----------
    counts : dict of (str, str) to int
        ``(resource, activity)`` -> events; compact (one entry per pair that occurs).
    threshold : float
        The similarity above which two roles merge, in (0, 1].

    Returns
    -------
    list of dict
        One dict per role, in pm4py's order (most activities first): ``activities`` (list of str) and
        ``resources`` (dict of str to int: events of each resource in the role's activities).

    References
    ----------
    Burattin, Sperduti & Veluscek (2013), "Business models enhancement through discovery of roles",
    IEEE Symposium on Computational Intelligence and Data Mining (CIDM), pp. 103-110.
    """
    from pm4py.algo.organizational_mining.roles.common import algorithm as roles_algorithm

    couples = Counter({(str(r), str(a)): int(n) for (r, a), n in counts.items()})
    found = roles_algorithm.apply(couples, parameters={"roles_threshold_parameter": float(threshold)})
    return [
        {"activities": list(role.activities), "resources": dict(role.originator_importance)} for role in found
    ]


def petri_net(tree):
    """The Petri net of a process tree: ``(net, initial_marking, final_marking)``."""
    import pm4py

    return pm4py.convert_to_petri_net(tree)


def replay_fitness(petri, variants: dict[tuple[str, ...], int]) -> dict:
    """Token-based replay fitness of a variant log on a process tree, each variant weighted by its cases.

    Each distinct trace is replayed once (pm4py's token-based replay on the tree's Petri net) and its
    token counts are multiplied by the number of cases that follow it, so the result equals replaying
    every case, at the cost of one replay per variant.

    Parameters
    ----------
    petri : tuple
        ``(net, initial_marking, final_marking)`` from :func:`petri_net`.
    variants : dict of tuple of str to int
        Each distinct trace and its number of cases (at least one).

    Returns
    -------
    dict
        ``log_fitness`` (float in [0, 1]: ``0.5 (1 - missing / consumed) + 0.5 (1 - remaining /
        produced)`` over all cases), ``fitting_cases`` (int: cases whose trace replays without missing or
        remaining tokens), ``cases`` (int), ``variants`` (int).

    References
    ----------
    Rozinat & van der Aalst (2008), "Conformance checking of processes based on monitoring real
    behavior", Information Systems 33(1), pp. 64-95 (token-based replay fitness).
    """
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay
    from pm4py.objects.log.obj import Event, EventLog, Trace

    net, im, fm = petri
    traces = list(variants)
    log = EventLog([Trace([Event({"concept:name": a}) for a in t]) for t in traces])
    results = token_replay.apply(log, net, im, fm, parameters={"show_progress_bar": False})
    w = [int(variants[t]) for t in traces]
    m = sum(n * r["missing_tokens"] for n, r in zip(w, results, strict=True))
    c = sum(n * r["consumed_tokens"] for n, r in zip(w, results, strict=True))
    rem = sum(n * r["remaining_tokens"] for n, r in zip(w, results, strict=True))
    p = sum(n * r["produced_tokens"] for n, r in zip(w, results, strict=True))
    fitness = 0.5 * (1 - m / c if c else 1.0) + 0.5 * (1 - rem / p if p else 1.0)
    return {
        "log_fitness": float(fitness),
        "fitting_cases": int(sum(n for n, r in zip(w, results, strict=True) if r["trace_is_fit"])),
        "cases": int(sum(w)),
        "variants": len(traces),
    }


#: pm4py's BPMN node classes -> the BPMN 2.0 element names of the tidy node table.
_BPMN_TYPES = {
    "StartEvent": "startEvent",
    "NormalStartEvent": "startEvent",
    "EndEvent": "endEvent",
    "NormalEndEvent": "endEvent",
    "ExclusiveGateway": "exclusiveGateway",
    "ParallelGateway": "parallelGateway",
    "InclusiveGateway": "inclusiveGateway",
    "Task": "task",
}


def tree_to_bpmn_tables(tree) -> dict[str, pd.DataFrame]:
    """The BPMN graph of a process tree as two tidy tables (pm4py's objects stay in this module).

    Returns
    -------
    dict
        ``nodes``: ``id`` (str, ``m1``, ``m2``, ... in pm4py's node order), ``type`` (str: ``startEvent``,
        ``endEvent``, ``exclusiveGateway``, ``parallelGateway``, ``inclusiveGateway`` or ``task``),
        ``name`` (str: the activity of a task, "" otherwise), ``direction`` (str: ``diverging``,
        ``converging``, ``mixed`` or "" for a gateway's role; "" for other nodes); ``flows``: ``id``
        (``mf1``, ...), ``source``, ``target`` (node ids).
    """
    import pm4py

    bpmn = pm4py.convert_to_bpmn(tree)
    # pm4py keeps the nodes in a set and names them with random ids: order them canonically (depth-first
    # from the start event, successors by a signature of what they lead to), so that the same log gives
    # the same ids and the same file on every run.
    succ: dict[object, list] = {}
    for f in bpmn.get_flows():
        succ.setdefault(f.get_source(), []).append(f.get_target())

    def kind(node) -> str:
        return _BPMN_TYPES.get(type(node).__name__, "task")

    def signature(node, depth: int = 0) -> tuple:
        own = (kind(node), node.get_name() or "" if kind(node) == "task" else "")
        if depth >= 4 or kind(node) == "task":
            return own
        return (*own, tuple(sorted(signature(t, depth + 1) for t in succ.get(node, []))))

    order: list = []
    seen: set = set()
    starts = sorted((n for n in bpmn.get_nodes() if kind(n) == "startEvent"), key=signature)
    stack = list(reversed(starts))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(sorted(succ.get(node, []), key=signature, reverse=True))
    order += sorted((n for n in bpmn.get_nodes() if n not in seen), key=signature)  # unreachable: last
    ids = {node: f"m{i + 1}" for i, node in enumerate(order)}
    nodes = []
    for node in order:
        direction = ""
        if kind(node).endswith("Gateway"):
            direction = str(getattr(node.get_gateway_direction(), "name", "")).lower()
            direction = "" if direction == "unspecified" else direction
        name = node.get_name() or "" if kind(node) == "task" else ""
        nodes.append({"id": ids[node], "type": kind(node), "name": name, "direction": direction})
    pairs = sorted(
        ((int(ids[f.get_source()][1:]), int(ids[f.get_target()][1:])) for f in bpmn.get_flows()),
    )
    flows = [{"id": f"mf{i + 1}", "source": f"m{a}", "target": f"m{b}"} for i, (a, b) in enumerate(pairs)]
    return {
        "nodes": pd.DataFrame(nodes, columns=["id", "type", "name", "direction"]),
        "flows": pd.DataFrame(flows, columns=["id", "source", "target"]),
    }


def _read_ocel(path, kind: str):
    """pm4py's OCEL 2.0 object, or EventLogError naming the file when pm4py cannot read it."""
    import pm4py

    from mapper.errors import EventLogError

    readers = {"json": pm4py.read_ocel2_json, "xml": pm4py.read_ocel2_xml, "sqlite": pm4py.read_ocel2_sqlite}
    try:
        ocel = readers[kind](str(path))
    except BaseException as exc:  # noqa: BLE001 - pm4py's Rust backend panics (a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise EventLogError(
            f"{path.name}: not a readable OCEL 2.0 {kind} log ({type(exc).__name__}: {str(exc)[:200]})."
        ) from None
    if ocel.objects.empty or ocel.events.empty:
        raise EventLogError(
            f"{path.name}: not an OCEL 2.0 log: it holds no objects or no events. Check the file type."
        )
    return ocel


def ocel_object_types(path, kind: str) -> dict[str, int]:
    """Object type -> number of objects of an OCEL 2.0 log, most objects first (see ``read_ocel_flat``)."""
    types = _read_ocel(path, kind).objects["ocel:type"].value_counts()
    return {str(t): int(n) for t, n in types.items()}


def read_ocel_flat(path, kind: str, object_type: str | None) -> tuple[pd.DataFrame, dict]:
    """Read an OCEL 2.0 log with pm4py and flatten it on ``object_type``.

    Flattening (van der Aalst 2019) makes each object of the type a case; an event related to several
    such objects is copied into each of their cases, and an event related to none is not in the view.

    Parameters
    ----------
    path : pathlib.Path
    kind : {"json", "xml", "sqlite"}
    object_type : str, optional
        Required when the log has more than one object type.

    Returns
    -------
    (pandas.DataFrame, dict)
        The flattened events under XES names (``case:concept:name`` = object id, ``concept:name``,
        ``time:timestamp``, ``ocel:eid``, event attributes) and what was done: ``object_type``,
        ``object_types`` (type -> objects), ``ocel_events``, ``events_without_object``.

    Raises
    ------
    EventLogError
        The file is not a readable OCEL 2.0 log, or the object type is missing or unknown.

    References
    ----------
    van der Aalst (2019), "Object-Centric Process Mining: Dealing with Divergence and Convergence in
    Event Data", SEFM 2019, LNCS 11724. OCEL 2.0 specification, Berti et al. (2023), ocel-standard.org.
    """
    import pm4py

    from mapper.errors import EventLogError

    ocel = _read_ocel(path, kind)
    types = ocel.objects["ocel:type"].value_counts()
    listing = ", ".join(f"{t!r} ({n:,} objects)" for t, n in types.items())
    if object_type is None:
        if len(types) != 1:
            raise EventLogError(
                f"{path.name}: the OCEL log has {len(types)} object types: {listing}. Pick the one whose "
                "objects are the cases with `object_type`."
            )
        object_type = str(types.index[0])
    elif object_type not in types.index:
        raise EventLogError(f"{path.name}: no object type {object_type!r}; the log has {listing}.")
    flat = pm4py.ocel_flattening(ocel, object_type)
    rel = ocel.relations
    related = rel.loc[rel["ocel:type"] == object_type, "ocel:eid"].nunique()
    n_events = int(ocel.events["ocel:eid"].nunique())
    details = {
        "object_type": object_type,
        "object_types": {str(t): int(n) for t, n in types.items()},
        "ocel_events": n_events,
        "events_without_object": n_events - int(related),
    }
    flat = flat.drop(columns=["case:ocel:type"], errors="ignore")
    return flat.reset_index(drop=True), details


#: pm4py's process-tree operators -> the plain names of :func:`tree_structure`.
_TREE_OPERATORS = {"->": "sequence", "X": "xor", "+": "parallel", "*": "loop", "O": "or"}


def tree_structure(tree) -> dict:
    """A process tree as plain nested dicts, so the rest of flowready reads it without pm4py's classes.

    Returns
    -------
    dict
        ``operator`` (str: ``sequence``, ``xor``, ``parallel``, ``loop``, ``or``; ``None`` for a leaf),
        ``label`` (str: a visible leaf's activity; ``None`` for a silent leaf (tau) or an operator),
        ``children`` (list of such dicts, in order; a loop's first child is its body ("do"), the others
        its redo parts).
    """
    if tree.operator is None:
        return {"operator": None, "label": tree.label, "children": []}
    return {
        "operator": _TREE_OPERATORS[str(tree.operator.value)],
        "label": None,
        "children": [tree_structure(c) for c in tree.children],
    }


def parse_tree(text: str):
    """A pm4py process tree from its string notation, e.g. ``"->( 'A', +( 'B', 'C' ) )"``."""
    import pm4py

    return pm4py.parse_process_tree(text)


def replay_precision(
    petri, variants: dict[tuple[str, ...], int], *, log_variants: dict[tuple[str, ...], int] | None = None
) -> dict:
    """ETConformance precision of a variant log on a Petri net, each variant weighted by its cases.

    The same computation as ``pm4py.precision_token_based_replay`` (pm4py's
    ``etconformance_token`` variant): every prefix of the log is replayed on the net with token-based
    replay, and the transitions the net enables after it (its *activated* tasks) are compared with the
    activities the log shows after that prefix (its *reflected* tasks); the difference are the escaping
    edges. Prefixes are counted over the variants weighted by their cases, which equals counting them
    over every case, and each distinct prefix is replayed once.

    Parameters
    ----------
    petri : tuple
        ``(net, initial_marking, final_marking)`` from :func:`petri_net`.
    variants : dict of tuple of str to int
        Each distinct trace and its number of cases (at least one): the prefixes replayed and their weights.
    log_variants : dict of tuple of str to int, optional
        The whole log's variants, when ``variants`` is a sample of them: the activities that follow a
        prefix, and the start activities, are read from the whole log, so a sample estimates the whole
        log's precision (a ratio estimator) instead of counting as escaping what only the sample lacks.

    Returns
    -------
    dict
        ``precision`` (float in [0, 1]: ``1 - escaping / activated``, summed over the prefixes weighted
        by their cases; 1 when nothing is activated), ``escaping`` and ``activated`` (int: those two
        weighted sums), ``prefixes`` (int: distinct prefixes replayed), ``prefixes_fit`` (int: those that
        replay without missing tokens; the others are left out, as in pm4py).

    References
    ----------
    Muñoz-Gama & Carmona (2010), "A fresh look at precision in process conformance", BPM 2010, LNCS 6336,
    pp. 211-226.
    """
    from pm4py.algo.conformance.tokenreplay import algorithm as executor
    from pm4py.algo.conformance.tokenreplay.variants import token_replay
    from pm4py.objects.log.obj import Event, EventLog, Trace
    from pm4py.objects.petri_net.utils.align_utils import (
        get_visible_transitions_eventually_enabled_by_marking,
    )

    net, im, fm = petri
    follows: dict[tuple[str, ...], set[str]] = {}
    for trace in variants if log_variants is None else log_variants:
        for i in range(1, len(trace)):
            follows.setdefault(trace[:i], set()).add(trace[i])
    starts = {t[0] for t in (variants if log_variants is None else log_variants) if t}
    weight: Counter = Counter()
    n_cases = 0
    for trace, n in variants.items():
        n_cases += int(n)
        for i in range(1, len(trace)):
            weight[trace[:i]] += int(n)
    prefixes = list(weight)
    params = {
        token_replay.Parameters.SHOW_PROGRESS_BAR: False,
        token_replay.Parameters.CONSIDER_REMAINING_IN_FITNESS: False,
        token_replay.Parameters.TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN: False,
        token_replay.Parameters.STOP_IMMEDIATELY_UNFIT: True,
        token_replay.Parameters.WALK_THROUGH_HIDDEN_TRANS: True,
        token_replay.Parameters.CLEANING_TOKEN_FLOOD: False,
    }
    fake = EventLog([Trace([Event({"concept:name": a}) for a in p]) for p in prefixes])
    replayed = (
        executor.apply(fake, net, im, fm, variant=executor.Variants.TOKEN_REPLAY, parameters=params)
        if prefixes
        else []
    )
    # the empty prefix: what the initial marking enables against the log's start activities
    initial = {t.label for t in get_visible_transitions_eventually_enabled_by_marking(net, im)}
    activated = n_cases * len(initial)
    escaping = n_cases * len(initial - starts)
    fit = 0
    for prefix, r in zip(prefixes, replayed, strict=True):
        if not r["trace_is_fit"]:
            continue
        fit += 1
        enabled = {t.label for t in r["enabled_transitions_in_marking"] if t.label is not None}
        activated += len(enabled) * weight[prefix]
        escaping += len(enabled - follows[prefix]) * weight[prefix]
    return {
        "precision": 1 - escaping / activated if activated else 1.0,
        "escaping": int(escaping),
        "activated": int(activated),
        "prefixes": len(prefixes),
        "prefixes_fit": fit,
    }
