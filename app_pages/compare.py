"""Compare: did the process change? Before and after a change, or two halves of the loaded log."""

from __future__ import annotations

import datetime
import json

import pandas as pd
import streamlit as st

from analysis.compare import compare_logs, split_log
from analysis.export import export_table
from app_pages.common import (
    FINDINGS,
    bullet_list,
    digest,
    download,
    load_log,
    md_escape,
    require_findings,
    show_error,
    table,
)
from mapper import FlowreadyError, filter_bounds

#: Session-state key: comparisons computed in this session, by what they compare (at most a few).
COMPARISONS = "comparisons"
MAX_COMPARISONS = 3
SPLIT = "Split the loaded log at a date"
UPLOAD = "Compare with another log (after the change)"

f = require_findings()
base = st.session_state[FINDINGS]
log = base.log  # the whole loaded log: a comparison is about time, not the sidebar's filtered view

st.title("Did the process change?")
st.caption(
    "Cycle time, waiting, rework and handoff failures, per step and for the whole process, each with a "
    "95 % interval and a significance test corrected for testing many steps at once "
    "(`flowready compare` on the command line)."
)
mode = st.radio("Compare", [SPLIT, UPLOAD], key="compare_mode", horizontal=True)

before = after = None
key = None
if mode == SPLIT:
    bounds = filter_bounds(log)
    lo, hi = bounds["start"].date() + datetime.timedelta(days=1), bounds["end"].date()
    default = min(max(lo + (hi - lo) / 2, lo), hi)
    at = st.date_input(
        "Cases started before this day against those started from it",
        value=default,
        min_value=lo,
        max_value=hi,
        key="compare_split_at",
    )
    if isinstance(at, datetime.date):
        key = ("split", st.session_state.get("analysis_key", ""), at.isoformat())
else:
    m = log.mapping
    st.caption(
        "The other log is read with the loaded log's columns: "
        + ", ".join(f"{k} = `{md_escape(v)}`" for k, v in m.as_dict().items() if v)
        + "."
    )
    upload = st.file_uploader("The log after the change", key="compare_upload")
    if upload is not None:
        data = upload.getvalue()
        key = ("upload", st.session_state.get("analysis_key", ""), digest(data))

if key is not None and st.button("Compare", key="compare_run", type="primary"):
    try:
        with st.spinner("Comparing…"):
            if mode == SPLIT:
                halves = split_log(log, at=pd.Timestamp(at.isoformat(), tz="UTC"))
                before, after = halves.before, halves.after
            else:
                # The loaded log's columns; "" switches detection off for a column it did not have.
                options = {k: v or "" for k, v in log.mapping.as_dict().items()}
                options.update(timezone=log.timezone)
                before, after = log, load_log(data, upload.name, options)
            result = compare_logs(before, after)
        done = st.session_state.setdefault(COMPARISONS, {})
        done[key] = result
        while len(done) > MAX_COMPARISONS:
            done.pop(next(iter(done)))
    except FlowreadyError as exc:
        show_error(exc)

result = st.session_state.get(COMPARISONS, {}).get(key) if key is not None else None
if result is None:
    st.stop()

sig = result.significant()
c1, c2, c3 = st.columns(3)
c1.metric("Significant changes", f"{len(sig):,}")
c2.metric("Better", f"{int((sig['direction'] == 'better').sum()):,}")
c3.metric("Worse", f"{int((sig['direction'] == 'worse').sum()):,}")
st.markdown(
    f"**{md_escape(result.after_name)}** (after) against **{md_escape(result.before_name)}** (before)."
)
st.plotly_chart(result.plot(), key="compare_forest")

st.subheader("The process")
table(result.process)
st.subheader("Steps that changed significantly")
steps_sig = result.steps[result.steps["significant"]]
if len(steps_sig):
    table(steps_sig)
else:
    st.caption("No step changed significantly.")
with st.expander("Every step test"):
    table(result.steps)
st.subheader("What to know")
bullet_list(result.notes)


def _json(comparison) -> bytes:
    return json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _html(comparison) -> bytes:
    import tempfile
    from pathlib import Path

    from analysis.report import export_comparison_report

    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return export_comparison_report(comparison, Path(folder) / "comparison.html").read_bytes()


def _csv(comparison) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        path = Path(folder) / "comparison.csv"
        export_table(comparison.to_frame(), path)
        return path.read_bytes()


d1, d2, d3 = st.columns(3)
download("comparison.html", lambda: _html(result), "comparison.html", "text/html", "dl_comparison_html", d1)
download(
    "comparison.json", lambda: _json(result), "comparison.json", "application/json", "dl_comparison_json", d2
)
download("comparison.csv", lambda: _csv(result), "comparison.csv", "text/csv", "dl_comparison_csv", d3)
