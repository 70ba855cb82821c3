"""`read ... | head`: a reader that closes the pipe early ends the connector quietly.

The connector runs as the console script against the sandbox on loopback, its stdout a pipe this
test reads from until five records have come, and then closes, as `head` does.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from integration_tests.connector_process import (
    CONSOLE_SCRIPT,
    REPO_ROOT,
    catalog,
    clock_env,
    command_line,
)
from integration_tests.helpers import SATURDAY, sandbox_config
from polygon_sandbox import Sandbox
from source_stock_ticker_api.run import READER_GONE_EXIT_CODE

pytestmark = pytest.mark.sandbox_now(SATURDAY)


def test_given_a_reader_gone_after_five_records_when_read_then_quiet_exit_and_no_more_requests(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # A month of minute bars for each of three tickers: one request each, the first alone
    # megabytes of records, far more than the pipe holds, so the connector is still writing
    # when the reader goes away.
    config = sandbox_config(
        sandbox,
        tickers=["AAPL", "MSFT", "NVDA"],
        start_date="2024-02-01",
        end_date="2024-02-29",
        timespan="minute",
        max_concurrent_requests=2,
    )
    files = {"config": config, "catalog": catalog("full_refresh")}
    command = command_line([str(CONSOLE_SCRIPT)], "read", tmp_path, files)
    env = {**os.environ, **clock_env(SATURDAY)}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO_ROOT
    )
    assert process.stdout is not None and process.stderr is not None
    # Up to the fifth record: the plan's lines come first, and the first page is being written.
    lines: list[bytes] = []
    while [json.loads(line)["type"] for line in lines].count("RECORD") < 5:
        lines.append(process.stdout.readline())
    process.stdout.close()  # what `head` does once it has its lines
    stderr = process.stderr.read().decode()
    returncode = process.wait(timeout=120)

    assert [json.loads(line)["type"] for line in lines].count("LOG") >= 1
    assert stderr == ""
    assert returncode == READER_GONE_EXIT_CODE == 141
    # It stopped at the first page instead of reading the other two tickers into a closed pipe:
    # AAPL's page and MSFT's were asked at the start (two in flight), NVDA's never.
    assert sorted(r.path.split("/")[4] for r in sandbox.data_requests()) == ["AAPL", "MSFT"]
