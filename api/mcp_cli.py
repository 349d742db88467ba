"""`balcao mcp serve`: run an MCP server over stdio, streamable HTTP or SSE.

HTTP and SSE bind to loopback unless ``--host`` says otherwise. Callers without a token
get the role of ``BALCAO_MCP_ROLE`` (viewer by default: read-only).
"""

from __future__ import annotations

from enum import StrEnum

import typer

from mcp_servers.catalog.app import build_catalog_server
from mcp_servers.catalog.live import LivePrices
from mcp_servers.catalog.server import CatalogTools
from mcp_servers.chatwoot.app import build_chatwoot_server
from mcp_servers.chatwoot.server import ChatwootTools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.gateway.tokens import ROLES, mint_token
from mcp_servers.odoo.app import build_odoo_server
from mcp_servers.odoo.server import OdooTools
from mcp_servers.odoo.tenants import CredentialManager
from mcp_servers.settings import get_settings

mcp_app = typer.Typer(help="MCP servers: Odoo, catalog (Qdrant), Chatwoot and the gateway.",
                      no_args_is_help=True)


class Server(StrEnum):
    odoo = "odoo"
    catalog = "catalog"
    chatwoot = "chatwoot"
    gateway = "gateway"


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"
    sse = "sse"


@mcp_app.command("serve")
def serve(
    server: Server = typer.Option(Server.odoo, help="Which MCP server."),
    transport: Transport = typer.Option(Transport.stdio, help="stdio, http or sse."),
    host: str = typer.Option("127.0.0.1", help="HTTP/SSE bind address (loopback default)."),
    port: int = typer.Option(8765, help="HTTP/SSE port."),
    include: list[str] = typer.Option([], help="Only these tools (repeat)."),
    exclude: list[str] = typer.Option([], help="Hide these tools (repeat)."),
) -> None:
    """Serve an MCP server; stdio is for Claude Desktop and MCP Inspector."""
    settings = get_settings()
    middleware = None
    if server is Server.gateway:
        gateway = Gateway(settings, http=transport is not Transport.stdio)
        mcp = gateway.mcp
        middleware = gateway.http_middleware() if transport is not Transport.stdio else None
    elif server is Server.chatwoot:
        mcp = build_chatwoot_server(ChatwootTools(settings))
    elif server is Server.catalog:
        live = LivePrices(CredentialManager.from_settings(settings), settings.catalog_live_ttl_s)
        mcp = build_catalog_server(CatalogTools(settings, live=live), include=include or None,
                                   exclude=exclude)
    else:
        tools = OdooTools(CredentialManager.from_settings(settings), settings)
        mcp = build_odoo_server(tools, include=include or None, exclude=exclude)
    if transport is Transport.stdio:
        mcp.run(transport="stdio", show_banner=False)
    else:
        mcp.run(transport=transport.value, host=host, port=port, show_banner=False,
                middleware=middleware)


def token(
    role: str = typer.Option("viewer", help=f"One of {', '.join(ROLES)}."),
    tenant: str = typer.Option("", help="tenant_id claim (default BALCAO_DEFAULT_TENANT)."),
    subject: str = typer.Option("dev", help="sub claim."),
    ttl: int = typer.Option(3600, help="Seconds until the token expires."),
) -> None:
    """Mint a development bearer token for the HTTP gateway (HS256, BALCAO_JWT_SECRET)."""
    settings = get_settings()
    try:
        typer.echo(mint_token(settings, subject=subject, role=role,
                              tenant=tenant or settings.default_tenant, ttl_s=ttl))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
