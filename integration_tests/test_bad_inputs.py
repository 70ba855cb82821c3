"""The bad-input corpus: configs, config files and states a user (or an adversary) may hand the
connector, each with its exact outcome, in integration_tests/bad_inputs/cases.json.

Each case runs against the sandbox, in this process unless what it checks is the process
(`"process": true`: the exit code of a bad config file, stdout holding only JSON lines). A
difference is a change a user would notice. After a change meant to alter an outcome, record
again (`.venv/bin/python -m integration_tests.bad_inputs.runner`) and review the diff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from integration_tests.bad_inputs.runner import NOW, load_cases, outcome, run_case
from polygon_sandbox import Sandbox

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_bad_input_ends_as_recorded(case: dict[str, Any], tmp_path: Path) -> None:
    with Sandbox(now=NOW, seed=1) as sandbox:
        run = run_case(case, sandbox, tmp_path)
        got = outcome(case, run, sandbox, tmp_path)

    assert got == case["expect"], case["why"]
    # Whatever the input: no traceback in any log line, nothing but JSON lines on stdout,
    # and (a case's key long enough to be masked) the key nowhere in the output.
    assert not [m for m in run.of_type("LOG") if "Traceback" in m["log"]["message"]]
    assert all(line.startswith("{") for line in run.stdout.splitlines() if line.strip())
    if case.get("process"):
        assert "Traceback" not in run.stderr
    key = case.get("config", {}).get("api_key")
    if isinstance(key, str) and len(key) >= 8:
        assert key not in run.stdout and key not in run.stderr


def test_every_case_has_an_id_a_reason_and_an_expected_outcome() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    assert all(case.get("why") and "expect" in case for case in CASES)
