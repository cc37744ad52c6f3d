"""Process discovery: the directly-follows graph, the variants, a BPMN model, and the process map.

Event-level work runs in the engine (:mod:`mapper.engine`); pm4py's Inductive Miner works on the
compact variants table, never on the events. The process map can be abstracted like Disco's
activities and paths sliders (:func:`abstract_dfg`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Collection
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Literal

import graphviz
import pandas as pd

from mapper import _pm4py
from mapper.engine import dfg_edges, execute, start_end_activities
from mapper.engine import variants as variants_query
from mapper.errors import AnalysisError, FlowreadyError
from mapper.log import EventLog
from mapper.units import humanize_hours


@dataclass(frozen=True)
class DirectlyFollowsGraph:
    """The directly-follows graph (DFG) of a log, with frequencies and times.

    Attributes
    ----------
    edges : pandas.DataFrame
        One row per directly-follows pair, most frequent first: ``source``, ``target`` (str),
        ``frequency`` (int64), ``cases`` (int64), ``hours_median``, ``hours_p90``, ``hours_mean``,
        ``hours_total`` (float, hours from the completion of ``source`` to the completion of ``target``),
        ``wait_hours_median``, ``wait_hours_p90``, ``wait_hours_total`` (float, hours from the
        completion of ``source`` to the start of ``target``; equal to the former without start times).
    activities : pandas.DataFrame
        ``activity`` (str), ``events``, ``cases``, ``starts``, ``ends`` (int64: number of cases it starts
        and ends).
    cases : int
        Number of cases in the log.
    hidden_activities : int, default 0
        Number of activities of the log that an abstraction (:meth:`abstract`) left out; 0 for the
        graph :func:`discover_dfg` returns.
    hidden_paths : int, default 0
        Number of edges between the activities kept that an abstraction left out. Edges to or from a
        hidden activity are hidden with it and not counted here.
    """

    edges: pd.DataFrame
    activities: pd.DataFrame
    cases: int
    hidden_activities: int = 0
    hidden_paths: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The edges table (a copy)."""
        return self.edges.copy()

    def abstract(self, *, activity_share: float = 1.0, path_share: float = 1.0) -> DirectlyFollowsGraph:
        """The graph with only its most frequent activities and paths; see :func:`abstract_dfg`."""
        return abstract_dfg(self, activity_share=activity_share, path_share=path_share)

    def to_graphviz(
        self,
        *,
        overlay: Literal["frequency", "time", "both"] = "both",
        max_activities: int = 60,
        max_paths: int | None = None,
        activity_share: float = 1.0,
        path_share: float | None = None,
        statistic: Literal["median", "mean", "p90", "total"] = "median",
    ) -> graphviz.Digraph:
        """The process map; see :func:`plot_process_map`."""
        return plot_process_map(
            self,
            overlay=overlay,
            max_activities=max_activities,
            max_paths=max_paths,
            activity_share=activity_share,
            path_share=path_share,
            statistic=statistic,
        )

    def plot(self, *, value: Literal["frequency", "hours_median"] = "frequency", max_activities: int = 30):
        """A plotly heat map of the graph: who follows whom, and how often (or how long it takes).

        Parameters
        ----------
        value : {"frequency", "hours_median"}, default "frequency"
            What a cell shows: how many times ``target`` directly follows ``source`` (int), or the median
            hours between their completions (float, hours).
        max_activities : int, default 30
            The most frequent activities shown (rows and columns); the process map
            (:func:`plot_process_map`) draws the graph itself.

        Returns
        -------
        plotly.graph_objects.Figure
            A heat map with the source activities as rows and the target activities as columns, both in
            order of frequency; empty cells are pairs that never follow directly. Names are escaped
            (:func:`mapper.escape.escape_figure`).

        Examples
        --------
        >>> dfg = discover_dfg(load_event_log(SAMPLE))
        >>> fig = dfg.plot()
        >>> int(pd.DataFrame(fig.data[0].z).sum().sum()) == int(dfg.edges["frequency"].sum())
        True
        """
        import plotly.graph_objects as go

        from mapper.escape import escape_figure

        if value not in ("frequency", "hours_median"):
            raise AnalysisError(f"value must be 'frequency' or 'hours_median', not {value!r}")
        keep = self.activities.sort_values(["events", "activity"], ascending=[False, True])["activity"]
        keep = keep.head(max_activities).tolist()
        e = self.edges[self.edges["source"].isin(keep) & self.edges["target"].isin(keep)]
        grid = e.pivot(index="source", columns="target", values=value).reindex(index=keep, columns=keep)
        label = "times followed" if value == "frequency" else "median hours between completions"
        fig = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(),
                x=list(grid.columns),
                y=list(grid.index),
                colorscale="Blues",
                colorbar={"title": label},
                hovertemplate="%{y} → %{x}: %{z:,.3~f}<extra></extra>",
            )
        )
        fig.update_layout(
            title=f"Directly-follows graph: {label}",
            xaxis={"title": "then", "tickangle": -45},
            yaxis={"title": "first", "autorange": "reversed"},
            height=300 + 22 * len(keep),
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        hidden = (
            f" ({self.hidden_activities} activities, {self.hidden_paths} paths hidden)"
            if self.hidden_activities or self.hidden_paths
            else ""
        )
        return (
            f"<b>Directly-follows graph</b>: {len(self.activities)} activities, {len(self.edges)} edges, "
            f"{self.cases:,} cases{hidden}" + self.edges.head(30).to_html(index=False)
        )


@dataclass(frozen=True)
class ProcessModel:
    """A BPMN model discovered with the Inductive Miner - infrequent.

    Attributes
    ----------
    tree : pm4py ProcessTree
    nodes : pandas.DataFrame
        The same model as a BPMN graph, one row per flow node: ``id`` (str), ``type`` (str:
        ``startEvent``, ``endEvent``, ``exclusiveGateway``, ``parallelGateway``, ``inclusiveGateway`` or
        ``task``), ``name`` (str: the activity of a task, "" otherwise), ``direction`` (str: a gateway's
        ``diverging`` (split), ``converging`` (join) or ``mixed``; "" otherwise).
    flows : pandas.DataFrame
        Its sequence flows: ``id``, ``source``, ``target`` (str, node ids).
    noise_threshold : float
    variants_used : int
        Number of variants the model was mined from (after the projection below, if any).
    activities_left_out : tuple of str
        When the log has more activities than :data:`MAX_MODEL_ACTIVITIES`, the rarer activities the
        model was mined without (see :func:`discover_bpmn`); empty when every activity was offered to the
        miner.
    events_share_modelled : float
        Share of the log's events whose activity was offered to the miner (1.0 without a projection).
    activities_offered : int
        How many activities were offered to the miner when some were left out (0 otherwise).
    """

    tree: object
    nodes: pd.DataFrame
    flows: pd.DataFrame
    noise_threshold: float
    variants_used: int
    activities_left_out: tuple = ()
    events_share_modelled: float = 1.0
    activities_offered: int = 0

    @property
    def note(self) -> str:
        """A plain sentence saying the model covers only the main activities; "" when it covers all."""
        if not self.activities_left_out:
            return ""
        n = len(self.activities_left_out)
        return (
            f"The log has {self.activities_offered + n:,} activities, more than this model holds "
            f"({self.activities_offered}): it was mined on the {self.activities_offered} activities that "
            f"carry most of the events ({self.events_share_modelled:.0%} of them); the {n:,} rarer "
            "activities are left out of the model and of the BPMN blueprint drawn from it."
        )

    def to_frame(self) -> pd.DataFrame:
        """The model's flow nodes with their number of incoming and outgoing flows.

        Returns
        -------
        pandas.DataFrame
            One row per node of :attr:`nodes`: ``id``, ``type``, ``name``, ``direction`` (str, as there),
            ``incoming``, ``outgoing`` (int64: sequence flows into and out of the node).

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> model = discover_bpmn(log)
        >>> frame = model.to_frame()
        >>> int(frame["incoming"].sum()) == int(frame["outgoing"].sum()) == len(model.flows)
        True
        """
        out = self.nodes.copy()
        out["incoming"] = out["id"].map(self.flows["target"].value_counts()).fillna(0).astype("int64")
        out["outgoing"] = out["id"].map(self.flows["source"].value_counts()).fillna(0).astype("int64")
        return out

    def plot(self):
        """A plotly drawing of the BPMN model: nodes in layers from the start event, flows as arrows.

        A node's layer is its distance (in flows) from the start event; nodes of a layer are stacked.
        It is a quick look for notebooks; :func:`analysis.plot_blueprint` and the BPMN file (with its
        diagram) draw the process properly.

        Returns
        -------
        plotly.graph_objects.Figure
            One trace of flows (lines) and one of nodes (markers: circles for events, diamonds for
            gateways, squares for tasks, labelled with the activity); names escaped
            (:func:`mapper.escape.escape_figure`).

        Examples
        --------
        >>> model = discover_bpmn(load_event_log(SAMPLE))
        >>> fig = model.plot()
        >>> len(fig.data[1].x) == len(model.nodes)
        True
        """
        import plotly.graph_objects as go

        from mapper.escape import escape_figure

        nexts: dict[str, list[str]] = {}
        for src, tgt in zip(self.flows["source"], self.flows["target"], strict=True):
            nexts.setdefault(src, []).append(tgt)
        layer: dict[str, int] = {}
        frontier = self.nodes.loc[self.nodes["type"] == "startEvent", "id"].tolist()
        depth = 0
        while frontier:  # breadth-first: a node's layer is its shortest distance from the start
            for node in frontier:
                layer.setdefault(node, depth)
            frontier = [n for node in frontier for n in nexts.get(node, []) if n not in layer]
            frontier = list(dict.fromkeys(frontier))
            depth += 1
        for node in self.nodes["id"]:  # unreachable nodes (none in a sound model) go last
            layer.setdefault(node, depth)
        slot: dict[int, int] = {}
        pos = {}
        for node in self.nodes["id"]:
            pos[node] = (layer[node], slot.get(layer[node], 0))
            slot[layer[node]] = slot.get(layer[node], 0) + 1
        ex, ey = [], []
        for src, tgt in zip(self.flows["source"], self.flows["target"], strict=True):
            ex += [pos[src][0], pos[tgt][0], None]
            ey += [pos[src][1], pos[tgt][1], None]
        symbols = {"task": "square", "startEvent": "circle", "endEvent": "circle-open"}
        kinds = self.nodes["type"]
        labels = [
            n if n else t.replace("Gateway", "") for n, t in zip(self.nodes["name"], kinds, strict=True)
        ]
        fig = go.Figure(
            [
                go.Scatter(x=ex, y=ey, mode="lines", line={"color": "#999999", "width": 1}, name="flows"),
                go.Scatter(
                    x=[pos[n][0] for n in self.nodes["id"]],
                    y=[pos[n][1] for n in self.nodes["id"]],
                    mode="markers+text",
                    text=labels,
                    textposition="top center",
                    marker={
                        "symbol": [symbols.get(t, "diamond") for t in kinds],
                        "size": 14,
                        "color": ["#0072b2" if t == "task" else "#e69f00" for t in kinds],
                    },
                    hovertext=[
                        f"{t}: {n}" if n else t for n, t in zip(self.nodes["name"], kinds, strict=True)
                    ],
                    hoverinfo="text",
                    name="nodes",
                ),
            ]
        )
        fig.update_layout(
            title=f"BPMN model (Inductive Miner, noise threshold {self.noise_threshold})",
            showlegend=False,
            xaxis={"visible": False},
            yaxis={"visible": False},
            height=300 + 40 * max(slot.values(), default=1),
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        note = f"<br><i>{html.escape(self.note)}</i>" if self.note else ""
        return (
            f"<b>BPMN model</b> (IMf, noise threshold {self.noise_threshold}), mined from "
            f"{self.variants_used:,} variants{note}:<br><code>{html.escape(str(self.tree))}</code>"
        )


def discover_dfg(log: EventLog) -> DirectlyFollowsGraph:
    """Discover the directly-follows graph with frequencies and median / p90 times per edge.

    Events are ordered within each case by completion time, then by file position (as in pm4py), so
    the frequencies equal those of ``pm4py.discover_dfg`` on the same events.

    Parameters
    ----------
    log : EventLog

    Returns
    -------
    DirectlyFollowsGraph

    References
    ----------
    van der Aalst (2016), *Process Mining: Data Science in Action*, 2nd ed., Springer, §6.2
    (directly-follows graphs); van der Aalst (2019), "A practitioner's guide to process mining:
    limitations of the directly-follows graph", Procedia Computer Science 164.

    Examples
    --------
    >>> dfg = discover_dfg(load_event_log("sample_logs/council_permits.csv"))
    >>> dfg.edges.columns[:3].tolist()
    ['source', 'target', 'frequency']
    """
    o = log.tables().ordered
    edges = (
        log.tables()
        .result("dfg_edges", dfg_edges)
        .sort_values(["frequency", "source", "target"], ascending=[False, True, True], ignore_index=True)
    )
    acts = execute(
        o.group_by("activity")
        .aggregate(events=o.count(), cases=o.case_id.nunique())
        .join(start_end_activities(o), "activity")
    ).sort_values(["events", "activity"], ascending=[False, True], ignore_index=True)
    cases = int(acts["starts"].sum())
    return DirectlyFollowsGraph(edges, acts, cases)


def discover_variants(log: EventLog) -> pd.DataFrame:
    """The variants table: each distinct trace with its frequency and cycle times.

    Parameters
    ----------
    log : EventLog

    Returns
    -------
    pandas.DataFrame
        One row per variant, most frequent first: ``variant`` (int, rank from 1), ``trace`` (tuple of
        str, the activities in order), ``cases`` (int64), ``share`` (float, of all cases),
        ``cumulative_share`` (float), ``events`` (int64, trace length), ``cycle_hours_median``,
        ``cycle_hours_p90`` (float, hours from the case's first start or completion to its last
        completion).
    """
    v = log.tables().result("variants", variants_query)
    v["trace"] = v["trace"].map(tuple)
    v = (
        v.assign(_key=v["trace"].map("\x1f".join))  # ties broken by the trace itself: deterministic
        .sort_values(["cases", "events", "_key"], ascending=[False, True, True], ignore_index=True)
        .drop(columns="_key")
    )
    total = v["cases"].sum()
    v.insert(0, "variant", range(1, len(v) + 1))
    v["share"] = v["cases"] / total
    v["cumulative_share"] = v["share"].cumsum()
    return v[
        [
            "variant",
            "trace",
            "cases",
            "share",
            "cumulative_share",
            "events",
            "cycle_hours_median",
            "cycle_hours_p90",
        ]
    ]


def discover_roles_from_counts(counts: dict[tuple[str, str], int], threshold: float) -> list[dict]:
    """Organisational roles from the events of each (resource, activity) pair (pm4py's roles algorithm).

    The public door to :func:`mapper._pm4py.roles_from_counts` for the analyses (only this package speaks
    pm4py); see there for the parameters, the result (one dict per role: ``activities``, list of str;
    ``resources``, dict of str to int) and the source (Burattin, Sperduti & Veluscek 2013, CIDM).

    Examples
    --------
    >>> roles = discover_roles_from_counts({("ann", "a"): 5, ("ann", "b"): 5, ("bob", "c"): 3}, 0.9)
    >>> sorted(sorted(r["activities"]) for r in roles)
    [['a', 'b'], ['c']]
    """
    return _pm4py.roles_from_counts(counts, threshold)


#: The most activities a discovered model holds. A log with more (BPIC15_1: 398, Hospital_log: 624) is
#: mined on its most frequent activities: a model beyond about 50 elements is hard to read and should be
#: decomposed (Mendling, Reijers & van der Aalst (2010), "Seven process modeling guidelines (7PMG)",
#: Information and Software Technology 52(2), guideline G7), and the Inductive Miner's time grows quickly
#: with the activities (measured on 2 cores: Hospital_log's 624 activities 196 s, BPIC15_1's 398 76 s).
MAX_MODEL_ACTIVITIES = 50


def main_activities(variants: pd.DataFrame, max_activities: int = MAX_MODEL_ACTIVITIES) -> list[str] | None:
    """The ``max_activities`` activities that carry most of the events, or None when the log has no more.

    Parameters
    ----------
    variants : pandas.DataFrame
        From :func:`discover_variants` (``trace``: tuple of str, ``cases``: int).
    max_activities : int
        How many activities to keep.

    Returns
    -------
    list of str or None
        The kept activities, most frequent first (ties by name); None when the log has at most
        ``max_activities`` activities.

    Examples
    --------
    >>> v = pd.DataFrame({"trace": [("a", "b", "c"), ("a", "c")], "cases": [3, 1]})
    >>> main_activities(v, 2)
    ['a', 'c']
    >>> main_activities(v, 3) is None
    True
    """
    counts: dict[str, int] = {}
    for trace, cases in zip(variants["trace"], variants["cases"], strict=True):
        for a in trace:
            counts[a] = counts.get(a, 0) + int(cases)
    if len(counts) <= max_activities:
        return None
    return sorted(counts, key=lambda a: (-counts[a], a))[:max_activities]


def project_variants(variants: pd.DataFrame, activities: list[str] | None) -> pd.DataFrame:
    """The variants with every activity outside ``activities`` removed, identical projections merged.

    Parameters
    ----------
    variants : pandas.DataFrame
        From :func:`discover_variants` (``trace``: tuple of str, ``cases``, ``events``: int).
    activities : list of str or None
        The activities to keep; None returns ``variants`` unchanged.

    Returns
    -------
    pandas.DataFrame
        ``trace`` (tuple of str), ``cases`` (int), ``events`` (int: events per case of the projected
        trace), most cases first (ties by trace); cases doing none of ``activities`` keep an empty trace.

    Examples
    --------
    >>> v = pd.DataFrame(
    ...     {"trace": [("a", "x", "b"), ("a", "b"), ("y",)], "cases": [2, 3, 1], "events": [3, 2, 1]}
    ... )
    >>> project_variants(v, ["a", "b"])[["trace", "cases"]].to_dict("records")
    [{'trace': ('a', 'b'), 'cases': 5}, {'trace': (), 'cases': 1}]
    """
    if activities is None:
        return variants
    keep = set(activities)
    merged: dict[tuple, int] = {}
    for trace, cases in zip(variants["trace"], variants["cases"], strict=True):
        t = tuple(a for a in trace if a in keep)
        merged[t] = merged.get(t, 0) + int(cases)
    rows = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    return pd.DataFrame(
        {
            "trace": [t for t, _ in rows],
            "cases": [c for _, c in rows],
            "events": [len(t) for t, _ in rows],
        }
    )


def discover_bpmn(
    log: EventLog,
    *,
    noise_threshold: float = 0.2,
    variants: pd.DataFrame | None = None,
    max_activities: int = MAX_MODEL_ACTIVITIES,
) -> ProcessModel:
    """Discover a BPMN model with pm4py's Inductive Miner - infrequent (IMf).

    The miner runs on the variants (each distinct trace with its number of cases), not on the DFG alone:
    mining from the DFG yields a flower model on logs such as Road Traffic. A log with more than
    ``max_activities`` activities is mined on the ``max_activities`` that carry most of the events (the
    variants projected onto them, :func:`project_variants`); the model says so
    (:attr:`ProcessModel.activities_left_out`, :attr:`ProcessModel.note`).

    Parameters
    ----------
    log : EventLog
    noise_threshold : float, default 0.2
        IMf's threshold in [0, 1): 0 keeps all behaviour; higher values filter infrequent paths.
    variants : pandas.DataFrame, optional
        The output of :func:`discover_variants`, when already computed.
    max_activities : int, default :data:`MAX_MODEL_ACTIVITIES`
        The most activities offered to the miner (at least 2).

    Returns
    -------
    ProcessModel

    Raises
    ------
    FlowreadyError
        When ``noise_threshold`` is outside [0, 1) or ``max_activities`` is below 2.

    References
    ----------
    Leemans, Fahland & van der Aalst (2013), "Discovering block-structured process models from event
    logs containing infrequent behaviour", BPM 2013 Workshops, LNBIP 171, pp. 66-78. Mendling, Reijers &
    van der Aalst (2010), "Seven process modeling guidelines (7PMG)", IST 52(2) (the size limit).

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> m = discover_bpmn(log)
    >>> m.activities_left_out, m.note
    ((), '')
    >>> small = discover_bpmn(log, max_activities=5)
    >>> len(small.activities_left_out), small.note[:58]
    (13, 'The log has 18 activities, more than this model holds (5):')
    """
    if not 0 <= noise_threshold < 1:
        raise FlowreadyError(f"`noise_threshold` must be in [0, 1); got {noise_threshold}.")
    if max_activities < 2:
        raise FlowreadyError(f"max_activities must be at least 2; got {max_activities}.")
    v = discover_variants(log) if variants is None else variants
    keep = main_activities(v, max_activities)
    projected = project_variants(v, keep)
    tree = _pm4py.inductive_miner_from_variants(
        dict(zip(projected["trace"], projected["cases"], strict=True)), noise_threshold
    )
    graph = _pm4py.tree_to_bpmn_tables(tree)
    left_out: tuple = ()
    share = 1.0
    if keep is not None:
        kept = set(keep)
        every = {a for t in v["trace"] for a in t}
        left_out = tuple(sorted(every - kept))
        total = float((v["events"] * v["cases"]).sum())
        share = float((projected["events"] * projected["cases"]).sum()) / total if total else 1.0
    return ProcessModel(
        tree,
        graph["nodes"],
        graph["flows"],
        noise_threshold,
        len(projected),
        left_out,
        share,
        len(keep) if keep is not None else 0,
    )


#: Token replay of one variant costs about the square of the Petri net's transitions (measured: 1 ms on
#: BPI 2012's net of 55 transitions, 0.4 s on BPIC15_1's 413). Beyond this budget of variants x
#: transitions² the fitness is estimated on a sample of cases ...
FITNESS_BUDGET = 5_000_000
#: ... and on a net of more transitions than this it is not computed at all (a model of hundreds of
#: activities mined from mostly unique traces is too loose for its fitness to say much).
FITNESS_MAX_TRANSITIONS = 200
#: ... but never on fewer than this many sampled cases.
FITNESS_MIN_SAMPLE = 50


def model_fitness(
    model: ProcessModel, variants: pd.DataFrame, *, budget: int = FITNESS_BUDGET, seed: int = 0
) -> dict:
    """How well the log fits its own discovered model: token-based replay fitness over the variants.

    Each variant is replayed once on the model's Petri net and weighted by its cases, which equals
    replaying every case (see :func:`mapper._pm4py.replay_fitness`). When the variants times the square of
    the net's transitions exceed ``budget`` (logs whose cases are nearly all distinct), the fitness is
    estimated on a sample of cases drawn with equal probability (deterministic for ``seed``), as many as
    the budget allows and at least :data:`FITNESS_MIN_SAMPLE`; ``sampled`` says so. On a net of more than
    :data:`FITNESS_MAX_TRANSITIONS` transitions it is not computed (``log_fitness`` None, ``skipped``
    says why).

    Parameters
    ----------
    model : ProcessModel
        From :func:`discover_bpmn`.
    variants : pandas.DataFrame
        From :func:`discover_variants` (``trace``, ``cases``).
    budget : int
        Variants x (Petri-net transitions)² replayed at most.
    seed : int
        Seed of the case sample.

    Returns
    -------
    dict
        ``log_fitness`` (float in [0, 1], 1 = every case replays without missing or remaining tokens; None
        without variants), ``fitting_share`` (float: share of the replayed cases that fit perfectly),
        ``cases_replayed``, ``cases`` (int), ``variants_replayed``, ``variants`` (int), ``sampled``
        (bool), ``transitions`` (int, of the Petri net), ``skipped`` (str: why it was not computed, or
        "").

    References
    ----------
    Rozinat & van der Aalst (2008), "Conformance checking of processes based on monitoring real
    behavior", Information Systems 33(1), pp. 64-95.

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> v = discover_variants(log)
    >>> fit = model_fitness(discover_bpmn(log, variants=v), v)
    >>> 0.9 < fit["log_fitness"] <= 1.0, fit["sampled"]
    (True, False)
    """
    import numpy as np

    petri = _pm4py.petri_net(model.tree)
    transitions = len(petri[0].transitions)
    cases = int(variants["cases"].sum())
    if transitions > FITNESS_MAX_TRANSITIONS:
        return {
            "log_fitness": None,
            "fitting_share": None,
            "cases_replayed": 0,
            "cases": cases,
            "variants_replayed": 0,
            "variants": len(variants),
            "sampled": False,
            "transitions": int(transitions),
            "skipped": f"the model's Petri net has {transitions} transitions (more than "
            f"{FITNESS_MAX_TRANSITIONS}): token replay would take minutes, and a model this large is too "
            "loose for its fitness to say much",
        }
    counts = {tuple(t): int(n) for t, n in zip(variants["trace"], variants["cases"], strict=True)}
    cost = max(transitions, 1) ** 2
    sampled = len(counts) * cost > budget
    if sampled:
        k = max(FITNESS_MIN_SAMPLE, budget // cost)
        rng = np.random.default_rng(seed)
        p = variants["cases"].to_numpy(dtype="float64") / cases
        picks = rng.choice(len(variants), size=min(k, cases), replace=True, p=p)
        idx, n = np.unique(picks, return_counts=True)
        counts = {tuple(variants["trace"].iloc[i]): int(c) for i, c in zip(idx, n, strict=True)}
    r = _pm4py.replay_fitness(petri, counts) if counts else {"log_fitness": None, "fitting_cases": 0}
    replayed = int(sum(counts.values()))
    return {
        "log_fitness": r["log_fitness"],
        "fitting_share": r["fitting_cases"] / replayed if replayed else None,
        "cases_replayed": replayed,
        "cases": cases,
        "variants_replayed": len(counts),
        "variants": len(variants),
        "sampled": bool(sampled),
        "transitions": int(transitions),
        "skipped": "",
    }


#: ETConformance precision replays every distinct prefix of the variants; one replay costs about the square
#: of the Petri net's transitions, as for fitness: measured 0.5-1.7 µs per prefix x transitions² (Sepsis:
#: 5,886 prefixes on 35 transitions, 8 s; BPIC14: 19,316 on 55, 28 s; BPIC_2017_W: 20,221 on 31, 33 s;
#: BPI 2012: 33,749 on 55, 111 s; helpdesk and Road Traffic under 0.4 s). Beyond this budget, about 10 s,
#: precision is estimated on a sample of cases (see :func:`model_precision`).
PRECISION_BUDGET = 8_000_000
#: Below this token-replay fitness the model leaves out too much of what the cases do (the default readiness
#: profile's gate uses the same 0.8).
MIN_FITNESS = 0.8
#: Below this ETConformance precision the model, at a typical point of a case, allows more than twice as
#: many next steps as the log ever takes there: more than half of what it allows is never seen.
MIN_PRECISION = 0.5
#: Behaviour in fewer than one case (or event, or directly-follows pair) in twenty is rare: a finding about
#: rare steps only is reported but does not decide the verdict, a skip taken this rarely is not backed by
#: the log, and an order seen this rarely is noise rather than a second order.
RARE_SHARE = 0.05
#: A loop in which any of its activities may follow any other (and itself) is a flower; with two
#: activities it cannot be told from a rework loop between them, so a flower needs at least three.
FLOWER_MIN_ACTIVITIES = 3


def process_model_from_tree(text: str, *, noise_threshold: float = 0.0) -> ProcessModel:
    """A model from a process tree written by hand, in pm4py's notation (for tests and what-ifs).

    Parameters
    ----------
    text : str
        E.g. ``"->( 'A', +( 'B', 'C' ), X( 'D', tau ) )"``: ``->`` sequence, ``X`` exclusive choice,
        ``+`` parallel, ``*`` loop (body, redo), ``O`` inclusive choice, ``tau`` a silent step.
    noise_threshold : float, default 0.0
        Stored on the model (it was not mined).

    Returns
    -------
    ProcessModel
        ``variants_used`` is 0.

    Raises
    ------
    FlowreadyError
        ``text`` is not a process tree.

    Examples
    --------
    >>> m = process_model_from_tree("->( 'A', +( 'B', 'C' ) )")
    >>> sorted(m.nodes.loc[m.nodes["type"] == "task", "name"])
    ['A', 'B', 'C']
    """
    try:
        tree = _pm4py.parse_tree(text)
    except Exception as exc:  # pm4py raises bare exceptions on bad notation
        raise FlowreadyError(
            f"text is not a process tree in pm4py's notation ({exc}): {text!r:.200}."
        ) from None
    graph = _pm4py.tree_to_bpmn_tables(tree)
    return ProcessModel(tree, graph["nodes"], graph["flows"], noise_threshold, 0)


@dataclass
class _Block:
    """What a process-tree node allows: its first and last activities, whether it may do nothing, the
    directly-follows pairs inside it, and its activities."""

    first: set
    last: set
    nullable: bool
    follows: set
    activities: set


def _blocks(node: dict, out: list) -> _Block:
    """The :class:`_Block` of ``node``; appends ``(node, block, child blocks)`` for every node to ``out``.

    The directly-follows pairs a process tree allows, built bottom-up (the model's *footprint*, van der
    Aalst 2016, §8.4): a sequence links the last activities of a child to the first of the next ones (past
    children that may do nothing); a parallel or inclusive block lets any activity of one branch directly
    follow any activity of another; a loop links its body's end to its redo's start and back.
    """
    op = node["operator"]
    if op is None:
        label = node["label"]
        block = (
            _Block(set(), set(), True, set(), set())
            if label is None
            else _Block({label}, {label}, False, set(), {label})
        )
        out.append((node, block, []))
        return block
    kids = [_blocks(c, out) for c in node["children"]]
    acts = set().union(*(k.activities for k in kids))
    follows = set().union(*(k.follows for k in kids))
    if op == "sequence":
        for i, ki in enumerate(kids):
            for kj in kids[i + 1 :]:
                follows |= {(a, b) for a in ki.last for b in kj.first}
                if not kj.nullable:
                    break
        first: set = set()
        for k in kids:
            first |= k.first
            if not k.nullable:
                break
        last: set = set()
        for k in reversed(kids):
            last |= k.last
            if not k.nullable:
                break
        block = _Block(first, last, all(k.nullable for k in kids), follows, acts)
    elif op == "loop":
        body, redo = kids[0], kids[1:]
        r_first = set().union(*(k.first for k in redo))
        r_last = set().union(*(k.last for k in redo))
        r_null = any(k.nullable for k in redo)
        follows |= {(a, b) for a in body.last for b in r_first} | {(a, b) for a in r_last for b in body.first}
        if r_null:
            follows |= {(a, b) for a in body.last for b in body.first}
        if body.nullable:
            follows |= {(a, b) for a in r_last for b in r_first}
        first = body.first | (r_first if body.nullable else set())
        last = body.last | (r_last if body.nullable else set())
        block = _Block(first, last, body.nullable, follows, acts)
    else:  # xor, parallel, or
        if op in ("parallel", "or"):
            for i, ki in enumerate(kids):
                for j, kj in enumerate(kids):
                    if i != j:
                        follows |= {(a, b) for a in ki.activities for b in kj.activities}
        nullable = all(k.nullable for k in kids) if op == "parallel" else any(k.nullable for k in kids)
        block = _Block(
            set().union(*(k.first for k in kids)),
            set().union(*(k.last for k in kids)),
            nullable,
            follows,
            acts,
        )
    out.append((node, block, kids))
    return block


def _skippable(node: dict, mandatory: bool = True) -> set:
    """The activities a run of the model can leave out: those under a choice or a loop's redo part."""
    if node["operator"] is None:
        return set() if mandatory or node["label"] is None else {node["label"]}
    out: set = set()
    kids = node["children"]
    for i, child in enumerate(kids):
        if node["operator"] in ("sequence", "parallel"):
            keep = mandatory
        elif node["operator"] == "loop":
            keep = mandatory and i == 0
        else:  # a choice: each branch can be left out unless it is the only one
            keep = mandatory and len(kids) == 1
        out |= _skippable(child, keep)
    return out


def _names(acts, limit: int = 3) -> str:
    acts = sorted(acts)
    shown = ", ".join(f"'{a}'" for a in acts[:limit])
    return shown + (f" and {len(acts) - limit} more" if len(acts) > limit else "")


def _sample_cases(variants: pd.DataFrame, k: int, seed: int) -> dict[tuple[str, ...], int]:
    """``k`` cases drawn with equal probability (with replacement), as a variant counter."""
    import numpy as np

    cases = int(variants["cases"].sum())
    rng = np.random.default_rng(seed)
    p = variants["cases"].to_numpy(dtype="float64") / cases
    picks = rng.choice(len(variants), size=min(k, cases), replace=True, p=p)
    idx, n = np.unique(picks, return_counts=True)
    return {tuple(variants["trace"].iloc[i]): int(c) for i, c in zip(idx, n, strict=True)}


def model_precision(
    model: ProcessModel,
    variants: pd.DataFrame,
    *,
    budget: int = PRECISION_BUDGET,
    max_transitions: int = FITNESS_MAX_TRANSITIONS,
    seed: int = 0,
) -> dict:
    """How much more the model allows than the log does: ETConformance precision over the variants.

    After every prefix of every case the model's enabled steps are compared with the steps the log shows
    after that prefix; the steps the model allows and the log never takes there are *escaping edges*, and
    precision is one minus their share of everything the model enabled (Muñoz-Gama & Carmona 2010, as
    pm4py's ``precision_token_based_replay`` computes it; each distinct prefix is replayed once and
    weighted by its cases, which equals the per-case computation). When the distinct prefixes times the
    square of the net's transitions exceed ``budget``, precision is estimated by replaying the prefixes of a
    sample of cases (drawn with equal probability, deterministic for ``seed``) against the steps the whole
    log shows after them; ``precision_sampled`` says so. On a net of more than ``max_transitions``
    transitions it is not computed (``precision`` None, ``precision_skipped`` says why).

    Parameters
    ----------
    model : ProcessModel
    variants : pandas.DataFrame
        From :func:`discover_variants` (``trace``, ``cases``).
    budget : int
        Distinct prefixes x (Petri-net transitions)² replayed at most.
    max_transitions : int
        Larger nets are not replayed.
    seed : int
        Seed of the case sample.

    Returns
    -------
    dict
        ``precision`` (float in [0, 1]: 1 = the model allows nothing the log does not do; None when not
        computed), ``precision_cases`` (int: cases whose prefixes were replayed), ``precision_prefixes``
        (int: distinct prefixes replayed), ``precision_sampled`` (bool), ``precision_skipped`` (str: why it
        was not computed, or ""), ``flower_precision`` (float: the precision a flower model of the log's
        activities, which allows any step at any time, would get: the floor to read ``precision`` against).

    References
    ----------
    Muñoz-Gama & Carmona (2010), "A fresh look at precision in process conformance", BPM 2010, LNCS 6336,
    pp. 211-226.

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> v = discover_variants(log)
    >>> p = model_precision(discover_bpmn(log, variants=v), v)
    >>> p["flower_precision"] < p["precision"] <= 1.0
    True
    """
    counts = {tuple(t): int(n) for t, n in zip(variants["trace"], variants["cases"], strict=True)}
    cases = int(variants["cases"].sum())
    out = {
        "precision": None,
        "precision_cases": 0,
        "precision_prefixes": 0,
        "precision_sampled": False,
        "precision_skipped": "",
        "flower_precision": _flower_precision(counts),
    }
    if not counts:
        return out
    petri = _pm4py.petri_net(model.tree)
    transitions = max(len(petri[0].transitions), 1)
    if transitions > max_transitions:
        out["precision_skipped"] = (
            f"the model's Petri net has {transitions} transitions (more than {max_transitions}): replaying "
            "every prefix would take minutes"
        )
        return out
    prefixes = len({t[:i] for t in counts for i in range(1, len(t))})
    cost = transitions**2
    replay = counts
    if prefixes * cost > budget:
        # each sampled case brings about (mean trace length) new prefixes
        mean_len = max(1.0, float((variants["events"] * variants["cases"]).sum()) / cases)
        k = max(FITNESS_MIN_SAMPLE, int(budget / cost / mean_len))
        replay = _sample_cases(variants, k, seed)
        out["precision_sampled"] = True
    r = _pm4py.replay_precision(petri, replay, log_variants=counts)
    out.update(
        precision=float(r["precision"]),
        precision_cases=int(sum(replay.values())),
        precision_prefixes=int(r["prefixes"]),
    )
    return out


def _flower_precision(counts: dict[tuple[str, ...], int]) -> float:
    """ETConformance precision of the flower model of the log's activities (every step enabled always)."""
    acts = {a for t in counts for a in t}
    if not acts:
        return 1.0
    follows: dict[tuple[str, ...], set[str]] = {}
    for t in counts:
        for i in range(1, len(t)):
            follows.setdefault(t[:i], set()).add(t[i])
    weight: dict[tuple[str, ...], int] = {}
    for t, n in counts.items():
        for i in range(1, len(t)):
            weight[t[:i]] = weight.get(t[:i], 0) + n
    n_cases = sum(counts.values())
    starts = {t[0] for t in counts if t}
    activated = n_cases * len(acts) + len(acts) * sum(weight.values())
    escaping = n_cases * (len(acts) - len(starts)) + sum(
        w * (len(acts) - len(follows[p])) for p, w in weight.items()
    )
    return 1 - escaping / activated


def assess_model(
    model: ProcessModel,
    variants: pd.DataFrame,
    dfg: DirectlyFollowsGraph,
    *,
    fitness_budget: int = FITNESS_BUDGET,
    precision_budget: int = PRECISION_BUDGET,
    seed: int = 0,
) -> dict:
    """Can the discovered model be trusted as a redesign? Fitness, precision and where the model is loose.

    Measures the model against the log it was mined from and checks it for the looseness that makes a
    model a sketch rather than a design:

    - **fitness** (:func:`model_fitness`): below :data:`MIN_FITNESS` the model leaves out too much of what
      the cases do;
    - **precision** (:func:`model_precision`): below :data:`MIN_PRECISION` the model allows, at a typical
      point, more than twice the next steps the log ever takes;
    - **flowers**: a block of at least :data:`FLOWER_MIN_ACTIVITIES` activities any of which may directly
      follow any other and itself (a loop over a choice, or a parallel block of optional repeatable steps):
      the model says nothing about their order; and a model whose precision is less than
      :data:`RARE_SHARE` of the way from the flower model's (``flower_precision``) to 1 behaves like one;
    - **concurrency the log does not show**: for each parallel (AND) block, each pair of its branches is
      checked on the log's directly-follows graph: if the activities of one branch are (almost) never
      directly followed by those of the other in both directions (the rarer direction under
      :data:`RARE_SHARE` of the two), the log runs them in one order and the model's "in parallel" is not
      backed (van der Aalst's footprint: ``a || b`` needs both ``a > b`` and ``b > a``);
    - **dropped activities**: activities of the log that the miner left out as infrequent;
    - **silent skips**: activities the model lets a case leave out (under a choice with a silent branch or
      another path, or in a loop's redo part); a skip that no case takes (the activity is in every case) is
      not backed by the log. Skips everywhere that the log does take are behaviour, not looseness: precision
      counts what they allow and the log never does.

    A finding decides the verdict only when it concerns at least :data:`RARE_SHARE` of the events (flowers;
    the two branches of a parallel pair) or cases (dropped activities); smaller ones are listed with their
    figures.

    Parameters
    ----------
    model : ProcessModel
        From :func:`discover_bpmn`.
    variants : pandas.DataFrame
        From :func:`discover_variants` of the same log (``trace``, ``cases``, ``events``).
    dfg : DirectlyFollowsGraph
        From :func:`discover_dfg` of the same log (not abstracted).
    fitness_budget, precision_budget : int
        The cost budgets of :func:`model_fitness` and :func:`model_precision`.
    seed : int
        Seed of their case samples.

    Returns
    -------
    dict
        Every key of :func:`model_fitness` and of :func:`model_precision`, and:
        ``model_paths`` (int: directly-follows pairs of activities the model allows),
        ``model_paths_seen_share`` (float: share of them the log shows; None without any),
        ``flowers`` (list of dict: ``activities`` (list of str), ``events_share`` (float)),
        ``parallel_blocks`` (list of dict: ``branches`` (list of list of str), ``events_share`` (float),
        ``pairs`` (list of dict: ``first``, ``second`` (list of str: two branches), ``forward``,
        ``backward`` (int: directly-follows from the first branch to the second and back),
        ``shown`` (bool: both orders seen), ``events_share`` (float: of the two branches' activities)),
        ``shown`` (bool: every pair shown)),
        ``activities_left_out`` (list of str: activities the model was mined without, see
        :func:`discover_bpmn`; fitness and precision are measured on the variants projected on the others),
        ``events_share_modelled`` (float: share of the events whose activity was offered to the miner),
        ``dropped_activities`` (list of str: offered to the miner but left out by it as infrequent),
        ``dropped_cases_share`` (float: share of cases doing one),
        ``skippable_activities`` (list of str), ``skippable_share`` (float: of the model's activities),
        ``unused_skips`` (list of dict: ``activity``, ``cases_share``: skippable activities every case
        does), ``rare_skips`` (the same for skippable activities done in more than ``1 - RARE_SHARE`` of the
        cases but not all),
        ``trusted`` (bool: no reason below), ``reasons`` (list of str: one plain sentence per reason the
        model is not to be trusted as a redesign, with its figures).

    References
    ----------
    Buijs, van Dongen & van der Aalst (2014), "Quality dimensions in process discovery: the importance of
    fitness, precision, generalization and simplicity", IJCIS 23(1); Muñoz-Gama & Carmona (2010), "A fresh
    look at precision in process conformance", BPM 2010; van der Aalst (2016), *Process Mining: Data
    Science in Action*, 2nd ed., §8.4 (footprints) and §7.1 (the flower model).

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> v = discover_variants(log)
    >>> q = assess_model(discover_bpmn(log, variants=v), v, discover_dfg(log))
    >>> q["trusted"], q["precision"] > 0.8, q["flowers"]
    (True, True, [])
    """
    left_out = set(model.activities_left_out)
    if left_out:  # measured on what the miner was given: the variants projected on the main activities
        kept = sorted({a for t in variants["trace"] for a in t} - left_out)
        mined_on = project_variants(variants, kept)
    else:
        mined_on = variants
    out = model_fitness(model, mined_on, budget=fitness_budget, seed=seed)
    out.update(model_precision(model, mined_on, budget=precision_budget, seed=seed))
    out["activities_left_out"] = sorted(left_out)
    out["events_share_modelled"] = model.events_share_modelled
    structure = _pm4py.tree_structure(model.tree)
    nodes: list = []
    root = _blocks(structure, nodes)

    events = dict(zip(dfg.activities["activity"], dfg.activities["events"], strict=True))
    in_cases = dict(zip(dfg.activities["activity"], dfg.activities["cases"], strict=True))
    total_events = max(1, sum(events.values()))
    n_cases = max(1, int(dfg.cases))
    seen = set(zip(dfg.edges["source"], dfg.edges["target"], strict=True))
    freq = dict(
        zip(zip(dfg.edges["source"], dfg.edges["target"], strict=True), dfg.edges["frequency"], strict=True)
    )

    def share(acts) -> float:
        return sum(events.get(a, 0) for a in acts) / total_events

    out["model_paths"] = len(root.follows)
    out["model_paths_seen_share"] = len(root.follows & seen) / len(root.follows) if root.follows else None

    # flowers: the largest blocks whose every activity may follow every one (nodes come children first)
    flowers: list[set] = []
    for _node, block, _kids in reversed(nodes):
        acts = block.activities
        if len(acts) < FLOWER_MIN_ACTIVITIES or any(acts <= f for f in flowers):
            continue
        if all((a, b) in block.follows for a in acts for b in acts):
            flowers.append(acts)
    out["flowers"] = [{"activities": sorted(f), "events_share": share(f)} for f in flowers]

    parallel = []
    for node, block, kids in reversed(nodes):
        if node["operator"] != "parallel":
            continue
        branches = [k.activities for k in kids if k.activities]
        if len(branches) < 2 or any(block.activities <= f for f in flowers):
            continue  # inside a flower: said there already
        pairs = []
        for i, bi in enumerate(branches):
            for bj in branches[i + 1 :]:
                fw = int(sum(freq.get((a, b), 0) for a in bi for b in bj))
                bw = int(sum(freq.get((b, a), 0) for a in bi for b in bj))
                shown = fw + bw > 0 and min(fw, bw) >= RARE_SHARE * (fw + bw)
                pairs.append(
                    {
                        "first": sorted(bi),
                        "second": sorted(bj),
                        "forward": fw,
                        "backward": bw,
                        "shown": shown,
                        "events_share": share(bi | bj),
                    }
                )
        parallel.append(
            {
                "branches": [sorted(b) for b in branches],
                "events_share": share(block.activities),
                "pairs": pairs,
                "shown": all(p["shown"] for p in pairs),
            }
        )
    out["parallel_blocks"] = parallel

    modelled = root.activities
    dropped = sorted(a for a in events if a not in modelled and a not in left_out)
    dropped_set = set(dropped)
    touches = variants["trace"].map(lambda t: not dropped_set.isdisjoint(t)) if dropped else None
    out["dropped_activities"] = dropped
    out["dropped_cases_share"] = (
        float(variants.loc[touches, "cases"].sum()) / n_cases if touches is not None else 0.0
    )
    skippable = _skippable(structure)
    out["skippable_activities"] = sorted(skippable)
    out["skippable_share"] = len(skippable) / len(modelled) if modelled else 0.0
    out["unused_skips"] = [
        {"activity": a, "cases_share": 1.0} for a in sorted(skippable) if in_cases.get(a, 0) >= n_cases
    ]
    out["rare_skips"] = [
        {"activity": a, "cases_share": in_cases.get(a, 0) / n_cases}
        for a in sorted(skippable)
        if 1 - RARE_SHARE < in_cases.get(a, 0) / n_cases < 1
    ]
    out["reasons"] = _reasons(out)
    out["trusted"] = not out["reasons"]
    return out


def _reasons(q: dict) -> list[str]:
    """One plain sentence per reason not to trust the model as a redesign (see :func:`assess_model`)."""
    reasons = []
    fit, prec = q.get("log_fitness"), q.get("precision")
    if fit is None and prec is None:
        why = q.get("precision_skipped") or q.get("skipped")
        reasons.append(
            f"The model could not be checked against the log ({why}); "
            "a model this large, mined from mostly unique cases, is a sketch of the process."
        )
    if fit is not None and fit < MIN_FITNESS:
        reasons.append(
            f"The log fits the model poorly (token-replay fitness {fit:.2f}, below {MIN_FITNESS}): "
            f"{q.get('fitting_share') or 0:.0%} of the cases replay on it without a deviation."
        )
    if prec is not None and prec < MIN_PRECISION:
        reasons.append(
            f"The model is loose: precision {prec:.2f} (below {MIN_PRECISION}; a flower model of the same "
            f"activities would score {q['flower_precision']:.2f}). At a typical point of a case it allows "
            "more than twice the next steps the log ever takes there."
        )
    flower = q.get("flower_precision")
    if (
        prec is not None
        and flower is not None
        and flower < 1
        and not any(f["events_share"] >= RARE_SHARE for f in q["flowers"])
        and (prec - flower) / (1 - flower) < RARE_SHARE
    ):
        reasons.append(
            f"The model behaves like a flower: its precision {prec:.2f} is hardly above the "
            f"{flower:.2f} of a model that allows any step at any time (less than {RARE_SHARE:.0%} of "
            "the way from it to a precise model)."
        )
    for f in q["flowers"]:
        if f["events_share"] >= RARE_SHARE:
            reasons.append(
                f"The model is a flower over {len(f['activities'])} activities ({_names(f['activities'])}; "
                f"{f['events_share']:.0%} of the events): any of them may follow any other, any number of "
                "times, so it says nothing about their order."
            )
    for b in q["parallel_blocks"]:
        bad = [p for p in b["pairs"] if not p["shown"] and p["events_share"] >= RARE_SHARE]
        if bad:
            p = bad[0]
            more = f" (and {len(bad) - 1} more pair(s) of branches)" if len(bad) > 1 else ""
            reasons.append(
                f"The model runs {_names(p['first'])} in parallel with {_names(p['second'])}, but the log "
                f"does not show it: {p['forward']:,} times the first directly followed by the second, "
                f"{p['backward']:,} times the other way round{more}. Concurrency the log does not show "
                "is a claim the redesign cannot rest on."
            )
    if q["dropped_activities"] and q["dropped_cases_share"] >= RARE_SHARE:
        reasons.append(
            f"The miner left out {len(q['dropped_activities'])} activities as infrequent "
            f"({_names(q['dropped_activities'])}), yet {q['dropped_cases_share']:.0%} of the cases do one "
            "of them."
        )
    if q["unused_skips"]:
        acts = [u["activity"] for u in q["unused_skips"]]
        reasons.append(
            f"The model lets cases skip {_names(acts)} ({len(q['skippable_activities'])} of its activities "
            f"can be skipped silently), but every case does {'it' if len(acts) == 1 else 'each of them'}: "
            "the log never takes the skip."
        )
    return reasons


def abstract_dfg(
    dfg: DirectlyFollowsGraph, *, activity_share: float = 1.0, path_share: float = 1.0
) -> DirectlyFollowsGraph:
    """Keep only the most frequent activities and paths of a DFG, as Disco's two sliders do.

    First the ``ceil(activity_share * n)`` most frequent of the ``n`` activities are kept (by number
    of events; at least one; equal counts in the order of their names). Then, of the ``m`` edges
    between the kept activities, the ``ceil(path_share * m)`` most frequent are kept (equal
    frequencies in the order of source, then target), plus the most frequent incoming and the most
    frequent outgoing edge of every kept activity, self-loops aside, so that the map stays connected.

    Parameters
    ----------
    dfg : DirectlyFollowsGraph
        The graph to abstract; it is not changed.
    activity_share : float, default 1.0
        Share of the activities to keep, from 0 to 1. 1 keeps them all; 0 keeps the most frequent one.
    path_share : float, default 1.0
        Share of the edges between the kept activities to keep, from 0 to 1. 1 keeps them all; 0
        keeps only the edges that keep the map connected.

    Returns
    -------
    DirectlyFollowsGraph
        A new graph. ``edges`` (same columns) holds the kept edges, most frequent first;
        ``activities`` (same columns; ``starts`` and ``ends`` unchanged) the kept activities, most
        frequent first; ``cases`` is unchanged. ``hidden_activities`` and ``hidden_paths`` add what
        this call left out to what ``dfg`` had hidden already (when ``dfg`` is itself an abstraction,
        a path it had hidden stays counted even if one of its activities is hidden now).

    Raises
    ------
    AnalysisError
        ``activity_share`` or ``path_share`` is not a number from 0 to 1.

    See Also
    --------
    DirectlyFollowsGraph.abstract : the same, as a method.
    plot_process_map : draws the map; takes the same two shares.

    References
    ----------
    Günther & van der Aalst (2007), "Fuzzy Mining - Adaptive process simplification based on
    multi-perspective metrics", BPM 2007, LNCS 4714, pp. 328-343; Fluxicon, *Disco User's Guide*,
    the process map's activities and paths sliders.

    Examples
    --------
    >>> dfg = discover_dfg(load_event_log("sample_logs/council_permits.csv"))
    >>> small = dfg.abstract(activity_share=0.5, path_share=0.2)
    >>> len(small.activities), small.hidden_activities
    (9, 9)
    """
    _check_share("activity_share", activity_share, "activities")
    _check_share("path_share", path_share, "paths")
    return _abstract(
        dfg,
        keep_activities=_activities_to_keep(activity_share, len(dfg.activities)),
        path_share=path_share,
        max_paths=None,
    )


def _check_share(name: str, value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:  # NaN fails too
        raise AnalysisError(
            f"{name} must be a number from 0 to 1 (the share of the {what} to show: 1 shows all, "
            f"0.5 the most frequent half); got {value!r}."
        )


def _share_count(share: float, n: int) -> int:
    """``ceil(share * n)``, without float noise turning ``0.3 * 10`` into 4."""
    return math.ceil(round(share * n, 9))


def _activities_to_keep(share: float, n: int) -> int:
    return max(1, _share_count(share, n))


def _abstract(
    dfg: DirectlyFollowsGraph, *, keep_activities: int, path_share: float | None, max_paths: int | None
) -> DirectlyFollowsGraph:
    """The ``keep_activities`` busiest activities and the path budget of edges between them.

    The path budget is ``ceil(path_share * m)`` of the ``m`` edges between the kept activities, capped
    by ``max_paths``; without ``path_share``, ``max_paths`` or else three per activity kept.
    """
    acts = dfg.activities.sort_values(
        ["events", "activity"], ascending=[False, True], kind="stable", ignore_index=True
    ).head(max(0, keep_activities))
    kept = set(acts["activity"])
    among = dfg.edges[dfg.edges["source"].isin(kept) & dfg.edges["target"].isin(kept)].sort_values(
        ["frequency", "source", "target"], ascending=[False, True, True], kind="stable", ignore_index=True
    )
    if path_share is None:
        budget = 3 * len(acts) if max_paths is None else max_paths
    else:
        budget = _share_count(path_share, len(among))
        budget = budget if max_paths is None else min(budget, max_paths)
    edges = _keep_paths(among, max(0, budget))
    return DirectlyFollowsGraph(
        edges,
        acts,
        dfg.cases,
        hidden_activities=dfg.hidden_activities + len(dfg.activities) - len(acts),
        hidden_paths=dfg.hidden_paths + len(among) - len(edges),
    )


def _keep_paths(edges: pd.DataFrame, budget: int) -> pd.DataFrame:
    """The ``budget`` first (busiest) edges plus each activity's busiest in- and out-edge.

    ``edges`` is sorted busiest first with a fresh index. A self-loop connects nothing, so it never
    counts as an activity's busiest in- or out-edge.
    """
    if len(edges) <= budget:
        return edges
    links = edges[edges["source"] != edges["target"]]
    keep = (
        edges.index[:budget]
        .union(links.drop_duplicates("source").index)
        .union(links.drop_duplicates("target").index)
    )
    return edges[edges.index.isin(keep)].reset_index(drop=True)


def html_label(*lines: str, bold_first: bool = True) -> str:
    """A graphviz HTML-like label, one line per argument, whose every text is escaped.

    Names from the data go through this, so no activity or performer name can inject markup into a
    graph or its SVG (Graphviz, "HTML-Like Labels", graphviz.org/doc/info/shapes.html#html).

    Parameters
    ----------
    *lines : str
        The lines of the label (any object; converted with ``str``).
    bold_first : bool
        Set the first line in bold.

    Returns
    -------
    str
        ``<...>``: the label as graphviz's HTML-like string.
    """
    parts = [html.escape(str(x), quote=True) for x in lines]
    if bold_first and parts:
        parts[0] = f"<B>{parts[0]}</B>"
    return "<" + "<BR/>".join(parts) + ">"


def styled_digraph(name: str, *, rankdir: Literal["TB", "LR"] = "TB") -> graphviz.Digraph:
    """An empty graphviz digraph in flowready's style: rounded blue boxes, Helvetica, small edge labels.

    Shared by the process map and the handoff network so they look alike.

    Parameters
    ----------
    name : str
        The graph's name (its id in the DOT source and the SVG).
    rankdir : {"TB", "LR"}
        Layout direction: top to bottom or left to right.

    Returns
    -------
    graphviz.Digraph
        No nodes or edges yet; add them with labels from :func:`html_label`.
    """
    return graphviz.Digraph(
        name,
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": "Helvetica",
            "fontsize": "10",
            "fillcolor": "#e8f0fe",
            "color": "#3b6fd4",
        },
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )


_STATISTICS = ("median", "mean", "p90", "total")


#: The colour of the edges of open cases into the end node (grey: not an ending).
_OPEN_COLOUR = "#9e9e9e"


def plot_process_map(
    dfg: DirectlyFollowsGraph,
    *,
    overlay: Literal["frequency", "time", "both"] = "both",
    max_activities: int = 60,
    max_paths: int | None = None,
    activity_share: float = 1.0,
    path_share: float | None = None,
    statistic: Literal["median", "mean", "p90", "total"] = "median",
    end_activities: Collection[str] | None = None,
) -> graphviz.Digraph:
    """Draw the process map (the DFG) with a frequency and/or time overlay.

    The map is abstracted as by :func:`abstract_dfg` (Disco's activities and paths sliders), then
    capped by ``max_activities`` and ``max_paths``: dense maps of logs with hundreds of activities
    would otherwise take graphviz minutes to lay out. The title says how many activities and paths
    are hidden.

    Parameters
    ----------
    dfg : DirectlyFollowsGraph
    overlay : {"frequency", "time", "both"}
        What the edges show: the number of times the path is taken, the time between the two
        completions (see ``statistic``), or both. Edge width follows frequency; the slowest tenth of
        the edges drawn, by ``statistic``, are red.
    max_activities : int, default 60
        Show at most this many activities (the most frequent), after ``activity_share``.
    max_paths : int, optional
        Show at most this many paths (edges), the most frequent, plus the most frequent incoming and
        outgoing path of every activity shown so that the map stays connected. Caps the budget that
        ``path_share`` gives; without ``path_share`` it is the budget.
    activity_share : float, default 1.0
        Share of the activities to show, from 0 to 1 (at least one is shown).
    path_share : float, optional
        Share of the paths between the activities shown to show, from 0 to 1, plus those that keep
        the map connected. Default: three paths per activity shown (or ``max_paths``).
    statistic : {"median", "mean", "p90", "total"}, default "median"
        Which time between completions labels the edges and picks the slow ones: the edges table's
        ``hours_median``, ``hours_mean``, ``hours_p90`` or ``hours_total`` (hours, summed over all
        cases for ``"total"``).
    end_activities : collection of str, optional
        The activities that close a case (``Bottlenecks.end_activities``). When given, the cases that
        stop at any other activity are still open: their edge into the end node is grey, dotted and
        labelled "still open", and the title says so; the edges of closed cases are solid. Without it
        every edge into the end node is dashed, as the edges out of the start node.

    Returns
    -------
    graphviz.Digraph
        Every activity name is escaped and nodes get synthetic ids, so names cannot inject markup into
        the graph or the SVG.

    Raises
    ------
    AnalysisError
        ``activity_share`` or ``path_share`` is not a number from 0 to 1, or ``statistic`` is not one
        of the four above.

    See Also
    --------
    abstract_dfg : the abstraction alone, as a new DirectlyFollowsGraph.
    render_process_map : the same map laid out as SVG.

    References
    ----------
    Günther & van der Aalst (2007), "Fuzzy Mining - Adaptive process simplification based on
    multi-perspective metrics", BPM 2007, LNCS 4714, pp. 328-343.

    Examples
    --------
    >>> dfg = discover_dfg(load_event_log("sample_logs/council_permits.csv"))
    >>> g = plot_process_map(dfg, activity_share=0.5, path_share=0.2, statistic="p90")
    >>> "9 rarer activities" in g.source
    True
    """
    _check_share("activity_share", activity_share, "activities")
    if path_share is not None:
        _check_share("path_share", path_share, "paths")
    if statistic not in _STATISTICS:
        raise AnalysisError(
            f"statistic must be one of {', '.join(map(repr, _STATISTICS))}; got {statistic!r}."
        )
    shown = _abstract(
        dfg,
        keep_activities=min(_activities_to_keep(activity_share, len(dfg.activities)), max_activities),
        path_share=path_share,
        max_paths=max_paths,
    )
    acts, edges = shown.activities, shown.edges
    hours = f"hours_{statistic}"
    ids = {a: f"a{i}" for i, a in enumerate(acts["activity"])}
    g = styled_digraph("process_map")
    hidden_text = ", ".join(
        t
        for t in (
            f"{shown.hidden_activities} rarer activities" if shown.hidden_activities else "",
            f"{shown.hidden_paths} rarer paths" if shown.hidden_paths else "",
        )
        if t
    )
    ends = None if end_activities is None else set(end_activities)
    title = f"Process map: {dfg.cases:,} cases" + (f" ({hidden_text} hidden)" if hidden_text else "")
    if ends is not None and (~acts["activity"].isin(ends) & (acts["ends"] > 0)).any():
        title += "; grey dotted edges into the end: cases still open"
    g.attr(label=html_label(title, bold_first=False), labelloc="t")
    g.node("start", label="", shape="circle", width="0.25", style="filled", fillcolor="#5cb85c")
    g.node("end", label="", shape="doublecircle", width="0.2", style="filled", fillcolor="#d9534f")
    max_freq = max(1, int(acts["events"].max())) if len(acts) else 1
    for row in acts.itertuples():
        shade = 0.15 + 0.6 * row.events / max_freq
        g.node(
            ids[row.activity],
            label=html_label(row.activity, f"{row.events:,}"),
            fillcolor=f"0.6 {shade:.2f} 1.0",
            tooltip=html.escape(str(row.activity)),
        )
        if row.starts:
            g.edge(
                "start",
                ids[row.activity],
                label=html_label(f"{row.starts:,}", bold_first=False),
                style="dashed",
            )
        if row.ends and ends is not None and row.activity not in ends:  # cases that stopped here are open
            g.edge(
                ids[row.activity],
                "end",
                label=html_label(f"{row.ends:,} still open", bold_first=False),
                style="dotted",
                color=_OPEN_COLOUR,
                fontcolor=_OPEN_COLOUR,
            )
        elif row.ends:
            g.edge(
                ids[row.activity],
                "end",
                label=html_label(f"{row.ends:,}", bold_first=False),
                style="dashed" if ends is None else "solid",
            )
    top_freq = max(1, int(edges["frequency"].max())) if len(edges) else 1
    slow = edges[hours].quantile(0.9) if len(edges) else 0.0
    for e in edges.itertuples():
        text = []
        if overlay in ("frequency", "both"):
            text.append(f"{e.frequency:,}")
        if overlay in ("time", "both"):
            text.append(humanize_hours(getattr(e, hours)))
        colour = "#c0392b" if slow and getattr(e, hours) >= slow else "#555555"
        g.edge(
            ids[e.source],
            ids[e.target],
            label=html_label(*text, bold_first=False),
            penwidth=f"{0.6 + 4.4 * e.frequency / top_freq:.2f}",
            color=colour,
        )
    return g


def render_process_map(
    dfg: DirectlyFollowsGraph,
    *,
    overlay: Literal["frequency", "time", "both"] = "both",
    max_activities: int = 60,
    max_paths: int | None = None,
    activity_share: float = 1.0,
    path_share: float | None = None,
    statistic: Literal["median", "mean", "p90", "total"] = "median",
) -> str:
    """Lay out the process map with graphviz and return the SVG document as text.

    Parameters
    ----------
    dfg : DirectlyFollowsGraph
    overlay, max_activities, max_paths, activity_share, path_share, statistic
        As in :func:`plot_process_map`.

    Returns
    -------
    str
        A complete SVG document (XML prolog included).

    Raises
    ------
    AnalysisError
        A share or ``statistic`` is invalid (see :func:`plot_process_map`).
    FlowreadyError
        Graphviz's ``dot`` program is not installed.
    """
    g = plot_process_map(
        dfg,
        overlay=overlay,
        max_activities=max_activities,
        max_paths=max_paths,
        activity_share=activity_share,
        path_share=path_share,
        statistic=statistic,
    )
    return render_svg(g)


#: Graphs with more nodes than this are laid out with the searches bounded (see :func:`render_svg`).
LARGE_GRAPH_NODES = 150
#: Graphviz limits for large graphs: fewer mincross iterations and network-simplex passes, no final
#: re-crossing pass. The drawing is a little less tidy and bounded in time.
LARGE_GRAPH_LIMITS = {
    "mclimit": "0.2",
    "nslimit": "2",
    "nslimit1": "2",
    "searchsize": "10",
    "remincross": "false",
}


def run_graphviz(graph: graphviz.Digraph, format: Literal["svg", "json0", "png"] = "svg") -> bytes:
    """Lay out a graph with Graphviz's ``dot``: the one runner of every Graphviz call in flowready.

    Every drawing (process map, handoff network, blueprint diagram) and the BPMN export's layout go
    through here, so a missing or failing ``dot`` gives the same clear error everywhere.

    Parameters
    ----------
    graph : graphviz.Digraph
        Not changed.
    format : {"svg", "json0", "png"}, default "svg"
        ``dot``'s output format (``json0``: the laid-out positions, as the BPMN export reads them).

    Returns
    -------
    bytes
        ``dot``'s output.

    Raises
    ------
    FlowreadyError
        Graphviz's ``dot`` program is not installed (the message says how to install it), or it fails
        on the graph (the message quotes its error).

    Notes
    -----
    On graphs of more than :data:`LARGE_GRAPH_NODES` nodes the crossing-minimisation and network-simplex
    searches are bounded (:data:`LARGE_GRAPH_LIMITS`): BPIC15_1's 566-node blueprint took from 2 s to
    over 10 minutes depending on the order of its nodes, and 1.6 s with the bounds.

    Examples
    --------
    >>> g = graphviz.Digraph()
    >>> g.edge("a", "b")
    >>> run_graphviz(g).startswith(b"<?xml")
    True
    """
    if graph.source.count("\n\t") > LARGE_GRAPH_NODES * 2:  # nodes and edges: cheap upper bound
        nodes = sum(1 for line in graph.body if " -> " not in line and "[" in line)
        if nodes > LARGE_GRAPH_NODES:
            graph = graph.copy()
            graph.graph_attr.update(LARGE_GRAPH_LIMITS)
    try:
        return graph.pipe(format=format, quiet=True)
    except graphviz.ExecutableNotFound:
        raise FlowreadyError(
            "Graphviz's 'dot' program is not installed; install it (apt-get install graphviz) and retry."
        ) from None
    except graphviz.CalledProcessError as exc:
        raise FlowreadyError(f"Graphviz's 'dot' failed to lay out the graph: {exc.stderr!r:.300}.") from None


def render_svg(graph: graphviz.Digraph) -> str:
    """Lay out any graphviz graph with ``dot`` and return the SVG document as text.

    Parameters
    ----------
    graph : graphviz.Digraph
        E.g. from :func:`plot_process_map`, :func:`analysis.plot_handoff_network` or
        :func:`analysis.plot_blueprint`. Not changed.

    Returns
    -------
    str
        A complete SVG document (XML prolog included).

    Raises
    ------
    FlowreadyError
        As :func:`run_graphviz`.
    """
    return run_graphviz(graph, "svg").decode("utf-8")


def export_process_map(
    dfg: DirectlyFollowsGraph,
    path: str | Path,
    *,
    overlay: Literal["frequency", "time", "both"] = "both",
    max_activities: int = 60,
    max_paths: int | None = None,
    activity_share: float = 1.0,
    path_share: float | None = None,
    statistic: Literal["median", "mean", "p90", "total"] = "median",
) -> Path:
    """Write the process map as SVG (see :func:`render_process_map`).

    Parameters
    ----------
    dfg : DirectlyFollowsGraph
    path : str or pathlib.Path
        The ``.svg`` file to write.
    overlay, max_activities, max_paths, activity_share, path_share, statistic
        As in :func:`plot_process_map`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    AnalysisError
        A share or ``statistic`` is invalid (see :func:`plot_process_map`).
    FlowreadyError
        Graphviz's ``dot`` program is not installed.
    """
    path = Path(path)
    svg = render_process_map(
        dfg,
        overlay=overlay,
        max_activities=max_activities,
        max_paths=max_paths,
        activity_share=activity_share,
        path_share=path_share,
        statistic=statistic,
    )
    path.write_text(svg, "utf-8")
    return path
