"""How flows reach the backends: one MCP client session on the gateway.

By default the gateway is built in this process and reached over fastmcp's in-memory
transport (nothing to deploy); with ``BALCAO_MCP_URL`` set, flows talk to a gateway
deployed apart over streamable HTTP with the bearer token ``BALCAO_MCP_TOKEN``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastmcp import Client
from fastmcp.exceptions import ToolError

from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings


class FlowToolError(RuntimeError):
    """A tool refused or failed; the message is the tool's (already sanitised)."""

    def __init__(self, tool: str, message: str):
        super().__init__(f"{tool}: {message}")
        self.tool = tool


class McpTools:
    """Calls gateway tools by name and returns their structured results as dicts."""

    def __init__(self, client: Client):
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        try:
            result = await self.client.call_tool(tool, arguments)
        except ToolError as exc:
            raise FlowToolError(tool, str(exc)) from None
        return dict(result.structured_content or {})


@asynccontextmanager
async def gateway_tools(settings: Settings, *, role: str = "operator",
                        gateway: Gateway | None = None) -> AsyncIterator[McpTools]:
    """An open MCP session on the gateway (in-process unless BALCAO_MCP_URL is set).

    ``role`` is the in-process caller's role: flows started by an operator on this machine
    act as operator; a deployed gateway takes the role from the token instead.
    """
    if settings.mcp_url:
        token = settings.mcp_token.get_secret_value() if settings.mcp_token else None
        client = Client(settings.mcp_url, auth=token)
        async with client:
            yield McpTools(client)
        return
    own = gateway is None
    gateway = gateway or Gateway(settings, http=False, default_role=role)
    try:
        async with Client(gateway.mcp) as client:
            yield McpTools(client)
    finally:
        if own:
            gateway.catalog.close()
