"""Full-text search in the SQLite index: the shortcuts that keep a search of a large archive fast
give exactly the pages the general query gives.

- a ranked search reads its best matches from FTS5 alone (``_best_keys``); equal scores (the same
  text captured again, articles of one length) are settled, across page ends too;
- a search made only of words found in most articles (which bm25 gives no weight) lists its
  matches newest first, walking an index, as a search without words does;
- facets counted off their index equal counts over the rows.

The general query is the one a search with a second filter takes (``since`` before every day),
so each page is compared with the same search answered the long way.
"""

from __future__ import annotations

import itertools
import random

import pytest

from crawler.retrieval.index import SqliteIndex

pytestmark = pytest.mark.fast

WORDS = ["harbour", "ferry", "council", "budget", "storm", "school", "market", "bridge"] + [
    f"word{n}" for n in range(22)
]


def _article(i: int, body: str, rng: random.Random) -> dict:
    day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "warc_key": f"warc/{i // 50:03d}.warc.gz",
        "record_offset": i * 1000,
        "record_length": 900,
        "timestamp": day.replace("-", "") + f"{i % 24:02d}0000",
        "url": f"http://news.test/{i}",
        "title": f"Story {i}",
        "day": day if i % 17 else None,  # a few without a day
        "site": "gazette" if i % 3 else None,
        "site_name": "The Gazette",
        "language": "en" if i % 4 else "fr",
        "tags": [],
        "authors": [],
        "body": body,
        "record": "{}",
    }


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    rng = random.Random(5)
    rows = []
    for i in range(400):
        if i % 4 == 0:  # many copies of a few texts: large groups of equal scores
            body = f"the the ferry council {WORDS[i % 3]}"
        else:
            body = "the " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12)))
        rows.append(_article(i, body, rng))
    index = SqliteIndex(tmp_path_factory.mktemp("index") / "index.sqlite")
    index.add([], rows)
    yield index
    index.close()


def _every_page(index: SqliteIndex, filters: dict, limit: int) -> list[list]:
    pages, after = [], None
    while True:
        page, after = index.search(filters, after=after, limit=limit)
        pages.append([(a["url"], a["sort_key"]) for a in page])
        if after is None:
            return pages
        assert len(pages) < 500, "the pages never end"


@pytest.mark.parametrize("text", ["ferry", "council harbour", "storm", "ferry council"])
@pytest.mark.parametrize("limit", [1, 7, 40])
def test_a_ranked_search_pages_as_the_general_query_does(index, text, limit):
    assert index._informative(text)  # ranked: each query has a word in at most half the articles
    assert index._best_keys(text, None, limit)  # the shortcut answers the first page
    quick = _every_page(index, {"text": text}, limit)
    general = _every_page(index, {"text": text, "since": "0000-01-01"}, limit)
    everything = [key for page in quick for key in page]
    assert everything, text
    assert len({url for url, _ in everything}) == len(everything)  # no article on two pages
    # the day filter drops the articles without a day; elsewhere the order is the same
    assert [k for k in everything if k[1][1]] == [k for page in general for k in page]
    scores = [key[0] for _url, key in everything]
    assert scores == sorted(scores)  # best first
    if limit < 40:  # some page ended inside a group of equal scores
        assert any(a[-1][1][0] == b[0][1][0] for a, b in itertools.pairwise(quick) if a and b)


def test_words_in_most_articles_list_the_matches_newest_first(index):
    assert not index._informative("the")
    pages = _every_page(index, {"text": "the"}, 25)
    found = [key for page in pages for _url, key in page]
    assert len(found) == 400  # every article has "the"
    newest_first = sorted(found, key=lambda k: (k[1], k[2]), reverse=True)
    assert [(k[1], k[2]) for k in found] == [(k[1], k[2]) for k in newest_first]
    assert pages == _every_page(index, {}, 25)  # as a search without words
    # with a rare word beside it, the query is ranked again
    assert index._informative("the storm")


@pytest.mark.parametrize(
    "filters",
    [{}, {"text": "the"}, {"text": "ferry"}, {"language": "fr"}, {"site": "the gazette"},
     {"text": "storm", "since": "2025-06-01", "until": "2025-09-30"}],
)  # fmt: skip
def test_facets_count_every_match(index, filters):
    counts = index.facets(filters)
    matches = index.articles(**filters)
    assert counts["total"] == len(matches)
    for name, field in (("day", "day"), ("language", "language")):
        expected: dict = {}
        for article in matches:
            expected[article[field]] = expected.get(article[field], 0) + 1
        assert counts[name] == expected
    sites: dict = {}
    for article in matches:
        name = article["site"] if article["site"] is not None else article["site_name"]
        sites[name] = sites.get(name, 0) + 1
    assert counts["site"] == sites
