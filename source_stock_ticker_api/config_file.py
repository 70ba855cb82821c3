"""The `--config` file: what to tell the user when it is missing or holds no JSON object.

The CDK reports such a file as the connector's own fault (a system_error, "Something went wrong
in the connector", with a traceback); it is the user's file to fix, so it is a config_error
that names the file and says what it must hold.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from source_stock_ticker_api.config import ConfigError, json_type

CONFIG_SHAPE = (
    'a JSON object of the connector\'s settings, such as {"api_key": "...", "tickers": ["AAPL"]}'
)


def read_config_file(path: str) -> MutableMapping[str, Any]:
    """The config object of the file at `path`, or a ConfigError naming the file."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise ConfigError(
            f"The config file {path} does not exist. Pass --config a file holding {CONFIG_SHAPE}."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"The config file {path} could not be read ({type(error).__name__}). It must be a "
            f"readable UTF-8 file holding {CONFIG_SHAPE}."
        ) from None
    if not text.strip():
        raise ConfigError(f"The config file {path} is empty. It must hold {CONFIG_SHAPE}.")
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"The config file {path} is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno}). It must hold {CONFIG_SHAPE}."
        ) from None
    if not isinstance(content, dict):
        raise ConfigError(
            f"The config file {path} holds a JSON {json_type(content)}, not an object. It must "
            f"hold {CONFIG_SHAPE}."
        )
    return content
