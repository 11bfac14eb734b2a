"""A damaged or foreign bronze file: quarantined, named in one error line, and the refresh goes on.

The bad file takes a seq in the middle of a real stream (handle-stream lands the rest after it), so
the refresh must step over its hole; the metrics must equal those of the stream without it.
"""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bluesky_pipeline import bronze_layout
from tests.pipeline import Workspace
from tests.reliability.files import committed_seqs
from tests.reliability.processes import error_lines

pytestmark = pytest.mark.reliability


def real_bronze_file(tmp_path: Path) -> bytes:
    """The bytes of a bronze file handle-stream wrote for a few lines that are not in the stream."""
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    scratch = Workspace(root / "data", root / "metrics")
    scratch.land(b"".join(b'{"not": "in the stream", "n": %d}\n' % n for n in range(5000)))
    (path,) = bronze_layout.events_dir(scratch.data_dir).glob("*.parquet")
    return path.read_bytes()


def truncated(tmp_path: Path) -> bytes:
    data = real_bronze_file(tmp_path)
    return data[: len(data) // 2]  # as a disk fault or a copy cut short would leave it


def random_bytes(tmp_path: Path) -> bytes:
    return random.Random(7).randbytes(50_000)


def foreign_parquet(tmp_path: Path) -> bytes:
    path = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]}), path)
    return path.read_bytes()


def zeroed_block(tmp_path: Path) -> bytes:
    """A real bronze file whose first data page was zeroed, as a disk fault leaves it: the footer is fine."""
    data = bytearray(real_bronze_file(tmp_path))
    data[4 : 4 + 4096] = bytes(4096)  # past the leading magic bytes
    return bytes(data)


BAD_FILES = {
    "truncated": truncated,
    "random bytes": random_bytes,
    "foreign Parquet": foreign_parquet,
    "zeroed block": zeroed_block,
}


def quarantined_runs(workspace: Workspace) -> list[tuple[object, ...]]:
    return workspace.warehouse("select status, quarantined_files, lines from ops.periodic_runs order by started_at")


def test_bad_bronze_files_are_quarantined_and_the_files_after_them_are_read(
    workspace: Workspace, tmp_path: Path, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    # The stream in five parts, a bad file of each kind between two of them.
    parts = 5
    size = len(stream_lines) // parts
    workspace.land(b"".join(stream_lines[:size]))
    workspace.refresh()
    bad: dict[str, bytes] = {}
    for part, make in enumerate(BAD_FILES.values(), start=1):
        name = bronze_layout.file_name(committed_seqs(workspace.data_dir)[-1] + 1)
        bad[name] = make(tmp_path)
        (bronze_layout.events_dir(workspace.data_dir) / name).write_bytes(bad[name])
        workspace.land(b"".join(stream_lines[part * size : None if part == parts - 1 else (part + 1) * size]))
    assert committed_seqs(workspace.data_dir)[0] == 1

    refresh = workspace.refresh(check=False)
    assert refresh.returncode == 0, refresh.stderr.decode()
    quarantine = bronze_layout.quarantine_dir(workspace.data_dir)
    errors = error_lines(refresh.stderr.decode())
    assert len(errors) == len(bad), errors
    for error, name in zip(errors, bad, strict=True):
        assert error.startswith(f"periodic: error: bronze file {name} is "), error
        assert error.endswith(f"; moved to {quarantine}/ and skipped"), error
        assert (quarantine / name).read_bytes() == bad[name]
    assert not set(bad) & {path.name for path in bronze_layout.events_dir(workspace.data_dir).iterdir()}
    summary = refresh.stdout.decode()
    assert f"{len(bad)} bronze file(s) quarantined" in summary
    assert re.search(r"data tests \d+ passed, 0 failed;", summary), summary
    assert workspace.metrics() == reference_metrics
    assert quarantined_runs(workspace) == [("success", 0, size), ("success", len(bad), len(stream_lines) - size)]

    # The holes are accounted for: later refreshes neither stall nor quarantine anything again.
    workspace.land(b'{"late": "line"}\n')
    again = workspace.refresh()
    assert error_lines(again.stderr.decode()) == []
    assert quarantined_runs(workspace)[-1] == ("success", 0, 1)


def test_a_bad_newest_file_waits_for_a_good_one_and_the_writer_goes_on_after_it(
    workspace: Workspace, tmp_path: Path, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    half = len(stream_lines) // 2
    workspace.land(b"".join(stream_lines[:half]))
    bad_seq = committed_seqs(workspace.data_dir)[-1] + 1
    bad_name = bronze_layout.file_name(bad_seq)
    (bronze_layout.events_dir(workspace.data_dir) / bad_name).write_bytes(truncated(tmp_path))

    first = workspace.refresh()
    assert [line for line in error_lines(first.stderr.decode()) if bad_name in line] != []
    assert (bronze_layout.quarantine_dir(workspace.data_dir) / bad_name).exists()

    # handle-stream continues after the quarantined seq: it never reuses a seq that was handed out.
    workspace.land(b"".join(stream_lines[half:]))
    assert committed_seqs(workspace.data_dir)[-1] > bad_seq
    assert bad_seq not in committed_seqs(workspace.data_dir)
    second = workspace.refresh()
    assert error_lines(second.stderr.decode()) == []
    assert workspace.metrics() == reference_metrics
    assert quarantined_runs(workspace) == [("success", 1, half), ("success", 0, len(stream_lines) - half)]
