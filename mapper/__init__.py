"""flowready.mapper: from a file to a validated event table, and the discovered process."""

from mapper.columns import ColumnMapping, detect_mapping
from mapper.discovery import (
    DirectlyFollowsGraph,
    ProcessModel,
    discover_bpmn,
    discover_dfg,
    discover_variants,
    export_process_map,
    plot_process_map,
    render_process_map,
)
from mapper.errors import (
    AnalysisError,
    ColumnMappingError,
    EventLogError,
    FlowreadyError,
    TimestampError,
    UnsupportedFormatError,
    ValidationError,
)
from mapper.load import load_event_log
from mapper.log import DataQuality, EventLog

__all__ = [
    "AnalysisError",
    "ColumnMapping",
    "ColumnMappingError",
    "DataQuality",
    "DirectlyFollowsGraph",
    "EventLog",
    "EventLogError",
    "FlowreadyError",
    "ProcessModel",
    "TimestampError",
    "UnsupportedFormatError",
    "ValidationError",
    "detect_mapping",
    "discover_bpmn",
    "discover_dfg",
    "discover_variants",
    "export_process_map",
    "load_event_log",
    "plot_process_map",
    "render_process_map",
]
