"""Downloads: the report, findings.json, the blueprint (BPMN, JSON), the process map and every table.

Each file is written when its button is clicked, by the library's own writers, so this page opens at
once whatever the size of the log.
"""

from __future__ import annotations

import shutil
from functools import partial

import streamlit as st

from analysis.outputs import CHROMIUM_MISSING, OUTPUTS, render_output
from analysis.pdf import find_chromium
from app_pages.common import (
    download,
    require_findings,
    table_bytes,
    tables_workbook_bytes,
)

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

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
chromium_missing = find_chromium() is None
for output in OUTPUTS:
    if graphviz_missing and output.needs_graphviz:
        continue
    if chromium_missing and output.needs_chromium:
        st.caption(f"{output.name} is not offered: {CHROMIUM_MISSING}.")
        continue
    left, right = st.columns([1, 3])
    download(
        output.name,
        partial(render_output, f, output.name),
        output.name,
        output.media_type,
        f"download_{output.name}",
        left,
    )
    right.caption(output.description)

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
