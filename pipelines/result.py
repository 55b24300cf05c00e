"""What an extraction returns, without the extraction: the article fields, the ``CLEAN_FAVOR``
modes and the result of a page that was not extracted. The crawl's process imports this, not
:mod:`pipelines.extract` (trafilatura and its dependencies), when its workers extract."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

EXTRACTOR_VERSION = f"newsarchive-clean/1 trafilatura/{version('trafilatura')}"

FIELDS = (
    "url",
    "canonical_url",
    "title",
    "authors",
    "published",
    "modified",
    "section",
    "tags",
    "language",
    "description",
    "image",
    "site_name",
    "body",
    "word_count",
    "extractor_version",
)

FAVOR_MODES = ("balanced", "precision", "recall")


def empty_result(url: str, reason: str | None) -> dict[str, Any]:
    result: dict[str, Any] = dict.fromkeys(FIELDS)
    result.update(url=url, authors=[], tags=[], body="", word_count=0, encoding=None)
    result.update(extractor_version=EXTRACTOR_VERSION, is_article=False, skip_reason=reason)
    return result
