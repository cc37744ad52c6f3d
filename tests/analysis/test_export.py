"""CSV/Excel exports: formula injection neutralised, values kept."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from analysis.export import export_table, export_tables, neutralise_formulas
from mapper.errors import FlowreadyError

RISKY = pd.DataFrame(
    {
        "activity": ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "Plain", None],
        "hours": [1.5, -5.0, 0.0, 2.0, 3.0, 4.0, 5.0],
        "=name": ["a", "b", "c", "d", "e", "f", "g"],
    }
)


def test_neutralise_prefixes_risky_text_only():
    out = neutralise_formulas(RISKY)
    assert out["activity"].tolist()[:6] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab",
        "Plain",
    ]
    assert out["activity"].isna().tolist()[6]
    assert out["hours"].tolist() == RISKY["hours"].tolist()  # -5.0 stays a number
    assert list(out.columns) == ["activity", "hours", "'=name"]
    assert RISKY["activity"].iloc[0].startswith("=")  # input unchanged


def test_csv_export(tmp_path):
    path = export_table(RISKY, tmp_path / "t.csv")
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert back["activity"].tolist()[:4] == ['\'=HYPERLINK("http://x")', "'+1+1", "'-2+3", "'@SUM(A1)"]
    assert back["hours"].tolist()[1] == -5.0
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_excel_export_has_no_formula_cells(tmp_path):
    when = pd.Series(pd.to_datetime(["2024-01-01T10:00Z"] * 7))
    path = export_tables({"risky/one": RISKY.assign(when=when)}, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["risky_one"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert ws["A2"].value == '\'=HYPERLINK("http://x")'
    assert ws["B3"].value == -5
    assert ws["D2"].value == pd.Timestamp("2024-01-01 10:00").to_pydatetime()  # naive UTC


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(FlowreadyError, match=r"t.json: tables are written as .csv or .xlsx"):
        export_table(RISKY, tmp_path / "t.json")


def test_findings_tables_export_round_trip(tmp_path, sample_findings):
    tables = sample_findings.tables()
    assert set(tables) == {
        "bottlenecks",
        "transitions",
        "stuck_cases",
        "handoffs",
        "rework",
        "readiness",
        "readiness_factors",
        "variants",
        "dfg",
        "import_report",
        # schema 1.3
        "waiting_causes",
        "waiting_causes_transitions",
        "batches",
        "calendars",
        "performers",
        "automation",
        "handoff_failures",
        "waits_on_outside_parties",
        "dropped_batons",
        "handoff_chains",
        "activity_handoff_roles",
        "performance_spectrum",
        "waiting_drift",
        "waiting_drift_changes",
        "wait_drivers",
        "wait_driver_levels",
        "decision_points",
        "decision_rules",
        "orchestration_gate",
        "orchestration_conditions",
    }
    path = export_tables(tables, tmp_path / "all.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == list(tables)
    assert wb["bottlenecks"].max_row == len(tables["bottlenecks"]) + 1


def test_excel_sheets_are_capped_and_say_so(tmp_path):
    big = pd.DataFrame({"case_id": [f"c{i}" for i in range(7)], "age_hours": [7.0, 6, 5, 4, 3, 2, 1]})
    small = pd.DataFrame({"x": [1, 2]})
    path = export_tables({"stuck": big, "small": small}, tmp_path / "t.xlsx", max_rows=3)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["stuck", "small", "truncated"]
    stuck = [[c.value for c in row] for row in wb["stuck"].iter_rows()]
    assert stuck == [["case_id", "age_hours"], ["c0", 7], ["c1", 6], ["c2", 5]]  # the first rows
    assert wb["small"].max_row == 3  # header + both rows: nothing cut
    notes = [[c.value for c in row] for row in wb["truncated"].iter_rows()]
    assert notes == [
        ["sheet", "rows_written", "rows_total", "note"],
        ["stuck", 3, 7, "The first 3 of 7 rows; the CSV export holds them all."],
    ]
    assert export_table(big, tmp_path / "t.csv").read_text("utf-8-sig").count("\n") == 8  # CSV: all rows
    uncut = openpyxl.load_workbook(export_tables({"stuck": big}, tmp_path / "u.xlsx", max_rows=None))
    assert uncut.sheetnames == ["stuck"] and uncut["stuck"].max_row == 8
    with pytest.raises(FlowreadyError, match="max_rows must be a positive integer or None, not 0"):
        export_tables({"stuck": big}, tmp_path / "v.xlsx", max_rows=0)
