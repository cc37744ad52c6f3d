"""One call per output: export_all writes what render_output renders, for the CLI and the app alike."""

from __future__ import annotations

import json

import pytest

from analysis.outputs import OUTPUTS, export_all, render_output
from mapper.errors import AnalysisError


@pytest.fixture(scope="module")
def written(sample_findings, tmp_path_factory):
    out = tmp_path_factory.mktemp("all")
    return out, export_all(sample_findings, out)


def test_export_all_writes_every_output_and_the_tables(written, sample_findings):
    out, paths = written
    names = [p.name for p in paths]
    assert names[: len(OUTPUTS)] == [o.name for o in OUTPUTS]
    assert {f"{t}.csv" for t in sample_findings.tables()} <= set(names)
    assert "tables.xlsx" in names
    assert all(p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("name", [o.name for o in OUTPUTS if o.name not in ("report.html", "report.pdf")])
def test_a_download_equals_the_written_file(written, sample_findings, name):
    out, _ = written
    assert render_output(sample_findings, name) == (out / name).read_bytes()


def test_the_report_embeds_the_process_map_written_beside_it(written):
    out, _ = written
    svg = (out / "process_map.svg").read_text()
    report = (out / "report.html").read_text()
    start = svg.index("<svg") + len("<svg")  # the report names the map (role, aria-label) after the tag
    assert svg[start : start + 200] in report


def test_json_outputs_parse(written):
    out, _ = written
    doc = json.loads((out / "findings.json").read_text())
    assert doc["data_quality"] == json.loads((out / "data_quality.json").read_text())


def test_unknown_output_names_the_parameter_and_the_choices(sample_findings):
    with pytest.raises(
        AnalysisError, match=r"name='report\.docx' .*report\.html, report\.pdf, findings\.json"
    ):
        render_output(sample_findings, "report.docx")
