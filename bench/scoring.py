"""Scoring of extracted main text against hand-reviewed ground truth.

The method of the public article-extraction benchmark, as the dev set's README states it: ``\\w+``
tokens (case kept), overlapping 4-token shingles as multisets, per-page precision and recall, averaged
over pages (a page with an empty prediction has recall 0 and is left out of the precision average),
F1 of the two averages, ± the standard deviation of F1 over 1,000 bootstrap resamples of the pages.
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


def bootstrap_sd(
    scores: list[tuple[float | None, float]], rounds: int = 1000, seed: int = 0
) -> float:
    rng = random.Random(seed)  # noqa: S311 - resampling, not a secret
    n = len(scores)
    values = []
    for _ in range(rounds):
        sample = [scores[rng.randrange(n)] for _ in range(n)]
        values.append(aggregate(sample)[0])
    mean = sum(values) / rounds
    return (sum((v - mean) ** 2 for v in values) / (rounds - 1)) ** 0.5
