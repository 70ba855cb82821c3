"""Runs the connector on files, as the platform does: in this process, or as a subprocess speaking
the Airbyte protocol where the process itself is what a test checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from integration_tests.in_process import run_in_process
from source_stock_ticker_api.clock import NOW_ENV_VAR

REPO_ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).parent / "source-stock-ticker-api"
SYNC_TIMEOUT_SECONDS = 300


@dataclass
class ConnectorRun:
    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [m["record"]["data"] for m in self.of_type("RECORD")]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["state"]["stream"]["stream_state"] for m in self.of_type("STATE")]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    @property
    def logs(self) -> list[str]:
        return [m["log"]["message"] for m in self.of_type("LOG")]

    @property
    def connection_status(self) -> dict[str, Any]:
        (status,) = self.of_type("CONNECTION_STATUS")
        return dict(status["connectionStatus"])


def catalog(sync_mode: str = "incremental") -> dict[str, Any]:
    """The configured catalog of stock_prices in one sync mode (append for incremental)."""
    schema = json.loads(
        (REPO_ROOT / "source_stock_ticker_api" / "schemas" / "stock_prices.json").read_text()
    )
    return {
        "streams": [
            {
                "stream": {
                    "name": "stock_prices",
                    "json_schema": schema,
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "source_defined_cursor": True,
                    "default_cursor_field": ["timestamp"],
                    "source_defined_primary_key": [["stock_ticker"], ["timestamp"]],
                },
                "sync_mode": sync_mode,
                "destination_sync_mode": "append" if sync_mode == "incremental" else "overwrite",
                "cursor_field": ["timestamp"],
                "primary_key": [["stock_ticker"], ["timestamp"]],
            }
        ]
    }


def clock_env(moment: datetime) -> dict[str, str]:
    """The environment that sets a connector process's "now" to `moment` (clock.NOW_ENV_VAR).

    The one way integration tests set the connector's clock: a subprocess cannot be frozen.
    """
    assert moment.tzinfo is not None, "give an aware datetime"
    return {NOW_ENV_VAR: moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")}


def command_line(
    executable: Sequence[str],
    command: str,
    workdir: Path,
    files: Mapping[str, Any],
) -> list[str]:
    """`<executable> <command> --config ... --catalog ... --state ...`, for the files given.

    `files` maps a flag's name (config, catalog, state) to its content, written to `workdir`.
    """
    args = [*executable, command]
    for name, content in files.items():
        if content is not None:
            path = workdir / f"{name}.json"
            path.write_text(json.dumps(content))
            args += [f"--{name}", str(path)]
    return args


def run_connector(
    command: str,
    workdir: Path,
    *,
    config: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    state: Any = None,
    now: datetime | None = None,
    as_process: bool = False,
    console_script: bool = False,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = SYNC_TIMEOUT_SECONDS,
) -> ConnectorRun:
    """`source-stock-ticker-api <command>` with files written to `workdir`: in this process
    (integration_tests/in_process.py), or as a process when what is tested is the process
    (`as_process`: `python main.py`; `console_script`: the installed console script)."""
    files = {"config": config, "catalog": catalog, "state": state}
    env = {**(extra_env or {}), **(clock_env(now) if now else {})}
    if not (as_process or console_script):
        ran = run_in_process(command_line([], command, workdir, files), env=env, cwd=REPO_ROOT)
        return connector_run(ran.exit_code, ran.stdout, ran.stderr)
    executable: Sequence[str] = (
        [str(CONSOLE_SCRIPT)] if console_script else [sys.executable, str(REPO_ROOT / "main.py")]
    )
    args = command_line(executable, command, workdir, files)
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        check=False,
    )
    return connector_run(done.returncode, done.stdout, done.stderr)


def connector_run(returncode: int, stdout: str, stderr: str) -> ConnectorRun:
    """A run's output with its protocol messages (the lines that are JSON objects) parsed."""
    messages = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            messages.append(json.loads(line))
    return ConnectorRun(returncode, stdout, stderr, messages)


def last_state_message(run: ConnectorRun) -> list[dict[str, Any]]:
    """The state file the platform would hand back: the last STATE message seen."""
    (last,) = run.of_type("STATE")[-1:]
    return [last["state"]]


def assert_secret_nowhere(run: ConnectorRun, sandbox: Any, key: str) -> None:
    """The key appears in no output line, record, state or URL the sandbox saw, and every data
    request (next_url pages included) carried it in the Authorization header."""
    assert key, "an empty key would match everywhere"
    for line in (*run.stdout.splitlines(), *run.stderr.splitlines()):
        assert key not in line, f"the API key leaked into output: {line[:200]}"
    for record in run.records:
        assert key not in json.dumps(record)
    for state in run.states:
        assert key not in json.dumps(state)
    for request in sandbox.requests:
        assert key not in request.url, f"the API key was sent in a URL: {request.url}"
    for request in sandbox.data_requests():
        assert request.auth == "header", f"{request.url} went without the key's header"


@dataclass
class StreamedRun:
    """A connector run read line by line, possibly killed part-way through."""

    returncode: int
    killed: bool
    lines: list[str]
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines if line.startswith("{")]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [m["record"]["data"] for m in self.messages if m.get("type") == "RECORD"]

    def state_messages(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.messages if m.get("type") == "STATE"]


def stream_connector(
    command: str,
    workdir: Path,
    *,
    config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    state: Any = None,
    now: datetime | None = None,
    kill_after_records: int | None = None,
    timeout: float = SYNC_TIMEOUT_SECONDS,
) -> StreamedRun:
    """`python main.py <command>` under Popen, its stdout read line by line as the platform
    does; with `kill_after_records`, SIGKILLed as soon as that many RECORD lines were read.

    Only what was read before the kill counts: lines still in the pipe are lost, as they
    would be for the platform.
    """
    files = {"config": config, "catalog": catalog, "state": state}
    args = command_line([sys.executable, str(REPO_ROOT / "main.py")], command, workdir, files)
    env = {**os.environ, **(clock_env(now) if now else {})}
    lines: list[str] = []
    killed = False
    with tempfile.TemporaryFile(mode="w+") as err:
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=err, text=True, env=env, cwd=REPO_ROOT
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            records = 0
            for raw in process.stdout:
                line = raw.strip()
                if not line:
                    continue
                lines.append(line)
                if line.startswith("{") and json.loads(line).get("type") == "RECORD":
                    records += 1
                    if kill_after_records is not None and records >= kill_after_records:
                        process.send_signal(signal.SIGKILL)
                        killed = True
                        break
            process.stdout.close()
            returncode = process.wait()
        finally:
            timer.cancel()
        err.seek(0)
        stderr = err.read()
    return StreamedRun(returncode, killed, lines, stderr)
