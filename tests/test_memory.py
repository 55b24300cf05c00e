"""A crawl gives memory it freed back to the operating system (crawler.memory)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.fast

_PROGRAM = """
import random
from crawler.memory import release_free_memory

def rss_mb():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) // 1024 for l in fh if l.startswith("VmRSS"))

# what a crawl does to its heap: page-sized texts freed, small objects kept between them
random.seed(1)
kept, pages = [], []
for n in range(40000):
    pages.append(bytes(random.randint(2000, 150000)))
    kept.append(bytes(random.randint(50, 500)))
    if len(pages) > 100:
        del pages[:50]
del pages
before = rss_mb()
assert release_free_memory()
print(before, rss_mb(), len(kept))
"""


def test_freed_page_memory_goes_back_to_the_system():
    out = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True, timeout=60
    )
    before, after, _ = map(int, out.stdout.split())
    assert before - after >= 5, (before, after)  # glibc had kept the freed pages' memory
