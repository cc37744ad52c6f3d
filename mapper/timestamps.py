"""Parse timestamp columns without guessing what cannot be known.

Rules: an explicit format wins; ISO 8601 is recognised; numeric day/month dates are parsed only when
the data prove the order (a first part above 12 means day-first) or the user says ``dayfirst``;
otherwise the column is refused as ambiguous. Values with a UTC offset keep it; naive values are taken
in a named time zone (default UTC) and that is reported. Everything is returned in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from mapper.errors import TimestampError

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
# An offset only counts after a time of day, so the year of "15-07-2024" is not read as one.
_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
#: Share of values that must look like ISO 8601 for the column to be read as ISO 8601 (the rest are
#: reported as unparseable rather than changing how the good values are read).
ISO_MAJORITY = 0.5
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:\D.*)?$")
#: Day zero of Excel's two date systems (1900 counts the phantom 29 February 1900, hence the 30th).
EXCEL_ORIGINS = {"1900": pd.Timestamp("1899-12-30"), "1904": pd.Timestamp("1904-01-01")}
#: Largest Excel serial day number (31 December 9999).
EXCEL_MAX_SERIAL = 2958465


@dataclass(frozen=True)
class ParsedTimes:
    """The result of parsing one timestamp column.

    Attributes
    ----------
    values : pandas.Series
        ``datetime64[ns, UTC]``; ``NaT`` where the value was missing or could not be parsed.
    missing : pandas.Series of bool
        The value was empty.
    bad : pandas.Series of bool
        The value was present but could not be parsed with the column's format.
    format : str
        The format used, in words (``"ISO 8601"``, ``"day-first (DD/MM/YYYY)"``, or the strptime format).
    zone : str
        ``"UTC offsets in the data"`` or ``"naive, taken as <zone>"``.
    date_only : bool
        Every value is a date without a time of day.
    repairs : dict of str to int
        Values that needed a documented repair (e.g. a wall-clock time that does not exist in the zone).
    repair_rows : dict of str to pandas.Index
        The index labels (row positions) of the repaired values, per repair.
    """

    values: pd.Series
    missing: pd.Series
    bad: pd.Series
    format: str
    zone: str
    date_only: bool
    repairs: dict
    repair_rows: dict = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.repair_rows is None:
            object.__setattr__(self, "repair_rows", {})


def _localize(parsed: pd.Series, tz: str, repairs: dict, rows: dict | None = None) -> pd.Series:
    try:
        strict = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    except Exception as exc:  # unknown zone names
        raise TimestampError(
            f"unknown time zone {tz!r} ({exc}); use an IANA name such as Europe/London."
        ) from None
    gap = strict.isna() & parsed.notna()
    if gap.any():
        lenient = parsed.dt.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
        fall_back = gap & (lenient.dt.tz_localize(None) == parsed)
        n_fb, n_gap = int(fall_back.sum()), int((gap & ~fall_back).sum())
        fold_key = f"wall-clock time repeated at the end of summer time in {tz}: taken as standard time"
        gap_key = f"wall-clock time skipped at the start of summer time in {tz}: moved forward"
        for key, n, mask in ((fold_key, n_fb, fall_back), (gap_key, n_gap, gap & ~fall_back)):
            if n:
                repairs[key] = repairs.get(key, 0) + n
                if rows is not None:
                    rows[key] = rows.get(key, pd.Index([])).append(parsed.index[mask])
        strict = lenient
    return strict.dt.tz_convert("UTC")


def parse_timestamps(
    raw: pd.Series,
    *,
    column: str,
    source: str,
    timestamp_format: str | None = None,
    dayfirst: bool | None = None,
    timezone: str = "UTC",
    row_label=lambda i: f"row {i + 1}",
    excel_epoch: str | None = None,
) -> ParsedTimes:
    """Parse one timestamp column to UTC.

    One format per column: an explicit ``timestamp_format``, else ISO 8601 when most values are ISO,
    else numeric day/month dates with a proven or given order, else the format pandas guesses from the
    first value (reported as a strptime format). Values that do not fit the column's format are
    returned as ``bad``, never coerced silently to missing.

    Parameters
    ----------
    raw : pandas.Series
        Text values (or already-parsed datetimes, e.g. from Parquet), one per row.
    column : str
        The column's name in the source, for messages.
    source : str
        The file name, for messages.
    timestamp_format : str, optional
        A ``strptime`` format such as ``"%d/%m/%Y %H:%M"``; when given, nothing is detected.
    dayfirst : bool, optional
        For numeric dates such as ``01/02/2024``: ``True`` reads 1 February, ``False`` 2 January.
        ``None`` refuses ambiguous columns rather than guess.
    timezone : str
        IANA zone in which naive values are taken (default ``"UTC"``).
    row_label : callable
        Maps an index label of ``raw`` (the 0-based row position in the source) to a label for
        messages (``"row 7 (line 8)"``).
    excel_epoch : {"1900", "1904"}, optional
        The column comes from an Excel sheet: its cells may be dates (native), numbers (serial day
        numbers in that date system, converted and counted in ``repairs``) or text (parsed as above).

    Returns
    -------
    ParsedTimes

    Raises
    ------
    TimestampError
        The day/month order is ambiguous and ``dayfirst`` was not given, the data contradict the
        ``dayfirst`` given (a month above 12), or no present value can be parsed.
    """
    repairs: dict[str, int] = {}
    rows: dict[str, pd.Index] = {}
    if excel_epoch is not None and raw.dtype == object:
        return _parse_excel(raw, column, source, timestamp_format, dayfirst, timezone, row_label, excel_epoch)
    if pd.api.types.is_datetime64_any_dtype(raw):
        missing = raw.isna()
        if getattr(raw.dt, "tz", None) is not None:
            values, zone = raw.dt.tz_convert("UTC"), "time zone stored in the data"
        else:
            values, zone = _localize(raw, timezone, repairs, rows), f"naive, taken as {timezone}"
        date_only = bool(
            (values.dropna().dt.tz_convert(None).dt.normalize() == values.dropna().dt.tz_convert(None)).all()
        )
        return ParsedTimes(
            values.astype("datetime64[ns, UTC]"),
            missing,
            missing & False,
            "native datetime",
            zone,
            date_only,
            repairs,
            rows,
        )

    text = raw.astype("string").str.strip()
    missing = text.isna() | (text == "")
    present = text[~missing]
    if present.empty:
        return ParsedTimes(
            pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]"),
            missing,
            missing & False,
            "none",
            "none",
            False,
            repairs,
        )
    has_offset = present.str.contains(_OFFSET)
    if timestamp_format is not None:
        fmt_label = timestamp_format
        parse_kw: dict = {"format": timestamp_format}
    elif present.str.match(_ISO).mean() >= ISO_MAJORITY:
        fmt_label, parse_kw = "ISO 8601", {"format": "ISO8601"}
    else:
        parts = present.str.extract(_DMY)
        dmy = parts[0].notna()
        if dmy.mean() > 0.5:
            a, b = parts.loc[dmy, 0].astype(int), parts.loc[dmy, 1].astype(int)
            day_evidence, month_evidence = (a > 12).any(), (b > 12).any()
            contradiction = (a > 12) if dayfirst is False else ((b > 12) if dayfirst is True else None)
            if contradiction is not None and contradiction.any():
                pos = contradiction.index[contradiction][0]
                order = "day-first" if dayfirst else "month-first"
                raise TimestampError(
                    f"{source}: column {column!r}: {row_label(pos)} holds {present[pos]!r}, which cannot be "
                    f"{order}. Check `dayfirst={dayfirst}`, or give the format with `timestamp_format`."
                )
            if dayfirst is None:
                if day_evidence and not month_evidence:
                    dayfirst = True
                elif month_evidence and not day_evidence:
                    dayfirst = False
                elif not day_evidence and not month_evidence:
                    pos = present.index[dmy][0]
                    raise TimestampError(
                        f"{source}: column {column!r}: the day/month order is ambiguous (e.g. "
                        f"{row_label(pos)}: {present[pos]!r} could be either). "
                        "Set `dayfirst=True` for DD/MM (UK) or `dayfirst=False` for MM/DD (US), or give "
                        "the format, e.g. `timestamp_format='%m/%d/%Y %H:%M'`."
                    )
                else:
                    d_pos = a.index[a > 12][0]
                    m_pos = b.index[b > 12][0]
                    raise TimestampError(
                        f"{source}: column {column!r} mixes day-first and month-first dates: "
                        f"{row_label(d_pos)} holds {present[d_pos]!r} (day first) and {row_label(m_pos)} "
                        f"holds {present[m_pos]!r} (month first). Fix the export, or give the format of "
                        "one of them with `timestamp_format`."
                    )
            fmt_label = "day-first (DD/MM/YYYY)" if dayfirst else "month-first (MM/DD/YYYY)"
            parse_kw = {"dayfirst": bool(dayfirst)}
        else:
            guessed = _guess_format(present)
            if guessed is None:
                pos = present.index[0]
                raise TimestampError(
                    f"{source}: column {column!r}: no value could be read as a timestamp (e.g. "
                    f"{row_label(pos)}: {present[pos]!r}). Give the format, e.g. "
                    "`timestamp_format='%d.%m.%Y %H:%M'`, or check that this is the right column."
                )
            fmt_label, parse_kw = f"{guessed} (detected)", {"format": guessed}

    def _parse(values: pd.Series, utc: bool) -> pd.Series:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return pd.to_datetime(values, errors="coerce", utc=utc, **parse_kw)
            except (ValueError, TypeError) as exc:
                raise TimestampError(
                    f"{source}: column {column!r}: cannot parse timestamps ({exc}). Give the format with "
                    "`timestamp_format`."
                ) from None

    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    with_offset = present[has_offset]
    naive = present[~has_offset]
    if not with_offset.empty:
        values.loc[with_offset.index] = _parse(with_offset, utc=True)
    if not naive.empty:
        parsed = _parse(naive, utc=False)
        if getattr(parsed.dt, "tz", None) is not None:  # a %z in the given format
            values.loc[naive.index] = parsed.dt.tz_convert("UTC")
        else:
            values.loc[naive.index] = _localize(parsed, timezone, repairs, rows)
    bad = ~missing & values.isna()
    if bad[~missing].all():
        example = present.iloc[0]
        raise TimestampError(
            f"{source}: column {column!r}: no value could be read as a timestamp (e.g. {example!r}). "
            "Give the format with `timestamp_format`, or check that this is the right column."
        )
    if has_offset.all():
        zone = "UTC offsets in the data"
    elif has_offset.any():
        zone = f"mixed: UTC offsets where given, otherwise taken as {timezone}"
    else:
        zone = f"naive, taken as {timezone}"
    good = present[~bad[~missing]]
    date_only = bool(good.str.len().max() <= 10) if not good.empty else False
    return ParsedTimes(values, missing, bad, fmt_label, zone, date_only, repairs, rows)


def _guess_format(present: pd.Series) -> str | None:
    """The strptime format most of the first distinct values follow (pandas' guesser), or None."""
    sample = pd.unique(present.head(2000).to_numpy())[:200]
    guesses = pd.Series([guess_datetime_format(str(v)) for v in sample], dtype=object).dropna()
    return None if guesses.empty else str(guesses.value_counts().index[0])


def _excel_kind(v) -> str:
    if isinstance(v, bool):
        return "other"
    if isinstance(v, (dt.datetime, dt.date)):
        return "date"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    return "other"


def _parse_excel(raw, column, source, timestamp_format, dayfirst, timezone, row_label, epoch) -> ParsedTimes:
    """An Excel column: date cells are native, numeric cells are serial day numbers, text is parsed."""
    kind = raw.map(_excel_kind)  # one pass over the cells
    is_date, is_num = kind == "date", kind == "number"
    is_text = raw.notna() & ~is_date & ~is_num
    repairs: dict[str, int] = {}
    rows: dict[str, pd.Index] = {}
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    missing = raw.isna()
    bad = pd.Series(False, index=raw.index)
    labels = []
    if is_date.any():
        native = pd.to_datetime(raw[is_date].map(pd.Timestamp))
        values.loc[is_date] = _localize(native, timezone, repairs, rows)
        labels.append("Excel date cells")
    if is_num.any():
        serial = raw[is_num].astype(float)
        ok = (serial >= 1) & (serial <= EXCEL_MAX_SERIAL)
        days = pd.to_timedelta(serial[ok].round(9) * 86400, unit="s").dt.round("ms")
        values.loc[ok.index[ok]] = _localize(EXCEL_ORIGINS[epoch] + days, timezone, repairs, rows)
        bad.loc[ok.index[~ok]] = True
        key = f"Excel serial day numbers converted to dates ({epoch} date system)"
        repairs[key] = int(ok.sum())
        rows[key] = ok.index[ok]
        labels.append(f"Excel serial numbers ({epoch} date system)")
    text_zone = None
    if is_text.any():
        text = raw[is_text].astype(str)
        text = text[text.str.strip() != ""]
        missing = missing | (is_text & ~raw.index.isin(text.index))
        if not text.empty:
            parsed = parse_timestamps(
                text,
                column=column,
                source=source,
                timestamp_format=timestamp_format,
                dayfirst=dayfirst,
                timezone=timezone,
                row_label=row_label,
            )
            values.loc[text.index] = parsed.values
            bad.loc[text.index] = parsed.bad
            for how, n in parsed.repairs.items():
                repairs[how] = repairs.get(how, 0) + n
                rows[how] = rows.get(how, pd.Index([])).append(parsed.repair_rows.get(how, pd.Index([])))
            labels.append(f"text: {parsed.format}")
            text_zone = parsed.zone
    good = values.dropna()
    date_only = bool(len(good)) and bool(
        (
            good.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
            == good.dt.tz_convert(timezone).dt.tz_localize(None)
        ).all()
    )
    zone = text_zone if text_zone and not (is_date.any() or is_num.any()) else f"naive, taken as {timezone}"
    return ParsedTimes(values, missing, bad, "; ".join(labels) or "none", zone, date_only, repairs, rows)
