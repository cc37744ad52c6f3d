"""The leader's report: one self-contained HTML file (works offline; plotly's JS inlined once)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import jinja2
import plotly.express as px
import plotly.io as pio
from markupsafe import Markup

from analysis.findings import Findings, flowready_version
from analysis.impact import METRICS
from mapper.discovery import render_process_map
from mapper.units import humanize_hours

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("analysis", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["hours"] = humanize_hours
_ENV.filters["pct"] = lambda x: "—" if x is None else f"{x:.0%}"
_ENV.filters["pct2"] = lambda x: "—" if x is None else f"{x:.2%}"
_ENV.filters["num"] = lambda x: "—" if x is None else f"{x:,.0f}"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and x != x)


_ENV.filters["g"] = lambda x: "—" if _missing(x) else f"{x:,.4g}"
_ENV.filters["signed_pct"] = lambda x: "—" if _missing(x) else f"{x:+.0%}"
_ENV.filters["p"] = lambda x: "—" if _missing(x) else (f"{x:.2g}" if x >= 0.001 else "< 0.001")

#: How the report names the waiting causes and performer types.
CAUSE_LABELS = {
    "batching": "batching",
    "contention": "resource contention",
    "prioritisation": "prioritisation",
    "unavailability": "unavailability (off hours)",
    "extraneous": "extraneous (outside party, other system)",
    "unknown": "unknown (no performer recorded)",
}
TYPE_LABELS = {"human": "people", "system": "systems", "bot": "bots", "external": "outside parties"}

REC_LABELS = {
    "automate": "Automate",
    "ai_assist": "AI-assist (human in the loop)",
    "keep_human": "Keep human",
    "fix_first": "Fix first",
}


def _figures(findings: Findings) -> dict[str, str]:
    """Plotly charts as HTML fragments; the first carries plotly.js inline, the rest reuse it."""
    figs = {"bottlenecks": findings.bottlenecks.plot(), "readiness": findings.readiness.plot()}
    if findings.handoff_failures is not None and len(findings.handoff_failures.failures):
        figs["failures"] = findings.handoff_failures.plot()
    p = findings.performance
    if p is not None:
        if len(p.spectrum.segments):
            figs["spectrum"] = p.spectrum.plot()
        if len(p.drift.monthly):
            figs["drift"] = p.drift.plot()
        if "significant" in p.drivers.attributes and p.drivers.attributes["significant"].any():
            figs["drivers"] = p.drivers.plot()
    if findings.impact is not None and not findings.impact.summary.empty:
        figs["impact"] = findings.impact.plot()
    v = findings.variants.head(10).assign(label=lambda d: "Variant " + d["variant"].astype(str))
    figs["variants"] = px.bar(
        v,
        x="label",
        y="cases",
        hover_data=["events", "cycle_hours_median"],
        labels={"label": "", "cases": "Cases"},
        title="The 10 most common paths",
    )
    out, first = {}, True
    for name, fig in figs.items():
        fig.update_layout(template="plotly_white", font={"family": "Helvetica, Arial, sans-serif"})
        out[name] = pio.to_html(fig, full_html=False, include_plotlyjs=first, config={"displaylogo": False})
        first = False
    return out


def _impact_tables(f: Findings) -> dict:
    """The impact's summary (with labels), validation and changes as template rows."""
    i = f.impact
    if i is None:
        return {"impact_summary": [], "impact_validation": [], "impact_changes": []}
    summary = [
        {**r, "label": f"{METRICS[r['metric']][1]} ({METRICS[r['metric']][0]})"}
        for r in i.summary.to_dict(orient="records")
        if r["metric"] in METRICS
    ]
    changes = i.analytical[
        (i.analytical["workload_hours_saved_per_year"] > 0)
        | (i.analytical["waiting_hours_saved_per_year"] > 0)
    ]
    return {
        "impact_summary": summary,
        "impact_validation": i.validation.to_dict(orient="records"),
        "impact_changes": changes.to_dict(orient="records"),
    }


def _main_rules(f: Findings) -> list[dict]:
    """The best-supported rule of every decision point, with its rule-determinism."""
    d = f.readiness.decisions
    if d.rules.empty:
        return []
    points = d.points.set_index("activity")["determinism"]
    top = d.rules.sort_values(["activity", "support"], ascending=[True, False]).drop_duplicates("activity")
    return [
        {"activity": r.activity, "determinism": _nan_none(points.get(r.activity)), "text": r.text}
        for r in top.itertuples()
    ]


def _nan_none(x):
    return None if x is None or x != x else float(x)


def _inline_svg(svg: str) -> str:
    """An SVG document as an inline ``<svg>`` element (XML prolog and DOCTYPE removed)."""
    return svg[svg.index("<svg") :]


def render_report(findings: Findings, *, process_map: str | None = None) -> str:
    """The HTML report for a leader, as text: the summary first, then the evidence.

    Parameters
    ----------
    findings : Findings
        From :func:`analysis.analyze`.
    process_map : str, optional
        The process map as rendered by :func:`mapper.discovery.render_process_map`, when the caller
        has it already (the CLI writes it to ``process_map.svg`` too); rendered here otherwise.

    Returns
    -------
    str
        A complete HTML document. It needs no network: styles, charts (plotly.js, inlined once) and the
        process map (inline SVG) are all inside; every value from the data is HTML-escaped.

    Raises
    ------
    FlowreadyError
        Graphviz's ``dot`` program is not installed.
    """
    f = findings
    b = f.bottlenecks
    steps = f.blueprint.steps.set_index("activity")
    readiness = [
        {
            **r,
            "label": REC_LABELS[r["recommendation"]],
            "sla_hours": steps.loc[r["activity"], "sla_hours"],
            "approval": bool(steps.loc[r["activity"], "approval_checkpoint"]),
        }
        for r in f.readiness.scores.to_dict(orient="records")
    ]
    ranked = b.activities[b.activities["bottleneck"]] if "bottleneck" in b.activities else b.activities
    top3 = ranked.head(3).to_dict(orient="records")
    fixable_total = float(b.activities["fixable_hours"].sum()) if "fixable_hours" in b.activities else 0.0
    impact_hours = sum(x.get("fixable_hours", x["hours_lost_total"]) for x in top3)
    off_hours = (
        b.activities.loc[b.activities["off_hours_only"], "activity"].tolist()
        if "off_hours_only" in b.activities
        else []
    )
    failures = f.handoff_failures
    p = f.performance
    drift_changes = []
    if p is not None and len(p.drift.changes):
        ch = p.drift.changes[p.drift.changes["significant"]]
        drift_changes = ch.assign(month=ch["month"].dt.strftime("%b %Y")).to_dict(orient="records")
    drivers = []
    if p is not None and "significant" in p.drivers.attributes:
        drivers = p.drivers.attributes[p.drivers.attributes["significant"]].head(8).to_dict(orient="records")
    html = _ENV.get_template("report.html.j2").render(
        f=f,
        s=f.summary,
        q=f.quality,
        verdict=f.verdict,
        top_bottlenecks=top3,
        impact_hours=impact_hours,
        impact_share=(impact_hours / fixable_total)
        if fixable_total
        else sum(x["share_of_waiting"] for x in top3),
        off_hours=off_hours,
        cause_labels=CAUSE_LABELS,
        type_labels=TYPE_LABELS,
        causes=b.causes,
        failing=f.failing_handoffs(5).to_dict(orient="records"),
        n_failures=len(failures.failures) if failures is not None else len(f.failing_handoffs(10_000)),
        failures_all=[] if failures is None else failures.failures.head(15).to_dict(orient="records"),
        outside=[] if failures is None else failures.request_response.head(10).to_dict(orient="records"),
        chain_fit=None if failures is None else failures.chain_fit,
        failures_level=None if failures is None else failures.level,
        performers=f.performers,
        drift_changes=drift_changes,
        drivers=drivers,
        sla=[] if p is None or p.sla is None else p.sla.activities.to_dict(orient="records"),
        candidates=f.automation_candidates(5).to_dict(orient="records"),
        fix_first=[r for r in readiness if r["recommendation"] == "fix_first"],
        readiness=readiness,
        bottlenecks=b.activities.head(15).to_dict(orient="records"),
        transitions=b.transitions.head(10).to_dict(orient="records"),
        handoffs=f.handoffs.sort_values(["count", "source", "target"], ascending=[False, True, True])
        .head(15)
        .to_dict(orient="records"),
        rework=f.rework[f.rework["cases_with_rework"] > 0].head(10).to_dict(orient="records"),
        rules=_main_rules(f),
        equity=f.readiness.equity.to_dict(orient="records") if len(f.readiness.equity) else [],
        gate=f.gate,
        impact=f.impact,
        **_impact_tables(f),
        variants=f.variants.head(10).to_dict(orient="records"),
        orchestration=f.blueprint.orchestration.to_dict(orient="records"),
        kpis=f.blueprint.kpis,
        governance=f.blueprint.governance,
        # Trusted markup: plotly output and graphviz SVG built from escaped labels.
        figures=defaultdict(Markup, {k: Markup(v) for k, v in _figures(f).items()}),
        process_map=Markup(_inline_svg(process_map or render_process_map(f.dfg))),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=flowready_version(),
    )
    return html


def export_report(findings: Findings, path: str | Path, *, process_map: str | None = None) -> Path:
    """Write the HTML report (:func:`render_report`) to ``path``.

    Parameters
    ----------
    findings : Findings
        From :func:`analysis.analyze`.
    path : str or pathlib.Path
        The ``.html`` file to write.
    process_map : str, optional
        As in :func:`render_report`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FlowreadyError
        Graphviz's ``dot`` program is not installed.
    """
    path = Path(path)
    path.write_text(render_report(findings, process_map=process_map), "utf-8")
    return path


def export_comparison_report(comparison, path: str | Path) -> Path:
    """Write the comparison of two logs as one self-contained HTML page (works offline).

    Parameters
    ----------
    comparison : analysis.compare.Comparison
        From :func:`analysis.compare_logs`.
    path : str or pathlib.Path
        The ``.html`` file to write.

    Returns
    -------
    pathlib.Path
        ``path``: the verdict in numbers, a forest plot of the relative changes (plotly.js inlined), the
        process measures, the steps that changed significantly and the notes. Every value from the data
        is HTML-escaped.
    """
    path = Path(path)
    c = comparison
    sig = c.steps[c.steps["significant"]]
    everything = c.significant()
    fig = c.plot()
    fig.update_layout(template="plotly_white", font={"family": "Helvetica, Arial, sans-serif"})
    figure = pio.to_html(fig, full_html=False, include_plotlyjs=True, config={"displaylogo": False})
    html = _ENV.get_template("comparison.html.j2").render(
        c=c,
        process=c.process.to_dict(orient="records"),
        steps_sig=sig.to_dict(orient="records"),
        appeared=sorted(c.steps.loc[c.steps["status"] == "appeared", "activity"].unique()),
        disappeared=sorted(c.steps.loc[c.steps["status"] == "disappeared", "activity"].unique()),
        n_sig=len(everything),
        n_better=int((everything["direction"] == "better").sum()),
        n_worse=int((everything["direction"] == "worse").sum()),
        n_neutral=int(everything["direction"].isin(["higher", "lower"]).sum()),
        figure=Markup(figure),  # trusted: plotly output, names escaped by Comparison.plot
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=flowready_version(),
    )
    path.write_text(html, "utf-8")
    return path
