"""Formatting of durations for people (the numbers themselves stay in hours everywhere)."""

from __future__ import annotations

import math


def humanize_hours(hours: float | None) -> str:
    """Render a duration given in hours as ``"12 min"``, ``"3.5 h"``, ``"4.2 d"`` or ``"—"``.

    Parameters
    ----------
    hours : float or None
        A duration in hours; ``None``/NaN gives an em dash.
    """
    if hours is None or (isinstance(hours, float) and math.isnan(hours)):
        return "—"
    if hours < 1:
        minutes = hours * 60
        return f"{minutes:.0f} min" if minutes >= 1 else f"{hours * 3600:.0f} s"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"
