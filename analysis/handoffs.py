"""Handover of work between resources, teams or systems, ping-pong, rework, and views of the network."""

from __future__ import annotations

import html
from typing import Literal

import graphviz
import ibis
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.queries.handoffs import LEVEL_COLUMNS, handover_pairs, handover_table
from mapper.columns import CASE_ID
from mapper.discovery import html_label, styled_digraph
from mapper.engine import execute, hours, rework
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
_FAIL_COLOUR = "#c0392b"


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
    (:func:`find_handoffs`) are red and say why ("ping-pong", "slow").

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

    g = styled_digraph("handoff_network", rankdir="LR")
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
        if e.failing:
            text.append(str(e.failure))
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
    return fig


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
