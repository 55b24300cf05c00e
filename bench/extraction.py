"""Extraction quality benchmark: ``body`` of :func:`pipelines.extract.extract_article` against the
dev set's hand-reviewed main text, next to trafilatura's default ``extract()`` in the same run.

    python bench/extraction.py [--devset DIR] [--limit N] [--worst 20]

Scoring is exactly the dev set README's method (see :mod:`bench.scoring`). Pages of one domain are
handled as the crawl handles a site: the template learner sees every page of the domain before its
pages are cleaned (the learner's time is counted in the pipeline's ms/page). No rule here or in the
pipeline names a site, domain or page of the dev set.

Data: WCXB, the Web Content eXtraction Benchmark (Murrough Foley, 2026, CC-BY-4.0), development
split, article pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import trafilatura

from bench.scoring import aggregate, bootstrap_sd, page_scores
from pipelines.extract import extract_article
from pipelines.template import SiteTemplate

ATTRIBUTION = (
    "Dev set: WCXB, the Web Content eXtraction Benchmark (Murrough Foley, 2026, CC-BY-4.0), "
    "development split, article pages."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", default=str(REPO.parent / "shared" / "devset"))
    parser.add_argument("--limit", type=int, default=0, help="score only the first N pages")
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument("--no-template", action="store_true", help="skip per-domain learning")
    args = parser.parse_args(argv)

    devset = Path(args.devset)
    truth_file = devset / "ground-truth.json"
    if not truth_file.is_file():
        print(
            f"bench-extract: no dev set at {devset} (expected ground-truth.json and html/); "
            "pass --devset DIR",
            file=sys.stderr,
        )
        return 2
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    ids = sorted(truth)
    if args.limit:
        ids = ids[: args.limit]
    pages = {i: gzip.decompress((devset / "html" / f"{i}.html.gz").read_bytes()) for i in ids}

    # The crawl learns a site's template from the pages it has seen; here, a domain's pages.
    templates: dict[str, SiteTemplate] = {}
    learn_ms: dict[str, float] = defaultdict(float)
    if not args.no_template:
        by_domain: dict[str, list[str]] = defaultdict(list)
        for i in ids:
            by_domain[truth[i]["domain"]].append(i)
        for domain, members in by_domain.items():
            if len(members) < 2:
                continue
            template = templates[domain] = SiteTemplate(domain)
            for i in members:
                start = time.perf_counter()
                template.observe(pages[i], truth[i]["url"])
                learn_ms[i] = (time.perf_counter() - start) * 1000

    ours, base = [], []
    ours_ms, base_ms = [], []
    for n, i in enumerate(ids):
        url, gold = truth[i]["url"], truth[i]["articleBody"]
        # Alternate which runs first so machine load weighs on both alike.
        runs = [("base", None), ("ours", None)] if n % 2 else [("ours", None), ("base", None)]
        for name, _ in runs:
            start = time.perf_counter()
            if name == "base":
                text = trafilatura.extract(pages[i].decode("utf-8", "replace"), url=url) or ""
                base_ms.append((time.perf_counter() - start) * 1000)
                base.append(page_scores(text, gold))
            else:
                result = extract_article(pages[i], url, template=templates.get(truth[i]["domain"]))
                ours_ms.append((time.perf_counter() - start) * 1000 + learn_ms.get(i, 0.0))
                ours.append(page_scores(result["body"], gold))

    print(ATTRIBUTION)
    active = sum(t.ready for t in templates.values())
    print(
        f"pages: {len(ids)}  (domains with 2+ pages: {len(templates)}, "
        f"with enough pages for a template: {active})"
    )
    print(f"{'extractor':<28} {'F1':>14} {'P':>7} {'R':>7} {'ms/page':>8}")
    for name, scores, ms in (
        ("newsarchive extract_article", ours, ours_ms),
        ("trafilatura extract()", base, base_ms),
    ):
        f1, p, r = aggregate(scores)
        sd = bootstrap_sd(scores)
        print(f"{name:<28} {f1:.4f} ± {sd:.4f} {p:7.4f} {r:7.4f} {statistics.median(ms):8.1f}")
    ratio = statistics.median(ours_ms) / statistics.median(base_ms)
    print(f"median ms/page ratio (ours / trafilatura): {ratio:.2f}")

    print(f"\n{args.worst} worst pages (newsarchive):")
    rows = []
    for i, (p, r) in zip(ids, ours, strict=True):
        f = 2 * p * r / (p + r) if p and p + r else 0.0
        rows.append((f, i, p, r))
    rows.sort()
    for f, i, p, r in rows[: args.worst]:
        ptxt = "  -  " if p is None else f"{p:.3f}"
        print(f"  {i}  F1 {f:.3f}  P {ptxt}  R {r:.3f}  {truth[i]['url']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
