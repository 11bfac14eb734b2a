"""Which engine runs the dbt project: DuckDB (embedded, the default) or Apache Spark (the spark extra).

The one place that knows what each engine needs installed; ./periodic --engine or BLUESKY_ENGINE chooses.
"""

from __future__ import annotations

import importlib.util
import shutil

ENGINE_ENV = "BLUESKY_ENGINE"
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
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
    if shutil.which("java") is None:
        raise EngineUnavailableError(
            "the Spark engine needs Java 17 and no java is on PATH: install a JDK 17 "
            "(Debian: apt-get install openjdk-17-jre-headless) or set PATH to one"
        )
