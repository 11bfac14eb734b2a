"""AT Protocol identifiers for the simulated stream: DIDs, record keys (TIDs) and CIDs, in bulk and fast.

The formats are the real ones (did:plc, base32-sortable TIDs, CIDv1 `bafyrei...`); the values are random.
"""

from __future__ import annotations

import numpy as np

# did:plc and CIDv1 use RFC 4648 base32, lower case; TIDs use the same letters reordered to sort by time.
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
BASE32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
CID_PREFIX = "bafyrei"  # CIDv1, dag-cbor, sha2-256: 59 characters in all
CID_BODY_LENGTH = 52

# Every 10-bit value as its two TID characters: a TID is then a few table look-ups.
_TID_PAIRS = [BASE32_SORTABLE[value >> 5] + BASE32_SORTABLE[value & 31] for value in range(1024)]


def random_strings(rng: np.random.Generator, count: int, length: int, alphabet: str = BASE32) -> list[str]:
    """`count` random strings of `length` characters from a 32-character `alphabet`."""
    table = np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)
    text = table[rng.integers(0, 32, size=(count, length))].tobytes().decode("ascii")
    return [text[start : start + length] for start in range(0, len(text), length)]


def random_dids(rng: np.random.Generator, count: int) -> list[str]:
    """`count` did:plc identifiers (24 base32 characters after the method)."""
    return ["did:plc:" + body for body in random_strings(rng, count, 24)]


def tid_high(micros: int) -> str:
    """The first 7 characters of the TID of `micros`: they change about once a second, so callers cache them."""
    value = micros >> 20
    return "".join(BASE32_SORTABLE[(value >> shift) & 31] for shift in range(30, -1, -5))


def tid(micros: int, clock_id: int, high: str | None = None) -> str:
    """The 13-character TID of a time in microseconds and a 10-bit clock id: sortable by time.

    A TID is 64 bits (a zero bit, 53 bits of microseconds, 10 bits of clock id) in base32-sortable.
    """
    return (
        (tid_high(micros) if high is None else high)
        + _TID_PAIRS[(micros >> 10) & 1023]
        + _TID_PAIRS[micros & 1023]
        + _TID_PAIRS[clock_id]
    )


def tid_pairs() -> list[str]:
    """The two-character table behind `tid`, for loops that inline it."""
    return _TID_PAIRS
