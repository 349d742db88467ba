"""The Odoo MCP server: typed, scoped, audited-friendly tools over the Odoo connector.

Every tool takes ``tenant`` (empty = the default tenant) and ``company_id`` (0 = every
company the tenant allows); the server sends ``allowed_company_ids`` limited to the
tenant's companies, so a caller can narrow the scope but never widen it. Writes are off
unless the tenant enables the tool and the caller's role may write.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal, TypeVar

from cachetools import TTLCache
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token
from mcp.types import ToolAnnotations
from pydantic import Field

from mcp_servers.odoo import phones
from mcp_servers.odoo.connector import OdooConnector
from mcp_servers.odoo.errors import OdooError
from mcp_servers.odoo.policy import WRITE_TOOLS, OdooPolicy, role_can_write
from mcp_servers.odoo.schemas import (
    Company,
    CountResult,
    CurrentContext,
    Dashboard,
    FieldInfo,
    FieldList,
    GroupResult,
    ModelInfo,
    ModelList,
    NameMatch,
    NameMatches,
    OpenItem,
    OpenItems,
    OrderLine,
    OrderStatus,
    PartnerMatch,
    PartnerMatches,
    PartnerResult,
    QuotationLine,
    RecordPage,
    RecordResult,
    TenantList,
    TenantSummary,
    WritePreview,
    WriteResult,
)
from mcp_servers.odoo.tenants import CredentialManager, TenantConfig, TenantError
from mcp_servers.settings import Settings
from mcp_servers.tool_errors import tool_error

T = TypeVar("T")
READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True,
                       openWorldHint=True)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True,
                        openWorldHint=True)
DESTRUCTIVE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False,
                              openWorldHint=True)
MAX_LIMIT = 200
ORDER_STATES = {"draft": "Quotation", "sent": "Quotation Sent", "sale": "Sales Order",
                "cancel": "Cancelled", "done": "Locked"}

Tenant = Annotated[str, Field(description="Tenant id; empty = the default tenant.")]
CompanyId = Annotated[int, Field(ge=0, description="Company id; 0 = all the tenant allows.")]
Domain = Annotated[list[Any], Field(description='Odoo domain, e.g. [["name","ilike","bolt"]].')]


class OdooTools:
    """The tool implementations, independent of MCP plumbing (plain synchronous methods)."""

    def __init__(self, credentials: CredentialManager, settings: Settings,
                 policy: OdooPolicy | None = None, default_role: str | None = None,
                 today: Callable[[], dt.date] = dt.date.today):
        self.credentials = credentials
        self.settings = settings
        self.policy = policy or OdooPolicy()
        self.default_role = default_role or settings.mcp_role
        self.today = today
        self._fields_cache: TTLCache[tuple[str, str], dict[str, Any]] = TTLCache(512, 300)
        self._cache_lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._token_secret = secrets.token_bytes(32)
        self._used_tokens: TTLCache[str, bool] = TTLCache(10_000, settings.mcp_write_token_ttl_s)

    # ------------------------------------------------------------------ plumbing
    def tenant(self, tenant: str) -> TenantConfig:
        return self.credentials.get(tenant or self.settings.default_tenant)

    def scope(self, tenant: str, company_id: int) -> tuple[TenantConfig, OdooConnector,
                                                           list[int] | None]:
        """Tenant, connector and the company ids to send (narrowed, never widened)."""
        config = self.tenant(tenant)
        conn = self.credentials.connector(config.tenant_id)
        allowed = list(config.allowed_company_ids) or self._user_companies(config, conn)
        if company_id:
            if allowed and company_id not in allowed:
                raise ToolError(f"company {company_id} is not allowed for tenant "
                                f"'{config.tenant_id}' (allowed: {allowed}); pass one of "
                                "those or 0 for all")
            companies: list[int] | None = [company_id]
        else:
            companies = allowed or None
        return config, conn, companies

    def _user_companies(self, config: TenantConfig, conn: OdooConnector) -> list[int]:
        """A tenant that lists no companies gets every company of its Odoo user."""
        key = (config.tenant_id, "__companies__")
        with self._cache_lock:
            cached = self._fields_cache.get(key)
        if cached is None:
            uid = conn.authenticate()
            rows = conn.read("res.users", [uid], ["company_ids"])
            cached = {"ids": sorted(rows[0]["company_ids"]) if rows else []}
            with self._cache_lock:
                self._fields_cache[key] = cached
        return list(cached["ids"])

    def role(self) -> str:
        token = get_access_token()
        if token is None:
            return self.default_role
        roles = token.claims.get("roles") or []
        roles = [roles] if isinstance(roles, str) else list(roles)
        for role in ("admin", "operator", "viewer"):
            if role in roles:
                return role
        return "viewer"

    def require_write(self, tool: str, config: TenantConfig) -> None:
        role = self.role()
        if not role_can_write(role):
            raise ToolError(f"{tool} needs the operator or admin role; you are {role}. "
                            "Use the read tools, or ask for an operator token.")
        if tool not in config.write_tools:
            raise ToolError(f"{tool} is disabled for tenant '{config.tenant_id}'. An admin can "
                            "enable it in the tenant's write_tools (BALCAO_ODOO_WRITE_TOOLS "
                            "for the settings tenant).")

    def check_model(self, model: str, *, write: bool = False) -> None:
        allowed = self.policy.can_write(model) if write else self.policy.can_read(model)
        if not allowed:
            verb = "written" if write else "read"
            raise ToolError(f"model '{model}' cannot be {verb} through this server (policy); "
                            "list_models shows the models you can use")

    def check_fields(self, fields: list[str]) -> None:
        blocked = [f for f in fields if self.policy.field_blocked(f)]
        if blocked:
            raise ToolError(f"fields {blocked} are credentials and never exposed; remove them")

    @contextmanager
    def odoo_errors(self) -> Iterator[None]:
        try:
            yield
        except ToolError:
            raise
        except (OdooError, TenantError) as exc:
            raise tool_error(exc) from None

    # ------------------------------------------------------------------ read tools
    def list_tenants(self) -> TenantList:
        out = []
        for info in self.credentials.tenants():
            summary = TenantSummary(
                tenant=info.tenant_id, display_name=info.display_name or info.tenant_id,
                cnpj=info.cnpj or "", environment=info.environment,
                allowed_company_ids=info.allowed_company_ids)
            try:
                conn = self.credentials.connector(info.tenant_id)
                rows = conn.search_read("res.company", [], ["name"], order="id",
                                        company_ids=info.allowed_company_ids or None)
                summary.companies = [Company(id=r["id"], name=r["name"]) for r in rows]
            except (OdooError, TenantError) as exc:
                summary.reachable = False
                summary.error = str(tool_error(exc))
            out.append(summary)
        return TenantList(tenants=out)

    def list_models(self, tenant: str = "", search: str = "") -> ModelList:
        with self.odoo_errors():
            _config, conn, _companies = self.scope(tenant, 0)
            domain: list[Any] = [["transient", "=", False]]
            if search:
                domain = ["&", *domain, "|", ["model", "ilike", search], ["name", "ilike", search]]
            rows = conn.search_read("ir.model", domain, ["model", "name"], order="model",
                                    limit=500)
        return ModelList(models=[ModelInfo(model=r["model"], name=r["name"]) for r in rows
                                 if self.policy.can_read(r["model"])])

    def fields_of(self, tenant: TenantConfig, conn: OdooConnector, model: str
                  ) -> dict[str, Any]:
        key = (tenant.tenant_id, model)
        with self._cache_lock:
            cached = self._fields_cache.get(key)
        if cached is None:
            cached = conn.fields_get(model, attributes=["type", "string", "required",
                                                        "readonly", "relation", "selection",
                                                        "store"])
            with self._cache_lock:
                self._fields_cache[key] = cached
        return {name: info for name, info in cached.items()
                if not self.policy.field_blocked(name)}

    def get_fields(self, model: str, tenant: str = "") -> FieldList:
        self.check_model(model)
        with self.odoo_errors():
            config, conn, _ = self.scope(tenant, 0)
            fields = self.fields_of(config, conn, model)
        return FieldList(model=model, fields=[
            FieldInfo(name=name, type=info.get("type", ""), string=info.get("string", ""),
                      required=bool(info.get("required")), readonly=bool(info.get("readonly")),
                      relation=info.get("relation") or "",
                      selection=[[str(k), str(v)] for k, v in info.get("selection") or []])
            for name, info in sorted(fields.items())])

    def _safe_fields(self, config: TenantConfig, conn: OdooConnector, model: str,
                     fields: list[str]) -> list[str]:
        self.check_fields(fields)
        if fields:
            return fields
        # no field list: every readable, non-binary field (never the credential ones)
        described = self.fields_of(config, conn, model)
        return [n for n, i in described.items() if i.get("type") not in ("binary",)
                and n not in ("__last_update",)][:60]

    def search_records(self, model: str, domain: list[Any], fields: list[str], limit: int,
                       offset: int, order: str, tenant: str, company_id: int,
                       lang: str = "") -> RecordPage:
        self.check_model(model)
        with self.odoo_errors():
            config, conn, companies = self.scope(tenant, company_id)
            names = self._safe_fields(config, conn, model, fields)
            rows = conn.search_read(model, domain, names, offset=offset, limit=limit + 1,
                                    order=order or None, company_ids=companies,
                                    context={"lang": lang} if lang else None)
        more = len(rows) > limit
        rows = rows[:limit]
        return RecordPage(model=model, records=rows, count=len(rows), offset=offset,
                          has_more=more, next_offset=offset + limit if more else 0)

    def get_record(self, model: str, record_id: int, fields: list[str], tenant: str,
                   company_id: int) -> RecordResult:
        self.check_model(model)
        with self.odoo_errors():
            config, conn, companies = self.scope(tenant, company_id)
            names = self._safe_fields(config, conn, model, fields)
            rows = conn.read(model, [record_id], names, company_ids=companies)
        if not rows:
            raise ToolError(f"{model} {record_id} does not exist (or was deleted); search for "
                            "a current id with search_records or name_search")
        return RecordResult(model=model, record=rows[0])

    def count_records(self, model: str, domain: list[Any], tenant: str,
                      company_id: int) -> CountResult:
        self.check_model(model)
        with self.odoo_errors():
            _config, conn, companies = self.scope(tenant, company_id)
            count = conn.search_count(model, domain, company_ids=companies)
        return CountResult(model=model, count=count)

    def aggregate_records(self, model: str, domain: list[Any], group_by: list[str],
                          aggregates: list[str], limit: int, order: str, tenant: str,
                          company_id: int) -> GroupResult:
        self.check_model(model)
        self.check_fields([a.split(":")[0] for a in aggregates] + group_by)
        if not group_by:
            raise ToolError("group_by needs at least one field, e.g. [\"partner_id\"] or "
                            "[\"invoice_date:month\"]")
        with self.odoo_errors():
            _config, conn, companies = self.scope(tenant, company_id)
            groups = conn.read_group(model, domain, aggregates, group_by, limit=limit or None,
                                     orderby=order or False, lazy=False,
                                     company_ids=companies)
        for group in groups:
            group.pop("__domain", None)
            group.pop("__context", None)
            if "__count" in group:
                group["count"] = group.pop("__count")
        return GroupResult(model=model, groups=groups)

    def name_search(self, model: str, name: str, limit: int, tenant: str,
                    company_id: int) -> NameMatches:
        self.check_model(model)
        with self.odoo_errors():
            _config, conn, companies = self.scope(tenant, company_id)
            hits = conn.name_search(model, name, [], limit=limit, company_ids=companies)
        return NameMatches(model=model, matches=[NameMatch(id=i, name=n) for i, n in hits])

    def find_partner_by_phone(self, phone: str, tenant: str, company_id: int) -> PartnerMatches:
        if not phones.variants(phone):
            raise ToolError(f"'{phone}' is not a phone number; send digits such as "
                            "+5511987654321")
        suffix = phones.search_suffix(phone)
        with self.odoo_errors():
            config, conn, companies = self.scope(tenant, company_id)
            phone_fields = [f for f in ("phone", "mobile")
                            if f in self.fields_of(config, conn, "res.partner")]
            domain: list[Any] = ["|"] * (len(phone_fields) - 1) + [
                [f, "ilike", suffix[:4] + "%" + suffix[4:]] if len(suffix) == 8 else
                [f, "ilike", suffix] for f in phone_fields]
            rows = conn.search_read("res.partner", domain,
                                    [*phone_fields, "name", "email", "vat", "is_company",
                                     "customer_rank"], limit=50, company_ids=companies)
        matches = [r for r in rows if any(r.get(f) and phones.same_line(r[f], phone)
                                          for f in phone_fields)]
        return PartnerMatches(phone=phones.e164(phone), partners=[
            PartnerMatch(id=r["id"], name=r["name"],
                         phone=next((r[f] for f in phone_fields if r.get(f)), ""),
                         email=r.get("email") or "", vat=r.get("vat") or "",
                         is_company=bool(r.get("is_company")),
                         customer=bool(r.get("customer_rank"))) for r in matches])

    def _order(self, conn: OdooConnector, order_id: int, companies: list[int] | None,
               created: bool = False) -> OrderStatus:
        rows = conn.read("sale.order", [order_id],
                         ["name", "state", "partner_id", "client_order_ref", "date_order",
                          "amount_untaxed", "amount_total", "locked", "order_line"],
                         company_ids=companies)
        if not rows:
            raise ToolError(f"sale order {order_id} does not exist; search for it by name "
                            "or client reference")
        order = rows[0]
        lines = conn.read("sale.order.line", order["order_line"],
                          ["product_id", "name", "product_uom_qty", "product_uom",
                           "price_unit", "price_subtotal"], company_ids=companies)
        codes = {}
        product_ids = [ln["product_id"][0] for ln in lines if ln["product_id"]]
        if product_ids:
            codes = {p["id"]: p["default_code"] or "" for p in conn.read(
                "product.product", product_ids, ["default_code"], company_ids=companies)}
        return OrderStatus(
            id=order["id"], name=order["name"], state=order["state"],
            state_label=ORDER_STATES.get(order["state"], order["state"]),
            partner_id=order["partner_id"][0], partner_name=order["partner_id"][1],
            client_order_ref=order["client_order_ref"] or "",
            date_order=order["date_order"] or "", amount_untaxed=order["amount_untaxed"],
            amount_total=order["amount_total"], locked=bool(order.get("locked")),
            created=created,
            lines=[OrderLine(product_id=ln["product_id"][0] if ln["product_id"] else 0,
                             default_code=codes.get(ln["product_id"][0], "")
                             if ln["product_id"] else "",
                             name=ln["name"] or "", quantity=ln["product_uom_qty"],
                             uom=ln["product_uom"][1] if ln["product_uom"] else "",
                             price_unit=ln["price_unit"], subtotal=ln["price_subtotal"])
                   for ln in lines])

    def get_order_status(self, order: str, tenant: str, company_id: int) -> OrderStatus:
        with self.odoo_errors():
            _config, conn, companies = self.scope(tenant, company_id)
            domain: list[Any] = ["|", ["name", "=", order], ["client_order_ref", "=", order]]
            if order.isdigit():
                domain = ["|", ["id", "=", int(order)], *domain]
            ids = conn.search("sale.order", domain, limit=2, order="id desc",
                              company_ids=companies)
            if not ids:
                raise ToolError(f"no sale order named, numbered or referenced '{order}'; "
                                "check the number (e.g. S00042) or the client reference")
            return self._order(conn, ids[0], companies)

    def open_items(self, kind: Literal["receivable", "payable"], tenant: str, company_id: int,
                   only_overdue: bool, due_from: str, due_to: str, partner_id: int,
                   as_of: str, limit: int, offset: int) -> OpenItems:
        day = _parse_day(as_of) if as_of else self.today()
        move_type = "out_invoice" if kind == "receivable" else "in_invoice"
        domain: list[Any] = [["move_type", "=", move_type], ["state", "=", "posted"],
                             ["payment_state", "in", ["not_paid", "partial"]],
                             ["amount_residual", ">", 0]]
        if only_overdue:
            domain.append(["invoice_date_due", "<", day.isoformat()])
        if due_from:
            domain.append(["invoice_date_due", ">=", _parse_day(due_from).isoformat()])
        if due_to:
            domain.append(["invoice_date_due", "<=", _parse_day(due_to).isoformat()])
        if partner_id:
            domain.append(["partner_id", "=", partner_id])
        fields = ["name", "ref", "partner_id", "company_id", "invoice_date", "invoice_date_due",
                  "amount_total", "amount_residual", "payment_state"]
        with self.odoo_errors():
            _config, conn, companies = self.scope(tenant, company_id)
            rows = conn.search_read("account.move", domain, fields, offset=offset,
                                    limit=limit + 1, order="invoice_date_due asc, id asc",
                                    company_ids=companies)
            total = _sum_residual(conn, domain, companies)
            overdue = total if only_overdue else _sum_residual(
                conn, [*domain, ["invoice_date_due", "<", day.isoformat()]], companies)
            matching = conn.search_count("account.move", domain, company_ids=companies)
        more = len(rows) > limit
        items = [OpenItem(
            id=r["id"], name=r["name"], ref=r["ref"] or "", partner_id=r["partner_id"][0],
            partner_name=r["partner_id"][1], company_id=r["company_id"][0],
            invoice_date=r["invoice_date"] or "", due_date=r["invoice_date_due"] or "",
            amount_total=r["amount_total"], amount_residual=r["amount_residual"],
            payment_state=r["payment_state"],
            days_overdue=max(0, (day - _parse_day(r["invoice_date_due"])).days)
            if r["invoice_date_due"] else 0) for r in rows[:limit]]
        return OpenItems(kind=kind, as_of=day.isoformat(), items=items,
                         total_residual=total, total_overdue=overdue, matching=matching,
                         has_more=more, next_offset=offset + limit if more else 0)

    def get_current_context(self, tenant: str, company_id: int) -> CurrentContext:
        with self.odoo_errors():
            config, conn, companies = self.scope(tenant, company_id)
            uid = conn.authenticate()
        return CurrentContext(
            tenant=config.tenant_id, uid=uid, login=config.login,
            server_version=conn.server_version or 0, protocol=conn.protocol,
            lang=conn.lang or "", tz=conn.tz or "", company_ids=companies or [],
            role=self.role(), write_tools=[t for t in config.write_tools if t in WRITE_TOOLS])

    def dashboard(self, tenant: str, company_id: int) -> Dashboard:
        day = self.today()
        receivable = self.open_items("receivable", tenant, company_id, False, "", "", 0,
                                     day.isoformat(), 1, 0)
        payable = self.open_items("payable", tenant, company_id, False, "", "", 0,
                                  day.isoformat(), 1, 0)
        return Dashboard(tenant=self.tenant(tenant).tenant_id, company_id=company_id,
                         as_of=day.isoformat(), receivable_open=receivable.total_residual,
                         receivable_overdue=receivable.total_overdue,
                         payable_open=payable.total_residual,
                         payable_overdue=payable.total_overdue)

    # ------------------------------------------------------------------ write tools
    def _key_lock(self, tenant: str, key: str) -> threading.Lock:
        with self._cache_lock:
            return self._key_locks.setdefault((tenant, key), threading.Lock())

    def create_quotation(self, partner_id: int, lines: list[QuotationLine],
                         client_order_ref: str, note: str, tenant: str,
                         company_id: int) -> OrderStatus:
        config = self.tenant(tenant)
        self.require_write("create_quotation", config)
        if not client_order_ref.strip():
            raise ToolError("client_order_ref is required: it is the idempotency key (e.g. "
                            "the WhatsApp conversation and turn)")
        if not lines:
            raise ToolError("a quotation needs at least one line")
        with self.odoo_errors(), self._key_lock(config.tenant_id, client_order_ref):
            config, conn, companies = self.scope(tenant, company_id)
            existing = conn.search("sale.order", [["client_order_ref", "=", client_order_ref]],
                                   limit=1, order="id", company_ids=companies)
            if existing:
                return self._order(conn, existing[0], companies)
            order_lines = [[0, 0, self._line_values(conn, line, companies)] for line in lines]
            values: dict[str, Any] = {"partner_id": partner_id,
                                      "client_order_ref": client_order_ref,
                                      "order_line": order_lines}
            if note:
                values["note"] = note
            order_id = conn.create("sale.order", values, company_ids=companies)
            return self._order(conn, order_id, companies, created=True)

    def _line_values(self, conn: OdooConnector, line: QuotationLine,
                     companies: list[int] | None) -> dict[str, Any]:
        if line.product_id:
            domain: list[Any] = [["id", "=", line.product_id]]
        elif line.default_code:
            domain = [["default_code", "=", line.default_code]]
        else:
            raise ToolError("each line needs product_id or default_code")
        rows = conn.search_read("product.product", domain, ["sale_ok", "display_name"],
                                limit=1, company_ids=companies)
        if not rows:
            wanted = line.product_id or line.default_code
            raise ToolError(f"unknown product {wanted!r}; find it with catalog search or "
                            "name_search on product.product")
        if not rows[0]["sale_ok"]:
            raise ToolError(f"{rows[0]['display_name']} cannot be sold; offer another product")
        values: dict[str, Any] = {"product_id": rows[0]["id"],
                                  "product_uom_qty": line.quantity}
        if line.price_unit:
            values["price_unit"] = line.price_unit
        return values

    def confirm_order(self, order_id: int, tenant: str, company_id: int) -> OrderStatus:
        config = self.tenant(tenant)
        self.require_write("confirm_order", config)
        with self.odoo_errors():
            _config, conn, companies = self.scope(tenant, company_id)
            current = self._order(conn, order_id, companies)
            if current.state == "sale":
                return current  # already confirmed: idempotent
            conn.call("sale.order", "action_confirm", [order_id], company_ids=companies)
            return self._order(conn, order_id, companies)

    def create_partner(self, name: str, phone: str, email: str, vat: str, is_company: bool,
                       tenant: str, company_id: int) -> PartnerResult:
        config = self.tenant(tenant)
        self.require_write("create_partner", config)
        if not name.strip():
            raise ToolError("name is required")
        if phone:
            found = self.find_partner_by_phone(phone, tenant, company_id).partners
            if found:
                return PartnerResult(id=found[0].id, name=found[0].name, created=False)
        with self.odoo_errors():
            _config, conn, companies = self.scope(tenant, company_id)
            if vat:
                same = conn.search_read("res.partner", [["vat", "=", vat]], ["name"], limit=1,
                                        company_ids=companies)
                if same:
                    return PartnerResult(id=same[0]["id"], name=same[0]["name"], created=False)
            values: dict[str, Any] = {"name": name.strip(), "is_company": is_company,
                                      "customer_rank": 1}
            if phone:
                values["phone"] = phones.e164(phone) or phone
            if email:
                values["email"] = email
            if vat:
                values["vat"] = vat
            pid = conn.create("res.partner", values, company_ids=companies)
        return PartnerResult(id=pid, name=values["name"], created=True)

    def _check_write_values(self, config: TenantConfig, conn: OdooConnector, model: str,
                            values: dict[str, Any]) -> None:
        described = self.fields_of(config, conn, model)
        self.check_fields(list(values))
        unknown = [f for f in values if f not in described]
        if unknown:
            raise ToolError(f"unknown fields {unknown} on {model}; get_fields lists them")
        readonly = [f for f in values if described[f].get("readonly")
                    and not described[f].get("store", True)]
        if readonly:
            raise ToolError(f"fields {readonly} are computed and cannot be written")

    def preview_write(self, model: str, operation: Literal["create", "write", "unlink"],
                      ids: list[int], values: dict[str, Any], tenant: str) -> WritePreview:
        config = self.tenant(tenant)
        self.require_write("execute_write", config)
        self.check_model(model, write=True)
        if operation in ("write", "unlink") and not ids:
            raise ToolError(f"{operation} needs the ids of the records to change")
        if operation in ("create", "write") and not values:
            raise ToolError(f"{operation} needs values")
        with self.odoo_errors():
            config, conn, _ = self.scope(tenant, 0)
            if operation != "unlink":
                self._check_write_values(config, conn, model, values)
            if ids:
                found = {r["id"] for r in conn.read(model, ids, ["id"])}
                missing = sorted(set(ids) - found)
                if missing:
                    raise ToolError(f"{model} ids {missing} do not exist")
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(
            seconds=self.settings.mcp_write_token_ttl_s)
        payload = {"tenant": config.tenant_id, "model": model, "operation": operation,
                   "ids": sorted(ids), "values": values, "exp": int(expires.timestamp()),
                   "nonce": secrets.token_hex(8)}
        token = self._sign(payload)
        what = f"{len(ids)} record(s) {ids}" if ids else "a new record"
        return WritePreview(token=token, tenant=config.tenant_id, model=model,
                            operation=operation, ids=sorted(ids), values=values,
                            summary=f"{operation} {model}: {what}"
                                    + (f" with {sorted(values)}" if values else ""),
                            expires_at=expires.isoformat(timespec="seconds"))

    def execute_write(self, token: str, confirm: bool, tenant: str) -> WriteResult:
        if not confirm:
            raise ToolError("nothing done: call again with confirm=true to apply the preview")
        payload = self._verify(token)
        config = self.tenant(tenant)
        if payload["tenant"] != config.tenant_id:
            raise ToolError("this token was issued for another tenant; preview again")
        self.require_write("execute_write", config)
        model, operation = payload["model"], payload["operation"]
        self.check_model(model, write=True)
        with self._cache_lock:
            if payload["nonce"] in self._used_tokens:
                raise ToolError("this token was already used; preview again for a new change")
            self._used_tokens[payload["nonce"]] = True
        with self.odoo_errors():
            config, conn, companies = self.scope(tenant, 0)
            if operation != "unlink":
                self._check_write_values(config, conn, model, payload["values"])
            if operation == "create":
                ids = [conn.create(model, payload["values"], company_ids=companies)]
            elif operation == "write":
                conn.write(model, payload["ids"], payload["values"], company_ids=companies)
                ids = payload["ids"]
            else:
                conn.unlink(model, payload["ids"], company_ids=companies)
                ids = payload["ids"]
        return WriteResult(model=model, operation=operation, ids=ids)

    def _sign(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True,
                                                   separators=(",", ":")).encode()).decode()
        mac = hmac.new(self._token_secret, body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def _verify(self, token: str) -> dict[str, Any]:
        body, _, mac = token.partition(".")
        expected = hmac.new(self._token_secret, body.encode(), hashlib.sha256).hexdigest()
        if not mac or not hmac.compare_digest(mac, expected):
            raise ToolError("invalid token (changed, or from another server); preview again")
        payload = json.loads(base64.urlsafe_b64decode(body))
        if payload["exp"] < dt.datetime.now(dt.UTC).timestamp():
            raise ToolError("the token expired; preview the change again")
        return payload


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ToolError(f"'{value}' is not a date; use YYYY-MM-DD") from None


def _sum_residual(conn: OdooConnector, domain: list[Any], companies: list[int] | None
                  ) -> float:
    groups = conn.read_group("account.move", domain, ["amount_residual:sum"], ["company_id"],
                             lazy=False, company_ids=companies)
    return round(sum(g.get("amount_residual") or 0.0 for g in groups), 2)
