"""`balcao catalog sync` and `balcao flow search`: the catalog from a terminal.

Both run the gateway in-process (or use BALCAO_MCP_URL) and reach Odoo and Qdrant only
through its MCP tools, exactly as the API and workers do.
"""

from __future__ import annotations

import asyncio
import json

import typer
from rich.console import Console
from rich.table import Table

from flows.catalog_sync import SyncReport, run_catalog_sync
from flows.finance_cli import finance
from flows.mcp_client import FlowToolError, gateway_tools
from flows.product_search import ProductAnswer, search_products
from mcp_servers.settings import get_settings

catalog_app = typer.Typer(help="Product catalog (Qdrant): sync from Odoo.",
                          no_args_is_help=True)
flow_app = typer.Typer(help="Run a flow from the terminal.", no_args_is_help=True)
console = Console(width=None if Console().is_terminal else 140)
flow_app.command("finance")(finance)


def print_report(report: SyncReport) -> None:
    since = f" since {report.since}" if report.since else ""
    console.print(f"catalog sync ({report.mode}{since}) for tenant [cyan]{report.tenant}[/]: "
                  f"read {report.read}, embedded {report.embedded}, price/stock updated "
                  f"{report.payload_updated}, unchanged {report.unchanged}, deleted "
                  f"{report.deleted} in {report.seconds:.1f} s")


@catalog_app.command("sync")
def sync(full: bool = typer.Option(False, help="Read every product, drop vanished ones."),
         recreate: bool = typer.Option(False, help="Drop and rebuild the collection first "
                                                   "(embedding model changed)."),
         tenant: str = typer.Option("", help="Tenant (default BALCAO_DEFAULT_TENANT).")) -> None:
    """Upsert Odoo's changed products into the catalog (incremental unless --full)."""
    try:
        report = asyncio.run(run_catalog_sync(get_settings(), tenant, full=full,
                                              recreate=recreate))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    except FlowToolError as exc:
        console.print(f"[red]sync failed[/]: {exc}")
        raise typer.Exit(1) from None
    print_report(report)


def print_answer(answer: ProductAnswer) -> None:
    table = Table("#", "code", "product", "price (R$)", "stock", "score", "why",
                  title=f'"{answer.query}"')
    for i, s in enumerate(answer.best, start=1):
        table.add_row(str(i), s.default_code, s.name, f"{s.price:.2f}",
                      f"{s.qty_available:g}" if s.in_stock else "[red]0[/]", f"{s.score:.2f}",
                      s.why)
    console.print(table)
    for a in answer.alternatives:
        console.print(f"  in stock instead: {a.default_code} {a.name} R$ {a.price:.2f}")


@flow_app.command("search")
def search(query: str = typer.Argument(..., help='e.g. "furadeira 220V"'),
           limit: int = typer.Option(3, min=1, max=20),
           tenant: str = typer.Option("", help="Tenant (default BALCAO_DEFAULT_TENANT)."),
           as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON.")
           ) -> None:
    """Search the catalog as a customer would ask; ranked, explained answer."""

    settings = get_settings()

    async def run() -> ProductAnswer:
        if settings.llm_model:  # the CrewAI Flow: search, then the crew words the reply
            from flows.product_search_flow import ProductSearchFlow

            return await ProductSearchFlow(settings).kickoff_async(
                inputs={"query": query, "limit": limit, "tenant": tenant})
        # without a model the flow is its search step; skip loading crewai (seconds)
        async with gateway_tools(settings, role="viewer") as tools:
            return await search_products(tools, query, limit=limit, tenant=tenant)

    try:
        answer = asyncio.run(run())
    except FlowToolError as exc:
        console.print(f"[red]search failed[/]: {exc}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(answer.model_dump(), ensure_ascii=False, indent=2))
    else:
        print_answer(answer)
