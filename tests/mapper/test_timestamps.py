"""Timestamp parsing: ISO, offsets, time zones and DST, day/month order, explicit formats, failures."""

from __future__ import annotations

import pandas as pd
import pytest

from mapper import load_event_log
from mapper.errors import TimestampError
from mapper.timestamps import parse_timestamps

LONDON = "Europe/London"


def _parse(values, **kw):
    return parse_timestamps(pd.Series(values, dtype=object), column="ts", source="log.csv", **kw)


def _utc(*values):
    return [pd.Timestamp(v, tz="UTC") for v in values]


def test_iso_dates_are_date_only_midnight_utc():
    r = _parse(["2024-01-15", "2024-02-29"])
    assert list(r.values) == _utc("2024-01-15", "2024-02-29")
    assert r.format == "ISO 8601"
    assert r.zone == "naive, taken as UTC"
    assert r.date_only is True
    assert str(r.values.dtype) == "datetime64[ns, UTC]"


def test_iso_datetimes_with_seconds_fractions_and_t_separator():
    r = _parse(["2024-01-15T10:30:00", "2024-01-15 11:45:30.250", "2024-01-15 12:00"])
    assert list(r.values) == _utc("2024-01-15 10:30:00", "2024-01-15 11:45:30.250", "2024-01-15 12:00")
    assert r.date_only is False
    assert not r.bad.any() and not r.missing.any()


def test_utc_offsets_are_converted_to_utc():
    r = _parse(
        [
            "2024-01-15T10:00:00+02:00",
            "2024-01-15T10:00:00Z",
            "2024-01-15T10:00:00-0500",
            "2024-07-01T23:30:00-01:00",
        ]
    )
    assert list(r.values) == _utc(
        "2024-01-15 08:00", "2024-01-15 10:00", "2024-01-15 15:00", "2024-07-02 00:30"
    )
    assert r.zone == "UTC offsets in the data"


def test_offsets_win_over_the_timezone_for_values_that_have_them():
    r = _parse(["2024-07-01T12:00:00+00:00", "2024-07-01 12:00"], timezone=LONDON)
    assert list(r.values) == _utc("2024-07-01 12:00", "2024-07-01 11:00")
    assert r.zone == "mixed: UTC offsets where given, otherwise taken as Europe/London"


def test_naive_values_in_london_winter_and_bst_summer():
    r = _parse(["2024-01-10 09:00", "2024-07-10 09:00"], timezone=LONDON)
    # GMT = UTC in winter; BST = UTC+1 in summer, so 09:00 BST is 08:00 UTC
    assert list(r.values) == _utc("2024-01-10 09:00", "2024-07-10 08:00")
    assert r.zone == "naive, taken as Europe/London"
    assert r.repairs == {}


def test_dst_gap_value_is_moved_forward_and_reported():
    # 2024-03-31 01:30 does not exist in London (clocks go 01:00 GMT -> 02:00 BST)
    r = _parse(["2024-03-31 00:30", "2024-03-31 01:30", "2024-03-31 02:30"], timezone=LONDON)
    assert list(r.values) == _utc("2024-03-31 00:30", "2024-03-31 01:00", "2024-03-31 01:30")
    assert r.repairs == {
        "wall-clock time skipped at the start of summer time in Europe/London: moved forward": 1
    }
    assert not r.bad.any()


def test_fall_back_value_is_taken_as_standard_time_and_reported():
    # 2024-10-27 01:30 happens twice in London (BST then GMT); the GMT reading is 01:30 UTC
    r = _parse(["2024-10-27 00:30", "2024-10-27 01:30", "2024-10-27 02:30"], timezone=LONDON)
    assert list(r.values) == _utc("2024-10-26 23:30", "2024-10-27 01:30", "2024-10-27 02:30")
    assert r.repairs == {
        "wall-clock time repeated at the end of summer time in Europe/London: taken as standard time": 1
    }


def test_dst_repairs_reach_the_quality_report(write_csv):
    path = write_csv(
        "dst.csv",
        "case_id,activity,timestamp\n1,A,2024-03-31 01:30\n1,B,2024-10-27 01:30\n1,C,2024-10-28 09:00\n",
    )
    log = load_event_log(path, timezone=LONDON)
    assert list(log.events["timestamp"]) == _utc("2024-03-31 01:00", "2024-10-27 01:30", "2024-10-28 09:00")
    assert log.quality.repairs == {
        "timestamp: wall-clock time skipped at the start of summer time in Europe/London: moved forward": 1,
        "timestamp: wall-clock time repeated at the end of summer time in Europe/London: "
        "taken as standard time": 1,
    }
    assert log.timezone == LONDON
    assert log.quality.details["timezone"] == LONDON
    assert "Timestamps in 'timestamp': ISO 8601, naive, taken as Europe/London." in log.quality.notes


def test_uk_dates_with_day_above_12_are_day_first():
    r = _parse(["25/12/2024 10:00", "01/02/2024 09:30", "13/01/2024 08:00"])
    assert list(r.values) == _utc("2024-12-25 10:00", "2024-02-01 09:30", "2024-01-13 08:00")
    assert r.format == "day-first (DD/MM/YYYY)"


def test_us_dates_with_second_field_above_12_are_month_first():
    r = _parse(["12/25/2024", "01/02/2024", "03/13/2024"])
    assert list(r.values) == _utc("2024-12-25", "2024-01-02", "2024-03-13")
    assert r.format == "month-first (MM/DD/YYYY)"
    assert r.date_only is True


def test_ambiguous_numeric_dates_are_refused_naming_column_and_row():
    with pytest.raises(TimestampError) as info:
        _parse(["01/02/2024", "03/04/2024"])
    msg = str(info.value)
    assert msg.startswith("log.csv: column 'ts': the day/month order is ambiguous")
    assert "row 1: '01/02/2024'" in msg
    assert "`dayfirst=True`" in msg and "`timestamp_format='%m/%d/%Y %H:%M'`" in msg
    assert info.value.parameters == ("dayfirst", "timestamp_format")


def test_ambiguous_dates_in_a_file_name_the_line(write_csv):
    path = write_csv("amb.csv", "case_id,activity,timestamp\n1,A,\n1,B,01/02/2024\n1,C,03/04/2024\n")
    with pytest.raises(TimestampError, match=r"amb\.csv: column 'timestamp'.*row 2 \(line 3\): '01/02/2024'"):
        load_event_log(path)


def test_dayfirst_resolves_ambiguity():
    assert list(_parse(["01/02/2024"], dayfirst=True).values) == _utc("2024-02-01")
    assert list(_parse(["01/02/2024"], dayfirst=False).values) == _utc("2024-01-02")


def test_dayfirst_through_load_event_log(write_csv):
    path = write_csv("uk.csv", "case_id,activity,timestamp\n1,A,01/02/2024\n1,B,03/02/2024\n")
    log = load_event_log(path, dayfirst=True)
    assert list(log.events["timestamp"]) == _utc("2024-02-01", "2024-02-03")
    assert log.quality.details["timestamp_format"] == "day-first (DD/MM/YYYY)"
    assert "Column 'timestamp' holds dates without times of day." in log.quality.notes


def test_mixed_day_first_and_month_first_is_refused():
    with pytest.raises(TimestampError, match="mixes day-first and month-first dates"):
        _parse(["13/01/2024", "01/13/2024"])


def test_explicit_format_is_used_as_given():
    r = _parse(["02/01/2024 10:00", "03/01/2024 11:15"], timestamp_format="%m/%d/%Y %H:%M")
    assert list(r.values) == _utc("2024-02-01 10:00", "2024-03-01 11:15")
    assert r.format == "%m/%d/%Y %H:%M"


def test_explicit_format_marks_non_matching_values_bad():
    r = _parse(["2024-01-02 10:00", "02.01.2024 10:00"], timestamp_format="%Y-%m-%d %H:%M")
    assert list(r.bad) == [False, True]
    assert r.values.iloc[0] == pd.Timestamp("2024-01-02 10:00", tz="UTC")
    assert pd.isna(r.values.iloc[1])


def test_explicit_format_with_offset_directive():
    r = _parse(["2024-01-02 10:00 +0100"], timestamp_format="%Y-%m-%d %H:%M %z")
    assert list(r.values) == _utc("2024-01-02 09:00")


def test_fully_unparseable_column_raises():
    with pytest.raises(TimestampError) as info:
        _parse(["soon", "later", "never"])
    assert str(info.value).startswith(
        "log.csv: column 'ts': no value could be read as a timestamp (e.g. row 1: 'soon')"
    )


def test_missing_values_are_missing_not_bad():
    r = _parse(["2024-01-01", None, "", "  "])
    assert list(r.missing) == [False, True, True, True]
    assert list(r.bad) == [False, False, False, False]


def test_all_missing_column_is_not_an_error():
    r = _parse([None, ""])
    assert r.values.isna().all()
    assert r.format == "none"


def test_unknown_time_zone_is_refused():
    with pytest.raises(TimestampError, match="unknown time zone 'Mars/Olympus'"):
        _parse(["2024-01-01 10:00"], timezone="Mars/Olympus")


def test_native_datetimes_naive_and_aware():
    naive = pd.Series(pd.to_datetime(["2024-07-01 12:00", "2024-01-01 12:00"]))
    r = parse_timestamps(naive, column="ts", source="x", timezone=LONDON)
    assert list(r.values) == _utc("2024-07-01 11:00", "2024-01-01 12:00")
    assert r.format == "native datetime"
    aware = naive.dt.tz_localize("America/New_York")
    r = parse_timestamps(aware, column="ts", source="x", timezone=LONDON)
    assert list(r.values) == _utc("2024-07-01 16:00", "2024-01-01 17:00")
    assert r.zone == "time zone stored in the data"


# --- library bugs (see the report) ----------------------------------------------------------------


def test_dash_separated_day_first_dates_are_naive():
    r = _parse(["15-07-2024", "16-07-2024"], timezone=LONDON)
    assert r.zone == "naive, taken as Europe/London"
    assert list(r.values) == _utc("2024-07-14 23:00", "2024-07-15 23:00")


def test_dayfirst_false_contradicted_by_the_data_is_refused():
    with pytest.raises(TimestampError):
        _parse(["13/01/2024", "14/01/2024"], dayfirst=False)


def test_dayfirst_true_contradicted_by_the_data_is_refused():
    with pytest.raises(TimestampError):
        _parse(["01/13/2024", "01/14/2024"], dayfirst=True)


def test_ambiguous_dates_name_the_file_row_after_dropped_rows(write_csv):
    path = write_csv("amb.csv", "case_id,activity,timestamp\n,A,05/06/2024\n1,B,01/02/2024\n1,C,03/04/2024\n")
    with pytest.raises(TimestampError, match=r"row 2 \(line 3\): '01/02/2024'"):
        load_event_log(path)


def test_unparseable_column_with_an_empty_cell_raises():
    with pytest.raises(TimestampError, match="no value could be read as a timestamp"):
        _parse(["soon", "", "never"])


def test_one_bad_value_does_not_spoil_valid_iso_values():
    r = _parse(["2024-01-01 10:00", "2024-01-02 11:00:05", "2024-01-03", "garbage"])
    assert list(r.bad) == [False, False, False, True]
    assert list(r.values[:3]) == _utc("2024-01-01 10:00", "2024-01-02 11:00:05", "2024-01-03")


def test_drop_mode_drops_only_the_bad_row(write_csv):
    path = write_csv(
        "mixed.csv",
        "case_id,activity,timestamp\n1,A,2024-01-01T10:00:00.123+01:00\n"
        "1,B,2024-01-01T11:00:00+01:00\n1,C,garbage\n",
    )
    log = load_event_log(path, on_bad_timestamp="drop")
    assert log.quality.reasons == {"unparseable timestamp (column 'timestamp')": 1}
    assert list(log.events["activity"]) == ["A", "B"]
