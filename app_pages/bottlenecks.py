"""Bottlenecks: where cases wait, between which steps, and which cases look stuck."""

from __future__ import annotations

import streamlit as st

from app_pages.common import md_escape, require_findings
from mapper.units import humanize_hours

HOURS = "%.1f"

f = require_findings()
b = f.bottlenecks

st.title("Bottlenecks")
if b.waiting_includes_processing:
    st.info("The log has no start times, so the waiting before a step includes the step's own processing.")

cols = st.columns(5)
cols[0].metric("Median cycle time", humanize_hours(b.cycle["median"]))
cols[1].metric("p90 cycle time", humanize_hours(b.cycle["p90"]))
cols[2].metric("Closed cases", f"{b.cycle['closed_cases']:,}")
cols[3].metric("Open cases", f"{b.cycle['open_cases']:,}")
cols[4].metric("Possibly stuck", f"{b.cycle['stuck_cases']:,}")
if b.end_activities:
    ends = ", ".join(md_escape(a) for a in b.end_activities)
    st.caption(f"Cases count as closed when they end with: {ends}.")

st.plotly_chart(b.plot())

st.subheader("Waiting before each step")
st.dataframe(
    b.activities,
    hide_index=True,
    column_config={
        "share_of_waiting": st.column_config.NumberColumn("share of waiting", format="percent"),
        **{c: st.column_config.NumberColumn(c, format=HOURS) for c in b.activities.columns if "hours" in c},
    },
)

st.subheader("Waiting between steps")
st.dataframe(
    b.transitions,
    hide_index=True,
    column_config={
        "share_of_waiting": st.column_config.NumberColumn("share of waiting", format="percent"),
        **{c: st.column_config.NumberColumn(c, format=HOURS) for c in b.transitions.columns if "hours" in c},
    },
)

st.subheader("Possibly stuck cases")
if len(b.stuck_cases):
    st.caption("Open cases older than the p95 cycle time of closed cases, measured at the end of the log.")
    st.dataframe(
        b.stuck_cases,
        hide_index=True,
        column_config={"age_hours": st.column_config.NumberColumn("age_hours", format=HOURS)},
    )
else:
    st.caption("No open case is older than the p95 cycle time of closed cases.")
