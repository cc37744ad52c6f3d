"""bpmn-js, the bpmn.io viewer, renders every blueprint.bpmn in headless Chromium (issue 12).

``tests/e2e/bpmnjs/harness.html``, opened as a ``file://`` page, loads bpmn-js's prebuilt viewer bundle from
``tests/e2e/bpmnjs/node_modules`` (``npm ci`` there; ``make test`` does it); every request to anything but a
local file is refused and counted. The page imports one BPMN XML and reports the import warnings and errors,
what the element registry holds and which flow elements got no diagram element. Each test then checks that
against the XML itself: every flow node is drawn as a shape of its own type, every sequence flow as a
connection between the right shapes, boundary events hang on their hosts' borders, labels show the names as
text, and a screenshot of the canvas (kept in the test's tmp dir) is not blank.

The blueprints: the bundled sample's, those of the real logs in ``tests.conftest.BLUEPRINT_LOGS``, and one
of a hand-made log whose activity names hold markup (none of it may become live DOM). Two hand-written
XMLs check the checks: one with the node kinds an executable blueprint adds (boundary timer and error
events, user and service tasks, a condition, flowready extension elements) must pass; two broken copies
of it (a task without diagram interchange, a boundary event drawn away from its host) must not.

Run: ``.venv/bin/python -m pytest tests/e2e/test_bpmn_js.py -v``; skipped with FLOWREADY_SKIP_E2E=1.
Timings and counts land in ``test-artifacts/e2e/bpmn-js.json``.
"""

from __future__ import annotations

import io
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import BLUEPRINT_LOGS, make_log
from tests.e2e import harness

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

BPMNJS = Path(__file__).resolve().parent / "bpmnjs"
PAGE = BPMNJS / "harness.html"
BUNDLE = BPMNJS / "node_modules" / "bpmn-js" / "dist" / "bpmn-navigated-viewer.production.min.js"
INSTALL = f"`make test` (or `npm ci --no-audit --no-fund` in {BPMNJS})"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: Every FlowNode of BPMN 2.0 (OMG, BPMN 2.0.2, 2014, section 10): drawn as a shape of its own type.
FLOW_NODES = frozenset(
    {
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
        "task", "userTask", "serviceTask", "manualTask", "scriptTask", "businessRuleTask", "sendTask",
        "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
    }
)  # fmt: skip
#: Children of a process that are not flow nodes: drawn only as connections or artifacts, or not at all.
OTHER_CHILDREN = frozenset(
    {
        "sequenceFlow", "documentation", "extensionElements", "laneSet", "property", "ioSpecification",
        "dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "group",
    }
)  # fmt: skip
#: Import warnings that are harmless, as regular expressions. None so far: a warning fails the test.
HARMLESS_WARNINGS: tuple[str, ...] = ()

#: Whether a flow drawn through a shape that is not one of its ends fails the test (see :func:`crossings`);
#: when off, they are only counted in bpmn-js.json and shown as pytest warnings.
STRICT_LAYOUT = True

#: CSS pixels of the browser window: the diagram at SCALE of its size within these bounds (a wide blueprint
#: gets a wide window, so that the screenshot stays readable).
SCALE, MIN_WIDTH, MAX_WIDTH, MIN_HEIGHT, MAX_HEIGHT = 0.6, 1600, 4000, 400, 2400
#: A channel below this (0-255) counts as ink; a drawn diagram inks more than this share of its box.
INK, MIN_INK_SHARE = 200, 0.002

#: Activity names that are markup; rendering must show them as text. The img and script would set
#: window.__pwned if they became live.
HOSTILE_NAMES = (
    "<b>x</b>",
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 1">',
    "Say \"hi\" & 'bye' R&D",
)

summary: dict[str, dict] = {}


# --- the page ------------------------------------------------------------------------------------------


@dataclass
class Viewer:
    """The harness page in Chromium, with what it tried to fetch from outside and what went wrong."""

    page: object
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def viewer(chromium_browser):
    """One Chromium and one harness page for the module; bpmn-js re-created per diagram by the page."""
    if not BUNDLE.exists():  # Chromium and Playwright are checked by the chromium_browser fixture
        pytest.fail(
            f"The bpmn-js tests need bpmn-js in {BPMNJS / 'node_modules'}: {INSTALL} (or set "
            f"{harness.SKIP_ENV}=1 to skip the browser tests on a machine that cannot have a browser)",
            pytrace=False,
        )
    browser = chromium_browser  # the session's one Chromium (tests/e2e/conftest.py)
    context = browser.new_context(viewport={"width": MIN_WIDTH, "height": MIN_HEIGHT})
    page = context.new_page()
    state = Viewer(page)

    def only_local(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            state.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("pageerror", lambda exc: state.errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda m: state.errors.append(f"console: {m.text.splitlines()[0]}") if m.type == "error" else None,
    )
    page.goto(PAGE.as_uri())
    assert page.evaluate("window.harnessReady"), f"bpmn-js did not load in {PAGE}: {state.errors}"
    try:
        yield state
    finally:
        context.close()
        if summary:
            harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (harness.ARTIFACTS / "bpmn-js.json").write_text(json.dumps(summary, indent=2) + "\n")


@dataclass(frozen=True)
class Rendering:
    """What the harness reported for one XML (see harness.html), its screenshot and the seconds it took."""

    result: dict
    screenshot: Path
    ink_share: float
    seconds: float


def render(viewer: Viewer, xml: str, screenshot: Path) -> Rendering:
    """Import ``xml`` into a fresh bpmn-js, fit it to a window of its aspect, screenshot the canvas."""
    page = viewer.page
    viewer.blocked.clear()
    viewer.errors.clear()
    started = time.perf_counter()
    result = page.evaluate("xml => window.renderBpmn(xml)", xml)
    seconds = time.perf_counter() - started
    ink = 0.0
    if result["error"] is None:
        box = result["viewbox"]
        width = int(min(MAX_WIDTH, max(MIN_WIDTH, SCALE * box["width"])))
        aspect = box["height"] / box["width"] if box["width"] else 1.0
        height = int(min(MAX_HEIGHT, max(MIN_HEIGHT, width * aspect + 40)))
        page.set_viewport_size({"width": width, "height": height})
        drawn = page.evaluate("window.fitDiagram()")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
        ink = ink_share(screenshot.read_bytes(), drawn)
    return Rendering(result, screenshot, ink, seconds)


def ink_share(png: bytes, box: dict) -> float:
    """Share of the pixels inside ``box`` (CSS pixels of the diagram's content) that are not near white.

    Only the diagram's own box counts, so the bpmn.io logo in the corner cannot make a blank canvas pass.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    left, top = max(0, math.floor(box["x"])), max(0, math.floor(box["y"]))
    right = min(image.width, math.ceil(box["x"] + box["width"]))
    bottom = min(image.height, math.ceil(box["y"] + box["height"]))
    if right - left < 2 or bottom - top < 2:
        return 0.0
    histogram = image.crop((left, top, right, bottom)).histogram()
    return sum(histogram[:INK]) / ((right - left) * (bottom - top))


# --- what the XML says ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """The flow nodes, sequence flows and boundary attachments a BPMN XML declares, by id."""

    nodes: dict[str, str]  # id -> local name (userTask...)
    names: dict[str, str]  # id -> name, for named nodes and flows
    flows: dict[str, tuple[str, str]]  # id -> (sourceRef, targetRef)
    attached: dict[str, str]  # boundary event id -> attachedToRef
    unknown: list[str]  # process children this test does not know how to check


def expected(xml: str) -> Expected:
    root = etree.fromstring(xml.encode())
    nodes, names, flows, attached, unknown = {}, {}, {}, {}, []

    def walk(container) -> None:
        for child in container:
            if not isinstance(child.tag, str):  # comments, processing instructions
                continue
            ns, local = etree.QName(child).namespace, etree.QName(child).localname
            if ns != BPMN:
                unknown.append(child.tag)
            elif local in FLOW_NODES:
                nodes[child.get("id")] = local
                if local == "boundaryEvent":
                    attached[child.get("id")] = child.get("attachedToRef")
                if local in ("subProcess", "transaction", "adHocSubProcess"):
                    walk(child)
            elif local == "sequenceFlow":
                flows[child.get("id")] = (child.get("sourceRef"), child.get("targetRef"))
            elif local not in OTHER_CHILDREN:
                unknown.append(local)
            if (local in FLOW_NODES or local == "sequenceFlow") and (child.get("name") or "").strip():
                names[child.get("id")] = child.get("name")

    for process in root.iter(f"{{{BPMN}}}process"):
        walk(process)
    return Expected(nodes, names, flows, attached, unknown)


def bpmn_type(local: str) -> str:
    """``userTask`` -> ``bpmn:UserTask``: the element type bpmn-js gives a BPMN element."""
    return "bpmn:" + local[0].upper() + local[1:]


def squeeze(text: str) -> str:
    """Labels are wrapped into lines (whitespace dropped at the breaks): compare without whitespace."""
    return "".join(text.split())


def on_border(event: dict, host: dict) -> bool:
    """Whether a boundary event's circle touches its host's border (its centre within a radius of it)."""
    cx, cy = event["x"] + event["width"] / 2, event["y"] + event["height"] / 2
    left, top = host["x"], host["y"]
    right, bottom = left + host["width"], top + host["height"]
    radius = min(event["width"], event["height"]) / 2
    if left <= cx <= right and top <= cy <= bottom:
        distance = min(cx - left, right - cx, cy - top, bottom - cy)
    else:
        distance = math.hypot(max(left - cx, 0, cx - right), max(top - cy, 0, cy - bottom))
    return distance <= radius + 1


def crosses(a: tuple[float, float], b: tuple[float, float], shape: dict, inset: float = 2.0) -> bool:
    """Whether the segment a-b enters the inside of ``shape``'s box shrunk by ``inset`` (Liang-Barsky)."""
    left, top = shape["x"] + inset, shape["y"] + inset
    right, bottom = shape["x"] + shape["width"] - inset, shape["y"] + shape["height"] - inset
    if right <= left or bottom <= top:
        return False
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, a[0] - left), (dx, right - a[0]), (-dy, a[1] - top), (dy, bottom - a[1])):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 >= t1:
            return False
    return True


def crossings(result: dict) -> list[str]:
    """Sequence flows drawn through a shape that is not one of their ends.

    A flow leaving a boundary event must not run through the event's host either: drawn over the task,
    it reads as a flow into the task.
    """
    shapes, found = result["shapes"], []
    for flow, drawn in result["connections"].items():
        ends = {drawn["source"], drawn["target"]}
        host = shapes.get(drawn["source"], {}).get("host")
        points = drawn["waypoints"]
        for shape_id, shape in shapes.items():
            if shape_id in ends and shape_id != host:
                continue
            if any(crosses(a, b, shape) for a, b in zip(points, points[1:], strict=False)):
                found.append(f"{flow} ({drawn['source']}->{drawn['target']}) runs through {shape_id}")
    return found


def problems(xml: str, rendering: Rendering, viewer: Viewer) -> list[str]:
    """Everything that shows bpmn-js did not render ``xml`` completely and faithfully; empty when it did."""
    import re

    r, want = rendering.result, expected(xml)
    found: list[str] = []
    if r["error"] is not None:
        return [f"import failed: {r['error']}", *(f"warning: {w}" for w in r["warnings"])]
    found += [
        f"warning: {w['message']} (element {w['element']})"
        for w in r["warnings"]
        if not any(re.search(p, w["message"]) for p in HARMLESS_WARNINGS)
    ]
    found += [f"process child this test does not know: {u}" for u in want.unknown]
    found += [f"no diagram element for flow element {i}" for i in r["missingDi"]]
    shapes, connections = r["shapes"], r["connections"]
    for node, local in want.nodes.items():
        if node not in shapes:
            found.append(f"{local} {node} not rendered")
        elif shapes[node]["type"] != bpmn_type(local):
            found.append(f"{local} {node} rendered as {shapes[node]['type']}")
    for flow, ends in want.flows.items():
        drawn = connections.get(flow)
        if drawn is None or drawn["type"] != "bpmn:SequenceFlow":
            found.append(f"sequence flow {flow} not rendered")
        elif (drawn["source"], drawn["target"]) != ends:
            found.append(f"sequence flow {flow} drawn {drawn['source']}->{drawn['target']}, XML says {ends}")
        elif len(drawn["waypoints"]) < 2:
            found.append(f"sequence flow {flow} has {len(drawn['waypoints'])} waypoint(s)")
    found += [f"rendered shape {s} is not a flow node of the XML" for s in set(shapes) - set(want.nodes)]
    found += [f"rendered connection {c} is not a flow of the XML" for c in set(connections) - set(want.flows)]
    for event, host in want.attached.items():
        drawn = r["boundary"].get(event)
        if drawn is None or drawn["host"] != host or drawn["attachedToRef"] != host:
            found.append(f"boundary event {event} not attached to {host}: {drawn}")
        elif not on_border(shapes[event], shapes[host]):
            found.append(f"boundary event {event} {shapes[event]} is off the border of {host} {shapes[host]}")
    for element, name in want.names.items():
        if squeeze(r["texts"].get(element, "")) != squeeze(name):
            found.append(f"{element} labelled {r['texts'].get(element)!r}, XML name {name!r}")
    if rendering.ink_share < MIN_INK_SHARE:
        found.append(f"blank canvas: {rendering.ink_share:.4%} ink in {rendering.screenshot}")
    found += [f"fetched from the network: {u}" for u in viewer.blocked]
    found += viewer.errors
    return found


def check(name: str, xml: str, viewer: Viewer, tmp_path: Path) -> Rendering:
    """Render ``xml``, record its figures in the summary, and fail with every problem found."""
    rendering = render(viewer, xml, tmp_path / f"{name}.png")
    r, want = rendering.result, expected(xml)
    summary[name] = {
        "flow_nodes": len(want.nodes),
        "sequence_flows": len(want.flows),
        "boundary_events": len(want.attached),
        "shapes": len(r["shapes"]),
        "connections": len(r["connections"]),
        "labels": r["labels"],
        "warnings": [w["message"] for w in r["warnings"]],
        "error": r["error"],
        "import_ms": round(r["importMs"], 1),
        "render_s": round(rendering.seconds, 3),
        "ink_share": round(rendering.ink_share, 4),
        "xml_bytes": len(xml.encode()),
        "screenshot": str(rendering.screenshot),
        "flows_through_shapes": crossings(r) if r["error"] is None else None,
    }
    if r["error"] is None and crossings(r):
        layout = f"{name}: {len(crossings(r))} flow(s) drawn through shapes: " + "; ".join(crossings(r)[:10])
        if STRICT_LAYOUT:
            raise AssertionError(layout)
        warnings.warn(layout, stacklevel=2)
    found = problems(xml, rendering, viewer)
    assert not found, f"bpmn-js on {name}:\n  " + "\n  ".join(found[:40])
    assert want.nodes and want.flows, f"{name}: the XML has no flow nodes or no sequence flows"
    return rendering


# --- the blueprints ------------------------------------------------------------------------------------


def test_the_sample_blueprint_renders(sample_findings, viewer, tmp_path):
    xml = sample_findings.blueprint.to_bpmn()
    rendering = check("council_permits", xml, viewer, tmp_path)
    # the sample's blueprint has tasks of both kinds and decision gateways
    types = {s["type"] for s in rendering.result["shapes"].values()}
    assert {"bpmn:UserTask", "bpmn:ServiceTask", "bpmn:ExclusiveGateway", "bpmn:StartEvent"} <= types


@pytest.mark.parametrize("name", BLUEPRINT_LOGS)
def test_real_blueprints_render(name, real_findings, viewer, tmp_path):
    xml = real_findings(name).blueprint.to_bpmn()
    check(name.split(".")[0].replace(" ", "_"), xml, viewer, tmp_path)


def test_markup_in_activity_names_is_shown_as_text(viewer, tmp_path):
    from analysis import analyze

    rows = []
    for case in range(24):
        names = HOSTILE_NAMES if case % 3 else HOSTILE_NAMES[::2]
        for i, activity in enumerate(names):
            day = f"2024-01-{1 + case % 28:02d}"
            rows.append(
                (f"c{case}", activity, f"{day} {8 + i:02d}:00", f"{day} {8 + i:02d}:30", f"u{i}", f"r{i % 2}")
            )
    xml = analyze(make_log(rows), impact="off").blueprint.to_bpmn()
    rendering = check("hostile_names", xml, viewer, tmp_path)
    shown = {squeeze(t) for t in rendering.result["texts"].values()}
    assert {squeeze(n) for n in HOSTILE_NAMES} <= shown
    live = viewer.page.evaluate(
        """() => ({
            markup: document.querySelectorAll("#canvas b, #canvas img, #canvas script").length,
            scripts: document.scripts.length,
            pwned: window.__pwned === undefined ? null : window.__pwned,
        })"""
    )
    assert live == {"markup": 0, "scripts": 2, "pwned": None}  # the harness's own two scripts


# --- the checks themselves, on hand-written XML --------------------------------------------------------

#: The node kinds an executable blueprint adds (flowready's analysis/bpmn_xml.py, issue 12): a user task
#: with a boundary timer (SLA) on its bottom border, a service task with a boundary error event, a
#: condition on a gateway's flow and extension elements in a flowready namespace. Hand-written.
EXECUTABLE = (BPMNJS / "executable_kinds.bpmn").read_text("utf-8")


def test_the_checks_pass_an_executable_blueprint(viewer, tmp_path):
    want = expected(EXECUTABLE)
    assert want.attached == {"late": "review", "fail": "send"}
    assert len(want.nodes) == 8 and len(want.flows) == 8
    rendering = check("executable_kinds", EXECUTABLE, viewer, tmp_path)
    assert rendering.result["shapes"]["late"]["host"] == "review"
    assert rendering.result["texts"]["review"] == "Review <b>it</b>"
    assert crossings(rendering.result) == []


def edit_di(xml: str, element: str, edit) -> str:
    """``xml`` with ``edit`` applied to the BPMNShape of ``element``."""
    root = etree.fromstring(xml.encode())
    (shape,) = root.iterfind(f".//{{*}}BPMNShape[@bpmnElement='{element}']")
    edit(shape)
    return etree.tostring(root, encoding="unicode")


def test_the_checks_catch_what_bpmn_js_cannot_draw(viewer, tmp_path):
    """Without its shape a task is left out silently, and so are its flows: bpmn-js only warns."""
    no_shape = edit_di(EXECUTABLE, "send", lambda shape: shape.getparent().remove(shape))
    # a boundary event drawn far from its host: bpmn-js attaches it anyway
    detached = edit_di(EXECUTABLE, "fail", lambda shape: shape[0].set("y", "322"))
    found = problems(no_shape, render(viewer, no_shape, tmp_path / "no_shape.png"), viewer)
    assert any("send not rendered" in p for p in found), found
    assert any("no diagram element for flow element send" in p for p in found), found
    through = render(
        viewer,
        EXECUTABLE.replace('<di:waypoint x="180" y="240"/>', '<di:waypoint x="180" y="100"/>'),
        tmp_path / "through.png",
    )
    assert crossings(through.result) == ["f5 (late->alert) runs through review"]
    found = problems(detached, render(viewer, detached, tmp_path / "detached.png"), viewer)
    assert len(found) == 1, found
    assert "boundary event fail" in found[0] and "off the border of send" in found[0], found
