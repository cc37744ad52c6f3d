"""MkDocs hooks: links inside the notebooks, and the Sphinx roles of the docstrings.

**Notebooks.** The notebooks link to the other pages as files (``../waiting.md#...``, ``other.ipynb``),
so the links work in Jupyter and on GitHub. mkdocs-jupyter renders them as they are, and MkDocs neither
rewrites nor checks links in a notebook's HTML. This hook does both: a link to a page becomes that page's
URL, and a link to a missing page or a missing anchor is a warning (an error under ``--strict``).

**Docstring roles.** The docstrings cross-reference with Sphinx roles (``:func:`find_handoffs```), which
mkdocstrings renders as they are. A role naming a documented public name becomes a link to its entry in
the API reference; any other (a module constant, a private helper) is shown as code.
"""

from __future__ import annotations

import logging
import posixpath
import re
from urllib.parse import urlsplit

from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.notebook_links")

_HREF = re.compile(r'href="([^"]+)"')
_ROLE = re.compile(r":(?:func|class|meth|attr|data|mod|exc|obj):<code>(~?)([\w.]+)(?:\(\))?</code>")
_API_ID = re.compile(r'id="((?:analysis|mapper)\.[\w.]+)"')
# Heading id of every documented name -> the page (File) documenting it.
_api_ids: dict[str, object] = {}
# (notebook, target file, anchor) of every anchored link, checked once every page has its table of contents.
_anchored: list[tuple[str, object, str]] = []


def on_pre_build(config) -> None:
    _anchored.clear()
    _api_ids.clear()


def on_page_content(html, page, config, files):
    for anchor in _API_ID.findall(html):
        _api_ids.setdefault(anchor, page.file)
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


def _resolve(name: str) -> str | None:
    """The documented id a role's name refers to: as written, or by its last parts under either package."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        for prefix in ("", "analysis.", "mapper."):
            candidate = prefix + ".".join(parts[-k:])
            if candidate in _api_ids:
                return candidate
    return None


def on_post_page(output, page, config):
    # Runs once every page's content (so every documented id) is known.
    def link(match: re.Match) -> str:
        short, name = match.groups()
        text = name.rsplit(".", 1)[-1] if short else name
        target = _resolve(name)
        if target is None:
            return f"<code>{text}</code>"
        url = get_relative_url(_api_ids[target].url, page.file.url)
        return f'<a href="{url}#{target}"><code>{text}</code></a>'

    return _ROLE.sub(link, output)


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
