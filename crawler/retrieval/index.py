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

import functools
import itertools
import json
import queue
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crawler.config import ConfigError
from crawler.redact import redact_url
from crawler.state import SCHEMA_LOCK, state_path

INDEX_FILE = "index.sqlite"
_SQLITE_READERS = 4  # read connections of a SqliteIndex (the HTTP API's requests in parallel)
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

    # SQL naming the index that counting facets may scan alone, and the one in the order of an
    # unranked search (SQLite's planner needs these hints)
    _facet_index = _newest_index = ""

    def _search_clause(self, text: str, ranked: bool) -> tuple[str, list, str | None, list]:
        """(join/where SQL, its parameters, ORDER BY expression or None when the matches are
        not to be ranked, its parameters) for a full-text query."""
        raise NotImplementedError

    def _transaction(self):
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- writing ------------------------------------------------------------------------------

    def add(self, captures: Iterable[dict], articles: Iterable[dict]) -> None:
        """Add the rows of one WARC in one transaction; rows already there are kept as they are."""
        self.add_rows(
            itertools.chain(
                (("capture", row) for row in captures), (("article", row) for row in articles)
            )
        )

    def add_rows(self, rows: Iterable[tuple[str, dict]]) -> None:
        """Add one WARC's ``("capture" | "article", row)`` pairs in one transaction, each row
        inserted as it comes: a generator of rows never holds a whole WARC's in memory."""
        columns = ", ".join(CAPTURE_FIELDS)
        marks = ", ".join([self.placeholder] * len(CAPTURE_FIELDS))
        sql = (
            f"INSERT INTO captures ({columns}) VALUES ({marks})"  # noqa: S608 - constant names
            " ON CONFLICT (warc_key, record_offset) DO NOTHING"
        )
        with self._transaction() as cur:
            for kind, row in rows:
                if kind == "capture":
                    cur.execute(sql, [row.get(f) for f in CAPTURE_FIELDS])
                else:
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
        """Articles matching every filter given, in the order of :meth:`search`: best match
        first with ``text``, else newest first (published day, then capture time).
        ``since``/``until``: ``YYYY-MM-DD``, inclusive."""
        filters = {
            "text": text, "site": site, "since": since, "until": until, "tag": tag,
            "language": language, "url": url, "story_id": story_id,
        }  # fmt: skip
        keys = self._sorted_keys(filters, limit=limit)
        whole = self._rows_by_id([k[0] for k in keys])
        return [self._article(whole[k[0]]) for k in keys]

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
        keys = self._sorted_keys(filters, after=after, limit=limit + 1)
        whole = self._rows_by_id([k[0] for k in keys[:limit]])
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

    def _sorted_keys(
        self, filters: dict, *, after: list | None = None, limit: int | None = None
    ) -> list[tuple]:
        """(row id, *sort key) of the articles matching ``filters``, in order, after ``after``.

        Sorted on narrow rows, so a query matching most of 100,000 articles never sorts their
        bodies; unranked, the order is that of an index (``articles_newest``), so the first
        page is read off it instead of sorting every match."""
        source, params, score, score_params = self._filtered(filters)
        text_only = {name for name, value in filters.items() if value} == {"text"}
        if text_only and score is None:
            # the matches of words in most articles: walk the newest first until the page is full
            source, params, score, score_params = self._filtered(filters, hint=self._newest_index)
        elif text_only and limit:
            keys = self._best_keys(filters["text"], after, limit)
            if keys is not None:
                return keys
        inner = (
            f"SELECT a.id AS k_id, {score or 0} AS k_score, coalesce(a.day, '') AS k_day,"
            f" a.timestamp AS k_time, a.url AS url, a.warc_key AS warc_key,"
            f" a.record_offset AS record_offset {source}"
        )
        sql = f"SELECT * FROM ({inner}) s"  # noqa: S608 - built from constant names
        after_params: list = []
        if after is not None:
            where, after_params = _keyset_after(_SORT_KEY, after, self.placeholder)
            sql += f" WHERE {where}"
        keys = _SORT_KEY if score else _SORT_KEY[1:]
        sql += " ORDER BY " + ", ".join(f"s.{name} {'ASC' if up else 'DESC'}" for name, up in keys)
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self._execute(sql, score_params + params + after_params)

    def _best_keys(self, text: str, after: list | None, limit: int) -> list[tuple] | None:
        """The engine's shortcut to the first ``limit`` keys of a ranked text-only search (None:
        take the general query)."""
        return None

    def _rows_by_id(self, ids: list) -> dict:
        """{row id: the article's columns} for these rows."""
        columns = ", ".join(ARTICLE_FIELDS)
        return {row[0]: row[1:] for row in self._select_by_id(f"id, {columns}", ids)}

    def _select_by_id(self, columns: str, ids: list) -> list[tuple]:
        """``SELECT columns FROM articles`` of these row ids, in batches of at most 500 (the
        engines' limit on parameters)."""
        rows: list[tuple] = []
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ", ".join([self.placeholder] * len(batch))
            sql = f"SELECT {columns} FROM articles WHERE id IN ({marks})"  # noqa: S608
            rows += self._execute(sql, batch)
        return rows

    def facets(self, filters: dict) -> dict:
        """Counts over every article matching ``filters`` (all pages): ``total``, and per
        ``day``, ``site`` (the site's name, else the name the page gives) and ``language``."""
        given = {name for name, value in filters.items() if value}
        # when every filter can be read off the facets' index, counting scans it alone
        hint = self._facet_index if given <= _FACET_INDEX_FILTERS else ""
        source, params, _score, _score_params = self._filtered(filters, ranked=False, hint=hint)
        sql = (
            f"SELECT a.day, a.site, a.site_name, a.language, count(*) {source}"
            " GROUP BY a.day, a.site, a.site_name, a.language"
        )
        counts: dict[str, dict] = {"day": {}, "site": {}, "language": {}}
        total = 0
        for day, site, page_site, language, n in self._execute(sql, params):
            total += n
            named = (
                ("day", day),
                ("site", page_site if site is None else site),
                ("language", language),
            )
            for name, value in named:
                counts[name][value] = counts[name].get(value, 0) + n
        return {"total": total, **counts}

    def _filtered(
        self, filters: dict, *, ranked: bool = True, hint: str = ""
    ) -> tuple[str, list, str | None, list]:
        """(``FROM ... WHERE ...`` of the articles matching ``filters``, its parameters, a score
        expression (lower is better) or None when the matches are not ranked, its parameters).
        ``hint``: the engine's index hint for the articles table."""
        p = self.placeholder
        join, params, score, score_params = "", [], None, []
        where: list[str] = []
        if filters.get("text"):
            join, params, rank, score_params = self._search_clause(filters["text"], ranked)
            # the engines rank best-first in opposite directions: one ascending score; in double
            # precision, so that a cursor holding it compares equal (ts_rank is a float4)
            if rank is None:
                pass
            elif rank.endswith(" DESC"):
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
        if filters.get("url"):
            where.append(f"(a.url = {p} OR a.final_url = {p})")
            params += [filters["url"], filters["url"]]
        source = f"FROM articles a {hint} {join}"
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
            # Reads on connections of their own (WAL: readers never wait for the writer), so
            # that the HTTP API answers requests, and a search and its facets, side by side.
            self._readers: queue.SimpleQueue = queue.SimpleQueue()
            for _ in range(_SQLITE_READERS):
                reader = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                reader.execute("PRAGMA query_only = ON")
                self._readers.put(reader)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveIndexError(
                f"ARCHIVE_INDEX_URL: cannot open the index {self.path}: {exc}"
            ) from None

    def __repr__(self) -> str:
        return f"SqliteIndex({str(self.path)!r})"

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        reader = self._readers.get()
        try:
            return reader.execute(sql, list(params)).fetchall()
        finally:
            self._readers.put(reader)

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

    _facet_index = "INDEXED BY articles_facets"
    _newest_index = "INDEXED BY articles_newest"

    def _search_clause(self, text: str, ranked: bool) -> tuple[str, list, str | None, list]:
        query = _fts5_query(text)
        if ranked and self._informative(text):
            join = "JOIN articles_fts ON articles_fts.rowid = a.id WHERE articles_fts MATCH ?"
            return join, [query], "bm25(articles_fts, 2.0, 1.0)", []
        where = "WHERE a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
        return where, [query], None, []

    def _best_keys(self, text: str, after: list | None, limit: int) -> list[tuple] | None:
        """The best matches by score from FTS5 alone, then only their sort keys: the general
        query reads every match's row (day, time, URL) before sorting, which doubles the cost
        of a query matching half the archive. Equal scores (the same text captured twice) are
        settled with a margin, and when the page ends among them, by reading every match of
        that score; None when the page needs more than that (the general query then)."""
        score = "bm25(articles_fts, 2.0, 1.0)"
        base = f"SELECT rowid, {score} FROM articles_fts WHERE articles_fts MATCH ?"  # noqa: S608
        params: list = [_fts5_query(text)]
        if after is not None:
            base += f" AND {score} >= ?"
            params.append(after[0])
        fetched = limit + _TIE_MARGIN
        best = self._execute(f"{base} ORDER BY 2 LIMIT {fetched}", params)
        keys = self._keys_of(best, after)[:limit]
        more = len(best) == fetched
        if more and keys and keys[-1][1] == best[-1][1]:  # the page may go on among equals
            best = self._execute(f"{base} AND {score} <= ?", [*params, best[-1][1]])
            keys = self._keys_of(best, after)
            if len(keys) < limit:
                return None
            keys = keys[:limit]
        elif more and len(keys) < limit:
            return None
        return keys

    def _keys_of(self, scored: list[tuple], after: list | None) -> list[tuple]:
        """(row id, *sort key) of these (row id, score) matches, sorted, after ``after``."""
        scores = dict(scored)
        rows = self._select_by_id(
            "id, coalesce(day, ''), timestamp, url, warc_key, record_offset", list(scores)
        )
        keys = [(row[0], scores[row[0]], *row[1:]) for row in rows]
        if after is not None:
            keys = [k for k in keys if _compare_keys(k[1:], after) > 0]
        return sorted(keys, key=functools.cmp_to_key(lambda a, b: _compare_keys(a[1:], b[1:])))

    def _informative(self, text: str) -> bool:
        """Whether bm25 can rank the matches of ``text``: a word in more than half of the
        articles carries no weight in it (FTS5 floors its idf at 1e-6), so a query made only
        of such words would rank every match by noise, after scoring them all (~1 µs each).
        Such a query lists its matches newest first, as a query without words does.

        Longest words first: they are the likely rare ones, and the cheap ones to count."""
        half = self._execute("SELECT count(*) FROM articles")[0][0] / 2
        for word in sorted(set(_words(text)), key=len, reverse=True):
            found = self._execute("SELECT doc FROM articles_vocab WHERE term = ?", [word.lower()])
            if not found or found[0][0] <= half:  # (a word not found as typed: rank, to be safe)
                return True
        return False

    def _list_clause(self, column: str) -> str:
        # column: a constant name ("tags", "authors"), never user input
        return f"EXISTS (SELECT 1 FROM json_each(a.{column}) t WHERE lower(t.value) = lower(?))"  # noqa: S608

    def close(self) -> None:
        with self._lock:
            self._db.close()
        for _ in range(_SQLITE_READERS):
            self._readers.get().close()


class PostgresIndex(ArchiveIndex):
    """The index on PostgreSQL (psycopg 3): a generated ``tsvector`` with a GIN index."""

    placeholder = "%s"

    def __init__(self, url: str) -> None:
        import psycopg  # noqa: PLC0415 - only with ARCHIVE_INDEX_URL=postgresql://

        self.url = url
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=10)
            # processes starting together must not race on CREATE ... IF NOT EXISTS
            with self._lock, self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
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

    def _search_clause(self, text: str, ranked: bool) -> tuple[str, list, str | None, list]:
        where = "WHERE a.search @@ plainto_tsquery('simple', %s)"
        if not ranked:
            return where, [text], None, []
        rank = "ts_rank(a.search, plainto_tsquery('simple', %s)) DESC"
        return where, [text], rank, [text]

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


# Filters the facets' index (articles_facets) answers alone: day, site and language are in it.
_FACET_INDEX_FILTERS = {"text", "site", "since", "until", "language"}

# The order of search(): score (best first), published day and capture time (newest first), then
# the article's place in the archive, so that every article has one place in it.
_SORT_KEY = (
    ("k_score", True), ("k_day", False), ("k_time", False), ("url", True), ("warc_key", True),
    ("record_offset", True),
)  # fmt: skip


def _compare_keys(a, b) -> int:
    """-1, 0 or 1 as sort key ``a`` comes before, with or after ``b`` in the order _SORT_KEY."""
    for (_name, ascending), x, y in zip(_SORT_KEY, a, b, strict=True):
        if x != y:
            return (1 if x > y else -1) * (1 if ascending else -1)
    return 0


# how many matches past a page _best_keys reads, to settle equal scores at the page's end
_TIE_MARGIN = 32


def _keyset_after(keys, values: list, p: str) -> tuple[str, list]:
    """SQL true for the rows that sort after ``values`` in the order ``keys`` ((name, ascending)
    pairs): the first key past it, or equal on it and past it on the next, and so on."""
    alternatives, params = [], []
    for i, (name, ascending) in enumerate(keys):
        equal = [f"s.{k} = {p}" for k, _up in keys[:i]]
        alternatives.append(" AND ".join([*equal, f"s.{name} {'>' if ascending else '<'} {p}"]))
        params += [*values[:i], values[i]]
    return "(" + ") OR (".join(alternatives) + ")", params


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text).split()


def _fts5_query(text: str) -> str:
    """Every word of ``text`` must occur (like plainto_tsquery): each quoted, so FTS5 syntax
    (``AND``, ``*``, ``"``, ``:``) typed by a user is only text."""
    return " ".join(f'"{w}"' for w in _words(text)) or '""'


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
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
-- the order of a search without ranking: its first page is read off this index, not sorted
CREATE INDEX IF NOT EXISTS articles_newest
    ON articles (coalesce(day, '') DESC, timestamp DESC, url, warc_key, record_offset);
-- facets (and the day filters): counted from this index alone, not from 100,000 wide rows
CREATE INDEX IF NOT EXISTS articles_facets ON articles (day, site, site_name, language);
DROP INDEX IF EXISTS articles_day;
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
-- each word's article count: whether bm25 can rank a query (SqliteIndex._informative)
CREATE VIRTUAL TABLE IF NOT EXISTS articles_vocab USING fts5vocab(articles_fts, 'row');
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
