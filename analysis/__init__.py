"""flowready.analysis: from the event table to findings, readiness scores, the blueprint and the report."""

from analysis.blueprint import Blueprint, build_blueprint, plot_blueprint
from analysis.bottlenecks import Bottlenecks, find_bottlenecks
from analysis.decisions import Decisions, decision_outcomes, find_equity_gaps, mine_decisions
from analysis.findings import Findings, Verdict, analyze, find_verdict
from analysis.handoffs import (
    find_handoff_cases,
    find_handoffs,
    find_rework,
    handoff_matrix,
    plot_handoff_matrix,
    plot_handoff_network,
)
from analysis.profile import Profile, load_profile
from analysis.readiness import OrchestrationGate, Readiness, find_orchestration_gate, score_readiness
from analysis.report import export_report

__all__ = [
    "Blueprint",
    "Bottlenecks",
    "Decisions",
    "Findings",
    "OrchestrationGate",
    "Profile",
    "Readiness",
    "Verdict",
    "analyze",
    "build_blueprint",
    "decision_outcomes",
    "export_report",
    "find_bottlenecks",
    "find_equity_gaps",
    "find_handoff_cases",
    "find_handoffs",
    "find_orchestration_gate",
    "find_rework",
    "find_verdict",
    "handoff_matrix",
    "load_profile",
    "mine_decisions",
    "plot_blueprint",
    "plot_handoff_matrix",
    "plot_handoff_network",
    "score_readiness",
]
