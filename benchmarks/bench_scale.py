"""Scale benchmark (issue 13): Road Traffic replicated x1 ... x200, flowready against DuckDB and pm4py.

Run by hand (``make bench``, several minutes to hours); not part of the test suite. For each size the
log (561,470 events) is replicated with new case ids into a Parquet file in a cache folder outside the
repository (``--cache``, default ``~/.cache/flowready-bench``), written once, on demand. Then, each in a
fresh subprocess (peak memory = the max RSS of that subprocess, from ``os.wait4``):

``flowready``
    ``flowready analyze FILE --out DIR`` end to end with the default settings, with its split into
    loading, analysis (per progress step) and outputs.
``duckdb``
    Five hand-written DuckDB statistics on the same file, the reference: directly-follows counts,
    mean/median waiting per edge, variants, handovers of work (resource pairs of consecutive events),
    case durations.
``flowready-stats``
    The same statistics through flowready's API on a loaded log: ``discover_dfg`` (counts and times
    per edge), ``discover_variants``, ``handover_network``, case durations.
``pm4py``
    The same statistics with pm4py: Parquet read with pandas, ``discover_dfg``,
    ``discover_performance_dfg``, ``get_variants``, ``discover_handover_of_work_network``,
    ``get_all_case_durations``.

Each measurement is appended to the results file (``--results``, default
``benchmarks/results/scale.json``) as soon as it finishes; a measurement already there for the same code
version (the commit, ``-dirty`` when ``mapper/``, ``analysis/`` or ``pyproject.toml`` differ from it) is
not run again, so an interrupted run resumes (``--redo`` measures again). A task is not run at a size
where the slope of the smaller sizes says it would need more memory than is available or more time than
``--timeout`` (``--no-estimate`` runs it anyway); a running task is stopped at ``--timeout``, when its
processes hold more than ``--max-gb``, or when the machine has less than 0.5 GB free. ``--report`` only
regenerates ``docs/scale.md`` and its chart ``docs/img/scale.svg`` from the results file (a run ends with
it too).

Examples::

    python benchmarks/bench_scale.py --sizes 1,10 --tasks duckdb,pm4py
    python benchmarks/bench_scale.py --sizes 200 --tasks flowready,duckdb --timeout 7200
    python benchmarks/bench_scale.py --report
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared" / "logs" / "Road_Traffic_Fine_Management_Process.csv.gz"
BASE_EVENTS = 561_470
TASKS = ("duckdb", "flowready-stats", "pm4py", "flowready")
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
PAGE = ROOT / "docs" / "scale.md"
CHART = ROOT / "docs" / "img" / "scale.svg"
CASE, ACT, RES, TS = "case:concept:name", "concept:name", "org:resource", "time:timestamp"
TASK_LABELS = {
    "flowready": "flowready analyze (end to end)",
    "duckdb": "DuckDB, 5 hand-written statistics",
    "flowready-stats": "flowready API, the same statistics",
    "pm4py": "pm4py, the same statistics",
}


# --- the log at each size -------------------------------------------------------------------------------


def generate(k: int, cache: Path) -> Path:
    """Road Traffic replicated ``k`` times with new case ids (``<id>_<i>`` for copy i > 0), as Parquet.

    Column types are DuckDB's reading of the CSV (the timestamp a DATE, the case id text); each copy keeps
    the file's row order (file position breaks timestamp ties when events are ordered), copy after copy.
    Copies are streamed one at a time (memory stays that of one copy, whatever ``k``), to a temporary
    name renamed at the end, so an interrupted generation is never taken as done.
    """
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = cache / f"rtf_x{k}.parquet"
    if out.exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    print(f"[gen] writing {out} ({k * BASE_EVENTS:,} events)", flush=True)
    t = time.perf_counter()
    tmp = out.with_suffix(".parquet.tmp")
    base = duckdb.connect().sql(f"select * from read_csv_auto('{LOG}')").to_arrow_table()
    col = base.schema.get_field_index(CASE)
    with pq.ParquetWriter(tmp, base.schema) as writer:
        for i in range(k):
            ids = pc.binary_join_element_wise(base[CASE], pa.scalar(f"_{i}"), "") if i else base[CASE]
            writer.write_table(base.set_column(col, CASE, ids))
    tmp.rename(out)
    print(f"[gen] done in {time.perf_counter() - t:.1f} s", flush=True)
    return out


# --- the workers (each runs in its own subprocess: python bench_scale.py --worker TASK FILE OUT) ----------


def _timed(times: dict, name: str, fn, *args, **kwargs):
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    times[name] = time.perf_counter() - t
    return result


def worker_duckdb(path: str) -> dict:
    """The five statistics as plain SQL; events ordered per case by time, then file position."""
    import duckdb
    import pandas  # noqa: F401 - imported before the clock starts, as in the other workers

    con = duckdb.connect()
    times: dict = {}
    q = con.execute
    _timed(
        times,
        "load",
        q,
        f"""create temp table ev as select "{CASE}" as c, "{ACT}" as a, "{RES}" as r,
            cast("{TS}" as timestamp) as t, file_row_number as p
            from read_parquet('{path}', file_row_number = true)""",
    )
    _timed(
        times,
        "order",
        q,
        """create temp table o as select a, r, t, lead(a) over w as na, lead(r) over w as nr,
            lead(t) over w as nt from ev window w as (partition by c order by t, p)""",
    )
    dfg = _timed(
        times, "dfg", lambda: q("select a, na, count(*) n from o where na is not null group by all").df()
    )
    _timed(
        times,
        "performance_dfg",
        lambda: q(
            """select a, na, avg(epoch(nt) - epoch(t)) mean_s, median(epoch(nt) - epoch(t)) median_s
            from o where na is not null group by all"""
        ).df(),
    )
    variants = _timed(
        times,
        "variants",
        lambda: q(
            """select v, count(*) n from (select c, string_agg(a, '|' order by t, p) v from ev group by c)
            group by v"""
        ).df(),
    )
    handovers = _timed(
        times,
        "handovers",
        lambda: q("select r, nr, count(*) n from o where r is not null and nr is not null group by all").df(),
    )
    durations = _timed(
        times,
        "case_durations",
        lambda: q("select c, epoch(max(t)) - epoch(min(t)) s from ev group by c").fetchnumpy()["s"],
    )
    return {
        "times": times,
        "check": {
            "dfg_edges": len(dfg),
            "dfg_total": int(dfg["n"].sum()),
            "variants": len(variants),
            "handover_pairs": int((handovers["r"] != handovers["nr"]).sum()),
            "cases": len(durations),
        },
    }


def worker_pm4py(path: str) -> dict:
    """pm4py's statistics on a pandas frame read from the Parquet file (the four columns they need)."""
    import pandas as pd
    import pm4py

    times: dict = {}

    def load():
        df = pd.read_parquet(path, columns=[CASE, ACT, RES, TS])
        df[TS] = pd.to_datetime(df[TS], utc=True)
        return pm4py.format_dataframe(df, case_id=CASE, activity_key=ACT, timestamp_key=TS)

    df = _timed(times, "load", load)
    dfg, _, _ = _timed(times, "dfg", pm4py.discover_dfg, df)
    _timed(times, "performance_dfg", pm4py.discover_performance_dfg, df)
    variants = _timed(times, "variants", pm4py.get_variants, df)
    hw = _timed(times, "handovers", pm4py.discover_handover_of_work_network, df, beta=0)
    durations = _timed(times, "case_durations", pm4py.get_all_case_durations, df)
    pairs = getattr(hw, "connections", None) or {}
    return {
        "times": times,
        "check": {
            "dfg_edges": len(dfg),
            "dfg_total": int(sum(dfg.values())),
            "variants": len(variants),
            "handover_pairs": sum(1 for a, b in pairs if a != b),
            "cases": len(durations),
        },
    }


def worker_flowready_stats(path: str) -> dict:
    """The same statistics through flowready's API on a loaded log."""
    from analysis.handoffs import handover_network
    from analysis.queries.performance import case_cycle_hours
    from mapper.discovery import discover_dfg, discover_variants
    from mapper.engine import execute
    from mapper.load import load_event_log

    times: dict = {}
    log = _timed(times, "load", load_event_log, path)
    _timed(times, "engine_tables", log.tables)
    dfg = _timed(times, "dfg_and_performance_dfg", discover_dfg, log)
    variants = _timed(times, "variants", discover_variants, log)
    hw = _timed(times, "handovers", handover_network, log)
    durations = _timed(times, "case_durations", lambda: execute(case_cycle_hours(log.tables().ordered)))
    return {
        "times": times,
        "check": {
            "dfg_edges": len(dfg.edges),
            "dfg_total": int(dfg.edges["frequency"].sum()),
            "variants": len(variants),
            "handover_pairs": len(hw.pairs),
            "cases": len(durations),
        },
    }


def worker_flowready(path: str) -> dict:
    """``flowready analyze FILE --out DIR`` through the CLI, timing its load, analysis steps and outputs."""
    import analysis.findings
    import analysis.outputs
    import mapper.load
    from analysis.cli import app

    times: dict = {}
    steps: dict = {}
    # The CLI imports these at call time from their modules: wrapping the module attributes times them.
    load, run, export = mapper.load.load_event_log, analysis.findings.analyze, analysis.outputs.export_all

    def timed_run(*args, progress=None, **kwargs):
        last = [None, time.perf_counter()]

        def step(name: str) -> None:
            now = time.perf_counter()
            if last[0] is not None:
                steps[last[0]] = steps.get(last[0], 0.0) + now - last[1]
            last[:] = [name, now]
            if progress is not None:
                progress(name)

        result = _timed(times, "analyze", run, *args, progress=step, **kwargs)
        step(None)
        return result

    mapper.load.load_event_log = lambda *a, **k: _timed(times, "load", load, *a, **k)
    analysis.findings.analyze = timed_run
    analysis.outputs.export_all = lambda *a, **k: _timed(times, "outputs", export, *a, **k)
    out = tempfile.mkdtemp(prefix="flowready-bench-")
    t = time.perf_counter()
    try:  # without standalone mode, click returns the exit code of a typer.Exit
        code = app(["analyze", path, "--out", out], standalone_mode=False) or 0
    except SystemExit as e:
        code = e.code or 0
    times["total"] = time.perf_counter() - t
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    result = {"times": times, "steps": steps}
    # A failed run still tells how far it got and how long that took.
    return result | ({"error": f"flowready analyze exited with {code}"} if code else {})


WORKERS = {
    "duckdb": worker_duckdb,
    "pm4py": worker_pm4py,
    "flowready-stats": worker_flowready_stats,
    "flowready": worker_flowready,
}


def _worker_main(task: str, path: str, out: str) -> None:
    sys.path.insert(0, str(ROOT))  # this worktree's code, not an installed flowready
    os.chdir(ROOT)
    t = time.perf_counter()
    result = WORKERS[task](path)
    result["wall_s"] = time.perf_counter() - t
    Path(out).write_text(json.dumps(result))


# --- running one measurement ------------------------------------------------------------------------------


def _tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants (Linux /proc), 0 when gone."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def measure(
    task: str, path: Path, *, timeout: float, max_bytes: int, log_dir: Path, min_free: int = 2**29
) -> dict:
    """Run one worker in a fresh subprocess: its result, wall time, peak RSS, and how it ended."""
    out = log_dir / f"{task}-{path.stem}.json"
    err_path = log_dir / f"{task}-{path.stem}.log"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", task, str(path), str(out)]
    t0 = time.perf_counter()
    with open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=err, stderr=err, start_new_session=True)
    status, why, seen, beat = "ok", None, 0, t0
    while True:
        pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        now = time.perf_counter()
        rss = _tree_rss_bytes(proc.pid)
        seen = max(seen, rss)
        if now - beat >= 30:
            print(f"    ... {task} {path.stem}: {now - t0:.0f} s, {rss / 2**30:.1f} GB", flush=True)
            beat = now
        if status == "ok" and now - t0 > timeout:
            status, why = "timeout", f"stopped after {timeout:.0f} s (--timeout)"
        elif status == "ok" and rss > max_bytes:
            status, why = "memory", f"stopped at {rss / 2**30:.1f} GB (--max-gb)"
        elif status == "ok" and rss and available_bytes() < min_free:
            # Other work shares the machine: stop before the kernel's OOM killer picks a process.
            status, why = "memory", f"stopped at {rss / 2**30:.1f} GB: the machine ran out of free memory"
        if status != "ok":
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.25)
    proc.returncode = code  # reaped by wait4
    wall = time.perf_counter() - t0
    record = {
        "task": task,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(max(usage.ru_maxrss * 1024, seen) / 2**20),
        # CPU seconds of the whole process (start-up and imports included): less sensitive than wall time
        # to other work on a shared machine.
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "load_avg_5min": round(os.getloadavg()[1], 1),  # how busy the shared machine was
        "status": status,
    }
    result = json.loads(out.read_text()) if out.exists() else {}
    if status == "ok" and (code != 0 or not result or "error" in result):
        lines = err_path.read_text(errors="replace").strip().splitlines() or [f"exit code {code}"]
        errors = [line.strip() for line in lines if "Error" in line or "error" in line]
        record["status"], why = "error", (errors[-1] if errors else " | ".join(lines[-3:]))[-400:]
    if why:
        record["reason"] = why
    if result:  # a failed flowready run keeps the times of the steps it finished
        record["times"] = {k: round(v, 3) for k, v in result["times"].items()}
        record["time_s"] = round(result["times"].get("total", sum(result["times"].values())), 2)
        if "steps" in result:
            record["steps"] = {k: round(v, 2) for k, v in result["steps"].items() if k}
        if "check" in result:
            record["check"] = result["check"]
    return record


# --- results file ---------------------------------------------------------------------------------------


def code_version() -> str:
    """The commit measured, ``-dirty`` when the library code differs from it.

    Only changes to the library (``mapper/``, ``analysis/``, ``pyproject.toml``) change what is measured;
    others (this script, the page it writes, tests) leave the version alone, so an interrupted run
    resumes.
    """
    try:

        def git(*args: str) -> str:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

        head = git("describe", "--always").strip()
        dirty = git(
            "status", "--porcelain", "--untracked-files=no", "--", "mapper", "analysis", "pyproject.toml"
        )
        return head + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict:
    mem = {
        line.split(":")[0]: int(line.split()[1]) * 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
    }
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = {}
    for name in ("duckdb", "pandas", "pm4py", "ibis"):
        try:
            from importlib.metadata import version

            versions[name] = version("ibis-framework" if name == "ibis" else name)
        except Exception:  # noqa: BLE001 - a missing package has no version
            versions[name] = None
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "ram_gb": round(mem["MemTotal"] / 2**30, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        **versions,
    }


def available_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def load_results(path: Path) -> list[dict]:
    return json.loads(path.read_text())["records"] if path.exists() else []


def save_results(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"records": records}, indent=1))
    tmp.replace(path)


def _fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares of log(y) on log(x): (exponent, log intercept), or None with fewer than 2 sizes."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    mx, my = sum(x for x, _ in pts) / len(pts), sum(y for _, y in pts) / len(pts)
    b = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    return b, my - b * mx


def _linear(points: list[tuple[float, float]], x: float, base: float = 0.0) -> float:
    """Linear extrapolation through the two largest points (with one, through ``(0, base)``)."""
    pts = sorted(points)[-2:]
    if len(pts) == 1:
        return base + (pts[0][1] - base) * x / pts[0][0]
    (x1, y1), (x2, y2) = pts
    return max(y2, y1 + (y2 - y1) / (x2 - x1) * (x - x1))


def engine_cap_bytes() -> float | None:
    """The memory limit of flowready's DuckDB connections in bytes (``None`` when it cannot be read)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from mapper.backends import duckdb_config

    limit = duckdb_config().get("memory_limit")
    found = re.fullmatch(r"([\d.]+)\s*([KMGT]I?B)", limit or "", flags=re.IGNORECASE)
    if not found:
        return None
    unit = found.group(2).upper()  # DuckDB reads KB, MB, GB as powers of 1000, KiB, MiB, GiB of 1024
    return float(found.group(1)) * (1024 if "I" in unit else 1000) ** ("KMGT".index(unit[0]) + 1)


def not_run_reason(task: str, events: int, done: list[dict], timeout: float, max_bytes: int) -> str | None:
    """Why ``task`` should not run at ``events``, from its measurements at smaller sizes (None: run it)."""
    smaller = [r for r in done if r["task"] == task and r["events"] < events]
    for r in smaller:
        if r["status"] in ("timeout", "memory"):
            return f"not run: x{r['size']} was stopped ({r.get('reason', r['status'])})"
    ok = [r for r in smaller if r["status"] == "ok"]
    if not ok:
        return None
    limit = min(max_bytes, available_bytes())
    # A Python process with its imports holds ~0.3 GB whatever the log: only the rest grows with it.
    peaks = [(r["events"], r["peak_rss_mb"] * 2**20) for r in ok]
    need = _linear(peaks, events, base=0.3 * 2**30)
    cap = engine_cap_bytes() if task.startswith("flowready") else None
    if cap is not None:
        # flowready's engine stops at its memory limit and spills beyond it: only what lies outside the
        # engine keeps growing with the log (seen: 2.5, 6.8, 7.3 GB at x1, x10, x50 with a 6 GB limit).
        outside = [(x, max(0.0, y - cap)) for x, y in peaks]
        need = min(need, cap + _linear(outside, events, base=0.3 * 2**30))
    if need > limit:
        free = limit / 2**30
        return f"not run: would need ~{need / 2**30:.0f} GB (slope of the smaller sizes; {free:.0f} GB free)"
    took = _linear([(r["events"], r["wall_s"]) for r in ok], events)
    if took > timeout:
        return (
            f"not run: would take ~{took / 60:.0f} min (slope of the smaller sizes; --timeout {timeout:.0f})"
        )
    return None


# --- the report -----------------------------------------------------------------------------------------


def _latest(records: list[dict], version: str | None) -> tuple[str | None, dict]:
    """The records of one code version (the newest by default): the last one per (size, task)."""
    if not records:
        return None, {}
    version = version or records[-1]["version"]
    keep = {}
    for r in records:
        if r["version"] == version:
            keep[(r["size"], r["task"])] = r
    return version, keep


def _fmt_s(x: float | None) -> str:
    return "" if x is None else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _load_note(rows: dict, nproc: int) -> str:
    """How busy the machine was during the run, from the load averages of its measurements."""
    loads = [r["load_avg_5min"] for r in rows.values() if r.get("load_avg_5min") is not None]
    if not loads:
        return ""
    return f" (the 5-minute load average went from {min(loads)} to {max(loads)} on {nproc} cores)"


def _fmt_gb(mb: float) -> str:
    return f"{mb / 1024:.1f}" if mb else ""


def _ratio(a: dict | None, b: dict | None, key_a: str = "time_s", key_b: str = "time_s") -> str:
    if not a or not b or a["status"] != "ok" or b["status"] != "ok":
        return "–"
    va = a[key_a] if key_a in a else a["times"].get(key_a)
    vb = b[key_b] if key_b in b else b["times"].get(key_b)
    return f"{va / vb:.1f}" if va and vb else "–"


def _stats_s(r: dict | None, *, leave_out: tuple[str, ...] = ()) -> float | None:
    """Seconds of the statistics alone (loading and, for flowready, building the engine tables left out)."""
    if not r or r["status"] != "ok":
        return None
    skip = ("load", "engine_tables", "order", "total", *leave_out)
    return sum(v for k, v in r["times"].items() if k not in skip)


def chart(rows: dict, path: Path) -> str:
    """Time against events, log-log, one line per task: matplotlib when installed, else plain SVG."""
    series = {}
    for (_, task), r in sorted(rows.items()):
        if r["status"] == "ok":
            series.setdefault(task, []).append((r["events"], r["time_s"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        path.write_text(_svg_chart(series))
        return "hand-written SVG"
    matplotlib.rcParams["svg.hashsalt"] = "flowready"  # stable ids: the file changes only with the data
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for task, pts in series.items():
        ax.plot(*zip(*pts, strict=True), marker="o", label=TASK_LABELS[task])
    ax.set(xscale="log", yscale="log", xlabel="events", ylabel="seconds (wall)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Road Traffic replicated: time against events")
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return "matplotlib"


def _svg_chart(series: dict) -> str:
    """A minimal log-log line chart as SVG text (no dependency)."""
    w, h, m = 640, 400, 60
    pts = [p for s in series.values() for p in s] or [(1, 1), (10, 10)]
    lx = [math.log10(x) for x, _ in pts]
    ly = [math.log10(y) for _, y in pts]
    x0, x1 = math.floor(min(lx)), math.ceil(max(lx)) + (min(lx) == max(lx))
    y0, y1 = math.floor(min(ly)), math.ceil(max(ly)) + (min(ly) == max(ly))

    def sx(x):
        return m + (math.log10(x) - x0) / (x1 - x0) * (w - 2 * m)

    def sy(y):
        return h - m - (math.log10(y) - y0) / (y1 - y0) * (h - 2 * m)

    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif">']
    out.append(f'<rect width="{w}" height="{h}" fill="white"/>')
    for e in range(x0, x1 + 1):
        x = sx(10**e)
        out.append(f'<line x1="{x}" y1="{m}" x2="{x}" y2="{h - m}" stroke="#ddd"/>')
        out.append(f'<text x="{x}" y="{h - m + 18}" font-size="11" text-anchor="middle">1e{e}</text>')
    for e in range(y0, y1 + 1):
        y = sy(10**e)
        out.append(f'<line x1="{m}" y1="{y}" x2="{w - m}" y2="{y}" stroke="#ddd"/>')
        out.append(f'<text x="{m - 6}" y="{y + 4}" font-size="11" text-anchor="end">1e{e}</text>')
    out.append(f'<text x="{w / 2}" y="{h - 15}" font-size="12" text-anchor="middle">events</text>')
    out.append(f'<text x="15" y="{h / 2}" font-size="12" transform="rotate(-90 15 {h / 2})">seconds</text>')
    for i, (task, s) in enumerate(series.items()):
        c = colours[i % len(colours)]
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
        out.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="2"/>')
        out += [f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{c}"/>' for x, y in s]
        out.append(
            f'<text x="{m + 10}" y="{m - 30 + 14 * i}" font-size="11" fill="{c}">{TASK_LABELS[task]}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def report(results: Path, *, version: str | None = None, page: Path = PAGE, chart_path: Path = CHART) -> str:
    """Write the results page (Markdown) and its chart from the results file; return the page's text."""
    records = load_results(results)
    version, rows = _latest(records, version)
    if not rows:
        raise SystemExit(f"No measurements in {results}: run the benchmark first.")
    sizes = sorted({s for s, _ in rows})
    tasks = [t for t in TASKS if any(t == task for _, task in rows)]
    mach = next(iter(rows.values()))["machine"]
    how = chart(rows, chart_path)
    when = max(r["when"] for r in rows.values())[:16].replace("T", " ")

    lines = [
        "# Scale: Road Traffic from 0.56 to 112 million events",
        "",
        "<!-- Generated by `python benchmarks/bench_scale.py --report` from its results file:",
        "     edit the script, not this page. -->",
        "",
        "How flowready's time and memory grow with the size of the log, against the same statistics",
        "written by hand in DuckDB (the reference) and computed by pm4py. The log is the",
        f"*Road Traffic Fine Management* log ({BASE_EVENTS:,} events, 150,370 cases) replicated x1, x10,",
        "x50 and x200 with new case ids, as Parquet (the timestamp a DATE, the case id text).",
        "",
        "## What is measured",
        "",
        "Each task runs in a fresh process; *peak* is the largest resident memory of that process (and of",
        "any process it started). Times are wall-clock seconds measured inside the process; *CPU s* is the",
        "user + system time of the whole process (start-up and imports included), less disturbed by other",
        "work on a shared machine; *load* is the machine's 5-minute load average when the task ended",
        f"(above {mach['nproc']}, other work was competing for the cores).",
        "",
        "- **flowready analyze**: `flowready analyze FILE --out DIR` with the default settings, end to end",
        "  (reading, analysis, every output).",
        "- **DuckDB**: five statistics written by hand in SQL on the same file: directly-follows counts,",
        "  mean and median waiting per edge, variants with their counts, handovers of work (resource pairs",
        "  of consecutive events), case durations. Events are ordered per case by time, then file position.",
        "- **flowready API**: the same statistics through flowready on a loaded log: `discover_dfg` (counts",
        "  and median/p90 time per edge), `discover_variants`, `handover_network`, case durations.",
        "- **pm4py**: the same statistics with pm4py on a pandas frame read from the Parquet file:",
        "  `discover_dfg`, `discover_performance_dfg`, `get_variants`, `discover_handover_of_work_network`",
        "  (`beta=0`), `get_all_case_durations`.",
        "",
        "*Statistics* below is the time of the five statistics alone: without reading the file (and, for",
        "flowready, without building its engine tables; for DuckDB, without ordering the events), as pm4py's",
        "timing starts from a formatted frame in memory.",
        "",
        "## Machine and run",
        "",
        f"{mach['nproc']} cores ({mach['cpu']}), {mach['ram_gb']} GB RAM, Python {mach['python']}, "
        f"DuckDB {mach['duckdb']}, Ibis {mach['ibis']}, pandas {mach['pandas']}, pm4py {mach['pm4py']}; "
        f"code `{version}`, measured {when} UTC. The machine is shared, so absolute seconds are noisy: the",
        "ratios compare tasks measured in the same run" + _load_note(rows, mach["nproc"]) + ".",
        "",
        "## Time and peak memory",
        "",
        "| size | events | task | status | total s | statistics s | CPU s | peak GB | load |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        for t in tasks:
            r = rows.get((s, t))
            if r is None:
                continue
            ok = r["status"] == "ok"
            status = "ok" if ok else r.get("reason", r["status"]).replace("|", "/")
            stats = _stats_s(r) if t != "flowready" else None
            lines.append(
                f"| x{s} | {r['events']:,} | {TASK_LABELS[t]} | {status} | "
                f"{_fmt_s(r.get('time_s'))} | {_fmt_s(stats)} | {_fmt_s(r.get('cpu_s'))} | "
                f"{_fmt_gb(r['peak_rss_mb'])} | {r.get('load_avg_5min', '')} |"
            )
    lines += [
        "",
        "## Ratios (same run)",
        "",
        "| size | flowready analyze / DuckDB (total) | (CPU) | pm4py / flowready API (statistics) | "
        "(without handovers) | pm4py / flowready API (total) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        fr, db, fs, pm = (rows.get((s, t)) for t in ("flowready", "duckdb", "flowready-stats", "pm4py"))
        a, b = _stats_s(pm), _stats_s(fs)
        c, d = _stats_s(pm, leave_out=("handovers",)), _stats_s(fs, leave_out=("handovers",))
        lines.append(
            f"| x{s} | {_ratio(fr, db)} | {_ratio(fr, db, 'cpu_s', 'cpu_s')} | "
            f"{f'{a / b:.1f}' if a and b else '–'} | {f'{c / d:.1f}' if c and d else '–'} | "
            f"{_ratio(pm, fs)} |"
        )
    lines += [
        "",
        "Targets (issue 13): flowready analyze within 3x DuckDB at x1 and x10; event-level statistics at",
        "least 5x faster than pm4py's (*pm4py / flowready API (statistics)* at least 5); at x200, within",
        "12 GB and time linear in events.",
        "",
        "## Growth",
        "",
        "![Time against events, log-log](img/scale.svg)",
        "",
        "The exponent is the slope of a least-squares line through log(time) against log(events) over the",
        "sizes measured: 1 is linear.",
        "",
        "| task | sizes | exponent (time) | exponent (peak memory) |",
        "|---|---|---:|---:|",
    ]
    for t in tasks:
        ok = [r for (_, task), r in sorted(rows.items()) if task == t and r["status"] == "ok"]
        ft = _fit([(r["events"], r["time_s"]) for r in ok])
        fm = _fit([(r["events"], r["peak_rss_mb"]) for r in ok])
        lines.append(
            f"| {TASK_LABELS[t]} | {', '.join('x' + str(r['size']) for r in ok) or '–'} | "
            f"{f'{ft[0]:.2f}' if ft else '–'} | {f'{fm[0]:.2f}' if fm else '–'} |"
        )
    fr_steps = [
        (s, rows[(s, "flowready")]) for s in sizes if rows.get((s, "flowready"), {}).get("status") == "ok"
    ]
    if fr_steps:
        lines += [
            "",
            "## Where flowready analyze spends its time",
            "",
            "| size | load s | analyze s | outputs s | slowest analysis steps (s) |",
            "|---|---:|---:|---:|---|",
        ]
        for s, r in fr_steps:
            top = sorted(r.get("steps", {}).items(), key=lambda kv: -kv[1])[:5]
            lines.append(
                f"| x{s} | {_fmt_s(r['times'].get('load'))} | {_fmt_s(r['times'].get('analyze'))} | "
                f"{_fmt_s(r['times'].get('outputs'))} | "
                + "; ".join(f"{k.replace('|', '/')} {v:.1f}" for k, v in top)
                + " |"
            )
    checks = [
        (s, t, r["check"]) for (s, t), r in sorted(rows.items()) if r["status"] == "ok" and "check" in r
    ]
    if checks:
        lines += [
            "",
            "## Same answers",
            "",
            "Counts each tool returned, as a check that they computed the same statistics (handover pairs:",
            "ordered pairs of different resources). pm4py takes an event without a resource (NaN) for a",
            "performer, each NaN a different one, so its handover pairs differ wherever resources are",
            "missing (73 % of Road Traffic's events): its handover time is for that larger network.",
            "",
            "| size | task | DFG edges | DFG total | variants | handover pairs | cases |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for s, t, c in checks:
            lines.append(
                f"| x{s} | {TASK_LABELS[t]} | {c['dfg_edges']:,} | {c['dfg_total']:,} | {c['variants']:,} | "
                f"{c['handover_pairs']:,} | {c['cases']:,} |"
            )
    lines += [
        "",
        "## Re-running",
        "",
        "```bash",
        "make bench                      # every size and task; hours at x200",
        "python benchmarks/bench_scale.py --sizes 1,10 --tasks duckdb,flowready --timeout 1800",
        "python benchmarks/bench_scale.py --report   # this page and its chart from the results file",
        "```",
        "",
        "The replicated logs are written once into `~/.cache/flowready-bench` (`--cache`); the results go to",
        "`benchmarks/results/scale.json` (`--results`, not committed), one record per measurement as soon as",
        "it ends, so an interrupted run resumes where it stopped (`--redo` measures again). A task is not",
        "run at a size where its smaller sizes extrapolate to more memory than is free or more time than",
        "`--timeout` (`--no-estimate` runs it anyway), and is stopped at `--timeout`, at `--max-gb` or when",
        "the machine has less than 0.5 GB free. The chart is drawn with " + how + ".",
        "",
    ]
    text = "\n".join(lines)
    page.write_text(text)
    return text


# --- main -----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,10,50,200", help="replication factors, e.g. 1,10")
    p.add_argument("--tasks", default=",".join(TASKS), help=f"any of {','.join(TASKS)}")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "flowready-bench")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    p.add_argument("--timeout", type=float, default=3600, help="seconds per measurement (default 3600)")
    p.add_argument("--max-gb", type=float, default=None, help="stop a task above this (default 90%% of RAM)")
    p.add_argument("--redo", action="store_true", help="measure again what the results file already has")
    p.add_argument(
        "--no-estimate",
        action="store_true",
        help="run even where the smaller sizes extrapolate past free memory or --timeout (the guards stay)",
    )
    p.add_argument("--report", action="store_true", help="only regenerate docs/scale.md and its chart")
    p.add_argument("--version", default=None, help="with --report: the code version to report")
    p.add_argument("--worker", nargs=3, metavar=("TASK", "FILE", "OUT"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        _worker_main(*a.worker)
        return
    if a.report:
        report(a.results, version=a.version)
        print(f"wrote {PAGE.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")
        return
    if not LOG.exists():
        sys.exit(f"{LOG} not found")
    sizes = sorted(int(s) for s in a.sizes.split(","))
    tasks = [t.strip() for t in a.tasks.split(",")]
    unknown = set(tasks) - set(TASKS)
    if unknown:
        sys.exit(f"--tasks: unknown {sorted(unknown)}; choose from {', '.join(TASKS)}")
    mach = machine()
    max_bytes = int((a.max_gb or 0.9 * mach["ram_gb"]) * 2**30)
    version = code_version()
    records = load_results(a.results)
    log_dir = a.cache / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"code {version}; results {a.results}; cache {a.cache}", flush=True)
    for k in sizes:
        path = generate(k, a.cache)
        for task in [t for t in TASKS if t in tasks]:
            mine = [r for r in records if r["version"] == version]
            # A "not run" is decided again (free memory changes); a measurement is kept.
            if not a.redo and any(
                r["size"] == k and r["task"] == task and r["status"] != "not run" for r in mine
            ):
                print(f"[x{k}] {task}: already measured, skipped (--redo to measure again)", flush=True)
                continue
            events = k * BASE_EVENTS
            why = None if a.no_estimate else not_run_reason(task, events, mine, a.timeout, max_bytes)
            base = {"version": version, "size": k, "events": events, "task": task}
            if why:
                rec = {**base, "status": "not run", "reason": why, "wall_s": None, "peak_rss_mb": 0}
            else:
                print(f"[x{k}] {task}: running ({events:,} events)", flush=True)
                rec = {**base, **measure(task, path, timeout=a.timeout, max_bytes=max_bytes, log_dir=log_dir)}
            rec.setdefault("time_s", None)
            rec.update(when=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), machine=mach)
            records.append(rec)
            save_results(a.results, records)
            print(
                f"[x{k}] {task}: {rec['status']}"
                + (
                    f", {rec['time_s']} s, {rec['peak_rss_mb'] / 1024:.1f} GB"
                    if rec["status"] == "ok"
                    else ""
                )
                + (f" ({rec['reason']})" if rec.get("reason") else ""),
                flush=True,
            )
    report(a.results, version=version)
    print(f"wrote {PAGE.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
