"""The saved state of each price stream, checked once per read, before any request.

`{"bar_settings": {"timespan": "day", "multiplier": 1, "adjusted": true},
"AAPL": {"timestamp": "<UTC start of the last complete bar>"}, ...}`, or the tutorial's
`{"date": "YYYY-MM-DD"}`. `bar_settings` names the bars the cursors were read with: a cursor of
minute bars means nothing for daily bars. It cannot collide with a ticker, which is upper case.
A state without it (written before it existed) is taken to match the configuration. A state this
connector did not write is the user's to reset: it becomes a config_error that says so, never a
stack trace.

The source validates every price stream's state when it loads the state file (`validate_state`)
and checks the bar settings of each incremental one against the configuration
(`check_bar_settings`): the streams then take their state as valid (cursors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from source_stock_ticker_api.bars import to_ms
from source_stock_ticker_api.config import TIMESPANS, ConfigError, StockTickerConfig
from source_stock_ticker_api.messages import reset_advice

SETTINGS_KEY = "bar_settings"
_SETTING_NAMES = ("timespan", "multiplier", "adjusted")


def state_timestamp(value: Any, stream: str) -> int:
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
        f"belongs. {reset_advice(stream)}"
    )


def legacy_date(value: Any, stream: str) -> date:
    """The tutorial's `date`: the last day it had read."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            f"The saved state has date {value!r}, not a YYYY-MM-DD date. {reset_advice(stream)}"
        ) from None


def bar_settings(config: StockTickerConfig) -> dict[str, Any]:
    """The settings that decide which bars a cursor points into, as the state records them."""
    return {
        "timespan": config.timespan,
        "multiplier": config.multiplier,
        "adjusted": config.adjusted,
    }


def describe_bars(settings: Mapping[str, Any]) -> str:
    """Bar settings in words: "1-minute split-adjusted bars"."""
    adjusted = "split-adjusted" if settings["adjusted"] else "unadjusted"
    return f"{settings['multiplier']}-{settings['timespan']} {adjusted} bars"


def check_bar_settings(
    saved: Mapping[str, Any] | None, config: StockTickerConfig, stream: str
) -> None:
    """Raises ConfigError when the saved cursors were read with other bar settings.

    Resuming from them would skip history (a minute cursor is far past the last daily bar read)
    and put two kinds of bars under one primary key; only a reset is correct.
    """
    current = bar_settings(config)
    if saved is None or all(saved[name] == current[name] for name in _SETTING_NAMES):
        return
    changes = "; ".join(
        f"{name} changed from {_as_json(saved[name])} to {_as_json(current[name])}"
        for name in _SETTING_NAMES
        if saved[name] != current[name]
    )
    raise ConfigError(
        f"The saved state of {stream} is for {describe_bars(saved)}, but the configuration "
        f"now asks for {describe_bars(current)} ({changes}). Resuming from it would skip history "
        f"and mix two kinds of bars under one primary key. Reset (refresh) the {stream} "
        "stream to read again from start_date with the new settings, or set the old ones back."
    )


def _as_json(value: Any) -> str:
    """A setting as the user writes it in the config: true/false, not True/False."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _validate_settings(value: Any, stream: str) -> None:
    """Raises ConfigError unless `value` is bar_settings as this connector writes them."""
    if (
        not isinstance(value, Mapping)
        or value.get("timespan") not in TIMESPANS
        or not isinstance(value.get("multiplier"), int)
        or isinstance(value.get("multiplier"), bool)
        or value["multiplier"] < 1
        or not isinstance(value.get("adjusted"), bool)
    ):
        raise ConfigError(
            f"The saved state has bar_settings {value!r}, not an object such as "
            f'{{"timespan": "day", "multiplier": 1, "adjusted": true}}. {reset_advice(stream)}'
        )


def validate_state(value: Any, stream: str) -> None:
    """Raises ConfigError unless `value` is a state this connector (or the tutorial) wrote."""
    advice = reset_advice(stream)
    if not isinstance(value, Mapping):
        raise ConfigError(f"The saved state for {stream} is not a JSON object. {advice}")
    for ticker, entry in value.items():
        if ticker == SETTINGS_KEY:
            _validate_settings(entry, stream)
        elif ticker == "date":
            legacy_date(entry, stream)
        elif not isinstance(entry, Mapping) or "timestamp" not in entry:
            raise ConfigError(
                f"The saved state for ticker {ticker!r} is {entry!r}, not "
                f'{{"timestamp": "..."}}. {advice}'
            )
        else:
            state_timestamp(entry["timestamp"], stream)
