"""Every run of the behaviour corpus, declared as data.

Each scenario is one command of the connector against a fresh sandbox (seed 1): its config
(fields over BASE_CONFIG, the sandbox's URL added), the streams of its catalog and their sync
modes, its state file, both clocks, and the sandbox's faults and keys. Dates are fixed, so every
run is the same run; ranges are short, so expected/ stays small and the corpus quick.

Comparison: ORDERED (the default) compares every output line and request in order. IN_FLIGHT,
for the scenarios with `max_concurrent_requests` above 1, whose tickers' pages are written as
they arrive: each ticker's records and requests in order, the number of STATE messages and each
stream's final state, each stream's first ESTIMATE and last row estimate, and the multiset of
every other line (runner.py, `_in_flight_sections`, says what is left out and why). Every
scenario names its comparison; `Scenario` refuses an IN_FLIGHT one without requests in flight,
and the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from polygon_sandbox import FREE_HISTORY_DAYS, Faults, Plan

Command = Literal["spec", "check", "discover", "read"]
FULL = "full_refresh"
INCREMENTAL = "incremental"

UNLIMITED_KEY = "sandbox-unlimited-key"
STOCKS_ONLY_KEY = "sandbox-stocks-only-key"
# A key the sandbox does not know: 401.
WRONG_KEY = "corpus-wrong-key-0000"
# The free plan's two years of history without its 5 requests a minute, so the run never
# waits for a rate window.
FREE_HISTORY_KEY = "corpus-free-history-key"
# Thirty days of history: a grouped day older than that is refused (403).
SHORT_HISTORY_KEY = "corpus-short-history-key"
CORPUS_KEYS: Mapping[str, Plan] = {
    FREE_HISTORY_KEY: Plan(history_days=FREE_HISTORY_DAYS),
    SHORT_HISTORY_KEY: Plan(history_days=30),
}

# What every config holds unless the scenario says otherwise: no client-side pacing to wait
# for, one request at a time (pages in the order given). The runner adds `api_url`.
BASE_CONFIG: Mapping[str, Any] = {
    "api_key": UNLIMITED_KEY,
    "requests_per_minute": 6000,
    "max_concurrent_requests": 1,
}

# The clocks (UTC). New York is UTC-5 until Sunday 2024-03-10, UTC-4 after.
# Saturday 2024-03-09, 12:00 in New York: every bar of the week before is final.
SATURDAY = "2024-03-09T17:00:00Z"
# Tuesday 2024-03-12, 17:30 in New York: the regular session is over, the day's bar still
# forming (the extended session runs to 20:00).
TUESDAY_AFTER_CLOSE = "2024-03-12T21:30:00Z"
# Tuesday 2024-03-12, 21:00 in New York: the day's bar is final.
TUESDAY_NIGHT = "2024-03-13T01:00:00Z"
# Tuesday 2024-03-12, 04:20 in New York: twenty minutes into the pre-market.
TUESDAY_PREMARKET = "2024-03-12T08:20:00Z"
# Tuesday 2024-03-12, 06:00 in New York: two hours of minute bars.
TUESDAY_EARLY = "2024-03-12T10:00:00Z"
# Two minutes later: a 5-minute bar has started and is still forming.
TUESDAY_EARLY_FORMING = "2024-03-12T10:02:00Z"
# Monday 2026-11-23, 16:30 in New York: the acceptance tests' "now", for reference data.
MONDAY_2026 = "2026-11-23T21:30:00Z"
# Tuesday 2026-09-01, 17:30 in New York, for incremental dividends and splits.
SEPTEMBER_2026 = "2026-09-01T21:30:00Z"

PER_MARKET = ["AAPL", "X:BTCUSD", "C:EURUSD", "I:SPX", "O:AAPL261218C00250000"]
# Twelve stocks, among them an OTC one (TCEHY) and bars without vw/n.
TWELVE = [
    "AAPL",
    "MSFT",
    "GOOGL",
    "AMZN",
    "NVDA",
    "TSLA",
    "META",
    "SPY",
    "TCEHY",
    "MNF",
    "TYP",
    "LCJ",
]
DAY_SETTINGS = {"timespan": "day", "multiplier": 1, "adjusted": True}


class Comparison(Enum):
    """How a run's output is compared with expected/ (see the module docstring)."""

    ORDERED = "ordered"
    IN_FLIGHT = "in_flight"


@dataclass(frozen=True)
class Scenario:
    """One run: a command with its files, both clocks, and the sandbox's behaviour."""

    name: str
    about: str  # what the run shows, said once in expected/<name>.txt
    command: Command
    now: str  # the sandbox's clock, and the connector's unless connector_now says otherwise
    config: Mapping[str, Any] | None = field(default_factory=dict)  # None: no --config
    streams: Mapping[str, str] = field(default_factory=dict)  # the catalog: name -> sync mode
    state: Any = None  # written as JSON to --state; None: no --state
    state_text: str | None = None  # the --state file's exact text, when it is not JSON
    connector_now: str | None = None  # STOCK_TICKER_API_NOW, when not `now`
    faults: Faults | None = None
    keys: Mapping[str, Plan] = field(default_factory=lambda: CORPUS_KEYS)  # besides the defaults
    rate_window_seconds: float = 60.0
    comparison: Comparison = Comparison.ORDERED

    def __post_init__(self) -> None:
        """Output in a fixed order only with one request at a time: the comparison says so."""
        in_flight = (self.config or {}).get("max_concurrent_requests", 1) > 1
        if in_flight != (self.comparison is Comparison.IN_FLIGHT):
            raise ValueError(
                f"{self.name}: requests in flight need the IN_FLIGHT comparison, and only they"
            )


def price_state(
    cursors: Mapping[str, str], settings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A price stream's state as the connector writes it: bar settings, one cursor per ticker."""
    return {
        "bar_settings": dict(settings or DAY_SETTINGS),
        **{ticker: {"timestamp": at} for ticker, at in cursors.items()},
    }


def state_messages(**streams: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A state file as a list of STATE messages, one per stream (integration_tests/
    sample_state.json's shape)."""
    return [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": name}, "stream_state": dict(state)},
        }
        for name, state in streams.items()
    ]


def same_cursor(tickers: list[str], at: str) -> dict[str, Any]:
    """Every ticker at the same cursor, as after a sync that read them all up to one bar."""
    return price_state(dict.fromkeys(tickers, at))


SCENARIOS: tuple[Scenario, ...] = (
    # -- spec, discover, check ------------------------------------------------------------
    Scenario("spec", "the connector's specification", "spec", SATURDAY, config=None),
    Scenario(
        "discover",
        "every stream, whatever the tickers",
        "discover",
        SATURDAY,
        config={"tickers": ["AAPL"]},
    ),
    Scenario(
        "check_ok_stocks",
        "one request for one bar at start_date",
        "check",
        SATURDAY,
        config={"tickers": ["AAPL", "MSFT"], "start_date": "2024-03-01"},
    ),
    Scenario(
        "check_ok_every_market",
        "one request per market configured",
        "check",
        "2026-11-20T21:30:00Z",
        config={"tickers": PER_MARKET + ["MSFT"], "start_date": "2026-11-02"},
    ),
    Scenario(
        "check_wrong_key",
        "a key the API rejects (401)",
        "check",
        SATURDAY,
        config={"api_key": WRONG_KEY, "tickers": ["AAPL"], "start_date": "2024-03-01"},
    ),
    Scenario(
        "check_market_not_in_plan",
        "a stocks-only plan with a crypto ticker: the market is named",
        "check",
        SATURDAY,
        config={
            "api_key": STOCKS_ONLY_KEY,
            "tickers": ["AAPL", "X:BTCUSD"],
            "start_date": "2024-03-01",
        },
    ),
    Scenario(
        "check_multiplier_zero",
        "a field out of bounds, refused before any request",
        "check",
        SATURDAY,
        config={"tickers": ["AAPL"], "multiplier": 0},
    ),
    Scenario(
        "check_unknown_prefix",
        "a ticker prefix that names no market",
        "check",
        SATURDAY,
        config={"tickers": ["AAPL", "Z:FOO"]},
    ),
    Scenario(
        "check_no_tickers",
        "a config without tickers",
        "check",
        SATURDAY,
        config={"start_date": "2024-03-01"},
    ),
    # -- price streams, every market ------------------------------------------------------
    Scenario(
        "stocks_daily_full_refresh",
        "two tickers, per ticker, today's bar still forming",
        "read",
        TUESDAY_AFTER_CLOSE,
        config={"tickers": ["AAPL", "MSFT"], "start_date": "2024-03-01"},
        streams={"stock_prices": FULL},
    ),
    Scenario(
        "stocks_5_minute_incremental",
        "5-minute bars of a pre-market: the forming bar emitted, the cursor before it",
        "read",
        TUESDAY_EARLY_FORMING,
        config={
            "tickers": ["MSFT"],
            "start_date": "2024-03-12",
            "timespan": "minute",
            "multiplier": 5,
        },
        streams={"stock_prices": INCREMENTAL},
    ),
    Scenario(
        "stocks_4_hour_two_pages",
        "limit counts minutes: 53 trading days of 4-hour bars take 2 pages",
        "read",
        SATURDAY,
        config={
            "tickers": ["AAPL"],
            "start_date": "2023-12-20",
            "end_date": "2024-03-08",
            "timespan": "hour",
            "multiplier": 4,
        },
        streams={"stock_prices": INCREMENTAL},
    ),
    Scenario(
        "stocks_second_bars",
        "second bars of the first twenty minutes of a pre-market",
        "read",
        TUESDAY_PREMARKET,
        config={"tickers": ["AAPL"], "start_date": "2024-03-12", "timespan": "second"},
        streams={"stock_prices": INCREMENTAL},
    ),
    Scenario(
        "crypto_daily_incremental",
        "crypto days include the weekend, in UTC",
        "read",
        TUESDAY_AFTER_CLOSE,
        config={"tickers": ["X:BTCUSD"], "start_date": "2024-03-04"},
        streams={"crypto_prices": INCREMENTAL},
    ),
    Scenario(
        "crypto_hour_full_refresh",
        "a Saturday of crypto hour bars",
        "read",
        "2024-03-10T03:00:00Z",
        config={
            "tickers": ["X:ETHUSD"],
            "start_date": "2024-03-09",
            "end_date": "2024-03-09",
            "timespan": "hour",
        },
        streams={"crypto_prices": FULL},
    ),
    Scenario(
        "forex_daily_incremental",
        "forex days: nothing on Saturday, Sunday evening's bar",
        "read",
        TUESDAY_AFTER_CLOSE,
        config={"tickers": ["C:EURUSD", "C:USDJPY"], "start_date": "2024-03-01"},
        streams={"forex_prices": INCREMENTAL},
    ),
    Scenario(
        "forex_30_minute_full_refresh",
        "Friday's 30-minute forex bars up to 22:00 UTC",
        "read",
        SATURDAY,
        config={
            "tickers": ["C:EURUSD"],
            "start_date": "2024-03-08",
            "end_date": "2024-03-08",
            "timespan": "minute",
            "multiplier": 30,
        },
        streams={"forex_prices": FULL},
    ),
    Scenario(
        "index_daily_incremental",
        "index bars: no volume, VWAP or trade count; no `adjusted` sent",
        "read",
        TUESDAY_NIGHT,
        config={"tickers": ["I:SPX", "I:NDX"], "start_date": "2024-03-04"},
        streams={"index_prices": INCREMENTAL},
    ),
    Scenario(
        "index_hour_full_refresh",
        "index hour bars of one regular session",
        "read",
        TUESDAY_NIGHT,
        config={"tickers": ["I:SPX"], "start_date": "2024-03-12", "timespan": "hour"},
        streams={"index_prices": FULL},
    ),
    Scenario(
        "option_minute_incremental",
        "an option's sparse minute bars of one session",
        "read",
        "2026-11-20T22:00:00Z",
        config={
            "tickers": ["O:SPY261218P00600000"],
            "start_date": "2026-11-20",
            "timespan": "minute",
        },
        streams={"option_prices": INCREMENTAL},
    ),
    # -- the grouped-daily planner --------------------------------------------------------
    Scenario(
        "grouped_two_days_behind",
        "twelve tickers two days behind: two grouped requests",
        "read",
        TUESDAY_NIGHT,
        config={"tickers": TWELVE, "start_date": "2024-02-01"},
        streams={"stock_prices": INCREMENTAL},
        state=state_messages(stock_prices=same_cursor(TWELVE, "2024-03-08T05:00:00Z")),
    ),
    Scenario(
        "grouped_and_per_ticker",
        "nine tickers a day behind read grouped; one far behind and two new, per ticker",
        "read",
        TUESDAY_NIGHT,
        config={"tickers": TWELVE, "start_date": "2024-02-26"},
        streams={"stock_prices": INCREMENTAL},
        state=state_messages(
            stock_prices={
                **same_cursor(TWELVE[:10], "2024-03-11T04:00:00Z"),
                "TCEHY": {"timestamp": "2024-02-27T05:00:00Z"},
            }
        ),
    ),
    Scenario(
        "grouped_fresh_backfill_per_ticker",
        "a fresh backfill of three tickers: one request each, not one a day; today's bar, "
        "still forming, emitted, the cursors left on yesterday's",
        "read",
        TUESDAY_AFTER_CLOSE,
        config={"tickers": ["AAPL", "NVDA", "TCEHY"], "start_date": "2024-02-20"},
        streams={"stock_prices": INCREMENTAL},
    ),
    Scenario(
        "grouped_day_refused",
        "a grouped day older than the plan's history: 403 for every ticker of that day",
        "read",
        TUESDAY_NIGHT,
        config={
            "api_key": SHORT_HISTORY_KEY,
            "tickers": TWELVE[:4],
            "start_date": "2024-01-02",
            "end_date": "2024-01-10",
        },
        streams={"stock_prices": INCREMENTAL},
        state=state_messages(stock_prices=same_cursor(TWELVE[:4], "2024-01-08T05:00:00Z")),
    ),
    # -- state files ----------------------------------------------------------------------
    Scenario(
        "state_carried_over",
        "the state of an earlier sync (messages of three streams) resumes each ticker",
        "read",
        TUESDAY_NIGHT,
        config={"tickers": ["AAPL", "MSFT", "X:BTCUSD", "I:SPX"], "start_date": "2024-02-01"},
        streams={
            "stock_prices": INCREMENTAL,
            "crypto_prices": INCREMENTAL,
            "index_prices": INCREMENTAL,
        },
        state=state_messages(
            stock_prices=price_state(
                {"AAPL": "2024-03-07T05:00:00Z", "MSFT": "2024-03-11T04:00:00Z"}
            ),
            crypto_prices=price_state({"X:BTCUSD": "2024-03-10T00:00:00Z"}),
            index_prices=price_state({"I:SPX": "2024-03-08T05:00:00Z"}),
        ),
    ),
    Scenario(
        "incremental_nothing_new_saturday",
        "every cursor on Friday's bar, a Saturday: no request",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL", "MSFT"], "start_date": "2024-03-01", "timespan": "day"},
        streams={"stock_prices": INCREMENTAL},
        state={"stock_prices": same_cursor(["AAPL", "MSFT"], "2024-03-08T05:00:00Z")},
    ),
    Scenario(
        "legacy_date_state",
        "the tutorial's stock_ticker and its state {'date': ...}",
        "read",
        SATURDAY,
        config={"stock_ticker": "AAPL", "start_date": "2024-02-26"},
        streams={"stock_prices": INCREMENTAL},
        state={"stock_prices": {"date": "2024-03-05"}},
    ),
    Scenario(
        "state_other_bar_settings",
        "a state of hour bars for a daily sync: config_error asking for a reset",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL"], "start_date": "2024-03-01"},
        streams={"stock_prices": INCREMENTAL},
        state={
            "stock_prices": price_state(
                {"AAPL": "2024-03-07T20:00:00Z"},
                settings={"timespan": "hour", "multiplier": 1, "adjusted": True},
            )
        },
    ),
    Scenario(
        "state_garbage",
        "a cursor that is not a timestamp: config_error",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL"], "start_date": "2024-03-01"},
        streams={"stock_prices": INCREMENTAL},
        state={"stock_prices": {"AAPL": {"timestamp": "yesterday"}, "MSFT": 42}},
    ),
    Scenario(
        "state_not_json",
        "a state file that is not JSON",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL"], "start_date": "2024-03-01"},
        streams={"stock_prices": INCREMENTAL},
        state_text='{"stock_prices": {"AAPL": ',
    ),
    # -- refusals -------------------------------------------------------------------------
    Scenario(
        "refused_market_in_read",
        "a stocks-only plan: the stock is read, the crypto pair refused",
        "read",
        SATURDAY,
        config={
            "api_key": STOCKS_ONLY_KEY,
            "tickers": ["AAPL", "X:BTCUSD"],
            "start_date": "2024-03-04",
        },
        streams={"stock_prices": INCREMENTAL, "crypto_prices": INCREMENTAL},
    ),
    Scenario(
        "refused_ticker_mid_sync",
        "MSFT refused at its second page: its first saved, NVDA read, one config_error",
        "read",
        SATURDAY,
        config={
            "tickers": ["MSFT", "NVDA"],
            "start_date": "2023-12-20",
            "end_date": "2024-03-08",
            "timespan": "hour",
            "multiplier": 12,
        },
        streams={"stock_prices": INCREMENTAL},
        faults=Faults(forbid_ticker="MSFT", forbid_after=1),
    ),
    Scenario(
        "read_wrong_key",
        "a key the API rejects, in a read (401)",
        "read",
        SATURDAY,
        config={"api_key": WRONG_KEY, "tickers": ["AAPL", "MSFT"], "start_date": "2024-03-04"},
        streams={"stock_prices": INCREMENTAL},
    ),
    # -- reference streams ----------------------------------------------------------------
    Scenario(
        "reference_tickers",
        "the tickers of each market of the config (stocks, otc, crypto; none for options)",
        "read",
        MONDAY_2026,
        config={"tickers": ["AAPL", "X:BTCUSD", "O:AAPL261218C00250000"]},
        streams={"tickers": FULL},
    ),
    Scenario(
        "reference_ticker_details",
        "one request per ticker, a warning for an unknown one, options skipped",
        "read",
        MONDAY_2026,
        config={"tickers": ["AAPL", "NOSUCH", "C:EURUSD", "O:AAPL261218C00250000"]},
        streams={"ticker_details": FULL},
    ),
    Scenario(
        "reference_dividends_splits_full_refresh",
        "dividends and splits of three tickers since 2024 (NVDA's 10:1 split)",
        "read",
        MONDAY_2026,
        config={"tickers": ["AAPL", "NVDA", "MSFT"], "start_date": "2024-01-02"},
        streams={"dividends": FULL, "splits": FULL},
    ),
    Scenario(
        "reference_dividends_splits_incremental",
        "a 30-day look-back, a ticker with a new dividend read again (factor refresh), and a "
        "ticker added later read from start_date",
        "read",
        SEPTEMBER_2026,
        config={"tickers": ["AAPL", "MSFT", "SPY", "NVDA"], "start_date": "2025-06-02"},
        streams={"dividends": INCREMENTAL, "splits": INCREMENTAL},
        state=state_messages(
            dividends={
                ticker: {"ex_dividend_date": "2026-06-05"} for ticker in ("AAPL", "MSFT", "SPY")
            },
            splits={ticker: {"execution_date": "2026-06-05"} for ticker in ("AAPL", "MSFT")},
        ),
    ),
    Scenario(
        "reference_market_holidays",
        "the coming year's holidays and early closes",
        "read",
        MONDAY_2026,
        config={"tickers": ["AAPL"]},
        streams={"market_holidays": FULL},
    ),
    Scenario(
        "reference_dividends_free_plan_edge",
        "start_date beyond the free plan's two years: the two years read, then config_error",
        "read",
        MONDAY_2026,
        config={
            "api_key": FREE_HISTORY_KEY,
            "tickers": ["AAPL", "MSFT"],
            "start_date": "2022-01-03",
        },
        streams={"dividends": INCREMENTAL},
    ),
    Scenario(
        "several_streams_at_once",
        "prices of three markets (an option's trading days among them) and three reference "
        "streams in one sync",
        "read",
        "2026-11-20T22:00:00Z",
        config={
            "tickers": ["AAPL", "X:BTCUSD", "O:AAPL261218C00250000"],
            "start_date": "2026-11-16",
        },
        streams={
            "stock_prices": INCREMENTAL,
            "crypto_prices": FULL,
            "option_prices": INCREMENTAL,
            "ticker_details": FULL,
            "splits": INCREMENTAL,
            "market_holidays": FULL,
        },
    ),
    # -- faults, one request at a time (each retry sleeps its backoff for real) ----------
    Scenario(
        "fault_429_retry_after",
        "the second request meets the rate limit with Retry-After: 1, waits, retries",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL", "MSFT"], "start_date": "2024-03-04"},
        streams={"stock_prices": INCREMENTAL},
        faults=Faults(rate_limit=1, retry_after=True),
        # One request a second: the retry, a second later, is let through.
        rate_window_seconds=1.0,
    ),
    Scenario(
        "fault_502_then_success",
        "a gateway error, retried after 1 s",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL", "MSFT"], "start_date": "2024-03-04"},
        streams={"stock_prices": INCREMENTAL},
        faults=Faults(error_schedule=[2]),
    ),
    Scenario(
        "fault_truncated_body",
        "a 200 with half its JSON body, retried",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL"], "start_date": "2024-03-04"},
        streams={"stock_prices": INCREMENTAL},
        faults=Faults(truncate_schedule=[1]),
    ),
    Scenario(
        "fault_dropped_connection",
        "a connection closed without an answer, retried",
        "read",
        SATURDAY,
        config={"tickers": ["AAPL"], "start_date": "2024-03-04"},
        streams={"stock_prices": INCREMENTAL},
        faults=Faults(drop_schedule=[1]),
    ),
    # -- requests in flight ---------------------------------------------------------------
    Scenario(
        "in_flight_daily_six_tickers",
        "six tickers' backfills, four requests in flight",
        "read",
        TUESDAY_NIGHT,
        config={
            "tickers": TWELVE[:6],
            "start_date": "2024-02-26",
            "max_concurrent_requests": 4,
        },
        streams={"stock_prices": INCREMENTAL},
        comparison=Comparison.IN_FLIGHT,
    ),
    Scenario(
        "in_flight_minute_two_tickers",
        "two tickers' minute bars, four requests in flight",
        "read",
        TUESDAY_EARLY,
        config={
            "tickers": ["AAPL", "MSFT"],
            "start_date": "2024-03-12",
            "timespan": "minute",
            "max_concurrent_requests": 4,
        },
        streams={"stock_prices": INCREMENTAL},
        comparison=Comparison.IN_FLIGHT,
    ),
)

_NAMES = [scenario.name for scenario in SCENARIOS]
if len(set(_NAMES)) != len(_NAMES):
    raise ValueError(f"scenario names repeat: {sorted(n for n in _NAMES if _NAMES.count(n) > 1)}")
