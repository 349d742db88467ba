"""Odoo MCP write tools: gating by tenant and role, idempotency, previewed writes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from fastmcp import Client, FastMCP
from fastmcp.exceptions import ToolError

pytestmark = pytest.mark.anyio


async def call(server: FastMCP, tool: str, **args: Any) -> dict[str, Any]:
    async with Client(server) as client:
        result = await client.call_tool(tool, args)
    return result.structured_content


def ref() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


async def test_same_client_order_ref_creates_one_order(odoo_mcp: FastMCP) -> None:
    key = ref()
    args = {"partner_id": 10, "client_order_ref": key,
            "lines": [{"default_code": "FIX-0002", "quantity": 2},
                      {"product_id": 3, "quantity": 1, "price_unit": 30.0}]}
    first = await call(odoo_mcp, "create_quotation", **args)
    again = await call(odoo_mcp, "create_quotation", **args)
    assert first["created"] and not again["created"]
    assert first["id"] == again["id"] and first["state"] == "draft"
    assert first["amount_total"] == pytest.approx(2 * 23.62 + 30.0)
    assert [ln["default_code"] for ln in first["lines"]] == ["FIX-0002", "FIX-0003"]
    found = await call(odoo_mcp, "count_records", model="sale.order",
                       domain=[["client_order_ref", "=", key]])
    assert found["count"] == 1


async def test_concurrent_calls_with_one_key_create_one_order(odoo_mcp: FastMCP) -> None:
    key = ref()
    args = {"partner_id": 10, "client_order_ref": key,
            "lines": [{"default_code": "FIX-0001", "quantity": 1}]}
    async with Client(odoo_mcp) as client:
        results = await asyncio.gather(*[client.call_tool("create_quotation", args)
                                         for _ in range(5)])
    assert len({r.structured_content["id"] for r in results}) == 1
    assert sum(r.structured_content["created"] for r in results) == 1


async def test_unknown_product_is_a_clear_error_and_creates_nothing(odoo_mcp: FastMCP) -> None:
    key = ref()
    with pytest.raises(ToolError, match="unknown product 'NOPE-1'"):
        await call(odoo_mcp, "create_quotation", partner_id=10, client_order_ref=key,
                   lines=[{"default_code": "FIX-0001", "quantity": 1},
                          {"default_code": "NOPE-1", "quantity": 1}])
    found = await call(odoo_mcp, "count_records", model="sale.order",
                       domain=[["client_order_ref", "=", key]])
    assert found["count"] == 0


async def test_invalid_quantity_is_refused(odoo_mcp: FastMCP) -> None:
    with pytest.raises(ToolError):
        await call(odoo_mcp, "create_quotation", partner_id=10, client_order_ref=ref(),
                   lines=[{"default_code": "FIX-0001", "quantity": 0}])


async def test_confirm_order_is_idempotent_and_reserves(odoo_mcp: FastMCP) -> None:
    order = await call(odoo_mcp, "create_quotation", partner_id=11, client_order_ref=ref(),
                       lines=[{"default_code": "FIX-0005", "quantity": 3}])
    before = await call(odoo_mcp, "get_record", model="product.product",
                        record_id=order["lines"][0]["product_id"],
                        fields=["virtual_available"])
    confirmed = await call(odoo_mcp, "confirm_order", order_id=order["id"])
    twice = await call(odoo_mcp, "confirm_order", order_id=order["id"])
    assert confirmed["state"] == twice["state"] == "sale"
    after = await call(odoo_mcp, "get_record", model="product.product",
                       record_id=order["lines"][0]["product_id"],
                       fields=["virtual_available"])
    assert after["record"]["virtual_available"] == before["record"]["virtual_available"] - 3
    status = await call(odoo_mcp, "get_order_status", order=order["name"])
    assert status["state_label"] == "Sales Order" and status["id"] == order["id"]


async def test_create_partner_reuses_phone_and_vat(odoo_mcp: FastMCP) -> None:
    existing = await call(odoo_mcp, "create_partner", name="Outro Nome",
                          phone="+55 15 92768-4208")
    assert not existing["created"] and existing["name"] == "Construtora Horizonte LTDA"
    phone = f"+55 11 9{uuid.uuid4().int % 10**8:08d}"
    new = await call(odoo_mcp, "create_partner", name="Cliente Novo", phone=phone)
    assert new["created"]
    again = await call(odoo_mcp, "find_partner_by_phone", phone=phone)
    assert [p["id"] for p in again["partners"]] == [new["id"]]


async def test_viewer_cannot_write(make_server) -> None:
    viewer = make_server(role="viewer")
    with pytest.raises(ToolError, match="operator or admin role"):
        await call(viewer, "create_quotation", partner_id=10, client_order_ref=ref(),
                   lines=[{"default_code": "FIX-0001", "quantity": 1}])


async def test_writes_are_off_unless_the_tenant_enables_them(make_server) -> None:
    read_only = make_server(write_tools=())
    with pytest.raises(ToolError, match="disabled for tenant"):
        await call(read_only, "confirm_order", order_id=1)
    only_quotes = make_server(write_tools=("create_quotation",))
    with pytest.raises(ToolError, match="disabled for tenant"):
        await call(only_quotes, "create_partner", name="X")


async def test_odoo_access_error_is_a_tool_error(make_server) -> None:
    vendas = make_server(login="vendas")
    with pytest.raises(ToolError, match="lacks the rights"):
        await call(vendas, "list_receivables")


async def test_preview_then_execute_write(odoo_mcp: FastMCP) -> None:
    preview = await call(odoo_mcp, "preview_write", model="res.partner", operation="write",
                         ids=[12], values={"city": "Itu"})
    assert preview["ids"] == [12] and "city" in preview["summary"]
    unchanged = await call(odoo_mcp, "get_record", model="res.partner", record_id=12,
                           fields=["city"])
    assert unchanged["record"]["city"] != "Itu"
    with pytest.raises(ToolError, match="confirm=true"):
        await call(odoo_mcp, "execute_write", token=preview["token"], confirm=False)
    done = await call(odoo_mcp, "execute_write", token=preview["token"], confirm=True)
    assert done == {"model": "res.partner", "operation": "write", "ids": [12]}
    changed = await call(odoo_mcp, "get_record", model="res.partner", record_id=12,
                         fields=["city"])
    assert changed["record"]["city"] == "Itu"
    with pytest.raises(ToolError, match="already used"):
        await call(odoo_mcp, "execute_write", token=preview["token"], confirm=True)


async def test_tampered_token_is_refused(odoo_mcp: FastMCP) -> None:
    preview = await call(odoo_mcp, "preview_write", model="res.partner", operation="create",
                         values={"name": "Tamper Test"})
    body, mac = preview["token"].split(".")
    import base64
    import json

    payload = json.loads(base64.urlsafe_b64decode(body))
    payload["values"]["name"] = "Someone Else"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode() + "." + mac
    with pytest.raises(ToolError, match="invalid token"):
        await call(odoo_mcp, "execute_write", token=forged, confirm=True)


async def test_preview_checks_live_fields_and_policy(odoo_mcp: FastMCP) -> None:
    with pytest.raises(ToolError, match="unknown fields"):
        await call(odoo_mcp, "preview_write", model="res.partner", operation="write",
                   ids=[12], values={"no_such_field": 1})
    with pytest.raises(ToolError, match="policy"):
        await call(odoo_mcp, "preview_write", model="account.move", operation="unlink",
                   ids=[1])
    with pytest.raises(ToolError, match="do not exist"):
        await call(odoo_mcp, "preview_write", model="res.partner", operation="unlink",
                   ids=[999999])
