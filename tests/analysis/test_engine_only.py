"""The analyses read the event table through the engine (log.table(), log.columns, log.n_events), never
through the pandas frame ``log.events``, and the engine queries that replaced the pandas code give the
worked answers."""

from __future__ import annotations

import dataclasses
import sys

import pandas as pd
import pytest

from analysis import (
    analyze,
    classify_performers,
    discover_roles,
    find_orchestration_gate,
    mine_decisions,
    score_readiness,
    with_discovered_roles,
)
from analysis.blueprint import personal_data_columns
from analysis.queries.blueprint import column_presence
from analysis.queries.performers import distinct_values, middle_event_time, with_column_from
from analysis.queries.readiness import attribute_names, attribute_table, distinct_counts
from mapper import load_event_log
from mapper._pm4py import roles_from_counts
from mapper.engine import execute
from mapper.errors import AnalysisError
from mapper.log import EventLog

#: The modules converted to read the engine only (issue 13); a read of ``log.events`` from them fails.
ENGINE_ONLY = (
    "analysis.readiness",
    "analysis.queries.readiness",
    "analysis.decisions",
    "analysis.performers",
    "analysis.queries.performers",
    "analysis.blueprint",
    "analysis.queries.blueprint",
    "analysis.findings",
    "analysis.compare",
    "analysis.queries.compare",
    "analysis.monitoring",
    "analysis.impact",
    "analysis.queries.impact",
    "analysis.portfolio",
    "analysis.profile",
)


class GuardedLog(EventLog):
    """An EventLog whose pandas frame may be read by mapper/ (it still builds the engine from it) but not by
    the engine-only analyses."""

    def __getattribute__(self, name):
        if name == "events":
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller in ENGINE_ONLY:
                raise AssertionError(f"{caller} reads log.events")
        return super().__getattribute__(name)


def guarded(log: EventLog) -> GuardedLog:
    return GuardedLog(**{f.name: getattr(log, f.name) for f in dataclasses.fields(log)})


@pytest.fixture(scope="module")
def sample_guarded(sample_log):
    return guarded(sample_log)


def test_the_guard_catches_a_read_of_events(sample_guarded):
    # This test module is not engine-only; a converted module calling .events would raise.
    assert len(sample_guarded.events) == sample_guarded.n_events
    g = {"__name__": "analysis.readiness"}
    with pytest.raises(AssertionError, match="reads log.events"):
        exec("log.events", g, {"log": sample_guarded})  # noqa: S102


def test_converted_analyses_never_read_the_pandas_frame(sample_guarded):
    log = sample_guarded
    readiness = score_readiness(log, sensitivity="none")
    assert len(readiness.scores)
    gate = find_orchestration_gate(log, readiness=readiness)
    assert len(gate.conditions) == 3
    assert len(mine_decisions(log).points)
    assert len(classify_performers(log).table)
    roles = discover_roles(log)
    relabelled = with_discovered_roles(log, roles)
    assert relabelled.has_roles
    assert personal_data_columns(log)["Decide application"] == ["resource"]
    with pytest.raises(AnalysisError, match="`due_column` 'nope' is not a column"):
        analyze(log, due_column="nope")


# --- the engine queries, on a hand-made table ------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    # Five events in file order (row_nr 0..4); "flag" is a boolean with a gap, "amount" a float with a NaN,
    # "customer_name" a personal-data column filled on A only.
    df = pd.DataFrame(
        {
            "case_id": ["c1", "c1", "c2", "c2", "c3"],
            "activity": ["A", "B", "A", "B", "A"],
            "end": pd.to_datetime(
                [
                    "2024-01-01 09:00",
                    "2024-01-01 10:00",
                    "2024-07-01 09:00",
                    "2024-07-01 11:00",
                    "2024-12-01 08:00",
                ]
            ),
            "resource": ["r1", "r2", "r1", None, "r3"],
            "flag": [True, None, False, True, None],
            "amount": [1.5, float("nan"), 2.0, 3.0, 4.0],
            "customer_name": ["ann", None, "bob", None, "cy"],
        }
    )
    return load_event_log(df, timestamp="end")


def test_attribute_table_writes_booleans_as_pandas_does_and_nan_as_missing(small):
    names = attribute_names(small)
    assert set(names.values()) == {"flag", "amount", "customer_name"}  # not the timestamps
    t = attribute_table(small).to_pandas().sort_values("row_nr").reset_index(drop=True)
    by = {v: k for k, v in names.items()}
    assert t[by["flag"]].tolist()[0] == "True" and t[by["flag"]].tolist()[2] == "False"
    assert pd.isna(t[by["flag"]].tolist()[1])
    assert t[by["amount"]].isna().tolist() == [False, True, False, False, False]


def test_column_presence_and_personal_data(small):
    # A carries a customer_name on all three of its events, B on none; resource: A 3, B 1 (one missing).
    p = execute(column_presence(small.table(), ["resource", "customer_name"])).set_index("activity")
    assert p.loc["A"].tolist() == [3, 3] and p.loc["B"].tolist() == [1, 0]
    assert personal_data_columns(small) == {"A": ["resource", "customer_name"], "B": ["resource"]}


def test_distinct_counts_and_values(small):
    c = execute(distinct_counts(small.tables().events, ["resource", "activity"])).iloc[0]
    assert int(c["resource"]) == 3 and int(c["activity"]) == 2
    assert sorted(execute(distinct_values(small.tables().events, "resource"))["value"]) == ["r1", "r2", "r3"]


def test_middle_event_is_the_one_at_half_the_rows_in_file_order(small):
    # 5 events: position 5 // 2 = 2 is c2's A at 2024-07-01 09:00 UTC.
    us = int(execute(middle_event_time(small.tables().events, small.n_events)).iloc[0, 0])
    assert pd.Timestamp(us, unit="us", tz="UTC") == pd.Timestamp("2024-07-01 09:00", tz="UTC")


def test_with_column_from_joins_a_compact_mapping(small):
    mapping = pd.DataFrame({"key": ["r1", "r2", "r3"], "role": ["X", "Y", "X"]})
    t = with_column_from(small.table(), "role", "resource", mapping)
    cols = t.columns
    assert cols[cols.index("resource") + 1] == "role"
    out = t.to_pandas().sort_values("row_nr")
    assert out["role"].tolist()[:3] == ["X", "Y", "X"] and pd.isna(out["role"].tolist()[3])
    assert len(out) == small.n_events


def test_with_discovered_roles_keeps_the_events_and_the_file_order(small):
    roles = discover_roles(small)
    out = with_discovered_roles(small, roles)
    assert out.n_events == small.n_events
    assert out.events["row_nr"].tolist() == small.events["row_nr"].tolist()
    assert out.events["timestamp"].dtype == small.events["timestamp"].dtype
    m = dict(zip(roles.assignment["resource"], roles.assignment["role"], strict=True))
    got = out.events.set_index("row_nr")
    for r in small.events.itertuples():
        expected = m.get(r.resource) if isinstance(r.resource, str) else None
        assert (got.at[r.row_nr, "role"] if pd.notna(got.at[r.row_nr, "role"]) else None) == expected
    pd.testing.assert_frame_equal(
        out.events.drop(columns=["role"]),
        small.events.drop(columns=[c for c in ["role"] if c in small.events]),
    )


def test_roles_from_counts_merges_similar_activities():
    # A and B are done by r1 and r2 in equal measure (similarity 1 > 0.65): one role; C by r3 alone.
    found = roles_from_counts(
        {("r1", "A"): 2, ("r2", "A"): 2, ("r1", "B"): 1, ("r2", "B"): 1, ("r3", "C"): 4}, 0.65
    )
    assert [sorted(r["activities"]) for r in found] == [["A", "B"], ["C"]]
    assert found[0]["resources"] == {"r1": 3, "r2": 3}
