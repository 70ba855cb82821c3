"""`check` with tickers of several markets: one request per market, and a plan lacking one named."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from integration_tests.connector_process import run_connector
from integration_tests.helpers import assert_key_hidden, sandbox_config
from polygon_sandbox import Sandbox

# Tuesday 2024-04-02, 12:00 in New York.
NOW = datetime(2024, 4, 2, 16, 0, tzinfo=timezone.utc)
MIXED = ["AAPL", "MSFT", "X:BTCUSD", "I:SPX"]

pytestmark = pytest.mark.sandbox_now(NOW)


def test_check_asks_once_per_market_configured(sandbox: Sandbox, tmp_path: Path) -> None:
    config = sandbox_config(sandbox, tickers=MIXED, start_date="2024-03-01")
    run = run_connector("check", tmp_path, config=config, now=NOW)

    assert run.connection_status == {"status": "SUCCEEDED"}
    requests = sandbox.data_requests()
    assert [(r.path, r.query) for r in requests] == [
        (
            "/v2/aggs/ticker/AAPL/range/1/day/2024-03-01/2024-04-02",
            "adjusted=true&sort=asc&limit=1",
        ),
        (
            "/v2/aggs/ticker/X:BTCUSD/range/1/day/2024-03-01/2024-04-02",
            "adjusted=true&sort=asc&limit=1",
        ),
        ("/v2/aggs/ticker/I:SPX/range/1/day/2024-03-01/2024-04-02", "sort=asc&limit=1"),
    ]
    assert_key_hidden(run, sandbox)


def test_check_names_the_market_the_plan_does_not_cover(sandbox: Sandbox, tmp_path: Path) -> None:
    key = "sandbox-stocks-only-key"
    config = sandbox_config(sandbox, api_key=key, tickers=MIXED, start_date="2024-03-01")
    run = run_connector("check", tmp_path, config=config, now=NOW)

    assert run.returncode == 0
    assert run.connection_status == {
        "status": "FAILED",
        "message": "Your plan includes stocks but not crypto (the API refused X:BTCUSD day bars "
        "from 2024-03-01 to 2024-04-02): You are not entitled to this data. Please upgrade your "
        "plan at https://polygon.io/pricing. Remove the crypto tickers from tickers, or add "
        "crypto to the plan.",
    }
    assert [r.ticker for r in sandbox.data_requests()] == ["AAPL", "X:BTCUSD"]
    assert_key_hidden(run, sandbox, key)
