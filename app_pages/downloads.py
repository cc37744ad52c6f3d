"""Downloads: the report, findings.json, the blueprint (BPMN, JSON), the process map and every table."""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    download,
    export_files,
    process_map_svg,
    report_html,
    require_findings,
    table_files,
    view_key,
)
from mapper import FlowreadyError

MIME = {
    "html": "text/html",
    "json": "application/json",
    "bpmn": "application/xml",
    "svg": "image/svg+xml",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DESCRIPTIONS = {
    "report.html": "The report for leaders: findings, where to start, expected impact (one file).",
    "findings.json": "Every finding, in the documented, versioned contract (docs/findings.md).",
    "blueprint.bpmn": "The redesigned process as BPMN 2.0 with diagram, for Camunda, bpmn.io or Signavio.",
    "blueprint.json": "The blueprint with its governance (SLAs, retries, approvals, audit events, KPIs).",
    "process_map.svg": "The process map (all activities, the default paths) as an image.",
}

f = require_findings()
key = view_key()

st.title("Downloads")
if f.log.filters:
    st.caption("The files describe the filtered view shown in the app.")

st.subheader("Report and results")
files: dict[str, bytes] = {}
try:
    files["report.html"] = report_html(key, f)
except FlowreadyError as exc:
    st.error(str(exc))
files.update(export_files(key, f))
try:
    files["process_map.svg"] = process_map_svg(key, f)
except FlowreadyError as exc:
    st.error(str(exc))
for name in DESCRIPTIONS:
    if name in files:
        left, right = st.columns([1, 3])
        download(name, files[name], name, MIME[name.rsplit(".", 1)[1]], f"download_{name}", left)
        right.caption(DESCRIPTIONS[name])

st.subheader("Tables")
st.caption(
    "Every table as CSV (UTF-8, opens in Excel) and as Excel. Cells that begin with =, +, - or @ are "
    "prefixed with ' so that a spreadsheet cannot run them as formulas."
)
tables = table_files(key, f)
everything = tables.pop("tables")
download("All tables (tables.xlsx)", everything["xlsx"], "tables.xlsx", MIME["xlsx"], "download_tables.xlsx")
for name, formats in tables.items():
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.markdown(f"**{name}**")
    download(f"{name}.csv", formats["csv"], f"{name}.csv", MIME["csv"], f"download_{name}.csv", c2)
    download(f"{name}.xlsx", formats["xlsx"], f"{name}.xlsx", MIME["xlsx"], f"download_{name}.xlsx", c3)
