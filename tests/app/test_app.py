"""The Streamlit app, driven headless with ``streamlit.testing.v1.AppTest``.

One module-scoped analysis of the bundled sample feeds the page tests through session state, so only
the load-through-the-UI test pays for a second analysis.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the app needs the [app] extra: pip install -e '.[app]'")

from streamlit.testing.v1 import AppTest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # plain `pytest` (not `python -m pytest`) does not add the repo root
    sys.path.insert(0, str(REPO_ROOT))

APP = str(REPO_ROOT / "app.py")
SAMPLE = REPO_ROOT / "sample_logs" / "council_permits.csv"
#: Generous: the first run imports pandas, plotly, pm4py...; the analysis of the sample takes ~2 s.
TIMEOUT = 60
PAGES = [
    "app_pages/overview.py",
    "app_pages/process.py",
    "app_pages/bottlenecks.py",
    "app_pages/handoffs.py",
    "app_pages/readiness.py",
    "app_pages/blueprint.py",
]


@pytest.fixture(scope="module")
def findings():
    from analysis import analyze
    from mapper import load_event_log

    return analyze(load_event_log(SAMPLE))


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _page(findings, page: str) -> AppTest:
    at = _app()
    at.session_state["findings"] = findings
    at.session_state["analysis_key"] = "sample-fixture"
    at.run()
    return at.switch_page(page).run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.radio(key="load_source").set_value("Upload a file").run()
    at.get("file_uploader")[0].upload(name, content, "text/csv")
    return at.run()


def _selectbox(at: AppTest, label: str):
    return next(b for b in at.selectbox if b.label.startswith(label))


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_load_sample_through_the_load_page():
    at = _app().run()
    assert not at.exception
    assert at.radio(key="load_source").value.startswith("Bundled sample")
    # The proposed mapping of the sample's own column names.
    assert _selectbox(at, "Case id").value == "case_id"
    assert _selectbox(at, "Completion time").value == "end_time"

    _button(at, "Analyse").click().run()
    assert not at.exception
    assert not at.error
    f = at.session_state["findings"]
    assert f.summary["cases"] == 1000
    assert "1,000 cases" in _texts(at.success)
    # The import report: outcome table and notes.
    report = at.dataframe[-2].value
    assert list(report.columns) == ["outcome", "reason", "rows"]
    assert report.loc[report["outcome"] == "kept", "rows"].iloc[0] == f.quality.rows_kept

    # The loaded analysis survives a page switch.
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert "Verdict: orchestrate first" in _texts(at.warning)


def test_pages_ask_for_a_log_first():
    for page in PAGES:
        at = _app().run().switch_page(page).run()
        assert not at.exception, page
        assert "Load one first" in _texts(at.info), page


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_the_sample(findings, page):
    at = _page(findings, page)
    assert not at.exception
    assert not at.error
    assert at.title


def test_overview_shows_verdict_and_summary(findings):
    at = _page(findings, "app_pages/overview.py")
    assert "Verdict: orchestrate first" in _texts(at.warning)
    reasons = next(m.value for m in at.markdown if m.value.startswith("- "))
    assert len(reasons.splitlines()) == len(findings.verdict.reasons)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cases"] == "1,000"
    assert metrics["Events"] == f"{findings.summary['events']:,}"
    assert metrics["Rows read"] == f"{findings.quality.rows_read:,}"


def test_process_map_and_overlay_toggle(findings):
    at = _page(findings, "app_pages/process.py")
    chart = at.get("graphviz_chart")[0]
    assert "digraph" in chart.proto.spec
    at.radio(key="process_overlay").set_value("time").run()
    assert not at.exception
    assert at.get("graphviz_chart")[0].proto.spec != chart.proto.spec
    assert len(at.dataframe[0].value) == len(findings.variants)


def test_bottlenecks_rank_assess_application_first(findings):
    at = _page(findings, "app_pages/bottlenecks.py")
    table = at.dataframe[0].value
    assert table["activity"].iloc[0] == "Assess application"
    assert table["rank"].iloc[0] == 1
    assert at.get("plotly_chart")


def test_handoffs_level_toggle(findings):
    at = _page(findings, "app_pages/handoffs.py")
    at.radio(key="handoff_level").set_value("resource").run()
    assert not at.exception
    assert set(at.dataframe[1].value["level"]) == {"resource"}


def test_readiness_table_and_chart(findings):
    at = _page(findings, "app_pages/readiness.py")
    assert list(at.dataframe[0].value["activity"]) == list(findings.readiness.scores["activity"])
    assert at.get("plotly_chart")


def test_blueprint_offers_the_four_downloads(findings):
    at = _page(findings, "app_pages/blueprint.py")
    labels = {b.proto.label for b in at.get("download_button")}
    assert labels == {"blueprint.bpmn", "blueprint.json", "findings.json", "report.html"}


def test_empty_upload_is_a_clear_error():
    at = _upload(_app().run(), "empty.csv", b"")
    assert not at.exception
    assert "empty.csv: the file is empty." in _texts(at.error)
    assert "findings" not in at.session_state


def test_header_only_upload_is_a_clear_error():
    at = _upload(_app().run(), "header.csv", b"case,task,when\n")
    assert not at.exception
    assert "header.csv: the file has a header but no rows." in _texts(at.error)


def test_upload_with_unknown_columns_lets_the_user_map_them():
    csv = b"ref;step;done_at\nA;Open;2024-03-01 10:00\nA;Close;2024-03-02 09:30\nB;Open;2024-03-01 11:00\n"
    at = _upload(_app().run(), "tickets.csv", csv)
    assert not at.exception
    assert "cannot find the case_id" in _texts(at.warning)

    _button(at, "Analyse").click().run()
    assert "Choose a column for: Case id" in _texts(at.error)

    _selectbox(at, "Case id").set_value("ref")
    _selectbox(at, "Activity").set_value("ref")
    _selectbox(at, "Completion time").set_value("done_at")
    _button(at, "Analyse").click().run()
    assert "'ref' is chosen for Case id and Activity" in _texts(at.error)

    _selectbox(at, "Activity").set_value("step")
    _button(at, "Analyse").click().run()
    assert not at.exception
    assert not at.error
    assert at.session_state["findings"].summary["source"] == "tickets.csv"
    assert at.session_state["findings"].summary["cases"] == 2


def test_unreadable_timestamps_are_a_clear_error():
    csv = b"case_id,activity,timestamp\n1,a,yesterday\n1,b,today\n"
    at = _upload(_app().run(), "bad_times.csv", csv)
    _button(at, "Analyse").click().run()
    assert not at.exception
    assert "bad_times.csv" in _texts(at.error)
    assert "findings" not in at.session_state


def test_gzip_upload_keeps_its_suffixes():
    import gzip

    at = _upload(_app().run(), "permits.csv.gz", gzip.compress(SAMPLE.read_bytes()))
    assert not at.exception
    assert not at.error
    assert _selectbox(at, "Case id").value == "case_id"  # read as a gzip CSV and mapped
    assert any("permits.csv.gz" in e.proto.label for e in at.get("expander"))
