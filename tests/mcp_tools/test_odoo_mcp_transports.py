"""The Odoo MCP server over streamable HTTP and SSE on loopback, and over stdio as a process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from fastmcp import Client, FastMCP
from fastmcp.client.transports import StdioTransport

from sandbox.loopback import LoopbackServer
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("transport", "path"), [("http", "/mcp"), ("sse", "/sse")])
async def test_http_transports(odoo_mcp: FastMCP, transport: str, path: str) -> None:
    app = odoo_mcp.http_app(transport=transport)
    with LoopbackServer(app) as server:
        async with Client(f"{server.url}{path}") as client:
            names = {t.name for t in await client.list_tools()}
            result = await client.call_tool("count_records", {"model": "product.product",
                                                              "domain": []})
    assert "search_records" in names
    assert result.structured_content == {"model": "product.product", "count": 200}


async def test_stdio_through_the_cli(embedded_odoo: EmbeddedOdoo, tmp_path: Path) -> None:
    env = {**os.environ, "ODOO_URL": embedded_odoo.url, "ODOO_API_KEY": demo_api_key("admin"),
           "BALCAO_TENANTS_FILE": str(tmp_path / "none.json"), "BALCAO_MCP_ROLE": "viewer"}
    balcao = str(Path(sys.executable).with_name("balcao"))
    transport = StdioTransport(command=balcao, args=["mcp", "serve", "--server", "odoo",
                                                     "--transport", "stdio"], env=env)
    async with Client(transport) as client:
        result = await client.call_tool("get_current_context", {})
        denied = await client.call_tool("confirm_order", {"order_id": 1},
                                        raise_on_error=False)
    assert result.structured_content["role"] == "viewer"
    assert denied.is_error and "operator or admin role" in denied.content[0].text
