"""The flowready command: outputs, summary, and clear errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.bpmn_xml import validate_bpmn_xml
from analysis.cli import app
from tests.conftest import SAMPLE

OUTPUTS = [
    "report.html",
    "findings.json",
    "blueprint.json",
    "blueprint.bpmn",
    "process_map.svg",
    "data_quality.json",
    "blueprint.sw.yaml",
    "blueprint_dapr.py",
    "kpi_baseline.json",
]
runner = CliRunner()


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(out)])
    return result, out


def test_writes_every_output(sample_run):
    result, out = sample_run
    assert result.exit_code == 0, result.output
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0, name
    assert "Verdict" in result.stdout and "report.html" in result.stdout


def test_outputs_agree(sample_run, sample_findings):
    _, out = sample_run
    findings = json.loads((out / "findings.json").read_text())
    quality = json.loads((out / "data_quality.json").read_text())
    assert findings["data_quality"] == quality
    assert findings["log"]["cases"] == sample_findings.summary["cases"]
    assert (
        findings["bottlenecks"][0]["activity"] == sample_findings.bottlenecks.activities["activity"].iloc[0]
    )
    validate_bpmn_xml((out / "blueprint.bpmn").read_text())


@pytest.mark.parametrize(
    "content, name, message",
    [
        ("", "empty.csv", "empty"),
        ("case_id,activity,end_time\n1,A,2024-01-01\n2,B,not a date\n", "bad.csv", "not a date"),
        ("case,step\n1,A\n", "nocols.csv", "timestamp"),
        ("<log><trace><event>", "cut.xes", "not well-formed"),
        ("case_id,activity,end_time\n1,A,2024-01-01\n", "wrong.xes", "not XML"),
        ("PAR1 but not really", "fake.parquet", "cannot be read"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_text(content)
    result = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.stderr
    assert name in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_ambiguous_dates_refused_until_dayfirst(tmp_path):
    path = tmp_path / "uk.csv"
    path.write_text("case_id,activity,end_time\n1,A,01/02/2024 10:00\n1,B,03/02/2024 11:00\n")
    refused = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "a")])
    assert refused.exit_code == 2 and "--dayfirst" in refused.stderr
    ok = runner.invoke(app, ["analyze", str(path), "--dayfirst", "--out", str(tmp_path / "b")])
    assert ok.exit_code == 0, ok.output
    doc = json.loads((tmp_path / "b" / "findings.json").read_text())
    assert doc["log"]["start"].startswith("2024-02-01T10:00")


def test_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "analysis.cli", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "analyze" in done.stdout


def test_an_internal_error_is_one_line_and_exit_1(monkeypatch, tmp_path):
    import analysis.findings

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(analysis.findings, "analyze", boom)
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "internal error" in result.stderr and "kaboom" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_tables_are_written_as_csv_and_excel(sample_run):
    _, out = sample_run
    for name in ("bottlenecks", "handoffs", "readiness", "variants", "import_report"):
        assert (out / "tables" / f"{name}.csv").stat().st_size > 0
    assert (out / "tables.xlsx").stat().st_size > 0
    findings = json.loads((out / "findings.json").read_text())
    assert findings["schema_version"] == "1.5"
    n_rows = len(pd.read_csv(SAMPLE))
    assert findings["import_report"]["rows"] == {
        "read": n_rows,
        "kept": n_rows,
        "dropped": 0,
        "repaired": 0,
        "duplicates": 0,
    }
    assert findings["import_report"]["clean"] is True


def test_pseudonymise_replaces_ids_and_names_and_never_writes_the_key(tmp_path, monkeypatch):
    key = "a-long-enough-secret-key-0123456789"
    key_file = tmp_path / "key.txt"
    key_file.write_text(key + "\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["analyze", str(SAMPLE), "--out", str(out), "--pseudonymise", "--pseudonym-key-file", str(key_file)],
    )
    assert result.exit_code == 0, result.output
    texts = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert not [p for p, b in texts.items() if key.encode() in b]
    findings = json.loads((out / "findings.json").read_text())
    resources = {h["source"] for h in findings["handoffs"] if h["level"] == "resource"}
    assert resources and all(r.startswith("res-") and len(r) == 20 for r in resources)
    sample = pd.read_csv(SAMPLE, dtype=str)
    # Roles are not pseudonymised; the applicant's resource name is also its role's name.
    sample_resources = set(sample["resource"].dropna()) - set(sample["role"].dropna())
    blob = b"".join(texts.values()).decode("utf-8", "replace")
    assert not [r for r in sample_resources if f'"{r}"' in blob]
    assert findings["data_quality"]["details"]["pseudonymised"]["columns"] == ["case_id", "resource"]


def test_pseudonymise_without_a_key_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("FLOWREADY_PSEUDONYM_KEY", raising=False)
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(tmp_path), "--pseudonymise"])
    assert result.exit_code == 2
    assert "No pseudonym key" in result.output and "FLOWREADY_PSEUDONYM_KEY" in result.output


@pytest.mark.parametrize("pseudonymise", [False, True])
def test_several_logs_are_merged_with_system_handoffs(tmp_path, monkeypatch, pseudonymise):
    crm = tmp_path / "crm.csv"
    erp = tmp_path / "erp.csv"
    crm.write_text(
        "case_id,activity,timestamp,resource\n"
        "C1,Receive,2024-01-01T09:00Z,ann\nC1,Check,2024-01-01T10:00Z,bob\n"
        "C2,Receive,2024-01-02T09:00Z,ann\nC2,Check,2024-01-02T10:00Z,bob\n"
    )
    erp.write_text(
        "case_id,activity,timestamp,resource\n"
        "900,Invoice,2024-01-01T12:00Z,bot\n900,Pay,2024-01-02T12:00Z,cara\n"
        "901,Invoice,2024-01-02T15:00Z,bot\n"
    )
    case_map = tmp_path / "map.csv"
    case_map.write_text("crm,finance\nC1,900\nC2,901\n")
    out = tmp_path / "out"
    args = [
        "analyze",
        str(crm),
        str(erp),
        "--system",
        "crm",
        "--system",
        "finance",
        "--case-map",
        str(case_map),
    ]
    if pseudonymise:
        monkeypatch.setenv("FLOWREADY_PSEUDONYM_KEY", "x" * 32)
        args.append("--pseudonymise")
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    f = json.loads((out / "findings.json").read_text())
    assert f["log"]["systems"] == ["crm", "finance"] and f["log"]["cases"] == 2  # the map still links
    text = (out / "findings.json").read_text()
    assert ('"ann"' in text) is not pseudonymise  # resources appear in the handoffs
    assert '"C1"' not in text or not pseudonymise
    system = [h for h in f["handoffs"] if h["level"] == "system"]
    assert [(h["source"], h["target"], h["count"]) for h in system] == [("crm", "finance", 2)]
    assert f["import_report"]["format"] == "merged"


def test_system_names_must_match_the_logs(tmp_path):
    result = runner.invoke(
        app, ["analyze", str(SAMPLE), "--system", "a", "--system", "b", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "1 logs but 2 --system names" in result.output


def test_filters_from_the_command_line_match_filter_log(tmp_path):
    from mapper import filter_log, load_event_log

    out = tmp_path / "filtered"
    args = ["analyze", str(SAMPLE), "--out", str(out), "--from", "2025-03-01", "--to", "2025-03-31"]
    args += ["--keep", "role=Highways", "--keep", "role=Senior", "--max-case-hours", "400"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text("utf-8"))
    expected = filter_log(
        load_event_log(SAMPLE),
        time_range=("2025-03-01", "2025-03-31T23:59:59.999999"),
        attributes={"role": ["Highways", "Senior"]},
        case_hours=(None, 400),
    )
    assert doc["log"]["filters"] == list(expected.filters)
    assert len(doc["log"]["filters"]) == 3
    assert doc["log"]["cases"] == expected.summary()["cases"] < 1000
    assert "Filtered: " in (out / "report.html").read_text("utf-8")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--keep", "roleHighways"], "--keep 'roleHighways': write COLUMN=VALUE"),
        (["--keep", "nosuch=1"], "nosuch"),
        (["--variant", "9999"], "9999"),
        (["--time-mode", "sometimes", "--from", "2025-03-01"], "sometimes"),
    ],
)
def test_bad_filters_exit_2_with_a_clear_message(tmp_path, extra, message):
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(tmp_path / "o"), *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_compare_splits_one_log_by_date_and_writes_its_outputs(tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(SAMPLE), "--split-at", "2025-03-15", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "comparison.json").read_text())
    assert {"before", "after", "settings", "process", "steps", "notes"} <= set(doc)
    measures = {r["measure"] for r in doc["process"]}
    assert {"cycle_hours_median", "rework_rate", "cases_per_month"} <= measures
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["level"]) == {"process", "step"}
    page = (out / "comparison.html").read_text()
    assert "Did the process change?" in page and "<script" in page
    assert "Steps that changed significantly" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["compare", "a.csv", "b.csv", "c.csv"], "give two logs"),
        (["compare", "a.csv"], "give two logs"),
        (["compare", "a.csv", "b.csv", "--split-at", "2025-01-01"], "give two logs"),
        (["compare", "a.csv", "b.csv", "--adjust", "bonferroni"], "--adjust is fdr_bh or holm"),
        (["rank", "a.csv"], "at least two logs"),
        (["rank", "a.csv", "b.csv", "--name", "only one"], "give one per log"),
    ],
)
def test_compare_and_rank_refuse_bad_arguments(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_rank_orders_processes_and_writes_the_ranking(tmp_path):
    sample = pd.read_csv(SAMPLE)
    small = tmp_path / "small.csv"
    sample[sample["case_id"].isin(sample["case_id"].unique()[:150])].to_csv(small, index=False)
    out = tmp_path / "rank"
    result = runner.invoke(
        app,
        ["rank", str(SAMPLE), str(small), "--name", "permits", "--name", "a few permits", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "ranking.json").read_text())
    ranked = [p["name"] for p in doc["processes"]]
    assert sorted(ranked) == ["a few permits", "permits"]
    assert [p["rank"] for p in doc["processes"]] == [1, 2]
    assert (out / "ranking.csv").stat().st_size > 0
    assert "Where to start" in result.stdout


def test_performer_types_and_sla_targets_reach_the_findings(tmp_path):
    types = tmp_path / "types.csv"
    types.write_text("performer,type\nmailroom_01,bot\n")
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "analyze",
            str(SAMPLE),
            "--out",
            str(out),
            "--performer-types",
            str(types),
            "--performer-type",
            "Portal=human",
            "--sla",
            "Assess application=72",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text())
    typed = {p["performer"]: p for p in doc["performers"]["performers"]}
    assert typed["mailroom_01"]["type"] == "bot" and typed["mailroom_01"]["overridden"]
    assert typed["Portal"]["type"] == "human" and typed["Portal"]["overridden"]
    assert typed["rpa_fee_bot"]["type"] == "bot" and not typed["rpa_fee_bot"]["overridden"]
    sla = {r["activity"]: r for r in doc["performance"]["sla"]["activities"]}
    assert sla["Assess application"]["target_hours"] == 72.0
    assert sla["Assess application"]["breaches"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sla", "Assess application"], "--sla 'Assess application': write STEP=HOURS"),
        (["--sla", "Assess application=soon"], "is not a number of hours"),
        (["--sla", "Nope=3"], "--sla name ['Nope'], which are not activities"),
        (["--performer-type", "Portal"], "--performer-type 'Portal': write NAME=TYPE"),
        (["--performer-type", "Portal=robot"], "--performer-type"),
        (["--due-column", "deadline"], "--due-column 'deadline' is not a column"),
        (
            ["--equity-attribute", "nope"],
            "--equity-attribute names ['nope'], which are not attribute columns",
        ),
        (["--equity-attribute", "role"], "--equity-attribute names ['role']"),
        (["--profile", "/nope.yaml"], "Cannot read the profile /nope.yaml"),
    ],
)
def test_analysis_options_are_checked_and_named_as_flags(tmp_path, args, message):
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "o").exists()  # refused before any output
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr


def test_filter_messages_name_the_flags_not_the_parameters(tmp_path):
    result = runner.invoke(app, ["analyze", str(SAMPLE), "--out", str(tmp_path), "--min-case-hours", "-5"])
    assert result.exit_code == 2
    assert "case_hours" not in result.stderr and "--min-case-hours/--max-case-hours" in result.stderr


# --- library messages name Python parameters; the command prints its own options -------------------

HEADER = "case_id,activity,end_time\n"


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        (
            HEADER + "1,A,01/02/2024 10:00\n1,B,03/02/2024 11:00\n",
            [],
            [
                "Set --dayfirst for DD/MM (UK) or --monthfirst for MM/DD (US)",
                "--timestamp-format '%m/%d/%Y %H:%M'",
            ],
        ),
        (HEADER + "1,A,01/02/2024\n1,B,13/02/2024\n", ["--monthfirst"], ["Check --monthfirst"]),
        (
            HEADER + "1,A,2024-01-01\n1,B,2024-01-02\n1,C,never\n",
            [],
            ["give the format with --timestamp-format", "set --drop-bad-timestamps to drop those rows"],
        ),
        ("activity,end_time\nA,2024-01-01\n", [], ["Name the column(s) with --case-id."]),
        (HEADER + "1,A,2024-01-01\n", ["--resource", "who"], ["'who' given for --resource does not exist"]),
        (HEADER + "1,A,2024-01-01\n", ["--timezone", "Mars/Base"], ["'Mars/Base' in --timezone"]),
    ],
    ids=["ambiguous", "against-monthfirst", "bad-timestamp", "missing-column", "absent-column", "zone"],
)
def test_load_errors_name_the_options(tmp_path, content, args, expected):
    path = tmp_path / "log.csv"
    path.write_text(content)
    result = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2, result.output
    text = " ".join(result.stderr.split())
    for words in expected:
        assert words in text, text
    assert "`" not in text  # every parameter the message names is translated


def test_data_quality_notes_name_the_options(tmp_path):
    lines = SAMPLE.read_text().splitlines()
    path = tmp_path / "dups.csv"
    path.write_text("\n".join([*lines, lines[1]]) + "\n")  # one exact duplicate row
    result = runner.invoke(app, ["analyze", str(path), "--impact", "off", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "they are kept. Set --drop-duplicates to drop them." in text
    assert "drop_duplicates" not in text


def test_every_parameter_the_library_names_has_an_option():
    from analysis.cli import cli_message, option_names
    from mapper.columns import OPTIONAL, REQUIRED
    from mapper.errors import PARAMETER_PATTERN
    from tests.mapper.test_messages import _library_modules, _message_strings

    names = option_names()
    assert names["case_id"] == "--case-id" and names["dayfirst=True"] == "--dayfirst"
    assert names["dayfirst=False"] == "--monthfirst" and names["timestamp_format"] == "--timestamp-format"
    named = [
        m.group(0)
        for path in _library_modules()
        for _, text in _message_strings(path)
        for m in PARAMETER_PATTERN.finditer(text)
    ]
    assert len(named) > 20
    # and those built in f-strings: the column parameters and analyze's column options
    named += [f"`{c}`" for c in (*REQUIRED, *OPTIONAL)] + ["`due_column`", "`escalation_column`"]
    assert [n for n in named if "`" in cli_message(n)] == []
