"""The simulated network behind `--simulate`: who acts, on what and when, rendered as lines in batches.

Deterministic: every draw comes from generators seeded with `seed`, batch after batch of a fixed size,
so the same seed and start give the same bytes whatever the pacing. The lines reproduce
`events.create_line` byte for byte (a test holds them to it) but are built by numpy as rows of bytes:
json.dumps per event would be far too slow for the 200,000 events/s the benchmarks need.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from bluesky_pipeline.producer.bots import BOTS, Bots
from bluesky_pipeline.producer.clock import Clock
from bluesky_pipeline.producer.faults import EVENT_KINDS, Faults, late_lags
from bluesky_pipeline.producer.ids import CID_LENGTH, CID_PREFIX, TID_LENGTH, random_base32, random_dids, tids
from bluesky_pipeline.producer.likes import Likes
from bluesky_pipeline.producer.posts import RECENT_POSTS, PostPieces, Posts
from bluesky_pipeline.producer.render import (
    CREATED_AT,
    EPOCH,
    TIMESTAMP,
    Field,
    Template,
    drop_zero_fraction,
    render_array,
    render_into,
    time_fields,
)
from bluesky_pipeline.producer.templates import BLOCK_LINE, FOLLOW_LINE, LIST_URI, LISTITEM_LINE, OTHER_LINES
from bluesky_pipeline.producer.texts import build_text_pool

BATCH = 8192  # slots drawn at once; fixed, so that the pacing cannot change what is drawn

# What a slot of the stream holds: a collection, in the mix of the real network (faults.py adds its own).
LIKE, FOLLOW, POST, REPOST, BLOCK, LISTITEM, PROFILE, OTHER = range(EVENT_KINDS)
KIND_SHARES = (0.45, 0.28, 0.10, 0.06, 0.04, 0.03, 0.01, 0.03)

USERS = 200_000
# Activity by rank r is proportional to 1/(r + 400): heavy-tailed, yet the busiest human stays near
# 20 likes a minute, so only the bots reach the fast-likers threshold (as shipped, 50 likes
# (`fast_liker_min_likes`) in 60 s (`fast_liker_window_seconds`)).
ACTIVITY_OFFSET = 400
LISTS = 2000  # moderation and curation lists that list items go to
POST_RING = RECENT_POSTS + BATCH  # a batch's new posts never overwrite the recent ones it may pick

FIXED_LINES: dict[int, Template] = {
    FOLLOW: FOLLOW_LINE,
    BLOCK: BLOCK_LINE,
    LISTITEM: LISTITEM_LINE,
}


class World:
    """The simulated network: `batch()` gives the next `BATCH` lines of the stream."""

    def __init__(self, seed: int, start: datetime, step_us: float, bad_line_rate: float) -> None:
        self._rng = rng = np.random.default_rng(seed)
        self._clock = clock = Clock((start - EPOCH) // timedelta(microseconds=1), step_us)
        self._index = 0  # slots drawn so far: the clock reads start + index * step

        self._kind_cdf = np.cumsum(KIND_SHARES) / sum(KIND_SHARES)
        self._dids = random_dids(rng, USERS + BOTS)  # the bots come last
        self._followed = rng.permutation(USERS)  # who gets followed: the same heavy tail, reordered
        self._cid_bodies = random_base32(rng, 4096, CID_LENGTH - len(CID_PREFIX) - TID_LENGTH)
        owners = rng.integers(0, USERS, LISTS)
        list_keys = tids(clock.start_us - rng.integers(0, 10**14, LISTS), owners % 1024)
        self._lists = render_array(
            LIST_URI, {"actor": (self._dids, owners), "rkey": (list_keys, None)}, np.arange(LISTS)
        )
        users = self._dids[:USERS].view(f"S{self._dids.dtype.itemsize}").astype(str).tolist()
        pieces = PostPieces.build(build_text_pool(rng, users), rng)
        self._posts = Posts(rng, pieces, self._cid_bodies, self._dids, POST_RING)
        self._likes = Likes(rng, self._posts.ref_dtype, users)
        self._bots = Bots(rng, clock, first_actor=USERS)
        self._faults = Faults(rng, clock, bad_line_rate)

    def batch(self) -> list[bytes]:
        """The next `BATCH` lines, each ending in a newline."""
        n, rng, first = BATCH, self._rng, self._index
        self._index += n
        kinds = np.searchsorted(self._kind_cdf, rng.random(n))
        actors = _active_users(rng.random(n))
        followed = self._followed[_active_users(rng.random(n))]
        slot_us = self._clock.slots(first, n)
        lag_us = late_lags(rng, n)  # how far each printed timestamp is behind its slot's clock
        for slot, actor, printed_us in self._bots.likes_before(first + n):
            kinds[slot - first] = LIKE
            actors[slot - first] = actor
            lag_us[slot - first] = self._clock.at(slot) - printed_us
        replayed = self._faults.mark_repeats(kinds, first)
        self._faults.mark_bad_lines(kinds)
        posts = self._posts
        if posts.count == 0:
            kinds[0] = POST  # the stream opens with a post, so that every like has one to point to
        stamp_us = slot_us - lag_us
        times = time_fields(stamp_us, stamp_us - rng.integers(30_000, 3_000_000, n))  # written a moment before
        everyone = np.arange(n)
        fields: dict[str, Field] = {
            "timestamp": (render_array(TIMESTAMP, times, everyone), None),
            "created": (render_array(CREATED_AT, times, everyone), None),
            "rkey": (tids(slot_us, rng.integers(0, 1024, n)), None),
            "cid_body": (self._cid_bodies, rng.integers(0, len(self._cid_bodies), n)),
            "actor": (self._dids, actors),
            "followed": (self._dids, followed),
            "list": (self._lists, rng.integers(0, len(self._lists), n)),
        }
        other_variants = rng.integers(0, len(OTHER_LINES), n)
        rendered = np.empty(n, dtype=object)
        is_post = kinds == POST
        posts_before = posts.count + np.cumsum(is_post) - is_post
        hot = posts.hot_now()
        posts.add(rendered, np.flatnonzero(is_post), fields)
        liking = np.flatnonzero((kinds == LIKE) | (kinds == REPOST))
        subjects = posts.liked(posts_before[liking], hot)
        self._likes.render(rendered, liking, kinds[liking] == REPOST, subjects, fields)
        for kind, template in FIXED_LINES.items():
            render_into(rendered, template, fields, np.flatnonzero(kinds == kind))
        for variant, template in enumerate(OTHER_LINES):
            render_into(rendered, template, fields, np.flatnonzero((kinds == OTHER) & (other_variants == variant)))
        posts.add_profiles(rendered, np.flatnonzero(kinds == PROFILE), fields)
        lines: list[bytes] = rendered.tolist()
        for slot in np.flatnonzero((kinds < EVENT_KINDS) & (stamp_us % 1_000_000 == 0)).tolist():
            lines[slot] = drop_zero_fraction(lines[slot])
        self._faults.fill_in(lines, kinds, replayed, fields["timestamp"], stamp_us)
        return lines


def _active_users(uniform: np.ndarray) -> np.ndarray:
    """User ranks drawn with weight 1/(rank + ACTIVITY_OFFSET): the inverse of that law's continuous CDF."""
    spread = math.log((USERS + ACTIVITY_OFFSET) / ACTIVITY_OFFSET)
    ranks = (ACTIVITY_OFFSET * np.exp(uniform * spread) - ACTIVITY_OFFSET).astype(np.int64)
    return np.minimum(ranks, USERS - 1)
