"""The client-side pace: the API's minute with a margin, the `check` request counted, waits said.

Built on the CDK's HttpAPIBudget and MovingWindowCallRatePolicy (pyrate-limiter underneath). The
CDK's HTTP session calls `acquire_call` before every request, retries included, and sleeps there
until the window has room: the one place a sync waits for the pace.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

from airbyte_cdk.sources.streams.call_rate import (
    CallRateLimitHit,
    HttpAPIBudget,
    MovingWindowCallRatePolicy,
    Rate,
)

API_WINDOW = timedelta(minutes=1)
# The API counts a request when it arrives, we when we send it. The margin covers a first request
# slower to arrive than a later one (a new connection's TCP and TLS handshakes), clocks of
# millisecond (ours) or whole-second granularity, and network jitter. 2 s is several round trips
# to the API; it costs a paced sync 2 s a window (3% of a minute).
WINDOW_MARGIN = timedelta(seconds=2)
# Shorter waits are not seen by a person; at a high pace they would be a line per request.
SHORTEST_WAIT_TO_LOG_SECONDS = 1.0
CHECK_REQUEST = "the connection check made just before the sync"

logger = logging.getLogger("airbyte")


class PacedBudget(HttpAPIBudget):
    """At most `requests_per_minute` calls in any 62 s, counting one call made just before.

    Airbyte runs `check` (one request per market configured, in another process) right before
    each sync, so the window starts with those calls in it. A read started without a check
    loses those slots.
    A 429 is left to the error handler and congestion.py, which honour Retry-After and share
    the wait: by default the budget would also mark the whole window as spent and wait it out,
    whatever Retry-After says.
    """

    def __init__(self, requests_per_minute: int, check_requests: int = 1) -> None:
        policy = MovingWindowCallRatePolicy(
            rates=[Rate(limit=requests_per_minute, interval=API_WINDOW + WINDOW_MARGIN)],
            matchers=[],
        )
        super().__init__(policies=[policy], status_codes_for_ratelimit_hit=[])
        self._requests_per_minute = requests_per_minute
        # The check makes one request per market configured.
        policy.try_acquire(CHECK_REQUEST, weight=min(check_requests, requests_per_minute))

    def acquire_call(self, request: Any, block: bool = True, timeout: float | None = None) -> None:
        """As the CDK's, and says once how long a blocking call will wait for the pace,
        before it waits."""
        if block:
            try:
                super().acquire_call(request, block=False)
                return
            except CallRateLimitHit as hit:
                self._say_wait(hit.time_to_wait.total_seconds())
        super().acquire_call(request, block=block, timeout=timeout)

    def _say_wait(self, seconds: float) -> None:
        if seconds < SHORTEST_WAIT_TO_LOG_SECONDS:
            return
        pace = self._requests_per_minute
        requests = "request" if pace == 1 else "requests"
        logger.info(
            f"Waiting {math.ceil(seconds)} s for the API's rate limit ({pace} {requests} a minute)."
        )
