"""Portable outputs of the orchestration blueprint: CNCF Serverless Workflow 1.0 and a Dapr Workflow skeleton.

Both exports are pure functions of the blueprint's executable graph (``Blueprint.nodes`` and
``Blueprint.flows``, the columns of which are described in ``docs/blueprint-portable.md``), so they say the
same thing as the BPMN file:

* :func:`export_serverless_workflow` writes a CNCF Serverless Workflow DSL 1.0 YAML document: one named
  task per BPMN task, flow by ``then``, ``switch`` for exclusive decisions (jq conditions), ``fork`` for
  parallel blocks, ``call`` with ``try``/``catch`` retries for service tasks, ``listen`` with the SLA as a
  timeout for human tasks;
* :func:`export_dapr_workflow` writes a Python module for ``dapr-ext-workflow``: one activity stub per
  automated step and a workflow generator that walks the graph as a state machine over node ids (human
  work as external events raced against the SLA timer, decisions as ``if`` on the case data, parallel
  blocks as child workflows joined by ``when_all``).
"""

from __future__ import annotations

import json
import keyword
import math
import re
import textwrap
import unicodedata
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.bpmn_xml import EXECUTABLE_FLOW_COLUMNS, EXECUTABLE_NODE_COLUMNS
from mapper.errors import AnalysisError

#: The Serverless Workflow DSL version the YAML declares (the schema's ``$id`` is 1.0.3).
SERVERLESS_WORKFLOW_DSL = "1.0.3"
#: Namespace of the Serverless Workflow document.
SERVERLESS_WORKFLOW_NAMESPACE = "flowready"
#: CloudEvents type a human task's completion is announced with (the ``listen`` tasks wait for it).
TASK_COMPLETED_EVENT = "org.flowready.task.completed"
#: Error type of a task's SLA timeout (Serverless Workflow DSL 1.0, standard error types).
TIMEOUT_ERROR = "https://serverlessworkflow.io/spec/1.0.0/errors/timeout"
#: Case variable a failed task's ``catch`` sets when its error path does not rejoin its normal flow.
FAILED_VARIABLE = "flowready_failed_task"
#: ``output.as`` of a call: the service's answer (an object of case variables) merged into the case data.
CALL_MERGE = '${ $input + (if type == "object" then . else {} end) }'
#: ``output.as`` of a listen: the consumed event's data (an object of case variables) merged likewise.
LISTEN_MERGE = (
    '${ $input + (if type == "array" and length > 0 and (.[0] | type) == "object" then .[0] '
    'elif type == "object" then . else {} end) }'
)
#: ``output.as`` of a fork: its branches' outputs merged into the case data (later branches win).
FORK_MERGE = (
    '${ if type == "array" then reduce .[] as $b ($input; . + (if ($b | type) == "object" then $b '
    'else {} end)) elif type == "object" then $input + . else $input end }'
)
#: Base of the placeholder endpoints of the service tasks (RFC 2606 reserves example.org for examples).
PLACEHOLDER_ENDPOINT = "https://orchestrator.example.org/flowready/steps/"

_NODE_COLUMNS = ("id", "type", "name")
_FLOW_COLUMNS = ("id", "source", "target")
_TASKS = ("serviceTask", "userTask", "task")
_OPS = ("<", "<=", ">", ">=", "==", "!=", "in", "not in", "is_missing")
# Names a Serverless Workflow flow directive reserves.
_DIRECTIVES = {"continue", "exit", "end"}


# --------------------------------------------------------------------------------------------------
# The graph, read once from the blueprint's tables


def _plain(x: Any) -> Any:
    """JSON/YAML-ready copy of a cell: numpy scalars to Python, NaN to None, containers recursively."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return _plain(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is pd.NA or x is pd.NaT:
        return None
    return x


@dataclass(frozen=True)
class _Graph:
    nodes: dict[str, dict]
    flows: dict[str, dict]
    out: dict[str, list[dict]]
    into: dict[str, list[dict]]
    boundaries: dict[str, list[str]]
    start: str
    source: str

    def kind(self, nid: str) -> str:
        return str(self.nodes[nid]["type"])

    def is_task(self, nid: str) -> bool:
        return self.kind(nid) in _TASKS

    def is_split(self, nid: str) -> bool:
        return self.kind(nid) in ("exclusiveGateway", "parallelGateway") and len(self.out[nid]) > 1

    def is_parallel_split(self, nid: str) -> bool:
        return self.kind(nid) == "parallelGateway" and len(self.out[nid]) > 1

    def is_parallel_join(self, nid: str) -> bool:
        return self.kind(nid) == "parallelGateway" and len(self.into[nid]) > 1 and len(self.out[nid]) <= 1

    def boundary(self, task: str, event: str) -> str | None:
        found = [b for b in self.boundaries.get(task, []) if self.nodes[b].get("event") == event]
        return found[0] if found else None

    def governance(self, nid: str) -> dict:
        g = self.nodes[nid].get("governance")
        return g if isinstance(g, dict) else {}

    def next_of(self, nid: str) -> str:
        """The one target of a node with one outgoing flow."""
        outs = self.out[nid]
        if len(outs) != 1:
            raise AnalysisError(
                f"blueprint: node {nid!r} ({self.kind(nid)}) has {len(outs)} outgoing flows where one is "
                "expected; the blueprint's graph is not executable (see blueprint.nodes / blueprint.flows)"
            )
        return str(outs[0]["target"])


def _graph(blueprint: Any) -> _Graph:
    nodes_df, flows_df = getattr(blueprint, "nodes", None), getattr(blueprint, "flows", None)
    if not isinstance(nodes_df, pd.DataFrame) or not isinstance(flows_df, pd.DataFrame):
        raise AnalysisError("blueprint: expected an analysis.Blueprint (with nodes and flows tables)")
    missing = [c for c in (*_NODE_COLUMNS, *EXECUTABLE_NODE_COLUMNS) if c not in nodes_df.columns] + [
        c for c in (*_FLOW_COLUMNS, *EXECUTABLE_FLOW_COLUMNS) if c not in flows_df.columns
    ]
    if missing:
        raise AnalysisError(
            "blueprint: the nodes/flows tables lack the executable graph's columns "
            f"{missing}; build the blueprint with analysis.build_blueprint of this version"
        )
    nodes = {str(r["id"]): {k: _plain(v) for k, v in r.items()} for r in nodes_df.to_dict(orient="records")}
    flows = {str(r["id"]): {k: _plain(v) for k, v in r.items()} for r in flows_df.to_dict(orient="records")}
    out: dict[str, list[dict]] = {n: [] for n in nodes}
    into: dict[str, list[dict]] = {n: [] for n in nodes}
    for f in flows.values():
        if f["source"] not in nodes or f["target"] not in nodes:
            raise AnalysisError(
                f"blueprint: flow {f['id']!r} links unknown node(s) {f['source']!r} -> {f['target']!r}"
            )
        out[f["source"]].append(f)
        into[f["target"]].append(f)
    boundaries: dict[str, list[str]] = {}
    for nid, n in nodes.items():
        if n["type"] == "boundaryEvent":
            if n.get("attached_to") not in nodes:
                raise AnalysisError(f"blueprint: boundary event {nid!r} is attached to no known task")
            boundaries.setdefault(str(n["attached_to"]), []).append(nid)
    starts = [nid for nid, n in nodes.items() if n["type"] == "startEvent"]
    if len(starts) != 1:
        raise AnalysisError(f"blueprint: expected one startEvent, found {len(starts)} ({starts})")
    return _Graph(nodes, flows, out, into, boundaries, starts[0], str(getattr(blueprint, "source", "") or ""))


# --------------------------------------------------------------------------------------------------
# Blocks: the parallel split/join pairs (the discovered models are block-structured)


def _successors(g: _Graph, nid: str) -> list[str]:
    """Where the control may go from a node: its flows, and its error boundaries' flows."""
    succ = [str(f["target"]) for f in g.out[nid]]
    for b in g.boundaries.get(nid, []):
        if g.nodes[b].get("event") != "timer":  # the SLA path runs beside the task (non-interrupting)
            succ.append(b)
    return succ


@dataclass(frozen=True)
class _Blocks:
    join: dict[str, str]  # parallel split -> its join
    scope: dict[str, tuple[str, int] | None]  # node -> (split, branch index) it lies in; None: top level
    order: dict[tuple[str, int] | None, list[str]]  # the nodes of each scope in visiting order


def _timer_path(g: _Graph, timer: str) -> list[str]:
    """The nodes after an SLA timer, its end event included (escalate -> "SLA breach escalated")."""
    out: list[str] = []
    nid = g.next_of(timer)
    while g.kind(nid) != "endEvent":
        if nid in out or not g.is_task(nid):
            raise AnalysisError(
                f"blueprint: the path of SLA timer {timer!r} must be a chain of tasks ending in an endEvent"
            )
        out.append(nid)
        nid = g.next_of(nid)
    return [*out, nid]


def _blocks(g: _Graph) -> _Blocks:
    join: dict[str, str] = {}
    scope: dict[str, tuple[str, int] | None] = {}
    order: dict[tuple[str, int] | None, list[str]] = {}

    def claim(n: str, where: tuple[str, int] | None) -> bool:
        if n in scope:
            if scope[n] != where:
                raise AnalysisError(
                    f"blueprint: node {n!r} is reached from inside and outside a parallel block; the exports "
                    "need a block-structured graph (parallel split/join pairs)"
                )
            return False
        scope[n] = where
        order.setdefault(where, []).append(n)
        return True

    def walk(starts: list[str], where: tuple[str, int] | None) -> set[str]:
        """Visit a scope from ``starts``; returns the parallel joins met (a branch ends at its join)."""
        order.setdefault(where, [])
        queue = deque(starts)
        met: set[str] = set()
        while queue:
            n = queue.popleft()
            if where is not None and g.is_parallel_join(n):
                met.add(n)
                continue
            if not claim(n, where):
                continue
            if g.is_parallel_split(n):
                j = block(n)
                if claim(j, where):
                    queue.extend(_successors(g, j))
            else:
                queue.extend(_successors(g, n))
        return met

    def block(split: str) -> str:
        joins: set[str] = set()
        for i, f in enumerate(g.out[split]):
            joins |= walk([str(f["target"])], (split, i))
        if len(joins) != 1:
            raise AnalysisError(
                f"blueprint: the parallel split {split!r} does not close in one join (found "
                f"{sorted(joins)}); the exports need a block-structured graph"
            )
        join[split] = joins.pop()
        return join[split]

    walk([g.start], None)
    for task, bs in g.boundaries.items():
        for b in bs:
            if g.nodes[b].get("event") == "timer" and task in scope:
                for n in [b, *_timer_path(g, b)]:
                    scope.setdefault(n, scope[task])
    return _Blocks(join, scope, order)


# --------------------------------------------------------------------------------------------------
# Conditions


def _dnf(flow: dict) -> list[list[dict]] | None:
    dnf = flow.get("condition_dnf")
    if dnf is None:
        return None
    if not isinstance(dnf, list) or not all(isinstance(a, list) for a in dnf):
        raise AnalysisError(f"blueprint: flow {flow['id']!r}: condition_dnf must be a list of lists of terms")
    for alt in dnf:
        for t in alt:
            if not isinstance(t, dict) or t.get("op") not in _OPS or not isinstance(t.get("variable"), str):
                raise AnalysisError(
                    f"blueprint: flow {flow['id']!r}: condition term {t!r} is not "
                    f"{{'variable': str, 'op': one of {list(_OPS)}, 'value': ...}}"
                )
    return dnf


def _json_literal(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise AnalysisError(f"blueprint: condition value {value!r} cannot be written as JSON: {e}") from e


def _jq_path(var: str) -> str:
    return "." + var if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var) else "." + "[" + _json_literal(var) + "]"


def _jq_term(t: dict) -> str:
    v, op, value = _jq_path(t["variable"]), t["op"], t.get("value")
    if op == "is_missing" or value is None:  # `!= None`: "is not missing"; any other op on None: "is missing"
        return f"{v} != null" if op == "!=" else f"{v} == null"
    if op in ("in", "not in"):
        values = value if isinstance(value, list) else [value]
        test = f"({v} as $v | {_json_literal(values)} | any(. == $v))"
        return test if op == "in" else f"({v} != null and ({test} | not))"
    if op == "==":  # false on a missing value already
        return f"{v} == {_json_literal(value)}"
    return f"({v} != null and {v} {op} {_json_literal(value)})"


def jq_condition(dnf: list[list[dict]]) -> str:
    """A guard in disjunctive normal form as a jq expression over the case data (``.variable``).

    A comparison on a missing variable is false (``is_missing`` tests for it), as in the BPMN's Python
    conditions (:func:`analysis.blueprint.dnf_to_python`).

    Examples
    --------
    >>> below = {"variable": "documents_submitted", "op": "<", "value": 4}
    >>> jq_condition([[below], [{"variable": "documents_submitted", "op": "is_missing", "value": None}]])
    '((.documents_submitted != null and .documents_submitted < 4)) or (.documents_submitted == null)'
    >>> jq_condition([[{"variable": "route_n12", "op": "==", "value": "f37"}]])
    '.route_n12 == "f37"'
    """
    if not dnf:
        return "false"
    alts = [" and ".join(_jq_term(t) for t in alt) if alt else "true" for alt in dnf]
    return alts[0] if len(alts) == 1 else " or ".join(f"({a})" for a in alts)


def _py_literal(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_py_literal(v) for v in value) + "]"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise AnalysisError(f"blueprint: condition value {value!r} cannot be written as a Python literal")


def _py_term(t: dict, data: str) -> str:
    var, op, value = repr(t["variable"]), t["op"], t.get("value")
    get = f"{data}.get({var})"
    if op == "is_missing" or value is None:
        return f"{get} is not None" if op == "!=" else f"{get} is None"
    if op in ("in", "not in"):
        values = _py_literal(value if isinstance(value, list) else [value])
        return (
            f"{get} in {values}" if op == "in" else f"({get} is not None and {data}[{var}] not in {values})"
        )
    if op == "==":  # false on a missing value already
        return f"{get} == {_py_literal(value)}"
    return f"({get} is not None and {data}[{var}] {op} {_py_literal(value)})"


def python_condition(dnf: list[list[dict]], data: str = "case") -> str:
    """A guard in disjunctive normal form as a Python expression over the dict of case data ``data``.

    The same semantics as :func:`analysis.blueprint.dnf_to_python` (a comparison on a missing variable is
    false), but reading a dict, so that any variable name works.

    Examples
    --------
    >>> python_condition([[{"variable": "documents submitted", "op": "<", "value": 4}]])
    "(case.get('documents submitted') is not None and case['documents submitted'] < 4)"
    """
    if not dnf:
        return "False"
    alts = [" and ".join(_py_term(t, data) for t in alt) if alt else "True" for alt in dnf]
    return alts[0] if len(alts) == 1 else " or ".join(f"({a})" for a in alts)


def _exclusive_cases(g: _Graph, gw: str) -> tuple[list[tuple[dict, list[list[dict]] | None]], dict | None]:
    """The conditional flows of an exclusive split in table order, and its default flow."""
    default_id = g.nodes[gw].get("default_flow")
    default = None
    cases = []
    for f in g.out[gw]:
        if f["id"] == default_id or (default_id is None and f.get("is_default")):
            default = f
        else:
            cases.append((f, _dnf(f)))
    return cases, default


# --------------------------------------------------------------------------------------------------
# Names


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")


def _slug(text: Any, sep: str, limit: int) -> str:
    words = re.findall(r"[a-z0-9]+", _ascii(str(text or "")).lower())
    return sep.join(words)[:limit].strip(sep)


class _Names:
    """Unique names under a pattern: ``make(text, fallback)``."""

    def __init__(self, sep: str, limit: int, reserved: set[str] | frozenset[str] = frozenset()):
        self.sep, self.limit, self.used = sep, limit, set(reserved)

    def make(self, text: Any, fallback: str) -> str:
        base = _slug(text, self.sep, self.limit) or fallback
        if self.sep == "_" and (base[0].isdigit() or keyword.iskeyword(base)):
            base = f"{fallback}_{base}"
        if self.sep == "-" and not base[0].isalnum():
            base = fallback
        name, i = base, 2
        while name in self.used:
            name = f"{base}{self.sep}{i}"
            i += 1
        self.used.add(name)
        return name


def _comment(text: Any) -> str:
    """One line of text safe inside a Python comment."""
    s = "".join(c if c.isprintable() else " " for c in str(text or ""))
    return re.sub(r"\s+", " ", s).strip()[:100]


def _document_name(source: str) -> str:
    stem = re.sub(r"\.(csv|xes|parquet|xlsx|json|gz)$", "", Path(source).name.lower()) if source else ""
    stem = re.sub(r"\.(csv|xes|parquet|xlsx|json|gz)$", "", stem)
    name = _slug(stem, "-", 50)
    return f"{name}-blueprint" if name else "blueprint"


# --------------------------------------------------------------------------------------------------
# CNCF Serverless Workflow DSL 1.0


def _duration(hours: float) -> dict:
    """A Serverless Workflow inline duration (whole minutes, at least one)."""
    minutes = max(1, int(round(float(hours) * 60)))
    d, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    out = {k: v for k, v in (("days", d), ("hours", h), ("minutes", m)) if v}
    return out or {"minutes": 1}


def _sw_retry(policy: dict | None) -> dict | None:
    if not policy:
        return None
    retry: dict[str, Any] = {}
    if policy.get("initial_delay_seconds") is not None:
        retry["delay"] = {"seconds": max(0, int(policy["initial_delay_seconds"]))}
    backoff = str(policy.get("backoff") or "constant")
    retry["backoff"] = {backoff if backoff in ("constant", "exponential", "linear") else "constant": {}}
    attempts = policy.get("max_attempts")
    if attempts is not None:  # the DSL counts the retries, the blueprint the attempts
        retry["limit"] = {"attempt": {"count": max(0, int(attempts) - 1)}}
    return retry


def _target(g: _Graph, nid: str, stop: str | None) -> str | None:
    """The first node from ``nid`` that does work (a task or a split); None at an end or at the join ``stop``.

    Start events, merges and other one-way gateways are passed through.
    """
    seen: set[str] = set()
    while True:
        if nid == stop or g.kind(nid) == "endEvent":
            return None
        kind = g.kind(nid)
        if not (kind == "startEvent" or kind.endswith("Gateway") and len(g.out[nid]) == 1):
            return nid
        if nid in seen:
            raise AnalysisError(f"blueprint: the flows through node {nid!r} loop without any task")
        seen.add(nid)
        nid = g.next_of(nid)


def _rejoins(g: _Graph, task: str, boundary: str) -> bool:
    """Whether a task's error path comes back where its normal flow goes (then it fits in ``catch.do``)."""
    path = _error_path(g, boundary)
    after = g.next_of(path[-1]) if path else g.next_of(boundary)
    return _target(g, after, None) == _target(g, g.next_of(task), None)


def _error_path(g: _Graph, boundary: str) -> list[str]:
    """The tasks after an error boundary (a person handles the failed step) until the flow merges back."""
    out: list[str] = []
    nid = g.next_of(boundary)
    while g.is_task(nid) and len(g.into[nid]) == 1 and nid not in out:
        out.append(nid)
        nid = g.next_of(nid)
    return out


class _ServerlessWorkflow:
    def __init__(self, g: _Graph, blocks: _Blocks):
        self.g, self.blocks = g, blocks
        self.task_names = _Names("-", 60, _DIRECTIVES)
        self.function_names = _Names("-", 48)
        self.names: dict[str, str] = {}
        self.functions: dict[str, dict] = {}
        self.variables: set[str] = set()

    def name(self, nid: str) -> str:
        if nid not in self.names:
            n = self.g.nodes[nid]
            text = n.get("name") or n.get("purpose") or n["type"]
            if self.g.kind(nid) == "parallelGateway":
                text = f"parallel {n.get('name') or nid}"
            elif self.g.kind(nid) == "exclusiveGateway":  # the id names the route variable, route_<id>
                text = f"decide {n.get('name') or nid}"
            self.names[nid] = self.task_names.make(text, f"task-{nid}")
        return self.names[nid]

    def directive(self, nid: str, stop: str | None) -> str:
        """The flow directive that reaches a node: a task's name, ``end`` or (in a branch) ``exit``."""
        t = _target(self.g, nid, stop)
        if t is not None:
            return self.name(t)
        return "end" if stop is None else "exit"

    def metadata(self, nid: str) -> dict:
        n = self.g.nodes[nid]
        meta: dict[str, Any] = {"bpmn_id": nid, "bpmn_type": n["type"], "purpose": n.get("purpose")}
        for key in ("activity", "name", "documentation"):
            if n.get(key):
                meta["title" if key == "name" else key] = n[key]
        if self.g.governance(nid):
            meta["governance"] = self.g.governance(nid)
        return meta

    def call(self, nid: str) -> dict:
        n = self.g.nodes[nid]
        fname = self.function_names.make(n.get("name") or n.get("purpose"), f"function-{nid}")
        self.functions[fname] = {
            "call": "http",
            "with": {"method": "post", "endpoint": {"uri": PLACEHOLDER_ENDPOINT + fname}, "body": "${ . }"},
            "metadata": {"placeholder": "replace the endpoint by the service that does this step"},
        }
        return {"call": fname, "output": {"as": CALL_MERGE}}

    def listen(self, nid: str) -> dict:
        return {
            "listen": {
                "to": {
                    "one": {
                        "with": {"type": TASK_COMPLETED_EVENT, "subject": self.name(nid)},
                        "correlate": {
                            "case": {"from": "${ .data.case_id }", "expect": "${ $workflow.input.case_id }"}
                        },
                    }
                }
            },
            "output": {"as": LISTEN_MERGE},
        }

    def work(self, nid: str) -> dict:
        return self.call(nid) if self.g.kind(nid) == "serviceTask" else self.listen(nid)

    def inline(self, nodes: list[str]) -> list[dict]:
        """Tasks run inside a ``catch.do`` (no ``then``: the try task's own ``then`` follows)."""
        return [
            {self.name(n): {**self.work(n), "metadata": self.metadata(n)}} for n in nodes if self.g.is_task(n)
        ]

    def task(self, nid: str, stop: str | None) -> list[dict]:
        """The named task of one node of a scope; ``stop`` is the scope's join (None at top level)."""
        g, kind = self.g, self.g.kind(nid)
        if _target(g, nid, stop) != nid or kind == "boundaryEvent":
            return []
        name, meta = self.name(nid), self.metadata(nid)
        if g.is_parallel_split(nid):
            j = self.blocks.join[nid]
            branches: list[dict[str, Any]] = []
            for i, f in enumerate(g.out[nid]):
                tasks = self.scope_tasks((nid, i), str(f["target"]), j)
                if tasks:
                    label = self.task_names.make(f"{name} branch {i + 1}", f"branch-{nid}-{i + 1}")
                    branches.append({label: {"do": tasks}})
            if not branches:  # every branch skips: a no-op keeps the fork valid
                branches = [{self.task_names.make(f"{name} skip", f"skip-{nid}"): {"set": "${ . }"}}]
            fork: dict[str, Any] = {
                "fork": {"branches": branches, "compete": False},
                # the branches' outputs (an array) merged back into one case object
                "output": {"as": FORK_MERGE},
            }
            return [{name: {**fork, "then": self.directive(g.next_of(j), stop), "metadata": meta}}]
        if kind == "exclusiveGateway":
            cases, default = _exclusive_cases(g, nid)
            items = []
            for f, dnf in cases:
                reached = _target(g, str(f["target"]), stop)
                to = g.nodes[reached].get("name") or reached if reached else "the end"
                label = self.task_names.make(f.get("name") or f"to {to}", f"case-{f['id']}")
                for alt in dnf or []:
                    self.variables.update(t["variable"] for t in alt)
                items.append(
                    {
                        label: {
                            "when": "${ " + (jq_condition(dnf) if dnf is not None else "false") + " }",
                            "then": self.directive(str(f["target"]), stop),
                        }
                    }
                )
            if default is not None:
                label = self.task_names.make(f"{name} default", f"default-{nid}")
                items.append({label: {"then": self.directive(str(default["target"]), stop)}})
            return [{name: {"switch": items, "metadata": meta}}]
        if kind not in _TASKS:
            raise AnalysisError(f"blueprint: node {nid!r} of type {kind!r} cannot be exported")
        # A task: a person's task listens for its completion, an automated one calls its service.
        core = self.work(nid)
        body: dict[str, Any] = core
        timer = g.boundary(nid, "timer")
        if timer is not None and kind != "serviceTask" and g.nodes[timer].get("timer_hours"):
            # The SLA timer does not interrupt: on timeout, escalate and keep waiting.
            hours = float(g.nodes[timer]["timer_hours"])
            within = self.task_names.make(f"{name} within sla", f"{nid}-within-sla")
            again = self.task_names.make(f"{name} after escalation", f"{nid}-after-escalation")
            body = {
                "try": [{within: {**core, "timeout": {"after": _duration(hours)}}}],
                "catch": {
                    "errors": {"with": {"type": TIMEOUT_ERROR}},
                    "do": [*self.inline(_timer_path(g, timer)), {again: dict(core)}],
                },
            }
            meta["sla_timer"] = {"bpmn_id": timer, "hours": hours, "interrupting": False}
        error = g.boundary(nid, "error")
        retry = _sw_retry(g.governance(nid).get("retry_policy")) if kind == "serviceTask" else None
        if error is not None or retry:
            attempt = self.task_names.make(f"{name} attempt", f"{nid}-attempt")
            catch: dict[str, Any] = {"as": "error"}
            if retry:
                catch["retry"] = retry
            then = self.directive(g.next_of(nid), stop)
            after: list[dict] = []
            if error is not None:
                meta["error_boundary"] = {"bpmn_id": error, "error_code": g.nodes[error].get("error_code")}
                if _rejoins(g, nid, error):
                    catch["do"] = self.inline(_error_path(g, error))
                else:
                    # The error path goes elsewhere: mark the case, and a switch after the task follows it.
                    mark = self.task_names.make(f"{name} mark failure", f"{nid}-mark-failure")
                    marker = "${ . + {" + _json_literal(FAILED_VARIABLE) + ": " + _json_literal(nid) + "} }"
                    catch["do"] = [{mark: {"set": marker}}]
                    outcome = self.task_names.make(f"{name} outcome", f"{nid}-outcome")
                    failed = self.task_names.make(f"{name} failed", f"{nid}-failed")
                    ok = self.task_names.make(f"{name} succeeded", f"{nid}-succeeded")
                    test = f"${{ {_jq_path(FAILED_VARIABLE)} == {_json_literal(nid)} }}"
                    after = [
                        {
                            outcome: {
                                "switch": [
                                    {failed: {"when": test, "then": self.directive(g.next_of(error), stop)}},
                                    {ok: {"then": then}},
                                ],
                                "output": {"as": f"${{ del({_jq_path(FAILED_VARIABLE)}) }}"},
                                "metadata": {
                                    "bpmn_id": error,
                                    "bpmn_type": "boundaryEvent",
                                    "purpose": "error",
                                },
                            }
                        }
                    ]
                    then = outcome
            body = {"try": [{attempt: body}], "catch": catch}
            return [{name: {**body, "then": then, "metadata": meta}}, *after]
        return [{name: {**body, "then": self.directive(g.next_of(nid), stop), "metadata": meta}}]

    def scope_tasks(self, where: tuple[str, int] | None, first: str, stop: str | None) -> list[dict]:
        """The task list of a scope (the top level or one parallel branch), its entry first."""
        g = self.g
        inside = set()  # written inside another task's try/catch
        for nid in self.blocks.order.get(where, []):
            for b in g.boundaries.get(nid, []):
                if g.nodes[b].get("event") == "timer":
                    inside.update(_timer_path(g, b))
                elif _rejoins(g, nid, b):
                    inside.update(_error_path(g, b))
        ordered = [n for n in self.blocks.order.get(where, []) if n not in inside]
        entry = _target(g, first, stop)
        if entry is not None:  # the DSL runs a list from its first task
            ordered.remove(entry)
            ordered.insert(0, entry)
        tasks: list[dict] = []
        for nid in ordered:
            tasks.extend(self.task(nid, stop))
        return tasks


def _variable_schemas(used: set[str], governance: dict) -> dict:
    """JSON Schemas of the case variables the decisions read (typed from ``governance["case_variables"]``)."""
    variables = governance.get("case_variables")
    known: dict[str, Any] = variables if isinstance(variables, dict) else {}
    out = {}
    for name in sorted(used | set(known)):
        entry = known.get(name)
        info: dict[str, Any] = entry if isinstance(entry, dict) else {}
        schema: dict[str, Any] = {}
        if info.get("type") in ("number", "string"):
            schema["type"] = [info["type"], "null"]
        source = info.get("source")
        schema["description"] = {
            "ai": "written by the AI preparation steps: the confidence of their work, in [0, 1]",
            "route": "the id of the flow a person or the orchestrator chose at this decision",
        }.get(str(source), f"case attribute {info.get('attribute') or name} read by a decision")
        out[name] = schema
    return out


class _Dumper(yaml.SafeDumper):
    """Writes repeated content in full (no YAML anchors and aliases, which some runtimes reject)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def export_serverless_workflow(blueprint: Any, path: str | Path | None = None) -> str:
    """The blueprint as a CNCF Serverless Workflow DSL 1.0 document (YAML).

    Every BPMN construct of the blueprint's executable graph becomes a task of the DSL (see
    ``docs/blueprint-portable.md`` for the whole mapping):

    * a ``serviceTask`` calls a function (``use.functions``: an HTTP POST of the case data to a placeholder
      endpoint) inside ``try``/``catch``: the ``catch`` retries per the step's retry policy and then runs the
      error boundary's human handling (``catch.do``);
    * a ``userTask`` (a person's step, a review, the handling of a failed step) listens for a
      ``org.flowready.task.completed`` CloudEvent with the task's name as subject; with an SLA timer, the
      listen times out after the SLA, the ``catch`` calls the escalation and listens again (the BPMN timer
      is non-interrupting);
    * an exclusive split is a ``switch``: one case per conditional flow, its ``when`` the flow's
      ``condition_dnf`` as jq (``${ .documents_submitted < 4 }``), the default flow as the case without
      ``when``;
    * a parallel split/join block is a ``fork`` whose branches are ``do`` lists; merges disappear (``then``
      names the next task); the end event is ``then: end``.

    Each task's ``metadata`` keeps the BPMN id, purpose, activity and governance (SLA, retry policy, audit
    events, personal data, decision owner); every task's output is merged into the case data
    (``output.as``), so conditions read the case variables.

    Parameters
    ----------
    blueprint : Blueprint
        From :func:`analysis.build_blueprint`, with the executable graph's columns.
    path : str or Path, optional
        Where to write the YAML (UTF-8).

    Returns
    -------
    str
        The YAML document. Task names are hyphen-case, unique, and never a flow directive.

    Raises
    ------
    AnalysisError
        When ``blueprint`` lacks the executable graph's columns, or its graph is not block-structured.

    References
    ----------
    CNCF Serverless Workflow, *Serverless Workflow DSL 1.0* (dsl.md, dsl-reference.md and
    schema/workflow.yaml), https://github.com/serverlessworkflow/specification.

    Examples
    --------
    >>> from analysis import analyze, export_serverless_workflow
    >>> blueprint = analyze(load_event_log(SAMPLE)).blueprint
    >>> text = export_serverless_workflow(blueprint)
    >>> text.splitlines()[:3]
    ['document:', '  dsl: 1.0.3', '  namespace: flowready']
    """
    g = _graph(blueprint)
    blocks = _blocks(g)
    sw = _ServerlessWorkflow(g, blocks)
    tasks = sw.scope_tasks(None, g.start, None)
    if not tasks:
        raise AnalysisError("blueprint: the graph holds no task to export")
    name = _document_name(g.source)
    governance = _plain(getattr(blueprint, "governance", {}) or {})
    doc: dict[str, Any] = {
        "document": {
            "dsl": SERVERLESS_WORKFLOW_DSL,
            "namespace": SERVERLESS_WORKFLOW_NAMESPACE,
            "name": name,
            "version": "1.0.0",
            "title": f"Orchestration blueprint: {g.source}" if g.source else "Orchestration blueprint",
            "summary": (
                "Generated by flowready from the discovered process and its findings. Service tasks call "
                f"placeholder endpoints under {PLACEHOLDER_ENDPOINT}; human tasks wait for a "
                f"{TASK_COMPLETED_EVENT} CloudEvent whose subject is the task's name."
            ),
            "metadata": {"source": g.source, "governance": governance},
        },
        "input": {
            "schema": {
                "format": "json",
                "document": {
                    "type": "object",
                    "properties": {"case_id": {"type": "string"}}
                    | _variable_schemas(sw.variables, governance),
                },
            }
        },
    }
    if sw.functions:
        doc["use"] = {"functions": sw.functions}
    doc["do"] = tasks
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    if path is not None:
        Path(path).write_text(text, "utf-8")
    return text


# --------------------------------------------------------------------------------------------------
# Dapr Workflow (dapr-ext-workflow)

_DAPR_DOC = '''"""Dapr Workflow skeleton of an orchestration blueprint (generated by flowready).

Implement the activities: each raises NotImplementedError until then.

The workflow walks the blueprint's BPMN graph as a state machine over its node ids (``_run``): automated
steps are activities (with the blueprint's retry policies), human work waits for an external event raced
against its SLA timer (on timeout the escalate activity runs and the wait goes on: the BPMN timer is
non-interrupting), decisions are ``if`` on the case data, a step that fails after its retries goes to the
person who handles it, parallel blocks run as child workflows (``parallel_branch``) joined by ``when_all``.
``ctx.set_custom_status`` reports the node the case is at.

Run it (dapr-ext-workflow 1.18, beside a Dapr sidecar)::

    from dapr.ext.workflow import DaprWorkflowClient, WorkflowRuntime
    import blueprint_dapr as bp

    runtime = WorkflowRuntime()
    bp.register(runtime)  # the two workflows and every activity (runtime.register_workflow/_activity)
    runtime.start()
    client = DaprWorkflowClient()
    instance_id = client.schedule_new_workflow(bp.blueprint_workflow, input={"case_id": "c-1"})
    # when a person finishes a human task, raise its event (EVENTS lists them) with the case variables
    # the task sets, e.g. the route a person chose at a decision no rule determines:
    client.raise_workflow_event(instance_id, "<event name>", data={"route_n12": "f37"})

Every activity receives the case data (a dict) and returns a dict of case variables to update
(an AI-preparation step returns ``{"ai_confidence": <float in [0, 1]>}``); until implemented it raises
``NotImplementedError``. A comparison on a missing case variable is false (``is None`` tests for it).
"""
'''


class _Dapr:
    def __init__(self, g: _Graph, blocks: _Blocks):
        self.g, self.blocks = g, blocks
        fixed = {
            "blueprint_workflow",
            "parallel_branch",
            "register",
            "Case",
            "SOURCE",
            "START",
            "EVENTS",
            "WORKFLOWS",
            "ACTIVITIES",
            "Any",
            "Generator",
            "timedelta",
            "annotations",
            "DaprWorkflowContext",
            "RetryPolicy",
            "TaskFailedError",
            "WorkflowActivityContext",
            "WorkflowRuntime",
            "when_all",
            "when_any",
        }
        self.idents = _Names("_", 60, fixed | set(dir(__builtins__)) | set(keyword.kwlist))
        self.event_names = _Names("_", 60)
        self.activity: dict[str, str] = {}  # node -> function name
        self.event: dict[str, str] = {}  # node -> event name
        self.retry: dict[str, str] = {}  # policy json -> constant name
        self.lines: list[str] = []

    def activity_of(self, nid: str) -> str:
        if nid not in self.activity:
            n = self.g.nodes[nid]
            purpose = str(n.get("purpose") or "step")
            base = str(n.get("activity") or n.get("name") or "")
            text = base if _slug(base, "_", 60).startswith(purpose) else f"{purpose} {base}"
            self.activity[nid] = self.idents.make(text, f"{purpose}_{nid}")
        return self.activity[nid]

    def event_of(self, nid: str) -> str:
        if nid not in self.event:
            n = self.g.nodes[nid]
            text = _slug(n.get("name") or n.get("purpose") or nid, "_", 50)
            self.event[nid] = self.event_names.make(f"{text} done", f"{nid}_done")
        return self.event[nid]

    def retry_of(self, nid: str) -> str | None:
        policy = self.g.governance(nid).get("retry_policy")
        if not policy or self.g.kind(nid) != "serviceTask":
            return None
        key = json.dumps(policy, sort_keys=True, default=str)
        if key not in self.retry:
            self.retry[key] = f"RETRY_POLICY_{len(self.retry) + 1}"
        return self.retry[key]

    def retry_constants(self) -> list[str]:
        out = []
        for key, const in self.retry.items():
            p = json.loads(key)
            backoff = {"exponential": 2.0, "linear": 1.0, "constant": 1.0}.get(str(p.get("backoff")), 1.0)
            args = [
                f"first_retry_interval=timedelta(seconds={max(0, int(p.get('initial_delay_seconds') or 0))})",
                f"max_number_of_attempts={max(1, int(p.get('max_attempts') or 1))}",
                f"backoff_coefficient={backoff}",
            ]
            if p.get("max_delay_seconds") is not None:
                args.append(f"max_retry_interval=timedelta(seconds={max(0, int(p['max_delay_seconds']))})")
            words = (
                f"{p.get('max_attempts')} attempts, {p.get('backoff')} backoff from "
                f"{p.get('initial_delay_seconds')} s, at most {p.get('max_delay_seconds')} s apart"
            )
            out.append(f"#: Retry policy of the blueprint: {_comment(words)}.")
            if p.get("on_exhausted"):
                out.append(f"#: When exhausted: {_comment(p['on_exhausted'])}.")
            out.append(f"{const} = RetryPolicy(")
            out.extend(f"    {a}," for a in args)
            out.append(")")
        return out

    def activity_def(self, nid: str) -> list[str]:
        n = self.g.nodes[nid]
        fn = self.activity_of(nid)
        gov = self.g.governance(nid)
        purpose = n.get("purpose") or "step"
        doc = (
            f"{n.get('name') or nid} (BPMN {n['type']} {nid}, purpose {purpose}"
            + (f", activity {n['activity']}" if n.get("activity") else "")
            + ")."
            + (f" Recommendation: {gov['recommendation']}." if gov.get("recommendation") else "")
            + (
                f" Personal data: {', '.join(map(str, gov['personal_data']))}."
                if gov.get("personal_data")
                else ""
            )
            + (
                f" Audit events: {', '.join(map(str, gov['audit_events']))}."
                if gov.get("audit_events")
                else ""
            )
            + " Receives the case data; returns the case variables it sets"
            + (' ({"ai_confidence": float in [0, 1]}).' if purpose == "ai_prepare" else ".")
        )
        message = f"flowready blueprint: implement the activity {fn} for {n.get('name') or nid} (node {nid})"
        # The text is written as escaped literals only (any name stays valid Python), wrapped for reading.
        chunks = textwrap.wrap(doc, 90, drop_whitespace=False, replace_whitespace=False) or [""]
        return [
            "",
            "",
            f"def {fn}(ctx: WorkflowActivityContext, case: Case) -> Case:",
            "    (",
            *[f"        {c!r}" for c in chunks],
            "    )",
            f"    raise NotImplementedError({message!r})",
        ]

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def work(self, nid: str, depth: int) -> None:
        """A task's statements: its work (raced against its SLA), then the next node or its error boundary."""
        g = self.g
        service = g.kind(nid) == "serviceTask"
        if service:
            retry = self.retry_of(nid)
            call = f"ctx.call_activity({self.activity_of(nid)}, input=case" + (
                f", retry_policy={retry})" if retry else ")"
            )
        else:
            call = f"ctx.wait_for_external_event({self.event_of(nid)!r})"
        timer = g.boundary(nid, "timer")
        error = g.boundary(nid, "error")
        d = depth
        if error is not None:
            self.emit(d, "try:")
            d += 1
        if timer is not None and g.nodes[timer].get("timer_hours"):
            hours = float(g.nodes[timer]["timer_hours"])
            self.emit(d, f"work = {call}")
            self.emit(d, f"sla = ctx.create_timer(timedelta(hours={hours!r}))")
            self.emit(d, "winner = yield when_any([work, sla])")
            self.emit(d, "if winner is not work:")
            self.emit(
                d + 1, f"# SLA timer {timer} fired: alert the owner; the work goes on (non-interrupting)"
            )
            self.emit(d + 1, f"ctx.set_custom_status({timer!r})")
            for n in _timer_path(g, timer):
                self.emit(d + 1, f"ctx.set_custom_status({n!r})")
                if g.kind(n) == "serviceTask":
                    retry = self.retry_of(n)
                    self.emit(
                        d + 1,
                        f"yield ctx.call_activity({self.activity_of(n)}, input=case"
                        + (f", retry_policy={retry})" if retry else ")"),
                    )
                elif g.is_task(n):
                    self.emit(d + 1, f"yield ctx.wait_for_external_event({self.event_of(n)!r})")
            self.emit(d + 1, "yield work")
            self.emit(d, "result = work.get_result()")
        else:
            self.emit(d, f"result = yield {call}")
        if error is not None:
            self.emit(depth, "except TaskFailedError:")
            self.emit(depth + 1, f"# the step failed after its retries: error boundary {error}")
            self.emit(depth + 1, f"node = {error!r}")
            self.emit(depth, "else:")
        self.emit(d, "_merge(case, result)")
        self.emit(d, f"node = {g.next_of(nid)!r}")

    def state(self, nid: str, first: bool) -> None:
        g, n = self.g, self.g.nodes[nid]
        kind = g.kind(nid)
        self.emit(2, f"{'if' if first else 'elif'} node == {nid!r}:")
        self.emit(
            3,
            f"# {kind}" + (f" ({n['purpose']})" if n.get("purpose") else "") + f": {_comment(n.get('name'))}",
        )
        if kind == "endEvent":
            self.emit(3, "return case")
        elif g.is_parallel_split(nid):
            j = self.blocks.join[nid]
            self.emit(3, f"passes[{nid!r}] = passes.get({nid!r}, 0) + 1")
            self.emit(3, "# child instance ids: raise the events of a branch's human tasks on them")
            self.emit(3, f'block = f"{{ctx.instance_id}}-{nid}-{{passes[{nid!r}]}}"  # Dapr: [A-Za-z0-9_-]')
            self.emit(3, "branches = [")
            for i, f in enumerate(g.out[nid]):
                self.emit(4, "ctx.call_child_workflow(")
                self.emit(5, "parallel_branch,")
                self.emit(5, f'input={{"case": dict(case), "start": {str(f["target"])!r}, "stop": {j!r}}},')
                self.emit(5, f'instance_id=f"{{block}}-{i + 1}",')
                self.emit(4, "),")
            self.emit(3, "]")
            self.emit(3, "for result in (yield when_all(branches)):")
            self.emit(4, "_merge(case, result)")
            self.emit(3, f"node = {j!r}")
        elif kind == "exclusiveGateway" and len(g.out[nid]) > 1:
            cases, default = _exclusive_cases(g, nid)
            for i, (f, dnf) in enumerate(cases):
                cond = python_condition(dnf) if dnf is not None else "False"
                self.emit(3, f"{'if' if i == 0 else 'elif'} {cond}:")
                label = (
                    f.get("name")
                    or f.get("condition")
                    or ("no machine-readable condition" if dnf is None else "")
                )
                self.emit(4, f"# flow {f['id']}: {_comment(label)}")
                self.emit(4, f"node = {str(f['target'])!r}")
            target = (
                f"node = {str(default['target'])!r}  # default flow {default['id']}"
                if default is not None
                else f"raise RuntimeError({f'no condition of decision {nid} holds for the case'!r})"
            )
            if cases:
                self.emit(3, "else:")
                self.emit(4, target)
            else:
                self.emit(3, target)
        elif kind in _TASKS:
            self.work(nid, 3)
        else:  # start, merges, joins, one-way gateways, error boundaries
            self.emit(3, f"node = {g.next_of(nid)!r}")

    def module(self) -> str:
        g = self.g
        timer_paths = {
            n
            for bs in g.boundaries.values()
            for b in bs
            if g.nodes[b].get("event") == "timer"
            for n in [b, *_timer_path(g, b)]
        }
        states = [n for n in g.nodes if n not in timer_paths and n in self.blocks.scope]
        # Walk the states first: they name the activities, events and retry policies the header defines.
        self.emit(0, "")
        self.emit(0, "")
        self.emit(
            0,
            "def _run(\n    ctx: DaprWorkflowContext, case: Case, node: str, stop: str\n"
            ") -> Generator[Any, Any, Case]:",
        )
        self.emit(1, '"""Walk the graph from ``node`` until ``stop`` (a parallel join) or an end event."""')
        self.emit(1, "yield from ()  # a generator even before the first task")
        self.emit(1, "result: Any = None")
        self.emit(1, "work: Any = None")
        self.emit(1, "branches: list[Any] = []")
        self.emit(1, "passes: dict[str, int] = {}  # how often each parallel block started")
        self.emit(1, "while True:")
        self.emit(2, "ctx.set_custom_status(node)")
        self.emit(2, "if node == stop:")
        self.emit(3, "return case")
        for i, nid in enumerate(states):
            self.state(nid, i == 0)
        self.emit(2, "else:")
        self.emit(3, 'raise ValueError(f"unknown node {node!r} of the blueprint")')
        body = self.lines
        activities = [n for n in g.nodes if n in self.activity]
        head = [
            _DAPR_DOC,
            "from __future__ import annotations",
            "",
            "from collections.abc import Generator",
            "from datetime import timedelta",
            "from typing import Any",
            "",
            "from dapr.ext.workflow import (",
            "    DaprWorkflowContext,",
            "    RetryPolicy,",
            "    TaskFailedError,",
            "    WorkflowActivityContext,",
            "    WorkflowRuntime,",
            "    when_all,",
            "    when_any,",
            ")",
            "",
            "#: The case data: case variables by name (case attributes, ai_confidence, route_<gateway>).",
            "Case = dict[str, Any]",
            "",
            "#: The log the blueprint was built from.",
            f"SOURCE = {g.source!r}",
            "#: The start event.",
            f"START = {g.start!r}",
            "#: External events of the human tasks: event name -> (BPMN node id, task name).",
            "EVENTS: dict[str, tuple[str, str]] = {",
            *[f"    {e!r}: ({n!r}, {str(g.nodes[n].get('name') or '')!r})," for n, e in self.event.items()],
            "}",
            "",
            *self.retry_constants(),
        ]
        for nid in activities:
            head.extend(self.activity_def(nid))
        tail = [
            "",
            "",
            "def _merge(case: Case, result: Any) -> None:",
            '    """Update the case data with what a task returned (a dict of case variables)."""',
            "    if isinstance(result, dict):",
            "        case.update(result)",
            "",
            "",
            "def blueprint_workflow(",
            "    ctx: DaprWorkflowContext, case: Case | None",
            ") -> Generator[Any, Any, Case]:",
            '    """The blueprint\'s workflow: the case data (a dict) in, the case data at the end out."""',
            "    result = yield from _run(ctx, dict(case or {}), START, stop='')",
            "    return result",
            "",
            "",
            "def parallel_branch(",
            "    ctx: DaprWorkflowContext, branch: dict[str, Any]",
            ") -> Generator[Any, Any, Case]:",
            '    """One branch of a parallel block: runs from ``start`` to the block\'s join ``stop``."""',
            "    result = yield from _run(ctx, dict(branch['case']), branch['start'], branch['stop'])",
            "    return result",
            "",
            "",
            "#: The workflows to register (the main one and the parallel branches).",
            "WORKFLOWS = [blueprint_workflow, parallel_branch]",
            "#: The activities to register: one per automated step.",
            "ACTIVITIES = [",
            *[f"    {self.activity[n]}," for n in activities],
            "]",
            "",
            "",
            "def register(runtime: WorkflowRuntime) -> None:",
            '    """Register the workflows and the activities with a Dapr ``WorkflowRuntime``."""',
            "    for workflow in WORKFLOWS:",
            "        runtime.register_workflow(workflow)",
            "    for activity in ACTIVITIES:",
            "        runtime.register_activity(activity)",
            "",
        ]
        return "\n".join([*head, *body, *tail])


def export_dapr_workflow(blueprint: Any, path: str | Path | None = None) -> str:
    """The blueprint as a Dapr Workflow skeleton: a Python module for ``dapr-ext-workflow`` 1.18.

    The module holds one activity function per automated step (service tasks: ``step``, ``ai_prepare``,
    ``route``, ``escalate``), each raising ``NotImplementedError`` until implemented, and a workflow
    generator that walks the blueprint's graph as a state machine over its node ids, so loops and any
    block-structured graph run as drawn:

    * service tasks: ``ctx.call_activity`` with the step's ``RetryPolicy`` (attempts, first delay,
      exponential backoff, maximum delay); when it still fails (``TaskFailedError``), the case follows the
      error boundary to the person who handles it;
    * human tasks (``userTask``: a person's step, a review, the handling of a failure):
      ``ctx.wait_for_external_event`` raced with ``when_any`` against ``ctx.create_timer`` of the SLA; on
      timeout the escalate activity runs and the wait goes on (the BPMN timer is non-interrupting);
    * exclusive decisions: ``if``/``elif`` on the case data, conditions from ``condition_dnf``, the default
      flow as ``else``;
    * parallel split/join blocks: one ``ctx.call_child_workflow(parallel_branch, ...)`` per branch, joined
      by ``when_all``; the branches' case data are merged at the join (later branches win on conflicts).

    The module's docstring says how to register it with a ``WorkflowRuntime`` (``register(runtime)``).

    Parameters
    ----------
    blueprint : Blueprint
        From :func:`analysis.build_blueprint`, with the executable graph's columns.
    path : str or Path, optional
        Where to write the module (UTF-8), e.g. ``blueprint_dapr.py``.

    Returns
    -------
    str
        Python source. Identifiers are sanitised from the activity names (ASCII, unique, never a keyword
        or builtin); names and conditions appear only as escaped string literals or one-line comments.

    Raises
    ------
    AnalysisError
        When ``blueprint`` lacks the executable graph's columns, or its graph is not block-structured.

    References
    ----------
    Dapr, *Workflow overview* and *Workflow patterns* (https://docs.dapr.io/developing-applications/
    building-blocks/workflow/), and the ``dapr-ext-workflow`` Python SDK 1.18 (``DaprWorkflowContext``,
    ``RetryPolicy``, ``when_any``, ``when_all``, ``WorkflowRuntime``).

    Examples
    --------
    >>> from analysis import analyze, export_dapr_workflow
    >>> source = export_dapr_workflow(analyze(load_event_log(SAMPLE)).blueprint)
    >>> compile(source, "blueprint_dapr.py", "exec") is not None
    True
    >>> "def blueprint_workflow(" in source and "def register(runtime: WorkflowRuntime)" in source
    True
    """
    g = _graph(blueprint)
    text = _Dapr(g, _blocks(g)).module()
    if path is not None:
        Path(path).write_text(text, "utf-8")
    return text
