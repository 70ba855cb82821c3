"""congestion.py: requests in flight after 429s and answers, the waits, the give-up, on a clock
the test moves (no test here waits for real)."""

from __future__ import annotations

import threading

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.polygon.congestion import Congestion

WAIT_SECONDS = 10.0  # a thread not done in this long means the test is broken


class Clock:
    """Seconds the test sets; nothing moves it but the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def storm_waits(congestion: Congestion, clock: Clock, count: int) -> list[float]:
    """The waits of `count` 429s in a row, each met once the wait before it is over."""
    waits = []
    for _ in range(count):
        wait = congestion.rate_limited(None)
        waits.append(wait)
        clock.now += wait
    return waits


def test_a_429_leaves_one_request_in_flight_and_each_answer_one_more_up_to_the_limit(
    clock: Clock,
) -> None:
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)
    assert congestion.limit == 10

    congestion.rate_limited(None)
    assert congestion.limit == 1
    limits = []
    for _ in range(12):
        congestion.answered()
        limits.append(congestion.limit)
    assert limits == [2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10]
    congestion.rate_limited(None)
    assert congestion.limit == 1


def test_without_retry_after_the_wait_doubles_from_a_second_up_to_a_minute(clock: Clock) -> None:
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)

    assert storm_waits(congestion, clock, 9) == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_on_the_free_plans_pace_the_first_wait_is_a_slot_of_12_s(clock: Clock) -> None:
    congestion = Congestion(requests_per_minute=5, max_concurrent_requests=1, clock=clock)

    assert storm_waits(congestion, clock, 5) == [12, 24, 48, 60, 60]


def test_429s_of_requests_sent_before_the_wait_share_it_and_do_not_double_it(
    clock: Clock,
) -> None:
    """Ten requests in flight meet 429 together: one wait, which each of them sees end at the
    same moment; the next 429, after it, doubles it."""
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)

    assert congestion.rate_limited(None) == 1.0
    clock.now += 0.25
    assert [congestion.rate_limited(None) for _ in range(9)] == [0.75] * 9
    clock.now += 0.75
    assert congestion.rate_limited(None) == 2.0


def test_retry_after_is_honoured_up_to_five_minutes_and_leaves_the_doubling_alone(
    clock: Clock,
) -> None:
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)

    assert congestion.rate_limited(7.0) == 7.0
    clock.now += 7.0
    assert congestion.rate_limited(3600.0) == 300.0
    clock.now += 300.0
    assert congestion.rate_limited(None) == 1.0


def test_the_next_storm_starts_from_the_wait_that_let_a_request_through(clock: Clock) -> None:
    """1, 2, 4 s, then an answer: the next 429 waits 4 s (the API's window was that long),
    then 8; after a minute of requests without 429 it starts over from 1 s."""
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)
    assert storm_waits(congestion, clock, 3) == [1, 2, 4]
    congestion.answered()

    assert storm_waits(congestion, clock, 2) == [4, 8]
    congestion.answered()
    clock.now += 59.0
    assert congestion.rate_limited(None) == 8.0
    clock.now += 8.0
    congestion.answered()
    clock.now += 60.0
    assert congestion.rate_limited(None) == 1.0


def gave_up(congestion: Congestion) -> AirbyteTracedException:
    with pytest.raises(AirbyteTracedException) as raised:
        congestion.rate_limited(None)
    return raised.value


def test_a_429_ten_minutes_after_the_start_without_an_answer_ends_the_sync(
    clock: Clock,
) -> None:
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)
    clock.now += 599.0
    congestion.rate_limited(None)
    clock.now += 1.0

    error = gave_up(congestion)

    assert error.failure_type == FailureType.transient_error
    assert error.message == (
        "The API answered every request with 429 (rate limit) for 10 minutes, so the sync "
        "stopped; everything read so far is saved, and the next sync resumes there. Set "
        "requests_per_minute (now 6000) to the plan's limit, lower max_concurrent_requests "
        "(now 10), or stop other programs using the same API key."
    )


def test_the_ten_minutes_count_from_the_last_answer_not_from_the_start(clock: Clock) -> None:
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)
    clock.now += 500.0
    congestion.answered()
    clock.now += 599.0  # 1099 s after the start, 599 s after the answer

    assert congestion.rate_limited(None) == 1.0
    clock.now += 1.0
    gave_up(congestion)


def test_after_the_give_up_no_request_leaves_and_every_429_says_the_same(clock: Clock) -> None:
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)
    clock.now += 600.0
    first = gave_up(congestion)

    with pytest.raises(AirbyteTracedException) as raised, congestion.sending():
        pass  # never reached
    assert raised.value.message == first.message == gave_up(congestion).message


def test_after_a_429_a_second_request_leaves_only_when_the_first_is_answered(
    clock: Clock,
) -> None:
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)
    congestion.rate_limited(None)
    clock.now += 1.0  # the wait is over
    events: list[str] = []
    first_out = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with congestion.sending():
            events.append("first out")
            first_out.set()
            release_first.wait(WAIT_SECONDS)
            events.append("first answered")
            congestion.answered()

    def second() -> None:
        first_out.wait(WAIT_SECONDS)
        with congestion.sending():
            events.append("second out")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_out.wait(WAIT_SECONDS)
    release_first.set()
    for thread in threads:
        thread.join(WAIT_SECONDS)

    assert events == ["first out", "first answered", "second out"]


def test_a_request_sleeps_a_429s_wait_once_before_it_leaves(
    clock: Clock, sleeps: list[float]
) -> None:
    """The wait is slept by each request that would leave during it (time.sleep, recorded by
    the unit tests' fixture), once."""
    congestion = Congestion(requests_per_minute=6000, max_concurrent_requests=10, clock=clock)
    congestion.rate_limited(None)
    clock.now += 0.25

    with congestion.sending():
        pass

    assert sleeps == [0.75]
