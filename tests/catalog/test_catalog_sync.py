"""Catalog sync from a fresh embedded Odoo: incremental, idempotent, archive-aware."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.catalog_sync import sync_catalog
from flows.mcp_client import FlowToolError, gateway_tools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.odoo import OdooConnector
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key

from .conftest import catalog_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def odoo(tmp_path: Path) -> Iterator[EmbeddedOdoo]:
    """Its own Odoo: these tests rename and archive products."""
    with EmbeddedOdoo(tmp_path / "odoo") as server:
        yield server


async def test_sync_is_incremental_idempotent_and_removes_archived(odoo: EmbeddedOdoo,
                                                                  tmp_path: Path) -> None:
    settings = catalog_settings(odoo, tmp_path)
    gateway = Gateway(settings, http=False, default_role="operator")
    connector = OdooConnector(odoo.url, "casaobra", "admin", demo_api_key("admin"))
    [drill] = connector.search_read("product.product", [["default_code", "=", "FEL-0002"]],
                                    ["id"])
    [bolt] = connector.search_read("product.product", [["default_code", "=", "FIX-0008"]],
                                   ["id"])
    async with gateway_tools(settings, gateway=gateway) as tools:
        first = await sync_catalog(tools)
        assert (first.read, first.embedded, first.deleted) == (200, 200, 0)
        second = await sync_catalog(tools)
        assert second.embedded == 0 and second.since

        time.sleep(1.1)  # write_date has one-second resolution
        connector.write("product.product", [drill["id"]], {"lst_price": 299.0})
        connector.write("product.product", [bolt["id"]],
                        {"name": "Parafuso sextavado 3/8 x 2 polegadas inox"})
        third = await sync_catalog(tools)  # re-reads what shares the watermark's second
        assert (third.embedded, third.payload_updated) == (1, 1)
        assert third.unchanged == third.read - 2 and third.deleted == 0
        # newer watermark: only the products written in its second (both, unless the two
        # writes straddled a second boundary)
        stamps = {r["id"]: r["write_date"] for r in connector.read(
            "product.product", [drill["id"], bolt["id"]], ["write_date"])}
        watermark = max(stamps.values())
        assert (await sync_catalog(tools)).read == list(stamps.values()).count(watermark)
        found = await tools.call("catalog_search", query="FEL-0002", live=False)
        assert found["hits"][0]["price"] == 299.0
        renamed = await tools.call("catalog_search", query="parafuso inox", live=False)
        assert renamed["hits"][0]["product_id"] == bolt["id"]

        time.sleep(1.1)
        connector.write("product.product", [drill["id"]], {"active": False})
        fourth = await sync_catalog(tools)
        # the archived drill, plus the bolt when it holds the watermark's second
        assert (fourth.read, fourth.deleted) == (1 + (stamps[bolt["id"]] == watermark), 1)
        gone = await tools.call("catalog_search", query="FEL-0002", live=False, limit=10)
        assert all(h["product_id"] != drill["id"] for h in gone["hits"])

        await tools.call("catalog_upsert_documents", documents=[{
            "product_id": 999_999, "name_pt": "Produto que sumiu do Odoo"}])
        full = await sync_catalog(tools, full=True)
        assert (full.mode, full.read, full.embedded, full.deleted) == ("full", 200, 0, 1)
        count = await tools.call("catalog_count")
        assert count["count"] == 199


async def test_sync_without_odoo_fails_clearly(tmp_path: Path) -> None:
    settings = catalog_settings(EmbeddedOdoo(tmp_path / "never-started"), tmp_path,
                                odoo_read_retries=0)
    async with gateway_tools(settings) as tools:
        with pytest.raises(FlowToolError, match="unreachable"):
            await sync_catalog(tools)
