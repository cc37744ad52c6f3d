"""Names from the data, made safe for plotly charts: :mod:`mapper.escape`, under the name the analysis
modules, the report and the app import it by."""

from __future__ import annotations

from mapper.escape import SERIES_COLOUR, TEXT_PROPERTIES, bar_chart, escape_figure, plotly_text

__all__ = ["SERIES_COLOUR", "TEXT_PROPERTIES", "bar_chart", "escape_figure", "plotly_text"]
