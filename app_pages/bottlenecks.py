"""Bottlenecks: where cases wait, why (the five causes), what would fix it, and how waiting moves."""

from __future__ import annotations

import streamlit as st

from analysis.bottlenecks import explain_long_waits
from analysis.labels import CAUSE_LABELS
from analysis.waiting import CAUSES, REMEDIES, find_waiting_instances
from app_pages.common import (
    bullet_list,
    extra_tables,
    md_escape,
    method_page,
    require_findings,
    show_error,
    table,
)
from mapper import FlowreadyError
from mapper.units import humanize_hours

CAUSE_HELP = {
    "batching": "waited for other cases to be done together",
    "contention": "its performer was busy with work that arrived earlier",
    "prioritisation": "its performer was busy with work that arrived later (it was overtaken)",
    "unavailability": "its performer was off: outside the working hours found in the log",
    "extraneous": "none of the above: an outside party, another system, anything the log does not show",
    "unknown": "the log does not say who did the step",
}

f = require_findings()
b = f.bottlenecks
causes = b.causes
acts = b.activities

st.title("Bottlenecks")
method_page("waiting", "How the causes of waiting are found")
st.caption(
    "Where cases wait, and why: every wait is split into five causes (Lashkevich et al. 2023). Steps are "
    "ranked by the waiting that can be fixed, everything but the nights and weekends of people who work "
    "office hours."
)
if causes is not None and causes.start_times == "none":
    st.info(
        "The log has no start times: the wait before a step includes its own processing, and only time "
        "outside the performers' working hours can be told apart (the rest is *unknown*). Load the log with "
        "*Estimate missing start times* to see contention, batching and prioritisation."
    )
if f.log.has_estimated_start_times:
    st.warning("Some start times were ESTIMATED (pix-framework), not recorded: waiting times rest on them.")

cols = st.columns(5)
cols[0].metric("Median cycle time", humanize_hours(b.cycle["median"]), help="Closed cases only.")
cols[1].metric("p90 cycle time", humanize_hours(b.cycle["p90"]), help="Closed cases only.")
cols[2].metric("Closed cases", f"{b.cycle['closed_cases']:,}")
cols[3].metric("Open cases", f"{b.cycle['open_cases']:,}")
cols[4].metric("Possibly stuck", f"{b.cycle['stuck_cases']:,}")
if causes is not None:
    eff = causes.process.get("cycle_time_efficiency")
    if eff is not None:
        st.caption(
            f"Cycle-time efficiency (processing / (processing + waiting)): {eff:.2%}. Without each cause: "
            + ", ".join(
                f"{CAUSE_LABELS[c].lower()} {e:.2%}"
                for c, e in causes.process.get("efficiency_without", {}).items()
                if e is not None and c in CAUSE_LABELS
            )
            + "."
        )

st.plotly_chart(b.plot(), key="bottleneck_causes")

st.subheader("Ranked by the waiting that can be fixed")
shown = [
    "rank",
    "activity",
    "bottleneck",
    "dominant_cause",
    "remedy",
    "fixable_hours",
    "hours_lost_total",
    "working_hours_total",
    "waiting_hours_median",
    "waiting_hours_p90",
    "cases",
    *[f"{c}_hours" for c in CAUSES],
]
table(
    acts.assign(dominant_cause=acts["dominant_cause"].map(lambda c: CAUSE_LABELS.get(c, c)))[
        [c for c in shown if c in acts]
    ],
    column_config={
        "dominant_cause": st.column_config.TextColumn("main cause"),
        "fixable_hours": st.column_config.NumberColumn(
            "fixable waiting (h)",
            format="%,.0f",
            help="All waiting but nights and weekends (unavailability).",
        ),
        "bottleneck": st.column_config.CheckboxColumn("bottleneck"),
    },
)
# A total with a median and p90 of zero reads as a contradiction: say where the hours come from.
concentrated = acts.head(10)
concentrated = concentrated[
    (concentrated["waiting_hours_p90"].fillna(0) <= 0) & (concentrated["hours_lost_total"] > 0)
]
notes = [n for n in (explain_long_waits(f.log, b, a) for a in concentrated["activity"]) if n]
if notes:
    bullet_list(notes)
off = acts.loc[acts["off_hours_only"], "activity"].tolist() if "off_hours_only" in acts else []
if off:
    st.caption(
        "Not bottlenecks: "
        + ", ".join(md_escape(a) for a in off)
        + " wait almost only outside their performers' working hours, a scheduling question rather than "
        "a capacity one. They are listed after every real bottleneck."
    )

st.subheader("Why a step waits")
if len(acts):
    activity = st.selectbox("Step", acts["activity"].tolist(), key="bottleneck_activity")
    row = acts.set_index("activity").loc[activity]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Rank", f"#{int(row['rank'])}")
    c2.metric("Median wait before it", humanize_hours(row["waiting_hours_median"]))
    c3.metric("Waiting that can be fixed", humanize_hours(row.get("fixable_hours")))
    dominant = row.get("dominant_cause")
    c4.metric("Mostly", CAUSE_LABELS.get(dominant, str(dominant)))
    if "dominant_cause" in row:
        total = float(row["hours_lost_total"]) or 1.0
        st.markdown(
            f"**{md_escape(activity)}** waits mostly because {CAUSE_HELP.get(dominant, '')}. "
            f"Remedy: **{md_escape(str(row['remedy']))}**."
        )
        st.dataframe(
            {
                "cause": [CAUSE_LABELS[c] for c in CAUSES],
                "hours": [float(row[f"{c}_hours"]) for c in CAUSES],
                "share of its waiting": [float(row[f"{c}_hours"]) / total for c in CAUSES],
                "what it means": [CAUSE_HELP[c] for c in CAUSES],
                "remedy": [REMEDIES[c] for c in CAUSES],
            },
            hide_index=True,
            width="stretch",
            column_config={
                "hours": st.column_config.NumberColumn(format="%,.0f"),
                "share of its waiting": st.column_config.NumberColumn(format="percent"),
            },
        )
    long_waits = explain_long_waits(f.log, b, activity)
    if long_waits:
        st.info(md_escape(long_waits), icon=":material/timer:")
    facts = []
    rework = f.rework.set_index("activity")
    if activity in rework.index and rework.at[activity, "cases_with_rework"]:
        facts.append(f"It is repeated in {rework.at[activity, 'share']:.0%} of its cases (rework).")
    stuck_here = int((b.stuck_cases["last_activity"] == activity).sum()) if len(b.stuck_cases) else 0
    if stuck_here:
        facts.append(f"{stuck_here:,} possibly stuck cases stopped at {activity}.")
    if facts:
        bullet_list(facts)
    if causes is not None:
        st.markdown("**Waiting before it, by the step it follows**")
        table(causes.transitions[causes.transitions["target"] == activity])
        st.markdown("**The longest waits before it, with their causes** (example cases)")
        try:
            table(find_waiting_instances(f.log, activity, calendars=b.calendars, limit=25))
        except FlowreadyError as exc:
            show_error(exc)

if f.performance is not None:
    p = f.performance
    st.subheader("How cases pass between steps")
    st.caption(
        "A performance spectrum (Denisov, Fahland & van der Aalst 2018): one line per case between two "
        "steps. Lines meeting at one instant are a batch, parallel lines a queue, crossing lines cases "
        "overtaking."
    )
    if len(p.spectrum.segments):
        st.plotly_chart(p.spectrum.plot(), key="bottleneck_spectrum")
    table(p.spectrum.transitions)

    st.subheader("Waiting over time")
    if len(p.drift.monthly):
        st.plotly_chart(p.drift.plot(), key="bottleneck_drift")
        sig = p.drift.changes[p.drift.changes["significant"]]
        if len(sig):
            st.markdown("**Significant changes**")
            table(sig)
        else:
            st.caption("No significant change from month to month.")

    st.subheader("What goes with long cycle times")
    d = p.drivers
    if len(d.attributes):
        if "significant" in d.attributes and d.attributes["significant"].any():
            st.plotly_chart(d.plot(), key="bottleneck_drivers")
        table(d.attributes)
        with st.expander("Every level of every attribute"):
            table(d.levels)
    if len(d.skipped):
        with st.expander("Columns not tested, and why"):
            table(d.skipped)
    if p.sla is not None:
        st.subheader("SLA breaches")
        st.plotly_chart(p.sla.plot(), key="bottleneck_sla")
        table(p.sla.activities)

if b.calendars is not None:
    with st.expander("Working hours found in the log (calendars)"):
        st.plotly_chart(b.calendars.plot(), key="bottleneck_calendar")
        table(b.calendars.summary)
        bullet_list(b.calendars.notes)
if causes is not None:
    if len(causes.batches):
        st.subheader("Batches")
        table(causes.batches)
    if causes.notes:
        with st.expander("How the causes were measured"):
            bullet_list(causes.notes)

st.subheader("Possibly stuck cases")
if len(b.stuck_cases):
    st.caption("Open cases older than the p95 cycle time of closed cases, measured at the end of the log.")
    table(b.stuck_cases)
else:
    st.caption("No open case is older than the p95 cycle time of closed cases.")

extra_tables(b, shown={"activities", "transitions", "stuck_cases"})
