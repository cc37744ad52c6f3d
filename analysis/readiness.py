"""Automation readiness: a 0-100 score per activity from named factors measured in the log.

Factors (value -> 0-1 score; the weight in brackets; factors that cannot be measured are left out and
the weights of the rest renormalised):

``volume`` [0.20]
    Share of cases that contain the activity. Score ``min(1, value / 0.5)``: a step on half the cases
    or more scores fully.
``standardisation`` [0.25]
    ``1 - mean(H_pred, H_succ)`` where ``H`` is the normalised Shannon entropy of the distribution of
    the activity's directly preceding and following activities (case start/end included). 1 = always
    the same neighbours. Score = value.
``processing_variability`` [0.20]
    Coefficient of variation (std / mean) of the processing time. Needs start timestamps and at least
    10 measured instances; otherwise unknown. Score ``max(0, 1 - value / 1.5)``.
``rework`` [0.15]
    Share of the activity's cases in which it is repeated. Score ``max(0, 1 - value / 0.2)``.
``handoffs`` [0.10]
    Share of the activity's events received from, or handed to, another role (team), or another
    resource when the log has no roles. Unknown without either. Score ``1 - value``.
``system_share`` [0.10]
    Share of its events done by resources whose names mark a system (:data:`SYSTEM_PATTERN`). Unknown
    when the log names no resources. Score = value.

Recommendation, first rule that applies:

1. ``fix_first`` — rework share >= 0.10, or the activity takes part in a ping-pong in >= 5% of its
   cases, or at least 5% of its incoming handovers belong to a pair that fails by ping-pong: fix the
   process before automating it.
2. ``automate`` — system share >= 0.8 (already done by systems: orchestrate it), or score >= 70 and the
   step is not a decision point.
3. ``ai_assist`` — a decision point with score >= 45, or score >= 50: AI prepares, a human decides.
4. ``keep_human`` — otherwise.

A *decision point* is an activity followed by at least two different activities that each take at
least 10% of its outgoing flow: a step that decides where the case goes. When it stays with a human
(``ai_assist``, ``keep_human``, ``fix_first``), the blueprint makes it an approval checkpoint.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.queries.handoffs import activity_handoffs, handover_table
from analysis.queries.readiness import neighbour_entropy, system_share
from mapper.engine import activity_stats, execute, rework
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: Resource names that mark work done by a system rather than a person.
SYSTEM_PATTERN = (
    r"(?i)(^|[^a-z])(system|sys|batch|auto|automated|automatic|bot|robot|rpa|script|scheduler"
    r"|service|portal|interface|api|daemon|job|engine|server|workflow)([^a-z]|$)"
)

WEIGHTS: dict[str, float] = {
    "volume": 0.20,
    "standardisation": 0.25,
    "processing_variability": 0.20,
    "rework": 0.15,
    "handoffs": 0.10,
    "system_share": 0.10,
}
AUTOMATE_SCORE = 70.0
AI_ASSIST_SCORE = 50.0
DECISION_AI_ASSIST_SCORE = 45.0
FIX_FIRST_REWORK = 0.10
FIX_FIRST_PING_PONG = 0.05
SYSTEM_AUTOMATE = 0.8
DECISION_MIN_BRANCH = 0.10
MIN_DURATIONS = 10

RECOMMENDATIONS = ("automate", "ai_assist", "keep_human", "fix_first")


@dataclass(frozen=True)
class Readiness:
    """Readiness scores and recommendations per activity.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per activity, highest score first: ``activity`` (str), ``score`` (float, 0-100),
        ``recommendation`` (str, one of :data:`RECOMMENDATIONS`), ``rationale`` (str), ``factors``
        (dict: name -> {"value", "score", "weight"}, value/score ``None`` when unknown),
        ``decision_point`` (bool), ``fix_first_reasons`` (list of str), and one float column per
        factor value (``volume``, ``standardisation``, ...).
    handoff_level : str or None
        ``"resource"``, ``"role"`` or ``None``: what the handoff factor was measured on.
    """

    scores: pd.DataFrame
    handoff_level: str | None = None
    weights: dict = field(default_factory=lambda: dict(WEIGHTS))

    def to_frame(self) -> pd.DataFrame:
        """A flat copy (the ``factors`` dicts left out)."""
        return self.scores.drop(columns=["factors", "fix_first_reasons"]).copy()

    def factor_table(self) -> pd.DataFrame:
        """The factor breakdown of every score: how much each factor adds to the 0-100 score.

        Returns
        -------
        pandas.DataFrame
            One row per (activity, factor), activities in score order, factors in :data:`WEIGHTS`
            order: ``activity`` (str), ``score`` (float, the activity's 0-100 score),
            ``recommendation`` (str), ``factor`` (str), ``value`` (float, the measured value in the
            factor's unit: a share 0-1 or a coefficient of variation; NaN when unknown), ``factor_score``
            (float 0-1; NaN when unknown), ``weight`` (float, as configured), ``effective_weight``
            (float: the weight renormalised over the factors known for this activity; 0 when unknown)
            and ``points`` (float: ``100 * factor_score * effective_weight``; the points of an
            activity add up to its score, up to rounding).
        """
        rows = []
        for r in self.scores.itertuples():
            known = {k: f for k, f in r.factors.items() if f["score"] is not None}
            total = sum(f["weight"] for f in known.values())
            for name, f in r.factors.items():
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

    def plot(self):
        """Value-vs-feasibility matrix: share of cases (value) against readiness score (feasibility)."""
        import plotly.express as px

        d = self.scores.assign(cases_share=self.scores["volume"])
        fig = px.scatter(
            d,
            x="score",
            y="cases_share",
            color="recommendation",
            text="activity",
            labels={"score": "Readiness score (feasibility)", "cases_share": "Share of cases (value)"},
            color_discrete_map={
                "automate": "#2e7d32",
                "ai_assist": "#1565c0",
                "keep_human": "#757575",
                "fix_first": "#c62828",
            },
            title="Where automation pays: readiness against volume",
        )
        fig.update_traces(textposition="top center")
        fig.update_layout(xaxis_range=[0, 100], height=480)
        return fig

    def _repr_html_(self) -> str:
        cols = ["activity", "score", "recommendation", "rationale"]
        return (
            "<b>Automation readiness</b>"
            + self.scores[cols].to_html(index=False, escape=True)
            + (f"<small>handoffs measured at {html.escape(str(self.handoff_level))} level</small>")
        )


def score_readiness(
    log: EventLog, *, weights: dict[str, float] | None = None, handoffs: pd.DataFrame | None = None
) -> Readiness:
    """Score every activity for automation readiness and recommend what to do with it.

    Parameters
    ----------
    log : EventLog
    weights : dict, optional
        Factor name -> weight, replacing :data:`WEIGHTS` for the names given.
    handoffs : pandas.DataFrame, optional
        The output of :func:`analysis.find_handoffs` (any levels), when already computed; used to find
        the activities that receive a handoff failing by ping-pong.

    Returns
    -------
    Readiness

    Raises
    ------
    AnalysisError
        When ``weights`` names an unknown factor or a negative weight.

    References
    ----------
    The factors follow the task-selection criteria for robotic process automation in Wanner, Hofmann,
    Fischer, Imgrund, Janiesch & Geyer-Klingeberg (2019), "Process Selection in RPA Projects - Towards a
    Quantifiable Method of Decision Making", ICIS 2019 (frequency, standardisation, rule-based-ness,
    error rate, execution time) and Leno, Polyvyanyy, Dumas, La Rosa & Maggi (2021), "Robotic Process
    Mining: Vision and Challenges", BISE 63; standardisation is measured with Shannon entropy as in
    process-variability measures (Pentland et al. 2020). Handovers follow van der Aalst, Reijers & Song
    (2005).
    """
    w = dict(WEIGHTS)
    for k, v in (weights or {}).items():
        if k not in WEIGHTS or v < 0:
            raise AnalysisError(f"unknown factor {k!r} or negative weight; factors: {list(WEIGHTS)}.")
        w[k] = float(v)
    tables = log.tables()
    o = tables.ordered
    stats = tables.result("activity_stats", activity_stats)
    n_cases = int(execute(o.aggregate(n=o.case_id.nunique())).iloc[0, 0])
    ent = execute(neighbour_entropy(o))
    df = stats.merge(ent, on="activity", how="left")
    level = "role" if log.has_roles else ("resource" if log.has_resources else None)
    if level:
        ah = execute(activity_handoffs(o, handover_table(log, level), level)).drop(columns=["events"])
        df = df.merge(ah, on="activity", how="left")
    if log.has_resources:
        df = df.merge(execute(system_share(o, SYSTEM_PATTERN)), on="activity", how="left")
    rw = tables.result("rework", rework)[["activity", "cases_with_rework"]].rename(
        columns={"cases_with_rework": "rw"}
    )
    df = df.merge(rw, on="activity", how="left")
    decisions = _decision_points(o)
    pp_fail = _ping_pong_targets(log, level, handoffs) if level else set()

    rows = []
    for r in df.itertuples(index=False):
        values = {
            "volume": r.cases / n_cases,
            "standardisation": 1 - (r.pred_entropy + r.succ_entropy) / 2,
            "processing_variability": (
                r.processing_hours_std / r.processing_hours_mean
                if r.processing_known >= MIN_DURATIONS
                and r.processing_hours_mean
                and r.processing_hours_mean > 0
                else None
            ),
            "rework": r.rw / r.cases,
            "handoffs": (r.handoff_events / r.events) if level else None,
            "system_share": (
                r.system_events / r.with_resource if log.has_resources and r.with_resource else None
            ),
        }
        scores = {
            "volume": min(1.0, values["volume"] / 0.5),
            "standardisation": float(np.clip(values["standardisation"], 0, 1)),
            "processing_variability": (
                None
                if values["processing_variability"] is None
                else max(0.0, 1 - values["processing_variability"] / 1.5)
            ),
            "rework": max(0.0, 1 - values["rework"] / 0.2),
            "handoffs": None if values["handoffs"] is None else 1 - values["handoffs"],
            "system_share": values["system_share"],
        }
        known = {k: s for k, s in scores.items() if s is not None and w[k] > 0}
        total_w = sum(w[k] for k in known)
        score = 100 * sum(w[k] * s for k, s in known.items()) / total_w if total_w else 0.0
        pp_share = (r.ping_pong_cases / r.cases) if level else 0.0
        reasons = []
        if values["rework"] >= FIX_FIRST_REWORK:
            reasons.append(f"repeated in {values['rework']:.0%} of its cases (rework loop)")
        if pp_share >= FIX_FIRST_PING_PONG:
            reasons.append(
                f"bounces back and forth between {level}s in {pp_share:.0%} of its cases (ping-pong)"
            )
        elif r.activity in pp_fail:
            reasons.append("receives a handoff that fails by ping-pong")
        decision = r.activity in decisions
        if reasons:
            rec = "fix_first"
        elif (
            values["system_share"] is not None
            and values["system_share"] >= SYSTEM_AUTOMATE
            or score >= AUTOMATE_SCORE
            and not decision
        ):
            rec = "automate"
        elif (decision and score >= DECISION_AI_ASSIST_SCORE) or score >= AI_ASSIST_SCORE:
            rec = "ai_assist"
        else:
            rec = "keep_human"
        factors = {k: {"value": _r(values[k]), "score": _r(scores[k]), "weight": w[k]} for k in WEIGHTS}
        rows.append(
            {
                "activity": r.activity,
                "score": round(score, 1),
                "recommendation": rec,
                "rationale": _rationale(rec, score, values, scores, reasons, decision, level),
                "factors": factors,
                "decision_point": decision,
                "fix_first_reasons": reasons,
                **{k: values[k] for k in WEIGHTS},
            }
        )
    out = pd.DataFrame(rows).sort_values(["score", "activity"], ascending=[False, True], ignore_index=True)
    return Readiness(out, level, w)


def _r(x: float | None) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 4)


def _decision_points(o) -> set[str]:
    nxt = o.filter(o.next_activity.notnull())
    e = execute(nxt.group_by(["activity", "next_activity"]).aggregate(n=nxt.count()))
    e["share"] = e["n"] / e.groupby("activity")["n"].transform("sum")
    big = e[(e["share"] >= DECISION_MIN_BRANCH) & (e["activity"] != e["next_activity"])]
    counts = big.groupby("activity")["next_activity"].nunique()
    return set(counts[counts >= 2].index)


def _ping_pong_targets(log: EventLog, level: str, handoffs: pd.DataFrame | None) -> set[str]:
    """Activities that receive a handover which is part of a failing ping-pong pair."""
    from analysis.handoffs import find_handoffs

    if handoffs is not None and len(handoffs) and (handoffs["level"] == level).any():
        pairs = handoffs[handoffs["level"] == level]
    else:
        pairs = find_handoffs(log, level=level)
    bad = pairs[pairs["failure"].str.contains("ping-pong")]
    if bad.empty:
        return set()
    h = handover_table(log, level)
    got = execute(h.group_by(["source", "target", "activity"]).aggregate(n=h.count()))
    keys = set(zip(bad["source"], bad["target"], strict=True)) | set(
        zip(bad["target"], bad["source"], strict=True)
    )
    mask = [(s, t) in keys for s, t in zip(got["source"], got["target"], strict=True)]
    sub = got[mask]
    # Only activities that receive a material part (>= 5%) of their inflow on such pairs.
    tot = sub.groupby("activity")["n"].sum()
    ins = execute(h.group_by("activity").aggregate(n=h.count())).set_index("activity")["n"]
    share = tot / ins.reindex(tot.index)
    return set(share[share >= FIX_FIRST_PING_PONG].index)


def _rationale(rec, score, values, scores, reasons, decision, level) -> str:
    if rec == "fix_first":
        return "Fix first: " + "; ".join(reasons) + "."
    strong = [k for k, s in scores.items() if s is not None and s >= 0.75]
    weak = [k for k, s in scores.items() if s is not None and s < 0.4]
    names = {
        "volume": "high volume",
        "standardisation": "predictable flow",
        "processing_variability": "steady processing time",
        "rework": "little rework",
        "handoffs": "few handoffs",
        "system_share": "already done by systems",
    }
    low = {
        "volume": "low volume",
        "standardisation": "unpredictable flow",
        "processing_variability": "variable processing time",
        "rework": "rework",
        "handoffs": "many handoffs",
        "system_share": "done by people",
    }
    parts = [f"Score {score:.0f}/100"]
    if strong:
        parts.append("strengths: " + ", ".join(names[k] for k in strong))
    if weak:
        parts.append("weaknesses: " + ", ".join(low[k] for k in weak))
    if decision:
        parts.append("a decision point (a human decides the route): approval checkpoint")
    lead = {
        "automate": "Automate",
        "ai_assist": "AI-assist with a human in the loop",
        "keep_human": "Keep human",
    }[rec]
    return f"{lead}. " + "; ".join(parts) + "."
