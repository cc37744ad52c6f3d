"""filter_log and the picker helpers on a hand-made log whose answers are worked out below."""

from __future__ import annotations

import pandas as pd
import pytest

from mapper import (
    AnalysisError,
    attribute_columns,
    attribute_values,
    filter_bounds,
    filter_log,
    load_event_log,
)
from mapper.discovery import discover_variants

# Six cases. Spans (first start or completion .. last completion) and cycle times:
#   c1  A B C    2024-01-01 08:00 .. 2024-01-01 12:00     4 h
#   c2  A B C    2024-01-10 08:00 .. 2024-01-15 08:00   120 h
#   c3  A C      2024-01-31 20:00 .. 2024-02-02 22:00    50 h
#   c4  A B B C  2024-02-10 08:00 .. 2024-02-11 10:00    26 h
#   c5  A C      2024-03-01 08:00 .. 2024-03-01 10:00     2 h
#   c6  A C      2024-02-02 08:00 .. 2024-02-20 08:00   432 h
# Variants as discover_variants numbers them: 1 = A C (3 cases), 2 = A B C (2), 3 = A B B C (1).
# vehicleClass is recorded on the A event only (X, Y, X, Z, -, Y); amount on A of c1 and c2.
LOG = (
    "case_id,activity,start_time,end_time,resource,role,vehicleClass,amount\n"
    "c1,A,2024-01-01 08:00,2024-01-01 09:00,r1,team1,X,10\n"
    "c1,B,2024-01-01 10:00,2024-01-01 11:00,r2,team2,,\n"
    "c1,C,,2024-01-01 12:00,r1,team1,,\n"
    "c2,A,2024-01-10 08:00,2024-01-10 09:00,r1,team1,Y,20\n"
    "c2,B,,2024-01-12 08:00,r3,team2,,\n"
    "c2,C,,2024-01-15 08:00,r1,team1,,\n"
    "c3,A,2024-01-31 20:00,2024-01-31 22:00,r2,team2,X,\n"
    "c3,C,,2024-02-02 22:00,r2,team2,,\n"
    "c4,A,2024-02-10 08:00,2024-02-10 10:00,r3,team2,Z,\n"
    "c4,B,,2024-02-10 12:00,r2,team2,,\n"
    "c4,B,,2024-02-11 09:00,r2,team2,,\n"
    "c4,C,,2024-02-11 10:00,r1,team1,,\n"
    "c5,A,2024-03-01 08:00,2024-03-01 09:00,r1,team1,,\n"
    "c5,C,,2024-03-01 10:00,r1,team1,,\n"
    "c6,A,2024-02-02 08:00,2024-02-02 09:00,r3,team2,Y,\n"
    "c6,C,,2024-02-20 08:00,r1,team1,,\n"
)
ALL = {"c1", "c2", "c3", "c4", "c5", "c6"}
#: A window that tells the four case modes apart (see the spans above).
WINDOW = ("2024-01-12 00:00", "2024-02-03 00:00")


@pytest.fixture
def log(write_csv):
    return load_event_log(write_csv("filters.csv", LOG), timestamp="end_time", start_timestamp="start_time")


def cases(log) -> set[str]:
    return set(log.events["case_id"])


# --- time -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("intersecting", {"c2", "c3", "c6"}),
        ("contained", {"c3"}),
        ("started", {"c3", "c6"}),
        ("completed", {"c2", "c3"}),
    ],
)
def test_time_modes_keep_whole_cases(log, mode, expected):
    out = filter_log(log, time_range=WINDOW, time_mode=mode)
    assert cases(out) == expected
    kept = log.events[log.events["case_id"].isin(expected)].reset_index(drop=True)
    pd.testing.assert_frame_equal(out.events, kept)
    words = {"intersecting": "intersecting", "contained": "contained in"}.get(mode, f"{mode} in")
    assert out.filters == (f"cases {words} 2024-01-12 00:00 UTC – 2024-02-03 00:00 UTC",)


def test_trim_keeps_the_events_completed_in_the_range(log):
    out = filter_log(log, time_range=WINDOW, time_mode="trim")
    got = list(zip(out.events["case_id"], out.events["activity"], strict=True))
    assert got == [("c2", "B"), ("c2", "C"), ("c3", "A"), ("c3", "C"), ("c6", "A")]
    assert out.filters == ("events completed in 2024-01-12 00:00 UTC – 2024-02-03 00:00 UTC",)


def test_time_bounds_are_inclusive_and_may_be_open(log):
    # c1 completes exactly at the end of the range, c5 starts exactly at its start
    assert cases(filter_log(log, time_range=(None, "2024-01-01 12:00"), time_mode="completed")) == {"c1"}
    assert cases(filter_log(log, time_range=("2024-03-01 08:00", None), time_mode="started")) == {"c5"}
    out = filter_log(log, time_range=(pd.Timestamp("2024-02-20 08:00", tz="UTC"), None))
    assert cases(out) == {"c5", "c6"}
    assert out.filters == ("cases intersecting 2024-02-20 08:00 UTC – …",)


def test_naive_bounds_are_taken_in_the_log_time_zone(write_csv):
    tokyo = load_event_log(
        write_csv("tokyo.csv", LOG), timestamp="end_time", start_timestamp="start_time", timezone="Asia/Tokyo"
    )
    assert cases(filter_log(tokyo, time_range=WINDOW, time_mode="contained")) == {"c3"}
    aware = (pd.Timestamp("2024-01-12", tz="Asia/Tokyo"), pd.Timestamp("2024-02-03", tz="Asia/Tokyo"))
    out = filter_log(tokyo, time_range=aware, time_mode="contained")
    assert cases(out) == {"c3"}
    assert out.filters == ("cases contained in 2024-01-12 00:00 Asia/Tokyo – 2024-02-03 00:00 Asia/Tokyo",)


def test_datetime_bounds_work(log):
    from datetime import datetime

    out = filter_log(log, time_range=(datetime(2024, 1, 12), datetime(2024, 2, 3)), time_mode="started")
    assert cases(out) == {"c3", "c6"}


# --- attributes -----------------------------------------------------------------------------------


def test_attribute_modes(log):
    with_b = filter_log(log, attributes={"activity": ["B"]})
    assert cases(with_b) == {"c1", "c2", "c4"}
    assert len(with_b.events) == 3 + 3 + 4  # whole cases
    assert with_b.filters == ("activity in {B} (cases with)",)
    without_b = filter_log(log, attributes={"activity": ["B"]}, attribute_mode="exclude")
    assert cases(without_b) == {"c3", "c5", "c6"}
    assert without_b.filters == ("activity in {B} (cases without)",)
    only_b = filter_log(log, attributes={"activity": ["B"]}, attribute_mode="events")
    assert list(only_b.events["case_id"]) == ["c1", "c2", "c4", "c4"]
    assert set(only_b.events["activity"]) == {"B"}
    assert only_b.summary()["cases"] == 3  # cases without a B are gone
    assert only_b.filters == ("activity in {B} (events)",)


def test_values_of_one_column_are_or_ed(log):
    out = filter_log(log, attributes={"resource": ["r3", "r2"]})
    assert cases(out) == {"c1", "c2", "c3", "c4", "c6"}
    assert out.filters == ("resource in {r3, r2} (cases with)",)
    events = filter_log(log, attributes={"resource": ["r3", "r2"]}, attribute_mode="events")
    assert set(events.events["resource"]) == {"r2", "r3"} and len(events.events) == 8


def test_columns_are_and_ed_per_case_or_per_event(log):
    # vehicleClass is on the A events only: per case, C and X are found on different events
    both = {"activity": ["C"], "vehicleClass": ["X"]}
    assert cases(filter_log(log, attributes=both)) == {"c1", "c3"}
    assert cases(filter_log(log, attributes=both, attribute_mode="exclude")) == {"c2", "c4", "c5", "c6"}
    out = filter_log(log, attributes={"activity": ["A"], "vehicleClass": ["X", "Y"]}, attribute_mode="events")
    assert list(zip(out.events["case_id"], out.events["activity"], strict=True)) == [
        ("c1", "A"),
        ("c2", "A"),
        ("c3", "A"),
        ("c6", "A"),
    ]
    assert out.filters == ("activity in {A} and vehicleClass in {X, Y} (events)",)


def test_cases_and_exclude_split_the_log(log):
    for attrs in ({"role": ["team2"]}, {"activity": ["B"], "resource": ["r3"]}, {"vehicleClass": ["Z"]}):
        kept = cases(filter_log(log, attributes=attrs))
        dropped = cases(filter_log(log, attributes=attrs, attribute_mode="exclude"))
        assert kept | dropped == ALL and not kept & dropped


def test_extra_attribute_values_are_compared_as_text(log):
    assert cases(filter_log(log, attributes={"vehicleClass": ["Y"]})) == {"c2", "c6"}
    assert cases(filter_log(log, attributes={"amount": [10, 20]})) == {"c1", "c2"}
    assert cases(filter_log(log, attributes={"vehicleClass": "X"})) == {"c1", "c3"}  # one string = one value
    # a column given no values is not filtered on
    assert filter_log(log, attributes={"vehicleClass": []}) is log


# --- variants and duration ------------------------------------------------------------------------


def test_variants_are_numbered_as_discover_variants_numbers_them(log):
    v = discover_variants(log)
    assert v["trace"].tolist() == [("A", "C"), ("A", "B", "C"), ("A", "B", "B", "C")]
    traces = log.events.groupby("case_id")["activity"].agg(tuple)
    for row in v.itertuples():
        out = filter_log(log, variants=[row.variant])
        assert cases(out) == set(traces[traces == row.trace].index)
        assert out.summary()["cases"] == row.cases
    out = filter_log(log, variants=[3, 1])
    assert cases(out) == {"c3", "c4", "c5", "c6"}
    assert out.filters == ("variants 1, 3",)
    assert filter_log(log, variants=[2]).filters == ("variant 2",)


def test_variants_on_the_sample_log(sample_log):
    v = discover_variants(sample_log)
    out = filter_log(sample_log, variants=[1, 2, 3])
    assert out.summary()["cases"] == int(v["cases"].head(3).sum())
    assert discover_variants(out)["trace"].tolist() == v["trace"].head(3).tolist()


def test_variants_keep_their_number_from_before_the_time_filter(log):
    # trimming leaves c2 with B, C only, but c2 is of variant 2 (A B C) in the log given
    out = filter_log(log, time_range=WINDOW, time_mode="trim", variants=[2])
    assert list(zip(out.events["case_id"], out.events["activity"], strict=True)) == [("c2", "B"), ("c2", "C")]


def test_case_hours_bounds_are_inclusive(log):
    out = filter_log(log, case_hours=(2, 50))
    assert cases(out) == {"c1", "c3", "c4", "c5"}
    assert out.filters == ("cycle time 2–50 hours",)
    assert cases(filter_log(log, case_hours=(None, 4.0))) == {"c1", "c5"}
    assert cases(filter_log(log, case_hours=(120, None))) == {"c2", "c6"}
    assert filter_log(log, case_hours=(120, None)).filters == ("cycle time ≥ 120 hours",)
    assert filter_log(log, case_hours=(None, 4)).filters == ("cycle time ≤ 4 hours",)


def test_case_hours_are_measured_after_trimming(log):
    # trimmed to B (Jan 12 08:00) and C (Jan 15 08:00), c2 lasts 72 h instead of 120 h
    out = filter_log(log, time_range=WINDOW, time_mode="trim", case_hours=(72, 72))
    assert cases(out) == {"c2"}


# --- the new log ----------------------------------------------------------------------------------


def test_all_filters_in_order_and_chaining_accumulates(log):
    out = filter_log(
        log,
        time_range=("2024-01-01", "2024-02-28"),
        attributes={"role": ["team1"]},
        variants=[1, 2],
        case_hours=(None, 100),
    )
    # time: c1 c2 c3 c4 c6; team1: not c3; variants 1, 2: not c4; at most 100 hours: not c2, c6
    assert cases(out) == {"c1"}
    assert out.filters == (
        "cases intersecting 2024-01-01 00:00 UTC – 2024-02-28 00:00 UTC",
        "role in {team1} (cases with)",
        "variants 1, 2",
        "cycle time ≤ 100 hours",
    )
    first = filter_log(log, variants=[1, 2])
    second = filter_log(first, case_hours=(3, None))
    assert cases(second) == {"c1", "c2", "c3", "c6"}
    assert second.filters == ("variants 1, 2", "cycle time ≥ 3 hours")
    assert second.summary()["filters"] == ["variants 1, 2", "cycle time ≥ 3 hours"]
    # variants of a filtered log are numbered on that log: A B C is now variant 1 of first's sub-log
    assert cases(filter_log(filter_log(log, variants=[2]), variants=[1])) == {"c1", "c2"}


def test_input_unchanged_and_the_rest_carried_over(log):
    before = log.events.copy()
    out = filter_log(log, attributes={"activity": ["B"]}, attribute_mode="events", case_hours=(0, 1000))
    pd.testing.assert_frame_equal(log.events, before)
    assert log.filters == () and log.summary()["filters"] == []
    assert log.summary()["cases"] == 6
    assert (out.source, out.mapping, out.quality, out.timezone) == (
        log.source,
        log.mapping,
        log.quality,
        log.timezone,
    )


def test_rows_keep_their_order_and_dtypes(log):
    out = filter_log(log, variants=[1, 3])
    assert list(out.events.columns) == list(log.events.columns)
    assert out.events.dtypes.equals(log.events.dtypes)
    in_order = log.events.loc[~log.events["case_id"].isin(["c1", "c2"]), "row_nr"]
    assert out.events["row_nr"].tolist() == in_order.tolist()
    assert out.events.index.equals(pd.RangeIndex(len(out.events)))


def test_no_filter_returns_the_log_itself(log):
    assert filter_log(log) is log
    assert (
        filter_log(log, time_range=(None, None), attributes={}, variants=[], case_hours=(None, None)) is log
    )


def test_no_case_left_says_which_filters_to_widen(log):
    with pytest.raises(AnalysisError) as err:
        filter_log(log, attributes={"activity": ["C"], "vehicleClass": ["X"]}, attribute_mode="events")
    msg = str(err.value)
    assert "No case of filters.csv is left" in msg
    assert "activity in {C} and vehicleClass in {X} (events)" in msg
    assert "Widen" in msg
    with pytest.raises(AnalysisError, match=r"variant 3; cycle time ≥ 100 hours.*Widen"):
        filter_log(log, variants=[3], case_hours=(100, None))
    narrowed = filter_log(log, variants=[3])
    with pytest.raises(AnalysisError, match=r"after the earlier filters: variant 3"):
        filter_log(narrowed, case_hours=(100, None))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"time_range": WINDOW, "time_mode": "overlapping"},
            ["time_mode", "'intersecting'", "'overlapping'"],
        ),
        (
            {"attributes": {"activity": ["A"]}, "attribute_mode": "keep"},
            ["attribute_mode", "'exclude'", "'keep'"],
        ),
        ({"time_range": ("2024-02-01", "2024-01-01")}, ["starts after it ends", "earlier time first"]),
        ({"time_range": ("soon", None)}, ["start of `time_range`", "'soon'", "ISO 8601"]),
        ({"time_range": "2024-01-01"}, ["`time_range` must be a pair"]),
        ({"attributes": {"colour": ["red"]}}, ["no column 'colour'", "vehicleClass", "activity"]),
        ({"attributes": ["activity"]}, ["`attributes` must be a dict"]),
        ({"variants": [0, 4, 2]}, ["no variant 0, 4", "1–3", "discover_variants"]),
        ({"variants": ["1"]}, ["`variants` must be variant numbers"]),
        ({"case_hours": (-1, 5)}, ["min of `case_hours` is negative"]),
        ({"case_hours": (5, 1)}, ["min 5.0 above max 1.0"]),
        ({"case_hours": ("1", None)}, ["min of `case_hours` must be a number"]),
        ({"case_hours": 5}, ["`case_hours` must be a pair"]),
    ],
)
def test_bad_arguments_are_explained(log, kwargs, words):
    with pytest.raises(AnalysisError) as err:
        filter_log(log, **kwargs)
    for w in words:
        assert w in str(err.value)


# --- pickers and bounds ---------------------------------------------------------------------------


def test_attribute_values(log):
    v = attribute_values(log, "vehicleClass")
    assert v.to_dict("list") == {"value": ["X", "Y", "Z"], "events": [2, 2, 1], "cases": [2, 2, 1]}
    assert v.dtypes.astype(str).tolist() == ["object", "int64", "int64"]
    acts = attribute_values(log, "activity")
    assert acts.to_dict("list") == {"value": ["A", "C", "B"], "events": [6, 6, 4], "cases": [6, 6, 3]}
    assert attribute_values(log, "activity", top=1)["value"].tolist() == ["A"]
    res = attribute_values(log, "resource")
    assert res["value"].tolist() == ["r1", "r2", "r3"] and res["cases"].tolist() == [5, 3, 3]
    with pytest.raises(AnalysisError, match="no column 'colour'.*vehicleClass"):
        attribute_values(log, "colour")
    with pytest.raises(AnalysisError, match="top must be a positive integer"):
        attribute_values(log, "activity", top=0)


def test_attribute_columns(log):
    cols = attribute_columns(log)
    assert cols.to_dict("list") == {
        "column": ["activity", "resource", "role", "vehicleClass", "amount"],
        "distinct": [3, 3, 2, 3, 2],
        "events_with_value": [16, 16, 16, 5, 2],
    }
    assert cols.dtypes.astype(str).tolist() == ["object", "int64", "int64"]
    assert attribute_columns(log, max_values=2)["column"].tolist() == ["role", "amount"]
    with pytest.raises(AnalysisError, match="max_values"):
        attribute_columns(log, max_values=0)


def test_filter_bounds(log):
    b = filter_bounds(log)
    assert b == {
        "start": pd.Timestamp("2024-01-01 08:00", tz="UTC"),
        "end": pd.Timestamp("2024-03-01 10:00", tz="UTC"),
        "case_hours_min": 2.0,
        "case_hours_max": 432.0,
    }
    # the bounds select every case
    every = filter_log(log, time_range=(b["start"], b["end"]), time_mode="contained")
    assert cases(filter_log(every, case_hours=(b["case_hours_min"], b["case_hours_max"]))) == ALL


# --- analysis on a filtered log -------------------------------------------------------------------


def test_analyze_a_filtered_sample_log(sample_log, tmp_path):
    import json

    from analysis import analyze
    from analysis.findings import FINDINGS_SCHEMA_VERSION

    ward = attribute_values(sample_log, "ward")["value"].iloc[0]
    filtered = filter_log(sample_log, attributes={"ward": [ward]}, case_hours=(None, 400))
    findings = analyze(filtered, impact="analytical")
    assert 0 < findings.summary["cases"] < sample_log.summary()["cases"]
    assert findings.summary["filters"] == [f"ward in {{{ward}}} (cases with)", "cycle time ≤ 400 hours"]
    doc = json.loads(findings.to_json())
    assert doc["log"]["filters"] == findings.summary["filters"]
    assert doc["schema_version"] == FINDINGS_SCHEMA_VERSION


def test_cycle_time_bounds_are_described_readably(log):
    out = filter_log(log, case_hours=(None, 197.58597222222227))
    assert out.filters == ("cycle time ≤ 197.59 hours",)
