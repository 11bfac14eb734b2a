"""The simulator's line templates: the reference producer's line, byte for byte, with named fields left open.

render.py fills them in, thousands at a time; a test holds every kind of line to `events.create_line`.
"""

from __future__ import annotations

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
LIKE_LINE = _line(b"app.bsky.feed.like", _subject_record(b"app.bsky.feed.like"))
REPOST_LINE = _line(b"app.bsky.feed.repost", _subject_record(b"app.bsky.feed.repost"))
FOLLOW_LINE = _line(b"app.bsky.graph.follow", _did_record(b"app.bsky.graph.follow"))
BLOCK_LINE = _line(b"app.bsky.graph.block", _did_record(b"app.bsky.graph.block"))
LISTITEM_LINE = _line(
    b"app.bsky.graph.listitem",
    _record(b"app.bsky.graph.listitem", b'", "list": "', "list", b'", "subject": "', "followed", b'"}'),
)
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

# A post line is these two around the parts that vary: embed, languages, reply and text.
POST_HEAD = _head(b"app.bsky.feed.post") + _record(b"app.bsky.feed.post", b'"')
POST_TAIL: Template = (b'"}', *TAIL)
REPLY: Template = (b', "reply": {"parent": ', "parent", b', "root": ', "root", b"}")
QUOTE: Template = (b', "embed": {"$type": "app.bsky.embed.record", "record": ', "quoted", b"}")
# A strong reference to a post, as likes, reposts, replies and quotes carry it.
POST_REF: Template = (
    b'{"cid": "' + CID_PREFIX,
    "cid_body",
    "rkey",
    b'", "uri": "at://',
    "actor",
    b"/app.bsky.feed.post/",
    "rkey",
    b'"}',
)

# A profile line is cut around its parts that vary: avatar size, description and display name.
PROFILE_HEAD = _head(b"app.bsky.actor.profile", b"self")
PROFILE_AVATAR = (
    b'{"$type": "app.bsky.actor.profile", "avatar": {"$type": "blob", "mimeType": '
    b'"image/jpeg", "ref": "<binary>", "size": '
)
PROFILE_CREATED: Template = (b'}, "createdAt": "', "created", b'", "description": "')
PROFILE_TAIL: Template = (b'"}', *TAIL)


def image_embed(size: int, width: int) -> bytes:
    """A post's `embed` of one image (blob ref as the reference producer prints binary values)."""
    return (
        ', "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", '
        f'"aspectRatio": {{"height": {width * 3 // 4}, "width": {width}}}, "image": {{"$type": "blob", '
        f'"mimeType": "image/jpeg", "ref": "<binary>", "size": {size}}}}}]}}'
    ).encode()


def link_card(title: bytes, page: int) -> bytes:
    """A post's `embed` of a link card (already JSON-escaped `title`)."""
    return (
        b', "embed": {"$type": "app.bsky.embed.external", "external": {"description": "", "title": "'
        + title
        + b'", "uri": "https://news.example.org/'
        + str(page).encode()
        + b'"}}'
    )
