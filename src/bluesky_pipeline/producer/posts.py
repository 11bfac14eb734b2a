"""The simulated network's posts and profiles: texts with facets joined from prebuilt pieces, embeds,
threads, quotes, and the rotating set of hot posts.

Posts remember the recent ones, so that replies, quotes, likes and reposts point to posts printed before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bluesky_pipeline.producer.ids import tids
from bluesky_pipeline.producer.render import Field, Fields, render, render_array
from bluesky_pipeline.producer.richtext import EMPTY, Piece, after, facets_field, piece
from bluesky_pipeline.producer.templates import (
    POST_HEAD,
    POST_REF,
    POST_TAIL,
    PROFILE_CREATED,
    PROFILE_HEAD,
    PROFILE_TAIL,
    QUOTE,
    QUOTE_MEDIA_HEAD,
    QUOTE_MEDIA_RECORD,
    QUOTE_MEDIA_TAIL,
    QUOTED,
    REPLY,
    TEXT,
    embed,
    images,
    link_card,
    profile_images,
    video,
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
# Embeds, as shares of posts: images (one to four), videos, link cards, quotes, quotes with images.
IMAGE_SHARE, VIDEO_SHARE, LINK_CARD_SHARE, QUOTE_SHARE, QUOTE_MEDIA_SHARE = 0.15, 0.04, 0.06, 0.03, 0.01
# Where each kind of embed ends on the draw that picks it (images first).
IMAGES_END, VIDEOS_END, CARDS_END, QUOTES_END, QUOTES_MEDIA_END = np.cumsum(
    [IMAGE_SHARE, VIDEO_SHARE, LINK_CARD_SHARE, QUOTE_SHARE, QUOTE_MEDIA_SHARE]
).tolist()
CARD_LINK_IN_TEXT = 0.6  # link cards whose link is also in the text (often the whole text)
WORDLESS_SHARE = 0.1  # of posts with images or a video: no text at all (the lexicon allows it with an embed)
TWO_LANGS_SHARE, NO_LANGS_SHARE = 0.02, 0.03
REPLY_SHARE = 0.30
# Posts from producers that write no facets (bridges, bots, older clients): their links are typed out.
WITHOUT_FACETS_SHARE = 0.1
VARIANTS = 256  # prebuilt embeds of each kind


@dataclass(frozen=True)
class PostPieces:
    """The parts a post line is joined from, prebuilt; the `-1` entry of each list is the empty piece."""

    language_cdf: np.ndarray
    english: int  # index of English in the languages
    offsets: np.ndarray  # where each language's fragments start in `openings` and `continuations`
    counts: np.ndarray
    openings: list[Piece]  # a fragment that starts a text (or none: the last is empty)
    continuations: list[Piece]  # a separator and a fragment, to lengthen a text
    engineering: list[Piece]
    langs: list[bytes]  # per language: one language, two, none
    images: list[bytes]  # `app.bsky.embed.images` objects
    videos: list[bytes]  # `embed` members
    cards: list[tuple[bytes, Piece]]  # `embed` members, with the card's link as text
    names: list[bytes]  # display names, JSON-escaped

    @classmethod
    def build(cls, texts: TextPool, rng: np.random.Generator) -> PostPieces:
        """Pieces from the text pool, with embeds drawn from `rng`."""
        openings: list[Piece] = []
        continuations: list[Piece] = []
        langs: list[bytes] = []
        counts = []
        for language in texts.languages:
            fragments = texts.fragments[language]
            opened = [piece(fragment) for fragment in fragments]
            openings += opened
            continuations += [after(texts.separator(language, number), part) for number, part in enumerate(opened)]
            counts.append(len(fragments))
            code = language.encode()
            second = b"ja" if language == "en" else b"en"
            langs += [b', "langs": ["' + code + b'"]', b', "langs": ["' + code + b'", "' + second + b'"]', b""]
        # Sentences (a fragment's words without its links, mentions and tags), for alt texts and titles.
        english = [
            next(part for part in fragment if part != " " and isinstance(part, str))
            for fragment in texts.fragments["en"]
        ]
        return cls(
            language_cdf=np.cumsum(texts.language_weights) / sum(texts.language_weights),
            english=texts.languages.index("en"),
            offsets=np.cumsum([0, *counts[:-1]]),
            counts=np.array(counts),
            openings=[*openings, EMPTY],
            continuations=[*continuations, EMPTY],
            engineering=[*(piece([" ", *text]) for text in texts.engineering), EMPTY],
            langs=langs,
            images=[_images(rng, english) for _ in range(VARIANTS)],
            videos=[_video(rng, english) for _ in range(VARIANTS)],
            cards=[_card(rng, texts, english) for _ in range(VARIANTS)],
            names=[name.encode() for name in texts.names],
        )


def _alt(rng: np.random.Generator, english: list[str], share: float) -> str:
    """Alt text: a sentence for a share of the media, empty for the rest (as most are posted)."""
    return english[int(rng.integers(len(english)))] if rng.random() < share else ""


def _images(rng: np.random.Generator, english: list[str]) -> bytes:
    count = int(rng.choice(4, p=(0.7, 0.15, 0.07, 0.08))) + 1
    shown = []
    for _ in range(count):
        width = int(rng.integers(600, 4000))
        tall, wide = ((1, 1), (3, 4), (4, 3), (9, 16), (16, 9))[int(rng.integers(5))]  # height : width
        height = width * tall // wide
        shown.append((int(rng.integers(40_000, 1_999_000)), width, height, _alt(rng, english, 0.3)))
    return images(shown)


def _video(rng: np.random.Generator, english: list[str]) -> bytes:
    width, height = ((1920, 1080), (1080, 1920), (852, 480), (720, 720))[int(rng.integers(4))]
    alt = _alt(rng, english, 0.5) if rng.random() < 0.3 else None
    return video(int(rng.integers(300_000, 60_000_000)), width, height, alt)


def _card(rng: np.random.Generator, texts: TextPool, english: list[str]) -> tuple[bytes, Piece]:
    link = texts.links.general()
    description = _alt(rng, english, 0.7)
    thumb = int(rng.integers(20_000, 900_000)) if rng.random() < 0.85 else None
    return link_card(link.uri, english[int(rng.integers(len(english)))], description, thumb), piece([" ", link])


class Posts:
    """Renders posts and keeps the recent ones (a ring) and the hot set, as strong references."""

    def __init__(
        self, rng: np.random.Generator, pieces: PostPieces, cid_bodies: np.ndarray, dids: np.ndarray, ring: int
    ) -> None:
        self._rng = rng
        self._pieces = pieces
        hot = 1.0 / np.arange(1, HOT_POSTS + 1)
        self._hot_cdf = np.cumsum(hot) / hot.sum()
        one = np.zeros(1, dtype=np.int64)
        sample = {"cid_body": (cid_bodies, one), "rkey": (tids(one, one), None), "actor": (dids, one)}
        self.ref_dtype = ref = render_array(POST_REF, sample, one).dtype
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
        # Draws per post: 0 language, 1 opening, 2 whether two fragments, 3 continuation, 4 whether
        # engineering, 5 whether in English, 6 topic, 7 embed kind, 8 embed variant and quoted post,
        # 9 langs, 10 whether a reply, 11 parent, 12-13 hot set, 14 whether without facets, 15 whether
        # a card's link is in the text, 16 a quote's media, 17 whether a media post has no text.
        d = self._rng.random((18, count))
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
        embeds, card_links = self._embeds(d, earlier, threads)
        texts, langs = self._texts(d, earlier)
        heads, tails = render(POST_HEAD, fields, slots), render(POST_TAIL, fields, slots)
        without_facets = (d[14] < WITHOUT_FACETS_SHARE).tolist()
        post_lines = np.empty(count, dtype=object)
        for k, ((one, two, three), plain) in enumerate(zip(texts, without_facets, strict=True)):
            four = card_links[k]
            if plain:
                facets, written = b"", one.plain + two.plain + three.plain + four.plain
            else:
                marked = one.facets or two.facets or three.facets or four.facets
                facets = facets_field((one, two, three, four)) if marked else b""
                written = one.client + two.client + three.client + four.client
            post_lines[k] = b"".join((heads[k], embeds[k], facets, langs[k], replies[k], TEXT, written, tails[k]))
        rendered[slots] = post_lines
        rows = (self.count + np.arange(count)) % self._ring
        self._posts[rows] = refs
        self._roots[rows] = roots
        self.count += count
        self._update_hot(refs, d[12].tolist(), d[13].tolist())

    def _texts(self, d: np.ndarray, earlier: bool) -> tuple[list[tuple[Piece, Piece, Piece]], list[bytes]]:
        """Each post's text pieces (opening, continuation, engineering) and `langs` member."""
        pieces = self._pieces
        language = np.searchsorted(pieces.language_cdf, d[0])
        engineering = d[4] < ENGINEERING_SHARE
        language[engineering & (d[5] < ENGLISH_ENGINEERING)] = pieces.english
        opening = pieces.offsets[language] + (d[1] * pieces.counts[language]).astype(np.int64)
        continuation = pieces.offsets[language] + (d[3] * pieces.counts[language]).astype(np.int64)
        continuation[d[2] >= TWO_FRAGMENTS_SHARE] = -1
        topic = (d[6] * (len(pieces.engineering) - 1)).astype(np.int64)
        topic[~engineering] = -1
        media = (d[7] < VIDEOS_END) | ((d[7] >= QUOTES_END) & (d[7] < QUOTES_MEDIA_END) & earlier)
        wordless = media & (d[17] < WORDLESS_SHARE)
        opening[wordless], continuation[wordless], topic[wordless] = -1, -1, -1
        langs = (
            language * 3
            + (d[9] < TWO_LANGS_SHARE)
            + 2 * ((d[9] >= TWO_LANGS_SHARE) & (d[9] < TWO_LANGS_SHARE + NO_LANGS_SHARE))
        )
        texts = [
            (pieces.openings[first], pieces.continuations[second], pieces.engineering[third])
            for first, second, third in zip(opening.tolist(), continuation.tolist(), topic.tolist(), strict=True)
        ]
        return texts, [pieces.langs[row] for row in langs.tolist()]

    def _embeds(self, d: np.ndarray, earlier: bool, threads: Fields) -> tuple[list[bytes], list[Piece]]:
        """Each post's `embed` member (or nothing) and the link its text ends with (a card's, or none)."""
        pieces, count = self._pieces, d.shape[1]
        embeds, card_links = [b""] * count, [EMPTY] * count
        kind, pick = d[7].tolist(), (d[8] * VARIANTS).astype(np.int64).tolist()
        for k in np.flatnonzero(d[7] < CARDS_END).tolist():
            if kind[k] < IMAGES_END:
                embeds[k] = embed(pieces.images[pick[k]])
            elif kind[k] < VIDEOS_END:
                embeds[k] = pieces.videos[pick[k]]
            else:
                embeds[k], link = pieces.cards[pick[k]]
                card_links[k] = link if d[15, k] < CARD_LINK_IN_TEXT else EMPTY
        if earlier:  # quotes point to posts of earlier batches
            quoting = np.flatnonzero((d[7] >= CARDS_END) & (d[7] < QUOTES_END))
            for k, quote in zip(quoting.tolist(), render(QUOTE, threads, quoting), strict=True):
                embeds[k] = quote
            with_media = np.flatnonzero((d[7] >= QUOTES_END) & (d[7] < QUOTES_MEDIA_END))
            media = (d[16] * VARIANTS).astype(np.int64).tolist()
            for k, quote in zip(with_media.tolist(), render(QUOTED, threads, with_media), strict=True):
                record = QUOTE_MEDIA_RECORD + quote + QUOTE_MEDIA_TAIL
                embeds[k] = QUOTE_MEDIA_HEAD + pieces.images[media[k]] + record
        return embeds, card_links

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
        """Render the profiles at `slots`: an avatar, often a banner, a name and a description."""
        if not len(slots):
            return
        heads = render(PROFILE_HEAD, fields, slots)
        created = render(PROFILE_CREATED, fields, slots)
        tails = render(PROFILE_TAIL, fields, slots)
        pieces = self._pieces
        first = int(pieces.offsets[pieces.english])
        english = pieces.openings[first : first + int(pieces.counts[pieces.english])]
        draws = self._rng.random((len(slots), 5)).tolist()
        for k, (slot, d) in enumerate(zip(slots.tolist(), draws, strict=True)):
            banner = 200_000 + int(d[4] * 800_000) if d[3] < 0.6 else None
            rendered[slot] = (
                heads[k]
                + profile_images(20_000 + int(d[0] * 500_000), banner)
                + created[k]
                + english[int(d[2] * len(english))].plain
                + b'", "displayName": "'
                + pieces.names[int(d[1] * len(pieces.names))]
                + tails[k]
            )
