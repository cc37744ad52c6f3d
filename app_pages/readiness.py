"""Readiness: how ready each step is for automation, why (factor breakdown), and what to do with it."""

from __future__ import annotations

import html

import plotly.express as px
import streamlit as st

from app_pages.common import RECOMMENDATION_LABELS, extra_tables, md_escape, require_findings, table

f = require_findings()
r = f.readiness

st.title("Automation readiness")
counts = r.scores["recommendation"].value_counts()
cols = st.columns(4)
for col, (rec, label) in zip(cols, RECOMMENDATION_LABELS.items(), strict=True):
    col.metric(label, f"{int(counts.get(rec, 0))}")

st.subheader("Value against feasibility")
st.caption("Right = more ready (readiness score); up = more value (share of cases that contain the step).")
st.plotly_chart(r.plot())

st.subheader("Scores and recommendations")
table(
    r.to_frame(),
    column_config={
        "score": st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.0f"),
        "rationale": st.column_config.TextColumn("rationale", width="large"),
    },
)
if r.handoff_level:
    st.caption(f"Handoffs measured between {md_escape(r.handoff_level)}s.")

st.subheader("Factor breakdown")
factors = r.factor_table()
st.caption(
    "Each factor's points: its 0-1 score times its weight (renormalised over the factors the log lets us "
    "measure) times 100. The points of a step add up to its score. See docs/readiness.md."
)
points = factors.pivot(index="activity", columns="factor", values="points").loc[r.scores["activity"]]
points = points[list(r.weights)]
st.dataframe(
    points.assign(score=r.scores.set_index("activity")["score"]),
    column_config={
        c: st.column_config.ProgressColumn(c, min_value=0, max_value=100 * w, format="%.1f")
        for c, w in r.weights.items()
    }
    | {"score": st.column_config.NumberColumn("score", format="%.0f")},
)
activity = st.selectbox("One step in detail", r.scores["activity"].tolist(), key="readiness_activity")
one = factors[factors["activity"] == activity]
fig = px.bar(
    one,
    x="points",
    y="factor",
    orientation="h",
    hover_data=["value", "factor_score", "effective_weight"],
    title=f"{html.escape(activity)}: {one['score'].iloc[0]:.0f} points",  # plotly renders markup
)
fig.update_layout(height=320, yaxis={"categoryorder": "array", "categoryarray": list(r.weights)[::-1]})
st.plotly_chart(fig)
table(one.drop(columns=["activity", "score", "recommendation"]))

extra_tables(r, shown={"scores"})
