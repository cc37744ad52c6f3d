"""Reading files: every bad input gives a clear EventLogError naming the file (and line where known)."""

from __future__ import annotations

import gzip
import os

import pandas as pd
import pytest

from mapper import load_event_log
from mapper import readers as readers_mod
from mapper.errors import EventLogError, UnsupportedFormatError
from mapper.readers import read_raw

GOOD_CSV = "case_id,activity,timestamp\n1,A,2024-01-01 10:00\n1,B,2024-01-01 11:00\n2,A,2024-01-02 09:00\n"
TRACES = [
    ("c1", [("A", "2024-01-01T10:00:00+00:00"), ("B", "2024-01-01T11:00:00+00:00")]),
    ("c2", [("A", "2024-01-02T10:00:00+00:00")]),
]


def _raises(exc_type, path, *fragments):
    """Assert read_raw(path) raises exactly ``exc_type`` with a message holding every fragment."""
    with pytest.raises(EventLogError) as info:
        read_raw(path)
    assert type(info.value) is exc_type, f"{type(info.value).__name__}: {info.value}"
    msg = str(info.value)
    for frag in fragments:
        assert frag in msg, msg
    return msg


# --- files that are fine --------------------------------------------------------------------------


def test_csv_is_read_as_text_in_file_order(write_csv):
    raw = read_raw(
        write_csv("log.csv", "case_id,activity,timestamp,n\n007,A,2024-01-01,1\n007,B,2024-01-02,\n")
    )
    assert raw.format == "csv" and raw.source == "log.csv"
    assert list(raw.frame.columns) == ["case_id", "activity", "timestamp", "n"]
    assert raw.frame["case_id"].tolist() == ["007", "007"]
    assert raw.frame["n"].tolist()[0] == "1" and pd.isna(raw.frame["n"].tolist()[1])
    assert raw.details == {
        "compressed": False,
        "delimiter": ",",
        "quotechar": '"',
        "encoding": "utf-8",
        "line_offset": 2,
    }


def test_na_strings_are_kept_as_text(write_csv):
    raw = read_raw(
        write_csv("na.csv", "case_id,activity,timestamp\nNA,NULL,2024-01-01\nnan,None,2024-01-02\n")
    )
    assert raw.frame["case_id"].tolist() == ["NA", "nan"]
    assert raw.frame["activity"].tolist() == ["NULL", "None"]


def test_semicolon_delimiter_is_detected(write_csv):
    raw = read_raw(write_csv("semi.csv", "case_id;activity;timestamp\n1;A,x;2024-01-01\n1;B;2024-01-02\n"))
    assert raw.details["delimiter"] == ";"
    assert raw.frame["activity"].tolist() == ["A,x", "B"]


def test_tab_separated_file(write_csv):
    raw = read_raw(write_csv("log.tsv", "case_id\tactivity\ttimestamp\n1\tA\t2024-01-01\n"))
    assert raw.details["delimiter"] == "\t"
    assert raw.frame.shape == (1, 3)


def test_utf8_bom_header_is_read_correctly(write_csv):
    path = write_csv("bom.csv", "\ufeffcase_id,activity,timestamp\n1,Prüfung,2024-01-01\n")
    raw = read_raw(path)
    assert list(raw.frame.columns) == ["case_id", "activity", "timestamp"]
    assert raw.details["encoding"] == "utf-8-sig"
    log = load_event_log(path)
    assert log.mapping.case_id == "case_id"
    assert log.events["activity"].tolist() == ["Prüfung"]


def test_cp1252_file_falls_back(write_csv):
    raw = read_raw(
        write_csv("win.csv", "case_id,activity,timestamp\n1,Größe prüfen,2024-01-01\n", encoding="cp1252")
    )
    assert raw.details["encoding"] == "cp1252"
    assert raw.frame["activity"].tolist() == ["Größe prüfen"]


def test_csv_gz_is_read(write_csv):
    raw = read_raw(write_csv("log.csv.gz", GOOD_CSV))
    assert raw.details["compressed"] is True
    assert raw.frame.shape == (3, 3)


def test_xes_and_xes_gz_are_read(write_xes):
    for name in ("log.xes", "log.xes.gz"):
        raw = read_raw(write_xes(name, TRACES), xes_reader="lxml")
        assert raw.format == "xes"
        assert raw.details == {"compressed": name.endswith(".gz"), "traces": 2, "xes_reader": "lxml"}
        assert raw.frame["case:concept:name"].tolist() == ["c1", "c1", "c2"]
        assert raw.frame["concept:name"].tolist() == ["A", "B", "A"]
        # dates stay text until the mapped time columns are parsed
        assert raw.frame["time:timestamp"].tolist()[0] == "2024-01-01T10:00:00+00:00"


def test_xes_typed_attributes(tmp_path):
    path = tmp_path / "typed.xes"
    path.write_text(
        '<?xml version="1.0"?>\n<log>\n<trace><string key="concept:name" value="c"/>'
        '<int key="size" value="3"/>\n'
        '<event><string key="concept:name" value="A"/>'
        '<date key="time:timestamp" value="2024-01-01T00:00:00Z"/>'
        '<int key="n" value="7"/><float key="x" value="2.5"/><boolean key="ok" value="true"/></event>\n'
        "</trace>\n</log>\n"
    )
    raw = read_raw(path)
    row = raw.frame.iloc[0].to_dict()
    assert (row["n"], row["x"], row["ok"]) == (7, 2.5, True)
    assert isinstance(row["n"], int) and isinstance(row["x"], float)
    assert row["case:size"] == 3
    assert row["case:concept:name"] == "c"


def test_parquet_roundtrip(tmp_path):
    df = pd.DataFrame(
        {
            "case_id": ["007", "1"],
            "activity": ["A", "B"],
            "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 11:00"], utc=True),
        }
    )
    path = tmp_path / "log.parquet"
    df.to_parquet(path)
    raw = read_raw(path)
    assert raw.format == "parquet"
    pd.testing.assert_frame_equal(raw.frame, df)
    log = load_event_log(path)
    assert log.events["case_id"].tolist() == ["007", "1"]
    assert log.events["timestamp"].tolist() == list(df["timestamp"])
    assert log.quality.details["timestamp_zone"] == "time zone stored in the data"


# --- bad input ------------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    for name in ("empty.csv", "empty.xes", "empty.parquet"):
        (tmp_path / name).write_bytes(b"")
        _raises(EventLogError, tmp_path / name, f"{name}: the file is empty.")


def test_whitespace_only_csv(write_csv):
    _raises(EventLogError, write_csv("blank.csv", "\n  \n\n"), "blank.csv: the file holds no data.")


def test_header_only_csv(write_csv):
    _raises(
        EventLogError,
        write_csv("hdr.csv", "case_id,activity,timestamp\n"),
        "hdr.csv: the file has a header but no rows.",
    )


def test_header_only_csv_through_load_event_log(write_csv):
    with pytest.raises(EventLogError, match=r"hdr\.csv\.gz: the file has a header but no rows"):
        load_event_log(write_csv("hdr.csv.gz", "case_id,activity,timestamp\n"))


def test_truncated_xes(tmp_path, xes_doc):
    text = xes_doc(TRACES)
    cut = text.index('value="B"')  # in the middle of the second event
    path = tmp_path / "cut.xes"
    path.write_text(text[:cut])
    msg = _raises(EventLogError, path, "cut.xes: the XES is not well-formed XML at line ", "truncated")
    assert "at line 10 " in msg  # the line of the cut


def test_truncated_xes_gz(tmp_path, xes_doc):
    # enough incompressible content that cutting the gzip stream in half cuts the XML too
    traces = [(f"c{i}", [(os.urandom(8).hex(), "2024-01-01T10:00:00+00:00")]) for i in range(300)]
    data = gzip.compress(xes_doc(traces).encode())
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) // 2])
    _raises(EventLogError, path, "cut.xes.gz: the compressed data is damaged or truncated")


def test_truncated_csv_gz(tmp_path):
    rows = "".join(f"{i},{os.urandom(6).hex()},2024-01-01 10:00\n" for i in range(2000))
    data = gzip.compress(("case_id,activity,timestamp\n" + rows).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    _raises(EventLogError, path, "cut.csv.gz: the compressed data is damaged or truncated")


def test_xes_gz_that_is_not_gzip(tmp_path, xes_doc):
    path = tmp_path / "plain.xes.gz"
    path.write_text(xes_doc(TRACES))
    _raises(UnsupportedFormatError, path, "plain.xes.gz: the name ends in .gz but the content is not gzip")


def test_gzip_file_named_csv(tmp_path):
    path = tmp_path / "packed.csv"
    path.write_bytes(gzip.compress(GOOD_CSV.encode()))
    _raises(UnsupportedFormatError, path, "packed.csv: the content is gzip-compressed", "Add .gz")


def test_csv_named_xes(write_csv):
    _raises(UnsupportedFormatError, write_csv("table.xes", GOOD_CSV), "table.xes: the content is not XML")


def test_xml_named_csv(write_csv, xes_doc):
    _raises(
        UnsupportedFormatError,
        write_csv("log.csv", xes_doc(TRACES)),
        "log.csv: the content looks like XML (XES?), not CSV",
    )


def test_xml_root_that_is_not_log(tmp_path):
    path = tmp_path / "page.xes"
    path.write_text('<?xml version="1.0"?>\n<html><body><p>hello</p></body></html>\n')
    _raises(EventLogError, path, "page.xes: the root element is <html>, not <log>")


def test_xes_without_events(tmp_path):
    path = tmp_path / "hollow.xes"
    path.write_text(
        '<?xml version="1.0"?>\n<log><trace><string key="concept:name" value="c"/></trace></log>\n'
    )
    _raises(EventLogError, path, "hollow.xes: the XES log holds no events (1 traces).")


XXE_DOCTYPE = '<!DOCTYPE log [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def test_xes_with_doctype_and_entity_is_refused(write_xes):
    traces = [("c1", [("&xxe;", "2024-01-01T10:00:00+00:00")])]
    path = write_xes("xxe.xes", traces, prolog=XXE_DOCTYPE)
    path.write_text(path.read_text().replace("&amp;xxe;", "&xxe;"))
    _raises(EventLogError, path, "xxe.xes: the XES file declares a DOCTYPE or entities")


def test_xes_gz_with_internal_entities_is_refused(write_xes):
    path = write_xes("lol.xes.gz", TRACES, prolog='<!DOCTYPE log [<!ENTITY lol "lol">]>')
    _raises(EventLogError, path, "lol.xes.gz: the XES file declares a DOCTYPE or entities")


def test_doctype_after_a_comment_mentioning_log_is_refused(tmp_path):
    path = tmp_path / "sneaky.xes"
    path.write_text(
        '<?xml version="1.0"?>\n<!-- <log -->\n'
        '<!DOCTYPE log [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
        '<log><trace><string key="concept:name" value="c"/><event><string key="concept:name" value="&b;"/>'
        '<date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event></trace></log>\n'
    )
    _raises(EventLogError, path, "declares a DOCTYPE or entities")


def test_doctype_after_64k_of_comments_is_refused(tmp_path):
    path = tmp_path / "late.xes"
    path.write_text(
        '<?xml version="1.0"?>\n<!--' + "x" * 70_000 + '-->\n<!DOCTYPE log [<!ENTITY a "aaaa">]>\n'
        '<log><trace><string key="concept:name" value="c"/><event><string key="concept:name" value="&a;"/>'
        '<date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event></trace></log>\n'
    )
    _raises(EventLogError, path, "declares a DOCTYPE or entities")


def test_parquet_that_is_not_parquet(write_csv):
    _raises(
        UnsupportedFormatError,
        write_csv("fake.parquet", GOOD_CSV),
        "fake.parquet: the content is not Parquet",
    )


def test_damaged_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + os.urandom(200) + b"PAR1")
    _raises(EventLogError, path, "broken.parquet: the Parquet file cannot be read")


def test_gzipped_parquet_is_refused(tmp_path):
    path = tmp_path / "log.parquet.gz"
    path.write_bytes(gzip.compress(b"PAR1"))
    _raises(UnsupportedFormatError, path, "log.parquet.gz: only .csv.gz, .tsv.gz and .xes.gz may be gzip")


@pytest.mark.parametrize("name", ["log.docx", "log.pdf", "log", "log.gz", "log.csv.zip"])
def test_unknown_extension(tmp_path, name):
    (tmp_path / name).write_text(GOOD_CSV)
    _raises(UnsupportedFormatError, tmp_path / name, f"{name}: unknown file type")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/log.csv",
        "http://example.org/log.xes",
        "file:///etc/passwd.csv",
        "s3://bucket/log.parquet",
    ],
)
def test_url_is_refused(url):
    with pytest.raises(EventLogError) as info:
        load_event_log(url)
    assert str(info.value) == f"{url}: flowready reads local files only; download the log first."


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    _raises(EventLogError, path, f"{path}: no such file.")


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    _raises(EventLogError, tmp_path / "dir.csv", "no such file")


def test_ragged_row_with_too_many_fields(write_csv):
    msg = _raises(
        EventLogError,
        write_csv("ragged.csv", "case_id,activity,timestamp\n1,A,2024-01-01\n1,B,2024-01-02,extra\n"),
        "ragged.csv: 1 row(s) do not have the header's 3 fields",
        "line 3: 4 fields",
    )
    assert "Check the quoting and the delimiter" in msg


def test_ragged_row_with_too_few_fields(write_csv):
    _raises(
        EventLogError,
        write_csv("short.csv", "case_id,activity,timestamp,resource\n1,A,2024-01-01,ann\n1,B,2024-01-02\n"),
        "short.csv",
        "line 3",
    )


def test_gzip_bomb_guard(tmp_path, monkeypatch):
    monkeypatch.setattr(readers_mod, "MAX_DECOMPRESSED_BYTES", 1024)
    path = tmp_path / "big.csv.gz"
    path.write_bytes(gzip.compress(("case_id,activity,timestamp\n" + "1,A,2024-01-01\n" * 1000).encode()))
    _raises(EventLogError, path, "big.csv.gz: the compressed file expands beyond", "gzip bomb")


# --- CSV streamed into the engine, block by block ------------------------------------------------------


def _engine_rows(raw) -> pd.DataFrame:
    from mapper.readers import RAW_ROW

    handle = raw.engine_table()
    return handle.con.table(handle.name).to_pandas().sort_values(RAW_ROW).reset_index(drop=True)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 256 bytes, so a CSV of a few kilobytes is scanned and parsed in many of them."""
    monkeypatch.setattr(readers_mod, "_CSV_BLOCK", 256)


def test_streamed_csv_has_the_rows_of_the_pandas_read_in_file_order(write_csv, small_blocks):
    rows = "".join(
        f"c{i // 3},Step {i % 3},2024-01-{1 + i % 28:02d} 10:00,{'' if i % 7 else 'x'}\n" for i in range(400)
    )
    path = write_csv("many.csv", "case_id,activity,timestamp,note\n" + rows)
    streamed, read = read_raw(path, engine=True), read_raw(path)
    assert streamed.frame is None and streamed.table is not None  # never a pandas frame
    assert streamed.n_rows == 400 and streamed.columns == ["case_id", "activity", "timestamp", "note"]
    assert streamed.details == read.details
    got = _engine_rows(streamed)
    from mapper.readers import RAW_ROW

    assert got[RAW_ROW].tolist() == list(range(400))  # numbered across blocks without a gap
    pd.testing.assert_frame_equal(got.drop(columns=RAW_ROW), read.frame, check_dtype=False)
    assert got["note"].isna().sum() == 400 - len(range(0, 400, 7))


def test_cp1252_byte_after_the_first_block_falls_back(write_csv, small_blocks, tmp_path):
    body = "".join(f"c{i},A,2024-01-01 10:00\n" for i in range(60)) + "c60,Caf\xe9,2024-01-02 10:00\n"
    path = tmp_path / "late.csv"
    path.write_bytes(("case_id,activity,timestamp\n" + body).encode("cp1252"))
    raw = read_raw(path, engine=True)
    assert raw.details["encoding"] == "cp1252"
    assert _engine_rows(raw)["activity"].iloc[-1] == "Café"


def test_utf8_character_split_between_blocks_is_not_an_error(write_csv, small_blocks, tmp_path):
    # 'é' is two bytes in UTF-8; one of them lands on each side of every 256-byte boundary at some row.
    body = "".join(f"c{i},Étape,2024-01-01 10:00\n" for i in range(100))
    path = tmp_path / "split.csv"
    path.write_bytes(("case_id,activity,timestamp\n" + body).encode("utf-8"))
    raw = read_raw(path, engine=True)
    assert raw.details["encoding"] == "utf-8"
    assert set(_engine_rows(raw)["activity"]) == {"Étape"}


def test_binary_byte_deep_in_the_file_is_named_with_its_offset(small_blocks, tmp_path):
    text = b"case_id,activity,timestamp\n" + b"c1,A,2024-01-01 10:00\n" * 40
    path = tmp_path / "bin.csv"
    path.write_bytes(text + b"c2,\x81\x8d,2024-01-01 10:00\n")  # 0x81 is neither UTF-8 nor Windows-1252
    _raises(
        EventLogError, path, "byte 0x81 at offset " + f"{len(text) + 3:,}", "neither UTF-8 nor Windows-1252"
    )


def test_ragged_row_in_a_later_block_is_named_by_its_line_when_streamed(write_csv, small_blocks):
    body = "".join(f"c{i},A,2024-01-01 10:00\n" for i in range(50))
    path = write_csv("late_ragged.csv", "case_id,activity,timestamp\n" + body + "c50,A,B,2024-01-01\n")
    with pytest.raises(EventLogError) as info:
        read_raw(path, engine=True)
    assert "1 row(s) do not have the header's 3 fields (line 52: 4 fields)" in str(info.value)


def test_multiline_values_streamed_keep_each_rows_line(write_csv, small_blocks):
    path = write_csv(
        "multi.csv",
        'case_id,activity,timestamp\nc1,"two\nlines",2024-01-01 10:00\n\nc2,B,2024-01-01 11:00\n',
    )
    raw = read_raw(path, engine=True)
    assert raw.details["line_offset"] is None and raw.details["row_lines"] == [2, 5]
    assert _engine_rows(raw)["activity"].tolist() == ["two\nlines", "B"]


def test_load_event_log_streams_a_csv_and_accounts_for_every_row(write_csv, small_blocks):
    rows = "".join(
        f"c{i // 4},Step {i % 4},2024-01-{1 + i // 4 % 28:02d} {10 + i % 4}:00\n" for i in range(200)
    )
    rows += "c99,Step 0,not a date\n"
    log = load_event_log(
        write_csv("load.csv", "case_id,activity,timestamp\n" + rows), on_bad_timestamp="drop"
    )
    q = log.quality
    assert (q.rows_read, q.rows_kept, q.rows_dropped) == (201, 200, 1)
    assert q.examples == {"unparseable timestamp (column 'timestamp')": [201]}  # row 201, line 202
    assert log.n_events == 200 and log.summary()["cases"] == 50
