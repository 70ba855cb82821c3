"""A faithful local stand-in ("sandbox") of the Polygon.io / Massive.com REST API.

Serves deterministic, realistic stock bars for end-to-end tests, benchmarks and demos: the
custom-bars, previous-close and grouped-daily endpoints with the vendor's pagination, auth,
plans, errors and quirks, plus a movable clock, a request log and fault injection.

    from polygon_sandbox import Sandbox
    with Sandbox(now=datetime(2024, 3, 1, 21, 0, tzinfo=timezone.utc)) as sb:
        requests.get(f"{sb.url}/v2/aggs/ticker/AAPL/prev",
                     headers={"Authorization": "Bearer sandbox-unlimited-key"})

Layout (README.md, "Layout"): data/ generates the data, endpoints/ answers the API's endpoints
by family, http/ serves them; sandbox.py wires them together.
"""

from .data.universe import OTC_TICKERS, SPLITS, TICKERS, split_factor
from .http.auth import DAILY_KEY, DEFAULT_KEYS, FREE_HISTORY_DAYS, FREE_KEY, UNLIMITED_KEY, Plan
from .http.faults import Faults
from .http.request_log import RequestRecord
from .sandbox import Sandbox

__all__ = [
    "DAILY_KEY",
    "DEFAULT_KEYS",
    "FREE_HISTORY_DAYS",
    "FREE_KEY",
    "OTC_TICKERS",
    "SPLITS",
    "TICKERS",
    "UNLIMITED_KEY",
    "Faults",
    "Plan",
    "RequestRecord",
    "Sandbox",
    "split_factor",
]
