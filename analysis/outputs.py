"""Every output of an analysis, written by one call: the CLI, the app and a notebook use the same writers.

:data:`OUTPUTS` lists the files an analysis produces (name, media type, what it is for, how it is
rendered). :func:`render_output` renders one of them to bytes (the app's download buttons);
:func:`export_all` writes them all into a folder (``flowready analyze``), with the result tables as CSV
and Excel beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analysis.export import export_table, export_tables, json_text
from analysis.findings import Findings
from analysis.monitoring import build_monitoring_plan
from analysis.pdf import find_chromium
from analysis.report import render_report
from analysis.workflows import export_dapr_workflow, export_serverless_workflow
from mapper.discovery import render_process_map
from mapper.errors import AnalysisError, FlowreadyError

#: Why ``report.pdf`` is missing on a machine without a browser (the CLI prints it, the app shows it).
CHROMIUM_MISSING = (
    "headless Chromium, which prints the PDF, is not installed (apt-get install chromium, or set "
    "$FLOWREADY_CHROMIUM); report.html has the same content"
)


def _json(doc: dict) -> bytes:
    return json_text(doc).encode("utf-8")


@dataclass(frozen=True)
class Output:
    """One output file of an analysis.

    Attributes
    ----------
    name : str
        The file name (``report.html``).
    media_type : str
        Its media (MIME) type.
    description : str
        What it is for, in a sentence a user reads beside the download.
    needs_graphviz : bool
        Rendering it runs Graphviz's ``dot``.
    render : callable
        ``render(findings) -> bytes``.
    optional : bool
        Some logs cannot give it (e.g. a KPI baseline of a log too small to measure): rendering raises
        :class:`mapper.errors.AnalysisError` saying why, and :func:`export_all` skips it.
    needs_chromium : bool
        Rendering it runs headless Chromium (:func:`analysis.pdf.find_chromium`); without one,
        :func:`export_all` skips it with a note.
    """

    name: str
    media_type: str
    description: str
    needs_graphviz: bool
    render: Callable[[Findings], bytes]
    optional: bool = False
    needs_chromium: bool = False


def _kpi_baseline(findings: Findings) -> bytes:
    return _json(build_monitoring_plan(findings).to_dict())


#: The outputs of an analysis, in the order a user meets them.
OUTPUTS: tuple[Output, ...] = (
    Output(
        "report.html",
        "text/html",
        "The report for leaders: findings, where to start, expected impact (one file, works offline).",
        True,
        lambda f: render_report(f),
    ),
    Output(
        "report.pdf",
        "application/pdf",
        "The same report as a PDF on A4, the summary for leaders on page 1 (printed by headless Chromium).",
        True,
        lambda f: render_report(f, format="pdf"),
        needs_chromium=True,
    ),
    Output(
        "findings.json",
        "application/json",
        "Every finding, in the documented, versioned contract (docs/findings.md).",
        False,
        lambda f: f.to_json().encode("utf-8"),
    ),
    Output(
        "data_quality.json",
        "application/json",
        "Every row read accounted for: kept, repaired (and how) or dropped (and why).",
        False,
        lambda f: _json(f.quality.to_dict()),
    ),
    Output(
        "blueprint.bpmn",
        "application/xml",
        "The redesigned process as BPMN 2.0 with its diagram, for Camunda, bpmn.io or Signavio.",
        True,
        lambda f: f.blueprint.to_bpmn().encode("utf-8"),
    ),
    Output(
        "blueprint.json",
        "application/json",
        "The blueprint with its governance (SLAs, retries, approvals, audit events, KPIs).",
        False,
        lambda f: _json(f.blueprint.to_dict()),
    ),
    Output(
        "blueprint.sw.yaml",
        "application/yaml",
        "The same blueprint as a CNCF Serverless Workflow 1.0 document, for workflow engines that read it.",
        False,
        lambda f: export_serverless_workflow(f.blueprint).encode("utf-8"),
    ),
    Output(
        "blueprint_dapr.py",
        "text/x-python",
        "A Dapr Workflow skeleton of the blueprint (Python, dapr-ext-workflow 1.18): the workflow and one "
        "activity to implement per automated step.",
        False,
        lambda f: export_dapr_workflow(f.blueprint).encode("utf-8"),
    ),
    Output(
        "kpi_baseline.json",
        "application/json",
        "The KPI baseline and monitoring plan: what to re-measure after the change "
        "(compare a later log against it).",
        False,
        _kpi_baseline,
        optional=True,
    ),
    Output(
        "process_map.svg",
        "image/svg+xml",
        "The process map (all activities, the default paths) as an image.",
        True,
        lambda f: render_process_map(f.dfg).encode("utf-8"),
    ),
)


def render_output(findings: Findings, name: str) -> bytes:
    """Render one output of an analysis (see :data:`OUTPUTS`) to bytes.

    Parameters
    ----------
    findings : Findings
        From :func:`analysis.analyze`.
    name : str
        A file name of :data:`OUTPUTS` (e.g. ``"blueprint.bpmn"``).

    Returns
    -------
    bytes
        The file's content (UTF-8 for text).

    Raises
    ------
    AnalysisError
        ``name`` is not an output (the message lists them).
    FlowreadyError
        Graphviz's ``dot`` is missing for an output that draws.

    Examples
    --------
    >>> from analysis import analyze
    >>> render_output(analyze(load_event_log(SAMPLE)), "blueprint.bpmn")[:5]
    b'<?xml'
    """
    for output in OUTPUTS:
        if output.name == name:
            return output.render(findings)
    raise AnalysisError(
        f"name={name!r} is not an output of an analysis; the outputs are: "
        + ", ".join(o.name for o in OUTPUTS)
        + "."
    )


def export_all(
    findings: Findings,
    out_dir: str | Path,
    *,
    tables: bool = True,
    on_skip: Callable[[str, str], None] | None = None,
) -> list[Path]:
    """Write every output of an analysis into a folder (created when missing).

    Parameters
    ----------
    findings : Findings
        From :func:`analysis.analyze`.
    out_dir : str or pathlib.Path
        The folder.
    tables : bool, default True
        Also write every result table (:meth:`Findings.tables`) as ``tables/<name>.csv`` and all of them
        in ``tables.xlsx`` (cells that a spreadsheet would run as formulas are neutralised).
    on_skip : callable, optional
        Called with the file name and the reason when an optional output cannot be made for this log
        (see :attr:`Output.optional`), or when ``report.pdf`` cannot be printed (no Chromium installed,
        or it failed); such outputs are skipped silently without it.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of :data:`OUTPUTS`, then the tables.

    Raises
    ------
    FlowreadyError
        Graphviz's ``dot`` program is not installed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    process_map = render_process_map(findings.dfg)  # drawn once: its own file and the report's figure
    for output in OUTPUTS:
        if output.name == "process_map.svg":
            data = process_map.encode("utf-8")
        elif output.name == "report.html":
            data = render_report(findings, process_map=process_map)
        elif output.name == "report.pdf":
            if find_chromium() is None:
                if on_skip is not None:
                    on_skip(output.name, CHROMIUM_MISSING)
                continue
            try:
                data = render_report(findings, format="pdf", process_map=process_map)
            except FlowreadyError as exc:  # the browser failed: the other outputs stand
                if on_skip is not None:
                    on_skip(output.name, str(exc))
                continue
        else:
            try:
                data = output.render(findings)
            except AnalysisError as exc:
                if not output.optional:
                    raise
                if on_skip is not None:
                    on_skip(output.name, str(exc))
                continue
        path = out / output.name
        path.write_bytes(data)
        written.append(path)
    if tables:
        frames = findings.tables()
        (out / "tables").mkdir(exist_ok=True)
        for name, frame in frames.items():
            written.append(export_table(frame, out / "tables" / f"{name}.csv"))
        written.append(export_tables(frames, out / "tables.xlsx"))
    return written
