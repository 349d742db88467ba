"""Registers the Odoo tools, resources and prompt on a FastMCP server.

Tool names are snake_case without a prefix; the gateway mounts this server under the
``odoo`` namespace (``odoo_search_records``). ``include``/``exclude`` give an agent only the
tools it needs (tool profiles).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastmcp import FastMCP
from pydantic import Field

from mcp_servers.odoo.schemas import (
    CountResult,
    CurrentContext,
    FieldList,
    GroupResult,
    ModelList,
    NameMatches,
    OpenItems,
    OrderStatus,
    PartnerMatches,
    PartnerResult,
    QuotationLine,
    RecordPage,
    RecordResult,
    TenantList,
    WritePreview,
    WriteResult,
)
from mcp_servers.odoo.server import (
    DESTRUCTIVE,
    MAX_LIMIT,
    READ,
    WRITE,
    CompanyId,
    Domain,
    OdooTools,
    Tenant,
)

Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")]
Offset = Annotated[int, Field(ge=0, description="Records to skip (from next_offset).")]
Fields = Annotated[list[str], Field(description="Fields to return; empty = the usual ones.")]
Model = Annotated[str, Field(description="Odoo model, e.g. res.partner, sale.order.")]
Day = Annotated[str, Field(description="Date YYYY-MM-DD; empty = not used.")]


def build_odoo_server(tools: OdooTools, *, include: Iterable[str] | None = None,
                      exclude: Iterable[str] | None = None) -> FastMCP:
    """The Odoo MCP server over ``tools`` (usable alone or mounted in the gateway)."""
    mcp = FastMCP("odoo", instructions=(
        "Odoo ERP of the shop: partners, products, quotations and sale orders, receivables "
        "and payables. Every tool takes an optional tenant and company_id. Results are JSON "
        "with ids; page with next_offset. Write tools may be disabled for your role."),
        mask_error_details=True)

    def read(title: str, **kw: Any) -> Any:
        return mcp.tool(title=title, annotations=READ, tags={"odoo", "read"}, **kw)

    @read("List tenants")
    def list_tenants() -> TenantList:
        """List the tenants (stores) this server serves and their companies. No secrets."""
        return tools.list_tenants()

    @read("List models")
    def list_models(tenant: Tenant = "", search: str = "") -> ModelList:
        """List the Odoo models you may read, optionally filtered by technical or display
        name (e.g. search="sale")."""
        return tools.list_models(tenant, search)

    @read("Get fields")
    def get_fields(model: Model, tenant: Tenant = "") -> FieldList:
        """Describe a model's fields (type, label, relation, selection values). Use before
        building a domain or choosing fields. Cached for 5 minutes."""
        return tools.get_fields(model, tenant)

    @read("Search records")
    def search_records(model: Model, domain: Domain, fields: Fields = [],  # noqa: B006
                       limit: Limit = 20, offset: Offset = 0, order: str = "",
                       tenant: Tenant = "", company_id: CompanyId = 0,
                       lang: Annotated[str, Field(pattern=r"^([a-z]{2}(_[A-Z]{2})?)?$",
                                                  description="Language of translated "
                                                  "fields, e.g. en_US; empty = the tenant's."
                                                  )] = "") -> RecordPage:
        """Search records with an Odoo domain and return the chosen fields. A malformed
        domain is an error, never an unfiltered search. has_more/next_offset page on.
        Archived records are included when the domain names the active field."""
        return tools.search_records(model, domain, fields, limit, offset, order, tenant,
                                    company_id, lang)

    @read("Get record")
    def get_record(model: Model, record_id: int, fields: Fields = [],  # noqa: B006
                   tenant: Tenant = "", company_id: CompanyId = 0) -> RecordResult:
        """Read one record by id."""
        return tools.get_record(model, record_id, fields, tenant, company_id)

    @read("Count records")
    def count_records(model: Model, domain: Domain, tenant: Tenant = "",
                      company_id: CompanyId = 0) -> CountResult:
        """Count the records matching a domain."""
        return tools.count_records(model, domain, tenant, company_id)

    @read("Aggregate records")
    def aggregate_records(model: Model, domain: Domain,
                          group_by: Annotated[list[str], Field(
                              description='e.g. ["partner_id"] or ["invoice_date:month"]')],
                          aggregates: Annotated[list[str], Field(
                              description='e.g. ["amount_residual:sum"]')],
                          limit: Annotated[int, Field(ge=0, le=MAX_LIMIT)] = 0,
                          order: str = "", tenant: Tenant = "",
                          company_id: CompanyId = 0) -> GroupResult:
        """Group records and aggregate numeric fields (Odoo read_group); each group has
        its group values, aggregates and count."""
        return tools.aggregate_records(model, domain, group_by, aggregates, limit, order,
                                       tenant, company_id)

    @read("Name search")
    def name_search(model: Model, name: str,
                    limit: Annotated[int, Field(ge=1, le=100)] = 10, tenant: Tenant = "",
                    company_id: CompanyId = 0) -> NameMatches:
        """Find records by (part of) their display name, e.g. a product code or a customer
        name. Returns ids and names."""
        return tools.name_search(model, name, limit, tenant, company_id)

    @read("Find partner by phone")
    def find_partner_by_phone(phone: str, tenant: Tenant = "",
                              company_id: CompanyId = 0) -> PartnerMatches:
        """Find customers/suppliers by phone, whatever the spelling: +55 or not, with or
        without the mobile ninth digit, with punctuation."""
        return tools.find_partner_by_phone(phone, tenant, company_id)

    @read("Get order status")
    def get_order_status(order: Annotated[str, Field(
                             description="Order number (S00042), id, or client reference")],
                         tenant: Tenant = "", company_id: CompanyId = 0) -> OrderStatus:
        """A sale order's state, totals and lines."""
        return tools.get_order_status(order, tenant, company_id)

    @read("List receivables (contas a receber)")
    def list_receivables(tenant: Tenant = "", company_id: CompanyId = 0,
                         only_overdue: bool = False, due_from: Day = "", due_to: Day = "",
                         partner_id: int = 0, as_of: Day = "", limit: Limit = 50,
                         offset: Offset = 0) -> OpenItems:
        """Open customer invoices, oldest due first, with days overdue and totals (all
        pages) of open and overdue amounts."""
        return tools.open_items("receivable", tenant, company_id, only_overdue, due_from,
                                due_to, partner_id, as_of, limit, offset)

    @read("List payables (contas a pagar)")
    def list_payables(tenant: Tenant = "", company_id: CompanyId = 0,
                      only_overdue: bool = False, due_from: Day = "", due_to: Day = "",
                      partner_id: int = 0, as_of: Day = "", limit: Limit = 50,
                      offset: Offset = 0) -> OpenItems:
        """Open vendor bills, oldest due first, with days overdue and totals."""
        return tools.open_items("payable", tenant, company_id, only_overdue, due_from,
                                due_to, partner_id, as_of, limit, offset)

    @read("Current context")
    def get_current_context(tenant: Tenant = "", company_id: CompanyId = 0) -> CurrentContext:
        """Who and where you are: tenant, Odoo user, version, protocol, companies, your
        role and the write tools enabled."""
        return tools.get_current_context(tenant, company_id)

    @mcp.tool(title="Create quotation", annotations=WRITE, tags={"odoo", "write"})
    def create_quotation(partner_id: int, lines: list[QuotationLine],
                         client_order_ref: Annotated[str, Field(
                             description="Idempotency key: the same key never creates a "
                                         "second order; the first one is returned.")],
                         note: str = "", tenant: Tenant = "",
                         company_id: CompanyId = 0) -> OrderStatus:
        """Create a quotation (draft sale order) for a customer, lines by product id or
        internal reference; prices default to the product's sale price."""
        return tools.create_quotation(partner_id, lines, client_order_ref, note, tenant,
                                      company_id)

    @mcp.tool(title="Confirm order", annotations=WRITE, tags={"odoo", "write"})
    def confirm_order(order_id: int, tenant: Tenant = "",
                      company_id: CompanyId = 0) -> OrderStatus:
        """Confirm a quotation into a sales order (reserves stock). Confirming a confirmed
        order changes nothing."""
        return tools.confirm_order(order_id, tenant, company_id)

    @mcp.tool(title="Create partner", annotations=WRITE, tags={"odoo", "write"})
    def create_partner(name: str, phone: str = "", email: str = "", vat: str = "",
                       is_company: bool = False, tenant: Tenant = "",
                       company_id: CompanyId = 0) -> PartnerResult:
        """Create a customer; if one with the same phone or CNPJ/CPF exists, return it."""
        return tools.create_partner(name, phone, email, vat, is_company, tenant, company_id)

    @mcp.tool(title="Preview a write", annotations=READ, tags={"odoo", "write"})
    def preview_write(model: Model, operation: Literal["create", "write", "unlink"],
                      ids: list[int] = [], values: dict[str, Any] = {},  # noqa: B006
                      tenant: Tenant = "") -> WritePreview:
        """Check a generic create/write/unlink against the live model and get a short-lived
        token bound to exactly this change; nothing is changed yet."""
        return tools.preview_write(model, operation, ids, values, tenant)

    @mcp.tool(title="Execute a previewed write", annotations=DESTRUCTIVE,
              tags={"odoo", "write"})
    def execute_write(token: str, confirm: bool = False, tenant: Tenant = "") -> WriteResult:
        """Apply the change a preview_write token describes; needs confirm=true. A token
        works once, before it expires."""
        return tools.execute_write(token, confirm, tenant)

    @mcp.resource("odoo://tenants", mime_type="application/json")
    def tenants_resource() -> str:
        """The tenants and their companies (no secrets)."""
        return tools.list_tenants().model_dump_json()

    @mcp.resource("odoo://{tenant}/dashboard/{company_id}", mime_type="application/json")
    def dashboard_resource(tenant: str, company_id: str) -> str:
        """Receivable, payable and overdue totals of a company (0 = all) today."""
        return json.dumps(tools.dashboard(tenant, int(company_id)).model_dump())

    @mcp.prompt(name="financial-analysis")
    def financial_analysis(tenant: str = "", company_id: str = "0",
                           period: str = "monthly") -> str:
        """Steps for a financial analysis of receivables, payables and cash."""
        scope = f"tenant '{tenant or 'default'}', company {company_id} (0 = all)"
        return (
            f"Analyse the finances of {scope}, {period}, as of a date (default today). The "
            "financial analysis flow (balcao flow finance) runs exactly these steps.\n"
            "1. fetch_receivables: list_receivables with as_of (page with next_offset until "
            "has_more is false): open and overdue totals, ageing buckets current/1-30/31-60/"
            "61-90/>90 days past due.\n"
            "2. fetch_payables: list_payables the same way; note what is due in the next 7 "
            "days.\n"
            "3. fetch_history: aggregate_records on account.move grouped by move_type, one "
            "call per period of the last 12 months (invoice_date within it): revenue "
            "(out_invoice - out_refund) and expenses (in_invoice - in_refund); then "
            "search_records for paid customer invoices due in the last 12 months and the "
            "account.payment records reconciled with them (payment history).\n"
            "4. compute: DSO = open receivables / revenue of the window x its days; cash "
            "projection for 30/60/90 days from the due dates of open items; top overdue "
            "customers; payment-risk ranking from average days late, share paid late and "
            "open overdue, with the reason for each score.\n"
            "5. narrate: executive summary, risks and recommended actions.\n"
            "Quote only figures the tools returned; never invent numbers.")

    hidden = set(exclude or ())
    if include is not None:
        hidden |= set(TOOL_NAMES) - set(include)
    if hidden:
        mcp.disable(names=hidden, components={"tool"})
    return mcp


TOOL_NAMES = (
    "list_tenants", "list_models", "get_fields", "search_records", "get_record",
    "count_records", "aggregate_records", "name_search", "find_partner_by_phone",
    "get_order_status", "list_receivables", "list_payables", "get_current_context",
    "create_quotation", "confirm_order", "create_partner", "preview_write", "execute_write",
)
