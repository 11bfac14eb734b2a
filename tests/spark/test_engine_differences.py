"""Where DuckDB and Spark read a line differently, the rules still judge it alike: the hostile
identifiers of tests/e2e and one line per known difference between the engines, in one stream through
./periodic on both engines, each verdict worked out by hand. One difference is kept, and pinned here:
a line with a key twice (DuckDB reads the first value, Spark rejects the line).

The differences and how the models bridge them: transform/macros/engines/ and docs/scaling-out.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.e2e import test_hostile_identifiers as hostile
from tests.e2e.streams import at, like, post, post_uri
from tests.spark.engines import REJECTED_BY_REASON, SPARK, SPARK_TESTS, engine_workspaces

pytestmark = SPARK_TESTS

LIKER = "did:plc:difference"
AUTHOR = "did:plc:author"
LIKED_POST = post_uri("p01")


def counted_like(clock: str, rkey: str) -> bytes:
    """A like that counts in minute 09:12, where the hostile stream's last likes are."""
    return like(LIKER, rkey, at(clock), LIKED_POST)


def with_fields(line: bytes, **fields: object) -> bytes:
    return json.dumps({**json.loads(line), **fields}).encode()


# Lines that one engine's own parser or cast would judge otherwise: (line, why, the verdict of both).
REJECTED = [
    (counted_like("09:12:00", "g1") + b" x", "Spark's JSON parser ignores what follows a value", "invalid JSON"),
    (counted_like("09:12:01", "g2") + b"}", "Spark's JSON parser ignores what follows a value", "invalid JSON"),
    (counted_like("09:12:02", "g3")[:-1] + b', "n": NaN}', "DuckDB's JSON parser takes NaN", "invalid JSON"),
    (counted_like("09:12:03", "g4")[:-1] + b", }", "DuckDB's JSON parser takes a trailing comma", "invalid JSON"),
    (with_fields(counted_like("09:12:04", "g5"), timestamp="2026"), "Spark casts a bare year", "unparseable timestamp"),
    (
        with_fields(counted_like("09:12:05", "g6"), timestamp="2026-2-14 9:12:05"),
        "Spark casts one-digit fields",
        "unparseable timestamp",
    ),
    (
        with_fields(counted_like("09:12:06", "g7"), repo=LIKER + "\n"),
        "Java's $ matches before a final line break",
        "repo is not a DID",
    ),
    (
        with_fields(counted_like("09:12:07", "g8"), timestamp=None),
        "a JSON null is VOID on Spark, not NULL",
        "missing timestamp",
    ),
    # DuckDB's cast takes words, zone names and tabs (infinity would move stream time to the year 9999).
    (
        with_fields(counted_like("09:12:13", "t1"), timestamp="infinity"),
        "DuckDB casts infinity",
        "unparseable timestamp",
    ),
    (with_fields(counted_like("09:12:14", "t2"), timestamp="epoch"), "DuckDB casts epoch", "unparseable timestamp"),
    (
        with_fields(counted_like("09:12:15", "t3"), timestamp="2026-02-14 09:12:15 UTC"),
        "DuckDB casts a zone name",
        "unparseable timestamp",
    ),
    (
        with_fields(counted_like("09:12:16", "t4"), timestamp="\t2026-02-14T09:12:16"),
        "DuckDB casts past a leading tab",
        "unparseable timestamp",
    ),
    (
        with_fields(counted_like("09:12:17", "t5"), timestamp="2026-02-14T09:12:17+02:00\n"),
        "Java's $ matches before a final line break",
        "unparseable timestamp",
    ),
]
# Accepted on both: a lowercase z is UTC (Spark's cast refuses it): one like in minute 09:12.
LOWERCASE_Z = with_fields(counted_like("09:12:08", "z1"), timestamp="2026-02-14T09:12:08z")
# Posts whose words depend on the engines' patterns and on the stopwords seed (lowercase words, by hand):
POSTS = [
    # Java's \s also matches a vertical tab, RE2's does not: the link runs on through "\vtabword".
    post(AUTHOR, "3vt", at("09:12:10"), "Engineering rust https://example.com/a\u000btabword", ["en"]),
    # The typographic apostrophe becomes ', and a word may hold one (Spark keeps '' as two characters).
    post(AUTHOR, "3ap", at("09:12:11"), "Engineering at O\u2019Reilly", ["en"]),
    # d'un is a Catalan stopword (dbt-spark's seeds break on an apostrophe).
    post(AUTHOR, "3ca", at("09:12:12"), "Engineering d'un programari", ["ca"]),
    # Java lowercases İ to two characters and a final Σ to ς; DuckDB one character at a time.
    post(AUTHOR, "3lc", at("09:12:18"), "Engineering \u0130STANBUL \u039f\u0394\u039f\u03a3", ["en"]),
]
# The hostile stream's one engineering post gives a1, rust and sum; these add rust, o'reilly,
# programari, istanbul and the Greek for road, lowercase with a medial sigma ("at" is an English
# stopword, "engineering" is left out, the link and d'un removed).
GREEK_ROAD = "\u03bf\u03b4\u03bf\u03c3"
TOP_WORDS = f"word,count\nrust,2\na1,1\nistanbul,1\no'reilly,1\nprogramari,1\nsum,1\n{GREEK_ROAD},1\n"
# The hostile stream's minute 09:12 had 60 likes; the lowercase-z like adds one (the newest event stays
# the hostile stream's 09:12:29.5, so every like is in the trending window).
LIKES_PER_MINUTE = hostile.LIKES_PER_MINUTE.replace("09:12:00,60\n", "09:12:00,61\n")
TRENDING = f"post_uri,likes\n{hostile.GENUINE_POST},55\n{hostile.OTHER_POST},3\n{LIKED_POST},1\n"
# The difference that is kept: a like with its repo twice, in a minute of its own.
DUPLICATED_KEY = counted_like("09:13:00", "d1")[:-1] + b', "repo": "did:plc:second"}'


def test_each_difference_gets_the_same_verdict(tmp_path: Path) -> None:
    duck, spark = engine_workspaces(tmp_path)
    data, rejected_by_reason = hostile.stream()
    lines = [line for line, _, _ in REJECTED] + [LOWERCASE_Z, *POSTS, DUPLICATED_KEY]
    data += b"".join(line + b"\n" for line in lines)
    for workspace, env in ((duck, None), (spark, SPARK)):
        workspace.land(data)
        workspace.refresh(env=env)

    expected = Counter(rejected_by_reason) + Counter(reason for _, _, reason in REJECTED)
    assert dict(duck.snapshot(REJECTED_BY_REASON)) == expected
    assert dict(spark.snapshot(REJECTED_BY_REASON)) == expected + Counter({"invalid JSON": 1})
    for workspace in (duck, spark):
        assert workspace.metric("top-10-word.csv") == TOP_WORDS
        assert workspace.metric("fast-likers.csv") == hostile.FAST_LIKERS
    # DuckDB counts the line with a key twice (by its first repo) in minute 09:13; Spark rejects it.
    assert duck.metric("likes-per-minutes.csv") == LIKES_PER_MINUTE + "2026-02-14 09:13:00,1\n"
    assert spark.metric("likes-per-minutes.csv") == LIKES_PER_MINUTE
    # Its like moves DuckDB's trending window to end at 09:13:00: the genuine likes of 09:00 stay in.
    assert duck.metric("trending-posts.csv") == TRENDING.replace(f"{LIKED_POST},1", f"{LIKED_POST},2")
    assert spark.metric("trending-posts.csv") == TRENDING
