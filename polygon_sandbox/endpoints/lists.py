"""What the reference-style list endpoints share: a `cursor` holding the page's whole query,
`limit`, `offset`, comparison filters (`field.gt/.gte/.lt/.lte`), `sort` as a comma list of
`column.asc|desc`, and the vendor's envelope.

Every `next_url` carries only a `cursor`: the page's whole query, base64-encoded, never the key.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from ..http.params import QueryError
from ..http.replies import Reply, json_reply
from ..http.routing import Request


def encode_query_cursor(query: Mapping[str, str]) -> str:
    return base64.urlsafe_b64encode(urlencode(sorted(query.items())).encode()).decode()


def with_cursor(params: Mapping[str, str]) -> dict[str, str]:
    """The cursor's query, overridden by any parameter sent beside it."""
    merged: dict[str, str] = {}
    if params.get("cursor"):
        try:
            text = base64.urlsafe_b64decode(params["cursor"].encode()).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise QueryError("Invalid cursor") from exc
        merged.update(parse_qsl(text))
    merged.update((k, v) for k, v in params.items() if k != "cursor")
    return merged


def limit_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    text = params.get("limit", str(default))
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise QueryError(f"Invalid limit: '{text}'. Use a positive integer up to {maximum}")
    return int(text)


def date_param(params: Mapping[str, str], name: str) -> date:
    try:
        return date.fromisoformat(params[name])
    except ValueError as exc:
        raise QueryError(f"Could not parse the '{name}' parameter. Use YYYY-MM-DD") from exc


_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "": lambda a, b: a == b,
    ".gt": lambda a, b: a > b,
    ".gte": lambda a, b: a >= b,
    ".lt": lambda a, b: a < b,
    ".lte": lambda a, b: a <= b,
}


def filtered(
    rows: Iterable[dict[str, Any]], params: Mapping[str, str], field: str, as_date: bool
) -> list[dict[str, Any]]:
    """Rows whose `field` passes every `field`, `field.gt`... parameter sent."""

    def bound(name: str) -> Any:
        return date_param(params, name).isoformat() if as_date else params[name]

    kept = _within(rows, params, field, bound)
    if field == "ticker" and "ticker.any_of" in params:
        wanted = set(params["ticker.any_of"].split(","))
        kept = [row for row in kept if row["ticker"] in wanted]
    return kept


def filtered_numbers(
    rows: Iterable[dict[str, Any]], params: Mapping[str, str], field: str
) -> list[dict[str, Any]]:
    """Rows whose number `field` passes every `field`, `field.gt`... parameter sent."""

    def bound(name: str) -> float:
        try:
            return float(params[name])
        except ValueError as exc:
            raise QueryError(f"Invalid {name}: '{params[name]}'") from exc

    return _within(rows, params, field, bound)


def _within(
    rows: Iterable[dict[str, Any]],
    params: Mapping[str, str],
    field: str,
    bound: Callable[[str], Any],
) -> list[dict[str, Any]]:
    """Rows whose `field` has a value within each bound sent (`bound` reads one parameter)."""
    kept = list(rows)
    for suffix, compare in _COMPARE.items():
        name = field + suffix
        if name in params:
            limit = bound(name)
            kept = [r for r in kept if r.get(field) is not None and compare(r[field], limit)]
    return kept


def sorted_rows(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Rows sorted by a comma list of `column.asc|desc`, the first column first."""
    for part in reversed([p for p in sort.split(",") if p]):
        column, _, direction = part.partition(".")
        if direction not in ("", "asc", "desc") or (rows and column not in rows[0]):
            raise QueryError(f"Invalid sort: '{part}'. Use column.asc or column.desc")
        rows = sorted(rows, key=lambda row: row[column], reverse=direction == "desc")
    return rows


def page(
    rows: list[dict[str, Any]], query: dict[str, str], limit: int, path: str, host: str
) -> dict[str, Any]:
    offset_text = query.get("offset", "0")
    offset = int(offset_text) if offset_text.isdigit() else 0
    body: dict[str, Any] = {"results": rows[offset : offset + limit]}
    if offset + limit < len(rows):
        following = {**query, "offset": str(offset + limit), "limit": str(limit)}
        body["next_url"] = f"http://{host}{path}?cursor={quote(encode_query_cursor(following))}"
    return body


def list_reply(request: Request, body: dict[str, Any]) -> Reply:
    """A page (`results`, maybe `next_url`) in the vendor's envelope, with its `count`."""
    count = len(body["results"])
    payload = {**body, "status": "OK", "request_id": request.request_id, "count": count}
    return json_reply(200, payload, ticker=request.ticker, results_count=count)
