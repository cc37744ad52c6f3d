"""The first two pages of the sample's PDF report as PNG: docs/img/report-page-1.png and -2.png.

Run from the repository root: ``python docs/report_pages.py`` (needs Chromium and poppler-utils'
``pdftoppm``: ``make system-deps``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import analyze, render_report  # noqa: E402
from mapper import load_event_log  # noqa: E402

#: Dots per inch of the PNGs: an A4 page becomes 744 x 1052 pixels, readable on a README page.
DPI = 90


def main() -> None:
    findings = analyze(load_event_log(ROOT / "sample_logs" / "council_permits.csv"))
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "report.pdf"
        pdf.write_bytes(render_report(findings, format="pdf"))
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-l", "2", str(pdf), f"{tmp}/page"], check=True)
        for n in (1, 2):
            page = next(Path(tmp).glob(f"page-*{n}.png"))
            target = ROOT / "docs" / "img" / f"report-page-{n}.png"
            target.write_bytes(page.read_bytes())
            print(target.relative_to(ROOT))


if __name__ == "__main__":
    main()
