"""After a crash: bring the crawl state back in line with what the repair kept.

A killed crawl's dedupe entries were written as it went. The repair (:mod:`crawler.archive.repair`)
keeps every whole record and every article its files hold; this module drops the entries of the
dead process that point at anything else:

- payload and capture entries (``revisit`` records point there) made since its last WARC was
  opened, whose record the repair did not keep;
- article marks (``dedupe.archived``: "do not fetch again") for articles it did not export, so
  the next crawl fetches and exports them;
- the validators of the sections, feeds and sitemaps it fetched: the links it found there were
  queued in a frontier that died with it, so those pages are fetched in full again (a ``304``
  has no links).

What survives is then exactly what the archive holds: no revisit points at a lost record, no
article is lost, none is exported twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import structlog

from crawler.archive.repair import RepairedFile
from crawler.dedupe_state import DedupeState

log = structlog.get_logger(__name__)

# The clock of the dead process and the millisecond stamp of its WARC name may differ a little;
# looking a second further back only drops more entries (a later capture is then a full one).
_SLACK = 1.0


@dataclass
class Settled:
    """What :func:`settle_dedupe_state` dropped."""

    entries: int = 0
    marks: int = 0
    validators: int = 0


def settle_dedupe_state(
    state: DedupeState, repaired: Iterable[RepairedFile], canonicalize: Callable[[str], str]
) -> Settled:
    """Drop the dead writers' dedupe entries that point at records or articles the repair of their
    ``.open`` files did not keep (see the module doc)."""
    settled = Settled()
    writers = set()
    for r in repaired:
        if r.writer is None:
            continue
        if r.writer not in writers:
            writers.add(r.writer)
            settled.validators += state.forget_validators(r.writer)
        if r.kind == "warc" and r.opened is not None:
            settled.entries += state.forget_unwritten(
                r.writer, r.opened.timestamp() - _SLACK, r.record_ids
            )
        elif r.kind == "articles":
            settled.marks += state.forget_unexported(
                r.writer, _article_urls(r.articles, canonicalize)
            )
    log.info(
        "state.settled_after_crash",
        writers=sorted(writers),
        entries=settled.entries,
        article_marks=settled.marks,
        validators=settled.validators,
    )
    return settled


def _article_urls(lines: Iterable[str], canonicalize: Callable[[str], str]) -> set[str]:
    urls = set()
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        for name in ("url", "final_url", "canonical_url"):
            if item.get(name):
                urls.add(canonicalize(item[name]))
    return urls
