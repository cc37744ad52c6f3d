"""score_readiness: factor values by hand, recommendations by rule, own-evidence fix-first, equity,
profiles, sensitivity, the value-vs-feasibility figure and the process-level gate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import find_orchestration_gate, load_profile, score_readiness
from analysis.profile import Profile
from analysis.readiness import FACTORS, RECOMMENDATIONS, WEIGHTS
from mapper import load_event_log
from mapper.errors import AnalysisError
from tests.analysis.test_decisions import screening_log
from tests.conftest import make_log


def _t(day: int, hour: int, minute: int = 0) -> str:
    base = pd.Timestamp("2024-01-01") + pd.Timedelta(days=day, hours=hour, minutes=minute)
    return base.strftime("%Y-%m-%d %H:%M")


def _linear_log(n: int = 20):
    """n cases of Receive (SYSTEM) -> Check (clerk, 10 min) -> Decide (officer) -> Approve | Refuse."""
    rows = []
    for i in range(n):
        day = f"2024-01-{i + 1:02d}"
        rows += [
            (f"c{i}", "Receive", f"{day} 08:00", f"{day} 08:01", "SYSTEM", "Digital"),
            (f"c{i}", "Check", f"{day} 09:00", f"{day} 09:10", "clerk", "Validation"),
            (f"c{i}", "Decide", f"{day} 10:00", f"{day} {11 + i % 5}:00", "officer", "Assessment"),
            (
                f"c{i}",
                "Approve" if i % 2 else "Refuse",
                f"{day} 17:00",
                f"{day} 17:30",
                "officer",
                "Assessment",
            ),
        ]
    return make_log(rows)


@pytest.fixture(scope="module")
def readiness():
    return score_readiness(_linear_log())


def test_factor_values_by_hand(readiness):
    s = readiness.scores.set_index("activity")
    check = s.loc["Check", "factors"]
    # Always Receive before and Decide after: all of its flow through its top 2 neighbours.
    assert check["standardisation"]["value"] == pytest.approx(1.0)
    assert check["predictability"]["value"] == 0.0  # one outcome: entropy 0
    assert check["time_dispersion"]["value"] == pytest.approx(0.0)  # always 10 min
    assert check["failure"]["value"] == 0.0
    assert check["automation_rate"]["value"] == 0.0  # "clerk" is not a system name
    assert check["performer_concentration"]["value"] == 1.0  # one clerk does every Check
    assert check["maturity"]["value"] is None  # 20 days: fewer than three full months
    assert check["structured_input"]["value"] is None  # no attribute columns at all
    assert check["waiting_gain"]["value"] is None  # no waiting causes given
    # Known weights 0.20 + 0.20 + 0.15 + 0.15 + 0.05 + 0.05 = 0.80; scores 1, 1, 1, 1, 0, 0:
    # 100 * 0.70 / 0.80 = 87.5.
    assert s.loc["Check", "score"] == pytest.approx(87.5)
    decide = s.loc["Decide"]
    # Durations 1, 2, 3, 4, 5 h four times each: mean 3, sample sd sqrt(40 / 19) = 1.4510, CV 0.4837.
    assert decide["processing_cv"] == pytest.approx(math.sqrt(40 / 19) / 3, abs=1e-4)
    # Half Approve, half Refuse: normalised entropy 1; no attribute to learn from: determinism 0.
    assert decide["outcome_entropy"] == pytest.approx(1.0)
    assert decide["determinism"] == 0.0
    # (0.20 * 1 + 0.20 * 0 + 0.15 * (1 - 0.4837 / 1.5) + 0.15 * 1 + 0 + 0) / 0.80 = 56.5
    assert decide["score"] == pytest.approx(100 * (0.2 + 0.15 * (1 - 0.48365 / 1.5) + 0.15) / 0.8, abs=0.05)
    # 20 events over 19 days 9.5 hours (0.6372 months).
    assert decide["events_per_month"] == pytest.approx(20 / ((19 + 9.5 / 24) / 30.4375))
    assert s.loc["Approve", "case_coverage"] == pytest.approx(0.5)
    assert {k: v["weight"] for k, v in check.items() if k in FACTORS} == WEIGHTS


def test_recommendations_by_rule(readiness):
    s = readiness.scores.set_index("activity")
    assert s.loc["Receive", "recommendation"] == "automate" and s.loc["Receive", "already_automated"]
    assert s.loc["Check", "recommendation"] == "automate" and s.loc["Check", "rule"] == "routine"
    # A judgment: the outcome is not predicted by anything; no attribute, no free text: keep human.
    assert s.loc["Decide", "recommendation"] == "keep_human" and s.loc["Decide", "rule"] == "judgment"
    assert s.loc["Decide", "decision_point"]
    # 10 events each, below min_events 20.
    assert s.loc["Approve", "rule"] == "rare" and s.loc["Approve", "recommendation"] == "keep_human"
    assert set(s["recommendation"]) <= set(RECOMMENDATIONS)
    assert "rule-determinism 0.00" in s.loc["Decide", "rationale"]


def test_score_is_the_weighted_mean_of_known_factor_scores(readiness):
    for r in readiness.scores.itertuples():
        known = {k: f for k, f in r.factors.items() if f["score"] is not None and f["weight"] > 0}
        expected = (
            100
            * sum(f["score"] * f["weight"] for f in known.values())
            / sum(f["weight"] for f in known.values())
        )
        assert r.score == pytest.approx(expected, abs=0.06)
        assert 0 <= r.score <= 100


def test_already_automated_steps_do_not_crowd_the_candidates(readiness):
    cands = readiness.candidates(top=None)
    assert "Receive" not in set(cands["activity"])  # the highest score (93.8), but already automated
    assert cands["activity"].tolist() == ["Check"]
    # ... and the scores list them after the candidates.
    assert readiness.scores["already_automated"].tolist()[-1]


def test_performer_types_mark_a_bot_named_like_a_person():
    log = _linear_log()
    auto = pd.DataFrame({"activity": ["Check", "Receive"], "automation_rate": [1.0, np.nan]})
    before = auto.copy()
    s = score_readiness(log, automation=auto, sensitivity="none").scores.set_index("activity")
    assert s.loc["Check", "already_automated"]  # the "clerk" is a bot, say the performer types
    assert not s.loc["Receive", "already_automated"]  # unknown there: no name pattern used
    pd.testing.assert_frame_equal(auto, before)


def test_outside_party_is_not_ours_to_automate():
    log = _linear_log()
    auto = pd.DataFrame({"activity": ["Check"], "automation_rate": [0.0], "external_rate": [1.0]})
    s = score_readiness(log, automation=auto, sensitivity="none").scores.set_index("activity")
    assert s.loc["Check", "recommendation"] == "keep_human" and s.loc["Check", "rule"] == "external"


def _merge_log(n: int = 40):
    """Open -> (Approve | Refuse, alternating) -> Send letter (2 clerks, 10 min) -> Close."""
    rows = []
    for i in range(n):
        day = i % 28
        branch = "Approve" if i % 2 else "Refuse"
        clerk = f"clerk_{i % 2}"
        rows += [
            (f"c{i}", "Open", _t(day, 8), _t(day, 8, 30), "officer", "A"),
            (f"c{i}", branch, _t(day, 9), _t(day, 9, 30 + i % 7), "officer", "A"),
            (f"c{i}", "Send letter", _t(day, 11), _t(day, 11, 10), clerk, "B"),
            (f"c{i}", "Close", _t(day, 12), _t(day, 12, 1), "officer", "A"),
        ]
    return make_log(rows)


def test_routine_step_after_a_merge_scores_as_standard():
    log = _merge_log()
    r = score_readiness(log, sensitivity="none")
    s = r.scores.set_index("activity").loc["Send letter"]
    # Preceded by Approve or Refuse half and half: both within its top 2 predecessors -> 1.0.
    assert s["standardisation"] == pytest.approx(1.0)
    # The old rule, 1 - (H_pred + H_succ) / 2 with H the normalised entropy of the neighbours,
    # gives 1 - (1 + 0) / 2 = 0.5 here: it punished the merge point.
    from analysis.queries.readiness import neighbour_counts
    from mapper.engine import execute

    nb = execute(neighbour_counts(log.tables().ordered))
    pred = nb[(nb["activity"] == "Send letter") & (nb["direction"] == "pred")]["n"].to_numpy(dtype=float)
    p = pred / pred.sum()
    h_pred = -(p * np.log(p)).sum() / np.log(len(p))
    assert 1 - (h_pred + 0) / 2 == pytest.approx(0.5)
    # Two clerks half and half: HHI 0.5. Score (0.2 + 0.2 + 0.15 + 0.15 + 0 + 0.05 * 0.5) / 0.80.
    assert s["score"] == pytest.approx(100 * 0.725 / 0.8, abs=0.05)
    assert s["recommendation"] == "automate" and s["rule"] == "routine"


def _rework_log(n: int = 20, loops: int = 6):
    """Draft (T1) -> Review (T2); in ``loops`` cases the draft is redone once (30 % of 20)."""
    rows = []
    for i in range(n):
        day = i % 28
        rows += [
            (f"c{i}", "Draft", _t(day, 8), _t(day, 9), "a", "T1"),
            (f"c{i}", "Review", _t(day, 9), _t(day, 10), "b", "T2"),
        ]
        if i < loops:
            rows += [
                (f"c{i}", "Draft", _t(day, 10), _t(day, 11), "a", "T1"),
                (f"c{i}", "Review", _t(day, 11), _t(day, 12), "b", "T2"),
            ]
        rows.append((f"c{i}", "Publish", _t(day, 13), _t(day, 13, 5), "c", "T3"))
    return make_log(rows)


def test_rework_loop_is_fix_first():
    r = score_readiness(_rework_log(), sensitivity="none")
    s = r.scores.set_index("activity")
    assert s.loc["Draft", "recommendation"] == "fix_first"
    assert s.loc["Draft", "rework_share"] == pytest.approx(0.3)  # 6 of 20 cases
    assert "rework loop" in s.loc["Draft", "rationale"]
    assert s.loc["Publish", "recommendation"] != "fix_first"  # only follows the loop
    # Draft and Review are fix-first, Publish is not: 2 of 3 steps.
    assert r.fix_first_share == pytest.approx(2 / 3)


def test_rework_needs_enough_cases_of_evidence():
    # 4 loops in 20 cases is 20 % but fewer than fix_first_min_cases (5): not fix-first.
    r = score_readiness(_rework_log(20, 4), sensitivity="none").scores.set_index("activity")
    assert r.loc["Draft", "rework_share"] == pytest.approx(0.2)
    assert r.loc["Draft", "recommendation"] != "fix_first"


def _pair_log(n: int = 20, pp: int = 8):
    """A (X) <-> Q (Y) ping-pong in ``pp`` cases, then R (X) -> S (Y) -> T (Z).

    Handovers of a ping-pong case: A->Q (X->Y), Q->A (Y->X, A redone), A->Q (X->Y, Q redone), Q->R,
    R->S, S->T. The first three are the ping-pong legs; R and S receive handovers on the failing pair
    X <-> Y but never a redone piece of work.
    """
    rows = []
    for i in range(n):
        day = i % 28
        seq = [("A", "x1", "X"), ("Q", "y1", "Y")]
        if i < pp:
            seq += [("A", "x1", "X"), ("Q", "y1", "Y")]
        seq += [("R", "x1", "X"), ("S", "y1", "Y"), ("T", "z1", "Z")]
        for j, (act, res, role) in enumerate(seq):
            rows.append((f"c{i}", act, _t(day, 8 + j), _t(day, 8 + j, 15), res, role))
    return make_log(rows)


def test_a_step_only_receiving_from_a_failing_pair_is_not_fix_first():
    log = _pair_log()
    from analysis import find_handoffs

    pairs = find_handoffs(log, level="role")
    xy = pairs[(pairs["source"] == "X") & (pairs["target"] == "Y")].iloc[0]
    assert xy["failing"] and "ping-pong" in xy["failure"]  # the pair fails ...
    s = score_readiness(log, sensitivity="none").scores.set_index("activity")
    # ... A and Q take part in it (8 of 20 cases = 40 %) and are fix-first;
    assert s.loc["A", "recommendation"] == "fix_first" and s.loc["Q", "recommendation"] == "fix_first"
    assert s.loc["A", "handoff_redone_share"] == pytest.approx(0.4)
    # R and S only receive handovers on that pair (100 % of their inflow: the old rule marked them).
    assert s.loc["R", "recommendation"] != "fix_first"
    assert s.loc["S", "recommendation"] != "fix_first"
    assert s.loc["S", "handoff_redone_share"] == 0.0


def test_handoff_roles_input_is_used_and_a_dropped_baton_is_not_fix_first():
    log = _pair_log()
    roles = pd.DataFrame(
        {
            "activity": ["A", "Q", "R", "S"],
            "redone_sender_cases": [8, 0, 0, 0],
            "redone_receiver_cases": [0, 8, 0, 0],
            "dropped_after_cases": [0, 0, 6, 0],
            "dropped_receiver_cases": [0, 0, 0, 6],
        }
    ).astype({c: "int64" for c in ["redone_sender_cases", "redone_receiver_cases"]})
    before = roles.copy()
    r = score_readiness(log, handoff_roles=roles, sensitivity="none")
    s = r.scores.set_index("activity")
    assert r.handoff_source == "handoff roles"
    assert s.loc["Q", "recommendation"] == "fix_first"  # receiver of redone work in 8 of 20 cases
    assert "failing handoff in 40%" in s.loc["Q", "rationale"]
    assert s.loc["S", "recommendation"] != "fix_first"  # the baton is dropped *into* it
    assert s.loc["R", "recommendation"] != "fix_first"  # dropped after it: an orchestration concern
    assert "dropped after it in 6 cases" in s.loc["R", "rationale"]
    pd.testing.assert_frame_equal(roles, before)


def test_abandoned_cases_are_lost_but_cases_cut_by_the_log_end_are_not():
    # 30 cases Start -> Work -> Finish over 60 days; 6 stop after Work early in the log (abandoned);
    # the last case stops after Work on the last day (cut by the end of the log: not abandoned).
    rows = []
    for i in range(30):
        d = 2 * i
        rows += [
            (f"c{i}", "Start", _t(d, 8), _t(d, 9), "a", "T"),
            (f"c{i}", "Work", _t(d, 9), _t(d, 10), "b", "T"),
        ]
        if not (i < 6 or i == 29):
            rows.append((f"c{i}", "Finish", _t(d, 11), _t(d, 12), "a", "T"))
    rows.append(("late", "Start", _t(60, 8), _t(60, 9), "a", "T"))
    s = score_readiness(make_log(rows), sensitivity="none").scores.set_index("activity")
    # Work normally waits 1 h for Finish (p95 1 h); c29 ends 2 days + 23 h before the log's end
    # (abandoned too), the 6 early ones weeks before: 7 of 30.
    assert s.loc["Work", "abandoned_share"] == pytest.approx(7 / 30)
    assert s.loc["Work", "recommendation"] == "fix_first"
    assert "abandoned" in s.loc["Work", "rationale"]
    assert s.loc["Finish", "abandoned_share"] == 0.0  # an end activity


def test_rule_decision_is_automated_with_its_rule():
    s = score_readiness(screening_log(), sensitivity="none").scores.set_index("activity")
    assert s.loc["Screen", "decision_point"] and s.loc["Screen", "determinism"] == pytest.approx(1.0)
    assert s.loc["Screen", "recommendation"] == "automate" and s.loc["Screen", "rule"] == "rule"
    assert "documents_submitted < 4 → Request further information" in s.loc["Screen", "rationale"]


def test_equity_flag_turns_automate_into_a_human_checked_step():
    n = 600
    rng = np.random.default_rng(3)
    channel = np.array(["paper", "online"] * (n // 2))
    docs = np.where(channel == "paper", rng.integers(1, 7, size=n), rng.integers(3, 9, size=n))
    r = score_readiness(screening_log(n, docs=docs, channel=channel), equity_attributes=["channel"])
    s = r.scores.set_index("activity").loc["Screen"]
    assert s["equity_flag"]
    assert s["recommendation"] == "ai_assist" and s["rule"] == "equity_check"
    assert "inherits the gap" in s["rationale"] and "channel" in s["rationale"]
    assert r.equity["flagged"].any()
    # Without a disparity, no flag and the rule is automated.
    r2 = score_readiness(screening_log(600, seed=5), equity_attributes=["channel"], sensitivity="none")
    s2 = r2.scores.set_index("activity").loc["Screen"]
    assert not s2["equity_flag"] and s2["recommendation"] == "automate"


def test_waiting_causes_feed_the_waiting_gain_factor():
    log = _linear_log()
    w = pd.DataFrame(
        {
            "activity": ["Check", "Decide"],
            "waiting_hours_total": [10.0, 10.0],
            "batching_hours": [0.0, 0.0],
            "contention_hours": [8.0, 0.0],
            "prioritisation_hours": [0.0, 0.0],
            "unavailability_hours": [0.0, 0.0],
            "extraneous_hours": [0.0, 8.0],
            "unknown_hours": [2.0, 2.0],
        }
    )
    s = score_readiness(log, waiting=w, sensitivity="none").scores.set_index("activity")
    assert s.loc["Check", "waiting_gain"] == pytest.approx(1.0)  # 8 of 8 attributed hours removable
    assert s.loc["Decide", "waiting_gain"] == pytest.approx(0.0)  # waits on the citizen
    assert s.loc["Check", "dominant_wait_cause"] == "contention"
    with pytest.raises(AnalysisError, match="waiting lacks the column"):
        score_readiness(log, waiting=w.drop(columns=["unknown_hours"]))


def test_free_text_counts_as_unstructured_input():
    rows = []
    words = "the applicant explains in their own words why the extension matters number"
    for i in range(40):
        note = f"{words} {i}" if i % 2 else None
        rows += [
            (f"c{i}", "Write", _t(i % 28, 8), _t(i % 28, 9), "a", "T", note),
            (f"c{i}", "File", _t(i % 28, 10), _t(i % 28, 10, 5), "b", "T", None),
        ]
    log = make_log(rows, columns=("case_id", "activity", "start", "end", "resource", "role", "note"))
    s = score_readiness(log, sensitivity="none").scores.set_index("activity")
    assert s.loc["Write", "unstructured_share"] == pytest.approx(0.5)
    assert s.loc["File", "unstructured_share"] == 0.0


def test_no_start_times_leave_workload_and_dispersion_unknown():
    log = _linear_log()
    no_start = load_event_log(log.events.drop(columns=["start_timestamp", "row_nr"]))
    r = score_readiness(no_start, sensitivity="none")
    assert r.scores["workload_hours_per_year"].isna().all()
    assert all(f["time_dispersion"]["value"] is None for f in r.scores["factors"])
    assert any("No start times" in n for n in r.notes)
    fig = r.plot()
    assert "Events per month" in fig.layout.yaxis.title.text


def test_workload_by_hand(readiness):
    # Check: 20 events of 10 min = 3.333 h over 19.396 days -> per year * 365.25 / 19.396.
    s = readiness.scores.set_index("activity")
    assert s.loc["Check", "workload_hours_per_year"] == pytest.approx(20 / 6 * 365.25 / (19 + 9.5 / 24))


def test_factor_table_breaks_each_score_into_points(readiness):
    t = readiness.factor_table()
    assert len(t) == len(readiness.scores) * len(FACTORS)
    assert t["factor"].head(len(FACTORS)).tolist() == list(FACTORS)
    sums = t.groupby("activity", sort=False).agg(points=("points", "sum"), score=("score", "first"))
    assert (sums["points"] - sums["score"]).abs().max() < 0.1
    unknown = t[t["factor"] == "maturity"]
    assert unknown["value"].isna().all() and (unknown["effective_weight"] == 0).all()
    assert t["activity"].drop_duplicates().tolist() == readiness.scores["activity"].tolist()


def test_sensitivity_gives_stability_in_bounds(readiness):
    s = readiness.scores.set_index("activity")
    assert s["stability"].between(0, 1).all() and s["stability_joint"].between(0, 1).all()
    sens = readiness.sensitivity
    oat = sens[sens["kind"] == "one-at-a-time"]
    n_params = len(load_profile().parameters())
    assert len(oat) == 2 * n_params
    assert len(sens[sens["kind"] == "joint"]) == load_profile().get("sensitivity", "joint_samples")
    # Check has 20 events; min_events * 1.2 = 24 makes it "too rare": one of the 52 perturbations.
    changed = oat[oat["activities"].map(lambda a: "Check" in a)]
    assert changed["parameter"].tolist() == ["rules.min_events"]
    assert s.loc["Check", "stability"] == pytest.approx(1 - 1 / (2 * n_params), abs=1e-4)
    assert "Stability 98%" in s.loc["Check", "rationale"]


def test_a_recommendation_on_a_threshold_is_unstable():
    vals = load_profile().to_dict()
    vals["rules"]["automate_score"] = 85  # Check scores 87.5: 85 * 1.2 = 102 flips it
    r = score_readiness(_linear_log(), profile=Profile(vals, "test"), sensitivity="one-at-a-time")
    stab = r.scores.set_index("activity").loc["Check", "stability"]
    assert 0 < stab < 1 - 1 / 52


def test_profile_weights_override_and_errors():
    log = _linear_log(3)
    with pytest.raises(AnalysisError, match="unknown factor"):
        score_readiness(log, weights={"speed": 1.0})
    with pytest.raises(AnalysisError, match="sensitivity must be"):
        score_readiness(log, sensitivity="some")


def test_profile_loading(tmp_path):
    p = load_profile()
    assert p.source == "default" and sum(p.weights.values()) == pytest.approx(1.0)
    f = tmp_path / "mine.yaml"
    f.write_text("rules:\n  automate_score: 70\nweights:\n  waiting_gain: 0\n")
    q = load_profile(f)
    assert q.get("rules", "automate_score") == 70 and q.weights["waiting_gain"] == 0
    assert q.get("rules", "min_events") == p.get("rules", "min_events")  # kept from the default
    cases = {
        "rules:\n  automate_scor: 70\n": r"mine\.yaml: rules\.automate_scor: unknown key",
        "ruls:\n  automate_score: 70\n": r"mine\.yaml: unknown section 'ruls'",
        "rules:\n  determinism_rule: 1.5\n": r"rules\.determinism_rule: 1\.5 is out of range.*at most 1",
        "weights:\n  failure: -1\n": r"weights\.failure: -1 is out of range",
        "rules:\n  min_events: 2.5\n": r"rules\.min_events: expected a whole number",
        "rules:\n  automate_score: high\n": r"rules\.automate_score: expected a number",
        "scoring:\n  cv_zero: 0\n": r"scoring\.cv_zero: 0 is out of range; it must be above 0",
        "version: 2\n": r"version: only version 1",
        "rules: [1, 2]\n": r"rules: expected a mapping",
        "- a\n- b\n": r"a mapping of sections",
        "rules: {a: [}\n": r"not valid YAML",
    }
    for text, message in cases.items():
        f.write_text(text)
        with pytest.raises(AnalysisError, match=message):
            load_profile(f)
    zero = "weights:\n" + "".join(f"  {k}: 0\n" for k in FACTORS)
    f.write_text(zero)
    with pytest.raises(AnalysisError, match="at least one weight"):
        load_profile(f)
    with pytest.raises(AnalysisError, match="Cannot read the profile"):
        load_profile(tmp_path / "missing.yaml")


def test_profile_scaling_clips_and_moves_counts():
    p = load_profile()
    q = p.scaled({("rules", "determinism_rule"): 1.3, ("rules", "fix_first_min_cases"): 1.1})
    assert q.get("rules", "determinism_rule") == 1.0  # a share stays within [0, 1]
    assert q.get("rules", "fix_first_min_cases") == 6  # 5 * 1.1 rounds to 5: moved by one
    assert p.get("rules", "fix_first_min_cases") == 5  # the original is unchanged


def test_plot_escapes_labels_and_labels_only_the_top():
    rows = []
    for i in range(30):
        rows += [
            (f"c{i}", "<b>Check</b>", _t(i % 28, 8), _t(i % 28, 8, 10), "clerk", "T"),
            (f"c{i}", "File", _t(i % 28, 9), _t(i % 28, 9, 5), "clerk2", "T"),
        ]
    r = score_readiness(make_log(rows), sensitivity="none")
    fig = r.plot(labels=1)
    assert len(fig.layout.annotations) == 1
    texts = [a.text for a in fig.layout.annotations] + [str(t.customdata) for t in fig.data]
    assert all("<b>" not in t for t in texts) and any("&lt;b&gt;" in t for t in texts)
    assert {t.name for t in fig.data} <= {
        "Automate",
        "AI-assist (human in the loop)",
        "Keep human",
        "Fix first",
        "Already automated",
    }


def test_empty_inputs_are_refused():
    log = _linear_log(3)
    with pytest.raises(AnalysisError, match="automation lacks the column"):
        score_readiness(log, automation=pd.DataFrame({"activity": ["Check"]}))
    with pytest.raises(AnalysisError, match="more than one row for"):
        score_readiness(
            log, automation=pd.DataFrame({"activity": ["Check", "Check"], "automation_rate": [0, 1]})
        )
    with pytest.raises(AnalysisError, match="`end_activities` names"):
        score_readiness(log, end_activities=["Nowhere"])


def test_inputs_unchanged():
    log = _linear_log(5)
    before = log.events.copy()
    score_readiness(log, equity_attributes=[])
    pd.testing.assert_frame_equal(log.events, before)


def test_legacy_handoffs_argument_is_accepted():
    log = _pair_log()
    from analysis import find_handoffs

    r = score_readiness(log, handoffs=find_handoffs(log, level="role"), sensitivity="none")
    assert r.scores.set_index("activity").loc["S", "recommendation"] != "fix_first"


# --- Process level ----------------------------------------------------------------------------------


def test_orchestration_gate_by_hand():
    log = _pair_log()  # 20 cases, 8 with a ping-pong (and so a loop back): 40 %
    gate = find_orchestration_gate(log, fitness=0.95)
    m = gate.metrics.set_index("metric")
    assert m.loc["rework_cases", "value"] == pytest.approx(0.4) and m.loc["rework_cases", "exceeded"]
    assert m.loc["ping_pong_cases", "value"] == pytest.approx(0.4)
    # Two variants of 8 and 12 cases: H = -(0.4 ln 0.4 + 0.6 ln 0.6) = 0.6730, / ln 20 = 0.2247.
    assert m.loc["variant_entropy", "value"] == pytest.approx(0.6730 / math.log(20), abs=1e-4)
    assert not m.loc["variant_entropy", "exceeded"]
    assert m.loc["fitness", "value"] == 0.95 and not m.loc["fitness", "exceeded"]
    assert gate.orchestrate_first and len(gate.reasons) == 2
    c = gate.conditions.set_index("condition")["answer"]
    assert c["The work spans more than one team or system"] == "yes"  # roles X, Y, Z
    assert c["A failure is costly"] == "ask"
    assert gate.to_dict()["metrics"][3]["value"] == 0.95
    with pytest.raises(AnalysisError, match="fitness must be in"):
        find_orchestration_gate(log, fitness=1.2)


def test_gate_without_roles_asks_about_teams():
    rows = []
    for i in range(10):
        rows += [(f"c{i}", "A", _t(i, 8), _t(i, 9)), (f"c{i}", "B", _t(i, 10), _t(i, 11))]
    log = make_log(rows, columns=("case_id", "activity", "start", "end"))
    gate = find_orchestration_gate(log)
    c = gate.conditions.set_index("condition")
    assert c.loc["The work spans more than one team or system", "answer"] == "ask"
    assert not gate.orchestrate_first
    assert np.isnan(gate.metrics.set_index("metric").loc["ping_pong_cases", "value"])


# --- Detection on the bundled sample (v2): every planted readiness effect, read from truth.json ----------


@pytest.fixture(scope="module")
def sample_readiness(sample_log, truth):
    return score_readiness(sample_log, equity_attributes=[truth["readiness"]["equity"]["attribute"]])


def test_sample_rule_like_step_is_the_top_candidate(sample_readiness, truth):
    s = sample_readiness.scores.set_index("activity")
    step = truth["readiness"]["rule_like"]
    assert s.loc[step, "recommendation"] == "automate" and s.loc[step, "rule"] == "routine"
    # The most feasible candidate (the candidates list itself is ordered by value: workload x score).
    cands = sample_readiness.candidates(top=None)
    assert cands.sort_values("score", ascending=False)["activity"].iloc[0] == step
    assert step in set(cands["activity"].head(3))


def test_sample_threshold_rule_is_recovered(sample_readiness, truth):
    planted = truth["readiness"]["rule_decision"]
    s = sample_readiness.scores.set_index("activity").loc[planted["activity"]]
    assert s["decision_point"] and s["determinism"] > 0.9
    assert s["recommendation"] == "automate" and s["rule"] == "rule"
    rules = sample_readiness.decisions.rules_for(planted["activity"])
    below = rules[rules["outcome"] == planted["below"]]
    assert len(below) == 1 and below.iloc[0]["precision"] == 1.0
    assert below.iloc[0]["conditions"] == [
        {
            "attribute": planted["attribute"],
            "operator": "<",
            "value": planted["threshold"],
            "or_missing": False,
        }
    ]
    other = rules[rules["outcome"] == planted["otherwise"]].iloc[0]["conditions"]
    assert other == [
        {
            "attribute": planted["attribute"],
            "operator": ">=",
            "value": planted["threshold"],
            "or_missing": False,
        }
    ]
    assert f"{planted['attribute']} < {planted['threshold']} → {planted['below']}" in s["rationale"]


def test_sample_judgment_step_stays_with_people(sample_readiness, truth):
    s = sample_readiness.scores.set_index("activity").loc[truth["readiness"]["judgment"]]
    assert s["decision_point"] and s["determinism"] < 0.2
    assert s["recommendation"] in ("ai_assist", "keep_human")


def test_sample_routine_step_after_the_merge_is_automated(sample_readiness, truth):
    s = sample_readiness.scores.set_index("activity").loc[truth["readiness"]["routine_after_merge"]]
    assert s["standardisation"] > 0.95  # after Issue approval or Issue refusal: both in its top 2
    assert s["recommendation"] == "automate"


def test_sample_fix_first_rests_on_own_evidence(sample_readiness, truth):
    s = sample_readiness.scores.set_index("activity")["recommendation"]
    for step in truth["readiness"]["fix_first"]:
        assert s[step] == "fix_first", step
    for step in truth["readiness"]["not_fix_first"]:
        assert s[step] != "fix_first", step
    share = sample_readiness.fix_first_share
    assert share == pytest.approx((s == "fix_first").mean()) and share < 0.5


def test_sample_already_automated_steps_are_marked_not_candidates(sample_readiness, truth):
    s = sample_readiness.scores.set_index("activity")
    cands = set(sample_readiness.candidates(top=None)["activity"])
    for step in truth["readiness"]["already_automated"]:
        assert s.loc[step, "already_automated"] and step not in cands


def test_sample_equity_gap_is_flagged_for_the_named_attribute(sample_readiness, truth):
    planted = truth["readiness"]["equity"]
    eq = sample_readiness.equity
    row = eq[(eq["activity"] == planted["activity"]) & (eq["test"] == "outcome")].iloc[0]
    assert row["attribute"] == planted["attribute"] and row["flagged"]
    for group, rate in planted["refusal_rate_by_channel"].items():
        assert row["rates"][group] == pytest.approx(rate, abs=0.01)
    s = sample_readiness.scores.set_index("activity").loc[planted["activity"]]
    assert s["equity_flag"] and planted["attribute"] in s["rationale"]


def test_sample_performer_types_keep_the_outside_party_human(sample_log, truth):
    # What the performer-types helper (issue 10) will pass: per activity, the share of its events by
    # systems or bots, and by outside parties.
    types = pd.Series(truth["performer_types"])
    ev = sample_log.events.assign(kind=sample_log.events["resource"].map(types))
    auto = (
        ev.groupby("activity")["kind"]
        .agg(
            automation_rate=lambda k: k.isin(["system", "bot"]).mean(),
            external_rate=lambda k: (k == "external").mean(),
        )
        .reset_index()
    )
    r = score_readiness(sample_log, automation=auto, sensitivity="none")
    s = r.scores.set_index("activity")
    outside = truth["handoffs"]["request_response"]["activities"][1]  # Provide further information
    assert s.loc[outside, "recommendation"] == "keep_human" and s.loc[outside, "rule"] == "external"
    assert r.automation_source == "performer types"
    for step in truth["readiness"]["already_automated"]:
        assert s.loc[step, "already_automated"]


def test_a_step_repeated_in_most_of_its_cases_recurs_by_design():
    # A lab test repeated after other work in 16 of 20 cases (80 %): monitoring, not rework.
    rows = []
    for i in range(20):
        day = i % 28
        seq = ["Admit", "Lab test", "Treat"] + (["Lab test", "Treat"] if i < 16 else []) + ["Release"]
        for j, act in enumerate(seq):
            rows.append((f"c{i}", act, _t(day, 8 + j), _t(day, 8 + j, 10), f"r{j % 2}", "T"))
    s = score_readiness(make_log(rows), sensitivity="none").scores.set_index("activity")
    lab = s.loc["Lab test"]
    assert lab["rework_share"] == pytest.approx(0.8) and lab["recurring"]
    assert lab["recommendation"] != "fix_first"
    assert lab["failure_rate"] == 0.0  # its repeats are not failures
    assert "recurring" in lab["rationale"]
    # With recurring_share raised above 0.8 the same repeats are rework again.
    vals = load_profile().to_dict()
    vals["rules"]["recurring_share"] = 0.9
    s2 = score_readiness(make_log(rows), profile=Profile(vals, "t"), sensitivity="none").scores
    assert s2.set_index("activity").loc["Lab test", "recommendation"] == "fix_first"


def test_outcomes_end_a_case_and_cancellations_do_not_make_a_step_fix_first():
    # 40 cases over 80 days: Apply -> Review -> then Approve (24), Decline (8: the case then ends, or a
    # trailing Archive step follows in 4 of them), or Cancel (8, by the applicant).
    rows = []
    for i in range(40):
        d = 2 * i
        rows += [
            (f"c{i}", "Apply", _t(d, 8), _t(d, 9), "a", "T"),
            (f"c{i}", "Review", _t(d, 9), _t(d, 10), "b", "T"),
        ]
        if i % 5 == 0:
            rows.append((f"c{i}", "Decline", _t(d, 11), _t(d, 11, 5), "b", "T"))
            if i % 10 == 0:
                rows.append((f"c{i}", "Archive", _t(d, 12), _t(d, 12, 1), "c", "T"))
        elif i % 5 == 1:
            rows.append((f"c{i}", "Cancel", _t(d, 11), _t(d, 11, 5), "a", "T"))
        else:
            rows.append((f"c{i}", "Approve", _t(d, 11), _t(d, 11, 5), "b", "T"))
    s = score_readiness(make_log(rows), sensitivity="none").scores.set_index("activity")
    # Decline is an outcome: not abandoned though it is last in only 4 of its 8 cases, and the trailing
    # Archive after it is not an abandonment either.
    assert s.loc["Decline", "abandoned_share"] == 0.0 and s.loc["Archive", "abandoned_share"] == 0.0
    # Review is followed by Cancel in 8 of 40 cases: a failure (score) but not fix-first.
    assert s.loc["Review", "cancelled_share"] == pytest.approx(0.2)
    assert s.loc["Review", "failure_rate"] == pytest.approx(0.2)
    assert s.loc["Review", "recommendation"] != "fix_first"


def test_routine_needs_steady_handling():
    # File: always between Open and Close, but its handling takes 1 min to 10 h (CV > 1).
    rows = []
    for i in range(40):
        day = i % 28
        minutes = 600 if i % 8 == 0 else 1
        end = pd.Timestamp(_t(day, 9)) + pd.Timedelta(minutes=minutes)
        rows += [
            (f"c{i}", "Open", _t(day, 8), _t(day, 8, 5), "a", "T"),
            (f"c{i}", "File", _t(day, 9), end.strftime("%Y-%m-%d %H:%M"), f"c{i % 3}", "T"),
            (f"c{i}", "Close", _t(day, 20), _t(day, 20, 5), "a", "T"),
        ]
    s = score_readiness(make_log(rows), sensitivity="none").scores.set_index("activity").loc["File"]
    # 5 of 40 take 600 min, 35 take 1 min: mean 75.875, sample sd sqrt(1569755.4 / 39) = 200.62 -> CV 2.644.
    assert s["processing_cv"] == pytest.approx(2.644, abs=0.001)
    assert s["recommendation"] != "automate" and "too dispersed for routine" in s["rationale"]


def test_a_recurring_bounce_between_two_teams_is_still_fix_first():
    # A (X) <-> Q (Y) in 14 of 20 cases: both repeat in 70 % of their cases (recurring), but every
    # repeat is a bounce straight back between the two teams (handoff_redone_cases 14 >= 0.5 * 14).
    s = score_readiness(_pair_log(20, 14), sensitivity="none").scores.set_index("activity")
    assert s.loc["A", "recurring"] and s.loc["A", "rework_share"] == pytest.approx(0.7)
    assert s.loc["A", "recommendation"] == "fix_first"
    assert "failing handoff in 70%" in s.loc["A", "rationale"]


def test_an_already_automated_step_is_not_fix_first_but_its_failures_are_named():
    rows = []
    for i in range(20):
        day = i % 28
        seq = [("Import", "SYSTEM"), ("Check", "clerk")]
        if i < 6:
            seq += [("Import", "SYSTEM"), ("Check", "clerk")]
        for j, (act, res) in enumerate(seq):
            rows.append((f"c{i}", act, _t(day, 8 + j), _t(day, 8 + j, 10), res, "T"))
    r = score_readiness(make_log(rows), sensitivity="none")
    s = r.scores.set_index("activity").loc["Import"]
    assert s["already_automated"] and s["recommendation"] == "automate"
    assert s["rework_share"] == pytest.approx(0.3)
    assert "For the orchestration to handle: repeated after other work in 30%" in s["rationale"]
    assert s["fix_first_reasons"] == []
