"""The one error hierarchy of flowready, and how its messages name parameters.

Every error a user can cause derives from :class:`FlowreadyError`. Messages name the file, the column
and the row where the problem is, list what was available, and say what to do. The CLI prints them
without a traceback and exits with code 2; the app shows them with ``st.error``.

A message (or a data-quality note) that tells the user to change a setting names the **Python
parameter** of the public function between two backticks, alone or with a value as Python writes it
(:data:`PARAMETER_PATTERN`; e.g. dayfirst=True, timestamp_format, drop_duplicates=True, case_id, each
between backticks). That form is machine-findable: :func:`named_parameters`
lists the parameters a text names (:attr:`FlowreadyError.parameters`), and :func:`translate` rewrites
them into a front end's own words, so the CLI shows ``--dayfirst`` and the app "the 'Day first'
choice" while the library names neither.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: A parameter named in a message: a name, or name=value (the value as Python writes it), between single
#: backticks (a reStructuredText literal between double backticks is not one).
PARAMETER_PATTERN = re.compile(r"(?<!`)`([A-Za-z_][A-Za-z0-9_]*)(?:=([^`]*))?`(?!`)")


def named_parameters(text: object) -> tuple[str, ...]:
    """The Python parameters a message names, in order of first appearance.

    Parameters
    ----------
    text : str or Exception
        A message, a data-quality note, or an error (its ``str``).

    Returns
    -------
    tuple of str
        The parameter names written between backticks in ``text`` (alone or as name=value), each once.

    Examples
    --------
    >>> named_parameters("Pass `dayfirst=True` or `timestamp_format`, e.g. `timestamp_format='%d/%m/%Y'`.")
    ('dayfirst', 'timestamp_format')
    """
    return tuple(dict.fromkeys(m.group(1) for m in PARAMETER_PATTERN.finditer(str(text))))


def translate(text: object, names: Mapping[str, str]) -> str:
    """A message with the Python parameters it names rewritten into a front end's own names.

    Parameters
    ----------
    text : str or Exception
        A message or data-quality note (an error is read as its ``str``).
    names : mapping of str to str
        What the front end calls each parameter. A key is a parameter name (``"timestamp_format"``),
        a parameter with one value as the message writes it (``"dayfirst=True"``,
        ``"on_bad_timestamp='drop'"``), or a parameter with a trailing ``=`` (``"timestamp_format="``)
        whose front-end name holds ``{value}``, for messages that give a value. The most specific key
        wins; a value given to a parameter mapped by its bare name only follows its front-end name,
        separated by a space (``--timestamp-format '%d.%m.%Y'``).

    Returns
    -------
    str
        ``text`` with each mapped parameter (and its value) replaced; parameters the front end
        does not have are left as they are.

    Examples
    --------
    >>> flags = {"dayfirst=True": "--dayfirst", "timestamp_format": "--timestamp-format"}
    >>> translate("Pass `dayfirst=True` or `timestamp_format='%d.%m.%Y'`.", flags)
    "Pass --dayfirst or --timestamp-format '%d.%m.%Y'."
    >>> labels = {"dayfirst": "the 'Date order' choice", "timestamp_format": "the 'Format' box",
    ...           "timestamp_format=": "{value} in the 'Format' box"}
    >>> translate("Check `dayfirst`, or give `timestamp_format='%d.%m.%Y'` (`timestamp_format`).", labels)
    "Check the 'Date order' choice, or give '%d.%m.%Y' in the 'Format' box (the 'Format' box)."
    >>> translate("Pick one with `sheet`.", labels)  # a parameter the front end does not name
    'Pick one with `sheet`.'
    """

    def one(m: re.Match) -> str:
        name, value = m.group(1), m.group(2)
        if value is not None and f"{name}={value}" in names:
            return names[f"{name}={value}"]
        if value is not None and f"{name}=" in names:
            return names[f"{name}="].replace("{value}", value)
        if name not in names:
            return m.group(0)
        return names[name] if value is None else f"{names[name]} {value}"

    return PARAMETER_PATTERN.sub(one, str(text))


class FlowreadyError(Exception):
    """Base class of every error flowready raises on purpose.

    Attributes
    ----------
    parameters : tuple of str
        The Python parameters the message names (:func:`named_parameters`): the settings to change.
        Front ends rewrite them with :func:`translate`.
    """

    @property
    def parameters(self) -> tuple[str, ...]:
        return named_parameters(self)


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
