"""The reference-data and corporate-action endpoints: their paths, and how a message names them.

Kept apart from api.py (the custom-bars endpoint) so each file stays about one kind of request;
api.describe_request hands these URLs over to `describe_reference_request`.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

TICKERS_PATH = "v3/reference/tickers"
DIVIDENDS_PATH = "stocks/v1/dividends"
SPLITS_PATH = "stocks/v1/splits"
HOLIDAYS_PATH = "v1/marketstatus/upcoming"
# Tickers named in a message about one request, before "and N more".
TICKERS_NAMED = 5


def describe_reference_request(url: str | None) -> str | None:
    """'dividends of AAPL, MSFT from 2024-01-02', 'AAPL ticker details'...; None for any other URL.

    Only filters of our own are quoted (tickers, market, dates): the key is never in a URL.
    """
    parts = urlsplit(url or "")
    path = unquote(parts.path)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    if path.endswith(f"/{TICKERS_PATH}"):
        market = query.get("market")
        return f"the list of {market} tickers" if market else "the list of tickers"
    if f"/{TICKERS_PATH}/" in path:
        return f"{path.rsplit('/', 1)[1]} ticker details"
    if path.endswith(f"/{HOLIDAYS_PATH}"):
        return "the upcoming market holidays"
    for kind, date_field in (("dividends", "ex_dividend_date"), ("splits", "execution_date")):
        if path.endswith(f"/stocks/v1/{kind}"):
            return _actions(kind, query.get("ticker.any_of"), query.get(f"{date_field}.gte"))
    return None


def _actions(kind: str, tickers: str | None, start: str | None) -> str:
    if tickers is None:  # a later page: its cursor holds the query
        return f"a page of {kind}"
    names = tickers.split(",")
    named = ", ".join(names[:TICKERS_NAMED])
    if len(names) > TICKERS_NAMED:
        named += f" and {len(names) - TICKERS_NAMED} more"
    return f"{kind} of {named}" + (f" from {start}" if start else "")
