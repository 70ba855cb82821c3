"""Query parameters as the vendor parses them, and the error a bad one gets."""

from __future__ import annotations

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})  # Go's strconv.ParseBool
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


class QueryError(ValueError):
    """A request parameter the API would answer with HTTP 400 (the pipeline writes the body)."""


def parse_bool(params: dict[str, str], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise QueryError(f"Could not parse the '{name}' parameter: use true or false")
