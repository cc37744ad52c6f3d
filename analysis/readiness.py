"""Automation readiness: per step, what the log says about automating it, and a recommendation one can defend.

Each activity gets **value** measures (events per month, case coverage, workload in processing hours per
year), a 0-100 **feasibility score** from nine factors, and a **recommendation** -- ``automate``,
``ai_assist``, ``keep_human`` or ``fix_first`` -- by a written, ordered decision rule, with a one-line
rationale quoting the measured numbers and a **stability** (the share of +-20 % perturbations of every
weight and threshold that keep it). Steps already done by systems or bots are marked
``already_automated``: an orchestration concern, not a candidate. Every weight and threshold is in a YAML
profile (:mod:`analysis.profile`); the formulas, thresholds and sources are in ``docs/readiness.md``.

Factors (value -> score in [0, 1], 1 favours automation; unknown factors are left out and the weights of
the rest renormalised):

``standardisation``
    Share of the step's inflow through its ``top_k`` most frequent predecessors, averaged with the share
    of its outflow through its ``top_k`` most frequent successors (case start and end count as
    neighbours). Score = value. A step after the merge of two branches is fully standard at k = 2.
``predictability``
    ``1 - H * (1 - D)``: H the normalised entropy of the step's outcomes (next activity or case end), D
    its rule-determinism when it is a decision point (:func:`analysis.decisions.mine_decisions`), else 0.
    A fixed successor, or a decision the data decide, scores 1; a coin-flip judgment 0.
``time_dispersion``
    Coefficient of variation of the processing time; score ``max(0, 1 - CV / cv_zero)``. Unknown
    without start times or below ``min_timed`` timed instances.
``failure``
    Own failure rate: cases in which the step is repeated after other work (loop back; not when it recurs
    by design, in most of its cases) plus cases lost right after it (abandoned or cancelled), over its
    cases; score ``max(0, 1 - rate / failure_zero)``.
``maturity``
    Drift of the step's monthly share of the log's events (coefficient of variation) and of its
    outflow (median total-variation distance between consecutive months); score
    ``1 - min(1, max(volume_drift / volume_drift_zero, flow_drift / flow_drift_zero))``.
``automation_rate``
    Share of its events done by systems or bots (from the performer types when given, else from
    resource names, :data:`SYSTEM_PATTERN`). Score = value.
``performer_concentration``
    Herfindahl index of its events over resources (1 = one person does all); score ``1 - HHI``.
``structured_input``
    Share of its events carrying free text (long, mostly distinct text attributes); score ``1 - share``.
``waiting_gain``
    Share of its (attributed) waiting that automation removes: contention, batching, prioritisation and
    unavailability, but not extraneous waiting (on the citizen, a third party). Score = value.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from analysis.bottlenecks import find_end_activities
from analysis.decisions import Decisions, mine_decisions
from analysis.escape import escape_figure
from analysis.labels import BAD, GOOD, RECOMMENDATION_COLOURS, RECOMMENDATION_LABELS
from analysis.profile import Profile, load_profile
from analysis.queries.handoffs import activity_handoffs, handover_table
from analysis.queries.readiness import (
    attribute_summary,
    distinct_counts,
    lost_cases,
    monthly_flow,
    neighbour_counts,
    performer_counts,
    repeat_cases,
    system_share,
    text_presence,
)
from mapper.columns import CASE_ID, RESOURCE, ROLE, SOURCE_SYSTEM
from mapper.engine import activity_stats, execute, log_counts, variants
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: Resource names that mark work done by a system rather than a person (the fallback when no performer
#: types are given).
SYSTEM_PATTERN = (
    r"(?i)(^|[^a-z])(system|sys|batch|auto|automated|automatic|bot|robot|rpa|script|scheduler"
    r"|service|portal|interface|api|daemon|job|engine|server|workflow)([^a-z]|$)"
)
#: Activity names that mark a cancellation: a case whose next step matches was lost after this one.
CANCEL_PATTERN = r"(?i)(cancel|abort|withdraw|annul|revoke)"
#: Activity names that mark an outcome (a case that reaches one has ended, and the outcome step itself
#: is not charged with the cases lost after it): cancellations, declines, rejections, refusals.
OUTCOME_PATTERN = r"(?i)(cancel|abort|withdr|annul|revok|declin|reject|refus|denied|deny|dismiss)"
RECOMMENDATIONS = ("automate", "ai_assist", "keep_human", "fix_first")
#: The factors of the feasibility score, in profile order.
FACTORS = (
    "standardisation",
    "predictability",
    "time_dispersion",
    "failure",
    "maturity",
    "automation_rate",
    "performer_concentration",
    "structured_input",
    "waiting_gain",
)
#: The weights of the default profile (a copy; the profile is the source).
WEIGHTS: dict[str, float] = load_profile().weights
#: How the figure and the rationale name the recommendations.
_SHOWN = ("automate", "ai_assist", "keep_human", "fix_first", "already_automated")
LABELS = {k: RECOMMENDATION_LABELS[k] for k in _SHOWN}  # from the one table, analysis.labels
_COLOURS = {k: RECOMMENDATION_COLOURS[k] for k in _SHOWN}
WAIT_CAUSES = ("batching", "contention", "prioritisation", "unavailability", "extraneous")
#: Waiting that automation removes (a bot does not queue, batch, prioritise or go home); extraneous
#: waiting (on the citizen, a supplier) stays.
REMOVABLE_CAUSES = ("batching", "contention", "prioritisation", "unavailability")
HOURS_PER_YEAR = 8766.0  # 365.25 days
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Readiness:
    """Readiness per activity: value, feasibility, recommendation, rationale and stability.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per activity, candidates first (steps not already automated, by score, then the
        already automated ones): ``activity`` (str), ``score`` (float 0-100, feasibility),
        ``recommendation`` (str, one of :data:`RECOMMENDATIONS`), ``already_automated`` (bool),
        ``rationale`` (str), ``stability`` (float 0-1, one-at-a-time +-step perturbations keeping
        the recommendation), ``stability_joint`` (float, random joint perturbations), ``rule``
        (str: which branch of the decision rule applied, e.g. ``"routine"``, ``"rule"``,
        ``"judgment"``), ``factors`` (dict: name -> {"value", "score", "weight"}; the feasibility
        factors, then the value-side ``volume`` (events per month), ``case_coverage`` and ``workload``
        with weight 0 and score None), ``decision_point`` (bool), ``fix_first_reasons`` (list of str),
        ``equity_flag`` (bool), ``equity_note`` (str), value columns ``events``, ``cases`` (int64),
        ``events_per_month``, ``case_coverage``, ``workload_hours_per_year`` (float; NaN without start
        times), ``volume`` (float, = ``case_coverage``, kept for older readers), and the measured
        values: ``standardisation``, ``outcome_entropy``, ``determinism``, ``processing_cv``,
        ``rework_share``, ``self_repeat_share``, ``abandoned_share``, ``cancelled_share``, ``lost_share``,
        ``failure_rate``, ``handoff_redone_share``, ``dropped_after_cases``,
        ``dropped_receiver_cases``, ``volume_drift``, ``flow_drift``, ``automation_rate``,
        ``external_rate``, ``performers`` (int), ``performer_hhi``, ``unstructured_share``,
        ``waiting_gain``, ``removable_waiting_hours`` (float, NaN when unknown),
        ``dominant_wait_cause`` (str or None), ``rule_text`` (str: the main learned rule of a decision
        point, or "").
    decisions : Decisions
        The decision points, their rule-determinism and their rules (:func:`analysis.mine_decisions`).
    equity : pandas.DataFrame
        :func:`analysis.find_equity_gaps` for the ``equity_attributes``; empty without them.
    sensitivity : pandas.DataFrame
        One row per perturbation: ``kind`` (``"one-at-a-time"`` or ``"joint"``), ``parameter``
        (``section.key``, or ``"all"``), ``factor`` (float, the multiplier; NaN for joint),
        ``changed`` (int, activities whose recommendation changed), ``activities`` (list of str).
    profile : Profile
    notes : tuple of str
        What was assumed or could not be measured (e.g. the automation rate read from resource names).
    automation_source, handoff_source, waiting_source : str
        Where those inputs came from: ``"performer types"``/``"resource names"``/``"none"``,
        ``"handoff roles"``/``"own ping-pong"``/``"none"``, ``"waiting causes"``/``"none"``.
    handoff_level : str or None
        The level of the fallback ping-pong measure (``"role"`` or ``"resource"``).
    weights : dict
        The feasibility weights used (a copy of ``profile.weights``).
    """

    scores: pd.DataFrame
    decisions: Decisions
    equity: pd.DataFrame
    sensitivity: pd.DataFrame
    profile: Profile
    notes: tuple = ()
    automation_source: str = "none"
    handoff_source: str = "none"
    waiting_source: str = "none"
    handoff_level: str | None = None
    weights: dict = field(default_factory=lambda: dict(WEIGHTS))

    @property
    def fix_first_share(self) -> float:
        """Share of the steps recommended ``fix_first`` (0 when there are no steps)."""
        n = len(self.scores)
        return float((self.scores["recommendation"] == "fix_first").sum() / n) if n else 0.0

    def to_frame(self) -> pd.DataFrame:
        """A flat copy: the scores without the nested ``factors`` and ``fix_first_reasons``."""
        return self.scores.drop(columns=["factors", "fix_first_reasons"]).copy()

    def candidates(self, top: int | None = 5) -> pd.DataFrame:
        """Automation candidates: ``automate`` and ``ai_assist`` steps not already automated, by value.

        Ordered by workload hours per year times the score (events per month times the score when the
        log has no start times), then by name.

        Returns
        -------
        pandas.DataFrame
            ``activity``, ``recommendation``, ``score``, ``stability``, ``workload_hours_per_year``,
            ``events_per_month``, ``case_coverage``, ``priority`` (float: value times score / 100),
            ``rationale``.
        """
        s = self.scores
        c = s[s["recommendation"].isin(["automate", "ai_assist"]) & ~s["already_automated"]].copy()
        value = c["workload_hours_per_year"].where(
            c["workload_hours_per_year"].notna(), c["events_per_month"]
        )
        c["priority"] = value * c["score"] / 100
        c = c.sort_values(["priority", "activity"], ascending=[False, True])
        cols = [
            "activity",
            "recommendation",
            "score",
            "stability",
            "workload_hours_per_year",
            "events_per_month",
            "case_coverage",
            "priority",
            "rationale",
        ]
        return (c if top is None else c.head(top))[cols].reset_index(drop=True)

    def factor_table(self) -> pd.DataFrame:
        """The factor breakdown of every score: how much each factor adds to the 0-100 score.

        Returns
        -------
        pandas.DataFrame
            One row per (activity, feasibility factor), activities in ``scores`` order, factors in
            :data:`FACTORS` order (the value-side measures are columns of ``scores``): ``activity``
            (str), ``score`` (float), ``recommendation`` (str), ``factor`` (str), ``value`` (float: the
            measured value in the factor's unit -- a share, a coefficient of variation, a drift; NaN
            when unknown), ``factor_score`` (float 0-1; NaN when unknown), ``weight`` (float, as in
            the profile),
            ``effective_weight`` (float: renormalised over the factors known for this activity; 0 when
            unknown) and ``points`` (``100 * factor_score * effective_weight``: the points of an
            activity add up to its score, up to rounding).
        """
        rows = []
        for r in self.scores.itertuples():
            known = {k: f for k, f in r.factors.items() if f["score"] is not None and f["weight"] > 0}
            total = sum(f["weight"] for f in known.values())
            for name in FACTORS:
                f = r.factors[name]
                eff = f["weight"] / total if name in known and total else 0.0
                rows.append(
                    {
                        "activity": r.activity,
                        "score": r.score,
                        "recommendation": r.recommendation,
                        "factor": name,
                        "value": np.nan if f["value"] is None else float(f["value"]),
                        "factor_score": np.nan if f["score"] is None else float(f["score"]),
                        "weight": float(f["weight"]),
                        "effective_weight": eff,
                        "points": 100.0 * (f["score"] or 0.0) * eff,
                    }
                )
        columns = [
            "activity",
            "score",
            "recommendation",
            "factor",
            "value",
            "factor_score",
            "weight",
            "effective_weight",
            "points",
        ]
        return pd.DataFrame(rows, columns=columns)

    def plot(self, *, labels: int = 8):
        """The value-vs-feasibility matrix: workload (hours per year) against the readiness score.

        Every step is a point coloured by its recommendation (already automated steps grey), with the
        activity, recommendation, score, value and stability on hover. Only the ``labels`` candidates
        of highest priority are labelled, stacked in a column beside the points in the order of their
        heights and joined to them by a line, so labels do not overlap. Without start times the value axis
        is events per month (the axis title says so); steps with no value sit at a floor below the
        smallest value (a log axis has no zero). Names are HTML-escaped
        (plotly renders some markup in labels).

        Returns
        -------
        plotly.graph_objects.Figure
        """
        import plotly.graph_objects as go

        s = self.scores
        has_work = s["workload_hours_per_year"].notna().any()
        ycol = "workload_hours_per_year" if has_work else "events_per_month"
        ytitle = (
            "Workload: processing hours per year (value)"
            if has_work
            else "Events per month (value; no start times, so no workload)"
        )
        cat = np.where(s["already_automated"], "already_automated", s["recommendation"])
        # A log axis has no zero: steps with no (or unknown) value sit at a floor below the smallest one.
        positive = s[ycol][s[ycol] > 0]
        floor = float(positive.min()) / 3 if len(positive) else 1.0
        ypos = s[ycol].fillna(0).clip(lower=floor)
        fig = go.Figure()
        for key in ("automate", "ai_assist", "keep_human", "fix_first", "already_automated"):
            d = s[cat == key]
            if d.empty:
                continue
            y = ypos[d.index]
            fig.add_trace(
                go.Scatter(
                    x=d["score"],
                    y=y,
                    mode="markers",
                    name=LABELS[key],
                    marker={"color": _COLOURS[key], "size": 11, "line": {"width": 1, "color": "white"}},
                    customdata=np.stack(
                        [
                            [html.escape(a) for a in d["activity"]],
                            d["stability"].map(lambda v: "not measured" if pd.isna(v) else f"{v:.0%}"),
                            d[ycol].round(1).astype(str),
                        ],
                        axis=-1,
                    ),
                    hovertemplate="<b>%{customdata[0]}</b><br>"
                    + LABELS[key]
                    + "<br>readiness %{x:.0f}/100<br>value %{customdata[2]}<br>stability %{customdata[1]}"
                    "<extra></extra>",
                )
            )
        # Labels for the top candidates only, stacked in a column on the emptier side of the plot in
        # the order of their points' heights, each joined to its point: they cannot overlap.
        top = self.candidates(top=labels)["activity"].tolist()
        if top:
            pos = s.set_index("activity")
            left = bool((s["score"] >= 50).sum() >= (s["score"] < 50).sum())
            lx = 30.0 if left else 70.0
            logy = np.log10(ypos.to_numpy(dtype="float64"))
            lo, hi = float(logy.min()), float(logy.max())
            span = max(hi - lo, 1.0)
            order = sorted(top, key=lambda a: -float(ypos[pos.index.get_loc(a)]))
            slots = (
                np.linspace(hi + 0.05 * span, lo - 0.05 * span, num=len(order)) if len(order) > 1 else [hi]
            )
            for a, slot in zip(order, slots, strict=True):
                i = pos.index.get_loc(a)
                fig.add_annotation(
                    x=float(pos.at[a, "score"]),
                    y=float(np.log10(ypos.iloc[i])),
                    ax=lx,
                    ay=float(slot),
                    axref="x",
                    ayref="y",
                    text=html.escape(a if len(a) <= 32 else a[:30] + "…"),
                    showarrow=True,
                    arrowhead=0,
                    arrowcolor="#9e9e9e",
                    xanchor="right" if left else "left",
                    font={"size": 11},
                )
        fig.update_layout(
            title="Where automation pays: value against feasibility",
            xaxis={"title": {"text": "Readiness score (feasibility, 0-100)"}, "range": [0, 100]},
            yaxis={"title": {"text": ytitle}, "type": "log"},
            legend={"title": {"text": "Recommendation"}},
            height=520,
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        cols = ["activity", "score", "recommendation", "stability", "rationale"]
        return (
            "<b>Automation readiness</b>"
            + self.scores[cols].to_html(index=False, escape=True)
            + f"<small>fix-first steps: {self.fix_first_share:.0%}; automation rate from "
            + html.escape(self.automation_source)
            + "</small>"
        )


def score_readiness(
    log: EventLog,
    *,
    profile: Profile | None = None,
    automation: pd.DataFrame | None = None,
    waiting: pd.DataFrame | None = None,
    handoff_roles: pd.DataFrame | None = None,
    equity_attributes: tuple[str, ...] | list[str] = (),
    end_activities: list[str] | None = None,
    sensitivity: Literal["full", "one-at-a-time", "none"] = "full",
    handoffs: pd.DataFrame | None = None,
    weights: dict[str, float] | None = None,
) -> Readiness:
    """Score every activity for automation readiness and recommend what to do with it.

    The decision rule, first branch that applies (thresholds from ``profile.rules``):

    1. already automated: ``automation_rate >= already_automated``: ``automate``, marked
       ``already_automated`` (an orchestration concern: its own failures are the orchestration's to
       handle with retries and alerts, and are named in its rationale).
    2. ``fix_first`` on the step's **own** evidence: repeated after other work in at least
       ``fix_first_rework`` of its cases (unless it repeats in at least ``recurring_share`` of them: then
       the repetition is how the step works, "recurring", not rework); or abandoned right after it (the
       case stops without reaching an end) in at least ``fix_first_abandoned``; or its own part in a
       failing handoff (sender or receiver of redone work) in at least ``fix_first_handoff`` (for a
       recurring step, only when such bounces make up at least ``recurring_share`` of its repeats);
       each with at least ``fix_first_min_cases`` cases. A neighbour's failure, or a baton dropped into
       the step, never makes it fix-first; a cancellation (a recorded outcome) lowers the failure factor
       only.
    3. done by an outside party (``external_rate >= external``, from the performer types):
       ``keep_human`` (not ours to automate).
    4. fewer than ``min_events`` events: ``keep_human`` (too rare to judge).
    5. a decision point whose rule-determinism reaches ``determinism_rule``: ``automate`` when the score
       reaches ``automate_score`` (the learned rule is the gateway condition), else ``ai_assist``.
    6. any other decision point (a judgment): ``ai_assist`` when it has at least
       ``ai_assist_min_events_per_month`` events a month to learn from *and* something a model can use
       (determinism at least ``ai_assist_min_determinism``, or free text on at least
       ``ai_assist_min_unstructured`` of its events); else ``keep_human``.
    7. not a decision: ``automate`` from ``automate_score`` when its handling is steady (processing
       CV below ``routine_max_cv``, or not measured) (routine); ``ai_assist`` from ``ai_assist_score``
       with the volume above; else ``keep_human``.

    Equity: a decision point recommended ``automate`` or ``ai_assist`` whose outcomes or waiting differ
    across a sensitive attribute (:func:`analysis.find_equity_gaps` flags it) gets the warning in its
    rationale, and an ``automate`` becomes ``ai_assist`` with a person checking every decision
    (``rule == "equity_check"``).

    Parameters
    ----------
    log : EventLog
    profile : Profile, optional
        Weights and thresholds; default :func:`analysis.load_profile` ``()``.
    automation : pandas.DataFrame, optional
        Per activity: ``activity`` (str), ``automation_rate`` (float 0-1: share of its events done by
        systems and bots; NaN when unknown), optionally ``external_rate`` (float 0-1: by outside
        parties). Default: the share of its events whose resource name matches :data:`SYSTEM_PATTERN`.
    waiting : pandas.DataFrame, optional
        Per activity: ``activity``, ``waiting_hours_total``, ``batching_hours``, ``contention_hours``,
        ``prioritisation_hours``, ``unavailability_hours``, ``extraneous_hours``, ``unknown_hours``
        (float, hours). Default: the ``waiting_gain`` factor is unknown.
    handoff_roles : pandas.DataFrame, optional
        Per activity: ``activity``, ``redone_sender_cases``, ``redone_receiver_cases``,
        ``dropped_after_cases``, ``dropped_receiver_cases`` (int64). Default: the step's own part in
        ping-pong at the role level (resource level without roles): cases in which it receives either
        leg of a ping-pong (:func:`analysis.queries.handoffs.activity_handoffs`).
    equity_attributes : sequence of str
        Case attributes to check for equity; none by default.
    end_activities : list of str, optional
        Activities that close a case (for "abandoned"); default: last in at least half their cases.
    sensitivity : {"full", "one-at-a-time", "none"}, default "full"
        ``"full"``: every weight, scoring and rule threshold moved by +-``sensitivity.step`` one at a
        time, plus ``sensitivity.joint_samples`` random joint perturbations; ``"none"`` skips it
        (stability NaN).
    handoffs : pandas.DataFrame, optional
        Accepted for compatibility with flowready 0.1 and ignored: a neighbour's failing handoff no
        longer makes a step fix-first.
    weights : dict, optional
        Factor name -> weight, replacing the profile's for the names given (compatibility).

    Returns
    -------
    Readiness

    Raises
    ------
    AnalysisError
        When the log is empty; when ``weights`` names an unknown factor or a negative weight; when an
        input frame lacks its ``activity`` column or a required column, or has two rows for one
        activity; when an ``end_activities`` or ``equity_attributes`` name is unknown.

    References
    ----------
    Wellmann, Stierle, Dunzer & Matzner (2020), "A framework to evaluate the viability of robotic
    process automation for business process activities", BPM 2020 Blockchain and RPA Forum, LNBIP 393,
    pp. 200-214 (criteria measured on the log: frequency, standardisation, stability, failure rate,
    automation rate); Syed, Suriadi, Adams, Bandara, Leemans, Ouyang, ter Hofstede, van de Weerd, Wynn
    & Reijers (2020), "Robotic Process Automation: Contemporary themes and challenges", Computers in
    Industry 115, 103162 (task characteristics: rule-based, high volume, mature, standardised, digital
    structured input, few exceptions); Průcha (2024), "Towards discovering erratic behavior in robotic
    process automation with statistical process control", Information Systems and e-Business Management
    22(4) (dispersion strongly against bot success); Wanner, Hofmann, Fischer, Imgrund, Janiesch &
    Geyer-Klingeberg (2019), "Process Selection in RPA Projects - Towards a Quantifiable Method of
    Decision Making", ICIS 2019; Rozinat & van der Aalst (2006), "Decision Mining in ProM", BPM 2006
    (rule-determinism); Saltelli et al. (2008), *Global Sensitivity Analysis: The Primer*, Wiley
    (one-at-a-time and joint perturbation).

    Examples
    --------
    >>> from mapper import load_event_log
    >>> r = score_readiness(load_event_log("sample_logs/council_permits.csv"), sensitivity="none")
    >>> bool(r.scores.set_index("activity").loc["Close case", "already_automated"])
    True
    """
    profile = profile or load_profile()
    if weights:
        for k, v in weights.items():
            if k not in FACTORS or v < 0:
                raise AnalysisError(
                    f"weights: unknown factor {k!r} or negative weight; factors: {list(FACTORS)}."
                )
        vals = profile.to_dict()
        vals["weights"].update({k: float(v) for k, v in weights.items()})
        profile = Profile(vals, profile.source + " (weights overridden)")
    if sensitivity not in ("full", "one-at-a-time", "none"):
        raise AnalysisError(f"sensitivity must be 'full', 'one-at-a-time' or 'none', not {sensitivity!r}.")
    m, decisions, meta = _measure(
        log,
        profile,
        automation=automation,
        waiting=waiting,
        handoff_roles=handoff_roles,
        equity_attributes=tuple(equity_attributes),
        end_activities=end_activities,
    )
    base = _decide(m, profile)
    sens, stab, stab_joint = _sensitivity(m, profile, base["recommendation"], sensitivity)
    scores = _assemble(m, base, profile, stab, stab_joint, decisions)
    return Readiness(
        scores=scores,
        decisions=decisions,
        equity=decisions.equity.copy(),
        sensitivity=sens,
        profile=profile,
        notes=tuple(meta["notes"]),
        automation_source=meta["automation_source"],
        handoff_source=meta["handoff_source"],
        waiting_source=meta["waiting_source"],
        handoff_level=meta["handoff_level"],
        weights=profile.weights,
    )


# --- Measurement (the engine) ----------------------------------------------------------------------


def _need(frame: pd.DataFrame | None, name: str, columns: list[str]) -> None:
    if frame is None:
        return
    missing = [c for c in ["activity", *columns] if c not in frame.columns]
    if missing:
        raise AnalysisError(
            f"{name} lacks the column(s) {', '.join(map(repr, missing))}; it needs "
            f"{', '.join(['activity', *columns])} (one row per activity)."
        )
    dup = frame["activity"][frame["activity"].duplicated()].unique().tolist()
    if dup:
        raise AnalysisError(f"{name} has more than one row for {dup[:5]}; give one row per activity.")


def _measure(log, profile, *, automation, waiting, handoff_roles, equity_attributes, end_activities):
    meas = profile["measurement"]
    _need(automation, "automation", ["automation_rate"])
    _need(waiting, "waiting", ["waiting_hours_total", *[f"{c}_hours" for c in WAIT_CAUSES], "unknown_hours"])
    _need(
        handoff_roles,
        "handoff_roles",
        ["redone_sender_cases", "redone_receiver_cases", "dropped_after_cases", "dropped_receiver_cases"],
    )
    tables = log.tables()
    o = tables.ordered
    counts = execute(log_counts(tables.events)).iloc[0]
    n_cases = int(counts["cases"])
    if n_cases == 0:
        raise AnalysisError("The log has no events; score_readiness needs at least one case.")
    notes: list[str] = []
    span_days = max((int(counts["end_us"]) - int(counts["start_us"])) / 86_400e6, 1.0)
    months = span_days / DAYS_PER_MONTH

    stats = tables.result("activity_stats", activity_stats)
    m = stats[
        [
            "activity",
            "events",
            "cases",
            "processing_hours_total",
            "processing_hours_mean",
            "processing_hours_median",
            "processing_hours_std",
            "processing_known",
        ]
    ].copy()
    m["events_per_month"] = m["events"] / months
    m["case_coverage"] = m["cases"] / n_cases
    known = m["processing_known"].astype("float64")
    m["workload_hours_per_year"] = np.where(
        known > 0,
        m["processing_hours_total"] / known.where(known > 0) * m["events"] / (span_days / 365.25),
        np.nan,
    )
    if not log.has_start_timestamps:
        notes.append("No start times: workload (processing hours per year) and time dispersion are unknown.")
    elif log.has_estimated_start_times:
        notes.append("Some start times were estimated: workload and time dispersion rest on the estimates.")
    cv = m["processing_hours_std"] / m["processing_hours_mean"]
    m["processing_cv"] = np.where((known >= meas["min_timed"]) & (m["processing_hours_mean"] > 0), cv, np.nan)

    # Flow: standardisation (top-k neighbours) and outcomes.
    nb = execute(neighbour_counts(o))
    k = int(meas["top_k"])
    flow = _flow_measures(nb, k, meas["decision_min_share"])
    m = m.merge(flow, on="activity", how="left")

    # Own failures.
    rep = execute(repeat_cases(o)).rename(columns={"cases": "_cases"})
    m = m.merge(rep[["activity", "loop_cases", "self_cases"]], on="activity", how="left")
    ends = find_end_activities(log, end_activities=end_activities)
    lost = execute(lost_cases(o, ends, int(counts["end_us"]), CANCEL_PATTERN, OUTCOME_PATTERN))
    m = m.merge(lost, on="activity", how="left")
    for c in ("loop_cases", "self_cases", "abandoned_cases", "cancelled_cases"):
        m[c] = m[c].fillna(0).astype("int64")
    m["rework_share"] = m["loop_cases"] / m["cases"]
    m["self_repeat_share"] = m["self_cases"] / m["cases"]
    m["lost_cases"] = m["abandoned_cases"] + m["cancelled_cases"]
    m["abandoned_share"] = m["abandoned_cases"] / m["cases"]
    m["cancelled_share"] = m["cancelled_cases"] / m["cases"]
    m["lost_share"] = (m["lost_cases"] / m["cases"]).clip(upper=1)
    # The failure rate (rework counted only when it is an exception) is set by the rule: it depends on
    # the recurring threshold of the profile.

    # Handoffs: the step's own part.
    level = "role" if log.has_roles else ("resource" if log.has_resources else None)
    if handoff_roles is not None:
        h = handoff_roles[
            [
                "activity",
                "redone_sender_cases",
                "redone_receiver_cases",
                "dropped_after_cases",
                "dropped_receiver_cases",
            ]
        ].copy()
        m = m.merge(h, on="activity", how="left")
        for c in (
            "redone_sender_cases",
            "redone_receiver_cases",
            "dropped_after_cases",
            "dropped_receiver_cases",
        ):
            m[c] = m[c].fillna(0).astype("int64")
        m["handoff_redone_cases"] = m[["redone_sender_cases", "redone_receiver_cases"]].max(axis=1)
        handoff_source = "handoff roles"
    elif level:
        ah = execute(activity_handoffs(o, handover_table(log, level), level))[["activity", "ping_pong_cases"]]
        m = m.merge(ah, on="activity", how="left")
        m["handoff_redone_cases"] = m["ping_pong_cases"].fillna(0).astype("int64")
        m["dropped_after_cases"] = 0
        m["dropped_receiver_cases"] = 0
        handoff_source = "own ping-pong"
        notes.append(
            f"Handoff failures: the step's own part in ping-pong between {level}s (no handoff roles given); "
            "dropped batons are not measured."
        )
    else:
        m["handoff_redone_cases"] = 0
        m["dropped_after_cases"] = 0
        m["dropped_receiver_cases"] = 0
        handoff_source = "none"
        notes.append("No resources or roles: handoff failures are not measured.")
    m["handoff_redone_share"] = m["handoff_redone_cases"] / m["cases"]

    # Maturity.
    mf = execute(monthly_flow(o))
    m = m.merge(_maturity(mf, int(meas["min_month_events"])), on="activity", how="left")

    # Automation and outside parties.
    if automation is not None:
        a = automation[
            ["activity", "automation_rate", *(["external_rate"] if "external_rate" in automation else [])]
        ]
        m = m.merge(a, on="activity", how="left")
        automation_source = "performer types"
    elif log.has_resources:
        ss = execute(system_share(o, SYSTEM_PATTERN))
        ss["automation_rate"] = ss["system_events"] / ss["with_resource"].where(ss["with_resource"] > 0)
        m = m.merge(ss[["activity", "automation_rate"]], on="activity", how="left")
        automation_source = "resource names"
        notes.append(
            "Automation rate read from resource names (SYSTEM_PATTERN): performer types were not given; "
            "a bot named like a person counts as a person."
        )
    else:
        m["automation_rate"] = np.nan
        automation_source = "none"
        notes.append("No resources: the automation rate is unknown.")
    if "external_rate" not in m:
        m["external_rate"] = np.nan

    # Performers.
    if log.has_resources:
        pc = execute(performer_counts(o))
        pc["p"] = pc["n"] / pc.groupby("activity")["n"].transform("sum")
        conc = pc.groupby("activity").agg(
            performers=("resource", "nunique"), performer_hhi=("p", lambda p: float((p**2).sum()))
        )
        m = m.merge(conc.reset_index(), on="activity", how="left")
    else:
        m["performers"] = np.nan
        m["performer_hhi"] = np.nan

    # Decisions (and equity) before unstructured input: both read the attribute summary.
    # Rare decision points are "too rare to judge" whatever their rule: not mined.
    dp_mask = m["decision_point"].fillna(False).astype(bool) & (
        m["events"] >= profile.get("rules", "min_events")
    )
    decision_acts = sorted(m.loc[dp_mask, "activity"])
    decisions = mine_decisions(
        log, activities=decision_acts, profile=profile, equity_attributes=equity_attributes
    )
    det = (
        decisions.points.set_index("activity")["determinism"]
        if len(decisions.points)
        else pd.Series(dtype="float64")
    )
    m["determinism"] = m["activity"].map(det).astype("float64")
    m["rule_text"] = m["activity"].map(_rule_summary(decisions.rules)).fillna("")

    feats = decisions.features
    text_cols = feats.loc[feats["free_text"].astype(bool), "name"].tolist() if len(feats) else []
    if len(feats) == 0:
        m["unstructured_share"] = np.nan
    elif text_cols:
        summary = attribute_summary(log)
        engine = summary.set_index("name").loc[text_cols, "engine"].tolist()
        tp = execute(text_presence(log, engine))
        m = m.merge(tp, on="activity", how="left")
        m["unstructured_share"] = m["text_events"].fillna(0) / m["events"]
        notes.append(f"Free-text attributes (unstructured input): {', '.join(text_cols)}.")
    else:
        m["unstructured_share"] = 0.0

    # Waiting causes.
    if waiting is not None:
        w = waiting.set_index("activity")
        removable = sum(w[f"{c}_hours"].fillna(0) for c in REMOVABLE_CAUSES)
        attributed = w["waiting_hours_total"].fillna(0) - w["unknown_hours"].fillna(0)
        gain = (removable / attributed.where(attributed > 0)).clip(0, 1)
        causes = w[[f"{c}_hours" for c in WAIT_CAUSES]].fillna(0)
        dominant = causes.idxmax(axis=1).str.replace("_hours", "", regex=False).where(causes.max(axis=1) > 0)
        m["waiting_gain"] = m["activity"].map(gain).astype("float64")
        m["removable_waiting_hours"] = m["activity"].map(removable).astype("float64")
        m["dominant_wait_cause"] = m["activity"].map(dominant)
        waiting_source = "waiting causes"
    else:
        m["waiting_gain"] = np.nan
        m["removable_waiting_hours"] = np.nan
        m["dominant_wait_cause"] = None
        waiting_source = "none"
        notes.append("Waiting causes not given: the waiting_gain factor is unknown.")

    # Equity flags (decision points only).
    eq = decisions.equity
    m["equity_flag"] = False
    m["equity_note"] = ""
    if len(eq):
        flagged = eq[eq["flagged"]].sort_values("disparity_ratio")
        for act, g in flagged.groupby("activity", sort=False):
            m.loc[m["activity"] == act, "equity_flag"] = True
            m.loc[m["activity"] == act, "equity_note"] = _equity_text(
                g.iloc[0], profile.get("equity", "disparity_ratio")
            )
    m["decision_point"] = m["decision_point"].fillna(False).astype(bool)
    meta = {
        "notes": notes,
        "automation_source": automation_source,
        "handoff_source": handoff_source,
        "waiting_source": waiting_source,
        "handoff_level": level if handoff_source == "own ping-pong" else None,
    }
    # One row per activity in name order: the engine returns groups in any order, and the order shows
    # (the activities listed by the sensitivity analysis).
    return m.sort_values("activity", kind="stable").reset_index(drop=True), decisions, meta


def _rule_summary(rules: pd.DataFrame, top: int = 3) -> pd.Series:
    """Per activity: its ``top`` best-supported rules joined with "; " (and how many more)."""
    if rules.empty:
        return pd.Series(dtype=object)
    out = {}
    for act, g in rules.sort_values(["activity", "rule"]).groupby("activity"):
        text = "; ".join(g["text"].head(top))
        out[act] = text + (f"; and {len(g) - top} more rule(s)" if len(g) > top else "")
    return pd.Series(out, dtype=object)


def _flow_measures(nb: pd.DataFrame, k: int, min_share: float) -> pd.DataFrame:
    """Per activity from the neighbour counts: top-k shares, outcome entropy, decision point."""
    nb = nb.sort_values(["activity", "direction", "n", "neighbour"], ascending=[True, True, False, True])
    nb["rank"] = nb.groupby(["activity", "direction"]).cumcount()
    tot = nb.groupby(["activity", "direction"])["n"].transform("sum")
    nb["p"] = nb["n"] / tot
    top = nb[nb["rank"] < k].groupby(["activity", "direction"])["p"].sum().unstack("direction")
    names = (
        nb[nb["rank"] < k]
        .groupby(["activity", "direction"])["neighbour"]
        .agg(lambda s: " / ".join(s))
        .unstack("direction")
    )
    succ = nb[nb["direction"] == "succ"].copy()
    succ["plogp"] = -succ["p"] * np.log(succ["p"])
    g = succ.groupby("activity")
    ent = g["plogp"].sum() / np.log(g["neighbour"].count().clip(lower=2))
    ent = ent.where(g["neighbour"].count() > 1, 0.0)
    branch = (succ["p"] >= min_share) & (succ["neighbour"] != succ["activity"])
    dp = branch.groupby(succ["activity"]).sum() >= 2
    outs = {
        act: {str(a): round(float(p), 4) for a, p in zip(d["neighbour"], d["p"], strict=True)}
        for act, d in succ.groupby("activity")
    }
    outs = pd.Series(outs, dtype=object)
    out = pd.DataFrame(
        {
            "top_pred_share": top.get("pred"),
            "top_succ_share": top.get("succ"),
            "top_preds": names.get("pred"),
            "top_succs": names.get("succ"),
            "outcome_entropy": ent,
            "decision_point": dp,
            "outcomes": outs,
        }
    )
    out["standardisation"] = (out["top_pred_share"] + out["top_succ_share"]) / 2
    return out.rename_axis("activity").reset_index()


def _maturity(mf: pd.DataFrame, min_month: int) -> pd.DataFrame:
    """Volume drift (CV of the monthly share) and flow drift (median TVD between consecutive months)."""
    cols = ["activity", "volume_drift", "flow_drift", "months"]
    if mf.empty:
        return pd.DataFrame(columns=cols)
    months = sorted(mf["month"].unique())
    full = months[1:-1]  # the first and last month of the log are partial
    total = mf.groupby("month")["n"].sum()
    comparable = [mo for mo in full if total.get(mo, 0) >= min_month]
    per = mf.groupby(["activity", "month"])["n"].sum().unstack("month").reindex(columns=comparable).fillna(0)
    rows = []
    share = per.div(total.reindex(comparable), axis=1) if comparable else per
    for act in per.index:
        vd = np.nan
        if len(comparable) >= 3:
            s = share.loc[act].to_numpy(dtype="float64")
            vd = float(s.std(ddof=0) / s.mean()) if s.mean() > 0 else np.nan
        rows.append((act, vd, len(comparable)))
    vol = pd.DataFrame(rows, columns=["activity", "volume_drift", "months"])
    # Flow drift between consecutive comparable months in which the step has enough instances.
    d = mf[mf["month"].isin(comparable)]
    dist = d.pivot_table(
        index=["activity", "month"], columns="outcome", values="n", aggfunc="sum", fill_value=0
    )
    n = dist.sum(axis=1)
    dist = dist[n >= min_month]
    p = dist.div(dist.sum(axis=1), axis=0)
    p = p.reset_index()
    p["mi"] = p["month"].map({mo: i for i, mo in enumerate(comparable)})
    p = p.sort_values(["activity", "mi"])
    outc = [c for c in p.columns if c not in ("activity", "month", "mi")]
    vals = p[outc].to_numpy(dtype="float64")
    same = (p["activity"].to_numpy()[1:] == p["activity"].to_numpy()[:-1]) & (
        np.diff(p["mi"].to_numpy()) == 1
    )
    tvd = 0.5 * np.abs(vals[1:] - vals[:-1]).sum(axis=1)
    pairs = pd.DataFrame({"activity": p["activity"].to_numpy()[1:][same], "tvd": tvd[same]})
    flow = pairs.groupby("activity")["tvd"].agg(["median", "count"])
    flow = flow[flow["count"] >= 2]["median"].rename("flow_drift")
    vol["flow_drift"] = vol["activity"].map(flow)
    return vol[cols]


# --- The decision rule (pure, vectorised: re-run for every perturbation) --------------------------------


_ARRAY_COLUMNS = (
    "standardisation",
    "outcome_entropy",
    "processing_cv",
    "volume_drift",
    "flow_drift",
    "automation_rate",
    "external_rate",
    "performer_hhi",
    "unstructured_share",
    "waiting_gain",
    "rework_share",
    "loop_cases",
    "lost_share",
    "lost_cases",
    "abandoned_share",
    "abandoned_cases",
    "handoff_redone_share",
    "handoff_redone_cases",
    "events",
    "events_per_month",
)


def _arrays(m: pd.DataFrame) -> dict[str, np.ndarray]:
    """The measured columns the rule reads, as float arrays (NaN when unknown), once per analysis."""
    a = {c: pd.to_numeric(m[c], errors="coerce").to_numpy(dtype="float64") for c in _ARRAY_COLUMNS}
    a["decision_point"] = m["decision_point"].to_numpy(dtype=bool)
    a["determinism"] = m["determinism"].to_numpy(dtype="float64")
    a["equity_flag"] = m["equity_flag"].to_numpy(dtype=bool)
    return a


def _failure_rate(a: dict[str, np.ndarray], profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """(recurring, failure rate): rework counts as failure only when it is an exception."""
    recurring = a["rework_share"] >= profile.get("rules", "recurring_share")
    return recurring, np.minimum(1.0, np.where(recurring, 0.0, a["rework_share"]) + a["lost_share"])


def _factor_scores(a: dict[str, np.ndarray], profile: Profile) -> dict[str, np.ndarray]:
    sc = profile["scoring"]
    _, failure_rate = _failure_rate(a, profile)
    d = np.where(a["decision_point"] & ~np.isnan(a["determinism"]), a["determinism"], 0.0)
    vd = a["volume_drift"] / sc["volume_drift_zero"]
    fd = a["flow_drift"] / sc["flow_drift_zero"]
    drift = np.where(np.isnan(vd), fd, np.where(np.isnan(fd), vd, np.maximum(vd, fd)))
    return {
        "standardisation": np.clip(a["standardisation"], 0, 1),
        "predictability": np.clip(1 - a["outcome_entropy"] * (1 - d), 0, 1),
        "time_dispersion": np.clip(1 - a["processing_cv"] / sc["cv_zero"], 0, 1),
        "failure": np.clip(1 - failure_rate / sc["failure_zero"], 0, 1),
        "maturity": np.clip(1 - drift, 0, 1),
        "automation_rate": np.clip(a["automation_rate"], 0, 1),
        "performer_concentration": np.clip(1 - a["performer_hhi"], 0, 1),
        "structured_input": np.clip(1 - a["unstructured_share"], 0, 1),
        "waiting_gain": np.clip(a["waiting_gain"], 0, 1),
    }


_KINDS = (
    "already",
    "fix",
    "external",
    "rare",
    "rule",
    "rule_dispersed",
    "judgment_ai",
    "judgment",
    "routine",
    "assist",
)
_KIND_RECS = {
    "fix": "fix_first",
    "already": "automate",
    "external": "keep_human",
    "rare": "keep_human",
    "rule": "automate",
    "rule_dispersed": "ai_assist",
    "judgment_ai": "ai_assist",
    "judgment": "keep_human",
    "routine": "automate",
    "assist": "ai_assist",
    "human": "keep_human",
    "equity_check": "ai_assist",
}


def _rule(a: dict[str, np.ndarray], profile: Profile) -> dict[str, np.ndarray]:
    """Score and recommendation of every activity under ``profile`` (array operations only, no loop)."""
    w = profile.weights
    r = profile["rules"]
    fs = _factor_scores(a, profile)
    num = np.zeros(len(a["events"]))
    den = np.zeros(len(a["events"]))
    for f in FACTORS:  # nine factors, not activities
        if w[f] <= 0:
            continue
        known = ~np.isnan(fs[f])
        num += np.where(known, w[f] * np.nan_to_num(fs[f]), 0.0)
        den += np.where(known, w[f], 0.0)
    score = np.where(den > 0, 100 * num / np.where(den > 0, den, 1), 0.0)

    minc = r["fix_first_min_cases"]
    with np.errstate(invalid="ignore"):
        recurring, failure_rate = _failure_rate(a, profile)
        fix_rework = (a["rework_share"] >= r["fix_first_rework"]) & (a["loop_cases"] >= minc) & ~recurring
        fix_lost = (a["abandoned_share"] >= r["fix_first_abandoned"]) & (a["abandoned_cases"] >= minc)
        # A step that recurs by design bounces by design too, unless most of its repeats are bounces:
        # the work going back to the other party and coming back redone.
        bounces = ~recurring | (a["handoff_redone_cases"] >= r["recurring_share"] * a["loop_cases"])
        fix_handoff = (
            (a["handoff_redone_share"] >= r["fix_first_handoff"])
            & (a["handoff_redone_cases"] >= minc)
            & bounces
        )
        already = np.nan_to_num(a["automation_rate"]) >= r["already_automated"]
        external = np.nan_to_num(a["external_rate"]) >= r["external"]
        rare = a["events"] < r["min_events"]
        dp = a["decision_point"]
        det = np.nan_to_num(a["determinism"], nan=-1.0)
        rule_det = dp & (det >= r["determinism_rule"])
        routine_ok = score >= r["automate_score"]
        steady = ~(a["processing_cv"] >= r["routine_max_cv"])  # unknown CV: not held against it
        volume = a["events_per_month"] >= r["ai_assist_min_events_per_month"]
        signal = (det >= r["ai_assist_min_determinism"]) | (
            np.nan_to_num(a["unstructured_share"]) >= r["ai_assist_min_unstructured"]
        )
        assist = (score >= r["ai_assist_score"]) & volume
    fix = fix_rework | fix_lost | fix_handoff
    conds = [
        already,
        fix,
        external,
        rare,
        rule_det & routine_ok,
        rule_det,
        dp & volume & signal,
        dp,
        routine_ok & steady,
        assist,
    ]
    kind = np.select(conds, list(_KINDS), default="human").astype(object)
    equity = a["equity_flag"] & dp & np.isin(kind, ["rule", "routine"])
    kind = np.where(equity, "equity_check", kind)
    rec = np.array([_KIND_RECS[k] for k in kind], dtype=object)
    return {
        "score": score,
        "recommendation": rec,
        "rule": kind,
        "fix_rework": fix_rework,
        "fix_lost": fix_lost,
        "recurring": recurring,
        "failure_rate": failure_rate,
        "fix_handoff": fix_handoff,
        **fs,
    }


def _decide(m: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """:func:`_rule` as a frame indexed like ``m``."""
    out = pd.DataFrame(_rule(_arrays(m), profile), index=m.index)
    out["already_automated"] = out["rule"] == "already"
    return out


def _sensitivity(m, profile, base_rec, mode):
    cols = ["kind", "parameter", "factor", "changed", "activities"]
    nan = pd.Series(np.nan, index=m.index)
    if mode == "none":
        return pd.DataFrame(columns=cols), nan, nan
    a = _arrays(m)
    base = base_rec.to_numpy(dtype=object)
    acts = m["activity"].to_numpy(dtype=object)
    step = profile.get("sensitivity", "step")
    rows, keeps = [], []
    for section, key in profile.parameters():
        for f in (1 - step, 1 + step):
            same = _rule(a, profile.scaled({(section, key): f}))["recommendation"] == base
            keeps.append(same)
            rows.append(("one-at-a-time", f"{section}.{key}", f, int((~same).sum()), acts[~same].tolist()))
    stab = pd.Series(np.mean(keeps, axis=0), index=m.index) if keeps else nan
    stab_joint = nan
    n_joint = int(profile.get("sensitivity", "joint_samples"))
    if mode == "full" and n_joint:
        rng = np.random.default_rng(int(profile.get("sensitivity", "seed")))
        params = profile.parameters()
        joint = []
        for _ in range(n_joint):
            fac = rng.uniform(1 - step, 1 + step, size=len(params))
            same = _rule(a, profile.scaled(dict(zip(params, fac, strict=True))))["recommendation"] == base
            joint.append(same)
            rows.append(("joint", "all", np.nan, int((~same).sum()), acts[~same].tolist()))
        stab_joint = pd.Series(np.mean(joint, axis=0), index=m.index)
    return pd.DataFrame(rows, columns=cols), stab, stab_joint


# --- Assembling the result ---------------------------------------------------------------------------


def _assemble(m, base, profile, stab, stab_joint, decisions) -> pd.DataFrame:
    w = profile.weights
    k = int(profile.get("measurement", "top_k"))
    rows = []
    for i, r in m.iterrows():  # one row per activity: a compact loop
        b = base.loc[i]
        factors = {
            f: {"value": _r(_factor_value(f, r, b)), "score": _r(b[f]), "weight": float(w[f])}
            for f in FACTORS
        }
        factors["volume"] = {"value": _r(r["events_per_month"]), "score": None, "weight": 0.0}
        factors["case_coverage"] = {"value": _r(r["case_coverage"]), "score": None, "weight": 0.0}
        factors["workload"] = {"value": _r(r["workload_hours_per_year"]), "score": None, "weight": 0.0}
        reasons = _fix_reasons(r, b)
        text = _rationale(r, b, profile, k, reasons, stab.loc[i])
        rows.append(
            {
                "activity": r["activity"],
                "score": round(float(b["score"]), 1),
                "recommendation": b["recommendation"],
                "already_automated": bool(b["already_automated"]),
                "rationale": text,
                "stability": float(stab.loc[i]),
                "stability_joint": float(stab_joint.loc[i]),
                "rule": b["rule"],
                "factors": factors,
                "decision_point": bool(r["decision_point"]),
                "fix_first_reasons": reasons if b["recommendation"] == "fix_first" else [],
                "equity_flag": bool(r["equity_flag"]),
                "equity_note": r["equity_note"],
                "events": int(r["events"]),
                "cases": int(r["cases"]),
                "events_per_month": float(r["events_per_month"]),
                "case_coverage": float(r["case_coverage"]),
                "workload_hours_per_year": float(r["workload_hours_per_year"]),
                "volume": float(r["case_coverage"]),
                "standardisation": float(r["standardisation"]),
                "outcome_entropy": float(r["outcome_entropy"]),
                "determinism": float(r["determinism"]),
                "processing_cv": float(r["processing_cv"]),
                "rework_share": float(r["rework_share"]),
                "self_repeat_share": float(r["self_repeat_share"]),
                "abandoned_share": float(r["abandoned_share"]),
                "cancelled_share": float(r["cancelled_share"]),
                "lost_share": float(r["lost_share"]),
                "failure_rate": float(b["failure_rate"]),
                "recurring": bool(b["recurring"]),
                "handoff_redone_share": float(r["handoff_redone_share"]),
                "dropped_after_cases": int(r["dropped_after_cases"]),
                "dropped_receiver_cases": int(r["dropped_receiver_cases"]),
                "volume_drift": float(r["volume_drift"]),
                "flow_drift": float(r["flow_drift"]),
                "automation_rate": float(r["automation_rate"]),
                "external_rate": float(r["external_rate"]),
                "performers": float(r["performers"]),
                "performer_hhi": float(r["performer_hhi"]),
                "unstructured_share": float(r["unstructured_share"]),
                "waiting_gain": float(r["waiting_gain"]),
                "removable_waiting_hours": float(r["removable_waiting_hours"]),
                "dominant_wait_cause": r["dominant_wait_cause"]
                if isinstance(r["dominant_wait_cause"], str)
                else None,
                "rule_text": r["rule_text"],
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(
        ["already_automated", "score", "activity"], ascending=[True, False, True], ignore_index=True
    )


def _factor_value(f: str, r: pd.Series, b: pd.Series) -> float:
    return {
        "standardisation": r["standardisation"],
        "predictability": r["outcome_entropy"],
        "time_dispersion": r["processing_cv"],
        "failure": b["failure_rate"],
        "maturity": np.nanmax([r["volume_drift"], r["flow_drift"]])
        if not (pd.isna(r["volume_drift"]) and pd.isna(r["flow_drift"]))
        else np.nan,
        "automation_rate": r["automation_rate"],
        "performer_concentration": r["performer_hhi"],
        "structured_input": r["unstructured_share"],
        "waiting_gain": r["waiting_gain"],
    }[f]


def _r(x) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 4)


def _fix_reasons(r, b) -> list[str]:
    reasons = []
    if b["fix_rework"]:
        reasons.append(
            f"repeated after other work in {r['rework_share']:.0%} of its cases "
            f"({r['loop_cases']:,} cases: a rework loop)"
        )
    if b["fix_lost"]:
        reasons.append(
            f"cases abandoned right after it in {r['abandoned_share']:.0%} of its cases "
            f"({r['abandoned_cases']:,} cases stop there without reaching an end)"
        )
    if b["fix_handoff"]:
        reasons.append(
            f"its own part in a failing handoff in {r['handoff_redone_share']:.0%} of its cases "
            f"({r['handoff_redone_cases']:,} cases sending back or receiving work that is redone: ping-pong)"
        )
    return reasons


def _pct(x) -> str:
    return "unknown" if pd.isna(x) else f"{x:.0%}"


def _rationale(r, b, profile, k, reasons, stability) -> str:
    rules = profile["rules"]
    score = b["score"]
    kind = b["rule"]
    cv = "" if pd.isna(r["processing_cv"]) else f", processing time CV {r['processing_cv']:.2f}"
    outcomes = r["outcomes"] if isinstance(r["outcomes"], dict) else {}
    top_out = ", ".join(f"{v:.0%} {a}" for a, v in list(outcomes.items())[:3])
    det = r["determinism"]
    if kind == "fix":
        text = "Fix first: " + "; ".join(reasons) + f". Feasibility {score:.0f}/100 once fixed."
    elif kind == "already":
        text = (
            f"Already automated: {r['automation_rate']:.0%} of its events are done by systems or bots — an "
            "orchestration concern (monitor, retry, audit), not an automation candidate."
        )
        if reasons:
            text += " For the orchestration to handle: " + "; ".join(reasons) + "."
    elif kind == "external":
        text = (
            f"Keep human: done by an outside party in {r['external_rate']:.0%} of its events — not ours to "
            "automate; orchestrate the request, its reminders and its deadline."
        )
    elif kind == "rare":
        need = rules["min_events"]
        n = int(r["events"])
        text = (
            f"Keep human: too rare to judge ({n:,} event{'' if n == 1 else 's'}; at least {need:,} needed)."
        )
    elif kind == "rule" or kind == "equity_check":
        lead = "Automate" if kind == "rule" else "AI-assist, human-checked (equity)"
        text = (
            f"{lead}: a rule decides where it goes — {r['rule_text']} (rule-determinism {det:.2f}); "
            f"feasibility {score:.0f}/100."
        )
        if kind == "equity_check":
            text += " The rule proposes and a person checks every decision until the gap below is explained."
    elif kind == "rule_dispersed":
        text = (
            f"AI-assist: a rule decides the route ({r['rule_text']}; rule-determinism {det:.2f}) but "
            f"the handling varies (feasibility {score:.0f} < {rules['automate_score']:.0f}{cv}); "
            "the rule proposes, a person confirms."
        )
    elif kind == "judgment_ai":
        extra = (
            f", free text on {r['unstructured_share']:.0%} of its events for a model to read"
            if r["unstructured_share"] >= rules["ai_assist_min_unstructured"]
            else ""
        )
        text = (
            f"AI-assist: a judgment ({top_out}) only partly predictable from the data (rule-determinism "
            f"{_num(det)}), {r['events_per_month']:,.0f} events a month to learn from{extra}; "
            "a model prepares, a person decides."
        )
    elif kind == "judgment":
        why = (
            f"too few events a month for a model ({r['events_per_month']:,.0f} < "
            f"{rules['ai_assist_min_events_per_month']:g})"
            if r["events_per_month"] < rules["ai_assist_min_events_per_month"]
            else "nothing in the data a model could use (no predictive attribute, no free text)"
        )
        perf = "" if pd.isna(r["performers"]) else f", {int(r['performers'])} performer(s)"
        text = (
            f"Keep human: the route after it is not predictable from the data — a person, or an outside "
            f"event, decides it (rule-determinism {_num(det)}; {top_out}){cv}{perf}; {why}."
        )
    elif kind == "routine":
        what = "a rule-decided decision" if r["decision_point"] else "not a decision"
        timed = "" if cv else f", {_untimed(r)}"
        text = (
            f"Automate: routine — {r['standardisation']:.0%} of its flow through its top {k} "
            f"neighbours, {what}{cv}{timed}, failure {b['failure_rate']:.0%}; feasibility {score:.0f}/100."
        )
    else:
        weak = _weakest(b)
        lead = "AI-assist" if kind == "assist" else "Keep human"
        tail = (
            "; a model prepares the work, a person finishes it"
            if kind == "assist"
            else (
                f"; {r['events_per_month']:,.0f} events a month"
                if r["events_per_month"] < rules["ai_assist_min_events_per_month"]
                else ""
            )
        )
        unsteady = (
            f", handling too dispersed for routine (CV {r['processing_cv']:.2f} >= "
            f"{rules['routine_max_cv']:g})"
            if r["processing_cv"] >= rules["routine_max_cv"]
            else ""
        )
        text = f"{lead}: feasibility {score:.0f}/100 (weakest: {weak}){unsteady}{tail}."
    if b["recurring"] and kind != "fix":
        text += (
            f" Repeated after other work in {r['rework_share']:.0%} of its cases: that is how it works "
            "(recurring: monitoring, follow-ups, work resumed), not counted as rework."
        )
    elif b["recurring"]:
        share = r["rework_share"]
        how = (
            "most of them are bounces between performers, counted as the handoff failure above"
            if b["fix_handoff"]
            else "they recur by design and are not counted as rework"
        )
        text += f" (It repeats after other work in {share:.0%} of its cases; {how}.)"
    if r["dropped_after_cases"] > 0:
        n = r["dropped_after_cases"]
        text += f" Orchestration: the work is dropped after it in {n:,} cases (route it, set an SLA)."
    if isinstance(r["dominant_wait_cause"], str) and kind not in ("fix", "already"):
        text += f" Waits mostly on {r['dominant_wait_cause']}."
    if r["equity_flag"] and r["decision_point"]:
        if b["recommendation"] in ("automate", "ai_assist"):
            text += (
                f" {r['equity_note']}: a model or rule learned from this history inherits the gap; a person "
            )
            text += "checks every decision."
        else:
            text += (
                f" {r['equity_note']}: if it is ever automated, a model or rule learned from this history "
            )
            text += "inherits the gap."
    if not pd.isna(stability):
        text += f" Stability {stability:.0%}."
    return text


def _untimed(r) -> str:
    """Why a step has no processing-time dispersion, in words."""
    if r["processing_known"] == 0:
        return "handling time not measured (no start times for it: check it is routine)"
    if not r["processing_hours_mean"] > 0:
        return "no handling time recorded (start = end: a message or an upload, not work)"
    return f"handling time measured on only {int(r['processing_known'])} instances"


def _num(x) -> str:
    return "unknown" if pd.isna(x) else f"{x:.2f}"


def _weakest(b) -> str:
    s = b[list(FACTORS)].dropna().astype("float64").sort_values()
    names = {
        "standardisation": "standardisation",
        "predictability": "predictable outcome",
        "time_dispersion": "steady handling time",
        "failure": "few failures",
        "maturity": "stable over time",
        "automation_rate": "already partly automated",
        "performer_concentration": "spread over performers",
        "structured_input": "structured input",
        "waiting_gain": "waiting automation removes",
    }
    return ", ".join(f"{names[f]} {v:.2f}" for f, v in s.head(2).items()) or "no factor known"


def _equity_text(row, threshold: float) -> str:
    rates = row["rates"]
    lo, hi = rates.get(row["low_group"]), rates.get(row["high_group"])
    if row["test"] == "outcome":
        what = f"{row['outcome']} {lo:.0%} for {row['low_group']} against {hi:.0%} for {row['high_group']}"
    else:
        what = (
            f"median wait before it {lo:.1f} h for {row['low_group']} against {hi:.1f} h "
            f"for {row['high_group']}"
        )
    return (
        f"Equity: {row['test']}s differ by {row['attribute']} ({what}; ratio {row['disparity_ratio']:.2f} < "
        f"{threshold:g}, Holm-adjusted p = {row['p_holm']:.2g})"
    )


# --- Process level -----------------------------------------------------------------------------------


#: How :meth:`OrchestrationGate.plot` names the metrics of ``OrchestrationGate.metrics``.
GATE_METRIC_LABELS = {
    "variant_entropy": "Variety of paths",
    "rework_cases": "Cases with rework",
    "ping_pong_cases": "Cases with ping-pong",
    "fitness": "Fit to its own model",
}


@dataclass(frozen=True)
class OrchestrationGate:
    """Whether to orchestrate before automating, and whether an orchestration layer is worth having.

    Attributes
    ----------
    orchestrate_first : bool
        True when any measured gate metric crosses its threshold.
    metrics : pandas.DataFrame
        ``metric`` (str: ``variant_entropy``, ``rework_cases``, ``ping_pong_cases``, ``fitness``),
        ``value`` (float, NaN when unknown), ``threshold`` (float), ``direction`` (``"above"`` or
        ``"below"``: which side fails), ``exceeded`` (bool; False when unknown), ``evidence`` (str).
    conditions : pandas.DataFrame
        The three conditions under which an orchestration layer is worth having: ``condition`` (str),
        ``answer`` (``"yes"``, ``"no"`` or ``"ask"``: a question for the user), ``evidence`` (str),
        ``question`` (str: what to ask when the data cannot answer).
    reasons : tuple of str
        One sentence per metric that crossed its threshold.
    """

    orchestrate_first: bool
    metrics: pd.DataFrame
    conditions: pd.DataFrame
    reasons: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        """The gate metrics (a copy)."""
        return self.metrics.copy()

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return {
            "orchestrate_first": self.orchestrate_first,
            "reasons": list(self.reasons),
            "metrics": [{k: _json(v) for k, v in r.items()} for r in self.metrics.to_dict(orient="records")],
            "conditions": self.conditions.to_dict(orient="records"),
        }

    def plot(self):
        """A plotly bar chart of each known metric as a multiple of its threshold (1 = at the threshold)."""
        import plotly.graph_objects as go

        d = self.metrics.dropna(subset=["value"])
        ratio = np.where(
            d["direction"] == "above",
            d["value"] / d["threshold"],
            d["threshold"] / d["value"].clip(lower=1e-9),
        )
        fig = go.Figure(
            go.Bar(
                x=ratio,
                y=[GATE_METRIC_LABELS.get(m, m) for m in d["metric"]],
                orientation="h",
                marker={"color": np.where(d["exceeded"], BAD, GOOD)},
                customdata=np.stack([d["value"].round(3), d["threshold"]], axis=-1) if len(d) else None,
                hovertemplate="%{y}: %{customdata[0]} (threshold %{customdata[1]})<extra></extra>",
            )
        )
        fig.add_vline(x=1, line_dash="dash")
        fig.update_layout(
            title="Orchestrate first? Each metric against its threshold (red: crossed)",
            xaxis={"title": {"text": "value / threshold (fitness: threshold / value)"}},
            height=260,
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        head = "<b>Orchestrate first</b>" if self.orchestrate_first else "<b>No orchestrate-first signal</b>"
        return (
            head
            + self.metrics.to_html(index=False, escape=True)
            + self.conditions.to_html(index=False, escape=True)
        )


def _json(v):
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def find_orchestration_gate(
    log: EventLog,
    *,
    readiness: Readiness | None = None,
    fitness: float | None = None,
    profile: Profile | None = None,
    ping_pong_cases: int | None = None,
) -> OrchestrationGate:
    """The process-level gate: orchestrate before automating? And is an orchestration layer worth it?

    Metrics (thresholds in ``profile.gate``): the normalised variant entropy ``H / ln(cases)`` (H the
    Shannon entropy of the variant distribution; 0 when every case takes the same path, 1 when every
    case is its own variant); the share of cases with rework (some step repeated after other work); the
    share of cases with a ping-pong (work sent straight back and redone, at the role level, else the
    resource level); and the fitness of the log to its own discovered model (from pm4py token replay,
    given by the caller; unknown otherwise). Crossing any threshold says: orchestrate first.

    The three conditions under which an orchestration layer is worth having, answered from the data
    where it can and otherwise marked ``"ask"`` with the question to put to the user: the work spans more
    than one team or system (roles, source systems, systems and people among the performers); a failure
    is costly (the log shows how often cases fail -- rework, lost cases -- but not what a failure costs:
    always a question, with that evidence); someone must be able to see what happened and why (the log
    shows the decisions taken; whether a regulator or auditor must see them is a question).

    Parameters
    ----------
    log : EventLog
    readiness : Readiness, optional
        From :func:`score_readiness`; its decision points, lost cases and automation rates are used as
        evidence. Computed (without sensitivity) when not given.
    fitness : float, optional
        Token-replay fitness in [0, 1] of the log to its discovered model.
    profile : Profile, optional
    ping_pong_cases : int, optional
        Cases with a ping-pong as :func:`analysis.find_handoff_failures` finds them (bouncing between
        teams without a review); by default the cases with a ping-pong handover at the role level
        (resource level without roles), which also counts a review sending work back.

    Returns
    -------
    OrchestrationGate

    Raises
    ------
    AnalysisError
        When ``fitness`` is outside [0, 1].

    References
    ----------
    van der Aalst (2016), *Process Mining: Data Science in Action*, 2nd ed., §8.3 (token-replay
    fitness) and §12 (process variability); Pentland, Vaast & Wolf (2021), "Theorizing process
    dynamics with directed graphs", MISQ 45(2) (variety of paths as entropy); Reijers & Limam Mansar
    (2005), "Best practices in business process redesign", Omega 33(4) (redesign before automation).

    Examples
    --------
    >>> from mapper import load_event_log
    >>> gate = find_orchestration_gate(load_event_log("sample_logs/council_permits.csv"))
    >>> gate.orchestrate_first
    True
    """
    if fitness is not None and not 0 <= fitness <= 1:
        raise AnalysisError(f"fitness must be in [0, 1] (token-replay fitness), not {fitness!r}.")
    profile = profile or (readiness.profile if readiness is not None else load_profile())
    g = profile["gate"]
    if readiness is None:
        readiness = score_readiness(log, profile=profile, sensitivity="none")
    tables = log.tables()
    o = tables.ordered
    var = tables.result("variants", variants)
    n_cases = int(var["cases"].sum())
    p = var["cases"].to_numpy(dtype="float64") / max(n_cases, 1)
    h = float(-(p * np.log(p)).sum())
    ent = h / math.log(n_cases) if n_cases > 1 else 0.0
    loop = (o.occurrence > 0) & (o.prev_activity != o.activity)
    rework_cases = int(execute(o.aggregate(n=o[CASE_ID].nunique(where=loop))).iloc[0, 0])
    level = "role" if log.has_roles else ("resource" if log.has_resources else None)
    pp = 0
    if ping_pong_cases is not None:
        pp = int(ping_pong_cases)
    elif level:
        hv = handover_table(log, level)
        pp = int(execute(hv.aggregate(n=hv[CASE_ID].nunique(where=hv.ping_pong))).iloc[0, 0])
    rows = [
        (
            "variant_entropy",
            ent,
            g["variant_entropy"],
            "above",
            f"{len(var):,} variants over {n_cases:,} cases (normalised entropy {ent:.2f})",
        ),
        (
            "rework_cases",
            rework_cases / n_cases if n_cases else np.nan,
            g["rework_cases"],
            "above",
            f"{rework_cases:,} of {n_cases:,} cases repeat a step after other work",
        ),
        (
            "ping_pong_cases",
            pp / n_cases if level and n_cases else np.nan,
            g["ping_pong_cases"],
            "above",
            f"{pp:,} of {n_cases:,} cases send work straight back between {level}s to be redone"
            if level
            else "no resources or roles: ping-pong unknown",
        ),
        (
            "fitness",
            np.nan if fitness is None else float(fitness),
            g["fitness"],
            "below",
            "token-replay fitness of the log to its own discovered model"
            if fitness is not None
            else "not given (pass the token-replay fitness of the discovered model)",
        ),
    ]
    metrics = pd.DataFrame(rows, columns=["metric", "value", "threshold", "direction", "evidence"])
    v = metrics["value"]
    metrics["exceeded"] = np.where(
        metrics["direction"] == "above", v >= metrics["threshold"], v < metrics["threshold"]
    )
    metrics["exceeded"] = metrics["exceeded"] & v.notna()
    metrics = metrics[["metric", "value", "threshold", "direction", "exceeded", "evidence"]]
    reasons = tuple(
        f"{r.metric.replace('_', ' ')} {r.value:.2f} {'≥' if r.direction == 'above' else '<'} "
        f"{r.threshold:g}: {r.evidence}."
        for r in metrics.itertuples()
        if r.exceeded
    )
    conditions = _conditions(log, readiness, n_cases)
    return OrchestrationGate(bool(metrics["exceeded"].any()), metrics, conditions, reasons)


def _conditions(log: EventLog, readiness: Readiness, n_cases: int) -> pd.DataFrame:
    s = readiness.scores
    distinct = execute(distinct_counts(log.tables().events, [ROLE, SOURCE_SYSTEM, RESOURCE])).iloc[0]
    roles = int(distinct[ROLE]) if log.has_roles else 0
    systems = int(distinct[SOURCE_SYSTEM]) if log.has_systems else 0
    auto = s["automation_rate"]
    mixed = bool((auto >= 0.8).any() and (auto < 0.2).any())
    spans = []
    if roles >= 2:
        spans.append(f"{roles} teams (roles)")
    if systems >= 2:
        spans.append(f"{systems} source systems")
    if mixed:
        n_sys = int((auto >= 0.8).sum())
        spans.append(f"{n_sys} step(s) done by systems or bots beside steps done by people")
    if spans:
        c1 = ("yes", "The work spans " + ", ".join(spans) + ".", "")
    elif log.has_roles and roles == 1 and not log.has_systems and not mixed:
        c1 = ("no", "One team (role) does every step, with no system steps among them.", "")
    else:
        c1 = (
            "ask",
            "The log names no teams or systems"
            + (f" ({int(distinct[RESOURCE])} resources)" if log.has_resources else "")
            + ".",
            "Does the work cross more than one team or IT system?",
        )
    abandoned = int(round((s["abandoned_share"] * s["cases"]).sum()))
    cancelled = int(round((s["cancelled_share"] * s["cases"]).sum()))
    exc = s[~s["recurring"]]
    rework = int(round((exc["rework_share"] * exc["cases"]).max())) if len(exc) else 0
    c2 = (
        "ask",
        f"Failures happen: up to {rework:,} cases repeat one step after other work, {abandoned:,} "
        f"cases stop without reaching an end and {cancelled:,} are cancelled, among {n_cases:,} cases; "
        "the log does not say what a failure costs.",
        "Is a failed or late case costly (money, a legal deadline, harm to the person)?",
    )
    dps = s[s["decision_point"]]
    if len(dps):
        names = ", ".join(dps["activity"].head(3)) + (f" and {len(dps) - 3} more" if len(dps) > 3 else "")
        ev3 = (
            f"{len(dps)} decision point(s) route the cases ({names}); their outcomes are recorded in the log."
        )
    else:
        ev3 = "No decision point: every case follows the same route through each step."
    c3 = (
        "ask",
        ev3,
        "Must a regulator, an auditor or the person affected be able to see what happened and why?",
    )
    return pd.DataFrame(
        [
            ("The work spans more than one team or system", *c1),
            ("A failure is costly", *c2),
            ("Someone must be able to see what happened and why", *c3),
        ],
        columns=["condition", "answer", "evidence", "question"],
    )


def plot_factor_breakdown(readiness: Readiness, activity: str):
    """The points each feasibility factor adds to one step's readiness score, as a bar chart.

    Parameters
    ----------
    readiness : Readiness
        :func:`score_readiness`.
    activity : str
        A step of ``readiness.scores``.

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal bar per factor (:data:`FACTORS` order, top down), named in words
        (:data:`analysis.labels.FACTORS`); the hover gives the measured value, the 0-1 factor score and the
        weight used, or why the factor was not measured. The title names the step (escaped) and its score.

    Raises
    ------
    AnalysisError
        When ``activity`` is not a step of ``readiness.scores``.

    Examples
    --------
    >>> from analysis import analyze
    >>> r = analyze(load_event_log(SAMPLE)).readiness
    >>> [t.orientation for t in plot_factor_breakdown(r, "Validate documents").data]
    ['h']
    """
    import plotly.graph_objects as go

    from analysis.escape import plotly_text
    from analysis.labels import FACTORS as FACTOR_WORDS

    factors = readiness.factor_table()
    one = factors[factors["activity"] == activity]
    if one.empty:
        raise AnalysisError(
            f"activity {activity!r} is not a step of readiness.scores; known: "
            f"{readiness.scores['activity'].head(20).tolist()}."
        )
    one = one.iloc[::-1]
    words = [FACTOR_WORDS[f].label if f in FACTOR_WORDS else f for f in one["factor"]]
    hover = [
        (
            f"value {v:.3g}, factor score {fs:.2f}, weight used {w:.2f}"
            if pd.notna(v) and pd.notna(fs)
            else "not measured: " + (FACTOR_WORDS[f].unknown if f in FACTOR_WORDS else "unknown")
        )
        for f, v, fs, w in zip(
            one["factor"], one["value"], one["factor_score"], one["effective_weight"], strict=True
        )
    ]
    fig = go.Figure(
        go.Bar(
            x=one["points"].to_numpy(),
            y=words,
            orientation="h",
            marker_color="#0072b2",
            customdata=hover,
            hovertemplate="%{y}: %{x:.1f} points<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{plotly_text(activity)}: {float(one['score'].iloc[0]):.0f} points",
        xaxis_title="Points added to the readiness score (0-100)",
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


__all__ = [
    "CANCEL_PATTERN",
    "FACTORS",
    "LABELS",
    "RECOMMENDATIONS",
    "SYSTEM_PATTERN",
    "WEIGHTS",
    "OrchestrationGate",
    "Readiness",
    "find_orchestration_gate",
    "plot_factor_breakdown",
    "score_readiness",
]
