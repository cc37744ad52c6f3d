"""HTML to PDF with headless Chromium's print-to-PDF (the browser the project already installs).

Chromium is run as a program (``chromium --headless --print-to-pdf``), not through a Python driver, so
the library needs no extra package and works the same in a script, the app and a notebook (whose
running event loop a synchronous browser driver refuses). It runs offline: the flags below stop its
background calls to Google's hosts, and the HTML it prints needs no network (flowready's report
inlines everything).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mapper.errors import FlowreadyError

__all__ = ["CHROMIUM_FLAGS", "PRINT_WIDTH_PX", "find_chromium", "html_to_pdf"]

#: Environment variable naming the Chromium (or Chrome) program to use.
CHROMIUM_ENV = "FLOWREADY_CHROMIUM"
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

#: The width, in CSS pixels, of an A4 page's printable area with the report's 12 mm margins
#: ((210 - 2 x 12) mm at 96 px per inch). The page is laid out in a window this wide, so the charts
#: (plotly sizes them to their box when it draws them) fit the printed page as drawn.
PRINT_WIDTH_PX = 703

#: The flags every print runs with. Without the background-networking flags Chromium keeps calling
#: Google's hosts, which a closed network refuses (and waits on); --no-sandbox because servers and CI
#: often run as root.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--mute-audio",
    "--no-pdf-header-footer",
)


def find_chromium() -> str | None:
    """The Chromium program to print with, or None when there is none.

    Returns
    -------
    str or None
        ``$FLOWREADY_CHROMIUM`` when set, else the first of ``chromium``, ``chromium-browser``,
        ``google-chrome``, ``google-chrome-stable``, ``chrome`` on the ``PATH``.

    Examples
    --------
    >>> find_chromium() is None or Path(find_chromium()).exists()
    True
    """
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        return explicit
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, *, chromium: str | None = None, timeout: float = 180.0) -> bytes:
    """Print an HTML document to PDF with headless Chromium.

    The page is laid out :data:`PRINT_WIDTH_PX` wide, its scripts run until they are idle (a virtual-time
    budget: plotly draws its charts before the page is printed, without waiting real seconds), and it is
    printed with its own print stylesheet (``@page`` sets the paper and margins), without the browser's
    header and footer. A fresh, temporary browser profile is used and removed.

    Parameters
    ----------
    html : str
        A complete, self-contained HTML document (nothing is fetched: it is opened from a temporary file).
    chromium : str, optional
        The Chromium program; :func:`find_chromium` by default.
    timeout : float, default 180
        Seconds before the print is given up.

    Returns
    -------
    bytes
        The PDF document.

    Raises
    ------
    FlowreadyError
        No Chromium is installed (the message says how to install one or point ``$FLOWREADY_CHROMIUM``
        at it), or it fails or times out (the message quotes its error).

    References
    ----------
    Chrome DevTools Protocol, ``Page.printToPDF``; Chromium's headless mode (``--print-to-pdf``,
    ``--virtual-time-budget``).

    Examples
    --------
    >>> pdf = html_to_pdf("<!DOCTYPE html><p>Hello</p>")  # doctest: +SKIP
    >>> pdf[:5]  # doctest: +SKIP
    b'%PDF-'
    """
    program = chromium or find_chromium()
    if program is None:
        raise FlowreadyError(
            "The PDF is printed by headless Chromium, which is not installed: install it "
            "(apt-get install chromium, or `make system-deps`) or set $FLOWREADY_CHROMIUM to a Chromium "
            "or Chrome program, and retry."
        )
    with tempfile.TemporaryDirectory(prefix="flowready-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        page.write_text(html, "utf-8")
        cmd = [
            program,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--window-size={PRINT_WIDTH_PX},1100",
            "--virtual-time-budget=30000",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except FileNotFoundError:
            raise FlowreadyError(
                f"Chromium program {program!r} was not found: install Chromium (apt-get install chromium) "
                f"or set ${CHROMIUM_ENV} to a Chromium or Chrome program."
            ) from None
        except subprocess.TimeoutExpired:
            raise FlowreadyError(
                f"Chromium did not print the PDF within {timeout:.0f} s (timeout=); the document may be too "
                "large or the browser stuck."
            ) from None
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            errors = [ln for ln in proc.stderr.splitlines() if "ERROR" in ln and "dbus" not in ln]
            raise FlowreadyError(
                f"Chromium failed to print the PDF (exit code {proc.returncode}): "
                f"{' | '.join(errors[-3:]) or proc.stderr[-300:]!s:.500}"
            )
        return out.read_bytes()
