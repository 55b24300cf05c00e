"""The retrieval commands: ``captures``, ``get``, ``articles``, ``versions``, ``story``, ``reindex``,
``serve``.

Each reads the index (:mod:`crawler.retrieval.index`) and, for ``get``, one record of the archive
(:mod:`crawler.retrieval.reader`); ``serve`` answers them over HTTP (:mod:`crawler.retrieval.server`).
``crawler.cli`` parses the arguments and turns
:class:`BadInput` into one line and exit status 2, :class:`NotFound` into one line and status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

import structlog

from crawler.archive.cdxj import url_key
from crawler.config import ConfigError
from crawler.redact import redact_url
from crawler.retrieval.index import ArchiveIndex, index_location, open_index
from crawler.retrieval.ingest import reindex
from crawler.retrieval.reader import RecordError, RecordReader
from crawler.retrieval.timestamps import TimeError, iso, parse_time, to_datetime
from crawler.retrieval.versions import article_versions

log = structlog.get_logger(__name__)

MATCHES = ("exact", "prefix", "host", "domain")


class BadInput(Exception):
    """A mistake in what the user typed or configured: one line, exit status 2."""


class NotFound(Exception):
    """Nothing in the index answers: one line, exit status 1."""


def _index(settings) -> ArchiveIndex:
    try:
        return open_index(settings)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None


def _time(option: str, value: str | None, *, upper: bool = False) -> str | None:
    if value is None:
        return None
    try:
        return parse_time(value, upper=upper)
    except TimeError as exc:
        raise BadInput(f"{option} {exc}") from None


def _day(option: str, value: str | None, *, upper: bool = False) -> str | None:
    stamp = _time(option, value, upper=upper)
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if stamp else None


def _nothing(what: str, index: ArchiveIndex, settings) -> NotFound:
    if index.count("captures") == 0:
        where = redact_url(index_location(settings))
        return NotFound(f"{what} (the index {where} is empty: run newsarchive reindex)")
    return NotFound(what)


def _check_url(url: str) -> str:
    if "://" not in url or not url.split("://", 1)[1]:
        raise BadInput(f"{url!r}: not a URL (expected http://host/path)")
    return url


def _closest(rows: list[dict], at: str | None) -> dict:
    if at is None:
        return max(rows, key=lambda r: (r["timestamp"], r["warc_key"], r["record_offset"]))
    target = to_datetime(at)
    return min(
        rows,
        key=lambda r: (
            abs((to_datetime(r["timestamp"]) - target).total_seconds()),
            -int(r["timestamp"]),
        ),
    )


def match_key(url: str, match: str) -> str:
    """The SURT key (exact) or key prefix (prefix, host, domain) of ``url``."""
    key = url_key(url)
    if match in ("exact", "prefix"):
        return key
    host = key.split(")", 1)[0]
    return host + ")/" if match == "host" else host


# -- commands ---------------------------------------------------------------------------------


def captures_command(args, settings, out: IO[str]) -> int:
    url = _check_url(args.url)
    start = _time("--from", args.start)
    end = _time("--to", args.end, upper=True)
    index = _index(settings)
    try:
        key = match_key(url, args.match)
        rows = index.captures(key, "exact" if args.match == "exact" else "prefix", start, end)
        if args.match == "domain":  # com,example) or com,example,sub) - not com,examples)
            rows = [r for r in rows if r["urlkey"][len(key)] in "),:"]
        if not rows:
            raise _nothing(f"no capture of {url}", index, settings)
        for row in rows:
            if args.json:
                out.write(json.dumps(_capture_json(row)) + "\n")
            else:
                status = row["status"] if row["status"] is not None else "-"
                kind = " (revisit)" if row["record_type"] == "revisit" else ""
                out.write(f"{row['timestamp']} {status} {row['mime'] or '-'} {row['url']}{kind}\n")
    finally:
        index.close()
    return 0


def _capture_json(row: dict) -> dict:
    return {
        "urlkey": row["urlkey"],
        "timestamp": row["timestamp"],
        "url": row["url"],
        "mime": row["mime"],
        "status": row["status"],
        "digest": row["digest"],
        "record_type": row["record_type"],
        "filename": row["warc_key"],
        "offset": row["record_offset"],
        "length": row["record_length"],
        **({"refers_to_url": row["refers_to_url"]} if row["refers_to_url"] else {}),
        **({"refers_to_date": row["refers_to_date"]} if row["refers_to_date"] else {}),
    }


def get_command(args, settings, store, out: IO[bytes]) -> int:
    url = _check_url(args.url)
    at = _time("--at", args.at)
    index = _index(settings)
    try:
        if args.part == "article":
            articles = index.articles(url=url)
            if not articles:
                raise _nothing(f"no article of {url}", index, settings)
            out.write(_closest(articles, at)["record"].encode("utf-8") + b"\n")
            return 0
        rows = index.captures(url_key(url), "exact")
        if not rows:
            raise _nothing(f"no capture of {url}", index, settings)
        row = _closest(rows, at)
        try:
            exchange = RecordReader(store, index).exchange(row)
            data = {
                "raw": exchange.raw,
                "headers": exchange.headers,
                "body": exchange.body,
            }[args.part]()
        except RecordError as exc:
            raise NotFound(str(exc)) from None
        log.debug(
            "get.capture",
            url=row["url"],
            captured=row["timestamp"],
            record_type=row["record_type"],
            warc=row["warc_key"],
            offset=row["record_offset"],
            bytes=len(data),
        )
        out.write(data)
    finally:
        index.close()
    return 0


def articles_command(args, settings, out: IO[str]) -> int:
    since = _day("--since", args.since)
    until = _day("--until", args.until, upper=True)
    if args.limit is not None and args.limit < 1:
        raise BadInput(f"--limit {args.limit}: must be at least 1")
    index = _index(settings)
    try:
        found = index.articles(
            text=args.q,
            site=args.site,
            since=since,
            until=until,
            tag=args.tag,
            language=args.lang,
            limit=args.limit,
        )
        if not found:
            raise _nothing("no article matches", index, settings)
        for article in found:
            out.write(_article_line(article, args.json))
    finally:
        index.close()
    return 0


def _article_line(article: dict, as_json: bool) -> str:
    if as_json:
        return article["record"] + "\n"
    site = article["site_name"] or article["site"] or "-"
    return f"{article['day']}  {site}  {article['title'] or '(no title)'}  {article['url']}\n"


def versions_command(args, settings, out: IO[str]) -> int:
    url = _check_url(args.url)
    index = _index(settings)
    try:
        articles = index.articles(url=url)
    finally:
        index.close()
    if not articles:
        raise NotFound(f"no article of {url}")
    for version in article_versions(articles):
        n, first = version["version"], version["articles"][0]
        if args.json:
            record = {
                "version": n,
                "captures": [iso(t) for t in version["captures"]],
                "title": first["title"],
                "body": first["body"],
                "diff": version["diff"],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        seen = ", ".join(iso(t) for t in version["captures"])
        out.write(f"== version {n}: {url}  captured {seen}\n")
        out.write((version["diff"] or version["text"]) + "\n\n")
    return 0


def story_command(args, settings, out: IO[str]) -> int:
    index = _index(settings)
    try:
        articles = index.articles(story_id=args.story_id)
    finally:
        index.close()
    if not articles:
        raise NotFound(f"no article of story {args.story_id}")
    for article in sorted(articles, key=lambda a: (a["timestamp"], a["url"])):
        if args.json:
            out.write(article["record"] + "\n")
            continue
        duplicate = json.loads(article["record"]).get("duplicate_of") or {}
        note = ""
        if duplicate:
            note = f"  (copy of {duplicate.get('url')}, similarity {duplicate.get('similarity')})"
        out.write(f"{iso(article['timestamp'])}  {_article_line(article, False).strip()}{note}\n")
    return 0


def reindex_command(settings, store, out: IO[str]) -> int:
    index = _index(settings)
    warcs = captures = articles = 0
    try:
        for added in reindex(index, store):
            warcs += 1
            captures += added.captures
            articles += added.articles
            log.info(
                "reindex.warc",
                key=added.warc_key,
                captures=added.captures,
                articles=added.articles,
            )
        total_captures, total_articles = index.count("captures"), index.count("articles")
    finally:
        index.close()
    out.write(
        f"indexed {warcs} WARC file(s) of {store.uri}: {captures} capture(s), "
        f"{articles} article(s); the index ({redact_url(index_location(settings))}) now holds "
        f"{total_captures} capture(s), {total_articles} article(s)\n"
    )
    return 0


def serve_command(args, settings, store, out: IO[str]) -> int:
    """Serve the index and the archive over HTTP until interrupted (Ctrl-C or SIGTERM)."""
    import signal  # noqa: PLC0415 - only this command handles signals

    from crawler.archive.stores import check_uri  # noqa: PLC0415
    from crawler.retrieval.server import ArchiveServer, is_loopback  # noqa: PLC0415

    token = (settings.get("RETRIEVAL_TOKEN") or "").strip() or None
    if not is_loopback(args.host) and token is None:
        raise BadInput(
            f"--host {args.host}: serving beyond loopback needs the setting RETRIEVAL_TOKEN "
            "(env or -s), the bearer token every request must then carry"
        )
    if not 0 < args.port < 65536:
        raise BadInput(f"--port {args.port}: not a TCP port (1-65535)")
    kind, location, _prefix = check_uri(settings.get("ARCHIVE_URI"))
    if kind == "local" and not Path(location).is_dir():
        raise BadInput(
            f"ARCHIVE_URI={settings.get('ARCHIVE_URI')}: no archive there (crawl first, "
            "or give --archive)"
        )
    where = index_location(settings)
    if "://" not in where and not Path(where).is_file():
        raise BadInput(f"no index at {where}: run newsarchive reindex (or crawl first)")
    index = _index(settings)
    try:
        if index.count("captures") == 0:
            raise BadInput(f"the index {redact_url(where)} is empty: run newsarchive reindex")
        try:
            server = ArchiveServer(
                (args.host, args.port), index, RecordReader(store, index), token=token
            )
        except OSError as exc:
            raise BadInput(
                f"--host {args.host} --port {args.port}: {exc.strerror or exc}"
            ) from None

        def stop(_signum, _frame) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        log.info(
            "serve.listening",
            url=server.url,
            index=redact_url(where),
            archive=redact_url(store.uri),
            token=token is not None,
            articles=index.count("articles"),
        )
        out.write(f"serving {store.uri} at {server.url} (index {redact_url(where)})\n")
        out.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            log.info("serve.stopped", url=server.url)
        finally:
            server.server_close()
    finally:
        index.close()
    return 0
