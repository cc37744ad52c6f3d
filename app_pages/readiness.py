"""Readiness: what to automate, what needs a person, what to fix first, why, and how sure we are."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.labels import FACTORS as FACTOR_WORDS
from analysis.labels import docs_link
from analysis.profile import load_profile
from analysis.readiness import GATE_METRIC_LABELS, plot_factor_breakdown
from app_pages.common import (
    ANALYSIS_OPTIONS,
    RECOMMENDATION_LABELS,
    bullet_list,
    extra_tables,
    md_escape,
    method_page,
    reanalyse,
    require_findings,
    show_error,
    table,
)
from mapper import FlowreadyError

f = require_findings()
r = f.readiness
s = r.scores

st.title("Automation readiness")
method_page("readiness", "How the readiness score and the recommendations are made")
counts = s["recommendation"].value_counts()
already = int(s["already_automated"].sum()) if "already_automated" in s else 0
cols = st.columns(5)
for col, (rec, label) in zip(cols[:4], RECOMMENDATION_LABELS.items(), strict=True):
    n = int(counts.get(rec, 0)) - (already if rec == "automate" else 0)
    col.metric(label, f"{n}")
cols[4].metric("Already automated", f"{already}", help="Done by systems or bots: an orchestration concern.")
st.caption(
    f"{r.fix_first_share:.0%} of the steps must be fixed first, each on its own evidence (its rework, the "
    "cases lost after it, its part in a failing handoff), never a neighbour's. Stability: the share of the "
    "profile's weights and thresholds, each moved by ±20 %, that keep the recommendation."
)

with st.expander("Options: sensitive attributes (equity) and the readiness profile"):
    options = dict(st.session_state.get(ANALYSIS_OPTIONS, {}))
    features = r.decisions.features
    candidates = sorted(features.loc[features["role"] == "case", "name"]) if len(features) else []
    chosen = st.multiselect(
        "Case attributes to treat as sensitive (none is assumed)",
        candidates,
        default=[c for c in options.get("equity_attributes", ()) if c in candidates],
        key="equity_attributes",
        help="Decisions recommended for automation or AI assistance are checked for different outcomes or "
        "waiting across the groups of these attributes (four-fifths rule, Holm-adjusted tests).",
    )
    profile = st.file_uploader("Readiness profile (YAML)", type=["yaml", "yml"], key="readiness_profile")
    if st.button("Score again", key="readiness_apply"):
        new = {**options, "equity_attributes": tuple(chosen)}
        try:
            if profile is not None:  # read and checked now; the session keeps the Profile, not a file
                with tempfile.TemporaryDirectory(prefix="flowready-profile-") as folder:
                    path = Path(folder) / Path(profile.name).name
                    path.write_bytes(profile.getvalue())
                    new["profile"] = load_profile(path)
            reanalyse(new)
        except FlowreadyError as exc:
            show_error(exc)
        else:
            st.rerun()
    st.caption(
        f"Profile: {md_escape(r.profile.source)}. Its keys and reasons: "
        f"[how the readiness score is made]({docs_link('readiness.html')})."
    )

st.subheader("Value against feasibility")
st.plotly_chart(r.plot(), key="readiness_matrix")

st.subheader("Where automation pays first")
cand = r.candidates(top=None)
if len(cand):
    table(
        cand.drop(columns="rationale"),
        column_config={
            "score": st.column_config.NumberColumn("readiness (0-100)", format="%.0f"),
            "priority": st.column_config.NumberColumn(
                "priority",
                format="%,.0f",
                help="Value (workload, or events per month) times readiness / 100.",
            ),
        },
    )
    # The reasons in full: a table cell cuts them off.
    st.markdown(
        "\n".join(
            f"- **{md_escape(a)}** ({RECOMMENDATION_LABELS.get(c, c)}): {md_escape(why)}"
            for a, c, why in zip(cand["activity"], cand["recommendation"], cand["rationale"], strict=True)
        )
    )
else:
    st.caption("No step is ready for automation or AI assistance yet.")

st.subheader("Every step")
shown = [
    "activity",
    "recommendation",
    "score",
    "stability",
    "already_automated",
    "rule",
    "rationale",
    "equity_note",
    "events_per_month",
    "case_coverage",
    "workload_hours_per_year",
]
table(
    s[[c for c in shown if c in s]],
    column_config={
        "score": st.column_config.ProgressColumn("readiness", min_value=0, max_value=100, format="%.0f"),
        "rationale": st.column_config.TextColumn("why (pick the step below to read it whole)", width=700),
    },
)
flagged = s[s["equity_flag"]] if "equity_flag" in s else s.iloc[0:0]
for row in flagged.itertuples():
    st.warning(f"**{md_escape(row.activity)}**: {md_escape(row.equity_note)}", icon=":material/balance:")

st.subheader("Decisions, and the rules the data show")
points = r.decisions.points
if len(points):
    st.caption(
        "Rule-determinism: how well the attributes known before the step predict where a case goes next "
        "(a cross-validated decision tree): 0 = no better than the most common outcome, 1 = a rule decides. "
        "The rules become the blueprint's gateway conditions."
    )
    if points["determinism"].notna().any():
        st.plotly_chart(r.decisions.plot(), key="readiness_determinism")
    table(points.assign(outcomes=points["outcomes"].map(str)))
    if len(r.decisions.rules):
        table(r.decisions.rules[["activity", "text", "support", "precision", "outcome"]])
else:
    st.caption("No step routes its cases to more than one next step often enough to be a decision point.")
if len(r.equity):
    st.markdown("**Equity checks**")
    table(r.equity)

if f.gate is not None:
    st.subheader("Orchestrate first? And is an orchestration layer worth it?")
    st.plotly_chart(f.gate.plot(), key="readiness_gate")
    table(
        f.gate.metrics.assign(metric=f.gate.metrics["metric"].map(lambda m: GATE_METRIC_LABELS.get(m, m))),
        column_config={"evidence": st.column_config.TextColumn(width="large")},
    )
    # Three sentences each: read in full, not cut off in table cells.
    st.markdown(
        "\n".join(
            f"- **{md_escape(c.condition)}**: {md_escape(c.answer)}. {md_escape(c.evidence)}"
            + (f" *{md_escape(c.question)}*" if isinstance(c.question, str) and c.question else "")
            for c in f.gate.conditions.itertuples()
        )
    )
    if f.model_quality and f.model_quality.get("log_fitness") is not None:
        q = f.model_quality
        st.caption(
            f"Fitness of the log to its discovered model (token replay): {q['log_fitness']:.3f}; "
            f"{q['fitting_share']:.0%} of the replayed cases fit it exactly."
        )

st.subheader("Factor breakdown")
factors = r.factor_table()
st.caption(
    "Each factor's points: its 0-1 score times its weight (renormalised over the factors the log lets us "
    "measure) times 100. The points of a step add up to its score. What each factor measures and how its "
    "value becomes a score: the table under the chart, and "
    f"[the method]({docs_link('readiness.html#factors')})."
)
points = factors.pivot(index="activity", columns="factor", values="points").loc[s["activity"]]
points = points[list(r.weights)]
st.dataframe(
    points.assign(score=s.set_index("activity")["score"]).rename_axis("step"),
    column_config={
        c: st.column_config.ProgressColumn(
            FACTOR_WORDS[c].label if c in FACTOR_WORDS else c, min_value=0, max_value=100 * w, format="%.1f"
        )
        for c, w in r.weights.items()
    }
    | {"score": st.column_config.NumberColumn("readiness", format="%.0f")},
    width="stretch",
)
activity = st.selectbox("One step in detail", s["activity"].tolist(), key="readiness_activity")
one = factors[factors["activity"] == activity]
st.plotly_chart(plot_factor_breakdown(r, activity), key="readiness_factors")
words = {k: FACTOR_WORDS[k] for k in one["factor"] if k in FACTOR_WORDS}
table(
    one.drop(columns=["activity", "score", "recommendation"]).assign(
        measures=one["factor"].map(lambda k: words[k].value if k in words else ""),
        scored_as=[
            (words[k].score if k in words else "")
            if pd.notna(v)
            else "not measured: "
            + (words[k].unknown if k in words else "unknown")
            + " (no points; the other factors weigh more)"
            for k, v in zip(one["factor"], one["value"], strict=True)
        ],
        factor=one["factor"].map(lambda k: words[k].label if k in words else k),
    ),
    column_order=["factor", "value", "measures", "scored_as", "factor_score", "effective_weight", "points"],
    column_config={
        "value": st.column_config.NumberColumn("value", format="%.3g"),
        "factor_score": st.column_config.NumberColumn("factor score (0-1)", format="%.2f"),
        "weight": st.column_config.NumberColumn("weight", format="%.2f"),
        "effective_weight": st.column_config.NumberColumn("weight used", format="%.2f"),
        "points": st.column_config.NumberColumn("points", format="%.1f"),
        "measures": st.column_config.TextColumn("the value is", width=300),
        "scored_as": st.column_config.TextColumn("how the value scores", width=300),
    },
)
st.markdown(f"**Why**: {md_escape(s.set_index('activity').at[activity, 'rationale'])}")

with st.expander("Sensitivity: what moving each weight and threshold changes"):
    table(r.sensitivity.assign(activities=r.sensitivity["activities"].map(", ".join)))
if r.notes:
    bullet_list(list(r.notes))

extra_tables(r, shown={"scores", "equity", "sensitivity"})
