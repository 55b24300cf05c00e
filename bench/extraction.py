"""Extraction quality benchmark: ``body`` of :func:`pipelines.extract.extract_article` next to
trafilatura's default ``extract()`` and its precision-leaning run, on two sources of another kind.

    python bench/extraction.py [--devset DIR] [--snippets DIR] [--favor balanced|precision|recall]
                               [--limit N] [--worst 10] [--behind 5] [--no-template]

Sources (each skipped, with a line saying where it was looked for, when absent):

- the dev set (``--devset``, default ``../shared/devset``): pages of 2025 with hand-reviewed main
  text, scored by the dev set README's method (:mod:`bench.scoring`). WCXB, the Web Content
  eXtraction Benchmark (Murrough Foley, 2026, CC-BY-4.0), development split, article pages.
- trafilatura's evaluation corpus (``--snippets``, the ``tests/`` directory of a checkout of
  github.com/adbar/trafilatura: ``evaldata.json``, ``eval/`` and ``cache/``): about a thousand pages
  of the 2010s in many languages (news, blogs, magazines, institutions), each annotated with passages
  that must and must not be in the main text, scored by trafilatura's method. Apache-2.0; measured
  at commit e90b0ef5. Trafilatura's own tuning set, so it flatters trafilatura: it is here to catch a
  change that helps the dev set and hurts pages built otherwise, not to rank the two.

- Readability's test pages (``--readability``, the ``test/test-pages`` directory of a checkout of
  github.com/mozilla/readability): about a hundred pages, mostly news of the 2010s (NYT, BBC,
  Guardian, Le Monde, Yahoo, Wikipedia, blogs), each with the text Readability.js extracts from it
  (``expected.html``), scored like the dev set. Apache-2.0. That text is Readability's own output,
  reviewed by its developers, not a hand annotation: it keeps captions and some related links.
  It is here as a third make of page, news above all, where a rule that swaps in a longer text
  shows at once; pages whose expected text is under 1,000 characters (unit tests of one feature)
  are left out.

The snippets source also annotates title, date and author on most pages: each is scored on the
pages annotated with it, ours next to trafilatura's own metadata (``bare_extraction``).

Each source is printed whole and in halves (even and odd page number): a change is kept when it
helps, or does not hurt, every half of every source. Besides F1, the count of pages scoring more
than 0.2 below trafilatura's default on the same page, and the worst of them.

Pages of one domain are handled as the crawl handles a site: the template learner sees every page of
the domain before its pages are cleaned (the learner's time is counted in the pipeline's ms/page).
No rule here or in the pipeline names a site, domain or page of either source.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trafilatura
from lxml import html as lxml_html

from bench.scoring import (
    aggregate,
    bootstrap_sd,
    page_scores,
    snippet_aggregate,
    snippet_counts,
    snippet_f1,
)
from pipelines.extract import FAVOR_MODES, extract_article
from pipelines.template import SiteTemplate

DEVSET_ATTRIBUTION = (
    "Dev set: WCXB, the Web Content eXtraction Benchmark (Murrough Foley, 2026, CC-BY-4.0), "
    "development split, article pages."
)
SNIPPETS_ATTRIBUTION = (
    "Snippets: trafilatura's evaluation corpus (Adrien Barbaresi and contributors, Apache-2.0; "
    "github.com/adbar/trafilatura tests/evaldata.json)."
)
SNIPPETS_HOWTO = (
    "git clone --depth 1 https://github.com/adbar/trafilatura /tmp/trafilatura "
    "and pass --snippets /tmp/trafilatura/tests"
)
READABILITY_ATTRIBUTION = (
    "Readability: Mozilla Readability's test pages and their expected text (Mozilla and "
    "contributors, Apache-2.0; github.com/mozilla/readability test/test-pages)."
)
READABILITY_HOWTO = (
    "git clone --depth 1 https://github.com/mozilla/readability /tmp/readability "
    "and pass --readability /tmp/readability/test/test-pages"
)
# Readability's tests of one feature have a line or two of text: not pages to score.
READABILITY_MIN_CHARS = 1000
_BLOCK_TAGS = frozenset(
    (
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
        *("hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
    )
)
# A page this much below trafilatura's default F1 on the same page is a failure worth naming.
BEHIND_BY = 0.2


@dataclass
class Page:
    id: str
    url: str
    html: bytes
    domain: str
    truth: str = ""
    must: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)
    label: str = ""  # how the source names a page that has no address
    meta: dict = field(default_factory=dict)  # annotated title, date, author (snippets)

    @property
    def name(self) -> str:
        return self.url or self.label


@dataclass
class Source:
    name: str
    attribution: str
    pages: list[Page]
    score: Callable[[str, Page], tuple]  # a page's score from its extracted text
    combine: Callable[[list], tuple[float, float, float]]  # (F1, P, R) of a list of page scores
    page_f1: Callable[[tuple], float]
    # Whether pages sharing a domain are one site's pages (the template learner sees them first).
    sites: bool = True


def load_devset(path: Path) -> Source | None:
    truth_file = path / "ground-truth.json"
    if not truth_file.is_file():
        print(
            f"dev set: none at {path} (expected ground-truth.json and html/); pass --devset DIR",
            file=sys.stderr,
        )
        return None
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = [
        Page(
            id=i,
            url=truth[i]["url"],
            html=gzip.decompress((path / "html" / f"{i}.html.gz").read_bytes()),
            domain=truth[i]["domain"],
            truth=truth[i]["articleBody"],
        )
        for i in sorted(truth)
    ]
    return _full_text_source("dev set", DEVSET_ATTRIBUTION, pages)


def _full_text_source(name: str, attribution: str, pages: list[Page], sites: bool = True) -> Source:
    """A source whose pages carry their whole main text, scored by the dev set's method."""
    return Source(
        name,
        attribution,
        pages,
        score=lambda text, page: page_scores(text, page.truth),
        combine=aggregate,
        page_f1=_f1_of,
        sites=sites,
    )


def load_snippets(path: Path) -> Source | None:
    annotations = path / "evaldata.json"
    if not annotations.is_file():
        print(
            f"snippets: none at {path} (expected evaldata.json, eval/, cache/); {SNIPPETS_HOWTO}",
            file=sys.stderr,
        )
        return None
    data = json.loads(annotations.read_text(encoding="utf-8"))
    pages = []
    for n, key in enumerate(sorted(data), start=1):
        item = data[key]
        found = [path / sub / item["file"] for sub in ("cache", "eval")]
        html_file = next((f for f in found if f.is_file()), None)
        if html_file is None:
            continue
        # A few keys are labels ("hard::name.html"), not addresses: the page is read without one.
        url = key if "://" in key else ""
        pages.append(
            Page(
                id=f"{n:04d}",
                url=url,
                html=html_file.read_bytes(),
                domain=urlsplit(url).netloc.lower().removeprefix("www.") or key,
                must=item["with"],
                must_not=item["without"],
                meta={k: item[k] for k in ("title", "date", "author") if item.get(k)},
                label=key,
            )
        )
    return Source(
        "snippets",
        SNIPPETS_ATTRIBUTION,
        pages,
        score=lambda text, page: snippet_counts(text, page.must, page.must_not),
        combine=snippet_aggregate,
        page_f1=snippet_f1,
        sites=False,  # one page a site; a shared host (web.archive.org) holds unrelated sites
    )


def load_readability(path: Path) -> Source | None:
    if not path.is_dir():
        print(f"readability: none at {path}; {READABILITY_HOWTO}", file=sys.stderr)
        return None
    pages = []
    for n, folder in enumerate(sorted(p for p in path.iterdir() if p.is_dir()), start=1):
        source, expected = folder / "source.html", folder / "expected.html"
        if not (source.is_file() and expected.is_file()):
            continue
        truth = _html_text(expected.read_text(encoding="utf-8"))
        if len(" ".join(truth.split())) < READABILITY_MIN_CHARS:
            continue
        pages.append(
            Page(
                id=f"{n:04d}",
                url="",  # the pages were saved without their address
                html=source.read_bytes(),
                domain=folder.name,
                truth=truth,
                label=f"readability::{folder.name}",
            )
        )
    return _full_text_source("readability", READABILITY_ATTRIBUTION, pages, sites=False)


def _html_text(markup: str) -> str:
    """The text of an HTML fragment, a line break after every block (so words of two blocks do
    not run together into one token)."""
    root = lxml_html.fromstring(markup)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _f1_of(score: tuple[float | None, float]) -> float:
    p, r = score
    return 2 * p * r / (p + r) if p and p + r else 0.0


def _trafilatura_default(page: Page) -> str:
    return trafilatura.extract(page.html, url=page.url or None) or ""


def _trafilatura_precision(page: Page) -> str:
    options = {"favor_precision": True, "include_comments": False}
    return trafilatura.extract(page.html, url=page.url or None, **options) or ""


def learn_templates(pages: list[Page]) -> tuple[dict[str, SiteTemplate], dict[str, float]]:
    """The crawl learns a site's template from the pages it has seen; here, a domain's pages."""
    templates: dict[str, SiteTemplate] = {}
    learn_ms: dict[str, float] = defaultdict(float)
    by_domain: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        by_domain[page.domain].append(page)
    for domain, members in by_domain.items():
        if len(members) < 2:
            continue
        template = templates[domain] = SiteTemplate(domain)
        for page in members:
            start = time.perf_counter()
            # As in the crawl: a page the learner cannot parse teaches nothing.
            with contextlib.suppress(Exception):
                template.observe(page.html, page.url)
            learn_ms[page.id] = (time.perf_counter() - start) * 1000
    return templates, learn_ms


def run_source(source: Source, args: argparse.Namespace) -> None:
    pages = source.pages[: args.limit] if args.limit else source.pages
    learn = source.sites and not args.no_template
    templates, learn_ms = learn_templates(pages) if learn else ({}, {})

    fields: dict[str, dict] = {}

    def ours(page: Page) -> str:
        template = templates.get(page.domain)
        result = extract_article(page.html, page.url, template=template, favor=args.favor)
        fields[page.id] = result
        return result["body"]

    extractors = {
        f"newsarchive ({args.favor})": ours,
        "trafilatura default": _trafilatura_default,
        "trafilatura favor_precision": _trafilatura_precision,
    }
    names = list(extractors)
    scores: dict[str, list[tuple]] = {name: [] for name in names}
    ms: dict[str, list[float]] = {name: [] for name in names}
    for n, page in enumerate(pages):
        # Rotate which runs first so machine load weighs on all alike.
        for name in names[n % 3 :] + names[: n % 3]:
            start = time.perf_counter()
            text = extractors[name](page)
            elapsed = (time.perf_counter() - start) * 1000
            ms[name].append(elapsed + (learn_ms.get(page.id, 0.0) if name == names[0] else 0.0))
            scores[name].append(source.score(text, page))

    even = [k for k, page in enumerate(pages) if int(page.id) % 2 == 0]
    odd = [k for k, page in enumerate(pages) if int(page.id) % 2 == 1]
    print(f"\n== {source.name}: {len(pages)} pages (even {len(even)}, odd {len(odd)})")
    print(source.attribution)
    if templates:
        ready = sum(t.ready for t in templates.values())
        print(f"domains with 2+ pages: {len(templates)}, with enough for a template: {ready}")
    print(f"{'extractor':<30} {'F1':>15} {'even':>7} {'odd':>7} {'P':>7} {'R':>7} {'ms/page':>8}")
    for name in names:
        page_list = scores[name]
        f1, p, r = source.combine(page_list)
        sd = bootstrap_sd(page_list, combine=source.combine)
        f1_even = source.combine([page_list[k] for k in even])[0]
        f1_odd = source.combine([page_list[k] for k in odd])[0]
        print(
            f"{name:<30} {f1:.4f} ± {sd:.4f} {f1_even:7.4f} {f1_odd:7.4f} {p:7.4f} {r:7.4f} "
            f"{statistics.median(ms[name]):8.1f}"
        )
    ratio = statistics.median(ms[names[0]]) / statistics.median(ms[names[1]])
    print(f"median ms/page ratio (newsarchive / trafilatura default): {ratio:.2f}")

    ours_f1 = [source.page_f1(s) for s in scores[names[0]]]
    base_f1 = [source.page_f1(s) for s in scores[names[1]]]
    behind = sorted(
        (o - b, k)
        for k, (o, b) in enumerate(zip(ours_f1, base_f1, strict=True))
        if o < b - BEHIND_BY
    )
    ahead = sum(1 for o, b in zip(ours_f1, base_f1, strict=True) if o > b + BEHIND_BY)
    print(
        f"pages more than {BEHIND_BY} below trafilatura default: {len(behind)} "
        f"(more than {BEHIND_BY} above: {ahead})"
    )
    for diff, k in behind[: args.behind]:
        print(
            f"  {pages[k].id}  F1 {ours_f1[k]:.3f} vs {base_f1[k]:.3f} ({diff:+.3f})  {pages[k].name}"
        )
    if any(page.meta for page in pages):
        print_metadata(pages, fields)
    if args.worst:
        print(f"{args.worst} worst pages ({names[0]}):")
        for k in sorted(range(len(pages)), key=lambda k: ours_f1[k])[: args.worst]:
            print(f"  {pages[k].id}  F1 {ours_f1[k]:.3f}  {pages[k].name}")


def _same_text(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").casefold().split()) == " ".join((b or "").casefold().split())


def _name_set(value: str | list | None) -> set[str]:
    if isinstance(value, list):
        value = "; ".join(value)
    parts = re.split(r";|,|\s+(?:and|und|et|y)\s+", value or "")
    return {" ".join(p.casefold().split()) for p in parts if p.strip()}


def print_metadata(pages: list[Page], fields: dict[str, dict]) -> None:
    """Title, date and authors against the source's annotations: ours and trafilatura's own
    metadata (``bare_extraction``), each on the pages annotated with that field. A title matches
    whitespace- and case-blind; a date on its day; authors as a set of names."""
    right = {name: defaultdict(int) for name in ("ours", "trafilatura")}
    annotated: dict[str, int] = defaultdict(int)
    for page in pages:
        if not page.meta:
            continue
        mine = fields[page.id]
        doc = trafilatura.bare_extraction(page.html, url=page.url or None, with_metadata=True)
        theirs = {
            "title": getattr(doc, "title", None),
            "date": getattr(doc, "date", None),
            "author": getattr(doc, "author", None),
        }
        ours_now = {"title": mine["title"], "date": mine["published"], "author": mine["authors"]}
        for key, gold in page.meta.items():
            annotated[key] += 1
            for name, found in (("ours", ours_now[key]), ("trafilatura", theirs[key])):
                if key == "title":
                    hit = _same_text(found, gold)
                elif key == "date":
                    hit = (found or "")[:10] == gold[:10]
                else:
                    hit = _name_set(found) == _name_set(gold)
                right[name][key] += hit
    print("metadata right, on the pages annotated with the field (ours / trafilatura):")
    for key, label in (("title", "title"), ("date", "date"), ("author", "authors")):
        n = annotated[key]
        if n:
            print(
                f"  {label:<8} {n:4d} pages  {right['ours'][key] / n:.3f} / "
                f"{right['trafilatura'][key] / n:.3f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", default=str(REPO.parent / "shared" / "devset"))
    parser.add_argument(
        "--snippets",
        default="/tmp/trafilatura/tests",  # noqa: S108 - where SNIPPETS_HOWTO puts it
        help="tests/ of a trafilatura checkout",
    )
    parser.add_argument(
        "--readability",
        default="/tmp/readability/test/test-pages",  # noqa: S108 - where READABILITY_HOWTO puts it
        help="test/test-pages of a mozilla/readability checkout",
    )
    parser.add_argument(
        "--only", choices=("devset", "snippets", "readability"), help="score one source"
    )
    parser.add_argument("--favor", choices=FAVOR_MODES, default="balanced")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N pages")
    parser.add_argument("--worst", type=int, default=10, help="name the N worst pages")
    parser.add_argument(
        "--behind",
        type=int,
        default=5,
        help=f"name the N pages most behind trafilatura (>{BEHIND_BY})",
    )
    parser.add_argument("--no-template", action="store_true", help="skip per-domain learning")
    args = parser.parse_args(argv)

    sources = []
    if args.only in (None, "devset"):
        sources.append(load_devset(Path(args.devset)))
    if args.only in (None, "snippets"):
        sources.append(load_snippets(Path(args.snippets)))
    if args.only in (None, "readability"):
        sources.append(load_readability(Path(args.readability)))
    sources = [s for s in sources if s is not None]
    if not sources:
        return 2
    for source in sources:
        run_source(source, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
