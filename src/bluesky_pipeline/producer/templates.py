"""The simulator's line templates: the reference producer's line, byte for byte, with named fields left open,
and the parts of records that are prebuilt whole (embeds, blobs).

render.py fills the templates in, thousands at a time; a test holds every kind of line to `events.create_line`.
Record keys are in alphabetical order, as Jetstream writes them (blobs keep Jetstream's own order).
"""

from __future__ import annotations

import json

from bluesky_pipeline.producer.events import BINARY
from bluesky_pipeline.producer.ids import CID_PREFIX
from bluesky_pipeline.producer.render import Template


def _head(collection: bytes, rkey: bytes | str = "rkey") -> Template:
    """Everything of a line before its record (`events.create_line`'s key order and separators)."""
    return (
        b'{"timestamp": "',
        "timestamp",
        b'", "action": "create", "path": "' + collection + b"/",
        rkey,
        b'", "cid": "' + CID_PREFIX,
        "cid_body",
        "rkey",
        b'", "prev": null, "py_type": "com.atproto.sync.subscribeRepos#repoOp", "record": ',
    )


TAIL: Template = (b', "repo": "', "actor", b'"}\n')


def _line(collection: bytes, record: Template) -> Template:
    return _head(collection) + record + TAIL


def _record(collection: bytes, *rest: bytes | str) -> Template:
    return (b'{"$type": "' + collection + b'", "createdAt": "', "created", *rest)


def _subject_record(collection: bytes) -> Template:
    return _record(collection, b'", "subject": ', "subject", b"}")


def _did_record(collection: bytes) -> Template:
    return _record(collection, b'", "subject": "', "followed", b'"}')


# Lines whose every field is fixed-width: rendered entirely by numpy.
FOLLOW_LINE = _line(b"app.bsky.graph.follow", _did_record(b"app.bsky.graph.follow"))
BLOCK_LINE = _line(b"app.bsky.graph.block", _did_record(b"app.bsky.graph.block"))
LISTITEM_LINE = _line(
    b"app.bsky.graph.listitem",
    _record(b"app.bsky.graph.listitem", b'", "list": "', "list", b'", "subject": "', "followed", b'"}'),
)
LIKE, REPOST = b"app.bsky.feed.like", b"app.bsky.feed.repost"
LIKE_LINE = _line(LIKE, _subject_record(LIKE))
REPOST_LINE = _line(REPOST, _subject_record(REPOST))
# Liked or reposted as seen through someone's repost: social-app then names that repost in `via`.
LIKE_VIA_LINE = _line(LIKE, _record(LIKE, b'", "subject": ', "subject", b', "via": ', "via", b"}"))
REPOST_VIA_LINE = _line(REPOST, _record(REPOST, b'", "subject": ', "subject", b', "via": ', "via", b"}"))
# A like of a feed generator: these two around the generator's strong reference.
LIKE_UNTIL_SUBJECT = _head(LIKE) + _record(LIKE, b'", "subject": ')
LIKE_AFTER_SUBJECT: Template = (b"}", *TAIL)
LIST_URI: Template = (b"at://", "actor", b"/app.bsky.graph.list/", "rkey")

OTHER_COLLECTIONS = (  # third-party collections, with the collection their subject lives in
    (b"fyi.unravel.frontpage.vote", b"fyi.unravel.frontpage.post"),
    (b"sh.tangled.feed.star", b"sh.tangled.repo"),
    (b"community.lexicon.calendar.rsvp", b"community.lexicon.calendar.event"),
    (b"app.popsky.like", b"app.popsky.review"),
)
OTHER_LINES = [
    _line(collection, _record(collection, b'", "subject": "at://', "followed", b"/" + target + b"/", "rkey", b'"}'))
    for collection, target in OTHER_COLLECTIONS
]

# A post line is these two around the parts that vary: embed, facets, languages, reply and text.
POST_HEAD = _head(b"app.bsky.feed.post") + _record(b"app.bsky.feed.post", b'"')
TEXT = b', "text": "'
POST_TAIL: Template = (b'"}', *TAIL)
REPLY: Template = (b', "reply": {"parent": ', "parent", b', "root": ', "root", b"}")
QUOTE: Template = (b', "embed": {"$type": "app.bsky.embed.record", "record": ', "quoted", b"}")
QUOTED: Template = ("quoted",)
# A quote with images: the media between these two, the quoted post after.
QUOTE_MEDIA_HEAD = b', "embed": {"$type": "app.bsky.embed.recordWithMedia", "media": '
QUOTE_MEDIA_RECORD = b', "record": {"$type": "app.bsky.embed.record", "record": '
QUOTE_MEDIA_TAIL = b"}}"


def _strong_ref(collection: bytes) -> Template:
    """A strong reference to a record of the slot's actor and key, as likes, reposts and replies carry it."""
    return (
        b'{"cid": "' + CID_PREFIX,
        "cid_body",
        "rkey",
        b'", "uri": "at://',
        "actor",
        b"/" + collection + b"/",
        "rkey",
        b'"}',
    )


POST_REF = _strong_ref(b"app.bsky.feed.post")
REPOST_REF = _strong_ref(REPOST)

# A profile line: its head, then the record joined from the avatar, banner, description and name.
PROFILE_HEAD = _head(b"app.bsky.actor.profile", b"self")
PROFILE_CREATED: Template = (b', "createdAt": "', "created", b'", "description": "')
PROFILE_TAIL: Template = (b'"}', *TAIL)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def blob(mime_type: str, size: int) -> dict[str, object]:
    """A blob as the reference producer prints it: its CID link is binary. Keys in Jetstream's order."""
    return {"$type": "blob", "ref": BINARY, "mimeType": mime_type, "size": size}


def images(shown: list[tuple[int, int, int, str]]) -> bytes:
    """An `app.bsky.embed.images` object of images given as (size, width, height, alt text)."""
    return _json(
        {
            "$type": "app.bsky.embed.images",
            "images": [
                {"alt": alt, "aspectRatio": {"height": height, "width": width}, "image": blob("image/jpeg", size)}
                for size, width, height, alt in shown
            ],
        }
    )


def embed(value: bytes) -> bytes:
    """A post's `embed` member holding `value`."""
    return b', "embed": ' + value


def video(size: int, width: int, height: int, alt: str | None) -> bytes:
    """A post's `embed` of a video (the optional alt text first, in alphabetical order)."""
    shown: dict[str, object] = {"$type": "app.bsky.embed.video"}
    if alt is not None:
        shown["alt"] = alt
    shown |= {"aspectRatio": {"height": height, "width": width}, "video": blob("video/mp4", size)}
    return embed(_json(shown))


def link_card(uri: str, title: str, description: str, thumb_size: int | None) -> bytes:
    """A post's `embed` of a link card, with a thumbnail unless `thumb_size` is None."""
    thumb = {} if thumb_size is None else {"thumb": blob("image/jpeg", thumb_size)}
    card = {"description": description} | thumb | {"title": title, "uri": uri}
    return embed(_json({"$type": "app.bsky.embed.external", "external": card}))


JPEG_BLOB = b'{"$type": "blob", "ref": "' + BINARY.encode() + b'", "mimeType": "image/jpeg", "size": %d}'


def profile_images(avatar_size: int, banner_size: int | None) -> bytes:
    """The start of a profile record: its type, avatar and banner (`blob`'s, formatted: one per profile)."""
    banner = b"" if banner_size is None else b', "banner": ' + JPEG_BLOB % banner_size
    return b'{"$type": "app.bsky.actor.profile", "avatar": ' + JPEG_BLOB % avatar_size + banner
