"""The options every executable shares: where data and metrics go by default, and a file in the way.

Defaults are checked on a copy of the project in a temporary directory (the executables and the
package, on this checkout's environment), run from another directory, so nothing lands in the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.pipeline import REPO, child_environment, query_bronze

EXECUTABLES = ("bluesky", "handle-stream", "periodic", "run")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the root executables and the package; its environment and dbt project are this checkout's."""
    root = tmp_path / "project"
    root.mkdir()
    for name in EXECUTABLES:
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "scripts", root / "scripts")
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "transform").symlink_to(REPO / "transform")
    (root / ".venv").symlink_to(REPO / ".venv")
    return root


def run_in(
    cwd: Path, executable: Path, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run `executable` from `cwd`, the copy's package first on the path (the checkout's is installed)."""
    environment = child_environment() | {"PYTHONPATH": str(executable.parent / "src")} | (env or {})
    completed = subprocess.run(
        [str(executable), *args], input=stdin, cwd=cwd, env=environment, capture_output=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    return completed


def test_default_directories_are_the_projects_whatever_the_current_directory(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    line = (
        b'{"timestamp": "2026-02-14T09:00:13", "action": "create", "path": "app.bsky.feed.like/3l", '
        b'"repo": "did:plc:a"}'
    )
    run_in(elsewhere, project / "handle-stream", stdin=line)
    run_in(elsewhere, project / "periodic")

    assert [row[0] for row in query_bronze(project / "data", "select line")] == [line]
    assert (project / "data" / "warehouse.duckdb").exists()
    assert (project / "metrics" / "likes-per-minutes.csv").read_text() == "time,likes\n2026-02-14 09:00:00,1\n"
    assert list(elsewhere.iterdir()) == []


def test_help_names_the_default_directories(project: Path, tmp_path: Path) -> None:
    # Wide enough that argparse does not wrap the paths (it breaks lines at their hyphens).
    help_text = " ".join(
        run_in(tmp_path, project / "periodic", "--help", env={"COLUMNS": "500"}).stdout.decode().split()
    )
    assert f"default: {project / 'data'}, beside the executables" in help_text
    assert f"default: {project / 'metrics'}, beside the executables" in help_text


def test_a_relative_directory_in_the_environment_is_from_the_current_directory(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run_in(elsewhere, project / "handle-stream", stdin=b"x\n", env={"BLUESKY_DATA_DIR": "here"})
    assert [row[0] for row in query_bronze(elsewhere / "here", "select line")] == [b"x\n"]
    assert not (project / "data").exists()


@pytest.mark.parametrize(
    ("executable", "option"),
    [
        ("handle-stream", "--data-dir"),
        ("periodic", "--data-dir"),
        ("periodic", "--metrics-dir"),
        ("run", "--data-dir"),
        ("run", "--metrics-dir"),
    ],
)
@pytest.mark.parametrize("below", ["", "sub"], ids=["the-file", "under-the-file"])
def test_a_file_given_as_a_directory_is_one_line_not_a_directory(
    tmp_path: Path, executable: str, option: str, below: str
) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a directory\n")
    completed = subprocess.run(
        [str(REPO / executable), option, str(in_the_way / below) if below else str(in_the_way)],
        input=b"",
        cwd=tmp_path,
        env=child_environment(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.decode().splitlines() == [
        f"{executable}: error: argument {option}: not a directory: '{in_the_way}' (try --help)"
    ]
    assert sorted(os.listdir(tmp_path)) == ["a-file"]
