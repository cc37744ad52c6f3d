"""Blueprint: the redesigned process (diagram), each step's governance, the orchestration steps, KPIs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.blueprint import DIAGRAM_COLOURS
from analysis.compare import PROCESS_MEASURES, STEP_MEASURES
from analysis.labels import RECOMMENDATIONS
from analysis.monitoring import build_monitoring_plan
from app_pages.common import (
    RECOMMENDATION_LABELS,
    column_label,
    diagram,
    extra_tables,
    md_escape,
    require_findings,
    table,
    view_key,
)
from mapper.units import humanize_hours

LEGEND = {
    k: f"{RECOMMENDATIONS[k].label}: {RECOMMENDATIONS[k].meaning}"
    for k in ("automate", "ai_assist", "keep_human", "fix_first", "orchestration")
}

f = require_findings()
bp = f.blueprint

st.title("Orchestration blueprint")
counts = bp.steps["recommendation"].value_counts()
cols = st.columns(5)
for col, (rec, label) in zip(cols, RECOMMENDATION_LABELS.items(), strict=False):
    col.metric(label, int(counts.get(rec, 0)))
cols[4].metric("Orchestration steps", len(bp.orchestration))

quality = bp.meta.get("model_quality") or {}
if quality and not quality.get("trusted", True):
    st.warning(
        "The discovered model is too loose or too partial to be trusted as a redesign: read the diagram "
        "as a sketch of the steps, not of their order.\n\n"
        + "\n".join(f"- {md_escape(r)}" for r in quality.get("reasons", [])),
        icon=":material/warning:",
    )
elif quality:
    st.caption(
        f"Model quality: fitness {quality['fitness']:.2f}, precision "
        + ("not computed" if quality.get("precision") is None else f"{quality['precision']:.2f}")
        + f". {md_escape(quality.get('summary', ''))}"
    )

impact = f.impact
if impact is not None:
    st.subheader("What the blueprint is worth")
    headline = impact.headline()
    cols = st.columns(3)
    for col, h in zip(cols, headline, strict=False):
        spread = (
            ""
            if h["low"] is None
            else f"range {h['low']:,.0f} to {h['high']:,.0f}"
            + ("" if h["conclusive"] else " (not conclusive)")
        )
        col.metric(f"{h['label']} ({h['unit']})", f"{h['saved']:,.0f}", help=spread or None)
        col.caption(spread or ("estimated" if h["basis"] == "estimated" else ""))
    if headline and headline[0]["note"]:
        st.caption(f"Estimated: {md_escape(headline[0]['note'])}.")
    elif impact.method == "prosimos":
        st.caption(
            f"Simulated: today's process and the blueprint's, {impact.parameters['runs']} runs each "
            "(range: lowest to highest run), scaled to "
            f"{impact.observed['cases_per_year']:,.0f} cases a year."
        )
    else:
        st.caption(f"Estimated without simulation: {md_escape(impact.reason)}.")
    with st.expander("How it was simulated, how well it reproduces the log, and every assumption"):
        if impact.method == "prosimos":
            st.plotly_chart(impact.plot(), width="stretch")
            st.markdown("**Today's process simulated against the log** (the same cases)")
            table(impact.validation)
        st.markdown("**Where the saving comes from** (estimate per change)")
        table(impact.analytical)
        st.markdown("**Assumptions**")
        st.markdown("\n".join(f"- {md_escape(a)}" for a in impact.assumptions))

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
    "Download blueprint.bpmn (Downloads page) to open the same model in a BPMN tool (Camunda, bpmn.io) or "
    "run it in a BPMN engine: it is executable (user and service tasks, SLA timers, error handling, "
    "conditions on every decision)."
)

st.subheader("Decisions and their conditions")
g_nodes = bp.nodes.set_index("id")
guarded = bp.flows[bp.flows["condition"].notna() | bp.flows["is_default"]]
if len(guarded):
    #: What an unnamed node of the model is, in words (its BPMN type otherwise).
    NODE_WORDS = {
        "exclusiveGateway": "(a decision)",
        "parallelGateway": "(parallel branches)",
        "inclusiveGateway": "(one or more branches)",
        "startEvent": "(start)",
        "endEvent": "(end)",
    }

    def _name(node_id: str) -> str:
        n = g_nodes.loc[node_id]
        return str(n["name"] or NODE_WORDS.get(n["type"], n["type"]))

    before = {f.target: f.source for f in bp.flows.itertuples()}
    st.dataframe(
        pd.DataFrame(
            {
                "after step": [_name(before.get(f.source, f.source)) for f in guarded.itertuples()],
                "to": [_name(f.target) for f in guarded.itertuples()],
                "when": [
                    "otherwise (default)" if f.is_default else str(f.condition) for f in guarded.itertuples()
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Conditions read the case's data: a rule learned from the log (e.g. documents_submitted < 4), "
        "the AI's confidence (ai_confidence), or a route_… variable that the person or system before the "
        "decision sets."
    )
boundary = bp.nodes[bp.nodes["type"] == "boundaryEvent"]
st.caption(
    f"{int((boundary['event'] == 'timer').sum())} SLA timers on human steps (escalate, the work goes on); "
    f"{int((boundary['event'] == 'error').sum())} error events on automated steps (a person takes over after "
    "the retries)."
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
            {
                "setting": [column_label(k) for k in g["retry_policy"]],
                "value": [str(v) for v in g["retry_policy"].values()],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"value": st.column_config.TextColumn("value", width="large")},
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

st.subheader("KPIs to re-measure after the change")


@st.cache_data(show_spinner="Measuring the KPI baseline…", max_entries=4)
def _plan(key: str, _findings):
    """:func:`analysis.build_monitoring_plan`, once per view (``key``)."""
    return build_monitoring_plan(_findings)


plan = _plan(view_key(), f)
if len(plan.kpis):
    k = plan.kpis

    def _amount(value: float, unit: str) -> str:
        """A KPI value in its unit, for people: durations humanised, shares as percentages."""
        if pd.isna(value):
            return "—"
        if unit == "hours":
            return humanize_hours(float(value))
        if unit == "share":
            return f"{float(value):.1%}"
        return f"{float(value):,.1f}" + (" / month" if unit == "cases per month" else f" {unit}")

    measures = {**PROCESS_MEASURES, **STEP_MEASURES}
    shown = pd.DataFrame(
        {
            "kpi": k["kpi"],
            "what": [
                (measures[m][2] if m in measures else m).capitalize() + (f": {a}" if a else "")
                for m, a in zip(k["measure"], k["activity"], strict=True)
            ],
            "baseline": [_amount(v, u) for v, u in zip(k["baseline"], k["unit"], strict=True)],
            "interval": [
                f"{_amount(lo, u)} to {_amount(hi, u)}"
                for lo, hi, u in zip(k["ci_low"], k["ci_high"], k["unit"], strict=True)
            ],
            "target": [_amount(v, u) for v, u in zip(k["target"], k["unit"], strict=True)],
            "better_when": k["better_when"],
            "expected_source": k["expected_source"],
            "min_cases": k["min_cases"],
            "cadence": k["cadence"],
            "why": k["why"],
        }
    )
    table(
        shown,
        column_order=[c for c in shown.columns if c != "kpi"],
        column_config={
            "what": st.column_config.TextColumn("KPI", width=330, pinned=True),
            "target": st.column_config.TextColumn("target"),
            "interval": st.column_config.TextColumn("95 % interval"),
            "min_cases": st.column_config.NumberColumn("cases needed", format="%,d"),
            "cadence": st.column_config.TextColumn("when to re-measure", width="large"),
            "why": st.column_config.TextColumn("why it is tracked"),
        },
    )
    st.caption(
        "Download kpi_baseline.json (Downloads page); after the change, `flowready compare --baseline "
        "kpi_baseline.json AFTER_LOG` re-measures every KPI with the same code and says which met its target."
    )
if len(plan.excluded):
    with st.expander(f"{len(plan.excluded)} KPI(s) not offered for tracking, and why"):
        table(plan.excluded)

extra_tables(bp, shown={"steps", "orchestration", "nodes", "flows"})
