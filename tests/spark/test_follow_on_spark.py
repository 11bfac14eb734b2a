"""./periodic --follow on Spark: the three-part stream refreshed as each part lands, with one Spark session
(one JVM) kept from refresh to refresh, and SIGTERM ending it once what landed meanwhile is refreshed.

The expected files are test_metrics_exact's, worked out by hand from the stream.
"""

from __future__ import annotations

import signal
from pathlib import Path

from tests.e2e import streams
from tests.e2e.test_metrics_exact import AFTER_PART_1, AFTER_PART_2, EXPECTED, assert_files
from tests.pipeline import Workspace
from tests.refresh.following import Follow
from tests.spark.engines import SPARK, SPARK_TESTS

pytestmark = SPARK_TESTS

WAIT_S = 900.0  # a Spark refresh takes a minute or more on a loaded 2-core machine; the first starts the JVM


def java_descendants(pid: int) -> set[int]:
    """The java processes among the descendants of `pid` (Spark's JVM, started by pyspark)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        name, _, rest = text.partition("(")[2].rpartition(")")
        child = int(stat.parent.name)
        names[child] = name
        children.setdefault(int(rest.split()[1]), []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            if names.get(child) == "java":
                found.add(child)
    return found


def test_each_part_is_refreshed_as_it_lands_by_one_spark_session(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "data", tmp_path / "metrics")
    part_1, part_2, part_3 = streams.three_parts()
    workspace.land(part_1)
    follow = Follow(workspace, env=SPARK)
    follow.wait_until(lambda: bool(java_descendants(follow.pid)), "Spark's JVM started", WAIT_S)
    follow.wait_until(lambda: files_hold(workspace, AFTER_PART_1), "the files after part 1", WAIT_S)
    jvm = java_descendants(follow.pid)
    assert len(jvm) == 1, jvm

    workspace.land(part_2)
    follow.wait_until(lambda: files_hold(workspace, AFTER_PART_2), "the files after part 2", WAIT_S)
    assert java_descendants(follow.pid) == jvm, "the same JVM, its Spark session kept"

    workspace.land(part_3)
    follow.signal(signal.SIGTERM)  # what landed is refreshed before it stops
    assert follow.wait(WAIT_S) == 0, follow.output()
    assert_files(workspace.metrics(), EXPECTED, "on Spark after --follow stopped")
    runs = workspace.snapshot("select count(*) from ops.periodic_runs where status = 'success'")
    assert runs[0][0] >= 3, runs


def files_hold(workspace: Workspace, expected: dict[str, str]) -> bool:
    """Whether every metric file holds what `expected` says (false while one is missing or older)."""
    try:
        metrics = workspace.metrics()
    except OSError:
        return False
    return all(metrics[name] == text.encode() for name, text in expected.items())
