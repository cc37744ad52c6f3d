"""Names full of markup go through every output and come out as text, never as live markup.

Activities, resources, teams and a case attribute carry HTML and script (``<b>bold</b>``,
``<script>alert(1)</script>``, ``<img src=x onerror=alert(1)>``, entities and quotes). The report's HTML
is parsed and, after Chromium ran its scripts (plotly draws the charts), its DOM is checked; the PDF's
text shows the names literally; the process map (SVG) and the blueprint (BPMN) parse as XML with the
names as plain values; findings.json gives them back exactly.

The app's pages are checked in a real browser by ``tests/e2e/test_hostile_app.py``, on the same log
(:mod:`tests.hostile`).
"""

from __future__ import annotations

import html.parser
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from analysis import analyze
from analysis.outputs import export_all
from analysis.pdf import CHROMIUM_FLAGS, find_chromium
from mapper import load_event_log
from tests.analysis.report_pdf import page_count, page_text, require_printing
from tests.hostile import ACTIVITIES, BOLD, IMG, RESOURCES, ROLES, SCRIPT, hostile_events

#: Tags the report never writes itself: any of them in the report would come from the data.
FOREIGN_TAGS = {"img", "i", "u", "iframe", "object", "embed"}


@pytest.fixture(scope="module")
def hostile_log():
    """:func:`tests.hostile.hostile_events`, loaded."""
    return load_event_log(hostile_events())


@pytest.fixture(scope="module")
def outputs(hostile_log, tmp_path_factory):
    require_printing()
    out = tmp_path_factory.mktemp("hostile")
    skipped = []
    export_all(
        analyze(hostile_log, impact="analytical"), out, tables=False, on_skip=lambda *a: skipped.append(a)
    )
    assert not any(name == "report.pdf" for name, _ in skipped), skipped
    return out


class _Elements(html.parser.HTMLParser):
    """Every element of an HTML document: (tag, attributes, text directly inside it)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[list] = []
        self.stack: list[list] = []

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs), ""]
        self.elements.append(element)
        if tag not in {"br", "meta", "img", "input", "hr", "link", "path", "polygon", "ellipse"}:
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2] += data


def _elements(doc: str) -> list[list]:
    parser = _Elements()
    parser.feed(doc)
    return parser.elements


def _no_live_markup(elements, *, where: str) -> None:
    tags = {e[0] for e in elements}
    assert not tags & FOREIGN_TAGS, f"{where}: elements from the data: {tags & FOREIGN_TAGS}"
    for tag, attrs, text in elements:
        assert not any(k.startswith("on") for k in attrs), f"{where}: an event handler on <{tag}>: {attrs}"
        assert not any("javascript:" in (v or "") for v in attrs.values()), f"{where}: a javascript: link"
        if tag == "a" and "href" in attrs:  # the report links only within itself (graphviz's <a> has none)
            assert attrs["href"].startswith("#"), f"{where}: a link from the data: {attrs}"
        if tag == "script":
            assert text.strip() not in ("alert(1)", "x"), f"{where}: a script from the data runs"
        if tag == "b":
            assert text not in ("bold", "team"), f"{where}: a name was rendered bold"


def test_report_html_has_no_live_markup(outputs):
    doc = (outputs / "report.html").read_text("utf-8")
    elements = _elements(doc)
    _no_live_markup(elements, where="report.html")
    # The names are there, as text.
    text = " ".join(e[2] for e in elements if e[0] not in ("script", "style"))
    for name in [*ACTIVITIES, *RESOURCES[:2]]:
        assert name in text, name
    # In the charts' data (JSON in <script>), every name is escaped for plotly, which renders a subset
    # of HTML in labels: no raw tag reaches it.
    data = " ".join(e[2] for e in elements if e[0] == "script" and "Plotly.newPlot" in e[2])
    data = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), data).replace("\\/", "/")
    assert data and "&lt;b&gt;bold&lt;/b&gt;" in data
    for raw in ("<b>bold", "<script>alert", "<img", "<i>ann", "<u>co", "<a href", "<b>team", "<i>web"):
        assert raw not in data, raw


def test_report_dom_after_scripts_has_no_live_markup(outputs):
    """Chromium opens the report and runs its scripts (plotly draws every chart); the DOM it ends
    with has no element from the data, and the charts' texts show the names literally."""
    dom = subprocess.run(
        [
            find_chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={outputs / 'profile'}",
            "--virtual-time-budget=30000",
            "--dump-dom",
            (outputs / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    assert dom.count('class="main-svg"') >= 3, "plotly did not draw the charts"
    elements = _elements(dom)
    _no_live_markup(elements, where="the report's DOM")
    svg_text = " ".join(e[2] for e in elements if e[0] in ("text", "tspan"))
    assert BOLD in svg_text and IMG in svg_text  # plotly drew the names as text
    bold_tspans = [e for e in elements if e[0] == "tspan" and "bold" in e[1].get("style", "")]
    assert not [e for e in bold_tspans if e[2] in ("bold", "team")]


def test_pdf_text_shows_the_names_literally(outputs):
    pdf = outputs / "report.pdf"
    text = page_text(pdf, 1, page_count(pdf))
    for name in (BOLD, SCRIPT, "&amp;", "<i>ann</i>"):
        assert name in text, name
    assert re.search(r"<img src=x\s*onerror=alert\(1\)>", text)


def test_process_map_svg_has_no_live_markup(outputs):
    root = ET.parse(outputs / "process_map.svg").getroot()  # well-formed: the names did not break it
    local = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert not local & {"script", "img", "image", "foreignObject", "b", "i", "u", "iframe"}, local
    for el in root.iter():  # graphviz's <a> carries tooltips (xlink:title), never a link from the data
        assert not any(k.startswith("on") or k.endswith("href") for k in el.attrib), el.attrib
    texts = " ".join((el.text or "") for el in root.iter() if el.tag.endswith("text"))
    for name in ACTIVITIES:
        assert name in texts or name.replace('"', "&quot;") in texts, name


def test_bpmn_keeps_the_names_as_values(outputs):
    root = ET.parse(outputs / "blueprint.bpmn").getroot()
    local = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert not local & {"b", "i", "u", "img", "a", "iframe"}, local
    assert not [
        el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "script" and "alert(1)" in (el.text or "")
    ]
    names = {el.get("name") for el in root.iter() if el.get("name")}
    assert set(ACTIVITIES) <= names


def test_findings_json_gives_the_names_back_exactly(outputs):
    doc = json.loads((outputs / "findings.json").read_text("utf-8"))
    text = json.dumps(doc)
    steps = {r["activity"] for r in doc["bottlenecks"]}
    assert set(ACTIVITIES) == steps
    assert json.dumps(RESOURCES[0])[1:-1] in text or json.dumps(ROLES[0])[1:-1] in text
