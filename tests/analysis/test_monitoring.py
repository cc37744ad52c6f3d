"""The KPI baseline and monitoring plan, and its re-measurement on a later log (issue 12)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis import analyze
from analysis.cli import app
from analysis.compare import measure_log
from analysis.monitoring import (
    PLAN_SCHEMA,
    MonitoringPlan,
    build_monitoring_plan,
    compare_to_baseline,
    load_monitoring_plan,
    mover_interval,
)
from mapper import load_event_log
from mapper.errors import AnalysisError
from tests.analysis.test_compare import AFTER_ROWS, BEFORE_ROWS
from tests.conftest import make_log

FAST = 2_000


@pytest.fixture(scope="module")
def before():
    return make_log(BEFORE_ROWS)


@pytest.fixture(scope="module")
def after():
    return make_log(AFTER_ROWS)


@pytest.fixture(scope="module")
def plan(before) -> MonitoringPlan:
    return build_monitoring_plan(analyze(before, sensitivity=False, impact="off"), resamples=FAST)


def kpi(plan_or_result, name: str) -> pd.Series:
    t = plan_or_result.kpis
    return t[t["kpi"] == name].iloc[0]


# --- one log, measured: the hand-made A -> B -> C log ------------------------------------------------------


def test_measure_log_worked_by_hand(before):
    # waits before B: 4, 6, 8, 10 h, ten cases each; a case lasts wait + 3 h; B takes 1 h
    m = measure_log(before, resamples=FAST).values.set_index(["activity", "measure"])
    assert m.loc[("", "cycle_hours_median"), "value"] == 9.0  # type-1 median: the 20th of 40
    assert m.loc[("", "cycle_hours_p90"), "value"] == 13.0  # the 36th
    assert m.loc[("", "waiting_hours_per_case_median"), "value"] == 7.0  # wait before B + 1 h before C
    assert m.loc[("", "rework_rate"), "value"] == 0.0
    assert m.loc[("B", "waiting_hours_median"), "value"] == 6.0
    assert m.loc[("B", "processing_hours_median"), "value"] == 1.0
    assert (
        m.loc[("", "cycle_hours_median"), "n"] == 40
        and m.loc[("B", "waiting_hours_median"), "population"] == 40
    )
    r = m.loc[("", "cycle_hours_median")]
    assert r["ci_low"] <= 9.0 <= r["ci_high"] and r["ci_low"] >= 7.0 and r["ci_high"] <= 13.0
    assert len(r["distribution"]) == 201 and r["distribution"] == sorted(r["distribution"])


def test_measure_log_is_compare_logs_on_each_side(before, after):
    # the same code: each value equals compare_logs' before/after value
    from analysis.compare import compare_logs

    c = compare_logs(before, after, resamples=FAST)
    mb = measure_log(before, resamples=FAST).values
    ma = measure_log(after, resamples=FAST).values
    for side, m in (("before", mb), ("after", ma)):
        p = m[m["level"] == "process"].set_index("measure")["value"]
        want = c.process.set_index("measure")[side]
        for measure in ("cycle_hours_median", "cycle_hours_p90", "rework_rate", "events_per_case"):
            assert p[measure] == pytest.approx(want[measure])


# --- the plan --------------------------------------------------------------------------------------------


def test_plan_kpis_and_exclusions(plan):
    kpis = set(plan.kpis["kpi"])
    assert {"cycle_hours_median", "cycle_hours_p90", "waiting_hours_median: B"} <= kpis
    assert (
        kpi(plan, "cycle_hours_median")["baseline"] == 9.0
        and kpi(plan, "cycle_hours_median")["unit"] == "hours"
    )
    assert kpi(plan, "waiting_hours_median: B")["why"].startswith("bottleneck #1")
    excluded = plan.excluded.set_index("kpi")["reason"]
    assert "baseline of 0" in excluded["rework_rate"]  # nobody repeats a step: nothing to reduce
    assert "export" in excluded["stuck_cases"]
    assert (plan.kpis["baseline"] != 0).all() and plan.kpis["baseline"].notna().all()
    assert set(plan.kpis["better_when"]) <= {"lower", "higher", "neutral"}


def test_min_cases_follows_the_two_sample_formula(plan):
    from scipy import stats

    r = kpi(plan, "cycle_hours_median")
    se = (r["ci_high"] - r["ci_low"]) / (2 * stats.norm.ppf(0.975))
    delta = max(0.10 * r["baseline"], 0.25)  # no expected change: the smallest relevant one
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    values = max(10, math.ceil(2 * r["n"] * (z * se / delta) ** 2))
    assert r["detectable_change"] == pytest.approx(0.10)
    assert r["min_cases"] == math.ceil(values / r["values_per_case"])
    per_day = plan.settings["cases_per_month"] / (730.5 / 24)
    assert r["review_after_days"] == pytest.approx(
        r["min_cases"] / per_day + plan.settings["cycle_hours_p90"] / 24
    )


def test_expected_change_and_simulated_target(before, plan):
    f = analyze(before, sensitivity=False, impact="off")
    p = build_monitoring_plan(f, expected={"waiting_hours_median: B": -0.5}, resamples=FAST)
    r = kpi(p, "waiting_hours_median: B")
    assert r["expected_change"] == -0.5 and r["target"] == 3.0 and r["expected_source"] == "given"
    # a larger expected change needs fewer cases than the smallest relevant one
    assert r["min_cases"] <= kpi(plan, "waiting_hours_median: B")["min_cases"]
    sim = plan.with_expected({"cycle_hours_median": 6.0})
    s = kpi(sim, "cycle_hours_median")
    assert (
        s["simulated_target"] == 6.0 and s["target"] == 6.0 and s["expected_change"] == pytest.approx(-1 / 3)
    )
    assert s["expected_source"] == "simulation"
    assert np.isnan(kpi(plan, "cycle_hours_median")["simulated_target"])  # the plan itself is unchanged
    with pytest.raises(AnalysisError, match="does not track"):
        plan.with_expected({"nonsense": 1.0})
    with pytest.raises(AnalysisError, match="expected"):
        build_monitoring_plan(f, expected={"cycle_hours_median": "fast"}, resamples=FAST)


def test_plan_json_round_trip(plan, tmp_path):
    path = plan.to_json(tmp_path / "kpi_baseline.json")
    doc = json.loads(path.read_text())
    assert doc["schema"] == PLAN_SCHEMA and doc["kpis"] and doc["excluded"]
    back = load_monitoring_plan(path)
    pd.testing.assert_frame_equal(
        back.kpis.drop(columns="distribution"), plan.kpis.drop(columns="distribution"), check_dtype=False
    )
    assert back.settings["period_hours"] == plan.settings["period_hours"]
    assert "<b>KPI baseline" in plan._repr_html_()


def test_load_monitoring_plan_errors(tmp_path):
    with pytest.raises(AnalysisError, match="no such KPI baseline"):
        load_monitoring_plan(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(AnalysisError, match="not a JSON KPI baseline"):
        load_monitoring_plan(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"source": "x"}')
    with pytest.raises(AnalysisError, match="not a KPI baseline"):
        load_monitoring_plan(tmp_path / "other.json")


def test_a_log_too_small_to_measure_gives_an_empty_plan():
    # three cases: no interval can be computed, so nothing is offered, and each exclusion says why
    f = analyze(make_log(BEFORE_ROWS[:9]), sensitivity=False, impact="off")
    p = build_monitoring_plan(f, resamples=200)
    assert p.kpis.empty and list(p.kpis.columns)[:3] == ["kpi", "level", "activity"]
    assert any("fewer than" in r for r in p.excluded["reason"])
    json.dumps(p.to_dict(), allow_nan=False)
    assert compare_to_baseline(p, make_log(BEFORE_ROWS)).kpis.empty


# --- re-measuring ----------------------------------------------------------------------------------------


def test_same_log_nothing_changed(plan, before):
    c = compare_to_baseline(plan, before)
    assert not c.kpis["changed"].any() and (c.kpis["difference"] == 0).all()
    assert set(c.kpis["direction"]) == {"no change"}


def test_halved_wait_is_found_on_the_right_kpi(plan, after):
    c = compare_to_baseline(plan, after)
    r = kpi(c, "waiting_hours_median: B")
    assert (r["baseline"], r["after"]) == (6.0, 3.0) and r["relative_change"] == -0.5
    assert r["changed"] and r["direction"] == "better" and r["ci_high"] < 0
    assert kpi(c, "cycle_hours_median")["after"] == 6.0
    assert set(c.kpis.loc[c.kpis["changed"], "direction"]) == {"better"}
    json.dumps(c.to_dict(), allow_nan=False)


def test_target_met_or_not(plan, after):
    sim = plan.with_expected({"waiting_hours_median: B": 3.0, "cycle_hours_median": 4.0})
    c = compare_to_baseline(sim, after)
    assert kpi(c, "waiting_hours_median: B")["met_target"] is True
    assert kpi(c, "cycle_hours_median")["met_target"] is False
    assert kpi(c, "cycle_hours_p90")["met_target"] is None


def test_mover_by_hand():
    iv = mover_interval(10.0, 8.0, 12.0, 7.0, 6.0, 8.0)
    assert iv["difference"] == -3.0
    assert iv["low"] == pytest.approx(-3.0 - math.sqrt(1.0**2 + 2.0**2))
    assert iv["high"] == pytest.approx(-3.0 + math.sqrt(1.0**2 + 2.0**2))


def test_compare_to_baseline_reads_a_path_and_rejects_nonsense(plan, after, tmp_path):
    path = plan.to_json(tmp_path / "kpi_baseline.json")
    a = compare_to_baseline(path, after).kpis
    b = compare_to_baseline(plan, after).kpis
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(AnalysisError, match="plan must be"):
        compare_to_baseline(42, after)
    with pytest.raises(AnalysisError, match="alpha"):
        compare_to_baseline(plan, after, alpha=2)


def test_inputs_unchanged(before, after, plan):
    events = before.events.copy()
    kpis = plan.kpis.copy()
    compare_to_baseline(plan, after)
    build_monitoring_plan(analyze(before, sensitivity=False, impact="off"), resamples=200)
    pd.testing.assert_frame_equal(before.events, events)
    pd.testing.assert_frame_equal(plan.kpis, kpis)


# --- the planted change of the bundled sample -----------------------------------------------------------


def _sample_log(seed: int, officers: int = 2):
    from sample_logs.generate import Params, generate

    frame = generate(1000, seed, dataclasses.replace(Params(), officers=officers))
    return load_event_log(frame, start_timestamp="start_time", timestamp="end_time")


@pytest.fixture(scope="module")
def sample_plan(truth):
    before = _sample_log(truth["planted_change"]["seed"])
    return build_monitoring_plan(analyze(before, sensitivity=False, impact="off"))


def test_sample_baseline_finds_the_planted_change(sample_plan, truth):
    change = truth["planted_change"]
    after = _sample_log(change["seed"], officers=change["params"]["officers"])
    c = compare_to_baseline(sample_plan, after)
    r = kpi(c, f"waiting_hours_median: {change['changed_activity']}")
    assert r["changed"] and r["direction"] == "better" and r["relative_change"] < -0.5
    assert set(c.kpis.loc[c.kpis["changed"], "direction"]) == {"better"}
    # the plan tracks it because it is the top bottleneck
    assert kpi(sample_plan, f"waiting_hours_median: {change['changed_activity']}")["why"].startswith(
        "bottleneck #1"
    )


def test_sample_no_change_where_none_was_made(sample_plan, truth):
    c = compare_to_baseline(sample_plan, _sample_log(truth["planted_change"]["seed"] + 1))
    assert not c.kpis["changed"].any()


# --- the command line -------------------------------------------------------------------------------------


def test_cli_analyze_writes_the_baseline_and_compare_reads_it(tmp_path):
    runner = CliRunner()
    before, after = tmp_path / "before.csv", tmp_path / "after.csv"
    cols = ["case_id", "activity", "start", "end", "resource", "role"]
    pd.DataFrame(BEFORE_ROWS, columns=cols).to_csv(before, index=False)
    pd.DataFrame(AFTER_ROWS, columns=cols).to_csv(after, index=False)
    out = tmp_path / "out"
    r = runner.invoke(
        app, ["analyze", str(before), "--out", str(out), "--start-timestamp", "start", "--timestamp", "end"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads((out / "kpi_baseline.json").read_text())["schema"] == PLAN_SCHEMA
    out2 = tmp_path / "out2"
    r = runner.invoke(
        app,
        [
            "compare",
            "--baseline",
            str(out / "kpi_baseline.json"),
            str(after),
            "--out",
            str(out2),
            "--start-timestamp",
            "start",
            "--timestamp",
            "end",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads((out2 / "baseline_comparison.json").read_text())
    row = next(k for k in doc["kpis"] if k["kpi"] == "waiting_hours_median: B")
    assert row["changed"] and row["direction"] == "better"
    assert (out2 / "baseline_comparison.csv").exists()
    r = runner.invoke(app, ["compare", "--baseline", str(out / "kpi_baseline.json"), str(before), str(after)])
    assert r.exit_code == 2 and "one log" in r.output


def test_a_simulated_impact_sets_the_expected_changes(sample_findings):
    # analyze() simulated the blueprint: the plan's targets come from it, as relative changes applied to
    # the observed baselines (cycle time from the summary, steps from the per-activity waits).
    f = sample_findings
    plan = build_monitoring_plan(f, resamples=FAST)
    k = plan.kpis.set_index("kpi")
    s = f.impact.summary.set_index("metric")
    want = s.loc["cycle_hours_median", "to_be"] / s.loc["cycle_hours_median", "as_is"] - 1
    assert k.loc["cycle_hours_median", "expected_change"] == pytest.approx(want)
    assert k.loc["cycle_hours_median", "expected_source"] == "simulation"
    assert k.loc["cycle_hours_median", "simulated_target"] == pytest.approx(
        k.loc["cycle_hours_median", "baseline"] * (1 + want)
    )
    # the weekly letter batch goes with automation: the wait before Send decision letter falls most
    letter = k.loc["waiting_hours_median: Send decision letter", "expected_change"]
    assert letter < -0.5
    # an automated step is expected to take the simulation's automated duration
    seconds = f.impact.parameters["automated_seconds"]
    r = k.loc["processing_hours_median: Validate documents"]
    assert r["simulated_target"] == pytest.approx(seconds / 3600)
