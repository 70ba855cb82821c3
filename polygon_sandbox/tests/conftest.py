"""Fixtures: a sandbox frozen at a known instant, an HTTP session, the vendor OpenAPI file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from polygon_sandbox import Sandbox

from .helpers import NOW, OPENAPI_PATH


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=NOW) as sb:
        yield sb


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    # CI and every developer machine have ../shared beside the clone: a missing file is a
    # broken checkout, not a reason to skip the schema tests.
    assert OPENAPI_PATH.exists(), f"vendor OpenAPI file not found at {OPENAPI_PATH}"
    return dict(json.loads(OPENAPI_PATH.read_text()))
