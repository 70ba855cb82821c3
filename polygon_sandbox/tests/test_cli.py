"""`python -m polygon_sandbox` as a subprocess: first line, health, a fault flag, clean exit."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_url_serves_and_exits_cleanly() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "polygon_sandbox",
            "--port",
            "0",
            "--now",
            "2024-03-01T21:00:00Z",
            "--error-schedule",
            "2",
            "--rate-window-seconds",
            "5",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("SANDBOX_URL=http://127.0.0.1:")
        url = first.split("=", 1)[1]
        health = requests.get(url + "/_sandbox/health", timeout=5).json()
        assert health["now"] == "2024-03-01T21:00:00+00:00"
        headers = {"Authorization": "Bearer sandbox-unlimited-key"}
        prev = url + "/v2/aggs/ticker/AAPL/prev"
        codes = [requests.get(prev, headers=headers, timeout=5).status_code for _ in range(3)]
        assert codes == [200, 502, 200]
        control = requests.get(url + "/_sandbox/control", timeout=5).json()
        assert control["faults"]["error_schedule"] == [2]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out == ""  # nothing after the first line


def test_cli_help_lists_fault_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "polygon_sandbox", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    for flag in ("--rate-limit", "--retry-after", "--drop-rate", "--forbid-ticker", "--seed"):
        assert flag in result.stdout
