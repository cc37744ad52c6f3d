"""Keyed pseudonyms for case ids, resource names and other identifying columns.

Each chosen value is replaced by ``HMAC-SHA256(key, value)`` [1]_, written as hex and cut to 16 hex
characters (64 bits), optionally after a prefix such as ``"case-"``.

What it protects
----------------
- Names and ids are no longer readable in the event table, nor in anything computed from it.
- The same value always gets the same pseudonym under the same key, within a run and across runs, so
  cases stay cases, a person's hand-offs stay that person's, and the analysis gives the same numbers.
- Without the key, reversing a pseudonym means guessing the original and computing the HMAC, which
  needs the key. A plain unkeyed hash of a name could be reversed by hashing a list of staff names.

What it does not protect
------------------------
- Pseudonymised data is still personal data under the UK GDPR [2]_: whoever holds the key, or enough
  other information, can link it back to people. It is not anonymisation.
- Anyone holding the key can re-create the mapping by hashing candidate names. Keep the key apart from
  the outputs.
- Timestamps, rare sequences of activities, free-text attributes and small counts (the only case of a
  kind, the one person on a night shift) can re-identify people without any key.
- Columns not chosen are left exactly as they are.

References
----------
.. [1] H. Krawczyk, M. Bellare and R. Canetti, "HMAC: Keyed-Hashing for Message Authentication",
   RFC 2104, IETF, 1997. https://www.rfc-editor.org/rfc/rfc2104
.. [2] Information Commissioner's Office (ICO), "Guide to the UK GDPR: pseudonymisation", part of the
   ICO's guidance on anonymisation and pseudonymisation. https://ico.org.uk/
"""

from __future__ import annotations

import hmac
import html
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from mapper.errors import PseudonymisationError

__all__ = [
    "MIN_KEY_BYTES",
    "PSEUDONYM_KEY_ENV",
    "PseudonymisationError",
    "load_pseudonym_key",
    "pseudonym",
    "pseudonymise_events",
]

#: Environment variable read by :func:`load_pseudonym_key` when no key file is given.
PSEUDONYM_KEY_ENV = "FLOWREADY_PSEUDONYM_KEY"
#: Shortest key accepted, in bytes (128 bits if every byte were random).
MIN_KEY_BYTES = 16

#: Hex characters kept from the HMAC-SHA256 digest: 16 hex characters = 8 bytes = 64 bits.
_HEX_CHARS = 16
_METHOD = "HMAC-SHA256, 64-bit, keyed"
_MAKE_KEY = 'python -c "import secrets; print(secrets.token_hex(32))" > key.txt'


def load_pseudonym_key(key_file: str | Path | None = None, *, env: str = PSEUDONYM_KEY_ENV) -> bytes:
    """Read the secret key for :func:`pseudonym` from a file or from an environment variable.

    The key is used as it is: its bytes (the file's bytes, or the variable's text as UTF-8) with
    trailing whitespace and newlines removed, so a file written by ``echo`` or ``print`` and a variable
    set from that file give the same key. A 64-character hex string such as the one made by
    ``secrets.token_hex(32)`` is therefore a 64-byte key holding 256 random bits.

    Parameters
    ----------
    key_file : str or pathlib.Path or None, default None
        File holding the key. When given, it wins over the environment variable.
    env : str, default ``"FLOWREADY_PSEUDONYM_KEY"``
        Environment variable read when ``key_file`` is None.

    Returns
    -------
    bytes
        The key, at least :data:`MIN_KEY_BYTES` (16) bytes long.

    Raises
    ------
    PseudonymisationError
        If the file is missing, unreadable or empty; if no file is given and the variable is unset or
        empty; or if the key is shorter than :data:`MIN_KEY_BYTES`. The message names the file or the
        variable and says how to make a key; it never contains the key.

    See Also
    --------
    pseudonymise_events : Replace the values of chosen columns by pseudonyms.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "key.txt"
    >>> _ = path.write_text("0123456789abcdef0123456789abcdef")
    >>> len(load_pseudonym_key(path))
    32
    """
    if key_file is not None:
        path = Path(key_file)
        source = f"key file {str(path)!r}"
        try:
            key = path.read_bytes()
        except FileNotFoundError:
            raise PseudonymisationError(
                f"The pseudonym key file {str(path)!r} does not exist. Make a key with\n    {_MAKE_KEY}\n"
                f"and pass its path, or set the environment variable {env} instead."
            ) from None
        except OSError as exc:
            raise PseudonymisationError(
                f"The pseudonym key file {str(path)!r} cannot be read "
                f"({exc.strerror or type(exc).__name__}). Check that it is a file and that you may read it."
            ) from None
    else:
        text = os.environ.get(env)
        if text is None:
            raise PseudonymisationError(
                f"No pseudonym key: give a key file or set the environment variable {env}. "
                f"Make a key with\n    {_MAKE_KEY}\nkeep it apart from the outputs, and reuse it so "
                "that pseudonyms stay the same across runs."
            )
        source = f"environment variable {env}"
        key = text.encode("utf-8", errors="surrogatepass")
    key = key.rstrip()
    if not key:
        raise PseudonymisationError(
            f"The pseudonym key in the {source} is empty. Make a key with\n    {_MAKE_KEY}"
        )
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymisationError(
            f"The pseudonym key in the {source} is {len(key)} bytes long; at least {MIN_KEY_BYTES} are "
            f"needed, since a short key can be guessed. Make a key with\n    {_MAKE_KEY}"
        )
    return key


def _check_key(key: object) -> None:
    """Refuse keys that are not bytes or are too short, without ever echoing them."""
    if not isinstance(key, bytes | bytearray):
        raise PseudonymisationError(
            f"The pseudonym key must be bytes, got {type(key).__name__}; read it with load_pseudonym_key()."
        )
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymisationError(
            f"The pseudonym key is {len(key)} bytes long; at least {MIN_KEY_BYTES} are needed. "
            f"Make a key with\n    {_MAKE_KEY}"
        )


def _digest(text: str, key: bytes) -> str:
    # surrogatepass: strings read with surrogateescape still get a (stable) pseudonym instead of a crash.
    mac = hmac.digest(bytes(key), text.encode("utf-8", errors="surrogatepass"), "sha256")
    return mac[: _HEX_CHARS // 2].hex()


def pseudonym(value: str, key: bytes, *, prefix: str = "") -> str:
    """The keyed pseudonym of one value: ``prefix`` + the first 16 hex characters of HMAC-SHA256.

    Parameters
    ----------
    value : str
        The value to hide, hashed as its UTF-8 bytes exactly as given (``"Anna"`` and ``"anna "``
        get different pseudonyms).
    key : bytes
        The secret key, at least :data:`MIN_KEY_BYTES` bytes, e.g. from :func:`load_pseudonym_key`.
    prefix : str, default ""
        Put before the hex digest, to show what kind of value it stands for (``"case-"``).

    Returns
    -------
    str
        ``prefix`` followed by 16 lowercase hex characters (64 bits). The same value and key always
        give the same pseudonym; another key gives an unrelated one.

    Raises
    ------
    PseudonymisationError
        If ``key`` is not bytes or is shorter than :data:`MIN_KEY_BYTES`.

    See Also
    --------
    pseudonymise_events : The same for whole columns, one HMAC per distinct value.

    References
    ----------
    .. [1] H. Krawczyk, M. Bellare and R. Canetti, "HMAC: Keyed-Hashing for Message Authentication",
       RFC 2104, IETF, 1997.

    Examples
    --------
    >>> key = b"0123456789abcdef0123456789abcdef"
    >>> p = pseudonym("Anna Smith", key, prefix="res-")
    >>> p.startswith("res-"), len(p)
    (True, 20)
    >>> p == pseudonym("Anna Smith", key, prefix="res-")
    True
    """
    _check_key(key)
    return prefix + _digest(str(value), key)


def _default_prefix(column: str) -> str:
    """``f"{column}-"`` with runs of anything but letters, digits and ``_`` made ``_``."""
    stem = re.sub(r"[^0-9A-Za-z_]+", "_", str(column)).strip("_")
    return f"{stem or 'value'}-"


def _prefixes(columns: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(columns, Mapping):
        return {col: str(prefix) for col, prefix in columns.items()}
    if isinstance(columns, str):  # a lone name, not a sequence of one-letter names
        columns = [columns]
    return {col: _default_prefix(col) for col in dict.fromkeys(columns)}


def _pseudonymise_column(series: pd.Series, key: bytes, prefix: str, column: str) -> tuple[pd.Series, int]:
    """Pseudonyms for one column: factorize, one HMAC per distinct value, map back by code."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = [str(u) for u in np.asarray(uniques, dtype=object)]
    if len(set(texts)) < len(texts):
        raise PseudonymisationError(
            f"Column {column!r} holds distinct values that read as the same text (e.g. the number 1 and "
            "the text '1'); they would get one pseudonym and be merged. Convert the column to text "
            "first, e.g. by loading it with load_event_log()."
        )
    pseudonyms = np.array([prefix + _digest(text, key) for text in texts], dtype=object)
    if len(set(pseudonyms)) < len(pseudonyms):
        # 64 bits make this astronomically unlikely, but a collision would silently merge two cases.
        raise PseudonymisationError(
            f"Two distinct values of column {column!r} got the same 64-bit pseudonym, which would merge "
            "them. Make a new key and run again."
        )
    values = series.to_numpy(dtype=object, copy=True)  # keeps NaN / None / pd.NA where values are missing
    present = codes >= 0
    values[present] = pseudonyms[codes[present]]
    out = pd.Series(values, index=series.index, name=series.name, dtype=object)
    if isinstance(series.dtype, pd.StringDtype):
        out = out.astype(series.dtype)
    return out, len(texts)


@dataclass(frozen=True)
class Pseudonymised:
    """A pseudonymised event table and what was done to it (:func:`pseudonymise_events`).

    Attributes
    ----------
    events : pandas.DataFrame of shape (n_events, n_columns)
        A copy of the table given in which each chosen column holds ``prefix`` + 16 hex characters
        wherever it held a value (see :func:`pseudonymise_events`).
    columns : tuple of str
        The pseudonymised columns, in order.
    distinct_values : tuple of int
        The number of distinct non-missing values of each column of ``columns``.
    method : str
        ``"HMAC-SHA256, 64-bit, keyed"``.
    note : str
        A sentence for the import report ("" from :func:`pseudonymise_events`).
    """

    events: pd.DataFrame
    columns: tuple
    distinct_values: tuple
    method: str
    note: str = ""

    def report(self) -> dict:
        """What was done, safe to write next to the outputs (neither the key nor any original value).

        Returns
        -------
        dict
            A new dict: ``"columns"`` (list of str), ``"distinct_values"`` (dict of column to int),
            ``"method"`` (str), ``"key_source"`` (None: the caller that loaded the key may fill in where it
            came from, ``"file"`` or ``"environment"``, never the key itself).

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> key = b"0123456789abcdef0123456789abcdef"
        >>> pseudonymise_events(log.events, key, ["case_id"]).report()["distinct_values"]
        {'case_id': 1000}
        """
        return {
            "columns": list(self.columns),
            "distinct_values": dict(zip(self.columns, self.distinct_values, strict=True)),
            "method": self.method,
            "key_source": None,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per pseudonymised column: ``column`` (str), ``distinct_values`` (int64).

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> key = b"0123456789abcdef0123456789abcdef"
        >>> pseudonymise_events(log.events, key, ["case_id"]).to_frame()["column"].tolist()
        ['case_id']
        """
        return pd.DataFrame(
            {"column": list(self.columns), "distinct_values": list(self.distinct_values)}
        ).astype({"distinct_values": "int64"})

    def plot(self):
        """A plotly bar chart of the distinct values pseudonymised in each column.

        Returns
        -------
        plotly.graph_objects.Figure
            One bar per column of :attr:`columns` (y: distinct values, int); names escaped.

        Examples
        --------
        >>> log = load_event_log(SAMPLE)
        >>> key = b"0123456789abcdef0123456789abcdef"
        >>> [int(y) for y in pseudonymise_events(log.events, key, ["case_id"]).plot().data[0].y]
        [1000]
        """
        import plotly.graph_objects as go

        from mapper.escape import escape_figure

        d = self.to_frame()
        fig = go.Figure(go.Bar(x=d["column"], y=d["distinct_values"], marker_color="#0072b2"))
        fig.update_layout(
            title=f"Pseudonymised columns ({self.method})",
            yaxis_title="distinct values",
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
        )
        return escape_figure(fig)

    def _repr_html_(self) -> str:
        note = f"<p>{html.escape(self.note)}</p>" if self.note else ""
        return (
            f"<b>Pseudonymised</b> ({html.escape(self.method)}): {len(self.events):,} events"
            + note
            + self.to_frame().to_html(index=False)
        )


def pseudonymise_events(
    events: pd.DataFrame, key: bytes, columns: Mapping[str, str] | Sequence[str]
) -> Pseudonymised:
    """Replace the values of chosen columns by keyed pseudonyms, in a new DataFrame.

    Each column is factorized, one HMAC-SHA256 is computed per distinct value, and the pseudonyms are
    mapped back to the rows by code, so the cost grows with the number of distinct values, not rows.
    Equal values get equal pseudonyms and distinct values distinct ones, so grouping by case or by
    resource gives the same groups as before.

    Parameters
    ----------
    events : pandas.DataFrame of shape (n_events, n_columns)
        The event table, usually ``load_event_log(...).events``. It is not changed.
    key : bytes
        The secret key, at least :data:`MIN_KEY_BYTES` bytes, e.g. from :func:`load_pseudonym_key`.
    columns : mapping of str to str, or sequence of str
        The columns to pseudonymise. A mapping gives each column's prefix
        (``{"case_id": "case-", "resource": "res-"}``); a sequence uses ``f"{column}-"`` with anything
        but letters, digits and ``_`` replaced by ``_`` (``"org:resource"`` -> ``"org_resource-"``).

    Returns
    -------
    Pseudonymised
        ``events``: a copy of ``events`` in which each chosen column holds ``prefix`` + 16 hex
        characters (``object`` dtype, or the column's own ``string`` dtype) wherever it held a value.
        Missing values stay missing as they were. Values are turned into text with ``str()`` first, so
        integer ids work. Every other column is unchanged. :meth:`Pseudonymised.report` says what was
        done, safe to write next to the outputs: it holds neither the key nor any original value.

    Raises
    ------
    PseudonymisationError
        If ``key`` is not bytes or is too short; if a column is not in ``events`` (the message names
        it and lists the columns available) or appears more than once; if a column holds distinct
        values with the same text (``1`` and ``"1"``); or if two distinct values of a column get the
        same pseudonym (64 bits make this astronomically unlikely; it would merge two cases).

    See Also
    --------
    load_pseudonym_key : Read the key from a file or the environment.
    pseudonym : The pseudonym of one value.

    Notes
    -----
    Pseudonymised data is still personal data under the UK GDPR [2]_. Timestamps, rare activity
    sequences, free-text attributes and small counts can still identify people, anyone holding the key
    can re-create the mapping by hashing candidate names, and columns not chosen are left as they are.
    Pseudonymise the loaded event table, whose ids are already stripped text (``1.0`` read as ``1``),
    so the same case gets the same pseudonym from every extract.

    References
    ----------
    .. [1] H. Krawczyk, M. Bellare and R. Canetti, "HMAC: Keyed-Hashing for Message Authentication",
       RFC 2104, IETF, 1997.
    .. [2] ICO, "Guide to the UK GDPR: pseudonymisation".

    Examples
    --------
    >>> from mapper import load_event_log
    >>> log = load_event_log("sample_logs/council_permits.csv")
    >>> key = b"0123456789abcdef0123456789abcdef"
    >>> done = pseudonymise_events(log.events, key, {"case_id": "case-", "resource": "res-"})
    >>> done.events["case_id"].str.startswith("case-").all()
    np.True_
    >>> done.events["case_id"].nunique() == log.events["case_id"].nunique()
    True
    >>> done.method
    'HMAC-SHA256, 64-bit, keyed'
    """
    _check_key(key)
    prefixes = _prefixes(columns)
    missing = [col for col in prefixes if col not in events.columns]
    if missing:
        names = ", ".join(repr(col) for col in missing)
        available = ", ".join(repr(str(col)) for col in events.columns)
        raise PseudonymisationError(
            f"Cannot pseudonymise column(s) {names}: not in the event table. Available columns: {available}."
        )
    repeated = [col for col in prefixes if int((events.columns == col).sum()) > 1]
    if repeated:
        raise PseudonymisationError(
            f"Column(s) {', '.join(repr(col) for col in repeated)} appear more than once in the event "
            "table; give the columns unique names first."
        )
    out = events.copy()
    distinct: dict[str, int] = {}
    for col, prefix in prefixes.items():
        pseudonymised, n_distinct = _pseudonymise_column(events[col], bytes(key), prefix, col)
        out[col] = pseudonymised
        distinct[col] = n_distinct
    return Pseudonymised(out, tuple(prefixes), tuple(distinct[c] for c in prefixes), _METHOD)


#: Pseudonym prefixes of the canonical columns (other columns use ``"<column>-"``).
PREFIXES = {"case_id": "case-", "system_case_id": "case-", "resource": "res-", "role": "team-"}
_OPTIONAL = ("case_id", "system_case_id", "resource", "role")


def pseudonymise_event_table(
    events: pd.DataFrame, key: bytes, columns: Sequence[str], *, source: str = "<events>"
) -> Pseudonymised:
    """Pseudonymise the chosen columns of a canonical event table (as :func:`mapper.load_event_log` does).

    Parameters
    ----------
    events : pandas.DataFrame
        A canonical event table. Not changed.
    key : bytes
        The secret key (:func:`load_pseudonym_key`).
    columns : sequence of str
        Columns to pseudonymise. ``case_id`` also pseudonymises ``system_case_id`` (merged logs) with
        the same prefix, so that an id keeps one pseudonym; canonical columns absent from the table
        are skipped.

    Returns
    -------
    Pseudonymised
        As :func:`pseudonymise_events`, with ``note``: a sentence for the import report.

    Raises
    ------
    PseudonymisationError
        A named attribute column does not exist.
    """
    wanted_cols = list(dict.fromkeys([*columns, *(["system_case_id"] if "case_id" in columns else [])]))
    missing = [c for c in wanted_cols if c not in events and c not in _OPTIONAL]
    if missing:
        raise PseudonymisationError(
            f"{source}: cannot pseudonymise {missing}: no such column. The event table has "
            f"{list(events.columns)}."
        )
    wanted = {c: PREFIXES.get(c, f"{c}-") for c in wanted_cols if c in events}
    note = (
        f"Pseudonymised with a keyed HMAC before analysis: {', '.join(wanted)}. Pseudonymised data is "
        "still personal data (UK GDPR)."
    )
    return replace(pseudonymise_events(events, key, wanted), note=note)
