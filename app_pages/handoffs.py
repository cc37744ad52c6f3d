"""Handoffs & rework: where work changes hands badly (network, matrix, example cases), what is redone."""

from __future__ import annotations

import streamlit as st

from analysis import find_handoff_cases, handoff_matrix, plot_handoff_matrix, plot_handoff_network
from app_pages.common import diagram, md_escape, require_findings, table
from mapper import FlowreadyError

LEVELS = {
    "role": "Between roles / teams",
    "resource": "Between people and systems",
    "system": "Between source systems",
}
#: Performers drawn in the matrix chart at most (the busiest); the table has them all.
MAX_MATRIX = 60
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
        performers = len(set(at_level["source"]) | set(at_level["target"]))  # at most this many nodes
        network = plot_handoff_network(h, level=level, top=top)
        diagram(network, nodes=performers, name=f"handoffs-{level}-{top}")
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
