"""The Sandbox: the vendor's API on a local HTTP server, with a movable clock, a request log,
fault injection, a response delay and `/_sandbox/...` control endpoints for tests.

It wires the layers together: the endpoints' routing table (endpoints/), the data they read
(data/), and the request pipeline, control endpoints and server (http/).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .data.market import Market
from .data.market_data import MarketData
from .endpoints import ROUTES
from .endpoints.aggregates.custom_bars import expected_bars
from .http.auth import DEFAULT_KEYS, Plan
from .http.clock import Clock, utc
from .http.control import apply_control, control_reply, is_control_path
from .http.faults import Faults
from .http.latency import Delay
from .http.pipeline import Pipeline
from .http.replies import Reply
from .http.request_log import RequestRecord
from .http.server import HttpServer


def _to_bound(value: str | int | date | datetime) -> str:
    if isinstance(value, datetime):
        return str(int(utc(value).timestamp() * 1000))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Sandbox:
    """A local stand-in of the Polygon.io / Massive.com REST API.

    `now=None` follows the wall clock; any explicit time (constructor, `set_now`, `advance`)
    freezes the sandbox clock there. `keys` replaces the built-in keys when given. `delay` holds
    every API response that many seconds, or a seeded uniform draw from `(low, high)` (see
    `Delay.parse`); `sleep` is how the handler waits, replaceable so tests need not wait.
    """

    def __init__(
        self,
        now: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        keys: Mapping[str, Plan] | None = None,
        faults: Faults | None = None,
        rate_window_seconds: float = 60.0,
        log_requests: bool = False,
        delay: Delay | float | tuple[float, float] | str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.rate_window_seconds = rate_window_seconds
        self.log_requests = log_requests
        self.sleep = sleep
        self._clock = Clock(now)
        self._data = MarketData.for_seed(seed)
        active_faults = faults or Faults()
        active_faults.validate()
        self._pipeline = Pipeline(
            ROUTES,
            self._data,
            keys=DEFAULT_KEYS if keys is None else keys,
            faults=active_faults,
            delay=Delay.parse(delay),
            seed=seed,
            rate_window_seconds=rate_window_seconds,
            clock=self._clock,
            default_host=lambda: self.url.split("//", 1)[1],
        )
        self._server: HttpServer | None = None

    @property
    def keys(self) -> dict[str, Plan]:
        return self._pipeline.keys

    @keys.setter
    def keys(self, keys: dict[str, Plan]) -> None:
        self._pipeline.keys = keys

    @property
    def market(self) -> Market:
        return self._data.market

    @market.setter
    def market(self, market: Market) -> None:
        """Serve from another Market (a benchmark's, with a bigger day cache)."""
        self._data.market = market

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        self._server = HttpServer(self, self.host, self.port)
        self.port = self._server.port
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    # -- clock --------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._clock.now

    def set_now(self, moment: datetime) -> None:
        self._clock.set(moment)

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        self._clock.advance(days=days, hours=hours, minutes=minutes)

    # -- faults, delay and log ----------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._pipeline.fault_state.faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the active faults; restarts the fault RNG and the forbid counter."""
        self._pipeline.set_faults(faults)

    @property
    def delay(self) -> Delay:
        return self._pipeline.latency.delay

    def set_delay(self, delay: Delay | float | tuple[float, float] | str | None) -> None:
        """Hold every later API response this long (None or 0: not at all); restarts the
        delay RNG, so the same requests get the same delays again."""
        self._pipeline.latency.replace(Delay.parse(delay))

    def reset_rate_limits(self) -> None:
        """Forget every request counted by the plan and fault rate limiters."""
        self._pipeline.reset_rate_limits()

    @property
    def requests(self) -> list[RequestRecord]:
        return self._pipeline.log.records

    def data_requests(self) -> list[RequestRecord]:
        return self._pipeline.log.data_records()

    def clear_requests(self) -> None:
        """Empty the log; data-request numbering (fault schedules) restarts at 1."""
        self._pipeline.clear_log()

    # -- expectations for tests ---------------------------------------------------------------

    def expected_bars(
        self,
        ticker: str,
        multiplier: int,
        timespan: str,
        from_: str | int | date | datetime,
        to: str | int | date | datetime,
        adjusted: bool = True,
    ) -> list[dict[str, Any]]:
        """Every bar the custom-bars endpoint serves for this range at the current `now`,
        ascending and unpaginated, as the same dicts the API encodes."""
        bounds = _to_bound(from_), _to_bound(to)
        now_ms = self._clock.now_ms()
        return expected_bars(self._data, ticker, multiplier, timespan, *bounds, adjusted, now_ms)

    # -- requests -----------------------------------------------------------------------------

    def process(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[Reply, bool, float]:
        """Answer one request: (reply, drop the connection?, seconds to wait first).

        Usable without sockets; header names are matched case-insensitively.
        """
        headers = {name.lower(): value for name, value in headers.items()}
        split = urlsplit(target)
        if is_control_path(split.path):
            return control_reply(self, method, split.path, body), False, 0.0
        outcome, record = self._pipeline.answer(method, split.path, split.query, target, headers)
        if self.log_requests:
            print(
                f"sandbox: {method} {target} -> {record.status} {record.fault or ''}".rstrip(),
                file=sys.stderr,
                flush=True,
            )
        return outcome.reply, outcome.drop, outcome.delay

    def apply_control(self, data: Any) -> None:
        """What POST /_sandbox/control does: any of now, advance_days, advance_hours,
        advance_minutes, faults (replaces all faults), reset_rate_limits, delay (seconds,
        `[low, high]`, or null to switch it off)."""
        apply_control(self, data)
