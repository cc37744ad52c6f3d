"""Names from the data, made safe for plotly charts.

Plotly renders a subset of HTML in every text it draws (tick labels, legend entries, hover boxes, text
on bars, annotations): ``<b>``, ``<i>``, ``<br>``, ``<a href>``, ``<span style>``, ... and the entities
``&amp;``, ``&lt;``, ``&gt;`` and numeric ones. An activity named ``<b>x</b>`` would be drawn bold, a
name with ``<a href=...>`` would become a link. :func:`plotly_text` escapes one string;
:func:`escape_figure` escapes every data-carrying text of a figure, so a chart can be built from raw
names and made safe in one line before it is shown.

It lives in ``mapper`` because the mapper's results (the event log, its data quality, the process map)
draw charts too, and ``mapper`` never imports ``analysis``; :mod:`analysis.escape` re-exports it.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["SERIES_COLOUR", "bar_chart", "escape_figure", "plotly_text"]

# An ``&`` that does not begin an entity plotly decodes (named, decimal or hex).
_BARE_AMP = re.compile(r"&(?!(?:[a-zA-Z]+|#\d+|#[xX][0-9a-fA-F]+);)")

#: The trace properties that carry data-derived text, drawn by plotly with its HTML subset.
TEXT_PROPERTIES = ("x", "y", "z", "text", "hovertext", "customdata", "labels", "parents", "ids", "name")


def plotly_text(value: object) -> object:
    """Escape one string for plotly: ``<`` and ``>`` as entities, ``&`` when it does not begin one.

    Parameters
    ----------
    value : object
        A name from the data (activity, resource, attribute value). Anything that is not a ``str``
        (numbers, dates, None) is returned unchanged.

    Returns
    -------
    object
        The escaped string (plotly draws it literally), or ``value`` itself.

    Notes
    -----
    Escaping is idempotent: a text escaped twice is drawn the same as once, so figures whose builders
    already escape their names can go through :func:`escape_figure` too. The price: a name that is itself
    an entity (``&amp;``) is drawn as the character it stands for (``&``), never as markup. Quotes are
    left alone: plotly only reads them inside a tag; an ``&quot;`` (from :func:`html.escape`) becomes
    ``&#34;``, which plotly decodes (it would draw ``&quot;`` as is).

    Examples
    --------
    >>> plotly_text("<b>x</b> & y")
    '&lt;b&gt;x&lt;/b&gt; &amp; y'
    >>> plotly_text(plotly_text("<b>x</b> & y"))
    '&lt;b&gt;x&lt;/b&gt; &amp; y'
    >>> plotly_text(3.5)
    3.5
    """
    if not isinstance(value, str):
        return value
    # &quot; (from html.escape) is not an entity plotly knows: it would draw it as is; &#34; it decodes.
    text = _BARE_AMP.sub("&amp;", value).replace("&quot;", "&#34;")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _escape_values(values):
    """``values`` with every string escaped (nested lists, tuples and object arrays too); ``values``
    itself, unchanged, when it holds no string (so numeric data is never copied)."""
    if isinstance(values, str):
        return plotly_text(values)
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "US":
            values = values.astype(object)
        if values.dtype.kind != "O":
            return values
        flat = [_escape_values(v) for v in values.ravel()]
        out = np.empty(len(flat), dtype=object)
        for i, v in enumerate(flat):
            out[i] = v
        return out.reshape(values.shape)
    if isinstance(values, (list, tuple)):
        escaped = [_escape_values(v) for v in values]
        if all(a is b for a, b in zip(escaped, values, strict=True)):
            return values
        return type(values)(escaped)
    return values


def escape_figure(fig):
    """Escape the data-derived texts of a plotly figure, in place, and return it.

    Every trace's categories and texts (:data:`TEXT_PROPERTIES`: ``x``, ``y``, ``z``, ``text``,
    ``hovertext``, ``customdata``, ``labels``, ``parents``, ``ids``, ``name``) and every axis's
    ``ticktext`` are escaped with :func:`plotly_text`. Titles, annotations and hover templates are the
    code's own words (with its intended ``<b>``/``<br>``) and are left as they are: a builder that puts a
    name from the data into one of them escapes it with :func:`plotly_text`.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure (changed in place: call it on a figure you just built).

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig``, so that a builder can end with ``return escape_figure(fig)``.

    References
    ----------
    plotly.js ``src/lib/svg_text_utils.js``: the tags and entities plotly renders in text.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> fig = escape_figure(go.Figure(go.Bar(x=["<b>x</b>", "a & b"], y=[1, 2], name="<i>n</i>")))
    >>> list(fig.data[0].x), fig.data[0].name
    (['&lt;b&gt;x&lt;/b&gt;', 'a &amp; b'], '&lt;i&gt;n&lt;/i&gt;')
    """
    for trace in fig.data:
        for prop in TEXT_PROPERTIES:
            if prop not in trace:
                continue
            value = trace[prop]
            if value is None:
                continue
            escaped = _escape_values(value)
            if escaped is not value:
                trace[prop] = escaped
    for axis in fig.layout:
        if axis.startswith(("xaxis", "yaxis")) and fig.layout[axis].ticktext is not None:
            fig.layout[axis].ticktext = _escape_values(fig.layout[axis].ticktext)
    return fig


#: The colour of a chart's one series when it carries no meaning of its own (Okabe & Ito's blue).
SERIES_COLOUR = "#0072b2"


def bar_chart(
    labels,
    values,
    *,
    title: str,
    x_title: str,
    hover: str,
    customdata=None,
    row_height: int = 26,
    colour: str = SERIES_COLOUR,
):
    """A horizontal bar chart of one series, its names from the data escaped: the shape every result's
    simple ``plot()`` shares.

    Parameters
    ----------
    labels : sequence of str
        One bar per label, drawn top to bottom in the order given.
    values : sequence of float
        The bars' lengths.
    title, x_title : str
        The chart's title and the axis title (escape names from the data in ``title`` yourself, with
        :func:`plotly_text`).
    hover : str
        A plotly hover template (``%{y}``, ``%{x}``, ``%{customdata[0]}`` ...).
    customdata : array-like, optional
        Per bar, the values ``hover`` reads.
    row_height : int
        Pixels per bar; the chart is 160 px plus that per bar.
    colour : str
        The bars' colour.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> fig = bar_chart(["<b>a</b>", "b"], [2, 1], title="t", x_title="n", hover="%{y}: %{x}")
    >>> list(fig.data[0].y), fig.layout.height
    (['b', '&lt;b&gt;a&lt;/b&gt;'], 212)
    """
    import plotly.graph_objects as go

    labels, values = list(labels), list(values)
    data = None if customdata is None else list(customdata)
    fig = go.Figure(
        go.Bar(
            x=values[::-1],
            y=labels[::-1],
            orientation="h",
            customdata=None if data is None else data[::-1],
            hovertemplate=hover + "<extra></extra>",
            marker_color=colour,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        height=160 + row_height * len(labels),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return escape_figure(fig)
