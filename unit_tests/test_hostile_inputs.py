"""Hostile configs and states, generated: wrong types, missing fields, huge or negative numbers,
odd tickers, dates far past and future, state for tickers not configured, corrupt state.

Each must end in a clear `config_error` (or, for a harmless state, a clean recovery): never a
traceback, never a hang. In-process and offline: `parse_config`, the price stream's state (as
the source validates it) with the plan's first pages, and `run.run([...])` for a handful of
generated cases.
"""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from source_stock_ticker_api.config import StockTickerConfig, parse_config
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.polygon.stream import Access
from source_stock_ticker_api.prices.saved_state import validate_state
from source_stock_ticker_api.prices.slices import TickerPage
from source_stock_ticker_api.prices.stream import PriceStream
from source_stock_ticker_api.prices.sync import PriceSync
from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import (
    LATE_EVENING_NY,
    command_line,
    run_cli,
)

pytestmark = pytest.mark.now(LATE_EVENING_NY)
TODAY = date(2024, 3, 11)
# Derandomized: CI must be repeatable. The examples vary with the code, not with the run.
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# -- values -----------------------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
far_dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)
odd_date_text = st.sampled_from(
    ["2024-1-2", "2024-02-30", "20240102", "2024-01-02T00:00:00Z", " 2024-01-02", "0000-01-01",
     "1969-12-31", "1970-01-01", "9999-12-31", "२०२४-०१-०२", ""]
)  # fmt: skip
dates = st.one_of(far_dates, odd_date_text, junk)
tickers = st.one_of(
    st.sampled_from(["AAPL", "brk.a", " msft ", "BRK/A", "A" * 41, "", "AAPL\n", "../../etc"]),
    st.text(alphabet=string.printable + "éÅ٠", max_size=12),
    junk,
)
# URLs that parse_config rejects or accepts; the ones that crash it are pinned below.
api_urls = st.one_of(
    st.sampled_from(
        ["http://127.0.0.1:9", "https://api.polygon.io/", "ftp://x", "http://", "localhost",
         "http://u:p@127.0.0.1:9", "http://127.0.0.1:9/?apiKey=x", "http://127.0.0.1:9#f", ""]
    ),
    st.text(alphabet=string.ascii_letters + ":/.", max_size=20),
    junk,
)  # fmt: skip
numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, 1, 5, 300, 301, 6000, 6001, 10_000, 10_001, True, 1.5, "60"]),
    junk,
)

FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "api_key": st.one_of(st.just(API_KEY), st.text(max_size=10), junk),
    "tickers": st.one_of(st.lists(tickers, max_size=4), junk),
    "stock_ticker": tickers,
    "start_date": dates,
    "end_date": dates,
    "timespan": st.one_of(st.sampled_from(["day", "hour", "minute", "DAY", "days", "tick"]), junk),
    "multiplier": numbers,
    "adjusted": st.one_of(st.booleans(), st.sampled_from(["true", 0, 1]), junk),
    "api_url": api_urls,
    "requests_per_minute": numbers,
    "request_timeout_seconds": numbers,
}


@st.composite
def hostile_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid config with some fields replaced by hostile values and some removed."""
    config = ConfigBuilder().build()
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=4)):
        if draw(st.booleans()):
            config[name] = draw(FIELDS[name])
        else:
            config.pop(name, None)
    return config


def is_config_error(error: BaseException) -> bool:
    return (
        isinstance(error, AirbyteTracedException)
        and error.failure_type == FailureType.config_error
        and error.message is not None
        and error.message != ""
        and "Traceback" not in error.message
    )


# -- parse_config -----------------------------------------------------------------------------


@SETTINGS
@given(config=hostile_configs())
@example(config={"api_key": API_KEY, "tickers": ["AAPL"], "start_date": "0001-01-01"})
@example(config={"api_key": API_KEY, "tickers": ["AAPL"], "end_date": "9999-12-31"})
@example(config={"api_key": API_KEY, "tickers": ["AAPL"], "end_date": "0001-01-02"})
@example(config={"api_key": API_KEY, "tickers": ["AAPL"], "multiplier": 10**40})
@example(config={"api_key": API_KEY, "tickers": [None]})
@example(config={})
def test_any_config_is_either_valid_or_one_config_error(config: dict[str, Any]) -> None:
    try:
        parsed = parse_config(config)
    except Exception as error:  # noqa: BLE001 - the property is about every exception
        assert is_config_error(error), f"{type(error).__name__}: {error}"
        # The key never appears in what the user is told.
        assert API_KEY not in str(getattr(error, "message", ""))
        return
    assert isinstance(parsed, StockTickerConfig)
    assert parsed.tickers and parsed.start_date <= parsed.end_date <= TODAY
    assert 1 <= parsed.requests_per_minute <= 6000
    assert 1 <= parsed.request_timeout_seconds <= 300


@pytest.mark.parametrize("api_url", ["http://[::1", "http://[not-an-ip]/", "http://]:9"])
def test_an_unparsable_api_url_is_a_config_error(api_url: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(ConfigBuilder().with_api_url(api_url).build())
    assert raised.value.failure_type == FailureType.config_error


@pytest.mark.parametrize("api_url", ["http://127.0.0.1:99999", "http://127.0.0.1:abc"])
def test_an_api_url_with_a_bad_port_is_a_config_error(api_url: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(ConfigBuilder().with_api_url(api_url).build())
    assert raised.value.failure_type == FailureType.config_error


# -- state ------------------------------------------------------------------------------------

# From 1900: cursors in year 1 hit the bug pinned by test_a_cursor_in_year_one_is_harmless.
aware_instants = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]
    ),
)
cursor_values = st.one_of(
    aware_instants.map(lambda d: d.isoformat()),
    aware_instants.map(lambda d: d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.datetimes().map(lambda d: d.isoformat()),  # naive: not one we wrote
    st.sampled_from(["0001-01-01T00:00:00Z", "0001-01-01T00:00:00-12:00"]),  # hour bars: fine
    st.sampled_from(["2024-03-01", "yesterday", "", "2024-03-01T00:00:00+25:00", "NaN"]),
    junk,
)
ticker_entries = st.one_of(
    st.fixed_dictionaries({"timestamp": cursor_values}),
    st.fixed_dictionaries({"timestamp": cursor_values, "extra": junk}),
    st.fixed_dictionaries({"date": cursor_values}),
    junk,
)
state_keys = st.one_of(st.sampled_from(["AAPL", "MSFT", "ZZZZ", "aapl", "date"]), st.text())


@st.composite
def hostile_states(draw: st.DrawFn) -> Any:
    return draw(
        st.one_of(
            st.dictionaries(state_keys, ticker_entries, max_size=4),
            st.fixed_dictionaries({"date": st.one_of(far_dates, odd_date_text, junk)}),
            junk,
        )
    )


def stream(timespan: str = "hour") -> PriceStream:
    config = parse_config(
        ConfigBuilder()
        .with_tickers("AAPL", "MSFT")
        .with_dates("2024-01-02", "2024-03-11")
        .with_timespan(timespan)
        .build()
    )
    return PriceStream(STOCKS, Access(config, authenticator=None))  # type: ignore[arg-type]


def slices_for(state: Any, timespan: str) -> list[dict[str, Any]]:
    """The first page of each ticker, for a state that passed the source's check."""
    validate_state(state, "stock_prices")
    prices = stream(timespan)
    prices.state = state
    sync = prices.start_read(SyncMode.incremental)
    assert isinstance(sync, PriceSync)
    return [
        {"ticker": page.ticker, "from": page.start, "to": page.end}
        for chain in sync.plan.first_pages()
        for head in chain
        if isinstance(page := head.request, TickerPage)
    ]


@SETTINGS
@given(state=hostile_states(), timespan=st.sampled_from(["minute", "hour", "day", "month"]))
@example(state={"AAPL": {"timestamp": "0001-01-01T00:00:00+14:00"}}, timespan="hour")
@example(state={"AAPL": {"timestamp": "9999-12-31T23:59:59-12:00"}}, timespan="month")
@example(state={"ZZZZ": {"timestamp": "2024-03-01T05:00:00Z"}}, timespan="hour")
@example(state={"date": "9999-12-31"}, timespan="day")
def test_any_state_is_either_resumed_from_or_one_config_error(state: Any, timespan: str) -> None:
    try:
        slices = slices_for(state, timespan)
    except Exception as error:  # noqa: BLE001 - the property is about every exception
        assert is_config_error(error), f"{type(error).__name__}: {error}"
        assert "Reset" in str(getattr(error, "message", ""))
        return
    start, end = datetime(2024, 1, 2).date(), datetime(2024, 3, 11).date()
    for piece in slices:
        assert piece["ticker"] in ("AAPL", "MSFT")
        first = (
            datetime.fromtimestamp(int(piece["from"]) / 1000, timezone.utc).date()
            if piece["from"].isdigit()
            else date.fromisoformat(piece["from"])
        )
        assert start - timedelta(days=1) <= first <= date.fromisoformat(piece["to"]) <= end


@pytest.mark.parametrize("timespan", ["day", "week", "month"])
def test_a_cursor_in_year_one_is_harmless(timespan: str) -> None:
    slices = slices_for({"AAPL": {"timestamp": "0001-01-01T00:00:00+14:00"}}, timespan)
    assert [s["ticker"] for s in slices][:1] == ["AAPL"]


def test_a_legacy_state_at_the_first_day_of_year_one_is_harmless() -> None:
    slices = slices_for({"date": "0001-01-01"}, "day")
    assert [s["ticker"] for s in slices] == ["AAPL", "MSFT"]


# -- the console script, end to end in-process -------------------------------------------------

EMPTY_PAGE = {"ticker": "AAPL", "queryCount": 0, "resultsCount": 0, "status": "OK"}


def _run_read(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], config: dict[str, Any], state: Any = None
) -> tuple[Any, list[Any]]:
    args = command_line("read", tmp_path, config, state=state)
    with rm.Mocker() as mock:
        mock.get(rm.ANY, json=EMPTY_PAGE)
        result = run_cli(args, capfd)
    return result, mock.request_history


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(config=hostile_configs())
@example(config={"api_key": API_KEY, "tickers": ["AAPL"], "multiplier": -1})
def test_read_with_a_hostile_config_is_a_config_error_or_a_clean_sync(
    config: dict[str, Any], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    try:
        parse_config(config)
        valid = True
    except AirbyteTracedException:
        valid = False
    result, requests_made = _run_read(tmp_path, capfd, config)
    assert "Traceback" not in "\n".join(result.logs())
    assert API_KEY not in result.stdout
    # parse_config lets null stand for a default; the spec's JSON schema may still refuse it.
    if valid and result.exit_code == 0:
        assert result.errors == []
    else:
        assert result.exit_code == 1
        ((failure_type, message),) = result.errors
        assert failure_type == FailureType.config_error and message
        assert requests_made == []  # refused before any request


STATE_CASES: list[tuple[Any, bool]] = [
    # (state file, harmless?)
    ({"AAPL": {"timestamp": "2024-03-01T05:00:00Z"}}, True),  # legacy-shaped, per ticker
    ({"stock_prices": {"ZZZZ": {"timestamp": "2024-03-01T05:00:00Z"}}}, True),  # not configured
    ({"stock_prices": {"date": "2024-03-01"}}, True),  # the tutorial's state
    ({"stock_prices": {"date": "9999-12-31"}}, True),
    ({"stock_prices": {"AAPL": {"timestamp": "9999-12-31T23:59:59Z"}}}, True),
    ({"stock_prices": {"AAPL": {"timestamp": "yesterday"}}}, False),
    ({"stock_prices": {"AAPL": {"timestamp": 1709272800000}}}, False),
    ({"stock_prices": {"AAPL": "2024-03-01"}}, False),
    ({"stock_prices": {"date": "March 1st"}}, False),
    (
        [
            {
                "type": "STREAM",
                "stream": {
                    "stream_descriptor": {"name": "stock_prices"},
                    "stream_state": {"AAPL": {"timestamp": "2024-03-01T00:00:00"}},
                },
            }
        ],
        False,
    ),
]


@pytest.mark.parametrize(("state", "harmless"), STATE_CASES)
def test_read_with_a_hostile_state_is_a_config_error_or_a_clean_recovery(
    state: Any, harmless: bool, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    config = ConfigBuilder().with_api_url("http://127.0.0.1:9").build()
    result, requests_made = _run_read(tmp_path, capfd, config, state)
    assert API_KEY not in result.stdout
    if harmless:
        assert "Traceback" not in "\n".join(result.logs())
        assert result.exit_code == 0, result.errors
        assert result.errors == []
    else:
        assert result.exit_code != 0
        errors = result.errors
        assert errors and {failure_type for failure_type, _ in errors} == {FailureType.config_error}
        assert "Reset" in errors[0][1]
        assert requests_made == []


def test_a_corrupt_state_is_reported_without_a_stack_trace(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    config = ConfigBuilder().with_api_url("http://127.0.0.1:9").build()
    state = {"stock_prices": {"AAPL": {"timestamp": "yesterday"}}}
    result, _ = _run_read(tmp_path, capfd, config, state)
    assert "Traceback" not in "\n".join(result.logs())


@pytest.mark.parametrize(
    "content",
    [
        "null",
        "",
        "{",
        "[1, 2",
        "42",
        '"a string"',
        "[{}]",
        '[{"type": "NOPE"}]',
    ],
)
def test_an_unreadable_state_file_is_a_config_error_not_a_traceback(
    content: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    config = ConfigBuilder().with_api_url("http://127.0.0.1:9").build()
    state_path = tmp_path / "state.json"
    state_path.write_text(content)
    args = command_line("read", tmp_path, config, state=state_path)
    with rm.Mocker() as mock:
        mock.get(rm.ANY, json=EMPTY_PAGE)
        try:
            result = run_cli(args, capfd)
        except Exception as error:  # noqa: BLE001
            pytest.fail(f"{type(error).__name__} escaped: {error}")
    errors = result.errors
    if result.exit_code == 0:
        # A state file that says nothing (empty, null) is a first sync.
        assert errors == []
    else:
        assert errors and errors[0][0] == FailureType.config_error


# -- secrets in errors from deep inside the HTTP stack ------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "failure_type", "deep_text"),
    [
        # Connection refused, retried: the message names the exception class only.
        ("http://127.0.0.1:9", FailureType.transient_error, "(ConnectionError)"),
        # Invalid port: requests' InvalidURL quotes the whole URL. Pinned as a bug above: once
        # fixed, the config check refuses it first (config_error, nothing deep to leak).
        ("http://127.0.0.1:99999", FailureType.system_error, "Failed to parse: http://127.0"),
    ],
)
def test_an_error_from_deep_in_the_http_stack_never_carries_the_key(
    api_url: str,
    failure_type: FailureType,
    deep_text: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """requests/urllib3 put the whole URL (query included) in their messages; the key must not
    be in any of it. Runs the real HTTP stack, no mock; the retries' sleeps are not slept."""
    config = ConfigBuilder().with_api_url(api_url).build()
    args = command_line("read", tmp_path, config)
    try:
        result = run_cli(args, capfd)
    except Exception as error:  # noqa: BLE001 - a traceback is part of what must not leak
        pytest.fail(f"{type(error).__name__} escaped run(): {error}")
    assert result.exit_code == 1
    for line in result.stdout.splitlines():
        assert API_KEY not in line
    errors = result.errors
    # The stream's own error first (transient: the API could not be reached), then the CDK's
    # summary, which the CDK always types config_error.
    if errors[0][0] == FailureType.config_error and "api_url" in errors[0][1]:
        return  # the bad-port bug is fixed: refused before any request
    assert errors[0][0] == failure_type
    assert deep_text in result.stdout
