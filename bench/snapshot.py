"""Benchmark of the snapshot publish: its cost per refresh against the number of rejected lines in history.

For each history size R: land R rejected lines (not JSON) and some likes, refresh, keep that
snapshot; land a batch of 10,000 lines (1% rejected), refresh; then time publishing the batch on the
kept snapshot again (incremental: what every refresh does) and rebuilding it from the warehouse
(what a full refresh does), best of --runs each, back to back. Prints seconds, the snapshot's size,
and the ratio of the largest history's incremental publish to the smallest's.
Run: uv run --frozen python -m bench.snapshot [--rejected 100000 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.streams import REPO
from bluesky_pipeline.refresh import snapshot, warehouse

BATCH_LINES = 10_000
BATCH_REJECTED = 100


def likes(count: int, first: int) -> bytes:
    return b"".join(
        json.dumps(
            {
                "timestamp": f"2026-03-01T12:{(index // 60) % 60:02d}:{index % 60:02d}",
                "action": "create",
                "path": f"app.bsky.feed.like/3bench{index:08d}",
                "record": {"subject": {"uri": "at://did:plc:a/app.bsky.feed.post/p1"}},
                "repo": f"did:plc:u{index % 997}",
            }
        ).encode()
        + b"\n"
        for index in range(first, first + count)
    )


def junk(count: int, tag: str) -> bytes:
    return b"".join(f"not json {tag} {index}\n".encode() for index in range(count))


def run(command: list[str], stdin: bytes = b"") -> None:
    completed = subprocess.run(command, input=stdin, capture_output=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr.decode(errors='replace')}")


def best_of(runs: int, publish: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        publish()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(rejected: int, runs: int) -> float:
    work = Path(tempfile.mkdtemp(prefix=f"bench-snapshot-{rejected}-"))
    data, metrics = work / "data", work / "metrics"
    periodic = [str(REPO / "periodic"), "--data-dir", str(data), "--metrics-dir", str(metrics)]
    try:
        run([str(REPO / "handle-stream"), "--data-dir", str(data)], junk(rejected, "old") + likes(1_000, 0))
        run(periodic)
        kept = work / "snapshot-before-batch.duckdb"
        shutil.copyfile(snapshot.snapshot_path(data), kept)
        batch = junk(BATCH_REJECTED, "new") + likes(BATCH_LINES - BATCH_REJECTED, 1_000)
        run([str(REPO / "handle-stream"), "--data-dir", str(data)], batch)
        run(periodic)
        with warehouse.connect(data) as connection:
            through = warehouse.staged_through(connection)
            now = datetime.now(UTC)
            record = warehouse.RunRecord(now, now, "success", through, warehouse.BatchCounts(), 0, 0, 0, 0, (), "")

            def incremental() -> None:
                shutil.copyfile(kept, snapshot.snapshot_path(data))
                snapshot.publish(connection, data, record, refreshed=True)

            def rebuild() -> None:
                snapshot.publish(connection, data, record, refreshed=True, rebuild=True)

            copy_seconds = best_of(runs, lambda: shutil.copyfile(kept, work / "copy.duckdb"))
            incremental_seconds = best_of(runs, incremental) - copy_seconds
            rebuild_seconds = best_of(runs, rebuild)
        size = snapshot.snapshot_path(data).stat().st_size
        print(
            f"rejected lines in history {rejected:>10,}: publish incremental {incremental_seconds:6.3f} s, "
            f"rebuild {rebuild_seconds:6.3f} s; snapshot {size / 1e6:.1f} MB"
        )
        return incremental_seconds
    finally:
        shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rejected", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    seconds = [measure(rejected, args.runs) for rejected in args.rejected]
    if len(seconds) >= 2:
        print(f"incremental publish, largest / smallest history: {seconds[-1] / seconds[0]:.2f}")


if __name__ == "__main__":
    main()
