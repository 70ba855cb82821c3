"""Runs the connector's console entry point in this process, as a fresh process would run it.

A connector subprocess costs about two seconds of start-up (the CDK's imports); most tests check
records, states and messages, not the process, so they run `run(args)` here instead. What a
process gives the run is given here too: its own file descriptors 1 and 2 (the CDK's log handler
and the record writer write to the real stdout, not to `sys.stdout`), its environment and working
directory, an uncaught error handled by `sys.excepthook` and exit code 1, and two pieces of the
CDK's process-wide state as a fresh process has them; all restored after. Tests of what only a
process shows (buffering, signals, a reader that goes away, the console script) stay subprocesses.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from airbyte_cdk.logger import PRINT_BUFFER

from source_stock_ticker_api import run as console

STDOUT_FILENO = 1
STDERR_FILENO = 2


@dataclass(frozen=True)
class ProcessOutput:
    """What a run printed on each descriptor, and the exit code a process would have had."""

    exit_code: int
    stdout: str
    stderr: str


@contextmanager
def fresh_process_state(env: Mapping[str, str], cwd: Path) -> Iterator[None]:
    """`env` set on top of this process's environment, `cwd` as working directory, and the
    CDK's process-wide state as a new process has it; everything restored after.

    - The "airbyte" logger: INFO when the CDK is imported, DEBUG after a `--debug` run, and
      never set back. After an earlier in-process run with debug on, every stream would log
      its debug lines too.
    - `PRINT_BUFFER.last_flush_time`: a `time.monotonic()` reading. After a test that froze
      the clock (freezegun patches monotonic too) it lies in the future, the buffer stops
      flushing on each write, and its lines (states, traces) fall behind the records.
    """
    saved_env = {name: os.environ.get(name) for name in env}
    saved_cwd = os.getcwd()
    cdk_logger = logging.getLogger("airbyte")
    saved_level = cdk_logger.level
    os.environ.update(env)
    os.chdir(cwd)
    cdk_logger.setLevel(logging.INFO)
    PRINT_BUFFER.last_flush_time = time.monotonic()
    try:
        yield
    finally:
        cdk_logger.setLevel(saved_level)
        os.chdir(saved_cwd)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_in_process(args: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> ProcessOutput:
    """`source-stock-ticker-api <args>` here, with descriptors 1 and 2 captured.

    An exception escaping `run` goes to `sys.excepthook` (the CDK's, installed by its
    entrypoint), as it would at the top of a process, which then exits 1.
    """
    saved = sys.stdout, sys.stderr
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        fresh_process_state(env, cwd),
    ):
        _flush()
        saved_fds = os.dup(STDOUT_FILENO), os.dup(STDERR_FILENO)
        os.dup2(out.fileno(), STDOUT_FILENO)
        os.dup2(err.fileno(), STDERR_FILENO)
        # Whatever the caller made of sys.stdout (pytest's capture, say), the run's own prints
        # go where a process's would: its file descriptors.
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        exit_code = 0
        try:
            console.run(list(args))
        except SystemExit as exit_:
            exit_code = _exit_code(exit_.code)
        except Exception as error:  # noqa: BLE001 - what Python does with an uncaught error
            sys.excepthook(type(error), error, error.__traceback__)
            exit_code = 1
        finally:
            _flush()
            sys.stdout, sys.stderr = saved
            for fileno, saved_fd in zip((STDOUT_FILENO, STDERR_FILENO), saved_fds, strict=False):
                os.dup2(saved_fd, fileno)
                os.close(saved_fd)
        return ProcessOutput(exit_code, _text(out), _text(err))


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()


def _text(captured: IO[bytes]) -> str:
    captured.seek(0)
    return captured.read().decode("utf-8")
