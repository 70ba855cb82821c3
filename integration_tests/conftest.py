"""Shared set-up for integration_tests/. Everything here is generic; add to it, keep it generic.

Hooks
- The CDK standard suite's command-line options (`--connector-image`, `--read-from-streams`, ...)
  are registered here, so `integration_tests/test_standard_suite.py` runs from a plain `pytest`.
  (The suite's `pytest_generate_tests` is imported by that module alone, not registered globally.)
- Tests that need a Docker engine (the suite's `image_tests`) are *deselected*, with the reason
  printed after collection and in the summary, when they cannot work here: no Docker CLI or engine,
  or (against the sandbox) a container that cannot reach the sandbox on this host's loopback.
- The suite parametrizes each of its tests with every config of acceptance-test-config.yml and
  skips the pairs whose section does not run that test's command (`test_check` runs only for
  `connection` configs, ...). Those pairs are deselected instead, with a count, so a run reports
  what ran and passed, not a list of no-op skips.

Fixtures
- `loopback_only` (from the repository's root conftest.py): fails any connection (or DNS lookup)
  this process makes to a host other than the loopback interface; every test here has it, so
  in-process connector runs are covered. Subprocesses are not: give them loopback URLs.
- `sandbox`: a sandbox on loopback whose clock starts at the module's `sandbox_now` marker.
- `fixed_now`: a function that sets `STOCK_TICKER_API_NOW` (the connector's clock) for one test.
- `connector_at_sandbox_now`: the connector's clock at the module's `sandbox_now`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import clock_env
from polygon_sandbox import Sandbox

LIVE_ENV_VAR = "STOCK_TICKER_API_LIVE"
"""Set to 1 to run the acceptance tests against the real API with secrets/config.json."""
LIVE_CONFIG_ENV_VAR = "STOCK_TICKER_API_LIVE_CONFIG"
"""Another config file than secrets/config.json for live mode."""
REPO_ROOT = Path(__file__).resolve().parent.parent

_NOTES = pytest.StashKey[list[str]]()
# Docker tests that talk to the API: in a container, 127.0.0.1 is the container, not the sandbox.
_DOCKER_TESTS_NEEDING_THE_API = (
    "test_docker_image_build_and_check",
    "test_docker_image_build_and_discover",
    "test_docker_image_build_and_read",
)
_DOCKER_TEST_NEEDING_THE_REGISTRY = "test_docker_image_spec_backward_compatibility"
# The command each scenario-parametrized standard test runs (its `skip_unless_runs` argument).
_STANDARD_TEST_COMMANDS = {
    "test_config_matches_spec": "spec",
    "test_check": "check",
    "test_discover": "discover",
    "test_basic_read": "read",
    "test_fail_read_with_bad_catalog": "read",
}


def live_mode() -> bool:
    """Whether this run targets the real API (see LIVE_ENV_VAR)."""
    return os.environ.get(LIVE_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}


def live_config_path() -> Path:
    """The config holding a real API key that live mode uses."""
    return Path(os.environ.get(LIVE_CONFIG_ENV_VAR) or REPO_ROOT / "secrets" / "config.json")


def pytest_addoption(parser: pytest.Parser) -> None:
    from airbyte_cdk.test.standard_tests import pytest_hooks

    pytest_hooks.pytest_addoption(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "image_tests: builds and runs the connector's Docker image")
    config.addinivalue_line("markers", "requires_creds: needs secrets/ (a real API key)")
    config.addinivalue_line("markers", "sandbox_now(moment): the `sandbox` fixture's start time")
    config.stash[_NOTES] = []


def _docker_engine_problem() -> str | None:
    """Why no Docker engine can run containers here, or None when one can."""
    if shutil.which("docker") is None:
        return "no `docker` CLI on PATH"
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 20 s"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"no Docker engine is running (`docker info`: {lines[-1] if lines else 'failed'})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _deselect_inapplicable_scenarios(config, items)
    _deselect_docker_tests(config, items)


def _deselect_inapplicable_scenarios(config: pytest.Config, items: list[pytest.Item]) -> None:
    inapplicable = []
    for item in items:
        scenario = getattr(getattr(item, "callspec", None), "params", {}).get("scenario")
        command = _STANDARD_TEST_COMMANDS.get(getattr(item, "originalname", ""))
        if (
            command
            and scenario is not None
            and hasattr(scenario, "runs")
            and not scenario.runs(command)
        ):
            inapplicable.append(item)
    if not inapplicable:
        return
    config.hook.pytest_deselected(items=inapplicable)
    dropped = set(inapplicable)
    items[:] = [item for item in items if item not in dropped]
    config.stash[_NOTES].append(
        f"deselected {len(inapplicable)} standard test(s) paired with a config whose section of "
        "acceptance-test-config.yml does not run that test's command (the suite skips them)."
    )


def _deselect_docker_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    image_tests = [item for item in items if item.get_closest_marker("image_tests")]
    if not image_tests:
        return
    reasons: dict[str, list[pytest.Item]] = {}
    engine_problem = _docker_engine_problem()
    for item in image_tests:
        name = getattr(item, "originalname", item.name)
        if engine_problem:
            reason = f"they need a Docker engine and {engine_problem}"
        elif not live_mode() and name in _DOCKER_TESTS_NEEDING_THE_API:
            reason = (
                "the connector in a container cannot reach the sandbox on this host's loopback "
                f"(run them against the real API with {LIVE_ENV_VAR}=1)"
            )
        elif not live_mode() and name == _DOCKER_TEST_NEEDING_THE_REGISTRY:
            reason = "it compares with the spec in Airbyte's public registry, over the network"
        else:
            continue
        reasons.setdefault(reason, []).append(item)
    deselected = [item for group in reasons.values() for item in group]
    if not deselected:
        return
    config.hook.pytest_deselected(items=deselected)
    dropped = set(deselected)
    items[:] = [item for item in items if item not in dropped]
    for reason, group in reasons.items():
        names = sorted({getattr(item, "originalname", item.name) for item in group})
        config.stash[_NOTES].append(
            f"deselected {len(group)} Docker image test(s) ({', '.join(names)}): {reason}."
        )


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    notes: list[str] = config.stash.get(_NOTES, [])
    return list(notes)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for note in config.stash.get(_NOTES, []):
        terminalreporter.write_line(note)


@pytest.fixture(autouse=True)
def _in_process_runs_stay_on_loopback(loopback_only: None) -> None:
    """Connector runs in this process (integration_tests/in_process.py) are guarded too."""


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox (seed 1) whose clock starts at the `sandbox_now` marker of the test's module."""
    marker = request.node.get_closest_marker("sandbox_now")
    assert marker is not None, "mark the module: pytestmark = pytest.mark.sandbox_now(<datetime>)"
    with Sandbox(now=marker.args[0], seed=1) as server:
        yield server


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], None]]:
    """`fixed_now(dt)` sets the connector's "now" (env STOCK_TICKER_API_NOW) until the test ends.

    Connector subprocesses started afterwards inherit it; in-process runs read it on each call.
    """

    def set_now(moment: datetime) -> None:
        for name, value in clock_env(moment).items():
            monkeypatch.setenv(name, value)

    yield set_now


@pytest.fixture
def connector_at_sandbox_now(
    request: pytest.FixtureRequest, fixed_now: Callable[[datetime], None]
) -> None:
    """The connector's clock set to the module's `sandbox_now`: both clocks start together."""
    marker = request.node.get_closest_marker("sandbox_now")
    assert marker is not None, "mark the module: pytestmark = pytest.mark.sandbox_now(<datetime>)"
    fixed_now(marker.args[0])
