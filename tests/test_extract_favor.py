"""CLEAN_FAVOR: the main text's trade-off between precision and recall, and the fallbacks that must
never bring a page's menus into the body whatever it is set to."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from trafilatura.utils import load_html

from crawler.config import ConfigError
from crawler.demo_site.server import DemoSite
from pipelines.clean import CleanPipeline
from pipelines.extract import (
    FAVOR_MODES,
    _better_candidate,
    _core_elsewhere,
    _fallback_text,
    _with_tables,
    add_core_lines,
    baseline_text,
    drop_hidden_copies,
    extract_article,
    paragraphs_from_breaks,
    trim_to_core,
)
from pipelines.template import SiteTemplate, observation
from tests.helpers import project_settings

pytestmark = pytest.mark.fast

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://news.example.test/2024/05/06/harbour-bridge.html"
SECTIONS = (
    "World news",
    "Local politics",
    "Business and markets",
    "Science and technology",
    "Culture and arts",
    "Sport results",
    "Weather forecast",
    "Opinion columns",
    "Travel guides",
    "Health and fitness",
    "Education today",
    "Motoring reviews",
)
MENU_LINES = [
    f"{section} {view}"
    for section in SECTIONS
    for view in ("today", "this week", "archive", "in pictures")
]
FOOTER_LINES = [f"{section} desk and contacts" for section in SECTIONS]
STORY = [
    (
        "The harbour bridge reopened to traffic on Monday morning after six weeks of repairs to "
        "its deck and cables, the city's transport office said."
    ),
    (
        "Engineers replaced forty expansion joints and repainted the main span, work that had "
        "been delayed twice by storms in the spring."
    ),
    (
        "Buses return to their usual routes from Tuesday; cyclists keep the temporary lane on the "
        "east side until the end of the month."
    ),
]


def _short_story_long_menus() -> str:
    """A legacy layout: a three-paragraph story set with <br> (no <p>, no <article>, no JSON-LD)
    between a header menu and a footer that hold far more text than the story."""
    menu = "".join(f'<li><a href="/s/{n}">{line}</a></li>' for n, line in enumerate(MENU_LINES))
    footer = "".join(f'<li><a href="/a/{n}">{line}</a></li>' for n, line in enumerate(FOOTER_LINES))
    story = "<br><br>".join(STORY)
    return (
        "<html><head><title>Harbour bridge reopens after repairs</title></head><body>"
        f"<header><nav><ul>{menu}</ul></nav></header>"
        '<div id="main"><h1>Harbour bridge reopens after repairs</h1>'
        f'<div class="story">{story}</div></div>'
        f"<footer><ul>{footer}</ul></footer></body></html>"
    )


@pytest.mark.parametrize("favor", FAVOR_MODES)
def test_menus_never_enter_the_body_of_a_short_story(favor):
    result = extract_article(_short_story_long_menus(), URL, favor=favor)
    body_lines = {line.strip() for line in result["body"].splitlines()}
    assert not body_lines & {*MENU_LINES, *FOOTER_LINES}
    assert all(paragraph in result["body"] for paragraph in STORY)


@pytest.mark.parametrize(
    "page",
    [_short_story_long_menus(), (FIXTURES / "content-farm-article.html").read_bytes()],
    ids=["short-story-long-menus", "content-farm-article"],
)
def test_precision_never_returns_more_than_balanced(page):
    balanced = extract_article(page, URL, favor="balanced")["body"]
    precision = extract_article(page, URL, favor="precision")["body"]
    assert len(precision) <= len(balanced)
    assert set(precision.split("\n\n")) <= set(balanced.split("\n\n"))


def test_bad_clean_favor_is_one_config_error_naming_the_setting():
    crawler = get_crawler(settings_dict=project_settings(CLEAN_FAVOR="x"))
    with pytest.raises(ConfigError) as err:
        CleanPipeline.from_crawler(crawler)
    message = str(err.value)
    assert "CLEAN_FAVOR" in message
    assert "\n" not in message


COMMENTS = [
    f"Reader {n} says May {n + 1}, 2024 at 9:{n:02d} am: I drive over that bridge every day and "
    f"the repairs took far too long; comment number {n} on the closures and the detours."
    for n in range(40)
]


def _short_story_long_comments() -> str:
    """A blog layout: the story's paragraphs in a post body, then a comment thread (trafilatura's
    comment markup) holding many times the story's text, then the reply form."""
    story = "".join(f"<p>{paragraph}</p>" for paragraph in STORY)
    thread = "".join(
        f'<li class="comment"><div class="comment-content"><p>{line}</p></div></li>'
        for line in COMMENTS
    )
    return (
        "<html><head><title>Harbour bridge reopens after repairs</title></head><body>"
        '<div id="main"><h1>Harbour bridge reopens after repairs</h1>'
        f'<div class="entry-content">{story}</div>'
        f'<div id="comments" class="comments-area"><ol class="comment-list">{thread}</ol>'
        '<div id="respond"><p>Leave a reply. Your email address will not be published.</p>'
        "</div></div></div></body></html>"
    )


@pytest.mark.parametrize("favor", FAVOR_MODES)
def test_comment_threads_never_enter_the_body_of_a_short_story(favor):
    # The story is a small share of the page's text, which sends extraction to its fallbacks.
    result = extract_article(_short_story_long_comments(), URL, favor=favor)
    assert all(paragraph in result["body"] for paragraph in STORY)
    assert "Reader" not in result["body"]
    assert "Leave a reply" not in result["body"]


def test_one_article_element_is_not_read_as_one_run_of_text():
    # The baseline reads an <article> as a single run: headline, date and share links glued to the
    # story, which no later step can trim. It reads the paragraphs instead.
    story = "".join(f"<p>{paragraph}</p>" for paragraph in STORY)
    page = (
        "<html><body><article><div>Latest news</div><h2>Harbour bridge reopens</h2>"
        "<div>2024-05-06 09:12</div><div>Share on Facebook Share on X</div>"
        f"{story}</article></body></html>"
    )
    text = baseline_text(load_html(page))
    assert text.split("\n") == STORY


def test_a_line_the_precision_run_keeps_at_the_end_is_not_lost_by_the_recall_run():
    core = "First paragraph of the story.\n\nLast paragraph.\n\nAdditional reporting by Ann Lee."
    text = "First paragraph of the story.\n\nLast paragraph."
    assert add_core_lines(text, core).split("\n\n")[-1] == "Additional reporting by Ann Lee."
    # not when the runs share no line, nor when the recall run goes on past the shared line, nor
    # for a whole paragraph: there the two disagree on where the story ends
    assert add_core_lines("Another text.", core) == "Another text."
    assert add_core_lines(text + "\n\nMore.", core) == text + "\n\nMore."
    long_tail = (
        core + "\n\n" + "A paragraph of the story that goes on for well over eighty chars. " * 2
    )
    assert add_core_lines(text, long_tail) == text


def test_a_teaser_cut_short_after_the_story_goes_and_a_paragraph_after_it_stays():
    story = [
        f"Paragraph {n} of the story, long enough to be one and not a label or a byline."
        for n in (1, 2)
    ]
    after = "A closing paragraph the precision run left out, and it is the story's all the same."
    teaser = "The letters GTI have always promised a lively drive. At first Volkswagen was ..."
    text = "\n\n".join([*story, after, "More news", teaser])
    assert trim_to_core(text, "\n\n".join(story)).split("\n\n") == [*story, after]
    assert trim_to_core(text.replace(" ...", " […]"), "\n\n".join(story)).split("\n\n") == [
        *story,
        after,
    ]


def test_a_table_before_the_story_stays_whole_and_short_labels_around_it_go():
    # The precision run's core starts below a comparison table; its long rows and its short ones
    # ("| Retail | Basic | Best |") are one table, kept or cut together.
    story = [
        f"Paragraph {n} of the story, long enough to be one and not a label or a byline."
        for n in (1, 2)
    ]
    table = [
        "| Industry | NetSuite | HubSpot |",
        "| Retail | Basic | Best |",
        "| Hospitality | Basic | Best |",
        "| Healthcare | Best | Basic |",
    ]
    text = "\n\n".join(["Compare plans", *table, "Jump to section", *story, "Share this"])
    assert trim_to_core(text, "\n\n".join(story)).split("\n\n") == [*table, *story]
    # a table too small to be a paragraph is an edge's label like any other
    small = "\n\n".join([table[1], *story])
    assert trim_to_core(small, "\n\n".join(story)).split("\n\n") == story


def test_excerpts_cut_mid_sentence_after_the_story_go_and_standfirsts_credits_and_links_stay():
    story = [
        f"Paragraph {n} of the story, long enough to be one and not a label or a byline."
        for n in (1, 2)
    ]
    standfirst = (
        "The north keeps its warm spell while snow, rain and storms reach the centre and the south"
    )
    credit = (
        "Additional reporting by Steve Gorman; Editing by Marguerita Choy and Simon Cameron-Moore"
    )
    link = "Sign the petition: http://www.example.test/petition/online/against-the-tariff-reform"
    excerpts = [
        (
            "Navigating the disability process can be overwhelming while dealing with a condition. "
            "Our board-certified lawyers guide residents through this challengin"
        ),
        (
            "When the agency denies your claim, it can feel like a dead end. Many applicants "
            "wonder if they can sue to receive the benefits they deserve. At O'Malley Tunstall,"
        ),
    ]
    text = "\n\n".join([standfirst, *story, credit, link, *excerpts])
    kept = trim_to_core(text, "\n\n".join(story)).split("\n\n")
    assert kept == [standfirst, *story, credit, link]


def test_a_closing_credit_stays_whatever_the_template_has_learned_so_far():
    """On the demo Courier, trafilatura's recall-leaning run dropped a story's closing "Additional
    reporting by" line on two template states in three; a crawl and a re-extraction disagreed."""
    with DemoSite(port=0, template="courier") as site:
        base = site.base_url
        pages = {
            path: res.body
            for path, res in site.build.resources.items()
            if "html" in (res.content_type or "") and res.status == 200
        }
    story = next(p for p in pages if "drought-pushes" in p and p.endswith("/"))
    observations = {path: observation(body) for path, body in pages.items()}
    for seed in range(12):
        rng = random.Random(seed)
        order = list(pages)
        rng.shuffle(order)
        template = SiteTemplate("courier")
        for path in order[: rng.randint(5, len(order))]:
            template.learn(observations[path], path)
        body = extract_article(pages[story], base + story, template=template)["body"]
        assert body.endswith("Additional reporting by Oliver Strand."), (seed, body[-200:])


def test_a_hidden_markdown_copy_of_the_article_is_not_read_and_a_code_block_is():
    # Sites now add a raw Markdown copy of the article for machines in a hidden <pre>; when the
    # paragraph fallback ran, it read that copy as the article (links and all).
    page = load_html(
        "<html><body><article><p>Story.</p><pre><code>pip install x</code></pre></article>"
        "<pre hidden aria-hidden='true'># Story\n\n[link](https://x.test)</pre></body></html>"
    )
    drop_hidden_copies(page)
    assert [pre.text_content() for pre in page.iter("pre")] == ["pip install x"]


def _story_among_named_blocks() -> str:
    """A page built of blocks that all carry one layout class trafilatura reads as "hide" (so it
    discards none of its named blocks, lest it discard the story): the story, then an author
    box, a newsletter box and a related-stories box, each named by its class."""
    story = "".join(f"<p>{paragraph}</p>" for paragraph in STORY)
    block = '<div class="block-wrapper hide-bottom-border">{}</div>'
    return (
        "<html><head><title>Harbour bridge reopens after repairs</title></head><body>"
        '<div class="page"><h1>Harbour bridge reopens after repairs</h1>'
        + block.format(f'<div class="text">{story}</div>')
        + block.format(
            '<div class="about-author"><p>Jane Roe has covered the city for the Courier since '
            "2009 and writes about transport, housing and the port's long quarrel with the "
            "council.</p></div>"
        )
        + block.format(
            '<div class="newsletter-signup"><p>Get the morning briefing: the day\'s stories from '
            "the harbour and the city, in your inbox before breakfast, every weekday.</p></div>"
        )
        + block.format(
            '<div class="related-stories"><p>Ferry timetable changes for the summer season, '
            "with later sailings on Fridays and a new stop at the old customs pier.</p></div>"
        )
        + "</div></body></html>"
    )


@pytest.mark.parametrize("favor", FAVOR_MODES)
def test_blocks_named_as_author_box_newsletter_or_related_stay_out_of_the_body(favor):
    body = extract_article(_story_among_named_blocks(), URL, favor=favor)["body"]
    assert all(paragraph in body for paragraph in STORY)
    for other in ("Jane Roe has covered", "morning briefing", "Ferry timetable"):
        assert other not in body


def test_a_block_named_like_boilerplate_that_holds_the_story_stays():
    # A theme's class on the story's own wrapper ("social-commerce-post") is not a share bar.
    story = "".join(f"<p>{paragraph}</p>" for paragraph in STORY)
    page = (
        "<html><body><h1>Harbour bridge reopens after repairs</h1>"
        f'<div class="post social-feature">{story}</div></body></html>'
    )
    body = extract_article(page, URL)["body"]
    assert all(paragraph in body for paragraph in STORY)


def test_a_longer_fallback_text_that_leaves_the_story_out_does_not_replace_it():
    story = " ".join(STORY)  # one paragraph: a story, not a form or a list of labels
    sidebar = "\n\n".join(
        f"Comment {n} on another story, with a few words of its own." for n in range(30)
    )
    assert not _better_candidate(sidebar, story, 1.1, frozenset())
    # more of the same story is taken, and so is anything in place of a text of short lines only
    assert _better_candidate(story + "\n\n" + sidebar, story, 1.1, frozenset())
    assert _better_candidate(sidebar, "Log in\n\nPassword\n\nRegister", 1.1, frozenset())


def test_a_first_reading_of_short_lines_gives_way_to_a_shorter_text_holding_the_story():
    # The first reading locked onto a web archive's toolbar (dates, labels, counts: no line a
    # paragraph); the fallback's readings hold the story's paragraph and are shorter. A long list of
    # short items is not replaced by one paragraph a fraction of its length.
    labels = ("Apr", "MAY", "Jul", "2015", "2016", "51 captures", "About this capture")
    toolbar = "\n\n".join(labels * 8)
    paragraph = f"{STORY[0]} {STORY[1]}"
    page = (
        '<html><body><div class="post"><h1>Harbour bridge reopens</h1>'
        f"<p>{paragraph}</p></div></body></html>"
    )
    assert len(paragraph) < len(toolbar)
    body = _fallback_text(toolbar, page, URL, None, frozenset(), len(toolbar) + len(paragraph))
    assert paragraph in body
    assert "captures" not in body
    items = "\n\n".join(f"{section}: open every day from nine to five" for section in SECTIONS * 4)
    body = _fallback_text(items, page, URL, None, frozenset(), len(items) + len(paragraph))
    assert body == items


def test_the_precision_runs_story_read_elsewhere_on_the_page_is_the_story():
    # The recall run read a programme description beside the news item; the precision run read
    # the item's own container. Two story paragraphs that share no line with the text found are
    # the story; one paragraph (a sidebar's note) or a shared line is not a second reading.
    programme = "\n\n".join(f"{paragraph} (programme notes)" for paragraph in METHOD)
    story = "\n\n".join(LONG_STORY[:2])
    assert _core_elsewhere(programme, story)
    assert not _core_elsewhere(programme, LONG_STORY[0])
    assert not _core_elsewhere(programme + "\n\n" + LONG_STORY[1], story)


def test_a_quotation_set_in_a_figure_is_read_and_an_embedded_post_is_not():
    story = "".join(f"<p>{paragraph}</p>" for paragraph in STORY)
    quote = (
        "The joints were worn through; we replaced every one of them rather than patch the deck "
        "again next winter."
    )
    page = (
        "<html><body><article><h1>Harbour bridge reopens after repairs</h1>"
        f"{story[: story.index('</p>') + 4]}"
        f"<figure><blockquote><p>{quote}</p></blockquote>"
        "<figcaption>Maria Lind, chief engineer</figcaption></figure>"
        f"{story[story.index('</p>') + 4 :]}"
        '<figure><blockquote class="twitter-tweet"><p>Finally open again! Took the bus across '
        "this morning and it was quicker than ever.</p>&mdash; A commuter</blockquote></figure>"
        "</article></body></html>"
    )
    body = extract_article(page, URL)["body"]
    assert quote in body
    assert all(paragraph in body for paragraph in STORY)
    assert "Finally open again" not in body


def _legacy_page_with_breaks() -> bytes:
    """A 2000s table layout: a menu column, and the story in a ``<font>`` of the other cell, its
    paragraphs made by ``<br><br>``, the byline and date line above it and utility links under
    it; no ``<p>`` anywhere, no metadata."""
    story = "<BR><BR>".join(STORY)
    menu = "<BR>".join(
        f'<A href="../{s}/index.htm">{s.title()}</A>'
        for s in ("home", "business", "sports", "opinion", "weather")
    )
    return (
        "<HTML><HEAD><TITLE>Harbour bridge reopens after repairs - Local - The Valley Herald"
        '</TITLE><META http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        f"</HEAD><BODY><TABLE width=760><TR><TD width=150 valign=top><FONT size=2>{menu}</FONT>"
        "</TD><TD valign=top><FONT face=Arial size=4><B>Harbour bridge reopens after repairs</B>"
        "</FONT><BR><FONT size=2>By John Smith, Staff Writer<BR>Monday, May 6, 2024</FONT>"
        f"<BR><BR><FONT face=Arial size=2>{story}<BR><BR>"
        '<A href="print/0506_3.htm">Printer-friendly version</A> | '
        '<A href="mailto:?subject=story">E-mail this story</A> | '
        '<A href="index.htm">Back to Local</A></FONT></TD></TR></TABLE>'
        "<CENTER><FONT size=1>Copyright 2024 The Valley Herald.</FONT></CENTER></BODY></HTML>"
    ).encode("cp1252")


@pytest.mark.parametrize("favor", FAVOR_MODES)
def test_a_story_whose_paragraphs_are_blank_lines_reads_as_paragraphs_alone(favor):
    # Read as one run of text, the whole cell came out as one table row: menu, byline, date,
    # story and utility links on one line that no later step could trim.
    result = extract_article(_legacy_page_with_breaks(), URL, favor=favor)
    assert result["body"].split("\n\n") == STORY
    assert result["authors"] == ["John Smith"]
    assert result["published"].startswith("2024-05-06")


def test_blank_lines_split_only_where_they_make_two_paragraphs():
    page = load_html(
        "<html><body><div id='a'>One line<br>and the next.<br><br></div>"
        "<div id='b'>First.<br><br><b>Second</b> part.<br><br><br>Third.</div></body></html>"
    )
    paragraphs_from_breaks(page)
    lone, split = page.find(".//div[@id='a']"), page.find(".//div[@id='b']")
    assert lone.find("p") is None and lone.text == "One line"
    assert [" ".join(p.text_content().split()) for p in split] == [
        "First.",
        "Second part.",
        "Third.",
    ]


def test_a_fallback_reading_keeps_the_table_rows_the_first_reading_found():
    # The baseline a fallback may take reads paragraphs, not tables: the comparison table the first
    # reading found in the story goes back where it stood, after the line it followed.
    first = "\n\n".join(
        [
            "The county compared what the four bus companies charge for a monthly pass.",
            "| Company | Monthly pass |",
            "|---|---|",
            "| Harbour Lines | 42 euros |",
            "| Hill Coaches | 55 euros |",
        ]
    )
    fallback = "\n\n".join(
        [
            "The county compared what the four bus companies charge for a monthly pass.",
            "Paragraph 1 of the report says how often the buses of each company ran late.",
            "Paragraph 2 of the report says what the riders said about it.",
        ]
    )
    assert _with_tables(fallback, first).split("\n\n") == [
        "The county compared what the four bus companies charge for a monthly pass.",
        "| Company | Monthly pass |",
        "|---|---|",
        "| Harbour Lines | 42 euros |",
        "| Hill Coaches | 55 euros |",
        "Paragraph 1 of the report says how often the buses of each company ran late.",
        "Paragraph 2 of the report says what the riders said about it.",
    ]
    # a first reading that shares nothing with the fallback is another part of the page
    other = "\n\n".join(["Menu of the site, and nothing of the story", "| Home | News |"])
    assert _with_tables(fallback, other) == fallback


LONG_STORY = [
    (
        "The harbour bridge reopened to traffic on Monday morning after six weeks of repairs to "
        "its deck and cables, the city's transport office said in a statement issued before dawn."
    ),
    (
        "Engineers replaced forty expansion joints and repainted the main span, work that had been "
        "delayed twice by storms in the spring and once by a shortage of the steel plates it needed."
    ),
    (
        "Buses return to their usual routes from Tuesday; cyclists keep the temporary lane on the "
        "east side until the end of the month, when the council decides whether to keep it."
    ),
    (
        "Traders on the quay said the closure had cost them a third of their custom, and the "
        "chamber of commerce asked the city to waive market fees for the summer to make up for it."
    ),
]
TOPICS = ("school", "museum", "hospital", "stadium", "library", "tram line")
TOPICS += ("airport", "ferry", "park", "market", "theatre", "station")


def _page_with_cards(story: list[str], card) -> str:
    """A story in its post body, then, beside it, a list of cards many times its length: the cards
    send extraction to its fallbacks, whose readings of the whole page hold them."""
    body = "".join(f"<p>{paragraph}</p>" for paragraph in story)
    cards = "".join(
        f'<li class="stream-item"><div class="card">{card(t)}</div></li>' for t in TOPICS
    )
    return (
        "<html><head><title>Harbour bridge reopens</title></head><body>"
        '<div class="page"><article><h1>Harbour bridge reopens after repairs</h1>'
        f'<div class="entry-content">{body}</div></article>'
        f'<ul class="stream">{cards}</ul></div></body></html>'
    )


def _teaser(topic: str) -> str:
    return (
        f'<h3><a href="/2024/05/02/{topic.replace(" ", "-")}.html">The {topic} plan divides the '
        f"council again</a></h3><p>Councillors argued for three hours on Thursday over the new "
        f"{topic}, whose cost has doubled since the plan was first approved; a vote is now "
        f"expected in June, after a public consultation on the {topic} that opens next week.</p>"
    )


def test_a_fallback_does_not_bring_other_stories_teasers_to_a_story_already_found():
    # A news stream beside a four-paragraph story: headline links to other stories, each with its
    # teaser. A fallback reading of the whole page holds the story and twelve teasers; the story
    # was already found, and the teasers are other stories, not more of this one.
    body = extract_article(_page_with_cards(LONG_STORY, _teaser), URL)["body"]
    assert body.split("\n\n")[-len(LONG_STORY) :] == LONG_STORY
    assert "Councillors" not in body


def test_a_list_articles_entries_in_cards_are_its_story():
    # A guide's introduction is short; its entries are cards too (a name linked to a shop, a
    # paragraph on it). Found first, the introduction is not the story: the fallback's entries are.
    def entry(topic: str) -> str:
        return (
            f'<h3><a href="https://shop.example.test/{topic.replace(" ", "-")}">A guided tour of '
            f"the {topic}</a></h3><p>Our pick for families: the {topic} tour takes an hour and a "
            f"half, costs twelve euros a head and runs every morning from May to September, with "
            f"a shorter version for small children on weekday afternoons.</p>"
        )

    body = extract_article(_page_with_cards(LONG_STORY[:2], entry), URL)["body"]
    assert all(paragraph in body for paragraph in LONG_STORY[:2])
    assert all(f"the {topic} tour takes an hour" in body for topic in TOPICS)


METHOD = [
    (
        "We timed the crossing at rush hour on five weekdays before the closure and five after "
        "it, on foot, by bicycle and by bus, and compared the times with the city's own counts."
    ),
    (
        "We asked the transport office for the repair contract under the freedom of information "
        "act; it arrived three weeks later, with the cost of the steel plates blacked out."
    ),
    (
        "Traders quoted here were reached by phone on Sunday; two of them asked that their names "
        "not be printed, as their leases with the port authority are up for renewal."
    ),
]


# More of the story, for pages whose story must outweigh the blocks around it.
MORE_STORY = [
    f"On day {n} of the works, {LONG_STORY[n][0].lower()}{LONG_STORY[n][1:]}" for n in range(4)
]


def _paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def test_a_block_whose_class_names_an_icon_keeps_its_paragraphs_and_a_byline_box_still_goes():
    # Trafilatura drops a block whose class says "-icon" or "meta" (an icon, a byline's
    # metadata); an accordion named for its arrow icon holds how the story was reported.
    story = _paragraphs(LONG_STORY + MORE_STORY)
    method = _paragraphs(METHOD)
    page = (
        "<html><body><article><h1>Harbour bridge reopens after repairs</h1>"
        '<div class="entry-meta">By Jane Roe, transport desk</div>'
        f'<div class="entry-content">{story}'
        '<div class="accordion-wrap accordion-icon-style-arrow"><button>How we reported</button>'
        f'<div class="accordion-panel">{method}</div></div></div></article></body></html>'
    )
    body = extract_article(page, URL)["body"]
    assert all(paragraph in body for paragraph in LONG_STORY + MORE_STORY + METHOD)
    assert "Jane Roe" not in body


def test_a_story_wrapper_named_for_its_sidebar_stays_and_the_sidebar_still_goes():
    # Trafilatura drops a block whose class holds "bar"; layouts name the story's own wrapper for
    # the sidebar beside it. The sidebar itself, two paragraphs of other news, still goes.
    story = _paragraphs(LONG_STORY + MORE_STORY)
    aside = "".join(f"<p>Elsewhere: {paragraph}</p>" for paragraph in METHOD[:2])
    page = (
        '<html><body><article class="post"><h1>Harbour bridge reopens after repairs</h1>'
        f'<div class="entry-header"><p>{METHOD[2]}</p></div><div class="sidebar-layout">'
        f'<div class="wrap"><div class="sidebar-content">{story}</div></div>'
        f'<div class="sidebar">{aside}</div></div></article></body></html>'
    )
    body = extract_article(page, URL)["body"]
    assert all(paragraph in body for paragraph in LONG_STORY + MORE_STORY)
    assert "Elsewhere" not in body


def test_a_lists_entries_in_blocks_named_like_embeds_keep_their_paragraphs():
    # A movers' guide: each company is a block of one class ("profile embed"), one paragraph
    # each, between the introduction and the method. Trafilatura drops a block whose class says
    # "embed" (an embedded post); five sibling blocks of one class, each with a story paragraph,
    # are the list's entries. A lone block so named after the story still goes.
    def entry(n: int, topic: str) -> str:
        return (
            f'<div class="profile embed"><h3>The {topic} movers</h3><p>Our pick near the {topic}: '
            f"a crew of {n + 2}, a flat rate of {300 + 40 * n} euros for flats of up to {n + 1} "
            f"rooms, insurance included, and {10 * n + 20} boxes delivered {n + 1} days before "
            f"the move.</p></div>"
        )

    story = _paragraphs(LONG_STORY + MORE_STORY)
    method = _paragraphs(METHOD)
    entries = "".join(entry(n, topic) for n, topic in enumerate(TOPICS[:5]))
    page = (
        "<html><body><article><h1>The best movers in the harbour district</h1>"
        f'<div class="entry-content">{story}<div class="profiles">{entries}</div>'
        f"<h2>How we chose</h2>{method}</div>"
        '<div class="related embed"><p>Read next: the ferry timetable changes for summer, '
        "with an extra crossing in the morning and later boats on Fridays and Saturdays in "
        "July and August.</p></div></article></body></html>"
    )
    body = extract_article(page, URL)["body"]
    assert all(f"Our pick near the {topic}" in body for topic in TOPICS[:5])
    assert all(paragraph in body for paragraph in LONG_STORY + MORE_STORY + METHOD)
    assert "Read next" not in body


def test_a_data_table_in_a_site_builders_html_block_stays_and_a_spec_card_goes():
    # Site builders wrap hand-written HTML in a block named "w-embed", which trafilatura drops as
    # an embedded post: a comparison table of the story went with it.
    rows = "".join(
        f"<tr><td>{topic.title()} line</td><td>{n + 2} stops</td><td>{10 + 3 * n} minutes</td></tr>"
        for n, topic in enumerate(TOPICS[:6])
    )
    table = f"<table><tr><th>Line</th><th>Stops</th><th>Journey</th></tr>{rows}</table>"
    story = _paragraphs(LONG_STORY)
    card = (
        '<div class="card embed"><table><tr><th>Price</th><td>$120</td></tr>'
        "<tr><th>Weight</th><td>2 kg</td></tr><tr><th>Sold by</th><td>Harbour Shop</td></tr>"
        "</table></div>"
    )
    page = (
        "<html><body><article><h1>Harbour bridge reopens after repairs</h1>"
        f'<div class="entry-content">{story}<div class="w-embed">{table}</div>{card}</div>'
        "</article></body></html>"
    )
    body = extract_article(page, URL)["body"]
    assert all(f"{topic.title()} line" in body for topic in TOPICS[:6])
    assert "Harbour Shop" not in body


@pytest.mark.parametrize("names", ["space-y bard", "answer answer_expanded"])
def test_a_class_word_that_only_holds_a_names_letters_keeps_its_story_and_a_sidebar_goes(names):
    # Trafilatura drops a block whose class holds "bar" or "expand" anywhere: "bard" (a design
    # system's name) is no sidebar, an "expanded" answer is open. A sidebar by name still goes.
    story = _paragraphs(LONG_STORY + MORE_STORY)
    method = _paragraphs(METHOD)
    page = (
        "<html><body><article><h1>Harbour bridge reopens after repairs</h1>"
        f'<div class="entry-content"><h2>How we reported</h2><div class="{names}">{method}'
        f"</div><h2>The works</h2>{story}</div>"
        '<div class="sidebar"><p>Elsewhere: the ferry timetable changes for summer, with an extra '
        "crossing in the morning and later boats on Fridays and Saturdays in July and "
        "August.</p></div></article></body></html>"
    )
    body = extract_article(page, URL)["body"]
    assert all(paragraph in body for paragraph in LONG_STORY + MORE_STORY + METHOD)
    assert "Elsewhere" not in body


def test_a_section_whose_id_is_its_headings_words_keeps_its_text_and_a_menu_goes():
    # Sites make a section's id from its heading, for links to it; trafilatura reads "menu" in
    # "menu-changes-at-the-quay-cafes" as a menu. A menu by id still goes.
    story = _paragraphs(LONG_STORY + MORE_STORY)
    method = _paragraphs(METHOD)
    menu = "".join(f'<li><a href="/s/{n}">{line}</a></li>' for n, line in enumerate(SECTIONS))
    page = (
        "<html><body><article><h1>Harbour bridge reopens after repairs</h1>"
        f'<div class="entry-content">{story}<div id="menu-changes-at-the-quay-cafes">'
        f"<h2>Menu changes at the quay cafés</h2>{method}</div></div>"
        f'<div id="menu"><ul>{menu}</ul></div></article></body></html>'
    )
    body = extract_article(page, URL)["body"]
    assert all(paragraph in body for paragraph in LONG_STORY + MORE_STORY + METHOD)
    assert "Local politics" not in body
