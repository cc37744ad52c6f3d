"""find_handoffs / find_rework on the hand-made log of test_bottlenecks."""

from __future__ import annotations

import pytest

from analysis import find_handoffs, find_rework
from mapper.errors import AnalysisError
from tests.analysis.test_bottlenecks import ROWS
from tests.conftest import make_log


@pytest.fixture(scope="module")
def log():
    return make_log(ROWS)


def test_resource_handoffs(log):
    h = find_handoffs(log, level="resource").set_index(["source", "target"])
    assert sorted(h.index) == [("r1", "r2"), ("r1", "r3"), ("r2", "r1"), ("r2", "r3")]
    assert h.loc[("r1", "r2"), "count"] == 2 and h.loc[("r1", "r2"), "cases"] == 1
    assert h.loc[("r1", "r2"), "delay_hours_median"] == pytest.approx(0.5)  # 1h and 0h
    assert h.loc[("r2", "r1"), "delay_hours_median"] == pytest.approx(2.0)
    assert h.loc[("r1", "r3"), "delay_hours_median"] == pytest.approx(1.0)
    # r1 -> r2 -> r1 with A redone, then r1 -> r2 with B redone: a ping-pong in both directions.
    assert h.loc[("r1", "r2"), "ping_pong_cases"] == 1
    assert h.loc[("r2", "r1"), "ping_pong_cases"] == 1
    assert h.loc[("r2", "r3"), "ping_pong_cases"] == 0
    assert (h["level"] == "resource").all()


def test_role_handoffs(log):
    h = find_handoffs(log, level="role").set_index(["source", "target"])
    assert sorted(h.index) == [("T1", "T2"), ("T2", "T1")]
    assert h.loc[("T1", "T2"), "count"] == 2 and h.loc[("T2", "T1"), "count"] == 2
    assert h.loc[("T1", "T2"), "ping_pong_cases"] == 1


def test_return_for_new_work_is_not_ping_pong():
    # Intake system -> clerk -> intake system for a new step: work returns, nothing is redone.
    log = make_log(
        [
            ("c1", "Receive", "2024-01-01 08:00", "2024-01-01 08:01", "Portal", "Digital"),
            ("c1", "Check", "2024-01-01 08:05", "2024-01-01 08:15", "clerk", "Validation"),
            ("c1", "Fee", "2024-01-01 08:15", "2024-01-01 08:16", "SYSTEM", "Digital"),
        ]
    )
    h = find_handoffs(log, level="role")
    assert h["ping_pong_cases"].sum() == 0
    assert not h["failing"].any()


def test_missing_resources_break_the_chain():
    log = make_log(
        [
            ("c1", "A", None, "2024-01-01 08:00", "r1"),
            ("c1", "B", None, "2024-01-01 09:00", None),
            ("c1", "C", None, "2024-01-01 10:00", "r2"),
            ("c2", "A", None, "2024-01-01 08:00", "r1"),
            ("c2", "C", None, "2024-01-01 09:00", "r2"),
        ],
        columns=("case_id", "activity", "start", "end", "resource"),
    )
    h = find_handoffs(log, level="resource")
    assert h[["source", "target", "count"]].values.tolist() == [["r1", "r2", 1]]


def test_no_role_column_gives_empty_table(log):
    no_roles = make_log([r[:5] for r in ROWS], columns=("case_id", "activity", "start", "end", "resource"))
    h = find_handoffs(no_roles, level="role")
    assert h.empty and "ping_pong_cases" in h.columns
    with pytest.raises(AnalysisError):
        find_handoffs(log, level="team")  # type: ignore[arg-type]


def test_rework(log):
    r = find_rework(log).set_index("activity")
    assert r.loc["A", "cases"] == 3 and r.loc["A", "cases_with_rework"] == 1
    assert r.loc["A", "share"] == pytest.approx(1 / 3)
    assert r.loc["B", "share"] == pytest.approx(1.0) and r.loc["B", "repeats"] == 1
    assert r.loc["C", "cases_with_rework"] == 0
    assert find_rework(log)["activity"].iloc[0] == "B"


def test_named_performers_who_never_hand_over_give_an_empty_typed_table():
    from analysis import analyze

    log = make_log(
        [
            ("c1", "A", None, "2024-01-01 08:00", "r1"),
            ("c1", "B", None, "2024-01-01 09:00", "r1"),
            ("c2", "A", None, "2024-01-02 08:00", "r2"),
        ],
        columns=("case_id", "activity", "start", "end", "resource"),
    )
    h = find_handoffs(log, level="resource")
    assert h.empty and h["failure"].dtype == object and h["failing"].dtype == bool
    assert analyze(log).readiness.scores["recommendation"].notna().all()
