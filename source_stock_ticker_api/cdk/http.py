"""The CDK's HTTP client, used from our own code: the one place that touches its private parts.

Each function says which CDK member it relies on; `unit_tests/cdk/test_http_contract.py` checks
them against the installed CDK, so an upgrade that changes one fails there, by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
import requests
from airbyte_cdk.models import (
    AirbyteMessageSerializer,
    AirbyteStreamStatus,
    AirbyteStreamStatusReason,
    AirbyteStreamStatusReasonType,
    StreamDescriptor,
)
from airbyte_cdk.sources.http_config import MAX_CONNECTION_POOL_SIZE
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message
from requests.adapters import HTTPAdapter


def send(stream: HttpStream, stream_slice: Mapping[str, Any]) -> requests.Response:
    """One request for the slice, in the calling thread, as the stream's own read would send it.

    Relies on HttpStream._fetch_next_page(stream_slice, stream_state, next_page_token), the
    CDK's one call that builds a slice's request (path, params, headers, request_kwargs) and
    sends it through the stream's HTTP client: the pace (api_budget), retries, backoff and
    error handler come with it. Our streams read pages themselves (page by page, some ahead of
    the writer in worker threads), so they cannot use the CDK's paging loop.
    """
    _, response = stream._fetch_next_page(stream_slice, {}, None)
    return response


class CheckedAdapter(HTTPAdapter):
    """requests' adapter, asking `before_send` before each request leaves (it may raise)."""

    def __init__(self, before_send: Callable[[], None]) -> None:
        super().__init__(
            pool_connections=MAX_CONNECTION_POOL_SIZE, pool_maxsize=MAX_CONNECTION_POOL_SIZE
        )
        self._before_send = before_send

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self._before_send()
        return super().send(request, *args, **kwargs)


def mount_adapters(stream: HttpStream, before_send: Callable[[], None]) -> None:
    """Every request of the stream asks `before_send` just before it leaves: after the pace's
    wait (the session's `acquire_call`), so a request that waited for its turn is checked
    then. An exception from it that is no `requests` error reaches the caller as it is, unretried.

    The pools hold as many connections for `http://` (the sandbox, on this machine) as the CDK
    gives `https://` (MAX_CONNECTION_POOL_SIZE, the most requests in flight the spec allows).
    requests' default of 10 would close and reopen a connection for every request beyond ten
    in flight, warning each time.

    Relies on HttpClient._session, the requests.Session every request of the stream goes
    through, calling the budget's `acquire_call` and then the mounted adapter's `send`, and on
    HttpClient._send catching only `requests` errors around it.
    """
    adapter = CheckedAdapter(before_send)
    for scheme in ("https://", "http://"):
        stream._http_client._session.mount(scheme, adapter)


def say_rate_limited(stream_name: str) -> None:
    """The stream status RUNNING, reason RATE_LIMITED, on stdout: what the CDK's HTTP client
    prints for an answer resolved as RATE_LIMITED. Our 429s are let through to be asked again
    (polygon/congestion.py), so the platform learns of them here. Printed at once, in one
    write, as the CDK does: the read loop is waiting on the request, not yielding messages,
    and other threads write lines too (the print buffer writes each call under its lock).
    """
    reasons = [AirbyteStreamStatusReason(type=AirbyteStreamStatusReasonType.RATE_LIMITED)]
    status = stream_status_message(
        StreamDescriptor(name=stream_name), AirbyteStreamStatus.RUNNING, reasons
    )
    line = orjson.dumps(AirbyteMessageSerializer.dump(status)).decode()
    print(f"{line}\n", end="", flush=True)  # one write: lines of other threads stay whole
