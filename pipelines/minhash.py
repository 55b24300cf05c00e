"""MinHash signatures of article text and the band index that finds similar ones: datasketch's
``affine32`` values and its LSH banding, made with numpy alone.

The dedupe pipeline compares stories by MinHash (:mod:`pipelines.dedupe`). The signature of an
article's body is made where the body is made, in an extraction worker (:mod:`pipelines.workers`),
so the crawl's process does not shingle and hash every body again. Importing datasketch costs a
process about 40 MB (its LSH imports scipy) and its LSH keeps about 10 KB per article (a set per
bucket), so this module makes the same values with numpy: SHA-1 of each shingle (its first 4
bytes, little-endian), the MurmurHash3 finalizer, then ``a * h + b mod 2**32`` per permutation,
with ``a`` and ``b`` drawn as datasketch draws them from the seed; and :class:`BandIndex` bands
signatures as ``MinHashLSH`` does, with the same number of bands and rows
(:func:`optimal_bands`). Tests check values, bands and candidates against datasketch's own.

Only the signing needs numpy (:class:`MinHasher`, imported when one is made: in the extraction
workers). The crawl's process keeps, compares and bands signatures as ``array('I')`` (128 values
in 512 bytes) and does without numpy's 11 MB.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import operator
import re
import sys
import unicodedata
import zlib
from array import array
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# Stored with every signature: values from another scheme, seed or size cannot be compared.
SCHEME = "affine32"
SEED = 1

# Han, kana and Thai are written without spaces between words: each character is a token there.
_TOKEN_RE = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\w+")


def shingles(text: str, size: int) -> set[bytes]:
    """Overlapping ``size``-word sequences of ``text``, case and accents folded."""
    text = unicodedata.normalize("NFKC", text).casefold()
    words = _TOKEN_RE.findall(text)
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    # each window of ``size`` words, made in C (zip, join, encode) rather than sliced one by one
    windows = zip(*[words[i:] for i in range(size)], strict=False)  # the shorter ones end it
    return set(map(str.encode, map(" ".join, windows)))


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer (a bijection), element-wise; products wrap mod 2**32."""
    import numpy as np  # noqa: PLC0415 - see the module doc

    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


class MinHasher:
    """Text -> MinHash values (``num_perm`` uint32), permutations drawn once from the seed."""

    def __init__(self, num_perm: int, shingle_size: int, seed: int = SEED) -> None:
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.seed = seed
        import numpy as np  # noqa: PLC0415 - see the module doc

        gen = np.random.RandomState(seed)
        # as datasketch draws them: an odd a (a bijection mod 2**32), then b
        self.a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        self.b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)

    def values(self, text: str) -> np.ndarray | None:
        """The signature of ``text`` (uint32 values), or None when it has no words."""
        grams = shingles(text, self.shingle_size)
        if not grams:
            return None
        sha1 = hashlib.sha1
        # datasketch's sha1_hash32: the digest's first 4 bytes, little-endian
        prefixes = b"".join([sha1(g, usedforsecurity=False).digest()[:4] for g in grams])
        import numpy as np  # noqa: PLC0415 - see the module doc

        hv = np.frombuffer(prefixes, dtype="<u4").astype(np.uint32).reshape(-1, 1)
        permuted = _fmix32(hv) * self.a + self.b
        return permuted.min(axis=0)

    def encode(self, values: Any) -> str:
        """Compact text form for the crawl state: ``scheme:seed:base64(uint32 little-endian)``."""
        return encode(values, self.seed)

    def signature(self, text: str) -> str | None:
        """:meth:`encode` of :meth:`values`: what :mod:`pipelines.dedupe` stores and reads."""
        values = self.values(text)
        return None if values is None else self.encode(values)


def checksum(body: str) -> int:
    """What a :func:`body_signature` was made from (CRC-32 of the text)."""
    return zlib.crc32(body.encode("utf-8", "surrogatepass"))


def body_signature(hasher: MinHasher, body: str) -> dict[str, Any] | None:
    """An article body's signature, made where the body is made (an extraction worker), for the
    dedupe pipeline: the encoded values, the shingle size, and the body's :func:`checksum` (a
    signature is used only with the body it was made from). None when the body has no words."""
    encoded = hasher.signature(body) if body else None
    if encoded is None:
        return None
    return {"h": encoded, "shingle_size": hasher.shingle_size, "of": checksum(body)}


def words(values: Any) -> array:
    """MinHash values (a numpy array, a sequence of ints) as ``array('I')``."""
    if isinstance(values, array) and values.typecode == "I":
        return values
    if hasattr(values, "astype"):  # numpy: its bytes, without a Python int per value
        return from_le_bytes(values.astype("<u4").tobytes())
    return array("I", values)


def from_le_bytes(raw: bytes) -> array:
    """``array('I')`` of the uint32 little-endian values in ``raw``."""
    values = array("I")  # C's unsigned int: 4 bytes wherever CPython runs
    values.frombytes(raw)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def encode(values: Any, seed: int = SEED) -> str:
    """Compact text form for the crawl state: ``scheme:seed:base64(uint32 little-endian)``."""
    values = array("I", words(values))  # a copy: byteswapped on a big-endian machine
    if sys.byteorder == "big":
        values.byteswap()
    return f"{SCHEME}:{seed}:{base64.b64encode(values.tobytes()).decode()}"


class Signature:
    """A text's MinHash values (``num_perm`` uint32, as ``array('I')``) and how alike two texts
    are by them."""

    __slots__ = ("hashvalues",)
    scheme = SCHEME
    seed = SEED

    def __init__(self, hashvalues: Any) -> None:
        self.hashvalues = words(hashvalues)

    def __len__(self) -> int:
        return len(self.hashvalues)

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two texts' shingle sets: the share of equal values."""
        return _jaccard(self.hashvalues, other.hashvalues)


def _jaccard(a: array, b: array) -> float:
    return sum(map(operator.eq, a, b)) / len(a)


def _legendre(n: int, z: float) -> tuple[float, float]:
    """(P_n(z), P_n'(z)) by the three-term recurrence."""
    p1, p2 = 1.0, 0.0
    for j in range(n):  # p2 ends as P_{n-1}(z)
        p1, p2 = ((2 * j + 1) * z * p1 - j * p2) / (j + 1), p1
    return p1, n * (z * p1 - p2) / (z * z - 1)


def _leggauss(n: int) -> tuple[list[float], list[float]]:
    """Gauss-Legendre nodes and weights on [-1, 1] (numpy's ``leggauss``, without numpy): each
    root of the Legendre polynomial P_n by Newton's method from the usual first guess."""
    nodes, weights = [0.0] * n, [0.0] * n
    for i in range((n + 1) // 2):
        z = math.cos(math.pi * (i + 0.75) / (n + 0.5))
        for _ in range(100):
            value, derivative = _legendre(n, z)
            step = value / derivative
            z -= step
            if abs(step) < 1e-16:
                break
        derivative = _legendre(n, z)[1]
        nodes[i], nodes[n - 1 - i] = -z, z
        weights[i] = weights[n - 1 - i] = 2 / ((1 - z * z) * derivative * derivative)
    return nodes, weights


@functools.lru_cache(maxsize=32)
def optimal_bands(
    threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)
) -> tuple[int, int]:
    """(bands, rows per band) for LSH at ``threshold``: the split of ``num_perm`` values that
    minimises the weighted areas of false positives (below the threshold) and false negatives
    (above it) of the S-curve ``1 - (1 - s**r)**b``, as datasketch's ``MinHashLSH`` chooses it
    (which integrates with scipy; here Gauss-Legendre quadrature, exact to ~1e-15 for these
    polynomials of degree up to ``num_perm``)."""
    fp_weight, fn_weight = weights
    nodes, quad_weights = _leggauss(max(64, num_perm))
    below = [threshold / 2 * (x + 1) for x in nodes]  # [0, threshold]
    above = [threshold + (1 - threshold) / 2 * (x + 1) for x in nodes]  # [threshold, 1]
    best, best_error = (0, 0), math.inf
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = (
                threshold
                / 2
                * sum(w * (1 - (1 - s**r) ** b) for w, s in zip(quad_weights, below, strict=True))
            )
            fn = (
                (1 - threshold)
                / 2
                * sum(w * (1 - s**r) ** b for w, s in zip(quad_weights, above, strict=True))
            )
            error = fp * fp_weight + fn * fn_weight
            if error < best_error:
                best, best_error = (b, r), error
    return best


class BandIndex:
    """LSH over signatures: keys whose signatures agree on all the values of some band are each
    other's candidates.

    One open-addressing table for all bands: each entry is a band's Python hash (``array('q')``)
    and the number of the key it belongs to (``array('I')``), 12 bytes a slot, about 24 bytes an
    entry with the table between 3/8 and 3/4 full. With 32 bands that is under 1 KB a signature,
    where a dict of band hashes took 2.3 KB (a crawl keeps every article's signature)."""

    _EMPTY = 0  # the number in a free slot; keys are numbered from 1
    _GONE = 0xFFFFFFFF  # a removed entry's number: probing goes on past it

    def __init__(self, bands: int, rows: int) -> None:
        self.bands, self.rows = bands, rows
        self._keys: list[str | None] = [None]  # number -> key
        self._numbers: dict[str, int] = {}
        self._hashes = array("q", [0]) * 64
        self._owners = array("I", [0]) * 64
        self._used = 0  # slots holding an entry or a removed one

    def _band_hashes(self, values: Any) -> list[int]:
        raw = values.tobytes()
        width = 4 * self.rows
        return [hash((i, raw[i * width : (i + 1) * width])) for i in range(self.bands)]

    def insert(self, key: str, values: Any) -> None:
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = len(self._keys)
            self._keys.append(key)
        if 4 * (self._used + self.bands) > 3 * len(self._owners):
            self._resize()
        hashes, owners = self._hashes, self._owners
        mask = len(owners) - 1
        for band in self._band_hashes(values):
            slot = band & mask
            while owners[slot] != self._EMPTY:
                slot = (slot + 1) & mask
            hashes[slot], owners[slot] = band, number
        self._used += self.bands

    def remove(self, key: str, values: Any) -> None:
        number = self._numbers.get(key)
        if number is None:
            return
        hashes, owners = self._hashes, self._owners
        mask = len(owners) - 1
        for band in self._band_hashes(values):
            slot = band & mask
            while (owner := owners[slot]) != self._EMPTY:
                if owner == number and hashes[slot] == band:
                    owners[slot] = self._GONE
                    break
                slot = (slot + 1) & mask

    def candidates(self, values: Any) -> list[str]:
        """Keys sharing a band with ``values``, each once, in the order they were first
        inserted."""
        hashes, owners = self._hashes, self._owners
        mask = len(owners) - 1
        found: set[int] = set()
        for band in self._band_hashes(values):
            slot = band & mask
            while (owner := owners[slot]) != self._EMPTY:
                if hashes[slot] == band and owner != self._GONE:
                    found.add(owner)
                slot = (slot + 1) & mask
        keys = self._keys
        return [keys[n] for n in sorted(found)]  # type: ignore[misc]

    def _resize(self) -> None:
        """A table big enough to be at most 3/8 full (twice as big, or as big when removed
        entries filled it), live entries re-placed in their old order."""
        old_hashes, old_owners = self._hashes, self._owners
        live = sum(1 for owner in old_owners if owner not in (self._EMPTY, self._GONE))
        size = len(old_owners)
        while 8 * (live + self.bands) > 3 * size:
            size *= 2
        hashes = self._hashes = array("q", [0]) * size
        owners = self._owners = array("I", [0]) * size
        mask = size - 1
        for band, owner in zip(old_hashes, old_owners, strict=True):
            if owner in (self._EMPTY, self._GONE):
                continue
            slot = band & mask
            while owners[slot] != self._EMPTY:
                slot = (slot + 1) & mask
            hashes[slot], owners[slot] = band, owner
        self._used = live
