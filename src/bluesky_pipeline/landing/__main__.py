"""Entry point of ./handle-stream."""

from bluesky_pipeline.cli_support import run
from bluesky_pipeline.landing.cli import PROG, main

run(main, PROG)
