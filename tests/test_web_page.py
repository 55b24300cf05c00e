"""The web page of ``newsarchive serve`` (issue 11), used as a person uses it: headless Chromium
(Debian's /usr/bin/chromium) driven by Playwright, against the real server over a real crawl.

- After a demo crawl: a phrase of an article's body typed into the search box finds the article;
  clicking it shows its text, metadata, its one version and its story; clicking the link to its
  capture gives back the archived page (status 200, the article's headline in it).
- Choosing a day in the facets narrows the results to that day's articles (the counts shown are
  the real ones); choosing it again widens them back; nothing is loaded from elsewhere.
- A page whose text changed between two crawls shows both versions and exactly the changed
  paragraph in the diff, and each version links to its own archived page.

No Chromium, or one that does not start, fails the test with the way to install it (no skip).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
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
from tests.local_site import LocalSite
from tests.test_retrieval import CHANGED, NEW_PARAGRAPH, OLD_PARAGRAPH, _site_pages

CHROMIUM = Path("/usr/bin/chromium")
# As the machine notes say: without the background-networking flags Chromium keeps calling out,
# and this machine's closed network refuses it.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = (
    "install Debian's Chromium and Playwright: `make test` does both, or by hand "
    "`apt-get install -y chromium` (as root) and `.venv/bin/pip install -e '.[dev]'` (playwright)"
)
WAIT_MS = 10_000  # longest a person would wait for a page to answer


# -- servers and browser ---------------------------------------------------------------------------


class Serve:
    """``newsarchive serve --archive ARCHIVE`` on a free port, in its own process."""

    def __init__(self, archive: Path, cwd: Path) -> None:
        self.port = free_port()
        self.log = cwd / f"serve-{self.port}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "serve", "--archive", str(archive),
                 "--port", str(self.port)],
                cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}/"
        deadline = time.monotonic() + 30
        while b"serving " not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"newsarchive serve did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(scope="module")
def served(demo_site, tmp_path_factory):
    """One crawl of the demo site, served; its exported articles."""
    work = tmp_path_factory.mktemp("web")
    write_demo_site_file(work / "sites", demo_site.base_url)
    archive = work / "archive"
    crawl = run_cli("crawl", "demo", "--archive", str(archive), cwd=work)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    articles = []
    for path in sorted(archive.glob("articles/*/*.jsonl.gz")):
        articles += read_jsonl_gz(path)
    server = Serve(archive, work)
    try:
        yield {"url": server.url, "articles": articles}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian Chromium under Playwright, with a fresh profile."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail(f"Playwright is not installed: {INSTALL}")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL}")
    with sync_playwright() as playwright:
        failure = None
        try:
            context = playwright.chromium.launch_persistent_context(
                tmp_path_factory.mktemp("chromium-profile"),
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_FLAGS,
            )
        except Error as exc:
            failure = str(exc).strip().splitlines()[0]
        if failure is not None:  # outside the except: the message alone, not Playwright's log
            pytest.fail(f"Chromium ({CHROMIUM}) did not start: {failure}; {INSTALL}")
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    tab.close()
    assert not errors, f"the page's script failed: {errors}"


def _expect():
    from playwright.sync_api import expect

    return expect


# -- search, article, archived page ----------------------------------------------------------------


def _phrase(article: dict) -> str:
    """Seven words from the middle of the article's second paragraph, as a person would copy
    them (punctuation and all)."""
    paragraph = [p for p in article["body"].split("\n\n") if len(p.split()) >= 12][1]
    words = paragraph.split()
    return " ".join(words[3:10])


def test_a_phrase_of_an_article_finds_it_and_its_archived_page(served, page):
    expect = _expect()
    article = next(a for a in served["articles"] if a["title"] and "’" in a["title"])
    title, phrase = article["title"], _phrase(article)

    page.goto(served["url"])
    expect(page).to_have_title("News archive")
    page.get_by_role("searchbox", name="Search articles").fill(phrase)
    page.get_by_role("button", name="Search").click()

    results = page.get_by_role("region", name="Results")
    expect(results.get_by_role("link", name=title)).to_be_visible()
    results.get_by_role("link", name=title).click()

    view = page.get_by_role("article")
    expect(view.get_by_role("heading", level=2, name=title)).to_be_visible()
    expect(results).to_be_hidden()  # the article in place of the list, not below it
    expect(view.get_by_role("region", name="Text")).to_contain_text(phrase)
    for paragraph in article["body"].split("\n\n"):
        expect(view.get_by_role("region", name="Text")).to_contain_text(paragraph)
    expect(view.locator("dl")).to_contain_text(", ".join(article["authors"]))
    expect(view.locator("dl")).to_contain_text(article["site_name"])
    expect(view.get_by_role("region", name="Versions")).to_contain_text("One version")
    expect(view.get_by_role("region", name="Other copies of this story")).to_contain_text(
        f"Story {article['story_id']}: no other copy"
    )

    capture = view.get_by_role("link", name=re.compile(r"^Archived page, as captured "))
    assert re.fullmatch(r"/web/\d{14}id_/" + re.escape(article["final_url"]),
                        capture.get_attribute("href"))  # fmt: skip
    with page.expect_navigation() as navigation:
        capture.click()
    assert navigation.value.status == 200
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()

    page.go_back()  # back in the archive's page, the article is still there
    expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()


# -- facets ---------------------------------------------------------------------------------------


def test_choosing_a_day_narrows_the_results_to_that_day(served, page):
    expect = _expect()
    articles = served["articles"]
    days = Counter(a["published"][:10] for a in articles)
    # the busiest day but the last: "since that day" alone would not be the same articles
    day, count = max((n, d) for d, n in days.items() if d != max(days))[::-1]
    assert 1 < count < len(articles)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(served["url"])
    page.get_by_role("button", name="Search").click()  # nothing typed: every article, newest first
    status = page.get_by_role("status")
    expect(status).to_contain_text(f"{len(articles)} articles found")

    facets = page.get_by_role("navigation", name="Narrow down")
    facets.get_by_role("button", name=f"{day} ({count})").click()
    expect(status).to_contain_text(f"{count} articles found")
    results = page.get_by_role("region", name="Results").locator("#results > li")
    expect(results).to_have_count(count)
    titles = sorted(results.get_by_role("link").all_inner_texts())
    assert titles == sorted(a["title"] for a in articles if a["published"].startswith(day))
    expect(facets.get_by_role("button", name=f"{day} ({count})")).to_have_attribute(
        "aria-pressed", "true"
    )

    facets.get_by_role("button", name=f"{day} ({count})").click()  # chosen again: undone
    expect(status).to_contain_text(f"{len(articles)} articles found")
    outside = [url for url in requested if not url.startswith(served["url"])]
    assert not outside, f"the page loaded something from elsewhere: {outside}"


# -- versions -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    """A local site crawled twice, one story's paragraph corrected in between; served."""
    work = tmp_path_factory.mktemp("web-versions")
    with LocalSite(_site_pages(OLD_PARAGRAPH)) as site:

        def correct() -> None:
            site.pages[CHANGED] = _site_pages(NEW_PARAGRAPH)[CHANGED]

        crawl_gazette_twice(work, site.url("/"), correct)
        server = Serve(work / "archive", work)
        try:
            yield {"url": server.url, "page": site.url(CHANGED)}
        finally:
            server.stop()


def test_a_changed_article_shows_both_versions_and_the_changed_paragraph(changed, page):
    expect = _expect()
    title = "Council votes to dredge the channel"
    page.goto(changed["url"])
    page.get_by_role("searchbox", name="Search articles").fill("dredge the outer channel")
    page.get_by_role("button", name="Search").click()
    links = page.get_by_role("region", name="Results").get_by_role("link", name=title)
    expect(links).to_have_count(2)  # one article per capture
    links.first.click()

    text = page.get_by_role("region", name="Text")
    expect(text).to_contain_text("dredge the outer channel")
    other = OLD_PARAGRAPH if NEW_PARAGRAPH in text.inner_text() else NEW_PARAGRAPH
    versions = page.get_by_role("region", name="Versions")
    expect(versions).to_contain_text("2 versions of the text across 2 captures")
    diff = versions.get_by_label("Changes from the version before")
    expect(diff.locator("del")).to_have_text([f"-{OLD_PARAGRAPH}"])
    expect(diff.locator("ins")).to_have_text([f"+{NEW_PARAGRAPH}"])

    # the other capture is the same story: one click away, with the other text
    story = page.get_by_role("region", name="Other copies of this story")
    expect(story).to_contain_text("1 other copy")
    story.get_by_role("link", name=title).click()
    expect(text).to_contain_text(other)

    for number, paragraph in ((2, NEW_PARAGRAPH), (1, OLD_PARAGRAPH)):
        archived = page.get_by_role("region", name="Versions").get_by_role(
            "link", name=f"Archived page of version {number}"
        )
        with page.expect_navigation() as navigation:
            archived.click()
        assert navigation.value.status == 200
        expect(page.locator("article")).to_contain_text(paragraph)
        page.go_back()
