"""flowready.analysis: from the event table to findings, readiness scores, the blueprint and the report."""

from analysis.blueprint import Blueprint, build_blueprint, plot_blueprint
from analysis.bottlenecks import Bottlenecks, find_bottlenecks
from analysis.findings import Findings, Verdict, analyze, find_verdict
from analysis.handoffs import (
    HandoffFailures,
    HandoverNetwork,
    find_handoff_cases,
    find_handoff_failures,
    find_handoffs,
    find_rework,
    handoff_matrix,
    handover_network,
    plot_handoff_matrix,
    plot_handoff_network,
)
from analysis.performers import (
    DiscoveredRoles,
    Performers,
    classify_performers,
    discover_roles,
    load_performer_types,
    performer_types,
    with_discovered_roles,
)
from analysis.readiness import Readiness, score_readiness
from analysis.report import export_report

__all__ = [
    "Blueprint",
    "Bottlenecks",
    "DiscoveredRoles",
    "Findings",
    "HandoffFailures",
    "HandoverNetwork",
    "Performers",
    "Readiness",
    "Verdict",
    "analyze",
    "build_blueprint",
    "classify_performers",
    "discover_roles",
    "export_report",
    "find_bottlenecks",
    "find_handoff_cases",
    "find_handoff_failures",
    "find_handoffs",
    "find_rework",
    "find_verdict",
    "handoff_matrix",
    "handover_network",
    "load_performer_types",
    "performer_types",
    "plot_blueprint",
    "plot_handoff_matrix",
    "plot_handoff_network",
    "score_readiness",
    "with_discovered_roles",
]
