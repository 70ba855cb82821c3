"""Stable hashes that seed every draw: hashlib, never Python's `hash()`, so the same seed serves
the same numbers in every process."""

from __future__ import annotations

import hashlib


def stable_int(*parts: object) -> int:
    """An 8-byte number of the parts (random.Random seeds, per-ticker profiles)."""
    text = "|".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def digest(*parts: object) -> bytes:
    """16 bytes of the parts (reference facts: FIGIs, event ids)."""
    return hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=16).digest()


def number(*parts: object) -> int:
    """A number from the first 8 bytes of `digest` (reference facts)."""
    return int.from_bytes(digest(*parts)[:8], "big")
