"""Handoffs & rework: where work changes hands badly, and which steps are repeated."""

from __future__ import annotations

import streamlit as st

from app_pages.common import require_findings

HOUR_COLUMNS = {
    c: st.column_config.NumberColumn(c, format="%.1f") for c in ("delay_hours_median", "delay_hours_p90")
}
LEVELS = {"role": "Between roles / teams", "resource": "Between people and systems"}

f = require_findings()

st.title("Handoffs & rework")

st.subheader("Failing handoffs")
failing = f.failing_handoffs(top=20)
if len(failing):
    st.caption(
        "Pairs whose work bounces straight back (ping-pong) or waits unusually long, "
        f"at the level the blueprint uses ({f.blueprint.governance.get('handoff_level') or 'any'})."
    )
    st.dataframe(failing, hide_index=True, column_config=HOUR_COLUMNS)
else:
    st.caption("No failing handoff.")

st.subheader("All handoffs")
if len(f.handoffs):
    levels = [lvl for lvl in LEVELS if lvl in set(f.handoffs["level"])]
    level = st.radio("Level", levels, format_func=LEVELS.get, horizontal=True, key="handoff_level")
    st.dataframe(
        f.handoffs[f.handoffs["level"] == level],
        hide_index=True,
        column_config=HOUR_COLUMNS,
    )
else:
    st.info("The log names no resources or roles, so handoffs cannot be measured.")

st.subheader("Rework")
st.caption("Steps repeated within a case; share is of the cases that contain the step.")
st.dataframe(
    f.rework,
    hide_index=True,
    column_config={"share": st.column_config.NumberColumn("share", format="percent")},
)
