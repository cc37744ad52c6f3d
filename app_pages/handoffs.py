"""Handoffs & rework: where work changes hands badly (network, matrix, example cases), what is redone."""

from __future__ import annotations

import streamlit as st

from analysis import find_handoff_cases, handoff_matrix, plot_handoff_matrix, plot_handoff_network
from app_pages.common import md_escape, require_findings, table
from mapper import FlowreadyError

LEVELS = {
    "role": "Between roles / teams",
    "resource": "Between people and systems",
    "system": "Between source systems",
}
MATRIX_VALUES = {
    "count": "handovers",
    "cases": "cases",
    "ping_pong_cases": "ping-pong cases",
    "delay_hours_median": "median delay (hours)",
}

f = require_findings()
h = f.handoffs

st.title("Handoffs & rework")
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

    st.subheader("Failing handoffs")
    if len(failing):
        st.caption(
            "Pairs whose work bounces straight back and is redone (ping-pong) or waits unusually long."
        )
        table(failing)
    else:
        st.caption("No failing handoff at this level.")

    network, matrix, all_pairs = st.tabs(["Network", "Matrix", "All pairs"])
    with network:
        top = st.slider(
            "Pairs shown (the most frequent, plus every failing one)", 5, 200, 40, key="handoff_top"
        )
        st.graphviz_chart(plot_handoff_network(h, level=level, top=top), width="stretch")
    with matrix:
        value = st.selectbox(
            "Cell value", list(MATRIX_VALUES), format_func=MATRIX_VALUES.get, key="matrix_value"
        )
        m = handoff_matrix(h, level=level, value=value)
        if len(m) > 60:
            st.caption(f"{len(m)} performers: the chart shows the 60 busiest; the table below has them all.")
            m = m.iloc[:60, :60]
            st.plotly_chart(
                plot_handoff_matrix(
                    h[h["source"].isin(m.index) & h["target"].isin(m.columns)], level=level, value=value
                )
            )
        else:
            st.plotly_chart(plot_handoff_matrix(h, level=level, value=value))
        with st.expander("The matrix as a table"):
            st.dataframe(handoff_matrix(h, level=level, value=value))
    with all_pairs:
        table(at_level)

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
            st.error(str(exc))
        else:
            st.caption(
                f"Cases in which {md_escape(source)} hands work to {md_escape(target)}: ping-pong cases "
                "first, then those with the most such handovers."
            )
            table(cases)

st.subheader("Rework")
st.caption("Steps repeated within a case; share is of the cases that contain the step.")
table(f.rework)
