"""API keys, what each plan may do, and request-rate accounting.

Rate limits run on the real monotonic clock (not the sandbox's `now`): a client that paces
itself does so in wall time. The window is configurable so tests can shrink "a minute".
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

UNLIMITED_KEY = "sandbox-unlimited-key"
FREE_KEY = "sandbox-free-key"
DAILY_KEY = "sandbox-daily-key"
STOCKS_ONLY_KEY = "sandbox-stocks-only-key"
STARTER_KEY = "sandbox-starter-key"
MARKETS = frozenset({"stocks", "crypto", "forex", "indices", "options"})
FREE_HISTORY_DAYS = 730  # "about two years": from-dates before today (New York) - 730 days fail
# The vendor's stock plans, least first; an endpoint a plan's tier does not reach is a 403.
TIERS = ("basic", "starter", "developer", "advanced", "business")


@dataclass(frozen=True)
class Plan:
    """What one key may do.

    requests_per_window: accepted requests per rate window (None = unlimited).
    history_days: how far back `from` may reach, in days before today in New York (None = all).
    intraday: whether second/minute/hour bars are included.
    markets: the markets the plan is entitled to (stocks, crypto, forex, indices, options).
    tier: the vendor plan it stands for (TIERS): a route of a higher tier refuses it.
    """

    requests_per_window: int | None = None
    history_days: int | None = None
    intraday: bool = True
    markets: frozenset[str] = MARKETS
    tier: str = "business"

    def reaches(self, tier: str) -> bool:
        return TIERS.index(self.tier) >= TIERS.index(tier)


DEFAULT_KEYS: Mapping[str, Plan] = {
    UNLIMITED_KEY: Plan(),
    FREE_KEY: Plan(requests_per_window=5, history_days=FREE_HISTORY_DAYS, tier="basic"),
    STARTER_KEY: Plan(tier="starter"),
    DAILY_KEY: Plan(intraday=False),
    STOCKS_ONLY_KEY: Plan(markets=frozenset({"stocks"})),
}


def extract_key(authorization: str | None, query_key: str | None) -> tuple[str | None, str | None]:
    """(key, "header" | "query" | None). A bearer header wins over `apiKey`, as in the vendor."""
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip(), "header"
    if query_key:
        return query_key, "query"
    return None, None


class RateLimiter:
    """Sliding-window counter per key: at most `limit` accepted requests per `window` seconds."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def wait_needed(self, key: str, limit: int) -> float:
        """Seconds until `key` may make another request (0 if it may now)."""
        with self._lock:
            hits = self._purge(key)
            if len(hits) < limit:
                return 0.0
            return max(hits[-limit] + self.window - self._clock(), 0.001)

    def record(self, key: str) -> None:
        with self._lock:
            self._purge(key).append(self._clock())

    def _purge(self, key: str) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        horizon = self._clock() - self.window
        while hits and hits[0] <= horizon:
            hits.popleft()
        return hits


def retry_after_header(wait: float) -> str:
    """Whole seconds, rounded up (HTTP's Retry-After has no fractions)."""
    return str(max(1, math.ceil(wait)))
