"""Benchmark of ./periodic: refreshes of 10,000 new events on growing histories, and full rebuilds.

For each history size H: the simulated stream (seeded, fixed start) is landed by ./handle-stream,
its first H events, then ./periodic builds the warehouse (a full build of H events, timed); then,
RUNS rounds, in each of which every history in turn gets the next 10,000 events of its stream and
./periodic refreshes it (timed: the process, and each dbt node from run_results.json), all without
compaction steps; rounds, not one history after the other, so that the machine's drift in speed
hits every history alike. Printed per history: the full build, every refresh, the slowest dbt nodes
of the best refresh, and bytes on disk per event (bronze as landed, uncompacted, and the warehouse
apart). With two or more histories, the largest against the smallest: best refresh against best
refresh, and round by round.
Run: uv run --frozen python -m bench.periodic [--histories 10000000 20000000] [--runs 3] [--repo DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.streams import REPO, simulated_stream_command

NEW_EVENTS = 10_000
CHUNK = 1 << 20


@dataclass
class Measurement:
    history: int
    build_seconds: float = 0.0
    refresh_seconds: list[float] = field(default_factory=list)
    best_nodes: list[tuple[str, float]] = field(default_factory=list)
    bronze_bytes: int = 0
    warehouse_bytes: int = 0
    bronze_files: int = 0


def run(command: list[str], stdin: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    with stdin.open("rb") if stdin else open(os.devnull, "rb") as source:
        completed = subprocess.run(command, stdin=source, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return time.perf_counter() - started, completed.stdout.strip()


def land_history(repo: Path, data: str, history: int, tail_files: list[Path]) -> None:
    """Pipe the first `history` simulated events into handle-stream; the next batches into `tail_files`."""
    total = history + NEW_EVENTS * len(tail_files)
    producer = subprocess.Popen(simulated_stream_command(repo, total), stdout=subprocess.PIPE)
    lander = subprocess.Popen(
        [str(repo / "handle-stream"), "--data-dir", data], stdin=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert producer.stdout is not None
    assert lander.stdin is not None
    # Where each stretch of the stream goes, and how many lines it takes.
    sinks = [(lander.stdin, history)] + [(path.open("wb"), NEW_EVENTS) for path in tail_files]
    chunk = b""
    for sink, lines in sinks:
        wanted = lines
        while wanted:
            if not chunk and not (chunk := producer.stdout.read(CHUNK)):
                raise SystemExit("the simulated stream ended early")
            cut = _offset_after_lines(chunk, wanted)
            if cut is None:
                wanted -= chunk.count(b"\n")
                sink.write(chunk)
                chunk = b""
            else:
                sink.write(chunk[:cut])
                chunk, wanted = chunk[cut:], 0
        sink.close()
    if producer.wait() != 0 or lander.wait() != 0:
        raise SystemExit("landing the history failed")


def _offset_after_lines(chunk: bytes, count: int) -> int | None:
    """Offset just after the `count`-th newline of `chunk` (count >= 1), or None if it holds fewer."""
    if chunk.count(b"\n") < count:
        return None
    position = -1
    for _ in range(count):
        position = chunk.find(b"\n", position + 1)
        if position < 0:
            return None
    return position + 1


def without_compaction(repo: Path) -> list[str]:
    """`--no-compact` where ./periodic has it: a compaction step (bench/compaction.py measures those)
    would land in whichever refresh finds a full run of files, so the refreshes would not compare."""
    _, usage = run([str(repo / "periodic"), "--help"])
    return ["--no-compact"] if "--no-compact" in usage else []


def node_timings(data: Path) -> list[tuple[str, float]]:
    """(node, seconds) of the last dbt run, slowest first."""
    results = json.loads((data / "dbt" / "target" / "run_results.json").read_text())["results"]
    timings = [(result["unique_id"].split(".", 2)[-1], result["execution_time"]) for result in results]
    return sorted(timings, key=lambda timing: -timing[1])


def disk_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a directory."""
    if path.is_file():
        return path.stat().st_size
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


@dataclass
class Bench:
    """One history's work directory: its warehouse, and the batches still to land."""

    repo: Path
    history: int
    work: Path
    tails: list[Path]
    result: Measurement
    periodic: list[str]  # the ./periodic command, without compaction steps

    @classmethod
    def build(cls, repo: Path, history: int, runs: int) -> Bench:
        """Land the history and build the warehouse from it (timed)."""
        work = Path(tempfile.mkdtemp(prefix=f"bench-periodic-{history}-"))
        tails = [work / f"new-{run_no}.jsonl" for run_no in range(runs)]
        data, metrics = work / "data", work / "metrics"
        periodic = [str(repo / "periodic"), "--data-dir", str(data), "--metrics-dir", str(metrics)]
        bench = cls(repo, history, work, tails, Measurement(history), periodic + without_compaction(repo))
        land_history(repo, str(data), history, tails)
        bench.result.build_seconds, _ = run(bench.periodic)
        return bench

    def refresh(self) -> None:
        """Land the next 10,000 events and refresh (timed, with the nodes of the best refresh)."""
        data = self.work / "data"
        run([str(self.repo / "handle-stream"), "--data-dir", str(data)], stdin=self.tails.pop(0))
        seconds, _ = run(self.periodic)
        if seconds < min(self.result.refresh_seconds, default=float("inf")):
            self.result.best_nodes = node_timings(data)
        self.result.refresh_seconds.append(seconds)

    def finish(self, keep: bool) -> Measurement:
        data, result = self.work / "data", self.result
        result.bronze_bytes = disk_bytes(data / "bronze")
        result.bronze_files = sum(1 for _ in (data / "bronze").rglob("*.parquet"))
        result.warehouse_bytes = sum(disk_bytes(path) for path in data.glob("warehouse.duckdb*"))
        if keep:
            print(f"    kept {self.work}")
        else:
            shutil.rmtree(self.work)
        return result


def report(result: Measurement) -> None:
    events = result.history + NEW_EVENTS * len(result.refresh_seconds)
    refreshes = " ".join(f"{seconds:.2f}" for seconds in result.refresh_seconds)
    print(
        f"history {result.history:>11,}: full build {result.build_seconds:6.1f} s | "
        f"refreshes of {NEW_EVENTS:,}: {refreshes} s"
    )
    nodes = ", ".join(f"{name} {seconds:.2f}" for name, seconds in result.best_nodes[:8])
    print(f"    slowest nodes of the best refresh (s): {nodes}")
    print(
        f"    on disk: bronze {result.bronze_bytes / events:.0f} B/event ({result.bronze_files:,} files), "
        f"warehouse {result.warehouse_bytes / events:.0f} B/event, "
        f"total {(result.bronze_bytes + result.warehouse_bytes) / events:.0f} B/event"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--histories", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3, help="refreshes of 10,000 new events per history")
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to measure (default: this one)")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    args = parser.parse_args()
    benches: list[Bench] = []
    try:
        for history in args.histories:
            benches.append(Bench.build(args.repo.resolve(), history, args.runs))
            print(f"history {history:>11,}: full build {benches[-1].result.build_seconds:6.1f} s", flush=True)
        for _ in range(args.runs):  # round after round, one refresh per history: the machine's drift hits all alike
            for bench in benches:
                bench.refresh()
    finally:
        results = [bench.finish(args.keep) for bench in benches]
    for result in results:
        report(result)
    if len(results) > 1:
        smallest, largest = results[0], results[-1]
        best = min(largest.refresh_seconds) / min(smallest.refresh_seconds)
        rounds = sorted(
            big / small for big, small in zip(largest.refresh_seconds, smallest.refresh_seconds, strict=True)
        )
        print(
            f"refresh, {largest.history:,} vs {smallest.history:,} events of history: best against best {best:.3f}, "
            f"round by round {' '.join(f'{ratio:.3f}' for ratio in rounds)} (median {rounds[len(rounds) // 2]:.3f}); "
            "targets: < 1.3 for 10 M vs 100 k, within 5% for 20 M vs 10 M"
        )


if __name__ == "__main__":
    main()
