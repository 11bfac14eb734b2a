"""bluesky-pipeline: Bluesky events -> Parquet bronze -> dbt silver/gold -> CSV metrics."""

import os

# numpy is used for vector operations, never for linear algebra: one OpenBLAS thread, not one per core
# spinning beside ours (set before any module imports numpy; measured 0.1 s of start-up saved).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
