"""A stream's saved state read from the CDK's state manager without copying it.

`ConnectorStateManager.get_stream_state` deep-copies the state on every call: about a second
for a state of 200,000 tickers, paid by each check of the state before a sync. The connector
only reads the state there, so it reads the manager's own blob (`per_stream_states`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_cdk.sources.connector_state_manager import (
    ConnectorStateManager,
    HashableStreamDescriptor,
)


def saved_state(manager: ConnectorStateManager, stream: str) -> Mapping[str, Any]:
    """What `manager.get_stream_state(stream, None)` gives, not copied: read it, never change it."""
    blob = manager.per_stream_states.get(HashableStreamDescriptor(name=stream, namespace=None))
    return blob.__dict__ if blob else {}
