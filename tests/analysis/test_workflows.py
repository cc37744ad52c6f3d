"""Portable outputs of the blueprint: Serverless Workflow 1.0 YAML (schema-valid) and a Dapr Workflow module.

The Dapr module is imported under the installed dapr-ext-workflow, type-checked with mypy, and driven by a
stub context through every decision outcome, an SLA timeout that escalates, a failing step and a loop;
the nodes it visits are compared with the graph.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from dapr.ext.workflow import TaskFailedError

from analysis.blueprint import Blueprint
from analysis.workflows import (
    CALL_MERGE,
    FORK_MERGE,
    LISTEN_MERGE,
    export_dapr_workflow,
    export_serverless_workflow,
    jq_condition,
    python_condition,
)
from mapper.errors import AnalysisError
from tests.conftest import BLUEPRINT_LOGS, ROOT

SCHEMAS = ROOT.parent / "shared" / "schemas"
SW_SCHEMA = SCHEMAS / "serverlessworkflow-1.0-workflow.yaml"

RETRY = {
    "max_attempts": 3,
    "backoff": "exponential",
    "initial_delay_seconds": 60,
    "max_delay_seconds": 3600,
    "on_exhausted": "route the case to a human work queue",
}
NODE_DEFAULTS = {
    "documentation": None,
    "activity": None,
    "purpose": None,
    "attached_to": None,
    "event": None,
    "interrupting": None,
    "timer_hours": None,
    "error_code": None,
    "decision_variable": None,
    "default_flow": None,
    "governance": None,
}


# ------------------------------------------------------------------------------------------------
# Hand-made executable graphs that follow docs/SPEC (nodes and flows with the executable columns)


class GraphBuilder:
    def __init__(self) -> None:
        self.nodes: list[dict] = []
        self.flows: list[dict] = []

    def node(self, type_: str, name: str = "", purpose: str | None = None, **kw) -> str:
        nid = f"n{len(self.nodes) + 1}"
        self.nodes.append({**NODE_DEFAULTS, "id": nid, "type": type_, "name": name, "purpose": purpose, **kw})
        return nid

    def task(self, type_: str, name: str, purpose: str, activity: str | None = None, sla: float = 4.0) -> str:
        gov = {
            "recommendation": {"step": "automate", "ai_prepare": "ai_assist"}.get(purpose, "keep_human"),
            "sla_hours": sla,
            "retry_policy": dict(RETRY) if type_ == "serviceTask" and purpose != "escalate" else None,
            "audit_events": ["step.started", "step.completed"],
            "personal_data": ["resource"],
            "decision_owner": None,
        }
        if purpose == "ai_prepare":
            gov["confidence_threshold"] = 0.8
        return self.node(type_, name, purpose, activity=activity, governance=gov)

    def flow(
        self, a: str, b: str, dnf: list | None = None, default: bool = False, name: str | None = None
    ) -> str:
        fid = f"f{len(self.flows) + 1}"
        self.flows.append(
            {
                "id": fid,
                "source": a,
                "target": b,
                "name": name,
                "condition": None if dnf is None else python_condition(dnf),
                "condition_dnf": dnf,
                "is_default": default,
            }
        )
        if default:
            next(n for n in self.nodes if n["id"] == a)["default_flow"] = fid
        return fid

    def chain(self, *ids: str) -> None:
        for a, b in itertools.pairwise(ids):
            self.flow(a, b)

    def with_error(self, task: str, into: str, name: str = "Handle failure") -> None:
        """An error boundary on ``task`` -> handle_error userTask -> ``into`` (the merge after the task)."""
        b = self.node(
            "boundaryEvent", "Step failed", "error", attached_to=task, event="error", interrupting=True
        )
        self.nodes[-1]["error_code"] = "flowready.step_failed"
        h = self.task("userTask", f"{name}", "handle_error")
        self.chain(b, h, into)

    def with_sla(self, task: str, hours: float, name: str) -> None:
        """A non-interrupting SLA timer on ``task`` -> escalate serviceTask -> end "SLA breach escalated"."""
        t = self.node(
            "boundaryEvent", "SLA", "sla_timer", attached_to=task, event="timer", interrupting=False
        )
        self.nodes[-1]["timer_hours"] = hours
        e = self.task("serviceTask", f"Escalate: {name}", "escalate")
        end = self.node("endEvent", "SLA breach escalated", "end")
        self.chain(t, e, end)

    def blueprint(self, source: str = "hand_made.csv") -> Blueprint:
        nodes = pd.DataFrame(self.nodes)
        flows = pd.DataFrame(self.flows)
        return Blueprint(
            steps=pd.DataFrame({"activity": []}),
            orchestration=pd.DataFrame(),
            kpis={},
            governance={"retry_policy": dict(RETRY), "audit_events": {"case": ["case.received"]}},
            nodes=nodes,
            flows=flows,
            source=source,
        )


def permit_graph(names: dict[str, str] | None = None) -> GraphBuilder:
    """Every construct of the spec: routing, automation with error handling, AI assist with a confidence
    check, a rule-determined 3-way decision with a default that loops back, a parallel block, SLA timers,
    a decision no rule determines (``route_<gateway>``)."""
    nm = {
        "register": "Register application",
        "check": "Check documents",
        "request": "Request further information",
        "senior": "Senior check",
        "inspect": "Inspect site",
        "fee": "Compute fee",
        "approve": "Approve permit",
        "reject": "Reject permit",
        **(names or {}),
    }
    g = GraphBuilder()
    start = g.node("startEvent", "", "start")
    route = g.task("serviceTask", f"Route with context to: {nm['register']}", "route", nm["register"])
    m_route = g.node("exclusiveGateway", "", "merge")
    g.chain(start, route, m_route)
    g.with_error(route, m_route, f"Handle: {nm['register']}")
    register = g.task("serviceTask", nm["register"], "step", nm["register"])
    m_reg = g.node("exclusiveGateway", "", "merge")
    g.chain(m_route, register, m_reg)
    g.with_error(register, m_reg, f"Handle: {nm['register']}")
    # the loop: request further information goes back to the AI preparation
    m_loop = g.node("exclusiveGateway", "", "merge")
    prepare = g.task("serviceTask", f"AI prepares: {nm['check']}", "ai_prepare", nm["check"])
    m_prep = g.node("exclusiveGateway", "", "merge")
    g.chain(m_reg, m_loop, prepare, m_prep)
    g.with_error(prepare, m_prep, f"Handle: {nm['check']}")
    confidence = g.node("exclusiveGateway", "Confident?", "confidence_check")
    review = g.task("userTask", f"Review: {nm['check']}", "review", nm["check"], sla=2.5)
    m_review = g.node("exclusiveGateway", "", "merge")
    g.flow(m_prep, confidence)
    g.flow(confidence, review, [[{"variable": "ai_confidence", "op": "<", "value": 0.8}]])
    g.flow(confidence, m_review, default=True)
    g.flow(review, m_review)
    g.with_sla(review, 2.5, nm["check"])
    decision = g.node("exclusiveGateway", "Documents complete?", "decision")
    request = g.task("userTask", nm["request"], "step", nm["request"], sla=30.0)
    senior = g.task("userTask", nm["senior"], "step", nm["senior"])
    m_after = g.node("exclusiveGateway", "", "merge")
    g.flow(m_review, decision)
    g.flow(
        decision,
        request,
        [
            [{"variable": "documents_submitted", "op": "<", "value": 4}],
            [{"variable": "documents_submitted", "op": "is_missing", "value": None}],
        ],
        name="documents_submitted < 4 or missing",
    )
    g.flow(
        decision,
        senior,
        [
            [
                {"variable": "application_type", "op": "in", "value": ["major", "commercial"]},
                {"variable": "documents_submitted", "op": ">=", "value": 4},
            ]
        ],
    )
    g.flow(decision, m_after, default=True)
    g.flow(request, m_loop)
    g.with_sla(request, 30.0, nm["request"])
    g.flow(senior, m_after)
    g.with_sla(senior, 8.0, nm["senior"])
    # a parallel block: a person inspects while the fee is computed
    split = g.node("parallelGateway", "", "split")
    inspect_ = g.task("userTask", nm["inspect"], "step", nm["inspect"], sla=48.0)
    fee = g.task("serviceTask", nm["fee"], "step", nm["fee"])
    m_fee = g.node("exclusiveGateway", "", "merge")
    join = g.node("parallelGateway", "", "merge")
    g.chain(m_after, split)
    g.chain(split, inspect_, join)
    g.chain(split, fee, m_fee, join)
    g.with_sla(inspect_, 48.0, nm["inspect"])
    g.with_error(fee, m_fee, f"Handle: {nm['fee']}")
    # a decision no rule determines: the person at the approval picks the route
    route_gw = g.node("exclusiveGateway", "Approve?", "decision")
    g.nodes[-1]["decision_variable"] = f"route_{route_gw}"
    approve = g.task("userTask", nm["approve"], "step", nm["approve"])
    reject = g.task("userTask", nm["reject"], "step", nm["reject"])
    m_end = g.node("exclusiveGateway", "", "merge")
    end = g.node("endEvent", "", "end")
    g.flow(join, route_gw)
    f_approve = f"f{len(g.flows) + 1}"
    g.flow(route_gw, approve, [[{"variable": f"route_{route_gw}", "op": "==", "value": f_approve}]])
    g.flow(route_gw, reject, default=True)
    g.chain(approve, m_end)
    g.chain(reject, m_end, end)
    return g


HOSTILE = {
    "register": 'Register "application"\n<b>now</b>',
    "check": "Prüfung der Unterlagen – éèà 書類",
    "request": "class",
    "senior": "1st check'''\"\"\" \\ end",
    "inspect": "exit",
    "fee": 'Register "application"\n<b>now</b>',  # the same name as another step
    "approve": "\x00\r\u2028 def (lambda): pass",
    "reject": "",
}


@pytest.fixture(scope="module")
def permit():
    return permit_graph().blueprint()


@pytest.fixture(scope="module")
def hostile():
    return permit_graph(HOSTILE).blueprint(source='weird "log"\nname.csv')


# ------------------------------------------------------------------------------------------------
# Serverless Workflow


@pytest.fixture(scope="module")
def sw_validator():
    if not SW_SCHEMA.exists():
        pytest.skip(f"{SW_SCHEMA} is not available")
    from jsonschema import Draft202012Validator

    schema = yaml.safe_load(SW_SCHEMA.read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _task_lists(tasks: list, path: str = "do"):
    """Every task list of the document with its path (do, fork branches, try, catch.do, nested do)."""
    yield path, tasks
    for item in tasks:
        ((name, task),) = item.items()
        for key in ("do", "try"):
            if key in task:
                yield from _task_lists(task[key], f"{path}/{name}/{key}")
        if "catch" in task and "do" in task["catch"]:
            yield from _task_lists(task["catch"]["do"], f"{path}/{name}/catch/do")
        if "fork" in task:
            yield from _task_lists(task["fork"]["branches"], f"{path}/{name}/fork")


def _emptied(task: dict) -> tuple[dict, list[list]]:
    """A copy of a task whose nested task lists are empty, and those lists."""
    task = dict(task)
    nested = []
    for key in ("do", "try"):
        if key in task:
            nested.append(task[key])
            task[key] = []
    if "catch" in task and "do" in task["catch"]:
        nested.append(task["catch"]["do"])
        task["catch"] = {**task["catch"], "do": []}
    if "fork" in task:
        nested.append(task["fork"]["branches"])
        task["fork"] = {**task["fork"], "branches": []}
    return task, nested


def schema_errors(doc: dict, validator, *, whole: bool = False) -> list:
    """The schema's errors of a document.

    Every nested task list (``do``, ``try``, ``catch.do``, ``fork.branches``) is the schema's context-free
    ``$defs/taskList``, so validating each task with its nested lists emptied, and the document with its
    top-level tasks so emptied, finds the same errors as validating the whole document at once; it takes
    linear time where the whole document's ``unevaluatedProperties`` multiply with the nesting depth
    (a fork of two branches: 9 s at once).
    """
    if whole:
        return list(validator.iter_errors(doc))
    task_validator = validator.evolve(schema=_task_schema(validator.schema))
    top, todo = [], []
    for item in doc["do"]:
        ((name, task),) = item.items()
        emptied, nested = _emptied(task)
        top.append({name: emptied})
        todo.extend(nested)
    errors = list(validator.iter_errors({**doc, "do": top}))
    while todo:
        for item in todo.pop():
            if not isinstance(item, dict) or len(item) != 1:
                errors.append(f"task list item {item!r} is not a one-key mapping")
                continue
            ((name, task),) = item.items()
            emptied, nested = _emptied(task)
            errors.extend(f"{name}: {e.message[:300]}" for e in task_validator.iter_errors(emptied))
            todo.extend(nested)
    return errors


def _task_schema(schema: dict) -> dict:
    return {
        "$schema": schema["$schema"],
        "$id": schema["$id"],
        "$defs": schema["$defs"],
        "$ref": "#/$defs/task",
    }


def check_serverless_workflow(text: str, validator, *, whole: bool = False) -> dict:
    """Schema-valid, and every flow directive names a task of its own list."""
    doc = yaml.safe_load(text)
    errors = schema_errors(doc, validator, whole=whole)
    assert not errors, "\n".join(str(getattr(e, "message", e))[:300] for e in errors[:5])
    for path, tasks in _task_lists(doc["do"]):
        names = [next(iter(t)) for t in tasks]
        assert len(names) == len(set(names)), path
        for item in tasks:
            ((name, task),) = item.items()
            targets = [task["then"]] if "then" in task else []
            targets += [next(iter(c.values()))["then"] for c in task.get("switch", [])]
            for t in targets:
                allowed = set(names) | {"continue", "end"} | ({"exit"} if path != "do" else set())
                assert t in allowed, f"{path}/{name}: then {t!r} is not a task of its list"
            if "switch" in task:  # the default case (no `when`) closes the switch
                whens = ["when" in next(iter(c.values())) for c in task["switch"]]
                assert all(whens[:-1]) and not whens[-1], f"{path}/{name}"
    return doc


def test_serverless_workflow_is_valid_and_maps_each_construct(permit, sw_validator, tmp_path):
    out = tmp_path / "blueprint.sw.yaml"
    text = export_serverless_workflow(permit, out)
    assert out.read_text("utf-8") == text
    doc = check_serverless_workflow(text, sw_validator, whole=True)
    assert schema_errors(doc, sw_validator) == []
    assert doc["document"]["dsl"].startswith("1.0.")
    assert doc["document"]["name"] == "hand-made-blueprint"
    tasks = {next(iter(t)): next(iter(t.values())) for t in doc["do"]}
    first = next(iter(doc["do"][0]))
    assert first == "route-with-context-to-register-application"  # the start's successor runs first
    route = tasks[first]
    # a service task: a call in try/catch, retried as the blueprint says, then a person handles it
    assert route["catch"]["retry"] == {
        "delay": {"seconds": 60},
        "backoff": {"exponential": {}},
        "limit": {"attempt": {"count": 2}},
    }
    assert [next(iter(t)) for t in route["catch"]["do"]] == ["handle-register-application"]
    assert "listen" in route["catch"]["do"][0]["handle-register-application"]
    (attempt,) = route["try"]
    assert next(iter(attempt.values()))["call"] in doc["use"]["functions"]
    assert route["then"] == "register-application"
    assert route["metadata"]["governance"]["personal_data"] == ["resource"]
    # the AI assist: confidence check as a switch, the review listens with its SLA and escalates
    confidence = tasks["decide-confident"]
    assert confidence["switch"][0]["to-review-check-documents"] == {
        "when": "${ (.ai_confidence != null and .ai_confidence < 0.8) }",
        "then": "review-check-documents",
    }
    review = tasks["review-check-documents"]
    within = review["try"][0]["review-check-documents-within-sla"]
    assert within["timeout"] == {"after": {"hours": 2, "minutes": 30}}
    assert review["catch"]["errors"]["with"]["type"].endswith("/errors/timeout")
    escalate, again = (next(iter(t)) for t in review["catch"]["do"])
    assert escalate == "escalate-check-documents"
    assert "listen" in review["catch"]["do"][1][again]  # the work goes on after the escalation
    assert review["metadata"]["sla_timer"]["interrupting"] is False
    # the 3-way decision: jq conditions, the default last, the loop back to the AI preparation
    decision = tasks["decide-documents-complete"]["switch"]
    assert [next(iter(c.values()))["then"] for c in decision] == [
        "request-further-information",
        "senior-check",
        "parallel-n31",
    ]
    assert next(iter(decision[0].values()))["when"] == (
        "${ ((.documents_submitted != null and .documents_submitted < 4)) or (.documents_submitted == null) }"
    )
    assert tasks["request-further-information"]["then"] == "ai-prepares-check-documents"
    # the parallel block: a fork of two branches that exit at the join
    fork = tasks["parallel-n31"]
    assert fork["then"] == "decide-approve"
    branches = fork["fork"]["branches"]
    assert len(branches) == 2
    inspect_ = next(iter(branches[0].values()))["do"]
    assert next(iter(inspect_[0])) == "inspect-site" and inspect_[0]["inspect-site"]["then"] == "exit"
    route_gw = tasks["decide-approve"]["switch"]
    assert next(iter(route_gw[0].values()))["when"] == '${ .route_n41 == "f41" }'
    assert tasks["approve-permit"]["then"] == "end"


def test_serverless_workflow_names_are_sanitised_and_unique(hostile, sw_validator):
    doc = check_serverless_workflow(export_serverless_workflow(hostile), sw_validator)
    assert doc["document"]["name"] == "weird-log-name-blueprint"
    names = [next(iter(t)) for _, tasks in _task_lists(doc["do"]) for t in tasks]
    assert len(names) == len(set(names))
    for n in names:
        assert n.replace("-", "").isalnum() and n.isascii() and n not in ("end", "exit", "continue"), n
    assert "register-application-b-now-b" in names and "register-application-b-now-b-2" in names
    # the original text is kept for people in the metadata
    titles = [t[n]["metadata"].get("title") for t in doc["do"] for n in t if "metadata" in t[n]]
    assert HOSTILE["check"] in {str(x).removeprefix("Review: ") for x in titles}


JQ_CASES = [
    {},
    {"documents_submitted": 2},
    {"documents_submitted": 4},
    {"documents_submitted": 7, "application_type": "major"},
    {"documents_submitted": 7, "application_type": "minor"},
    {"documents_submitted": None, "application_type": "commercial"},
    {"x y": "a\nb", "n": 1.5},
]
DNFS = [
    [[{"variable": "documents_submitted", "op": "<", "value": 4}]],
    [
        [{"variable": "documents_submitted", "op": "<=", "value": 4}],
        [{"variable": "x y", "op": "==", "value": "a\nb"}],
    ],
    [
        [
            {"variable": "application_type", "op": "in", "value": ["major", "commercial"]},
            {"variable": "documents_submitted", "op": ">", "value": 3},
        ]
    ],
    [[{"variable": "application_type", "op": "not in", "value": ["major"]}]],
    [
        [
            {"variable": "application_type", "op": "!=", "value": "major"},
            {"variable": "n", "op": ">=", "value": 1.5},
        ]
    ],
    [[{"variable": "documents_submitted", "op": "is_missing", "value": None}]],
    [[{"variable": "application_type", "op": "!=", "value": None}]],
    [[{"variable": "documents_submitted", "op": "not in", "value": [4, 7]}]],
    [],
]


@pytest.mark.skipif(shutil.which("jq") is None, reason="the jq command is not installed")
def test_jq_conditions_agree_with_the_python_ones():
    """The same guard decides alike in jq (the YAML) and in Python (the Dapr module), missing values too."""
    for dnf in DNFS:
        expr = jq_condition(dnf)
        for case in JQ_CASES:
            run = subprocess.run(["jq", "-c", expr], input=json.dumps(case), capture_output=True, text=True)
            assert run.returncode == 0, (expr, run.stderr)
            assert json.loads(run.stdout) == eval(python_condition(dnf), {}, {"case": case}), (expr, case)


@pytest.mark.skipif(shutil.which("jq") is None, reason="the jq command is not installed")
def test_task_outputs_merge_into_the_case_data():
    """The ``output.as`` expressions keep the case data an object: a call's answer, a listen's event data and
    a fork's branch outputs are merged into the task's input (``$input``)."""
    case = {"case_id": "c1", "documents_submitted": 2}
    checks = [
        (CALL_MERGE, {"ai_confidence": 0.9}, {**case, "ai_confidence": 0.9}),
        (CALL_MERGE, "not an object", case),
        (LISTEN_MERGE, [{"route_n41": "f41"}], {**case, "route_n41": "f41"}),
        (LISTEN_MERGE, [], case),
        (FORK_MERGE, [{**case, "a": 1}, {**case, "b": 2}], {**case, "a": 1, "b": 2}),
    ]
    for expression, output, expected in checks:
        jq = expression.removeprefix("${").removesuffix("}").strip()
        run = subprocess.run(
            ["jq", "-c", "--argjson", "input", json.dumps(case), jq],
            input=json.dumps(output),
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, (jq, run.stderr)
        assert json.loads(run.stdout) == expected, jq


def test_python_conditions_agree_with_the_bpmn_ones():
    """The Dapr module's guards (over a dict) decide as the BPMN's (over bare variables) do."""
    from analysis.blueprint import dnf_to_python

    for dnf in DNFS:
        if not dnf or any(not t["variable"].isidentifier() for alt in dnf for t in alt):
            continue
        variables = {t["variable"] for alt in dnf for t in alt}
        for case in JQ_CASES:
            bare = {v: case.get(v) for v in variables}
            assert eval(python_condition(dnf), {}, {"case": case}) == eval(dnf_to_python(dnf), {}, bare)


def test_export_needs_the_executable_graph():
    old = Blueprint(
        pd.DataFrame(),
        pd.DataFrame(),
        {},
        {},
        pd.DataFrame(columns=["id", "type", "name"]),
        pd.DataFrame(columns=["id", "source", "target", "name"]),
    )
    for export in (export_serverless_workflow, export_dapr_workflow):
        with pytest.raises(AnalysisError, match="executable graph's columns"):
            export(old)


# ------------------------------------------------------------------------------------------------
# Dapr Workflow: import, mypy, and a stub context that drives the generator


def import_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def run_mypy(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--ignore-missing-imports",
            "--no-error-summary",
            "--check-untyped-defs",
            "--cache-dir",
            str(path.parent / ".mypy_cache"),
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=path.parent,  # only the generated module and what it imports (not this repository)
    )


class StubFailure(TaskFailedError):
    def __init__(self, message: str):  # TaskFailedError wants protobuf details: not needed here
        Exception.__init__(self, message)


class StubTask:
    def __init__(self, kind: str, name: str = "", node: str | None = None, payload=None):
        self.kind, self.name, self.node, self.payload = kind, name, node, payload
        self.done, self.result, self.error = False, None, None

    def get_result(self):
        assert self.done, "get_result() of a task that has not completed"
        if self.error is not None:
            raise self.error
        return self.result


class StubContext:
    """What the generated workflow calls on a DaprWorkflowContext, answered from a script (the engine)."""

    def __init__(self, engine: Engine, trail: list[str], instance_id: str = "case-1"):
        self.engine, self.trail, self.at, self.instance_id = engine, trail, None, instance_id

    def set_custom_status(self, status: str) -> None:
        if self.trail and self.trail[-1] in self.engine.outcomes:  # the outcome a decision took
            gw = self.trail[-1]
            flow = next(f for f, t in self.engine.targets[gw].items() if t == status)
            self.engine.taken(gw, flow)
        self.trail.append(status)
        self.engine.visits[status] = self.engine.visits.get(status, 0) + 1
        self.at = status

    def call_activity(self, activity, *, input=None, retry_policy=None, app_id=None, propagation=None):
        assert callable(activity) and isinstance(input, dict)
        self.engine.retried |= {activity.__name__} if retry_policy is not None else set()
        return StubTask("activity", activity.__name__, self.at)

    def wait_for_external_event(self, name, *, timeout=None):
        assert name in self.engine.module.EVENTS
        return StubTask("event", name, self.at)

    def create_timer(self, fire_at):
        assert fire_at.total_seconds() > 0
        return StubTask("timer", node=self.at)

    def call_child_workflow(
        self, workflow, *, input=None, instance_id=None, retry_policy=None, app_id=None, propagation=None
    ):
        assert instance_id not in self.engine.instances, "a child instance id is reused"
        self.engine.instances.add(instance_id)
        task = StubTask("child", workflow.__name__, self.at, payload=json.loads(json.dumps(input)))
        task.instance_id = instance_id
        return task


class Engine:
    """Drives the generated workflow. Each choice (the outcome a decision will take, whether an SLA timer
    fires before the work is done, whether a step fails after its retries) goes to the option taken least
    often so far, over all the runs sharing ``tally``; ties rotate with ``run``."""

    MAX_STEPS = 20_000

    def __init__(self, module, blueprint: Blueprint, run: int, tally: dict | None = None):
        self.module, self.run = module, run
        module.when_any = lambda tasks: ("any", tasks)  # the stub's tasks are not durabletask tasks
        module.when_all = lambda tasks: ("all", tasks)
        self.tally = {} if tally is None else tally
        self.visits: dict[str, int] = {}
        self.trails: list[list[str]] = []
        self.retried: set[str] = set()
        self.instances: set[str] = set()
        self.steps = 0
        nodes = blueprint.nodes.set_index("id")
        self.kind = nodes["type"].to_dict()
        self.purpose = nodes["purpose"].to_dict()
        self.has_error = set(nodes.loc[nodes["event"] == "error", "attached_to"])
        self.out: dict[str, list[dict]] = {}
        for f in blueprint.flows.to_dict(orient="records"):
            self.out.setdefault(f["source"], []).append(f)
        self.outcomes = decision_outcomes(blueprint)
        self.targets = {gw: {f["id"]: f["target"] for f in self.out[gw]} for gw in self.outcomes}
        self.upcoming = {n: self._upcoming(n) for n in self.kind}

    def _upcoming(self, node: str) -> list[str]:
        """The decisions reached from a node before any further task (their data is set by that node),
        nearest last."""
        found: list[str] = []
        frontier, seen = [f["target"] for f in self.out.get(node, [])], set()
        while frontier:
            nxt = []
            for n in frontier:
                if n in seen or self.kind[n] in ("serviceTask", "userTask", "endEvent"):
                    continue
                seen.add(n)
                if n in self.outcomes:
                    found.insert(0, n)
                nxt.extend(f["target"] for f in self.out.get(n, []))
            frontier = nxt
        return found

    def choose(self, key: str, options: list):
        """The option taken least often so far (over the runs sharing the tally)."""
        counts = self.tally.setdefault(key, {})
        n = len(options)
        shift = self.run + self.visits.get(key, 0)
        best = min(range(n), key=lambda i: (counts.get(repr(options[i]), 0), (i + shift) % n))
        return options[best]

    def taken(self, key: str, option) -> None:
        counts = self.tally.setdefault(key, {})
        counts[repr(option)] = counts.get(repr(option), 0) + 1

    def data_for(self, node: str | None) -> dict:
        """The case variables a task returns: the values that steer the decisions after it (the outcome
        taken least often so far; the nearest decision wins a shared variable)."""
        data: dict = {}
        for gw in self.upcoming.get(node, []) if node else []:
            options = self.outcomes[gw]
            data.update(options[self.choose(gw, sorted(options))])
        return data

    def resolve(self, task: StubTask) -> None:
        if task.done:
            return
        task.done = True
        if task.kind == "activity":
            fail = task.node in self.has_error and self.choose(f"fail:{task.node}", [True, False])
            if task.node in self.has_error:
                self.taken(f"fail:{task.node}", fail)
            if fail:
                task.error = StubFailure(f"{task.name} failed after its retries")
            else:
                task.result = self.data_for(task.node)
        elif task.kind == "event":
            task.result = self.data_for(task.node)
        elif task.kind == "timer":
            task.result = None
        elif task.kind == "child":
            trail: list[str] = []
            self.trails.append(trail)
            gen = self.module.parallel_branch(StubContext(self, trail, task.instance_id), task.payload)
            task.result = self.drive(gen)
        else:
            raise AssertionError(task.kind)

    def answer(self, task):
        """The value sent into the generator for a yielded task (or the exception thrown into it)."""
        if isinstance(task, tuple) and task[0] == "any":
            work, timer = task[1]
            late = self.choose(f"timeout:{work.node}", [True, False])
            self.taken(f"timeout:{work.node}", late)
            winner = timer if late else work
            self.resolve(winner)
            return winner
        if isinstance(task, tuple) and task[0] == "all":
            for t in task[1]:
                self.resolve(t)
            return [t.get_result() for t in task[1]]
        self.resolve(task)
        return task.get_result()

    def drive(self, gen):
        value, error = None, None
        while True:
            self.steps += 1
            assert self.steps < self.MAX_STEPS, "the workflow does not finish"
            try:
                task = gen.throw(error) if error is not None else gen.send(value)
            except StopIteration as stop:
                assert isinstance(stop.value, dict)
                return stop.value
            try:
                value, error = self.answer(task), None
            except TaskFailedError as e:
                value, error = None, e

    def start(self) -> dict:
        trail: list[str] = []
        self.trails.append(trail)
        module = self.module
        first = self.data_for(module.START)
        return self.drive(module.blueprint_workflow(StubContext(self, trail), {"case_id": "c1", **first}))


def decision_outcomes(blueprint: Blueprint) -> dict[str, dict[str, dict]]:
    """For each exclusive decision: outcome flow id -> case data that takes it (searched over candidate
    values of its variables, evaluated with the generated code's own conditions)."""
    flows = blueprint.flows.to_dict(orient="records")
    out: dict[str, dict[str, dict]] = {}
    for gw in blueprint.nodes.to_dict(orient="records"):
        outs = [f for f in flows if f["source"] == gw["id"]]
        if gw["type"] != "exclusiveGateway" or len(outs) < 2:
            continue
        conds = [f for f in outs if f["id"] != gw["default_flow"]]
        candidates: dict[str, set] = {}
        for f in conds:
            for alt in f["condition_dnf"] or []:
                for t in alt:
                    vals = candidates.setdefault(t["variable"], {None})
                    values = t["value"] if isinstance(t["value"], list) else [t["value"]]
                    for v in values:
                        vals.add(v)
                        if isinstance(v, (int, float)) and not isinstance(v, bool):
                            vals.update({v - 1, v + 0.5, v + 1, v - 0.05, v + 0.05})
                        elif v is not None:
                            vals.add("__other__")
        names = sorted(candidates)
        found: dict[str, dict] = {}
        combos = itertools.product(*[sorted(candidates[n], key=repr) for n in names])
        for combo in itertools.islice(combos, 20_000):
            case = dict(zip(names, combo, strict=True))
            taken = next(
                (
                    f["id"]
                    for f in conds
                    if f["condition_dnf"] is not None
                    and eval(python_condition(f["condition_dnf"]), {}, {"case": case})
                ),
                gw["default_flow"],
            )
            found.setdefault(taken, case)
        out[gw["id"]] = found
    return out


def drive_all(module, blueprint: Blueprint, min_runs: int = 2, max_runs: int = 60) -> dict:
    """Run the workflow until every node and every decision outcome has been visited."""
    nodes = set(blueprint.nodes["id"])
    splits = decision_outcomes(blueprint)
    flows = blueprint.flows.set_index("id")
    wanted = {(gw, flows.loc[f, "target"]) for gw, options in splits.items() for f in options}
    visited: set[str] = set()
    taken: set[tuple[str, str]] = set()
    retried: set[str] = set()
    runs = 0
    tally: dict = {}
    for run in range(max_runs):
        engine = Engine(module, blueprint, run, tally)
        engine.start()
        runs += 1
        retried |= engine.retried
        for trail in engine.trails:
            visited.update(trail)
            taken.update(zip(trail, trail[1:], strict=False))
        if run + 1 >= min_runs and nodes <= visited and wanted <= taken:
            break
    return {
        "runs": runs,
        "missed_nodes": nodes - visited,
        "missed_outcomes": wanted - taken,
        "unreachable_outcomes": {
            gw for gw, options in splits.items() if len(options) < len(flows[flows["source"] == gw])
        },
        "retried": retried,
    }


@pytest.fixture(scope="module")
def permit_module(permit, tmp_path_factory):
    path = tmp_path_factory.mktemp("dapr") / "blueprint_dapr.py"
    export_dapr_workflow(permit, path)
    return path, import_module(path, "blueprint_dapr_permit")


def test_dapr_module_imports_and_registers(permit_module):
    path, module = permit_module
    from dapr.ext.workflow import WorkflowRuntime

    assert module.START == "n1" and module.SOURCE == "hand_made.csv"
    activities = {f.__name__ for f in module.ACTIVITIES}
    assert {
        "route_register_application",
        "step_register_application",
        "ai_prepare_check_documents",
        "escalate_check_documents",
        "step_compute_fee",
    } <= activities
    assert module.RETRY_POLICY_1.max_number_of_attempts == 3
    assert module.RETRY_POLICY_1.backoff_coefficient == 2.0
    with pytest.raises(NotImplementedError, match="step_compute_fee"):
        module.step_compute_fee(None, {})
    registered = []

    class Runtime(WorkflowRuntime):
        def __init__(self):  # no sidecar: record what would be registered
            pass

        def register_workflow(self, fn, *, name=None):
            registered.append(fn.__name__)

        def register_activity(self, fn, *, name=None):
            registered.append(fn.__name__)

    module.register(Runtime())
    assert registered[:2] == ["blueprint_workflow", "parallel_branch"] and set(registered[2:]) == activities
    assert "register(runtime)" in module.__doc__ and "WorkflowRuntime" in module.__doc__


def test_dapr_module_type_checks(permit_module):
    path, _ = permit_module
    run = run_mypy(path)
    assert run.returncode == 0, run.stdout + run.stderr


def test_stub_drives_every_branch_of_the_dapr_workflow(permit, permit_module):
    """Every node is visited: both outcomes of the confidence check, the three of the rule decision (one
    loops back), the route decision, an SLA timeout that escalates, steps failing into human handling,
    both parallel branches."""
    _, module = permit_module
    result = drive_all(module, permit)
    assert result["unreachable_outcomes"] == set()
    assert result["missed_nodes"] == set(), result
    assert result["missed_outcomes"] == set(), result
    assert "step_register_application" in result["retried"]  # the retry policy is passed


def test_stub_runs_follow_the_blueprint(permit_module, permit):
    """Scripted runs, step by step: failing steps go to a person, the rule decision loops once, SLA timeouts
    escalate and the work goes on, both parallel branches reach the join, the route decision's default."""
    _, module = permit_module
    engine = Engine(module, permit, run=0)
    case = engine.start()
    main = engine.trails[0]
    # start, route (fails after its retries), error boundary, a person handles it, merge, register
    assert main[:6] == ["n1", "n2", "n4", "n5", "n3", "n6"]
    assert main.count("n11") == 2 and main.count("n22") == 1  # the loop back to the AI preparation, once
    at = main.index("n16")  # the review: its SLA timer fires, the owner is alerted, the review goes on
    assert main[at : at + 5] == ["n16", "n18", "n19", "n20", "n17"]
    assert main[-5:] == ["n35", "n41", "n42", "n44", "n45"]  # join, route decision, approve, merge, end
    assert case["route_n41"] == "f41" and case["case_id"] == "c1"
    assert engine.trails[1:] == [["n32", "n36", "n37", "n38", "n35"], ["n33", "n39", "n40", "n34", "n35"]]
    assert engine.instances == {"case-1-n31-1-1", "case-1-n31-1-2"}  # child instances, Dapr-valid ids
    engine = Engine(module, permit, run=1)
    engine.start()
    main = engine.trails[0]
    assert main[main.index("n41") + 1] == "n43"  # the default of the route decision


def skip_review_graph() -> GraphBuilder:
    """An AI preparation whose failure goes to a person who does the work, skipping the review."""
    g = GraphBuilder()
    start = g.node("startEvent", "", "start")
    prepare = g.task("serviceTask", "AI prepares: Assess", "ai_prepare", "Assess")
    confidence = g.node("exclusiveGateway", "", "confidence_check")
    review = g.task("userTask", "Review: Assess", "review", "Assess")
    merge = g.node("exclusiveGateway", "", "merge")
    end = g.node("endEvent", "", "end")
    g.chain(start, prepare, confidence)
    g.flow(confidence, review, [[{"variable": "ai_confidence", "op": "<", "value": 0.8}]])
    g.flow(confidence, merge, default=True)
    g.chain(review, merge, end)
    g.with_error(prepare, merge, "Assess by hand")
    return g


def test_an_error_path_that_does_not_rejoin(sw_validator, tmp_path):
    blueprint = skip_review_graph().blueprint()
    doc = check_serverless_workflow(export_serverless_workflow(blueprint), sw_validator, whole=True)
    tasks = {next(iter(t)): next(iter(t.values())) for t in doc["do"]}
    prepare = tasks["ai-prepares-assess"]
    assert prepare["catch"]["do"] == [
        {"ai-prepares-assess-mark-failure": {"set": '${ . + {"flowready_failed_task": "n2"} }'}}
    ]
    assert prepare["then"] == "ai-prepares-assess-outcome"
    outcome = tasks["ai-prepares-assess-outcome"]
    assert outcome["switch"] == [
        {
            "ai-prepares-assess-failed": {
                "when": '${ .flowready_failed_task == "n2" }',
                "then": "assess-by-hand",
            }
        },
        {"ai-prepares-assess-succeeded": {"then": "decide-n3"}},
    ]
    assert outcome["output"] == {"as": "${ del(.flowready_failed_task) }"}  # a later pass starts clean
    assert tasks["assess-by-hand"]["then"] == "end"
    path = tmp_path / "skip_review.py"
    export_dapr_workflow(blueprint, path)
    result = drive_all(import_module(path, "skip_review"), blueprint)
    assert result["missed_nodes"] == set() and result["missed_outcomes"] == set()


def test_dapr_module_survives_hostile_names(hostile, tmp_path):
    path = tmp_path / "hostile_dapr.py"
    source = export_dapr_workflow(hostile, path)
    compile(source, str(path), "exec")
    assert "\x00" not in source and "\u2028" not in source
    module = import_module(path, "blueprint_dapr_hostile")
    names = [f.__name__ for f in module.ACTIVITIES]
    assert len(names) == len(set(names)) and all(n.isidentifier() and n.isascii() for n in names)
    assert "step_register_application_b_now_b" in names and "step_register_application_b_now_b_2" in names
    assert module.SOURCE == 'weird "log"\nname.csv'
    assert any(task == 'Register "application"\n<b>now</b>' for _, task in module.EVENTS.values()) is False
    assert any(task.endswith("Prüfung der Unterlagen – éèà 書類") for _, task in module.EVENTS.values())
    run = run_mypy(path)
    assert run.returncode == 0, run.stdout + run.stderr
    result = drive_all(module, hostile)
    assert result["missed_nodes"] == set() and result["missed_outcomes"] == set(), result


# ------------------------------------------------------------------------------------------------
# Real blueprints: the sample and the real logs


def _check_real(blueprint, validator, tmp_path, name: str) -> dict:
    t0 = time.perf_counter()
    doc = check_serverless_workflow(export_serverless_workflow(blueprint), validator)
    path = tmp_path / f"{name}.py"
    export_dapr_workflow(blueprint, path)
    module = import_module(path, name)
    run = run_mypy(path)
    assert run.returncode == 0, run.stdout[:2000]
    result = drive_all(module, blueprint)
    assert result["missed_nodes"] == set(), result
    assert result["missed_outcomes"] == set(), result
    tasks = sum(len(tasks) for _, tasks in _task_lists(doc["do"]))
    return {"tasks": tasks, "runs": result["runs"], "seconds": time.perf_counter() - t0}


def test_exports_of_the_sample_blueprint(sample_findings, sw_validator, tmp_path):
    blueprint = sample_findings.blueprint
    if "condition_dnf" not in blueprint.flows:
        pytest.skip("the blueprint's executable graph (issue 12) is not built yet")
    _check_real(blueprint, sw_validator, tmp_path, "sample_dapr")


@pytest.mark.slow
@pytest.mark.parametrize("name", BLUEPRINT_LOGS)
def test_exports_of_real_blueprints(real_findings, name, sw_validator, tmp_path):
    blueprint = real_findings(name).blueprint
    if "condition_dnf" not in blueprint.flows:
        pytest.skip("the blueprint's executable graph (issue 12) is not built yet")
    figures = _check_real(blueprint, sw_validator, tmp_path, "real_dapr")
    print(name, figures)


def test_split_validation_finds_what_the_whole_finds(permit, sw_validator):
    doc = yaml.safe_load(export_serverless_workflow(permit))
    fork = next(t for t in doc["do"] if "parallel-n31" in t)["parallel-n31"]
    branch = next(iter(fork["fork"]["branches"][1].values()))["do"][0]["compute-fee"]
    branch["catch"]["retry"]["limit"]["attempt"]["count"] = "two"  # deep inside the fork
    branch["then"] = 3
    assert len(schema_errors(doc, sw_validator)) >= 1
