"""flowready.mapper: from a file to a validated event table, and the discovered process."""

from mapper.columns import ColumnMapping, detect_mapping
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
    "EventLog",
    "EventLogError",
    "FlowreadyError",
    "TimestampError",
    "UnsupportedFormatError",
    "ValidationError",
    "detect_mapping",
    "load_event_log",
]
