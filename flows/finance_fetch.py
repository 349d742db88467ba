"""What the financial analysis reads, through the Odoo MCP tools only, page by page.

``list_receivables`` / ``list_payables`` give the open items (and Odoo's own totals for a
cross-check), ``aggregate_records`` the revenue and expenses per period, and
``search_records`` the paid invoices and their payments for the customers' payment history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from flows.finance_figures import OpenItem, PaidInvoice, PeriodFlow, money

PAGE = 200
HISTORY_DAYS = 365
Progress = Callable[[int, int], None]  # (fetched, expected)


class Tools(Protocol):
    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]: ...


def company_id(company: str) -> int:
    """``all`` (every company the tenant allows) is 0 for the tools."""
    if company == "all":
        return 0
    if not company.isdigit() or int(company) < 1:
        raise ValueError(f"company must be a company id (1, 2, …) or 'all', not {company!r}")
    return int(company)


async def open_items(tools: Tools, kind: str, *, tenant: str, company: str, as_of: str,
                     progress: Progress | None = None
                     ) -> tuple[list[OpenItem], dict[str, Decimal]]:
    """Every open item of ``kind`` (receivable|payable) and Odoo's totals for them."""
    items: list[OpenItem] = []
    totals: dict[str, Decimal] = {}
    offset = 0
    while True:
        page = await tools.call(f"odoo_list_{kind}s", tenant=tenant,
                                company_id=company_id(company), as_of=as_of, limit=PAGE,
                                offset=offset)
        items.extend(OpenItem.from_tool(row) for row in page["items"])
        totals = {f"{kind}_open": money(page["total_residual"]),
                  f"{kind}_overdue": money(page["total_overdue"])}
        if progress:
            progress(len(items), page["matching"])
        if not page["has_more"]:
            return items, totals
        offset = page["next_offset"]


async def _search_all(tools: Tools, model: str, domain: list[Any], fields: list[str], *,
                      tenant: str, company: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await tools.call("odoo_search_records", model=model, domain=domain,
                                fields=fields, limit=PAGE, offset=offset, order="id asc",
                                tenant=tenant, company_id=company_id(company))
        rows.extend(page["records"])
        if not page["has_more"]:
            return rows
        offset = page["next_offset"]


async def paid_invoices(tools: Tools, *, tenant: str, company: str, as_of: str
                        ) -> list[PaidInvoice]:
    """Customer invoices due in the last 12 months and fully paid, with their payment day.

    The payment day is the latest payment reconciled with the invoice (Odoo's
    ``account.payment.reconciled_invoice_ids``); payments may precede the window.
    """
    day = dt.date.fromisoformat(as_of)
    since = day - dt.timedelta(days=HISTORY_DAYS)
    invoices = await _search_all(tools, "account.move", [
        ["move_type", "=", "out_invoice"], ["state", "=", "posted"],
        ["payment_state", "in", ["paid", "in_payment"]],
        ["invoice_date_due", ">=", since.isoformat()],
        ["invoice_date_due", "<=", as_of]],
        ["partner_id", "invoice_date_due", "amount_total"], tenant=tenant, company=company)
    if not invoices:
        return []
    payments = await _search_all(tools, "account.payment", [
        ["payment_type", "=", "inbound"], ["partner_type", "=", "customer"],
        ["state", "not in", ["draft", "cancel", "canceled", "rejected"]],
        ["date", ">=", (since - dt.timedelta(days=HISTORY_DAYS)).isoformat()]],
        ["date", "reconciled_invoice_ids"], tenant=tenant, company=company)
    paid_on: dict[int, str] = {}
    for payment in payments:
        for invoice_id in payment.get("reconciled_invoice_ids") or []:
            paid_on[invoice_id] = max(paid_on.get(invoice_id, ""), payment["date"])
    return [PaidInvoice(partner_id=inv["partner_id"][0], partner_name=inv["partner_id"][1],
                        due_date=inv["invoice_date_due"], paid_on=paid_on[inv["id"]],
                        amount_total=money(inv["amount_total"]))
            for inv in invoices if inv["id"] in paid_on and inv["invoice_date_due"]]


def periods(as_of: str, period: str) -> list[tuple[str, dt.date, dt.date]]:
    """The last 12 months (or 4 quarters) up to ``as_of``: (label, first day, last day)."""
    day = dt.date.fromisoformat(as_of)
    step = {"monthly": 1, "quarterly": 3}.get(period)
    if step is None:
        raise ValueError(f"period must be monthly or quarterly, not {period!r}")
    first_month = (day.month - 1) // step * step + 1
    start = dt.date(day.year, first_month, 1)
    out = []
    for _ in range(12 // step):
        end_month = start.month + step
        end = dt.date(start.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
        label = (f"{start.year}-{start.month:02d}" if step == 1
                 else f"{start.year}-Q{(start.month - 1) // 3 + 1}")
        out.append((label, start, min(end - dt.timedelta(days=1), day)))
        back = start.month - step
        start = dt.date(start.year - (back < 1), (back - 1) % 12 + 1, 1)
    return out[::-1]


async def period_flows(tools: Tools, *, tenant: str, company: str, as_of: str, period: str,
                       progress: Progress | None = None) -> list[PeriodFlow]:
    """Revenue (customer invoices less credit notes) and expenses (bills less refunds) per
    period, by invoice date, from Odoo's read_group; one call per period keeps the
    period's bounds ours rather than parsing Odoo's localised group labels."""
    out = []
    spans = periods(as_of, period)
    for n, (label, first, last) in enumerate(spans, start=1):
        result = await tools.call(
            "odoo_aggregate_records", model="account.move",
            domain=[["state", "=", "posted"],
                    ["move_type", "in", ["out_invoice", "out_refund", "in_invoice", "in_refund"]],
                    ["invoice_date", ">=", first.isoformat()],
                    ["invoice_date", "<=", last.isoformat()]],
            group_by=["move_type"], aggregates=["amount_total:sum"], tenant=tenant,
            company_id=company_id(company))
        sums = {g["move_type"]: money(g.get("amount_total")) for g in result["groups"]}
        zero = Decimal("0.00")
        revenue = sums.get("out_invoice", zero) - sums.get("out_refund", zero)
        expenses = sums.get("in_invoice", zero) - sums.get("in_refund", zero)
        out.append(PeriodFlow(period=label, start=first.isoformat(), end=last.isoformat(),
                              revenue=revenue, expenses=expenses, net=revenue - expenses))
        if progress:
            progress(n, len(spans))
    return out
