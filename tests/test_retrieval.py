"""Getting things back (issue 11): the index of captures and articles, and one record read back.

- A demo crawl into S3 (real SeaweedFS): ``get --body`` gives back every article page exactly as the
  demo server sends it, ``--article`` the exported article, each from one ranged read of the bucket.
- A local site crawled twice, one story changed in between and the others not (their second
  captures are revisits): ``get --at`` picks the capture on each side of the change, a revisit gives
  back the page it refers to, and ``versions`` shows exactly the changed paragraph.
- ``reindex`` from the archive alone, into an empty SQLite index and into PostgreSQL, answers every
  query as the index the crawl filled does.
- Bad input: one line, the right exit status.
"""

from __future__ import annotations

import gzip
import io
import json
import urllib.request
import uuid
from argparse import Namespace

import pytest

from tests.helpers import crawl_gazette_twice, read_jsonl_gz, run_cli, write_demo_site_file
from tests.local_site import LocalSite, Page

# -- the demo crawl into S3 -----------------------------------------------------------------------


def test_s3_archive_gives_back_each_article_page_as_the_site_sent_it(s3_env, demo_site, tmp_path):
    from crawler.archive.stores import open_store
    from crawler.retrieve import get_command

    bucket = s3_env.create_bucket(f"get-{uuid.uuid4().hex[:12]}")
    archive = f"s3://{bucket}/news"
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    crawl = run_cli("crawl", "demo", "--archive", archive, cwd=tmp_path)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "pending upload  none" in crawl.stdout

    client = s3_env.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    exported = []
    for key in keys:
        if key.startswith("news/articles/"):
            blob = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            exported += [json.loads(line) for line in gzip.decompress(blob).splitlines()]
    assert len(exported) >= 25

    # Every article, through the command's own code on the real bucket (a spool that is empty,
    # so each record comes from a ranged GET); a few of them through the CLI as a user runs it.
    settings = {"STATE_DIR": str(tmp_path / ".newsarchive"), "ARCHIVE_INDEX_URL": None}
    store = open_store(archive, spool_dir=tmp_path / "empty-spool")
    for article in exported:
        url = article["final_url"]
        sent = urllib.request.urlopen(url, timeout=10).read()
        out = io.BytesIO()
        assert get_command(_get_args(url, "body"), settings, store, out) == 0
        assert out.getvalue() == sent, url
        out = io.BytesIO()
        assert get_command(_get_args(article["url"], "article"), settings, store, out) == 0
        assert json.loads(out.getvalue()) == article
    assert not (tmp_path / "empty-spool").exists() or not any((tmp_path / "empty-spool").iterdir())

    for article in exported[:3]:
        url = article["final_url"]
        # bytes to a file: a page may be in any charset (the demo has windows-1252 ones)
        saved = tmp_path / "body.html"
        body = run_cli("get", url, "--body", "--archive", archive, "-o", str(saved), cwd=tmp_path)
        assert body.returncode == 0, body.stderr
        sent = urllib.request.urlopen(url, timeout=10).read()
        assert saved.read_bytes() == sent
        got = run_cli("get", url, "--article", "--archive", archive, cwd=tmp_path)
        assert json.loads(got.stdout) == article
        headers = run_cli("get", url, "--headers", "--archive", archive, cwd=tmp_path)
        assert headers.stdout.startswith("HTTP/1.1 200")


def _get_args(url: str, part: str, at: str | None = None) -> Namespace:
    return Namespace(url=url, part=part, at=at)


# -- a local site crawled twice, one story changed between the crawls ------------------------------

CHANGED = "/news/2026/12/01/harbour-dredging-vote.html"
UNCHANGED = "/news/2026/12/01/ferry-timetable-cut.html"
OLD_PARAGRAPH = (
    "The council voted by nine to four to dredge the outer channel before the winter storms, "
    "at a cost the harbour master put at two million."
)
NEW_PARAGRAPH = (
    "Correction: the council voted by eight to five to dredge the outer channel before the "
    "winter storms, at a cost the harbour master put at two and a half million."
)


_WHO = ("The harbour board", "A group of fishermen", "The town council", "Local traders", "Pilots")
_DID = ("argued over", "voted against", "asked for a study of", "raised money for", "objected to")
_WHAT = ("dredging the channel", "a new quay", "the ferry timetable", "mooring fees", "a sea wall")
_WHEN = ("before the storms", "after a long winter", "at a tense meeting", "late on Tuesday", "in spring")  # fmt: skip


def _sentence(n: int, k: int) -> str:
    """Story ``n``'s ``k``-th sentence, unlike any other story's (no paragraph looks like template)."""
    i = n * 7 + k * 3
    return (
        f"{_WHO[i % 5]} {_DID[(i // 5) % 5]} {_WHAT[(i // 25) % 5]} {_WHEN[(n + k) % 5]}, "
        f"and story {n} says so in paragraph {k}."
    )


def _story(title: str, n: int, first: str, *, tags: list[str], lang: str = "en") -> str:
    sentences = [" ".join(_sentence(n, k * 3 + j) for j in range(3)) for k in range(5)]
    paragraphs = "".join(f"<p>{s}</p>\n" for s in [first, *sentences])
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": f"2026-12-0{n}T09:00:00+00:00",
        "author": {"@type": "Person", "name": "Ann Lee"},
        "keywords": ", ".join(tags),
        "inLanguage": lang,
    }
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
        f'<nav><a href="/">Home</a></nav><article><h1>{title}</h1>\n{paragraphs}</article>'
        "<footer>The Ellery Gazette</footer></body></html>"
    )


def _site_pages(changed_first: str) -> dict[str, Page]:
    stories = {
        CHANGED: _story("Council votes to dredge the channel", 1, changed_first, tags=["harbour"]),
        UNCHANGED: _story(
            "Ferry timetable cut for the winter",
            2,
            "The ferry company will run two crossings a day instead of four from January.",
            tags=["ferries", "harbour"],
        ),
        "/news/2026/12/03/pilots-strike.html": _story(
            "Les pilotes du port en grève",
            3,
            "Les pilotes du port ont cessé le travail mardi pour protester contre les horaires.",
            tags=["pilotes"],
            lang="fr",
        ),
    }
    home = "".join(f'<li><a href="{path}">{path}</a></li>' for path in stories)
    return {
        "/": Page(f"<html><body><h1>The Ellery Gazette</h1><ul>{home}</ul></body></html>"),
        **{path: Page(html.encode("utf-8")) for path, html in stories.items()},
    }


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    """Two crawls of a local site into a local archive (the crawl's own SQLite index), one story
    changed between them; the pages each crawl was sent, and the crawls' times."""
    work = tmp_path_factory.mktemp("recrawled")
    pages = _site_pages(OLD_PARAGRAPH)
    with LocalSite(pages) as site:

        def correct() -> None:
            site.pages[CHANGED] = _site_pages(NEW_PARAGRAPH)[CHANGED]

        between = crawl_gazette_twice(work, site.url("/"), correct)
        return {
            "work": work,
            "url": site.url,
            "old": pages[CHANGED].body,
            "new": site.pages[CHANGED].body,
            "unchanged": pages[UNCHANGED].body,
            "between": between,
        }


def _cli(recrawled, *args: str, env: dict | None = None):
    return run_cli(*args, "--archive", str(recrawled["work"] / "archive"), cwd=recrawled["work"],
                   env=env)  # fmt: skip


def test_get_at_picks_the_capture_on_each_side_of_a_change(recrawled):
    url = recrawled["url"](CHANGED)
    captures = _cli(recrawled, "captures", url, "--json")
    stamps = [json.loads(line)["timestamp"] for line in captures.stdout.splitlines()]
    assert len(stamps) == 2 and stamps[0] < recrawled["between"] < stamps[1]

    before = _cli(recrawled, "get", url, "--at", stamps[0][:12], "--body")
    after = _cli(recrawled, "get", url, "--at", stamps[1], "--body")
    newest = _cli(recrawled, "get", url)
    iso_before = _cli(recrawled, "get", url, "--body", "--at",
                      f"{stamps[0][:4]}-{stamps[0][4:6]}-{stamps[0][6:8]}T{stamps[0][8:10]}:"
                      f"{stamps[0][10:12]}:{stamps[0][12:]}Z")  # fmt: skip
    assert before.stdout.encode() == recrawled["old"]
    assert iso_before.stdout.encode() == recrawled["old"]
    assert after.stdout.encode() == recrawled["new"]
    assert newest.stdout.encode() == recrawled["new"]

    article_then = _cli(recrawled, "get", url, "--article", "--at", stamps[0])
    assert OLD_PARAGRAPH in json.loads(article_then.stdout)["body"]
    article_now = _cli(recrawled, "get", url, "--article")
    assert NEW_PARAGRAPH in json.loads(article_now.stdout)["body"]


def test_a_revisit_gives_back_the_page_it_refers_to(recrawled):
    url = recrawled["url"](UNCHANGED)
    captures = _cli(recrawled, "captures", url, "--json")
    kinds = [json.loads(line)["record_type"] for line in captures.stdout.splitlines()]
    assert kinds == ["response", "revisit"]
    newest = _cli(recrawled, "get", url, "--body")
    assert newest.returncode == 0, newest.stderr
    assert newest.stdout.encode() == recrawled["unchanged"]
    headers = _cli(recrawled, "get", url, "--headers")
    assert headers.stdout.startswith("HTTP/1.1 200")


def test_versions_shows_exactly_the_change(recrawled):
    url = recrawled["url"](CHANGED)
    result = _cli(recrawled, "versions", url, "--json")
    assert result.returncode == 0, result.stderr
    versions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["version"] for v in versions] == [1, 2]
    changed = [
        line
        for line in versions[1]["diff"].splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [f"-{OLD_PARAGRAPH}", f"+{NEW_PARAGRAPH}"]
    text = _cli(recrawled, "versions", url)
    assert f"-{OLD_PARAGRAPH}" in text.stdout and f"+{NEW_PARAGRAPH}" in text.stdout
    # the unchanged story has one version, seen twice
    same = _cli(recrawled, "versions", recrawled["url"](UNCHANGED), "--json")
    assert [len(json.loads(line)["captures"]) for line in same.stdout.splitlines()] == [2]


# -- reindex -------------------------------------------------------------------------------------


def _queries(recrawled) -> list[list[str]]:
    url = recrawled["url"]
    return [
        ["captures", url("/"), "--match", "host", "--json"],
        ["captures", url("/news/"), "--match", "prefix", "--from", recrawled["between"]],
        ["articles", "--json"],
        ["articles", "--tag", "harbour", "--since", "2026-12-02", "--lang", "en"],
        ["articles", "--site", "gazette", "--until", "20261201"],
        ["versions", url(CHANGED)],
        ["get", url(UNCHANGED), "--at", recrawled["between"][:8], "--body"],
        ["get", url(CHANGED), "--article", "--at", recrawled["between"]],
    ]


def test_reindex_answers_as_the_live_index_does(recrawled, postgres_url, tmp_path):
    queries = _queries(recrawled)
    exported = _cli(recrawled, "articles", "--json").stdout.splitlines()
    story_id = next(
        a["story_id"] for a in map(json.loads, exported) if a["url"] == recrawled["url"](CHANGED)
    )
    queries.append(["story", story_id])
    live = [_cli(recrawled, *q) for q in queries]
    assert all(r.returncode == 0 for r in live), [r.stderr for r in live]
    assert all(r.stdout for r in live)
    assert len(live[-1].stdout.splitlines()) == 2  # the story: the changed page, both captures
    search = ["articles", "--q", "dredge channel", "--json"]
    live_search = _cli(recrawled, *search)
    assert [json.loads(line)["url"] for line in live_search.stdout.splitlines()] == [
        recrawled["url"](CHANGED)
    ] * 2

    for index_url in (f"sqlite:///{tmp_path / 'rebuilt.sqlite'}", postgres_url):
        env = {"ARCHIVE_INDEX_URL": index_url}
        if index_url == postgres_url:
            empty = _cli(recrawled, "get", recrawled["url"](CHANGED), env=env)
            assert empty.returncode == 1 and "is empty: run newsarchive reindex" in empty.stderr
        rebuilt = _cli(recrawled, "reindex", env=env)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "indexed 2 WARC file(s)" in rebuilt.stdout
        again = [_cli(recrawled, *q, env=env) for q in queries]
        for query, before, after in zip(queries, live, again, strict=True):
            assert after.stdout == before.stdout, (index_url, query)
        # bm25 and ts_rank may order equal matches differently; the matches are the same
        found = _cli(recrawled, *search, env=env)
        assert sorted(found.stdout.splitlines()) == sorted(live_search.stdout.splitlines())
        if index_url != postgres_url:  # a second reindex adds nothing
            twice = _cli(recrawled, "reindex", env=env)
            assert twice.stdout.split("now holds")[1] == rebuilt.stdout.split("now holds")[1]


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "status", "line"),
    [
        (["get", "http://127.0.0.1:9/never/"], 1, "no capture of http://127.0.0.1:9/never/"),
        (["captures", "http://127.0.0.1:9/never/"], 1, "no capture of http://127.0.0.1:9/never/"),
        (["get", "{url}", "--at", "2026-13-01"], 2, "--at '2026-13-01': not a time"),
        (["get", "{url}", "--at", "202613"], 2, "--at '202613': not a valid date or time"),
        (["captures", "{url}", "--from", "yesterday"], 2, "--from 'yesterday': not a time"),
        (["articles", "--since", "1st of May"], 2, "--since '1st of May': not a time"),
        (["get", "not-a-url"], 2, "'not-a-url': not a URL"),
        (["versions", "http://127.0.0.1:9/never/"], 1, "no article of http://127.0.0.1:9/never/"),
        (["story", "no-such-story"], 1, "no article of story no-such-story"),
        (["get", "{url}", "-s", "ARCHIVE_INDEX_URL=mysql://db/x"], 2, "ARCHIVE_INDEX_URL=mysql://db/x: expected postgresql://"),
        (["get", "{url}", "-s", "ARCHIVE_INDEX_URL=postgresql://u:secret@127.0.0.1:1/x"], 2, "cannot use PostgreSQL"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(recrawled, args, status, line):
    args = [a.replace("{url}", recrawled["url"](CHANGED)) for a in args]
    result = _cli(recrawled, *args)
    assert result.returncode == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and line in lines[0], result.stderr
    assert "secret" not in result.stderr
    assert not result.stdout


def test_get_output_file_holds_the_body(recrawled, tmp_path):
    out = tmp_path / "page.html"
    result = _cli(recrawled, "get", recrawled["url"](CHANGED), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == recrawled["new"]
    assert not list(tmp_path.glob("*.part"))


def test_the_crawl_fills_the_index_as_it_writes(recrawled):
    exported = []
    for path in sorted((recrawled["work"] / "archive").glob("articles/*/*.jsonl.gz")):
        exported += read_jsonl_gz(path)
    listed = _cli(recrawled, "articles", "--json")
    assert sorted(json.dumps(a, sort_keys=True) for a in exported) == sorted(
        json.dumps(json.loads(line), sort_keys=True) for line in listed.stdout.splitlines()
    )
    assert (recrawled["work"] / "archive" / "index.sqlite").is_file()
