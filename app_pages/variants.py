"""Variants: the distinct paths through the process, most common first."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from analysis.escape import escape_figure
from app_pages.common import require_findings, table

TOP = 20

f = require_findings()
v = f.variants

st.title("Variants")
top = v.head(TOP)
c1, c2, c3 = st.columns(3)
c1.metric("Variants", f"{len(v):,}")
c2.metric(f"Cases in the top {min(TOP, len(v))}", f"{top['share'].sum():.0%}")
c3.metric("Cases on a path of their own", f"{int((v['cases'] == 1).sum()):,}")

fig = px.bar(
    # Paths escaped below (escape_figure): plotly renders markup in hover text.
    top.assign(label="#" + top["variant"].astype(str), path=top["trace"].map(" → ".join)),
    x="label",
    y="cases",
    hover_data={"path": True, "events": True, "cycle_hours_median": ":.1f", "label": False},
    labels={"label": "variant", "cases": "cases"},
    title=f"The {len(top)} most common variants",
)
st.plotly_chart(escape_figure(fig))

st.subheader("All variants")
st.caption("Filter the analysis to chosen variants in the sidebar.")
table(
    v.assign(trace=v["trace"].map(" → ".join)),
    column_config={"trace": st.column_config.TextColumn("path", width="large")},
)

chosen = st.selectbox("Show the steps of a variant", v["variant"].head(500).tolist(), key="variant_detail")
row = v.set_index("variant").loc[chosen]
st.markdown(
    f"**Variant {chosen}**: {row['cases']:,} cases ({row['share']:.1%}), {row['events']} steps, median "
    f"cycle {row['cycle_hours_median']:.1f} h."
)
st.dataframe({"step": list(range(1, len(row["trace"]) + 1)), "activity": list(row["trace"])}, hide_index=True)
