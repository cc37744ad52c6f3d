"""Process map: the directly-follows graph, with a frequency/performance view and abstraction sliders."""

from __future__ import annotations

import streamlit as st

from app_pages.common import md_escape, require_findings, table
from mapper.discovery import plot_process_map

VIEWS = {"frequency": "Frequency", "time": "Performance"}
STATISTICS = {"median": "median", "mean": "mean", "p90": "90th percentile", "total": "total"}

f = require_findings()
dfg = f.dfg

st.title("Process map")
c1, c2, c3, c4 = st.columns([1.2, 1.2, 1.5, 1.5])
view = c1.radio("Show", list(VIEWS), format_func=VIEWS.get, horizontal=True, key="map_view")
statistic = c2.selectbox(
    "Time statistic",
    list(STATISTICS),
    format_func=STATISTICS.get,
    key="map_statistic",
    disabled=view != "time",
    help="Performance labels the paths with this statistic of the time between the two completions.",
)
activity_pct = c3.slider(
    "Activities shown (%)", 0, 100, 100, step=5, key="map_activities", help="The most frequent first."
)
path_pct = c4.slider(
    "Paths shown (%)",
    0,
    100,
    20 if len(dfg.edges) > 60 else 100,
    step=5,
    key="map_paths",
    help="The most frequent paths, plus each activity's busiest incoming and outgoing path so the map "
    "stays connected (as in Disco).",
)
st.graphviz_chart(
    plot_process_map(
        dfg,
        overlay=view,
        statistic=statistic,
        activity_share=max(activity_pct, 1) / 100,
        path_share=path_pct / 100,
        end_activities=f.bottlenecks.end_activities,  # the other endings are cases still open
    ),
    width="stretch",
)
shown = dfg.abstract(activity_share=max(activity_pct, 1) / 100, path_share=path_pct / 100)
st.caption(
    f"{len(shown.activities)} of {len(dfg.activities)} activities and {len(shown.edges)} of {len(dfg.edges)} "
    "paths shown. Edge width follows frequency; red edges are the slowest tenth by the time statistic. "
    "Grey dotted edges into the end are cases still open: they stopped at a step that does not close a case "
    + (
        "(only "
        + ", ".join(md_escape(a) for a in f.bottlenecks.end_activities)
        + (" does)." if len(f.bottlenecks.end_activities) == 1 else " do).")
        if f.bottlenecks.end_activities
        else "(no step closes most of its cases: every case counts as open)."
    )
)

with st.expander("Paths as a table"):
    table(dfg.edges, column_config={"cases": st.column_config.NumberColumn("cases", format="%,d")})
