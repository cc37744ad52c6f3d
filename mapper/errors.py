"""The one error hierarchy of flowready.

Every error a user can cause derives from :class:`FlowreadyError`. Messages name the file, the column
and the row where the problem is, list what was available, and say what to do. The CLI prints them
without a traceback and exits with code 2; the app shows them with ``st.error``.
"""

from __future__ import annotations


class FlowreadyError(Exception):
    """Base class of every error flowready raises on purpose."""


class EventLogError(FlowreadyError, ValueError):
    """The event log cannot be read or does not hold a usable event table."""


class UnsupportedFormatError(EventLogError):
    """The file's extension or content is not a format flowready reads."""


class ColumnMappingError(EventLogError, KeyError):
    """A required column is missing, or the mapping names a column the file does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class TimestampError(EventLogError):
    """Timestamps cannot be parsed, or their day/month order is ambiguous."""


class ValidationError(EventLogError):
    """The mapped event table breaks the event-table schema."""


class AnalysisError(FlowreadyError, ValueError):
    """An analysis cannot run on the event table it was given (e.g. an empty log after filtering)."""


class PseudonymisationError(FlowreadyError, ValueError):
    """A pseudonym key is missing or too short, or the columns to pseudonymise cannot be used.

    Messages never contain the key, and never contain values of the pseudonymised columns.
    """
