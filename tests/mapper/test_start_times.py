"""Start-time estimation for completion-only logs (pix-framework) and its marks."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.bottlenecks import find_bottlenecks
from mapper import estimate_start_times, load_event_log

# One resource, sequential work. Case 1: A done 10:00, B done 11:00 (B enabled by A at 10:00).
# Case 2: A done 10:30 by the same resource ann, who was busy until 10:00 -> start no earlier than 10:00.
ROWS = pd.DataFrame(
    {
        "case_id": ["1", "1", "2", "2"],
        "activity": ["A", "B", "A", "B"],
        "timestamp": ["2024-01-01T10:00Z", "2024-01-01T11:00Z", "2024-01-01T10:30Z", "2024-01-01T12:00Z"],
        "resource": ["ann", "bob", "ann", "bob"],
    }
)


def _utc(s):
    return pd.Timestamp(s, tz="UTC")


def test_estimates_follow_enablement_and_resource_availability():
    log = load_event_log(ROWS)
    before = log.events.copy()
    estimate = estimate_start_times(log.events)
    ev, report = estimate.events, estimate.report()
    pd.testing.assert_frame_equal(log.events, before)  # input unchanged
    by = ev.set_index(["case_id", "activity"])
    # B of case 1: enabled by A at 10:00, bob free (no earlier work) -> starts 10:00
    assert by.loc[("1", "B"), "start_timestamp"] == _utc("2024-01-01 10:00")
    assert by.loc[("1", "B"), "enabled_timestamp"] == _utc("2024-01-01 10:00")
    # A of case 2: ann was available from 10:00 (end of her previous work) -> starts 10:00
    assert by.loc[("2", "A"), "start_timestamp"] == _utc("2024-01-01 10:00")
    # B of case 2: enabled at 10:30 by A, bob free from 11:00 -> starts 11:00
    assert by.loc[("2", "B"), "start_timestamp"] == _utc("2024-01-01 11:00")
    assert ev["start_estimated"].all()
    assert (ev["start_timestamp"] <= ev["timestamp"]).all()
    assert report["estimated"] == 4 and report["recorded"] == 0
    assert "Chapela-Campa" in report["method"]
    # the result renders, tabulates and plots itself (tests/analysis/test_result_objects.py checks the rest)
    assert estimate.processing_hours().set_index("activity").loc["B", "estimated"] == 2
    assert "4 estimated" in estimate._repr_html_()


def test_recorded_starts_are_kept_and_only_missing_ones_estimated():
    df = ROWS.assign(start=["2024-01-01T09:00Z", None, "2024-01-01T10:05Z", None])
    log = load_event_log(df, start_timestamp="start", estimate_start_times=True)
    ev = log.events.set_index(["case_id", "activity"])
    assert ev.loc[("1", "A"), "start_timestamp"] == _utc("2024-01-01 09:00")
    assert not ev.loc[("1", "A"), "start_estimated"]
    assert ev.loc[("2", "B"), "start_estimated"]
    d = log.quality.details["start_time_estimation"]
    assert (d["estimated"], d["recorded"]) == (2, 2)
    assert any("ESTIMATED" in n for n in log.quality.notes)


def test_estimated_starts_are_marked_in_summary_findings_and_report(tmp_path):
    from analysis.findings import analyze
    from analysis.report import export_report

    log = load_event_log(ROWS, estimate_start_times=True)
    assert log.has_estimated_start_times and log.has_start_timestamps
    assert log.summary()["start_times_estimated"] is True
    f = analyze(log, impact="analytical")
    assert f.to_dict()["process"]["start_times_estimated"] is True
    assert not find_bottlenecks(log).waiting_includes_processing
    html = export_report(f, tmp_path / "r.html").read_text()
    assert "Start times were <b>estimated</b>" in html


def test_a_log_with_every_start_recorded_is_left_alone():
    df = ROWS.assign(start=["2024-01-01T09:00Z"] * 2 + ["2024-01-01T10:05Z"] * 2)
    log = load_event_log(df, start_timestamp="start", estimate_start_times=True)
    assert "start_estimated" not in log.events
    assert "Every event has a recorded start time; no start time was estimated." in log.quality.notes


@pytest.mark.slow
def test_estimation_on_a_real_completion_only_log():
    from tests.conftest import shared_log

    log = load_event_log(shared_log("helpdesk.xes.gz"), estimate_start_times=True)
    ev = log.events
    assert ev["start_estimated"].all()
    assert (ev["start_timestamp"] <= ev["timestamp"]).all()
    assert ev["start_timestamp"].notna().all()
    assert log.quality.details["start_time_estimation"]["estimated"] == 21348
