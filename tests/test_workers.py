"""Extraction in worker processes: a page that overruns its time is stopped on time, a worker that
dies is replaced, and a worker's article is the article the crawl's own process would make."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pipelines.extract import extract_article
from pipelines.template import SiteTemplate, observation
from pipelines.workers import ExtractionWorkers

pytestmark = pytest.mark.fast

FIXTURES = Path(__file__).parent / "fixtures"
FARM = sorted((FIXTURES / "contentfarm").glob("*.html"))
URL = "http://farm.test/news/20240102/1234.html"
LINE = "the council voted on the budget again today after a long debate"
# About 2.3 MB of paragraphs: trafilatura needs seconds for it, in one stage nothing interrupts.
SLOW_PAGE = (
    "<html><head><title>T</title></head><body>"
    + "".join(f"<p>{LINE} {i}</p>" for i in range(30000))
    + "</body></html>"
)
LIMIT = 0.5
SLACK = 0.5  # killing and reaping a worker


@pytest.fixture(scope="module")
def workers():
    pool = ExtractionWorkers(1)
    # a first page starts the worker (imports): the time limit runs from when it has the page
    pool.extract("farm", None, timeout=30, body=FARM[0].read_bytes(), url=URL)
    yield pool
    pool.close()


def test_a_page_that_overruns_its_time_is_stopped_on_time(workers):
    started = time.monotonic()
    result = workers.extract("farm", None, timeout=LIMIT, body=SLOW_PAGE, url=URL)
    elapsed = time.monotonic() - started
    assert result["skip_reason"] == "timeout" and not result["is_article"]
    assert elapsed <= LIMIT + SLACK, elapsed
    assert workers.killed >= 1  # it overran: only killing its worker stopped it
    # the next page gets a fresh worker
    again = workers.extract("farm", None, timeout=30, body=FARM[1].read_bytes(), url=URL)
    assert again["is_article"]


def test_a_worker_article_is_the_article_made_in_process(workers):
    template = SiteTemplate("farm", min_pages=3)
    for page in FARM:
        template.observe(page.read_bytes(), f"http://farm.test/{page.stem}")
    assert template.ready
    for page in FARM:
        body = page.read_bytes()
        for tpl in (None, template):
            here = extract_article(body, URL, template=tpl)
            there = workers.extract("farm", tpl, timeout=30, body=body, url=URL)
            assert there == here, page.name


def test_a_template_learning_along_strips_in_the_worker_as_in_process(workers):
    """The crawl's template learns between pages; the worker's replica gets only the changes,
    or the whole when the template starts a new epoch (keys forgotten), and strips each page
    exactly as the template does at that moment."""
    template = SiteTemplate("farm-live", min_pages=3)
    pages = [page.read_bytes() for page in FARM]
    compared = 0
    for i, body in enumerate(pages * 2):
        template.observe(body, f"http://farm.test/{i}")  # the second round: new URLs, same text
        if i == len(pages):
            template._new_epoch()  # as when keys are forgotten: the replica is sent whole again
        if not template.ready:
            continue
        here = extract_article(body, URL, template=template)
        there = workers.extract("farm-live", template, timeout=30, body=body, url=URL)
        assert there == here, i
        compared += 1
    assert compared >= len(pages) and template._epoch == 1
    version, _update = template.replica_update(None)
    held = next(iter(workers._all)).templates["farm-live"]
    assert held == version  # the worker holds the latest
    assert template.replica_update(held) == (version, None)  # and is sent nothing more


def test_a_page_observed_in_a_worker_teaches_the_template_what_it_would_here(workers):
    """The crawl's process learns from what a worker parsed (no page parsed in the crawl's
    process): the template learned that way is the one learned in process."""
    here, there = SiteTemplate("farm", min_pages=3), SiteTemplate("farm", min_pages=3)
    for i, page in enumerate(FARM):
        body = page.read_bytes()  # as fetched: the worker decodes it as the crawl would
        blocks = workers.observe(body, timeout=30, content_type="text/html", url=f"u{i}")
        assert blocks == observation(body.decode("utf-8"))
        assert there.learn(blocks, f"http://farm.test/{i}")
        here.observe(body, f"http://farm.test/{i}")
    assert there.to_json() == here.to_json() and there.ready
    # a page that overruns its time: None (nothing learned), the worker replaced
    assert workers.observe(SLOW_PAGE * 4, timeout=0.05) is None
    assert workers.observe(FARM[0].read_text(), timeout=30) == observation(FARM[0].read_text())


def test_learn_then_extract_in_one_job_is_observe_then_extract_in_process(workers):
    """The crawl's usual job once a site's template is known: the worker reads the page for the
    learner, the crawl learns, the worker strips with the template as it is after that page. The
    articles and the learned template are those of learning then extracting in process."""
    here, there = SiteTemplate("farm", min_pages=2), SiteTemplate("farm", min_pages=2)
    texts = [page.read_text(encoding="utf-8") for page in FARM]
    for i, text in enumerate(texts[:2]):
        here.observe(text, f"http://farm.test/{i}")
        there.observe(text, f"http://farm.test/{i}")
    learned: list[int] = []

    def learn(blocks):
        learned.append(len(blocks))
        there.learn(blocks, f"http://farm.test/{len(learned) + 1}")

    for i, text in enumerate(texts[2:], start=2):
        here.observe(text, f"http://farm.test/{i}")
        expected = extract_article(text, URL, template=here)
        got = workers.extract("farm", there, timeout=30, learn=learn, body=text, url=URL)
        assert got == expected, FARM[i].name
    assert len(learned) == len(texts) - 2 and all(learned)
    assert there.to_json() == here.to_json()


def test_closing_wakes_every_thread_waiting_for_a_worker():
    """The crawl closes the pool while pages still wait for a worker (a shutdown mid-crawl): each
    waiting call ends with an error at once, none waits forever, no worker is left running."""
    pool = ExtractionWorkers(1)
    pool.extract("farm", None, timeout=30, body=FARM[0].read_bytes(), url=URL)
    outcomes: list[str] = []

    def call(kind: str) -> None:
        try:
            if kind == "extract":
                pool.extract("farm", None, timeout=30, body=SLOW_PAGE, url=URL)
            else:
                pool.observe(FARM[1].read_text(), timeout=30)
            outcomes.append("done")
        except RuntimeError:
            outcomes.append("closed")

    threads = [threading.Thread(target=call, args=(k,)) for k in ("extract", "observe", "observe")]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # one holds the worker with a slow page, two wait for it
    processes = [w.process for w in pool._all]
    pool.close()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "a thread still waits for a worker"
    assert outcomes.count("closed") >= 2, outcomes
    assert all(p.poll() is not None for p in processes)
    assert not pool._all  # nothing started after close()


def test_a_worker_killed_from_outside_is_replaced(workers):
    """A worker that dies mid-page (the OOM killer, an operator): the page is an error, the next
    page is extracted by a new worker."""
    worker = next(iter(workers._all))
    timer = threading.Timer(0.3, os.kill, (worker.process.pid, signal.SIGKILL))
    timer.start()
    result = workers.extract("farm", None, timeout=30, body=SLOW_PAGE, url=URL)
    timer.join()
    assert result["skip_reason"] == "error"
    again = workers.extract("farm", None, timeout=30, body=FARM[2].read_bytes(), url=URL)
    assert again["is_article"]


def test_closed_workers_leave_no_process():
    pool = ExtractionWorkers(2)
    pool.extract("farm", None, timeout=30, body=FARM[0].read_bytes(), url=URL)
    processes = [w.process for w in pool._all]
    pool.close()
    assert all(p.poll() is not None for p in processes)


def test_a_worker_signs_the_body_it_extracted_as_dedupe_would(workers):
    """With ``sign`` the worker also makes the body's MinHash, so the crawl's process does not
    shingle and hash it again: the signature is the dedupe pipeline's own for that body."""
    from pipelines.dedupe import Signer

    signer = Signer(128, 5)
    body = FARM[0].read_bytes()
    result = workers.extract("farm", None, timeout=30, body=body, url=URL, sign=(128, 5))
    assert result["is_article"]
    assert result["body_signature"]["h"] == signer.encode(signer.sign(result["body"]))
    plain = workers.extract("farm", None, timeout=30, body=body, url=URL)
    assert "body_signature" not in plain and plain["body"] == result["body"]
