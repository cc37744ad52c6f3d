"""The documentation site builds with ``--strict`` and the tutorial notebooks run top to bottom.

The site (``mkdocs.yml``, ``make docs``) is built in a subprocess; a copy with a broken link must fail,
so the strictness is proved to bite. The notebooks in ``docs/notebooks`` are executed with nbclient on
the real logs in ../shared/logs, in a kernel running this interpreter, and their outputs are checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import analysis
import mapper
from tests.conftest import SHARED_LOGS, shared_log

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = DOCS / "notebooks"
NOTEBOOK_TIMEOUT_S = 900  # per cell; the slowest (Road Traffic's analyze) takes about a minute


# --- fast: the sources ------------------------------------------------------------------------------


@pytest.mark.parametrize("package", [mapper, analysis], ids=["mapper", "analysis"])
def test_api_reference_lists_every_public_name(package):
    """``docs/api/<package>.md`` documents exactly the package's ``__all__``, each name once."""
    page = (DOCS / "api" / f"{package.__name__}.md").read_text("utf-8")
    listed = re.findall(rf"^::: {package.__name__}\.(\w+)$", page, flags=re.MULTILINE)
    assert len(listed) == len(set(listed)), "a name is listed twice"
    public = set(package.__all__)
    assert set(listed) == public, (
        f"missing: {sorted(public - set(listed))}; not public: {sorted(set(listed) - public)}"
    )


def test_nav_lists_every_page():
    """Every Markdown page and notebook in docs/ is in the nav (``--strict`` only warns of it for .md)."""
    nav = (ROOT / "mkdocs.yml").read_text("utf-8")
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.suffix in (".md", ".ipynb"))
    assert pages
    missing = [p for p in pages if f": {p}" not in nav]
    assert not missing, f"pages not in mkdocs.yml's nav: {missing}"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs_and_use_the_public_api(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code), f"strip the outputs of {path.name}"
    source = "\n".join(c.source for c in code)
    # Only the packages' public names: `from mapper import x`, never `mapper.module` or `_private`.
    assert not re.search(r"\b(?:from|import)\s+(?:mapper|analysis)\.", source)
    for names in re.findall(r"from (?:mapper|analysis) import \(?([^)]*?)\)?$", source, flags=re.M | re.S):
        for name in re.findall(r"\w+", names):
            assert name in mapper.__all__ or name in analysis.__all__, name


# --- slow: the site ---------------------------------------------------------------------------------


def _mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


@pytest.mark.slow
def test_site_builds_strict(tmp_path):
    site = tmp_path / "site"
    started = time.perf_counter()
    result = _mkdocs_build(ROOT, site)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-5000:]
    assert "WARNING" not in result.stderr
    # Predictable URLs: one .html per page (offline plugin), anchors named after the Python path.
    for page in ("index.html", "quickstart.html", "readiness.html", "findings.html", "api/analysis.html"):
        assert (site / page).is_file(), page
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        assert (site / "notebooks" / f"{path.stem}.html").is_file()
    api = (site / "api" / "analysis.html").read_text("utf-8")
    assert 'id="analysis.find_bottlenecks"' in api and 'id="analysis.analyze"' in api
    # Sphinx roles in the docstrings become links to the documented names (docs/hooks.py).
    assert ":func:<code>" not in api
    assert '<a href="mapper.html#mapper.load_event_log"><code>mapper.load_event_log</code></a>' in api
    # The notebooks' links to pages are rewritten to the pages' URLs.
    tutorial = (site / "notebooks" / "road-traffic-to-blueprint.html").read_text("utf-8")
    assert 'href="../methods.html#6-blueprint"' in tutorial and 'href="../methods.md' not in tutorial
    # No fonts or scripts from the network: the site works offline.
    index = (site / "index.html").read_text("utf-8")
    assert "fonts.googleapis.com" not in index
    print(f"mkdocs build --strict: {elapsed:.1f} s")


def _planted_copy(tmp_path: Path) -> Path:
    """A copy of the docs project (the packages linked, for the API reference) to plant errors in."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", project)
    shutil.copytree(DOCS, project / "docs")
    for package in ("mapper", "analysis"):
        (project / package).symlink_to(ROOT / package, target_is_directory=True)
    return project


@pytest.mark.slow
def test_strict_build_fails_on_broken_links(tmp_path):
    project = _planted_copy(tmp_path)
    page = project / "docs" / "quickstart.md"
    page.write_text(
        page.read_text("utf-8")
        + "\nSee [a page that does not exist](no-such-page.md) and"
        + " [a missing anchor](methods.md#no-such-heading).\n",
        "utf-8",
    )
    notebook = project / "docs" / "notebooks" / "road-traffic-to-blueprint.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(
        nbformat.v4.new_markdown_cell("[gone](../gone.md) and [bad anchor](../waiting.md#nowhere)")
    )
    nbformat.write(nb, notebook)

    result = _mkdocs_build(project, tmp_path / "site")
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert "Aborted with 4 warnings in strict mode" in log, log[-3000:]
    assert "no-such-page.md" in log and "#no-such-heading" in log
    assert "'../gone.md'" in log and "waiting.md#nowhere" in log


# --- slow: the notebooks ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernelspec that runs this interpreter (the venv's, with ipykernel), whatever else is installed."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / "flowready-docs"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "flowready (tests)",
                "language": "python",
            }
        )
    )
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(home), previous]))
    yield "flowready-docs"
    if previous is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = previous


def _execute(path: Path, kernel_name: str, out: Path, monkeypatch) -> tuple[str, float]:
    """Run a notebook top to bottom; returns all its text outputs joined, and the seconds it took."""
    from nbclient import NotebookClient

    # This checkout's code (not an installed copy), the shared logs, and a scratch output folder.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("FLOWREADY_SHARED_LOGS", str(SHARED_LOGS))
    monkeypatch.setenv("FLOWREADY_NOTEBOOK_OUT", str(out))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=NOTEBOOK_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},  # where Jupyter would start it
    )
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                texts.extend(str(output.data.get(k, "")) for k in ("text/plain", "text/html"))
    return "\n".join(texts), elapsed


@pytest.mark.slow
def test_notebook_road_traffic_to_blueprint(kernel_name, tmp_path, monkeypatch):
    shared_log("Road_Traffic_Fine_Management_Process.csv.gz")
    text, elapsed = _execute(
        NOTEBOOKS / "road-traffic-to-blueprint.ipynb", kernel_name, tmp_path, monkeypatch
    )
    print(f"road-traffic-to-blueprint.ipynb: {elapsed:.0f} s")
    assert "'cases': 150370" in text and "'events': 561470" in text
    assert "Orchestrate first: True" in text
    # Fines wait about 16 months before they go to credit collection (as in test_real_logs_e2e).
    assert re.search(r"Top bottleneck: Send for Credit Collection, median wait 487 days", text)
    # The blueprint table, with a recommendation for each of the 11 steps.
    assert "Orchestration blueprint" in text
    for recommendation in ("automate", "keep_human", "fix_first"):
        assert recommendation in text
    for name in ("blueprint.bpmn", "blueprint.json", "findings.json", "report.html"):
        assert (tmp_path / name).is_file(), name
    findings = json.loads((tmp_path / "findings.json").read_text("utf-8"))
    assert findings["bottlenecks"][0]["activity"] == "Send for Credit Collection"
    assert len(json.loads((tmp_path / "blueprint.json").read_text("utf-8"))["steps"]) == 11


@pytest.mark.slow
def test_notebook_bottlenecks_and_handoffs(kernel_name, tmp_path, monkeypatch):
    shared_log("BPI_Challenge_2012.xes.gz")
    text, elapsed = _execute(NOTEBOOKS / "bottlenecks-and-handoffs.ipynb", kernel_name, tmp_path, monkeypatch)
    print(f"bottlenecks-and-handoffs.ipynb: {elapsed:.0f} s")
    assert "'cases': 13087" in text and "'has_start_timestamps': True" in text
    # Calling customers after an offer loses the most hours; the wait is mostly the caller's off-duty
    # time (the start and completion times and the resources make the causes measurable).
    top = re.search(r"Top bottleneck: (.+?) \((\d+)% of all waiting\), dominant cause: (\w+)", text)
    assert top, text[-3000:]
    assert top.group(1) == "W_Nabellen offertes" and int(top.group(2)) > 30
    assert top.group(3) in ("unavailability", "extraneous")
    worst = re.search(r"Worst handoff: (ping-pong|rework|dropped-baton|escalation-bounce) between Role", text)
    assert worst, text[-3000:]
    factor = re.search(r"x(\d+\.\d+) per extra role crossed \(95% CI (\d+\.\d+)-(\d+\.\d+)", text)
    assert factor and 1.0 < float(factor.group(2)) <= float(factor.group(1)) <= float(factor.group(3))
