"""Runs the dbt project inside this process, loaded once: the build step of `./periodic --follow`.

dbt is imported and the project parsed once; every build reuses the parsed manifest, parsed again only
when a file of the project changes. Between builds dbt holds nothing open, so the warehouse can be read.

Two things a one-shot build does are left out once they would only repeat themselves, each about a
tenth of a small build (bench/README.md): loading the seeds again while the project is unchanged since
a build loaded them, and writing manifest.json, the manifest dbt was handed (run_results.json, which
./periodic reads, is written here instead).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bluesky_pipeline.refresh.dbt_build import (
    PROJECT_DIR,
    BuildResult,
    build_arguments,
    build_environment,
    dbt_arguments,
    describe_crash,
    read_results,
    results_path,
)
from bluesky_pipeline.refresh.engine import DEFAULT_ENGINE
from bluesky_pipeline.refresh.progress import FOLLOWED_EVENTS, BuildProgress

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunner
    from dbt_common.events.base_types import EventMsg

# dbt's output on stdout is silenced (its events reach BuildProgress directly); its log file is kept
# as a one-shot run writes it (the file's level follows stdout's unless given).
QUIET = ("--log-level", "none", "--log-level-file", "debug")
NO_ARTIFACTS = "--no-write-json"  # manifest.json and run_results.json: the latter is written by build()
# What dbt itself writes under the project, which is no change of the project.
NOT_PROJECT_DIRS = {"target", "logs", "dbt_packages", "dbt_internal_packages"}


class DbtParseError(Exception):
    """The dbt project cannot be parsed (a broken model, macro or YAML file)."""


class WarmDbt:
    """dbt kept loaded for many builds of one data directory; `build` is a BuildStep."""

    def __init__(self, data_dir: Path, engine: str = DEFAULT_ENGINE) -> None:
        self._data_dir = data_dir
        self._engine = engine
        self._runner: dbtRunner | None = None
        self._project_state: tuple[tuple[str, int, int], ...] = ()
        self._progress: BuildProgress | None = None
        self._seeds_loaded = False  # by a successful build since the project was last parsed

    def load(self) -> None:
        """Import dbt and parse the project (seconds); raises DbtParseError when it cannot be parsed."""
        self._runner_for_project()

    def build(
        self,
        data_dir: Path,
        after_seq: int,
        through_seq: int,
        *,
        full_refresh: bool,
        progress: BuildProgress,
        inherit_fds: tuple[int, ...] = (),  # nothing to pass on: this process itself holds the lock
    ) -> BuildResult:
        """`dbt build`, as dbt_build.build runs it in a child process; KeyboardInterrupt abandons it."""
        assert data_dir == self._data_dir, "one WarmDbt per data directory: its manifest is parsed for it"
        results_file = results_path(data_dir)
        results_file.unlink(missing_ok=True)
        try:
            runner = self._runner_for_project()
        except DbtParseError as error:
            return BuildResult(failures=[str(error)])
        # dbt reads the environment at the start of each invocation (its env_var()).
        os.environ.update(build_environment(data_dir, after_seq, through_seq))
        self._progress = progress
        seeds = full_refresh or not self._seeds_loaded
        arguments = build_arguments(data_dir, full_refresh=full_refresh, seeds=seeds, engine=self._engine)
        try:
            outcome = runner.invoke([*arguments, *QUIET, NO_ARTIFACTS])
        finally:
            self._progress = None
            self._close_warehouse()
        if isinstance(outcome.exception, KeyboardInterrupt):
            raise KeyboardInterrupt  # dbt has cancelled its queries; the next refresh redoes this one
        from dbt.artifacts.schemas.run import RunExecutionResult  # noqa: PLC0415 (loaded with dbt by now)

        if isinstance(outcome.result, RunExecutionResult):  # none when dbt stopped before running anything
            outcome.result.write(str(results_file))
        result = read_results(results_file)
        result.succeeded = outcome.success and not result.failures
        self._seeds_loaded = self._seeds_loaded or result.succeeded
        if not result.succeeded and not result.failures:
            stopped = f"{type(outcome.exception).__name__}" if outcome.exception else "failed"
            said = [*progress.errors, str(outcome.exception or "")]
            result.failures.append(describe_crash(stopped, said, data_dir))
        return result

    def _runner_for_project(self) -> dbtRunner:
        """The runner holding the parsed manifest, parsed anew if a file of the project has changed."""
        state = _project_state()
        if self._runner is None or state != self._project_state:
            self._runner = None
            self._seeds_loaded = False  # a seed's file may be what changed
            self._runner = self._parse()
            self._project_state = state
        return self._runner

    def _parse(self) -> dbtRunner:
        # Imported here, not at the top: importing dbt takes seconds that one-shot runs never need.
        from dbt.cli.main import dbtRunner  # noqa: PLC0415
        from dbt.contracts.graph.manifest import Manifest  # noqa: PLC0415

        os.environ.update(build_environment(self._data_dir, 0, 0))
        try:
            parsed = dbtRunner().invoke([*dbt_arguments("parse", self._data_dir, self._engine), *QUIET])
        finally:
            self._close_warehouse()
        if not parsed.success or not isinstance(parsed.result, Manifest):
            detail = " ".join(str(parsed.exception or "no manifest").split())[:300]
            raise DbtParseError(f"cannot parse the dbt project in {PROJECT_DIR}: {detail}")
        return dbtRunner(manifest=parsed.result, callbacks=[self._on_event])

    def _close_warehouse(self) -> None:
        """After each dbt invocation on DuckDB; on Spark the session stays (a JVM start saved per build),
        its tables read between builds from their Parquet files (spark_warehouse.py)."""
        if self._engine == "duckdb":
            _close_dbt_duckdb()

    def _on_event(self, message: EventMsg) -> None:
        """Every event dbt fires (thousands a build, most of them debug): only a few are read."""
        progress = self._progress
        if progress is None:
            return
        if message.info.name in FOLLOWED_EVENTS or message.info.level == "error":
            from dbt_common.events.functions import msg_to_dict  # noqa: PLC0415 (loaded with dbt by now)

            progress.feed_event(msg_to_dict(message))
        progress.tick()


def _project_state() -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of every file of the dbt project: a change means parse again."""
    return tuple(sorted((str(path), stat.st_mtime_ns, stat.st_size) for path, stat in _project_files(PROJECT_DIR)))


def _project_files(directory: Path) -> Iterator[tuple[Path, os.stat_result]]:
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in NOT_PROJECT_DIRS and not entry.name.startswith("."):
                    yield from _project_files(Path(entry.path))
            elif entry.is_file():
                yield Path(entry.path), entry.stat()


def _close_dbt_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open from one invocation to the next.

    Left open, it would keep the warehouse locked against any other process, and the transit database
    attached while ./periodic deletes it. dbt-duckdb's own close_all_connections only drops its
    reference to the environment (1.11), so the environment is closed here, by its private name.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager  # noqa: PLC0415

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()
