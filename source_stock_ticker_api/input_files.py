"""The `--config` and `--catalog` files: what to tell the user when one is missing or holds no
JSON object.

The CDK reports such a file as the connector's own fault (a system_error, "Something went wrong
in the connector", with a traceback); it is the user's file to fix, so it is a config_error
that names the file and says what it must hold.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from airbyte_cdk.models import ConfiguredAirbyteCatalog, ConfiguredAirbyteCatalogSerializer

from source_stock_ticker_api.config import ConfigError, json_type

CONFIG_SHAPE = (
    'a JSON object of the connector\'s settings, such as {"api_key": "...", "tickers": ["AAPL"]}'
)
CATALOG_SHAPE = (
    'a configured catalog, a JSON object such as {"streams": [{"stream": {"name": '
    '"stock_prices", ...}, "sync_mode": "incremental", "destination_sync_mode": "append"}]} '
    "(discover lists the streams)"
)


def read_object_file(path: str, kind: str, flag: str, shape: str) -> MutableMapping[str, Any]:
    """The JSON object of the file at `path`, or a ConfigError naming the `kind` file."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise ConfigError(
            f"The {kind} file {path} does not exist. Pass {flag} a file holding {shape}."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"The {kind} file {path} could not be read ({type(error).__name__}). It must be a "
            f"readable UTF-8 file holding {shape}."
        ) from None
    if not text.strip():
        raise ConfigError(f"The {kind} file {path} is empty. It must hold {shape}.")
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"The {kind} file {path} is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno}). It must hold {shape}."
        ) from None
    if not isinstance(content, dict):
        raise ConfigError(
            f"The {kind} file {path} holds a JSON {json_type(content)}, not an object. It must "
            f"hold {shape}."
        )
    return content


def read_config_file(path: str) -> MutableMapping[str, Any]:
    """The config object of the file at `path`, or a ConfigError naming the file."""
    return read_object_file(path, "config", "--config", CONFIG_SHAPE)


def read_catalog_file(path: str) -> ConfiguredAirbyteCatalog:
    """The configured catalog of the file at `path`, or a ConfigError naming the file."""
    content = read_object_file(path, "catalog", "--catalog", CATALOG_SHAPE)
    try:
        return ConfiguredAirbyteCatalogSerializer.load(content)
    except Exception as error:  # the serializer's errors have no common base to name
        raise ConfigError(
            f"The catalog file {path} is not a configured catalog ({type(error).__name__}: "
            f"{str(error)[:200]}). It must hold {CATALOG_SHAPE}."
        ) from None
