"""The ``flowready`` command: parse arguments, call the library, print a summary.

Errors that flowready raises on purpose (:class:`~mapper.errors.FlowreadyError`) are printed as one
clear message, without a traceback, and the command exits with code 2.
"""

from __future__ import annotations

import functools
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mapper.errors import FlowreadyError, translate
from mapper.units import humanize_hours

app = typer.Typer(
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    help=(
        "flowready: mine an event log to find where orchestration and automation should go, "
        "and what must be fixed first."
    ),
)
err = Console(stderr=True)
out = Console()


@app.callback()
def _main() -> None:
    """flowready command line."""


# --- options shared by the commands that read logs (declared once) -----------------------------------
CaseIdOpt = Annotated[str | None, typer.Option(help="Column with the case id.")]
ActivityOpt = Annotated[str | None, typer.Option(help="Column with the activity name.")]
TimestampOpt = Annotated[str | None, typer.Option(help="Column with the completion time.")]
StartTimestampOpt = Annotated[str | None, typer.Option(help="Column with the start time.")]
ResourceOpt = Annotated[str | None, typer.Option(help="Column with the resource (person/system).")]
RoleOpt = Annotated[str | None, typer.Option(help="Column with the role or team.")]
LifecycleOpt = Annotated[str | None, typer.Option(help="Column with lifecycle transitions (start/complete).")]
TimestampFormatOpt = Annotated[str | None, typer.Option(help="strptime format, e.g. '%d/%m/%Y %H:%M'.")]
DayfirstOpt = Annotated[bool, typer.Option("--dayfirst", help="Read 01/02/2024 as 1 February (UK).")]
MonthfirstOpt = Annotated[bool, typer.Option("--monthfirst", help="Read 01/02/2024 as 2 January (US).")]
TimezoneOpt = Annotated[str, typer.Option(help="IANA zone of naive timestamps.")]
DropBadOpt = Annotated[
    bool,
    typer.Option(
        "--drop-bad-timestamps",
        help="Drop rows whose timestamp cannot be parsed (reported) instead of stopping.",
    ),
]
SheetOpt = Annotated[str | None, typer.Option(help="Excel: the worksheet to read (default the first).")]
XesReaderOpt = Annotated[
    str, typer.Option(help="XES parser: auto (rustxes when installed, else lxml), rustxes or lxml.")
]


#: The reading options every command that loads logs shares (the keywords of :func:`_mapping_kwargs`).
MAPPING_OPTIONS = (
    "case_id",
    "activity",
    "timestamp",
    "start_timestamp",
    "resource",
    "role",
    "lifecycle",
    "timestamp_format",
    "dayfirst",
    "monthfirst",
    "timezone",
    "drop_bad_timestamps",
    "sheet",
    "xes_reader",
)


def _mapping_kwargs(
    *,
    case_id,
    activity,
    timestamp,
    start_timestamp,
    resource,
    role,
    lifecycle,
    timestamp_format,
    dayfirst,
    monthfirst,
    timezone,
    drop_bad_timestamps,
    sheet,
    xes_reader,
) -> dict:
    """The ``load_event_log`` keywords of the shared reading options (exits 2 on contradictions)."""
    if dayfirst and monthfirst:
        err.print("[bold red]error:[/] --dayfirst and --monthfirst exclude each other; pass one.")
        raise typer.Exit(2)
    if xes_reader not in ("auto", "rustxes", "lxml"):
        err.print("[bold red]error:[/] --xes-reader is auto, rustxes or lxml.")
        raise typer.Exit(2)
    return dict(
        case_id=case_id,
        activity=activity,
        timestamp=timestamp,
        start_timestamp=start_timestamp,
        resource=resource,
        role=role,
        lifecycle=lifecycle,
        timestamp_format=timestamp_format,
        dayfirst=True if dayfirst else (False if monthfirst else None),
        timezone=timezone,
        on_bad_timestamp="drop" if drop_bad_timestamps else "error",
        sheet=sheet,
        xes_reader=xes_reader,
    )


class EngineMode(StrEnum):
    """``--engine``: the values of :func:`mapper.backends.set_engine`."""

    duckdb = "duckdb"
    spark = "spark"


class ImpactMode(StrEnum):
    """``--impact``: the values of :func:`analysis.analyze`'s ``impact``."""

    simulate = "simulate"
    analytical = "analytical"
    off = "off"


#: Library parameters whose option on the command line has another name (or stands for one value). The
#: options named like their parameter are read from the commands themselves (:func:`option_names`).
RENAMED_PARAMETERS = {
    "dayfirst=False": "--monthfirst",
    "on_bad_timestamp": "--drop-bad-timestamps",
    "on_bad_timestamp='drop'": "--drop-bad-timestamps",
    "time_range": "--from/--to",
    "case_hours": "--min-case-hours/--max-case-hours",
    "attributes": "--keep",
    "variants": "--variant",
    "sla_targets": "--sla",
    "targets": "--sla",
    "performer_types": "--performer-type",
    "overrides": "--performer-type",
    "end_activities": "--end-activity",
    "equity_attributes": "--equity-attribute",
    "pseudonym_key": "--pseudonym-key-file",
    "pseudonymise": "--pseudonymise-column",
}


@functools.cache
def option_names() -> dict[str, str]:
    """What the command line calls each library parameter, for :func:`mapper.errors.translate`.

    Every option of every command whose Python name is a library parameter (``case_id`` ->
    ``--case-id``; a flag also as ``dayfirst=True`` -> ``--dayfirst``), read from the typer commands so
    that a renamed option cannot be missed, plus :data:`RENAMED_PARAMETERS`.

    Returns
    -------
    dict of str to str
        Parameter (or ``parameter=value``) -> option, e.g. ``{"timestamp_format": "--timestamp-format"}``.
    """
    names: dict[str, str] = {}
    for command in typer.main.get_command(app).commands.values():
        for param in command.params:
            if param.param_type_name == "option" and param.name:
                flag = max(param.opts, key=len)  # "--out", not "-o"
                names.setdefault(param.name, flag)
                if param.is_flag:
                    names.setdefault(f"{param.name}=True", flag)
    return names | RENAMED_PARAMETERS


def cli_message(message: object) -> str:
    """A library message (or error) with the Python parameters it names written as the command's options.

    Returns
    -------
    str
        ``message`` through :func:`mapper.errors.translate` with :func:`option_names`, e.g.
        ``"... Set `dayfirst=True` for DD/MM ..."`` -> ``"... Set --dayfirst for DD/MM ..."``.
    """
    return translate(message, option_names())


def _say(console: Console, prefix: str, message: object) -> None:
    """Print a library message with its options translated; the message is text, never rich markup."""
    console.print(f"{prefix}{escape(cli_message(message))}", highlight=False, markup=True, soft_wrap=True)


def _guarded(run) -> None:
    """Run ``run()``; a FlowreadyError is one clear message (exit 2), anything else an internal error (1)."""
    try:
        run()
    except FlowreadyError as exc:
        _say(err, "[bold red]error:[/] ", exc)
        raise typer.Exit(2) from None
    except typer.Exit:
        raise
    except Exception as exc:  # a bug in flowready or a library: one line, the traceback on request
        if os.environ.get("FLOWREADY_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}. This is a flowready bug, not a "
            "problem with your file's format; please report it. Set FLOWREADY_DEBUG=1 to see the traceback.",
            highlight=False,
            markup=True,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


@app.command()
def analyze(
    logs: Annotated[
        list[Path],
        typer.Argument(
            help="Event log(s): .csv, .tsv, .xes (optionally .gz), .parquet, .xlsx, OCEL 2.0 "
            "(.jsonocel, .xmlocel, .sqlite). Several files are merged into one log (one system each).",
            metavar="LOG...",
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    case_id: CaseIdOpt = None,
    activity: ActivityOpt = None,
    timestamp: TimestampOpt = None,
    start_timestamp: StartTimestampOpt = None,
    resource: ResourceOpt = None,
    role: RoleOpt = None,
    lifecycle: LifecycleOpt = None,
    timestamp_format: TimestampFormatOpt = None,
    dayfirst: DayfirstOpt = False,
    monthfirst: MonthfirstOpt = False,
    timezone: TimezoneOpt = "UTC",
    drop_bad_timestamps: DropBadOpt = False,
    drop_duplicates: Annotated[
        bool,
        typer.Option("--drop-duplicates", help="Drop rows that repeat an earlier row exactly (reported)."),
    ] = False,
    estimate_start_times: Annotated[
        bool,
        typer.Option(
            "--estimate-start-times",
            help="Estimate missing start times (pix-framework; marked as estimated everywhere).",
        ),
    ] = False,
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            help="Replace case ids and resource names by keyed HMAC pseudonyms before any output.",
        ),
    ] = False,
    pseudonym_key_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the pseudonym key (else the FLOWREADY_PSEUDONYM_KEY environment variable). "
            "Give the path of the key file, never the key itself."
        ),
    ] = None,
    pseudonymise_column: Annotated[
        list[str] | None,
        typer.Option("--pseudonymise-column", help="Another column to pseudonymise (repeatable)."),
    ] = None,
    sheet: SheetOpt = None,
    object_type: Annotated[
        str | None, typer.Option(help="OCEL 2.0: the object type whose objects are the cases.")
    ] = None,
    xes_reader: XesReaderOpt = "auto",
    system: Annotated[
        list[str] | None,
        typer.Option(
            help="Name of the system each LOG comes from, in order (repeatable; default file names)."
        ),
    ] = None,
    case_map: Annotated[
        Path | None,
        typer.Option(help="Table linking case ids across systems: one column per system name."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Filter: start of the time frame (ISO date or time).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Filter: end of the time frame (ISO date or time, inclusive).")
    ] = None,
    time_mode: Annotated[
        str,
        typer.Option(
            help="Filter: which cases the time frame keeps: intersecting, contained, started, completed, or "
            "trim (keep only the events in it)."
        ),
    ] = "intersecting",
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help="Filter: COLUMN=VALUE (repeatable; values of one column are OR-ed, columns AND-ed).",
        ),
    ] = None,
    attribute_mode: Annotated[
        str, typer.Option(help="Filter: what --keep does: cases (keep cases with), exclude, or events.")
    ] = "cases",
    variant: Annotated[
        list[int] | None, typer.Option("--variant", help="Filter: keep this variant number (repeatable).")
    ] = None,
    min_case_hours: Annotated[
        float | None, typer.Option(help="Filter: shortest cycle time kept, hours.")
    ] = None,
    max_case_hours: Annotated[
        float | None, typer.Option(help="Filter: longest cycle time kept, hours.")
    ] = None,
    noise_threshold: Annotated[float, typer.Option(help="Inductive Miner noise threshold, 0 to <1.")] = 0.2,
    end_activity: Annotated[
        list[str] | None,
        typer.Option(
            "--end-activity", help="An activity that closes a case (repeatable); detected by default."
        ),
    ] = None,
    performer_type: Annotated[
        list[str] | None,
        typer.Option(
            "--performer-type",
            help="NAME=TYPE: set who a performer is, human, system, bot or external (repeatable; "
            "overrides what flowready finds).",
        ),
    ] = None,
    performer_types: Annotated[
        Path | None,
        typer.Option(help="CSV file with the columns performer,type (as --performer-type, one per row)."),
    ] = None,
    sla: Annotated[
        list[str] | None,
        typer.Option(
            "--sla", help="STEP=HOURS: a target from enabling to completion of a step (repeatable)."
        ),
    ] = None,
    due_column: Annotated[
        str | None, typer.Option(help="Column holding each event's due time (SLA breaches).")
    ] = None,
    escalation_column: Annotated[
        str | None, typer.Option(help="Column with the support level or line (escalations that bounce back).")
    ] = None,
    escalation_order: Annotated[
        str | None,
        typer.Option(help="The values of --escalation-column from lowest to highest, comma-separated."),
    ] = None,
    equity_attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--equity-attribute",
            help="A case attribute to treat as sensitive (repeatable): decisions recommended for automation "
            "are checked for disparities across its groups.",
        ),
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option(help="YAML file of readiness weights and thresholds (see docs/readiness.md)."),
    ] = None,
    impact: Annotated[
        ImpactMode,
        typer.Option(
            help="What the blueprint is worth: simulate today's process and the blueprint's (slower), only "
            "the analytical estimate, or off (see docs/impact.md)."
        ),
    ] = ImpactMode.simulate,
    impact_runs: Annotated[
        int, typer.Option(min=1, help="Simulations per scenario; the ranges are their minimum and maximum.")
    ] = 5,
    engine: Annotated[
        EngineMode | None,
        typer.Option(
            help="What runs the event-level queries: embedded DuckDB (default, or $FLOWREADY_ENGINE), or "
            "Spark (pip install 'flowready[spark]'; a local Spark, or the cluster Spark's own "
            "configuration names: see docs/scale-out.md)."
        ),
    ] = None,
) -> None:
    """Analyse LOG and write every output to --out: report.html, findings.json, data_quality.json, the
    blueprint (blueprint.bpmn, blueprint.json, blueprint.sw.yaml, blueprint_dapr.py), kpi_baseline.json,
    process_map.svg and the result tables (tables/*.csv, tables.xlsx)."""
    load_kwargs = _mapping_kwargs(**{k: v for k, v in locals().items() if k in MAPPING_OPTIONS})
    if system and len(system) != len(logs):
        err.print(f"[bold red]error:[/] {len(logs)} logs but {len(system)} --system names; give one per log.")
        raise typer.Exit(2)
    if case_map is not None and len(logs) < 2:
        err.print("[bold red]error:[/] --case-map links several logs; give at least two.")
        raise typer.Exit(2)
    attributes: dict[str, list[str]] = {}
    for item in keep or []:
        column, sep, value = item.partition("=")
        if not sep or not column:
            err.print(f"[bold red]error:[/] --keep {item!r}: write COLUMN=VALUE, e.g. --keep role=Highways.")
            raise typer.Exit(2)
        attributes.setdefault(column, []).append(value)
    if until and len(until.strip()) == 10:  # a date: the whole day is in the frame
        until = f"{until.strip()}T23:59:59.999999"
    filters = {
        "time_range": (since, until) if since or until else None,
        "time_mode": time_mode,
        "attributes": attributes or None,
        "attribute_mode": attribute_mode,
        "variants": variant or None,
        "case_hours": (min_case_hours, max_case_hours)
        if min_case_hours is not None or max_case_hours is not None
        else None,
    }

    analysis_kwargs = {
        "sla_targets": _pairs(sla, "--sla", "STEP=HOURS", "--sla 'Assess application=72'", number=True),
        "due_column": due_column,
        "escalation_column": escalation_column,
        "escalation_order": [v.strip() for v in escalation_order.split(",") if v.strip()]
        if escalation_order
        else None,
        "equity_attributes": tuple(equity_attribute or ()),
        "profile": profile,
        "impact": ImpactMode(impact).value,
        "impact_runs": impact_runs,
    }
    types = _pairs(performer_type, "--performer-type", "NAME=TYPE", "--performer-type 'Portal=system'")

    def run() -> None:
        from analysis.performers import load_performer_types
        from mapper.backends import set_engine

        if engine is not None:
            set_engine(EngineMode(engine).value)

        overrides = dict(load_performer_types(performer_types)) if performer_types is not None else {}
        overrides.update(types or {})
        analysis_kwargs["performer_types"] = overrides or None
        key = None
        if pseudonymise or pseudonym_key_file is not None or pseudonymise_column:
            from mapper.pseudonymise import load_pseudonym_key

            key = load_pseudonym_key(pseudonym_key_file)
        _analyze(
            logs,
            out_dir,
            {
                **load_kwargs,
                "drop_duplicates": drop_duplicates,
                "estimate_start_times": estimate_start_times,
                "pseudonym_key": key,
                "pseudonymise": ["case_id", "resource", *(pseudonymise_column or [])],
                "object_type": object_type,
            },
            noise_threshold,
            end_activity or None,
            system,
            case_map,
            filters,
            analysis_kwargs,
        )

    _guarded(run)


def _pairs(
    items: list[str] | None, flag: str, form: str, example: str, *, number: bool = False
) -> dict | None:
    """``NAME=VALUE`` options as a dict (exits 2 with the flag's form on a malformed item)."""
    out: dict = {}
    for item in items or []:
        name, sep, value = item.rpartition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            err.print(f"[bold red]error:[/] {flag} {item!r}: write {form}, e.g. {example}.", highlight=False)
            raise typer.Exit(2)
        if number:
            try:
                value = float(value)
            except ValueError:
                err.print(f"[bold red]error:[/] {flag} {item!r}: {value!r} is not a number of hours.")
                raise typer.Exit(2) from None
        out[name] = value
    return out or None


def _analyze(
    logs: list[Path],
    out_dir: Path,
    load_kwargs: dict,
    noise_threshold: float,
    ends: list[str] | None,
    systems: list[str] | None = None,
    case_map: Path | None = None,
    filters: dict | None = None,
    analysis_kwargs: dict | None = None,
) -> None:
    from analysis.findings import analyze as run_analysis
    from analysis.outputs import export_all
    from mapper.filters import filter_log
    from mapper.load import load_event_log
    from mapper.merge import merge_event_logs

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=False
    ) as progress:
        task = progress.add_task(f"Reading {logs[0].name}", total=None)

        def step(name: str) -> None:
            progress.update(task, description=name)

        if len(logs) == 1:
            event_log = load_event_log(logs[0], **load_kwargs)
        else:
            names = systems or [None] * len(logs)
            # Pseudonymise after merging: the case map holds the systems' original ids.
            key, columns = load_kwargs.pop("pseudonym_key"), load_kwargs.pop("pseudonymise")
            loaded = {}
            for path, name in zip(logs, names, strict=True):
                step(f"Reading {path.name}")
                loaded[name or _system_name(path, loaded)] = load_event_log(path, **load_kwargs)
            step("Merging the systems' logs")
            event_log = merge_event_logs(loaded, case_map=case_map, pseudonym_key=key, pseudonymise=columns)
        if filters and any(filters.get(k) for k in ("time_range", "attributes", "variants", "case_hours")):
            step("Filtering")
            event_log = filter_log(event_log, **filters)
        findings = run_analysis(
            event_log,
            noise_threshold=noise_threshold,
            end_activities=ends,
            progress=step,
            **(analysis_kwargs or {}),
        )
        step("Writing outputs")
        export_all(
            findings,
            out_dir,
            on_skip=lambda name, why: _say(err, "[yellow]warning:[/] ", f"{name} not written: {why}"),
        )
        step("Done")
    _print_summary(findings, out_dir)


def _system_name(path: Path, taken: dict) -> str:
    from mapper.merge import system_name

    name, n = system_name(path.name), 2
    while name in taken:
        name, n = f"{system_name(path.name)}_{n}", n + 1
    return name


def _print_summary(f, out_dir: Path) -> None:
    s, q = f.summary, f.quality
    out.print(
        f"[bold]{s['source']}[/]: {s['cases']:,} cases, {s['events']:,} events, "
        f"{s['activities']} activities, "
        f"{s['variants']:,} variants ({q.rows_read:,} rows read, {q.rows_dropped:,} dropped)",
        highlight=False,
    )
    for note in q.notes:
        _say(out, "  · ", note)
    verdict = (
        "[bold yellow]Orchestrate first[/]"
        if f.verdict.orchestrate_first
        else "[bold green]Ready to automate[/]"
    )
    out.print(f"Verdict: {verdict}")
    for r in f.verdict.reasons:
        out.print(f"  - {r}", highlight=False)
    t = Table(title="Top bottlenecks", show_edge=False)
    for c in ("#", "step", "share of waiting", "median wait", "mostly", "remedy"):
        t.add_column(c)
    for r in f.bottlenecks.activities.head(3).itertuples():
        t.add_row(
            str(r.rank),
            r.activity,
            f"{r.share_of_waiting:.0%}",
            humanize_hours(r.waiting_hours_median),
            str(getattr(r, "dominant_cause", "")),
            str(getattr(r, "remedy", "")),
        )
    out.print(t)
    s_ = f.readiness.scores
    recs = s_["recommendation"].value_counts().to_dict()
    auto = int(s_["already_automated"].sum()) if "already_automated" in s_ else 0
    out.print(
        "Recommendations: "
        + ", ".join(f"{k} {v}" for k, v in sorted(recs.items()))
        + (f" ({auto} already automated)" if auto else "")
        + f"; fix first: {f.readiness.fix_first_share:.0%} of the steps",
        highlight=False,
    )
    if f.handoff_failures is not None and len(f.handoff_failures.failures):
        top = f.handoff_failures.failures.iloc[0]
        out.print(
            f"Handoff failures: {len(f.handoff_failures.failures)}; the costliest: {top['pattern']} "
            f"{top['source']} → {top['target']} after {top['after_activity']} ({top['cases']:,} cases)",
            highlight=False,
        )
    out.print(f"Report: [bold]{(out_dir / 'report.html').resolve()}[/]", highlight=False)


@app.command()
def compare(
    logs: Annotated[
        list[Path],
        typer.Argument(
            help="BEFORE AFTER: two logs of the same process (before and after a change); or one log with "
            "--split-at; or, with --baseline, the AFTER log alone.",
            metavar="BEFORE [AFTER]",
        ),
    ],
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="A kpi_baseline.json written by `flowready analyze`: re-measure its KPIs on the one log "
            "given (the after log) and say what moved."
        ),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    split_at: Annotated[
        str | None,
        typer.Option(help="Compare the cases started before this date with those started from it (one log)."),
    ] = None,
    alpha: Annotated[
        float, typer.Option(help="Significance level (after the multiple-testing adjustment).")
    ] = 0.05,
    adjust: Annotated[str, typer.Option(help="Multiple-testing adjustment: fdr_bh or holm.")] = "fdr_bh",
    case_id: CaseIdOpt = None,
    activity: ActivityOpt = None,
    timestamp: TimestampOpt = None,
    start_timestamp: StartTimestampOpt = None,
    resource: ResourceOpt = None,
    role: RoleOpt = None,
    lifecycle: LifecycleOpt = None,
    timestamp_format: TimestampFormatOpt = None,
    dayfirst: DayfirstOpt = False,
    monthfirst: MonthfirstOpt = False,
    timezone: TimezoneOpt = "UTC",
    drop_bad_timestamps: DropBadOpt = False,
    sheet: SheetOpt = None,
    xes_reader: XesReaderOpt = "auto",
) -> None:
    """Did the process change? Compare cycle time, waiting, rework and handoff failures, per step and for
    the process, with confidence intervals; write comparison.json, comparison.csv and comparison.html."""
    load_kwargs = _mapping_kwargs(**{k: v for k, v in locals().items() if k in MAPPING_OPTIONS})
    if baseline is not None:
        if len(logs) != 1 or split_at is not None:
            err.print(
                "[bold red]error:[/] with --baseline give one log (the after log) and no --split-at; "
                f"got {len(logs)} log(s){' and --split-at' if split_at else ''}."
            )
            raise typer.Exit(2)
        _guarded(lambda: _compare_baseline(baseline, logs[0], load_kwargs, alpha, out_dir))
        return
    if len(logs) not in (1, 2) or (len(logs) == 1) != (split_at is not None):
        err.print(
            "[bold red]error:[/] give two logs (BEFORE AFTER), or one log and --split-at DATE; "
            f"got {len(logs)} log(s){' and --split-at' if split_at else ''}."
        )
        raise typer.Exit(2)
    if adjust not in ("fdr_bh", "holm"):
        err.print("[bold red]error:[/] --adjust is fdr_bh or holm.")
        raise typer.Exit(2)

    def run() -> None:
        from analysis.compare import compare_logs, split_log
        from analysis.export import export_table, json_text
        from analysis.report import export_comparison_report
        from mapper.load import load_event_log

        with err.status("Reading the logs"):
            if split_at is not None:
                halves = split_log(load_event_log(logs[0], **load_kwargs), at=split_at)
                before, after = halves.before, halves.after
            else:
                before, after = (load_event_log(p, **load_kwargs) for p in logs)
        with err.status("Comparing"):
            result = compare_logs(before, after, alpha=alpha, adjust=adjust)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "comparison.json").write_text(json_text(result.to_dict()), "utf-8")
        export_table(result.to_frame(), out_dir / "comparison.csv")
        export_comparison_report(result, out_dir / "comparison.html")
        _print_comparison(result, out_dir)

    _guarded(run)


def _compare_baseline(
    baseline: Path, after_path: Path, load_kwargs: dict, alpha: float, out_dir: Path
) -> None:
    from analysis.export import export_table
    from analysis.monitoring import compare_to_baseline, load_monitoring_plan
    from mapper.load import load_event_log

    plan = load_monitoring_plan(baseline)
    with err.status("Reading the log"):
        after = load_event_log(after_path, **load_kwargs)
    with err.status("Re-measuring the KPIs"):
        result = compare_to_baseline(plan, after, alpha=alpha)
    out_dir.mkdir(parents=True, exist_ok=True)
    result.to_json(out_dir / "baseline_comparison.json")
    export_table(result.to_frame(), out_dir / "baseline_comparison.csv")
    out.print(
        f"[bold]{result.after_name}[/] against the baseline of [bold]{result.baseline_name}[/]",
        highlight=False,
    )
    t = Table(title="KPIs", show_edge=False)
    for c in ("KPI", "baseline", "after", "change", "95% CI of the change", "verdict", "target met"):
        t.add_column(c)
    for r in result.kpis.itertuples():
        change = "" if r.relative_change != r.relative_change else f"{r.relative_change:+.0%}"
        ci = "" if r.ci_low != r.ci_low else f"{r.ci_low:.3g} to {r.ci_high:.3g}"
        met = "" if r.met_target is None else ("yes" if r.met_target else "no")
        t.add_row(r.kpi, f"{r.baseline:.3g}", f"{r.after:.3g}", change, ci, r.direction, met)
    out.print(t)
    for n in result.notes:
        _say(out, "- ", n)
    out.print(f"Written: {(out_dir / 'baseline_comparison.json').resolve()}", highlight=False)


def _print_comparison(result, out_dir: Path) -> None:
    out.print(f"[bold]{result.after_name}[/] against [bold]{result.before_name}[/]", highlight=False)
    t = Table(title="Process", show_edge=False)
    for c in ("measure", "before", "after", "change", "95% CI of the change", "verdict"):
        t.add_column(c)
    for r in result.process.itertuples():
        change = "" if r.relative_change != r.relative_change else f"{r.relative_change:+.0%}"
        ci = "" if r.ci_low != r.ci_low else f"{r.ci_low:.3g} to {r.ci_high:.3g}"
        t.add_row(r.measure, f"{r.before:.3g}", f"{r.after:.3g}", change, ci, r.direction)
    out.print(t)
    sig = result.steps[result.steps["significant"]]
    out.print(f"Steps that changed significantly: {len(sig)}", highlight=False)
    for r in sig.head(15).itertuples():
        out.print(
            f"  - {r.activity}: {r.measure} {r.before:.3g} → {r.after:.3g} ({r.relative_change:+.0%}, "
            f"{r.direction})",
            highlight=False,
        )
    for note in result.notes:
        _say(out, "  · ", note)
    out.print(f"Report: [bold]{(out_dir / 'comparison.html').resolve()}[/]", highlight=False)


@app.command()
def rank(
    logs: Annotated[
        list[Path], typer.Argument(help="Two or more event logs, one per process.", metavar="LOG LOG...")
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    name: Annotated[
        list[str] | None, typer.Option("--name", help="A name per LOG, in order (repeatable).")
    ] = None,
    timezone: TimezoneOpt = "UTC",
    dayfirst: DayfirstOpt = False,
    monthfirst: MonthfirstOpt = False,
    xes_reader: XesReaderOpt = "auto",
) -> None:
    """Where to start: rank processes by volume, repeatability, cost today and readiness (the
    "high-volume, repeatable, expensive" rule); write ranking.json and ranking.csv. Each log's columns
    are detected from their names."""
    if len(logs) < 2:
        err.print("[bold red]error:[/] give at least two logs to rank.")
        raise typer.Exit(2)
    if name and len(name) != len(logs):
        err.print(f"[bold red]error:[/] {len(logs)} logs but {len(name)} --name values; give one per log.")
        raise typer.Exit(2)
    load_kwargs = _mapping_kwargs(
        case_id=None,
        activity=None,
        timestamp=None,
        start_timestamp=None,
        resource=None,
        role=None,
        lifecycle=None,
        timestamp_format=None,
        dayfirst=dayfirst,
        monthfirst=monthfirst,
        timezone=timezone,
        drop_bad_timestamps=False,
        sheet=None,
        xes_reader=xes_reader,
    )

    def run() -> None:
        from analysis.export import export_table, json_text
        from analysis.portfolio import rank_processes
        from mapper.load import load_event_log

        loaded = []
        for path in logs:
            with err.status(f"Reading {path.name}"):
                loaded.append(load_event_log(path, **load_kwargs))
        with err.status("Ranking"):
            ranking = rank_processes(loaded, names=name or [p.name for p in logs])
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "ranking.json").write_text(json_text(ranking.to_dict()), "utf-8")
        export_table(ranking.to_frame(), out_dir / "ranking.csv")
        t = Table(title="Where to start", show_edge=False)
        for c in ("#", "process", "cases/month", "top-10 paths", "cost h/year", "candidate steps", "score"):
            t.add_column(c)
        for r in ranking.table.itertuples():
            cand = (
                "—" if r.candidate_step_share != r.candidate_step_share else f"{r.candidate_step_share:.0%}"
            )
            t.add_row(
                str(r.rank),
                str(r.name),
                f"{r.cases_per_month:,.0f}",
                f"{r.top_variants_share:.0%}",
                f"{r.cost_hours_per_year:,.0f}",
                cand,
                f"{r.composite:.2f}",
            )
        out.print(t)
        for note in ranking.notes:
            _say(out, "  · ", note)
        out.print(f"Written: [bold]{(out_dir / 'ranking.json').resolve()}[/]", highlight=False)

    _guarded(run)


if __name__ == "__main__":  # pragma: no cover
    app()
