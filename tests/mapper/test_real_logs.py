"""End-to-end checks on real public logs against pm4py (slow; skipped when ../shared/logs is absent).

pm4py note: ``pm4py.get_variants`` on a DataFrame that was not created by ``pm4py.format_dataframe``
computes the traces in *file* order (``pandas_numpy_variants.apply`` calls ``sort_values`` without using
the result). Every pm4py frame below is therefore sorted stably by case and timestamp first, which is
pm4py's documented order (ties broken by file position) and the one flowready uses.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pm4py
import pytest

from mapper import load_event_log
from mapper._pm4py import to_pm4py_frame
from mapper.discovery import discover_dfg, discover_variants

LOGS = Path(__file__).resolve().parents[3] / "shared" / "logs"
ROAD = LOGS / "Road_Traffic_Fine_Management_Process.csv.gz"
SEPSIS = LOGS / "Sepsis Cases - Event Log.xes.gz"
BPIC17W = LOGS / "BPIC_2017_W.csv.gz"
BPIC12 = LOGS / "BPI_Challenge_2012.xes.gz"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LOGS.is_dir(), reason=f"{LOGS} is absent"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

CASE, ACT, TIME = "case:concept:name", "concept:name", "time:timestamp"


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path.name} is absent")
    return path


def _our_dfg(log) -> dict:
    e = discover_dfg(log).edges
    return {(s, t): int(f) for s, t, f in zip(e["source"], e["target"], e["frequency"], strict=True)}


def _our_variants(log) -> dict:
    v = discover_variants(log)
    return {tuple(t): int(n) for t, n in zip(v["trace"], v["cases"], strict=True)}


def _pm4py_dfg(frame: pd.DataFrame, **keys) -> dict:
    dfg, _, _ = pm4py.discover_dfg(frame, **keys)
    return {k: int(v) for k, v in dfg.items()}


def _pm4py_variants(frame: pd.DataFrame, case=CASE, act=ACT, time=TIME) -> dict:
    ordered = frame.sort_values([case, time], kind="stable").reset_index(drop=True)
    v = pm4py.get_variants(ordered, case_id_key=case, activity_key=act, timestamp_key=time)
    return {tuple(k): int(n) for k, n in v.items()}


# --- Road Traffic Fine Management (CSV, dates only, many ties) ------------------------------------


@pytest.fixture(scope="module")
def road():
    return load_event_log(_need(ROAD))


@pytest.fixture(scope="module")
def road_pm4py():
    df = pd.read_csv(_need(ROAD), dtype={CASE: str})
    df[TIME] = pd.to_datetime(df[TIME], utc=True)
    return df


def test_road_counts(road):
    s = road.summary()
    assert (s["cases"], s["events"], s["variants"], s["activities"]) == (150_370, 561_470, 231, 11)
    assert (s["start"], s["end"]) == ("2000-01-01T00:00:00+00:00", "2013-06-18T00:00:00+00:00")
    q = road.quality
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (561_470, 561_470, 0)
    assert q.details["tied_events"] == 21_308
    assert q.details["tied_cases"] == 9_166
    assert q.details["lifecycle"] == {
        "transitions": {"complete": 561_470},
        "paired": 0,
        "unmatched_complete": 0,
        "unmatched_start": 0,
    }
    assert "Column 'time:timestamp' holds dates without times of day." in q.notes


def test_road_matches_pm4py(road, road_pm4py):
    assert road_pm4py[CASE].nunique() == 150_370
    assert _our_dfg(road) == _pm4py_dfg(road_pm4py)
    _, starts, ends = pm4py.discover_dfg(road_pm4py)
    acts = discover_dfg(road).activities
    assert {a: int(n) for a, n in zip(acts["activity"], acts["starts"], strict=True) if n} == dict(starts)
    assert {a: int(n) for a, n in zip(acts["activity"], acts["ends"], strict=True) if n} == dict(ends)
    assert _our_variants(road) == _pm4py_variants(road_pm4py)


# --- Sepsis (XES, offsets, org:group) -------------------------------------------------------------


@pytest.fixture(scope="module")
def sepsis():
    return load_event_log(_need(SEPSIS))


@pytest.fixture(scope="module")
def sepsis_pm4py():
    return pm4py.read_xes(str(_need(SEPSIS)))


def test_sepsis_counts(sepsis):
    s = sepsis.summary()
    assert (s["cases"], s["events"], s["activities"]) == (1_050, 15_214, 16)
    assert (s["resources"], s["roles"]) == (0, 26)
    assert sepsis.mapping.role == "org:group"
    assert sepsis.quality.rows_dropped == 0
    assert sepsis.quality.details["traces"] == 1_050


def test_sepsis_matches_pm4py(sepsis, sepsis_pm4py):
    assert len(sepsis_pm4py) == 15_214
    assert _our_dfg(sepsis) == _pm4py_dfg(sepsis_pm4py)
    variants = _pm4py_variants(sepsis_pm4py)
    assert _our_variants(sepsis) == variants
    assert sepsis.summary()["variants"] == len(variants) == 846
    # same timestamps, event for event (XES order = row_nr)
    ours = sepsis.events.sort_values("row_nr")["timestamp"].reset_index(drop=True)
    theirs = pd.to_datetime(sepsis_pm4py[TIME], utc=True).reset_index(drop=True)
    assert (ours == theirs).all()


# --- BPIC 2017, work items (CSV with start_time and end_time) -------------------------------------


@pytest.fixture(scope="module")
def bpic17w():
    return load_event_log(_need(BPIC17W), case_id="case_id", activity="activity", timestamp="end_time")


@pytest.fixture(scope="module")
def bpic17w_pm4py():
    df = pd.read_csv(_need(BPIC17W), dtype={"case_id": str})
    df["end_time"] = pd.to_datetime(df["end_time"], utc=True)
    return df


def test_bpic17w_counts(bpic17w):
    s = bpic17w.summary()
    assert (s["cases"], s["events"], s["activities"], s["resources"]) == (30_276, 240_854, 8, 148)
    assert s["has_start_timestamps"] is True
    assert bpic17w.mapping.start_timestamp == "start_time"
    assert bpic17w.events["start_timestamp"].notna().all()
    assert bpic17w.quality.repairs == {}
    assert bpic17w.quality.rows_dropped == 0


def test_bpic17w_matches_pm4py(bpic17w, bpic17w_pm4py):
    keys = {"case_id_key": "case_id", "activity_key": "activity", "timestamp_key": "end_time"}
    assert _our_dfg(bpic17w) == _pm4py_dfg(bpic17w_pm4py, **keys)
    variants = _pm4py_variants(bpic17w_pm4py, case="case_id", act="activity", time="end_time")
    assert _our_variants(bpic17w) == variants
    assert bpic17w.summary()["variants"] == len(variants)


# --- BPI Challenge 2012 (XES with start / complete / schedule) ------------------------------------


@pytest.fixture(scope="module")
def bpic12():
    return load_event_log(_need(BPIC12))


@pytest.fixture(scope="module")
def bpic12_pm4py():
    return pm4py.read_xes(str(_need(BPIC12))).reset_index(drop=True)


def test_bpic12_lifecycle_accounting(bpic12, bpic12_pm4py):
    lc = bpic12_pm4py["lifecycle:transition"].str.lower().value_counts().to_dict()
    assert lc == {"complete": 164_506, "start": 71_376, "schedule": 26_318}
    details = bpic12.quality.details["lifecycle"]
    assert details == {
        "transitions": lc,
        "paired": 71_371,
        "unmatched_complete": 93_135,
        "unmatched_start": 5,
        "schedule_paired": 26_241,
        "schedule_unmatched": 77,
    }
    # every start, complete and schedule is accounted for exactly once
    assert details["paired"] + details["unmatched_complete"] == lc["complete"]
    assert details["paired"] + details["unmatched_start"] == lc["start"]
    assert details["schedule_paired"] + details["schedule_unmatched"] == lc["schedule"]
    q = bpic12.quality
    reason = (
        "lifecycle transition 'schedule' with no start or complete after it "
        "(the work does not appear in the log)"
    )
    assert q.reasons == {reason: 77}
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (262_200, 262_123, 77)
    ev = bpic12.events
    scheduled = ev[ev["schedule_timestamp"].notna()]
    assert len(scheduled) == 26_241
    assert (
        scheduled["schedule_timestamp"] <= scheduled["start_timestamp"].fillna(scheduled["timestamp"])
    ).all()
    assert scheduled["activity"].str.startswith("W_").all()
    s = bpic12.summary()
    assert (s["cases"], s["events"]) == (13_087, lc["complete"] + details["unmatched_start"])


def test_bpic12_rows_are_complete_events_or_unmatched_starts(bpic12, bpic12_pm4py):
    ev = bpic12.events
    kind = bpic12_pm4py["lifecycle:transition"].str.lower().to_numpy()[ev["row_nr"].to_numpy()]
    assert Counter(kind) == {"complete": 164_506, "start": 5}
    assert ev.loc[kind == "start", "start_timestamp"].isna().all()
    # case and activity of each row equal pm4py's event at the same file position
    px = bpic12_pm4py.iloc[ev["row_nr"].to_numpy()]
    assert (px[CASE].to_numpy() == ev["case_id"].to_numpy()).all()
    assert (px[ACT].to_numpy() == ev["activity"].to_numpy()).all()
    # the start timestamps are exactly those of the paired START events
    starts = bpic12_pm4py[bpic12_pm4py["lifecycle:transition"].str.lower() == "start"]
    lonely = set(ev.loc[kind == "start", "row_nr"])
    starts = starts[~starts.index.isin(lonely)]
    theirs = Counter(zip(starts[CASE], starts[ACT], pd.to_datetime(starts[TIME], utc=True), strict=True))
    paired = ev[ev["start_timestamp"].notna()]
    ours = Counter(zip(paired["case_id"], paired["activity"], paired["start_timestamp"], strict=True))
    assert ours == theirs
    assert (paired["start_timestamp"] <= paired["timestamp"]).all()


def test_bpic12_dfg_matches_pm4py_on_our_frame(bpic12):
    assert _our_dfg(bpic12) == _pm4py_dfg(to_pm4py_frame(bpic12.events))


def test_bpic12_matches_pm4py_on_complete_events(bpic12, bpic12_pm4py):
    complete = bpic12_pm4py[bpic12_pm4py["lifecycle:transition"].str.upper() == "COMPLETE"].copy()
    theirs_dfg = _pm4py_dfg(complete)
    theirs_variants = _pm4py_variants(complete)
    # our log holds the 5 unmatched starts as well: the totals differ by exactly those
    ours_dfg = _our_dfg(bpic12)
    assert sum(ours_dfg.values()) - sum(theirs_dfg.values()) == 5
    # without them, our events give pm4py's complete-only DFG and variants
    ev = bpic12.events
    kind = bpic12_pm4py["lifecycle:transition"].str.lower().to_numpy()[ev["row_nr"].to_numpy()]
    only_complete = load_event_log(ev.loc[kind == "complete", ["case_id", "activity", "timestamp"]])
    assert only_complete.summary()["events"] == 164_506
    assert _our_dfg(only_complete) == theirs_dfg
    assert _our_variants(only_complete) == theirs_variants
