"""Why cases wait: working calendars discovered from the log, and waiting time split into its causes.

Every waiting interval before an activity instance is split, in the order of Lashkevich et al. (2023)
(Kronos), into hours of batching, resource contention, prioritisation, resource unavailability and
extraneous waiting (plus *unknown* when the log does not say who did the work). Working calendars say
when each performer works, so that waiting can also be measured in working hours and unavailability
told apart from idleness. Everything event-level is a set-based Ibis query
(:mod:`analysis.queries.waiting`); see ``docs/waiting.md`` for the method, the rules and their limits.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from analysis.escape import escape_figure
from analysis.labels import WAIT_CAUSE_COLOURS
from analysis.queries.waiting import (
    DAY_US,
    LOG_KEY,
    MONDAY_EPOCH_US,
    US_PER_SECOND,
    activity_instances,
    batch_all_violations,
    batch_breaks,
    batch_members,
    batch_pass,
    batch_uncertain,
    busy_at,
    busy_clock,
    busy_segments,
    calendar_cells,
    calendar_evidence,
    calendar_key_stats,
    floordiv,
    pmod,
    pool_stats,
    prioritisation,
    prioritisation_busy_keys,
    prioritisation_equi,
    prioritisation_wait_keys,
    second_of_day_counts,
    working_clock,
)
from mapper.columns import ACTIVITY, CASE_ID
from mapper.engine import US_PER_HOUR, activity_stats, execute
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: The causes of waiting, in the order they are attributed (Lashkevich et al. 2023), then ``unknown``.
CAUSES = ("batching", "contention", "prioritisation", "unavailability", "extraneous", "unknown")
#: The causes a change in the process can remove (everything but being off work and not knowing).
FIXABLE_CAUSES = ("batching", "contention", "prioritisation", "extraneous")
#: The remedy class of each cause, in plain language.
REMEDIES = {
    "batching": "rules / scheduling",
    "contention": "capacity / automation",
    "prioritisation": "policy",
    "unavailability": "scheduling, not capacity",
    "extraneous": "integration / reminders",
    "unknown": "record who does the work",
}
#: :func:`plot_waiting_causes` reads in days from this many hours on the longest bar (a thousand hours
#: are six weeks: days are then the unit a reader pictures).
DAYS_AXIS_FROM_HOURS = 1000.0
#: ... and in years (of 365.25 days) from a hundred thousand days on (a log of 150,000 cases waits
#: tens of thousands of case-years in all: millions of days is no reading aid).
YEARS_AXIS_FROM_HOURS = 2_400_000.0
#: Calendar discovery: a performer (or a role pool, or the whole log) gets a calendar of its own only
#: with at least this many activity instances as evidence ...
MIN_CALENDAR_EVENTS = 30
#: ... spread over at least this many distinct weeks (a weekly pattern seen about a month long).
MIN_CALENDAR_WEEKS = 4
#: A weekday (slot) is in the calendar when the performer worked on it in at least this share of its
#: active weeks (of its active days of that weekday): pix-framework's default crisp confidence.
CALENDAR_MIN_CONFIDENCE = 0.1
#: The calendar must hold at least this share of the performer's observed slot-days; the most
#: frequent other slots are added until it does.
CALENDAR_MIN_SUPPORT = 0.9
#: A discovered calendar is plausible as a working week only with at least this many working hours a
#: week ...
MIN_WEEKLY_HOURS = 8.0
#: ... on at least this many weekdays. A performer seen only in a weekly batch run (Friday 15:00) is
#: available the rest of the week and chooses to batch; its calendar would turn every wait for the batch
#: into unavailability. An implausible calendar falls back along the chain (role, log, 24/7).
MIN_WORKING_DAYS = 2
#: A run of non-working slots of at most this many hours between working slots is a break within a
#: working period, or slots in which a sparsely observed performer happened not to be seen, not time off:
#: it is filled. Breaks in a working day (lunch, a meeting) last up to an hour or two; time off between
#: shifts is a night, eight hours or more.
MAX_BREAK_HOURS = 2.0
#: A second of the day (UTC) holding at least this share of all time points is a date stamp, not a
#: clock time (dates stored at midnight, or at local midnight written in UTC) ...
PLACEHOLDER_SHARE = 0.1
#: ... judged only on logs with at least this many time points.
PLACEHOLDER_MIN_POINTS = 100
#: A batch has at least this many activity instances (pix-framework's default).
BATCH_MIN_SIZE = 2
#: Batch discovery stops refining after this many window passes (each settles at least one break per
#: candidate batch); any violation left then opens a batch of its own (a conservative split).
MAX_BATCH_PASSES = 50

#: The prioritisation join encodes the performer in its int64 keys (performer index x time span); when
#: performers x span (µs) would reach this, it joins on the performer instead (slower, same result).
PRIORITISATION_KEY_LIMIT = 2**62

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CAUSE_COLUMNS = [f"{c}_hours" for c in CAUSES]


def _level(log: EventLog) -> Literal["resource", "role"] | None:
    if log.has_resources:
        return "resource"
    if log.has_roles:
        return "role"
    return None


def _start_mode(log: EventLog) -> Literal["recorded", "estimated", "none"]:
    if log.has_estimated_start_times:
        return "estimated"
    if log.has_start_timestamps:
        return "recorded"
    return "none"


def _instances(log: EventLog) -> ir.Table:
    level, starts = _level(log), _start_mode(log)
    tables = log.tables()
    return tables.materialise(f"wt_inst_{level}_{starts}", activity_instances(tables.ordered, level, starts))


# --- working calendars ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingCalendars:
    """When each performer works: weekly slots (weekday x time of day, UTC).

    Attributes
    ----------
    slots : pandas.DataFrame
        One row per performer and slot of the week: ``performer`` (str), ``level`` (str, ``resource``
        or ``role``), ``weekday`` (int64, 0 = Monday), ``minute_of_day`` (int64, start of the slot,
        UTC), ``working`` (bool).
    summary : pandas.DataFrame
        One row per performer: ``performer``, ``level``, ``basis`` (str: ``own`` = discovered from its
        own work, ``role`` = its role's pooled calendar, ``log`` = the log-wide calendar, ``24/7`` =
        always working, ``given`` = built by hand), ``weekly_hours`` (float), ``events`` (int64,
        activity instances it did), ``weeks_active`` (int64, distinct weeks with a completion),
        ``role`` (str, its most frequent role; empty when unknown).
    log_calendar : pandas.DataFrame
        The log-wide calendar (``weekday``, ``minute_of_day``, ``working``): used for instances whose
        performer is unknown and for performers the calendars do not list.
    log_basis : str
        ``log`` (discovered from all events), ``24/7`` or ``given``.
    granularity_minutes : int
        Length of a slot.
    level : str or None
        ``resource``, ``role``, or None when the log names neither.
    notes : list of str
        What was assumed or could not be discovered.
    parameters : dict
        The thresholds used (copied from the module defaults or the arguments).
    """

    slots: pd.DataFrame
    summary: pd.DataFrame
    log_calendar: pd.DataFrame
    log_basis: str = "log"
    granularity_minutes: int = 60
    level: str | None = "resource"
    notes: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)

    def to_frame(self, kind: Literal["summary", "slots"] = "summary") -> pd.DataFrame:
        """The per-performer summary, or the slot table (a copy)."""
        if kind not in ("summary", "slots"):
            raise AnalysisError(f"kind must be 'summary' or 'slots', not {kind!r}.")
        return (self.summary if kind == "summary" else self.slots).copy()

    def weekly_grid(self, performer: str | None = None) -> pd.DataFrame:
        """A weekday x slot grid: 1/0 for one performer, or the share of performers working (all).

        Returns
        -------
        pandas.DataFrame
            Index ``Mon`` .. ``Sun``, one column per slot start (``"09:00"``), float values in [0, 1].
        """
        if performer is None:
            s = self.slots
            if s.empty:
                s = self.log_calendar.assign(performer=LOG_KEY)
        else:
            s = self.slots[self.slots["performer"] == performer]
            if s.empty:
                known = sorted(self.summary["performer"])[:20]
                raise AnalysisError(f"performer {performer!r} has no calendar; known: {known}.")
        grid = s.groupby(["weekday", "minute_of_day"])["working"].mean().unstack("minute_of_day")
        grid = grid.reindex(index=range(7))
        grid.index = list(WEEKDAYS)
        grid.columns = [f"{m // 60:02d}:{m % 60:02d}" for m in grid.columns]
        return grid.fillna(0.0)

    def plot(self, performer: str | None = None):
        """A plotly heat map of the week: a performer's working slots, or the share of performers working."""
        import plotly.graph_objects as go

        grid = self.weekly_grid(performer)
        what = (
            f"Working slots of {html.escape(str(performer))}"
            if performer is not None
            else "Share of performers working"
        )
        fig = go.Figure(
            go.Heatmap(
                z=grid.to_numpy(),
                x=list(grid.columns),
                y=list(grid.index),
                zmin=0,
                zmax=1,
                colorscale="Blues",
                hovertemplate="%{y} %{x} UTC: %{z:.0%}<extra></extra>",
            )
        )
        fig.update_layout(
            title=f"{what} (UTC)",
            yaxis={"autorange": "reversed"},
            height=320,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<b>Working calendars</b> ({html.escape(str(self.level))} level, "
            f"{self.granularity_minutes}-minute slots, UTC)"
            + self.summary.head(30).to_html(index=False, escape=True)
            + (f"<ul>{notes}</ul>" if notes else "")
        )

    def digest(self) -> str:
        """A short fingerprint of the calendars (slots and log-wide calendar), for caching."""
        h = hashlib.sha1()
        h.update(str(self.granularity_minutes).encode())
        for frame in (self.slots[["performer", "weekday", "minute_of_day", "working"]], self.log_calendar):
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return h.hexdigest()[:12]


def _check_granularity(granularity_minutes: int) -> int:
    g = granularity_minutes
    if not isinstance(g, int | np.integer) or isinstance(g, bool) or g < 1 or g > 1440 or 1440 % g:
        raise AnalysisError(
            f"granularity_minutes must be a whole number of minutes dividing a day (1440), e.g. 15, 30 "
            f"or 60; got {granularity_minutes!r}."
        )
    return int(g)


def _grid(g: int) -> pd.DataFrame:
    n = 1440 // g
    return pd.DataFrame(
        {"weekday": np.repeat(np.arange(7), n), "slot": np.tile(np.arange(n), 7)}, dtype="int64"
    )


def discover_calendars(
    log: EventLog,
    *,
    granularity_minutes: int = 60,
    min_events: int = MIN_CALENDAR_EVENTS,
    min_weeks: int = MIN_CALENDAR_WEEKS,
    min_confidence: float = CALENDAR_MIN_CONFIDENCE,
    min_support: float = CALENDAR_MIN_SUPPORT,
) -> WorkingCalendars:
    """Discover when each performer works, from the times it was seen working.

    Each activity instance is evidence of work in the weekly slots it covers (UTC): from its start to
    just before its end when both fall on the same day; only the slots of its two ends when it spans
    midnight (an item left overnight says nothing about night work); the slot of its completion when it
    has no start. Per performer (per role when the log names no resources) a crisp calendar is kept:
    a weekday is a working day when the performer worked on it in at least ``min_confidence`` of its
    active weeks, a slot of a working day is working when the performer worked in it on at least
    ``min_confidence`` of those days, and the most frequent other slots are added until the calendar
    holds ``min_support`` of the performer's slot-days. A performer with fewer than ``min_events``
    instances of evidence or fewer than ``min_weeks`` active weeks gets, in this order, its most frequent
    role's pooled calendar, the log-wide calendar, or 24/7; ``summary.basis`` says which. Seconds of the
    day holding at least :data:`PLACEHOLDER_SHARE` of all time points (dates without a time) are not
    evidence. All computed in the engine.

    Parameters
    ----------
    log : EventLog
    granularity_minutes : int
        Length of a slot; must divide 1440.
    min_events, min_weeks : int
        Minimum evidence for a calendar of one's own (:data:`MIN_CALENDAR_EVENTS`,
        :data:`MIN_CALENDAR_WEEKS`).
    min_confidence, min_support : float
        The crisp rule's thresholds, in (0, 1] and [0, 1] (:data:`CALENDAR_MIN_CONFIDENCE`,
        :data:`CALENDAR_MIN_SUPPORT`).

    Returns
    -------
    WorkingCalendars

    Raises
    ------
    AnalysisError
        When ``granularity_minutes`` does not divide a day, or a threshold is out of range.

    References
    ----------
    Estrada-Torres, Camargo, Dumas, García-Bañuelos, Mahdy & Yerokhin (2021), "Discovering business
    process simulation models in the presence of multitasking and availability constraints", *Data &
    Knowledge Engineering* 134 (crisp resource calendars: confidence and support of weekly granules);
    pix-framework, ``discovery.resource_calendar_and_performance.crisp`` (Apache-2.0), whose fallback
    order (pooled, log-wide, 24/7) is followed here.

    Examples
    --------
    >>> from mapper import load_event_log
    >>> cals = discover_calendars(load_event_log("sample_logs/council_permits.csv"))
    >>> sorted(cals.summary.columns)[:3]
    ['basis', 'events', 'level']
    """
    g = _check_granularity(granularity_minutes)
    if not 0 < min_confidence <= 1 or not 0 <= min_support <= 1:
        raise AnalysisError(
            f"min_confidence must be in (0, 1] and min_support in [0, 1]; got {min_confidence!r} and "
            f"{min_support!r}."
        )
    if min_events < 1 or min_weeks < 1:
        raise AnalysisError(
            f"min_events and min_weeks must be at least 1; got {min_events!r}, {min_weeks!r}."
        )
    level = _level(log)
    tables = log.tables()
    inst = _instances(log)
    notes: list[str] = []
    sod = execute(second_of_day_counts(inst))
    placeholders: list[int] = []
    if len(sod) and int(sod["total"].iloc[0]) >= PLACEHOLDER_MIN_POINTS:
        hit = sod[sod["n"] >= PLACEHOLDER_SHARE * sod["total"]].sort_values("second")
        placeholders = [int(s) for s in hit["second"]]
        if placeholders:
            share = float(hit["n"].sum() / sod["total"].iloc[0])
            times = ", ".join(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in placeholders)
            notes.append(
                f"{share:.0%} of the time points fall at {times} UTC: dates without a time of day, not "
                "clock times; they are not used as evidence of working hours."
            )
    with_roles = level == "resource" and log.has_roles
    tag = f"{level}_{_start_mode(log)}_{g}_{'_'.join(map(str, placeholders)) or 'x'}"
    evidence = tables.materialise(
        f"wt_evidence_{tag}", calendar_evidence(inst, g * 60 * US_PER_SECOND, placeholders)
    )
    cells = execute(
        calendar_cells(
            evidence, with_roles=with_roles, min_confidence=min_confidence, min_support=min_support
        )
    )
    stats = execute(calendar_key_stats(inst, evidence)) if level else pd.DataFrame()
    pools = execute(pool_stats(evidence, with_roles=with_roles))

    grid = _grid(g)
    per_day = 1440 // g
    working = {}
    for (s, k), c in cells[cells["working"]].groupby(["scope", "key"]):
        flags = np.zeros(7 * per_day, bool)
        flags[c["weekday"].to_numpy() * per_day + c["slot"].to_numpy()] = True
        flags = fill_breaks(flags, int(MAX_BREAK_HOURS * 60 // g))
        working[(s, k)] = {(int(i) // per_day, int(i) % per_day) for i in np.flatnonzero(flags)}

    def enough(events, weeks) -> bool:
        return int(events) >= min_events and int(weeks) >= min_weeks

    def plausible(slots: set) -> bool:
        return len(slots) * g / 60.0 >= MIN_WEEKLY_HOURS and len({w for w, _ in slots}) >= MIN_WORKING_DAYS

    pool_ok = {
        (r.scope, r.key): enough(r.evidence_events, r.evidence_weeks)
        and (r.scope, r.key) in working
        and plausible(working[(r.scope, r.key)])
        for r in pools.itertuples()
    }
    log_basis = "log" if pool_ok.get(("log", LOG_KEY), False) else "24/7"
    all_week = set(zip(grid["weekday"], grid["slot"], strict=True))
    log_set = working[("log", LOG_KEY)] if log_basis == "log" else all_week

    rows, frames, implausible = [], [], []
    for r in stats.itertuples() if len(stats) else []:
        role = r.role if isinstance(r.role, str) else ""
        own = working.get(("performer", r.performer))
        sufficient = enough(r.evidence_events, r.evidence_weeks) and own is not None
        if sufficient and not plausible(own):
            implausible.append(r.performer)
        if sufficient and plausible(own):
            basis, chosen = "own", own
        elif with_roles and role and pool_ok.get(("role", role), False):
            basis, chosen = "role", working[("role", role)]
        else:
            basis, chosen = log_basis, log_set
        flags = np.fromiter(
            ((w, s) in chosen for w, s in zip(grid["weekday"], grid["slot"], strict=True)), bool
        )
        frames.append(
            pd.DataFrame(
                {
                    "performer": r.performer,
                    "level": level,
                    "weekday": grid["weekday"],
                    "minute_of_day": grid["slot"] * g,
                    "working": flags,
                }
            )
        )
        rows.append(
            (r.performer, level, basis, flags.sum() * g / 60.0, int(r.events), int(r.weeks_active), role)
        )
    summary = pd.DataFrame(
        rows, columns=["performer", "level", "basis", "weekly_hours", "events", "weeks_active", "role"]
    ).astype({"weekly_hours": "float64", "events": "int64", "weeks_active": "int64"})
    summary = summary.sort_values("performer", ignore_index=True)
    slots = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            {
                "performer": pd.Series(dtype=object),
                "level": pd.Series(dtype=object),
                "weekday": pd.Series(dtype="int64"),
                "minute_of_day": pd.Series(dtype="int64"),
                "working": pd.Series(dtype=bool),
            }
        )
    )
    slots = slots.sort_values(["performer", "weekday", "minute_of_day"], ignore_index=True)
    log_cal = pd.DataFrame(
        {
            "weekday": grid["weekday"],
            "minute_of_day": grid["slot"] * g,
            "working": [(w, s) in log_set for w, s in zip(grid["weekday"], grid["slot"], strict=True)],
        }
    )
    if level is None:
        notes.append("The log names neither resources nor roles: only a log-wide calendar is discovered.")
    elif level == "role":
        notes.append("The log names no resources: calendars are discovered per role (team).")
    little = summary[(summary["basis"] != "own") & ~summary["performer"].isin(implausible)]
    if len(little):
        counts = little["basis"].value_counts()
        parts = ", ".join(f"{counts[b]} use the {b} calendar" for b in ("role", "log", "24/7") if b in counts)
        aside = " once the date stamps are set aside" if placeholders else ""
        notes.append(
            f"{len(little)} of {len(summary)} performers had too little evidence for a calendar of their "
            f"own{aside} (fewer than {min_events} instances or {min_weeks} active weeks): {parts}."
        )
    if implausible:
        bases = summary.set_index("performer")["basis"]
        names = ", ".join(f"{p} ({bases[p]})" for p in implausible[:10])
        more = f" and {len(implausible) - 10} more" if len(implausible) > 10 else ""
        notes.append(
            f"{len(implausible)} performer(s) were seen working too little of the week for a plausible "
            f"working calendar (under {MIN_WEEKLY_HOURS:g} hours or on fewer than {MIN_WORKING_DAYS} "
            f"weekdays: e.g. only in a weekly batch run), so they use a fallback calendar: {names}{more}."
        )
    if log_basis == "24/7":
        notes.append(
            "Too little evidence for a plausible log-wide calendar: the last fallback is 24/7 (always on)."
        )
    params = {
        "granularity_minutes": g,
        "min_events": int(min_events),
        "min_weeks": int(min_weeks),
        "min_confidence": float(min_confidence),
        "min_support": float(min_support),
        "min_weekly_hours": MIN_WEEKLY_HOURS,
        "min_working_days": MIN_WORKING_DAYS,
        "max_break_hours": MAX_BREAK_HOURS,
        "placeholder_share": PLACEHOLDER_SHARE,
        "placeholder_seconds": placeholders,
    }
    return WorkingCalendars(slots, summary, log_cal, log_basis, g, level, notes, params)


def fill_breaks(flags: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill every run of at most ``max_gap`` False slots that lies between True slots (the week is circular).

    Parameters
    ----------
    flags : numpy.ndarray of bool, shape (7 * slots_per_day,)
        Working slots of one week, Monday 00:00 first.
    max_gap : int
        Longest run of non-working slots to fill.

    Returns
    -------
    numpy.ndarray of bool
        A new array.
    """
    out = np.asarray(flags, bool).copy()
    if max_gap < 1 or out.all() or not out.any():
        return out
    shift = int(np.argmax(out))  # rotate so that the week starts on a working slot
    r = np.roll(out, -shift)
    edges = np.diff(np.concatenate(([1], r.astype(np.int8), [1])))
    starts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    for a, b in zip(starts, ends, strict=True):  # runs of non-working slots (a week has few)
        if b - a <= max_gap:
            r[a:b] = True
    return np.roll(r, shift)


_DAY_NAMES = {d.lower(): i for i, d in enumerate(WEEKDAYS)}
_ITEM = re.compile(
    r"^\s*([A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?(?:\s*,\s*[A-Za-z]{3})*)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$"
)


def _parse_hours(spec: str, g: int, who: str) -> set[tuple[int, int]]:
    """``"24/7"`` or ``"Mon-Fri 09:00-17:00; Sat 10:00-12:00"`` -> the set of (weekday, slot) working."""
    if spec.strip().lower() in ("24/7", "always"):
        return {(w, s) for w in range(7) for s in range(1440 // g)}
    if spec.strip().lower() in ("", "never"):
        return set()
    out: set[tuple[int, int]] = set()
    for item in spec.split(";"):
        m = _ITEM.match(item)
        if not m:
            raise AnalysisError(
                f"hours[{who!r}]: cannot read {item.strip()!r}; write e.g. 'Mon-Fri 09:00-17:00; Sat "
                "10:00-12:00', or '24/7'."
            )
        days: set[int] = set()
        for part in m.group(1).split(","):
            ends = [p.strip().lower() for p in part.split("-")]
            if any(e not in _DAY_NAMES for e in ends):
                raise AnalysisError(f"hours[{who!r}]: unknown weekday in {part!r}; use Mon, Tue, ... Sun.")
            a, b = _DAY_NAMES[ends[0]], _DAY_NAMES[ends[-1]]
            days |= set(range(a, b + 1)) if a <= b else set(range(a, 7)) | set(range(0, b + 1))
        lo = int(m.group(2)) * 60 + int(m.group(3))
        hi = int(m.group(4)) * 60 + int(m.group(5))
        if not 0 <= lo < hi <= 1440 or lo % g or hi % g:
            raise AnalysisError(
                f"hours[{who!r}]: {item.strip()!r} must run forwards within a day and on {g}-minute "
                "boundaries (granularity_minutes)."
            )
        out |= {(d, s) for d in days for s in range(lo // g, hi // g)}
    return out


def build_calendars(
    hours: Mapping[str, str],
    *,
    level: Literal["resource", "role"] = "resource",
    granularity_minutes: int = 60,
    default: str = "24/7",
) -> WorkingCalendars:
    """Working calendars written by hand, e.g. the office hours a team is known to keep.

    Parameters
    ----------
    hours : mapping of str to str
        Performer -> its weekly hours in UTC: ``"24/7"``, or items separated by ``;`` such as
        ``"Mon-Fri 09:00-17:00; Sat 10:00-12:00"`` (days as ``Mon``, ``Mon-Fri`` or ``Mon,Wed``; times on
        slot boundaries, ``24:00`` allowed as an end).
    level : {"resource", "role"}
        What the keys of ``hours`` name.
    granularity_minutes : int
        Slot length; must divide 1440.
    default : str
        The hours of every performer not listed (and of instances whose performer is unknown).

    Returns
    -------
    WorkingCalendars
        ``basis`` is ``given`` for every listed performer; ``events`` and ``weeks_active`` are 0.

    Raises
    ------
    AnalysisError
        When a specification cannot be read (the message names the performer), or the granularity does
        not divide a day.

    Examples
    --------
    >>> cals = build_calendars({"clerk": "Mon-Fri 09:00-17:00", "bot": "24/7"})
    >>> cals.summary.set_index("performer")["weekly_hours"].to_dict()
    {'bot': 168.0, 'clerk': 40.0}
    """
    g = _check_granularity(granularity_minutes)
    if level not in ("resource", "role"):
        raise AnalysisError(f"level must be 'resource' or 'role', not {level!r}.")
    grid = _grid(g)
    keys = list(zip(grid["weekday"], grid["slot"], strict=True))
    frames, rows = [], []
    for performer in sorted(hours):
        chosen = _parse_hours(str(hours[performer]), g, performer)
        flags = np.fromiter(((w, s) in chosen for w, s in keys), bool)
        frames.append(
            pd.DataFrame(
                {
                    "performer": str(performer),
                    "level": level,
                    "weekday": grid["weekday"],
                    "minute_of_day": grid["slot"] * g,
                    "working": flags,
                }
            )
        )
        rows.append((str(performer), level, "given", flags.sum() * g / 60.0, 0, 0, ""))
    default_set = _parse_hours(default, g, "default")
    log_cal = pd.DataFrame(
        {
            "weekday": grid["weekday"],
            "minute_of_day": grid["slot"] * g,
            "working": [k in default_set for k in keys],
        }
    )
    summary = pd.DataFrame(
        rows, columns=["performer", "level", "basis", "weekly_hours", "events", "weeks_active", "role"]
    ).astype({"weekly_hours": "float64", "events": "int64", "weeks_active": "int64"})
    slots = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["performer", "level", "weekday", "minute_of_day", "working"])
    )
    return WorkingCalendars(
        slots, summary, log_cal, "given", g, level, [], {"granularity_minutes": g, "default": default}
    )


def _slot_table(calendars: WorkingCalendars, performers: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The engine's slot table: per performer key (and :data:`LOG_KEY`), cumulative working µs per slot."""
    g = calendars.granularity_minutes
    slot_us = g * 60 * US_PER_SECOND
    log_flags = calendars.log_calendar.sort_values(["weekday", "minute_of_day"])["working"].to_numpy(bool)
    known = calendars.slots.sort_values(["performer", "weekday", "minute_of_day"])
    by_perf = {p: f["working"].to_numpy(bool) for p, f in known.groupby("performer", sort=False)}
    missing = sorted(set(performers) - set(by_perf))
    keys = [*by_perf, *missing, LOG_KEY]
    flags = [*by_perf.values(), *([log_flags] * len(missing)), log_flags]
    n = len(log_flags)
    mat = np.vstack(flags) if flags else np.zeros((0, n), bool)
    work_us = mat.astype("int64") * slot_us
    cum = np.cumsum(work_us, axis=1) - work_us
    table = pd.DataFrame(
        {
            "slot_key": np.repeat(np.array(keys, dtype=object), n),
            "slot_k": np.tile(np.arange(n, dtype="int64"), len(keys)),
            "slot_working": mat.reshape(-1),
            "slot_cum_us": cum.reshape(-1).astype("int64"),
            "slot_week_us": np.repeat(work_us.sum(axis=1).astype("int64"), n),
        }
    )
    return table, missing


# --- waiting causes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingCauses:
    """Waiting time split into its causes, per activity, per transition and for the process.

    Attributes
    ----------
    activities : pandas.DataFrame
        One row per activity, most waiting first: ``activity`` (str), ``instances`` (int64, instances
        with a predecessor in their case, i.e. with a waiting interval), ``waiting_hours_total`` (float,
        wall-clock hours from enablement to start), ``working_hours_total`` (float, the same in the
        performers' working hours), ``batching_hours``, ``contention_hours``, ``prioritisation_hours``,
        ``unavailability_hours``, ``extraneous_hours``, ``unknown_hours`` (float; they add up to
        ``waiting_hours_total``), ``fixable_hours`` (float: batching + contention + prioritisation +
        extraneous), ``dominant_cause`` (str: the cause with most hours; ``none`` without waiting),
        ``remedy`` (str: its :data:`REMEDIES` class; empty for ``none``), ``processing_hours_total``
        (float; NaN without start times), ``cycle_time_efficiency`` (float: processing / (processing +
        waiting); NaN without start times or time).
    transitions : pandas.DataFrame
        The same per directly-follows pair: ``source``, ``target`` and the columns above from
        ``instances`` on (processing of the target's instances after that source).
    process : dict
        ``waiting_hours_total``, ``working_hours_total``, one ``<cause>_hours`` per cause,
        ``fixable_hours``, ``processing_hours_total``, ``cycle_time_efficiency`` (float or None) and
        ``efficiency_without``: {cause: efficiency if that cause's waiting were removed}.
    batches : pandas.DataFrame
        One row per (activity, performer) with batches: ``activity``, ``resource`` (str, the performer),
        ``batches`` (int64), ``batched_instances`` (int64), ``instances`` (int64, of that activity by
        that performer), ``share_batched`` (float), ``mean_size`` (float), ``usual_start_weekday``
        (int64, 0 = Monday) and ``usual_start_hour`` (int64, UTC): when its batches most often start.
    notes : list of str
        What the numbers rest on (estimated start times, unknown performers, calendars).
    start_times : str
        ``recorded``, ``estimated`` (at import) or ``none``.
    calendars : WorkingCalendars or None
        The calendars used.
    """

    activities: pd.DataFrame
    transitions: pd.DataFrame
    process: dict
    batches: pd.DataFrame
    notes: list = field(default_factory=list)
    start_times: str = "recorded"
    calendars: WorkingCalendars | None = None

    CAUSES = CAUSES
    REMEDIES = REMEDIES

    def to_frame(self, level: Literal["activity", "transition", "batch"] = "activity") -> pd.DataFrame:
        """The table at ``level`` (a copy)."""
        tables = {"activity": self.activities, "transition": self.transitions, "batch": self.batches}
        if level not in tables:
            raise AnalysisError(f"level must be one of {sorted(tables)}, not {level!r}.")
        return tables[level].copy()

    def plot(self, top: int = 10):
        """A stacked horizontal bar of waiting hours per cause for the ``top`` activities."""
        return plot_waiting_causes(self.activities.head(top), title="Why cases wait (by cause)")

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        cte = self.process.get("cycle_time_efficiency")
        head = f"<b>Waiting causes</b> (start times: {html.escape(self.start_times)}"
        head += f"; cycle-time efficiency {cte:.1%})" if cte is not None else ")"
        return (
            head
            + self.activities.head(20).to_html(index=False, escape=True)
            + (f"<ul>{notes}</ul>" if notes else "")
        )


def plot_waiting_causes(rows: pd.DataFrame, *, title: str, label: str = "activity"):
    """A stacked horizontal bar chart of the ``<cause>_hours`` columns of ``rows`` (names escaped).

    Parameters
    ----------
    rows : pandas.DataFrame
        A column ``label`` and one ``<cause>_hours`` column per cause in :data:`CAUSES`; drawn top-down
        in the given order.
    title : str
    label : str, default "activity"
        The column naming each bar.

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal bar per row, stacked by cause, in the cause colours. The axis reads in hours, or
        in days (hours / 24) when the longest bar passes :data:`DAYS_AXIS_FROM_HOURS`, in years past
        :data:`YEARS_AXIS_FROM_HOURS`, with whole numbers
        ("12,500", never "250k"); the hover gives the same unit and the cause's share of the step's wait.
    """
    import plotly.graph_objects as go

    d = rows.iloc[::-1]
    names = [html.escape(str(a)) for a in d[label]]
    cols = [f"{c}_hours" for c in CAUSES if f"{c}_hours" in d]
    totals = d[cols].fillna(0).sum(axis=1) if cols else pd.Series(0.0, index=d.index)
    longest = float(totals.max()) if len(totals) else 0.0
    unit, scale = (
        ("years", 8766.0)
        if longest >= YEARS_AXIS_FROM_HOURS
        else ("days", 24.0)
        if longest >= DAYS_AXIS_FROM_HOURS
        else ("hours", 1.0)
    )
    fig = go.Figure()
    for cause in CAUSES:
        col = f"{cause}_hours"
        if col not in d or not (d[col].fillna(0) > 0).any():
            continue
        fig.add_trace(
            go.Bar(
                x=(d[col].fillna(0) / scale).to_numpy(),
                y=names,
                orientation="h",
                name=f"{cause} ({REMEDIES[cause]})",
                marker_color=WAIT_CAUSE_COLOURS[cause],
                customdata=(d[col].fillna(0) / totals.where(totals > 0)).fillna(0).to_numpy(),
                hovertemplate=f"%{{y}}: %{{x:,.0f}} {unit} of {cause} (%{{customdata:.0%}} of its wait)"
                "<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title=title,
        xaxis={
            "title": f"{unit.capitalize()} of waiting before the step, added up over its cases",
            "tickformat": ",.0f",
        },
        height=140 + 28 * len(d),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.15},
    )
    return escape_figure(fig)


def _attribution(log: EventLog, calendars: WorkingCalendars, gap_us: int) -> tuple[ir.Table, dict]:
    """The per-instance attribution table (materialised once per log, calendars and gap) and facts."""
    tables = log.tables()
    level, starts = _level(log), _start_mode(log)
    inst = _instances(log)
    facts: dict = {"batch_passes": 0, "batch_converged": True, "missing_calendars": [], "members": None}
    g = calendars.granularity_minutes
    slot_us = g * 60 * US_PER_SECOND
    key = f"{calendars.digest()}_{gap_us}"

    performers = execute(inst.filter(inst.performer.notnull()).select("performer").distinct())["performer"]
    slot_df, missing = _slot_table(calendars, sorted(map(str, performers)))
    facts["missing_calendars"] = missing
    slots = tables.materialise(f"wt_slots_{key}", ibis.memtable(slot_df))

    w0 = inst.filter(inst.enabled_us.notnull())
    s_end = w0.en_us if starts == "none" else w0.st_us
    w0 = w0.mutate(s_us=ibis.greatest(s_end, w0.enabled_us), key=w0.performer.coalesce(ibis.literal(LOG_KEY)))
    waits0 = tables.materialise(f"wt_waits0_{level}_{starts}", w0)

    analyse = starts != "none" and level is not None
    if analyse:
        bname = f"wt_batches_{level}_{starts}_{gap_us}"
        members = _batches(tables, inst, gap_us, bname, facts)
        facts["members"] = members
        m = members.select(mi=members.iid, batch_ready_us=members.batch_ready_us)
        w = waits0.left_join(m, waits0.iid == m.mi).drop("mi")
        batched = w.batch_ready_us.notnull() & (w.batch_ready_us > w.enabled_us) & w.performer.notnull()
        w = w.mutate(
            b_us=ibis.ifelse(batched, ibis.least(w.batch_ready_us, w.s_us), w.enabled_us),
            in_batch=w.batch_ready_us.notnull(),
        )
    else:
        w = waits0.mutate(
            b_us=waits0.enabled_us, in_batch=ibis.literal(False), batch_ready_us=ibis.null("int64")
        )
    for col, out in (("enabled_us", "w_e"), ("b_us", "w_b"), ("s_us", "w_s")):
        w = working_clock(w, col, "key", slots, out, slot_us)
    w = tables.materialise(f"wt_waitsw_{key}", w)

    if analyse:
        seg = tables.materialise(
            f"wt_segments_{level}_{starts}", busy_segments(inst, waits0.filter(waits0.performer.notnull()))
        )
        seg_w = working_clock(seg.mutate(key=seg.performer), "x", "key", slots, "w_x", slot_us).drop("key")
        clock = tables.materialise(f"wt_clock_{key}", busy_clock(seg_w))
        kw = w.filter(w.performer.notnull() & (w.s_us > w.b_us))
        kw = busy_at(kw, clock, "b_us", "w_b", "at_b")
        kw = busy_at(kw, clock, "s_us", "w_s", "at_s")
        kw = tables.materialise(f"wt_busy_{key}", kw.select("iid", "at_b_b", "at_b_bw", "at_s_b", "at_s_bw"))
        prio = _prioritisation(tables, w.filter(w.performer.notnull() & (w.s_us > w.b_us)), clock, key)
        x = w.left_join(kw, w.iid == kw.iid).drop("iid_right")
        x = x.left_join(prio, x.iid == prio.iid).drop("iid_right")
        x = x.mutate(
            busy_r=(x.at_s_b - x.at_b_b).fill_null(0),
            busy_work_r=(x.at_s_bw - x.at_b_bw).fill_null(0),
            prio_us=x.prio_us.fill_null(0),
        )
    else:
        x = w.mutate(
            busy_r=ibis.literal(0, "int64"),
            busy_work_r=ibis.literal(0, "int64"),
            prio_us=ibis.literal(0, "int64"),
        )

    known = x.performer.notnull()
    wait = x.s_us - x.enabled_us
    zero = ibis.literal(0, "int64")
    if analyse:
        rest = x.s_us - x.b_us
        extr = (x.w_s - x.w_b) - x.busy_work_r
        # The wait for a batch is batching only while the performer is on duty; its off-duty part
        # (a backlog taken up at the start of a shift) is unavailability.
        on_duty = x.w_b - x.w_e
        off_duty = x.b_us - x.enabled_us - on_duty
        cols = {
            "batching_us": ibis.ifelse(known, on_duty, zero),
            "contention_us": ibis.ifelse(known, x.busy_r - x.prio_us, zero),
            "prioritisation_us": ibis.ifelse(known, x.prio_us, zero),
            "unavailability_us": ibis.ifelse(known, off_duty + rest - x.busy_r - extr, zero),
            "extraneous_us": ibis.ifelse(known, extr, zero),
            "unknown_us": ibis.ifelse(known, zero, wait),
        }
    else:
        work = x.w_s - x.w_e
        cols = {
            "batching_us": zero,
            "contention_us": zero,
            "prioritisation_us": zero,
            "unavailability_us": ibis.ifelse(known, wait - work, zero),
            "extraneous_us": zero,
            "unknown_us": ibis.ifelse(known, work, wait),
        }
    out = x.select(
        "iid",
        CASE_ID,
        ACTIVITY,
        "prev_activity",
        "performer",
        "enabled_us",
        start_us=x.s_us,
        wait_us=wait,
        working_us=x.w_s - x.w_e,
        **cols,
        in_batch=x.in_batch,
        batch_ready_us=x.batch_ready_us,
        proc_us=x.proc_us,
    )
    return tables.materialise(f"wt_causes_{key}", out), facts


def _batches(tables, inst: ir.Table, gap_us: int, name: str, facts: dict) -> ir.Table:
    """Batch discovery as a fixed point of window passes (materialised per pass, once per log).

    The first pass settles the certain breaks for every instance; the refinement passes run only on the
    candidate batches of two or more instances (a small share of the log), until no violation is left.
    """
    b0 = tables.materialise(f"{name}_p0", batch_breaks(inst, gap_us))
    u = tables.materialise(f"{name}_u0", batch_uncertain(b0))
    for i in range(1, MAX_BATCH_PASSES + 1):
        u = tables.materialise(f"{name}_u{i}", batch_pass(u, gap_us))
        facts["batch_passes"] = i
        if int(execute(u.filter(u.viol).count().as_table()).iloc[0, 0]) == 0:
            break
    else:
        u = tables.materialise(f"{name}_final", batch_all_violations(u, gap_us))
        facts["batch_converged"] = False
    settled = u.select(ui=u.iid, ubrk=u.brk)
    j = b0.left_join(settled, b0.iid == settled.ui)
    b = j.select(
        "iid", "performer", ACTIVITY, "enabled_us", "st_us", "en_us", "n", brk=j.ubrk.coalesce(j.brk)
    )
    return tables.materialise(f"{name}_members", batch_members(b, BATCH_MIN_SIZE))


def _prioritisation(tables, w: ir.Table, clock: ir.Table, key: str) -> ir.Table:
    perfs = clock.select("performer").distinct()
    pidx = perfs.mutate(pi_idx=ibis.dense_rank().over(ibis.window(order_by=perfs.performer)).cast("int64"))
    pidx = tables.materialise(f"wt_pidx_{key}", pidx.select(pi_performer=pidx.performer, pi_idx=pidx.pi_idx))
    span = execute(
        w.aggregate(lo=ibis.least(w.b_us.min(), w.enabled_us.min()), hi=w.s_us.max()).cross_join(
            clock.aggregate(clo=clock.m_us.min(), chi=clock.x_next.max(), n=clock.performer.nunique())
        )
    ).iloc[0]
    lo = [v for v in (span["lo"], span["clo"]) if pd.notna(v)]
    hi = [v for v in (span["hi"], span["chi"]) if pd.notna(v)]
    if not lo or not hi:
        return tables.materialise(f"wt_prio_{key}", prioritisation_equi(w, clock))
    t0, width = int(min(lo)), int(max(hi)) - int(min(lo)) + 1
    n = int(span["n"] or 0) + 1
    if n * width >= PRIORITISATION_KEY_LIMIT:  # the keys would overflow: an equality join, same result
        return tables.materialise(f"wt_prio_{key}", prioritisation_equi(w, clock))
    wk = tables.materialise(f"wt_prio_w_{key}", prioritisation_wait_keys(w, pidx, t0, width))
    sk = tables.materialise(f"wt_prio_s_{key}", prioritisation_busy_keys(clock, pidx, t0, width))
    return tables.materialise(f"wt_prio_{key}", prioritisation(wk, sk))


def _summarise(frame: pd.DataFrame) -> pd.DataFrame:
    """Hours per cause -> fixable, dominant cause, remedy, efficiency."""
    f = frame.copy()
    f["fixable_hours"] = f[[f"{c}_hours" for c in FIXABLE_CAUSES]].sum(axis=1)
    hrs = f[_CAUSE_COLUMNS].to_numpy(float)
    dom = np.array(CAUSES, dtype=object)[hrs.argmax(axis=1)] if len(f) else np.array([], dtype=object)
    dom = np.where(f["waiting_hours_total"].to_numpy(float) > 0, dom, "none")
    f["dominant_cause"] = dom.astype(object)
    f["remedy"] = [REMEDIES.get(d, "") for d in f["dominant_cause"]]
    p, w = f["processing_hours_total"], f["waiting_hours_total"]
    f["cycle_time_efficiency"] = (p / (p + w)).where((p + w) > 0)
    return f


def find_waiting_causes(
    log: EventLog,
    *,
    calendars: WorkingCalendars | None = None,
    max_sequential_gap_minutes: float = 0.0,
) -> WaitingCauses:
    """Split the waiting before every activity instance into its causes, as Kronos does, in the engine.

    The waiting interval of an instance with a predecessor in its case runs from its enablement (the
    completion of the previous event of the case: sequential enablement) to its start. It is split, in
    this order, into:

    - **batching**: the working time of its performer in ``[enabled, min(batch ready, start))`` when the
      instance was processed in a batch (same performer and activity, discovered as pix-framework's
      ``discover_batches`` does, at least :data:`BATCH_MIN_SIZE` instances); the batch is ready when its
      last instance was enabled. The off-duty part of that wait (a backlog taken up at the start of a
      shift) is unavailability;
    - **contention**: in the rest, the time its performer was processing instances enabled no later
      than this one;
    - **prioritisation**: the time its performer was processing only instances enabled after this one
      (it was overtaken); a performer doing several things at once is counted once, contention first;
    - **unavailability**: the remaining time outside the performer's working calendar;
    - **extraneous**: the remaining time inside it: the performer was free and at work, yet the case
      waited for something the log does not show (the customer, another system);
    - **unknown**: the whole interval when the performer is not recorded.

    Without start times (and none estimated at import) the interval runs to the completion and holds
    the processing: only the time outside the performer's calendar is attributed (unavailability), the
    rest is unknown; ``notes`` says how to load the log with estimated start times instead. Logs loaded
    with ``estimate_start_times=True`` use the estimates and say so.

    Parameters
    ----------
    log : EventLog
    calendars : WorkingCalendars, optional
        From :func:`discover_calendars` (the default, with its defaults) or :func:`build_calendars`.
    max_sequential_gap_minutes : float
        Batch discovery: the longest idle gap between two instances of one batch processed one after
        the other (pix-framework's ``max_sequential_gap``; default 0, as Kronos uses it).

    Returns
    -------
    WaitingCauses
        Hours per cause per activity and transition; the per-instance attribution is available with
        :func:`find_waiting_instances`.

    Raises
    ------
    AnalysisError
        When ``calendars`` is not a :class:`WorkingCalendars` or the gap is negative.

    References
    ----------
    Lashkevich, Milani, Chapela-Campa, Suvorau & Dumas (2023), "Why am I waiting? Data-driven analysis
    of waiting times in business processes", CAiSE 2023, LNCS 13901 (the causes and their order; tool:
    Kronos, ``AutomatedProcessImprovement/waiting-time-analysis``); Lashkevich, Milani, Chapela-Campa &
    Dumas (2022), "Data-driven analysis of batch processing inefficiencies in business processes",
    RCIS 2022, and pix-framework ``discovery.batch_processing`` (batches); Estrada-Torres et al. (2021),
    DKE 134 (calendars).

    Examples
    --------
    >>> from mapper import load_event_log
    >>> causes = find_waiting_causes(load_event_log("sample_logs/council_permits.csv"))
    >>> causes.start_times
    'recorded'
    >>> set(causes.activities["dominant_cause"]) <= set(CAUSES) | {"none"}
    True
    """
    if calendars is None:
        calendars = discover_calendars(log)
    elif not isinstance(calendars, WorkingCalendars):
        raise AnalysisError(
            f"calendars must be a WorkingCalendars (from discover_calendars or build_calendars), not "
            f"{type(calendars).__name__}."
        )
    if not max_sequential_gap_minutes >= 0:
        raise AnalysisError(f"max_sequential_gap_minutes must be >= 0, got {max_sequential_gap_minutes!r}.")
    gap_us = int(round(max_sequential_gap_minutes * 60 * US_PER_SECOND))
    level, starts = _level(log), _start_mode(log)
    causes, facts = _attribution(log, calendars, gap_us)
    inst = _instances(log)

    sums = {f"{c}_hours": (causes[f"{c}_us"].sum().cast("float64") / US_PER_HOUR) for c in CAUSES}
    agg = {
        "instances": causes.count(),
        "waiting_hours_total": causes.wait_us.sum().cast("float64") / US_PER_HOUR,
        "working_hours_total": causes.working_us.sum().cast("float64") / US_PER_HOUR,
        **sums,
    }
    per_act = execute(causes.group_by(ACTIVITY).aggregate(**agg))
    proc = execute(
        inst.group_by(ACTIVITY).aggregate(
            processing_hours_total=inst.proc_us.sum().cast("float64") / US_PER_HOUR
        )
    )
    acts = proc.merge(per_act, on=ACTIVITY, how="left")
    acts["instances"] = acts["instances"].fillna(0).astype("int64")
    acts[["waiting_hours_total", "working_hours_total", *_CAUSE_COLUMNS]] = acts[
        ["waiting_hours_total", "working_hours_total", *_CAUSE_COLUMNS]
    ].fillna(0.0)
    per_tr = execute(
        causes.group_by(source=causes.prev_activity, target=causes[ACTIVITY]).aggregate(
            **agg, processing_hours_total=causes.proc_us.sum().cast("float64") / US_PER_HOUR
        )
    )
    if starts == "none":
        acts["processing_hours_total"] = np.nan
        per_tr["processing_hours_total"] = np.nan
    acts = _summarise(acts)
    per_tr = _summarise(per_tr)
    cols = [
        "instances",
        "waiting_hours_total",
        "working_hours_total",
        *_CAUSE_COLUMNS,
        "fixable_hours",
        "dominant_cause",
        "remedy",
        "processing_hours_total",
        "cycle_time_efficiency",
    ]
    acts = acts.assign(_k=acts["waiting_hours_total"].round(6)).sort_values(
        ["_k", ACTIVITY], ascending=[False, True], ignore_index=True
    )[[ACTIVITY, *cols]]
    per_tr = per_tr.assign(_k=per_tr["waiting_hours_total"].round(6)).sort_values(
        ["_k", "instances", "source", "target"], ascending=[False, False, True, True], ignore_index=True
    )[["source", "target", *cols]]

    process = _process_totals(acts, starts)
    batches = _batch_table(log, facts["members"]) if facts["members"] is not None else _empty_batches()
    notes = _notes(log, calendars, causes, facts, level, starts)
    return WaitingCauses(acts, per_tr, process, batches, notes, starts, calendars)


def _process_totals(acts: pd.DataFrame, starts: str) -> dict:
    tot = {c: float(acts[c].sum()) for c in ["waiting_hours_total", "working_hours_total", *_CAUSE_COLUMNS]}
    tot["fixable_hours"] = float(sum(tot[f"{c}_hours"] for c in FIXABLE_CAUSES))
    p = float(acts["processing_hours_total"].sum()) if starts != "none" else None
    tot["processing_hours_total"] = p
    w = tot["waiting_hours_total"]

    def eff(wait: float) -> float | None:
        return None if p is None or p + wait <= 0 else p / (p + wait)

    tot["cycle_time_efficiency"] = eff(w)
    tot["efficiency_without"] = {c: eff(w - tot[f"{c}_hours"]) for c in CAUSES}
    return tot


def _empty_batches() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activity": pd.Series(dtype=object),
            "resource": pd.Series(dtype=object),
            "batches": pd.Series(dtype="int64"),
            "batched_instances": pd.Series(dtype="int64"),
            "instances": pd.Series(dtype="int64"),
            "share_batched": pd.Series(dtype="float64"),
            "mean_size": pd.Series(dtype="float64"),
            "usual_start_weekday": pd.Series(dtype="int64"),
            "usual_start_hour": pd.Series(dtype="int64"),
        }
    )


def _batch_table(log: EventLog, members: ir.Table) -> pd.DataFrame:
    per_batch = members.group_by(["performer", ACTIVITY, "batch_no"]).aggregate(
        size=members.count(), start=members.batch_start_us.min()
    )
    rel = per_batch.start - MONDAY_EPOCH_US
    per_batch = per_batch.mutate(
        wd=pmod(floordiv(rel, DAY_US), 7), hr=floordiv(pmod(rel, DAY_US), 3600 * US_PER_SECOND)
    )
    agg = per_batch.group_by(["performer", ACTIVITY]).aggregate(
        batches=per_batch.count(),
        batched_instances=per_batch.size.sum(),
        mean_size=per_batch.size.mean(),
    )

    def usual(col: str) -> ir.Table:
        # The most frequent value; among equally frequent ones the smallest (the engine's mode() picks
        # any of them, and a parallel run then picked another).
        c = per_batch.group_by(["performer", ACTIVITY, col]).aggregate(k=lambda t: t.count())
        return c.group_by(["performer", ACTIVITY]).aggregate(**{col: c[col].argmax(c.k * 100 - c[col])})

    wd, hr = usual("wd"), usual("hr")
    agg = (
        agg.join(wd, ["performer", ACTIVITY])
        .join(hr, ["performer", ACTIVITY])
        .rename(usual_start_weekday="wd", usual_start_hour="hr")
    )
    inst = _instances(log)
    n = (
        inst.filter(inst.performer.notnull())
        .group_by(["performer", ACTIVITY])
        .aggregate(instances=lambda t: t.count())
    )
    j = agg.join(n, ["performer", ACTIVITY])
    out = execute(j)
    if out.empty:
        return _empty_batches()
    out = out.rename(columns={"performer": "resource"})
    out["share_batched"] = out["batched_instances"] / out["instances"]
    out = out.astype(
        {
            "batches": "int64",
            "batched_instances": "int64",
            "instances": "int64",
            "usual_start_weekday": "int64",
            "usual_start_hour": "int64",
        }
    )
    out = out.sort_values(
        ["batched_instances", "activity", "resource"], ascending=[False, True, True], ignore_index=True
    )
    return out[list(_empty_batches().columns)]


def _notes(log, calendars, causes, facts, level, starts) -> list[str]:
    notes: list[str] = []
    c = execute(
        causes.aggregate(
            n=causes.count(),
            unknown_n=(causes.performer.isnull()).cast("int64").sum(),
        )
    ).iloc[0]
    n_events = log.n_events
    if starts == "estimated":
        notes.append(
            "Start times were ESTIMATED at import (pix-framework's start-time estimator), not recorded: "
            "the split of waiting into causes rests on them."
        )
    elif starts == "recorded":
        ev = log.tables().events
        no_start = int(execute(ev.start_us.isnull().cast("int64").sum().as_table()).iloc[0, 0])
        if no_start:
            notes.append(
                f"{no_start:,} of {n_events:,} events have no start time and are taken as instantaneous "
                "(start = completion)."
            )
    else:
        hint = (
            "load the log with estimate_start_times=True (mapper.load_event_log)"
            if level == "resource"
            else "the log needs start times (they cannot be estimated without resources)"
        )
        notes.append(
            "The log has no start times: each wait runs to the completion and holds the processing. Only "
            "the time outside the performer's calendar is attributed (unavailability); the rest is "
            f"unknown. To split it, {hint}. Estimating start times inside the analysis is not done: "
            "pix-framework's estimator took 13 s on helpdesk (21,000 events, 10x the whole analysis) and "
            "450 s on Road Traffic (561,000 events)."
        )
    if level is None:
        notes.append("The log names neither resources nor roles: every wait is of unknown cause.")
    elif level == "role":
        notes.append(
            "The log names no resources: performers are roles (teams), and a team counts as busy when any "
            "of its members works, which overstates contention and prioritisation."
        )
    unknown_n = int(c["unknown_n"] or 0)
    if level is not None and unknown_n:
        notes.append(
            f"{unknown_n:,} of {int(c['n']):,} waiting instances have no recorded performer: their wait "
            "is reported as unknown."
        )
    if facts["missing_calendars"]:
        notes.append(
            f"{len(facts['missing_calendars'])} performer(s) have no calendar in the calendars given and "
            f"use the log-wide one ({calendars.log_basis})."
        )
    if not facts["batch_converged"]:
        notes.append(
            f"Batch discovery stopped after {MAX_BATCH_PASSES} passes; remaining conflicts were split "
            "into separate batches (conservative)."
        )
    notes += [f"Calendars: {n}" for n in calendars.notes]
    return notes


def waiting_instance_table(
    log: EventLog,
    *,
    calendars: WorkingCalendars | None = None,
    max_sequential_gap_minutes: float = 0.0,
) -> ir.Table:
    """The per-instance attribution of :func:`find_waiting_causes` as an engine table: nothing is fetched.

    For analyses that aggregate over every waiting instance in the engine (the simulation's delay
    statistics); :func:`find_waiting_instances` fetches the longest of them as a DataFrame.

    Parameters
    ----------
    log : EventLog
    calendars, max_sequential_gap_minutes
        As for :func:`find_waiting_causes` (the same attribution, computed once per log).

    Returns
    -------
    ibis Table
        One row per activity instance with a wait: ``case_id``, ``activity``, ``prev_activity``,
        ``performer`` (str), ``enabled_us``, ``start_us`` (int64, microseconds since the epoch, UTC),
        ``waiting_hours``, ``working_hours`` and one ``<cause>_hours`` per cause in :data:`CAUSES`
        (float64, hours), ``in_batch`` (bool).

    References
    ----------
    Lashkevich, Milani, Chapela-Campa, Suvorau & Dumas (2023), "Why am I waiting? Data-driven analysis
    of waiting times in business processes", CAiSE 2023, LNCS 13901.

    Examples
    --------
    >>> t = waiting_instance_table(load_event_log(SAMPLE))
    >>> int(t.count().execute()) > 0, "batching_hours" in t.columns
    (True, True)
    """
    if calendars is None:
        calendars = discover_calendars(log)
    causes, _ = _attribution(log, calendars, int(round(max_sequential_gap_minutes * 60 * US_PER_SECOND)))
    h = {f"{c}_hours": causes[f"{c}_us"].cast("float64") / US_PER_HOUR for c in CAUSES}
    return causes.select(
        CASE_ID,
        ACTIVITY,
        "prev_activity",
        "performer",
        "enabled_us",
        "start_us",
        waiting_hours=causes.wait_us.cast("float64") / US_PER_HOUR,
        working_hours=causes.working_us.cast("float64") / US_PER_HOUR,
        **h,
        in_batch=causes.in_batch,
    )


def find_waiting_instances(
    log: EventLog,
    activity: str | None = None,
    *,
    calendars: WorkingCalendars | None = None,
    max_sequential_gap_minutes: float = 0.0,
    limit: int = 1000,
) -> pd.DataFrame:
    """The per-instance attribution behind :func:`find_waiting_causes`, longest waits first (drill-down).

    Parameters
    ----------
    log : EventLog
    activity : str, optional
        Only the instances of this activity.
    calendars, max_sequential_gap_minutes
        As for :func:`find_waiting_causes` (the same attribution, computed once per log).
    limit : int
        At most this many rows (example cases).

    Returns
    -------
    pandas.DataFrame
        ``case_id``, ``activity``, ``prev_activity``, ``performer`` (str), ``enabled``, ``start``
        (datetime64[ns, UTC]), ``waiting_hours``, ``working_hours`` and one ``<cause>_hours`` per cause
        (float), ``in_batch`` (bool).

    Raises
    ------
    AnalysisError
        When ``activity`` is not an activity of the log or ``limit`` is not positive.
    """
    if limit < 1:
        raise AnalysisError(f"limit must be at least 1, got {limit!r}.")
    if activity is not None:  # checked before any work, on the engine's per-activity statistics
        known = set(log.tables().result("activity_stats", activity_stats)[ACTIVITY])
        if activity not in known:
            raise AnalysisError(
                f"activity {activity!r} is not an activity of the log; known: {sorted(known)[:20]}."
            )
    q = waiting_instance_table(
        log, calendars=calendars, max_sequential_gap_minutes=max_sequential_gap_minutes
    )
    if activity is not None:
        q = q.filter(q[ACTIVITY] == activity)
    q = q.order_by([ibis.desc("waiting_hours"), CASE_ID, "start_us"])
    out = execute(q.limit(limit))
    for col, new in (("enabled_us", "enabled"), ("start_us", "start")):
        out[new] = pd.to_datetime(out.pop(col).astype("int64"), unit="us", utc=True)
    first = [CASE_ID, ACTIVITY, "prev_activity", "performer", "enabled", "start"]
    return out[first + [c for c in out.columns if c not in first]]


__all__ = [
    "BATCH_MIN_SIZE",
    "CAUSES",
    "FIXABLE_CAUSES",
    "REMEDIES",
    "WaitingCauses",
    "WorkingCalendars",
    "build_calendars",
    "discover_calendars",
    "find_waiting_causes",
    "find_waiting_instances",
    "waiting_instance_table",
    "plot_waiting_causes",
]
