"""What the pages share: cached library calls, the session's analysis and filters, small renderers.

No analysis happens here: every number comes from :func:`mapper.load_event_log`, :func:`mapper.filter_log`
and :func:`analysis.analyze`, the calls the CLI makes, so the app and the CLI show the same numbers.

Caching: previewing a file is an ``st.cache_data`` call keyed on the file's bytes and the options (a
compact result). The raw file read for the preview is an ``st.cache_resource`` (one shared, read-only
object: ``cache_data`` would pickle the whole table and give every session its own copy). Loading is not
cached: the session keeps the loaded :class:`~mapper.EventLog` (a handle on its engine tables, never a
pickled copy of the event table) inside its analysis, which is kept in the session's state with the
analyses of its filtered views, so moving between pages re-renders from memory without recomputing
anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import Findings, analyze
from analysis.export import export_table, export_tables
from analysis.findings import ANALYSIS_STEPS
from analysis.labels import PATTERN_LABELS
from analysis.labels import RECOMMENDATION_LABELS as LABELS_TABLE
from app_pages.names import app_message
from mapper import (
    DataQuality,
    EventLog,
    FlowreadyError,
    filter_log,
    load_event_log,
    render_svg,
)
from mapper.preview import MappingPreview, preview_event_log
from mapper.readers import RawTable, list_object_types, list_sheets, read_raw

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs" / "council_permits.csv"
LOAD_PAGE = "app_pages/load.py"

#: Session-state keys. FINDINGS holds the analysis of the whole loaded log; FILTERS the applied filters
#: (keyword arguments of mapper.filter_log); VIEWS the analyses of filtered views, by filter key.
FINDINGS = "findings"
ANALYSIS_KEY = "analysis_key"
FILTERS = "filters"
VIEWS = "filtered_views"
#: Filtered analyses kept per session (each holds its own copy of the filtered events).
MAX_VIEWS = 3

#: Rows of the file shown in the mapping preview.
PREVIEW_ROWS = 20

HOURS = "%.1f"

#: How the pages name the readiness recommendations (analysis.readiness.RECOMMENDATIONS).
RECOMMENDATION_LABELS = {
    k: LABELS_TABLE[k] for k in ("automate", "ai_assist", "keep_human", "fix_first")
}  # the one table, analysis.labels


# ----------------------------------------------------------------------------------------------- files


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


@st.cache_resource(show_spinner="Reading the file…", max_entries=4)
def read_upload(
    data: bytes, filename: str, sheet: str | None = None, object_type: str | None = None
) -> RawTable:
    """:func:`mapper.readers.read_raw` on an uploaded file (no mapping, no validation).

    Shared by the sessions that preview the same file, read-only (never pickled nor copied).

    Raises
    ------
    FlowreadyError
        Empty, damaged or unsupported file; unknown sheet or object type.
    """
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return read_raw(_write_upload(data, filename, folder), sheet=sheet, object_type=object_type)


@st.cache_data(show_spinner="Reading the object types…", max_entries=4)
def object_types(data: bytes, filename: str) -> dict[str, int]:
    """:func:`mapper.readers.list_object_types` of an uploaded OCEL 2.0 log."""
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return list_object_types(_write_upload(data, filename, folder))


@st.cache_data(show_spinner="Reading the worksheets…", max_entries=4)
def sheet_names(data: bytes, filename: str) -> list[str]:
    """:func:`mapper.readers.list_sheets` of an uploaded ``.xlsx`` workbook."""
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return list_sheets(_write_upload(data, filename, folder))


@st.cache_data(show_spinner="Checking the mapping…", max_entries=16)
def preview(
    data: bytes, filename: str, sheet: str | None, object_type: str | None, options: dict
) -> MappingPreview:
    """:func:`mapper.preview.preview_event_log` for a mapping and the time options (``options``)."""
    return preview_event_log(read_upload(data, filename, sheet, object_type), rows=PREVIEW_ROWS, **options)


def load_log(data: bytes, filename: str, options: dict) -> EventLog:
    """:func:`mapper.load_event_log` on an uploaded file.

    ``options`` are the keyword arguments of ``load_event_log`` (mapping, ``dayfirst``, ``sheet``...).
    Not cached: the caller keeps the returned EventLog, a handle on the log's engine tables, in the
    session's state (in its :class:`~analysis.Findings`); ``st.cache_data`` would pickle the whole event
    table, keep that copy and give every rerun another one.
    """
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return load_event_log(_write_upload(data, filename, folder), **options)


def analysis_key(data: bytes, options: dict) -> str:
    """Identifies one analysis (file and options, secrets hashed); keys the caches of its downloads."""
    return digest(data)[:32] + ":" + hashlib.sha256(repr(sorted(options.items())).encode()).hexdigest()[:16]


#: Session-state key: keyword arguments of analysis.analyze set on the pages (performer types...).
ANALYSIS_OPTIONS = "analysis_options"


def analyse(log: EventLog, label: str) -> Findings:
    """:func:`analysis.analyze` with a progress bar that names each step as it starts.

    The session's :data:`ANALYSIS_OPTIONS` (set on the pages, e.g. the performer types chosen on the
    Handoffs page) are passed on, so the loaded log and its filtered views are analysed alike.
    """
    bar = st.progress(0.0, text=label)
    done = [0]

    def step(name: str) -> None:
        done[0] += 1
        bar.progress(min(done[0] / len(ANALYSIS_STEPS), 1.0), text=f"{label} {name}…")

    try:
        return analyze(log, progress=step, **st.session_state.get(ANALYSIS_OPTIONS, {}))
    finally:
        bar.empty()


def reanalyse(options: dict) -> None:
    """Analyse the loaded log again with these :func:`analysis.analyze` options; the filters stay applied.

    Raises
    ------
    FlowreadyError
        From the analysis (e.g. an option naming what the log does not have); nothing changes then.
    """
    base: Findings = st.session_state[FINDINGS]
    previous = st.session_state.get(ANALYSIS_OPTIONS, {})
    st.session_state[ANALYSIS_OPTIONS] = dict(options)
    try:
        findings = analyse(base.log, "Analysing again:")
    except FlowreadyError:
        st.session_state[ANALYSIS_OPTIONS] = previous
        raise
    key = st.session_state.get(ANALYSIS_KEY, "").split("|options:")[0]
    st.session_state[FINDINGS] = findings
    st.session_state[ANALYSIS_KEY] = (
        key + "|options:" + hashlib.sha256(repr(sorted(options.items())).encode()).hexdigest()[:12]
    )
    st.session_state[VIEWS] = {}


def set_loaded(findings: Findings, key: str) -> None:
    """Make ``findings`` the session's analysis; filters of a previous log no longer apply."""
    st.session_state[FINDINGS] = findings
    st.session_state[ANALYSIS_KEY] = key
    st.session_state[FILTERS] = {}
    st.session_state[VIEWS] = {}
    st.session_state[ANALYSIS_OPTIONS] = {}


# --------------------------------------------------------------------------------------------- filters


def filter_key(filters: dict) -> str:
    """A stable text key of a filter set (the keyword arguments of :func:`mapper.filter_log`)."""
    return repr(sorted((k, repr(v)) for k, v in filters.items() if v not in (None, [], {}, ())))


def apply_filters(filters: dict) -> None:
    """Filter the loaded log, analyse the view (with progress) and make it the one every page shows.

    Raises
    ------
    FlowreadyError
        From :func:`mapper.filter_log` (no case left, bad bounds); the applied filters stay as they were.
    """
    base: Findings = st.session_state[FINDINGS]
    filters = {k: v for k, v in filters.items() if v not in (None, [], {}, ())}
    views: dict = st.session_state.setdefault(VIEWS, {})
    key = filter_key(filters)
    if filters and key not in views:
        log = filter_log(base.log, **filters)
        views[key] = analyse(log, "Analysing the filtered log:")
        while len(views) > MAX_VIEWS:
            views.pop(next(iter(views)))
    st.session_state[FILTERS] = filters


def current_findings() -> Findings | None:
    """The analysis every page shows: of the filtered view when filters are applied, else of the log."""
    base = st.session_state.get(FINDINGS)
    filters = st.session_state.get(FILTERS) or {}
    if base is None or not filters:
        return base
    view = st.session_state.get(VIEWS, {}).get(filter_key(filters))
    if view is None:  # evicted: recompute it
        apply_filters(filters)
        view = st.session_state[VIEWS][filter_key(filters)]
    return view


def view_key() -> str:
    """Identifies what the pages show (the analysis and its filters); keys caches of derived drawings."""
    return st.session_state.get(ANALYSIS_KEY, "") + "|" + filter_key(st.session_state.get(FILTERS) or {})


#: Diagrams with more nodes than this are laid out by Graphviz on the server (cached) and shown as an
#: image: the browser's WebAssembly Graphviz blocks the page for minutes on a 600-node blueprint, the
#: ``dot`` program takes seconds.
MAX_BROWSER_NODES = 150


@st.cache_data(show_spinner="Drawing the diagram…", max_entries=8)
def _server_svg(key: str, name: str, _graph) -> str:
    """:func:`mapper.render_svg`, once per view (``key``) and diagram (``name``)."""
    return render_svg(_graph)


def diagram(graph, *, nodes: int, name: str, width: str = "stretch") -> None:
    """Show a graphviz diagram: in the browser when small, as a server-drawn SVG image when large.

    ``name`` and :func:`view_key` identify ``graph`` in the cache, so it is drawn once per view.
    ``width="content"`` draws a small diagram at its own size (``"stretch"`` fits the page's width).
    """
    if nodes <= MAX_BROWSER_NODES:
        st.graphviz_chart(graph, width=width)
        return
    try:
        svg = _server_svg(view_key(), name, graph)
    except FlowreadyError as exc:
        show_error(exc, "The downloads still hold the model (blueprint.bpmn).")
        return
    st.caption(f"{nodes:,} shapes: drawn on the server; open the image in a new tab to zoom.")
    st.image(svg, width="stretch")


def require_findings() -> Findings:
    """The analysis to show; without a loaded log, tell the user to load one and stop the page."""
    findings = current_findings()
    if findings is None:
        st.info(
            "No event log is loaded yet. Load one first: open **Load** and analyse the bundled sample "
            "or your own file."
        )
        st.page_link(LOAD_PAGE, label="Go to Load", icon=":material/upload_file:")
        st.stop()
    base = st.session_state[FINDINGS]
    if findings is not base:
        st.info(
            f"Filtered view: {findings.summary['cases']:,} of {base.summary['cases']:,} cases, "
            f"{findings.summary['events']:,} of {base.summary['events']:,} events "
            f"({md_escape('; '.join(findings.log.filters))}). Change or clear the filters in the sidebar.",
            icon=":material/filter_alt:",
        )
    return findings


# ------------------------------------------------------------------------------------------- downloads
# The files are written when their button is clicked (st.download_button takes a callable), so opening
# the Downloads page of a large log costs nothing; the writers are the library's own. The callables run
# outside the script run: they take everything they need as arguments and touch no session state.


def table_bytes(frame: pd.DataFrame, name: str, ext: str) -> bytes:
    """One table as ``.csv`` or ``.xlsx`` via :func:`analysis.export.export_table` (formulas neutralised)."""
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return export_table(frame, Path(folder) / f"{name}.{ext}", sheet=name).read_bytes()


def tables_workbook_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """Every table in one ``.xlsx``, one sheet each (:func:`analysis.export.export_tables`)."""
    with tempfile.TemporaryDirectory(prefix="flowready-") as folder:
        return export_tables(tables, Path(folder) / "tables.xlsx").read_bytes()


# ------------------------------------------------------------------------------------------ rendering

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$:])")


def md_escape(text: str) -> str:
    """Escape Markdown (and Streamlit's ``:color[...]``/emoji) syntax in text that comes from the data."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


#: The documentation pages (``docs/*.md``), shown inside the app: an analyst cannot open the files, and
#: the docs site (:data:`analysis.labels.DOCS_URL`) may not be served where the app runs.
DOCS_DIR = Path(__file__).resolve().parent.parent / "docs"


def method_page(page: str, title: str) -> None:
    """The method's documentation page (``docs/<page>.md``) in an expander, read where the app is."""
    path = DOCS_DIR / f"{page}.md"
    if path.is_file():
        with st.expander(title):
            st.markdown(path.read_text("utf-8"))


def show_error(exc: Exception, suffix: str = "") -> None:
    """Show a library error in the app's words (its parameters as the widgets that set them), escaped."""
    st.error(md_escape(app_message(exc)) + (f" {md_escape(suffix)}" if suffix else ""))


def bullet_list(items: list[str]) -> None:
    """Render sentences from the data as a Markdown bullet list, escaped."""
    st.markdown("\n".join(f"- {md_escape(x)}" for x in items))


#: Column headers in a person's words, for the columns whose name alone does not read well; every other
#: column is named by :func:`column_label` from its name (``waiting_hours_p90`` -> "waiting, p90 (h)").
COLUMN_LABELS = {
    "activity": "step",
    "after_activity": "after step",
    "trace": "path",
    "cases": "cases",
    "share": "share of cases",
    "cumulative_share": "cumulative share",
    "share_of_cases": "share of cases",
    "share_of_waiting": "share of all waiting",
    "case_coverage": "share of cases",
    "volume": "share of cases",
    "events": "events",
    "hours_lost": "hours lost",
    "hours_lost_total": "hours lost (total)",
    "hours_lost_median": "hours lost per time (median)",
    "fixable_hours": "fixable waiting (h)",
    "working_hours_total": "waiting in working hours (h)",
    "dominant_cause": "main cause",
    "off_hours_only": "off hours only",
    "workload_hours_per_year": "workload (h / year)",
    "events_per_month": "events / month",
    "recommendation": "recommendation",
    "score": "readiness (0-100)",
    "stability": "stability",
    "rationale": "why",
    "equity_note": "equity",
    "already_automated": "already automated",
    "ping_pong_cases": "ping-pong cases",
    "count": "handovers",
    "example_cases": "example cases",
    "source": "from",
    "target": "to",
    "pattern": "failure",
    "cycle_hours_median": "median cycle",
    "cycle_hours_p90": "p90 cycle",
    "factor_score": "factor score (0-1)",
    "effective_weight": "weight used",
    "kpi": "KPI",
    "ci_low": "95 % from",
    "ci_high": "95 % to",
    "min_cases": "cases needed",
    "review_after_days": "review after (days)",
    "better_when": "better when",
    "expected_source": "target from",
    "sla_hours": "SLA (h)",
    "p_holm": "p (Holm)",
    "p_adjusted": "p (adjusted)",
    "p_value": "p",
}
_UNITS = {"hours": "h", "minutes": "min", "days": "days", "seconds": "s"}
_STATS = {"median", "p90", "p95", "mean", "total", "max", "min", "q1", "q3", "geomean"}
#: Columns that hold sentences: shown wide (the whole text is in the cell's tooltip and the downloads).
LONG_TEXT = {
    "rationale",
    "description",
    "reason",
    "reasons",
    "path",
    "trace",
    "text",
    "rule_text",
    "action",
    "evidence",
    "note",
    "equity_note",
    "why",
    "question",
    "detail",
    "cadence",
    "fix_first_reasons",
    "example_cases",
    "meaning",
    "condition",
}
#: Columns read as shares (0-1) and shown as percentages.
SHARE_COLUMNS = {"volume", "stability", "stability_joint", "case_coverage", "coverage", "automation_rate"}
#: Columns that name the row: pinned, so they stay in view when a wide table scrolls sideways.
KEY_COLUMNS = ("activity", "performer", "kpi", "step", "metric", "factor", "variant")


def column_label(name: str) -> str:
    """A column's header in words: :data:`COLUMN_LABELS`, else its name with the unit last.

    ``"waiting_hours_p90"`` -> ``"waiting, p90 (h)"``; ``"round_trip_hours"`` -> ``"round trip (h)"``.
    """
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    words = str(name).split("_")
    unit = next((_UNITS[w] for w in words if w in _UNITS), None)
    words = [w for w in words if w not in _UNITS]
    stat = words.pop() if len(words) > 1 and words[-1] in _STATS else None
    text = " ".join(words) + (f", {stat}" if stat else "")
    return text + (f" ({unit})" if unit else "")


def _is_share(name: str) -> bool:
    return name in SHARE_COLUMNS or name.startswith("share") or name.endswith(("share", "_rate"))


def column_config(frame: pd.DataFrame) -> dict:
    """How :func:`table` shows each column: headers in words (:func:`column_label`), numbers with
    thousands separators (hours with one decimal, large ones without), shares as percentages, sentences
    wide and the naming column pinned."""
    config = {}
    for c in frame.columns:
        name, label = str(c), column_label(str(c))
        values = frame[c]
        pinned = True if name in KEY_COLUMNS and len(frame.columns) > 5 else None
        if pd.api.types.is_bool_dtype(values):
            config[c] = st.column_config.CheckboxColumn(label)
        elif pd.api.types.is_integer_dtype(values):
            fmt = "%d" if name in ("rank", "variant", "n", "month", "run", "seed") else "%,d"
            config[c] = st.column_config.NumberColumn(label, format=fmt, pinned=pinned)
        elif pd.api.types.is_float_dtype(values):
            if _is_share(name) and values.dropna().between(0, 1).all():
                fmt = "percent"
            else:
                big = values.abs().max() >= 1000 if values.notna().any() else False
                fmt = "%,.0f" if big else ("%,.1f" if any(u in name for u in _UNITS) else "%,.2f")
            config[c] = st.column_config.NumberColumn(label, format=fmt, pinned=pinned)
        elif pd.api.types.is_datetime64_any_dtype(values):
            config[c] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            width = "large" if name in LONG_TEXT else None
            config[c] = st.column_config.TextColumn(label, width=width, pinned=pinned)
        else:  # durations, categories...: Streamlit's own rendering, under a readable header
            config[c] = st.column_config.Column(label)
    return config


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes in words (recommendations, failure patterns), lists and tuples as text; a new frame."""
    out = {}
    for c in frame.columns:
        v = frame[c]
        if c == "recommendation" and v.dtype == object:
            out[c] = v.map(lambda x: LABELS_TABLE.get(x, x))
        elif c == "pattern" and v.dtype == object:
            out[c] = v.map(lambda x: PATTERN_LABELS.get(x, x))
        elif v.dtype == object and len(v) and v.map(lambda x: isinstance(x, (list, tuple))).any():
            sep = " → " if c in ("trace", "path") else ", "
            out[c] = v.map(lambda x, sep=sep: sep.join(map(str, x)) if isinstance(x, (list, tuple)) else x)
    return frame.assign(**out) if out else frame


def table(frame: pd.DataFrame, **kwargs) -> None:
    """``st.dataframe`` without the index, as wide as the page, with :func:`column_config`'s headers and
    formats (overridable) and codes in words."""
    frame = _readable(frame)
    config = column_config(frame) | kwargs.pop("column_config", {})
    kwargs.setdefault("width", "stretch")
    kwargs.setdefault("placeholder", "—")  # a missing value, not the word "None"
    st.dataframe(frame, hide_index=True, column_config=config, **kwargs)


def extra_tables(result: object, shown: set[str]) -> None:
    """Render the tables of a result object that the page does not show by name.

    Pages render what the result objects hold: a table the library adds to a result later (causes of a
    bottleneck, failure modes of a handoff) appears under its field name without changing the page.
    """
    if not dataclasses.is_dataclass(result):
        return
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if f.name in shown or not isinstance(value, pd.DataFrame) or value.empty:
            continue
        st.subheader(column_label(f.name).capitalize())
        table(value)


def show_import_report(quality: DataQuality) -> None:
    """How every row read was accounted for: counts, the outcome table, formats, notes, mapping."""
    report = quality.import_report()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Rows read", f"{quality.rows_read:,}")
    c2.metric("Rows kept", f"{quality.rows_kept:,}")
    c3.metric("Rows dropped", f"{quality.rows_dropped:,}")
    c4.metric("Values repaired", f"{sum(quality.repairs.values()):,}")
    if report.get("clean"):
        st.success("Clean import: no row dropped and no value repaired.", icon=":material/verified:")
    outcomes = [
        {"outcome": "kept", "reason": "part of the event table", "rows": quality.rows_kept, "examples": ""}
    ]
    for outcome in ("dropped", "repaired"):
        outcomes += [
            {
                "outcome": outcome,
                "reason": r["reason"],
                "rows": r["rows"],
                "examples": ", ".join(f"row {n}" for n in r["examples"]),
            }
            for r in report[outcome]
        ]
    dropped_duplicates = any("duplicate" in r["reason"] for r in report["dropped"])
    if report["rows"]["duplicates"] and not dropped_duplicates:
        outcomes.append(
            {
                "outcome": "kept",
                "reason": "of which repeat an earlier row in every column (kept; can be dropped on load)",
                "rows": report["rows"]["duplicates"],
                "examples": "",
            }
        )
    table(
        pd.DataFrame(outcomes),
        column_config={"examples": st.column_config.TextColumn("example rows", width="medium")},
    )
    read = {k: v for k, v in report["read"].items() if v not in (None, "")}
    times = report["timestamps"]
    left, right = st.columns(2)
    left.markdown("**How the file was read**")
    left.dataframe(
        pd.DataFrame(
            {"setting": ["format", *read], "value": [str(report["format"]), *(str(v) for v in read.values())]}
        ),
        hide_index=True,
    )
    if times:
        right.markdown("**Time columns**")
        right.dataframe(
            pd.DataFrame(
                [{"column": c, "format": t["format"], "zone": t.get("zone") or ""} for c, t in times.items()]
            ),
            hide_index=True,
        )
    if quality.notes:
        st.markdown("**Notes**")
        bullet_list([app_message(note) for note in quality.notes])  # in the Load page's words
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


def download(label: str, content, file_name: str, mime: str, key: str, container=st) -> None:
    """A download button that does not rerun the app; ``content`` is bytes or a callable returning them."""
    container.download_button(
        label,
        content,
        file_name=file_name,
        mime=mime,
        icon=":material/download:",
        on_click="ignore",
        key=key,
    )


# ------------------------------------------------------------------------------------- filter sidebar

TIME_MODES = {
    "intersecting": "Cases active in the range",
    "contained": "Cases entirely in the range",
    "started": "Cases started in the range",
    "completed": "Cases ended in the range",
    "trim": "Events in the range (trims cases)",
}
ATTRIBUTE_MODES = {
    "cases": "Keep cases with these values",
    "exclude": "Remove cases with these values",
    "events": "Keep only these events",
}
#: Variants offered in the variant filter (the most common first).
VARIANT_CHOICES = 200
NO_ATTRIBUTE = "(no attribute filter)"


def _filter_options(base: Findings) -> dict:
    """What the filter widgets offer for the loaded log, computed once per analysis (in the engine)."""
    from mapper import attribute_columns, filter_bounds

    memo = st.session_state.setdefault("filter_options", {})
    key = st.session_state.get(ANALYSIS_KEY, "")
    if key not in memo:
        memo.clear()
        memo[key] = {
            "bounds": filter_bounds(base.log),
            "columns": attribute_columns(base.log)["column"].tolist(),
            "values": {},
        }
    return memo[key]


def _attribute_values(base: Findings, options: dict, column: str) -> list[str]:
    from mapper import attribute_values

    if column not in options["values"]:
        options["values"][column] = attribute_values(base.log, column)["value"].tolist()
    return options["values"][column]


def _variant_label(variants: pd.DataFrame) -> Callable[[int], str]:
    v = variants.set_index("variant")

    def label(n: int) -> str:
        trace = " → ".join(v.at[n, "trace"])
        trace = trace if len(trace) <= 70 else trace[:69] + "…"
        return f"#{n} ({v.at[n, 'share']:.1%}): {trace}"

    return label


def filter_sidebar() -> None:
    """The filters in the sidebar (date range, attribute values, variants, case duration).

    Rendered by the router on every page, so the widgets keep their values across pages. Applying runs
    :func:`mapper.filter_log` on the loaded log and analyses the view; every page then shows the view.
    """
    base = st.session_state.get(FINDINGS)
    if base is None:
        return
    try:
        options = _filter_options(base)
    except FlowreadyError as exc:
        st.sidebar.error(md_escape(app_message(exc)))
        return
    applied = st.session_state.get(FILTERS) or {}
    bounds = options["bounds"]
    first, last = bounds["start"].date(), bounds["end"].date()
    lo_h, hi_h = float(bounds["case_hours_min"]), float(bounds["case_hours_max"])
    in_days = hi_h > 72
    unit, scale = ("days", 24.0) if in_days else ("hours", 1.0)
    sb = st.sidebar
    sb.header("Filters")
    if applied:
        view = current_findings()
        sb.caption("Applied: " + md_escape("; ".join(view.log.filters)))
    column = sb.selectbox("Attribute", [NO_ATTRIBUTE, *options["columns"]], key="flt_column")
    # Not "filters": a form key is a read-only session-state key and FILTERS holds the applied filters.
    with sb.form("filter_form", border=False):
        dates = st.date_input(
            "Date range",
            value=(first, last),
            min_value=first,
            max_value=last,
            key="flt_dates",
            format="YYYY-MM-DD",
        )
        time_mode = st.selectbox(
            "Which cases", list(TIME_MODES), format_func=TIME_MODES.get, key="flt_time_mode"
        )
        values, attribute_mode = [], "cases"
        if column != NO_ATTRIBUTE:
            values = st.multiselect(
                f"Values of {column}", _attribute_values(base, options, column), key=f"flt_values_{column}"
            )
            attribute_mode = st.radio(
                "Values", list(ATTRIBUTE_MODES), format_func=ATTRIBUTE_MODES.get, key="flt_attribute_mode"
            )
        variants = st.multiselect(
            "Variants",
            base.variants["variant"].head(VARIANT_CHOICES).tolist(),
            format_func=_variant_label(base.variants),
            key="flt_variants",
            placeholder="All variants",
        )
        duration = st.slider(
            f"Case duration ({unit})",
            min_value=lo_h / scale,
            max_value=max(hi_h / scale, lo_h / scale + 0.1),
            value=(lo_h / scale, max(hi_h / scale, lo_h / scale + 0.1)),
            key="flt_duration",
        )
        apply = st.form_submit_button("Apply filters", type="primary", icon=":material/filter_alt:")
    if sb.button("Clear filters", icon=":material/filter_alt_off:", disabled=not applied, key="flt_clear"):
        st.session_state[FILTERS] = {}
        for k in [k for k in st.session_state if str(k).startswith("flt_")]:
            del st.session_state[k]
        st.rerun()
    if not apply:
        return
    filters: dict = {}
    if not (isinstance(dates, tuple) and len(dates) == 2):  # only a start day picked: not silently dropped
        sb.error("Pick both the first and the last day of the date range, then apply again.")
        return
    if dates[0] > first or dates[1] < last:
        start = pd.Timestamp(dates[0], tz="UTC")
        end = pd.Timestamp(dates[1], tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        filters["time_range"] = (start, end)
        filters["time_mode"] = time_mode
    if values:
        filters["attributes"] = {column: list(values)}
        filters["attribute_mode"] = attribute_mode
    if variants:
        filters["variants"] = list(variants)
    low, high = duration[0] * scale, duration[1] * scale
    if low > lo_h + 1e-9 or high < hi_h - 1e-9:
        filters["case_hours"] = (low if low > lo_h + 1e-9 else None, high if high < hi_h - 1e-9 else None)
    try:
        apply_filters(filters)
    except FlowreadyError as exc:
        sb.error(md_escape(app_message(exc)))  # the filters' names, not filter_log's parameters
    else:
        st.rerun()
