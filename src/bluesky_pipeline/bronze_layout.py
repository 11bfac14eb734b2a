"""The bronze layout: the one contract between the streaming writer, the refresh side and the SQL.

Bronze lives under `<data-dir>/bronze/`. The writer commits one Parquet file per batch in `events/`
(`events-<seq>.parquet`, `seq` gap-free and increasing, so a reader can tell exactly what is new).
Compaction later merges runs of them into `compacted/events-<first>-<last>.parquet`, each row keeping
the `file_seq` and `line_no` it had, and records in `compaction.json` the highest seq so merged: every
seq up to it is read from `compacted/`, every later one from `events/`. Files found damaged are moved,
under their own names, to `quarantine/`. The SQL side receives this layout from `sql_environment`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

BRONZE_SUBDIR = Path("bronze")
EVENTS_SUBDIR = BRONZE_SUBDIR / "events"
COMPACTED_SUBDIR = BRONZE_SUBDIR / "compacted"
QUARANTINE_SUBDIR = BRONZE_SUBDIR / "quarantine"
COMPACTION_STATE_FILE = BRONZE_SUBDIR / "compaction.json"
SEQ_DIGITS = 12
# Temporary files start with a dot and end in .tmp, so no reader's glob can match them.
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
_SEQ = rf"(\d{{{SEQ_DIGITS}}})"
_FILE_PATTERN = rf"events-{_SEQ}\.parquet"
_FILE_RE = re.compile(rf"^{_FILE_PATTERN}$")
_COMPACTED_RE = re.compile(rf"^events-{_SEQ}-{_SEQ}\.parquet$")
# A quarantined file keeps its name; a second one of the same name gets a ".<n>" suffix.
_QUARANTINED_RE = re.compile(rf"^{_FILE_PATTERN}(?:\.\d+)?$")
_SEQ_GLOB = "[0-9]" * SEQ_DIGITS

# Column names of every bronze file.
LINE_COLUMN = "line"  # the line exactly as received, with its b"\n" when it had one
ORIGINAL_SIZE_COLUMN = "original_size"  # bytes received, when `line` holds only the first part; else null
LANDED_AT_COLUMN = "landed_at"  # UTC time of the commit
# Compacted files add where each line was first committed: its file's seq and its row in that file.
FILE_SEQ_COLUMN = "file_seq"
LINE_NO_COLUMN = "line_no"

_LIVE_FIELDS: list[pa.Field[Any]] = [
    pa.field(LINE_COLUMN, pa.binary(), nullable=False),
    pa.field(ORIGINAL_SIZE_COLUMN, pa.int64()),
    pa.field(LANDED_AT_COLUMN, pa.timestamp("us", tz="UTC"), nullable=False),
]
LIVE_SCHEMA = pa.schema(_LIVE_FIELDS)
COMPACTED_SCHEMA = pa.schema(
    [
        pa.field(FILE_SEQ_COLUMN, pa.int64(), nullable=False),
        pa.field(LINE_NO_COLUMN, pa.int64(), nullable=False),
        *_LIVE_FIELDS,
    ]
)

# The environment variables through which the dbt project learns the layout (macros/bronze_lines.sql,
# models/staging/bronze/_bronze__sources.yml): paths and patterns are defined here only.
LIVE_GLOB_ENV = "BLUESKY_BRONZE_LIVE_GLOB"
LIVE_FILE_ENV = "BLUESKY_BRONZE_LIVE_FILE"  # one live file's path, with %d for its seq
LIVE_SEQ_PATTERN_ENV = "BLUESKY_BRONZE_LIVE_SEQ_PATTERN"  # a regular expression capturing a path's seq
COMPACTED_GLOB_ENV = "BLUESKY_BRONZE_COMPACTED_GLOB"
COMPACTED_THROUGH_ENV = "BLUESKY_BRONZE_COMPACTED_THROUGH_SEQ"


class BronzeLayoutError(Exception):
    """The bronze directory holds something this layout cannot read (a damaged compaction.json)."""


@dataclass(frozen=True)
class CompactionState:
    """What compaction.json says: where compacted files end, and a merge that may be under way."""

    compacted_through_seq: int = 0  # seqs up to this are read from compacted/ (0: none)
    merging: tuple[int, int] | None = None  # (first, last) seq of a merge that has not finished


def events_dir(data_dir: Path) -> Path:
    """Directory holding the bronze event files as committed (the live files) under `data_dir`."""
    return data_dir / EVENTS_SUBDIR


def compacted_dir(data_dir: Path) -> Path:
    return data_dir / COMPACTED_SUBDIR


def quarantine_dir(data_dir: Path) -> Path:
    return data_dir / QUARANTINE_SUBDIR


def file_name(seq: int) -> str:
    """Committed file name for sequence number `seq`."""
    return f"events-{seq:0{SEQ_DIGITS}d}.parquet"


def temp_name(seq: int) -> str:
    """Name under which file `seq` is written before its atomic rename."""
    return f"{TEMP_PREFIX}{file_name(seq)}{TEMP_SUFFIX}"


def compacted_file_name(first_seq: int, last_seq: int) -> str:
    """Name of the compacted file holding the lines of files `first_seq` to `last_seq`."""
    return f"events-{first_seq:0{SEQ_DIGITS}d}-{last_seq:0{SEQ_DIGITS}d}.parquet"


def seq_of(name: str) -> int | None:
    """Sequence number of a committed file name, or None for any other name."""
    match = _FILE_RE.match(name)
    return int(match.group(1)) if match else None


def compacted_range_of(name: str) -> tuple[int, int] | None:
    """(first, last) seq of a compacted file name, or None for any other name."""
    match = _COMPACTED_RE.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def committed_seqs(directory: Path) -> list[int]:
    """Sorted sequence numbers of the committed files in `directory` (empty if it does not exist)."""
    return sorted(seq for seq in map(seq_of, _names(directory)) if seq is not None)


def quarantined_seqs(data_dir: Path) -> set[int]:
    """Sequence numbers of the live files moved to quarantine: holes in events/ that are accounted for."""
    return {int(match.group(1)) for match in map(_QUARANTINED_RE.match, _names(quarantine_dir(data_dir))) if match}


def read_compaction_state(data_dir: Path) -> CompactionState:
    """The state in compaction.json (no file: nothing compacted yet)."""
    path = data_dir / COMPACTION_STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        merging = state["merging"]
        return CompactionState(
            int(state["compacted_through_seq"]), (int(merging[0]), int(merging[1])) if merging else None
        )
    except FileNotFoundError:
        return CompactionState()
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise BronzeLayoutError(f"cannot read {path}: {error}") from None


def compaction_state_json(state: CompactionState) -> str:
    """compaction.json's text for `state`."""
    merging = list(state.merging) if state.merging else None
    return json.dumps({"compacted_through_seq": state.compacted_through_seq, "merging": merging}) + "\n"


def next_seq(data_dir: Path) -> int:
    """The sequence number of the next file to commit: above every seq live, compacted or quarantined."""
    state = read_compaction_state(data_dir)
    used = [
        *committed_seqs(events_dir(data_dir))[-1:],
        *quarantined_seqs(data_dir),
        state.compacted_through_seq,
        *(state.merging or ()),
    ]
    return max(used, default=0) + 1


def sql_environment(data_dir: Path) -> dict[str, str]:
    """The layout for the dbt project, as environment variables (absolute paths)."""
    root = data_dir.resolve()
    return {
        LIVE_GLOB_ENV: str(events_dir(root) / f"events-{_SEQ_GLOB}.parquet"),
        LIVE_FILE_ENV: str(events_dir(root) / f"events-%0{SEQ_DIGITS}d.parquet"),
        LIVE_SEQ_PATTERN_ENV: f"{_FILE_PATTERN}$",
        COMPACTED_GLOB_ENV: str(compacted_dir(root) / f"events-{_SEQ_GLOB}-{_SEQ_GLOB}.parquet"),
        COMPACTED_THROUGH_ENV: str(read_compaction_state(root).compacted_through_seq),
    }


def _names(directory: Path) -> list[str]:
    try:
        return [entry.name for entry in directory.iterdir()]
    except FileNotFoundError:
        return []
