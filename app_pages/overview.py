"""Overview: the verdict, the headline numbers and the data quality of the loaded log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import bullet_list, md_escape, require_findings, show_import_report, table
from mapper.units import humanize_hours

f = require_findings()
s = f.summary
cycle = f.bottlenecks.cycle

st.title(f"Overview: {md_escape(s['source'])}")

if f.verdict.orchestrate_first:
    st.warning(
        "**Verdict: orchestrate first.** Fix how work flows before automating steps:",
        icon=":material/construction:",
    )
else:
    st.success(
        "**Verdict: ready to automate** the steps the readiness scores recommend.",
        icon=":material/check_circle:",
    )
bullet_list(f.verdict.reasons)

st.subheader("The log")
row1 = st.columns(6)
counts = [
    ("Cases", s["cases"]),
    ("Events", s["events"]),
    ("Activities", s["activities"]),
    ("Variants", s["variants"]),
    ("Resources", s["resources"]),
    ("Roles / teams", s["roles"]),
]
for col, (label, value) in zip(row1, counts, strict=True):
    col.metric(label, f"{value:,}")
row2 = st.columns(4)
row2[0].metric("Median cycle time", humanize_hours(cycle["median"]), help="Closed cases only.")
row2[1].metric("p90 cycle time", humanize_hours(cycle["p90"]), help="Closed cases only.")
row2[2].metric("Open cases", f"{cycle['open_cases']:,}")
row2[3].metric(
    "Possibly stuck",
    f"{cycle['stuck_cases']:,}",
    help="Open cases older than the p95 cycle time of closed cases.",
)
start, end = (pd.Timestamp(s[k]).strftime("%d %b %Y %H:%M UTC") for k in ("start", "end"))
st.caption(
    f"From {start} to {end}. "
    + (
        "Start times present: waiting and processing are measured apart."
        if s["has_start_timestamps"]
        else "No start times: waiting before a step includes its processing."
    )
)

candidates = f.automation_candidates()
failing = f.failing_handoffs()
# One under the other, each as wide as the page: side by side, their columns were cut off.
with st.container():
    st.subheader("Automation candidates")
    if len(candidates):
        table(
            candidates[["activity", "recommendation", "score", "volume", "workload_hours_per_year"]],
            column_config={"score": st.column_config.NumberColumn("readiness (0-100)", format="%.0f")},
        )
        st.caption("Why each one, and every other step: Readiness.")
    else:
        st.caption("No step is recommended for straight automation yet.")
with st.container():
    st.subheader("Handoffs that fail")
    if len(failing):
        total = len(f.handoff_failures.failures) if f.handoff_failures is not None else len(failing)
        # The cases in which the failure happened, not every handover of the pair.
        table(
            failing[
                ["pattern", "source", "target", "after_activity", "cases", "share_of_cases", "hours_lost"]
            ],
            column_config={
                "cases": st.column_config.NumberColumn(
                    "cases affected", format="%,d", help="Cases in which this failure happened."
                ),
                "share_of_cases": st.column_config.NumberColumn(
                    "share of cases", format="percent", help="Of all cases of the log."
                ),
                "hours_lost": st.column_config.NumberColumn(
                    "hours lost", format="%,.0f", help="Waiting it caused, summed over the cases."
                ),
            },
        )
        if total > len(failing):
            st.caption(
                f"The {len(failing)} that cost most hours, of {total} failures; all of them on "
                "Handoffs & rework."
            )
    else:
        st.caption("No failing handoff.")

st.subheader("Data quality")
st.caption(f"Read from {md_escape(f.quality.source)} ({f.quality.format}).")
show_import_report(f.quality)
