"""Read CSV, XES, Parquet, Excel and OCEL 2.0 files into a raw table: no renaming, no type conversion.

The readers only turn bytes into rows. Every value of a CSV is read as text (so case ids keep their
leading zeros and nothing is guessed); XES typed attributes keep their XES type (``int``, ``float``,
``boolean``) except dates, which stay text until :mod:`mapper.load` parses the mapped time columns
(the Rust reader, when used, parses them to UTC itself). Excel cells keep the type Excel stored (text,
number, date). OCEL 2.0 logs are flattened on one object type (pm4py). Every failure becomes an
:class:`~mapper.errors.EventLogError` naming the file and, where known, the line.

Hostile input is refused before any parser sees it: XML with a DOCTYPE or entity declaration (XXE,
entity expansion), gzip or xlsx content that expands beyond a cap (bombs), remote URLs, and files whose
content does not match their name.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import os
import re
import tempfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from lxml import etree

from mapper.errors import EventLogError, UnsupportedFormatError

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls and password-protected workbooks
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Uncompressed bytes the parts of an ``.xlsx`` may add up to (a zip bomb fails before openpyxl runs).
MAX_XLSX_BYTES = 1024**3
#: Decompressed bytes a ``.gz`` input may expand to before reading stops (a gzip bomb fails fast).
MAX_DECOMPRESSED_BYTES = 4 * 1024**3
#: The XML prolog (before the root element) is checked within this many bytes.
MAX_PROLOG_BYTES = 1024**2
#: The engine column holding each raw row's 0-based position in the source.
RAW_ROW = "__flowready_row"
_XES_TYPES = {"string", "date", "int", "float", "boolean", "id", "list", "container"}


@dataclass(frozen=True)
class EngineHandle:
    """Where the rows of a :class:`RawTable` are in the engine.

    Attributes
    ----------
    con : mapper.engine connection
        The DuckDB connection (Ibis backend) holding the table.
    name : str
        The table's name in it.
    """

    con: object
    name: str


@dataclass(frozen=True)
class RawTable:
    """What a reader returns: the rows as read, and how they were read.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per event (XES) or line (CSV) or row (Parquet), in file order, columns as named in the
        file. XES trace attributes are prefixed ``case:`` as pm4py does.
    source : str
        The file name, for messages.
    format : {"csv", "xes", "parquet", "excel", "ocel", "dataframe"}
    details : dict
        How it was read: ``compressed``; ``delimiter``, ``quotechar``, ``encoding`` (CSV); ``traces``
        and ``xes_reader`` (XES); ``sheet``, ``sheets``, ``blank_rows``, ``excel_epoch`` (Excel);
        ``ocel_format``, ``object_type``, ``object_types``, ``ocel_events``, ``events_without_object``
        (OCEL).
    """

    frame: pd.DataFrame
    source: str
    format: str
    details: dict = field(default_factory=dict)
    #: When the reader streamed the rows straight into the engine: ``(connection, table name)``;
    #: the table has the source's columns and :data:`RAW_ROW`. ``frame`` is then ``None``.
    table: tuple | None = None
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def columns(self) -> list:
        """The source's column names, in file order."""
        if self.frame is not None:
            return list(self.frame.columns)
        con, name = self.table
        return [c for c in con.table(name).columns if c != RAW_ROW]

    @property
    def n_rows(self) -> int:
        """The number of rows read."""
        if self.frame is not None:
            return len(self.frame)
        con, name = self.table
        return int(con.raw_sql(f'select count(*) from "{name}"').fetchall()[0][0])

    @property
    def dtypes(self) -> dict:
        """The pandas dtype of each column when a pandas reader read it (empty when streamed)."""
        return {} if self.frame is None else dict(self.frame.dtypes.items())

    def engine_table(self) -> EngineHandle:
        """Where the rows are in the engine (connection, table name), with their 0-based position
        :data:`RAW_ROW`.

        A pandas frame is stored (through Arrow) in a new connection (:func:`mapper.engine.connect`) on
        the first call; object columns of mixed types (XES lists) become text there.
        """
        if self.table is not None:
            return EngineHandle(*self.table)
        if "table" not in self._memo:
            import numpy as np

            from mapper.engine import connect, engine_frame, run_ddl, unique_name

            con = connect()
            name = unique_name("raw")
            frame = engine_frame(self.frame)
            frame.columns = [str(c) for c in frame.columns]
            frame[RAW_ROW] = np.arange(len(frame), dtype="int64")
            view = unique_name("frame")
            con.con.register(view, frame)
            run_ddl(con, f'create temp table "{name}" as select * from "{view}"')
            con.con.unregister(view)
            self._memo["table"] = (con, name)
        return EngineHandle(*self._memo["table"])


class _CappedReader(io.RawIOBase):
    """A binary stream that refuses to yield more than ``limit`` bytes (guards against gzip bombs)."""

    def __init__(self, raw: io.BufferedIOBase, limit: int, source: str) -> None:
        self._raw, self._left, self._source = raw, limit, source

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self._raw.readinto(b)
        self._left -= n
        if self._left < 0:
            raise EventLogError(
                f"{self._source}: the compressed file expands beyond {MAX_DECOMPRESSED_BYTES:,} bytes; "
                "refusing to read it (possible gzip bomb). Decompress and check it by hand."
            )
        return n


def _format_of(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    if name.endswith(".xls"):
        raise UnsupportedFormatError(
            f"{path.name}: legacy Excel (.xls) is not read; open it in Excel or LibreOffice and save it "
            "as .xlsx (or export CSV)."
        )
    for ext, fmt in (
        (".csv", "csv"),
        (".tsv", "csv"),
        (".txt", "csv"),
        (".xes", "xes"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
        (".xlsx", "excel"),
        (".xlsm", "excel"),
        (".jsonocel", "ocel-json"),
        (".xmlocel", "ocel-xml"),
        (".sqlite", "ocel-sqlite"),
        (".sqlite3", "ocel-sqlite"),
        (".json", "ocel-json"),
        (".xml", "ocel-xml"),
        (".db", "ocel-sqlite"),
    ):
        if name.endswith(ext):
            if compressed and fmt not in ("csv", "xes"):
                raise UnsupportedFormatError(
                    f"{path.name}: only .csv.gz, .tsv.gz and .xes.gz may be gzip-compressed; "
                    f"decompress the file first."
                )
            return fmt, compressed
    raise UnsupportedFormatError(
        f"{path.name}: unknown file type. flowready reads .csv, .tsv, .xes, .parquet, .xlsx "
        "(and .csv.gz / .xes.gz), and OCEL 2.0 (.jsonocel/.json, .xmlocel/.xml, .sqlite). "
        "Rename the file or convert it to one of these."
    )


def _open(path: Path, compressed: bool) -> io.BufferedIOBase:
    """Open ``path`` for binary reading, decompressing with a size cap when it is gzip."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if compressed:
        if not head.startswith(GZIP_MAGIC):
            raise UnsupportedFormatError(
                f"{path.name}: the name ends in .gz but the content is not gzip-compressed. "
                "Rename the file without .gz or compress it properly."
            )
        return io.BufferedReader(_CappedReader(gzip.open(path, "rb"), MAX_DECOMPRESSED_BYTES, path.name))
    if head.startswith(GZIP_MAGIC):
        raise UnsupportedFormatError(
            f"{path.name}: the content is gzip-compressed but the name does not end in .gz. "
            "Add .gz to the name."
        )
    return path.open("rb")


def _decompress_error(path: Path, exc: Exception) -> EventLogError:
    return EventLogError(
        f"{path.name}: the compressed data is damaged or truncated ({exc}). Download or export it again."
    )


def read_raw(
    path: str | Path,
    *,
    sheet: str | None = None,
    object_type: str | None = None,
    xes_reader: Literal["auto", "rustxes", "lxml"] = "auto",
    engine: bool = False,
) -> RawTable:
    """Read an event-log file into a :class:`RawTable`.

    Parameters
    ----------
    path : str or pathlib.Path
        A local ``.csv``/``.tsv``, ``.xes`` (both optionally gzip-compressed, ``.gz``), ``.parquet``,
        ``.xlsx`` file, or an OCEL 2.0 log (``.jsonocel``/``.json``, ``.xmlocel``/``.xml``,
        ``.sqlite``). URLs are refused: flowready never fetches remote data.
    sheet : str, optional
        Excel only: the worksheet to read (default: the first).
    object_type : str, optional
        OCEL only: the object type whose objects become the cases (pm4py's flattening). Required when
        the log has more than one object type.
    xes_reader : {"auto", "rustxes", "lxml"}
        XES only. ``"auto"`` uses the Rust importer (``rustxes``) when installed and falls back to the
        hardened lxml parser when it is not, or when it reports a problem (an unparseable date, an event
        outside a trace) or returns a different number of events; ``"lxml"`` always uses lxml.
    engine : bool
        Stream Parquet and CSV straight into the engine (``RawTable.table``, ``frame`` is ``None``)
        instead of reading them into pandas: a CSV is parsed block by block (16 MiB) into the engine, so
        memory stays a few blocks whatever the file's size. XES, Excel and OCEL are read into pandas
        either way.

    Returns
    -------
    RawTable

    Raises
    ------
    EventLogError
        The file is missing, empty, truncated, damaged, or its content is not what its name says.
    UnsupportedFormatError
        The extension is not one flowready reads.
    """
    text = str(path)
    if "://" in text:
        raise EventLogError(f"{text}: flowready reads local files only; download the log first.")
    path = Path(path)
    if not path.is_file():
        raise EventLogError(f"{path}: no such file.")
    if path.stat().st_size == 0:
        raise EventLogError(f"{path.name}: the file is empty.")
    fmt, compressed = _format_of(path)
    try:
        if fmt == "csv":
            return _read_csv(path, compressed, engine)
        if fmt == "xes":
            if xes_reader not in ("auto", "rustxes", "lxml"):
                raise EventLogError(f"xes_reader must be 'auto', 'rustxes' or 'lxml', not {xes_reader!r}.")
            return _read_xes(path, compressed, xes_reader)
        if fmt == "excel":
            return _read_excel(path, sheet)
        if fmt.startswith("ocel"):
            return _read_ocel(path, fmt.removeprefix("ocel-"), object_type)
        return _read_parquet(path, compressed, engine)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise _decompress_error(path, exc) from None


def _sniff_delimiter(sample: str) -> str:
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)  # type: ignore[arg-type]
    if counts[best] == 0:
        try:
            return csv.Sniffer().sniff(sample[:65536]).delimiter
        except csv.Error:
            return ","
    return best


def _sniff_quotechar(sample: str, delimiter: str) -> str:
    """``'`` when fields are quoted with single quotes only, else the standard double quote."""
    if '"' in sample:
        return '"'
    d = re.escape(delimiter)
    single = re.search(rf"(?:^|{d})'[^'\n]*'(?:{d}|\r?$)", sample, flags=re.MULTILINE)
    return "'" if single else '"'


#: Bytes read at a time when a CSV is scanned or streamed (memory stays a few of these, whatever the size).
_CSV_BLOCK = 1 << 24
#: The head of a CSV from which its delimiter, quoting and header are found.
_CSV_HEAD = 1 << 16


def _scan_csv(path: Path, compressed: bool) -> dict:
    """One streaming pass over a CSV's bytes: its text encoding, line count and whether it holds data.

    Raises the reader's errors for a file that is not text (as UTF-8, UTF-16 with a byte-order mark, or
    Windows-1252) or is only white space. Memory is one block, whatever the file's size.
    """
    import codecs

    with _open(path, compressed) as fh:
        head = fh.read(4)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))  # Excel's "Unicode Text" is UTF-16 with a BOM
    bom = head.startswith(b"\xef\xbb\xbf")

    def scan(encoding: str) -> dict:
        decoder = codecs.getincrementaldecoder(encoding)()
        newlines, data, last, at = 0, False, "", 0
        with _open(path, compressed) as fh:
            while block := fh.read(_CSV_BLOCK):
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:  # exc.object: the bytes held from the last block, then this
                    start = at + exc.start - (len(exc.object) - len(block))
                    raise _BadText(encoding, start, exc.object[exc.start]) from None
                at += len(block)
                newlines += text.count("\n")
                data = data or bool(text.strip())
                last = text[-1:] or last
            try:
                last = decoder.decode(b"", final=True)[-1:] or last
            except UnicodeDecodeError:
                raise _BadText(encoding, at, None) from None
        return {"newlines": newlines, "data": data, "ends_with_newline": last == "\n"}

    if utf16:
        try:
            found = scan("utf-16")
        except _BadText as exc:
            raise EventLogError(
                f"{path.name}: the UTF-16 text is damaged (at byte {exc.offset:,}); save it as UTF-8."
            ) from None
        return found | {"encoding": "utf-16", "found": "utf-16", "bom": False}
    try:
        found = scan("utf-8-sig")
        encoding = "utf-8"
    except _BadText:
        try:
            found = scan("cp1252")
        except _BadText as exc:  # bytes no text encoding we read has: not a text file
            raise EventLogError(
                f"{path.name}: the file is not text: byte 0x{exc.byte:02x} at offset {exc.offset:,} "
                "is neither UTF-8 nor Windows-1252. If it is a workbook or a compressed file, give it "
                "its own extension (.xlsx, .gz); otherwise export it as a UTF-8 CSV."
            ) from None
        encoding, bom = "cp1252", False
    return found | {"encoding": encoding, "found": "", "bom": bom}


class _BadText(Exception):
    """A byte sequence the encoding being tried does not have (internal to :func:`_scan_csv`)."""

    def __init__(self, encoding: str, offset: int, byte: int | None) -> None:
        super().__init__(encoding)
        self.offset, self.byte = offset, 0 if byte is None else byte


def _read_csv(path: Path, compressed: bool, engine: bool = False) -> RawTable:
    """Read every CSV field as text with pyarrow (strict: a row with too few or too many fields fails).

    The file is read in blocks: once to find its encoding and count its lines, once to parse it. With
    ``engine`` the parsed blocks stream into the engine and never become one table in memory.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    scan = _scan_csv(path, compressed)
    if not scan["data"]:
        raise EventLogError(f"{path.name}: the file holds no data.")
    encoding, bom = scan["encoding"], scan["bom"]
    with _open(path, compressed) as fh:
        raw_head = fh.read(_CSV_HEAD * (2 if encoding == "utf-16" else 1) + 4)
    head = raw_head.decode(encoding, errors="replace")
    if bom:
        head = head.removeprefix("\ufeff")
    if "\x00" in head[:_CSV_HEAD]:
        raise EventLogError(
            f"{path.name}: the file is not text (it holds NUL bytes). If it is a workbook, Parquet or a "
            "compressed file, give it its own extension (.xlsx, .parquet, .gz); otherwise export it as CSV."
        )
    sep_line = re.match(r"sep=(.)\r?\n", head)  # Excel's delimiter hint on the first line
    sample = head[sep_line.end() :] if sep_line else head
    if sample.lstrip().startswith("<"):
        raise UnsupportedFormatError(
            f"{path.name}: the content looks like XML (XES?), not CSV. Rename the file to .xes."
        )
    delimiter = sep_line.group(1) if sep_line else None
    delimiter = delimiter or _sniff_delimiter(sample)
    quotechar = _sniff_quotechar(sample, delimiter)
    header = next(csv.reader([sample.splitlines()[0]], delimiter=delimiter, quotechar=quotechar))
    names = [h.strip() for h in header]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise EventLogError(f"{path.name}: the header repeats the column name(s) {dupes}; rename them.")
    ragged = [0]  # rows without the header's number of fields: counted (their lines are found below)

    def on_invalid(row) -> str:
        ragged[0] += 1
        return "skip"

    options = {
        "read_options": pacsv.ReadOptions(
            use_threads=False,
            encoding="utf8" if encoding == "utf-8" else encoding,
            column_names=names,
            skip_rows=1 + bool(sep_line),
            block_size=_CSV_BLOCK,
        ),
        "parse_options": pacsv.ParseOptions(
            delimiter=delimiter, quote_char=quotechar, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    }

    def unparseable(exc: Exception) -> EventLogError:
        return EventLogError(
            f"{path.name}: the CSV cannot be parsed ({exc}). Check the quoting and the delimiter."
        )

    frame, table, failure = None, None, None
    try:
        with _open(path, compressed) as fh:
            reader = pacsv.open_csv(fh, **options)
            if engine:
                *table, failure = _stream_into_engine(reader)
            else:
                frame = reader.read_all().to_pandas()
    except pa.ArrowInvalid as exc:
        failure = exc
    raw = RawTable(frame, path.name, "csv", {}, table=None if table is None else tuple(table))
    error: Exception | None = None
    if failure is not None:
        error = unparseable(failure) if isinstance(failure, pa.ArrowInvalid) else failure
    elif ragged[0]:
        records = _records(path, compressed, encoding, bool(sep_line), delimiter, quotechar)
        found = itertools.islice(((ln, k) for ln, k in records if k != len(names)), 5)
        where = "; ".join(f"line {line}: {fields} fields" for line, fields in found)
        error = EventLogError(
            f"{path.name}: {ragged[0]} row(s) do not have the header's {len(names)} fields"
            + (f" ({where})" if where else "")
            + ". Check the quoting and the delimiter, or fix those rows."
        )
    elif raw.n_rows == 0:
        error = EventLogError(f"{path.name}: the file has a header but no rows.")
    if error is not None:
        if table is not None:  # the rows streamed so far leave the engine with the error
            _drop(*table)
        raise error
    n_rows = raw.n_rows
    details = raw.details
    details.update(
        compressed=compressed,
        delimiter=delimiter,
        quotechar=quotechar,
        encoding=scan["found"] or ("utf-8-sig" if bom else encoding),
    )
    if sep_line:
        details["sep_line"] = True
    # Row N is on line N + 1 (+1 after a sep= line) unless blank lines were skipped or values span
    # lines; then messages number records only.
    lines = scan["newlines"] - bool(sep_line) + (0 if scan["ends_with_newline"] else 1)
    details["line_offset"] = (2 + bool(sep_line)) if lines == n_rows + 1 else None
    if details["line_offset"] is None:  # blank lines or values over several lines: find each row's line
        details["lines"] = lines
        records = _records(path, compressed, encoding, bool(sep_line), delimiter, quotechar)
        details["row_lines"] = [line for line, _ in records]
    return raw


def _stream_into_engine(reader) -> tuple:
    """Stream a pyarrow batch reader into a new engine table, numbering its rows (:data:`RAW_ROW`).

    Returns ``(connection, table name, failure)``: ``failure`` is the exception the reader raised while
    the engine consumed it (the engine would otherwise wrap it in its own), or ``None``.
    """
    import numpy as np
    import pyarrow as pa

    from mapper.engine import connect, run_ddl, unique_name

    schema = reader.schema.append(pa.field(RAW_ROW, pa.int64()))
    failure: list = []

    def numbered():
        at = 0
        try:
            for batch in reader:
                rows = pa.array(np.arange(at, at + batch.num_rows, dtype="int64"))
                yield pa.RecordBatch.from_arrays([*batch.columns, rows], schema=schema)
                at += batch.num_rows
        except Exception as exc:  # noqa: BLE001 - re-raised by the caller, outside the engine
            failure.append(exc)

    con = connect()
    name, view = unique_name("raw"), unique_name("csv")
    con.con.register(view, pa.RecordBatchReader.from_batches(schema, numbered()))
    try:
        run_ddl(con, f'create temp table "{name}" as select * from "{view}"')
    finally:
        con.con.unregister(view)
    return con, name, failure[0] if failure else None


def _drop(con, name: str) -> None:
    from mapper.engine import run_ddl

    run_ddl(con, f'drop table if exists "{name}"')


def _records(path: Path, compressed: bool, encoding: str, sep_line: bool, delimiter: str, quotechar: str):
    """Each data record of a CSV as ``(line on which it starts, number of fields)``, streamed.

    Blank lines are skipped as the parser skips them. Used only where it is needed (values over several
    lines, blank lines, rows with the wrong number of fields): it parses the file again, in Python.
    """
    text = io.TextIOWrapper(
        _open(path, compressed), encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline=""
    )
    with text:
        if sep_line:
            text.readline()
        reader = csv.reader(text, delimiter=delimiter, quotechar=quotechar)
        before, first = 0, 1 + sep_line
        for i, record in enumerate(reader):
            if i and record:  # skip the header and blank lines
                yield before + first, len(record)
            before = reader.line_num


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def _xes_value(kind: str, value: str | None):
    if value is None:
        return None
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            return value
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "boolean":
        return value.strip().lower() == "true"
    return value


def _check_prolog(head: bytes, name: str, kind: str = "XES") -> None:
    """Walk the XML prolog (declaration, comments, processing instructions) up to the root element and
    refuse a DOCTYPE, which is where entities are declared (XXE, entity expansion)."""
    i = len(head) - len(head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    while True:
        while i < len(head) and head[i : i + 1] in b" \t\r\n":
            i += 1
        if head.startswith(b"<?", i):
            end = head.find(b"?>", i)
            i = end + 2 if end >= 0 else -1
        elif head.startswith(b"<!--", i):
            end = head.find(b"-->", i + 4)
            i = end + 3 if end >= 0 else -1
        elif head[i : i + 9].upper() == b"<!DOCTYPE" or head[i : i + 8].upper() == b"<!ENTITY":
            raise EventLogError(
                f"{name}: the {kind} file declares a DOCTYPE or entities; flowready refuses such files "
                "(they can read local files or expand without bound). Remove the declaration and retry."
            )
        else:
            return  # the root element (or malformed XML, which the parser reports)
        if i < 0 or i >= len(head):
            raise EventLogError(
                f"{name}: no root element within the first {MAX_PROLOG_BYTES // 1024 // 1024} MiB "
                "(an unterminated comment or an oversized prolog); refusing to read it."
            )


def _check_xml_head(path: Path, compressed: bool, kind: str) -> None:
    with _open(path, compressed) as probe:
        prolog = probe.read(MAX_PROLOG_BYTES)
    if not prolog.strip():
        raise EventLogError(f"{path.name}: the file holds no data.")
    if not prolog.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UnsupportedFormatError(
            f"{path.name}: the content is not XML, so it is not {kind}. Check the file type."
        )
    _check_prolog(prolog, path.name, kind)


_EVENT_TAG = re.compile(rb"<event[\s>/]")
# A date value without a UTC offset: rustxes would take it as UTC, lxml takes it in the chosen zone.
_NAIVE_DATE = re.compile(rb'value="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"')
_STDERR_LOCK = threading.Lock()


def _scan_xes(path: Path, compressed: bool) -> tuple[int, bool]:
    """Count ``<event`` elements and look for naive date values, scanning the (capped) byte stream.

    The Rust reader's cross-check; it also runs the gzip cap before rustxes decompresses the file.
    """
    n, naive, tail = 0, False, b""
    with _open(path, compressed) as fh:
        while chunk := fh.read(1 << 22):
            # The previous tail was counted in the previous round; a tag cut at a chunk's end is
            # counted once it is whole.
            buf = tail + chunk
            n += len(_EVENT_TAG.findall(buf)) - len(_EVENT_TAG.findall(tail))
            naive = naive or _NAIVE_DATE.search(buf) is not None
            tail = buf[-40:]
    return n, naive


def _rustxes_frame(path: Path) -> tuple[pd.DataFrame | None, str]:
    """Run rustxes with its stderr captured; returns (frame, "") or (None, why it cannot be trusted)."""
    try:
        import rustxes
    except ImportError:
        return None, "rustxes is not installed"
    with _STDERR_LOCK, tempfile.TemporaryFile() as err:
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            frame, _meta = rustxes.import_xes(str(path))
            failure = ""
        except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException
            if isinstance(exc, KeyboardInterrupt):
                raise
            frame, failure = None, f"rustxes failed ({type(exc).__name__})"
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        err.seek(0)
        said = err.read(4096).decode("utf-8", "replace").strip()
    if failure:
        return None, failure
    if said:
        return None, f"rustxes reported: {said.splitlines()[0][:200]}"
    return frame.to_pandas(), ""


def _read_xes_rust(path: Path, compressed: bool) -> tuple[RawTable | None, str]:
    expected, naive = _scan_xes(path, compressed)
    if naive:
        return None, "dates without a UTC offset are taken in the chosen time zone by the lxml reader"
    frame, why = _rustxes_frame(path)
    if frame is None:
        return None, why
    if len(frame) != expected or expected == 0:
        return None, f"rustxes returned {len(frame):,} events, the file has {expected:,} <event> elements"
    for col in frame.columns:  # rustxes gives naive UTC datetimes; say so
        if pd.api.types.is_datetime64_any_dtype(frame[col]) and frame[col].dt.tz is None:
            frame[col] = frame[col].dt.tz_localize("UTC")
    frame = frame[sorted(frame.columns)]
    traces = int(frame["case:concept:name"].nunique()) if "case:concept:name" in frame else 0
    details = {"compressed": compressed, "traces": traces, "xes_reader": "rustxes"}
    return RawTable(frame, path.name, "xes", details), ""


def _read_xes(path: Path, compressed: bool, reader: str = "lxml") -> RawTable:
    """Parse XES with rustxes (checked) or lxml's iterparse, hardened: no DTD, no entities, no network."""
    _check_xml_head(path, compressed, "XES")
    fallback = ""
    if reader in ("auto", "rustxes"):
        table, fallback = _read_xes_rust(path, compressed)
        if table is not None:
            return table

    rows: list[dict] = []
    trace_events: list[dict] = []
    traces = 0
    root_checked = False
    fh = _open(path, compressed)
    try:
        context = etree.iterparse(
            fh,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        for event, el in context:
            if event == "start":
                if not root_checked:
                    root_checked = True
                    if _local(el.tag) != "log":
                        raise EventLogError(
                            f"{path.name}: the root element is <{_local(el.tag)}>, not <log>; this is not an "
                            "XES event log."
                        )
                continue
            tag = _local(el.tag)
            if tag == "event":
                rec = {}
                for child in el:
                    key = child.get("key")
                    kind = _local(child.tag) if isinstance(child.tag, str) else ""
                    if key is not None and kind in _XES_TYPES:
                        rec[key] = _xes_value(kind, child.get("value"))
                trace_events.append(rec)
                el.clear(keep_tail=False)
            elif tag == "trace":
                attrs = {}
                for child in el:
                    kind = _local(child.tag) if isinstance(child.tag, str) else ""
                    key = child.get("key")
                    if kind != "event" and key is not None and kind in _XES_TYPES:
                        attrs["case:" + key] = _xes_value(kind, child.get("value"))
                for rec in trace_events:
                    rec.update(attrs)
                rows.extend(trace_events)
                trace_events = []
                traces += 1
                el.clear(keep_tail=False)
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise EventLogError(
            f"{path.name}: the XES is not well-formed XML{where} ({exc.msg}). The file may be truncated "
            "or damaged; export it again."
        ) from None
    finally:
        fh.close()
    # Events outside any <trace> have no case: keep them, so that loading drops them with a reason.
    rows.extend(trace_events)
    if not rows:
        raise EventLogError(f"{path.name}: the XES log holds no events ({traces} traces).")
    frame = pd.DataFrame.from_records(rows)
    details = {"compressed": compressed, "traces": traces, "xes_reader": "lxml"}
    if fallback:
        details["xes_reader_note"] = fallback
    return RawTable(frame, path.name, "xes", details)


def _read_parquet(path: Path, compressed: bool, engine: bool = False) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if compressed:
        raise UnsupportedFormatError(f"{path.name}: Parquet is compressed internally; remove the .gz.")
    with path.open("rb") as fh:
        head = fh.read(4)
    if head != PARQUET_MAGIC:
        raise UnsupportedFormatError(
            f"{path.name}: the content is not Parquet (no PAR1 header). Check the file type."
        )
    try:  # the metadata only: the rows are streamed into the engine below, never into pandas
        meta = pq.read_metadata(path)
    except (pa.ArrowException, OSError) as exc:
        raise EventLogError(f"{path.name}: the Parquet file cannot be read ({exc}).") from None
    if meta.num_rows == 0:
        raise EventLogError(f"{path.name}: the Parquet file has no rows.")
    if not engine:
        try:
            frame = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise EventLogError(f"{path.name}: the Parquet file cannot be read ({exc}).") from None
        return RawTable(frame, path.name, "parquet", {"compressed": False})
    from mapper.engine import connect, run_ddl, unique_name

    con = connect()
    name = unique_name("raw")
    where = str(path).replace("'", "''")
    try:
        run_ddl(
            con,
            f'create temp table "{name}" as select * exclude (file_row_number), '
            f"file_row_number as \"{RAW_ROW}\" from read_parquet('{where}', file_row_number = true)",
        )
    except Exception as exc:  # DuckDB's errors are not one class
        raise EventLogError(f"{path.name}: the Parquet file cannot be read ({exc}).") from None
    return RawTable(None, path.name, "parquet", {"compressed": False}, table=(con, name))


def _open_workbook(path: Path):
    """The openpyxl workbook (read-only) of an ``.xlsx``, after the checks of its format and size."""
    import openpyxl

    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        raise UnsupportedFormatError(
            f"{path.name}: this is a legacy .xls or a password-protected workbook, not an .xlsx. "
            "Remove the password, or save it as .xlsx or CSV."
        )
    if not head.startswith(ZIP_MAGIC):
        raise UnsupportedFormatError(
            f"{path.name}: the content is not an Excel .xlsx workbook (no zip header). Check the file type."
        )
    try:
        with zipfile.ZipFile(path) as zf:
            expanded = sum(info.file_size for info in zf.infolist())
            names = set(zf.namelist())
    except zipfile.BadZipFile as exc:
        raise EventLogError(
            f"{path.name}: the workbook is damaged or truncated ({exc}). Save it again."
        ) from None
    if expanded > MAX_XLSX_BYTES:
        raise EventLogError(
            f"{path.name}: the workbook expands to {expanded:,} bytes, beyond the {MAX_XLSX_BYTES:,} "
            "allowed (possible zip bomb); refusing to read it. Export the sheet as CSV instead."
        )
    if "xl/workbook.xml" not in names:
        raise UnsupportedFormatError(
            f"{path.name}: the zip file is not an Excel workbook (no xl/workbook.xml). Check the file type."
        )
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged parts
        raise EventLogError(
            f"{path.name}: the workbook cannot be read ({type(exc).__name__}: {exc}). Save it again as .xlsx."
        ) from None


def list_sheets(path: str | Path) -> list[str]:
    """The worksheets of an ``.xlsx`` workbook, in workbook order, for choosing the one to read.

    Parameters
    ----------
    path : str or pathlib.Path
        An Excel ``.xlsx`` workbook.

    Returns
    -------
    list of str
        The names of its worksheets; :func:`read_raw` reads the first unless given ``sheet``.

    Raises
    ------
    EventLogError
        The file is missing, damaged, or too large once expanded.
    UnsupportedFormatError
        The file is not an ``.xlsx`` workbook (a legacy ``.xls``, a password-protected workbook).
    """
    path = Path(path)
    if not path.is_file():
        raise EventLogError(f"{path}: no such file.")
    wb = _open_workbook(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _read_excel(path: Path, sheet: str | None) -> RawTable:
    """Read one worksheet of an ``.xlsx`` with openpyxl (read-only; XML parsed with defusedxml).

    Cells keep the type Excel stored: text stays text (``007`` keeps its zeros), numbers are numbers,
    date-formatted cells are naive datetimes. A numeric time cell (a serial day number) is converted
    later, in :func:`mapper.timestamps.parse_timestamps`, with the workbook's epoch (1900 or 1904).
    """
    wb = _open_workbook(path)
    try:
        sheets = list(wb.sheetnames)
        if sheet is None:
            sheet = sheets[0]
        elif sheet not in sheets:
            raise EventLogError(f"{path.name}: no worksheet named {sheet!r}; the workbook has {sheets}.")
        rows = wb[sheet].iter_rows()
        first = next(rows, None)
        header = tuple(c.value for c in first) if first is not None else None
        data, blank, sheet_rows, expected = [], 0, [], 2
        for cells in rows:
            number = next((c.row for c in cells if getattr(c, "row", None)), expected)
            blank += number - expected  # rows with no cells at all are not yielded
            expected = number + 1
            row = tuple(c.value for c in cells)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                blank += 1
                continue
            data.append(row)
            sheet_rows.append(number)
        epoch = "1904" if wb.epoch.year == 1904 else "1900"
    finally:
        wb.close()
    if header is None or all(v is None for v in header):
        others = [n for n in sheets if n != sheet]
        hint = f" The workbook also has {others}; pick one with `sheet`." if others else ""
        raise EventLogError(f"{path.name}: worksheet {sheet!r} is empty (no header row).{hint}")
    width = max([len(header)] + [len(r) for r in data])
    header = list(header) + [None] * (width - len(header))
    # Trailing unnamed columns with no values are formatting, not data.
    while (
        header
        and header[-1] is None
        and all(len(r) < len(header) or r[len(header) - 1] is None for r in data)
    ):
        header.pop()
    names = []
    for i, h in enumerate(header):
        if h is None or not str(h).strip():
            raise EventLogError(
                f"{path.name}: worksheet {sheet!r}: column {_excel_column(i)} has values but no name in the "
                "header row; give it a name."
            )
        names.append(str(h).strip())
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise EventLogError(
            f"{path.name}: worksheet {sheet!r}: the header repeats the column name(s) {dupes}."
        )
    if not data:
        raise EventLogError(f"{path.name}: worksheet {sheet!r} has a header but no rows.")
    frame = pd.DataFrame(
        [tuple(r[: len(names)]) + (None,) * (len(names) - len(r)) for r in data], columns=names
    )
    frame = frame.astype(object).where(frame.notna(), None)
    details = {
        "compressed": False,
        "sheet": sheet,
        "sheets": sheets,
        "blank_rows": blank,
        "excel_epoch": epoch,
    }
    if blank or (sheet_rows and sheet_rows[0] != 2):  # messages give the sheet's row numbers
        details["sheet_rows"] = sheet_rows
    return RawTable(frame, path.name, "excel", details)


def _excel_column(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def list_object_types(path: str | Path) -> dict[str, int]:
    """The object types of an OCEL 2.0 log and how many objects each has, for choosing the case notion.

    Parameters
    ----------
    path : str or pathlib.Path
        An OCEL 2.0 log (``.jsonocel``/``.json``, ``.xmlocel``/``.xml``, ``.sqlite``).

    Returns
    -------
    dict of str to int
        Object type -> number of objects, most objects first.

    Raises
    ------
    EventLogError
        The file is missing or is not a readable OCEL 2.0 log.
    UnsupportedFormatError
        The file is not an OCEL 2.0 log by its name or content.
    """
    from mapper._pm4py import ocel_object_types

    path = Path(path)
    if not path.is_file():
        raise EventLogError(f"{path}: no such file.")
    fmt, _ = _format_of(path)
    if not fmt.startswith("ocel"):
        raise UnsupportedFormatError(f"{path.name}: not an OCEL 2.0 log, so it has no object types.")
    kind = fmt.removeprefix("ocel-")
    _check_ocel(path, kind)
    return ocel_object_types(path, kind)


def _read_ocel(path: Path, kind: str, object_type: str | None) -> RawTable:
    """Read an OCEL 2.0 log with pm4py and flatten it on one object type (each object is a case)."""
    from mapper._pm4py import read_ocel_flat

    _check_ocel(path, kind)
    frame, details = read_ocel_flat(path, kind, object_type)
    if frame.empty:
        raise EventLogError(f"{path.name}: no event relates to an object of type {details['object_type']!r}.")
    return RawTable(frame, path.name, "ocel", {"compressed": False, "ocel_format": kind, **details})


def _check_ocel(path: Path, kind: str) -> None:
    """Refuse a file whose content is not the OCEL 2.0 format its name says, before pm4py parses it."""
    with path.open("rb") as fh:
        head = fh.read(MAX_PROLOG_BYTES)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind == "json":
        import json

        if not stripped.startswith((b"{", b"[")):
            raise UnsupportedFormatError(f"{path.name}: the content is not JSON, so it is not OCEL 2.0 JSON.")
        try:
            doc = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise EventLogError(f"{path.name}: the JSON is not well-formed ({exc}).") from None
        needed = {"objectTypes", "eventTypes", "objects", "events"}
        if not isinstance(doc, dict) or not needed <= set(doc):
            have = sorted(doc) if isinstance(doc, dict) else type(doc).__name__
            raise UnsupportedFormatError(
                f"{path.name}: not an OCEL 2.0 JSON log: it needs the keys {sorted(needed)}; it has {have}."
            )
        del doc
    if kind == "xml":
        _check_xml_head(path, False, "OCEL 2.0 XML")
    if kind == "sqlite" and not head.startswith(SQLITE_MAGIC):
        raise UnsupportedFormatError(
            f"{path.name}: the content is not an SQLite database, so it is not OCEL 2.0 SQLite."
        )
