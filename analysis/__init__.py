"""flowready.analysis: from the event table to findings, readiness scores, the blueprint and the report."""

from analysis.blueprint import Blueprint, build_blueprint, plot_blueprint
from analysis.bottlenecks import Bottlenecks, find_bottlenecks
from analysis.findings import Findings, Verdict, analyze, find_verdict
from analysis.handoffs import (
    find_handoff_cases,
    find_handoffs,
    find_rework,
    handoff_matrix,
    plot_handoff_matrix,
    plot_handoff_network,
)
from analysis.readiness import Readiness, score_readiness
from analysis.report import export_report
from analysis.waiting import (
    WaitingCauses,
    WorkingCalendars,
    build_calendars,
    discover_calendars,
    find_waiting_causes,
    find_waiting_instances,
)

__all__ = [
    "Blueprint",
    "Bottlenecks",
    "Findings",
    "Readiness",
    "Verdict",
    "WaitingCauses",
    "WorkingCalendars",
    "analyze",
    "build_blueprint",
    "build_calendars",
    "discover_calendars",
    "export_report",
    "find_bottlenecks",
    "find_handoff_cases",
    "find_handoffs",
    "find_rework",
    "find_verdict",
    "find_waiting_causes",
    "find_waiting_instances",
    "handoff_matrix",
    "plot_blueprint",
    "plot_handoff_matrix",
    "plot_handoff_network",
    "score_readiness",
]
