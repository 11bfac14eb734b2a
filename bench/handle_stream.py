"""Benchmark of ./handle-stream: events/s on a realistic 1,000,000-event stream, against `cat`.

Prints events/s, MB/s, the time of `cat FILE | cat > /dev/null` and of `cat FILE | ./handle-stream`
(best of --runs), their ratio, handle-stream's peak RSS and the size of the bronze files it wrote; then
peak RSS on a stream with a 50 MB line.
Run: uv run --frozen python -m bench.handle_stream [--events 1000000] [--runs 3] [-- HANDLE-STREAM OPTIONS]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.streams import REPO, simulated_stream


def timed_pipe(source: Path, command: list[str]) -> tuple[float, int]:
    """Seconds for `cat source | command` to finish, and the command's peak RSS in bytes."""
    started = time.perf_counter()
    cat = subprocess.Popen(["cat", str(source)], stdout=subprocess.PIPE)
    consumer = subprocess.Popen(command, stdin=cat.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert cat.stdout is not None
    cat.stdout.close()
    _, status, usage = os.wait4(consumer.pid, 0)
    elapsed = time.perf_counter() - started
    cat.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed")
    return elapsed, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("options", nargs="*", help="handle-stream options to compare, after --")
    args = parser.parse_args()

    stream = simulated_stream(args.events)
    size = stream.stat().st_size
    print(f"stream: {args.events:,} events, {size / 1e6:,.1f} MB ({size / args.events:.0f} bytes/event), {stream}")

    cat_seconds = min(timed_pipe(stream, ["cat"])[0] for _ in range(args.runs))
    runs = []
    for _ in range(args.runs):
        data_dir = Path(tempfile.mkdtemp(prefix="bench-landing-"))
        try:
            runs.append(timed_pipe(stream, [str(REPO / "handle-stream"), "--data-dir", str(data_dir), *args.options]))
            landed = sum(path.stat().st_size for path in data_dir.glob("bronze/events/*.parquet"))
        finally:
            shutil.rmtree(data_dir)
    seconds = min(run[0] for run in runs)
    peak_rss = max(run[1] for run in runs)
    print(f"cat | cat:            {cat_seconds:6.2f} s  ({size / cat_seconds / 1e6:,.0f} MB/s)")
    print(
        f"cat | handle-stream:  {seconds:6.2f} s  ({args.events / seconds:,.0f} events/s, "
        f"{size / seconds / 1e6:,.0f} MB/s, process start included)"
    )
    print(f"speed vs cat:         {cat_seconds / seconds:.2f}  (target >= 0.25)")
    print(f"bronze files:         {landed / 1e6:,.0f} MB  ({landed / size:.0%} of the stream)")
    print(f"peak RSS:             {peak_rss / 2**20:,.0f} MB  (target < 256 MB)")

    with tempfile.TemporaryDirectory(prefix="bench-longline-") as work:
        long_stream = Path(work) / "long.jsonl"
        with long_stream.open("wb") as out:
            out.write(b'{"before": 1}\n{"huge": "' + b"x" * (50 << 20) + b'"}\n{"after": 1}\n')
        _, rss = timed_pipe(long_stream, [str(REPO / "handle-stream"), "--data-dir", str(Path(work) / "data")])
        print(f"peak RSS, 50 MB line: {rss / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
