"""BPMN 2.0 XML with diagram interchange (DI), laid out left to right by Graphviz ``dot``.

:func:`to_bpmn_xml` turns a node table and a sequence-flow table into one BPMN process that bpmn.io and
Camunda Modeler open with a readable layout: every flow node gets a ``BPMNShape`` and every sequence flow
a ``BPMNEdge`` whose first and last waypoints lie on its shapes' bounds; boundary events sit on the
bottom border of their task. Given the executable graph of :mod:`analysis.blueprint` (the tables carry
its columns: ``purpose``, ``condition``, ...), the process is executable (``isExecutable="true"``):
user and service tasks, boundary timer and error events, conditions in Python on the flows out of
exclusive gateways with a default flow each, and the governance of each task as structured
``extensionElements`` in the flowready namespace (:data:`FLOWREADY_NS`; see ``docs/blueprint-bpmn.md``).
:func:`validate_bpmn_xml` checks the structural rules on any such file, and the execution rules on an
executable one. The tree is built with lxml,
so names and documentation may hold any character; the few that XML 1.0 cannot represent at all
(most control characters, lone surrogates) are replaced by U+FFFD.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import graphviz
import pandas as pd
from lxml import etree

from mapper.discovery import run_graphviz
from mapper.errors import AnalysisError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: The namespace of flowready's extension elements (governance, decision variables, guards in DNF).
FLOWREADY_NS = "https://flowready.invalid/bpmn/extensions/1.0"
NSMAP = {
    "bpmn": BPMN_NS,
    "bpmndi": BPMNDI_NS,
    "dc": DC_NS,
    "di": DI_NS,
    "xsi": XSI_NS,
    "flowready": FLOWREADY_NS,
}
TARGET_NAMESPACE = "https://flowready.invalid/bpmn"
#: The expression language of the conditions (``conditionExpression``): Python 3 boolean expressions over
#: the case variables, as SpiffWorkflow evaluates them.
EXPRESSION_LANGUAGE = "https://docs.python.org/3/reference/expressions.html"
#: The language of the timer durations: ISO 8601 durations (``PT4H30M``).
TIME_LANGUAGE = "https://www.iso.org/standard/70907.html"
_ISO_DURATION = re.compile(r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?")

#: The flow-node types written, and the shape family each is drawn as.
NODE_TYPES = {
    "startEvent": "event",
    "endEvent": "event",
    "intermediateCatchEvent": "event",
    "boundaryEvent": "event",
    "task": "task",
    "serviceTask": "task",
    "userTask": "task",
    "exclusiveGateway": "gateway",
    "parallelGateway": "gateway",
}
#: Standard bpmn.io sizes (width, height) in pixels, and the Graphviz shape used in their place.
_SHAPES = {"task": (100, 80, "box"), "event": (36, 36, "circle"), "gateway": (50, 50, "diamond")}
_MARGIN = 50  # pixels around the diagram
_NCNAME = re.compile(r"[^\W\d][\w.\-]*")
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Point = tuple[float, float]


class Box(NamedTuple):
    """A shape's bounds in DI pixels (y grows downwards)."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class _Node:
    id: str
    type: str
    name: str | None
    documentation: str | None
    extra: dict = field(default_factory=dict)  # the executable graph's columns that have a value


@dataclass(frozen=True)
class _Flow:
    id: str
    source: str
    target: str
    name: str | None
    documentation: str | None
    condition: str | None = None
    condition_dnf: list | None = None
    is_default: bool = False


#: The node columns of the executable graph beyond ``id``, ``type``, ``name``, ``documentation``: the one
#: definition the blueprint builds, this writer reads and the portable exports require
#: (docs/blueprint-bpmn.md, "The graph tables").
EXECUTABLE_NODE_COLUMNS = (
    "activity",
    "purpose",
    "attached_to",
    "event",
    "interrupting",
    "timer_hours",
    "error_code",
    "decision_variable",
    "default_flow",
    "governance",
)
#: The flow columns of the executable graph beyond ``id``, ``source``, ``target``, ``name``.
EXECUTABLE_FLOW_COLUMNS = ("condition", "condition_dnf", "is_default")


def to_bpmn_xml(
    nodes: pd.DataFrame,
    flows: pd.DataFrame,
    *,
    process_id: str = "flowready_blueprint",
    process_name: str = "Orchestration blueprint",
    executable: bool | None = None,
) -> str:
    """Serialise a process graph as BPMN 2.0 XML with a left-to-right diagram.

    Parameters
    ----------
    nodes : pandas.DataFrame
        One row per flow node: ``id`` (unique XML NCName), ``type`` (a key of :data:`NODE_TYPES`;
        ``intermediateCatchEvent`` is written as a timer), and optionally ``name`` and ``documentation``
        (missing values are left out). The executable graph's columns (docs/blueprint-bpmn.md) are
        written when present: boundary events (``attached_to``, ``event`` ``"timer"`` or ``"error"``,
        ``interrupting``, ``timer_hours``, ``error_code``), gateways' ``default_flow`` and
        ``decision_variable``, tasks' ``governance`` (dict) as ``flowready:governance``.
    flows : pandas.DataFrame
        One row per sequence flow: ``id``, ``source`` and ``target`` (node ids), optionally ``name``,
        ``documentation``, ``condition`` (a Python boolean expression, written as a
        ``conditionExpression``), ``condition_dnf`` (the same guard as data, written as
        ``flowready:guard``) and ``is_default``. May be empty.
    process_id : str, default "flowready_blueprint"
        The process element's id (an NCName), referenced by the diagram plane.
    process_name : str, default "Orchestration blueprint"
        The process element's name.
    executable : bool, optional
        ``isExecutable``; by default True when the tables carry the executable graph's columns (``nodes``
        has ``purpose`` or ``flows`` has ``condition``).

    Returns
    -------
    str
        The BPMN ``definitions`` document, UTF-8 with an XML declaration.

    Raises
    ------
    AnalysisError
        (a ``ValueError``) if the graph is empty, a column is missing, an id is not an NCName or not
        unique, a node type is unknown, a flow names an unknown node, or a boundary event is not attached
        to a node of the graph; the message names the id.

    References
    ----------
    OMG (2014), *Business Process Model and Notation (BPMN) Version 2.0.2*, formal/2013-12-09: §10.5
    Events, "Attaching Events to the Boundary of an Activity" (``attachedToRef``, ``cancelActivity``),
    §10.5.5 Event Definitions (timer ``timeDuration``, error ``errorRef``), §10.6.2 Exclusive Gateway
    (``default``), §8.4.13 Sequence Flow and §8.4.6 Expressions (``conditionExpression``,
    ``tFormalExpression``), §8.3.3 Extensibility (``extensionElements``), §12 Diagram Interchange.
    See ``docs/blueprint-bpmn.md``.

    Examples
    --------
    >>> import pandas as pd
    >>> nodes = pd.DataFrame({"id": ["s", "t", "e"], "type": ["startEvent", "userTask", "endEvent"]})
    >>> flows = pd.DataFrame({"id": ["f1", "f2"], "source": ["s", "t"], "target": ["t", "e"]})
    >>> validate_bpmn_xml(to_bpmn_xml(nodes, flows))["flow_nodes"]
    3
    """
    if executable is None:
        executable = "purpose" in nodes.columns or "condition" in flows.columns
    node_list, flow_list = _read_graph(nodes, flows, process_id)
    boxes, waypoints, label_points = _layout(node_list, flow_list)
    used_ids = {process_id, *(n.id for n in node_list), *(f.id for f in flow_list)}

    def fresh_id(base: str) -> str:
        candidate, counter = base, 1
        while candidate in used_ids:
            counter += 1
            candidate = f"{base}_{counter}"
        used_ids.add(candidate)
        return candidate

    root = etree.Element(
        _q("bpmn", "definitions"),
        nsmap=NSMAP,
        id=fresh_id("Definitions_1"),
        targetNamespace=TARGET_NAMESPACE,
        exporter="flowready",
    )
    if executable:
        root.set("expressionLanguage", EXPRESSION_LANGUAGE)
        root.set("typeLanguage", "http://www.w3.org/2001/XMLSchema")
    errors: dict[str, str] = {}
    for node in node_list:
        code = node.extra.get("error_code")
        if node.type == "boundaryEvent" and node.extra.get("event") == "error" and code not in errors:
            errors[code] = fresh_id("Error_" + re.sub(r"[^\w.\-]", "_", code))
            etree.SubElement(
                root, _q("bpmn", "error"), id=errors[code], name=f"Step failed ({code})", errorCode=code
            )
    process = etree.SubElement(
        root,
        _q("bpmn", "process"),
        id=process_id,
        name=_clean(process_name),
        isExecutable="true" if executable else "false",
    )
    for node in node_list:
        element = _flow_element(process, node.type, node.id, node.name, node.documentation)
        _extensions(element, node)
        if node.type == "boundaryEvent":
            element.set("attachedToRef", node.extra["attached_to"])
            element.set("cancelActivity", "false" if node.extra.get("interrupting") is False else "true")
        if node.extra.get("default_flow"):
            element.set("default", node.extra["default_flow"])
        for flow in flow_list:
            if flow.target == node.id:
                etree.SubElement(element, _q("bpmn", "incoming")).text = flow.id
        for flow in flow_list:
            if flow.source == node.id:
                etree.SubElement(element, _q("bpmn", "outgoing")).text = flow.id
        event = node.extra.get("event")
        if node.type == "intermediateCatchEvent" or event == "timer":
            timer = etree.SubElement(
                element, _q("bpmn", "timerEventDefinition"), id=fresh_id(f"{node.id}_timer")
            )
            if node.extra.get("timer_hours") is not None:
                duration = etree.SubElement(timer, _q("bpmn", "timeDuration"), language=TIME_LANGUAGE)
                duration.set(_q("xsi", "type"), "bpmn:tFormalExpression")
                duration.text = iso_duration(node.extra["timer_hours"])
        elif event == "error":
            etree.SubElement(
                element,
                _q("bpmn", "errorEventDefinition"),
                id=fresh_id(f"{node.id}_error"),
                errorRef=errors[node.extra.get("error_code")],
            )
    for flow in flow_list:
        element = _flow_element(process, "sequenceFlow", flow.id, flow.name, flow.documentation)
        element.set("sourceRef", flow.source)
        element.set("targetRef", flow.target)
        if flow.condition_dnf:
            guard = etree.SubElement(
                etree.SubElement(element, _q("bpmn", "extensionElements")), _q("flowready", "guard")
            )
            for alternative in flow.condition_dnf:
                alt = etree.SubElement(guard, _q("flowready", "alternative"))
                for term in alternative:
                    el = etree.SubElement(alt, _q("flowready", "term"), variable=str(term["variable"]))
                    el.set("op", str(term["op"]))
                    if term.get("value") is not None:
                        el.set("value", _clean(json.dumps(term["value"], ensure_ascii=False)))
        if flow.condition:
            expression = etree.SubElement(
                element, _q("bpmn", "conditionExpression"), language=EXPRESSION_LANGUAGE
            )
            expression.set(_q("xsi", "type"), "bpmn:tFormalExpression")
            expression.text = _clean(flow.condition)

    diagram = etree.SubElement(root, _q("bpmndi", "BPMNDiagram"), id=fresh_id("BPMNDiagram_1"))
    plane = etree.SubElement(
        diagram, _q("bpmndi", "BPMNPlane"), id=fresh_id("BPMNPlane_1"), bpmnElement=process_id
    )
    for node in node_list:
        shape = etree.SubElement(
            plane, _q("bpmndi", "BPMNShape"), id=fresh_id(f"{node.id}_di"), bpmnElement=node.id
        )
        if node.type == "exclusiveGateway":
            shape.set("isMarkerVisible", "true")
        _bounds(shape, boxes[node.id])
    for flow in flow_list:
        edge = etree.SubElement(
            plane, _q("bpmndi", "BPMNEdge"), id=fresh_id(f"{flow.id}_di"), bpmnElement=flow.id
        )
        for x, y in waypoints[flow.id]:
            etree.SubElement(edge, _q("di", "waypoint"), x=_num(x), y=_num(y))
        if flow.name and flow.id in label_points:
            (x, y), chars = label_points[flow.id], min(len(flow.name), 20)
            width, height = 6 * chars + 10, 14 * math.ceil(len(flow.name) / 20)
            _bounds(
                etree.SubElement(edge, _q("bpmndi", "BPMNLabel")),
                Box(round(x - width / 2), round(y - height / 2), width, height),
            )
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'


def iso_duration(hours: float) -> str:
    """An ISO 8601 duration of whole minutes (rounded up), as BPMN timers and Java's ``Duration`` read it.

    Examples
    --------
    >>> iso_duration(37.5), iso_duration(1), iso_duration(0.001)
    ('PT37H30M', 'PT1H', 'PT1M')
    """
    minutes = max(1, math.ceil(round(float(hours) * 60, 6)))
    h, m = divmod(minutes, 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "")


def _extensions(element: etree._Element, node: _Node) -> None:
    """The node's governance and decision variable as ``flowready:`` extension elements."""
    gov = node.extra.get("governance")
    var = node.extra.get("decision_variable")
    if not gov and not var:
        return
    ext = etree.SubElement(element, _q("bpmn", "extensionElements"))
    if var:
        etree.SubElement(ext, _q("flowready", "decision"), variable=var)
    if not gov:
        return
    g = etree.SubElement(ext, _q("flowready", "governance"))
    for attr, key in (("purpose", "purpose"), ("activity", "activity")):
        if node.extra.get(key):
            g.set(attr, _clean(str(node.extra[key])))
    for attr, key in (
        ("recommendation", "recommendation"),
        ("slaHours", "sla_hours"),
        ("decisionOwner", "decision_owner"),
        ("confidenceThreshold", "confidence_threshold"),
    ):
        if gov.get(key) is not None:
            g.set(attr, _clean(str(gov[key])))
    retry = gov.get("retry_policy")
    if retry:
        r = etree.SubElement(g, _q("flowready", "retry"))
        for attr, key in (
            ("maxAttempts", "max_attempts"),
            ("backoff", "backoff"),
            ("initialDelaySeconds", "initial_delay_seconds"),
            ("maxDelaySeconds", "max_delay_seconds"),
            ("onExhausted", "on_exhausted"),
        ):
            if retry.get(key) is not None:
                r.set(attr, _clean(str(retry[key])))
    for event in gov.get("audit_events") or []:
        etree.SubElement(g, _q("flowready", "audit"), event=_clean(str(event)))
    for attribute in gov.get("personal_data") or []:
        etree.SubElement(g, _q("flowready", "personalData"), attribute=_clean(str(attribute)))


def validate_bpmn_xml(xml: str) -> dict[str, Any]:
    """Check the structural rules of a BPMN file written by :func:`to_bpmn_xml`.

    The rules: the root is ``bpmn:definitions`` with one process; ids are unique; every sequence flow's
    ``sourceRef``/``targetRef`` is a flow node; every node's ``incoming``/``outgoing`` match the flows;
    every boundary event is attached (``attachedToRef``) to a task of the process, has no incoming flow,
    one timer (with an ISO 8601 ``timeDuration``) or error event definition (whose ``errorRef`` names a
    ``bpmn:error`` with an ``errorCode``; error events interrupt), and its shape's centre lies on its
    task's border; every flow node has one ``BPMNShape`` with bounds, every sequence flow one
    ``BPMNEdge`` with at least two waypoints, and every DI element refers to an element of the process.

    An executable process (``isExecutable="true"``) must also hold no plain ``task``; every exclusive
    gateway with several outgoing flows names one of them as its ``default``, which has no condition,
    while each of the others has a ``conditionExpression`` (a ``tFormalExpression``; in the Python
    expression language, one that compiles); no gateway both joins and splits; every other node has at
    most one incoming and one outgoing flow (no implicit merges or splits).

    Parameters
    ----------
    xml : str
        The document. It is parsed without resolving entities and without network access.

    Returns
    -------
    dict
        ``{"flow_nodes": int, "sequence_flows": int, "shapes": int, "edges": int,
        "by_type": {type: count}, "boundary_events": int, "executable": bool}``.

    Raises
    ------
    AnalysisError
        (a ``ValueError``) listing every problem found, or saying why the document does not parse.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml, parser)
    except etree.XMLSyntaxError as exc:
        raise AnalysisError(f"The BPMN XML does not parse: {exc}") from exc
    if root.tag != _q("bpmn", "definitions"):
        raise AnalysisError(f"The BPMN XML's root is {root.tag}, not bpmn:definitions.")
    problems: list[str] = []
    id_counts = Counter(el.get("id") for el in root.iter(etree.Element) if el.get("id") is not None)
    problems += [f"id {i!r} is used {n} times" for i, n in id_counts.items() if n > 1]
    processes = root.findall("bpmn:process", NSMAP)
    if len(processes) != 1:
        raise AnalysisError(f"The BPMN XML has {len(processes)} processes, expected exactly one.")
    process = processes[0]
    nodes: dict[str, etree._Element] = {}
    flows: dict[str, etree._Element] = {}
    for child in process.iterchildren(etree.Element):
        local = etree.QName(child).localname
        if etree.QName(child).namespace == BPMN_NS and local in NODE_TYPES:
            nodes[child.get("id", "")] = child
        elif etree.QName(child).namespace == BPMN_NS and local == "sequenceFlow":
            flows[child.get("id", "")] = child
        elif local not in ("documentation", "extensionElements"):
            problems.append(f"process child {child.tag} (id {child.get('id')!r}) is not a supported element")
    for flow_id, flow in flows.items():
        for ref in ("sourceRef", "targetRef"):
            if flow.get(ref) not in nodes:
                problems.append(f"sequence flow {flow_id!r}: {ref} {flow.get(ref)!r} is not a flow node")
    for node_id, node in nodes.items():
        for child, ref in (("incoming", "targetRef"), ("outgoing", "sourceRef")):
            listed = sorted(el.text or "" for el in node.findall(f"bpmn:{child}", NSMAP))
            expected = sorted(f_id for f_id, flow in flows.items() if flow.get(ref) == node_id)
            if listed != expected:
                problems.append(f"node {node_id!r}: {child} lists {listed}, the flows give {expected}")
        is_timer = node.find("bpmn:timerEventDefinition", NSMAP) is not None
        if etree.QName(node).localname == "intermediateCatchEvent" and not is_timer:
            problems.append(f"intermediate event {node_id!r} has no timerEventDefinition")
    errors = {e.get("id"): e for e in root.findall("bpmn:error", NSMAP)}
    boundary = {i: n for i, n in nodes.items() if etree.QName(n).localname == "boundaryEvent"}
    for node_id, node in boundary.items():
        problems += _boundary_problems(node_id, node, nodes, flows, errors)
    executable = process.get("isExecutable") == "true"
    if executable:
        problems += _execution_problems(root, nodes, flows)

    planes = [
        p
        for p in root.iterfind("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NSMAP)
        if p.get("bpmnElement") == process.get("id")
    ]
    if not planes:
        problems.append(f"no BPMNPlane refers to process {process.get('id')!r}")
    shapes = [s for p in planes for s in p.iterfind("bpmndi:BPMNShape", NSMAP)]
    edges = [e for p in planes for e in p.iterfind("bpmndi:BPMNEdge", NSMAP)]
    problems += _check_di(shapes, nodes, "BPMNShape", "flow node")
    problems += _check_di(edges, flows, "BPMNEdge", "sequence flow")
    for shape in shapes:
        ref = shape.get("bpmnElement")
        if _numbers(shape.find("dc:Bounds", NSMAP), ("x", "y", "width", "height")) is None:
            problems.append(f"BPMNShape of {ref!r} has no valid dc:Bounds")
        is_xor = ref in nodes and etree.QName(nodes[ref]).localname == "exclusiveGateway"
        if is_xor and shape.get("isMarkerVisible") != "true":
            problems.append(f'BPMNShape of exclusive gateway {ref!r} lacks isMarkerVisible="true"')
    for edge in edges:
        points = [_numbers(w, ("x", "y")) for w in edge.iterfind("di:waypoint", NSMAP)]
        if len(points) < 2 or None in points:
            problems.append(f"BPMNEdge of {edge.get('bpmnElement')!r} needs at least two valid waypoints")
    bounds = {
        s.get("bpmnElement"): _numbers(s.find("dc:Bounds", NSMAP), ("x", "y", "width", "height"))
        for s in shapes
    }
    for node_id, node in boundary.items():
        event, task = bounds.get(node_id), bounds.get(node.get("attachedToRef"))
        if event is None or task is None:
            continue
        cx, cy = event[0] + event[2] / 2, event[1] + event[3] / 2
        x, y, w, h = task
        inside = x - 1 <= cx <= x + w + 1 and y - 1 <= cy <= y + h + 1
        if not inside or min(abs(cx - x), abs(cx - x - w), abs(cy - y), abs(cy - y - h)) > 1:
            problems.append(f"BPMNShape of boundary event {node_id!r} is not on the border of its task")
    if problems:
        raise AnalysisError(f"The BPMN XML breaks {len(problems)} rule(s):\n- " + "\n- ".join(problems))
    return {
        "flow_nodes": len(nodes),
        "sequence_flows": len(flows),
        "shapes": len(shapes),
        "edges": len(edges),
        "by_type": dict(Counter(etree.QName(node).localname for node in nodes.values())),
        "boundary_events": len(boundary),
        "executable": executable,
    }


def _boundary_problems(
    node_id: str, node: etree._Element, nodes: dict, flows: dict, errors: dict
) -> list[str]:
    """Problems of one boundary event: its task, its flows, its one event definition."""
    problems = []
    host = node.get("attachedToRef")
    if host not in nodes or NODE_TYPES[etree.QName(nodes[host]).localname] != "task":
        problems.append(f"boundary event {node_id!r}: attachedToRef {host!r} is not a task of the process")
    if any(f.get("targetRef") == node_id for f in flows.values()):
        problems.append(f"boundary event {node_id!r} has an incoming sequence flow")
    if not any(f.get("sourceRef") == node_id for f in flows.values()):
        problems.append(f"boundary event {node_id!r} has no outgoing sequence flow")
    timers = node.findall("bpmn:timerEventDefinition", NSMAP)
    errs = node.findall("bpmn:errorEventDefinition", NSMAP)
    if len(timers) + len(errs) != 1:
        problems.append(f"boundary event {node_id!r} needs exactly one timer or error event definition")
    for timer in timers:
        duration = timer.find("bpmn:timeDuration", NSMAP)
        text = (duration.text or "").strip() if duration is not None else ""
        if not _ISO_DURATION.fullmatch(text):
            problems.append(
                f"timer of boundary event {node_id!r}: timeDuration {text!r} is not an ISO 8601 duration"
            )
    for err in errs:
        target = errors.get(err.get("errorRef"))
        if target is None or not target.get("errorCode"):
            problems.append(
                f"error boundary event {node_id!r}: errorRef {err.get('errorRef')!r} is not a bpmn:error "
                "with an errorCode"
            )
        if node.get("cancelActivity") == "false":
            problems.append(f"error boundary event {node_id!r} must interrupt (cancelActivity)")
    return problems


def _execution_problems(root: etree._Element, nodes: dict, flows: dict) -> list[str]:
    """Problems that keep an engine from running the process (see :func:`validate_bpmn_xml`)."""
    problems = []
    language = root.get("expressionLanguage", "http://www.w3.org/1999/XPath")
    outgoing: dict[str, list[str]] = {}
    incoming: Counter = Counter()
    for flow_id, flow in flows.items():
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow_id)
        incoming[flow.get("targetRef")] += 1
    for node_id, node in nodes.items():
        kind = etree.QName(node).localname
        outs = outgoing.get(node_id, [])
        if kind == "task":
            problems.append(f"task {node_id!r} is a plain task: an engine needs a user or service task")
        if kind.endswith("Gateway"):
            if len(outs) > 1 and incoming[node_id] > 1:
                problems.append(
                    f"gateway {node_id!r} both joins and splits; split it into a join and a split"
                )
        elif kind != "boundaryEvent" and (incoming[node_id] > 1 or len(outs) > 1):
            problems.append(
                f"{kind} {node_id!r} has {incoming[node_id]} incoming and {len(outs)} outgoing flows: "
                "merge or split with a gateway"
            )
        if kind != "exclusiveGateway" or len(outs) < 2:
            continue
        default = node.get("default")
        if default not in outs:
            problems.append(
                f"exclusive gateway {node_id!r}: default {default!r} is not one of its outgoing flows"
            )
        for flow_id in outs:
            expression = flows[flow_id].find("bpmn:conditionExpression", NSMAP)
            if flow_id == default:
                if expression is not None:
                    problems.append(f"default flow {flow_id!r} of gateway {node_id!r} has a condition")
                continue
            text = (expression.text or "").strip() if expression is not None else ""
            if not text:
                problems.append(f"flow {flow_id!r} out of exclusive gateway {node_id!r} has no condition")
                continue
            if expression.get(_q("xsi", "type"), "").split(":")[-1] != "tFormalExpression":
                problems.append(f"condition of flow {flow_id!r} is not a tFormalExpression")
            if expression.get("language", language) == EXPRESSION_LANGUAGE:
                try:
                    compile(text, flow_id, "eval")
                except SyntaxError as exc:
                    problems.append(f"condition of flow {flow_id!r} is not a Python expression: {exc.msg}")
    for node_id, node in nodes.items():
        if etree.QName(node).localname == "boundaryEvent":
            timer = node.find("bpmn:timerEventDefinition", NSMAP)
            if timer is not None and timer.find("bpmn:timeDuration", NSMAP) is None:
                problems.append(f"timer of boundary event {node_id!r} has no timeDuration")
    return problems


def _read_graph(nodes: pd.DataFrame, flows: pd.DataFrame, process_id: str) -> tuple[list[_Node], list[_Flow]]:
    """Check the two tables and return their rows, raising on the first problem found."""
    if len(nodes) == 0:
        raise AnalysisError("Cannot write BPMN for an empty graph: the node table has no rows.")
    _require_columns(nodes, ("id", "type"), "node")
    if len(flows) > 0:
        _require_columns(flows, ("id", "source", "target"), "flow")
    seen = {_check_id(process_id, "process id")}
    node_list = [
        _Node(
            _check_id(row.get("id"), "node id"),
            row.get("type"),
            _text(row.get("name")),
            _text(row.get("documentation")) or None,
            {k: row[k] for k in EXECUTABLE_NODE_COLUMNS if k in row and _present(row[k])},
        )
        for row in nodes.to_dict("records")
    ]
    flow_list = [
        _Flow(
            _check_id(row.get("id"), "flow id"),
            row.get("source"),
            row.get("target"),
            _text(row.get("name")),
            _text(row.get("documentation")) or None,
            _text(row.get("condition")) or None,
            row.get("condition_dnf") if _present(row.get("condition_dnf")) else None,
            bool(row.get("is_default")) if _present(row.get("is_default")) else False,
        )
        for row in flows.to_dict("records")
    ]
    for item in [*node_list, *flow_list]:
        if item.id in seen:
            raise AnalysisError(f"Id {item.id!r} is used more than once; BPMN ids must be unique.")
        seen.add(item.id)
    for node in node_list:
        if node.type not in NODE_TYPES:
            raise AnalysisError(
                f"Node {node.id!r} has type {node.type!r}; expected one of {sorted(NODE_TYPES)}."
            )
    node_ids = {node.id for node in node_list}
    for node in node_list:
        if node.type == "boundaryEvent":
            host = node.extra.get("attached_to")
            if host not in node_ids or host == node.id:
                raise AnalysisError(
                    f"Boundary event {node.id!r}: attached_to {host!r} is not the id of another node."
                )
            if node.extra.get("event") not in ("timer", "error"):
                raise AnalysisError(
                    f"Boundary event {node.id!r} has event {node.extra.get('event')!r}; expected 'timer' or "
                    "'error'."
                )
            if node.extra.get("event") == "error" and not node.extra.get("error_code"):
                raise AnalysisError(f"Boundary event {node.id!r} is an error event without an error_code.")
    for flow in flow_list:
        for end in ("source", "target"):
            if getattr(flow, end) not in node_ids:
                raise AnalysisError(
                    f"Sequence flow {flow.id!r}: {end} {getattr(flow, end)!r} is not a node id."
                )
    return node_list, flow_list


def _layout(
    nodes: list[_Node], flows: list[_Flow]
) -> tuple[dict[str, Box], dict[str, list[Point]], dict[str, Point]]:
    """Shape bounds, edge waypoints and flow-label centres (DI pixels) from a ``dot`` layout."""
    graph = graphviz.Digraph(
        graph_attr={"rankdir": "LR", "splines": "polyline", "nodesep": "0.6", "ranksep": "0.8"},
        node_attr={"fixedsize": "true", "label": ""},
    )
    # Boundary events are not laid out: they sit on their task's border, and their flows leave from the
    # task in the layout so that the handlers are placed next to it.
    host = {n.id: n.extra["attached_to"] for n in nodes if n.type == "boundaryEvent"}
    for i, node in enumerate(nodes):
        if node.id in host:
            continue
        width, height, shape = _SHAPES[NODE_TYPES[node.type]]
        graph.node(f"n{i}", shape=shape, width=f"{width / 72:.4f}", height=f"{height / 72:.4f}")
    index = {node.id: i for i, node in enumerate(nodes)}
    types = {node.id: node.type for node in nodes}
    for i, flow in enumerate(flows):
        label = graphviz.escape(flow.name) if flow.name else None
        source, target = host.get(flow.source, flow.source), host.get(flow.target, flow.target)
        # Flows leave a task on its right and enter it on its left: its bottom border is kept for the
        # boundary events, which a flow entering from below would cross.
        ports = {}
        if NODE_TYPES[types[source]] == "task":
            ports["tailport"] = "e"
        if NODE_TYPES[types[target]] == "task":
            ports["headport"] = "w"
        graph.edge(f"n{index[source]}", f"n{index[target]}", id=f"e{i}", label=label, **ports)
    data = json.loads(run_graphviz(graph, "json0"))
    x0, _, _, y1 = (float(v) for v in data["bb"].split(","))

    def to_di(x: float, y: float) -> Point:  # Graphviz points (y up) to pixels (y down)
        return x - x0 + _MARGIN, y1 - y + _MARGIN

    families = {node.id: NODE_TYPES[node.type] for node in nodes}
    boxes: dict[str, Box] = {}
    for obj in data.get("objects", []):
        node = nodes[int(obj["name"][1:])]
        width, height, _ = _SHAPES[NODE_TYPES[node.type]]
        cx, cy = to_di(*(float(v) for v in obj["pos"].split(",")))
        boxes[node.id] = Box(round(cx) - width // 2, round(cy) - height // 2, width, height)
    slots: Counter = Counter()
    for node in nodes:
        if node.id in host:
            task = boxes[host[node.id]]
            k = slots[host[node.id]]
            slots[host[node.id]] += 1
            cx = (
                task.x + task.width - 25 - 40 * k
                if node.extra.get("event") == "error"
                else task.x + 25 + 40 * k
            )
            boxes[node.id] = Box(round(cx) - 18, task.y + task.height - 18, 36, 36)
    waypoints: dict[str, list[Point]] = {}
    labels: dict[str, Point] = {}
    for edge in data.get("edges", []):
        flow = flows[int(edge["id"][1:])]
        if flow.source in host or flow.target in host:
            waypoints[flow.id] = _boundary_route(
                boxes[flow.source], boxes[flow.target], boxes[host.get(flow.source, flow.source)]
            )
            continue
        route = [to_di(*p) for p in _route(edge["pos"])]
        source, target = boxes[flow.source], boxes[flow.target]
        start = _project(route[0], source) if families[flow.source] == "task" else _facing(route[1], source)
        end = _project(route[-1], target) if families[flow.target] == "task" else _facing(route[-2], target)
        waypoints[flow.id] = [(round(x), round(y)) for x, y in [start, *route[1:-1], end]]
        if "lp" in edge:
            labels[flow.id] = to_di(*(float(v) for v in edge["lp"].split(",")))
    return boxes, waypoints, labels


def _boundary_route(source: Box, target: Box, host: Box) -> list[Point]:
    """Orthogonal waypoints from the bottom of a boundary event into ``target``, never across ``host``.

    The flow leaves the event downwards to a lane just below the host task, runs along it, and enters the
    target at the middle of its left or right side (or its top, when the target lies below the host):
    points that lie on the outline of every shape (task, circle, diamond).
    """
    gap = 15
    start = (source.x + source.width / 2, source.y + source.height)
    lane = max(start[1], host.y + host.height) + gap
    middle_y = target.y + target.height / 2
    if target.y >= lane:  # below the host: across the lane, then down into the top of the target
        x = target.x + target.width / 2
        points = [start, (start[0], lane), (x, lane), (x, target.y)]
    elif target.x >= host.x + host.width + gap:  # right of the host: enter from the left
        x = target.x - gap
        points = [start, (start[0], lane), (x, lane), (x, middle_y), (target.x, middle_y)]
    elif target.x + target.width <= host.x - gap:  # left of the host: enter from the right
        x = target.x + target.width + gap
        points = [start, (start[0], lane), (x, lane), (x, middle_y), (target.x + target.width, middle_y)]
    else:  # above and overlapping the host's columns: go round the host's right side
        x = max(host.x + host.width, target.x + target.width) + gap
        points = [start, (start[0], lane), (x, lane), (x, middle_y), (target.x + target.width, middle_y)]
    out: list[Point] = []
    for x, y in points:
        p = (round(x), round(y))
        if not out or out[-1] != p:
            out.append(p)
    return out if len(out) >= 2 else [out[0], out[0]]


def _route(pos: str) -> list[Point]:
    """The polyline of a Graphviz ``pos`` spline: its start, the joins of its Bézier pieces, its end."""
    start = end = None
    points: list[Point] = []
    for token in pos.replace(";", " ").split():
        parts = token.split(",")
        if parts[0] in ("s", "e"):
            point = (float(parts[1]), float(parts[2]))
            start, end = (point, end) if parts[0] == "s" else (start, point)
        else:
            points.append((float(parts[0]), float(parts[1])))
    return [start or points[0], *points[3:-1:3], end or points[-1]]


def _project(point: Point, box: Box) -> Point:
    """The point on the outline of ``box`` nearest to ``point`` (Graphviz ends edges on a box's outline)."""
    x, y = point
    left, top, right, bottom = box.x, box.y, box.x + box.width, box.y + box.height
    distance = {"left": x - left, "right": right - x, "top": y - top, "bottom": bottom - y}
    side = min(distance, key=lambda s: abs(distance[s]))
    if side in ("left", "right"):
        return (left if side == "left" else right), min(max(y, top), bottom)
    return min(max(x, left), right), (top if side == "top" else bottom)


def _facing(toward: Point, box: Box) -> Point:
    """The middle of the side of ``box`` that faces ``toward``: above or below first, else left or right.

    The middles of the sides lie on the outline of events (circles) and gateways (diamonds) too, and
    branches leave and join gateways at the top and bottom corners, as in hand-drawn BPMN.
    """
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    if toward[1] < box.y:
        return cx, box.y
    if toward[1] > box.y + box.height:
        return cx, box.y + box.height
    return (box.x if toward[0] < cx else box.x + box.width), cy


def _check_di(
    di_elements: list[etree._Element], targets: dict[str, etree._Element], kind: str, what: str
) -> list[str]:
    """Problems with the one-to-one match between DI elements and the elements they draw."""
    counts = Counter(el.get("bpmnElement") for el in di_elements)
    problems = [
        f"{what} {ref!r} has {counts[ref]} {kind}s, expected 1" for ref in targets if counts[ref] != 1
    ]
    return problems + [
        f"{kind} refers to {ref!r}, which is not a {what}" for ref in counts if ref not in targets
    ]


def _numbers(element: etree._Element | None, names: tuple[str, ...]) -> list[float] | None:
    """The finite numeric attributes ``names`` of ``element`` (sizes positive), or None."""
    if element is None:
        return None
    try:
        values = [float(element.get(name, "")) for name in names]
    except ValueError:
        return None
    sizes_ok = all(values[names.index(n)] > 0 for n in ("width", "height") if n in names)
    return values if all(math.isfinite(v) for v in values) and sizes_ok else None


def _flow_element(
    parent: etree._Element, tag: str, element_id: str, name: str | None, documentation: str | None
) -> etree._Element:
    element = etree.SubElement(parent, _q("bpmn", tag), id=element_id)
    if name is not None:
        element.set("name", name)
    if documentation:
        etree.SubElement(element, _q("bpmn", "documentation")).text = documentation
    return element


def _bounds(parent: etree._Element, box: Box) -> None:
    etree.SubElement(
        parent,
        _q("dc", "Bounds"),
        x=_num(box.x),
        y=_num(box.y),
        width=_num(box.width),
        height=_num(box.height),
    )


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(f"The {table} table lacks column(s) {missing}; it has {list(frame.columns)}.")


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _NCNAME.fullmatch(value):
        raise AnalysisError(
            f"Invalid {what} {value!r}: BPMN ids must be XML NCNames (a letter or '_', then "
            "letters, digits, '.', '-' or '_')."
        )
    return value


def _present(value: object) -> bool:
    """Whether a table cell holds a value (lists and dicts always do; None and NaN do not)."""
    if value is None or isinstance(value, (list, dict, tuple)):
        return value is not None
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):
        return True


def _text(value: object) -> str | None:
    """A name or documentation as XML-safe text, or None when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return _clean(str(value))


def _clean(text: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", text)


def _num(value: float) -> str:
    return str(round(value))


def _q(prefix: str, local: str) -> str:
    return f"{{{NSMAP[prefix]}}}{local}"
