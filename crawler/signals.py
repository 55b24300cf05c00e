"""Signals of newsarchive's own, beside Scrapy's.

``robots_fetched``: see below.

``page_seen``: the spider fetched an HTML page that is not an article (a section, an index, a
tag page). Sent with ``site``, ``url``, ``html`` (the body as fetched, bytes) and ``content_type``
(the raw header, for its charset); the cleaning pipeline decodes it like an article
(``pipelines.decode``) and learns the site's template from it (navigation, footers and "most read" boxes are the same as on the articles).
"""

from __future__ import annotations

page_seen = object()

#: A host's robots.txt, fetched by the robots middleware (the crawl's one fetch of it): sent with
#: ``response``. Discovery reads its ``Sitemap:`` lines from it instead of fetching it again.
robots_fetched = object()
