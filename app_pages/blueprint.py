"""Blueprint: the redesigned process, its orchestration steps, KPIs and the downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import ANALYSIS_KEY, export_files, report_html, require_findings
from mapper import FlowreadyError

HOURS = "%.1f"
MIME = {
    "blueprint.bpmn": "application/xml",
    "blueprint.json": "application/json",
    "findings.json": "application/json",
}

f = require_findings()
bp = f.blueprint
key = st.session_state.get(ANALYSIS_KEY, "")

st.title("Orchestration blueprint")

st.subheader("Steps")
st.dataframe(
    bp.to_frame(),
    hide_index=True,
    column_config={
        "sla_hours": st.column_config.NumberColumn("SLA (h)", format=HOURS),
        "score": st.column_config.NumberColumn("score", format="%.0f"),
    },
)

st.subheader("Orchestration steps at failing handoffs")
if len(bp.orchestration):
    orchestration = bp.orchestration.assign(
        handoffs=bp.orchestration["handoffs"].map(
            lambda hs: "; ".join(
                f"{h['source']} → {h['target']} ({h['failure']}, {h['count']:,})" for h in hs
            )
        )
    )
    st.dataframe(
        orchestration,
        hide_index=True,
        column_config={
            "sla_hours": st.column_config.NumberColumn("SLA (h)", format=HOURS),
            "action": st.column_config.TextColumn("action", width="large"),
        },
    )
else:
    st.caption("No failing handoff, so no orchestration step was inserted.")

st.subheader("KPIs to track (today's baseline)")
kpis = pd.DataFrame.from_dict(bp.kpis, orient="index").rename_axis("kpi").reset_index()
st.dataframe(kpis, hide_index=True)

with st.expander("Governance"):
    st.json(bp.governance)

st.subheader("Downloads")
cols = st.columns(4)
for col, (name, content) in zip(cols, export_files(key, f).items(), strict=False):
    col.download_button(
        name,
        content,
        file_name=name,
        mime=MIME.get(name),
        icon=":material/download:",
        on_click="ignore",
        key=f"download_{name}",
    )
try:
    report = report_html(key, f)
except FlowreadyError as exc:
    cols[3].error(str(exc))
else:
    cols[3].download_button(
        "report.html",
        report,
        file_name="report.html",
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
        key="download_report.html",
    )
