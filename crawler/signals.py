"""Signals of newsarchive's own, beside Scrapy's.

``page_seen``: the spider fetched an HTML page that is not an article (a section, an index, a
tag page). Sent with ``site``, ``url``, ``html`` (the body as fetched, bytes) and ``content_type``
(the raw header, for its charset); the cleaning pipeline decodes it like an article
(``pipelines.decode``) and learns the site's template from it (navigation, footers and "most read" boxes are the same as on the articles).
"""

from __future__ import annotations

page_seen = object()
