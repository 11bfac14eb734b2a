"""Benchmark of bronze compaction: zstd level and page size against speed and size, and one real step.

Lands a realistic stream as live-rate files (about one second of the live feed each: --batch-mb 1),
then merges all of them with the compactor's own merge at each level (back to back, best of --runs),
printing seconds, MB/s of lines, bytes per event and size against the small files, and the peak
memory of a merge of a tenth of the files and of all of them (row groups are streamed). Then: the
cost of the quarantine check per file (footer only, and whole), a DuckDB scan of small against merged
files, and one compaction step inside ./periodic (against the same refresh with --no-compact), with
the files per day that the default limits give at the live rate (2,000 events/s).
Run: uv run --frozen python -m bench.compaction [--events 1000000] [--levels 1 3 6 9 12] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from bench.streams import REPO, simulated_stream
from bluesky_pipeline import bronze_layout
from bluesky_pipeline.refresh import bronze_check, compaction

LIVE_EVENTS_PER_S = 2_000
SECONDS_PER_DAY = 86_400


def land(stream: Path, data_dir: Path) -> list[tuple[int, Path]]:
    with stream.open("rb") as source:
        subprocess.run(
            [str(REPO / "handle-stream"), "--data-dir", str(data_dir), "--batch-mb", "1"],
            stdin=source, check=True, capture_output=True,
        )  # fmt: skip
    events_dir = bronze_layout.events_dir(data_dir)
    return [(seq, events_dir / bronze_layout.file_name(seq)) for seq in bronze_layout.committed_seqs(events_dir)]


def scan_seconds(relation: str) -> float:
    with duckdb.connect() as connection:
        started = time.perf_counter()
        connection.execute(f"select count(*), sum(octet_length(line)) from {relation}").fetchall()
        return time.perf_counter() - started


def periodic(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        [str(REPO / "periodic"), "--data-dir", str(data_dir), "--metrics-dir", str(data_dir.parent / "metrics"), *args],
        capture_output=True, text=True, check=True, env=os.environ | (env or {}),
    )  # fmt: skip
    return time.perf_counter() - started, completed.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 3, 6, 9, 12])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()

    stream = simulated_stream(args.events)
    raw = stream.stat().st_size
    work = Path(tempfile.mkdtemp(prefix="bench-compaction-"))
    try:
        data_dir = work / "data"
        files = land(stream, data_dir)
        small = sum(path.stat().st_size for _, path in files)
        print(f"stream: {args.events:,} events, {raw / 1e6:,.1f} MB of lines ({raw / args.events:.0f} bytes/event)")
        print(
            f"small files (handle-stream, zstd -3): {len(files)} files, {small / 1e6:,.1f} MB, "
            f"{small / args.events:.0f} bytes/event"
        )
        print("merge of all of them (one file), best of runs:")
        merged_path = work / "merged.parquet"
        for page_mb in (1, compaction.PAGE_BYTES >> 20):
            for level in args.levels:
                seconds = min(_timed_merge(files, merged_path, level, page_mb << 20) for _ in range(args.runs))
                size = merged_path.stat().st_size
                print(
                    f"  zstd {level:3d}, {page_mb} MB pages: {seconds:6.2f} s  {raw / seconds / 1e6:4.0f} MB/s of lines"
                    f"  {size / 1e6:6.1f} MB  {size / args.events:5.1f} bytes/event  {size / small:4.0%} of small files"
                )
        print(f"chosen: zstd {compaction.ZSTD_LEVEL}, {compaction.PAGE_BYTES >> 20} MB pages")
        for count in (len(files) // 10, len(files)):
            peak = merge_peak_rss(data_dir, count, merged_path)
            print(f"  peak RSS of a process merging {count} files: {peak >> 20} MB")

        started = time.perf_counter()
        for _, path in files:
            bronze_check.file_problem(path, bronze_layout.LIVE_SCHEMA, decode=False)
        footer = (time.perf_counter() - started) / len(files)
        started = time.perf_counter()
        for _, path in files:
            bronze_check.file_problem(path, bronze_layout.LIVE_SCHEMA, decode=True)
        whole = (time.perf_counter() - started) / len(files)
        per_file = raw / len(files) / 1e6
        print(
            f"quarantine check per small file ({per_file:.1f} MB of lines): footer and schema {footer * 1e3:.2f} ms, "
            f"every page decoded {whole * 1e3:.2f} ms"
        )
        live_glob = bronze_layout.sql_environment(data_dir)[bronze_layout.LIVE_GLOB_ENV]
        print(
            f"DuckDB scan of every line: small files {scan_seconds(f'read_parquet({live_glob!r})'):.2f} s, "
            f"merged file {scan_seconds(f'read_parquet({str(merged_path)!r})'):.2f} s"
        )

        periodic(data_dir, "--no-compact")
        # The newest file stays live, and a group is full once the file after it is read too.
        group = len(files) - 2
        plain, _ = periodic(data_dir, "--no-compact")
        compacting, summary = periodic(data_dir, env={compaction.MAX_FILES_ENV: str(group)})
        print(f"./periodic, nothing new: {plain:.1f} s; with a compaction step of {group} files: {compacting:.1f} s")
        print(f"  {summary}")
        small_file = small / args.events * LIVE_EVENTS_PER_S  # bytes of one second of the live feed
        limits = compaction.CompactionLimits()
        per_merged = min(limits.max_files, int(limits.max_bytes // small_file))
        print(
            f"at {LIVE_EVENTS_PER_S:,} events/s: small files {SECONDS_PER_DAY:,}/day of {small_file / 1e3:.0f} kB; "
            f"with the default limits a merged file takes {per_merged:,} of them: "
            f"{SECONDS_PER_DAY / per_merged:.0f} merged files/day"
        )
    finally:
        shutil.rmtree(work)


def merge_peak_rss(data_dir: Path, count: int, target: Path) -> int:
    """Peak RSS in bytes of a fresh process that merges the first `count` live files."""
    script = (
        "import sys; from pathlib import Path; from bluesky_pipeline import bronze_layout as layout; "
        "from bluesky_pipeline.refresh.compaction import merge_files; d = layout.events_dir(Path(sys.argv[1])); "
        "merge_files([(s, d / layout.file_name(s)) for s in layout.committed_seqs(d)[: int(sys.argv[2])]], "
        "Path(sys.argv[3]))"
    )
    python = str(REPO / ".venv" / "bin" / "python")
    child = subprocess.Popen([python, "-c", script, str(data_dir), str(count), str(target)])
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the merge failed")
    return usage.ru_maxrss * 1024


def _timed_merge(files: list[tuple[int, Path]], target: Path, level: int, page_bytes: int) -> float:
    started = time.perf_counter()
    compaction.merge_files(files, target, level, page_bytes)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
