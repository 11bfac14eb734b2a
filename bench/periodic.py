"""Benchmark of ./periodic: a refresh of 10,000 new events on growing histories, and a full rebuild.

For each history size H: land H simulated events, refresh (the initial build, timed: a full build of
H events), land the next 10,000 events of the same stream, refresh again (timed). Prints seconds and
the ratio of the largest history's refresh to the smallest's (target < 1.3).
Run: uv run --frozen python -m bench.periodic [--histories 100000 1000000 10000000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.streams import REPO, simulated_stream, split_lines

NEW_EVENTS = 10_000


def run(command: list[str], stdin: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    with stdin.open("rb") if stdin else open("/dev/null", "rb") as source:
        completed = subprocess.run(command, stdin=source, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr}")
    return time.perf_counter() - started, completed.stdout.strip()


def measure(history: int, keep: bool) -> tuple[float, float]:
    """(seconds of the initial full build of `history` events, seconds of the next 10,000-event refresh)."""
    stream = simulated_stream(history + NEW_EVENTS)
    old, new = split_lines(stream, history)
    work = Path(tempfile.mkdtemp(prefix=f"bench-periodic-{history}-"))
    data, metrics = str(work / "data"), str(work / "metrics")
    try:
        run([str(REPO / "handle-stream"), "--data-dir", data], stdin=old)
        build_seconds, _ = run([str(REPO / "periodic"), "--data-dir", data, "--metrics-dir", metrics])
        run([str(REPO / "handle-stream"), "--data-dir", data], stdin=new)
        refresh_seconds, refresh_summary = run([str(REPO / "periodic"), "--data-dir", data, "--metrics-dir", metrics])
        print(
            f"history {history:>11,}: full build {build_seconds:6.1f} s | "
            f"refresh of {NEW_EVENTS:,} new {refresh_seconds:5.1f} s"
        )
        print(f"    {_dbt_part(refresh_summary)}")
        return build_seconds, refresh_seconds
    finally:
        if keep:
            print(f"    kept {work}")
        else:
            shutil.rmtree(work)


def _dbt_part(summary: str) -> str:
    match = re.search(r"periodic: (.*)", summary)
    return match.group(1) if match else summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--histories", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    args = parser.parse_args()
    results = {history: measure(history, args.keep) for history in args.histories}
    smallest, largest = min(results), max(results)
    if smallest != largest:
        ratio = results[largest][1] / results[smallest][1]
        print(f"refresh time ratio, {largest:,} vs {smallest:,} events of history: {ratio:.2f} (target < 1.3)")
    print(f"full build of {largest:,} events: {results[largest][0]:.1f} s (target for 10,000,000: < 60 s)")


if __name__ == "__main__":
    main()
