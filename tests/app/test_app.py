"""The Streamlit app, driven headless with ``streamlit.testing.v1.AppTest``.

Every page renders the bundled sample without an exception and shows its key elements with the numbers
of the analysis; the process-map and handoff widgets change what is drawn; the sidebar filters change
the numbers on every page and can be cleared; bad uploads get the library's message, in the words of the
page's widgets (never the command line's flags), as an ``st.error`` and never a traceback.

Speed: the page tests share the session-scoped analysis of the sample (``sample_findings`` in
``tests/conftest.py``), put in the session state as the Load page leaves it, so only the tests that
load through the page, or filter, pay for an analysis.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit", reason="the app needs the [app] extra: pip install -e '.[app]'")

from streamlit.testing.v1 import AppTest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # plain `pytest` (not `python -m pytest`) does not add the repo root
    sys.path.insert(0, str(REPO_ROOT))

from analysis.labels import PATTERN_LABELS  # noqa: E402
from analysis.waiting import CAUSES  # noqa: E402
from mapper import FlowreadyError, filter_log, load_event_log  # noqa: E402

APP = str(REPO_ROOT / "app.py")
SAMPLE = REPO_ROOT / "sample_logs" / "council_permits.csv"
#: Generous: the first run imports pandas, plotly, pm4py...; an analysis of the sample takes ~3 s.
TIMEOUT = 120
#: Page file -> its title.
PAGES = {
    "app_pages/overview.py": "Overview: council\\_permits.csv",
    "app_pages/process.py": "Process map",
    "app_pages/variants.py": "Variants",
    "app_pages/bottlenecks.py": "Bottlenecks",
    "app_pages/handoffs.py": "Handoffs & rework",
    "app_pages/readiness.py": "Automation readiness",
    "app_pages/blueprint.py": "Orchestration blueprint",
    "app_pages/compare.py": "Did the process change?",
    "app_pages/downloads.py": "Downloads",
}
LOAD = "app_pages/load.py"
OVERVIEW = "app_pages/overview.py"
_SAMPLE_TABLE = pd.read_csv(SAMPLE)
#: The sample's roles, most cases first (then by name), as the attribute filter lists them.
_ROLE_CASES = _SAMPLE_TABLE.groupby("role")["case_id"].nunique()
ROLES = sorted(_ROLE_CASES.index, key=lambda r: (-_ROLE_CASES[r], r))
N_CASES = f"{_SAMPLE_TABLE['case_id'].nunique():,}"
N_EVENTS = f"{len(_SAMPLE_TABLE):,}"
N_ACTIVITIES = _SAMPLE_TABLE["activity"].nunique()
N_COLUMNS = _SAMPLE_TABLE.shape[1]
UPLOAD = "Upload a file"
#: A log whose column names flowready cannot guess.
TICKETS = b"ref;step;done_at\nA;Open;2024-03-01 10:00\nA;Close;2024-03-02 09:30\nB;Open;2024-03-01 11:00\n"


# ------------------------------------------------------------------------------------------- helpers


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _page(findings, page: str) -> AppTest:
    """``page`` of an app whose session holds ``findings`` as ``app_pages.common.set_loaded`` leaves it."""
    at = _app()
    at.session_state["findings"] = findings
    at.session_state["analysis_key"] = f"fixture-{id(findings)}"
    at.session_state["filters"] = {}
    at.session_state["filtered_views"] = {}
    return at.run().switch_page(page).run()


def _ok(at: AppTest) -> AppTest:
    """Assert the run raised nothing and showed no error (page or sidebar); return it for chaining."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all of ``columns``."""
    for df in at.dataframe:
        if set(columns) <= set(map(str, df.value.columns)):
            return df.value
    raise AssertionError(f"no table with columns {columns}: {[list(d.value.columns) for d in at.dataframe]}")


def _selectbox(at: AppTest, label: str):
    return next(s for s in at.main.selectbox if s.label.startswith(label))


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _graphviz(at: AppTest) -> str:
    return at.get("graphviz_chart")[0].proto.spec


def _upload(name: str, content: bytes) -> AppTest:
    at = _app().run()
    at.radio(key="load_source").set_value(UPLOAD).run()
    at.file_uploader(key="load_upload").upload(name, content)
    return at.run()


def _errors(at: AppTest) -> list[str]:
    return [_flat(e.value) for e in at.error]


def _app_error(tmp_path: Path, name: str, content: bytes, **options) -> str:
    """The library's error for this file, as the app shows it: in its widgets' words, Markdown-escaped."""
    from app_pages.common import md_escape
    from app_pages.names import app_message

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FlowreadyError) as info:
        load_event_log(path, **options)
    return _flat(md_escape(app_message(info.value)))


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def formula_findings():
    """A tiny log whose names begin with spreadsheet formula characters (=, +, @)."""
    from analysis import analyze

    rows = []
    for n in range(1, 5):
        rows += [
            (f"c{n}", '=HYPERLINK("http://x.example","y")', f"2024-01-0{n} 09:00", "@ann", "Desk"),
            (f"c{n}", "+Review", f"2024-01-0{n} 12:00", "Bob", "Back office"),
        ]
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "timestamp", "resource", "role"])
    return analyze(load_event_log(frame), impact="analytical")


@pytest.fixture
def media(monkeypatch):
    """Keep the media file managers of the AppTest runs, to read what a download button serves."""
    import streamlit.testing.v1.app_test as app_test

    made = []

    class Recording(app_test.MediaFileManager):
        def __init__(self, storage):
            super().__init__(storage)
            self.recorded_storage = storage
            made.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Recording)
    return made


def _download(at: AppTest, media: list, label: str) -> bytes:
    """The bytes a download button serves (written on click when its data is a callable)."""
    button = next(b for b in at.get("download_button") if b.label == label)
    manager = media[-1]
    deferred = button.proto.deferred_file_id
    url = manager.execute_deferred(deferred) if deferred else button.proto.url
    return manager.recorded_storage.get_file(url.rsplit("/", 1)[-1]).content


# --------------------------------------------------------------------------------------- every page


def test_pages_ask_for_a_log_first():
    at = _app().run()
    assert not at.exception
    assert not at.sidebar.get("selectbox"), "no filters before a log is loaded"
    for page in PAGES:
        at.switch_page(page).run()
        _ok(at)
        assert "Load one first" in _texts(at.info), page
        assert [p.proto.label for p in at.get("page_link")] == ["Go to Load"], page
        assert not at.title, page


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_the_sample(sample_findings, page):
    at = _ok(_page(sample_findings, page))
    assert [t.value for t in at.title] == [PAGES[page]]
    assert "Filtered view" not in _texts(at.info)
    # The sidebar filters are on every page.
    assert at.selectbox(key="flt_column").value == "(no attribute filter)"
    assert _button(at, "Apply filters")
    assert at.button(key="flt_clear").disabled


def test_load_page_shows_the_loaded_analysis(sample_findings):
    at = _ok(_page(sample_findings, LOAD))
    assert f"Analysed **council\\_permits.csv**: {N_CASES} cases, {N_EVENTS} events" in _texts(at.success)
    metrics = _metrics(at)
    assert metrics["Rows read"] == f"{sample_findings.quality.rows_read:,}"
    assert metrics["Rows dropped"] == "0"


@pytest.mark.parametrize("page", [*PAGES, LOAD])
def test_pages_render_names_that_look_like_formulas_or_markup(formula_findings, page):
    at = _ok(_page(formula_findings, page))
    assert at.title


# ------------------------------------------------------------------------------------ page contents


def test_overview_shows_verdict_and_summary(sample_findings):
    f = sample_findings
    at = _page(f, OVERVIEW)
    assert "Verdict: orchestrate first" in _texts(at.warning)
    reasons = next(m.value for m in at.markdown if m.value.startswith("- "))
    assert len(reasons.splitlines()) == len(f.verdict.reasons)
    metrics = _metrics(at)
    s = f.summary
    assert metrics["Cases"] == "1,000"
    assert metrics["Events"] == N_EVENTS
    assert (metrics["Activities"], metrics["Variants"]) == (f"{s['activities']}", f"{s['variants']}")
    assert (metrics["Resources"], metrics["Roles / teams"]) == (f"{s['resources']}", f"{s['roles']}")
    assert metrics["Open cases"] == f"{f.bottlenecks.cycle['open_cases']:,}"
    assert metrics["Rows read"] == N_EVENTS
    candidates = _frame(at, "activity", "score", "volume")
    assert list(candidates["activity"]) == list(f.automation_candidates()["activity"])
    failing = _frame(at, "pattern", "source", "target", "after_activity", "cases")
    expected = f.failing_handoffs()
    assert len(failing) == len(expected) > 0
    assert list(failing["pattern"]) == [PATTERN_LABELS[p] for p in expected["pattern"]]  # in words
    assert list(failing["cases"]) == list(expected["cases"])  # cases that failed, not all handovers


def test_process_map_view_toggle_and_statistic(sample_findings):
    at = _page(sample_findings, "app_pages/process.py")
    frequency = _graphviz(at)
    assert frequency.startswith("digraph process_map")
    for activity in sample_findings.dfg.activities["activity"]:
        assert f"<B>{activity}</B>" in frequency
    assert at.selectbox(key="map_statistic").disabled  # a time statistic only in the performance view

    at.radio(key="map_view").set_value("time").run()
    performance = _graphviz(_ok(at))
    assert performance != frequency
    assert not at.selectbox(key="map_statistic").disabled

    at.selectbox(key="map_statistic").set_value("p90").run()
    assert _graphviz(_ok(at)) not in (frequency, performance)


def test_process_map_sliders_hide_activities_and_paths(sample_findings):
    dfg = sample_findings.dfg
    at = _page(sample_findings, "app_pages/process.py")
    everything = _graphviz(at)
    n_act, n_edges = len(dfg.activities), len(dfg.edges)
    assert f"{n_act} of {n_act} activities and {n_edges} of {n_edges} paths shown" in _texts(at.caption)
    assert len(_frame(at, "source", "target", "frequency")) == n_edges

    at.slider(key="map_activities").set_value(70).run()
    half = _graphviz(_ok(at))
    shown = dfg.abstract(activity_share=0.7, path_share=1.0)
    assert 0 < len(shown.activities) < n_act
    for activity in dfg.activities["activity"]:
        assert (f"<B>{activity}</B>" in half) == (activity in set(shown.activities["activity"])), activity
    assert f"{len(shown.activities)} of {n_act} activities and {len(shown.edges)} of" in _texts(at.caption)

    at.slider(key="map_paths").set_value(10).run()
    fewer = _graphviz(_ok(at))
    thin = dfg.abstract(activity_share=0.7, path_share=0.1)
    assert len(thin.edges) < len(shown.edges)
    assert fewer != half and fewer != everything
    assert f"{len(thin.activities)} of {n_act} activities and {len(thin.edges)} of {n_edges}" in _texts(
        at.caption
    )


def test_variants_table_and_detail(sample_findings):
    v = sample_findings.variants
    at = _page(sample_findings, "app_pages/variants.py")
    assert _metrics(at)["Variants"] == f"{len(v):,}"
    assert at.get("plotly_chart")
    table = _frame(at, "variant", "trace", "cases")
    assert len(table) == len(v)
    assert table["trace"].iloc[0] == " → ".join(v["trace"].iloc[0])

    assert at.selectbox(key="variant_detail").value == 1
    assert list(_frame(at, "step", "activity")["activity"]) == list(v["trace"].iloc[0])
    at.selectbox(key="variant_detail").set_value(2).run()
    _ok(at)
    assert list(_frame(at, "step", "activity")["activity"]) == list(v["trace"].iloc[1])
    second = v.iloc[1]
    text = f"**Variant 2**: {second['cases']:,} cases ({second['share']:.1%}), {len(second['trace'])} steps"
    assert text in _texts(at.markdown)


def test_bottlenecks_rank_assess_application_first(sample_findings, truth):
    b = sample_findings.bottlenecks
    at = _page(sample_findings, "app_pages/bottlenecks.py")
    ranked = _frame(at, "rank", "activity", "dominant_cause", "remedy", "fixable_hours")
    assert ranked["activity"].iloc[0] == "Assess application"
    assert ranked["rank"].iloc[0] == 1
    assert list(ranked["activity"]) == list(b.activities["activity"])
    from analysis.labels import CAUSE_LABELS

    # The causes in words (the table's codes are findings.json's).
    assert list(ranked["dominant_cause"]) == [CAUSE_LABELS.get(c, c) for c in b.activities["dominant_cause"]]
    assert at.get("plotly_chart")
    assert _metrics(at)["Closed cases"] == f"{b.cycle['closed_cases']:,}"
    # The office-hours step is named as not a bottleneck.
    assert truth["waiting_causes"]["unavailability"] in _texts(at.caption)

    assert at.selectbox(key="bottleneck_activity").value == "Assess application"
    metrics = _metrics(at)
    assert metrics["Rank"] == "#1" and metrics["Mostly"] == "Resource contention"
    causes = _frame(at, "cause", "hours", "share of its waiting", "remedy")
    row = b.activities.set_index("activity").loc["Assess application"]
    assert causes["hours"].tolist() == pytest.approx([row[f"{c}_hours"] for c in CAUSES])
    examples = _frame(at, "case_id", "waiting_hours", "contention_hours")
    assert 0 < len(examples) <= 25 and (examples["activity"] == "Assess application").all()
    for cause, activity in truth["waiting_causes"].items():
        at.selectbox(key="bottleneck_activity").set_value(activity).run()
        _ok(at)
        assert cause[:8] in _metrics(at)["Mostly"].lower(), (activity, cause)


def test_handoff_network_matrix_and_example_cases(sample_findings):
    h = sample_findings.handoffs
    at = _page(sample_findings, "app_pages/handoffs.py")
    assert at.radio(key="handoff_level").value == "role"
    roles = h[h["level"] == "role"]
    metrics = _metrics(at)
    assert metrics["Handover pairs"] == f"{len(roles):,}"
    assert metrics["Failing pairs"] == f"{int(roles['failing'].sum()):,}"
    network = _graphviz(at)
    assert network.startswith("digraph handoff_network")
    for role in ROLES:
        assert f"<B>{role}</B>" in network, role
    # The failing pairs, their bounced cases first (not every handover of the pair).
    failing = _frame(at, "source", "target", "failure", "ping_pong_cases")
    expected = roles[roles["failing"]]
    assert len(failing) == len(expected) > 0
    assert set(zip(failing["source"], failing["target"], strict=True)) == set(
        zip(expected["source"], expected["target"], strict=True)
    )

    # Fewer pairs drawn; every failing pair stays.
    at.slider(key="handoff_top").set_value(5).run()
    top5 = _graphviz(_ok(at))
    assert 0 < top5.count("->") < network.count("->")
    assert top5.count('fontcolor="#d55e00"') == network.count('fontcolor="#d55e00"') == len(failing)

    at.selectbox(key="matrix_value").set_value("ping_pong_cases").run()
    matrix = _frame(_ok(at), *ROLES)
    assert set(matrix.index) == set(ROLES)

    first = failing.iloc[0]
    assert f"Cases in which {first['source']} hands work to {first['target']}" in _texts(at.caption)
    at.selectbox(key="handoff_pair").set_value(1).run()
    second = failing.iloc[1]
    assert f"Cases in which {second['source']} hands work to {second['target']}" in _texts(_ok(at).caption)
    assert len(_frame(at, "case_id", "handovers", "ping_pong")) > 0

    at.radio(key="handoff_level").set_value("resource").run()
    people = _graphviz(_ok(at))
    assert people != top5 and "between resources" in people
    assert _metrics(at)["Handover pairs"] == f"{int((h['level'] == 'resource').sum()):,}"
    assert set(_frame(at, "level", "source", "target", "count", "delay_hours_median")["level"]) == {
        "resource"
    }
    assert "Rework" in [s.value for s in at.subheader]


def test_readiness_factor_points_add_up_to_the_scores(sample_findings):
    r = sample_findings.readiness
    factors = r.factor_table()
    at = _page(sample_findings, "app_pages/readiness.py")
    counts = r.scores["recommendation"].value_counts()
    assert _metrics(at)["Fix first"] == str(int(counts.get("fix_first", 0)))
    assert _metrics(at)["Already automated"] == str(int(r.scores["already_automated"].sum()))
    every = _frame(at, "activity", "recommendation", "stability", "already_automated", "rationale")
    assert list(every["activity"]) == list(r.scores["activity"])
    candidates = _frame(at, "activity", "recommendation", "priority")
    assert list(candidates["activity"]) == list(r.candidates(top=None)["activity"])

    points = next(d.value for d in at.dataframe if list(d.value.columns) == [*r.weights, "score"])
    assert list(points.index) == list(r.scores["activity"])
    expected = factors.pivot(index="activity", columns="factor", values="points")
    for activity, row in points.iterrows():
        for factor in r.weights:
            assert row[factor] == pytest.approx(expected.at[activity, factor]), (activity, factor)
        assert row[list(r.weights)].sum() == pytest.approx(row["score"], abs=0.1), activity

    at.selectbox(key="readiness_activity").set_value("Consult Highways").run()
    one = _frame(_ok(at), "factor", "points", "factor_score")
    from analysis.labels import FACTORS

    assert list(one["factor"]) == [FACTORS[k].label for k in r.weights]  # in words
    score = r.scores.set_index("activity").at["Consult Highways", "score"]
    assert one["points"].sum() == pytest.approx(score, abs=0.1)


def test_readiness_page_rescores_with_a_sensitive_attribute(sample_findings, truth):
    eq = truth["readiness"]["equity"]
    at = _ok(_page(sample_findings, "app_pages/readiness.py"))
    assert not at.warning  # nothing flagged without a sensitive attribute
    assert eq["attribute"] in at.multiselect(key="equity_attributes").options
    at.multiselect(key="equity_attributes").set_value([eq["attribute"]])
    at.button(key="readiness_apply").click().run()
    _ok(at)
    assert at.session_state["analysis_options"]["equity_attributes"] == (eq["attribute"],)
    warnings = _texts(at.warning)
    assert eq["activity"] in warnings and eq["attribute"] in warnings
    rules = _frame(at, "activity", "text", "support", "precision")
    rule = truth["readiness"]["rule_decision"]
    assert any(rule["attribute"] in t for t in rules.loc[rules["activity"] == rule["activity"], "text"])


def test_blueprint_diagram_and_governance(sample_findings):
    bp = sample_findings.blueprint
    at = _page(sample_findings, "app_pages/blueprint.py")
    diagram = _graphviz(at)
    assert diagram.startswith("digraph blueprint")
    for activity in bp.steps.loc[bp.steps["in_model"], "activity"]:
        assert activity in diagram, activity
    assert len(bp.orchestration) > 0
    assert diagram.count("Route with context to:") == len(bp.orchestration)
    metrics = _metrics(at)
    assert metrics["Orchestration steps"] == str(len(bp.orchestration))
    assert metrics["Fix first"] == str(int((bp.steps["recommendation"] == "fix_first").sum()))
    steps = _frame(at, "activity", "recommendation", "sla_hours", "retry", "audit_events")
    assert list(steps["activity"]) == list(bp.steps["activity"])
    from analysis import build_monitoring_plan

    plan = build_monitoring_plan(sample_findings)
    kpis = _frame(at, "kpi", "baseline", "target", "min_cases")
    assert list(kpis["kpi"]) == list(plan.kpis["kpi"]) and (plan.kpis["baseline"] != 0).all()
    # Baselines for people ("16.1 d", "49.5%"), never "497078.1558 hours".
    assert all(re.fullmatch(r"[\d,]+(\.\d)?(%| \D.*)", b) for b in kpis["baseline"]), list(kpis["baseline"])
    assert "Median cycle time of the closed cases" in set(kpis["what"])
    assert list(_frame(at, "step")["step"]) == list(bp.governance["approval_checkpoints"])
    # the decisions' conditions: every guarded flow, its condition or "otherwise"
    guarded = bp.flows[bp.flows["condition"].notna() | bp.flows["is_default"]]
    when = _frame(at, "after step", "to", "when")
    assert len(when) == len(guarded)
    assert "documents_submitted is not None and documents_submitted < 4" in set(when["when"])
    # what it is worth: the impact's three headline figures, as analyze() simulated them
    metrics = _metrics(at)
    for h in sample_findings.impact.headline():
        assert metrics[f"{h['label']} ({h['unit']})"] == f"{h['saved']:,.0f}"


def test_downloads_offer_every_file_and_table(sample_findings, media):
    from analysis.outputs import OUTPUTS
    from analysis.pdf import find_chromium

    f = sample_findings
    at = _ok(_page(f, "app_pages/downloads.py"))
    labels = [b.label for b in at.get("download_button")]
    # The library's list of outputs (analysis.outputs.OUTPUTS), the same the CLI writes.
    files = [o.name for o in OUTPUTS]
    assert files[:3] == ["report.html", "report.pdf", "findings.json"] and "blueprint.bpmn" in files
    if shutil.which("dot") is None:  # without Graphviz the page says so and leaves the drawings out
        files = [o.name for o in OUTPUTS if not o.needs_graphviz]
    if find_chromium() is None:  # without Chromium the page says why there is no PDF
        files = [name for name in files if name != "report.pdf"]
    tables = [f"{name}.{ext}" for name in f.tables() for ext in ("csv", "xlsx")]
    assert labels == [*files, "All tables (tables.xlsx)", *tables]

    document = json.loads(_download(at, media, "findings.json"))
    assert document["log"]["cases"] == 1000
    assert _download(at, media, "blueprint.bpmn").startswith(b"<?xml")
    frame = pd.read_csv(io.BytesIO(_download(at, media, "bottlenecks.csv")))
    assert frame["activity"].iloc[0] == "Assess application"


def test_downloaded_tables_neutralise_formulas(formula_findings, media):
    at = _ok(_page(formula_findings, "app_pages/downloads.py"))
    cells = []
    for name in formula_findings.tables():
        text = _download(at, media, f"{name}.csv").decode("utf-8-sig")
        cells += [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any(cell.startswith("'=HYPERLINK(") for cell in cells)
    assert any(cell.startswith("'+Review") for cell in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(_download(at, media, "variants.xlsx"))).active
    trace = [c.value for c in sheet[1]].index("trace")
    assert sheet.cell(row=2, column=trace + 1).value.startswith("'=HYPERLINK(")


# ------------------------------------------------------------------------------------------- filters


def _apply(at: AppTest) -> AppTest:
    return _button(at, "Apply filters").click().run()


def _counts(at: AppTest) -> tuple[str, str]:
    metrics = _metrics(at)
    return metrics["Cases"], metrics["Events"]


def _expected(findings, **filters) -> tuple[str, str]:
    log = filter_log(findings.log, **filters)
    return f"{log.events['case_id'].nunique():,}", f"{len(log.events):,}"


def _clear_restores(at: AppTest) -> None:
    at.button(key="flt_clear").click().run()
    _ok(at)
    assert _counts(at) == (N_CASES, N_EVENTS)
    assert "Filtered view" not in _texts(at.info)
    assert at.session_state["filters"] == {}
    assert at.selectbox(key="flt_column").value == "(no attribute filter)"
    assert at.multiselect(key="flt_variants").value == []
    assert at.button(key="flt_clear").disabled


@pytest.mark.parametrize("mode", ["cases", "exclude", "events"])
def test_role_filter_changes_the_numbers_and_clear_restores_them(sample_findings, mode):
    at = _page(sample_findings, OVERVIEW)
    assert _counts(at) == (N_CASES, N_EVENTS)
    at.selectbox(key="flt_column").set_value("role").run()
    assert at.multiselect(key="flt_values_role").options == ROLES
    at.multiselect(key="flt_values_role").set_value(["Highways"])
    at.radio(key="flt_attribute_mode").set_value(mode)
    _ok(_apply(at))
    assert at.session_state["filters"] == {"attributes": {"role": ["Highways"]}, "attribute_mode": mode}
    cases, events = _expected(sample_findings, attributes={"role": ["Highways"]}, attribute_mode=mode)
    assert _counts(at) == (cases, events) and (cases, events) != (N_CASES, N_EVENTS)
    assert f"Filtered view: {cases} of {N_CASES} cases, {events} of {N_EVENTS} events" in _texts(at.info)
    assert "Applied: role in" in _texts(at.sidebar.caption)
    _clear_restores(at)


def test_variant_filter_changes_the_numbers(sample_findings):
    at = _page(sample_findings, OVERVIEW)
    at.multiselect(key="flt_variants").set_value([1])
    _ok(_apply(at))
    cases, events = _expected(sample_findings, variants=[1])
    assert _counts(at) == (cases, events)
    assert f"Filtered view: {cases} of {N_CASES} cases, {events} of {N_EVENTS} events (variant 1)" in _texts(
        at.info
    )
    _clear_restores(at)


def test_case_duration_filter_changes_the_numbers(sample_findings):
    at = _page(sample_findings, OVERVIEW)
    slider = at.slider(key="flt_duration")
    assert slider.label == "Case duration (days)"
    low, high = slider.value
    slider.set_range(low, high / 4)
    _ok(_apply(at))
    kept = at.session_state["filters"]["case_hours"]
    assert kept[0] is None and kept[1] == pytest.approx(high / 4 * 24)
    cases, events = _counts(at)
    assert int(cases.replace(",", "")) < 1000
    assert (cases, events) == _expected(sample_findings, case_hours=kept)
    _clear_restores(at)


def test_date_filter_is_shown_on_every_page(sample_findings):
    at = _page(sample_findings, OVERVIEW)
    at.date_input(key="flt_dates").set_value((datetime.date(2025, 3, 1), datetime.date(2025, 3, 31)))
    at.selectbox(key="flt_time_mode").set_value("started")
    _ok(_apply(at))
    window = (
        pd.Timestamp("2025-03-01", tz="UTC"),
        pd.Timestamp("2025-04-01", tz="UTC") - pd.Timedelta(1, "us"),
    )
    cases, events = _expected(sample_findings, time_range=window, time_mode="started")
    assert _counts(at) == (cases, events) and cases != "1,000"
    banner = f"Filtered view: {cases} of {N_CASES} cases, {events} of {N_EVENTS} events (cases started in"
    banner += " 2025-03-01"
    for page in PAGES:
        at.switch_page(page).run()
        _ok(at)
        assert banner in _texts(at.info), page
    assert "The files describe the filtered view" in _texts(at.caption)  # the Downloads page
    assert len(at.session_state["filtered_views"]) == 1  # analysed once, shown on every page


def test_filter_that_keeps_no_case_is_an_error_and_keeps_the_view(sample_findings):
    at = _page(sample_findings, OVERVIEW)
    at.multiselect(key="flt_variants").set_value([1])
    _ok(_apply(at))
    before = _counts(at)
    at.selectbox(key="flt_column").set_value("activity").run()
    at.multiselect(key="flt_values_activity").set_value(["Consult Highways"])  # not on variant 1
    _apply(at)
    assert not at.exception
    with pytest.raises(FlowreadyError) as info:
        filter_log(
            sample_findings.log,
            attributes={"activity": ["Consult Highways"]},
            attribute_mode="cases",
            variants=[1],
        )
    from app_pages.common import md_escape
    from app_pages.names import app_message

    assert [e.value for e in at.sidebar.error] == [md_escape(app_message(info.value))]
    assert "No case of council_permits.csv is left" in str(info.value)
    assert not at.main.error
    assert _counts(at) == before == _expected(sample_findings, variants=[1])
    assert at.session_state["filters"] == {"variants": [1]}


# ------------------------------------------------------------------------------------------- loading


def test_load_sample_through_the_load_page():
    at = _app().run()
    assert at.radio(key="load_source").value.startswith("Bundled sample")
    # The proposed mapping of the sample's own column names.
    proposed = {
        "Case id": "case_id",
        "Activity": "activity",
        "Completion time": "end_time",
        "Start time": "start_time",
        "Resource": "resource",
        "Role or team": "role",
        "Lifecycle": "(none)",
    }
    assert {label: _selectbox(at, label).value for label in proposed} == proposed
    times = _frame(at, "column", "unreadable")
    assert set(times["column"]) == {"timestamp", "start_timestamp"}
    assert not times["unreadable"].any()
    assert len(_frame(at, "case_id", "activity", "timestamp")) == 20
    assert not at.button(key="analyse").disabled

    at.button(key="analyse").click().run()
    _ok(at)
    f = at.session_state["findings"]
    assert f.summary["cases"] == 1000
    assert f"{N_CASES} cases, {N_EVENTS} events, {N_ACTIVITIES} activities" in _texts(at.success)
    metrics = _metrics(at)
    assert (metrics["Rows read"], metrics["Rows kept"], metrics["Rows dropped"]) == (N_EVENTS, N_EVENTS, "0")
    report = _frame(at, "outcome", "reason", "rows")
    assert report.loc[report["outcome"] == "kept", "rows"].iloc[0] == f.quality.rows_kept
    columns_used = _frame(at, "flowready column", "column in the file").set_index("flowready column")
    assert columns_used.at["timestamp", "column in the file"] == "end_time"

    # The analysis survives a page switch, and the sidebar now offers the filters.
    at.switch_page(OVERVIEW).run()
    _ok(at)
    assert "Verdict: orchestrate first" in _texts(at.warning)
    at.multiselect(key="flt_variants").set_value([1])
    _ok(_apply(at))
    assert _counts(at) == _expected(f, variants=[1])

    # Analysing another file replaces the log and drops the filters of the previous one.
    at.switch_page(LOAD).run()
    at.radio(key="load_source").set_value(UPLOAD).run()
    at.file_uploader(key="load_upload").upload(
        "tickets.csv", TICKETS.replace(b"ref;step;done_at", b"case_id;activity;timestamp")
    )
    at.run()
    at.button(key="analyse").click().run()
    _ok(at)
    assert at.session_state["filters"] == {}
    at.switch_page(OVERVIEW).run()
    _ok(at)
    assert _counts(at) == ("2", "3")
    assert "Filtered view" not in _texts(at.info)


def test_upload_with_unknown_columns_is_mapped_by_hand(tmp_path):
    at = _upload("tickets.csv", TICKETS)
    assert not at.exception
    # What was found is proposed ('step' is an activity); what was not is named, with the reason.
    assert [_selectbox(at, x).value for x in ("Case id", "Activity", "Completion time")] == [
        None,
        "step",
        None,
    ]
    caption = _flat(_texts(at.caption))
    assert "flowready proposed Activity and the optional columns it found" in caption
    assert "It could not find: **Case id**: no column has a name known for it \\(e.g. 'case\\_id'" in caption
    assert "**Completion time**: no column has a name known for it" in caption
    assert "Choose them below." in caption
    assert "Choose a column for: Case id, Completion time (under Columns, above)." in _texts(at.warning)
    assert at.button(key="analyse").disabled

    _selectbox(at, "Case id").set_value("ref")
    _selectbox(at, "Activity").set_value("ref")
    _selectbox(at, "Completion time").set_value("done_at")
    at.run()
    assert not at.exception
    assert _errors(at) == [
        "Each column of the file can be used once: 'ref' is chosen for Case id and Activity."
    ]
    assert at.button(key="analyse").disabled

    _selectbox(at, "Activity").set_value("step").run()
    _ok(at)
    assert len(_frame(at, "case_id", "activity", "timestamp")) == 3
    at.button(key="analyse").click().run()
    _ok(at)
    summary = at.session_state["findings"].summary
    assert (summary["source"], summary["cases"], summary["events"]) == ("tickets.csv", 2, 3)
    mapping = _frame(at, "flowready column", "column in the file").set_index("flowready column")
    assert mapping.at["case_id", "column in the file"] == "ref"
    assert mapping.at["activity", "column in the file"] == "step"


def test_ambiguous_dates_show_the_library_message_until_day_first(tmp_path):
    content = (
        b"case_id,activity,timestamp\n1,a,01/02/2024 10:00\n1,b,03/04/2024 10:00\n2,a,05/06/2024 10:00\n"
    )
    at = _upload("uk.csv", content)
    assert not at.exception
    assert _errors(at) == [_app_error(tmp_path, "uk.csv", content)]
    error = _errors(at)[0]
    assert "day/month order is ambiguous" in error
    # The library names its parameters; the page names its own widgets, never the command line's flags.
    assert (
        "Set the 'Date order of numeric dates' choice 'Day first \\(01/02 = 1 February\\)' for DD/MM "
        "\\(UK\\) or the 'Date order of numeric dates' choice 'Month first \\(01/02 = 2 January\\)' "
        "for MM/DD \\(US\\)"
    ) in error, error
    assert "in the 'Timestamp format \\(optional, strptime\\)' box" in error
    assert "--" not in error and "`" not in error
    assert at.button(key="analyse").disabled

    order = _selectbox(at, "Date order")
    order.set_value(next(o for o in order.options if o.startswith("Day first"))).run()
    _ok(at)
    assert not at.button(key="analyse").disabled
    rows = _frame(at, "case_id", "activity", "timestamp")
    assert rows["timestamp"].iloc[0] == pd.Timestamp("2024-02-01 10:00", tz="UTC")
    formats = _frame(at, "column", "unreadable")
    assert not formats["unreadable"].any()


def test_unreadable_timestamps_warn_and_can_be_dropped(tmp_path):
    content = (
        b"case_id,activity,timestamp\n1,a,2024-01-01 10:00\n1,b,yesterday\n"
        b"2,a,2024-01-02 10:00\n2,b,2024-01-03 10:00\n"
    )
    at = _upload("bad_times.csv", content)
    assert not at.exception
    assert "Some timestamps cannot be read" in _texts(at.warning)
    times = _frame(at, "column", "unreadable")
    assert times["unreadable"].iloc[0] == 1
    assert "'yesterday'" in times["example_unreadable"].iloc[0]

    # Analysing without dropping stops with the message the command line gives.
    at.button(key="analyse").click().run()
    assert not at.exception
    assert _app_error(tmp_path, "bad_times.csv", content) in _errors(at)
    assert "set the 'Drop rows whose timestamp cannot be read" in _errors(at)[0]
    assert "findings" not in at.session_state

    drop = next(c for c in at.checkbox if c.label.startswith("Drop rows whose timestamp"))
    drop.check().run()
    assert "Some timestamps cannot be read" not in _texts(at.warning)
    at.button(key="analyse").click().run()
    _ok(at)
    assert at.session_state["findings"].summary["cases"] == 2
    metrics = _metrics(at)
    assert (metrics["Rows read"], metrics["Rows kept"], metrics["Rows dropped"]) == ("4", "3", "1")
    report = _frame(at, "outcome", "reason", "rows")
    dropped = report[report["outcome"] == "dropped"]
    assert dropped["rows"].tolist() == [1]
    assert "row 2" in dropped["examples"].iloc[0]


PEOPLE = (
    b"case_id,activity,timestamp,resource\n1,a,01/02/2024 10:00,Ann\n1,b,03/04/2024 10:00,Bob\n"
    b"2,a,05/06/2024 10:00,Ann\n"
)


def _text_input(at: AppTest, label: str):
    return next(t for t in at.text_input if t.label.startswith(label))


def test_time_zone_and_timestamp_format_options():
    at = _upload("people.csv", PEOPLE)
    _text_input(at, "Time zone").input("Mars/Phobos").run()
    assert not at.exception
    assert _errors(at) == [
        "unknown time zone 'Mars/Phobos' in the 'Time zone of timestamps without an offset \\(IANA name\\)' "
        "box; use an IANA name such as 'Europe/London' or 'UTC'."
    ]
    assert at.button(key="analyse").disabled

    _text_input(at, "Time zone").input("Europe/London").run()
    assert "day/month order is ambiguous" in _texts(at.error)
    _text_input(at, "Timestamp format").input("%d/%m/%Y %H:%M").run()
    _ok(at)
    rows = _frame(at, "case_id", "activity", "timestamp")
    # 3 April is summer time in London: 10:00 there is 09:00 UTC.
    assert rows["timestamp"].tolist() == [
        pd.Timestamp("2024-02-01 10:00", tz="UTC"),
        pd.Timestamp("2024-04-03 09:00", tz="UTC"),
        pd.Timestamp("2024-06-05 09:00", tz="UTC"),
    ]
    assert not at.button(key="analyse").disabled


def test_pseudonymised_load_checks_the_key_and_never_shows_it():
    at = _upload("people.csv", PEOPLE)
    order = _selectbox(at, "Date order")
    order.set_value(next(o for o in order.options if o.startswith("Day first")))
    next(c for c in at.checkbox if c.label.startswith("Pseudonymise")).check().run()
    _text_input(at, "Pseudonym key").input("short").run()
    at.button(key="analyse").click().run()
    assert not at.exception
    assert "The pseudonym key is 5 bytes long; at least 16 are needed." in _texts(at.error)
    assert "findings" not in at.session_state

    secret = "a-long-enough-secret-key"
    _text_input(at, "Pseudonym key").input(secret).run()
    at.button(key="analyse").click().run()
    _ok(at)
    events = at.session_state["findings"].log.events
    assert events["case_id"].str.startswith("case-").all()
    assert not set(events["resource"]) & {"Ann", "Bob"}
    shown = [e.value for kind in ("markdown", "caption", "success", "info") for e in getattr(at, kind)]
    assert not [text for text in shown if secret in str(text)]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "empty.csv: the file is empty."),
        ("header.csv", b"case,task,when\n", "header.csv: the file has a header but no rows."),
        ("garbage.xes", b"\x00\x01garbage\xff" * 10, "garbage.xes: the content is not XML"),
        ("garbage.parquet", b"\x00\x01garbage\xff" * 10, "garbage.parquet: the content is not Parquet"),
        ("garbage.xlsx", b"\x00\x01garbage\xff" * 10, "garbage.xlsx"),
        ("garbage.jsonocel", b"\x00\x01garbage\xff" * 10, "garbage.jsonocel"),
    ],
)
def test_bad_upload_is_the_library_error(tmp_path, name, content, message):
    at = _upload(name, content)
    assert not at.exception
    errors = _errors(at)
    assert errors == [_app_error(tmp_path, name, content)]
    assert errors[0].replace("\\", "").startswith(message)
    assert "findings" not in at.session_state
    assert not [b for b in at.button if b.key == "analyse"]


def test_gzip_upload_keeps_its_suffixes():
    at = _ok(_upload("permits.csv.gz", gzip.compress(SAMPLE.read_bytes())))
    assert f"permits.csv.gz: {N_EVENTS} rows, {N_COLUMNS} columns (csv)." in _texts(at.caption)
    assert _selectbox(at, "Case id").value == "case_id"  # read as a gzip CSV and mapped
    assert _selectbox(at, "Completion time").value == "end_time"
    assert not at.button(key="analyse").disabled


def test_excel_with_two_sheets_offers_a_sheet_picker():
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["exported from the case system"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        pd.DataFrame(
            {
                "case_id": ["1", "1", "2"],
                "activity": ["a", "b", "a"],
                "timestamp": ["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 10:00"],
            }
        ).to_excel(writer, sheet_name="Events", index=False)
    at = _upload("book.xlsx", buffer.getvalue())
    assert not at.exception
    sheet = _selectbox(at, "Sheet")
    assert (sheet.options, sheet.value) == (["Notes", "Events"], "Notes")
    assert "book.xlsx: 1 rows, 1 columns (excel, sheet Notes)." in _texts(at.caption)
    assert at.button(key="analyse").disabled

    sheet.set_value("Events").run()
    _ok(at)
    assert "book.xlsx: 3 rows, 3 columns (excel, sheet Events)." in _texts(at.caption)
    # The other sheet's own columns are proposed.
    assert [_selectbox(at, x).value for x in ("Case id", "Activity", "Completion time")] == [
        "case_id",
        "activity",
        "timestamp",
    ]
    at.button(key="analyse").click().run()
    _ok(at)
    summary = at.session_state["findings"].summary
    assert (summary["cases"], summary["events"]) == (2, 3)


def _ocel_json() -> bytes:
    """OCEL 2.0 JSON: one order and two items; 'Pay order' relates to the order only."""
    links = {
        "e1": ("Create order", "2024-01-01T10:00:00Z", ["o1", "i1", "i2"]),
        "e2": ("Pick item", "2024-01-01T11:00:00Z", ["o1", "i1"]),
        "e3": ("Pick item", "2024-01-01T12:00:00Z", ["o1", "i2"]),
        "e4": ("Ship order", "2024-01-02T09:00:00Z", ["o1", "i1", "i2"]),
        "e5": ("Pay order", "2024-01-03T09:00:00Z", ["o1"]),
    }
    document = {
        "objectTypes": [{"name": "item", "attributes": []}, {"name": "order", "attributes": []}],
        "eventTypes": [
            {"name": n, "attributes": []} for n in ("Create order", "Pay order", "Pick item", "Ship order")
        ],
        "objects": [
            {"id": "o1", "type": "order"},
            {"id": "i1", "type": "item"},
            {"id": "i2", "type": "item"},
        ],
        "events": [
            {
                "id": eid,
                "type": activity,
                "time": time,
                "relationships": [{"objectId": o, "qualifier": ""} for o in objects],
            }
            for eid, (activity, time, objects) in links.items()
        ],
    }
    return json.dumps(document).encode()


def test_ocel_with_two_object_types_offers_an_object_type_picker():
    at = _ok(_upload("shop.jsonocel", _ocel_json()))
    picker = _selectbox(at, "Object type")
    assert picker.options == ["item (2 objects)", "order (1 objects)"]
    assert picker.value == "item"
    assert "shop.jsonocel: 6 rows, 4 columns (ocel)." in _texts(at.caption)
    assert not at.button(key="analyse").disabled

    picker.set_value("order").run()
    _ok(at)
    assert "shop.jsonocel: 5 rows, 4 columns (ocel)." in _texts(at.caption)
    at.button(key="analyse").click().run()
    _ok(at)
    summary = at.session_state["findings"].summary
    assert (summary["cases"], summary["events"], summary["activities"]) == (1, 5, 4)


def test_a_date_range_with_one_day_is_refused_not_ignored(sample_findings):
    at = _page(sample_findings, "app_pages/overview.py")
    at.date_input(key="flt_dates").set_value((datetime.date(2025, 3, 1),))
    at = _apply(at)
    assert not at.exception
    assert "Pick both the first and the last day of the date range" in _texts(at.sidebar.error)
    assert "filters" not in at.session_state or not at.session_state["filters"]
    assert _metrics(at)["Cases"] == "1,000"


# ------------------------------------------------------------------------------------------- compare


def test_compare_page_splits_the_loaded_log_like_the_library(sample_findings):
    from analysis.compare import compare_logs, split_log

    at = _ok(_page(sample_findings, "app_pages/compare.py"))
    at.date_input(key="compare_split_at").set_value(datetime.date(2025, 3, 15))
    at.button(key="compare_run").click().run()
    _ok(at)
    expected = compare_logs(*_halves(split_log(sample_findings.log, at=pd.Timestamp("2025-03-15", tz="UTC"))))
    sig = expected.significant()
    assert _metrics(at)["Significant changes"] == f"{len(sig):,}"
    shown = _frame(at, "measure", "before", "after", "direction")
    pd.testing.assert_series_equal(shown["after"], expected.process["after"], check_names=False)
    assert at.get("plotly_chart")
    assert [b.label for b in at.get("download_button")] == [
        "comparison.html",
        "comparison.json",
        "comparison.csv",
    ]


def _halves(split):
    return split.before, split.after


def test_compare_page_reads_another_log_with_the_loaded_columns(sample_findings):
    at = _ok(_page(sample_findings, "app_pages/compare.py"))
    at.radio(key="compare_mode").set_value("Compare with another log (after the change)").run()
    at.file_uploader(key="compare_upload").upload("after.csv", SAMPLE.read_bytes())
    at.run()
    at.button(key="compare_run").click().run()
    _ok(at)
    # The same log on both sides: nothing changed.
    assert _metrics(at)["Significant changes"] == "0"


def test_handoffs_page_shows_the_failures_and_the_performer_types(sample_findings, truth):
    f = sample_findings
    at = _ok(_page(f, "app_pages/handoffs.py"))
    shown = _frame(at, "rank", "pattern", "source", "target", "after_activity", "hours_lost")
    assert list(shown["pattern"]) == [PATTERN_LABELS[p] for p in f.handoff_failures.failures["pattern"]]
    assert shown["pattern"].iloc[0] == "dropped baton"  # in words
    outside = _frame(at, "requester", "party", "request_activity")
    assert set(outside["party"]) == {truth["handoffs"]["request_response"]["external"]}
    types = _frame(at, "performer", "type", "reason")
    assert dict(zip(types["performer"], types["type"], strict=True)) == truth["performer_types"]
    assert _metrics(at)["Bot"] == "1" and _metrics(at)["Outside party"] == "1"
    assert "each extra role a case crosses multiplies its cycle time" in _flat(_texts(at.markdown))


def _reanalyse_script():
    import streamlit as st

    from app_pages.common import reanalyse

    if st.button("go", key="go"):
        reanalyse({"performer_types": {"mailroom_01": "bot"}})
    st.write(st.session_state["findings"].performers.types()["mailroom_01"])


def test_performer_type_picker_analyses_again_with_the_new_type(sample_findings):
    at = _ok(_page(sample_findings, "app_pages/handoffs.py"))
    assert at.button(key="performer_types_apply").disabled  # nothing changed yet
    # The picker's button calls common.reanalyse with the edited types (AppTest cannot edit a data editor).
    script = AppTest.from_function(_reanalyse_script, default_timeout=TIMEOUT)
    script.session_state["findings"] = sample_findings
    script.session_state["analysis_key"] = "k"
    script.session_state["filters"] = {"variants": [1]}
    script.session_state["filtered_views"] = {"old": object()}
    _ok(script.run())
    assert [m.value for m in script.markdown] == ["human"]
    script.button(key="go").click().run()
    _ok(script)
    assert [m.value for m in script.markdown] == ["bot"]
    assert script.session_state["analysis_options"] == {"performer_types": {"mailroom_01": "bot"}}
    assert script.session_state["filters"] == {"variants": [1]}  # kept; the views are redone
    assert script.session_state["filtered_views"] == {}
    assert script.session_state["analysis_key"].startswith("k|options:")


def test_readiness_page_scores_again_with_an_uploaded_profile(sample_findings):
    at = _ok(_page(sample_findings, "app_pages/readiness.py"))
    at.file_uploader(key="readiness_profile").upload(
        "mine.yaml", b"rules:\n  ai_assist_min_determinism: 0.0\n"
    )
    at.run()
    at.button(key="readiness_apply").click().run()
    _ok(at)
    profile = at.session_state["analysis_options"]["profile"]
    assert profile.get("rules", "ai_assist_min_determinism") == 0.0
    s = at.session_state["findings"].readiness.scores.set_index("activity")
    assert s.loc["Decide application", "recommendation"] == "ai_assist"
    at.file_uploader(key="readiness_profile").upload("bad.yaml", b"rules:\n  automate_scor: 3\n")
    at.run()
    at.button(key="readiness_apply").click().run()
    # errors are Markdown-escaped (a name from the data or a file must not format the message)
    assert "automate_scor" in " ".join(e.value for e in at.error).replace("\\", "")


# ---------------------------------------------------- the Load page speaks of its widgets, not flags


def _order(at: AppTest) -> list[str]:
    """The main area's elements in page order, as ``type:text`` (text for the kinds that have one)."""
    out = []
    for node in at.main:
        kind = getattr(node, "type", "")
        value = getattr(node, "value", "") if kind in ("success", "title", "subheader", "warning") else ""
        out.append(f"{kind}:{value}")
    return out


def test_after_analyse_the_success_and_next_step_are_at_the_top():
    at = _app().run()
    at.button(key="analyse").click().run()
    _ok(at)
    order = _order(at)
    first_success = next(i for i, x in enumerate(order) if x.startswith("success:Analysed"))
    first_table = next(i for i, x in enumerate(order) if x.startswith("dataframe:"))
    assert order[1].startswith("title:Load an event log")  # order[0] is the main area itself
    assert first_success < first_table, order  # above the tall preview, where it is seen
    links = [p.proto.label for p in at.get("page_link")]
    assert links[0] == "Next: see the overview"
    assert [t.value for t in at.toast] == [
        f"Analysed council\\_permits.csv: {N_CASES} cases. Next: the Overview page."
    ]
    at.run()  # the toast is shown once
    assert not at.toast
    assert "success:Analysed" in " ".join(_order(at))


def test_import_report_notes_name_the_load_page_widgets():
    lines = SAMPLE.read_text().splitlines()
    at = _upload("dups.csv", ("\n".join([*lines, lines[1]]) + "\n").encode())
    _ok(at)
    at.button(key="analyse").click().run()
    _ok(at)
    notes = _flat(_texts(at.markdown)).replace("\\", "")
    assert (
        "they are kept. Set the 'Drop rows that repeat an earlier row in every column (they are always "
        "counted)' checkbox (under More options) to drop them."
    ) in notes
    assert "drop_duplicates" not in notes and "--drop" not in notes


def test_every_parameter_the_load_page_passes_has_a_widget_name():
    import inspect

    from app_pages.names import WIDGET_NAMES, app_message

    passed = set(inspect.signature(load_event_log).parameters) - {
        "source",  # the file
        "xes_reader",  # automatic in the app
        "pseudonym_key",  # typed or from the environment; its messages name no parameter
        "pseudonymise",
    }
    assert passed <= set(WIDGET_NAMES), passed - set(WIDGET_NAMES)
    filters = set(inspect.signature(filter_log).parameters) - {"log"}
    assert filters <= set(WIDGET_NAMES), filters - set(WIDGET_NAMES)
    assert app_message("Set `dayfirst=True`.") == (
        "Set the 'Date order of numeric dates' choice 'Day first (01/02 = 1 February)'."
    )


def test_an_empty_first_sheet_still_offers_the_sheet_picker_its_message_names():
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Cover", index=False)
        pd.DataFrame(
            {
                "case_id": ["1", "1"],
                "activity": ["a", "b"],
                "timestamp": ["2024-01-01 10:00", "2024-01-01 11:00"],
            }
        ).to_excel(writer, sheet_name="Events", index=False)
    at = _upload("cover.xlsx", buffer.getvalue())
    assert not at.exception
    sheet = _selectbox(at, "Sheet")
    assert (sheet.options, sheet.value) == (["Cover", "Events"], "Cover")
    [error] = _errors(at)
    assert "worksheet 'Cover' is empty" in error and "pick one with the 'Sheet' choice" in error, error
    sheet.set_value("Events").run()
    _ok(at)
    assert not at.button(key="analyse").disabled


@pytest.mark.parametrize(
    ("page", "label", "text"),
    [
        ("app_pages/readiness.py", "How the readiness score", "## Factors"),
        ("app_pages/bottlenecks.py", "How the causes of waiting", "batching"),
        ("app_pages/handoffs.py", "How failing handoffs", "ping-pong"),
    ],
)
def test_method_pages_are_readable_inside_the_app(sample_findings, page, label, text):
    # An analyst in the app cannot open docs/*.md, and the docs site may not be served: the page's
    # method is in an expander, the documentation page itself.
    at = _page(sample_findings, page)
    [exp] = [e for e in at.expander if e.label.startswith(label)]
    body = " ".join(m.value for m in exp.markdown)
    assert text in body and len(body) > 2000
