"""`source-stock-ticker-api --help` prints its usage and nothing else: the console script as a
process, since what it prints on stdout is what is checked."""

from __future__ import annotations

import subprocess

import pytest

from integration_tests.connector_process import CONSOLE_SCRIPT, REPO_ROOT


@pytest.mark.parametrize("args", [["--help"], ["read", "--help"]], ids=["help", "read help"])
def test_help_prints_only_the_usage(args: list[str]) -> None:
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: source-stock-ticker-api "), done.stdout[:300]
    assert not [line for line in done.stdout.splitlines() if line.startswith("{")]
