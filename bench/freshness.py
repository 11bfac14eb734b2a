"""Benchmark of freshness: how long a like takes from handle-stream's stdin to metrics/*.csv.

The simulated live feed (`./bluesky --simulate --rate R`) is piped through this script into
`./handle-stream`; every `--marker-every` seconds a marker is put between two lines: a like of the
year 2000, each in a minute of its own, so that its row appears in likes-per-minutes.csv when a
refresh has read it (a like that late counts in its own minute and moves nothing else). Its freshness
is the modification time of the first CSV holding its row minus the moment its line was written to
the pipe (both wall-clock). Measured per mode, each in a fresh workspace, one after the other:
  follow   ./periodic --follow
  watch    `watch -n 30 ./periodic`: ./periodic, then 30 s of sleep, again (watch's own cadence)
Printed per mode: markers seen, median, 90th percentile and worst freshness, the refreshes, the CPU
seconds the refreshing side used per minute, and the load average (the machine may be shared).
Run: uv run --frozen python -m bench.freshness [--minutes 5] [--rate 2000] [--modes follow watch]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from bench.streams import REPO

MARKER_START = datetime(2000, 1, 1)
MARKER_REPO = "did:plc:freshnessmarker"
POLL_S = 0.01
SETTLE_S = 45.0  # after the last marker: time for the slowest mode to read it
METRICS_FILE = "likes-per-minutes.csv"


@dataclass
class ModeResult:
    mode: str
    written_at: dict[int, float] = field(default_factory=dict)  # marker -> wall time its line was in the pipe
    seen_at: dict[int, float] = field(default_factory=dict)  # marker -> mtime of the first CSV with it
    refreshes: int = 0
    cpu_s: float = 0.0
    seconds: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)

    def freshness(self) -> list[float]:
        return sorted(self.seen_at[m] - self.written_at[m] for m in self.seen_at if m in self.written_at)


def marker_line(index: int) -> bytes:
    seen = MARKER_START + timedelta(minutes=index)
    event = {
        "timestamp": seen.isoformat(),
        "action": "create",
        "path": f"app.bsky.feed.like/3fresh{index:06d}",
        "cid": f"bafyreifreshnessmarker{index:06d}",
        "prev": None,
        "py_type": "com.atproto.sync.subscribeRepos#repoOp",
        "record": {
            "$type": "app.bsky.feed.like",
            "createdAt": seen.isoformat(timespec="milliseconds") + "Z",
            "subject": {"cid": "bafyreifreshnesspost", "uri": "at://did:plc:freshnessauthor/app.bsky.feed.post/3fresh"},
        },
        "repo": MARKER_REPO,
    }
    return json.dumps(event).encode() + b"\n"


def marker_row(index: int) -> str:
    return f"{MARKER_START + timedelta(minutes=index):%Y-%m-%d %H:%M:%S},1"


class Pump(threading.Thread):
    """Copies the producer's lines into handle-stream's stdin, a marker between two lines now and then."""

    def __init__(self, source: IO[bytes], sink: IO[bytes], result: ModeResult, every_s: float) -> None:
        super().__init__(daemon=True)
        self._source, self._sink, self._result = source, sink, result
        self._every_s = every_s
        self.markers_until = 0.0  # monotonic; markers go in before it, once set

    def run(self) -> None:
        carry = b""
        next_marker = 0.0
        index = 0
        while chunk := self._source.read1(1 << 16):  # type: ignore[attr-defined]
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            self._sink.write(data[:cut])
            carry = data[cut:]
            now = time.monotonic()
            if now >= next_marker and now < self.markers_until:
                self._sink.write(marker_line(index))
                self._sink.flush()
                self._result.written_at[index] = time.time()
                index += 1
                next_marker = now + self._every_s
            else:
                self._sink.flush()
        self._sink.write(carry)
        self._sink.close()


class Watcher(threading.Thread):
    """Reads the metric file whenever it is replaced, noting when each marker first appears."""

    def __init__(self, path: Path, result: ModeResult) -> None:
        super().__init__(daemon=True)
        self._path, self._result = path, result
        self.stop = threading.Event()
        self._rows = {marker_row(index): index for index in range(100_000)}

    def run(self) -> None:
        last = None
        while not self.stop.is_set():
            try:
                fd = os.open(self._path, os.O_RDONLY)
            except FileNotFoundError:
                time.sleep(POLL_S)
                continue
            with os.fdopen(fd, "rb") as file:  # the mtime and the text of one and the same version
                stamp = os.fstat(fd).st_mtime_ns
                if stamp != last:
                    last = stamp
                    for line in file.read().decode().splitlines():
                        if line.startswith("2000-") and (index := self._rows.get(line)) is not None:
                            self._result.seen_at.setdefault(index, stamp / 1e9)
            time.sleep(POLL_S)


class WatchLoop(threading.Thread):
    """`watch -n EVERY ./periodic`: run it, sleep EVERY, again; its CPU from wait4."""

    def __init__(self, workspace: list[str], every_s: float, result: ModeResult) -> None:
        super().__init__(daemon=True)
        self._workspace, self._every_s, self._result = workspace, every_s, result
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with open(os.devnull, "wb") as devnull:
                refresh = subprocess.Popen([str(REPO / "periodic"), *self._workspace], stdout=devnull, stderr=devnull)
            _, _, usage = os.wait4(refresh.pid, 0)
            refresh.returncode = 0  # reaped here
            self._result.cpu_s += usage.ru_utime + usage.ru_stime
            self._result.refreshes += 1
            self.stop.wait(self._every_s)


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(mode: str, args: argparse.Namespace, root: Path) -> ModeResult:
    result = ModeResult(mode)
    data, metrics = root / mode / "data", root / mode / "metrics"
    workspace = ["--data-dir", str(data), "--metrics-dir", str(metrics)]
    start = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    producer_command = [
        str(REPO / "bluesky"), "--simulate", "--rate", str(args.rate), "--seed", str(args.seed), "--start", start
    ]  # fmt: skip
    lander = subprocess.Popen(
        [str(REPO / "handle-stream"), "--data-dir", str(data)], stdin=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    producer = subprocess.Popen(producer_command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert producer.stdout is not None
    assert lander.stdin is not None
    load_before = os.getloadavg()[0]
    began = time.monotonic()
    follow: subprocess.Popen[bytes] | None = None
    loop: WatchLoop | None = None
    if mode == "follow":
        follow = subprocess.Popen(
            [str(REPO / "periodic"), "--follow", *workspace],
            stdout=(root / "follow.out").open("wb"),
            stderr=(root / "follow.err").open("wb"),
        )
    else:
        loop = WatchLoop(workspace, args.every, result)
        loop.start()
    watcher = Watcher(metrics / METRICS_FILE, result)
    watcher.start()
    pump = Pump(producer.stdout, lander.stdin, result, args.marker_every)
    pump.start()
    # Markers from the first refresh on (dbt's start-up is not freshness), for --minutes.
    while not (metrics / METRICS_FILE).exists():
        time.sleep(0.1)
    until = time.monotonic() + args.minutes * 60
    pump.markers_until = until
    while time.monotonic() < until:
        time.sleep(1)
    settle_until = time.monotonic() + SETTLE_S
    while len(result.seen_at) < len(result.written_at) and time.monotonic() < settle_until:
        time.sleep(0.2)
    result.seconds = time.monotonic() - began
    result.load = (load_before, os.getloadavg()[0])
    producer.send_signal(signal.SIGTERM)
    pump.join()
    lander.wait()
    if follow is not None:
        result.cpu_s = process_cpu_s(follow.pid)
        follow.send_signal(signal.SIGTERM)
        follow.wait()
        result.refreshes = count_follow_refreshes(root / "follow.out")
    if loop is not None:
        loop.stop.set()
        loop.join()
    watcher.stop.set()
    watcher.join()
    return result


def count_follow_refreshes(out: Path) -> int:
    """From --follow's lines: one per refresh, or one per minute saying how many."""
    count = 0
    for line in out.read_text().splitlines():
        if " refreshes (" in line:
            count += int(line.split(": ", 1)[1].split(" refreshes", 1)[0].replace(",", ""))
        elif " new events (" in line:
            count += 1
    return count


def report(result: ModeResult) -> None:
    lags = result.freshness()
    missing = len(result.written_at) - len(lags)
    minutes = result.seconds / 60
    if not lags:
        print(f"{result.mode:>7}: no marker seen")
        return
    p90 = lags[min(len(lags) - 1, int(0.9 * len(lags)))]
    print(
        f"{result.mode:>7}: {len(lags)} markers seen ({missing} not), freshness median {statistics.median(lags):.2f} s,"
        f" p90 {p90:.2f} s, worst {lags[-1]:.2f} s, best {lags[0]:.2f} s; {result.refreshes} refreshes;"
        f" refreshing CPU {result.cpu_s / minutes:.1f} s per minute;"
        f" load average {result.load[0]:.1f} -> {result.load[1]:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="markers for this long, per mode")
    parser.add_argument("--rate", type=int, default=2000, help="events per second of the simulated feed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--marker-every", type=float, default=2.0, help="seconds between two markers")
    parser.add_argument("--every", type=float, default=30.0, help="the watch mode's interval")
    parser.add_argument("--modes", nargs="+", choices=("follow", "watch"), default=["follow", "watch"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; {args.rate} events/s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-freshness-") as temp:
        for mode in args.modes:
            report(measure(mode, args, Path(temp)))


if __name__ == "__main__":
    main()
