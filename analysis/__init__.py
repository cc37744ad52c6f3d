"""flowready.analysis: from the event table to findings, readiness scores, the blueprint and the report."""

from analysis.blueprint import Blueprint, build_blueprint, plot_blueprint
from analysis.bottlenecks import Bottlenecks, find_bottlenecks, find_end_activities
from analysis.compare import Comparison, LogMeasures, LogSplit, compare_logs, measure_log, split_log
from analysis.decisions import Decisions, decision_outcomes, find_equity_gaps, mine_decisions
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
from analysis.impact import Impact, simulate_impact
from analysis.monitoring import (
    BaselineComparison,
    MonitoringPlan,
    build_monitoring_plan,
    compare_to_baseline,
    load_monitoring_plan,
)
from analysis.outputs import OUTPUTS, Output, export_all, render_output
from analysis.performance import (
    PerformanceSpectrum,
    SlaBreaches,
    WaitDrivers,
    WaitingDrift,
    find_sla_breaches,
    find_wait_drivers,
    find_waiting_drift,
    performance_spectrum,
    plot_performance_spectrum,
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
from analysis.portfolio import ProcessRanking, rank_processes
from analysis.profile import Profile, load_profile
from analysis.readiness import OrchestrationGate, Readiness, find_orchestration_gate, score_readiness
from analysis.report import export_report, render_report
from analysis.waiting import (
    WaitingCauses,
    WorkingCalendars,
    build_calendars,
    discover_calendars,
    find_waiting_causes,
    find_waiting_instances,
)
from analysis.workflows import export_dapr_workflow, export_serverless_workflow

__all__ = [
    "Impact",
    "simulate_impact",
    "OUTPUTS",
    "Output",
    "export_all",
    "render_output",
    "render_report",
    "BaselineComparison",
    "LogMeasures",
    "MonitoringPlan",
    "build_monitoring_plan",
    "compare_to_baseline",
    "load_monitoring_plan",
    "measure_log",
    "Blueprint",
    "Bottlenecks",
    "Comparison",
    "Decisions",
    "DiscoveredRoles",
    "Findings",
    "HandoffFailures",
    "HandoverNetwork",
    "LogSplit",
    "OrchestrationGate",
    "PerformanceSpectrum",
    "Performers",
    "ProcessRanking",
    "Profile",
    "Readiness",
    "SlaBreaches",
    "Verdict",
    "WaitDrivers",
    "WaitingCauses",
    "WaitingDrift",
    "WorkingCalendars",
    "analyze",
    "build_blueprint",
    "build_calendars",
    "classify_performers",
    "compare_logs",
    "decision_outcomes",
    "discover_calendars",
    "discover_roles",
    "export_dapr_workflow",
    "export_report",
    "export_serverless_workflow",
    "find_bottlenecks",
    "find_end_activities",
    "find_equity_gaps",
    "find_handoff_cases",
    "find_handoff_failures",
    "find_handoffs",
    "find_orchestration_gate",
    "find_rework",
    "find_sla_breaches",
    "find_verdict",
    "find_wait_drivers",
    "find_waiting_causes",
    "find_waiting_drift",
    "find_waiting_instances",
    "handoff_matrix",
    "handover_network",
    "load_performer_types",
    "load_profile",
    "mine_decisions",
    "performance_spectrum",
    "performer_types",
    "plot_blueprint",
    "plot_handoff_matrix",
    "plot_handoff_network",
    "plot_performance_spectrum",
    "rank_processes",
    "score_readiness",
    "split_log",
    "with_discovered_roles",
]
