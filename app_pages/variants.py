"""Variants: the distinct paths through the process, most common first."""

from __future__ import annotations

import streamlit as st

from analysis.variants import HOURS_PER_UNIT, cycle_unit, plot_variants
from app_pages.common import require_findings, table

TOP = 20

f = require_findings()
v = f.variants
# One unit for cycle times on every page: the Overview's (days from a median cycle of two days).
unit = cycle_unit(f.bottlenecks.cycle["median"])
scale = HOURS_PER_UNIT[unit]

st.title("Variants")
top = v.head(TOP)
c1, c2, c3 = st.columns(3)
c1.metric("Variants", f"{len(v):,}")
c2.metric(f"Cases in the top {min(TOP, len(v))}", f"{top['share'].sum():.0%}")
c3.metric("Cases on a path of their own", f"{int((v['cases'] == 1).sum()):,}")

st.plotly_chart(plot_variants(v, top=TOP, unit=unit), key="variants_chart")

st.subheader("All variants")
st.caption(
    "Filter the analysis to chosen variants in the sidebar. Hover a path to read it whole, or pick a "
    "variant below to see its steps one per line."
)
table(
    v.assign(
        trace=v["trace"].map(" → ".join),
        cycle_hours_median=v["cycle_hours_median"] / scale,
        cycle_hours_p90=v["cycle_hours_p90"] / scale,
    )[
        [
            "variant",
            "cases",
            "share",
            "cumulative_share",
            "events",
            "cycle_hours_median",
            "cycle_hours_p90",
            "trace",
        ]
    ],
    column_config={
        "variant": st.column_config.NumberColumn("variant", format="#%d", width="small", pinned=True),
        "events": st.column_config.NumberColumn("steps", format="%d"),
        "cycle_hours_median": st.column_config.NumberColumn(f"median cycle ({unit})", format="%,.1f"),
        "cycle_hours_p90": st.column_config.NumberColumn(f"p90 cycle ({unit})", format="%,.1f"),
        "trace": st.column_config.TextColumn("path", width=900),
    },
)

chosen = st.selectbox("Show the steps of a variant", v["variant"].head(500).tolist(), key="variant_detail")
row = v.set_index("variant").loc[chosen]
st.markdown(
    f"**Variant {chosen}**: {row['cases']:,} cases ({row['share']:.1%}), {row['events']} steps, median "
    f"cycle {row['cycle_hours_median'] / scale:,.1f} {unit}."
)
st.dataframe(
    {"step": list(range(1, len(row["trace"]) + 1)), "activity": list(row["trace"])},
    hide_index=True,
    width="stretch",
)
