"""Typed inputs and outputs of the Odoo MCP tools.

No optional (``anyOf`` with null) fields: absent values are empty strings, zeros or empty
lists, so every schema is plain for the agents and clients that read it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Company(BaseModel):
    id: int
    name: str


class TenantSummary(BaseModel):
    tenant: str
    display_name: str
    cnpj: str = ""
    environment: str
    allowed_company_ids: list[int]
    companies: list[Company] = Field(default_factory=list)
    reachable: bool = True
    error: str = ""


class TenantList(BaseModel):
    tenants: list[TenantSummary]


class ModelInfo(BaseModel):
    model: str
    name: str


class ModelList(BaseModel):
    models: list[ModelInfo]


class FieldInfo(BaseModel):
    name: str
    type: str
    string: str
    required: bool = False
    readonly: bool = False
    relation: str = ""
    selection: list[list[str]] = Field(default_factory=list)


class FieldList(BaseModel):
    model: str
    fields: list[FieldInfo]


class RecordPage(BaseModel):
    model: str
    records: list[dict[str, Any]]
    count: int = Field(description="Records in this page.")
    offset: int
    has_more: bool
    next_offset: int = Field(description="Offset of the next page; 0 when there is none.")


class RecordResult(BaseModel):
    model: str
    record: dict[str, Any]


class CountResult(BaseModel):
    model: str
    count: int


class GroupResult(BaseModel):
    model: str
    groups: list[dict[str, Any]]


class NameMatch(BaseModel):
    id: int
    name: str


class NameMatches(BaseModel):
    model: str
    matches: list[NameMatch]


class PartnerMatch(BaseModel):
    id: int
    name: str
    phone: str = ""
    email: str = ""
    vat: str = ""
    is_company: bool = False
    customer: bool = False


class PartnerMatches(BaseModel):
    phone: str = Field(description="The number searched, normalised to +55 E.164.")
    partners: list[PartnerMatch]


class OrderLine(BaseModel):
    product_id: int
    default_code: str = ""
    name: str
    quantity: float
    uom: str = ""
    price_unit: float
    subtotal: float


class OrderStatus(BaseModel):
    id: int
    name: str
    state: str
    state_label: str
    partner_id: int
    partner_name: str
    client_order_ref: str = ""
    date_order: str = ""
    amount_untaxed: float
    amount_total: float
    locked: bool = False
    lines: list[OrderLine] = Field(default_factory=list)
    created: bool = Field(False, description="True only when this call created the order.")


class OpenItem(BaseModel):
    id: int
    name: str
    ref: str = ""
    partner_id: int
    partner_name: str
    company_id: int
    invoice_date: str = ""
    due_date: str = ""
    amount_total: float
    amount_residual: float
    payment_state: str
    days_overdue: int = Field(description="Days past due on as_of; 0 when not due yet.")


class OpenItems(BaseModel):
    kind: str = Field(description="receivable (customer invoices) or payable (vendor bills)")
    as_of: str
    items: list[OpenItem]
    total_residual: float = Field(description="Open amount of every matching item.")
    total_overdue: float = Field(description="Part of total_residual past due on as_of.")
    matching: int = Field(description="Items matching the filters, all pages.")
    has_more: bool
    next_offset: int


class CurrentContext(BaseModel):
    tenant: str
    uid: int
    login: str
    server_version: int
    protocol: str
    lang: str
    tz: str
    company_ids: list[int]
    role: str
    write_tools: list[str]


class QuotationLine(BaseModel):
    product_id: int = Field(0, description="Odoo product.product id; or give default_code.")
    default_code: str = Field("", description="Internal reference, e.g. FIX-0001.")
    quantity: float = Field(gt=0)
    price_unit: float = Field(0.0, ge=0, description="0 = the product's sale price.")


class PartnerResult(BaseModel):
    id: int
    name: str
    created: bool


class WritePreview(BaseModel):
    token: str = Field(description="Pass to execute_write with confirm=true before expires_at.")
    tenant: str
    model: str
    operation: str
    ids: list[int]
    values: dict[str, Any]
    summary: str
    expires_at: str


class WriteResult(BaseModel):
    model: str
    operation: str
    ids: list[int]


class Dashboard(BaseModel):
    tenant: str
    company_id: int
    as_of: str
    receivable_open: float
    receivable_overdue: float
    payable_open: float
    payable_overdue: float
