"""Handover of work between resources or teams, ping-pong, and rework."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from mapper.engine import execute, handover_pairs, hours, rework
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: A handoff pair fails by ping-pong when at least this share of its cases bounce straight back ...
PING_PONG_SHARE = 0.05
#: ... and at least this many cases do.
PING_PONG_MIN_CASES = 3
#: A handoff pair fails by delay when its median delay is at least this multiple of the log-wide
#: median handoff delay ...
SLOW_FACTOR = 3.0
#: ... and it carries at least this share of all handoffs (so that rare pairs do not qualify).
SLOW_MIN_SHARE = 0.01
#: ... and at least this many handoffs.
SLOW_MIN_COUNT = 10

HANDOFF_COLUMNS = [
    "level",
    "source",
    "target",
    "count",
    "cases",
    "delay_hours_median",
    "delay_hours_p90",
    "ping_pong_cases",
    "failing",
    "failure",
]


def find_handoffs(
    log: EventLog, *, level: Literal["resource", "role", "system"] = "resource"
) -> pd.DataFrame:
    """The handover-of-work network: who passes work to whom, how often, and how long it waits.

    A handover happens when an event is directly followed, in its case, by an event done by another
    resource (or role). Events without a performer break the chain and count as no handover. A
    ping-pong is a handover from A to B whose next handover in the same case goes straight back from B
    to A while the work is redone (the return, or the resend after it, lands on an activity already
    done in the case); see :func:`mapper.engine.handovers`.

    A pair is flagged ``failing`` when work bounces (ping-pong in at least :data:`PING_PONG_SHARE` of its
    cases and at least :data:`PING_PONG_MIN_CASES` cases) or waits (median delay at least
    :data:`SLOW_FACTOR` times the log's median non-zero handoff delay, on a pair carrying at least
    :data:`SLOW_MIN_SHARE` of all handoffs and at least :data:`SLOW_MIN_COUNT`).

    Parameters
    ----------
    log : EventLog
    level : {"resource", "role", "system"}
        Hand-overs between individual resources, between roles/teams, or between the source systems of
        a merged log (:func:`mapper.merge_event_logs`): a case moving from one system to another.

    Returns
    -------
    pandas.DataFrame
        One row per (source, target) pair, most frequent first: ``level`` (str), ``source``, ``target``
        (str), ``count`` (int64, handovers), ``cases`` (int64), ``delay_hours_median``,
        ``delay_hours_p90`` (float, hours from the completion of the source event to the start, or the
        completion when no start is known, of the receiving event), ``ping_pong_cases`` (int64),
        ``failing`` (bool), ``failure`` (str: ``"ping-pong"``, ``"slow"``, ``"ping-pong, slow"`` or ``""``).
        Empty (with these columns) when the log has no such column.

    Raises
    ------
    AnalysisError
        When ``level`` is not "resource", "role" or "system".

    References
    ----------
    van der Aalst, Reijers & Song (2005), "Discovering social networks from event logs", Computer
    Supported Cooperative Work 14(6), pp. 549-593 (handover of work, causality fixed to direct
    succession).
    """
    if level not in ("resource", "role", "system"):
        raise AnalysisError(f"level must be 'resource', 'role' or 'system', not {level!r}.")
    present = {"resource": log.has_resources, "role": log.has_roles, "system": log.has_systems}[level]
    if not present:
        return _empty_handoffs()
    tables = log.tables()
    h = tables.handovers(level)
    pairs = execute(handover_pairs(h))
    if pairs.empty:  # performers are named, but work never changes hands
        return _empty_handoffs()
    # The reference is the median of the delays that are not instant: chains of system steps hand over
    # in zero time, and a zero median would make every delayed pair "slow".
    positive = h.filter(h.delay_us > 0)
    overall = execute(positive.aggregate(m=hours(positive.delay_us).median())).iloc[0, 0]
    total = pairs["count"].sum()
    ping = (pairs["ping_pong_cases"] >= PING_PONG_MIN_CASES) & (
        pairs["ping_pong_cases"] >= PING_PONG_SHARE * pairs["cases"]
    )
    slow = (
        (
            (pairs["delay_hours_median"] >= SLOW_FACTOR * overall)
            & (pairs["count"] >= SLOW_MIN_SHARE * total)
            & (pairs["count"] >= SLOW_MIN_COUNT)
        )
        if pd.notna(overall)
        else pairs["count"] < 0
    )
    pairs["failing"] = ping | slow
    pairs["failure"] = [
        ", ".join(x for x, on in (("ping-pong", p), ("slow", s)) if on)
        for p, s in zip(ping, slow, strict=True)
    ]
    pairs.insert(0, "level", level)
    pairs = pairs.sort_values(["count", "source", "target"], ascending=[False, True, True], ignore_index=True)
    return pairs[HANDOFF_COLUMNS]


def _empty_handoffs() -> pd.DataFrame:
    dtypes = ["object", "object", "object", "int64", "int64", "float64", "float64", "int64", "bool", "object"]
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(HANDOFF_COLUMNS, dtypes, strict=True)})


def find_rework(log: EventLog) -> pd.DataFrame:
    """Rework: activities repeated within a case.

    Parameters
    ----------
    log : EventLog

    Returns
    -------
    pandas.DataFrame
        One row per activity, most reworked first: ``activity`` (str), ``cases`` (int64, cases containing
        it), ``cases_with_rework`` (int64, cases in which it occurs more than once), ``share`` (float,
        ``cases_with_rework / cases``), ``repeats`` (int64, occurrences beyond the first).

    References
    ----------
    Dumas, La Rosa, Mendling & Reijers (2018), *Fundamentals of Business Process Management*, 2nd ed.,
    §6.2 (rework as waste); van der Aalst (2016), *Process Mining*, §8.4 (loops).
    """
    r = log.tables().result("rework", rework)
    r["share"] = r["cases_with_rework"] / r["cases"]
    r = r.sort_values(
        ["share", "cases_with_rework", "activity"], ascending=[False, False, True], ignore_index=True
    )
    return r[["activity", "cases", "cases_with_rework", "share", "repeats"]]
