"""find_bottlenecks on a hand-made log whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import find_bottlenecks
from analysis.bottlenecks import CAUSE_COLUMNS, OFF_HOURS_SHARE
from analysis.waiting import build_calendars, find_waiting_causes
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
    # Too few events for calendars: everyone is taken as always on, every wait is fixable (here the
    # performers are idle: extraneous), so the ranking by fixable hours is the ranking by hours lost.
    a = result.activities.set_index("activity")
    assert (a["fixable_hours"] == a["hours_lost_total"]).all()
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


# A step whose wait is only the night (clerk: office hours) and a step with a real queue (the bot is busy).
RANKING_ROWS = [
    # n1: received Mon 16:50, done by the clerk Tue 09:00: 16 h 10 min, of which 16 h off duty.
    ("n1", "Receive", "2024-01-01 16:50", "2024-01-01 16:50", "portal", "Digital"),
    ("n1", "Night", "2024-01-02 09:00", "2024-01-02 09:10", "clerk", "Office"),
    # q1 is taken at once; q2 (enabled 10:30) waits 1.5 h while the bot does q1 (enabled 10:00): contention.
    ("q1", "Receive", "2024-01-01 10:00", "2024-01-01 10:00", "portal", "Digital"),
    ("q1", "Queue", "2024-01-01 10:00", "2024-01-01 12:00", "bot", "Digital"),
    ("q2", "Receive", "2024-01-01 10:30", "2024-01-01 10:30", "portal", "Digital"),
    ("q2", "Queue", "2024-01-01 12:00", "2024-01-01 12:30", "bot", "Digital"),
]


@pytest.fixture(scope="module")
def ranked():
    log = make_log(RANKING_ROWS)
    cals = build_calendars({"clerk": "Mon-Fri 09:00-17:00", "bot": "24/7", "portal": "24/7"})
    return find_bottlenecks(log, causes=find_waiting_causes(log, calendars=cals))


def test_off_hours_step_ranked_after_every_bottleneck(ranked):
    a = ranked.activities
    assert a["activity"].tolist() == ["Queue", "Night", "Receive"]
    assert a["rank"].tolist() == [1, 2, 3]
    night = a.set_index("activity").loc["Night"]
    # 16 h of 16 h 10 min is unavailability (99% >= OFF_HOURS_SHARE): reported, not a bottleneck, though it
    # loses ten times the hours of the queue; its 10 min before 17:00 are extraneous.
    assert night["hours_lost_total"] == pytest.approx(16 + 1 / 6)
    assert night["unavailability_hours"] == pytest.approx(16.0)
    assert night["unavailability_hours"] / night["hours_lost_total"] >= OFF_HOURS_SHARE
    assert night["off_hours_only"] and not night["bottleneck"]
    assert night["dominant_cause"] == "unavailability" and night["remedy"] == "scheduling, not capacity"
    queue = a.set_index("activity").loc["Queue"]
    assert queue["bottleneck"] and not queue["off_hours_only"]
    assert queue["contention_hours"] == queue["fixable_hours"] == pytest.approx(1.5)
    assert queue["remedy"] == "capacity / automation"
    assert queue["working_hours_total"] == pytest.approx(1.5)
    # A step with no waiting at all is neither.
    receive = a.set_index("activity").loc["Receive"]
    assert not receive["bottleneck"] and not receive["off_hours_only"] and receive["dominant_cause"] == "none"


def test_causes_only_add_columns(ranked, result):
    before = [
        "rank",
        "activity",
        "cases",
        "events",
        "waiting_hours_median",
        "waiting_hours_p90",
        "waiting_hours_mean",
        "processing_hours_median",
        "processing_hours_p90",
        "hours_lost_total",
        "share_of_waiting",
    ]
    assert ranked.activities.columns.tolist() == before + CAUSE_COLUMNS
    assert ranked.activities["rank"].dtype.kind == "i"
    assert ranked.activities["off_hours_only"].dtype == bool and ranked.activities["bottleneck"].dtype == bool
    causes = ranked.activities[[f"{c}_hours" for c in ("batching", "contention", "prioritisation")]]
    assert causes.to_numpy().dtype == np.float64
    assert ranked.causes is not None and ranked.calendars is ranked.causes.calendars
    assert result.causes.start_times == "recorded"


def test_plot_shows_causes(ranked):
    fig = ranked.plot()
    assert {t.name.split(" ")[0] for t in fig.data} == {"contention", "unavailability", "extraneous"}
    assert list(fig.data[0].y) == ["Receive", "Night", "Queue"]  # drawn bottom-up in rank order


def test_causes_must_be_waiting_causes(log):
    with pytest.raises(AnalysisError, match="causes"):
        find_bottlenecks(log, causes="contention")


def test_sample_office_hours_step_is_not_a_bottleneck(sample_findings, truth):
    a = sample_findings.bottlenecks.activities.set_index("activity")
    unavailable = truth["waiting_causes"]["unavailability"]
    assert a.loc[unavailable, "off_hours_only"] and not a.loc[unavailable, "bottleneck"]
    assert a.loc[unavailable, "rank"] > 5
    assert a.loc[unavailable, "rank"] > a.loc[a["bottleneck"], "rank"].max()
    # The understaffed step is the top bottleneck, with its remedy.
    top = sample_findings.bottlenecks.activities.iloc[0]
    assert top["activity"] == truth["waiting_causes"]["contention"]
    assert top["remedy"] == "capacity / automation"
    for cause, activity in truth["waiting_causes"].items():
        assert a.loc[activity, "dominant_cause"] == cause
