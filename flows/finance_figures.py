"""The financial analysis's figures, computed exactly (``Decimal``, BRL, 2 decimals).

Pure functions over what the Odoo MCP tools returned, so the same ledger always gives the
same report and the bench can time computing apart from fetching and rendering. Every
amount in the report, the charts and the narrative comes from here; nothing is estimated.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, Field

from crews.financial_analysis.narrative import brl

CENT = Decimal("0.01")
AGEING = (("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90),
          (">90", 91, None))
HORIZONS = (30, 60, 90)
TOP = 10


def money(value: Any) -> Decimal:
    """A tool's float (or string) as an exact amount: its shortest text, to the cent."""
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


class OpenItem(BaseModel):
    """One open invoice or bill, as ``list_receivables`` / ``list_payables`` return it."""

    id: int
    name: str
    partner_id: int
    partner_name: str
    company_id: int
    due_date: str = ""
    amount_total: Decimal
    amount_residual: Decimal
    days_overdue: int = 0

    @classmethod
    def from_tool(cls, row: dict[str, Any]) -> OpenItem:
        return cls(**{**row, "amount_total": money(row["amount_total"]),
                      "amount_residual": money(row["amount_residual"])})


class PaidInvoice(BaseModel):
    """A customer invoice settled in the window, with the day its last payment arrived."""

    partner_id: int
    partner_name: str
    due_date: str
    paid_on: str
    amount_total: Decimal

    @property
    def days_late(self) -> int:
        return max(0, (dt.date.fromisoformat(self.paid_on)
                       - dt.date.fromisoformat(self.due_date)).days)


class PeriodFlow(BaseModel):
    period: str = Field(description="YYYY-MM (monthly) or YYYY-Qn (quarterly)")
    start: str
    end: str = Field(description="Last day included")
    revenue: Decimal
    expenses: Decimal
    net: Decimal


class Ledger(BaseModel):
    """Everything the flow fetched through MCP; the only input of :func:`compute`."""

    tenant: str
    company: str
    as_of: str
    period: str = "monthly"
    receivables: list[OpenItem]
    payables: list[OpenItem]
    paid_invoices: list[PaidInvoice]
    flows: list[PeriodFlow]
    tool_totals: dict[str, Decimal] = Field(
        default_factory=dict, description="Totals the tools reported, for a cross-check")


def _sum(items: Iterable[OpenItem]) -> Decimal:
    return sum((i.amount_residual for i in items), Decimal("0.00"))


def ageing(items: list[OpenItem]) -> dict[str, Decimal]:
    buckets = {name: Decimal("0.00") for name, _lo, _hi in AGEING}
    for item in items:
        for name, lo, hi in AGEING:
            if (lo is None or item.days_overdue >= lo) and (hi is None or item.days_overdue <= hi):
                buckets[name] += item.amount_residual
                break
    return buckets


def open_summary(items: list[OpenItem]) -> dict[str, Any]:
    overdue = [i for i in items if i.days_overdue > 0]
    return {"open_total": _sum(items), "open_count": len(items), "overdue_total": _sum(overdue),
            "overdue_count": len(overdue), "ageing": ageing(items)}


def due_between(items: list[OpenItem], first: dt.date, last: dt.date) -> list[OpenItem]:
    return [i for i in items if i.due_date
            and first <= dt.date.fromisoformat(i.due_date) <= last]


def cash_projection(ledger: Ledger, day: dt.date) -> list[dict[str, Any]]:
    """Expected cash in and out by due date of open items, cumulative to each horizon.

    Items already overdue have no date to project on; they are reported beside the
    projection (``overdue_*``), not spread into it.
    """
    rows = []
    for days in HORIZONS:
        last = day + dt.timedelta(days=days)
        inflow = _sum(due_between(ledger.receivables, day, last))
        outflow = _sum(due_between(ledger.payables, day, last))
        rows.append({"days": days, "until": last.isoformat(), "inflow": inflow,
                     "outflow": outflow, "net": inflow - outflow})
    return rows


def top_overdue_customers(items: list[OpenItem]) -> list[dict[str, Any]]:
    by_partner: dict[int, dict[str, Any]] = {}
    for item in items:
        if item.days_overdue <= 0:
            continue
        row = by_partner.setdefault(item.partner_id, {
            "partner_id": item.partner_id, "partner_name": item.partner_name,
            "overdue_total": Decimal("0.00"), "invoices": 0, "oldest_days": 0})
        row["overdue_total"] += item.amount_residual
        row["invoices"] += 1
        row["oldest_days"] = max(row["oldest_days"], item.days_overdue)
    ranked = sorted(by_partner.values(), key=lambda r: (-r["overdue_total"], r["partner_id"]))
    return ranked[:TOP]


def payment_risk(ledger: Ledger) -> list[dict[str, Any]]:
    """Customers ranked by payment risk, 0 (pays on time) to 100, with the reason.

    Score = 40 × share of invoices paid late + 30 × average days late (capped at 30 days)
    + 30 × oldest open overdue (capped at 90 days): history and what is late now both count.
    """
    history: dict[int, list[PaidInvoice]] = defaultdict(list)
    names: dict[int, str] = {}
    for paid in ledger.paid_invoices:
        history[paid.partner_id].append(paid)
        names[paid.partner_id] = paid.partner_name
    overdue: dict[int, list[OpenItem]] = defaultdict(list)
    for item in ledger.receivables:
        names[item.partner_id] = item.partner_name
        if item.days_overdue > 0:
            overdue[item.partner_id].append(item)
    rows = []
    for partner in names:
        paid = history.get(partner, [])
        late = [p for p in paid if p.days_late > 0]
        share_late = Decimal(len(late)) / len(paid) if paid else Decimal(0)
        avg_late = (Decimal(sum(p.days_late for p in paid)) / len(paid)) if paid else Decimal(0)
        open_overdue = _sum(overdue.get(partner, []))
        oldest = max((i.days_overdue for i in overdue.get(partner, [])), default=0)
        score = (40 * share_late + 30 * min(avg_late / 30, Decimal(1))
                 + 30 * min(Decimal(oldest) / 90, Decimal(1)))
        reasons = [f"paid {len(late)} of {len(paid)} invoices late" if paid
                   else "no paid invoices in the last 12 months"]
        if paid:
            reasons.append(f"{avg_late.quantize(Decimal('0.1'))} days late on average")
        if open_overdue:
            reasons.append(f"{brl(float(open_overdue))} overdue now, oldest {oldest} days")
        rows.append({"partner_id": partner, "partner_name": names[partner],
                     "score": int(score.quantize(Decimal(1), ROUND_HALF_UP)),
                     "paid_invoices": len(paid), "paid_late": len(late),
                     "share_paid_late": share_late.quantize(CENT),
                     "avg_days_late": avg_late.quantize(Decimal("0.1")),
                     "open_overdue": open_overdue, "oldest_overdue_days": oldest,
                     "reason": "; ".join(reasons)})
    rows.sort(key=lambda r: (-r["score"], -r["open_overdue"], r["partner_id"]))
    return rows[:TOP]


def dso(ledger: Ledger, receivables_open: Decimal) -> dict[str, Any]:
    """Days sales outstanding over the analysed window: open receivables ÷ revenue × days."""
    if not ledger.flows:
        return {"days": None, "window_from": "", "window_to": "", "revenue": Decimal("0.00")}
    first = dt.date.fromisoformat(ledger.flows[0].start)
    last = dt.date.fromisoformat(ledger.flows[-1].end)
    revenue = sum((f.revenue for f in ledger.flows), Decimal("0.00"))
    days = (last - first).days + 1
    value = (receivables_open / revenue * days).quantize(Decimal("0.1")) if revenue else None
    return {"days": value, "window_from": first.isoformat(), "window_to": last.isoformat(),
            "window_days": days, "revenue": revenue, "receivables_open": receivables_open}


def compute(ledger: Ledger) -> dict[str, Any]:
    """The report's figures (JSON-ready once :func:`jsonable` is applied)."""
    day = dt.date.fromisoformat(ledger.as_of)
    receivables = open_summary(ledger.receivables)
    payables = open_summary(ledger.payables)
    week = due_between(ledger.payables, day, day + dt.timedelta(days=7))
    return {
        "tenant": ledger.tenant, "company": ledger.company, "as_of": ledger.as_of,
        "period": ledger.period, "currency": "BRL",
        "receivables": receivables, "payables": payables,
        "dso": dso(ledger, receivables["open_total"]),
        "periods": [f.model_dump() for f in ledger.flows],
        "cash_projection": {
            "horizons": cash_projection(ledger, day),
            "overdue_receivables_not_projected": receivables["overdue_total"],
            "overdue_payables_not_projected": payables["overdue_total"]},
        "top_overdue_customers": top_overdue_customers(ledger.receivables),
        "payment_risk": payment_risk(ledger),
        "payables_next_7_days": {
            "total": _sum(week),
            "items": [{"name": i.name, "partner_name": i.partner_name, "due_date": i.due_date,
                       "amount_residual": i.amount_residual, "company_id": i.company_id}
                      for i in sorted(week, key=lambda i: (i.due_date, i.id))]},
        "checks": consistency(ledger, receivables, payables),
    }


def consistency(ledger: Ledger, receivables: dict[str, Any], payables: dict[str, Any]
                ) -> dict[str, Any]:
    """Our sums against the totals Odoo computed itself (read_group): they must agree."""
    ours = {"receivable_open": receivables["open_total"],
            "receivable_overdue": receivables["overdue_total"],
            "payable_open": payables["open_total"], "payable_overdue": payables["overdue_total"]}
    mismatched = {k: {"items": v, "odoo": ledger.tool_totals[k]} for k, v in ours.items()
                  if k in ledger.tool_totals and ledger.tool_totals[k] != v}
    return {"totals_match_odoo": not mismatched, "mismatched": mismatched}


def jsonable(value: Any) -> Any:
    """Decimals become JSON numbers; a float's shortest repr prints a cent amount exactly."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
