"""The dbt project itself: its unit tests, source freshness, and the stopwords seed being current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.refresh.dbt_build import PROJECT_DIR
from tests.pipeline import REPO, Workspace, child_environment

LIKE = (
    '{"timestamp": "2026-02-14T09:00:13.684021", "action": "create", "path": "app.bsky.feed.like/3l1", '
    '"cid": "bafyrei1", "prev": null, "py_type": "com.atproto.sync.subscribeRepos#repoOp", '
    '"record": {"$type": "app.bsky.feed.like", "subject": {"uri": "at://did:plc:b/app.bsky.feed.post/3p"}}, '
    '"repo": "did:plc:a"}\n'
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A warehouse built by ./periodic from a one-like stream."""
    root = tmp_path_factory.mktemp("dbt")
    workspace = Workspace(root / "data", root / "metrics")
    workspace.land(LIKE.encode())
    workspace.refresh()
    return workspace


def dbt(workspace: Workspace, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    target = workspace.data_dir / "dbt" / "target-tests"
    env = (
        child_environment()
        | {
            "BLUESKY_DATA_DIR": str(workspace.data_dir.resolve()),
            "BLUESKY_BRONZE_THROUGH_SEQ": "1",
            "DO_NOT_TRACK": "1",
        }
        | bronze_layout.sql_environment(workspace.data_dir)
    )
    command = [str(Path(sys.executable).with_name("dbt")), *args]
    command += ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--target-path", str(target)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=600)
    return completed, target


def test_dbt_unit_tests_pass(built: Workspace) -> None:
    """The unit tests of the identifier checks, the timestamp shape, the dedup window, the tokenizer, the
    sliding windows and the incremental counts, each in the full and the incremental path where it has both."""
    completed, target = dbt(built, "test", "--select", "test_type:unit")
    assert completed.returncode == 0, completed.stdout[-3000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses = {
        result["unique_id"].rsplit(".", 1)[-1]: result["status"]
        for result in results
        if result["unique_id"].startswith("unit_test.")
    }
    assert statuses == {
        "staging_checks_identifiers_by_their_atproto_syntax": "pass",
        "staging_casts_only_timestamps_shaped_as_a_date_time_and_zone": "pass",
        "staging_numbers_every_line_in_the_whole_input": "pass",
        "stream_blocks_floor_at_the_newest_event_of_earlier_blocks": "pass",
        "stream_blocks_carry_the_clock_across_refreshes": "pass",
        "dedup_counts_a_copy_once_within_the_window_full_build": "pass",
        "dedup_probes_the_window_history_incremental": "pass",
        "deduplicated_events_are_the_copies_that_count": "pass",
        "likes_keep_only_valid_post_subjects_and_flag_late_likes": "pass",
        "tokenizer_removes_facets_and_links_as_bluesky_marks_them": "pass",
        "tokenizer_counts_meaningful_words_once_per_post": "pass",
        "tokenizer_reads_only_the_new_posts": "pass",
        "word_counts_add_the_batch_to_the_old_counts": "pass",
        "trending_window_slides_with_the_stream": "pass",
        "fast_likers_window_is_under_the_window_length": "pass",
        "fast_likers_finds_a_burst_split_across_batches": "pass",
    }


def test_source_freshness_of_bronze_passes_right_after_landing(built: Workspace) -> None:
    completed, target = dbt(built, "source", "freshness")
    assert completed.returncode == 0, completed.stdout[-3000:]
    sources = json.loads((target / "sources.json").read_text())["results"]
    assert [(source["unique_id"], source["status"]) for source in sources] == [("source.bluesky.bronze.events", "pass")]


def test_every_refresh_is_recorded_in_the_warehouse(built: Workspace) -> None:
    rows = built.warehouse(
        "select status, lines, events, new_events, rejected_lines, tests_failed from ops.periodic_runs"
    )
    assert rows == [("success", 1, 1, 1, 0, 0)]


def test_the_committed_seeds_are_current() -> None:
    """The stopwords and top-level domain seeds equal what the maintained packages give today."""
    completed = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build-seeds"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
