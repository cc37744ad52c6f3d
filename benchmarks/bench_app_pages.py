"""Benchmark: the Streamlit app in a real browser, Road Traffic (561k events) against the bundled sample.

What it measures
----------------
One Streamlit server and one headless Chromium (the harness of the end-to-end test,
``tests/e2e/harness.py``), a fresh browser session per log:

baseline   the bundled sample (``sample_logs/council_permits.csv``, 11k events), chosen in the Load page's
           "Event log" radio;
log        ``../shared/logs/Road_Traffic_Fine_Management_Process.csv.gz`` (or ``--log``), uploaded through
           the file uploader with the proposed column mapping.

For each: ``upload`` (set the file -> the mapping and preview shown, app idle; uploads only), ``analysis``
(click "Analyse" -> the "Analysed" message, app idle: loading, analysis and the Load page's import
report), then ``--rounds`` rounds over every page of the sidebar (click its link -> its title shown, the
app idle and the page's key elements visible: tables, charts, the process map drawn by the browser; see
``go_to`` in the harness). A page's first visit may compute and cache what later visits reuse, so both
the median and the max are given.

The browser is warmed up with one untimed session first, so imports are not timed.

How to run
----------
    .venv/bin/python benchmarks/bench_app_pages.py            # or: make bench-app (a few minutes)
    .venv/bin/python benchmarks/bench_app_pages.py --rounds 5 --log ../shared/logs/BPIC15_1.csv.gz

Prints a Markdown table to stdout (progress to stderr) and writes
``benchmarks/results/app_pages_<date>.json`` (``-2``, ``-3`` ... appended rather than overwriting); the
folder's ``.gitignore`` keeps results out of git.

How to read the ratios
----------------------
ratio = the log's median time / the sample's median time for the same step in the same run. The sample's
times are the floor that Streamlit and the browser cost on any log; a ratio near 1 means the page does not
depend on the size of the log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e import harness  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
LOG = harness.SHARED_LOGS / "Road_Traffic_Fine_Management_Process.csv.gz"
#: Milliseconds allowed to one page switch of a large log.
PAGE_TIMEOUT = 600_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(browser, url: str, path: Path | None, rounds: int) -> dict:
    """Time the upload, the analysis and every page switch of one log in a new browser session.

    ``path`` None means the bundled sample. Returns ``{"steps": {name: [seconds, ...]}, "errors": [...]}``.
    """
    steps: dict[str, list[float]] = {}
    errors: list[str] = []
    page = harness.open_app(browser, url)
    try:
        if path is not None:
            harness.choose_source(page, harness.SOURCE_UPLOAD)
            steps["upload"] = [harness.upload(page, path)]
            log(f"  upload and preview: {steps['upload'][0]:.1f} s")
        steps["analysis"] = [harness.analyse(page).seconds]
        log(f"  analysis: {steps['analysis'][0]:.1f} s")
        # Load last: the session is on Load after the analysis, and a click on the current page's link
        # starts no run.
        order = [*harness.PAGES[1:], harness.PAGES[0]]
        for r in range(rounds):
            for app_page in order:
                seconds = harness.go_to(page, app_page, PAGE_TIMEOUT)
                steps.setdefault(app_page.link, []).append(seconds)
                problems = harness.page_problems(page) + [
                    f"missing {k}" for k in harness.missing_keys(page, app_page)
                ]
                if problems and r == 0:
                    errors.append(f"{app_page.link}: {problems}")
            log(f"  round {r + 1}: " + ", ".join(f"{p.link} {steps[p.link][-1]:.1f} s" for p in order))
    finally:
        page.context.close()
    return {"steps": steps, "errors": errors}


def _summary(times: list[float]) -> dict:
    return {"median_s": statistics.median(times), "max_s": max(times), "runs_s": times}


def _output_path() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    ignore = RESULTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Benchmark results are machine-specific: keep them out of git.\n*.json\n")
    stem = f"app_pages_{dt.date.today().isoformat()}"
    path, n = RESULTS / f"{stem}.json", 2
    while path.exists():
        path, n = RESULTS / f"{stem}-{n}.json", n + 1
    return path


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "app.py", "app_pages", "mapper", "analysis"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (uncommitted changes in the app or library)" if dirty else "")


def table(names: list[str], baseline: dict, other: dict, log_name: str) -> str:
    head = (
        f"| step | sample median s | sample max s | {log_name} median s | {log_name} max s | ratio |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    rows = []
    for name in names:
        b, o = baseline["steps"].get(name), other["steps"].get(name)
        cells = []
        for times in (b, o):
            cells += [f"{statistics.median(times):.2f}", f"{max(times):.2f}"] if times else ["n/a", "n/a"]
        ratio = f"{statistics.median(o) / statistics.median(b):.1f}" if b and o else "n/a"
        rows.append(f"| {name} | {' | '.join(cells)} | {ratio} |")
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every page (default 3)")
    parser.add_argument("--log", type=Path, default=LOG, help="the log to upload (default Road Traffic)")
    args = parser.parse_args(argv)

    missing = harness.missing_requirements()
    if missing:
        print("The benchmark needs:\n  - " + "\n  - ".join(missing), file=sys.stderr)
        return 2
    if not args.log.exists():
        print(f"{args.log} is missing (see ../shared/logs/CATALOG.md)", file=sys.stderr)
        return 2

    server_log = harness.ARTIFACTS.parent / "bench-app" / "streamlit.log"
    with harness.StreamlitServer(server_log) as server, harness.chromium() as browser:
        log(f"Streamlit at {server.url}, Chromium {browser.version}; warming up")
        harness.open_app(browser, server.url).context.close()
        log("bundled sample:")
        baseline = measure(browser, server.url, None, args.rounds)
        log(f"{args.log.name}:")
        other = measure(browser, server.url, args.log, args.rounds)
        chromium_version = browser.version

    names = ["upload", "analysis", *(p.link for p in harness.PAGES)]
    from importlib.metadata import version

    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "streamlit": version("streamlit"),
            "playwright": version("playwright"),
            "chromium": chromium_version,
        },
        "rounds": args.rounds,
        "logs": {"baseline": "council_permits.csv (bundled sample)", "log": args.log.name},
        "steps": {
            name: {
                "baseline": _summary(baseline["steps"][name]) if name in baseline["steps"] else None,
                "log": _summary(other["steps"][name]) if name in other["steps"] else None,
            }
            for name in names
        },
        "errors": {"baseline": baseline["errors"], "log": other["errors"]},
    }
    out = _output_path()
    out.write_text(json.dumps(result, indent=2) + "\n")

    print(
        f"# App page switches: {args.log.name} against the bundled sample "
        f"({result['date']}, commit {result['commit']}, {args.rounds} rounds, {os.cpu_count()} CPUs, "
        f"Chromium {chromium_version})\n"
    )
    print(table(names, baseline, other, args.log.name.split(".")[0]))
    print(
        "\nupload: set the file -> mapping and preview shown; analysis: Analyse -> Analysed; a page: click "
        "its sidebar link -> its title shown, the app idle and its tables/charts drawn. "
        "ratio = log median / sample median."
    )
    for which, errors in result["errors"].items():
        for e in errors:
            print(f"\n**{which} error**: {e}")
    print(f"\nWritten: {out.relative_to(ROOT)}")
    return 1 if any(result["errors"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
