"""Library messages name Python parameters (between backticks), never a front end's flags or widgets.

The CLI and the app translate the parameters into their own names (:func:`mapper.errors.translate`);
tests/test_cli.py and tests/app/test_app.py check that they do.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import re
from pathlib import Path

import openpyxl
import pytest

import analysis
import mapper
from mapper import load_event_log
from mapper.errors import (
    ColumnMappingError,
    EventLogError,
    FlowreadyError,
    TimestampError,
    named_parameters,
    translate,
)

ROOT = Path(__file__).resolve().parents[2]
#: Command-line switches of other programs, not flowready's: Chromium's (print to PDF) and Spark's.
OTHER_PROGRAMS = {"analysis/pdf.py", "mapper/backends.py"}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _message_strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module that is not a docstring (f-string parts included)."""
    tree = ast.parse(path.read_text("utf-8"))
    docs = {
        id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
    }
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def _library_modules() -> list[Path]:
    files = [*(ROOT / "mapper").rglob("*.py"), *(ROOT / "analysis").rglob("*.py")]
    return sorted(p for p in files if p.relative_to(ROOT).as_posix() != "analysis/cli.py")


def test_no_library_message_names_a_command_line_flag():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in _library_modules()
        if path.relative_to(ROOT).as_posix() not in OTHER_PROGRAMS
        for line, text in _message_strings(path)
        if FLAG.search(text)
    ]
    assert found == [], "\n".join(found)


def _public_parameters() -> set[str]:
    names: set[str] = set()
    for module in (mapper, analysis):
        for name in module.__all__:
            obj = getattr(module, name)
            for fn in [obj, *(getattr(obj, m) for m in dir(obj) if not m.startswith("_"))]:
                if callable(fn):
                    with contextlib.suppress(TypeError, ValueError):  # builtins without a signature
                        names |= set(inspect.signature(fn).parameters)
    return names


def test_every_parameter_a_message_names_is_a_parameter_of_a_public_function():
    named = {
        m.group(1): f"{path.relative_to(ROOT)}:{line}"
        for path in _library_modules()
        for line, text in _message_strings(path)
        for m in re.finditer(r"(?<!`)`([A-Za-z_]\w*)(?:=[^`]*)?`(?!`)", text)
    }
    assert {"dayfirst", "timestamp_format", "drop_duplicates", "on_bad_timestamp", "sheet"} <= set(named)
    unknown = {name: where for name, where in named.items() if name not in _public_parameters()}
    assert unknown == {}


def test_named_parameters_and_translate():
    text = "Set `dayfirst=True`, or give `timestamp_format='%d.%m.%Y'`; ``dayfirst`` is an RST literal."
    assert named_parameters(text) == ("dayfirst", "timestamp_format")
    names = {"dayfirst=True": "--dayfirst", "timestamp_format": "--timestamp-format"}
    assert translate(text, names) == (
        "Set --dayfirst, or give --timestamp-format '%d.%m.%Y'; ``dayfirst`` is an RST literal."
    )
    labels = {"timestamp_format=": "{value} in the 'Format' box", "sheet": "the 'Sheet' choice"}
    assert translate(text, labels) == (
        "Set `dayfirst=True`, or give '%d.%m.%Y' in the 'Format' box; ``dayfirst`` is an RST literal."
    )
    error = TimestampError("bad: give `timestamp_format`.")
    assert error.parameters == ("timestamp_format",)
    assert translate(error, names) == "bad: give --timestamp-format."
    assert FlowreadyError("nothing to change").parameters == ()


def _csv(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


HEADER = "case_id,activity,timestamp\n"
CASES = [
    # (what, file name, content, load_event_log keywords, error class, parameters named)
    ("ambiguous dates", "amb.csv", HEADER + "1,A,01/02/2024\n1,B,03/04/2024\n", {}, TimestampError,
     ("dayfirst", "timestamp_format")),
    ("dates against dayfirst", "uk.csv", HEADER + "1,A,01/02/2024\n1,B,13/04/2024\n", {"dayfirst": False},
     TimestampError, ("dayfirst", "timestamp_format")),
    ("mixed orders", "mixed.csv", HEADER + "1,A,13/02/2024\n1,B,02/13/2024\n", {}, TimestampError,
     ("timestamp_format",)),
    ("no timestamp at all", "words.csv", HEADER + "1,A,soon\n1,B,later\n", {}, TimestampError,
     ("timestamp_format",)),
    ("one bad timestamp", "one.csv", HEADER + "1,A,2024-01-01 10:00\n1,B,2024-01-01 11:00\n1,C,never\n", {},
     TimestampError, ("timestamp_format", "on_bad_timestamp")),
    ("missing required column", "nocase.csv", "activity,timestamp\nA,2024-01-01\n", {}, ColumnMappingError,
     ("case_id",)),
    ("named column absent", "abs.csv", HEADER + "1,A,2024-01-01\n", {"resource": "who"}, ColumnMappingError,
     ("resource",)),
    ("one column twice", "twice.csv", HEADER + "1,A,2024-01-01\n",
     {"case_id": "activity", "activity": "activity"}, ColumnMappingError, ("case_id", "activity")),
    ("unknown zone", "zone.csv", HEADER + "1,A,2024-01-01\n", {"timezone": "Mars/Olympus"}, TimestampError,
     ("timezone",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "error", "parameters"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_each_load_error_names_the_python_parameter(tmp_path, name, content, kwargs, error, parameters):
    with pytest.raises(error) as info:
        load_event_log(_csv(tmp_path, name, content), **kwargs)
    assert info.value.parameters == parameters, str(info.value)
    assert not FLAG.search(str(info.value)), str(info.value)


def test_an_empty_worksheet_names_the_sheet_parameter(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    data = wb.create_sheet("events")
    for row in (["case_id", "activity", "timestamp"], ["1", "A", "2024-01-01"]):
        data.append(row)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    with pytest.raises(EventLogError) as info:
        load_event_log(path)
    assert info.value.parameters == ("sheet",)
    assert "pick one with `sheet`" in str(info.value)


def test_the_duplicates_note_names_the_parameter(tmp_path):
    log = load_event_log(
        _csv(tmp_path, "dups.csv", HEADER + "1,A,2024-01-01\n1,A,2024-01-01\n1,B,2024-01-02\n")
    )
    [note] = [n for n in log.quality.notes if "repeat an earlier row" in n]
    assert named_parameters(note) == ("drop_duplicates",)
    assert "`drop_duplicates=True`" in note


def test_uncertain_detections_name_the_column_parameter(tmp_path):
    log = load_event_log(
        _csv(tmp_path, "t.csv", "ticket_id,task,time\nT1,Open,2024-01-01\nT1,Close,2024-01-02\n")
    )
    named = {p for n in log.quality.notes for p in named_parameters(n)}
    assert named == {"case_id", "activity", "timestamp"}


def test_list_sheets_names_the_worksheets_in_order(tmp_path):
    from mapper.readers import list_sheets

    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    wb.create_sheet("Events")
    wb.save(tmp_path / "book.xlsx")
    assert list_sheets(tmp_path / "book.xlsx") == ["Cover", "Events"]
    with pytest.raises(EventLogError, match="no such file"):
        list_sheets(tmp_path / "none.xlsx")
