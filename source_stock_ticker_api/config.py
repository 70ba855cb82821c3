"""The user's configuration, validated once into a typed object.

Every problem becomes an Airbyte `config_error` that names the field, so `check` reports it as a
failed connection and `discover`/`read` as a TRACE error, never as a traceback. Bounds, defaults
and choices come from spec.yaml, the one place they are written.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import yaml
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api import clock
from source_stock_ticker_api.bars import DAY_MS, fixed_bar_ms
from source_stock_ticker_api.markets import MARKETS, NEW_YORK, unknown_prefix


def _spec_properties() -> Mapping[str, Any]:
    text = resources.files(__package__).joinpath("spec.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["connectionSpecification"]["properties"])


SPEC_PROPERTIES = _spec_properties()
# The spec lists null among the choices (null means the default); the timespans are the rest.
TIMESPANS: tuple[str, ...] = tuple(t for t in SPEC_PROPERTIES["timespan"]["enum"] if t is not None)
DEFAULT_API_URL: str = SPEC_PROPERTIES["api_url"]["default"]
# One year back: inside the free plan's history (about two years), so the default never gets a 403.
DEFAULT_HISTORY_DAYS = 365
EARLIEST_DATE = date(1970, 1, 1)
# Real keys are 32 characters. Shorter ones are refused before use, and kept out of the log
# filter, which would otherwise mask every occurrence of, say, "0" in the output. Longer ones
# than the maximum are refused too: the API answers a header that long with HTTP 431, which no
# retry can help.
MIN_KEY_LENGTH: int = SPEC_PROPERTIES["api_key"]["minLength"]
MAX_KEY_LENGTH: int = SPEC_PROPERTIES["api_key"]["maxLength"]
TICKER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.:\-]{0,39}$")
# The spec's own pattern: strptime alone would also take 2024-1-2, which the spec then rejects
# with a message that does not name the field.
DATE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ConfigError(AirbyteTracedException):
    """A configuration the user must fix."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message=message, internal_message=message, failure_type=FailureType.config_error
        )


@dataclass(frozen=True)
class StockTickerConfig:
    api_key: str
    tickers: tuple[str, ...]
    start_date: date
    end_date: date
    timespan: str
    multiplier: int
    adjusted: bool
    api_url: str
    requests_per_minute: int
    request_timeout_seconds: int
    max_concurrent_requests: int


def today_in_new_york() -> date:
    return clock.now().astimezone(NEW_YORK).date()


def parse_config(raw: Mapping[str, Any]) -> StockTickerConfig:
    """Validate a raw config mapping; raise ConfigError naming the first bad field."""
    today = today_in_new_york()
    end_date = _date_field(raw, "end_date", today)
    if end_date > today:
        raise ConfigError(
            f"end_date {end_date} is in the future (today is {today} in New York). "
            "Leave it empty to read up to today."
        )
    if end_date < EARLIEST_DATE:
        raise ConfigError(f"end_date {end_date} is before {EARLIEST_DATE}: no bars exist then.")
    start_date = _date_field(raw, "start_date", end_date - timedelta(days=DEFAULT_HISTORY_DAYS))
    if start_date > end_date:
        raise ConfigError(f"start_date {start_date} is after end_date {end_date}.")
    if start_date < EARLIEST_DATE:
        raise ConfigError(f"start_date {start_date} is before {EARLIEST_DATE}: no bars exist then.")

    timespan = _field(raw, "timespan")
    if timespan not in TIMESPANS:
        raise ConfigError(f"timespan {timespan!r} is not one of: {', '.join(TIMESPANS)}.")
    multiplier = _multiplier(raw, timespan)

    return StockTickerConfig(
        api_key=_api_key(raw),
        tickers=_tickers(raw),
        start_date=start_date,
        end_date=end_date,
        timespan=timespan,
        multiplier=multiplier,
        adjusted=_bool_field(raw, "adjusted"),
        api_url=_api_url(raw),
        requests_per_minute=_int_field(raw, "requests_per_minute"),
        request_timeout_seconds=_int_field(raw, "request_timeout_seconds"),
        max_concurrent_requests=_int_field(raw, "max_concurrent_requests"),
    )


def _field(raw: Mapping[str, Any], field: str) -> Any:
    """The field's value, or its spec default when absent or null (as the UI leaves it)."""
    value = raw.get(field)
    return SPEC_PROPERTIES[field]["default"] if value is None else value


def _api_key(raw: Mapping[str, Any]) -> str:
    key = raw.get("api_key")
    if key is not None and not isinstance(key, str):
        raise ConfigError(
            f"api_key must be a string (in quotes), got a JSON {json_type(key)}: paste your "
            'Polygon.io / Massive.com API key as text, e.g. "api_key": "AbC123...".'
        )
    if not isinstance(key, str) or not key.strip():
        raise ConfigError("api_key is missing: paste your Polygon.io / Massive.com API key.")
    if len(key.strip()) > MAX_KEY_LENGTH:
        raise ConfigError(
            f"api_key is {len(key.strip())} characters long, more than a key can be (at most "
            f"{MAX_KEY_LENGTH}; Polygon.io / Massive.com keys are 32): paste the key alone."
        )
    if any(ch.isspace() for ch in key.strip()) or not key.strip().isprintable():
        raise ConfigError("api_key contains spaces or control characters: paste the key alone.")
    if not key.isascii():
        # A header carries only latin-1, and a key only letters and digits: a pasted curly
        # quote or a euro sign would otherwise fail deep inside the HTTP library.
        raise ConfigError(
            "api_key contains characters a key never has (such as a curly quote or €): "
            "paste the key alone, as the dashboard shows it."
        )
    if len(key.strip()) < MIN_KEY_LENGTH:
        raise ConfigError(
            "api_key is too short to be a Polygon.io / Massive.com key (they are 32 characters): "
            "paste the whole key."
        )
    return key.strip()


def _tickers(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """`tickers`, or the tutorial's single `stock_ticker`; upper-cased and deduplicated."""
    values: list[Any]
    if raw.get("tickers") is not None:
        if not isinstance(raw["tickers"], list):
            raise ConfigError('tickers must be a list of symbols, e.g. ["AAPL", "MSFT"].')
        values = list(raw["tickers"])
        field = "tickers"
    elif raw.get("stock_ticker") is not None:
        values = [raw["stock_ticker"]]
        field = "stock_ticker"
    else:
        raise ConfigError('No ticker configured: set tickers, e.g. ["AAPL", "MSFT"].')
    if not values:
        raise ConfigError('tickers is empty: list at least one symbol, e.g. ["AAPL"].')
    tickers: list[str] = []
    for value in values:
        symbol = value.strip().upper() if isinstance(value, str) else None
        if symbol is None or not TICKER_PATTERN.match(symbol):
            raise ConfigError(
                f"{field} has a malformed symbol {value!r}: use letters, digits, '.', ':' or '-', "
                "e.g. AAPL or BRK.A."
            )
        prefix = unknown_prefix(symbol)
        if prefix is not None:
            known = ", ".join(f"{m.prefix} {m.name}" for m in MARKETS if m.prefix)
            raise ConfigError(
                f"{field} has {symbol!r}, whose prefix {prefix} names no market. Write a US stock "
                f"without a prefix (AAPL), or use one of these prefixes: {known} "
                "(e.g. X:BTCUSD)."
            )
        if symbol not in tickers:
            tickers.append(symbol)
    return tuple(tickers)


def _multiplier(raw: Mapping[str, Any], timespan: str) -> int:
    """`multiplier`, refusing second/minute/hour bars of a day or more.

    The API lines such bars up with each request's start rather than with midnight, so the bars
    of one sync would not match those of the next (see bars.py).
    """
    multiplier = _int_field(raw, "multiplier")
    unit_ms = fixed_bar_ms(timespan, 1)
    if unit_ms and multiplier * unit_ms >= DAY_MS:
        per_day = DAY_MS // unit_ms
        raise ConfigError(
            f"multiplier {multiplier} with timespan {timespan} makes bars of a day or more, "
            f"which the API does not align from one request to the next: use a multiplier "
            f"below {per_day} for {timespan} bars, or timespan day for daily bars."
        )
    return multiplier


def _date_field(raw: Mapping[str, Any], field: str, default: date) -> date:
    value = raw.get(field)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ConfigError(f"{field} must be a date written YYYY-MM-DD, got {value!r}.")
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d").date() if DATE_PATTERN.match(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ConfigError(f"{field} {value!r} is not a valid date written YYYY-MM-DD.")
    return parsed


def _int_field(raw: Mapping[str, Any], field: str) -> int:
    value = _field(raw, field)
    low, high = SPEC_PROPERTIES[field]["minimum"], SPEC_PROPERTIES[field]["maximum"]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{field} must be a whole number from {low} to {high}, got {value!r}.")
    return value


def _bool_field(raw: Mapping[str, Any], field: str) -> bool:
    value = _field(raw, field)
    if not isinstance(value, bool):
        raise ConfigError(f"{field} must be true or false, got {value!r}.")
    return value


def _api_url(raw: Mapping[str, Any]) -> str:
    value = raw.get("api_url") or DEFAULT_API_URL
    if not isinstance(value, str):
        raise ConfigError(f"api_url must be a URL such as {DEFAULT_API_URL}.")
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port outside 0-65535
    except ValueError:
        raise ConfigError(f"api_url is not a valid URL such as {DEFAULT_API_URL}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"api_url is not an http(s) URL such as {DEFAULT_API_URL}.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            "api_url must be a plain base URL with no query, fragment or credentials, "
            f"such as {DEFAULT_API_URL}."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"api_url {value.strip()} uses http://, which would send the API key unencrypted: "
            "use https://. Plain http is accepted only for this machine (localhost, 127.0.0.1), "
            "where the sandbox runs."
        )
    return value.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def json_type(value: Any) -> str:
    """The JSON name of a value's type, as the user wrote it: number, list, object..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names: dict[type, str] = {list: "list", dict: "object", str: "string"}
    return names.get(type(value), type(value).__name__)


def unknown_fields(raw: Mapping[str, Any]) -> list[str]:
    """Fields the spec does not know (a typo such as start_dat), which are otherwise ignored;
    the CDK's own keys (`_limit`...) are not the user's."""
    return [key for key in raw if key not in SPEC_PROPERTIES and not key.startswith("_")]
