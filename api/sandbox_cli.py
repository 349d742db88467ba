"""`balcao sandbox ...`: run the embedded backends on this machine."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from api.chatwoot_sandbox_cli import chatwoot
from mcp_servers.settings import get_settings

sandbox_app = typer.Typer(help="Embedded backends for offline use (demo, tests).",
                          no_args_is_help=True)
console = Console(stderr=True)


@sandbox_app.command("odoo")
def odoo(
    port: int = typer.Option(None, help="Port (default BALCAO_SANDBOX_ODOO_PORT, 8069)."),
    host: str = typer.Option(None, help="Bind address (default loopback)."),
    data_dir: Path = typer.Option(None, help="Where the SQLite database lives."),
    version: str = typer.Option(None, help="Odoo version to emulate: 17, 18 or 19."),
    fresh: bool = typer.Option(False, help="Create the database as a new Odoo without demo "
                               "data (admin/admin, no shop) for `balcao odoo seed`."),
) -> None:
    """Serve the embedded Odoo (JSON-RPC, XML-RPC, /web/version; JSON-2 when 19)."""
    from sandbox.odoo import EmbeddedOdoo

    settings = get_settings()
    server = EmbeddedOdoo(
        data_dir or settings.sandbox_dir,
        host=host or settings.sandbox_odoo_host,
        port=settings.sandbox_odoo_port if port is None else port,
        version=version or settings.sandbox_odoo_version,
        demo=not fresh,
    )
    console.print(f"[bold]embedded Odoo {server.db.version}.0[/] database "
                  f"[cyan]{server.db.name}[/] at [green]{server.url}[/] "
                  f"(data: {server.db.path}); Ctrl-C stops it")
    server.serve_forever()


sandbox_app.command("chatwoot")(chatwoot)
