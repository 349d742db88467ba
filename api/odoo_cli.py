"""`balcao odoo seed`: load the Casa & Obra demo company into an Odoo database.

compose's ``odoo-seed`` runs it once after ``odoo-init`` made the database; it also fills any
Odoo 17/18 a newcomer wants to try Balcão on. It connects as ``ODOO_LOGIN`` with
``ODOO_PASSWORD``/``ODOO_API_KEY`` (an administrator), never prints the secret, and with
``--claim`` first replaces a new database's well-known ``admin`` password by that secret.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from mcp_servers.odoo.connector import OdooConnector
from mcp_servers.odoo.errors import AccessDenied, OdooError
from mcp_servers.odoo.seed import DemoSeed, claim
from mcp_servers.settings import get_settings

odoo_app = typer.Typer(help="Set up an Odoo database for Balcão.", no_args_is_help=True)
DEMO_DATA = Path(__file__).resolve().parent.parent / "sandbox" / "data"


@odoo_app.command("seed")
def seed(
    data_dir: Path = typer.Option(DEMO_DATA, help="Folder with companies, catalog, partners "
                                  "and invoices CSV files."),
    claim_admin: bool = typer.Option(False, "--claim", help="If the configured secret is "
                                     "refused, log in with Odoo's initial 'admin' password "
                                     "and change it to the configured secret first."),
    force: bool = typer.Option(False, help="Run again although the database is marked "
                               "seeded (still creates nothing that exists)."),
) -> None:
    """Load the demo shop (2 companies, 200 products, customers, suppliers, 12 months of
    invoices and bills with their payments) through Odoo's public API. Safe to re-run."""
    settings = get_settings()
    out, err = Console(highlight=False), Console(stderr=True, highlight=False)
    odoo = OdooConnector(settings.odoo_url, settings.odoo_db, settings.odoo_login,
                         settings.odoo_secret, protocol=settings.odoo_protocol,
                         timeout_s=max(settings.odoo_timeout_s, 60.0), lang="en_US")
    try:
        with odoo, Progress(TextColumn("{task.description:<10}"), BarColumn(),
                            MofNCompleteColumn(), console=err, transient=True) as bar:
            if claim_admin:
                claim(odoo)  # logged when it changed the password
            tasks: dict[str, int] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done, total=total)

            result = DemoSeed(odoo, data_dir, progress=progress).run(force=force)
    except (OdooError, RuntimeError, OSError) as exc:
        hint = " (a new database still has Odoo's initial password: add --claim)" \
            if isinstance(exc, AccessDenied) and not claim_admin else ""
        err.print(f"[red]seeding {escape(settings.odoo_db)} at {escape(odoo.host)} failed:[/] "
                  f"{escape(str(exc))}{escape(hint)}")
        raise typer.Exit(1) from exc
    if result.already_seeded:
        out.print(f"{settings.odoo_db} is already seeded (--force runs it again)")
    else:
        created = ", ".join(f"{n} {kind}" for kind, n in result.created.items() if n)
        out.print(f"seeded {settings.odoo_db}: {created or 'nothing was missing'}")
    table = Table("company", "open receivables", "open payables")
    for company in sorted({c for c, _ in result.open_due}):
        table.add_row(str(company), f"{result.open_due.get((company, 'out_invoice'), 0):,.2f}",
                      f"{result.open_due.get((company, 'in_invoice'), 0):,.2f}")
    out.print(table)
