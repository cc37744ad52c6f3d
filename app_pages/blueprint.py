"""Blueprint: the redesigned process (diagram), each step's governance, the orchestration steps, KPIs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.blueprint import DIAGRAM_COLOURS
from app_pages.common import RECOMMENDATION_LABELS, diagram, extra_tables, md_escape, require_findings, table

LEGEND = {
    "automate": "automate",
    "ai_assist": "AI prepares, a human reviews",
    "keep_human": "keep human",
    "fix_first": "fix first",
    "orchestration": "orchestration step at a failing handoff",
}

f = require_findings()
bp = f.blueprint

st.title("Orchestration blueprint")
counts = bp.steps["recommendation"].value_counts()
cols = st.columns(5)
for col, (rec, label) in zip(cols, RECOMMENDATION_LABELS.items(), strict=False):
    col.metric(label, int(counts.get(rec, 0)))
cols[4].metric("Orchestration steps", len(bp.orchestration))

st.subheader("The redesigned process")
st.markdown(
    " ".join(
        f'<span style="background:{DIAGRAM_COLOURS[k]};padding:2px 8px;border-radius:6px;margin-right:6px">'
        f"{label}</span>"
        for k, label in LEGEND.items()
    )
    + " &nbsp; ⚙ = service task (a system does it); thick border = user task (a person does it).",
    unsafe_allow_html=True,  # fixed legend text only; nothing from the data
)
diagram(bp.to_graphviz(), nodes=len(bp.nodes), name="blueprint")
st.caption(
    "Download blueprint.bpmn (Downloads page) to open the same model in a BPMN tool (Camunda, bpmn.io)."
)

st.subheader("Steps and their governance")
steps = bp.steps.assign(
    retry=bp.steps["retry_policy"].map(
        lambda p: f"{p['max_attempts']} attempts, {p['backoff']}" if p else ""
    ),
    audit_events=bp.steps["audit_events"].map(", ".join),
    fix_first_reasons=bp.steps["fix_first_reasons"].map("; ".join),
).drop(columns=["bpmn_tasks", "retry_policy"])
table(
    steps,
    column_config={
        "sla_hours": st.column_config.NumberColumn("SLA (h)", format="%.1f", help="Today's p90 time."),
        "score": st.column_config.NumberColumn("score", format="%.0f"),
        "audit_events": st.column_config.TextColumn("audit events", width="medium"),
    },
)

st.subheader("Orchestration steps at failing handoffs")
if len(bp.orchestration):
    orchestration = bp.orchestration.assign(
        handoffs=bp.orchestration["handoffs"].map(
            lambda hs: "; ".join(
                f"{h['source']} → {h['target']} ({h['failure']}, {h['count']:,})" for h in hs
            )
        )
    )
    table(
        orchestration,
        column_config={
            "sla_hours": st.column_config.NumberColumn("SLA (h)", format="%.1f"),
            "action": st.column_config.TextColumn("action", width="large"),
        },
    )
else:
    st.caption("No failing handoff, so no orchestration step was inserted.")

st.subheader("Governance")
g = bp.governance
left, right = st.columns(2)
with left:
    st.markdown("**Retry policy of automated steps**")
    st.dataframe(
        pd.DataFrame(
            {"setting": list(g["retry_policy"]), "value": [str(v) for v in g["retry_policy"].values()]}
        ),
        hide_index=True,
    )
    st.markdown("**Approval checkpoints** (a human decides the route of the case)")
    st.dataframe(pd.DataFrame({"step": g["approval_checkpoints"]}), hide_index=True)
with right:
    st.markdown("**Audit trail: events to record**")
    st.dataframe(
        pd.DataFrame(
            [{"scope": scope, "event": e} for scope, events in g["audit_events"].items() for e in events]
        ),
        hide_index=True,
    )
    st.markdown(f"**SLA basis**: {md_escape(g['sla_basis'])}")

st.subheader("KPIs to track (today's baseline)")
kpis = pd.DataFrame.from_dict(bp.kpis, orient="index").rename_axis("kpi").reset_index()
st.dataframe(kpis, hide_index=True)

extra_tables(bp, shown={"steps", "orchestration", "nodes", "flows"})
