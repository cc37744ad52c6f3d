"""Every log in ../shared/logs loads with the right counts and a clean import report (slow).

Expected counts are those of ../shared/logs/CATALOG.md (pm4py 2.7 / pandas): the rows read equal the
catalogue's events, and every row is kept, except where the report says exactly why not. The XES logs
are also read with both readers (rustxes and lxml), which must agree event for event.
"""

from __future__ import annotations

import pandas as pd
import pytest

from mapper import EventLogError, load_event_log, read_raw
from tests.conftest import shared_log

pytestmark = pytest.mark.slow

SCHEDULE_REASON = (
    "lifecycle transition 'schedule' with no start or complete after it (the work does not appear in the log)"
)
# file, cases, rows read (catalogue events), activities, events after lifecycle pairing
LOGS = [
    ("Road_Traffic_Fine_Management_Process.csv.gz", 150_370, 561_470, 11, 561_470),
    ("BPI_Challenge_2012.xes.gz", 13_087, 262_200, 23, 164_511),
    ("BPIC_2017_W.csv.gz", 30_276, 240_854, 8, 240_854),
    ("Sepsis Cases - Event Log.xes.gz", 1_050, 15_214, 16, 15_214),
    ("BPIC15_1.csv.gz", 1_199, 52_217, 398, 52_217),
    ("BPIC15GroundTruth.xes.gz", 5_647, 92_426, 29, 92_426),
    ("bpic2020_cleaned/DomesticDeclarations.xes.gz", 10_357, 55_628, 14, 55_628),
    ("bpic2020_cleaned/InternationalDeclarations.xes.gz", 6_323, 70_727, 33, 70_727),
    ("bpic2020_cleaned/PermitLog.xes.gz", 6_426, 81_092, 49, 81_092),
    ("bpic2020_cleaned/PrepaidTravelCost.xes.gz", 2_007, 17_507, 29, 17_507),
    ("bpic2020_cleaned/RequestForPayment.xes.gz", 6_760, 36_072, 16, 36_072),
    ("Hospital_Billing.csv.gz", 100_000, 451_359, 18, 451_359),
    ("helpdesk.xes.gz", 4_580, 21_348, 14, 21_348),
    ("Hospital_log.csv.gz", 1_143, 150_291, 624, 150_291),
    ("BPIC14_incident_activity_sample.csv.gz", 4_000, 39_911, 36, 39_911),
    ("16_bpic2019_1t_per_variant.xes.gz", 11_973, 338_247, 42, 338_247),
    ("Production.xes.gz", 225, 9_906, 26, 5_220),
    ("ConsultaDataMining201618.xes.gz", 954, 13_740, 18, 6_880),
    ("roadtraffic100traces.xes.gz", 100, 390, 10, 390),
    ("running-example.xes.gz", 6, 42, 8, 42),
]


@pytest.mark.parametrize("name, cases, rows, activities, events", LOGS, ids=[x[0] for x in LOGS])
def test_loads_with_the_catalogue_counts_and_a_clean_report(name, cases, rows, activities, events):
    log = load_event_log(shared_log(name))
    s, q = log.summary(), log.quality
    assert (s["cases"], s["activities"], s["events"]) == (cases, activities, events)
    assert q.rows_read == rows
    assert q.rows_kept + q.rows_dropped == q.rows_read
    assert sum(q.reasons.values()) == q.rows_dropped
    report = q.import_report()
    if name.startswith("BPI_Challenge_2012"):
        # The one documented exception: 77 schedule events with no work after them, and one resource
        # filled in from a start event.
        assert q.reasons == {SCHEDULE_REASON: 77}
        assert q.repairs == {"resource missing on the complete event: taken from its start event": 1}
    else:
        assert report["clean"], (report["dropped"], report["repaired"])
    assert report["timestamps"]["timestamp"]["format"]
    if name.endswith(".xes.gz"):
        assert report["read"]["xes_reader"] in ("rustxes", "lxml")
    else:
        assert report["read"]["encoding"] == "utf-8" and report["read"]["delimiter"] == ","


def test_the_case_attribute_table_is_refused_clearly():
    with pytest.raises(EventLogError) as info:
        load_event_log(shared_log("BPIC14_incident_case_attributes_sample.csv.gz"))
    message = str(info.value)
    assert message.startswith("BPIC14_incident_case_attributes_sample.csv.gz: cannot find the activity")
    assert "Available columns" in message


XES = [name for name, *_ in LOGS if name.endswith(".xes.gz")]


@pytest.mark.parametrize("name", XES)
def test_rustxes_and_lxml_read_the_same_events(name):
    path = shared_log(name)
    rust = read_raw(path, xes_reader="rustxes")
    if rust.details["xes_reader"] != "rustxes":
        pytest.skip(f"rustxes not used: {rust.details.get('xes_reader_note')}")
    lx = read_raw(path, xes_reader="lxml")
    a, b = rust.frame, lx.frame
    assert len(a) == len(b)
    assert sorted(a.columns) == sorted(b.columns)
    for col in ("case:concept:name", "concept:name"):
        assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col
    ta = pd.to_datetime(a["time:timestamp"], utc=True)
    tb = pd.to_datetime(b["time:timestamp"], utc=True, format="ISO8601")
    assert (ta == tb).all()
    # and loading gives the same event table either way
    la = load_event_log(path, xes_reader="rustxes").events
    lb = load_event_log(path, xes_reader="lxml").events
    cols = ["case_id", "activity", "timestamp", "row_nr"]
    pd.testing.assert_frame_equal(la[cols], lb[cols])
