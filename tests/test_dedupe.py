"""Story grouping, URL dedupe and refetch decisions, through real crawls of local sites."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from pipelines.dedupe import Signer, main_text
from tests.helpers import REDIS_URL, project_settings
from tests.local_site import LocalSite, Page
from tests.syndication_corpus import build_sites, ground_truth, pairwise_precision_recall

PIPELINE = {"ITEM_PIPELINES": {"pipelines.dedupe.DedupePipeline": 500}}
MIDDLEWARE = {"DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.refetch.RefetchMiddleware": 560}}


def state_settings(backend: str, tmp_path, request) -> dict:
    if backend == "sqlite":
        return {"STATE_DIR": str(tmp_path / "state")}
    return {"REDIS_URL": REDIS_URL, "STATE_REDIS_PREFIX": request.getfixturevalue("redis_prefix")}


def serve_corpus(stack: ExitStack, names) -> dict[str, LocalSite]:
    sites = build_sites()
    return {name: stack.enter_context(LocalSite(sites[name])) for name in names}


def items_by_copy(result: dict, servers: dict[str, LocalSite]) -> dict[tuple[str, str], dict]:
    """{(site name, path): item} from a crawl of the corpus servers."""
    by_base = {server.base_url: name for name, server in servers.items()}
    out = {}
    for item in result["items"]:
        base, path = item["url"].split("/article/", 1)
        out[(by_base[base], "/article/" + path)] = item
    return out


def test_syndicated_copy_is_grouped_with_original_and_lookalikes_stay_apart(run_crawl, tmp_path):
    truth = ground_truth()
    with ExitStack() as stack:
        servers = serve_corpus(stack, ["riverton-ledger", "valley-wire", "metro-courier"])
        result = run_crawl(
            {
                "start_urls": [s.url("/") for s in servers.values()],
                "settings": {**PIPELINE, "STATE_DIR": str(tmp_path / "state")},
            }
        )
    items = items_by_copy(result, servers)
    assert set(items) == set(truth)
    predicted = {key: item["story_id"] for key, item in items.items()}
    precision, recall = pairwise_precision_recall(predicted, truth)
    print(
        f"\nstory grouping over {len(truth)} copies: precision {precision:.3f} recall {recall:.3f}"
    )
    assert precision >= 0.95
    assert recall >= 0.95
    stories = len(set(truth.values()))
    assert result["stats"]["dedupe/stories"] == pytest.approx(stories, abs=1)
    # every copy points at another capture of its own story; each story's first has no pointer
    for key, item in items.items():
        if item["duplicate_of"] is not None:
            first = item["duplicate_of"]["canonical_url"]
            first_key = next(k for k, it in items.items() if it["canonical_url"] == first)
            assert truth[first_key] == truth[key]
    firsts = [key for key, item in items.items() if item["duplicate_of"] is None]
    assert len(firsts) == len({predicted[k] for k in firsts})


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_copy_in_a_later_crawl_points_at_first_capture(run_crawl, tmp_path, request, backend):
    truth = ground_truth()
    state = state_settings(backend, tmp_path, request)
    with ExitStack() as stack:
        servers = serve_corpus(stack, ["riverton-ledger", "valley-wire", "metro-courier"])
        first = run_crawl(
            {"start_urls": [servers["riverton-ledger"].url("/")], "settings": {**PIPELINE, **state}}
        )
        second = run_crawl(
            {
                "start_urls": [servers["valley-wire"].url("/"), servers["metro-courier"].url("/")],
                "settings": {**PIPELINE, **state},
            }
        )
    originals = items_by_copy(first, servers)
    copies = items_by_copy(second, servers)
    assert all(item["duplicate_of"] is None for item in originals.values())
    story_of_original = {truth[key]: item for key, item in originals.items()}
    for key, item in copies.items():
        original = story_of_original[truth[key]]
        assert item["story_id"] == original["story_id"], key
        assert item["duplicate_of"]["canonical_url"] == original["canonical_url"]
        assert item["duplicate_of"]["capture"] == original["capture"]
    assert second["stats"]["dedupe/index_loaded"] == len(originals)
    assert second["stats"]["dedupe/near_duplicates"] == len(copies)


def test_drop_mode_exports_each_story_once(run_crawl, tmp_path):
    truth = ground_truth()
    with ExitStack() as stack:
        servers = serve_corpus(stack, ["riverton-ledger", "valley-wire", "metro-courier"])
        result = run_crawl(
            {
                "start_urls": [s.url("/") for s in servers.values()],
                "settings": {**PIPELINE, "DEDUPE_MODE": "drop", "STATE_DIR": str(tmp_path)},
            }
        )
    exported = [truth[key] for key in items_by_copy(result, servers)]
    assert sorted(exported) == sorted(set(truth.values()))
    assert result["stats"]["dedupe/near_duplicates_dropped"] == len(truth) - len(exported)


def test_same_article_under_two_urls_is_exported_once(run_crawl, tmp_path):
    article = """<html><head><link rel="canonical" href="/article/vote.html"></head><body><article>
      <p>The council approved the budget by a vote of seven to two on Tuesday night.</p>
      <p>Library hours will be cut on Mondays and Fridays starting in July.</p></article></body></html>"""
    pages = {
        "/": '<a href="/article/vote.html">a</a><a href="/article/vote.amp.html">amp</a>',
        "/article/vote.html": article,
        "/article/vote.amp.html": article,
    }
    with LocalSite(pages) as site:
        result = run_crawl(
            {"start_urls": [site.url("/")], "settings": {**PIPELINE, "STATE_DIR": str(tmp_path)}}
        )
    assert [item["canonical_url"] for item in result["items"]] == [site.url("/article/vote.html")]
    assert result["stats"]["dedupe/url_duplicates"] == 1


def news_site_pages() -> dict[str, Page]:
    section = '<a href="/article/one.html">1</a> <a href="/article/two.html?utm_source=rss">2</a>'
    body = "<html><body><article><p>{} was decided at City Hall on Tuesday evening.</p></article>"
    return {
        "/": Page(section, headers={"ETag": '"sec-v1"'}),
        "/feed.xml": Page(
            '<a href="/article/one.html">1</a>',
            headers={"Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"},
        ),
        "/article/one.html": body.format("The budget"),
        "/article/two.html": body.format("The rent cap"),
    }


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_second_crawl_skips_archived_articles_and_refetches_sections_conditionally(
    run_crawl, tmp_path, request, backend
):
    settings = {**PIPELINE, **MIDDLEWARE, **state_settings(backend, tmp_path, request)}
    with LocalSite(news_site_pages()) as site:
        config = {"start_urls": [site.url("/"), site.url("/feed.xml")], "settings": settings}
        first = run_crawl(config)
        assert len(first["items"]) == 2
        second = run_crawl(config)
        hits = {path: site.hits(path) for path in ("/", "/feed.xml", "/article/one.html")}
    assert len(hits["/article/one.html"]) == 1
    assert second["items"] == []
    # the section did not change, so its links were not read again: no article request at all
    assert second["stats"].get("dedupe/article_already_archived", 0) == 0
    section_first, section_again = hits["/"]
    assert "If-None-Match" not in section_first.headers
    assert section_again.headers["If-None-Match"] == '"sec-v1"'
    assert section_again.status == 304
    assert hits["/feed.xml"][1].headers["If-Modified-Since"] == "Wed, 01 May 2024 10:00:00 GMT"
    assert sorted(r["url"] for r in second["responses"] if r["not_modified"]) == sorted(
        [site.url("/"), site.url("/feed.xml")]
    )
    assert second["stats"]["dedupe/not_modified"] == 2


def test_changed_section_is_read_again_but_its_archived_articles_are_not(run_crawl, tmp_path):
    settings = {**PIPELINE, **MIDDLEWARE, "STATE_DIR": str(tmp_path)}
    pages = news_site_pages()
    with LocalSite(pages) as site:
        config = {"start_urls": [site.url("/")], "settings": settings}
        run_crawl(config)
        site.pages["/"] = Page(
            pages["/"].body + ' <a href="/article/three.html">3</a>', headers={"ETag": '"sec-v2"'}
        )
        site.pages["/article/three.html"] = Page(
            pages["/article/one.html"].replace("budget", "vote")
        )
        second = run_crawl(config)
        third = run_crawl(config)
        hits = {p: len(site.hits(p)) for p in ("/article/one.html", "/article/three.html")}
    assert [item["url"] for item in second["items"]] == [site.url("/article/three.html")]
    assert second["stats"]["dedupe/article_already_archived"] == 2
    assert hits == {"/article/one.html": 1, "/article/three.html": 1}
    assert third["stats"]["dedupe/not_modified"] == 1


def test_recrawl_after_lets_old_articles_be_fetched_again(run_crawl, tmp_path):
    settings = {**PIPELINE, **MIDDLEWARE, "STATE_DIR": str(tmp_path), "ARTICLE_RECRAWL_AFTER": "0s"}
    pages = news_site_pages()
    pages["/"] = Page(pages["/"].body)  # no validators: the section is fetched in full each time
    with LocalSite(pages) as site:
        config = {"start_urls": [site.url("/")], "settings": settings}
        run_crawl(config)
        second = run_crawl(config)
    assert len(second["items"]) == 2
    assert all(item["duplicate_of"] is None for item in second["items"])
    assert second["stats"]["dedupe/recaptured"] == 2


def test_signature_survives_the_state_store_and_other_sizes_are_refused():
    signer = Signer(num_perm=128)
    a = signer.sign("the council approved the budget by a vote of seven to two on tuesday " * 3)
    b = signer.sign("the council approved the budget by a vote of six to three on friday " * 3)
    stored = signer.decode(signer.encode(a))
    assert stored.jaccard(b) == a.jaccard(b)
    assert stored.scheme == "affine32"
    assert Signer(num_perm=64).decode(signer.encode(a)) is None


def test_uncleaned_copy_in_a_legacy_charset_reads_as_the_same_story():
    # Without the clean pipeline, stories compare the page's main text: a copy served as
    # windows-1251 (declared only in its header) must read as the same words as the UTF-8 original.
    paragraphs = (
        "Городской совет утвердил новый план строительства велосипедных дорожек вдоль реки.",
        "Работы начнутся осенью и продлятся около полутора лет, сообщили в департаменте транспорта.",
        "Жители давно просили сделать поездки на работу безопаснее и удобнее для всех горожан.",
    )
    page = "<html><body><article>" + "".join(f"<p>{p}</p>" for p in paragraphs)
    page += "</article></body></html>"
    original = {"html": page.encode("utf-8"), "content_type": "text/html; charset=utf-8"}
    copy = {"html": page.encode("windows-1251"), "content_type": "text/html; charset=windows-1251"}
    assert paragraphs[0] in main_text(original)
    assert main_text(copy) == main_text(original)


@pytest.mark.parametrize(("num_perm", "size"), [(128, 5), (64, 3), (256, 1)])
def test_signatures_made_without_datasketch_are_datasketchs(num_perm, size):
    """The extraction workers sign bodies with pipelines.minhash (no datasketch import there):
    the values must be datasketch's own, or signatures stored by earlier crawls (and the LSH index)
    would no longer match."""
    from datasketch import LeanMinHash, MinHash

    from pipelines.minhash import SCHEME, SEED, MinHasher, shingles

    texts = [
        "The council approved the budget by a vote of seven to two on Tuesday evening. " * 4,
        "Городской совет утвердил новый план строительства велосипедных дорожек.",
        "東京都は新しい自転車道の計画を発表しました。工事は秋に始まります。",
        "one two",
    ]
    ours = MinHasher(num_perm, size)
    for text in texts:
        reference = MinHash(num_perm=num_perm, seed=SEED, scheme=SCHEME)
        reference.update_batch(shingles(text, size))
        expected = Signer(num_perm, size).encode(LeanMinHash(reference))
        assert ours.signature(text) == expected, text[:20]
    assert ours.signature("") is None and ours.signature(" ... ") is None


def test_a_body_changed_after_its_signature_was_made_is_compared_by_its_new_text(tmp_path):
    """A worker signs the body it extracted and dedupe takes that signature; a pipeline between
    the cleaner and dedupe that rewrites the body makes it stale: dedupe signs the new text."""
    from scrapy.utils.test import get_crawler

    from pipelines.dedupe import DedupePipeline
    from pipelines.minhash import MinHasher, body_signature

    story = " ".join(
        f"Paragraph {n} of the council story says the budget passed by seven votes to two."
        for n in range(12)
    )
    crawler = get_crawler(settings_dict=project_settings(STATE_DIR=str(tmp_path)))
    pipeline = DedupePipeline.from_crawler(crawler)
    signer = pipeline.signer
    signed = {"body": story, "body_signature": body_signature(MinHasher(128, 5), story)}
    assert pipeline._given_signature(signed).jaccard(signer.sign(story)) == 1.0
    rewritten = {**signed, "body": story + " Reporting by the wire."}
    assert pipeline._given_signature(rewritten) is None  # signed again, from the new body
    other_size = {**signed, "body_signature": body_signature(MinHasher(128, 3), story)}
    assert pipeline._given_signature(other_size) is None


def test_the_story_index_finds_the_candidates_datasketchs_lsh_finds():
    """The crawl's process no longer imports datasketch (40 MB of scipy; 10 KB per article in
    its LSH): its own band index must pick the same bands and rows for any threshold and size,
    and return the same candidates for the same signatures."""
    import itertools
    import random

    from datasketch import LeanMinHash, MinHashLSH
    from datasketch.lsh import _optimal_param

    from pipelines.minhash import BandIndex, optimal_bands

    for threshold, num_perm, weights in itertools.product(
        (0.1, 0.3, 0.45, 0.6, 0.8, 0.95), (16, 64, 128, 256), ((0.5, 0.5), (0.2, 0.8))
    ):
        assert optimal_bands(threshold, num_perm, weights) == _optimal_param(
            threshold, num_perm, *weights
        ), (threshold, num_perm, weights)

    rng = random.Random(7)
    vocabulary = [f"word{n}" for n in range(400)]
    stories = [[rng.choice(vocabulary) for _ in range(120)] for _ in range(40)]
    texts = []
    for words in stories:  # each story, and copies with more and more of it rewritten
        for changed in (0, 10, 30, 60, 90):
            copy = list(words)
            for i in rng.sample(range(len(copy)), changed):
                copy[i] = rng.choice(vocabulary)
            texts.append(" ".join(copy))
    signer = Signer(128, 5)
    theirs = MinHashLSH(threshold=0.45, num_perm=128, weights=(0.2, 0.8))
    ours = BandIndex(*optimal_bands(0.45, 128, (0.2, 0.8)))
    signatures = {}
    for n, text in enumerate(texts):
        sig = signer.sign(text)
        signatures[f"k{n}"] = sig
        theirs.insert(f"k{n}", LeanMinHash(seed=1, hashvalues=sig.hashvalues, scheme="affine32"))
        ours.insert(f"k{n}", sig.hashvalues)
    shared = 0
    for key, sig in signatures.items():
        lean = LeanMinHash(seed=1, hashvalues=sig.hashvalues, scheme="affine32")
        found = set(theirs.query(lean))
        assert set(ours.candidates(sig.hashvalues)) == found, key
        shared += len(found) > 1
    assert shared > 40  # copies did share bands: the comparison was not between empty sets
    ours.remove("k0", signatures["k0"].hashvalues)
    assert "k0" not in ours.candidates(signatures["k0"].hashvalues)
    assert "k1" in ours.candidates(signatures["k1"].hashvalues)


def test_band_index_finds_what_a_plain_dict_of_bands_finds_through_growth_and_removals():
    """The compact table (one slot array for all bands) against the obvious dict of sets, over
    thousands of inserts, re-inserts and removals, across its resizes."""
    import random
    from array import array

    from pipelines.minhash import BandIndex

    rng = random.Random(3)
    bands, rows = 8, 2
    index = BandIndex(bands, rows)
    reference: dict[tuple[int, bytes], set[str]] = {}
    held: dict[str, array] = {}

    def band_keys(values):
        raw = values.tobytes()
        return [(i, raw[i * 4 * rows : (i + 1) * 4 * rows]) for i in range(bands)]

    for step in range(6000):
        key = f"k{rng.randrange(2500)}"
        if key in held and rng.random() < 0.3:
            index.remove(key, held[key])
            for band in band_keys(held.pop(key)):
                reference[band].discard(key)
            continue
        values = array("I", [rng.randrange(6) for _ in range(bands * rows)])  # many shared bands
        if key in held:  # a re-insert, as StoryIndex.add does: the old bands go first
            index.remove(key, held[key])
            for band in band_keys(held[key]):
                reference[band].discard(key)
        index.insert(key, values)
        held[key] = values
        for band in band_keys(values):
            reference.setdefault(band, set()).add(key)
        if step % 97 == 0:
            probe = array("I", [rng.randrange(6) for _ in range(bands * rows)])
            expected = set().union(*(reference.get(b, set()) for b in band_keys(probe)))
            assert set(index.candidates(probe)) == expected
    for key, values in held.items():
        found = index.candidates(values)
        assert key in found and len(found) == len(set(found))
    assert len(index._owners) >= 4 * 1024  # it grew (the test went through resizes)
