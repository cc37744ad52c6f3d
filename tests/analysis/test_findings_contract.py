"""findings.json holds at least the documented contract, as strict JSON."""

from __future__ import annotations

import json

from analysis.findings import FINDINGS_SCHEMA_VERSION


def test_contract_keys_and_types(sample_findings, tmp_path):
    doc = json.loads(sample_findings.save(tmp_path / "findings.json").read_text("utf-8"))
    assert isinstance(doc["flowready_version"], str)
    assert doc["schema_version"] == FINDINGS_SCHEMA_VERSION
    assert {
        "source",
        "cases",
        "events",
        "activities",
        "variants",
        "resources",
        "start",
        "end",
        "filters",
    } <= set(doc["log"])
    assert doc["log"]["filters"] == []  # the whole log was analysed
    dq = doc["data_quality"]
    assert dq["rows_read"] == dq["rows_kept"] + dq["rows_dropped"]
    assert sum(dq["reasons"].values()) == dq["rows_dropped"]
    b0 = doc["bottlenecks"][0]
    assert set(b0) >= {
        "activity",
        "cases",
        "waiting_hours_median",
        "waiting_hours_p90",
        "processing_hours_median",
        "hours_lost_total",
        "share_of_waiting",
        "rank",
    }
    assert [b["rank"] for b in doc["bottlenecks"]] == list(range(1, len(doc["bottlenecks"]) + 1))
    h0 = doc["handoffs"][0]
    assert set(h0) >= {"level", "source", "target", "count", "cases", "delay_hours_median", "ping_pong_cases"}
    assert {h["level"] for h in doc["handoffs"]} == {"resource", "role"}
    assert set(doc["rework"][0]) >= {"activity", "cases_with_rework", "share"}
    r0 = doc["readiness"][0]
    assert set(r0) >= {"activity", "score", "recommendation", "factors", "rationale"}
    assert set(r0["factors"]["volume"]) == {"value", "score", "weight"}
    assert isinstance(doc["verdict"]["orchestrate_first"], bool) and doc["verdict"]["reasons"]


def test_same_numbers_as_the_result_objects(sample_findings):
    doc = sample_findings.to_dict()
    assert doc["log"]["cases"] == sample_findings.summary["cases"]
    top = sample_findings.bottlenecks.activities.iloc[0]
    assert doc["bottlenecks"][0]["activity"] == top["activity"]
    assert doc["bottlenecks"][0]["hours_lost_total"] == float(top["hours_lost_total"])
