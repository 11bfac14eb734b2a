"""Rich text as Bluesky clients write it, for the simulated posts: links shown shortened and without their
scheme, and facets (app.bsky.richtext.facet) whose byte ranges index the UTF-8 text.

A text is a run of segments: plain strings, links, mentions and hashtags. A `Piece` is one rendered run,
in two versions: as the official client writes it (with facets) and as producers without facets do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

FACET = "app.bsky.richtext.facet"
SHORT_PATH = 15  # a longer path+query+fragment is cut to its first 13 characters and "..." (social-app)
CUT_PATH = 13


def short_url(uri: str) -> str:
    """The text Bluesky's app shows for a link: host and path without the scheme, a long path truncated.

    Written after social-app's `toShortUrl` (src/lib/strings/url-helpers.ts): `host + path` where path is
    the pathname (empty for "/") with query and fragment, cut to 13 characters and "..." past 15. The
    official client writes this text into the post and keeps the full URI only in the link facet.
    """
    parts = urlsplit(uri)
    if parts.scheme not in {"http", "https"}:
        return uri
    path = ("" if parts.path in {"", "/"} else parts.path) + (f"?{parts.query}" if parts.query else "")
    path += f"#{parts.fragment}" if parts.fragment else ""
    if len(path) > SHORT_PATH:
        return parts.netloc + path[:CUT_PATH] + "..."
    return parts.netloc + path


@dataclass(frozen=True)
class Link:
    """A link: the client shows `short_url(uri)` and marks it with a facet; `plain` is how a producer
    without facets writes it (the full URI, or a domain typed without a scheme)."""

    uri: str
    plain: str


@dataclass(frozen=True)
class Mention:
    """`@handle`, marked with a facet naming the account's DID."""

    handle: str
    did: str


@dataclass(frozen=True)
class Tag:
    """`#tag`, marked with a facet naming the tag without its `#`."""

    tag: str


Segment = str | Link | Mention | Tag


@dataclass(frozen=True)
class Facet:
    """A facet of a piece: its byte range within the piece, and its JSON up to the range."""

    order: int  # the official client lists mentions, then links, then tags (atproto's detectFacets)
    start: int
    end: int
    head: bytes  # `{..., "index": {"byteEnd": ` (keys in Jetstream's alphabetical order)


@dataclass(frozen=True)
class Piece:
    """A run of text, JSON-escaped without quotes, in the client's version and the facet-less one."""

    client: bytes
    length: int  # UTF-8 bytes of the client's text: what the facets of later pieces are offset by
    facets: tuple[Facet, ...]
    plain: bytes


EMPTY = Piece(b"", 0, (), b"")


def _escaped(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")


def _feature(type_: str, key: str, value: str) -> str:
    return json.dumps({"$type": f"{FACET}#{type_}", key: value}, ensure_ascii=False)


def _facet(segment: Link | Mention | Tag) -> tuple[str, int, str]:
    """The client's text of a marked segment, the facet's place in the order, and the facet's JSON head."""
    if isinstance(segment, Mention):
        # The official client's mention facets also carry the facet's own $type (seen in recorded posts).
        feature = _feature("mention", "did", segment.did)
        return f"@{segment.handle}", 0, f'{{"$type": "{FACET}", "features": [{feature}], "index": {{"byteEnd": '
    if isinstance(segment, Link):
        text, order, feature = short_url(segment.uri), 1, _feature("link", "uri", segment.uri)
    else:
        text, order, feature = f"#{segment.tag}", 2, _feature("tag", "tag", segment.tag)
    return text, order, f'{{"features": [{feature}], "index": {{"byteEnd": '


def piece(segments: Sequence[Segment]) -> Piece:
    """The segments rendered in both versions."""
    client, plain, facets, length = [], [], [], 0
    for segment in segments:
        if isinstance(segment, str):
            text = written = segment
        else:
            text, order, head = _facet(segment)
            size = len(text.encode("utf-8"))
            facets.append(Facet(order, length, length + size, head.encode("utf-8")))
            written = segment.plain if isinstance(segment, Link) else text
        client.append(text)
        plain.append(written)
        length += len(text.encode("utf-8"))
    escaped = _escaped("".join(client))
    return Piece(escaped, length, tuple(facets), escaped if plain == client else _escaped("".join(plain)))


def after(separator: str, part: Piece) -> Piece:
    """`part` with `separator` (plain text) before it."""
    escaped, size = _escaped(separator), len(separator.encode("utf-8"))
    facets = tuple(Facet(facet.order, facet.start + size, facet.end + size, facet.head) for facet in part.facets)
    return Piece(escaped + part.client, size + part.length, facets, escaped + part.plain)


def facets_field(pieces: Iterable[Piece]) -> bytes:
    """`, "facets": [...]` for a text joined from `pieces` in order (empty when none has a facet)."""
    placed, offset = [], 0
    for part in pieces:
        placed += [(facet.order, facet.start + offset, facet.end + offset, facet.head) for facet in part.facets]
        offset += part.length
    if not placed:
        return b""
    placed.sort()
    return (
        b', "facets": ['
        + b", ".join(b'%s%d, "byteStart": %d}}' % (head, end, start) for _, start, end, head in placed)
        + b"]"
    )
