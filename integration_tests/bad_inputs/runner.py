"""Runs one case of the bad-input corpus (cases.json) against a sandbox and says what happened,
in the shape of the case's `expect`, so the test compares the two and `record` can fill them in.

A case gives the command, the config as changes to a base config (or the config file's raw
text) and the state (JSON, or the file's raw text); a read's catalog is stock_prices,
incremental, unless the case gives its own (`catalog`, JSON, or `catalog_file`, raw text).
Placeholders:
`$SANDBOX_URL` in a config value, `{"$repeat": [text, count]}` for a long value, and
`$CONFIG_FILE` / `$STATE_FILE` / `$CATALOG_FILE` in expected messages for the files' paths.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from integration_tests.connector_process import (
    REPO_ROOT,
    ConnectorRun,
    catalog,
    clock_env,
    connector_run,
)
from integration_tests.helpers import SATURDAY, sandbox_config
from integration_tests.in_process import run_in_process
from polygon_sandbox import Sandbox

CASES_PATH = Path(__file__).with_name("cases.json")
NOW = SATURDAY
# The base of every case's config: AAPL's daily bars of one week, read from the sandbox.
BASE_FIELDS = {"start_date": "2024-03-04", "end_date": "2024-03-08"}


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(CASES_PATH.read_text(encoding="utf-8"))
    return cases


def expand(value: Any, sandbox: Sandbox) -> Any:
    """A case's config value with its placeholders replaced."""
    if value == "$SANDBOX_URL":
        return sandbox.url
    if isinstance(value, dict) and set(value) == {"$repeat"}:
        text, count = value["$repeat"]
        return text * count
    if isinstance(value, dict):
        return {key: expand(item, sandbox) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, sandbox) for item in value]
    return value


def config_of(case: dict[str, Any], sandbox: Sandbox) -> dict[str, Any]:
    """The base config with the case's changes; a field whose change is "$DROP" is removed."""
    config = sandbox_config(sandbox, **BASE_FIELDS)
    config.update(expand(case.get("config", {}), sandbox))
    return {key: value for key, value in config.items() if value != "$DROP"}


def write_files(case: dict[str, Any], sandbox: Sandbox, workdir: Path) -> dict[str, Path]:
    """The case's files in `workdir`, by the flag that takes each."""
    files = {"config": workdir / "config.json"}
    if "config_file" in case:
        if case["config_file"] is not None:  # null: a file that does not exist
            files["config"].write_text(case["config_file"], encoding="utf-8")
    else:
        files["config"].write_text(json.dumps(config_of(case, sandbox)), encoding="utf-8")
    if case["command"] == "read":
        files["catalog"] = workdir / "catalog.json"
        if "catalog_file" in case:
            if case["catalog_file"] is not None:  # null: a file that does not exist
                files["catalog"].write_text(case["catalog_file"], encoding="utf-8")
        else:
            text = json.dumps(case["catalog"] if "catalog" in case else catalog())
            files["catalog"].write_text(text, encoding="utf-8")
    if "state" in case or "state_file" in case:
        files["state"] = workdir / "state.json"
        text = case["state_file"] if "state_file" in case else json.dumps(case["state"])
        files["state"].write_text(text, encoding="utf-8")
    return files


def run_case(case: dict[str, Any], sandbox: Sandbox, workdir: Path) -> ConnectorRun:
    """The case's command, in this process or (`"process": true`) as `python main.py`."""
    files = write_files(case, sandbox, workdir)
    args = [case["command"]]
    for flag, path in files.items():
        args += [f"--{flag}", str(path)]
    env = clock_env(NOW)
    if case.get("process"):
        done = subprocess.run(
            [sys.executable, str(REPO_ROOT / "main.py"), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env},
            cwd=REPO_ROOT,
            check=False,
        )
        return connector_run(done.returncode, done.stdout, done.stderr)
    ran = run_in_process(args, env=env, cwd=REPO_ROOT)
    return connector_run(ran.exit_code, ran.stdout, ran.stderr)


def outcome(
    case: dict[str, Any], run: ConnectorRun, sandbox: Sandbox, workdir: Path
) -> dict[str, Any]:
    """What the run did, in the terms of a case's `expect`: exit code, TRACE errors, the
    check's status, every warning, and for a read its records, last state and API requests."""
    paths = {
        str(workdir / "config.json"): "$CONFIG_FILE",
        str(workdir / "state.json"): "$STATE_FILE",
        str(workdir / "catalog.json"): "$CATALOG_FILE",
    }

    def placed(text: str) -> str:
        for path, name in paths.items():
            text = text.replace(path, name)
        return text

    result: dict[str, Any] = {
        "exit_code": run.returncode,
        "errors": [[e["failure_type"], placed(e["message"])] for e in run.errors],
        "warnings": [
            placed(m["log"]["message"])
            for m in run.of_type("LOG")
            if m["log"]["level"] in ("WARN", "WARNING")
        ],
    }
    if case["command"] == "check" and run.of_type("CONNECTION_STATUS"):
        status = run.connection_status
        result["connection_status"] = [status["status"], status.get("message")]
    if case["command"] != "discover":
        result["data_requests"] = len(sandbox.data_requests())
    if case["command"] == "read":
        result["records"] = len(run.records)
        states = {
            m["state"]["stream"]["stream_descriptor"]["name"]: m["state"]["stream"]["stream_state"]
            for m in run.of_type("STATE")
        }
        result["states"] = states
    return result


def record() -> None:
    """Fills in every case's `expect` with what the connector does now: review the diff."""
    import tempfile

    cases = load_cases()
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp, Sandbox(now=NOW, seed=1) as sandbox:
            run = run_case(case, sandbox, Path(tmp))
            case["expect"] = outcome(case, run, sandbox, Path(tmp))
    CASES_PATH.write_text(json.dumps(cases, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    record()
