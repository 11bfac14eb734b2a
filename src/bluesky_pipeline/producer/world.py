"""The simulated network behind `--simulate`: who acts, on what and when, rendered as lines in batches.

Deterministic: every draw comes from generators seeded with `seed`, batch after batch of a fixed size,
so the same seed and start give the same bytes whatever the pacing. The lines reproduce
`events.create_line` byte for byte (a test holds them to it) but are built by numpy as rows of bytes:
json.dumps per event would be far too slow for the 200,000 events/s the benchmarks need.
"""

from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bluesky_pipeline.producer.ids import CID_LENGTH, CID_PREFIX, TID_LENGTH, random_base32, random_dids, tids
from bluesky_pipeline.producer.render import (
    CREATED_AT,
    EPOCH,
    TIMESTAMP,
    Field,
    Template,
    drop_zero_fraction,
    render,
    render_array,
    time_fields,
)
from bluesky_pipeline.producer.texts import TextPool, build_text_pool

BATCH = 8192  # slots drawn at once; fixed, so that the pacing cannot change what is drawn

# What a slot of the stream holds. The first eight are collections, in the mix of the real network.
LIKE, FOLLOW, POST, REPOST, BLOCK, LISTITEM, PROFILE, OTHER = range(8)
KIND_SHARES = (0.45, 0.28, 0.10, 0.06, 0.04, 0.03, 0.01, 0.03)
EVENT_KINDS = 8
DUPLICATE, REPLAYED, REPLAYED_RESTAMPED, BAD = range(8, 12)

USERS = 200_000
# Activity by rank r is proportional to 1/(r + 400): heavy-tailed, yet the busiest human stays near
# 20 likes a minute, so only the bots reach the fast-likers threshold (50 likes in 60 s).
ACTIVITY_OFFSET = 400
LATE_SHARE = 0.002  # events stamped 1 to 10 minutes behind the clock
LATE_US = (60_000_000, 600_000_000)
DUPLICATE_SHARE = 0.002  # single lines printed again, identical, a little later
# Every few minutes (the first within one), a reconnecting producer prints its last lines again.
FIRST_REPLAY_S, REPLAY_GAP_S = (20, 60), (120, 480)
REPLAY_LINES = (100, 2000)
HISTORY = 4096  # recent lines kept for duplicates, replays and bad lines
LISTS = 2000  # moderation and curation lists that list items go to

RECENT_POSTS = 50_000  # ordinary likes, reposts, replies and quotes pick among these, uniformly
POST_RING = RECENT_POSTS + BATCH  # a batch's new posts never overwrite the recent ones it may pick
HOT_POSTS = 200  # a rotating set of popular posts, liked Zipf-wise: what "trending" should find
HOT_SHARE = 0.10  # of likes and reposts, those that go to a hot post (the top one gets ~15 likes a second)
HOT_JOIN = 0.05  # chance a new post joins while the hot set fills up (in its first 20 seconds)
HOT_REPLACE = 0.001  # then, chance a new post replaces a random hot one (~15 minutes of fame)

TWO_FRAGMENTS_SHARE = 0.6  # longer posts join two fragments: many more distinct texts
ENGINEERING_SHARE = 0.015
ENGLISH_ENGINEERING = 0.8  # engineering posts in English; the others mix the word into their language
IMAGE_SHARE, LINK_CARD_SHARE, QUOTE_SHARE = 0.15, 0.05, 0.03
TWO_LANGS_SHARE, NO_LANGS_SHARE = 0.02, 0.03
REPLY_SHARE = 0.30

BOTS = 6  # fast likers: 70-300 likes a minute, in bursts
STEADY_BOTS = 4  # regular likers below the threshold (15-30 a minute)
BATCHED_BURST_SHARE = 0.3  # bursts written as one batch, all with the same timestamp

OTHER_COLLECTIONS = (  # third-party collections, with the collection their subject lives in
    (b"fyi.unravel.frontpage.vote", b"fyi.unravel.frontpage.post"),
    (b"sh.tangled.feed.star", b"sh.tangled.repo"),
    (b"community.lexicon.calendar.rsvp", b"community.lexicon.calendar.event"),
    (b"app.popsky.like", b"app.popsky.review"),
)
EMPTY_LINES = (b"\n", b" \n", b"\r\n", b"\t\n")
NOT_OBJECTS = (b"[1, 2, 3]\n", b'"create"\n', b"42\n", b"null\n", b"true\n")
BAD_VALUES: tuple[tuple[str, object], ...] = (
    ("timestamp", "yesterday"),
    ("timestamp", "2026-13-45T99:00:00"),
    ("timestamp", 1767225600),
    ("path", "app.bsky.feed.like"),
    ("path", None),
    ("repo", 42),
    ("repo", ""),
)


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
FIXED_LINES: dict[int, Template] = {
    LIKE: _line(b"app.bsky.feed.like", _subject_record(b"app.bsky.feed.like")),
    REPOST: _line(b"app.bsky.feed.repost", _subject_record(b"app.bsky.feed.repost")),
    FOLLOW: _line(b"app.bsky.graph.follow", _did_record(b"app.bsky.graph.follow")),
    BLOCK: _line(b"app.bsky.graph.block", _did_record(b"app.bsky.graph.block")),
    LISTITEM: _line(
        b"app.bsky.graph.listitem",
        _record(b"app.bsky.graph.listitem", b'", "list": "', "list", b'", "subject": "', "followed", b'"}'),
    ),
}
OTHER_LINES = [
    _line(collection, _record(collection, b'", "subject": "at://', "followed", b"/" + target + b"/", "rkey", b'"}'))
    for collection, target in OTHER_COLLECTIONS
]
# A post line is these two around the parts that vary: embed, languages, reply and text.
POST_HEAD = _head(b"app.bsky.feed.post") + _record(b"app.bsky.feed.post", b'"')
POST_TAIL: Template = (b'"}', *TAIL)
PROFILE_HEAD = _head(b"app.bsky.actor.profile", b"self")
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


@dataclass
class Bot:
    """An account that likes in bursts during sessions of a few minutes, idle in between."""

    actor: int
    per_minute: float
    burst_sizes: tuple[int, int]
    batched_share: float
    next_burst_us: int
    session_end_us: int


@dataclass(frozen=True)
class PostPieces:
    """The parts a post line is joined from, prebuilt; the `-1` entry of each list is the empty piece."""

    language_cdf: np.ndarray
    english: int  # index of English in the languages
    offsets: np.ndarray  # where each language's fragments start in `openings` and `continuations`
    counts: np.ndarray
    openings: list[bytes]  # `, "text": "` and a fragment
    continuations: list[bytes]  # a separator and a fragment, to lengthen a text
    engineering: list[bytes]
    langs: list[bytes]  # per language: one language, two, none
    embeds: list[bytes]  # images, then link cards

    @classmethod
    def build(cls, texts: TextPool, rng: np.random.Generator) -> PostPieces:
        """Pieces from the text pool, with images and link cards drawn from `rng`."""
        openings: list[bytes] = []
        continuations: list[bytes] = []
        langs: list[bytes] = []
        counts = []
        for language in texts.languages:
            fragments = texts.fragments[language]
            openings += [b', "text": "' + fragment for fragment in fragments]
            continuations += [texts.separator(language) + fragment for fragment in fragments]
            counts.append(len(fragments))
            code = language.encode()
            second = b"ja" if language == "en" else b"en"
            langs += [b', "langs": ["' + code + b'"]', b', "langs": ["' + code + b'", "' + second + b'"]', b""]
        sizes, widths = rng.integers(40_000, 950_000, 256).tolist(), rng.integers(600, 2000, 256).tolist()
        images = [_image_embed(size, width) for size, width in zip(sizes, widths, strict=True)]
        english = texts.fragments["en"]
        titles = rng.integers(0, len(english), 256).tolist()
        cards = [_link_card(english[title], page) for page, title in enumerate(titles)]
        return cls(
            language_cdf=np.cumsum(texts.language_weights) / sum(texts.language_weights),
            english=texts.languages.index("en"),
            offsets=np.cumsum([0, *counts[:-1]]),
            counts=np.array(counts),
            openings=openings,
            continuations=[*continuations, b""],
            engineering=[*(b" " + text for text in texts.engineering), b""],
            langs=langs,
            embeds=[*images, *cards, b""],
        )


class World:
    """The simulated network: `batch()` gives the next `BATCH` lines of the stream."""

    def __init__(self, seed: int, start: datetime, step_us: float, bad_line_rate: float) -> None:
        self._rng = rng = np.random.default_rng(seed)
        self._start_us = (start - EPOCH) // timedelta(microseconds=1)
        self._step_us = step_us
        self._bad_line_rate = bad_line_rate
        self._index = 0  # slots drawn so far: the clock reads start + index * step

        self._kind_cdf = np.cumsum(KIND_SHARES) / sum(KIND_SHARES)
        self._dids = random_dids(rng, USERS + BOTS + STEADY_BOTS)  # the bots come last
        self._followed = rng.permutation(USERS)  # who gets followed: the same heavy tail, reordered
        self._cid_bodies = random_base32(rng, 4096, CID_LENGTH - len(CID_PREFIX) - TID_LENGTH)
        owners = rng.integers(0, USERS, LISTS)
        list_keys = tids(self._start_us - rng.integers(0, 10**14, LISTS), owners % 1024)
        self._lists = render_array(
            (b"at://", "actor", b"/app.bsky.graph.list/", "rkey"),
            {"actor": (self._dids, owners), "rkey": (list_keys, None)},
            np.arange(LISTS),
        )
        self._pieces = PostPieces.build(build_text_pool(rng), rng)
        self._image_count = self._pieces.embeds.index(b"") // 2  # as many images as link cards
        hot = 1.0 / np.arange(1, HOT_POSTS + 1)
        self._hot_cdf = np.cumsum(hot) / hot.sum()
        one = np.zeros(1, dtype=np.int64)
        sample = {"cid_body": (self._cid_bodies, one), "rkey": (tids(one, one), None), "actor": (self._dids, one)}
        ref = render_array(POST_REF, sample, one).dtype
        self._posts = np.zeros(POST_RING, dtype=ref)  # the recent posts, by post number modulo the ring
        self._roots = np.zeros(POST_RING, dtype=ref)  # the root of each one's thread
        self._post_count = 0
        self._hot = np.zeros(HOT_POSTS, dtype=ref)
        self._hot_count = 0
        self._history: list[bytes] = []
        self._bots = self._make_bots()
        self._pending_bot_likes: list[tuple[int, int, int]] = []  # (slot, actor, printed time)
        self._next_replay_us = self._start_us + int(rng.uniform(*FIRST_REPLAY_S) * 1e6)
        self._replays = 0

    def _make_bots(self) -> list[Bot]:
        draw = self._rng.random
        bots = []
        for number in range(BOTS + STEADY_BOTS):
            fast = number < BOTS
            # The first bot is busy from the start, so that even a short run has a fast liker.
            begins = self._start_us + (0 if number == 0 else int(draw() * 900e6))
            session_s = 180 + draw() * 420 if number == 0 else 120 + draw() * 480
            bots.append(
                Bot(
                    actor=USERS + number,
                    per_minute=70 + draw() * 230 if fast else 15 + draw() * 15,
                    burst_sizes=(5, 40) if fast else (1, 2),
                    batched_share=BATCHED_BURST_SHARE if fast else 0.0,
                    next_burst_us=begins,
                    session_end_us=begins + int(session_s * 1e6),
                )
            )
        return bots

    def batch(self) -> list[bytes]:
        """The next `BATCH` lines, each ending in a newline."""
        n, rng, first = BATCH, self._rng, self._index
        self._index += n
        kinds = np.searchsorted(self._kind_cdf, rng.random(n))
        actors = _active_users(rng.random(n))
        followed = self._followed[_active_users(rng.random(n))]
        slot_us = self._start_us + ((first + np.arange(n)) * self._step_us).astype(np.int64)
        lag_us = np.zeros(n, dtype=np.int64)  # how far each printed timestamp is behind its slot's clock
        late = rng.random(n) < LATE_SHARE
        lag_us[late] = rng.integers(*LATE_US, int(late.sum()))
        self._place_bot_likes(kinds, actors, lag_us, first)
        replayed = self._mark_duplicates(kinds, first)
        if self._bad_line_rate:
            kinds[rng.random(n) < self._bad_line_rate] = BAD
        if self._post_count == 0:
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
        posts_before = self._post_count + np.cumsum(is_post) - is_post
        hot = self._hot[: self._hot_count].copy()  # likes see the hot set as it was when the batch began
        self._add_posts(rendered, np.flatnonzero(is_post), fields)
        liking = np.flatnonzero((kinds == LIKE) | (kinds == REPOST))
        subject_rows = np.zeros(n, dtype=np.int64)
        subject_rows[liking] = np.arange(len(liking))
        fields["subject"] = (self._liked_posts(posts_before[liking], hot), subject_rows)
        for kind, template in FIXED_LINES.items():
            _render_into(rendered, template, fields, np.flatnonzero(kinds == kind))
        for variant, template in enumerate(OTHER_LINES):
            _render_into(rendered, template, fields, np.flatnonzero((kinds == OTHER) & (other_variants == variant)))
        self._add_profiles(rendered, np.flatnonzero(kinds == PROFILE), fields)
        lines: list[bytes] = rendered.tolist()
        for slot in np.flatnonzero((kinds < EVENT_KINDS) & (stamp_us % 1_000_000 == 0)).tolist():
            lines[slot] = drop_zero_fraction(lines[slot])
        self._add_repeats_and_bad_lines(lines, kinds, replayed, fields, stamp_us)
        self._history = (self._history + lines)[-HISTORY:]
        return lines

    # --- who likes what ---------------------------------------------------------------------------

    def _liked_posts(self, posts_before: np.ndarray, hot: np.ndarray) -> np.ndarray:
        """A post to like or repost for each slot, given how many posts came before it: a hot post, or
        one of the recent ones."""
        rng, n = self._rng, len(posts_before)
        recent = posts_before - 1 - (rng.random(n) * np.minimum(posts_before, RECENT_POSTS)).astype(np.int64)
        subjects = self._posts[recent % POST_RING]
        hot_picks = np.searchsorted(self._hot_cdf, rng.random(n))
        to_hot = rng.random(n) < (HOT_SHARE if len(hot) else 0.0)
        subjects[to_hot] = hot[hot_picks[to_hot] % max(1, len(hot))]
        chosen: np.ndarray = subjects
        return chosen

    def _place_bot_likes(self, kinds: np.ndarray, actors: np.ndarray, lag_us: np.ndarray, first: int) -> None:
        """Make the slots where bots' likes fall into those likes; likes due after this batch wait."""
        end = first + BATCH
        pending = self._pending_bot_likes
        for bot in self._bots:
            while self._slot_at(bot.next_burst_us) < end:
                pending.extend(self._burst(bot))
        pending.sort()
        due = bisect.bisect_left(pending, (end, -1, -1))
        for slot, actor, printed_us in pending[:due]:
            kinds[slot - first] = LIKE
            actors[slot - first] = actor
            lag_us[slot - first] = self._clock(slot) - printed_us
        del pending[:due]

    def _clock(self, slot: int) -> int:
        return self._start_us + int(slot * self._step_us)

    def _slot_at(self, micros: int) -> int:
        """The first slot whose clock reads `micros` or later."""
        return math.ceil((micros - self._start_us) / self._step_us)

    def _burst(self, bot: Bot) -> list[tuple[int, int, int]]:
        """The likes of `bot`'s next burst as (slot, actor, printed time); schedules the burst after."""
        rng = self._rng
        at = bot.next_burst_us
        size = int(rng.integers(bot.burst_sizes[0], bot.burst_sizes[1] + 1))
        if rng.random() < bot.batched_share:
            # One write of many likes: consecutive slots, all printed with the first one's timestamp.
            first = self._slot_at(at)
            likes = [(first + i, bot.actor, self._clock(first)) for i in range(size)]
        else:
            slots = [self._slot_at(at + gap) for gap in np.cumsum(rng.integers(50_000, 250_000, size)).tolist()]
            likes = [(slot, bot.actor, self._clock(slot)) for slot in slots]
        mean_gap_us = sum(bot.burst_sizes) / 2 / bot.per_minute * 60e6
        bot.next_burst_us = at + int(rng.exponential(mean_gap_us))
        if bot.next_burst_us > bot.session_end_us:
            bot.next_burst_us = bot.session_end_us + int(rng.uniform(120, 1800) * 1e6)
            bot.session_end_us = bot.next_burst_us + int(rng.uniform(120, 600) * 1e6)
        return likes

    # --- posts and profiles -----------------------------------------------------------------------

    def _earlier_posts(self, draws: np.ndarray) -> np.ndarray:
        """Ring rows of recent posts made before this batch (replies and quotes point to those)."""
        window = min(self._post_count, RECENT_POSTS)
        return (self._post_count - 1 - (draws * window).astype(np.int64)) % POST_RING

    def _add_posts(self, rendered: np.ndarray, slots: np.ndarray, fields: dict[str, Field]) -> None:
        """Render the posts at `slots` and remember them, so that later slots can like them."""
        count = len(slots)
        if not count:
            return
        pieces, d = self._pieces, self._rng.random((14, count))
        refs = render_array(POST_REF, fields, slots)
        # Replies and quotes point to posts of earlier batches: there are none in the very first one.
        earlier = self._post_count > 0
        parents, quoted = self._earlier_posts(d[11]), self._earlier_posts(d[8])
        threads = {"parent": (self._posts, parents), "root": (self._roots, parents), "quoted": (self._posts, quoted)}
        replying = np.flatnonzero((d[10] < REPLY_SHARE) & earlier)
        replies = [b""] * count
        for k, reply in zip(replying.tolist(), render(REPLY, threads, replying), strict=True):
            replies[k] = reply
        roots = refs.copy()
        roots[replying] = self._roots[parents[replying]]

        language = np.searchsorted(pieces.language_cdf, d[0])
        engineering = d[4] < ENGINEERING_SHARE
        language[engineering & (d[5] < ENGLISH_ENGINEERING)] = pieces.english
        opening = pieces.offsets[language] + (d[1] * pieces.counts[language]).astype(np.int64)
        continuation = pieces.offsets[language] + (d[3] * pieces.counts[language]).astype(np.int64)
        continuation[d[2] >= TWO_FRAGMENTS_SHARE] = -1
        topic = (d[6] * (len(pieces.engineering) - 1)).astype(np.int64)
        topic[~engineering] = -1
        langs = (
            language * 3
            + (d[9] < TWO_LANGS_SHARE)
            + 2 * ((d[9] >= TWO_LANGS_SHARE) & (d[9] < TWO_LANGS_SHARE + NO_LANGS_SHARE))
        )
        images, quote_from = self._image_count, IMAGE_SHARE + LINK_CARD_SHARE
        embed = np.full(count, -1)
        embed[d[7] < IMAGE_SHARE] = (d[8] * images).astype(np.int64)[d[7] < IMAGE_SHARE]
        cards = (d[7] >= IMAGE_SHARE) & (d[7] < quote_from)
        embed[cards] = images + (d[8] * images).astype(np.int64)[cards]
        embeds = [pieces.embeds[i] for i in embed.tolist()]
        quoting = np.flatnonzero((d[7] >= quote_from) & (d[7] < quote_from + QUOTE_SHARE) & earlier)
        for k, quote in zip(quoting.tolist(), render(QUOTE, threads, quoting), strict=True):
            embeds[k] = quote
        post_lines = np.empty(count, dtype=object)
        post_lines[:] = [
            b"".join(parts)
            for parts in zip(
                render(POST_HEAD, fields, slots),
                embeds,
                [pieces.langs[i] for i in langs.tolist()],
                replies,
                [pieces.openings[i] for i in opening.tolist()],
                [pieces.continuations[i] for i in continuation.tolist()],
                [pieces.engineering[i] for i in topic.tolist()],
                render(POST_TAIL, fields, slots),
                strict=True,
            )
        ]
        rendered[slots] = post_lines
        rows = (self._post_count + np.arange(count)) % POST_RING
        self._posts[rows] = refs
        self._roots[rows] = roots
        self._post_count += count
        self._update_hot(refs, d[12].tolist(), d[13].tolist())

    def _update_hot(self, refs: np.ndarray, chances: list[float], places: list[float]) -> None:
        """New posts join the hot set while it fills up, then now and then replace one of it."""
        for ref, chance, place in zip(refs, chances, places, strict=True):
            if self._hot_count < HOT_POSTS:
                if chance < HOT_JOIN:
                    self._hot[self._hot_count] = ref
                    self._hot_count += 1
            elif chance < HOT_REPLACE:
                self._hot[int(place * HOT_POSTS)] = ref

    def _add_profiles(self, rendered: np.ndarray, slots: np.ndarray, fields: dict[str, Field]) -> None:
        if not len(slots):
            return
        heads = render(PROFILE_HEAD, fields, slots)
        created = render((b'}, "createdAt": "', "created", b'", "description": "'), fields, slots)
        tails = render((b'"}', *TAIL), fields, slots)
        english = self._pieces.openings[self._pieces.offsets[self._pieces.english] :]
        draws = self._rng.random((len(slots), 3)).tolist()
        for k, (slot, d) in enumerate(zip(slots.tolist(), draws, strict=True)):
            size = str(20_000 + int(d[0] * 500_000)).encode()
            name = english[int(d[1] * len(english))].split(b" ")[2].strip(b'"')
            description = english[int(d[2] * len(english))].removeprefix(b', "text": "')
            rendered[slot] = (
                heads[k] + b'{"$type": "app.bsky.actor.profile", "avatar": {"$type": "blob", "mimeType": '
                b'"image/jpeg", "ref": "<binary>", "size": '
                + size
                + created[k]
                + description
                + b'", "displayName": "'
                + name
                + tails[k]
            )

    # --- what goes wrong: repeats and malformed lines ---------------------------------------------

    def _mark_duplicates(self, kinds: np.ndarray, first: int) -> tuple[int, int]:
        """Mark single repeated lines and any reconnect replay due in this batch: (its first slot, length)."""
        if not self._history:
            return 0, 0
        kinds[self._rng.random(BATCH) < DUPLICATE_SHARE] = DUPLICATE
        at = max(0, self._slot_at(self._next_replay_us) - first)
        if at >= BATCH:
            return 0, 0
        length = min(int(self._rng.integers(*REPLAY_LINES)), len(self._history), BATCH - at)
        # Replays alternate: restamped, as the reference producer prints a replay (it stamps the time it
        # sees an event, not when it happened), then as they were, like a producer that keeps timestamps.
        kinds[at : at + length] = REPLAYED_RESTAMPED if self._replays % 2 == 0 else REPLAYED
        self._replays += 1
        self._next_replay_us += int(self._rng.uniform(*REPLAY_GAP_S) * 1e6)
        return at, length

    def _add_repeats_and_bad_lines(
        self,
        lines: list[bytes],
        kinds: np.ndarray,
        replayed: tuple[int, int],
        fields: dict[str, Field],
        stamp_us: np.ndarray,
    ) -> None:
        special = np.flatnonzero(kinds >= EVENT_KINDS)
        if not len(special):
            return
        history = self._history
        replay_at, replay_length = replayed
        replay_from = len(history) - replay_length - replay_at  # the replay's slots map to history's tail
        stamps = fields["timestamp"][0][special].view("S26").tolist()
        events = np.flatnonzero(kinds < EVENT_KINDS).tolist()  # bad lines spoil good ones of this batch
        draws = self._rng.random((len(special), 3)).tolist()
        for slot, kind, stamp, d in zip(special.tolist(), kinds[special].tolist(), stamps, draws, strict=True):
            if kind == DUPLICATE:
                lines[slot] = history[int(d[0] * len(history))]
            elif kind == REPLAYED:
                lines[slot] = history[replay_from + slot]
            elif kind == REPLAYED_RESTAMPED:
                whole_second = stamp_us[slot] % 1_000_000 == 0
                lines[slot] = _restamp(history[replay_from + slot], stamp[:19] if whole_second else stamp)
            else:
                lines[slot] = _bad_line(lines[events[int(d[0] * len(events))]], d[1], d[2])


def _active_users(uniform: np.ndarray) -> np.ndarray:
    """User ranks drawn with weight 1/(rank + ACTIVITY_OFFSET): the inverse of that law's continuous CDF."""
    spread = math.log((USERS + ACTIVITY_OFFSET) / ACTIVITY_OFFSET)
    ranks = (ACTIVITY_OFFSET * np.exp(uniform * spread) - ACTIVITY_OFFSET).astype(np.int64)
    return np.minimum(ranks, USERS - 1)


def _render_into(rendered: np.ndarray, template: Template, fields: dict[str, Field], slots: np.ndarray) -> None:
    if len(slots):
        rows = render_array(template, fields, slots)
        rendered[slots] = rows.view(f"S{rows.dtype.itemsize}")


def _restamp(line: bytes, timestamp: bytes) -> bytes:
    """`line` with its timestamp replaced (the rendered lines start with it)."""
    prefix = b'{"timestamp": "'
    if not line.startswith(prefix):
        return line
    return prefix + timestamp + line[line.index(b'"', len(prefix)) :]


def _bad_line(good: bytes, variant_draw: float, draw: float) -> bytes:
    """A malformed line of a kind the real world sends (SPEC section 2), some spoiled from the `good` one."""
    variant = int(variant_draw * 40)
    if variant < 8:
        return EMPTY_LINES[int(draw * len(EMPTY_LINES))]
    if variant < 15:
        return good[: len(good) // 2] + b"\n"  # cut short: invalid JSON
    if variant < 20:
        return good.replace(b'"cid": "', b'"cid": "\xff\xfe', 1)  # not UTF-8
    if variant < 25:
        return (*NOT_OBJECTS, b"[" + good[:-1] + b"]\n")[int(draw * (len(NOT_OBJECTS) + 1))]
    event = json.loads(good)
    if variant < 32:
        del event[("timestamp", "path", "repo")[int(draw * 3)]]
    elif variant < 39:
        field, value = BAD_VALUES[int(draw * len(BAD_VALUES))]
        event[field] = value
    else:
        # A valid line of a megabyte, from a third-party collection that no metric reads.
        event["path"] = "blue.zio.atfile.upload/" + str(event.get("path", "")).rsplit("/", 1)[-1]
        event["record"] = {"$type": "blue.zio.atfile.upload", "note": "x" * 1_000_000}
    return json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n"


def _image_embed(size: int, width: int) -> bytes:
    return (
        ', "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", '
        f'"aspectRatio": {{"height": {width * 3 // 4}, "width": {width}}}, "image": {{"$type": "blob", '
        f'"mimeType": "image/jpeg", "ref": "<binary>", "size": {size}}}}}]}}'
    ).encode()


def _link_card(title: bytes, page: int) -> bytes:
    return (
        b', "embed": {"$type": "app.bsky.embed.external", "external": {"description": "", "title": "'
        + title
        + b'", "uri": "https://news.example.org/'
        + str(page).encode()
        + b'"}}'
    )
