"""Power loss during compaction: no cut, at any system call, can lose a line or make one readable twice.

A VM cannot be powered off from inside a test, so the test records the real system calls of
./periodic compacting (strace) and checks them against the power-loss model of power_loss.py:
nothing is deleted before what replaces it is durable, and a restart finds and finishes or undoes
the step. The model is shown to catch a wrong order too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.refresh.compaction import MAX_FILES_ENV
from tests.pipeline import REPO, Workspace, child_environment
from tests.reliability.compaction_support import compacted_ranges, layout_problems
from tests.reliability.files import committed_seqs
from tests.reliability.power_loss import STRACE_CALLS, Call, check_power_loss, parse_trace

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (.ci/run installs it)"),
]

GROUP_FILES = 5


def traced_compaction(workspace: Workspace, trace: Path) -> tuple[list[Call], dict[str, str]]:
    """The bronze system calls of one ./periodic with compaction, and the bronze files before it."""
    bronze = workspace.data_dir / "bronze"
    initial = {
        str(path): path.read_text() if path.name == bronze_layout.COMPACTION_STATE_FILE.name else ""
        for path in bronze.rglob("*")
        if path.is_file()
    }
    command = ["strace", "-qq", "-y", "-s", "4096", "-e", f"trace={STRACE_CALLS}", "-o", str(trace)]
    command += [
        str(REPO / "periodic"),
        "--data-dir",
        str(workspace.data_dir),
        "--metrics-dir",
        str(workspace.metrics_dir),
    ]
    completed = subprocess.run(
        command, env=child_environment() | {MAX_FILES_ENV: str(GROUP_FILES)}, capture_output=True, check=False
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert b"compacted bronze files" in completed.stdout
    return parse_trace(trace.read_text(), bronze.resolve()), initial


def test_no_power_cut_during_compaction_loses_or_doubles_a_line(
    workspace: Workspace, stream_lines: list[bytes], tmp_path: Path
) -> None:
    workspace.land(b"".join(stream_lines[:20_000]), "--batch-mb", "0.1")
    last = committed_seqs(workspace.data_dir)[-1]
    assert last > 2 * GROUP_FILES
    workspace.refresh("--no-compact")
    data_dir = workspace.data_dir.resolve()

    for step in range(2):  # the first merge creates compacted/ and compaction.json; the second replaces it
        calls, initial = traced_compaction(workspace, tmp_path / f"trace-{step}.txt")
        kinds = {(call.name, Path(call.path).parent.name) for call in calls}
        assert {("rename", "compacted"), ("unlink", "events"), ("rename", "bronze")} <= kinds, kinds
        assert check_power_loss(calls, data_dir, last, initial) == []

        # The model has teeth: the same calls with a small file removed before the merged file is in
        # place, or without the fsync that makes the merged file's name durable, lose lines.
        merged = next(i for i, call in enumerate(calls) if call.name == "rename" and "compacted" in call.target)
        first_unlink = next(i for i, call in enumerate(calls) if call.name == "unlink")
        early_unlink = [*calls[:merged], calls[first_unlink], *calls[merged:first_unlink], *calls[first_unlink + 1 :]]
        assert check_power_loss(early_unlink, data_dir, last, initial) != []
        compacted_dir = str(bronze_layout.compacted_dir(data_dir))
        no_dir_fsync = [call for call in calls if not (call.name == "fsync" and call.path == compacted_dir)]
        assert check_power_loss(no_dir_fsync, data_dir, last, initial) != []

    assert compacted_ranges(workspace.data_dir) == [(1, GROUP_FILES), (GROUP_FILES + 1, 2 * GROUP_FILES)]
    assert layout_problems(workspace.data_dir) == []
