"""Placeholder; filled below."""

from __future__ import annotations

import trafilatura


def extract_body(html: str) -> str:
    """The cleaned body as pipelines.clean will give it: paragraphs separated by a blank line."""
    text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
