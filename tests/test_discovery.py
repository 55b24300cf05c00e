"""Discovery without article patterns: where a crawl finds articles, and how a page says it is one."""

from __future__ import annotations

import random

import pytest
from lxml import html

from crawler.demo_site import DemoSite
from crawler.discovery import (
    NEXT_TEXT,
    UrlShapes,
    feed_links,
    is_next_page,
    page_number,
    robots_sitemaps,
    url_shape,
)
from pipelines.pagekind import page_kind
from tests.helpers import read_jsonl_gz, run_cli
from tests.local_site import LocalSite, Page

_WHO = (
    "The harbour board",
    "A group of fishermen",
    "The town council",
    "Local traders",
    "Engineers",
)
_DID = ("argued over", "voted against", "asked for a study of", "raised money for", "objected to")
_WHAT = (
    "dredging the channel",
    "a new quay",
    "the ferry timetable",
    "higher mooring fees",
    "a sea wall",
)
_WHEN = (
    "before the storms",
    "after a long winter",
    "at a tense meeting",
    "late on Tuesday",
    "in spring",
)


def _sentence(n: int, k: int) -> str:
    """One of 625 sentences: story ``n``'s ``k``-th, different from every other story's."""
    i = n * 7 + k * 3
    return (
        f"{_WHO[i % 5]} {_DID[(i // 5) % 5]} {_WHAT[(i // 25) % 5]} {_WHEN[(n + k) % 5]}, "
        f"and story {n} says so in paragraph {k}."
    )


def _story(title: str, n: int, *, extra: str = "", dated: bool = True) -> str:
    byline = f"<p>By Ann Lee, Staff Writer<br>Tuesday, April {n}, 2019</p>" if dated else ""
    paragraphs = "".join(
        "<p>" + " ".join(_sentence(n, k * 3 + j) for j in range(3)) + "</p>" for k in range(5)
    )
    return (
        f"<html><head><title>{title}</title>{extra}</head><body>"
        '<div class="menu"><a href="/">Home</a> <a href="/news/">News</a></div>'
        f'<div class="story"><h1>{title}</h1>{byline}{paragraphs}</div></body></html>'
    )


def _listing(links: list[str], *, extra: str = "", next_link: str = "") -> str:
    items = "".join(f'<li><a href="{u}">A headline about the harbour {u}</a></li>' for u in links)
    more = f'<a href="{next_link}">Next</a>' if next_link else ""
    return f"<html><head>{extra}</head><body><ul>{items}</ul>{more}</body></html>"


pytestmark = pytest.mark.fast


# --- units -----------------------------------------------------------------------------------------
def test_robots_sitemap_lines_are_read_whatever_their_case_and_place():
    robots = b"User-agent: *\nDisallow: /private/\nSITEMAP: /news.xml\nsitemap:https://h/s.xml\n"
    assert robots_sitemaps(robots, "https://h/robots.txt") == [
        "https://h/news.xml",
        "https://h/s.xml",
    ]


def test_announced_feeds_are_found():
    root = html.fromstring(
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        '<link rel="alternate" hreflang="de" href="/de/"><link rel="stylesheet" href="/a.css">'
        "</head><body></body></html>"
    )
    assert feed_links(root, "http://h/news/") == ["http://h/rss.xml"]


@pytest.mark.parametrize(
    ("current", "candidate"),
    [
        ("http://h/news/", "http://h/news/page/2/"),
        ("http://h/news/page/2/", "http://h/news/page/3/"),
        ("http://h/news/", "http://h/news/list_2.html"),
        ("http://h/biz/index.htm", "http://h/biz/index_2.htm"),
        ("http://h/news/", "http://h/news/?page=2"),
        ("http://h/news/?page=2", "http://h/news/?page=3"),
    ],
)
def test_common_pagination_forms_are_next_pages(current, candidate):
    assert is_next_page(current, candidate)


@pytest.mark.parametrize(
    ("current", "candidate"),
    [
        ("http://h/", "http://h/tag/x/page/2/"),  # another listing
        ("http://h/news/", "http://h/news/page/3/"),  # not the next one
        ("http://h/news/", "http://other/news/page/2/"),
    ],
)
def test_other_listings_are_not_next_pages(current, candidate):
    assert not is_next_page(current, candidate)


@pytest.mark.parametrize(
    "text", ["Next", "next »", "Older posts", "Suivant", "Weiter", "Siguiente", "»"]
)
def test_next_links_in_the_usual_languages(text):
    assert NEXT_TEXT.match(text)


def test_page_numbers():
    assert page_number("http://h/news/page/4/") == 4
    assert page_number("http://h/biz/index_3.htm") == 3
    assert page_number("http://h/news/?page=7") == 7
    assert page_number("http://h/news/") is None


def test_url_shapes_generalize_over_sections_ids_and_slugs():
    assert url_shape("http://h/business/2019/0402_3.htm") == url_shape(
        "http://h/sport/2020/1231_12.htm"
    )
    assert url_shape("http://h/news/20240305/123.html") == url_shape(
        "http://h/tech/20231111/98765.html"
    )
    assert url_shape("http://h/a/2025/04/16/harbour-strike/") == url_shape(
        "http://h/b/2024/01/02/x-y-z/"
    )
    assert url_shape("http://h/tag/strikes/") != url_shape("http://h/news/strikes/")


def test_learned_shapes_need_agreeing_evidence():
    shapes = UrlShapes(min_evidence=3)
    for n, tag in enumerate(("harbour", "quay", "storms")):
        shapes.confirm(f"http://h/news/2024030{n}/1{n}.html", article=True)
        shapes.confirm(f"http://h/tag/{tag}/", article=False)
    assert shapes.kind("http://h/sport/20250101/77.html") == "article"
    assert shapes.kind("http://h/tag/other/") == "list"
    assert shapes.kind("http://h/about.html") is None


def test_page_says_it_is_an_article_by_its_metadata_or_its_text():
    assert page_kind(html.fromstring(_story("Quay plan", 2))).is_article
    declared = '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'
    short = "<html><head>" + declared + "</head><body><p>Two lines only.</p></body></html>"
    assert page_kind(html.fromstring(short)).is_article
    listing = _listing([f"/news/2019/0402_{n}.htm" for n in range(20)])
    assert not page_kind(html.fromstring(listing)).is_article
    undated_short = "<html><body><p>" + " ".join(["word"] * 80) + "</p></body></html>"
    assert not page_kind(html.fromstring(undated_short)).is_article


# --- crawls ----------------------------------------------------------------------------------------
def _crawl(site: LocalSite, tmp_path, start: str = "/") -> set[str]:
    result = run_cli("crawl", site.url(start), "--archive", str(tmp_path / "archive"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    return {
        a["final_url"].removeprefix(site.base_url)
        for p in (tmp_path / "archive").glob("articles/*/*.jsonl.gz")
        for a in read_jsonl_gz(p)
    }


@pytest.mark.e2e
def test_articles_named_only_by_the_sitemap_in_robots_txt_are_found(tmp_path):
    stories = [f"/news/2024030{n}/{100 + n}.html" for n in range(1, 7)]
    sitemap = "".join(f"<url><loc>{{base}}{u}</loc></url>" for u in stories)
    pages: dict[str, str | Page] = {u: _story(f"Story {u}", n) for n, u in enumerate(stories, 1)}
    pages["/"] = _listing(stories[:2])  # the home page links only two of them
    with LocalSite(pages) as site:
        site.pages["/robots.txt"] = Page(
            f"Sitemap: {site.base_url}/maps/all.xml\n", content_type="text/plain"
        )
        site.pages["/maps/all.xml"] = Page(
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + sitemap.replace("{base}", site.base_url)
            + "</urlset>",
            content_type="application/xml",
        )
        found = _crawl(site, tmp_path)
    assert found == set(stories)


@pytest.mark.e2e
def test_announced_feed_and_paginated_sections_are_followed_and_lists_are_not_exported(tmp_path):
    stories = [f"/biz/2019/04{n:02d}_1.htm" for n in range(1, 10)]
    feed_only = "/biz/2019/0420_9.htm"
    rss = "".join(f"<item><link>{{base}}{u}</link><title>T</title></item>" for u in [feed_only])
    feed_link = '<link rel="alternate" type="application/rss+xml" href="/feeds/biz.rss">'
    pages: dict[str, str | Page] = {u: _story(f"Story {u}", n) for n, u in enumerate(stories, 1)}
    pages[feed_only] = _story("From the feed only", 20)
    pages["/"] = _listing(["/biz/index.htm"], extra=feed_link)
    pages["/biz/index.htm"] = _listing(stories[:3], next_link="index_2.htm")
    pages["/biz/index_2.htm"] = _listing(stories[3:6], next_link="index_3.htm")
    pages["/biz/index_3.htm"] = _listing(stories[6:])
    for tag in ("harbour", "quay", "storms"):
        pages[f"/tag/{tag}/"] = _listing(stories)
        pages["/"] = pages["/"].replace(
            "</ul>", f'<li><a href="/tag/{tag}/">Tag {tag}</a></li></ul>'
        )
    with LocalSite(pages) as site:
        site.pages["/feeds/biz.rss"] = Page(
            "<rss><channel>" + rss.replace("{base}", site.base_url) + "</channel></rss>",
            content_type="application/rss+xml",
        )
        found = _crawl(site, tmp_path)
    assert found == {*stories, feed_only}


@pytest.mark.e2e
@pytest.mark.parametrize("template", ["courier", "legacy", "farm"])
def test_adhoc_crawl_of_a_home_page_finds_its_articles_and_no_other_page(template, tmp_path):
    """Three sites built three ways (dated slugs and JSON-LD; a 2000s table layout with nothing
    but its links; a numeric-id content farm with articles only in its sitemap and feed)."""
    with DemoSite(port=0, template=template) as site:
        truth = site.template_manifest()
        result = run_cli("crawl", truth["home"], "--archive", str(tmp_path / "a"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    exported = {
        a["final_url"]
        for p in (tmp_path / "a").glob("articles/*/*.jsonl.gz")
        for a in read_jsonl_gz(p)
    }
    articles = set(truth["articles"])
    assert len(exported & articles) >= 0.98 * len(articles), sorted(articles - exported)
    assert exported <= articles, sorted(exported - articles)


@pytest.mark.e2e
def test_legacy_pages_export_author_date_and_a_body_without_byline_date_or_utility_lines(tmp_path):
    with DemoSite(port=0, template="legacy") as site:
        truth = site.template_manifest()["articles"]
        result = run_cli(
            "crawl", site.base_url + "/", "--archive", str(tmp_path / "a"), cwd=tmp_path
        )
    assert result.returncode == 0, result.stderr[-3000:]
    articles = [a for p in (tmp_path / "a").glob("articles/*/*.jsonl.gz") for a in read_jsonl_gz(p)]
    assert len(articles) == len(truth)
    for article in articles:
        expected = truth[article["final_url"]]
        assert article["authors"] == expected["authors"], article["final_url"]
        assert article["published"] == expected["published"], article["final_url"]
        assert article["title"] == expected["title"]
        body = article["body"]
        for line in (expected["byline"], expected["date_text"], "Printer-friendly", "E-mail this"):
            assert line not in body, (article["final_url"], line)
        assert body.split("\n\n") == expected["body_paragraphs"], article["final_url"]


# --- a site built the way most blogs and small newsrooms are (WordPress) ----------------------------
_WP_AUTHORS = ("Ann Lee", "Bo Chen", "Carla Díaz")
_WP_CATEGORIES = ("harbour", "council", "weather")
_WP_TAGS = ("quay", "storms", "ferry", "budget")


_WP_WORDS = [
    "tide",
    "quay",
    "ferry",
    "storm",
    "council",
    "harbour",
    "dredge",
    "channel",
    "mooring",
    "fee",
    "budget",
    "vote",
    "trader",
    "skipper",
    "crane",
    "netting",
    "pier",
    "beacon",
    "gull",
    "shingle",
    "breakwater",
    "lighthouse",
    "slipway",
    "winch",
    "hull",
    "keel",
    "cargo",
    "ledger",
    "mayor",
    "clerk",
    "inquiry",
    "petition",
    "engineer",
    "survey",
    "concrete",
    "timber",
    "steel",
    "pump",
    "sluice",
    "lock",
    "buoy",
    "anchor",
    "rope",
    "sail",
    "mast",
    "deck",
    "cabin",
    "galley",
    "harbourmaster",
    "pilot",
    "tug",
    "barge",
    "trawler",
    "catch",
]


def _wp_paragraphs(n: int) -> list[str]:
    """Five paragraphs of post ``n``, as unlike every other post's as real stories are."""
    rng = random.Random(n)
    return [
        " ".join(rng.choice(_WP_WORDS) for _ in range(40)).capitalize() + f", post {n} says."
        for _ in range(5)
    ]


def _wp_slug(n: int) -> str:
    return f"/2019/04/{n:02d}/{_WHAT[n % 5].replace(' ', '-')}-story-{n}/"


def _wp_chrome(body: str, title: str) -> str:
    recent = "".join(
        f'<li><a href="{_wp_slug(n)}">Story {n} of the harbour</a></li>' for n in (1, 2, 3)
    )
    cats = "".join(f'<li><a href="/category/{c}/">{c.title()}</a></li>' for c in _WP_CATEGORIES)
    return (
        f"<!DOCTYPE html><html lang='en-US'><head><meta charset='UTF-8'><title>{title} &#8211; "
        "Harbour Notes</title></head><body class='home blog comments-open'>"
        "<div id='page' class='site'><header id='masthead' class='site-header'><p class='site-title'>"
        "<a href='/' rel='home'>Harbour Notes</a></p><nav class='main-navigation'><ul>"
        f"{cats}</ul></nav></header><div id='content' class='site-content content-sidebar-wrap'>"
        f"<main id='main' class='site-main'>{body}</main><aside id='secondary' class='widget-area'>"
        f"<section class='widget widget_recent_entries'><h2>Recent Posts</h2><ul>{recent}</ul>"
        f"</section><section class='widget widget_categories'><h2>Categories</h2><ul>{cats}</ul>"
        "</section></aside></div><footer class='site-footer'><p>Proudly powered by WordPress | "
        "Theme by A Theme Shop</p></footer></div></body></html>"
    )


# Jetpack's share buttons and related posts, inside the post's content
_WP_SHARING = (
    "<div class='sharedaddy sd-sharing-enabled'><h3 class='sd-title'>Share this:</h3><ul>"
    "<li><a href='?share=twitter'>Twitter</a></li><li><a href='?share=facebook'>Facebook</a></li>"
    "</ul></div><div class='sharedaddy sd-like'><h3>Like this:</h3><span>Like Loading...</span></div>"
)


def _wp_related(n: int) -> str:
    links = "".join(
        f"<div class='jp-relatedposts-post'><h4><a href='{_wp_slug(m)}'>The harbour and "
        f"{_WHAT[m % 5]}, part {m}</a></h4><p>In &quot;Harbour&quot;</p></div>"
        for m in ((n % 24) + 1, ((n + 1) % 24) + 1, ((n + 2) % 24) + 1)
    )
    return f"<div id='jp-relatedposts' class='jp-relatedposts'><h3>Related</h3>{links}</div>"


def _wp_post(n: int, by: str = " by ") -> str:
    author = _WP_AUTHORS[n % 3]
    category = _WP_CATEGORIES[n % 3]
    tags = (_WP_TAGS[n % 4], _WP_TAGS[(n + 1) % 4])
    paragraphs = "".join(f"<p>{p}</p>" for p in _wp_paragraphs(n))
    handle = author.lower().replace(" ", "-")
    return _wp_chrome(
        f"<article id='post-{n}' class='post-{n} post type-post status-publish category-{category}'>"
        "<header class='entry-header'><h1 class='entry-title'>"
        f"The harbour and {_WHAT[n % 5]}, part {n}</h1><div class='entry-meta'>"
        f"<span class='posted-on'>Posted on <a href='{_wp_slug(n)}' rel='bookmark'><time "
        f"class='entry-date published' datetime='2019-04-{n:02d}T08:30:00+02:00'>April {n}, 2019"
        "</time></a></span><span class='byline'>"
        + by
        + "<span class='author vcard'><a class='url fn n'"
        f" href='/author/{handle}/'>{author}</a></span></span></div></header>"
        f"<div class='entry-content'>{paragraphs}{_WP_SHARING}{_wp_related(n)}</div>"
        "<footer class='entry-footer'>"
        f"<span class='cat-links'>Posted in <a href='/category/{category}/' rel='category tag'>"
        f"{category.title()}</a></span><span class='tags-links'>Tagged "
        + ", ".join(f"<a href='/tag/{t}/' rel='tag'>{t}</a>" for t in tags)
        + "</span></footer></article><div id='comments' class='comments-area'><h2 class="
        "'comments-title'>One thought on this story</h2><ol class='comment-list'><li class="
        "'comment'><article class='comment-body'><footer class='comment-meta'><div class="
        "'comment-author vcard'><b class='fn'>Carl Commenter</b> <span class='says'>says:</span>"
        f"</div></footer><div class='comment-content'><p>Thanks for story {n}, I was at the "
        "meeting and it went just like that.</p></div><a rel='nofollow' class='comment-reply-link' "
        f"href='{_wp_slug(n)}?replytocom={n}#respond'>Reply</a></article></li></ol><div id='respond' "
        "class='comment-respond'><form class='comment-form'><p class='comment-form-author'>"
        "<label>Name *</label><input name='author'></p></form></div></div>",
        f"The harbour and {_WHAT[n % 5]}, part {n}",
    )


def _wp_list(posts: list[int], title: str, older: str = "") -> str:
    items = "".join(
        f"<article class='post-{n} post type-post'><header class='entry-header'><h2 "
        f"class='entry-title'><a href='{_wp_slug(n)}' rel='bookmark'>The harbour and "
        f"{_WHAT[n % 5]}, part {n}</a></h2></header><div class='entry-summary'><p>"
        f"{_wp_paragraphs(n)[0][:80]} [&hellip;]</p></div></article>"
        for n in posts
    )
    nav = f"<nav class='navigation posts-navigation'><a href='{older}'>Older posts</a></nav>"
    return _wp_chrome(items + (nav if older else ""), title)


@pytest.mark.e2e
@pytest.mark.parametrize("by", [" by ", " "])  # themes print "by" before the author's link, or not
def test_a_wordpress_shaped_site_gives_every_post_with_its_author_and_date_and_nothing_else(
    by, tmp_path
):
    """No JSON-LD, no Open Graph: posts at /YYYY/MM/DD/slug/, the home page and categories paged
    at /page/N/, tag and author archives, a sidebar of recent posts, a comment under every post.
    Every post is found and exported with the author its entry meta links and the date its
    <time> gives; no archive page is exported, and no comment, category or tag line is body."""
    posts = list(range(1, 25))
    pages: dict[str, str | Page] = {_wp_slug(n): _wp_post(n, by) for n in posts}
    newest = posts[::-1]
    for k in range(0, len(newest), 5):
        path = "/" if k == 0 else f"/page/{k // 5 + 1}/"
        older = f"/page/{k // 5 + 2}/" if k + 5 < len(newest) else ""
        pages[path] = _wp_list(newest[k : k + 5], "Harbour Notes", older)
    for c, category in enumerate(_WP_CATEGORIES):
        mine = [n for n in newest if n % 3 == c]
        pages[f"/category/{category}/"] = _wp_list(
            mine[:4], category, f"/category/{category}/page/2/"
        )
        pages[f"/category/{category}/page/2/"] = _wp_list(mine[4:], category)
    for a, author in enumerate(_WP_AUTHORS):
        handle = author.lower().replace(" ", "-")
        pages[f"/author/{handle}/"] = _wp_list([n for n in newest if n % 3 == a], author)
    for t, tag in enumerate(_WP_TAGS):
        pages[f"/tag/{tag}/"] = _wp_list([n for n in newest if t in (n % 4, (n + 1) % 4)], tag)
    with LocalSite(pages) as site:
        result = run_cli(
            "crawl", site.url("/"), "--archive", str(tmp_path / "archive"), cwd=tmp_path
        )
        base = site.base_url
    assert result.returncode == 0, result.stderr[-3000:]
    exported = [
        a for p in (tmp_path / "archive").glob("articles/*/*.jsonl.gz") for a in read_jsonl_gz(p)
    ]
    articles = {a["final_url"].removeprefix(base): a for a in exported if not a["duplicate_of"]}
    assert set(articles) == {_wp_slug(n) for n in posts}
    # the share buttons' links (?share=twitter) serve the post again: a copy, marked as one
    # a comment's reply link (?replytocom=N) is the same page again: not even fetched
    assert not [a["final_url"] for a in exported if "replytocom" in a["final_url"]]
    copies = [a for a in exported if a["duplicate_of"]]
    for copy in copies:
        original = copy["duplicate_of"]["url"].removeprefix(base)
        assert copy["final_url"].removeprefix(base).startswith(original + "?share="), copy
    for n in posts:
        article = articles[_wp_slug(n)]
        assert article["authors"] == [_WP_AUTHORS[n % 3]], article["final_url"]
        assert article["published"] == f"2019-04-{n:02d}T08:30:00+02:00"
        assert article["title"] == f"The harbour and {_WHAT[n % 5]}, part {n}"
        body = article["body"]
        assert body.split("\n\n") == _wp_paragraphs(n), article["final_url"]
        for chrome in (
            "Share this",
            "Like this",
            "Like Loading",
            "Related",
            'In "Harbour"',
            "Carl Commenter",
            "Thanks for story",
            "Posted in",
            "Tagged",
            "Name *",
            "Recent Posts",
            "Proudly powered",
        ):
            assert chrome not in body, (article["final_url"], chrome)


def _drupal_node(n: int) -> str:
    paragraphs = "".join(
        "<p>" + " ".join(_sentence(n, k * 3 + j) for j in range(3)) + "</p>" for k in range(4)
    )
    return (
        f"<html><head><title>Council notes {n} | Town Hall News</title></head><body>"
        "<div class='region region-header'><a href='/'>Town Hall News</a><ul class='menu'>"
        "<li><a href='/news'>News</a></li><li><a href='/taxonomy/term/5'>Council</a></li></ul>"
        f"</div><article role='article' class='node node--type-article'><h1><span>Council notes "
        f"{n}</span></h1><div class='node__meta'><span>Submitted by <span class='field--name-uid'>"
        f"Petra Novak</span> on Tue, 04/{n:02d}/2019 - 10:00</span></div><div class='field "
        f"field--name-body'>{paragraphs}</div><div class='field field--name-field-tags'><div>"
        "Tags</div><div><a href='/taxonomy/term/5'>Council</a></div></div></article>"
        "<footer class='region-footer'>Town Hall News, 1 Main Street</footer></body></html>"
    )


@pytest.mark.e2e
def test_a_drupal_shaped_site_with_numeric_nodes_and_query_pages_gives_every_node(tmp_path):
    """Articles at /node/N (no date, no words in the URL, no metadata), the news list paged with
    ?page=N, a taxonomy list: each node is found, dated and attributed from its "Submitted by A on
    date" line, which is not body; no list is exported."""
    nodes = list(range(1, 19))
    pages: dict[str, str | Page] = {f"/node/{100 + n}": _drupal_node(n) for n in nodes}

    def listing(ns: list[int], next_page: str = "") -> str:
        items = "".join(
            f"<div class='views-row'><a href='/node/{100 + n}'>Council notes {n}</a></div>"
            for n in ns
        )
        pager = f"<ul class='pager'><li><a href='{next_page}' rel='next'>next ›</a></li></ul>"
        return f"<html><body><a href='/'>Town Hall News</a>{items}{pager if next_page else ''}</body></html>"

    pages["/"] = listing(nodes[:3])
    pages["/news"] = listing(nodes[:6], "/news?page=1")
    pages["/news?page=1"] = listing(nodes[6:12], "/news?page=2")
    pages["/news?page=2"] = listing(nodes[12:])
    pages["/taxonomy/term/5"] = listing(nodes[::2])
    pages["/"] = pages["/"].replace("</body>", "<a href='/news'>News</a></body>")
    with LocalSite(pages) as site:
        result = run_cli("crawl", site.url("/"), "--archive", str(tmp_path / "a"), cwd=tmp_path)
        base = site.base_url
    assert result.returncode == 0, result.stderr[-3000:]
    articles = {
        a["final_url"].removeprefix(base): a
        for p in (tmp_path / "a").glob("articles/*/*.jsonl.gz")
        for a in read_jsonl_gz(p)
    }
    assert set(articles) == {f"/node/{100 + n}" for n in nodes}
    for n in nodes:
        article = articles[f"/node/{100 + n}"]
        assert article["authors"] == ["Petra Novak"], article["final_url"]
        assert (article["published"] or "")[:10] == f"2019-04-{n:02d}", article["final_url"]
        assert article["title"] == f"Council notes {n}"
        assert "Submitted by" not in article["body"]
        assert article["body"].startswith(_sentence(n, 0))
