"""Benchmark of the snapshot publish: its cost per refresh against the number of rejected lines in history.

For each history size R: land R rejected lines (not JSON) and some likes, refresh, keep that
snapshot; land a batch of 10,000 lines (1% rejected), refresh; then time publishing the batch on the
kept snapshot again (what every refresh does) and rebuilding it from the warehouse (what a full
refresh does), best of --runs each, sizes and kinds alternating. Prints seconds, the snapshot's size,
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
from dataclasses import dataclass
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


@dataclass
class Prepared:
    """A data directory whose snapshot is one batch behind its warehouse, and the record of that batch."""

    rejected: int
    work: Path
    data: Path
    kept: Path  # the snapshot before the batch
    record: warehouse.RunRecord


def prepare(rejected: int) -> Prepared:
    work = Path(tempfile.mkdtemp(prefix=f"bench-snapshot-{rejected}-"))
    data, metrics = work / "data", work / "metrics"
    periodic = [str(REPO / "periodic"), "--data-dir", str(data), "--metrics-dir", str(metrics)]
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
    return Prepared(rejected, work, data, kept, record)


def publish(prepared: Prepared, *, rebuild: bool) -> float:
    """Seconds of one publish (incremental: on the snapshot from before the batch, put back first)."""
    with warehouse.connect(prepared.data) as connection:
        if not rebuild:
            shutil.copyfile(prepared.kept, snapshot.snapshot_path(prepared.data))
        started = time.perf_counter()
        snapshot.publish(connection, prepared.data, prepared.record, refreshed=True, rebuild=rebuild)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rejected", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    prepared = [prepare(rejected) for rejected in args.rejected]
    try:
        best: dict[tuple[int, bool], float] = {}
        for _ in range(args.runs):  # the sizes and kinds alternate, so that a slow moment hits all of them
            for each in prepared:
                for rebuild in (False, True):
                    seconds = publish(each, rebuild=rebuild)
                    best[each.rejected, rebuild] = min(seconds, best.get((each.rejected, rebuild), seconds))
        for each in prepared:
            size = snapshot.snapshot_path(each.data).stat().st_size
            print(
                f"rejected lines in history {each.rejected:>10,}: publish of a {BATCH_LINES:,}-line batch "
                f"{best[each.rejected, False]:6.3f} s, rebuild {best[each.rejected, True]:6.3f} s "
                f"(best of {args.runs}); snapshot {size / 1e6:.1f} MB"
            )
        if len(prepared) >= 2:
            ratio = best[prepared[-1].rejected, False] / best[prepared[0].rejected, False]
            print(f"publish of a batch, largest / smallest history: {ratio:.2f}")
    finally:
        for each in prepared:
            shutil.rmtree(each.work)


if __name__ == "__main__":
    main()
