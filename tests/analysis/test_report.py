"""The HTML report: self-contained, summary first, every value escaped."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import analyze, export_report
from mapper import load_event_log


@pytest.fixture(scope="module")
def report_html(sample_findings, tmp_path_factory):
    path = export_report(sample_findings, tmp_path_factory.mktemp("r") / "report.html")
    return path.read_text("utf-8")


def test_offline_no_external_scripts_or_styles(report_html):
    assert not re.search(r"<script[^>]+src=", report_html)
    assert not re.search(r"<link[^>]+href=\"http", report_html)
    assert report_html.count("<svg") >= 1  # the process map inline
    # plotly.js is inlined exactly once.
    assert report_html.count("window.PlotlyConfig") == 1 and report_html.count("Plotly.newPlot") >= 3


def test_summary_comes_first(sample_findings, report_html):
    top = sample_findings.bottlenecks.activities["activity"].iloc[0]
    summary_at = report_html.index('id="summary"')
    assert report_html.index("Orchestrate first") > summary_at
    assert summary_at < report_html.index(top) < report_html.index('id="process"')
    assert summary_at < report_html.index("What to fix first") < report_html.index('id="process"')


def test_markup_in_names_is_escaped(tmp_path):
    evil = '<script>alert("x")</script>'
    rows = [
        ("c1", evil, "2024-01-01 08:00", "bob&<b>"),
        ("c1", "B", "2024-01-01 09:00", "ann"),
        ("c2", evil, "2024-01-02 08:00", "bob&<b>"),
        ("c2", "B", "2024-01-02 10:00", "ann"),
    ]
    log = load_event_log(pd.DataFrame(rows, columns=["case_id", "activity", "end", "resource"]))
    html = export_report(analyze(log, impact="analytical"), tmp_path / "r.html").read_text("utf-8")
    assert evil not in html
    assert "&lt;script&gt;alert(" in html
    assert "bob&<b>" not in html


def test_accessible_headings_in_order_named_figures_safe_colours(report_html):
    levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", report_html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # no level skipped
    charts = report_html.count('class="plotly-graph-div"')
    named = re.findall(r'<figure class="chart" role="img" aria-label="([^"]+)">', report_html)
    assert charts >= 3 and len(named) == charts and all(len(n) > 20 for n in named)
    assert re.search(r'<svg role="img" aria-label="Process map[^"]+"', report_html)
    # Okabe-Ito colours for the recommendations; the red/green pair is gone from the charts.
    assert "#009e73" in report_html and "#d55e00" in report_html
    assert "#2e7d32" not in report_html and "#c62828" not in report_html


def test_plotly_js_is_loaded_before_the_first_chart(report_html):
    assert report_html.index("window.PlotlyConfig") < report_html.index("Plotly.newPlot")
