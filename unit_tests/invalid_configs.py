"""Invalid configs and the exact message each gets, for `parse_config` and the CLI commands alike.

The dates in the messages assume "today" is 2024-03-11 in New York (helpers.LATE_EVENING_NY).
"""

from __future__ import annotations

from typing import Any

import pytest

# (config change, exact message): each message names the field the user must fix.
_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "end before start",
        {"start_date": "2024-03-11", "end_date": "2024-03-01"},
        "start_date 2024-03-11 is after end_date 2024-03-01.",
    ),
    (
        "future end date",
        {"end_date": "2024-03-12"},
        "end_date 2024-03-12 is in the future (today is 2024-03-11 in New York). "
        "Leave it empty to read up to today.",
    ),
    (
        "future start date",
        {"start_date": "2099-01-01", "end_date": None},
        "start_date 2099-01-01 is after end_date 2024-03-11.",
    ),
    (
        "start before 1970",
        {"start_date": "1969-12-31"},
        "start_date 1969-12-31 is before 1970-01-01: no bars exist then.",
    ),
    (
        "unparsable start date",
        {"start_date": "yesterday"},
        "start_date 'yesterday' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "impossible end date",
        {"end_date": "2024-02-30"},
        "end_date '2024-02-30' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "date without zero padding",
        {"start_date": "2024-3-1"},
        "start_date '2024-3-1' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "date with slashes",
        {"start_date": "2024/03/01"},
        "start_date '2024/03/01' is not a valid date written YYYY-MM-DD.",
    ),
    (
        "date as a number",
        {"end_date": 20240311},
        "end_date must be a date written YYYY-MM-DD, got 20240311.",
    ),
    (
        "unknown timespan",
        {"timespan": "minutes"},
        "timespan 'minutes' is not one of: second, minute, hour, day, week, month, quarter, year.",
    ),
    (
        "multiplier 0",
        {"multiplier": 0},
        "multiplier must be a whole number from 1 to 10000, got 0.",
    ),
    (
        "multiplier as text",
        {"multiplier": "5"},
        "multiplier must be a whole number from 1 to 10000, got '5'.",
    ),
    (
        "multiplier as boolean",
        {"multiplier": True},
        "multiplier must be a whole number from 1 to 10000, got True.",
    ),
    (
        "no ticker",
        {"tickers": None},
        'No ticker configured: set tickers, e.g. ["AAPL", "MSFT"].',
    ),
    (
        "empty ticker list",
        {"tickers": []},
        'tickers is empty: list at least one symbol, e.g. ["AAPL"].',
    ),
    (
        "tickers as a string",
        {"tickers": "AAPL,MSFT"},
        'tickers must be a list of symbols, e.g. ["AAPL", "MSFT"].',
    ),
    (
        "malformed ticker",
        {"tickers": ["AAPL", "AA PL"]},
        "tickers has a malformed symbol 'AA PL': use letters, digits, '.', ':' or '-', "
        "e.g. AAPL or BRK.A.",
    ),
    (
        "ticker that is not a string",
        {"tickers": [42]},
        "tickers has a malformed symbol 42: use letters, digits, '.', ':' or '-', "
        "e.g. AAPL or BRK.A.",
    ),
    (
        "malformed legacy ticker",
        {"tickers": None, "stock_ticker": "$AAPL"},
        "stock_ticker has a malformed symbol '$AAPL': use letters, digits, '.', ':' or '-', "
        "e.g. AAPL or BRK.A.",
    ),
    (
        "adjusted as text",
        {"adjusted": "false"},
        "adjusted must be true or false, got 'false'.",
    ),
    (
        "adjusted as number",
        {"adjusted": 0},
        "adjusted must be true or false, got 0.",
    ),
    (
        "api_url without scheme",
        {"api_url": "api.polygon.io"},
        "api_url is not an http(s) URL such as https://api.polygon.io.",
    ),
    (
        "api_url with another scheme",
        {"api_url": "ftp://127.0.0.1"},
        "api_url is not an http(s) URL such as https://api.polygon.io.",
    ),
    (
        "api_url with a query",
        {"api_url": "http://127.0.0.1:8999?apiKey=abc"},
        "api_url must be a plain base URL with no query, fragment or credentials, "
        "such as https://api.polygon.io.",
    ),
    (
        "api_url with credentials",
        {"api_url": "http://user:pass@127.0.0.1:8999"},
        "api_url must be a plain base URL with no query, fragment or credentials, "
        "such as https://api.polygon.io.",
    ),
    (
        "api_url not a string",
        {"api_url": 8999},
        "api_url must be a URL such as https://api.polygon.io.",
    ),
    (
        "missing api key",
        {"api_key": None},
        "api_key is missing: paste your Polygon.io / Massive.com API key.",
    ),
    (
        "blank api key",
        {"api_key": "   "},
        "api_key is missing: paste your Polygon.io / Massive.com API key.",
    ),
    (
        "api key with a space inside",
        {"api_key": "abc def"},
        "api_key contains spaces or control characters: paste the key alone.",
    ),
    (
        "requests per minute too high",
        {"requests_per_minute": 6001},
        "requests_per_minute must be a whole number from 1 to 6000, got 6001.",
    ),
    (
        "timeout 0",
        {"request_timeout_seconds": 0},
        "request_timeout_seconds must be a whole number from 1 to 300, got 0.",
    ),
]

# (changes, message) pytest params, named after the case.
INVALID_CONFIGS = [pytest.param(changes, message, id=name) for name, changes, message in _CASES]
