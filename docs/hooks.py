"""MkDocs hook: links inside the notebooks, checked and rewritten like the Markdown pages' links.

The notebooks link to the other pages as files (``../waiting.md#...``, ``other.ipynb``), so the links work
in Jupyter and on GitHub. mkdocs-jupyter renders them as they are, and MkDocs neither rewrites nor checks
links in a notebook's HTML. This hook does both: a link to a page becomes that page's URL, and a link to
a missing page or a missing anchor is a warning (an error under ``--strict``).
"""

from __future__ import annotations

import logging
import posixpath
import re
from urllib.parse import urlsplit

from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.notebook_links")

_HREF = re.compile(r'href="([^"]+)"')
# (notebook, target file, anchor) of every anchored link, checked once every page has its table of contents.
_anchored: list[tuple[str, object, str]] = []


def on_pre_build(config) -> None:
    _anchored.clear()


def on_page_content(html, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html

    def rewrite(match: re.Match) -> str:
        href = match.group(1)
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path or not parts.path.endswith((".md", ".ipynb")):
            return match.group(0)
        src = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), parts.path))
        target = files.get_file_from_path(src)
        if target is None:
            log.warning(
                "Notebook '%s' links to '%s', which is not among the documentation files.",
                page.file.src_uri,
                href,
            )
            return match.group(0)
        if parts.fragment:
            _anchored.append((page.file.src_uri, target, parts.fragment))
        url = get_relative_url(target.url, page.file.url)
        return f'href="{url}{"#" + parts.fragment if parts.fragment else ""}"'

    return _HREF.sub(rewrite, html)


def _anchors(toc) -> set[str]:
    found: set[str] = set()
    for item in toc:
        found.add(item.id)
        found |= _anchors(item.children)
    return found


def on_post_build(config) -> None:
    for notebook, target, anchor in _anchored:
        page = getattr(target, "page", None)
        if page is None or anchor not in _anchors(page.toc) | set(getattr(page, "present_anchor_ids", ())):
            log.warning(
                "Notebook '%s' links to '%s#%s', but that page has no such anchor.",
                notebook,
                target.src_uri,
                anchor,
            )
