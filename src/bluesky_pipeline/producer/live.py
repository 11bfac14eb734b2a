"""Live mode (the default): follow Bluesky's public Jetstream and print each created record as a line.

At least once, in order, without gaps: after a dropped connection it reconnects (backing off, rotating
instances on failure) and resumes from the last event's `time_us` rewound by `REWIND_US`, so a few seconds
are printed twice rather than any lost; the pipeline removes the repeats (docs/metrics.md, "the same event").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from bluesky_pipeline.producer.events import create_line, with_binary_placeholders
from bluesky_pipeline.producer.output import Sampler

# Bluesky's public instances; any one serves the whole network.
JETSTREAMS = (
    "wss://jetstream1.us-east.bsky.network/subscribe",
    "wss://jetstream2.us-east.bsky.network/subscribe",
    "wss://jetstream1.us-west.bsky.network/subscribe",
    "wss://jetstream2.us-west.bsky.network/subscribe",
)
# Cursors are each instance's receive times in microseconds; rewinding a few seconds covers the skew
# between instances and the events in flight when the connection dropped.
REWIND_US = 3_000_000
FIRST_BACKOFF_S = 0.25
MAX_BACKOFF_S = 30.0
OPEN_TIMEOUT_S = 10.0
FLUSH_INTERVAL_S = 0.2  # the longest a printed line waits in our buffer
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
OFFLINE_HINT_AFTER = 4  # failed attempts in a row (about 2 s of backoff) before suggesting --simulate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """Where to listen and what to ask for."""

    urls: tuple[str, ...] = JETSTREAMS
    cursor: int | None = None  # microseconds since the epoch; None: from now
    collections: tuple[str, ...] = ()  # empty: all of them
    count: int | None = None  # stop after this many created records; None: never


def subscribe_url(base: str, collections: tuple[str, ...], cursor: int | None) -> str:
    """`base` with Jetstream's query parameters added (keeping any it already has)."""
    parts = urlsplit(base)
    query = parse_qsl(parts.query) + [("wantedCollections", collection) for collection in collections]
    if cursor is not None:
        query.append(("cursor", str(cursor)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def line_for(message: dict[str, object], seen: datetime) -> bytes | None:
    """The output line for a Jetstream message, or None when it is not the creation of a record.

    Raises KeyError or TypeError when a commit lacks what a line needs.
    """
    commit = message.get("commit")
    if message.get("kind") != "commit" or not isinstance(commit, dict) or commit.get("operation") != "create":
        return None
    path = f"{commit['collection']}/{commit['rkey']}"
    record = with_binary_placeholders(commit.get("record"))
    return create_line(seen, path, commit.get("cid"), record, str(message["did"]))


class JetstreamFollower:
    """Follows Jetstream until `subscription.count` records have been seen (or forever)."""

    def __init__(self, subscription: Subscription, out: BinaryIO, sampler: Sampler | None) -> None:
        self._subscription = subscription
        self._out = out
        self._sampler = sampler
        self._last_time_us: int | None = None
        self._messages = 0
        self._created = 0

    async def run(self) -> None:
        flusher = asyncio.create_task(self._flush_now_and_then())
        try:
            await self._follow()
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        self._out.flush()

    def _resume_cursor(self) -> int | None:
        if self._last_time_us is None:
            return self._subscription.cursor
        return max(0, self._last_time_us - REWIND_US)

    async def _follow(self) -> None:
        urls = self._subscription.urls
        attempt, backoff, failures_in_a_row = 0, FIRST_BACKOFF_S, 0
        while True:
            url = subscribe_url(urls[attempt % len(urls)], self._subscription.collections, self._resume_cursor())
            messages_before = self._messages
            try:
                if await self._listen(url):
                    return
                reason = "closed by the server"
            except (OSError, TimeoutError, WebSocketException) as error:
                reason = str(error) or type(error).__name__
            if self._messages > messages_before:
                backoff, failures_in_a_row = FIRST_BACKOFF_S, 0  # it was working: try the same instance again, soon
            else:
                attempt, failures_in_a_row = attempt + 1, failures_in_a_row + 1  # not answering: try the next one
            delay = backoff * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, so clients do not reconnect in step)
            log.warning("connection to %s ended (%s); reconnecting in %.1f s", url, reason, delay)
            if failures_in_a_row == OFFLINE_HINT_AFTER:
                log.warning(
                    "no Jetstream instance answered %d times in a row: offline? `./bluesky --simulate` needs "
                    "no network (still retrying)",
                    failures_in_a_row,
                )
            await asyncio.sleep(delay)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _listen(self, url: str) -> bool:
        """Print what arrives on one connection; True once `count` records have been seen."""
        async with connect(url, open_timeout=OPEN_TIMEOUT_S, max_size=MAX_MESSAGE_BYTES, close_timeout=1) as websocket:
            log.info("listening to %s", url)
            async for message in websocket:
                self._messages += 1
                if self._handle(message):
                    return True
        return False

    def _handle(self, message: str | bytes) -> bool:
        """Print the line for one message, if any; True once `count` records have been seen."""
        try:
            event = json.loads(message)
            if not isinstance(event, dict):
                raise TypeError("not an object")
            time_us = event.get("time_us")
            if isinstance(time_us, int):
                self._last_time_us = time_us
            line = line_for(event, datetime.now())
        except (ValueError, KeyError, TypeError) as error:
            log.warning("skipping a message Jetstream sent that is not a usable event (%s)", error)
            return False
        if line is None:
            return False
        self._created += 1
        if self._sampler is None or self._sampler.keep():
            self._out.write(line)
        return self._subscription.count is not None and self._created >= self._subscription.count

    async def _flush_now_and_then(self) -> None:
        # Lines trickle in; without this a quiet stream would sit in the buffer.
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            self._out.flush()


def follow(subscription: Subscription, out: BinaryIO, sampler: Sampler | None) -> None:
    """Run the follower until it is done (or interrupted)."""
    asyncio.run(JetstreamFollower(subscription, out, sampler).run())
