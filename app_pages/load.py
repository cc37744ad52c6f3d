"""Load: choose the bundled sample or upload a log, check the column mapping, analyse."""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    ANALYSIS_KEY,
    FINDINGS,
    SAMPLE,
    analysis_key,
    digest,
    load_and_analyze,
    md_escape,
    preview_raw,
    show_import_report,
)
from mapper import ColumnMappingError, FlowreadyError, detect_mapping
from mapper.columns import OPTIONAL, REQUIRED

SOURCE_SAMPLE = "Bundled sample (council permits)"
SOURCE_UPLOAD = "Upload a file"
UPLOAD_TYPES = ["csv", "tsv", "xes", "gz", "parquet"]
NONE = "(none)"
LABELS = {
    "case_id": "Case id",
    "activity": "Activity",
    "timestamp": "Completion time",
    "start_timestamp": "Start time",
    "resource": "Resource (person or system)",
    "role": "Role or team",
    "lifecycle": "Lifecycle (start/complete)",
}
DATE_ORDER = {
    "Detect (refuse if ambiguous)": None,
    "Day first (01/02 = 1 February)": True,
    "Month first (01/02 = 2 January)": False,
}

st.title("Load an event log")

source = st.radio("Event log", [SOURCE_SAMPLE, SOURCE_UPLOAD], horizontal=True, key="load_source")
if source == SOURCE_SAMPLE:
    filename, data = SAMPLE.name, SAMPLE.read_bytes()
    st.caption(
        "A synthetic planning-permit process of a council, with start and end times, resources and teams "
        "(see sample_logs/README.md)."
    )
else:
    upload = st.file_uploader(
        "Event log file (CSV, TSV, XES or Parquet; .gz compressed is fine)",
        type=UPLOAD_TYPES,
        key="load_upload",
    )
    if upload is None:
        filename, data = None, None
    else:
        filename, data = upload.name, upload.getvalue()

raw = None
if data is not None:
    file_id = digest(data)[:16]
    try:
        raw = preview_raw(data, filename)
    except FlowreadyError as exc:
        st.error(str(exc))

if raw is not None:
    columns = raw["columns"]
    with st.expander(
        f"Preview of {md_escape(filename)}: {raw['rows']:,} rows, {len(columns)} columns ({raw['format']})",
        expanded=source == SOURCE_UPLOAD,
    ):
        st.dataframe(raw["head"], hide_index=True)

    try:
        proposed = detect_mapping(columns, source=filename)[0].as_dict()
    except ColumnMappingError as exc:
        st.warning(str(exc))
        proposed = {}

    with st.form(f"mapping_{file_id}"):
        st.subheader("Columns")
        st.caption("flowready proposed these from the column names; change any that are wrong.")
        chosen: dict[str, str | None] = {}
        cells = st.columns(4)
        for i, canon in enumerate((*REQUIRED, *OPTIONAL)):
            guess = proposed.get(canon)
            with cells[i % 4]:
                if canon in REQUIRED:
                    value = st.selectbox(
                        f"{LABELS[canon]} (required)",
                        columns,
                        index=columns.index(guess) if guess in columns else None,
                        placeholder="Choose a column",
                        key=f"map_{canon}_{file_id}",
                    )
                elif guess is None:
                    value = st.selectbox(LABELS[canon], [NONE, *columns], key=f"map_{canon}_{file_id}")
                else:
                    # load_event_log() treats "not given" as "detect", so a column found by its name cannot
                    # be switched off from here; only another column can be chosen instead.
                    value = st.selectbox(
                        LABELS[canon],
                        columns,
                        index=columns.index(guess),
                        key=f"map_{canon}_{file_id}",
                        help=f"Found by its name ({guess!r}); choose another if wrong.",
                    )
            chosen[canon] = None if value in (None, NONE) else value

        c1, c2, c3 = st.columns(3)
        date_order = c1.selectbox("Date order of numeric dates", list(DATE_ORDER), key=f"dayfirst_{file_id}")
        timezone = c2.text_input(
            "Time zone of timestamps without an offset (IANA name)", value="UTC", key=f"tz_{file_id}"
        )
        timestamp_format = c3.text_input(
            "Timestamp format (optional, strptime)", placeholder="%d/%m/%Y %H:%M", key=f"tsfmt_{file_id}"
        )
        drop_bad = st.checkbox(
            "Drop rows whose timestamp cannot be read (they are counted in the report) instead of stopping",
            key=f"dropbad_{file_id}",
        )
        submitted = st.form_submit_button("Analyse", type="primary")

    if submitted:
        missing = [LABELS[c] for c in REQUIRED if chosen[c] is None]
        used: dict[str, list[str]] = {}
        for canon, col in chosen.items():
            if col is not None:
                used.setdefault(col, []).append(LABELS[canon])
        twice = {col: names for col, names in used.items() if len(names) > 1}
        if missing:
            st.error(f"Choose a column for: {', '.join(missing)}.")
        elif twice:
            clashes = "; ".join(f"{col!r} is chosen for {' and '.join(n)}" for col, n in twice.items())
            st.error(f"Each column of the file can be used once: {clashes}.")
        else:
            options = {
                **chosen,
                "dayfirst": DATE_ORDER[date_order],
                "timezone": timezone.strip() or "UTC",
                "timestamp_format": timestamp_format.strip() or None,
                "on_bad_timestamp": "drop" if drop_bad else "error",
            }
            try:
                findings = load_and_analyze(data, filename, options)
            except FlowreadyError as exc:
                st.error(str(exc))
            else:
                st.session_state[FINDINGS] = findings
                st.session_state[ANALYSIS_KEY] = analysis_key(data, options)

findings = st.session_state.get(FINDINGS)
if findings is not None:
    s = findings.summary
    st.divider()
    st.success(
        f"Analysed **{md_escape(s['source'])}**: {s['cases']:,} cases, {s['events']:,} events, "
        f"{s['activities']} activities, {s['variants']:,} variants."
    )
    st.page_link("app_pages/overview.py", label="See the overview", icon=":material/dashboard:")
    st.subheader("Import report")
    show_import_report(findings.quality)
