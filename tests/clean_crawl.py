"""A minimal crawl through CleanPipeline, run by tests/test_clean_crawl.py in its own process.

    python tests/clean_crawl.py BASE_URL STATE_DIR OUT_JSONL MIN_PAGES

Fetches the content-farm article first, then its siblings and a section page; articles become
ArticleItems, the section page is reported to the learner with the ``page_seen`` signal.
"""

from __future__ import annotations

import json
import sys
from typing import ClassVar

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.items import ArticleItem
from pipelines.clean import page_seen
from tests.helpers import project_settings

PAGES = [
    "content-farm-article.html",
    "contentfarm/news-1.html",
    "contentfarm/tech-2.html",
    "contentfarm/reviews-3.html",
    "contentfarm/news-4.html",
    "contentfarm/tech-5.html",
]
SECTION = "contentfarm/section-news.html"


class ContentFarmSpider(scrapy.Spider):
    name = "contentfarm"
    custom_settings: ClassVar[dict] = {"CONCURRENT_REQUESTS": 2}

    def __init__(self, base: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base = base

    async def start(self):
        # The article comes first: its site's template is unknown when it arrives.
        for n, path in enumerate([*PAGES, SECTION]):
            yield scrapy.Request(self.base + path, priority=-n)

    def parse(self, response):
        if response.url.endswith(SECTION):
            self.crawler.signals.send_catch_log(
                page_seen,
                site="news.example.test",
                url=response.url,
                html=response.body,
                content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
            )
            return
        yield ArticleItem(
            url=response.url,
            final_url=response.url,
            status=response.status,
            html=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
            site="news.example.test",
            crawl_id="test",
        )


def crawl(base: str, out: str, settings: dict) -> dict:
    """Crawl the content farm at ``base`` through CleanPipeline; its ``clean/*`` stats."""
    process = CrawlerProcess(
        project_settings(
            LOG_LEVEL="WARNING",
            ITEM_PIPELINES={"pipelines.clean.CleanPipeline": 300},
            FEEDS={out: {"format": "jsonlines", "encoding": "utf8"}},
            **settings,
        )
    )
    crawler = process.create_crawler(ContentFarmSpider)
    process.crawl(crawler, base=base)
    process.start()
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("clean/")}


def main() -> None:
    base, state_dir, out, min_pages = sys.argv[1:5]
    settings = {
        "STATE_DIR": state_dir,
        "CLEAN_TEMPLATE_MIN_PAGES": int(min_pages),
        "CLEAN_HOLD_TIMEOUT": 600,
    }
    print(json.dumps(crawl(base, out, settings)))


if __name__ == "__main__":
    main()
