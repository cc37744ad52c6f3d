"""load_event_log on hand-made logs with known answers: counts, drops, repairs, lifecycles, ties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper import EventLog, load_event_log
from mapper.discovery import discover_variants
from mapper.errors import EventLogError, TimestampError


def _utc(*values):
    return [pd.Timestamp(v, tz="UTC") if v is not None else pd.NaT for v in values]


SMALL = (
    "case_id,activity,timestamp,resource,amount\n"
    "c1,Register,2024-03-01 09:00,ann,10\n"
    "c1,Check,2024-03-01 10:30,bob,\n"
    "c2,Register,2024-03-02 08:00,ann,20\n"
    "c1,Approve,2024-03-01 12:00,cat,\n"
    "c2,Check,2024-03-02 09:00,bob,\n"
    "c3,Register,2024-03-03 07:15,dan,5\n"
    "c2,Reject,2024-03-02 11:00,cat,\n"
)


def test_counts_and_canonical_columns(write_csv):
    log = load_event_log(write_csv("small.csv", SMALL))
    assert isinstance(log, EventLog)
    ev = log.events
    assert list(ev.columns) == ["row_nr", "case_id", "activity", "timestamp", "resource", "amount"]
    assert len(ev) == 7
    assert ev["case_id"].nunique() == 3
    assert list(ev["row_nr"]) == list(range(7))
    assert str(ev["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert ev["row_nr"].dtype == "int64"
    # other attributes are kept untouched, as text
    assert ev["amount"].where(ev["amount"].notna(), None).tolist() == [
        "10",
        None,
        "20",
        None,
        None,
        "5",
        None,
    ]
    q = log.quality
    assert (q.source, q.format, q.rows_read, q.rows_kept, q.rows_dropped) == ("small.csv", "csv", 7, 7, 0)
    assert q.reasons == {} and q.repairs == {}
    assert q.details["delimiter"] == ","
    assert q.details["compressed"] is False
    assert log.has_resources and not log.has_start_timestamps and not log.has_roles
    assert repr(log) == "EventLog('small.csv': 7 events)"


def test_summary_values(write_csv):
    log = load_event_log(write_csv("small.csv.gz", SMALL))
    assert log.summary() == {
        "source": "small.csv.gz",
        "cases": 3,
        "events": 7,
        "activities": 4,
        "variants": 3,
        "resources": 4,
        "roles": 0,
        "start": "2024-03-01T09:00:00+00:00",
        "end": "2024-03-03T07:15:00+00:00",
        "has_start_timestamps": False,
        "start_times_estimated": False,
        "systems": [],
        "filters": [],
    }
    assert log.quality.details["compressed"] is True


def test_one_bad_timestamp_is_an_error_naming_row_line_and_column(write_csv):
    path = write_csv(
        "bad.csv",
        "case_id,activity,timestamp\n1,A,2024-01-01 10:00\n1,B,31/02/2024 x\n2,A,2024-01-03 10:00\n",
    )
    with pytest.raises(TimestampError) as info:
        load_event_log(path)
    msg = str(info.value)
    assert msg.startswith("bad.csv: column 'timestamp' has 1 value(s) that are not timestamps")
    assert "row 2 (line 3): '31/02/2024 x'" in msg
    assert "`on_bad_timestamp='drop'`" in msg and "`timestamp_format`" in msg
    assert info.value.parameters == ("timestamp_format", "on_bad_timestamp")


def test_bad_timestamp_in_xes_names_the_event(write_xes):
    path = write_xes(
        "bad.xes",
        [
            (
                "c1",
                [
                    ("A", "2024-01-01T10:00:00+00:00"),
                    ("B", "yesterday-ish"),
                    ("C", "2024-01-01T12:00:00+00:00"),
                ],
            )
        ],
    )
    with pytest.raises(TimestampError, match=r"bad\.xes: column 'time:timestamp'.*event 2: 'yesterday-ish'"):
        load_event_log(path)


def test_bad_timestamp_dropped_and_reported(write_csv):
    path = write_csv(
        "bad.csv",
        "case_id,activity,timestamp\n1,A,2024-01-01 10:00\n1,B,not a time\n"
        "2,A,2024-01-03 10:00\n2,B,2024-01-03 11:00\n",
    )
    log = load_event_log(path, on_bad_timestamp="drop")
    q = log.quality
    reason = "unparseable timestamp (column 'timestamp')"
    assert q.reasons == {reason: 1}
    assert q.examples == {reason: [2]}
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (4, 3, 1)
    assert list(log.events["row_nr"]) == [0, 2, 3]
    assert list(log.events["activity"]) == ["A", "A", "B"]


def test_missing_values_are_dropped_and_counted(write_csv):
    text = (
        "case_id,activity,timestamp,resource\n"
        "1,A,2024-01-01 08:00,ann\n"  # row 1 kept
        "1,B,2024-01-01 09:00,bob\n"  # row 2 kept
        ",C,2024-01-01 10:00,ann\n"  # row 3: no case id
        "2,,2024-01-02 08:00,ann\n"  # row 4: no activity
        "2,A,,bob\n"  # row 5: no timestamp
        "2,A,2024-01-02 08:00,bob\n"  # row 6 kept
        "  ,B,2024-01-02 09:00,ann\n"  # row 7: blank case id
        "3,A,2024-01-03 08:00,\n"  # row 8 kept, no resource
    )
    log = load_event_log(write_csv("gaps.csv", text))
    q = log.quality
    assert q.reasons == {
        "missing case_id (column 'case_id')": 2,
        "missing activity (column 'activity')": 1,
        "missing timestamp (column 'timestamp')": 1,
    }
    assert q.examples == {
        "missing case_id (column 'case_id')": [3, 7],
        "missing activity (column 'activity')": [4],
        "missing timestamp (column 'timestamp')": [5],
    }
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (8, 4, 4)
    assert q.rows_read == q.rows_kept + q.rows_dropped
    assert len(log.events) == q.rows_kept
    assert list(log.events["row_nr"]) == [0, 1, 5, 7]
    assert list(log.events["case_id"]) == ["1", "1", "2", "3"]
    assert log.events["resource"].tolist() == ["ann", "bob", "bob", None]
    assert q.to_frame().to_dict("list") == {
        "outcome": ["kept", "dropped", "dropped", "dropped"],
        "reason": [
            "part of the event table",
            "missing case_id (column 'case_id')",
            "missing activity (column 'activity')",
            "missing timestamp (column 'timestamp')",
        ],
        "rows": [4, 2, 1, 1],
    }


def test_no_event_left_is_an_error(write_csv):
    path = write_csv("none.csv", "case_id,activity,timestamp\n,A,2024-01-01\n1,,2024-01-02\n")
    with pytest.raises(EventLogError, match=r"none\.csv: no event is left after dropping unusable rows"):
        load_event_log(path)


def test_empty_dataframe_is_an_error():
    with pytest.raises(EventLogError, match="the DataFrame has no rows"):
        load_event_log(pd.DataFrame({"case_id": [], "activity": [], "timestamp": []}))


def test_leading_zero_case_ids_stay_text(write_csv):
    text = (
        "case_id,activity,timestamp\n007,A,2024-01-01\n007,B,2024-01-02\n0042,A,2024-01-01\n42,A,2024-01-05\n"
    )
    log = load_event_log(write_csv("ids.csv", text))
    assert list(log.events["case_id"]) == ["007", "007", "0042", "42"]
    assert log.summary()["cases"] == 3


def test_leading_zero_case_ids_in_xes(write_xes):
    log = load_event_log(
        write_xes(
            "ids.xes.gz", [("007", [("A", "2024-01-01T00:00:00Z")]), ("7", [("A", "2024-01-02T00:00:00Z")])]
        )
    )
    assert list(log.events["case_id"]) == ["007", "7"]
    assert log.quality.details["traces"] == 2


LIFECYCLE_TRACES = [
    (
        "c1",
        [
            ("A", "2024-01-01T10:00:00+00:00", "start", "ann"),  # event 1
            ("A", "2024-01-01T11:00:00+00:00", "complete", "ann"),  # event 2 (pairs with 1)
            ("B", "2024-01-01T11:05:00+00:00", "schedule"),  # event 3 (scheduled B, attached to 4-5)
            ("B", "2024-01-01T11:30:00+00:00", "start", "bob"),  # event 4
            ("B", "2024-01-01T12:30:00+00:00", "complete", "bob"),  # event 5 (pairs with 4)
            ("C", "2024-01-01T13:00:00+00:00", "complete", "cat"),  # event 6 (unmatched complete)
            ("D", "2024-01-01T14:00:00+00:00", "start", "dan"),  # event 7 (unmatched start)
        ],
    ),
    (
        "c2",
        [
            ("A", "2024-01-02T09:00:00+01:00", "START", "eve"),  # event 8 (upper case, +01:00)
            ("A", "2024-01-02T09:30:00+00:00", "COMPLETE", "eve"),  # event 9 (pairs with 8)
            ("B", "2024-01-02T10:00:00+00:00", "complete", "bob"),  # event 10 (unmatched complete)
        ],
    ),
]


def test_lifecycle_start_complete_pairing(write_xes):
    log = load_event_log(write_xes("lc.xes", LIFECYCLE_TRACES))
    ev = log.events
    assert "lifecycle" not in ev.columns
    assert list(ev["row_nr"]) == [1, 4, 5, 6, 8, 9]
    assert list(ev["case_id"]) == ["c1", "c1", "c1", "c1", "c2", "c2"]
    assert list(ev["activity"]) == ["A", "B", "C", "D", "A", "B"]
    assert list(ev["timestamp"]) == _utc(
        "2024-01-01 11:00",
        "2024-01-01 12:30",
        "2024-01-01 13:00",
        "2024-01-01 14:00",
        "2024-01-02 09:30",
        "2024-01-02 10:00",
    )
    assert list(ev["start_timestamp"]) == _utc(
        "2024-01-01 10:00", "2024-01-01 11:30", None, None, "2024-01-02 08:00", None
    )
    assert list(ev["resource"]) == ["ann", "bob", "cat", "dan", "eve", "bob"]
    q = log.quality
    assert q.details["lifecycle"] == {
        "transitions": {"complete": 5, "start": 4, "schedule": 1},
        "paired": 3,
        "unmatched_complete": 2,
        "unmatched_start": 1,
        "schedule_paired": 1,
    }
    assert list(ev["schedule_timestamp"]) == _utc(None, "2024-01-01 11:05", None, None, None, None)
    assert "assign_timestamp" not in ev
    assert q.reasons == {}
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (10, 10, 0)
    assert (
        "Lifecycle pairing: 3 start/complete pairs; 2 complete and 1 start events without a partner are "
        "kept as completion-only events."
    ) in q.notes
    assert log.has_start_timestamps
    assert log.summary()["start"] == "2024-01-01T10:00:00+00:00"
    assert log.summary()["events"] == 6


def test_lifecycle_resource_taken_from_start_event(write_xes):
    traces = [
        ("c1", [("A", "2024-01-01T10:00:00Z", "start", "ann"), ("A", "2024-01-01T11:00:00Z", "complete")])
    ]
    log = load_event_log(write_xes("lc.xes", traces))
    assert list(log.events["resource"]) == ["ann"]
    assert log.quality.repairs == {"resource missing on the complete event: taken from its start event": 1}
    assert log.quality.examples["resource missing on the complete event: taken from its start event"] == [2]


def test_lifecycle_resource_repair_not_counted_when_start_has_none(write_xes):
    traces = [
        (
            "c1",
            [
                ("A", "2024-01-01T10:00:00Z", "start"),
                ("A", "2024-01-01T11:00:00Z", "complete"),
                ("B", "2024-01-01T12:00:00Z", "complete", "bob"),
            ],
        )
    ]
    log = load_event_log(write_xes("lc.xes", traces))
    assert list(log.events["resource"]) == [None, "bob"]
    assert log.quality.repairs == {}


def test_lifecycle_pairing_in_the_engine_worked_example():
    """Overlapping instances, a tie, numeric case ids, a dropped row before a dropped transition, an
    assign attached to a start, and a completion taking its start's resource; worked by hand."""
    df = pd.DataFrame(
        {
            "case_id": [None, 1, 1, 1, 1, 1, 2, 2, 2, 2],
            "activity": ["A", "A", "A", "A", "A", "A", "B", "B", "B", "B"],
            "timestamp": [
                "2024-01-01 08:00",  # row 1: no case id, dropped first
                "2024-01-01 09:00",  # row 2: start (outer, unmatched: a start follows)
                "2024-01-01 09:10",  # row 3: start (inner, pairs with row 4)
                "2024-01-01 09:20",  # row 4: complete without resource: takes bob from row 3
                "2024-01-01 09:30",  # row 5: complete (outer, unmatched: a complete precedes)
                "2024-01-01 09:15",  # row 6: suspend, dropped
                "2024-01-01 10:00",  # row 7: assign, attached to the instance begun by row 8
                "2024-01-01 10:00",  # row 8: start, same time as row 7 (file order decides)
                "2024-01-01 11:00",  # row 9: complete, pairs with row 8 (no resource on either)
                "2024-01-01 11:00",  # row 10: complete at the same time, after row 9: unmatched
            ],
            "lifecycle": [
                "complete", "start", "start", "complete", "complete", "suspend",
                "assign", "start", "complete", "Complete",
            ],
            "resource": [None, "ann", "bob", None, "cat", "ann", "dan", None, None, "eve"],
        }
    )  # fmt: skip
    log = load_event_log(df)
    ev = log.events
    assert list(ev.columns[-2:]) == ["start_timestamp", "assign_timestamp"]
    assert "lifecycle" not in ev and "schedule_timestamp" not in ev
    assert list(ev["row_nr"]) == [1, 3, 4, 8, 9]
    assert list(ev["case_id"]) == ["1", "1", "1", "2", "2"]
    assert list(ev["timestamp"]) == _utc(
        "2024-01-01 09:00", "2024-01-01 09:20", "2024-01-01 09:30", "2024-01-01 11:00", "2024-01-01 11:00"
    )
    assert list(ev["start_timestamp"]) == _utc(None, "2024-01-01 09:10", None, "2024-01-01 10:00", None)
    assert list(ev["assign_timestamp"]) == _utc(None, None, None, "2024-01-01 10:00", None)
    assert str(ev["assign_timestamp"].dtype) == "datetime64[ns, UTC]"
    assert list(ev["resource"]) == ["ann", "bob", "cat", None, "eve"]
    q = log.quality
    suspend = "lifecycle transition 'suspend' (only schedule, assign, start and complete are used)"
    assert q.reasons == {"missing case_id (column 'case_id')": 1, suspend: 1}
    assert q.examples[suspend] == [6]  # the source row, not its position after row 1 was dropped
    repair = "resource missing on the complete event: taken from its start event"
    assert q.repairs == {repair: 1} and q.examples[repair] == [4]
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (10, 8, 2)
    assert q.details["lifecycle"] == {
        "transitions": {"complete": 4, "start": 3, "suspend": 1, "assign": 1},
        "paired": 2,
        "unmatched_complete": 2,
        "unmatched_start": 1,
        "assign_paired": 1,
    }
    assert (q.details["tied_events"], q.details["tied_cases"]) == (2, 1)
    assert q.notes[-3:-1] == [
        "Lifecycle pairing: 2 start/complete pairs; 2 complete and 1 start events without a partner are "
        "kept as completion-only events.",
        "Lifecycle pairing: 1 assign events (column assign_timestamp) attached to the instance they precede.",
    ]


def test_lifecycle_from_csv_dataframe_with_plain_names():
    df = pd.DataFrame(
        {
            "case_id": ["1", "1", "1", "1"],
            "activity": ["A", "A", "B", "B"],
            "transition": ["start", "complete", "start", "complete"],
            "timestamp": ["2024-01-01 08:00", "2024-01-01 08:45", "2024-01-01 09:00", "2024-01-01 10:00"],
        }
    )
    log = load_event_log(df)
    assert list(log.events["start_timestamp"]) == _utc("2024-01-01 08:00", "2024-01-01 09:00")
    assert list(log.events["timestamp"]) == _utc("2024-01-01 08:45", "2024-01-01 10:00")
    assert log.quality.details["lifecycle"]["paired"] == 2
    assert log.quality.format == "dataframe" and log.source == "<DataFrame>"


def test_start_lifecycle_and_start_column_together_are_refused():
    df = pd.DataFrame(
        {
            "case_id": ["1", "1"],
            "activity": ["A", "A"],
            "lifecycle": ["start", "complete"],
            "start_time": ["2024-01-01 07:00", "2024-01-01 07:00"],
            "timestamp": ["2024-01-01 08:00", "2024-01-01 09:00"],
        }
    )
    with pytest.raises(EventLogError, match="both a start-time column and start lifecycle events"):
        load_event_log(df)


def test_start_after_completion_is_removed_and_counted(write_csv):
    text = (
        "case_id,activity,start_time,end_time\n"
        "1,A,2024-01-01 10:00,2024-01-01 09:00\n"  # start after end: start removed
        "1,B,2024-01-01 10:00,2024-01-01 11:00\n"
        "1,C,,2024-01-01 12:00\n"  # no start
        "2,A,2024-01-01 10:00,2024-01-01 10:00\n"  # start == end is fine
    )
    log = load_event_log(write_csv("st.csv", text))
    ev = log.events
    assert list(ev["start_timestamp"]) == _utc(None, "2024-01-01 10:00", None, "2024-01-01 10:00")
    assert list(ev["timestamp"]) == _utc(
        "2024-01-01 09:00", "2024-01-01 11:00", "2024-01-01 12:00", "2024-01-01 10:00"
    )
    key = "start in 'start_time' after the completion: event kept without a start"
    assert log.quality.repairs == {key: 1}
    assert log.quality.examples == {key: [1]}
    assert log.quality.rows_dropped == 0
    assert (
        "1 events have no start time in 'start_time'; their processing time is unknown." in log.quality.notes
    )


def test_bad_start_timestamp_kept_without_start_when_dropping(write_csv):
    text = (
        "case_id,activity,start_time,end_time\n"
        "1,A,bogus,2024-01-01 09:00\n"
        "1,B,2024-01-01 10:00,2024-01-01 11:00\n"
    )
    path = write_csv("st.csv", text)
    with pytest.raises(TimestampError, match=r"column 'start_time'.*row 1 \(line 2\): 'bogus'"):
        load_event_log(path)
    log = load_event_log(path, on_bad_timestamp="drop")
    assert len(log.events) == 2
    assert list(log.events["start_timestamp"]) == _utc(None, "2024-01-01 10:00")
    assert log.quality.repairs == {
        "unparseable start timestamp in 'start_time': event kept without a start": 1
    }


def test_input_dataframe_is_not_modified():
    df = pd.DataFrame(
        {
            "Case": [" 007", "007", "008", None, "008", "008"],
            "Task": ["A", "A", "B", "C", " ", "B"],
            "lifecycle:transition": ["start", "complete", "complete", "complete", "complete", "schedule"],
            "When": [
                "2024-07-01 10:00",
                "2024-07-01 11:00",
                "2024-07-02 09:00",
                "2024-07-02 10:00",
                "2024-07-02 10:30",
                "2024-07-02 11:00",
            ],
            "who": ["ann", None, "bob", "bob", "cat", "cat"],
            "cost": [1.5, 2.0, float("nan"), 4.0, 5.0, 6.0],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    before = df.copy(deep=True)
    log = load_event_log(
        df, case_id="Case", activity="Task", timestamp="When", resource="who", timezone="Europe/London"
    )
    pd.testing.assert_frame_equal(df, before)
    assert list(log.events["case_id"]) == ["007", "008"]
    assert list(log.events["resource"]) == ["ann", "bob"]
    assert list(log.events["timestamp"]) == _utc("2024-07-01 10:00", "2024-07-02 08:00")
    assert list(log.events["start_timestamp"]) == _utc("2024-07-01 09:00", None)
    # modifying the event table does not reach the caller's frame either
    log.events.loc[0, "cost"] = 99.0
    pd.testing.assert_frame_equal(df, before)


def test_tied_timestamps_are_noted_and_ordered_by_file_position(write_csv):
    text = (
        "case_id,activity,timestamp\n"
        "1,A,2024-01-01 10:00\n"
        "1,C,2024-01-01 11:00\n"  # C before B in the file, same time
        "1,B,2024-01-01 11:00\n"
        "2,A,2024-01-01 10:00\n"
        "2,B,2024-01-01 11:00\n"  # B before C in the file, same time
        "2,C,2024-01-01 11:00\n"
        "3,B,2024-01-01 12:00\n"  # out of time order in the file: sorted by time
        "3,A,2024-01-01 09:00\n"
    )
    log = load_event_log(write_csv("ties.csv", text))
    assert log.quality.details["tied_events"] == 4
    assert log.quality.details["tied_cases"] == 2
    assert (
        "4 events in 2 cases share their timestamp with another event of the same case; they are ordered "
        "by their position in the file."
    ) in log.quality.notes
    v = discover_variants(log)
    assert set(zip(v["trace"], v["cases"], strict=True)) == {
        (("A", "C", "B"), 1),
        (("A", "B", "C"), 1),
        (("A", "B"), 1),
    }


def test_no_ties_no_note(write_csv):
    log = load_event_log(write_csv("small.csv", SMALL))
    assert log.quality.details["tied_events"] == 0
    assert not any("share their timestamp" in n for n in log.quality.notes)


def test_integral_float_ids_lose_their_decimal_part():
    df = pd.DataFrame(
        {
            "case_id": [1.0, 1.0, 2.0],
            "activity": ["A", "B", "A"],
            "timestamp": ["2024-01-01", "2024-01-02", "2024-01-01"],
        }
    )
    log = load_event_log(df)
    assert list(log.events["case_id"]) == ["1", "1", "2"]


def test_parquet_roundtrip_with_native_timestamps(tmp_path):
    df = pd.DataFrame(
        {
            "case_id": ["007", "007", "008"],
            "activity": ["A", "B", "A"],
            "timestamp": pd.to_datetime(["2024-07-01 10:00", "2024-07-01 11:00", "2024-01-02 10:00"]),
            "org:resource": ["ann", None, "bob"],
        }
    )
    path = tmp_path / "log.parquet"
    df.to_parquet(path)
    log = load_event_log(path, timezone="Europe/London")
    assert log.quality.format == "parquet"
    assert list(log.events["case_id"]) == ["007", "007", "008"]
    assert list(log.events["timestamp"]) == _utc("2024-07-01 09:00", "2024-07-01 10:00", "2024-01-02 10:00")
    assert list(log.events["resource"]) == ["ann", None, "bob"]
    assert log.quality.details["timestamp_format"] == "native datetime"


# --- row accounting, property-based ---------------------------------------------------------------

_CASES = st.sampled_from(["1", "2", " 3 ", "", "007"])
_ACTS = st.sampled_from(["A", "B", "", "C"])
_TIMES = st.sampled_from(["2024-01-01 10:00", "2024-01-02 11:30", "2024-01-01 10:00", "", "not a time"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_CASES, _ACTS, _TIMES), min_size=1, max_size=12))
def test_every_row_is_accounted_for(rows, tmp_path):
    text = "case_id,activity,timestamp\n" + "".join(f"{c},{a},{t}\n" for c, a, t in rows)
    path = tmp_path / "prop.csv"
    path.write_text(text)
    usable = [(c, a, t) for c, a, t in rows if c.strip() and a.strip()]
    kept = [(c.strip(), a) for c, a, t in usable if t and t != "not a time"]
    if not kept:  # every row unusable: a TimestampError (all present values bad) or "no event is left"
        with pytest.raises(EventLogError):
            load_event_log(path, on_bad_timestamp="drop")
        return
    log = load_event_log(path, on_bad_timestamp="drop")
    q = log.quality
    assert q.rows_read == len(rows)
    assert q.rows_read == q.rows_kept + q.rows_dropped
    assert sum(q.reasons.values()) == q.rows_dropped
    assert len(log.events) == q.rows_kept == len(kept)
    assert list(zip(log.events["case_id"], log.events["activity"], strict=True)) == kept
    assert log.events["row_nr"].is_monotonic_increasing


def test_a_column_named_like_a_canonical_one_but_not_mapped_is_kept():
    df = pd.DataFrame(
        {
            "case:concept:name": ["1", "1"],
            "case_id": ["x", "y"],
            "concept:name": ["A", "B"],
            "time:timestamp": ["2024-01-01", "2024-01-02"],
        }
    )
    log = load_event_log(df)
    assert log.events["case_id"].tolist() == ["1", "1"]
    assert log.events["source_case_id"].tolist() == ["x", "y"]
    assert any("source_case_id" in n for n in log.quality.notes)


def test_xes_events_outside_a_trace_are_counted_not_lost(tmp_path):
    path = tmp_path / "loose.xes"

    def event(name: str, day: str) -> str:
        return (
            f'<event><string key="concept:name" value="{name}"/>'
            f'<date key="time:timestamp" value="2024-01-{day}T00:00:00Z"/></event>'
        )

    path.write_text(
        '<log><trace><string key="concept:name" value="c1"/>'
        + event("A", "01")
        + "</trace>"
        + event("B", "02")
        + "</log>"
    )
    log = load_event_log(path)
    assert log.quality.rows_read == 2 and log.quality.rows_dropped == 1
    assert any("case_id" in r for r in log.quality.reasons)


def test_schedule_and_assign_attach_to_the_next_instance_to_begin(write_xes):
    traces = [
        (
            "c1",
            [
                ("W", "2024-01-01T08:00:00Z", "schedule"),  # 1 -> instance 3-5
                ("W", "2024-01-01T08:30:00Z", "assign", "ann"),  # 2 the assignment of 3-5
                ("W", "2024-01-01T09:00:00Z", "start", "ann"),  # 3
                ("W", "2024-01-01T09:10:00Z", "schedule"),  # 4 -> next instance (7-8), not 5
                ("W", "2024-01-01T09:30:00Z", "complete", "ann"),  # 5 closes 3
                ("W", "2024-01-01T10:00:00Z", "assign", "bob"),  # 6 superseded by 7
                ("W", "2024-01-01T10:05:00Z", "assign", "cat"),  # 7 the assignment of 8-9
                ("W", "2024-01-01T11:00:00Z", "start", "cat"),  # 8
                ("W", "2024-01-01T12:00:00Z", "complete", "cat"),  # 9
                ("W", "2024-01-01T12:30:00Z", "assign", "dan"),  # 10 after the work: late
                ("W", "2024-01-01T13:00:00Z", "schedule"),  # 11 nothing follows: unmatched
            ],
        )
    ]
    log = load_event_log(write_xes("sched.xes", traces))
    ev = log.events
    assert list(ev["row_nr"]) == [4, 8]
    assert list(ev["schedule_timestamp"]) == _utc("2024-01-01 08:00", "2024-01-01 09:10")
    assert list(ev["assign_timestamp"]) == _utc("2024-01-01 08:30", "2024-01-01 10:05")
    q = log.quality
    assert q.reasons == {
        "lifecycle transition 'assign' superseded by a later assignment before the work started": 1,
        "lifecycle transition 'assign' after the work had started (a reassignment)": 1,
        "lifecycle transition 'schedule' with no start or complete after it (the work does not appear in "
        "the log)": 1,
    }
    assert q.examples[
        "lifecycle transition 'assign' superseded by a later assignment before the work started"
    ] == [6]
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (11, 8, 3)
    d = q.details["lifecycle"]
    assert (d["schedule_paired"], d["assign_paired"], d["schedule_unmatched"]) == (2, 2, 1)
