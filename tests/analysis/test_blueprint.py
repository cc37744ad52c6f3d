"""The blueprint: task types per recommendation, routing at failing handoffs, valid BPMN with DI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from lxml import etree

from analysis.bpmn_xml import validate_bpmn_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.fixture(scope="module")
def blueprint(sample_findings):
    return sample_findings.blueprint


def test_every_activity_has_one_step_with_its_recommendation(sample_findings, blueprint):
    recs = sample_findings.readiness.scores.set_index("activity")["recommendation"]
    steps = blueprint.steps.set_index("activity")
    assert set(steps.index) == set(recs.index)
    assert (steps["recommendation"] == recs.reindex(steps.index)).all()


def test_task_types_follow_the_recommendation(blueprint):
    for s in blueprint.steps.itertuples():
        if not s.in_model:
            continue
        types = [t["type"] for t in s.bpmn_tasks if not t["name"].startswith("Route with context")]
        expected = {
            "automate": ["serviceTask"],
            "ai_assist": ["serviceTask", "userTask"],
            "keep_human": ["userTask"],
            "fix_first": ["userTask"],
        }[s.recommendation]
        assert types == expected, s.activity


def test_retry_policy_only_on_automated_steps_and_sla_from_p90(sample_findings, blueprint):
    b = sample_findings.bottlenecks.activities.set_index("activity")
    for s in blueprint.steps.itertuples():
        assert (s.retry_policy is not None) == (s.recommendation in ("automate", "ai_assist"))
        # A step that always starts its case has no waiting time: its SLA is its processing time.
        expected = np.nansum(
            [b.loc[s.activity, "waiting_hours_p90"], b.loc[s.activity, "processing_hours_p90"]]
        )
        assert s.sla_hours == pytest.approx(expected, abs=1e-3)
        assert "step.completed" in s.audit_events


def test_kpis_have_baselines(sample_findings, blueprint):
    k = blueprint.kpis
    for name in ("cycle_time_median", "waiting_time_median", "rework_rate", "handoff_delay_median"):
        assert k[name]["baseline"] is not None and k[name]["unit"]
    assert k["cycle_time_median"]["baseline"] == pytest.approx(
        sample_findings.bottlenecks.cycle["median"], rel=1e-3
    )
    assert 0 < k["rework_rate"]["baseline"] < 1


def test_bpmn_is_valid_with_di_for_every_node_and_flow(blueprint, tmp_path):
    xml = blueprint.to_bpmn(tmp_path / "blueprint.bpmn")
    summary = validate_bpmn_xml(xml)
    assert summary["flow_nodes"] == len(blueprint.nodes) == summary["shapes"]
    assert summary["sequence_flows"] == len(blueprint.flows) == summary["edges"]
    root = etree.fromstring((tmp_path / "blueprint.bpmn").read_bytes())
    assert root.tag == f"{BPMN}definitions"
    service = root.findall(f".//{BPMN}serviceTask")
    user = root.findall(f".//{BPMN}userTask")
    assert service and user
    names = {e.get("name") for e in service + user}
    assert "Validate documents" in names
    ai = [s.activity for s in blueprint.steps.itertuples() if s.recommendation == "ai_assist" and s.in_model]
    assert any(n.startswith("Review: ") for n in names) == bool(ai)  # the human review after an AI step


@pytest.fixture(scope="module")
def ai_blueprint(sample_log, tmp_path_factory):
    """The sample's blueprint under a profile that lets a judgment with nothing to learn from get AI help."""
    from analysis import analyze

    path = tmp_path_factory.mktemp("profile") / "lenient.yaml"
    path.write_text("rules:\n  ai_assist_min_determinism: 0.0\n")
    return analyze(sample_log, profile=path, sensitivity=False).blueprint


def test_ai_assist_becomes_a_service_task_and_a_human_review_in_the_bpmn(ai_blueprint, tmp_path):
    steps = ai_blueprint.steps.set_index("activity")
    assert steps.loc["Decide application", "recommendation"] == "ai_assist"
    root = etree.fromstring(ai_blueprint.to_bpmn().encode())
    service = {e.get("name") for e in root.findall(f".//{BPMN}serviceTask")}
    user = {e.get("name") for e in root.findall(f".//{BPMN}userTask")}
    assert "AI prepares: Decide application" in service and "Review: Decide application" in user


def test_ai_assist_is_a_service_task_followed_by_a_review(ai_blueprint):
    blueprint = ai_blueprint
    flows = set(zip(blueprint.flows["source"], blueprint.flows["target"], strict=True))
    for s in blueprint.steps.itertuples():
        if s.recommendation == "ai_assist" and s.in_model:
            ai, review = [t for t in s.bpmn_tasks if not t["name"].startswith("Route")]
            assert (ai["id"], review["id"]) in flows


def test_blueprint_json_is_strict_json(blueprint, tmp_path):
    data = json.loads(blueprint.to_json(tmp_path / "b.json").read_text())
    assert {"steps", "orchestration_steps", "kpis", "governance", "bpmn"} <= set(data)
    assert data["governance"]["retry_policy"]["max_attempts"] == 3


def test_diagram_colours_tasks_by_recommendation_and_marks_routing(blueprint):
    from analysis import plot_blueprint
    from analysis.blueprint import DIAGRAM_COLOURS, ROUTE_PREFIX

    source = plot_blueprint(blueprint).source
    tasks = blueprint.nodes[blueprint.nodes["type"].isin(["serviceTask", "userTask"])]
    assert source.count('style="rounded,filled"') == len(tasks)
    for step in blueprint.steps.itertuples():
        for task in step.bpmn_tasks:
            labels = (f'label="⚙ {task["name"]}"', f'label="{task["name"]}"')
            line = next(x for x in source.splitlines() if any(lab in x for lab in labels))
            kind = "orchestration" if task["name"].startswith(ROUTE_PREFIX) else step.recommendation
            assert DIAGRAM_COLOURS[kind] in line, task
    assert source.count(" -> ") == len(blueprint.flows)
    assert "n1" not in source  # synthetic ids, not the BPMN ids


def test_diagram_escapes_names():
    import pandas as pd

    from analysis.blueprint import Blueprint, plot_blueprint

    nodes = pd.DataFrame(
        {
            "id": ["s", "t", "e"],
            "type": ["startEvent", "userTask", "endEvent"],
            "name": ["start", '<b>R&D</b> "x" \\N', "end"],
            "documentation": [None, "<script>", None],
        }
    )
    flows = pd.DataFrame(
        {"id": ["f1", "f2"], "source": ["s", "t"], "target": ["t", "e"], "name": [None, None]}
    )
    steps = pd.DataFrame(
        {
            "activity": ['<b>R&D</b> "x" \\N'],
            "recommendation": ["keep_human"],
            "bpmn_tasks": [[{"id": "t", "type": "userTask", "name": "x"}]],
        }
    )
    bp = Blueprint(steps, pd.DataFrame({"id": []}), {}, {}, nodes, flows)
    source = plot_blueprint(bp).source
    assert "<b>" not in source and "<script>" not in source
    assert "&lt;b&gt;R&amp;D&lt;/b&gt; &quot;x&quot; \\\\N" in source
    svg = plot_blueprint(bp).pipe(format="svg").decode()
    assert "<b>" not in svg and "<script>" not in svg


def test_a_rule_determined_decision_names_its_gateway_flows(sample_findings, truth):
    rule = truth["readiness"]["rule_decision"]
    bp = sample_findings.blueprint
    steps = bp.steps.set_index("activity")
    rules = steps.loc[rule["activity"], "gateway_rules"]
    assert {r["outcome"] for r in rules} == {rule["below"], rule["otherwise"]}
    below = next(r for r in rules if r["outcome"] == rule["below"])
    assert below["conditions"] == [
        {"attribute": rule["attribute"], "operator": "<", "value": rule["threshold"], "or_missing": False}
    ]
    named = bp.flows[bp.flows["name"].notna()]
    entry = {ts[0]["id"]: a for a, ts in zip(steps.index, steps["bpmn_tasks"], strict=True) if ts}
    kind = dict(zip(bp.nodes["id"], bp.nodes["type"], strict=True))

    def reached(node):  # the first activity a flow leads to, through gateways
        while node not in entry and kind[node].endswith("Gateway"):
            node = bp.flows.loc[bp.flows["source"] == node, "target"].iloc[0]
        return entry.get(node)

    labels = {reached(t): n for t, n in zip(named["target"], named["name"], strict=True)}
    assert labels == {
        rule["below"]: f"{rule['attribute']} < {rule['threshold']}",
        rule["otherwise"]: f"{rule['attribute']} >= {rule['threshold']}",
    }
    # The judgment keeps a person and no rule.
    assert steps.loc[truth["judgment_activity"], "gateway_rules"] == []
