"""Dedupe pipeline: one article per URL, one story group per story, within and across crawls.

- **Same URL**: an item whose canonical URL was already exported in this crawl is dropped
  (stat ``dedupe/url_duplicates``).
- **Near-duplicate stories**: MinHash over word shingles of the cleaned ``body`` (or, while
  ``pipelines.clean`` has not run, the page's main text from trafilatura), datasketch's
  ``affine32`` values made by :mod:`pipelines.minhash` (the extraction worker signs the body it
  made); an in-memory LSH index (:class:`pipelines.minhash.BandIndex`, datasketch's banding)
  finds candidates, whose estimated Jaccard similarity decides. A copy of a
  story already seen (another site's template, date, a paragraph trimmed or added) gets the
  story's ``story_id`` and ``duplicate_of`` = the story's first capture
  (``{"canonical_url", "url", "site", "capture", "similarity"}``); a new story gets a new
  ``story_id`` and ``duplicate_of = None``. ``DEDUPE_MODE=drop`` drops the copies instead
  (counted, not exported).
- **Across crawls**: each article's signature and story id, and each story's first capture, are
  kept in the crawl state (SQLite, or Redis with ``REDIS_URL``); the LSH index is rebuilt in
  memory from them when the spider opens (a Redis-backed LSH is ~30x slower per query).
  Every article passing through is marked archived, so ``crawler.middlewares.refetch`` does not
  fetch it again.
- **Across the processes of one crawl** (``REDIS_URL``, the same ``ARCHIVE_CRAWL_ID``): each
  process appends the signatures it adds to the crawl's story log in Redis
  (:class:`crawler.peers.CrawlPeers`), and assigns a story under the crawl's story lock, after
  adding what the others appended since it last looked: a copy one process fetches joins the
  story another one opened.

Settings (defaults): ``DEDUPE_MODE`` ("flag"), ``DEDUPE_NEAR_THRESHOLD`` (0.45, estimated Jaccard
of shingle sets), ``DEDUPE_NUM_PERM`` (128), ``DEDUPE_SHINGLE_SIZE`` (5 words),
``DEDUPE_TRACKING_PARAMS`` (see ``crawler.urls``).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawler.config import (
    ConfigError,
    choice_setting,
    float_setting,
    int_setting,
    project_defaults,
)
from crawler.dedupe_state import DedupeState, parse_duration
from crawler.peers import CrawlPeers
from crawler.urls import UrlCanonicalizer
from pipelines.decode import NotHtml, page_text
from pipelines.minhash import (
    SCHEME,
    SEED,
    BandIndex,
    MinHasher,
    Signature,
    checksum,
    encode,
    from_le_bytes,
    optimal_bands,
    shingles,  # noqa: F401 - part of this module's interface
)

if TYPE_CHECKING:
    from array import array

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

log = structlog.get_logger(__name__)

# The crawl's defaults (crawler/settings.py), for callers outside a crawl (benchmarks, tests).
DEFAULT_NEAR_THRESHOLD = project_defaults().getfloat("DEDUPE_NEAR_THRESHOLD")
DEFAULT_NUM_PERM = project_defaults().getint("DEDUPE_NUM_PERM")
DEFAULT_SHINGLE_SIZE = project_defaults().getint("DEDUPE_SHINGLE_SIZE")
MODES = ("flag", "drop")

STORY_LOG = "stories"  # the crawl's log of signatures and its lock (crawler.peers)


class Signer:
    """Text -> MinHash :class:`~pipelines.minhash.Signature`, made by
    :class:`pipelines.minhash.MinHasher` (datasketch's ``affine32`` values; the extraction workers
    make the same ones for the bodies they extract)."""

    def __init__(
        self, num_perm: int = DEFAULT_NUM_PERM, shingle_size: int = DEFAULT_SHINGLE_SIZE
    ) -> None:
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        # made on the first text to sign (it imports numpy): when the extraction workers sign
        # the bodies, the crawl's process only decodes and compares
        self._hasher: MinHasher | None = None

    def sign(self, text: str) -> Signature | None:
        """The signature of ``text``, or None when it has no words."""
        if self._hasher is None:
            self._hasher = MinHasher(self.num_perm, self.shingle_size)
        values = self._hasher.values(text)
        return None if values is None else Signature(values)

    def encode(self, sig: Signature) -> str:
        """Compact text form for the crawl state: ``scheme:seed:base64(uint32 little-endian)``."""
        return encode(sig.hashvalues, SEED)

    def decode(self, text: str) -> Signature | None:
        """The signature stored by ``encode``; None if it was made with other parameters."""
        scheme, seed, data = text.split(":", 2)
        raw = base64.b64decode(data)
        if scheme != SCHEME or int(seed) != SEED or len(raw) != 4 * self.num_perm:
            return None
        return Signature(from_le_bytes(raw))


@dataclass(frozen=True)
class Match:
    key: str
    story_id: str
    similarity: float


class StoryIndex:
    """In-memory LSH over article signatures, each key tagged with its story id."""

    def __init__(self, threshold: float = DEFAULT_NEAR_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM):
        self.threshold = threshold
        # Candidates are checked against the threshold below, so LSH may over-fetch: weigh a
        # missed copy (false negative) above a candidate too many.
        self._bands = BandIndex(*optimal_bands(threshold, num_perm, weights=(0.2, 0.8)))
        self._signatures: dict[str, array] = {}
        self._stories: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, key: str) -> bool:
        return key in self._signatures

    def story_of(self, key: str) -> str | None:
        return self._stories.get(key)

    def add(self, key: str, sig: Signature, story_id: str) -> None:
        held = self._signatures.get(key)
        if held is not None:
            self._bands.remove(key, held)
        self._bands.insert(key, sig.hashvalues)
        self._signatures[key] = sig.hashvalues
        self._stories[key] = story_id

    def match(self, sig: Signature, exclude: str | None = None) -> Match | None:
        """The most similar indexed article at or above the threshold (not ``exclude``); of
        equally similar ones, the first indexed."""
        best: Match | None = None
        for key in self._bands.candidates(sig.hashvalues):
            if key == exclude:
                continue
            similarity = Signature(self._signatures[key]).jaccard(sig)
            if similarity >= self.threshold and (best is None or similarity > best.similarity):
                best = Match(key, self._stories[key], similarity)
        return best


def story_id_for(canonical_url: str) -> str:
    """A story is named after its first capture's URL: stable, and the same on every node."""
    return "story-" + hashlib.sha1(canonical_url.encode(), usedforsecurity=False).hexdigest()[:16]


def main_text(item: Any) -> str:
    """The cleaned ``body`` when ``pipelines.clean`` ran, else the page's main text (trafilatura)."""
    body = item.get("body")
    if body:
        return body
    html = item.get("html")
    if not html:
        return ""
    try:
        text, _ = page_text(html, item.get("content_type"))
    except NotHtml:
        return ""
    import trafilatura  # noqa: PLC0415 - only without the clean pipeline (the crawl's workers extract)

    # Small on purpose: until the clean pipeline fills ``body`` this is what stories compare.
    return trafilatura.extract(text, include_comments=False, include_tables=False) or ""


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.check_settings(settings)
        self.stats = crawler.stats
        self.mode = choice_setting(settings, "DEDUPE_MODE", MODES)
        threshold = _threshold(settings)
        num_perm = int_setting(settings, "DEDUPE_NUM_PERM", minimum=16)
        self.signer = Signer(num_perm, int_setting(settings, "DEDUPE_SHINGLE_SIZE", minimum=1))
        self.index = StoryIndex(threshold, num_perm)
        self.canonicalize = UrlCanonicalizer.from_settings(settings)
        self.state = DedupeState.from_crawler(crawler)
        self.exported: set[str] = set()
        self.peers = CrawlPeers.from_settings(settings)  # other processes of this crawl
        self._log_offset = 0  # how much of their story log the index holds

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        choice_setting(settings, "DEDUPE_MODE", MODES)
        _threshold(settings)
        int_setting(settings, "DEDUPE_NUM_PERM", minimum=16)
        int_setting(settings, "DEDUPE_SHINGLE_SIZE", minimum=1)
        parse_duration(settings.get("ARTICLE_RECRAWL_AFTER"))

    async def open_spider(self) -> None:
        await maybe_deferred_to_future(threads.deferToThread(self._load_index))

    def _load_index(self) -> None:
        if self.peers is not None:  # what the log gets from now on is not in the state yet
            self._log_offset = self.peers.log_length(STORY_LOG)
        loaded = skipped = 0
        for key, value in self.state.signatures():
            sig = self.signer.decode(value["h"])
            if sig is None:
                skipped += 1
                continue
            self.index.add(key, sig, value["story"])
            loaded += 1
        self.stats.set_value("dedupe/index_loaded", loaded)
        if skipped:
            # DEDUPE_NUM_PERM changed since they were stored: they cannot be compared.
            self.stats.set_value("dedupe/index_incompatible", skipped)
            log.warning("dedupe.index_incompatible", signatures=skipped)
        log.info("dedupe.index_loaded", signatures=loaded)

    async def process_item(self, item: Any) -> Any:
        url = self.canonicalize(item.get("canonical_url") or item.get("final_url") or item["url"])
        if url in self.exported:
            self.stats.inc_value("dedupe/url_duplicates")
            raise DropItem(f"same article as an earlier item this crawl: {url}")
        self.exported.add(url)
        for variant in {url, item.get("url"), item.get("final_url")}:
            if variant:
                self.state.mark_archived(self.canonicalize(variant))

        sig = self._given_signature(item)
        if sig is None:
            sig = await maybe_deferred_to_future(threads.deferToThread(self._sign, item))
        # No await from here on: query and insert are one step, so two copies processed at once
        # cannot both found a story. Other processes of the crawl: the same, under their lock.
        if self.peers is None:
            story_id, first = self._assign(url, sig, item)
        else:
            with self.peers.lock(STORY_LOG):
                self._catch_up()
                story_id, first = self._assign(url, sig, item)
        item["story_id"] = story_id
        item["duplicate_of"] = first
        if first is not None:
            self.stats.inc_value("dedupe/near_duplicates")
            log.debug(
                "dedupe.near_duplicate", url=url, story_id=story_id, of=first["canonical_url"]
            )
            if self.mode == "drop":
                self.stats.inc_value("dedupe/near_duplicates_dropped")
                raise DropItem(f"copy of {first['canonical_url']} (story {story_id})")
        return item

    def _sign(self, item: Any) -> Signature | None:
        return self.signer.sign(main_text(item))

    def _given_signature(self, item: Any) -> Signature | None:
        """The body's signature as the extraction worker made it (``body_signature``), if it is
        the signature of the body as it is now, made with this crawl's parameters."""
        given = item.get("body_signature")
        body = item.get("body")
        if not given or not body or given.get("of") != checksum(body):
            return None
        if given.get("shingle_size") != self.signer.shingle_size:
            return None
        return self.signer.decode(given["h"])

    def _assign(self, url: str, sig: Signature | None, item: Any) -> tuple[str, dict | None]:
        """(story id, first capture of the story or None if this is it) for the article at url."""
        story_id = self.index.story_of(url)
        if story_id is not None:
            # Seen by an earlier crawl (ARTICLE_RECRAWL_AFTER let it through): same story.
            self.stats.inc_value("dedupe/recaptured")
        elif sig is not None and (match := self.index.match(sig, exclude=url)) is not None:
            story_id = match.story_id
            first = self.state.story(story_id) or {}
            pointer = {**first, "similarity": round(match.similarity, 3)}
            self._remember(url, sig, story_id)
            return story_id, pointer
        else:
            story_id = story_id_for(url)
            self.state.add_story(
                story_id,
                {
                    "canonical_url": url,
                    "url": item.get("url"),
                    "site": item.get("site"),
                    "capture": item.get("capture"),
                },
            )
            self.stats.inc_value("dedupe/stories")
        self._remember(url, sig, story_id)
        first = self.state.story(story_id) or {}
        if first.get("canonical_url") in (None, url):
            return story_id, None
        return story_id, {**first, "similarity": None}

    def _remember(self, url: str, sig: Signature | None, story_id: str) -> None:
        if sig is None:  # nothing to compare: the article is its own story
            return
        self.index.add(url, sig, story_id)
        encoded = self.signer.encode(sig)
        self.state.remember_signature(url, story_id, encoded)
        if self.peers is not None:
            self.peers.append(STORY_LOG, {"url": url, "story": story_id, "h": encoded})

    def _catch_up(self) -> None:
        """Add the signatures the other processes of the crawl added since the last look."""
        entries, self._log_offset = self.peers.read_log(STORY_LOG, self._log_offset)
        for entry in entries:
            sig = self.signer.decode(entry["h"])
            if sig is not None:
                self.index.add(entry["url"], sig, entry["story"])
        if entries:
            self.stats.inc_value("dedupe/signatures_from_peers", len(entries))

    def close_spider(self) -> None:
        if self.peers is not None:
            self.peers.close()


def _threshold(settings: BaseSettings) -> float:
    """``DEDUPE_NEAR_THRESHOLD``: an estimated Jaccard similarity, in (0, 1]."""
    threshold = float_setting(settings, "DEDUPE_NEAR_THRESHOLD", maximum=1.0)
    if threshold == 0:
        raise ConfigError("setting DEDUPE_NEAR_THRESHOLD=0: expected a number in (0, 1]")
    return threshold
