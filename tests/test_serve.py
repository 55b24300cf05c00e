"""``newsarchive serve`` (issue 11): the archive over HTTP, read-only, as a user reaches it.

One archive holds a demo crawl and two crawls of a small local site (one story changed between
them, and a copy of it on another page); ``newsarchive serve`` runs on it as its own process and
is asked with urllib / http.client:

- search finds a demo article by a phrase of its body; filters and facets agree with the exported
  articles; following ``next`` gives every result exactly once;
- an article, its versions (the changed paragraph, exactly as ``newsarchive versions``) and its
  story (every copy);
- bad input is a JSON reason (404, 400 naming the parameter), anything but GET/HEAD is 405,
  traversal never leaves the web page's directory;
- beyond loopback: no ``RETRIEVAL_TOKEN``, no server; with one, no bearer, no answer.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import (
    REPO,
    crawl_gazette_twice,
    free_port,
    read_jsonl_gz,
    run_cli,
    write_demo_site_file,
)
from tests.local_site import LocalSite, Page

WEB_DIR = REPO / "crawler" / "retrieval" / "web"
CHANGED = "/news/2026/12/01/harbour-dredging-vote.html"
COPY = "/wire/2026/12/01/dredging-vote-copy.html"
OLD = "The council voted by nine to four to dredge the outer channel before the winter storms."
NEW = "Correction: the council voted by eight to five to dredge the channel before the storms."
STORY = [
    "Fishing boats will have to moor in the inner basin while the dredgers work through January.",
    "The harbour master said the channel had silted up faster than any survey had predicted.",
    "Traders on the quay asked for the work to stop during the Christmas market weekend.",
    "A public meeting on the cost is set for the town hall on the second Tuesday of the month.",
    "Engineers will test the sea wall near the lighthouse before the heavy machinery arrives.",
]


def _page(title: str, first: str, *, wrapper: str) -> Page:
    paragraphs = "".join(f"<p>{p}</p>\n" for p in [first, *STORY])
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": "2026-12-01T09:00:00+00:00",
        "author": {"@type": "Person", "name": "Ann Lee"},
        "keywords": "harbour",
        "inLanguage": "en",
    }
    return Page(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
        f'<nav><a href="/">{wrapper}</a></nav><article><h1>{title}</h1>\n{paragraphs}</article>'
        f"<footer>{wrapper}</footer></body></html>".encode()
    )


def _gazette(first: str) -> dict[str, Page]:
    stories = {
        CHANGED: _page("Council votes to dredge the channel", first, wrapper="The Gazette"),
        COPY: _page("Dredging vote (wire copy)", OLD, wrapper="Wire service"),
    }
    links = "".join(f'<li><a href="{path}">{path}</a></li>' for path in stories)
    return {"/": Page(f"<html><body><ul>{links}</ul></body></html>"), **stories}


@pytest.fixture(scope="module")
def archive(demo_site, tmp_path_factory):
    """A demo crawl and two crawls of the gazette into one local archive; the exported articles."""
    work = tmp_path_factory.mktemp("serve")
    write_demo_site_file(work / "sites", demo_site.base_url)
    demo = run_cli("crawl", "demo", "--archive", str(work / "archive"), cwd=work)
    assert demo.returncode == 0, demo.stderr[-3000:]
    with LocalSite(_gazette(OLD)) as site:

        def correct() -> None:
            site.pages[CHANGED] = _gazette(NEW)[CHANGED]

        crawl_gazette_twice(work, site.url("/"), correct, article_pattern=r"/(news|wire)/\d{4}/")
        changed_url = site.url(CHANGED)
        copy_url = site.url(COPY)
    exported = []
    for path in sorted((work / "archive").glob("articles/*/*.jsonl.gz")):
        exported += read_jsonl_gz(path)
    return {
        "work": work,
        "exported": exported,
        "changed": changed_url,
        "copy": copy_url,
        "expected_body": demo_site.expected_body,
    }


@contextmanager
def serving(work: Path, *args: str, env: dict | None = None):
    """``newsarchive serve ARGS`` in its own process: yields (base URL, log file) once it listens."""
    port = free_port()
    log_path = work / f"serve-{port}.log"
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "serve", "--archive", "archive",
             "--port", str(port), *args],
            cwd=work, env=full_env, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
    try:
        line = proc.stdout.readline()  # "serving ... at http://HOST:PORT/ ..."
        assert f":{port}/" in line, log_path.read_text()[-2000:]
        yield f"http://127.0.0.1:{port}", log_path
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture(scope="module")
def server(archive):
    with serving(archive["work"]) as (base, log_path):
        yield {**archive, "base": base, "log": log_path}


def get(base: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(base: str, path: str, headers: dict | None = None) -> tuple[int, dict]:
    status, got, body = get(base, path, headers)
    assert got["Content-Type"].startswith("application/json"), got
    return status, json.loads(body)


def raw(base: str, method: str, path: str, headers: dict | None = None):
    """One request with ``path`` sent exactly as given (no client-side normalisation)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def query(**params) -> str:
    return "/articles?" + urllib.parse.urlencode(params)


def demo_articles(server) -> list[dict]:
    return [a for a in server["exported"] if a["site"] == "demo"]


# -- search -----------------------------------------------------------------------------------


def test_search_finds_a_demo_article_by_a_phrase_of_its_body(server):
    article = max(demo_articles(server), key=lambda a: len(a["body"]))
    words = article["body"].split()
    phrase = " ".join(words[len(words) // 2 : len(words) // 2 + 6])
    status, found = get_json(server["base"], query(q=phrase))
    assert status == 200
    assert found["results"][0]["url"] == article["url"], phrase
    assert found["results"][0]["title"] == article["title"]
    assert found["total"] == len(found["results"]) >= 1


def test_filters_and_facets_agree_with_the_exported_articles(server):
    base = server["base"]
    demo = demo_articles(server)
    _status, everything = get_json(base, query(limit=100))
    assert everything["total"] == len(server["exported"])
    sites = {f["value"]: f["count"] for f in everything["facets"]["site"]}
    assert sites == dict(Counter(a["site"] for a in server["exported"]))
    languages = {f["value"]: f["count"] for f in everything["facets"]["language"]}
    assert languages == dict(Counter(a["language"] for a in server["exported"]))

    # one site, one language, a tag and a week: exactly the articles the crawl exported so
    chosen = [a for a in demo if a["language"] == "en-GB"]
    tag = Counter(t for a in chosen for t in a["tags"]).most_common(1)[0][0]
    days = sorted({a["published"][:10] for a in chosen})
    since, until = days[1], days[-2]
    expected = [a for a in chosen if tag in a["tags"] and since <= a["published"][:10] <= until]
    assert expected
    params = {"site": "demo", "lang": "en-gb", "tag": tag.lower(), "since": since, "until": until}
    status, found = get_json(base, query(**params, limit=100))
    assert status == 200
    assert sorted(r["url"] for r in found["results"]) == sorted(a["url"] for a in expected)
    assert found["total"] == len(expected)
    days_facet = {f["value"]: f["count"] for f in found["facets"]["day"]}
    assert days_facet == dict(Counter(a["published"][:10] for a in expected))
    assert [f["value"] for f in found["facets"]["day"]] == sorted(days_facet, reverse=True)

    author = Counter(n for a in demo for n in a["authors"]).most_common(1)[0][0]
    _status, by_author = get_json(base, query(author=author.upper(), limit=100))
    assert sorted(r["url"] for r in by_author["results"]) == sorted(
        a["url"] for a in server["exported"] if author in a["authors"]
    )
    story_id = demo[0]["story_id"]
    _status, by_story = get_json(base, query(story=story_id))
    assert [r["url"] for r in by_story["results"]] == [demo[0]["url"]]


@pytest.mark.parametrize("params", [{"limit": 7}, {"q": "harbour", "limit": 2}])
def test_following_next_gives_every_result_exactly_once(server, params):
    base = server["base"]
    _status, whole = get_json(base, query(**{**params, "limit": 100}))
    assert whole["next"] is None
    pages, path = [], query(**params)
    while path:
        assert len(pages) <= 100, "next never ends"
        status, page = get_json(base, path)
        assert status == 200
        assert page["total"] == whole["total"] and page["facets"] == whole["facets"]
        assert len(page["results"]) <= params["limit"]
        pages.append(page)
        path = page["next_url"]
    ids = [r["id"] for page in pages for r in page["results"]]
    assert len(pages) > 2
    assert ids == [r["id"] for r in whole["results"]]  # each once, in the same order
    assert len(set(ids)) == len(ids) == whole["total"]


# -- one article, its versions, its story ---------------------------------------------------------


def _id_of(server, url: str, **params) -> str:
    _status, found = get_json(server["base"], query(limit=100, **params))
    return next(r["id"] for r in found["results"] if r["url"] == url)


def test_an_article_is_the_exported_one_with_its_capture(server):
    article = demo_articles(server)[3]
    ident = _id_of(server, article["url"], site="demo")
    status, got = get_json(server["base"], f"/articles/{ident}")
    assert status == 200
    assert {k: got[k] for k in article} == article  # every exported field, unchanged
    archived = got["archived"]
    assert archived["filename"].endswith("/" + article["capture"]["warc_file"])
    assert archived["offset"] == article["capture"]["offset"]
    assert (archived["status"], archived["record_type"]) == (200, "response")
    assert archived["page"] == f"/web/{archived['timestamp']}id_/{article['final_url']}"
    assert archived["captured"].startswith(article["capture"]["date"][:19])
    # the link gives back the page as the site sent it (crawler.retrieval.cdx replays it)
    status, headers, page = get(server["base"], archived["page"])
    assert status == 200
    if headers.get("Content-Encoding") == "gzip":
        page = gzip.decompress(page)
    assert page == server["expected_body"](article["final_url"])
    # the same id, after the page is reloaded: the id names the record, not a row number
    assert get_json(server["base"], f"/articles/{ident}")[1]["id"] == ident


def test_versions_show_exactly_the_changed_paragraph(server):
    ident = _id_of(server, server["changed"], site="gazette")
    status, got = get_json(server["base"], f"/articles/{ident}/versions")
    assert status == 200
    versions = got["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    changed = [
        line
        for line in versions[1]["diff"].splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [f"-{OLD}", f"+{NEW}"]
    assert OLD in versions[0]["body"] and NEW in versions[1]["body"]
    cli = run_cli("versions", server["changed"], "--json", "--archive", "archive",
                  cwd=server["work"])  # fmt: skip
    expected = [json.loads(line) for line in cli.stdout.splitlines()]
    assert [{k: v[k] for k in expected[0]} for v in versions] == expected


def test_a_story_lists_every_copy(server):
    ident = _id_of(server, server["changed"], site="gazette")
    _status, article = get_json(server["base"], f"/articles/{ident}")
    status, story = get_json(server["base"], f"/stories/{article['story_id']}")
    assert status == 200
    urls = [a["url"] for a in story["articles"]]
    assert sorted(urls) == sorted([server["changed"], server["copy"]] * 2)  # both crawls
    assert [a["timestamp"] for a in story["articles"]] == sorted(
        a["timestamp"] for a in story["articles"]
    )
    # whichever page the crawl saw first, the other is marked as its copy
    marked = [a for a in story["articles"] if a["duplicate_of"]]
    assert marked
    assert all(a["duplicate_of"]["url"] in {server["changed"], server["copy"]} - {a["url"]}
               for a in marked)  # fmt: skip
    assert ident in {a["id"] for a in story["articles"]}


def test_postgresql_after_reindex_answers_with_the_same_ids(server, postgres_url):
    env = {"ARCHIVE_INDEX_URL": postgres_url}
    rebuilt = run_cli("reindex", "--archive", "archive", cwd=server["work"], env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr

    def every_page(base: str, **params) -> tuple[list[str], dict]:
        ids, path, facets = [], query(**params), None
        while path:
            assert len(ids) <= 100, "next never ends"
            _status, page = get_json(base, path)
            ids += [r["id"] for r in page["results"]]
            facets, path = page["facets"], page["next_url"]
        return ids, facets

    with serving(server["work"], env=env) as (base, _log):
        for params in ({"limit": 9}, {"q": "harbour channel", "limit": 1}, {"tag": "harbour"}):
            on_sqlite, sqlite_facets = every_page(server["base"], **params)
            on_postgres, postgres_facets = every_page(base, **params)
            # ts_rank and bm25 may order equal matches differently; the matches are the same
            assert sorted(on_postgres) == sorted(on_sqlite) and on_sqlite, params
            assert len(set(on_postgres)) == len(on_postgres)
            assert postgres_facets == sqlite_facets
        ident = on_sqlite[0]
        assert get_json(base, f"/articles/{ident}") == get_json(
            server["base"], f"/articles/{ident}"
        )


# -- bad input, methods, files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/nowhere", 404, "no such address: /nowhere"),
        ("/articles/not-an-id", 404, "no article with id 'not-an-id'"),
        ("/articles/MTIzOndhcmMvbm8ud2FyYy5neg", 404, "no article with id"),
        ("/stories/story-0000", 404, "no article of story 'story-0000'"),
        (query(since="yesterday"), 400, "since 'yesterday': not a time"),
        (query(until="2026-02-30"), 400, "until '2026-02-30': not a"),
        (query(limit="0"), 400, "limit '0': a whole number from 1 to 100"),
        (query(limit="many"), 400, "limit 'many'"),
        (query(cursor="bm9wZQ"), 400, "cursor: not a cursor of this search"),
        (query(colour="red"), 400, "unknown parameter 'colour'"),
        ("/articles?site=a&site=b", 400, "parameter 'site' given twice"),
    ],
)
def test_bad_requests_get_a_json_reason(server, path, status, reason):
    got_status, got = get_json(server["base"], path)
    assert got_status == status
    assert reason in got["error"], got
    if status == 400 and "parameter" in got:
        assert got["parameter"] in reason


def test_a_cursor_of_another_search_is_refused(server):
    _status, page = get_json(server["base"], query(limit=2))
    status, got = get_json(server["base"], query(limit=2, site="demo", cursor=page["next"]))
    assert status == 400 and got["parameter"] == "cursor"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_only_get_and_head_are_answered(server, method):
    status, headers, body = raw(server["base"], method, "/articles")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert json.loads(body)["error"].startswith(f"{method}: read-only")


def test_head_answers_like_get_without_a_body(server):
    status, headers, body = raw(server["base"], "HEAD", query(q="harbour"))
    _status, _headers, got_body = get(server["base"], query(q="harbour"))
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) == len(got_body)


def test_the_web_page_and_its_files_are_served(server):
    status, headers, body = get(server["base"], "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body == (WEB_DIR / "index.html").read_bytes()
    for path in sorted(WEB_DIR.iterdir()):
        status, _headers, body = get(server["base"], f"/static/{path.name}")
        assert status == 200 and body == path.read_bytes()


TRAVERSALS = [
    "/static/../../etc/passwd",
    "/static/../server.py",
    "/static/..%2fserver.py",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/%252e%252e%252fserver.py",
    "/static/..%5c..%5cetc%5cpasswd",
    "/static/....//....//etc/passwd",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/.",
    "/static/",
    "/../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/articles/..%2f..%2fetc%2fpasswd",
    "/stories/..%2f..%2fetc%2fpasswd",
    "/static/index.html%00.js",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_never_leaves_the_web_directory(server, path):
    status, headers, body = raw(server["base"], "GET", path)
    assert status == 404, (path, body[:200])
    assert headers["Content-Type"].startswith("application/json")
    assert b"root:" not in body and b"import" not in body
    assert "error" in json.loads(body)


# -- the log, the token, a missing archive ---------------------------------------------------------


def test_each_request_is_a_log_event(server):
    get(server["base"], query(q="harbour", limit=3))
    events = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not events:
        lines = server["log"].read_text().splitlines()
        events = [
            e
            for e in map(json.loads, lines)
            if e["event"] == "serve.request" and e["path"] == "/articles" and e["status"] == 200
        ]
    assert events and {"method", "ms", "bytes"} <= set(events[-1])
    listening = next(e for e in map(json.loads, lines) if e["event"] == "serve.listening")
    assert listening["url"] == server["base"] + "/" and listening["token"] is False


EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - the point of the test: beyond loopback


def test_serving_beyond_loopback_needs_a_token(archive):
    refused = run_cli("serve", "--host", EVERY_INTERFACE, "--port", str(free_port()),
                      "--archive", "archive", cwd=archive["work"],
                      env={"RETRIEVAL_TOKEN": ""}, timeout=30)  # fmt: skip
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "RETRIEVAL_TOKEN" in lines[0], refused.stderr
    assert not refused.stdout

    token = "s3cret-token-for-the-test"
    env = {"RETRIEVAL_TOKEN": token}
    with serving(archive["work"], "--host", EVERY_INTERFACE, env=env) as (base, log_path):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            status, got_headers, body = get(base, query(q="harbour"), headers)
            assert status == 401, headers
            assert got_headers["WWW-Authenticate"].startswith("Bearer")
            assert "bearer token" in json.loads(body)["error"]
        assert raw(base, "GET", "/static/app.js")[0] == 401
        status, found = get_json(base, query(q="harbour"), {"Authorization": f"Bearer {token}"})
        assert status == 200 and found["total"] >= 1
    assert token not in log_path.read_text()


@pytest.mark.parametrize(
    ("archive_dir", "line"),
    [
        ("no-such-archive", "ARCHIVE_URI=no-such-archive: no archive there"),
        ("sites", "run newsarchive reindex"),  # a directory, but no index of an archive
    ],
)
def test_a_missing_archive_is_one_line_at_start(archive, archive_dir, line):
    result = run_cli("serve", "--port", str(free_port()), "--archive", archive_dir,
                     cwd=archive["work"], timeout=30)  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and line in lines[0], result.stderr
    assert not result.stdout
