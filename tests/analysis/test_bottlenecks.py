"""find_bottlenecks on a hand-made log whose answers are worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import find_bottlenecks
from mapper.errors import AnalysisError
from tests.conftest import make_log

ROWS = [
    # case, activity, start, end, resource, role
    ("c1", "A", "2024-01-01 08:00", "2024-01-01 09:00", "r1", "T1"),
    ("c1", "B", "2024-01-01 10:00", "2024-01-01 11:00", "r2", "T2"),
    ("c1", "A", "2024-01-01 13:00", "2024-01-01 14:00", "r1", "T1"),
    ("c1", "B", "2024-01-01 14:00", "2024-01-01 16:00", "r2", "T2"),
    ("c1", "C", "2024-01-01 16:30", "2024-01-01 17:00", "r3", "T1"),
    ("c2", "A", "2024-01-01 08:00", "2024-01-01 08:30", "r1", "T1"),
    ("c2", "C", "2024-01-01 09:30", "2024-01-01 10:00", "r3", "T1"),
    ("c3", "A", "2024-01-01 00:00", "2024-01-01 01:00", "r1", "T1"),
]


@pytest.fixture(scope="module")
def log():
    return make_log(ROWS)


@pytest.fixture(scope="module")
def result(log):
    return find_bottlenecks(log)


def test_activities_ranked_by_hours_lost(result):
    a = result.activities.set_index("activity")
    # Waits: A [2h] (c1 second A), B [1h, 0h], C [0.5h, 1h]; first events have none.
    assert a.loc["A", "hours_lost_total"] == pytest.approx(2.0)
    assert a.loc["B", "hours_lost_total"] == pytest.approx(1.0)
    assert a.loc["C", "hours_lost_total"] == pytest.approx(1.5)
    assert result.activities["activity"].tolist() == ["A", "C", "B"]
    assert result.activities["rank"].tolist() == [1, 2, 3]
    assert a.loc["A", "share_of_waiting"] == pytest.approx(2 / 4.5)
    # The first event of a case has no waiting time (not a wait of 0): A has a single wait.
    assert a.loc["A", "waiting_hours_median"] == pytest.approx(2.0)
    assert result.activities["share_of_waiting"].sum() == pytest.approx(1.0)


def test_median_and_p90_are_linear_quantiles(result):
    a = result.activities.set_index("activity")
    assert a.loc["B", "waiting_hours_median"] == pytest.approx(0.5)
    assert a.loc["B", "waiting_hours_p90"] == pytest.approx(0.9)
    assert a.loc["C", "waiting_hours_median"] == pytest.approx(0.75)
    assert a.loc["C", "waiting_hours_p90"] == pytest.approx(0.95)


def test_processing_times_from_start_timestamps(result):
    a = result.activities.set_index("activity")
    assert a.loc["A", "processing_hours_median"] == pytest.approx(1.0)
    assert a.loc["B", "processing_hours_median"] == pytest.approx(1.5)
    assert a.loc["C", "processing_hours_median"] == pytest.approx(0.5)
    assert result.waiting_includes_processing is False


def test_transitions(result):
    t = result.transitions.set_index(["source", "target"])
    assert t.loc[("A", "B"), "frequency"] == 2
    assert t.loc[("A", "B"), "hours_lost_total"] == pytest.approx(1.0)  # 1h + 0h
    assert t.loc[("B", "A"), "hours_lost_total"] == pytest.approx(2.0)
    assert t.loc[("A", "C"), "waiting_hours_median"] == pytest.approx(1.0)


def test_cycle_times_end_activities_and_stuck_cases(result):
    assert result.end_activities == ["C"]  # A ends 1 of its 3 cases; C ends both of its cases
    assert result.cycle["closed_cases"] == 2 and result.cycle["open_cases"] == 1
    assert result.cycle["median"] == pytest.approx(5.5)  # 9h and 2h
    # c3 is open and 17h old at the end of the log (17:00), above the p95 of 2h/9h (8.65h).
    assert result.cycle["p95"] == pytest.approx(8.65)
    assert result.stuck_cases["case_id"].tolist() == ["c3"]
    assert result.stuck_cases["age_hours"].iloc[0] == pytest.approx(17.0)
    assert result.stuck_cases["started"].iloc[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")


def test_explicit_end_activities(log):
    r = find_bottlenecks(log, end_activities=["A", "C"])
    assert r.cycle["open_cases"] == 0 and r.stuck_cases.empty
    with pytest.raises(AnalysisError, match="'Z'"):
        find_bottlenecks(log, end_activities=["Z"])


def test_completion_only_log_has_no_processing_time():
    log = make_log(
        [(c, a, e, r) for c, a, _, e, r, _ in ROWS], columns=("case_id", "activity", "end", "resource")
    )
    r = find_bottlenecks(log)
    assert r.waiting_includes_processing is True
    assert r.activities["processing_hours_median"].map(math.isnan).all()
    # Without start times, the wait before B in c1 is 11:00 - 09:00.
    b = r.transitions.set_index(["source", "target"])
    assert b.loc[("A", "B"), "hours_lost_total"] == pytest.approx(2.0 + 2.0)


def test_input_frame_not_changed(log):
    before = log.events.copy()
    find_bottlenecks(log)
    pd.testing.assert_frame_equal(log.events, before)
