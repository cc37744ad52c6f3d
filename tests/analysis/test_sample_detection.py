"""The analysis finds every problem planted in the simulated council log, and ranks it where it should.

What is planted is written down in sample_logs/README.md and sample_logs/truth.json.
"""

from __future__ import annotations

import pytest


def test_counts_match_the_generator(sample_findings, truth):
    s = sample_findings.summary
    assert s["cases"] == truth["n_cases"]
    assert s["events"] == truth["n_events"]
    assert sample_findings.quality.rows_dropped == 0


def test_understaffed_step_is_the_top_bottleneck(sample_findings, truth):
    b = sample_findings.bottlenecks.activities
    assert b["activity"].iloc[0] == truth["bottleneck_rank_1"] == truth["understaffed_activity"]
    waits = truth["measured"]["total_waiting_hours"]
    expected = waits[truth["understaffed_activity"]] / sum(waits.values())
    assert b["share_of_waiting"].iloc[0] == pytest.approx(expected, abs=0.01)


def test_batched_step_is_the_second_bottleneck(sample_findings, truth):
    b = sample_findings.bottlenecks.activities
    assert b["activity"].iloc[1] == truth["bottleneck_rank_2"] == truth["batch_activity"]
    # Together the two planted queues hold most of the waiting in the log.
    waits = truth["measured"]["total_waiting_hours"]
    expected = (waits[truth["bottleneck_rank_1"]] + waits[truth["bottleneck_rank_2"]]) / sum(waits.values())
    assert b["share_of_waiting"].iloc[:2].sum() == pytest.approx(expected, abs=0.01)


def test_ping_pong_between_the_two_teams_is_the_top_ping_pong(sample_findings, truth):
    h = sample_findings.handoffs
    roles = h[h["level"] == "role"].sort_values("ping_pong_cases", ascending=False)
    top = roles.iloc[0]
    assert {top["source"], top["target"]} == set(truth["ping_pong_roles"])
    assert top["failing"] and "ping-pong" in top["failure"]
    rec = sample_findings.readiness.scores.set_index("activity")["recommendation"]
    for activity in truth["ping_pong_activities"]:
        assert rec[activity] == "fix_first"


def test_rework_loop_found(sample_findings, truth):
    r = sample_findings.rework.set_index("activity")
    loop = truth["rework_activity"]
    assert r.loc[loop, "share"] == pytest.approx(0.27, abs=0.08)  # ~25% of reviews fail, some twice
    # The loop is among the two most reworked steps (the Highways ping-pong also repeats its consultation).
    by_cases = sample_findings.rework.sort_values("cases_with_rework", ascending=False)["activity"]
    assert loop in by_cases.iloc[:2].tolist()
    rec = sample_findings.readiness.scores.set_index("activity")
    assert rec.loc[loop, "recommendation"] == "fix_first"
    assert "rework" in rec.loc[loop, "rationale"]


def test_rule_like_step_is_the_top_human_automation_candidate(sample_findings, truth):
    s = sample_findings.readiness.scores.set_index("activity")
    cand = truth["automation_candidate"]
    assert s.loc[cand, "recommendation"] == "automate"
    human = s.drop(index=truth["system_activities"])
    assert human["score"].idxmax() == cand
    for activity in truth["system_activities"]:
        assert s.loc[activity, "recommendation"] == "automate"
        assert s.loc[activity, "factors"]["system_share"]["value"] == pytest.approx(1.0)


def test_judgment_step_keeps_a_human_and_an_approval_checkpoint(sample_findings, truth):
    s = sample_findings.readiness.scores.set_index("activity")
    judge = truth["judgment_activity"]
    assert s.loc[judge, "decision_point"]
    assert s.loc[judge, "recommendation"] in ("ai_assist", "keep_human")
    steps = sample_findings.blueprint.steps.set_index("activity")
    assert steps.loc[judge, "approval_checkpoint"]
    assert judge in sample_findings.blueprint.governance["approval_checkpoints"]


def test_open_cases_are_found_and_end_activity_detected(sample_findings, truth):
    b = sample_findings.bottlenecks
    assert b.end_activities == truth["end_activities"]
    assert b.cycle["open_cases"] == truth["open_cases"]


def test_verdict_is_orchestrate_first_with_the_planted_reasons(sample_findings):
    v = sample_findings.verdict
    assert v.orchestrate_first
    text = " ".join(v.reasons)
    assert "rework" in text and "ping-pong" in text and "Assess application" in text


def test_blueprint_routes_the_failing_handoffs(sample_findings, truth):
    orch = sample_findings.blueprint.orchestration
    assert set(truth["ping_pong_activities"]) & set(orch["before_activity"])
    assert (orch["sla_hours"] >= 0).all()
