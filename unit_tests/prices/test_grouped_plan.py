"""planner.py: which days are read grouped, for which tickers, and what that costs."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from source_stock_ticker_api.markets import is_nyse_trading_day
from source_stock_ticker_api.prices.grouped_plan import Plan, last_final_day, plan_reads

# Tuesday 2024-03-05, 21:00 in New York: that day's session is over.
TUESDAY_EVENING = datetime(2024, 3, 6, 2, 0, tzinfo=timezone.utc)
TUESDAY = date(2024, 3, 5)
# Tuesday 2024-03-05, 11:00 in New York: that day is still in session.
TUESDAY_MORNING = datetime(2024, 3, 5, 16, 0, tzinfo=timezone.utc)
TWO_YEARS_AGO = date(2022, 3, 7)


def tickers(count: int, prefix: str = "T") -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(count)]


def test_twenty_tickers_one_day_behind_take_one_grouped_request() -> None:
    pending = dict.fromkeys(tickers(20), TUESDAY)
    plan = plan_reads(pending, TUESDAY, TUESDAY_EVENING)
    assert plan == Plan(days=(TUESDAY,), grouped=pending, per_ticker=())
    assert plan.requests == 1
    assert plan.describe() == (
        "Plan: 1 grouped-daily request (2024-03-05) for 20 tickers, 0 per-ticker requests: "
        "1 request in all."
    )


def test_a_two_year_backfill_of_three_tickers_reads_each_ticker_once() -> None:
    pending = dict.fromkeys(["AAPL", "MSFT", "TSLA"], TWO_YEARS_AGO)
    plan = plan_reads(pending, TUESDAY, TUESDAY_EVENING)
    assert plan == Plan(per_ticker=("AAPL", "MSFT", "TSLA"))
    assert plan.requests == 3
    assert plan.describe() == (
        "Plan: 0 grouped-daily requests for 0 tickers, 3 per-ticker requests (AAPL, MSFT, TSLA): "
        "3 requests in all."
    )


def test_new_tickers_are_read_per_ticker_and_the_others_grouped() -> None:
    behind = dict.fromkeys(tickers(17), TUESDAY)
    new = dict.fromkeys(["NEW1", "NEW2", "NEW3"], TWO_YEARS_AGO)
    plan = plan_reads({**behind, **new}, TUESDAY, TUESDAY_EVENING)
    assert plan == Plan(days=(TUESDAY,), grouped=behind, per_ticker=("NEW1", "NEW2", "NEW3"))
    assert plan.requests == 4
    assert plan.describe() == (
        "Plan: 1 grouped-daily request (2024-03-05) for 17 tickers, 3 per-ticker requests "
        "(NEW1, NEW2, NEW3): 4 requests in all."
    )


def test_the_log_line_names_a_span_of_days_and_at_most_five_tickers() -> None:
    behind = dict.fromkeys(tickers(40), date(2024, 2, 29))  # Thursday: 4 trading days
    new = dict.fromkeys(tickers(7, "N"), TWO_YEARS_AGO)
    plan = plan_reads({**behind, **new}, TUESDAY, TUESDAY_EVENING)
    assert plan.days == (date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 4), TUESDAY)
    assert plan.describe() == (
        "Plan: 4 grouped-daily requests (2024-02-29 to 2024-03-05) for 40 tickers, 7 per-ticker "
        "requests (N00, N01, N02, N03, N04 and 2 more): 11 requests in all."
    )


def test_each_grouped_day_names_the_tickers_whose_range_holds_it() -> None:
    pending = {"AAPL": date(2024, 3, 4), "MSFT": TUESDAY, "TSLA": date(2024, 3, 4)}
    plan = plan_reads(pending, TUESDAY, TUESDAY_EVENING)
    assert plan.days == (date(2024, 3, 4), TUESDAY)
    assert plan.tickers_on(date(2024, 3, 4)) == ["AAPL", "TSLA"]
    assert plan.tickers_on(TUESDAY) == ["AAPL", "MSFT", "TSLA"]


def test_a_day_still_in_session_is_left_to_the_next_sync() -> None:
    pending = dict.fromkeys(tickers(20), date(2024, 3, 4))  # Monday and Tuesday pending
    plan = plan_reads(pending, TUESDAY, TUESDAY_MORNING)
    assert plan.days == (date(2024, 3, 4),)
    assert plan.forming == TUESDAY
    assert plan.describe() == (
        "Plan: 1 grouped-daily request (2024-03-04) for 20 tickers, 0 per-ticker requests: "
        "1 request in all. 2024-03-05 has not closed yet: the first sync after 20:00 New York "
        "time reads it for the tickers read grouped."
    )


def test_tickers_with_only_the_forming_day_pending_cost_nothing() -> None:
    pending = dict.fromkeys(tickers(3), TUESDAY)
    plan = plan_reads(pending, TUESDAY, TUESDAY_MORNING)
    assert plan == Plan(grouped=pending, forming=TUESDAY)
    assert plan.requests == 0


def test_a_weekend_with_nothing_to_read_costs_nothing() -> None:
    saturday_noon = datetime(2024, 3, 9, 17, 0, tzinfo=timezone.utc)
    pending = dict.fromkeys(tickers(3), date(2024, 3, 9))
    plan = plan_reads(pending, date(2024, 3, 9), saturday_noon)
    assert plan == Plan(grouped=pending)
    assert plan.describe() == (
        "Plan: 0 grouped-daily requests for 3 tickers, 0 per-ticker requests: 0 requests in all."
    )


def test_on_a_tie_the_ticker_is_read_per_ticker() -> None:
    plan = plan_reads({"AAPL": TUESDAY}, TUESDAY, TUESDAY_EVENING)
    assert plan == Plan(per_ticker=("AAPL",))


def test_sessions_end_at_eight_in_the_evening_in_new_york() -> None:
    assert last_final_day(datetime(2024, 3, 6, 0, 59, tzinfo=timezone.utc)) == date(2024, 3, 4)
    assert last_final_day(datetime(2024, 3, 6, 1, 0, tzinfo=timezone.utc)) == TUESDAY
    # Summer time: 20:00 New York is 00:00 UTC.
    assert last_final_day(datetime(2024, 7, 10, 0, 0, tzinfo=timezone.utc)) == date(2024, 7, 9)


def _cheapest(pending: dict[str, date], end: date, last_final: date) -> int:
    """The fewest requests over every set of tickers read grouped, by brute force."""
    best = len(pending)
    for size in range(1, len(pending) + 1):
        for chosen in combinations(pending, size):
            first = min(pending[ticker] for ticker in chosen)
            days = [
                first + timedelta(days=i)
                for i in range((min(end, last_final) - first).days + 1)
                if is_nyse_trading_day(first + timedelta(days=i))
            ]
            best = min(best, len(days) + len(pending) - size)
    return best


@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=7))
def test_the_shortest_ranges_first_split_is_the_cheapest_of_all_splits(
    days_behind: list[int],
) -> None:
    pending = {f"T{i}": TUESDAY - timedelta(days=behind) for i, behind in enumerate(days_behind)}
    plan = plan_reads(pending, TUESDAY, TUESDAY_EVENING)
    assert plan.requests == _cheapest(pending, TUESDAY, TUESDAY)
    assert set(plan.grouped) | set(plan.per_ticker) == set(pending)
    assert all(plan.grouped[t] >= pending[p] for t in plan.grouped for p in plan.per_ticker)
