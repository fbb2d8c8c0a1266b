"""Content hashes and a compact multiset of 64-bit digests.

Duplicate-id detection and resuming must remember one key per document of the run. A
Python ``set`` of ints costs ~70 bytes a key (700 MB for ten million documents); two flat
numpy arrays with open addressing cost ~24 bytes at worst, so memory stays small however
large the corpus.
"""
from __future__ import annotations

import hashlib

import numpy as np


def content_hash(data: bytes | str) -> str:
    """A short stable hash of a document's content (its text, or its raw bytes when unreadable)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def digest64(*parts: str) -> int:
    """A 64-bit digest of the parts; never 0 (0 marks an empty slot)."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return int.from_bytes(h.digest(), "little") or 1


class DigestCounter:
    """A multiset of non-zero 64-bit ints: ``add`` counts one in, ``take`` counts one out."""

    def __init__(self, capacity: int = 1024):
        size = 1 << max(4, (capacity * 2 - 1).bit_length())
        self._keys = np.zeros(size, dtype=np.uint64)
        self._counts = np.zeros(size, dtype=np.uint32)
        self._used = 0
        self._total = 0

    def __len__(self) -> int:
        return self._total

    def _slot(self, key: int) -> int:
        keys = self._keys
        mask = len(keys) - 1
        i = key & mask
        while True:
            k = int(keys[i])
            if k == 0 or k == key:
                return i
            i = (i + 1) & mask

    def count(self, key: int) -> int:
        return int(self._counts[self._slot(key)])

    def add(self, key: int) -> int:
        """Count ``key`` in; return how many times it was in before."""
        i = self._slot(key)
        before = int(self._counts[i])
        if int(self._keys[i]) == 0:
            self._keys[i] = key
            self._used += 1
        self._counts[i] = before + 1
        self._total += 1
        if self._used * 2 > len(self._keys):
            self._grow()
        return before

    def take(self, key: int) -> bool:
        """Count one ``key`` out if there is one; a taken-out key keeps its slot (no deletion)."""
        i = self._slot(key)
        if self._counts[i] == 0:
            return False
        self._counts[i] -= 1
        self._total -= 1
        return True

    def _grow(self) -> None:
        keys, counts = self._keys, self._counts
        self._keys = np.zeros(len(keys) * 2, dtype=np.uint64)
        self._counts = np.zeros(len(keys) * 2, dtype=np.uint32)
        for i in np.flatnonzero(keys):
            j = self._slot(int(keys[i]))
            self._keys[j] = keys[i]
            self._counts[j] = counts[i]
