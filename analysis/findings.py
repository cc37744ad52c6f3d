"""The findings of one analysis, and the ``findings.json`` contract.

``findings.json`` is the public contract between the analysis and everything that reads it (the report,
the app, other tools). It is documented in ``docs/findings.md``, versioned by
:data:`FINDINGS_SCHEMA_VERSION`, and changed only by adding fields.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.blueprint import Blueprint, build_blueprint
from analysis.bottlenecks import Bottlenecks, find_bottlenecks
from analysis.handoffs import HANDOFF_COLUMNS, find_handoffs, find_rework
from analysis.readiness import Readiness, score_readiness
from mapper.discovery import (
    DirectlyFollowsGraph,
    ProcessModel,
    discover_bpmn,
    discover_dfg,
    discover_variants,
)
from mapper.log import DataQuality, EventLog

FINDINGS_SCHEMA_VERSION = "1.2"
#: Verdict thresholds (see :func:`find_verdict`).
VERDICT_REWORK_CASES = 0.10
VERDICT_PING_PONG_CASES = 0.05
VERDICT_DOMINANT_WAIT = 0.30
VERDICT_TOP10_VARIANTS = 0.50
VERDICT_STUCK_CASES = 0.05


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flowready")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class Verdict:
    """Whether the process must be orchestrated (fixed) before it is automated, and why.

    Attributes
    ----------
    orchestrate_first : bool
    reasons : list of str
        One sentence per finding that calls for orchestration first, most important first.
    """

    orchestrate_first: bool
    reasons: list

    def to_dict(self) -> dict:
        return {"orchestrate_first": self.orchestrate_first, "reasons": list(self.reasons)}


def find_verdict(
    *,
    readiness: Readiness,
    bottlenecks: Bottlenecks,
    handoffs: pd.DataFrame,
    variants: pd.DataFrame,
    kpis: dict,
) -> Verdict:
    """Decide whether the process needs orchestrating before automating.

    The verdict is ``orchestrate_first = True`` when any of these holds (each adds a reason):
    some step is ``fix_first``; at least 10% of cases contain rework; at least 5% of cases ping-pong
    between performers; some handoff fails (ping-pong or slow); one step accounts for at least 30% of
    all waiting; the ten most frequent variants cover less than half of the cases (the process is not
    standardised); at least 5% of cases look stuck.

    Parameters
    ----------
    readiness, bottlenecks, handoffs, variants
        The outputs of :func:`score_readiness`, :func:`find_bottlenecks`, :func:`find_handoffs` and
        :func:`mapper.discover_variants`.
    kpis : dict
        :attr:`Blueprint.kpis` (baseline rework rate and ping-pong cases).

    Returns
    -------
    Verdict

    References
    ----------
    Reijers & Limam Mansar (2005), "Best practices in business process redesign", Omega 33(4)
    (task elimination, contact reduction, case-based work before automation); van der Aalst (2016),
    *Process Mining*, ch. 9-10 (diagnosing before improving).
    """
    reasons: list[str] = []
    cases = bottlenecks.cycle["cases"] or 1
    fix = readiness.scores[readiness.scores["recommendation"] == "fix_first"]
    if len(fix):
        names = ", ".join(
            f"{a} ({'; '.join(r)})"
            for a, r in zip(fix["activity"].head(5), fix["fix_first_reasons"].head(5), strict=True)
        )
        more = f" and {len(fix) - 5} more" if len(fix) > 5 else ""
        reasons.append(f"{len(fix)} step(s) must be fixed before they are automated: {names}{more}.")
    rework_rate = kpis["rework_rate"]["baseline"] or 0.0
    if rework_rate >= VERDICT_REWORK_CASES:
        reasons.append(f"{rework_rate:.0%} of cases repeat some work (rework).")
    ping = kpis["ping_pong_cases"]["baseline"] or 0
    if ping / cases >= VERDICT_PING_PONG_CASES:
        reasons.append(f"{ping / cases:.0%} of cases bounce straight back between performers (ping-pong).")
    failing = handoffs[handoffs["failing"]] if len(handoffs) else handoffs
    if len(failing):
        top = failing.sort_values(["count", "source", "target"], ascending=[False, True, True]).head(3)
        pairs = "; ".join(
            f"{s} → {t} ({f})" for s, t, f in zip(top["source"], top["target"], top["failure"], strict=True)
        )
        reasons.append(f"{len(failing)} handoff pair(s) fail: {pairs}.")
    top_b = bottlenecks.activities.head(1)
    if len(top_b) and top_b["share_of_waiting"].iloc[0] >= VERDICT_DOMINANT_WAIT:
        reasons.append(
            f"One step, {top_b['activity'].iloc[0]}, accounts for "
            f"{top_b['share_of_waiting'].iloc[0]:.0%} of all waiting time."
        )
    if len(variants):
        top10 = float(variants["share"].head(10).sum())
        if top10 < VERDICT_TOP10_VARIANTS:
            reasons.append(
                f"The process is not standardised: the 10 most common paths cover only {top10:.0%} "
                f"of cases ({len(variants):,} variants)."
            )
    stuck = bottlenecks.cycle["stuck_cases"]
    if stuck / cases >= VERDICT_STUCK_CASES:
        reasons.append(f"{stuck:,} cases ({stuck / cases:.0%}) are open and older than the p95 cycle time.")
    return Verdict(bool(reasons), reasons)


@dataclass(frozen=True)
class Findings:
    """Everything one analysis found; what the CLI, the app and the report all show.

    Attributes
    ----------
    log : EventLog
    summary : dict
        :meth:`EventLog.summary`.
    dfg : DirectlyFollowsGraph
    variants : pandas.DataFrame
        :func:`mapper.discover_variants`.
    model : ProcessModel
    bottlenecks : Bottlenecks
    handoffs : pandas.DataFrame
        Resource-level and role-level pairs together (column ``level``).
    rework : pandas.DataFrame
    readiness : Readiness
    blueprint : Blueprint
    verdict : Verdict
    """

    log: EventLog
    summary: dict
    dfg: DirectlyFollowsGraph
    variants: pd.DataFrame
    model: ProcessModel
    bottlenecks: Bottlenecks
    handoffs: pd.DataFrame
    rework: pd.DataFrame
    readiness: Readiness
    blueprint: Blueprint
    verdict: Verdict

    @property
    def quality(self) -> DataQuality:
        return self.log.quality

    def automation_candidates(self, top: int = 5) -> pd.DataFrame:
        """Steps recommended for automation, ordered by value (share of cases) times readiness."""
        s = self.readiness.scores
        c = s[s["recommendation"] == "automate"].assign(value=lambda d: d["volume"] * d["score"])
        return c.sort_values(["value", "activity"], ascending=[False, True]).head(top)[
            ["activity", "score", "volume", "rationale"]
        ]

    def failing_handoffs(self, top: int = 5) -> pd.DataFrame:
        """Failing handoff pairs at the blueprint's level (teams when the log has them), ping-pong first."""
        h = self.handoffs
        level = self.blueprint.governance.get("handoff_level")
        h = h[h["failing"] & (h["level"] == level)] if level else h[h["failing"]]
        return h.sort_values(
            ["ping_pong_cases", "count", "source", "target"], ascending=[False, False, True, True]
        ).head(top)

    def to_dict(self) -> dict:
        """The ``findings.json`` document (see ``docs/findings.md``)."""
        q = self.quality
        b = self.bottlenecks
        return _jsonable(
            {
                "flowready_version": _version(),
                "schema_version": FINDINGS_SCHEMA_VERSION,
                "log": self.summary,
                "data_quality": q.to_dict(),
                "import_report": q.import_report(),
                "process": {
                    "noise_threshold": self.model.noise_threshold,
                    "end_activities": b.end_activities,
                    "cycle_time_hours": b.cycle,
                    "waiting_includes_processing": b.waiting_includes_processing,
                    "start_times_estimated": self.log.has_estimated_start_times,
                    "top_variants": [
                        {
                            "variant": int(r.variant),
                            "trace": list(r.trace),
                            "cases": int(r.cases),
                            "share": float(r.share),
                        }
                        for r in self.variants.head(20).itertuples()
                    ],
                    "dfg": self.dfg.edges[
                        ["source", "target", "frequency", "cases", "hours_median", "hours_p90"]
                    ].to_dict(orient="records"),
                },
                "bottlenecks": b.activities[
                    [
                        "activity",
                        "cases",
                        "waiting_hours_median",
                        "waiting_hours_p90",
                        "processing_hours_median",
                        "hours_lost_total",
                        "share_of_waiting",
                        "rank",
                    ]
                ].to_dict(orient="records"),
                "transitions": b.transitions.head(50).to_dict(orient="records"),
                "stuck_cases": {
                    "count": len(b.stuck_cases),
                    "examples": b.stuck_cases.head(50)
                    .assign(started=lambda d: d["started"].map(lambda x: x.isoformat()))
                    .to_dict(orient="records"),
                },
                "handoffs": self.handoffs[HANDOFF_COLUMNS].to_dict(orient="records"),
                "rework": self.rework[["activity", "cases_with_rework", "share", "cases", "repeats"]].to_dict(
                    orient="records"
                ),
                "readiness": [
                    {
                        "activity": r.activity,
                        "score": r.score,
                        "recommendation": r.recommendation,
                        "factors": r.factors,
                        "rationale": r.rationale,
                        "decision_point": bool(r.decision_point),
                    }
                    for r in self.readiness.scores.itertuples()
                ],
                "verdict": self.verdict.to_dict(),
                "kpis": self.blueprint.kpis,
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables, by name, for CSV/Excel export (:func:`analysis.export.export_tables`).

        Returns
        -------
        dict of str to pandas.DataFrame
            ``bottlenecks``, ``transitions``, ``stuck_cases``, ``handoffs``, ``rework``, ``readiness``
            (factor values flattened into ``factor_<name>`` columns), ``readiness_factors`` (the factor
            breakdown of every score, :meth:`Readiness.factor_table`), ``variants`` (trace joined with
            " > "), ``dfg`` and ``import_report`` (one row per outcome). Copies.
        """
        r = self.readiness.scores.copy()
        factors = pd.json_normalize(r["factors"].tolist()) if len(r) else pd.DataFrame()
        if len(factors):
            factors.columns = ["factor_" + c.replace(".", "_") for c in factors.columns]
            r = pd.concat([r.drop(columns=["factors"]).reset_index(drop=True), factors], axis=1)
        v = self.variants.copy()
        v["trace"] = v["trace"].map(lambda t: " > ".join(t))
        return {
            "bottlenecks": self.bottlenecks.activities.copy(),
            "transitions": self.bottlenecks.transitions.copy(),
            "stuck_cases": self.bottlenecks.stuck_cases.copy(),
            "handoffs": self.handoffs.copy(),
            "rework": self.rework.copy(),
            "readiness": r,
            "readiness_factors": self.readiness.factor_table(),
            "variants": v,
            "dfg": self.dfg.edges.copy(),
            "import_report": self.quality.to_frame(),
        }

    def to_json(self, path: str | Path) -> Path:
        """Write ``findings.json``; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False), "utf-8")
        return path

    def _repr_html_(self) -> str:
        v = "Orchestrate first" if self.verdict.orchestrate_first else "Ready to automate where scored"
        items = "".join(f"<li>{html.escape(r)}</li>" for r in self.verdict.reasons)
        return (
            f"<h4>{html.escape(self.summary['source'])}: {v}</h4><ul>{items}</ul>"
            + self.readiness._repr_html_()
        )


def _jsonable(x):
    """Make numpy/pandas scalars JSON-ready; NaN becomes null."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        return None if math.isnan(x) or math.isinf(x) else x
    if hasattr(x, "item") and not isinstance(x, str):
        return _jsonable(x.item())
    if x is pd.NaT or x is pd.NA:
        return None
    if isinstance(x, pd.Timestamp):
        return x.isoformat()
    return x


#: The steps :func:`analyze` reports to its ``progress`` callback, in order (for progress bars).
ANALYSIS_STEPS = (
    "Discovering the process",
    "Mining the BPMN model",
    "Finding bottlenecks",
    "Finding handoffs and rework",
    "Scoring automation readiness",
    "Building the blueprint",
)


def analyze(
    log: EventLog,
    *,
    noise_threshold: float = 0.2,
    end_activities: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Findings:
    """Run the whole analysis: discovery, bottlenecks, handoffs, rework, readiness, blueprint, verdict.

    This is the one function the CLI, the app, the notebook and the report call, so they all show the
    same numbers.

    Parameters
    ----------
    log : EventLog
        From :func:`mapper.load_event_log`.
    noise_threshold : float, default 0.2
        The Inductive Miner's noise threshold (see :func:`mapper.discover_bpmn`).
    end_activities : list of str, optional
        Activities that close a case (see :func:`find_bottlenecks`).
    progress : callable, optional
        Called with the name of each step as it starts (for progress bars): the names in
        :data:`ANALYSIS_STEPS`, in order.

    Returns
    -------
    Findings

    Examples
    --------
    >>> from mapper import load_event_log
    >>> findings = analyze(load_event_log("sample_logs/council_permits.csv"))
    >>> findings.verdict.orchestrate_first
    True
    """
    step = progress or (lambda _name: None)
    step(ANALYSIS_STEPS[0])
    summary = log.summary()
    dfg = discover_dfg(log)
    variants = discover_variants(log)
    step(ANALYSIS_STEPS[1])
    model = discover_bpmn(log, noise_threshold=noise_threshold, variants=variants)
    step(ANALYSIS_STEPS[2])
    bottlenecks = find_bottlenecks(log, end_activities=end_activities)
    step(ANALYSIS_STEPS[3])
    levels = ("resource", "role", "system") if log.has_systems else ("resource", "role")
    frames = [find_handoffs(log, level=lvl) for lvl in levels]
    handoffs = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    rework = find_rework(log)
    step(ANALYSIS_STEPS[4])
    readiness = score_readiness(log, handoffs=handoffs)
    step(ANALYSIS_STEPS[5])
    blueprint_level = "role" if log.has_roles else "resource"
    bp_handoffs = handoffs[handoffs["level"] == blueprint_level] if len(handoffs) else handoffs
    blueprint = build_blueprint(log, model, readiness, bottlenecks, bp_handoffs, rework)
    verdict = find_verdict(
        readiness=readiness,
        bottlenecks=bottlenecks,
        handoffs=bp_handoffs,
        variants=variants,
        kpis=blueprint.kpis,
    )
    return Findings(
        log, summary, dfg, variants, model, bottlenecks, handoffs, rework, readiness, blueprint, verdict
    )
