"""In-process syncs of declared (reference) streams against the sandbox, and what they gave.

Shared by the tests of every declared stream: a sync through the CDK's own entrypoint wrapper,
its records, states, errors and warnings, the sandbox's own answer asked directly, the requests
it saw, and a kill: the records a sync had saved when it was stopped after a given state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from airbyte_cdk.models import AirbyteStateMessage, SyncMode, Type
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.models.scenario import ExpectedOutcome
from airbyte_cdk.test.state_builder import StateBuilder

from integration_tests.helpers import SANDBOX_KEY
from polygon_sandbox import Sandbox
from source_stock_ticker_api.reference import catalog
from source_stock_ticker_api.reference.declarations import Endpoint
from source_stock_ticker_api.source import SourceStockTickerApi

# Monday 2026-11-23, 16:30 in New York: the day's session (to 20:00) has not ended. The "now"
# of the declared streams' tests, the sandbox's and the connector's (AT_MONDAY, a pytestmark).
MONDAY = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)
AT_MONDAY = [
    pytest.mark.sandbox_now(MONDAY),
    pytest.mark.usefixtures("loopback_only", "connector_at_sandbox_now"),
]

FULL_REFRESH = SyncMode.full_refresh
INCREMENTAL = SyncMode.incremental


def sync(
    config: Mapping[str, Any],
    streams: Mapping[str, SyncMode],
    state: list[AirbyteStateMessage] | None = None,
    *,
    expect_failure: bool = False,
) -> EntrypointOutput:
    catalog = CatalogBuilder()
    for name, mode in streams.items():
        catalog = catalog.with_stream(name, mode)
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(SourceStockTickerApi(), config, catalog.build(), state, expected_outcome=outcome)


def declared(monkeypatch: pytest.MonkeyPatch, *changed: Endpoint) -> None:
    """The catalog with these declarations in place of the ones of the same stream."""
    by_name = {endpoint.stream: endpoint for endpoint in changed}
    endpoints = tuple(by_name.get(e.stream, e) for e in catalog.ENDPOINTS)
    monkeypatch.setattr(catalog, "ENDPOINTS", endpoints)


def with_page_size(monkeypatch: pytest.MonkeyPatch, endpoint: Endpoint, limit: int) -> None:
    """The catalog with the endpoint asking pages of `limit` rows: several pages, same records."""
    query = tuple((k, limit if k == "limit" else v) for k, v in endpoint.query)
    declared(monkeypatch, replace(endpoint, query=query))


def records(output: EntrypointOutput, stream: str) -> list[dict[str, Any]]:
    found = [m.record for m in output.records if m.record is not None]
    return [record.data for record in found if record.stream == stream]


def states(output: EntrypointOutput, stream: str) -> list[dict[str, Any]]:
    """The stream's states, in the order the sync emitted them."""
    found = [m.state.stream for m in output.state_messages if m.state and m.state.stream]
    return [dict(s.stream_state.__dict__) for s in found if s.stream_descriptor.name == stream]


def final_state(output: EntrypointOutput, stream: str) -> dict[str, Any]:
    return states(output, stream)[-1]


def stream_state(stream: str, value: Mapping[str, Any]) -> list[AirbyteStateMessage]:
    return StateBuilder().with_stream_state(stream, dict(value)).build()


def errors(output: EntrypointOutput) -> list[tuple[Any, str]]:
    return [(m.trace.error.failure_type, m.trace.error.message) for m in output.errors]  # type: ignore[union-attr]


def warnings(output: EntrypointOutput) -> list[str]:
    return [m.log.message for m in output.logs if m.log and m.log.level.value == "WARN"]


def api(sandbox: Sandbox, path: str, **params: Any) -> Any:
    """The sandbox's own answer, asked directly with the unlimited key."""
    response = requests.get(
        f"{sandbox.url}{path}", params=params, headers={"Authorization": f"Bearer {SANDBOX_KEY}"}
    )
    response.raise_for_status()
    return response.json()


def sent(sandbox: Sandbox) -> list[tuple[str, dict[str, str]]]:
    """(path, query) of each data request, in order."""
    return [
        (r.path, {k: v[0] for k, v in parse_qs(r.query).items()}) for r in sandbox.data_requests()
    ]


@dataclass(frozen=True)
class Killed:
    """What a destination kept of a sync killed just after its `nth` state of a stream: the
    records before that state, and the state itself (what the next sync starts from)."""

    saved: list[dict[str, Any]]
    state: dict[str, Any]
    lost: list[dict[str, Any]]  # the records the sync emitted after it, never committed


def killed_after_state(output: EntrypointOutput, stream: str, nth: int) -> Killed:
    """The sync's messages cut after the stream's `nth` state (1 = the first)."""
    saved: list[dict[str, Any]] = []
    lost: list[dict[str, Any]] = []
    seen = 0
    state: dict[str, Any] | None = None
    for message in output.records_and_state_messages:
        if message.type == Type.RECORD and message.record and message.record.stream == stream:
            (lost if state is not None else saved).append(message.record.data)
        elif message.type == Type.STATE and message.state and message.state.stream:
            described = message.state.stream
            if described.stream_descriptor.name == stream and state is None:
                seen += 1
                if seen == nth:
                    state = dict(described.stream_state.__dict__)
    assert state is not None, f"{stream} emitted {seen} states, not {nth}"
    return Killed(saved, state, lost)
