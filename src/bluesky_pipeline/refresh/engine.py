"""Which engine runs the dbt project: DuckDB (embedded, the default) or Apache Spark (the spark extra).

The one place that knows what each engine needs installed; ./periodic --engine or BLUESKY_ENGINE chooses.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess

ENGINE_ENV = "BLUESKY_ENGINE"
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
MIN_JAVA = 17  # pyspark 4
# The dbt profile's output for each engine (transform/profiles.yml).
DBT_TARGETS = {"duckdb": "warehouse", "spark": "spark"}


class EngineUnavailableError(Exception):
    """The chosen engine cannot run here: what to install, in one line."""


def check_engine(engine: str) -> None:
    """Fail with one line naming what to install when `engine` cannot run on this machine."""
    if engine != "spark":
        return
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        raise EngineUnavailableError(
            "the Spark engine is not installed: run uv sync --frozen --extra spark "
            "(pyspark and dbt-spark, about 460 MB)"
        )
    java = shutil.which("java")
    install = "install a JDK 17 (Debian: apt-get install openjdk-17-jre-headless) or set PATH to one"
    if java is None:
        raise EngineUnavailableError(f"the Spark engine needs Java 17 and no java is on PATH: {install}")
    version = _java_major_version(java)
    if version is not None and version < MIN_JAVA:
        raise EngineUnavailableError(
            f"the Spark engine needs Java {MIN_JAVA} or later, and {java} is Java {version}: {install}"
        )


def _java_major_version(java: str) -> int | None:
    """The major version `java -version` reports (8 for "1.8.0_292", 17 for "17.0.9"); None if unreadable."""
    try:
        said = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', said)
    if found is None:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major
