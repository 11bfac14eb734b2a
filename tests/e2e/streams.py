"""A hand-written Bluesky stream whose four metric files are known in advance.

Every line is built here with a fixed timestamp, in the shape of the reference producer's output
(docs/input.md); test_metrics_exact.py holds the expected files, worked out by hand from
docs/metrics.md, with the derivation beside each one. The comments here give each group's contribution.

The stream has three parts, as a live run brings them: each part's lines are shuffled (out of time
order on purpose), and each part ends with one chosen line that is landed without a trailing newline.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

WRITER = "did:plc:writer"  # author of every liked post
GHOST = "did:plc:ghost"  # author of every malformed line: none of its lines may count
LIKE = "app.bsky.feed.like"
POST = "app.bsky.feed.post"
SECOND = timedelta(seconds=1)


def at(clock: str) -> datetime:
    """A naive event time on 2026-02-14 from `HH:MM:SS[.ffffff]`."""
    return datetime.fromisoformat(f"2026-02-14T{clock}")


def post_uri(name: str) -> str:
    return f"at://{WRITER}/{POST}/{name}"


def event(
    repo: str | None,
    path: str | None,
    timestamp: datetime | str | None,
    record: dict[str, Any] | None,
    *,
    action: str = "create",
    reverse_keys: bool = False,
    ascii_only: bool = True,
    **extra: Any,
) -> bytes:
    """One line as the reference producer prints it, without newline; a None timestamp/path/repo is left out."""
    stamp = timestamp.isoformat() if isinstance(timestamp, datetime) else timestamp
    fields: dict[str, Any] = {
        "timestamp": stamp,
        "action": action,
        "path": path,
        "cid": None if action == "delete" else fake_cid(f"{repo}/{path}"),
        "prev": None,
        "py_type": "com.atproto.sync.subscribeRepos#repoOp",
        "record": record,
        "repo": repo,
        **extra,
    }
    for key in ("timestamp", "path", "repo"):
        if fields[key] is None:
            del fields[key]
    if reverse_keys:
        fields = dict(reversed(fields.items()))
    return json.dumps(fields, ensure_ascii=ascii_only).encode()


def fake_cid(seed: str) -> str:
    return "bafyrei" + hashlib.sha256(seed.encode()).hexdigest()[:40]


def like(
    repo: str,
    rkey: str,
    when: datetime | str,
    subject: str | None,
    *,
    uri_key: str = "subject",
    null_record: bool = False,
    action: str = "create",
    collection: str = LIKE,
    **options: Any,
) -> bytes:
    """A like of `subject` (record.subject.uri; `uri_key="uri"` puts it at record.uri instead)."""
    record: dict[str, Any] = {"$type": collection, "createdAt": "2026-02-14T00:00:00.000Z"}
    if subject is not None and uri_key == "subject":
        record["subject"] = {"cid": fake_cid(subject), "uri": subject}
    elif subject is not None:
        record["uri"] = subject
    if null_record or action == "delete":  # deletes carry no record
        return event(repo, f"{collection}/{rkey}", when, None, action=action, **options)
    return event(repo, f"{collection}/{rkey}", when, record, action=action, **options)


def post(
    repo: str, rkey: str, when: datetime, text: str, langs: list[str] | None, *, action: str = "create", **options: Any
) -> bytes:
    record: dict[str, Any] = {"$type": POST, "createdAt": "2026-02-14T00:00:00.000Z", "text": text}
    if langs is not None:
        record["langs"] = langs
    return event(repo, f"{POST}/{rkey}", when, record, action=action, **options)


def likes_every(repo: str, first: datetime, step: timedelta, count: int, subject_prefix: str) -> list[bytes]:
    """`count` likes by `repo`, `step` apart from `first`, each of its own post."""
    return [
        like(repo, f"3lk{index:04d}", first + index * step, post_uri(f"{subject_prefix}-{index:04d}"))
        for index in range(count)
    ]


def fans_like(post: str, times: Sequence[datetime | str], first_fan: int = 0, **options: Any) -> list[bytes]:
    """Likes of `post`, one per fan (did:plc:fan00, fan01, ...), at `times`."""
    return [
        like(f"did:plc:fan{first_fan + index:02d}", f"3lk{post}", when, post_uri(post), **options)
        for index, when in enumerate(times)
    ]


def seconds_from(clock: str, count: int, step: float = 1.0) -> list[datetime]:
    return [at(clock) + timedelta(seconds=step * index) for index in range(count)]


def ghost_like(clock: str) -> dict[str, Any]:
    """The fields of a like that would count in minute `clock` if its line were wrongly accepted."""
    return json.loads(like(GHOST, f"3lkghost{clock.replace(':', '')}", at(clock), post_uri("p11")))


def ghost_line(clock: str) -> bytes:
    return json.dumps(ghost_like(clock)).encode()


# The minute each malformed line would add to likes-per-minutes if it were wrongly accepted (lines
# without a usable timestamp have none; the line without path would become the newest event, 10:45).
GHOST_MINUTES = {
    "08:40": "invalid JSON (no closing brace)",
    "08:41": "invalid UTF-8",
    "08:42": "a JSON array",
    "08:44": "a JSON string",
    "08:45": "an object without repo",
    "08:47": "invalid JSON (a trailing comma before the closing brace)",
    "08:48": "a line cut short",
    "08:50": "an object with repo null",
}


# --- Part 1: 09:00-09:30 -----------------------------------------------------------------------

FAST_5999 = [  # 50 likes spanning 59.9 s, all in minute 09:00: listed with 50
    *likes_every("did:plc:fast5999", at("09:00:00.050000"), timedelta(seconds=1.2), 49, "fast5999"),
    like("did:plc:fast5999", "3lk0049", at("09:00:59.950000"), post_uri("fast5999-0049")),
]
SLOW_6000 = [  # 50 likes spanning exactly 60 s: 49 in minute 09:01, 1 in 09:02; peak 49, not listed
    like("did:plc:slow6000", "3lk0000", at("09:01:30"), post_uri("slow6000-0000")),
    *[
        like("did:plc:slow6000", f"3lk{index + 1:04d}", when, post_uri(f"slow6000-{index + 1:04d}"))
        for index, when in enumerate(seconds_from("09:01:31", 48, step=0.5))  # 09:01:31 .. 09:01:54.5
    ],
    like("did:plc:slow6000", "3lk0049", at("09:02:30"), post_uri("slow6000-0049")),
]
NEAR_49 = likes_every("did:plc:near49", at("09:03:10"), timedelta(seconds=0.2), 49, "near49")  # 9.6 s, 09:03
BURST_200 = [  # 200 likes with one timestamp, minute 09:04: listed with 200
    like("did:plc:burst200", f"3lk{index:04d}", at("09:04:05.123456"), post_uri(f"burst200-{index:04d}"))
    for index in range(200)
]
SPLIT_60 = likes_every("did:plc:split60", at("09:05:00.500000"), timedelta(seconds=0.5), 60, "split60")
SPLIT_60_PART_1, SPLIT_60_PART_2 = SPLIT_60[:30], SPLIT_60[30:]  # 09:05:00.5-09:05:15, 09:05:15.5-09:05:30
NULL_FAST = [  # 55 likes with record null, 09:06:00-09:06:54: listed with 55, never in trending
    like("did:plc:nullfast", f"3lk{index:04d}", when, None, null_record=True)
    for index, when in enumerate(seconds_from("09:06:00", 55))
]
ECHO_50 = likes_every("did:plc:echo50", at("09:07:00"), timedelta(seconds=0.1), 50, "echo50")  # 09:07:00-04.9
ZONED = [  # three zoned timestamps, all three in minute 09:07 UTC
    like("did:plc:zoned", "3lk0000", "2026-02-14T11:07:30+02:00", post_uri("zoned-0")),
    like("did:plc:zoned", "3lk0001", "2026-02-14T09:07:45.250000Z", post_uri("zoned-1")),
    like("did:plc:zoned", "3lk0002", "2026-02-14T04:07:50-05:00", post_uri("zoned-2")),
]
BIG_LINE = [  # a valid like of 1.5 MB (an unknown key, kept): minute 09:08
    like("did:plc:big", "3lk0000", at("09:08:20"), post_uri("p13"), padding="<binary>" * 200_000)
]
P12_OLD = fans_like("p12", [at("09:09:00")] * 10)  # minute 09:09, always before the trending window
P01_EDGES = [  # minute 09:29 (1) and 09:30 (1); outside the final trending window (09:30:00, 10:30:00]
    like("did:plc:edge1", "3lkp01", at("09:29:59.500000"), post_uri("p01")),
    like("did:plc:edge2", "3lkp01", at("09:30:00"), post_uri("p01")),
]
P01_JUST_INSIDE = like("did:plc:edge3", "3lkp01", at("09:30:00.000001"), post_uri("p01"))  # minute 09:30

ENGINEERING_POSTS_1 = [
    # E1 -> rust, duckdb
    post(
        "did:plc:e1",
        "3lpe1",
        at("09:08:00"),
        "Engineering! Rust and DuckDB in 2026 🚀 https://github.com/kafka @alice.bsky.social",
        ["en"],
        ascii_only=False,
    ),
    # E2 (spam) -> rust, pipeline
    post(
        "did:plc:e2",
        "3lpe2",
        at("09:08:01"),
        "#engineering with Rust: the " + "pipeline " * 10 + "is C and λ, 1000 https://github.com/parquet",
        ["en"],
        ascii_only=False,
    ),
    # E3 (pt) -> rust, duckdb, kafka; que, para, com are Portuguese stopwords, the English one
    post(
        "did:plc:e3",
        "3lpe3",
        at("09:08:02"),
        "ENGINEERING que para Rust e DuckDB com Kafka, the 42 @alice.bsky.social",
        ["pt-BR"],
        ascii_only=False,
    ),
    # E4 (de) -> software, rust, compiler, pipeline, kafka; und, der, die, mit are German stopwords
    post(
        "did:plc:e4",
        "3lpe4",
        at("09:08:03"),
        "Software-Engineering und der Rust-Compiler: die Pipeline mit Kafka 2026 https://github.com/duckdb",
        ["de"],
        ascii_only=False,
    ),
    # E5 (en) -> python, parquet, para, duckdb, die (para and die are not English stopwords)
    post(
        "did:plc:e5",
        "3lpe5",
        at("09:08:04"),
        "engineering: Python and Parquet para DuckDB, don\u2019t die @bob.bsky.social",
        ["en"],
        ascii_only=False,
    ),
]
NOT_ENGINEERING_1 = [
    post("did:plc:n1", "3lpn1", at("09:08:10"), "Reengineering Rust DuckDB Kafka Parquet Python Zig compiler", ["en"]),
    post("did:plc:n2", "3lpn2", at("09:08:11"), "Rust and Zig and Arrow, the DuckDB way", ["en"]),
]
OTHER_COLLECTIONS_1 = [
    like("did:plc:reposter", "3rp0", at("09:09:00"), post_uri("p12"), collection="app.bsky.feed.repost"),
    event("did:plc:fan00", "app.bsky.graph.follow/3fl0", at("09:09:30"), {"subject": WRITER}),
    event("did:plc:fan00", "app.bsky.actor.profile/self", at("09:09:31"), {"avatar": "<binary>"}, action="update"),
]
MALFORMED_1 = [  # 5 rejected lines; the would-be minutes (08:4x) show which one was wrongly accepted
    ghost_line("08:40:00")[:-1],  # invalid JSON: the closing brace is missing
    ghost_line("08:41:00").replace(b'"bafyrei', b'"baf\xff\xfeyrei'),  # invalid UTF-8
    b"[" + ghost_line("08:42:00") + b"]",  # a JSON array
    json.dumps({key: value for key, value in ghost_like("08:43:00").items() if key != "timestamp"}).encode(),
    json.dumps({**ghost_like("08:43:30"), "timestamp": "2026-02-14T25:43:30"}).encode(),  # hour 25
]
BLANKS_1 = [b"", b""]

PART_1_BODY = [
    *FAST_5999,
    *SLOW_6000,
    *NEAR_49,
    *BURST_200,
    *BURST_200[:10],  # replayed within the same part
    *SPLIT_60_PART_1,
    *NULL_FAST,
    *ECHO_50,
    *ZONED,
    *BIG_LINE,
    *P12_OLD,
    *P01_EDGES,
    *ENGINEERING_POSTS_1,
    *NOT_ENGINEERING_1,
    *OTHER_COLLECTIONS_1,
    *MALFORMED_1,
    *BLANKS_1,
]
PART_1_LAST = P01_JUST_INSIDE  # a good line without newline: it must count

# --- Part 2: 09:40-10:09, and the second half of split60's burst ---------------------------------

REPLAYS_2 = [
    *FAST_5999[:5],  # identical copies
    *BURST_200[-3:],
    # slow6000's first like again, seen later: the first copy's 09:01:30 must stay (taking this one
    # would make 50 likes in [09:01:31, 09:02:31) and list slow6000)
    like("did:plc:slow6000", "3lk0000", at("09:01:31"), post_uri("slow6000-0000")),
]
P05 = fans_like("p05", seconds_from("09:45:00.500000", 6))  # minute 09:45
TRENDING_2 = [
    *fans_like("p01", seconds_from("09:41:00", 8)),  # minute 09:41
    *fans_like("p02", seconds_from("09:42:00.250000", 3)),  # minute 09:42 (8 with the next two)
    *fans_like("p02", seconds_from("09:42:03.250000", 1), first_fan=3, uri_key="uri"),  # record.uri
    *fans_like("p02", seconds_from("09:42:04.250000", 4), first_fan=4),
    # p03 and p04 tie at 7; p04's likes come first in time, p03 first by post_uri
    *fans_like("p04", seconds_from("09:43:10", 7), reverse_keys=True),  # minute 09:43
    *fans_like("p03", seconds_from("09:44:20", 7), sig="<binary>"),  # minute 09:44
    *P05,
    *fans_like("p06", seconds_from("09:46:00", 2)),  # minute 09:46 (3 more land late in part 3)
    *fans_like("p07", seconds_from("10:08:57", 4)),  # minutes 10:08 (3) and 10:09 (1): newest after part 2
]
ENGINEERING_POSTS_2 = [
    # E6 (no langs: English stopwords only) -> para, python, parquet, latency
    post(
        "did:plc:e6",
        "3lpe6",
        at("09:50:00"),
        "ENGINEERING para Python Parquet latency 🚀 www.ziglang.org/download",
        None,
        ascii_only=False,
    ),
    # E7 (written with \\u escapes) -> rust, latency, compiler, para, die
    post(
        "did:plc:e7",
        "3lpe7",
        at("09:50:01"),
        "Rust rust RUST engineering latency compiler para λ 2026 die, don\u2019t",
        ["en"],
    ),
    # E8 (de and en) -> rust, duckdb, arrow
    post("did:plc:e8", "3lpe8", at("09:50:02"), "engineering mit #Rust und DuckDB, die Arrow", ["de", "en"]),
    # E9 -> python, dbt, zig
    post("did:plc:e9", "3lpe9", at("09:50:03"), "engineering in Python with dbt and Zig 🚀", ["en"], ascii_only=False),
]
NOT_ENGINEERING_2 = [  # each would add zig and latency if it were taken for an engineering post
    post("did:plc:n3", "3lpn3", at("09:50:10"), "Rust DuckDB Zig latency https://bsky.app/engineering", ["en"]),
    post("did:plc:n4", "3lpn4", at("09:50:11"), "@engineering.bsky.social Zig Arrow latency", ["en"]),
    post("did:plc:n5", "3lpn5", at("09:50:12"), "engineers love Rust; engineering_notes Zig latency", ["en"]),
    post("did:plc:n6", "3lpn6", at("09:51:00"), "engineering Zig Arrow latency", ["en"], action="update"),
    event("did:plc:n7", "com.example.feed.post/3lpn7", at("09:51:01"), {"text": "engineering Zig Arrow latency"}),
]
NOT_LIKES_2 = [
    like("did:plc:fast5999", "3lk0000", at("09:55:00"), None, action="delete"),  # retracts nothing
    like("did:plc:fan20", "3lkupd", at("09:56:00"), post_uri("p03"), action="update"),  # no minute 09:56
]
MALFORMED_2 = [  # 7 rejected lines
    json.dumps(ghost_line("08:44:00").decode()).encode(),  # a JSON string holding a like
    b"null",
    b"42",
    json.dumps({key: value for key, value in ghost_like("08:45:00").items() if key != "repo"}).encode(),
    # no path: if accepted, it would be the newest event and move the trending window
    json.dumps({key: value for key, value in ghost_like("10:45:00").items() if key != "path"}).encode(),
    json.dumps({**ghost_like("08:46:00"), "timestamp": "not a time"}).encode(),
    ghost_line("08:47:00")[:-1] + b", }",  # invalid JSON: a trailing comma
]
BLANKS_2 = [b""]

PART_2_BODY = [
    *SPLIT_60_PART_2,
    *REPLAYS_2,
    *TRENDING_2,
    *ENGINEERING_POSTS_2,
    *NOT_ENGINEERING_2,
    *NOT_LIKES_2,
    *MALFORMED_2,
    *BLANKS_2,
]
PART_2_LAST = ghost_line("08:48:00")[:70]  # a line cut short (rejected), without newline

# --- Part 3: 10:10-10:30, with late events and replays ------------------------------------------

TRENDING_3 = [
    *fans_like("p08", seconds_from("10:12:00", 3)),  # minute 10:12
    fans_like("p08", seconds_from("10:12:00", 1))[0],  # replayed within the same part
    *fans_like("p09", seconds_from("10:13:00", 2)),  # minute 10:13
    # p10 and p11 tie at 1 for the 10th place: p11's like comes first in time, p10 first by post_uri
    *fans_like("p11", [at("10:14:00")]),  # minute 10:14
    *fans_like("p10", [at("10:29:59.500000")]),  # minute 10:29
    like("did:plc:fan00", "3lkp10", at("10:29:59.800000"), None, action="delete"),  # retracts nothing
]
NO_SUBJECT_3 = [  # minute 10:20: 4 likes, none of them in trending
    *[
        like("did:plc:nullrec", f"3lk{index}", when, None, null_record=True)
        for index, when in enumerate(seconds_from("10:20:00", 3))
    ],
    like("did:plc:nosubject", "3lk0", at("10:20:03"), None),
]
NOT_LIKES_3 = [  # nothing here counts: no minute 10:21
    *[
        like(f"did:plc:fan{index:02d}", "3rp11", when, post_uri("p11"), collection="app.bsky.feed.repost")
        for index, when in enumerate(seconds_from("10:21:00", 5))
    ],
    *[
        like(f"did:plc:fan{index:02d}", "3lk11x", when, post_uri("p11"), collection="com.example.feed.like")
        for index, when in enumerate(seconds_from("10:21:10", 2))
    ],
    *[
        like(f"did:plc:fan{index:02d}", "3lkp11", when, post_uri("p11"), action="update")
        for index, when in enumerate(seconds_from("10:21:20", 3))
    ],
]
LATE_3 = [
    *fans_like("p06", [at("09:46:30"), at("09:46:31.500000"), at("09:46:32")], first_fan=2),  # 09:46: 2+3
    *fans_like("p12", seconds_from("09:20:00", 4), first_fan=10),  # minute 09:20, which had no like
    like("did:plc:latecomer", "3lk0000", at("09:00:30"), post_uri("late-0")),  # minute 09:00: 50+2
    like("did:plc:latecomer", "3lk0001", at("09:00:31"), post_uri("late-1")),
]
REPLAYS_3 = [
    *P05[:3],  # three of p05's likes, identical copies
    ENGINEERING_POSTS_2[1],  # E7 again
    # fast5999's 50th like again, seen later: the first copy's 09:00:59.95 must stay (taking this one
    # would move a like to minute 09:01 and break fast5999's 50 in [09:00:00.05, 09:01:00.05))
    like("did:plc:fast5999", "3lk0049", at("09:01:02"), post_uri("fast5999-0049")),
]
ENGINEERING_POSTS_3 = [
    # E10 -> kafka, sql, parquet
    post(
        "did:plc:e10",
        "3lpe10",
        at("10:25:00"),
        "Kafka, SQL & engineering—Parquet λ, don\u2019t C https://github.com/x",
        ["en"],
        ascii_only=False,
    ),
    # E11 -> zig
    post("did:plc:e11", "3lpe11", at("10:25:01"), "Zig engineering 🚀🚀", ["en"], ascii_only=False),
    event("did:plc:e12", f"{POST}/3lpe12", at("10:25:02"), None),  # a post with record null: no words
    event("did:plc:e2", f"{POST}/3lpe2", at("10:25:03"), None, action="delete"),  # retracts nothing
]
MALFORMED_3 = [  # 4 rejected lines
    b"{}",
    json.dumps({**ghost_like("08:49:00"), "timestamp": None}).encode(),
    json.dumps({**ghost_like("08:50:00"), "repo": None}).encode(),
    json.dumps({**ghost_like("08:51:00"), "timestamp": "2026-02-30T08:51:00"}).encode(),  # no such day
]
BLANKS_3 = [b"", b""]

PART_3_BODY = [
    *TRENDING_3,
    *NO_SUBJECT_3,
    *NOT_LIKES_3,
    *LATE_3,
    *REPLAYS_3,
    *ENGINEERING_POSTS_3,
    *MALFORMED_3,
    *BLANKS_3,
]
# The newest event of the whole stream, and not a like: the trending window is (09:30:00, 10:30:00].
PART_3_LAST = event("did:plc:fan01", "app.bsky.graph.follow/3fl1", at("10:30:00"), {"subject": WRITER})

REJECTED_LINES = len(MALFORMED_1) + len(MALFORMED_2) + 1 + len(MALFORMED_3)  # the 1: part 2's cut line


def shuffled(lines: Iterable[bytes], seed: int) -> list[bytes]:
    result = list(lines)
    random.Random(seed).shuffle(result)
    return result


PARTS: tuple[list[bytes], ...] = (
    [*shuffled(PART_1_BODY, 1), PART_1_LAST],
    [*shuffled(PART_2_BODY, 2), PART_2_LAST],
    [*shuffled(PART_3_BODY, 3), PART_3_LAST],
)
LINES: list[bytes] = [line for part in PARTS for line in part]


def split(cuts: Sequence[int], *, trailing_newline: bool) -> list[bytes]:
    """LINES cut before each index in `cuts`, each piece as one handle-stream input.

    Without `trailing_newline`, each piece's last line has no newline (so no line is ever glued to
    the next piece's first line: the pieces hold exactly the same lines however they are cut).
    """
    bounds = [0, *cuts, len(LINES)]
    pieces = []
    for start, end in itertools.pairwise(bounds):
        piece = b"\n".join(LINES[start:end])
        pieces.append(piece + b"\n" if trailing_newline else piece)
    return pieces


def three_parts() -> list[bytes]:
    """The stream as a live run brings it: three parts, each ending with a line without newline."""
    return split([len(PARTS[0]), len(PARTS[0]) + len(PARTS[1])], trailing_newline=False)
