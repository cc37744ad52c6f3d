"""Readiness: how ready each step is for automation, and what to do with it."""

from __future__ import annotations

import streamlit as st

from app_pages.common import require_findings

f = require_findings()
r = f.readiness

st.title("Automation readiness")
st.plotly_chart(r.plot())

st.subheader("Scores and recommendations")
table = r.to_frame()
st.dataframe(
    table,
    hide_index=True,
    column_config={
        "score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.0f"),
        "rationale": st.column_config.TextColumn("rationale", width="large"),
    },
)
if r.handoff_level:
    st.caption(f"Handoffs measured between {r.handoff_level}s.")

st.subheader("Best automation candidates")
candidates = f.automation_candidates()
if len(candidates):
    st.dataframe(
        candidates,
        hide_index=True,
        column_config={"volume": st.column_config.NumberColumn("share of cases", format="percent")},
    )
else:
    st.caption("No step is recommended for straight automation yet.")
