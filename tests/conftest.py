"""Shared fixtures: small hand-made logs with known answers, the planted-truth sample, the real logs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mapper import load_event_log

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs" / "council_permits.csv"
TRUTH = ROOT / "sample_logs" / "truth.json"
SHARED_LOGS = ROOT.parent / "shared" / "logs"


def make_log(rows: list[tuple], columns=("case_id", "activity", "start", "end", "resource", "role")):
    """An EventLog from rows of (case, activity, start, end, resource, role); times as 'YYYY-MM-DD HH:MM'."""
    df = pd.DataFrame(rows, columns=list(columns))
    kwargs = {"timestamp": "end"}
    if "start" in df:
        kwargs["start_timestamp"] = "start"
    return load_event_log(df, **kwargs)


@pytest.fixture(scope="session")
def sample_log():
    return load_event_log(SAMPLE)


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads(TRUTH.read_text())


@pytest.fixture(scope="session")
def sample_findings(sample_log):
    from analysis import analyze

    return analyze(sample_log)


def shared_log(name: str) -> Path:
    path = SHARED_LOGS / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


#: Real logs whose blueprints the tests of the executable outputs run (issue 12): a public-sector
#: process (fines), a hospital process with loops, a ticketing process.
BLUEPRINT_LOGS = (
    "Road_Traffic_Fine_Management_Process.csv.gz",
    "Sepsis Cases - Event Log.xes.gz",
    "helpdesk.xes.gz",
)
_REAL_FINDINGS: dict[str, object] = {}


@pytest.fixture(scope="session")
def real_findings():
    """``real_findings(name)``: ``analyze()`` of a log in ../shared/logs, computed once per test session."""
    from analysis import analyze

    def get(name: str):
        if name not in _REAL_FINDINGS:
            # The blueprint is what these tests read; the CLI runs on the real logs simulate the impact.
            _REAL_FINDINGS[name] = analyze(load_event_log(shared_log(name)), impact="analytical")
        return _REAL_FINDINGS[name]

    return get
