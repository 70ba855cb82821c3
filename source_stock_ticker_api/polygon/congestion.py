"""How many requests go out after the API says 429, how long they wait, and when a sync gives up.

The client-side pace (pacing.py) keeps to `requests_per_minute`; a 429 means the API counts
otherwise (a plan below that pace, another program on the same key, a window we cannot see).
Then, as TCP does on congestion, requests in flight fall back to one and grow again by one per
answered request, up to `max_concurrent_requests` (additive increase, multiplicative decrease).
No request leaves before a 429's wait is over, whichever thread sends it. Without Retry-After
the wait doubles with each 429 met after a wait, from a slot of the pace (at least a second) up
to a minute, the API's window; the wait that let a request through is where the next storm
starts, and a minute without 429 starts over. Retry-After is honoured as given (up to five
minutes). A 429 met ten minutes after the last answered request
(or the start) ends the sync: every page written is saved, and the message says what to change.

One Congestion serves every stream of a sync (the API counts the key's requests). Its clock is
injected, so the policy is tested on a clock the test moves.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.messages import rate_limit_gave_up_message
from source_stock_ticker_api.polygon import pacing

# The shortest first wait after a 429 without Retry-After: a slot of a fast pace (6000 a minute
# give 10 ms) says nothing about the API's window.
FIRST_WAIT_SECONDS = 1.0
# The longest wait without Retry-After: the API's window is a minute.
LONGEST_WAIT_SECONDS = 60.0
# The longest Retry-After honoured.
LONGEST_RETRY_AFTER_SECONDS = 300.0
# A sync ends at a 429 met this long after the last answered request (or the start).
GIVE_UP_MINUTES = 10
GIVE_UP_SECONDS = GIVE_UP_MINUTES * 60.0

Clock = Callable[[], float]


def seconds() -> float:
    """The waits' clock, time.monotonic; the unit tests move it by the sleeps they record."""
    return time.monotonic()


class Congestion:
    """The requests in flight allowed now, the shared wait after a 429, and the give-up."""

    def __init__(
        self, requests_per_minute: int, max_concurrent_requests: int, clock: Clock | None = None
    ) -> None:
        self._pace = requests_per_minute
        self._most = max_concurrent_requests
        self._clock: Clock = clock or (lambda: seconds())
        self._changed = threading.Condition()
        self._limit = max_concurrent_requests  # requests allowed in flight now
        self._in_flight = 0
        self._next_wait = self._last_wait = self._first_wait()  # without Retry-After
        self._storm = False  # a 429 came, and no answer since
        self._last_429 = -math.inf
        self._paused_until = 0.0  # clock() before which no request leaves
        self._last_answer = self._clock()  # the last answered request, or the start
        self._gave_up: str | None = None  # the message, once a sync has given up

    @property
    def limit(self) -> int:
        """How many requests may be in flight now."""
        with self._changed:
            return self._limit

    @contextmanager
    def sending(self) -> Iterator[None]:
        """Holds a place among the requests in flight while one request goes out; waits first
        for a 429's wait to end and for a place. After a give-up, no request leaves."""
        slept_until = 0.0  # the end of the wait this request slept, once
        with self._changed:
            while True:
                self._raise_if_gave_up()
                until = self._paused_until
                pause = until - self._clock()
                if until > slept_until and pause > 0:
                    self._changed.release()  # others may note answers while this one sleeps
                    try:
                        time.sleep(pause)
                    finally:
                        self._changed.acquire()
                    slept_until = until
                elif self._in_flight < self._limit:
                    break
                else:
                    self._changed.wait()
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def answered(self) -> None:
        """The API answered a request (not 429): one more request may be in flight. The first
        answer after a 429 makes the wait that let it through the next storm's first wait."""
        with self._changed:
            self._last_answer = self._clock()
            self._limit = min(self._most, self._limit + 1)
            if self._storm:
                self._storm = False
                self._next_wait = self._last_wait
            self._changed.notify_all()

    def rate_limited(self, retry_after: float | None) -> float:
        """The API answered 429: one request in flight, and the seconds until the next may
        leave (Retry-After, or the doubling wait), shared by every request.

        A 429 answered during a wait was sent before it: the storm is the same one, and the
        wait does not double again. A minute of requests without 429 (waits not counted)
        starts over from the first wait.
        Raises the sync's error ten minutes after the last answered request.
        """
        with self._changed:
            now = self._clock()
            self._raise_if_gave_up()
            if now - self._last_answer >= GIVE_UP_SECONDS:
                self._gave_up = rate_limit_gave_up_message(GIVE_UP_MINUTES, self._pace, self._most)
                self._changed.notify_all()
                self._raise_if_gave_up()
            self._limit = 1
            if now - max(self._last_429, self._paused_until) >= LONGEST_WAIT_SECONDS:
                self._next_wait = self._first_wait()
            self._last_429, self._storm = now, True
            if retry_after is not None:
                wait = min(retry_after, LONGEST_RETRY_AFTER_SECONDS)
            elif now < self._paused_until:
                wait = 0.0  # the wait already set holds it
            else:
                wait = self._last_wait = self._next_wait
                self._next_wait = min(2 * wait, LONGEST_WAIT_SECONDS)
            self._paused_until = max(self._paused_until, now + wait)
            return self._paused_until - now

    def _first_wait(self) -> float:
        """A slot of the pace, at least FIRST_WAIT_SECONDS."""
        return max(pacing.API_WINDOW.total_seconds() / self._pace, FIRST_WAIT_SECONDS)

    def _raise_if_gave_up(self) -> None:
        if self._gave_up is not None:
            raise AirbyteTracedException(
                message=self._gave_up,
                internal_message="Rate limited (429) for too long.",
                failure_type=FailureType.transient_error,
            )
