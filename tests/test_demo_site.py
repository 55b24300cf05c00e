"""The bundled demo news site serves what its manifest says, the way the archiver will meet it."""

from __future__ import annotations

import gzip
import html
import http.client
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.robotparser
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from crawler.demo_site import DemoSite, build_site, demo_manifest, expected_body, served_body
from crawler.demo_site.pages import farm_article
from crawler.demo_site.stories import fixture_html, load_stories

REPO = Path(__file__).resolve().parents[1]
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}


@pytest.fixture(scope="module")
def site():
    with DemoSite(port=0) as s:
        yield s


def raw_get(site: DemoSite, path: str, headers: dict[str, str] | None = None, version="1.1"):
    """GET over a plain socket: status, headers, and the body exactly as framed on the wire."""
    lines = [f"GET {path} HTTP/{version}", f"Host: 127.0.0.1:{site.port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in header_lines:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(status_line.split()[1]), hdrs, body


def dechunk(raw: bytes) -> tuple[bytes, int]:
    """Strictly decode a chunked body; returns the entity and the number of chunks."""
    out, pos, chunks = b"", 0, 0
    while True:
        eol = raw.index(b"\r\n", pos)
        size = int(raw[pos:eol], 16)
        pos = eol + 2
        if size == 0:
            assert raw[pos:] == b"\r\n", "chunked body must end with an empty trailer"
            return out, chunks
        out += raw[pos : pos + size]
        assert raw[pos + size : pos + size + 2] == b"\r\n", "chunk not followed by CRLF"
        pos += size + 2
        chunks += 1


def article(manifest: dict, special: str) -> dict:
    return next(a for a in manifest["articles"] if a["special"] == special)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_site_has_the_promised_shape(site):
    m = site.manifest()
    arts = m["articles"]
    assert len(arts) >= 24
    assert {a["template"] for a in arts} == {"A", "B"}
    sections = [e for e in m["urls"].values() if e["kind"] == "section"]
    pages_per_section = {
        s: max(e["page"] for e in sections if e["section"] == s) for s in ("world", "business")
    }
    assert pages_per_section == {"world": 2, "business": 2}
    generated = [a for a in arts if "fixture" not in " ".join(m["urls"][a["url"]]["quirks"])]
    assert all(5 <= len(a["body_paragraphs"]) <= 15 for a in generated)
    specials = {a["special"] for a in arts}
    assert {"legacy", "broken-charset", "malformed", "redirect", "feed-only", "sitemap-only"} <= (
        specials
    )


def test_html_is_gzipped_only_when_the_client_asks(site):
    path = path_of(article(site.manifest(), "")["url"])
    status, hdrs, body = raw_get(site, path, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and hdrs["content-encoding"] == "gzip"
    assert hdrs["vary"] == "Accept-Encoding"
    assert int(hdrs["content-length"]) == len(body)
    assert gzip.decompress(body) == site.expected_body(path)
    assert body == site.served_body(path, gzip=True)

    status, hdrs, body = raw_get(site, path, {"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in hdrs
    assert body == site.expected_body(path)
    assert body.startswith(b"<!DOCTYPE html>")


def test_sections_and_feeds_are_sent_chunked(site):
    for path in ("/world/", "/news/?page=2", "/feed.xml", "/atom.xml"):
        status, hdrs, raw = raw_get(site, path, {"Accept-Encoding": "gzip"})
        assert status == 200
        assert hdrs["transfer-encoding"] == "chunked" and "content-length" not in hdrs
        entity, chunks = dechunk(raw)
        assert chunks >= 2, f"{path} should span several chunks"
        assert entity == site.served_body(path, gzip=True)
        assert gzip.decompress(entity) == site.expected_body(path)
    # HTTP/1.0 has no chunked coding: the same page comes with a Content-Length.
    status, hdrs, body = raw_get(site, "/world/", version="1.0")
    assert "transfer-encoding" not in hdrs and int(hdrs["content-length"]) == len(body)
    assert body == site.expected_body("/world/")


def test_every_200_carries_validators_and_revalidation_gets_304(site):
    for path in ("/world/", "/robots.txt", "/sitemap.xml", "/tag/china/"):
        for enc in ("gzip", "identity"):
            status, hdrs, _ = raw_get(site, path, {"Accept-Encoding": enc})
            assert status == 200 and hdrs["etag"] and hdrs["last-modified"]
            status, again, body = raw_get(site, path, {"If-None-Match": hdrs["etag"]})
            assert (status, body) == (304, b"")
            assert again["etag"].removeprefix("W/") == hdrs["etag"].removeprefix("W/")
            status, _, body = raw_get(site, path, {"If-Modified-Since": hdrs["last-modified"]})
            assert (status, body) == (304, b"")
    status, _, body = raw_get(site, "/world/", {"If-None-Match": '"stale"'})
    assert status == 200 and body


def test_one_keep_alive_connection_serves_mixed_responses(site):
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        seen = []
        for path in ("/world/", "/robots.txt", "/no/such/page", "/feed.xml", "/about/"):
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            body = resp.read()
            seen.append((resp.status, resp.getheader("Content-Encoding"), resp.chunked))
            if resp.status == 200 and resp.getheader("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            assert body == site.expected_body(path)
        assert seen == [
            (200, "gzip", True),
            (200, None, False),
            (404, None, False),
            (200, "gzip", True),
            (200, "gzip", False),
        ]
    finally:
        conn.close()


def test_renamed_story_answers_301_from_its_section_link(site):
    m = site.manifest()
    (old, new), = m["redirects"].items()  # fmt: skip
    assert path_of(old).encode() in site.expected_body("/world/")
    status, hdrs, _ = raw_get(site, path_of(old))
    assert status == 301 and hdrs["location"] == new
    assert m["urls"][new]["kind"] == "article"


def test_removed_story_is_a_404_linked_from_a_section(site):
    m = site.manifest()
    linked = [u for u in m["not_found"] if "removed" in m["urls"][u].get("note", "")]
    assert len(linked) == 1
    assert path_of(linked[0]).encode() in site.expected_body("/business/")
    status, hdrs, body = raw_get(site, path_of(linked[0]))
    assert status == 404 and b"Page not found" in body and "etag" not in hdrs


def test_robots_keeps_crawlers_out_of_a_linked_private_page(site):
    m = site.manifest()
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(site.expected_body("/robots.txt").decode().splitlines())
    private = next(u for u in m["disallowed"] if u.endswith("-leaked/"))
    assert not rp.can_fetch("newsarchive", private)
    assert all(rp.can_fetch("newsarchive", a["url"]) for a in m["articles"])
    assert rp.site_maps() == [site.url("/sitemap.xml")]
    assert path_of(private).encode() in site.expected_body("/world/")
    # It looks like an article, so only robots.txt keeps an obedient crawler away.
    assert any(re.match(p, private) for p in m["article_patterns"])


def test_sitemaps_parse_and_news_sitemap_carries_publication_data(site):
    m = site.manifest()
    index = ET.fromstring(site.expected_body("/sitemap.xml"))
    children = [e.text for e in index.findall("sm:sitemap/sm:loc", NS)]
    assert children == [site.url("/sitemap-articles.xml"), site.url("/news-sitemap.xml")]

    urlset = ET.fromstring(site.expected_body("/sitemap-articles.xml"))
    listed = {e.text for e in urlset.findall("sm:url/sm:loc", NS)}
    in_sitemap = {a["url"] for a in m["articles"] if "sitemap" in a["reachable_from"]}
    assert listed == in_sitemap

    news = ET.fromstring(site.expected_body("/news-sitemap.xml"))
    entries = news.findall("sm:url", NS)
    assert len(entries) >= 5
    by_url = {a["url"]: a for a in m["articles"]}
    for url in entries:
        loc = url.find("sm:loc", NS).text
        assert url.find("news:news/news:publication/news:name", NS).text == "The Harbour Courier"
        assert url.find("news:news/news:title", NS).text == by_url[loc]["title"]
        date = url.find("news:news/news:publication_date", NS).text
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", date)
    assert article(m, "sitemap-only")["url"] in {u.find("sm:loc", NS).text for u in entries}


def test_feeds_parse_and_list_recent_articles(site):
    m = site.manifest()
    rss = ET.fromstring(site.expected_body("/feed.xml"))
    rss_links = [i.findtext("link") for i in rss.findall("channel/item")]
    atom = ET.fromstring(site.expected_body("/atom.xml"))
    atom_links = [e.find("atom:link", NS).get("href") for e in atom.findall("atom:entry", NS)]
    assert rss_links == atom_links and len(rss_links) >= 15
    in_feeds = [a["url"] for a in m["articles"] if "rss" in a["reachable_from"]]
    assert sorted(rss_links) == sorted(in_feeds)
    assert article(m, "feed-only")["url"] in rss_links
    assert article(m, "sitemap-only")["url"] not in rss_links


def test_feed_and_sitemap_only_articles_are_linked_from_no_page(site):
    m = site.manifest()
    html_pages = [
        u for u, e in m["urls"].items() if e["status"] == 200 and "html" in e["content_type"]
    ]
    for special in ("feed-only", "sitemap-only"):
        url = article(m, special)["url"]
        linking = [u for u in html_pages if u != url and path_of(url).encode() in expected_body(u)]
        assert linking == []


def test_manifest_matches_what_the_server_sends(site):
    m = site.manifest()
    for url, entry in m["urls"].items():
        status, hdrs, body = raw_get(site, path_of(url))
        assert status == entry["status"], url
        if status != 200:
            continue
        if hdrs.get("transfer-encoding") == "chunked":
            body, _ = dechunk(body)
        assert body == expected_body(url), url  # the module function, from the URL alone
        assert hdrs["etag"] and hdrs["last-modified"], url
        assert hdrs["content-type"] == entry["content_type"]
        if entry["kind"] == "article":
            text = body.decode(entry["encoding"])
            assert html.escape(entry["title"]) in text, url
            for para in entry["body_paragraphs"]:
                assert html.escape(para) in text, (url, para[:40])


def test_article_patterns_separate_articles_from_every_other_page(site):
    m = site.manifest()
    patterns = [re.compile(p) for p in m["article_patterns"]]
    for url, entry in m["urls"].items():
        matches = any(p.match(url) for p in patterns)
        if entry["kind"] in ("article", "redirect"):
            assert matches, url
        elif entry["kind"] in ("home", "section", "tag", "feed", "sitemap", "robots", "page"):
            assert not matches, url


def test_charset_quirks_are_served_as_documented(site):
    m = site.manifest()
    broken = article(m, "broken-charset")
    _, hdrs, body = raw_get(site, path_of(broken["url"]))
    assert hdrs["content-type"] == "text/html; charset=utf-8"
    assert b'<meta charset="utf-8">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert broken["body_paragraphs"][0] in body.decode("cp1252")

    legacy = article(m, "legacy")
    _, hdrs, body = raw_get(site, path_of(legacy["url"]), {"Accept-Encoding": "gzip"})
    assert hdrs["content-type"] == "text/html" and "content-encoding" not in hdrs
    assert b'<meta charset="windows-1252">' in body
    text = body.decode("cp1252")
    assert "São Brás" in text and "“" in text
    assert "São Brás".encode() not in body  # not UTF-8 bytes

    malformed = article(m, "malformed")
    bad = site.expected_body(path_of(malformed["url"])).decode()
    first = html.escape(malformed["body_paragraphs"][0])
    assert f"<p>{first}\n" in bad and f"{first}</p>" not in bad  # unclosed paragraphs
    assert "</div></div>\n  <figure" in bad and "</html>" not in bad


def test_layout_b_is_the_fixture_layout_with_its_own_sidebar_per_page(site):
    fixture = next(s for s in load_stories() if s.fixture)
    page = fixture_html().decode()
    sidebar = []
    for cls in ("related", "rank", "recommend"):
        block = re.search(rf'<div class="{cls}">.*?</ul></div>', page, re.DOTALL).group(0)
        links = re.findall(r'<a href="([^"]+)">(.*?)</a>', block)
        sidebar.append([(h, t.replace("&#x27;", "'")) for h, t in links])
    assert farm_article(fixture, sidebar, 6547) == page

    m = site.manifest()
    siblings = [a for a in m["articles"] if a["template"] == "B"]
    assert len(siblings) >= 6
    chrome, sidebars = set(), []
    for a in siblings:
        page = site.expected_body(a["url"]).decode()
        chrome.add(page[page.index("<body>") : page.index('<div class="left">')])
        sidebars.append(set(re.findall(r'<li><a href="/[a-z]+/\d+\.html">(.*?)</a>', page)))
    assert len(chrome) == 1  # one template
    for x, y in itertools.combinations(sidebars, 2):
        assert x != y  # different sidebar headlines on every page


def test_distinct_stories_share_no_long_passages():
    stories = load_stories(edition=2)

    def shingles(paragraphs):
        words = re.findall(r"\w+", " ".join(paragraphs).lower())
        return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}

    sets = [shingles(s.paragraphs) for s in stories]
    worst = max(len(a & b) / len(a | b) for a, b in itertools.combinations(sets, 2))
    print(f"max pairwise 5-shingle Jaccard: {worst:.3f}")
    assert worst < 0.3


def test_edition_2_adds_stories_and_leaves_every_article_unchanged():
    one, two = build_site(edition=1), build_site(edition=2)
    new = set(two.resources) - set(one.resources)
    new_articles = [p for p in new if two.resources[p].kind == "article"]
    assert len(new_articles) == 3
    for path, res in one.resources.items():
        if res.body != two.resources[path].body:
            assert res.kind in ("home", "section", "tag", "feed", "sitemap"), path
        if res.kind in ("article", "redirect", "private", "asset", "robots"):
            assert res.body == two.resources[path].body, path
    feed2 = two.resources["/feed.xml"].body
    for path in new_articles:
        assert path.encode() in feed2
        section = "/" + path.split("/")[1] + "/"
        assert path.encode() in two.resources[section].body


def test_switching_edition_in_place_answers_304_for_unchanged_pages(site):
    article_path = path_of(site.manifest()["articles"][0]["url"])
    _, a_hdrs, _ = raw_get(site, article_path)
    _, s_hdrs, _ = raw_get(site, "/world/")
    site.set_edition(2)
    try:
        assert len(site.manifest()["articles"]) == len(demo_manifest(edition=1)["articles"]) + 3
        status, _, _ = raw_get(site, article_path, {"If-None-Match": a_hdrs["etag"]})
        assert status == 304
        status, _, _ = raw_get(site, "/world/", {"If-Modified-Since": s_hdrs["last-modified"]})
        assert status == 200
    finally:
        site.set_edition(1)


def test_request_log_records_what_was_fetched(site):
    site.clear_requests()
    raw_get(site, "/tech/", {"Accept-Encoding": "gzip", "User-Agent": "probe/1"})
    (rec,) = site.requests
    assert rec["target"] == "/tech/" and rec["status"] == 200
    assert rec["content_encoding"] == "gzip" and rec["chunked"] and rec["user_agent"] == "probe/1"


def test_module_functions_agree_with_a_running_site(site):
    url = site.url("/world/")
    assert expected_body(url) == site.expected_body("/world/")
    assert served_body(url, gzip=True) == site.served_body("/world/", gzip=True)
    assert demo_manifest(site.base_url)["urls"].keys() == site.manifest()["urls"].keys()


def test_cli_serves_until_sigterm_and_exits_zero(tmp_path):
    pid_file = tmp_path / "demo.pid"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo_site", "--port", "0", "--pid-file", str(pid_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r"demo site: (http://127\.0\.0\.1:(\d+)/)\n", line)
        assert match, line
        assert int(pid_file.read_text()) == proc.pid
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(2)), timeout=10)
        conn.request("GET", "/robots.txt")
        assert b"Disallow: /private/" in conn.getresponse().read()
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not pid_file.exists()
        assert proc.stdout.read() == "" and proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
