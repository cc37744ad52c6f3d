"""Reading a printed report back: pages as PNG (pdftoppm), text (pdftotext), chart regions' pixels."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.pdf import find_chromium

#: Set (to anything) to skip the tests that need a browser, as for tests/e2e.
SKIP_ENV = "FLOWREADY_SKIP_E2E"
#: pdftoppm's resolution for the checks (dots per inch); a page is then 8.27 x 11.69 in.
DPI = 60


def require_printing() -> None:
    """Fail (never skip quietly) without Chromium or poppler-utils, unless FLOWREADY_SKIP_E2E is set."""
    missing = []
    if find_chromium() is None:
        missing.append("Chromium: `make system-deps` (or `sudo apt-get install chromium`)")
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        missing.append("poppler-utils (pdftoppm, pdftotext): `make system-deps`")
    if not missing:
        return
    if os.environ.get(SKIP_ENV):
        pytest.skip(f"{SKIP_ENV} is set and this machine lacks: " + "; ".join(missing))
    pytest.fail("The PDF tests need:\n  - " + "\n  - ".join(missing), pytrace=False)


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_text(pdf: Path, first: int, last: int | None = None) -> str:
    """The text of pages ``first`` to ``last`` (1-based), whitespace collapsed to single spaces."""
    out = subprocess.run(
        ["pdftotext", "-f", str(first), "-l", str(last or first), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return " ".join(out.split())


def page_pngs(pdf: Path, folder: Path, *, dpi: int = DPI, last: int | None = None) -> list[Path]:
    """Every page (or the first ``last``) as ``folder/page-N.png``, in order."""
    cmd = ["pdftoppm", "-png", "-r", str(dpi)] + (["-l", str(last)] if last else [])
    subprocess.run([*cmd, str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))


def word_boxes(pdf: Path) -> list[tuple[int, str, float, float]]:
    """Every word of the document as (page, word, x, y) in points from the top left (pdftotext -bbox)."""
    import html.parser

    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    words: list[tuple[int, str, float, float]] = []

    class Reader(html.parser.HTMLParser):
        page = 0
        box: dict | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "page":
                self.page += 1
            elif tag == "word":
                self.box = dict(attrs)

        def handle_data(self, data):
            if self.box is not None:
                words.append((self.page, data.strip(), float(self.box["xmin"]), float(self.box["ymin"])))
                self.box = None

    Reader().feed(out)
    return words


def find_title(words, title: str) -> tuple[int, float]:
    """The page and the top (points) of the first run of words spelling ``title``."""
    parts = title.split()
    for i in range(len(words) - len(parts) + 1):
        run = words[i : i + len(parts)]
        if [w[1] for w in run] == parts and len({w[0] for w in run}) == 1:
            return run[0][0], run[0][3]
    raise AssertionError(f"{title!r} is not in the PDF")


def mark_pixels(png: Path, top_pt: float, height_pt: float) -> int:
    """How many pixels of a band of the page (from ``top_pt``, ``height_pt`` tall) look like a chart's
    data: a saturated colour, or a neutral mid grey filling a shape (grey bars and markers).

    Text, grid lines, borders and table shading are dark, light or anti-aliased single pixels, so an
    empty chart (axes, ticks, a title) counts a few dozen at most.
    """
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    scale = img.shape[0] / 841.92  # A4 height in points
    band = img[int(top_pt * scale) : int((top_pt + height_pt) * scale)]
    saturation = band.max(axis=2) - band.min(axis=2)
    grey = (saturation == 0) & (band[..., 0] >= 90) & (band[..., 0] <= 215)
    # A grey counts inside a filled shape only (its 2 x 2 block one colour): black text's anti-aliasing
    # is grey too, but in single pixels.
    block = (band[:-1, :-1] == band[1:, :-1]).all(axis=2) & (band[:-1, :-1] == band[:-1, 1:]).all(axis=2)
    block &= (band[:-1, :-1] == band[1:, 1:]).all(axis=2)
    return int(((saturation[:-1, :-1] > 60) | (grey[:-1, :-1] & block)).sum())


def black_fill_pixels(png: Path, top_pt: float, height_pt: float) -> int:
    """How many pixels of a band of the page are black inside a filled shape (a 2 x 2 block all black):
    the marks of a chart printed before plotly gave them their colour (SVG paints unstyled shapes black).
    Text is black too, but in strokes a pixel or two wide, which few whole blocks fit."""
    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    scale = img.shape[0] / 841.92  # A4 height in points
    band = img[int(top_pt * scale) : int((top_pt + height_pt) * scale)]
    black = band.max(axis=2) < 40
    block = black[:-1, :-1] & black[1:, :-1] & black[:-1, 1:] & black[1:, 1:]
    return int(block.sum())
