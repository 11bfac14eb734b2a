"""Benchmark of `./bluesky --simulate --rate 0`: the stream the pipeline's benchmarks are fed with.

Reads `./bluesky --simulate --rate 0 --count N` (seed 1, a fixed start) through a pipe, as `handle-stream`
would, and prints its throughput in events/s and MB/s: end to end (start-up included) and once the first
line is out. With `--against CHECKOUT`, runs that checkout's `./bluesky` alternately with this one and
prints the ratio of the best runs (a change measured back to back). Target: 200,000 events/s or more end
to end on a 2-core machine. Run: `uv run --frozen python bench/producer.py [--against /path/to/other]`.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ_BYTES = 1 << 20
START = "2026-01-01T00:00:00"


def measure(root: Path, count: int) -> float:
    """One run of `root`'s producer: prints its figures and returns its end-to-end events/s."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        str(root / "bluesky"),
        "--simulate",
        "--seed",
        "1",
        "--start",
        START,
        "--rate",
        "0",
        "--count",
        str(count),
    ]
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        size = len(process.stdout.read(1))
        first_byte = time.perf_counter()
        while chunk := process.stdout.read(READ_BYTES):
            size += len(chunk)
        if process.wait() != 0:
            raise SystemExit(f"bench: {' '.join(command)} failed with exit {process.returncode}")
    ended = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    total, streaming = ended - started, ended - first_byte
    print(
        f"{root}: {count:,} events, {size / 1e6:,.0f} MB in {total:.2f} s: {count / total:,.0f} events/s, "
        f"{size / 1e6 / total:,.0f} MB/s end to end; {count / streaming:,.0f} events/s after a "
        f"{first_byte - started:.2f} s start-up; {cpu:.2f} s of CPU"
    )
    return count / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="events per run (default: 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="how many runs (default: 3)")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT", help="another checkout to compare with")
    args = parser.parse_args()
    roots = [ROOT] if args.against is None else [ROOT, args.against.resolve()]
    best = dict.fromkeys(roots, 0.0)
    for _ in range(args.runs):
        for root in roots:
            best[root] = max(best[root], measure(root, args.count))
    if args.against is not None:
        this, other = best[ROOT], best[roots[1]]
        print(f"best of {args.runs}: {this:,.0f} vs {other:,.0f} events/s, ratio {this / other:.2f}")


if __name__ == "__main__":
    main()
