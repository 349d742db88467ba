"""Roles and tenant binding for every tool call through the gateway.

viewer: read tools; operator: read and write tools; admin: everything (credential reload).
A ``permissions`` claim can add tools by name, or ``*`` for all. A token's ``tenant_id``
is the only tenant its calls reach (admins may name another).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mcp.types as mt
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools import Tool, ToolResult

from mcp_servers.gateway.tokens import role_of

ALLOWED_TAGS = {"viewer": {"read", "gateway"}, "operator": {"read", "write", "gateway"},
                "admin": {"read", "write", "gateway", "admin"}}


def _claims() -> dict[str, Any] | None:
    token = get_access_token()
    return None if token is None else dict(token.claims)


def allowed(tool: Tool, claims: dict[str, Any] | None, default_role: str) -> bool:
    role = role_of(claims) if claims is not None else default_role
    permissions = (claims or {}).get("permissions") or []
    if "*" in permissions or tool.name in permissions:
        return True
    return bool(set(tool.tags) & ALLOWED_TAGS[role])


class RoleMiddleware(Middleware):
    """Hides tools the caller's role may not use and refuses calls to them."""

    def __init__(self, default_role: str = "viewer"):
        self.default_role = default_role

    async def on_list_tools(self, context: MiddlewareContext[mt.ListToolsRequest],
                            call_next: CallNext[mt.ListToolsRequest, Sequence[Tool]]
                            ) -> Sequence[Tool]:
        tools = await call_next(context)
        claims = _claims()
        return [t for t in tools if allowed(t, claims, self.default_role)]

    async def on_call_tool(self, context: MiddlewareContext[mt.CallToolRequestParams],
                           call_next: CallNext[mt.CallToolRequestParams, ToolResult]
                           ) -> ToolResult:
        claims = _claims()
        name = context.message.name
        server = context.fastmcp_context.fastmcp if context.fastmcp_context else None
        tool = await server.get_tool(name) if server else None
        if tool is not None and not allowed(tool, claims, self.default_role):
            role = role_of(claims) if claims is not None else self.default_role
            raise ToolError(f"{name} is not allowed for role {role}; use a read tool or ask "
                            "for a token with the operator role")
        if claims is not None and tool is not None and \
                "tenant" in (tool.parameters.get("properties") or {}):
            self._bind_tenant(context, claims)
        return await call_next(context)

    @staticmethod
    def _bind_tenant(context: MiddlewareContext[mt.CallToolRequestParams],
                     claims: dict[str, Any]) -> None:
        tenant = claims.get("tenant_id")
        if not tenant:
            return
        arguments = dict(context.message.arguments or {})
        asked = arguments.get("tenant") or ""
        if asked and asked != tenant and role_of(claims) != "admin":
            raise ToolError(f"your token is for tenant '{tenant}', not '{asked}'")
        arguments["tenant"] = asked or tenant
        context.message.arguments = arguments
