"""Statistics shared by the analyses: multiple-testing adjustment.

One implementation serves the drift and drivers (:mod:`analysis.performance`), the equity checks
(:mod:`analysis.decisions`) and the comparison of two logs (:mod:`analysis.compare`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from mapper.errors import AnalysisError


def adjust_p_values(p_values, *, method: Literal["holm", "fdr_bh"] = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiple testing.

    ``"holm"``: Holm's step-down method, which bounds the family-wise error rate (the chance of even one
    false "significant" in the family) by the level the adjusted p-values are compared with. Sorted
    increasingly, ``p_(i)`` (1-based) becomes ``max_{j <= i} min(1, (m - j + 1) * p_(j))``.
    ``"fdr_bh"``: Benjamini-Hochberg, which bounds the expected share of false discoveries
    (:func:`scipy.stats.false_discovery_control`). NaN values (no test) are left out of the family and
    stay NaN.

    Parameters
    ----------
    p_values : array-like of shape (m,)
    method : {"holm", "fdr_bh"}, default "holm"

    Returns
    -------
    numpy.ndarray of shape (m,)
        The adjusted p-values, in the input order.

    Raises
    ------
    AnalysisError
        When ``method`` is neither.

    References
    ----------
    Holm (1979), "A simple sequentially rejective multiple test procedure", Scandinavian Journal of
    Statistics 6(2); Benjamini & Hochberg (1995), "Controlling the false discovery rate", JRSS B 57(1).

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    from scipy import stats

    if method not in ("holm", "fdr_bh"):
        raise AnalysisError(f"adjust must be 'holm' or 'fdr_bh', not {method!r}.")
    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    if method == "fdr_bh":
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
        return out
    idx = np.flatnonzero(ok)
    order = np.argsort(p[ok], kind="stable")
    scaled = (m - np.arange(m)) * p[ok][order]
    out[idx[order]] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out
