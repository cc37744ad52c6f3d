"""Bottlenecks: where cases wait, how long, why, and which cases may be stuck."""

from __future__ import annotations

import hashlib
import html
import math
from dataclasses import dataclass, field
from typing import Literal

import ibis
import pandas as pd

from analysis.escape import escape_figure
from analysis.waiting import CAUSES, WaitingCauses, WorkingCalendars, find_waiting_causes, plot_waiting_causes
from mapper.engine import (
    P90,
    US_PER_HOUR,
    activity_stats,
    case_traces,
    dfg_edges,
    execute,
    start_end_activities,
)
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: An activity is an end activity when it is the last event of at least this share of the cases
#: that contain it (unless ``end_activities`` is given).
END_ACTIVITY_SHARE = 0.5
#: A step's wait is "off hours only" when at least this share of it is resource unavailability (its
#: performers were outside their working calendars): four hours in five. Nights and weekends are fixed
#: by scheduling (when work is done), not by capacity or automation, so such a step is reported but
#: ranked after every bottleneck. A step staffed in office hours whose work arrives around the clock
#: waits mostly overnight and over the weekend, with a little contention while the night's backlog is
#: worked off in the morning; a step with a real daytime queue, batch or outside party spends more than a
#: fifth of its wait in working hours and stays a bottleneck. The share was fixed before looking at any
#: log (the sample's office-hours step measures 99%).
OFF_HOURS_SHARE = 0.8
#: Columns :func:`find_bottlenecks` adds to ``activities`` from the waiting causes.
CAUSE_COLUMNS = [
    *[f"{c}_hours" for c in CAUSES],
    "fixable_hours",
    "working_hours_total",
    "dominant_cause",
    "remedy",
    "off_hours_only",
    "bottleneck",
]


@dataclass(frozen=True)
class Bottlenecks:
    """Waiting and processing times per activity and transition, their causes, cycle times, stuck cases.

    Attributes
    ----------
    activities : pandas.DataFrame
        One row per activity, ranked by what can be fixed (see :func:`find_bottlenecks`): ``rank``
        (int), ``activity`` (str), ``cases`` (int64, cases containing it), ``events`` (int64),
        ``waiting_hours_median``, ``waiting_hours_p90``, ``waiting_hours_mean`` (float, hours of waiting
        before the activity), ``processing_hours_median``, ``processing_hours_p90`` (float, NaN when the
        log has no start timestamps), ``hours_lost_total`` (float, sum of waiting hours before it over
        all cases), ``share_of_waiting`` (float in [0, 1], of all waiting in the log); then the waiting
        causes (:func:`analysis.waiting.find_waiting_causes`): ``batching_hours``,
        ``contention_hours``, ``prioritisation_hours``, ``unavailability_hours``, ``extraneous_hours``,
        ``unknown_hours`` (float, adding up to ``hours_lost_total``), ``fixable_hours`` (float:
        batching + contention + prioritisation + extraneous), ``working_hours_total`` (float: the wait
        in the performers' working hours), ``dominant_cause`` (str, ``none`` without waiting),
        ``remedy`` (str, the remedy class of the dominant cause), ``off_hours_only`` (bool: at least
        :data:`OFF_HOURS_SHARE` of the wait is unavailability) and ``bottleneck`` (bool: not off hours
        only, and some of its wait is fixable or of unknown cause).
    transitions : pandas.DataFrame
        One row per directly-follows pair, ranked by ``hours_lost_total``: ``source``, ``target``,
        ``frequency``, ``waiting_hours_median``, ``waiting_hours_p90``, ``hours_lost_total``,
        ``share_of_waiting``.
    stuck_cases : pandas.DataFrame
        Open cases (their last activity is not an end activity) older than the p95 cycle time of
        closed cases, measured at the end of the log: ``case_id``, ``last_activity``, ``started``
        (datetime64[ns, UTC]), ``age_hours`` (float), ``events`` (int64).
    cycle : dict
        Cycle time of closed cases in hours: ``median``, ``p90``, ``p95``, ``mean``; and counts
        ``cases``, ``closed_cases``, ``open_cases``, ``stuck_cases``.
    end_activities : list of str
        The activities taken as ends of the process.
    waiting_includes_processing : bool
        True when the log has no start timestamps: the "waiting" before an activity is then the time
        between two completions and includes the activity's own processing.
    causes : WaitingCauses or None
        The waiting causes the ranking rests on (per activity, per transition, for the process, batches).
    calendars : WorkingCalendars or None
        The working calendars the causes were measured with.
    """

    activities: pd.DataFrame
    transitions: pd.DataFrame
    stuck_cases: pd.DataFrame
    cycle: dict
    end_activities: list = field(default_factory=list)
    waiting_includes_processing: bool = True
    causes: WaitingCauses | None = None
    calendars: WorkingCalendars | None = None

    def to_frame(self, level: Literal["activity", "transition"] = "activity") -> pd.DataFrame:
        """The ranked table at ``level`` (a copy)."""
        return (self.activities if level == "activity" else self.transitions).copy()

    def plot(self, top: int = 10):
        """A plotly stacked bar chart of the hours lost before the ``top`` activities, by cause."""
        import plotly.express as px

        if "fixable_hours" in self.activities:
            return plot_waiting_causes(
                self.activities.head(top), title="Where cases wait and why (waiting lost, by cause)"
            )
        d = self.activities.head(top).iloc[::-1]
        fig = px.bar(
            d,
            x="hours_lost_total",
            y="activity",
            orientation="h",
            hover_data=["waiting_hours_median", "waiting_hours_p90", "share_of_waiting"],
            labels={
                "hours_lost_total": "Hours of waiting before the step, added up over its cases",
                "activity": "",
            },
            title="Where cases wait (total hours lost)",
        )
        fig.update_layout(height=120 + 28 * len(d), margin={"l": 10, "r": 10, "t": 40, "b": 10})
        fig.update_xaxes(tickformat=",.0f")  # "250,000", not "250k"
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        note = (
            " (waiting includes processing: no start timestamps)" if self.waiting_includes_processing else ""
        )
        return f"<b>Bottlenecks</b>{html.escape(note)}" + self.activities.head(20).to_html(index=False)


def find_bottlenecks(
    log: EventLog, *, end_activities: list[str] | None = None, causes: WaitingCauses | None = None
) -> Bottlenecks:
    """Measure waiting before each activity and each transition, why it happens, cycle times, stuck cases.

    The waiting time before an event runs from the completion of the previous event of its case (its
    enabling under sequential execution) to its start, or to its completion when the log has no start
    timestamps; overlaps (start before the previous completion) count as zero. The first event of a case
    has no waiting time. Each wait is split into its causes (:func:`analysis.waiting.find_waiting_causes`:
    batching, contention, prioritisation, unavailability, extraneous, unknown). Activities are ranked by
    what can be fixed: bottlenecks first (``bottleneck``: not off hours only, with fixable or unexplained
    waiting), then by the hours lost to batching, contention, prioritisation and extraneous waiting (the
    fixable hours, which add up across cases: a long median on a rare step matters less than a moderate
    wait on every case), then by all hours lost, then by name. A step whose wait is at least
    :data:`OFF_HOURS_SHARE` unavailability (nights and weekends of people working office hours) is
    flagged ``off_hours_only`` and ranked after every bottleneck.

    Parameters
    ----------
    log : EventLog
    end_activities : list of str, optional
        Activities that close a case. By default, an activity is an end activity when it is the last
        event in at least half of the cases that contain it (:data:`END_ACTIVITY_SHARE`).
    causes : WaitingCauses, optional
        The waiting causes of ``log`` when already computed (by default computed with discovered
        calendars).

    Returns
    -------
    Bottlenecks

    Raises
    ------
    AnalysisError
        When an ``end_activities`` name is not an activity of the log, or ``causes`` is not a
        :class:`~analysis.waiting.WaitingCauses`.

    References
    ----------
    van der Aalst (2016), *Process Mining: Data Science in Action*, §9.4 (performance analysis:
    waiting, service and flow times); Dumas, La Rosa, Mendling & Reijers (2018), *Fundamentals of
    Business Process Management*, 2nd ed., §7.1 (waiting time as the main component of cycle time);
    Lashkevich, Milani, Chapela-Campa, Suvorau & Dumas (2023), "Why am I waiting? Data-driven analysis of
    waiting times in business processes", CAiSE 2023 (the causes and their remedies).
    """
    if causes is None:
        causes = find_waiting_causes(log)
    elif not isinstance(causes, WaitingCauses):
        raise AnalysisError(
            f"causes must be a WaitingCauses (from find_waiting_causes), not {type(causes).__name__}."
        )
    o = log.tables().ordered
    tables = log.tables()
    acts = tables.result("activity_stats", activity_stats)
    # fsum: exact, so the total does not depend on the order the engine returns the activities in
    total_wait = math.fsum(acts["waiting_hours_total"].dropna())
    acts = acts.rename(columns={"waiting_hours_total": "hours_lost_total"})
    acts["hours_lost_total"] = acts["hours_lost_total"].fillna(0.0)
    acts["share_of_waiting"] = acts["hours_lost_total"] / total_wait if total_wait > 0 else 0.0
    if not log.has_start_timestamps:
        acts[["processing_hours_median", "processing_hours_p90"]] = float("nan")
    acts = _with_causes(acts, causes)
    # Sums of floats differ in the last bits with the order rows are added in: rank on rounded keys so
    # equal totals tie exactly and the tie-break (the name) decides, whatever the row order of the file.
    acts = (
        acts.assign(_fix=acts["fixable_hours"].round(6), _key=acts["hours_lost_total"].round(6))
        .sort_values(
            ["bottleneck", "_fix", "_key", "activity"],
            ascending=[False, False, False, True],
            ignore_index=True,
        )
        .drop(columns=["_fix", "_key"])
    )
    acts.insert(0, "rank", range(1, len(acts) + 1))
    activities = acts[
        [
            "rank",
            "activity",
            "cases",
            "events",
            "waiting_hours_median",
            "waiting_hours_p90",
            "waiting_hours_mean",
            "processing_hours_median",
            "processing_hours_p90",
            "hours_lost_total",
            "share_of_waiting",
            *CAUSE_COLUMNS,
        ]
    ]

    edges = tables.result("dfg_edges", dfg_edges).rename(
        columns={
            "wait_hours_median": "waiting_hours_median",
            "wait_hours_p90": "waiting_hours_p90",
            "wait_hours_total": "hours_lost_total",
        }
    )
    edges["share_of_waiting"] = edges["hours_lost_total"] / total_wait if total_wait > 0 else 0.0
    transitions = (
        edges.assign(_key=edges["hours_lost_total"].round(6))
        .sort_values(
            ["_key", "frequency", "source", "target"], ascending=[False, False, True, True], ignore_index=True
        )
        .drop(columns="_key")
    )[
        [
            "source",
            "target",
            "frequency",
            "waiting_hours_median",
            "waiting_hours_p90",
            "hours_lost_total",
            "share_of_waiting",
        ]
    ]

    ends = find_end_activities(log, end_activities=end_activities)
    cases = case_traces(o).drop("trace")
    cases = cases.mutate(closed=cases.last_activity.isin(ends) if ends else ibis.literal(False))
    # Per case, read by four queries (cycle statistics, log end, open and stuck cases): stored once.
    key = hashlib.sha1(repr(sorted(ends)).encode()).hexdigest()[:16]
    cases = log.tables().materialise(f"bn_cases_{key}", cases)
    closed = cases.filter(cases.closed)
    stats = execute(
        closed.aggregate(
            median=closed.cycle_hours.median(),
            p90=closed.cycle_hours.quantile(P90),
            p95=closed.cycle_hours.quantile(0.95),
            mean=closed.cycle_hours.mean(),
            n=closed.count(),
        )
    ).iloc[0]
    log_end = execute(cases.aggregate(end=cases.end_us.max(), n=cases.count())).iloc[0]
    p95 = stats["p95"]
    open_cases = cases.filter(~cases.closed)
    age = (ibis.literal(int(log_end["end"])) - open_cases.start_us).cast("float64") / US_PER_HOUR
    n_open = int(execute(open_cases.count().as_table()).iloc[0, 0])
    if pd.notna(p95):
        stuck = execute(
            open_cases.mutate(age_hours=age)
            .filter(lambda t: t.age_hours > float(p95))
            .select("case_id", "last_activity", "start_us", "age_hours", "events")
            .order_by([ibis.desc("age_hours"), "case_id"])
        )
    else:
        stuck = pd.DataFrame(columns=["case_id", "last_activity", "start_us", "age_hours", "events"])
    stuck.insert(2, "started", pd.to_datetime(stuck.pop("start_us").astype("int64"), unit="us", utc=True))
    cycle = {
        "median": _f(stats["median"]),
        "p90": _f(stats["p90"]),
        "p95": _f(p95),
        "mean": _f(stats["mean"]),
        "cases": int(log_end["n"]),
        "closed_cases": int(stats["n"]),
        "open_cases": n_open,
        "stuck_cases": len(stuck),
    }
    return Bottlenecks(
        activities,
        transitions,
        stuck.reset_index(drop=True),
        cycle,
        ends,
        not log.has_start_timestamps,
        causes,
        causes.calendars,
    )


def _with_causes(acts: pd.DataFrame, causes: WaitingCauses) -> pd.DataFrame:
    """Add the cause columns, ``off_hours_only`` and ``bottleneck`` to the per-activity table."""
    hours_cols = [f"{c}_hours" for c in CAUSES] + ["fixable_hours", "working_hours_total"]
    c = causes.activities[["activity", "waiting_hours_total", *hours_cols, "dominant_cause", "remedy"]]
    out = acts.merge(c, on="activity", how="left")
    out[[*hours_cols, "waiting_hours_total"]] = out[[*hours_cols, "waiting_hours_total"]].fillna(0.0)
    out["dominant_cause"] = out["dominant_cause"].fillna("none")
    out["remedy"] = out["remedy"].fillna("")
    wait = out.pop("waiting_hours_total")
    out["off_hours_only"] = (wait > 0) & (out["unavailability_hours"] >= OFF_HOURS_SHARE * wait)
    out["bottleneck"] = ~out["off_hours_only"] & ((out["fixable_hours"] + out["unknown_hours"]) > 0)
    return out


def _f(x) -> float | None:
    return None if pd.isna(x) else float(x)


def find_end_activities(log: EventLog, *, end_activities: list[str] | None = None) -> list[str]:
    """The activities that close a case: given, or detected as those that end most of their cases.

    An activity is an end activity when it is the last event of at least :data:`END_ACTIVITY_SHARE` of
    the cases that contain it. The one rule the bottlenecks (open and stuck cases), the readiness
    (abandoned cases) and the handoff chains (closed cases) share.

    Parameters
    ----------
    log : EventLog
    end_activities : list of str, optional
        Given by the user; checked against the log's activities and returned as given.

    Returns
    -------
    list of str
        Sorted when detected.

    Raises
    ------
    AnalysisError
        When ``end_activities`` names an activity the log does not have (the message lists them).

    Examples
    --------
    >>> find_end_activities(load_event_log("sample_logs/council_permits.csv"))
    ['Close case']
    """
    # Once per log: every analysis that needs the end activities asks for them.
    se = log.tables().result(
        "start_end_cases",
        lambda o: start_end_activities(o).join(
            o.group_by("activity").aggregate(cases=o.case_id.nunique()), "activity"
        ),
    )
    if end_activities is not None:
        known = sorted(se["activity"])
        unknown = [a for a in end_activities if a not in known]
        if unknown:
            raise AnalysisError(
                f"`end_activities` names {unknown}, which are not activities of the log; known activities: "
                f"{known}."
            )
        return list(end_activities)
    return sorted(se.loc[se["ends"] >= END_ACTIVITY_SHARE * se["cases"], "activity"].tolist())


#: :func:`explain_long_waits` speaks when the waits above a step's p90 hold at least this share of its
#: hours lost: the total then comes from a few long waits, not from a queue every case meets. Half is
#: the plain reading of "most of it"; the p90 makes the long waits at most one in ten by definition.
LONG_WAITS_SHARE = 0.5


def explain_long_waits(log: EventLog, bottlenecks: Bottlenecks, activity: str) -> str | None:
    """One sentence when a step's hours lost come mostly from its longest waits, with their count.

    A step can show a median and p90 wait of zero and still thousands of hours lost: a few cases waited
    very long. The waits before ``activity`` longer than its p90 (any wait at all when the p90 is 0) are
    counted and added up; when they hold at least :data:`LONG_WAITS_SHARE` of its hours lost, the
    sentence says how many they are, their share of the hours and the longest.

    Parameters
    ----------
    log : EventLog
        The log ``bottlenecks`` was measured on.
    bottlenecks : Bottlenecks
        :func:`find_bottlenecks` of ``log``.
    activity : str
        A step of ``bottlenecks.activities``.

    Returns
    -------
    str or None
        The sentence, or None when the step has no waiting or its hours are not concentrated.

    Raises
    ------
    AnalysisError
        When ``activity`` is not a step of ``bottlenecks.activities``.

    Examples
    --------
    >>> log = load_event_log(SAMPLE)
    >>> explain_long_waits(log, find_bottlenecks(log), "Assess application") is None
    True
    """
    from mapper.units import humanize_hours

    acts = bottlenecks.activities.set_index("activity")
    if activity not in acts.index:
        raise AnalysisError(
            f"activity {activity!r} is not a step of bottlenecks.activities; "
            f"known: {sorted(acts.index)[:20]}."
        )
    row = acts.loc[activity]
    hours = float(row["hours_lost_total"])
    if not hours > 0:
        return None
    p90 = float(row["waiting_hours_p90"]) if pd.notna(row["waiting_hours_p90"]) else 0.0
    o = log.tables().ordered
    waits = o.filter((o.activity == activity) & o.wait_us.notnull())
    above = waits.wait_us > int(p90 * US_PER_HOUR)
    c = execute(
        waits.aggregate(
            waits=waits.count(),
            long_waits=above.cast("int64").sum(),
            long_us=ibis.ifelse(above, waits.wait_us, 0).sum(),
            longest_us=waits.wait_us.max(),
        )
    ).iloc[0]
    n, k = int(c["waits"]), int(c["long_waits"] or 0)
    long_hours = float(c["long_us"] or 0) / US_PER_HOUR
    if not k or long_hours < LONG_WAITS_SHARE * hours:
        return None
    longest = humanize_hours(float(c["longest_us"]) / US_PER_HOUR)
    if p90 <= 0:
        return (
            f"Most cases reach {activity} without waiting (its median and p90 wait are zero). Its "
            f"{hours:,.0f} hours lost come from a few long waits: {k:,} of its {n:,} waits "
            f"({k / n:.0%}), the longest {longest}."
        )
    return (
        f"{long_hours / hours:.0%} of the {hours:,.0f} hours lost before {activity} come from its longest "
        f"waits: the {k:,} of its {n:,} waits ({k / n:.0%}) longer than its p90 ({humanize_hours(p90)}), "
        f"the longest {longest}."
    )
