"""Catalog sync: Odoo's products into the Qdrant catalog, through the MCP tools only.

Incremental by default: products whose ``write_date`` is at or after the newest one
already indexed (``catalog_collection_info``'s watermark). ``full`` reads every product and
also removes points whose product no longer exists. Archived or no-longer-sellable
products are deleted. Idempotent: the catalog re-embeds only products whose text changed,
so a second run with no change does no embedding work.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from flows.mcp_client import McpTools, gateway_tools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings

PAGE = 200
FIELDS = ["default_code", "barcode", "name", "categ_id", "uom_id", "lst_price",
          "qty_available", "company_id", "active", "sale_ok", "write_date"]
# Odoo hides archived records unless the domain names ``active``
ANY_ACTIVE: list[Any] = ["|", ["active", "=", True], ["active", "=", False]]


class SyncReport(BaseModel):
    tenant: str
    mode: str
    since: str
    read: int = 0
    embedded: int = 0
    payload_updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0


def _name(value: Any) -> str:
    """``[id, "All / Tintas"]`` → "Tintas"; False → ""."""
    return str(value[1]).split(" / ")[-1] if isinstance(value, list) and value else ""


def to_document(row: dict[str, Any], name_en: str) -> dict[str, Any]:
    company = row.get("company_id")
    return {"product_id": row["id"], "default_code": row.get("default_code") or "",
            "barcode": row.get("barcode") or "", "name_pt": row["name"],
            "name_en": name_en if name_en != row["name"] else "",
            "category": _name(row.get("categ_id")), "uom": _name(row.get("uom_id")),
            "list_price": float(row.get("lst_price") or 0.0),
            "qty_available": float(row.get("qty_available") or 0.0),
            "company_id": company[0] if isinstance(company, list) and company else 0,
            "active": True, "write_date": row.get("write_date") or ""}


async def sync_catalog(tools: McpTools, tenant: str = "", *, full: bool = False) -> SyncReport:
    """Run one sync for ``tenant`` (empty = the default tenant) and report the counts."""
    started = time.perf_counter()
    info = await tools.call("catalog_collection_info", tenant=tenant)
    tenant = info["tenant"]
    since = "" if full else info["last_write_date"]
    report = SyncReport(tenant=tenant, mode="full" if full else "incremental", since=since)
    domain: list[Any] = [*ANY_ACTIVE, ["write_date", ">=", since]] if since else ANY_ACTIVE
    sellable_ids: list[int] = []
    offset = 0
    while True:
        page = await tools.call("odoo_search_records", model="product.product", domain=domain,
                                fields=FIELDS, limit=PAGE, offset=offset,
                                order="write_date asc, id asc", tenant=tenant)
        rows = page["records"]
        report.read += len(rows)
        keep = [r for r in rows if r["active"] and r["sale_ok"]]
        gone = [r["id"] for r in rows if not (r["active"] and r["sale_ok"])]
        if keep:
            english = await tools.call(
                "odoo_search_records", model="product.product",
                domain=[*ANY_ACTIVE, ["id", "in", [r["id"] for r in keep]]], fields=["name"],
                limit=len(keep), tenant=tenant, lang="en_US")
            names_en = {r["id"]: r["name"] for r in english["records"]}
            result = await tools.call(
                "catalog_upsert_documents", tenant=tenant,
                documents=[to_document(r, names_en.get(r["id"], "")) for r in keep])
            report.embedded += result["embedded"]
            report.payload_updated += result["payload_updated"]
            report.unchanged += result["unchanged"]
            sellable_ids += [r["id"] for r in keep]
        if gone:
            deleted = await tools.call("catalog_delete_documents", tenant=tenant,
                                       product_ids=gone, confirm=True)
            report.deleted += deleted["deleted"]
        if not page["has_more"]:
            break
        offset = page["next_offset"]
    if full:
        deleted = await tools.call("catalog_delete_documents", tenant=tenant, keep_only=True,
                                   keep_product_ids=sellable_ids, confirm=True)
        report.deleted += deleted["deleted"]
    report.seconds = round(time.perf_counter() - started, 2)
    return report


async def run_catalog_sync(settings: Settings, tenant: str = "", *, full: bool = False,
                           recreate: bool = False) -> SyncReport:
    """One sync through the gateway (in-process unless BALCAO_MCP_URL is set).

    ``recreate`` drops and rebuilds the collection first (embedding model changed); it
    needs the in-process catalog.
    """
    gateway = None
    if recreate:
        if settings.mcp_url:
            raise ValueError("recreate works on the in-process catalog only; unset "
                             "BALCAO_MCP_URL")
        gateway = Gateway(settings, http=False, default_role="operator")
        gateway.catalog.index.recreate()
    try:
        async with gateway_tools(settings, gateway=gateway) as tools:
            return await sync_catalog(tools, tenant, full=full or recreate)
    finally:
        if gateway is not None:
            gateway.catalog.close()
