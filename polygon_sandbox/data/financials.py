"""Financial statements and ratios of the sandbox's common stocks, consistent with its own
listings and prices.

Each company (a ticker with a CIK, listings.cik) files a quarter's statements some weeks after
the quarter ends (its 10-K some more), and the API publishes a filing a few days after its filing
date (`published`): an incremental reader that asked the day before sees it only by reading
again from before its filing date, as with the vendor. A quarter's figures add up: gross profit
is revenue less cost of revenue, total assets are liabilities plus equity, the change in cash is
the sum of the three cash flows and the change of the balance sheet's cash. Annual and trailing
twelve months rows are the sums of their quarters. A ratio's price is its day's close from the
daily bars, its market cap that price times the ticker details' shares outstanding.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from .listings import cik, shares_outstanding
from .market import Market
from .seeds import number, stable_int
from .trading_calendar import TRADING_DAYS, date_of_ms, session_end_ms

FIRST_PERIOD_END = date(2015, 1, 1)  # the first quarter served ends after this
LAST_PERIOD_END = date(2031, 12, 31)  # generated ahead once; `published` decides what is seen
MAX_PUBLICATION_LAG_DAYS = 9  # a filing reaches the API up to this many days after it is filed
AVERAGE_VOLUME_DAYS = 30
_FISCAL_YEAR_ENDS = {"AAPL": 9, "MSFT": 6, "NVDA": 1}  # month of the fiscal year's last day
Row = dict[str, Any]


@dataclass(frozen=True)
class Quarter:
    """One fiscal quarter of a company: when it was filed and published, and its figures."""

    fiscal_year: int
    fiscal_quarter: int
    period_end: date
    filing_date: date
    published: date
    income: Mapping[str, float]
    balance: Mapping[str, float]
    cash_flow: Mapping[str, float]


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def _share(amount: float, fraction: float) -> float:
    """A whole-dollar part of an amount: figures are whole dollars, so their sums add up."""
    return float(round(amount * fraction))


def _income(rng: random.Random, revenue: float, shares: float, losing: bool) -> dict[str, float]:
    margin = rng.uniform(0.2, 0.35) if losing else rng.uniform(0.35, 0.7)
    cost = _share(revenue, 1 - margin)
    sga, research = _share(revenue, rng.uniform(0.08, 0.2)), _share(revenue, rng.uniform(0, 0.15))
    amortization = _share(revenue, rng.uniform(0.03, 0.06))
    other_opex = _share(revenue, rng.uniform(0.0, 0.03))
    opex = sga + research + amortization + other_opex
    operating = revenue - cost - opex
    interest_income = _share(revenue, 0.004)
    interest_expense = _share(revenue, rng.uniform(0.003, 0.015))
    affiliates = _share(revenue, rng.uniform(0.0, 0.005))
    other_income = _share(revenue, rng.uniform(-0.01, 0.01))
    other_total = interest_income - interest_expense + affiliates + other_income
    before_taxes = operating + other_total
    taxes = _share(before_taxes, rng.uniform(0.15, 0.25))
    consolidated = before_taxes - taxes
    minority = _share(consolidated, rng.uniform(0.0, 0.01))
    common = consolidated - minority
    diluted = shares * 1.01
    return {
        "revenue": revenue,
        "cost_of_revenue": cost,
        "gross_profit": revenue - cost,
        "selling_general_administrative": sga,
        "research_development": research,
        "depreciation_depletion_amortization": amortization,
        "other_operating_expenses": other_opex,
        "total_operating_expenses": opex,
        "operating_income": operating,
        "interest_income": interest_income,
        "interest_expense": interest_expense,
        "equity_in_affiliates": affiliates,
        "other_income_expense": other_income,
        "total_other_income_expense": other_total,
        "income_before_income_taxes": before_taxes,
        "income_taxes": taxes,
        "discontinued_operations": 0.0,
        "extraordinary_items": 0.0,
        "consolidated_net_income_loss": consolidated,
        "noncontrolling_interest": minority,
        "preferred_stock_dividends_declared": 0.0,
        "net_income_loss_attributable_common_shareholders": common,
        "basic_shares_outstanding": shares,
        "diluted_shares_outstanding": diluted,
        "basic_earnings_per_share": common / shares,
        "diluted_earnings_per_share": common / diluted,
        "ebitda": operating + amortization,
    }


def _balance(rng: random.Random, assets: float) -> dict[str, float]:
    parts = {
        "cash_and_equivalents": rng.uniform(0.08, 0.15),
        "short_term_investments": rng.uniform(0.02, 0.08),
        "receivables": rng.uniform(0.05, 0.1),
        "inventories": rng.uniform(0.0, 0.08),
        "other_current_assets": rng.uniform(0.01, 0.03),
        "property_plant_equipment_net": rng.uniform(0.2, 0.3),
        "goodwill": rng.uniform(0.05, 0.15),
        "intangible_assets_net": rng.uniform(0.02, 0.08),
        "accounts_payable": rng.uniform(0.05, 0.08),
        "debt_current": rng.uniform(0.02, 0.04),
        "deferred_revenue_current": rng.uniform(0.01, 0.03),
        "accrued_and_other_current_liabilities": rng.uniform(0.03, 0.06),
        "long_term_debt_and_capital_lease_obligations": rng.uniform(0.1, 0.25),
        "other_noncurrent_liabilities": rng.uniform(0.03, 0.08),
        "noncontrolling_interest": rng.uniform(0.0, 0.01),
        "common_stock": 0.005,
        "additional_paid_in_capital": rng.uniform(0.05, 0.15),
        "treasury_stock": -rng.uniform(0.0, 0.03),
        "accumulated_other_comprehensive_income": -rng.uniform(0.0, 0.01),
    }
    b = {name: _share(assets, share) for name, share in parts.items()}
    b["preferred_stock"] = b["other_equity"] = b["commitments_and_contingencies"] = 0.0
    current_assets = ("cash_and_equivalents", "short_term_investments", "receivables")
    b["total_current_assets"] = sum(b[n] for n in current_assets) + (
        b["inventories"] + b["other_current_assets"]
    )
    fixed = b["property_plant_equipment_net"] + b["goodwill"] + b["intangible_assets_net"]
    b["other_assets"] = assets - b["total_current_assets"] - fixed
    current_liabilities = ("accounts_payable", "debt_current", "deferred_revenue_current")
    b["total_current_liabilities"] = (
        sum(b[n] for n in current_liabilities) + (b["accrued_and_other_current_liabilities"])
    )
    b["total_liabilities"] = (
        b["total_current_liabilities"]
        + b["long_term_debt_and_capital_lease_obligations"]
        + b["other_noncurrent_liabilities"]
    )
    b["total_assets"] = assets
    b["total_equity"] = assets - b["total_liabilities"]
    b["total_equity_attributable_to_parent"] = b["total_equity"] - b["noncontrolling_interest"]
    named = ("common_stock", "additional_paid_in_capital", "treasury_stock", "preferred_stock")
    b["retained_earnings_deficit"] = b["total_equity_attributable_to_parent"] - (
        sum(b[n] for n in named) + b["accumulated_other_comprehensive_income"] + b["other_equity"]
    )
    b["total_liabilities_and_equity"] = b["total_liabilities"] + b["total_equity"]
    return b


def _cash_flow(
    rng: random.Random, income: Mapping[str, float], now: Mapping[str, float], before: Row
) -> dict[str, float]:
    """The quarter's cash flows: the financing plug makes them add up to the balance sheet's
    change in cash."""
    revenue, net_income = income["revenue"], income["consolidated_net_income_loss"]
    operating_parts = {
        "net_income": net_income,
        "depreciation_depletion_and_amortization": income["depreciation_depletion_amortization"],
        "change_in_other_operating_assets_and_liabilities_net": _share(
            revenue, rng.uniform(-0.03, 0.03)
        ),
        "other_cash_adjustments": _share(revenue, rng.uniform(0.0, 0.02)),
        "other_operating_activities": 0.0,
    }
    operating = sum(operating_parts.values())
    purchases, sales = -_share(revenue, rng.uniform(0.04, 0.07)), _share(revenue, 0.002)
    other_investing = _share(revenue, rng.uniform(-0.01, 0.01))
    investing = purchases + sales + other_investing
    currency = _share(revenue, rng.uniform(-0.002, 0.002))
    change = now["cash_and_equivalents"] - before["cash_and_equivalents"]
    financing = change - operating - investing - currency
    dividends = -_share(max(net_income, 0.0), rng.choice((0.0, 0.0, 0.2, 0.35)))
    long_debt = (
        now["long_term_debt_and_capital_lease_obligations"]
        - before["long_term_debt_and_capital_lease_obligations"]
    )
    short_debt = now["debt_current"] - before["debt_current"]
    return {
        **operating_parts,
        "noncontrolling_interests": income["noncontrolling_interest"],
        "income_loss_from_discontinued_operations": 0.0,
        "net_cash_from_operating_activities": operating,
        "cash_from_operating_activities_continuing_operations": operating,
        "net_cash_from_operating_activities_discontinued_operations": 0.0,
        "purchase_of_property_plant_and_equipment": purchases,
        "sale_of_property_plant_and_equipment": sales,
        "other_investing_activities": other_investing,
        "net_cash_from_investing_activities": investing,
        "net_cash_from_investing_activities_continuing_operations": investing,
        "net_cash_from_investing_activities_discontinued_operations": 0.0,
        "dividends": dividends,
        "long_term_debt_issuances_repayments": long_debt,
        "short_term_debt_issuances_repayments": short_debt,
        "other_financing_activities": financing - dividends - long_debt - short_debt,
        "net_cash_from_financing_activities": financing,
        "net_cash_from_financing_activities_continuing_operations": financing,
        "net_cash_from_financing_activities_discontinued_operations": 0.0,
        "effect_of_currency_exchange_rate": currency,
        "change_in_cash_and_equivalents": change,
    }


@lru_cache(maxsize=256)
def quarters(ticker: str) -> tuple[Quarter, ...]:
    """Every fiscal quarter of the company from 2015 to 2031, oldest first; () for a ticker
    without statements (a fund, an ADR, an unknown symbol)."""
    if cik(ticker) is None:
        return ()
    n = number("financials", ticker)
    year_end = _FISCAL_YEAR_ENDS.get(ticker, (12, 12, 3, 6, 9)[n % 5])
    shares_now = float(shares_outstanding(ticker))
    base = shares_now * (1.25 + n // 5 % 40 / 4)  # a quarter's revenue in 2015
    growth = 0.005 + n // 200 % 20 / 1000
    losing = n // 4000 % 5 == 0  # one company in five earns little or loses money
    turnover = 2.5 + n // 20_000 % 30 / 10  # total assets over a quarter's revenue
    found: list[Quarter] = []
    before: Row | None = None
    for k in range(4 * (LAST_PERIOD_END.year - FIRST_PERIOD_END.year)):
        fiscal_year, fiscal_quarter = FIRST_PERIOD_END.year + k // 4, k % 4 + 1
        month = fiscal_year * 12 + year_end - 1 - 3 * (4 - fiscal_quarter)  # months since 0 AD
        period_end = _month_end(month // 12, month % 12 + 1)
        rng = random.Random(stable_int("quarter", ticker, k))
        revenue = _share(base, (1 + growth) ** k * rng.uniform(0.92, 1.08))
        shares = shares_now * (1 + 0.002 * max(0, 60 - k))  # buy-backs: fewer shares since
        balance = _balance(rng, _share(revenue, turnover * rng.uniform(0.97, 1.03)))
        income = _income(rng, revenue, shares, losing)
        cash_flow = _cash_flow(rng, income, balance, before or balance)
        before = balance
        if period_end <= FIRST_PERIOD_END:
            continue
        filing_date = period_end + timedelta(
            days=rng.randint(55, 65) if fiscal_quarter == 4 else rng.randint(35, 44)
        )
        lag = number("published", ticker, k) % (MAX_PUBLICATION_LAG_DAYS + 1)
        published = filing_date + timedelta(days=lag)
        found.append(
            Quarter(
                fiscal_year,
                fiscal_quarter,
                period_end,
                filing_date,
                published,
                income,
                balance,
                cash_flow,
            )
        )
    return tuple(found)


_SHARE_FIELDS = ("basic_shares_outstanding", "diluted_shares_outstanding")
_PER_SHARE = {
    "basic_earnings_per_share": "basic_shares_outstanding",
    "diluted_earnings_per_share": "diluted_shares_outstanding",
}


def _summed(figures: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Flows of several quarters: money summed, shares averaged, per-share figures again."""
    total = {name: sum(f[name] for f in figures) for name in figures[0]}
    for name in _SHARE_FIELDS:
        if name in total:
            total[name] /= len(figures)
    for name, shares in _PER_SHARE.items():
        if name in total:
            total[name] = total["net_income_loss_attributable_common_shareholders"] / total[shares]
    return total


def _rounded(figures: Mapping[str, float]) -> dict[str, float]:
    """Dollars whole, per-share figures to the cent (as filed)."""
    return {
        name: round(value, 2) if name in _PER_SHARE else float(round(value))
        for name, value in figures.items()
    }


def _row(ticker: str, last: Quarter, timeframe: str, figures: Mapping[str, float]) -> Row:
    row: Row = {
        "cik": cik(ticker),
        "tickers": [ticker],
        "filing_date": last.filing_date.isoformat(),
        "period_end": last.period_end.isoformat(),
        "fiscal_year": float(last.fiscal_year),
    }
    if timeframe != "annual":
        row["fiscal_quarter"] = float(last.fiscal_quarter)
    return {**row, "timeframe": timeframe, **_rounded(figures)}


def statement_rows(kind: str, ticker: str, today: date) -> list[Row]:
    """The ticker's statements of `kind` (income, balance or cash_flow) the API has published
    by `today`, by period end: quarterly, annual, and (flows only) trailing twelve months."""
    seen = [q for q in quarters(ticker) if q.published <= today]
    rows: list[Row] = []
    for i, quarter in enumerate(seen):
        figures: Mapping[str, float] = getattr(quarter, kind)
        rows.append(_row(ticker, quarter, "quarterly", figures))
        if kind == "balance":
            if quarter.fiscal_quarter == 4:
                rows.append(_row(ticker, quarter, "annual", figures))
            continue
        last_four = [getattr(q, kind) for q in seen[max(0, i - 3) : i + 1]]
        if len(last_four) == 4:
            summed = _summed(last_four)
            rows.append(_row(ticker, quarter, "trailing_twelve_months", summed))
            if quarter.fiscal_quarter == 4 and seen[i - 3].fiscal_quarter == 1:
                rows.append(_row(ticker, quarter, "annual", summed))
    return rows


def ratios_day(now_ms: int) -> date:
    """The latest trading day whose bar is final at `now_ms`: the day ratios are computed for."""
    day = TRADING_DAYS.last_on_or_before(date_of_ms(now_ms))
    assert day is not None
    if session_end_ms(day) > now_ms:
        day = TRADING_DAYS.last_on_or_before(day - timedelta(days=1))
        assert day is not None
    return day


def _ratio(numerator: float, denominator: float, positive: bool = False) -> float | None:
    """numerator / denominator to 4 decimals; None where the vendor leaves it out (a zero or,
    where `positive`, a negative denominator)."""
    if denominator == 0 or (positive and denominator < 0):
        return None
    return round(numerator / denominator, 4)


def ratio_row(market: Market, ticker: str, now_ms: int) -> Row | None:
    """The ticker's ratios as of the latest final trading day, from the statements published by
    then; None for a ticker without statements."""
    day = ratios_day(now_ms)
    seen = [q for q in quarters(ticker) if q.published <= day]
    if len(seen) < 4:
        return None
    income = _summed([q.income for q in seen[-4:]])
    flows = _summed([q.cash_flow for q in seen[-4:]])
    balance = seen[-1].balance
    price = market.final_daily(ticker, day, False)[4]
    shares = float(shares_outstanding(ticker))
    market_cap = round(price * shares, 2)
    days = TRADING_DAYS.between(day - timedelta(days=60), day)[-AVERAGE_VOLUME_DAYS:]
    volume = sum(market.final_daily(ticker, d, True)[5] for d in days) / len(days)
    debt = balance["debt_current"] + balance["long_term_debt_and_capital_lease_obligations"]
    cash, equity = balance["cash_and_equivalents"], balance["total_equity"]
    liabilities = balance["total_current_liabilities"]
    enterprise = market_cap + debt - cash
    operating = flows["net_cash_from_operating_activities"]
    free_cash = operating + flows["purchase_of_property_plant_and_equipment"]
    net_income = income["net_income_loss_attributable_common_shareholders"]
    eps = round(income["basic_earnings_per_share"], 2)
    ratios: Row = {
        "ticker": ticker,
        "cik": cik(ticker),
        "date": day.isoformat(),
        "price": price,
        "average_volume": round(volume, 2),
        "market_cap": market_cap,
        "enterprise_value": round(enterprise, 2),
        "earnings_per_share": eps,
        "free_cash_flow": float(round(free_cash)),
        "price_to_earnings": _ratio(price, eps, positive=True),
        "price_to_book": _ratio(market_cap, balance["total_equity_attributable_to_parent"], True),
        "price_to_sales": _ratio(market_cap, income["revenue"]),
        "price_to_cash_flow": _ratio(market_cap, operating, positive=True),
        "price_to_free_cash_flow": _ratio(market_cap, free_cash, positive=True),
        "dividend_yield": _ratio(-flows["dividends"], market_cap),
        "return_on_assets": _ratio(net_income, balance["total_assets"]),
        "return_on_equity": _ratio(net_income, equity),
        "debt_to_equity": _ratio(debt, equity),
        "current": _ratio(balance["total_current_assets"], liabilities),
        "quick": _ratio(balance["total_current_assets"] - balance["inventories"], liabilities),
        "cash": _ratio(cash, liabilities),
        "ev_to_sales": _ratio(enterprise, income["revenue"]),
        "ev_to_ebitda": _ratio(enterprise, income["ebitda"], positive=True),
    }
    return {name: value for name, value in ratios.items() if value is not None}
