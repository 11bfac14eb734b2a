"""The simulator's identifiers have the AT Protocol's formats: TIDs that encode their time, did:plc DIDs."""

from __future__ import annotations

import re

import numpy as np

from bluesky_pipeline.producer.ids import random_dids, tids

SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


def decode_tid(tid: str) -> tuple[int, int]:
    """(microseconds, clock id) of a TID, decoded independently of the encoder."""
    value = 0
    for character in tid:
        value = value * 32 + SORTABLE.index(character)
    return value >> 10, value & 1023


def test_tids_encode_their_time_and_clock_id_and_sort_by_time() -> None:
    rng = np.random.default_rng(0)
    micros = np.sort(rng.integers(1_600_000_000_000_000, 1_900_000_000_000_000, 1000))
    clock_ids = rng.integers(0, 1024, 1000)
    encoded = [tid.decode() for tid in tids(micros, clock_ids).view("S13").tolist()]
    assert all(len(tid) == 13 and tid[0] in "234567abcdefghij" for tid in encoded)
    assert [decode_tid(tid) for tid in encoded] == list(zip(micros.tolist(), clock_ids.tolist(), strict=True))
    assert encoded == sorted(encoded)


def test_dids_are_did_plc() -> None:
    dids = [did.decode() for did in random_dids(np.random.default_rng(1), 100).view("S32").tolist()]
    assert all(re.fullmatch(r"did:plc:[a-z2-7]{24}", did) for did in dids)
    assert len(set(dids)) == 100
