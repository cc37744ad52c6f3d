"""The engine behind the event-level queries: embedded DuckDB by default, Spark for the distributed path.

flowready's event-level computations are Ibis expressions written once (:mod:`mapper.engine` and the
queries beside each analysis). This module is the only place that knows which backend runs them: it
opens a connection, puts a pandas/Arrow table or a Parquet file into it, stores intermediate results
(temporary tables on DuckDB, cached temporary views on Spark) and executes compact results.

Choose the engine once per process, before the log's tables are first used::

    from mapper.backends import set_engine
    set_engine("spark")                      # a local Spark, or the cluster that Spark's own
                                             # configuration (SPARK_REMOTE, spark-defaults.conf) names
    set_engine("spark", session=my_session)  # an existing SparkSession (a cluster, Databricks, ...)

or set ``FLOWREADY_ENGINE=spark`` in the environment; ``flowready analyze --engine spark`` does the
same from the command line. See ``docs/scale-out.md``.

Every log gets its own connection: a DuckDB database in memory, or a new Spark session sharing the
process's SparkContext (``SparkSession.newSession``: its own temporary views, so two logs never see each
other's tables).
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from mapper.errors import FlowreadyError

Engine = Literal["duckdb", "spark"]
#: The engines :func:`set_engine` accepts.
ENGINES: tuple[str, ...] = ("duckdb", "spark")
#: DuckDB threads per connection: every core.
DUCKDB_THREADS = os.cpu_count() or 1
#: Share of the machine's memory a DuckDB connection may use before it spills to its temporary directory:
#: 25 % leaves room for Python, the compact results, Chromium printing the PDF and a second process (the
#: app, a notebook). On the 24 GB machine flowready is sized for, 6 GB. Measured on Road Traffic x50
#: (28M events) with 15 %: the analysis stayed within 4.9 GB in all, and the outputs 6.2 GB.
MEMORY_SHARE = 0.25


def duckdb_config() -> dict:
    """The settings of every DuckDB connection: all cores, a memory limit, and a temporary directory
    (``<tmp>/flowready-duckdb``) to spill to instead of failing.

    The memory limit is :data:`MEMORY_SHARE` of the machine's memory, or what the environment variable
    ``FLOWREADY_DUCKDB_MEMORY`` says: a share (``0.25``) or a size DuckDB reads (``6GB``, ``800MB``).

    Returns
    -------
    dict
        ``threads`` (int), ``temp_directory`` (str) and, unless the memory cannot be read, ``memory_limit``
        (str, e.g. ``"9830MB"``).

    Raises
    ------
    mapper.errors.FlowreadyError
        When ``FLOWREADY_DUCKDB_MEMORY`` is neither a share between 0 and 1 nor a size.

    Examples
    --------
    >>> duckdb_config()["threads"] >= 1
    True
    """
    import re
    import tempfile

    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: let DuckDB choose
        memory = 0
    config = {
        "threads": DUCKDB_THREADS,
        "temp_directory": str(Path(tempfile.gettempdir()) / "flowready-duckdb"),
    }
    asked = os.environ.get("FLOWREADY_DUCKDB_MEMORY", "").strip()
    share = MEMORY_SHARE
    if asked:
        size = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", asked, flags=re.IGNORECASE)
        if size and float(size.group(1)) > 0:
            config["memory_limit"] = asked.replace(" ", "")
            return config
        try:
            share = float(asked)
        except ValueError:
            share = -1.0
        if size or not 0 < share <= 1:  # a size of zero is no limit DuckDB can work in
            raise FlowreadyError(
                f"FLOWREADY_DUCKDB_MEMORY={asked!r} is neither a share of the memory between 0 and 1 "
                "(e.g. 0.25) nor a size above zero (e.g. 6GB); set it to one of those, or unset it."
            )
    if memory:
        config["memory_limit"] = f"{int(memory * share / 2**20)}MB"
    return config


#: Settings of the local Spark that flowready starts when no Spark configuration names a cluster:
#: no web UI (tests and notebooks run offline, without a free port), few shuffle partitions (the default
#: 200 makes every small aggregate pay for 200 tasks), Arrow for pandas transfers, UTC session time.
LOCAL_SPARK_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.driver.memory": "2g",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "true",
}
#: Settings flowready needs on any Spark session, local or remote (set per session, not per cluster).
SESSION_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Cross joins appear in a few small lookups (one-row tables of thresholds).
    "spark.sql.crossJoin.enabled": "true",
}


class EngineError(FlowreadyError, RuntimeError):
    """The requested engine cannot be used (not installed, or its session does not start)."""


@dataclass
class _Setting:
    engine: str = "duckdb"
    session: object = None  # a SparkSession given by the user
    conf: dict = field(default_factory=dict)


_SETTING = _Setting(engine=os.environ.get("FLOWREADY_ENGINE", "duckdb").strip().lower() or "duckdb")
_LOCK = threading.RLock()
#: Spark DataFrames cached by :func:`materialise`, per connection: unpersisted when the connection goes.
_CACHED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def set_engine(engine: Engine = "duckdb", *, session: object = None, conf: dict | None = None) -> None:
    """Choose the engine that runs the event-level queries of the logs whose tables are built from now on.

    Parameters
    ----------
    engine : {"duckdb", "spark"}
        ``"duckdb"`` (default): an embedded DuckDB per log. ``"spark"``: PySpark (``pip install
        'flowready[spark]'``).
    session : pyspark.sql.SparkSession, optional
        An existing Spark session (a cluster's, Databricks', Spark Connect's). Without it flowready uses
        the active session, or builds one from Spark's own configuration (``SPARK_REMOTE``,
        ``spark-defaults.conf``, ``PYSPARK_SUBMIT_ARGS``), or else a local one (:data:`LOCAL_SPARK_CONF`).
    conf : dict of str to str, optional
        Extra Spark settings for a session flowready builds (e.g. ``{"spark.master": "spark://host:7077"}``).

    Raises
    ------
    EngineError
        ``engine`` is not one of :data:`ENGINES`.

    Examples
    --------
    >>> from mapper.backends import current_engine, set_engine
    >>> set_engine("duckdb")
    >>> current_engine()
    'duckdb'
    """
    name = str(engine).strip().lower()
    if name not in ENGINES:
        raise EngineError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}.")
    with _LOCK:
        _SETTING.engine = name
        _SETTING.session = session
        _SETTING.conf = dict(conf or {})


def current_engine() -> str:
    """The engine new logs use: ``"duckdb"`` or ``"spark"`` (see :func:`set_engine`)."""
    return _SETTING.engine


@contextlib.contextmanager
def use_engine(engine: Engine, *, session: object = None, conf: dict | None = None):
    """Run a block with another engine, then restore the previous choice (see :func:`set_engine`).

    Examples
    --------
    >>> from mapper.backends import current_engine, use_engine
    >>> with use_engine("duckdb"):
    ...     current_engine()
    'duckdb'
    """
    with _LOCK:
        before = (_SETTING.engine, _SETTING.session, dict(_SETTING.conf))
    set_engine(engine, session=session, conf=conf)
    try:
        yield
    finally:
        with _LOCK:
            _SETTING.engine, _SETTING.session, _SETTING.conf = before


def spark_session(conf: dict | None = None):
    """The Spark session flowready runs on: the one given to :func:`set_engine`, the active one, or a new one.

    A new session takes Spark's own configuration first (``SPARK_REMOTE`` for Spark Connect,
    ``spark.master`` from ``spark-defaults.conf`` or ``PYSPARK_SUBMIT_ARGS``); without a master it is
    local (``local[2]``) with :data:`LOCAL_SPARK_CONF`. ``conf`` overrides both.

    Raises
    ------
    EngineError
        PySpark is not installed.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            "engine='spark' needs PySpark: pip install 'flowready[spark]' (pyspark 4.0, Java 17)."
        ) from exc
    if _SETTING.session is not None:
        return _SETTING.session
    active = SparkSession.getActiveSession()
    if active is not None and not conf and not _SETTING.conf:
        return active
    builder = SparkSession.builder.appName("flowready")
    remote = os.environ.get("SPARK_REMOTE")
    settings = {} if remote else dict(LOCAL_SPARK_CONF)
    if (
        not remote
        and "spark.master" not in (conf or {})
        and "--master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    ):
        builder = builder.master(os.environ.get("MASTER", "local[2]"))
    settings.update(_SETTING.conf)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect(engine: Engine | None = None):
    """A new connection of the chosen engine, for one event log.

    Parameters
    ----------
    engine : {"duckdb", "spark"}, optional
        Defaults to :func:`current_engine`.

    Returns
    -------
    ibis backend
        DuckDB in memory with :data:`DUCKDB_THREADS` threads, or PySpark over a new session of
        :func:`spark_session` (its own temporary views).

    Raises
    ------
    EngineError
        Unknown engine, or PySpark not installed.

    Examples
    --------
    >>> from mapper.backends import connect, engine_of
    >>> engine_of(connect("duckdb"))
    'duckdb'
    """
    name = engine or current_engine()
    _install_duckdb_rules()
    if name == "duckdb":
        return ibis.duckdb.connect(**duckdb_config())
    if name == "spark":
        _install_spark_rules()
        session = spark_session().newSession()
        for key, value in SESSION_CONF.items():
            with contextlib.suppress(Exception):  # Spark Connect refuses some settings
                session.conf.set(key, value)
        return ibis.pyspark.connect(session)
    raise EngineError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}.")


def engine_of(con) -> str:
    """``"duckdb"``, ``"spark"``, or the Ibis name of another backend, for the connection ``con``."""
    return {"pyspark": "spark"}.get(con.name, con.name)


def register(con, name: str, data: pd.DataFrame | object) -> ir.Table:
    """Store a pandas DataFrame or a pyarrow Table in ``con`` as the table ``name`` and return it.

    Parameters
    ----------
    con : ibis backend
        From :func:`connect`.
    name : str
        A plain identifier, unique in ``con`` (an existing table of that name is replaced).
    data : pandas.DataFrame or pyarrow.Table
        Columns of types Arrow can hold (see :func:`mapper.engine.engine_frame`).

    Returns
    -------
    ibis Table
        The stored copy: a temporary table on DuckDB, a cached temporary view on Spark.
    """
    if engine_of(con) != "spark":
        return con.create_table(name, data, temp=True, overwrite=True)
    import pyarrow as pa

    arrow = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    df = con._session.createDataFrame(_spark_ready(arrow))
    return _cache_view(con, name, df)


def register_parquet(con, name: str, path: str | Path) -> ir.Table:
    """Read the Parquet file (or directory of files) at ``path`` into ``con`` as the table ``name``.

    On Spark the file is read where Spark runs (a path on the cluster's file system or object store).
    """
    if engine_of(con) != "spark":
        return con.create_table(name, con.read_parquet(str(path)), temp=True, overwrite=True)
    return _cache_view(con, name, con._session.read.parquet(str(path)))


def materialise(con, name: str, expr: ir.Table) -> ir.Table:
    """Compute ``expr`` once and store it in ``con`` as the table ``name``; return the stored table.

    A temporary table on DuckDB; on Spark a cached temporary view (computed when first read, then kept
    in the executors' memory and disk; released when ``con`` is garbage-collected).
    """
    if engine_of(con) != "spark":
        return con.create_table(name, expr, temp=True, overwrite=True)
    con._register_in_memory_tables(expr)
    return _cache_view(con, name, con._session.sql(con.compile(expr)))


def create_view(con, name: str, expr: ir.Table) -> ir.Table:
    """Store ``expr`` in ``con`` as the view ``name`` (computed at every read, never copied); return it.

    A temporary view on DuckDB and on Spark. For a table that is one cheap step from another one (a
    join with a compact mapping), where a stored copy would double the engine's memory and spill. The
    view outlives ``expr``: store any in-memory table (``ibis.memtable``) it reads first
    (:func:`materialise`), since Ibis may drop those once ``expr`` is gone.
    """
    con._register_in_memory_tables(expr)
    if engine_of(con) == "spark":
        con._session.sql(con.compile(expr)).createOrReplaceTempView(name)
    else:
        con.raw_sql(f'create or replace temp view "{name}" as {con.compile(expr)}')
    return con.table(name)


#: Significant digits kept of every float an engine returns (see :func:`execute`).
FLOAT_DIGITS = 12


def execute(expr: ir.Table) -> pd.DataFrame:
    """Run ``expr`` and return a pandas DataFrame (only for compact results), the same on every engine.

    Float columns are rounded to :data:`FLOAT_DIGITS` significant digits: a parallel sum adds its
    partial sums in whatever order its threads or partitions finish, and DuckDB's ``quantile_cont`` and
    Spark's ``percentile`` interpolate with algebraically equal but differently rounded formulas, so the
    last bits of a mean, a total or a quantile depend on the engine and the run. Twelve digits are far
    below any figure flowready reports and far above those rounding differences (about 1e-15).
    Row order is whatever the engine returns: sort the result (or the expression) where order matters.
    """
    return round_floats(expr.to_pandas())


def round_floats(frame: pd.DataFrame, digits: int = FLOAT_DIGITS) -> pd.DataFrame:
    """``frame`` with its float columns rounded to ``digits`` significant digits (others untouched).

    Examples
    --------
    >>> import pandas as pd
    >>> from mapper.backends import round_floats
    >>> round_floats(pd.DataFrame({"x": [0.1 + 0.2, 2.0, None]}))["x"].tolist()
    [0.3, 2.0, nan]
    """
    import numpy as np

    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
            x = s.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                finite = np.isfinite(x) & (x != 0)
                # x = m * 10**e with m of `digits` digits before the point; extreme exponents stay as they are
                e = np.where(finite, np.floor(np.log10(np.abs(x))) - (digits - 1), 0.0)
                ok = finite & (np.abs(e) < 280)
                up, down = 10.0 ** np.where(ok & (e < 0), -e, 0.0), 10.0 ** np.where(ok & (e >= 0), e, 0.0)
                y = np.where(ok, np.round(x * up / down) * down / up, x)
            s = pd.Series(y, index=s.index, name=s.name).astype(s.dtype)
        out[col] = s
    return pd.DataFrame(out, index=frame.index, columns=frame.columns) if out else frame


def _cache_view(con, name: str, df) -> ir.Table:
    df = df.cache()
    df.createOrReplaceTempView(name)
    with _LOCK:
        frames = _CACHED.get(con)
        if frames is None:
            frames = _CACHED[con] = []
            weakref.finalize(con, _unpersist, frames)
        frames.append(df)
    return con.table(name)


def _unpersist(frames: list) -> None:
    for df in frames:
        with contextlib.suppress(Exception):  # the session may already be gone at exit
            df.unpersist()


def _spark_ready(table):
    """Arrow types Spark cannot read, converted: large strings to strings, nanosecond times to µs."""
    import pyarrow as pa

    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        elif pa.types.is_timestamp(t) and t.unit != "us":
            t = pa.timestamp("us", tz=t.tz)
        elif pa.types.is_dictionary(t):
            t = t.value_type
        fields.append(pa.field(f.name, t, f.nullable))
    schema = pa.schema(fields)
    return table if schema.equals(table.schema) else table.cast(schema)


def _install_duckdb_rules() -> None:
    """Make Ibis' DuckDB ``mode`` deterministic: the most frequent value, the lowest on ties.

    DuckDB's ``mode(x)`` returns the tied value it met first, which depends on the row order and the
    threads; ``mode() WITHIN GROUP (ORDER BY x)`` returns the lowest, as Spark's ``mode(x, true)``
    does (see :func:`_install_spark_rules`).
    """
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

    if getattr(DuckDBCompiler, "_flowready_rules", False):
        return
    import sqlglot.expressions as sge

    def visit_Mode(self, op, *, arg, where):
        out = sge.WithinGroup(this=self.f.mode(), expression=sge.Order(expressions=[sge.Ordered(this=arg)]))
        return sge.Filter(this=out, expression=sge.Where(this=where)) if where is not None else out

    DuckDBCompiler.visit_Mode = visit_Mode
    DuckDBCompiler._flowready_rules = True


def _install_spark_rules() -> None:
    """Teach Ibis' Spark compiler the ordered collect that flowready's queries use (traces, examples).

    ``column.collect(order_by=key)`` compiles to ``ARRAY_AGG(... ORDER BY key)`` on DuckDB; Spark has no
    ordered aggregate, so Ibis refuses it. The same result on Spark: collect ``(key, value)`` structs,
    sort the array (structs compare field by field) and keep the values. Only ascending keys, as the
    queries use; anything else still raises Ibis' error. And ``mode``, which Ibis does not compile for
    Spark: ``mode(x, true)``, the most frequent value, the lowest on ties (as on DuckDB); and
    ``median(where=...)``, which Ibis compiles with a non-constant percentage that Spark refuses; and
    ``bit_xor``, which Ibis does not compile for Spark either.
    """
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    if getattr(PySparkCompiler, "_flowready_rules", False):
        return
    import sqlglot as sg
    import sqlglot.expressions as sge

    original = PySparkCompiler.visit_ArrayCollect

    def visit_ArrayCollect(self, op, *, arg, where, order_by, include_null, distinct):
        plain = not order_by or distinct or include_null
        if plain or any(o.args.get("desc") or o.args.get("nulls_first") for o in order_by):
            kw = {"where": where, "order_by": order_by, "include_null": include_null, "distinct": distinct}
            return original(self, op, arg=arg, **kw)
        fields = []
        for i, o in enumerate(order_by):
            fields += [sge.convert(f"k{i}"), o.this]
        fields += [sge.convert("v"), arg]
        keep = arg.is_(sg.not_(sge.Null()))
        if where is not None:
            keep = sge.And(this=keep, expression=where)
        item = self.if_(keep, self.f.named_struct(*fields), sge.Null())
        x = sg.to_identifier("__flowready_x")
        take = sge.Lambda(this=sge.Dot(this=x, expression=sg.to_identifier("v")), expressions=[x])
        return self.f.transform(self.f.array_sort(self.f.collect_list(item)), take)

    def visit_Mode(self, op, *, arg, where):
        if where is not None:
            arg = self.if_(where, arg, sge.Null())
        return self.f.mode(arg, sge.true())

    def visit_Median(self, op, *, arg, where):
        # Ibis applies ``where`` to the percentage too (IF(where, 0.5, NULL)), which Spark refuses
        if where is not None:
            arg = self.if_(where, arg, sge.Null())
        return self.f.percentile(arg, sge.convert(0.5))

    def visit_BitXor(self, op, *, arg, where):
        # Spark has bit_xor (3.0+); Ibis does not compile it (the variants' trace keys use it)
        if where is not None:
            arg = self.if_(where, arg, sge.Null())
        return self.f.bit_xor(arg)

    original_udf = PySparkCompiler.visit_ScalarUDF

    def visit_ScalarUDF(self, op, **kw):
        # DuckDB's epoch_us (mapper.engine.epoch_us, a builtin UDF) is Spark's unix_micros
        if getattr(op, "__func_name__", "") == "epoch_us":
            return self.f.unix_micros(*kw.values())
        return original_udf(self, op, **kw)

    PySparkCompiler.visit_ScalarUDF = visit_ScalarUDF
    PySparkCompiler.visit_ArrayCollect = visit_ArrayCollect
    PySparkCompiler.visit_Mode = visit_Mode
    PySparkCompiler.visit_Median = visit_Median
    PySparkCompiler.visit_BitXor = visit_BitXor
    PySparkCompiler._flowready_rules = True


_install_duckdb_rules()
