"""AT Protocol identifiers for the simulated stream: DIDs, record keys (TIDs) and CIDs, made in bulk.

The formats are the real ones (did:plc, base32-sortable TIDs, CIDv1 `bafyrei...`); the values are random.
They come as arrays of fixed-width byte strings, one identifier each, ready for render.py.
"""

from __future__ import annotations

import numpy as np

from bluesky_pipeline.producer.render import byte_strings

# did:plc and CIDv1 use RFC 4648 base32, lower case; TIDs use the same letters reordered to sort by time.
BASE32 = b"abcdefghijklmnopqrstuvwxyz234567"
BASE32_SORTABLE = b"234567abcdefghijklmnopqrstuvwxyz"
DID_PREFIX = b"did:plc:"
DID_LENGTH = len(DID_PREFIX) + 24
CID_PREFIX = b"bafyrei"  # CIDv1, dag-cbor, sha2-256: 59 characters in all
CID_LENGTH = 59
TID_LENGTH = 13

_BASE32 = np.frombuffer(BASE32, dtype=np.uint8)
_BASE32_SORTABLE = np.frombuffer(BASE32_SORTABLE, dtype=np.uint8)
# A TID is 64 bits (a zero bit, 53 bits of microseconds, 10 bits of clock id), 5 bits a character.
_TID_SHIFTS = np.arange(5 * (TID_LENGTH - 1), -1, -5, dtype=np.uint64)


def random_base32(rng: np.random.Generator, count: int, length: int) -> np.ndarray:
    """`count` strings of `length` random base32 characters."""
    return byte_strings(_BASE32[rng.integers(0, 32, size=(count, length))])


def random_dids(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` did:plc identifiers."""
    dids = np.empty((count, DID_LENGTH), dtype=np.uint8)
    dids[:, : len(DID_PREFIX)] = np.frombuffer(DID_PREFIX, dtype=np.uint8)
    dids[:, len(DID_PREFIX) :] = _BASE32[rng.integers(0, 32, size=(count, DID_LENGTH - len(DID_PREFIX)))]
    return byte_strings(dids)


def tids(micros: np.ndarray, clock_ids: np.ndarray) -> np.ndarray:
    """The TIDs (13 characters, sortable by time) of times in microseconds and 10-bit clock ids."""
    value = (micros.astype(np.uint64) << np.uint64(10)) | clock_ids.astype(np.uint64)
    return byte_strings(_BASE32_SORTABLE[(value[:, None] >> _TID_SHIFTS) & np.uint64(31)])
