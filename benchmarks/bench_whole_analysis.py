"""Benchmark: the whole analysis of Road Traffic (561k events) against pm4py in the same run.

Run by hand (``make bench-whole``); not part of the test suite. Each measurement runs in a fresh subprocess
so that peak memory (max RSS) is per task. Figures are printed as absolute values and as ratios against
pm4py's own DFG + variants on the same log measured in the same run (machines are shared and noisy).

Targets (issue 2): the whole analysis within 2 minutes and 4 GB on a 2-core machine.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared" / "logs" / "Road_Traffic_Fine_Management_Process.csv.gz"

FLOWREADY = f"""
import time, tempfile
from pathlib import Path
from mapper import load_event_log
from analysis import analyze, export_report
from mapper.discovery import export_process_map
t0 = time.perf_counter()
log = load_event_log({str(LOG)!r})
t1 = time.perf_counter()
f = analyze(log)
t2 = time.perf_counter()
out = Path(tempfile.mkdtemp())
f.save(out / "findings.json"); f.blueprint.to_json(out / "blueprint.json")
f.blueprint.to_bpmn(out / "b.bpmn")
export_process_map(f.dfg, out / "map.svg"); export_report(f, out / "report.html")
t3 = time.perf_counter()
print({{"load_s": t1 - t0, "analyze_s": t2 - t1, "outputs_s": t3 - t2, "total_s": t3 - t0}})
"""

FLOWREADY_DISCOVERY = f"""
import time
from mapper import load_event_log
from mapper.discovery import discover_dfg, discover_variants
log = load_event_log({str(LOG)!r})
log.tables()
t0 = time.perf_counter()
discover_dfg(log); discover_variants(log)
print({{"dfg_variants_s": time.perf_counter() - t0}})
"""

PM4PY = f"""
import time
import pandas as pd
import pm4py
df = pd.read_csv({str(LOG)!r}, dtype={{"case:concept:name": str}})
df["time:timestamp"] = pd.to_datetime(df["time:timestamp"], utc=True)
df = pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                            timestamp_key="time:timestamp")
t0 = time.perf_counter()
pm4py.discover_dfg(df); pm4py.get_variants(df)
print({{"dfg_variants_s": time.perf_counter() - t0}})
"""


def _run(code: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = eval(proc.stdout.strip().splitlines()[-1])  # noqa: S307 - our own subprocess output
    result["peak_rss_mb"] = (peak_kb if peak_kb > before else before) / 1024
    return result


def main() -> None:
    if not LOG.exists():
        sys.exit(f"{LOG} not found")
    t = time.perf_counter()
    pm = _run(PM4PY)
    ours_disc = _run(FLOWREADY_DISCOVERY)
    ours = _run(FLOWREADY)
    report = {
        "log": LOG.name,
        "pm4py_dfg_variants_s": round(pm["dfg_variants_s"], 2),
        "flowready_dfg_variants_s": round(ours_disc["dfg_variants_s"], 2),
        "flowready_whole_analysis_s": round(ours["total_s"], 2),
        "flowready_load_s": round(ours["load_s"], 2),
        "flowready_analyze_s": round(ours["analyze_s"], 2),
        "flowready_outputs_s": round(ours["outputs_s"], 2),
        "flowready_peak_rss_mb": round(ours["peak_rss_mb"]),
        "ratio_dfg_variants_flowready_over_pm4py": round(
            ours_disc["dfg_variants_s"] / pm["dfg_variants_s"], 2
        ),
        "ratio_whole_analysis_over_pm4py_dfg_variants": round(ours["total_s"] / pm["dfg_variants_s"], 1),
        "targets_met": ours["total_s"] < 120 and ours["peak_rss_mb"] < 4096,
        "bench_wall_s": round(time.perf_counter() - t, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
