"""The loaded event log and its data-quality report."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import asdict, dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd

from mapper.columns import (
    RESOURCE,
    ROLE,
    ROW_NR,
    SOURCE_SYSTEM,
    START_ESTIMATED,
    START_TIMESTAMP,
    ColumnMapping,
)
from mapper.engine import EngineTables, EventStore, execute, frame_of, log_counts, tables_for, variants


@dataclass(frozen=True)
class DataQuality:
    """How every row read was accounted for.

    Attributes
    ----------
    source : str
        The file name.
    format : str
        ``csv``, ``xes``, ``parquet``, ``excel``, ``ocel``, ``dataframe`` or ``merged``.
    rows_read : int
        Rows (CSV/Parquet) or events (XES) read from the source.
    rows_kept : int
        Rows that are part of an event of the event table (a start and a complete row paired into one
        activity instance are both kept).
    rows_dropped : int
        ``rows_read - rows_kept``.
    reasons : dict of str to int
        Why rows were dropped, with counts; the counts add up to ``rows_dropped``.
    examples : dict of str to list of int
        Up to five 1-based row numbers per reason (dropped rows and repaired rows).
    repairs : dict of str to int
        Values changed on the way in, and how, with counts.
    notes : list of str
        What was detected or assumed (column choices, time zone, date-only timestamps, ties).
    details : dict
        How the file was read (delimiter, encoding, timestamp format, lifecycle pairing counts).
    """

    source: str
    format: str
    rows_read: int
    rows_kept: int
    rows_dropped: int
    reasons: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)
    repairs: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict (the ``data_quality`` section of ``findings.json``)."""
        return asdict(self)

    def import_report(self) -> dict:
        """The import report: how the file was read and what happened to every row.

        Returns
        -------
        dict
            ``source``, ``format``; ``read`` (how it was read: ``encoding``, ``delimiter``,
            ``quotechar``, ``sheet``, ``xes_reader``, ``object_type`` when they apply);
            ``timestamps`` (``format``, ``zone`` of the completion and start columns);
            ``rows``: ``read``, ``kept``, ``dropped``, ``repaired`` (int), ``duplicates`` (int, rows
            repeating an earlier row in every column); ``dropped`` and ``repaired``: lists of
            ``{"reason", "rows", "examples"}`` (examples are 1-based row numbers); ``clean`` (bool: no
            row dropped and no value repaired).
        """
        d = self.details
        keys = ("compressed", "encoding", "delimiter", "quotechar", "sheet", "xes_reader", "object_type")
        read = {k: d[k] for k in keys if k in d}
        times = {
            canon: {"format": d[f"{canon}_format"], "zone": d.get(f"{canon}_zone")}
            for canon in ("timestamp", "start_timestamp")
            if f"{canon}_format" in d
        }
        dropped = [
            {"reason": r, "rows": int(n), "examples": list(self.examples.get(r, []))}
            for r, n in self.reasons.items()
        ]
        repaired = [
            {"reason": r, "rows": int(n), "examples": list(self.examples.get(r, []))}
            for r, n in self.repairs.items()
        ]
        return {
            "source": self.source,
            "format": self.format,
            "read": read,
            "timestamps": times,
            "rows": {
                "read": self.rows_read,
                "kept": self.rows_kept,
                "dropped": self.rows_dropped,
                "repaired": int(sum(self.repairs.values())),
                "duplicates": int(d.get("duplicates", 0)),
            },
            "dropped": dropped,
            "repaired": repaired,
            "clean": not dropped and not repaired,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome: ``outcome`` (kept/dropped/repaired), ``reason``, ``rows`` (int)."""
        rows = [("kept", "part of the event table", self.rows_kept)]
        rows += [("dropped", r, n) for r, n in self.reasons.items()]
        rows += [("repaired", r, n) for r, n in self.repairs.items()]
        return pd.DataFrame(rows, columns=["outcome", "reason", "rows"])

    def plot(self):
        """A plotly bar chart of where the rows read went: kept, and each reason rows were dropped or
        repaired.

        Returns
        -------
        plotly.graph_objects.Figure
            One horizontal bar per row of :meth:`to_frame` (x: rows, int), coloured by ``outcome``;
            reasons are escaped (:func:`mapper.escape.escape_figure`).

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> fig = log.quality.plot()
        >>> int(sum(sum(t.x) for t in fig.data)) == log.quality.rows_kept
        True
        """
        import plotly.graph_objects as go

        from mapper.escape import escape_figure

        d = self.to_frame().iloc[::-1]
        colours = {"kept": "#009e73", "dropped": "#d55e00", "repaired": "#e69f00"}  # Okabe & Ito
        fig = go.Figure(
            [
                go.Bar(x=part["rows"], y=part["reason"], orientation="h", name=outcome, marker_color=colour)
                for outcome, colour in colours.items()
                if len(part := d[d["outcome"] == outcome])
            ]
        )
        fig.update_layout(
            title=f"Rows read from the file: {self.rows_read:,}",
            xaxis_title="rows",
            height=160 + 28 * len(d),
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<b>Data quality of {html.escape(self.source)}</b>: {self.rows_read:,} rows read, "
            f"{self.rows_kept:,} kept, {self.rows_dropped:,} dropped"
            + self.to_frame().to_html(index=False)
            + (f"<ul>{notes}</ul>" if notes else "")
        )


@dataclass(frozen=True, eq=False)
class EventLog:
    """A validated event table with the mapping it was read with and its data-quality report.

    Create it with :func:`mapper.load_event_log` (or :meth:`from_frame` for a table made by hand). The
    event table lives in the engine (DuckDB through Ibis, :attr:`store`): :meth:`table`,
    :meth:`tables`, :attr:`columns` and :attr:`n_events` answer without pandas; :attr:`events` is a
    pandas copy made on first use.

    Attributes
    ----------
    store : mapper.engine.EventStore
        The whole event table in the log's DuckDB connection.
    source : str
        The file name.
    mapping : ColumnMapping
        Source column of each canonical column.
    quality : DataQuality
    timezone : str
        The zone naive timestamps were taken in.
    filters : tuple of str
        What :func:`mapper.filter_log` kept, one human-readable description per filter, in the order
        applied (e.g. ``"variants 1, 2, 3"``); empty for a log as loaded. ``quality`` still describes
        the file as read, before any filter.
    discovered_roles : object or None
        When the ``role`` column was not read from the file but discovered from the activities the
        resources perform (:func:`analysis.with_discovered_roles`), the discovery result; it travels with
        the log through filters, so every analysis of it says the roles were discovered. ``None`` when
        the roles (if any) are the file's own.
    """

    store: EventStore = field(repr=False)
    source: str
    mapping: ColumnMapping
    quality: DataQuality
    timezone: str = "UTC"
    filters: tuple = ()
    discovered_roles: object | None = field(default=None, repr=False)

    @classmethod
    def from_frame(
        cls,
        events: pd.DataFrame,
        source: str,
        mapping: ColumnMapping,
        quality: DataQuality,
        timezone: str = "UTC",
        **changes,
    ) -> EventLog:
        """A log whose event table is the pandas frame ``events`` (stored in a new engine connection).

        Parameters
        ----------
        events : pandas.DataFrame
            A canonical event table (see :attr:`events`); it is not validated here and not copied:
            do not change it afterwards.
        source, mapping, quality, timezone
            As the attributes.
        **changes
            ``filters``, ``discovered_roles``.

        Returns
        -------
        EventLog

        Examples
        --------
        >>> log = load_event_log("sample_logs/council_permits.csv")
        >>> copy = EventLog.from_frame(log.events, log.source, log.mapping, log.quality)
        >>> copy.n_events == log.n_events
        True
        """
        store = EventStore.from_frame(events).on_engine()
        return cls(store, source, mapping, quality, timezone, **changes)

    def derive(self, table: ir.Table, *, view: bool = False, **changes) -> EventLog:
        """This log with the event table ``table``, a query on :meth:`table` (e.g. a filter).

        Parameters
        ----------
        table : ibis Table
            Rows (and columns) of :meth:`table` of this log: same connection, canonical columns kept.
        view : bool, default False
            Keep ``table`` as a view of this log's table instead of a stored copy: for a cheap step
            (a join with a compact mapping) on a large log, where a copy would double the engine's memory.
        **changes
            Other attributes of the new log (``filters``, ``quality``, ``discovered_roles`` ...).

        Returns
        -------
        EventLog
            The result is stored once as a table of this log's connection (or as a view with ``view``).

        Examples
        --------
        >>> log = load_event_log("sample_logs/council_permits.csv")
        >>> t = log.table()
        >>> log.derive(t.filter(t.activity == "Submit application")).n_events < log.n_events
        True
        """
        return dataclasses.replace(self, store=self.store.derive(table, view=view), **changes)

    @property
    def events(self) -> pd.DataFrame:
        """The event table as a pandas frame (made on first use, then cached; costly on large logs).

        One row per event (activity instance), in ``row_nr`` order. Columns: ``case_id`` (str),
        ``activity`` (str), ``timestamp`` (``datetime64[ns, UTC]``, completion), ``row_nr`` (int64,
        position in the source, the tie-break for equal timestamps), optional ``start_timestamp``
        (``datetime64[ns, UTC]``), ``resource`` and ``role`` (str), then the source's other attributes.
        Library code reads :meth:`table` instead; this copy is for notebooks.
        """
        return self.store.to_frame()

    def _has_values(self, column: str) -> bool:
        if column not in self.columns:
            return False
        return self._flag(f"has_{column}", lambda t: t[column].notnull().any())

    def _flag(self, key: str, query) -> bool:
        return self.store.cached(key, lambda: bool(query(self.table()).execute()))

    @property
    def has_start_timestamps(self) -> bool:
        """Whether at least one event has a start timestamp (processing times can be measured)."""
        return self._has_values(START_TIMESTAMP)

    @property
    def has_resources(self) -> bool:
        """Whether at least one event names its resource."""
        return self._has_values(RESOURCE)

    @property
    def has_roles(self) -> bool:
        """Whether at least one event names its role or team."""
        return self._has_values(ROLE)

    @property
    def has_systems(self) -> bool:
        """Whether the log merges events of more than one source system (:func:`mapper.merge_event_logs`)."""
        if SOURCE_SYSTEM not in self.columns:
            return False
        return self._flag("has_systems", lambda t: t[SOURCE_SYSTEM].nunique() > 1)

    @property
    def has_estimated_start_times(self) -> bool:
        """Whether some start times were estimated rather than recorded (:mod:`mapper.start_times`)."""
        if START_ESTIMATED not in self.columns:
            return False
        return self._flag("has_estimated", lambda t: t[START_ESTIMATED].fill_null(False).any())

    def tables(self) -> EngineTables:
        """The narrow Ibis/DuckDB tables of this log (derived from :meth:`table` once, then reused)."""
        return tables_for(self, self.store)

    def table(self) -> ir.Table:
        """The whole event table in the engine: every column of :attr:`events`, attributes included.

        Analyses read attributes (case and event data) through this table, never through the pandas
        frame. It lives in the same connection as :meth:`tables` and can be joined with them on
        ``row_nr``.

        Returns
        -------
        ibis Table
            The columns of :attr:`events` with their names; ``timestamp`` and ``start_timestamp`` are
            UTC timestamps; object columns holding values of several types are text.

        Examples
        --------
        >>> log = load_event_log("sample_logs/council_permits.csv")
        >>> int(log.table().count().execute()) == log.n_events
        True
        """
        return self.store.table()

    @property
    def columns(self) -> list[str]:
        """The names of the event table's columns (canonical ones first, then the attributes)."""
        return self.store.columns

    @property
    def n_events(self) -> int:
        """The number of events (rows of the event table)."""
        return self.store.count()

    def summary(self) -> dict:
        """Headline counts: the ``log`` section of ``findings.json``.

        Returns
        -------
        dict
            ``source``, ``cases``, ``events``, ``activities``, ``variants``, ``resources`` (distinct
            non-missing, 0 when none), ``roles``, ``start``, ``end`` (ISO 8601 UTC),
            ``has_start_timestamps``, ``start_times_estimated`` (bool), ``systems`` (list of str: the
            source systems of a merged log, else empty), ``filters`` (list of str: the filters this log
            was cut with, :attr:`filters`; empty when unfiltered).
        """
        return log_summary(self)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the event table (:attr:`events`; costly on large logs)."""
        return self.events.copy()

    def plot(self, *, top: int = 30):
        """A plotly bar chart of the events per activity (the ``top`` most frequent), counted in the engine.

        Parameters
        ----------
        top : int, default 30
            How many activities to show (the most frequent).

        Returns
        -------
        plotly.graph_objects.Figure
            One horizontal bar per activity: x the number of events (int), hover the cases it occurs in;
            names escaped (:func:`mapper.escape.escape_figure`).

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> fig = log.plot()
        >>> int(sum(fig.data[0].x)) == log.n_events
        True
        """

        from mapper.escape import bar_chart, plotly_text

        t = self.table()
        counts = (
            t.group_by("activity")
            .aggregate(events=t.count(), cases=t.case_id.nunique())
            .order_by([ibis.desc("events"), "activity"])
            .limit(top)
        )
        d = execute(counts)
        return bar_chart(
            d["activity"],
            d["events"],
            customdata=d["cases"],
            hover="%{y}: %{x:,} events in %{customdata:,} cases",
            title=f"{plotly_text(self.source)}: events per activity",
            x_title="events",
            row_height=24,
        )

    def __repr__(self) -> str:
        return f"EventLog({self.source!r}: {self.n_events:,} events)"

    def _repr_html_(self) -> str:
        s = self.summary()
        head = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in s.items()
        )
        first = frame_of(self.table().order_by(ROW_NR).limit(10).to_pandas(), self.store.dtypes)
        return f"<table>{head}</table>" + first.to_html(index=False)


def log_summary(log: EventLog) -> dict:
    """Headline counts of ``log``, computed in the engine (see :meth:`EventLog.summary`)."""
    tables = log.tables()
    c = execute(log_counts(tables.events)).iloc[0]
    n_variants = len(tables.result("variants", variants))  # shared with discover_variants
    to_iso = lambda us: pd.Timestamp(int(us), unit="us", tz="UTC").isoformat()  # noqa: E731
    return {
        "source": log.source,
        "cases": int(c.cases),
        "events": int(c.events),
        "activities": int(c.activities),
        "variants": n_variants,
        "resources": int(c.resources),
        "roles": int(c.roles),
        "start": to_iso(c.start_us),
        "end": to_iso(c.end_us),
        "has_start_timestamps": log.has_start_timestamps,
        "start_times_estimated": log.has_estimated_start_times,
        "systems": sorted(
            execute(log.table().select(SOURCE_SYSTEM).distinct())[SOURCE_SYSTEM].dropna().tolist()
        )
        if SOURCE_SYSTEM in log.columns
        else [],
        "filters": list(log.filters),
    }
