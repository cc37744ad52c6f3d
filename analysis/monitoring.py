"""The KPI baseline and monitoring plan: the numbers to re-measure after the change, and their re-measurement.

:func:`build_monitoring_plan` picks from the findings the KPIs a redesign should move (the process KPIs
and, per step, the waiting of the top bottlenecks, the processing of the steps recommended for
automation and the waiting of the steps receiving failing handoffs), measures each on the log with
:func:`analysis.compare.measure_log` (the code :func:`analysis.compare_logs` compares with), with its
95 % interval, and says for each how many cases a re-measurement needs to detect the expected change and
when to review it. The CLI writes it as ``kpi_baseline.json``. :func:`compare_to_baseline` re-measures
every KPI of the plan on a later log with the same code and settings and says what moved, with the
uncertainty of the change, and whether the expected change was met. ``docs/compare.md`` is the method page.
"""

from __future__ import annotations

import copy
import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.compare import (
    HOURS_PER_MONTH,
    MIN_HOURS,
    MIN_RELATIVE_CHANGE,
    MIN_SAMPLE,
    MIN_SHARE,
    RESAMPLES,
    LogMeasures,
    measure_log,
)
from analysis.escape import escape_figure, plotly_text
from analysis.export import json_ready, json_text
from analysis.stats import adjust_p_values
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: The format of ``kpi_baseline.json``.
PLAN_SCHEMA = "flowready.kpi_baseline/1"
#: Per-step KPIs: at most this many bottleneck steps and steps receiving failing handoffs.
TOP_STEPS = 3
#: The power the minimum number of cases is computed for (the chance to detect the change when it is real).
POWER = 0.8
#: The process KPIs offered, with the blueprint KPI each re-measures and why it is tracked.
PROCESS_KPIS: dict[str, tuple[str, str]] = {
    "cycle_hours_median": ("cycle_time_median", "how long a typical case takes"),
    "cycle_hours_p90": ("cycle_time_p90", "how long the slow cases take"),
    "waiting_hours_per_case_median": ("waiting_time_total", "how long a typical case waits in all"),
    "rework_rate": ("rework_rate", "how often work is redone"),
    "ping_pong_rate": ("ping_pong_cases", "how often work bounces between performers"),
    "cases_per_month": ("", "demand: read the other KPIs against it (neutral)"),
}
#: Blueprint KPIs that are not re-measured, and why.
NOT_REMEASURED = {
    "stuck_cases": "depends on when each log was exported (open cases older than the p95 cycle time); "
    "compare the open cases of the two exports by hand",
    "waiting_time_median": "a median over the waits of every step mixes cheap and costly steps; the "
    "waiting per case and per bottleneck step are tracked instead",
    "handoff_delay_median": "tracked as the waiting of the steps that receive the failing handoffs",
    "handoff_failure_cases": "needs the handoff-failure analysis of both logs: run compare_logs with "
    "failures_before and failures_after",
}

KPI_COLUMNS = [
    "kpi",
    "level",
    "activity",
    "measure",
    "why",
    "blueprint_kpi",
    "unit",
    "better_when",
    "baseline",
    "ci_low",
    "ci_high",
    "n",
    "expected_change",
    "expected_source",
    "simulated_target",
    "target",
    "detectable_change",
    "min_cases",
    "review_after_days",
    "cadence",
    "values_per_case",
    "distribution",
]


@dataclass(frozen=True)
class MonitoringPlan:
    """The KPIs to re-measure after a change: baseline, interval, direction, target, cases needed, cadence.

    Attributes
    ----------
    kpis : pandas.DataFrame
        One row per KPI tracked: ``kpi`` (str: the measure, ``"<measure>: <activity>"`` for a step), ``level``
        (``"process"`` or ``"step"``), ``activity`` (str, "" for the process), ``measure`` (str: the row of
        :func:`analysis.compare.measure_log` that measures it, :data:`analysis.compare.PROCESS_MEASURES` or
        :data:`analysis.compare.STEP_MEASURES`), ``why`` (str: why it is tracked), ``blueprint_kpi`` (str: the
        ``Blueprint.kpis`` key it re-measures, or ""), ``unit`` (str: ``"hours"``, ``"share"``, ``"cases per
        month"``), ``better_when`` (``"lower"``, ``"higher"``, ``"neutral"``), ``baseline`` (float, in
        ``unit``), ``ci_low``, ``ci_high`` (float: its 95 % interval, block bootstrap over periods of case
        starts), ``n`` (int: values measured), ``expected_change`` (float: relative change expected, e.g.
        -0.3; NaN when not known), ``expected_source`` (str: where it comes from, "" when none),
        ``simulated_target`` (float: the KPI a simulation of the redesign predicts; NaN until one is set with
        :meth:`with_expected`), ``target`` (float: ``simulated_target``, else ``baseline * (1 +
        expected_change)``; NaN without either), ``detectable_change`` (float: the relative change
        ``min_cases`` is sized for: the expected one, or else the smallest relevant one), ``min_cases`` (int:
        cases the after log needs, see :func:`build_monitoring_plan`), ``review_after_days`` (float),
        ``cadence`` (str), ``values_per_case`` (float: values the KPI has per case: closed cases per case, or
        instances of the step per case), ``distribution`` (list of float: the baseline's bootstrap
        distribution as :data:`analysis.compare.DISTRIBUTION_POINTS` quantiles, which
        :func:`compare_to_baseline` compares the re-measurement's with).
    excluded : pandas.DataFrame
        KPIs not offered for tracking: ``kpi`` (str), ``reason`` (str).
    settings : dict
        What a re-measurement must reuse: :attr:`analysis.compare.LogMeasures.settings` (``period_hours``,
        ``end_activities``, ``handoff_level``, ``confidence``, ``resamples``, ``seed``, ``sample_cap``) and
        ``alpha``, ``power``, ``cases_per_month``, ``cycle_hours_p90``.
    source : str
        The baseline log.
    cases : int
        Cases in the baseline log.
    notes : list of str
    """

    kpis: pd.DataFrame
    excluded: pd.DataFrame
    settings: dict
    source: str
    cases: int
    notes: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The KPI table (a copy)."""
        return self.kpis.copy()

    def to_dict(self) -> dict:
        """The ``kpi_baseline.json`` document (NaN as ``null``).

        Keys: ``schema`` (:data:`PLAN_SCHEMA`), ``source``, ``cases``, ``settings``, ``kpis`` (records of
        :attr:`kpis`), ``excluded`` (records), ``notes``.
        """
        return {
            "schema": PLAN_SCHEMA,
            "source": self.source,
            "cases": int(self.cases),
            "settings": json_ready(self.settings),
            "kpis": [json_ready(r) for r in self.kpis.to_dict(orient="records")],
            "excluded": [json_ready(r) for r in self.excluded.to_dict(orient="records")],
            "notes": list(self.notes),
        }

    def to_json(self, path: str | Path) -> Path:
        """Write ``kpi_baseline.json``; returns the path."""
        path = Path(path)
        path.write_text(json_text(self.to_dict()), "utf-8")
        return path

    def with_expected(self, changes: Mapping[str, float], *, source: str = "simulation") -> MonitoringPlan:
        """A new plan with expected KPI values (e.g. from a simulation of the redesign) as targets.

        Parameters
        ----------
        changes : mapping of str to float
            KPI (a ``kpi`` of :attr:`kpis`) -> the value expected after the change, in the KPI's unit.
        source : str
            Where the values come from, stored in ``expected_source``.

        Returns
        -------
        MonitoringPlan
            ``simulated_target`` and ``target`` set, ``expected_change`` the relative change to it, and
            ``min_cases``, ``review_after_days`` and ``cadence`` sized for that change.

        Raises
        ------
        AnalysisError
            A key is not a KPI of the plan, or a value is not a finite number.
        """
        _check_changes(changes, self.kpis, "changes")
        k = self.kpis.copy()
        for kpi, value in changes.items():
            i = k.index[k["kpi"] == kpi][0]
            k.loc[i, "simulated_target"] = float(value)
            k.loc[i, "expected_change"] = float(value) / k.loc[i, "baseline"] - 1
            k.loc[i, "expected_source"] = source
        return replace(self, kpis=_size(k, self.settings))

    def plot(self) -> go.Figure:
        """A plotly dot plot of each KPI's baseline interval and target, relative to the baseline.

        Every KPI is drawn on one scale, the change from its baseline (%): the baseline's interval as
        error bars around 0 and the target as a diamond at ``expected_change``, so that the reader sees
        at once which targets lie beyond the noise of today's process.

        Returns
        -------
        plotly.graph_objects.Figure
            Two traces: ``baseline`` (x 0 with the interval, %) and ``target`` (x the expected change, %;
            KPIs without a target have none). KPI names escaped.

        Examples
        --------
        >>> from analysis import analyze
        >>> plan = build_monitoring_plan(
        ...     analyze(load_event_log(SAMPLE), impact="off", sensitivity=False), resamples=200
        ... )
        >>> fig = plan.plot()
        >>> len(fig.data[0].y) == len(plan.kpis)
        True
        """
        k = self.kpis.iloc[::-1]
        base = k["baseline"].replace(0, np.nan)
        lo = (100 * (k["baseline"] - k["ci_low"]) / base).clip(lower=0).fillna(0)
        hi = (100 * (k["ci_high"] - k["baseline"]) / base).clip(lower=0).fillna(0)
        fig = go.Figure(
            [
                go.Scatter(
                    x=np.zeros(len(k)),
                    y=k["kpi"],
                    mode="markers",
                    name="baseline (with its interval)",
                    marker={"color": "#0072b2", "size": 8},
                    error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo},
                    customdata=k[["baseline", "ci_low", "ci_high", "unit"]].to_numpy(),
                    hovertemplate=(
                        "%{y}: %{customdata[0]:.3g} %{customdata[3]}"
                        "<br>interval %{customdata[1]:.3g} to %{customdata[2]:.3g}<extra></extra>"
                    ),
                ),
                go.Scatter(
                    x=100 * k["expected_change"],
                    y=k["kpi"],
                    mode="markers",
                    name="target",
                    marker={"color": "#d55e00", "size": 10, "symbol": "diamond"},
                    customdata=k[["target", "unit", "min_cases"]].to_numpy(),
                    hovertemplate=(
                        "%{y}: target %{customdata[0]:.3g} %{customdata[1]} (%{x:+.0f}%)"
                        "<br>needs %{customdata[2]:,} cases after the change<extra></extra>"
                    ),
                ),
            ]
        )
        fig.add_vline(x=0, line_color="#555555", line_width=1)
        fig.update_layout(
            title="KPI baseline and targets (change from the baseline, %)",
            xaxis_title="change from the baseline (%)",
            yaxis={"type": "category"},
            height=180 + 26 * len(k),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        shown = [
            "kpi",
            "unit",
            "baseline",
            "ci_low",
            "ci_high",
            "better_when",
            "target",
            "min_cases",
            "cadence",
        ]
        excl = "".join(
            f"<li>{html.escape(r.kpi)}: {html.escape(r.reason)}</li>" for r in self.excluded.itertuples()
        )
        return (
            f"<b>KPI baseline and monitoring plan</b> of {html.escape(self.source)} ({self.cases:,} cases)"
            + self.kpis[shown].to_html(index=False)
            + (f"<b>Not tracked</b><ul>{excl}</ul>" if excl else "")
        )


def _check_changes(changes, kpis: pd.DataFrame, name: str) -> None:
    if not isinstance(changes, Mapping):
        raise AnalysisError(f"{name} must be a mapping of KPI to number, not {type(changes).__name__}.")
    unknown = sorted(set(changes) - set(kpis["kpi"]))
    if unknown:
        raise AnalysisError(
            f"{name} names KPIs the plan does not track: {unknown}; it tracks {list(kpis['kpi'])}."
        )
    for kpi, v in changes.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise AnalysisError(f"{name}[{kpi!r}] must be a finite number, not {v!r}.")


def _z(p: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(p))


def _size(k: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """Targets, the change to detect, the minimum cases and the review time of every KPI row.

    The standard error of a KPI is read off its bootstrap interval, ``se = (high - low) / (2 z)``; it
    shrinks as ``1 / sqrt(n)``. Comparing two independent measurements of ``m`` values each, a change
    ``delta`` is detected by a two-sided test at ``alpha`` with probability ``power`` when
    ``m >= 2 n (z_{1-alpha/2} + z_{power})^2 se^2 / delta^2`` (the usual two-sample size formula with the
    measured standard error). Values are turned into cases with the log's values per case.
    """
    k = k.assign(
        target=math.nan, detectable_change=math.nan, min_cases=0, review_after_days=math.nan, cadence=""
    )
    alpha, power = settings["alpha"], settings["power"]
    z_ci = _z(1 - (1 - settings["confidence"]) / 2)
    z = _z(1 - alpha / 2) + _z(power)
    floors = {"hours": MIN_HOURS, "share": MIN_SHARE}
    per_day = settings["cases_per_month"] / (HOURS_PER_MONTH / 24) if settings["cases_per_month"] > 0 else 0.0
    close_days = settings["cycle_hours_p90"] / 24
    for i, r in k.iterrows():
        expected = r["expected_change"]
        k.loc[i, "target"] = (
            r["simulated_target"]
            if np.isfinite(r["simulated_target"])
            else r["baseline"] * (1 + expected)
            if np.isfinite(expected)
            else math.nan
        )
        if np.isfinite(expected) and expected != 0:
            delta = abs(r["baseline"] * expected)
        else:
            # the smallest relevant change (compare_logs'), but never more than the whole baseline
            delta = min(
                max(MIN_RELATIVE_CHANGE * abs(r["baseline"]), floors.get(r["unit"], 0.0)), abs(r["baseline"])
            )
        k.loc[i, "detectable_change"] = delta / abs(r["baseline"]) if r["baseline"] else math.nan
        se = (r["ci_high"] - r["ci_low"]) / (2 * z_ci)
        values = max(MIN_SAMPLE, math.ceil(2 * r["n"] * (z * se / delta) ** 2)) if delta > 0 else MIN_SAMPLE
        cases = math.ceil(values / r["values_per_case"])
        k.loc[i, "min_cases"] = cases
        days = cases / per_day + close_days if per_day > 0 else math.inf
        k.loc[i, "review_after_days"] = days
        if not math.isfinite(days):
            cadence = "cannot be timed: no case starts were measured"
        elif days > 365:
            cadence = (
                f"needs about {days / 365:.1f} years of cases at the current volume: track it, but expect "
                "no verdict soon"
            )
        else:
            cadence = f"review {math.ceil(days)} days after the change (then every {math.ceil(days)} days)"
        k.loc[i, "cadence"] = cadence
    return k.astype({"min_cases": "int64"})


def build_monitoring_plan(
    findings,
    *,
    expected: Mapping[str, float] | None = None,
    top_steps: int = TOP_STEPS,
    alpha: float = 0.05,
    power: float = POWER,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> MonitoringPlan:
    """The KPI baseline and monitoring plan of an analysis: what to re-measure after the change.

    **KPIs**: the process KPIs of :data:`PROCESS_KPIS` (the blueprint's cycle time, waiting, rework and
    ping-pong, and the demand to read them against), then per step: the median waiting before the
    ``top_steps`` worst bottlenecks, the median processing of the steps recommended for automation (not
    already automated; with start times only), and the median waiting before the steps that receive the
    ``top_steps`` worst failing handoffs. Each is measured with :func:`analysis.compare.measure_log`, the
    code :func:`analysis.compare_logs` compares with, and its 95 % interval (block bootstrap over periods
    of case starts). A KPI whose baseline is 0 (nothing to reduce; a relative change is undefined) or that
    cannot be measured on the log is not offered and ``excluded`` says why; so are the blueprint KPIs that
    are not re-measured (:data:`NOT_REMEASURED`).

    **Cases needed**: the smallest number of cases an after log needs for a two-sided test at ``alpha`` to
    detect the expected change (or else the smallest relevant change of :func:`analysis.compare_logs`:
    10 %, and at least 0.25 h or 2 points) with probability ``power``, from the KPI's standard error read
    off its interval (see Notes). **Review**: after the time the baseline's demand takes to start that many
    cases, plus the p90 cycle time for them to close.

    Parameters
    ----------
    findings : Findings
        From :func:`analysis.analyze` (its ``log``, bottlenecks, readiness and handoff failures).
    expected : mapping of str to float, optional
        KPI -> expected relative change (e.g. ``{"waiting_hours_median: Assess application": -0.5}``).
        Values from a simulation are better set with :meth:`MonitoringPlan.with_expected`.
    top_steps : int, default 3
    alpha : float, default 0.05
    power : float, default 0.8
    resamples, seed
        Of the bootstrap (:func:`analysis.compare.measure_log`).

    Returns
    -------
    MonitoringPlan

    Raises
    ------
    AnalysisError
        ``expected`` names a KPI that is not tracked or gives a non-number; ``alpha``, ``power`` or
        ``top_steps`` is out of range.

    Notes
    -----
    ``min_cases = ceil(2 n (z_{1-alpha/2} + z_{power})^2 se^2 / delta^2 / v)``, where ``n`` values gave
    the baseline's standard error ``se``, ``delta`` is the change in the KPI's unit and ``v`` the values per
    case (closed cases per case for a process KPI, instances per case for a step). It assumes the after log
    spreads as the before log did and that its cases are as dependent (the block bootstrap's ``se`` keeps
    that dependence).

    References
    ----------
    Chow, Shao & Wang (2008), *Sample Size Calculations in Clinical Research*, 2nd ed., §3.2 (two-sample
    comparison of means); Davison & Hinkley (1997), *Bootstrap Methods and their Application*, §8.2;
    Kaplan & Norton (1996), *The Balanced Scorecard* (a baseline, a target and a review cadence per
    measure).

    Examples
    --------
    >>> from analysis import analyze
    >>> findings = analyze(load_event_log("sample_logs/council_permits.csv"))
    >>> plan = build_monitoring_plan(findings, resamples=500)
    >>> "waiting_hours_median: Assess application" in set(plan.kpis["kpi"])
    True
    """
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise AnalysisError(f"alpha must be between 0 and 1 (e.g. 0.05), not {alpha!r}.")
    if not (isinstance(power, int | float) and 0 < power < 1):
        raise AnalysisError(f"power must be between 0 and 1 (e.g. 0.8), not {power!r}.")
    if isinstance(top_steps, bool) or not isinstance(top_steps, int) or top_steps < 0:
        raise AnalysisError(f"top_steps must be a non-negative integer, not {top_steps!r}.")
    log: EventLog = findings.log
    m = measure_log(log, resamples=resamples, seed=seed)
    wanted = _wanted_kpis(findings, m, top_steps)
    values = m.values.set_index(["level", "activity", "measure"])
    rows, excluded = [], []
    for (level, act, measure), (why, bp) in wanted.items():
        kpi = measure if level == "process" else f"{measure}: {act}"
        if (level, act, measure) not in values.index:
            excluded.append({"kpi": kpi, "reason": _absent_reason(measure, log)})
            continue
        r = values.loc[(level, act, measure)]
        if not np.isfinite(r["value"]):
            excluded.append({"kpi": kpi, "reason": f"undefined on this log ({r['test']})"})
            continue
        if r["value"] == 0:
            excluded.append(
                {
                    "kpi": kpi,
                    "reason": "baseline of 0: there is nothing to reduce and a relative change is undefined",
                }
            )
            continue
        if not np.isfinite(r["ci_low"]):
            excluded.append({"kpi": kpi, "reason": f"no interval: {r['test']}"})
            continue
        rows.append(
            {
                "kpi": kpi,
                "level": level,
                "activity": act,
                "measure": measure,
                "why": why,
                "blueprint_kpi": bp,
                "unit": r["unit"],
                "better_when": r["better_when"],
                "baseline": float(r["value"]),
                "ci_low": float(r["ci_low"]),
                "ci_high": float(r["ci_high"]),
                "n": int(r["n"]),
                "expected_change": math.nan,
                "expected_source": "",
                "simulated_target": math.nan,
                "values_per_case": max(float(r["population"]), 1.0) / max(m.cases, 1),
                "distribution": r["distribution"],
            }
        )
    excluded += [
        {"kpi": k, "reason": why} for k, why in NOT_REMEASURED.items() if k in findings.blueprint.kpis
    ]
    kpis = pd.DataFrame(rows, columns=[c for c in KPI_COLUMNS if c not in _SIZED])
    process = m.values[m.values["level"] == "process"].set_index("measure")["value"]
    settings = {
        **m.settings,
        "alpha": alpha,
        "power": power,
        "cases_per_month": float(process.get("cases_per_month", math.nan)),
        "cycle_hours_p90": float(process.get("cycle_hours_p90", 0.0)),
    }
    if expected:
        _check_changes(expected, kpis, "expected")
        for kpi, change in expected.items():
            kpis.loc[kpis["kpi"] == kpi, ["expected_change", "expected_source"]] = [float(change), "given"]
    else:
        for kpi, change in simulated_changes(findings.impact, kpis).items():
            kpis.loc[kpis["kpi"] == kpi, ["expected_change", "expected_source"]] = [change, "simulation"]
            kpis.loc[kpis["kpi"] == kpi, "simulated_target"] = kpis.loc[kpis["kpi"] == kpi, "baseline"] * (
                1 + change
            )
    kpis = _size(kpis, settings)
    notes = [*m.notes, f"Minimum cases: two-sided test at {alpha:g} with power {power:.0%}."]
    return MonitoringPlan(
        kpis[KPI_COLUMNS],
        pd.DataFrame(excluded, columns=["kpi", "reason"]),
        settings,
        m.source,
        int(m.cases),
        notes,
    )


def simulated_changes(impact, kpis: pd.DataFrame) -> dict[str, float]:
    """The relative changes a simulated impact expects, for the KPIs of a plan it can speak for.

    The simulation's level is off from the log's by its validation error, so the *relative* change of
    TO-BE against AS-IS (same seeds) is applied to the observed baseline: the cycle-time KPIs from the
    impact's summary (median and p90), the median waiting before a step from the step's simulated mean
    waiting (a mean's change read as the median's), and the processing of an automated step from the
    simulation's automated duration (``automated_seconds``).

    Parameters
    ----------
    impact : Impact or None
        ``Findings.impact`` (:func:`analysis.simulate_impact`); nothing is expected without a simulation
        that reproduces the log (:meth:`analysis.Impact.reproduces_log`).
    kpis : pandas.DataFrame
        The plan's KPIs (``kpi``, ``level``, ``activity``, ``measure``, ``baseline``).

    Returns
    -------
    dict of str to float
        KPI -> expected relative change (e.g. -0.3 for 30 % less); only conclusive, finite changes.
    """
    if impact is None or not impact.reproduces_log():  # a simulation that misses the log expects nothing
        return {}
    out: dict[str, float] = {}
    s = impact.summary.set_index("metric")
    for metric in ("cycle_hours_median", "cycle_hours_p90"):
        if metric in s.index and metric in set(kpis["kpi"]):
            r = s.loc[metric]
            conclusive = r["saved_low"] > 0 or r["saved_high"] < 0
            if conclusive and r["as_is"] > 0 and np.isfinite(r["to_be"]):
                out[metric] = float(r["to_be"] / r["as_is"] - 1)
    seconds = impact.parameters.get("automated_seconds")
    automated = set(impact.changes.loc[impact.changes["change"] == "automate", "activity"])
    for row in kpis[kpis["measure"] == "processing_hours_median"].itertuples():
        if seconds is not None and row.activity in automated and row.baseline > 0:
            out[row.kpi] = min(float(seconds) / 3600 / float(row.baseline) - 1, 0.0)
    a = impact.activities
    if len(a) and {"waiting_hours_mean_as_is", "waiting_hours_mean_to_be"} <= set(a.columns):
        waits = kpis[kpis["measure"] == "waiting_hours_median"]
        by_act = a.set_index("activity")
        for row in waits.itertuples():
            if row.activity in by_act.index:
                before = float(by_act.loc[row.activity, "waiting_hours_mean_as_is"])
                after = float(by_act.loc[row.activity, "waiting_hours_mean_to_be"])
                if before > 0 and np.isfinite(after) and abs(after / before - 1) >= 0.05:
                    out[row.kpi] = after / before - 1
    return out


_SIZED = {"target", "detectable_change", "min_cases", "review_after_days", "cadence"}


def _absent_reason(measure: str, log: EventLog) -> str:
    if (
        measure in ("processing_hours_median", "waiting_hours_per_case_median")
        and not log.has_start_timestamps
    ):
        return "the log has no start times: processing (and waiting apart from it) is not measured"
    if measure == "ping_pong_rate":
        return "the log names neither roles nor resources"
    return "not measured on this log"


def _wanted_kpis(findings, m: LogMeasures, top_steps: int) -> dict:
    """(level, activity, measure) -> (why, blueprint KPI), in the plan's order."""
    wanted: dict = {}

    def add(key, why, bp=""):
        if key in wanted:
            wanted[key] = (wanted[key][0] + "; " + why, wanted[key][1] or bp)
        else:
            wanted[key] = (why, bp)

    for measure, (bp, why) in PROCESS_KPIS.items():
        add(("process", "", measure), why, bp)
    b = findings.bottlenecks.activities
    b = b[b["bottleneck"]] if "bottleneck" in b else b
    for r in b.head(top_steps).itertuples():
        add(("step", r.activity, "waiting_hours_median"), f"bottleneck #{r.rank}")
    s = findings.readiness.scores
    done = (
        s["already_automated"].astype(bool) if "already_automated" in s else pd.Series(False, index=s.index)
    )
    auto = s[(s["recommendation"] == "automate") & ~done]
    for act in auto["activity"]:
        add(("step", act, "processing_hours_median"), "recommended for automation")
    failures = getattr(findings, "handoff_failures", None)
    if failures is not None and len(failures.failures):
        for r in failures.failures.head(top_steps).itertuples():
            add(
                ("step", r.activity, "waiting_hours_median"),
                f"receives a failing handoff ({r.pattern}: {r.source} -> {r.target})",
            )
    return wanted


def load_monitoring_plan(path: str | Path) -> MonitoringPlan:
    """Read a ``kpi_baseline.json`` written by :meth:`MonitoringPlan.to_json`.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    MonitoringPlan

    Raises
    ------
    AnalysisError
        The file is missing, not JSON, or not a KPI baseline (the message names the file and what is wrong).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise AnalysisError(
            f"{path}: no such KPI baseline file (write one with `flowready analyze`)."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"{path}: not a JSON KPI baseline ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("schema") != PLAN_SCHEMA:
        raise AnalysisError(
            f"{path}: not a KPI baseline (its 'schema' should be {PLAN_SCHEMA!r}; it is the "
            "kpi_baseline.json that `flowready analyze` writes)."
        )
    missing = {"source", "cases", "settings", "kpis", "excluded"} - set(doc)
    needed = {"kpi", "level", "activity", "measure", "baseline", "ci_low", "ci_high", "min_cases"}
    lacking = sorted(needed - set().union(*(set(r) for r in doc["kpis"]))) if doc.get("kpis") else []
    if missing or lacking:
        raise AnalysisError(f"{path}: the KPI baseline lacks {sorted(missing) + lacking}.")
    kpis = pd.DataFrame(doc["kpis"])
    for c in kpis.columns:
        if c not in (
            "kpi",
            "level",
            "activity",
            "measure",
            "why",
            "blueprint_kpi",
            "unit",
            "better_when",
            "expected_source",
            "cadence",
            "distribution",
        ):
            kpis[c] = pd.to_numeric(kpis[c], errors="coerce")
    kpis = kpis.astype({"min_cases": "int64", "n": "int64"}) if len(kpis) else kpis
    return MonitoringPlan(
        kpis,
        pd.DataFrame(doc["excluded"], columns=["kpi", "reason"]),
        dict(doc["settings"]),
        str(doc["source"]),
        int(doc["cases"]),
        list(doc.get("notes", [])),
    )


RESULT_COLUMNS = [
    "kpi",
    "level",
    "activity",
    "measure",
    "unit",
    "better_when",
    "baseline",
    "baseline_ci_low",
    "baseline_ci_high",
    "after",
    "after_ci_low",
    "after_ci_high",
    "difference",
    "relative_change",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "changed",
    "direction",
    "target",
    "met_target",
    "min_cases",
    "cases_after",
    "enough_cases",
]


@dataclass(frozen=True)
class BaselineComparison:
    """Every KPI of a monitoring plan, re-measured on a later log: what moved, how surely, and against target.

    Attributes
    ----------
    kpis : pandas.DataFrame
        One row per KPI of the plan: ``kpi``, ``level``, ``activity``, ``measure``, ``unit``, ``better_when``
        (as in the plan), ``baseline``, ``baseline_ci_low``, ``baseline_ci_high`` (float: from the plan),
        ``after``, ``after_ci_low``, ``after_ci_high`` (float: re-measured, NaN when the after log does not
        have it), ``difference`` (``after - baseline``), ``relative_change`` (float), ``ci_low``, ``ci_high``
        (float: the interval of the difference, from the two bootstrap distributions, never narrower than
        MOVER of the two intervals), ``p_value``, ``p_adjusted`` (float: from the two distributions;
        Benjamini-Hochberg over the plan's KPIs), ``changed`` (bool: adjusted p below ``alpha``, interval
        excluding 0 and a practical effect as :func:`analysis.compare_logs` requires), ``direction`` (str:
        ``"better"``, ``"worse"``, ``"higher"`` / ``"lower"`` for neutral KPIs, ``"no change"``, ``"not
        measured"``), ``target`` (float: the plan's), ``met_target`` (bool or None: the after value reached
        the target; None without one), ``min_cases`` (int: the plan's), ``cases_after`` (int: cases in the
        after log), ``enough_cases`` (bool: ``cases_after >= min_cases``; without enough, "no change" is not
        evidence of no effect).
    notes : list of str
    settings : dict
        The plan's settings the re-measurement used.
    baseline_name, after_name : str
    """

    kpis: pd.DataFrame
    notes: list
    settings: dict
    baseline_name: str
    after_name: str

    def to_frame(self) -> pd.DataFrame:
        """The KPI table (a copy)."""
        return self.kpis.copy()

    def to_dict(self) -> dict:
        """``baseline_comparison.json``: ``baseline``, ``after``, ``settings``, ``kpis`` (records),
        ``notes``."""
        return {
            "baseline": self.baseline_name,
            "after": self.after_name,
            "settings": json_ready(self.settings),
            "kpis": [json_ready(r) for r in self.kpis.to_dict(orient="records")],
            "notes": list(self.notes),
        }

    def to_json(self, path: str | Path) -> Path:
        """Write the document of :meth:`to_dict`; returns the path."""
        path = Path(path)
        path.write_text(json_text(self.to_dict()), "utf-8")
        return path

    def plot(self) -> go.Figure:
        """A plotly forest plot of each KPI's change from the baseline, with its interval and target.

        Returns
        -------
        plotly.graph_objects.Figure
            One dot per measured KPI at its relative change (%), the interval of the change as error bars,
            coloured by ``direction`` (green better, vermilion worse, blue a change of a neutral KPI, grey
            no change; Okabe & Ito); the target as a diamond. KPI names escaped.

        Examples
        --------
        >>> from analysis import analyze
        >>> log = load_event_log(SAMPLE)
        >>> plan = build_monitoring_plan(analyze(log, impact="off", sensitivity=False), resamples=200)
        >>> fig = compare_to_baseline(plan, log).plot()
        >>> [round(x) for x in fig.data[0].x][:3]
        [0, 0, 0]
        """
        k = self.kpis[self.kpis["after"].notna()].iloc[::-1]
        base = k["baseline"].replace(0, np.nan)
        x = 100 * k["relative_change"].astype("float64")
        hi = (100 * k["ci_high"] / base - x).clip(lower=0).fillna(0)
        lo = (x - 100 * k["ci_low"] / base).clip(lower=0).fillna(0)
        colours = {"better": "#009e73", "worse": "#d55e00", "higher": "#0072b2", "lower": "#0072b2"}
        fig = go.Figure(
            [
                go.Scatter(
                    x=x,
                    y=k["kpi"],
                    mode="markers",
                    name="change",
                    marker={"color": [colours.get(d, "#999999") for d in k["direction"]], "size": 9},
                    error_x={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo},
                    customdata=k[["baseline", "after", "direction", "p_adjusted"]].to_numpy(),
                    hovertemplate=(
                        "%{y}: %{x:+.1f}% (%{customdata[2]})<br>baseline %{customdata[0]:.3g}, after "
                        "%{customdata[1]:.3g}<br>adjusted p %{customdata[3]:.2g}<extra></extra>"
                    ),
                ),
                go.Scatter(
                    x=100 * (k["target"] / base - 1),
                    y=k["kpi"],
                    mode="markers",
                    name="target",
                    marker={"color": "#000000", "size": 9, "symbol": "diamond-open"},
                    hovertemplate="%{y}: target %{x:+.0f}%<extra></extra>",
                ),
            ]
        )
        fig.add_vline(x=0, line_color="#555555", line_width=1)
        fig.update_layout(
            title=plotly_text(f"{self.after_name} against the baseline of {self.baseline_name}"),
            xaxis_title="change from the baseline (%), with its interval",
            yaxis={"type": "category"},
            height=180 + 26 * len(k),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        shown = [
            "kpi",
            "baseline",
            "after",
            "relative_change",
            "ci_low",
            "ci_high",
            "direction",
            "met_target",
        ]
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<b>{html.escape(self.after_name)} against the baseline of {html.escape(self.baseline_name)}</b>"
            + self.kpis[shown].to_html(index=False)
            + (f"<ul>{notes}</ul>" if notes else "")
        )


def mover_interval(
    before: float, before_low: float, before_high: float, after: float, after_low: float, after_high: float
) -> dict:
    """The interval of ``after - before`` from the two estimates' own (independent) intervals.

    The method of variance estimates recovery (MOVER): ``L = d - sqrt((after - after_low)^2 +
    (before_high - before)^2)``, ``U = d + sqrt((after_high - after)^2 + (before - before_low)^2)``; it keeps
    the asymmetry of each interval (a median's, a share's near 0) and reduces to the usual
    ``d ± z sqrt(se_a^2 + se_b^2)`` for symmetric ones.

    Parameters
    ----------
    before, before_low, before_high, after, after_low, after_high : float

    Returns
    -------
    dict
        ``difference``, ``low``, ``high`` (float).

    References
    ----------
    Zou & Donner (2008), "Construction of confidence limits about effect measures: a general approach",
    Statistics in Medicine 27(10), pp. 1693-1702; Newcombe (1998), Statistics in Medicine 17(8).

    Examples
    --------
    >>> mover_interval(10.0, 8.0, 12.0, 7.0, 6.0, 8.0)["low"] == 7.0 - 10.0 - (1.0 + 4.0) ** 0.5
    True
    """
    d = after - before
    return {
        "difference": d,
        "low": d - math.sqrt((after - after_low) ** 2 + (before_high - before) ** 2),
        "high": d + math.sqrt((after_high - after) ** 2 + (before - before_low) ** 2),
    }


def _difference(before: tuple, after: tuple, confidence: float) -> tuple[float, float, float, float]:
    """``(difference, low, high, p)`` of ``after - before``, each side ``(value, low, high, distribution)``.

    As :func:`analysis.compare_logs` reads two sets of resamples: the percentile interval of the
    differences of the two bootstrap distributions (every pair of their quantiles) and the p-value that
    inverts it; the interval is never narrower than :func:`mover_interval` of the two stored intervals
    (which, for quantiles, are never narrower than the case-level ones).
    """
    value_b, low_b, high_b, dist_b = before
    value_a, low_a, high_a, dist_a = after
    iv = mover_interval(value_b, low_b, high_b, value_a, low_a, high_a)
    d, lo, hi = iv["difference"], iv["low"], iv["high"]
    if not np.isfinite(d) or dist_a is None or dist_b is None or not np.isfinite(lo):
        return d, lo, hi, math.nan
    diffs = (
        np.asarray(dist_a, dtype="float64")[:, None] - np.asarray(dist_b, dtype="float64")[None, :]
    ).ravel()
    if diffs.min() == diffs.max() == 0:
        return d, lo, hi, 1.0
    tail = (1 - confidence) / 2
    b_lo, b_hi = np.quantile(diffs, [tail, 1 - tail], method="inverted_cdf")
    p = min(1.0, 2 * (min(int((diffs <= 0).sum()), int((diffs >= 0).sum())) + 1) / (len(diffs) + 1))
    return d, float(min(lo, b_lo)), float(max(hi, b_hi)), float(p)


def compare_to_baseline(
    plan: MonitoringPlan | str | Path, after: EventLog | str | Path, *, alpha: float | None = None
) -> BaselineComparison:
    """Re-measure every KPI of a monitoring plan on a later log and say what moved.

        The after log is measured by :func:`analysis.compare.measure_log` with the plan's settings (the same
    periods, end activities, handoff level, confidence and resamples), so each KPI is computed exactly as
    its baseline was. The interval of each change and its p-value come from the plan's stored bootstrap
    distribution and the re-measurement's, as :func:`analysis.compare_logs` reads its two sets of
    resamples (the interval never narrower than :func:`mover_interval` of the two intervals); the p-values
    are adjusted by Benjamini-Hochberg over the plan's KPIs. A KPI ``changed`` when the adjusted p-value is
    below ``alpha``, the interval excludes 0 and the change is practically relevant (at least 10 %, and
    0.25 h or 2 points as in :func:`analysis.compare_logs`, or half the baseline when the baseline is
    smaller than that, so that automating a ten-minute step away counts); ``met_target`` compares the
    after value with the plan's target.

    With the before log at hand, :func:`analysis.compare_logs` tests the two logs directly (a joint block
        bootstrap, every step); this function needs only the plan.

        Parameters
        ----------
        plan : MonitoringPlan, or the path of a ``kpi_baseline.json``
        after : EventLog or path
        alpha : float, optional
            The plan's ``alpha`` by default.

        Returns
        -------
        BaselineComparison

        Raises
        ------
        AnalysisError
            The plan file is not a KPI baseline, ``alpha`` is out of range, or the after log lacks the
            plan's end activities.

        References
        ----------
        Zou & Donner (2008), Statistics in Medicine 27(10); Benjamini & Hochberg (1995), JRSS B 57(1).

        Examples
        --------
        >>> from analysis import analyze
        >>> log = load_event_log("sample_logs/council_permits.csv")
        >>> plan = build_monitoring_plan(analyze(log), resamples=500)
        >>> same = compare_to_baseline(plan, log)
        >>> bool(same.kpis["changed"].any())
        False
    """
    if not isinstance(plan, MonitoringPlan):
        if not isinstance(plan, str | Path):
            raise AnalysisError(
                "plan must be a MonitoringPlan or the path of a kpi_baseline.json, not "
                f"{type(plan).__name__}."
            )
        plan = load_monitoring_plan(plan)
    s = plan.settings
    alpha = s.get("alpha", 0.05) if alpha is None else alpha
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise AnalysisError(f"alpha must be between 0 and 1 (e.g. 0.05), not {alpha!r}.")
    m = measure_log(
        after,
        confidence=s["confidence"],
        resamples=int(s["resamples"]),
        seed=int(s["seed"]),
        sample_cap=int(s["sample_cap"]),
        period_hours=float(s["period_hours"]),
        end_activities=list(s["end_activities"]) or None,
        handoff_level=s["handoff_level"] or "none",
    )
    values = m.values.set_index(["level", "activity", "measure"])
    floors = {"hours": MIN_HOURS, "share": MIN_SHARE}
    rows = []
    for r in plan.kpis.itertuples():
        key = (r.level, r.activity if isinstance(r.activity, str) else "", r.measure)
        a = values.loc[key] if key in values.index else None
        after_v = float(a["value"]) if a is not None else math.nan
        lo_a = float(a["ci_low"]) if a is not None else math.nan
        hi_a = float(a["ci_high"]) if a is not None else math.nan
        dist_a = a["distribution"] if a is not None else None
        d, lo, hi, p = _difference(
            (r.baseline, r.ci_low, r.ci_high, r.distribution),
            (after_v, lo_a, hi_a, dist_a),
            float(s["confidence"]),
        )
        target = r.target
        if not np.isfinite(target) or not np.isfinite(after_v):
            met = None
        elif r.better_when == "lower":
            met = bool(after_v <= target)
        elif r.better_when == "higher":
            met = bool(after_v >= target)
        else:
            met = bool(abs(after_v - r.baseline) >= abs(target - r.baseline))
        rows.append(
            {
                "kpi": r.kpi,
                "level": r.level,
                "activity": key[1],
                "measure": r.measure,
                "unit": r.unit,
                "better_when": r.better_when,
                "baseline": r.baseline,
                "baseline_ci_low": r.ci_low,
                "baseline_ci_high": r.ci_high,
                "after": after_v,
                "after_ci_low": lo_a,
                "after_ci_high": hi_a,
                "difference": d,
                "relative_change": d / r.baseline if r.baseline else math.nan,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": p,
                "target": target,
                "met_target": met,
                "min_cases": int(r.min_cases),
                "cases_after": int(m.cases),
                "enough_cases": bool(m.cases >= r.min_cases),
            }
        )
    df = pd.DataFrame(
        rows, columns=[c for c in RESULT_COLUMNS if c not in ("p_adjusted", "changed", "direction")]
    )
    df["p_adjusted"] = (
        adjust_p_values(df["p_value"].to_numpy(dtype="float64"), method="fdr_bh") if len(df) else []
    )
    rel = df["relative_change"].astype("float64")
    practical = (df["difference"].abs() >= df["unit"].map(floors).fillna(0.0)) & (
        rel.abs() >= MIN_RELATIVE_CHANGE
    )
    excludes = (df["ci_low"] > 0) | (df["ci_high"] < 0)
    df["changed"] = ((df["p_adjusted"] < alpha) & excludes & practical).astype(bool)
    sense = np.where(df["better_when"] == "neutral", 0, np.where(df["better_when"] == "lower", -1, 1))
    up = df["difference"] > 0
    better = np.where(up, sense > 0, sense < 0)
    df["direction"] = np.select(
        [df["after"].isna(), ~df["changed"], sense == 0, better],
        ["not measured", "no change", np.where(up, "higher", "lower"), "better"],
        default="worse",
    )
    notes = [
        *m.notes,
        "Each change's interval and p-value come from the baseline's and the re-measurement's bootstrap "
        "distributions (never narrower than MOVER of their intervals); Benjamini-Hochberg over the "
        f"{len(df)} KPIs.",
    ]
    short = df.loc[~df["enough_cases"], "kpi"].tolist()
    if short:
        notes.append(
            f"The after log has {m.cases:,} cases, fewer than {len(short)} KPI(s) need to detect their "
            f"change ({', '.join(short[:4])}{' …' if len(short) > 4 else ''}): for them 'no change' is not "
            "evidence of no effect."
        )
    return BaselineComparison(df[RESULT_COLUMNS], notes, copy.deepcopy(dict(s)), plan.source, m.source)
