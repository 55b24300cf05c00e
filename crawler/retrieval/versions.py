"""The versions of an article: every distinct text one URL's article had across its captures,
with a unified diff from each to the next (``newsarchive versions``, ``GET /articles/{id}/versions``).
"""

from __future__ import annotations

import difflib

from crawler.retrieval.timestamps import iso


def article_versions(articles: list[dict]) -> list[dict]:
    """Every distinct text (title and body) of one URL's articles, oldest first: each with the
    capture times that showed it, its first article and the unified diff from the one before
    (as ``newsarchive versions``)."""
    versions: list[dict] = []
    for article in sorted(articles, key=lambda a: (a["timestamp"], a["warc_key"])):
        text = f"{article['title'] or ''}\n\n{article['body'] or ''}".strip()
        if versions and versions[-1]["text"] == text:
            versions[-1]["captures"].append(article["timestamp"])
            versions[-1]["articles"].append(article)
            continue
        versions.append({"text": text, "captures": [article["timestamp"]], "articles": [article]})
    for n, version in enumerate(versions, 1):
        version["version"] = n
        version["diff"] = ""
        if n > 1:
            before = versions[n - 2]
            version["diff"] = "\n".join(
                difflib.unified_diff(
                    before["text"].splitlines(),
                    version["text"].splitlines(),
                    f"version {n - 1} ({iso(before['captures'][0])})",
                    f"version {n} ({iso(version['captures'][0])})",
                    lineterm="",
                )
            )
    return versions
