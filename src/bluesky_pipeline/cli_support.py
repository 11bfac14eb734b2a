"""Command-line plumbing shared by the three executables.

Bad usage and expected failures end in one clear line on stderr and a non-zero exit, never a traceback;
a closed stdout (`| head`) ends any of them quietly with exit 0: the reader has what it wanted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

DATA_DIR_ENV = "BLUESKY_DATA_DIR"
METRICS_DIR_ENV = "BLUESKY_METRICS_DIR"
# The checkout holding the root executables (the package is installed from it in editable mode, and
# dbt_build finds transform/ the same way): default paths hang from it, not from the caller's directory.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

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

    def __init__(
        self, *, prog: str, description: str, epilog: str, usage: str | None = None, allow_abbrev: bool = True
    ) -> None:
        super().__init__(
            prog=prog,
            usage=usage,
            description=description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=allow_abbrev,
        )

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (try --help)\n")
        raise SystemExit(EXIT_USAGE)


def env_default(name: str, default: str) -> str:
    """The value of environment variable `name`, or `default` when unset or empty."""
    return os.environ.get(name) or default


def data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """Add the shared `--data-dir` option (bronze files and the warehouse live under it)."""
    _directory_argument(parser, "--data-dir", DATA_DIR_ENV, "data", "bronze files, the warehouse and the logs of ./run")


def metrics_dir_argument(parser: argparse.ArgumentParser) -> None:
    """Add the shared `--metrics-dir` option (the metric CSV files are written there)."""
    _directory_argument(parser, "--metrics-dir", METRICS_DIR_ENV, "metrics", "the metric CSV files")


def _directory_argument(parser: argparse.ArgumentParser, option: str, env: str, default: str, holding: str) -> None:
    # A string default goes through `type` too, so a bad BLUESKY_*_DIR is caught like a bad option.
    parser.add_argument(
        option,
        type=directory_path,
        default=env_default(env, str(PROJECT_ROOT / default)),
        metavar="DIR",
        help=f"directory of {holding}, created on first use (env {env}; default: {PROJECT_ROOT / default},"
        " beside the executables, from whatever directory they run; a relative DIR is from the current directory)",
    )


def directory_path(text: str) -> Path:
    """argparse type: a directory that exists or can be created (no file in the way)."""
    path = Path(text)
    existing = next((candidate for candidate in (path, *path.parents) if candidate.exists()), None)
    if existing is not None and not existing.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {str(existing)!r}")
    return path


def positive_float(text: str) -> float:
    """argparse type: a number greater than zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP (a closed terminal) set `signal_name` and wake a `select` on `fd`.

    The handlers only record the signal: the loop that selects on `fd` decides how to stop cleanly.
    `on_signal`, if given, is called from the handler after that (it may raise KeyboardInterrupt).
    """

    def __init__(self, on_signal: Callable[[], None] | None = None) -> None:
        self.signal_name: str | None = None
        self.count = 0  # signals received: a second one may mean "stop now"
        self._on_signal = on_signal
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._write_fd, False)

    def __enter__(self) -> StopSignals:
        self._previous_wakeup = signal.set_wakeup_fd(self._write_fd)
        self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_wakeup)
        os.close(self.fd)
        os.close(self._write_fd)

    def drain(self) -> None:
        """Empty the wakeup pipe, so that the next `select` waits for a new signal."""
        with contextlib.suppress(BlockingIOError):
            while os.read(self.fd, 512):
                pass

    def _handle(self, signum: int, frame: object) -> None:
        self.signal_name = signal.Signals(signum).name
        self.count += 1
        if self._on_signal is not None:
            self._on_signal()


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
