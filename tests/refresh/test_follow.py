"""./periodic --follow's behaviour: it waits for files, refreshes each batch as it lands and says so,
parses the dbt project and loads its seeds once (again only when it changes), and keeps a one-shot ./periodic out.

The faults (signals, kill -9, failing refreshes) are in tests/reliability/test_follow_faults.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import termios
import threading

from tests.pipeline import REPO, Workspace, child_environment, run_executable
from tests.refresh.following import Follow, last_seq, published_through
from tests.refresh.lines import likes

SUMMARY = (
    r"periodic: {new} new events \(0 repeats\), 0 rejected lines, 0 blank; data tests \d+ passed, 0 failed; \d+\.\d s"
)


def parses(workspace: Workspace) -> int:
    """How many times dbt has parsed the project for this data directory (dbt's own log says each)."""
    log = (workspace.data_dir / "dbt" / "logs" / "dbt.log").read_text()
    return log.count("Command `cli parse` succeeded")


def test_it_waits_for_the_first_file_then_refreshes_each_batch_as_it_lands(workspace: Workspace) -> None:
    follow = Follow(workspace)
    events_dir = workspace.data_dir / "bronze" / "events"
    follow.wait_until(
        lambda: f"periodic: waiting for the first bronze file in {events_dir}" in follow.child.stderr(), "waiting"
    )
    workspace.land(likes(3))
    follow.wait_until_current()
    assert workspace.metric("likes-per-minutes.csv") == "time,likes\n2026-03-01 12:00:00,3\n"
    workspace.land(likes(2, first=3))
    follow.wait_until_current()
    assert workspace.metric("likes-per-minutes.csv") == "time,likes\n2026-03-01 12:00:00,5\n"
    follow.signal(signal.SIGTERM)
    assert follow.wait() == 0, follow.output()
    # Off a terminal: each refresh's summary, with its lag (the second one within a minute of the first
    # waits for the minute's line, or the end).
    metrics = f"; metrics in {re.escape(str(workspace.metrics_dir))}/; lag \\d+\\.\\d s"
    lines = follow.child.stdout().splitlines()
    assert len(lines) == 2, lines
    assert re.fullmatch(SUMMARY.format(new=3) + metrics, lines[0]), lines[0]
    assert re.fullmatch(SUMMARY.format(new=2) + metrics, lines[1]), lines[1]
    assert follow.child.stderr().splitlines()[0].startswith(f"periodic: following {events_dir} (dbt loaded in ")


def test_a_backlog_is_read_a_part_at_a_time_each_exported(workspace: Workspace) -> None:
    for first, count in ((0, 3), (3, 2), (5, 4)):
        workspace.land(likes(count, first=first))
    follow = Follow(workspace, env={"BLUESKY_MAX_BATCH_LINES": "1"})
    follow.wait_until_current()
    follow.signal(signal.SIGTERM)
    assert follow.wait() == 0, follow.output()
    assert workspace.metric("likes-per-minutes.csv") == "time,likes\n2026-03-01 12:00:00,9\n"
    runs = workspace.warehouse("select bronze_through_seq, lines from ops.periodic_runs order by started_at")
    assert runs == [(1, 3), (2, 2), (3, 4)], "one refresh per bronze file, each reading its own lines"


def test_a_one_shot_periodic_beside_it_says_a_refresh_is_already_running(workspace: Workspace) -> None:
    workspace.land(likes(2))
    follow = Follow(workspace)
    follow.wait_until_current()
    one_shot = workspace.refresh()
    assert one_shot.stdout.decode() == f"periodic: a refresh is already running (pid {follow.pid}); nothing to do\n"
    status = workspace.refresh("--status")
    assert f"running now:    a refresh is running (pid {follow.pid})" in status.stdout.decode()
    follow.signal(signal.SIGINT)
    assert follow.wait() == 0, follow.output()
    assert b"already running" not in workspace.refresh().stdout  # the lock goes with it


def seeds_built(workspace: Workspace) -> list[str]:
    """The seeds the last build loaded, from its run_results.json."""
    results = json.loads((workspace.data_dir / "dbt" / "target" / "run_results.json").read_text())["results"]
    return sorted(node["unique_id"] for node in results if node["unique_id"].startswith("seed."))


def test_the_project_is_parsed_and_its_seeds_loaded_once_and_again_only_when_one_of_its_files_changes(
    workspace: Workspace,
) -> None:
    seeds = sorted(f"seed.bluesky.{path.stem}" for path in (REPO / "transform" / "seeds").glob("*.csv"))
    workspace.land(likes(1))
    follow = Follow(workspace)
    follow.wait_until_current()
    assert seeds_built(workspace) == seeds
    workspace.land(likes(1, first=1))
    follow.wait_until_current()
    assert parses(workspace) == 1
    assert seeds_built(workspace) == [], "the seeds are loaded already and unchanged"
    seed = REPO / "transform" / "seeds" / f"{seeds[0].rpartition('.')[2]}.csv"
    os.utime(seed)  # a change as an editor saving it makes (same text: nothing else notices)
    workspace.land(likes(1, first=2))
    follow.wait_until_current()
    assert parses(workspace) == 2
    assert seeds_built(workspace) == seeds
    assert workspace.metric("likes-per-minutes.csv") == "time,likes\n2026-03-01 12:00:00,3\n"
    follow.signal(signal.SIGTERM)
    assert follow.wait() == 0, follow.output()


def test_on_a_terminal_it_shows_one_status_line_with_the_last_refresh_its_lag_and_the_rate(
    workspace: Workspace,
) -> None:
    workspace.land(likes(4))
    terminal, child_side = pty.openpty()
    fcntl.ioctl(child_side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 250, 0, 0))  # wide enough for it all
    process = subprocess.Popen(
        [str(REPO / "periodic"), "--follow", "--data-dir", str(workspace.data_dir), "--metrics-dir",
         str(workspace.metrics_dir)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=child_side, env=child_environment(), cwd=REPO,
    )  # fmt: skip
    os.close(child_side)
    shown = bytearray()

    def read_terminal() -> None:  # drained as it comes: a full terminal buffer would stop the process
        while True:
            try:
                chunk = os.read(terminal, 65536)
            except OSError:
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    try:
        deadline_hit = True
        for _ in range(1500):
            if published_through(workspace.data_dir) == last_seq(workspace) and b"| last refresh" in shown:
                deadline_hit = False
                break
            threading.Event().wait(0.1)
        assert not deadline_hit, bytes(shown).decode(errors="replace")
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=120)
        reader.join(timeout=10)
        os.close(terminal)
    assert process.returncode == 0
    assert stdout == b""  # on a terminal the status line says it all
    redraws = bytes(shown).decode().split("\r\x1b[K")
    status = next(text for text in reversed(redraws) if "| last refresh" in text)
    assert re.fullmatch(
        r"periodic --follow \| last refresh \d\d:\d\d:\d\d: 4 new events in \d+\.\d s \| lag \d+\.\d s \| "
        r"\d{1,3}(?:,\d{3})* events/s \| 1 refresh, 0 failed \| .*",  # (1,030 events/s: thousands separated)
        status.strip(),
    ), status


def test_follow_with_another_mode_is_one_line_of_bad_usage(workspace: Workspace) -> None:
    for other in ("--status", "--full-refresh", "--freshness"):
        completed = run_executable("periodic", "--follow", other, check=False)
        assert completed.returncode == 2
        assert completed.stderr.decode() == (
            f"periodic: error: argument {other}: not allowed with argument --follow (try --help)\n"
        )
