"""The words people read (analysis.labels) and the small charts the app, report and notebooks share."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.labels import CAUSE_LABELS, DOCS_URL, FACTORS, PATTERN_LABELS, docs_link
from analysis.readiness import FACTORS as READINESS_FACTORS
from analysis.readiness import plot_factor_breakdown
from analysis.variants import cycle_unit, plot_variants
from analysis.waiting import CAUSES, plot_waiting_causes
from mapper.errors import AnalysisError


def test_every_factor_cause_and_pattern_has_words():
    assert tuple(FACTORS) == READINESS_FACTORS
    assert set(CAUSES) <= set(CAUSE_LABELS)
    assert set(PATTERN_LABELS) == {"ping-pong", "rework", "dropped-baton", "escalation-bounce"}
    assert docs_link("readiness.html#factors") == DOCS_URL.rstrip("/") + "/readiness.html#factors"


def test_cycle_unit_follows_the_overview_threshold():
    # humanize_hours writes 47.9 h as hours and 48 h as 2.0 d: the same threshold.
    assert (cycle_unit(47.9), cycle_unit(48.0), cycle_unit(None), cycle_unit(float("nan"))) == (
        "hours",
        "days",
        "hours",
        "hours",
    )


def test_variants_chart_shows_days_and_escapes_names():
    v = pd.DataFrame(
        {
            "variant": [1, 2],
            "trace": [("<b>x</b>", "B"), ("B",)],
            "cases": [3, 1],
            "share": [0.75, 0.25],
            "events": [2, 1],
            "cycle_hours_median": [48.0, 12.0],
        }
    )
    before = v.copy()
    fig = plot_variants(v, unit="days")
    bar = fig.data[0]
    assert list(bar.x) == ["#1", "#2"] and list(bar.y) == [3, 1]
    assert bar.customdata[0][2] == pytest.approx(2.0) and bar.customdata[1][2] == pytest.approx(0.5)
    assert bar.customdata[0][3] == "&lt;b&gt;x&lt;/b&gt; → B"  # drawn literally, not bold
    assert "days" in bar.hovertemplate
    pd.testing.assert_frame_equal(v, before)


def test_waiting_causes_axis_reads_in_days_past_a_thousand_hours():
    rows = pd.DataFrame({"activity": ["A", "B"], **{f"{c}_hours": [0.0, 0.0] for c in CAUSES}})
    rows["contention_hours"] = [2400.0, 240.0]
    fig = plot_waiting_causes(rows, title="t")
    assert fig.layout.xaxis.title.text.startswith("Days") and fig.layout.xaxis.tickformat == ",.0f"
    assert list(fig.data[0].x) == [10.0, 100.0]  # drawn bottom-up: B then A, in days
    small = plot_waiting_causes(rows.assign(contention_hours=[24.0, 2.4]), title="t")
    assert small.layout.xaxis.title.text.startswith("Hours") and list(small.data[0].x) == [2.4, 24.0]
    # 150,000 cases waiting months each: case-years, not millions of days.
    huge = plot_waiting_causes(rows.assign(contention_hours=[8766.0 * 1000, 8766.0]), title="t")
    assert huge.layout.xaxis.title.text.startswith("Years") and list(huge.data[0].x) == [1.0, 1000.0]


def test_factor_breakdown_names_factors_in_words(sample_findings):
    r = sample_findings.readiness
    fig = plot_factor_breakdown(r, "Validate documents")
    bar = fig.data[0]
    assert list(bar.y) == [FACTORS[k].label for k in READINESS_FACTORS][::-1]
    one = r.factor_table().set_index(["activity", "factor"]).loc["Validate documents"]
    assert sum(bar.x) == pytest.approx(one["points"].sum())
    with pytest.raises(AnalysisError, match="not a step"):
        plot_factor_breakdown(r, "nope")
