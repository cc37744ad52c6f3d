"""Who does the work: people, systems, bots and outside parties; and roles when the log names none.

:func:`classify_performers` types every performer (a resource; the role when the log names no
resources) as ``human``, ``system``, ``bot`` or ``external`` (a citizen, customer, supplier, another
organisation) from evidence measured in the engine, with a documented decision rule, and gives each
activity's automation rate. :func:`discover_roles` groups resources into roles by the activities they
perform (pm4py's organisational roles) and :func:`with_discovered_roles` gives a log whose ``role``
column holds them.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ibis
import numpy as np
import pandas as pd

from analysis.escape import escape_figure
from analysis.labels import PERFORMER_TYPE_COLOURS
from analysis.queries.performers import (
    activity_types,
    distinct_values,
    log_clock,
    middle_event_time,
    performer_evidence,
    performer_hours_of_week,
    resource_activity_counts,
    type_by_group,
    with_column_from,
)
from mapper.backends import materialise
from mapper.columns import ACTIVITY, RESOURCE, ROLE
from mapper.discovery import discover_roles_from_counts as roles_from_counts
from mapper.engine import activity_stats, execute, unique_name
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: The types a performer can have.
PERFORMER_TYPES = ("human", "system", "bot", "external")

# --- Name vocabularies ---------------------------------------------------------------------------------
# A name is split into lower-case words (at every non-letter and at camelCase boundaries: "rpa_fee_bot",
# "RpaFeeBot" and "rpa-fee-bot2" all give rpa, fee, bot); a vocabulary matches when one of its words is
# one of the name's words (multi-word entries match consecutive words). English plus the common Dutch
# and Italian words seen in the shared logs (BPIC 2012/2015/2020 are Dutch, the help desk is Italian).

#: Words that name a software robot (RPA).
BOT_WORDS = (
    "bot",
    "bots",
    "robot",
    "robots",
    "rpa",
    "uipath",
    "blueprism",
    "digital worker",
    "virtual worker",
)
#: Words that name a system: an application, an interface or a scheduled job.
SYSTEM_WORDS = (
    "system", "systems", "sys", "systeem", "sistema", "batch", "auto", "automated", "automatic",
    "automatisch", "automatico", "automatica", "script", "scheduler", "cron", "job", "daemon", "engine",
    "server", "portal", "portaal", "portale", "interface", "api", "webservice", "workflow", "integration",
    "etl", "gateway", "machine", "mainframe",
)  # fmt: skip
#: Words that name a party outside the organisation: a citizen, customer, supplier, another organisation.
EXTERNAL_WORDS = (
    "customer", "customers", "client", "clients", "citizen", "citizens", "applicant", "applicants",
    "requester", "requestor", "claimant", "supplier", "suppliers", "vendor", "vendors", "contractor",
    "third party", "thirdparty", "external", "extern", "externe", "klant", "klanten", "burger", "aanvrager",
    "leverancier", "derde", "cliente", "clienti", "cittadino", "richiedente", "fornitore", "esterno",
    "esterna", "terzi",
)  # fmt: skip
#: A name with an outside-party word and one of these is an internal team that serves the outside party
#: ("Customer Service", "Vendor Support Desk"), not the party itself.
TEAM_WORDS = (
    "service", "services", "support", "desk", "helpdesk", "care", "team", "dept", "department", "afdeling",
    "ufficio", "servizio", "assistenza", "centre", "center", "relations", "success", "management",
    "manager", "officer", "agent", "contact", "office",
)  # fmt: skip
#: Words of an activity that asks an outside party for something (a request step) ...
REQUEST_WORDS = (
    "request", "requests", "requested", "ask", "asks", "asked", "chase", "remind", "reminder", "opvragen",
    "verzoek", "verzoeken", "navragen", "nabellen", "herinnering", "aanmaning", "richiesta", "richiedere",
    "richiesto", "sollecito", "sollecitare",
)  # fmt: skip
#: ... unless the activity also has one of these: it handles a request that came in ("Submit request",
#: "Review request", "Register request") instead of asking for something.
NOT_REQUEST_WORDS = (
    "submit", "submitted", "receive", "received", "register", "registered", "create", "created", "review",
    "approve", "approved", "handle", "handled", "process", "processed", "close", "closed", "reject",
    "rejected", "assess", "check", "open", "insert", "new", "reinitiate", "cancel", "cancelled", "decline",
    "declined", "accept", "accepted", "validate", "indienen", "ontvangen", "registreren", "beoordelen",
    "goedkeuren", "afwijzen", "ricevere", "registrare", "approvare", "respingere",
)  # fmt: skip

# --- Thresholds of the decision rule -------------------------------------------------------------------
#: Processing or reaction of at most this many seconds is instant (a machine, not a person at a screen).
INSTANT_SECONDS = 1
#: Fewer events than this: behavioural evidence is too thin to type a performer by it.
MIN_EVENTS = 10
#: External by behaviour: at least this share of its events come right after a request step.
EXTERNAL_AFTER_REQUEST = 0.8
#: System by processing: at least this share of its timed events take at most INSTANT_SECONDS ...
SYSTEM_INSTANT_PROCESSING = 0.9
#: ... unless the whole log processes at least this share instantly (start = end by construction).
LOG_INSTANT_PROCESSING = 0.5
#: System by clock: active in at least this share of the 168 hours of the week ...
SYSTEM_HOURS_OF_WEEK = 0.9
#: ... and at least this share of its events recorded within INSTANT_SECONDS of the case's previous event.
SYSTEM_INSTANT_REACTION = 0.25
#: System by clock: at least this share of its events at night (a nightly batch).
SYSTEM_NIGHT = 0.8
#: Night is local hour < 6 or >= 22; office hours: below these shares at night and at weekends.
OFFICE_NIGHT = 0.05
OFFICE_WEEKEND = 0.05
#: Works weekends unlike the others: its weekend share at least this while the median is below OFFICE_WEEKEND.
UNUSUAL_WEEKEND = 0.2
#: When at least this share of the log's events sit on a whole hour (minute 0, second 0; by chance one
#: in 3,600 does), they carry dates without times: they are left out of every clock figure.
WHOLE_HOUR_DATES = 0.05
#: A volume per active day this many times the median performer's supports a machine type.
HIGH_VOLUME = 5.0

#: Confidence of each rule (a rough degree of belief; the reason says what it rests on).
CONFIDENCE = {
    "override": 1.0,
    "name": 0.9,
    "after_request": 0.7,
    "instant_processing": 0.8,
    "round_the_clock": 0.7,
    "night_batch": 0.6,
    "office_hours": 0.8,
    "human": 0.6,
    "unusual": 0.5,
    "few_events": 0.5,
}

TABLE_COLUMNS = [
    "performer",
    "level",
    "type",
    "confidence",
    "reason",
    "overridden",
    "rule",
    "events",
    "cases",
    "activities",
    "active_days",
    "events_per_active_day",
    "volume_ratio",
    "name_match",
    "name_term",
    "processing_known",
    "instant_share",
    "instant_reaction_share",
    "night_share",
    "weekend_share",
    "hours_of_week_share",
    "hour_spread",
    "clock_known",
    "after_request_share",
    "first_event_share",
]
AUTOMATION_COLUMNS = [
    "activity",
    "events",
    "with_performer",
    "human_events",
    "system_events",
    "bot_events",
    "external_events",
    "automation_rate",
]


def name_words(text: str) -> list[str]:
    """Lower-case words of a name: split at non-letters and camelCase boundaries.

    Examples
    --------
    >>> name_words("RpaFeeBot-2")
    ['rpa', 'fee', 'bot']
    """
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(text))
    return re.findall(r"[a-zà-ÿ]+", spaced.lower())


def vocabulary_term(words: list[str], vocabulary: tuple[str, ...]) -> str:
    """The first vocabulary entry found among ``words`` (consecutive words for multi-word entries), or ""."""
    joined = f" {' '.join(words)} "
    for term in vocabulary:
        if f" {term} " in joined:
            return term
    return ""


@dataclass(frozen=True)
class NameMatch:
    """The vocabulary a performer's name matches (:func:`name_vocabulary`).

    Attributes
    ----------
    kind : str
        ``"bot"``, ``"external"``, ``"system"``, or ``""`` when the name matches none.
    term : str
        The word that matched ("" when none).
    """

    kind: str
    term: str


def name_vocabulary(name: str) -> NameMatch:
    """Which vocabulary a performer's name matches, and the word that matched.

    Parameters
    ----------
    name : str

    Returns
    -------
    NameMatch
        ``kind`` is ``"bot"``, ``"external"``, ``"system"`` or ``""`` (checked in that order:
        "rpa_system_bot" is a bot); an outside-party word next to a team word ("Customer Service") is no
        match.

    Examples
    --------
    >>> name_vocabulary("rpa_fee_bot")
    NameMatch(kind='bot', term='bot')
    >>> name_vocabulary("Customer Service").kind, name_vocabulary("clerk_01").kind
    ('', '')
    """
    w = name_words(name)
    if term := vocabulary_term(w, BOT_WORDS):
        return NameMatch("bot", term)
    if (term := vocabulary_term(w, EXTERNAL_WORDS)) and not vocabulary_term(w, TEAM_WORDS):
        return NameMatch("external", term)
    if term := vocabulary_term(w, SYSTEM_WORDS):
        return NameMatch("system", term)
    return NameMatch("", "")


def request_activities(activities) -> list[str]:
    """The activities that ask an outside party for something: request steps.

    An activity is a request step when its name has a word of :data:`REQUEST_WORDS` and none of
    :data:`NOT_REQUEST_WORDS`.

    Examples
    --------
    >>> request_activities(["Request further information", "Submit request", "Assess application"])
    ['Request further information']
    """
    out = []
    for a in activities:
        w = name_words(a)
        if vocabulary_term(w, REQUEST_WORDS) and not vocabulary_term(w, NOT_REQUEST_WORDS):
            out.append(a)
    return out


# --- Overrides -----------------------------------------------------------------------------------------


def load_performer_types(path: str | Path) -> dict[str, str]:
    """Read performer types set by the user from a CSV file with the columns ``performer,type``.

    Parameters
    ----------
    path : str or Path
        A UTF-8 CSV file with a header row naming (at least) the columns ``performer`` and ``type``; one
        row per performer; ``type`` one of :data:`PERFORMER_TYPES` (case and surrounding spaces ignored).

    Returns
    -------
    dict of str to str
        Performer name -> type, in file order.

    Raises
    ------
    AnalysisError
        When the file cannot be read, lacks a column, has an empty performer, a performer listed twice,
        or a type that is not allowed; the message names the file and the (1-based, header = 1) row.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "types.csv")
    >>> _ = open(p, "w").write("performer,type\\nclerk_09,Human\\nScanner,system\\n")
    >>> load_performer_types(p)
    {'clerk_09': 'human', 'Scanner': 'system'}
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"Cannot read the performer types file {p}: {exc}.") from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise AnalysisError(f"The performer types file {p} is empty; it needs a header row 'performer,type'.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("performer", "type") if c not in header]
    if missing:
        raise AnalysisError(
            f"The performer types file {p} lacks the column(s) {', '.join(missing)}; its header is "
            f"{', '.join(map(repr, rows[0]))}. Write a header row 'performer,type'."
        )
    ip, it = header.index("performer"), header.index("type")
    out: dict[str, str] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        name = row[ip].strip() if ip < len(row) else ""
        kind = row[it].strip().lower() if it < len(row) else ""
        if not name:
            raise AnalysisError(f"The performer types file {p}, row {n}: the performer is empty.")
        if kind not in PERFORMER_TYPES:
            raise AnalysisError(
                f"The performer types file {p}, row {n}: type {kind!r} for {name!r} is not allowed; "
                f"allowed types: {', '.join(PERFORMER_TYPES)}."
            )
        if name in out:
            raise AnalysisError(f"The performer types file {p}, row {n}: {name!r} is listed twice.")
        out[name] = kind
    return out


def _check_overrides(overrides) -> dict[str, str]:
    if overrides is None:
        return {}
    if isinstance(overrides, str | Path):
        return load_performer_types(overrides)
    if not isinstance(overrides, Mapping):
        raise AnalysisError(
            "`overrides` must be a mapping {performer: type} or the path of a CSV file with the columns "
            f"performer,type; got {type(overrides).__name__}."
        )
    out = {}
    for name, kind in overrides.items():
        k = str(kind).strip().lower()
        if k not in PERFORMER_TYPES:
            raise AnalysisError(
                f"`overrides` gives {name!r} the type {kind!r}, which is not a performer type; allowed "
                "types: "
                f"{', '.join(PERFORMER_TYPES)}."
            )
        out[str(name)] = k
    return out


# --- Result --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Performers:
    """Every performer typed, with its evidence, and the automation rate of every activity.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per performer, most events first (then by name): ``performer`` (str), ``level`` (str,
        ``"resource"`` or ``"role"``), ``type`` (str, one of :data:`PERFORMER_TYPES`), ``confidence``
        (float 0-1), ``reason`` (str, one line quoting the numbers), ``overridden`` (bool), ``rule``
        (str: which rule decided, see :func:`classify_performers`), and the evidence: ``events``,
        ``cases``, ``activities``, ``active_days`` (int64), ``events_per_active_day`` (float),
        ``volume_ratio`` (float: events per active day / the median performer's), ``name_match`` (str:
        ``"bot"``, ``"external"``, ``"system"`` or ``""``), ``name_term`` (str: the word matched),
        ``processing_known`` (int64: events with a start time), ``instant_share`` (float: share of those
        processed in at most :data:`INSTANT_SECONDS`; NaN without start times),
        ``instant_reaction_share`` (float: share of its events with a predecessor that complete within
        :data:`INSTANT_SECONDS` of the case's previous event), ``night_share``, ``weekend_share``
        (float: local hour < 6 or >= 22; Saturday and Sunday), ``hours_of_week_share`` (float: share of
        the 168 hours of the week with at least one event), ``hour_spread`` (float 0-1: normalised
        Shannon entropy of its events over the 168 hours of the week; 1 = evenly spread), ``clock_known``
        (bool: it has events with a usable time of day, see :data:`WHOLE_HOUR_DATES`; NaN clock figures
        otherwise),
        ``after_request_share`` (float: share of its events that come right after a request step done
        by another performer), ``first_event_share`` (float: share of its events that open a case).
    activity_automation : pandas.DataFrame
        One row per activity, most events first: ``activity`` (str), ``events``, ``with_performer``
        (events naming a performer), ``human_events``, ``system_events``, ``bot_events``,
        ``external_events`` (int64), ``automation_rate`` (float: ``(system_events + bot_events) /
        with_performer``; NaN when no event names a performer).
    level : str
        ``"resource"`` or ``"role"``.
    request_activities : list of str
        The activities taken as requests to an outside party (:func:`request_activities`).
    overrides : dict
        The types set by the user (a copy).
    notes : list of str
        What to know when reading the table (overrides for names not in the log, clock evidence
        not usable, start times equal to completion times).
    thresholds : dict
        The thresholds the rule used (a copy of the module constants).
    """

    table: pd.DataFrame
    activity_automation: pd.DataFrame
    level: str
    request_activities: list = field(default_factory=list)
    overrides: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    thresholds: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The performer table (a copy)."""
        return self.table.copy()

    def types(self) -> dict[str, str]:
        """Performer name -> type."""
        return dict(zip(self.table["performer"], self.table["type"], strict=True))

    def summary(self) -> dict:
        """Performers and events per type: ``{type: {"performers": n, "events": n}}`` for every type."""
        g = self.table.groupby("type")[["events"]].agg(["count", "sum"])
        return {
            t: {
                "performers": int(g.loc[t, ("events", "count")]) if t in g.index else 0,
                "events": int(g.loc[t, ("events", "sum")]) if t in g.index else 0,
            }
            for t in PERFORMER_TYPES
        }

    def plot(self):
        """A plotly scatter: hours of the week covered against instant reactions, one dot per performer."""
        import plotly.express as px

        d = self.table.assign(
            x=self.table["hours_of_week_share"].fillna(0), y=self.table["instant_reaction_share"].fillna(0)
        )
        fig = px.scatter(
            d,
            x="x",
            y="y",
            size="events",
            color="type",
            hover_name=d["performer"].map(lambda s: html.escape(str(s))),
            hover_data={"reason": True, "confidence": True, "x": False, "y": False},
            category_orders={"type": list(PERFORMER_TYPES)},
            color_discrete_map=dict(PERFORMER_TYPE_COLOURS),
            labels={"x": "Share of the 168 hours of the week active", "y": "Share recorded within 1 s"},
            title=f"Who does the work ({self.level} level)",
        )
        fig.update_layout(xaxis_range=[-0.02, 1.02], yaxis_range=[-0.02, 1.02], height=480)
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        s = self.summary()
        head = ", ".join(f"{v['performers']} {t}" for t, v in s.items())
        cols = ["performer", "type", "confidence", "reason", "overridden", "events"]
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<b>Performers ({html.escape(self.level)} level)</b>: {html.escape(head)}"
            + self.table[cols].head(50).to_html(index=False, escape=True)
            + (f"<ul>{notes}</ul>" if notes else "")
        )


def _level(log: EventLog, level: str | None) -> str:
    if level is None:
        if log.has_resources:
            return "resource"
        if log.has_roles:
            return "role"
        raise AnalysisError(
            "The log names no resources and no roles, so its performers cannot be classified; map a "
            "resource or role column when loading the log."
        )
    if level not in ("resource", "role"):
        raise AnalysisError(f"level must be 'resource', 'role' or None, not {level!r}.")
    if not (log.has_resources if level == "resource" else log.has_roles):
        raise AnalysisError(
            f"The log names no {level}s, so performers cannot be classified at level {level!r}; "
            "use level=None to take what the log has."
        )
    return level


def _offset_seconds(log: EventLog) -> int:
    """UTC offset (seconds) of the log's time zone at the middle of the log (daylight saving ignored).

    The middle is the completion time of the middle event in file order (``row_nr``), read in the engine.
    """
    n = log.n_events
    mid_us = int(execute(middle_event_time(log.tables().events, n)).iloc[0, 0]) if n else 0
    mid = pd.Timestamp(mid_us, unit="us", tz="UTC")
    try:
        off = pd.Timestamp(mid).tz_convert(log.timezone).utcoffset()
    except Exception:  # noqa: BLE001 - an unknown zone name: take UTC (the engine stores UTC)
        return 0
    return int(off.total_seconds()) if off is not None else 0


def classify_performers(
    log: EventLog,
    *,
    level: Literal["resource", "role"] | None = None,
    overrides: Mapping[str, str] | str | Path | None = None,
) -> Performers:
    """Classify every performer as a person, a system, a software robot or an outside party.

    The evidence is measured in the engine per performer (see :class:`Performers` for every column).
    The type is given by the first rule that applies (the ``rule`` column names it):

    1. ``override`` — the user set the type (``overrides``).
    2. ``name`` — the name contains a word of a vocabulary, checked in this order: :data:`BOT_WORDS`
       (bot), :data:`EXTERNAL_WORDS` without a :data:`TEAM_WORDS` word (external), :data:`SYSTEM_WORDS`
       (system). A name is the strongest evidence a log offers, and behaviour does not overrule it: a
       system or a bot triggered by people works their hours and reacts to their steps after its own
       run time, so office hours and no instant reactions do not contradict a machine's name.
    3. ``after_request`` — at least :data:`EXTERNAL_AFTER_REQUEST` of its events (and at least
       :data:`MIN_EVENTS`) come right after a request step (:func:`request_activities`) done by
       another performer: it only ever answers requests, as an applicant or a supplier does -> external.
    4. ``instant_processing`` — at least :data:`SYSTEM_INSTANT_PROCESSING` of its timed events (at
       least :data:`MIN_EVENTS`) take at most :data:`INSTANT_SECONDS`: no person works that fast ->
       system. Skipped when the whole log processes :data:`LOG_INSTANT_PROCESSING` of its events
       instantly (start = completion by construction, so durations say nothing).
    5. ``round_the_clock`` — active in at least :data:`SYSTEM_HOURS_OF_WEEK` of the 168 hours of the
       week **and** recording at least :data:`SYSTEM_INSTANT_REACTION` of its events within
       :data:`INSTANT_SECONDS` of the case's previous event -> system. Round-the-clock work alone is not
       enough (hospital wards and shift teams work 24/7), nor are instant reactions alone (a person
       who records several steps at once); a person does not do both at every hour of the week.
    6. ``night_batch`` — at least :data:`SYSTEM_NIGHT` of its events (at least :data:`MIN_EVENTS`) at
       night (local 22:00-06:00) -> system (a nightly batch).
    7. Otherwise ``human``, with confidence 0.8 when it works office hours (below
       :data:`OFFICE_NIGHT` at night and :data:`OFFICE_WEEKEND` at weekends), 0.5 when it has fewer
       than :data:`MIN_EVENTS` events or works weekends (at least :data:`UNUSUAL_WEEKEND`) while the
       median performer does not (the reason says to check it), else 0.6.

    Rules 5 and 6 need usable clock times. When at least :data:`WHOLE_HOUR_DATES` of the log's events
    are stamped on a whole hour (dates without times; by chance only one in 3,600 would be), those
    events are left out of the clock figures (night, weekend, hours of the week), and a performer with
    fewer than :data:`MIN_EVENTS` (or not all of its) events left has ``clock_known`` False. Hours are
    local to ``log.timezone`` at its offset in the middle of the log (daylight-saving shifts of one
    hour are ignored). Bots are found by name only: in a log, an RPA bot behaves like any
    other system (override where the name does not say). A volume per active day of :data:`HIGH_VOLUME`
    times the median performer's or more is quoted in the reason of a machine type; it is not a rule of
    its own, since a busy team is not a machine.

    Parameters
    ----------
    log : EventLog
    level : {"resource", "role"} or None, default None
        Classify resources or roles; None takes resources when the log names them, else roles.
    overrides : mapping of str to str, or str or Path, optional
        Types set by the user: ``{performer: type}``, or the path of a CSV file read with
        :func:`load_performer_types`. Names that are not performers of the log are listed in
        ``notes`` and otherwise ignored.

    Returns
    -------
    Performers

    Raises
    ------
    AnalysisError
        When the log names neither resources nor roles (or not the ``level`` asked for), when ``level``
        is unknown, or when an override type is not one of :data:`PERFORMER_TYPES` (or its CSV file is
        malformed: see :func:`load_performer_types`).

    References
    ----------
    Martin, Depaire, Caris & Schepers (2020), "Retrieving the resource availability calendars of a
    process from an event log", Information Systems 88 (working calendars read from event times);
    Leno, Polyvyanyy, Dumas, La Rosa & Maggi (2021), "Robotic Process Mining: Vision and Challenges",
    BISE 63 (telling robotic from human work in logs); van der Aalst (2016), *Process Mining*, §8.4
    (the resource perspective).

    Examples
    --------
    >>> p = classify_performers(load_event_log("sample_logs/council_permits.csv"))
    >>> p.types()["SYSTEM"], p.types()["clerk_01"]
    ('system', 'human')
    """
    level = _level(log, level)
    given = _check_overrides(overrides)
    tables = log.tables()
    o = tables.ordered
    col = RESOURCE if level == "resource" else ROLE
    acts = tables.result("activity_stats", activity_stats)["activity"].tolist()
    requests = request_activities(acts)
    offset = _offset_seconds(log)
    instant_us = INSTANT_SECONDS * 1_000_000
    lc = execute(log_clock(o, instant_us=instant_us)).iloc[0]
    skip = bool(lc["events"]) and lc["on_the_hour"] / lc["events"] >= WHOLE_HOUR_DATES
    ev = execute(
        performer_evidence(
            o,
            col,
            offset_seconds=offset,
            request_activities=requests,
            instant_us=instant_us,
            skip_whole_hours=skip,
        )
    )
    how = execute(performer_hours_of_week(o, col, offset_seconds=offset, skip_whole_hours=skip))
    notes: list[str] = []
    if skip:
        notes.append(
            f"{lc['on_the_hour'] / lc['events']:.0%} of the log's events are stamped on a whole hour (dates "
            "without times): they are left out of the night, weekend and hours-of-the-week figures."
        )
    log_instant = (
        lc["instant_processing"] / lc["processing_known"] if lc["processing_known"] else float("nan")
    )
    processing_informative = not (log_instant >= LOG_INSTANT_PROCESSING)
    if lc["processing_known"] and not processing_informative:
        notes.append(
            f"{log_instant:.0%} of the timed events of the log take at most {INSTANT_SECONDS} s (start = "
            "completion): processing times say nothing about who is a machine, so that rule is skipped."
        )
    table = _evidence_table(ev, how, level)
    if len(table) and not table["clock_known"].all():
        off = table.loc[~table["clock_known"], "performer"].tolist()
        notes.append(
            f"{len(off)} performer(s) have too few events with a time of day for clock figures "
            f"({', '.join(map(str, off[:5]))}" + (", ..." if len(off) > 5 else "") + ")."
        )
    median_weekend = (
        float(table["weekend_share"].median()) if table["weekend_share"].notna().any() else float("nan")
    )
    decided = [
        _decide(r, processing_informative, median_weekend, requests) for r in table.itertuples(index=False)
    ]
    table["type"] = [d[0] for d in decided]
    table["confidence"] = [d[1] for d in decided]
    table["reason"] = [d[2] for d in decided]
    table["rule"] = [d[3] for d in decided]
    table["overridden"] = False
    known = set(table["performer"])
    unknown = [n for n in given if n not in known]
    if unknown:
        notes.append(
            f"Types were set for {len(unknown)} name(s) that are not {level}s of the log and were ignored: "
            + ", ".join(map(repr, unknown[:10]))
            + (" ..." if len(unknown) > 10 else "")
            + "."
        )
    for name, kind in given.items():
        if name in known:
            i = table.index[table["performer"] == name][0]
            was, why = table.at[i, "type"], table.at[i, "reason"]
            table.loc[i, ["type", "confidence", "rule", "overridden"]] = [
                kind,
                CONFIDENCE["override"],
                "override",
                True,
            ]
            table.at[i, "reason"] = f"set by the user (measured: {was}: {why})"
    table["overridden"] = table["overridden"].astype(bool)
    table = table[TABLE_COLUMNS]
    automation = _automation(log, col, table)
    return Performers(
        table=table,
        activity_automation=automation,
        level=level,
        request_activities=requests,
        overrides=dict(given),
        notes=notes,
        thresholds={
            "INSTANT_SECONDS": INSTANT_SECONDS,
            "MIN_EVENTS": MIN_EVENTS,
            "EXTERNAL_AFTER_REQUEST": EXTERNAL_AFTER_REQUEST,
            "SYSTEM_INSTANT_PROCESSING": SYSTEM_INSTANT_PROCESSING,
            "LOG_INSTANT_PROCESSING": LOG_INSTANT_PROCESSING,
            "SYSTEM_HOURS_OF_WEEK": SYSTEM_HOURS_OF_WEEK,
            "SYSTEM_INSTANT_REACTION": SYSTEM_INSTANT_REACTION,
            "SYSTEM_NIGHT": SYSTEM_NIGHT,
            "OFFICE_NIGHT": OFFICE_NIGHT,
            "OFFICE_WEEKEND": OFFICE_WEEKEND,
            "UNUSUAL_WEEKEND": UNUSUAL_WEEKEND,
            "WHOLE_HOUR_DATES": WHOLE_HOUR_DATES,
            "HIGH_VOLUME": HIGH_VOLUME,
            "CONFIDENCE": dict(CONFIDENCE),
        },
    )


def _evidence_table(ev: pd.DataFrame, how: pd.DataFrame, level: str) -> pd.DataFrame:
    """The evidence columns from the engine's per-performer counts (compact: one row per performer)."""
    t = ev.copy()
    t["performer"] = t["performer"].astype(str)
    n = t["events"].astype(float)
    share = lambda a, b: (t[a] / t[b].where(t[b] > 0)).astype(float)  # noqa: E731
    t["events_per_active_day"] = n / t["active_days"].where(t["active_days"] > 0)
    med = float(t["events_per_active_day"].median()) if len(t) else float("nan")
    t["volume_ratio"] = t["events_per_active_day"] / med if med and med > 0 else float("nan")
    names = [name_vocabulary(p) for p in t["performer"]]
    t["name_match"] = [m.kind for m in names]
    t["name_term"] = [m.term for m in names]
    t["instant_share"] = share("instant_processing", "processing_known")
    t["instant_reaction_share"] = share("instant_reaction", "reaction_known")
    ce = t["clock_events"].astype(float)
    t["clock_known"] = (ce > 0) & (ce >= np.minimum(MIN_EVENTS, n))
    t["night_share"] = (t["night_events"] / ce.where(ce > 0)).where(t["clock_known"])
    t["weekend_share"] = (t["weekend_events"] / ce.where(ce > 0)).where(t["clock_known"])
    t["after_request_share"] = t["after_request"] / n
    t["first_event_share"] = t["first_events"] / n
    if len(how):
        how = how.assign(performer=how["performer"].astype(str))
        covered = how.groupby("performer")["hour_of_week"].nunique() / 168.0
        p = how["events"] / how.groupby("performer")["events"].transform("sum")
        ent = (-(p * np.log(p))).groupby(how["performer"]).sum() / np.log(168.0)
        t["hours_of_week_share"] = t["performer"].map(covered).astype(float).where(t["clock_known"])
        t["hour_spread"] = t["performer"].map(ent).astype(float).clip(lower=0).where(t["clock_known"])
    else:
        t["hours_of_week_share"] = np.nan
        t["hour_spread"] = np.nan
    t["level"] = level
    for c in ("events", "cases", "activities", "active_days", "processing_known"):
        t[c] = t[c].astype("int64")
    return t.sort_values(["events", "performer"], ascending=[False, True], ignore_index=True)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _decide(r, processing_informative: bool, median_weekend: float, requests: list[str]) -> tuple:
    """(type, confidence, reason, rule) for one performer (a row of the evidence table)."""
    n = int(r.events)
    clock = bool(r.clock_known)
    hours_cov = r.hours_of_week_share if clock else float("nan")
    vol = (
        f", {r.volume_ratio:.1f}x the median performer's daily volume"
        if pd.notna(r.volume_ratio) and r.volume_ratio >= HIGH_VOLUME
        else ""
    )
    office = clock and r.night_share < OFFICE_NIGHT and r.weekend_share < OFFICE_WEEKEND
    if r.name_match:
        what = {"bot": "software robot", "external": "outside party", "system": "system"}[r.name_match]
        text = f"name {r.performer!r} contains {r.name_term!r} ({what} vocabulary)"
        return r.name_match, CONFIDENCE["name"], text, "name"
    if n >= MIN_EVENTS and r.after_request_share >= EXTERNAL_AFTER_REQUEST:
        steps = ", ".join(requests[:3]) + (", ..." if len(requests) > 3 else "")
        return (
            "external",
            CONFIDENCE["after_request"],
            f"{_pct(r.after_request_share)} of its {n:,} events come right after a request step ({steps})",
            "after_request",
        )
    if (
        processing_informative
        and r.processing_known >= MIN_EVENTS
        and pd.notna(r.instant_share)
        and r.instant_share >= SYSTEM_INSTANT_PROCESSING
    ):
        return (
            "system",
            CONFIDENCE["instant_processing"],
            f"processes {_pct(r.instant_share)} of its {int(r.processing_known):,} timed events in at most "
            f"{INSTANT_SECONDS} s{vol}",
            "instant_processing",
        )
    if (
        clock
        and pd.notna(hours_cov)
        and hours_cov >= SYSTEM_HOURS_OF_WEEK
        and pd.notna(r.instant_reaction_share)
        and r.instant_reaction_share >= SYSTEM_INSTANT_REACTION
    ):
        return (
            "system",
            CONFIDENCE["round_the_clock"],
            f"active in {round(hours_cov * 168)} of the 168 hours of the week and records "
            f"{_pct(r.instant_reaction_share)} of its events within {INSTANT_SECONDS} s of the case's "
            f"previous event{vol}",
            "round_the_clock",
        )
    if clock and n >= MIN_EVENTS and r.night_share >= SYSTEM_NIGHT:
        return (
            "system",
            CONFIDENCE["night_batch"],
            f"{_pct(r.night_share)} of its {n:,} events at night (22:00-06:00): a nightly batch{vol}",
            "night_batch",
        )
    if n < MIN_EVENTS:
        return (
            "human",
            CONFIDENCE["few_events"],
            f"only {n} event(s): no machine or outside-party signal",
            "human",
        )
    if r.weekend_share >= UNUSUAL_WEEKEND and pd.notna(median_weekend) and median_weekend < OFFICE_WEEKEND:
        return (
            "human",
            CONFIDENCE["unusual"],
            f"no machine or outside-party signal, but {_pct(r.weekend_share)} of its events at weekends "
            f"while the median performer has {_pct(median_weekend)}: check whether it is a system or an "
            "outside party",
            "human",
        )
    if office:
        return (
            "human",
            CONFIDENCE["office_hours"],
            f"works office hours: {_pct(r.night_share)} of its events at night, {_pct(r.weekend_share)} at "
            "weekends",
            "human",
        )
    parts = []
    if clock:
        parts.append(f"night {_pct(r.night_share)}, weekend {_pct(r.weekend_share)}")
    if pd.notna(r.instant_reaction_share):
        parts.append(f"{_pct(r.instant_reaction_share)} instant")
    return (
        "human",
        CONFIDENCE["human"],
        "no machine or outside-party signal" + (f" ({'; '.join(parts)})" if parts else ""),
        "human",
    )


def _automation(log: EventLog, col: str, table: pd.DataFrame) -> pd.DataFrame:
    tables = log.tables()
    types = ibis.memtable(
        pd.DataFrame(
            {"performer": table["performer"].astype(str), "performer_type": table["type"].astype(str)}
        )
    )
    a = execute(activity_types(tables.ordered, col, types))
    for c in AUTOMATION_COLUMNS[1:-1]:
        a[c] = a[c].astype("int64")
    a["automation_rate"] = (
        (a["system_events"] + a["bot_events"]) / a["with_performer"].where(a["with_performer"] > 0)
    ).astype(float)
    a = a.sort_values(["events", "activity"], ascending=[False, True], ignore_index=True)
    return a[AUTOMATION_COLUMNS]


def performer_types(
    log: EventLog,
    *,
    level: Literal["resource", "role", "system"],
    performers: Performers | None = None,
) -> pd.DataFrame:
    """The type of every performer at ``level``, from a classification made at the same or another level.

    A role's type is the type that does most of its events (from a resource-level classification); a
    resource's type is the type of the role that holds most of its events (from a role-level one). At
    the ``system`` level (the source systems of a merged log) every system is ``system``.

    Parameters
    ----------
    log : EventLog
    level : {"resource", "role", "system"}
    performers : Performers, optional
        A classification of ``log``; computed with :func:`classify_performers` at its default level
        (resources when the log names them) when not given.

    Returns
    -------
    pandas.DataFrame
        ``performer`` (str), ``type`` (str), ``basis`` (str: ``"classified"``, ``"majority of events"``
        or ``"source system"``). One row per performer of the level that the log names.

    Raises
    ------
    AnalysisError
        When ``level`` is unknown or the log does not name performers at that level.
    """
    from analysis.queries.handoffs import LEVEL_COLUMNS

    if level not in LEVEL_COLUMNS:
        raise AnalysisError(f"level must be one of {', '.join(map(repr, LEVEL_COLUMNS))}, not {level!r}.")
    present = {"resource": log.has_resources, "role": log.has_roles, "system": log.has_systems}[level]
    if not present:
        raise AnalysisError(
            f"The log names no {LEVEL_COLUMNS[level]} values, so it has no performers at level {level!r}."
        )
    o = log.tables().ordered
    if level == "system":
        names = execute(o.select(p=o[LEVEL_COLUMNS[level]]).filter(lambda t: t.p.notnull()).distinct())["p"]
        return pd.DataFrame({"performer": names.astype(str), "type": "system", "basis": "source system"})
    if performers is None:
        performers = classify_performers(log)  # resources when named: people and systems have names
    if performers.level == level:
        t = performers.table
        return pd.DataFrame({"performer": t["performer"], "type": t["type"], "basis": "classified"})
    types = ibis.memtable(
        pd.DataFrame(
            {
                "performer": performers.table["performer"].astype(str),
                "performer_type": performers.table["type"],
            }
        )
    )
    g = execute(type_by_group(o, LEVEL_COLUMNS[level], LEVEL_COLUMNS[performers.level], types))
    g = g.sort_values(["performer", "events", "performer_type"], ascending=[True, False, True])
    top = g.drop_duplicates("performer")
    return pd.DataFrame(
        {
            "performer": top["performer"].astype(str),
            "type": top["performer_type"],
            "basis": "majority of events",
        }
    ).reset_index(drop=True)


# --- Roles when the log names none --------------------------------------------------------------------

#: pm4py's default similarity threshold for merging two roles (Burattin et al. 2013).
ROLES_THRESHOLD = 0.65


@dataclass(frozen=True)
class DiscoveredRoles:
    """Roles discovered from the activities each resource performs.

    Attributes
    ----------
    roles : pandas.DataFrame
        One row per role, in pm4py's order (most activities first): ``role`` (str, ``"Role 1 (<its
        busiest activity>, +k)"``), ``activities`` (list of str), ``resources`` (list of str: every
        resource that performs one of its activities, busiest first), ``events`` (int64),
        ``members`` (list of str: the resources assigned to it by ``assign="resource"``).
    assignment : pandas.DataFrame
        One row per resource: ``resource`` (str), ``role`` (str: the role that holds most of its events;
        ties to the earlier role), ``events`` (int64), ``share_in_role`` (float: share of its events in
        that role).
    activity_roles : pandas.DataFrame
        One row per activity: ``activity``, ``role`` (str).
    threshold : float
        The similarity threshold used.
    assign : str
        How events get a role in :func:`with_discovered_roles`: ``"resource"`` or ``"activity"``.
    note : str
        The sentence to show wherever the roles are used: they were discovered, not recorded.
    discovered : bool
        Always True: the flag to carry into findings (``roles_discovered``).
    """

    roles: pd.DataFrame
    assignment: pd.DataFrame
    activity_roles: pd.DataFrame
    threshold: float = ROLES_THRESHOLD
    assign: str = "resource"
    note: str = ""
    discovered: bool = True

    def to_frame(self) -> pd.DataFrame:
        """The resource -> role assignment (a copy)."""
        return self.assignment.copy()

    def plot(self):
        """A plotly bar chart: events per role, split by the resources assigned to it."""
        import plotly.express as px

        d = self.assignment.assign(resource=self.assignment["resource"].map(lambda s: html.escape(str(s))))
        fig = px.bar(
            d,
            x="events",
            y="role",
            color="resource",
            orientation="h",
            title="Discovered roles: events of the resources assigned to each",
        )
        fig.update_layout(showlegend=len(d) <= 30, height=160 + 30 * len(self.roles))
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        r = self.roles.assign(
            activities=self.roles["activities"].map(", ".join), members=self.roles["members"].map(", ".join)
        )[["role", "activities", "members", "events"]]
        return f"<b>Discovered roles</b> <small>{html.escape(self.note)}</small>" + r.to_html(
            index=False, escape=True
        )


def discover_roles(
    log: EventLog,
    *,
    threshold: float = ROLES_THRESHOLD,
    assign: Literal["resource", "activity"] = "resource",
) -> DiscoveredRoles:
    """Discover roles: groups of activities performed by similar sets of resources (pm4py).

    The algorithm of Burattin, Sperduti & Veluscek (2013) as implemented by
    :func:`pm4py.discover_organizational_roles`: every activity starts as a role holding the multiset of
    resources that perform it; the two roles whose normalised resource multisets are most similar
    (sum of minima over sum of maxima, a weighted Jaccard index) merge while that similarity exceeds
    ``threshold``. A role is thus a set of activities; the roles partition the activities. pm4py's
    pandas variant reads nothing from the event table but the number of events of each (resource,
    activity) pair (``groupby([resource, activity]).size()``), so the engine counts those pairs and
    pm4py's clustering runs on that compact table: the same roles, without handing over the events.

    Each resource is then assigned to the role that holds most of its events (``assign="resource"``,
    the default: a team per person, so that a handover between roles is work changing hands between
    people of different teams); with ``assign="activity"`` every event takes the role of its activity
    (Burattin's own reading: a role is a function, and one person may act in several).

    Parameters
    ----------
    log : EventLog
        A log that names resources.
    threshold : float, default 0.65
        Merge roles while their similarity exceeds this (pm4py's default); in (0, 1].
    assign : {"resource", "activity"}, default "resource"
        What :func:`with_discovered_roles` writes into the ``role`` column (see above).

    Returns
    -------
    DiscoveredRoles

    Raises
    ------
    AnalysisError
        When the log names no resources, or ``threshold`` or ``assign`` is out of range.

    References
    ----------
    Burattin, Sperduti & Veluscek (2013), "Business models enhancement through discovery of roles",
    IEEE Symposium on Computational Intelligence and Data Mining (CIDM), pp. 103-110; pm4py,
    ``pm4py.discover_organizational_roles`` (``pm4py.algo.organizational_mining.roles``).

    Examples
    --------
    >>> roles = discover_roles(load_event_log("sample_logs/council_permits.csv"))
    >>> roles.assignment.set_index("resource").loc["clerk_01", "role"]
    'Role 1 (Screen application, +3)'
    """
    if not log.has_resources:
        raise AnalysisError(
            "discover_roles needs resources: the log names none. Map a resource column when loading the log."
        )
    if not (0 < threshold <= 1):
        raise AnalysisError(f"threshold must be in (0, 1], not {threshold!r}.")
    if assign not in ("resource", "activity"):
        raise AnalysisError(f"assign must be 'resource' or 'activity', not {assign!r}.")
    # On the whole event table, not the ordered one: roles are discovered before analyze() orders the
    # events of the log with roles, so the log as loaded is never ordered at all.
    # Sorted: the engine returns groups in any order, and the roles algorithm's result depends on it.
    counts = execute(resource_activity_counts(log.table(), RESOURCE)).sort_values(
        ["resource", "activity"], kind="stable"
    )
    found = roles_from_counts(
        {
            (str(r), str(a)): int(n)
            for r, a, n in counts[["resource", "activity", "events"]].itertuples(index=False)
        },
        float(threshold),
    )
    per_act = counts.groupby("activity")["events"].sum()
    rows, act_rows = [], []
    for i, role in enumerate(found, start=1):
        acts = sorted(role["activities"], key=lambda a: (-int(per_act.get(a, 0)), a))
        name = f"Role {i} ({acts[0]}" + (f", +{len(acts) - 1})" if len(acts) > 1 else ")")
        res = sorted(role["resources"].items(), key=lambda kv: (-kv[1], kv[0]))
        rows.append(
            {
                "role": name,
                "activities": acts,
                "resources": [r for r, _ in res],
                "events": int(sum(n for _, n in res)),
            }
        )
        act_rows += [{"activity": a, "role": name} for a in acts]
    roles = pd.DataFrame(rows, columns=["role", "activities", "resources", "events"])
    activity_roles = pd.DataFrame(act_rows, columns=["activity", "role"])
    by = counts.merge(activity_roles, on="activity")
    order = {r: k for k, r in enumerate(roles["role"])}
    per = by.groupby(["resource", "role"], as_index=False)["events"].sum()
    per["k"] = per["role"].map(order)
    per = per.sort_values(["resource", "events", "k"], ascending=[True, False, True])
    total = per.groupby("resource")["events"].sum()
    top = per.drop_duplicates("resource").copy()
    top["share_in_role"] = top["events"] / top["resource"].map(total)
    top["events"] = top["resource"].map(total).astype("int64")
    assignment = top[["resource", "role", "events", "share_in_role"]].reset_index(drop=True)
    assignment["resource"] = assignment["resource"].astype(str)
    members = assignment.groupby("role")["resource"].apply(list)
    roles["members"] = [members.get(r, []) for r in roles["role"]]
    roles["events"] = roles["events"].astype("int64")
    note = (
        f"Roles discovered from the activities each resource performs (pm4py organisational roles, "
        f"Burattin et al. 2013, similarity threshold {threshold:g}): {len(roles)} role(s) over "
        f"{len(assignment)} resource(s); "
        + (
            "each resource is assigned to the role holding most of its events."
            if assign == "resource"
            else "each event takes the role of its activity."
        )
        + " They are not recorded in the log."
    )
    return DiscoveredRoles(roles, assignment, activity_roles, float(threshold), assign, note, True)


def with_discovered_roles(log: EventLog, roles: DiscoveredRoles | None = None) -> EventLog:
    """A copy of ``log`` whose ``role`` column holds discovered roles, with a note saying so.

    Parameters
    ----------
    log : EventLog
        A log that names resources. Not changed.
    roles : DiscoveredRoles, optional
        From :func:`discover_roles` on ``log``; discovered with the defaults when not given.

    Returns
    -------
    EventLog
        The same events with ``role`` replaced (events without a resource get no role with
        ``assign="resource"``); ``quality.notes`` ends with ``roles.note``. Use the ``DiscoveredRoles``
        flag to tell readers the roles were discovered (findings: ``roles_discovered``).

    Raises
    ------
    AnalysisError
        As :func:`discover_roles`; also when ``roles`` does not cover the log's resources or activities.

    Notes
    -----
    The events never pass through pandas here: the role of each resource (or activity) is a compact
    mapping, joined to the event table in the log's engine connection (:meth:`EventLog.derive` stores
    the new log's table there).
    """
    if roles is None:
        roles = discover_roles(log)
    if roles.assign == "resource":
        key, table = RESOURCE, roles.assignment[["resource", "role"]]
    else:
        key, table = ACTIVITY, roles.activity_roles[["activity", "role"]]
    mapping = pd.DataFrame({"key": table.iloc[:, 0].astype(str), "role": table["role"].astype(str)})
    if key not in log.columns:
        raise AnalysisError(
            f"The log names no {roles.assign}s, so the discovered roles cannot be written; "
            "discover them on this log: discover_roles(log)."
        )
    present = execute(distinct_values(log.table(), key))["value"]
    missing = sorted(set(present) - set(mapping["key"]))
    if missing:
        raise AnalysisError(
            f"The discovered roles do not cover {len(missing)} {roles.assign}(s) of the log "
            f"({', '.join(map(repr, missing[:5]))}); discover them on this log: discover_roles(log)."
        )
    quality = dataclasses.replace(log.quality, notes=[*log.quality.notes, roles.note])
    # The roles are a join with a compact mapping: kept as a view of the log's table, so that a large
    # log is not stored twice (the mapping is stored, since the view outlives this call).
    stored = materialise(log.store.con, unique_name("roles"), ibis.memtable(mapping))
    return log.derive(
        with_column_from(log.table(), ROLE, key, stored), view=True, quality=quality, discovered_roles=roles
    )
