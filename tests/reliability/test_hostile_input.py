"""Hostile input through the real executables (docs/input.md), generated with hypothesis.

Random bytes, random JSON, wrong types in every field, deep nesting and huge strings, interleaved
with valid events: handle-stream lands every line byte for byte, ./periodic never fails, and the
books balance: lines in = events accepted + lines rejected (each with a reason) + blank lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pipeline import Workspace
from tests.reliability.files import bronze_with_sizes, metric_files_problems
from tests.reliability.streams import split_lines

pytestmark = pytest.mark.reliability

EXAMPLES = 15  # one handle-stream run each, all into one workspace, then a single ./periodic
LANDING_CAP = 4 << 20  # handle-stream's default --max-line-mb
REFERENCE_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?")

VALID = {
    "timestamp": "2026-01-01T00:00:05.250000",
    "action": "create",
    "path": "app.bsky.feed.like/3hostile00001",
    "cid": "bafyreihostile",
    "prev": None,
    "py_type": "com.atproto.sync.subscribeRepos#repoOp",
    "record": {
        "$type": "app.bsky.feed.like",
        "createdAt": "2026-01-01T00:00:05.100Z",
        "subject": {"cid": "bafyreipost", "uri": "at://did:plc:author/app.bsky.feed.post/3post"},
    },
    "repo": "did:plc:hostileliker",
}


def line(value: Any, *, newline: bool = True) -> bytes:
    return json.dumps(value).encode() + (b"\n" if newline else b"")


def variant(**changes: Any) -> dict[str, Any]:
    """VALID with fields replaced (a value of `...` removes the field)."""
    event = {**VALID, **changes}
    return {key: value for key, value in event.items() if value is not ...}


# The hostile cases docs/input.md names, each with the kind of line the staging model must see.
GAUNTLET: list[tuple[bytes, str]] = [
    (b"\n", "blank"),
    (b" \t \r\n", "blank"),
    (b"not json at all\n", "rejected"),
    (b'{"timestamp": "2026-01-01T00:00:00", "path": \n', "rejected"),
    (b"\xff\xfe\xfa{}\n", "rejected"),
    (line(VALID).replace(b"hostileliker", b"\xc3\x28hostile"), "rejected"),  # invalid UTF-8 inside a value
    (b"[1, 2, 3]\n", "rejected"),
    (b'"a string"\n', "rejected"),
    (b"null\n", "rejected"),
    (b"42\n", "rejected"),
    (line(variant(timestamp=...)), "rejected"),
    (line(variant(path=...)), "rejected"),
    (line(variant(repo=...)), "rejected"),
    (line(variant(timestamp=1767225600)), "rejected"),
    (line(variant(timestamp="yesterday")), "rejected"),
    (line(variant(timestamp="2026-13-45T99:99:99")), "rejected"),
    (line(variant(path="app.bsky.feed.like")), "rejected"),
    (line(variant(path="/3abc")), "rejected"),
    (line(variant(path=["app.bsky.feed.like", "3abc"])), "rejected"),
    (line(variant(repo="")), "rejected"),
    (line(variant(repo="=cmd|' /C calc'!A0")), "rejected"),
    (line(variant(repo="did:plc:\uff45\uff56\uff49\uff4c")), "rejected"),  # fullwidth look-alikes
    (line(variant(repo="did:plc:" + "a" * 2041)), "rejected"),  # one over the 2,048 characters of a DID
    (line(variant(path="app.bsky.feed.like/=1+2")), "rejected"),
    (line(variant(path="=HYPERLINK.bsky.feed/3x")), "rejected"),
    (line(variant(repo=5)), "rejected"),
    (line(variant(repo=None)), "rejected"),
    (line(VALID), "event"),
    (line(VALID), "event"),  # the same event twice: staged twice, deduplicated later
    (line(variant(timestamp="2026-01-01T00:00:05")), "event"),  # isoformat drops a zero fraction
    (line(variant(timestamp="2026-01-01T00:00:05Z", path="app.bsky.feed.like/3z")), "event"),
    (line(variant(timestamp="2026-01-01T02:00:05+02:00", path="app.bsky.feed.like/3tz")), "event"),
    (line(variant(record=None, path="app.bsky.feed.like/3nullrecord")), "event"),
    (line(variant(record={"$type": "app.bsky.feed.like", "uri": "at://did:plc:a/app.bsky.feed.post/3u"})), "event"),
    (line(variant(extra={"unknown": [1, 2]}, path="app.bsky.feed.like/3extra")), "event"),
    (line(dict(reversed(list(variant(path="app.bsky.feed.like/3reversed").items())))), "event"),
    (line(variant(action="delete", record=...)), "event"),
    (line(variant(action="update")), "event"),
    (
        line(variant(path="com.example.thirdparty/3x", record={"$type": "com.example.thirdparty", "b": "<binary>"})),
        "event",
    ),
    # Megabytes: under the landing cap an event like any other; over it, dead-lettered with its size.
    (line(variant(path="app.bsky.feed.post/3huge", record={"text": "engineering " * 150_000})), "event"),
    (line(variant(path="app.bsky.feed.post/3huger", record={"text": "x" * (LANDING_CAP + (2 << 20))})), "rejected"),
    (line(variant(path="app.bsky.feed.like/3lastline"), newline=False), "event"),  # no final newline
]


# --- hypothesis strategies -------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
timestamp_like = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.tuples(
        st.datetimes().map(lambda moment: moment.isoformat()),
        st.sampled_from(["Z", "z", "+02:00", "-0530", "+24:00", "+99:99", "-00:00", " ", "T"]),
    ).map("".join),
    st.from_regex(r"\A\d{1,6}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d{1,9})?)?\Z"),
)
path_like = st.one_of(
    st.tuples(
        st.sampled_from(["app.bsky.feed.like", "app.bsky.feed.post", "app.bsky.graph.follow", "", "x"]),
        st.sampled_from(["/", "//", "", "/a/b"]),
        st.text(max_size=12),
    ).map("".join),
    st.text(max_size=20),
)
FIELDS = ("timestamp", "path", "repo", "action", "record", "cid", "prev", "py_type")
RECORD_FIELDS = ("$type", "createdAt", "subject", "uri", "text", "langs", "facets", "embed")


@st.composite
def wrong_typed_events(draw: st.DrawFn) -> bytes:
    """An event with some fields replaced by values of any type (or removed), top level and in record."""
    collection = draw(st.sampled_from(["app.bsky.feed.like", "app.bsky.feed.post", "app.bsky.feed.repost"]))
    event = variant(path=f"{collection}/3wrong{draw(st.integers(0, 10**6))}")
    event["record"] = {"$type": collection, "text": "engineering rust #engineering", "langs": ["en"]}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        event[field] = draw(
            json_values | (timestamp_like if field == "timestamp" else path_like if field == "path" else json_values)
        )
    if isinstance(event.get("record"), dict):
        for field in draw(st.lists(st.sampled_from(RECORD_FIELDS), max_size=4, unique=True)):
            event["record"][field] = draw(json_values)
    return json.dumps(event).encode()


@st.composite
def deeply_nested(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(min_value=1, max_value=50_000))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    nested = opening * depth + "1" + closing * depth
    if draw(st.booleans()):
        return nested.encode()
    # A well-formed event carrying the nesting in its record.
    path = f"app.bsky.feed.post/3deep{depth}"
    return (
        f'{{"timestamp": "2026-01-01T00:00:07", "path": "{path}", "repo": "did:plc:deep", "record": {nested}}}'.encode()
    )


@st.composite
def huge_events(draw: st.DrawFn) -> bytes:
    size = draw(st.integers(min_value=10_000, max_value=600_000))
    words = draw(st.sampled_from(["engineering rust ", "x", "é😀 ", '\\"\\u0000 ']))
    text = (words * (size // len(words) + 1))[:size]
    return line(variant(path=f"app.bsky.feed.post/3huge{size}", record={"text": text}), newline=False)


def hostile_streams(valid_lines: list[bytes]) -> st.SearchStrategy[bytes]:
    valid = st.sampled_from(valid_lines).map(lambda raw: raw.rstrip(b"\n"))
    pieces = st.one_of(
        valid,
        st.binary(max_size=200),
        st.text(max_size=100).map(lambda text: text.encode("utf-8", "surrogatepass")),
        json_values.map(lambda value: json.dumps(value).encode()),
        wrong_typed_events(),
        deeply_nested(),
        huge_events(),
        st.text(alphabet=" \t\r", max_size=4).map(str.encode),
    )
    return st.tuples(st.lists(pieces, min_size=1, max_size=20), st.booleans()).map(
        lambda drawn: b"\n".join(drawn[0]) + (b"\n" if drawn[1] else b"")
    )


# --- what a line must become -----------------------------------------------------------------


def python_view(raw: bytes) -> str:
    """How a line looks to Python's own parsers: blank, invalid-utf8, invalid-json, not-object, object, unknown."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid-utf8"
    body = text.strip(" \t\r\n")
    if not body:
        return "blank"
    try:
        value = json.loads(body, strict=False)
    except RecursionError:
        return "unknown"  # nested deeper than Python parses; DuckDB may judge it either way
    except ValueError:
        return "invalid-json"
    return "object" if isinstance(value, dict) else "not-object"


# The atproto identifier syntax (atproto.com/specs: did, nsid, record-key), written again here from
# the specifications so the staging model's checks are compared with an independent implementation.
DID = re.compile(r"did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]")
NSID_AUTHORITY_SEGMENT = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")
NSID_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9]{0,62}")
RECORD_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")


def is_did(value: str) -> bool:
    return len(value) <= 2048 and DID.fullmatch(value) is not None


def is_nsid(value: str) -> bool:
    *authority, name = value.split(".")
    return (
        len(value) <= 317
        and len(authority) >= 2
        and len(".".join(authority)) <= 253
        and all(NSID_AUTHORITY_SEGMENT.fullmatch(segment) for segment in authority)
        and not authority[0][:1].isdigit()
        and NSID_NAME.fullmatch(name) is not None
    )


def is_record_key(value: str) -> bool:
    return RECORD_KEY.fullmatch(value) is not None and value not in (".", "..")


def has_usable_fields(raw: bytes) -> bool:
    """True when the line is an object whose timestamp is a string, repo a DID, path <NSID>/<record key>."""
    try:
        value = json.loads(raw.decode("utf-8"), strict=False)
    except (ValueError, RecursionError):
        return False
    if not isinstance(value, dict):
        return False
    timestamp, path, repo = value.get("timestamp"), value.get("path"), value.get("repo")
    if not (isinstance(timestamp, str) and isinstance(path, str) and isinstance(repo, str) and "/" in path):
        return False
    collection, _, record_key = path.partition("/")
    return is_did(repo) and is_nsid(collection) and is_record_key(record_key)


def kind_problem(raw: bytes, kind: str, reason: str | None, valid_bodies: set[bytes]) -> str | None:
    """Why the staging model's judgement of `raw` is wrong (None when it is acceptable)."""
    if (kind == "rejected") != (reason is not None):
        return f"{kind} with reason {reason!r}"
    view = python_view(raw)
    if raw.rstrip(b"\n") in valid_bodies and kind != "event":
        return f"a valid event was {kind} ({reason})"
    if view == "blank" and kind != "blank":
        return f"a blank line was {kind} ({reason})"
    if view in ("invalid-utf8", "invalid-json", "not-object") and kind != "rejected":
        return f"a line that is {view} was {kind}"
    if kind == "event" and view != "unknown" and not has_usable_fields(raw):
        return "an event without a usable timestamp, path and repo was accepted"
    return None


def is_reference_event(raw: bytes) -> bool:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return (
        isinstance(value, dict)
        and isinstance(value.get("timestamp"), str)
        and bool(REFERENCE_TIMESTAMP.fullmatch(value["timestamp"]))
        and has_usable_fields(raw)
    )


def test_hostile_lines_land_byte_exact_and_the_books_balance(workspace: Workspace, stream_lines: list[bytes]) -> None:
    valid_lines = [raw for raw in stream_lines[:3000] if is_reference_event(raw)]
    valid_bodies = {raw.rstrip(b"\n") for raw in valid_lines} | {
        raw.rstrip(b"\n") for raw, kind in GAUNTLET if kind == "event"
    }
    sent: list[bytes] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(hostile_streams(valid_lines))
    def lands_byte_exact(stream: bytes) -> None:
        before = len(sent)
        landed = workspace.land(stream)
        assert b"Traceback" not in landed.stderr
        expected = split_lines(stream)
        rows = bronze_with_sizes(workspace.data_dir)[before:]
        assert [raw for raw, _ in rows] == expected
        assert [size for _, size in rows] == [None] * len(expected)
        sent.extend(expected)

    lands_byte_exact()
    huge_valid = [raw for raw in sent if len(raw) > 10_000 and is_reference_event(raw)]
    valid_bodies |= {raw.rstrip(b"\n") for raw in huge_valid}

    gauntlet = b"".join(raw for raw, _ in GAUNTLET)
    workspace.land(gauntlet)
    rows = bronze_with_sizes(workspace.data_dir)
    assert len(rows) == len(sent) + len(GAUNTLET)
    for (raw, size), (expected, _) in zip(rows[len(sent) :], GAUNTLET, strict=True):
        if len(expected) > LANDING_CAP:
            assert (raw, size) == (expected[:LANDING_CAP], len(expected))  # cut, its full size recorded
        else:
            assert (raw, size) == (expected, None)
    sent.extend(raw for raw, _ in GAUNTLET)

    refreshed = workspace.refresh()
    assert b"Traceback" not in refreshed.stderr
    assert metric_files_problems(workspace.metrics_dir) == []

    staged = workspace.warehouse(
        "select line_kind, reject_reason from transit.silver.stg_bronze__lines order by file_seq, line_no"
    )
    assert len(staged) == len(sent)
    problems = []
    for index, (raw, (kind, reason)) in enumerate(zip(sent, staged, strict=True)):
        gauntlet_index = index - (len(sent) - len(GAUNTLET))
        if gauntlet_index >= 0 and kind != GAUNTLET[gauntlet_index][1]:
            problems.append(f"gauntlet line {gauntlet_index} was {kind} ({reason}): {raw[:120]!r}")
        problem = kind_problem(raw, str(kind), reason if reason is None else str(reason), valid_bodies)
        if problem:
            problems.append(f"{problem}: {raw[:120]!r}")
    assert problems == []

    # The books, as the run record reports them and as the dead-letter store holds them.
    lines, events, rejected, blank, status = workspace.warehouse(
        "select lines, events, rejected_lines, blank_lines, status from ops.periodic_runs order by finished_at"
    )[-1]
    assert status == "success"
    assert lines == len(sent) == events + rejected + blank
    assert events > 0
    assert rejected > 0
    assert blank > 0
    assert (events, rejected, blank) == tuple(
        sum(kind == name for kind, _ in staged) for name in ("event", "rejected", "blank")
    )
    dead_letters = workspace.warehouse(
        "select count(*), count(reject_reason), count(rejected_line) from silver.int_lines_rejected"
    )[0]
    assert dead_letters == (rejected, rejected, rejected)


def test_a_line_just_over_the_landing_cap_is_cut(workspace: Workspace) -> None:
    """--max-line-mb keeps only the first MB of a longer line, however the line falls into read blocks."""
    cap = 1 << 20
    long_line = line(variant(record={"text": "y" * (cap + 100)}))
    workspace.land(line(VALID) + long_line + line(VALID), "--max-line-mb", "1")
    assert bronze_with_sizes(workspace.data_dir) == [
        (line(VALID), None),
        (long_line[:cap], len(long_line)),
        (line(VALID), None),
    ]
