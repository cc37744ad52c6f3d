"""Write result tables as CSV and Excel, safe to open in a spreadsheet; make results JSON-ready.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is taken as a
formula by Excel, LibreOffice and Google Sheets; an activity or resource name from an event log could
thus run a formula on an analyst's machine (CSV / formula injection). Such text cells are written with a
leading apostrophe, which spreadsheets show as text; numbers (``-5``) are left as numbers.

References
----------
OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mapper.errors import FlowreadyError


def json_ready(value):
    """A value made ready for strict JSON: the one conversion of every ``to_dict`` in flowready.

    Parameters
    ----------
    value : object
        A scalar, or a dict, list or tuple of them (nested at any depth).

    Returns
    -------
    object
        The same structure with numpy scalars as Python numbers, NaN, infinities, ``pd.NaT`` and
        ``pd.NA`` as None, timestamps as ISO 8601 strings, tuples as lists and dict keys as strings;
        anything else unchanged.

    Examples
    --------
    >>> json_ready({"a": np.int64(3), "b": [float("nan"), pd.Timestamp("2024-01-02")]})
    {'a': 3, 'b': [None, '2024-01-02T00:00:00']}
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_records(frame: pd.DataFrame) -> list[dict]:
    """The rows of a table as JSON-ready dicts (:func:`json_ready` of each row).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table; not changed.

    Returns
    -------
    list of dict
        One dict per row, column name -> value.
    """
    return [json_ready(r) for r in frame.to_dict(orient="records")]


def json_text(document: dict) -> str:
    """A JSON document as flowready writes every JSON file: indented, UTF-8 text, strict (no NaN).

    Parameters
    ----------
    document : dict
        JSON-ready (see :func:`json_ready`).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        ``document`` holds NaN or infinity (make it JSON-ready first).
    """
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


#: Leading characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})
#: Rows a sheet of ``tables.xlsx`` holds at most (:func:`export_tables`); the CSV files hold every row.
EXCEL_MAX_ROWS = 10_000
#: Data rows an Excel sheet holds: 2**20 rows, less the header.
EXCEL_SHEET_ROWS = 1_048_575


def _neutralise_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells (and column names) that a spreadsheet would run as a formula with ``'``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table. Not changed.

    Returns
    -------
    pandas.DataFrame
        A copy in which every ``str`` cell and column name beginning with one of
        :data:`FORMULA_PREFIXES` starts with an apostrophe instead. Numeric, boolean, datetime and
        missing cells are unchanged.
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.astype("string")
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
            if risky.any():
                out[col] = s.astype(object).where(~risky, "'" + text[risky].astype(object))
    out.columns = [_neutralise_text(str(c)) for c in out.columns]
    return out


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel holds no time zones: aware datetimes become naive UTC; lists/dicts become text."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif s.dtype == object:
            out[col] = s.map(lambda v: str(v) if isinstance(v, (list, tuple, dict, set)) else v)
    return out


def export_table(frame: pd.DataFrame, path: str | Path, *, sheet: str = "table") -> Path:
    """Write one table as ``.csv`` (UTF-8 with BOM, for Excel) or ``.xlsx``, formulas neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table. Not changed. Time-zone-aware datetimes are written in UTC (Excel has no zones).
    path : str or pathlib.Path
        Ends in ``.csv`` or ``.xlsx``.
    sheet : str
        Excel sheet name.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FlowreadyError
        When the suffix is neither ``.csv`` nor ``.xlsx``.
    """
    path = Path(path)
    safe = neutralise_formulas(frame)
    if path.suffix.lower() == ".csv":
        # CRLF rows (RFC 4180): a value holding a bare CR or LF is then quoted, not split.
        safe.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    elif path.suffix.lower() == ".xlsx":
        export_tables({sheet: frame}, path)
    else:
        raise FlowreadyError(f"{path.name}: tables are written as .csv or .xlsx.")
    return path


def export_tables(
    tables: Mapping[str, pd.DataFrame], path: str | Path, *, max_rows: int | None = EXCEL_MAX_ROWS
) -> Path:
    """Write several tables into one ``.xlsx`` workbook, one sheet each, formulas neutralised.

    A workbook is for reading: a sheet holds at most ``max_rows`` rows (the first ones, in the table's
    order; the long tables, such as the stuck cases, are sorted with the most important first). When a
    sheet is cut, a last sheet ``truncated`` says which, and how many rows each table has: the complete
    tables are the CSV files (:func:`export_table`). Writing every row of a log of 10^8 events would
    take minutes and can pass Excel's limit of 1,048,576 rows.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Sheet name (cut to Excel's 31 characters) to table. Not changed.
    path : str or pathlib.Path
        The ``.xlsx`` file.
    max_rows : int or None, default :data:`EXCEL_MAX_ROWS`
        Rows per sheet at most; None writes every row (up to Excel's limit).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FlowreadyError
        ``max_rows`` is not a positive integer, or a table has more rows than Excel holds.

    Examples
    --------
    >>> import tempfile
    >>> from openpyxl import load_workbook
    >>> out = Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> _ = export_tables({"big": pd.DataFrame({"x": range(5)})}, out, max_rows=3)
    >>> book = load_workbook(out)
    >>> book.sheetnames, book["big"].max_row, book["truncated"]["C2"].value
    (['big', 'truncated'], 4, 5)
    """
    if max_rows is not None and (isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1):
        raise FlowreadyError(f"max_rows must be a positive integer or None, not {max_rows!r}.")
    path = Path(path)
    cut = []
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            sheet = str(name).translate(_EXCEL_SHEET_CHARS)[:31] or "table"
            rows = len(frame)
            limit = EXCEL_SHEET_ROWS if max_rows is None else min(max_rows, EXCEL_SHEET_ROWS)
            if rows > limit:
                if max_rows is None:
                    raise FlowreadyError(
                        f"table {name!r} has {rows:,} rows, more than an Excel sheet holds "
                        f"({EXCEL_SHEET_ROWS:,}); write it as .csv or give max_rows."
                    )
                frame = frame.head(limit)
                cut.append({"sheet": sheet, "rows_written": limit, "rows_total": rows})
            _excel_ready(neutralise_formulas(frame)).to_excel(writer, sheet_name=sheet, index=False)
        if cut:
            notes = pd.DataFrame(cut)
            notes["note"] = [
                f"The first {r.rows_written:,} of {r.rows_total:,} rows; the CSV export holds them all."
                for r in notes.itertuples()
            ]
            notes.to_excel(writer, sheet_name="truncated", index=False)
    return path
