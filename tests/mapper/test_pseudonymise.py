"""Keyed pseudonyms: determinism, known answers, missing values, untouched inputs, safe reports and keys."""

from __future__ import annotations

import hashlib
import hmac
import json

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from mapper.errors import FlowreadyError
from mapper.pseudonymise import (
    MIN_KEY_BYTES,
    PSEUDONYM_KEY_ENV,
    PseudonymisationError,
    load_pseudonym_key,
    pseudonym,
    pseudonymise_events,
)

KEY = b"3f1c9a7e5b2d4c6e8a0b1d3f5e7c9a2b"
OTHER_KEY = b"c0ffee00c0ffee00c0ffee00c0ffee00"
HEX16 = r"[0-9a-f]{16}"


@pytest.fixture
def events() -> pd.DataFrame:
    """Three cases, two named people and one event without a resource."""
    return pd.DataFrame(
        {
            "case_id": ["C1", "C1", "C2", "C2", "C3"],
            "activity": ["Receive", "Approve", "Receive", "Approve", "Receive"],
            "timestamp": pd.to_datetime(
                [
                    "2025-01-06 09:00",
                    "2025-01-06 10:00",
                    "2025-01-06 09:30",
                    "2025-01-07 11:00",
                    "2025-01-08 08:00",
                ],
                utc=True,
            ),
            "resource": ["Anna Smith", "Bob Jones", "Anna Smith", None, "Bob Jones"],
            "note": ["called back", "ok", "", "urgent", "ok"],
        }
    )


def _expected(value: str, key: bytes = KEY) -> str:
    """The pseudonym computed independently of the module, straight from the standard library."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


# ---------------------------------------------------------------- pseudonym()


def test_pseudonym_known_answer():
    assert pseudonym("Anna Smith", KEY) == _expected("Anna Smith")
    assert pseudonym("C1", KEY, prefix="case-") == "case-" + _expected("C1")
    assert pseudonym("Zoë Ó Briain", KEY) == _expected("Zoë Ó Briain")


def test_pseudonym_is_deterministic_and_64_bit():
    first = pseudonym("Anna Smith", KEY, prefix="res-")
    assert first == pseudonym("Anna Smith", KEY, prefix="res-")
    assert first.startswith("res-")
    assert len(first) == len("res-") + 16
    assert pd.Series([first.removeprefix("res-")]).str.fullmatch(HEX16).all()


def test_pseudonym_differs_across_keys_and_values():
    assert pseudonym("Anna Smith", KEY) != pseudonym("Anna Smith", OTHER_KEY)
    assert pseudonym("Anna Smith", KEY) != pseudonym("Bob Jones", KEY)
    # hashed exactly as given: no silent normalisation of case or blanks
    assert pseudonym("Anna Smith", KEY) != pseudonym("anna smith ", KEY)


def test_pseudonym_refuses_short_or_text_key():
    with pytest.raises(PseudonymisationError, match="at least 16"):
        pseudonym("Anna Smith", b"short")
    with pytest.raises(PseudonymisationError, match="bytes"):
        pseudonym("Anna Smith", KEY.decode())  # type: ignore[arg-type]


# ---------------------------------------------------------------- pseudonymise_events()


def test_events_known_answer_with_prefixes(events):
    out = pseudonymise_events(events, KEY, {"case_id": "case-", "resource": "res-"}).events
    assert out["case_id"].tolist() == ["case-" + _expected(c) for c in ["C1", "C1", "C2", "C2", "C3"]]
    assert out.loc[0, "resource"] == "res-" + _expected("Anna Smith")
    assert out.loc[1, "resource"] == "res-" + _expected("Bob Jones")


def test_events_deterministic_across_calls_and_differ_across_keys(events):
    first = pseudonymise_events(events, KEY, ["case_id", "resource"]).events
    second = pseudonymise_events(events.copy(), KEY, ["case_id", "resource"]).events
    assert_frame_equal(first, second)
    other = pseudonymise_events(events, OTHER_KEY, ["case_id", "resource"]).events
    assert set(first["case_id"]).isdisjoint(set(other["case_id"]))


def test_sequence_gives_sanitised_column_prefix(events):
    renamed = events.rename(columns={"resource": "org:resource"})
    out = pseudonymise_events(renamed, KEY, ["case_id", "org:resource"]).events
    assert out["case_id"].str.fullmatch("case_id-" + HEX16).all()
    assert out["org:resource"].dropna().str.fullmatch("org_resource-" + HEX16).all()


def test_a_lone_column_name_is_one_column(events):
    done = pseudonymise_events(events, KEY, "resource")
    out, report = done.events, done.report()
    assert report["columns"] == ["resource"]
    assert out["resource"].dropna().str.startswith("resource-").all()
    assert out["case_id"].equals(events["case_id"])


def test_missing_values_stay_missing(events):
    frame = events.assign(team=pd.Series(["A", pd.NA, "B", pd.NA, "A"], dtype="string"))
    done = pseudonymise_events(frame, KEY, ["resource", "team"])
    out, report = done.events, done.report()
    assert out["resource"].isna().tolist() == [False, False, False, True, False]
    assert out["team"].isna().tolist() == [False, True, False, True, False]
    assert out["team"].dtype == frame["team"].dtype  # a string column stays a string column
    assert report["distinct_values"] == {"resource": 2, "team": 2}


def test_input_frame_is_unchanged(events):
    before = events.copy(deep=True)
    out = pseudonymise_events(events, KEY, {"case_id": "case-", "resource": "res-"}).events
    assert_frame_equal(events, before)
    assert out is not events
    out.loc[0, "activity"] = "changed"  # the result is a copy, not a view of the input
    assert_frame_equal(events, before)


def test_other_columns_are_left_as_they_are(events):
    out = pseudonymise_events(events, KEY, ["case_id"]).events
    assert_frame_equal(out.drop(columns="case_id"), events.drop(columns="case_id"))


def test_grouping_is_preserved(events):
    done = pseudonymise_events(events, KEY, ["case_id", "resource"])
    out, report = done.events, done.report()
    for col in ["case_id", "resource"]:
        assert out[col].nunique() == events[col].nunique() == report["distinct_values"][col]
        # the same partition of rows: equal originals <-> equal pseudonyms
        original_codes, _ = pd.factorize(events[col])
        new_codes, _ = pd.factorize(out[col])
        np.testing.assert_array_equal(original_codes, new_codes)
    assert out.loc[0, "case_id"] == out.loc[1, "case_id"] != out.loc[2, "case_id"]
    assert out.groupby("case_id").size().sort_values().tolist() == [1, 2, 2]


def test_integer_ids_are_converted_to_text(events):
    frame = events.assign(case_id=[101, 101, 102, 102, 103])
    done = pseudonymise_events(frame, KEY, {"case_id": "case-"})
    out, report = done.events, done.report()
    assert out["case_id"].tolist() == ["case-" + _expected(str(c)) for c in [101, 101, 102, 102, 103]]
    assert report["distinct_values"] == {"case_id": 3}


def test_equal_text_from_distinct_values_is_refused(events):
    frame = events.assign(case_id=pd.Series([1, "1", 2, 2, 3], dtype=object))
    with pytest.raises(PseudonymisationError, match="'case_id'"):
        pseudonymise_events(frame, KEY, ["case_id"])


def test_report_holds_neither_key_nor_original_values(events):
    report = pseudonymise_events(events, KEY, {"case_id": "case-", "resource": "res-"}).report()
    assert report == {
        "columns": ["case_id", "resource"],
        "distinct_values": {"case_id": 3, "resource": 2},
        "method": "HMAC-SHA256, 64-bit, keyed",
        "key_source": None,
    }
    text = json.dumps(report)
    assert KEY.decode() not in text
    for original in ["C1", "C2", "C3", "Anna", "Smith", "Bob", "Jones"]:
        assert original not in text


def test_unknown_column_is_named_with_the_available_ones(events):
    with pytest.raises(PseudonymisationError) as info:
        pseudonymise_events(events, KEY, ["case_id", "employee"])
    message = str(info.value)
    assert "'employee'" in message
    assert "'resource'" in message and "'activity'" in message
    assert isinstance(info.value, FlowreadyError) and isinstance(info.value, ValueError)


def test_events_refuse_a_short_key(events):
    with pytest.raises(PseudonymisationError, match=f"at least {MIN_KEY_BYTES}"):
        pseudonymise_events(events, b"0123456789", ["case_id"])


# ---------------------------------------------------------------- load_pseudonym_key()


def test_key_from_file_strips_trailing_newline(tmp_path, monkeypatch):
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    path = tmp_path / "key.txt"
    path.write_bytes(KEY + b"\n")
    assert load_pseudonym_key(path) == KEY
    assert load_pseudonym_key(str(path)) == KEY


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode() + "\n")
    assert load_pseudonym_key() == KEY
    monkeypatch.setenv("MY_KEY", OTHER_KEY.decode())
    assert load_pseudonym_key(env="MY_KEY") == OTHER_KEY


def test_key_file_wins_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, OTHER_KEY.decode())
    path = tmp_path / "key.txt"
    path.write_bytes(KEY)
    assert load_pseudonym_key(path) == KEY


def test_short_key_is_refused_without_echoing_it(tmp_path, monkeypatch):
    short = "s3cr3t-abc"
    path = tmp_path / "key.txt"
    path.write_text(short + "\n")
    with pytest.raises(PseudonymisationError) as info:
        load_pseudonym_key(path)
    message = str(info.value)
    assert short not in message
    assert f"at least {MIN_KEY_BYTES}" in message
    assert "secrets.token_hex(32)" in message

    monkeypatch.setenv(PSEUDONYM_KEY_ENV, short)
    with pytest.raises(PseudonymisationError) as info:
        load_pseudonym_key()
    assert short not in str(info.value)
    assert PSEUDONYM_KEY_ENV in str(info.value)


def test_empty_key_file_is_refused(tmp_path):
    path = tmp_path / "key.txt"
    path.write_text("\n")
    with pytest.raises(PseudonymisationError, match="empty"):
        load_pseudonym_key(path)


def test_missing_key_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, KEY.decode())  # the env var must not rescue a wrong path
    path = tmp_path / "nowhere.txt"
    with pytest.raises(PseudonymisationError) as info:
        load_pseudonym_key(path)
    message = str(info.value)
    assert "nowhere.txt" in message and "does not exist" in message
    assert KEY.decode() not in message


def test_unreadable_key_file_is_refused(tmp_path):
    with pytest.raises(PseudonymisationError, match="cannot be read"):
        load_pseudonym_key(tmp_path)  # a directory, not a file


def test_no_key_at_all_is_refused(monkeypatch):
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    with pytest.raises(PseudonymisationError) as info:
        load_pseudonym_key()
    message = str(info.value)
    assert PSEUDONYM_KEY_ENV in message
    assert "secrets.token_hex(32)" in message
