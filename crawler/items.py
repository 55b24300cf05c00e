"""Items the news spider yields and the pipelines fill in."""

from __future__ import annotations

import scrapy


class ArticleItem(scrapy.Item):
    """One article page as fetched, plus the pointer to its capture in the archive.

    The spider fills the first group; ``pipelines.clean`` decodes the page (``pipelines.decode``, as
    ``newsarchive extract`` does) and adds the article fields; ``pipelines.dedupe`` adds
    ``story_id`` / ``duplicate_of``. ``html``, ``content_type`` and ``encoding`` are not exported.
    """

    # as fetched (spider)
    url = scrapy.Field()  # the URL the spider asked for
    final_url = scrapy.Field()  # after redirects
    status = scrapy.Field()
    html = scrapy.Field()  # the body as fetched (bytes); the page as text once cleaned
    content_type = scrapy.Field()  # its Content-Type header ("" if none): the declared charset
    site = scrapy.Field()
    crawl_id = scrapy.Field()
    hints = scrapy.Field()  # what a feed or news sitemap said of the page (title, published, ...)
    capture = scrapy.Field()  # {"warc_file", "offset", "length", "record_id", "date"}

    # cleaned (pipelines.clean)
    encoding = scrapy.Field()  # the codec pipelines.decode decoded ``html`` with
    canonical_url = scrapy.Field()
    title = scrapy.Field()
    authors = scrapy.Field()
    published = scrapy.Field()
    modified = scrapy.Field()
    section = scrapy.Field()
    tags = scrapy.Field()
    language = scrapy.Field()
    description = scrapy.Field()
    image = scrapy.Field()
    site_name = scrapy.Field()
    body = scrapy.Field()
    word_count = scrapy.Field()
    extractor_version = scrapy.Field()
    # the body's MinHash, made by the extraction worker for dedupe (pipelines.minhash); not exported
    body_signature = scrapy.Field()

    # dedupe (pipelines.dedupe)
    story_id = scrapy.Field()
    duplicate_of = scrapy.Field()
