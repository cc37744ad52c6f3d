"""rank_processes on the bundled sample and two hand-made logs of known volume and repeatability."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.portfolio import RANKING_COLUMNS, rank_processes
from mapper.errors import AnalysisError
from tests.conftest import SAMPLE, make_log


def _t(days: int, hours: float) -> str:
    return (pd.Timestamp("2024-01-01") + pd.Timedelta(days=days, hours=hours)).strftime("%Y-%m-%d %H:%M")


def steady_rows():
    """300 cases, ten a day (08:00, 09:00, ... 17:00) for 30 days, all A -> B -> C, 30 min each."""
    return [
        (
            f"s{j:03d}",
            act,
            _t(j // 10, 8 + j % 10 + k / 2),
            _t(j // 10, 8 + j % 10 + (k + 1) / 2),
            f"r{k}",
            "T",
        )
        for j in range(300)
        for k, act in enumerate(["A", "B", "C"])
    ]


def varied_rows():
    """20 cases, one every 3 days at 08:00, each A -> X<i> -> C (every case its own path): A and C
    30 min, X<i> 1 h."""
    rows = []
    for i in range(20):
        rows += [
            (f"v{i:02d}", "A", _t(3 * i, 8), _t(3 * i, 8.5), "r0", "T"),
            (f"v{i:02d}", f"X{i:02d}", _t(3 * i, 8.5), _t(3 * i, 9.5), "r1", "T"),
            (f"v{i:02d}", "C", _t(3 * i, 9.5), _t(3 * i, 10), "r2", "T"),
        ]
    return rows


@pytest.fixture(scope="module")
def logs(sample_log):
    return [make_log(steady_rows()), sample_log, make_log(varied_rows())]


@pytest.fixture(scope="module")
def ranking(logs):
    return rank_processes(logs, names=["steady", "permits", "varied"])


def test_components_worked_by_hand(ranking):
    t = ranking.table.set_index("name")
    # steady: first start day 0 08:00, last end day 29 18:30: 706.5 h = 706.5 / 730.5 months.
    assert t.loc["steady", "months"] == pytest.approx(706.5 / 730.5)
    assert t.loc["steady", "cases_per_month"] == pytest.approx(300 / (706.5 / 730.5))
    assert t.loc["steady", "events_per_month"] == pytest.approx(900 / (706.5 / 730.5))
    assert (t.loc["steady", "variants"], t.loc["steady", "top_variants_share"]) == (1, 1.0)
    assert t.loc["steady", "variant_entropy"] == 0.0
    # 900 events of 30 min = 450 h over 706.5 h of the year's 8766.
    assert t.loc["steady", "processing_hours_per_year"] == pytest.approx(450 * 8766 / 706.5)
    # varied: day 0 08:00 to day 57 10:00 = 1370 h; 20 variants of one case each: the top 10 hold
    # half of the cases, and the entropy log2(20) over log2(20 cases) is 1.
    assert t.loc["varied", "cases_per_month"] == pytest.approx(20 / (1370 / 730.5))
    assert (t.loc["varied", "variants"], t.loc["varied", "top_variants_share"]) == (20, 0.5)
    assert t.loc["varied", "variant_entropy"] == pytest.approx(1.0)
    assert t.loc["varied", "processing_hours_per_year"] == pytest.approx(40 * 8766 / 1370)
    assert t.loc["varied", "steps"] == 22
    # Every log has start times: cost is processing hours.
    assert ranking.cost_basis == "processing"
    assert (t["cost_hours_per_year"] == t["processing_hours_per_year"]).all()


def test_component_scores_and_composite(ranking, truth):
    t = ranking.table.set_index("name")
    # Volume: steady (310/month) > permits (1000 cases over ~4.9 months) > varied (11/month).
    assert t.loc["permits", "cases"] == truth["n_cases"]
    assert (
        t.loc["steady", "cases_per_month"]
        > t.loc["permits", "cases_per_month"]
        > t.loc["varied", "cases_per_month"]
    )
    assert t["volume_score"].to_dict() == {"steady": 1.0, "permits": 0.5, "varied": 0.0}
    # Repeatability: steady (one path) > permits (more than half in the top 10) > varied (half).
    assert 0.5 < t.loc["permits", "top_variants_share"] < 1.0
    assert t["repeatability_score"].to_dict() == {"steady": 1.0, "permits": 0.5, "varied": 0.0}
    # Cost: the permits' officers and seniors work far more hours than 30-minute steps.
    assert t["cost_score"].to_dict() == {"steady": 0.5, "permits": 1.0, "varied": 0.0}
    w = ranking.weights
    expected = sum(t[f"{c}_score"] * w[c] for c in w) / sum(w.values())
    assert np.allclose(t["composite"], expected)
    # varied is last on volume, repeatability and cost: readiness (weight 0.2) cannot lift it.
    assert ranking.table["name"].iloc[-1] == "varied"
    assert ranking.table["rank"].tolist() == [1, 2, 3]
    assert list(ranking.table.columns) == RANKING_COLUMNS


def test_ranked_as_designed_without_readiness(logs):
    r = rank_processes(logs, names=["steady", "permits", "varied"], readiness_weight=0)
    # steady: (0.3 * 1 + 0.25 * 1 + 0.25 * 0.5) / 0.8; permits: (0.3 * 0.5 + 0.25 * 0.5 + 0.25 * 1) / 0.8.
    assert r.table["name"].tolist() == ["steady", "permits", "varied"]
    assert r.table["composite"].tolist() == pytest.approx([0.675 / 0.8, 0.525 / 0.8, 0.0])
    assert r.table["candidate_step_share"].isna().all()
    assert any("not scored" in n for n in r.notes)


def test_readiness_is_the_share_of_candidate_steps(ranking, sample_log):
    from analysis import score_readiness

    scores = score_readiness(sample_log, sensitivity="none").scores
    # Steps already done by systems are not candidates.
    share = (scores["recommendation"].isin(["automate", "ai_assist"]) & ~scores["already_automated"]).mean()
    t = ranking.table.set_index("name")
    assert t.loc["permits", "candidate_step_share"] == pytest.approx(share)
    assert 0 <= t.loc["permits", "candidate_event_share"] <= 1


def test_cost_falls_back_to_case_hours_without_start_times(logs):
    cols = ("case_id", "activity", "end", "resource", "role")
    bare = make_log([(c, a, e, r, t) for c, a, _s, e, r, t in varied_rows()], columns=cols)
    r = rank_processes([logs[0], bare], names=["steady", "bare"], readiness_weight=0)
    assert r.cost_basis == "case_hours"
    t = r.table.set_index("name")
    assert (t["cost_hours_per_year"] == t["case_hours_per_year"]).all()
    assert np.isnan(t.loc["bare", "processing_hours_per_year"])
    # bare: 20 cases of 2 h (first completion 08:30 to last 10:00 is 1.5 h without starts) over 1369.5 h.
    assert t.loc["bare", "case_hours_per_year"] == pytest.approx(20 * 1.5 * 8766 / 1369.5)
    assert any("bare has no start times" in n for n in r.notes)


def test_paths_default_names_and_ties():
    r = rank_processes([SAMPLE, str(SAMPLE)], readiness_weight=0)
    assert r.table["name"].tolist() == ["council_permits.csv", "council_permits.csv (2)"]
    # Equal on everything: both share the average rank (score 0.5) and the name breaks the tie.
    assert r.table["composite"].tolist() == [0.5, 0.5]


def test_inputs_unchanged_outputs_and_escaping(logs):
    copies = [log.events.copy() for log in logs]
    r = rank_processes(logs, names=["<b>steady</b>", "permits", "varied"])
    for log, copy in zip(logs, copies, strict=True):
        pd.testing.assert_frame_equal(log.events, copy)
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert [p["name"] for p in d["processes"]][0] in {"<b>steady</b>", "permits"}
    fig = r.plot()
    assert len(fig.data) == 4 and all("<b>" not in y for trace in fig.data for y in trace.y)
    page = r._repr_html_()
    assert "&lt;b&gt;steady&lt;/b&gt;" in page and "<b>steady</b>" not in page
    pd.testing.assert_frame_equal(r.to_frame(), r.table)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ([], {}, "non-empty list"),
        ([42], {}, r"logs\[0\]"),
        ([SAMPLE], {"names": ["a", "b"]}, "one name per log"),
        ([SAMPLE], {"volume_weight": -1}, "volume_weight"),
        (
            [SAMPLE],
            {"volume_weight": 0, "repeatability_weight": 0, "cost_weight": 0, "readiness_weight": 0},
            "positive",
        ),
    ],
)
def test_invalid_arguments(args, kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        rank_processes(args, **kwargs)
