"""The leader's report: one self-contained HTML file (works offline; plotly's JS inlined once)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Literal

import jinja2
import plotly.io as pio
from markupsafe import Markup, escape
from plotly.offline import get_plotlyjs

from analysis.findings import Findings, flowready_version
from analysis.impact import METRICS
from analysis.labels import OKABE_ITO, RECOMMENDATION_LABELS
from analysis.pdf import html_to_pdf
from analysis.variants import cycle_unit, plot_variants
from mapper.discovery import render_process_map
from mapper.errors import AnalysisError
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

REC_LABELS = RECOMMENDATION_LABELS  # the one table, analysis.labels


#: What each chart shows, for readers who cannot see it (the figure's accessible name).
ALT_TEXT = {
    "readiness": "Scatter chart of every step: readiness score from 0 to 100 (feasibility) across, workload "
    "(value) up, coloured by recommendation; the top automation candidates are labelled.",
    "bottlenecks": "Stacked bar chart: the hours lost waiting before the steps that hold most waiting, "
    "split by cause.",
    "failures": "Bar chart: the hours lost by the handoff failures that cost most, by pattern.",
    "spectrum": "Performance spectrum: one line per case passing between two steps, over time.",
    "drift": "Line chart: the median waiting before the main bottlenecks, month by month.",
    "drivers": "Chart: the case attributes that go with long cycle times.",
    "impact": "Bar chart: today's process against the blueprint, with the range of the simulation runs.",
    "variants": "Bar chart: how many cases follow each of the 10 most common paths.",
}


def _figures(findings: Findings, *, for_print: bool = False) -> dict[str, str]:
    """The report's plotly charts as HTML fragments (plotly.js itself is inlined once, in the head).

    Every chart is a library figure whose data-derived texts the function that drew it has escaped
    (:func:`analysis.escape.escape_figure`; ``test_result_objects`` checks each), colours come from
    :mod:`analysis.labels` (Okabe & Ito's colour-blind-safe palette) and each chart is a ``<figure>``
    named by its :data:`ALT_TEXT`. For print, charts are static
    (no hover layer, no toolbar) and the value-against-feasibility matrix is shorter, to fit page 1.
    """
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
    # The library's chart (as in the app), its names escaped there; its hover wraps paths with <br>.
    cycle = findings.bottlenecks.cycle.get("median")
    figs["variants"] = plot_variants(findings.variants, top=10, unit=cycle_unit(cycle))
    figs["variants"].update_layout(title="The 10 most common paths")
    if for_print:
        # Page 1 holds the matrix under its card's heading: no title of its own, shorter.
        figs["readiness"].update_layout(title=None, height=250, margin={"t": 10, "b": 40, "l": 60, "r": 10})
        figs["readiness"].update_yaxes(title_font={"size": 9})  # the value axis's title fits its height
    config = {"displaylogo": False, "staticPlot": True} if for_print else {"displaylogo": False}
    out = {}
    for name, fig in figs.items():
        fig.update_layout(
            template="plotly_white", font={"family": "Helvetica, Arial, sans-serif"}, colorway=OKABE_ITO
        )
        chart = pio.to_html(fig, full_html=False, include_plotlyjs=False, config=config)
        alt = escape(ALT_TEXT.get(name, "Chart"))
        out[name] = f'<figure class="chart" role="img" aria-label="{alt}">{chart}</figure>'
    return out


def _plotly_js() -> str:
    """plotly.js as one inline script (the report needs no network), loaded before any chart is drawn."""
    return (
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>\n'
        f'<script type="text/javascript">{get_plotlyjs()}</script>'
    )


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


def _inline_svg(svg: str, label: str) -> str:
    """An SVG document as an inline ``<svg>`` element (XML prolog and DOCTYPE removed), named ``label``
    for readers who cannot see it."""
    svg = svg[svg.index("<svg") :]
    return f'<svg role="img" aria-label="{escape(label)}"' + svg[len("<svg") :]


def render_report(
    findings: Findings, *, format: Literal["html", "pdf"] = "html", process_map: str | None = None
) -> bytes:
    """The report for a leader: the summary on the first page, then the evidence; as HTML or PDF.

    Parameters
    ----------
    findings : Findings
        From :func:`analysis.analyze`.
    format : {"html", "pdf"}, default "html"
        ``"html"``: one self-contained page (text). ``"pdf"``: the same document printed by headless
        Chromium (:func:`analysis.pdf.html_to_pdf`) on A4: the executive summary (verdict, where to
        start, expected impact with its range, the value-against-feasibility matrix, what to fix first)
        alone on page 1, each major section on a new page, charts drawn as static vector graphics.
    process_map : str, optional
        The process map as rendered by :func:`mapper.discovery.render_process_map`, when the caller
        has it already (the CLI writes it to ``process_map.svg`` too); rendered here otherwise.

    Returns
    -------
    bytes
        ``format="html"``: a complete HTML document, UTF-8 encoded (``.decode()`` gives the text). It
        needs no network: styles, charts (plotly.js, inlined once) and the process map (inline SVG) are
        all inside; every value from the data is HTML-escaped, and escaped again for plotly in the
        charts. ``format="pdf"``: the PDF document. Either can be written to a file or served as a
        download as it is.

    Raises
    ------
    AnalysisError
        ``format`` is neither ``"html"`` nor ``"pdf"``.
    FlowreadyError
        Graphviz's ``dot`` program is not installed; for a PDF, Chromium is not installed or fails.

    References
    ----------
    Okabe, M. & Ito, K. (2008). *Color Universal Design (CUD): how to make figures and presentations that
    are friendly to colorblind people* (the charts' palette). W3C, *WCAG 2.2*, 1.1.1 Non-text content
    and 1.3.1 Info and relationships (named figures, headings in order).

    Examples
    --------
    >>> from analysis import analyze
    >>> html = render_report(analyze(load_event_log(SAMPLE)))
    >>> html.startswith(b"<!DOCTYPE html>")
    True
    """
    if format not in ("html", "pdf"):
        raise AnalysisError(f"format={format!r} is not a report format; use 'html' or 'pdf'.")
    for_print = format == "pdf"
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
        candidates=[
            {**c, "label": REC_LABELS[c["recommendation"]]}
            for c in f.automation_candidates(5).to_dict(orient="records")
        ],
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
        figures=defaultdict(Markup, {k: Markup(v) for k, v in _figures(f, for_print=for_print).items()}),
        plotly_js=Markup(_plotly_js()),
        for_print=for_print,
        process_map=Markup(
            _inline_svg(
                process_map or render_process_map(f.dfg),
                "Process map: every step with how often it happened, and the paths between steps with "
                "how often they were taken and the median time between them.",
            )
        ),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=flowready_version(),
    )
    return html_to_pdf(html) if for_print else html.encode("utf-8")


def export_report(findings: Findings, path: str | Path, *, process_map: str | None = None) -> Path:
    """Write the report (:func:`render_report`) to ``path``: a PDF when it ends with ``.pdf``, else HTML.

    Parameters
    ----------
    findings : Findings
        From :func:`analysis.analyze`.
    path : str or pathlib.Path
        The ``.html`` (or ``.pdf``) file to write.
    process_map : str, optional
        As in :func:`render_report`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FlowreadyError
        Graphviz's ``dot`` program is not installed; for a PDF, Chromium is not installed or fails.
    """
    path = Path(path)
    kind = "pdf" if path.suffix.lower() == ".pdf" else "html"
    path.write_bytes(render_report(findings, format=kind, process_map=process_map))
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
