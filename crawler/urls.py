"""URL canonicalization: one address per resource, so each page is fetched and stored once.

``canonicalize_url`` is w3lib's canonical form (query sorted, percent-encoding normalized, fragment
dropped, host lower-cased) plus what w3lib leaves alone: default ports and tracking parameters
(``utm_*``, ``fbclid``, ``gclid``, ...; the list is the ``DEDUPE_TRACKING_PARAMS`` setting, glob
patterns allowed, matched case-insensitively).

``UrlCanonicalizer.from_settings(settings)`` is that function with the configured list, compiled
once: every component that keys something on a URL (request fingerprints, the WARC capture's
revisit state, refetch validators, article dedupe) builds one, so they all agree on what one URL is.

``CanonicalRequestFingerprinter`` is a Scrapy request fingerprinter (``REQUEST_FINGERPRINTER_CLASS``)
that hashes the canonical URL with the method and body, like Scrapy's default one, so
``?utm_source=x`` and ``#comments`` variants of a link are one request to the dupefilter.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus, urlsplit, urlunsplit
from weakref import WeakKeyDictionary

from scrapy.utils.python import to_unicode
from w3lib.url import canonicalize_url as w3lib_canonicalize_url

from crawler.meta import VERBATIM_URL

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

# Parameters that only say where a click came from; the page is the same without them. Sources:
# Google Analytics / Ads, Meta, Microsoft, Mailchimp, HubSpot, Matomo/Piwik, Marketo, AT Internet,
# Webtrends, Yandex, TikTok, Twitter, LinkedIn, Instagram, Outbrain/Olytics.
DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "li_fat_id",
    "mc_cid",
    "mc_eid",
    "igshid",
    "igsh",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "__hstc",
    "__hssc",
    "__hsfp",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "vero_conv",
    "pk_*",
    "mtm_*",
    "piwik_*",
    "matomo_*",
    "xtor",
    "wt_mc",
    "wt.mc_id",
    "s_cid",
    "ocid",
    "ncid",
    "cmpid",
    "smid",
    "smtyp",
    # not tracking, but the same page again: WordPress's comment-reply links (one per comment)
    "replytocom",
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def tracking_matcher(patterns: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive regex for a list of parameter-name globs."""
    patterns = tuple(patterns)
    if not patterns:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns))


_DEFAULT_MATCHER = tracking_matcher(DEFAULT_TRACKING_PARAMS)


def strip_tracking_params(query: str, matcher: re.Pattern[str] = _DEFAULT_MATCHER) -> str:
    """Drop tracking parameters from a raw query string, keeping the others byte for byte."""
    if not query:
        return query
    kept = []
    for part in re.split(r"[&;]", query):
        if not part:
            continue
        name = unquote_plus(part.split("=", 1)[0]).lower()
        if not matcher.match(name):
            kept.append(part)
    return "&".join(kept)


def canonicalize_url(
    url: str, tracking_params: Iterable[str] | re.Pattern[str] = _DEFAULT_MATCHER
) -> str:
    """The canonical form of ``url``: what two links to the same resource have in common.

    Host lower-cased, default port and fragment dropped, tracking parameters removed, remaining
    query parameters sorted, percent-encoding normalized, an empty path written ``/``. Scheme and
    ``www.`` are kept: sites may serve different things there, and redirects settle it.
    ``tracking_params`` is a list of parameter-name globs or a ``tracking_matcher()`` of one
    (cheaper when called per request).

    Never raises, and canonical URLs are their own canonical form. A string that is no URL a
    client could fetch (no scheme, a port that is not a number or out of range, a broken
    ``[IPv6]`` host, ``http:////path``) has no other spelling to merge with: it stands for itself.
    """
    url = url.strip()
    try:
        return _canonical(url, tracking_params)
    except ValueError:  # UnicodeError (IDNA) too
        return url


def _canonical(url: str, tracking_params: Iterable[str] | re.Pattern[str]) -> str:
    # A '%' that starts no escape is a literal '%': written %25 first, so that w3lib's decoding of
    # the escape after it ("%2%41" -> "%2A") cannot make a new escape the next pass would decode.
    parts = urlsplit(_LONE_PERCENT.sub("%25", url))
    if not parts.scheme:
        raise ValueError("no scheme: a relative reference, or not a URL")
    if not parts.netloc and parts.path.startswith("//"):
        # urlunsplit would turn "http:////a" into "http://a": another URL, not a spelling of it
        raise ValueError("no host")
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: leave the authority as it came
        port = None
    if port is not None and _DEFAULT_PORTS.get(scheme) == port:
        netloc = netloc.rsplit(":", 1)[0]
    matcher = (
        tracking_params
        if isinstance(tracking_params, re.Pattern)
        else tracking_matcher(tracking_params)
    )
    query = strip_tracking_params(parts.query, matcher)
    return w3lib_canonicalize_url(urlunsplit((scheme, netloc, parts.path, query, "")))


def _tracking_params_from_settings(settings: BaseSettings) -> tuple[str, ...]:
    """``DEDUPE_TRACKING_PARAMS`` (a list, or a comma-separated string from ``-s``)."""
    return tuple(settings.getlist("DEDUPE_TRACKING_PARAMS"))


class UrlCanonicalizer:
    """:func:`canonicalize_url` with one list of tracking parameters, compiled once.

    ``canonical = UrlCanonicalizer.from_settings(settings)``, then ``canonical(url) -> str``.
    """

    def __init__(self, tracking_params: Iterable[str] = DEFAULT_TRACKING_PARAMS) -> None:
        self.tracking = tracking_matcher(tracking_params)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> UrlCanonicalizer:
        """The canonicalizer of ``DEDUPE_TRACKING_PARAMS``."""
        return cls(_tracking_params_from_settings(settings))

    def __call__(self, url: str) -> str:
        return canonicalize_url(url, self.tracking)


class CanonicalRequestFingerprinter:
    """Request fingerprints over the canonical URL, method and body (Scrapy's default, minus noise).

    Requests with ``meta[VERBATIM_URL]`` are fingerprinted on their URL as given, as Scrapy does.
    """

    def __init__(self, canonicalize: UrlCanonicalizer | None = None) -> None:
        self.canonicalize = canonicalize or UrlCanonicalizer()
        # Fingerprints are asked for several times per request (dupefilter, cache, slots).
        self._cache: WeakKeyDictionary[Request, bytes] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CanonicalRequestFingerprinter:
        return cls(UrlCanonicalizer.from_settings(crawler.settings))

    def fingerprint(self, request: Request) -> bytes:
        cached = self._cache.get(request)
        if cached is not None:
            return cached
        url = request.url if request.meta.get(VERBATIM_URL) else self.canonicalize(request.url)
        data = {
            "method": to_unicode(request.method),
            "url": url,
            "body": (request.body or b"").hex(),
            "headers": {},
        }
        digest = hashlib.sha1(
            json.dumps(data, sort_keys=True).encode(), usedforsecurity=False
        ).digest()
        self._cache[request] = digest
        return digest
