"""The times a user types to ``get --at``, ``captures --from/--to``, ``articles --since/--until``."""

from __future__ import annotations

import pytest

from crawler.retrieval.timestamps import TimeError, parse_time

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("20261202135100", "20261202135100", "20261202135100"),
        ("2026", "20260101000000", "20261231235959"),
        ("202602", "20260201000000", "20260228235959"),
        ("20261202", "20261202000000", "20261202235959"),
        ("2026120213", "20261202130000", "20261202135959"),
        ("2026-12-02", "20261202000000", "20261202235959"),
        ("2026-12-02T13:51:00Z", "20261202135100", "20261202135100"),
        ("2026-12-02T14:51:00+01:00", "20261202135100", "20261202135100"),
        ("2026-12-02 13:51", "20261202135100", "20261202135159"),
    ],
)
def test_a_time_names_the_whole_period_it_covers(text, low, high):
    assert parse_time(text) == low
    assert parse_time(text, upper=True) == high


@pytest.mark.parametrize(
    "text", ["yesterday", "2026-13-01", "202613", "20260230", "12/02/2026", ""]
)
def test_a_malformed_time_is_refused_with_what_is_accepted(text):
    with pytest.raises(TimeError, match="not a"):
        parse_time(text)
