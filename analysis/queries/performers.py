"""Event-level queries of the performer analysis (Ibis expressions over the engine's tables).

Who does the work: the evidence measured per performer (resource, or role when the log names no
resources) and the share of each activity's events done by each type of performer. Every function
takes Ibis tables and returns an Ibis expression; only compact results (one row per performer, per
performer and hour of the week, per activity) are executed into pandas.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from mapper.columns import ACTIVITY, CASE_ID, RESOURCE, ROLE, ROW_NR

US_PER_SECOND = 1_000_000
SECONDS_PER_DAY = 86_400
#: 1970-01-01, day 0 of the epoch, was a Thursday: weekday 3 with Monday = 0.
EPOCH_WEEKDAY = 3


def _mod(x: ir.IntegerValue, m: int) -> ir.IntegerValue:
    """``x`` modulo ``m`` in [0, m), also for negative ``x`` (SQL ``%`` keeps the sign of ``x``)."""
    return ((x % m) + m) % m


def clock(t_us: ir.IntegerValue, offset_seconds: int) -> dict[str, ir.IntegerValue]:
    """Day number, weekday (Monday = 0), hour of the day and second of the hour of a µs timestamp.

    ``offset_seconds`` is added first: the UTC offset of the log's time zone, so that the hours are
    local wall-clock hours.
    """
    s = t_us // US_PER_SECOND + offset_seconds
    day = s // SECONDS_PER_DAY
    second_of_day = _mod(s, SECONDS_PER_DAY)
    return {
        "day": day,
        "weekday": _mod(day + EPOCH_WEEKDAY, 7),
        "hour": second_of_day // 3600,
        "second_of_hour": _mod(second_of_day, 3600),
    }


def middle_event_time(t: ir.Table, n_events: int) -> ir.Table:
    """The completion time of the middle event in file order: the one at position ``n_events // 2``.

    Parameters
    ----------
    t : ibis Table
        The narrow events (``row_nr``, ``t_us``), :attr:`mapper.engine.EngineTables.events`.
    n_events : int
        Its number of rows (positive).

    Returns
    -------
    ibis Table
        A single row: ``t_us`` (int64, µs since the epoch).
    """
    return t.order_by(t[ROW_NR]).limit(1, offset=n_events // 2).select("t_us")


def performer_evidence(
    o: ir.Table,
    col: str,
    *,
    offset_seconds: int,
    request_activities: list[str],
    instant_us: int,
    skip_whole_hours: bool = False,
) -> ir.Table:
    """Per performer: the counts behind the evidence of :func:`analysis.classify_performers`.

    Parameters
    ----------
    o : ibis Table
        The ordered events (:func:`mapper.engine.order_events`).
    col : str
        ``"resource"`` or ``"role"``: the column holding the performer.
    offset_seconds : int
        UTC offset of the log's time zone (local wall-clock hours).
    request_activities : list of str
        The activities that ask an outside party for something (request steps).
    instant_us : int
        At most this many µs counts as instant (processing, or reaction to the previous event).
    skip_whole_hours : bool, default False
        Leave events stamped on a whole hour (minute 0, second 0) out of the clock counts: in a log
        where many events carry a date without a time, their "hour" is an artefact.

    Returns
    -------
    ibis Table
        One row per performer: ``performer`` (str), ``events``, ``cases``, ``activities``,
        ``active_days`` (int64), ``processing_known`` (events with a start), ``instant_processing``
        (events processed in at most ``instant_us``), ``reaction_known`` (events with a predecessor in
        the case), ``instant_reaction`` (completed at most ``instant_us`` after the previous event of
        the case), ``clock_events`` (events whose clock time counts: all, or those not on a whole hour
        with ``skip_whole_hours``), ``night_events`` (of those, local hour < 6 or >= 22),
        ``weekend_events`` (of those, Saturday and Sunday),
        ``after_request`` (events directly after a request step done by another performer),
        ``first_events`` (events that open their case) — all int64.
    """
    p = o.filter(o[col].notnull())
    c = clock(p.t_us, offset_seconds)
    prev_other = p[f"prev_{col}"].notnull() & (p[f"prev_{col}"] != p[col])
    after_request = prev_other & p.prev_activity.isin(request_activities) if request_activities else p.pos < 0
    reacted = (p.t_us - p.prev_t_us) <= instant_us
    as_int = lambda e: ibis.ifelse(e, 1, 0)  # noqa: E731
    counted = (c["second_of_hour"] != 0) if skip_whole_hours else (p.pos >= 0)
    return p.group_by(performer=p[col]).aggregate(
        events=p.count(),
        cases=p[CASE_ID].nunique(),
        activities=p[ACTIVITY].nunique(),
        active_days=c["day"].nunique(),
        processing_known=p.proc_us.count(),
        instant_processing=as_int(p.proc_us <= instant_us).sum().fill_null(0),
        reaction_known=p.prev_t_us.count(),
        instant_reaction=as_int(reacted.fill_null(False)).sum().fill_null(0),
        clock_events=as_int(counted).sum(),
        night_events=as_int(counted & ((c["hour"] < 6) | (c["hour"] >= 22))).sum(),
        weekend_events=as_int(counted & (c["weekday"] >= 5)).sum(),
        after_request=as_int(after_request.fill_null(False)).sum().fill_null(0),
        first_events=as_int(p.pos == 0).sum(),
    )


def performer_hours_of_week(
    o: ir.Table, col: str, *, offset_seconds: int, skip_whole_hours: bool = False
) -> ir.Table:
    """Events per performer and hour of the week (local time); see :func:`performer_evidence`.

    Returns
    -------
    ibis Table
        ``performer`` (str), ``hour_of_week`` (int64, 0 = Monday 00:00-01:00 ... 167), ``events``
        (int64). At most 168 rows per performer.
    """
    p = o.filter(o[col].notnull())
    if skip_whole_hours:
        p = p.filter(clock(p.t_us, offset_seconds)["second_of_hour"] != 0)
    c = clock(p.t_us, offset_seconds)
    how = c["weekday"] * 24 + c["hour"]
    return p.group_by(performer=p[col], hour_of_week=how).aggregate(events=p.count())


def log_clock(o: ir.Table, *, instant_us: int) -> ir.Table:
    """Log-wide figures that say whether the clock evidence is informative.

    Returns
    -------
    ibis Table
        A single row: ``events``, ``on_the_hour`` (events stamped at minute 0, second 0, in UTC),
        ``processing_known``, ``instant_processing`` (int64).
    """
    whole = clock(o.t_us, 0)["second_of_hour"] == 0
    return o.aggregate(
        events=o.count(),
        on_the_hour=ibis.ifelse(whole, 1, 0).sum(),
        processing_known=o.proc_us.count(),
        instant_processing=ibis.ifelse(o.proc_us <= instant_us, 1, 0).sum().fill_null(0),
    )


def events_with_types(o: ir.Table, col: str, types: ir.Table) -> ir.Table:
    """The ordered events with the type of their performer.

    Parameters
    ----------
    o : ibis Table
        The ordered events.
    col : str
        The performer column (``"resource"`` or ``"role"``).
    types : ibis Table
        ``performer`` (str), ``performer_type`` (str): one row per performer.

    Returns
    -------
    ibis Table
        ``o`` plus ``performer_type`` (str, null for events without a performer).
    """
    t = types.select(_p=types.performer, performer_type=types.performer_type)
    j = o.left_join(t, o[col] == t._p)
    return j.drop("_p")


def activity_types(o: ir.Table, col: str, types: ir.Table) -> ir.Table:
    """Per activity: how many of its events each type of performer does.

    Returns
    -------
    ibis Table
        ``activity`` (str), ``events``, ``with_performer``, ``human_events``, ``system_events``,
        ``bot_events``, ``external_events`` (int64).
    """
    e = events_with_types(o, col, types)
    n = lambda kind: ibis.ifelse(e.performer_type == kind, 1, 0).sum().fill_null(0)  # noqa: E731
    return e.group_by(ACTIVITY).aggregate(
        events=e.count(),
        with_performer=e[col].count(),
        human_events=n("human"),
        system_events=n("system"),
        bot_events=n("bot"),
        external_events=n("external"),
    )


def type_by_group(o: ir.Table, group_col: str, col: str, types: ir.Table) -> ir.Table:
    """Events per value of ``group_col`` (e.g. role) and type of the performer in ``col`` (e.g. resource).

    Returns
    -------
    ibis Table
        ``performer`` (str, the ``group_col`` value), ``performer_type`` (str), ``events`` (int64).
    """
    e = events_with_types(o, col, types)
    e = e.filter(e[group_col].notnull() & e.performer_type.notnull())
    return e.group_by(performer=e[group_col], performer_type=e.performer_type).aggregate(events=e.count())


def resource_activity_counts(o: ir.Table, resource_col: str) -> ir.Table:
    """Events per (resource, activity): the input of the organisational-roles discovery.

    Returns
    -------
    ibis Table
        ``resource``, ``activity`` (str), ``events`` (int64).
    """
    p = o.filter(o[resource_col].notnull())
    return p.group_by(resource=p[resource_col].cast("string"), activity=p[ACTIVITY].cast("string")).aggregate(
        events=p.count()
    )


def distinct_values(t: ir.Table, col: str) -> ir.Table:
    """The distinct non-missing values of ``col``, as text.

    Returns
    -------
    ibis Table
        ``value`` (str): one row per distinct value (compact for resources, roles, activities).
    """
    v = t.filter(t[col].notnull()).select(value=t[col].cast("string"))
    return v.distinct()


def with_column_from(t: ir.Table, name: str, key: str, mapping: pd.DataFrame) -> ir.Table:
    """``t`` with column ``name`` set from a compact mapping of the values of ``key`` (a join in the engine).

    Parameters
    ----------
    t : ibis Table
        An event table, e.g. :meth:`mapper.EventLog.table`.
    name : str
        The column to write (replaced when ``t`` has it); placed after ``resource`` when it is
        :data:`~mapper.columns.ROLE` and ``t`` has a resource column, else at the end.
    key : str
        The column of ``t`` whose value (as text) selects the new value.
    mapping : pandas.DataFrame or ibis Table
        ``key`` (str, unique) and ``role`` (str): one row per value of ``key`` (compact); a table stored
        in ``t``'s connection when the result must outlive the call (a view).

    Returns
    -------
    ibis Table
        The rows of ``t`` (any order) with ``name`` (string; missing where ``key`` is missing or not in
        ``mapping``).
    """
    if isinstance(mapping, pd.DataFrame):
        mapping = ibis.memtable(mapping)
    m = mapping.rename(__key="key", __value="role")
    j = t.left_join(m, t[key].cast("string") == m["__key"])
    order = [c for c in t.columns if c != name]
    pos = order.index(RESOURCE) + 1 if name == ROLE and RESOURCE in order else len(order)
    cols = [j[c] for c in order]
    cols.insert(pos, j["__value"].cast("string").name(name))
    return j.select(cols)
