"""Command-line plumbing shared by the three executables.

Bad usage and expected failures end in one clear line on stderr and a non-zero exit, never a traceback;
a closed stdout (`| head`) ends any of them quietly with exit 0: the reader has what it wanted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

DATA_DIR_ENV = "BLUESKY_DATA_DIR"
METRICS_DIR_ENV = "BLUESKY_METRICS_DIR"

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An expected failure: its message is shown as one line, and the process exits with `exit_code`."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line usage error (argparse prints the whole usage block by default), and
    the epilog shown as written (it holds runnable examples)."""

    def __init__(self, *, prog: str, description: str, epilog: str) -> None:
        super().__init__(
            prog=prog, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
        )

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (try --help)\n")
        raise SystemExit(EXIT_USAGE)


def env_default(name: str, default: str) -> str:
    """The value of environment variable `name`, or `default` when unset or empty."""
    return os.environ.get(name) or default


def data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """Add the shared `--data-dir` option (bronze files and the warehouse live under it)."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(env_default(DATA_DIR_ENV, "data")),
        help=f"directory holding bronze files and the warehouse (env {DATA_DIR_ENV}; default: data)",
    )


def positive_float(text: str) -> float:
    """argparse type: a number greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def run(main: Callable[[Sequence[str]], int], prog: str, argv: Sequence[str] | None = None) -> NoReturn:
    """Run `main(argv)` and exit with its code, turning expected failures into one line on stderr."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = main(args)
    except CliError as error:
        sys.stderr.write(f"{prog}: error: {error}\n")
        code = error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away: that ends the output, it is not a failure. The producer's stream is
        # its work, and periodic prints its summary once the metric files are in place.
        silence_stdout()
        code = 0
    raise SystemExit(code)


def silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone, so that Python's flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
