"""bluesky-pipeline: Bluesky events -> Parquet bronze -> dbt silver/gold -> CSV metrics."""
