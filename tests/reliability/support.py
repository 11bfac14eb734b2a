"""Fault-injection helpers: paced feeding, process-group control, checks on bronze and metric files.

The executables run as real child processes in their own session, so a test can kill a whole
process tree (./periodic and its dbt child) at once, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import duckdb

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.bronze_layout import events_dir
from tests.pipeline import REPO, child_environment, query_bronze

STREAM_SEED = 11
STREAM_EVENTS = 60_000
STREAM_BAD_LINES = "0.01"
COMMIT_INTERVAL_S = 1.0  # handle-stream's default --commit-interval

METRIC_HEADERS = {
    "likes-per-minutes.csv": ["time", "likes"],
    "fast-likers.csv": ["user_id", "likes"],
    "top-10-word.csv": ["word", "count"],
    "trending-posts.csv": ["post_uri", "likes"],
}
MINUTE_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:00")
COUNT_RE = re.compile(r"[1-9]\d*")


# --- streams ---------------------------------------------------------------------------------


def split_lines(stream: bytes) -> list[bytes]:
    """The lines handle-stream lands from `stream`: split on b"\\n" only, each keeping its newline."""
    parts = stream.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])  # a last line with no newline is landed as it is
    return lines


def simulated_stream() -> list[bytes]:
    """A realistic stream (./bluesky --simulate, with malformed lines) plus two fast likers.

    The simulated stream spans about 30 s of event time, too short for any simulated account to
    reach 50 likes in a minute, so two scripted accounts are woven in: fast-likers.csv then has
    rows whose sliding windows straddle any split of the stream into batches.
    """
    completed = subprocess.run(
        [
            str(REPO / "bluesky"),
            "--simulate",
            "--seed",
            str(STREAM_SEED),
            "--start",
            "2026-01-01T00:00:00",  # where fast_liker_lines() are woven in
            "--rate",
            "0",
            "--count",
            str(STREAM_EVENTS),
            "--bad-lines",
            STREAM_BAD_LINES,
        ],
        capture_output=True,
        env=child_environment(),
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    lines = split_lines(completed.stdout)
    bots = fast_liker_lines()
    step = len(lines) // (len(bots) + 1)
    woven: list[bytes] = []
    for index, bot_line in enumerate(bots):
        woven.extend(lines[index * step : (index + 1) * step])
        woven.append(bot_line)
    woven.extend(lines[len(bots) * step :])
    return woven


def fast_liker_lines() -> list[bytes]:
    """Likes of two accounts: 70 in 28 s, and 55 in 54 s (both over 50 within a minute)."""
    lines = []
    for bot, (count, step_s) in enumerate([(70, 0.4), (55, 1.0)]):
        for index in range(count):
            seen = datetime(2026, 1, 1, 0, 0, 1) + timedelta(seconds=step_s * index, microseconds=1301 * bot)
            event = {
                "timestamp": seen.isoformat(),
                "action": "create",
                "path": f"app.bsky.feed.like/3reliab{bot}{index:05d}",
                "cid": f"bafyreireliabilitybot{bot}{index:05d}",
                "prev": None,
                "py_type": "com.atproto.sync.subscribeRepos#repoOp",
                "record": {
                    "$type": "app.bsky.feed.like",
                    "createdAt": seen.isoformat(timespec="milliseconds") + "Z",
                    "subject": {
                        "cid": "bafyreireliabilitypost",
                        "uri": f"at://did:plc:reliabilityauthor/app.bsky.feed.post/3reliabpost{index % 7}",
                    },
                },
                "repo": f"did:plc:reliabilitybot{bot}",
            }
            lines.append(json.dumps(event).encode() + b"\n")
    return lines


# --- child processes -------------------------------------------------------------------------


class Child:
    """A root executable running in its own session, its output going to files in `log_dir`."""

    def __init__(
        self,
        name: str,
        *args: str,
        log_dir: Path,
        stdin: int | IO[bytes] | None = subprocess.PIPE,
        env: dict[str, str] | None = None,
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{name}-{time.monotonic_ns()}"
        self._stdout_path = log_dir / f"{stem}.out"
        self._stderr_path = log_dir / f"{stem}.err"
        with self._stdout_path.open("wb") as out, self._stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(REPO / name), *args],
                stdin=stdin,
                stdout=out,
                stderr=err,
                env=child_environment() | (env or {}),
                cwd=REPO,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to every process of the session (the executable and its children)."""
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.pid, sig)

    def wait(self, timeout: float = 300) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.process.wait()
            raise AssertionError(f"{self.process.args} still running after {timeout} s") from None

    def stdout(self) -> str:
        return self._stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self._stderr_path.read_text(encoding="utf-8", errors="replace")

    def session_processes(self) -> dict[int, str]:
        """pid -> command line of every live (non-zombie) process in this child's session."""
        found = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                cmdline = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            state, session = fields[0], int(fields[3])
            if session == self.pid and state != "Z":
                found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
        return found


def is_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class PacedFeeder(threading.Thread):
    """Writes lines into a pipe at a steady rate, remembering when each chunk had been written.

    Stops quietly when the reader dies (broken pipe) or `stop` is set; closes the pipe at the end
    of the lines when `close_at_end`.
    """

    def __init__(
        self,
        pipe: IO[bytes],
        lines: list[bytes],
        lines_per_second: float,
        *,
        chunk_lines: int = 100,
        close_at_end: bool = True,
    ) -> None:
        super().__init__(daemon=True)
        self._pipe = pipe
        self._chunks = [b"".join(lines[i : i + chunk_lines]) for i in range(0, len(lines), chunk_lines)]
        self._total = len(lines)
        self._chunk_lines = chunk_lines
        self._interval = chunk_lines / lines_per_second
        self._close_at_end = close_at_end
        self.stop = threading.Event()
        self.written_at: list[float] = []  # monotonic time by which chunk i was in the pipe
        self.broken_pipe = False
        self.finished = threading.Event()

    @property
    def lines_sent(self) -> int:
        return min(len(self.written_at) * self._chunk_lines, self._total)

    def sent_by(self, line_index: int) -> float:
        """When line `line_index` (0-based) had surely been written into the pipe."""
        return self.written_at[line_index // self._chunk_lines]

    def lines_written_by(self, moment: float) -> int:
        """How many lines had surely been written into the pipe at monotonic time `moment`."""
        chunks = sum(1 for at in self.written_at if at <= moment)
        return min(chunks * self._chunk_lines, self._total)

    def run(self) -> None:
        started = time.monotonic()
        try:
            for index, chunk in enumerate(self._chunks):
                delay = started + index * self._interval - time.monotonic()
                if self.stop.wait(max(delay, 0.0)):
                    break
                self._pipe.write(chunk)
                self._pipe.flush()
                self.written_at.append(time.monotonic())
            else:
                if self._close_at_end:
                    self._pipe.close()
        except (BrokenPipeError, ValueError):
            self.broken_pipe = True  # the reader was killed; ValueError: pipe closed by the test
        finally:
            self.finished.set()


# --- bronze ----------------------------------------------------------------------------------


def committed_files(data_dir: Path) -> list[Path]:
    """Every file a reader's `*.parquet` glob sees in the bronze directory, in name order."""
    directory = events_dir(data_dir)
    return sorted(directory.glob("*.parquet")) if directory.exists() else []


def temp_files(data_dir: Path) -> list[Path]:
    directory = events_dir(data_dir)
    return sorted(path for path in directory.iterdir() if path.name.endswith(".tmp")) if directory.exists() else []


def committed_seqs(data_dir: Path) -> list[int]:
    return bronze_layout.committed_seqs(events_dir(data_dir))


def unreadable_bronze_files(data_dir: Path, already_checked: set[Path] | None = None) -> list[str]:
    """Committed files DuckDB cannot read (each with its error); skips those in `already_checked`."""
    problems = []
    with duckdb.connect() as connection:
        for path in committed_files(data_dir):
            if already_checked is not None and path in already_checked:
                continue
            try:
                connection.execute(
                    "select count(*), sum(octet_length(line)) from read_parquet(?)", [str(path)]
                ).fetchall()
            except duckdb.Error as error:
                problems.append(f"{path.name}: {error}")
                continue
            if already_checked is not None:
                already_checked.add(path)
    return problems


def bronze_with_sizes(data_dir: Path) -> list[tuple[bytes, int | None]]:
    """(line, original_size) of every landed line, in landing order."""
    return [(bytes(line), size) for line, size in query_bronze(data_dir, "select line, original_size")]


# --- metric files ----------------------------------------------------------------------------


def metric_file_problem(name: str, data: bytes) -> str | None:
    """Why `data` is not a complete, well-formed metric file `name` (None when it is)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if not text.endswith("\n"):
        return f"does not end with a newline (cut short?): {text[-80:]!r}"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0] != METRIC_HEADERS[name]:
        return f"header is {rows[:1]!r}"
    if name in ("top-10-word.csv", "trending-posts.csv") and len(rows) > 11:
        return f"{len(rows) - 1} rows, more than 10"
    return next(filter(None, (metric_row_problem(name, row) for row in rows[1:])), None)


def metric_row_problem(name: str, row: list[str]) -> str | None:
    if len(row) != 2 or not row[0] or not COUNT_RE.fullmatch(row[1]):
        return f"malformed row {row!r}"
    if name == "likes-per-minutes.csv" and not MINUTE_RE.fullmatch(row[0]):
        return f"not a minute: {row!r}"
    if name == "fast-likers.csv" and int(row[1]) < 50:
        return f"fast liker under 50 likes: {row!r}"
    return None


def metric_files_problems(metrics_dir: Path) -> list[str]:
    """Problems of every metric file present (an absent file is fine: not exported yet)."""
    problems = []
    for name in METRIC_HEADERS:
        try:
            data = (metrics_dir / name).read_bytes()
        except FileNotFoundError:
            continue
        problem = metric_file_problem(name, data)
        if problem:
            problems.append(f"{name}: {problem}")
    return problems


class MetricReader(threading.Thread):
    """Reads every metric file over and over, recording any read that is not a complete file.

    Also records a file that disappears once it has existed: an atomic replace never removes it.
    """

    def __init__(self, metrics_dir: Path, pause_s: float = 0.005) -> None:
        super().__init__(daemon=True)
        self._metrics_dir = metrics_dir
        self._pause_s = pause_s
        self.stop = threading.Event()
        self.reads = 0
        self.versions: dict[str, set[bytes]] = {name: set() for name in METRIC_HEADERS}
        self.problems: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            for name in METRIC_HEADERS:
                try:
                    data = (self._metrics_dir / name).read_bytes()
                except FileNotFoundError:
                    if self.versions[name]:
                        self.problems.append(f"{name} disappeared after it had been written")
                    continue
                self.reads += 1
                if data not in self.versions[name]:
                    problem = metric_file_problem(name, data)
                    if problem:
                        self.problems.append(f"{name}: {problem}")
                    self.versions[name].add(data)
            self.stop.wait(self._pause_s)


# --- filesystems -----------------------------------------------------------------------------


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of `size` on `path` for the block; yields False when mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], capture_output=True, check=True)


def fill_filesystem(path: Path, leave_bytes: int = 0) -> Path:
    """Write a file in `path` until its filesystem is full, then give back `leave_bytes`.

    Returns the file: delete it to free the space.
    """
    filler = path / "filler"
    with filler.open("wb", buffering=0) as file:
        for block in (b"\0" * (64 << 10), b"\0" * 512):
            try:
                while True:
                    file.write(block)
            except OSError:
                pass
    if leave_bytes:
        os.truncate(filler, max(0, filler.stat().st_size - leave_bytes))
    return filler


def error_lines(stderr: str) -> list[str]:
    """The lines of `stderr` that report an error."""
    return [line for line in stderr.splitlines() if "error" in line.lower()]
