"""Run one small crawl in a child process and write what happened as JSON (tests only).

Scrapy's reactor cannot be restarted inside one pytest process, so each test crawl is a process:
``python -m tests.crawlproc CONFIG.json RESULT.json``. CONFIG: ``start_urls``, ``article_pattern``
(regex on link URLs: article pages, everything else on the site is followed as a section), and
``settings``. RESULT: ``items``, ``responses`` (url, status, not_modified) and ``stats``.
"""

from __future__ import annotations

import json
import re
import sys

import scrapy
from scrapy.crawler import CrawlerProcess

from tests.helpers import project_settings
from tests.syndication_corpus import extract_body


class FollowSpider(scrapy.Spider):
    """Sections (refetch) and the article links on them (article), like the news spider will."""

    name = "follow"

    def __init__(self, config: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.article_re = re.compile(config.get("article_pattern", r"/article"))
        self.responses: list[dict] = []

    async def start(self):
        for url in self.config["start_urls"]:
            yield scrapy.Request(url, meta={"refetch": True})

    def parse(self, response):
        self.responses.append(
            {
                "url": response.url,
                "status": response.status,
                "not_modified": bool(response.meta.get("not_modified")),
            }
        )
        if response.status != 200:
            return
        if response.meta.get("article"):
            body = extract_body(response.text)
            canonical = response.css('link[rel="canonical"]::attr(href)').get()
            yield {
                "url": response.request.meta.get("link_url", response.url),
                "final_url": response.url,
                "canonical_url": response.urljoin(canonical) if canonical else response.url,
                "site": response.url.split("/")[2],
                "body": body,
                "capture": {"record_id": f"<urn:test:{response.url}>", "date": "2024-01-01"},
            }
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if self.article_re.search(url):
                yield scrapy.Request(url, meta={"article": True, "link_url": url})
            elif url.split("/", 3)[2] == response.url.split("/", 3)[2]:  # same site
                yield scrapy.Request(url, meta={"refetch": True})


def main(config_path: str, result_path: str) -> None:
    with open(config_path) as f:
        config = json.load(f)
    settings = project_settings(
        ROBOTSTXT_OBEY=False, LOG_LEVEL="WARNING", **config.get("settings", {})
    )
    items: list[dict] = []
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(FollowSpider)

    # a named function: the signal dispatcher holds handlers weakly, a lambda would vanish
    def collect(item) -> None:
        items.append(dict(item))

    crawler.signals.connect(collect, signal=scrapy.signals.item_scraped)
    process.crawl(crawler, config=config)
    process.start()
    result = {
        "items": items,
        "responses": crawler.spider.responses,
        "stats": {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float)},
    }
    with open(result_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
