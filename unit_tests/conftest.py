"""Fixtures shared by every test: no real waiting, one way to freeze the clock, offline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from airbyte_cdk.utils.airbyte_secrets_utils import update_secrets
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from hypothesis import settings

from source_stock_ticker_api.clock import NOW_ENV_VAR
from source_stock_ticker_api.polygon import congestion
from unit_tests.helpers import NOW

# Property tests draw the same examples on every run: a red CI must be reproducible.
settings.register_profile("repeatable", derandomize=True)
settings.load_profile("repeatable")


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every `time.sleep` the code asks for, recorded instead of slept.

    Retries and the client-side rate budget both sleep through `time.sleep`; tests assert the
    waits the connector requested without spending them. The clock of the waits after a 429
    (congestion.py) moves by each sleep recorded, as if it had been slept.
    """
    requested: list[float] = []
    monkeypatch.setattr(time, "sleep", requested.append)
    start = time.monotonic()
    monkeypatch.setattr(congestion, "seconds", lambda: start + sum(requested))
    return requested


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"now(instant='{NOW}'): freeze the clock at that ISO-8601 instant for the test"
    )


@pytest.fixture(autouse=True)
def frozen_clock(request: pytest.FixtureRequest) -> Iterator[FrozenDateTimeFactory | None]:
    """The clock of a test marked `now` (on the test, its class or its module), frozen there.

    The one way unit tests set "now": `@pytest.mark.now()` freezes it at helpers.NOW,
    `@pytest.mark.now("...")` elsewhere; a test that lets time pass asks for this fixture and
    calls `move_to`. Unmarked tests see the real clock (None).
    """
    marker = request.node.get_closest_marker("now")
    if marker is None:
        yield None
        return
    with freeze_time(marker.args[0] if marker.args else NOW) as frozen:
        assert isinstance(frozen, FrozenDateTimeFactory)  # not ticking: it moves only when told
        yield frozen


@pytest.fixture(autouse=True)
def _no_clock_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NOW_ENV_VAR, raising=False)


@pytest.fixture(autouse=True)
def _offline(loopback_only: None) -> None:
    """Every unit test stays on loopback (the guard is in the repository's root conftest.py)."""


@pytest.fixture(autouse=True)
def _forget_secrets() -> Any:
    """Each command registers its config's secrets process-wide; start every test clean."""
    update_secrets([])
    yield
    update_secrets([])
