"""Entry point of ./run."""

from bluesky_pipeline.cli_support import run
from bluesky_pipeline.run.cli import PROG, main

run(main, PROG)
