"""The performance views on hand-made logs whose answers are worked out by hand in the comments."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import analysis.performance as perf
from analysis import (
    find_sla_breaches,
    find_wait_drivers,
    find_waiting_drift,
    performance_spectrum,
    plot_performance_spectrum,
)
from analysis.stats import adjust_p_values as holm
from mapper.errors import AnalysisError
from tests.conftest import SAMPLE, TRUTH, make_log

H = pd.Timedelta(hours=1)


def _t(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M")


# --- Holm ----------------------------------------------------------------------------------------------


def test_holm_by_hand():
    # sorted p: 0.01, 0.02, 0.04 (m = 3) -> 0.03, 0.04, 0.04 (cumulative max); NaN is not a test.
    adj = holm([0.04, 0.01, np.nan, 0.02])
    assert adj[1] == pytest.approx(0.03) and adj[3] == pytest.approx(0.04) and adj[0] == pytest.approx(0.04)
    assert np.isnan(adj[2])
    assert holm([0.9, 0.8]).tolist() == [1.0, 1.0]  # capped at 1
    assert np.isnan(holm([np.nan])).all()


# --- 1. performance spectrum ---------------------------------------------------------------------------

# A -> B, five cases (B takes 30 min, A one hour). Waits from A's completion to B's start:
#   c1 00:00 Jan 1 -> 00:00 Jan 3 = 48 h         c4 12:00 Jan 2 -> 00:03 Jan 3 = 12.05 h
#   c2 12:00 Jan 1 -> 00:01 Jan 3 = 36.0167 h    c5 00:00 Jan 5 -> 00:00 Jan 6 = 24 h
#   c3 00:00 Jan 2 -> 00:02 Jan 3 = 24.0333 h
# Sorted 12.05, 24, 24.0333, 36.0167, 48: q1 = 24, median = 24.0333, q3 = 36.0167 (linear quantiles).
# Tolerance 1 % of the median = 0.240333 h (14.4 min): c1..c4 start within 3 minutes, so each coincides
# with 3 others (>= 2): batched 4/5. Arrivals are 12 h apart: none bunched. Target order c1..c5 has
# increasing arrivals: 10 pairs compared, none overtaking (FIFO).
# C -> D, four cases (D 15 min): d1 00:00 -> 10:00 (10 h), d2 01:00 -> 04:00 (3 h), d3 02:00 -> 03:00
# (1 h), d4 03:00 -> 12:00 (9 h). Target order d3, d2, d1, d4 with arrivals 2, 1, 0, 3: pairs
# (d3,d2) (d3,d1) (d2,d1) overtake, (d3,d4) (d2,d4) (d1,d4) do not: 3 of 6 = 0.5. Durations 1, 3, 9, 10:
# q1 2.5, median 6, q3 9.25: quartiles d3 1, d2 2, d4 3, d1 4. Tolerance 0.06 h: nothing batched.
# Waiting totals: A -> B 144.1 h, C -> D 23 h: A -> B first.
AB = [
    ("c1", "2024-01-01 00:00", "2024-01-03 00:00"),
    ("c2", "2024-01-01 12:00", "2024-01-03 00:01"),
    ("c3", "2024-01-02 00:00", "2024-01-03 00:02"),
    ("c4", "2024-01-02 12:00", "2024-01-03 00:03"),
    ("c5", "2024-01-05 00:00", "2024-01-06 00:00"),
]
CD = [
    ("d1", "2024-02-01 00:00", "2024-02-01 10:00"),
    ("d2", "2024-02-01 01:00", "2024-02-01 04:00"),
    ("d3", "2024-02-01 02:00", "2024-02-01 03:00"),
    ("d4", "2024-02-01 03:00", "2024-02-01 12:00"),
]


def _spectrum_rows(a="A", b="B") -> list[tuple]:
    rows = []
    for case, a_end, b_start in AB:
        ae, bs = pd.Timestamp(a_end), pd.Timestamp(b_start)
        rows.append((case, a, _t(ae - H), _t(ae), "r1", "T1"))
        rows.append((case, b, _t(bs), _t(bs + 0.5 * H), "r2", "T2"))
    for case, c_end, d_start in CD:
        ce, ds = pd.Timestamp(c_end), pd.Timestamp(d_start)
        rows.append((case, "C", _t(ce - H), _t(ce), "r1", "T1"))
        rows.append((case, "D", _t(ds), _t(ds + 0.25 * H), "r2", "T2"))
    return rows


@pytest.fixture(scope="module")
def spec_log():
    return make_log(_spectrum_rows())


@pytest.fixture(scope="module")
def spectrum(spec_log):
    return performance_spectrum(spec_log, top=2)


def test_spectrum_quartiles_and_indicators(spectrum):
    t = spectrum.transitions
    assert list(zip(t["source"], t["target"], strict=True)) == [("A", "B"), ("C", "D")]
    ab, cd = t.iloc[0], t.iloc[1]
    assert (ab["occurrences"], ab["drawn"], cd["occurrences"], cd["drawn"]) == (5, 5, 4, 4)
    assert ab["duration_hours_q1"] == pytest.approx(24.0)
    assert ab["duration_hours_median"] == pytest.approx(24 + 2 / 60)
    assert ab["duration_hours_q3"] == pytest.approx(36 + 1 / 60)
    assert ab["batch_tolerance_hours"] == pytest.approx(0.01 * (24 + 2 / 60), abs=1e-6)
    assert ab["batched_share"] == pytest.approx(0.8)
    assert ab["arrivals_bunched_share"] == 0.0
    assert (ab["overtaking_share"], ab["compared_pairs"]) == (0.0, 10)
    assert (cd["duration_hours_q1"], cd["duration_hours_median"], cd["duration_hours_q3"]) == pytest.approx(
        (2.5, 6.0, 9.25)
    )
    assert (cd["batched_share"], cd["overtaking_share"], cd["compared_pairs"]) == (0.0, 0.5, 6)


def test_spectrum_segments(spectrum):
    s = spectrum.segments
    assert list(s.columns) == [
        "source",
        "target",
        "case_id",
        "source_time",
        "target_time",
        "duration_hours",
        "quartile",
    ]
    assert str(s["source_time"].dtype) == "datetime64[ns, UTC]"
    q = dict(zip(s["case_id"], s["quartile"], strict=True))
    # c4 12.05 h and c5 24 h <= q1 (24): 1; c3 <= median: 2; c2 <= q3: 3; c1: 4.
    assert q == {"c1": 4, "c2": 3, "c3": 2, "c4": 1, "c5": 1, "d1": 4, "d2": 2, "d3": 1, "d4": 3}
    c1 = s.set_index("case_id").loc["c1"]
    assert c1["source_time"] == pd.Timestamp("2024-01-01", tz="UTC")
    assert c1["target_time"] == pd.Timestamp("2024-01-03", tz="UTC")
    assert c1["duration_hours"] == pytest.approx(48.0)
    assert spectrum.waiting_includes_processing is False
    assert spectrum.settings["batch_min_others"] == perf.BATCH_MIN_OTHERS
    # The figure: one trace per quartile, three points per line (source, target, gap); A -> B is the
    # upper band (axes at y 0 and -2), C -> D the lower one (-3 and -5). Q4 holds c1 and d1.
    fig = spectrum.plot()
    assert sum(len(t.x) for t in fig.data) == 3 * len(s)
    assert list(fig.data[3].y) == [0.0, -2.0, None, -3.0, -5.0, None]
    assert list(fig.data[3].x)[:2] == [
        pd.Timestamp("2024-01-01", tz="UTC"),
        pd.Timestamp("2024-01-03", tz="UTC"),
    ]
    assert list(fig.layout.yaxis.tickvals) == [0.0, -2.0, -3.0, -5.0]


def test_spectrum_samples_lines_deterministically(spec_log):
    one = performance_spectrum(spec_log, top=2, max_lines=2)
    two = performance_spectrum(spec_log, top=2, max_lines=2)
    assert one.transitions["drawn"].tolist() == [2, 2]
    assert one.transitions["occurrences"].tolist() == [5, 4]  # indicators still use every occurrence
    assert one.transitions["batched_share"].iloc[0] == pytest.approx(0.8)
    pd.testing.assert_frame_equal(one.segments, two.segments)
    assert set(one.segments["case_id"]) < set(AB_IDS + CD_IDS)
    assert "2 of 5 drawn" in one.plot().layout.annotations[0].text
    # Another seed is another (deterministic) hash; the counts stay.
    other = performance_spectrum(spec_log, top=2, max_lines=2, seed=7)
    assert other.transitions["drawn"].tolist() == [2, 2]


AB_IDS = [r[0] for r in AB]
CD_IDS = [r[0] for r in CD]


def test_spectrum_given_transitions_and_errors(spec_log):
    only = performance_spectrum(spec_log, transitions=[("C", "D")])
    assert only.transitions[["source", "target"]].values.tolist() == [["C", "D"]]
    with pytest.raises(AnalysisError, match=r"\('A', 'D'\).*A -> B, C -> D"):
        performance_spectrum(spec_log, transitions=[("A", "D")])
    with pytest.raises(AnalysisError, match="pairs"):
        performance_spectrum(spec_log, transitions=["A"])
    with pytest.raises(AnalysisError, match="top must be a positive integer"):
        performance_spectrum(spec_log, top=0)
    with pytest.raises(AnalysisError, match="max_lines"):
        performance_spectrum(spec_log, max_lines=-3)
    with pytest.raises(AnalysisError, match="batch_tolerance_share"):
        performance_spectrum(spec_log, batch_tolerance_share=0)


def test_spectrum_without_start_times_ends_lines_at_completion():
    rows = [r[:2] + r[3:] for r in _spectrum_rows()]
    log = make_log(rows, columns=("case_id", "activity", "end", "resource", "role"))
    ps = performance_spectrum(log, transitions=[("A", "B")])
    # B's completions are 30 min after its starts: c1 48.5 h, c2 36.5167, c3 24.5333, c4 12.55, c5 24.5.
    assert ps.transitions["duration_hours_median"].iloc[0] == pytest.approx(24.5 + 2 / 60)
    assert ps.waiting_includes_processing is True
    assert ps.transitions["batched_share"].iloc[0] == pytest.approx(0.8)


def test_spectrum_of_a_log_without_transitions():
    log = make_log([("x1", "A", "2024-01-01 00:00", "2024-01-01 01:00", "r", "T")])
    ps = performance_spectrum(log)
    assert ps.transitions.empty and ps.segments.empty
    assert list(ps.transitions.columns) == list(perf._empty_spectrum_transitions().columns)
    fig = ps.plot()
    assert fig.layout.annotations[0].text == "No transitions to draw"


def test_spectrum_figure_escapes_markup():
    log = make_log(_spectrum_rows(a="<b>x</b>", b="R&D"))
    fig = plot_performance_spectrum(performance_spectrum(log, top=1))
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks == ["&lt;b&gt;x&lt;/b&gt;", "R&amp;D"]
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "&lt;b&gt;x&lt;/b&gt; → R&amp;D" in texts and "<b>x</b>" not in texts
    assert len(fig.data) == 4  # one trace per quartile


def test_spectrum_leaves_input_unchanged(spec_log):
    before = spec_log.events.copy()
    pairs = [("A", "B")]
    performance_spectrum(spec_log, transitions=pairs, max_lines=1)
    pd.testing.assert_frame_equal(spec_log.events, before)
    assert pairs == [("A", "B")]


# --- 2. drift of waiting -------------------------------------------------------------------------------

LOW = [1.0 + 0.1 * i for i in range(25)]  # 1.0 .. 3.4 h: median 2.2, p90 3.16
HIGH = [9.0 + 0.1 * i for i in range(25)]  # 9.0 .. 11.4 h: median 10.2, p90 11.16


def _drift_rows(months: dict[str, list[float]], final: str | None = "2024-05-10 08:00") -> list[tuple]:
    """Per month, one case per wait: A done at 08:00 on day i + 1 (wrapping after 28 days, an hour later),
    then X after the wait (30 min)."""
    rows = []
    for month, waits in months.items():
        for i, w in enumerate(waits):
            a_end = pd.Timestamp(f"{month}-01 08:00") + pd.Timedelta(days=i % 28, hours=i // 28)
            x_start = a_end + w * H
            case = f"{month}-{i:02d}"
            rows.append((case, "A", _t(a_end - H), _t(a_end), "r1", "T1"))
            rows.append((case, "X", _t(x_start), _t(x_start + 0.5 * H), "r2", "T2"))
    if final:  # one more case in May (a wait of 3 h): the log goes on after April
        a_end = pd.Timestamp(final)
        rows.append(("z", "A", _t(a_end - H), _t(a_end), "r1", "T1"))
        rows.append(("z", "X", _t(a_end + 3 * H), _t(a_end + 3.5 * H), "r2", "T2"))
    return rows


@pytest.fixture(scope="module")
def drift_log():
    return make_log(_drift_rows({"2024-01": LOW, "2024-02": HIGH, "2024-03": HIGH, "2024-04": HIGH}))


@pytest.fixture(scope="module")
def drift(drift_log):
    return find_waiting_drift(drift_log)


def test_drift_monthly_medians(drift):
    m = drift.monthly
    assert drift.activities == ["X"]  # A opens every case: it has no wait
    assert m["month"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert str(m["month"].dtype) == "datetime64[ns]"
    assert m["instances"].tolist() == [25, 25, 25, 25, 1]
    assert m["waiting_hours_median"].tolist() == pytest.approx([2.2, 10.2, 10.2, 10.2, 3.0])
    assert m["waiting_hours_p90"].tolist() == pytest.approx([3.16, 11.16, 11.16, 11.16, 3.0])
    # The log ends 10 May 11:30: April's waits (p90 of all waits ~11 h) have ended by then, May's not.
    assert m["complete"].tolist() == [True, True, True, True, False]


def test_drift_flags_the_planted_step_only(drift):
    c = drift.changes.set_index(drift.changes["month"].dt.strftime("%Y-%m"))
    assert c.index.tolist() == ["2024-02", "2024-03", "2024-04"]  # May: 1 wait (< 20), not compared
    feb = c.loc["2024-02"]
    assert feb["ratio"] == pytest.approx(10.2 / 2.2)
    # Every February wait is longer than every January one: U = 625 of 25 x 25.
    expected = stats.mannwhitneyu(HIGH, LOW, alternative="two-sided").pvalue
    assert feb["p_value"] == pytest.approx(expected)
    # Holm over 3 comparisons: the smallest p is multiplied by 3 (March and April have p = 1).
    assert feb["p_adjusted"] == pytest.approx(3 * expected)
    assert (feb["next_median"], np.isnan(feb["earlier_median"])) == (pytest.approx(10.2), True)
    assert feb["step"] and feb["significant"] and feb["direction"] == "up"
    assert c.loc["2024-03", "ratio"] == pytest.approx(1.0) and not c.loc["2024-03", "significant"]
    assert np.isnan(c.loc["2024-04", "next_median"])  # May has too few waits
    assert c["direction"].tolist() == ["up", "", ""]
    assert not c["censored"].any()
    assert (c["tested"] == c["instances"]).all()  # fewer than the cap: every wait is tested


def test_drift_ignores_a_one_month_spike_and_its_return():
    # Jan low, Feb high, Mar and Apr low. February vs January is big and significant but March falls
    # back (not lasting); March vs February is big too, but January, two months before, already was
    # where March is (a return, not a new level). Nothing is flagged.
    log = make_log(_drift_rows({"2024-01": LOW, "2024-02": HIGH, "2024-03": LOW, "2024-04": LOW}))
    c = find_waiting_drift(log).changes
    assert c["p_value"].iloc[:2].max() < 1e-6
    assert c["step"].tolist() == [False, False, False]
    assert not c["significant"].any()


def test_drift_compares_only_months_with_a_usual_volume():
    # 100 waits a month, except February with 21: at least 20 but below a quarter of the median monthly
    # volume (100), so neither February vs January nor March vs February is compared.
    log = make_log(
        _drift_rows({"2024-01": LOW * 4, "2024-02": HIGH[:21], "2024-03": LOW * 4, "2024-04": LOW * 4})
    )
    d = find_waiting_drift(log)
    assert d.monthly["instances"].tolist() == [100, 21, 100, 100, 1]
    assert d.changes["month"].dt.strftime("%Y-%m").tolist() == ["2024-04"]
    assert d.settings["min_volume_share"] == perf.DRIFT_MIN_VOLUME_SHARE


def test_drift_censors_the_last_month():
    # The log ends on 25 February: February's waits (p90 about 11 h) could still be open when the
    # log was cut; the comparison is shown, tested, but censored and never flagged.
    log = make_log(_drift_rows({"2024-01": LOW, "2024-02": HIGH}, final=None))
    d = find_waiting_drift(log)
    assert d.monthly["complete"].tolist() == [True, False]
    c = d.changes.iloc[0]
    assert c["censored"] and np.isnan(c["p_adjusted"]) and not c["significant"] and c["p_value"] < 1e-6


def test_drift_of_a_single_month():
    log = make_log(_drift_rows({"2024-01": LOW}, final=None))
    d = find_waiting_drift(log)
    assert len(d.monthly) == 1 and d.changes.empty
    assert list(d.changes.columns) == list(perf._empty_changes().columns)
    assert d.plot() is not None and "0 significant" in d._repr_html_()


def test_drift_errors_and_input_unchanged(drift_log):
    before = drift_log.events.copy()
    acts = ["X"]
    find_waiting_drift(drift_log, activities=acts, alpha=0.05)
    pd.testing.assert_frame_equal(drift_log.events, before)
    assert acts == ["X"]
    with pytest.raises(AnalysisError, match=r"\['Nope'\].*known activities: \['X', 'A'\]"):
        find_waiting_drift(drift_log, activities=["Nope"])
    with pytest.raises(AnalysisError, match="alpha"):
        find_waiting_drift(drift_log, alpha=1.5)
    with pytest.raises(AnalysisError, match="top"):
        find_waiting_drift(drift_log, top=0)


def test_drift_figure_escapes_markup():
    months = {"2024-01": LOW, "2024-02": HIGH, "2024-03": HIGH}
    rows = [r if r[1] != "X" else (r[0], "<b>x</b>", *r[2:]) for r in _drift_rows(months)]
    fig = find_waiting_drift(make_log(rows)).plot()
    assert fig.data[0].name == "&lt;b&gt;x&lt;/b&gt;"
    assert all("<b>x</b>" not in (t.hovertemplate or "") for t in fig.data)
    assert "&lt;b&gt;x&lt;/b&gt;" in fig.data[1].text[0]  # the significant change's label


# --- 3. attribute drivers ------------------------------------------------------------------------------

# 40 cases, A (30 min from 08:00) then B. Cycle time (A's start to B's end): cases 0..19 are "paper",
# 10.0, 10.1, ..., 11.9 h (median 10.95); cases 20..39 "online", 2.0 .. 3.9 h (median 2.95). channel is
# written on A only (its first event). Kruskal-Wallis with the two groups fully separated (ranks 1-20 and
# 21-40, no ties): H = 12/(40*41) * (210^2/20 + 610^2/20) - 3*41 = 29.2683; epsilon^2 = H/39 = 0.7505.
# Cliff's delta paper vs rest = +1, online = -1; both Mann-Whitney p equal, so Holm gives 2p to both.
# amount = (7i mod 40) + 1, a permutation of 1..40: quartile bands 1 to < 10.75, 10.75 to < 20.5,
# 20.5 to < 30.25, 30.25 to 40 with 10 cases each. docs = i mod 3 + 1: numeric levels 1, 2, 3.
# region is "north" everywhere (a single value), note differs on each event (an event attribute), ticket
# is unique per case (an identifier), late is on B only, "yes" or "no" for even cases (known later,
# coverage 0.5).
DRIVER_COLUMNS = (
    "case_id",
    "activity",
    "start",
    "end",
    "resource",
    "role",
    "channel",
    "amount",
    "docs",
    "region",
    "note",
    "ticket",
    "late",
)


def _driver_rows(level_names=("paper", "online")) -> list[tuple]:
    rows = []
    for i in range(40):
        paper = i < 20
        cycle = 10.0 + 0.1 * i if paper else 2.0 + 0.1 * (i - 20)
        a_start = pd.Timestamp("2024-03-01 08:00") + pd.Timedelta(days=i)
        b_end = a_start + cycle * H
        channel = level_names[0] if paper else level_names[1]
        common = (str((7 * i) % 40 + 1), str(i % 3 + 1), "north")
        case = f"k{i:02d}"
        rows.append(
            (case, "A", _t(a_start), _t(a_start + 0.5 * H), "r1", "T1", channel, *common, "n1", f"T{i}", None)
        )
        late = {0: "yes", 2: "no"}.get(i % 4)
        rows.append(
            (case, "B", _t(b_end - 0.5 * H), _t(b_end), "r2", "T2", None, *common, "n2", f"T{i}", late)
        )
    return rows


@pytest.fixture(scope="module")
def driver_log():
    return make_log(_driver_rows(), columns=DRIVER_COLUMNS)


@pytest.fixture(scope="module")
def drivers(driver_log):
    return find_wait_drivers(driver_log)


def test_drivers_detect_case_attributes_and_skip_the_rest(drivers):
    kinds = dict(zip(drivers.attributes["attribute"], drivers.attributes["kind"], strict=True))
    assert kinds == {
        "channel": "categorical",
        "amount": "numeric bands",
        "docs": "numeric levels",
        "late": "categorical",
    }
    reasons = dict(zip(drivers.skipped["column"], drivers.skipped["reason"], strict=True))
    assert set(reasons) == {"region", "note", "ticket"}
    assert reasons["region"] == "a single value"
    assert reasons["note"].startswith("changes within 100% of the cases")
    assert reasons["ticket"] == "an identifier: 40 distinct values in 40 cases"
    late = drivers.attributes.set_index("attribute").loc["late"]
    assert (late["coverage"], late["known_at_start_share"], late["levels"], late["cases"]) == (
        0.5,
        0.0,
        2,
        20,
    )


def test_drivers_planted_channel_effect(drivers):
    a = drivers.attributes.set_index("attribute")
    ch = a.loc["channel"]
    assert drivers.attributes["attribute"].iloc[0] == "channel" and ch["rank"] == 1
    assert (ch["cases"], ch["tested_cases"], ch["coverage"], ch["known_at_start_share"]) == (40, 40, 1.0, 1.0)
    assert ch["h_statistic"] == pytest.approx(12 / (40 * 41) * (210**2 / 20 + 610**2 / 20) - 3 * 41)
    assert ch["epsilon_squared"] == pytest.approx(ch["h_statistic"] / 39)
    assert ch["effect"] == "large" and ch["significant"]
    assert pd.isna(a.loc["amount", "rank"]) and not a.loc["amount", "significant"]
    lv = drivers.levels[drivers.levels["attribute"] == "channel"].set_index("level")
    assert lv.index.tolist() == ["paper", "online"]  # the slower level first
    assert lv.loc["paper", "median_hours"] == pytest.approx(10.95)
    assert lv.loc["paper", "other_median_hours"] == pytest.approx(2.95)
    assert lv.loc["paper", "ratio"] == pytest.approx(10.95 / 2.95)
    assert (lv.loc["paper", "cliffs_delta"], lv.loc["online", "cliffs_delta"]) == (1.0, -1.0)
    p = stats.mannwhitneyu(
        [10.0 + 0.1 * i for i in range(20)], [2.0 + 0.1 * i for i in range(20)], alternative="two-sided"
    ).pvalue
    assert lv["p_value"].tolist() == pytest.approx([p, p])
    assert lv["p_adjusted"].tolist() == pytest.approx([2 * p, 2 * p])
    assert lv["significant"].all() and (lv["cases"] == 20).all()


def test_drivers_numeric_bands_and_levels(drivers):
    lv = drivers.levels
    bands = lv[lv["attribute"] == "amount"]
    assert bands["level"].tolist() == ["1 to < 10.75", "10.75 to < 20.5", "20.5 to < 30.25", "30.25 to 40"]
    assert bands["cases"].tolist() == [10, 10, 10, 10]
    docs = lv[lv["attribute"] == "docs"]
    assert docs["level"].tolist() == ["1", "2", "3"] and docs["cases"].tolist() == [14, 13, 13]


def test_drivers_skip_variant_columns_and_text_timestamps():
    columns = (*DRIVER_COLUMNS, "variant_index", "opened")
    rows = [
        r + (str(int(r[0][1:]) % 3), f"2024-03-{int(r[0][1:]) % 28 + 1:02d} 08:00") for r in _driver_rows()
    ]
    d = find_wait_drivers(make_log(rows, columns=columns), attributes=["channel", "variant_index", "opened"])
    assert d.attributes["attribute"].tolist() == ["channel"]
    reasons = dict(zip(d.skipped["column"], d.skipped["reason"], strict=True))
    assert reasons["variant_index"].startswith("the case's variant")
    assert reasons["opened"] == "timestamps written as text"


def test_drivers_of_waiting(driver_log):
    # Waiting before B = B's start - A's end = cycle - 1 h: paper median 9.95, online 1.95.
    d = find_wait_drivers(driver_log, target="waiting", activity="B", attributes=["channel"])
    lv = d.levels.set_index("level")
    assert (lv.loc["paper", "median_hours"], lv.loc["online", "median_hours"]) == pytest.approx((9.95, 1.95))
    assert d.activity == "B" and d.target == "waiting"
    every = find_wait_drivers(driver_log, target="waiting", attributes=["channel"])  # before any step
    assert every.levels.set_index("level").loc["paper", "median_hours"] == pytest.approx(9.95)
    assert "waiting before B" in d._repr_html_()


def test_drivers_when_every_wait_is_zero():
    # B starts the moment A ends in every case: waits are all 0, nothing can differ (H = 0, p = 1).
    rows = []
    for i in range(12):
        t0 = pd.Timestamp("2024-01-01 08:00") + pd.Timedelta(days=i)
        ch = "paper" if i % 2 else "online"
        rows.append((f"z{i}", "A", _t(t0), _t(t0 + H), "r1", "T1", ch))
        rows.append((f"z{i}", "B", _t(t0 + H), _t(t0 + 2 * H), "r2", "T2", ch))
    log = make_log(rows, columns=("case_id", "activity", "start", "end", "resource", "role", "channel"))
    d = find_wait_drivers(log, target="waiting", activity="B")
    a = d.attributes.iloc[0]
    assert (a["h_statistic"], a["p_value"], a["epsilon_squared"], a["significant"]) == (0.0, 1.0, 0.0, False)
    assert d.levels["ratio"].tolist() == [1.0, 1.0] and d.levels["cliffs_delta"].tolist() == [0.0, 0.0]


def test_drivers_when_only_one_level_has_enough_cases():
    # "paper" has 8 cases, "online" 3 (< MIN_LEVEL_CASES = 5): only "paper" is tested, and it has no
    # tested level to be compared with (the crash at 5.6M events: concatenating no other level).
    rows = []
    for i in range(11):
        t0 = pd.Timestamp("2024-01-01 08:00") + pd.Timedelta(days=i)
        ch = "paper" if i < 8 else "online"
        rows.append((f"c{i}", "A", _t(t0), _t(t0 + H), "r1", "T1", ch))
        rows.append((f"c{i}", "B", _t(t0 + (2 + i) * H), _t(t0 + (3 + i) * H), "r2", "T2", ch))
    log = make_log(rows, columns=("case_id", "activity", "start", "end", "resource", "role", "channel"))
    d = find_wait_drivers(log)
    a = d.attributes.iloc[0]
    assert (a["attribute"], a["levels"], a["tested_cases"]) == ("channel", 2, 8)
    assert math.isnan(a["h_statistic"]) and not a["significant"]
    lv = d.levels.set_index("level")
    assert lv["cases"].to_dict() == {"paper": 8, "online": 3}
    assert lv["tested_cases"].to_dict() == {"paper": 8, "online": 3}
    assert lv["cliffs_delta"].isna().all() and lv["p_value"].isna().all() and not lv["significant"].any()


def test_drivers_without_attribute_columns(spec_log):
    d = find_wait_drivers(spec_log)
    assert d.attributes.empty and d.levels.empty and d.skipped.empty
    assert list(d.attributes.columns) == list(perf._empty_attributes().columns)
    assert d.plot() is not None


def test_drivers_errors_and_input_unchanged(driver_log):
    before = driver_log.events.copy()
    cols = ["channel", "case_id"]
    d = find_wait_drivers(driver_log, attributes=cols)
    assert d.skipped["column"].tolist() == ["case_id"]
    assert cols == ["channel", "case_id"]
    pd.testing.assert_frame_equal(driver_log.events, before)
    with pytest.raises(AnalysisError, match=r"\['nope'\] are not columns.*'channel'"):
        find_wait_drivers(driver_log, attributes=["nope"])
    with pytest.raises(AnalysisError, match=r"'Z' is not an activity.*\['A', 'B'\]"):
        find_wait_drivers(driver_log, target="waiting", activity="Z")
    with pytest.raises(AnalysisError, match="target must be"):
        find_wait_drivers(driver_log, target="speed")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="max_levels"):
        find_wait_drivers(driver_log, max_levels=1)


def test_drivers_figure_escapes_markup():
    log = make_log(_driver_rows(level_names=("<i>y</i>", "R&D")), columns=DRIVER_COLUMNS)
    d = find_wait_drivers(log, attributes=["channel"])
    fig = d.plot()
    assert list(fig.data[0].y) == ["R&amp;D", "&lt;i&gt;y&lt;/i&gt;"]
    assert "<i>y</i>" not in d._repr_html_()


# --- 4. SLA breaches -----------------------------------------------------------------------------------

# Target for B: 5 h from enabling (A's completion at 00:00) to B's completion.
#   s1 4 h (met)   s2 6 h (over 1)   s3 10 h (over 5)   s5 5 h exactly (met: a breach is above)
#   s4 opens with B: no enabling, unmeasured.
# -> 4 measured, 2 breaches, share 0.5, 6 h over, p90 of (1, 5) = 4.6, examples s3, s2.
# Due dates on B: s1 due 03:00, done 04:00 (1 h late); s2 due 07:00, done 06:00 (met); s5 due 05:00,
# done 05:00 (met); s3 "not a date" (unparseable, reported) -> 3 parsed, 1 breach; 1 case of 3 breached.
SLA_ROWS = [  # case, whether A opens it (done at 00:00), B's completion
    ("s1", True, "2024-01-01 04:00"),
    ("s2", True, "2024-01-01 06:00"),
    ("s3", True, "2024-01-01 10:00"),
    ("s4", False, "2024-01-01 03:00"),
    ("s5", True, "2024-01-01 05:00"),
]
DUE = {"s1": "2024-01-01 03:00", "s2": "2024-01-01 07:00", "s3": "not a date", "s5": "2024-01-01 05:00"}


def _sla_rows(b="B", due=DUE) -> list[tuple]:
    rows = []
    for case, has_a, b_end in SLA_ROWS:
        if has_a:
            rows.append((case, "A", "2023-12-31 23:00", "2024-01-01 00:00", "r1", "T1", None))
        rows.append((case, b, _t(pd.Timestamp(b_end) - 0.5 * H), b_end, "r2", "T2", due.get(case)))
    return rows


SLA_COLUMNS = ("case_id", "activity", "start", "end", "resource", "role", "due")


@pytest.fixture(scope="module")
def sla_log():
    return make_log(_sla_rows(), columns=SLA_COLUMNS)


def test_sla_targets(sla_log):
    r = find_sla_breaches(sla_log, targets={"B": 5.0}).activities
    assert r["activity"].tolist() == ["B"] and r["basis"].tolist() == ["target"]
    b = r.iloc[0]
    assert (b["instances"], b["unmeasured"], b["breaches"]) == (4, 1, 2)
    assert (b["target_hours"], b["breach_share"], b["hours_over_total"]) == pytest.approx((5.0, 0.5, 6.0))
    assert b["hours_over_p90"] == pytest.approx(4.6)
    assert b["example_cases"] == ["s3", "s2"]


def test_sla_due_dates_and_unparseable_values(sla_log):
    sla = find_sla_breaches(sla_log, due_column="due")
    b = sla.activities.iloc[0]
    assert (b["activity"], b["basis"], b["instances"], b["breaches"]) == ("B", "due_date", 3, 1)
    assert b["breach_share"] == pytest.approx(1 / 3) and b["hours_over_total"] == pytest.approx(1.0)
    assert np.isnan(b["target_hours"]) and b["example_cases"] == ["s1"]
    s = sla.summary
    assert (s["cases_with_due"], s["cases_breached"], s["due_values"], s["unparseable"]) == (3, 1, 4, 1)
    bad_row = [i for i, r in enumerate(_sla_rows()) if r[-1] == "not a date"][0] + 1
    assert s["unparseable_examples"] == [{"row": bad_row, "value": "not a date"}]
    assert sla.cases.to_dict("records") == [
        {"case_id": "s1", "events_with_due": 1, "breaches": 1, "hours_over_max": pytest.approx(1.0)}
    ]


def test_sla_both_bases(sla_log):
    r = find_sla_breaches(sla_log, targets={"B": 5.0}, due_column="due").activities
    assert r["basis"].tolist() == ["target", "due_date"]  # share 0.5 before 1/3


def test_sla_errors_and_input_unchanged(sla_log):
    before = sla_log.events.copy()
    targets = {"B": 5}
    find_sla_breaches(sla_log, targets=targets, due_column="due")
    pd.testing.assert_frame_equal(sla_log.events, before)
    assert targets == {"B": 5}
    with pytest.raises(AnalysisError, match=r"\['Z'\].*known activities: \['A', 'B'\]"):
        find_sla_breaches(sla_log, targets={"Z": 1.0})
    with pytest.raises(AnalysisError, match=r"'dueDate' is not a column.*'due'"):
        find_sla_breaches(sla_log, due_column="dueDate")
    with pytest.raises(AnalysisError, match="`targets`.*or `due_column`"):
        find_sla_breaches(sla_log)
    with pytest.raises(AnalysisError, match="positive number"):
        find_sla_breaches(sla_log, targets={"B": -1})
    no_due = make_log(_sla_rows(due={}), columns=SLA_COLUMNS)
    with pytest.raises(AnalysisError, match="holds no value"):
        find_sla_breaches(no_due, due_column="due")
    only_bad = make_log(_sla_rows(due={"s1": "soon", "s2": "later"}), columns=SLA_COLUMNS)
    with pytest.raises(AnalysisError, match="`due_column` 'due'"):
        find_sla_breaches(only_bad, due_column="due")


def test_sla_figure_escapes_markup():
    log = make_log(_sla_rows(b="<b>x</b>"), columns=SLA_COLUMNS)
    sla = find_sla_breaches(log, targets={"<b>x</b>": 5.0})
    fig = sla.plot()
    assert list(fig.data[0].y) == ["&lt;b&gt;x&lt;/b&gt;"]
    assert "<b>x</b>" not in sla._repr_html_()


# --- results -------------------------------------------------------------------------------------------


def test_results_are_frozen(spectrum):
    with pytest.raises(AttributeError):
        spectrum.transitions = None  # type: ignore[misc]
    assert math.isclose(spectrum.settings["batch_tolerance_share"], perf.BATCH_TOLERANCE_SHARE)


# --- the bundled sample: what its generator plants (sample_logs/generate.py, truth.json) -------------


@pytest.fixture(scope="module")
def sample():
    from mapper import load_event_log

    return load_event_log(SAMPLE)


@pytest.fixture(scope="module")
def planted() -> dict:
    return json.loads(TRUTH.read_text())


def test_sample_contention_step_drifts_up_with_the_rush(sample, planted):
    # The rush doubles arrivals from truth["arrival_surge"]["start"] to ["end"]; the understaffed officers'
    # queue grows through it, so waiting before their step must be flagged up in a month of the rush.
    step = planted["waiting_causes"]["contention"]
    surge = planted["arrival_surge"]
    first = pd.Timestamp(surge["start"]).tz_convert(None).to_period("M").to_timestamp()
    last = pd.Timestamp(surge["end"]).tz_convert(None).to_period("M").to_timestamp()
    d = find_waiting_drift(sample, activities=[step])
    up = d.changes[d.changes["significant"] & (d.changes["direction"] == "up")]
    assert len(up) >= 1
    assert ((up["month"] >= first) & (up["month"] <= last)).all()
    assert (
        not d.changes[d.changes["significant"] & (d.changes["direction"] == "down")]["month"].lt(first).any()
    )


def test_sample_batched_step_shows_batching_in_the_spectrum(sample, planted):
    # Letters wait for the weekly run (truth["batch_release"]): their starts come together although the
    # cases arrive spread over the week.
    letter = planted["waiting_causes"]["batching"]
    t = performance_spectrum(sample).transitions
    into = t[t["target"] == letter]
    assert len(into) >= 1
    for _, r in into.iterrows():
        assert r["batched_share"] >= 0.9 and r["arrivals_bunched_share"] <= 0.1
    # The officers' queue is first come, first served: no overtaking before their step.
    contention = t[t["target"] == planted["waiting_causes"]["contention"]]
    assert len(contention) >= 1 and (contention["overtaking_share"] == 0).all()


def test_sample_drivers_behave_as_planted(sample, planted):
    rule = planted["readiness"]["rule_decision"]
    cycle = find_wait_drivers(sample)
    a = cycle.attributes.set_index("attribute")
    # Applications with too few documents go through the request-response loop with the applicant:
    # the threshold attribute is the strongest driver of cycle time, every level below the threshold
    # slower than every level at or above it.
    assert (
        cycle.attributes["attribute"].iloc[0] == rule["attribute"] and a.loc[rule["attribute"], "rank"] == 1
    )
    lv = cycle.levels[cycle.levels["attribute"] == rule["attribute"]]
    below = lv[lv["level"].astype(float) < rule["threshold"]]["median_hours"]
    above = lv[lv["level"].astype(float) >= rule["threshold"]]["median_hours"]
    assert below.min() > above.max()
    # Major applications get longer assessments and more Highways consultations: the slowest type.
    types = cycle.levels[cycle.levels["attribute"] == "application_type"].set_index("level")
    assert types["median_hours"].idxmax() == "major" and types.loc["major", "ratio"] > 1
    # The channel changes the decision's outcome only (the equity case), never a duration.
    assert not a.loc[planted["readiness"]["equity"]["attribute"], "significant"]
    # The seniors take urgent cases first: priority is the driver of waiting before the overtaken step.
    step = planted["waiting_causes"]["prioritisation"]
    w = find_wait_drivers(sample, target="waiting", activity=step)
    assert w.attributes["attribute"].iloc[0] == "priority" and w.attributes["significant"].iloc[0]
    pr = w.levels[w.levels["attribute"] == "priority"].set_index("level")
    assert (
        pr.loc["urgent", "ratio"] < 1
        and pr.loc["urgent", "cliffs_delta"] < 0
        and pr.loc["urgent", "significant"]
    )


# --- real logs (slow) --------------------------------------------------------------------------------


@pytest.mark.slow
def test_bpic15_due_dates_are_all_read():
    from mapper import load_event_log
    from tests.conftest import shared_log

    log = load_event_log(shared_log("BPIC15_1.csv.gz"))
    sla = find_sla_breaches(log, due_column="dueDate")
    s = sla.summary
    # 3,340 events carry a dueDate (ISO 8601 with offsets), at least one in each of the 1,199 cases.
    assert (s["due_values"], s["unparseable"], s["cases_with_due"]) == (3340, 0, 1199)
    assert int(sla.activities["instances"].sum()) == 3340
    assert 0 < s["cases_breached"] == len(sla.cases) < 1199
    assert (sla.cases["hours_over_max"] > 0).all()


@pytest.mark.slow
def test_road_traffic_views_on_a_dates_only_log():
    from mapper import load_event_log
    from tests.conftest import shared_log

    log = load_event_log(shared_log("Road_Traffic_Fine_Management_Process.csv.gz"))
    ps = performance_spectrum(log)
    t = ps.transitions
    assert (t["drawn"] == t["occurrences"].clip(upper=2000)).all() and ps.waiting_includes_processing
    # Dates only: instants coincide by the day at both ends, so the indicator shows no batching signal.
    assert (t["arrivals_bunched_share"] > 0.9).all()
    d = find_waiting_drift(log)
    # Credit collection comes a year or more after the penalty: the months of the last year and a half
    # before the log's end (June 2013) are incomplete, and so are the comparisons touching them.
    m = d.monthly[
        (d.monthly["activity"] == "Send for Credit Collection") & (d.monthly["month"] >= "2012-01-01")
    ]
    assert len(m) and not m["complete"].any()
    c = d.changes[
        (d.changes["activity"] == "Send for Credit Collection") & (d.changes["month"] >= "2012-01-01")
    ]
    assert c["censored"].all() and not c["significant"].any()
    drivers = find_wait_drivers(log)
    assert set(drivers.skipped["column"]) >= {"matricola", "totalPaymentAmount"}


def test_attribute_text_as_pandas_writes_it():
    # The drivers read attributes as text in the engine: the same text as pandas' astype("string"),
    # missing values (booleans included) staying missing.
    import ibis

    from analysis.queries.performance import text_value

    frame = pd.DataFrame(
        {
            "flag": pd.array([True, None, False], dtype="boolean"),
            "amount": [157.0, np.nan, 0.1 + 0.2],
            "n": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    t = ibis.memtable(frame)
    got = t.select(**{c: text_value(t[c]) for c in frame.columns}).to_pandas()
    for c in frame.columns:
        assert got[c].where(got[c].notna(), None).tolist() == [
            None if pd.isna(v) else v for v in frame[c].astype("string")
        ]
