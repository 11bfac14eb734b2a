"""What the simulated likes and reposts point to: a recent or hot post, the same post seen through someone's
repost (`via`), or, for a few likes, a feed generator; rendered as lines.

`via` is what social-app writes when a post is liked or reposted from a repost in a feed: a strong reference
to that repost (recorded Jetstream likes and reposts carry it, always naming an app.bsky.feed.repost).
"""

from __future__ import annotations

import numpy as np

from bluesky_pipeline.producer.ids import CID_PREFIX, random_base32
from bluesky_pipeline.producer.render import Field, render, render_array, render_into
from bluesky_pipeline.producer.templates import (
    LIKE_AFTER_SUBJECT,
    LIKE_LINE,
    LIKE_UNTIL_SUBJECT,
    LIKE_VIA_LINE,
    REPOST_LINE,
    REPOST_REF,
    REPOST_VIA_LINE,
)

LIKE_VIA_SHARE, REPOST_VIA_SHARE = 0.15, 0.3  # as in recorded Jetstream traffic (2026)
FEED_GENERATOR_SHARE = 0.003  # of likes: a like of a feed, not of a post
FEED_GENERATORS = 200
FEED_NAMES = ("whats-hot", "with-friends", "science", "engineering", "rust", "python", "art", "news", "cats")
RECENT_REPOSTS = 20_000  # likes and reposts `via` a repost pick among these


class Likes:
    """Renders likes and reposts, and keeps the recent reposts that later ones may come `via`."""

    def __init__(self, rng: np.random.Generator, post_ref: np.dtype[np.void], owners: list[str]) -> None:
        self._rng = rng
        self._feeds = _feed_generators(rng, owners)
        self._repost_refs: np.ndarray | None = None  # a ring, allocated once the width of a ref is known
        self._repost_subjects = np.zeros(RECENT_REPOSTS, dtype=post_ref)  # what each of those reposted
        self._reposts = 0

    def render(
        self,
        rendered: np.ndarray,
        slots: np.ndarray,
        is_repost: np.ndarray,
        subjects: np.ndarray,
        fields: dict[str, Field],
    ) -> None:
        """Render the likes and reposts at `slots` (`subjects`: the posts drawn for them, which some take
        from a recent repost instead, naming it in `via`)."""
        n = len(slots)
        d = self._rng.random((3, n))
        seen = min(self._reposts, RECENT_REPOSTS)
        via = (d[0] < np.where(is_repost, REPOST_VIA_SHARE, LIKE_VIA_SHARE)) & (seen > 0)
        rows = (self._reposts - 1 - (d[1] * seen).astype(np.int64)) % RECENT_REPOSTS
        subjects[via] = self._repost_subjects[rows[via]]
        feeds = ~is_repost & ~via & (d[2] < FEED_GENERATOR_SHARE)
        row_of = np.zeros(len(rendered), dtype=np.int64)
        row_of[slots] = np.arange(n)
        fields = {**fields, "subject": (subjects, row_of)}
        if self._repost_refs is not None:
            fields["via"] = (self._repost_refs[rows], row_of)
        for template, chosen in (
            (LIKE_LINE, ~is_repost & ~via & ~feeds),
            (LIKE_VIA_LINE, ~is_repost & via),
            (REPOST_LINE, is_repost & ~via),
            (REPOST_VIA_LINE, is_repost & via),
        ):
            render_into(rendered, template, fields, slots[chosen])
        feed_slots = slots[feeds]
        picks = self._rng.integers(0, len(self._feeds), len(feed_slots)).tolist()
        heads, tails = render(LIKE_UNTIL_SUBJECT, fields, feed_slots), render(LIKE_AFTER_SUBJECT, fields, feed_slots)
        for slot, head, pick, tail in zip(feed_slots.tolist(), heads, picks, tails, strict=True):
            rendered[slot] = head + self._feeds[pick] + tail
        self._remember_reposts(render_array(REPOST_REF, fields, slots[is_repost]), subjects[is_repost])

    def _remember_reposts(self, refs: np.ndarray, subjects: np.ndarray) -> None:
        if self._repost_refs is None:
            if not len(refs):
                return
            self._repost_refs = np.zeros(RECENT_REPOSTS, dtype=refs.dtype)
        rows = (self._reposts + np.arange(len(refs))) % RECENT_REPOSTS
        self._repost_refs[rows] = refs
        self._repost_subjects[rows] = subjects
        self._reposts += len(refs)


def _feed_generators(rng: np.random.Generator, owners: list[str]) -> list[bytes]:
    """Strong references to feed generators, as likes name them: `{"cid": ..., "uri": "at://..."}`."""
    cids = random_base32(rng, FEED_GENERATORS, 52).view("S52").tolist()
    feeds = []
    for number, (owner, cid) in enumerate(zip(rng.choice(owners, FEED_GENERATORS).tolist(), cids, strict=True)):
        name = FEED_NAMES[number % len(FEED_NAMES)] + ("" if number < len(FEED_NAMES) else f"-{number}")
        feeds.append(
            b'{"cid": "'
            + CID_PREFIX
            + cid
            + b'", "uri": "at://'
            + owner.encode()
            + b"/app.bsky.feed.generator/"
            + name.encode()
            + b'"}'
        )
    return feeds
