"""The event-level queries of the analyses, one module per analysis (Ibis over the engine's tables).

:mod:`mapper.engine` keeps the event-table primitives (ordering, DFG, traces, variants, activity
statistics); the queries an analysis runs over them live here, beside the analysis.
"""
