"""Performance views that averages hide: the performance spectrum, drift of waiting, attribute drivers, SLAs.

Four views of how long cases take, each a plain function returning a frozen result object:

- :func:`performance_spectrum` — every occurrence of the slowest transitions drawn as a line over time
  (Denisov, Fahland & van der Aalst 2018), with indicators of batching and overtaking.
- :func:`find_waiting_drift` — monthly median and p90 waiting before the slowest steps, with the changes
  that are both statistically significant and large flagged.
- :func:`find_wait_drivers` — which case attributes go with long cycle time or waiting, with a test,
  effect sizes and counts per level.
- :func:`find_sla_breaches` — steps that take longer than a target, or finish after a due date.

Waiting follows :func:`analysis.find_bottlenecks`: before an event, from the completion of the previous
event of its case to its start (its completion when the log has no start times). The event-level work
runs in the engine (:mod:`analysis.queries.performance`); the statistical tests run with scipy on
deterministic samples drawn in the engine. The method page is ``docs/performance.md``.
"""

from __future__ import annotations

import hashlib
import html
import math
import numbers
from dataclasses import dataclass, field
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from analysis.bottlenecks import find_end_activities
from analysis.escape import escape_figure
from analysis.queries.performance import (
    activity_bounds,
    attribute_profile,
    attribute_table,
    breach_summary,
    capped_sample,
    case_breaches,
    case_cycle_hours,
    case_first_values,
    case_levels,
    case_waiting_hours,
    due_overruns,
    level_medians,
    log_span,
    monthly_waiting,
    numeric_edges,
    sampled_cases,
    spectrum_indicators,
    spectrum_sample,
    spectrum_segments,
    spectrum_stats,
    target_overruns,
    waiting_instances,
)
from analysis.stats import adjust_p_values
from mapper.columns import (
    ACTIVITY,
    CASE_ID,
    NOT_ATTRIBUTES,
    ROW_NR,
)
from mapper.engine import US_PER_HOUR, activity_stats, dfg_edges, execute
from mapper.errors import AnalysisError, TimestampError
from mapper.log import EventLog
from mapper.timestamps import parse_timestamps
from mapper.units import humanize_hours

# --- thresholds (each justified where it is used; copied into every result) ---------------------------

#: Performance spectrum: the directly-follows transitions shown by default (most hours of waiting).
SPECTRUM_TOP = 4
#: Performance spectrum: at most this many lines drawn per transition.
SPECTRUM_MAX_LINES = 2000
#: Two target instants *coincide* when they lie within this share of the transition's median duration.
BATCH_TOLERANCE_SHARE = 0.01
#: An occurrence is *batched* when its target instant coincides with at least this many others.
BATCH_MIN_OTHERS = 2
#: Overtaking is counted among each occurrence and the next this-many in target order.
OVERTAKING_WINDOW = 10

#: Drift: a month enters a comparison only with at least this many waits (and so does the month before).
DRIFT_MIN_INSTANCES = 20
#: Drift: ... and at least this share of the activity's median monthly number of waits.
DRIFT_MIN_VOLUME_SHARE = 0.25
#: Drift: a change is flagged only when the ratio of the monthly medians is beyond this (or below 1/it).
DRIFT_MIN_RATIO = 1.5
#: Drift: a month is incomplete at the log's start when more than this share of its observed span lies
#: within the activity's p90 case age at enabling of the log's start (those cases may be missing).
DRIFT_MAX_TRUNCATED_SHARE = 0.25
#: Drift: the Mann-Whitney test runs on at most this many waits per (activity, month), sampled in the engine.
DRIFT_SAMPLE_CAP = 2000

#: Drivers: a column is a case attribute when at most this share of the cases with a value have several.
CASE_VARYING_SHARE = 0.05
#: Drivers: a column whose values differ in at least this share of cases is an identifier (skipped).
IDENTIFIER_SHARE = 0.9
#: Drivers: the tests run on one deterministic sample of at most this many cases (all when fewer).
DRIVER_SAMPLE_CASES = 5000
#: Drivers: a level enters the tests with at least this many sampled cases.
MIN_LEVEL_CASES = 5
#: Drivers: columns that exports derive from each case's path (Disco, ProM), compared without case, ``_``,
#: ``-``, ``:``, ``(case)``: consequences of the path, never drivers of it.
DERIVED_COLUMNS = frozenset({"variant", "variantindex"})
#: Epsilon-squared bounds of small, medium and large effects (Cohen 1988's eta-squared benchmarks).
EPSILON_SQUARED_EFFECTS = (0.01, 0.06, 0.14)
#: |Cliff's delta| bounds of small, medium and large effects (Romano et al. 2006).
CLIFFS_DELTA_EFFECTS = (0.147, 0.33, 0.474)

#: SLA: example breaching cases per activity.
SLA_EXAMPLES = 5
#: SLA: at most this many breaching cases are listed (worst first); the counts cover all of them.
SLA_MAX_CASES = 1000

_QUARTILE_COLOURS = ("#2c7bb6", "#abd9e9", "#fdae61", "#d7191c")
_QUARTILE_NAMES = ("fastest quarter", "second quarter", "third quarter", "slowest quarter")


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise AnalysisError(f"{name} must be a positive integer, not {value!r}.")
    return int(value)


def _alpha(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise AnalysisError(f"alpha must be a number between 0 and 1 (exclusive), not {value!r}.")
    return float(value)


def _us_to_time(us: pd.Series) -> pd.Series:
    return pd.to_datetime(us.astype("int64"), unit="us", utc=True).astype("datetime64[ns, UTC]")


def _esc(x) -> str:
    return html.escape(str(x))


# --- 1. performance spectrum ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceSpectrum:
    """The performance spectrum of some transitions, with indicators of batching and overtaking.

    Attributes
    ----------
    transitions : pandas.DataFrame
        One row per transition, in the order shown: ``source``, ``target`` (str), ``occurrences``
        (int64, all of them in the log), ``drawn`` (int64, lines in ``segments``),
        ``duration_hours_q1``, ``duration_hours_median``, ``duration_hours_q3`` (float, hours from the
        completion of ``source`` to the start of ``target``, over all occurrences),
        ``batch_tolerance_hours`` (float), ``batched_share`` (float in [0, 1], occurrences whose target
        instant coincides with at least ``batch_min_others`` others), ``arrivals_bunched_share`` (the
        same over the source instants: the baseline), ``overtaking_share`` (float in [0, 1], NaN when
        no pair can be compared), ``compared_pairs`` (int64).
    segments : pandas.DataFrame
        The lines drawn: ``source``, ``target``, ``case_id`` (str), ``source_time``, ``target_time``
        (datetime64[ns, UTC]), ``duration_hours`` (float), ``quartile`` (int64, 1 = the fastest quarter
        of the transition's occurrences, 4 = the slowest).
    settings : dict
        ``max_lines``, ``seed``, ``batch_tolerance_share``, ``batch_min_others``, ``overtaking_window``.
    waiting_includes_processing : bool
        True when the log has no start timestamps: lines end at the target's completion.
    """

    transitions: pd.DataFrame
    segments: pd.DataFrame
    settings: dict = field(default_factory=dict)
    waiting_includes_processing: bool = True

    def to_frame(self) -> pd.DataFrame:
        """The per-transition table (a copy)."""
        return self.transitions.copy()

    def plot(self):
        """The spectrum as a plotly figure (see :func:`plot_performance_spectrum`)."""
        return plot_performance_spectrum(self)

    def _repr_html_(self) -> str:
        drawn = int(self.transitions["drawn"].sum()) if len(self.transitions) else 0
        total = int(self.transitions["occurrences"].sum()) if len(self.transitions) else 0
        return (
            f"<b>Performance spectrum</b>: {drawn:,} of {total:,} occurrences drawn"
            + self.transitions.to_html(index=False, escape=True)
        )


def performance_spectrum(
    log: EventLog,
    *,
    transitions: list[tuple[str, str]] | None = None,
    top: int = SPECTRUM_TOP,
    max_lines: int = SPECTRUM_MAX_LINES,
    seed: int = 0,
    batch_tolerance_share: float = BATCH_TOLERANCE_SHARE,
    batch_min_others: int = BATCH_MIN_OTHERS,
) -> PerformanceSpectrum:
    """The performance spectrum of the slowest transitions: one line per occurrence, over time.

    For each directly-follows transition *a → b*, every occurrence is a segment from the completion of
    *a* to the start of *b* (its completion when the log has no start times), drawn between two
    horizontal axes on a shared time axis and coloured by the quartile of its duration. Patterns that
    averages hide become visible: lines converging on one instant (batching), parallel lines (a FIFO
    queue), crossing lines (overtaking).

    Indicators, computed over **all** occurrences in the engine:

    - ``batched_share``: occurrences whose target instant coincides with at least ``batch_min_others``
      (default 2) other target instants of the transition. Two instants *coincide* when they lie within
      ``batch_tolerance_share`` (default 1 %) of the transition's median duration: what the eye sees as
      lines meeting in one point is an end spread that is small against the lines' length, so the
      tolerance scales with it (a weekly letter run done one by one over 40 minutes is one point next to
      waits of days). The same count over the source instants, ``arrivals_bunched_share``, is the
      baseline: batching is a target share well above it (arrivals spread, departures together); when
      both are high the timestamps are coarse (dates only) or the work arrives in bulk.
    - ``overtaking_share``: among pairs of occurrences close in target order (each with the next
      :data:`OVERTAKING_WINDOW` by target instant), the share where the one that started first arrived
      later. Pairs tied on either instant are not compared. 0 for a FIFO queue; near 0.5 when the order
      of service is unrelated to the order of arrival.

    Lines are sampled in the engine, deterministically: per transition, the ``max_lines`` occurrences
    whose case ids hash lowest (salted with ``seed``), so a case is drawn in every transition or in
    none. ``drawn`` and ``occurrences`` say how many of how many.

    Parameters
    ----------
    log : EventLog
    transitions : list of (str, str), optional
        The (source, target) pairs to show, in this order. Default: the ``top`` transitions with the
        most hours of waiting (ties: the more frequent first, then by name).
    top : int, default 4
    max_lines : int, default 2000
        Lines drawn per transition.
    seed : int, default 0
        Salt of the sampling hash: another seed draws another sample.
    batch_tolerance_share : float, default 0.01
        Share of the median duration within which target instants coincide.
    batch_min_others : int, default 2
        Coinciding instants needed for an occurrence to count as batched.

    Returns
    -------
    PerformanceSpectrum

    Raises
    ------
    AnalysisError
        When a pair in ``transitions`` is not a transition of the log (the message lists the slowest
        ones), or ``top``, ``max_lines`` or ``batch_min_others`` is not a positive integer, or
        ``batch_tolerance_share`` is not a positive number.

    References
    ----------
    Denisov, V., Fahland, D. & van der Aalst, W. M. P. (2018). Unbiased, fine-grained description of
    processes performance from event data. *BPM 2018*, LNCS 11080, 139-157.
    Klijn, E. L. & Fahland, D. (2019). Performance mining for batch processing using the performance
    spectrum. *BPM 2019 Workshops*, LNBIP 362, 172-185.

    Examples
    --------
    >>> from mapper import load_event_log
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> ps = performance_spectrum(log, top=2)
    >>> len(ps.transitions)
    2
    >>> bool((ps.transitions["drawn"] <= ps.transitions["occurrences"]).all())
    True
    """
    top = _positive_int(top, "top")
    max_lines = _positive_int(max_lines, "max_lines")
    batch_min_others = _positive_int(batch_min_others, "batch_min_others")
    if (
        isinstance(batch_tolerance_share, bool)
        or not isinstance(batch_tolerance_share, numbers.Real)
        or not batch_tolerance_share > 0
    ):
        raise AnalysisError(
            f"batch_tolerance_share must be a positive number, not {batch_tolerance_share!r}."
        )
    seed = int(seed)
    tables = log.tables()
    edges = tables.result("dfg_edges", dfg_edges)
    edges = (
        edges.assign(_key=edges["wait_hours_total"].fillna(0.0).round(6))
        .sort_values(["_key", "frequency", "source", "target"], ascending=[False, False, True, True])
        .reset_index(drop=True)
    )
    known = list(zip(edges["source"], edges["target"], strict=True))
    if transitions is None:
        pairs = known[:top]
    else:
        pairs = []
        for p in transitions:
            if not (isinstance(p, (tuple, list)) and len(p) == 2):
                raise AnalysisError(f"transitions must be (source, target) pairs; got {p!r}.")
            pairs.append((str(p[0]), str(p[1])))
        unknown = [p for p in pairs if p not in set(known)]
        if unknown:
            listing = ", ".join(f"{s} -> {t}" for s, t in known[:10])
            raise AnalysisError(
                f"transitions {unknown} do not occur in the log (no case has the target directly after "
                f"the source); the slowest transitions are: {listing}."
            )
    settings = {
        "max_lines": max_lines,
        "seed": seed,
        "batch_tolerance_share": float(batch_tolerance_share),
        "batch_min_others": batch_min_others,
        "overtaking_window": OVERTAKING_WINDOW,
    }
    no_starts = not log.has_start_timestamps
    if not pairs:
        return PerformanceSpectrum(_empty_spectrum_transitions(), _empty_segments(), settings, no_starts)

    # The segments are read by the statistics, by two window queries per transition and by the sample:
    # stored once (only the chosen transitions' occurrences) instead of filtering every event each time.
    key = hashlib.sha1(repr(sorted(pairs)).encode()).hexdigest()[:16]
    seg = tables.materialise(f"perf_segments_{key}", spectrum_segments(tables.ordered, pairs))
    st = spectrum_stats(seg, float(batch_tolerance_share))
    stats_df = execute(st)
    tolerances = {
        (s, t): int(v)
        for s, t, v in zip(stats_df["source"], stats_df["target"], stats_df["tol_us"], strict=True)
    }
    ind = execute(
        spectrum_indicators(seg, tolerances, min_others=batch_min_others, window=OVERTAKING_WINDOW, seed=seed)
    )
    summary = stats_df.merge(ind, on=["source", "target"])
    lines = execute(spectrum_sample(seg, st, max_lines=max_lines, seed=seed))

    drawn = lines.groupby(["source", "target"]).size().rename("drawn")
    summary = summary.set_index(["source", "target"]).join(drawn).reindex(pairs).reset_index()
    summary["drawn"] = summary["drawn"].fillna(0).astype("int64")
    occ = summary["occurrences"].astype("int64")
    out = pd.DataFrame(
        {
            "source": summary["source"].astype(str),
            "target": summary["target"].astype(str),
            "occurrences": occ,
            "drawn": summary["drawn"],
            "duration_hours_q1": summary["q1_us"].astype("float64") / US_PER_HOUR,
            "duration_hours_median": summary["median_us"].astype("float64") / US_PER_HOUR,
            "duration_hours_q3": summary["q3_us"].astype("float64") / US_PER_HOUR,
            "batch_tolerance_hours": summary["tol_us"].astype("float64") / US_PER_HOUR,
            "batched_share": summary["batched"].astype("float64") / occ,
            "arrivals_bunched_share": summary["bunched"].astype("float64") / occ,
            "overtaking_share": (
                summary["overtaking_pairs"].astype("float64")
                / summary["compared_pairs"].where(summary["compared_pairs"] > 0)
            ).astype("float64"),
            "compared_pairs": summary["compared_pairs"].astype("int64"),
        }
    )
    order = pd.DataFrame(
        {"source": [p[0] for p in pairs], "target": [p[1] for p in pairs], "_o": range(len(pairs))}
    )
    lines = lines.merge(order, on=["source", "target"]).sort_values(
        ["_o", "src_us", "case_id"], ignore_index=True
    )
    segments = pd.DataFrame(
        {
            "source": lines["source"].astype(str),
            "target": lines["target"].astype(str),
            CASE_ID: lines[CASE_ID].astype(str),
            "source_time": _us_to_time(lines["src_us"]),
            "target_time": _us_to_time(lines["tgt_us"]),
            "duration_hours": lines["duration_hours"].astype("float64"),
            "quartile": lines["quartile"].astype("int64"),
        }
    )
    return PerformanceSpectrum(out, segments, settings, no_starts)


def _empty_spectrum_transitions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": pd.Series(dtype="object"),
            "target": pd.Series(dtype="object"),
            "occurrences": pd.Series(dtype="int64"),
            "drawn": pd.Series(dtype="int64"),
            **{
                c: pd.Series(dtype="float64")
                for c in (
                    "duration_hours_q1",
                    "duration_hours_median",
                    "duration_hours_q3",
                    "batch_tolerance_hours",
                    "batched_share",
                    "arrivals_bunched_share",
                    "overtaking_share",
                )
            },
            "compared_pairs": pd.Series(dtype="int64"),
        }
    )


def _empty_segments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": pd.Series(dtype="object"),
            "target": pd.Series(dtype="object"),
            CASE_ID: pd.Series(dtype="object"),
            "source_time": pd.Series(dtype="datetime64[ns, UTC]"),
            "target_time": pd.Series(dtype="datetime64[ns, UTC]"),
            "duration_hours": pd.Series(dtype="float64"),
            "quartile": pd.Series(dtype="int64"),
        }
    )


def plot_performance_spectrum(spectrum: PerformanceSpectrum):
    """Draw a :class:`PerformanceSpectrum`: two horizontal axes per transition on a shared time axis.

    Each transition is a band: its source activity on the upper axis, its target on the lower one, and
    one line per drawn occurrence from the source's completion to the target's start, coloured by the
    quartile of its duration (blue: the fastest quarter ... red: the slowest). Activity names are
    HTML-escaped (plotly renders some tags in labels), so ``<b>x</b>`` shows as text.

    Parameters
    ----------
    spectrum : PerformanceSpectrum

    Returns
    -------
    plotly.graph_objects.Figure
        Four line traces (one per quartile, the lines separated by gaps), the activity names as y tick
        labels, and per band an annotation with how many lines are drawn of how many and the batching
        and overtaking indicators.
    """
    import plotly.graph_objects as go

    tr = spectrum.transitions
    seg = spectrum.segments
    fig = go.Figure()
    band = 3.0  # source axis at -band*i, target axis at -band*i - 2
    index = {(s, t): i for i, (s, t) in enumerate(zip(tr["source"], tr["target"], strict=True))}
    bands = pd.MultiIndex.from_tuples(list(index), names=["source", "target"]) if index else None
    pos = (
        pd.Series(range(len(index)), index=bands).reindex(pd.MultiIndex.from_frame(seg[["source", "target"]]))
        if len(seg)
        else pd.Series(dtype="int64")
    )
    y_src = -band * pos.to_numpy(dtype="float64")
    for q in range(1, 5):
        mask = (seg["quartile"] == q).to_numpy()
        n = int(mask.sum())
        # One trace per quartile: each line is (source, target, gap), so thousands of lines stay one trace.
        xs = np.empty(3 * n, dtype=object)
        yv = np.empty(3 * n, dtype=object)
        xs[0::3] = seg["source_time"].to_numpy()[mask]
        xs[1::3] = seg["target_time"].to_numpy()[mask]
        yv[0::3] = y_src[mask]
        yv[1::3] = y_src[mask] - 2.0
        fig.add_trace(
            go.Scatter(
                x=list(xs),
                y=list(yv),
                mode="lines",
                line={"color": _QUARTILE_COLOURS[q - 1], "width": 1},
                opacity=0.6,
                name=f"Q{q}: {_QUARTILE_NAMES[q - 1]}",
                hoverinfo="skip",
            )
        )
    ticks, labels = [], []
    for (s, t), i in index.items():
        ticks += [-band * i, -band * i - 2.0]
        labels += [_esc(s), _esc(t)]
        for y in (-band * i, -band * i - 2.0):
            fig.add_hline(y=y, line={"color": "#555", "width": 1})
        r = tr.iloc[i]
        ovt = "n/a" if pd.isna(r["overtaking_share"]) else f"{r['overtaking_share']:.0%}"
        fig.add_annotation(
            x=1.0,
            xref="paper",
            xanchor="right",
            y=-band * i - 1.0,
            showarrow=False,
            align="right",
            bgcolor="rgba(255,255,255,0.7)",
            text=(
                f"{_esc(s)} → {_esc(t)}<br>{int(r['drawn']):,} of {int(r['occurrences']):,} drawn; "
                f"median {_esc(humanize_hours(r['duration_hours_median']))}<br>"
                f"batched {r['batched_share']:.0%} (arrivals bunched {r['arrivals_bunched_share']:.0%}); "
                f"overtaking {ovt}"
            ),
        )
    if not index:
        fig.add_annotation(
            text="No transitions to draw", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
    fig.update_layout(
        title="Performance spectrum (one line per occurrence, coloured by duration quartile)",
        xaxis={"title": {"text": "time (UTC)"}, "type": "date"},
        yaxis={"tickvals": ticks, "ticktext": labels, "showgrid": False, "zeroline": False},
        height=160 + 150 * max(1, len(index)),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.08},
    )
    return escape_figure(fig)


# --- 2. drift of waiting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingDrift:
    """Monthly waiting before the slowest steps and the significant changes between months.

    Attributes
    ----------
    monthly : pandas.DataFrame
        One row per activity and month with at least one wait: ``activity`` (str), ``month``
        (datetime64[ns], first day of the calendar month in UTC, timezone-naive), ``instances`` (int64,
        waits that began in the month), ``waiting_hours_median``, ``waiting_hours_p90`` (float, exact,
        over every wait), ``complete`` (bool: neither cut short by the end of the log nor missing the
        cases begun before its start, see :func:`find_waiting_drift`).
    changes : pandas.DataFrame
        One row per comparison of a month with the month before (both with enough waits, rule 1 of
        :func:`find_waiting_drift`): ``activity``,
        ``month``, ``previous_median``, ``median`` (float, hours), ``ratio`` (float, median /
        previous_median; inf when only the previous median is 0, 1 when both are), ``previous_instances``,
        ``instances`` (int64), ``tested_previous``, ``tested`` (int64, waits in the test's samples),
        ``p_value`` (float, Mann-Whitney U two-sided), ``p_adjusted`` (float, Holm over every uncensored
        comparison; NaN when censored), ``next_median`` (float, the month after when complete with enough
        waits, else NaN), ``earlier_median`` (float, two months before when it has enough waits, else
        NaN), ``step`` (bool, rule 4 of :func:`find_waiting_drift`), ``censored`` (bool: a month of the
        pair is incomplete), ``significant`` (bool), ``direction`` (``"up"``, ``"down"``, or ``""`` when
        not significant).
    activities : list of str
        The activities followed, in the order of their total waiting.
    settings : dict
        ``alpha``, ``min_instances``, ``min_volume_share``, ``min_ratio``, ``sample_cap``,
        ``max_truncated_share``, ``seed``.
    waiting_includes_processing : bool
        True when the log has no start timestamps: a wait then runs to the step's completion.
    """

    monthly: pd.DataFrame
    changes: pd.DataFrame
    activities: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    waiting_includes_processing: bool = True

    def to_frame(self, level: Literal["monthly", "changes"] = "monthly") -> pd.DataFrame:
        """The monthly table, or the comparisons (a copy)."""
        return (self.monthly if level == "monthly" else self.changes).copy()

    def plot(self):
        """Monthly median waiting per activity (lines), significant changes marked (triangles).

        Returns
        -------
        plotly.graph_objects.Figure
            One line trace per activity (hover: instances and p90) and one marker trace of the
            significant changes (up or down triangles). Names are HTML-escaped.
        """
        import plotly.graph_objects as go

        fig = go.Figure()
        for a in self.activities:
            d = self.monthly[self.monthly["activity"] == a]
            fig.add_trace(
                go.Scatter(
                    x=d["month"],
                    y=d["waiting_hours_median"],
                    mode="lines+markers",
                    name=_esc(a),
                    customdata=np.stack([d["instances"], d["waiting_hours_p90"]], axis=-1)
                    if len(d)
                    else None,
                    hovertemplate=(
                        f"{_esc(a)}<br>%{{x|%Y-%m}}: median %{{y:.1f}} h, p90 %{{customdata[1]:.1f}} h, "
                        "%{customdata[0]} waits<extra></extra>"
                    ),
                )
            )
        sig = self.changes[self.changes["significant"]]
        if len(sig):
            fig.add_trace(
                go.Scatter(
                    x=sig["month"],
                    y=sig["median"],
                    mode="markers",
                    name="significant change",
                    marker={
                        "size": 13,
                        "color": ["#d7191c" if d == "up" else "#1a9641" for d in sig["direction"]],
                        "symbol": ["triangle-up" if d == "up" else "triangle-down" for d in sig["direction"]],
                    },
                    text=[
                        f"{_esc(a)}: x{r:.2f} vs the month before (p adj. {p:.2g})"
                        for a, r, p in zip(sig["activity"], sig["ratio"], sig["p_adjusted"], strict=True)
                    ],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
        fig.update_layout(
            title="Median waiting before the step, per month (triangles: significant changes)",
            xaxis={"title": {"text": "month the wait began"}},
            yaxis={"title": {"text": "median waiting (hours)"}, "rangemode": "tozero"},
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        sig = self.changes[self.changes["significant"]]
        return (
            f"<b>Drift of waiting</b> of {len(self.activities)} steps: {len(sig)} significant change(s)"
            + sig.to_html(index=False, escape=True)
            + self.monthly.to_html(index=False, escape=True)
        )


def find_waiting_drift(
    log: EventLog,
    *,
    activities: list[str] | None = None,
    top: int = 5,
    alpha: float = 0.01,
    seed: int = 0,
) -> WaitingDrift:
    """Monthly median and p90 waiting before the slowest steps, and the months in which it changed.

    A wait belongs to the calendar month (UTC) in which it **began**: the completion of the previous
    event of the case. Medians and p90 per month are exact (computed in the engine over every wait).

    The rule for a change at month *m*, per activity:

    1. *Enough data*: *m* and the month before, *m-1*, each hold at least :data:`DRIFT_MIN_INSTANCES`
       (20) waits, the least for which the test's normal approximation holds and a monthly median is
       not mostly noise, and at least :data:`DRIFT_MIN_VOLUME_SHARE` (a quarter) of the activity's
       median monthly number of waits: a month with a fraction of the usual work (the stragglers
       between two batch runs, a holiday, an outage) holds another population, not a changed process.
    2. *Significant*: Mann-Whitney U, two-sided (waits are skewed and heavy-tailed, so a rank test, not
       a t-test), *m* against *m-1*, on at most :data:`DRIFT_SAMPLE_CAP` (2,000) waits per month drawn in
       the engine by case-id hash (all of them when fewer); p-values Holm-adjusted over every uncensored
       comparison, across activities, to hold the family-wise error at ``alpha``.
    3. *Large*: the ratio of the monthly medians is at least :data:`DRIFT_MIN_RATIO` (1.5) or at most
       1/1.5: on a large log the test alone flags shifts of minutes that nobody would act on; a
       half-again change of the typical wait is one a manager notices.
    4. *A step, not a blip*: the month after, *m+1* (complete, with enough waits), is also 1.5 times
       beyond *m-1* in the same direction (the change lasts), and the month before the previous one,
       *m-2*, when it has enough waits, is 1.5 times beyond on the other side of *m* (the change is new:
       the return from a one-month spike is not flagged). Months alternating between a batch month and a
       month of stragglers, common in logs of batch-run processes, are thus not drift.

    Comparing with the month before, rather than a longer baseline, makes a flag read "from this month
    on, waiting differs from last month", flags a step once, and lets the ratio read directly.

    Edges. A wait that has not ended when the log was extracted is not in the log, so the last months
    lack their longest waits (right censoring): a month counts as complete only when the log goes on for
    at least the activity's p90 wait (over the whole log) after the month's end. At the start, cases
    begun before the extraction are missing, and for a late step those are the ones that would wait in
    the first weeks: a month is also incomplete when more than :data:`DRIFT_MAX_TRUNCATED_SHARE` (a
    quarter) of its observed span lies within the activity's p90 case age at enabling (case start to the
    wait's start) of the log's first event. Comparisons involving an incomplete month are tested and
    shown, but marked ``censored``, left out of the Holm family and never flagged.

    Parameters
    ----------
    log : EventLog
    activities : list of str, optional
        The activities to follow. Default: the ``top`` activities with the most hours of waiting.
    top : int, default 5
    alpha : float, default 0.01
        Family-wise error rate of the flagged changes.
    seed : int, default 0
        Salt of the sampling hash.

    Returns
    -------
    WaitingDrift

    Raises
    ------
    AnalysisError
        When an ``activities`` name is not an activity of the log (the message lists them), or ``top``
        is not a positive integer, or ``alpha`` is not between 0 and 1.

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). On a test of whether one of two random variables is
    stochastically larger than the other. *Annals of Mathematical Statistics* 18(1), 50-60.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian Journal of
    Statistics* 6(2), 65-70.
    Bose, R. P. J. C., van der Aalst, W. M. P., Žliobaitė, I. & Pechenizkiy, M. (2014). Dealing with
    concept drifts in process mining. *IEEE TNNLS* 25(1), 154-171 (drift in process mining).

    Examples
    --------
    >>> from mapper import load_event_log
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> drift = find_waiting_drift(log, top=2)
    >>> list(drift.monthly.columns)
    ['activity', 'month', 'instances', 'waiting_hours_median', 'waiting_hours_p90', 'complete']
    """
    top = _positive_int(top, "top")
    alpha = _alpha(alpha)
    seed = int(seed)
    tables = log.tables()
    acts = tables.result("activity_stats", activity_stats)
    acts = (
        acts.assign(_key=acts["waiting_hours_total"].fillna(0.0).round(6))
        .sort_values(["_key", "activity"], ascending=[False, True])
        .reset_index(drop=True)
    )
    known = acts["activity"].tolist()
    if activities is None:
        chosen = acts.loc[acts["waiting_hours_total"].fillna(0) > 0, "activity"].head(top).tolist()
    else:
        chosen = [str(a) for a in activities]
        unknown = [a for a in chosen if a not in known]
        if unknown:
            raise AnalysisError(
                f"activities {unknown} are not activities of the log; known activities: {known}."
            )
    settings = {
        "alpha": alpha,
        "min_instances": DRIFT_MIN_INSTANCES,
        "min_volume_share": DRIFT_MIN_VOLUME_SHARE,
        "min_ratio": DRIFT_MIN_RATIO,
        "sample_cap": DRIFT_SAMPLE_CAP,
        "max_truncated_share": DRIFT_MAX_TRUNCATED_SHARE,
        "seed": seed,
    }
    no_starts = not log.has_start_timestamps
    if not chosen:
        return WaitingDrift(_empty_monthly(), _empty_changes(), [], settings, no_starts)

    # Read by three queries (monthly statistics, bounds, sample): stored once, the chosen activities only.
    key = hashlib.sha1(repr(sorted(chosen)).encode()).hexdigest()[:16]
    w = tables.materialise(f"perf_waits_{key}", waiting_instances(tables.ordered, chosen))
    monthly = execute(monthly_waiting(w))
    monthly["month"] = pd.to_datetime(monthly["month"]).astype("datetime64[ns]")
    order = {a: i for i, a in enumerate(chosen)}
    monthly = (
        monthly.assign(_o=monthly["activity"].map(order))
        .sort_values(["_o", "month"])
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    monthly["instances"] = monthly["instances"].astype("int64")
    # Censoring at the end: the log must go on for the activity's p90 wait after the end of the month.
    # Truncation at the start: at most DRIFT_MAX_TRUNCATED_SHARE of the month's observed span may lie within
    # the activity's p90 age (case start to enabling) of the log's start.
    b = execute(activity_bounds(tables.ordered, w)).set_index(ACTIVITY)
    span = execute(log_span(tables.events)).iloc[0]
    log_start, log_end = (pd.Timestamp(int(span[k]), unit="us") for k in ("start_us", "end_us"))
    wait_p90 = pd.to_timedelta(
        b["waiting_hours_p90"].reindex(monthly["activity"]).fillna(0).to_numpy(), unit="h"
    )
    age_p90 = pd.to_timedelta(b["age_hours_p90"].reindex(monthly["activity"]).fillna(0).to_numpy(), unit="h")
    m0 = monthly["month"].to_numpy()
    m1 = (monthly["month"] + pd.offsets.MonthBegin(1)).to_numpy()
    seen0 = np.maximum(m0, np.datetime64(log_start))
    seen1 = np.minimum(m1, np.datetime64(log_end))
    truncated = np.clip(
        np.minimum(np.datetime64(log_start) + age_p90.to_numpy(), seen1) - seen0, np.timedelta64(0), None
    )
    observed = np.clip(seen1 - seen0, np.timedelta64(0), None)
    start_ok = truncated <= DRIFT_MAX_TRUNCATED_SHARE * observed
    end_ok = m1 + wait_p90.to_numpy() <= np.datetime64(log_end)
    monthly["complete"] = start_ok & end_ok
    monthly = monthly[
        ["activity", "month", "instances", "waiting_hours_median", "waiting_hours_p90", "complete"]
    ].astype({"activity": "object"})

    samples = execute(capped_sample(w, [ACTIVITY, "month"], cap=DRIFT_SAMPLE_CAP, seed=seed))
    samples["month"] = pd.to_datetime(samples["month"]).astype("datetime64[ns]")
    cells = {k: g["waiting_hours"].to_numpy() for k, g in samples.groupby([ACTIVITY, "month"])}

    cell = {
        (a, m): (int(n), float(med), bool(c))
        for a, m, n, med, c in zip(
            monthly["activity"],
            monthly["month"],
            monthly["instances"],
            monthly["waiting_hours_median"],
            monthly["complete"],
            strict=True,
        )
    }

    # Enough waits: at least DRIFT_MIN_INSTANCES, and at least DRIFT_MIN_VOLUME_SHARE of the activity's
    # median monthly volume (a month with a fraction of the usual work holds another population).
    volume = monthly.groupby("activity")["instances"].median()
    least = {a: max(DRIFT_MIN_INSTANCES, DRIFT_MIN_VOLUME_SHARE * float(v)) for a, v in volume.items()}

    def usable_median(a: str, m: pd.Timestamp, *, complete: bool) -> float:
        n, med, c = cell.get((a, m), (0, math.nan, False))
        return med if n >= least[a] and (c or not complete) else math.nan

    rows = []
    for (a, m), (n, med, complete) in cell.items():
        prev = m - pd.offsets.MonthBegin(1)
        pn, pmed, pcomplete = cell.get((a, prev), (0, math.nan, False))
        if n < least[a] or pn < least[a]:
            continue
        x, y = cells.get((a, m), np.array([])), cells.get((a, prev), np.array([]))
        p = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue) if len(x) and len(y) else math.nan
        rows.append(
            {
                "activity": a,
                "month": m,
                "previous_median": pmed,
                "median": med,
                "ratio": _ratio(med, pmed),
                "previous_instances": pn,
                "instances": n,
                "tested_previous": len(y),
                "tested": len(x),
                "p_value": p,
                # the month after must be complete to confirm; the one before the previous need not be
                "next_median": usable_median(a, m + pd.offsets.MonthBegin(1), complete=True),
                "earlier_median": usable_median(a, prev - pd.offsets.MonthBegin(1), complete=False),
                "censored": not (complete and pcomplete),
            }
        )
    if not rows:
        return WaitingDrift(monthly, _empty_changes(), chosen, settings, no_starts)
    ch = pd.DataFrame(rows)
    up = ch["ratio"] >= DRIFT_MIN_RATIO
    down = ch["ratio"] <= 1 / DRIFT_MIN_RATIO

    def beyond(num: pd.Series, den: pd.Series) -> tuple[pd.Series, pd.Series]:
        r = pd.Series([_ratio(a, b) for a, b in zip(num, den, strict=True)], index=ch.index, dtype="float64")
        return r >= DRIFT_MIN_RATIO, r <= 1 / DRIFT_MIN_RATIO

    # A step, not a blip: the month after stays beyond the ratio against the month before (it lasts), and
    # the month before the previous one, when known, is beyond it against this month too (it is new: the
    # return from a one-month spike is not a change).
    next_up, next_down = beyond(ch["next_median"], ch["previous_median"])
    earlier_known = ch["earlier_median"].notna()
    early_up, early_down = beyond(ch["median"], ch["earlier_median"])
    ch["step"] = (up & next_up & (~earlier_known | early_up)) | (
        down & next_down & (~earlier_known | early_down)
    )
    ch["p_adjusted"] = adjust_p_values(ch["p_value"].where(~ch["censored"]))
    ch["significant"] = (ch["p_adjusted"] < alpha) & (up | down) & ch["step"] & ~ch["censored"]
    ch["direction"] = np.where(ch["significant"], np.where(ch["ratio"] > 1, "up", "down"), "")
    ch = ch[_empty_changes().columns].astype(_empty_changes().dtypes.to_dict())
    return WaitingDrift(monthly, ch.reset_index(drop=True), chosen, settings, no_starts)


def _ratio(num: float, den: float) -> float:
    """``num / den`` for medians: inf when only the denominator is 0, 1 when both are; NaN when unknown."""
    if pd.isna(num) or pd.isna(den):
        return math.nan
    if den > 0:
        return num / den
    return math.inf if num > 0 else 1.0


def _empty_monthly() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activity": pd.Series(dtype="object"),
            "month": pd.Series(dtype="datetime64[ns]"),
            "instances": pd.Series(dtype="int64"),
            "waiting_hours_median": pd.Series(dtype="float64"),
            "waiting_hours_p90": pd.Series(dtype="float64"),
            "complete": pd.Series(dtype="bool"),
        }
    )


def _empty_changes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activity": pd.Series(dtype="object"),
            "month": pd.Series(dtype="datetime64[ns]"),
            "previous_median": pd.Series(dtype="float64"),
            "median": pd.Series(dtype="float64"),
            "ratio": pd.Series(dtype="float64"),
            "previous_instances": pd.Series(dtype="int64"),
            "instances": pd.Series(dtype="int64"),
            "tested_previous": pd.Series(dtype="int64"),
            "tested": pd.Series(dtype="int64"),
            "p_value": pd.Series(dtype="float64"),
            "p_adjusted": pd.Series(dtype="float64"),
            "next_median": pd.Series(dtype="float64"),
            "earlier_median": pd.Series(dtype="float64"),
            "step": pd.Series(dtype="bool"),
            "censored": pd.Series(dtype="bool"),
            "significant": pd.Series(dtype="bool"),
            "direction": pd.Series(dtype="object"),
        }
    )


# --- 3. attribute drivers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitDrivers:
    """Which case attributes go with long cycle time or waiting.

    Attributes
    ----------
    attributes : pandas.DataFrame
        One row per attribute tested, the ranked drivers first: ``rank`` (Int64: 1 = the largest effect
        among the significant attributes; missing for the others), ``attribute`` (str, the column),
        ``kind`` (``"categorical"``, ``"numeric levels"`` or ``"numeric bands"``), ``cases`` (int64, cases
        with a value and a target value), ``coverage`` (float, share of the cases with a target value that
        have the attribute), ``known_at_start_share`` (float, share of those whose first event carries
        it: low values mark attributes recorded later, which may be consequences rather than causes),
        ``levels`` (int64), ``tested_cases`` (int64, cases in the test sample), ``h_statistic``,
        ``p_value``, ``p_adjusted`` (float, Kruskal-Wallis; Holm over the attributes),
        ``epsilon_squared`` (float in [0, 1]), ``effect`` (``"negligible"``, ``"small"``, ``"medium"``,
        ``"large"``), ``significant`` (bool).
    levels : pandas.DataFrame
        One row per attribute level: ``attribute``, ``level`` (str; numeric bands read
        ``"5,000 to < 10,000"``), ``cases`` (int64), ``median_hours``, ``other_median_hours`` (float, over
        the cases of the attribute's other levels; exact), ``ratio`` (float, median / other median; inf
        when only the other median is 0, 1 when both are),
        ``tested_cases`` (int64), ``cliffs_delta`` (float in [-1, 1], > 0: this level takes longer than
        the rest), ``p_value``, ``p_adjusted`` (float, Mann-Whitney U against the rest; Holm within the
        attribute), ``significant`` (bool).
    skipped : pandas.DataFrame
        ``column``, ``reason`` (str): the candidate columns not tested, and why.
    target : str
        ``"cycle_time"`` or ``"waiting"``.
    activity : str or None
        For ``target="waiting"``: the step waited for (None: waiting before any step, summed per case).
    settings : dict
        ``alpha``, ``max_levels``, ``sample_cases``, ``min_level_cases``, ``case_varying_share``,
        ``identifier_share``, ``seed``.
    """

    attributes: pd.DataFrame
    levels: pd.DataFrame
    skipped: pd.DataFrame
    target: str = "cycle_time"
    activity: str | None = None
    settings: dict = field(default_factory=dict)

    def to_frame(self, level: Literal["attribute", "level"] = "attribute") -> pd.DataFrame:
        """The per-attribute table, or the per-level table (a copy)."""
        return (self.attributes if level == "attribute" else self.levels).copy()

    def _what(self) -> str:
        if self.target == "cycle_time":
            return "cycle time"
        return f"waiting before {self.activity}" if self.activity else "waiting (all steps)"

    def plot(self, top: int = 4):
        """Median hours per level of the ``top`` attributes (ranked first), with the number of cases.

        Returns
        -------
        plotly.graph_objects.Figure
            One horizontal bar chart per attribute (stacked panels): a bar per level at its median, the
            dashed line at the median of the other levels' cases is in the hover, and ``n=`` cases
            written on each bar. Names and levels are HTML-escaped.
        """
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        attrs = self.attributes["attribute"].head(top).tolist()
        if not attrs:
            fig = go.Figure()
            fig.add_annotation(text="No case attribute to test", showarrow=False, x=0.5, y=0.5)
            return escape_figure(fig)
        titles = []
        for a in attrs:
            r = self.attributes.set_index("attribute").loc[a]
            p = "n/a" if pd.isna(r["p_adjusted"]) else f"{r['p_adjusted']:.2g}"
            eps = "n/a" if pd.isna(r["epsilon_squared"]) else f"{r['epsilon_squared']:.3f}"
            titles.append(f"{_esc(a)}: ε² {eps} ({r['effect']}), p adj. {p}")
        fig = make_subplots(rows=len(attrs), cols=1, subplot_titles=titles, vertical_spacing=0.12)
        for i, a in enumerate(attrs, start=1):
            d = self.levels[self.levels["attribute"] == a].iloc[::-1]
            fig.add_trace(
                go.Bar(
                    x=d["median_hours"],
                    y=[_esc(v) for v in d["level"]],
                    orientation="h",
                    text=[f"n={n:,}" for n in d["cases"]],
                    textposition="auto",
                    marker={"color": ["#d7191c" if s else "#7f7f7f" for s in d["significant"]]},
                    customdata=np.stack([d["other_median_hours"], d["cliffs_delta"]], axis=-1),
                    hovertemplate=(
                        "%{y}: median %{x:.1f} h (other levels %{customdata[0]:.1f} h), "
                        "Cliff's δ %{customdata[1]:.2f}<extra></extra>"
                    ),
                    showlegend=False,
                ),
                row=i,
                col=1,
            )
            fig.update_xaxes(title_text="median hours", row=i, col=1)
        fig.update_layout(
            title=f"What goes with long {self._what()} (red: differs significantly from the rest)",
            height=140
            + 60 * int(self.levels[self.levels["attribute"].isin(attrs)].shape[0])
            + 60 * len(attrs),
            margin={"l": 10, "r": 10, "t": 80, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        skipped = "".join(
            f"<li>{_esc(c)}: {_esc(r)}</li>"
            for c, r in zip(self.skipped["column"], self.skipped["reason"], strict=True)
        )
        return (
            f"<b>Drivers of {_esc(self._what())}</b>"
            + self.attributes.to_html(index=False, escape=True)
            + self.levels.to_html(index=False, escape=True)
            + (f"<p>Skipped:</p><ul>{skipped}</ul>" if skipped else "")
        )


def _plain_name(column: str) -> str:
    name = column.lower().removeprefix("case:").removeprefix("(case)")
    return "".join(ch for ch in name if ch.isalnum())


def _num_label(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.4g}"


def find_wait_drivers(
    log: EventLog,
    *,
    target: Literal["cycle_time", "waiting"] = "cycle_time",
    activity: str | None = None,
    attributes: list[str] | None = None,
    max_levels: int = 20,
    alpha: float = 0.01,
    seed: int = 0,
) -> WaitDrivers:
    """Which case attributes (channel, amount band, type, ...) go with long cycle time or long waiting.

    **Case attributes.** Every column other than the canonical ones (``case_id``, ``activity``, the
    timestamps, ``resource``, ``role``, lifecycle and bookkeeping columns) is a candidate, or the
    ``attributes`` given. A column is a case attribute when at most :data:`CASE_VARYING_SHARE` (5 %) of
    the cases that carry it hold more than one distinct value: constant within most cases (logs often
    repeat a case attribute on every event, or write it on the first event only; a few cases with a
    corrected value should not disqualify it). A case's value is its first non-missing value in event
    order. Skipped, with the reason in ``skipped``: timestamp columns (and text whose every value starts
    with an ISO date), the variant columns that Disco and ProM exports add (:data:`DERIVED_COLUMNS`:
    derived from the path, so a consequence of it), columns with no values, event attributes (varying
    within more cases), columns with a single value, text identifiers (distinct in
    at least :data:`IDENTIFIER_SHARE`, 90 %, of cases and more than ``max_levels`` values), and other
    text columns with more than ``max_levels`` values. Numbers are never skipped as identifiers: an
    amount may well differ in every case, and a numeric id cut into bands is visibly meaningless.
    Numbers with more than ``max_levels`` distinct values are cut into quartile bands (edges at the
    exact 25/50/75 % quantiles over the cases, labelled by their ranges; equal edges merge); fewer
    distinct numbers are levels of their own (a score 0-10, a count of documents).

    **Target per case.** ``"cycle_time"``: hours from the case's first start (or completion) to its
    last completion. ``"waiting"``: hours waited before ``activity`` in the case (summed over its
    occurrences; cases without it are left out), or before every step when ``activity`` is None.

    **Tests.** Per attribute, Kruskal-Wallis H across its levels (a rank test: durations are skewed),
    with the effect size epsilon-squared ε² = H / (n - 1) (Tomczak & Tomczak 2014), labelled with the
    usual small/medium/large bounds 0.01/0.06/0.14; p-values Holm-adjusted across the attributes.
    Per level, against all other cases: the ratio of medians, Cliff's delta (the probability that a case
    of the level takes longer minus the probability that it is shorter; |δ| bounds 0.147/0.33/0.474 per
    Romano et al. 2006) and a two-sided Mann-Whitney U test, Holm-adjusted within the attribute. An
    attribute or level is ``significant`` when its adjusted p is below ``alpha``; significant attributes
    are ranked by ε². Counts and medians are exact (engine); the tests run on one deterministic sample
    of at most :data:`DRIVER_SAMPLE_CASES` (5,000) cases drawn by case-id hash in the engine, the same
    cases for every attribute, so ``tested_cases`` may be below ``cases``. Levels with fewer than
    :data:`MIN_LEVEL_CASES` (5) sampled cases are shown but not tested.

    These are associations, not causes: an attribute recorded late in a case (``known_at_start_share``
    low) may be a consequence of how long it took. Cycle times are those of closed cases (last activity
    an end activity, :func:`analysis.find_end_activities`); open cases, cut short by the end of the log,
    are left out.

    Parameters
    ----------
    log : EventLog
    target : {"cycle_time", "waiting"}, default "cycle_time"
    activity : str, optional
        With ``target="waiting"``: the step. Ignored for ``"cycle_time"``.
    attributes : list of str, optional
        Columns to consider (default: every candidate column).
    max_levels : int, default 20
        Text attributes with more distinct values are skipped.
    alpha : float, default 0.01
    seed : int, default 0
        Salt of the sampling hash.

    Returns
    -------
    WaitDrivers

    Raises
    ------
    AnalysisError
        When ``target`` is not one of the two, ``activity`` is not an activity of the log, an
        ``attributes`` name is not a column of the log (the messages list what there is), or
        ``max_levels`` is not an integer of at least 2.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis. *JASA*
    47(260), 583-621.
    Cliff, N. (1993). Dominance statistics: ordinal analyses to answer ordinal questions. *Psychological
    Bulletin* 114(3), 494-509.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian Journal of
    Statistics* 6(2), 65-70.
    Tomczak, M. & Tomczak, E. (2014). The need to report effect size estimates revisited. *Trends in
    Sport Sciences* 1(21), 19-25.
    Romano, J., Kromrey, J. D., Coraggio, J. & Skowronek, J. (2006). Appropriate statistics for ordinal
    level data. *Annual meeting of the Florida Association of Institutional Research*.

    Examples
    --------
    >>> from mapper import load_event_log
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> drivers = find_wait_drivers(log)
    >>> "application_type" in set(drivers.attributes["attribute"])
    True
    """
    if target not in ("cycle_time", "waiting"):
        raise AnalysisError(f"target must be 'cycle_time' or 'waiting', not {target!r}.")
    if isinstance(max_levels, bool) or not isinstance(max_levels, numbers.Integral) or max_levels < 2:
        raise AnalysisError(f"max_levels must be an integer of at least 2, not {max_levels!r}.")
    alpha = _alpha(alpha)
    seed = int(seed)
    tables = log.tables()
    o = tables.ordered
    if target == "waiting" and activity is not None:
        known = tables.result("activity_stats", activity_stats)["activity"].tolist()
        if activity not in known:
            raise AnalysisError(
                f"activity {activity!r} is not an activity of the log; known activities: {sorted(known)}."
            )
    columns = log.columns
    if attributes is None:
        candidates = [c for c in columns if c not in NOT_ATTRIBUTES]
    else:
        candidates = [str(c) for c in attributes]
        missing = [c for c in candidates if c not in columns]
        if missing:
            raise AnalysisError(f"attributes {missing} are not columns of the log; its columns: {columns}.")
    schema = log.table().schema()
    settings = {
        "alpha": alpha,
        "max_levels": int(max_levels),
        "sample_cases": DRIVER_SAMPLE_CASES,
        "min_level_cases": MIN_LEVEL_CASES,
        "case_varying_share": CASE_VARYING_SHARE,
        "identifier_share": IDENTIFIER_SHARE,
        "seed": seed,
    }
    act = activity if target == "waiting" else None
    skipped: list[tuple[str, str]] = []
    usable = []
    for c in candidates:
        if c in NOT_ATTRIBUTES:
            skipped.append((c, "a canonical column of the event table, not a case attribute"))
        elif schema[c].is_timestamp():
            skipped.append((c, "a timestamp"))
        else:
            usable.append(c)
    if not usable:
        return WaitDrivers(
            _empty_attributes(), _empty_levels(), _skipped_frame(skipped), target, act, settings
        )

    attrs = attribute_table(log, usable)
    n = len(usable)
    key = "_".join(str(columns.index(c)) for c in usable)
    f = tables.materialise(f"perf_case_values_{key}", case_first_values(o, attrs, n))
    prof = execute(attribute_profile(f, n)).iloc[0]
    kinds: dict[int, str] = {}
    for i, c in enumerate(usable):
        cases = int(prof[f"cases{i}"])
        distinct = int(prof[f"distinct{i}"])
        varying = int(prof[f"varying{i}"])
        if cases == 0:
            skipped.append((c, "no values"))
        elif _plain_name(c) in DERIVED_COLUMNS:
            skipped.append((c, "the case's variant, derived from its path: a consequence, not a driver"))
        elif int(prof[f"datelike{i}"]) == cases:
            skipped.append((c, "timestamps written as text"))
        elif varying > CASE_VARYING_SHARE * cases:
            skipped.append(
                (c, f"changes within {varying / cases:.0%} of the cases that carry it: an event attribute")
            )
        elif distinct < 2:
            skipped.append((c, "a single value"))
        elif int(prof[f"nonnumeric{i}"]) == 0:
            kinds[i] = "numeric bands" if distinct > max_levels else "numeric levels"
        elif distinct > max_levels and distinct >= IDENTIFIER_SHARE * cases:
            skipped.append((c, f"an identifier: {distinct:,} distinct values in {cases:,} cases"))
        elif distinct > max_levels:
            skipped.append((c, f"{distinct:,} distinct values (more than max_levels={max_levels})"))
        else:
            kinds[i] = "categorical"
    if not kinds:
        return WaitDrivers(
            _empty_attributes(), _empty_levels(), _skipped_frame(skipped), target, act, settings
        )

    band_idx = [i for i, k in kinds.items() if k == "numeric bands"]
    edges = execute(numeric_edges(f, band_idx)).iloc[0] if band_idx else None
    level_exprs: dict[str, object] = {}
    band_order: dict[str, list[str]] = {}
    for i, kind in kinds.items():
        v = f[f"f{i}"]
        if kind == "numeric bands":
            e = sorted({float(edges[f"{q}_{i}"]) for q in ("min", "q25", "q50", "q75", "max")})
            x = v.try_cast("float64")
            labels = [
                f"{_num_label(lo)} to < {_num_label(hi)}" for lo, hi in zip(e[:-2], e[1:-1], strict=True)
            ]
            labels.append(f"{_num_label(e[-2])} to {_num_label(e[-1])}")
            branches = [(x < hi, lab) for hi, lab in zip(e[1:-1], labels[:-1], strict=True)]
            expr = ibis.cases(*branches, else_=labels[-1]) if branches else ibis.literal(labels[-1])
            level_exprs[usable[i]] = ibis.ifelse(x.isnull(), ibis.null("string"), expr)
            band_order[usable[i]] = labels
        else:
            level_exprs[usable[i]] = v
    long = case_levels(f, level_exprs)
    # Cycle times of closed cases only: an open case's is cut short by the end of the log.
    ends = find_end_activities(log) if target == "cycle_time" else None
    y = case_cycle_hours(o, ends) if target == "cycle_time" else case_waiting_hours(o, act)
    # Per case, read three times (the joined table, the sample, the count): stored once.
    y_key = hashlib.sha1(repr((target, act, sorted(ends or []))).encode()).hexdigest()[:16]
    y = tables.materialise(f"perf_y_{y_key}", y)
    # The joined (case, attribute, level, y) table is scanned four times: store it once per definition.
    definition = repr((key, sorted(kinds.items()), sorted(band_order.items()), target, act))
    j = tables.materialise(
        "perf_drivers_" + hashlib.sha1(definition.encode()).hexdigest()[:16], long.join(y, CASE_ID)
    )
    meds = execute(level_medians(j))
    sample_ids = sampled_cases(y, cap=DRIVER_SAMPLE_CASES, seed=seed)
    sample = execute(j.semi_join(sample_ids, CASE_ID).select("attribute", "level", "y"))
    per_attr = execute(j.group_by("attribute").aggregate(cases=j.count())).set_index("attribute")["cases"]
    y_cases = int(execute(y.count().as_table()).iloc[0, 0])
    at_start = {usable[i]: int(prof[f"atstart{i}"]) for i in kinds}
    carried = {usable[i]: int(prof[f"cases{i}"]) for i in kinds}

    attr_rows, level_rows = [], []
    for i, kind in kinds.items():
        name = usable[i]
        m = meds[meds["attribute"] == name]
        s = sample[sample["attribute"] == name]
        groups = {lv: g["y"].to_numpy() for lv, g in s.groupby("level")}
        tested = {lv: g for lv, g in groups.items() if len(g) >= MIN_LEVEL_CASES}
        h = p = eps = math.nan
        n_tested = int(sum(len(g) for g in tested.values()))
        if len(tested) >= 2:
            values = np.concatenate(list(tested.values()))
            if np.all(values == values[0]):  # every value identical (all waits 0): nothing differs
                h, p = 0.0, 1.0
            else:
                h, p = (float(v) for v in stats.kruskal(*tested.values()))
            eps = h / (n_tested - 1) if n_tested > 1 else math.nan
        cases = int(per_attr.get(name, 0))
        attr_rows.append(
            {
                "attribute": name,
                "kind": kind,
                "cases": cases,
                "coverage": cases / y_cases if y_cases else math.nan,
                "known_at_start_share": at_start[name] / carried[name] if carried[name] else math.nan,
                "levels": len(m),
                "tested_cases": n_tested,
                "h_statistic": h,
                "p_value": p,
                "epsilon_squared": eps,
            }
        )
        lv_p = []
        rows = []
        for _, r in m.iterrows():
            lv = r["level"]
            x = tested.get(lv)
            others = [g for k2, g in tested.items() if k2 != lv]
            # A level is compared with the other tested levels; alone (every other level has fewer than
            # MIN_LEVEL_CASES sampled cases) it has nothing to be compared with.
            rest = np.concatenate(others) if x is not None and others else None
            delta = pv = math.nan
            if x is not None and rest is not None and len(rest) >= MIN_LEVEL_CASES:
                u = stats.mannwhitneyu(x, rest, alternative="two-sided")
                delta = 2.0 * float(u.statistic) / (len(x) * len(rest)) - 1.0
                pv = float(u.pvalue)
            other = float(r["other_median_hours"]) if pd.notna(r["other_median_hours"]) else math.nan
            med = float(r["median_hours"])
            rows.append(
                {
                    "attribute": name,
                    "level": str(lv),
                    "cases": int(r["cases"]),
                    "median_hours": med,
                    "other_median_hours": other,
                    "ratio": _ratio(med, other),
                    "tested_cases": len(groups.get(lv, [])),
                    "cliffs_delta": delta,
                    "p_value": pv,
                }
            )
            lv_p.append(pv)
        adj = adjust_p_values(lv_p)
        for r, pa in zip(rows, adj, strict=True):
            r["p_adjusted"] = float(pa)
            r["significant"] = bool(pa < alpha) if not math.isnan(pa) else False
        if name in band_order:
            pos = {lab: k for k, lab in enumerate(band_order[name])}
            rows.sort(key=lambda r: pos.get(r["level"], len(pos)))
        elif kind == "numeric levels":
            rows.sort(key=lambda r: float(r["level"]))
        else:
            rows.sort(key=lambda r: (-r["median_hours"], r["level"]))
        level_rows += rows

    at = pd.DataFrame(attr_rows)
    at["p_adjusted"] = adjust_p_values(at["p_value"])
    at["significant"] = (at["p_adjusted"] < alpha).fillna(False).astype(bool)
    at["effect"] = [_effect(e, EPSILON_SQUARED_EFFECTS) for e in at["epsilon_squared"]]
    at = at.assign(_eps=at["epsilon_squared"].fillna(-1.0)).sort_values(
        ["significant", "_eps", "attribute"], ascending=[False, False, True], kind="stable"
    )
    rank = pd.Series(pd.NA, index=at.index, dtype="Int64")
    sig = at["significant"].to_numpy()
    rank[sig] = np.arange(1, int(sig.sum()) + 1)
    at.insert(0, "rank", rank)
    at = at.drop(columns="_eps").reset_index(drop=True)
    at = at[_empty_attributes().columns].astype(_empty_attributes().dtypes.to_dict())
    lv = pd.DataFrame(level_rows)
    order = {a: k for k, a in enumerate(at["attribute"])}
    lv = lv.assign(_o=lv["attribute"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")
    lv = lv[_empty_levels().columns].astype(_empty_levels().dtypes.to_dict()).reset_index(drop=True)
    return WaitDrivers(at, lv, _skipped_frame(skipped), target, act, settings)


def _effect(value: float, bounds: tuple[float, float, float]) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    v = abs(float(value))
    small, medium, large = bounds
    return "large" if v >= large else "medium" if v >= medium else "small" if v >= small else "negligible"


def _skipped_frame(skipped: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(skipped, columns=["column", "reason"]).astype(
        {"column": "object", "reason": "object"}
    )


def _empty_attributes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": pd.Series(dtype="Int64"),
            "attribute": pd.Series(dtype="object"),
            "kind": pd.Series(dtype="object"),
            "cases": pd.Series(dtype="int64"),
            "coverage": pd.Series(dtype="float64"),
            "known_at_start_share": pd.Series(dtype="float64"),
            "levels": pd.Series(dtype="int64"),
            "tested_cases": pd.Series(dtype="int64"),
            "h_statistic": pd.Series(dtype="float64"),
            "p_value": pd.Series(dtype="float64"),
            "p_adjusted": pd.Series(dtype="float64"),
            "epsilon_squared": pd.Series(dtype="float64"),
            "effect": pd.Series(dtype="object"),
            "significant": pd.Series(dtype="bool"),
        }
    )


def _empty_levels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "attribute": pd.Series(dtype="object"),
            "level": pd.Series(dtype="object"),
            "cases": pd.Series(dtype="int64"),
            "median_hours": pd.Series(dtype="float64"),
            "other_median_hours": pd.Series(dtype="float64"),
            "ratio": pd.Series(dtype="float64"),
            "tested_cases": pd.Series(dtype="int64"),
            "cliffs_delta": pd.Series(dtype="float64"),
            "p_value": pd.Series(dtype="float64"),
            "p_adjusted": pd.Series(dtype="float64"),
            "significant": pd.Series(dtype="bool"),
        }
    )


# --- 4. SLA breaches -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaBreaches:
    """Steps that took longer than their target, or finished after their due time.

    Attributes
    ----------
    activities : pandas.DataFrame
        One row per activity and basis, the highest breach share first: ``activity`` (str), ``basis``
        (``"target"``: hours from enabling to completion against ``target_hours``; ``"due_date"``:
        completion against the event's due time), ``instances`` (int64, measured), ``unmeasured``
        (int64: targeted events that open their case, so have no enabling), ``target_hours`` (float, NaN
        for due dates), ``breaches`` (int64), ``breach_share`` (float in [0, 1]), ``hours_over_total``,
        ``hours_over_p90`` (float, over the breaches; NaN without breaches), ``example_cases`` (list of
        str, at most five: the largest overruns first).
    cases : pandas.DataFrame
        Due dates only: the breaching cases, the largest overrun first (at most :data:`SLA_MAX_CASES`):
        ``case_id`` (str), ``events_with_due``, ``breaches`` (int64), ``hours_over_max`` (float).
    summary : dict
        ``targets`` (dict activity -> hours), ``due_column`` (str or None), and for due dates
        ``cases_with_due``, ``cases_breached`` (int), ``case_breach_share`` (float), ``due_values``
        (int, non-missing values), ``unparseable`` (int) and ``unparseable_examples`` (list of
        ``{"row": 1-based row in the source, "value": str}``, at most five), ``due_format``, ``due_zone``.
    """

    activities: pd.DataFrame
    cases: pd.DataFrame
    summary: dict = field(default_factory=dict)

    def to_frame(self, level: Literal["activity", "case"] = "activity") -> pd.DataFrame:
        """The per-activity table, or the breaching cases (a copy)."""
        return (self.activities if level == "activity" else self.cases).copy()

    def plot(self):
        """Breach share per step (bars; text: breaches of instances).

        Returns
        -------
        plotly.graph_objects.Figure
            One horizontal bar trace per basis. Activity names are HTML-escaped.
        """
        import plotly.graph_objects as go

        fig = go.Figure()
        for basis, label in (("target", "against the target"), ("due_date", "against the due date")):
            d = self.activities[self.activities["basis"] == basis].iloc[::-1]
            if not len(d):
                continue
            fig.add_trace(
                go.Bar(
                    x=d["breach_share"],
                    y=[_esc(a) for a in d["activity"]],
                    orientation="h",
                    name=label,
                    text=[f"{b:,} of {n:,}" for b, n in zip(d["breaches"], d["instances"], strict=True)],
                    textposition="auto",
                    customdata=np.stack([d["hours_over_total"].fillna(0.0), d["target_hours"]], axis=-1),
                    hovertemplate=(
                        "%{y}: %{x:.0%} breached, %{customdata[0]:,.0f} h over in total<extra></extra>"
                    ),
                )
            )
        fig.update_layout(
            title="SLA breaches per step",
            xaxis={"title": {"text": "share of instances breached"}, "tickformat": ".0%", "range": [0, 1]},
            height=140 + 28 * max(1, len(self.activities)),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        s = self.summary
        extra = ""
        if s.get("due_column"):
            extra = (
                f"<p>Due dates from {_esc(s['due_column'])}: {s['cases_breached']:,} of "
                f"{s['cases_with_due']:,} cases breached; {s['unparseable']:,} unparseable value(s).</p>"
            )
        return "<b>SLA breaches</b>" + extra + self.activities.to_html(index=False, escape=True)


def find_sla_breaches(
    log: EventLog,
    *,
    targets: dict[str, float] | None = None,
    due_column: str | None = None,
) -> SlaBreaches:
    """Count the instances of each step that breached a target duration or a due date.

    **Targets** (``targets={"Assess application": 72.0}``): the hours a step may take from its
    *enabling* to its completion, waiting included: the enabling is the completion of the previous
    event of the case (the same instant waiting is measured from, see :func:`analysis.find_bottlenecks`),
    which is what a customer-facing service level counts. A breach is a duration above the target.
    An instance that opens its case has no enabling and is counted as ``unmeasured``.

    **Due dates** (``due_column="dueDate"``): an event attribute holding the time the event was due
    (BPIC 2015's ``dueDate``). A breach is a completion after it. Values are parsed with
    :func:`mapper.timestamps.parse_timestamps` (ISO 8601 with offsets, day/month order only when the
    data prove it; naive values taken in the log's time zone); values that cannot be parsed are counted
    and shown in ``summary``, never dropped silently. Logs with dates only compare a completion at
    midnight with the due time, so breaches by less than a day on the due day are not seen. Per case:
    the cases with at least one breached due time.

    Parameters
    ----------
    log : EventLog
    targets : dict of str to float, optional
        Activity -> target hours (> 0).
    due_column : str, optional
        The column of ``log.events`` holding due timestamps.

    Returns
    -------
    SlaBreaches

    Raises
    ------
    AnalysisError
        When neither ``targets`` nor ``due_column`` is given; a target names an activity that is not in
        the log (the message lists the activities) or is not a positive number; ``due_column`` is not a
        column of the log (the message lists the columns), holds no value, or no value in it can be read
        as a timestamp.

    References
    ----------
    Dumas, M., La Rosa, M., Mendling, J. & Reijers, H. A. (2018). *Fundamentals of Business Process
    Management*, 2nd ed., §7.1 (time-related measures, service levels).
    van Dongen, B. F. (2015). BPI Challenge 2015, municipality 1. 4TU.ResearchData,
    doi:10.4121/uuid:a0addfda-2044-4541-a450-fdcc9fe16d17 (the ``dueDate`` attribute).

    Examples
    --------
    >>> from mapper import load_event_log
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> sla = find_sla_breaches(log, targets={"Assess application": 72.0})
    >>> sla.activities["activity"].tolist()
    ['Assess application']
    """
    if not targets and due_column is None:
        raise AnalysisError(
            "give `targets` (activity -> hours, e.g. {'Assess application': 72.0}) or `due_column` (a column "
            "holding due timestamps), or both."
        )
    tables = log.tables()
    o = tables.ordered
    parts = []
    summary: dict = {"targets": {}, "due_column": due_column}
    if targets:
        if not isinstance(targets, dict):
            raise AnalysisError(
                f"`targets` must be a dict of activity -> hours, not {type(targets).__name__}."
            )
        known = sorted(tables.result("activity_stats", activity_stats)["activity"].tolist())
        unknown = [a for a in targets if a not in known]
        if unknown:
            raise AnalysisError(
                f"`targets` name {unknown}, which are not activities of the log; known activities: {known}."
            )
        clean = {}
        for a, h in targets.items():
            if isinstance(h, bool) or not isinstance(h, numbers.Real) or not h > 0 or math.isinf(h):
                raise AnalysisError(f"`targets` gives {a!r} {h!r} hours; give a positive number of hours.")
            clean[str(a)] = float(h)
        summary["targets"] = dict(clean)
        t = ibis.memtable(pd.DataFrame({ACTIVITY: list(clean), "target_hours": list(clean.values())}))
        x = target_overruns(o, t)
        got = execute(breach_summary(x, examples=SLA_EXAMPLES))
        got["basis"] = "target"
        parts.append(got)
    cases = _empty_sla_cases()
    if due_column is not None:
        if due_column not in log.columns:
            raise AnalysisError(
                f"`due_column` {due_column!r} is not a column of the log; its columns: {log.columns}."
            )
        # Only the events that carry a due value come back (in file order), to be parsed as the loader
        # parses timestamps.
        full = log.table()
        ev = execute(full.filter(full[due_column].notnull()).select(ROW_NR, due_column).order_by(ROW_NR))
        raw = ev[due_column]
        try:
            parsed = parse_timestamps(
                raw.reset_index(drop=True),
                column=due_column,
                source=log.source,
                timezone=log.timezone,
                row_label=lambda i: f"row {int(ev[ROW_NR].iloc[i]) + 1}",
            )
        except TimestampError as exc:
            raise AnalysisError(f"`due_column` {due_column!r}: {exc}") from None
        present = ~parsed.missing.to_numpy()
        if not present.any():
            raise AnalysisError(
                f"`due_column` {due_column!r} holds no value; choose a column with due timestamps."
            )
        bad = parsed.bad.to_numpy()
        rows = ev[ROW_NR].to_numpy()
        examples = [
            {"row": int(r) + 1, "value": str(v)}
            for r, v in zip(rows[bad][:5], raw.to_numpy()[bad][:5], strict=True)
        ]
        good = present & ~bad
        due = pd.DataFrame(
            {
                ROW_NR: rows[good].astype("int64"),
                "due_us": parsed.values[good]
                .dt.tz_convert("UTC")
                .dt.tz_localize(None)
                .astype("datetime64[us]")
                .astype("int64")
                .to_numpy(),
            }
        )
        x = due_overruns(o, ibis.memtable(due))
        got = execute(breach_summary(x, examples=SLA_EXAMPLES))
        got["basis"] = "due_date"
        parts.append(got)
        per_case = case_breaches(x)
        counts = execute(
            per_case.aggregate(n=per_case.count(), b=(per_case.breaches > 0).cast("int64").sum())
        ).iloc[0]
        worst = (
            per_case.filter(per_case.breaches > 0)
            .order_by([ibis.desc("hours_over_max"), CASE_ID])
            .limit(SLA_MAX_CASES)
        )
        cases = execute(worst).astype(
            {CASE_ID: "object", "events_with_due": "int64", "breaches": "int64", "hours_over_max": "float64"}
        )[list(_empty_sla_cases().columns)]
        n_cases, n_b = int(counts["n"]), int(pd.Series([counts["b"]]).fillna(0).iloc[0])
        summary.update(
            {
                "cases_with_due": n_cases,
                "cases_breached": n_b,
                "case_breach_share": n_b / n_cases if n_cases else math.nan,
                "due_values": int(present.sum()),
                "unparseable": int(bad.sum()),
                "unparseable_examples": examples,
                "due_format": parsed.format,
                "due_zone": parsed.zone,
            }
        )
    act = pd.concat(parts, ignore_index=True)
    act["breaches"] = act["breaches"].fillna(0).astype("int64")
    act["instances"] = act["instances"].astype("int64")
    act["unmeasured"] = act["unmeasured"].fillna(0).astype("int64")
    act["breach_share"] = (act["breaches"] / act["instances"].where(act["instances"] > 0)).astype("float64")
    act["hours_over_total"] = act["hours_over_total"].fillna(0.0).astype("float64")
    act["example_cases"] = [
        list(v) if isinstance(v, (list, np.ndarray)) else [] for v in act["example_cases"]
    ]
    act = act.assign(_s=act["breach_share"].fillna(-1.0)).sort_values(
        ["_s", "breaches", "activity", "basis"], ascending=[False, False, True, True], kind="stable"
    )
    cols = [
        "activity",
        "basis",
        "instances",
        "unmeasured",
        "target_hours",
        "breaches",
        "breach_share",
        "hours_over_total",
        "hours_over_p90",
        "example_cases",
    ]
    act = act[cols].astype(
        {"activity": "object", "basis": "object", "target_hours": "float64", "hours_over_p90": "float64"}
    )
    return SlaBreaches(act.reset_index(drop=True), cases.reset_index(drop=True), summary)


def _empty_sla_cases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            CASE_ID: pd.Series(dtype="object"),
            "events_with_due": pd.Series(dtype="int64"),
            "breaches": pd.Series(dtype="int64"),
            "hours_over_max": pd.Series(dtype="float64"),
        }
    )
