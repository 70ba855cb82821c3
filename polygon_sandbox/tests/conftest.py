"""Fixtures: a sandbox frozen at a known instant, and an HTTP session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from polygon_sandbox import Sandbox

from .helpers import NOW


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=NOW) as sb:
        yield sb


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
