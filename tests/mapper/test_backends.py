"""The DuckDB connection's settings: its memory limit follows MEMORY_SHARE or FLOWREADY_DUCKDB_MEMORY."""

from __future__ import annotations

import os

import pytest

from mapper.backends import MEMORY_SHARE, duckdb_config
from mapper.errors import FlowreadyError


def _machine_mb() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def test_default_limit_is_the_share_of_the_machine(monkeypatch):
    monkeypatch.delenv("FLOWREADY_DUCKDB_MEMORY", raising=False)
    limit = duckdb_config()["memory_limit"]
    assert limit.endswith("MB")
    assert abs(int(limit[:-2]) - _machine_mb() * MEMORY_SHARE) <= 1


@pytest.mark.parametrize(
    ("asked", "expected"),
    [("6GB", "6GB"), ("800 MB", "800MB"), ("1.5GiB", "1.5GiB")],
)
def test_a_size_is_passed_to_duckdb(monkeypatch, asked, expected):
    monkeypatch.setenv("FLOWREADY_DUCKDB_MEMORY", asked)
    assert duckdb_config()["memory_limit"] == expected


def test_a_share_scales_the_machine(monkeypatch):
    monkeypatch.setenv("FLOWREADY_DUCKDB_MEMORY", "0.25")
    assert abs(int(duckdb_config()["memory_limit"][:-2]) - _machine_mb() * 0.25) <= 1


@pytest.mark.parametrize("asked", ["lots", "2", "0", "-0.5", "0GB", "0.0 MB"])
def test_a_bad_setting_names_the_variable(monkeypatch, asked):
    monkeypatch.setenv("FLOWREADY_DUCKDB_MEMORY", asked)
    with pytest.raises(FlowreadyError, match="FLOWREADY_DUCKDB_MEMORY"):
        duckdb_config()


def test_a_connection_honours_the_limit(monkeypatch):
    import duckdb

    monkeypatch.setenv("FLOWREADY_DUCKDB_MEMORY", "512MB")
    con = duckdb.connect(config={k: str(v) for k, v in duckdb_config().items()})
    got = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert got.replace(" ", "") in {"512.0MiB", "488.2MiB", "512MB", "488.2MB"}, got
