"""The model of a declared endpoint: what a stream of reference data is, as data.

An endpoint is a path (with `{ticker}` in it or not), fixed filters, a fan-out (how the
configured tickers become requests), the response's shape (how a body becomes rows), a primary
key, and, for an incremental stream, the cursor field and its look-back. The generic streams
(stream.py, incremental.py) read any declaration; endpoints.py holds the declarations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.markets import Market, market_of, tickers_by_market
from source_stock_ticker_api.polygon.endpoints import NextPage
from source_stock_ticker_api.polygon.request import ApiRequest

Query = tuple[tuple[str, Any], ...]
# Tickers named in a message about one request, before "and N more".
TICKERS_NAMED = 5


@dataclass(frozen=True)
class Partition:
    """One request's share of a fan-out: values for the path, the query, and the configured
    tickers it covers (for cursors and messages)."""

    path_values: Mapping[str, str] = field(default_factory=dict)
    query: Query = ()
    tickers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    """A line for the log in place of a request (a ticker the endpoint has nothing for)."""

    text: str


class FanOut(Protocol):
    """How a configuration becomes the partitions of an endpoint's requests, in order."""

    def partitions(self, config: StockTickerConfig) -> Iterator[Partition | Note]: ...


@dataclass(frozen=True)
class OneRequest:
    """One request, whatever the tickers (the market's calendar, the exchanges)."""

    def partitions(self, config: StockTickerConfig) -> Iterator[Partition | Note]:
        yield Partition()


@dataclass(frozen=True)
class PerTicker:
    """One request per configured ticker of `markets` (all markets when empty), named in the
    path as `{ticker}`, or in the query as `param`. A ticker of a market in `skipped` gets
    `skipped_note` in the log instead."""

    markets: tuple[Market, ...] = ()
    param: str | None = None
    skipped: tuple[Market, ...] = ()
    skipped_note: str = ""

    def partitions(self, config: StockTickerConfig) -> Iterator[Partition | Note]:
        for ticker in config.tickers:
            market = market_of(ticker)
            if market in self.skipped:
                yield Note(self.skipped_note.format(ticker=ticker))
            elif not self.markets or market in self.markets:
                yield self.partition((ticker,))

    def tickers(self, config: StockTickerConfig) -> list[str]:
        """The configured tickers it requests (an incremental read orders them by cursor)."""
        return [
            ticker
            for ticker in config.tickers
            if market_of(ticker) not in self.skipped
            and (not self.markets or market_of(ticker) in self.markets)
        ]

    def batches(self, tickers: Sequence[str]) -> Iterator[tuple[str, ...]]:
        for ticker in tickers:
            yield (ticker,)

    def partition(self, batch: tuple[str, ...]) -> Partition:
        (ticker,) = batch
        query: Query = ((self.param, ticker),) if self.param else ()
        return Partition({"ticker": ticker}, query, batch)


@dataclass(frozen=True)
class PerListedMarket:
    """One request per value of the listing's `param` that lists the configured tickers'
    markets (markets.Market.reference_markets: `stocks` and `otc` for US stocks...)."""

    param: str = "market"

    def partitions(self, config: StockTickerConfig) -> Iterator[Partition | Note]:
        for market, tickers in tickers_by_market(config.tickers).items():
            for listed in market.reference_markets:
                yield Partition({}, ((self.param, listed),), tickers)


@dataclass(frozen=True)
class PerValue:
    """Each partition of `inner` once per value of a query parameter (`expired=true|false`)."""

    param: str
    values: tuple[str, ...]
    inner: FanOut = OneRequest()

    def partitions(self, config: StockTickerConfig) -> Iterator[Partition | Note]:
        for item in self.inner.partitions(config):
            if isinstance(item, Note):
                yield item
                continue
            for value in self.values:
                yield replace(item, query=(*item.query, (self.param, value)))


@dataclass(frozen=True)
class TickerBatches:
    """The configured tickers of `markets`, `size` at a time, in one comma list (`ticker.any_of`).

    An incremental read orders them by cursor first (incremental.py).
    """

    markets: tuple[Market, ...]
    size: int
    param: str = "ticker.any_of"

    def tickers(self, config: StockTickerConfig) -> list[str]:
        by_market = tickers_by_market(config.tickers)
        return [ticker for market in self.markets for ticker in by_market.get(market, ())]

    def batches(self, tickers: Sequence[str]) -> Iterator[tuple[str, ...]]:
        for at in range(0, len(tickers), self.size):
            yield tuple(tickers[at : at + self.size])

    def partition(self, batch: tuple[str, ...]) -> Partition:
        return Partition({}, ((self.param, ",".join(batch)),), batch)

    def partitions(self, config: StockTickerConfig) -> Iterator[Partition | Note]:
        for batch in self.batches(self.tickers(config)):
            yield self.partition(batch)


@runtime_checkable
class TickerFanOut(Protocol):
    """A fan-out whose requests each cover some configured tickers (PerTicker, TickerBatches):
    what an incremental read with a cursor per ticker needs of it."""

    def tickers(self, config: StockTickerConfig) -> list[str]: ...

    def batches(self, tickers: Sequence[str]) -> Iterator[tuple[str, ...]]: ...

    def partition(self, batch: tuple[str, ...]) -> Partition: ...


Rows = Callable[[Any], Iterable[Mapping[str, Any]]]


def results_rows(body: Any) -> Iterable[Mapping[str, Any]]:
    """The `results` list of a body, or its one `results` object (ticker details)."""
    results = body.get("results") if isinstance(body, Mapping) else None
    if isinstance(results, list):
        return results
    if isinstance(results, Mapping):
        return (results,)
    return ()


def bare_array_rows(body: Any) -> Iterable[Mapping[str, Any]]:
    """A body that is a JSON array of rows (market holidays)."""
    return body if isinstance(body, list) else ()


def nested_rows(rows_field: str, carried: tuple[str, ...]) -> Rows:
    """Rows nested in the one `results` object (a ticker's events), each carrying the object's
    fields `carried` beside its own: one record per nested row, as a warehouse wants it."""

    def rows(body: Any) -> Iterable[Mapping[str, Any]]:
        for parent in results_rows(body):
            carry = {name: parent[name] for name in carried if name in parent}
            for row in parent.get(rows_field) or ():
                yield {**carry, **row}

    return rows


def ticker_of_row(row: Mapping[str, Any]) -> Iterable[str]:
    """The row's `ticker` (a dividend, a split)."""
    ticker = row.get("ticker")
    return (ticker,) if isinstance(ticker, str) else ()


def tickers_of_row(row: Mapping[str, Any]) -> Iterable[str]:
    """The row's `tickers` list (a statement, an article: rows that name several tickers)."""
    tickers = row.get("tickers")
    return [t for t in tickers if isinstance(t, str)] if isinstance(tickers, list) else ()


@dataclass(frozen=True)
class Shape:
    """How a body becomes rows; every shape follows `next_url` when the body names one.

    `unknown` marks an endpoint of one object per ticker, where a 404 or no object is a ticker
    the API does not know: a warning with these words, not a failure.

    `missing` marks an endpoint of ticker batches, where a configured ticker that no row of its
    request names (`row_tickers`) is one the API has nothing for: a warning with these words,
    `{tickers}` replaced by those tickers (an incremental read says it only of a ticker read
    from start_date: after that, no new row is no news).
    """

    rows: Rows = results_rows
    unknown: str | None = None
    missing: str | None = None
    row_tickers: Callable[[Mapping[str, Any]], Iterable[str]] = ticker_of_row


RESULTS = Shape()
BARE_ARRAY = Shape(bare_array_rows)


@dataclass(frozen=True)
class Distinct:
    """Rows that several requests of one sync bring are written once, the first time: an
    article naming two configured tickers comes in each one's request. `key` names a row;
    only a row that `row_tickers` says belongs to two configured tickers or more is
    remembered, so memory grows with those rows alone."""

    key: str
    row_tickers: Callable[[Mapping[str, Any]], Iterable[str]] = tickers_of_row


@dataclass(frozen=True)
class Incremental:
    """A cursor per ticker on the API's date `cursor_field`, filtered by `{cursor_field}.gte`,
    read again from `lookback_days` before it (the vendor revises recent rows).

    `row_tickers` names the tickers a row belongs to, to drop a row dated before the cursor
    of each of them when its batch starts earlier for another ticker.

    The fan-out is a TickerFanOut (a cursor per ticker: `{"AAPL": {field: day}}`) or
    OneRequest (one cursor for the stream, partition-less: `{field: day}`).
    """

    cursor_field: str
    lookback_days: int
    row_tickers: Callable[[Mapping[str, Any]], Iterable[str]] = ticker_of_row


@dataclass(frozen=True)
class Words:
    """A request in a person's words, from its path values and query: `{name}` is replaced by
    that value (`{tickers}` by the named tickers of the request), else `otherwise` is said (a
    later page, whose cursor holds the query)."""

    template: str
    otherwise: str

    def say(self, values: Mapping[str, str]) -> str:
        names = re.findall(r"\{([^}]+)\}", self.template)
        if not all(values.get(name) for name in names):
            return self.otherwise
        return re.sub(r"\{([^}]+)\}", lambda found: values[found[1]], self.template)


@dataclass(frozen=True)
class Endpoint:
    """One declared endpoint, and the stream reading it."""

    stream: str
    path: str  # below api_url; `{ticker}` for a per-ticker path
    primary_key: str | list[str]
    words: Words
    fan_out: FanOut = OneRequest()
    query: Query = ()  # fixed filters, after the partition's
    shape: Shape = RESULTS
    incremental: Incremental | None = None
    docs: str = ""  # the vendor's page for it
    plan: str = ""  # the vendor's least plan that covers it, named in a 403's config_error
    # The name under which each row carries its request's ticker, where the API's object
    # lacks it (a ticker's events, its related companies).
    ticker_field: str = ""
    distinct: Distinct | None = None  # rows several requests bring, written once per sync

    def request(self, partition: Partition, extra: Query = ()) -> ListRequest:
        """The first page of a partition's request."""
        path = self.path.format(
            **{k: quote(v, safe=".:-") for k, v in partition.path_values.items()}
        )
        return ListRequest(path, (*partition.query, *extra, *self.query), partition.tickers)

    def describe(self, url: str | None) -> str:
        """The request of `url` in a person's words (for the error handler's messages)."""
        parts = urlsplit(url or "")
        values = dict(parse_qsl(parts.query))
        segments = unquote(parts.path).strip("/").split("/")
        template = self.path.split("/")
        tail = segments[-len(template) :]
        if len(tail) != len(template):
            return "the request"
        for pattern, segment in zip(template, tail, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                values[pattern[1:-1]] = segment
            elif pattern != segment:
                return "the request"
        names = values.get(self._tickers_param(), "")
        if names:
            values["tickers"] = named_tickers(names.split(","))
        return self.words.say(values)

    def _tickers_param(self) -> str:
        fan_out = self.fan_out
        return fan_out.param if isinstance(fan_out, TickerBatches) else "ticker.any_of"


def named_tickers(names: Sequence[str]) -> str:
    """'AAPL, MSFT' or 'A, B, C, D, E and 3 more'."""
    named = ", ".join(names[:TICKERS_NAMED])
    if len(names) > TICKERS_NAMED:
        named += f" and {len(names) - TICKERS_NAMED} more"
    return named


@dataclass(frozen=True)
class ListRequest(ApiRequest):
    """A page of a declared endpoint: page 1 at its path and query, a later page at the path
    and cursor its page before named (the cursor holds the whole query)."""

    first_path: str
    query: Query
    tickers: tuple[str, ...] = ()
    following: NextPage | None = None

    def path(self) -> str:
        if self.following is not None:
            return self.following.path.lstrip("/")
        return self.first_path

    def params(self) -> dict[str, Any]:
        return dict(self.following.query if self.following is not None else self.query)

    def next(self, following: NextPage) -> ListRequest:
        return replace(self, following=following)
