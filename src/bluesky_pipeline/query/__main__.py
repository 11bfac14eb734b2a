"""Entry point of ./query."""

from bluesky_pipeline.cli_support import run
from bluesky_pipeline.query.cli import PROG, main

run(main, PROG)
