"""Top words from posts written as Bluesky clients write them, through ./handle-stream and ./periodic.

Links shown shortened and without a scheme, marked by #link facets; @mentions marked by #mention
facets; a #tag facet; multi-byte characters before facets; facets with wrong offsets; links typed
with no facet. The expected file is worked out by hand from docs/metrics.md's rules (Top words),
with the derivation beside it; the facets' byte offsets are computed from the text pieces.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.e2e.streams import POST, at, event
from tests.pipeline import Workspace

FACET = "app.bsky.richtext.facet"
# A piece of post text: plain, or (text, feature) for text a facet marks.
Piece = str | tuple[str, dict[str, str]]


def link(text: str, uri: str) -> tuple[str, dict[str, str]]:
    return text, {"$type": f"{FACET}#link", "uri": uri}


def mention(handle: str, did: str) -> tuple[str, dict[str, str]]:
    return handle, {"$type": f"{FACET}#mention", "did": did}


def tag(text: str) -> tuple[str, dict[str, str]]:
    return text, {"$type": f"{FACET}#tag", "tag": text.removeprefix("#").lower()}


def rich_text(*pieces: Piece) -> tuple[str, list[dict[str, Any]]]:
    """The text of `pieces`, and one facet per marked piece over its UTF-8 bytes (end exclusive)."""
    text, facets, offset = "", [], 0
    for piece in pieces:
        words, feature = (piece, None) if isinstance(piece, str) else piece
        size = len(words.encode("utf-8"))
        if feature is not None:
            facets.append(facet(offset, offset + size, feature))
        text, offset = text + words, offset + size
    return text, facets


def facet(byte_start: Any, byte_end: Any, feature: dict[str, str]) -> dict[str, Any]:
    return {"$type": FACET, "index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]}


def byte_range(text: str, part: str) -> tuple[int, int]:
    """[start, end) of the first `part` in `text`'s UTF-8 bytes."""
    start = text.encode("utf-8").index(part.encode("utf-8"))
    return start, start + len(part.encode("utf-8"))


def post(number: int, text: str, facets: list[dict[str, Any]] | None = None) -> bytes:
    record: dict[str, Any] = {"$type": POST, "createdAt": "2026-02-14T00:00:00.000Z", "text": text, "langs": ["en"]}
    if facets is not None:
        record["facets"] = facets
    return event(
        f"did:plc:author{number}", f"{POST}/3rt{number:02d}", at(f"10:00:{number:02d}"), record, ascii_only=False
    )


DUCKDB_REPO = link("github.com/duckdb/duckd...", "https://github.com/duckdb/duckdb")

# E5: facets with wrong offsets, each over words that would be lost if it were applied; all are
# ignored, and the youtu.be link (no valid facet) goes by the text rule.
E5_TEXT = "engineering: Zig and Rust, Kafka youtu.be/jrN02lpwHeU?..."
ZIG, RUST, KAFKA = (byte_range(E5_TEXT, word) for word in ("Zig", "Rust", "Kafka"))
A_LINK = {"$type": f"{FACET}#link", "uri": "https://example.com"}
E5_FACETS = [
    facet(ZIG[1], ZIG[0], A_LINK),  # reversed
    facet(KAFKA[0], len(E5_TEXT.encode("utf-8")) + 10, A_LINK),  # past the end
    facet("0", "11", A_LINK),  # offsets as strings, over "engineering"
    facet(-5, RUST[1], {"$type": f"{FACET}#mention", "did": "did:plc:rust"}),  # negative
]

# E6: a facet that starts inside the 4-byte 🚀 (byte 1) splits a character, so all of the post's
# facets are ignored, the valid ones too; the text rules then remove the link and the mention.
E6_TEXT, E6_VALID_FACETS = rich_text(
    "🚀 engineering latency ",
    link("bsky.app/profile/isra...", "https://bsky.app/profile/israel.bsky.social"),
    " by ",
    mention("@bob.bsky.social", "did:plc:bob"),
)
E6_FACETS = [facet(1, byte_range(E6_TEXT, "latency")[1], A_LINK), *E6_VALID_FACETS]

POSTS = [
    # E1: a shortened link mid-text, marked by its facet.
    post(1, *rich_text("Engineering notes: see ", DUCKDB_REPO, " now, Rust and DuckDB")),
    # E2: é (2 bytes), ☕ (3) and 🦆 (4) before a mention and a link facet: bytes and characters differ.
    post(
        2,
        *rich_text(
            "Café ☕ engineering 🦆 with ",
            mention("@hannes.bsky.social", "did:plc:hannes"),
            " on ",
            DUCKDB_REPO,
            " Parquet Kafka",
        ),
    ),
    # E3: a link right after → (3 bytes), with no space before it: only its facet marks it.
    post(
        3,
        *rich_text(
            "Engineering→",
            link("github.com/apache/arrow...", "https://github.com/apache/arrow"),
            " Arrow Rust compiler",
        ),
    ),
    # E4: a #tag facet (its word stays) and 🦀 (4 bytes) before a mention facet at the end.
    post(
        4,
        *rich_text(
            "Learning ", tag("#Rust"), " engineering with Tokio 🦀 at ", mention("@alice.bsky.social", "did:plc:alice")
        ),
    ),
    post(5, E5_TEXT, E5_FACETS),
    post(6, E6_TEXT, E6_FACETS),
    # E7, E8: links typed without a scheme and no facets (another producer); E8's after a bracket.
    post(7, "Engineering podcast youtu.be/jrN02lpwHeU?... and denikn.cz/2113523 on Kafka, Parquet"),
    post(8, "engineering (bsky.app/profile/isra...) Zig compiler café"),
    # E9: a link facet at the end of the text; E10: one at its start, and a word used twice.
    post(
        9,
        *rich_text(
            "Rust engineering: DuckDB + Parquet ",
            link("duckdb.org/docs/stable/dat...", "https://duckdb.org/docs/stable/data/parquet/overview"),
        ),
    ),
    post(
        10,
        *rich_text(
            link("github.com/tokio-rs/tokio...", "https://github.com/tokio-rs/tokio"),
            " engineering Tokio Zig latency, Zig",
        ),
    ),
    # N1: "engineering" only inside a link after → that only its facet marks: not an engineering post.
    post(11, *rich_text("Kafka Zig→", link("github.blog/engineering/...", "https://github.blog/engineering/"))),
    # N2: "engineering" only in a mention.
    post(12, *rich_text(mention("@engineering.bsky.social", "did:plc:eng"), " Rust Zig Kafka")),
    # N3: no "engineering" at all.
    post(13, "Rust DuckDB Kafka Zig"),
]

# Worked out by hand (docs/metrics.md, Top words). Each engineering post, after its #link and
# #mention ranges are cut, then links by text and @mentions, lowercased; "engineering" itself, and
# the English stopwords see, now, and, with, on, at, by (checked in transform/seeds/stopwords.csv),
# are dropped:
#   E1 notes rust duckdb            E2 café parquet kafka        E3 arrow rust compiler
#   E4 learning rust tokio          E5 zig rust kafka (no facet applies; youtu.be/... by text)
#   E6 latency (facets ignored; bsky.app/... and @bob... by text)
#   E7 podcast kafka parquet (youtu.be/... and denikn.cz/2113523 by text)
#   E8 zig compiler café ("(bsky.app/profile/isra...)" by text)
#   E9 rust duckdb parquet          E10 tokio zig latency (zig twice, counted once)
#   N1, N2, N3 do not use the whole word "engineering" once links and mentions are gone.
# rust 5 (E1 E3 E4 E5 E9); kafka 3 (E2 E5 E7), parquet 3 (E2 E7 E9), zig 3 (E5 E8 E10); café,
# compiler, duckdb, latency, tokio 2; arrow, learning, notes, podcast 1: ties by word, so of the
# words used once only arrow makes the top 10.
# Would show if mishandled: github/apache (E3's facet missed), parquet 2 (E2's byte offsets read as
# characters: both cuts 6 characters late, the second into " Parquet"), youtu/jrn02lpwheu/bsky/app/
# isra/profile/denikn (links by text missed), zig 2 or kafka 2 or no E5 words (a wrong facet
# applied), latency 1 (E6's split facet applied), kafka 4, zig 4 and github/blog (N1 taken for an
# engineering post), zig 4 (E10's zig counted twice), rust 6 (N2 or N3 taken).
TOP_10_WORDS = (
    "word,count\nrust,5\nkafka,3\nparquet,3\nzig,3\ncafé,2\ncompiler,2\nduckdb,2\nlatency,2\ntokio,2\narrow,1\n"
)
LINK_FRAGMENTS = {"github", "duckd", "youtu", "jrn02lpwheu", "isra", "bsky", "app", "denikn", "profile", "apache"}


def test_links_and_mentions_marked_as_clients_mark_them_are_not_words(workspace: Workspace) -> None:
    stream = b"".join(line + b"\n" for line in POSTS)
    workspace.land(stream)
    workspace.refresh()

    top_words = workspace.metric("top-10-word.csv")
    assert top_words == TOP_10_WORDS
    words = {row["word"] for row in csv.DictReader(io.StringIO(top_words))}
    assert words & LINK_FRAGMENTS == set()
    # Every post is an event: no facet, however wrong, fails its line.
    lines, events, rejected = workspace.warehouse("select lines, events, rejected_lines from ops.periodic_runs")[0]
    assert (lines, events, rejected) == (len(POSTS), len(POSTS), 0)
