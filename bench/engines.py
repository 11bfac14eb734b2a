"""Benchmark of the two engines on one stream: ./periodic on DuckDB against ./periodic --engine spark.

The simulated stream (seeded, fixed start) is landed once by ./handle-stream, its first HISTORY events;
each engine gets a copy of those bronze files and builds its warehouse (timed), then, RUNS times, the
next 10,000 events are landed in both and each refreshes (timed: the whole ./periodic process, the
Spark one with its JVM's start), the two engines alternating which goes first. Printed: every
timing, the ratio of the best refreshes (Spark to DuckDB), and whether the metric files are the same
bytes after every step.
Run: uv run --frozen python -m bench.engines [--history 100000] [--runs 2] (needs the spark extra)
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench.periodic import NEW_EVENTS, land_history, run
from bench.streams import REPO

ENGINES = ("duckdb", "spark")


def refresh(engine: str, data: Path, metrics: Path) -> float:
    seconds, _ = run(
        [str(REPO / "periodic"), "--engine", engine, "--data-dir", str(data), "--metrics-dir", str(metrics)]
    )
    return seconds


def same_metrics(work: Path) -> bool:
    """Whether both engines' metric directories hold the same files, byte for byte."""
    duck, spark = (work / engine / "metrics" for engine in ENGINES)
    names = sorted(path.name for path in duck.glob("*.csv"))
    if names != sorted(path.name for path in spark.glob("*.csv")):
        return False
    return all((duck / name).read_bytes() == (spark / name).read_bytes() for name in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", type=int, default=100_000, help="events landed before the first build")
    parser.add_argument("--runs", type=int, default=2, help="refreshes of 10,000 new events per engine")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        landing = work / "landing"
        tails = [work / f"new-{run_no}.jsonl" for run_no in range(args.runs)]
        land_history(REPO, str(landing), args.history, tails)
        for engine in ENGINES:
            shutil.copytree(landing / "bronze", work / engine / "data" / "bronze")
        timings: dict[str, list[float]] = {engine: [] for engine in ENGINES}
        builds = {engine: refresh(engine, work / engine / "data", work / engine / "metrics") for engine in ENGINES}
        print(
            f"full build of {args.history:,} events: duckdb {builds['duckdb']:.1f} s, spark {builds['spark']:.1f} s "
            f"(ratio {builds['spark'] / builds['duckdb']:.1f}); same metric files: {same_metrics(work)}"
        )
        for run_no, tail in enumerate(tails):
            order = ENGINES if run_no % 2 == 0 else ENGINES[::-1]
            for engine in order:
                data = work / engine / "data"
                run([str(REPO / "handle-stream"), "--data-dir", str(data)], stdin=tail)
                timings[engine].append(refresh(engine, data, work / engine / "metrics"))
            print(
                f"refresh {run_no + 1} of {NEW_EVENTS:,} new events ({' first, '.join(order)} second): "
                + ", ".join(f"{engine} {timings[engine][-1]:.1f} s" for engine in ENGINES)
                + f"; same metric files: {same_metrics(work)}"
            )
        best = {engine: min(timings[engine]) for engine in ENGINES}
        print(
            f"best refresh: duckdb {best['duckdb']:.1f} s, spark {best['spark']:.1f} s: "
            f"ratio {best['spark'] / best['duckdb']:.1f}"
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
