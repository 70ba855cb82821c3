"""clock.py: one notion of "now", movable by freezegun in-process or by an env var."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from source_stock_ticker_api import clock
from source_stock_ticker_api.config import today_in_new_york
from unit_tests.helpers import LATE_EVENING_NY


def test_now_is_aware_utc() -> None:
    now = clock.now()
    assert now.tzinfo == timezone.utc


@pytest.mark.now(LATE_EVENING_NY)
def test_freezegun_moves_now_and_today_is_new_yorks_date() -> None:
    assert clock.now() == datetime(2024, 3, 12, 2, 30, tzinfo=timezone.utc)
    assert today_in_new_york().isoformat() == "2024-03-11"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("2024-03-12T15:00:00Z", datetime(2024, 3, 12, 15, tzinfo=timezone.utc)),
        ("2024-03-12T11:00:00-04:00", datetime(2024, 3, 12, 15, tzinfo=timezone.utc)),
        # Without an offset the instant is read as UTC, never as the machine's zone.
        ("2024-03-12T15:00:00", datetime(2024, 3, 12, 15, tzinfo=timezone.utc)),
    ],
)
def test_env_var_overrides_now(
    monkeypatch: pytest.MonkeyPatch, override: str, expected: datetime
) -> None:
    monkeypatch.setenv(clock.NOW_ENV_VAR, override)
    assert clock.now() == expected
    assert clock.now().tzinfo == timezone.utc


@pytest.mark.now("2030-01-01T00:00:00Z")
def test_empty_env_var_means_the_real_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.NOW_ENV_VAR, "")
    assert clock.now() == datetime(2030, 1, 1, tzinfo=timezone.utc)
