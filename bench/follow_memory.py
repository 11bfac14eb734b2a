"""Benchmark of `./periodic --follow`'s memory over thousands of refreshes: it must stay flat.

A slow simulated feed (`--rate` events/s) goes through `./handle-stream --commit-interval` (small
files, often), so that --follow refreshes back to back with a few hundred events each. The refreshes
are counted in the published snapshot's run records; every `--every` of them this prints the
process's resident memory (VmRSS), its peak so far (VmHWM), its open file descriptors and the seconds
since the start, then the growth from the first sample to the last.
Run: uv run --frozen python -m bench.follow_memory [--refreshes 2000] [--every 100] [--rate 200]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from bench.streams import REPO


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def refreshes_recorded(data_dir: Path) -> int:
    try:
        with duckdb.connect(str(data_dir / "snapshot.duckdb"), read_only=True) as snapshot:
            row = snapshot.execute("select count(*) from ops.periodic_runs").fetchone()
    except duckdb.Error:
        return 0
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refreshes", type=int, default=2000)
    parser.add_argument("--every", type=int, default=100, help="a sample every this many refreshes")
    parser.add_argument("--rate", type=int, default=200, help="events per second of the simulated feed")
    parser.add_argument("--commit-interval", type=float, default=0.2, help="handle-stream's, in seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-follow-memory-") as temp:
        data, metrics = Path(temp) / "data", Path(temp) / "metrics"
        producer = subprocess.Popen(
            [str(REPO / "bluesky"), "--simulate", "--seed", "1", "--rate", str(args.rate)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        lander = subprocess.Popen(
            [str(REPO / "handle-stream"), "--data-dir", str(data), "--commit-interval", str(args.commit_interval)],
            stdin=producer.stdout,
            stderr=subprocess.DEVNULL,
        )
        assert producer.stdout is not None
        producer.stdout.close()
        with (Path(temp) / "follow.out").open("wb") as out:
            follow = subprocess.Popen(
                [str(REPO / "periodic"), "--follow", "--data-dir", str(data), "--metrics-dir", str(metrics)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started = time.monotonic()
        samples: list[tuple[int, int]] = []
        print("refreshes  seconds  VmRSS MB  VmHWM MB  open fds", flush=True)
        try:
            next_sample = args.every
            while next_sample <= args.refreshes:
                if follow.poll() is not None:
                    raise SystemExit(f"--follow exited: {(Path(temp) / 'follow.out').read_text()[-2000:]}")
                done = refreshes_recorded(data)
                if done >= next_sample:
                    rss, peak = status_kb(follow.pid, "VmRSS"), status_kb(follow.pid, "VmHWM")
                    fds = len(os.listdir(f"/proc/{follow.pid}/fd"))
                    samples.append((done, rss))
                    print(
                        f"{done:>9}  {time.monotonic() - started:>7.0f}  {rss / 1024:>8.1f}  {peak / 1024:>8.1f}"
                        f"  {fds:>8}",
                        flush=True,
                    )
                    next_sample += args.every
                time.sleep(1.0)
        finally:
            producer.send_signal(signal.SIGTERM)
            lander.wait()
            follow.send_signal(signal.SIGTERM)
            follow.wait()
        (first_n, first), (last_n, last) = samples[0], samples[-1]
        print(
            f"VmRSS {first / 1024:.1f} MB after {first_n} refreshes, {last / 1024:.1f} MB after {last_n}: "
            f"{(last - first) / 1024:+.1f} MB ({(last - first) / max(1, last_n - first_n):+.2f} kB a refresh)"
        )


if __name__ == "__main__":
    main()
