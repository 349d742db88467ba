"""Registers the catalog tools on a FastMCP server.

Tool names are snake_case without a prefix; the gateway mounts this server under the
``catalog`` namespace (``catalog_search``). Tags: ``catalog`` plus ``read`` or ``write``.
In read-only mode the write tools are not registered at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastmcp import FastMCP
from pydantic import Field

from mcp_servers.catalog.schemas import (
    CollectionInfo,
    CollectionList,
    CountResult,
    DeleteResult,
    ProductDocument,
    SearchFilters,
    SearchResult,
    UpsertResult,
)
from mcp_servers.catalog.server import MAX_BATCH, CatalogTools
from mcp_servers.odoo.server import DESTRUCTIVE, READ, WRITE

Tenant = Annotated[str, Field(description="Tenant id; empty = the default tenant.")]
Category = Annotated[str, Field(description="Only this category (e.g. 'Tintas'); empty = all.")]
Price = Annotated[float, Field(ge=0, description="0 = no bound.")]
CompanyId = Annotated[int, Field(ge=0, description="Only products of this company (and shared "
                                                   "ones); 0 = any.")]
ProductIds = Annotated[list[int], Field(description="product.product ids.")]

TOOL_NAMES = ("list_collections", "collection_info", "search", "count", "upsert_documents",
              "delete_documents")


def build_catalog_server(tools: CatalogTools, *, include: Iterable[str] | None = None,
                         exclude: Iterable[str] | None = None) -> FastMCP:
    """The catalog MCP server over ``tools`` (usable alone or mounted in the gateway)."""
    mcp = FastMCP("catalog", instructions=(
        "The shop's product catalog (Qdrant, hybrid search by meaning and by words, sizes, "
        "voltages and codes). Use search with the customer's own words in Portuguese or "
        "English; results carry product ids for Odoo, live price and stock, a score and why "
        "each product matched."), mask_error_details=True)

    def read(title: str, **kw: Any) -> Any:
        return mcp.tool(title=title, annotations=READ, tags={"catalog", "read"}, **kw)

    @read("Search products")
    def search(query: Annotated[str, Field(min_length=1, max_length=500, description=(
                   "What the customer asked for, as written: 'parafuso sextavado 3/8 x 2', "
                   "'furadeira 220V', 'white paint 18 liters', a code (FEL-0002) or a "
                   "barcode."))],
               limit: Annotated[int, Field(ge=1, le=50)] = 5,
               score_threshold: Annotated[float, Field(ge=0, le=1, description=(
                   "Drop hits scoring below this (0..1); 0 keeps all."))] = 0.0,
               category: Category = "", in_stock: bool = False, min_price: Price = 0.0,
               max_price: Price = 0.0, company_id: CompanyId = 0, tenant: Tenant = "",
               live: Annotated[bool, Field(description=(
                   "Overlay today's price and stock from Odoo on the hits."))] = True
               ) -> SearchResult:
        """Find products for a customer's description. Exact codes and barcodes come first;
        products contradicting a stated voltage or size rank below those that match. Each
        hit has product_id (for odoo_create_quotation), default_code, price, stock, score
        and match (why). When the best hit is out of stock, offer the next in-stock one."""
        filters = SearchFilters(category=category, in_stock=in_stock, min_price=min_price,
                                max_price=max_price, company_id=company_id)
        return tools.search(query, limit, score_threshold, filters, tenant, live)

    @read("Count products")
    def count(category: Category = "", in_stock: bool = False, min_price: Price = 0.0,
              max_price: Price = 0.0, company_id: CompanyId = 0,
              tenant: Tenant = "") -> CountResult:
        """How many active products match the filters."""
        return tools.count(SearchFilters(category=category, in_stock=in_stock,
                                         min_price=min_price, max_price=max_price,
                                         company_id=company_id), tenant)

    @read("List collections")
    def list_collections() -> CollectionList:
        """The Qdrant collections with a description and their number of points."""
        return tools.list_collections()

    @read("Collection info")
    def collection_info(tenant: Tenant = "") -> CollectionInfo:
        """Status, size, embedding model and vector size of the catalog, with the tenant's
        number of products and the newest Odoo write_date indexed (the sync watermark)."""
        return tools.collection_info(tenant)

    if not tools.settings.catalog_read_only:
        @mcp.tool(title="Upsert products", annotations=WRITE, tags={"catalog", "write"})
        def upsert_documents(documents: Annotated[list[ProductDocument], Field(
                                 min_length=1, max_length=MAX_BATCH)],
                             tenant: Tenant = "") -> UpsertResult:
            """Insert or update up to 500 products per call. The point id is derived from
            tenant + product_id, so sending a product again never duplicates it; products
            whose names did not change are not re-embedded (only price/stock updated)."""
            return tools.upsert_documents(documents, tenant)

        @mcp.tool(title="Delete products", annotations=DESTRUCTIVE,
                  tags={"catalog", "write"})
        def delete_documents(product_ids: ProductIds = [],  # noqa: B006
                             keep_only: Annotated[bool, Field(description=(
                                 "Delete every product of the tenant NOT in "
                                 "keep_product_ids (full sync)."))] = False,
                             keep_product_ids: ProductIds = [],  # noqa: B006
                             confirm: Annotated[bool, Field(description=(
                                 "false = only report how many would go."))] = False,
                             tenant: Tenant = "") -> DeleteResult:
            """Remove products from the catalog (archived or deleted in Odoo). Without
            confirm=true nothing is deleted and would_delete says how many would be."""
            return tools.delete_documents(product_ids, keep_product_ids, keep_only, confirm,
                                          tenant)

    hidden = set(exclude or ())
    if include is not None:
        hidden |= set(TOOL_NAMES) - set(include)
    if hidden:
        mcp.disable(names=hidden, components={"tool"})
    return mcp
