"""The command line of `./bluesky`: options, their checks, and the choice of mode (live, simulate, replay).

Bad usage ends in one line on stderr and exit 2; a reader that goes away (closed stdout) ends it quietly
with exit 0 (cli_support.run, as for every executable).
"""

from __future__ import annotations

import argparse
import logging
import math
import secrets
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bluesky_pipeline.cli_support import ArgumentParser, positive_float
from bluesky_pipeline.producer.output import Sampler, stdout

log = logging.getLogger(__name__)

DESCRIPTION = """\
Print Bluesky events on stdout, one JSON line per created record, in the reference producer's format:
timestamp (local time seen), action, path, cid, prev, py_type, record, repo. Logs go to stderr.

Live from Bluesky's public Jetstream by default (reconnecting and resuming without gaps), or a
synthetic stream with --simulate (from now, with a fresh seed: each run brings new events; --seed and
--start repeat a stream), or a recording with --replay."""

EPILOG = """\
examples:
  ./bluesky | ./handle-stream                                live network into the pipeline
  ./bluesky 0.1 --collections app.bsky.feed.like             about 10% of the live likes
  ./bluesky --cursor $(( ($(date +%s) - 300) * 1000000 ))    live, from 5 minutes ago
  ./bluesky --simulate --duration 120 | ./handle-stream      two simulated minutes, no network needed
  ./bluesky --simulate --rate 0 --count 1000000 > a.jsonl    a million events, as fast as possible
  ./bluesky | tee >(zstd > session.jsonl.zst) | ./handle-stream    record a live session as it runs
  ./bluesky --replay session.jsonl.zst --speed 10 | ./handle-stream  replay it at 10x real time"""

# Which options belong to which mode; any other combination is a usage error.
LIVE, SIMULATE, REPLAY = "live", "--simulate", "--replay"
MODE_OPTIONS = {
    "urls": ("--url", {LIVE}),
    "cursor": ("--cursor", {LIVE}),
    "collections": ("--collections", {LIVE}),
    "seed": ("--seed", {SIMULATE}),
    "events_per_second": ("--rate", {SIMULATE}),
    "start": ("--start", {SIMULATE}),
    "duration": ("--duration", {SIMULATE}),
    "bad_lines": ("--bad-lines", {SIMULATE}),
    "count": ("--count", {LIVE, SIMULATE}),
    "speed": ("--speed", {REPLAY}),
}


def _number(text: str, kind: type[int] | type[float], bounds: str, within: Callable[[float], bool]) -> Any:
    """argparse type helper: `text` as a number of `kind` for which `within` holds, else a one-line error."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {'a whole number' if kind is int else 'a number'}: {text!r}") from None
    if not within(value):
        raise argparse.ArgumentTypeError(f"must be {bounds}: {text!r}")
    return value


def sampling_rate(text: str) -> float:
    """argparse type: a probability, 0 < RATE <= 1."""
    return float(_number(text, float, "in (0, 1]", lambda value: 0 < value <= 1))


def share(text: str) -> float:
    """argparse type: a share of lines, 0 to 1."""
    return float(_number(text, float, "between 0 and 1", lambda value: 0 <= value <= 1))


def events_per_second(text: str) -> float:
    """argparse type: a finite rate, 0 or more."""
    return float(_number(text, float, "0 or more", lambda value: 0 <= value < math.inf))


def positive_int(text: str) -> int:
    return int(_number(text, int, "greater than 0", lambda value: value > 0))


def non_negative_int(text: str) -> int:
    return int(_number(text, int, "0 or more", lambda value: value >= 0))


def naive_time(text: str) -> datetime:
    """argparse type: an ISO 8601 time; one with a zone is converted to naive UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def collection_list(text: str) -> tuple[str, ...]:
    """argparse type: comma-separated collection NSIDs (Jetstream also takes prefixes like `app.bsky.*`)."""
    collections = tuple(item.strip() for item in text.split(",") if item.strip())
    if not collections:
        raise argparse.ArgumentTypeError("no collection given")
    return collections


def websocket_url(text: str) -> str:
    if not text.startswith(("ws://", "wss://")):
        raise argparse.ArgumentTypeError(f"not a ws:// or wss:// URL: {text!r}")
    return text


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="bluesky", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "sample",
        nargs="?",
        type=sampling_rate,
        metavar="RATE",
        help="keep each event with this probability, 0 < RATE <= 1 (0.1 keeps about 10%%; default: all)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--simulate", action="store_true", help="print a synthetic stream instead of the live one")
    mode.add_argument("--replay", metavar="FILE", help="print a recording (plain, .gz or .zst; - for stdin)")

    live = parser.add_argument_group("live (the default)")
    live.add_argument(
        "--url",
        dest="urls",
        action="append",
        metavar="URL",
        type=websocket_url,
        help="Jetstream endpoint; repeat to rotate between several (default: Bluesky's four public ones)",
    )
    live.add_argument(
        "--cursor",
        type=non_negative_int,
        metavar="MICROSECONDS",
        help="start from this time, in microseconds since the epoch",
    )
    live.add_argument(
        "--collections", type=collection_list, metavar="LIST", help="only these collections, comma-separated"
    )

    simulated = parser.add_argument_group("--simulate")
    simulated.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="N",
        help="random seed: same seed, start and options, same bytes (default: a fresh one, logged on stderr)",
    )
    simulated.add_argument(
        "--rate",
        dest="events_per_second",
        type=events_per_second,
        metavar="EVENTS_PER_S",
        help="events per second of real time (default: 2000); 0 = as fast as possible, the timestamps "
        "still 2000 a second",
    )
    simulated.add_argument(
        "--start",
        type=naive_time,
        metavar="TIME",
        help="timestamp of the first event, naive UTC (default: now; logged on stderr)",
    )
    simulated.add_argument(
        "--duration", type=positive_float, metavar="SECONDS", help="stop after this much simulated time"
    )
    simulated.add_argument(
        "--bad-lines", type=share, metavar="SHARE", help="share of malformed lines to mix in (default: 0)"
    )

    both = parser.add_argument_group("live and --simulate")
    both.add_argument("--count", type=positive_int, metavar="N", help="stop after this many events (before sampling)")

    replayed = parser.add_argument_group("--replay")
    replayed.add_argument(
        "--speed",
        type=positive_float,
        metavar="X",
        help="pace lines by their timestamps, at this multiple of real time (default: as fast as possible)",
    )
    return parser


def _mode(args: argparse.Namespace) -> str:
    if args.simulate:
        return SIMULATE
    return REPLAY if args.replay is not None else LIVE


def _check_mode_options(parser: ArgumentParser, args: argparse.Namespace) -> None:
    mode = _mode(args)
    for dest, (option, modes) in MODE_OPTIONS.items():
        if getattr(args, dest) is not None and mode not in modes:
            where = " or ".join(sorted(modes))
            parser.error(f"{option} only applies to {where} (this is {mode} mode)")


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_mode_options(parser, args)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="bluesky: %(message)s")
    mode = _mode(args)
    if mode == SIMULATE:
        _choose_seed_and_start(args)
    sampler = None
    if args.sample is not None and args.sample < 1:
        sampler = Sampler(args.sample, args.seed if mode == SIMULATE else None)  # reproducible if simulated
    {SIMULATE: _simulate, REPLAY: _replay, LIVE: _live}[mode](args, sampler)
    return 0


def _choose_seed_and_start(args: argparse.Namespace) -> None:
    """A fresh seed and the current time where not given, so that every run brings new events; logged,
    so that any run can be repeated."""
    if args.seed is None:
        args.seed = secrets.randbits(32)
    if args.start is None:
        args.start = datetime.now(UTC).replace(tzinfo=None)  # naive, as the reference producer prints times
    log.info(
        "simulating with --seed %d --start %s (the same two options repeat this stream)",
        args.seed,
        args.start.isoformat(),
    )


# Each mode imports what it needs when it runs: live and replay start at once, without numpy and wordfreq.


def _simulate(args: argparse.Namespace, sampler: Sampler | None) -> None:
    from bluesky_pipeline.producer.simulate import DEFAULT_RATE, Simulation, simulate  # noqa: PLC0415

    simulation = Simulation(
        seed=args.seed,
        start=args.start,
        rate=DEFAULT_RATE if args.events_per_second is None else args.events_per_second,
        duration_s=args.duration,
        count=args.count,
        bad_line_rate=args.bad_lines or 0.0,
    )
    simulate(simulation, stdout(), sampler)


def _replay(args: argparse.Namespace, sampler: Sampler | None) -> None:
    from bluesky_pipeline.producer.replay import replay  # noqa: PLC0415 (see above)

    replay(args.replay, stdout(), sampler, args.speed)


def _live(args: argparse.Namespace, sampler: Sampler | None) -> None:
    from bluesky_pipeline.producer.live import JETSTREAMS, Subscription, follow  # noqa: PLC0415 (see above)

    subscription = Subscription(
        urls=tuple(args.urls or JETSTREAMS),
        cursor=args.cursor,
        collections=args.collections or (),
        count=args.count,
    )
    follow(subscription, stdout(), sampler)
