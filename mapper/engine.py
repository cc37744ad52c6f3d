"""The event-level queries, written once as Ibis expressions over an embedded DuckDB backend.

Everything that touches every event (ordering within a case, directly-follows pairs, waiting times,
handovers, per-activity and per-case statistics, variants) is an Ibis expression here, so that the
same definitions can later run on Spark or a warehouse. Only compact results are executed into pandas.

Events are ordered within a case by completion timestamp, then by their position in the file
(``row_nr``), exactly as pm4py does; any other tie-break changes the directly-follows graph of logs
with equal timestamps (Road Traffic has dates only).

Times are carried as integer microseconds since the epoch (``t_us``, ``start_us``) so that differences
are exact on every backend; they are converted to hours only in the aggregated results.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from mapper import backends
from mapper.columns import (
    ACTIVITY,
    CASE_ID,
    RESOURCE,
    ROLE,
    ROW_NR,
    SOURCE_SYSTEM,
    START_TIMESTAMP,
    TIMESTAMP,
)

US_PER_HOUR = 3_600_000_000.0
#: Quantiles computed for every time distribution; p90 is the SLA-style figure used across flowready.
P90 = 0.9


@dataclass(frozen=True, eq=False)
class EngineTables:
    """The DuckDB connection of one event log and its two base tables.

    Attributes
    ----------
    con : ibis backend
        An in-process DuckDB connection owned by this log.
    events : ibis Table
        ``case_id`` (string), ``activity`` (string), ``t_us`` (int64, completion, µs since epoch),
        ``start_us`` (int64, nullable), ``resource`` and ``role`` (string, nullable), ``row_nr`` (int64).
    ordered : ibis Table
        ``events`` plus the per-case position and the neighbours; see :func:`order_events`.
    """

    con: object
    events: ir.Table
    ordered: ir.Table
    prefix: str = ""
    _memo: dict = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        """Store ``expr`` as a temporary table of this log's connection, once per ``name``, and return it.

        For event-level intermediate results that several analyses read (the handovers of a level, the
        activity instances with their enabling times): computed once, then scanned. ``name`` must be a
        plain identifier; the same name always returns the table made the first time. Thread-safe: two
        sessions asking at once build it once.
        """
        key = ("table", name)
        with self._lock:
            if key not in self._memo:
                self._memo[key] = backends.materialise(self.con, f"{self.prefix}m_{name}", expr)
            return self._memo[key]

    def cached(self, key: object, build):
        """``build()`` once per ``key`` for this log, then the same object (thread-safe).

        For intermediate results that are not a single query (e.g. a table whose expression needs a
        compact result first); :meth:`materialise` and :meth:`result` are the usual doors.
        """
        with self._lock:
            if key not in self._memo:
                self._memo[key] = build()
            return self._memo[key]

    def result(self, name: str, query) -> pd.DataFrame:
        """Execute ``query(self.ordered)`` once per log and return a copy of the compact result.

        For the aggregates several analyses share (``activity_stats``, ``dfg_edges``).
        """
        with self._lock:
            if name not in self._memo:
                self._memo[name] = execute(query(self.ordered))
            return self._memo[name].copy()


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def to_us(series: pd.Series) -> pd.Series:
    """Timezone-aware timestamps -> int64 microseconds since the epoch (nullable)."""
    out = series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    return pd.Series(out.to_numpy().astype("int64"), index=series.index).where(series.notna()).astype("Int64")


def engine_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` that the engine can store: object columns it cannot type become text.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table, e.g. a whole event table with its attributes.

    Returns
    -------
    pandas.DataFrame
        The same columns and rows; an object column holding values of several types (or lists) is
        converted to ``string`` (missing values stay missing).
    """
    import pyarrow as pa

    out = {}
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object:
            try:
                typed = pa.array(s, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                s = s.astype("string").where(s.notna())
            else:
                if pa.types.is_null(typed.type):  # every value missing: the engine needs a type
                    s = s.astype("string")
        out[col] = s
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


#: Share of the machine's memory one DuckDB connection may use before it spills to disk.
MEMORY_SHARE = backends.MEMORY_SHARE
_NAMES = itertools.count()


def connect():
    """Open the DuckDB connection of a new event log: the one place connections are made.

    The connection may use :data:`MEMORY_SHARE` of the machine's memory and every core; beyond that
    DuckDB spills to a temporary directory (``<tmp>/flowready-duckdb``) instead of failing.

    Returns
    -------
    ibis backend
        An in-process DuckDB connection (Ibis), session time zone UTC.

    Examples
    --------
    >>> con = connect()
    >>> con.raw_sql("select current_setting('TimeZone')").fetchall()
    [('UTC',)]
    """
    return backends.connect("duckdb")


def run_ddl(con, statement: str) -> None:
    """Run a SQL statement that returns no rows (``create``, ``drop``) on ``con`` and finish it."""
    con.raw_sql(statement).fetchall()


def unique_name(stem: str) -> str:
    """A table name not used before in this process (``stem`` must be a plain identifier)."""
    return f"{stem}_{next(_NAMES)}"


@ibis.udf.scalar.builtin
def epoch_us(value: dt.timestamp) -> dt.int64:  # noqa: D103 (DuckDB's epoch_us: µs since the epoch)
    ...


@dataclass(frozen=True, eq=False)
class EventStore:
    """The whole event table of one log, as a table of its DuckDB connection.

    Attributes
    ----------
    con : ibis backend
        The connection (:func:`connect`); logs derived from this one (filtered) share it.
    name : str
        The table's name in ``con``.
    dtypes : dict of str to dtype
        The pandas dtype of each column of the pandas copy (:meth:`to_frame`), as the source was read.
    """

    con: object
    name: str
    dtypes: dict = field(default_factory=dict, repr=False)
    _frame: dict = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, con: object = None, *, keep: bool = True) -> EventStore:
        """Store a pandas event table in a new connection (or ``con``); ``keep`` caches ``frame`` itself.

        Object columns the engine cannot type (mixed values, lists read from XES) are stored as text.
        """
        con = connect() if con is None else con
        name = unique_name("log")
        con.create_table(name, engine_frame(frame), temp=True)
        store = cls(con, name, {str(c): frame[c].dtype for c in frame.columns})
        if keep:
            store._frame["events"] = frame
        return store

    @classmethod
    def from_table(cls, con: object, name: str, dtypes: dict | None = None) -> EventStore:
        """Wrap the existing table ``name`` of ``con``."""
        return cls(con, name, dict(dtypes or {}))

    def table(self) -> ir.Table:
        """The whole event table (Ibis)."""
        return self.con.table(self.name)

    def on_engine(self, engine: str | None = None) -> EventStore:
        """This store, or a copy of its table in a new connection of ``engine`` (default: the current one).

        Loading always runs on DuckDB; with another engine chosen (:func:`mapper.backends.set_engine`),
        the loaded table is handed to it (through Arrow) and every later query runs there.
        """
        engine = engine or backends.current_engine()
        if backends.engine_of(self.con) == engine:
            return self
        con = backends.connect(engine)
        name = unique_name("log")
        backends.register(con, name, self.table().to_pyarrow())
        return EventStore(con, name, self.dtypes)

    def derive(self, expr: ir.Table, *, view: bool = False) -> EventStore:
        """Store ``expr`` (a query on :meth:`table`, same columns) as a new table of the same connection,
        or with ``view`` as a view of it (no copy of the rows; ``expr`` is computed at every read)."""
        name = unique_name("log")
        (backends.create_view if view else backends.materialise)(self.con, name, expr)
        return EventStore(self.con, name, self.dtypes)

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return list(self.table().columns)

    def cached(self, key: str, compute):
        """``compute()`` once per ``key`` for this store, then the same value (thread-safe): facts of
        the table that never change (its row count, whether a column has values)."""
        with self._lock:
            if key not in self._frame:
                self._frame[key] = compute()
            return self._frame[key]

    def count(self) -> int:
        """The number of rows."""
        return self.cached("count", lambda: int(self.table().count().execute()))

    def to_frame(self) -> pd.DataFrame:
        """The pandas copy of the whole table, ordered by ``row_nr``, with the dtypes of :attr:`dtypes`.

        Cached: made once per store. Costly on large logs (every row and attribute in pandas).
        """
        with self._lock:
            if "events" not in self._frame:
                self._frame["events"] = frame_of(self.table().order_by(ROW_NR).to_pandas(), self.dtypes)
            return self._frame["events"]


def frame_of(df: pd.DataFrame, dtypes: dict) -> pd.DataFrame:
    """Give the columns of ``df`` (read from the engine) the pandas dtypes the event table has.

    Timestamps become ``datetime64[ns, UTC]``, text columns ``object`` with ``None`` for missing
    values; other columns take their dtype from ``dtypes`` when it can hold the values.
    """
    out = {}
    for col in df.columns:
        s = df[col]
        want = dtypes.get(col)
        if col in (TIMESTAMP, START_TIMESTAMP) or isinstance(want, pd.DatetimeTZDtype):
            utc = want if isinstance(want, pd.DatetimeTZDtype) else "datetime64[ns, UTC]"
            s = pd.to_datetime(s, utc=True).astype(utc)
        elif want is not None and s.dtype != want:
            with contextlib.suppress(TypeError, ValueError):  # keep the engine's dtype
                s = s.astype(want)
        if s.dtype == object:
            s = s.where(s.notna(), None)
        out[col] = s
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def engine_text(value: ir.Value) -> ir.StringValue:
    """A column as text, written as pandas writes it (``astype("string")``) for the common types.

    Booleans are ``True``/``False``; text stays as it is; numbers and other types take the engine's
    text (``1.5``, ``2``).
    """
    if value.type().is_boolean():
        return ibis.ifelse(value, "True", "False")
    return value.cast("string")


#: The columns of :func:`narrow_events`, in order.
NARROW_COLUMNS = (CASE_ID, ACTIVITY, "t_us", "start_us", RESOURCE, ROLE, SOURCE_SYSTEM, ROW_NR)


def narrow_events(full: ir.Table) -> ir.Table:
    """The narrow table the queries read, derived from the whole event table.

    Returns
    -------
    ibis Table
        ``case_id``, ``activity`` (string), ``t_us``, ``start_us`` (int64 µs since the epoch, nullable),
        ``resource``, ``role``, ``source_system`` (string, nullable), ``row_nr`` (int64).
    """
    cols = set(full.columns)

    def text(name: str) -> ir.Value:
        return full[name].cast("string") if name in cols else ibis.null("string")

    return full.select(
        **{
            CASE_ID: full[CASE_ID].cast("string"),
            ACTIVITY: full[ACTIVITY].cast("string"),
            "t_us": epoch_us(full[TIMESTAMP]),
            "start_us": epoch_us(full[START_TIMESTAMP]) if START_TIMESTAMP in cols else ibis.null("int64"),
            RESOURCE: text(RESOURCE),
            ROLE: text(ROLE),
            SOURCE_SYSTEM: text(SOURCE_SYSTEM),
            ROW_NR: full[ROW_NR].cast("int64"),
        }
    )


def tables_for(owner: object, store: EventStore) -> EngineTables:
    """Return the engine tables of ``owner`` (an EventLog), creating them on first use.

    The ordered table is derived from the whole event table of ``store`` by a query, in the same
    connection, and materialised once so that every later query reuses the window computation; the
    narrow ``events`` table is its first columns (:data:`NARROW_COLUMNS`), not a second copy. They live
    as long as ``owner`` does.
    """
    cached = _CACHE.get(owner)
    if cached is not None:
        return cached
    with _CACHE_LOCK:
        cached = _CACHE.get(owner)
        if cached is not None:
            return cached
        prefix = unique_name("t") + "_"
        con = store.con
        ordered = backends.materialise(con, f"{prefix}ordered", order_events(narrow_events(store.table())))
        # The narrow table is the ordered one's first columns: a projection, not a second stored copy.
        base = ordered.select(*NARROW_COLUMNS)
        tables = EngineTables(con, base, ordered, prefix)
        _CACHE[owner] = tables
        return tables


_CACHE_LOCK = threading.RLock()


def rebind_tables(old_owner: object, new_owner: object) -> None:
    """Hand the engine tables of ``old_owner`` to ``new_owner`` (same events), instead of rebuilding them."""
    tables = _CACHE.pop(old_owner, None)
    if tables is not None:
        _CACHE[new_owner] = tables


def order_events(t: ir.Table) -> ir.Table:
    """Order the events of each case and attach each event's neighbours.

    Parameters
    ----------
    t : ibis Table
        The engine's ``events`` table.

    Returns
    -------
    ibis Table
        ``t`` plus ``pos`` (0-based position in the case), ``occurrence`` (0-based: how many times the
        activity occurred before in the case; > 0 is rework), ``n_events`` (events in the case), and for
        the previous and next event in the case: ``prev_activity``, ``prev_t_us``, ``prev_resource``,
        ``prev_role``, ``prev_source_system``, ``next_activity``, ``next_t_us``, ``next_start_us``.
        ``enabled_us`` is the completion of the previous event (the event's enabling time under
        sequential execution), and
        ``wait_us`` the waiting time before the event: from ``enabled_us`` to its start when a start
        timestamp exists (negative overlaps clipped to 0), otherwise to its completion.
    """
    w = ibis.window(group_by=t[CASE_ID], order_by=[t.t_us, t[ROW_NR]])
    wc = ibis.window(group_by=t[CASE_ID])
    wa = ibis.window(group_by=[t[CASE_ID], t[ACTIVITY]], order_by=[t.t_us, t[ROW_NR]])
    o = t.mutate(
        pos=ibis.row_number().over(w),
        occurrence=ibis.row_number().over(wa),
        n_events=t[ROW_NR].count().over(wc),
        prev_activity=t[ACTIVITY].lag().over(w),
        prev_t_us=t.t_us.lag().over(w),
        prev_resource=t[RESOURCE].lag().over(w),
        prev_role=t[ROLE].lag().over(w),
        prev_source_system=t[SOURCE_SYSTEM].lag().over(w),
        next_activity=t[ACTIVITY].lead().over(w),
        next_t_us=t.t_us.lead().over(w),
        next_start_us=t.start_us.lead().over(w),
    )
    begin = o.start_us.coalesce(o.t_us)
    wait = begin - o.prev_t_us
    return o.mutate(
        enabled_us=o.prev_t_us,
        wait_us=non_negative(wait),
        proc_us=(o.t_us - o.start_us),
    )


def non_negative(expr: ir.NumericValue) -> ir.NumericValue:
    """Clip negative values to 0 and keep nulls null (SQL ``GREATEST`` would turn null into 0 on DuckDB)."""
    return ibis.ifelse(expr < 0, 0, expr)


def hours(expr: ir.NumericValue) -> ir.FloatingValue:
    """Microseconds -> hours (float)."""
    return expr.cast("float64") / US_PER_HOUR


def _time_stats(value_us: ir.NumericColumn, prefix: str) -> dict:
    """The aggregates of a time distribution; :func:`_split_quantiles` then names its two quantiles."""
    h = hours(value_us)
    return {
        f"{prefix}_hours_q": h.quantile([0.5, P90]),
        f"{prefix}_hours_mean": h.mean(),
        f"{prefix}_hours_total": h.sum(),
    }


def _split_quantiles(t: ir.Table, pairs: dict[str, str], order: list[str]) -> ir.Table:
    """``{name}_median`` and ``{name}_p90`` from each quantile pair column (``pairs``: pair -> name),
    the columns then in ``order``.

    Exact quantiles hold every value of their group in the engine's memory, which does not spill: one
    aggregate giving both (``quantile_cont(x, [0.5, 0.9])``) holds them once instead of twice. On Road
    Traffic x200 (112M events) the four separate quantiles of the DFG exhausted DuckDB's 5.6 GB.
    """
    cols = {}
    for pair, name in pairs.items():
        cols[f"{name}_median"] = t[pair][0]
        cols[f"{name}_p90"] = t[pair][1]
    return t.mutate(**cols).select(*order)


def dfg_edges(o: ir.Table) -> ir.Table:
    """Directly-follows relation with frequencies and times.

    Returns
    -------
    ibis Table
        ``source``, ``target`` (str), ``frequency`` (int64, number of times ``target`` directly follows
        ``source`` in a case), ``cases`` (int64, distinct cases), and the time from the completion of
        ``source`` to the completion of ``target`` in hours: ``hours_median``, ``hours_p90``,
        ``hours_mean``, ``hours_total``; plus the waiting time from the completion of ``source`` to the
        start of ``target`` (equal to the former when there are no start timestamps):
        ``wait_hours_median``, ``wait_hours_p90``, ``wait_hours_total``.
    """
    pairs = o.filter(o.next_activity.notnull())
    span = pairs.next_t_us - pairs.t_us
    wait = non_negative(pairs.next_start_us.coalesce(pairs.next_t_us) - pairs.t_us)
    t = pairs.group_by(source=pairs[ACTIVITY], target=pairs.next_activity).aggregate(
        frequency=pairs.count(),
        cases=pairs[CASE_ID].nunique(),
        span_hours_q=hours(span).quantile([0.5, P90]),
        hours_mean=hours(span).mean(),
        hours_total=hours(span).sum(),
        wait_hours_q=hours(wait).quantile([0.5, P90]),
        wait_hours_total=hours(wait).sum(),
    )
    pairs = {"span_hours_q": "hours", "wait_hours_q": "wait_hours"}
    return _split_quantiles(
        t,
        pairs,
        [
            "source",
            "target",
            "frequency",
            "cases",
            "hours_median",
            "hours_p90",
            "hours_mean",
            "hours_total",
            "wait_hours_median",
            "wait_hours_p90",
            "wait_hours_total",
        ],
    )


def start_end_activities(o: ir.Table) -> ir.Table:
    """How often each activity starts and ends a case.

    Returns
    -------
    ibis Table
        ``activity`` (str), ``starts`` and ``ends`` (int64, number of cases).
    """
    return o.group_by(ACTIVITY).aggregate(
        starts=(o.pos == 0).cast("int64").sum(),
        ends=(o.pos == o.n_events - 1).cast("int64").sum(),
    )


def case_traces(o: ir.Table) -> ir.Table:
    """One row per case: its trace (activities in order) and its times.

    Returns
    -------
    ibis Table
        ``case_id``, ``trace`` (array<string>), ``events`` (int64), ``start_us``/``end_us`` (int64),
        ``cycle_hours`` (float), ``last_activity`` (str).
    """
    begin = o.start_us.coalesce(o.t_us)
    return (
        o.group_by(CASE_ID)
        .aggregate(
            trace=o[ACTIVITY].collect(order_by=[o.pos]),
            events=o.count(),
            start_us=begin.min(),
            end_us=o.t_us.max(),
            last_activity=o[ACTIVITY].argmax(o.pos),
        )
        .mutate(cycle_hours=lambda c: hours(c.end_us - c.start_us))
    )


def variants(o: ir.Table) -> ir.Table:
    """Variants: distinct traces with their frequency and cycle times.

    Returns
    -------
    ibis Table
        ``trace`` (array<string>), ``cases`` (int64), ``events`` (int64, length of the trace),
        ``cycle_hours_median``, ``cycle_hours_p90`` (float).
    """
    # The cases are grouped by two hashes of their traces (each the XOR, over the case's events, of a hash
    # of "activity, position"), not by the trace itself: collecting every case's activities in order is
    # an ordered aggregate, which DuckDB holds in memory whole (it failed on 112M events at a 5.6 GB
    # limit), where these are plain aggregates that spill. The trace is then collected for one case per
    # variant. Two hashes of 64 bits (32 on Spark) make two different traces alike by chance negligibly
    # rarely; the position in each hashed text makes the key depend on the order.
    begin = o.start_us.coalesce(o.t_us)
    step = o[ACTIVITY].concat("\x1f", o.pos.cast("string"))
    c = (
        o.group_by(CASE_ID)
        .aggregate(
            key1=step.hash().bit_xor(),
            key2=step.concat("\x1e").hash().bit_xor(),
            events=o.count(),
            start_us=begin.min(),
            end_us=o.t_us.max(),
        )
        .mutate(cycle_hours=lambda c: hours(c.end_us - c.start_us))
    )
    v = c.group_by(["key1", "key2", "events"]).aggregate(
        cases=c.count(),
        cycle_hours_median=c.cycle_hours.median(),
        cycle_hours_p90=c.cycle_hours.quantile(P90),
        example=c[CASE_ID].min(),
    )
    one = o.filter(o[CASE_ID].isin(v.example))
    traces = one.group_by(CASE_ID).aggregate(trace=one[ACTIVITY].collect(order_by=[one.pos]))
    joined = v.join(traces, v.example == traces[CASE_ID])
    return joined.select("trace", "cases", "events", "cycle_hours_median", "cycle_hours_p90")


def activity_stats(o: ir.Table) -> ir.Table:
    """Per activity: volume, waiting time before it, processing time, rework.

    Returns
    -------
    ibis Table
        ``activity``, ``events`` (int64), ``cases`` (int64, distinct cases containing it),
        ``waiting_hours_median``/``_p90``/``_mean``/``_total`` (waits before the activity, excluding the
        first event of each case, which has no predecessor), ``processing_hours_median``/``_p90``/
        ``_mean``/``_total`` and ``processing_hours_std`` (null without start timestamps),
        ``processing_known`` (int64, events with a start timestamp), ``waits`` (int64, events with a
        predecessor), ``system_events`` is not computed here (see the readiness module).
    """
    t = o.group_by(ACTIVITY).aggregate(
        events=o.count(),
        cases=o[CASE_ID].nunique(),
        waits=o.wait_us.count(),
        **_time_stats(o.wait_us, "waiting"),
        **_time_stats(o.proc_us, "processing"),
        processing_hours_std=hours(o.proc_us).std(),
        processing_known=o.proc_us.count(),
    )
    order = [ACTIVITY, "events", "cases", "waits"]
    for p in ("waiting", "processing"):
        order += [f"{p}_hours_{s}" for s in ("median", "p90", "mean", "total")]
    order += ["processing_hours_std", "processing_known"]
    pairs = {f"{p}_hours_q": f"{p}_hours" for p in ("waiting", "processing")}
    return _split_quantiles(t, pairs, order)


def rework(o: ir.Table) -> ir.Table:
    """Per activity: in how many cases it is repeated (rework).

    Returns
    -------
    ibis Table
        ``activity``, ``cases`` (int64, cases containing it), ``cases_with_rework`` (int64, cases in
        which it occurs more than once), ``repeats`` (int64, occurrences beyond the first).
    """
    per_case = o.group_by([CASE_ID, ACTIVITY]).aggregate(n=o.count())
    return per_case.group_by(ACTIVITY).aggregate(
        cases=per_case.count(),
        cases_with_rework=(per_case.n > 1).cast("int64").sum(),
        repeats=(per_case.n - 1).sum(),
    )


def execute(expr: ir.Table) -> pd.DataFrame:
    """Run an expression and return a pandas DataFrame (compact results only; :func:`backends.execute`)."""
    return backends.execute(expr)


def pair_lifecycle(t: ir.Table) -> ir.Table:
    """Pair ``start`` and ``complete`` lifecycle events into activity instances.

    Within each case and activity, events are ordered by time and file position; a ``complete`` event
    directly preceded (in that order) by a ``start`` event is paired with it; every other start or
    complete event is unmatched. Overlapping instances of the same activity in one case (start, start,
    complete, complete) thus pair the inner start and complete and leave the outer two unmatched.

    Parameters
    ----------
    t : ibis Table
        ``row_nr`` (int64), ``case_id``, ``activity`` (str), ``t_us`` (int64), ``lifecycle`` (str,
        lower-case: only ``start`` and ``complete`` rows).

    Returns
    -------
    ibis Table
        One row per activity instance: ``row_nr`` (the row that carries the instance: the complete event,
        or the unmatched start), ``start_row_nr`` (int64, nullable: the paired start event),
        ``kind`` (``"paired"``, ``"unmatched_complete"`` or ``"unmatched_start"``).
    """
    w = ibis.window(group_by=[t[CASE_ID], t[ACTIVITY]], order_by=[t.t_us, t[ROW_NR]])
    x = t.mutate(
        prev_lc=t.lifecycle.lag().over(w),
        prev_row=t[ROW_NR].lag().over(w),
        next_lc=t.lifecycle.lead().over(w),
    )
    complete = x.filter(x.lifecycle == "complete")
    complete = complete.select(
        ROW_NR,
        start_row_nr=ibis.cases((complete.prev_lc == "start", complete.prev_row), else_=ibis.null("int64")),
        kind=ibis.cases((complete.prev_lc == "start", "paired"), else_="unmatched_complete"),
    )
    lonely = x.filter((x.lifecycle == "start") & ((x.next_lc != "complete") | x.next_lc.isnull()))
    lonely = lonely.select(ROW_NR, start_row_nr=ibis.null("int64"), kind=ibis.literal("unmatched_start"))
    return complete.union(lonely)


def pair_schedule(t: ir.Table) -> ir.Table:
    """Attach ``schedule`` and ``assign`` lifecycle events to the activity instance they precede.

    Within each case and activity, events are ordered by time and file position. Each ``schedule``
    event opens a segment (the IEEE 1849 XES standard lifecycle model: schedule, assign, start,
    complete); the first instance to begin in the segment (a ``start``, or a ``complete`` without a
    start directly before it, as :func:`pair_lifecycle` pairs them) is the one the schedule belongs to,
    and the last ``assign`` before its first event is its assignment. A ``complete`` that closes an
    instance begun before the schedule does not take it (start, schedule, complete: the schedule is
    for the next instance).

    Parameters
    ----------
    t : ibis Table
        ``row_nr`` (int64), ``case_id``, ``activity`` (str), ``t_us`` (int64), ``lifecycle`` (str,
        lower-case: ``schedule``, ``assign``, ``start`` and ``complete`` rows).

    Returns
    -------
    ibis Table
        One row per schedule or assign event: ``row_nr``, ``lifecycle``, ``target_row_nr`` (int64,
        nullable: the first event, start or complete, of the instance it belongs to) and ``kind``:
        ``"paired"``, ``"unmatched"`` (no start or complete follows before the next schedule),
        ``"superseded"`` (an assign followed by another assign before the work began) or ``"late"``
        (an assign after the work began: a reassignment).

    References
    ----------
    IEEE 1849-2016, Standard for eXtensible Event Stream (XES), lifecycle extension (standard model).
    """
    # Which start/complete events begin an instance: a start, or a complete not directly preceded by a
    # start (the pairing rule of pair_lifecycle). A schedule belongs to the next instance to begin.
    w = t.filter(t.lifecycle.isin(["start", "complete"]))
    ww = ibis.window(group_by=[w[CASE_ID], w[ACTIVITY]], order_by=[w.t_us, w[ROW_NR]])
    begins = w.mutate(prev_lc=w.lifecycle.lag().over(ww))
    begins = begins.select(
        b_row=begins[ROW_NR],
        begin=(begins.lifecycle == "start") | begins.prev_lc.isnull() | (begins.prev_lc != "start"),
    )
    t = t.left_join(begins, t[ROW_NR] == begins.b_row).drop("b_row")
    by = [t[CASE_ID], t[ACTIVITY]]
    x = t.mutate(k=ibis.row_number().over(ibis.window(group_by=by, order_by=[t.t_us, t[ROW_NR]])))
    x = x.mutate(
        seg=(x.lifecycle == "schedule")
        .cast("int64")
        .sum()
        .over(ibis.cumulative_window(group_by=[x[CASE_ID], x[ACTIVITY]], order_by=x.k))
    )
    seg_w = ibis.window(group_by=[x[CASE_ID], x[ACTIVITY], x.seg])
    work = x.begin.fill_null(False)
    x = x.mutate(first_k=ibis.cases((work, x.k), else_=ibis.null("int64")).min().over(seg_w))
    x = x.mutate(
        first_row=ibis.cases((x.k == x.first_k, x[ROW_NR]), else_=ibis.null("int64")).max().over(seg_w),
        last_assign_k=ibis.cases(
            ((x.lifecycle == "assign") & (x.k < x.first_k), x.k), else_=ibis.null("int64")
        )
        .max()
        .over(seg_w),
    )
    aux = x.filter(x.lifecycle.isin(["schedule", "assign"]))
    kind = ibis.cases(
        (aux.first_k.isnull(), "unmatched"),
        (aux.lifecycle == "schedule", "paired"),
        (aux.k > aux.first_k, "late"),
        (aux.k == aux.last_assign_k, "paired"),
        else_="superseded",
    )
    return aux.select(
        ROW_NR,
        "lifecycle",
        target_row_nr=ibis.cases((kind == "paired", aux.first_row), else_=ibis.null("int64")),
        kind=kind,
    )


def timestamp_ties(t: ir.Table) -> ir.Table:
    """Events that share their completion timestamp with another event of the same case.

    Returns
    -------
    ibis Table
        A single row: ``tied_events`` (int64) and ``tied_cases`` (int64).
    """
    g = t.group_by([CASE_ID, "t_us"]).aggregate(n=t.count())
    g = g.filter(g.n > 1)
    return g.aggregate(tied_events=g.n.sum().fill_null(0), tied_cases=g[CASE_ID].nunique())


def log_counts(t: ir.Table) -> ir.Table:
    """Headline counts of the event table.

    Returns
    -------
    ibis Table
        A single row: ``cases``, ``events``, ``activities``, ``resources``, ``roles`` (int64, distinct
        non-missing values), ``start_us``, ``end_us`` (int64, earliest start or completion and latest
        completion).
    """
    return t.aggregate(
        cases=t[CASE_ID].nunique(),
        events=t.count(),
        activities=t[ACTIVITY].nunique(),
        resources=t[RESOURCE].nunique(),
        roles=t[ROLE].nunique(),
        start_us=t.start_us.coalesce(t.t_us).min(),
        end_us=t.t_us.max(),
    )
