"""End to end on the real public logs in ../shared/logs: the command runs and the numbers are right.

Slow: deselect with ``-m "not slow"``. Counts agree with pm4py in tests/mapper/test_real_logs.py.
"""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from analysis.bpmn_xml import validate_bpmn_xml
from analysis.cli import app
from analysis.outputs import OUTPUTS
from tests.conftest import shared_log

pytestmark = pytest.mark.slow
runner = CliRunner()

CASES = {
    "Road_Traffic_Fine_Management_Process.csv.gz": dict(
        cases=150_370, events=561_470, activities=11, variants=231, start=False, roles=False
    ),
    "BPI_Challenge_2012.xes.gz": dict(
        cases=13_087, events=164_511, activities=23, variants=4_336, start=True, roles=False
    ),
    "BPIC_2017_W.csv.gz": dict(
        cases=30_276, events=240_854, activities=8, variants=6_356, start=True, roles=False
    ),
    "Sepsis Cases - Event Log.xes.gz": dict(
        cases=1_050, events=15_214, activities=16, variants=846, start=False, roles=True
    ),
}


@pytest.fixture(scope="module", params=list(CASES))
def run(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp("e2e")
    result = runner.invoke(app, ["analyze", str(shared_log(name)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return name, out, json.loads((out / "findings.json").read_text())


def test_counts(run):
    name, _, doc = run
    want = CASES[name]
    log = doc["log"]
    assert (log["cases"], log["events"], log["activities"], log["variants"]) == (
        want["cases"],
        want["events"],
        want["activities"],
        want["variants"],
    )
    dq = doc["data_quality"]
    assert dq["rows_read"] == dq["rows_kept"] + dq["rows_dropped"]


def test_findings_are_complete(run):
    name, out, doc = run
    want = CASES[name]
    assert doc["bottlenecks"] and doc["readiness"] and doc["verdict"]["reasons"] is not None
    shares = sum(b["share_of_waiting"] for b in doc["bottlenecks"])
    assert shares == pytest.approx(1.0)
    has_processing = any(b["processing_hours_median"] is not None for b in doc["bottlenecks"])
    assert has_processing == want["start"]
    levels = {h["level"] for h in doc["handoffs"]}
    # Logs naming resources but no teams get discovered roles (said so in log.roles_discovered).
    assert doc["log"]["roles_discovered"] == (not want["roles"] and doc["log"]["resources"] > 0)
    assert ("role" in levels) == (want["roles"] or doc["log"]["roles_discovered"])
    # Schema 1.3: why cases wait, who does the work, what fails, how sure the readiness is.
    causes = doc["waiting_causes"]
    assert causes["start_times"] == ("recorded" if want["start"] else "none")
    for b in doc["bottlenecks"]:
        parts = sum(b[f"{c}_hours"] for c in ("batching", "contention", "prioritisation", "unavailability"))
        parts += b["extraneous_hours"] + b["unknown_hours"]
        assert parts == pytest.approx(b["hours_lost_total"], rel=1e-6, abs=1e-6)
    assert doc["performers"]["performers"] and doc["handoff_failures"] is not None
    assert 0 <= doc["readiness_summary"]["fix_first_share"] <= 0.5  # never most of the steps
    assert all(0 <= r["stability"] <= 1 for r in doc["readiness"])
    assert doc["gate"]["conditions"] and doc["model_quality"]["cases"] == doc["log"]["cases"]
    summary = validate_bpmn_xml((out / "blueprint.bpmn").read_text())
    assert summary["shapes"] == summary["flow_nodes"] and summary["edges"] == summary["sequence_flows"]
    assert summary["executable"] and summary["boundary_events"] > 0
    assert (out / "report.html").stat().st_size > 100_000
    # Schema 1.4: the model's quality, the blueprint's impact, and every output of analysis.outputs.
    assert isinstance(doc["model_quality"]["trusted"], bool)
    impact = doc["impact"]
    assert impact["method"] in ("prosimos", "analytical") and impact["assumptions"]
    assert impact["method"] == "analytical" or len(impact["summary"]) == 6, impact["reason"]
    # human work freed is said only where it is measured (start times recorded)
    assert [h["metric"] for h in impact["headline"]] == [
        "waiting_hours_per_year",
        *(["workload_hours_per_year"] if want["start"] else []),
        "cycle_hours_median",
    ]
    for output in OUTPUTS:
        assert (out / output.name).stat().st_size > 0, output.name
    compile((out / "blueprint_dapr.py").read_text(), "blueprint_dapr.py", "exec")
    sw = yaml.safe_load((out / "blueprint.sw.yaml").read_text())
    assert sw["document"]["dsl"].startswith("1.0") and sw["do"]


def test_road_traffic_known_figures(run):
    name, _, doc = run
    if not name.startswith("Road_Traffic"):
        pytest.skip("Road Traffic only")
    assert doc["data_quality"]["details"]["tied_events"] == 21_308
    assert doc["data_quality"]["details"]["tied_cases"] == 9_166
    top = doc["bottlenecks"][0]
    # Fines wait about 16 months before they go to credit collection (dates only).
    assert top["activity"] == "Send for Credit Collection"
    assert top["waiting_hours_median"] == pytest.approx(11_688.0)


def test_bpi2012_lifecycle_pairing(run):
    name, _, doc = run
    if not name.startswith("BPI_Challenge_2012"):
        pytest.skip("BPI 2012 only")
    lc = doc["data_quality"]["details"]["lifecycle"]
    assert lc["paired"] == 71_371 and lc["unmatched_start"] == 5
    assert (lc["schedule_paired"], lc["schedule_unmatched"]) == (26_241, 77)
    assert doc["data_quality"]["reasons"] == {
        "lifecycle transition 'schedule' with no start or complete after it (the work does not appear "
        "in the log)": 77
    }
    assert doc["import_report"]["rows"]["dropped"] == 77
