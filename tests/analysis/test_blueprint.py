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
        types = [t["type"] for t in s.bpmn_tasks if t["purpose"] in ("step", "ai_prepare", "review")]
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
    return analyze(sample_log, profile=path, sensitivity=False, impact="off").blueprint


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
    pairs = zip(blueprint.flows["source"], blueprint.flows["target"], strict=True)
    guard = dict(zip(pairs, blueprint.flows["condition"], strict=True))
    nodes = blueprint.nodes.set_index("id")
    low = "(ai_confidence is not None and ai_confidence < 0.8) or (ai_confidence is None)"
    for s in blueprint.steps.itertuples():
        if s.recommendation == "ai_assist" and s.in_model:
            ai, review = [t for t in s.bpmn_tasks if t["purpose"] in ("ai_prepare", "review")]
            (check,) = [t for a, t in flows if a == ai["id"]]  # AI -> confidence check -> review
            assert nodes.loc[check, "purpose"] == "confidence_check"
            assert nodes.loc[ai["id"], "governance"]["confidence_threshold"] == 0.8
            assert guard[(check, review["id"])] == low
            default = nodes.loc[check, "default_flow"]
            assert blueprint.flows.set_index("id").loc[default, "condition"] is None


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
            if task["purpose"] in ("handle_error", "escalate"):
                kind = "exception"
            else:
                kind = "orchestration" if task["name"].startswith(ROUTE_PREFIX) else step.recommendation
            assert DIAGRAM_COLOURS[kind] in line, task
    boundary = blueprint.nodes[blueprint.nodes["type"] == "boundaryEvent"]
    # Every sequence flow, plus a dotted tie from each boundary event to its task.
    assert source.count(" -> ") == len(blueprint.flows) + len(boundary)
    assert source.count("style=dotted") == len(boundary)
    assert source.count("(default)") == int(blueprint.flows["is_default"].sum())
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


# --- The executable graph (docs/blueprint-bpmn.md) ---------------------------------------------------------


def test_the_graph_has_the_spec_columns_and_no_plain_task(blueprint):
    from analysis.blueprint import FLOW_COLUMNS, NODE_COLUMNS

    assert list(blueprint.nodes.columns) == NODE_COLUMNS and list(blueprint.flows.columns) == FLOW_COLUMNS
    types = set(blueprint.nodes["type"])
    assert "task" not in types and {"serviceTask", "userTask", "boundaryEvent"} <= types
    assert blueprint.nodes["id"].is_unique and blueprint.flows["id"].is_unique


def test_every_gateway_splits_or_joins_and_no_task_merges_implicitly(blueprint):
    into = blueprint.flows["target"].value_counts()
    out = blueprint.flows["source"].value_counts()
    for n in blueprint.nodes.itertuples():
        i, o = into.get(n.id, 0), out.get(n.id, 0)
        if n.type.endswith("Gateway"):
            assert (i > 1) != (o > 1), n.id  # a split or a join, never both, never a pass-through
            assert n.purpose == (
                "merge" if i > 1 else {"exclusiveGateway": n.purpose, "parallelGateway": "split"}[n.type]
            )
        else:
            assert i <= 1 and o <= 1, n.id


def test_every_exclusive_split_has_a_default_and_guards_on_its_other_flows(blueprint):
    flows = blueprint.flows
    splits = [
        n for n in blueprint.nodes.itertuples() if n.type == "exclusiveGateway" and n.purpose != "merge"
    ]
    assert splits
    for n in splits:
        out = flows[flows["source"] == n.id]
        assert len(out) > 1 and n.default_flow in set(out["id"])
        for f in out.itertuples():
            assert f.is_default == (f.id == n.default_flow)
            assert (f.condition is None) == f.is_default and (f.condition_dnf is None) == f.is_default
        if n.decision_variable is not None:  # no learned rule: the route variable picks the flow
            assert n.decision_variable == f"route_{n.id}"
            for f in out[~out["is_default"]].itertuples():
                assert f.condition == f'route_{n.id} == "{f.id}"'
                assert f.condition_dnf == [[{"variable": f"route_{n.id}", "op": "==", "value": f.id}]]
    assert not flows.loc[~flows["source"].isin([n.id for n in splits]), "is_default"].any()


def test_the_learned_rule_guards_its_gateway_in_python_and_dnf(blueprint, truth):
    rule = truth["readiness"]["rule_decision"]
    attr, thr = rule["attribute"], rule["threshold"]
    guarded = blueprint.flows[blueprint.flows["condition"].fillna("").str.contains(attr)]
    # Either outcome may be the default; the other carries the rule (the threshold, never missing here).
    assert len(guarded) == 1
    f = guarded.iloc[0]
    below = f["name"] == f"{attr} < {thr}"
    op = "<" if below else ">="
    assert f["condition"] == f"{attr} is not None and {attr} {op} {thr}"
    assert f["condition_dnf"] == [[{"variable": attr, "op": op, "value": thr}]]
    gw = blueprint.nodes.set_index("id").loc[f["source"]]
    assert gw["decision_variable"] is None and gw["default_flow"] != f["id"]
    assert blueprint.governance["case_variables"][attr] == {
        "source": "case attribute",
        "attribute": attr,
        "type": "number",
        "initial": None,
    }


def test_boundary_events_sla_timers_on_people_and_errors_on_services(sample_findings, blueprint):
    from analysis.blueprint import ERROR_CODE, MIN_SLA_HOURS

    nodes = blueprint.nodes.set_index("id")
    flows = blueprint.flows
    steps = blueprint.steps.set_index("activity")
    boundary = nodes[nodes["type"] == "boundaryEvent"]
    on = {b.attached_to: b for b in boundary.itertuples()}
    for nid, n in nodes[nodes["type"].isin(["serviceTask", "userTask"])].iterrows():
        b = on.get(nid)
        if n["type"] == "userTask" and n["purpose"] in ("step", "review"):
            assert b is not None and b.event == "timer" and b.interrupting is False
            sla = steps.loc[n["activity"], "sla_hours"]
            assert b.timer_hours == pytest.approx(max(sla, MIN_SLA_HOURS), abs=1e-3)
            escalate = flows.loc[flows["source"] == b.Index, "target"].iloc[0]
            assert nodes.loc[escalate, "purpose"] == "escalate"
            end = flows.loc[flows["source"] == escalate, "target"].iloc[0]
            assert nodes.loc[end, "type"] == "endEvent"
        elif n["type"] == "serviceTask" and n["purpose"] in ("step", "ai_prepare", "route"):
            assert (
                b is not None and b.event == "error" and b.interrupting is True and b.error_code == ERROR_CODE
            )
            handler = flows.loc[flows["source"] == b.Index, "target"].iloc[0]
            assert (
                nodes.loc[handler, "purpose"] == "handle_error" and nodes.loc[handler, "type"] == "userTask"
            )
            # The handler and the task rejoin at one merge gateway.
            after_task = flows.loc[flows["source"] == nid, "target"].iloc[0]
            after_handler = flows.loc[flows["source"] == handler, "target"].iloc[0]
            assert after_task == after_handler and nodes.loc[after_task, "purpose"] == "merge"
        else:
            assert b is None, nid
    assert (boundary["activity"].notna()).all()


def test_governance_is_structured_per_task(sample_findings, blueprint):
    from analysis.blueprint import RETRY_POLICY

    tasks = blueprint.nodes[blueprint.nodes["type"].isin(["serviceTask", "userTask"])]
    others = blueprint.nodes[~blueprint.nodes["type"].isin(["serviceTask", "userTask"])]
    assert others["governance"].isna().all()
    steps = blueprint.steps.set_index("activity")
    decision_points = sample_findings.readiness.scores.set_index("activity")["decision_point"]
    for n in tasks.itertuples():
        g = n.governance
        assert g["recommendation"] == steps.loc[n.activity, "recommendation"]
        assert "resource" in g["personal_data"]  # every step of the sample names who did it
        assert (g["retry_policy"] == RETRY_POLICY) == (
            n.purpose in ("step", "ai_prepare", "route") and n.type == "serviceTask"
        )
        assert g["audit_events"]
        assert (g["decision_owner"] is not None) == bool(decision_points[n.activity])
        if n.purpose == "step":
            assert g["audit_events"] == steps.loc[n.activity, "audit_events"]
    # The owner of a decision is the team that makes it most often today.
    ev = sample_findings.log.events
    act = decision_points[decision_points].index[0]
    top = ev.loc[ev["activity"] == act, "role"].value_counts().index[0]
    owner = tasks.loc[(tasks["activity"] == act) & (tasks["purpose"] == "step"), "governance"].iloc[0]
    assert owner["decision_owner"] == top


def test_personal_data_columns_follow_the_documented_rule():
    import pandas as pd

    from analysis.blueprint import personal_data_columns
    from mapper import load_event_log

    frame = pd.DataFrame(
        {
            "case_id": ["1", "1", "2"],
            "activity": ["Register", "Decide", "Register"],
            "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:00", "2024-01-02 09:00"]),
            "resource": ["ann", "bob", None],
            "customerName": ["X Y", None, "Z"],
            "amount": [1.0, 2.0, 3.0],
            "Patient ID": [None, "p1", None],
            "usernames_list": ["a", "b", "c"],
        }
    )
    log = load_event_log(frame)
    assert personal_data_columns(log) == {
        "Decide": ["resource", "Patient ID"],
        "Register": ["resource", "customerName"],
    }
