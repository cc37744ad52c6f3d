"""The Streamlit app in a real browser (headless Chromium): upload a real log, map it, analyse, every page.

One browser session carries the whole journey, as a user would: upload ``BPIC15_1.csv.gz`` through the
file uploader, check the proposed column mapping, change one optional mapping, analyse, then open every
page by its sidebar link (a new URL would start a new session and lose the log) and download the report.
Screenshots and the report land in ``test-artifacts/e2e/``; the server's log in ``streamlit.log`` there.

The pages and their selectors are in ``tests/e2e/harness.py`` (``PAGES``); this file holds what the test
expects of the log it uploads.

Run: ``.venv/bin/python -m pytest tests/e2e -v`` (about 2 minutes); skipped with FLOWREADY_SKIP_E2E=1.
"""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import pytest

from tests.e2e import harness
from tests.e2e.harness import PAGES

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

#: A moderate real log (52k events, 1,199 cases, 398 activities) whose XES-style columns the app maps.
LOG = harness.SHARED_LOGS / "BPIC15_1.csv.gz"
#: The mapping the Load page must propose for LOG, by selectbox label ("(none)": nothing found).
PROPOSED = {
    "Case id (required)": "case:concept:name",
    "Activity (required)": "concept:name",
    "Completion time (required)": "time:timestamp",
    "Start time": "(none)",
    "Resource (person or system)": "org:resource",
    "Role or team": "(none)",
    "Lifecycle (start/complete)": "lifecycle:transition",
}
#: The optional mapping the test changes through the UI, and how it shows after the analysis.
CHANGE = ("Role or team", "monitoringResource")
#: Overview metrics of LOG analysed with CHANGE (26 roles: the distinct monitoringResource values).
METRICS = {"Cases": "1,199", "Events": "52,217", "Roles / teams": "26"}
REPORT = "report.html"

#: Uploads that are not event logs, and what the error must say.
BAD_UPLOADS = {
    "text": b"this is not, an event log\n\x00\x01\x02 garbage ;;; \n",
    "binary": random.Random(0).randbytes(4096),
}

timings: dict[str, float] = {}


@pytest.fixture(scope="module")
def journey(browser, app_url, artifacts):
    """The Load page driven through the UI with LOG; yields the page (same session) and what it saw."""
    if not LOG.exists():
        pytest.fail(f"{LOG} is missing: the e2e test uploads it (../shared/logs/CATALOG.md)", pytrace=False)
    page = harness.open_app(browser, app_url)
    try:
        harness.choose_source(page, harness.SOURCE_UPLOAD)
        timings["upload_and_preview_s"] = harness.upload(page, LOG)
        problems = harness.page_problems(page)
        proposed = harness.mapping(page, list(PROPOSED))
        preview = page.locator(harness.TABLE).count()
        harness.choose(page, *CHANGE)
        harness.screenshot(page, artifacts / "load-mapping.png")

        analysis = harness.analyse(page)
        timings["analysis_s"] = analysis.seconds
        harness.screenshot(page, artifacts / "load-analysed.png")
        yield SimpleNamespace(
            page=page, problems=problems, proposed=proposed, preview=preview, success=analysis.message
        )
    finally:
        (artifacts / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
        page.context.close()


def test_load_page_proposes_the_mapping_and_analyses(journey):
    assert journey.problems == []
    assert journey.preview >= 1, "no preview table of the uploaded file"
    assert journey.proposed == PROPOSED
    assert journey.success.startswith(harness.ANALYSED)
    assert LOG.name in journey.success
    assert "1,199 cases" in journey.success
    assert harness.page_problems(journey.page) == []


def test_the_changed_mapping_reaches_the_analysis(journey):
    page = journey.page
    harness.go_to(page, next(p for p in PAGES if p.link == "Overview"))
    shown = {}
    for label in METRICS:
        metric = page.get_by_test_id("stMetric").filter(
            has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
        )
        shown[label] = metric.get_by_test_id("stMetricValue").inner_text().strip()
    assert shown == METRICS


@pytest.mark.parametrize("app_page", PAGES, ids=[p.slug for p in PAGES])
def test_every_page_renders_the_log(journey, artifacts, app_page):
    page = journey.page
    timings[f"page_{app_page.slug}_s"] = harness.go_to(page, app_page)
    harness.screenshot(page, artifacts / f"{app_page.slug}.png")
    assert harness.page_problems(page) == []
    assert harness.missing_keys(page, app_page) == []


def test_report_downloads_as_html_naming_the_log(journey, artifacts):
    download = harness.download(journey.page, REPORT)
    assert download.suggested_filename == REPORT
    path = artifacts / REPORT
    download.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert f"<title>flowready report: {LOG.name}</title>" in html
    assert harness.page_problems(journey.page) == []


@pytest.mark.parametrize("kind", ["text", "binary"])
def test_bad_upload_is_a_clear_error(browser, app_url, artifacts, kind):
    page = harness.open_app(browser, app_url)
    try:
        harness.choose_source(page, harness.SOURCE_UPLOAD)
        harness.upload(page, name="bad.csv", content=BAD_UPLOADS[kind])
        harness.screenshot(page, artifacts / f"bad-upload-{kind}.png")
        assert page.locator(harness.EXCEPTION).count() == 0, page.locator(harness.EXCEPTION).all_inner_texts()
        errors = page.locator(harness.ERROR).all_inner_texts()
        assert errors, "no error alert after uploading garbage"
        assert any(e.startswith("bad.csv:") for e in errors), errors
        assert page.locator(harness.SUCCESS, has_text=harness.ANALYSED).count() == 0
        assert harness.analyse_button(page).count() == 0, "a mapping form for a file that is not a log"
    finally:
        page.context.close()
