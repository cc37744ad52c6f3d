"""Names from the data, made safe for plotly charts: :mod:`mapper.escape`, under the name the analysis
modules, the report and the app import it by."""

from __future__ import annotations

from mapper.escape import TEXT_PROPERTIES, escape_figure, plotly_text

__all__ = ["TEXT_PROPERTIES", "escape_figure", "plotly_text"]
