"""flowready.mapper: from a file to a validated event table, and the discovered process."""

from mapper.columns import ColumnMapping, DetectedMapping, MappingProposal, detect_mapping, propose_mapping
from mapper.discovery import (
    DirectlyFollowsGraph,
    ProcessModel,
    assess_model,
    discover_bpmn,
    discover_dfg,
    discover_variants,
    export_process_map,
    plot_process_map,
    render_process_map,
    render_svg,
    run_graphviz,
)
from mapper.errors import (
    AnalysisError,
    ColumnMappingError,
    EventLogError,
    FlowreadyError,
    PseudonymisationError,
    TimestampError,
    UnsupportedFormatError,
    ValidationError,
    named_parameters,
    translate,
)
from mapper.filters import attribute_columns, attribute_values, filter_bounds, filter_log
from mapper.load import load_event_log
from mapper.log import DataQuality, EventLog
from mapper.merge import merge_event_logs
from mapper.pseudonymise import Pseudonymised, load_pseudonym_key, pseudonymise_events
from mapper.readers import list_sheets, read_raw
from mapper.start_times import StartTimeEstimate, estimate_start_times

__all__ = [
    "AnalysisError",
    "ColumnMapping",
    "ColumnMappingError",
    "DataQuality",
    "DetectedMapping",
    "DirectlyFollowsGraph",
    "EventLog",
    "EventLogError",
    "FlowreadyError",
    "MappingProposal",
    "PseudonymisationError",
    "Pseudonymised",
    "ProcessModel",
    "StartTimeEstimate",
    "TimestampError",
    "UnsupportedFormatError",
    "ValidationError",
    "assess_model",
    "attribute_columns",
    "attribute_values",
    "detect_mapping",
    "discover_bpmn",
    "discover_dfg",
    "discover_variants",
    "estimate_start_times",
    "export_process_map",
    "filter_bounds",
    "filter_log",
    "list_sheets",
    "load_event_log",
    "load_pseudonym_key",
    "merge_event_logs",
    "named_parameters",
    "plot_process_map",
    "propose_mapping",
    "pseudonymise_events",
    "read_raw",
    "render_process_map",
    "render_svg",
    "run_graphviz",
    "translate",
]
