"""./query: SQL over the published snapshot, as a table or CSV; read-only; one clear line on errors."""

from __future__ import annotations

import pytest

from bluesky_pipeline.refresh.metric_files import METRICS, MetricFile
from tests.pipeline import Workspace, run_executable
from tests.refresh.lines import junk, likes


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Five likes of one post (12:00:00-12:00:04) by two users, and two junk lines, refreshed once."""
    root = tmp_path_factory.mktemp("query")
    workspace = Workspace(root / "data", root / "metrics")
    workspace.land(likes(3) + likes(2, first=3, liker="did:plc:other") + junk(2))
    workspace.refresh()
    return workspace


def test_a_query_prints_an_aligned_table(refreshed: Workspace) -> None:
    shown = refreshed.query("select minute_at, likes from gold.likes_per_minute")
    assert shown.stdout.decode() == (
        "minute_at            likes\n-------------------  -----\n2026-03-01 12:00:00      5\n(1 row)\n"
    )


@pytest.mark.parametrize("metric", METRICS, ids=[metric.name for metric in METRICS])
def test_csv_of_the_registry_query_gives_the_metric_files_rows(refreshed: Workspace, metric: MetricFile) -> None:
    rows = refreshed.query("--csv", metric.query).stdout.decode().splitlines()[1:]
    assert rows == refreshed.metric(metric.name).splitlines()[1:]


def test_rejected_lines_are_there_with_their_reason(refreshed: Workspace) -> None:
    shown = refreshed.query(
        "--csv", "select reject_reason, decode(rejected_line) as line from silver.int_lines_rejected"
    )
    assert shown.stdout.decode() == 'reject_reason,line\ninvalid JSON,"not json x 0\n"\ninvalid JSON,"not json x 1\n"\n'


def test_without_sql_it_lists_the_tables_with_every_mart(refreshed: Workspace) -> None:
    listed = refreshed.query().stdout.decode()
    tables = {line.split()[0] for line in listed.splitlines()[2:-1]}
    assert {metric.mart for metric in METRICS} <= tables
    assert {"ops.periodic_runs", "silver.int_lines_rejected", "silver.rejected_lines_by_reason"} <= tables


def test_sql_can_come_from_stdin(refreshed: Workspace) -> None:
    shown = refreshed.query("--csv", "-", stdin=b"select count(*) as likers from gold.fast_likers")
    assert shown.stdout.decode() == "likers\n0\n"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("create table t (a int)", "read-only mode"),
        ("delete from gold.top_words", "read-only mode"),
        ("select * from no_such_table", "no_such_table"),
        ("selec 1", "syntax error"),
    ],
)
def test_a_bad_or_writing_query_is_one_line(refreshed: Workspace, sql: str, message: str) -> None:
    completed = refreshed.query(sql, check=False)
    assert completed.returncode == 1
    lines = completed.stderr.decode().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("query: error: ")
    assert message in lines[0]


def test_before_any_refresh_it_says_to_run_periodic(workspace: Workspace) -> None:
    completed = workspace.query("select 1", check=False)
    assert completed.returncode == 1
    assert completed.stderr.decode() == (
        f"query: error: no snapshot in {workspace.data_dir} yet: it is published by each ./periodic; "
        "run ./periodic once\n"
    )


def test_help_gives_runnable_examples() -> None:
    shown = run_executable("query", "--help").stdout.decode()
    assert './query "select * from gold.trending_posts"' in shown
    assert "./query --csv" in shown
