"""`balcao demo`: the main job on embedded defaults, with nothing to configure.

It starts the embedded Odoo with the Casa & Obra demo company, takes a short tour of it
through the Odoo connector, syncs the product catalog into the embedded Qdrant through the
MCP gateway, answers three customer searches with the product search flow, writes the
financial analysis of both companies (var/reports/), and plays a
WhatsApp conversation through the API, the Celery worker and the order flow, ending with
the quotation read back from Odoo.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import typer
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from api.catalog_cli import print_answer, print_report
from flows.catalog_sync import sync_catalog
from flows.mcp_client import gateway_tools
from flows.product_search import search_products
from mcp_servers.odoo import OdooConnector
from mcp_servers.settings import Settings, get_settings

DEMO_SEARCHES = ("parafuso sextavado 3/8 x 2", "furadeira 220V", "white paint 18 liters")

# wide enough for the tables when output is not a terminal (CI logs, pipes)
console = Console(width=None if Console().is_terminal else 140)


def tour(odoo: OdooConnector, as_of: dt.date) -> None:
    """Companies, five products with price and stock, three overdue customer invoices."""
    info = odoo.version()
    uid = odoo.authenticate()
    console.print(f"Odoo [bold]{info['server_version']}[/] at {odoo.url}, database "
                  f"[cyan]{odoo.db}[/], user [cyan]{odoo.login}[/] (uid {uid}, "
                  f"protocol {odoo.protocol})\n")
    [me] = odoo.read("res.users", [uid], ["company_ids"])
    companies = odoo.search_read("res.company", [], ["name", "vat", "city"], order="id",
                                 company_ids=me["company_ids"])
    table = Table("id", "company", "CNPJ", "city", title="Companies")
    for c in companies:
        table.add_row(str(c["id"]), c["name"], c["vat"] or "", c["city"] or "")
    console.print(table)

    products = odoo.search_read(
        "product.product", [["sale_ok", "=", True]],
        ["default_code", "name", "lst_price", "qty_available", "uom_id"],
        limit=5, order="default_code")
    table = Table("code", "product", "price (R$)", "stock", "unit", title="Products")
    for p in products:
        table.add_row(p["default_code"] or "", p["name"], f"{p['lst_price']:.2f}",
                      f"{p['qty_available']:g}", p["uom_id"][1] if p["uom_id"] else "")
    console.print(table)

    overdue = odoo.search_read(
        "account.move",
        [["move_type", "=", "out_invoice"], ["state", "=", "posted"],
         ["payment_state", "in", ["not_paid", "partial"]],
         ["invoice_date_due", "<", as_of.isoformat()]],
        ["name", "ref", "partner_id", "invoice_date_due", "amount_total", "amount_residual",
         "company_id"],
        limit=3, order="invoice_date_due asc, id", company_ids=me["company_ids"])
    table = Table("invoice", "NF", "customer", "due", "days late", "total (R$)", "open (R$)",
                  title=f"Overdue customer invoices on {as_of.isoformat()}")
    for m in overdue:
        due = dt.date.fromisoformat(m["invoice_date_due"])
        table.add_row(m["name"], m["ref"] or "", m["partner_id"][1], m["invoice_date_due"],
                      str((as_of - due).days), f"{m['amount_total']:.2f}",
                      f"{m['amount_residual']:.2f}")
    console.print(table)


def demo(
    as_of: str = typer.Option(None, help="Date for 'overdue' (YYYY-MM-DD); default today."),
    data_dir: Path = typer.Option(None, help="Embedded Odoo data dir (default sandbox dir)."),
) -> None:
    """Start the embedded backends with the demo company and tour them."""
    from sandbox.odoo import EmbeddedOdoo
    from sandbox.odoo.security import demo_api_key

    settings = get_settings()
    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    with EmbeddedOdoo(data_dir or settings.sandbox_dir,
                      version=settings.sandbox_odoo_version) as server, \
            OdooConnector(server.url, server.db.name, "admin", demo_api_key("admin"),
                          lang="pt_BR", timeout_s=settings.odoo_timeout_s) as odoo:
        tour(odoo, day)
        demo_settings = settings.model_copy(update={
            "odoo_url": server.url, "odoo_login": "admin",
            "odoo_secret": SecretStr(demo_api_key("admin")),
            "tenants_file": Path(data_dir or settings.sandbox_dir) / "no-tenants.json"})
        asyncio.run(catalog_tour(demo_settings))
        finance_tour(demo_settings, day, Path(data_dir or settings.sandbox_dir).parent /
                     "reports")
        from api.demo_whatsapp import play

        play(demo_settings, odoo, Path(data_dir or settings.sandbox_dir), console)


def finance_tour(settings: Settings, day: dt.date, out: Path) -> None:
    """The analyst's report for both companies, as `balcao flow finance` writes it."""
    from flows.financial_analysis import FinanceInputs, run

    report = run(FinanceInputs(company="all", as_of=day.isoformat(), out=str(out)),
                 settings=settings)
    rec, pay = report["receivables"], report["payables"]
    console.print(f"\n[bold]Financial analysis[/] (all companies, as of {day}): receivables "
                  f"open R$ {rec['open_total']:,.2f}, overdue R$ {rec['overdue_total']:,.2f}; "
                  f"payables open R$ {pay['open_total']:,.2f}, overdue "
                  f"R$ {pay['overdue_total']:,.2f}; DSO {report['dso']['days']} days")
    console.print(report["narrative"]["summary"])
    console.print(f"report: {out / 'report.html'} (and report.json, report.md, charts)")


async def catalog_tour(settings: Settings) -> None:
    """Sync the catalog from Odoo (incremental) and answer a few customer searches."""
    async with gateway_tools(settings) as tools:
        print_report(await sync_catalog(tools))
        for query in DEMO_SEARCHES:
            print_answer(await search_products(tools, query))
