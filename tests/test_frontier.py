"""The Redis frontier (scrapy-redis scheduler) on the machine's Redis, without a crawl."""

from __future__ import annotations

import warnings

import scrapy
from scrapy.utils.test import get_crawler

from crawler.frontier import RedisFrontierScheduler
from tests.helpers import REDIS_URL, project_settings


def test_frontier_counts_its_requests_without_deprecation_warnings(redis_prefix):
    crawler = get_crawler(
        scrapy.Spider,
        project_settings(
            REDIS_URL=REDIS_URL,
            STATE_REDIS_PREFIX=redis_prefix,
            ARCHIVE_CRAWL_ID="frontier-test",
            ADDONS={"crawler.frontier.RedisFrontier": 0},
        ),
    )
    crawler.spider = scrapy.Spider.from_crawler(crawler, name="news")
    crawler.stats.open_spider()
    scheduler = RedisFrontierScheduler.from_crawler(crawler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scrapy-redis's spider= to the stats would fail here
        scheduler.open(crawler.spider)
        assert scheduler.enqueue_request(scrapy.Request("https://news.example/world/"))
        assert not scheduler.enqueue_request(scrapy.Request("https://news.example/world/#top"))
        request = scheduler.next_request()
        scheduler.close("finished")
    assert request is not None and request.url == "https://news.example/world/"
    assert scheduler.queue_key == f"{redis_prefix}:frontier:frontier-test:requests"
    stats = crawler.stats.get_stats()
    assert stats["scheduler/enqueued/redis"] == 1 and stats["scheduler/dequeued/redis"] == 1
