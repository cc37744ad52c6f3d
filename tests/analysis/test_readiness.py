"""score_readiness: factor values by hand, recommendations by rule."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import score_readiness
from analysis.readiness import RECOMMENDATIONS, WEIGHTS
from tests.conftest import make_log


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


def test_factor_values(readiness):
    s = readiness.scores.set_index("activity")
    check = s.loc["Check", "factors"]
    assert check["volume"]["value"] == pytest.approx(1.0)
    assert check["standardisation"]["value"] == pytest.approx(1.0)  # always Receive before, Decide after
    assert check["processing_variability"]["value"] == pytest.approx(0.0)  # always 10 min
    assert check["rework"]["value"] == 0.0
    assert check["handoffs"]["value"] == pytest.approx(1.0)  # Digital -> Validation -> Assessment
    assert check["system_share"]["value"] == 0.0
    assert s.loc["Receive", "factors"]["system_share"]["value"] == 1.0
    assert s.loc["Approve", "factors"]["volume"]["value"] == pytest.approx(0.5)
    assert {k: v["weight"] for k, v in check.items()} == WEIGHTS


def test_score_is_the_weighted_mean_of_factor_scores(readiness):
    for r in readiness.scores.itertuples():
        known = {k: f for k, f in r.factors.items() if f["score"] is not None}
        expected = (
            100
            * sum(f["score"] * f["weight"] for f in known.values())
            / sum(f["weight"] for f in known.values())
        )
        assert r.score == pytest.approx(expected, abs=0.06)
        assert 0 <= r.score <= 100


def test_recommendations(readiness):
    rec = readiness.scores.set_index("activity")["recommendation"]
    assert rec["Receive"] == "automate"  # done by a system
    assert rec["Check"] == "automate"  # steady, standard, every case
    assert rec["Decide"] in ("ai_assist", "keep_human")  # a decision point: a human decides
    assert readiness.scores.set_index("activity").loc["Decide", "decision_point"]
    assert set(rec) <= set(RECOMMENDATIONS)


def test_rework_loop_is_fix_first():
    rows = []
    for i in range(10):
        day = f"2024-02-{i + 1:02d}"
        rows += [
            (f"c{i}", "Draft", f"{day} 08:00", f"{day} 09:00", "a", "T1"),
            (f"c{i}", "Review", f"{day} 09:00", f"{day} 10:00", "b", "T2"),
        ]
        if i < 3:  # 30% of cases redo the draft
            rows += [
                (f"c{i}", "Draft", f"{day} 10:00", f"{day} 11:00", "a", "T1"),
                (f"c{i}", "Review", f"{day} 11:00", f"{day} 12:00", "b", "T2"),
            ]
    r = score_readiness(make_log(rows)).scores.set_index("activity")
    assert r.loc["Draft", "recommendation"] == "fix_first"
    assert "rework" in r.loc["Draft", "rationale"]
    assert r.loc["Draft", "factors"]["rework"]["value"] == pytest.approx(0.3)


def test_unknown_factors_are_left_out_without_start_times():
    log = _linear_log()
    no_start = log.events.drop(columns=["start_timestamp"])
    from mapper import load_event_log

    r = score_readiness(load_event_log(no_start.drop(columns=["row_nr"]))).scores
    assert all(f["processing_variability"]["value"] is None for f in r["factors"])


def test_bad_weights_rejected():
    with pytest.raises(ValueError, match="unknown factor"):
        score_readiness(_linear_log(3), weights={"speed": 1.0})


def test_input_not_changed():
    log = _linear_log(5)
    before = log.events.copy()
    score_readiness(log)
    pd.testing.assert_frame_equal(log.events, before)


def test_factor_table_breaks_each_score_into_points(readiness):
    t = readiness.factor_table()
    assert len(t) == len(readiness.scores) * len(WEIGHTS)
    assert t["factor"].head(len(WEIGHTS)).tolist() == list(WEIGHTS)
    check = t[t["activity"] == "Check"].set_index("factor")
    # Check: handoffs value 1.0 (every event changes team) scores 0 and adds no points.
    assert check.loc["handoffs", "value"] == pytest.approx(1.0)
    assert check.loc["handoffs", "points"] == 0.0
    assert check.loc["volume", "points"] == pytest.approx(100 * WEIGHTS["volume"])
    sums = t.groupby("activity", sort=False).agg(points=("points", "sum"), score=("score", "first"))
    assert (sums["points"] - sums["score"]).abs().max() < 0.1
    assert t["activity"].drop_duplicates().tolist() == readiness.scores["activity"].tolist()


def test_factor_table_gives_unknown_factors_no_weight():
    log = _linear_log()
    from mapper import load_event_log

    no_start = load_event_log(log.events.drop(columns=["start_timestamp", "row_nr"]))
    t = score_readiness(no_start).factor_table()
    unknown = t[t["factor"] == "processing_variability"]
    assert unknown["value"].isna().all() and (unknown["effective_weight"] == 0).all()
    known = t[t["factor"] != "processing_variability"]
    weights = known.groupby("activity")["effective_weight"].sum()
    assert weights.to_numpy() == pytest.approx(1.0)
