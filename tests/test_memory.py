"""A crawl gives memory it freed back to the operating system (crawler.memory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


_THREADS = """
import ctypes, sys, threading
from crawler.memory import limit_malloc_arenas

if sys.argv[1] == "limited":
    assert limit_malloc_arenas()
held = []
together = threading.Barrier(8)

def work():  # all eight alive at once: none can take over an arena another one left
    together.wait()
    held.append([bytes(4096 + n) for n in range(200)])  # above Python's small-object allocator
    together.wait()

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


def _arenas(mode: str) -> int:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run(
        [sys.executable, "-c", _THREADS, mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,  # no MALLOC_ARENA_MAX from the caller's environment
    )
    return out.stderr.count("Arena ")


def test_a_crawls_threads_share_two_malloc_arenas():
    """Eight threads that allocate get arenas of their own, unless the crawl limited them."""
    assert _arenas("free") > 2  # the test can tell
    assert _arenas("limited") <= 2
