"""Constants and HTTP helpers shared by the sandbox tests."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

import requests

from polygon_sandbox import UNLIMITED_KEY, Sandbox

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


def api_get(
    sandbox: Sandbox, path: str, key: str = UNLIMITED_KEY, **params: Any
) -> requests.Response:
    """One GET of the sandbox's API with the key in the header, as the vendor's clients send it."""
    headers = {"Authorization": f"Bearer {key}"}
    return requests.get(f"{sandbox.url}{path}", params=params, headers=headers)


def api_json(sandbox: Sandbox, path: str, **params: Any) -> Any:
    """The body of a 200 answer (anything else fails the test, showing the body)."""
    response = api_get(sandbox, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def api_results(sandbox: Sandbox, path: str, **params: Any) -> list[dict[str, Any]]:
    """The `results` list of a 200 answer."""
    return list(api_json(sandbox, path, **params)["results"])


def model_fields(model: type) -> set[str]:
    """The field names of one of the `massive` client's models (a dataclass, or annotated)."""
    if dataclasses.is_dataclass(model):
        return {f.name for f in dataclasses.fields(model)}
    return set(model.__annotations__)
