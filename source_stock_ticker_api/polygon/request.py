"""A request of the API as the CDK sees it: a slice, typed, that knows its path and query."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any


class ApiRequest(Mapping[str, Any]):
    """Base of every slice of this connector's streams (frozen dataclasses).

    `PolygonStream` asks the slice for its `path()` and `params()`: a stream never reads a
    slice's keys. It is a Mapping of its fields only because the CDK logs slices as dicts
    (`--debug`).
    """

    def path(self) -> str:
        """The path below api_url."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The query, in the order it is sent."""
        raise NotImplementedError

    def _fields(self) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(self))  # type: ignore[arg-type]

    def __getitem__(self, key: str) -> Any:
        if key not in self._fields():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields())

    def __len__(self) -> int:
        return len(self._fields())
