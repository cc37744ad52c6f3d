"""The variants chart and the unit cycle times are shown in, shared by the app, the report and notebooks."""

from __future__ import annotations

import textwrap
from typing import Literal

import pandas as pd

from analysis.escape import plotly_text

__all__ = ["cycle_unit", "plot_variants"]

#: Hours in one unit of :func:`cycle_unit`.
HOURS_PER_UNIT = {"hours": 1.0, "days": 24.0}
#: From this median cycle time on, cycle times read in days (the threshold of
#: :func:`mapper.units.humanize_hours`, which writes the Overview's cycle times).
DAYS_FROM_HOURS = 48.0


def cycle_unit(median_hours: float | None) -> Literal["hours", "days"]:
    """The unit a log's cycle times read best in: days when its median cycle time is two days or more.

    Parameters
    ----------
    median_hours : float or None
        The log's median cycle time in hours (``Bottlenecks.cycle["median"]``); None or NaN gives hours.

    Examples
    --------
    >>> cycle_unit(387.0), cycle_unit(5.5)
    ('days', 'hours')
    """
    if median_hours is None or pd.isna(median_hours):
        return "hours"
    return "days" if float(median_hours) >= DAYS_FROM_HOURS else "hours"


def plot_variants(variants: pd.DataFrame, *, top: int = 20, unit: Literal["hours", "days"] = "hours"):
    """A bar chart of the ``top`` most common variants: cases per variant, the path on hover.

    Parameters
    ----------
    variants : pandas.DataFrame
        :func:`mapper.discover_variants`: ``variant``, ``trace`` (tuple of str), ``cases``, ``share``,
        ``events``, ``cycle_hours_median``.
    top : int, default 20
        Variants drawn, the most common first.
    unit : {"hours", "days"}, default "hours"
        The unit of the median cycle time on hover (see :func:`cycle_unit`).

    Returns
    -------
    plotly.graph_objects.Figure
        One bar per variant (x: "#1", "#2"...; y: cases); the hover shows the share of cases, the steps,
        the median cycle time and the whole path, wrapped. Names are escaped (plotly renders markup):
        the figure holds no other text from the data.

    Examples
    --------
    >>> from mapper import discover_variants
    >>> fig = plot_variants(discover_variants(load_event_log(SAMPLE)), top=5, unit="days")
    >>> len(fig.data[0].x)
    5
    """
    import plotly.graph_objects as go

    v = variants.head(top)
    scale = HOURS_PER_UNIT[unit]
    # Each name escaped here, then the path wrapped with plotly's own <br> (escape_figure would escape
    # the line breaks too); wrapped at spaces only, never inside an entity.
    paths = [
        "<br>".join(
            textwrap.wrap(
                " → ".join(str(plotly_text(str(a))) for a in t),
                90,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        or "(no steps)"
        for t in v["trace"]
    ]
    fig = go.Figure(
        go.Bar(
            x=["#" + str(n) for n in v["variant"]],
            y=v["cases"].to_numpy(),
            marker_color="#0072b2",
            customdata=list(
                zip(
                    v["share"].to_numpy(),
                    v["events"].to_numpy(),
                    (v["cycle_hours_median"] / scale).to_numpy(),
                    paths,
                    strict=True,
                )
            ),
            hovertemplate="Variant %{x}: %{y:,} cases (%{customdata[0]:.1%})<br>%{customdata[1]} steps, "
            f"median cycle %{{customdata[2]:,.1f}} {unit}<br>%{{customdata[3]}}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"The {len(v)} most common paths",
        xaxis_title="Variant (most common first)",
        yaxis_title="Cases",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    fig.update_xaxes(type="category")
    return fig
