"""Hostile identifiers through ./handle-stream and ./periodic: nothing hostile reaches a metric file.

Repos and paths that are not atproto identifiers (spreadsheet formulas, line breaks, commas, quotes,
look-alike Unicode, over-long and empty values) are rejected, each with its reason; likes whose
subject is not a valid post AT-URI (formulas, feed generators, handles, extra parts) stay likes but
never trend. The genuine rows beside them stay exact, and the books balance. Every expected value
below is worked out from the stream as it is built here, never read from a run.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from tests.pipeline import METRIC_FILES, Workspace

WRITER = "did:plc:writer"
GENUINE_POST = f"at://{WRITER}/app.bsky.feed.post/3genuine"
OTHER_POST = f"at://{WRITER}/app.bsky.feed.post/3other"


def event(repo: Any, path: Any, clock: str, record: dict[str, Any] | None = None) -> bytes:
    fields = {"timestamp": f"2026-02-14T{clock}", "action": "create", "path": path, "repo": repo, "record": record}
    return json.dumps(fields, ensure_ascii=False).encode() + b"\n"


def like(repo: Any, rkey: str, clock: str, subject: Any) -> bytes:
    record = {"$type": "app.bsky.feed.like", "subject": {"uri": subject}}
    return event(repo, f"app.bsky.feed.like/{rkey}", clock, record)


def likes(repo: Any, prefix: str, count: int, subject: Any, minute: str = "09:00") -> list[bytes]:
    """`count` likes by `repo` within 30 s of `minute`:00, one every half second."""
    return [like(repo, f"{prefix}{i}", f"{minute}:{i // 2:02d}.{5 * (i % 2)}00000", subject) for i in range(count)]


# Repos and paths that are not atproto identifiers, each with the reason staging must give.
HOSTILE_REPOS = [
    "=cmd|' /C calc'!A0",
    "+1-555-0100",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "did:plc:evil\n=cmd",
    "did:plc:a,b",
    'did:plc:a"b',
    "did:plc:\uff45\uff56\uff49\uff4c",  # fullwidth letters
    "did:plc:\u0430bc",  # a Cyrillic a
    "DID:plc:upper",
    "did:plc:" + "a" * 3000,
    "",
]
HOSTILE_PATHS = [
    ('=HYPERLINK("http://x").bsky.feed/3x', "collection is not an NSID"),
    ("app.bsky.feed.like/=1+2", "record key is not valid"),
    ("app.bsky.feed.like/3a,b", "record key is not valid"),
    ("app.bsky.feed.like/" + "k" * 600, "record key is not valid"),
    ("app.bsky.feed.like", "path is not <collection>/<record key>"),
    ("app.bsky.feed.like/", "record key is not valid"),
]
# Subjects that are not AT-URIs of a post record: the likes count as likes, never as trending posts.
BAD_SUBJECTS = [
    '=HYPERLINK("http://evil.example","click")\n',
    f"{GENUINE_POST}\n=cmd",
    f"at://{WRITER}/app.bsky.feed.post/3a,b",
    f"at://{WRITER}/app.bsky.feed.generator/whats-hot",
    "at://alice.bsky.social/app.bsky.feed.post/3handle",
    f"{GENUINE_POST}/extra",
    "at://did:plc:\uff57riter/app.bsky.feed.post/3lookalike",  # a fullwidth w
    "",
]


def stream() -> tuple[bytes, dict[str, int]]:
    """The stream, and the rejected lines it holds by reason."""
    lines: list[bytes] = []
    rejected: Counter[str] = Counter()
    # Genuine: 55 likes of one post within 30 s (a fast liker), 3 of another, an engineering post.
    lines += likes("did:plc:genuine", "g", 55, GENUINE_POST)
    lines += likes("did:plc:other", "o", 3, OTHER_POST, minute="09:01")
    post = {"$type": "app.bsky.feed.post", "text": "Engineering =SUM(A1) @evil.example rust", "langs": ["en"]}
    lines.append(event(WRITER, "app.bsky.feed.post/3eng", "09:02:00", post))
    # Hostile repos: 60 likes each within 30 s, which would make each a fast liker.
    for number, repo in enumerate(HOSTILE_REPOS):
        lines += likes(repo, f"h{number}x", 60, GENUINE_POST, minute="09:03")
        rejected["repo is not a DID"] += 60
    for number, (path, reason) in enumerate(HOSTILE_PATHS):
        lines.append(event("did:plc:pathological", path, f"09:04:{number:02d}"))
        rejected[reason] += 1
    # A valid liker liking only things that are not posts, 60 within 30 s per subject kind: likes
    # (and a fast liker), but nothing trends.
    for number, subject in enumerate(BAD_SUBJECTS):
        lines += likes("did:plc:subjects", f"s{number}x", 60, subject, minute=f"09:{5 + number:02d}")
    return b"".join(lines), dict(rejected)


# Worked out from stream(): minutes 09:00 (55 genuine), 09:01 (3), and 60 likes in each of
# 09:05-09:12 by did:plc:subjects; the hostile repos' likes in 09:03 are rejected lines.
LIKES_PER_MINUTE = "time,likes\n2026-02-14 09:00:00,55\n2026-02-14 09:01:00,3\n" + "".join(
    f"2026-02-14 09:{minute:02d}:00,60\n" for minute in range(5, 13)
)
# did:plc:subjects: 60 likes within 30 s in each of eight minutes, peak 60; did:plc:genuine 55.
FAST_LIKERS = "user_id,likes\ndid:plc:subjects,60\ndid:plc:genuine,55\n"
# The one engineering post: "=SUM(A1)" gives "sum" and "a1"; the mention is removed.
TOP_WORDS = "word,count\na1,1\nrust,1\nsum,1\n"
# Newest event: the last like at 09:12:29.5; the window (08:12:29.5, 09:12:29.5] holds every like,
# but only the two genuine posts are valid post URIs.
TRENDING = f"post_uri,likes\n{GENUINE_POST},55\n{OTHER_POST},3\n"


def unsafe_cells(text: str) -> list[str]:
    """Cells a spreadsheet would run as a formula, or that break a row (OWASP CSV injection)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r") or "\n" in cell]


def test_hostile_identifiers_never_reach_the_metrics(workspace: Workspace) -> None:
    data, rejected_by_reason = stream()
    workspace.land(data)
    workspace.refresh()

    files = {name: workspace.metric(name) for name in METRIC_FILES}
    assert {name: unsafe_cells(text) for name, text in files.items()} == {name: [] for name in METRIC_FILES}
    assert files["likes-per-minutes.csv"] == LIKES_PER_MINUTE
    assert files["fast-likers.csv"] == FAST_LIKERS
    assert files["top-10-word.csv"] == TOP_WORDS
    assert files["trending-posts.csv"] == TRENDING

    # The books balance: every line is an event, a rejected line (with its reason) or blank.
    line_count = data.count(b"\n")
    lines, events, rejected, blank = workspace.warehouse(
        "select lines, events, rejected_lines, blank_lines from ops.periodic_runs"
    )[0]
    assert (lines, rejected, blank) == (line_count, sum(rejected_by_reason.values()), 0)
    assert events == line_count - rejected
    reasons = dict(
        workspace.warehouse("select reject_reason, count(*) from silver.int_lines_rejected group by reject_reason")
    )
    assert reasons == rejected_by_reason
