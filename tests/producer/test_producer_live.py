"""`./bluesky` live, against a Jetstream-compatible websocket server on 127.0.0.1 (real websocket protocol).

The server holds a fixed history of events, honours `cursor` and `wantedCollections` as Jetstream does,
and can drop a connection abruptly after a given number of messages: the client must resume from its
cursor and lose nothing.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from bluesky_pipeline.producer.live import OFFLINE_HINT_AFTER, REWIND_US

ROOT = Path(__file__).resolve().parents[2]
FIRST_TIME_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
GAP_US = 100_000  # one event every 0.1 s of Jetstream time


def jetstream_history(count: int) -> list[dict[str, Any]]:
    """Jetstream messages: mostly record creations, with the updates, deletes, identity and account
    messages that must not be printed, and records holding binary values."""
    events: list[dict[str, Any]] = []
    for number in range(count):
        time_us = FIRST_TIME_US + number * GAP_US
        did = f"did:plc:{number:024d}"
        collection = ("app.bsky.feed.like", "app.bsky.feed.post", "app.bsky.graph.follow")[number % 3]
        message: dict[str, Any] = {"did": did, "time_us": time_us, "kind": "commit"}
        if number % 10 == 7:
            message = {"did": did, "time_us": time_us, "kind": ("identity", "account")[number % 2], "identity": {}}
        elif number % 10 == 9:
            message["commit"] = {"rev": "r", "operation": "delete", "collection": collection, "rkey": f"k{number}"}
        else:
            record: dict[str, Any] = {"$type": collection, "createdAt": "2026-01-01T00:00:00.000Z"}
            if collection == "app.bsky.feed.post":
                image = {"$type": "blob", "ref": {"$link": "bafkreiabc"}, "mimeType": "image/png", "size": 9}
                record |= {
                    "text": f"post {number} ✨",
                    "embed": {"images": [{"image": image}]},
                    "sig": {"$bytes": "AAE"},
                }
            operation = "update" if number % 10 == 8 else "create"
            message["commit"] = {
                "rev": "r",
                "operation": operation,
                "collection": collection,
                "rkey": f"k{number}",
                "record": record,
                "cid": f"bafyrei{number}",
            }
        events.append(message)
    return events


@dataclass
class FakeJetstream:
    """The server's history, what each connection asked for, and after how many messages to drop each."""

    history: list[dict[str, Any]]
    drop_after: list[int] = field(default_factory=list)
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    url: str = ""

    async def handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        query = parse_qs(urlsplit(connection.request.path).query)
        self.requests.append(query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        wanted = set(query.get("wantedCollections", []))
        to_send = [
            event
            for event in self.history
            if (cursor is None or event["time_us"] >= cursor)
            and (not wanted or "commit" not in event or event["commit"]["collection"] in wanted)
        ]
        drop_after = self.drop_after.pop(0) if self.drop_after else None
        for sent, event in enumerate(to_send):
            if sent == drop_after:
                await asyncio.sleep(0.3)  # let what was sent arrive, then cut the connection dead
                connection.transport.abort()
                return
            await connection.send(json.dumps(event))
        await connection.wait_closed()  # at the live tip: stay connected, quiet


@pytest.fixture
def jetstream() -> Iterator[FakeJetstream]:
    """A fake Jetstream serving 300 messages, on a port of 127.0.0.1, in a thread of its own."""
    fake = FakeJetstream(history=jetstream_history(300))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> Server:
        return await serve(fake.handle, "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    port = next(iter(server.sockets)).getsockname()[1]
    fake.url = f"ws://127.0.0.1:{port}/subscribe"
    yield fake

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def expected_lines(history: list[dict[str, Any]], collections: set[str] | None = None) -> list[tuple[str, str]]:
    """(repo, path) of every record creation in the history, in order."""
    return [
        (event["did"], f"{event['commit']['collection']}/{event['commit']['rkey']}")
        for event in history
        if event["kind"] == "commit"
        and event["commit"]["operation"] == "create"
        and (collections is None or event["commit"]["collection"] in collections)
    ]


def read_until(args: list[str], wanted: list[tuple[str, str]], timeout: float = 20) -> list[dict[str, Any]]:
    """Run `./bluesky ARGS` until it has printed every (repo, path) in `wanted`, then stop it."""
    printed: list[dict[str, Any]] = []
    missing, deadline = set(wanted), time.monotonic() + timeout
    with subprocess.Popen([str(ROOT / "bluesky"), *args], cwd=ROOT, stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        try:
            while missing and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                event = json.loads(line)
                printed.append(event)
                missing.discard((event["repo"], event["path"]))
        finally:
            process.terminate()
    return printed


def first_occurrences(printed: list[dict[str, Any]]) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for event in printed:
        seen.setdefault((event["repo"], event["path"]), None)
    return list(seen)


def test_prints_every_created_record_in_the_reference_shape(jetstream: FakeJetstream) -> None:
    printed = read_until(["--url", jetstream.url], expected_lines(jetstream.history))
    assert first_occurrences(printed) == expected_lines(jetstream.history)
    post = next(event for event in printed if event["path"].startswith("app.bsky.feed.post/"))
    assert list(post) == ["timestamp", "action", "path", "cid", "prev", "py_type", "record", "repo"]
    assert post["action"] == "create"
    assert post["prev"] is None
    assert post["py_type"] == "com.atproto.sync.subscribeRepos#repoOp"
    assert post["record"]["embed"]["images"][0]["image"]["ref"] == "<binary>"
    assert post["record"]["sig"] == "<binary>"
    assert post["record"]["text"].endswith("✨")
    seen = datetime.fromisoformat(post["timestamp"])  # local wall-clock time when seen, naive
    assert seen.tzinfo is None
    assert abs((datetime.now() - seen).total_seconds()) < 60


def test_a_dropped_connection_resumes_from_the_cursor_and_loses_nothing(jetstream: FakeJetstream) -> None:
    jetstream.drop_after = [100, 60]  # two connections cut dead mid-stream, the third one lasts
    printed = read_until(["--url", jetstream.url], expected_lines(jetstream.history))
    assert first_occurrences(printed) == expected_lines(jetstream.history)  # all, in order, no gap
    assert len(jetstream.requests) == 3
    assert "cursor" not in jetstream.requests[0]
    # Each resume starts a few seconds before the last event received: repeats, never a gap.
    first_resume = int(jetstream.requests[1]["cursor"][0])
    assert first_resume == jetstream.history[99]["time_us"] - REWIND_US
    second_resume = int(jetstream.requests[2]["cursor"][0])
    assert second_resume == jetstream.history[99 - REWIND_US // GAP_US + 59]["time_us"] - REWIND_US
    assert len(printed) > len(expected_lines(jetstream.history))  # the rewound seconds, printed again


def test_an_unreachable_instance_is_skipped_for_the_next(jetstream: FakeJetstream) -> None:
    dead = "ws://127.0.0.1:9/subscribe"  # the discard port: nothing listens there
    printed = read_until(["--url", dead, "--url", jetstream.url], expected_lines(jetstream.history))
    assert first_occurrences(printed) == expected_lines(jetstream.history)


def test_cursor_and_collections_are_passed_to_jetstream(jetstream: FakeJetstream) -> None:
    start = jetstream.history[150]["time_us"]
    wanted = {"app.bsky.feed.like", "app.bsky.feed.post"}
    expected = expected_lines(jetstream.history[150:], wanted)
    printed = read_until(
        ["--url", jetstream.url, "--cursor", str(start), "--collections", ",".join(sorted(wanted))], expected
    )
    assert first_occurrences(printed) == expected
    assert jetstream.requests[0]["cursor"] == [str(start)]
    assert sorted(jetstream.requests[0]["wantedCollections"]) == sorted(wanted)


def test_count_stops_after_that_many_records(jetstream: FakeJetstream) -> None:
    result = subprocess.run(
        [str(ROOT / "bluesky"), "--url", jetstream.url, "--count", "25"],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(event["repo"], event["path"]) for event in printed] == expected_lines(jetstream.history)[:25]
    assert b"listening to" in result.stderr  # logs go to stderr, stdout holds nothing but events


def test_offline_it_suggests_simulate_once_and_keeps_retrying() -> None:
    dead = "ws://127.0.0.1:9/subscribe"  # the discard port: every attempt is refused at once
    command = [str(ROOT / "bluesky"), "--url", dead]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        watchdog = threading.Timer(30, process.kill)  # a hang fails the test below instead of blocking it
        watchdog.start()
        try:
            logged: list[str] = []
            while len([line for line in logged if "reconnecting in" in line]) <= OFFLINE_HINT_AFTER:
                line = process.stderr.readline()
                assert line, logged  # still running: it keeps retrying after the hint
                logged.append(line)
        finally:
            watchdog.cancel()
            process.terminate()
        assert process.stdout is not None
        printed = process.stdout.read()
    assert printed == ""
    hints = [number for number, line in enumerate(logged) if "--simulate" in line]
    assert len(hints) == 1
    failures_before_hint = [line for line in logged[: hints[0]] if "connection to ws://127.0.0.1:9" in line]
    assert len(failures_before_hint) == OFFLINE_HINT_AFTER
    assert logged[hints[0]].startswith("bluesky: no Jetstream instance answered")
