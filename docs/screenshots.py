"""Screenshots of the app for the docs: one PNG per page, ``docs/img/<page-slug>.png``.

Starts the app (``streamlit run app.py`` on a free loopback port), analyses the bundled sample in headless
Chromium through the Load page, then opens every page by its sidebar link and saves a full-page PNG at a
1400x900 window (``process-map.png``, ``handoffs-rework.png``...). The pages come from ``PAGES`` in
``tests/e2e/harness.py``, the harness the end-to-end test uses. Stops with exit code 1, writing nothing
more, at the first page that shows an error or lacks its key element.

    .venv/bin/python docs/screenshots.py                 # or: make screenshots
    .venv/bin/python docs/screenshots.py --out /tmp/shots --log ../shared/logs/BPIC15_1.csv.gz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e import harness  # noqa: E402

OUT = ROOT / "docs" / "img"
VIEWPORT = {"width": 1400, "height": 900}
#: No "Deploy" button or developer menu in the pictures.
SERVER_ARGS = ["--client.toolbarMode", "minimal"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the PNGs (default docs/img)")
    parser.add_argument("--log", type=Path, help="upload this log instead of analysing the bundled sample")
    args = parser.parse_args(argv)

    missing = harness.missing_requirements()
    if missing:
        print("The screenshots need:\n  - " + "\n  - ".join(missing), file=sys.stderr)
        return 2

    server_log = harness.ARTIFACTS.parent / "screenshots" / "streamlit.log"
    with (
        harness.StreamlitServer(server_log, extra_args=SERVER_ARGS) as server,
        harness.chromium() as browser,
    ):
        page = harness.open_app(browser, server.url, viewport=VIEWPORT)
        if args.log:
            harness.choose_source(page, harness.SOURCE_UPLOAD)
            harness.upload(page, args.log)
        print(harness.analyse(page).message)
        # Load last: it then shows the analysed log's import report.
        for app_page in [*harness.PAGES[1:], harness.PAGES[0]]:
            harness.go_to(page, app_page)
            problems = harness.page_problems(page) + [
                f"missing {key}" for key in harness.missing_keys(page, app_page)
            ]
            if problems:
                print(f"{app_page.link}: {problems}; see {server_log}", file=sys.stderr)
                return 1
            page.mouse.move(0, 0)  # no hover highlight, no focus ring on the clicked link
            page.evaluate("document.activeElement && document.activeElement.blur()")
            path = harness.screenshot(page, args.out / f"{app_page.slug}.png")
            _shrink(path)
            print(path)
    return 0


def _shrink(path: Path) -> None:
    """Quantise to 256 colours (screenshots of an app are flat colours): a third of the bytes in git."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)


if __name__ == "__main__":
    sys.exit(main())
