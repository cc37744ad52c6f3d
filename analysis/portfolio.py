"""Where to start, across processes: rank several processes by the "high-volume, repeatable, expensive" rule.

:func:`rank_processes` measures each log on four components, each shown with its raw figures:

``volume``
    Cases started per month (and events per month) over the log's time span.
``repeatability``
    The share of cases that follow one of the 10 most frequent variants (the measure behind flowready's
    "not standardised" verdict); the normalised variant entropy is shown beside it.
``cost``
    What the process costs today, in hours per year: the processing hours of all its events when every
    log has start times (the work itself), otherwise the case-hours (the sum of the cycle times: time
    cases spend in the process, a proxy for the cost of delay, not of labour), said so.
``readiness``
    The share of its steps that :func:`analysis.score_readiness` recommends for ``automate`` or
    ``ai_assist``: how much of the process is ready to take automation.

The composite is **rank-based**: on each component the processes are ranked (ties share the average
rank), the rank becomes a score from 1 (first) to 0 (last), and the composite is the weighted mean of
the four scores. A handful of processes compared on figures that span orders of magnitude (tens of cases
a month against thousands) would be decided by the extremes under a min-max normalisation; ranks are
scale-free and say plainly where each process stands. The price: a lead of 10x and one of 10% count the
same, which is why the raw figures stay in the table.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.escape import escape_figure
from analysis.labels import OKABE_ITO
from analysis.queries.compare import case_table
from analysis.readiness import score_readiness
from mapper.discovery import discover_variants
from mapper.engine import activity_stats, execute, log_counts
from mapper.errors import AnalysisError
from mapper.load import load_event_log
from mapper.log import EventLog

#: Default weights of the composite, and why:
#: volume multiplies every saving and is measured exactly; repeatability and cost are the seeds' other
#: two criteria ("high-volume, repeatable, expensive"), cost a little less certain (a proxy without
#: start times); readiness is itself a model's verdict, so it tempers the order rather than drives it.
WEIGHTS: dict[str, float] = {"volume": 0.30, "repeatability": 0.25, "cost": 0.25, "readiness": 0.20}
#: The recommendations that make a step an automation candidate.
CANDIDATE_RECOMMENDATIONS = ("automate", "ai_assist")
#: Variants counted for repeatability (as in flowready's verdict).
TOP_VARIANTS = 10
HOURS_PER_MONTH = 730.5
HOURS_PER_YEAR = 8766.0

RANKING_COLUMNS = [
    "rank",
    "name",
    "source",
    "cases",
    "events",
    "months",
    "cases_per_month",
    "events_per_month",
    "variants",
    "top_variants_share",
    "variant_entropy",
    "processing_hours_per_year",
    "case_hours_per_year",
    "cost_hours_per_year",
    "steps",
    "candidate_steps",
    "candidate_step_share",
    "candidate_event_share",
    "volume_score",
    "repeatability_score",
    "cost_score",
    "readiness_score",
    "composite",
]


@dataclass(frozen=True)
class ProcessRanking:
    """Several processes ranked by volume, repeatability, cost today and readiness.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per process, best first (:data:`RANKING_COLUMNS`): ``rank`` (int64, 1 = start here),
        ``name``, ``source`` (str), ``cases``, ``events`` (int64), ``months`` (float, the log's time
        span), ``cases_per_month``, ``events_per_month`` (float), ``variants`` (int64),
        ``top_variants_share`` (float 0-1, cases in the :data:`TOP_VARIANTS` most frequent variants),
        ``variant_entropy`` (float 0-1: Shannon entropy of the variant distribution over log2 of the
        number of cases; 0 when every case follows one path, 1 when no two cases do),
        ``processing_hours_per_year`` (float, NaN without start times), ``case_hours_per_year`` (float,
        the sum of cycle times per year), ``cost_hours_per_year`` (float, the one of the two used, see
        ``cost_basis``), ``steps``, ``candidate_steps`` (int64), ``candidate_step_share``,
        ``candidate_event_share`` (float 0-1: of steps, of events; NaN when readiness was not scored),
        the component scores ``volume_score``, ``repeatability_score``, ``cost_score``,
        ``readiness_score`` (float 0-1, 1 = first on that component) and ``composite`` (float 0-1, their
        weighted mean).
    weights : dict
        The weights used (copied).
    cost_basis : str
        ``"processing"`` or ``"case_hours"``.
    notes : list of str
    """

    table: pd.DataFrame
    weights: dict = field(default_factory=lambda: dict(WEIGHTS))
    cost_basis: str = "processing"
    notes: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`table`."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """JSON-ready: ``weights``, ``cost_basis``, ``notes`` and ``processes`` (records of the table)."""
        records = [
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
            for r in self.table.astype(object).to_dict(orient="records")
        ]
        return {
            "weights": dict(self.weights),
            "cost_basis": self.cost_basis,
            "notes": list(self.notes),
            "processes": records,
        }

    def plot(self) -> go.Figure:
        """Stacked bars: each process's composite split into its weighted component scores (names escaped)."""
        d = self.table.iloc[::-1]
        total = sum(self.weights.values()) or 1.0
        colours = dict(zip(("volume", "repeatability", "cost", "readiness"), OKABE_ITO, strict=False))
        fig = go.Figure()
        names = [html.escape(str(n)) for n in d["name"]]
        for comp, colour in colours.items():
            part = d[f"{comp}_score"].fillna(0) * self.weights.get(comp, 0.0) / total
            fig.add_bar(
                x=part,
                y=names,
                orientation="h",
                name=f"{comp} (weight {self.weights.get(comp, 0.0):g})",
                marker_color=colour,
                hovertemplate=f"%{{y}}: {comp} adds %{{x:.2f}}<extra></extra>",
            )
        fig.update_layout(
            barmode="stack",
            title="Where to start: processes by volume, repeatability, cost and readiness",
            xaxis={"title": {"text": "composite score (0-1)"}, "range": [0, 1]},
            yaxis={"type": "category"},
            height=160 + 40 * len(d),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        cols = [
            "rank",
            "name",
            "cases_per_month",
            "top_variants_share",
            "cost_hours_per_year",
            "candidate_step_share",
            "composite",
        ]
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            "<b>Where to start</b>"
            + self.table[cols].to_html(index=False, escape=True)
            + (f"<ul>{notes}</ul>" if notes else "")
        )


def _component_scores(values: pd.Series) -> pd.Series:
    """Rank-based score: 1 for the highest value, 0 for the lowest, ties on their average rank; NaN
    values score 0 (last); a single process scores 1."""
    n = len(values)
    if n == 1:
        return pd.Series([1.0], index=values.index)
    # Sums of floats differ in their last bits with the order DuckDB adds them in: rank on 9
    # significant digits so that equal figures tie.
    key = values.map(lambda v: float(f"{v:.9g}") if pd.notna(v) else -np.inf)
    ranks = key.rank(ascending=False, method="average")
    return (n - ranks) / (n - 1)


def _measure(log: EventLog, name: str, with_readiness: bool) -> dict:
    tables = log.tables()
    c = execute(log_counts(tables.events)).iloc[0]
    span_h = (int(c["end_us"]) - int(c["start_us"])) / 3.6e9
    months = span_h / HOURS_PER_MONTH
    variants = discover_variants(log)
    shares = variants["cases"].to_numpy(dtype="float64") / float(variants["cases"].sum())
    entropy = float(-(shares * np.log2(shares)).sum())
    cases = int(c["cases"])
    acts = tables.result("activity_stats", activity_stats)
    ct = case_table(log)
    case_hours = float(execute(ct.aggregate(total=ct.cycle_hours.sum())).iloc[0, 0] or 0.0)
    years = span_h / HOURS_PER_YEAR
    processing = float(acts["processing_hours_total"].sum()) if log.has_start_timestamps else math.nan
    row = {
        "name": name,
        "source": log.source,
        "cases": cases,
        "events": int(c["events"]),
        "months": months,
        "cases_per_month": cases / months if months > 0 else math.nan,
        "events_per_month": int(c["events"]) / months if months > 0 else math.nan,
        "variants": len(variants),
        "top_variants_share": float(shares[:TOP_VARIANTS].sum()),
        "variant_entropy": entropy / math.log2(cases) if cases > 1 else 0.0,
        "processing_hours_per_year": processing / years if years > 0 else math.nan,
        "case_hours_per_year": case_hours / years if years > 0 else math.nan,
        "steps": len(acts),
        "candidate_steps": 0,
        "candidate_step_share": math.nan,
        "candidate_event_share": math.nan,
    }
    if with_readiness:
        # Steps already done by systems are not candidates (an orchestration concern, not automation).
        scores = score_readiness(log, sensitivity="none").scores
        scores = scores[["activity", "recommendation", "already_automated"]]
        j = scores.merge(acts[["activity", "events"]], on="activity", how="left")
        cand = j["recommendation"].isin(CANDIDATE_RECOMMENDATIONS) & ~j["already_automated"]
        row["candidate_steps"] = int(cand.sum())
        row["candidate_step_share"] = float(cand.mean()) if len(j) else math.nan
        row["candidate_event_share"] = (
            float(j.loc[cand, "events"].sum() / j["events"].sum()) if len(j) else math.nan
        )
    return row


def rank_processes(
    logs: list[EventLog | str | Path],
    *,
    names: list[str] | None = None,
    volume_weight: float = WEIGHTS["volume"],
    repeatability_weight: float = WEIGHTS["repeatability"],
    cost_weight: float = WEIGHTS["cost"],
    readiness_weight: float = WEIGHTS["readiness"],
) -> ProcessRanking:
    """Rank processes by where automation should start: high-volume, repeatable, expensive, ready.

    Each log is measured on four components (see the module docstring and :class:`ProcessRanking`):
    volume (cases per month), repeatability (share of cases in the 10 most frequent variants), cost
    today (processing hours per year when every log has start times, otherwise case-hours per year, the
    sum of cycle times, as a proxy for the cost of delay), and readiness (share of steps
    :func:`analysis.score_readiness` recommends for ``automate`` or ``ai_assist``). On each component
    the processes are ranked and scored from 1 (first) to 0 (last), ties sharing their average rank;
    the composite is the weighted mean of the four scores, and the processes are listed by composite
    (then by name).

    Parameters
    ----------
    logs : list of EventLog or path
        At least one; paths are read with :func:`mapper.load_event_log` and its detected mapping.
    names : list of str, optional
        A name per log (default: its source file name; repeated names get " (2)", " (3)").
    volume_weight, repeatability_weight, cost_weight, readiness_weight : float
        Non-negative weights of the composite (defaults :data:`WEIGHTS`, reasons there), not all 0.
        With ``readiness_weight=0`` readiness is not scored (its columns are NaN), which saves the
        time of :func:`analysis.score_readiness`.

    Returns
    -------
    ProcessRanking

    Raises
    ------
    AnalysisError
        When ``logs`` is empty or holds something else than logs and paths, when ``names`` does not
        give one name per log, or when a weight is negative or all are 0. A path that cannot be read
        raises as :func:`mapper.load_event_log`.

    References
    ----------
    Wanner, Hofmann, Fischer, Imgrund, Janiesch & Geyer-Klingeberg (2019), "Process Selection in RPA
    Projects - Towards a Quantifiable Method of Decision Making", ICIS 2019 (frequency, standardisation
    and execution time as selection criteria); Wellmann, Stierle, Dunzer & Matzner (2020), "A Framework
    to Evaluate the Viability of Robotic Process Automation for Business Process Activities", BPM 2020
    RPA Forum, LNBIP 393; Back, Debois & Slaats (2019), "Entropy as a measure of log variability",
    Journal on Data Semantics 8 (variant entropy).

    Examples
    --------
    >>> ranking = rank_processes(["sample_logs/council_permits.csv"], names=["permits"])
    >>> ranking.table[["rank", "name", "composite"]].to_dict(orient="records")
    [{'rank': 1, 'name': 'permits', 'composite': 1.0}]
    """
    if not isinstance(logs, list | tuple) or not logs:
        raise AnalysisError("logs must be a non-empty list of EventLogs or paths of log files.")
    for i, x in enumerate(logs):
        if not isinstance(x, EventLog | str | Path):
            raise AnalysisError(
                f"logs[{i}] must be an EventLog or the path of a log file, not {type(x).__name__}."
            )
    if names is not None and len(names) != len(logs):
        raise AnalysisError(f"names must give one name per log: {len(names)} names for {len(logs)} logs.")
    weights = {
        "volume": volume_weight,
        "repeatability": repeatability_weight,
        "cost": cost_weight,
        "readiness": readiness_weight,
    }
    for comp, w in weights.items():
        if not (isinstance(w, int | float) and math.isfinite(w) and w >= 0):
            raise AnalysisError(f"{comp}_weight must be a non-negative number, not {w!r}.")
    if sum(weights.values()) <= 0:
        raise AnalysisError("At least one of the weights must be positive.")
    loaded = [x if isinstance(x, EventLog) else load_event_log(x) for x in logs]
    given = list(names) if names is not None else [log.source for log in loaded]
    seen: dict[str, int] = {}
    unique = []
    for n in given:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n} ({seen[n]})")

    rows = [_measure(log, n, readiness_weight > 0) for log, n in zip(loaded, unique, strict=True)]
    t = pd.DataFrame(rows)
    notes: list[str] = []
    if all(log.has_start_timestamps for log in loaded):
        basis = "processing"
        t["cost_hours_per_year"] = t["processing_hours_per_year"]
    else:
        basis = "case_hours"
        t["cost_hours_per_year"] = t["case_hours_per_year"]
        without = [n for log, n in zip(loaded, unique, strict=True) if not log.has_start_timestamps]
        notes.append(
            "Cost is compared as case-hours per year (the sum of cycle times: time spent waiting in the "
            f"process, not labour), because {', '.join(without)} {'has' if len(without) == 1 else 'have'} "
            "no start times; processing hours "
            "per year are shown where known."
        )
    if readiness_weight == 0:
        notes.append("Readiness was not scored (readiness_weight=0).")
    t["volume_score"] = _component_scores(t["cases_per_month"])
    t["repeatability_score"] = _component_scores(t["top_variants_share"])
    t["cost_score"] = _component_scores(t["cost_hours_per_year"])
    t["readiness_score"] = (
        _component_scores(t["candidate_step_share"])
        if readiness_weight > 0
        else pd.Series(np.nan, index=t.index)
    )
    total = sum(weights.values())
    t["composite"] = sum(t[f"{c}_score"].fillna(0) * w for c, w in weights.items()) / total
    t = t.sort_values(["composite", "name"], ascending=[False, True], ignore_index=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1, dtype="int64"))
    for col in ("cases", "events", "variants", "steps", "candidate_steps"):
        t[col] = t[col].astype("int64")
    notes.append(
        "Composite: weighted mean of rank scores (1 = first of these processes on the component, 0 = last); "
        + ", ".join(f"{c} {w:g}" for c, w in weights.items())
        + "."
    )
    return ProcessRanking(t[RANKING_COLUMNS], dict(weights), basis, notes)
