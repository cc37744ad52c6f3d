"""End to end on the bundled sample: ``analyze()`` finds every problem planted, and ranks it as planted.

What is planted is written down in sample_logs/README.md and sample_logs/truth.json (version 2). The
modules have their own, finer detection tests (test_waiting, test_handoffs, test_performers,
test_readiness, test_performance); these check what a reader of the findings sees.
"""

from __future__ import annotations

import pytest


def test_counts_match_the_generator(sample_findings, truth):
    s = sample_findings.summary
    assert s["cases"] == truth["n_cases"]
    assert s["events"] == truth["n_events"]
    assert sample_findings.quality.rows_dropped == 0
    assert not s["roles_discovered"]


def test_understaffed_step_is_the_top_bottleneck_by_contention(sample_findings, truth):
    b = sample_findings.bottlenecks.activities
    assert b["activity"].iloc[0] == truth["bottleneck_rank_1"] == truth["understaffed_activity"]
    assert b["dominant_cause"].iloc[0] == "contention"
    waits = truth["measured"]["total_waiting_hours"]
    expected = waits[truth["understaffed_activity"]] / sum(waits.values())
    assert b["share_of_waiting"].iloc[0] == pytest.approx(expected, abs=0.01)


def test_every_planted_cause_dominates_its_step(sample_findings, truth):
    b = sample_findings.bottlenecks.activities.set_index("activity")
    for cause, activity in truth["waiting_causes"].items():
        assert b.loc[activity, "dominant_cause"] == cause, activity


def test_the_office_hours_step_is_reported_but_not_a_bottleneck(sample_findings, truth):
    b = sample_findings.bottlenecks.activities.set_index("activity")
    step = truth["waiting_causes"]["unavailability"]
    assert b.loc[step, "off_hours_only"] and not b.loc[step, "bottleneck"]
    assert b.loc[step, "rank"] > 5
    assert b.loc[step, "remedy"] == "scheduling, not capacity"


def test_the_batched_step_waits_on_its_batch(sample_findings, truth):
    b = sample_findings.bottlenecks
    assert b.activities.set_index("activity").loc[truth["batch_activity"], "dominant_cause"] == "batching"
    batches = b.causes.batches.set_index("activity")
    assert batches.loc[truth["batch_activity"], "resource"] == truth["batch_resource"]


def test_performers_are_typed_as_planted(sample_findings, truth):
    assert sample_findings.performers.types() == truth["performer_types"]


def test_handoff_failures_are_found_and_the_applicant_loop_is_not_one(sample_findings, truth):
    f = sample_findings.handoff_failures.failures
    planted = truth["handoffs"]
    found = set(zip(f["pattern"], f["source"], f["target"], strict=True))
    a, b = planted["internal_ping_pong"]
    assert ("ping-pong", b, a) in found or ("ping-pong", a, b) in found
    drop = planted["dropped_baton"]
    assert ("dropped-baton", drop["source_role"], drop["target_role"]) in found
    assert f.iloc[0]["pattern"] == "dropped-baton"  # the most hours lost
    rr = planted["request_response"]
    assert not ({rr["internal"], rr["external"]} & (set(f["source"]) | set(f["target"])) - {"Validation"})
    assert rr["external"] not in set(f["source"]) | set(f["target"])
    smooth = set(planted["smooth_handoff"])
    assert not any({s, t} == smooth for s, t in zip(f["source"], f["target"], strict=True))
    outside = sample_findings.handoff_failures.request_response
    assert set(outside["party"]) == {rr["external"]}


def test_rework_loop_found(sample_findings, truth):
    r = sample_findings.rework.set_index("activity")
    loop = truth["rework_activity"]
    assert r.loc[loop, "share"] == pytest.approx(
        truth["measured"]["rework_share_of_all_cases"][loop], abs=0.02
    )
    rec = sample_findings.readiness.scores.set_index("activity")
    assert rec.loc[loop, "recommendation"] == "fix_first"


def test_readiness_as_planted(sample_findings, truth):
    planted = truth["readiness"]
    s = sample_findings.readiness.scores.set_index("activity")
    assert s.loc[planted["rule_like"], "recommendation"] == "automate"
    rule = planted["rule_decision"]
    assert s.loc[rule["activity"], "recommendation"] == "automate"
    assert rule["attribute"] in s.loc[rule["activity"], "rule_text"]
    assert s.loc[planted["judgment"], "recommendation"] in ("ai_assist", "keep_human")
    assert s.loc[planted["routine_after_merge"], "recommendation"] == "automate"
    for step in planted["fix_first"]:
        assert s.loc[step, "recommendation"] == "fix_first", step
    for step in planted["not_fix_first"]:
        assert s.loc[step, "recommendation"] != "fix_first", step
    for step in planted["already_automated"]:
        assert s.loc[step, "already_automated"], step
    assert sample_findings.readiness.fix_first_share < 0.5


def test_candidates_lead_with_the_rule_like_steps_not_the_systems(sample_findings, truth):
    top = sample_findings.automation_candidates()["activity"].tolist()
    assert not set(top) & set(truth["readiness"]["already_automated"])
    assert truth["readiness"]["rule_like"] in top


def test_judgment_step_keeps_an_approval_checkpoint(sample_findings, truth):
    steps = sample_findings.blueprint.steps.set_index("activity")
    judge = truth["judgment_activity"]
    assert steps.loc[judge, "approval_checkpoint"]
    assert judge in sample_findings.blueprint.governance["approval_checkpoints"]


def test_equity_is_flagged_when_the_attribute_is_named(sample_log, truth):
    from analysis import analyze

    eq = truth["readiness"]["equity"]
    f = analyze(sample_log, equity_attributes=[eq["attribute"]], sensitivity=False, impact="off")
    s = f.readiness.scores.set_index("activity")
    assert s.loc[eq["activity"], "equity_flag"]
    assert eq["attribute"] in s.loc[eq["activity"], "equity_note"]
    assert s["equity_flag"].sum() == 1


def test_open_cases_are_found_and_end_activity_detected(sample_findings, truth):
    b = sample_findings.bottlenecks
    assert b.end_activities == truth["end_activities"]
    assert b.cycle["open_cases"] == truth["open_cases"]


def test_verdict_is_orchestrate_first_with_the_planted_reasons(sample_findings):
    v = sample_findings.verdict
    assert v.orchestrate_first
    text = " ".join(v.reasons)
    # The planted rework and dropped baton (the costliest failure, named in words) and bottleneck.
    assert "rework" in text and "dropped baton" in text and "Assess application" in text
    assert sample_findings.gate.orchestrate_first


def test_blueprint_routes_every_failing_handoff_with_an_sla(sample_findings, truth):
    orch = sample_findings.blueprint.orchestration
    receiving = set(sample_findings.handoff_failures.failures["activity"])
    assert set(orch["before_activity"]) == receiving
    assert truth["handoffs"]["dropped_baton"]["receiving_activity"] in receiving
    assert (orch["sla_hours"] >= 1.0).all()
    assert all("dropped-baton" in a or "rework" in a or "ping-pong" in a for a in orch["action"])
