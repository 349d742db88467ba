"""An Odoo MCP server over the embedded Odoo, reached through a real fastmcp Client."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastmcp import FastMCP

from mcp_servers.odoo.app import build_odoo_server
from mcp_servers.odoo.policy import WRITE_TOOLS
from mcp_servers.odoo.server import OdooTools
from mcp_servers.odoo.tenants import CredentialManager
from mcp_servers.settings import Settings
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key


@pytest.fixture
def anyio_backend() -> str:
    """MCP clients run on asyncio."""
    return "asyncio"


@pytest.fixture
def make_server(embedded_odoo: EmbeddedOdoo, tmp_path: Path) -> Callable[..., FastMCP]:
    """Build an Odoo MCP server: role, enabled write tools, login and profile are knobs."""

    def make(role: str = "operator", write_tools: tuple[str, ...] = WRITE_TOOLS,
             login: str = "admin", **profile: object) -> FastMCP:
        settings = Settings(_env_file=None, odoo_url=embedded_odoo.url, odoo_login=login,
                            odoo_secret=demo_api_key(login),
                            odoo_write_tools=",".join(write_tools),
                            tenants_file=tmp_path / "no-tenants.json", mcp_role=role)
        tools = OdooTools(CredentialManager.from_settings(settings), settings)
        return build_odoo_server(tools, **profile)  # type: ignore[arg-type]

    return make


@pytest.fixture
def odoo_mcp(make_server: Callable[..., FastMCP]) -> FastMCP:
    return make_server()
