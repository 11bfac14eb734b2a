"""Helpers of the compaction tests: bronze_lines() run through dbt, and the bronze layout's invariants.

The macro is compiled by dbt itself with the environment ./periodic gives it, then run on DuckDB, so
the rows compared are the ones every model would read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.cli_support import DATA_DIR_ENV
from bluesky_pipeline.refresh.dbt_build import PROJECT_DIR, THROUGH_SEQ_ENV
from tests.pipeline import Workspace, child_environment

SeqRange = tuple[int, int]


def bronze_lines_through_dbt(workspace: Workspace, ranges: list[SeqRange]) -> dict[SeqRange, list[tuple[object, ...]]]:
    """The rows of `bronze_lines(source('bronze', 'events'), after, through)` for each (after, through)."""
    selects = [
        f"select {index} as range_index, * from {{{{ bronze_lines(source('bronze', 'events'), {after}, {through}) }}}}"
        for index, (after, through) in enumerate(ranges)
    ]
    compiled = compile_inline(workspace, " union all ".join(selects), max(through for _, through in ranges))
    with duckdb.connect() as connection:
        rows = connection.execute(
            "select range_index, file_seq, line_no, landed_at, line, original_size "
            f"from ({compiled}) order by range_index, file_seq, line_no"
        ).fetchall()
    return {seq_range: [row[1:] for row in rows if row[0] == index] for index, seq_range in enumerate(ranges)}


def compile_inline(workspace: Workspace, sql: str, through_seq: int) -> str:
    """`sql` as dbt compiles it in this workspace, with the environment ./periodic gives dbt."""
    data_dir = workspace.data_dir.resolve()
    env = (
        child_environment()
        | {DATA_DIR_ENV: str(data_dir), THROUGH_SEQ_ENV: str(through_seq), "DO_NOT_TRACK": "1"}
        | bronze_layout.sql_environment(data_dir)
    )
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "compile",
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(data_dir / "dbt" / "target-tests"),
        "--log-path", str(data_dir / "dbt" / "logs"),
        "--quiet",
        "--output", "json",
        "--inline", sql,
    ]  # fmt: skip
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    compiled = json.loads(completed.stdout)["compiled"]
    assert isinstance(compiled, str)
    return compiled


def compacted_ranges(data_dir: Path) -> list[SeqRange]:
    """(first, last) seq of every compacted file, in order."""
    directory = bronze_layout.compacted_dir(data_dir)
    names = sorted(path.name for path in directory.glob("*.parquet")) if directory.exists() else []
    ranges = [bronze_layout.compacted_range_of(name) for name in names]
    assert None not in ranges, names
    return [seq_range for seq_range in ranges if seq_range is not None]


def layout_problems(data_dir: Path) -> list[str]:
    """Breaks of the layout's invariants: every seq in one place only, compacted files back to back."""
    problems = []
    state = bronze_layout.read_compaction_state(data_dir)
    if state.merging is not None:
        problems.append(f"a merge is still recorded as under way: {state.merging}")
    ranges = compacted_ranges(data_dir)
    expected_first = 1
    for first, last in ranges:
        if first != expected_first or last < first:
            problems.append(f"compacted files are not back to back: {ranges}")
            break
        expected_first = last + 1
    if (ranges[-1][1] if ranges else 0) != state.compacted_through_seq:
        problems.append(f"compacted files end at {ranges[-1:]}, compaction.json at {state.compacted_through_seq}")
    live = bronze_layout.committed_seqs(bronze_layout.events_dir(data_dir))
    if live and live[0] <= state.compacted_through_seq:
        problems.append(f"live file #{live[0]} is also compacted (boundary {state.compacted_through_seq})")
    temps = [
        path.name
        for directory in (
            data_dir / "bronze",
            bronze_layout.events_dir(data_dir),
            bronze_layout.compacted_dir(data_dir),
        )
        if directory.exists()
        for path in directory.iterdir()
        if path.name.endswith(bronze_layout.TEMP_SUFFIX)
    ]
    if temps:
        problems.append(f"temporary files left: {temps}")
    return problems
