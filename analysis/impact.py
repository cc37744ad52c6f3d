"""What the blueprint is worth: today's process and the redesigned one, simulated, with ranges.

:func:`simulate_impact` discovers a business-process simulation model of today's process from the log,
applies the blueprint's changes to it, simulates both with Prosimos (the same seeds for both) and reports
cycle time, waiting and human workload per year, each with its range across runs, the AS-IS model's
error against the log, an analytical estimate beside the simulation, and every assumption in words.

The simulation model (flowready builds the Prosimos scenario itself; see ``docs/impact.md`` for why
not Simod):

* **control flow** -- a process map: each activity is a task; after it, an exclusive gateway goes to the
  next activity (or the end) with the log's directly-follows frequencies as branching probabilities;
* **arrivals** -- a Poisson process at the log's average arrival rate, around the clock;
* **resources** -- every resource of the log, with the activities it performs and its working
  calendar (:func:`analysis.discover_calendars`); people have a capacity of one, systems, bots and
  outside parties :data:`UNBOUNDED_CAPACITY`; events naming nobody go to an unbounded pseudo-resource;
* **processing times** -- per activity, a log-normal with the observed mean and variance, bounded by
  the observed minimum and maximum (zero without start times);
* **delays no resource explains** -- batching, extraneous and unexplained waits
  (:func:`analysis.find_waiting_instances`) become a timer before the activity (as Simod's extraneous
  delays do): taken with the observed share of instances, log-normal in length; waiting for busy or
  off-duty resources is left to the simulated queues and calendars.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import random
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import quoteattr

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from analysis.blueprint import Blueprint
from analysis.bottlenecks import find_end_activities
from analysis.escape import escape_figure
from analysis.export import json_ready, json_records, json_text
from analysis.performers import Performers, classify_performers
from analysis.queries.impact import (
    activity_durations,
    case_outcomes,
    delay_columns,
    delay_sample,
    delay_statistics,
    outcome_stats,
    resource_activities,
    transitions,
)
from analysis.waiting import WorkingCalendars, discover_calendars, waiting_instance_table
from mapper.columns import ACTIVITY
from mapper.engine import execute
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: An automated step takes this long (seconds), for every case, around the clock.
AUTOMATED_SECONDS = 30.0
#: An AI-assisted step keeps a human review taking this share of today's human processing time ...
AI_REVIEW_SHARE = 0.3
#: ... and the analytical estimate gives its range with these shares (the higher share is the low end).
AI_REVIEW_SHARE_RANGE = (0.2, 0.5)
#: By default at most this many cases are simulated per run (about 1 s of Prosimos per run on the
#: sample); the per-year figures are scaled to the log's rate.
MAX_SIMULATED_CASES = 500
#: At most this many delays per activity are fetched to cap waits at an SLA (drawn by whole cases, the
#: same on every run); the shares and moments of the delays are computed on all of them in the engine.
MAX_DELAY_SAMPLE = 20_000
#: Parallel capacity of systems, bots, outside parties, the automation and events naming nobody.
UNBOUNDED_CAPACITY = 20
#: The AS-IS simulation is called far off the log when a figure's relative error exceeds this.
VALIDATION_TOLERANCE = 0.25
#: Beyond this many activities the process map is not simulated (the analytical estimate is given).
MAX_ACTIVITIES = 300
#: Log-normal durations and delays are given at most this coefficient of variation.
MAX_CV = 10.0
#: A delay shorter than this (seconds) is no delay.
MIN_DELAY_SECONDS = 1.0

HOURS_PER_YEAR = 24 * 365.25
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_FULL_WEEK = [{"from": "MONDAY", "to": "SUNDAY", "beginTime": "00:00:00.000", "endTime": "23:59:59.999"}]
#: Figures reported per scenario: name -> (unit, description).
METRICS = {
    "cycle_hours_median": ("hours", "median cycle time of a case"),
    "cycle_hours_mean": ("hours", "mean cycle time of a case"),
    "cycle_hours_p90": ("hours", "p90 cycle time of a case"),
    "waiting_hours_mean": ("hours", "mean waiting time of a case (sum of the waits before its steps)"),
    "waiting_hours_per_year": ("hours per year", "waiting of all cases in a year"),
    "workload_hours_per_year": ("hours per year", "human processing time in a year"),
}
_VALIDATED = ("cycle_hours_median", "cycle_hours_mean", "cycle_hours_p90", "waiting_hours_mean")


@dataclass(frozen=True)
class Impact:
    """The simulated and the estimated impact of a blueprint.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per metric of :data:`METRICS`: ``metric``, ``unit`` (str), ``as_is``, ``to_be``,
        ``saved`` (float: mean over the runs; ``saved`` = AS-IS - TO-BE of the same seed), and their
        ranges ``as_is_low``/``as_is_high``, ``to_be_low``/``to_be_high``, ``saved_low``/``saved_high``
        (float: min and max over the runs). Empty when the process could not be simulated.
    runs : pandas.DataFrame
        One row per scenario and run: ``scenario`` (``as_is``, ``to_be``), ``run`` (int), ``seed``
        (int), ``cases`` (int, simulated), the metrics (float) and ``seconds`` (float, run time).
    validation : pandas.DataFrame
        The AS-IS simulation against the log: ``metric``, ``observed`` (the closed cases among the
        log's first ``cases`` arrivals, the cases the simulation replays; workload: the whole log),
        ``simulated`` (mean over the runs), ``relative_error`` (float: (simulated - observed) / observed;
        NaN when 0 is observed), ``within_tolerance`` (bool, :data:`VALIDATION_TOLERANCE`).
    analytical : pandas.DataFrame
        The estimate without simulation, one row per change: ``activity``, ``change`` (``automate``,
        ``ai_assist``, ``sla``), ``events_per_year`` (float), ``workload_hours_saved_per_year`` with
        ``_low``/``_high`` (float: human processing removed; the range is the AI review share's),
        ``waiting_hours_saved_per_year`` (float: batching removed by automation; waits beyond the SLA cut
        to it), ``cycle_hours_saved_per_case`` (float: processing and waiting removed from an average
        case's path, queues ignored), ``basis`` (str, the calculation in words).
    changes : pandas.DataFrame
        The blueprint's changes as applied: ``activity``, ``change``, ``detail`` (str).
    assumptions : tuple of str
        Every assumption, in plain sentences.
    method : str
        ``prosimos`` (simulated and estimated) or ``analytical`` (estimated only).
    reason : str
        Why the process was not simulated (empty when it was).
    observed : dict
        The log's figures: ``cases``, ``closed_cases``, ``cases_per_year``, the validated metrics,
        ``workload_hours_per_year`` (None without start times).
    parameters : dict
        ``runs``, ``cases``, ``seed``, ``automated_seconds``, ``ai_review_share``,
        ``ai_review_share_range``, ``scale`` (per-year factor per simulated case).
    seconds : dict
        Run time: ``discovery``, ``simulation`` (all runs), ``total`` (float, seconds).
    activities : pandas.DataFrame
        Where the change comes from, per activity (means over the runs): ``activity``,
        ``instances_per_case_as_is``/``_to_be``, ``waiting_hours_mean_as_is``/``_to_be`` (hours before an
        instance), ``processing_hours_mean_as_is``/``_to_be``, ``waiting_hours_saved`` (float). Empty
        when the process was not simulated.
    """

    summary: pd.DataFrame
    runs: pd.DataFrame
    validation: pd.DataFrame
    analytical: pd.DataFrame
    changes: pd.DataFrame
    assumptions: tuple
    method: str
    reason: str = ""
    observed: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    activities: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        """The summary (a copy); the analytical totals when the process was not simulated."""
        if self.summary.empty:
            return self.analytical.copy()
        return self.summary.copy()

    def totals(self) -> dict:
        """The analytical estimate summed over the changes (per year, and per case for cycle time)."""
        a = self.analytical
        keys = (
            "workload_hours_saved_per_year",
            "workload_hours_saved_per_year_low",
            "workload_hours_saved_per_year_high",
            "waiting_hours_saved_per_year",
            "cycle_hours_saved_per_case",
        )
        return {k: round(float(a[k].sum()), 3) if len(a) else 0.0 for k in keys}

    def reproduces_log(self) -> bool:
        """Whether the simulation of today's process reproduces the log well enough to be read.

        True when the process was simulated and the mean cycle time and the mean waiting of the simulated
        AS-IS are both within :data:`VALIDATION_TOLERANCE` of the log's (``validation``). A simulation
        that misses today's process by more cannot say what a change to it is worth.

        Returns
        -------
        bool
        """
        if self.summary.empty or self.validation.empty:
            return False
        v = self.validation.set_index("metric")
        keys = [m for m in ("cycle_hours_mean", "waiting_hours_mean") if m in v.index]
        return bool(keys) and bool(v.loc[keys, "within_tolerance"].astype(bool).all())

    def headline(self) -> list[dict]:
        """The three figures a leader reads first: waiting and human work saved a year, cycle time saved.

        The simulated figures when the simulation reproduces the log (:meth:`reproduces_log`); the
        analytical estimate otherwise, saying why in ``note``.

        Returns
        -------
        list of dict
            One per figure, in this order: ``waiting_hours_per_year``, ``workload_hours_per_year`` (left
            out when the log has no start times: human work is not measured), ``cycle_hours_median`` (per
            case; the analytical estimate's mean path when not simulated):
            ``metric``, ``label`` (str, in words), ``unit`` (str), ``saved``, ``low``, ``high`` (float or
            None: the mean over the runs and its range; an estimate's range is that of its assumptions),
            ``conclusive`` (bool: the range does not straddle zero), ``basis`` (``"simulated"`` or
            ``"estimated"``), ``note`` (str: why the estimate is shown instead of the simulation; "" when
            it is not).
        """
        labels = {
            "waiting_hours_per_year": ("waiting removed a year", "hours a year"),
            "workload_hours_per_year": ("human work freed a year", "hours a year"),
            "cycle_hours_median": ("shorter median case", "hours per case"),
        }
        out = []
        note = ""
        if not self.summary.empty and not self.reproduces_log():
            v = self.validation.set_index("metric")
            err = v["relative_error"].get("cycle_hours_mean")
            note = (
                "the simulation of today's process misses the log"
                + ("" if err is None or pd.isna(err) else f" (mean cycle time off by {float(err):+.0%})")
                + ", so the estimate without simulation is shown"
            )
        if not self.summary.empty and not note:
            s = self.summary.set_index("metric")
            for metric, (label, unit) in labels.items():
                if metric not in s.index or pd.isna(s.loc[metric, "saved"]):
                    continue
                r = s.loc[metric]
                low, high = float(r["saved_low"]), float(r["saved_high"])
                out.append(
                    {
                        "metric": metric,
                        "label": label,
                        "unit": unit,
                        "saved": float(r["saved"]),
                        "low": low,
                        "high": high,
                        "conclusive": bool(low > 0 or high < 0),
                        "basis": "simulated",
                        "note": "",
                    }
                )
            return out
        t = self.totals()
        for metric, saved, low, high in (
            ("waiting_hours_per_year", t["waiting_hours_saved_per_year"], None, None),
            (
                "workload_hours_per_year",
                t["workload_hours_saved_per_year"],
                t["workload_hours_saved_per_year_low"],
                t["workload_hours_saved_per_year_high"],
            ),
            ("cycle_hours_median", t["cycle_hours_saved_per_case"], None, None),
        ):
            if metric == "workload_hours_per_year" and self.observed.get("workload_hours_per_year") is None:
                continue  # no start times: human work is not measured, so none can be said to be freed
            label, unit = labels[metric]
            out.append(
                {
                    "metric": metric,
                    "label": label if metric != "cycle_hours_median" else "shorter average case",
                    "unit": unit,
                    "saved": saved,
                    "low": low,
                    "high": high,
                    "conclusive": bool(saved > 0),
                    "basis": "estimated",
                    "note": note,
                }
            )
        return out

    def to_dict(self) -> dict:
        """The JSON-ready impact (the ``impact`` section proposed for ``findings.json``)."""
        return {
            "method": self.method,
            "reason": self.reason,
            "range": "min-max over the runs (same seeds for AS-IS and TO-BE)",
            "summary": json_records(self.summary),
            "validation": json_records(self.validation),
            "analytical": json_records(self.analytical),
            "analytical_totals": self.totals(),
            "headline": self.headline(),
            "changes": json_records(self.changes),
            "assumptions": list(self.assumptions),
            "observed": json_ready(self.observed),
            "parameters": json_ready(self.parameters),
            "seconds": json_ready(self.seconds),
            "activities": json_records(self.activities),
        }

    def to_json(self, path: str | Path) -> Path:
        """Write the impact as JSON; returns the path."""
        path = Path(path)
        path.write_text(json_text(self.to_dict()), "utf-8")
        return path

    def plot(self):
        """AS-IS against TO-BE, mean over the runs with the min-max range as error bars (plotly)."""
        import plotly.graph_objects as go

        fig = go.Figure()
        s = self.summary
        if s.empty:
            a = self.analytical
            fig.add_bar(x=a["activity"] + " (" + a["change"] + ")", y=a["workload_hours_saved_per_year"])
            fig.update_layout(title="Analytical estimate: human hours saved per year", yaxis_title="hours")
            return escape_figure(fig)
        s = s[s["metric"].str.startswith("cycle") | (s["metric"] == "waiting_hours_mean")]
        for name, col in (("AS-IS", "as_is"), ("TO-BE", "to_be")):
            fig.add_bar(
                name=name,
                x=s["metric"],
                y=s[col],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": s[f"{col}_high"] - s[col],
                    "arrayminus": s[col] - s[f"{col}_low"],
                },
            )
        fig.update_layout(
            barmode="group",
            title="Simulated impact of the blueprint (mean of the runs, min-max range)",
            yaxis_title="hours per case",
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        head = f"<b>Impact of the blueprint</b> ({html.escape(self.method)})"
        if self.reason:
            head += f"<p>Not simulated: {html.escape(self.reason)}</p>"
        body = self.to_frame().round(2).to_html(index=False)
        val = (
            ""
            if self.validation.empty
            else "<p>AS-IS against the log</p>" + self.validation.round(3).to_html(index=False)
        )
        items = "".join(f"<li>{html.escape(a)}</li>" for a in self.assumptions)
        return f"{head}{body}{val}<p>Assumptions</p><ul>{items}</ul>"


def simulate_impact(
    log: EventLog,
    blueprint: Blueprint,
    *,
    runs: int = 5,
    cases: int | None = None,
    seed: int = 0,
    calendars: WorkingCalendars | None = None,
    performers: Performers | None = None,
    automated_seconds: float = AUTOMATED_SECONDS,
    ai_review_share: float = AI_REVIEW_SHARE,
    arrivals: Literal["observed", "poisson"] = "observed",
    method: Literal["auto", "prosimos", "analytical"] = "auto",
) -> Impact:
    """Simulate today's process and the blueprint's, and estimate what the redesign saves per year.

    Today's simulation model is discovered from the log (see the module docstring). The TO-BE model
    applies the blueprint: ``automate`` steps run on an unbounded automation around the clock in
    ``automated_seconds``, and lose their batching delay; ``ai_assist`` steps keep their people, who
    review in ``ai_review_share`` of today's time; before an activity receiving a failing handoff
    (:attr:`Blueprint.orchestration`) the delay no resource explains is capped at the routing step's
    SLA; ``keep_human`` and ``fix_first`` steps are unchanged. Both are simulated ``runs`` times with
    the seeds ``seed``, ``seed + 1``, ... (the same for both).

    Parameters
    ----------
    log : EventLog
    blueprint : Blueprint
        From :func:`analysis.build_blueprint` (``Findings.blueprint``).
    runs : int, default 5
        Simulations per scenario; the ranges are the min and max over them.
    cases : int, optional
        Cases per simulation; :data:`MAX_SIMULATED_CASES` by default; never more than the log has with
        observed arrivals. Per-year figures are scaled from them to the log's arrival rate.
    seed : int, default 0
    calendars : WorkingCalendars, optional
        The resources' working calendars (``Findings.bottlenecks.calendars``); discovered when not given.
    performers : Performers, optional
        Who is a person (``Findings.performers``); classified when not given.
    automated_seconds : float, default :data:`AUTOMATED_SECONDS`
    ai_review_share : float, default :data:`AI_REVIEW_SHARE`
        Share in (0, 1] of today's human processing time an AI-assisted step still takes.
    arrivals : {"observed", "poisson"}, default "observed"
        ``observed`` replays the arrival instants of the log's first ``cases`` cases (its surges and
        quiet spells included); ``poisson`` draws them at the log's average rate.
    method : {"auto", "prosimos", "analytical"}, default "auto"
        ``analytical`` skips the simulation; ``prosimos`` raises when it cannot run; ``auto`` falls
        back to the analytical estimate and says why.

    Returns
    -------
    Impact

    Raises
    ------
    AnalysisError
        When ``runs`` or ``cases`` is not positive, ``ai_review_share`` is outside (0, 1],
        ``automated_seconds`` is negative, ``method`` is unknown, or ``method="prosimos"`` and the
        simulation cannot run.

    References
    ----------
    López-Pintado, Chapela-Campa, Dumas, Kirikkayis & Reichert (2022), "Prosimos: discovering and
    simulating business processes with differentiated resources", EDOC 2022 Demos. Camargo, Dumas &
    González-Rojas (2020), "Automated discovery of business process simulation models from event logs",
    Decision Support Systems 134 (Simod). Chapela-Campa & Dumas (2023), "Enhancing business process
    simulation models with extraneous activity delays", Information Systems 122. Rozinat, Mans, Song &
    van der Aalst (2009), "Discovering simulation models", Information Systems 34(3).

    Examples
    --------
    >>> from analysis import analyze
    >>> f = analyze(load_event_log("sample_logs/council_permits.csv"), sensitivity=False)
    >>> impact = simulate_impact(f.log, f.blueprint, runs=2, cases=300)
    >>> impact.method
    'prosimos'
    >>> list(impact.summary["metric"])[:2]
    ['cycle_hours_median', 'cycle_hours_mean']
    """
    t0 = time.perf_counter()
    if runs < 1:
        raise AnalysisError(f"runs must be at least 1, got {runs!r}.")
    if cases is not None and cases < 1:
        raise AnalysisError(f"cases must be at least 1, got {cases!r}.")
    if not 0 < ai_review_share <= 1:
        raise AnalysisError(f"ai_review_share must be in (0, 1], got {ai_review_share!r}.")
    if automated_seconds < 0:
        raise AnalysisError(f"automated_seconds must not be negative, got {automated_seconds!r}.")
    if method not in ("auto", "prosimos", "analytical"):
        raise AnalysisError(f"method must be 'auto', 'prosimos' or 'analytical', not {method!r}.")
    if arrivals not in ("observed", "poisson"):
        raise AnalysisError(f"arrivals must be 'observed' or 'poisson', not {arrivals!r}.")

    model = _discover(log, calendars, performers)
    n_sim = int(cases) if cases is not None else MAX_SIMULATED_CASES
    if arrivals == "observed":  # the log's own arrivals: no more cases than it has
        n_sim = min(n_sim, int(model.observed["cases"]))
    steps = _changes(blueprint, model)
    analytical = _analytical(model, steps, automated_seconds)
    params = {
        "runs": runs,
        "cases": n_sim,
        "seed": seed,
        "automated_seconds": automated_seconds,
        "ai_review_share": ai_review_share,
        "ai_review_share_range": list(AI_REVIEW_SHARE_RANGE),
        "scale": model.observed["cases_per_year"] / n_sim if n_sim else None,
    }
    assumptions = _assumptions(model, n_sim, runs, automated_seconds, ai_review_share, arrivals)
    if not _material(model, steps):
        assumptions.append(
            "The blueprint changes nothing this model can represent (no step with processing time to "
            "automate or assist, no SLA over a delay), so the TO-BE model is today's: the simulated "
            "differences are the noise between runs, and their range straddles zero."
        )
    t_disc = time.perf_counter() - t0

    reason = _cannot_simulate(model) if method != "analytical" else "the analytical estimate was asked for"
    if reason and method == "prosimos":
        raise AnalysisError(f"method='prosimos': the process cannot be simulated: {reason}.")
    if reason:
        return Impact(
            pd.DataFrame(),
            pd.DataFrame(),
            pd.DataFrame(),
            analytical,
            _changes_frame(steps),
            tuple(assumptions),
            "analytical",
            reason,
            json_ready(model.observed),
            params,
            {"discovery": t_disc, "simulation": 0.0, "total": time.perf_counter() - t0},
        )

    t1 = time.perf_counter()
    rows, act_rows = [], []
    with tempfile.TemporaryDirectory(prefix="flowready-sim-") as tmp:
        d = Path(tmp)
        bpmn = d / "model.bpmn"
        bpmn.write_text(_bpmn_xml(model), "utf-8")
        times = _arrival_offsets(model, n_sim) if arrivals == "observed" else None
        for scenario in ("as_is", "to_be"):
            scen = _scenario(model, steps if scenario == "to_be" else {}, automated_seconds, ai_review_share)
            js = d / f"{scenario}.json"
            js.write_text(json.dumps(scen), "utf-8")
            for r in range(runs):
                ts = time.perf_counter()
                sim = _run_prosimos(bpmn, js, n_sim, seed + r, model.start, times, d / f"{scenario}_{r}.csv")
                m, acts = _sim_metrics(sim, model)
                act_rows.append(acts.assign(scenario=scenario, run=r))
                rows.append(
                    {
                        "scenario": scenario,
                        "run": r,
                        "seed": seed + r,
                        "cases": n_sim,
                        **m,
                        "seconds": round(time.perf_counter() - ts, 3),
                    }
                )
    runs_df = pd.DataFrame(rows)
    activities = _activity_table(pd.concat(act_rows, ignore_index=True))
    t_sim = time.perf_counter() - t1
    summary = _summary(runs_df)
    window = execute(outcome_stats(model.outcomes.order_by("arrival_us").limit(n_sim))).iloc[0]
    same = {m: window[m.replace("_hours", "")] for m in _VALIDATED}
    same["workload_hours_per_year"] = model.observed["workload_hours_per_year"]
    validation = _validation(runs_df, same)
    far = validation.loc[~validation["within_tolerance"], "metric"].tolist()
    if far:
        assumptions.append(
            "The AS-IS simulation is far off the log for "
            + ", ".join(far)
            + f" (relative error above {VALIDATION_TOLERANCE:.0%}): read the TO-BE figures as a "
            "comparison between two models, not as a forecast, and prefer the differences to the levels."
        )
    return Impact(
        summary,
        runs_df,
        validation,
        analytical,
        _changes_frame(steps),
        tuple(assumptions),
        "prosimos",
        "",
        json_ready(model.observed),
        params,
        {
            "discovery": round(t_disc, 3),
            "simulation": round(t_sim, 3),
            "total": round(time.perf_counter() - t0, 3),
        },
        activities,
    )


# -- discovery of today's model -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """Today's simulation model and the observed figures (compact tables)."""

    activities: list
    transitions: pd.DataFrame  # source, target (None = start / end), count
    durations: pd.DataFrame  # activity, events, known, mean_s, var_s, min_s, max_s
    resources: pd.DataFrame  # resource, activity, events, proc_hours, human
    calendars: dict  # resource -> Prosimos time periods
    delays: pd.DataFrame  # activity, instances, all_* and ext_* (share, mean_s, var_s, max_s)
    delay_samples: dict  # activity -> sorted numpy array of positive non-resource delays (s), a sample
    delay_weights: dict  # activity -> positive delays per sampled one (1.0 below MAX_DELAY_SAMPLE)
    batching: dict  # activity -> total batching hours
    human_events: dict  # activity -> share of its events done by a person
    observed: dict
    start: str
    has_start: bool
    outcomes: ir.Table  # case_outcomes


def _arrival_offsets(model: _Model, n: int) -> list:
    """Seconds from the first arrival to each of the first ``n`` arrivals of the log."""
    c = model.outcomes
    a = execute(c.select("arrival_us").order_by("arrival_us").limit(n))["arrival_us"].astype("int64")
    return ((a - a.iloc[0]) / 1e6).astype(float).tolist()


def _discover(log: EventLog, calendars: WorkingCalendars | None, performers: Performers | None) -> _Model:
    o = log.tables().ordered
    ends = find_end_activities(log)
    outcomes = case_outcomes(o, ends)
    obs = execute(outcome_stats(outcomes)).iloc[0]
    span_h = max((float(obs["last_us"]) - float(obs["first_us"])) / 3.6e9, 1e-9)
    n_cases = int(obs["cases"])
    cases_per_year = (n_cases - 1) / span_h * HOURS_PER_YEAR if n_cases > 1 else 0.0

    # The engine returns rows in any order and sums floats in any order (parallel aggregation): sort the
    # rows and round the statistics, so that the same log gives the same scenario, and the same
    # simulation, in every process (a simulation is chaotic: a last-digit difference changes its queues).
    trans = _stable(execute(transitions(o)), ["source", "target"])
    trans = trans.astype({"source": object, "target": object})
    trans = trans.where(trans.notna(), None)
    dur = _stable(execute(activity_durations(o)), ["activity"])
    res = _stable(execute(resource_activities(o)), ["activity", "resource"])
    if performers is None and len(res):
        performers = classify_performers(log)
    human = set()
    if performers is not None:
        t = performers.table
        human = set(t.loc[t["type"] == "human", "performer"])
        if performers.level == "role":  # the types are per role: a resource is human when its role is
            roles = execute(o.filter(o.resource.notnull()).select("resource", "role").distinct())
            human = set(roles.loc[roles["role"].isin(human), "resource"])
    res["human"] = res["resource"].isin(human)
    human_share = (
        res[res["human"]].groupby("activity")["events"].sum() / dur.set_index("activity")["events"]
    ).fillna(0.0)

    if calendars is None and len(res):
        calendars = discover_calendars(log)
    cal = _prosimos_calendars(calendars, res)

    has_start = bool(dur["known"].sum() > 0)
    delays, samples, weights, batching = _delays(
        waiting_instance_table(log, calendars=calendars), dur["activity"].tolist(), has_start
    )
    per_year = cases_per_year / n_cases if n_cases else 0.0  # log totals -> a year
    workload = float(res.loc[res["human"], "proc_hours"].sum()) * per_year if has_start else None
    observed = {
        "cases": n_cases,
        "closed_cases": int(obs["closed_cases"]),
        "cases_per_year": cases_per_year,
        "span_hours": span_h,
        "per_year": per_year,
        "interarrival_seconds": span_h * 3600 / max(n_cases - 1, 1),
        "cycle_hours_median": obs["cycle_median"],
        "cycle_hours_mean": obs["cycle_mean"],
        "cycle_hours_p90": obs["cycle_p90"],
        "waiting_hours_mean": obs["waiting_mean"],
        "waiting_hours_per_year": None
        if pd.isna(obs["waiting_mean"])
        else float(obs["waiting_mean"]) * cases_per_year,
        "workload_hours_per_year": workload,
        "end_activities": ends,
    }
    start = pd.Timestamp(int(obs["first_us"]), unit="us", tz="UTC").isoformat()
    return _Model(
        sorted(dur["activity"].tolist()),
        trans,
        dur,
        res,
        cal,
        delays,
        samples,
        weights,
        batching,
        human_share.to_dict(),
        observed,
        start,
        has_start,
        outcomes,
    )


def _delays(inst: ir.Table, activities: list, has_start: bool) -> tuple[pd.DataFrame, dict, dict, dict]:
    """Per activity, the delay the simulated resources do not produce: AS-IS (``all``) and before an
    automated step (``ext``).

    With start times: batching, extraneous and unexplained waits (queues and calendars are simulated);
    an automated step loses the batching. Without start times nothing is simulated but this delay: it is
    the whole wait, and an automated step keeps it (the wait cannot be split into work, queue and
    waiting for outsiders).

    The shares, moments and batching totals are aggregated in the engine over every instance; only a
    sample of at most :data:`MAX_DELAY_SAMPLE` positive delays per activity is fetched (to cap waits at an
    SLA), with the weight that scales its sums to all of them.
    """
    d = delay_columns(inst, has_start=has_start)
    stats = _stable(execute(delay_statistics(d, MIN_DELAY_SECONDS)), [ACTIVITY]).set_index(ACTIVITY)
    sample = execute(delay_sample(d, MIN_DELAY_SECONDS, cap=MAX_DELAY_SAMPLE))
    by = {a: np.sort(g["all_s"].to_numpy(dtype=float)) for a, g in sample.groupby(ACTIVITY, sort=False)}
    rows, samples, weights, batching = [], {}, {}, {}
    for a in activities:
        st = stats.loc[a] if a in stats.index else None
        row = {"activity": a, "instances": int(st["instances"]) if st is not None else 0}
        for kind in ("all", "ext"):
            for m in ("share", "mean_s", "var_s", "max_s"):
                v = None if st is None else st[f"{kind}_{m}"]
                row[f"{kind}_{m}"] = 0.0 if v is None or pd.isna(v) else float(v)
        rows.append(row)
        v = by.get(a, np.zeros(0))
        positive = int(st["all_positive"]) if st is not None else 0
        samples[a], weights[a] = v, (positive / len(v) if len(v) else 1.0)
        b = None if st is None else st["batching_hours"]
        batching[a] = 0.0 if b is None or pd.isna(b) else float(b)
    return pd.DataFrame(rows), samples, weights, batching


def _prosimos_calendars(calendars: WorkingCalendars | None, res: pd.DataFrame) -> dict:
    """Resource -> Prosimos time periods (its discovered weekly calendar; 24/7 when unknown)."""
    out: dict = {}
    if calendars is None or calendars.slots.empty:
        return out
    g = calendars.granularity_minutes
    slots = calendars.slots[calendars.slots["working"]]
    for performer, s in slots.groupby("performer"):
        periods = []
        for wd, d in s.groupby("weekday"):
            mins = sorted(d["minute_of_day"])
            begin = prev = mins[0]
            for m in [*mins[1:], None]:
                if m is not None and m == prev + g:
                    prev = m
                    continue
                periods.append(
                    {
                        "from": _DAYS[int(wd)],
                        "to": _DAYS[int(wd)],
                        "beginTime": _clock(begin),
                        "endTime": _clock(prev + g),
                    }
                )
                if m is not None:
                    begin = prev = m
        if periods:
            out[performer] = periods
    return out


def _clock(minute: int) -> str:
    if minute >= 24 * 60:
        return "23:59:59.999"
    return f"{minute // 60:02d}:{minute % 60:02d}:00.000"


def _cannot_simulate(model: _Model) -> str:
    try:
        import prosimos.simulation_engine  # noqa: F401
    except ImportError as e:  # pragma: no cover - an installation without the simulation extra
        return f"Prosimos is not installed ({e}); install flowready's 'simulation' extra"
    if not model.activities or model.transitions.empty:
        return "the log has no activities to simulate"
    if len(model.activities) > MAX_ACTIVITIES:
        return (
            f"the log has {len(model.activities)} activities, more than {MAX_ACTIVITIES}: a process map "
            "that large is not a model worth simulating"
        )
    if model.observed["cases"] < 2:
        return "the log has fewer than two cases, so no arrival rate"
    return ""


# -- the blueprint's changes ----------------------------------------------------------------------------


def _changes(blueprint: Blueprint, model: _Model) -> dict:
    """Activity -> {"recommendation": str, "sla_hours": float or None} for the activities that change."""
    out: dict = {}
    known = set(model.activities)
    for s in blueprint.steps.itertuples():
        if s.activity in known and s.recommendation in ("automate", "ai_assist"):
            out[s.activity] = {"recommendation": s.recommendation, "sla_hours": None}
    for r in blueprint.orchestration.itertuples():
        if r.before_activity in known and r.sla_hours is not None and not pd.isna(r.sla_hours):
            out.setdefault(r.before_activity, {"recommendation": None, "sla_hours": None})
            out[r.before_activity]["sla_hours"] = float(r.sla_hours)
    return out


def _changes_frame(steps: dict) -> pd.DataFrame:
    rows = []
    for a, c in steps.items():
        if c["recommendation"] == "automate":
            rows.append(
                {"activity": a, "change": "automate", "detail": "runs automatically, around the clock"}
            )
        elif c["recommendation"] == "ai_assist":
            rows.append({"activity": a, "change": "ai_assist", "detail": "AI drafts, a person reviews"})
        if c["sla_hours"] is not None:
            rows.append(
                {
                    "activity": a,
                    "change": "sla",
                    "detail": f"routed with context; the delay before it capped at {c['sla_hours']:g} h",
                }
            )
    return pd.DataFrame(rows, columns=["activity", "change", "detail"])


def _material(model: _Model, steps: dict) -> bool:
    """Whether the TO-BE model differs from today's in anything but names."""
    delays = model.delays.set_index("activity")
    for a, c in steps.items():
        if model.has_start and c["recommendation"] in ("automate", "ai_assist"):
            return True
        if (
            c["sla_hours"] is not None
            and a in delays.index
            and delays.loc[a, "all_share"] > 0
            and delays.loc[a, "all_max_s"] > c["sla_hours"] * 3600.0
        ):
            return True
    return False


def _capped_mean(samples: np.ndarray, sla_s: float) -> float:
    """Mean of min(delay, SLA) over the positive delays."""
    pos = samples[samples >= MIN_DELAY_SECONDS]
    return float(np.minimum(pos, sla_s).mean()) if len(pos) else 0.0


# -- the Prosimos scenario --------------------------------------------------------------------------------


def _ids(model: _Model) -> dict:
    return {a: i for i, a in enumerate(model.activities)}


def _bpmn_xml(model: _Model) -> str:
    """The process map as BPMN: per activity a join, an optional timer (with a skip), the task, a split."""
    ids = _ids(model)
    d = model.delays.set_index("activity")
    nodes = ['<startEvent id="start" name="start"/>', '<endEvent id="end" name="end"/>']
    nodes.append('<exclusiveGateway id="gs" gatewayDirection="Diverging"/>')
    nodes.append('<exclusiveGateway id="ge" gatewayDirection="Converging"/>')
    flows = [("start", "gs"), ("ge", "end")]
    for a, i in ids.items():
        nodes.append(f'<exclusiveGateway id="j{i}" gatewayDirection="Converging"/>')
        nodes.append(f"<task id={quoteattr(f't{i}')} name={quoteattr(a)}/>")
        nodes.append(f'<exclusiveGateway id="s{i}" gatewayDirection="Diverging"/>')
        if a in d.index and d.loc[a, "all_share"] > 0:
            nodes.append(f'<exclusiveGateway id="d{i}" gatewayDirection="Diverging"/>')
            nodes.append(f'<intermediateCatchEvent id="w{i}" name="delay {i}"><timerEventDefinition/>')
            nodes[-1] += "</intermediateCatchEvent>"
            nodes.append(f'<exclusiveGateway id="m{i}" gatewayDirection="Converging"/>')
            flows += [(f"j{i}", f"d{i}"), (f"d{i}", f"w{i}"), (f"w{i}", f"m{i}"), (f"d{i}", f"m{i}")]
            flows.append((f"m{i}", f"t{i}"))
        else:
            flows.append((f"j{i}", f"t{i}"))
        flows.append((f"t{i}", f"s{i}"))
    for s, t in _edges(model):
        src = "gs" if s is None else f"s{ids[s]}"
        tgt = "ge" if t is None else f"j{ids[t]}"
        flows.append((src, tgt))
    body = "".join(nodes) + "".join(
        f'<sequenceFlow id="{_flow_id(s, t)}" sourceRef="{s}" targetRef="{t}"/>' for s, t in flows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="flowready_sim" '
        'targetNamespace="http://flowready/simulation">'
        f'<process id="process" isExecutable="false">{body}</process></definitions>'
    )


def _flow_id(s: str, t: str) -> str:
    return f"f_{s}_{t}"


def _edges(model: _Model) -> list:
    t = model.transitions
    return sorted({(s, g) for s, g in zip(t["source"], t["target"], strict=True)}, key=str)


def _num(x) -> float:
    """A float; 0 for None and NaN (no start times: no processing time)."""
    return 0.0 if x is None or pd.isna(x) else float(x)


def _dist(mean: float, var: float, lo: float, hi: float) -> dict:
    """A Prosimos duration distribution (seconds): fixed, or log-normal bounded by [lo, hi]."""
    if not mean or mean <= 0 or not var or var <= 0 or hi <= lo:
        return {"distribution_name": "fix", "distribution_params": [{"value": max(float(mean or 0.0), 0.0)}]}
    var = min(var, (MAX_CV * mean) ** 2)  # a larger spread underflows the log-normal's scale
    return {
        "distribution_name": "lognorm",
        "distribution_params": [{"value": float(v)} for v in (mean, var, max(lo, 0.0), hi)],
    }


def _scenario(model: _Model, steps: dict, automated_seconds: float, ai_share: float) -> dict:
    """The Prosimos JSON of one scenario (``steps`` empty = AS-IS)."""
    ids = _ids(model)
    dur = model.durations.set_index("activity")
    res = model.resources
    resources: dict[str, dict] = {}  # resource name -> profile

    def resource(name: str, human: bool) -> str:
        if name not in resources:
            rid = f"r{len(resources)}"
            cal_id = f"c_{rid}"
            periods = model.calendars.get(name, _FULL_WEEK) if human and model.has_start else _FULL_WEEK
            resources[name] = {
                "id": rid,
                "name": name,
                "cost_per_hour": 1,
                "amount": 1 if human else UNBOUNDED_CAPACITY,
                "calendar": cal_id,
                "assignedTasks": [],
                "_periods": periods,
            }
        return resources[name]["id"]

    task_dist = []
    for a, i in ids.items():
        r = dur.loc[a]
        change = steps.get(a, {}).get("recommendation")
        if change == "automate":
            perf = [(resource("Automation", False), _dist(automated_seconds, 0, 0, 0))]
        else:
            k = ai_share if change == "ai_assist" else 1.0
            dist = _dist(
                _num(r["mean_s"]) * k, _num(r["var_s"]) * k * k, _num(r["min_s"]) * k, _num(r["max_s"]) * k
            )
            who = res[res["activity"] == a]
            perf = [(resource(p.resource, bool(p.human)), dist) for p in who.itertuples()]
            if not perf or int(who["events"].sum()) < int(r["events"]):
                perf.append((resource(f"(nobody named) {a}", False), dist))
        for rid, _ in perf:
            for prof in resources.values():
                if prof["id"] == rid and f"t{i}" not in prof["assignedTasks"]:
                    prof["assignedTasks"].append(f"t{i}")
        task_dist.append(
            {"task_id": f"t{i}", "resources": [{"resource_id": rid, **dist} for rid, dist in perf]}
        )

    gateways = []
    t = model.transitions
    by_source: dict = {}
    for s, g, c in zip(t["source"], t["target"], t["count"], strict=True):
        by_source.setdefault(s, []).append((g, int(c)))
    for s, outs in by_source.items():
        total = sum(c for _, c in outs)
        src = "gs" if s is None else f"s{ids[s]}"
        probs = []
        for g, c in sorted(outs, key=lambda x: str(x[0])):
            tgt = "ge" if g is None else f"j{ids[g]}"
            probs.append({"path_id": _flow_id(src, tgt), "value": c / total})
        gateways.append({"gateway_id": src, "probabilities": _normalise(probs)})

    events = []
    delays = model.delays.set_index("activity")
    for a, i in ids.items():
        if a not in delays.index or delays.loc[a, "all_share"] <= 0:
            continue
        dl = delays.loc[a]
        change = steps.get(a, {})
        kind = "ext" if change.get("recommendation") == "automate" else "all"
        share = float(dl[f"{kind}_share"])
        dist = _dist(dl[f"{kind}_mean_s"], dl[f"{kind}_var_s"], MIN_DELAY_SECONDS, dl[f"{kind}_max_s"])
        sla = change.get("sla_hours")
        if sla is not None and share > 0:
            capped = _capped_mean(model.delay_samples[a], sla * 3600.0)
            dist = _dist(capped, 0, 0, 0)
        gateways.append(
            {
                "gateway_id": f"d{i}",
                "probabilities": _normalise(
                    [
                        {"path_id": _flow_id(f"d{i}", f"w{i}"), "value": share},
                        {"path_id": _flow_id(f"d{i}", f"m{i}"), "value": 1.0 - share},
                    ]
                ),
            }
        )
        events.append({"event_id": f"w{i}", **dist})

    profiles = [
        {
            "id": f"pool_{p['id']}",
            "name": p["name"],
            "resource_list": [{k: v for k, v in p.items() if not k.startswith("_")}],
        }
        for p in resources.values()
    ]
    return {
        "resource_profiles": profiles,
        "arrival_time_distribution": {
            "distribution_name": "expon",
            "distribution_params": [
                {"value": float(model.observed["interarrival_seconds"])},
                {"value": 0.0},
                {"value": float(model.observed["interarrival_seconds"]) * 100},
            ],
        },
        "arrival_time_calendar": _FULL_WEEK,
        "gateway_branching_probabilities": gateways,
        "task_resource_distribution": task_dist,
        "resource_calendars": [
            {"id": p["calendar"], "time_periods": p["_periods"]} for p in resources.values()
        ],
        "event_distribution": events,
    }


def _stable(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` sorted by ``keys`` (missing first), its floats rounded to 10 significant digits."""
    out = frame
    if keys:
        out = frame.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)
    floats = out.select_dtypes("float").columns
    if len(floats):
        out = out.copy()
        for c in floats:
            v = out[c].to_numpy(dtype="float64")
            with np.errstate(divide="ignore", invalid="ignore"):
                digits = 9 - np.floor(np.log10(np.abs(v)))
            digits = np.where(np.isfinite(digits), digits, 0).astype(int)
            out[c] = [
                round(float(x), int(d)) if np.isfinite(x) else x for x, d in zip(v, digits, strict=True)
            ]
    return out


def _normalise(probs: list) -> list:
    total = sum(p["value"] for p in probs)
    for p in probs:
        p["value"] = p["value"] / total if total else 1.0 / len(probs)
    return probs


#: Held by each Prosimos run (see :func:`_run_prosimos`).
_SIMULATION_LOCK = threading.Lock()


def _run_prosimos(
    bpmn: Path, js: Path, cases: int, seed: int, start: str, arrivals: list | None, out: Path
) -> pd.DataFrame:
    """One Prosimos run; ``arrivals`` (seconds after ``start``) replays given arrival instants."""
    from prosimos.simulation_engine import SimDiffSetup, run_simpy_simulation

    # Prosimos draws from the process-wide generators of numpy and random: two simulations at once (two
    # sessions of the app) would draw from each other's seeded streams. One run at a time per process.
    with _SIMULATION_LOCK:
        np.random.seed(seed % 2**32)
        random.seed(seed)
        logging.getLogger("prosimos").setLevel(logging.ERROR)
        setup = SimDiffSetup(str(bpmn), str(js), False, cases)
        setup.set_starting_datetime(pd.Timestamp(start).to_pydatetime())
        with open(out, "w", newline="", encoding="utf-8") as fh:
            env = run_simpy_simulation(setup, None, csv.writer(fh), arrivals)
            if arrivals is not None:  # Prosimos flushes its log itself only for generated arrivals
                env.log_writer.force_write()
    sim = pd.read_csv(out)
    for c in ("start_time", "end_time"):
        sim[c] = pd.to_datetime(sim[c], utc=True, format="ISO8601")
    return sim


def _activity_table(acts: pd.DataFrame) -> pd.DataFrame:
    """Per activity: the AS-IS and TO-BE means over the runs, side by side."""
    m = acts.groupby(["scenario", "activity"])[
        ["instances_per_case", "waiting_hours_mean", "processing_hours_mean"]
    ]
    m = m.mean().unstack("scenario")
    m.columns = [f"{c}_{s}" for c, s in m.columns]
    out = m.reset_index()
    for c in ("waiting_hours_mean", "processing_hours_mean"):
        for s in ("as_is", "to_be"):
            if f"{c}_{s}" not in out:
                out[f"{c}_{s}"] = np.nan
    out["waiting_hours_saved"] = out["waiting_hours_mean_as_is"] - out["waiting_hours_mean_to_be"]
    return out.sort_values("waiting_hours_saved", ascending=False, kind="stable").reset_index(drop=True)


def _sim_metrics(sim: pd.DataFrame, model: _Model) -> tuple[dict, pd.DataFrame]:
    """The scenario metrics of one simulated log (a few thousand events: pandas)."""
    sim = sim.sort_values(["case_id", "end_time", "start_time"], kind="stable")
    prev_end = sim.groupby("case_id")["end_time"].shift()
    wait = ((sim["start_time"] - prev_end).dt.total_seconds() / 3600.0).clip(lower=0)
    proc = (sim["end_time"] - sim["start_time"]).dt.total_seconds() / 3600.0
    per = pd.DataFrame(
        {
            "case_id": sim["case_id"],
            "wait": wait.fillna(0.0),
            "start": sim["start_time"],
            "end": sim["end_time"],
        }
    ).groupby("case_id")
    cycle = (per["end"].max() - per["start"].min()).dt.total_seconds() / 3600.0
    waiting = per["wait"].sum()
    human = set(model.resources.loc[model.resources["human"], "resource"])
    work = float(proc[sim["resource"].isin(human)].sum())
    n = max(len(cycle), 1)
    per_year = model.observed["cases_per_year"] / n
    acts = (
        pd.DataFrame({"activity": sim["activity"], "wait": wait, "proc": proc})
        .groupby("activity")
        .agg(
            events=("proc", "size"),
            waiting_hours_mean=("wait", "mean"),
            processing_hours_mean=("proc", "mean"),
        )
        .reset_index()
    )
    acts["instances_per_case"] = acts.pop("events") / n
    return {
        "cycle_hours_median": float(cycle.median()),
        "cycle_hours_mean": float(cycle.mean()),
        "cycle_hours_p90": float(cycle.quantile(0.9)),
        "waiting_hours_mean": float(waiting.mean()),
        "waiting_hours_per_year": float(waiting.sum()) * per_year,
        "workload_hours_per_year": work * per_year if model.has_start else float("nan"),
    }, acts


# -- results --------------------------------------------------------------------------------------------


def _summary(runs: pd.DataFrame) -> pd.DataFrame:
    a = runs[runs["scenario"] == "as_is"].set_index("run")
    b = runs[runs["scenario"] == "to_be"].set_index("run")
    rows = []
    for m, (unit, _) in METRICS.items():
        saved = a[m] - b[m]
        rows.append(
            {
                "metric": m,
                "unit": unit,
                "as_is": a[m].mean(),
                "as_is_low": a[m].min(),
                "as_is_high": a[m].max(),
                "to_be": b[m].mean(),
                "to_be_low": b[m].min(),
                "to_be_high": b[m].max(),
                "saved": saved.mean(),
                "saved_low": saved.min(),
                "saved_high": saved.max(),
            }
        )
    return pd.DataFrame(rows)


def _validation(runs: pd.DataFrame, observed: dict) -> pd.DataFrame:
    a = runs[runs["scenario"] == "as_is"]
    rows = []
    for m in (*_VALIDATED, "workload_hours_per_year"):
        obs = observed.get(m)
        sim = float(a[m].mean())
        if obs is None or pd.isna(obs):
            continue
        err = (sim - obs) / obs if obs else float("nan")
        rows.append(
            {
                "metric": m,
                "observed": float(obs),
                "simulated": sim,
                "relative_error": err,
                # nothing observed (no waiting): within tolerance when nothing is simulated either
                "within_tolerance": bool(abs(err) <= VALIDATION_TOLERANCE) if obs else abs(sim) < 0.01,
            }
        )
    return pd.DataFrame(
        rows, columns=["metric", "observed", "simulated", "relative_error", "within_tolerance"]
    )


def _analytical(model: _Model, steps: dict, automated_seconds: float) -> pd.DataFrame:
    """Processing removed x frequency; batching removed by automation; waits cut to the SLA."""
    dur = model.durations.set_index("activity")
    per_year = model.observed["per_year"]
    cases_per_year = model.observed["cases_per_year"] or float("nan")
    rows = []
    lo_share, hi_share = AI_REVIEW_SHARE_RANGE
    for a, c in steps.items():
        ev_year = float(dur.loc[a, "events"]) * per_year
        mean_h = _num(dur.loc[a, "mean_s"]) / 3600.0
        human = float(model.human_events.get(a, 0.0))
        rec = c["recommendation"]
        if rec == "automate":
            saved = ev_year * human * mean_h
            batch = model.batching.get(a, 0.0) * per_year if model.has_start else 0.0
            removed = max(mean_h - automated_seconds / 3600.0, 0.0)
            rows.append(
                {
                    "activity": a,
                    "change": "automate",
                    "events_per_year": ev_year,
                    "workload_hours_saved_per_year": saved,
                    "workload_hours_saved_per_year_low": saved,
                    "workload_hours_saved_per_year_high": saved,
                    "waiting_hours_saved_per_year": batch,
                    "cycle_hours_saved_per_case": (ev_year * removed + batch) / cases_per_year,
                    "basis": f"{ev_year:.0f} events a year x {human:.0%} done by people x {mean_h:.3f} h "
                    f"each; {batch:.0f} h of batching a year removed",
                }
            )
        elif rec == "ai_assist":
            mid, lo, hi = (ev_year * human * mean_h * (1 - s) for s in (AI_REVIEW_SHARE, hi_share, lo_share))
            rows.append(
                {
                    "activity": a,
                    "change": "ai_assist",
                    "events_per_year": ev_year,
                    "workload_hours_saved_per_year": mid,
                    "workload_hours_saved_per_year_low": lo,
                    "workload_hours_saved_per_year_high": hi,
                    "waiting_hours_saved_per_year": 0.0,
                    "cycle_hours_saved_per_case": ev_year * mean_h * (1 - AI_REVIEW_SHARE) / cases_per_year,
                    "basis": f"{ev_year:.0f} events a year x {human:.0%} done by people x {mean_h:.3f} h x "
                    f"(1 - review share {AI_REVIEW_SHARE:g}; range {lo_share:g}-{hi_share:g})",
                }
            )
        if c["sla_hours"] is not None:
            v = model.delay_samples.get(a, np.zeros(0))
            w = model.delay_weights.get(a, 1.0)  # the sample's sum scaled to all the delays
            cut = float(np.clip(v - c["sla_hours"] * 3600.0, 0, None).sum()) * w / 3600.0
            cut_year = cut * per_year
            rows.append(
                {
                    "activity": a,
                    "change": "sla",
                    "events_per_year": float(dur.loc[a, "events"]) * per_year,
                    "workload_hours_saved_per_year": 0.0,
                    "workload_hours_saved_per_year_low": 0.0,
                    "workload_hours_saved_per_year_high": 0.0,
                    "waiting_hours_saved_per_year": cut_year,
                    "cycle_hours_saved_per_case": cut_year / cases_per_year,
                    "basis": f"delays no resource explains, beyond the SLA of {c['sla_hours']:g} h, cut "
                    f"to it: {cut:.0f} h over the log",
                }
            )
    cols = [
        "activity",
        "change",
        "events_per_year",
        "workload_hours_saved_per_year",
        "workload_hours_saved_per_year_low",
        "workload_hours_saved_per_year_high",
        "waiting_hours_saved_per_year",
        "cycle_hours_saved_per_case",
        "basis",
    ]
    return pd.DataFrame(rows, columns=cols)


def _assumptions(model: _Model, n_sim: int, runs: int, auto_s: float, ai_share: float, arrivals: str) -> list:
    obs = model.observed
    out = [
        f"Cases arrive at the instants the log's first {n_sim} cases arrived (surges and quiet spells "
        "included), the same in both scenarios."
        if arrivals == "observed"
        else f"Cases arrive as a Poisson process at the log's average rate ({obs['cases_per_year']:.0f} a "
        f"year, one every {obs['interarrival_seconds'] / 3600:.2f} h), around the clock; surges and seasons "
        "are not modelled.",
        "The control flow is a process map: after each activity the next one (or the end) is drawn with "
        "the log's directly-follows frequencies, so parallel work runs in sequence and loops repeat "
        "geometrically.",
        "Each resource of the log does the activities it did, one at a time for a person, within its "
        "discovered weekly calendar; systems, bots, outside parties and events naming nobody have "
        f"{UNBOUNDED_CAPACITY} parallel slots around the clock.",
        "Waits no resource explains (batching, waiting for outsiders, unexplained) are a delay before the "
        "activity with the observed share and a log-normal length; the discovered calendar stands for the "
        "hours a resource works, and queues are first come, first served (priorities are not modelled).",
        f"Each scenario is simulated {runs} times with {n_sim} cases and the same seeds; per-year figures "
        f"are the simulated per-case figures times {obs['cases_per_year']:.0f} cases a year; ranges are "
        "min-max over the runs.",
        f"An automated step takes {auto_s:g} s, around the clock, on unbounded capacity, and its batching "
        "delay is removed (the batch was a human routine); waiting for outsiders stays.",
        f"An AI-assisted step is reviewed by the same people in {ai_share:.0%} of today's processing time "
        f"(the analytical range uses {AI_REVIEW_SHARE_RANGE[0]:.0%}-{AI_REVIEW_SHARE_RANGE[1]:.0%}).",
        "Before an activity receiving a failing handoff, the routing step caps the delay no resource "
        "explains at the SLA (waits longer than the SLA end at it); waiting for busy people is not capped, "
        "since an SLA does not add capacity. The cap applies to every wait before that activity.",
        "Keep-human and fix-first steps are unchanged; the routing steps themselves take no time.",
    ]
    if not model.has_start:
        out.append(
            "The log has no start times: processing times are zero, every wait is a delay sampled from the "
            "log (people work around the clock, since their hours are inside those waits), resources never "
            "queue, an automated step keeps the wait before it (it cannot be split into work, queue and "
            "waiting for outsiders), and human workload cannot be measured (it is reported as 0): the "
            "simulated difference comes from the SLA caps alone."
        )
    return out
