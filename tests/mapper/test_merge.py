"""merge_event_logs: several systems, one case; system-level handoffs."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.handoffs import find_handoffs
from mapper import EventLogError, load_event_log, merge_event_logs
from mapper.errors import ColumnMappingError

CRM = pd.DataFrame(
    {
        "ref": ["C1", "C1", "C2", "C3"],
        "activity": ["Receive request", "Check eligibility", "Receive request", "Receive request"],
        "timestamp": ["2024-01-01T09:00Z", "2024-01-01T10:00Z", "2024-01-02T09:00Z", "2024-01-03T09:00Z"],
        "resource": ["ann", "bob", "ann", "ann"],
    }
)
ERP = pd.DataFrame(
    {
        "order": ["900", "900", "901", "777"],
        "activity": ["Raise invoice", "Pay", "Raise invoice", "Raise invoice"],
        "timestamp": ["2024-01-01T12:00Z", "2024-01-02T12:00Z", "2024-01-02T15:00Z", "2024-01-05T09:00Z"],
        "resource": ["erp-bot", "cara", "erp-bot", "erp-bot"],
    }
)
MAP = pd.DataFrame({"crm": ["C1", "C2"], "erp": ["900", "901"]})


@pytest.fixture
def logs():
    return {
        "crm": load_event_log(CRM, case_id="ref"),
        "erp": load_event_log(ERP, case_id="order"),
    }


def test_case_map_joins_cases_across_systems(logs):
    merged = merge_event_logs(logs, case_map=MAP)
    ev = merged.events
    assert list(ev.columns[:4]) == ["row_nr", "case_id", "activity", "timestamp"]
    by_case = ev.sort_values(["case_id", "timestamp"]).groupby("case_id")["activity"].apply(list).to_dict()
    assert by_case == {
        "C1": ["Receive request", "Check eligibility", "Raise invoice", "Pay"],
        "C2": ["Receive request", "Raise invoice"],
        "C3": ["Receive request"],
        "777": ["Raise invoice"],  # not in the map: keeps its own id
    }
    assert ev.loc[ev["activity"] == "Pay", "system_case_id"].tolist() == ["900"]
    assert sorted(ev["source_system"].unique()) == ["crm", "erp"]
    assert ev["row_nr"].is_unique
    assert ev.loc[ev["source_system"] == "erp", "row_nr"].min() == 4  # after the 4 CRM rows
    q = merged.quality
    assert (q.format, q.rows_read, q.rows_kept, q.rows_dropped) == ("merged", 8, 8, 0)
    assert q.details["cases_in_several_systems"] == 2
    assert "erp: 1 of 3 cases are not in the case map and keep their own id." in q.notes
    assert merged.summary()["systems"] == ["crm", "erp"]
    assert merged.has_systems


def test_system_handoffs_are_visible(logs):
    merged = merge_event_logs(logs, case_map=MAP)
    h = find_handoffs(merged, level="system")
    assert h[["source", "target", "count", "cases"]].values.tolist() == [["crm", "erp", 2, 2]]
    # C1: Check eligibility done 10:00, invoice raised 12:00 -> 2 h; C2: 09:00 -> 15:00 -> 6 h
    assert h["delay_hours_median"].iloc[0] == pytest.approx(4.0)


def test_without_a_map_equal_ids_are_the_same_case(logs):
    erp = ERP.assign(order=["C1", "C1", "C2", "X"])
    merged = merge_event_logs({"crm": logs["crm"], "erp": load_event_log(erp, case_id="order")})
    assert merged.events.groupby("case_id")["source_system"].nunique().to_dict() == {
        "C1": 2,
        "C2": 2,
        "C3": 1,
        "X": 1,
    }


def test_drops_of_each_source_are_kept_in_the_report(logs):
    bad = CRM.copy()
    bad.loc[3, "activity"] = None
    crm = load_event_log(bad, case_id="ref")
    merged = merge_event_logs({"crm": crm, "erp": logs["erp"]})
    q = merged.quality
    assert q.reasons == {"crm: missing activity (column 'activity')": 1}
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (8, 7, 1)
    assert q.details["sources"]["crm"]["rows_dropped"] == 1


def test_inputs_are_not_changed(logs):
    before = logs["crm"].events.copy()
    merge_event_logs(logs, case_map=MAP)
    pd.testing.assert_frame_equal(logs["crm"].events, before)


def test_case_map_errors(logs):
    with pytest.raises(EventLogError, match="lists case id 'C1' more than once"):
        merge_event_logs(logs, case_map=pd.DataFrame({"crm": ["C1", "C1"], "erp": ["900", "901"]}))
    with pytest.raises(ColumnMappingError, match=r"needs a column per system named \['crm', 'erp'\]"):
        merge_event_logs(logs, case_map=pd.DataFrame({"a": ["C1"]}))
    with pytest.raises(EventLogError, match="at least two logs"):
        merge_event_logs([logs["crm"]])
    with pytest.raises(EventLogError, match="system names must differ"):
        merge_event_logs([logs["crm"], logs["crm"]])


def test_case_map_from_a_csv_keeps_leading_zeros(tmp_path, logs):
    erp = ERP.assign(order=["0900", "0900", "0901", "777"])
    path = tmp_path / "map.csv"
    path.write_text("crm,erp\nC1,0900\nC2,0901\n")
    merged = merge_event_logs(
        {"crm": logs["crm"], "erp": load_event_log(erp, case_id="order")}, case_map=path
    )
    assert set(merged.events["case_id"]) == {"C1", "C2", "C3", "777"}


def test_pseudonymise_after_the_case_map_matched_the_original_ids(logs):
    from mapper.pseudonymise import pseudonym

    key = b"k" * 32
    merged = merge_event_logs(logs, case_map=MAP, pseudonym_key=key)
    ev = merged.events
    # C1 links CRM C1 and ERP 900: one case, whose id is the pseudonym of the merged id "C1"
    assert ev.loc[ev["activity"] == "Pay", "case_id"].tolist() == [pseudonym("C1", key, prefix="case-")]
    assert ev["case_id"].nunique() == 4
    assert set(ev.loc[ev["activity"] == "Pay", "system_case_id"]) == {pseudonym("900", key, prefix="case-")}
    assert set(ev["resource"]) == {
        pseudonym(r, key, prefix="res-") for r in ("ann", "bob", "erp-bot", "cara")
    }
    assert merged.quality.details["pseudonymised"]["columns"] == ["case_id", "resource", "system_case_id"]
    assert not [n for n in merged.quality.notes if "C1" in n or "ann" in n]


def test_bookkeeping_columns_of_a_merged_log_are_not_attributes(logs):
    from analysis.queries.readiness import attribute_names
    from mapper.columns import NOT_ATTRIBUTES, SOURCE_ROW_NR, SOURCE_SYSTEM

    merged = merge_event_logs(logs, case_map=MAP)
    assert {SOURCE_ROW_NR, SOURCE_SYSTEM} <= set(merged.events.columns) & NOT_ATTRIBUTES
    assert not set(attribute_names(merged).values()) & NOT_ATTRIBUTES
