"""Crawl state on SQLite and on the real Redis: the same behaviour from both backends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.utils.test import get_crawler

from crawler.config import ConfigError
from crawler.dedupe_state import DedupeState, parse_duration
from crawler.state import (
    CrawlState,
    CrawlStateError,
    PostgresCrawlState,
    RedisCrawlState,
    open_state,
)
from tests.helpers import REDIS_URL, project_settings


@pytest.fixture(params=["sqlite", "redis", "postgresql"])
def reopen(request, tmp_path):
    """``reopen()`` -> a new store on the same data, as a later crawl (or another node) gets."""
    opened = []
    if request.param == "sqlite":
        settings = {"STATE_DIR": str(tmp_path / "state")}
    elif request.param == "postgresql":
        settings = {"STATE_URL": request.getfixturevalue("postgres_url")}
    else:
        prefix = request.getfixturevalue("redis_prefix")
        settings = {"REDIS_URL": REDIS_URL, "STATE_REDIS_PREFIX": prefix}

    def _open():
        store = open_state(get_crawler(settings_dict=project_settings(**settings)).settings)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


def test_values_survive_into_the_next_crawl(reopen):
    first = reopen()
    first.put("template", "site-a", {"blocks": ["Most read", "Share this"]})
    first.put("template", "site-b", {"blocks": []})
    first.close()
    later = reopen()
    assert later.get("template", "site-a") == {"blocks": ["Most read", "Share this"]}
    assert dict(later.items("template")) == {
        "site-a": {"blocks": ["Most read", "Share this"]},
        "site-b": {"blocks": []},
    }
    assert later.count("template") == 2
    later.delete("template", "site-b")
    assert later.get("template", "site-b", "gone") == "gone"
    assert later.count("other") == 0


def test_first_writer_wins_across_two_processes_views(reopen):
    node_a, node_b = reopen(), reopen()
    assert node_a.put_if_absent("payload", "sha1:X", {"record_id": "a"}) is True
    assert node_b.put_if_absent("payload", "sha1:X", {"record_id": "b"}) is False
    assert node_b.get("payload", "sha1:X") == {"record_id": "a"}


def test_archived_article_is_remembered_until_recrawl_is_due(reopen):
    state = DedupeState(reopen())
    url = "https://news.example/2024/05/budget.html"
    assert state.archived_at(url) is None
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    state.mark_archived(url, when)
    later = DedupeState(reopen())
    assert later.archived_at(url) == when
    assert later.archived_recently(url, None, now=when + timedelta(days=999))
    week = parse_duration("7d")
    assert later.archived_recently(url, week, now=when + timedelta(days=6))
    assert not later.archived_recently(url, week, now=when + timedelta(days=8))
    assert not later.archived_recently("https://news.example/other", None)


def test_validators_are_kept_per_url_and_forgotten_when_dropped(reopen):
    state = DedupeState(reopen())
    url = "https://news.example/politics/"
    assert state.validators(url) == {"etag": None, "last_modified": None}
    state.remember_validators(url, '"v1"', "Wed, 01 May 2024 10:00:00 GMT")
    assert DedupeState(reopen()).validators(url) == {
        "etag": '"v1"',
        "last_modified": "Wed, 01 May 2024 10:00:00 GMT",
    }
    state.remember_validators(url, None, None)
    assert state.validators(url) == {"etag": None, "last_modified": None}


def test_first_capture_of_a_payload_wins(reopen):
    state = DedupeState(reopen())
    digest = "sha1:2XQ4BIKZGWJJY6VFBDDG2MQQGRBZJZNT"
    assert state.payload_seen(digest) is None
    assert state.remember_payload(
        digest, "<urn:uuid:1>", "https://a.example/x", "2024-05-01T10:00:00Z"
    )
    assert not DedupeState(reopen()).remember_payload(
        digest, "<urn:uuid:2>", "https://b.example/y", datetime(2024, 5, 2, tzinfo=UTC)
    )
    assert state.payload_seen(digest) == {
        "record_id": "<urn:uuid:1>",
        "uri": "https://a.example/x",
        "date": "2024-05-01T10:00:00Z",
    }


def test_redis_keys_live_under_the_configured_prefix(redis_prefix):
    import redis

    store = RedisCrawlState(REDIS_URL, redis_prefix)
    store.put("dedupe.archived", "https://a.example/", "2024-05-01T00:00:00+00:00")
    store.close()
    client = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in client.scan_iter(match=f"{redis_prefix}:*")]
    client.close()
    assert keys == [f"{redis_prefix}:state:dedupe.archived"]


def test_crawler_shares_one_store_and_redis_url_selects_redis(tmp_path, redis_prefix):
    embedded = get_crawler(settings_dict=project_settings(STATE_DIR=str(tmp_path)))
    store = CrawlState.from_crawler(embedded)
    assert isinstance(store, CrawlState)
    assert CrawlState.from_crawler(embedded) is store
    assert DedupeState.from_crawler(embedded).store is store
    assert (tmp_path / "state.sqlite").exists()
    store.close()

    shared = get_crawler(
        settings_dict=project_settings(REDIS_URL=REDIS_URL, STATE_REDIS_PREFIX=redis_prefix)
    )
    store = CrawlState.from_crawler(shared)
    assert isinstance(store, RedisCrawlState)
    store.close()


def test_state_url_selects_postgresql_and_a_wrong_one_is_one_clear_error(postgres_url):
    store = open_state(get_crawler(settings_dict=project_settings(STATE_URL=postgres_url)).settings)
    try:
        assert type(store).__name__ == "PostgresCrawlState"
    finally:
        store.close()
    for url, says in (
        ("mysql://root@127.0.0.1/test", "expected postgresql://"),
        ("postgresql://nobody:s3cret@127.0.0.1:5432/none", "cannot use PostgreSQL"),
    ):
        with pytest.raises(CrawlStateError) as caught:
            open_state(get_crawler(settings_dict=project_settings(STATE_URL=url)).settings)
        message = str(caught.value)
        assert message.startswith(("STATE_URL=", "setting STATE_URL=")) and says in message
        assert "s3cret" not in message and "\n" not in message


def test_processes_starting_together_on_a_new_postgresql_all_open_it(postgres_url):
    """CREATE TABLE IF NOT EXISTS run at once fails in all but one session (pg_type's unique
    index): schedulers and crawl workers started together must all get their store."""
    from crawler.retrieval.index import PostgresIndex

    errors: list[str] = []

    def open_and_close(kind) -> None:
        try:
            kind(postgres_url).close()
        except Exception as exc:  # noqa: BLE001 - the assertion below shows what failed
            errors.append(repr(exc))

    threads = [
        threading.Thread(target=open_and_close, args=(kind,))
        for kind in [PostgresCrawlState] * 6 + [PostgresIndex] * 6
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_unreachable_redis_is_one_clear_error_without_the_password():
    # port 9 on loopback: nothing listens there, a real connection refusal
    settings = get_crawler(
        settings_dict=project_settings(REDIS_URL="redis://:s3cret@127.0.0.1:9/0")
    ).settings
    with pytest.raises(CrawlStateError) as exc:
        open_state(settings)
    message = str(exc.value)
    assert message.startswith("REDIS_URL=redis://:***@127.0.0.1:9/0: cannot use Redis")
    assert "s3cret" not in message


@pytest.mark.parametrize("value", ["soon", "7 days", "-1d"])
def test_bad_recrawl_setting_names_the_setting(value):
    with pytest.raises(ConfigError, match="ARTICLE_RECRAWL_AFTER"):
        parse_duration(value)


def test_recrawl_durations():
    assert parse_duration(None) is None
    assert parse_duration("never") is None
    assert parse_duration(3600) == timedelta(hours=1)
    assert parse_duration("3600") == timedelta(hours=1)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("2w") == timedelta(days=14)
