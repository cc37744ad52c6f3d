"""Bottlenecks: where cases wait, what is known of why, and which cases look stuck."""

from __future__ import annotations

import streamlit as st

from app_pages.common import bullet_list, extra_tables, md_escape, require_findings, table
from mapper.units import humanize_hours

f = require_findings()
b = f.bottlenecks

st.title("Bottlenecks")
if b.waiting_includes_processing:
    st.info("The log has no start times, so the waiting before a step includes the step's own processing.")
if f.log.has_estimated_start_times:
    st.warning("Some start times were ESTIMATED (pix-framework), not recorded: waiting times rest on them.")

cols = st.columns(5)
cols[0].metric("Median cycle time", humanize_hours(b.cycle["median"]), help="Closed cases only.")
cols[1].metric("p90 cycle time", humanize_hours(b.cycle["p90"]), help="Closed cases only.")
cols[2].metric("Closed cases", f"{b.cycle['closed_cases']:,}")
cols[3].metric("Open cases", f"{b.cycle['open_cases']:,}")
cols[4].metric("Possibly stuck", f"{b.cycle['stuck_cases']:,}")
if b.end_activities:
    st.caption(
        f"Cases count as closed when they end with: {', '.join(md_escape(a) for a in b.end_activities)}."
    )

st.plotly_chart(b.plot())

st.subheader("Ranked by hours lost waiting before the step")
table(b.activities)

st.subheader("What is known of a bottleneck's causes")
if len(b.activities):
    activity = st.selectbox("Bottleneck", b.activities["activity"].tolist(), key="bottleneck_activity")
    row = b.activities.set_index("activity").loc[activity]
    c1, c2, c3 = st.columns(3)
    c1.metric("Rank", f"#{int(row['rank'])}")
    c2.metric("Median wait before it", humanize_hours(row["waiting_hours_median"]))
    c3.metric("Share of all waiting", f"{row['share_of_waiting']:.0%}")
    facts = []
    incoming = b.transitions[b.transitions["target"] == activity]
    if len(incoming):
        worst = incoming.iloc[0]
        part = worst["share_of_waiting"] / max(row["share_of_waiting"], 1e-12)
        facts.append(
            f"Most of the wait follows {worst['source']} ({part:.0%} of the hours lost before {activity}; "
            f"median {humanize_hours(worst['waiting_hours_median'])})."
        )
    rework = f.rework.set_index("activity")
    if activity in rework.index and rework.at[activity, "cases_with_rework"]:
        facts.append(f"It is repeated in {rework.at[activity, 'share']:.0%} of its cases (rework).")
    into = f.handoffs[
        (f.handoffs["failing"]) & (f.handoffs["level"] == f.blueprint.governance.get("handoff_level"))
    ]
    readiness = f.readiness.scores.set_index("activity")
    if activity in readiness.index:
        facts += [f"Readiness: {r}." for r in readiness.at[activity, "fix_first_reasons"]]
    stuck_here = int((b.stuck_cases["last_activity"] == activity).sum()) if len(b.stuck_cases) else 0
    if stuck_here:
        facts.append(f"{stuck_here:,} possibly stuck cases stopped at {activity}.")
    if facts:
        bullet_list(facts)
    st.markdown("**Waiting before it, by the step it follows**")
    table(incoming)

st.subheader("Waiting between steps")
table(b.transitions)

st.subheader("Possibly stuck cases")
if len(b.stuck_cases):
    st.caption("Open cases older than the p95 cycle time of closed cases, measured at the end of the log.")
    table(b.stuck_cases)
else:
    st.caption("No open case is older than the p95 cycle time of closed cases.")

extra_tables(b, shown={"activities", "transitions", "stuck_cases"})
