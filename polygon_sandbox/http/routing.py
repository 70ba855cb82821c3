"""The routing table: which handler answers a request, from its method and path.

A route is a method, a path pattern and a handler, declared by its endpoint family. A pattern's
`{name}` matches one path segment, decoded (the path is split before decoding, so `%2F` stays
inside its segment), and hands it to the handler in `Request.path_params`. A pattern without
parameters is compared with the whole decoded path, and wins over any pattern with parameters
whatever the order declared (`/v3/reference/tickers/types` is not the details of a ticker
`types`). A route's `{ticker}`, if it has one, is the
ticker the request log and the forbid fault see. A path no route matches gets 404, whatever the
method.

The table knows nothing of the data: it is generic in what the handlers read (`D`, the
sandbox's MarketData), which the pipeline passes to every handler beside the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import unquote

from .auth import Plan
from .replies import Reply

D = TypeVar("D")


@dataclass(frozen=True)
class Request:
    """What a handler is told about one authorised request."""

    params: dict[str, str]  # the query, the first value of each name
    path_params: dict[str, str]  # the route's {name} segments, decoded
    plan: Plan
    now_ms: int  # the sandbox's clock
    host: str  # from the Host header: absolute `next_url`s are built with it
    request_id: str

    @property
    def ticker(self) -> str | None:
        return self.path_params.get("ticker")


@dataclass(frozen=True)
class Route(Generic[D]):
    """One endpoint: `GET /v2/aggs/ticker/{ticker}/prev` answered by `handler(data, request)`.

    `nonempty` names parameters that an empty segment does not match (the path is then
    unknown: 404); any other parameter matches an empty segment too, and its handler decides.
    `tier` is the least plan (auth.TIERS) the vendor serves it to; a lower plan gets 403.
    """

    method: str
    pattern: str
    handler: Callable[[D, Request], Reply]
    nonempty: tuple[str, ...] = ()
    tier: str = "basic"


@dataclass(frozen=True)
class Family(Generic[D]):
    """The endpoints of one family, and the path prefix under which any request, whether a
    route matches it or not, is a data request (request log, fault schedules)."""

    name: str
    data_prefix: str
    routes: tuple[Route[D], ...]


@dataclass(frozen=True)
class _Compiled(Generic[D]):
    route: Route[D]
    parts: tuple[str, ...]  # the pattern split on "/"
    params: dict[int, str]  # position of each {name} among the parts → name


class RouteTable(Generic[D]):
    """Every family's routes: a literal path first, then the patterns in the order declared."""

    def __init__(self, families: Iterable[Family[D]]) -> None:
        self.families = tuple(families)
        self.routes = tuple(route for family in self.families for route in family.routes)
        self.data_prefixes = tuple(dict.fromkeys(f.data_prefix for f in self.families))
        self._compiled = [_compile(route) for route in self.routes if _has_params(route)]
        self._literal: dict[tuple[str, str], Route[D]] = {}
        for route in self.routes:
            if not _has_params(route):
                self._literal.setdefault((route.method, route.pattern), route)

    def is_data_path(self, path: str) -> bool:
        return path.startswith(self.data_prefixes)

    def match(self, method: str, path: str) -> tuple[Route[D], dict[str, str]] | None:
        """The route answering `method path` (a raw path, still %-encoded) and its parameters."""
        segments = [unquote(segment) for segment in path.split("/")]
        literal = self._literal.get((method, "/".join(segments)))
        if literal is not None:
            return literal, {}
        for compiled in self._compiled:
            route, parts, params = compiled.route, compiled.parts, compiled.params
            if route.method != method:
                continue
            if len(segments) != len(parts):
                continue
            found: dict[str, str] = {}
            for index, (part, segment) in enumerate(zip(parts, segments, strict=True)):
                name = params.get(index)
                if name is None:
                    if part != segment:
                        break
                elif segment or name not in route.nonempty:
                    found[name] = segment
                else:
                    break
            else:
                return route, found
        return None


def _has_params(route: Route[D]) -> bool:
    return "{" in route.pattern


def _compile(route: Route[D]) -> _Compiled[D]:
    parts = tuple(route.pattern.split("/"))
    params = {
        index: part[1:-1]
        for index, part in enumerate(parts)
        if part.startswith("{") and part.endswith("}")
    }
    return _Compiled(route, parts, params)
