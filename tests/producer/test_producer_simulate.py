"""`./bluesky --simulate`: the reference producer's shape, reproducibility, and a network the metrics can measure.

Most checks read one shared stream of 60 simulated seconds (the `simulated` fixture); a few make short runs.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bluesky_pipeline.producer.events import PY_TYPE, create_line

Run = Callable[..., Any]
Stream = Any  # conftest.Stream: raw, lines, events
SIMULATED_LINES = 60 * 2000  # the `simulated` fixture: 60 s at 2000 events a second
SHORT = ["--simulate", "--rate", "0", "--count", "5000", "--start", "2026-01-01T00:00:00"]

KEYS = ["timestamp", "action", "path", "cid", "prev", "py_type", "record", "repo"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$")
DID = re.compile(r"^did:plc:[a-z2-7]{24}$")
CID = re.compile(r"^bafyrei[a-z2-7]{52}$")
RKEY = re.compile(r"^[2-7a-z]{13}$")
ENGINEERING = re.compile(r"(?<![\w])engineering(?![\w])", re.IGNORECASE)


def collection(event: dict[str, Any]) -> str:
    return str(event["path"]).split("/", 1)[0]


def unique(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events without their repeats: the same (repo, path, action) counts once (docs/metrics.md, Definitions)."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for event in events:
        key = (event["repo"], event["path"], event["action"])
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept


def problems_in_shape(event: dict[str, Any]) -> list[str]:
    """What is wrong with an event's shape (empty: nothing)."""
    name, _, rkey = str(event["path"]).partition("/")
    checks = {
        "keys": list(event) == KEYS,
        "timestamp": bool(TIMESTAMP.match(event["timestamp"])) and not event["timestamp"].endswith(".000000"),
        "action": event["action"] == "create",
        "prev": event["prev"] is None,
        "py_type": event["py_type"] == PY_TYPE,
        "repo": bool(DID.match(event["repo"])),
        "cid": bool(CID.match(event["cid"])),
        "rkey": rkey == "self" if name == "app.bsky.actor.profile" else bool(RKEY.match(rkey)),
        "$type": event["record"]["$type"] == name,
    }
    return [check for check, passed in checks.items() if not passed]


def test_every_line_has_the_reference_shape(simulated: Stream) -> None:
    assert len(simulated.events) == len(simulated.lines) == SIMULATED_LINES
    wrong = [(event, problems) for event in simulated.events if (problems := problems_in_shape(event))]
    assert wrong[:3] == []


def test_whole_seconds_are_printed_without_a_fraction(simulated: Stream) -> None:
    whole = [event["timestamp"] for event in simulated.events if "." not in event["timestamp"]]
    assert simulated.events[0]["timestamp"] == "2026-01-01T00:00:00"
    assert len(whole) >= 60  # the clock passes every whole second


def test_lines_are_byte_for_byte_what_json_dumps_writes(simulated: Stream) -> None:
    # Every kind of line, and the whole-second ones, must equal the reference serialization exactly.
    chosen = [
        (line, event)
        for index, (line, event) in enumerate(zip(simulated.lines, simulated.events, strict=True))
        if index % 50 == 0 or "." not in event["timestamp"] or (index < 20_000 and "bsky.graph" not in event["path"])
    ]
    assert len(chosen) > 10_000
    differing = [
        line
        for line, event in chosen
        if create_line(
            datetime.fromisoformat(event["timestamp"]), event["path"], event["cid"], event["record"], event["repo"]
        )
        != line
    ]
    assert differing[:3] == []


SEED_AND_START = re.compile(r"bluesky: simulating with --seed (\d+) --start (\S+) \(.*\)\n")


def test_by_default_each_run_starts_now_with_a_fresh_seed_that_it_logs(
    bluesky: Run, parse: Callable[[bytes], Stream]
) -> None:
    command = ["--simulate", "--rate", "0", "--count", "2000"]
    before = datetime.now(UTC).replace(tzinfo=None)
    runs = [bluesky(command), bluesky(command)]
    after = datetime.now(UTC).replace(tzinfo=None)
    chosen, keys = [], []
    for run in runs:
        assert run.returncode == 0
        found = SEED_AND_START.fullmatch(run.stderr.decode())
        assert found is not None, run.stderr
        seed, start = found.group(1), datetime.fromisoformat(found.group(2))
        assert before <= start <= after  # now, in naive UTC
        stamps = [datetime.fromisoformat(event["timestamp"]) for event in parse(run.stdout).events]
        assert min(stamps) >= start - timedelta(minutes=10)  # late events are at most 10 minutes behind
        assert max(stamps) < start + timedelta(seconds=1)  # 2000 events: one second of simulated time
        chosen.append((seed, found.group(2)))
        keys.append({(event["repo"], event["path"]) for event in parse(run.stdout).events})
    assert chosen[0][0] != chosen[1][0]
    assert keys[0].isdisjoint(keys[1])  # the second run brings only new events
    seed, start_text = chosen[0]
    again = bluesky([*command, "--seed", seed, "--start", start_text])
    assert again.stdout == runs[0].stdout  # what it logged repeats the stream


@pytest.fixture(scope="module")
def seed_3(bluesky_module: Run) -> bytes:
    result = bluesky_module([*SHORT, "--seed", "3"])
    assert result.returncode == 0
    return bytes(result.stdout)


def test_count_bounds_the_stream(seed_3: bytes) -> None:
    assert seed_3.count(b"\n") == 5000


def test_same_seed_same_bytes_and_pacing_changes_nothing(
    bluesky: Run, bluesky_in_process: Callable[[list[str]], bytes], seed_3: bytes
) -> None:
    again = bluesky([*SHORT, "--seed", "3"])
    assert again.returncode == 0
    assert again.stdout == seed_3  # another process: nothing depends on hash seeds or the clock
    assert bluesky_in_process([*SHORT, "--seed", "4"]) != seed_3
    # --rate 0 only drops the pacing: the clock still runs at 2000 a second, so the lines are the same.
    paced = bluesky_in_process([*SHORT, "--rate", "2000", "--count", "1000", "--seed", "3"])  # 0.5 s
    assert paced.count(b"\n") == 1000
    assert seed_3.startswith(paced)


def test_sampling_keeps_about_the_share_asked_and_is_reproducible(
    bluesky: Run, bluesky_in_process: Callable[[list[str]], bytes], seed_3: bytes
) -> None:
    sampled = bluesky(["0.2", *SHORT, "--seed", "3"])
    assert sampled.returncode == 0
    assert bluesky_in_process(["0.2", *SHORT, "--seed", "3"]) == sampled.stdout
    kept = sampled.stdout.splitlines()
    assert 850 < len(kept) < 1150
    remaining = iter(seed_3.splitlines())
    assert all(line in remaining for line in kept)  # a subsequence of the full stream, in order


def test_the_stream_opens_with_a_post(simulated: Stream, seed_3: bytes) -> None:
    assert collection(simulated.events[0]) == "app.bsky.feed.post"
    assert collection(json.loads(seed_3.splitlines()[0])) == "app.bsky.feed.post"


def test_collection_mix_is_like_the_real_network(simulated: Stream) -> None:
    events = unique(simulated.events)
    shares = {name: count / len(events) for name, count in Counter(map(collection, events)).items()}
    assert 0.40 <= shares["app.bsky.feed.like"] <= 0.50
    assert 0.20 <= shares["app.bsky.graph.follow"] <= 0.35
    assert 0.07 <= shares["app.bsky.feed.post"] <= 0.13
    assert 0.04 <= shares["app.bsky.feed.repost"] <= 0.08
    for name in ("app.bsky.graph.block", "app.bsky.actor.profile", "app.bsky.graph.listitem"):
        assert shares[name] > 0.002
    assert len([name for name in shares if not name.startswith("app.bsky.")]) >= 3


def test_likes_point_to_posts_the_stream_printed_before(simulated: Stream) -> None:
    posts: dict[str, str] = {}  # uri -> cid
    dangling, likes, feeds = [], 0, 0
    for event in simulated.events:
        if collection(event) == "app.bsky.feed.post":
            posts[f"at://{event['repo']}/{event['path']}"] = event["cid"]
        elif collection(event) == "app.bsky.feed.like":
            subject = event["record"]["subject"]
            likes += 1
            if "/app.bsky.feed.generator/" in subject["uri"]:
                feeds += 1  # real likes also name feed generators
            elif posts.get(subject["uri"]) != subject["cid"]:
                dangling.append(subject)
    assert likes > 45_000
    assert 0.001 < feeds / likes < 0.01
    assert dangling == []


def test_some_likes_and_reposts_come_via_a_repost_of_the_same_post(simulated: Stream) -> None:
    # As social-app writes them: `via` is a strong reference to the repost through which the post was seen.
    reposts: dict[str, tuple[str, dict[str, str]]] = {}  # uri -> (cid, subject)
    wrong, via_shares = [], {}
    for name in ("app.bsky.feed.like", "app.bsky.feed.repost"):
        events = [event for event in simulated.events if collection(event) == name]
        via_shares[name] = sum("via" in event["record"] for event in events) / len(events)
    for event in simulated.events:
        record = event["record"]
        if "via" in record:
            cid, subject = reposts.get(record["via"]["uri"], ("", {}))
            if (cid, subject) != (record["via"]["cid"], record["subject"]):
                wrong.append(record)
        if collection(event) == "app.bsky.feed.repost":
            reposts[f"at://{event['repo']}/{event['path']}"] = (event["cid"], record["subject"])
    assert wrong == []
    assert 0.1 < via_shares["app.bsky.feed.like"] < 0.2
    assert 0.2 < via_shares["app.bsky.feed.repost"] < 0.4


def peak_likes_in_a_minute(times: list[datetime]) -> int:
    """The most likes whose times fall in one window [t, t + 60 s)."""
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= timedelta(seconds=60):
            start += 1
        best = max(best, end - start + 1)
    return best


def test_a_few_bots_like_more_than_50_times_a_minute(simulated: Stream) -> None:
    # As the fast-likers metric counts: 50 likes whose times span under 60 s.
    likes: defaultdict[str, list[datetime]] = defaultdict(list)
    for event in unique(simulated.events):
        if collection(event) == "app.bsky.feed.like":
            likes[event["repo"]].append(datetime.fromisoformat(event["timestamp"]))
    peaks = {repo: peak_likes_in_a_minute(times) for repo, times in likes.items() if len(times) >= 50}
    fast = [repo for repo, peak in peaks.items() if peak >= 50]
    assert 1 <= len(fast) <= 6  # the bots, and no busy human
    assert max(peaks.values()) <= 400
    # Some bursts come as one batch: many likes by one bot with one identical timestamp.
    batched = Counter((event["repo"], event["timestamp"]) for event in simulated.events if event["repo"] in fast)
    assert max(batched.values()) >= 5


def test_user_activity_is_heavy_tailed(simulated: Stream) -> None:
    per_user = Counter(event["repo"] for event in unique(simulated.events))
    ranked = sorted(per_user.values(), reverse=True)
    assert len(ranked) > 30_000
    top_percent = sum(ranked[: len(ranked) // 100])
    assert top_percent > 0.10 * sum(ranked)


def test_popular_posts_collect_many_likes(simulated: Stream) -> None:
    per_post = Counter(
        event["record"]["subject"]["uri"]
        for event in unique(simulated.events)
        if collection(event) == "app.bsky.feed.like"
    )
    ranked = [count for _, count in per_post.most_common()]
    assert ranked[0] >= 300
    assert ranked[9] >= 10 * ranked[len(ranked) // 2]  # a clear top 10, far above the typical post


def test_posts_are_in_many_languages_with_replies_and_images(simulated: Stream) -> None:
    posts = [event["record"] for event in unique(simulated.events) if collection(event) == "app.bsky.feed.post"]
    languages = Counter(language for post in posts for language in post.get("langs", []))
    for language in ("en", "ja", "pt", "de", "es", "fr", "ko"):
        assert languages[language] > 0, language
    assert 0.4 < languages["en"] / len(posts) < 0.7
    assert any("langs" not in post for post in posts)
    replies = [post["reply"] for post in posts if "reply" in post]
    assert 0.2 < len(replies) / len(posts) < 0.4
    assert all(set(reply) == {"parent", "root"} and set(reply["root"]) == {"cid", "uri"} for reply in replies)
    images = [post["embed"] for post in posts if post.get("embed", {}).get("$type") == "app.bsky.embed.images"]
    assert len(images) > 0.1 * len(posts)
    assert all(image["images"][0]["image"]["ref"] == "<binary>" for image in images)
    assert all(isinstance(post["text"], str) for post in posts)
    wordless = [post for post in posts if not post["text"]]  # the lexicon allows it for a post with media
    assert 0 < len(wordless) < 0.05 * len(posts)
    assert all(post["embed"]["$type"] != "app.bsky.embed.external" for post in wordless)


def test_a_small_share_of_posts_mention_engineering_in_its_forms(simulated: Stream) -> None:
    texts = [event["record"]["text"] for event in unique(simulated.events) if collection(event) == "app.bsky.feed.post"]
    mentioning = [text for text in texts if ENGINEERING.search(text)]
    assert 0.005 < len(mentioning) / len(texts) < 0.03
    for form in ("Engineering!", "#engineering", "software engineering", "reengineering"):
        assert any(form in text for text in texts), form
    assert any("reengineering" in text and not ENGINEERING.search(text) for text in texts)


def test_some_events_are_repeated_and_some_are_late(simulated: Stream) -> None:
    repeated_lines = len(simulated.lines) - len(set(simulated.lines))
    assert repeated_lines > 100
    stamps_by_event: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for event in simulated.events:
        stamps_by_event[event["repo"], event["path"]].add(event["timestamp"])
    assert any(len(stamps) > 1 for stamps in stamps_by_event.values())  # a replay, restamped
    newest, late = simulated.events[0]["timestamp"], 0
    for event in simulated.events:
        stamp = event["timestamp"]  # one format throughout: text order is time order
        if stamp < newest:
            late += datetime.fromisoformat(stamp) < datetime.fromisoformat(newest) - timedelta(seconds=60)
        else:
            newest = stamp
    assert late > 50


def kind_of_line(line: bytes) -> str:
    """How a line goes wrong, as docs/input.md lists it ("good" when it does not)."""
    if not line.strip():
        return "empty"
    try:
        event = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8"
    except ValueError:
        return "not JSON"
    return kind_of_value(event)


def kind_of_value(event: object) -> str:
    if not isinstance(event, dict):
        return "not an object"
    if not {"timestamp", "path", "repo"} <= set(event):
        return "missing a field"
    usable_repo = isinstance(event["repo"], str) and event["repo"]
    usable_path = isinstance(event["path"], str) and "/" in event["path"]
    usable_time = isinstance(event["timestamp"], str) and TIMESTAMP.match(event["timestamp"])
    return "good" if usable_repo and usable_path and usable_time else "unusable value"


def test_bad_lines_are_mixed_in_on_request(with_bad_lines: bytes) -> None:
    lines = with_bad_lines.split(b"\n")[:-1]
    assert len(lines) == 20000
    kinds = Counter(map(kind_of_line, lines))
    assert set(kinds) == {
        "good",
        "empty",
        "not UTF-8",
        "not JSON",
        "not an object",
        "missing a field",
        "unusable value",
    }
    assert 0.03 < 1 - kinds["good"] / len(lines) < 0.08


def test_rate_paces_the_output_and_duration_bounds_it(bluesky: Run, parse: Callable[[bytes], Stream]) -> None:
    started = time.monotonic()
    result = bluesky(
        ["--simulate", "--rate", "500", "--duration", "0.8", "--start", "2025-06-01T12:00:00+02:00", "--seed", "0"]
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0
    stamps = [event["timestamp"] for event in parse(result.stdout).events]
    assert len(stamps) == 400  # 0.8 simulated seconds at 500 events a second
    assert elapsed >= 0.75  # and as much real time, whatever the start-up time
    assert stamps[0] == "2025-06-01T10:00:00"  # a zone is converted to naive UTC
    assert stamps[1] == "2025-06-01T10:00:00.002000"  # the simulated clock follows the rate: 1/500 s apart
    assert max(stamps) < "2025-06-01T10:00:00.8"
