"""Fixtures: a sandbox frozen at a known instant, an HTTP session, and the vendor's client on
the sandbox (a module's own `sandbox` fixture, where it has one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from massive import RESTClient

from polygon_sandbox import UNLIMITED_KEY, Sandbox

from .helpers import NOW


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=NOW) as sb:
        yield sb


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def client(sandbox: Sandbox) -> RESTClient:
    return RESTClient(api_key=UNLIMITED_KEY, base=sandbox.url, retries=0)
