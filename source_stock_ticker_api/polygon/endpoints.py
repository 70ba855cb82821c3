"""The API's price endpoints: their paths and query, `next_url`, and how a message names them.

Nothing here decides what to do or what to tell a user (see errors.py and messages.py): it only
knows the API's own shapes, so check and read speak to it in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

# Query parameters the connector sets itself; a next_url may not override them, nor add a key.
OWN_PARAMS = frozenset({"adjusted", "sort", "limit", "apikey"})


@dataclass(frozen=True)
class NextPage:
    """The path and cursor query of a body's `next_url`, without parameters of our own.

    Only the path is kept, so the key's header stays on the configured host whatever host the
    API names; the connector sets its own parameters again.
    """

    path: str
    query: tuple[tuple[str, str], ...]


def next_page(body: Any) -> NextPage | None:
    """The page after this body's, or None on the last page."""
    next_url = body.get("next_url") if isinstance(body, dict) else None
    if not next_url:
        return None
    parts = urlsplit(str(next_url))
    query = tuple((k, v) for k, v in parse_qsl(parts.query) if k.lower() not in OWN_PARAMS)
    return NextPage(parts.path, query)


def aggs_path(ticker: str, multiplier: int, timespan: str, start: object, end: object) -> str:
    """Path of the custom-bars endpoint, relative to the API's base URL."""
    return f"v2/aggs/ticker/{quote(ticker, safe='.:-')}/range/{multiplier}/{timespan}/{start}/{end}"


def aggs_params(adjusted: bool | None, limit: int) -> dict[str, Any]:
    """The custom-bars query, oldest bar first; `adjusted` None leaves it out (index bars,
    whose endpoint does not take it).

    Sent again with every `next_url`: whether its cursor keeps `adjusted=false` is undocumented.
    """
    params: dict[str, Any] = {"sort": "asc", "limit": limit}
    if adjusted is not None:
        params = {"adjusted": "true" if adjusted else "false", **params}
    return params


def describe_price_request(url: str | None) -> str:
    """'AAPL day bars from 2024-01-02 to 2024-03-01' from a custom-bars URL, 'the grouped daily
    bars of 2024-03-04' from a grouped one; never the query.

    The path may sit below a prefix of the configured api_url (a proxy's, say).
    """
    parts = unquote(urlsplit(url or "").path).split("/")
    if "aggs" not in parts:
        return "the request"
    at = parts.index("aggs")
    # .../v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}
    found = parts[at:]
    if len(found) >= 8 and found[1] == "ticker" and found[3] == "range":
        ticker, multiplier, timespan, start, end = found[2], found[4], found[5], found[6], found[7]
        size = timespan if multiplier == "1" else f"{multiplier}-{timespan}"
        return f"{ticker} {size} bars from {readable_point(start)} to {readable_point(end)}"
    # .../v2/aggs/grouped/locale/{locale}/market/{market}/{date}
    if len(found) >= 7 and found[1] == "grouped":
        return f"the grouped daily bars of {found[6]}"
    return "the request"


def readable_point(point: str) -> str:
    """Dates stay as they are; Unix ms become an ISO instant."""
    if point.isdigit():
        moment = datetime.fromtimestamp(int(point) / 1000, timezone.utc)
        return moment.isoformat().replace("+00:00", "Z")
    return point
