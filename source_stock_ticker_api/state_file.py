"""The `--state` file: the shapes it may take, and what to tell the user when it holds another.

A file that is missing or not shaped like a state is a mistake in how the sync was started, not a
problem with the saved cursors: its error says what the file must hold and names it. Only a state
whose content cannot be used gets the advice to reset the stream.
"""

from __future__ import annotations

import json
from typing import Any

from airbyte_cdk.models import (
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
)
from airbyte_cdk.sources.connector_state_manager import AirbyteStateBlob

from source_stock_ticker_api.config import ConfigError, json_type
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.messages import reset_advice

FILE_SHAPE = (
    "a JSON list of STATE messages as Airbyte writes them "
    '([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "stock_prices"}, '
    '"stream_state": {...}}}]), or the per-stream object {"stock_prices": {...}}'
)


def read_state_file(path: str) -> list[AirbyteStateMessage]:
    """The state messages of the file at `path`; none for no path or an empty state."""
    if not path:
        return []
    content = _load_json(path)
    if content is None or content == {} or content == []:
        return []
    if isinstance(content, dict):
        if "type" in content:
            raise ConfigError(
                f"The state file {path} holds a single STATE message, not a list of them. It "
                f"must hold {FILE_SHAPE}: put the message inside [ ]."
            )
        # The tutorial's file: one state object per stream name.
        return _per_stream(content)
    if not isinstance(content, list):
        raise ConfigError(
            f"The state file {path} holds a JSON {json_type(content)}. It must hold "
            f"{FILE_SHAPE}."
        )
    messages = [_message(item, position, path) for position, item in enumerate(content, 1)]
    return [stream for message in messages for stream in _as_streams(message)]


def _per_stream(states: dict[str, Any]) -> list[AirbyteStateMessage]:
    """One STREAM state message per stream name of `states` whose value is an object."""
    return [
        AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=name),
                stream_state=AirbyteStateBlob(value),
            ),
        )
        for name, value in states.items()
        if isinstance(value, dict)
    ]


def _as_streams(message: AirbyteStateMessage) -> list[AirbyteStateMessage]:
    """A LEGACY message (`{"type": "LEGACY", "data": {"stock_prices": {...}}}`, what older
    platforms kept) as the STREAM messages it means; the CDK would ignore it and the sync
    would read everything again from start_date. Any other message as it is."""
    if message.type == AirbyteStateType.LEGACY and isinstance(message.data, dict):
        return _per_stream(message.data)
    return [message]


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        raise ConfigError(
            f"The state file {path} does not exist. Pass --state the file holding the state of "
            f"the last sync: {FILE_SHAPE}; or leave --state out for a first sync."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"The state file {path} could not be read ({type(error).__name__}). It must be a "
            f"readable UTF-8 file holding {FILE_SHAPE}."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"The state file {path} is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno}). It must hold {FILE_SHAPE}."
        ) from None


def _message(item: Any, position: int, path: str) -> AirbyteStateMessage:
    """One entry of the list as a state message, or a ConfigError naming the entry."""
    message = None
    if isinstance(item, dict):
        try:
            message = AirbyteStateMessageSerializer.load(item)
        except Exception:  # noqa: BLE001 - the serializer's errors vary; the advice is the same
            message = None
    if message is None or not (message.stream or message.global_ or message.data):
        raise ConfigError(
            f"Entry {position} of the state file {path} is not a STATE message. The file must "
            f"hold {FILE_SHAPE}."
        )
    if message.global_ is not None and message.global_.shared_state is not None:
        # The CDK refuses these with a system_error: API sources keep one state per stream, so
        # what shared_state means here is unknown, and ignoring it could resume wrongly.
        raise ConfigError(
            f"The state file {path} holds a GLOBAL state with shared_state, which this connector "
            "never writes (it keeps one STREAM state per stream), so it cannot tell where to "
            f"resume from. {reset_advice(STOCKS.stream_name)}"
        )
    return message


def upper_case_tickers(
    messages: list[AirbyteStateMessage], reserved: frozenset[str]
) -> list[AirbyteStateMessage]:
    """Each STREAM state with its ticker keys upper-cased: `aapl` is the ticker AAPL, as in
    the config, and the state written back holds `AAPL` alone. Where both are saved, `AAPL`
    wins: it is the cursor the connector kept (earlier versions ignored `aapl`). Keys in
    `reserved` (`bar_settings`, the tutorial's `date`) are not tickers and stay as they are."""
    fixed: list[AirbyteStateMessage] = []
    for message in messages:
        stream = message.stream
        saved = dict(stream.stream_state.__dict__) if stream and stream.stream_state else {}
        lower = [key for key in saved if key not in reserved and key != key.upper()]
        if stream is None or not lower:
            fixed.append(message)
            continue
        state = {key: value for key, value in saved.items() if key not in lower}
        for key in lower:
            state.setdefault(key.upper(), saved[key])
        fixed.append(
            AirbyteStateMessage(
                type=AirbyteStateType.STREAM,
                stream=AirbyteStreamState(
                    stream_descriptor=stream.stream_descriptor,
                    stream_state=AirbyteStateBlob(state),
                ),
                sourceStats=message.sourceStats,
            )
        )
    return fixed
