"""The connector's notion of "now", in one place so tests and the demo can move it.

Bars whose window has not closed yet and the default end date both depend on the current time.
Tests freeze it in-process (freezegun); subprocess tests and the demo, which cannot, set
`STOCK_TICKER_API_NOW` to an ISO-8601 instant.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

NOW_ENV_VAR = "STOCK_TICKER_API_NOW"


def now() -> datetime:
    """Current time as an aware UTC datetime."""
    override = os.environ.get(NOW_ENV_VAR)
    if override:
        parsed = datetime.fromisoformat(override.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    return datetime.now(timezone.utc)
