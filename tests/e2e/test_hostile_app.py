"""Names full of markup through every page of the app, in a real browser: shown as text, never as markup.

The log of :mod:`tests.hostile` (activities ``<b>bold</b>``, ``<script>alert(1)</script>``,
``<img src=x onerror=alert(1)>``, resources and teams with ``<i>``, ``<u>``, ``<a href="javascript:...">``)
is uploaded through the Load page as a CSV and analysed; then every page is opened by its sidebar link.
On each page, after Streamlit, plotly and the in-browser Graphviz have drawn everything:

- no script ran: ``window.alert`` is replaced before the app loads and must never be called, and no
  ``onerror`` fired (no ``<img src="x">`` exists);
- the DOM holds no element made from a name: no ``<b>``, ``<i>``, ``<u>`` or ``<a>`` whose text is a
  piece of a name, no ``<script>`` holding ``alert(1)``, no ``javascript:`` link;
- the app shows no exception and no error.

And the names did reach the pages, as text: the page text or the charts' SVG text show them literally.
Tables are drawn on a canvas (glide-data-grid), which cannot hold markup; they are not read here.

Run: ``.venv/bin/python -m pytest tests/e2e/test_hostile_app.py -v`` (about a minute).
"""

from __future__ import annotations

import pytest

from tests.e2e import harness
from tests.e2e.harness import PAGES
from tests.hostile import ACTIVITIES, BOLD, IMG, RESOURCES, SCRIPT, hostile_events

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

#: Before any page script: record alert() calls instead of opening dialogs.
TRAP = "window.__alerts = []; window.alert = (...args) => { window.__alerts.push(args.join(' ')); };"

#: Elements that would exist only if a name had become markup (each: a CSS selector and the text that
#: names it; "" matches any text).
LIVE_MARKUP = """() => {
    const found = [];
    const pieces = {b: ["bold", "team"], i: ["ann", "web"], u: ["co"], a: ["x"]};
    for (const [tag, texts] of Object.entries(pieces)) {
        for (const el of document.querySelectorAll(tag)) {
            if (texts.includes(el.textContent.trim())) found.push(`<${tag}>${el.textContent}`);
        }
    }
    for (const el of document.querySelectorAll('img[src="x"], [onerror]')) found.push(el.outerHTML);
    for (const el of document.querySelectorAll('a[href^="javascript"]')) found.push(el.outerHTML);
    for (const el of document.querySelectorAll("script")) {
        if (/alert\\(1\\)|^x$/.test(el.textContent.trim())) found.push(el.outerHTML);
    }
    return found;
}"""
#: Everything a person can read on the page: its text and the texts of its SVG charts and diagrams.
PAGE_TEXT = """() => document.body.innerText + "\\n" +
    Array.from(document.querySelectorAll("svg text")).map(t => t.textContent).join("\\n")"""


@pytest.fixture(scope="module")
def hostile_page(browser, app_url, artifacts):
    """One session that uploaded and analysed the hostile log."""
    frame = hostile_events().rename(columns={"start": "start_time", "end": "end_time"})
    content = frame.to_csv(index=False).encode()
    page = harness.open_app(browser, app_url)
    page.context.add_init_script(TRAP)  # for any later document
    page.evaluate(f"() => {{ {TRAP} }}")  # and in this one (a bare script would be called as a function)
    try:
        harness.choose_source(page, harness.SOURCE_UPLOAD)
        harness.upload(page, name="hostile.csv", content=content)
        harness.analyse(page)
        yield page
    finally:
        page.context.close()


def test_no_page_turns_a_name_into_markup(hostile_page, artifacts):
    page = hostile_page
    problems: dict[str, list[str]] = {}
    shown = set()
    for app_page in [*PAGES[1:], PAGES[0]]:
        harness.go_to(page, app_page)
        page.wait_for_timeout(500)  # plotly and the in-browser Graphviz draw after the script ran
        found = page.evaluate(LIVE_MARKUP) + harness.page_problems(page)
        if found:
            problems[app_page.link] = found
            harness.screenshot(page, artifacts / f"hostile-{app_page.slug}.png")
        text = page.evaluate(PAGE_TEXT)
        shown |= {name for name in [*ACTIVITIES, *RESOURCES] if name in text}
    assert page.evaluate("window.__alerts") == [], "a name ran as a script"
    assert not problems, problems
    # The names reached the pages as text (not dropped, not mangled into entities).
    assert {BOLD, SCRIPT, IMG} <= shown, shown
