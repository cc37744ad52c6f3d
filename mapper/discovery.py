"""Process discovery: the directly-follows graph, the variants, a BPMN model, and the process map.

Event-level work runs in the engine (:mod:`mapper.engine`); pm4py's Inductive Miner works on the
compact variants table, never on the events.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import graphviz
import pandas as pd

from mapper import _pm4py
from mapper.engine import dfg_edges, execute, start_end_activities
from mapper.engine import variants as variants_query
from mapper.errors import FlowreadyError
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
    """

    edges: pd.DataFrame
    activities: pd.DataFrame
    cases: int

    def to_frame(self) -> pd.DataFrame:
        """The edges table (a copy)."""
        return self.edges.copy()

    def to_graphviz(
        self,
        *,
        overlay: Literal["frequency", "time", "both"] = "both",
        max_activities: int = 60,
        max_paths: int | None = None,
    ) -> graphviz.Digraph:
        """The process map; see :func:`plot_process_map`."""
        return plot_process_map(self, overlay=overlay, max_activities=max_activities, max_paths=max_paths)

    def _repr_html_(self) -> str:
        return (
            f"<b>Directly-follows graph</b>: {len(self.activities)} activities, {len(self.edges)} edges, "
            f"{self.cases:,} cases" + self.edges.head(30).to_html(index=False)
        )


@dataclass(frozen=True)
class ProcessModel:
    """A BPMN model discovered with the Inductive Miner - infrequent.

    Attributes
    ----------
    tree : pm4py ProcessTree
    bpmn : pm4py BPMN
        The same model as a BPMN graph (tasks, gateways, start and end events, sequence flows).
    noise_threshold : float
    variants_used : int
        Number of variants the model was mined from.
    """

    tree: object
    bpmn: object
    noise_threshold: float
    variants_used: int

    def _repr_html_(self) -> str:
        return (
            f"<b>BPMN model</b> (IMf, noise threshold {self.noise_threshold}), mined from "
            f"{self.variants_used:,} variants:<br><code>{html.escape(str(self.tree))}</code>"
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
    ).sort_values("events", ascending=False, ignore_index=True)
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


def discover_bpmn(
    log: EventLog, *, noise_threshold: float = 0.2, variants: pd.DataFrame | None = None
) -> ProcessModel:
    """Discover a BPMN model with pm4py's Inductive Miner - infrequent (IMf).

    The miner runs on the variants (each distinct trace with its number of cases), not on the DFG alone:
    mining from the DFG yields a flower model on logs such as Road Traffic.

    Parameters
    ----------
    log : EventLog
    noise_threshold : float, default 0.2
        IMf's threshold in [0, 1): 0 keeps all behaviour; higher values filter infrequent paths.
    variants : pandas.DataFrame, optional
        The output of :func:`discover_variants`, when already computed.

    Returns
    -------
    ProcessModel

    Raises
    ------
    FlowreadyError
        When ``noise_threshold`` is outside [0, 1).

    References
    ----------
    Leemans, Fahland & van der Aalst (2013), "Discovering block-structured process models from event
    logs containing infrequent behaviour", BPM 2013 Workshops, LNBIP 171, pp. 66-78.
    """
    if not 0 <= noise_threshold < 1:
        raise FlowreadyError(f"noise_threshold must be in [0, 1); got {noise_threshold}.")
    v = discover_variants(log) if variants is None else variants
    tree = _pm4py.inductive_miner_from_variants(
        dict(zip(v["trace"], v["cases"], strict=True)), noise_threshold
    )
    return ProcessModel(tree, _pm4py.tree_to_bpmn(tree), noise_threshold, len(v))


def _label(*lines: str, bold_first: bool = True) -> str:
    """A graphviz HTML-like label whose every text is escaped (no name can inject markup)."""
    parts = [html.escape(str(x), quote=True) for x in lines]
    if bold_first and parts:
        parts[0] = f"<B>{parts[0]}</B>"
    return "<" + "<BR/>".join(parts) + ">"


def plot_process_map(
    dfg: DirectlyFollowsGraph,
    *,
    overlay: Literal["frequency", "time", "both"] = "both",
    max_activities: int = 60,
    max_paths: int | None = None,
) -> graphviz.Digraph:
    """Draw the process map (the DFG) with a frequency and/or time overlay.

    Parameters
    ----------
    dfg : DirectlyFollowsGraph
    overlay : {"frequency", "time", "both"}
        What the edges show: the number of times the path is taken, the median hours between the two
        completions, or both. Edge width follows frequency; edge colour follows median time.
    max_activities : int
        Show at most this many activities (the most frequent); the title says how many are hidden.
    max_paths : int, optional
        Show at most this many paths (edges), the most frequent, plus the most frequent incoming and
        outgoing path of every activity shown so that the map stays connected (as the path slider of
        Disco does). Default: three per activity shown. Dense maps of logs with hundreds of activities
        would otherwise take graphviz minutes to lay out.

    Returns
    -------
    graphviz.Digraph
        Every activity name is escaped and nodes get synthetic ids, so names cannot inject markup into
        the graph or the SVG.
    """
    acts = dfg.activities.head(max_activities)
    ids = {a: f"a{i}" for i, a in enumerate(acts["activity"])}
    edges = dfg.edges[dfg.edges["source"].isin(ids) & dfg.edges["target"].isin(ids)]
    edges, hidden_paths = _abstract_paths(edges, 3 * len(ids) if max_paths is None else max_paths)
    g = graphviz.Digraph(
        "process_map",
        graph_attr={"rankdir": "TB", "fontname": "Helvetica", "fontsize": "11"},
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
    hidden = len(dfg.activities) - len(acts)
    hidden_text = ", ".join(
        t
        for t in (
            f"{hidden} rarer activities" if hidden else "",
            f"{hidden_paths} rarer paths" if hidden_paths else "",
        )
        if t
    )
    title = f"Process map: {dfg.cases:,} cases" + (f" ({hidden_text} hidden)" if hidden_text else "")
    g.attr(label=_label(title, bold_first=False), labelloc="t")
    g.node("start", label="", shape="circle", width="0.25", style="filled", fillcolor="#5cb85c")
    g.node("end", label="", shape="doublecircle", width="0.2", style="filled", fillcolor="#d9534f")
    max_freq = max(1, int(acts["events"].max())) if len(acts) else 1
    for row in acts.itertuples():
        shade = 0.15 + 0.6 * row.events / max_freq
        g.node(
            ids[row.activity],
            label=_label(row.activity, f"{row.events:,}"),
            fillcolor=f"0.6 {shade:.2f} 1.0",
            tooltip=html.escape(str(row.activity)),
        )
        if row.starts:
            g.edge(
                "start", ids[row.activity], label=_label(f"{row.starts:,}", bold_first=False), style="dashed"
            )
        if row.ends:
            g.edge(ids[row.activity], "end", label=_label(f"{row.ends:,}", bold_first=False), style="dashed")
    top_freq = max(1, int(edges["frequency"].max())) if len(edges) else 1
    slow = edges["hours_median"].quantile(0.9) if len(edges) else 0.0
    for e in edges.itertuples():
        text = []
        if overlay in ("frequency", "both"):
            text.append(f"{e.frequency:,}")
        if overlay in ("time", "both"):
            text.append(humanize_hours(e.hours_median))
        colour = "#c0392b" if slow and e.hours_median >= slow else "#555555"
        g.edge(
            ids[e.source],
            ids[e.target],
            label=_label(*text, bold_first=False),
            penwidth=f"{0.6 + 4.4 * e.frequency / top_freq:.2f}",
            color=colour,
        )
    return g


def _abstract_paths(edges: pd.DataFrame, max_paths: int) -> tuple[pd.DataFrame, int]:
    """Keep the ``max_paths`` most frequent edges plus each node's busiest in- and out-edge."""
    if len(edges) <= max_paths:
        return edges, 0
    by_freq = edges.sort_values("frequency", ascending=False)
    keep = set(by_freq.index[:max_paths])
    keep |= set(by_freq.drop_duplicates("source").index) | set(by_freq.drop_duplicates("target").index)
    kept = edges.loc[sorted(keep)]
    return kept, len(edges) - len(kept)


def render_process_map(
    dfg: DirectlyFollowsGraph,
    *,
    overlay: Literal["frequency", "time", "both"] = "both",
    max_activities: int = 60,
    max_paths: int | None = None,
) -> str:
    """Lay out the process map with graphviz and return the SVG document as text.

    Parameters
    ----------
    dfg : DirectlyFollowsGraph
    overlay, max_activities, max_paths
        As in :func:`plot_process_map`.

    Returns
    -------
    str
        A complete SVG document (XML prolog included).

    Raises
    ------
    FlowreadyError
        Graphviz's ``dot`` program is not installed.
    """
    g = plot_process_map(dfg, overlay=overlay, max_activities=max_activities, max_paths=max_paths)
    try:
        return g.pipe(format="svg").decode("utf-8")
    except graphviz.ExecutableNotFound:
        raise FlowreadyError(
            "Graphviz's 'dot' program is not installed; install it (apt-get install graphviz) and retry."
        ) from None


def export_process_map(
    dfg: DirectlyFollowsGraph,
    path: str | Path,
    *,
    overlay: Literal["frequency", "time", "both"] = "both",
    max_activities: int = 60,
    max_paths: int | None = None,
) -> Path:
    """Write the process map as SVG (see :func:`render_process_map`).

    Parameters
    ----------
    dfg : DirectlyFollowsGraph
    path : str or pathlib.Path
        The ``.svg`` file to write.
    overlay, max_activities, max_paths
        As in :func:`plot_process_map`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FlowreadyError
        Graphviz's ``dot`` program is not installed.
    """
    path = Path(path)
    svg = render_process_map(dfg, overlay=overlay, max_activities=max_activities, max_paths=max_paths)
    path.write_text(svg, "utf-8")
    return path
