"""Discovery on a hand-made log with known answers: DFG, variants, BPMN, the process map, and pm4py parity."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pm4py
import pytest

from mapper import load_event_log
from mapper._pm4py import to_pm4py_frame
from mapper.discovery import (
    discover_bpmn,
    discover_dfg,
    discover_variants,
    export_process_map,
    plot_process_map,
)
from mapper.errors import FlowreadyError

# Case 1: A 0h, B 1h, C 3h        A->B 1h, B->C 2h
# Case 2: A 0h, B 2h, C 3h        A->B 2h, B->C 1h
# Case 3: A 0h, C 4h              A->C 4h
# Case 4: A 0h, B 3h, B 4h        A->B 3h, B->B 1h
# Case 5: A 0h, B 0.5h, C 1.5h    A->B 0.5h, B->C 1h
ROWS = [
    ("1", "A", "2024-01-01 00:00"),
    ("1", "B", "2024-01-01 01:00"),
    ("1", "C", "2024-01-01 03:00"),
    ("2", "A", "2024-01-02 00:00"),
    ("2", "B", "2024-01-02 02:00"),
    ("2", "C", "2024-01-02 03:00"),
    ("3", "A", "2024-01-03 00:00"),
    ("3", "C", "2024-01-03 04:00"),
    ("4", "A", "2024-01-04 00:00"),
    ("4", "B", "2024-01-04 03:00"),
    ("4", "B", "2024-01-04 04:00"),
    ("5", "A", "2024-01-05 00:00"),
    ("5", "B", "2024-01-05 00:30"),
    ("5", "C", "2024-01-05 01:30"),
]


@pytest.fixture(scope="module")
def log():
    df = pd.DataFrame(ROWS, columns=["case_id", "activity", "timestamp"])
    return load_event_log(
        df.sample(frac=1, random_state=3).reset_index(drop=True)
    )  # file order must not matter


def _edges(dfg) -> dict:
    return {(r.source, r.target): r for r in dfg.edges.itertuples()}


def test_dfg_edges_frequencies_and_order(log):
    dfg = discover_dfg(log)
    assert list(zip(dfg.edges["source"], dfg.edges["target"], dfg.edges["frequency"], strict=True)) == [
        ("A", "B", 4),
        ("B", "C", 3),
        ("A", "C", 1),
        ("B", "B", 1),
    ]
    assert dfg.edges["cases"].tolist() == [4, 3, 1, 1]
    assert dfg.cases == 5
    assert str(dfg.edges["frequency"].dtype) == "int64"


def test_dfg_median_and_p90_hours(log):
    e = _edges(discover_dfg(log))
    # A->B: 0.5, 1, 2, 3 h -> median 1.5; p90 (linear) = 2 + 0.7 * (3 - 2) = 2.7
    assert e["A", "B"].hours_median == pytest.approx(1.5)
    assert e["A", "B"].hours_p90 == pytest.approx(2.7)
    assert e["A", "B"].hours_mean == pytest.approx(1.625)
    assert e["A", "B"].hours_total == pytest.approx(6.5)
    # B->C: 2, 1, 1 h -> median 1; p90 = 1 + 0.8 * (2 - 1) = 1.8
    assert e["B", "C"].hours_median == pytest.approx(1.0)
    assert e["B", "C"].hours_p90 == pytest.approx(1.8)
    assert e["A", "C"].hours_median == pytest.approx(4.0)
    assert e["A", "C"].hours_p90 == pytest.approx(4.0)
    assert e["B", "B"].hours_median == pytest.approx(1.0)
    # without start times the waiting time equals the span between completions
    assert e["A", "B"].wait_hours_median == pytest.approx(1.5)
    assert e["B", "C"].wait_hours_p90 == pytest.approx(1.8)


def test_start_and_end_counts(log):
    acts = discover_dfg(log).activities.set_index("activity")
    assert acts.loc["A"].tolist() == [5, 5, 5, 0]  # events, cases, starts, ends
    assert acts.loc["B"].tolist() == [5, 4, 0, 1]
    assert acts.loc["C"].tolist() == [4, 4, 0, 4]
    assert set(acts.index) == {"A", "B", "C"}
    assert acts["starts"].sum() == 5 and acts["ends"].sum() == 5


def test_variants_table(log):
    v = discover_variants(log)
    assert list(v.columns) == [
        "variant",
        "trace",
        "cases",
        "share",
        "cumulative_share",
        "events",
        "cycle_hours_median",
        "cycle_hours_p90",
    ]
    assert v["variant"].tolist() == [1, 2, 3]
    assert v["trace"].tolist() == [("A", "B", "C"), ("A", "C"), ("A", "B", "B")]
    assert v["cases"].tolist() == [3, 1, 1]
    assert v["share"].tolist() == pytest.approx([0.6, 0.2, 0.2])
    assert v["cumulative_share"].tolist() == pytest.approx([0.6, 0.8, 1.0])
    assert v["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert v["events"].tolist() == [3, 2, 3]
    # (A, B, C) cycle times: 3, 3, 1.5 h -> median 3, p90 = 3
    assert v["cycle_hours_median"].tolist() == pytest.approx([3.0, 4.0, 4.0])
    assert v["cycle_hours_p90"].tolist() == pytest.approx([3.0, 4.0, 4.0])
    assert log.summary()["variants"] == 3


def test_cycle_time_uses_the_first_start_timestamp():
    df = pd.DataFrame(
        {
            "case_id": ["1", "1"],
            "activity": ["A", "B"],
            "start_time": ["2024-01-01 08:00", "2024-01-01 10:00"],
            "end_time": ["2024-01-01 09:00", "2024-01-01 12:00"],
        }
    )
    log = load_event_log(df)
    v = discover_variants(log)
    assert v["cycle_hours_median"].tolist() == pytest.approx([4.0])
    e = _edges(discover_dfg(log))
    assert e["A", "B"].hours_median == pytest.approx(3.0)  # completion to completion
    assert e["A", "B"].wait_hours_median == pytest.approx(1.0)  # completion to start


def test_bpmn_has_a_task_for_every_activity(log):
    model = discover_bpmn(log, noise_threshold=0.0)
    tasks = model.nodes[model.nodes["type"] == "task"]
    assert sorted(tasks["name"]) == ["A", "B", "C"]
    assert set(model.nodes["type"]) <= {
        "startEvent",
        "endEvent",
        "exclusiveGateway",
        "parallelGateway",
        "task",
    }
    assert model.nodes["id"].is_unique
    # every flow joins two known nodes; one start, one end
    assert set(model.flows["source"]) | set(model.flows["target"]) <= set(model.nodes["id"])
    assert (model.nodes["type"] == "startEvent").sum() == 1 and (model.nodes["type"] == "endEvent").sum() == 1
    splits = model.nodes[model.nodes["type"].str.endswith("Gateway")]
    assert set(splits["direction"]) <= {"diverging", "converging", "mixed"}
    assert model.variants_used == 3
    assert model.noise_threshold == 0.0


def test_variants_tell_apart_traces_with_the_same_activities_in_another_order():
    """The variants are keyed by hashes of (activity, position): order and repetition must count.

    Six traces over the same activities, each once, with worked cycle times (hours): A,B,A (1 h and
    3 h: median 2), A,A,B (5 h), B,A,A (7 h), A,B (2 h), B,A (4 h), and A,B,A again.
    """
    traces = {
        "c1": ("ABA", 1),
        "c2": ("AAB", 5),
        "c3": ("BAA", 7),
        "c4": ("AB", 2),
        "c5": ("BA", 4),
        "c6": ("ABA", 3),
    }
    rows = []
    for case, (acts, total) in traces.items():
        step = total / (len(acts) - 1)
        for i, act in enumerate(acts):
            rows.append(
                {
                    "case_id": case,
                    "activity": act,
                    "timestamp": pd.Timestamp("2024-01-01") + pd.Timedelta(hours=i * step),
                }
            )
    v = discover_variants(load_event_log(pd.DataFrame(rows))).set_index("trace")
    assert sorted(v.index) == sorted(
        [("A", "B", "A"), ("A", "A", "B"), ("B", "A", "A"), ("A", "B"), ("B", "A")]
    )
    assert v.loc[[("A", "B", "A")], "cases"].item() == 2
    assert v.loc[[("A", "B", "A")], "cycle_hours_median"].item() == pytest.approx(2.0)
    assert v.loc[[("B", "A", "A")], "cycle_hours_p90"].item() == pytest.approx(7.0)
    assert v["events"].sum() == 3 + 3 + 3 + 2 + 2


def test_bpmn_reuses_a_given_variants_table(log):
    v = discover_variants(log)
    model = discover_bpmn(log, variants=v.head(1))
    tasks = set(model.nodes.loc[model.nodes["type"] == "task", "name"])
    assert tasks == {"A", "B", "C"}
    assert model.variants_used == 1


@pytest.mark.parametrize("threshold", [-0.1, 1.0, 1.5])
def test_noise_threshold_outside_unit_interval_is_refused(log, threshold):
    with pytest.raises(FlowreadyError, match=r"`noise_threshold` must be in \[0, 1\)"):
        discover_bpmn(log, noise_threshold=threshold)


NASTY = '<script>alert(1)</script> & "x"'


@pytest.fixture(scope="module")
def nasty_log():
    df = pd.DataFrame(
        {
            "case_id": ["1", "1", "2", "2"],
            "activity": ["Start", NASTY, "Start", NASTY],
            "timestamp": ["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 10:00", "2024-01-02 12:00"],
        }
    )
    return load_event_log(df)


def test_process_map_escapes_activity_names(nasty_log, tmp_path):
    dfg = discover_dfg(nasty_log)
    g = plot_process_map(dfg)
    assert "<script>" not in g.source
    path = export_process_map(dfg, tmp_path / "map.svg")
    assert path == tmp_path / "map.svg"
    svg = path.read_text(encoding="utf-8")
    assert "<script" not in svg.lower()
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    # the name is shown as text, exactly once, neither raw markup nor double-escaped
    assert texts.count(NASTY) == 1
    assert not any("&amp;" in (t or "") or "&lt;" in (t or "") for t in texts)
    assert "2" in texts  # the edge Start -> NASTY, taken twice
    titles = [el.get("{http://www.w3.org/1999/xlink}title") for el in root.iter()]
    assert NASTY in titles  # the node's tooltip, escaped once


@pytest.mark.parametrize(
    "overlay, expected", [("frequency", ["2"]), ("time", ["1.5 h"]), ("both", ["2", "1.5 h"])]
)
def test_process_map_overlays(nasty_log, overlay, expected):
    g = plot_process_map(discover_dfg(nasty_log), overlay=overlay)
    edge_lines = [line for line in g.source.splitlines() if "a0 -> a1" in line or "a1 -> a0" in line]
    assert len(edge_lines) == 1
    assert "<" + "<BR/>".join(expected) + ">" in edge_lines[0]


def test_process_map_hides_rare_activities(log):
    g = plot_process_map(discover_dfg(log), max_activities=2)
    assert "1 rarer activities hidden" in g.source
    assert "a2" not in g.source


def test_dfg_matches_pm4py(log):
    frame = to_pm4py_frame(log.events)
    assert list(frame.columns[:3]) == ["case:concept:name", "concept:name", "time:timestamp"]
    dfg, starts, ends = pm4py.discover_dfg(frame)
    ours = discover_dfg(log)
    assert {
        (s, t): int(f)
        for s, t, f in zip(ours.edges.source, ours.edges.target, ours.edges.frequency, strict=True)
    } == dict(dfg)
    acts = ours.activities
    assert {a: int(n) for a, n in zip(acts.activity, acts.starts, strict=True) if n} == dict(starts)
    assert {a: int(n) for a, n in zip(acts.activity, acts.ends, strict=True) if n} == dict(ends)
    pv = pm4py.get_variants(frame)
    assert {tuple(k): int(n) for k, n in pv.items()} == dict(
        zip(discover_variants(log)["trace"], discover_variants(log)["cases"], strict=True)
    )


def test_dfg_with_ties_matches_pm4py_on_the_raw_file_order():
    # equal timestamps: both orderings must break ties by file position, like pm4py
    df = pd.DataFrame(
        {
            "case:concept:name": ["1", "1", "1", "2", "2", "2"],
            "concept:name": ["A", "C", "B", "A", "B", "C"],
            "time:timestamp": pd.to_datetime(
                [
                    "2024-01-01 10:00",
                    "2024-01-01 11:00",
                    "2024-01-01 11:00",
                    "2024-01-02 10:00",
                    "2024-01-02 11:00",
                    "2024-01-02 11:00",
                ],
                utc=True,
            ),
        }
    )
    log = load_event_log(df)
    dfg, _, _ = pm4py.discover_dfg(df)
    ours = discover_dfg(log).edges
    assert {(s, t): int(f) for s, t, f in zip(ours.source, ours.target, ours.frequency, strict=True)} == dict(
        dfg
    )
    assert dict(dfg) == {("A", "C"): 1, ("C", "B"): 1, ("A", "B"): 1, ("B", "C"): 1}


def test_process_map_keeps_the_busiest_paths_and_every_activity_connected():
    import pandas as pd

    from mapper import discover_dfg, load_event_log, plot_process_map

    acts = list("ABCDEFGH")
    rows = []
    for a in acts:  # a dense DFG: every ordered pair of activities appears in some case
        for b in acts:
            if a != b:
                case = f"{a}{b}"
                rows += [(case, a, "2024-01-01 08:00"), (case, b, "2024-01-01 09:00")]
    rows += [("main", "A", "2024-01-01 08:00"), ("main", "B", "2024-01-01 09:00")] * 1
    log = load_event_log(pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"]))
    dfg = discover_dfg(log)
    assert len(dfg.edges) == 56
    source = plot_process_map(dfg, max_paths=5).source
    drawn = [
        line for line in source.splitlines() if "->" in line and "start" not in line and "end" not in line
    ]
    # 5 busiest plus each activity's busiest in- and out-path: far fewer than 56, every node touched.
    assert 5 <= len(drawn) < 56
    for i in range(len(acts)):
        assert any(f"a{i} ->" in line for line in drawn) and any(f"-> a{i}" in line for line in drawn)
    assert "rarer paths hidden" in source


def test_the_bpmn_tables_are_the_same_on_every_run(sample_log):
    # pm4py keeps BPMN nodes in a set with random ids; the tables are ordered canonically, so the same
    # log gives the same ids (and the same blueprint file) every time.
    v = discover_variants(sample_log)
    first, second = discover_bpmn(sample_log, variants=v), discover_bpmn(sample_log, variants=v)
    pd.testing.assert_frame_equal(first.nodes, second.nodes)
    pd.testing.assert_frame_equal(first.flows, second.flows)
    assert first.nodes["id"].iloc[0] == "m1" and first.nodes["type"].iloc[0] == "startEvent"
