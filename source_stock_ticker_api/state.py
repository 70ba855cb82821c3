"""The saved state of `stock_prices`: one cursor per ticker, checked before any request.

`{"AAPL": {"timestamp": "<UTC start of the last complete bar>"}, ...}`, or the tutorial's
`{"date": "YYYY-MM-DD"}`. A state this connector did not write is the user's to reset: it becomes a
config_error that says so, never a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from source_stock_ticker_api.bars import to_ms
from source_stock_ticker_api.config import ConfigError

RESET_ADVICE = "Reset the stock_prices stream to start over from start_date."


def state_timestamp(value: Any) -> int:
    """Unix ms of a saved cursor."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return to_ms(moment)
    raise ConfigError(
        f"The saved state holds {value!r} where a UTC timestamp such as 2024-01-02T05:00:00Z "
        f"belongs. {RESET_ADVICE}"
    )


def legacy_date(value: Any) -> date:
    """The tutorial's `date`: the last day it had read."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            f"The saved state has date {value!r}, not a YYYY-MM-DD date. {RESET_ADVICE}"
        ) from None


def validate_state(value: Any) -> None:
    """Raises ConfigError unless `value` is a state this connector (or the tutorial) wrote."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"The saved state for stock_prices is not a JSON object. {RESET_ADVICE}")
    for ticker, entry in value.items():
        if ticker == "date":
            legacy_date(entry)
        elif not isinstance(entry, Mapping) or "timestamp" not in entry:
            raise ConfigError(
                f"The saved state for ticker {ticker!r} is {entry!r}, not "
                f'{{"timestamp": "..."}}. {RESET_ADVICE}'
            )
        else:
            state_timestamp(entry["timestamp"])
