"""The CDX server API and Memento (issue 11), on a local site crawled three times: one story
changed each time, one never (its later captures are revisits), a page gone (404), the articles'
``metadata`` records beside them.

- ``/cdx`` answers 31 queries, covering every pywb parameter, exactly as pywb 2.8's ``/cdx`` does
  on the same WARCs (pywb really started from ``.venv-pywb``, its index made by its own
  ``wb-manager add``), from our index in SQLite and in PostgreSQL;
- ``limit=-N`` and ``collapse`` (the Wayback CDX server's, which pywb lacks) give the tail and the
  collapsed runs of pywb's own full answer;
- the TimeMap lists each capture, the TimeGate redirects to the capture nearest
  ``Accept-Datetime``, and each Memento is the archived response pywb replays (``id_``);
- a malformed parameter is a 400 naming it, an unknown URL a 404 (``/cdx``: pywb's empty 200).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote

import pytest
from warcio.timeutils import timestamp_to_http_date

from tests.helpers import postgres_database, pywb_collection, require_pywb, run_cli, warc_files
from tests.local_site import LocalSite, Page

pytestmark = pytest.mark.e2e

CHANGED = "/news/2026/12/01/harbour-dredging-vote.html"
UNCHANGED = "/news/2026/12/01/ferry-timetable-cut.html"
GONE = "/news/2026/12/02/withdrawn-story.html"
# pywb's own fields, which describe its deployment (its index file, collection and access rules);
# an archive without collections has none of them
PYWB_ONLY = ("source", "source-coll", "access")


def _story(title: str, n: int, first: str) -> str:
    sentences = " ".join(
        f"Paragraph {k} of story {n} tells how the harbour board met the pilots on day {k + n}."
        for k in range(12)
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1><p>{first}</p>"
        f"<p>{sentences}</p></article><footer>The Ellery Gazette</footer></body></html>"
    )


def _pages(edition: int) -> dict[str, Page]:
    stories = {
        CHANGED: _story("Council votes to dredge", 1, f"Edition {edition}: the vote was close."),
        UNCHANGED: _story("Ferry timetable cut", 2, "Two crossings a day instead of four."),
        GONE: Page(b"<html><body>This story was withdrawn.</body></html>", status=404),
    }
    home = "".join(f'<li><a href="{path}">{path}</a></li>' for path in stories)
    return {
        "/": Page(f"<html><body><h1>The Ellery Gazette</h1><ul>{home}</ul></body></html>".encode()),
        **{p: s if isinstance(s, Page) else Page(s.encode()) for p, s in stories.items()},
    }


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """Three crawls of the site into a local archive; our index rebuilt from the archive alone;
    pywb serving the same WARCs. Yields what the tests need."""
    from crawler.archive.stores import open_store
    from crawler.retrieval.index import SqliteIndex
    from crawler.retrieval.ingest import reindex
    from crawler.retrieval.reader import RecordReader

    require_pywb()
    work = tmp_path_factory.mktemp("cdx")
    archive = work / "archive"
    sent: dict[str, list[bytes]] = {}  # path -> the body each crawl was sent
    with LocalSite(_pages(1)) as site:
        (work / "sites").mkdir()
        (work / "sites" / "gazette.toml").write_text(
            f'name = "gazette"\nstart_urls = ["{site.url("/")}"]\n'
            "article_patterns = ['/news/\\d{4}/']\n"
        )
        options = ["--archive", str(archive), "-s", "ARTICLE_RECRAWL_AFTER=0s",
                   "-s", "CLEAN_TEMPLATE_MIN_PAGES=1", "-s", "ROBOTSTXT_OBEY=False"]  # fmt: skip
        for edition in (1, 2, 3):
            if edition > 1:
                time.sleep(1.1)  # each crawl's captures in seconds of their own
                site.pages.update(_pages(edition))
            crawl = run_cli("crawl", "gazette", *options, cwd=work)
            assert crawl.returncode == 0, crawl.stderr[-3000:]
            for path, page in site.pages.items():
                sent.setdefault(path, []).append(page.body)
        url = site.url

    index = SqliteIndex(work / "rebuilt.sqlite")
    store = open_store(str(archive))
    assert len(list(reindex(index, store))) == 3

    try:
        with pywb_collection(work / "pywb", warc_files(archive)) as pywb_url:
            yield {
                "url": url,
                "sent": sent,
                "index": index,
                "reader": RecordReader(store, index),
                "archive": archive,
                "pywb": pywb_url,
            }
    finally:
        index.close()


@pytest.fixture(scope="module")
def postgres_index(archived):
    """The same archive reindexed into a throwaway database on the machine's PostgreSQL."""
    from crawler.archive.stores import open_store
    from crawler.retrieval.index import PostgresIndex
    from crawler.retrieval.ingest import reindex

    with postgres_database() as url:
        index = PostgresIndex(url)
        try:
            assert len(list(reindex(index, open_store(str(archived["archive"]))))) == 3
            yield index
        finally:
            index.close()


def _ours(archived, path: str, query: str = "", headers: dict | None = None, index=None):
    from crawler.retrieval.cdx import handle

    status, out_headers, body = handle(
        index or archived["index"],
        archived["reader"],
        path,
        parse_qs(query, keep_blank_values=True),
        {"Host": "archive.test", **(headers or {})},
    )
    return status, dict(out_headers), body


def _pywb(archived, path: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(archived["pywb"] + path, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _lines(body: bytes, output: str, archive: Path, ours: bool) -> list:
    """An answer's lines, comparable: JSON fields as ordered (name, value) pairs without pywb's
    deployment fields; ``filename`` as the WARC's name (pywb names the copy in its collection's
    ``archive/``, we the WARC's key in our archive, which must exist)."""
    lines = []
    for line in body.decode("utf-8").splitlines():
        if output == "link":
            # pywb's collection, which we have not got
            lines.append(line.replace('; collection="demo"', ""))
            continue
        if output == "text":
            lines.append(line)
            continue
        prefix, text = "", line
        if output == "cdxj":
            key, stamp, text = line.split(" ", 2)
            prefix = f"{key} {stamp}"
        fields = []
        for name, value in json.loads(text).items():
            if name in PYWB_ONLY:
                continue
            if name in ("filename", "orig.filename") and value != "-":
                if ours:
                    assert (archive / value).is_file(), value
                fields.append((name, value.rsplit("/", 1)[-1]))
            else:
                fields.append((name, value))
        lines.append((prefix, fields))
    return lines


def _queries(archived) -> list[str]:
    url = archived["url"]
    stamps = sorted({json.loads(line)["timestamp"] for line in _cdx(archived, url("/"))})
    assert len(stamps) == 3
    first, second, third = stamps
    q = lambda u: quote(u, safe="")  # noqa: E731
    return [
        f"url={q(url('/'))}",
        f"url={q(url(CHANGED))}&output=json",
        f"url={q(url(UNCHANGED))}&output=cdxj",
        f"url={q(url('/news/'))}&matchType=prefix&output=json",
        f"url={q(url('/news/'))}*&output=json",
        f"url={q(url('/'))}&matchType=host&output=json",
        f"url={q(url('/'))}&matchType=domain&fl=urlkey,timestamp,status&output=json",
        f"url={q(url('/'))}&matchType=host&from={second}&output=json",
        f"url={q(url('/'))}&matchType=host&to={second[:12]}&output=json",
        f"url={q(url('/'))}&matchType=host&from={first[:8]}&to={third[:10]}&output=cdxj",
        f"url={q(url('/'))}&matchType=host&from={second[:13]}&to={second[:13]}&output=json",
        f"url={q(url('/'))}&matchType=host&to={first[:13]}&output=json",
        f"url={q(url(CHANGED))}&closest={second}&sort=closest&output=json",
        f"url={q(url(CHANGED))}&closest={second[:10]}&output=json",
        f"url={q(url('/'))}&matchType=host&closest={third}&limit=4&output=json",
        f"url={q(url('/'))}&matchType=prefix&sort=reverse&limit=5&output=json",
        f"url={q(url('/'))}&matchType=host&limit=3&output=cdxj",
        f"url={q(url('/'))}&matchType=host&filter=status:404&output=json",
        f"url={q(url('/'))}&matchType=host&filter=!mime:warc/revisit&output=json",
        f"url={q(url('/'))}&matchType=host&filter=~url:.*withdrawn&filter==mimetype:text/html&output=json",
        f"url={q(url('/'))}&matchType=host&filter=!=statuscode:200&fl=url,mime,status&output=json",
        f"url={q(url('/'))}&matchType=host&filter=~.*warc/revisit&output=json",
        f"url={q(url('/'))}&matchType=host&resolveRevisits=true&output=json",
        f"url={q(url(UNCHANGED))}&resolveRevisits=true&fl=timestamp,mime,orig.length,orig.offset&output=cdxj",
        f"url={q(url('/'))}&matchType=host&fl=timestamp,mime,digest&output=text",
        f"url={q(url('/'))}&matchType=host&output=link",
        f"url={q(url(CHANGED))}&output=link&sort=reverse",
        f"url={q('urn:article:' + url('/news/'))}*&fl=url,mime,digest&output=json",
        f"url={q(url('/'))}&matchType=host&collapseTime=8&output=json",
        f"url={q(url('/never/archived.html'))}&output=json",
        "output=json",
    ]


def _cdx(archived, url: str, params: str = "") -> list[str]:
    status, _, body = _ours(archived, "/cdx", f"url={quote(url, safe='')}&output=json{params}")
    assert status == 200
    return body.decode().splitlines()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_cdx_answers_as_pywb_on_the_same_warcs(archived, engine, request):
    index = request.getfixturevalue("postgres_index") if engine == "postgresql" else None
    queries = _queries(archived)
    assert len(queries) >= 20
    nonempty = 0
    for query in queries:
        output = parse_qs(query).get("output", ["cdxj"])[-1]
        status, headers, body = _ours(archived, "/cdx", query, index=index)
        pywb_status, pywb_headers, pywb_body = _pywb(archived, f"/cdx?{query}")
        assert status == pywb_status, (query, body)
        assert headers["Content-Type"] == pywb_headers["Content-Type"], query
        if status != 200:  # no url: the same reason (pywb's JSON calls it "message")
            assert json.loads(body)["error"] == json.loads(pywb_body)["message"], query
            continue
        ours = _lines(body, output, archived["archive"], ours=True)
        theirs = _lines(pywb_body, output, archived["archive"], ours=False)
        assert ours == theirs, query
        nonempty += bool(ours)
    assert nonempty >= len(queries) - 2  # every query but the unknown URL and the missing url


def test_negative_limit_gives_the_last_captures(archived):
    url = archived["url"]("/")
    for query, n in ((f"url={quote(url)}&matchType=host", 4), (f"url={quote(url)}", 1)):
        _, _, everything = _pywb(archived, f"/cdx?{query}&output=json")
        expected = _lines(everything, "json", archived["archive"], ours=False)[-n:]
        status, _, body = _ours(archived, "/cdx", f"{query}&output=json&limit=-{n}")
        assert status == 200
        assert _lines(body, "json", archived["archive"], ours=True) == expected
    newest = json.loads(_cdx(archived, url, "&limit=-1")[0])
    assert newest["timestamp"] == max(json.loads(line)["timestamp"] for line in _cdx(archived, url))
    # of the newest-first answer, the last N: the oldest
    oldest = json.loads(_cdx(archived, url, "&sort=reverse&limit=-1")[0])
    assert oldest["timestamp"] == min(json.loads(line)["timestamp"] for line in _cdx(archived, url))


def test_collapse_keeps_the_first_of_each_run(archived):
    url = archived["url"]
    _, _, everything = _pywb(archived, f"/cdx?url={quote(url('/'))}&matchType=host&output=json")
    full = [dict(fields) for _, fields in _lines(everything, "json", archived["archive"], False)]

    def collapsed(field: str, width: int | None = None) -> list[dict]:
        kept, last = [], None
        for line in full:
            value = line.get(field, "")[:width]
            if value != last:
                kept.append(line)
            last = value
        return kept

    for param, expected in (
        ("urlkey", collapsed("urlkey")),
        ("digest", collapsed("digest")),
        ("timestamp:8", collapsed("timestamp", 8)),
        ("original", collapsed("url")),
    ):
        status, _, body = _ours(
            archived, "/cdx", f"url={quote(url('/'))}&matchType=host&output=json&collapse={param}"
        )
        assert status == 200
        got = [dict(fields) for _, fields in _lines(body, "json", archived["archive"], True)]
        assert got == expected, param
    # one line per URL (4 URLs, 3 crawls each), one per distinct payload (revisits are the same)
    assert len(collapsed("urlkey")) == 4
    unchanged = _cdx(archived, url(UNCHANGED), "&collapse=digest")
    changed = _cdx(archived, url(CHANGED), "&collapse=digest")
    assert (len(unchanged), len(changed)) == (1, 3)


def test_timemap_lists_every_capture_of_a_url(archived):
    url = archived["url"](CHANGED)
    stamps = [json.loads(line)["timestamp"] for line in _cdx(archived, url)]
    status, headers, body = _ours(archived, f"/timemap/link/{url}")
    assert status == 200 and headers["Content-Type"] == "application/link-format"
    links = body.decode().split(",\n")
    assert links[0].startswith(f'<http://archive.test/timemap/link/{url}>; rel="self"')
    assert f'<http://archive.test/web/{url}>; rel="timegate"' in links
    assert f'<{url}>; rel="original"' in links
    mementos = [link for link in links if "memento" in link]
    assert [m.split(">")[0] for m in mementos] == [
        f"<http://archive.test/web/{s}id_/{url}" for s in stamps
    ]
    assert 'rel="first memento"' in mementos[0] and 'rel="last memento"' in mementos[-1]
    assert all(
        f'datetime="{timestamp_to_http_date(s)}"' in m
        for s, m in zip(stamps, mementos, strict=True)
    )


def test_timegate_redirects_to_the_capture_nearest_accept_datetime(archived):
    url = archived["url"](CHANGED)
    stamps = [json.loads(line)["timestamp"] for line in _cdx(archived, url)]
    for wanted, expected in (
        (stamps[0], stamps[0]),
        (stamps[1], stamps[1]),
        ("20000101000000", stamps[0]),
        ("29991231235959", stamps[2]),
    ):
        status, headers, _ = _ours(
            archived, f"/web/{url}", headers={"Accept-Datetime": timestamp_to_http_date(wanted)}
        )
        assert status == 302
        assert headers["Location"] == f"http://archive.test/web/{expected}id_/{url}"
        assert headers["Vary"] == "accept-datetime"
        assert f'<{url}>; rel="original"' in headers["Link"]
    status, headers, _ = _ours(archived, f"/web/{url}")  # no Accept-Datetime: the newest
    assert headers["Location"].startswith(f"http://archive.test/web/{stamps[2]}id_/")
    # a partial timestamp or another replay modifier: the id_ URL of the nearest capture
    status, headers, _ = _ours(archived, f"/web/{stamps[1]}/{url}")
    assert (status, headers["Location"]) == (302, f"http://archive.test/web/{stamps[1]}id_/{url}")


def test_each_memento_is_the_archived_response_pywb_replays(archived):
    for path in (CHANGED, UNCHANGED, GONE, "/"):
        url = archived["url"](path)
        stamps = [json.loads(line)["timestamp"] for line in _cdx(archived, url)]
        assert len(stamps) == 3
        for n, stamp in enumerate(stamps):
            status, headers, body = _ours(archived, f"/web/{stamp}id_/{url}")
            pywb_status, _, pywb_body = _pywb(archived, f"/{stamp}id_/{url}")
            assert (status, body) == (pywb_status, pywb_body), (url, stamp)
            assert body == archived["sent"][path][n], (url, stamp)
            assert headers["Memento-Datetime"] == timestamp_to_http_date(stamp)
            assert f'<{url}>; rel="original"' in headers["Link"]
            assert f'<http://archive.test/timemap/link/{url}>; rel="timemap"' in headers["Link"]
            assert headers["Content-Type"] == "text/html; charset=utf-8"  # as the site sent it
            assert "X-Archive-Orig-Date" in headers and "Date" not in headers
            assert "Transfer-Encoding" not in headers and "Content-Length" not in headers


@pytest.mark.parametrize(
    ("path", "query", "headers", "status", "reason"),
    [
        ("/cdx", "url={url}&from=2026x", {}, 400, "from='2026x': not a time"),
        ("/cdx", "url={url}&to=20261340", {}, 400, "to='20261340': not a valid date"),
        ("/cdx", "url={url}&closest=yesterday", {}, 400, "closest='yesterday'"),
        ("/cdx", "url={url}&limit=ten", {}, 400, "limit=ten"),
        ("/cdx", "url={url}&limit=0", {}, 400, "limit=0"),
        ("/cdx", "url={url}&matchType=subdomain", {}, 400, "matchType=subdomain"),
        ("/cdx", "url={url}&output=xml", {}, 400, "output=xml"),
        ("/cdx", "url={url}&filter=~url:(", {}, 400, "filter=~url:("),
        ("/cdx", "url={url}&collapse=colour", {}, 400, "collapse=colour"),
        ("/cdx", "url={url}&collapse=digest:0", {}, 400, "collapse=digest:0"),
        ("/cdx", "url={url}&sort=closest", {}, 400, "sort=closest needs closest="),
        ("/cdx", "url={url}&sort=sideways", {}, 400, "sort=sideways"),
        ("/cdx", "", {}, 400, '"url" param is required'),
        ("/web/{url}", "", {"Accept-Datetime": "last Tuesday"}, 400, "Accept-Datetime"),
        ("/web/20261399id_/{url}", "", {}, 400, "'20261399': not a valid date"),
        ("/web/not-a-url", "", {}, 400, "not a URL"),
        ("/timemap/json/{url}", "", {}, 400, "only link"),
        ("/web/{missing}", "", {}, 404, "no capture of {missing}"),
        ("/web/20261201000000id_/{missing}", "", {}, 404, "no capture of {missing}"),
        ("/timemap/link/{missing}", "", {}, 404, "no capture of {missing}"),
    ],
)  # fmt: skip
def test_bad_input_is_a_json_reason_naming_it(archived, path, query, headers, status, reason):
    values = {"url": archived["url"](CHANGED), "missing": archived["url"]("/never/archived.html")}
    path, query, reason = (s.format(**values) for s in (path, query, reason))
    got_status, got_headers, body = _ours(archived, path, query, headers)
    assert got_status == status, body
    assert got_headers["Content-Type"] == "application/json; charset=utf-8"
    assert reason in json.loads(body)["error"]


def test_a_warc_is_indexed_row_by_row_not_held_whole(archived):
    """Indexing a closed WARC reads each article's record as its row goes into the index: a
    1 GB WARC's articles (JSON and body) are never all in memory at once."""
    from crawler.archive.stores import open_store
    from crawler.retrieval.ingest import rows, warc_key_of

    store = open_store(str(archived["archive"]))
    read_records = yielded = articles = 0
    for cdxj_key in sorted(k for k in store.list("cdxj/") if k.endswith(".cdxj")):
        warc_key = warc_key_of(cdxj_key)
        lines = store.read(cdxj_key).decode("utf-8").splitlines()

        def read(offset, length, warc_key=warc_key):
            nonlocal read_records
            read_records += 1
            return store.read_range(warc_key, offset, length)

        for kind, row in rows(warc_key, lines, read):
            articles += kind == "article"
            yielded += kind == "article" or row["record_type"] == "revisit"
            assert read_records == yielded  # nothing read ahead of the row that needs it
    assert articles >= 3 and read_records > articles  # articles, and revisits, were read
