"""explain_long_waits: a step whose hours lost come from a few long waits says so, with their count."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.bottlenecks import explain_long_waits, find_bottlenecks
from mapper import load_event_log
from mapper.errors import AnalysisError


def _log():
    # 30 cases: A 08:00-08:10, then B. B starts at once (wait 0) in 28 cases; case 28 waits 100 h and
    # case 29 waits 200 h. C follows B after exactly 1 h in every case.
    # B's waits: 28 zeros, 100, 200 -> median 0, p90 0 (the 27th of 30 sorted values), 300 h lost, all
    # of it in 2 waits of 30 (7 %), the longest 200 h = 8.3 d. C's waits are all 1 h: p90 1 h, none
    # longer, so nothing to explain.
    rows = []
    for c in range(30):
        day = pd.Timestamp("2024-01-01 08:00") + pd.Timedelta(days=c)
        wait = {28: 100, 29: 200}.get(c, 0)
        b_start = day + pd.Timedelta(minutes=10) + pd.Timedelta(hours=wait)
        b_end = b_start + pd.Timedelta(minutes=20)
        c_start = b_end + pd.Timedelta(hours=1)
        rows += [
            (f"c{c}", "A", day, day + pd.Timedelta(minutes=10), "ann"),
            (f"c{c}", "B", b_start, b_end, "bob"),
            (f"c{c}", "C", c_start, c_start + pd.Timedelta(minutes=5), "cy"),
        ]
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "start", "end", "resource"])
    return load_event_log(frame, timestamp="end", start_timestamp="start")


@pytest.fixture(scope="module")
def log_and_bottlenecks():
    log = _log()
    return log, find_bottlenecks(log)


def test_a_zero_median_with_hours_lost_is_explained_by_its_few_long_waits(log_and_bottlenecks):
    log, b = log_and_bottlenecks
    row = b.activities.set_index("activity").loc["B"]
    assert (row["waiting_hours_median"], row["waiting_hours_p90"]) == (0, 0)
    assert row["hours_lost_total"] == pytest.approx(300)
    text = explain_long_waits(log, b, "B")
    assert text == (
        "Most cases reach B without waiting (its median and p90 wait are zero). Its 300 hours lost come "
        "from a few long waits: 2 of its 30 waits (7%), the longest 8.3 d."
    )


def test_even_waits_and_no_waits_need_no_explanation(log_and_bottlenecks):
    log, b = log_and_bottlenecks
    assert explain_long_waits(log, b, "C") is None  # every wait 1 h: none above the p90
    assert explain_long_waits(log, b, "A") is None  # first step: no waiting at all


def test_an_unknown_step_is_refused_naming_it(log_and_bottlenecks):
    log, b = log_and_bottlenecks
    with pytest.raises(AnalysisError, match="'Z' is not a step"):
        explain_long_waits(log, b, "Z")


def test_a_step_that_always_waits_names_its_longest_tenth_not_a_few():
    # 40 cases: B waits 1 h in 37 of them and 100, 200, 300 h in the last three. p90 = 1 h (the 36th
    # and 37th of 40 sorted waits are both 1 h); 637 h lost, 600 of them (94 %) in the 3 waits (8 %)
    # above the p90. Those are the step's longest waits, named with their share of all its waits.
    rows = []
    for c in range(40):
        day = pd.Timestamp("2024-01-01 08:00") + pd.Timedelta(days=c)
        wait = {37: 100, 38: 200, 39: 300}.get(c, 1)
        b_start = day + pd.Timedelta(minutes=10) + pd.Timedelta(hours=wait)
        rows += [
            (f"c{c}", "A", day, day + pd.Timedelta(minutes=10), "ann"),
            (f"c{c}", "B", b_start, b_start + pd.Timedelta(minutes=20), "bob"),
        ]
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "start", "end", "resource"])
    log = load_event_log(frame, timestamp="end", start_timestamp="start")
    b = find_bottlenecks(log)
    row = b.activities.set_index("activity").loc["B"]
    assert row["waiting_hours_p90"] == pytest.approx(1.0)
    assert row["hours_lost_total"] == pytest.approx(637)
    text = explain_long_waits(log, b, "B")
    assert text.startswith("94% of the 637 hours lost before B come from its longest waits: the 3 of its 40 ")
    assert "waits (8%) longer than its p90" in text and "a few" not in text
