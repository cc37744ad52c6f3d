"""Canonical column names and the mapping from a file's own column names to them.

Inside flowready an event table has the columns ``case_id``, ``activity``, ``timestamp`` (completion),
optionally ``start_timestamp``, ``resource`` and ``role`` (team), plus every other attribute untouched.
The mapping from a file's names happens here, once, and travels with the loaded log.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields

from mapper.errors import ColumnMappingError

CASE_ID = "case_id"
ACTIVITY = "activity"
TIMESTAMP = "timestamp"
START_TIMESTAMP = "start_timestamp"
RESOURCE = "resource"
ROLE = "role"
#: Position of the event in the file (0-based); the tie-break for equal timestamps, as in pm4py.
ROW_NR = "row_nr"
#: ``lifecycle:transition`` and its plain-name twins; used for pairing, then dropped.
LIFECYCLE = "lifecycle"
#: Set by lifecycle pairing: when the instance was scheduled (enabled) and assigned (XES lifecycle).
SCHEDULE_TIMESTAMP = "schedule_timestamp"
ASSIGN_TIMESTAMP = "assign_timestamp"
#: Set by start-time estimation: whether ``start_timestamp`` was estimated rather than recorded.
START_ESTIMATED = "start_estimated"
#: Set by :func:`mapper.merge_event_logs`: the system each event comes from, and its row there.
SOURCE_SYSTEM = "source_system"
SOURCE_ROW_NR = "source_row_nr"

REQUIRED = (CASE_ID, ACTIVITY, TIMESTAMP)
#: Columns of an event table that are not case or event attributes: the canonical columns and the
#: bookkeeping columns flowready adds. Analyses of attributes (decision mining, drivers) skip them.
NOT_ATTRIBUTES = frozenset(
    {
        CASE_ID,
        ACTIVITY,
        TIMESTAMP,
        START_TIMESTAMP,
        RESOURCE,
        ROLE,
        ROW_NR,
        LIFECYCLE,
        SCHEDULE_TIMESTAMP,
        ASSIGN_TIMESTAMP,
        START_ESTIMATED,
        SOURCE_SYSTEM,
        SOURCE_ROW_NR,
    }
)
OPTIONAL = (START_TIMESTAMP, RESOURCE, ROLE, LIFECYCLE)

#: Names recognised for each canonical column, most specific first. Matching ignores case and
#: the characters ``_``, ``-``, ``:``, `` `` and ``.``.
CANDIDATES: dict[str, tuple[str, ...]] = {
    CASE_ID: (
        "case:concept:name",
        "case_id",
        "caseid",
        "case",
        "case id",
        "case_key",
        "trace_id",
        "process_instance",
        "instance_id",
        "incident_id",
        "ticket_id",
    ),
    ACTIVITY: ("concept:name", "activity", "activity_name", "task", "event", "event_name", "step", "action"),
    TIMESTAMP: (
        "time:timestamp",
        "end_time",
        "end_timestamp",
        "complete_timestamp",
        "completion_time",
        "end",
        "timestamp",
        "time",
        "datetime",
        "date",
        "event_time",
    ),
    START_TIMESTAMP: ("start_timestamp", "start_time", "start", "started_at", "begin_time"),
    RESOURCE: (
        "org:resource",
        "resource",
        "user",
        "performer",
        "agent",
        "employee",
        "actor",
        "assignee",
        "operator",
    ),
    ROLE: ("org:role", "org:group", "role", "group", "team", "department", "assignment_group", "workgroup"),
    LIFECYCLE: ("lifecycle:transition", "lifecycle", "transition", "event_type", "status_type"),
}


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch not in "_-: .")


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the source file holds each canonical column.

    Attributes
    ----------
    case_id, activity, timestamp : str
        Source column names of the case identifier, the activity name and the completion timestamp.
    start_timestamp, resource, role, lifecycle : str or None
        Source column names of the optional columns; ``None`` when the file has none.
    """

    case_id: str
    activity: str
    timestamp: str
    start_timestamp: str | None = None
    resource: str | None = None
    role: str | None = None
    lifecycle: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Canonical name -> source column name (``None`` for absent optional columns)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def renames(self) -> dict[str, str]:
        """Source column name -> canonical name, for the columns that are mapped."""
        return {src: canon for canon, src in self.as_dict().items() if src is not None}


@dataclass(frozen=True)
class DetectedMapping:
    """The column mapping :func:`detect_mapping` proposes for a file, and what it was unsure of.

    Attributes
    ----------
    mapping : ColumnMapping
    notes : tuple of str
        One sentence per detection that was not certain, saying what was chosen and how to override it.
    """

    mapping: ColumnMapping
    notes: tuple = ()

    def to_frame(self):
        """One row per canonical column: ``column`` (str, canonical), ``source_column`` (str or None).

        Examples
        --------
        >>> detect_mapping(["Case", "Task", "Time"]).to_frame()["source_column"].tolist()[:3]
        ['Case', 'Task', 'Time']
        """
        import pandas as pd

        d = self.mapping.as_dict()
        return pd.DataFrame({"column": list(d), "source_column": list(d.values())})

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v)) if v is not None else '—'}</td></tr>"
            for k, v in self.mapping.as_dict().items()
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"<b>Column mapping</b><table>{rows}</table>" + (f"<ul>{notes}</ul>" if notes else "")


@dataclass(frozen=True)
class MappingProposal:
    """What :func:`propose_mapping` found in a file's headers, including what it could not find.

    Attributes
    ----------
    columns : dict of str to str or None
        Canonical name -> proposed source column, for every canonical column (``None``: not found, or
        switched off by the caller).
    notes : tuple of str
        One sentence per detection that was not certain, saying what was chosen and how to override it.
    missing : dict of str to str
        Required canonical column -> why no column was proposed for it (empty when all were found).
    """

    columns: dict[str, str | None]
    notes: tuple[str, ...]
    missing: dict[str, str]


_NOT_NAMED = "no column has a name known for it"


def _why_missing(canon: str, by_norm: dict[str, str], chosen: dict[str, str | None]) -> str:
    """Why no column was proposed for ``canon``: its likely column is taken, or no column is named so."""
    for cand in CANDIDATES[canon]:
        col = by_norm.get(_norm(cand))
        if col is not None:
            other = next((k for k, v in chosen.items() if v == col), None)
            return f"the column {col!r} looks like it, but it is used for {other}"
    return f"{_NOT_NAMED} (e.g. {canon!r}, {CANDIDATES[canon][0]!r})"


def propose_mapping(
    columns: list[str],
    *,
    explicit: dict[str, str | None] | None = None,
    source: str = "the file",
) -> MappingProposal:
    """Propose the source column of each canonical column, and say which required ones are missing.

    As :func:`detect_mapping`, but a required column that cannot be found does not stop the proposal:
    the columns that were found are proposed, and each missing one is listed with the reason.

    Parameters
    ----------
    columns : list of str
        The column names of the source file, in file order.
    explicit : dict, optional
        Canonical name -> source column chosen by the user (function arguments); ``None`` means
        "detect it"; an empty string means "the file has no such column" (optional columns only).
    source : str
        Name of the file, used in messages.

    Returns
    -------
    MappingProposal
        ``columns`` (canonical -> source column or None), ``notes`` and ``missing`` (required
        canonical column -> why it was not found).

    Raises
    ------
    ColumnMappingError
        When an explicit column does not exist, one column is given for two canonical columns, or a
        required column is switched off. The message names the parameter to change.

    Examples
    --------
    >>> p = propose_mapping(["ticket", "task", "end_time"])
    >>> p.columns["activity"], p.columns["timestamp"], p.columns["case_id"]
    ('task', 'end_time', None)
    >>> p.missing["case_id"]
    "no column has a name known for it (e.g. 'case_id', 'case:concept:name')"

    """
    explicit = {k: v for k, v in (explicit or {}).items() if v is not None}
    available = list(columns)
    switched_off = {k for k, v in explicit.items() if v == ""}
    for canon in switched_off:
        if canon in REQUIRED:
            raise ColumnMappingError(f"{source}: {canon} is required; name its column with `{canon}`.")
        explicit.pop(canon)
    chosen_twice = {c for c in explicit.values() if list(explicit.values()).count(c) > 1}
    if chosen_twice:
        roles = {c: [k for k, v in explicit.items() if v == c] for c in chosen_twice}
        raise ColumnMappingError(
            f"{source}: one column cannot hold two things: "
            + "; ".join(f"{c!r} is given for {' and '.join(f'`{k}`' for k in r)}" for c, r in roles.items())
            + ". Choose a different column for each."
        )
    for canon, col in explicit.items():
        if col not in available:
            raise ColumnMappingError(
                f"{source}: the column {col!r} given for `{canon}` does not exist. "
                f"Available columns: {', '.join(map(repr, available))}."
            )
    chosen: dict[str, str | None] = dict(explicit) | dict.fromkeys(switched_off)
    notes: list[str] = []
    used = set(explicit.values())
    by_norm: dict[str, str] = {}
    for col in available:
        by_norm.setdefault(_norm(col), col)
    for canon in (*REQUIRED, *OPTIONAL):
        if canon in chosen:
            continue
        found = None
        for rank, cand in enumerate(CANDIDATES[canon]):
            col = by_norm.get(_norm(cand))
            if col is not None and col not in used:
                found = col
                certain = col in (canon, CANDIDATES[canon][0]) or rank == 0
                break
        chosen[canon] = found
        if found is not None:
            used.add(found)
            if not certain:
                notes.append(
                    f"Detected {canon} = column {found!r} (by its name); choose another with `{canon}`."
                )
    missing = {c: _why_missing(c, by_norm, chosen) for c in REQUIRED if chosen.get(c) is None}
    order = (*REQUIRED, *OPTIONAL)
    return MappingProposal({c: chosen.get(c) for c in order}, tuple(notes), missing)


def detect_mapping(
    columns: list[str],
    *,
    explicit: dict[str, str | None] | None = None,
    source: str = "the file",
) -> DetectedMapping:
    """Choose the source column for each canonical column.

    Explicit choices win; the rest are detected from :data:`CANDIDATES`. A detection is *certain* when
    the column carries the canonical or the XES name; otherwise the choice is reported in the notes.
    :func:`propose_mapping` does the same without stopping at a missing required column.

    Parameters
    ----------
    columns : list of str
        The column names of the source file, in file order.
    explicit : dict, optional
        Canonical name -> source column chosen by the user (function arguments). ``None``
        means "detect it"; an empty string means "the file has no such column" (optional columns
        only), which switches detection off for it.
    source : str
        Name of the file, used in messages.

    Returns
    -------
    DetectedMapping
        ``mapping`` (:class:`ColumnMapping`) and ``notes`` (tuple of str: one sentence per detection that
        was not certain, saying what was chosen and how to override it).

    Raises
    ------
    ColumnMappingError
        When an explicit column does not exist, one column is given for two canonical columns, a
        required column is switched off, or a required column cannot be found. The message lists the
        available columns, says why a column was not found, and names the parameter to pass.
    """
    proposal = propose_mapping(columns, explicit=explicit, source=source)
    if proposal.missing:
        unnamed = [c for c, reason in proposal.missing.items() if reason.startswith(_NOT_NAMED)]
        why = [f"{c}: {reason}" for c, reason in proposal.missing.items() if c not in unnamed]
        if len(unnamed) == 1:
            reason = proposal.missing[unnamed[0]]
            why.insert(0, f"{unnamed[0]}: {reason}" if why else reason)
        elif unnamed:  # one clause for all, so that the message stays short
            why.insert(0, f"no column has a name known for them (e.g. {', '.join(map(repr, unnamed))})")
        why = "; ".join(why)
        params = [f"`{c}`" for c in proposal.missing]
        params = ", ".join(params[:-1]) + " and " + params[-1] if len(params) > 1 else params[0]
        raise ColumnMappingError(
            f"{source}: cannot find the {', '.join(proposal.missing)} column(s) ({why}). "
            f"Available columns: {', '.join(map(repr, columns))}. "
            f"Name the column(s) with {params}."
        )
    return DetectedMapping(ColumnMapping(**proposal.columns), tuple(proposal.notes))  # type: ignore[arg-type]
