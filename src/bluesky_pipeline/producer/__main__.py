"""Entry point of `./bluesky` (`python -m bluesky_pipeline.producer`).

All the work is in cli.py; this only runs it with the shared one-line error handling.
"""

from bluesky_pipeline.cli_support import run
from bluesky_pipeline.producer.cli import main

run(main, "bluesky")
