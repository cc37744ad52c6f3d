"""Shared helpers for the mapper tests: hand-made CSV and XES logs written to ``tmp_path``."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # plain `pytest` (not `python -m pytest`) does not add the repo root
    sys.path.insert(0, str(REPO_ROOT))

#: One XES event: (activity, ISO timestamp, lifecycle or None, resource or None).
XesEvent = tuple


def xes_text(traces: Sequence[tuple[str, Sequence[XesEvent]]], *, prolog: str = "") -> str:
    """A small XES document, one element per line (so parser errors have meaningful line numbers)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if prolog:
        lines.append(prolog)
    lines.append('<log xes.version="1.0" xmlns="http://www.xes-standard.org/">')
    for case, events in traces:
        lines.append("  <trace>")
        lines.append(f'    <string key="concept:name" value={quoteattr(case)}/>')
        for ev in events:
            act, ts, lc, res = (*ev, None, None)[:4]
            lines.append("    <event>")
            lines.append(f'      <string key="concept:name" value={quoteattr(act)}/>')
            lines.append(f'      <date key="time:timestamp" value={quoteattr(ts)}/>')
            if lc is not None:
                lines.append(f'      <string key="lifecycle:transition" value={quoteattr(lc)}/>')
            if res is not None:
                lines.append(f'      <string key="org:resource" value={quoteattr(res)}/>')
            lines.append("    </event>")
        lines.append("  </trace>")
    lines.append("</log>")
    return "\n".join(lines) + "\n"


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` to ``tmp_path / name`` (gzip-compressed when ``name`` ends in .gz)."""

    def _write(name: str, text: str, *, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        data = text.encode(encoding)
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    return _write


@pytest.fixture
def write_xes(tmp_path: Path) -> Callable[..., Path]:
    """Write a hand-made XES log to ``tmp_path / name`` (gzip-compressed when ``name`` ends in .gz)."""

    def _write(name: str, traces, *, prolog: str = "") -> Path:
        path = tmp_path / name
        data = xes_text(traces, prolog=prolog).encode("utf-8")
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    return _write


@pytest.fixture
def xes_doc() -> Callable[..., str]:
    """The XES text builder (for tests that damage the document before writing it)."""
    return xes_text
