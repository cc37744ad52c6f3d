"""Process-map abstraction (Disco's activities and paths sliders) on a hand-made log with a known DFG."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from mapper import load_event_log
from mapper.discovery import (
    DirectlyFollowsGraph,
    abstract_dfg,
    discover_dfg,
    export_process_map,
    plot_process_map,
    render_process_map,
)
from mapper.errors import AnalysisError, FlowreadyError

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs" / "council_permits.csv"

# Hours after A (each case starts with A at 00:00 on its own day):
# cases 1-3: A, B 1h, D 2h / 3h / 4h      case 4: A, B 2h, C 3h, D 4h
# case 5:    A, B 5h, B 6h, D 7h          cases 6-7: A, C 1h / 2h, D +1h      case 8: A, E 1h, D 2h
#
# Activities by events: A 8, D 8 (a tie, A first by name), B 6, C 3, E 1.
# Edges, busiest first (ties by source, then target):
#   A->B 5, B->D 4, C->D 3, A->C 2, A->E 1, B->B 1, B->C 1, E->D 1.
# A->B takes 1, 1, 1, 2, 5 h: median 1, mean 2, p90 3.8 (linear), total 10.
CASES = {
    "1": [("A", 0), ("B", 1), ("D", 2)],
    "2": [("A", 0), ("B", 1), ("D", 3)],
    "3": [("A", 0), ("B", 1), ("D", 4)],
    "4": [("A", 0), ("B", 2), ("C", 3), ("D", 4)],
    "5": [("A", 0), ("B", 5), ("B", 6), ("D", 7)],
    "6": [("A", 0), ("C", 1), ("D", 2)],
    "7": [("A", 0), ("C", 2), ("D", 3)],
    "8": [("A", 0), ("E", 1), ("D", 2)],
}
ALL_EDGES = [
    ("A", "B"),
    ("B", "D"),
    ("C", "D"),
    ("A", "C"),
    ("A", "E"),
    ("B", "B"),
    ("B", "C"),
    ("E", "D"),
]
# With path_share=0: each activity's busiest in- and out-edge, self-loops aside.
CONNECTING = [("A", "B"), ("B", "D"), ("C", "D"), ("A", "C"), ("A", "E"), ("E", "D")]


def _frame() -> pd.DataFrame:
    rows = [
        (case, act, pd.Timestamp(2024, 1, int(case)) + pd.Timedelta(hours=h))
        for case, events in CASES.items()
        for act, h in events
    ]
    return pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"]).astype({"timestamp": str})


@pytest.fixture(scope="module")
def dfg() -> DirectlyFollowsGraph:
    return discover_dfg(load_event_log(_frame()))


@pytest.fixture(scope="module")
def sample_dfg() -> DirectlyFollowsGraph:
    return discover_dfg(load_event_log(SAMPLE))


def _pairs(g: DirectlyFollowsGraph) -> list[tuple[str, str]]:
    return list(zip(g.edges["source"], g.edges["target"], strict=True))


def _drawn_edges(source: str) -> list[str]:
    return [
        line.strip()
        for line in source.splitlines()
        if "->" in line and not line.strip().startswith(("start", "label")) and "-> end" not in line
    ]


def test_the_hand_made_log_has_the_documented_dfg(dfg):
    assert _pairs(dfg) == ALL_EDGES
    assert dfg.edges["frequency"].tolist() == [5, 4, 3, 2, 1, 1, 1, 1]
    assert dict(zip(dfg.activities["activity"], dfg.activities["events"], strict=True)) == {
        "A": 8,
        "D": 8,
        "B": 6,
        "C": 3,
        "E": 1,
    }
    assert (dfg.hidden_activities, dfg.hidden_paths) == (0, 0)


def test_full_shares_keep_everything(dfg):
    full = dfg.abstract()
    assert _pairs(full) == ALL_EDGES
    assert full.activities["activity"].tolist() == ["A", "D", "B", "C", "E"]
    assert (full.hidden_activities, full.hidden_paths, full.cases) == (0, 0, 8)


@pytest.mark.parametrize(
    "share, kept",
    [
        (0.0, ["A"]),  # at least one
        (0.2, ["A"]),  # 0.2 * 5 = 1
        (0.21, ["A", "D"]),  # 1.05 rounds up to 2
        (0.5, ["A", "D", "B"]),  # 2.5 rounds up to 3
        (0.6, ["A", "D", "B"]),
        (0.61, ["A", "D", "B", "C"]),
        (1.0, ["A", "D", "B", "C", "E"]),
    ],
)
def test_activity_share_keeps_the_busiest_activities_rounding_up(dfg, share, kept):
    small = dfg.abstract(activity_share=share)
    assert small.activities["activity"].tolist() == kept
    assert small.hidden_activities == 5 - len(kept)
    assert set(small.edges["source"]) | set(small.edges["target"]) <= set(kept)


@pytest.mark.parametrize(
    "share, kept",
    [
        (0.0, CONNECTING),  # only the edges that keep the map connected
        (0.5, CONNECTING),  # 4 busiest, all of them connecting ones
        (0.625, CONNECTING),  # 0.625 * 8 = 5 exactly: A->E is the 5th
        (0.626, [*ALL_EDGES[:6], ("E", "D")]),  # 5.008 rounds up to 6: B->B (before B->C by name) joins
        (0.75, [*ALL_EDGES[:6], ("E", "D")]),
        (0.76, ALL_EDGES),
        (1.0, ALL_EDGES),
    ],
)
def test_path_share_keeps_the_busiest_paths_rounding_up_plus_connecting_ones(dfg, share, kept):
    small = dfg.abstract(path_share=share)
    assert _pairs(small) == kept
    assert small.hidden_paths == 8 - len(kept)
    assert small.hidden_activities == 0


def test_every_kept_activity_keeps_its_busiest_in_and_out_edge(dfg):
    small = dfg.abstract(path_share=0.0)
    links = [(s, t) for s, t in _pairs(small) if s != t]
    for act in "BCE":  # A only starts cases, D only ends them
        assert any(t == act for _, t in links) and any(s == act for s, _ in links)
    assert ("B", "B") not in _pairs(small)  # a self-loop connects nothing


def test_path_share_counts_only_edges_between_kept_activities(dfg):
    # A, D, B kept; edges between them: A->B 5, B->D 4, B->B 1
    small = dfg.abstract(activity_share=0.6, path_share=0.0)
    assert _pairs(small) == [("A", "B"), ("B", "D")]
    assert (small.hidden_activities, small.hidden_paths) == (2, 1)
    # 0.34 * 3 = 1.02 rounds up to 2 paths: the self-loop is third, still hidden
    assert dfg.abstract(activity_share=0.6, path_share=0.34).hidden_paths == 1
    assert dfg.abstract(activity_share=0.6, path_share=0.67).hidden_paths == 0


def test_ties_are_broken_by_name_whatever_the_table_order(dfg):
    # the same graph with its tables upside down: D now comes before A, B->C before B->B
    upside_down = DirectlyFollowsGraph(
        dfg.edges[::-1].reset_index(drop=True), dfg.activities[::-1].reset_index(drop=True), dfg.cases
    )
    for a, p in [(0.2, 0.0), (0.21, 0.626), (1.0, 0.5)]:
        ours, theirs = (
            dfg.abstract(activity_share=a, path_share=p),
            upside_down.abstract(activity_share=a, path_share=p),
        )
        pd.testing.assert_frame_equal(ours.activities, theirs.activities)
        pd.testing.assert_frame_equal(ours.edges, theirs.edges)
    assert upside_down.abstract(activity_share=0.2).activities["activity"].tolist() == ["A"]
    assert (
        plot_process_map(upside_down, activity_share=0.6, path_share=0.2).source
        == plot_process_map(dfg, activity_share=0.6, path_share=0.2).source
    )


def test_ties_are_broken_by_name_whatever_the_file_order(dfg):
    for seed in range(3):
        shuffled = _frame().sample(frac=1, random_state=seed).reset_index(drop=True)
        other = discover_dfg(load_event_log(shuffled))
        for a, p in [(0.2, 0.0), (0.21, 0.626), (1.0, 0.5)]:
            ours, theirs = (
                dfg.abstract(activity_share=a, path_share=p),
                other.abstract(activity_share=a, path_share=p),
            )
            pd.testing.assert_frame_equal(ours.activities, theirs.activities)
            pd.testing.assert_frame_equal(ours.edges, theirs.edges)
        assert (
            plot_process_map(other, activity_share=0.6).source
            == plot_process_map(dfg, activity_share=0.6).source
        )


def test_float_noise_does_not_round_up():
    # 0.28 * 25 is 7.000000000000001 in floating point: the share keeps 7 activities, not 8
    acts = pd.DataFrame(
        {
            "activity": [f"x{i:02d}" for i in range(25)],
            "events": range(100, 75, -1),
            "cases": 1,
            "starts": 0,
            "ends": 0,
        }
    )
    edges = pd.DataFrame(columns=["source", "target", "frequency"])
    small = DirectlyFollowsGraph(edges, acts, 1).abstract(activity_share=0.28)
    assert len(small.activities) == 7
    assert small.hidden_activities == 18


def test_result_keeps_the_columns_and_the_start_and_end_counts(dfg):
    small = dfg.abstract(activity_share=0.5, path_share=0.0)
    assert list(small.activities.columns) == list(dfg.activities.columns)
    assert list(small.edges.columns) == list(dfg.edges.columns)
    full = dfg.activities.set_index("activity")
    for row in small.activities.itertuples():
        assert (row.starts, row.ends, row.cases) == tuple(full.loc[row.activity, ["starts", "ends", "cases"]])
    assert small.cases == dfg.cases


def test_abstracting_twice_adds_up_the_hidden_counts(dfg):
    twice = dfg.abstract(path_share=0.0).abstract(activity_share=0.6)
    assert twice.activities["activity"].tolist() == ["A", "D", "B"]
    assert _pairs(twice) == [("A", "B"), ("B", "D")]
    assert twice.hidden_activities == 2
    assert twice.hidden_paths == 2  # the first call's; a path it hid may touch an activity hidden now


def test_the_function_twin_and_old_constructor(dfg):
    pd.testing.assert_frame_equal(
        abstract_dfg(dfg, activity_share=0.5, path_share=0.3).edges,
        dfg.abstract(activity_share=0.5, path_share=0.3).edges,
    )
    old = DirectlyFollowsGraph(dfg.edges, dfg.activities, dfg.cases)
    assert (old.hidden_activities, old.hidden_paths) == (0, 0)


def test_inputs_are_not_changed(dfg):
    edges, acts = dfg.edges.copy(deep=True), dfg.activities.copy(deep=True)
    small = dfg.abstract(activity_share=0.5, path_share=0.0)
    small.edges.loc[:, "frequency"] = -1
    small.activities.loc[:, "events"] = -1
    plot_process_map(dfg, activity_share=0.2, path_share=0.0, statistic="total", max_paths=1)
    pd.testing.assert_frame_equal(dfg.edges, edges)
    pd.testing.assert_frame_equal(dfg.activities, acts)
    assert (dfg.hidden_activities, dfg.hidden_paths) == (0, 0)


BAD_SHARES = [-0.1, 1.5, math.nan, "0.5", True]


@pytest.mark.parametrize(
    "name, value",
    [("activity_share", v) for v in [*BAD_SHARES, None]] + [("path_share", v) for v in BAD_SHARES],
)
def test_invalid_shares_are_refused_naming_the_argument(dfg, name, value):
    message = rf"{name} must be a number from 0 to 1 .* got {re.escape(repr(value))}"
    with pytest.raises(AnalysisError, match=message) as err:
        dfg.abstract(**{name: value})
    assert isinstance(err.value, FlowreadyError) and isinstance(err.value, ValueError)
    with pytest.raises(AnalysisError, match=message):
        plot_process_map(dfg, **{name: value})


def test_path_share_none_is_refused_by_abstract(dfg):
    with pytest.raises(AnalysisError, match=r"path_share must be a number from 0 to 1 .* got None"):
        dfg.abstract(path_share=None)


def test_invalid_statistic_is_refused(dfg):
    with pytest.raises(
        AnalysisError, match=r"statistic must be one of 'median', 'mean', 'p90', 'total'; got 'max'"
    ):
        plot_process_map(dfg, statistic="max")


def test_title_says_what_is_hidden(dfg):
    assert "Process map: 8 cases>" in plot_process_map(dfg).source
    source = plot_process_map(dfg, activity_share=0.6, path_share=0.0)
    assert "Process map: 8 cases (2 rarer activities, 1 rarer paths hidden)" in source.source
    # hidden counts add up: the graph's own and what the map hides on top
    assert (
        "(2 rarer activities, 1 rarer paths hidden)"
        in plot_process_map(dfg.abstract(activity_share=0.6), path_share=0.0).source
    )
    # an abstracted graph's own counts show in its title
    assert (
        "(2 rarer activities, 1 rarer paths hidden)"
        in plot_process_map(dfg.abstract(activity_share=0.6, path_share=0.0)).source
    )


def test_map_draws_the_abstraction(dfg):
    source = plot_process_map(dfg, activity_share=0.6, path_share=0.0).source
    # a0 = A, a1 = D, a2 = B (A and D tie on events; A first by name)
    assert "<B>A</B>" in source.split("a0 [", 1)[1].split("\n", 1)[0]
    assert "<B>D</B>" in source.split("a1 [", 1)[1].split("\n", 1)[0]
    assert "a3" not in source
    assert [line.split(" [", 1)[0] for line in _drawn_edges(source)] == ["a0 -> a2", "a2 -> a1"]
    # start and end are drawn for kept activities only: A starts all 8 cases, D ends them
    assert "start -> a0" in source and "a1 -> end" in source
    assert source.count("start ->") == 1 and source.count("-> end") == 1


def test_max_activities_and_max_paths_cap_the_shares(dfg):
    source = plot_process_map(dfg, activity_share=0.6, max_activities=2).source
    assert "(3 rarer activities" in source and "a2" not in source
    # path_share=1 keeps all 8 but max_paths=1 caps the budget: A->B plus the connecting edges
    capped = plot_process_map(dfg, path_share=1.0, max_paths=1).source
    assert len(_drawn_edges(capped)) == len(CONNECTING)
    assert "(2 rarer paths hidden)" in capped


def test_default_path_budget_is_unchanged(dfg):
    # no path_share: three paths per activity shown (15 >= 8: all drawn), or max_paths
    assert len(_drawn_edges(plot_process_map(dfg).source)) == 8
    assert len(_drawn_edges(plot_process_map(dfg, activity_share=0.0).source)) == 0
    # max_paths=5: the 5 busiest plus E->D, which E needs to stay connected
    assert len(_drawn_edges(plot_process_map(dfg, max_paths=5).source)) == 6


@pytest.mark.parametrize(
    "statistic, label", [("median", "1.0 h"), ("mean", "2.0 h"), ("p90", "3.8 h"), ("total", "10.0 h")]
)
def test_statistic_switches_the_time_labels(dfg, statistic, label):
    source = plot_process_map(dfg, overlay="time", statistic=statistic).source
    a_to_b = next(line for line in _drawn_edges(source) if line.startswith("a0 -> a2 "))  # A -> B
    assert f"label=<{label}>" in a_to_b
    both = plot_process_map(dfg, overlay="both", statistic=statistic).source
    assert f"label=<5<BR/>{label}>" in next(
        line for line in _drawn_edges(both) if line.startswith("a0 -> a2 ")
    )
    assert dfg.to_graphviz(overlay="time", statistic=statistic).source == source


def test_statistic_switches_the_slow_edges(dfg):
    def red(statistic: str) -> list[str]:
        source = plot_process_map(dfg, statistic=statistic).source
        return [line.split(" [", 1)[0] for line in _drawn_edges(source) if "#c0392b" in line]

    # medians: A->C and B->D 1.5 h, the rest 1 h; totals: A->B 10 h is alone in the slowest tenth
    assert red("median") == ["a2 -> a1", "a0 -> a3"]
    assert red("total") == ["a0 -> a2"]


def test_repr_html_says_what_is_hidden(dfg):
    assert "hidden" not in dfg._repr_html_()
    assert "(2 activities, 1 paths hidden)" in dfg.abstract(activity_share=0.6, path_share=0.0)._repr_html_()


def test_sample_log_renders_with_the_sliders(sample_dfg, tmp_path):
    small = sample_dfg.abstract(activity_share=0.5, path_share=0.2)
    kept = math.ceil(0.5 * len(sample_dfg.activities))
    assert len(small.activities) == kept == 9  # 18 activities in the sample
    assert small.hidden_activities == len(sample_dfg.activities) - kept
    svg = render_process_map(sample_dfg, activity_share=0.5, path_share=0.2, statistic="p90")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    nodes = [g for g in root.iter(f"{ns}g") if g.get("class") == "node"]
    assert len(nodes) == kept + 2  # the activities kept, start and end
    edges = [g for g in root.iter(f"{ns}g") if g.get("class") == "edge"]
    starts_ends = int((small.activities["starts"] > 0).sum() + (small.activities["ends"] > 0).sum())
    assert len(edges) == len(small.edges) + starts_ends
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    hidden = f"{small.hidden_activities} rarer activities"
    hidden += f", {small.hidden_paths} rarer paths hidden" if small.hidden_paths else " hidden"
    assert hidden in texts
    path = export_process_map(sample_dfg, tmp_path / "map.svg", activity_share=0.5, path_share=0.2)
    assert ET.parse(path).getroot().tag == f"{ns}svg"


def test_render_svg_turns_graphviz_failures_into_clear_errors(monkeypatch):
    import graphviz

    from mapper import FlowreadyError, render_svg
    from mapper.discovery import html_label, styled_digraph

    g = styled_digraph("g")
    g.node("a", label=html_label("<b>x</b>"))
    assert render_svg(g).lstrip().startswith("<?xml")

    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    with pytest.raises(FlowreadyError, match=r"'dot' program is not installed; install it"):
        render_svg(g)

    def failing(*args, **kwargs):
        raise graphviz.CalledProcessError(1, ["dot"], stderr=b"syntax error in line 1")

    monkeypatch.setattr(graphviz.Digraph, "pipe", failing)
    with pytest.raises(FlowreadyError, match="failed to lay out the graph: b'syntax error"):
        render_svg(g)


def test_render_svg_bounds_the_layout_of_large_graphs_without_changing_them(monkeypatch):
    import graphviz

    from mapper import render_svg
    from mapper.discovery import LARGE_GRAPH_LIMITS, LARGE_GRAPH_NODES

    seen = []
    real = graphviz.Digraph.pipe

    def spy(self, *args, **kwargs):
        seen.append(dict(self.graph_attr))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(graphviz.Digraph, "pipe", spy)
    small, large = graphviz.Digraph("s"), graphviz.Digraph("l")
    for i in range(3):
        small.node(f"n{i}")
    for i in range(LARGE_GRAPH_NODES + 1):
        large.node(f"n{i}", label=f"step {i}")
        if i:
            large.edge(f"n{i - 1}", f"n{i}")
    assert render_svg(small).lstrip().startswith("<?xml")
    assert render_svg(large).count('<g id="node') == LARGE_GRAPH_NODES + 1
    assert seen[0] == {} and seen[1] == LARGE_GRAPH_LIMITS
    assert large.graph_attr == {}  # the caller's graph is left as it was


def test_open_cases_end_on_grey_dotted_edges_labelled_still_open():
    # Three cases close at D; case 4 stopped at B and is still open (B is not an end activity).
    rows = [
        (c, a, pd.Timestamp(2024, 1, c) + pd.Timedelta(hours=h))
        for c, trace in {1: "ABD", 2: "ABD", 3: "AD", 4: "AB"}.items()
        for h, a in enumerate(trace)
    ]
    dfg = discover_dfg(load_event_log(pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"])))
    ids = {a: f"a{i}" for i, a in enumerate(dfg.activities["activity"])}

    def end_edge(source: str) -> str:
        return next(line for line in g.source.splitlines() if f"{ids[source]} -> end" in line)

    g = plot_process_map(dfg, overlay="frequency", end_activities=["D"])
    assert "1 still open" in end_edge("B") and "style=dotted" in end_edge("B")
    assert (
        "still open" not in end_edge("D") and "style=solid" in end_edge("D") and "label=<3>" in end_edge("D")
    )
    assert "cases still open" in g.source  # the title explains the grey edges
    # Without the end activities the map cannot tell: every ending dashed, none called open.
    g = plot_process_map(dfg, overlay="frequency")
    assert "still open" not in g.source and "style=dashed" in end_edge("B")
