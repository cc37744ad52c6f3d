"""Fixtures of the browser tests: one Streamlit server and one Chromium for the whole session.

Skipped only when FLOWREADY_SKIP_E2E is set; otherwise a missing Chromium or Playwright fails the run
with the command that installs it (CI must run these tests, not skip them quietly).
"""

from __future__ import annotations

import os

import pytest

from tests.e2e import harness


def pytest_collection_modifyitems(config, items):
    if not os.environ.get(harness.SKIP_ENV):
        return
    skip = pytest.mark.skip(reason=f"{harness.SKIP_ENV} is set: the browser tests are skipped")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


def require_browser() -> None:
    """Fail with what to install when the machine lacks what the browser tests need."""
    missing = harness.missing_requirements()
    if missing:
        pytest.fail(
            "The browser tests need:\n  - " + "\n  - ".join(missing) + f"\n(or set {harness.SKIP_ENV}=1 "
            "to skip them on a machine that cannot have a browser)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def app_url():
    """The app, started once on a free loopback port; always stopped at the end of the session."""
    require_browser()
    with harness.StreamlitServer(harness.ARTIFACTS / "streamlit.log") as server:
        yield server.url


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the whole session: Playwright's sync API allows one instance per
    thread, so every browser test (the app's, bpmn-js') shares it."""
    require_browser()
    with harness.chromium() as b:
        yield b


@pytest.fixture(scope="session")
def browser(app_url, chromium_browser):
    return chromium_browser


@pytest.fixture(scope="session")
def artifacts():
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return harness.ARTIFACTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure in the browser journey, keep a screenshot of what the browser showed."""
    outcome = yield
    report = outcome.get_result()
    journey = getattr(item, "funcargs", {}).get("journey")
    if report.when == "call" and report.failed and journey is not None:
        name = "FAILED-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in item.name) + ".png"
        try:
            journey.page.screenshot(path=str(harness.ARTIFACTS / name), full_page=True)
        except Exception as exc:  # the browser may be gone; the report matters more than the picture
            report.sections.append(("screenshot", f"no screenshot: {exc}"))
        else:
            report.sections.append(("screenshot", str(harness.ARTIFACTS / name)))
