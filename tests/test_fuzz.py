"""Fuzzing (hypothesis) of the three places where the crawl meets input nobody checked.

- URL canonicalization: every link a page holds goes through it (fingerprints, dedupe keys); on
  any string it returns, never raises, and a canonical URL is its own canonical form.
- The WARC writer: whatever header names, values and bodies a server sends (anything Twisted's
  HTTP parser lets through), the file is accepted by ``warcio check`` and gives back, record by
  record, the exact bytes that came.
- Article extraction: never raises on any page, and in the crawl's extraction workers never runs
  past its time limit.
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
import time
import zlib
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from warcio.checker import Checker
from warcio.statusandheaders import StatusAndHeaders

from crawler.archive.writer import RotatingWarcWriter
from crawler.urls import UrlCanonicalizer
from pipelines.extract import extract_article
from pipelines.workers import ExtractionWorkers

pytestmark = pytest.mark.fast

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=400)


@pytest.fixture(autouse=True, scope="module")
def _quiet():
    """The writer logs every file it opens and closes: hundreds of lines per test here."""
    logging.disable(logging.INFO)
    yield
    logging.disable(logging.NOTSET)


# -- URL canonicalization --------------------------------------------------------------------------

# Pieces that have broken URL code: bad and default ports, IPv6 and IDN hosts, stray '%', escapes
# of unreserved characters, tracking parameters, empty hosts, NULs, spaces, non-BMP text.
_PIECES = [
    *"aZ09-._~!$&'()*+,;=:@/?#[]% \t\n\\",
    *("%2", "%41", "%e9", "%zz", "%%", "é", "ß", "İ", "ｆ", "\u200b", "\u3000", "\x00", "😀"),
    *("utm_source", "fbclid", "xn--", "..", "www."),
]
_chunk = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_host = st.one_of(
    st.sampled_from(
        [
            "example.com", "EXAMPLE.com", "www.Ex.org:80", "127.0.0.1", "[::1]", "[fe80::1%25eth0]",
            "bücher.de", "xn--bcher-kva.de", "", "a..b", "ｅｘａｍｐｌｅ.com", "a" * 70 + ".com",
            "[bad", "host_name.com", "u:pw@h.com", "h.com:", "h.com:443", "h.com:99999", "h.com:x",
        ]
    ),
    _chunk,
)  # fmt: skip
_urls = st.one_of(
    st.builds(
        "{}{}{}{}{}".format,
        st.sampled_from(
            ["http://", "HTTPS://", "ftp://", "", "//", "http:/", "http:///", "mailto:"]
        ),
        _host,
        st.lists(_chunk, max_size=4).map(lambda parts: "/" + "/".join(parts) if parts else ""),
        st.lists(st.tuples(_chunk, _chunk).map("=".join), max_size=4).map(
            lambda pairs: "?" + "&".join(pairs) if pairs else ""
        ),
        st.one_of(st.just(""), _chunk.map("#".__add__)),
    ),
    st.builds("{}{}".format, st.sampled_from(["http://", "https://a.b/", ""]), st.text()),
)
canonical = UrlCanonicalizer()


@FUZZ
@given(_urls)
@example("http://h.com/a%2%41")  # decoding %41 made a new escape %2A: a second pass changed it
@example("http://h.com:99999/")  # w3lib raised ValueError: Port out of range
@example("http://[bad/")  # urlsplit raised ValueError: Invalid IPv6 URL
@example("http://////a")  # "http:////a", then "http://a/": another host on the second pass
@example("%41.b:1/")  # no scheme; decoded, "A.b:" became one
def test_canonical_url_never_raises_and_is_its_own_canonical_form(url):
    once = canonical(url)
    assert isinstance(once, str)
    assert canonical(once) == once


# -- the WARC writer -------------------------------------------------------------------------------

# What Twisted's HTTP client hands over: a header name is any bytes up to the first ':' (no line
# feed, not starting with blank space, which would make it a continuation line); a value is any
# bytes without a line feed, stripped. The capture decodes both as Latin-1.
_octet = st.integers(0, 255)
_name = (
    st.lists(_octet.filter(lambda o: o not in b":\n"), min_size=1, max_size=12)
    .map(bytes)
    .filter(lambda b: b[:1] not in (b" ", b"\t", b"\r"))
)
_value = st.lists(_octet.filter(lambda o: o != 0x0A), max_size=24).map(lambda o: bytes(o).strip())
_exchange = st.tuples(
    st.lists(st.tuples(_name, _value), max_size=6),
    st.binary(max_size=2500),
    st.integers(100, 599),
)


def _blocks(path: Path) -> list[bytes]:
    """The block of every response record of a WARC, read straight from its gzip members."""
    blocks, data = [], path.read_bytes()
    while data:
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        member = inflate.decompress(data) + inflate.flush()
        data = inflate.unused_data
        head, _, rest = member.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        if fields[b"WARC-Type"] == b"response":
            blocks.append(rest[: int(fields[b"Content-Length"])])
    return blocks


def _warcio_check(paths: list[Path]) -> str:
    """``warcio check``'s own code, in this process (a process per example would be seconds)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        failed = Checker(SimpleNamespace(inputs=[str(p) for p in paths], verbose=False))
        failed = failed.process_all()
    return out.getvalue() if failed else ""


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[Path]:
    """Every WARC the writer test wrote, for one run of the ``warcio check`` command at the end."""
    return []


@settings(FUZZ, max_examples=150)
@given(exchanges=st.lists(_exchange, min_size=1, max_size=4))
@example(exchanges=[([(b"X-\xe9t\xe9", b"caf\xe9")], b"<p>caf\xc3\xa9</p>", 200)])  # raised
@example(exchanges=[([(b"Content-Disposition", b"attachment; filename=\xe9.pdf")], b"", 200)])
def test_warc_holds_exactly_what_the_server_sent(exchanges, tmp_path_factory, written):
    directory = tmp_path_factory.mktemp("warc")
    closed = []
    # small files: rotation happens between the records of one example too
    writer = RotatingWarcWriter(directory, prefix="fuzz", max_size=3000, on_closed=closed.append)
    sent = []
    for headers, body, status in exchanges:
        record = writer.builder.create_warc_record(
            "http://example.com/page",
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(
                f"{status} Whatever",
                [(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers],
                protocol="HTTP/1.1",
            ),
        )
        writer.write(record)
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        sent.append(f"HTTP/1.1 {status} Whatever\r\n".encode() + head + b"\r\n" + body)
    writer.close()
    paths = [c.path for c in closed]
    written.extend(paths)

    assert _warcio_check(paths) == ""
    assert [block for path in paths for block in _blocks(path)] == sent


def test_warcio_check_command_accepts_every_fuzzed_warc(written):
    """Runs after the fuzz test above (file order): the real command on all it wrote."""
    assert len(written) >= 150
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, written)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]


# -- article extraction ----------------------------------------------------------------------------

_words = st.sampled_from(
    [
        "the", "council", "voted", "Ünïcödé", "新闻", "\x00", "&amp;", "&#0;", "&#xD800;", "<", ">",
        '"', "'", "\u202e", "\r\n", "2024-03-01", "By Jane Doe", "{", "]]>", "<!--", "-->", "<?x",
    ]
)  # fmt: skip
_tag = st.sampled_from(
    [
        "p",
        "div",
        "article",
        "main",
        "h1",
        "a",
        "script",
        "style",
        "time",
        "meta",
        "li",
        "ul",
        "table",
        "td",
        "br",
        "img",
        "noscript",
        "svg",
        "math",
        "template",
        "iframe",
        "title",
        "head",
        "body",
        "html",
        "nav",
        "header",
        "footer",
        "span",
    ]
)
_attr = st.sampled_from(
    [
        "", ' class="article-body"', ' href="/a/b"', ' property="og:type" content="article"',
        ' itemprop="articleBody"', ' datetime="2024-99-99"', ' charset="klingon"',
        ' http-equiv="content-type" content="text/html; charset=utf-16"', ' lang="zz"',
    ]
)  # fmt: skip
_jsonld = st.sampled_from(
    [
        '{"@type":"NewsArticle","headline":"H","datePublished":"2024-03-01","author":{"name":5}}',
        '{"@type":["Article",1],"author":[null,{"@id":3}]}',
        '[{"@graph":[{"@type":"NewsArticle","datePublished":"not a date"}]}]',
        '{"@type":"NewsArticle","datePublished":"99999-01-01T99:99"}',
        '{"@type":"Article","headline":{"a":1},"keywords":[1,{"x":3}],"image":{"url":[1]}}',
        "{bad json",
        "null",
    ]
)
_html = st.recursive(
    st.lists(_words, max_size=30).map(" ".join),
    lambda children: st.one_of(
        st.builds("<{0}{1}>{2}</{0}>".format, _tag, _attr, st.lists(children, max_size=4).map("".join)),
        st.builds("<{}{}>{}".format, _tag, _attr, st.lists(children, max_size=4).map("".join)),
        _jsonld.map('<script type="application/ld+json">{}</script>'.format),
    ),
    max_leaves=40,
)  # fmt: skip
_pages = st.one_of(
    _html,
    _html.map(lambda s: s.encode("utf-8", "surrogatepass")),
    _html.map(lambda s: s.encode("utf-16", "surrogatepass")),
    st.binary(max_size=3000),
)
_URL = "https://news.example/2024/03/01/council-votes.html"


@FUZZ
@given(
    _pages,
    st.sampled_from([None, "utf-8", "latin-1", "utf-16", "klingon", ""]),
    st.sampled_from([_URL, "http://x", "not a url", ""]),
)
def test_extraction_never_raises(page, declared_encoding, url):
    result = extract_article(page, url, declared_encoding=declared_encoding, timeout=5.0)
    assert isinstance(result["is_article"], bool)
    assert result["is_article"] or result["skip_reason"]


def _page(kind: str, n: int) -> bytes:
    line = "the council voted on the budget again today after a long debate"
    blocks = {
        "paragraphs": "".join(f"<p>{line} {i}</p>" for i in range(n)),
        "links": "<ul>" + "".join(f'<li><a href="/a/{i}">{line}</a></li>' for i in range(n)) + "</ul>",
        "nesting": "<div>" * n + line + "</div>" * n,
        "table": "<table>" + f"<tr>{'<td>cell text</td>' * 50}</tr>" * (n // 10) + "</table>",
    }  # fmt: skip
    return f"<!doctype html><html><head><title>T</title></head><body>{blocks[kind]}</body></html>".encode()


LIMIT = 0.5  # seconds given to the extractor (CLEAN_TIMEOUT)
SLACK = 0.5  # killing and replacing a worker that overran


@pytest.fixture(scope="module")
def extraction_workers():
    """The crawl's extraction workers (CLEAN_WORKERS), warmed up: a page's clock runs from when a
    worker has it."""
    pool = ExtractionWorkers(1)
    pool.extract("fuzz", None, timeout=30, body=_page("paragraphs", 10), url=_URL)
    yield pool
    pool.close()


@settings(FUZZ, max_examples=8, phases=[Phase.explicit, Phase.generate])  # no shrinking: seconds
@given(st.sampled_from(["paragraphs", "links", "nesting", "table"]), st.integers(100, 16000))
@example("paragraphs", 16000)
def test_extraction_keeps_to_its_time_limit(extraction_workers, kind, n):
    page = _page(kind, n)
    # A page's clock runs from when a worker has it, not while the worker that replaced the one
    # killed for the previous page is still starting.
    extraction_workers.wait_ready()
    started = time.monotonic()
    result = extraction_workers.extract("fuzz", None, timeout=LIMIT, body=page, url=_URL)
    elapsed = time.monotonic() - started
    assert elapsed <= LIMIT + SLACK, f"{kind} x{n} ({len(page)} bytes): {elapsed:.2f}s"
    assert result["is_article"] or result["skip_reason"]
