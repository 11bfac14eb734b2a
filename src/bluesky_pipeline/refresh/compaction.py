"""Bronze compaction: merges runs of the small per-commit files that every model has read into one.

./periodic runs one step after each successful refresh, under the refresh lock (no refresh reads
meanwhile) while handle-stream goes on committing newer files. A step survives kill -9 and power
loss at any point: `compact_once` says in which order it makes things durable, `recover` how the
next run finishes or undoes a step that was cut short.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bluesky_pipeline import bronze_layout, durable
from bluesky_pipeline.bronze_layout import CompactionState

MAX_FILES_ENV = "BLUESKY_COMPACT_MAX_FILES"
MAX_MB_ENV = "BLUESKY_COMPACT_MAX_MB"
DEFAULT_MAX_FILES = 3600  # an hour of commits at handle-stream's 1 s interval
DEFAULT_MAX_MB = 320  # of small files (about 1 GB of lines): under 100 merged files a day (docs/design.md)
# zstd level and page size of merged files, chosen with bench/compaction.py (bench/README.md): a page is
# zstd's unit of work, and 8 MB pages let it find repeats that 1 MB pages hide.
ZSTD_LEVEL = 9
PAGE_BYTES = 8 << 20
ROW_GROUP_LINE_BYTES = 64 << 20  # bounds memory: one row group is held at a time
ROW_GROUP_MAX_LINES = 1 << 20
# Test hook (tests/reliability/test_compaction_crash.py): the process SIGKILLs itself on reaching the
# named point of a step, to prove that a restart finds and finishes or undoes the step.
KILL_AT_ENV = "BLUESKY_TEST_COMPACTION_KILL_AT"
KILL_POINTS = ("journaled", "merging", "merged", "committed", "deleting")


class CompactionError(Exception):
    """A compaction step could not be done (bad settings, a full disk); bronze is left consistent."""


@dataclass(frozen=True)
class CompactionLimits:
    """How much one merged file holds: at most `max_files` small files and `max_bytes` of them."""

    max_files: int = DEFAULT_MAX_FILES
    max_bytes: int = DEFAULT_MAX_MB << 20

    @classmethod
    def from_environment(cls) -> CompactionLimits:
        try:
            max_files = int(os.environ.get(MAX_FILES_ENV) or DEFAULT_MAX_FILES)
            max_mb = float(os.environ.get(MAX_MB_ENV) or DEFAULT_MAX_MB)
        except ValueError as error:
            raise CompactionError(f"{MAX_FILES_ENV} and {MAX_MB_ENV} must be numbers: {error}") from None
        if max_files < 2 or max_mb <= 0:
            raise CompactionError(f"{MAX_FILES_ENV} must be at least 2 and {MAX_MB_ENV} above 0")
        return cls(max_files, int(max_mb * (1 << 20)))


@dataclass(frozen=True)
class MergeGroup:
    """A run of sequence numbers to merge, and the live files among them (quarantined ones have none)."""

    first_seq: int
    last_seq: int
    files: tuple[tuple[int, Path], ...]


@dataclass(frozen=True)
class CompactionStep:
    """One merged file written, and the small files it replaced."""

    first_seq: int
    last_seq: int
    files: int
    lines: int
    bytes_before: int
    bytes_after: int
    seconds: float

    def describe(self) -> str:
        return (
            f"compacted bronze files #{self.first_seq}-#{self.last_seq} ({self.files:,} files, "
            f"{self.bytes_before / 1e6:,.1f} MB) into 1 of {self.bytes_after / 1e6:,.1f} MB in {self.seconds:.1f} s"
        )


def readable_through(connection: duckdb.DuckDBPyConnection) -> int:
    """The highest seq that every incremental model has read: min(through_seq) over silver.watermarks."""
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = 'silver' and table_name = 'watermarks'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = connection.execute("select coalesce(min(through_seq), 0) from silver.watermarks").fetchone()
    return int(row[0]) if row else 0


def recover(data_dir: Path) -> None:
    """Finish or undo a step cut short (kill -9, power loss), and drop small files already merged.

    A merged file that is present and holds as many lines as its small files was fsynced before its
    rename, so the step is finished; otherwise it is undone. Only compaction.json is read when no
    step was under way; the small files at or below its boundary are removed (an interrupted deletion).
    """
    state = bronze_layout.read_compaction_state(data_dir)
    if state.merging is not None:
        first, last = state.merging
        directory = bronze_layout.compacted_dir(data_dir)
        _remove_temp_files(directory)
        target = directory / bronze_layout.compacted_file_name(first, last)
        if _line_count(target) == _live_line_count(data_dir, first, last):
            state = CompactionState(last, None)
        else:
            target.unlink(missing_ok=True)
            state = CompactionState(state.compacted_through_seq, None)
        if directory.exists():
            durable.fsync_path(directory)
        _write_state(data_dir, state)
    _remove_merged_live_files(data_dir, state.compacted_through_seq)


def plan(data_dir: Path, read_through_seq: int, limits: CompactionLimits) -> MergeGroup | None:
    """The next run of small files to merge, or None when no full group has been read by every model.

    A group starts right after the compacted boundary and is full when the next file would take it
    past `limits`. Only files up to `read_through_seq` are taken, never the newest live file (so that
    events/ is never empty: dbt's source and its freshness check read it), and never past a hole.
    """
    state = bronze_layout.read_compaction_state(data_dir)
    boundary = state.compacted_through_seq
    events_dir = bronze_layout.events_dir(data_dir)
    live = [seq for seq in bronze_layout.committed_seqs(events_dir) if seq > boundary]
    if len(live) < 2:
        return None
    quarantined = {seq for seq in bronze_layout.quarantined_seqs(data_dir) if seq > boundary}
    live_set = set(live)
    limit = min(read_through_seq, live[-1] - 1)
    first = boundary + 1 if boundary > 0 else min([live[0], *quarantined])
    files: list[tuple[int, Path]] = []
    size = 0
    for seq in range(first, limit + 1):
        if seq in live_set:
            path = events_dir / bronze_layout.file_name(seq)
            file_size = path.stat().st_size
            if files and (len(files) >= limits.max_files or size + file_size > limits.max_bytes):
                return MergeGroup(first, seq - 1, tuple(files))
            files.append((seq, path))
            size += file_size
        elif seq not in quarantined:
            return None  # a hole: what lies past it is not known to be complete
    return None


def compact_once(data_dir: Path, read_through_seq: int, limits: CompactionLimits) -> CompactionStep | None:
    """Merge the next full group of small files, if any. Call `recover` first.

    The order is what makes it safe: (1) compaction.json records the merge under way; (2) the merged
    file is written aside, fsynced, renamed, its directory fsynced; (3) compaction.json moves the
    boundary past the group (fsynced): from here on readers take these seqs from the merged file;
    (4) only then are the small files removed. A reader never sees a seq twice: below the boundary
    it reads only compacted/, above it only events/.
    """
    group = plan(data_dir, read_through_seq, limits)
    if group is None:
        return None
    started = time.monotonic()
    state = bronze_layout.read_compaction_state(data_dir)
    directory = bronze_layout.compacted_dir(data_dir)
    if not directory.exists():
        directory.mkdir(parents=True)
        durable.fsync_path(directory.parent)
    target = directory / bronze_layout.compacted_file_name(group.first_seq, group.last_seq)
    temp_path = directory / f"{bronze_layout.TEMP_PREFIX}{target.name}{bronze_layout.TEMP_SUFFIX}"
    bytes_before = sum(path.stat().st_size for _, path in group.files)
    try:
        _write_state(data_dir, CompactionState(state.compacted_through_seq, (group.first_seq, group.last_seq)))
        _reached("journaled")
        try:
            lines = merge_files(group.files, temp_path)
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        os.rename(temp_path, target)
        durable.fsync_path(directory)
        _reached("merged")
        _write_state(data_dir, CompactionState(group.last_seq, None))
        _reached("committed")
        _remove_merged_live_files(data_dir, group.last_seq)
    except OSError as error:
        raise CompactionError(
            f"cannot compact bronze files #{group.first_seq}-#{group.last_seq}: "
            f"{os.strerror(error.errno) if error.errno else error}"
            " (nothing lost; the next refresh undoes the step)"
        ) from None
    return CompactionStep(
        group.first_seq,
        group.last_seq,
        len(group.files),
        lines,
        bytes_before,
        target.stat().st_size,
        time.monotonic() - started,
    )


def merge_files(
    files: Sequence[tuple[int, Path]], target: Path, level: int = ZSTD_LEVEL, page_bytes: int = PAGE_BYTES
) -> int:
    """Write the lines of live files `(seq, path)` to one fsynced Parquet file; returns the line count.

    Reads one small file at a time and writes a row group whenever 64 MB of lines are waiting, so
    memory stays bounded whatever the group's size.
    """
    writer = pq.ParquetWriter(
        str(target),
        bronze_layout.COMPACTED_SCHEMA,
        compression="zstd",
        compression_level=level,
        use_dictionary=False,
        # Row group statistics on file_seq let a reader of a seq range skip the rest of a file.
        write_statistics=[bronze_layout.FILE_SEQ_COLUMN, bronze_layout.LINE_NO_COLUMN, bronze_layout.LANDED_AT_COLUMN],
        write_page_index=False,
        data_page_size=page_bytes,
    )
    pending: list[pa.Table] = []
    pending_bytes = pending_lines = lines = 0
    try:
        for seq, path in files:
            table = _with_origin(pq.read_table(path, columns=bronze_layout.LIVE_SCHEMA.names), seq)
            pending.append(table)
            pending_bytes += table[bronze_layout.LINE_COLUMN].nbytes
            pending_lines += table.num_rows
            if pending_bytes >= ROW_GROUP_LINE_BYTES or pending_lines >= ROW_GROUP_MAX_LINES:
                lines += _write_row_group(writer, pending)
                pending, pending_bytes, pending_lines = [], 0, 0
        if pending:
            lines += _write_row_group(writer, pending)
    finally:
        writer.close()
    durable.fsync_path(target)
    return lines


def _with_origin(table: pa.Table, seq: int) -> pa.Table:
    count = table.num_rows
    return pa.Table.from_arrays(
        [
            pa.array(np.full(count, seq, dtype=np.int64)),
            pa.array(np.arange(count, dtype=np.int64)),
            *(table[name] for name in bronze_layout.LIVE_SCHEMA.names),
        ],
        schema=bronze_layout.COMPACTED_SCHEMA,
    )


def _write_row_group(writer: pq.ParquetWriter, tables: list[pa.Table]) -> int:
    group = pa.concat_tables(tables)
    writer.write_table(group, row_group_size=max(group.num_rows, 1))
    _reached("merging")
    return group.num_rows


def _write_state(data_dir: Path, state: CompactionState) -> None:
    text = bronze_layout.compaction_state_json(state)

    def write(temp_path: Path) -> None:
        temp_path.write_text(text, encoding="utf-8")

    durable.replace_atomically(data_dir / bronze_layout.COMPACTION_STATE_FILE, write)


def _remove_merged_live_files(data_dir: Path, through_seq: int) -> None:
    events_dir = bronze_layout.events_dir(data_dir)
    merged = [seq for seq in bronze_layout.committed_seqs(events_dir) if seq <= through_seq]
    for seq in merged:
        (events_dir / bronze_layout.file_name(seq)).unlink(missing_ok=True)
        _reached("deleting")
    if merged:
        durable.fsync_path(events_dir)


def _remove_temp_files(directory: Path) -> None:
    if directory.exists():
        for entry in directory.iterdir():
            if entry.name.startswith(bronze_layout.TEMP_PREFIX) and entry.name.endswith(bronze_layout.TEMP_SUFFIX):
                entry.unlink()


def _line_count(path: Path) -> int | None:
    try:
        return pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException):
        return None


def _live_line_count(data_dir: Path, first_seq: int, last_seq: int) -> int:
    events_dir = bronze_layout.events_dir(data_dir)
    seqs = [seq for seq in bronze_layout.committed_seqs(events_dir) if first_seq <= seq <= last_seq]
    return sum(pq.read_metadata(events_dir / bronze_layout.file_name(seq)).num_rows for seq in seqs)


def _reached(point: str) -> None:
    if os.environ.get(KILL_AT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
