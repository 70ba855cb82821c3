"""News articles and related companies, made up and seeded, consistent with each other.

Stock tickers fall in peer groups (the major tickers together, the others five by five).
Each ticker is the subject of an article now and then (a major one, up to two a day); an
article may name peers of its subject too, so it is news of each ticker it names. The related
companies of a ticker are its peers, as the vendor's are "based on news and returns". An
article reaches the API some time after it was published (up to ~30 hours), as the vendor's
do: it is served from then on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from .listings import _stock_facts
from .seeds import number
from .universe import MAJOR_TICKERS, TICKERS

NEWS_START = date(2016, 1, 4)  # the first articles served
GROUP_SIZE = 5
_PUBLISHERS = (
    ("Investing.com", "https://www.investing.com/", "investing", True),
    ("The Motley Fool", "https://www.fool.com/", "motley_fool", False),
    ("Benzinga", "https://www.benzinga.com/", "benzinga", True),
    ("GlobeNewswire Inc.", "https://www.globenewswire.com/", "globenewswire", False),
)
_AUTHORS = ("Sam Boughedda", "Adria Cimino", "Chris Katje", "Staff Writer", "Keith Speights")
_SENTIMENTS = ("positive", "neutral", "negative")
_TOPICS = ("earnings", "guidance", "analyst ratings", "product launch", "buyback", "lawsuit")


def _peer_groups() -> dict[str, tuple[str, ...]]:
    groups: dict[str, tuple[str, ...]] = {ticker: MAJOR_TICKERS for ticker in MAJOR_TICKERS}
    others = [ticker for ticker in TICKERS if ticker not in MAJOR_TICKERS]
    for at in range(0, len(others), GROUP_SIZE):
        group = tuple(others[at : at + GROUP_SIZE])
        groups.update((ticker, group) for ticker in group)
    return groups


PEERS = _peer_groups()


def related_companies(ticker: str) -> list[str]:
    """The ticker's peers, most related first (up to ten, as the vendor's); [] if unknown."""
    peers = [peer for peer in PEERS.get(ticker, ()) if peer != ticker]
    return sorted(peers, key=lambda peer: number("related", ticker, peer))[:10]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=100_000)
def _draws(subject: str, day: date) -> tuple[tuple[int, int, tuple[str, ...]], ...]:
    """(draw, k, tickers named) of each article about `subject` published on `day` (UTC): a
    major ticker has up to two a day, another one every third day or so."""
    seed = number("news-count", subject, day)
    count = seed % 3 if subject in MAJOR_TICKERS else int(seed % 3 == 0)
    peers = [p for p in PEERS.get(subject, ()) if p != subject]
    draws = []
    for k in range(count):
        n = seed >> (8 + 20 * k)
        named = [subject]
        if peers and n % 3 == 0:
            named.append(peers[n // 3 % len(peers)])
        if len(peers) > 1 and n % 10 == 1:
            named.extend(p for p in peers[:2] if p not in named)
        draws.append((n, k, tuple(named)))
    return tuple(draws)


@lru_cache(maxsize=20_000)
def _article(subject: str, day: date, k: int) -> tuple[str, dict[str, Any]]:
    """One article, and the instant it reaches the API."""
    n, _, named = _draws(subject, day)[k]
    article_id = hashlib.sha256(f"news|{subject}|{day}|{k}".encode()).hexdigest()
    m = int(article_id[:12], 16)
    published = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(
        seconds=m % 86_400
    )
    name = _stock_facts(subject)[0]
    publisher, homepage, slug, amp = _PUBLISHERS[m // 7 % len(_PUBLISHERS)]
    topic = _TOPICS[m // 11 % len(_TOPICS)]
    url = f"{homepage}news/{article_id[:16]}"
    article: dict[str, Any] = {}
    if amp:
        article["amp_url"] = url + "?amp=1"
    article.update(
        article_url=url,
        author=_AUTHORS[m // 13 % len(_AUTHORS)],
        description=f"{name}: {topic} news the sandbox made up.",
        id=article_id,
        image_url=f"https://images.example/{article_id[:16]}.jpg",
        insights=[
            {
                "sentiment": _SENTIMENTS[int(article_id[20 + i], 16) % 3],
                "sentiment_reasoning": f"The article's {topic} news about {t}.",
                "ticker": t,
            }
            for i, t in enumerate(named)
        ],
        keywords=[topic, subject],
        published_utc=_stamp(published),
        publisher={
            "favicon_url": f"https://s3.massive.com/public/assets/news/favicons/{slug}.ico",
            "homepage_url": homepage,
            "logo_url": f"https://s3.massive.com/public/assets/news/logos/{slug}.png",
            "name": publisher,
        },
        tickers=list(named),
        title=f"{name}: {topic} ({published:%b %d})",
    )
    # Most articles arrive within minutes; one in eight more than a day late.
    delay = 60 + m // 17 % 600 if m // 19 % 8 else 86_400 + m // 23 % 21_600
    return _stamp(published + timedelta(seconds=delay)), article


def news_of(ticker: str, first: date, last: date, now: datetime) -> Iterator[dict[str, Any]]:
    """The articles naming `ticker` published from `first` to `last` (UTC dates) that reached
    the API by `now`, oldest first (by published_utc, then id)."""
    found: list[dict[str, Any]] = []
    arrived_by = _stamp(now)
    day = max(first, NEWS_START)
    while day <= last:
        for subject in PEERS.get(ticker, ()):
            for _, k, named in _draws(subject, day):
                if ticker in named:
                    arrived, article = _article(subject, day, k)
                    if arrived <= arrived_by:
                        found.append(article)
        day += timedelta(days=1)
    yield from sorted(found, key=lambda article: (article["published_utc"], article["id"]))
