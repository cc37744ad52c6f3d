"""The flowready command: outputs, summary, and clear errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from analysis.bpmn_xml import validate_bpmn_xml
from analysis.cli import app
from tests.conftest import SAMPLE

OUTPUTS = [
    "report.html",
    "findings.json",
    "blueprint.json",
    "blueprint.bpmn",
    "process_map.svg",
    "data_quality.json",
]
runner = CliRunner()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(out)])
    return result, out


def test_writes_every_output(sample_run):
    result, out = sample_run
    assert result.exit_code == 0, result.output
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0, name
    assert "Verdict" in result.stdout and "report.html" in result.stdout


def test_outputs_agree(sample_run, sample_findings):
    _, out = sample_run
    findings = json.loads((out / "findings.json").read_text())
    quality = json.loads((out / "data_quality.json").read_text())
    assert findings["data_quality"] == quality
    assert findings["log"]["cases"] == sample_findings.summary["cases"]
    assert (
        findings["bottlenecks"][0]["activity"] == sample_findings.bottlenecks.activities["activity"].iloc[0]
    )
    validate_bpmn_xml((out / "blueprint.bpmn").read_text())


@pytest.mark.parametrize(
    "content, name, message",
    [
        ("", "empty.csv", "empty"),
        ("case_id,activity,end_time\n1,A,2024-01-01\n2,B,not a date\n", "bad.csv", "not a date"),
        ("case,step\n1,A\n", "nocols.csv", "timestamp"),
        ("<log><trace><event>", "cut.xes", "not well-formed"),
        ("case_id,activity,end_time\n1,A,2024-01-01\n", "wrong.xes", "not XML"),
        ("PAR1 but not really", "fake.parquet", "cannot be read"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_text(content)
    result = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.stderr
    assert name in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_ambiguous_dates_refused_until_dayfirst(tmp_path):
    path = tmp_path / "uk.csv"
    path.write_text("case_id,activity,end_time\n1,A,01/02/2024 10:00\n1,B,03/02/2024 11:00\n")
    refused = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "a")])
    assert refused.exit_code == 2 and "--dayfirst" in refused.stderr
    ok = runner.invoke(app, ["analyze", str(path), "--dayfirst", "--out", str(tmp_path / "b")])
    assert ok.exit_code == 0, ok.output
    doc = json.loads((tmp_path / "b" / "findings.json").read_text())
    assert doc["log"]["start"].startswith("2024-02-01T10:00")


def test_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "analysis.cli", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "analyze" in done.stdout


def test_an_internal_error_is_one_line_and_exit_1(monkeypatch, tmp_path):
    import analysis.findings

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(analysis.findings, "analyze", boom)
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "internal error" in result.stderr and "kaboom" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
