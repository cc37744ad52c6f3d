"""The distributed path: the same Ibis expressions on Spark give the same results as on DuckDB.

The engine choice and the float rounding are tested without Spark; everything that starts a Spark
session is marked slow (the JVM alone takes 10-30 s) and skipped, with the reason, when PySpark or Java
is missing. One local session serves the whole test session.
"""

from __future__ import annotations

import json
import shutil
import time

import pandas as pd
import pytest

from mapper import backends
from mapper import engine as E
from mapper.load import load_event_log
from tests.conftest import SAMPLE, shared_log

SEPSIS = "Sepsis Cases - Event Log.xes.gz"


# --- without Spark --------------------------------------------------------------------------------------


def test_engine_choice_is_validated_and_restored():
    assert backends.current_engine() == "duckdb"
    with pytest.raises(backends.EngineError, match="engine must be one of duckdb, spark"):
        backends.set_engine("polars")
    with backends.use_engine("spark"):
        assert backends.current_engine() == "spark"
    assert backends.current_engine() == "duckdb"
    assert backends.engine_of(backends.connect("duckdb")) == "duckdb"


def test_round_floats_hides_summation_order():
    # Two summation orders of the same numbers differ in the last bit; rounded, they are equal.
    a, b = 0.1 + 0.2 + 0.3, 0.3 + 0.2 + 0.1
    assert a != b
    r = backends.round_floats(pd.DataFrame({"x": [a, b, None], "n": [1, 2, 3]}))
    assert r.x[0] == r.x[1] and pd.isna(r.x[2])
    assert r.n.tolist() == [1, 2, 3] and r.n.dtype == "int64"


def test_duckdb_materialise_and_register_are_tables_of_the_connection():
    con = backends.connect("duckdb")
    t = backends.register(con, "x", pd.DataFrame({"a": [3, 1, 2]}))
    m = backends.materialise(con, "y", t.filter(t.a > 1))
    assert sorted(backends.execute(m).a) == [2, 3]
    assert backends.execute(con.table("y")).a.sum() == 5


# --- on Spark -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark():
    """A local Spark session for the test session (no UI, 4 shuffle partitions, 2 GB driver)."""
    pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'flowready[spark]')")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (17) on the PATH")
    session = backends.spark_session(backends.LOCAL_SPARK_CONF)
    yield session
    session.stop()


class _Owner:
    """Stands for an EventLog: tables_for keys its cache weakly by the owning log."""


_OWNERS: list[_Owner] = []  # alive for the test session, as the tables built for them


def _tables(events: pd.DataFrame, engine: str) -> E.EngineTables:
    _OWNERS.append(_Owner())
    with backends.use_engine(engine):
        return E.tables_for(_OWNERS[-1], E.EventStore.from_frame(events).on_engine(engine))


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    """Equal values (not dtypes: Spark's row numbers are int32), rows sorted by ``keys``."""

    def norm(f: pd.DataFrame) -> pd.DataFrame:
        f = f.copy()
        for c in f.columns:
            if (
                f[c].dtype == object
                and f[c].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any()
            ):
                f[c] = f[c].map(lambda v: None if v is None else "\x1f".join(map(str, v)))
        return f.sort_values(keys, ignore_index=True)

    pd.testing.assert_frame_equal(norm(a), norm(b), check_dtype=False, check_exact=True)


PRIMITIVES = {
    "ordered": (lambda o: o, ["row_nr"]),
    "dfg_edges": (E.dfg_edges, ["source", "target"]),
    "start_end_activities": (E.start_end_activities, ["activity"]),
    "case_traces": (E.case_traces, ["case_id"]),
    "variants": (lambda o: E.variants(o).mutate(trace=lambda v: v.trace.join("\x1f")), ["trace"]),
    "activity_stats": (E.activity_stats, ["activity"]),
    "rework": (E.rework, ["activity"]),
}


@pytest.fixture(scope="session")
def both_engines(spark):
    """``both_engines(name)``: the DuckDB and Spark tables of a log (sample or a shared log), built once."""
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            path = SAMPLE if name == "sample" else shared_log(name)
            events = load_event_log(path).events
            cache[name] = (_tables(events, "duckdb"), _tables(events, "spark"))
        return cache[name]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("log_name", ["sample", SEPSIS])
def test_engine_primitives_are_identical_on_spark(both_engines, log_name):
    duck, spark = both_engines(log_name)
    for query, keys in PRIMITIVES.values():
        _same(E.execute(query(duck.ordered)), E.execute(query(spark.ordered)), keys)
    _same(E.execute(E.log_counts(duck.events)), E.execute(E.log_counts(spark.events)), ["events"])


@pytest.mark.slow
@pytest.mark.parametrize("log_name", ["sample", SEPSIS])
def test_handovers_waits_and_case_durations_are_identical_on_spark(both_engines, log_name):
    from analysis.queries.handoffs import (
        activity_handoffs,
        handover_activity_flows,
        handover_pairs,
        handovers,
    )
    from analysis.queries.performance import case_cycle_hours, case_waiting_hours

    duck, spark = both_engines(log_name)
    for level in ("resource", "role"):
        hd, hs = handovers(duck.ordered, level), handovers(spark.ordered, level)
        _same(E.execute(hd), E.execute(hs), ["case_id", "pos"])
        _same(E.execute(handover_pairs(hd)), E.execute(handover_pairs(hs)), ["source", "target"])
        _same(
            E.execute(handover_activity_flows(hd)),
            E.execute(handover_activity_flows(hs)),
            ["source", "target", "activity"],
        )
        _same(
            E.execute(activity_handoffs(duck.ordered, hd, level)),
            E.execute(activity_handoffs(spark.ordered, hs, level)),
            ["activity"],
        )
    for query in (case_cycle_hours, lambda o: case_waiting_hours(o, None)):
        _same(E.execute(query(duck.ordered)), E.execute(query(spark.ordered)), ["case_id"])


@pytest.mark.slow
def test_analyze_findings_are_identical_on_spark(spark, real_findings):
    """The whole findings JSON of a real log (Sepsis, 15k events), DuckDB against Spark."""
    from analysis import analyze
    from analysis.export import json_text

    t0 = time.perf_counter()
    duck = real_findings(SEPSIS)
    t_duck = time.perf_counter() - t0
    t0 = time.perf_counter()
    with backends.use_engine("spark"):
        on_spark = analyze(load_event_log(shared_log(SEPSIS)), impact="analytical")
    t_spark = time.perf_counter() - t0
    print(f"analyze(Sepsis): DuckDB {t_duck:.1f} s (0 if cached), Spark {t_spark:.1f} s")
    a, b = json.loads(json_text(duck.to_dict())), json.loads(json_text(on_spark.to_dict()))
    for doc in (a, b):  # the impact's wall time is the one measurement of the run, not of the log
        (doc.get("impact") or {}).pop("seconds", None)
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    assert not differing, f"sections that differ between DuckDB and Spark: {differing}"
