"""Every read tool of the Odoo MCP server, through an in-memory fastmcp Client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastmcp import Client, FastMCP
from fastmcp.exceptions import ToolError

from mcp_servers.odoo.app import TOOL_NAMES

pytestmark = pytest.mark.anyio


async def call(server: FastMCP, tool: str, **args: Any) -> dict[str, Any]:
    async with Client(server) as client:
        result = await client.call_tool(tool, args)
    return result.structured_content


async def test_tools_are_typed_annotated_and_plain(odoo_mcp: FastMCP) -> None:
    async with Client(odoo_mcp) as client:
        tools = await client.list_tools()
    assert {t.name for t in tools} == set(TOOL_NAMES)
    for tool in tools:
        assert tool.title and tool.description
        assert tool.outputSchema is not None, tool.name
        schemas = json.dumps([tool.inputSchema, tool.outputSchema])
        assert "anyOf" not in schemas, tool.name
        assert tool.annotations is not None
        read_only = tool.annotations.readOnlyHint
        assert read_only == (tool.name not in {"create_quotation", "confirm_order",
                                               "create_partner", "execute_write"}), tool.name


async def test_list_tenants_shows_companies_and_no_secret(odoo_mcp: FastMCP) -> None:
    result = await call(odoo_mcp, "list_tenants")
    [tenant] = result["tenants"]
    assert tenant["tenant"] == "casaobra" and tenant["reachable"]
    assert [c["id"] for c in tenant["companies"]] == [1, 2]
    from sandbox.odoo.security import demo_api_key

    assert demo_api_key("admin") not in json.dumps(result)


async def test_list_models_hides_blocked_models(odoo_mcp: FastMCP) -> None:
    models = {m["model"] for m in (await call(odoo_mcp, "list_models"))["models"]}
    assert {"res.partner", "sale.order", "account.move"} <= models
    assert "res.users" not in models and "ir.model" not in models
    sale = await call(odoo_mcp, "list_models", search="sale")
    assert {m["model"] for m in sale["models"]} == {"sale.order", "sale.order.line"}


async def test_get_fields(odoo_mcp: FastMCP) -> None:
    fields = {f["name"]: f for f in (await call(odoo_mcp, "get_fields",
                                                model="sale.order"))["fields"]}
    assert fields["partner_id"]["type"] == "many2one"
    assert fields["partner_id"]["relation"] == "res.partner"
    assert ["draft", "Quotation"] in fields["state"]["selection"]


async def test_search_records_pages(odoo_mcp: FastMCP) -> None:
    domain = [["qty_available", "=", 0]]
    first = await call(odoo_mcp, "search_records", model="product.product", domain=domain,
                       fields=["default_code"], limit=10, order="default_code")
    assert first["count"] == 10 and first["has_more"] and first["next_offset"] == 10
    second = await call(odoo_mcp, "search_records", model="product.product", domain=domain,
                        fields=["default_code"], limit=10, offset=10, order="default_code")
    assert second["count"] == 7 and not second["has_more"] and second["next_offset"] == 0
    codes = [r["default_code"] for r in first["records"] + second["records"]]
    assert len(set(codes)) == 17 and codes == sorted(codes)


@pytest.mark.parametrize("domain", [[["bogus", "=", 1]], ["|", ["name", "=", "x"]],
                                    [["name", "like_nope", "x"]]])
async def test_malformed_domain_is_an_error_never_all_records(odoo_mcp: FastMCP,
                                                              domain: list) -> None:
    with pytest.raises(ToolError) as err:
        await call(odoo_mcp, "search_records", model="res.partner", domain=domain)
    assert "domain" in str(err.value) or "Invalid" in str(err.value)


async def test_domain_as_text_is_refused(odoo_mcp: FastMCP) -> None:
    with pytest.raises(ToolError):
        await call(odoo_mcp, "search_records", model="res.partner", domain="[]")


async def test_limit_is_capped(odoo_mcp: FastMCP) -> None:
    with pytest.raises(ToolError):
        await call(odoo_mcp, "search_records", model="res.partner", domain=[], limit=201)


async def test_blocked_models_and_credential_fields(odoo_mcp: FastMCP) -> None:
    with pytest.raises(ToolError, match="policy"):
        await call(odoo_mcp, "search_records", model="res.users", domain=[])
    with pytest.raises(ToolError, match="policy"):
        await call(odoo_mcp, "count_records", model="ir.model", domain=[])
    with pytest.raises(ToolError, match="credentials"):
        await call(odoo_mcp, "search_records", model="res.partner", domain=[],
                   fields=["name", "password"])


async def test_get_record_and_missing_record(odoo_mcp: FastMCP) -> None:
    record = await call(odoo_mcp, "get_record", model="product.product", record_id=1,
                        fields=["default_code", "lst_price"])
    assert record["record"] == {"id": 1, "default_code": "FIX-0001", "lst_price": 18.9}
    with pytest.raises(ToolError, match="does not exist"):
        await call(odoo_mcp, "get_record", model="product.product", record_id=99999)


async def test_count_records_and_company_scope(odoo_mcp: FastMCP) -> None:
    both = await call(odoo_mcp, "count_records", model="account.move", domain=[])
    one = await call(odoo_mcp, "count_records", model="account.move", domain=[], company_id=1)
    two = await call(odoo_mcp, "count_records", model="account.move", domain=[], company_id=2)
    assert both["count"] == 707 == one["count"] + two["count"]
    with pytest.raises(ToolError, match="not allowed"):
        await call(odoo_mcp, "count_records", model="account.move", domain=[], company_id=3)


async def test_aggregate_records(odoo_mcp: FastMCP) -> None:
    result = await call(odoo_mcp, "aggregate_records", model="account.move",
                        domain=[["move_type", "=", "out_invoice"]],
                        group_by=["payment_state"], aggregates=["amount_residual:sum"])
    groups = {g["payment_state"]: g for g in result["groups"]}
    assert groups["paid"]["amount_residual"] == 0
    assert groups["not_paid"]["amount_residual"] > 0
    invoices = await call(odoo_mcp, "count_records", model="account.move",
                          domain=[["move_type", "=", "out_invoice"]])
    assert sum(g["count"] for g in groups.values()) == invoices["count"]


async def test_name_search(odoo_mcp: FastMCP) -> None:
    result = await call(odoo_mcp, "name_search", model="product.product", name="FIX-0001")
    assert result["matches"][0]["id"] == 1


@pytest.mark.parametrize("spelling", ["+55 15 92768-4208", "15927684208", "551527684208",
                                      "(15) 2768-4208"])
async def test_find_partner_by_phone(odoo_mcp: FastMCP, spelling: str) -> None:
    result = await call(odoo_mcp, "find_partner_by_phone", phone=spelling)
    assert [p["name"] for p in result["partners"]] == ["Construtora Horizonte LTDA"]


async def test_find_partner_by_phone_refuses_garbage(odoo_mcp: FastMCP) -> None:
    with pytest.raises(ToolError, match="not a phone"):
        await call(odoo_mcp, "find_partner_by_phone", phone="call me")


async def test_receivables_and_payables(odoo_mcp: FastMCP) -> None:
    overdue = await call(odoo_mcp, "list_receivables", only_overdue=True, as_of="2026-11-20",
                         limit=5)
    assert overdue["matching"] > 5 and overdue["has_more"] and overdue["next_offset"] == 5
    assert all(i["days_overdue"] > 0 for i in overdue["items"])
    dues = [i["due_date"] for i in overdue["items"]]
    assert dues == sorted(dues)
    everything = await call(odoo_mcp, "list_receivables", as_of="2026-11-20", limit=200)
    assert everything["total_overdue"] == overdue["total_residual"]
    assert round(sum(i["amount_residual"] for i in everything["items"]), 2) == \
        everything["total_residual"]
    payables = await call(odoo_mcp, "list_payables", company_id=2, as_of="2026-11-20",
                          limit=200)
    assert payables["kind"] == "payable" and all(i["company_id"] == 2
                                                 for i in payables["items"])
    window = await call(odoo_mcp, "list_receivables", due_from="2026-11-01",
                        due_to="2026-11-30", as_of="2026-11-20", limit=200)
    assert all("2026-11-01" <= i["due_date"] <= "2026-11-30" for i in window["items"])
    with pytest.raises(ToolError, match="YYYY-MM-DD"):
        await call(odoo_mcp, "list_payables", as_of="yesterday")


async def test_current_context(odoo_mcp: FastMCP) -> None:
    context = await call(odoo_mcp, "get_current_context")
    assert context["uid"] == 2 and context["server_version"] == 17
    assert context["company_ids"] == [1, 2] and context["role"] == "operator"


async def test_unknown_tenant_is_a_clear_error(odoo_mcp: FastMCP) -> None:
    with pytest.raises(ToolError, match="list_tenants"):
        await call(odoo_mcp, "count_records", model="res.partner", domain=[], tenant="nope")


async def test_resources_and_prompt(odoo_mcp: FastMCP) -> None:
    async with Client(odoo_mcp) as client:
        tenants = json.loads((await client.read_resource("odoo://tenants"))[0].text)
        board = json.loads((await client.read_resource("odoo://casaobra/dashboard/0"))[0].text)
        prompt = await client.get_prompt("financial-analysis",
                                         {"tenant": "casaobra", "company_id": "1"})
    assert tenants["tenants"][0]["tenant"] == "casaobra"
    assert board["receivable_open"] >= board["receivable_overdue"] > 0
    text = prompt.messages[0].content.text
    assert "list_receivables" in text and "list_payables" in text


async def test_tool_profiles(make_server) -> None:
    narrow = make_server(include=["search_records", "count_records"])
    async with Client(narrow) as client:
        assert {t.name for t in await client.list_tools()} == {"search_records",
                                                               "count_records"}
    without_writes = make_server(exclude=["execute_write", "preview_write"])
    async with Client(without_writes) as client:
        names = {t.name for t in await client.list_tools()}
    assert "execute_write" not in names and "search_records" in names
