"""Where DuckDB and Spark read the same line differently, the rules still judge it alike: one line per
known difference, through ./periodic on both engines, each with the verdict worked out by hand.

The differences and how the models bridge them: transform/macros/engines/ and docs/scaling-out.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.streams import at, like, post_uri
from tests.spark.test_engine_parity import REJECTED_BY_REASON, SPARK, pytestmark, workspaces

__all__ = ["pytestmark"]

LIKER = "did:plc:difference"


def counted_like(clock: str, rkey: str) -> bytes:
    return like(LIKER, rkey, at(clock), post_uri("p01"))


def with_fields(line: bytes, **fields: object) -> bytes:
    return json.dumps({**json.loads(line), **fields}).encode()


# Each line, the engine whose own parser or cast would judge it otherwise, and the verdict.
LINES = [
    (counted_like("09:00:00", "g1") + b" x", "Spark's JSON parser ignores what follows a value", "invalid JSON"),
    (counted_like("09:00:01", "g2") + b"}", "Spark's JSON parser ignores what follows a value", "invalid JSON"),
    (counted_like("09:00:02", "g3")[:-1] + b', "n": NaN}', "DuckDB's JSON parser takes NaN", "invalid JSON"),
    (counted_like("09:00:03", "g4")[:-1] + b", }", "DuckDB's JSON parser takes a trailing comma", "invalid JSON"),
    (with_fields(counted_like("09:00:04", "g5"), timestamp="2026"), "Spark casts a bare year", "unparseable timestamp"),
    (
        with_fields(counted_like("09:00:05", "g6"), timestamp="2026-2-14 9:00:05"),
        "Spark casts one-digit fields",
        "unparseable timestamp",
    ),
    (
        with_fields(counted_like("09:00:06", "g7"), repo=LIKER + "\n"),
        "Java's $ matches before a final line break",
        "repo is not a DID",
    ),
    (
        with_fields(counted_like("09:00:07", "g8"), timestamp=None),
        "a JSON null is VOID on Spark, not NULL",
        "missing timestamp",
    ),
]
# Accepted on both: a lowercase z is UTC (Spark's cast refuses it), counted in minute 09:01.
ACCEPTED = [with_fields(counted_like("09:01:00", "z1"), timestamp="2026-02-14T09:01:00z")]


def test_each_difference_gets_the_same_verdict(tmp_path: Path) -> None:
    duck, spark = workspaces(tmp_path)
    stream = b"".join(line + b"\n" for line in [line for line, _, _ in LINES] + ACCEPTED)
    for workspace, env in ((duck, None), (spark, SPARK)):
        workspace.land(stream)
        workspace.refresh(env=env)
    expected: dict[str, int] = {}
    for _, _, reason in LINES:
        expected[reason] = expected.get(reason, 0) + 1
    assert dict(duck.snapshot(REJECTED_BY_REASON)) == expected
    assert dict(spark.snapshot(REJECTED_BY_REASON)) == expected
    assert spark.metric("likes-per-minutes.csv") == "time,likes\n2026-02-14 09:01:00,1\n"
    assert spark.metrics() == duck.metrics()
