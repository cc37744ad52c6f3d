"""Decision mining and equity: rules recovered by hand, determinism bounds, the four-fifths flag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.decisions import (
    OTHER,
    classify_attributes,
    decision_outcomes,
    find_equity_gaps,
    mine_decisions,
)
from analysis.profile import load_profile
from mapper.errors import AnalysisError
from tests.conftest import make_log

COLS = ("case_id", "activity", "start", "end", "resource", "role", "documents_submitted", "channel")


def _t(day: int, hour: int, minute: int = 0) -> str:
    base = pd.Timestamp("2024-01-01") + pd.Timedelta(days=day, hours=hour, minutes=minute)
    return base.strftime("%Y-%m-%d %H:%M")


def screening_log(n: int = 200, *, docs=None, channel=None, seed: int = 1):
    """Receive -> Screen -> (Request info if documents_submitted < 4, else Assess) -> Close.

    ``documents_submitted`` and ``channel`` are case attributes on every row.
    """
    rng = np.random.default_rng(seed)
    docs = rng.integers(1, 9, size=n) if docs is None else docs
    channel = rng.choice(["online", "paper"], size=n) if channel is None else channel
    rows = []
    for i in range(n):
        d, c, day = int(docs[i]), str(channel[i]), i % 28
        nxt = "Request further information" if d < 4 else "Assess application"
        for j, (act, res) in enumerate(
            [
                ("Receive", "Portal"),
                ("Screen", "clerk"),
                (nxt, "clerk" if d < 4 else "officer"),
                ("Close", "SYSTEM"),
            ]
        ):
            rows.append((f"c{i}", act, _t(day, 8 + 2 * j), _t(day, 8 + 2 * j, 10), res, "Team", d, c))
    return make_log(rows, columns=COLS)


def test_threshold_rule_is_recovered_exactly():
    log = screening_log()
    d = mine_decisions(log, activities=["Screen"])
    p = d.points.set_index("activity").loc["Screen"]
    # Outcome is a function of documents_submitted alone: cross-validated accuracy 1, determinism 1.
    assert p["accuracy"] == pytest.approx(1.0)
    assert p["determinism"] == pytest.approx(1.0)
    rules = d.rules_for("Screen")
    assert len(rules) == 2  # one split, two leaves
    below = rules[rules["outcome"] == "Request further information"].iloc[0]
    n_below = int((log.events.query("activity == 'Screen'")["documents_submitted"] < 4).sum())
    assert below["conditions"] == [
        {"attribute": "documents_submitted", "operator": "<", "value": 4, "or_missing": False}
    ]
    assert below["text"] == f"documents_submitted < 4 → Request further information ({n_below} of {n_below})"
    assert below["precision"] == 1.0 and below["support"] == n_below
    above = rules[rules["outcome"] == "Assess application"].iloc[0]
    assert above["conditions"][0]["operator"] == ">=" and above["conditions"][0]["value"] == 4
    assert p["attributes_used"] == ["documents_submitted"]


def test_random_judgment_has_determinism_near_zero():
    rng = np.random.default_rng(7)
    rows = []
    n = 400
    docs = rng.integers(1, 9, size=n)
    channel = rng.choice(["online", "paper"], size=n)
    outcome = rng.choice(["Approve", "Refuse"], size=n)  # independent of every attribute
    for i in range(n):
        day = i % 28
        for j, act in enumerate(["Review", "Decide", outcome[i]]):
            rows.append(
                (
                    f"c{i}",
                    act,
                    _t(day, 8 + j),
                    _t(day, 8 + j, 20),
                    "senior",
                    "Senior",
                    int(docs[i]),
                    channel[i],
                )
            )
    d = mine_decisions(make_log(rows, columns=COLS), activities=["Decide"])
    p = d.points.set_index("activity").loc["Decide"]
    # A depth-3 tree on noise does no better than the majority out of sample.
    assert p["determinism"] < 0.1
    assert 0.45 < p["majority_share"] < 0.6


def test_decision_points_need_two_branches_of_ten_percent():
    # A -> B in 19 cases, A -> C in 1 case (5 %): one branch only. B -> D | E half and half.
    rows = []
    for i in range(20):
        second = "C" if i == 0 else "B"
        third = "D" if i % 2 else "E"
        for j, act in enumerate(["A", second, third]):
            rows.append((f"c{i}", act, _t(i, 8 + j), _t(i, 8 + j, 5), "r", "T"))
    out = decision_outcomes(make_log(rows))
    dp = out.groupby("activity")["decision_point"].first()
    assert not dp["A"] and dp["B"]
    a = out[out["activity"] == "A"].set_index("outcome")
    assert a.loc["B", "share"] == pytest.approx(0.95) and a.loc["C", "share"] == pytest.approx(0.05)


def test_event_attributes_are_taken_from_before_the_step():
    # The outcome of "Decide" equals its *own* event attribute "verdict" (written when it completes),
    # while the attribute "score" is recorded on the earlier "Check". Only "score" may be used.
    rows = []
    for i in range(120):
        day = i % 28
        score = i % 10
        verdict = "yes" if score >= 5 else "no"
        nxt = "Approve" if score >= 5 else "Refuse"
        rows += [
            (f"c{i}", "Check", _t(day, 8), _t(day, 8, 10), "r", "T", score, None),
            (f"c{i}", "Decide", _t(day, 9), _t(day, 9, 10), "r", "T", None, verdict),
            (f"c{i}", nxt, _t(day, 10), _t(day, 10, 10), "r", "T", None, None),
        ]
    log = make_log(
        rows, columns=("case_id", "activity", "start", "end", "resource", "role", "score", "verdict")
    )
    d = mine_decisions(log, activities=["Decide"])
    used = d.points.set_index("activity").loc["Decide", "attributes_used"]
    assert used == ["score"]
    assert d.rules_for("Decide")["text"].str.startswith("score").all()


def test_rare_outcomes_are_pooled_and_classes_too_rare_for_the_folds_left_out():
    # Decide -> Approve (60 %), Refuse (37.5 %), Appeal (2.5 %: below the 10 % branch share -> "other",
    # with 2 instances < 5 folds -> left out of the tree).
    rows = []
    for i in range(80):
        nxt = "Appeal" if i < 2 else ("Approve" if i % 8 < 5 else "Refuse")
        for j, act in enumerate(["Decide", nxt]):
            rows.append((f"c{i}", act, _t(i % 28, 8 + j), _t(i % 28, 8 + j, 5), "r", "T"))
    d = mine_decisions(make_log(rows), activities=["Decide"])
    p = d.points.set_index("activity").loc["Decide"]
    assert p["outcomes"]["Appeal"] == pytest.approx(0.025)
    assert OTHER not in set(d.rules_for("Decide")["outcome"])
    assert p["note"].startswith("no attribute")  # nothing varies before the step
    assert p["determinism"] == 0.0


def test_unknown_activity_or_equity_attribute_is_refused():
    log = screening_log(40)
    with pytest.raises(AnalysisError, match="activities names"):
        mine_decisions(log, activities=["Nope"])
    with pytest.raises(AnalysisError, match="`equity_attributes` names.*'channel'"):
        mine_decisions(log, equity_attributes=["postcode"])


def test_classify_attributes_rules():
    s = pd.DataFrame(
        {
            "engine": ["a0", "a1", "a2", "a3", "a4", "a5"],
            "name": ["amount", "comment", "case:variant", "activityNameEN", "ticket_ref", "channel"],
            "numeric": [True, False, False, False, False, False],
            "values": [100, 100, 100, 100, 100, 100],
            "distinct": [50, 95, 5, 4, 100, 2],
            "mean_length": [np.nan, 60.0, 9.0, 20.0, 8.0, 6.0],
            "mean_spaces": [np.nan, 9.0, 1.0, 3.0, 0.0, 0.0],
            "case_constant": [1.0, 0.2, 1.0, 0.1, 1.0, 1.0],
            "cases_with_value": [100, 100, 100, 100, 100, 100],
            # activityNameEN: 85 % of its events on activities with one name only, but the activity
            # removes 93 % of the errors in guessing the name (lambda): it names the step.
            "step_constant": [0.0, 0.0, 0.0, 0.85, 0.0, 0.0],
            "step_lambda": [np.nan, 0.1, np.nan, 0.93, np.nan, np.nan],
        }
    )
    c = classify_attributes(s, n_events=100, sensitive=["channel"]).set_index("name")
    assert c.loc["amount", "use"] == "feature" and c.loc["amount", "role"] == "case"
    assert c.loc["comment", "use"] == "free text" and c.loc["comment", "free_text"]
    assert c.loc["case:variant", "use"] == "trace label"
    assert c.loc["activityNameEN", "use"] == "describes the step"
    assert c.loc["ticket_ref", "use"] == "identifier"
    assert c.loc["channel", "use"] == "sensitive"


def test_sampling_above_max_instances_is_deterministic():
    log = screening_log(120)
    vals = load_profile().to_dict()
    vals["measurement"]["max_instances"] = 50
    from analysis.profile import Profile

    prof = Profile(vals, "test")
    a = mine_decisions(log, activities=["Screen"], profile=prof).points.iloc[0]
    b = mine_decisions(log, activities=["Screen"], profile=prof).points.iloc[0]
    assert a["sampled"] == 50 and a["instances"] == 120
    assert a["accuracy"] == b["accuracy"]


# --- Equity -------------------------------------------------------------------------------------------


def test_planted_disparity_is_flagged_by_the_four_fifths_rule():
    # Paper applicants submit fewer documents (1-6) than online ones (3-8); the rule documents < 4 ->
    # Request further information then hits paper 3/6 = 50 % and online 1/6 = 17 % of the time.
    n = 600
    rng = np.random.default_rng(3)
    channel = np.array(["paper", "online"] * (n // 2))
    docs = np.where(channel == "paper", rng.integers(1, 7, size=n), rng.integers(3, 9, size=n))
    log = screening_log(n, docs=docs, channel=channel)
    eq = find_equity_gaps(log, ["channel"], activities=["Screen"])
    out = eq[eq["test"] == "outcome"].iloc[0]
    ev = log.events[log.events["activity"] == "Screen"]
    rfi = (ev["documents_submitted"] < 4).groupby(ev["channel"]).mean()
    expected_ratio = min(rfi.min() / rfi.max(), (1 - rfi.max()) / (1 - rfi.min()))
    assert out["disparity_ratio"] == pytest.approx(expected_ratio)
    assert out["outcome"] == "Request further information"
    assert out["low_group"] == "online" and out["high_group"] == "paper"
    assert out["counts"] == {"online": 300, "paper": 300}
    assert out["method"] == "chi-square" and out["p_holm"] < 1e-6
    assert out["flagged"]


def test_no_flag_without_a_disparity():
    log = screening_log(600, seed=5)  # channel drawn independently of documents
    eq = find_equity_gaps(log, ["channel"], activities=["Screen"])
    assert not eq["flagged"].any()
    out = eq[eq["test"] == "outcome"].iloc[0]
    assert out["disparity_ratio"] > 0.8 or out["p_holm"] >= 0.05


def test_small_groups_are_counted_but_not_compared():
    # 3 paper cases only (< 20): nothing to compare, no test row.
    channel = np.array(["online"] * 57 + ["paper"] * 3)
    log = screening_log(60, channel=channel)
    eq = find_equity_gaps(log, ["channel"], activities=["Screen"])
    assert eq.empty


def test_holm_adjustment_by_hand():
    from analysis.stats import adjust_p_values as holm

    # p sorted 0.01, 0.03, 0.04 (m = 3): 3 * 0.01 = 0.03; max(0.03, 2 * 0.03) = 0.06; max(0.06, 0.04) = 0.06.
    assert holm(np.array([0.04, 0.01, 0.03])).tolist() == pytest.approx([0.06, 0.03, 0.06])


def test_inputs_unchanged():
    log = screening_log(60)
    before = log.events.copy()
    mine_decisions(log, equity_attributes=["channel"])
    pd.testing.assert_frame_equal(log.events, before)


def test_a_split_on_missing_values_is_written_as_is_missing():
    # "amount" is recorded (on the earlier Check) only in the cases that go on to Audit.
    rows = []
    for i in range(100):
        day = i % 28
        audit = i % 3 == 0
        rows += [
            (f"c{i}", "Check", _t(day, 8), _t(day, 8, 10), "r", "T", float(50 + i) if audit else None),
            (f"c{i}", "Route", _t(day, 9), _t(day, 9, 10), "r", "T", None),
            (f"c{i}", "Audit" if audit else "Pay", _t(day, 10), _t(day, 10, 10), "r", "T", None),
        ]
    log = make_log(rows, columns=("case_id", "activity", "start", "end", "resource", "role", "amount"))
    d = mine_decisions(log, activities=["Route"])
    assert d.points.iloc[0]["determinism"] == pytest.approx(1.0)
    conds = {r["outcome"]: r["conditions"] for r in d.rules_for("Route").to_dict("records")}
    assert conds["Pay"] == [
        {"attribute": "amount", "operator": "is missing", "value": None, "or_missing": True}
    ]
    assert conds["Audit"][0]["operator"] == "is not missing"


def test_goodman_kruskal_lambda_by_hand():
    # "label": activity A has values x (8) and y (2), activity B has z (10): per-activity modes 8 + 10,
    # overall mode z (10) of 20 values -> lambda = (18 - 10) / (20 - 10) = 0.8. "tag" takes u, v, w on
    # both activities (A: u 4, v 3, w 3; B: v 4, w 3, u 3): per-activity modes 4 + 4, overall mode 7
    # (u or v) -> lambda = (8 - 7) / (20 - 7) = 1/13.
    rows = []
    for i in range(10):
        label_a = "x" if i < 8 else "y"
        rows += [
            (f"c{i}", "A", _t(i, 8), _t(i, 8, 5), "r", "T", label_a, "uvw"[i % 3]),
            (f"c{i}", "B", _t(i, 9), _t(i, 9, 5), "r", "T", "z", "uvw"[(i + 1) % 3]),
        ]
    from analysis.queries.readiness import attribute_summary

    log = make_log(rows, columns=("case_id", "activity", "start", "end", "resource", "role", "label", "tag"))
    s = attribute_summary(log).set_index("name")
    assert s.loc["label", "step_lambda"] == pytest.approx(0.8)
    assert s.loc["tag", "step_lambda"] == pytest.approx(1 / 13)


def test_a_numeric_code_is_compared_for_equality():
    # The monitoring officer's staff number (560001 or 560002), recorded on Check, decides the route.
    rows = []
    for i in range(100):
        day = i % 28
        staff = 560001 if i % 2 else 560002
        rows += [
            (f"c{i}", "Check", _t(day, 8), _t(day, 8, 10), "r", "T", staff),
            (f"c{i}", "Route", _t(day, 9), _t(day, 9, 10), "r", "T", None),
            (f"c{i}", "Fast" if i % 2 else "Slow", _t(day, 10), _t(day, 10, 10), "r", "T", None),
        ]
    log = make_log(rows, columns=("case_id", "activity", "start", "end", "resource", "role", "staff"))
    d = mine_decisions(log, activities=["Route"])
    ops = {c["operator"] for r in d.rules_for("Route")["conditions"] for c in r}
    assert ops <= {"==", "!="} and d.points.iloc[0]["determinism"] == pytest.approx(1.0)
    assert d.features.set_index("name").loc["staff", "numeric"] == False  # noqa: E712


def test_dates_written_as_text_are_not_features():
    rows = []
    for i in range(60):
        day = i % 28
        due = (pd.Timestamp("2024-03-01") + pd.Timedelta(days=i)).strftime("%Y-%m-%d")
        rows += [
            (f"c{i}", "Check", _t(day, 8), _t(day, 8, 10), "r", "T", due),
            (f"c{i}", "Route", _t(day, 9), _t(day, 9, 10), "r", "T", due),
            (f"c{i}", "Fast" if i < 30 else "Slow", _t(day, 10), _t(day, 10, 10), "r", "T", due),
        ]
    log = make_log(rows, columns=("case_id", "activity", "start", "end", "resource", "role", "due"))
    feats = mine_decisions(log, activities=["Route"]).features.set_index("name")
    assert feats.loc["due", "use"] == "date"
