"""Load: choose the bundled sample or upload a log, check the proposed column mapping, analyse."""

from __future__ import annotations

import os

import streamlit as st

from app_pages.common import (
    ANALYSIS_OPTIONS,
    FINDINGS,
    SAMPLE,
    analyse,
    analysis_key,
    digest,
    load_log,
    md_escape,
    object_types,
    preview,
    read_upload,
    set_loaded,
    show_import_report,
)
from mapper import ColumnMappingError, FlowreadyError, detect_mapping, load_pseudonym_key
from mapper.columns import OPTIONAL, REQUIRED

SOURCE_SAMPLE = "Bundled sample (council permits)"
SOURCE_UPLOAD = "Upload a file"
UPLOAD_TYPES = [
    "csv",
    "tsv",
    "txt",
    "gz",
    "xes",
    "parquet",
    "xlsx",
    "jsonocel",
    "json",
    "xmlocel",
    "xml",
    "sqlite",
]
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
#: The library's messages name command-line options; what they are called on this page.
OPTION_NAMES = (
    "Messages may name command-line options: --case-id, --activity, --timestamp and the other column "
    "options are the **Columns** choices; --dayfirst / --monthfirst are **Date order**, "
    "--timestamp-format is **Timestamp format**, --drop-bad-timestamps is **Drop rows whose timestamp "
    "cannot be read**, --timezone is **Time zone**, --sheet is **Sheet**, --object-type is **Object type**."
)

st.title("Load an event log")

source = st.radio("Event log", [SOURCE_SAMPLE, SOURCE_UPLOAD], horizontal=True, key="load_source")
filename = data = None
if source == SOURCE_SAMPLE:
    filename, data = SAMPLE.name, SAMPLE.read_bytes()
    st.caption(
        "A synthetic planning-permit process of a council, with start and end times, resources and teams, "
        "and planted problems (see sample_logs/README.md)."
    )
else:
    upload = st.file_uploader(
        "Event log file: CSV/TSV, XES (.gz compressed is fine), Parquet, Excel .xlsx, or OCEL 2.0 "
        "(.jsonocel, .xmlocel, .sqlite)",
        type=UPLOAD_TYPES,
        key="load_upload",
    )
    if upload is not None:
        filename, data = upload.name, upload.getvalue()

raw = None
sheet = object_type = None
if data is not None:
    file_id = digest(data)[:16]
    lower = filename.lower()
    try:
        if lower.endswith((".jsonocel", ".json", ".xmlocel", ".xml", ".sqlite", ".sqlite3", ".db")):
            types = object_types(data, filename)
            object_type = st.selectbox(
                "Object type: its objects become the cases",
                list(types),
                format_func=lambda t: f"{t} ({types[t]:,} objects)",
                key=f"object_type_{file_id}",
                help="An object-centric log is flattened on one object type (van der Aalst 2019): each "
                "object of that type is a case, and an event related to several of them is in each case.",
            )
        raw = read_upload(data, filename, None, object_type)
        sheets = raw.details.get("sheets") or []
        if len(sheets) > 1:
            sheet = st.selectbox("Sheet", sheets, key=f"sheet_{file_id}")
            if sheet != raw.details.get("sheet"):
                raw = read_upload(data, filename, sheet, object_type)
    except FlowreadyError as exc:
        st.error(str(exc))
        raw = None

if raw is not None:
    columns = [str(c) for c in raw.frame.columns]
    st.caption(
        f"{md_escape(filename)}: {len(raw.frame):,} rows, {len(columns)} columns ({raw.format}"
        + (f", sheet {md_escape(sheet or raw.details.get('sheet'))}" if raw.format == "excel" else "")
        + ")."
    )
    unproposed = ""
    try:
        proposed = detect_mapping(columns, source=filename).mapping.as_dict()
    except ColumnMappingError as exc:
        unproposed = str(exc)  # shown below while a required column is still unchosen
        proposed = {}

    st.subheader("1. Columns")
    st.caption("flowready proposed these from the column names; change any that are wrong.")
    chosen: dict[str, str] = {}
    # Keyed per sheet too: another sheet has other columns, and its own proposed mapping.
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
                    key=f"map_{canon}_{file_id}_{sheet}",
                )
            else:
                options = [NONE, *columns]
                value = st.selectbox(
                    LABELS[canon],
                    options,
                    index=options.index(guess) if guess in columns else 0,
                    key=f"map_{canon}_{file_id}_{sheet}",
                    help=f"Found by its name ({guess!r})." if guess else None,
                )
        # "" tells the library the file has no such column (switches detection off).
        chosen[canon] = "" if value in (None, NONE) else value

    st.subheader("2. Time")
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
    with st.expander("More options: duplicates, start-time estimation, pseudonymisation"):
        drop_duplicates = st.checkbox(
            "Drop rows that repeat an earlier row in every column (they are always counted)",
            key=f"dropdup_{file_id}",
        )
        estimate = st.checkbox(
            "Estimate missing start times (pix-framework; slow: minutes on large logs)",
            key=f"estimate_{file_id}",
        )
        pseudonymise = st.checkbox(
            "Pseudonymise case ids and resources (keyed HMAC-SHA256; see docs/privacy.md)",
            key=f"pseudo_{file_id}",
        )
        key_text = ""
        if pseudonymise:
            env_key = bool(os.environ.get("FLOWREADY_PSEUDONYM_KEY"))
            key_text = st.text_input(
                "Pseudonym key (at least 16 characters; never stored or shown)"
                + (" — leave empty to use FLOWREADY_PSEUDONYM_KEY" if env_key else ""),
                type="password",
                key=f"pseudo_key_{file_id}",
            )

    missing = [LABELS[c] for c in REQUIRED if not chosen[c]]
    used: dict[str, list[str]] = {}
    for canon, col in chosen.items():
        if col:
            used.setdefault(col, []).append(LABELS[canon])
    twice = {col: names for col, names in used.items() if len(names) > 1}
    time_options = {
        "dayfirst": DATE_ORDER[date_order],
        "timezone": timezone.strip() or "UTC",
        "timestamp_format": timestamp_format.strip() or None,
    }
    st.subheader("3. Preview")
    ready = False
    if missing:
        if unproposed:
            st.warning(unproposed)
            st.caption(OPTION_NAMES)
        st.warning(f"Choose a column for: {', '.join(missing)}.")
    elif twice:
        clashes = "; ".join(f"{col!r} is chosen for {' and '.join(n)}" for col, n in twice.items())
        st.error(f"Each column of the file can be used once: {clashes}.")
    else:
        try:
            p = preview(data, filename, sheet, object_type, {**chosen, **time_options})
        except FlowreadyError as exc:
            st.error(str(exc))
            st.caption(OPTION_NAMES)
        else:
            ready = True
            st.caption("How each time column will be read (over the whole column, not only the rows shown):")
            st.dataframe(
                p.time_columns,
                hide_index=True,
                column_config={"example_unreadable": st.column_config.TextColumn("examples of unreadable")},
            )
            if p.time_columns["unreadable"].any() and not drop_bad:
                st.warning(
                    "Some timestamps cannot be read in their column's format: give the format, or tick "
                    "*Drop rows whose timestamp cannot be read* (they are then counted in the report)."
                )
            st.caption(f"The first {len(p.rows)} rows as they will be read (times in UTC):")
            st.dataframe(p.rows, hide_index=True)

    if st.button("Analyse", type="primary", disabled=not ready, key="analyse"):
        options = {
            **chosen,
            **time_options,
            "on_bad_timestamp": "drop" if drop_bad else "error",
            "drop_duplicates": drop_duplicates,
            "estimate_start_times": estimate,
            "sheet": sheet,
            "object_type": object_type,
        }
        try:
            if pseudonymise:
                # A typed key is checked (length) by the library like a key file; never echoed.
                options["pseudonym_key"] = (
                    key_text.strip().encode() if key_text.strip() else load_pseudonym_key()
                )
            with st.status(f"Loading {md_escape(filename)}…", expanded=True) as status:
                st.write("Reading the file and accounting for every row…")
                log = load_log(data, filename, options)
                st.write(f"{log.n_events:,} events kept. Analysing…")
                st.session_state[ANALYSIS_OPTIONS] = {}  # options chosen for another log do not carry over
                findings = analyse(log, "Analysing:")
                status.update(label=f"Analysed {md_escape(filename)}", state="complete", expanded=False)
        except FlowreadyError as exc:
            st.error(str(exc))
            st.caption(OPTION_NAMES)
        else:
            set_loaded(findings, analysis_key(data, options))
            st.rerun()  # the router draws the sidebar filters before the page: show them now

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
