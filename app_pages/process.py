"""Process: the process map (directly-follows graph) and the variants."""

from __future__ import annotations

import streamlit as st

from app_pages.common import require_findings

OVERLAYS = {"frequency": "How often (frequency)", "time": "How long (median time)", "both": "Both"}

f = require_findings()

st.title("Process")
overlay = st.radio(
    "Label the paths with", list(OVERLAYS), format_func=OVERLAYS.get, horizontal=True, key="process_overlay"
)
st.graphviz_chart(f.dfg.to_graphviz(overlay=overlay))
st.caption("Edge width follows frequency; red edges are the slowest tenth (median time between completions).")

st.subheader("Variants")
st.caption(f"{len(f.variants):,} distinct paths through the process, most common first.")
variants = f.variants.assign(trace=f.variants["trace"].map(" → ".join))
st.dataframe(
    variants,
    hide_index=True,
    column_config={
        "trace": st.column_config.TextColumn("path", width="large"),
        "share": st.column_config.NumberColumn("share", format="percent"),
        "cumulative_share": st.column_config.NumberColumn("cumulative share", format="percent"),
        "cycle_hours_median": st.column_config.NumberColumn("median cycle (h)", format="%.1f"),
        "cycle_hours_p90": st.column_config.NumberColumn("p90 cycle (h)", format="%.1f"),
    },
)
