"""The simulated network behind `--simulate`: who acts, on what, when, rendered as output lines in batches.

Deterministic: everything is drawn from generators seeded with `seed`, batch after batch of fixed size,
so the same seed and start give the same bytes whatever the pacing. Lines are built from string
templates that reproduce `events.create_line` exactly (a test holds them to it): json.dumps per event
would be several times too slow for the 200,000 events/s the benchmarks need.
"""

from __future__ import annotations

import bisect
import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bluesky_pipeline.producer.ids import CID_BODY_LENGTH, random_dids, random_strings, tid, tid_high, tid_pairs
from bluesky_pipeline.producer.texts import TextPool, build_text_pool

BATCH = 4096  # lines drawn at once; fixed, so that the pacing cannot change what is drawn
EPOCH = datetime(1970, 1, 1)

# What a slot of the stream is. The first eight are collections, in the mix of the real network.
LIKE, FOLLOW, POST, REPOST, BLOCK, LISTITEM, PROFILE, OTHER = range(8)
KIND_SHARES = (0.45, 0.28, 0.10, 0.06, 0.04, 0.03, 0.01, 0.03)
DUPLICATE, REPLAYED, REPLAYED_RESTAMPED, BAD = range(8, 12)

USERS = 200_000
# Activity by rank r is proportional to 1/(r + 400): heavy-tailed, yet the busiest human stays near
# 20 likes a minute, so only the bots reach the fast-likers threshold (50 in 60 s).
ACTIVITY_OFFSET = 400
LATE_SHARE = 0.002  # lines whose timestamp lags the clock by 1 to 10 minutes
LATE_US = (60_000_000, 600_000_000)
DUPLICATE_SHARE = 0.002  # single lines printed again, identical, a little later
REPLAY_EVERY_US = 300_000_000  # about every 5 minutes, a reconnecting producer replays its last lines
REPLAY_LINES = (100, 2000)
HISTORY = 4096  # recent lines kept for duplicates and replays

RECENT_POSTS = 50_000  # ordinary likes, reposts, replies and quotes target these, uniformly
HOT_POSTS = 50  # a rotating set of popular posts, liked Zipf-wise: what "trending" finds
HOT_SHARE = 0.35  # of likes and reposts that go to a hot post
HOT_JOIN = 0.05  # chance a new post joins while the hot set fills up
HOT_REPLACE = 0.0005  # then, chance a new post replaces a random hot one (a hot post lives ~10 minutes)

REPLY_SHARE = 0.30
ENGINEERING_SHARE = 0.015
IMAGE_SHARE, LINK_CARD_SHARE, QUOTE_SHARE = 0.15, 0.05, 0.03
NO_LANGS_SHARE, TWO_LANGS_SHARE = 0.03, 0.02
TWO_FRAGMENTS_SHARE = 0.6  # longer posts join two fragments: many more distinct texts
ENGLISH_ENGINEERING = 0.8  # engineering posts written in English; the others mix it into their language

OTHER_COLLECTIONS = (
    ("fyi.unravel.frontpage.vote", "fyi.unravel.frontpage.post"),
    ("sh.tangled.feed.star", "sh.tangled.repo"),
    ("community.lexicon.calendar.rsvp", "community.lexicon.calendar.event"),
    ("app.popsky.like", "app.popsky.review"),
)


@dataclass
class Bot:
    """An account that likes in bursts during sessions; some bursts are one batch with one timestamp."""

    actor: int
    per_minute: float
    burst_sizes: tuple[int, int]
    batched_share: float
    next_burst_us: int
    session_end_us: int


class _Seconds(dict[int, str]):
    """Naive ISO text of each whole second, computed once: most lines share their second."""

    def __missing__(self, second: int) -> str:
        if len(self) > 65_536:
            self.clear()
        text = (EPOCH + timedelta(seconds=second)).isoformat()
        self[second] = text
        return text


class _Fractions(dict[int, str]):
    """`.ffffff`, or nothing when the microseconds are zero, as `datetime.isoformat()` writes them."""

    def __missing__(self, micros: int) -> str:
        text = f".{micros:06d}" if micros else ""
        self[micros] = text
        return text


class _TidHighs(dict[int, str]):
    def __missing__(self, key: int) -> str:
        if len(self) > 65_536:
            self.clear()
        text = tid_high(key << 20)
        self[key] = text
        return text


class World:
    """The simulated network: call `batch()` for the next `BATCH` lines of the stream."""

    def __init__(self, seed: int, start: datetime, step_us: float, bad_line_rate: float) -> None:
        self._rng = np.random.default_rng(seed)
        self._random = random.Random(seed)
        self._start_us = (start - EPOCH) // timedelta(microseconds=1)
        self._step_us = step_us
        self._bad_line_rate = bad_line_rate
        self._index = 0  # slots drawn so far: the clock reads start + index * step

        rng = self._rng
        self._kind_cdf = np.cumsum(KIND_SHARES) / sum(KIND_SHARES)
        activity = 1.0 / (np.arange(USERS) + ACTIVITY_OFFSET)
        self._activity_cdf = np.cumsum(activity) / activity.sum()
        self._dids = random_dids(rng, USERS)
        # Who gets followed and blocked: the same heavy tail, over another ordering of the users.
        self._followed = rng.permutation(USERS)
        self._cid_bodies = random_strings(rng, 4096, CID_BODY_LENGTH - 13)
        self._lists = [
            f"at://{self._dids[int(user)]}/app.bsky.graph.list/{tid(int(micros), 0)}"
            for user, micros in zip(
                rng.integers(0, USERS, 2000), self._start_us - rng.integers(0, 10**14, 2000), strict=True
            )
        ]
        self._texts: TextPool = build_text_pool(rng)
        self._language_cdf = list(np.cumsum(self._texts.language_weights))
        self._images = [_image_embed(int(size), int(width)) for size, width in zip(
            rng.integers(40_000, 950_000, 256), rng.integers(600, 2000, 256), strict=True
        )]
        hot = 1.0 / (np.arange(HOT_POSTS) + 1.0)
        self._hot_cdf = np.cumsum(hot) / hot.sum()
        self._recent: list[tuple[str, str]] = []  # (subject, thread root) of recent posts, a ring
        self._recent_next = 0
        self._hot: list[str] = []
        self._history: list[str] = []
        self._bots = self._make_bots()
        self._pending_bot_likes: list[tuple[int, int, int]] = []  # (slot, actor, printed time)

        self._seconds = _Seconds()
        self._fractions = _Fractions()
        self._tid_highs = _TidHighs()
        self._millis = [f".{millis:03d}Z" for millis in range(1000)]

    def _make_bots(self) -> list[Bot]:
        """Six fast likers (70-300 a minute, in bursts) and four steady ones below the threshold."""
        draw, start = self._random, self._start_us
        bot_dids = random_dids(self._rng, 10)
        bots = []
        for number, did in enumerate(bot_dids):
            self._dids.append(did)
            fast = number < 6
            # The first bot is busy from the start, so even a short run has a fast liker.
            begins = start if number == 0 else start + int(draw.uniform(0, 900) * 1e6)
            session = draw.uniform(180, 600) if number == 0 else draw.uniform(120, 600)
            bots.append(
                Bot(
                    actor=USERS + number,
                    per_minute=draw.uniform(70, 300) if fast else draw.uniform(15, 30),
                    burst_sizes=(5, 40) if fast else (1, 2),
                    batched_share=0.3 if fast else 0.0,
                    next_burst_us=begins,
                    session_end_us=begins + int(session * 1e6),
                )
            )
        return bots

    def _clock(self, slot: int) -> int:
        return self._start_us + int(slot * self._step_us)

    def batch(self) -> list[str]:
        """The next `BATCH` lines, newline included."""
        n, rng, first = BATCH, self._rng, self._index
        self._index += n
        kinds = np.searchsorted(self._kind_cdf, rng.random(n))
        actors = np.searchsorted(self._activity_cdf, rng.random(n))
        followed = self._followed[np.searchsorted(self._activity_cdf, rng.random(n))]
        slot_us = self._start_us + ((first + np.arange(n)) * self._step_us).astype(np.int64)
        shift = np.zeros(n, np.int64)  # how far each printed timestamp lags its slot's clock
        late = rng.random(n) < LATE_SHARE
        shift[late] = rng.integers(*LATE_US, int(late.sum()))
        self._place_bot_likes(kinds, actors, shift, first)
        replayed = self._mark_duplicates(kinds)
        if self._bad_line_rate:
            kinds[rng.random(n) < self._bad_line_rate] = BAD
        stamp_us = slot_us - shift
        created_us = stamp_us - rng.integers(30_000, 3_000_000, n)  # the client wrote it a moment before
        lines = self._render(
            kinds.tolist(),
            actors.tolist(),
            followed.tolist(),
            slot_us,
            stamp_us,
            created_us,
            rng.integers(0, 1024, n).tolist(),
            rng.integers(0, len(self._cid_bodies), n).tolist(),
            rng.random(n).tolist(),
            np.searchsorted(self._hot_cdf, rng.random(n)).tolist(),
            replayed,
        )
        self._history = (self._history + lines)[-HISTORY:]
        return lines

    def _place_bot_likes(self, kinds: np.ndarray, actors: np.ndarray, shift: np.ndarray, first: int) -> None:
        """Turn the slots where bots' likes fall into those likes; likes due after this batch wait."""
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
            shift[slot - first] = self._clock(slot) - printed_us
        del pending[:due]

    def _slot_at(self, micros: int) -> int:
        """The first slot whose clock reads `micros` or later."""
        return math.ceil((micros - self._start_us) / self._step_us)

    def _burst(self, bot: Bot) -> list[tuple[int, int, int]]:
        """The likes of `bot`'s next burst as (slot, actor, printed time); schedules the burst after."""
        draw = self._random
        at = bot.next_burst_us
        size = draw.randint(*bot.burst_sizes)
        if draw.random() < bot.batched_share:
            # One write of many likes: consecutive slots, all printed with the first one's timestamp.
            first = self._slot_at(at)
            likes = [(first + i, bot.actor, self._clock(first)) for i in range(size)]
        else:
            times = (at + np.cumsum(self._rng.integers(50_000, 250_000, size))).tolist()
            likes = [(self._slot_at(time), bot.actor, self._clock(self._slot_at(time))) for time in times]
        mean_size = sum(bot.burst_sizes) / 2
        bot.next_burst_us = at + int(draw.expovariate(bot.per_minute / (mean_size * 60e6)))
        if bot.next_burst_us > bot.session_end_us:
            bot.next_burst_us = bot.session_end_us + int(draw.uniform(120, 1800) * 1e6)
            bot.session_end_us = bot.next_burst_us + int(draw.uniform(120, 600) * 1e6)
        return likes

    def _mark_duplicates(self, kinds: np.ndarray) -> int:
        """Mark single repeated lines and, now and then, a reconnect replay; returns the replay's length."""
        if not self._history:
            return 0
        rng = self._rng
        kinds[rng.random(BATCH) < DUPLICATE_SHARE] = DUPLICATE
        span_us = BATCH * self._step_us
        if rng.random() >= span_us / REPLAY_EVERY_US:
            return 0
        length = int(rng.integers(REPLAY_LINES[0], min(REPLAY_LINES[1], len(self._history))))
        # Half the replays print the old lines as they were; the other half restamps them, as the
        # reference producer does (it stamps the time it sees an event, not when it first happened).
        kinds[:length] = REPLAYED if rng.random() < 0.5 else REPLAYED_RESTAMPED
        return length

    def _render(
        self,
        kinds: list[int],
        actors: list[int],
        followed: list[int],
        slot_us: np.ndarray,
        stamp_us: np.ndarray,
        created_us: np.ndarray,
        clock_ids: list[int],
        cid_picks: list[int],
        picks: list[float],
        hot_picks: list[int],
        replayed: int,
    ) -> list[str]:
        stamp_seconds, stamp_micros = np.divmod(stamp_us, 1_000_000)
        created_seconds, created_micros = np.divmod(created_us, 1_000_000)
        tid_keys = (slot_us >> 20).tolist()
        tid_mid = ((slot_us >> 10) & 1023).tolist()
        tid_low = (slot_us & 1023).tolist()
        stamp_seconds_l, stamp_micros_l = stamp_seconds.tolist(), stamp_micros.tolist()
        created_seconds_l, created_millis_l = created_seconds.tolist(), (created_micros // 1000).tolist()
        seconds, fractions, millis, tid_highs = self._seconds, self._fractions, self._millis, self._tid_highs
        pairs, dids, cid_bodies = tid_pairs(), self._dids, self._cid_bodies
        recent, hot, history = self._recent, self._hot, self._history
        lines: list[str] = []
        append = lines.append
        for i, kind in enumerate(kinds):
            timestamp = seconds[stamp_seconds_l[i]] + fractions[stamp_micros_l[i]]
            created = seconds[created_seconds_l[i]] + millis[created_millis_l[i]]
            rkey = tid_highs[tid_keys[i]] + pairs[tid_mid[i]] + pairs[tid_low[i]] + pairs[clock_ids[i]]
            cid = "bafyrei" + cid_bodies[cid_picks[i]] + rkey
            did = dids[actors[i]]
            if kind == LIKE or kind == REPOST:
                if not recent:
                    kind = POST  # nothing to like yet: the stream opens with posts
                else:
                    pick = picks[i]
                    if pick < HOT_SHARE and hot:
                        subject = hot[hot_picks[i] % len(hot)]
                    else:
                        subject = recent[int(pick * len(recent))][0]
                    collection = "app.bsky.feed.like" if kind == LIKE else "app.bsky.feed.repost"
                    append(
                        f'{{"timestamp": "{timestamp}", "action": "create", "path": "{collection}/{rkey}", '
                        f'"cid": "{cid}", "prev": null, "py_type": "com.atproto.sync.subscribeRepos#repoOp", '
                        f'"record": {{"$type": "{collection}", "createdAt": "{created}", "subject": {subject}}}, '
                        f'"repo": "{did}"}}\n'
                    )
                    continue
            if kind == FOLLOW or kind == BLOCK:
                collection = "app.bsky.graph.follow" if kind == FOLLOW else "app.bsky.graph.block"
                append(
                    f'{{"timestamp": "{timestamp}", "action": "create", "path": "{collection}/{rkey}", '
                    f'"cid": "{cid}", "prev": null, "py_type": "com.atproto.sync.subscribeRepos#repoOp", '
                    f'"record": {{"$type": "{collection}", "createdAt": "{created}", '
                    f'"subject": "{dids[followed[i]]}"}}, "repo": "{did}"}}\n'
                )
            elif kind == POST:
                append(_line(timestamp, "app.bsky.feed.post", rkey, cid, self._post(did, rkey, cid, created), did))
            elif kind == LISTITEM:
                record = (
                    f'{{"$type": "app.bsky.graph.listitem", "createdAt": "{created}", '
                    f'"list": "{self._lists[clock_ids[i] % len(self._lists)]}", "subject": "{dids[followed[i]]}"}}'
                )
                append(_line(timestamp, "app.bsky.graph.listitem", rkey, cid, record, did))
            elif kind == PROFILE:
                append(_line(timestamp, "app.bsky.actor.profile", "self", cid, self._profile(created), did))
            elif kind == OTHER:
                collection, target = OTHER_COLLECTIONS[clock_ids[i] % len(OTHER_COLLECTIONS)]
                subject = f"at://{dids[followed[i]]}/{target}/{rkey}"
                record = f'{{"$type": "{collection}", "createdAt": "{created}", "subject": "{subject}"}}'
                append(_line(timestamp, collection, rkey, cid, record, did))
            elif kind == DUPLICATE:
                append(history[int(picks[i] * len(history))])
            elif kind == REPLAYED:
                append(history[len(history) - replayed + i])
            elif kind == REPLAYED_RESTAMPED:
                append(_restamp(history[len(history) - replayed + i], timestamp))
            else:
                append(self._bad_line(lines[-1] if lines else None, timestamp, did))
        return lines

    def _remember_post(self, subject: str, root: str) -> None:
        draw = self._random.random
        if len(self._recent) < RECENT_POSTS:
            self._recent.append((subject, root))
        else:
            self._recent[self._recent_next] = (subject, root)
            self._recent_next = (self._recent_next + 1) % RECENT_POSTS
        if len(self._hot) < HOT_POSTS:
            if draw() < HOT_JOIN:
                self._hot.append(subject)
        elif draw() < HOT_REPLACE:
            self._hot[self._random.randrange(HOT_POSTS)] = subject

    def _post(self, did: str, rkey: str, cid: str, created: str) -> str:
        """A post record (text, languages, maybe a reply and an embed); remembers it for later likes."""
        draw = self._random.random
        texts = self._texts
        language = texts.languages[bisect.bisect(self._language_cdf, draw() * self._language_cdf[-1])]
        pool = texts.fragments[language]
        text = pool[int(draw() * len(pool))]
        if draw() < TWO_FRAGMENTS_SHARE:
            text += texts.separator(language) + pool[int(draw() * len(pool))]
        if draw() < ENGINEERING_SHARE:
            if draw() < ENGLISH_ENGINEERING:
                language, pool = "en", texts.fragments["en"]
                text = pool[int(draw() * len(pool))]
            text += " " + texts.engineering[int(draw() * len(texts.engineering))]
        subject = f'{{"cid": "{cid}", "uri": "at://{did}/app.bsky.feed.post/{rkey}"}}'
        root = subject
        parts = [f'{{"$type": "app.bsky.feed.post", "createdAt": "{created}"']
        roll = draw()
        if roll < IMAGE_SHARE:
            parts.append(self._images[int(draw() * len(self._images))])
        elif roll < IMAGE_SHARE + LINK_CARD_SHARE:
            parts.append(_link_card(pool[int(draw() * len(pool))], int(draw() * 100_000)))
        elif roll < IMAGE_SHARE + LINK_CARD_SHARE + QUOTE_SHARE and self._recent:
            quoted = self._recent[int(draw() * len(self._recent))][0]
            parts.append(f', "embed": {{"$type": "app.bsky.embed.record", "record": {quoted}}}')
        roll = draw()
        if roll < TWO_LANGS_SHARE:
            other = "en" if language != "en" else "ja"
            parts.append(f', "langs": ["{language}", "{other}"]')
        elif roll >= TWO_LANGS_SHARE + NO_LANGS_SHARE:
            parts.append(f', "langs": ["{language}"]')
        if draw() < REPLY_SHARE and self._recent:
            parent, root = self._recent[int(draw() * len(self._recent))]
            parts.append(f', "reply": {{"parent": {parent}, "root": {root}}}')
        parts.append(f', "text": "{text}"}}')
        self._remember_post(subject, root)
        return "".join(parts)

    def _profile(self, created: str) -> str:
        draw = self._random.random
        english = self._texts.fragments["en"]
        name = english[int(draw() * len(english))].split(" ")[0]
        return (
            f'{{"$type": "app.bsky.actor.profile", "avatar": {{"$type": "blob", "mimeType": "image/jpeg", '
            f'"ref": "<binary>", "size": {int(draw() * 500_000) + 20_000}}}, "createdAt": "{created}", '
            f'"description": "{english[int(draw() * len(english))]}", "displayName": "{name}"}}'
        )

    def _bad_line(self, good: str | None, timestamp: str, did: str) -> str:
        """A malformed line of a kind the real world sends (SPEC section 2); `good` is a line to spoil."""
        draw = self._random
        sample = good if good and good.startswith('{"timestamp"') else _line(
            timestamp, "app.bsky.graph.follow", "3" * 13, "bafyrei", "null", did
        )
        variant = draw.randrange(40)
        if variant < 8:
            return draw.choice(("\n", " \n", "\r\n", "\t\n"))
        if variant < 15:
            return sample[: len(sample) // 2] + "\n"  # cut short: invalid JSON
        if variant < 20:
            return sample.replace('"cid": "', '"cid": "\udcff\udcfe', 1)  # encodes to invalid UTF-8 bytes
        if variant < 25:
            return draw.choice(("[1, 2, 3]\n", '"create"\n', "42\n", "null\n", "true\n", "[" + sample[:-1] + "]\n"))
        event = json.loads(sample)
        if variant < 32:
            del event[draw.choice(("timestamp", "path", "repo"))]
        elif variant < 39:
            field, value = draw.choice(
                (("timestamp", "yesterday"), ("timestamp", "2026-13-45T99:00:00"), ("timestamp", 1767225600),
                 ("path", "app.bsky.feed.like"), ("path", None), ("repo", 42), ("repo", ""))
            )
            event[field] = value
        else:
            # A valid line of about a megabyte, from a third-party collection nobody queries.
            event["path"] = "blue.zio.atfile.upload/" + event["path"].rsplit("/", 1)[-1]
            event["record"] = {"$type": "blue.zio.atfile.upload", "note": "x" * 1_000_000}
        return json.dumps(event, ensure_ascii=False) + "\n"


def _line(timestamp: str, collection: str, rkey: str, cid: str, record: str, did: str) -> str:
    """The template of `events.create_line`, for a record already serialized."""
    return (
        f'{{"timestamp": "{timestamp}", "action": "create", "path": "{collection}/{rkey}", "cid": "{cid}", '
        f'"prev": null, "py_type": "com.atproto.sync.subscribeRepos#repoOp", "record": {record}, "repo": "{did}"}}\n'
    )


def _restamp(line: str, timestamp: str) -> str:
    """`line` with its timestamp replaced (lines from the templates start with it)."""
    prefix = '{"timestamp": "'
    if not line.startswith(prefix):
        return line
    end = line.index('"', len(prefix))
    return prefix + timestamp + line[end:]


def _image_embed(size: int, width: int) -> str:
    height = width * 3 // 4
    return (
        ', "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", '
        f'"aspectRatio": {{"height": {height}, "width": {width}}}, "image": {{"$type": "blob", '
        f'"mimeType": "image/jpeg", "ref": "<binary>", "size": {size}}}}}]}}'
    )


def _link_card(title: str, page: int) -> str:
    return (
        ', "embed": {"$type": "app.bsky.embed.external", "external": {"description": "", '
        f'"title": "{title}", "uri": "https://news.example.org/{page}"}}}}'
    )
