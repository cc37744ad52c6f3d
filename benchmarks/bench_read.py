"""Benchmark: reading every real log in ../shared/logs with flowready against pm4py, in the same run.

What it measures
----------------
For every ``.xes.gz`` and ``.csv.gz`` event log in ``../shared/logs`` (the ``bpic2020_cleaned/``
subfolder included; the BPIC14 case-attributes table is skipped because it is not an event log):

XES
    baseline      ``pm4py.read_xes(path)``: pm4py's default importer. NOTE: recent pm4py releases
                  pick the Rust importer by default whenever ``rustxes`` (or ``r4pm``) is installed, as
                  it is in flowready's venv; the variant it resolved to is printed with the results.
    read_raw      ``read_raw(path, xes_reader="rustxes")``; it falls back to lxml when rustxes reports
                  a problem, so the reader that actually ran (``raw.details["xes_reader"]``) and the
                  reason for a fallback (``raw.details["xes_reader_note"]``) are recorded.
    read_raw lxml ``read_raw(path, xes_reader="lxml")``.
    load          ``load_event_log(path)``: read + map columns + parse timestamps + pair lifecycles +
                  validate + build the data-quality report.
    pm4py rustxes ``pm4py.read_xes(path, variant="rustxes")`` (second reference).
    pm4py-python  ``pm4py.read_xes(path, variant=<pm4py's non-Rust default>, show_progress_bar=False)``
                  ("iterparse" when lxml is installed): what ``pm4py.read_xes(path)`` does on a machine
                  *without* rustxes.
CSV
    baseline      ``pandas.read_csv(path, dtype={case column: str})`` + ``pm4py.format_dataframe(df,
                  case_id=..., activity_key=..., timestamp_key=...)`` with the log's columns, detected
                  from the header (XES names, or ``case_id``/``activity``/``end_time``). The case column
                  is read as text, as in bench_whole_analysis.py, so ids keep their leading zeros.
    read_raw      ``read_raw(path)``.
    load          ``load_event_log(path, dayfirst=...)``; ``dayfirst`` is passed only when a sample of
                  the time column shows day/month dates (ISO dates need none). A ``FlowreadyError`` is
                  recorded in the table instead of stopping the run.

Every tool runs in this process, interleaved round-robin per log (baseline, read_raw, ..., baseline,
read_raw, ...) with ``gc.collect()`` before each call, ``--repeats`` rounds; the median time is used.
Each tool is run once, untimed, on the smallest XES and CSV log first so lazy imports are not timed.
With ``--memory`` each tool also runs once per log in a fresh subprocess that reports its peak RSS
(``VmHWM``; the figure includes the ~300 MB of imports, the bracketed one is above that).

How to run
----------
    .venv/bin/python benchmarks/bench_read.py --repeats 3          # every log, 3 rounds (long)
    .venv/bin/python benchmarks/bench_read.py --quick              # 1 round, the 5 smallest logs (file size)
    .venv/bin/python benchmarks/bench_read.py --only bpic2020 --memory

Prints Markdown tables to stdout (progress goes to stderr) and writes
``benchmarks/results/read_<date>.json`` (``-2``, ``-3`` ... appended rather than overwriting); the
folder's ``.gitignore`` keeps results out of git.

How to read the ratios
----------------------
ratio = tool's median time / baseline's median time on the same log in the same run: below 1 the tool is
faster than the baseline (0.5 = twice as fast), above 1 slower. The geometric mean summarises a column
over the logs. Since geometric means divide, flowready against pm4py's pure-Python reader is
``geomean(read_raw) / geomean(pm4py-python)``. ``pm4py rustxes`` against the baseline, when both are the
same importer, shows the noise of the machine. ``load_event_log`` does far more than read, so its ratio
is the price of the whole ingestion, not of parsing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import gzip
import io
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT.parent / "shared" / "logs"
RESULTS = Path(__file__).resolve().parent / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Files in the folder that are not event logs: name -> why they are skipped.
NOT_EVENT_LOGS = {
    "BPIC14_incident_case_attributes_sample.csv.gz": (
        "case attributes (one row per incident, no activity column): a table to join, not an event log"
    ),
}

XES_CASE, XES_ACTIVITY, XES_TIME = "case:concept:name", "concept:name", "time:timestamp"


def _quiet_imports() -> None:
    """Import pm4py and flowready with pm4py's banner and warnings out of the way."""
    warnings.filterwarnings("ignore")
    with contextlib.redirect_stderr(io.StringIO()):
        import pm4py  # noqa: F401

        import mapper  # noqa: F401


# --------------------------------------------------------------------------------------------- tools


@dataclass
class Tool:
    key: str
    label: str
    run: Callable[[], object]
    describe: Callable[[object], dict]
    baseline: bool = False


@dataclass
class LogSpec:
    path: Path
    fmt: str  # "xes" or "csv"
    columns: tuple[str, str, str] | None = None  # CSV: case, activity, time
    dayfirst: bool | None = None
    time_check: str = ""

    @property
    def name(self) -> str:
        return str(self.path.relative_to(LOGS))


def _rows(obj) -> dict:
    return {"rows": len(obj)}


def _raw_info(raw) -> dict:
    info = {"rows": len(raw.frame), "reader": raw.details.get("xes_reader", raw.format)}
    if raw.details.get("xes_reader_note"):
        info["note"] = raw.details["xes_reader_note"]
    return info


def _log_info(log) -> dict:
    d = log.quality.details
    info = {"rows": len(log.events), "rows_read": log.quality.rows_read}
    if "xes_reader" in d:
        info["reader"] = d["xes_reader"]
    if d.get("xes_reader_note"):
        info["note"] = d["xes_reader_note"]
    return info


def pm4py_default_xes_variant() -> str:
    from pm4py.util import constants
    from pm4py.util.rustxes_utils import get_rustxes_backend_name

    return get_rustxes_backend_name() or constants.DEFAULT_XES_PARSER


def tools_for(spec: LogSpec) -> list[Tool]:
    """The baseline first, then the contenders, each a zero-argument call on ``spec.path``."""
    import pandas as pd
    import pm4py
    from pm4py.util import constants

    from mapper import load_event_log
    from mapper.readers import read_raw

    path = str(spec.path)
    if spec.fmt == "xes":
        python_variant = constants.DEFAULT_XES_PARSER
        return [
            Tool("baseline", "pm4py.read_xes", lambda: pm4py.read_xes(path), _rows, baseline=True),
            Tool("read_raw", "read_raw rustxes", lambda: read_raw(path, xes_reader="rustxes"), _raw_info),
            Tool("read_raw_lxml", "read_raw lxml", lambda: read_raw(path, xes_reader="lxml"), _raw_info),
            Tool("load", "load_event_log", lambda: load_event_log(path), _log_info),
            Tool("pm4py_rustxes", "pm4py rustxes", lambda: pm4py.read_xes(path, variant="rustxes"), _rows),
            Tool(
                "pm4py_python",
                f"pm4py {python_variant}",
                lambda: pm4py.read_xes(path, variant=python_variant, show_progress_bar=False),
                _rows,
            ),
        ]
    case, activity, ts = spec.columns  # type: ignore[misc]

    def baseline():
        df = pd.read_csv(path, dtype={case: str}, low_memory=False)
        return pm4py.format_dataframe(df, case_id=case, activity_key=activity, timestamp_key=ts)

    return [
        Tool("baseline", "pandas.read_csv + pm4py.format_dataframe", baseline, _rows, baseline=True),
        Tool("read_raw", "read_raw", lambda: read_raw(path), _raw_info),
        Tool("load", "load_event_log", lambda: load_event_log(path, dayfirst=spec.dayfirst), _log_info),
    ]


# ------------------------------------------------------------------------------------- log discovery


def _csv_columns(path: Path) -> tuple[str, str, str] | None:
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
        header = [h.strip() for h in fh.readline().rstrip("\r\n").split(",")]
    for cols in ((XES_CASE, XES_ACTIVITY, XES_TIME), ("case_id", "activity", "end_time")):
        if all(c in header for c in cols):
            return cols
    return None


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}")


def _day_first(path: Path, column: str, sample: int = 20_000) -> tuple[bool | None, str]:
    """Look at the time column: ISO dates need no ``dayfirst``; for nn/nn/yyyy a field above 12 decides."""
    import pandas as pd

    values = pd.read_csv(path, usecols=[column], dtype=str, nrows=sample)[column].dropna()
    if values.empty:
        return None, "no timestamps in the sample"
    if values.str.match(_ISO).all():
        return None, f"ISO 8601 ({values.iloc[0]!r}...): unambiguous, dayfirst not needed"
    parts = values.str.extract(_DMY).dropna().astype(int)
    if parts.empty:
        return None, f"unrecognised format ({values.iloc[0]!r}); left to load_event_log"
    if (parts[0] > 12).any():
        return True, "day/month/year (a first field > 12): dayfirst=True"
    if (parts[1] > 12).any():
        return False, "month/day/year (a second field > 12): dayfirst=False"
    return None, "day/month order ambiguous in the sample; left to load_event_log (it refuses to guess)"


def discover(only: str | None, quick: bool) -> tuple[list[LogSpec], list[dict]]:
    files = sorted(
        (p for p in LOGS.rglob("*") if p.is_file() and p.name.endswith((".xes.gz", ".csv.gz"))),
        key=lambda p: (p.stat().st_size, p.name),
    )
    skipped = [
        {"log": str(p.relative_to(LOGS)), "why": NOT_EVENT_LOGS[p.name]}
        for p in files
        if p.name in NOT_EVENT_LOGS
    ]
    files = [p for p in files if p.name not in NOT_EVENT_LOGS]
    if only:
        files = [p for p in files if only.lower() in str(p.relative_to(LOGS)).lower()]
    if quick:
        files = files[:5]
    specs = []
    for p in files:
        if p.name.endswith(".xes.gz"):
            specs.append(LogSpec(p, "xes"))
            continue
        cols = _csv_columns(p)
        if cols is None:
            skipped.append({"log": str(p.relative_to(LOGS)), "why": "no case/activity/time columns known"})
            continue
        dayfirst, check = _day_first(p, cols[2])
        specs.append(LogSpec(p, "csv", cols, dayfirst, check))
    return specs, skipped


# ----------------------------------------------------------------------------------------- measuring


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    error: str = ""
    memory: dict = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


def _error_text(exc: BaseException) -> str:
    from mapper.errors import FlowreadyError

    kind = "FlowreadyError" if isinstance(exc, FlowreadyError) else "unexpected"
    return f"{kind} {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


def _time_once(tool: Tool, result: Result) -> None:
    gc.collect()
    t0 = time.perf_counter()
    try:
        out = tool.run()
    except Exception as exc:  # noqa: BLE001 - recorded in the table, the run goes on
        result.error = _error_text(exc)
        return
    result.times.append(time.perf_counter() - t0)
    if not result.info:
        result.info = tool.describe(out)
    del out
    gc.collect()


def measure(spec: LogSpec, repeats: int) -> dict[str, Result]:
    tools = tools_for(spec)
    results = {t.key: Result() for t in tools}
    for _ in range(repeats):
        for tool in tools:  # interleaved: A, B, C, A, B, C ...
            if not results[tool.key].error:
                _time_once(tool, results[tool.key])
    return results


def warm_up(specs: list[LogSpec]) -> None:
    """Run every tool once, untimed, on the smallest log of each format (imports, caches)."""
    for fmt in ("xes", "csv"):
        smallest = next((s for s in specs if s.fmt == fmt), None)
        if smallest is not None:
            for tool in tools_for(smallest):
                with contextlib.suppress(Exception):
                    tool.run()
    gc.collect()


def _peak_rss_mb() -> float:
    """This process's peak RSS in MB: ``VmHWM`` where /proc has it, else ``ru_maxrss``.

    ``VmHWM`` belongs to the process's own address space. ``ru_maxrss`` on Linux survives ``fork`` and
    ``exec``, so a child forked from this (large) benchmark process would report the parent's peak.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _memory_child(key: str, spec: LogSpec) -> None:
    """In a fresh process: import everything, then run one tool once and print its peak RSS as JSON."""
    _quiet_imports()
    tool = next(t for t in tools_for(spec) if t.key == key)
    before = _peak_rss_mb()
    t0 = time.perf_counter()
    error = ""
    try:
        tool.run()
    except Exception as exc:  # noqa: BLE001
        error = _error_text(exc)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {"peak_rss_mb": _peak_rss_mb(), "after_import_mb": before, "seconds": seconds, "error": error}
        )
    )


def measure_memory(spec: LogSpec, keys: list[str]) -> dict[str, dict]:
    out = {}
    for key in keys:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", key, str(spec.path)]
        if spec.dayfirst is not None:
            cmd += ["--dayfirst", str(spec.dayfirst)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            out[key] = {"error": f"subprocess exit {proc.returncode}: {proc.stderr.strip()[-200:]}"}
            continue
        out[key] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# ------------------------------------------------------------------------------------------ reporting

XES_COLUMNS = [
    ("read_raw", "read_raw rustxes ratio"),
    ("read_raw_lxml", "read_raw lxml ratio"),
    ("load", "load_event_log ratio"),
    ("pm4py_rustxes", "pm4py-rustxes ratio"),
    ("pm4py_python", "pm4py-python ratio"),
]
CSV_COLUMNS = [("read_raw", "read_raw ratio"), ("load", "load_event_log ratio")]


def _ratio(results: dict[str, Result], key: str) -> float | None:
    base, r = results["baseline"].median, results[key].median
    if base is None or r is None or results[key].error:
        return None
    return r / base


def _cell(results: dict[str, Result], key: str) -> str:
    r = results[key]
    if r.error:
        return f"**error**: {r.error.replace('|', '/')}"
    ratio = _ratio(results, key)
    return "n/a" if ratio is None else f"{ratio:.2f}"


def _reader(results: dict[str, Result], spec: LogSpec) -> str:
    info = results["read_raw"].info
    if spec.fmt == "csv":
        return "pyarrow csv"
    reader = info.get("reader", "?")
    return f"{reader} (fell back)" if info.get("note") else reader


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def markdown(rows: list[tuple[LogSpec, dict[str, Result]]], fmt: str, baseline_label: str) -> list[str]:
    columns = XES_COLUMNS if fmt == "xes" else CSV_COLUMNS
    head = ["log", "events", f"{baseline_label} s", columns[0][1], "reader used"]
    head += [c[1] for c in columns[1:]]
    align = ["---"] + ["---:"] * 3 + ["---"] + ["---:"] * (len(columns) - 1)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for spec, res in rows:
        base = res["baseline"]
        events = res["read_raw"].info.get("rows") or base.info.get("rows")
        cells = [
            f"`{spec.name}`",
            f"{events:,}" if events else "?",
            f"**error**: {base.error}" if base.error else f"{base.median:.3f}",
            _cell(res, columns[0][0]),
            _reader(res, spec),
        ] + [_cell(res, key) for key, _ in columns[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    means = ["**geometric mean**", "", ""]
    for i, (key, _) in enumerate(columns):
        g = geomean([r for _, res in rows if (r := _ratio(res, key)) is not None])
        means.append(f"**{g:.2f}**" if g else "n/a")
        if i == 0:
            means.append("")
    lines.append("| " + " | ".join(means) + " |")
    return lines


def memory_markdown(rows: list[tuple[LogSpec, dict[str, Result]]]) -> list[str]:
    keys = ["baseline", "read_raw", "read_raw_lxml", "load", "pm4py_rustxes", "pm4py_python"]
    lines = [
        "| log | " + " | ".join(keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for spec, res in rows:
        cells = []
        for k in keys:
            m = res[k].memory if k in res else {}
            if not m:
                cells.append("")
            elif m.get("error"):
                cells.append("error")
            else:
                cells.append(f"{m['peak_rss_mb']:.0f} (+{m['peak_rss_mb'] - m['after_import_mb']:.0f})")
        lines.append(f"| `{spec.name}` | " + " | ".join(cells) + " |")
    return lines


def _json_out() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    ignore = RESULTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Benchmark results are machine-specific: keep them out of git.\n*.json\n")
    stem = f"read_{dt.date.today().isoformat()}"
    out, n = RESULTS / f"{stem}.json", 2
    while out.exists():
        out, n = RESULTS / f"{stem}-{n}.json", n + 1
    return out


def _git_state() -> str:
    """The commit the code was at when this process started importing it, and whether it was modified."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return (
        f"{head} (modified: {' '.join(line.split()[-1] for line in dirty.splitlines())})" if dirty else head
    )


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    for pkg in ("pm4py", "pandas", "pyarrow", "lxml", "rustxes", "flowready"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="interleaved rounds per log (median used)")
    ap.add_argument("--only", help="only logs whose path (under ../shared/logs) contains this, any case")
    ap.add_argument("--quick", action="store_true", help="1 round on the 5 smallest logs (by file size)")
    ap.add_argument("--memory", action="store_true", help="also peak RSS per tool, one subprocess each")
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "PATH"), help=argparse.SUPPRESS)
    ap.add_argument("--dayfirst", choices=["True", "False"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        key, path = args.child[0], Path(args.child[1])
        fmt = "xes" if path.name.endswith(".xes.gz") else "csv"
        cols = _csv_columns(path) if fmt == "csv" else None
        dayfirst = None if args.dayfirst is None else args.dayfirst == "True"
        _memory_child(key, LogSpec(path, fmt, cols, dayfirst))
        return

    if not LOGS.is_dir():
        sys.exit(f"{LOGS} not found")
    repeats = 1 if args.quick else max(1, args.repeats)
    git = _git_state()
    _quiet_imports()
    specs, skipped = discover(args.only, args.quick)
    if not specs:
        sys.exit("no log matches")
    wall = time.perf_counter()
    print(f"warming up on the smallest logs; then {len(specs)} logs x {repeats} round(s)", file=sys.stderr)
    warm_up(specs)
    rows: list[tuple[LogSpec, dict[str, Result]]] = []
    for spec in specs:
        t = time.perf_counter()
        res = measure(spec, repeats)
        if args.memory:
            for key, mem in measure_memory(spec, list(res)).items():
                res[key].memory = mem
        rows.append((spec, res))
        summary = ", ".join(
            f"{k}={r.median:.2f}s" if r.median is not None else f"{k}=error" for k, r in res.items()
        )
        print(f"  {spec.name}: {summary} ({time.perf_counter() - t:.0f}s)", file=sys.stderr)

    variant = pm4py_default_xes_variant()
    from pm4py.util import constants

    out: list[str] = [
        f"# Reading benchmark: flowready vs pm4py ({dt.date.today().isoformat()}, {repeats} round(s), "
        f"median; ratio = flowready / baseline, below 1 = flowready faster)",
        "",
        f"flowready at git {git}.",
        "",
    ]
    for item in skipped:
        out.append(f"- skipped `{item['log']}`: {item['why']}")
    xes = [(s, r) for s, r in rows if s.fmt == "xes"]
    csv = [(s, r) for s, r in rows if s.fmt == "csv"]
    if xes:
        out += [
            "",
            f"## XES (baseline `pm4py.read_xes(path)`, which resolved to variant {variant!r} here; "
            f"pm4py-python = `variant={constants.DEFAULT_XES_PARSER!r}`)",
            "",
        ]
        out += markdown(xes, "xes", "pm4py.read_xes")
        notes = [(s, r["read_raw"].info["note"]) for s, r in xes if r["read_raw"].info.get("note")]
        if notes:
            out += ["", "read_raw(xes_reader='rustxes') fell back to lxml:"]
            out += [f"- `{s.name}`: {note}" for s, note in notes]
    if csv:
        out += ["", "## CSV (baseline `pandas.read_csv` + `pm4py.format_dataframe`)", ""]
        out += markdown(csv, "csv", "pandas+format_dataframe")
        out += ["", "Time columns (day/month check):"]
        out += [f"- `{s.name}` (`{s.columns[2]}`): {s.time_check}" for s, _ in csv]  # type: ignore[index]
    mismatches = [
        f"- `{s.name}`: baseline {r['baseline'].info.get('rows')} rows, "
        f"read_raw {r['read_raw'].info.get('rows')}"
        for s, r in rows
        if r["baseline"].info.get("rows") != r["read_raw"].info.get("rows") and not r["baseline"].error
    ]
    if mismatches:
        out += ["", "Row counts that differ between the baseline and read_raw:"] + mismatches
    if args.memory:
        out += ["", "## Peak RSS, MB (in brackets: above the process after imports), one subprocess each", ""]
        out += memory_markdown(rows)

    geo = {}
    for fmt, group, columns in (("xes", xes, XES_COLUMNS), ("csv", csv, CSV_COLUMNS)):
        geo[fmt] = {
            key: geomean([r for _, res in group if (r := _ratio(res, key)) is not None]) for key, _ in columns
        }
    path = _json_out()
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "repeats": repeats,
        "argv": sys.argv[1:],
        "git": git,
        "versions": _versions(),
        "pm4py_default_xes_variant": variant,
        "pm4py_python_xes_variant": constants.DEFAULT_XES_PARSER,
        "skipped": skipped,
        "geometric_mean_ratio": geo,
        "logs": [
            {
                "log": s.name,
                "format": s.fmt,
                "size_bytes": s.path.stat().st_size,
                "columns": s.columns,
                "dayfirst": s.dayfirst,
                "time_check": s.time_check,
                "tools": {
                    k: {
                        "times_s": [round(x, 4) for x in v.times],
                        "median_s": v.median,
                        "ratio": _ratio(r, k),
                        "error": v.error or None,
                        **v.info,
                        **({"memory": v.memory} if v.memory else {}),
                    }
                    for k, v in r.items()
                },
            }
            for s, r in rows
        ],
        "bench_wall_s": round(time.perf_counter() - wall, 1),
    }
    path.write_text(json.dumps(report, indent=2, default=str))
    out += ["", f"Wall time {report['bench_wall_s']:.0f} s. JSON: {path.relative_to(ROOT)}"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
