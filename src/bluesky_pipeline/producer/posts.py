"""The simulated network's posts and profiles: texts joined from prebuilt pieces, threads, hot posts.

Posts remember the recent ones, so that replies, quotes, likes and reposts point to posts printed before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bluesky_pipeline.producer.ids import tids
from bluesky_pipeline.producer.render import Field, render, render_array
from bluesky_pipeline.producer.templates import (
    POST_HEAD,
    POST_REF,
    POST_TAIL,
    PROFILE_AVATAR,
    PROFILE_CREATED,
    PROFILE_HEAD,
    PROFILE_TAIL,
    QUOTE,
    REPLY,
    image_embed,
    link_card,
)
from bluesky_pipeline.producer.texts import TextPool

RECENT_POSTS = 50_000  # ordinary likes, reposts, replies and quotes pick among these, uniformly
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
        images = [image_embed(size, width) for size, width in zip(sizes, widths, strict=True)]
        english = texts.fragments["en"]
        titles = rng.integers(0, len(english), 256).tolist()
        cards = [link_card(english[title], page) for page, title in enumerate(titles)]
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


class Posts:
    """Renders posts and keeps the recent ones (a ring) and the hot set, as strong references."""

    def __init__(
        self, rng: np.random.Generator, pieces: PostPieces, cid_bodies: np.ndarray, dids: np.ndarray, ring: int
    ) -> None:
        self._rng = rng
        self._pieces = pieces
        self._image_count = pieces.embeds.index(b"") // 2  # as many images as link cards
        hot = 1.0 / np.arange(1, HOT_POSTS + 1)
        self._hot_cdf = np.cumsum(hot) / hot.sum()
        one = np.zeros(1, dtype=np.int64)
        sample = {"cid_body": (cid_bodies, one), "rkey": (tids(one, one), None), "actor": (dids, one)}
        ref = render_array(POST_REF, sample, one).dtype
        self._ring = ring  # larger than a batch's posts plus RECENT_POSTS: new posts never overwrite picks
        self._posts = np.zeros(ring, dtype=ref)  # the recent posts, by post number modulo the ring
        self._roots = np.zeros(ring, dtype=ref)  # the root of each one's thread
        self.count = 0  # posts made so far
        self._hot = np.zeros(HOT_POSTS, dtype=ref)
        self._hot_count = 0

    def hot_now(self) -> np.ndarray:
        """The hot set as it is (likes of a batch see it as it was when the batch began)."""
        hot: np.ndarray = self._hot[: self._hot_count].copy()
        return hot

    def liked(self, posts_before: np.ndarray, hot: np.ndarray) -> np.ndarray:
        """A post to like or repost for each slot, given how many posts came before it: a hot post, or
        one of the recent ones."""
        rng, n = self._rng, len(posts_before)
        recent = posts_before - 1 - (rng.random(n) * np.minimum(posts_before, RECENT_POSTS)).astype(np.int64)
        subjects = self._posts[recent % self._ring]
        hot_picks = np.searchsorted(self._hot_cdf, rng.random(n))
        to_hot = rng.random(n) < (HOT_SHARE if len(hot) else 0.0)
        subjects[to_hot] = hot[hot_picks[to_hot] % max(1, len(hot))]
        chosen: np.ndarray = subjects
        return chosen

    def _earlier(self, draws: np.ndarray) -> np.ndarray:
        """Ring rows of recent posts made before this batch (replies and quotes point to those)."""
        window = min(self.count, RECENT_POSTS)
        return (self.count - 1 - (draws * window).astype(np.int64)) % self._ring

    def add(self, rendered: np.ndarray, slots: np.ndarray, fields: dict[str, Field]) -> None:
        """Render the posts at `slots` and remember them, so that later slots can like them."""
        count = len(slots)
        if not count:
            return
        pieces, d = self._pieces, self._rng.random((14, count))
        refs = render_array(POST_REF, fields, slots)
        # Replies and quotes point to posts of earlier batches: there are none in the very first one.
        earlier = self.count > 0
        parents, quoted = self._earlier(d[11]), self._earlier(d[8])
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
        rows = (self.count + np.arange(count)) % self._ring
        self._posts[rows] = refs
        self._roots[rows] = roots
        self.count += count
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

    def add_profiles(self, rendered: np.ndarray, slots: np.ndarray, fields: dict[str, Field]) -> None:
        """Render the profiles at `slots`: an avatar, and a name and description from the English texts."""
        if not len(slots):
            return
        heads = render(PROFILE_HEAD, fields, slots)
        created = render(PROFILE_CREATED, fields, slots)
        tails = render(PROFILE_TAIL, fields, slots)
        pieces = self._pieces
        english = pieces.openings[pieces.offsets[pieces.english] :]
        draws = self._rng.random((len(slots), 3)).tolist()
        for k, (slot, d) in enumerate(zip(slots.tolist(), draws, strict=True)):
            size = str(20_000 + int(d[0] * 500_000)).encode()
            name = english[int(d[1] * len(english))].split(b" ")[2].strip(b'"')
            description = english[int(d[2] * len(english))].removeprefix(b', "text": "')
            rendered[slot] = (
                heads[k] + PROFILE_AVATAR + size + created[k] + description + b'", "displayName": "' + name + tails[k]
            )
