"""Drive the flowready Streamlit app in a real browser: start the server, click, wait, check, screenshot.

Shared by the end-to-end test (``tests/e2e/``), the page-switch benchmark
(``benchmarks/bench_app_pages.py``) and the documentation screenshots (``docs/screenshots.py``).

The browser is Debian's Chromium (``/usr/bin/chromium``) driven by Playwright for Python. Playwright's pip
package bundles its own node driver, so ``pip install playwright`` is all it needs; never run
``playwright install``: it downloads a browser of its own, which fails on a machine without internet.

Selectors come from what a user sees (labels, link names, titles) wherever Streamlit exposes them, and
otherwise from Streamlit's ``data-testid`` attributes (``stSidebarNav``, ``stException``, ``stAlert``...),
so that they survive a rewrite of the pages. Everything that names a page of the app is in :data:`PAGES`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Download, Locator, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_LOGS = (REPO_ROOT / "../shared/logs").resolve()
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"

CHROMIUM = Path("/usr/bin/chromium")
#: Without the background-networking flags Chromium keeps calling Google's hosts, which a closed network
#: refuses; --no-sandbox because CI may run as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
#: Set (to anything) to skip the browser tests, e.g. on a machine without Chromium.
SKIP_ENV = "FLOWREADY_SKIP_E2E"

#: Milliseconds. Starting Streamlit and the first script run import pandas, pm4py, plotly...
STARTUP_TIMEOUT = 120_000
#: Rendering one page of an analysed log (the process map of a log with hundreds of activities is slow).
PAGE_TIMEOUT = 120_000
#: Reading an uploaded file and showing the preview and the mapping form.
UPLOAD_TIMEOUT = 180_000
#: Drawing a page's key elements once its script has finished (see :func:`go_to`).
DRAW_TIMEOUT = 30_000
#: Loading and analysing a log (~40 s for BPIC15_1 on 2 cores, ~2 min for Road Traffic).
ANALYSIS_TIMEOUT = 600_000


@dataclass(frozen=True)
class AppPage:
    """One page of the app as a user finds it.

    Attributes
    ----------
    link : str
        The text of its link in the sidebar navigation.
    title : str
        Text the page's title (its ``h1``) contains.
    keys : tuple of str
        CSS selectors of the elements that show the page worked (a table, a chart, the process map).
    """

    link: str
    title: str
    keys: tuple[str, ...]

    @property
    def slug(self) -> str:
        """``"Handoffs & rework"`` -> ``"handoffs-rework"``: file names of screenshots."""
        return re.sub(r"[^a-z0-9]+", "-", self.link.lower()).strip("-")


TABLE = '[data-testid="stDataFrame"]'
PLOTLY = '[data-testid="stPlotlyChart"] .js-plotly-plot'
GRAPHVIZ = '[data-testid="stGraphVizChart"] svg'
METRIC = '[data-testid="stMetric"]'
DOWNLOAD = '[data-testid="stDownloadButton"]'
#: A diagram drawn in the browser, or (large ones, see app_pages.common.diagram) on the server as an image.
DIAGRAM = f'{GRAPHVIZ}, [data-testid="stImage"] img'

#: The app's pages in sidebar order. THE place to update when pages are added, renamed or retitled.
PAGES: tuple[AppPage, ...] = (
    # Data
    AppPage("Load", "Load an event log", (TABLE,)),
    # Explore
    AppPage("Overview", "Overview", (METRIC, TABLE)),
    AppPage("Process map", "Process map", (GRAPHVIZ,)),
    AppPage("Variants", "Variants", (PLOTLY, TABLE)),
    # Findings
    AppPage("Bottlenecks", "Bottlenecks", (PLOTLY, TABLE)),
    AppPage("Handoffs & rework", "Handoffs & rework", (TABLE,)),
    AppPage("Readiness", "Automation readiness", (PLOTLY, TABLE)),
    AppPage("Blueprint", "Orchestration blueprint", (DIAGRAM, TABLE)),
    AppPage("Compare", "Did the process change?", ('[data-testid="stDateInput"]',)),
    AppPage("Downloads", "Downloads", (DOWNLOAD,)),
)

#: Load page wording.
SOURCE_LABEL = "Event log"
SOURCE_SAMPLE = "Bundled sample (council permits)"
SOURCE_UPLOAD = "Upload a file"
ANALYSE = "Analyse"
ANALYSED = "Analysed"
#: Pages to look on for the downloads, in order.
DOWNLOAD_PAGES = ("Downloads", "Blueprint")

# Streamlit's own markers: the app root tells whether the script runs and the server is connected; the
# status widget ("Running...") shows while a script runs; exceptions and st.error/st.success.
APP_IDLE = (
    '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
)
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
EXCEPTION = '[data-testid="stException"]'
ERROR = '[data-testid="stAlertContentError"]'
SUCCESS = '[data-testid="stAlertContentSuccess"]'
STALE = '[data-stale="true"]'

#: Counts the script runs the page has started (the app root entering "running"). A MutationObserver sees
#: every change, so a run too short for polling to catch is still counted: see :func:`act`.
COUNT_RUNS = """
window.__flowreadyRuns = 0;
new MutationObserver((changes) => {
    for (const c of changes) {
        if (c.target.getAttribute("data-test-script-state") === "running" && c.oldValue !== "running") {
            window.__flowreadyRuns += 1;
        }
    }
}).observe(document, {
    subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-test-script-state"],
});
"""
RUNS = "window.__flowreadyRuns"
#: Milliseconds to wait for a script run to start after an action that may cause one.
RUN_START_TIMEOUT = 5_000
#: Milliseconds without a new run after the app went idle before it counts as settled.
QUIET = 300


# --- requirements -------------------------------------------------------------------------------------


def missing_requirements() -> list[str]:
    """What this machine lacks to run the browser tests, each with the command that installs it."""
    missing = []
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        missing.append(
            f"Debian's Chromium at {CHROMIUM}: `make system-deps` (or `sudo apt-get install chromium`)"
        )
    for module in ("playwright", "streamlit"):
        if importlib.util.find_spec(module) is None:
            missing.append(
                f"{module} for Python: `{sys.executable} -m pip install -e '.[test]'` "
                "(never `playwright install`: it downloads a browser of its own and fails offline)"
            )
    return missing


# --- the server ---------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` on a free loopback port, in its own process group.

    Use as a context manager: the server is always stopped (the whole process group, SIGTERM then
    SIGKILL) when the block ends, whatever happened inside. The file watcher is off: a test must not see
    the app rerun because someone saved a file in the working tree.

    Parameters
    ----------
    log_path : Path
        Where the server's stdout and stderr go (the tracebacks of the app end up here).
    extra_args : sequence of str
        More ``streamlit run`` options, e.g. ``["--client.toolbarMode", "minimal"]``.
    """

    def __init__(self, log_path: Path, extra_args: Sequence[str] = ()):
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout_ms: int = STARTUP_TIMEOUT) -> StreamlitServer:
        self.port = free_port()
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            *self.extra_args,
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout_ms / 1000
        health = f"{self.url}_stcore/health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"streamlit exited ({code}) before it answered:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"streamlit did not answer {health} within {timeout_ms / 1000:.0f} s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- the browser --------------------------------------------------------------------------------------


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium under Playwright; closed when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_app(browser: Browser, url: str, viewport: dict | None = None) -> Page:
    """A new browser context (so a new Streamlit session) showing the app's first page, idle.

    The session lives as long as this page does: navigate only by clicking inside it, since a new URL
    starts a new session and loses the loaded log.
    """
    context = browser.new_context(viewport=viewport or VIEWPORT, accept_downloads=True)
    context.add_init_script(COUNT_RUNS)
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded", timeout=STARTUP_TIMEOUT)
    page_title(page).or_(page.locator(EXCEPTION)).first.wait_for(timeout=STARTUP_TIMEOUT)
    wait_idle(page, STARTUP_TIMEOUT)
    return page


def wait_idle(page: Page, timeout_ms: int = PAGE_TIMEOUT) -> None:
    """Wait until no script runs: app root idle and connected, no "Running..." widget, nothing stale.

    Right after a click the script may not have started yet and the app still looks idle: use
    :func:`act`, which first waits for the run the action starts.
    """
    page.locator(APP_IDLE).wait_for(state="attached", timeout=timeout_ms)
    page.locator(STATUS_WIDGET).wait_for(state="detached", timeout=timeout_ms)
    page.locator(STALE).first.wait_for(state="detached", timeout=timeout_ms)


def act(page: Page, action: Callable[[], object], timeout_ms: int = PAGE_TIMEOUT) -> float:
    """Do ``action`` (a click, an upload...), wait for the script run it starts, then until all runs end.

    A run that ends in ``st.rerun()`` leaves the app idle for a moment before the next one: the app
    counts as settled only when no run has started for :data:`QUIET` ms after it went idle. An action
    that starts no run at all (a widget inside a form) costs :data:`RUN_START_TIMEOUT` of waiting.

    Returns
    -------
    float
        Seconds from the action to the moment the app went idle for good (the quiet period excluded).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    start = time.perf_counter()
    deadline = start + timeout_ms / 1000
    before = page.evaluate(RUNS)
    action()
    with suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"n => {RUNS} > n", arg=before, timeout=RUN_START_TIMEOUT)
    while True:
        wait_idle(page, max(1, int((deadline - time.perf_counter()) * 1000)))
        idle_at = time.perf_counter()
        seen = page.evaluate(RUNS)
        page.wait_for_timeout(QUIET)
        if page.evaluate(RUNS) == seen and page.locator(APP_IDLE).count():
            return idle_at - start
        if time.perf_counter() > deadline:
            raise AssertionError(f"the app kept rerunning for {timeout_ms / 1000:.0f} s")


def nav_link(page: Page, link: str) -> Locator:
    """The sidebar navigation link named ``link`` (expanding "View more" when the list is folded)."""
    nav = page.get_by_test_id("stSidebarNav")
    target = nav.get_by_role("link", name=link, exact=True)
    more = nav.get_by_test_id("stSidebarNavViewButton")
    if target.count() == 0 and more.count() and more.inner_text().startswith("View"):
        more.click()
    return target


def has_page(page: Page, link: str) -> bool:
    return nav_link(page, link).count() > 0


def page_title(page: Page) -> Locator:
    return page.get_by_test_id("stMain").locator("h1").first


def go_to(page: Page, app_page: AppPage, timeout_ms: int = PAGE_TIMEOUT) -> float:
    """Open ``app_page`` by clicking its sidebar link; return when it is drawn and the app is idle.

    Drawn: its title shows and its key elements (:class:`AppPage`) are visible; charts and the process
    map are drawn in the browser after the script has sent them. A key element that never shows is
    waited for :data:`DRAW_TIMEOUT` at most and left to :func:`missing_keys` to report.

    Returns
    -------
    float
        Seconds from the click until the app went idle and the key elements were visible (elements
        already visible at the end of :func:`act`'s quiet period count as visible when it went idle).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect

    start = time.perf_counter()
    link = nav_link(page, app_page.link)
    seconds = act(page, link.click, timeout_ms)
    expect(page_title(page)).to_contain_text(app_page.title, timeout=timeout_ms)
    expect(link).to_have_attribute("aria-current", "page")
    if missing_keys(page, app_page):
        for key in app_page.keys:
            with suppress(PlaywrightTimeoutError):
                page.locator(f"{key} >> visible=true").first.wait_for(timeout=DRAW_TIMEOUT)
        seconds = time.perf_counter() - start
    return seconds


def page_problems(page: Page) -> list[str]:
    """Exceptions and error alerts on the page (their text), empty when the page is clean."""
    return [f"exception: {t}" for t in page.locator(EXCEPTION).all_inner_texts()] + [
        f"error: {t}" for t in page.locator(ERROR).all_inner_texts()
    ]


def missing_keys(page: Page, app_page: AppPage) -> list[str]:
    """The key elements of ``app_page`` (see :class:`AppPage`) of which no instance is visible.

    Any visible instance counts: the first in the document may sit in a closed tab or expander.
    """
    return [key for key in app_page.keys if page.locator(f"{key} >> visible=true").count() == 0]


# --- the Load page ------------------------------------------------------------------------------------


def choose_source(page: Page, option: str) -> None:
    """Click ``option`` in the "Event log" radio."""
    group = page.get_by_role("radiogroup", name=SOURCE_LABEL)
    act(page, group.get_by_text(option, exact=True).click)


def upload(page: Page, path: Path | None = None, *, name: str = "", content: bytes = b"") -> float:
    """Upload a file through the file uploader (a path, or ``name`` and ``content``); wait for the run.

    Returns the seconds until the app went idle (the file read, the mapping and the preview shown).
    """
    files = str(path) if path is not None else {"name": name, "mimeType": "text/csv", "buffer": content}
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    return act(page, lambda: uploader.set_input_files(files), UPLOAD_TIMEOUT)


def selectbox(page: Page, label: str) -> Locator:
    """The combobox of the selectbox labelled ``label`` (exact label text)."""
    return page.get_by_role("combobox", name=label, exact=True)


def mapping(page: Page, labels: Sequence[str]) -> dict[str, str]:
    """The value each selectbox shows, by label ("" when none is chosen)."""
    return {label: selectbox(page, label).input_value() for label in labels}


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``: open it, type to filter, click the option."""
    from playwright.sync_api import expect

    box = selectbox(page, label)
    box.click()
    box.fill(option)
    act(page, page.get_by_role("option", name=option, exact=True).click, UPLOAD_TIMEOUT)
    expect(box).to_have_value(option)


def analyse_button(page: Page) -> Locator:
    return page.get_by_role("button", name=ANALYSE, exact=True)


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` saw: the success message and the seconds from the click to the app idle."""

    message: str
    seconds: float


def analyse(page: Page, timeout_ms: int = ANALYSIS_TIMEOUT) -> Analysis:
    """Click "Analyse" and wait for the runs to end; the success message ("Analysed ...") must show.

    Meant for the first analysis of a session (an earlier one's message would still be there). Raises
    AssertionError with the page's errors when no success message shows.
    """
    from playwright.sync_api import expect

    button = analyse_button(page)
    expect(button).to_be_enabled(timeout=timeout_ms)
    seconds = act(page, button.click, timeout_ms)
    success = page.locator(SUCCESS, has_text=ANALYSED)
    assert success.count(), f"no {ANALYSED!r} message after {ANALYSE!r}: {page_problems(page)}"
    return Analysis(success.first.inner_text(), seconds)


# --- downloads and screenshots ------------------------------------------------------------------------


def download(page: Page, label: str, timeout_ms: int = PAGE_TIMEOUT) -> Download:
    """Click the download button ``label`` on the first of :data:`DOWNLOAD_PAGES` that the app has."""
    where = next((p for p in DOWNLOAD_PAGES if has_page(page, p)), None)
    assert where is not None, f"none of the pages {DOWNLOAD_PAGES} is in the sidebar"
    app_page = next((p for p in PAGES if p.link == where), None)
    if app_page is not None:
        go_to(page, app_page, timeout_ms)
    else:  # a page PAGES does not list: its link is enough
        act(page, nav_link(page, where).click, timeout_ms)
    button = page.get_by_test_id("stDownloadButton").get_by_role("button", name=label, exact=True)
    with page.expect_download(timeout=timeout_ms) as info:
        button.click()
    return info.value


def screenshot(page: Page, path: Path) -> Path:
    """A PNG of the whole page, not only the visible part.

    Streamlit scrolls its main area inside the window, so Playwright's ``full_page`` alone would stop
    at the window's height: the window is made as tall as the content for the shot, then restored.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            if (main) main.scrollTo(0, 0);
            return Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight);
        }"""
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height))})
    try:
        page.wait_for_timeout(500)  # let tables and charts redraw at the new size
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path
