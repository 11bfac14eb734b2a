"""./run: the whole pipeline in one command, and one clean way to stop it (Ctrl-C, SIGTERM, SIGHUP).

Its own options are the refresh period and the two directories; every other argument goes to ./bluesky.
Without --every the refreshes are one `./periodic --follow` (seconds-fresh metrics); with it, a one-shot
./periodic every --every seconds (a refresh's cost once per period instead of as often as files land).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bluesky_pipeline.cli_support import ArgumentParser, data_dir_argument, metrics_dir_argument, positive_float
from bluesky_pipeline.producer.cli import build_parser as build_producer_parser
from bluesky_pipeline.run.console import Console
from bluesky_pipeline.run.supervisor import LOG_NAMES, Pipeline, Settings

PROG = "run"

DESCRIPTION = """\
Run the whole pipeline: ./bluesky | ./handle-stream, and ./periodic --follow (a refresh as soon as
files land, dbt kept loaded), or with --every a one-shot ./periodic every --every seconds (the first as
soon as something has landed). Each child logs to a file under <data-dir>/logs/; the terminal shows one
status line. Any argument not listed below goes to ./bluesky (see ./bluesky --help)."""

EPILOG = f"""\
examples:
  ./run --simulate                              a simulated feed, no network needed
  ./run                                         the live network
  ./run --every 30 --simulate                   a one-shot ./periodic every 30 s instead of --follow
  ./run --every 60 0.1                          10% of the live network, refreshed every minute
  ./run --simulate --seed 7 --count 100000      a reproducible stream: ends by itself once landed
  ./run --data-dir /tmp/demo/data --metrics-dir /tmp/demo/metrics --simulate

Stopping (Ctrl-C, SIGTERM, or SIGHUP when the terminal closes): the producer first, then
handle-stream lands everything it read and exits, then one last refresh (./periodic --follow is
signalled and reads what landed; or one last ./periodic); exit 0. Ctrl-C again skips that last refresh.
When the producer ends by itself (--count, --duration, --replay), ./run stops the same way. Only
./run's own children are ever signalled.

Logs (appended): <data-dir>/logs/{", ".join(LOG_NAMES.values())}.
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        usage=f"{PROG} [-h] [--every SECONDS] [--data-dir DIR] [--metrics-dir DIR] [./bluesky arguments ...]",
        allow_abbrev=False,  # an abbreviation of a ./bluesky option must reach ./bluesky, not match one of ours
    )
    parser.add_argument(
        "--every",
        type=positive_float,
        metavar="SECONDS",
        help="one-shot refreshes: start one this long after the previous one started, or when it ends if it"
        " takes longer (default: none, ./periodic --follow refreshes as soon as files land)",
    )
    data_dir_argument(parser)
    metrics_dir_argument(parser)
    return parser


def main(argv: Sequence[str]) -> int:
    args, producer_args = build_parser().parse_known_args(argv)
    _check_producer_args(producer_args)
    settings = Settings(
        data_dir=args.data_dir.absolute(),
        metrics_dir=args.metrics_dir.absolute(),
        producer_args=tuple(producer_args),
        every_s=args.every,
    )
    return Pipeline(settings, Console(sys.stderr, PROG)).run()


def _check_producer_args(producer_args: Sequence[str]) -> None:
    """A bad ./bluesky argument fails here, in one line, before any child starts."""
    producer_parser = build_producer_parser()
    producer_parser.prog = PROG
    producer_parser.parse_args(producer_args)
