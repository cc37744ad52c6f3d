"""Handover of work between resources, teams or systems, ping-pong, rework, and views of the network."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from typing import Literal

import graphviz
import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.bottlenecks import find_end_activities
from analysis.escape import escape_figure
from analysis.labels import BAD
from analysis.performers import (
    PERFORMER_TYPES,
    Performers,
    classify_performers,
    name_words,
    performer_types,
    vocabulary_term,
)
from analysis.queries.handoffs import (
    LEVEL_COLUMNS,
    bounces,
    case_crossings,
    escalations,
    handover_pairs,
    handover_table,
    long_waits,
    network_normaliser,
    network_pairs,
    overtaking,
    pair_waits,
    performer_events,
    request_responses,
    stint_handovers,
    stints,
)
from analysis.queries.performance import text_value
from mapper.columns import CASE_ID, RESOURCE, ROLE, ROW_NR
from mapper.discovery import html_label, styled_digraph
from mapper.engine import (
    P90,
    US_PER_HOUR,
    activity_stats,
    execute,
    hours,
    non_negative,
    rework,
)
from mapper.errors import AnalysisError
from mapper.log import EventLog
from mapper.units import humanize_hours

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
    done in the case); see :func:`analysis.queries.handoffs.handovers`.

    ``failure`` names what stands out on a pair: ``ping-pong`` (work bounces in at least
    :data:`PING_PONG_SHARE` of its cases and at least :data:`PING_PONG_MIN_CASES` cases) and ``slow``
    (median delay at least :data:`SLOW_FACTOR` times the log's median non-zero handoff delay, on a pair
    carrying at least :data:`SLOW_MIN_SHARE` of all handoffs and at least :data:`SLOW_MIN_COUNT`).
    ``failing`` is True for ping-pong only. A slow pair is a queue at the receiver: every case waits,
    in order, because the receiving team lacks capacity; that is a bottleneck of the receiving step
    (:func:`analysis.find_bottlenecks`), which routing or an SLA timer on the handoff does not cure,
    so it is named but not counted as a failing handoff. The handoffs that do fail (ping-pong, rework
    after a handoff, dropped batons, escalations that bounce back) are found case by case by
    :func:`find_handoff_failures`; this table's ``ping-pong`` is the structural bounce, which that
    function splits into ping-pong and rework after a handoff.

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
        ``failing`` (bool: ping-pong), ``failure`` (str: ``"ping-pong"``, ``"slow"``, ``"ping-pong, slow"``
        or ``""``).
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
    h = handover_table(log, level)
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
    pairs["failing"] = ping.astype(bool)
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


# --- Views of the handover-of-work network (the app's Handoffs page and notebooks) -------------------

#: The levels :func:`find_handoffs` knows, and the event-table column each one reads.

_LEVEL_NOUNS = {"resource": "resources", "role": "roles", "system": "systems"}
#: What :func:`handoff_matrix` can put in the cells; counts are 0 where no work changes hands, the
#: delay is missing (NaN) there.
_MATRIX_VALUES = {
    "count": "handovers",
    "cases": "cases",
    "ping_pong_cases": "ping-pong cases",
    "delay_hours_median": "median delay (hours)",
}
_FAIL_COLOUR = BAD


def _level_pairs(handoffs: pd.DataFrame, level: str, *columns: str) -> pd.DataFrame:
    """The rows of one level of a :func:`find_handoffs` table (a copy), after checking what is needed."""
    missing = [c for c in ("level", "source", "target", "count", *columns) if c not in handoffs.columns]
    if missing:
        raise AnalysisError(
            f"The handoffs table lacks the column(s) {', '.join(map(repr, missing))}; pass the table "
            f"returned by find_handoffs (columns: {', '.join(HANDOFF_COLUMNS)})."
        )
    present = sorted(handoffs["level"].dropna().unique().tolist())
    if level not in present:
        listed = ", ".join(map(repr, present)) if present else "none (the table is empty)"
        raise AnalysisError(
            f"The handoffs table has no level {level!r}; levels present: {listed}. "
            "Compute it with find_handoffs(log, level=...) when the log names those performers."
        )
    return handoffs.loc[handoffs["level"] == level].copy()


def _n(count: int, noun: str) -> str:
    """``"1 pair"``, ``"1,060 pairs"``."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _performer_order(pairs: pd.DataFrame) -> list[str]:
    """Performers by handovers sent plus received, most first, then by name."""
    sent = pairs.groupby("source")["count"].sum()
    received = pairs.groupby("target")["count"].sum()
    total = sent.add(received, fill_value=0).rename("total").rename_axis("performer").reset_index()
    total = total.sort_values(["total", "performer"], ascending=[False, True])
    return total["performer"].tolist()


def handoff_matrix(
    handoffs: pd.DataFrame,
    *,
    level: Literal["resource", "role", "system"],
    value: Literal["count", "cases", "ping_pong_cases", "delay_hours_median"] = "count",
) -> pd.DataFrame:
    """The handover-of-work network of one level as a source x target matrix.

    Parameters
    ----------
    handoffs : pandas.DataFrame
        The table returned by :func:`find_handoffs`, possibly several levels concatenated (as in
        :attr:`analysis.Findings.handoffs`). Not modified.
    level : {"resource", "role", "system"}
        The level to show; it must be present in ``handoffs``.
    value : {"count", "cases", "ping_pong_cases", "delay_hours_median"}, default "count"
        What a cell holds: handovers from the row's performer to the column's, the cases in which they
        happen, the cases in which they are a ping-pong, or their median delay in hours.

    Returns
    -------
    pandas.DataFrame
        Square: index ``source`` and columns ``target`` are both every performer of the level, ordered
        by handovers sent plus received (most first), then by name. Cells are int64 for the counts (0
        where work never passes between the two) and float64 hours for ``delay_hours_median`` (NaN
        there).

    Raises
    ------
    AnalysisError
        When ``value`` is not one of the four above, when ``level`` is not present in ``handoffs``
        (the message lists the levels that are), or when ``handoffs`` lacks a needed column.

    See Also
    --------
    plot_handoff_matrix : the same matrix as a heatmap.
    plot_handoff_network : the same pairs as a graph.

    References
    ----------
    van der Aalst, Reijers & Song (2005), "Discovering social networks from event logs", Computer
    Supported Cooperative Work 14(6), pp. 549-593 (the handover-of-work matrix).

    Examples
    --------
    >>> h = find_handoffs(load_event_log("sample_logs/council_permits.csv"), level="role")
    >>> int(handoff_matrix(h, level="role").loc["Assessment", "Highways"])
    949
    """
    if value not in _MATRIX_VALUES:
        raise AnalysisError(f"value must be one of {', '.join(map(repr, _MATRIX_VALUES))}, not {value!r}.")
    pairs = _level_pairs(handoffs, level, value)
    order = _performer_order(pairs)
    m = pairs.pivot(index="source", columns="target", values=value).reindex(index=order, columns=order)
    # No handover between two performers: zero of every count, but no delay at all (not a zero delay).
    m = m.astype("float64") if value == "delay_hours_median" else m.fillna(0).astype("int64")
    m.index.name, m.columns.name = "source", "target"
    return m


def plot_handoff_network(
    handoffs: pd.DataFrame,
    *,
    level: Literal["resource", "role", "system"],
    top: int | None = 40,
) -> graphviz.Digraph:
    """Draw the handover-of-work network of one level: who passes work to whom.

    Performers are the nodes, labelled with the handovers they send and receive; an edge per pair, as
    wide as its share of handovers and labelled with its count and median delay. Failing pairs
    (:func:`find_handoffs`, ping-pong) are red; every edge names what stands out on it ("ping-pong", "slow").

    Parameters
    ----------
    handoffs : pandas.DataFrame
        The table returned by :func:`find_handoffs`, possibly several levels concatenated. Not modified.
    level : {"resource", "role", "system"}
        The level to draw; it must be present in ``handoffs``.
    top : int or None, default 40
        Draw the ``top`` most frequent pairs plus every failing pair; ``None`` draws all. The title
        says how many pairs are hidden.

    Returns
    -------
    graphviz.Digraph
        Every name is escaped and nodes get synthetic ids (``p0``, ``p1``, ...), so names cannot inject
        markup into the graph or the SVG.

    Raises
    ------
    AnalysisError
        When ``level`` is not present in ``handoffs`` (the message lists the levels that are), when
        ``top`` is negative, or when ``handoffs`` lacks a needed column.

    See Also
    --------
    handoff_matrix, plot_handoff_matrix, find_handoff_cases

    References
    ----------
    van der Aalst, Reijers & Song (2005), "Discovering social networks from event logs", Computer
    Supported Cooperative Work 14(6), pp. 549-593 (the handover-of-work network).
    """
    if top is not None and top < 0:
        raise AnalysisError(f"top must be a non-negative number of pairs or None, not {top!r}.")
    pairs = _level_pairs(handoffs, level, "delay_hours_median", "failing", "failure")
    pairs = pairs.sort_values(["count", "source", "target"], ascending=[False, True, True])
    failing = pairs["failing"].fillna(False).astype(bool).to_numpy()
    frequent = np.arange(len(pairs)) < (len(pairs) if top is None else top)
    shown = pairs[frequent | failing]
    hidden = len(pairs) - len(shown)

    sent = pairs.groupby("source")["count"].sum()
    received = pairs.groupby("target")["count"].sum()
    on_edges = set(shown["source"]) | set(shown["target"])
    performers = [p for p in _performer_order(pairs) if p in on_edges]
    ids = {p: f"p{i}" for i, p in enumerate(performers)}

    # Top to bottom: a chain of teams drawn left to right was a strip many times wider than tall, which
    # the app shrank to the page's width until its labels were 6 px high.
    g = styled_digraph("handoff_network", rankdir="TB")
    n_failing = int(failing.sum())
    total = int(pairs["count"].sum())
    title = (
        f"Handoffs between {_LEVEL_NOUNS.get(level, level)}: {_n(len(pairs), 'pair')}, "
        f"{_n(total, 'handover')}"
        + (f", {n_failing:,} failing (red)" if n_failing else "")
        + (f" ({_n(hidden, 'rarer pair')} hidden)" if hidden else "")
    )
    g.attr(label=html_label(title, bold_first=False), labelloc="t")
    for p in performers:
        out, into = int(sent.get(p, 0)), int(received.get(p, 0))
        g.node(ids[p], label=html_label(p, f"sends {out:,} · receives {into:,}"))
    top_count = max(1, int(shown["count"].max())) if len(shown) else 1
    for e in shown.itertuples():
        text = [f"{e.count:,}", humanize_hours(e.delay_hours_median)]
        attrs = {"color": "#555555"}
        if e.failure:
            text.append(str(e.failure))
        if e.failing:
            attrs = {"color": _FAIL_COLOUR, "fontcolor": _FAIL_COLOUR}
        g.edge(
            ids[e.source],
            ids[e.target],
            label=html_label(*text, bold_first=False),
            penwidth=f"{0.6 + 4.4 * e.count / top_count:.2f}",
            **attrs,
        )
    return g


def plot_handoff_matrix(
    handoffs: pd.DataFrame,
    *,
    level: Literal["resource", "role", "system"],
    value: Literal["count", "cases", "ping_pong_cases", "delay_hours_median"] = "count",
) -> go.Figure:
    """A heatmap of :func:`handoff_matrix`: rows hand work over ("from"), columns receive it ("to").

    Parameters
    ----------
    handoffs : pandas.DataFrame
        The table returned by :func:`find_handoffs`, possibly several levels concatenated. Not modified.
    level : {"resource", "role", "system"}
    value : {"count", "cases", "ping_pong_cases", "delay_hours_median"}, default "count"
        As in :func:`handoff_matrix`.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap trace: ``z`` the matrix (hours for the delay), ``x`` the targets, ``y`` the sources
        (the busiest performer on top), and each cell's value written in it (counts with thousands
        separators, delays in a human unit; empty where no work passes). Names are HTML-escaped, since
        plotly renders some tags in labels.

    Raises
    ------
    AnalysisError
        As :func:`handoff_matrix`.
    """
    m = handoff_matrix(handoffs, level=level, value=value)
    if value == "delay_hours_median":
        text = [[humanize_hours(v) if pd.notna(v) else "" for v in row] for row in m.to_numpy()]
    else:
        text = [[f"{v:,}" if v else "" for v in row] for row in m.to_numpy().tolist()]
    names = [html.escape(str(p)) for p in m.index]
    what = _MATRIX_VALUES[value]
    fig = go.Figure(
        go.Heatmap(
            z=m.to_numpy(dtype="float64"),
            x=names,
            y=names,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": {"text": what}},
            hovertemplate=f"from %{{y}} to %{{x}}: %{{text}} ({html.escape(what)})<extra></extra>",
            hoverongaps=False,
        )
    )
    fig.update_layout(
        title=f"Handoffs between {_LEVEL_NOUNS.get(level, level)}: {what}",
        xaxis={"title": {"text": "to"}, "side": "top", "type": "category"},
        yaxis={"title": {"text": "from"}, "autorange": "reversed", "type": "category"},
        height=200 + 28 * len(names),
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
    )
    return escape_figure(fig)


def find_handoff_cases(
    log: EventLog,
    *,
    level: Literal["resource", "role", "system"],
    source: str,
    target: str,
    top: int = 10,
) -> pd.DataFrame:
    """Example cases in which work passes from ``source`` to ``target``: the ones to open first.

    Computed in the engine from the handovers of the log (:func:`analysis.queries.handoffs.handovers`),
    with the same definitions as :func:`find_handoffs`.

    Parameters
    ----------
    log : EventLog
    level : {"resource", "role", "system"}
        As in :func:`find_handoffs`.
    source, target : str
        The performers (resources, roles or systems) handing over and receiving.
    top : int, default 10
        At most this many cases.

    Returns
    -------
    pandas.DataFrame
        One row per case, ping-pong cases first, then by ``handovers`` (most first), ``delay_hours_max``
        (longest first) and ``case_id``: ``case_id`` (str), ``handovers`` (int64, handovers from
        ``source`` to ``target`` in the case), ``ping_pong`` (bool, whether any of them is a ping-pong),
        ``delay_hours_max`` (float, hours: the longest of their delays), ``first_handover``
        (datetime64[ns, UTC]: the completion of the source event of the first of them). Empty (with
        these columns) when the two never hand over in that direction.

    Raises
    ------
    AnalysisError
        When ``level`` is not "resource", "role" or "system"; when the log has no such column; when
        ``source`` or ``target`` is not a performer of the log at that level; when ``top`` is
        negative.

    See Also
    --------
    find_handoffs, plot_handoff_network

    References
    ----------
    van der Aalst, Reijers & Song (2005), "Discovering social networks from event logs", Computer
    Supported Cooperative Work 14(6), pp. 549-593 (handover of work).

    Examples
    --------
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> cases = find_handoff_cases(log, level="role", source="Assessment", target="Highways")
    >>> bool(cases["ping_pong"].iloc[0])
    True
    """
    if level not in LEVEL_COLUMNS:
        raise AnalysisError(f"level must be one of {', '.join(map(repr, LEVEL_COLUMNS))}, not {level!r}.")
    if top < 0:
        raise AnalysisError(f"top must be a non-negative number of cases, not {top!r}.")
    col = LEVEL_COLUMNS[level]
    present = {"resource": log.has_resources, "role": log.has_roles, "system": log.has_systems}[level]
    if not present:
        what = "names no source systems (it is not a merged log)" if level == "system" else "names none"
        raise AnalysisError(
            f"The log has no {col!r} column (or it {what}), so it has no handoffs at level {level!r}; "
            "choose another level, or map that column when loading the log."
        )
    tables = log.tables()
    h = handover_table(log, level)
    o = tables.ordered
    h = h.filter((h.source == source) & (h.target == target))
    # The source event's completion is the receiving event's predecessor completion: one join, no
    # change to the handovers table.
    j = h.join(o.select(CASE_ID, "pos", "prev_t_us"), [CASE_ID, "pos"])
    per_case = j.group_by(CASE_ID).aggregate(
        handovers=j.count(),
        ping_pong=j.ping_pong.any(),
        delay_hours_max=hours(j.delay_us).max(),
        first_us=j.prev_t_us.argmin(j.pos),
    )
    query = per_case.order_by(
        [
            ibis.desc("ping_pong"),
            ibis.desc("handovers"),
            ibis.desc("delay_hours_max"),
            ibis.asc(CASE_ID),
        ]
    ).limit(top)
    r = execute(query)
    if r.empty:
        _check_performers(tables.events, col, level, source, target)
    return pd.DataFrame(
        {
            CASE_ID: r[CASE_ID].astype(str).astype(object),
            "handovers": r["handovers"].astype("int64"),
            "ping_pong": r["ping_pong"].astype(bool),
            "delay_hours_max": r["delay_hours_max"].astype("float64"),
            "first_handover": pd.to_datetime(r["first_us"].astype("int64"), unit="us", utc=True).astype(
                "datetime64[ns, UTC]"
            ),
        }
    )


def _check_performers(events, col: str, level: str, source: str, target: str) -> None:
    """Raise when ``source`` or ``target`` names no performer of the log (only run when nothing matched)."""
    names = execute(events.select(name=events[col]).filter(lambda t: t.name.notnull()).distinct())["name"]
    known = set(names)
    unknown = [p for p in (source, target) if p not in known]
    if unknown:
        listed = sorted(known)
        shown = ", ".join(map(repr, listed[:20])) + (
            f" and {len(listed) - 20:,} more" if len(listed) > 20 else ""
        )
        raise AnalysisError(
            f"No {level} named {' or '.join(map(repr, unknown))} in the log; its {_LEVEL_NOUNS[level]} "
            f"are: {shown}."
        )


# --- Handover of work at every level (van der Aalst, Reijers & Song 2005) -----------------------------

#: The levels at which work changes hands: a person or system, a role or team, a source system of a
#: merged log, or the type of performer (human, system, bot, external).
NETWORK_LEVELS = ("resource", "role", "system", "type")


@dataclass(frozen=True)
class HandoverNetwork:
    """The handover-of-work metric per pair of performers.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per (source, target) pair of different performers, largest value first: ``level``
        (str), ``source``, ``target`` (str), ``handovers`` (float: the summed weights; for direct
        handovers counted per transfer, the number of times ``target`` directly follows ``source``),
        ``transfers`` (int64: occurrences within the depth, unweighted), ``cases`` (int64),
        ``value`` (float: ``handovers`` / ``normaliser``, the metric of the paper; the values of all
        pairs, self pairs included, add up to 1 per transfer).
    level, per : str
    indirect : bool
    fall_factor : float
    depth : int or None
        The causality depth (1 for direct handovers; None = every later event of the case).
    normaliser : float
        The denominator: the summed weights of every position pair (per transfer) or of every case and
        distance (per case), self pairs included.
    """

    pairs: pd.DataFrame
    level: str
    per: str
    indirect: bool
    fall_factor: float
    depth: int | None
    normaliser: float

    def to_frame(self) -> pd.DataFrame:
        """The pairs (a copy)."""
        return self.pairs.copy()

    def matrix(self) -> pd.DataFrame:
        """Source x target matrix of ``value`` (0 where no work passes), performers sorted by name."""
        names = sorted(set(self.pairs["source"]) | set(self.pairs["target"]))
        m = self.pairs.pivot(index="source", columns="target", values="value").reindex(
            index=names, columns=names
        )
        return m.fillna(0.0)

    def plot(self):
        """A plotly heatmap of :meth:`matrix`."""
        m = self.matrix()
        names = [html.escape(str(p)) for p in m.index]
        fig = go.Figure(
            go.Heatmap(
                z=m.to_numpy(dtype="float64"),
                x=names,
                y=names,
                colorscale="Blues",
                hovertemplate="from %{y} to %{x}: %{z:.4f}<extra></extra>",
            )
        )
        kind = "indirect" if self.indirect else "direct"
        fig.update_layout(
            title=(
                f"Handover of work between {_LEVEL_NOUNS.get(self.level, self.level)} "
                f"({kind}, per {self.per})"
            ),
            xaxis={"title": {"text": "to"}, "side": "top", "type": "category"},
            yaxis={"title": {"text": "from"}, "autorange": "reversed", "type": "category"},
            height=200 + 28 * len(names),
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        kind = f"indirect, fall factor {self.fall_factor:g}" if self.indirect else "direct"
        return f"<b>Handover of work ({html.escape(self.level)}, {kind}, per {html.escape(self.per)})</b>" + (
            self.pairs.head(50).to_html(index=False, escape=True)
        )


def _level_performers(
    log: EventLog, level: str, performers: Performers | None
) -> tuple[ir.Table, str, pd.DataFrame | None]:
    """The performer events of ``log`` at ``level``, the name to materialise under, and the types used."""
    _check_level(log, level)
    o = log.tables().ordered
    if level != "type":
        return performer_events(o, LEVEL_COLUMNS[level]), level, None
    base = "resource" if log.has_resources else "role"
    types = performer_types(log, level=base, performers=performers)
    mapping = ibis.memtable(pd.DataFrame({"key": types["performer"].astype(str), "performer": types["type"]}))
    digest = hashlib.sha1(
        "\n".join(
            f"{p}\t{t}" for p, t in sorted(zip(types["performer"], types["type"], strict=True))
        ).encode()
    ).hexdigest()[:12]
    return performer_events(o, LEVEL_COLUMNS[base], mapping), f"type_{digest}", types


def _check_level(log: EventLog, level: str) -> None:
    if level not in NETWORK_LEVELS:
        raise AnalysisError(f"level must be one of {', '.join(map(repr, NETWORK_LEVELS))}, not {level!r}.")
    present = {
        "resource": log.has_resources,
        "role": log.has_roles,
        "system": log.has_systems,
        "type": log.has_resources or log.has_roles,
    }[level]
    if not present:
        what = {
            "resource": "names no resources",
            "role": "names no roles (discover them with analysis.discover_roles)",
            "system": "is not a merged log of several source systems (level='type' gives performer types)",
            "type": "names neither resources nor roles",
        }[level]
        raise AnalysisError(
            f"The log {what}, so it has no handovers at level {level!r}; choose another level."
        )


def handover_network(
    log: EventLog,
    *,
    level: Literal["resource", "role", "system", "type"] = "resource",
    indirect: bool = False,
    fall_factor: float = 0.5,
    depth: int | None = None,
    per: Literal["transfer", "case"] = "transfer",
    performers: Performers | None = None,
) -> HandoverNetwork:
    """The handover-of-work metric of van der Aalst, Reijers & Song (2005) between performers.

    Work is handed over from performer *i* to performer *j* when an event of *j* follows an event of *i*
    in a case. **Direct** handovers (``indirect=False``, causality depth 1) count each event that
    directly follows one of another performer. **Indirect** handovers also count later events: an event
    ``n`` positions after one of *i* (``n <= depth``; every later event when ``depth`` is None) counts
    ``fall_factor ** (n - 1)``. Counted **per transfer**, every occurrence counts; **per case**, a pair
    counts once per case and distance ("ignoring multiple transfers within one instance"). The metric
    divides by the summed weights of all position pairs (per transfer) or of all cases and distances
    (per case), self pairs included, as in the paper and in pm4py; self-handovers (a performer to
    itself) are then left out of the rows. Events without a performer hand nothing over and receive
    nothing, but keep their position (two performers on both sides of one are at distance 2).

    Per transfer, the values equal ``pm4py.discover_handover_of_work_network(log, beta=0)`` (direct)
    and ``beta=fall_factor`` with ``depth=None`` (indirect) for every pair of different performers
    (pm4py counts the distance-``n`` successions with weight ``beta ** (n - 1)`` over the whole case,
    and ``beta=0`` for direct succession). pm4py has no per-case variant.

    Parameters
    ----------
    log : EventLog
    level : {"resource", "role", "system", "type"}, default "resource"
        Performers, roles (teams), source systems of a merged log, or performer types
        (:func:`analysis.classify_performers`: human, system, bot, external).
    indirect : bool, default False
    fall_factor : float, default 0.5
        β in (0, 1] for indirect handovers (ignored when direct).
    depth : int or None, default None
        Largest distance for indirect handovers (None: the whole case). Cost grows with the square of
        the case length when None.
    per : {"transfer", "case"}, default "transfer"
    performers : Performers, optional
        The classification for ``level="type"`` (computed when not given).

    Returns
    -------
    HandoverNetwork

    Raises
    ------
    AnalysisError
        When ``level`` or ``per`` is unknown, the log has no performers at ``level``, ``fall_factor`` is
        not in (0, 1] for indirect handovers, or ``depth`` is not a positive integer.

    References
    ----------
    van der Aalst, Reijers & Song (2005), "Discovering social networks from event logs", Computer
    Supported Cooperative Work 14(6), pp. 549-593, §4.1 (handover of work: causality depth, fall
    factor, multiple transfers within one instance).

    Examples
    --------
    >>> net = handover_network(load_event_log("sample_logs/council_permits.csv"), level="role")
    >>> row = net.pairs.set_index(["source", "target"]).loc[("Assessment", "Highways")]
    >>> int(row["handovers"])
    949
    """
    if per not in ("transfer", "case"):
        raise AnalysisError(f"per must be 'transfer' or 'case', not {per!r}.")
    if indirect and not (0 < fall_factor <= 1):
        raise AnalysisError(f"fall_factor must be in (0, 1] for indirect handovers, not {fall_factor!r}.")
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise AnalysisError(f"depth must be a positive integer or None, not {depth!r}.")
    pe, _, _ = _level_performers(log, level, performers)
    d = depth if indirect else 1
    beta = float(fall_factor) if indirect else 1.0
    raw = execute(network_pairs(pe, depth=d, fall_factor=beta, per_case=per == "case"))
    if per == "case":
        normaliser = float(execute(network_normaliser(pe, depth=d, fall_factor=beta)).iloc[0, 0] or 0.0)
    else:
        normaliser = float(raw["weight"].sum())
    raw = raw[(raw["source"] != raw["target"]) & (raw["weight"] > 0)].copy()
    raw["value"] = raw["weight"] / normaliser if normaliser else np.nan
    pairs = pd.DataFrame(
        {
            "level": level,
            "source": raw["source"].astype(str),
            "target": raw["target"].astype(str),
            "handovers": raw["weight"].astype("float64"),
            "transfers": raw["transfers"].astype("int64"),
            "cases": raw["cases"].astype("int64"),
            "value": raw["value"].astype("float64"),
        }
    )
    pairs = pairs.sort_values(["value", "source", "target"], ascending=[False, True, True], ignore_index=True)
    return HandoverNetwork(pairs, level, per, bool(indirect), beta if indirect else 0.0, d, normaliser)


# --- Failure patterns of handoffs ----------------------------------------------------------------------

#: The patterns a handoff failure can have, in the order of the documentation.
FAILURE_PATTERNS = ("ping-pong", "rework", "dropped-baton", "escalation-bounce")
#: A pattern between one pair (one step) becomes a finding in at least this many cases.
FINDING_MIN_CASES = 3
#: Example case ids per finding.
MAX_EXAMPLES = 5
#: Per-instance detail tables keep at most this many rows (the most hours lost first).
DETAIL_MAX_ROWS = 5000

#: Dropped baton: a wait beyond the pair's Q3 + FAR_OUT x IQR of ln(1 + hours) (Tukey's "far out"
#: fence on the log scale) ...
FAR_OUT = 3.0
#: ... and beyond this many hours (longer than a weekend: Friday 17:00 to Monday 09:00 is 64 h) ...
MIN_DROPPED_HOURS = 72.0
#: ... on a pair with at least this many handovers (quartiles of fewer are not a usual delay) ...
MIN_PAIR_HANDOVERS = 20
#: ... while at least this share of the cases that reached the same receiver for the same step during
#: the wait were picked up first: the receiver was at work, not clearing a queue in order ...
OVERTAKEN_SHARE = 0.5
#: ... and at least this many such cases arrived (one or two cases served first show little).
MIN_ARRIVALS = 3

# A bounce (work goes from its owner to another performer and straight back, where the owner redoes it)
# is rework after a handoff when the step that sent it, or the step that received it, is a check or a
# correction; otherwise a ping-pong. Words matched as in analysis.performers (split names, lower case).
#: Words of a step that checks work (and may send it back).
CHECK_WORDS = (
    "review", "reviews", "check", "checks", "verify", "verification", "approve", "approval", "validate",
    "validation", "inspect", "inspection", "audit", "control", "qa", "quality", "test", "toets", "toetsen",
    "controle", "controleren", "valideren", "beoordelen", "goedkeuren", "verificare", "verifica",
    "controllo", "revisione", "approvazione", "collaudo",
)  # fmt: skip
#: Words of a step that corrects work sent back.
CORRECTION_WORDS = (
    "revise", "revision", "rework", "correct", "correction", "amend", "amendment", "fix", "fixed", "redo",
    "resubmit", "resubmitted", "repair", "adjust", "adjustment", "reject", "rejected", "refuse", "refused",
    "herstel", "herstellen", "corrigeren", "correctie", "aanpassen", "aanvullen", "afgekeurd", "afwijzen",
    "correggere", "correzione", "rettifica", "respinto", "rifiutato", "modifica",
)  # fmt: skip

#: Names (case and ``_ -:.`` ignored) of a column holding the support line or level of each event.
ESCALATION_NAMES = (
    "line", "level", "tier", "supportline", "supportlevel", "supporttier", "escalationlevel",
    "escalationline", "lijn", "niveau", "supportniveau", "livello", "linea",
)  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "eerste": 1, "tweede": 2, "derde": 3,
    "vierde": 4, "primo": 1, "secondo": 2, "terzo": 3, "quarto": 4, "prima": 1, "seconda": 2, "terza": 3,
}  # fmt: skip
_LEVEL_VALUE = re.compile(
    r"(?:l|lvl|level|tier|line|t|n|niveau|lijn|livello|linea)?\s*[-_ ]?\s*(\d{1,2})\s*"
    r"(?:st|nd|rd|th|e|de|ste|°|º|o|a)?\s*(?:line|level|tier|lijn|niveau|livello|linea|support)?"
)


def level_rank(value: str) -> int | None:
    """The support level a value names (``"2nd line"``, ``"L2"``, ``"Tier 2"``, ``"second level"``, ``"2"``).

    Returns
    -------
    int or None
        The level (1 = first line), or None when the value names no level.

    Examples
    --------
    >>> [level_rank(v) for v in ("1st line", "L2", "Tier 3", "tweede lijn", "Value 2", "Service desk")]
    [1, 2, 3, 2, None, None]
    """
    v = str(value).strip().lower()
    m = _LEVEL_VALUE.fullmatch(v)
    if m:
        return int(m.group(1))
    words = re.findall(r"[a-z]+", v)
    if (
        words
        and words[0] in _ORDINALS
        and all(
            w in ("line", "level", "tier", "lijn", "niveau", "livello", "linea", "support") for w in words[1:]
        )
    ):
        return _ORDINALS[words[0]]
    return None


def _column_values(log: EventLog, column: str, limit: int | None = None) -> list[str]:
    """The distinct non-missing values of an event-table column as text (sorted), from the engine;
    at most ``limit`` of them when given (enough to tell that a column has too many)."""
    t = log.table()
    v = t.select(v=text_value(t[column]))
    q = v.filter(v.v.notnull()).distinct()
    if limit is not None:
        q = q.order_by("v").limit(int(limit))
    return sorted(execute(q)["v"].astype(str))


def _escalation_ranks(log: EventLog, column: str | None, order: list[str] | None) -> tuple[str | None, dict]:
    """The column holding the support level and the rank of each of its values (empty when none)."""
    columns = log.columns
    if column is not None:
        if column not in columns:
            raise AnalysisError(
                f"`escalation_column` {column!r} is not a column of the log; its columns are "
                f"{', '.join(map(repr, columns))}."
            )
        values = _column_values(log, column)
        if order is not None:
            missing = [v for v in values if v not in order]
            if missing:
                raise AnalysisError(
                    f"`escalation_order` lacks the value(s) {', '.join(map(repr, missing[:10]))} of "
                    f"{column!r}; list every value, lowest line first."
                )
            return column, {v: order.index(v) + 1 for v in values}
        ranks = {v: level_rank(v) for v in values}
        bad = [v for v, r in ranks.items() if r is None]
        if bad:
            raise AnalysisError(
                f"The values {', '.join(map(repr, bad[:10]))} of `escalation_column` {column!r} name no "
                "support level; list them in `escalation_order`, lowest line first."
            )
        return column, ranks
    if order is not None:
        raise AnalysisError(
            "`escalation_order` needs `escalation_column`: the column whose values it orders."
        )
    norm = lambda c: re.sub(r"[\s_\-:.]", "", str(c).lower())  # noqa: E731
    candidates = [ROLE] if log.has_roles else []
    candidates += [c for c in columns if c not in (ROLE, RESOURCE) and norm(c) in ESCALATION_NAMES]
    for c in candidates:
        values = _column_values(log, c, limit=11)
        if not 2 <= len(values) <= 10:
            continue
        ranks = {v: level_rank(v) for v in values}
        if all(r is not None for r in ranks.values()) and len(set(ranks.values())) >= 2:
            return c, ranks
    return None, {}


FAILURE_COLUMNS = [
    "rank",
    "pattern",
    "level",
    "source",
    "target",
    "after_activity",
    "activity",
    "count",
    "cases",
    "share_of_cases",
    "hours_lost",
    "hours_lost_median",
    "wait_hours_p90",
    "example_cases",
    "description",
]
ACTIVITY_ROLE_COLUMNS = [
    "activity",
    "events",
    "cases",
    "ping_pong_cases",
    "rework_sent_back_cases",
    "rework_redone_cases",
    "rework_receiver_cases",
    "dropped_after_cases",
    "dropped_received_cases",
    "escalated_after_cases",
    "request_cases",
    "response_cases",
    "own_failure_cases",
    "own_failure_share",
]


@dataclass(frozen=True)
class HandoffFailures:
    """Handoffs that fail, ranked by the hours they cost, with the detail behind each pattern.

    Attributes
    ----------
    failures : pandas.DataFrame
        One row per finding, most hours lost first (see :func:`find_handoff_failures` for each pattern):
        ``rank`` (int64, 1 = most hours lost), ``pattern`` (str: ``"ping-pong"``, ``"rework"``,
        ``"dropped-baton"`` or ``"escalation-bounce"``), ``level`` (str), ``source``, ``target`` (str:
        the failing handoff goes from ``source`` to ``target``), ``after_activity`` (str: the step after
        which it happens, the most frequent one), ``activity`` (str: the step that receives it),
        ``count`` (int64: occurrences), ``cases`` (int64), ``share_of_cases`` (float: of all cases of
        the log), ``hours_lost`` (float, hours, summed over the occurrences), ``hours_lost_median``
        (float, hours per occurrence), ``wait_hours_p90`` (float, hours: the p90 of the waits of every
        handover from ``source`` to ``target`` at ``level``, the basis of an SLA timer on that handoff;
        NaN when they are not performers at ``level``, as for escalation bounces read from a separate
        support-level column), ``example_cases``
        (list of str: at most 5 case ids, most hours lost first), ``description`` (str: one sentence
        with the figures).
    ping_pong, rework_after_handoff : pandas.DataFrame
        One row per bounce (at most :data:`DETAIL_MAX_ROWS`, longest round trip first): ``case_id``,
        ``owner`` (whose work comes back and is redone), ``other`` (who sends it back),
        ``after_activity`` (the owner's step after which the case left), ``activity`` (the other's first
        step), ``returned_after`` (the other's last step), ``returned_to`` (the owner's first step on
        return), ``redone_activity`` (str), ``round_trip_hours``, ``back_wait_hours`` (float, hours).
    request_response : pandas.DataFrame
        Waiting on outside parties (not failures), one row per (requester, party, request step), most
        hours first: ``requester``, ``party``, ``request_activity``, ``response_activity`` (the most
        frequent), ``requests``, ``cases`` (int64), ``share_of_cases`` (float), ``waiting_hours_total``,
        ``waiting_hours_median`` (float: from the request to the response), ``pickup_hours_median``
        (float: from the response to the next step, NaN when none), ``returned_share`` (float: picked
        up by the requester), ``example_cases`` (list of str).
    dropped_batons : pandas.DataFrame
        One row per dropped baton (at most :data:`DETAIL_MAX_ROWS`, most hours lost first): ``case_id``,
        ``source``, ``target``, ``after_activity``, ``activity`` (str), ``handed_over``, ``picked_up``
        (datetime64[ns, UTC]), ``wait_hours``, ``usual_hours`` (the pair's median),
        ``threshold_hours``, ``hours_lost`` (``wait_hours - usual_hours``) (float), ``arrived``,
        ``overtook`` (int64: cases that reached the same receiver for the same step during the wait,
        and those of them picked up first).
    escalations : pandas.DataFrame
        One row per (from level, to level) move up, most first: ``from_level``, ``to_level`` (str),
        ``escalations``, ``cases``, ``returned``, ``bounced`` (int64: returned and redone below or
        escalated again), ``hours_at_higher_median`` (float). Empty without a support-level column.
    chains : pandas.DataFrame
        One row per number of performers a closed case crosses: ``performers`` (int64), ``cases``
        (int64), ``cycle_hours_median``, ``cycle_hours_p90``, ``cycle_hours_geomean`` (float).
    chain_fit : dict
        How cycle time grows with the performers a case crosses: ``method`` (str), ``cases`` (int),
        ``slope`` (float: change of ln cycle hours per extra performer), ``ci_low``, ``ci_high`` (95 %),
        ``factor``, ``factor_low``, ``factor_high`` (float: ``exp`` of those: the cycle time multiplies
        by ``factor`` per extra performer), ``intercept``, ``r2`` (float), ``performers_min``,
        ``performers_max`` (int), ``zero_cycle_cases`` (int: left out, ln 0 undefined); values None
        when it cannot be fitted (``reason`` says why).
    activity_roles : pandas.DataFrame
        One row per activity: its **own** part in failing handoffs (see :func:`find_handoff_failures`):
        ``activity``, ``events``, ``cases``, ``ping_pong_cases``, ``rework_sent_back_cases``,
        ``rework_redone_cases``, ``rework_receiver_cases``, ``dropped_after_cases``,
        ``dropped_received_cases``, ``escalated_after_cases``, ``request_cases``, ``response_cases``,
        ``own_failure_cases`` (int64), ``own_failure_share`` (float: of the activity's cases).
    level : str
    performer_types : pandas.DataFrame
        ``performer``, ``type``, ``basis``: the types used at ``level`` (a copy).
    escalation_column : str or None
        The column read as the support level, when there is one.
    notes : list of str
    thresholds : dict
        A copy of the constants used.
    """

    failures: pd.DataFrame
    ping_pong: pd.DataFrame
    rework_after_handoff: pd.DataFrame
    request_response: pd.DataFrame
    dropped_batons: pd.DataFrame
    escalations: pd.DataFrame
    chains: pd.DataFrame
    chain_fit: dict
    activity_roles: pd.DataFrame
    level: str
    performer_types: pd.DataFrame
    escalation_column: str | None = None
    notes: list = field(default_factory=list)
    thresholds: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The ranked failures (a copy)."""
        return self.failures.copy()

    def plot(self, top: int = 10):
        """A plotly bar chart of the hours lost by the ``top`` failures, coloured by pattern."""
        import plotly.express as px

        d = self.failures.head(top).iloc[::-1].copy()
        d["finding"] = [
            html.escape(f"{p}: {s} → {t} after {a}")
            for p, s, t, a in zip(d["pattern"], d["source"], d["target"], d["after_activity"], strict=True)
        ]
        fig = px.bar(
            d,
            x="hours_lost",
            y="finding",
            color="pattern",
            orientation="h",
            hover_data=["cases", "share_of_cases", "count"],
            category_orders={"pattern": list(FAILURE_PATTERNS)},
            labels={"hours_lost": "Hours lost", "finding": ""},
            title="Handoffs that fail, by hours lost",
        )
        fig.update_layout(height=140 + 30 * len(d), margin={"l": 10, "r": 10, "t": 40, "b": 10})
        return escape_figure(fig)

    def plot_chains(self):
        """A plotly chart: median and p90 cycle time per number of performers crossed, with the fit."""
        c = self.chains
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(x=c["performers"], y=c["cycle_hours_median"], mode="markers+lines", name="median")
        )
        fig.add_trace(go.Scatter(x=c["performers"], y=c["cycle_hours_p90"], mode="markers", name="p90"))
        f = self.chain_fit
        if f.get("slope") is not None and len(c):
            xs = np.linspace(float(c["performers"].min()), float(c["performers"].max()), 50)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=np.exp(f["intercept"] + f["slope"] * xs),
                    mode="lines",
                    name=(
                        f"fit: ×{f['factor']:.2f} per performer "
                        f"(95% {f['factor_low']:.2f}–{f['factor_high']:.2f})"
                    ),
                )
            )
        fig.update_layout(
            title="Cycle time by the number of performers a case crosses",
            xaxis={"title": {"text": f"{_LEVEL_NOUNS.get(self.level, self.level)} crossed"}, "dtick": 1},
            yaxis={"title": {"text": "cycle time (hours)"}, "type": "log"},
            height=420,
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        cols = [
            "rank",
            "pattern",
            "source",
            "target",
            "after_activity",
            "cases",
            "share_of_cases",
            "hours_lost",
        ]
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        f = self.chain_fit
        chain = (
            f"<p>Each extra {html.escape(self.level)} crossed multiplies the cycle time by {f['factor']:.2f} "
            f"(95% CI {f['factor_low']:.2f}–{f['factor_high']:.2f}, {f['cases']:,} closed cases).</p>"
            if f.get("slope") is not None
            else ""
        )
        return (
            f"<b>Handoff failures ({html.escape(self.level)} level)</b>"
            + self.failures[cols].head(20).to_html(index=False, escape=True)
            + chain
            + (f"<ul>{notes}</ul>" if notes else "")
        )


def _digest(*parts) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:12]


def _vocabulary_activities(activities, *vocabularies) -> list[str]:
    out = []
    for a in activities:
        w = name_words(a)
        if any(vocabulary_term(w, v) for v in vocabularies):
            out.append(a)
    return out


def _summary(inst: ir.Table, keys: list[str], hours_col: str) -> pd.DataFrame:
    """Per key: count, cases, hours lost (sum, median) and up to MAX_EXAMPLES case ids, most hours first."""
    h = hours(inst[hours_col])
    agg = inst.group_by(keys).aggregate(
        count=inst.count(), cases=inst[CASE_ID].nunique(), hours_lost=h.sum(), hours_lost_median=h.median()
    )
    per_case = inst.group_by([*keys, CASE_ID]).aggregate(h=hours(inst[hours_col]).sum())
    w = ibis.window(group_by=[per_case[k] for k in keys], order_by=[ibis.desc(per_case.h), per_case[CASE_ID]])
    ranked = per_case.mutate(rn=ibis.row_number().over(w))
    ranked = ranked.filter(ranked.rn < MAX_EXAMPLES)
    ex = ranked.group_by(keys).aggregate(example_cases=ranked[CASE_ID].collect(order_by=ranked.rn))
    out = execute(agg.join(ex, keys))
    out["example_cases"] = out["example_cases"].map(lambda v: [str(x) for x in v])
    return out


def _top_steps(inst: ir.Table, keys: list[str], steps: list[str]) -> pd.DataFrame:
    """Per key: the most frequent combination of ``steps`` (ties to the names in order), and all of them."""
    g = execute(inst.group_by([*keys, *steps]).aggregate(n=inst.count()))
    g = g.sort_values([*keys, "n", *steps], ascending=[True] * len(keys) + [False] + [True] * len(steps))
    return g.drop_duplicates(keys)[[*keys, *steps]]


def _detail(inst: ir.Table, order: str, columns: dict) -> pd.DataFrame:
    q = inst.order_by([ibis.desc(order), CASE_ID]).limit(DETAIL_MAX_ROWS)
    d = execute(q.select(**columns))
    return d


def find_handoff_failures(
    log: EventLog,
    *,
    level: Literal["resource", "role", "system", "type"] | None = None,
    performers: Performers | None = None,
    escalation_column: str | None = None,
    escalation_order: list[str] | None = None,
    min_wait_hours: float = MIN_DROPPED_HOURS,
    far_out: float = FAR_OUT,
) -> HandoffFailures:
    """Find the handoffs that fail, rank them by the hours they cost, and show each step's own part.

    Work changes hands when a case moves from one performer's **stint** (a run of consecutive events by
    the same performer at ``level``) to another's; events without a performer break the chain. Outside
    parties are the performers typed ``external`` (:func:`analysis.classify_performers`; at the role
    level a role takes the type of most of its events).

    **Bounce** (ping-pong or rework): a stint of performer Q whose previous stint is of another
    performer P and the one before of Q again (Q → P → Q), in which Q redoes a step it already did in
    the case. The case went from Q to P and straight back, and the work is redone. A bounce with an
    outside party is a request and its response, not a failure. It is **rework after a handoff** when
    the step after which the case left Q, or P's first step, checks or corrects work
    (:data:`CHECK_WORDS`, :data:`CORRECTION_WORDS`: review fails → revise → review); otherwise a
    **ping-pong** (work bouncing without a quality gate: queries, misrouting). The order of events
    alone cannot tell the two apart (both are Q → P → Q with Q's step redone); the names of the steps
    do. A ping-pong is work bounced between people or teams: a bounce through a system or a bot
    (typed ``system`` or ``bot``) without a check or correction step is left out (counted in
    ``notes``), since a machine repeating its step is routine (a lab system posting the daily blood
    values of a patient on a ward, a fee recalculated); rework through a machine's check is kept.
    Hours lost: the round trip, from the completion of Q's step to Q's restart. Ping-pong findings
    are per pair of performers (both directions together), rework findings per (Q, P).

    **Request–response with an outside party**: an internal stint followed by an external one; reported
    in ``request_response`` as time waiting on the outside party (request completed → response
    completed), never as a failure.

    **Dropped baton**: a handover whose wait (completion of the source's last event → start of the
    target's first) exceeds both the far-out fence of that (source, target) pair's waits on the log
    scale, ``exp(Q3 + far_out × IQR) − 1`` hours with the quartiles of ``ln(1 + wait hours)``, and
    ``min_wait_hours``, on a pair with at least :data:`MIN_PAIR_HANDOVERS` handovers, to a target
    typed ``human`` (a person or team: a machine does not pick work up, it runs on a trigger, and a
    long wait before a machine's step is a timer or a schedule, such as the automatic cancellation of
    an application after 30 days in BPI Challenge 2012; an outside party's wait is a request), while
    at least :data:`OVERTAKEN_SHARE` of the cases that reached the same target for the same step
    during the wait (at least :data:`MIN_ARRIVALS` of them) were picked up first. Why: a pair's own dropped
    batons inflate its p95 (with 6 % dropped, the p95 is itself a dropped baton), while the median and
    quartiles stay put unless a quarter of the pair's handovers are dropped; Tukey's far-out fence
    (Q3 + 3 IQR) marks values no ordinary wait reaches, on the log scale because waits are right-skewed
    (roughly log-normal): on the raw scale the fence cuts into the normal tail of a log-normal (3-6 %
    of its values lie beyond it, the size of a real problem), on the log scale one value in a million
    does (``ln(1 + h)`` keeps instant handovers defined and is close to hours below one hour); the
    floor of 72 h keeps weekend
    carry-over of office-hours teams (Friday 17:00 to Monday 09:00 is 64 h) and pairs whose usual delay
    is minutes from flagging a lunch break; and a long wait during which later cases for the same step
    were served first is a case forgotten by a receiver at work, whereas a long wait in a
    first-come-first-served queue is capacity (a bottleneck, see :func:`analysis.find_bottlenecks`)
    and a backlog cleared in order after an absence is a calendar, neither a handoff failure. When
    fewer other cases for the same step reached the receiver during the wait, the log cannot tell a
    forgotten case from an absent or unhurried receiver, and nothing is reported. Hours lost: the
    wait beyond the pair's median.

    **Escalation that bounces back**: with a support-level column (``escalation_column``, or detected:
    the role, or a column named like :data:`ESCALATION_NAMES`, whose values all name a level:
    :func:`level_rank`), a move to a higher level whose next stint returns to a lower level that
    redoes its work or escalates again. Hours lost: from the escalation to the return.

    **Handoff chains**: for closed cases (the last activity ends at least half the cases containing it,
    as in :func:`analysis.find_bottlenecks`), ordinary least squares of ln(cycle hours) on the number
    of distinct performers crossed, with heteroscedasticity-robust (HC1) standard errors and a 95 %
    t interval. The log makes the slope a growth factor per extra performer and keeps the few very long
    cases from dominating; HC1 because the spread of cycle times differs by number of performers.
    Theil–Sen was not used: with a small integer x most pairs of cases tie, and it needs every pair of
    cases (quadratic). The fit is computed in the engine from sums; cases with a zero cycle time are
    left out (counted).

    Each finding needs at least :data:`FINDING_MIN_CASES` cases. ``activity_roles`` gives every
    step's **own** part: the step after which work bounces, sent back by a check that fails, or the
    step redone (``ping_pong_cases``, ``rework_sent_back_cases``, ``rework_redone_cases``; their union
    is ``own_failure_cases``). Receiving work sent back (``rework_receiver_cases``), receiving a dropped
    baton (``dropped_received_cases``), the step after which a baton is dropped
    (``dropped_after_cases``: the fault lies in the handoff, where nobody routes the case; the remedy is
    an orchestration step with an SLA timer, not a change to either step), escalating
    (``escalated_after_cases``) and asking an outside party (``request_cases``, ``response_cases``) are
    listed but not counted as the step's own failure.

    Parameters
    ----------
    log : EventLog
    level : {"resource", "role", "system", "type"} or None, default None
        Performers at which work changes hands; None takes roles (teams) when the log has them, else
        resources.
    performers : Performers, optional
        The classification to take outside parties from; computed when not given.
    escalation_column : str, optional
        The column holding the support line or level of each event; detected when not given.
    escalation_order : list of str, optional
        Its values, lowest line first, when they do not name their level ("Service desk", "Specialist").
    min_wait_hours : float, default 72
        The floor of a dropped baton's wait, hours.
    far_out : float, default 3.0
        The IQR multiplier of the dropped-baton fence (on ``ln(1 + wait hours)``).

    Returns
    -------
    HandoffFailures

    Raises
    ------
    AnalysisError
        When the log has no performers at ``level``, ``level`` is unknown, ``min_wait_hours`` or
        ``far_out`` is negative, or the escalation column or order does not fit the log.

    References
    ----------
    van der Aalst, Reijers & Song (2005), "Discovering social networks from event logs", CSCW 14(6)
    (handover of work); Tukey (1977), *Exploratory Data Analysis*, §2 (outer fences at 3 IQR);
    Dumas, La Rosa, Mendling & Reijers (2018), *Fundamentals of Business Process Management*, 2nd ed.,
    §6.2 (handoffs and rework as waste); White (1980), "A heteroskedasticity-consistent covariance
    matrix estimator", Econometrica 48(4) and MacKinnon & White (1985), J. Econometrics 29 (HC1).

    Examples
    --------
    >>> f = find_handoff_failures(load_event_log("sample_logs/council_permits.csv"), level="role")
    >>> for row in f.failures[["pattern", "source", "target"]].head(3).itertuples(index=False):
    ...     print(*row)
    dropped-baton Senior Admin
    rework Senior Assessment
    ping-pong Highways Assessment
    """
    if min_wait_hours < 0 or far_out < 0:
        raise AnalysisError(
            f"min_wait_hours and far_out must be non-negative, not {min_wait_hours!r} and {far_out!r}."
        )
    if level is None:
        level = "role" if log.has_roles else "resource"
    _check_level(log, level)
    tables = log.tables()
    o = tables.ordered
    if performers is None and level != "system":
        performers = classify_performers(log)
    if level == "type":
        types = pd.DataFrame(
            {"performer": list(PERFORMER_TYPES), "type": list(PERFORMER_TYPES), "basis": "type"}
        )
    else:
        types = performer_types(log, level=level, performers=performers)
    external = sorted(types.loc[types["type"] == "external", "performer"].astype(str))
    pe, name, _ = _level_performers(log, level, performers)
    st = tables.materialise(f"stints_{name}", stints(pe))
    n_cases = int(execute(o.aggregate(n=o[CASE_ID].nunique())).iloc[0, 0])
    acts = tables.result("activity_stats", activity_stats)
    gates = _vocabulary_activities(acts["activity"], CHECK_WORDS, CORRECTION_WORDS)
    notes: list[str] = []
    if external:
        notes.append(
            f"Outside parties at the {level} level: {', '.join(external[:10])}"
            + (" ..." if len(external) > 10 else "")
            + ": handoffs to them are requests, reported as waiting on them, not as failures."
        )

    # Bounces: ping-pong or rework after a handoff.
    b = bounces(st)
    if external:
        b = b.filter(~b.owner.isin(external) & ~b.other.isin(external))
    gate = b.after_activity.isin(gates) | b.activity.isin(gates) if gates else b.stint < 0
    b = b.mutate(pattern=ibis.ifelse(gate, "rework", "ping-pong"))
    machines = sorted(types.loc[types["type"].isin(["system", "bot"]), "performer"].astype(str))
    if machines:
        via = (b.pattern == "ping-pong") & (b.owner.isin(machines) | b.other.isin(machines))
        n_through = int(execute(b.filter(via).count().as_table()).iloc[0, 0])
        if n_through:
            notes.append(
                f"{n_through:,} bounce(s) through a system or bot ({', '.join(machines[:5])}"
                + (" ..." if len(machines) > 5 else "")
                + ") with no check or correction step are not counted as ping-pong: a machine repeating "
                "its step is routine (monitoring, recalculation), not work bounced between teams."
            )
        b = b.filter(~via)
    b = tables.materialise(f"bounces_{name}_{_digest(external, machines, gates)}", b)
    pp = b.filter(b.pattern == "ping-pong")
    rw = b.filter(b.pattern == "rework")
    bounce_cols = {
        CASE_ID: "case_id",
        "owner": "owner",
        "other": "other",
        "after_activity": "after_activity",
        "activity": "activity",
        "returned_after": "returned_after",
        "returned_to": "returned_to",
        "redone_activity": "redone_activity",
    }
    ping_pong = _bounce_detail(pp, bounce_cols)
    rework_after = _bounce_detail(rw, bounce_cols)
    findings = []
    ppu = pp.mutate(pa=ibis.least(pp.owner, pp.other), pb=ibis.greatest(pp.owner, pp.other))
    s = _summary(ppu, ["pa", "pb"], "round_trip_us")
    if len(s):
        dirs = execute(ppu.group_by(["pa", "pb", "owner", "other"]).aggregate(n=ppu.count()))
        dirs = dirs.sort_values(
            ["pa", "pb", "n", "owner"], ascending=[True, True, False, True]
        ).drop_duplicates(["pa", "pb"])
        steps = _top_steps(ppu, ["owner", "other"], ["after_activity", "activity", "redone_activity"])
        s = s.merge(dirs[["pa", "pb", "owner", "other"]], on=["pa", "pb"]).merge(
            steps, on=["owner", "other"], how="left"
        )
        s["pattern"] = "ping-pong"
        s["source"], s["target"] = s["owner"], s["other"]
        s["description"] = [
            f"Work bounces between {r.source} and {r.target} in {r.cases:,} case(s) "
            f"({r.cases / n_cases:.0%}): "
            f"after {r.after_activity} it goes to {r.target} ({r.activity}) and comes straight back, and "
            f"{r.redone_activity} is redone; {_h(r.hours_lost)} in the round trips."
            for r in s.itertuples()
        ]
        findings.append(s)
    s = _summary(rw, ["owner", "other"], "round_trip_us")
    if len(s):
        s = s.merge(
            _top_steps(rw, ["owner", "other"], ["after_activity", "activity", "redone_activity"]),
            on=["owner", "other"],
        )
        s["pattern"] = "rework"
        s["source"], s["target"] = s["owner"], s["other"]
        s["description"] = [
            f"{r.source} sends work to {r.target} after {r.after_activity} ({r.activity}) and it comes back "
            f"to be redone ({r.redone_activity}) in {r.cases:,} case(s) ({r.cases / n_cases:.0%}); "
            f"{_h(r.hours_lost)} in the round trips."
            for r in s.itertuples()
        ]
        findings.append(s)

    # Requests to outside parties (waiting on them; not failures).
    request_response = _request_response(st, external, n_cases)

    # Dropped batons.
    h = tables.materialise(f"stint_handovers_{name}", stint_handovers(st))
    pairs = pair_waits(h)
    cands = long_waits(
        h,
        pairs,
        far_out=float(far_out),
        min_wait_us=int(min_wait_hours * US_PER_HOUR),
        min_pair=MIN_PAIR_HANDOVERS,
        not_targets=sorted({*external, *machines}),
    )
    ov = overtaking(cands, h)
    ov = ov.select(_c=ov[CASE_ID], _s=ov.stint, arrived=ov.arrived, overtook=ov.overtook)
    d = cands.join(ov, [cands[CASE_ID] == ov._c, cands.stint == ov._s]).drop("_c", "_s")
    d = d.filter(
        (d.arrived >= MIN_ARRIVALS)
        & (d.overtook.cast("float64") >= OVERTAKEN_SHARE * d.arrived.cast("float64"))
    )
    d = d.mutate(lost_us=non_negative(d.wait_us.cast("float64") - d.usual_us))
    d = tables.materialise(f"dropped_{name}_{_digest(external, float(far_out), float(min_wait_hours))}", d)
    dropped = _detail(
        d,
        "lost_us",
        {
            "case_id": d[CASE_ID],
            "source": d.source,
            "target": d.target,
            "after_activity": d.after_activity,
            "activity": d.activity,
            "handed_over": d.arrive_us,
            "picked_up": d.pickup_us,
            "wait_hours": hours(d.wait_us),
            "usual_hours": d.usual_us / US_PER_HOUR,
            "threshold_hours": d.threshold_us / US_PER_HOUR,
            "hours_lost": d.lost_us / US_PER_HOUR,
            "arrived": d.arrived,
            "overtook": d.overtook,
        },
    )
    for c in ("handed_over", "picked_up"):
        dropped[c] = pd.to_datetime(dropped[c].astype("int64"), unit="us", utc=True).astype(
            "datetime64[ns, UTC]"
        )
    s = _summary(d, ["source", "target", "activity"], "lost_us")
    if len(s):
        steps = execute(d.group_by(["source", "target", "activity", "after_activity"]).aggregate(n=d.count()))
        steps = steps.sort_values(["n", "after_activity"], ascending=[False, True])
        joined = steps.groupby(["source", "target", "activity"], sort=False)["after_activity"].agg(" / ".join)
        s["after_activity"] = [joined.get((r.source, r.target, r.activity), "") for r in s.itertuples()]
        usual = execute(
            d.group_by(["source", "target", "activity"]).aggregate(
                u=(d.usual_us / US_PER_HOUR).max(), w=hours(d.wait_us).median()
            )
        )
        s = s.merge(usual, on=["source", "target", "activity"])
        s["pattern"] = "dropped-baton"
        s["description"] = [
            f"Batons dropped from {r.source} to {r.target} after {r.after_activity}: in {r.cases:,} case(s) "
            f"({r.cases / n_cases:.0%}) {r.activity} waited {_h(r.w)} (median) against a usual {_h(r.u)}, "
            f"while later cases were picked up first; {_h(r.hours_lost)} lost beyond the usual delay."
            for r in s.itertuples()
        ]
        findings.append(s.drop(columns=["u", "w"]))

    # Escalations that bounce back.
    esc_col, ranks = _escalation_ranks(log, escalation_column, escalation_order)
    escalation_table = _empty_escalations()
    esc_inst = None
    if esc_col is not None:
        if esc_col == ROLE:
            epe = performer_events(o, ROLE)
        else:
            full = log.table()
            mapping = full.filter(full[esc_col].notnull()).select(
                key=full[ROW_NR].cast("int64"), performer=text_value(full[esc_col])
            )
            epe = performer_events(o, ROW_NR, mapping)
        rank_t = ibis.memtable(pd.DataFrame({"value": list(ranks), "rank": [int(r) for r in ranks.values()]}))
        est = tables.materialise(f"stints_level_{_digest(esc_col)}", stints(epe))
        esc_inst = tables.materialise(
            f"escalations_{_digest(esc_col, sorted(ranks.items()))}", escalations(est, rank_t)
        )
        escalation_table = _escalation_table(esc_inst)
        bounced = esc_inst.filter(esc_inst.returned & (esc_inst.redone_below | esc_inst.re_escalated))
        s = _summary(bounced, ["to_level", "back_to", "returned_after", "back_activity"], "hours_us")
        if len(s):
            s = s.rename(
                columns={
                    "to_level": "source",
                    "back_to": "target",
                    "returned_after": "after_activity",
                    "back_activity": "activity",
                }
            )
            s["pattern"] = "escalation-bounce"
            s["description"] = [
                f"Escalations to {r.source} bounce back to {r.target} after {r.after_activity} in "
                f"{r.cases:,} case(s) ({r.cases / n_cases:.0%}), which redo their work or escalate again; "
                f"{_h(r.hours_lost)} at the higher level."
                for r in s.itertuples()
            ]
            findings.append(s)
        notes.append(
            f"Support levels read from {esc_col!r}: "
            + ", ".join(f"{v} = {r}" for v, r in sorted(ranks.items(), key=lambda kv: (kv[1], kv[0])))
            + "."
        )

    failures = _rank(findings, level, n_cases)
    if len(failures):
        p90 = execute(
            h.group_by(["source", "target"]).aggregate(wait_hours_p90=hours(h.wait_us).quantile(P90))
        )
        failures = failures.drop(columns="wait_hours_p90").merge(p90, on=["source", "target"], how="left")
        failures = failures[FAILURE_COLUMNS]
    chains, fit = _chains(log, pe, name)
    roles = _activity_roles(acts, b, d, st, external, esc_inst)
    return HandoffFailures(
        failures=failures,
        ping_pong=ping_pong,
        rework_after_handoff=rework_after,
        request_response=request_response,
        dropped_batons=dropped,
        escalations=escalation_table,
        chains=chains,
        chain_fit=fit,
        activity_roles=roles,
        level=level,
        performer_types=types.reset_index(drop=True).copy(),
        escalation_column=esc_col,
        notes=notes,
        thresholds={
            "FINDING_MIN_CASES": FINDING_MIN_CASES,
            "MAX_EXAMPLES": MAX_EXAMPLES,
            "DETAIL_MAX_ROWS": DETAIL_MAX_ROWS,
            "FAR_OUT": float(far_out),
            "MIN_DROPPED_HOURS": float(min_wait_hours),
            "MIN_PAIR_HANDOVERS": MIN_PAIR_HANDOVERS,
            "OVERTAKEN_SHARE": OVERTAKEN_SHARE,
            "MIN_ARRIVALS": MIN_ARRIVALS,
        },
    )


def _h(x) -> str:
    return humanize_hours(float(x)) if pd.notna(x) else "n/a"


def _bounce_detail(inst: ir.Table, cols: dict) -> pd.DataFrame:
    d = _detail(
        inst,
        "round_trip_us",
        {
            **{v: inst[k] for k, v in cols.items()},
            "round_trip_hours": hours(inst.round_trip_us),
            "back_wait_hours": hours(inst.back_wait_us),
        },
    )
    return d


def _request_response(st: ir.Table, external: list[str], n_cases: int) -> pd.DataFrame:
    cols = [
        "requester",
        "party",
        "request_activity",
        "response_activity",
        "requests",
        "cases",
        "share_of_cases",
        "waiting_hours_total",
        "waiting_hours_median",
        "pickup_hours_median",
        "returned_share",
        "example_cases",
    ]
    if not external:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    rr = request_responses(st, external)
    keys = ["requester", "party", "request_activity"]
    s = _summary(rr, keys, "waiting_us")
    if s.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    more = execute(
        rr.group_by(keys).aggregate(
            pickup_hours_median=hours(rr.pickup_us).median(),
            returned_share=rr.returned.cast("float64").mean(),
        )
    )
    resp = _top_steps(rr, keys, ["response_activity"])
    s = s.merge(more, on=keys).merge(resp, on=keys)
    s = s.rename(columns={"count": "requests", "hours_lost": "waiting_hours_total"})
    s["waiting_hours_median"] = s.pop("hours_lost_median")
    s["share_of_cases"] = s["cases"] / n_cases
    s = s.sort_values(["waiting_hours_total", *keys], ascending=[False, True, True, True], ignore_index=True)
    return s[cols]


def _empty_escalations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "from_level": pd.Series(dtype="object"),
            "to_level": pd.Series(dtype="object"),
            "escalations": pd.Series(dtype="int64"),
            "cases": pd.Series(dtype="int64"),
            "returned": pd.Series(dtype="int64"),
            "bounced": pd.Series(dtype="int64"),
            "hours_at_higher_median": pd.Series(dtype="float64"),
        }
    )


def _escalation_table(e: ir.Table) -> pd.DataFrame:
    t = execute(
        e.group_by(["from_level", "to_level"]).aggregate(
            escalations=e.count(),
            cases=e[CASE_ID].nunique(),
            returned=e.returned.cast("int64").sum(),
            bounced=(e.returned & (e.redone_below | e.re_escalated)).cast("int64").sum(),
            hours_at_higher_median=hours(e.hours_us).median(),
        )
    )
    if t.empty:
        return _empty_escalations()
    for c in ("escalations", "cases", "returned", "bounced"):
        t[c] = t[c].astype("int64")
    return t.sort_values(
        ["escalations", "from_level", "to_level"], ascending=[False, True, True], ignore_index=True
    )


def _rank(findings: list[pd.DataFrame], level: str, n_cases: int) -> pd.DataFrame:
    if findings:
        f = pd.concat([x.assign(level=level) for x in findings], ignore_index=True)
        f = f[f["cases"] >= FINDING_MIN_CASES].copy()
    else:
        f = pd.DataFrame(columns=FAILURE_COLUMNS)
    if f.empty:
        out = pd.DataFrame({c: pd.Series(dtype="object") for c in FAILURE_COLUMNS})
        for c in ("rank", "count", "cases"):
            out[c] = out[c].astype("int64")
        for c in ("share_of_cases", "hours_lost", "hours_lost_median", "wait_hours_p90"):
            out[c] = out[c].astype("float64")
        return out
    f["share_of_cases"] = f["cases"] / n_cases
    f["wait_hours_p90"] = np.nan
    f["_key"] = f["hours_lost"].round(6)
    f = f.sort_values(
        ["_key", "cases", "pattern", "source", "target"],
        ascending=[False, False, True, True, True],
        ignore_index=True,
    )
    f["rank"] = np.arange(1, len(f) + 1)
    for c in ("rank", "count", "cases"):
        f[c] = f[c].astype("int64")
    for c in ("source", "target", "after_activity", "activity"):
        f[c] = f[c].fillna("").astype(str)
    return f[FAILURE_COLUMNS]


def _chains(log: EventLog, pe: ir.Table, name: str) -> tuple[pd.DataFrame, dict]:
    ends = find_end_activities(log)
    # Per case (a distinct count over every event): stored once, then read by four aggregates.
    cc = log.tables().materialise(f"crossings_{name}_{_digest(sorted(ends))}", case_crossings(pe, ends))
    ch = hours(cc.cycle_us)
    chains = execute(
        cc.group_by("performers").aggregate(
            cases=cc.count(),
            cycle_hours_median=ch.median(),
            cycle_hours_p90=ch.quantile(P90),
            cycle_hours_geomean=ibis.ifelse(cc.cycle_us > 0, ch.ln(), ibis.null("float64")).mean().exp(),
        )
    ).sort_values("performers", ignore_index=True)
    for c in ("performers", "cases"):
        chains[c] = chains[c].astype("int64")
    fit = _ols_log_fit(cc)
    return chains, fit


def _ols_log_fit(cc: ir.Table) -> dict:
    """OLS of ln(cycle hours) on performers crossed, HC1 standard errors, computed from sums in the engine."""
    from scipy.special import stdtrit  # the t quantile; scipy.stats takes half a second to import

    empty = {
        "method": "OLS on ln(cycle hours), HC1 standard errors, 95% t interval",
        "cases": 0,
        "slope": None,
        "ci_low": None,
        "ci_high": None,
        "factor": None,
        "factor_low": None,
        "factor_high": None,
        "intercept": None,
        "r2": None,
        "performers_min": None,
        "performers_max": None,
        "zero_cycle_cases": 0,
        "reason": "",
    }
    zero = int(execute(cc.filter(cc.cycle_us <= 0).count().as_table()).iloc[0, 0])
    pos = cc.filter(cc.cycle_us > 0)
    x = pos.performers.cast("float64")
    y = hours(pos.cycle_us).ln()
    s = execute(
        pos.aggregate(
            n=pos.count(),
            sx=x.sum(),
            sy=y.sum(),
            sxx=(x * x).sum(),
            sxy=(x * y).sum(),
            syy=(y * y).sum(),
            xmin=pos.performers.min(),
            xmax=pos.performers.max(),
        )
    ).iloc[0]
    n = int(s["n"])
    out = dict(empty, cases=n, zero_cycle_cases=zero)
    sxx_c = float(s["sxx"] - s["sx"] ** 2 / n) if n else 0.0
    if n < 3 or sxx_c <= 1e-12:
        out["reason"] = (
            "fewer than 3 closed cases with a cycle time"
            if n < 3
            else "every case crosses the same number of performers"
        )
        return out
    sxy_c = float(s["sxy"] - s["sx"] * s["sy"] / n)
    syy_c = float(s["syy"] - s["sy"] ** 2 / n)
    b = sxy_c / sxx_c
    a = float(s["sy"] / n - b * s["sx"] / n)
    xbar = float(s["sx"] / n)
    e = y - (a + b * x)
    r = execute(pos.aggregate(hc=((x - xbar) * (x - xbar) * e * e).sum(), sse=(e * e).sum())).iloc[0]
    var_b = n / (n - 2) * float(r["hc"]) / sxx_c**2
    se = float(np.sqrt(max(var_b, 0.0)))
    t = float(stdtrit(n - 2, 0.975))
    lo, hi = b - t * se, b + t * se
    out.update(
        slope=b,
        ci_low=lo,
        ci_high=hi,
        factor=float(np.exp(b)),
        factor_low=float(np.exp(lo)),
        factor_high=float(np.exp(hi)),
        intercept=a,
        r2=float(1 - float(r["sse"]) / syy_c) if syy_c > 0 else None,
        performers_min=int(s["xmin"]),
        performers_max=int(s["xmax"]),
    )
    return out


def _activity_roles(
    acts: pd.DataFrame,
    b: ir.Table,
    d: ir.Table,
    st: ir.Table,
    external: list[str],
    esc: ir.Table | None,
) -> pd.DataFrame:
    """Per activity, the cases in which it plays each part in a failing handoff (find_handoff_failures)."""
    parts: list[ir.Table] = []

    def part(t: ir.Table, col: str, name: str, own: bool) -> None:
        parts.append(
            t.select(CASE_ID, activity=t[col].cast("string"), part=ibis.literal(name), own=ibis.literal(own))
        )

    pp = b.filter(b.pattern == "ping-pong")
    rw = b.filter(b.pattern == "rework")
    part(pp, "after_activity", "ping_pong_cases", True)
    part(pp, "redone_activity", "ping_pong_cases", True)
    part(rw, "after_activity", "rework_sent_back_cases", True)
    part(rw, "redone_activity", "rework_redone_cases", True)
    part(rw, "activity", "rework_receiver_cases", False)
    part(d, "after_activity", "dropped_after_cases", False)
    part(d, "activity", "dropped_received_cases", False)
    if esc is not None:
        e = esc.filter(esc.returned & (esc.redone_below | esc.re_escalated))
        part(e, "escalated_after", "escalated_after_cases", False)
    if external:
        rr = request_responses(st, external)
        part(rr, "request_activity", "request_cases", False)
        part(rr, "response_activity", "response_cases", False)
    u = parts[0]
    for p in parts[1:]:
        u = u.union(p)
    u = u.filter(u.activity.notnull())
    per = execute(u.group_by(["activity", "part"]).aggregate(cases=u[CASE_ID].nunique()))
    own = u.filter(u.own)
    own_cases = execute(own.group_by("activity").aggregate(own_failure_cases=own[CASE_ID].nunique()))
    wide = per.pivot(index="activity", columns="part", values="cases") if len(per) else pd.DataFrame()
    out = acts[["activity", "events", "cases"]].copy()
    out = out.merge(wide, left_on="activity", right_index=True, how="left") if len(wide) else out
    out = out.merge(own_cases, on="activity", how="left")
    for c in ACTIVITY_ROLE_COLUMNS[1:-1]:
        out[c] = out[c].fillna(0).astype("int64") if c in out else 0
        out[c] = out[c].astype("int64")
    out["own_failure_share"] = out["own_failure_cases"] / out["cases"].where(out["cases"] > 0)
    out = out.sort_values(["own_failure_share", "activity"], ascending=[False, True], ignore_index=True)
    return out[ACTIVITY_ROLE_COLUMNS]
