"""The findings of one analysis, and the ``findings.json`` contract.

``findings.json`` is the public contract between the analysis and everything that reads it (the report,
the app, other tools). It is documented in ``docs/findings.md``, versioned by
:data:`FINDINGS_SCHEMA_VERSION`, and changed only by adding fields.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from analysis.blueprint import Blueprint, build_blueprint
from analysis.bottlenecks import CAUSE_COLUMNS, Bottlenecks, find_bottlenecks
from analysis.export import json_ready, json_records, json_text
from analysis.handoffs import (
    HANDOFF_COLUMNS,
    HandoffFailures,
    find_handoff_failures,
    find_handoffs,
    find_rework,
)
from analysis.impact import Impact, simulate_impact
from analysis.labels import PATTERN_LABELS, RECOMMENDATION_LABELS
from analysis.performance import (
    PerformanceSpectrum,
    SlaBreaches,
    WaitDrivers,
    WaitingDrift,
    find_sla_breaches,
    find_wait_drivers,
    find_waiting_drift,
    performance_spectrum,
)
from analysis.performers import (
    DiscoveredRoles,
    Performers,
    classify_performers,
    discover_roles,
    with_discovered_roles,
)
from analysis.profile import Profile, load_profile
from analysis.readiness import OrchestrationGate, Readiness, find_orchestration_gate, score_readiness
from mapper.columns import ACTIVITY, NOT_ATTRIBUTES
from mapper.discovery import (
    DirectlyFollowsGraph,
    ProcessModel,
    assess_model,
    discover_bpmn,
    discover_dfg,
    discover_variants,
)
from mapper.engine import execute
from mapper.errors import AnalysisError
from mapper.log import DataQuality, EventLog

FINDINGS_SCHEMA_VERSION = "1.5"
#: Roles are discovered (pm4py, whose role discovery grows fast with the activities: 223 s for BPIC15_1's
#: 398) only for logs with at most this many activities.
ROLE_DISCOVERY_MAX_ACTIVITIES = 100
#: The readiness fields written to ``findings.json`` beside the 1.0 ones (since 1.3).
READINESS_EXTRA = (
    "already_automated",
    "stability",
    "stability_joint",
    "rule",
    "rule_text",
    "fix_first_reasons",
    "equity_flag",
    "equity_note",
    "events",
    "cases",
    "events_per_month",
    "case_coverage",
    "workload_hours_per_year",
    "determinism",
    "automation_rate",
    "dominant_wait_cause",
)
#: Verdict thresholds (see :func:`find_verdict`).
VERDICT_REWORK_CASES = 0.10
VERDICT_PING_PONG_CASES = 0.05
VERDICT_DOMINANT_WAIT = 0.30
VERDICT_TOP10_VARIANTS = 0.50
VERDICT_STUCK_CASES = 0.05


def flowready_version() -> str:
    """The installed flowready version (``importlib.metadata``), or ``"0+unknown"`` when not installed.

    Returns
    -------
    str
        Written as ``flowready_version`` in ``findings.json`` and the reports: it names the code, not the
        format (see :data:`FINDINGS_SCHEMA_VERSION`).
    """
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

    @property
    def headline(self) -> str:
        """The verdict in words: "Orchestrate first" or "Ready to automate where scored"."""
        return "Orchestrate first" if self.orchestrate_first else "Ready to automate where scored"

    def to_frame(self) -> pd.DataFrame:
        """The reasons as a table, most important first.

        Returns
        -------
        pandas.DataFrame
            ``rank`` (int64, from 1), ``reason`` (str); a verdict without reasons gives one row saying so.

        Examples
        --------
        >>> Verdict(True, ["49% of cases repeat some work (rework)."]).to_frame()
           rank                                   reason
        0     1  49% of cases repeat some work (rework).
        """
        reasons = list(self.reasons) or ["No finding calls for orchestrating the process first."]
        return pd.DataFrame({"rank": range(1, len(reasons) + 1), "reason": reasons}).astype({"rank": "int64"})

    def plot(self):
        """The verdict and its reasons as a plotly table (the report's first words, for a notebook).

        Returns
        -------
        plotly.graph_objects.Figure
            A :class:`plotly.graph_objects.Table` headed by :attr:`headline`, one row per reason; the
            reasons (which quote names from the data) are escaped (:func:`analysis.escape.plotly_text`).

        Examples
        --------
        >>> fig = Verdict(True, ["<b>Assess</b> holds 52% of the waiting."]).plot()
        >>> list(fig.data[0].cells.values[1])
        ['&lt;b&gt;Assess&lt;/b&gt; holds 52% of the waiting.']
        """
        import plotly.graph_objects as go

        from analysis.escape import plotly_text

        d = self.to_frame()
        colour = "#d55e00" if self.orchestrate_first else "#009e73"  # Okabe & Ito vermilion / green
        fig = go.Figure(
            go.Table(
                columnwidth=[1, 12],
                header={
                    "values": ["", f"<b>{self.headline}</b>"],
                    "fill_color": colour,
                    "font": {"color": "white"},
                    "align": "left",
                },
                cells={
                    "values": [d["rank"].tolist(), [plotly_text(r) for r in d["reason"]]],
                    "align": "left",
                },
            )
        )
        fig.update_layout(title="Verdict", margin={"l": 10, "r": 10, "t": 40, "b": 10})
        return fig

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(r)}</li>" for r in self.reasons)
        return f"<h4>Verdict: {self.headline}</h4>" + (f"<ol>{items}</ol>" if items else "<p>No reasons.</p>")


def find_verdict(
    *,
    readiness: Readiness,
    bottlenecks: Bottlenecks,
    handoffs: pd.DataFrame,
    variants: pd.DataFrame,
    kpis: dict,
    failures: HandoffFailures | None = None,
) -> Verdict:
    """Decide whether the process needs orchestrating before automating.

    The verdict is ``orchestrate_first = True`` when any of these holds (each adds a reason):
    some step is ``fix_first``; at least 10% of cases contain rework; at least 5% of cases ping-pong
    between performers; some handoff fails (:func:`analysis.find_handoff_failures`: ping-pong, rework
    after a handoff, dropped batons, escalations that bounce back; without it, a pair failing by
    ping-pong); one step accounts for at least 30% of the waiting that can be fixed (everything but
    nights and weekends: :attr:`Bottlenecks.activities` ``fixable_hours``); the ten most frequent
    variants cover less than half of the cases (the process is not standardised); at least 5% of cases
    look stuck.

    Parameters
    ----------
    readiness, bottlenecks, handoffs, variants
        The outputs of :func:`score_readiness`, :func:`find_bottlenecks`, :func:`find_handoffs` and
        :func:`mapper.discover_variants`.
    kpis : dict
        :attr:`Blueprint.kpis` (baseline rework rate and ping-pong cases).
    failures : HandoffFailures, optional
        :func:`analysis.find_handoff_failures`; the failing pairs of ``handoffs`` otherwise.

    Returns
    -------
    Verdict

    References
    ----------
    Reijers & Limam Mansar (2005), "Best practices in business process redesign", Omega 33(4)
    (task elimination, contact reduction, case-based work before automation); van der Aalst (2016),
    *Process Mining*, ch. 9-10 (diagnosing before improving).
    """
    # One short, plain sentence per reason (read on the report's first page and the app's Overview): the
    # figure first, then at most three names and how many more; the detail lives on the findings' pages.
    reasons: list[str] = []
    cases = bottlenecks.cycle["cases"] or 1
    fix = readiness.scores[readiness.scores["recommendation"] == "fix_first"]
    if len(fix):
        reasons.append(
            f"{len(fix)} of {len(readiness.scores)} steps {'needs' if len(fix) == 1 else 'need'} fixing "
            "before automation: "
            f"{_name_list(fix['activity'].tolist())}."
        )
    rework_rate = kpis["rework_rate"]["baseline"] or 0.0
    if rework_rate >= VERDICT_REWORK_CASES:
        reasons.append(f"{rework_rate:.0%} of cases repeat some work (rework).")
    ping = kpis["ping_pong_cases"]["baseline"] or 0
    if ping / cases >= VERDICT_PING_PONG_CASES:
        reasons.append(f"{ping / cases:.0%} of cases bounce straight back between performers (ping-pong).")
    if failures is not None:
        found = failures.failures
        if len(found):
            worst = found.iloc[0]
            reasons.append(
                f"{len(found)} handoff{'s' if len(found) != 1 else ''} fail. The costliest: "
                f"{worst['source']} → {worst['target']} after {worst['after_activity']} "
                f"({PATTERN_LABELS.get(worst['pattern'], worst['pattern'])}, {int(worst['cases']):,} cases)"
                + (f"; and {len(found) - 1} more." if len(found) > 1 else ".")
            )
    else:
        failing = handoffs[handoffs["failing"]] if len(handoffs) else handoffs
        if len(failing):
            top = failing.sort_values(["count", "source", "target"], ascending=[False, True, True])
            pairs = [f"{s} → {t}" for s, t in zip(top["source"], top["target"], strict=True)]
            reasons.append(
                f"{len(failing)} handoff pair{'s' if len(failing) != 1 else ''} bounce work back: "
                f"{_name_list(pairs)}."
            )
    acts = bottlenecks.activities
    if len(acts) and "fixable_hours" in acts and acts["fixable_hours"].sum() > 0:
        fixable = acts["fixable_hours"] / acts["fixable_hours"].sum()
        top = acts.iloc[int(fixable.to_numpy().argmax())]
        share = float(fixable.max())
        if share >= VERDICT_DOMINANT_WAIT:
            cause = str(top.get("dominant_cause", ""))
            reasons.append(
                f"One step, {top['activity']}, holds {share:.0%} of the waiting that can be fixed."
                + (
                    f" The main cause is {cause}; remedy: {top['remedy']}."
                    if cause and cause != "unknown"
                    else ""
                )
            )
    elif len(acts) and acts["share_of_waiting"].iloc[0] >= VERDICT_DOMINANT_WAIT:
        reasons.append(
            f"One step, {acts['activity'].iloc[0]}, accounts for "
            f"{acts['share_of_waiting'].iloc[0]:.0%} of all waiting time."
        )
    if len(variants):
        top10 = float(variants["share"].head(10).sum())
        if top10 < VERDICT_TOP10_VARIANTS:
            reasons.append(
                f"The process is not standardised: the 10 most common paths cover only {top10:.0%} "
                f"of cases ({len(variants):,} paths in all)."
            )
    stuck = bottlenecks.cycle["stuck_cases"]
    if stuck / cases >= VERDICT_STUCK_CASES:
        reasons.append(
            f"{stuck:,} open cases ({stuck / cases:.0%}) look stuck: older than 95% of closed cases."
        )
    return Verdict(bool(reasons), reasons)


def _name_list(names: list[str], shown: int = 3) -> str:
    """``"A, B and C"``; more than ``shown`` names end in ``"and N more"``."""
    names = [str(n) for n in names]
    if len(names) > shown:
        return ", ".join(names[:shown]) + f" and {len(names) - shown} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class PerformanceViews:
    """The performance views of one analysis (:mod:`analysis.performance`).

    Attributes
    ----------
    spectrum : PerformanceSpectrum
        :func:`analysis.performance_spectrum` of the transitions that lose most waiting hours.
    drift : WaitingDrift
        :func:`analysis.find_waiting_drift`: monthly waiting before the main bottlenecks, changes flagged.
    drivers : WaitDrivers
        :func:`analysis.find_wait_drivers`: the case attributes that go with long cycle times.
    sla : SlaBreaches or None
        :func:`analysis.find_sla_breaches`, when targets per step or a due-date column were given.
    """

    spectrum: PerformanceSpectrum
    drift: WaitingDrift
    drivers: WaitDrivers
    sla: SlaBreaches | None = None

    def to_dict(self) -> dict:
        """The ``performance`` section of ``findings.json`` (see ``docs/findings.md``)."""
        s, d, r = self.spectrum, self.drift, self.drivers
        sig = d.changes[d.changes["significant"]] if len(d.changes) else d.changes
        return {
            "spectrum": {"transitions": json_records(s.transitions), "settings": dict(s.settings)},
            "drift": {
                "activities": list(d.activities),
                "monthly": json_records(d.monthly),
                "changes": json_records(sig),
                "comparisons": int(len(d.changes)),
                "settings": dict(d.settings),
            },
            "drivers": {
                "target": r.target,
                "activity": r.activity,
                "attributes": json_records(r.attributes),
                "levels": json_records(r.levels),
                "skipped": json_records(r.skipped),
                "settings": dict(r.settings),
            },
            "sla": None
            if self.sla is None
            else {
                "activities": json_records(self.sla.activities),
                "cases": json_records(self.sla.cases.head(200)),
                "summary": dict(self.sla.summary),
            },
        }


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
    performers : Performers or None
        :func:`analysis.classify_performers`: who does the work (people, systems, bots, outside parties).
    handoff_failures : HandoffFailures or None
        :func:`analysis.find_handoff_failures` at the blueprint's level.
    roles : DiscoveredRoles or None
        The roles :func:`analysis.discover_roles` found when the log named resources but no roles; ``log``
        then carries them in its ``role`` column (and says so in its notes).
    performance : PerformanceViews or None
        Spectrum, drift, drivers and SLA breaches.
    gate : OrchestrationGate or None
        :func:`analysis.find_orchestration_gate`: the process-level orchestrate-first gate and the three
        conditions under which an orchestration layer is worth having.
    model_quality : dict
        :func:`mapper.discovery.assess_model` of the log on the discovered model: its fitness
        (:func:`mapper.discovery.model_fitness`), precision, looseness diagnostics and whether it can be
        trusted as a redesign (``trusted``, ``reasons``); ``blueprint.meta["model_quality"]`` has the
        verdict.
    notes : tuple of str
        What the analysis left out or estimated, and why (roles not discovered, fitness sampled ...).
    impact : Impact or None
        :func:`analysis.simulate_impact`: what the blueprint saves per year (cycle time, waiting, human
        workload), simulated with ranges or estimated analytically; None when not computed.
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
    performers: Performers | None = None
    handoff_failures: HandoffFailures | None = None
    roles: DiscoveredRoles | None = None
    performance: PerformanceViews | None = None
    gate: OrchestrationGate | None = None
    model_quality: dict | None = None
    notes: tuple = ()
    impact: Impact | None = None

    @property
    def quality(self) -> DataQuality:
        return self.log.quality

    def automation_candidates(self, top: int = 5) -> pd.DataFrame:
        """Where automation pays first: :meth:`Readiness.candidates` (``automate`` and ``ai_assist`` steps
        not already done by systems, by value times readiness), with ``volume`` (share of cases).

        Returns
        -------
        pandas.DataFrame
            ``activity``, ``recommendation``, ``score``, ``stability``, ``workload_hours_per_year``,
            ``events_per_month``, ``case_coverage``, ``priority``, ``rationale`` and ``volume`` (float,
            = ``case_coverage``), at most ``top`` rows.
        """
        c = self.readiness.candidates(top=top)
        return c.assign(volume=c["case_coverage"])

    def failing_handoffs(self, top: int = 5) -> pd.DataFrame:
        """The handoff failures that cost the most hours (:attr:`HandoffFailures.failures`).

        Returns
        -------
        pandas.DataFrame
            At most ``top`` rows, most hours lost first: ``level``, ``pattern`` (``"ping-pong"``,
            ``"rework"``, ``"dropped-baton"``, ``"escalation-bounce"``), ``source``, ``target``,
            ``after_activity``, ``activity`` (str), ``cases`` (int64: cases in which it happened),
            ``share_of_cases``, ``hours_lost`` (float, hours), ``description`` (str). Without a failure
            analysis (a log naming no performers), the pairs of :attr:`handoffs` failing by ping-pong, in
            the same columns (``hours_lost`` NaN).
        """
        cols = [
            "level",
            "pattern",
            "source",
            "target",
            "after_activity",
            "activity",
            "cases",
            "share_of_cases",
            "hours_lost",
            "description",
        ]
        if self.handoff_failures is not None:
            return self.handoff_failures.failures[cols].head(top).reset_index(drop=True)
        h = self.handoffs
        level = self.blueprint.governance.get("handoff_level")
        h = h[h["failing"] & (h["level"] == level)] if level else h[h["failing"]]
        h = h.sort_values(
            ["ping_pong_cases", "count", "source", "target"], ascending=[False, False, True, True]
        )
        n = self.summary["cases"] or 1
        out = pd.DataFrame(
            {
                "level": h["level"],
                "pattern": "ping-pong",
                "source": h["source"],
                "target": h["target"],
                "after_activity": "",
                "activity": "",
                "cases": h["ping_pong_cases"].astype("int64"),
                "share_of_cases": h["ping_pong_cases"] / n,
                "hours_lost": float("nan"),
                "description": [
                    f"{s} and {t} send {c:,} cases back and forth, redoing work"
                    for s, t, c in zip(h["source"], h["target"], h["ping_pong_cases"], strict=True)
                ],
            }
        )
        return out[cols].head(top).reset_index(drop=True)

    def to_dict(self) -> dict:
        """The ``findings.json`` document (see ``docs/findings.md``)."""
        q = self.quality
        b = self.bottlenecks
        return json_ready(
            {
                "flowready_version": flowready_version(),
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
                        *[c for c in CAUSE_COLUMNS if c in b.activities],
                    ]
                ].to_dict(orient="records"),
                "waiting_causes": self._waiting_causes(),
                "calendars": self._calendars(),
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
                        **{k: getattr(r, k) for k in READINESS_EXTRA if hasattr(r, k)},
                    }
                    for r in self.readiness.scores.itertuples()
                ],
                "readiness_summary": self._readiness_summary(),
                "decisions": self._decisions(),
                "equity": json_records(self.readiness.equity),
                "gate": None if self.gate is None else self.gate.to_dict(),
                "model_quality": self.model_quality,
                "notes": list(self.notes),
                "verdict": self.verdict.to_dict(),
                "kpis": self.blueprint.kpis,
                "performers": self._performers(),
                "automation": []
                if self.performers is None
                else json_records(self.performers.activity_automation),
                "roles": self._roles(),
                "handoff_failures": self._handoff_failures(),
                "performance": None if self.performance is None else self.performance.to_dict(),
                "impact": None if self.impact is None else self.impact.to_dict(),
            }
        )

    def _readiness_summary(self) -> dict:
        r = self.readiness
        return {
            "fix_first_share": r.fix_first_share,
            "steps": len(r.scores),
            "recommendations": {k: int(v) for k, v in r.scores["recommendation"].value_counts().items()},
            "already_automated": int(r.scores["already_automated"].sum())
            if "already_automated" in r.scores
            else 0,
            "automation_source": r.automation_source,
            "handoff_source": r.handoff_source,
            "waiting_source": r.waiting_source,
            "profile": r.profile.source,
            "notes": list(r.notes),
        }

    def _decisions(self) -> dict:
        d = self.readiness.decisions
        return {
            "points": json_records(d.points),
            "rules": json_records(d.rules),
            "features": json_records(d.features),
        }

    def _waiting_causes(self) -> dict | None:
        c = self.bottlenecks.causes
        if c is None:
            return None
        return {
            "start_times": c.start_times,
            "process": c.process,
            "transitions": json_records(c.transitions.head(50)),
            "batches": json_records(c.batches),
            "notes": list(c.notes),
        }

    def _calendars(self) -> dict | None:
        cal = self.bottlenecks.calendars
        if cal is None:
            return None
        return {
            "level": cal.level,
            "granularity_minutes": cal.granularity_minutes,
            "log_basis": cal.log_basis,
            "performers": json_records(cal.summary),
            "notes": list(cal.notes),
        }

    def _performers(self) -> dict | None:
        p = self.performers
        if p is None:
            return None
        keep = [
            "performer",
            "type",
            "confidence",
            "reason",
            "overridden",
            "rule",
            "events",
            "cases",
            "activities",
            "instant_share",
            "night_share",
            "weekend_share",
            "after_request_share",
        ]
        return {
            "level": p.level,
            "summary": p.summary(),
            "performers": json_records(p.table[[c for c in keep if c in p.table]]),
            "notes": list(p.notes),
        }

    def _roles(self) -> dict:
        r = self.roles
        if r is None:
            return {"discovered": False}
        return {
            "discovered": True,
            "note": r.note,
            "threshold": r.threshold,
            "assignment": json_records(r.assignment),
            "roles": json_records(r.roles),
        }

    def _handoff_failures(self) -> dict | None:
        h = self.handoff_failures
        if h is None:
            return None
        return {
            "level": h.level,
            "failures": json_records(h.failures),
            "waits_on_outside_parties": json_records(h.request_response),
            "dropped_batons": json_records(h.dropped_batons.head(100)),
            "escalations": json_records(h.escalations),
            "chains": {"table": json_records(h.chains), "fit": dict(h.chain_fit)},
            "activity_roles": json_records(h.activity_roles),
            "escalation_column": h.escalation_column,
            "notes": list(h.notes),
        }

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
            **self._extra_tables(),
        }

    def _extra_tables(self) -> dict[str, pd.DataFrame]:
        """The tables of the analyses added in schema 1.3 (those that ran)."""
        out: dict[str, pd.DataFrame] = {}
        c = self.bottlenecks.causes
        if c is not None:
            out["waiting_causes"] = c.activities.copy()
            out["waiting_causes_transitions"] = c.transitions.copy()
            out["batches"] = c.batches.copy()
        if self.bottlenecks.calendars is not None:
            out["calendars"] = self.bottlenecks.calendars.summary.copy()
        if self.performers is not None:
            out["performers"] = self.performers.table.copy()
            out["automation"] = self.performers.activity_automation.copy()
        h = self.handoff_failures
        if h is not None:
            out["handoff_failures"] = h.failures.assign(
                example_cases=h.failures["example_cases"].map(", ".join)
            )
            out["waits_on_outside_parties"] = h.request_response.assign(
                example_cases=h.request_response["example_cases"].map(", ".join)
            )
            out["dropped_batons"] = h.dropped_batons.copy()
            out["handoff_chains"] = h.chains.copy()
            out["activity_handoff_roles"] = h.activity_roles.copy()
        if self.roles is not None:
            out["discovered_roles"] = self.roles.assignment.copy()
        d = self.readiness.decisions
        out["decision_points"] = d.points.assign(outcomes=d.points["outcomes"].map(str))
        out["decision_rules"] = d.rules.assign(conditions=d.rules["conditions"].map(str))
        if len(self.readiness.equity):
            out["equity_gaps"] = self.readiness.equity.copy()
        if self.gate is not None:
            out["orchestration_gate"] = self.gate.metrics.copy()
            out["orchestration_conditions"] = self.gate.conditions.copy()
        p = self.performance
        if p is not None:
            out["performance_spectrum"] = p.spectrum.transitions.copy()
            out["waiting_drift"] = p.drift.monthly.copy()
            out["waiting_drift_changes"] = p.drift.changes.copy()
            out["wait_drivers"] = p.drivers.attributes.copy()
            out["wait_driver_levels"] = p.drivers.levels.copy()
            if p.sla is not None:
                out["sla_breaches"] = p.sla.activities.copy()
        return out

    def to_json(self) -> str:
        """The ``findings.json`` document as JSON text: what :meth:`save` writes and the app downloads.

        Returns
        -------
        str
            :meth:`to_dict` as indented JSON (UTF-8 text, ``NaN`` as ``null``; see ``docs/findings.md``).

        See Also
        --------
        save : write it to a file.

        Examples
        --------
        >>> import json
        >>> from analysis import analyze
        >>> findings = analyze(load_event_log(SAMPLE), impact="off", sensitivity=False)
        >>> json.loads(findings.to_json())["log"]["cases"]
        1000
        """
        return json_text(self.to_dict())

    def save(self, path: str | Path) -> Path:
        """Write ``findings.json`` (the text of :meth:`to_json`) to ``path``.

        Parameters
        ----------
        path : str or Path
            The file to write (replaced if it exists); its folder must exist.

        Returns
        -------
        Path
            ``path``.

        Examples
        --------
        >>> import json, tempfile
        >>> from pathlib import Path
        >>> from analysis import analyze
        >>> findings = analyze(load_event_log(SAMPLE), impact="off", sensitivity=False)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     written = findings.save(Path(folder) / "findings.json")
        ...     json.loads(written.read_text("utf-8"))["verdict"]["orchestrate_first"]
        True
        """
        path = Path(path)
        path.write_text(self.to_json(), "utf-8")
        return path

    def to_frame(self) -> pd.DataFrame:
        """One row per step: what the analysis says about it, where to start first.

        Returns
        -------
        pandas.DataFrame
            One row per activity scored (:attr:`readiness`), the steps with the most fixable waiting first:
            ``activity`` (str), ``recommendation`` (str code), ``recommendation_label`` (str, the words of
            :mod:`analysis.labels`), ``score`` (float, readiness 0-100), ``cases`` (int64),
            ``waiting_hours_median``, ``waiting_hours_p90`` (float, hours before the step),
            ``hours_lost_total``, ``fixable_hours`` (float, hours: all waiting, and the part not explained
            by nights and weekends; NaN without the cause analysis), ``dominant_cause`` (str), ``remedy``
            (str).

        Examples
        --------
        >>> from analysis import analyze
        >>> findings = analyze(load_event_log(SAMPLE), impact="off", sensitivity=False)
        >>> findings.to_frame()["activity"].iloc[0]
        'Assess application'
        """
        r = self.readiness.scores[["activity", "recommendation", "score", "cases"]]
        wanted = [
            "activity",
            "waiting_hours_median",
            "waiting_hours_p90",
            "hours_lost_total",
            "fixable_hours",
            "dominant_cause",
            "remedy",
        ]
        b = self.bottlenecks.activities.reindex(columns=wanted)
        out = r.merge(b, on="activity", how="left")
        out.insert(2, "recommendation_label", out["recommendation"].map(RECOMMENDATION_LABELS))
        order = out["fixable_hours"].fillna(out["hours_lost_total"]).fillna(0.0)
        out = out.assign(_order=order).sort_values(["_order", "activity"], ascending=[False, True])
        return out.drop(columns="_order").reset_index(drop=True).astype({"cases": "int64"})

    def plot(self, *, top: int = 15):
        """Where to start: a plotly bar chart of the waiting each step could lose, by recommendation.

        Parameters
        ----------
        top : int, default 15
            The steps with the most fixable waiting shown.

        Returns
        -------
        plotly.graph_objects.Figure
            One trace per recommendation (colours of :mod:`analysis.labels`), one horizontal bar per step:
            x the fixable hours of waiting before it (all waiting hours when causes were not analysed),
            hover its readiness score and main cause; names escaped.

        Examples
        --------
        >>> from analysis import analyze
        >>> findings = analyze(load_event_log(SAMPLE), impact="off", sensitivity=False)
        >>> fig = findings.plot(top=5)
        >>> sum(len(t.y) for t in fig.data)
        5
        """
        import plotly.graph_objects as go

        from analysis.escape import escape_figure, plotly_text
        from analysis.labels import recommendation_bars

        d = self.to_frame().head(top)
        fixable = d["fixable_hours"].notna().any()
        d = d.assign(hours=d["fixable_hours"] if fixable else d["hours_lost_total"]).fillna({"hours": 0.0})
        d = d.iloc[::-1]
        traces = recommendation_bars(
            d,
            x="hours",
            customdata=["score", "dominant_cause"],
            hover="%{y}: %{x:,.0f} h<br>readiness %{customdata[0]:.0f}, mostly %{customdata[1]}",
        )
        what = "fixable hours of waiting" if fixable else "hours of waiting"
        fig = go.Figure(traces)
        fig.update_layout(
            title=f"{plotly_text(self.summary['source'])}: where to start ({self.verdict.headline})",
            xaxis_title=f"{what} before the step (all cases)",
            yaxis={"categoryorder": "array", "categoryarray": [plotly_text(a) for a in d["activity"]]},
            barmode="overlay",
            height=180 + 26 * len(d),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(r)}</li>" for r in self.verdict.reasons)
        return (
            f"<h4>{html.escape(self.summary['source'])}: {self.verdict.headline}</h4><ul>{items}</ul>"
            + self.readiness._repr_html_()
        )


#: The steps :func:`analyze` reports to its ``progress`` callback, in order (for progress bars).
ANALYSIS_STEPS = (
    "Discovering the process",
    "Mining the BPMN model",
    "Finding who does the work",
    "Finding bottlenecks and why cases wait",
    "Finding handoffs that fail, and rework",
    "Measuring drift, drivers and SLAs",
    "Scoring automation readiness",
    "Building the blueprint",
    "Simulating the blueprint's impact",
)


def analyze(
    log: EventLog,
    *,
    noise_threshold: float = 0.2,
    end_activities: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    performer_types: Mapping[str, str] | None = None,
    sla_targets: Mapping[str, float] | None = None,
    due_column: str | None = None,
    escalation_column: str | None = None,
    escalation_order: Sequence[str] | None = None,
    discover_missing_roles: bool = True,
    equity_attributes: Sequence[str] = (),
    profile: Profile | str | Path | None = None,
    sensitivity: bool = True,
    impact: Literal["simulate", "analytical", "off"] = "simulate",
    impact_runs: int = 5,
) -> Findings:
    """Run the whole analysis: discovery, performers, bottlenecks and their causes, handoffs and their
    failures, rework, performance views, readiness, blueprint, verdict.

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
    performer_types : mapping of str to str, optional
        Performer -> ``"human"``, ``"system"``, ``"bot"`` or ``"external"``, overriding what
        :func:`analysis.classify_performers` finds (see :func:`analysis.load_performer_types`).
    sla_targets : mapping of str to float, optional
        Activity -> target hours from enabling to completion (:func:`analysis.find_sla_breaches`).
    due_column : str, optional
        A column of the log holding each event's due time (:func:`analysis.find_sla_breaches`).
    escalation_column : str, optional
        A column holding the support level or line, for escalations that bounce back
        (:func:`analysis.find_handoff_failures`); detected when not given.
    escalation_order : sequence of str, optional
        Its values from the lowest level to the highest, when they cannot be read (e.g. "L1", "2nd line").
    discover_missing_roles : bool, default True
        When the log names resources but no roles (teams), discover roles from the activities the
        resources perform (:func:`analysis.discover_roles`) and analyse handoffs between them; the
        findings say that they were discovered.
    equity_attributes : sequence of str, default ()
        Case attributes the user names as sensitive (channel, age band, postcode area ...; none assumed):
        every decision recommended for automation or AI assistance is checked for disparities across
        their groups (:func:`analysis.find_equity_gaps`).
    profile : Profile, str or Path, optional
        The readiness weights and thresholds (:func:`analysis.load_profile`; a YAML path is loaded);
        the shipped default when not given.
    sensitivity : bool, default True
        Move every weight and threshold of the profile to give each recommendation its stability
        (:func:`analysis.score_readiness`); False skips it (stability unknown), for speed.
    impact : {"simulate", "analytical", "off"}, default "simulate"
        What the blueprint is worth (:func:`analysis.simulate_impact`): ``"simulate"`` simulates today's
        process and the blueprint's ``impact_runs`` times each (Prosimos; the analytical estimate when the
        log cannot be simulated, saying why), ``"analytical"`` gives only the estimate (fast), ``"off"``
        leaves ``Findings.impact`` None.
    impact_runs : int, default 5
        Simulations per scenario; the ranges are the minimum and maximum over them.

    Returns
    -------
    Findings

    Raises
    ------
    AnalysisError
        When an argument names an activity, performer or column the log does not have (the message
        names the parameter and lists what exists).

    Examples
    --------
    >>> findings = analyze(load_event_log("sample_logs/council_permits.csv"))
    >>> findings.verdict.orchestrate_first
    True
    >>> findings.bottlenecks.activities["activity"].iloc[0]
    'Assess application'
    """
    if impact not in ("simulate", "analytical", "off"):
        raise AnalysisError(f"`impact` must be 'simulate', 'analytical' or 'off'; got {impact!r}.")
    if not isinstance(impact_runs, int) or impact_runs < 1:
        raise AnalysisError(f"`impact_runs` must be a whole number of at least 1; got {impact_runs!r}.")
    _check_arguments(
        log,
        sla_targets=sla_targets,
        due_column=due_column,
        escalation_column=escalation_column,
        equity_attributes=equity_attributes,
    )
    if profile is not None and not isinstance(profile, Profile):
        profile = load_profile(profile)  # a bad file stops here, before any work
    step = progress or (lambda _name: None)
    step(ANALYSIS_STEPS[0])
    notes: list[str] = []
    roles = log.discovered_roles  # a log whose roles were discovered before (e.g. a filtered view)
    if roles is None and discover_missing_roles and log.has_resources and not log.has_roles:
        n_activities = int(execute(log.table()[ACTIVITY].nunique().as_table()).iloc[0, 0])
        if n_activities <= ROLE_DISCOVERY_MAX_ACTIVITIES:
            roles = discover_roles(log)
            log = with_discovered_roles(log, roles)
        else:
            notes.append(
                f"Roles were not discovered: the log has {n_activities} activities (more than "
                f"{ROLE_DISCOVERY_MAX_ACTIVITIES}), for which pm4py's role discovery takes minutes; handoffs "
                "are analysed between resources."
            )
    summary = {**log.summary(), "roles_discovered": roles is not None}
    dfg = discover_dfg(log)
    variants = discover_variants(log)
    step(ANALYSIS_STEPS[1])
    model = discover_bpmn(log, noise_threshold=noise_threshold, variants=variants)
    step(ANALYSIS_STEPS[2])
    performers = (
        classify_performers(log, overrides=dict(performer_types or {}))
        if log.has_resources or log.has_roles
        else None
    )
    step(ANALYSIS_STEPS[3])
    bottlenecks = find_bottlenecks(log, end_activities=end_activities)
    step(ANALYSIS_STEPS[4])
    levels = ("resource", "role", "system") if log.has_systems else ("resource", "role")
    frames = [find_handoffs(log, level=lvl) for lvl in levels]
    handoffs = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    blueprint_level = "role" if log.has_roles else "resource"
    failures = (
        find_handoff_failures(
            log,
            level=blueprint_level,
            performers=performers,
            escalation_column=escalation_column,
            escalation_order=list(escalation_order) if escalation_order else None,
        )
        if performers is not None
        else None
    )
    rework = find_rework(log)
    step(ANALYSIS_STEPS[5])
    performance = PerformanceViews(
        spectrum=performance_spectrum(log),
        drift=find_waiting_drift(log),
        drivers=find_wait_drivers(log),
        sla=find_sla_breaches(log, targets=dict(sla_targets), due_column=due_column)
        if sla_targets or due_column
        else None,
    )
    step(ANALYSIS_STEPS[6])
    readiness = score_readiness(
        log,
        profile=profile,
        automation=_automation_input(performers),
        waiting=bottlenecks.causes.activities if bottlenecks.causes is not None else None,
        handoff_roles=_handoff_roles_input(failures),
        equity_attributes=tuple(equity_attributes),
        end_activities=end_activities,
        sensitivity="full" if sensitivity else "none",
    )
    model_quality = assess_model(model, variants, dfg)
    if model.note:
        notes.append(model.note)
    if model_quality.get("skipped"):
        notes.append(f"The fitness of the log to its model was not computed: {model_quality['skipped']}.")
    elif model_quality.get("sampled"):
        notes.append(
            "The fitness of the log to its model was estimated on a sample of "
            f"{model_quality['cases_replayed']:,} of {model_quality['cases']:,} cases (token replay of every "
            "variant would take too long)."
        )
    if model_quality.get("precision_skipped"):
        notes.append(f"The precision of the model was not computed: {model_quality['precision_skipped']}.")
    elif model_quality.get("precision_sampled"):
        notes.append(
            "The precision of the model was estimated by replaying the prefixes of a sample of "
            f"{model_quality['precision_cases']:,} of {model_quality['cases']:,} cases against the steps the "
            "whole log takes after them (replaying every prefix would take too long)."
        )
    gate = find_orchestration_gate(
        log,
        readiness=readiness,
        fitness=model_quality["log_fitness"],
        profile=readiness.profile,
        ping_pong_cases=_ping_pong_cases(failures),
    )
    step(ANALYSIS_STEPS[7])
    bp_handoffs = handoffs[handoffs["level"] == blueprint_level] if len(handoffs) else handoffs
    blueprint = build_blueprint(log, model, readiness, bottlenecks, bp_handoffs, rework, failures=failures)
    blueprint = replace(blueprint, meta={**blueprint.meta, "model_quality": _model_verdict(model_quality)})
    verdict = find_verdict(
        readiness=readiness,
        bottlenecks=bottlenecks,
        handoffs=bp_handoffs,
        variants=variants,
        kpis=blueprint.kpis,
        failures=failures,
    )
    impact_result = None
    if impact != "off":
        step(ANALYSIS_STEPS[8])
        impact_result = simulate_impact(
            log,
            blueprint,
            runs=impact_runs,
            calendars=bottlenecks.calendars,
            performers=performers,
            method="auto" if impact == "simulate" else "analytical",
        )
    return Findings(
        log,
        summary,
        dfg,
        variants,
        model,
        bottlenecks,
        handoffs,
        rework,
        readiness,
        blueprint,
        verdict,
        performers=performers,
        handoff_failures=failures,
        roles=roles,
        performance=performance,
        gate=gate,
        model_quality=model_quality,
        notes=tuple(notes),
        impact=impact_result,
    )


def _model_verdict(q: dict) -> dict:
    """What the blueprint says about the model it is built from: trusted as a redesign, or a sketch."""
    return {
        "trusted": bool(q["trusted"]),
        "reasons": list(q["reasons"]),
        "fitness": q.get("log_fitness"),
        "precision": q.get("precision"),
        "summary": (
            "The discovered model fits the log and is not loose: its structure can be read as a redesign."
            if q["trusted"]
            else "The discovered model is too loose or too partial to be trusted as a redesign: read the "
            "blueprint's structure as a sketch of the process, not a design."
        ),
    }


def _ping_pong_cases(failures: HandoffFailures | None) -> int | None:
    """Cases with a ping-pong between teams (no review in between), as the KPIs count them."""
    if failures is None:
        return None
    return int(failures.ping_pong["case_id"].nunique()) if len(failures.ping_pong) else 0


def _automation_input(performers: Performers | None) -> pd.DataFrame | None:
    """The automation and outside-party rates per activity, as :func:`score_readiness` takes them."""
    if performers is None:
        return None
    a = performers.activity_automation
    known = a["with_performer"].where(a["with_performer"] > 0)
    return pd.DataFrame(
        {
            "activity": a["activity"],
            "automation_rate": a["automation_rate"],
            "external_rate": a["external_events"] / known,
        }
    )


def _handoff_roles_input(failures: HandoffFailures | None) -> pd.DataFrame | None:
    """Each activity's own part in failing handoffs, as :func:`score_readiness` takes it.

    Sender of redone work: the step after which a case bounced (ping-pong) or the check that sent it back
    (rework); receiver of redone work: the step that is redone. Receiving a dropped baton, or being the
    step after which one is dropped, is named but never makes a step fix-first.
    """
    if failures is None:
        return None
    r = failures.activity_roles
    return pd.DataFrame(
        {
            "activity": r["activity"],
            "redone_sender_cases": r[["ping_pong_cases", "rework_sent_back_cases"]]
            .max(axis=1)
            .astype("int64"),
            "redone_receiver_cases": r["rework_redone_cases"].astype("int64"),
            "dropped_after_cases": r["dropped_after_cases"].astype("int64"),
            "dropped_receiver_cases": r["dropped_received_cases"].astype("int64"),
        }
    )


def _check_arguments(
    log: EventLog,
    *,
    sla_targets: Mapping[str, float] | None,
    due_column: str | None,
    escalation_column: str | None,
    equity_attributes: Sequence[str],
) -> None:
    """Refuse arguments that name what the log does not have, before any work is done."""
    columns = log.columns
    unknown = [a for a in equity_attributes if a not in columns or a in NOT_ATTRIBUTES]
    if unknown:
        attributes = [c for c in columns if c not in NOT_ATTRIBUTES]
        raise AnalysisError(
            f"`equity_attributes` names {unknown}, which are not attribute columns of {log.source}; "
            f"attributes: {attributes}."
        )
    if sla_targets:
        known = sorted(discover_dfg(log).activities["activity"])
        unknown = sorted(set(sla_targets) - set(known))
        if unknown:
            raise AnalysisError(
                f"`sla_targets` name {unknown}, which are not activities of {log.source}; known activities: "
                f"{known}."
            )
        bad = {k: v for k, v in sla_targets.items() if not (isinstance(v, int | float) and v > 0)}
        if bad:
            raise AnalysisError(f"`sla_targets` must be positive hours; got {bad}.")
    for name, column in (("due_column", due_column), ("escalation_column", escalation_column)):
        if column is not None and column not in columns:
            raise AnalysisError(f"`{name}` {column!r} is not a column of {log.source}; columns: {columns}.")
