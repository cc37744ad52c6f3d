"""Model quality (issue 12): fitness, ETConformance precision and looseness, on logs with known answers."""

from __future__ import annotations

import random

import pandas as pd
import pm4py
import pytest

from mapper import load_event_log
from mapper._pm4py import petri_net, replay_precision, to_pm4py_frame
from mapper.discovery import (
    MIN_PRECISION,
    assess_model,
    discover_bpmn,
    discover_dfg,
    discover_variants,
    main_activities,
    model_fitness,
    model_precision,
    process_model_from_tree,
)
from mapper.errors import FlowreadyError
from tests.conftest import shared_log


def log_of(traces: list[tuple[str, ...]]):
    """An EventLog with one case per trace, one event a minute."""
    t0 = pd.Timestamp("2024-01-01")
    rows = [
        (f"c{i}", a, t0 + pd.Timedelta(days=i, minutes=j))
        for i, trace in enumerate(traces)
        for j, a in enumerate(trace)
    ]
    return load_event_log(pd.DataFrame(rows, columns=["case_id", "activity", "timestamp"]))


def assess(log, model=None):
    v = discover_variants(log)
    return assess_model(model or discover_bpmn(log, variants=v), v, discover_dfg(log))


@pytest.fixture(scope="module")
def sequential():
    return log_of([("A", "B", "C", "D")] * 30)


@pytest.fixture(scope="module")
def random_orders():
    rng = random.Random(7)
    acts = "ABCDEF"
    return log_of([tuple(rng.choice(acts) for _ in range(rng.randint(3, 9))) for _ in range(300)])


def test_sequential_log_is_precise_and_trusted(sequential):
    q = assess(sequential)
    assert q["log_fitness"] == pytest.approx(1.0) and q["precision"] == pytest.approx(1.0)
    assert q["trusted"] and q["reasons"] == []
    assert q["flowers"] == [] and q["parallel_blocks"] == [] and q["skippable_activities"] == []
    # the model allows exactly the log's 3 directly-follows pairs
    assert q["model_paths"] == 3 and q["model_paths_seen_share"] == 1.0


def test_flower_precision_worked_by_hand(sequential):
    # 30 cases of A B C D, flower over 4 activities: the empty prefix enables 4 (1 seen) and each of the
    # 3 prefixes enables 4 (1 seen): escaping 30*3 + 3*30*3 = 360 of 30*4 + 3*30*4 = 480 -> 0.25.
    q = assess(sequential)
    assert q["flower_precision"] == pytest.approx(0.25)


def test_random_orders_give_a_flower_that_is_not_trusted(random_orders):
    q = assess(random_orders)
    assert q["flowers"] and q["flowers"][0]["activities"] == list("ABCDEF")
    assert not q["trusted"]
    assert any("flower over 6 activities" in r for r in q["reasons"])
    # a log of random orders shows most next steps, so even a flower is fairly precise on it: exactly as
    # precise as the flower floor
    assert q["precision"] == pytest.approx(q["flower_precision"])


def test_hand_flower_model_on_a_sequential_log(sequential):
    flower = process_model_from_tree("*( tau, X( 'A', 'B', 'C', 'D' ) )")
    q = assess(sequential, flower)
    assert q["log_fitness"] == pytest.approx(1.0)
    # ETConformance of a flower is the flower floor worked out above
    assert q["precision"] == pytest.approx(0.25) == pytest.approx(q["flower_precision"])
    assert not q["trusted"] and q["precision"] < MIN_PRECISION
    assert q["flowers"][0]["activities"] == list("ABCD") and q["flowers"][0]["events_share"] == 1.0
    # 16 pairs allowed (every activity after every one), 3 seen
    assert q["model_paths"] == 16 and q["model_paths_seen_share"] == pytest.approx(3 / 16)


def test_near_flower_without_a_flower_block():
    # any of two steps any number of times: too small for a flower block (a rework loop looks the same),
    # but no more precise than a flower, which the verdict says
    rng = random.Random(1)
    log = log_of([tuple(rng.choice("AB") for _ in range(rng.randint(2, 8))) for _ in range(200)])
    q = assess(log, process_model_from_tree("*( tau, X( 'A', 'B' ) )"))
    assert q["flowers"] == [] and q["precision"] == pytest.approx(q["flower_precision"])
    assert any("behaves like a flower" in r for r in q["reasons"]) and not q["trusted"]


def test_parallel_flower_is_a_flower():
    # two small any-order loops in parallel allow every order of the four: the footprint sees the flower
    q = assess(
        log_of([("A", "B", "C", "D")] * 5),
        process_model_from_tree("+( *( tau, X( 'A', 'B' ) ), *( tau, X( 'C', 'D' ) ) )"),
    )
    assert q["flowers"][0]["activities"] == list("ABCD") and q["parallel_blocks"] == []


def test_parallel_model_of_an_ordered_log_is_flagged():
    # B always before C in the log, the model puts them in parallel
    log = log_of([("A", "B", "C", "D")] * 20)
    model = process_model_from_tree("->( 'A', +( 'B', 'C' ), 'D' )")
    q = assess(log, model)
    (block,) = q["parallel_blocks"]
    assert block["branches"] == [["B"], ["C"]] and not block["shown"]
    assert block["pairs"] == [
        {"first": ["B"], "second": ["C"], "forward": 20, "backward": 0, "shown": False, "events_share": 0.5}
    ]
    assert not q["trusted"]
    assert any("in parallel with 'C', but the log does not show it" in r for r in q["reasons"])


def test_parallel_model_of_a_log_showing_both_orders_is_not_flagged():
    log = log_of([("A", "B", "C", "D")] * 12 + [("A", "C", "B", "D")] * 8)
    q = assess(log)
    (block,) = q["parallel_blocks"]  # the miner finds the parallel block itself
    assert block["shown"] and block["pairs"][0]["forward"] + block["pairs"][0]["backward"] == 20
    assert q["trusted"], q["reasons"]


def test_a_rare_second_order_is_noise():
    # the other order in 1 of 40 cases: under RARE_SHARE (5 %) of the two directions, not concurrency
    log = log_of([("A", "B", "C", "D")] * 39 + [("A", "C", "B", "D")])
    q = assess(log, process_model_from_tree("->( 'A', +( 'B', 'C' ), 'D' )"))
    assert not q["parallel_blocks"][0]["shown"] and not q["trusted"]


def test_unused_skip_and_dropped_activity():
    log = log_of([("A", "B", "C")] * 10)
    q = assess(log, process_model_from_tree("->( 'A', X( 'B', tau ) )"))
    assert q["skippable_activities"] == ["B"] and q["skippable_share"] == 0.5
    assert q["unused_skips"] == [{"activity": "B", "cases_share": 1.0}]
    assert q["dropped_activities"] == ["C"] and q["dropped_cases_share"] == 1.0
    assert any("skip 'B'" in r for r in q["reasons"]) and any(
        "left out 1 activities" in r for r in q["reasons"]
    )


def test_a_rare_skip_is_listed_not_decisive():
    log = log_of([("A", "B", "C")] * 39 + [("A", "C")])
    q = assess(log, process_model_from_tree("->( 'A', X( 'B', tau ), 'C' )"))
    assert q["unused_skips"] == [] and q["rare_skips"] == [{"activity": "B", "cases_share": 39 / 40}]
    assert q["trusted"], q["reasons"]


def test_a_rare_unsupported_parallel_pair_is_listed_not_decisive():
    # B and C (2 % of the events together) always in one order under a parallel block
    log = log_of([("A", "D")] * 98 + [("A", "B", "C", "D")] * 2)
    q = assess(log, process_model_from_tree("->( 'A', X( tau, +( 'B', 'C' ) ), 'D' )"))
    (block,) = q["parallel_blocks"]
    assert not block["shown"] and block["pairs"][0]["events_share"] == pytest.approx(4 / 204)
    assert not any("parallel" in r for r in q["reasons"])


def test_a_skip_the_log_takes_is_fine():
    log = log_of([("A", "B", "C")] * 10 + [("A", "C")] * 5)
    q = assess(log)
    assert q["skippable_activities"] == ["B"] and q["unused_skips"] == [] and q["trusted"]


def test_loop_footprint():
    # *(A, B): A (B A)*: pairs A->B and B->A only
    q = assess(log_of([("A", "B", "A")] * 5 + [("A",)] * 5), process_model_from_tree("*( 'A', 'B' )"))
    assert q["model_paths"] == 2 and q["flowers"] == [] and q["skippable_activities"] == ["B"]


def test_precision_matches_pm4py_per_case():
    rng = random.Random(3)
    traces = [("A", "B", "C", "D")] * 20 + [
        tuple(rng.choice("ABCDE") for _ in range(rng.randint(2, 6))) for _ in range(40)
    ]
    log = log_of(traces)
    v = discover_variants(log)
    for model in (
        discover_bpmn(log, variants=v),
        process_model_from_tree("->( 'A', X( 'B', 'C' ), *( 'D', tau ) )"),
    ):
        frame = to_pm4py_frame(log.events)
        want = pm4py.precision_token_based_replay(frame, *pm4py.convert_to_petri_net(model.tree))
        assert model_precision(model, v)["precision"] == pytest.approx(want)


def test_sampled_precision_reads_the_steps_of_the_whole_log(random_orders):
    v = discover_variants(random_orders)
    model = discover_bpmn(random_orders, variants=v)
    full = model_precision(model, v)
    est = model_precision(model, v, budget=1)
    assert est["precision_sampled"] and not full["precision_sampled"]
    assert est["precision_cases"] == 50  # the minimum sample
    assert est["precision"] == pytest.approx(full["precision"], abs=0.1)
    # sampling the reflected steps too would count what only the sample lacks as escaping
    counts = {tuple(t): int(n) for t, n in zip(v["trace"], v["cases"], strict=True)}
    alone = replay_precision(petri_net(model.tree), dict(list(counts.items())[:10]))
    assert (
        alone["precision"]
        <= replay_precision(petri_net(model.tree), dict(list(counts.items())[:10]), log_variants=counts)[
            "precision"
        ]
    )


def test_too_large_a_net_is_skipped_and_untrusted(sequential):
    v = discover_variants(sequential)
    model = discover_bpmn(sequential, variants=v)
    p = model_precision(model, v, max_transitions=2)
    assert p["precision"] is None and "transitions" in p["precision_skipped"]


def test_fitness_keys_are_kept(sequential):
    v = discover_variants(sequential)
    model = discover_bpmn(sequential, variants=v)
    q = assess_model(model, v, discover_dfg(sequential))
    assert set(model_fitness(model, v)) <= set(q)


def test_inputs_unchanged(sequential):
    v = discover_variants(sequential)
    dfg = discover_dfg(sequential)
    before = (v.copy(), dfg.edges.copy(), dfg.activities.copy())
    assess_model(discover_bpmn(sequential, variants=v), v, dfg)
    pd.testing.assert_frame_equal(v, before[0])
    pd.testing.assert_frame_equal(dfg.edges, before[1])
    pd.testing.assert_frame_equal(dfg.activities, before[2])


def test_bad_tree_text():
    with pytest.raises(FlowreadyError, match="not a process tree"):
        process_model_from_tree("->( 'A', ")


def test_sample_model_is_trusted(sample_log, truth):
    q = assess(sample_log)
    assert q["trusted"] and q["precision"] > 0.9 and q["log_fitness"] > 0.95


@pytest.fixture(scope="module")
def real_quality():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = assess(load_event_log(shared_log(name)))
        return cache[name]

    return get


@pytest.mark.slow
def test_sepsis_model_is_a_sketch(real_quality):
    q = real_quality("Sepsis Cases - Event Log.xes.gz")
    assert not q["trusted"] and 0 < q["precision"] < 0.5 and not q["precision_sampled"]
    # the log runs ER Triage before ER Sepsis Triage (906 against 11): not the concurrency the model claims
    bad = [p for b in q["parallel_blocks"] for p in b["pairs"] if not p["shown"]]
    assert any(p["first"] == ["ER Triage"] and p["forward"] > 50 * p["backward"] for p in bad)
    assert {"ER Registration", "ER Triage"} <= {u["activity"] for u in q["unused_skips"]}
    assert q["dropped_cases_share"] >= 0.05


@pytest.mark.slow
def test_helpdesk_model_is_trusted(real_quality):
    q = real_quality("helpdesk.xes.gz")
    assert q["trusted"] and q["precision"] > 0.5 and q["log_fitness"] > 0.9
    assert q["trusted"] == (not q["reasons"])


def test_a_log_with_more_activities_than_a_model_holds_is_mined_on_its_main_ones():
    """Three activities carry the flow; six rare ones each occur in one case. With room for three, the
    model holds exactly the main three in their order, says what it left out, and is judged on the
    variants projected on them (every case then fits)."""
    rows = []
    for i in range(12):
        rare = [f"rare {i}"] if i < 6 else []
        for j, act in enumerate(["register", *rare, "assess", "decide"]):
            rows.append({"case": f"c{i}", "activity": act, "time": f"2024-01-{i + 1:02d} {j + 8:02d}:00"})
    log = load_event_log(pd.DataFrame(rows), case_id="case", activity="activity", timestamp="time")
    v = discover_variants(log)
    assert main_activities(v, 3) == ["assess", "decide", "register"]
    model = discover_bpmn(log, variants=v, max_activities=3, noise_threshold=0.0)
    tasks = sorted(model.nodes.loc[model.nodes["type"] == "task", "name"])
    assert tasks == ["assess", "decide", "register"]
    assert model.activities_left_out == tuple(f"rare {i}" for i in range(6))
    assert model.variants_used == 1  # every case projects to register, assess, decide
    assert model.events_share_modelled == pytest.approx(36 / 42)
    assert "6 rarer activities are left out" in model.note and "(3)" in model.note
    q = assess_model(model, v, discover_dfg(log))
    assert q["activities_left_out"] == [f"rare {i}" for i in range(6)]
    assert q["dropped_activities"] == []  # left out by design, not dropped by the miner
    assert q["log_fitness"] == pytest.approx(1.0)
    # with room for all nine, nothing is left out
    assert discover_bpmn(log, variants=v, max_activities=9).activities_left_out == ()
    with pytest.raises(FlowreadyError, match="max_activities"):
        discover_bpmn(log, variants=v, max_activities=1)
