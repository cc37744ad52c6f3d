"""What the pages share: the cached load-and-analyse call, session keys and small rendering helpers.

No analysis happens here: every number comes from :func:`mapper.load_event_log` and
:func:`analysis.analyze`, the same calls the CLI makes, so the app and the CLI show the same numbers.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import Findings, analyze, export_report
from mapper import DataQuality, load_event_log
from mapper.readers import read_raw

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs" / "council_permits.csv"
LOAD_PAGE = "app_pages/load.py"

#: Session-state keys.
FINDINGS = "findings"
ANALYSIS_KEY = "analysis_key"

#: Rows of the raw file shown in the preview.
PREVIEW_ROWS = 20


def digest(data: bytes) -> str:
    """The sha256 of an uploaded file; names the file in widget keys and caches."""
    return hashlib.sha256(data).hexdigest()


def _write_upload(data: bytes, filename: str, folder: str) -> Path:
    """Save ``data`` under ``folder`` with the upload's own name.

    Keeping the name keeps every suffix (``.csv.gz``), which is how the readers tell formats apart, and
    makes the library's messages and the report name the user's file rather than a temporary name.
    """
    name = Path(filename).name.strip()
    if name in {"", ".", ".."}:
        name = "upload" + "".join(Path(filename).suffixes)
    path = Path(folder) / name
    path.write_bytes(data)
    return path


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def preview_raw(data: bytes, filename: str) -> dict:
    """The columns, first rows and reading details of an uploaded file (no mapping, no validation).

    Raises
    ------
    FlowreadyError
        From :func:`mapper.readers.read_raw` (empty, damaged or unsupported file).
    """
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        raw = read_raw(_write_upload(data, filename, folder))
    return {
        "columns": [str(c) for c in raw.frame.columns],
        "head": raw.frame.head(PREVIEW_ROWS),
        "rows": len(raw.frame),
        "format": raw.format,
        "details": raw.details,
    }


# st.cache_data (not cache_resource): Findings is a tree of frozen dataclasses and DataFrames that
# pickles (~0.6 MB for the sample), so each session gets its own copy and nothing is shared mutably.
# The EventLog's DuckDB tables live in a weak side cache, are not pickled, and are rebuilt on demand.
@st.cache_data(show_spinner="Loading and analysing the event log…", max_entries=4)
def load_and_analyze(data: bytes, filename: str, options: dict) -> Findings:
    """:func:`mapper.load_event_log` then :func:`analysis.analyze`, cached on the file bytes and options.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Its original name; the suffixes select the reader.
    options : dict
        Keyword arguments of :func:`mapper.load_event_log` (column mapping, ``dayfirst``, ``timezone``...).

    Raises
    ------
    FlowreadyError
        Whatever the library refuses, with its message.
    """
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        log = load_event_log(_write_upload(data, filename, folder), **options)
    return analyze(log)


def analysis_key(data: bytes, options: dict) -> str:
    """Identifies one analysis (file and options); keys the caches of its downloads."""
    return digest(data) + ":" + repr(sorted(options.items()))


@st.cache_data(show_spinner="Preparing the downloads…", max_entries=8)
def export_files(key: str, _findings: Findings) -> dict[str, bytes]:
    """``blueprint.bpmn``, ``blueprint.json`` and ``findings.json``, written by the library's own writers.

    ``key`` (from :func:`analysis_key`) identifies ``_findings``, which is therefore not hashed.
    """
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        out = Path(folder)
        _findings.blueprint.to_bpmn(out / "blueprint.bpmn")
        _findings.blueprint.to_json(out / "blueprint.json")
        _findings.to_json(out / "findings.json")
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@st.cache_data(show_spinner="Writing the report…", max_entries=4)
def report_html(key: str, _findings: Findings) -> bytes:
    """``report.html`` from :func:`analysis.export_report` (raises FlowreadyError without Graphviz)."""
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return export_report(_findings, Path(folder) / "report.html").read_bytes()


def require_findings() -> Findings:
    """The loaded analysis; without one, tell the user to load a log and stop the page."""
    findings = st.session_state.get(FINDINGS)
    if findings is None:
        st.info(
            "No event log is loaded yet. Load one first: open **Load** and analyse the bundled sample "
            "or your own file."
        )
        st.page_link(LOAD_PAGE, label="Go to Load", icon=":material/upload_file:")
        st.stop()
    return findings


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$:])")


def md_escape(text: str) -> str:
    """Escape Markdown (and Streamlit's ``:color[...]``/emoji) syntax in text that comes from the data."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def bullet_list(items: list[str]) -> None:
    """Render sentences from the data as a Markdown bullet list, escaped."""
    st.markdown("\n".join(f"- {md_escape(x)}" for x in items))


def show_import_report(quality: DataQuality) -> None:
    """How every row read was accounted for: counts, the outcome table, notes and the column mapping."""
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows read", f"{quality.rows_read:,}")
    c2.metric("Rows kept", f"{quality.rows_kept:,}")
    c3.metric("Rows dropped", f"{quality.rows_dropped:,}")
    st.dataframe(quality.to_frame(), hide_index=True, width="stretch")
    if quality.notes:
        st.markdown("**Notes**")
        bullet_list(quality.notes)
    mapping = quality.details.get("mapping")
    if mapping:
        st.markdown("**Columns used**")
        st.dataframe(
            pd.DataFrame(
                {
                    "flowready column": list(mapping),
                    "column in the file": [v or "—" for v in mapping.values()],
                }
            ),
            hide_index=True,
        )
