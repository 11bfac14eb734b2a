"""Benchmark of `./bluesky --simulate --rate 0`: the stream the pipeline's benchmarks are fed with.

Reads `./bluesky --simulate --rate 0 --count N` through a pipe, as `handle-stream` would, and prints its
throughput in events/s and MB/s: end to end (start-up included) and once the first line is out.
Target: 200,000 events/s or more end to end on a 2-core machine. Run: `uv run --frozen python bench/producer.py`.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ_BYTES = 1 << 20


def measure(count: int) -> None:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [str(ROOT / "bluesky"), "--simulate", "--rate", "0", "--count", str(count)]
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
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
        f"{count:,} events, {size / 1e6:,.0f} MB in {total:.2f} s: {count / total:,.0f} events/s, "
        f"{size / 1e6 / total:,.0f} MB/s end to end; {count / streaming:,.0f} events/s after a "
        f"{first_byte - started:.2f} s start-up; {cpu:.2f} s of CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000, help="events per run (default: 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="how many runs (default: 3)")
    args = parser.parse_args()
    for _ in range(args.runs):
        measure(args.count)


if __name__ == "__main__":
    main()
