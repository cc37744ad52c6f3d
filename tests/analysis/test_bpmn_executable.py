"""The blueprint's BPMN runs in an engine: SpiffWorkflow 3.2 drives cases through every branch.

Cases are driven to the end event. Before each task is completed the driver sets the case variables so
that every exclusive gateway takes its least-taken outgoing flow (route variables directly, learned-rule
variables by a small search over values taken from the conditions); after ``EXIT_AFTER`` task
completions in a case it steers every gateway towards the nearest end, so loops end. Every service task
reached is made to fail once (its error boundary event fires, a person handles it, the case goes on) and
every user task's SLA timer fires once (non-interrupting: the escalation runs and the work goes on),
until each boundary event has been triggered in some case. Coverage is asserted for EVERY outgoing flow
of EVERY exclusive split and EVERY boundary event.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("SpiffWorkflow")

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.parser import BpmnParser  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition  # noqa: E402
from SpiffWorkflow.bpmn.util import BpmnEvent  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from analysis.bpmn_xml import validate_bpmn_xml  # noqa: E402
from tests.conftest import BLUEPRINT_LOGS  # noqa: E402

#: Task completions in one case after which every gateway is steered to the nearest end.
EXIT_AFTER = 60
MAX_CASES = 60
MAX_STEPS = 2000
_ISO = re.compile(r"P(?=\d|T\d)[\dYMWD]*(T[\d.HMS]+)?")


class FlowreadyScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's Python engine, reading a timer's ``timeDuration`` as the ISO 8601 literal it is.

    SpiffWorkflow evaluates a timer's text as a Python expression (it expects ``"PT4H"`` with quotes);
    BPMN and Camunda write the literal ``PT4H``, as the blueprint does.
    """

    def evaluate(self, task, expression, external_context=None):
        if isinstance(expression, str) and _ISO.fullmatch(expression.strip()):
            return expression.strip()
        return super().evaluate(task, expression, external_context)


def _candidates(terms: list[dict]) -> list:
    values: list = [None]
    for t in terms:
        v = t["value"]
        if t["op"] in ("in", "not in"):
            values += list(v) + ["__other__"]
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            values += [v, v - 1, v + 1, v - 0.5, v + 0.5]
        elif v is not None:
            values += [v, "__other__"]
    return list(dict.fromkeys(values))


class Driver:
    """Runs cases of one blueprint in SpiffWorkflow and records what they covered."""

    def __init__(self, blueprint, xml: str):
        parser = BpmnParser()
        parser.add_bpmn_str(xml.encode("utf-8"))
        self.spec = parser.get_spec("flowready_blueprint")
        nodes, flows = blueprint.nodes, blueprint.flows
        self.kind = dict(zip(nodes["id"], nodes["type"], strict=True))
        self.purpose = dict(zip(nodes["id"], nodes["purpose"], strict=True))
        self.splits = {
            n.id: n for n in nodes.itertuples() if n.type == "exclusiveGateway" and n.default_flow is not None
        }
        self.out = {g: flows[flows["source"] == g].to_dict("records") for g in self.splits}
        self.flow_of = {}
        for g, fs in self.out.items():
            for f in fs:
                assert (g, f["target"]) not in self.flow_of, f"two flows from {g} to {f['target']}"
                self.flow_of[(g, f["target"])] = f["id"]
        self.boundary = dict(
            zip(
                nodes.loc[nodes["type"] == "boundaryEvent", "id"],
                nodes.loc[nodes["type"] == "boundaryEvent", "event"],
                strict=True,
            )
        )
        self.start_data = dict.fromkeys(blueprint.governance["case_variables"])
        self.dist = self._distances(nodes, flows)
        self.taken: Counter = Counter()
        self.triggered: Counter = Counter()
        self.cases = 0

    @staticmethod
    def _distances(nodes, flows) -> dict:
        ends = set(nodes.loc[(nodes["type"] == "endEvent") & (nodes["name"] != "SLA breach escalated"), "id"])
        dist = dict.fromkeys(ends, 0)
        frontier = list(ends)
        while frontier:
            nxt = []
            for n in frontier:
                for src in flows.loc[flows["target"] == n, "source"]:
                    if src not in dist:
                        dist[src] = dist[n] + 1
                        nxt.append(src)
            frontier = nxt
        return dist

    # --- choosing the branches --------------------------------------------------------------------
    def _want(self, g: str, exiting: bool) -> dict:
        flows = self.out[g]
        if exiting:
            return min(flows, key=lambda f: (self.dist.get(f["target"], 10**9), not f["is_default"]))
        return min(flows, key=lambda f: (self.taken[f["id"]], not f["is_default"]))

    def _assignment(self, g: str, want: dict, fixed: dict) -> dict | None:
        """Values of the gateway's variables under which ``want`` is the first flow whose guard holds."""
        guarded = [f for f in self.out[g] if f["condition"] is not None]
        terms = [t for f in guarded for alt in f["condition_dnf"] for t in alt]
        names = sorted({t["variable"] for t in terms})
        options = [_candidates([t for t in terms if t["variable"] == v]) for v in names]
        for values in itertools.islice(itertools.product(*options), 20000):
            env = {**fixed, **dict(zip(names, values, strict=True))}
            hold = [f["id"] for f in guarded if eval(f["condition"], {}, dict(env))]  # noqa: S307
            if (want["is_default"] and not hold) or (hold and hold[0] == want["id"]):
                return dict(zip(names, values, strict=True))
        return None

    def choose(self, data: dict, exiting: bool) -> None:
        for g, node in self.splits.items():
            if node.purpose == "confidence_check":
                want = self._want(g, exiting)
                data["ai_confidence"] = 0.95 if want["is_default"] else 0.4
                continue
            if node.decision_variable:
                want = self._want(g, exiting)
                data[node.decision_variable] = None if want["is_default"] else want["id"]
                continue
            for want in sorted(self.out[g], key=lambda f: (self.taken[f["id"]], not f["is_default"])):
                if exiting:
                    want = self._want(g, True)
                values = self._assignment(g, want, data)
                if values is not None:
                    data.update(values)
                    break

    # --- running ------------------------------------------------------------------------------------
    def _record(self, task) -> None:
        bpmn_id = task.task_spec.bpmn_id
        if bpmn_id in self.splits:
            for child in task.children:
                if child.has_state(TaskState.DEFINITE_MASK | TaskState.FINISHED_MASK):
                    target = child.task_spec.name.split(".")[0]
                    self.taken[self.flow_of[(bpmn_id, target)]] += 1
        if bpmn_id in self.boundary and task.state == TaskState.COMPLETED:
            self.triggered[bpmn_id] += 1

    def _boundaries(self, task, kind):
        split = task.parent
        if split is None or not split.task_spec.name.endswith(".BoundaryEventSplit"):
            return []
        return [
            c
            for c in split.children
            if c.task_spec.bpmn_id in self.boundary and self.boundary[c.task_spec.bpmn_id] == kind
        ]

    def run_case(self) -> int:
        wf = BpmnWorkflow(self.spec, script_engine=FlowreadyScriptEngine())
        first = wf.get_tasks(state=TaskState.READY)[0]
        first.data.update(self.start_data)
        self.choose(first.data, False)
        wf.do_engine_steps(did_complete_task=self._record)
        steps = 0
        while not wf.is_completed():
            steps += 1
            assert steps < MAX_STEPS, "the case does not end"
            ready = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual]
            ready += wf.get_tasks(state=TaskState.STARTED)
            assert ready, f"stuck: {[t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.WAITING)]}"
            task = ready[0]
            bpmn_id = task.task_spec.bpmn_id
            # An SLA timer fires once on every user task that has one (non-interrupting).
            for timer in self._boundaries(task, "timer"):
                if not self.triggered[timer.task_spec.bpmn_id] and timer.state == TaskState.WAITING:
                    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
                    timer._set_internal_data(event_value=past)
                    wf.refresh_timers()
                    wf.do_engine_steps(did_complete_task=self._record)
            if task.state not in (TaskState.READY, TaskState.STARTED):
                continue
            self.choose(task.data, steps > EXIT_AFTER)
            errors = [e for e in self._boundaries(task, "error") if not self.triggered[e.task_spec.bpmn_id]]
            if self.kind[bpmn_id] == "serviceTask" and errors and errors[0].state == TaskState.WAITING:
                catcher = errors[0]
                event = BpmnEvent(
                    ErrorEventDefinition("step_failed", code=catcher.task_spec.event_definition.code),
                    payload=dict(task.data),
                )
                catcher.task_spec.catch(catcher, event)
                catcher.task_spec._update(catcher)
            elif task.state == TaskState.STARTED:
                task.complete()
            else:
                task.run()
            wf.do_engine_steps(did_complete_task=self._record)
        self.cases += 1
        return steps

    def missing(self) -> tuple[list, list]:
        flows = [f["id"] for fs in self.out.values() for f in fs if not self.taken[f["id"]]]
        events = [b for b in self.boundary if not self.triggered[b]]
        return flows, events

    def cover(self) -> dict:
        start = time.perf_counter()
        while any(self.missing()) and self.cases < MAX_CASES:
            self.run_case()
        return {"cases": self.cases, "seconds": time.perf_counter() - start}


def drive(blueprint, tmp_path) -> Driver:
    path = tmp_path / "blueprint.bpmn"
    xml = blueprint.to_bpmn(path)
    assert validate_bpmn_xml(xml)["executable"] is True
    driver = Driver(blueprint, path.read_text("utf-8"))
    result = driver.cover()
    flows, events = driver.missing()
    assert not flows, f"flows never taken after {result['cases']} cases: {flows}"
    assert not events, f"boundary events never triggered after {result['cases']} cases: {events}"
    # Every split flow was taken and every boundary event fired (assertions above); the timers did not
    # interrupt: each user task whose timer fired was still completed in that case.
    assert driver.triggered and driver.taken
    print(f"{len(blueprint.nodes)} nodes: covered in {result['cases']} cases, {result['seconds']:.1f} s")
    return driver


def test_the_sample_blueprint_runs_every_branch_in_spiffworkflow(sample_findings, tmp_path):
    bp = sample_findings.blueprint
    driver = drive(bp, tmp_path)
    kinds = Counter(driver.boundary[b] for b in driver.triggered)
    assert kinds["timer"] >= 1 and kinds["error"] >= 1
    # The learned rule's gateway was taken both ways, by its variable, not by a route variable.
    guarded = bp.flows[bp.flows["condition"].fillna("").str.contains("documents_submitted")]
    assert len(guarded) >= 1 and all(driver.taken[f] for f in guarded["id"])


def test_an_ai_assist_blueprint_runs_the_review_and_the_confident_path(ai_blueprint, tmp_path):
    driver = drive(ai_blueprint, tmp_path)
    checks = [g for g, n in driver.splits.items() if n.purpose == "confidence_check"]
    assert checks and all(driver.taken[f["id"]] for g in checks for f in driver.out[g])


@pytest.fixture(scope="module")
def ai_blueprint(sample_log, tmp_path_factory):
    from analysis import analyze

    path = tmp_path_factory.mktemp("profile") / "lenient.yaml"
    path.write_text("rules:\n  ai_assist_min_determinism: 0.0\n")
    return analyze(sample_log, profile=path, sensitivity=False).blueprint


def test_a_failing_service_task_is_handled_by_a_person_and_the_case_continues(sample_findings, tmp_path):
    bp = sample_findings.blueprint
    xml = bp.to_bpmn()
    driver = Driver(bp, xml)
    driver.run_case()
    nodes = bp.nodes.set_index("id")
    failed = [b for b in driver.triggered if driver.boundary[b] == "error"]
    assert failed
    for b in failed:  # the handler (a user task) follows the error event
        handler = bp.flows.loc[bp.flows["source"] == b, "target"].iloc[0]
        assert nodes.loc[handler, "type"] == "userTask" and nodes.loc[handler, "purpose"] == "handle_error"
    timers = [b for b in driver.triggered if driver.boundary[b] == "timer"]
    assert timers and all(not nodes.loc[b, "interrupting"] for b in timers)


@pytest.mark.slow
@pytest.mark.parametrize("name", BLUEPRINT_LOGS)
def test_real_blueprints_run_every_branch_in_spiffworkflow(real_findings, name, tmp_path):
    drive(real_findings(name).blueprint, tmp_path)
