"""Scoring of extracted main text against hand-reviewed ground truth.

The method of the public article-extraction benchmark, as the dev set's README states it: ``\\w+``
tokens (case kept), overlapping 4-token shingles as multisets, per-page precision and recall, averaged
over pages (a page with an empty prediction has recall 0 and is left out of the precision average),
F1 of the two averages, ± the standard deviation of F1 over 1,000 bootstrap resamples of the pages.

Snippet-annotated corpora (trafilatura's evaluation set: a few passages per page that must be in the
main text, and a few that must not) are scored by trafilatura's own method: whitespace-normalized
substring matches counted as true and false positives, precision, recall and F1 of the summed counts.
"""

from __future__ import annotations

import random
import re
from collections import Counter

_TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def page_scores(pred: str, truth: str) -> tuple[float | None, float]:
    """(precision, recall) of one page; precision is None when the prediction is empty."""
    p, t = shingles(pred), shingles(truth)
    if not p:
        return None, 0.0
    if p == t:
        return 1.0, 1.0
    common = sum((p & t).values())
    return common / sum(p.values()), (common / sum(t.values()) if t else 0.0)


def aggregate(scores: list[tuple[float | None, float]]) -> tuple[float, float, float]:
    """(F1, P, R) of a list of per-page scores."""
    precisions = [p for p, _ in scores if p is not None]
    prec = sum(precisions) / len(precisions) if precisions else 0.0
    rec = sum(r for _, r in scores) / len(scores) if scores else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return f1, prec, rec


def bootstrap_sd(scores: list, rounds: int = 1000, seed: int = 0, combine=aggregate) -> float:
    """Standard deviation of F1 over ``rounds`` resamples of the pages; ``combine`` turns a list of
    per-page scores into (F1, P, R) (:func:`aggregate`, or :func:`snippet_aggregate` for counts)."""
    rng = random.Random(seed)  # noqa: S311 - resampling, not a secret
    n = len(scores)
    values = []
    for _ in range(rounds):
        sample = [scores[rng.randrange(n)] for _ in range(n)]
        values.append(combine(sample)[0])
    mean = sum(values) / rounds
    return (sum((v - mean) ** 2 for v in values) / (rounds - 1)) ** 0.5


def snippet_counts(pred: str, must: list[str], must_not: list[str]) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one page of a snippet-annotated corpus (trafilatura's evaluation).

    A snippet counts as present when its whitespace-normalized text is a substring of the
    whitespace-normalized prediction: ``must`` snippets present are true positives, ``must_not``
    snippets present are false positives.
    """
    text = _norm(pred)
    tp = sum(1 for s in must if _norm(s) in text) if text else 0
    fp = sum(1 for s in must_not if _norm(s) in text) if text else 0
    return tp, fp, len(must) - tp, len(must_not) - fp


def snippet_f1(counts: tuple[int, int, int, int]) -> float:
    """F1 of one page's snippet counts: 2tp / (2tp + fp + fn)."""
    tp, fp, fn, _ = counts
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def snippet_aggregate(counts: list[tuple[int, int, int, int]]) -> tuple[float, float, float]:
    """(F1, P, R) over a corpus, from the summed counts (trafilatura's evaluation method)."""
    tp, fp, fn = (sum(c[k] for c in counts) for k in range(3))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return f1, prec, rec


def _norm(text: str) -> str:
    return " ".join((text or "").split())
