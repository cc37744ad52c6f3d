"""The ``flowready`` command: parse arguments, call the library, print a summary.

Errors that flowready raises on purpose (:class:`~mapper.errors.FlowreadyError`) are printed as one
clear message, without a traceback, and the command exits with code 2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mapper.errors import FlowreadyError
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


@app.command()
def analyze(
    log: Annotated[Path, typer.Argument(help="Event log: .csv, .tsv, .xes, .parquet (optionally .gz).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("out"),
    case_id: Annotated[str | None, typer.Option(help="Column with the case id.")] = None,
    activity: Annotated[str | None, typer.Option(help="Column with the activity name.")] = None,
    timestamp: Annotated[str | None, typer.Option(help="Column with the completion time.")] = None,
    start_timestamp: Annotated[str | None, typer.Option(help="Column with the start time.")] = None,
    resource: Annotated[str | None, typer.Option(help="Column with the resource (person/system).")] = None,
    role: Annotated[str | None, typer.Option(help="Column with the role or team.")] = None,
    lifecycle: Annotated[
        str | None, typer.Option(help="Column with lifecycle transitions (start/complete).")
    ] = None,
    timestamp_format: Annotated[
        str | None, typer.Option(help="strptime format, e.g. '%d/%m/%Y %H:%M'.")
    ] = None,
    dayfirst: Annotated[bool, typer.Option("--dayfirst", help="Read 01/02/2024 as 1 February (UK).")] = False,
    monthfirst: Annotated[
        bool, typer.Option("--monthfirst", help="Read 01/02/2024 as 2 January (US).")
    ] = False,
    timezone: Annotated[str, typer.Option(help="IANA zone of naive timestamps.")] = "UTC",
    drop_bad_timestamps: Annotated[
        bool,
        typer.Option(
            "--drop-bad-timestamps",
            help="Drop rows whose timestamp cannot be parsed (reported) instead of stopping.",
        ),
    ] = False,
    noise_threshold: Annotated[float, typer.Option(help="Inductive Miner noise threshold, 0 to <1.")] = 0.2,
    end_activity: Annotated[
        list[str] | None,
        typer.Option(
            "--end-activity", help="An activity that closes a case (repeatable); detected by default."
        ),
    ] = None,
) -> None:
    """Analyse LOG and write report.html, findings.json, blueprint.json, blueprint.bpmn,
    process_map.svg and data_quality.json to --out."""
    if dayfirst and monthfirst:
        err.print("[bold red]error:[/] --dayfirst and --monthfirst exclude each other; pass one.")
        raise typer.Exit(2)
    try:
        _analyze(
            log,
            out_dir,
            dict(
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
            ),
            noise_threshold,
            end_activity or None,
        )
    except FlowreadyError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(2) from None
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


def _analyze(
    log: Path, out_dir: Path, load_kwargs: dict, noise_threshold: float, ends: list[str] | None
) -> None:
    from analysis.findings import analyze as run_analysis
    from analysis.report import export_report
    from mapper.discovery import render_process_map
    from mapper.load import load_event_log

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=False
    ) as progress:
        task = progress.add_task(f"Reading {log.name}", total=None)

        def step(name: str) -> None:
            progress.update(task, description=name)

        event_log = load_event_log(log, **load_kwargs)
        findings = run_analysis(
            event_log, noise_threshold=noise_threshold, end_activities=ends, progress=step
        )
        step("Writing outputs")
        out_dir.mkdir(parents=True, exist_ok=True)
        findings.to_json(out_dir / "findings.json")
        (out_dir / "data_quality.json").write_text(
            json.dumps(findings.quality.to_dict(), indent=2, ensure_ascii=False), "utf-8"
        )
        findings.blueprint.to_json(out_dir / "blueprint.json")
        findings.blueprint.to_bpmn(out_dir / "blueprint.bpmn")
        svg = render_process_map(findings.dfg)
        (out_dir / "process_map.svg").write_text(svg, "utf-8")
        export_report(findings, out_dir / "report.html", process_map=svg)
        step("Done")
    _print_summary(findings, out_dir)


def _print_summary(f, out_dir: Path) -> None:
    s, q = f.summary, f.quality
    out.print(
        f"[bold]{s['source']}[/]: {s['cases']:,} cases, {s['events']:,} events, "
        f"{s['activities']} activities, "
        f"{s['variants']:,} variants ({q.rows_read:,} rows read, {q.rows_dropped:,} dropped)",
        highlight=False,
    )
    for note in q.notes:
        out.print(f"  [dim]· {note}[/]", highlight=False)
    verdict = (
        "[bold yellow]Orchestrate first[/]"
        if f.verdict.orchestrate_first
        else "[bold green]Ready to automate[/]"
    )
    out.print(f"Verdict: {verdict}")
    for r in f.verdict.reasons:
        out.print(f"  - {r}", highlight=False)
    t = Table(title="Top bottlenecks", show_edge=False)
    for c in ("#", "step", "share of waiting", "median wait"):
        t.add_column(c)
    for r in f.bottlenecks.activities.head(3).itertuples():
        t.add_row(
            str(r.rank), r.activity, f"{r.share_of_waiting:.0%}", humanize_hours(r.waiting_hours_median)
        )
    out.print(t)
    recs = f.readiness.scores["recommendation"].value_counts().to_dict()
    out.print("Recommendations: " + ", ".join(f"{k} {v}" for k, v in sorted(recs.items())), highlight=False)
    out.print(f"Report: [bold]{(out_dir / 'report.html').resolve()}[/]", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
