"""The feedback loop: did cycle time, waiting, rework and handoff failures move between two logs?

:func:`compare_logs` takes two event logs of the same process (before and after a change, or the two
halves of one log, :func:`split_log`) and tests, for the process and for every step, whether each
measure moved: the difference with a confidence interval, a p-value, a multiple-testing adjustment and a
minimum practical effect. ``docs/compare.md`` is the method page.

Cases of one process are not independent: they queue for the same people, so a backlog makes the
cases of a few weeks all slow together. A bootstrap that resamples cases treats a busy month as many
independent pieces of evidence and calls a difference between two runs of the *same* process
significant (on the bundled sample's simulator, in every pair of seeds tried). flowready therefore
resamples **periods** of case starts (a block bootstrap): :func:`compare_quantiles` and
:func:`compare_ratios` are its two building blocks, public for reuse, with
:func:`analysis.stats.adjust_p_values`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ibis
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.bottlenecks import END_ACTIVITY_SHARE
from analysis.escape import escape_figure
from analysis.export import json_ready
from analysis.labels import BAD, GOOD, NEUTRAL
from analysis.queries.compare import (
    activity_cases,
    activity_periods,
    case_ends,
    case_periods,
    case_sample,
    case_starts,
    case_table,
    closed_cases,
    instance_sample,
    ping_pong_flags,
)
from analysis.stats import adjust_p_values
from mapper.columns import CASE_ID
from mapper.engine import execute
from mapper.errors import AnalysisError
from mapper.filters import filter_log
from mapper.load import load_event_log
from mapper.log import EventLog

#: Bootstrap resamples. The p-value of a percentile bootstrap cannot go below ``2 / (resamples + 1)``;
#: with 10,000 that is 0.0002, so Holm's adjustment can still reach 0.05 in a family of up to 250 tests.
RESAMPLES = 10_000
#: Periods are at least one week long (weekly office hours and batches stay inside a period) ...
MIN_PERIOD_HOURS = 168.0
#: ... and every log is cut into at least this many periods (the period is shortened if needed).
MIN_PERIODS = 10
#: ``period_hours`` may not cut a log into more periods than this.
MAX_PERIODS = 10_000
#: A measure is tested only when each log has values in at least this many periods ...
MIN_PERIODS_WITH_DATA = 5
#: ... and at least this many values (cases, instances) in all.
MIN_SAMPLE = 10
#: At most this many values per log and measure (cases for the process measures; instances of each
#: activity for the step measures), taken in the engine by the hash of the case id. A median of 5,000
#: values has a standard error of about 1.25 / sqrt(5000), under 2 % of the spread.
SAMPLE_CAP = 5_000
#: A change is practically relevant only when it is at least this share of the before value ...
MIN_RELATIVE_CHANGE = 0.10
#: ... and at least this many hours (measures in hours) ...
MIN_HOURS = 0.25
#: ... or this many percentage points, as a share (measures that are shares of cases).
MIN_SHARE = 0.02
#: Hours in an average month (365.25 * 24 / 12).
HOURS_PER_MONTH = 730.5
#: At most this many resample weights are held at once (resamples x periods); larger jobs run in chunks.
_MAX_WEIGHTS = 4_000_000
_US_PER_HOUR = 3_600_000_000

#: measure -> (unit, better when: "lower", "higher" or "neutral", definition).
PROCESS_MEASURES: dict[str, tuple[str, str, str]] = {
    "cycle_hours_median": ("hours", "lower", "median cycle time of the closed cases"),
    "cycle_hours_p90": ("hours", "lower", "90th percentile of the cycle time of the closed cases"),
    "waiting_hours_per_case_median": (
        "hours",
        "lower",
        "median over the closed cases of the total waiting in the case",
    ),
    "rework_rate": ("share", "lower", "share of the closed cases in which some activity is repeated"),
    "ping_pong_rate": ("share", "lower", "share of the closed cases with a ping-pong between performers"),
    "events_per_case": ("events per case", "neutral", "mean number of events of a closed case"),
    "cases_per_month": ("cases per month", "neutral", "cases started per month (demand, throughput)"),
}
#: The measure of the optional handoff-failure flags (one row for any failure, one per kind).
FAILURE_MEASURE = ("share", "lower", "share of the closed cases with a handoff failure")
STEP_MEASURES: dict[str, tuple[str, str, str]] = {
    "waiting_hours_median": ("hours", "lower", "median waiting before the step"),
    "processing_hours_median": ("hours", "lower", "median processing time of the step"),
    "rework_share": ("share", "lower", "share of the step's cases in which it is repeated"),
    "events_per_case": ("events per case", "neutral", "mean occurrences of the step per case"),
}

RESULT_COLUMNS = [
    "measure",
    "unit",
    "before",
    "after",
    "difference",
    "relative_change",
    "ci_low",
    "ci_high",
    "rel_ci_low",
    "rel_ci_high",
    "p_value",
    "p_adjusted",
    "significant",
    "direction",
    "better_when",
    "test",
    "n_before",
    "n_after",
]


# --- statistics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A before/after comparison of one measure.

    Attributes
    ----------
    before, after : float
        The measure on each side.
    difference : float
        ``after - before``, in the measure's unit.
    relative_change : float
        ``difference / before``; NaN when ``before`` is 0.
    ci_low, ci_high : float
        Confidence interval of ``difference`` (NaN when not tested).
    rel_ci_low, rel_ci_high : float
        Confidence interval of ``relative_change`` (NaN when not tested, or when a resampled before
        value is 0).
    p_value : float
        Two-sided p-value of "no difference" (NaN when not tested).
    test : str
        The method, or why no test was run.
    n_before, n_after : int
        The number of values (cases, instances) on each side.
    varies : bool
        False when no resample moved the difference from 0 (both sides constant and equal): such a test
        cannot reject, and :func:`compare_logs` leaves it out of the multiple-testing family.
    """

    before: float
    after: float
    difference: float
    relative_change: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    rel_ci_low: float = math.nan
    rel_ci_high: float = math.nan
    p_value: float = math.nan
    test: str = ""
    n_before: int = 0
    n_after: int = 0
    varies: bool = True

    def to_dict(self) -> dict:
        """The fields as a dict (floats may be NaN)."""
        return dict(self.__dict__)


def _relative(before: float, after: float) -> float:
    return (after - before) / before if np.isfinite(before) and before != 0 else math.nan


def quantile(values, q: float) -> float:
    """The ``q`` quantile as the order statistic ``x_(k)``, ``k = ceil(q * n)`` (1-based).

    Hyndman & Fan's type 1, the inverse of the empirical distribution function: the statistic the
    bootstrap of :func:`compare_quantiles` recomputes on weighted resamples. For an even number of
    values the median is the lower of the two middle values (``find_bottlenecks`` interpolates, so on
    a small sample the two can differ by half a gap).

    Parameters
    ----------
    values : array-like of shape (n,)
        Numbers; NaN are dropped.
    q : float in (0, 1)

    Returns
    -------
    float
        NaN when no value is left.

    Examples
    --------
    >>> quantile([4.0, 1.0, 3.0, 2.0], 0.5), quantile([1.0, 2.0, 3.0], 0.5)
    (2.0, 2.0)
    """
    x = np.sort(np.asarray(values, dtype="float64"))
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan
    return float(x[max(1, math.ceil(q * len(x) - 1e-9)) - 1])


class _Weights:
    """The bootstrap weights of one log: ``resamples`` draws of ``k`` periods with replacement.

    Row ``b`` counts how often each period was drawn in resample ``b`` (a multinomial(k, 1/k) vector).
    Held whole when small; otherwise regenerated in the same chunks, from the same seeds, for each
    measure, so every measure of a log sees the same resamples.
    """

    def __init__(self, k: int, resamples: int, seed: int, stream: int) -> None:
        self.k, self.resamples = max(k, 1), resamples
        self._seed = (seed, stream)
        self._chunk = max(1, min(resamples, _MAX_WEIGHTS // self.k))
        self._held = list(self._make()) if resamples * self.k <= _MAX_WEIGHTS else None

    def _make(self) -> Iterator[np.ndarray]:
        for i, start in enumerate(range(0, self.resamples, self._chunk)):
            rng = np.random.default_rng([*self._seed, i])
            size = min(self._chunk, self.resamples - start)
            yield rng.multinomial(self.k, np.full(self.k, 1.0 / self.k), size=size).astype("float64")

    def chunks(self) -> Iterator[np.ndarray]:
        return iter(self._held) if self._held is not None else self._make()


def _boot_quantiles(x: np.ndarray, period: np.ndarray, weights: _Weights, q: float) -> np.ndarray:
    """The type-1 ``q`` quantile of every resample: each value weighted by its period's draw count."""
    order = np.argsort(x, kind="stable")
    xs, ps = x[order], period[order]
    used, local = np.unique(ps, return_inverse=True)
    n, m = len(xs), len(used)
    out = []
    if m * n <= _MAX_WEIGHTS:
        # Bisection on the position: cum[j, i] = values of period j among the i + 1 smallest.
        onehot = np.zeros((m, n))
        onehot[local, np.arange(n)] = 1.0
        cum = np.cumsum(onehot, axis=1)
        for w in weights.chunks():
            wu = w[:, used]
            target = q * (wu @ cum[:, -1]) - 1e-9
            lo, hi = np.zeros(len(w), dtype="int64"), np.full(len(w), n - 1, dtype="int64")
            while np.any(lo < hi):
                mid = (lo + hi) // 2
                ok = np.einsum("bj,jb->b", wu, cum[:, mid]) >= target
                hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid + 1)
            out.append(np.where(wu @ cum[:, -1] > 0, xs[lo], np.nan))
    else:  # many periods (one per value): prefix sums of the weights, in chunks of resamples
        for w in weights.chunks():
            step = max(1, _MAX_WEIGHTS // n)
            for s in range(0, len(w), step):
                wv = np.cumsum(w[s : s + step][:, ps], axis=1)
                total = wv[:, -1]
                idx = np.argmax(wv >= q * total[:, None] - 1e-9, axis=1)
                out.append(np.where(total > 0, xs[idx], np.nan))
    return np.concatenate(out)


def _boot_ratios(num: np.ndarray, den: np.ndarray, weights: _Weights) -> np.ndarray:
    """``sum(w * num) / sum(w * den)`` for every resample (NaN where the denominator is 0)."""
    out = []
    for w in weights.chunks():
        d = w @ den
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append(np.where(d > 0, (w @ num) / d, np.nan))
    return np.concatenate(out)


@dataclass(frozen=True)
class _Interval:
    """A case-level interval and p-value (cases taken as independent), the floor of the block bootstrap."""

    low: float
    high: float
    p_value: float
    rel_low: float = math.nan
    rel_high: float = math.nan


def _quantile_distribution(x: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """The exact bootstrap distribution of the type-1 ``q`` quantile of the sorted sample ``x``.

    A resample of ``n`` values drawn with replacement has its ``k``-th order statistic at most ``x_(j)``
    exactly when at least ``k`` of its draws are among the ``j`` smallest values:
    ``P(X*_(k) <= x_(j)) = P(Binomial(n, j / n) >= k)`` (Efron 1979, §3; Maritz & Jarrett 1978). Tied
    values share one support point; points of negligible probability are left out.
    """
    from scipy import stats

    n = len(x)
    k = max(1, math.ceil(q * n - 1e-9))
    cdf = stats.binom.sf(k - 1, n, np.arange(1, n + 1) / n)
    cdf[-1] = 1.0
    support = np.unique(x)
    pmf = np.diff(cdf[np.searchsorted(x, support, side="right") - 1], prepend=0.0)
    keep = pmf > 1e-13
    support, pmf = support[keep], pmf[keep]
    if len(support) > 2000:  # merge neighbours (equal-probability groups) to bound the pairing below
        groups = np.array_split(np.arange(len(support)), 2000)
        p = np.array([pmf[g].sum() for g in groups])
        support = np.array([np.dot(support[g], pmf[g]) for g in groups]) / p
        pmf = p
    return support, pmf / pmf.sum()


def _weighted_quantiles(d: np.ndarray, w: np.ndarray, levels: list[float]) -> list[float]:
    order = np.argsort(d, kind="stable")
    d, cw = d[order], np.cumsum(w[order])
    cw /= cw[-1]
    return [float(d[min(int(np.searchsorted(cw, lv - 1e-12)), len(d) - 1)]) for lv in levels]


def _iid_quantiles(xb: np.ndarray, xa: np.ndarray, q: float, confidence: float) -> _Interval:
    """Percentile interval and p-value of the exact case-level bootstrap of a quantile difference."""
    vb, pb = _quantile_distribution(np.sort(xb), q)
    va, pa = _quantile_distribution(np.sort(xa), q)
    d = (va[:, None] - vb[None, :]).ravel()
    w = (pa[:, None] * pb[None, :]).ravel()
    tail = (1 - confidence) / 2
    lo, hi = _weighted_quantiles(d, w, [tail, 1 - tail])
    p = min(1.0, 2 * min(float(w[d <= 0].sum()), float(w[d >= 0].sum())))
    rel = [math.nan, math.nan]
    if vb.min() > 0:
        rel = _weighted_quantiles((va[:, None] / vb[None, :]).ravel() - 1, w, [tail, 1 - tail])
    return _Interval(lo, hi, p, *rel)


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(x * (n - x) / n + z * z / 4) / (n + z * z)
    return centre - half, centre + half


def _iid_proportions(xb: float, nb: float, xa: float, na: float, confidence: float) -> _Interval:
    """Newcombe's hybrid score interval of ``xa/na - xb/nb``; Fisher's exact test when an expected cell
    is below 5, else the pooled z test; Katz's log interval of the risk ratio (0.5 added to every cell
    when a count is 0)."""
    from scipy import stats

    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    p1, p2 = xb / nb, xa / na
    l1, u1 = _wilson(xb, nb, z)
    l2, u2 = _wilson(xa, na, z)
    d = p2 - p1
    lo, hi = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    total, hits = nb + na, xb + xa
    if hits in (0, total):
        p = 1.0
    elif min(hits, total - hits) * min(nb, na) / total < 5:
        table = [[round(xb), round(nb - xb)], [round(xa), round(na - xa)]]
        p = float(stats.fisher_exact(table).pvalue)
    else:
        pooled = hits / total
        p = float(2 * stats.norm.sf(abs(d) / math.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / na))))
    a, b, m, n = (xb, xa, nb, na) if xb and xa else (xb + 0.5, xa + 0.5, nb + 1, na + 1)
    rel = [math.nan, math.nan]
    if a < m and b < n:
        log_rr, se = math.log((b / n) / (a / m)), math.sqrt(1 / b - 1 / n + 1 / a - 1 / m)
        rel = [math.exp(log_rr - z * se) - 1, math.exp(log_rr + z * se) - 1]
    return _Interval(lo, hi, p, *rel)


def _iid_means(
    sum_b: float, sq_b: float, nb: float, sum_a: float, sq_a: float, na: float, confidence: float
) -> _Interval:
    """Welch's interval and t test of a difference of means, from sums and sums of squares; a
    delta-method interval of the ratio of the means."""
    from scipy import stats

    mb, ma = sum_b / nb, sum_a / na
    vb = max(sq_b - nb * mb * mb, 0.0) / (nb - 1) / nb
    va = max(sq_a - na * ma * ma, 0.0) / (na - 1) / na
    d = ma - mb
    if vb + va == 0:
        return _Interval(d, d, 1.0 if d == 0 else 0.0)
    df = (vb + va) ** 2 / (vb**2 / (nb - 1) + va**2 / (na - 1))
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, df))
    se = math.sqrt(vb + va)
    p = float(2 * stats.t.sf(abs(d) / se, df))
    rel = [math.nan, math.nan]
    if mb > 0 and ma > 0:
        s = math.sqrt(vb / mb**2 + va / ma**2)
        rel = [math.exp(math.log(ma / mb) - t * s) - 1, math.exp(math.log(ma / mb) + t * s) - 1]
    return _Interval(d - t * se, d + t * se, p, *rel)


def _iid_rates(cb: float, tb: float, ca: float, ta: float, confidence: float) -> _Interval:
    """Poisson rates: the exact conditional (binomial) test, a normal interval of the difference and a
    log interval of the rate ratio."""
    from scipy import stats

    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    d = ca / ta - cb / tb
    se = math.sqrt(cb / tb**2 + ca / ta**2)
    p = float(stats.binomtest(round(ca), round(cb + ca), ta / (tb + ta)).pvalue)
    rel = [math.nan, math.nan]
    if cb > 0 and ca > 0:
        lr, s = math.log((ca / ta) / (cb / tb)), math.sqrt(1 / cb + 1 / ca)
        rel = [math.exp(lr - z * s) - 1, math.exp(lr + z * s) - 1]
    return _Interval(d - z * se, d + z * se, p, *rel)


def _estimate(
    before: float,
    after: float,
    boot_before: np.ndarray,
    boot_after: np.ndarray,
    *,
    confidence: float,
    n_before: int,
    n_after: int,
    test: str,
    floor: _Interval | None = None,
) -> Estimate:
    """Percentile interval and p-value from the bootstrap draws of each side, widened to ``floor``
    (the case-level interval) where that is wider."""
    ok = np.isfinite(boot_before) & np.isfinite(boot_after)
    tb, ta = boot_before[ok], boot_after[ok]
    base = {
        "before": before,
        "after": after,
        "difference": after - before,
        "relative_change": _relative(before, after),
        "n_before": int(n_before),
        "n_after": int(n_after),
    }
    if len(tb) == 0:
        return Estimate(**base, test="not tested: no resample had values on both sides")
    d = ta - tb
    if d.min() == d.max() == 0:
        return Estimate(
            **base,
            ci_low=0.0,
            ci_high=0.0,
            p_value=1.0,
            test=f"{test}; no resample moved it: left out of the adjustment",
            varies=False,
        )
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(d, [tail, 1 - tail], method="inverted_cdf")
    # The p-value that inverts the percentile interval, with the +1 of a Monte Carlo p-value: the
    # interval excludes 0 when p < 1 - confidence (up to the +1).
    p = min(1.0, 2 * (min(int((d <= 0).sum()), int((d >= 0).sum())) + 1) / (len(d) + 1))
    rel_lo = rel_hi = math.nan
    if np.all(tb > 0):
        rel_lo, rel_hi = np.quantile(ta / tb - 1, [tail, 1 - tail], method="inverted_cdf")
    if floor is not None:
        lo, hi, p = min(lo, floor.low), max(hi, floor.high), max(p, floor.p_value)
        if np.isfinite(rel_lo) and np.isfinite(floor.rel_low):
            rel_lo, rel_hi = min(rel_lo, floor.rel_low), max(rel_hi, floor.rel_high)
        test += ", never narrower than the case-level interval"
    return Estimate(
        **base,
        ci_low=float(lo),
        ci_high=float(hi),
        rel_ci_low=float(rel_lo),
        rel_ci_high=float(rel_hi),
        p_value=float(p),
        test=test,
    )


def _untestable(n_b: int, k_b: int, n_a: int, k_a: int) -> str:
    if min(n_b, n_a) < MIN_SAMPLE:
        return f"not tested: fewer than {MIN_SAMPLE} values on a side"
    if min(k_b, k_a) < MIN_PERIODS_WITH_DATA:
        return f"not tested: values in fewer than {MIN_PERIODS_WITH_DATA} periods on a side"
    return ""


def _untested(before: float, after: float, n_b: int, n_a: int, why: str) -> Estimate:
    return Estimate(
        before=before,
        after=after,
        difference=after - before,
        relative_change=_relative(before, after),
        test=why,
        n_before=int(n_b),
        n_after=int(n_a),
    )


@dataclass(frozen=True)
class _Bootstrap:
    """The resamples of both sides and how an estimate is read off them."""

    before: _Weights
    after: _Weights
    confidence: float
    test: str
    #: Widen every interval to the case-level one (when periods group several values).
    case_floor: bool = True

    def quantiles(self, xb, pb, xa, pa, q: float) -> Estimate:
        """Compare the ``q`` quantile of values ``xb``/``xa`` whose periods (weight columns) are
        ``pb``/``pa``; NaN values are dropped."""
        xb, xa = np.asarray(xb, dtype="float64"), np.asarray(xa, dtype="float64")
        pb, pa = np.asarray(pb, dtype="int64"), np.asarray(pa, dtype="int64")
        fb, fa = np.isfinite(xb), np.isfinite(xa)
        xb, pb, xa, pa = xb[fb], pb[fb], xa[fa], pa[fa]
        point_b, point_a = quantile(xb, q), quantile(xa, q)
        why = _untestable(len(xb), len(np.unique(pb)), len(xa), len(np.unique(pa)))
        if why:
            return _untested(point_b, point_a, len(xb), len(xa), why)
        return _estimate(
            point_b,
            point_a,
            _boot_quantiles(xb, pb, self.before, q),
            _boot_quantiles(xa, pa, self.after, q),
            confidence=self.confidence,
            n_before=len(xb),
            n_after=len(xa),
            test=self.test,
            floor=_iid_quantiles(xb, xa, q, self.confidence) if self.case_floor else None,
        )

    def ratios(
        self,
        num_b,
        den_b,
        num_a,
        den_a,
        n_b: int | None = None,
        n_a: int | None = None,
        iid: Callable[[], _Interval] | None = None,
    ) -> Estimate:
        """Compare ``sum(num) / sum(den)``, one entry per period (weight column) on each side.
        ``n_b``/``n_a`` are the sizes reported (default: the summed denominators); ``iid`` computes the
        case-level interval the result is never narrower than."""
        point_b = float(num_b.sum() / den_b.sum()) if den_b.sum() > 0 else math.nan
        point_a = float(num_a.sum() / den_a.sum()) if den_a.sum() > 0 else math.nan
        size_b = round(float(den_b.sum())) if n_b is None else n_b
        size_a = round(float(den_a.sum())) if n_a is None else n_a
        why = _untestable(size_b, int((den_b > 0).sum()), size_a, int((den_a > 0).sum()))
        if why:
            return _untested(point_b, point_a, size_b, size_a, why)
        return _estimate(
            point_b,
            point_a,
            _boot_ratios(num_b, den_b, self.before),
            _boot_ratios(num_a, den_a, self.after),
            confidence=self.confidence,
            n_before=size_b,
            n_after=size_a,
            test=self.test,
            floor=iid() if (iid is not None and self.case_floor) else None,
        )


def _check_common(confidence: float, resamples: int) -> None:
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence must be between 0 and 1 (e.g. 0.95), not {confidence!r}.")
    if not isinstance(resamples, int | np.integer) or resamples < 100:
        raise AnalysisError(f"resamples must be an integer of at least 100, not {resamples!r}.")


def compare_quantiles(
    before,
    after,
    *,
    q: float = 0.5,
    periods_before=None,
    periods_after=None,
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Estimate:
    """Compare a quantile (the median by default) of two samples: difference, interval and p-value.

    A block bootstrap: each side is resampled independently by drawing its periods with replacement
    (as many draws as it has periods) and keeping every value of each drawn period, so that values of
    one period, which share its workload, move together. The quantile (type 1, :func:`quantile`) of
    each resample is computed with every value weighted by its period's draw count. The interval is
    the percentile interval of ``D* = after* - before*``; the p-value inverts it,
    ``2 * (min(#{D* <= 0}, #{D* >= 0}) + 1) / (resamples + 1)``, capped at 1. The relative change gets
    its interval from ``after* / before* - 1`` (when no resampled before value is 0). Without periods,
    every value is its own period: the ordinary bootstrap of independent values.

    Parameters
    ----------
    before, after : array-like of shape (n_before,), (n_after,)
        The values (e.g. hours). NaN values are dropped.
    q : float in (0, 1), default 0.5
        0.5 the median, 0.9 the p90.
    periods_before, periods_after : array-like of int, optional
        The period of each value (e.g. the week its case started), same shape as the values.
    confidence : float in (0, 1), default 0.95
    resamples : int, default 10000
        :data:`RESAMPLES`.
    seed : int, default 0
        The same seed gives the same interval and p-value.

    Returns
    -------
    Estimate
        ``test`` names the method; without :data:`MIN_SAMPLE` values in :data:`MIN_PERIODS_WITH_DATA`
        periods on each side, only the point values (``test`` says why).

    Raises
    ------
    AnalysisError
        When ``q`` or ``confidence`` is not strictly between 0 and 1, when ``resamples`` is below 100,
        or when a periods array does not match its values.

    References
    ----------
    Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13 and 16 (percentile interval,
    bootstrap tests); Künsch (1989), "The jackknife and the bootstrap for general stationary
    observations", Annals of Statistics 17(3), and Davison & Hinkley (1997), *Bootstrap Methods and
    their Application*, §3.8 and §8.2 (resampling blocks of dependent data) and §4.2 (the Monte Carlo
    p-value); Hyndman & Fan (1996), "Sample quantiles in statistical packages", The American
    Statistician 50(4).

    Examples
    --------
    >>> e = compare_quantiles(np.arange(1.0, 101.0), np.arange(1.0, 101.0) + 50)
    >>> e.before, e.after, e.difference
    (50.0, 100.0, 50.0)
    >>> bool(e.ci_low > 0 and e.p_value < 0.001)
    True
    """
    if not 0 < q < 1:
        raise AnalysisError(f"q must be a quantile strictly between 0 and 1, not {q!r}.")
    _check_common(confidence, resamples)
    sides = []
    for name, values, periods in (
        ("periods_before", before, periods_before),
        ("periods_after", after, periods_after),
    ):
        x = np.asarray(values, dtype="float64").ravel()
        if periods is None:
            local = np.arange(len(x))
        else:
            p = np.asarray(periods).ravel()
            if p.shape != x.shape:
                raise AnalysisError(
                    f"{name} must give one period per value ({len(x)} values, {p.size} periods)."
                )
            local = np.unique(p, return_inverse=True)[1]
        sides.append((x, local))
    (xb, pb), (xa, pa) = sides
    boot = _Bootstrap(
        _Weights(int(pb.max(initial=-1)) + 1, int(resamples), seed, 0),
        _Weights(int(pa.max(initial=-1)) + 1, int(resamples), seed, 1),
        confidence,
        _test_name(periods_before is not None or periods_after is not None),
        case_floor=periods_before is not None or periods_after is not None,
    )
    return boot.quantiles(xb, pb, xa, pa, q)


def compare_ratios(
    numerators_before,
    denominators_before,
    numerators_after,
    denominators_after,
    *,
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Estimate:
    """Compare two ratios of sums, ``sum(num) / sum(den)``: shares, means and rates.

    Each array holds one entry per period (or per case): a share of cases with rework is
    ``rework cases / cases``, a mean number of events per case ``events / cases``, a rate
    ``cases / months``. The entries of a side are resampled as in :func:`compare_quantiles` (its
    periods drawn with replacement) and the ratio of the weighted sums recomputed on every resample;
    the interval and the p-value are read off the bootstrap distribution of the difference in the
    same way.

    Parameters
    ----------
    numerators_before, denominators_before, numerators_after, denominators_after : array-like
        Non-negative numbers, one per period; a numerator array has the length of its denominator.
    confidence : float in (0, 1), default 0.95
    resamples : int, default 10000
    seed : int, default 0

    Returns
    -------
    Estimate
        ``n_before``/``n_after`` are the summed denominators rounded to an integer (cases, for shares
        and means). Not tested with fewer than :data:`MIN_PERIODS_WITH_DATA` periods with a positive
        denominator, or a summed denominator below :data:`MIN_SAMPLE`, on a side.

    Raises
    ------
    AnalysisError
        When the arrays of a side differ in length or hold negative numbers, or as
        :func:`compare_quantiles`.

    References
    ----------
    Davison & Hinkley (1997), *Bootstrap Methods and their Application*, §3.8 (block resampling);
    Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13 (percentile interval).

    Examples
    --------
    >>> e = compare_ratios([3, 2, 4, 3, 3], [10] * 5, [1, 1, 2, 1, 0], [10] * 5)
    >>> round(e.before, 2), round(e.after, 2), bool(e.ci_high < 0)
    (0.3, 0.1, True)
    """
    _check_common(confidence, resamples)
    arrays = []
    for side, num, den in (
        ("before", numerators_before, denominators_before),
        ("after", numerators_after, denominators_after),
    ):
        n, d = np.asarray(num, dtype="float64"), np.asarray(den, dtype="float64")
        if n.shape != d.shape or n.ndim != 1:
            raise AnalysisError(
                f"numerators_{side} and denominators_{side} must be 1-d arrays of one length "
                f"({n.shape} and {d.shape})."
            )
        if (n < 0).any() or (d < 0).any():
            raise AnalysisError(f"numerators_{side} and denominators_{side} must not be negative.")
        arrays.append((n, d))
    (nb, db), (na, da) = arrays
    boot = _Bootstrap(
        _Weights(len(nb), int(resamples), seed, 0),
        _Weights(len(na), int(resamples), seed, 1),
        confidence,
        _test_name(True),
    )
    return boot.ratios(nb, db, na, da)


def _test_name(blocks: bool, period_hours: float | None = None) -> str:
    if not blocks:
        return "bootstrap of independent values (percentile)"
    if period_hours is None:
        return "block bootstrap over periods (percentile)"
    return f"block bootstrap over {period_hours / 24:.3g}-day periods (percentile)"


# --- splitting a log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogSplit:
    """A log cut in two by the start of its cases (:func:`split_log`).

    Attributes
    ----------
    before : EventLog
        The cases that started before ``at``.
    after : EventLog
        The cases that started at ``at`` or later.
    at : pandas.Timestamp
        The cut (UTC).
    """

    before: EventLog
    after: EventLog
    at: pd.Timestamp

    def to_frame(self) -> pd.DataFrame:
        """The two sides in a table.

        Returns
        -------
        pandas.DataFrame
            Two rows, ``before`` then ``after``: ``part`` (str), ``cases``, ``events``, ``variants`` (int64),
            ``start``, ``end`` (str, ISO 8601 UTC: the first and last event of the side), ``source`` (str,
            with the filter that made the side).

        Examples
        --------
        >>> halves = split_log(load_event_log(SAMPLE))
        >>> halves.to_frame()[["part", "cases"]].to_dict("records")
        [{'part': 'before', 'cases': 500}, {'part': 'after', 'cases': 500}]
        """
        rows = []
        for part, log in (("before", self.before), ("after", self.after)):
            s = log.summary()
            rows.append(
                {
                    "part": part,
                    "cases": s["cases"],
                    "events": s["events"],
                    "variants": s["variants"],
                    "start": s["start"],
                    "end": s["end"],
                    "source": "; ".join([log.source, *log.filters]),
                }
            )
        return pd.DataFrame(rows).astype({"cases": "int64", "events": "int64", "variants": "int64"})

    def plot(self):
        """A plotly bar chart of the cases started per week on each side of the cut.

        Returns
        -------
        plotly.graph_objects.Figure
            Bars of cases (int) per week of their first start (UTC), one trace per side, and a line at
            :attr:`at`.

        Examples
        --------
        >>> halves = split_log(load_event_log(SAMPLE))
        >>> fig = halves.plot()
        >>> [t.name for t in fig.data], int(sum(sum(t.y) for t in fig.data))
        (['before', 'after'], 1000)
        """
        week_us = 7 * 24 * 3600 * 1_000_000
        traces = []
        for part, log, colour in (("before", self.before, "#0072b2"), ("after", self.after, "#e69f00")):
            c = case_table(log)
            weeks = c.mutate(week=(c.start_us / week_us).floor().cast("int64"))
            d = execute(weeks.group_by("week").aggregate(cases=weeks.count()).order_by("week"))
            when = pd.to_datetime(d["week"] * week_us, unit="us", utc=True)
            traces.append(go.Bar(x=when, y=d["cases"], name=part, marker_color=colour))
        fig = go.Figure(traces)
        fig.add_vline(x=self.at.timestamp() * 1000, line_color="#555555", line_dash="dash")
        fig.update_layout(
            title=f"Split at {self.at:%Y-%m-%d %H:%M} UTC: cases started per week",
            xaxis_title="week of the case's first start",
            yaxis_title="cases",
            bargap=0.1,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        return (
            f"<b>Split at {html.escape(str(self.at))}</b>: {self.before.n_events:,} events before, "
            f"{self.after.n_events:,} after" + self.to_frame().to_html(index=False)
        )


def split_log(log: EventLog, *, at: str | pd.Timestamp | None = None) -> LogSplit:
    """Cut a log in two by the start of its cases: the cases started before ``at``, and the others.

    Every case goes whole to one side, by its first start (or completion when no start is known):
    ``filter_log(log, time_range=(None, at - 1 µs), time_mode="started")`` and
    ``filter_log(log, time_range=(at, None), time_mode="started")`` (:func:`mapper.filter_log`).

    Splitting by date censors the later half: its cases had less time to finish before the log was
    exported, so more of them are open, and those that closed are the faster ones. :func:`compare_logs`
    measures per-case times on closed cases only and says how many are open on each side: read a
    fall of the cycle time in the later half with that in mind.

    Parameters
    ----------
    log : EventLog
    at : str or pandas.Timestamp, optional
        The cut; a value without a zone is taken in ``log.timezone``. By default the median case start,
        so that both halves have (about) the same number of cases.

    Returns
    -------
    LogSplit

    Raises
    ------
    AnalysisError
        When ``at`` is not a time, or leaves one side without cases (the message gives the log's range).

    Examples
    --------
    >>> halves = split_log(load_event_log("sample_logs/council_permits.csv"))
    >>> halves.before.summary()["cases"] + halves.after.summary()["cases"]
    1000
    """
    s = execute(case_starts(case_table(log))).iloc[0]
    first = pd.Timestamp(int(s["first_start_us"]), unit="us", tz="UTC")
    last = pd.Timestamp(int(s["last_start_us"]), unit="us", tz="UTC")
    if at is None:
        cut = pd.Timestamp(int(s["median_start_us"]), unit="us", tz="UTC")
    else:
        try:
            cut = pd.Timestamp(at)
        except (TypeError, ValueError) as exc:
            raise AnalysisError(f"at must be a time (e.g. '2024-06-01'), not {at!r} ({exc}).") from exc
        if pd.isna(cut):
            raise AnalysisError(f"at must be a time (e.g. '2024-06-01'), not {at!r}.")
        cut = (cut.tz_localize(log.timezone) if cut.tzinfo is None else cut).tz_convert("UTC")
    if not first < cut <= last:
        raise AnalysisError(
            f"at={cut} leaves one side without cases: the cases of {log.source} start between {first} "
            f"and {last}; give a time after the first start and no later than the last."
        )
    before = filter_log(log, time_range=(None, cut - pd.Timedelta(microseconds=1)), time_mode="started")
    after = filter_log(log, time_range=(cut, None), time_mode="started")
    return LogSplit(before, after, cut)


# --- the comparison ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Whether, and how much, a process and its steps changed between two logs.

    Attributes
    ----------
    process : pandas.DataFrame
        One row per process measure (:data:`PROCESS_MEASURES`, in that order; ``ping_pong_rate`` only
        when measured, ``waiting_hours_per_case_median`` only when both logs have start times; then
        ``handoff_failure_rate`` and ``handoff_failure_rate: <kind>`` when failure flags were given).
        Columns (:data:`RESULT_COLUMNS`): ``measure`` (str), ``unit`` (str:
        ``"hours"``, ``"share"``, ``"events per case"``, ``"cases per month"``), ``before``, ``after``,
        ``difference`` (``after - before``), ``relative_change`` (``difference / before``; NaN when
        before is 0), ``ci_low``, ``ci_high`` (interval of the difference), ``rel_ci_low``,
        ``rel_ci_high`` (of the relative change), ``p_value``, ``p_adjusted`` (float; NaN when not
        tested), ``significant`` (bool, see :func:`compare_logs`), ``direction`` (str: ``"better"`` or
        ``"worse"`` for measures with a better side, ``"higher"`` or ``"lower"`` for neutral ones,
        ``"no change"`` when not significant, ``"not tested"``), ``better_when`` (``"lower"``,
        ``"higher"``, ``"neutral"``), ``test`` (str: the method, or why none), ``n_before``,
        ``n_after`` (int64: values or cases compared on each side).
    steps : pandas.DataFrame
        ``activity`` (str), ``status`` (str: ``"both"``, ``"appeared"`` or ``"disappeared"``), then the
        same columns, one row per step and measure (:data:`STEP_MEASURES`; a step in only one log has a
        single untested row, ``events_per_case``). Significant rows first, then by adjusted p-value,
        activity and measure.
    notes : list of str
        What the reader must know: periods, samples, censoring, measures left out.
    settings : dict
        ``alpha``, ``confidence``, ``adjust``, ``min_relative_change``, ``min_hours``, ``min_share``,
        ``resamples``, ``seed``, ``sample_cap``, ``period_hours`` (float), ``periods_before``,
        ``periods_after`` (int), ``handoff_level`` (str or None), ``end_activities`` (list of str).
    before_name, after_name : str
        What each side is (source and filters).
    """

    process: pd.DataFrame
    steps: pd.DataFrame
    notes: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    before_name: str = "before"
    after_name: str = "after"

    def to_frame(self) -> pd.DataFrame:
        """Process and step rows in one long table: ``level`` (``"process"``/``"step"``), ``activity``
        (empty for the process), ``status``, then :data:`RESULT_COLUMNS`."""
        p = self.process.assign(level="process", activity="", status="both")
        s = self.steps.assign(level="step")
        cols = ["level", "activity", "status", *RESULT_COLUMNS]
        return pd.concat([p[cols], s[cols]], ignore_index=True)

    def significant(self) -> pd.DataFrame:
        """The significant rows of :meth:`to_frame` (a copy)."""
        f = self.to_frame()
        return f[f["significant"]].reset_index(drop=True)

    def plot(self, *, top: int = 25) -> go.Figure:
        """A forest plot of the relative changes with their confidence intervals.

        Every tested process measure, then step measures (the significant ones first, then the smallest
        adjusted p-values) up to ``top`` rows in all. Green is better, red worse, blue a significant
        change of a neutral measure, grey no significant change. Names are HTML-escaped.
        """
        f = self.to_frame()
        f = f[f["relative_change"].notna() & f["p_value"].notna()]
        proc = f[f["level"] == "process"]
        steps = f[f["level"] == "step"].sort_values(
            ["significant", "p_adjusted"], ascending=[False, True], kind="stable"
        )
        steps = steps.head(max(0, top - len(proc)))
        d = pd.concat([proc, steps], ignore_index=True).iloc[::-1]
        colours = {"better": GOOD, "worse": BAD, "higher": NEUTRAL, "lower": NEUTRAL}
        label = [
            html.escape(m if lvl == "process" else f"{a} · {m}")
            for lvl, a, m in zip(d["level"], d["activity"], d["measure"], strict=True)
        ]
        x = 100 * d["relative_change"]
        err_hi = (100 * d["rel_ci_high"] - x).clip(lower=0).fillna(0)
        err_lo = (x - 100 * d["rel_ci_low"]).clip(lower=0).fillna(0)
        fig = go.Figure(
            go.Scatter(
                x=x,
                y=label,
                mode="markers",
                marker={"color": [colours.get(v, "#7f8c8d") for v in d["direction"]], "size": 9},
                error_x={"type": "data", "symmetric": False, "array": err_hi, "arrayminus": err_lo},
                customdata=np.column_stack([d["before"], d["after"], d["p_adjusted"], d["direction"]]),
                hovertemplate=(
                    "%{y}: %{x:+.1f}%<br>before %{customdata[0]:.3g}, after %{customdata[1]:.3g}"
                    "<br>adjusted p %{customdata[2]:.2g} (%{customdata[3]})<extra></extra>"
                ),
            )
        )
        fig.add_vline(x=0, line_color="#555555", line_width=1)
        fig.update_layout(
            title=html.escape(f"What changed: {self.after_name} against {self.before_name}"),
            xaxis={"title": {"text": "relative change (%), with confidence interval"}},
            yaxis={"type": "category"},
            height=160 + 26 * len(d),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def to_dict(self) -> dict:
        """The ``comparison.json`` document, JSON-ready (NaN and infinities as ``null``).

        Keys: ``before``, ``after`` (str), ``settings`` (dict), ``process`` and ``steps`` (lists of
        records with the columns of the two tables), ``notes`` (list of str).
        """
        return {
            "before": self.before_name,
            "after": self.after_name,
            "settings": json_ready(self.settings),
            "process": [json_ready(r) for r in self.process.to_dict(orient="records")],
            "steps": [json_ready(r) for r in self.steps.to_dict(orient="records")],
            "notes": list(self.notes),
        }

    def _repr_html_(self) -> str:
        shown = ["measure", "before", "after", "relative_change", "ci_low", "ci_high", "p_adjusted"]
        sig = self.steps[self.steps["significant"]]
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<b>{html.escape(self.after_name)} against {html.escape(self.before_name)}</b>"
            + self.process[[*shown, "direction"]].to_html(index=False)
            + f"<b>Steps that changed significantly: {len(sig)}</b>"
            + sig[["activity", *shown, "direction"]].to_html(index=False)
            + (f"<ul>{notes}</ul>" if notes else "")
        )


def _as_log(x, name: str) -> EventLog:
    if isinstance(x, EventLog):
        return x
    if isinstance(x, str | Path):
        return load_event_log(x)
    raise AnalysisError(f"{name} must be an EventLog or the path of a log file, not {type(x).__name__}.")


def _describe(log: EventLog) -> str:
    return log.source + (f" ({'; '.join(log.filters)})" if log.filters else "")


@dataclass(frozen=True)
class _Side:
    """What the comparison reads from one log (compact tables only)."""

    log: EventLog
    name: str
    cases: int
    first_us: int
    last_us: int
    ends: pd.DataFrame  # last_activity, cases
    activities: pd.DataFrame  # activity, events, cases
    sample: pd.DataFrame  # start_us, cycle_hours, waiting_hours, last_activity


def _read_side(log: EventLog, cap: int) -> _Side:
    c = case_table(log)
    s = execute(case_starts(c)).iloc[0]
    return _Side(
        log=log,
        name=_describe(log),
        cases=int(s["cases"]),
        first_us=int(s["first_start_us"]),
        last_us=int(s["last_start_us"]),
        ends=execute(case_ends(c)),
        activities=execute(activity_cases(log.tables().ordered)),
        sample=execute(case_sample(c, cap)),
    )


def _end_activities(side: _Side) -> set[str]:
    """Activities ending at least END_ACTIVITY_SHARE of the cases containing them (find_bottlenecks)."""
    ends = side.ends.set_index("last_activity")["cases"].rename("ends")
    present = side.activities.set_index("activity")["cases"]
    j = pd.concat([ends, present], axis=1).fillna(0)
    return set(j.index[(j["cases"] > 0) & (j["ends"] >= END_ACTIVITY_SHARE * j["cases"])])


def _period_index(start_us, first_us: int, period_us: int) -> np.ndarray:
    return ((np.asarray(start_us, dtype="int64") - first_us) // period_us).astype("int64")


def compare_logs(
    before: EventLog | str | Path,
    after: EventLog | str | Path,
    *,
    alpha: float = 0.05,
    adjust: Literal["holm", "fdr_bh"] = "fdr_bh",
    min_relative_change: float = MIN_RELATIVE_CHANGE,
    min_hours: float = MIN_HOURS,
    min_share: float = MIN_SHARE,
    period_hours: float | None = None,
    resamples: int = RESAMPLES,
    seed: int = 0,
    sample_cap: int = SAMPLE_CAP,
    end_activities: list[str] | None = None,
    handoff_level: Literal["auto", "role", "resource", "none"] = "auto",
    failures_before: pd.DataFrame | None = None,
    failures_after: pd.DataFrame | None = None,
) -> Comparison:
    """Did cycle time, waiting, rework and handoff failures move between two logs of one process?

    **Measures** (:data:`PROCESS_MEASURES`, :data:`STEP_MEASURES`):

    * process: the median and p90 cycle time and the median total waiting per case, the rework rate and
      the ping-pong rate (shares of cases), the mean events per case, all over the **closed** cases
      (whose last activity is an end activity: the cycle time of an open case is not known yet); the
      cases started per month; and, when ``failures_before``/``failures_after`` are given, the share of
      closed cases with a handoff failure, in all and per kind;
    * per step (activities in both logs): the median waiting before it and, when both logs have start
      times, its median processing time (every instance, open cases included); the share of its cases
      in which it is repeated; its mean occurrences per case (cases without it count 0). A step in
      only one log is reported as ``appeared`` or ``disappeared`` (one row, untested).

    **Intervals and p-values**: a block bootstrap over periods of case starts (:func:`compare_quantiles`,
    :func:`compare_ratios`). Cases that are in the process at the same time share its queues and staff,
    so they are not independent; resampling whole periods keeps that dependence in the intervals. A
    period is one week, or the median cycle time of the closed cases of both logs when longer (cases
    further apart than that rarely overlap), shortened when needed so that each log spans
    :data:`MIN_PERIODS` periods; ``period_hours`` overrides it. Each log's periods are resampled
    ``resamples`` times (the same draws for all its measures), independently of the other log.

    **Significance**: the p-values of each family (the process measures; all step measures together)
    are adjusted by Benjamini-Hochberg by default. When nothing changed, it bounds the chance of even
    one false alarm in the family by ``alpha``, exactly like Holm's method (Benjamini & Hochberg 1995,
    with every hypothesis true the false-discovery rate *is* that chance), so "no change where none was
    made" is as safe. When something did change, it moves several measures at once (the step relieved
    and the steps and cases downstream); Holm then spends all of ``alpha`` on avoiding a single false
    alarm and misses real changes, where Benjamini-Hochberg keeps the expected share of false alarms
    among the flagged changes below ``alpha``. ``adjust="holm"`` gives the stricter reading. A test
    that no resample moved (both sides constant and equal, e.g. a step never repeated) cannot reject
    and is left out of the family (Tarone 1990). A change is ``significant`` only when (1) its adjusted
    p-value is below ``alpha``, (2) its ``1 - alpha`` interval excludes 0, and (3) it is practically
    relevant: ``|relative change| >= min_relative_change`` (or the before value is 0) **and**
    ``|difference| >= min_hours`` for measures in hours, ``>= min_share`` for shares. On a large log a
    shift of a few minutes is statistically certain and still not worth a leader's time; (3) keeps it
    out.

    **Samples**: quantiles need values, not sums; the engine returns at most ``sample_cap`` values per
    log and measure (cases, or instances of one step), chosen by the hash of the case id
    (:mod:`analysis.queries.compare`). Shares, means and rates use every case.

    Parameters
    ----------
    before, after : EventLog or path
        The two logs (a path is read with :func:`mapper.load_event_log` and its detected mapping). For
        two halves of one log, see :func:`split_log`, or cut with :func:`mapper.filter_log`
        (``time_range=..., time_mode="started"``).
    alpha : float in (0, 1), default 0.05
        Level of the adjusted p-values; the intervals are ``1 - alpha`` intervals, not adjusted.
    adjust : {"holm", "fdr_bh"}, default "fdr_bh"
    min_relative_change : float, default 0.10
    min_hours : float, default 0.25
        The smallest difference in hours worth reporting (15 minutes).
    min_share : float, default 0.02
        The smallest difference of a share worth reporting (2 percentage points).
    period_hours : float, optional
        The length of the resampled periods, in hours (by default as above).
    resamples : int, default 10000
        :data:`RESAMPLES`.
    seed : int, default 0
        The same seed gives the same intervals and p-values.
    sample_cap : int, default 5000
        :data:`SAMPLE_CAP`.
    end_activities : list of str, optional
        Activities that close a case. By default those that end at least half of the cases containing
        them, in either log (the rule of :func:`analysis.find_bottlenecks`).
    handoff_level : {"auto", "role", "resource", "none"}, default "auto"
        Where ping-pong is counted (:func:`analysis.find_handoffs`' definition): roles when both logs
        name them, else resources; ``"none"`` leaves the measure out.
    failures_before, failures_after : pandas.DataFrame, optional
        Handoff failures per case from another analysis: columns ``case_id`` (str) and ``failure``
        (str, the kind), one row per case and kind (cases absent had none). Both or neither.

    Returns
    -------
    Comparison

    Raises
    ------
    AnalysisError
        When ``alpha``, a ``min_*``, ``period_hours``, ``resamples`` or ``sample_cap`` is out of range;
        when ``adjust`` or ``handoff_level`` is unknown; when an ``end_activities`` name is in neither
        log; when only one of ``failures_before``/``failures_after`` is given or one lacks its columns.
        A path that cannot be read raises as :func:`mapper.load_event_log`.

    See Also
    --------
    split_log, compare_quantiles, compare_ratios, adjust_p_values

    References
    ----------
    Künsch (1989), Annals of Statistics 17(3), and Davison & Hinkley (1997), *Bootstrap Methods and
    their Application*, §8.2 (block bootstrap of dependent data); Holm (1979), Scandinavian Journal of
    Statistics 6(2); Benjamini & Hochberg (1995), JRSS B 57(1); Tarone (1990), "A modified Bonferroni
    method for discrete data", Biometrics 46(2); Lakens, Scheel & Isager (2018),
    "Equivalence testing for psychological research", AMPPS 1(2) (the smallest effect size of
    interest); van der Aalst (2016), *Process Mining*, §9.4 (performance measures); Bose, van der
    Aalst, Žliobaitė & Pechenizkiy (2014), "Dealing with concept drifts in process mining", IEEE TNNLS
    25(1) (comparing a process over time).

    Examples
    --------
    >>> halves = split_log(load_event_log("sample_logs/council_permits.csv"), at="2025-03-01")
    >>> c = compare_logs(halves.before, halves.after, resamples=1000)
    >>> c.process["measure"].tolist()[:3]
    ['cycle_hours_median', 'cycle_hours_p90', 'waiting_hours_per_case_median']
    """
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise AnalysisError(f"alpha must be between 0 and 1 (e.g. 0.05), not {alpha!r}.")
    _check_common(1 - alpha, resamples)
    if adjust not in ("holm", "fdr_bh"):
        raise AnalysisError(f"adjust must be 'holm' or 'fdr_bh', not {adjust!r}.")
    if handoff_level not in ("auto", "role", "resource", "none"):
        raise AnalysisError(
            f"handoff_level must be 'auto', 'role', 'resource' or 'none', not {handoff_level!r}."
        )
    for name, v in (("min_relative_change", min_relative_change), ("min_hours", min_hours)):
        if not (isinstance(v, int | float) and v >= 0):
            raise AnalysisError(f"{name} must be a non-negative number, not {v!r}.")
    if not (isinstance(min_share, int | float) and 0 <= min_share < 1):
        raise AnalysisError(f"min_share must be a share between 0 and 1, not {min_share!r}.")
    if period_hours is not None and not (isinstance(period_hours, int | float) and period_hours > 0):
        raise AnalysisError(f"period_hours must be a positive number of hours or None, not {period_hours!r}.")
    if not isinstance(sample_cap, int | np.integer) or sample_cap < MIN_SAMPLE:
        raise AnalysisError(f"sample_cap must be an integer of at least {MIN_SAMPLE}, not {sample_cap!r}.")
    if (failures_before is None) != (failures_after is None):
        raise AnalysisError(
            "Pass both failures_before and failures_after (the handoff failures of each log), or neither."
        )
    for name, frame in (("failures_before", failures_before), ("failures_after", failures_after)):
        if frame is not None and not {CASE_ID, "failure"} <= set(frame.columns):
            raise AnalysisError(
                f"{name} must have the columns case_id and failure (one row per case and kind of "
                f"handoff failure); it has {list(frame.columns)}."
            )
    log_b, log_a = _as_log(before, "before"), _as_log(after, "after")
    notes: list[str] = []
    b, a = _read_side(log_b, int(sample_cap)), _read_side(log_a, int(sample_cap))
    ends = _closing_activities(b, a, end_activities, notes)
    length = _period_length(b, a, ends, period_hours, notes)
    period_us = max(1, int(round(length * _US_PER_HOUR)))
    k_b = int((b.last_us - b.first_us) // period_us) + 1
    k_a = int((a.last_us - a.first_us) // period_us) + 1
    if max(k_b, k_a) > MAX_PERIODS:
        raise AnalysisError(
            f"period_hours={period_hours!r} cuts a log into {max(k_b, k_a):,} periods (at most "
            f"{MAX_PERIODS:,}); give longer periods, or None for the default."
        )
    boot = _Bootstrap(
        _Weights(k_b, int(resamples), seed, 0),
        _Weights(k_a, int(resamples), seed, 1),
        1 - alpha,
        _test_name(True, length),
    )
    notes.append(
        f"Intervals and p-values: block bootstrap over periods of {length / 24:.3g} days of case starts "
        f"({k_b} periods before, {k_a} after; {int(resamples):,} resamples, seed {seed})."
    )
    level = _handoff_level(log_b, log_a, handoff_level, notes)
    sums_b = _PeriodSums.of(b, k_b, period_us, level, ends)
    sums_a = _PeriodSums.of(a, k_a, period_us, level, ends)
    _case_notes(b, a, sums_b, sums_a, ends, int(sample_cap), notes)

    rows = _process_rows(boot, b, a, sums_b, sums_a, ends, period_us, level)
    measures = dict(PROCESS_MEASURES)
    if failures_before is not None:
        rows += _failure_rows(boot, b, a, sums_b, sums_a, ends, period_us, failures_before, failures_after)
        measures.update({name: FAILURE_MEASURE for name, _ in rows if name.startswith("handoff_failure")})
    floors = {"hours": min_hours, "share": min_share}
    process = _table(rows, measures, alpha, adjust, min_relative_change, floors)

    keys, step_rows = _step_rows(boot, b, a, sums_b, sums_a, period_us, int(sample_cap), notes)
    steps = _table(step_rows, STEP_MEASURES, alpha, adjust, min_relative_change, floors)
    steps.insert(0, "status", [s for _, s in keys])
    steps.insert(0, "activity", [k for k, _ in keys])
    steps = steps.sort_values(
        ["significant", "p_adjusted", "activity", "measure"],
        ascending=[False, True, True, True],
        na_position="last",
        kind="stable",
        ignore_index=True,
    )
    family = sum(1 for _, e in step_rows if np.isfinite(e.p_value) and e.varies)
    method = "Holm" if adjust == "holm" else "Benjamini-Hochberg"
    notes.append(
        f"{family} step tests adjusted together ({method}); {int(steps['significant'].sum())} significant "
        f"with a practical effect (at least {min_relative_change:.0%}, and {min_hours:g} h or "
        f"{100 * min_share:g} points)."
    )
    settings = {
        "alpha": alpha,
        "confidence": 1 - alpha,
        "adjust": adjust,
        "min_relative_change": min_relative_change,
        "min_hours": min_hours,
        "min_share": min_share,
        "resamples": int(resamples),
        "seed": seed,
        "sample_cap": int(sample_cap),
        "period_hours": length,
        "periods_before": k_b,
        "periods_after": k_a,
        "handoff_level": level,
        "end_activities": sorted(ends),
    }
    return Comparison(process, steps, notes, settings, b.name, a.name)


def _closing_activities(b: _Side, a: _Side, given: list[str] | None, notes: list[str]) -> set[str]:
    """The end activities: given, or by the rule of find_bottlenecks in either log."""
    known = set(b.activities["activity"]) | set(a.activities["activity"])
    if given is not None:
        unknown = sorted(set(given) - known)
        if unknown:
            raise AnalysisError(
                f"`end_activities` {unknown} are in neither log; their activities are: {sorted(known)}."
            )
        return set(given)
    ends = _end_activities(b) | _end_activities(a)
    if not ends:
        notes.append("No end activity found: every case is taken as closed.")
    return ends


def _closed(frame: pd.DataFrame, ends: set[str]) -> pd.DataFrame:
    return frame[frame["last_activity"].isin(ends)] if ends else frame


def _period_length(b: _Side, a: _Side, ends: set[str], given: float | None, notes: list[str]) -> float:
    """Hours per resampled period: a week, or the median cycle time when longer; at least MIN_PERIODS
    periods per log."""
    if given is not None:
        return float(given)
    cycles = np.concatenate([_closed(s.sample, ends)["cycle_hours"].to_numpy() for s in (b, a)])
    length = max(MIN_PERIOD_HOURS, quantile(cycles, 0.5) if len(cycles) else 0.0)
    shortest = min((s.last_us - s.first_us) / _US_PER_HOUR for s in (b, a))
    if shortest / length < MIN_PERIODS:
        length = max(shortest / MIN_PERIODS, 1e-3)
        notes.append(
            f"The logs are short for their pace: periods of {length / 24:.3g} days (a log must span "
            f"{MIN_PERIODS} periods), shorter than a week or the median cycle time, so cases of "
            "neighbouring periods overlap and the intervals may be somewhat too narrow."
        )
    return length


def _handoff_level(log_b: EventLog, log_a: EventLog, wanted: str, notes: list[str]) -> str | None:
    if wanted == "none":
        return None
    roles = log_b.has_roles and log_a.has_roles
    resources = log_b.has_resources and log_a.has_resources
    if wanted == "auto":
        level = "role" if roles else "resource" if resources else None
    else:
        level = wanted if (roles if wanted == "role" else resources) else None
    if level is None:
        what = "roles or resources" if wanted == "auto" else f"{wanted}s"
        notes.append(f"Ping-pong is not compared: the two logs do not both name {what}.")
    return level


def _dense(frame: pd.DataFrame, column: str, k: int) -> np.ndarray:
    """The sums of ``column`` per period of ``frame`` as an array of length ``k`` (0 where none)."""
    out = np.zeros(k)
    if len(frame):
        sums = frame.groupby("period")[column].sum()
        out[sums.index.to_numpy(dtype="int64")] = sums.to_numpy(dtype="float64")
    return out


@dataclass(frozen=True)
class _PeriodSums:
    """Per-period sums of one log: over its closed cases, all its cases, and per activity."""

    closed: pd.DataFrame  # last_activity, period, cases, rework_cases, ping_pong_cases, events_sum
    cases: np.ndarray  # all cases per period
    activities: pd.DataFrame  # activity, period, events, cases, rework_cases
    k: int

    @classmethod
    def of(cls, side: _Side, k: int, period_us: int, level: str | None, ends: set[str]) -> _PeriodSums:
        c = case_table(side.log)
        pings = ping_pong_flags(side.log, level) if level else None
        cp = execute(case_periods(c, pings, side.first_us, period_us))
        acts = execute(activity_periods(side.log.tables().ordered, c, side.first_us, period_us))
        return cls(_closed(cp, ends), _dense(cp, "cases", k), acts, k)

    def closed_sum(self, column: str) -> np.ndarray:
        return _dense(self.closed, column, self.k)


def _case_notes(b: _Side, a: _Side, sb: _PeriodSums, sa: _PeriodSums, ends, cap: int, notes: list[str]):
    nb, na = int(sb.closed["cases"].sum()), int(sa.closed["cases"].sum())
    open_b, open_a = 1 - nb / max(b.cases, 1), 1 - na / max(a.cases, 1)
    notes.append(
        f"Per-case measures use closed cases (last activity: {', '.join(sorted(ends)) or 'any'}): "
        f"{nb:,} of {b.cases:,} before ({open_b:.0%} open), {na:,} of {a.cases:,} after ({open_a:.0%} open)."
    )
    if abs(open_a - open_b) >= 0.05:
        more = "after" if open_a > open_b else "before"
        notes.append(
            f"The {more} log has {abs(open_a - open_b):.0%} more open cases: its closed cases lean towards "
            "the quick ones (censoring, as when a log is split by date), so a fall of its cycle times is "
            "partly an artefact."
        )
    if not (b.log.has_start_timestamps and a.log.has_start_timestamps):
        notes.append(
            "Waiting is measured between completions (a log has no start times), so it includes the "
            "processing of the step; processing times are not compared, nor the waiting per case (it "
            "would equal the cycle time)."
        )
    for side in (b, a):
        if side.cases > cap:
            notes.append(
                f"{side.name}: the per-case quantiles use a deterministic sample of {cap:,} of its "
                f"{side.cases:,} cases."
            )


def _process_rows(boot, b, a, sb: _PeriodSums, sa: _PeriodSums, ends, period_us, level) -> list:
    cb, ca = _closed(b.sample, ends), _closed(a.sample, ends)
    pb = _period_index(cb["start_us"], b.first_us, period_us)
    pa = _period_index(ca["start_us"], a.first_us, period_us)
    rows = [
        ("cycle_hours_median", boot.quantiles(cb["cycle_hours"], pb, ca["cycle_hours"], pa, 0.5)),
        ("cycle_hours_p90", boot.quantiles(cb["cycle_hours"], pb, ca["cycle_hours"], pa, 0.9)),
    ]
    if b.log.has_start_timestamps and a.log.has_start_timestamps:
        # Without start times the waits of a case add up to its cycle time: the same measure twice.
        rows.append(
            (
                "waiting_hours_per_case_median",
                boot.quantiles(cb["waiting_hours"], pb, ca["waiting_hours"], pa, 0.5),
            )
        )
    den_b, den_a = sb.closed_sum("cases"), sa.closed_sum("cases")
    for measure, column in (("rework_rate", "rework_cases"), ("ping_pong_rate", "ping_pong_cases")):
        if measure == "ping_pong_rate" and level is None:
            continue
        rows.append((measure, _share(boot, sb.closed_sum(column), den_b, sa.closed_sum(column), den_a)))
    sum_b, sum_a = sb.closed_sum("events_sum"), sa.closed_sum("events_sum")
    squares = sb.closed_sum("events_sq_sum").sum(), sa.closed_sum("events_sq_sum").sum()
    rows.append(("events_per_case", _mean(boot, sum_b, den_b, sum_a, den_a, squares)))
    exposure_b = _exposure_months(b, sb.k, period_us)
    exposure_a = _exposure_months(a, sa.k, period_us)
    conf = boot.confidence
    rate = boot.ratios(
        sb.cases,
        exposure_b,
        sa.cases,
        exposure_a,
        b.cases,
        a.cases,
        iid=lambda: _iid_rates(sb.cases.sum(), exposure_b.sum(), sa.cases.sum(), exposure_a.sum(), conf),
    )
    rows.append(("cases_per_month", rate))
    return rows


def _share(boot: _Bootstrap, num_b, den_b, num_a, den_a) -> Estimate:
    """A share of cases per period, never narrower than Newcombe's case-level interval."""
    totals = num_b.sum(), den_b.sum(), num_a.sum(), den_a.sum()
    return boot.ratios(num_b, den_b, num_a, den_a, iid=lambda: _iid_proportions(*totals, boot.confidence))


def _mean(boot: _Bootstrap, sum_b, den_b, sum_a, den_a, squares: tuple[float, float]) -> Estimate:
    """A mean per case from per-period sums, never narrower than Welch's case-level interval."""
    args = (sum_b.sum(), squares[0], den_b.sum(), sum_a.sum(), squares[1], den_a.sum(), boot.confidence)
    return boot.ratios(sum_b, den_b, sum_a, den_a, iid=lambda: _iid_means(*args))


def _failure_rows(boot, b, a, sb, sa, ends, period_us, failures_before, failures_after) -> list:
    """One share of closed cases per kind of handoff failure given, and one for any failure."""
    fb = _failure_periods(b, ends, failures_before, period_us)
    fa = _failure_periods(a, ends, failures_after, period_us)
    den_b, den_a = sb.closed_sum("cases"), sa.closed_sum("cases")
    rows = []
    for kind in [None, *sorted(set(fb["failure"]) | set(fa["failure"]))]:
        name = "handoff_failure_rate" if kind is None else f"handoff_failure_rate: {kind}"
        sel_b = fb.drop_duplicates(CASE_ID) if kind is None else fb[fb["failure"] == kind]
        sel_a = fa.drop_duplicates(CASE_ID) if kind is None else fa[fa["failure"] == kind]
        count_b = _dense(sel_b.assign(n=1.0), "n", sb.k)
        count_a = _dense(sel_a.assign(n=1.0), "n", sa.k)
        rows.append((name, _share(boot, count_b, den_b, count_a, den_a)))
    return rows


def _step_rows(boot, b, a, sb: _PeriodSums, sa: _PeriodSums, period_us, cap, notes) -> tuple[list, list]:
    """(activity, status) keys and (measure, Estimate) rows of every step, busiest steps first."""
    inst = []
    for side in (b, a):
        if inst and side is b:  # measure_log measures one log as both sides: one sample serves both
            inst.append(inst[0])
            continue
        frame = execute(instance_sample(side.log.tables().ordered, cap))
        frame["period"] = _period_index(frame["case_start_us"], side.first_us, period_us)
        inst.append(dict(tuple(frame.groupby("activity"))))
    acts_b, acts_a = (
        dict(tuple(sb.activities.groupby("activity"))),
        dict(tuple(sa.activities.groupby("activity"))),
    )
    totals_b = b.activities.set_index("activity")["events"]
    totals_a = a.activities.set_index("activity")["events"]
    order = (
        pd.concat([totals_b, totals_a], axis=1, keys=["b", "a"])
        .fillna(0)
        .assign(total=lambda d: d["b"] + d["a"])
        .reset_index(names="activity")
        .sort_values(["total", "activity"], ascending=[False, True])["activity"]
        .tolist()
    )
    both_start = b.log.has_start_timestamps and a.log.has_start_timestamps
    keys, rows, capped = [], [], []
    for act in order:
        in_b, in_a = act in totals_b.index, act in totals_a.index
        if not (in_b and in_a):
            per_case = float((totals_b if in_b else totals_a)[act]) / (b.cases if in_b else a.cases)
            before, after = (per_case, 0.0) if in_b else (0.0, per_case)
            why = "not tested: the step is in one log only"
            rows.append(("events_per_case", _untested(before, after, b.cases, a.cases, why)))
            keys.append((act, "disappeared" if in_b else "appeared"))
            continue
        if max(totals_b[act], totals_a[act]) > cap:
            capped.append(act)
        gb, ga = inst[0][act], inst[1][act]
        rows.append(
            (
                "waiting_hours_median",
                boot.quantiles(gb["waiting_hours"], gb["period"], ga["waiting_hours"], ga["period"], 0.5),
            )
        )
        if both_start:
            rows.append(
                (
                    "processing_hours_median",
                    boot.quantiles(
                        gb["processing_hours"], gb["period"], ga["processing_hours"], ga["period"], 0.5
                    ),
                )
            )
        pb, pa = acts_b[act], acts_a[act]
        rework = _share(
            boot,
            _dense(pb, "rework_cases", sb.k),
            _dense(pb, "cases", sb.k),
            _dense(pa, "rework_cases", sa.k),
            _dense(pa, "cases", sa.k),
        )
        squares = float(pb["events_sq_sum"].sum()), float(pa["events_sq_sum"].sum())
        volume = _mean(
            boot, _dense(pb, "events", sb.k), sb.cases, _dense(pa, "events", sa.k), sa.cases, squares
        )
        rows += [("rework_share", rework), ("events_per_case", volume)]
        keys += [(act, "both")] * (4 if both_start else 3)
    if capped:
        notes.append(
            f"Step medians use a deterministic sample of at most {cap:,} instances per step and log for "
            f"{len(capped)} step(s): {', '.join(capped[:5])}{' …' if len(capped) > 5 else ''}."
        )
    appeared = [k for k, s in keys if s == "appeared"]
    gone = [k for k, s in keys if s == "disappeared"]
    if appeared:
        notes.append(f"Steps only in the after log: {', '.join(appeared)}.")
    if gone:
        notes.append(f"Steps only in the before log: {', '.join(gone)}.")
    return keys, rows


def _exposure_months(side: _Side, k: int, period_us: int) -> np.ndarray:
    """Months of case starts observed in each period: whole periods, the last one up to the last start."""
    out = np.full(k, period_us / _US_PER_HOUR / HOURS_PER_MONTH)
    out[-1] = (side.last_us - side.first_us - (k - 1) * period_us) / _US_PER_HOUR / HOURS_PER_MONTH
    return out


def _failure_periods(side: _Side, ends: set[str], failures: pd.DataFrame, period_us: int) -> pd.DataFrame:
    """The caller's failure rows of the closed cases of a log, with the period of each case."""
    f = failures[[CASE_ID, "failure"]].astype({CASE_ID: str, "failure": str}).drop_duplicates()
    among = ibis.memtable(pd.DataFrame({CASE_ID: pd.Series(f[CASE_ID].unique(), dtype="string")}))
    closed = execute(closed_cases(case_table(side.log), sorted(ends) if ends else None, among))
    j = f.merge(closed.astype({CASE_ID: str}), on=CASE_ID, how="inner")
    j["period"] = _period_index(j["start_us"], side.first_us, period_us)
    return j


def _table(
    rows: list[tuple[str, Estimate]],
    measures: dict,
    alpha: float,
    adjust: str,
    min_relative_change: float,
    floors: dict,
) -> pd.DataFrame:
    """Estimates -> a result table with adjusted p-values, significance and direction."""
    records = []
    for measure, e in rows:
        unit, better, _ = measures[measure]
        records.append({"measure": measure, "unit": unit, "better_when": better, **e.to_dict()})
    df = pd.DataFrame.from_records(
        records, columns=["measure", "unit", "better_when", *Estimate.__dataclass_fields__]
    )
    # A test no resample moved (both sides constant and equal) cannot reject: it is left out of the
    # family (Tarone 1990) and keeps p = 1.
    in_family = df["p_value"].where(df["varies"].astype(bool)).to_numpy(dtype="float64")
    df["p_adjusted"] = adjust_p_values(in_family, method=adjust)
    df.loc[df["p_value"].notna() & ~df["varies"].astype(bool), "p_adjusted"] = 1.0
    diff = df["difference"].astype("float64")
    rel = df["relative_change"].astype("float64")
    floor = df["unit"].map(floors).fillna(0.0).astype("float64")
    practical = (diff.abs() >= floor) & (rel.abs().ge(min_relative_change) | (rel.isna() & (diff != 0)))
    excludes_zero = (df["ci_low"] > 0) | (df["ci_high"] < 0)
    df["significant"] = ((df["p_adjusted"] < alpha) & excludes_zero & practical).astype(bool)
    tested = df["p_value"].notna()
    sense = np.where(df["better_when"] == "neutral", 0, np.where(df["better_when"] == "lower", -1, 1))
    up = diff > 0
    better = np.where(up, sense > 0, sense < 0)
    df["direction"] = np.select(
        [~tested, ~df["significant"], sense == 0, better],
        ["not tested", "no change", np.where(up, "higher", "lower"), "better"],
        default="worse",
    )
    for col in ("n_before", "n_after"):
        df[col] = df[col].astype("int64")
    return df[RESULT_COLUMNS].reset_index(drop=True)


# --- one log: the measures with their intervals (the baseline and its re-measurement) ---------------------

#: The bootstrap distribution of a measure of one log is kept as this many quantiles (at
#: ``(i + 0.5) / DISTRIBUTION_POINTS``), so that a later re-measurement can be compared with it as
#: :func:`compare_logs` compares two sets of resamples, without the baseline log.
DISTRIBUTION_POINTS = 201


@dataclass(frozen=True)
class _Level:
    """The block bootstrap of one log, shaped like :class:`_Bootstrap` so that :func:`_process_rows` and
    :func:`_step_rows` measure one log with exactly the code that compares two: it reads the "before" side
    only and returns, in an :class:`Estimate`, the value as ``before`` and its interval as ``ci_low`` /
    ``ci_high`` (the level, not a difference)."""

    weights: _Weights
    confidence: float
    test: str
    #: (value, distribution) of every measure, in the order measured: the bootstrap distribution as
    #: :data:`DISTRIBUTION_POINTS` quantiles, or None when not measured.
    distributions: list = field(default_factory=list)

    def _level(self, point: float, draws: np.ndarray, n: int, floor: tuple[float, float] | None) -> Estimate:
        draws = draws[np.isfinite(draws)]
        if len(draws) == 0:
            self.distributions.append(None)
            return _untested(point, point, n, n, "not measured: no resample had values")
        levels = (np.arange(DISTRIBUTION_POINTS) + 0.5) / DISTRIBUTION_POINTS
        self.distributions.append(np.quantile(draws, levels, method="inverted_cdf").tolist())
        tail = (1 - self.confidence) / 2
        lo, hi = np.quantile(draws, [tail, 1 - tail], method="inverted_cdf")
        test = self.test
        if floor is not None:
            lo, hi = min(lo, floor[0]), max(hi, floor[1])
            test += ", never narrower than the case-level interval"
        return Estimate(point, point, 0.0, math.nan, float(lo), float(hi), test=test, n_before=n, n_after=n)

    def quantiles(self, xb, pb, _xa, _pa, q: float) -> Estimate:
        x, p = np.asarray(xb, dtype="float64"), np.asarray(pb, dtype="int64")
        keep = np.isfinite(x)
        x, p = x[keep], p[keep]
        point = quantile(x, q)
        why = _untestable(len(x), len(np.unique(p)), len(x), len(np.unique(p)))
        if why:
            self.distributions.append(None)
            return _untested(
                point, point, len(x), len(x), why.replace("tested", "measured").replace(" on a side", "")
            )
        support, pmf = _quantile_distribution(np.sort(x), q)
        tail = (1 - self.confidence) / 2
        floor = _weighted_quantiles(support, pmf, [tail, 1 - tail])
        return self._level(point, _boot_quantiles(x, p, self.weights, q), len(x), (floor[0], floor[1]))

    def ratios(self, num_b, den_b, _num_a, _den_a, n_b: int | None = None, _n_a=None, iid=None) -> Estimate:
        point = float(num_b.sum() / den_b.sum()) if den_b.sum() > 0 else math.nan
        size = round(float(den_b.sum())) if n_b is None else n_b
        why = _untestable(size, int((den_b > 0).sum()), size, int((den_b > 0).sum()))
        if why:
            self.distributions.append(None)
            return _untested(
                point, point, size, size, why.replace("tested", "measured").replace(" on a side", "")
            )
        return self._level(point, _boot_ratios(num_b, den_b, self.weights), size, None)


@dataclass(frozen=True)
class LogMeasures:
    """Every measure of :func:`compare_logs`, on one log, with its confidence interval.

    Attributes
    ----------
    values : pandas.DataFrame
        One row per measure: ``level`` (``"process"`` or ``"step"``), ``activity`` (str; "" for the
        process), ``measure`` (str: a key of :data:`PROCESS_MEASURES` or :data:`STEP_MEASURES`), ``unit``,
        ``better_when`` (str), ``value`` (float), ``ci_low``, ``ci_high`` (float: the interval of the value;
        NaN when not measured), ``n`` (int64: values measured: closed cases, sampled instances, cases with
        the step), ``population`` (int64: values the log holds for the measure, before any sample),
        ``test`` (str: the method, or why no interval), ``distribution`` (list of
        :data:`DISTRIBUTION_POINTS` floats: the bootstrap distribution of the value as quantiles, None when
        not measured).
    cases : int
        Cases in the log.
    settings : dict
        ``confidence``, ``resamples``, ``seed``, ``sample_cap``, ``period_hours`` (float), ``periods``
        (int), ``handoff_level`` (str or None), ``end_activities`` (list of str).
    notes : list of str
    source : str
    """

    values: pd.DataFrame
    cases: int
    settings: dict
    notes: list
    source: str

    def to_frame(self) -> pd.DataFrame:
        """The values table (a copy)."""
        return self.values.copy()

    def plot(self, *, measure: str = "waiting_hours_median", top: int = 20) -> go.Figure:
        """A plotly dot plot of one step measure per step, with its confidence interval.

        Parameters
        ----------
        measure : str, default "waiting_hours_median"
            A step measure of :attr:`values` (:data:`STEP_MEASURES`).
        top : int, default 20
            The steps with the largest values shown.

        Returns
        -------
        plotly.graph_objects.Figure
            One dot per step (x: the value in the measure's unit, with its interval as error bars);
            names escaped.

        Raises
        ------
        AnalysisError
            When ``measure`` was not measured on any step (the message lists those that were).

        Examples
        --------
        >>> m = measure_log(load_event_log(SAMPLE), resamples=200)
        >>> fig = m.plot()
        >>> len(fig.data[0].x) > 0
        True
        """
        v = self.values
        steps = v[(v["level"] == "step") & v["value"].notna()]
        d = steps[steps["measure"] == measure]
        if d.empty:
            known = sorted(steps["measure"].unique())
            raise AnalysisError(f"measure={measure!r} was not measured on any step; measured: {known}.")
        d = d.sort_values("value", ascending=False, kind="stable").head(top).iloc[::-1]
        err_hi = (d["ci_high"] - d["value"]).clip(lower=0).fillna(0)
        err_lo = (d["value"] - d["ci_low"]).clip(lower=0).fillna(0)
        unit = d["unit"].iloc[0]
        fig = go.Figure(
            go.Scatter(
                x=d["value"],
                y=d["activity"],
                mode="markers",
                marker={"color": "#0072b2", "size": 9},
                error_x={"type": "data", "symmetric": False, "array": err_hi, "arrayminus": err_lo},
                customdata=d[["ci_low", "ci_high", "n"]].to_numpy(),
                hovertemplate=(
                    "%{y}: %{x:.3g}<br>interval %{customdata[0]:.3g} to %{customdata[1]:.3g}"
                    "<br>%{customdata[2]} values<extra></extra>"
                ),
            )
        )
        conf = self.settings.get("confidence", 0.95)
        fig.update_layout(
            title=f"{measure} per step ({unit}), with its {conf:.0%} interval",
            xaxis_title=unit,
            yaxis={"type": "category"},
            height=160 + 26 * len(d),
            margin={"l": 10, "r": 10, "t": 50, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        return f"<b>Measures of {html.escape(self.source)}</b>" + self.values.drop(
            columns="distribution", errors="ignore"
        ).to_html(index=False)


def measure_log(
    log: EventLog | str | Path,
    *,
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = 0,
    sample_cap: int = SAMPLE_CAP,
    period_hours: float | None = None,
    end_activities: list[str] | None = None,
    handoff_level: Literal["auto", "role", "resource", "none"] = "auto",
) -> LogMeasures:
    """Measure one log as :func:`compare_logs` measures each side, with a confidence interval per measure.

    The same queries and the same code compute the values (:data:`PROCESS_MEASURES` over the closed cases,
    :data:`STEP_MEASURES` per step), so a baseline measured here and re-measured on a later log compare
    like for like. Intervals are percentile intervals of the block bootstrap over periods of case starts
    (the periods of :func:`compare_logs`, from this log alone unless ``period_hours`` is given), and for
    quantiles never narrower than the exact case-level bootstrap interval.

    Parameters
    ----------
    log : EventLog or path
    confidence : float in (0, 1), default 0.95
    resamples, seed, sample_cap
        As in :func:`compare_logs`.
    period_hours : float, optional
        The resampled periods' length; give the baseline's when re-measuring, so both use the same.
    end_activities : list of str, optional
        Activities that close a case (by default the rule of :func:`analysis.find_bottlenecks`).
    handoff_level : {"auto", "role", "resource", "none"}, default "auto"
        Where ping-pong is counted.

    Returns
    -------
    LogMeasures

    Raises
    ------
    AnalysisError
        ``confidence``, ``resamples``, ``sample_cap``, ``period_hours`` or ``handoff_level`` is invalid, or
        an ``end_activities`` name is not in the log.

    References
    ----------
    Künsch (1989), Annals of Statistics 17(3); Davison & Hinkley (1997), *Bootstrap Methods and their
    Application*, §5.2 (percentile intervals) and §8.2 (block bootstrap).

    Examples
    --------
    >>> m = measure_log(load_event_log("sample_logs/council_permits.csv"), resamples=200)
    >>> r = m.values.set_index("measure").loc["cycle_hours_median"]
    >>> bool(r.ci_low <= r.value <= r.ci_high)
    True
    """
    _check_common(confidence, resamples)
    if handoff_level not in ("auto", "role", "resource", "none"):
        raise AnalysisError(
            f"handoff_level must be 'auto', 'role', 'resource' or 'none', not {handoff_level!r}."
        )
    if period_hours is not None and not (isinstance(period_hours, int | float) and period_hours > 0):
        raise AnalysisError(f"period_hours must be a positive number of hours or None, not {period_hours!r}.")
    if not isinstance(sample_cap, int | np.integer) or sample_cap < MIN_SAMPLE:
        raise AnalysisError(f"sample_cap must be an integer of at least {MIN_SAMPLE}, not {sample_cap!r}.")
    log = _as_log(log, "log")
    notes: list[str] = []
    side = _read_side(log, int(sample_cap))
    ends = _closing_activities(side, side, end_activities, notes)
    length = _period_length(side, side, ends, period_hours, notes)
    period_us = max(1, int(round(length * _US_PER_HOUR)))
    k = int((side.last_us - side.first_us) // period_us) + 1
    if k > MAX_PERIODS:
        raise AnalysisError(
            f"period_hours={period_hours!r} cuts the log into {k:,} periods (at most {MAX_PERIODS:,})."
        )
    boot = _Level(_Weights(k, int(resamples), seed, 0), confidence, _test_name(True, length))
    level = _handoff_level(log, log, handoff_level, notes)
    sums = _PeriodSums.of(side, k, period_us, level, ends)
    closed = int(sums.closed["cases"].sum())
    process = _process_rows(boot, side, side, sums, sums, ends, period_us, level)
    keys, steps = _step_rows(boot, side, side, sums, sums, period_us, int(sample_cap), [])
    events = side.activities.set_index("activity")
    records = []
    for measure, e in process:
        unit, better, _ = PROCESS_MEASURES[measure]
        population = side.cases if measure == "cases_per_month" else closed
        records.append(("process", "", measure, unit, better, e, population))
    for (act, _), (measure, e) in zip(keys, steps, strict=True):
        unit, better, _ = STEP_MEASURES[measure]
        population = {
            "waiting_hours_median": events.loc[act, "events"],
            "processing_hours_median": events.loc[act, "events"],
            "rework_share": events.loc[act, "cases"],
        }.get(measure, side.cases)
        records.append(("step", act, measure, unit, better, e, population))
    values = pd.DataFrame(
        [
            {
                "level": lvl,
                "activity": act,
                "measure": m,
                "unit": unit,
                "better_when": better,
                "value": e.before,
                "ci_low": e.ci_low,
                "ci_high": e.ci_high,
                "n": e.n_before,
                "population": int(pop),
                "test": e.test,
                "distribution": dist,
            }
            for (lvl, act, m, unit, better, e, pop), dist in zip(records, boot.distributions, strict=True)
        ],
        columns=[
            "level",
            "activity",
            "measure",
            "unit",
            "better_when",
            "value",
            "ci_low",
            "ci_high",
            "n",
            "population",
            "test",
            "distribution",
        ],
    ).astype({"n": "int64", "population": "int64"})
    notes.append(
        f"Intervals: {confidence:.0%} block bootstrap over periods of {length / 24:.3g} days of case starts "
        f"({k} periods; {int(resamples):,} resamples, seed {seed}); {closed:,} of {side.cases:,} cases "
        "closed."
    )
    settings = {
        "confidence": confidence,
        "resamples": int(resamples),
        "seed": seed,
        "sample_cap": int(sample_cap),
        "period_hours": length,
        "periods": k,
        "handoff_level": level,
        "end_activities": sorted(ends),
    }
    return LogMeasures(values, side.cases, settings, notes, side.name)
