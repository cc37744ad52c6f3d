"""Write result tables as CSV and Excel, safe to open in a spreadsheet.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is taken as a
formula by Excel, LibreOffice and Google Sheets; an activity or resource name from an event log could
thus run a formula on an analyst's machine (CSV / formula injection). Such text cells are written with a
leading apostrophe, which spreadsheets show as text; numbers (``-5``) are left as numbers.

References
----------
OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from mapper.errors import FlowreadyError

#: Leading characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_EXCEL_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


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


def export_tables(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write several tables into one ``.xlsx`` workbook, one sheet each, formulas neutralised.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Sheet name (cut to Excel's 31 characters) to table. Not changed.
    path : str or pathlib.Path
        The ``.xlsx`` file.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            sheet = str(name).translate(_EXCEL_SHEET_CHARS)[:31] or "table"
            _excel_ready(neutralise_formulas(frame)).to_excel(writer, sheet_name=sheet, index=False)
    return path
