"""Entry point of ./periodic."""

from bluesky_pipeline.cli_support import run
from bluesky_pipeline.refresh.cli import PROG, main

run(main, PROG)
