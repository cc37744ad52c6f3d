"""BPMN 2.0 XML export: structure, escaping, diagram interchange and layout, on hand-built graphs."""

from __future__ import annotations

import itertools
import re

import pandas as pd
import pytest
from lxml import etree

from analysis.bpmn_xml import EXPRESSION_LANGUAGE, NSMAP, iso_duration, to_bpmn_xml, validate_bpmn_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
NODE_COLUMNS = ["id", "type", "name", "documentation"]
FLOW_COLUMNS = ["id", "source", "target", "name"]


def graph(nodes: list[tuple], flows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and flow tables; rows may leave out the trailing optional columns."""
    nodes = [tuple(row) + (None,) * (len(NODE_COLUMNS) - len(row)) for row in nodes]
    flows = [tuple(row) + (None,) * (len(FLOW_COLUMNS) - len(row)) for row in flows]
    return pd.DataFrame(nodes, columns=NODE_COLUMNS), pd.DataFrame(flows, columns=FLOW_COLUMNS)


def linear():
    return graph(
        [
            ("start", "startEvent", "Start"),
            ("check", "task", "Check"),
            ("approve", "userTask", "Approve"),
            ("end", "endEvent", "Done"),
        ],
        [("f1", "start", "check"), ("f2", "check", "approve"), ("f3", "approve", "end")],
    )


def xor_with_loop():
    return graph(
        [
            ("start", "startEvent", "Start"),
            ("review", "task", "Review"),
            ("split", "exclusiveGateway", "OK?"),
            ("fix", "userTask", "Fix"),
            ("book", "serviceTask", "Book"),
            ("join", "exclusiveGateway", None),
            ("again", "exclusiveGateway", "Again?"),
            ("end", "endEvent", "End"),
        ],
        [
            ("f1", "start", "review"),
            ("f2", "review", "split"),
            ("f3", "split", "fix", "no"),
            ("f4", "split", "book", "yes"),
            ("f5", "fix", "join"),
            ("f6", "book", "join"),
            ("f7", "join", "again"),
            ("f8", "again", "review", "retry"),
            ("f9", "again", "end"),
        ],
    )


def parallel():
    return graph(
        [
            ("start", "startEvent"),
            ("fork", "parallelGateway"),
            ("a", "serviceTask", "A"),
            ("b", "task", "B"),
            ("c", "userTask", "C"),
            ("sync", "parallelGateway"),
            ("end", "endEvent"),
        ],
        [
            ("f1", "start", "fork"),
            ("f2", "fork", "a"),
            ("f3", "fork", "b"),
            ("f4", "fork", "c"),
            ("f5", "a", "sync"),
            ("f6", "b", "sync"),
            ("f7", "c", "sync"),
            ("f8", "sync", "end"),
        ],
    )


def timer():
    return graph(
        [
            ("start", "startEvent"),
            ("ask", "task", "Ask customer"),
            ("wait", "intermediateCatchEvent", "48 h SLA"),
            ("remind", "serviceTask", "Send reminder"),
            ("end", "endEvent"),
        ],
        [("f1", "start", "ask"), ("f2", "ask", "wait"), ("f3", "wait", "remind"), ("f4", "remind", "end")],
    )


def self_loop_isolated_and_double():
    return graph(
        [
            ("start", "startEvent"),
            ("poll", "serviceTask", "Poll"),
            ("send", "task", "Send"),
            ("alone", "userTask", "Not connected"),
            ("end", "endEvent"),
        ],
        [
            ("f1", "start", "poll"),
            ("f2", "poll", "poll", "not ready"),
            ("f3", "poll", "send", "email"),
            ("f4", "poll", "send", "letter"),
            ("f5", "send", "end"),
        ],
    )


GRAPHS = {
    "linear": (linear, 4, 3, {"startEvent": 1, "task": 1, "userTask": 1, "endEvent": 1}),
    "xor_with_loop": (
        xor_with_loop,
        8,
        9,
        {"startEvent": 1, "task": 1, "exclusiveGateway": 3, "userTask": 1, "serviceTask": 1, "endEvent": 1},
    ),
    "parallel": (
        parallel,
        7,
        8,
        {"startEvent": 1, "parallelGateway": 2, "serviceTask": 1, "task": 1, "userTask": 1, "endEvent": 1},
    ),
    "timer": (
        timer,
        5,
        4,
        {"startEvent": 1, "task": 1, "intermediateCatchEvent": 1, "serviceTask": 1, "endEvent": 1},
    ),
    "self_loop_isolated_and_double": (
        self_loop_isolated_and_double,
        5,
        5,
        {"startEvent": 1, "serviceTask": 1, "task": 1, "userTask": 1, "endEvent": 1},
    ),
}


def parse(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"))


def diagram(xml: str) -> tuple[dict[str, tuple[float, ...]], dict[str, list[tuple[float, float]]]]:
    """Shape bounds (x, y, width, height) and edge waypoints, by BPMN element id."""
    root = parse(xml)
    boxes = {
        s.get("bpmnElement"): tuple(
            float(s.find("dc:Bounds", NSMAP).get(k)) for k in ("x", "y", "width", "height")
        )
        for s in root.iterfind(".//bpmndi:BPMNShape", NSMAP)
    }
    edges = {
        e.get("bpmnElement"): [
            (float(w.get("x")), float(w.get("y"))) for w in e.iterfind("di:waypoint", NSMAP)
        ]
        for e in root.iterfind(".//bpmndi:BPMNEdge", NSMAP)
    }
    return boxes, edges


def on_bounds(point: tuple[float, float], box: tuple[float, ...], tolerance: float = 1.0) -> bool:
    """Whether ``point`` lies on a side of ``box`` (within ``tolerance`` pixels)."""
    (px, py), (x, y, w, h) = point, box
    inside = x - tolerance <= px <= x + w + tolerance and y - tolerance <= py <= y + h + tolerance
    near_side = (
        min(abs(px - x), abs(px - x - w)) <= tolerance or min(abs(py - y), abs(py - y - h)) <= tolerance
    )
    return inside and near_side


@pytest.mark.parametrize("name", GRAPHS)
def test_validate_passes_with_exact_counts(name):
    make, n_nodes, n_flows, by_type = GRAPHS[name]
    summary = validate_bpmn_xml(to_bpmn_xml(*make()))
    assert summary == {
        "flow_nodes": n_nodes,
        "sequence_flows": n_flows,
        "shapes": n_nodes,
        "edges": n_flows,
        "by_type": by_type,
        "boundary_events": 0,
        "executable": False,
    }


def test_output_is_a_bpmn_definitions_document():
    xml = to_bpmn_xml(*linear(), process_id="p1", process_name="My <process>")
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(xml)
    assert root.tag == f"{BPMN}definitions"
    assert root.nsmap == NSMAP
    assert root.get("exporter") == "flowready" and root.get("targetNamespace")
    (process,) = root.findall("bpmn:process", NSMAP)
    assert (process.get("id"), process.get("name"), process.get("isExecutable")) == (
        "p1",
        "My <process>",
        "false",
    )
    assert root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NSMAP).get("bpmnElement") == "p1"
    flow = process.find("bpmn:sequenceFlow[@id='f2']", NSMAP)
    assert (flow.get("sourceRef"), flow.get("targetRef")) == ("check", "approve")


def test_incoming_and_outgoing_reference_the_flows():
    root = parse(to_bpmn_xml(*xor_with_loop()))
    review = root.find(".//bpmn:task[@id='review']", NSMAP)
    assert [e.text for e in review.findall("bpmn:incoming", NSMAP)] == ["f1", "f8"]
    assert [e.text for e in review.findall("bpmn:outgoing", NSMAP)] == ["f2"]
    start = root.find(".//bpmn:startEvent", NSMAP)
    assert start.findall("bpmn:incoming", NSMAP) == []


@pytest.mark.parametrize("name", GRAPHS)
def test_shapes_have_standard_sizes_and_do_not_overlap(name):
    nodes, flows = GRAPHS[name][0]()
    boxes, _ = diagram(to_bpmn_xml(nodes, flows))
    assert set(boxes) == set(nodes["id"])
    sizes = {
        "task": (100, 80),
        "serviceTask": (100, 80),
        "userTask": (100, 80),
        "startEvent": (36, 36),
        "endEvent": (36, 36),
        "intermediateCatchEvent": (36, 36),
        "exclusiveGateway": (50, 50),
        "parallelGateway": (50, 50),
    }
    for node_id, node_type in zip(nodes["id"], nodes["type"], strict=True):
        assert boxes[node_id][2:] == sizes[node_type]
        assert boxes[node_id][0] >= 0 and boxes[node_id][1] >= 0
    for (a, (ax, ay, aw, ah)), (b, (bx, by, bw, bh)) in itertools.combinations(boxes.items(), 2):
        overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
        assert not overlap, f"shapes {a} and {b} overlap"


@pytest.mark.parametrize("name", GRAPHS)
def test_edges_start_and_end_on_their_shapes_bounds(name):
    nodes, flows = GRAPHS[name][0]()
    boxes, edges = diagram(to_bpmn_xml(nodes, flows))
    assert set(edges) == set(flows["id"])
    for flow_id, source, target in zip(flows["id"], flows["source"], flows["target"], strict=True):
        points = edges[flow_id]
        assert len(points) >= 2
        assert on_bounds(points[0], boxes[source]), f"{flow_id} starts off {source}: {points}"
        assert on_bounds(points[-1], boxes[target]), f"{flow_id} ends off {target}: {points}"


def test_layout_runs_left_to_right():
    boxes, _ = diagram(to_bpmn_xml(*linear()))
    centres = [boxes[n][0] + boxes[n][2] / 2 for n in ("start", "check", "approve", "end")]
    assert centres == sorted(centres) and len(set(centres)) == 4


def test_loop_back_is_routed_around_the_shapes_in_between():
    boxes, edges = diagram(to_bpmn_xml(*xor_with_loop()))
    back = edges["f8"]
    assert back[0][0] > back[-1][0]  # from "again" back to "review", leftwards
    assert len(back) > 2  # bends from the Graphviz route


def test_gateway_markers_and_timer_definition():
    root = parse(to_bpmn_xml(*xor_with_loop()))
    xor_shapes = [
        s
        for s in root.iterfind(".//bpmndi:BPMNShape", NSMAP)
        if s.get("bpmnElement") in {"split", "join", "again"}
    ]
    assert [s.get("isMarkerVisible") for s in xor_shapes] == ["true"] * 3
    root = parse(to_bpmn_xml(*parallel()))
    assert all(s.get("isMarkerVisible") is None for s in root.iterfind(".//bpmndi:BPMNShape", NSMAP))
    root = parse(to_bpmn_xml(*timer()))
    wait = root.find(".//bpmn:intermediateCatchEvent[@id='wait']", NSMAP)
    assert [etree.QName(c).localname for c in wait] == ["incoming", "outgoing", "timerEventDefinition"]


NASTY = [
    "<script>alert(\"x\")</script> & 'quoted'",
    "CDATA end ]]> here",
    "tab\there\nnew line\r\nCRLF",
    "  padded  ",
    "Ünïcödé ✓ 😀 &amp; &#x41;",
    '\\N "\\" <<>>',
]


def test_names_and_documentation_round_trip_exactly():
    nodes, flows = graph(
        [
            ("start", "startEvent", NASTY[0], NASTY[1]),
            ("t", "task", NASTY[1], NASTY[2]),
            ("g", "exclusiveGateway", NASTY[2]),
            ("u", "userTask", NASTY[3], NASTY[4]),
            ("end", "endEvent", NASTY[5], NASTY[0]),
        ],
        [
            ("f1", "start", "t", NASTY[4]),
            ("f2", "t", "g", NASTY[5]),
            ("f3", "g", "u", NASTY[0]),
            ("f4", "g", "end", NASTY[1]),
            ("f5", "u", "end", NASTY[2]),
        ],
    )
    xml = to_bpmn_xml(nodes, flows)
    assert "<script>" not in xml
    validate_bpmn_xml(xml)
    root = parse(xml)
    for row in nodes.itertuples():
        element = root.find(f".//*[@id='{row.id}']")
        assert element.get("name") == row.name
        documentation = element.find("bpmn:documentation", NSMAP)
        assert (documentation.text if documentation is not None else None) == row.documentation
    for row in flows.itertuples():
        assert root.find(f".//bpmn:sequenceFlow[@id='{row.id}']", NSMAP).get("name") == row.name


def test_characters_xml_cannot_hold_are_replaced():
    nodes, flows = graph([("t", "task", "bell\x07 nul\x00", "form\x0cfeed")], [])
    root = parse(to_bpmn_xml(nodes, flows))
    task = root.find(".//bpmn:task", NSMAP)
    assert task.get("name") == "bell\ufffd nul\ufffd"
    assert task.find("bpmn:documentation", NSMAP).text == "form\ufffdfeed"


def test_missing_names_and_documentation_are_left_out():
    nodes = pd.DataFrame(
        {
            "id": ["a", "b"],
            "type": ["task", "task"],
            "name": ["A", float("nan")],
            "documentation": [float("nan"), None],
        }
    )
    flows = pd.DataFrame({"id": ["f"], "source": ["a"], "target": ["b"], "name": [pd.NA]})
    root = parse(to_bpmn_xml(nodes, flows))
    assert root.find(".//*[@id='b']").get("name") is None
    assert root.find(".//*[@id='f']").get("name") is None
    assert root.find(".//bpmn:documentation", NSMAP) is None
    assert root.find(".//bpmndi:BPMNLabel", NSMAP) is None


def test_minimal_tables_and_a_single_node():
    nodes = pd.DataFrame({"id": ["only"], "type": ["task"]})
    summary = validate_bpmn_xml(to_bpmn_xml(nodes, pd.DataFrame()))
    assert summary["flow_nodes"] == summary["shapes"] == 1 and summary["edges"] == 0


def test_generated_ids_do_not_clash_with_given_ids():
    nodes, flows = graph(
        [("t", "task"), ("t_di", "task"), ("BPMNPlane_1", "task"), ("Definitions_1", "task")],
        [("f", "t", "t_di"), ("f_di", "t_di", "BPMNPlane_1")],
    )
    root = parse(to_bpmn_xml(nodes, flows))
    validate_bpmn_xml(etree.tostring(root, encoding="unicode"))
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_output_is_deterministic():
    assert to_bpmn_xml(*xor_with_loop()) == to_bpmn_xml(*xor_with_loop())


@pytest.mark.parametrize("end", ["source", "target"])
def test_unknown_flow_endpoint_names_the_flow(end):
    nodes, flows = linear()
    flows.loc[1, end] = "ghost"
    with pytest.raises(ValueError, match=rf"'f2'.*{end} 'ghost'"):
        to_bpmn_xml(nodes, flows)


@pytest.mark.parametrize(
    ("change", "offending"),
    [
        (lambda n, f: n.__setitem__("id", ["start", "check", "check", "end"]), "'check'"),
        (lambda n, f: f.__setitem__("id", ["f1", "check", "f3"]), "'check'"),
        (lambda n, f: n.loc.__setitem__((0, "id"), "flowready_blueprint"), "'flowready_blueprint'"),
    ],
    ids=["node-node", "node-flow", "node-process"],
)
def test_duplicate_ids_are_rejected(change, offending):
    nodes, flows = linear()
    change(nodes, flows)
    with pytest.raises(ValueError, match=f"{offending} is used more than once"):
        to_bpmn_xml(nodes, flows)


@pytest.mark.parametrize("bad", ["1st", "has space", "ns:task", "", "a<b", "x\n", 42])
def test_ids_that_are_not_ncnames_are_rejected(bad):
    nodes, flows = linear()
    nodes.loc[1, "id"] = bad
    with pytest.raises(ValueError, match=f"Invalid node id {re.escape(repr(bad))}"):
        to_bpmn_xml(nodes, flows)
    nodes, flows = linear()
    flows.loc[0, "id"] = bad
    with pytest.raises(ValueError, match="Invalid flow id"):
        to_bpmn_xml(nodes, flows)
    with pytest.raises(ValueError, match="Invalid process id"):
        to_bpmn_xml(*linear(), process_id="bad id")


def test_unknown_node_type_is_rejected():
    nodes, flows = linear()
    nodes.loc[1, "type"] = "subProcess"
    with pytest.raises(ValueError, match="'check' has type 'subProcess'"):
        to_bpmn_xml(nodes, flows)


def test_empty_graph_and_missing_columns_are_rejected():
    with pytest.raises(ValueError, match="empty graph"):
        to_bpmn_xml(pd.DataFrame(columns=NODE_COLUMNS), pd.DataFrame(columns=FLOW_COLUMNS))
    nodes, flows = linear()
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['type'\]"):
        to_bpmn_xml(nodes.drop(columns="type"), flows)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['target'\]"):
        to_bpmn_xml(nodes, flows.drop(columns="target"))


def tampered(edit) -> str:
    root = parse(to_bpmn_xml(*xor_with_loop()))
    edit(root)
    return etree.tostring(root, encoding="unicode")


def remove(root: etree._Element, path: str) -> None:
    element = root.find(path, NSMAP)
    element.getparent().remove(element)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: remove(r, ".//bpmndi:BPMNShape[@bpmnElement='fix']"), "flow node 'fix' has 0 BPMNShapes"),
        (lambda r: remove(r, ".//bpmndi:BPMNEdge[@bpmnElement='f3']/di:waypoint"), "'f3' needs at least two"),
        (lambda r: remove(r, ".//bpmndi:BPMNEdge[@bpmnElement='f3']"), "flow 'f3' has 0 BPMNEdges"),
        (
            lambda r: r.find(".//bpmn:sequenceFlow[@id='f5']", NSMAP).set("targetRef", "nowhere"),
            "'f5': targetRef 'nowhere' is not a flow node",
        ),
        (lambda r: remove(r, ".//bpmn:task[@id='review']/bpmn:incoming"), "node 'review': incoming lists"),
        (lambda r: r.find(".//bpmn:userTask", NSMAP).set("id", "book"), "id 'book' is used 2 times"),
        (
            lambda r: r.find(".//bpmndi:BPMNShape[@bpmnElement='split']", NSMAP).attrib.pop(
                "isMarkerVisible"
            ),
            "exclusive gateway 'split' lacks isMarkerVisible",
        ),
        (lambda r: r.find(".//dc:Bounds", NSMAP).set("width", "-3"), "has no valid dc:Bounds"),
        (lambda r: r.find(".//bpmndi:BPMNPlane", NSMAP).set("bpmnElement", "other"), "no BPMNPlane refers"),
    ],
)
def test_validate_reports_broken_rules(edit, message):
    with pytest.raises(ValueError, match=message):
        validate_bpmn_xml(tampered(edit))


def test_validate_lists_every_problem():
    def edit(root):
        remove(root, ".//bpmndi:BPMNShape[@bpmnElement='fix']")
        remove(root, ".//bpmndi:BPMNEdge[@bpmnElement='f9']")
        root.find(".//bpmn:sequenceFlow[@id='f1']", NSMAP).set("sourceRef", "ghost")

    with pytest.raises(ValueError) as info:
        validate_bpmn_xml(tampered(edit))
    message = str(info.value)
    assert "'fix'" in message and "'f9'" in message and "sourceRef 'ghost'" in message
    assert "node 'start': outgoing lists ['f1'], the flows give []" in message


def test_validate_rejects_what_is_not_bpmn():
    with pytest.raises(ValueError, match="does not parse"):
        validate_bpmn_xml("<bpmn:definitions")
    with pytest.raises(ValueError, match="not bpmn:definitions"):
        validate_bpmn_xml("<definitions/>")


def test_validate_does_not_expand_entities():
    doctype = '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    xml = to_bpmn_xml(*linear()).replace("?>\n", "?>\n" + doctype, 1)
    xml = xml.replace('name="Check">', 'name="Check"><bpmn:documentation>&x;</bpmn:documentation>', 1)
    assert validate_bpmn_xml(xml)["flow_nodes"] == 4


# --- Executable graphs: boundary events, conditions, defaults, governance ----------------------------------


def executable():
    """A service task with an error boundary, a user task with an SLA timer, a guarded split, a default."""
    nodes = pd.DataFrame(
        [
            {"id": "start", "type": "startEvent", "purpose": "start"},
            {
                "id": "auto",
                "type": "serviceTask",
                "name": "Check",
                "purpose": "step",
                "activity": "Check",
                "governance": {
                    "recommendation": "automate",
                    "sla_hours": 2.0,
                    "audit_events": ["step.started"],
                    "personal_data": ["resource"],
                    "decision_owner": None,
                    "retry_policy": {"max_attempts": 3, "backoff": "exponential"},
                },
            },
            {
                "id": "err",
                "type": "boundaryEvent",
                "name": "Check failed",
                "purpose": "error",
                "attached_to": "auto",
                "event": "error",
                "interrupting": True,
                "error_code": "flowready.step_failed",
            },
            {"id": "fix", "type": "userTask", "name": "Handle failure", "purpose": "handle_error"},
            {"id": "join", "type": "exclusiveGateway", "purpose": "merge"},
            {
                "id": "split",
                "type": "exclusiveGateway",
                "purpose": "decision",
                "default_flow": "f_ok",
                "decision_variable": "route_split",
            },
            {
                "id": "human",
                "type": "userTask",
                "name": "Decide",
                "purpose": "step",
                "activity": "Decide",
                "governance": {
                    "recommendation": "keep_human",
                    "sla_hours": 37.5,
                    "audit_events": [],
                    "personal_data": [],
                    "decision_owner": "Board",
                    "retry_policy": None,
                },
            },
            {
                "id": "sla",
                "type": "boundaryEvent",
                "name": "SLA",
                "purpose": "sla_timer",
                "attached_to": "human",
                "event": "timer",
                "interrupting": False,
                "timer_hours": 37.5,
            },
            {"id": "alert", "type": "serviceTask", "name": "Escalate", "purpose": "escalate"},
            {"id": "late", "type": "endEvent", "purpose": "end"},
            {"id": "merge", "type": "exclusiveGateway", "purpose": "merge"},
            {"id": "end", "type": "endEvent", "purpose": "end"},
        ]
    )
    guard = [[{"variable": "route_split", "op": "==", "value": "f_human"}]]
    flows = pd.DataFrame(
        [
            ("f1", "start", "auto", None, None, False),
            ("f2", "auto", "join", None, None, False),
            ("f3", "err", "fix", None, None, False),
            ("f4", "fix", "join", None, None, False),
            ("f5", "join", "split", None, None, False),
            ("f_human", "split", "human", 'route_split == "f_human"', guard, False),
            ("f_ok", "split", "merge", None, None, True),
            ("f8", "sla", "alert", None, None, False),
            ("f9", "alert", "late", None, None, False),
            ("f10", "human", "merge", None, None, False),
            ("f11", "merge", "end", None, None, False),
        ],
        columns=["id", "source", "target", "condition", "condition_dnf", "is_default"],
    )
    flows.insert(3, "name", None)
    return nodes, flows


def test_an_executable_graph_is_written_with_its_execution_semantics():
    xml = to_bpmn_xml(*executable())
    summary = validate_bpmn_xml(xml)
    assert summary["executable"] is True and summary["boundary_events"] == 2
    root = parse(xml)
    process = root.find("bpmn:process", NSMAP)
    assert process.get("isExecutable") == "true"
    assert root.get("expressionLanguage") == EXPRESSION_LANGUAGE
    (error,) = root.findall("bpmn:error", NSMAP)
    assert error.get("errorCode") == "flowready.step_failed"
    err = process.find("bpmn:boundaryEvent[@id='err']", NSMAP)
    assert (err.get("attachedToRef"), err.get("cancelActivity")) == ("auto", "true")
    assert err.find("bpmn:errorEventDefinition", NSMAP).get("errorRef") == error.get("id")
    sla = process.find("bpmn:boundaryEvent[@id='sla']", NSMAP)
    assert (sla.get("attachedToRef"), sla.get("cancelActivity")) == ("human", "false")
    assert sla.find("bpmn:timerEventDefinition/bpmn:timeDuration", NSMAP).text == "PT37H30M"
    assert process.find("bpmn:exclusiveGateway[@id='split']", NSMAP).get("default") == "f_ok"
    cond = process.find("bpmn:sequenceFlow[@id='f_human']/bpmn:conditionExpression", NSMAP)
    assert cond.text == 'route_split == "f_human"'
    assert cond.get(f"{{{NSMAP['xsi']}}}type") == "bpmn:tFormalExpression"
    assert process.find("bpmn:sequenceFlow[@id='f_ok']/bpmn:conditionExpression", NSMAP) is None
    term = process.find("bpmn:sequenceFlow[@id='f_human']//flowready:term", NSMAP)
    assert (term.get("variable"), term.get("op"), term.get("value")) == ("route_split", "==", '"f_human"')
    gov = process.find("bpmn:serviceTask[@id='auto']/bpmn:extensionElements/flowready:governance", NSMAP)
    assert gov.get("recommendation") == "automate" and gov.get("slaHours") == "2.0"
    assert gov.find("flowready:retry", NSMAP).get("maxAttempts") == "3"
    assert [a.get("event") for a in gov.findall("flowready:audit", NSMAP)] == ["step.started"]
    assert [a.get("attribute") for a in gov.findall("flowready:personalData", NSMAP)] == ["resource"]
    human = process.find("bpmn:userTask[@id='human']/bpmn:extensionElements/flowready:governance", NSMAP)
    assert human.get("decisionOwner") == "Board" and human.find("flowready:retry", NSMAP) is None
    decision = process.find("bpmn:exclusiveGateway[@id='split']//flowready:decision", NSMAP)
    assert decision.get("variable") == "route_split"


def test_boundary_events_sit_on_their_task_border_and_their_flows_have_edges():
    xml = to_bpmn_xml(*executable())
    boxes, edges = diagram(xml)
    for event, task in (("err", "auto"), ("sla", "human")):
        x, y, w, h = boxes[event]
        assert on_bounds((x + w / 2, y + h / 2), boxes[task])
    assert on_bounds(edges["f3"][0], boxes["err"]) and on_bounds(edges["f3"][-1], boxes["fix"])
    assert on_bounds(edges["f8"][0], boxes["sla"]) and on_bounds(edges["f8"][-1], boxes["alert"])


def test_iso_durations_are_whole_minutes():
    assert [iso_duration(h) for h in (1, 0.5, 25.25, 1e-6, 48)] == [
        "PT1H",
        "PT30M",
        "PT25H15M",
        "PT1M",
        "PT48H",
    ]


def test_a_boundary_event_must_be_attached_to_a_node():
    nodes, flows = executable()
    nodes.loc[nodes["id"] == "sla", "attached_to"] = "ghost"
    with pytest.raises(ValueError, match="'sla': attached_to 'ghost'"):
        to_bpmn_xml(nodes, flows)


def tampered_executable(edit) -> str:
    root = parse(to_bpmn_xml(*executable()))
    edit(root)
    return etree.tostring(root, encoding="unicode")


def _set(path, attribute, value):
    return lambda r: r.find(path, NSMAP).set(attribute, value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: r.find(".//bpmn:exclusiveGateway[@id='split']", NSMAP).attrib.pop("default"),
            "exclusive gateway 'split': default None",
        ),
        (
            lambda r: remove(r, ".//bpmn:sequenceFlow[@id='f_human']/bpmn:conditionExpression"),
            "flow 'f_human' out of exclusive gateway 'split' has no condition",
        ),
        (
            lambda r: r.find(
                ".//bpmn:sequenceFlow[@id='f_human']/bpmn:conditionExpression", NSMAP
            ).__setattr__("text", "x =="),
            "not a Python expression",
        ),
        (
            _set(".//bpmn:boundaryEvent[@id='sla']", "attachedToRef", "split"),
            "'sla': attachedToRef 'split' is not a task",
        ),
        (
            lambda r: r.find(".//bpmn:timeDuration", NSMAP).__setattr__("text", "37.5 hours"),
            "not an ISO 8601 duration",
        ),
        (_set(".//bpmn:errorEventDefinition", "errorRef", "nope"), "errorRef 'nope' is not a bpmn:error"),
        (_set(".//bpmn:boundaryEvent[@id='err']", "cancelActivity", "false"), "'err' must interrupt"),
        (
            _set(".//bpmndi:BPMNShape[@bpmnElement='sla']/dc:Bounds", "y", "-500"),
            "'sla' is not on the border",
        ),
        (
            lambda r: r.find(".//bpmn:userTask[@id='fix']", NSMAP).__setattr__("tag", f"{BPMN}task"),
            "task 'fix' is a plain task",
        ),
    ],
)
def test_validate_reports_broken_execution_rules(edit, message):
    with pytest.raises(ValueError, match=message):
        validate_bpmn_xml(tampered_executable(edit))


def test_validate_rejects_implicit_merges_and_mixed_gateways():
    nodes, flows = executable()
    extra = pd.DataFrame(
        [("f12", "start", "merge", None, None, None, False)],
        columns=["id", "source", "target", "name", "condition", "condition_dnf", "is_default"],
    )
    # start now has two outgoing flows; merge joins three flows and still has one out
    with pytest.raises(ValueError, match="startEvent 'start' has 0 incoming and 2 outgoing"):
        validate_bpmn_xml(to_bpmn_xml(nodes, pd.concat([flows, extra], ignore_index=True)))
    extra = pd.DataFrame(
        [("f12", "alert", "split", None, None, None, False), ("f13", "sla", "late", None, None, None, False)],
        columns=["id", "source", "target", "name", "condition", "condition_dnf", "is_default"],
    )
    with pytest.raises(ValueError, match="gateway 'split' both joins and splits"):
        validate_bpmn_xml(to_bpmn_xml(nodes, pd.concat([flows, extra], ignore_index=True)))


def test_non_executable_graphs_keep_the_old_output():
    root = parse(to_bpmn_xml(*xor_with_loop()))
    assert root.find("bpmn:process", NSMAP).get("isExecutable") == "false"
    assert root.get("expressionLanguage") is None and root.find(".//bpmn:extensionElements", NSMAP) is None
