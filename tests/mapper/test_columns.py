"""Column detection: XES names, plain names, explicit choices, and the errors that name what to pass."""

from __future__ import annotations

import pytest

from mapper import load_event_log
from mapper.columns import ColumnMapping, detect_mapping
from mapper.errors import ColumnMappingError, EventLogError


def test_detects_xes_names_with_certainty():
    columns = [
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "org:resource",
        "org:role",
        "lifecycle:transition",
        "amount",
    ]
    detected = detect_mapping(columns)
    mapping, notes = detected.mapping, list(detected.notes)
    assert mapping == ColumnMapping(
        case_id="case:concept:name",
        activity="concept:name",
        timestamp="time:timestamp",
        start_timestamp=None,
        resource="org:resource",
        role="org:role",
        lifecycle="lifecycle:transition",
    )
    assert notes == []


def test_detects_plain_names():
    columns = ["case_id", "activity", "start_time", "end_time", "resource", "role", "cost"]
    detected = detect_mapping(columns)
    mapping, notes = detected.mapping, list(detected.notes)
    assert mapping.as_dict() == {
        "case_id": "case_id",
        "activity": "activity",
        "timestamp": "end_time",
        "start_timestamp": "start_time",
        "resource": "resource",
        "role": "role",
        "lifecycle": None,
    }
    # canonical names are certain; end_time / start_time are chosen by name and reported
    assert notes == [
        "Detected timestamp = column 'end_time' (by its name); choose another with `timestamp`.",
        "Detected start_timestamp = column 'start_time' (by its name); "
        "choose another with `start_timestamp`.",
    ]


def test_detection_ignores_case_and_separators():
    detected = detect_mapping(["Case ID", "Activity", "TimeStamp"])
    mapping, notes = detected.mapping, list(detected.notes)
    assert (mapping.case_id, mapping.activity, mapping.timestamp) == ("Case ID", "Activity", "TimeStamp")
    # the names match only after normalisation, so every choice is reported
    assert len(notes) == 3
    assert notes[0].startswith("Detected case_id = column 'Case ID'")


def test_renames_maps_source_to_canonical():
    detected = detect_mapping(["case:concept:name", "concept:name", "time:timestamp", "x"])
    mapping = detected.mapping
    assert mapping.renames() == {
        "case:concept:name": "case_id",
        "concept:name": "activity",
        "time:timestamp": "timestamp",
    }


def test_explicit_mapping_wins_over_detection():
    columns = ["case:concept:name", "concept:name", "time:timestamp", "step_label", "finished"]
    detected = detect_mapping(
        columns, explicit={"activity": "step_label", "timestamp": "finished", "resource": None}
    )
    mapping, notes = detected.mapping, list(detected.notes)
    assert mapping.activity == "step_label"
    assert mapping.timestamp == "finished"
    assert mapping.case_id == "case:concept:name"
    assert mapping.resource is None
    assert notes == []


def test_explicit_column_is_not_reused_by_detection():
    # 'activity' is explicitly the case column, so detection must not also take it as the activity
    detected = detect_mapping(["activity", "task", "timestamp"], explicit={"case_id": "activity"})
    mapping, notes = detected.mapping, list(detected.notes)
    assert (mapping.case_id, mapping.activity, mapping.timestamp) == ("activity", "task", "timestamp")
    assert notes == ["Detected activity = column 'task' (by its name); choose another with `activity`."]


def test_explicit_name_that_does_not_exist_lists_available_columns():
    with pytest.raises(ColumnMappingError) as info:
        detect_mapping(
            ["case_id", "activity", "timestamp"], explicit={"resource": "worker"}, source="log.csv"
        )
    msg = str(info.value)
    assert msg == (
        "log.csv: the column 'worker' given for `resource` does not exist. "
        "Available columns: 'case_id', 'activity', 'timestamp'."
    )
    assert isinstance(info.value, EventLogError) and isinstance(info.value, KeyError)
    assert info.value.parameters == ("resource",)


def test_missing_required_column_names_the_parameter_to_pass():
    with pytest.raises(ColumnMappingError) as info:
        detect_mapping(["ticket", "what", "timestamp"], source="log.csv")
    msg = str(info.value)
    assert "cannot find the case_id, activity column(s)" in msg
    assert "(no column has a name known for them (e.g. 'case_id', 'activity'))" in msg
    assert "Available columns: 'ticket', 'what', 'timestamp'" in msg
    assert msg.endswith("Name the column(s) with `case_id` and `activity`.")
    assert info.value.parameters == ("case_id", "activity")


def test_missing_timestamp_column_names_timestamp_parameter():
    with pytest.raises(
        ColumnMappingError,
        match=r"cannot find the timestamp column\(s\).*Name the column\(s\) with `timestamp`",
    ):
        detect_mapping(["case_id", "activity", "when"])


def test_missing_column_whose_likely_column_is_taken_says_so():
    with pytest.raises(
        ColumnMappingError, match=r"activity: the column 'task' looks like it, but it is used for case_id"
    ):
        detect_mapping(["task", "time"], explicit={"case_id": "task"})


def test_proposal_keeps_the_columns_found_when_one_is_missing():
    from mapper.columns import propose_mapping

    p = propose_mapping(["ticket", "task", "end_time", "resource"], source="log.csv")
    assert p.columns == {
        "case_id": None,
        "activity": "task",
        "timestamp": "end_time",
        "start_timestamp": None,
        "resource": "resource",
        "role": None,
        "lifecycle": None,
    }
    assert list(p.missing) == ["case_id"]
    assert p.missing["case_id"] == "no column has a name known for it (e.g. 'case_id', 'case:concept:name')"
    assert "Detected activity = column 'task' (by its name); choose another with `activity`." in p.notes


def test_uncertain_detection_produces_a_note_in_the_loaded_log(write_csv):
    path = write_csv("log.csv", "ticket_id,task,time\nT1,Open,2024-01-01 10:00\nT1,Close,2024-01-01 12:00\n")
    log = load_event_log(path)
    assert log.mapping.as_dict()["case_id"] == "ticket_id"
    notes = log.quality.notes
    assert "Detected case_id = column 'ticket_id' (by its name); choose another with `case_id`." in notes
    assert "Detected activity = column 'task' (by its name); choose another with `activity`." in notes
    assert "Detected timestamp = column 'time' (by its name); choose another with `timestamp`." in notes
    assert log.quality.details["mapping"] == log.mapping.as_dict()


def test_load_with_missing_explicit_column_raises_before_reading_times(write_csv):
    path = write_csv("log.csv", "case_id,activity,timestamp\n1,A,2024-01-01\n")
    with pytest.raises(
        ColumnMappingError, match=r"log\.csv: the column 'who' given for `resource` does not exist"
    ):
        load_event_log(path, resource="who")


def test_xes_detection_is_certain_even_with_extra_lookalike_columns():
    # 'activity' is a candidate too, but the XES name ranks first
    detected = detect_mapping(["case:concept:name", "activity", "concept:name", "time:timestamp"])
    mapping, notes = detected.mapping, list(detected.notes)
    assert mapping.activity == "concept:name"
    assert notes == []


def test_one_column_for_two_fields_is_refused():
    from mapper.columns import detect_mapping
    from mapper.errors import ColumnMappingError

    with pytest.raises(
        ColumnMappingError, match="'start_time' is given for `timestamp` and `start_timestamp`"
    ):
        detect_mapping(
            ["case_id", "activity", "start_time"],
            explicit={"timestamp": "start_time", "start_timestamp": "start_time"},
            source="f.csv",
        )


def test_empty_string_switches_an_optional_column_off():
    from mapper.columns import detect_mapping
    from mapper.errors import ColumnMappingError

    detected = detect_mapping(["case_id", "activity", "timestamp", "resource"], explicit={"resource": ""})
    mapping = detected.mapping
    assert mapping.resource is None
    with pytest.raises(ColumnMappingError, match="required"):
        detect_mapping(["case_id", "activity", "timestamp"], explicit={"activity": ""})


def test_unknown_time_zone_refused_even_with_offsets():
    import pandas as pd

    from mapper import load_event_log
    from mapper.errors import TimestampError

    df = pd.DataFrame({"case_id": ["1"], "activity": ["A"], "timestamp": ["2024-01-01T10:00:00+00:00"]})
    with pytest.raises(TimestampError, match="Mars/Olympus"):
        load_event_log(df, timezone="Mars/Olympus")
