"""The vendor's fixed lists: exchanges, trade and quote conditions, ticker types.

Taken from the shapes (and the example rows) of the vendor's OpenAPI: ids as the real API gives
them, so that a trade's `x` or a condition code means the same here. Exchange ids repeat across
asset classes (crypto's 1 is Coinbase, stocks' 1 NYSE American); a condition id is unique per
data type (a trade's 1 is "Acquisition", a quote's 1 "Regular, Two-Sided Open").
"""

from __future__ import annotations

from typing import Any

# id, type, asset class, locale, name, acronym, mic, operating mic, participant id, url
_EXCHANGES: tuple[tuple[Any, ...], ...] = (
    (1, "exchange", "stocks", "us", "NYSE American, LLC", "AMEX", "XASE", "XNYS", "A",
     "https://www.nyse.com/markets/nyse-american"),
    (2, "exchange", "stocks", "us", "Nasdaq OMX BX, Inc.", "", "XBOS", "XNAS", "B",
     "https://www.nasdaq.com/solutions/nasdaq-bx-stock-market"),
    (3, "exchange", "stocks", "us", "NYSE National, Inc.", "NSX", "XCIS", "XNYS", "C",
     "https://www.nyse.com/markets/nyse-national"),
    (4, "TRF", "stocks", "us", "FINRA Alternative Display Facility", "", "XADF", "FINR", "D",
     "https://www.finra.org"),
    (5, "SIP", "stocks", "us", "Unlisted Trading Privileges", "UTP", "", "XNAS", "E",
     "https://www.utpplan.com"),
    (7, "exchange", "stocks", "us", "Cboe EDGA", "EDGA", "EDGA", "XCBO", "J",
     "https://www.cboe.com/us/equities"),
    (8, "exchange", "stocks", "us", "Cboe EDGX", "EDGX", "EDGX", "XCBO", "K",
     "https://www.cboe.com/us/equities"),
    (9, "exchange", "stocks", "us", "NYSE Chicago, Inc.", "CHX", "XCHI", "XNYS", "M",
     "https://www.nyse.com/markets/nyse-chicago"),
    (10, "exchange", "stocks", "us", "New York Stock Exchange", "NYSE", "XNYS", "XNYS", "N",
     "https://www.nyse.com"),
    (11, "exchange", "stocks", "us", "NYSE Arca, Inc.", "ARCA", "ARCX", "XNYS", "P",
     "https://www.nyse.com/markets/nyse-arca"),
    (12, "exchange", "stocks", "us", "Nasdaq", "NASDAQ", "XNAS", "XNAS", "T",
     "https://www.nasdaq.com"),
    (13, "SIP", "stocks", "us", "Consolidated Tape Association", "CTA", "", "XNYS", "S",
     "https://www.ctaplan.com"),
    (15, "exchange", "stocks", "us", "Investors Exchange", "IEX", "IEXG", "IEXG", "V",
     "https://www.iextrading.com"),
    (19, "exchange", "stocks", "us", "Cboe BZX", "BZX", "BATS", "XCBO", "Z",
     "https://www.cboe.com/us/equities"),
    (21, "exchange", "stocks", "us", "Members Exchange", "MEMX", "MEMX", "MEMX", "U",
     "https://www.memx.com"),
    (62, "ORF", "stocks", "us", "OTC Equity Security", "OTC", "OOTC", "FINR", "",
     "https://www.finra.org/filing-reporting/over-the-counter-reporting-facility-orf"),
    (201, "TRF", "stocks", "us", "FINRA NYSE TRF", "", "FINY", "XNYS", "L",
     "https://www.finra.org"),
    (202, "TRF", "stocks", "us", "FINRA Nasdaq TRF Carteret", "", "FINN", "XNAS", "L",
     "https://www.finra.org"),
    (300, "exchange", "options", "us", "NYSE American Options", "AMXO", "AMXO", "XNYS", "A",
     "https://www.nyse.com/markets/american-options"),
    (302, "exchange", "options", "us", "Cboe Options", "CBOE", "XCBO", "XCBO", "C",
     "https://www.cboe.com/us/options"),
    (306, "exchange", "options", "us", "Nasdaq ISE", "ISE", "XISX", "XNAS", "I",
     "https://www.nasdaq.com/solutions/nasdaq-ise"),
    (309, "exchange", "options", "us", "NYSE Arca Options", "ARCO", "ARCO", "XNYS", "N",
     "https://www.nyse.com/markets/arca-options"),
    (310, "SIP", "options", "us", "Options Price Reporting Authority", "OPRA", "", "", "O",
     "https://www.opraplan.com"),
    (312, "exchange", "options", "us", "Nasdaq Options Market", "NOM", "XNDQ", "XNAS", "Q",
     "https://www.nasdaq.com/solutions/nasdaq-options-market"),
    (316, "exchange", "options", "us", "Cboe BZX Options", "BZX", "BATO", "XCBO", "Z",
     "https://www.cboe.com/us/options"),
    (1, "exchange", "crypto", "global", "Coinbase", "", "", "", "",
     "https://www.coinbase.com"),
    (2, "exchange", "crypto", "global", "Bitfinex", "", "", "", "",
     "https://www.bitfinex.com"),
    (6, "exchange", "crypto", "global", "Bitstamp", "", "", "", "",
     "https://www.bitstamp.net"),
    (23, "exchange", "crypto", "global", "Kraken", "", "", "", "",
     "https://www.kraken.com"),
    (48, "exchange", "fx", "global", "Currency Banks Aggregate", "", "", "", "", ""),
)  # fmt: skip
_EXCHANGE_FIELDS = (
    "id", "type", "asset_class", "locale", "name", "acronym", "mic", "operating_mic",
    "participant_id", "url",
)  # fmt: skip


def exchanges() -> list[dict[str, Any]]:
    """Every exchange, TRF and SIP, in the vendor's order (stocks, options, crypto, fx); an
    empty text field is one the vendor leaves out."""
    return [
        {name: value for name, value in zip(_EXCHANGE_FIELDS, row, strict=True) if value != ""}
        for row in _EXCHANGES
    ]


def _rules(volume: bool, high_low: bool, open_close: bool) -> dict[str, Any]:
    """A condition's update rules: what a trade with it changes, consolidated and per market
    center alike (the vendor's example)."""
    rule = {
        "updates_high_low": high_low,
        "updates_open_close": open_close,
        "updates_volume": volume,
    }
    return {"consolidated": dict(rule), "market_center": dict(rule)}


# asset class, id, type, name, data types, sip mapping, rules (volume, high/low, open/close),
# extra fields
_CONDITIONS: tuple[tuple[Any, ...], ...] = (
    ("stocks", 0, "sale_condition", "Regular Trade", ("trade",), {"CTA": "@", "UTP": "@"},
     (True, True, True), {"abbreviation": "RT"}),
    ("stocks", 1, "sale_condition", "Acquisition", ("trade",), {"UTP": "A"},
     (True, True, True), {"description": "A transaction made on the exchange as a result of "
                                         "an exchange acquisition."}),
    ("stocks", 2, "sale_condition", "Average Price Trade", ("trade",), {"CTA": "B", "UTP": "W"},
     (True, False, False), {}),
    ("stocks", 7, "sale_condition", "Cash Sale", ("trade",), {"CTA": "C", "UTP": "C"},
     (True, False, False), {}),
    ("stocks", 12, "sale_condition", "Form T", ("trade",), {"CTA": "T", "UTP": "T"},
     (True, False, False), {"description": "A trade reported outside regular hours."}),
    ("stocks", 14, "sale_condition", "Intermarket Sweep", ("trade",), {"CTA": "F", "UTP": "F"},
     (True, True, True), {"abbreviation": "ISO"}),
    ("stocks", 37, "sale_condition", "Odd Lot Trade", ("trade",), {"CTA": "I", "UTP": "I"},
     (True, False, False), {}),
    ("stocks", 41, "trade_thru_exempt", "Trade Thru Exempt", ("trade",), {"CTA": "X"},
     (True, True, True), {"legacy": True}),
    ("stocks", 52, "sale_condition", "Contingent Trade", ("trade",), {"CTA": "V", "UTP": "7"},
     (True, False, False), {"exchange": 10}),
    ("stocks", 0, "quote_condition", "Regular", ("bbo", "nbbo"), {"CTA": "R", "UTP": "R"},
     None, {}),
    ("stocks", 1, "quote_condition", "Regular, Two-Sided Open", ("bbo", "nbbo"),
     {"CTA": "O"}, None, {}),
    ("stocks", 3, "quote_condition", "Slow Ask", ("bbo",), {"CTA": "A"}, None, {}),
    ("stocks", 13, "quote_condition", "Opening", ("bbo", "nbbo"), {"CTA": "O", "UTP": "O"},
     None, {}),
    ("stocks", 1, "short_sale_restriction_indicator", "Short Sale Restriction Activated",
     ("bbo", "nbbo"), {"CTA": "A", "UTP": "A"}, None, {}),
    ("options", 201, "sale_condition", "Canceled", ("trade",), {"OPRA": "A"},
     (False, False, False), {}),
    ("options", 209, "sale_condition", "Regular", ("trade",), {"OPRA": "I"},
     (True, True, True), {}),
    ("options", 219, "sale_condition", "Intermarket Sweep", ("trade",), {"OPRA": "S"},
     (True, True, True), {"abbreviation": "ISO"}),
    ("options", 227, "sale_condition", "Multi Leg Auto Electronic Trade", ("trade",),
     {"OPRA": "a"}, (True, True, True), {}),
    ("crypto", 1, "sale_condition", "Sell Side", ("trade",), {}, (True, True, True), {}),
    ("crypto", 2, "sale_condition", "Buy Side", ("trade",), {}, (True, True, True), {}),
)  # fmt: skip


def conditions() -> list[dict[str, Any]]:
    """Every condition, by asset class then data type and id (the vendor's default sort is by
    asset class)."""
    rows: list[dict[str, Any]] = []
    for asset, ident, kind, name, data_types, sips, rules, extra in _CONDITIONS:
        row: dict[str, Any] = {"asset_class": asset, "data_types": list(data_types), "id": ident}
        row.update(name=name, sip_mapping=dict(sips), type=kind, **extra)
        if rules is not None:
            row["update_rules"] = _rules(*rules)
        rows.append(row)
    return rows


# code, description, asset class, locale
_TICKER_TYPES = (
    ("CS", "Common Stock"), ("PFD", "Preferred Stock"), ("WARRANT", "Warrant"),
    ("RIGHT", "Rights"), ("BOND", "Corporate Bond"), ("ETF", "Exchange Traded Fund"),
    ("ETN", "Exchange Traded Note"), ("ETV", "Exchange Traded Vehicle"),
    ("SP", "Structured Product"), ("ADRC", "American Depository Receipt Common"),
    ("ADRP", "American Depository Receipt Preferred"), ("FUND", "Fund"),
    ("UNIT", "Unit"), ("OS", "Ordinary Shares"), ("OTHER", "Other Security Type"),
)  # fmt: skip


def ticker_types() -> list[dict[str, Any]]:
    """The codes of /v3/reference/tickers' `type`: the US stock types, and the index type."""
    rows = [
        {"code": code, "description": text, "asset_class": "stocks", "locale": "us"}
        for code, text in _TICKER_TYPES
    ]
    rows.append({"code": "INDEX", "description": "Index", "asset_class": "indices", "locale": "us"})
    return rows
