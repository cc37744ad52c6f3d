"""Views of the handover-of-work network: matrix, graph, heatmap and example cases, on hand-made logs."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analysis import (
    find_handoff_cases,
    find_handoffs,
    handoff_matrix,
    plot_handoff_matrix,
    plot_handoff_network,
)
from mapper.errors import AnalysisError
from tests.analysis.test_bottlenecks import ROWS
from tests.conftest import make_log

# Resource handovers in ROWS (test_bottlenecks), worked out by hand:
#   c1: A r1 -> B r2 (1h, a ping-pong: B goes back to r1 for A again), B r2 -> A r1 (2h), A r1 -> B r2 (0h),
#       B r2 -> C r3 (0.5h);  c2: A r1 -> C r3 (1h);  c3: one event.
# r1 sends 3 and receives 1, r2 sends 2 and receives 2, r3 receives 2: the order is r1, r2 (tie, by
# name), r3.

# Names that would be markup if pasted into a label, on a log whose pairs are known:
#   p1..p3: A by R&D, B by <b>x</b> (2h later), A again by R&D: R&D -> <b>x</b> is a ping-pong in 3
#   cases (failing), <b>x</b> -> R&D is not.  f1..f5: A by "quoted", B by u1, C by u2 (no failures).
# Totals: u1 10, <b>x</b> 6, R&D 6, "quoted" 5, u2 5.
BOLD, RND, QUOTED = "<b>x</b>", "R&D", '"quoted"'
ROWS_NO_ROLE = ("case_id", "activity", "start", "end", "resource")


def _net_rows() -> list[tuple]:
    rows = []
    for i in range(1, 4):
        d = f"2024-02-0{i}"
        rows += [
            (f"p{i}", "A", f"{d} 08:00", f"{d} 09:00", RND, "Lab"),
            (f"p{i}", "B", f"{d} 11:00", f"{d} 12:00", BOLD, "Lab"),
            (f"p{i}", "A", f"{d} 12:00", f"{d} 13:00", RND, "Lab"),
        ]
    for i in range(1, 6):
        d = f"2024-03-0{i}"
        rows += [
            (f"f{i}", "A", f"{d} 08:00", f"{d} 09:00", QUOTED, "Front"),
            (f"f{i}", "B", f"{d} 09:00", f"{d} 10:00", "u1", "Front"),
            (f"f{i}", "C", f"{d} 10:30", f"{d} 11:00", "u2", "Back"),
        ]
    return rows


# Example cases for the pair r1 -> r2, in the order find_handoff_cases must give them:
#   c1 (ROWS): 2 handovers, one a ping-pong, delays 1h and 0h, first at 2024-01-01 09:00;
#   c7: 3 handovers, no ping-pong (new work each time), delays 0.5h, 0.25h, 0h;
#   c4: 1 handover, 3h;  c5, c6: 1 handover, 1h each (tie broken by case id).
CASE_ROWS = ROWS + [
    ("c4", "A", "2024-01-02 08:00", "2024-01-02 09:00", "r1", "T1"),
    ("c4", "B", "2024-01-02 12:00", "2024-01-02 13:00", "r2", "T2"),
    ("c6", "A", "2024-01-03 08:00", "2024-01-03 10:00", "r1", "T1"),
    ("c6", "B", "2024-01-03 11:00", "2024-01-03 12:00", "r2", "T2"),
    ("c5", "A", "2024-01-04 08:00", "2024-01-04 10:00", "r1", "T1"),
    ("c5", "B", "2024-01-04 11:00", "2024-01-04 12:00", "r2", "T2"),
    ("c7", "A", "2024-01-05 08:00", "2024-01-05 09:00", "r1", "T1"),
    ("c7", "B", "2024-01-05 09:30", "2024-01-05 10:00", "r2", "T2"),
    ("c7", "C", "2024-01-05 10:00", "2024-01-05 11:00", "r1", "T1"),
    ("c7", "D", "2024-01-05 11:15", "2024-01-05 12:00", "r2", "T2"),
    ("c7", "E", "2024-01-05 12:00", "2024-01-05 13:00", "r1", "T1"),
    ("c7", "F", "2024-01-05 13:00", "2024-01-05 14:00", "r2", "T2"),
]


@pytest.fixture(scope="module")
def log():
    return make_log(ROWS)


@pytest.fixture(scope="module")
def handoffs(log):
    """Both levels concatenated, as analysis.findings.analyze does."""
    return pd.concat(
        [find_handoffs(log, level="resource"), find_handoffs(log, level="role")], ignore_index=True
    )


@pytest.fixture(scope="module")
def net_log():
    return make_log(_net_rows())


@pytest.fixture(scope="module")
def net(net_log):
    return find_handoffs(net_log, level="resource")


@pytest.fixture(scope="module")
def case_log():
    return make_log(CASE_ROWS)


# --- handoff_matrix ----------------------------------------------------------------------------------


def test_matrix_counts(handoffs):
    m = handoff_matrix(handoffs, level="resource")
    assert m.index.tolist() == m.columns.tolist() == ["r1", "r2", "r3"]
    assert (m.index.name, m.columns.name) == ("source", "target")
    assert (m.dtypes == "int64").all()
    assert m.to_numpy().tolist() == [[0, 2, 1], [1, 0, 1], [0, 0, 0]]


def test_matrix_other_counts_and_level(handoffs):
    pp = handoff_matrix(handoffs, level="resource", value="ping_pong_cases")
    assert pp.loc["r1", "r2"] == 1 and pp.loc["r2", "r1"] == 1 and pp.loc["r2", "r3"] == 0
    cases = handoff_matrix(handoffs, level="resource", value="cases")
    assert cases.loc["r1", "r2"] == 1 and cases.loc["r1", "r3"] == 1
    roles = handoff_matrix(handoffs, level="role")
    assert roles.index.tolist() == ["T1", "T2"]  # 4 handovers each: by name
    assert roles.to_numpy().tolist() == [[0, 2], [2, 0]]


def test_matrix_delays_are_nan_where_no_work_passes(handoffs):
    d = handoff_matrix(handoffs, level="resource", value="delay_hours_median")
    assert (d.dtypes == "float64").all()
    assert d.loc["r1", "r2"] == pytest.approx(0.5)  # 1h and 0h
    assert d.loc["r2", "r1"] == pytest.approx(2.0)
    assert d.loc["r1", "r3"] == pytest.approx(1.0)
    assert d.loc["r2", "r3"] == pytest.approx(0.5)
    assert np.isnan(d.loc["r3", "r1"]) and np.isnan(d.loc["r1", "r1"])
    assert d.isna().sum().sum() == 9 - 4


def test_matrix_orders_performers_by_total_handovers_then_name(net):
    m = handoff_matrix(net, level="resource")
    assert m.index.tolist() == ["u1", BOLD, RND, QUOTED, "u2"]
    assert m.loc[RND, BOLD] == 3 and m.loc[BOLD, RND] == 3 and m.loc[QUOTED, "u1"] == 5
    assert m.loc["u2", "u1"] == 0


def test_matrix_errors(handoffs):
    with pytest.raises(AnalysisError, match=r"'system'.*levels present: 'resource', 'role'"):
        handoff_matrix(handoffs, level="system")
    with pytest.raises(
        AnalysisError, match=r"'count', 'cases', 'ping_pong_cases', 'delay_hours_median', not 'median'"
    ):
        handoff_matrix(handoffs, level="resource", value="median")  # type: ignore[arg-type]
    empty = find_handoffs(make_log([r[:5] for r in ROWS], columns=ROWS_NO_ROLE), level="role")
    with pytest.raises(AnalysisError, match="levels present: none"):
        handoff_matrix(empty, level="role")
    with pytest.raises(AnalysisError, match="'count'"):
        handoff_matrix(handoffs.drop(columns="count"), level="resource")


# --- plot_handoff_network ----------------------------------------------------------------------------


def _edges(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if "->" in line]


def test_network_keeps_top_pairs_and_every_failing_one(net):
    g = plot_handoff_network(net, level="resource", top=1)
    nodes = dict(re.findall(r"^\s*(p\d+) \[label=<<B>(.*?)</B>", g.source, flags=re.M))
    assert sorted(nodes.values()) == sorted(["u1", "&lt;b&gt;x&lt;/b&gt;", "R&amp;D", "&quot;quoted&quot;"])
    ids = {html_name: node for node, html_name in nodes.items()}
    edges = _edges(g.source)
    assert len(edges) == 2
    # The most frequent pair ("quoted" -> u1, ahead of u1 -> u2 by name) and the failing one.
    (plain,) = [e for e in edges if e.startswith(f"{ids['&quot;quoted&quot;']} -> {ids['u1']} ")]
    (red,) = [e for e in edges if e.startswith(f"{ids['R&amp;D']} -> {ids['&lt;b&gt;x&lt;/b&gt;']} ")]
    assert "label=<5<BR/>0 s>" in plain and "#d55e00" not in plain
    assert "label=<3<BR/>2.0 h<BR/>ping-pong>" in red and 'color="#d55e00"' in red
    assert "2 rarer pairs hidden" in g.source and "1 failing" in g.source
    # Labels count what each performer sends and receives over all pairs, hidden ones included.
    assert "sends 5 · receives 5" in g.source  # u1
    assert "u2" not in nodes.values()


def test_network_top_none_and_zero(net):
    everything = plot_handoff_network(net, level="resource", top=None)
    assert len(_edges(everything.source)) == 4 and "hidden" not in everything.source
    only_failing = plot_handoff_network(net, level="resource", top=0)
    assert len(_edges(only_failing.source)) == 1 and "3 rarer pairs hidden" in only_failing.source
    with pytest.raises(AnalysisError, match="-1"):
        plot_handoff_network(net, level="resource", top=-1)
    with pytest.raises(AnalysisError, match="levels present: 'resource'"):
        plot_handoff_network(net, level="role")


def test_network_escapes_every_name_and_uses_synthetic_ids(net):
    g = plot_handoff_network(net, level="resource", top=None)
    src = g.source
    for raw in (BOLD, RND, QUOTED):
        assert raw not in src
    assert "&lt;b&gt;x&lt;/b&gt;" in src and "R&amp;D" in src and "&quot;quoted&quot;" in src
    node_ids = re.findall(r"^\s*(\S+) \[label=", src, flags=re.M)
    assert node_ids == [f"p{i}" for i in range(5)]
    if shutil.which("dot"):  # the escaped source is valid DOT and the SVG carries no injected tag
        svg = g.pipe(format="svg").decode("utf-8")
        assert "<b>x</b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg


def test_network_on_the_sample_marks_ping_pong_red_and_names_slow_pairs(sample_log):
    h = find_handoffs(sample_log, level="role")
    g = plot_handoff_network(h, level="role", top=2)
    edges = _edges(g.source)
    red = [e for e in edges if "#d55e00" in e]
    assert len(red) == int(h["failing"].sum()) > 0
    assert all("ping-pong" in e for e in red)
    # A slow pair is a queue at the receiver (capacity), named on its edge but not failing (not red).
    slow = h[h["failure"].str.contains("slow")]
    assert len(slow) and (slow["failing"] == slow["failure"].str.contains("ping-pong")).all()
    every = _edges(plot_handoff_network(h, level="role", top=None).source)
    assert sum("slow" in e and "#d55e00" not in e for e in every) == len(slow)


# --- plot_handoff_matrix -----------------------------------------------------------------------------


def test_heatmap_counts(handoffs):
    fig = plot_handoff_matrix(handoffs, level="resource")
    assert isinstance(fig, go.Figure) and len(fig.data) == 1
    hm = fig.data[0]
    assert hm.type == "heatmap"
    assert list(hm.x) == list(hm.y) == ["r1", "r2", "r3"]
    assert np.asarray(hm.z).tolist() == [[0, 2, 1], [1, 0, 1], [0, 0, 0]]
    assert [list(r) for r in hm.text] == [["", "2", "1"], ["1", "", "1"], ["", "", ""]]
    assert fig.layout.xaxis.title.text == "to" and fig.layout.yaxis.title.text == "from"


def test_heatmap_delays_and_escaped_names(handoffs, net):
    hm = plot_handoff_matrix(handoffs, level="resource", value="delay_hours_median").data[0]
    assert list(hm.text[0]) == ["", "30 min", "1.0 h"] and hm.text[1][0] == "2.0 h"
    assert np.isnan(np.asarray(hm.z, dtype=float)[2, 0])
    names = list(plot_handoff_matrix(net, level="resource").data[0].x)
    # &#34; (not &quot;, which plotly would draw as is): see analysis.escape.plotly_text
    assert names == ["u1", "&lt;b&gt;x&lt;/b&gt;", "R&amp;D", "&#34;quoted&#34;", "u2"]


def test_views_leave_the_handoffs_table_as_it_was(handoffs, net):
    for table, level in ((handoffs, "role"), (net, "resource")):
        before = table.copy()
        handoff_matrix(table, level=level, value="delay_hours_median")
        plot_handoff_network(table, level=level, top=1)
        plot_handoff_matrix(table, level=level)
        pd.testing.assert_frame_equal(table, before)


# --- find_handoff_cases ------------------------------------------------------------------------------


def test_example_cases_ordering_and_values(case_log):
    c = find_handoff_cases(case_log, level="resource", source="r1", target="r2")
    assert c.columns.tolist() == ["case_id", "handovers", "ping_pong", "delay_hours_max", "first_handover"]
    assert c.dtypes.astype(str).tolist() == ["object", "int64", "bool", "float64", "datetime64[ns, UTC]"]
    assert c["case_id"].tolist() == ["c1", "c7", "c4", "c5", "c6"]
    assert c["handovers"].tolist() == [2, 3, 1, 1, 1]
    assert c["ping_pong"].tolist() == [True, False, False, False, False]
    assert c["delay_hours_max"].tolist() == pytest.approx([1.0, 0.5, 3.0, 1.0, 1.0])
    assert c["first_handover"].tolist() == [
        pd.Timestamp(t, tz="UTC")
        for t in (
            "2024-01-01 09:00",
            "2024-01-05 09:00",
            "2024-01-02 09:00",
            "2024-01-04 10:00",
            "2024-01-03 10:00",
        )
    ]
    assert find_handoff_cases(case_log, level="resource", source="r1", target="r2", top=2)[
        "case_id"
    ].tolist() == ["c1", "c7"]


def test_example_cases_agree_with_find_handoffs(case_log):
    h = find_handoffs(case_log, level="role").set_index(["source", "target"])
    for (source, target), row in h.iterrows():
        c = find_handoff_cases(case_log, level="role", source=source, target=target, top=100)
        assert len(c) == row["cases"] and c["handovers"].sum() == row["count"]
        assert c["ping_pong"].sum() == row["ping_pong_cases"]


def test_example_cases_empty_for_a_pair_that_never_hands_over(case_log):
    c = find_handoff_cases(case_log, level="resource", source="r3", target="r1")
    assert c.empty and c["first_handover"].dtype == "datetime64[ns, UTC]" and c["ping_pong"].dtype == bool


def test_example_cases_errors(case_log):
    with pytest.raises(AnalysisError, match=r"'nobody'.*'r1', 'r2', 'r3'"):
        find_handoff_cases(case_log, level="resource", source="nobody", target="r2")
    with pytest.raises(AnalysisError, match="'T9'"):
        find_handoff_cases(case_log, level="role", source="T1", target="T9")
    with pytest.raises(AnalysisError, match=r"'resource', 'role', 'system', not 'team'"):
        find_handoff_cases(case_log, level="team", source="r1", target="r2")  # type: ignore[arg-type]
    no_roles = make_log([r[:5] for r in ROWS], columns=ROWS_NO_ROLE)
    with pytest.raises(AnalysisError, match="has no 'role' column"):
        find_handoff_cases(no_roles, level="role", source="T1", target="T2")
    with pytest.raises(AnalysisError, match="source_system"):
        find_handoff_cases(case_log, level="system", source="a", target="b")


def test_example_cases_leave_the_log_as_it_was():
    log = make_log(CASE_ROWS)
    before = log.events.copy()
    find_handoff_cases(log, level="resource", source="r1", target="r2")
    find_handoff_cases(log, level="role", source="T1", target="T2")
    pd.testing.assert_frame_equal(log.events, before)


def test_sample_assessment_highways_examples(sample_log):
    h = find_handoffs(sample_log, level="role").set_index(["source", "target"])
    for source, target in (("Assessment", "Highways"), ("Highways", "Assessment")):
        c = find_handoff_cases(sample_log, level="role", source=source, target=target)
        assert len(c) == 10 and c["ping_pong"].iloc[0]
        every = find_handoff_cases(sample_log, level="role", source=source, target=target, top=10_000)
        assert every["ping_pong"].is_monotonic_decreasing  # ping-pong cases first
        assert len(every) == h.loc[(source, target), "cases"]
        assert every["ping_pong"].sum() == h.loc[(source, target), "ping_pong_cases"] > 0
