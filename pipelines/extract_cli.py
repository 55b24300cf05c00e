"""What ``newsarchive extract FILE... [--url URL] [--base-url-map urls.json]`` does (the command
and its options are defined in ``crawler/cli.py``): the crawl's cleaning on saved pages (``.html``
or ``.html.gz``), one JSON line per file on stdout.

Files are grouped by site (the host of their URL; files without a URL by their directory) and the
template learner sees every file of a group before any is cleaned, as the crawl's learner sees a
site's pages: cleaning a batch of one site's pages removes that site's boilerplate.

``--url`` gives the URL of the file(s) (a single page, usually); ``--base-url-map`` a JSON object
mapping a file's path, name, or name without ``.html``/``.html.gz`` to its URL. A file is decoded
as the crawl decodes a page (:func:`pipelines.decode.decode_html`), with no header charset: a saved
file has none.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from pipelines.extract import extract_article
from pipelines.template import SiteTemplate


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".html.gz", ".htm.gz", ".gz", ".html", ".htm"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def _load_map(base_url_map: str | None) -> dict[str, str]:
    if not base_url_map:
        return {}
    try:
        data = json.loads(Path(base_url_map).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"newsarchive extract: --base-url-map {base_url_map}: {exc}") from exc
    if not isinstance(data, dict):
        raise SystemExit(f"newsarchive extract: --base-url-map {base_url_map}: not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def extract_command(
    files: list[str], url: str | None, base_url_map: str | None, out: IO[str]
) -> int:
    """Write one JSON line per file to ``out``; returns the exit status (1 if a file was unreadable)."""
    urls = _load_map(base_url_map)
    status = 0
    pages: list[tuple[str, str, bytes | None, str | None]] = []  # (file, url, body, error)
    for name in files:
        path = Path(name)
        page_url = url or urls.get(name) or urls.get(path.name) or urls.get(_stem(path)) or ""
        try:
            pages.append((name, page_url, _read(path), None))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            pages.append((name, page_url, None, f"{type(exc).__name__}: {exc}"))

    groups: dict[str, list[int]] = defaultdict(list)
    for index, (name, page_url, body, _) in enumerate(pages):
        if body is not None:
            site = urlsplit(page_url).hostname or f"dir:{Path(name).resolve().parent}"
            groups[site].append(index)
    templates: dict[str, SiteTemplate] = {}
    for site, members in groups.items():
        if len(members) < 2:
            continue
        template = templates[site] = SiteTemplate(site)
        for index in members:
            name, page_url, body, _ = pages[index]
            try:
                template.observe(body, page_url or name)
            except Exception:  # noqa: BLE001, S112 - an unparsable page teaches the learner nothing
                continue
    site_of = {index: site for site, members in groups.items() for index in members}

    for index, (name, page_url, body, error) in enumerate(pages):
        record: dict = {"file": name, "url": page_url or None}
        if error is not None:
            record["error"] = error
            status = 1
        else:
            result = extract_article(body, page_url, template=templates.get(site_of[index]))
            result.pop("url", None)
            record.update(result)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return status
