"""Constants and HTTP helpers shared by the sandbox tests."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import requests

# Friday 2024-03-01 16:00 ET: the regular session just closed, after-hours still running.
NOW = datetime(2024, 3, 1, 21, 0, tzinfo=timezone.utc)
UNLIMITED = {"Authorization": "Bearer sandbox-unlimited-key"}
FREE = {"Authorization": "Bearer sandbox-free-key"}
DAILY = {"Authorization": "Bearer sandbox-daily-key"}


def get(
    session: requests.Session, url: str, headers: dict[str, str] | None = None, **params: Any
) -> requests.Response:
    return session.get(url, headers=UNLIMITED if headers is None else headers, params=params)


def follow_pages(session: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a custom-bars request, re-sending `params` with each `next_url`."""
    pages = []
    response = get(session, url, **params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        if "next_url" not in body:
            return pages
        response = get(session, body["next_url"], **params)


def results(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [bar for page in pages for bar in page.get("results", [])]
