"""Benchmark streams: realistic, seeded event streams from ./bluesky --simulate, cached on disk.

A cached stream is named by what made it: its count, seed and start, and a hash of the producer's
source and the lock file, so a changed simulator (or word list) never reuses a stale stream.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "bluesky-pipeline-bench"
PRODUCER = REPO / "src" / "bluesky_pipeline" / "producer"
START = "2026-01-01T00:00:00"  # explicit, as the seed: the producer's defaults differ per run


def producer_digest() -> str:
    """A short hash of everything the simulated bytes depend on: the producer's code and the locked versions."""
    digest = hashlib.sha256()
    for path in [*sorted(PRODUCER.rglob("*.py")), REPO / "uv.lock"]:
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def simulated_stream_command(repo: Path, count: int, seed: int = 1) -> list[str]:
    """The command printing `count` simulated events of checkout `repo`, the same bytes every time."""
    return [
        str(repo / "bluesky"), "--simulate", "--seed", str(seed), "--start", START, "--rate", "0", "--count", str(count)
    ]  # fmt: skip


def simulated_stream(count: int, seed: int = 1) -> Path:
    """A file of `count` simulated events (seeded and started at `START`, so every run measures the same bytes)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"simulated-{count}-seed{seed}-{START.replace(':', '')}-{producer_digest()}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            subprocess.run(simulated_stream_command(REPO, count, seed), stdout=out, check=True)
        partial.rename(path)
    return path


def split_lines(path: Path, first: int) -> tuple[Path, Path]:
    """Two files: the first `first` lines of `path`, and the rest."""
    head, tail = path.with_suffix(f".head{first}"), path.with_suffix(f".tail{first}")
    if not (head.exists() and tail.exists()):
        with path.open("rb") as source, head.open("wb") as out_head, tail.open("wb") as out_tail:
            for number, line in enumerate(source):
                (out_head if number < first else out_tail).write(line)
    return head, tail
