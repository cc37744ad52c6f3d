"""Hostile and tricky inputs: one battery, each case with its exact outcome.

Every case ends in one of two ways, and the test says which, exactly:

- a clear error: the exception class, the file named, the row/line/column where there is one, and what
  to do about it;
- a documented drop or repair: the exact counts in the import report (``quality.reasons``, ``repairs``,
  ``details``, ``notes``), the example row numbers, and ``rows_read == rows_kept + rows_dropped``.

Nothing may be lost without a line in the report. Cases marked ``xfail(strict=True, reason="BUG: ...")``
assert what a careful user would expect where the library does something else today.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
import socket
import sqlite3
import zipfile
from pathlib import Path

import lxml.html
import openpyxl
import pandas as pd
import pytest
from lxml import etree
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from mapper import discover_dfg, export_process_map, load_event_log, merge_event_logs, render_process_map
from mapper import readers as readers_mod
from mapper.errors import (
    ColumnMappingError,
    EventLogError,
    TimestampError,
    UnsupportedFormatError,
)
from tests.mapper.conftest import xes_text

HEADER = "case_id,activity,timestamp\n"
TRACES = [
    ("c1", [("A", "2024-01-01T10:00:00+00:00"), ("B", "2024-01-01T11:00:00+00:00")]),
    ("c2", [("A", "2024-01-02T10:00:00+00:00")]),
]
BILLION_LAUGHS = (
    '<!DOCTYPE log [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)
DOCTYPE_REFUSED = (
    "declares a DOCTYPE or entities; flowready refuses such files (they can read local files or expand "
    "without bound). Remove the declaration and retry."
)
NOT_WELL_FORMED = "The file may be truncated or damaged; export it again."


def _put(tmp_path: Path, name: str, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``tmp_path / name`` exactly as given (no compression, no BOM)."""
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def _error(exc_type: type[Exception], source, **kwargs) -> str:
    """Assert that ``load_event_log(source, **kwargs)`` raises exactly ``exc_type``; return the message."""
    with pytest.raises(EventLogError) as info:
        load_event_log(source, **kwargs)
    assert type(info.value) is exc_type, f"{type(info.value).__name__}: {info.value}"
    return str(info.value)


def _accounted(log):
    """The report accounts for every row: kept + dropped == read, each drop has a reason and examples."""
    q = log.quality
    assert q.rows_read == q.rows_kept + q.rows_dropped, q
    assert sum(q.reasons.values()) == q.rows_dropped, q.reasons
    assert set(q.reasons) <= set(q.examples), (q.reasons, q.examples)
    return q


def _utc(*values: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(v, tz="UTC") for v in values]


def _workbook(path: Path, rows: list[list], *, epoch=None) -> Path:
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


# --- damaged, empty and mislabelled files ---------------------------------------------------------


@pytest.mark.parametrize("reader", ["lxml", "auto"])
def test_truncated_xes_is_not_well_formed_with_the_line(tmp_path, reader):
    # "auto" tries rustxes first; it must fall back to lxml and give the same clear error.
    text = xes_text(TRACES)
    path = _put(tmp_path, "cut.xes", text[: text.index('value="B"')])  # cut inside an attribute list
    msg = _error(EventLogError, path, xes_reader=reader)
    assert msg.startswith("cut.xes: the XES is not well-formed XML at line 10 ("), msg
    assert msg.endswith(NOT_WELL_FORMED), msg


def test_truncated_xes_gz_is_damaged_or_truncated(tmp_path):
    # half of the gzip stream: decompression ends early, before any XML parser could report it
    traces = [
        (f"c{i}", [(f"{i * 7919:08x}{i * 104729:08x}", "2024-01-01T10:00:00+00:00")]) for i in range(400)
    ]
    data = gzip.compress(xes_text(traces).encode())
    path = _put(tmp_path, "cut.xes.gz", data[: len(data) // 2])
    msg = _error(EventLogError, path)
    assert msg.startswith("cut.xes.gz: the compressed data is damaged or truncated ("), msg
    assert msg.endswith("Download or export it again."), msg


@pytest.mark.parametrize("name", ["empty.csv", "empty.xes", "empty.parquet", "empty.xlsx"])
def test_zero_byte_file_is_empty(tmp_path, name):
    assert _error(EventLogError, _put(tmp_path, name, b"")) == f"{name}: the file is empty."


def test_html_page_saved_as_xes_has_the_wrong_root(tmp_path):
    path = _put(tmp_path, "page.xes", '<?xml version="1.0"?>\n<html><body><p>Sign in</p></body></html>\n')
    msg = _error(EventLogError, path)
    assert msg == "page.xes: the root element is <html>, not <log>; this is not an XES event log."


def test_plain_text_named_csv_gz_is_not_gzip(tmp_path):
    path = _put(tmp_path, "fake.csv.gz", HEADER + "1,A,2024-01-01 10:00\n")
    msg = _error(UnsupportedFormatError, path)
    assert msg == (
        "fake.csv.gz: the name ends in .gz but the content is not gzip-compressed. "
        "Rename the file without .gz or compress it properly."
    )


def test_gzip_content_named_csv_asks_for_gz(tmp_path):
    path = _put(tmp_path, "packed.csv", gzip.compress((HEADER + "1,A,2024-01-01 10:00\n").encode()))
    msg = _error(UnsupportedFormatError, path)
    assert (
        msg
        == "packed.csv: the content is gzip-compressed but the name does not end in .gz. Add .gz to the name."
    )


def test_parquet_holding_csv_text_is_not_parquet(tmp_path):
    path = _put(tmp_path, "log.parquet", HEADER + "1,A,2024-01-01 10:00\n")
    msg = _error(UnsupportedFormatError, path)
    assert msg == "log.parquet: the content is not Parquet (no PAR1 header). Check the file type."


def test_xlsx_that_is_not_a_zip(tmp_path):
    path = _put(tmp_path, "log.xlsx", HEADER + "1,A,2024-01-01 10:00\n")
    msg = _error(UnsupportedFormatError, path)
    assert msg == "log.xlsx: the content is not an Excel .xlsx workbook (no zip header). Check the file type."


def test_zip_without_a_workbook_named_xlsx(tmp_path):
    path = tmp_path / "log.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    msg = _error(UnsupportedFormatError, path)
    assert msg == (
        "log.xlsx: the zip file is not an Excel workbook (no xl/workbook.xml). Check the file type."
    )


def test_legacy_xls_asks_to_save_as_xlsx(tmp_path):
    path = _put(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    msg = _error(UnsupportedFormatError, path)
    assert msg == (
        "old.xls: legacy Excel (.xls) is not read; open it in Excel or LibreOffice and save it as .xlsx "
        "(or export CSV)."
    )


def test_legacy_xls_content_renamed_xlsx(tmp_path):
    path = _put(tmp_path, "renamed.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    msg = _error(UnsupportedFormatError, path)
    assert msg == (
        "renamed.xlsx: this is a legacy .xls or a password-protected workbook, not an .xlsx. "
        "Remove the password, or save it as .xlsx or CSV."
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "log.csv",
            xes_text(TRACES),
            "log.csv: the content looks like XML (XES?), not CSV. Rename the file to .xes.",
        ),
        (
            "log.xes",
            HEADER + "1,A,2024-01-01 10:00\n",
            "log.xes: the content is not XML, so it is not XES. Check the file type.",
        ),
        (
            "log.sqlite",
            HEADER + "1,A,2024-01-01 10:00\n",
            "log.sqlite: the content is not an SQLite database, so it is not OCEL 2.0 SQLite.",
        ),
        (
            "log.jsonocel",
            HEADER + "1,A,2024-01-01 10:00\n",
            "log.jsonocel: the content is not JSON, so it is not OCEL 2.0 JSON.",
        ),
    ],
    ids=["xes-in-csv", "csv-in-xes", "csv-in-sqlite", "csv-in-jsonocel"],
)
def test_content_that_does_not_match_the_name(tmp_path, name, content, expected):
    assert _error(UnsupportedFormatError, _put(tmp_path, name, content)) == expected


def test_sqlite_database_that_is_not_ocel(tmp_path):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("create table customers (id integer)")
    con.commit()
    con.close()
    msg = _error(EventLogError, path)
    assert msg.startswith("other.sqlite: not a readable OCEL 2.0 sqlite log (DatabaseError: "), msg
    assert "no such table: event" in msg


@pytest.mark.parametrize(
    "content, has",
    [('{"hello": "world"}', "['hello']"), ("[1, 2, 3]", "list")],
    ids=["object", "array"],
)
def test_json_that_is_not_ocel_is_a_clear_error(tmp_path, content, has):
    # Checked before pm4py sees it (pm4py's Rust backend panics with a backtrace on such JSON).
    msg = _error(UnsupportedFormatError, _put(tmp_path, "other.jsonocel", content))
    assert msg == (
        "other.jsonocel: not an OCEL 2.0 JSON log: it needs the keys ['eventTypes', 'events', "
        f"'objectTypes', 'objects']; it has {has}."
    )


def test_xes_content_named_xmlocel_is_not_ocel(tmp_path):
    msg = _error(EventLogError, _put(tmp_path, "log.xmlocel", xes_text(TRACES)))
    assert msg.startswith("log.xmlocel: "), msg
    assert "0 object types" not in msg
    assert re.search(r"not (a readable )?OCEL 2\.0|no objects", msg), msg


@pytest.mark.parametrize(
    "url",
    ["https://example.org/log.csv", "http://127.0.0.1:9/log.xes", "file:///etc/passwd", "ftp://x/log.csv.gz"],
)
def test_remote_urls_are_refused_without_network(monkeypatch, url):
    def no_network(*args, **kwargs):
        raise AssertionError(f"network used for {url}")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    msg = _error(EventLogError, url)
    assert msg == f"{url}: flowready reads local files only; download the log first."


# --- hostile XML and compression bombs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reader"), [("lol.xes", "auto"), ("lol.xes", "lxml"), ("lol.xes.gz", "auto")]
)
def test_entity_bomb_in_xes_is_refused_before_parsing(tmp_path, monkeypatch, name, reader):
    def no_parser(*args, **kwargs):
        raise AssertionError("a parser saw a file with a DOCTYPE")

    monkeypatch.setattr(readers_mod.etree, "iterparse", no_parser)
    monkeypatch.setattr(readers_mod, "_rustxes_frame", no_parser)
    text = xes_text([("c1", [("&lol4;", "2024-01-01T10:00:00+00:00")])], prolog=BILLION_LAUGHS)
    data = text.replace("&amp;lol4;", "&lol4;").encode()
    path = _put(tmp_path, name, gzip.compress(data) if name.endswith(".gz") else data)
    assert _error(EventLogError, path, xes_reader=reader) == f"{name}: the XES file {DOCTYPE_REFUSED}"


def _ocel_xml_with_doctype() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + BILLION_LAUGHS + "\n"
        "<log><object-types/><event-types/><objects/><events>"
        '<event id="e1" type="&lol4;" time="2024-01-01T10:00:00Z"/></events></log>\n'
    )


def test_entity_bomb_in_ocel_xml_is_refused_before_parsing(tmp_path, monkeypatch):
    import mapper._pm4py

    def no_parser(*args, **kwargs):
        raise AssertionError("pm4py saw a file with a DOCTYPE")

    monkeypatch.setattr(mapper._pm4py, "read_ocel_flat", no_parser)
    msg = _error(EventLogError, _put(tmp_path, "lol.xmlocel", _ocel_xml_with_doctype()))
    assert msg.startswith("lol.xmlocel: "), msg
    assert msg.endswith(DOCTYPE_REFUSED), msg


def test_entity_bomb_in_ocel_xml_is_not_called_xes(tmp_path):
    msg = _error(EventLogError, _put(tmp_path, "lol.xmlocel", _ocel_xml_with_doctype()))
    assert "XES" not in msg, msg


@pytest.mark.parametrize("reader", ["auto", "lxml"])
def test_xxe_in_xes_is_refused_and_leaks_nothing(tmp_path, reader):
    prolog = '<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    text = xes_text([("c1", [("&xxe;", "2024-01-01T10:00:00+00:00")])], prolog=prolog)
    path = _put(tmp_path, "xxe.xes", text.replace("&amp;xxe;", "&xxe;"))
    msg = _error(EventLogError, path, xes_reader=reader)
    assert msg == f"xxe.xes: the XES file {DOCTYPE_REFUSED}"
    assert "root:" not in msg and "/bin/" not in msg


BOMB_LIMIT = 1024 * 1024
BOMB_MESSAGE = (
    "the compressed file expands beyond 1,048,576 bytes; refusing to read it (possible gzip bomb). "
    "Decompress and check it by hand."
)


def _csv_bomb() -> bytes:
    return (HEADER + "1,A,2024-01-01 10:00\n" * 250_000).encode()  # 5.25 MB


def _xes_bomb() -> bytes:
    head, tail = xes_text(TRACES).rsplit("</log>", 1)
    return (head + "<!--" + "0" * 5_000_000 + "-->\n</log>" + tail).encode()


@pytest.mark.parametrize(
    ("name", "plain", "reader"),
    [
        ("bomb.csv.gz", _csv_bomb, "auto"),
        ("bomb.xes.gz", _xes_bomb, "auto"),
        ("bomb.xes.gz", _xes_bomb, "lxml"),
    ],
    ids=["csv", "xes-auto", "xes-lxml"],
)
def test_gzip_bomb_is_refused(tmp_path, monkeypatch, name, plain, reader):
    monkeypatch.setattr(readers_mod, "MAX_DECOMPRESSED_BYTES", BOMB_LIMIT)
    path = _put(tmp_path, name, gzip.compress(plain()))
    assert path.stat().st_size < 50_000  # a small file that expands about 100-fold
    assert _error(EventLogError, path, xes_reader=reader) == f"{name}: {BOMB_MESSAGE}"


def test_xlsx_zip_bomb_is_refused_before_openpyxl(tmp_path, monkeypatch):
    monkeypatch.setattr(readers_mod, "MAX_XLSX_BYTES", BOMB_LIMIT)

    def no_openpyxl(*args, **kwargs):
        raise AssertionError("openpyxl opened a zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", no_openpyxl)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", "0" * 5_000_000)
    expanded = 8 + 11 + 5_000_000
    msg = _error(EventLogError, path)
    assert msg == (
        f"bomb.xlsx: the workbook expands to {expanded:,} bytes, beyond the 1,048,576 allowed (possible "
        "zip bomb); refusing to read it. Export the sheet as CSV instead."
    )


# --- CSV dialects, encodings and ragged rows ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "delimiter", "quotechar", "activities"),
    [
        (
            "semi.csv",
            "case_id;activity;timestamp\n1;Check, then file;2024-01-01 10:00\n1;B;2024-01-01 11:00\n",
            ";",
            '"',
            ["Check, then file", "B"],
        ),
        (
            "tabs.tsv",
            "case_id\tactivity\ttimestamp\n1\tA; the first\t2024-01-01 10:00\n1\tB\t2024-01-01 11:00\n",
            "\t",
            '"',
            ["A; the first", "B"],
        ),
        (
            "single.csv",
            HEADER + "1,'Check, then approve',2024-01-01 10:00\n1,'B',2024-01-01 11:00\n",
            ",",
            "'",
            ["Check, then approve", "B"],
        ),
    ],
    ids=["semicolon", "tab", "single-quote"],
)
def test_csv_dialect_is_detected_and_reported(tmp_path, name, text, delimiter, quotechar, activities):
    log = load_event_log(_put(tmp_path, name, text))
    q = _accounted(log)
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (2, 2, 0)
    assert q.details["delimiter"] == delimiter
    assert q.details["quotechar"] == quotechar
    assert log.events["activity"].tolist() == activities


@pytest.mark.parametrize(
    ("name", "data", "encoding"),
    [
        (
            "win.csv",
            "case_id,activity,timestamp,resource\n1,Prüfung – £5,2024-01-01 10:00,José\n".encode("cp1252"),
            "cp1252",
        ),
        (
            "bom.csv",
            "\ufeffcase_id,activity,timestamp,resource\n1,Prüfung – £5,2024-01-01 10:00,José\n".encode(),
            "utf-8-sig",
        ),
    ],
    ids=["cp1252", "utf-8-bom"],
)
def test_encoding_is_detected_and_text_kept(tmp_path, name, data, encoding):
    log = load_event_log(_put(tmp_path, name, data))
    q = _accounted(log)
    assert q.details["encoding"] == encoding
    assert list(log.events.columns[:3]) == ["row_nr", "case_id", "activity"]  # no BOM in the header
    assert log.events[["activity", "resource"]].values.tolist() == [["Prüfung – £5", "José"]]


def test_utf16_csv_is_read_or_named(tmp_path):
    path = _put(
        tmp_path,
        "unicode.csv",
        "case_id\tactivity\ttimestamp\n1\tPrüfung\t2024-01-01 10:00\n",
        encoding="utf-16",
    )
    try:
        log = load_event_log(path)
    except EventLogError as exc:  # a clear refusal is acceptable too
        assert "UTF-16" in str(exc) and "UTF-8" in str(exc), str(exc)
    else:
        assert log.quality.details["encoding"].startswith("utf-16")
        assert log.events["activity"].tolist() == ["Prüfung"]


def test_excel_sep_hint_line(tmp_path):
    path = _put(tmp_path, "sep.csv", "sep=;\ncase_id;activity;timestamp\n1;A;2024-01-01 10:00\n")
    try:
        log = load_event_log(path)
    except EventLogError as exc:
        assert "sep=" in str(exc), str(exc)
    else:
        assert log.quality.details["delimiter"] == ";"
        assert log.events["activity"].tolist() == ["A"]


def test_ragged_rows_are_named_by_line(tmp_path):
    text = HEADER + "1,A,2024-01-01 10:00\n1,B,2024-01-01 11:00,extra\n1,C\n2,A,2024-01-02 10:00\n"
    msg = _error(EventLogError, _put(tmp_path, "ragged.csv", text))
    assert msg == (
        "ragged.csv: 2 row(s) do not have the header's 3 fields (line 3: 4 fields; line 4: 2 fields). "
        "Check the quoting and the delimiter, or fix those rows."
    )


def test_ragged_row_after_a_multiline_value_names_its_physical_line(tmp_path):
    text = HEADER + '1,"two\nlines",2024-01-01 10:00\n1,B,2024-01-01 11:00,extra\n'
    msg = _error(EventLogError, _put(tmp_path, "multiline.csv", text))
    assert "line 4: 4 fields" in msg, msg


def test_blank_lines_do_not_shift_line_numbers(tmp_path):
    text = HEADER + "1,A,2024-01-01 10:00\n\n\n1,B,not a date\n"
    msg = _error(TimestampError, _put(tmp_path, "gaps.csv", text))
    assert "(line 5)" in msg, msg


def test_header_only_csv(tmp_path):
    msg = _error(EventLogError, _put(tmp_path, "header.csv", HEADER))
    assert msg == "header.csv: the file has a header but no rows."


def test_missing_case_column_lists_the_columns(tmp_path):
    path = _put(tmp_path, "nocase.csv", "activity,timestamp,resource\nA,2024-01-01 10:00,ann\n")
    msg = _error(ColumnMappingError, path)
    assert msg == (
        "nocase.csv: cannot find the case_id column(s) (no column has a name known for it (e.g. 'case_id', "
        "'case:concept:name')). Available columns: 'activity', 'timestamp', 'resource'. Name the column(s) "
        "with `case_id`."
    )


def test_attribute_columns_that_look_like_dates_or_numbers_stay_text(tmp_path):
    text = (
        "case_id,activity,timestamp,amount,due,code\n"
        '1,A,2024-01-01 10:00,"1.234,50",01/02/2024,0012\n'
        '1,B,2024-01-01 11:00,"2,5",13/02/2024,1e5\n'
    )
    log = load_event_log(_put(tmp_path, "attrs.csv", text))
    q = _accounted(log)
    assert (q.rows_read, q.rows_dropped, q.repairs) == (2, 0, {})
    assert log.events[["amount", "due", "code"]].values.tolist() == [
        ["1.234,50", "01/02/2024", "0012"],
        ["2,5", "13/02/2024", "1e5"],
    ]
    assert [str(t) for t in log.events[["amount", "due", "code"]].dtypes] == ["object"] * 3


# --- identifiers ----------------------------------------------------------------------------------


def _zeros_csv(tmp_path: Path) -> Path:
    text = HEADER + "007,A,2024-01-01 10:00\n7,A,2024-01-01 10:30\n007,B,2024-01-01 11:00\n"
    return _put(tmp_path, "zeros.csv", text)


def _zeros_xes(tmp_path: Path) -> Path:
    traces = [
        ("007", [("A", "2024-01-01T10:00:00+00:00"), ("B", "2024-01-01T11:00:00+00:00")]),
        ("7", [("A", "2024-01-01T10:30:00+00:00")]),
    ]
    return _put(tmp_path, "zeros.xes", xes_text(traces))


def _zeros_xlsx(tmp_path: Path) -> Path:
    rows = [
        ["case_id", "activity", "timestamp"],
        ["007", "A", dt.datetime(2024, 1, 1, 10)],  # a text cell keeps its zeros
        [7, "A", dt.datetime(2024, 1, 1, 10, 30)],  # a number cell
        ["007", "B", dt.datetime(2024, 1, 1, 11)],
    ]
    return _workbook(tmp_path / "zeros.xlsx", rows)


@pytest.mark.parametrize("build", [_zeros_csv, _zeros_xes, _zeros_xlsx], ids=["csv", "xes", "xlsx"])
def test_leading_zero_case_ids_are_different_cases(tmp_path, build):
    log = load_event_log(build(tmp_path))
    q = _accounted(log)
    assert (q.rows_read, q.rows_dropped) == (3, 0)
    assert log.events.groupby("case_id")["activity"].apply(list).to_dict() == {"007": ["A", "B"], "7": ["A"]}
    assert log.summary()["cases"] == 2


def test_stripped_case_ids_are_reported(tmp_path):
    path = _put(tmp_path, "spaces.csv", HEADER + " 7 ,A,2024-01-01 10:00\n7,B,2024-01-01 11:00\n")
    q = _accounted(load_event_log(path))
    assert [n for how, n in q.repairs.items() if "case_id" in how] == [1], q.repairs


# --- missing values and duplicates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",B,2024-01-01 11:00,bob", "missing case_id (column 'case_id')"),
        ("   ,B,2024-01-01 11:00,bob", "missing case_id (column 'case_id')"),
        ("1,,2024-01-01 11:00,bob", "missing activity (column 'activity')"),
        ("1,B,,bob", "missing timestamp (column 'timestamp')"),
    ],
    ids=["case-empty", "case-blank", "activity", "timestamp"],
)
def test_missing_key_value_drops_the_row_with_its_reason(tmp_path, row, reason):
    text = f"case_id,activity,timestamp,resource\n1,A,2024-01-01 10:00,ann\n{row}\n1,C,2024-01-01 12:00,cat\n"
    log = load_event_log(_put(tmp_path, "holes.csv", text))
    q = _accounted(log)
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (3, 2, 1)
    assert q.reasons == {reason: 1}
    assert q.examples == {reason: [2]}
    assert log.events["activity"].tolist() == ["A", "C"]


def test_missing_resource_keeps_the_event(tmp_path):
    text = (
        "case_id,activity,timestamp,resource\n"
        "1,A,2024-01-01 10:00,ann\n1,B,2024-01-01 11:00,\n1,C,2024-01-01 12:00,  \n"
    )
    log = load_event_log(_put(tmp_path, "nores.csv", text))
    q = _accounted(log)
    assert (q.rows_read, q.rows_kept, q.rows_dropped, q.reasons) == (3, 3, 0, {})
    assert log.events["resource"].tolist() == ["ann", None, None]


DUPLICATES = (
    HEADER + "1,A,2024-01-01 10:00\n1,A,2024-01-01 10:00\n1,B,2024-01-01 11:00\n1,A,2024-01-01 10:00\n"
)


def test_exact_duplicates_are_kept_counted_and_noted(tmp_path):
    log = load_event_log(_put(tmp_path, "dups.csv", DUPLICATES))
    q = _accounted(log)
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (4, 4, 0)
    assert q.details["duplicates"] == 2
    assert q.examples == {"exact duplicates (kept)": [2, 4]}
    assert (
        "2 rows repeat an earlier row in every column (e.g. row 2 (line 3)); they are kept. "
        "Set `drop_duplicates=True` to drop them."
    ) in q.notes


def test_exact_duplicates_dropped_when_asked(tmp_path):
    log = load_event_log(_put(tmp_path, "dups.csv", DUPLICATES), drop_duplicates=True)
    q = _accounted(log)
    reason = "exact duplicate of an earlier row (drop_duplicates)"
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (4, 2, 2)
    assert q.reasons == {reason: 2}
    assert q.examples == {reason: [2, 4]}
    assert q.details["duplicates"] == 2
    assert log.events["activity"].tolist() == ["A", "B"]


# --- timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        (
            "1,A,31/01/2024 10:00\n1,B,01/02/2024 11:00\n",
            "day-first (DD/MM/YYYY)",
            _utc("2024-01-31 10:00", "2024-02-01 11:00"),
        ),
        (
            "1,A,01/31/2024 10:00\n1,B,02/01/2024 11:00\n",
            "month-first (MM/DD/YYYY)",
            _utc("2024-01-31 10:00", "2024-02-01 11:00"),
        ),
    ],
    ids=["uk", "us"],
)
def test_day_month_order_proven_by_the_data(tmp_path, text, fmt, expected):
    log = load_event_log(_put(tmp_path, "dates.csv", HEADER + text))
    q = _accounted(log)
    assert q.details["timestamp_format"] == fmt
    assert f"Timestamps in 'timestamp': {fmt}, naive, taken as UTC." in q.notes
    assert log.events["timestamp"].tolist() == expected


AMBIGUOUS = HEADER + "1,A,01/02/2024\n1,B,03/04/2024\n"


def test_ambiguous_dates_are_refused_naming_column_and_row(tmp_path):
    msg = _error(TimestampError, _put(tmp_path, "amb.csv", AMBIGUOUS))
    assert msg.startswith(
        "amb.csv: column 'timestamp': the day/month order is ambiguous (e.g. row 1 (line 2): '01/02/2024' "
        "could be either). Set `dayfirst=True` for DD/MM (UK)"
    ), msg


@pytest.mark.parametrize(
    ("dayfirst", "expected"),
    [(True, _utc("2024-02-01", "2024-04-03")), (False, _utc("2024-01-02", "2024-03-04"))],
    ids=["dayfirst", "monthfirst"],
)
def test_ambiguous_dates_with_the_order_given(tmp_path, dayfirst, expected):
    log = load_event_log(_put(tmp_path, "amb.csv", AMBIGUOUS), dayfirst=dayfirst)
    _accounted(log)
    assert log.events["timestamp"].tolist() == expected


ONE_BAD = HEADER + "1,A,2024-01-01 10:00\n1,B,2024-01-01 11:00\n2,A,not a date\n2,B,2024-01-02 10:00\n"


def test_one_bad_timestamp_is_an_error_naming_row_line_and_column(tmp_path):
    msg = _error(TimestampError, _put(tmp_path, "onebad.csv", ONE_BAD))
    assert msg == (
        "onebad.csv: column 'timestamp' has 1 value(s) that are not timestamps in the column's format "
        "(ISO 8601): row 3 (line 4): 'not a date'. Fix them, give the format with `timestamp_format`, or "
        "set `on_bad_timestamp='drop'` to drop those rows (they are reported)."
    )


def test_one_bad_timestamp_dropped_when_asked(tmp_path):
    log = load_event_log(_put(tmp_path, "onebad.csv", ONE_BAD), on_bad_timestamp="drop")
    q = _accounted(log)
    reason = "unparseable timestamp (column 'timestamp')"
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (4, 3, 1)
    assert q.reasons == {reason: 1}
    assert q.examples == {reason: [3]}


def test_mixed_iso_and_day_first_lists_the_minority_rows(tmp_path):
    text = HEADER + (
        "1,A,2024-01-01 10:00\n1,B,15/01/2024 11:00\n2,A,16/01/2024 10:00\n2,B,2024-01-02 10:00\n"
        "2,C,2024-01-03 10:00\n"
    )
    msg = _error(TimestampError, _put(tmp_path, "mixed.csv", text))
    assert msg.startswith(
        "mixed.csv: column 'timestamp' has 2 value(s) that are not timestamps in the column's format "
        "(ISO 8601): row 2 (line 3): '15/01/2024 11:00'; row 3 (line 4): '16/01/2024 10:00'. Fix them"
    ), msg


def test_mixed_day_first_and_month_first_names_rows(tmp_path):
    text = HEADER + "1,A,13/01/2024 10:00\n1,B,01/14/2024 10:00\n1,C,02/02/2024 10:00\n"
    msg = _error(TimestampError, _put(tmp_path, "dmy_mdy.csv", text))
    assert "row 1 (line 2)" in msg and "row 2 (line 3)" in msg, msg


DST = HEADER + "1,A,2024-03-31 00:30\n1,B,2024-03-31 01:30\n1,C,2024-10-27 01:30\n1,D,2024-10-27 02:30\n"
GAP = "timestamp: wall-clock time skipped at the start of summer time in Europe/London: moved forward"
FOLD = (
    "timestamp: wall-clock time repeated at the end of summer time in Europe/London: taken as standard time"
)


def test_dst_gap_and_repeated_hour_are_repaired_and_counted(tmp_path):
    log = load_event_log(_put(tmp_path, "dst.csv", DST), timezone="Europe/London")
    q = _accounted(log)
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (4, 4, 0)
    assert q.repairs == {GAP: 1, FOLD: 1}
    assert q.details["timestamp_zone"] == "naive, taken as Europe/London"
    assert log.events["timestamp"].tolist() == _utc(
        "2024-03-31 00:30",  # GMT
        "2024-03-31 01:00",  # 01:30 does not exist; moved to 02:00 BST
        "2024-10-27 01:30",  # 01:30 happens twice; taken as GMT
        "2024-10-27 02:30",
    )


def test_dst_repairs_name_their_rows(tmp_path):
    q = load_event_log(_put(tmp_path, "dst.csv", DST), timezone="Europe/London").quality
    assert (q.examples.get(GAP), q.examples.get(FOLD)) == ([2], [3])


def test_date_only_column_is_noted_and_same_day_ties_reported(tmp_path):
    text = HEADER + "1,A,2024-01-01\n1,B,2024-01-01\n1,C,2024-01-02\n2,A,2024-01-01\n"
    log = load_event_log(_put(tmp_path, "days.csv", text))
    q = _accounted(log)
    assert "Column 'timestamp' holds dates without times of day." in q.notes
    assert (q.details["tied_events"], q.details["tied_cases"]) == (2, 1)
    assert (
        "2 events in 1 cases share their timestamp with another event of the same case; they are ordered "
        "by their position in the file."
    ) in q.notes
    assert log.events["activity"].tolist() == ["A", "B", "C", "A"]


def test_single_event_log_loads(tmp_path):
    log = load_event_log(_put(tmp_path, "one.csv", HEADER + "1,A,2024-01-01 10:00\n"))
    q = _accounted(log)
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (1, 1, 0)
    s = log.summary()
    assert (s["cases"], s["events"], s["variants"]) == (1, 1, 1)
    assert s["start"] == s["end"] == "2024-01-01T10:00:00+00:00"


def test_equal_timestamps_in_a_case_are_reported_as_ties(tmp_path):
    text = HEADER + "1,A,2024-01-01 10:00\n1,B,2024-01-01 10:00\n1,C,2024-01-01 10:00\n2,A,2024-01-01 10:00\n"
    log = load_event_log(_put(tmp_path, "ties.csv", text))
    q = _accounted(log)
    assert (q.details["tied_events"], q.details["tied_cases"]) == (3, 1)
    assert (
        "3 events in 1 cases share their timestamp with another event of the same case; they are ordered "
        "by their position in the file."
    ) in q.notes
    assert log.events.loc[log.events["case_id"] == "1", "activity"].tolist() == ["A", "B", "C"]


# --- Excel ----------------------------------------------------------------------------------------

SERIAL = "timestamp: Excel serial day numbers converted to dates ({} date system)"


def test_excel_serial_numbers_are_converted_and_counted(tmp_path):
    rows = [["case_id", "activity", "timestamp"], ["1", "A", 45292.5], ["1", "B", 45293.25]]
    log = load_event_log(_workbook(tmp_path / "serial.xlsx", rows))
    q = _accounted(log)
    assert q.repairs == {SERIAL.format(1900): 2}
    assert q.details["excel_epoch"] == "1900"
    assert log.events["timestamp"].tolist() == _utc("2024-01-01 12:00", "2024-01-02 06:00")


def test_excel_date_cells_are_read_natively(tmp_path):
    rows = [["case_id", "activity", "timestamp"], ["1", "A", dt.datetime(2024, 1, 3, 9, 30)]]
    log = load_event_log(_workbook(tmp_path / "dates.xlsx", rows))
    q = _accounted(log)
    assert q.repairs == {}
    assert q.details["timestamp_format"] == "Excel date cells"
    assert log.events["timestamp"].tolist() == _utc("2024-01-03 09:30")


def test_excel_1904_date_system(tmp_path):
    rows = [
        ["case_id", "activity", "timestamp"],
        ["1", "A", 43830.5],
        ["1", "B", dt.datetime(2024, 1, 3, 9, 30)],
    ]
    log = load_event_log(_workbook(tmp_path / "mac.xlsx", rows, epoch=CALENDAR_MAC_1904))
    q = _accounted(log)
    assert q.details["excel_epoch"] == "1904"
    assert q.repairs == {SERIAL.format(1904): 1}
    assert log.events["timestamp"].tolist() == _utc("2024-01-01 12:00", "2024-01-03 09:30")


def test_excel_serial_numbers_out_of_range_are_bad_timestamps(tmp_path):
    rows = [["case_id", "activity", "timestamp"], ["1", "A", 45292.5], ["1", "B", 0], ["1", "C", -3]]
    path = _workbook(tmp_path / "range.xlsx", rows)
    msg = _error(TimestampError, path)
    assert msg.startswith(
        "range.xlsx: column 'timestamp' has 2 value(s) that are not timestamps in the column's format "
        "(Excel serial numbers (1900 date system)): "
    ), msg
    assert ": 0.0; " in msg and ": -3.0. Fix them" in msg and "`on_bad_timestamp='drop'`" in msg, msg
    q = _accounted(load_event_log(path, on_bad_timestamp="drop"))
    reason = "unparseable timestamp (column 'timestamp')"
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (3, 1, 2)
    assert (q.reasons, q.examples[reason]) == ({reason: 2}, [2, 3])


def test_excel_errors_name_the_worksheet_row(tmp_path):
    rows = [["case_id", "activity", "timestamp"], ["1", "A", "2024-01-01 10:00"], [None, None, None]]
    rows.append(["1", "B", "not a date"])
    msg = _error(TimestampError, _workbook(tmp_path / "sheet.xlsx", rows))
    assert re.search(r"\brow 4\b", msg), msg


def test_empty_first_sheet_points_to_the_others(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    data = wb.create_sheet("Data")
    data.append(["case_id", "activity", "timestamp"])
    data.append(["1", "A", dt.datetime(2024, 1, 1)])
    wb.save(tmp_path / "sheets.xlsx")
    msg = _error(EventLogError, tmp_path / "sheets.xlsx")
    assert "'Data'" in msg and "sheet" in msg.split("'Notes'")[-1], msg


@pytest.mark.xfail(
    strict=True,
    reason="BUG: a formula cell without a cached value (a workbook written by a script) is dropped as "
    "'missing timestamp', although the cell is not empty",
)
def test_formula_cell_without_a_value_is_named_as_such(tmp_path):
    rows = [["case_id", "activity", "timestamp"], ["1", "A", dt.datetime(2024, 1, 1)], ["1", "B", "=C2+1"]]
    path = _workbook(tmp_path / "formula.xlsx", rows)
    try:
        log = load_event_log(path)
    except EventLogError as exc:
        assert "formula" in str(exc), str(exc)
    else:
        assert any("formula" in reason for reason in log.quality.reasons), log.quality.reasons


# --- lifecycles -----------------------------------------------------------------------------------


def test_schedule_assign_start_complete_are_paired_and_the_rest_reported(tmp_path):
    text = (
        "case_id,activity,timestamp,lifecycle,resource\n"
        "1,A,2024-01-01 09:00,schedule,ann\n"
        "1,A,2024-01-01 09:30,assign,ann\n"
        "1,A,2024-01-01 10:00,start,ann\n"
        "1,A,2024-01-01 10:20,suspend,ann\n"
        "1,A,2024-01-01 11:00,complete,ann\n"
        "1,B,2024-01-01 12:00,schedule,bob\n"
    )
    log = load_event_log(_put(tmp_path, "lifecycle.csv", text))
    q = _accounted(log)
    suspend = "lifecycle transition 'suspend' (only schedule, assign, start and complete are used)"
    unmatched = (
        "lifecycle transition 'schedule' with no start or complete after it (the work does not appear in "
        "the log)"
    )
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (6, 4, 2)
    assert q.reasons == {suspend: 1, unmatched: 1}
    assert q.examples == {suspend: [4], unmatched: [6]}
    row = log.events.iloc[0]
    assert len(log.events) == 1
    assert [
        row[c] for c in ("activity", "timestamp", "start_timestamp", "schedule_timestamp", "assign_timestamp")
    ] == [
        "A",
        *_utc("2024-01-01 11:00", "2024-01-01 10:00", "2024-01-01 09:00", "2024-01-01 09:30"),
    ]


# --- OCEL 2.0 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ocel_files(tmp_path_factory) -> dict[str, Path]:
    """One tiny OCEL 2.0 log (1 order, 2 items; 'Pay order' touches no item) in the three formats."""
    import pm4py
    from pm4py.objects.ocel.obj import OCEL

    times = {
        "e1": "2024-01-01 10:00",
        "e2": "2024-01-01 11:00",
        "e3": "2024-01-01 12:00",
        "e4": "2024-01-02 09:00",
        "e5": "2024-01-03 09:00",
    }
    acts = {"e1": "Create order", "e2": "Pick item", "e3": "Pick item", "e4": "Ship order", "e5": "Pay order"}
    links = [
        ("e1", "o1"), ("e1", "i1"), ("e1", "i2"), ("e2", "o1"), ("e2", "i1"),
        ("e3", "o1"), ("e3", "i2"), ("e4", "o1"), ("e4", "i1"), ("e4", "i2"), ("e5", "o1"),
    ]  # fmt: skip
    types = {"o1": "order", "i1": "item", "i2": "item"}
    events = pd.DataFrame(
        {
            "ocel:eid": list(times),
            "ocel:activity": [acts[e] for e in times],
            "ocel:timestamp": pd.to_datetime(list(times.values())),
        }
    )
    objects = pd.DataFrame({"ocel:oid": list(types), "ocel:type": list(types.values())})
    relations = pd.DataFrame(
        {
            "ocel:eid": [e for e, _ in links],
            "ocel:oid": [o for _, o in links],
            "ocel:type": [types[o] for _, o in links],
            "ocel:activity": [acts[e] for e, _ in links],
            "ocel:timestamp": pd.to_datetime([times[e] for e, _ in links]),
            "ocel:qualifier": [None] * len(links),
        }
    )
    ocel = OCEL(events=events, objects=objects, relations=relations)
    folder = tmp_path_factory.mktemp("ocel")
    paths = {
        "json": folder / "shop.jsonocel",
        "xml": folder / "shop.xmlocel",
        "sqlite": folder / "shop.sqlite",
    }
    pm4py.write_ocel2_json(ocel, str(paths["json"]))
    pm4py.write_ocel2_xml(ocel, str(paths["xml"]))
    pm4py.write_ocel2_sqlite(ocel, str(paths["sqlite"]))
    return paths


@pytest.mark.parametrize("kind", ["json", "xml", "sqlite"])
def test_ocel_flattened_on_one_object_type(ocel_files, kind):
    log = load_event_log(ocel_files[kind], object_type="item")
    q = _accounted(log)
    assert (q.format, q.rows_read, q.rows_kept, q.rows_dropped) == ("ocel", 6, 6, 0)
    assert (q.details["ocel_format"], q.details["object_types"]) == (kind, {"item": 2, "order": 1})
    assert (q.details["ocel_events"], q.details["events_without_object"]) == (5, 1)
    assert any("1 of 5 events relate to no such object and are not part of this view" in n for n in q.notes)
    assert log.events.groupby("case_id")["activity"].apply(list).to_dict() == {
        "i1": ["Create order", "Pick item", "Ship order"],
        "i2": ["Create order", "Pick item", "Ship order"],
    }
    assert log.events.loc[log.events["case_id"] == "i2", "timestamp"].tolist() == _utc(
        "2024-01-01 10:00", "2024-01-01 12:00", "2024-01-02 09:00"
    )


@pytest.mark.parametrize("kind", ["json", "xml", "sqlite"])
def test_ocel_without_object_type_lists_the_types(ocel_files, kind):
    name = ocel_files[kind].name
    msg = _error(EventLogError, ocel_files[kind])
    assert msg == (
        f"{name}: the OCEL log has 2 object types: 'item' (2 objects), 'order' (1 objects). Pick the one "
        "whose objects are the cases with `object_type`."
    )


def test_ocel_unknown_object_type_lists_the_types(ocel_files):
    msg = _error(EventLogError, ocel_files["json"], object_type="pallet")
    assert (
        msg == "shop.jsonocel: no object type 'pallet'; the log has 'item' (2 objects), 'order' (1 objects)."
    )


# --- pseudonymisation and merging -----------------------------------------------------------------

PEOPLE = (
    "case_id,activity,timestamp,resource\n"
    "C-1001,A,2024-01-01 10:00,Alice Smith\n"
    "C-1001,B,2024-01-01 11:00,Bob Jones\n"
    "C-1002,A,2024-01-02 10:00,Alice Smith\n"
)


def test_pseudonymised_ids_are_stable_and_the_key_is_never_reported(tmp_path):
    path = _put(tmp_path, "people.csv", PEOPLE)
    key = b"k" * 32
    first = load_event_log(path, pseudonym_key=key)
    again = load_event_log(path, pseudonym_key=key)
    other = load_event_log(path, pseudonym_key=b"j" * 32)
    q = _accounted(first)
    ids = first.events[["case_id", "resource"]]
    assert ids["case_id"].str.fullmatch(r"case-[0-9a-f]{16}").all()
    assert ids["resource"].str.fullmatch(r"res-[0-9a-f]{16}").all()
    assert ids.nunique().to_dict() == {"case_id": 2, "resource": 2}
    assert ids.equals(again.events[["case_id", "resource"]])
    assert not ids["case_id"].isin(other.events["case_id"]).any()
    report = json.dumps(q.to_dict())
    for secret in ("kkkkkkkk", "C-1001", "C-1002", "Alice", "Bob"):
        assert secret not in report
        assert not first.events.astype(str).apply(lambda c, s=secret: c.str.contains(s)).any().any()
    assert q.details["pseudonymised"]["columns"] == ["case_id", "resource"]


def test_merged_systems_link_cases_and_hand_over(tmp_path):
    from analysis.handoffs import find_handoffs

    crm = _put(
        tmp_path,
        "crm.csv",
        "case_id,activity,timestamp,resource\nL-1,Lead created,2024-01-01 09:00,ann\n"
        "L-1,Quote sent,2024-01-01 10:00,ann\nL-2,Lead created,2024-01-02 09:00,ann\n",
    )
    erp = _put(
        tmp_path,
        "erp.csv",
        "case_id,activity,timestamp,resource\nSO-9,Order entered,2024-01-01 12:00,bob\n"
        "SO-9,Invoice,2024-01-01 15:00,bob\nSO-7,Order entered,2024-01-03 12:00,bob\n",
    )
    case_map = pd.DataFrame({"crm": ["L-1", "L-2"], "erp": ["SO-9", "SO-7"]})
    merged = merge_event_logs({"crm": load_event_log(crm), "erp": load_event_log(erp)}, case_map=case_map)
    q = _accounted(merged)
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (6, 6, 0)
    assert q.details["cases_in_several_systems"] == 2
    assert merged.events[["case_id", "source_system", "system_case_id"]].values.tolist() == [
        ["L-1", "crm", "L-1"],
        ["L-1", "crm", "L-1"],
        ["L-2", "crm", "L-2"],
        ["L-1", "erp", "SO-9"],
        ["L-1", "erp", "SO-9"],
        ["L-2", "erp", "SO-7"],
    ]
    handoffs = find_handoffs(merged, level="system")
    assert handoffs[["source", "target", "count", "cases"]].values.tolist() == [["crm", "erp", 2, 2]]
    assert handoffs["delay_hours_median"].tolist() == [14.5]  # 2 h (L-1) and 27 h (L-2)


# --- markup and formula injection through activity and resource names -----------------------------

XSS = "<script>alert(1)</script>"
ATTR_BREAK = '"><svg onload=alert(1)>'
IMG = "mallory<img src=x onerror=alert(2)>"
AMP = "R&amp;D"
FORMULA = '=HYPERLINK("http://evil.example","click")'
AT_FORMULA = "@SUM(1+1)"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A small log whose activity, resource and role names are markup and formulas, read from CSV."""
    from analysis import analyze

    rows = []
    for i in range(1, 7):
        day = f"2024-01-0{i}"
        rows += [
            (f"c{i}", XSS, f"{day} 08:00", f"{day} 09:00", ATTR_BREAK, "<b>team</b>"),
            (f"c{i}", AMP, f"{day} 10:00", f"{day} 12:00", IMG, "ops"),
            (f"c{i}", FORMULA, f"{day} 12:30", f"{day} 13:00", AT_FORMULA, "ops"),
            (f"c{i}", "Close", f"{day} 13:00", f"{day} 14:00", ATTR_BREAK, "<b>team</b>"),
        ]
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "hostile.csv"
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "start_time", "end_time", "resource", "role"])
    frame.to_csv(path, index=False)
    log = load_event_log(path)
    return log, analyze(log, impact="analytical"), folder


def test_hostile_names_are_read_verbatim(hostile):
    log, _, _ = hostile
    q = _accounted(log)
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (24, 24, 0)
    assert set(log.events["activity"]) == {XSS, AMP, FORMULA, "Close"}
    assert set(log.events["resource"]) == {ATTR_BREAK, IMG, AT_FORMULA}


def test_html_report_escapes_every_name(hostile):
    from analysis import export_report

    _, findings, folder = hostile
    html = export_report(findings, folder / "report.html").read_text("utf-8")
    for raw in (XSS, "<svg onload", "<img src=x", "<b>team</b>"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in html
    assert "R&amp;amp;D" in html  # the literal text "R&amp;D", not an ampersand
    doc = lxml.html.fromstring(html)
    handlers = [
        (el.tag, name)
        for el in doc.iter()
        for name, value in el.attrib.items()
        if name.lower().startswith("on")
    ]
    assert handlers == []
    assert [el.tag for el in doc.iter("img", "svg") if "alert" in " ".join(el.attrib.values())] == []


def test_process_map_svg_escapes_every_name(hostile):
    log, _, folder = hostile
    dfg = discover_dfg(log)
    svg = render_process_map(dfg)
    path = export_process_map(dfg, folder / "map.svg")
    assert path.read_text("utf-8") == svg
    assert "<script" not in svg.lower()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(svg.encode(), parser)
    local = {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}
    assert "script" not in local and "foreignObject" not in local
    assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]
    texts = {t.strip() for t in root.itertext() if t.strip()}
    assert {XSS, AMP, FORMULA} <= texts  # shown as the literal names


def test_bpmn_xml_keeps_names_as_attribute_text(hostile):
    from analysis.bpmn_xml import validate_bpmn_xml

    _, findings, _ = hostile
    xml = findings.blueprint.to_bpmn()
    root = etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    local = {etree.QName(el).localname for el in root.iter() if isinstance(el.tag, str)}
    assert not local & {"script", "svg", "img", "b"}
    names = {el.get("name") for el in root.iter() if el.get("name")}
    assert {XSS, AMP, FORMULA} <= names
    assert validate_bpmn_xml(xml)["flow_nodes"] >= 5


RISKY = pd.DataFrame(
    {
        "activity": ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Plain", None],
        "hours": [1.5, -5.0, 0.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "count": [-5, 1, 2, 3, 4, 5, 6, 7],
    }
)
NEUTRAL = ["'=1+1", "'+1", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rCR", "Plain"]


def test_formula_prefixes_are_neutralised_numbers_kept():
    from analysis.export import neutralise_formulas

    before = RISKY.copy()
    out = neutralise_formulas(RISKY)
    assert out["activity"].tolist()[:7] == NEUTRAL
    assert out["activity"].isna().tolist() == [False] * 7 + [True]
    assert out["hours"].tolist() == RISKY["hours"].tolist()
    assert out["count"].tolist()[0] == -5 and out["count"].dtype == RISKY["count"].dtype
    pd.testing.assert_frame_equal(RISKY, before)  # the input is not changed


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_csv_export_writes_neutralised_text_and_plain_numbers(tmp_path):
    from analysis.export import export_table

    no_cr = RISKY[RISKY["activity"] != "\rCR"]  # a carriage return breaks the row: see the next test
    rows = _csv_rows(export_table(no_cr, tmp_path / "table.csv"))
    assert rows[0] == ["activity", "hours", "count"]
    assert [r[0] for r in rows[1:]] == [v for v in NEUTRAL if v != "'\rCR"] + [""]
    assert rows[1][1:] == ["1.5", "-5"] and rows[2][1] == "-5.0"


def test_csv_export_keeps_a_carriage_return_inside_its_cell(tmp_path):
    from analysis.export import export_table

    frame = pd.DataFrame({"activity": ["\rCR", "x\ry"], "count": [1, 2]})
    rows = _csv_rows(export_table(frame, tmp_path / "cr.csv"))
    assert rows == [["activity", "count"], ["'\rCR", "1"], ["x\ry", "2"]]


def test_excel_export_of_hostile_findings_has_no_formula_cells(hostile, tmp_path):
    from analysis.export import export_table, export_tables

    log, findings, _ = hostile
    book = export_tables(findings.tables(), tmp_path / "findings.xlsx")
    events = export_table(log.events, tmp_path / "events.xlsx")
    values = set()
    for path in (book, events):
        wb = openpyxl.load_workbook(path)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        values |= {c.value for c in cells}
    assert {"'" + FORMULA, "'" + AT_FORMULA} <= values
    assert not {FORMULA, AT_FORMULA} & values
    direct = openpyxl.load_workbook(export_table(RISKY, tmp_path / "risky.xlsx")).active
    assert [direct[f"A{i}"].value for i in range(2, 9)] == NEUTRAL
    assert (direct["C2"].value, direct["C2"].data_type) == (-5, "n")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"case,activity\n1,a\x81\x8db\n", r"bad\.csv: the file is not text: byte 0x81 at offset 17 "),
        (b"case,activity\n1,a\x00b\n", r"bad\.csv: the file is not text \(it holds NUL bytes\)"),
        (bytes(range(256)) * 8, r"bad\.csv: the file is not text"),
    ],
)
def test_binary_content_named_csv_is_refused_as_not_text(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(EventLogError, match=expected):
        load_event_log(path)
