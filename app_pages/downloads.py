"""Downloads: the report, findings.json, the blueprint (BPMN, JSON), the process map and every table.

Each file is written when its button is clicked, by the library's own writers, so this page opens at
once whatever the size of the log.
"""

from __future__ import annotations

import shutil
from functools import partial

import streamlit as st

from app_pages.common import (
    blueprint_bpmn_bytes,
    blueprint_json_bytes,
    download,
    findings_bytes,
    process_map_bytes,
    report_bytes,
    require_findings,
    table_bytes,
    tables_workbook_bytes,
)

MIME = {
    "html": "text/html",
    "json": "application/json",
    "bpmn": "application/xml",
    "svg": "image/svg+xml",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: File -> (writer, what it is for).
FILES = {
    "report.html": (
        report_bytes,
        "The report for leaders: findings, where to start, expected impact (one file).",
    ),
    "findings.json": (
        findings_bytes,
        "Every finding, in the documented, versioned contract (docs/findings.md).",
    ),
    "blueprint.bpmn": (
        blueprint_bpmn_bytes,
        "The redesigned process as BPMN 2.0 with its diagram, for Camunda, bpmn.io or Signavio.",
    ),
    "blueprint.json": (
        blueprint_json_bytes,
        "The blueprint with its governance (SLAs, retries, approvals, audit events, KPIs).",
    ),
    "process_map.svg": (
        process_map_bytes,
        "The process map (all activities, the default paths) as an image.",
    ),
}
NEEDS_GRAPHVIZ = {"report.html", "process_map.svg"}

f = require_findings()

st.title("Downloads")
if f.log.filters:
    st.caption("The files describe the filtered view shown in the app.")

st.subheader("Report and results")
graphviz_missing = shutil.which("dot") is None
if graphviz_missing:
    st.error(
        "Graphviz's 'dot' program is not installed, so the report and the process map cannot be drawn; "
        "install it (apt-get install graphviz) and reload."
    )
for name, (writer, description) in FILES.items():
    if graphviz_missing and name in NEEDS_GRAPHVIZ:
        continue
    left, right = st.columns([1, 3])
    download(name, partial(writer, f), name, MIME[name.rsplit(".", 1)[1]], f"download_{name}", left)
    right.caption(description)

st.subheader("Tables")
st.caption(
    "Every table as CSV (UTF-8, opens in Excel) and as Excel. Cells that begin with =, +, - or @ are "
    "prefixed with ' so that a spreadsheet cannot run them as formulas."
)
tables = f.tables()
download(
    "All tables (tables.xlsx)",
    partial(tables_workbook_bytes, tables),
    "tables.xlsx",
    MIME["xlsx"],
    "download_tables.xlsx",
)
for name, frame in tables.items():
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.markdown(f"**{name}** ({len(frame):,} rows)")
    for col, ext in ((c2, "csv"), (c3, "xlsx")):
        download(
            f"{name}.{ext}",
            partial(table_bytes, frame, name, ext),
            f"{name}.{ext}",
            MIME[ext],
            f"download_{name}.{ext}",
            col,
        )
