"""The request meta keys newsarchive's components pass to each other: one contract, one place.

Scrapy carries ``request.meta`` from the spider through the downloader middlewares to the
callbacks (and copies it onto redirected and retried requests). Each key below says who sets it
and who reads it; components use these names, never a string of their own.
"""

from __future__ import annotations

# -- set by the news spider -----------------------------------------------------------------------
#: What the page is to the crawl: ``"section"``, ``"feed"``, ``"sitemap"`` or ``"article"``.
KIND = "kind"
#: True on an article link: ``RefetchMiddleware`` drops it when the article is archived already.
ARTICLE = "article"
#: True on a page fetched every crawl (section, feed, sitemap): ``RefetchMiddleware`` asks for it
#: conditionally, and the capture middleware remembers its last full capture (304 revisits).
REFETCH = "refetch"
#: What a feed or news sitemap said of an article (title, published, ...): travels to the item.
HINTS = "hints"
#: Section pagination: the page number reached from the section's first page, and link hops from
#: the start URLs (ad hoc crawls walk one hop of section links).
PAGE = "page"
HOPS = "hops"
#: Sitemap index nesting level (bounded, so an index pointing at itself ends).
SITEMAP_DEPTH = "sitemap_depth"
#: The name of the site (site file) the request belongs to: one crawl may cover several sites.
#: Every request the spider makes from a response carries its response's site; the items, the
#: per-site summary and the metrics are keyed by it.
SITE = "site"

# -- set by RefetchMiddleware ---------------------------------------------------------------------
#: True when validators (If-None-Match / If-Modified-Since) were sent with the request.
CONDITIONAL = "conditional"
#: True on a ``304`` answer to a conditional request (the callback sees the 304).
NOT_MODIFIED = "not_modified"

# -- set by the capture middleware ----------------------------------------------------------------
#: Where the response landed in the archive: ``{"warc_file", "offset", "length", "record_id",
#: "date"}`` (plus ``"revisit_of"`` for a revisit record); the spider copies it into the item.
CAPTURE = "capture"

# -- read by the request fingerprinter ------------------------------------------------------------
#: True: fingerprint the URL as given, not its canonical form (as Scrapy's own key).
VERBATIM_URL = "verbatim_url"
