"""Signals of newsarchive's own, beside Scrapy's.

``page_seen``: the spider fetched an HTML page that is not an article (a section, an index, a
tag page). Sent with ``site``, ``url`` and ``html``; the cleaning pipeline learns the site's template
from it (navigation, footers and "most read" boxes are the same as on the articles).
"""

from __future__ import annotations

page_seen = object()
