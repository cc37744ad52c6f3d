"""Handoffs & rework: who does the work, which handoffs fail and why, the network, what is redone."""

from __future__ import annotations

import streamlit as st

from analysis import find_handoff_cases, handoff_matrix, plot_handoff_matrix, plot_handoff_network
from analysis.performers import PERFORMER_TYPES
from app_pages.common import (
    ANALYSIS_OPTIONS,
    bullet_list,
    diagram,
    md_escape,
    method_page,
    reanalyse,
    require_findings,
    show_error,
    table,
)
from mapper import FlowreadyError

LEVELS = {
    "role": "Between roles / teams",
    "resource": "Between people and systems",
    "system": "Between source systems",
}
#: Performers drawn in the matrix chart at most (the busiest); the table has them all.
MAX_MATRIX = 60
#: How the page names the performer types and the failure patterns.
TYPE_LABELS = {"human": "person", "system": "system", "bot": "bot", "external": "outside party"}
PATTERN_HELP = {
    "ping-pong": "work bounces between two teams and is redone, with no review in between",
    "rework": "a review sends work back to be corrected and checked again",
    "dropped-baton": "the case sat untouched far longer than usual after the handoff, later ones went first",
    "escalation-bounce": "a case went up a support level and came back down",
}
MATRIX_VALUES = {
    "count": "handovers",
    "cases": "cases",
    "ping_pong_cases": "ping-pong cases",
    "delay_hours_median": "median delay (hours)",
}

f = require_findings()
h = f.handoffs
failures = f.handoff_failures

st.title("Handoffs & rework")
method_page("handoffs", "How failing handoffs are found")

if f.performers is not None:
    st.subheader("Who does the work")
    perf = f.performers
    counts = perf.summary()
    cols = st.columns(4)
    for col, t in zip(cols, PERFORMER_TYPES, strict=True):
        col.metric(
            TYPE_LABELS[t].capitalize() + ("s" if counts[t]["performers"] != 1 else ""),
            counts[t]["performers"],
        )
    if f.roles is not None:
        st.info(f.roles.note, icon=":material/group_work:")
    st.caption(
        "Each performer is typed from its name and its behaviour (instant processing, work around the clock, "
        "answering requests only…); the reason quotes the numbers. Correct any type below and analyse again: "
        "the automation rate of each step and the handoff analysis follow the types."
    )
    editable = perf.table[["performer", "type", "confidence", "reason", "overridden", "events"]].copy()
    edited = st.data_editor(
        editable,
        hide_index=True,
        disabled=["performer", "confidence", "reason", "overridden", "events"],
        column_config={
            "type": st.column_config.SelectboxColumn("type", options=list(PERFORMER_TYPES), required=True),
            "confidence": st.column_config.NumberColumn(format="%.2f"),
            "reason": st.column_config.TextColumn(width="large"),
        },
        key="performer_types_editor",
    )
    changed = {
        p: t
        for p, t, old in zip(edited["performer"], edited["type"], editable["type"], strict=True)
        if t != old
    }
    current = dict(st.session_state.get(ANALYSIS_OPTIONS, {}).get("performer_types") or {})
    if st.button(
        f"Analyse again with {len(changed)} changed type(s)" if changed else "Analyse again with these types",
        disabled=not changed,
        key="performer_types_apply",
    ):
        try:
            reanalyse(
                {**st.session_state.get(ANALYSIS_OPTIONS, {}), "performer_types": {**current, **changed}}
            )
        except FlowreadyError as exc:
            show_error(exc)
        else:
            st.rerun()
    if current:
        st.caption("Set by you: " + ", ".join(f"{md_escape(p)} = {t}" for p, t in current.items()) + ".")
    with st.expander("Automation rate of each step (share of its events done by systems and bots)"):
        table(perf.activity_automation)
    if perf.notes:
        bullet_list(perf.notes)

if failures is not None:
    st.subheader("Handoffs that fail")
    if len(failures.failures):
        st.caption(
            f"At the {failures.level} level, ranked by the hours they cost. "
            + " ".join(
                f"**{p}**: {t}." for p, t in PATTERN_HELP.items() if p in set(failures.failures["pattern"])
            )
        )
        st.plotly_chart(failures.plot(), key="handoff_failures_chart")
        table(
            failures.failures.assign(example_cases=failures.failures["example_cases"].map(", ".join)),
            column_config={
                "count": st.column_config.NumberColumn("times", format="%,d", help="Times it happened."),
                "cases": st.column_config.NumberColumn(
                    "cases affected", format="%,d", help="Cases in which it happened."
                ),
            },
        )
    else:
        st.caption(f"No failing handoff at the {failures.level} level.")
    if len(failures.request_response):
        st.markdown("**Waiting on outside parties** (a request and its answer: not a failure of the teams)")
        rr = failures.request_response
        table(rr.assign(example_cases=rr["example_cases"].map(", ".join)))
    if len(failures.dropped_batons):
        with st.expander(f"Every dropped baton ({len(failures.dropped_batons):,}, most hours lost first)"):
            table(failures.dropped_batons)
    fit = failures.chain_fit
    if fit.get("factor") is not None:
        st.markdown(
            f"**Handoff chains**: each extra {failures.level} a case crosses multiplies its cycle time by "
            f"**{fit['factor']:.2f}** (95 % interval {fit['factor_low']:.2f}–{fit['factor_high']:.2f}, "
            f"{fit['cases']:,} closed cases). An association: harder cases also need more teams."
        )
        st.plotly_chart(failures.plot_chains(), key="handoff_chains_chart")
    if len(failures.escalations):
        st.markdown("**Escalations**")
        table(failures.escalations)
    if failures.notes:
        with st.expander("How the failures were found"):
            bullet_list(failures.notes)

if h.empty:
    st.info("The log names no resources or roles, so handovers of work cannot be measured.")
else:
    present = [lvl for lvl in LEVELS if lvl in set(h["level"])]
    default = f.blueprint.governance.get("handoff_level")
    level = st.radio(
        "Level",
        present,
        index=present.index(default) if default in present else 0,
        format_func=LEVELS.get,
        horizontal=True,
        key="handoff_level",
    )
    at_level = h[h["level"] == level]
    failing = at_level[at_level["failing"]].sort_values(["ping_pong_cases", "count"], ascending=False)
    c1, c2, c3 = st.columns(3)
    c1.metric("Handover pairs", f"{len(at_level):,}")
    c2.metric("Handovers", f"{int(at_level['count'].sum()):,}")
    c3.metric("Failing pairs", f"{len(failing):,}")

    st.subheader("Handover of work")
    if len(failing):
        st.caption(
            "Pairs whose work bounces straight back and is redone (failing); a pair that is only slow is a "
            "queue at the receiver (see Bottlenecks), flagged but not failing."
        )
        # The failures first: a pair's handovers are all its work, most of it normal.
        table(
            failing[
                [
                    c
                    for c in (
                        "source",
                        "target",
                        "failure",
                        "ping_pong_cases",
                        "cases",
                        "count",
                        "delay_hours_median",
                        "delay_hours_p90",
                    )
                    if c in failing
                ]
            ],
            column_config={
                "ping_pong_cases": st.column_config.NumberColumn(
                    "cases that bounced",
                    format="%,d",
                    help="Cases whose work came straight back and was redone.",
                ),
                "cases": st.column_config.NumberColumn("cases with a handover", format="%,d"),
                "count": st.column_config.NumberColumn(
                    "handovers (all)", format="%,d", help="Every handover of the pair, the normal ones too."
                ),
            },
        )
    else:
        st.caption("No pair bounces work straight back at this level.")

    network, matrix, all_pairs = st.tabs(["Network", "Matrix", "All pairs"])
    with network:
        top = st.slider(
            "Pairs shown (the most frequent, plus every failing one)", 5, 200, 40, key="handoff_top"
        )
        performers = len(set(at_level["source"]) | set(at_level["target"]))  # at most this many nodes
        network = plot_handoff_network(h, level=level, top=top)
        # At its own size: stretched to the page, a small network drew its labels a centimetre high.
        diagram(network, nodes=performers, name=f"handoffs-{level}-{top}", width="content")
    with matrix:
        value = st.selectbox(
            "Cell value", list(MATRIX_VALUES), format_func=MATRIX_VALUES.get, key="matrix_value"
        )
        full = handoff_matrix(h, level=level, value=value)
        shown = h
        if len(full) > MAX_MATRIX:
            st.caption(
                f"{len(full)} performers: the chart shows the {MAX_MATRIX} busiest; the table below has "
                "them all."
            )
            busiest = full.index[:MAX_MATRIX]
            shown = h[h["source"].isin(busiest) & h["target"].isin(busiest)]
        st.plotly_chart(plot_handoff_matrix(shown, level=level, value=value))
        with st.expander("The matrix as a table"):
            st.dataframe(full)
    with all_pairs:
        table(
            at_level,
            column_config={
                "count": st.column_config.NumberColumn("handovers (all)", format="%,d"),
                "ping_pong_cases": st.column_config.NumberColumn("cases that bounced", format="%,d"),
            },
        )

    st.subheader("Example cases of a handoff")
    pairs = (failing if len(failing) else at_level).head(200)
    labels = [f"{s} → {t}" for s, t in zip(pairs["source"], pairs["target"], strict=True)]
    pick = st.selectbox(
        "Pair (failing pairs first)" if len(failing) else "Pair (most frequent first)",
        range(len(labels)),
        format_func=lambda i: labels[i],
        key="handoff_pair",
    )
    if pick is not None and len(pairs):
        source, target = pairs.iloc[pick][["source", "target"]]
        try:
            cases = find_handoff_cases(f.log, level=level, source=source, target=target, top=20)
        except FlowreadyError as exc:
            show_error(exc)
        else:
            st.caption(
                f"Cases in which {md_escape(source)} hands work to {md_escape(target)}: ping-pong cases "
                "first, then those with the most such handovers."
            )
            table(cases)

st.subheader("Rework")
st.caption("Steps repeated within a case; share is of the cases that contain the step.")
table(f.rework)
