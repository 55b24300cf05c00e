"""The archive's index: captures (one row per CDXJ line) and articles (one row per ``metadata``
record), in SQLite or PostgreSQL.

``open_index(settings)`` chooses: ``ARCHIVE_INDEX_URL=postgresql://...`` (psycopg 3), else the SQLite
file ``index.sqlite`` beside the crawl state (``STATE_DIR``, or beside a local archive). Rows are
keyed by the record they describe (WARC key, offset), so adding a WARC twice changes nothing and
the index can always be rebuilt from the archive (``newsarchive reindex``).

Article text is searchable: SQLite FTS5 (bm25) or a PostgreSQL ``tsvector`` (``ts_rank``), both
with the ``simple`` (unstemmed, any language) word rules, so both engines match the same articles.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crawler.config import ConfigError
from crawler.redact import redact_url
from crawler.state import state_path

INDEX_FILE = "index.sqlite"
_POSTGRES = ("postgresql://", "postgres://")

CAPTURE_FIELDS = (
    "urlkey", "timestamp", "url", "mime", "status", "digest", "warc_key", "record_offset",
    "record_length", "record_type", "refers_to_url", "refers_to_date",
)  # fmt: skip
ARTICLE_FIELDS = (
    "warc_key", "record_offset", "record_length", "timestamp", "url", "final_url", "title",
    "authors", "published", "day", "site", "site_name", "language", "tags", "body", "story_id",
    "capture_file", "capture_offset", "record",
)  # fmt: skip
# Captures a user asks for: pages, not the article metadata records beside them.
_PAGE_TYPES = "('response', 'revisit', 'resource')"


class ArchiveIndexError(ConfigError):
    """The index cannot be opened or used; the message names ARCHIVE_INDEX_URL or the file."""


def index_location(settings) -> str:
    """``ARCHIVE_INDEX_URL`` if set, else the SQLite file beside the crawl state."""
    url = (settings.get("ARCHIVE_INDEX_URL") or "").strip()
    return url or str(state_path(settings).with_name(INDEX_FILE))


def check_index_url(url: str | None) -> None:
    """A setting that cannot work fails at start, in one line."""
    url = (url or "").strip()
    if url and not url.startswith(_POSTGRES) and not url.startswith("sqlite:///"):
        raise ConfigError(
            f"setting ARCHIVE_INDEX_URL={redact_url(url)}: expected postgresql://... or "
            "sqlite:///path (or nothing: SQLite beside the crawl state)"
        )


def open_index(settings) -> ArchiveIndex:
    check_index_url(settings.get("ARCHIVE_INDEX_URL"))
    location = index_location(settings)
    if location.startswith(_POSTGRES):
        return PostgresIndex(location)
    return SqliteIndex(location.removeprefix("sqlite://"))


class ArchiveIndex:
    """The queries both engines answer; each engine supplies its SQL dialect."""

    placeholder = "?"
    _lock: threading.Lock

    # -- engine specifics ---------------------------------------------------------------------

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def _insert_article(self, cur, row: dict) -> None:
        raise NotImplementedError

    def _search_clause(self, text: str) -> tuple[str, list, str, list]:
        """(join/where SQL, its parameters, ORDER BY expression, its parameters) for a
        full-text query."""
        raise NotImplementedError

    def _transaction(self):
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- writing ------------------------------------------------------------------------------

    def add(self, captures: list[dict], articles: list[dict]) -> None:
        """Add the rows of one WARC in one transaction; rows already there are kept as they are."""
        columns = ", ".join(CAPTURE_FIELDS)
        marks = ", ".join([self.placeholder] * len(CAPTURE_FIELDS))
        sql = (
            f"INSERT INTO captures ({columns}) VALUES ({marks})"  # noqa: S608 - constant names
            " ON CONFLICT (warc_key, record_offset) DO NOTHING"
        )
        with self._transaction() as cur:
            for row in captures:
                cur.execute(sql, [row.get(f) for f in CAPTURE_FIELDS])
            for row in articles:
                self._insert_article(cur, row)

    # -- captures -----------------------------------------------------------------------------

    def captures(
        self, key: str, match: str = "exact", start: str | None = None, end: str | None = None
    ) -> list[dict]:
        """Page captures of a SURT key (``exact``) or of every key starting with ``key``, oldest
        first within a key."""
        p = self.placeholder
        if match == "exact":
            where, params = [f"urlkey = {p}"], [key]
        else:
            where, params = [f"substr(urlkey, 1, {p}) = {p}"], [len(key), key]
        if start:
            where.append(f"timestamp >= {p}")
            params.append(start)
        if end:
            where.append(f"timestamp <= {p}")
            params.append(end)
        sql = (
            f"SELECT {', '.join(CAPTURE_FIELDS)} FROM captures"  # noqa: S608
            f" WHERE record_type IN {_PAGE_TYPES} AND {' AND '.join(where)}"
            " ORDER BY urlkey, timestamp, warc_key, record_offset"
        )
        return [dict(zip(CAPTURE_FIELDS, r, strict=True)) for r in self._execute(sql, params)]

    def originals(self, digest: str) -> list[dict]:
        """Full (non-revisit) captures with this payload digest, oldest first."""
        p = self.placeholder
        sql = (
            f"SELECT {', '.join(CAPTURE_FIELDS)} FROM captures"  # noqa: S608
            f" WHERE digest = {p} AND record_type IN ('response', 'resource')"
            " ORDER BY timestamp, warc_key, record_offset"
        )
        return [dict(zip(CAPTURE_FIELDS, r, strict=True)) for r in self._execute(sql, [digest])]

    def key_range(self, start: str, end: str) -> list[dict]:
        """Every capture whose SURT key is in ``[start, end)``, compared byte by byte as in a
        sorted CDXJ file, ``metadata`` records too (a CDX server lists every indexed record);
        in key order, oldest first within a key."""
        sql = (
            f"SELECT {', '.join(CAPTURE_FIELDS)} FROM captures"  # noqa: S608
            f" WHERE {self._key_range_clause()}"
            " ORDER BY urlkey, timestamp, warc_key, record_offset"
        )
        return [dict(zip(CAPTURE_FIELDS, r, strict=True)) for r in self._execute(sql, [start, end])]

    def _key_range_clause(self) -> str:
        # SQLite compares TEXT with BINARY collation: byte order, as pywb's sorted files
        return "urlkey >= ? AND urlkey < ?"

    def count(self, table: str) -> int:
        if table not in ("captures", "articles"):
            raise ValueError(table)
        return self._execute(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608

    # -- articles -----------------------------------------------------------------------------

    def articles(
        self,
        *,
        text: str | None = None,
        site: str | None = None,
        since: str | None = None,
        until: str | None = None,
        tag: str | None = None,
        language: str | None = None,
        url: str | None = None,
        story_id: str | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        """Articles matching every filter given: best match first with ``text``, else newest
        first (published day, then capture time). ``since``/``until``: ``YYYY-MM-DD``, inclusive."""
        p = self.placeholder
        where: list[str] = []
        params: list[Any] = []
        join, order = "", "a.day DESC, a.timestamp DESC, a.url, a.warc_key, a.record_offset"
        rank_params: list[Any] = []
        if text:
            join, search_params, rank, rank_params = self._search_clause(text)
            params += search_params
            order = f"{rank}, {order}"
        if site:
            where.append(f"(lower(a.site) = lower({p}) OR lower(a.site_name) = lower({p}))")
            params += [site, site]
        if since:
            where.append(f"a.day >= {p}")
            params.append(since)
        if until:
            where.append(f"a.day <= {p}")
            params.append(until)
        if tag:
            where.append(self._tag_clause())
            params.append(tag)
        if language:
            where.append(f"lower(a.language) = lower({p})")
            params.append(language)
        if url:
            where.append(f"(a.url = {p} OR a.final_url = {p})")
            params += [url, url]
        if story_id:
            where.append(f"a.story_id = {p}")
            params.append(story_id)
        columns = ", ".join(f"a.{f}" for f in ARTICLE_FIELDS)
        sql = f"SELECT {columns} FROM articles a {join}"  # noqa: S608
        if where:
            sql += (" AND " if " WHERE " in join else " WHERE ") + " AND ".join(where)
        sql += f" ORDER BY {order}"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._article(r) for r in self._execute(sql, params + rank_params)]

    def _tag_clause(self) -> str:
        raise NotImplementedError

    @staticmethod
    def _article(row: tuple) -> dict:
        article = dict(zip(ARTICLE_FIELDS, row, strict=True))
        for name in ("authors", "tags"):
            value = article[name]
            article[name] = json.loads(value) if isinstance(value, str) else value or []
        return article

    # -- pages of articles (the HTTP API) -----------------------------------------------------

    def article_at(self, warc_key: str, record_offset: int) -> dict | None:
        """The article of the ``metadata`` record at this place in the archive, if indexed."""
        p = self.placeholder
        columns = ", ".join(f"a.{f}" for f in ARTICLE_FIELDS)
        sql = (
            f"SELECT {columns} FROM articles a"  # noqa: S608
            f" WHERE a.warc_key = {p} AND a.record_offset = {p}"
        )
        rows = self._execute(sql, [warc_key, record_offset])
        return self._article(rows[0]) if rows else None

    def capture_at(self, warc_key: str, record_offset: int) -> dict | None:
        """The capture of the record at this place in the archive, if indexed."""
        p = self.placeholder
        sql = (
            f"SELECT {', '.join(CAPTURE_FIELDS)} FROM captures"  # noqa: S608
            f" WHERE warc_key = {p} AND record_offset = {p}"
        )
        rows = self._execute(sql, [warc_key, record_offset])
        return dict(zip(CAPTURE_FIELDS, rows[0], strict=True)) if rows else None

    def search(
        self, filters: dict, *, after: list | None = None, limit: int = 20
    ) -> tuple[list[dict], list | None]:
        """One page of the articles matching ``filters`` (``text``, ``site``, ``since``,
        ``until``, ``tag``, ``language``, ``author``, ``story_id``: as :meth:`articles`, and an
        author's name), in the order of :meth:`articles`, starting after the sort key ``after``.

        Returns the page, each article with its ``sort_key``, and the sort key of its last
        article when more follow (else None): keyset pagination, so an article is never on two
        pages, and articles indexed meanwhile do not shift the pages still to come."""
        source, params, score, score_params = self._filtered(filters)
        # Sorted on narrow rows (the sort key and the row id), then only the page's rows are
        # read whole: a query matching most of 100,000 articles never sorts their bodies.
        inner = (
            f"SELECT a.id AS k_id, {score} AS k_score, coalesce(a.day, '') AS k_day,"
            f" a.timestamp AS k_time, a.url AS url, a.warc_key AS warc_key,"
            f" a.record_offset AS record_offset {source}"
        )
        sql = f"SELECT * FROM ({inner}) s"  # noqa: S608 - built from constant names
        after_params: list = []
        if after is not None:
            where, after_params = _keyset_after(_SORT_KEY, after, self.placeholder)
            sql += f" WHERE {where}"
        order = ", ".join(f"s.{name} {'ASC' if up else 'DESC'}" for name, up in _SORT_KEY)
        sql += f" ORDER BY {order} LIMIT {int(limit) + 1}"
        keys = self._execute(sql, score_params + params + after_params)
        columns = ", ".join(ARTICLE_FIELDS)
        marks = ", ".join([self.placeholder] * len(keys[:limit]))
        whole = {}
        if keys:
            fetch = f"SELECT id, {columns} FROM articles WHERE id IN ({marks})"  # noqa: S608
            whole = {row[0]: row[1:] for row in self._execute(fetch, [k[0] for k in keys[:limit]])}
        page = []
        for row_id, score_value, day, stamp, *_ in keys[:limit]:
            article = self._article(whole[row_id])
            article["sort_key"] = [
                score_value, day, stamp, article["url"], article["warc_key"],
                article["record_offset"],
            ]  # fmt: skip
            page.append(article)
        more = len(keys) > limit and page
        return page, (page[-1]["sort_key"] if more else None)

    def facets(self, filters: dict) -> dict:
        """Counts over every article matching ``filters`` (all pages): ``total``, and per
        ``day``, ``site`` (the site's name, else the name the page gives) and ``language``."""
        source, params, _score, _score_params = self._filtered(filters)
        site = "coalesce(a.site, a.site_name)"
        sql = (
            f"SELECT a.day, {site}, a.language, count(*) {source}"
            f" GROUP BY a.day, {site}, a.language"
        )
        counts: dict[str, dict] = {"day": {}, "site": {}, "language": {}}
        total = 0
        for day, site_name, language, n in self._execute(sql, params):
            total += n
            for name, value in (("day", day), ("site", site_name), ("language", language)):
                counts[name][value] = counts[name].get(value, 0) + n
        return {"total": total, **counts}

    def _filtered(self, filters: dict) -> tuple[str, list, str, list]:
        """(``FROM ... WHERE ...`` of the articles matching ``filters``, its parameters, a score
        expression (lower is better), its parameters)."""
        p = self.placeholder
        join, params, score, score_params = "", [], "0", []
        where: list[str] = []
        if filters.get("text"):
            join, params, rank, score_params = self._search_clause(filters["text"])
            # the engines rank best-first in opposite directions: one ascending score; in double
            # precision, so that a cursor holding it compares equal (ts_rank is a float4)
            if rank.endswith(" DESC"):
                score = f"-CAST({rank.removesuffix(' DESC')} AS DOUBLE PRECISION)"
            else:
                score = rank
        if filters.get("site"):
            where.append(f"(lower(a.site) = lower({p}) OR lower(a.site_name) = lower({p}))")
            params += [filters["site"], filters["site"]]
        if filters.get("since"):
            where.append(f"a.day >= {p}")
            params.append(filters["since"])
        if filters.get("until"):
            where.append(f"a.day <= {p}")
            params.append(filters["until"])
        if filters.get("tag"):
            where.append(self._list_clause("tags"))
            params.append(filters["tag"])
        if filters.get("author"):
            where.append(self._list_clause("authors"))
            params.append(filters["author"])
        if filters.get("language"):
            where.append(f"lower(a.language) = lower({p})")
            params.append(filters["language"])
        if filters.get("story_id"):
            where.append(f"a.story_id = {p}")
            params.append(filters["story_id"])
        source = f"FROM articles a {join}"
        if where:
            source += (" AND " if " WHERE " in join else " WHERE ") + " AND ".join(where)
        return source, params, score, score_params

    def _list_clause(self, column: str) -> str:
        """SQL true when the JSON list ``a.<column>`` holds the parameter (any case)."""
        raise NotImplementedError


class _Transaction:
    def __init__(self, index, begin: str) -> None:
        self.index, self.begin = index, begin

    def __enter__(self):
        self.index._lock.acquire()
        self.cur = self.index._db.cursor()
        self.cur.execute(self.begin)
        return self.cur

    def __exit__(self, exc_type, *exc) -> None:
        try:
            self.cur.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.index._lock.release()


class SqliteIndex(ArchiveIndex):
    """The embedded index: one SQLite file (WAL), FTS5 over title and body."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SQLITE_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveIndexError(
                f"ARCHIVE_INDEX_URL: cannot open the index {self.path}: {exc}"
            ) from None

    def __repr__(self) -> str:
        return f"SqliteIndex({str(self.path)!r})"

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, list(params)).fetchall()

    def _transaction(self):
        return _Transaction(self, "BEGIN IMMEDIATE")

    def _insert_article(self, cur, row: dict) -> None:
        values = _article_values(row)
        cur.execute(
            f"INSERT INTO articles ({', '.join(ARTICLE_FIELDS)}) VALUES "  # noqa: S608
            f"({', '.join('?' * len(ARTICLE_FIELDS))}) ON CONFLICT (warc_key, record_offset) DO NOTHING",
            values,
        )
        if cur.rowcount == 1:
            cur.execute(
                "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                (cur.lastrowid, row.get("title") or "", row.get("body") or ""),
            )

    def _search_clause(self, text: str) -> tuple[str, list, str, list]:
        join = "JOIN articles_fts ON articles_fts.rowid = a.id WHERE articles_fts MATCH ?"
        return join, [_fts5_query(text)], "bm25(articles_fts, 2.0, 1.0)", []

    def _tag_clause(self) -> str:
        return "EXISTS (SELECT 1 FROM json_each(a.tags) t WHERE lower(t.value) = lower(?))"

    def _list_clause(self, column: str) -> str:
        # column: a constant name ("tags", "authors"), never user input
        return f"EXISTS (SELECT 1 FROM json_each(a.{column}) t WHERE lower(t.value) = lower(?))"  # noqa: S608

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PostgresIndex(ArchiveIndex):
    """The index on PostgreSQL (psycopg 3): a generated ``tsvector`` with a GIN index."""

    placeholder = "%s"

    def __init__(self, url: str) -> None:
        import psycopg  # noqa: PLC0415 - only with ARCHIVE_INDEX_URL=postgresql://

        self.url = url
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=10)
            with self._lock:
                self._db.execute(_POSTGRES_SCHEMA)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ArchiveIndexError(
                f"ARCHIVE_INDEX_URL={redact_url(url)}: cannot use PostgreSQL: {first}"
            ) from None

    def __repr__(self) -> str:
        return f"PostgresIndex({redact_url(self.url)!r})"

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, list(params)).fetchall()

    def _transaction(self):
        return _Transaction(self, "BEGIN")

    def _insert_article(self, cur, row: dict) -> None:
        values = _article_values(row)
        marks = ", ".join("%s::jsonb" if f in ("authors", "tags") else "%s" for f in ARTICLE_FIELDS)
        cur.execute(
            f"INSERT INTO articles ({', '.join(ARTICLE_FIELDS)}) VALUES ({marks})"  # noqa: S608
            " ON CONFLICT (warc_key, record_offset) DO NOTHING",
            values,
        )

    def _search_clause(self, text: str) -> tuple[str, list, str, list]:
        join = "WHERE a.search @@ plainto_tsquery('simple', %s)"
        rank = "ts_rank(a.search, plainto_tsquery('simple', %s)) DESC"
        return join, [text], rank, [text]

    def _tag_clause(self) -> str:
        return (
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(a.tags) t WHERE lower(t) = lower(%s))"
        )

    def _list_clause(self, column: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(a.{column}) t"  # noqa: S608
            " WHERE lower(t) = lower(%s))"
        )

    def _key_range_clause(self) -> str:
        # byte order whatever the database's collation; the text_pattern_ops index serves it
        return "urlkey ~>=~ %s AND urlkey ~<~ %s"

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _article_values(row: dict) -> list:
    values = []
    for name in ARTICLE_FIELDS:
        value = row.get(name)
        if name in ("authors", "tags"):
            value = json.dumps(value or [], ensure_ascii=False)
        values.append(value)
    return values


# The order of search(): score (best first), published day and capture time (newest first), then
# the article's place in the archive, so that every article has one place in it.
_SORT_KEY = (
    ("k_score", True), ("k_day", False), ("k_time", False), ("url", True), ("warc_key", True),
    ("record_offset", True),
)  # fmt: skip


def _keyset_after(keys, values: list, p: str) -> tuple[str, list]:
    """SQL true for the rows that sort after ``values`` in the order ``keys`` ((name, ascending)
    pairs): the first key past it, or equal on it and past it on the next, and so on."""
    alternatives, params = [], []
    for i, (name, ascending) in enumerate(keys):
        equal = [f"s.{k} = {p}" for k, _up in keys[:i]]
        alternatives.append(" AND ".join([*equal, f"s.{name} {'>' if ascending else '<'} {p}"]))
        params += [*values[:i], values[i]]
    return "(" + ") OR (".join(alternatives) + ")", params


def _fts5_query(text: str) -> str:
    """Every word of ``text`` must occur (like plainto_tsquery): each quoted, so FTS5 syntax
    (``AND``, ``*``, ``"``, ``:``) typed by a user is only text."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    return " ".join(f'"{w}"' for w in words) or '""'


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    urlkey TEXT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, mime TEXT, status INTEGER,
    digest TEXT, warc_key TEXT NOT NULL, record_offset INTEGER NOT NULL,
    record_length INTEGER NOT NULL, record_type TEXT NOT NULL, refers_to_url TEXT,
    refers_to_date TEXT, PRIMARY KEY (warc_key, record_offset)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS captures_urlkey ON captures (urlkey, timestamp);
CREATE INDEX IF NOT EXISTS captures_digest ON captures (digest);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY, warc_key TEXT NOT NULL, record_offset INTEGER NOT NULL,
    record_length INTEGER NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, final_url TEXT,
    title TEXT, authors TEXT, published TEXT, day TEXT, site TEXT, site_name TEXT, language TEXT,
    tags TEXT, body TEXT, story_id TEXT, capture_file TEXT, capture_offset INTEGER,
    record TEXT NOT NULL, UNIQUE (warc_key, record_offset)
);
CREATE INDEX IF NOT EXISTS articles_url ON articles (url, timestamp);
CREATE INDEX IF NOT EXISTS articles_final_url ON articles (final_url);
CREATE INDEX IF NOT EXISTS articles_day ON articles (day);
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
"""

_POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    urlkey TEXT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, mime TEXT, status INTEGER,
    digest TEXT, warc_key TEXT NOT NULL, record_offset BIGINT NOT NULL,
    record_length BIGINT NOT NULL, record_type TEXT NOT NULL, refers_to_url TEXT,
    refers_to_date TEXT, PRIMARY KEY (warc_key, record_offset)
);
CREATE INDEX IF NOT EXISTS captures_urlkey ON captures (urlkey text_pattern_ops, timestamp);
CREATE INDEX IF NOT EXISTS captures_digest ON captures (digest);
CREATE TABLE IF NOT EXISTS articles (
    id BIGSERIAL PRIMARY KEY, warc_key TEXT NOT NULL, record_offset BIGINT NOT NULL,
    record_length BIGINT NOT NULL, timestamp TEXT NOT NULL, url TEXT NOT NULL, final_url TEXT,
    title TEXT, authors JSONB, published TEXT, day TEXT, site TEXT, site_name TEXT, language TEXT,
    tags JSONB, body TEXT, story_id TEXT, capture_file TEXT, capture_offset BIGINT,
    record TEXT NOT NULL,
    search TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || to_tsvector('simple', coalesce(body, ''))
    ) STORED,
    UNIQUE (warc_key, record_offset)
);
CREATE INDEX IF NOT EXISTS articles_url ON articles (url, timestamp);
CREATE INDEX IF NOT EXISTS articles_final_url ON articles (final_url);
CREATE INDEX IF NOT EXISTS articles_day ON articles (day);
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
CREATE INDEX IF NOT EXISTS articles_search ON articles USING GIN (search);
"""
