"""Read CSV, XES and Parquet files into a raw table: no renaming, no type conversion of attributes.

The readers only turn bytes into rows. Every value of a CSV is read as text (so case ids keep their
leading zeros and nothing is guessed); XES typed attributes keep their XES type (``int``, ``float``,
``boolean``) except dates, which stay text until :mod:`mapper.load` parses the mapped time columns.
Every failure becomes an :class:`~mapper.errors.EventLogError` naming the file and, where known, the line.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from lxml import etree

from mapper.errors import EventLogError, UnsupportedFormatError

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
#: Decompressed bytes a ``.gz`` input may expand to before reading stops (a gzip bomb fails fast).
MAX_DECOMPRESSED_BYTES = 4 * 1024**3
#: The XML prolog (before the root element) is checked within this many bytes.
MAX_PROLOG_BYTES = 1024**2
_XES_TYPES = {"string", "date", "int", "float", "boolean", "id", "list", "container"}


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
    format : {"csv", "xes", "parquet", "dataframe"}
    details : dict
        How it was read: ``compressed``, ``delimiter``, ``encoding`` (CSV), ``traces`` (XES).
    """

    frame: pd.DataFrame
    source: str
    format: str
    details: dict = field(default_factory=dict)


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
    for ext, fmt in (
        (".csv", "csv"),
        (".tsv", "csv"),
        (".txt", "csv"),
        (".xes", "xes"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if name.endswith(ext):
            return fmt, compressed
    raise UnsupportedFormatError(
        f"{path.name}: unknown file type. flowready reads .csv, .tsv, .xes, .parquet "
        "(and .csv.gz / .xes.gz). Rename the file or convert it to one of these."
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


def read_raw(path: str | Path) -> RawTable:
    """Read an event-log file into a :class:`RawTable`.

    Parameters
    ----------
    path : str or pathlib.Path
        A local ``.csv``, ``.tsv``, ``.xes``, ``.parquet`` file, optionally gzip-compressed (``.gz``).
        URLs are refused: flowready never fetches remote data.

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
            return _read_csv(path, compressed)
        if fmt == "xes":
            return _read_xes(path, compressed)
        return _read_parquet(path, compressed)
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


def _read_csv(path: Path, compressed: bool) -> RawTable:
    """Read every CSV field as text with pyarrow (strict: a row with too few or too many fields fails)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with _open(path, compressed) as fh:
        data = fh.read()
    if not data.strip():
        raise EventLogError(f"{path.name}: the file holds no data.")
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    encoding = "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        encoding = "cp1252"
    sample = data[:65536].decode(encoding, errors="replace")
    if sample.lstrip().startswith("<"):
        raise UnsupportedFormatError(
            f"{path.name}: the content looks like XML (XES?), not CSV. Rename the file to .xes."
        )
    delimiter = _sniff_delimiter(sample)
    header = next(csv.reader([sample.splitlines()[0]], delimiter=delimiter))
    names = [h.strip() for h in header]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise EventLogError(f"{path.name}: the header repeats the column name(s) {dupes}; rename them.")
    ragged: list = []

    def on_invalid(row) -> str:
        ragged.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, encoding=encoding, column_names=names, skip_rows=1, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise EventLogError(
            f"{path.name}: the CSV cannot be parsed ({exc}). Check the quoting and the delimiter."
        ) from None
    if ragged:
        where = "; ".join(f"line {r.number}: {r.actual_columns} fields" for r in ragged[:5])
        raise EventLogError(
            f"{path.name}: {len(ragged)} row(s) do not have the header's {len(names)} fields ({where}). "
            "Check the quoting and the delimiter, or fix those rows."
        )
    frame = table.to_pandas()
    if frame.empty:
        raise EventLogError(f"{path.name}: the file has a header but no rows.")
    return RawTable(
        frame,
        path.name,
        "csv",
        {"compressed": compressed, "delimiter": delimiter, "encoding": "utf-8-sig" if bom else encoding},
    )


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


def _check_prolog(head: bytes, name: str) -> None:
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
                f"{name}: the XES file declares a DOCTYPE or entities; flowready refuses such files "
                "(they can read local files or expand without bound). Remove the declaration and retry."
            )
        else:
            return  # the root element (or malformed XML, which the parser reports)
        if i < 0 or i >= len(head):
            raise EventLogError(
                f"{name}: no root element within the first {MAX_PROLOG_BYTES // 1024 // 1024} MiB "
                "(an unterminated comment or an oversized prolog); refusing to read it."
            )


def _read_xes(path: Path, compressed: bool) -> RawTable:
    """Parse XES with lxml's iterparse, hardened: no DTD, no entities, no network."""
    with _open(path, compressed) as probe:
        prolog = probe.read(MAX_PROLOG_BYTES)
    if not prolog.strip():
        raise EventLogError(f"{path.name}: the file holds no data.")
    if not prolog.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UnsupportedFormatError(
            f"{path.name}: the content is not XML, so it is not XES. Check the file type."
        )
    _check_prolog(prolog, path.name)

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
    return RawTable(frame, path.name, "xes", {"compressed": compressed, "traces": traces})


def _read_parquet(path: Path, compressed: bool) -> RawTable:
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
    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise EventLogError(f"{path.name}: the Parquet file cannot be read ({exc}).") from None
    if frame.empty:
        raise EventLogError(f"{path.name}: the Parquet file has no rows.")
    return RawTable(frame, path.name, "parquet", {"compressed": False})
