"""The gateway: one MCP server mounting the backend servers under namespaces.

``odoo_*``, ``catalog_*`` and ``chatwoot_*``. Per session a
client may narrow itself to one domain with ``select_domain``: ``tools/list`` then shows
only that domain's tools (plus these scoping tools) and clients get ``tools/list_changed``.
The session's choice lives in the session state store (Redis when deployed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.server.auth import AuthProvider
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import Middleware
from key_value.aio.protocols import AsyncKeyValue
from mcp.types import ToolAnnotations
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mcp_servers.gateway.metrics import GatewayMetrics
from mcp_servers.gateway.rbac import RoleMiddleware
from mcp_servers.gateway.tokens import role_of

SCOPE = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True,
                        openWorldHint=False)


class Domain(BaseModel):
    name: str
    description: str
    tools: int


class DomainList(BaseModel):
    domains: list[Domain]


class SessionStatus(BaseModel):
    domain: str
    subject: str
    tenant: str
    role: str


def build_gateway(servers: dict[str, tuple[FastMCP, str]], *, default_role: str = "viewer",
                  auth: AuthProvider | None = None,
                  session_store: AsyncKeyValue | None = None,
                  audit: Middleware | None = None, inner: Sequence[Middleware] = (),
                  metrics: GatewayMetrics | None = None,
                  ready: Callable[[], Awaitable[dict[str, str]]] | None = None) -> FastMCP:
    """Mount ``servers`` ({namespace: (server, description)}) behind roles and scoping.

    Middleware order, outermost first: ``audit`` (sees refusals too), roles and tenant
    binding, then ``inner`` (rate limits, cache).
    """
    gateway = FastMCP("balcao", instructions=(
        "Balcão gateway: Odoo ERP tools are prefixed odoo_, product catalog tools "
        "catalog_, Chatwoot inbox tools chatwoot_. Call list_domains and "
        "select_domain to narrow your tool list to one backend."),
        auth=auth, session_state_store=session_store, mask_error_details=True)
    for namespace, (server, _description) in servers.items():
        gateway.mount(server, namespace=namespace)
    if audit is not None:
        gateway.add_middleware(audit)
    gateway.add_middleware(RoleMiddleware(default_role))
    for middleware in inner:
        gateway.add_middleware(middleware)

    def claims() -> dict[str, Any]:
        token = get_access_token()
        return dict(token.claims) if token else {}

    @gateway.tool(title="List domains", annotations=SCOPE, tags={"gateway"})
    async def list_domains(ctx: Context) -> DomainList:
        """The backends behind this gateway; select_domain narrows your tools to one."""
        tools = await gateway.list_tools()
        return DomainList(domains=[
            Domain(name=name, description=description,
                   tools=sum(1 for t in tools if t.name.startswith(f"{name}_")))
            for name, (_server, description) in servers.items()])

    @gateway.tool(title="Select domain", annotations=SCOPE, tags={"gateway"})
    async def select_domain(domain: str, ctx: Context) -> SessionStatus:
        """Show only this domain's tools for the rest of the session ("all" resets)."""
        if domain != "all" and domain not in servers:
            raise ToolError(f"unknown domain '{domain}'; list_domains shows "
                            f"{sorted(servers)} (or use 'all')")
        await ctx.reset_visibility()
        if domain != "all":
            await ctx.disable_components(components={"tool"}, match_all=True)
            await ctx.enable_components(tags={domain, "gateway"}, components={"tool"})
        await ctx.set_state("domain", domain)
        return await _status(ctx)

    @gateway.tool(title="Session status", annotations=SCOPE, tags={"gateway"})
    async def get_session_status(ctx: Context) -> SessionStatus:
        """Your selected domain, identity, tenant and role."""
        return await _status(ctx)

    async def _status(ctx: Context) -> SessionStatus:
        token_claims = claims()
        return SessionStatus(
            domain=await ctx.get_state("domain") or "all",
            subject=str(token_claims.get("sub", "")),
            tenant=str(token_claims.get("tenant_id", "")),
            role=role_of(token_claims) if token_claims else default_role)

    @gateway.custom_route("/health", methods=["GET"])
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @gateway.custom_route("/ready", methods=["GET"])
    async def readiness(request: Request) -> JSONResponse:
        checks = await ready() if ready else {}
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)

    if metrics is not None:
        @gateway.custom_route("/metrics", methods=["GET"])
        async def prometheus(request: Request) -> Response:
            return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return gateway
