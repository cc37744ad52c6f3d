"""BPMN 2.0 XML with diagram interchange (DI), laid out left to right by Graphviz ``dot``.

:func:`to_bpmn_xml` turns a node table and a sequence-flow table into one non-executable BPMN process
that bpmn.io and Camunda Modeler open with a readable layout: every flow node gets a ``BPMNShape`` and
every sequence flow a ``BPMNEdge`` whose first and last waypoints lie on its shapes' bounds.
:func:`validate_bpmn_xml` checks those structural rules on any such file. The tree is built with lxml,
so names and documentation may hold any character; the few that XML 1.0 cannot represent at all
(most control characters, lone surrogates) are replaced by U+FFFD.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
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
NSMAP = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
TARGET_NAMESPACE = "https://flowready.invalid/bpmn"

#: The flow-node types written, and the shape family each is drawn as.
NODE_TYPES = {
    "startEvent": "event",
    "endEvent": "event",
    "intermediateCatchEvent": "event",
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


@dataclass(frozen=True)
class _Flow:
    id: str
    source: str
    target: str
    name: str | None
    documentation: str | None


def to_bpmn_xml(
    nodes: pd.DataFrame,
    flows: pd.DataFrame,
    *,
    process_id: str = "flowready_blueprint",
    process_name: str = "Orchestration blueprint",
) -> str:
    """Serialise a process graph as BPMN 2.0 XML with a left-to-right diagram.

    Parameters
    ----------
    nodes : pandas.DataFrame
        One row per flow node: ``id`` (unique XML NCName), ``type`` (a key of :data:`NODE_TYPES`;
        ``intermediateCatchEvent`` is written as a timer), and optionally ``name`` and ``documentation``
        (missing values are left out).
    flows : pandas.DataFrame
        One row per sequence flow: ``id``, ``source`` and ``target`` (node ids), optionally ``name`` and
        ``documentation``. May be empty.
    process_id : str, default "flowready_blueprint"
        The process element's id (an NCName), referenced by the diagram plane.
    process_name : str, default "Orchestration blueprint"
        The process element's name.

    Returns
    -------
    str
        The BPMN ``definitions`` document, UTF-8 with an XML declaration.

    Raises
    ------
    AnalysisError
        (a ``ValueError``) if the graph is empty, a column is missing, an id is not an NCName or not
        unique, a node type is unknown, or a flow names an unknown node; the message names the id.
    """
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
    process = etree.SubElement(
        root, _q("bpmn", "process"), id=process_id, name=_clean(process_name), isExecutable="false"
    )
    for node in node_list:
        element = _flow_element(process, node.type, node.id, node.name, node.documentation)
        for flow in flow_list:
            if flow.target == node.id:
                etree.SubElement(element, _q("bpmn", "incoming")).text = flow.id
        for flow in flow_list:
            if flow.source == node.id:
                etree.SubElement(element, _q("bpmn", "outgoing")).text = flow.id
        if node.type == "intermediateCatchEvent":
            etree.SubElement(element, _q("bpmn", "timerEventDefinition"), id=fresh_id(f"{node.id}_timer"))
    for flow in flow_list:
        element = _flow_element(process, "sequenceFlow", flow.id, flow.name, flow.documentation)
        element.set("sourceRef", flow.source)
        element.set("targetRef", flow.target)

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


def validate_bpmn_xml(xml: str) -> dict[str, Any]:
    """Check the structural rules of a BPMN file written by :func:`to_bpmn_xml`.

    The rules: the root is ``bpmn:definitions`` with one process; ids are unique; every sequence flow's
    ``sourceRef``/``targetRef`` is a flow node; every node's ``incoming``/``outgoing`` match the flows;
    every flow node has one ``BPMNShape`` with bounds, every sequence flow one ``BPMNEdge`` with at least
    two waypoints, and every DI element refers to an element of the process.

    Parameters
    ----------
    xml : str
        The document. It is parsed without resolving entities and without network access.

    Returns
    -------
    dict
        ``{"flow_nodes": int, "sequence_flows": int, "shapes": int, "edges": int,
        "by_type": {type: count}}``.

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
    if problems:
        raise AnalysisError(f"The BPMN XML breaks {len(problems)} rule(s):\n- " + "\n- ".join(problems))
    return {
        "flow_nodes": len(nodes),
        "sequence_flows": len(flows),
        "shapes": len(shapes),
        "edges": len(edges),
        "by_type": dict(Counter(etree.QName(node).localname for node in nodes.values())),
    }


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
    for i, node in enumerate(nodes):
        width, height, shape = _SHAPES[NODE_TYPES[node.type]]
        graph.node(f"n{i}", shape=shape, width=f"{width / 72:.4f}", height=f"{height / 72:.4f}")
    index = {node.id: i for i, node in enumerate(nodes)}
    for i, flow in enumerate(flows):
        label = graphviz.escape(flow.name) if flow.name else None
        graph.edge(f"n{index[flow.source]}", f"n{index[flow.target]}", id=f"e{i}", label=label)
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
    waypoints: dict[str, list[Point]] = {}
    labels: dict[str, Point] = {}
    for edge in data.get("edges", []):
        flow = flows[int(edge["id"][1:])]
        route = [to_di(*p) for p in _route(edge["pos"])]
        source, target = boxes[flow.source], boxes[flow.target]
        start = _project(route[0], source) if families[flow.source] == "task" else _facing(route[1], source)
        end = _project(route[-1], target) if families[flow.target] == "task" else _facing(route[-2], target)
        waypoints[flow.id] = [(round(x), round(y)) for x, y in [start, *route[1:-1], end]]
        if "lp" in edge:
            labels[flow.id] = to_di(*(float(v) for v in edge["lp"].split(",")))
    return boxes, waypoints, labels


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
