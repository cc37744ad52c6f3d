"""classify_performers, load_performer_types, performer_types, discover_roles, with_discovered_roles.

Every hand-made log below is built so that one rule of the decision rule decides each performer; the
worked answer is in the comment above each test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import (
    classify_performers,
    discover_roles,
    load_performer_types,
    performer_types,
    with_discovered_roles,
)
from analysis.performers import (
    PERFORMER_TYPES,
    TABLE_COLUMNS,
    NameMatch,
    name_vocabulary,
    request_activities,
)
from mapper.errors import AnalysisError
from tests.conftest import make_log

RES = ("case_id", "activity", "start", "end", "resource")


def _at(day: int, hh: int, mm: int = 0, ss: int = 7) -> str:
    """2024-01-<day> hh:mm:ss (January 2024: the 1st is a Monday); seconds off the whole hour."""
    return f"2024-01-{day:02d} {hh:02d}:{mm:02d}:{ss:02d}"


# --- names ---------------------------------------------------------------------------------------------


def test_name_vocabularies():
    assert name_vocabulary("rpa_fee_bot") == NameMatch("bot", "bot")  # "bot" comes before "rpa" in BOT_WORDS
    assert name_vocabulary("RpaRunner") == NameMatch("bot", "rpa")  # camelCase split
    assert name_vocabulary("Portal") == NameMatch("system", "portal")
    assert name_vocabulary("SYSTEM") == NameMatch("system", "system")
    assert name_vocabulary("batch-job-7") == NameMatch("system", "batch")
    assert name_vocabulary("Applicant") == NameMatch("external", "applicant")
    assert name_vocabulary("Klant") == NameMatch("external", "klant")
    assert name_vocabulary("fornitore_12") == NameMatch("external", "fornitore")
    # A team that serves customers is not the customer; "robotics" is not "robot"; nor "systematic".
    assert name_vocabulary("Customer Service") == NameMatch("", "")
    assert name_vocabulary("robotics_lab") == NameMatch("", "")
    assert name_vocabulary("systematic reviewer") == NameMatch("", "")
    assert name_vocabulary("clerk_01") == NameMatch("", "")


def test_request_activities():
    acts = [
        "Request further information",
        "Submit request",
        "Review request",
        "W_Nabellen incomplete dossiers",
        "Invio richiesta documenti",
        "Answer Highways query",
    ]
    assert request_activities(acts) == [
        "Request further information",
        "W_Nabellen incomplete dossiers",
        "Invio richiesta documenti",
    ]


# Names decide (rule "name"), one case per performer pair, times in office hours:
#   c1: Receive by Portal, Validate by clerk_1, Fee by rpa_fee_bot, Close by SYSTEM
#   c2: Receive by Portal, Validate by Customer Service, Provide by Applicant
# Portal: system; rpa_fee_bot: bot; SYSTEM: system; Applicant: external; clerk_1 and Customer Service:
# human with only 1-2 events: "only 1 event(s)", confidence 0.5.
NAME_ROWS = [
    ("c1", "Receive", _at(2, 9, 0), _at(2, 9, 1), "Portal"),
    ("c1", "Validate", _at(2, 9, 10), _at(2, 9, 20), "clerk_1"),
    ("c1", "Fee", _at(2, 9, 21), _at(2, 9, 22), "rpa_fee_bot"),
    ("c1", "Close", _at(2, 9, 30), _at(2, 9, 31), "SYSTEM"),
    ("c2", "Receive", _at(3, 9, 0), _at(3, 9, 1), "Portal"),
    ("c2", "Validate", _at(3, 9, 10), _at(3, 9, 20), "Customer Service"),
    ("c2", "Provide", _at(5, 14, 0), _at(5, 14, 0), "Applicant"),
]


@pytest.fixture(scope="module")
def named():
    return classify_performers(make_log(NAME_ROWS, columns=RES))


def test_types_from_names(named):
    t = named.table.set_index("performer")
    assert named.types() == {
        "Portal": "system",
        "clerk_1": "human",
        "rpa_fee_bot": "bot",
        "SYSTEM": "system",
        "Customer Service": "human",
        "Applicant": "external",
    }
    assert (t.loc[["Portal", "SYSTEM", "rpa_fee_bot", "Applicant"], "rule"] == "name").all()
    assert (t.loc[["Portal", "SYSTEM", "rpa_fee_bot", "Applicant"], "confidence"] == 0.9).all()
    assert t.loc["rpa_fee_bot", "reason"] == "name 'rpa_fee_bot' contains 'bot' (software robot vocabulary)"
    assert t.loc["clerk_1", "confidence"] == 0.5 and "only 1 event" in t.loc["clerk_1", "reason"]
    assert named.level == "resource" and list(named.table.columns) == TABLE_COLUMNS
    # Portal has 2 events, then the others with 1 each, by name.
    assert named.table["performer"].tolist()[0] == "Portal"


# Activity automation (worked from NAME_ROWS): Receive 2 events, both by Portal (system): rate 1.0;
# Validate 2 human: 0.0; Fee 1 bot: 1.0; Close 1 system: 1.0; Provide 1 external: 0.0.
def test_activity_automation(named):
    a = named.activity_automation.set_index("activity")
    assert a.loc["Receive", ["events", "with_performer", "system_events"]].tolist() == [2, 2, 2]
    assert a.loc["Receive", "automation_rate"] == 1.0
    assert a.loc["Validate", ["human_events", "automation_rate"]].tolist() == [2, 0.0]
    assert a.loc["Fee", ["bot_events", "automation_rate"]].tolist() == [1, 1.0]
    assert a.loc["Provide", ["external_events", "automation_rate"]].tolist() == [1, 0.0]
    assert a["automation_rate"].dtype == "float64"


def test_automation_rate_is_nan_without_a_performer():
    log = make_log(
        [("c1", "A", None, _at(2, 9), "r1"), ("c1", "B", None, _at(2, 10), None)],
        columns=RES,
    )
    a = classify_performers(log).activity_automation.set_index("activity")
    assert a.loc["B", "with_performer"] == 0 and np.isnan(a.loc["B", "automation_rate"])


# After a request (rule "after_request"): 10 cases, each: clerk "Request documents" (Tue 10:00), resp
# "Send documents" two days later, clerk "Check documents". Every one of resp's 10 events comes right
# after a request step by another performer: after_request_share 1.0 >= 0.8 -> external, 0.7. The
# clerk's events follow nothing (first) or resp's upload (not a request): 0.
def _request_rows(n: int = 10) -> list[tuple]:
    rows = []
    for k in range(n):
        d = 2 + (k % 3)
        rows += [
            (f"r{k}", "Request documents", _at(d, 10, k), _at(d, 10, k + 5), "clerk"),
            (f"r{k}", "Send documents", _at(d + 2, 20, k), _at(d + 2, 20, k), "resp"),
            (f"r{k}", "Check documents", _at(d + 3, 11, k), _at(d + 3, 11, k + 20), "clerk"),
        ]
    return rows


def test_external_by_answering_requests_only():
    p = classify_performers(make_log(_request_rows(), columns=RES))
    t = p.table.set_index("performer")
    assert p.request_activities == ["Request documents"]
    assert t.loc["resp", "type"] == "external" and t.loc["resp", "rule"] == "after_request"
    assert t.loc["resp", "after_request_share"] == 1.0 and t.loc["resp", "confidence"] == 0.7
    assert (
        t.loc["resp", "reason"] == "100% of its 10 events come right after a request step (Request documents)"
    )
    assert t.loc["clerk", "type"] == "human" and t.loc["clerk", "after_request_share"] == 0.0


def test_nine_answers_are_too_few_to_call_a_party_external():
    t = classify_performers(make_log(_request_rows(9), columns=RES)).table.set_index("performer")
    assert t.loc["resp", "type"] == "human" and t.loc["resp", "confidence"] == 0.5  # 9 < MIN_EVENTS


# Instant processing (rule "instant_processing"): 12 cases of Scan by scanner7 (start = end), Review
# and Decide by clerk (30 and 20 min). Timed events: 36, instant 12 (33% < 50%: durations are
# informative). scanner7: 12/12 instant -> system, 0.8. If every event of the log had start = end, the
# rule is skipped (note) and scanner7 is human.
def _scan_rows(instant_everywhere: bool = False) -> list[tuple]:
    rows = []
    for k in range(12):
        d = 2 + k % 4
        rows += [
            (f"s{k}", "Scan", _at(d, 9, k), _at(d, 9, k), "scanner7"),
            (
                f"s{k}",
                "Review",
                _at(d, 10, k),
                _at(d, 10, k) if instant_everywhere else _at(d, 10, k + 30),
                "clerk",
            ),
            (
                f"s{k}",
                "Decide",
                _at(d, 11, k),
                _at(d, 11, k) if instant_everywhere else _at(d, 11, k + 20),
                "clerk",
            ),
        ]
    return rows


def test_system_by_instant_processing():
    p = classify_performers(make_log(_scan_rows(), columns=RES))
    t = p.table.set_index("performer")
    assert t.loc["scanner7", ["type", "rule", "confidence"]].tolist() == ["system", "instant_processing", 0.8]
    assert t.loc["scanner7", "instant_share"] == 1.0 and t.loc["scanner7", "processing_known"] == 12
    assert t.loc["clerk", "instant_share"] == 0.0 and t.loc["clerk", "type"] == "human"
    assert p.notes == []


def test_instant_processing_is_ignored_when_the_whole_log_is_instant():
    p = classify_performers(make_log(_scan_rows(instant_everywhere=True), columns=RES))
    assert p.types()["scanner7"] == "human"
    assert any("processing times say nothing" in n for n in p.notes)


# Round the clock (rule "round_the_clock"): 168 cases, one per hour of the week of 1-7 January 2024
# (Monday to Sunday): "Submit" by u_sub at hh:10:07, then "Log" by logger at the same second. logger is
# active in 168/168 hours and 100% of its events are within 1 s of the previous event -> system, 0.7.
# u_sub also covers every hour but opens every case (no predecessor, reaction unknown) -> human, 0.6.
def _clock_rows() -> list[tuple]:
    rows = []
    for k in range(168):
        day, hh = 1 + k // 24, k % 24
        rows += [
            (f"h{k}", "Submit", None, _at(day, hh, 10), "u_sub"),
            (f"h{k}", "Log", None, _at(day, hh, 10), "logger"),
        ]
    return rows


def test_system_by_round_the_clock_machine_speed():
    t = classify_performers(make_log(_clock_rows(), columns=RES)).table.set_index("performer")
    assert t.loc["logger", ["type", "rule", "confidence"]].tolist() == ["system", "round_the_clock", 0.7]
    assert t.loc["logger", "hours_of_week_share"] == 1.0 and t.loc["logger", "hour_spread"] == pytest.approx(
        1.0
    )
    assert t.loc["logger", "instant_reaction_share"] == 1.0
    assert t.loc["logger", "night_share"] == pytest.approx(8 / 24)  # hours 22-23 and 0-5 of each day
    assert t.loc["logger", "weekend_share"] == pytest.approx(2 / 7)
    assert t.loc["u_sub", "type"] == "human" and np.isnan(t.loc["u_sub", "instant_reaction_share"])
    assert t.loc["u_sub", "first_event_share"] == 1.0


# Night batch (rule "night_batch"): 12 cases: "Enter" by clerk at 10:xx, "Sync" by nightly at 02:xx the
# next night: 12/12 at night -> system, 0.6. The clerk works office hours -> human, 0.8.
def test_system_by_night_batch_and_human_by_office_hours():
    rows = []
    for k in range(12):
        d = 2 + k % 4
        rows += [
            (f"n{k}", "Enter", None, _at(d, 10, k), "clerk"),
            (f"n{k}", "Sync", None, _at(d + 1, 2, k), "nightly"),
        ]
    t = classify_performers(make_log(rows, columns=RES)).table.set_index("performer")
    assert t.loc["nightly", ["type", "rule", "confidence"]].tolist() == ["system", "night_batch", 0.6]
    assert t.loc["nightly", "night_share"] == 1.0
    assert t.loc["clerk", ["type", "confidence"]].tolist() == ["human", 0.8]
    assert t.loc["clerk", "reason"] == "works office hours: 0% of its events at night, 0% at weekends"


# Dates without times: 20 of 22 events stamped at 00:00:00 (91% >= 5%): they leave the clock figures.
# nightly's 20 midnight events would otherwise make it a night batch; left with 2 events (< 10 and not
# all of its 22) its clock is unknown, so it stays human.
def test_whole_hour_dates_leave_the_clock_figures():
    rows = [(f"d{k}", "Book", None, f"2024-01-{2 + k % 5:02d} 00:00:00", "nightly") for k in range(20)]
    rows += [("x1", "Book", None, _at(2, 10), "nightly"), ("x2", "Book", None, _at(3, 11), "nightly")]
    p = classify_performers(make_log(rows, columns=RES))
    t = p.table.set_index("performer")
    assert not t.loc["nightly", "clock_known"] and np.isnan(t.loc["nightly", "night_share"])
    assert t.loc["nightly", "type"] == "human"
    assert any("whole hour" in n for n in p.notes)


# Works weekends unlike the others: w_end has 12 events, 6 on Saturday 6 January (50% >= 20%); the
# median performer (a, b, w_end: 0%, 0%, 50%) has 0% < 5% -> human, 0.5, "check".
def test_weekend_worker_is_flagged_for_a_check():
    rows = []
    for k in range(12):
        d = 6 if k < 6 else 2 + k % 4
        rows += [
            (f"w{k}", "A", None, _at(2 + k % 4, 9, k), "a"),
            (f"w{k}", "B", None, _at(2 + k % 4, 10, k), "b"),
            (f"w{k}", "C", None, _at(d, 12, k), "w_end"),
        ]
    t = classify_performers(make_log(rows, columns=RES)).table.set_index("performer")
    assert t.loc["w_end", ["type", "confidence"]].tolist() == ["human", 0.5]
    assert "check whether it is a system or an outside party" in t.loc["w_end", "reason"]


# --- levels, overrides, errors -------------------------------------------------------------------------


def test_role_level_when_the_log_names_no_resources():
    rows = [r[:4] + (r[4],) for r in NAME_ROWS]
    log = make_log(rows, columns=("case_id", "activity", "start", "end", "role"))
    p = classify_performers(log)
    assert p.level == "role" and p.types()["Applicant"] == "external"
    with pytest.raises(AnalysisError, match="names no resources"):
        classify_performers(log, level="resource")


def test_overrides_from_a_mapping(named):
    log = make_log(NAME_ROWS, columns=RES)
    p = classify_performers(log, overrides={"clerk_1": "BOT", "Nobody": "human"})
    t = p.table.set_index("performer")
    assert t.loc["clerk_1", ["type", "confidence", "rule", "overridden"]].tolist() == [
        "bot",
        1.0,
        "override",
        True,
    ]
    assert t.loc["clerk_1", "reason"].startswith("set by the user (measured: human: only 1 event")
    assert not t.drop(index="clerk_1")["overridden"].any()
    assert any("'Nobody'" in n for n in p.notes) and p.overrides == {"clerk_1": "bot", "Nobody": "human"}
    # The override reaches the automation rate: Validate is half bot now.
    assert p.activity_automation.set_index("activity").loc["Validate", "automation_rate"] == 0.5
    with pytest.raises(
        AnalysisError, match=r"`overrides` gives 'clerk_1' the type 'robot'.*human, system, bot, external"
    ):
        classify_performers(log, overrides={"clerk_1": "robot"})
    with pytest.raises(AnalysisError, match="mapping"):
        classify_performers(log, overrides=["clerk_1"])  # type: ignore[arg-type]


def test_overrides_from_a_csv(tmp_path):
    good = tmp_path / "types.csv"
    good.write_text("performer,type\nclerk_1, Bot \n\nCustomer Service,external\n", encoding="utf-8")
    assert load_performer_types(good) == {"clerk_1": "bot", "Customer Service": "external"}
    p = classify_performers(make_log(NAME_ROWS, columns=RES), overrides=good)
    assert p.types()["Customer Service"] == "external"
    bad = tmp_path / "bad.csv"
    bad.write_text("performer,type\nclerk_1,human\nPortal,machine\n", encoding="utf-8")
    with pytest.raises(
        AnalysisError, match=r"bad\.csv, row 3: type 'machine' for 'Portal'.*human, system, bot"
    ):
        load_performer_types(bad)
    twice = tmp_path / "twice.csv"
    twice.write_text("performer,type\na,human\na,bot\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="row 3: 'a' is listed twice"):
        load_performer_types(twice)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("name,kind\na,human\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match="lacks the column.*performer, type"):
        load_performer_types(nocol)
    with pytest.raises(AnalysisError, match="Cannot read"):
        load_performer_types(tmp_path / "missing.csv")


def test_errors_and_input_unchanged():
    log = make_log(NAME_ROWS, columns=RES)
    before = log.events.copy()
    classify_performers(log)
    performer_types(log, level="resource")
    pd.testing.assert_frame_equal(log.events, before)
    with pytest.raises(AnalysisError, match="level must be"):
        classify_performers(log, level="team")  # type: ignore[arg-type]
    bare = make_log([("c1", "A", None, _at(2, 9))], columns=("case_id", "activity", "start", "end"))
    with pytest.raises(AnalysisError, match="names no resources and no roles"):
        classify_performers(bare)


def test_role_types_from_resource_types():
    # Roles Digital (Portal 2 events, rpa_fee_bot 1: system by majority), Front (clerks), Outside.
    rows = [
        ("c1", "Receive", None, _at(2, 9), "Portal", "Digital"),
        ("c1", "Validate", None, _at(2, 10), "clerk_1", "Front"),
        ("c1", "Fee", None, _at(2, 11), "rpa_fee_bot", "Digital"),
        ("c2", "Receive", None, _at(3, 9), "Portal", "Digital"),
        ("c2", "Provide", None, _at(3, 12), "Applicant", "Outside"),
    ]
    log = make_log(rows)
    t = performer_types(log, level="role").set_index("performer")
    assert t["type"].to_dict() == {"Digital": "system", "Front": "human", "Outside": "external"}
    assert (t["basis"] == "majority of events").all()
    with pytest.raises(AnalysisError, match="no source_system"):
        performer_types(log, level="system")


def test_summary_and_views(named):
    s = named.summary()
    assert list(s) == list(PERFORMER_TYPES)
    assert s["system"] == {"performers": 2, "events": 3} and s["bot"] == {"performers": 1, "events": 1}
    assert "Performers (resource level)" in named._repr_html_()
    fig = named.plot()
    assert {tr.name for tr in fig.data} == {"human", "system", "bot", "external"}
    assert named.to_frame() is not named.table


# --- roles ---------------------------------------------------------------------------------------------


# r1 does A 5x and B 5x, r2 does A 3x and B 3x: A and B have the same normalised resource multiset
# (r1 5/8, r2 3/8): similarity 1 > 0.65, merged. C by r3 (4x) and D by r4 (2x) share no resource with
# anything: similarity 0. Three roles in pm4py's order (most activities first, then most resources,
# then the joined activity names descending): {A, B} (r1, r2), {D} (r4), {C} (r3).
def _role_rows() -> list[tuple]:
    rows = []
    for k in range(8):
        who = "r1" if k < 5 else "r2"
        rows += [(f"k{k}", "A", None, _at(2, 9, k), who), (f"k{k}", "B", None, _at(2, 10, k), who)]
    rows += [(f"k{k}", "C", None, _at(2, 11, k), "r3") for k in range(4)]
    rows += [(f"k{k}", "D", None, _at(2, 12, k), "r4") for k in range(2)]
    return rows


def test_discover_roles_worked_example():
    log = make_log(_role_rows(), columns=RES)
    r = discover_roles(log)
    assert r.roles["activities"].tolist() == [["A", "B"], ["D"], ["C"]]
    assert r.roles["role"].tolist() == ["Role 1 (A, +1)", "Role 2 (D)", "Role 3 (C)"]
    assert r.roles["events"].tolist() == [16, 2, 4]
    assert r.roles["members"].tolist() == [["r1", "r2"], ["r4"], ["r3"]]
    a = r.assignment.set_index("resource")
    assert a.loc["r1", ["role", "events", "share_in_role"]].tolist() == ["Role 1 (A, +1)", 10, 1.0]
    assert r.discovered and "discovered" in r.note.lower() and "not recorded" in r.note
    # A threshold of 1 merges nothing but identical multisets: A and B still merge (similarity exactly 1
    # is not > 1, so they stay apart).
    assert len(discover_roles(log, threshold=1.0).roles) == 4


def test_discover_roles_agrees_with_pm4py():
    import pm4py

    log = make_log(_role_rows(), columns=RES)
    df = log.events.rename(
        columns={
            "case_id": "case:concept:name",
            "activity": "concept:name",
            "timestamp": "time:timestamp",
            "resource": "org:resource",
        }
    )
    ref = pm4py.discover_organizational_roles(df)
    ours = discover_roles(log)
    assert [sorted(x.activities) for x in ref] == [sorted(a) for a in ours.roles["activities"]]
    assert [sorted(x.originator_importance) for x in ref] == [sorted(res) for res in ours.roles["resources"]]
    assert [sum(x.originator_importance.values()) for x in ref] == ours.roles["events"].tolist()


def test_with_discovered_roles_writes_the_role_column():
    log = make_log(_role_rows(), columns=RES)
    before = log.events.copy()
    r = discover_roles(log)
    with_roles = with_discovered_roles(log, r)
    pd.testing.assert_frame_equal(log.events, before)
    assert with_roles.has_roles and not log.has_roles
    m = dict(zip(with_roles.events["resource"], with_roles.events["role"], strict=True))
    assert m == {"r1": "Role 1 (A, +1)", "r2": "Role 1 (A, +1)", "r3": "Role 3 (C)", "r4": "Role 2 (D)"}
    assert with_roles.quality.notes[-1] == r.note
    by_activity = with_discovered_roles(log, discover_roles(log, assign="activity"))
    assert set(by_activity.events.loc[by_activity.events["activity"] == "B", "role"]) == {"Role 1 (A, +1)"}
    other = make_log([("z", "E", None, _at(2, 9), "r9")], columns=RES)
    with pytest.raises(AnalysisError, match="do not cover 1 resource"):
        with_discovered_roles(other, r)
    no_res = make_log([("z", "E", None, _at(2, 9))], columns=("case_id", "activity", "start", "end"))
    with pytest.raises(AnalysisError, match="needs resources"):
        discover_roles(no_res)
    with pytest.raises(AnalysisError, match="threshold"):
        discover_roles(log, threshold=0)


# --- the sample ----------------------------------------------------------------------------------------


def test_sample_performer_types_are_the_planted_ones(sample_log, truth):
    p = classify_performers(sample_log)
    assert p.types() == truth["performer_types"]
    a = p.activity_automation.set_index("activity")["automation_rate"]
    for activity in truth["readiness"]["already_automated"]:
        assert a[activity] == 1.0
    assert a[truth["readiness"]["rule_like"]] == 0.0
    external = truth["handoffs"]["request_response"]["activities"][1]
    assert p.activity_automation.set_index("activity").loc[external, "external_events"] > 0


def test_sample_roles_discovered_match_the_teams(sample_log, truth):
    r = discover_roles(sample_log)
    members = {frozenset(m) for m in r.roles["members"]}
    for team, people in truth["teams"].items():
        if team != "Digital":  # Portal, SYSTEM and the bot do different steps: three roles
            assert frozenset(people) in members, team
    assert {frozenset(["Portal"]), frozenset(["SYSTEM"]), frozenset(["rpa_fee_bot"])} <= members
