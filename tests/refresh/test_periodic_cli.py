"""./periodic's messages: nothing landed, a bad metrics directory, progress on a terminal, UTC run records,
and a wheel install that cannot find the dbt project: each one clear line, said before any work.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import re
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from bluesky_pipeline.refresh.metric_files import METRICS
from bluesky_pipeline.refresh.warehouse import STAGING_MODEL
from tests.pipeline import REPO, Workspace, child_environment
from tests.refresh.lines import junk, likes

MODEL_LINE = re.compile(r"^periodic: +(\d+)/(\d+) (\w+\.\w+): OK in \d+\.\d\d s")


def test_a_refresh_with_nothing_landed_says_so_and_writes_nothing(workspace: Workspace) -> None:
    completed = workspace.refresh()
    assert completed.stdout.decode() == (
        f"periodic: no bronze files in {workspace.data_dir}/bronze/events: nothing has landed there yet "
        f"(./handle-stream --data-dir {workspace.data_dir} writes them); nothing to refresh\n"
    )
    assert completed.stderr == b""
    assert not workspace.metrics_dir.exists()
    assert not (workspace.data_dir / "warehouse.duckdb").exists()


def test_a_metrics_dir_that_is_a_file_fails_before_the_build(workspace: Workspace) -> None:
    workspace.land(likes(1))
    workspace.metrics_dir.parent.mkdir(parents=True, exist_ok=True)
    workspace.metrics_dir.write_text("not a directory\n")
    completed = workspace.refresh(check=False)
    assert completed.returncode == 2  # a usage error: the option is checked as the arguments are read
    assert completed.stderr.decode() == (
        f"periodic: error: argument --metrics-dir: not a directory: '{workspace.metrics_dir}' (try --help)\n"
    )
    assert not (workspace.data_dir / "warehouse.duckdb").exists()  # checked before anything was built


def test_a_full_refresh_on_a_terminal_shows_each_model_as_it_finishes(workspace: Workspace) -> None:
    workspace.land(likes(5) + junk(1))
    workspace.refresh()
    terminal, child_side = pty.openpty()
    command = [
        str(REPO / "periodic"),
        "--data-dir",
        str(workspace.data_dir),
        "--metrics-dir",
        str(workspace.metrics_dir),
    ]
    process = subprocess.Popen(
        [*command, "--full-refresh"], stdout=subprocess.PIPE, stderr=child_side, env=child_environment(), cwd=REPO
    )
    os.close(child_side)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the child closed its side
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    stdout, _ = process.communicate(timeout=300)
    assert process.returncode == 0
    lines = shown.decode().replace("\r\n", "\n").splitlines()
    assert lines[0] == (f"periodic: dbt build of bronze files #1-#1; dbt's log: {workspace.data_dir}/dbt/logs/dbt.log")
    models = [match for line in lines if (match := MODEL_LINE.match(line))]
    positions = [int(match[1]) for match in models]
    assert positions == sorted(positions)
    assert {int(match[2]) for match in models} == {int(models[0][2])}  # one total, dbt's node count
    shown_models = {match[3] for match in models}
    assert {metric.mart for metric in METRICS} <= shown_models
    assert {"silver.stg_bronze__lines", "silver.int_events_deduplicated"} <= shown_models
    assert lines[-1].startswith("periodic: rows: "), lines[-1]
    assert "silver.stg_bronze__lines 6," in lines[-1]  # the batch of a full refresh: all 6 lines
    assert "gold.likes_per_minute 1," in lines[-1]  # one minute of likes
    assert stdout.decode().startswith("periodic: 5 new events (0 repeats), 1 rejected lines")


def test_off_a_terminal_a_short_refresh_prints_its_summary_only(workspace: Workspace) -> None:
    workspace.land(likes(2))
    completed = workspace.refresh()
    assert completed.stderr == b""
    assert len(completed.stdout.decode().splitlines()) == 1


def test_run_records_are_in_utc_whatever_the_machine_zone(workspace: Workspace) -> None:
    workspace.land(likes(1))
    before = datetime.now(UTC).replace(tzinfo=None)
    workspace.refresh(env={"TZ": "Asia/Tokyo"})  # UTC+9: local times would be 9 hours off
    after = datetime.now(UTC).replace(tzinfo=None)
    ((started_at, finished_at),) = workspace.warehouse("select started_at, finished_at from ops.periodic_runs")
    assert isinstance(started_at, datetime)
    assert isinstance(finished_at, datetime)
    assert before <= started_at <= finished_at <= after
    comments = workspace.warehouse(
        "select column_name, comment from duckdb_columns() where table_name = 'periodic_runs' "
        "and column_name in ('started_at', 'finished_at') order by column_name"
    )
    assert comments == [
        ("finished_at", "UTC time the refresh finished"),
        ("started_at", "UTC time the refresh started"),
    ]


def test_help_gives_runnable_examples_of_every_mode() -> None:
    completed = subprocess.run(
        [str(REPO / "periodic"), "--help"], capture_output=True, text=True, env=child_environment(), check=True
    )
    for example in ("./periodic --full-refresh", "./periodic --status", "./periodic --freshness", "./query"):
        assert example in completed.stdout


def test_a_wheel_install_fails_with_one_line_saying_it_runs_from_a_checkout(tmp_path: Path) -> None:
    built = subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
    # The wheel's package first on the path, as a site-packages install has it (no transform/ beside it).
    completed = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "bluesky_pipeline.refresh", "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        env=child_environment() | {"PYTHONPATH": str(tmp_path / "site")},
        cwd=tmp_path,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr == (
        f"periodic: error: the dbt project is not at {tmp_path / 'transform'}: bluesky-pipeline runs from a "
        "checkout of its repository (git clone, uv sync --frozen, ./periodic), not from an installed wheel\n"
    )
    assert not (tmp_path / "d").exists()


def test_a_failed_node_is_one_error_line_not_one_per_skipped_node(workspace: Workspace) -> None:
    # An incremental model's table of another shape: its next run fails, and dbt skips everything
    # after it. (A foreign bronze file no longer does: the refresh quarantines it before dbt runs.)
    workspace.land(likes(1))
    workspace.refresh()
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb")) as connection:
        ((schema, table),) = connection.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_name in (select model_name from silver.watermarks where model_name != ?)"
            " order by table_name limit 1",
            [STAGING_MODEL],
        ).fetchall()
        connection.execute(f"drop table {schema}.{table}")
        connection.execute(f"create table {schema}.{table} (unexpected integer)")
    workspace.land(likes(1, first=1))
    completed = workspace.refresh(check=False)
    assert completed.returncode == 1
    results = json.loads((workspace.data_dir / "dbt" / "target" / "run_results.json").read_text())["results"]
    failed = [result["unique_id"] for result in results if result["status"] in ("error", "fail")]
    skipped = [result["unique_id"] for result in results if result["status"] == "skipped"]
    assert failed
    assert skipped
    lines = completed.stderr.decode().splitlines()
    assert len(lines) == len(failed) + 1, completed.stderr
    assert all(line.startswith(f"periodic: error: model {table}: error") for line in lines[:-1]), lines
    assert lines[-1] == (
        f"periodic: refresh failed ({len(skipped)} dbt nodes after it skipped); "
        "the previous metric files are left in place"
    )


def test_an_unknown_engine_in_the_environment_is_one_line_of_bad_usage(workspace: Workspace) -> None:
    completed = workspace.refresh(env={"BLUESKY_ENGINE": "sprak"}, check=False)
    assert completed.returncode == 2
    assert completed.stderr.decode() == (
        "periodic: error: BLUESKY_ENGINE='sprak' is not an engine: use one of duckdb, spark (try --help)\n"
    )
    assert not workspace.data_dir.exists()


def test_spark_on_a_java_older_than_17_says_what_to_install(workspace: Workspace, tmp_path: Path) -> None:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("the spark extra is not installed: the missing extra is said first")
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.21\" 2023-10-17' >&2\n")
    fake.chmod(0o755)
    path = f"{fake.parent}{os.pathsep}{child_environment()['PATH']}"
    completed = workspace.refresh("--engine", "spark", env={"PATH": path}, check=False)
    assert completed.returncode == 1
    assert completed.stderr.decode() == (
        f"periodic: error: the Spark engine needs Java 17 or later, and {fake} is Java 11: install a JDK 17 "
        "(Debian: apt-get install openjdk-17-jre-headless) or set PATH to one\n"
    )
