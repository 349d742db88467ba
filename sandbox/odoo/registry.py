"""The models of the embedded Odoo, per emulated version (17, 18 or 19).

Fields and behaviours follow ``shared/reference/odoo_external_api.md``: product ``type``
vs ``is_storable`` (17 vs 18), sale order states without ``done``, ``payment_state`` with
``blocked`` from 18, partner ``mobile`` gone in 19, payment ``ref`` vs ``memo``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.odoo import fields as f
from sandbox.odoo.exceptions import AccessDenied, UserError, ValidationError
from sandbox.odoo.models import BaseModel, api_model, rpc
from sandbox.odoo.security import check_password, hash_password

U, SYS, MGR = "base.group_user", "base.group_system", "base.group_erp_manager"
SALES = "sales_team.group_sale_salesman"
ACC_RO, ACC = "account.group_account_readonly", "account.group_account_invoice"
ALL = "rwcu"


def _now(_env: Any = None) -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _today(_env: Any = None) -> str:
    return dt.date.today().isoformat()


def _company_currency(env: Any) -> Any:
    company = env.db.row("res.company", env.company_id) if env.company_id else None
    return company.get("currency_id", False) if company else False


class ResCurrency(BaseModel):
    _name, _description, _order = "res.currency", "Currency", "active desc, name"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Currency", required=True),
            "symbol": f.Char("Symbol", required=True),
            "rounding": f.Float("Rounding Factor", default=0.01),
            "active": f.Boolean("Active", default=True),
        }


class ResCompany(BaseModel):
    _name, _description, _order = "res.company", "Companies", "sequence, name"
    _access = {U: "r", MGR: ALL, SYS: ALL}
    _company_rule = False

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Company Name", required=True),
            "sequence": f.Integer("Sequence", default=10),
            "partner_id": f.Many2one("res.partner", "Partner"),
            "currency_id": f.Many2one("res.currency", "Currency"),
            "vat": f.Char("Tax ID"),
            "city": f.Char("City"),
            "state_id": f.Many2one("res.country.state", "Fed. State"),
            "country_id": f.Many2one("res.country", "Country"),
            "parent_id": f.Many2one("res.company", "Parent Company"),
            "chart_template": f.Char("Chart Template", readonly=True),
            "active": f.Boolean("Active", default=True),
        }

    def _rule_allows(self, rid: int) -> bool:
        return rid in self.env.user_company_ids

    def _before_write(self, rid: int, vals: dict[str, Any]) -> None:
        currency = vals.get("currency_id")
        if currency and currency != self._value(rid, "currency_id") and any(
                row.get("company_id") == rid for row in self.db.tables["account.move"].values()):
            raise UserError("You cannot change the currency of the company since some journal "
                            "items already exist")

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        # like res.company.create: the creator may work in the new company straight away
        user = self.db.row("res.users", self.env.uid) or {}
        if rid not in (user.get("company_ids") or []):
            self.db.update("res.users", self.env.uid,
                           {"company_ids": [*(user.get("company_ids") or []), rid]})


class ResUsers(BaseModel):
    _name, _description, _order = "res.users", "User", "name, login"
    _access = {U: "r", MGR: ALL, SYS: ALL}
    _company_rule = False

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Name", required=True),
            "login": f.Char("Login", required=True),
            "email": f.Char("Email"),
            "partner_id": f.Many2one("res.partner", "Related Partner"),
            "company_id": f.Many2one("res.company", "Company"),
            "company_ids": f.Many2many("res.company", "Companies"),
            "lang": f.Char("Language", default="pt_BR"),
            "tz": f.Char("Timezone", default="America/Sao_Paulo"),
            "share": f.Boolean("Share User"),
            "active": f.Boolean("Active", default=True),
        }

    @api_model
    def context_get(self):
        user = self.env.user
        return {"lang": user.get("lang") or "en_US", "tz": user.get("tz") or False,
                "uid": self.env.uid}

    @api_model
    def change_password(self, old_passwd, new_passwd):
        if not new_passwd:
            raise UserError("Setting empty passwords is not allowed for security reasons!")
        if not check_password(str(old_passwd), self.env.user.get("_password") or ""):
            raise AccessDenied()
        self.db.update(self._name, self.env.uid, {"_password": hash_password(str(new_passwd))})
        return True


class ResPartner(BaseModel):
    _name, _description, _order = "res.partner", "Contact", "complete_name ASC, id DESC"
    _access = {U: "r", SALES: "rwc", ACC: "rwc", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        cols = {
            "name": f.Char("Name", required=True),
            "complete_name": f.Char("Complete Name"),
            "ref": f.Char("Reference"),
            "email": f.Char("Email"),
            "phone": f.Char("Phone"),
            "mobile": f.Char("Mobile"),
            "vat": f.Char("Tax ID", help="CNPJ or CPF"),
            "is_company": f.Boolean("Is a Company"),
            "company_type": f.Selection("Company Type", [("person", "Individual"),
                                                         ("company", "Company")],
                                        default="person"),
            "type": f.Selection("Address Type", [("contact", "Contact"), ("invoice", "Invoice"),
                                                 ("delivery", "Delivery"), ("other", "Other")],
                                default="contact"),
            "parent_id": f.Many2one("res.partner", "Related Company"),
            "child_ids": f.One2many("res.partner", "parent_id", "Contact"),
            "customer_rank": f.Integer("Customer Rank"),
            "supplier_rank": f.Integer("Supplier Rank"),
            "street": f.Char("Street"),
            "city": f.Char("City"),
            "zip": f.Char("Zip"),
            "state_id": f.Many2one("res.country.state", "State"),
            "country_id": f.Many2one("res.country", "Country"),
            "lang": f.Char("Language", default="pt_BR"),
            "comment": f.Text("Notes"),
            "company_id": f.Many2one("res.company", "Company"),
            "active": f.Boolean("Active", default=True),
        }
        if version == "19":
            del cols["mobile"]
        return cols

    def _display_name(self, rid: int) -> str:
        name = self._value(rid, "name") or ""
        parent = self._value(rid, "parent_id")
        if parent and not self._value(rid, "is_company"):
            return f"{self.env['res.partner']._value(parent, 'name')}, {name}"
        return name

    def _name_search_domain(self, name: str, operator: str) -> list[Any]:
        return ["|", "|", "|", ("complete_name", operator, name), ("ref", operator, name),
                ("email", operator, name), ("vat", operator, name)]

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        if "is_company" in vals and "company_type" not in vals:
            vals["company_type"] = "company" if vals["is_company"] else "person"
        elif "company_type" in vals and "is_company" not in vals:
            vals["is_company"] = vals["company_type"] == "company"
        return vals

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._refresh_complete_name(rid)

    def _after_write(self, rid: int, vals: dict[str, Any]) -> None:
        if {"name", "parent_id", "is_company"} & set(vals):
            self._refresh_complete_name(rid)
            for child in self._search_ids([("parent_id", "=", rid)]):
                self._refresh_complete_name(child)

    def _refresh_complete_name(self, rid: int) -> None:
        self.db.update(self._name, rid, {"complete_name": self._display_name(rid)})


class ProductCategory(BaseModel):
    _name, _description = "product.category", "Product Category"
    _order, _rec_name = "complete_name", "complete_name"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Name", required=True),
            "complete_name": f.Char("Complete Name"),
            "parent_id": f.Many2one("product.category", "Parent Category",
                                    extra={"ondelete": "cascade"}),
            "child_id": f.One2many("product.category", "parent_id", "Child Categories"),
        }

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._refresh(rid)

    def _after_write(self, rid: int, vals: dict[str, Any]) -> None:
        if {"name", "parent_id"} & set(vals):
            for cid in sorted(self._hierarchy([rid], down=True)):
                self._refresh(cid)

    def _refresh(self, rid: int) -> None:
        name = self._value(rid, "name")
        parent = self._value(rid, "parent_id")
        full = f"{self._value(parent, 'complete_name')} / {name}" if parent else name
        self.db.update(self._name, rid, {"complete_name": full})


class UomUom(BaseModel):
    _name, _description, _order = "uom.uom", "Product Unit of Measure", "factor DESC, id"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Unit of Measure", required=True, translate=True),
            "category_id": f.Many2one("uom.category", "Category", required=True),
            "uom_type": f.Selection("Type", [("bigger", "Bigger than the reference"),
                                             ("reference", "Reference Unit"),
                                             ("smaller", "Smaller than the reference")],
                                    default="reference"),
            "factor": f.Float("Ratio", default=1.0),
            "rounding": f.Float("Rounding Precision", default=0.01),
            "active": f.Boolean("Active", default=True),
        }


def _product_type_columns(version: str) -> dict[str, f.Field]:
    if version == "17":
        types = [("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product")]
        return {"type": f.Selection("Product Type", types, default="consu"),
                "detailed_type": f.Selection("Product Type", types, default="consu")}
    types = [("consu", "Goods"), ("service", "Service"), ("combo", "Combo")]
    return {"type": f.Selection("Product Type", types, default="consu"),
            "is_storable": f.Boolean("Track Inventory")}


class ProductTemplate(BaseModel):
    _name, _description, _order = "product.template", "Product", "priority desc, name"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Name", required=True, translate=True),
            "priority": f.Selection("Favorite", [("0", "Normal"), ("1", "Favorite")], default="0"),
            "description_sale": f.Text("Sales Description", translate=True),
            "list_price": f.Float("Sales Price", default=1.0),
            "standard_price": f.Float("Cost", compute="_standard_price_of", store=False),
            "categ_id": f.Many2one("product.category", "Product Category", required=True,
                                   default=1),
            "uom_id": f.Many2one("uom.uom", "Unit of Measure", required=True, default=1),
            "uom_po_id": f.Many2one("uom.uom", "Purchase Unit", required=True, default=1),
            **_product_type_columns(version),
            "taxes_id": f.Many2many("account.tax", "Customer Taxes"),
            "supplier_taxes_id": f.Many2many("account.tax", "Vendor Taxes"),
            "sale_ok": f.Boolean("Can be Sold", default=True),
            "purchase_ok": f.Boolean("Can be Purchased", default=True),
            "company_id": f.Many2one("res.company", "Company"),
            "active": f.Boolean("Active", default=True),
            "product_variant_ids": f.One2many("product.product", "product_tmpl_id", "Products"),
            "product_variant_id": f.Many2one("product.product", "Product",
                                             compute="_first_variant", store=False),
            "default_code": f.Char("Internal Reference", compute="_variant_default_code",
                                   store=False),
            "barcode": f.Char("Barcode", compute="_variant_barcode", store=False),
            "qty_available": f.Float("Quantity On Hand", compute="_template_qty", store=False),
            "virtual_available": f.Float("Forecasted Quantity", compute="_template_virtual",
                                         store=False),
        }

    def _standard_price_of(self, rid: int) -> float:
        return float((self.db.row(self._name, rid) or {}).get("_cost", 0.0))

    def _variants(self, rid: int) -> list[int]:
        return [pid for pid, row in self.db.tables["product.product"].items()
                if row.get("product_tmpl_id") == rid]

    def _first_variant(self, rid: int) -> int | bool:
        variants = self._variants(rid)
        return variants[0] if variants else False

    def _variant_default_code(self, rid: int) -> Any:
        variants = self._variants(rid)
        return self.env["product.product"]._value(variants[0], "default_code") \
            if len(variants) == 1 else False

    def _variant_barcode(self, rid: int) -> Any:
        variants = self._variants(rid)
        return self.env["product.product"]._value(variants[0], "barcode") \
            if len(variants) == 1 else False

    def _template_qty(self, rid: int) -> float:
        return sum(self.env["product.product"]._value(p, "qty_available")
                   for p in self._variants(rid))

    def _template_virtual(self, rid: int) -> float:
        return sum(self.env["product.product"]._value(p, "virtual_available")
                   for p in self._variants(rid))

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        if self.env.context.get("create_product_product", True):
            variant = {k: vals[k] for k in ("default_code", "barcode") if vals.get(k)}
            self.env["product.product"]._create_one({"product_tmpl_id": rid, **variant})

    def _split_vals(self, vals: dict[str, Any], rid: int | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
        stored, x2many = super()._split_vals(vals, rid)
        if rid is not None:
            variant_vals = {k: vals[k] for k in ("default_code", "barcode") if k in vals}
            variants = self._variants(rid)
            if variant_vals and len(variants) == 1:
                self.env["product.product"]._write_one(variants[0], variant_vals)
        return stored, x2many


class ProductProduct(BaseModel):
    _name, _description = "product.product", "Product Variant"
    _order = "priority desc, default_code, name, id"
    _inherits = {"product.template": "product_tmpl_id"}
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "product_tmpl_id": f.Many2one("product.template", "Product Template", required=True,
                                          extra={"ondelete": "cascade"}),
            "default_code": f.Char("Internal Reference"),
            "barcode": f.Char("Barcode"),
            "active": f.Boolean("Active", default=True),
            "lst_price": f.Float("Sales Price", compute="_lst_price", store=False),
            "qty_available": f.Float("Quantity On Hand", readonly=True,
                                     help="Stock on hand (stock.quant in a real Odoo)."),
            "virtual_available": f.Float("Forecasted Quantity", compute="_virtual_available",
                                         store=False),
            "free_qty": f.Float("Free To Use Quantity", compute="_virtual_available",
                                store=False),
        }

    def _create_one(self, vals: dict[str, Any]) -> int:
        if not vals.get("product_tmpl_id"):
            # _inherits: the template is created first, without its automatic variant
            env = self.env.with_context(create_product_product=False)
            return ProductProduct._create_one_raw(env["product.product"], vals)
        return super()._create_one(vals)

    def _create_one_raw(self, vals: dict[str, Any]) -> int:
        return BaseModel._create_one(self, vals)

    def _write_one(self, rid: int, vals: dict[str, Any]) -> None:
        if "lst_price" in vals:  # Odoo's inverse writes the template's list_price
            vals["list_price"] = vals.pop("lst_price")
        super()._write_one(rid, vals)

    def _lst_price(self, rid: int) -> float:
        return float(self._value(rid, "list_price") or 0.0)

    def _reserved(self, rid: int) -> float:
        """Quantity promised to confirmed sale orders and not delivered yet."""
        lines = self.db.tables["sale.order.line"]
        orders = self.db.tables["sale.order"]
        return sum(
            (line.get("product_uom_qty") or 0.0) - (line.get("qty_delivered") or 0.0)
            for line in lines.values()
            if line.get("product_id") == rid
            and (orders.get(line.get("order_id")) or {}).get("state") == "sale"
        )

    def _virtual_available(self, rid: int) -> float:
        return float(self._value(rid, "qty_available") or 0.0) - self._reserved(rid)

    def _display_name(self, rid: int) -> str:
        name = self._value(rid, "name") or ""
        code = self._value(rid, "default_code")
        return f"[{code}] {name}" if code else name

    def _name_search_domain(self, name: str, operator: str) -> list[Any]:
        if operator in ("ilike", "like", "=", "=ilike", "=like"):
            return ["|", "|", ("default_code", "=ilike", name), ("barcode", "=", name),
                    "|", ("default_code", operator, name), ("name", operator, name)]
        return [("name", operator, name)]

    def _constrain(self, ids: list[int]) -> None:
        for rid in ids:
            barcode = self._value(rid, "barcode")
            if not barcode:
                continue
            clash = [pid for pid, row in self.db.tables[self._name].items()
                     if pid != rid and row.get("barcode") == barcode]
            if clash:
                names = ", ".join(self._display_name(p) for p in clash)
                raise ValidationError(
                    f'Barcode(s) already assigned:\n\n- Barcode "{barcode}" already assigned to '
                    f"product(s): {names}"
                )


class SaleOrder(BaseModel):
    _name, _description, _order = "sale.order", "Sales Order", "date_order desc, id desc"
    _access = {SALES: ALL, SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        states = [("draft", "Quotation"), ("sent", "Quotation Sent"), ("sale", "Sales Order"),
                  ("cancel", "Cancelled")]
        return {
            "name": f.Char("Order Reference", required=True, readonly=True, default="New"),
            "partner_id": f.Many2one("res.partner", "Customer", required=True),
            "partner_invoice_id": f.Many2one("res.partner", "Invoice Address"),
            "partner_shipping_id": f.Many2one("res.partner", "Delivery Address"),
            "date_order": f.Datetime("Order Date", required=True, default=_now),
            "validity_date": f.Date("Expiration"),
            "state": f.Selection("Status", states, default="draft", readonly=True),
            "locked": f.Boolean("Locked"),
            "order_line": f.One2many("sale.order.line", "order_id", "Order Lines"),
            "amount_untaxed": f.Monetary("Untaxed Amount", readonly=True),
            "amount_tax": f.Monetary("Taxes", readonly=True),
            "amount_total": f.Monetary("Total", readonly=True),
            "currency_id": f.Many2one("res.currency", "Currency", default=_company_currency),
            "company_id": f.Many2one("res.company", "Company", required=True),
            "user_id": f.Many2one("res.users", "Salesperson", default=lambda env: env.uid),
            "client_order_ref": f.Char("Customer Reference"),
            "origin": f.Char("Source Document"),
            "note": f.Text("Terms and conditions"),
            "invoice_status": f.Selection("Invoice Status", [("upselling", "Upselling"),
                                                             ("invoiced", "Fully Invoiced"),
                                                             ("to invoice", "To Invoice"),
                                                             ("no", "Nothing to Invoice")],
                                          default="no"),
        }

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        if vals.get("name", "New") == "New":
            vals["name"] = f"S{self.db.next_sequence('sale.order'):05d}"
        if vals.get("partner_id"):
            vals.setdefault("partner_invoice_id", vals["partner_id"])
            vals.setdefault("partner_shipping_id", vals["partner_id"])
        return vals

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self.recompute_amounts(rid)
        partner = self.db.row("res.partner", self._value(rid, "partner_id")) or {}
        if not partner.get("customer_rank"):
            self.db.update("res.partner", self._value(rid, "partner_id"), {"customer_rank": 1})

    def _after_write(self, rid: int, vals: dict[str, Any]) -> None:
        if "order_line" in vals:
            self.recompute_amounts(rid)

    def recompute_amounts(self, rid: int) -> None:
        lines = self.env["sale.order.line"]
        ids = lines._search_ids([("order_id", "=", rid)])
        untaxed = round(sum(lines._value(i, "price_subtotal") for i in ids), 2)
        tax = round(sum(lines._value(i, "price_tax") for i in ids), 2)
        self.db.update(self._name, rid, {"amount_untaxed": untaxed, "amount_tax": tax,
                                         "amount_total": round(untaxed + tax, 2)})

    def _before_unlink(self, rid: int) -> None:
        if self._value(rid, "state") not in ("draft", "cancel"):
            raise UserError("You can not delete a sent quotation or a confirmed sales order. "
                            "You must first cancel it.")

    @rpc
    def action_confirm(self, ids):
        self._check_acl("write")
        ids = list(ids) if isinstance(ids, list) else [ids]
        self._check_exists(ids)
        self._check_rules(ids, "write")
        wrong = [self._value(i, "name") for i in ids
                 if self._value(i, "state") not in ("draft", "sent")]
        if wrong:
            raise UserError("The following orders are not in a state requiring confirmation: "
                            + ", ".join(wrong))
        lines = self.env["sale.order.line"]
        for rid in ids:
            for line in lines._search_ids([("order_id", "=", rid)]):
                if not lines._value(line, "product_id") and not lines._value(line,
                                                                              "display_type"):
                    raise UserError("A line on these orders missing a product, you cannot "
                                    "confirm it.")
            self.db.update(self._name, rid, {"state": "sale", "date_order": _now(),
                                             "invoice_status": "to invoice"})
        return True

    @rpc
    def action_cancel(self, ids):
        self._check_acl("write")
        ids = list(ids) if isinstance(ids, list) else [ids]
        self._check_exists(ids)
        for rid in ids:
            if self._value(rid, "locked"):
                raise UserError("You cannot cancel a locked order. Please unlock it first.")
            self.db.update(self._name, rid, {"state": "cancel", "invoice_status": "no"})
        return True

    @rpc
    def action_draft(self, ids):
        self._check_acl("write")
        ids = list(ids) if isinstance(ids, list) else [ids]
        self._check_exists(ids)
        for rid in ids:
            if self._value(rid, "state") in ("cancel", "sent"):
                self.db.update(self._name, rid, {"state": "draft"})
        return True

    @rpc
    def action_lock(self, ids):
        self._set_locked(ids, True)

    @rpc
    def action_unlock(self, ids):
        self._set_locked(ids, False)

    def _set_locked(self, ids: Any, locked: bool) -> None:
        self._check_acl("write")
        ids = list(ids) if isinstance(ids, list) else [ids]
        self._check_exists(ids)
        for rid in ids:
            self.db.update(self._name, rid, {"locked": locked})


class SaleOrderLine(BaseModel):
    _name, _description, _order = "sale.order.line", "Sales Order Line", "order_id, sequence, id"
    _access = {SALES: ALL, SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "order_id": f.Many2one("sale.order", "Order Reference", required=True,
                                   extra={"ondelete": "cascade"}),
            "sequence": f.Integer("Sequence", default=10),
            "product_id": f.Many2one("product.product", "Product"),
            "name": f.Text("Description"),
            "product_uom_qty": f.Float("Quantity", default=1.0),
            "product_uom": f.Many2one("uom.uom", "Unit of Measure"),
            "price_unit": f.Float("Unit Price"),
            "discount": f.Float("Discount (%)"),
            "price_subtotal": f.Monetary("Subtotal", readonly=True),
            "price_tax": f.Float("Total Tax", readonly=True),
            "price_total": f.Monetary("Total", readonly=True),
            "qty_delivered": f.Float("Delivery Quantity"),
            "qty_invoiced": f.Float("Invoiced Quantity", readonly=True),
            "display_type": f.Selection("Display Type", [("line_section", "Section"),
                                                         ("line_note", "Note")]),
            "company_id": f.Many2one("res.company", "Company", readonly=True),
            "currency_id": f.Many2one("res.currency", "Currency", readonly=True),
            "state": f.Selection("Order Status", SaleOrder.columns(version)["state"].selection
                                 or [], compute="_order_state", store=False),
        }

    def _order_state(self, rid: int) -> str:
        order = self._value(rid, "order_id")
        return self.env["sale.order"]._value(order, "state") if order else False

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        product_id = vals.get("product_id")
        if product_id:
            products = self.env["product.product"]
            if self.db.row("product.product", int(product_id)) is not None:
                vals.setdefault("price_unit", products._value(int(product_id), "lst_price"))
                vals.setdefault("name", products._display_name(int(product_id)))
                vals.setdefault("product_uom", products._value(int(product_id), "uom_id"))
        order = self.db.row("sale.order", int(vals.get("order_id") or 0)) or {}
        vals["company_id"] = order.get("company_id", False)
        vals["currency_id"] = order.get("currency_id", False)
        vals.setdefault("price_unit", 0.0)
        return vals

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._compute_line(rid)

    def _before_write(self, rid: int, vals: dict[str, Any]) -> None:
        order = self._value(rid, "order_id")
        if order and self.env["sale.order"]._value(order, "locked") and \
                {"product_uom_qty", "price_unit", "product_id"} & set(vals):
            raise UserError("It is forbidden to modify the following fields in a locked order:\n"
                            + "\n".join(sorted(set(vals))))

    def _after_write(self, rid: int, vals: dict[str, Any]) -> None:
        self._compute_line(rid)

    def _compute_line(self, rid: int) -> None:
        qty = self._value(rid, "product_uom_qty") or 0.0
        price = self._value(rid, "price_unit") or 0.0
        discount = self._value(rid, "discount") or 0.0
        subtotal = round(qty * price * (1 - discount / 100.0), 2)
        self.db.update(self._name, rid, {"price_subtotal": subtotal, "price_tax": 0.0,
                                         "price_total": subtotal})
        order = self._value(rid, "order_id")
        if order:
            self.env["sale.order"].recompute_amounts(order)

    def _unlink_one(self, rid: int) -> None:
        order = self._value(rid, "order_id")
        super()._unlink_one(rid)
        if order and self.db.row("sale.order", order) is not None:
            self.env["sale.order"].recompute_amounts(order)


class AccountMove(BaseModel):
    _name, _description = "account.move", "Journal Entry"
    _order = "date desc, name desc, invoice_date desc, id desc"
    _access = {ACC_RO: "r", ACC: ALL, SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        payment_states = [("not_paid", "Not Paid"), ("in_payment", "In Payment"),
                          ("paid", "Paid"), ("partial", "Partially Paid"),
                          ("reversed", "Reversed"), ("invoicing_legacy",
                                                     "Invoicing App Legacy")]
        if version != "17":
            payment_states.append(("blocked", "Blocked"))
        return {
            "name": f.Char("Number", readonly=True, default="/"),
            "ref": f.Char("Reference"),
            "move_type": f.Selection("Type", [
                ("entry", "Journal Entry"), ("out_invoice", "Customer Invoice"),
                ("out_refund", "Customer Credit Note"), ("in_invoice", "Vendor Bill"),
                ("in_refund", "Vendor Credit Note"), ("out_receipt", "Sales Receipt"),
                ("in_receipt", "Purchase Receipt")], required=True, default="entry"),
            "state": f.Selection("Status", [("draft", "Draft"), ("posted", "Posted"),
                                            ("cancel", "Cancelled")], default="draft",
                                 required=True),
            "payment_state": f.Selection("Payment Status", payment_states, default="not_paid",
                                         readonly=True),
            "date": f.Date("Date", default=_today),
            "invoice_date": f.Date("Invoice/Bill Date"),
            "invoice_date_due": f.Date("Due Date"),
            "partner_id": f.Many2one("res.partner", "Partner"),
            "amount_untaxed": f.Monetary("Untaxed Amount"),
            "amount_tax": f.Monetary("Tax"),
            "amount_total": f.Monetary("Total"),
            "amount_residual": f.Monetary("Amount Due"),
            "currency_id": f.Many2one("res.currency", "Currency", default=_company_currency),
            "company_id": f.Many2one("res.company", "Company", required=True),
            "invoice_origin": f.Char("Origin"),
            "payment_reference": f.Char("Payment Reference"),
            "invoice_line_ids": f.One2many("account.move.line", "move_id", "Invoice lines"),
        }

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        self._check_journal(vals)
        if vals.get("invoice_line_ids"):  # amounts come from the lines only
            for fname in ("amount_total", "amount_untaxed", "amount_tax", "amount_residual"):
                vals[fname] = 0.0
        total = float(vals.get("amount_total") or 0.0)
        vals.setdefault("amount_untaxed", total)
        vals.setdefault("amount_tax", 0.0)
        vals.setdefault("amount_residual", total)
        if vals.get("invoice_date") and not vals.get("invoice_date_due"):
            vals["invoice_date_due"] = vals["invoice_date"]
        if vals.get("invoice_date"):
            vals["date"] = vals["invoice_date"]
        return vals

    def _check_journal(self, vals: dict[str, Any]) -> None:
        """A company without a chart of accounts has no sales or purchase journal."""
        kind = {"out": "sale", "in_": "purchase"}
        move_type = vals.get("move_type") or "entry"
        journal = next((j for prefix, j in kind.items() if move_type.startswith(prefix)), None)
        company = self.db.row("res.company", int(vals.get("company_id") or 0)) or {}
        if journal and not company.get("chart_template"):
            raise UserError(f"No journal could be found in company {company.get('name')} for "
                            f"any of those types: {journal}")

    def recompute_amounts(self, rid: int) -> None:
        """Totals from the lines; what was already paid stays paid."""
        lines = self.env["account.move.line"]
        ids = lines._search_ids([("move_id", "=", rid)])
        untaxed = round(sum(lines._value(i, "price_subtotal") or 0.0 for i in ids), 2)
        total = round(sum(lines._value(i, "price_total") or 0.0 for i in ids), 2)
        paid = (self._value(rid, "amount_total") or 0.0) - \
            (self._value(rid, "amount_residual") or 0.0)
        self.db.update(self._name, rid, {"amount_untaxed": untaxed, "amount_total": total,
                                         "amount_tax": round(total - untaxed, 2),
                                         "amount_residual": round(total - paid, 2)})

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        if self._value(rid, "state") == "posted" and self._value(rid, "name") in ("/", False):
            self._assign_name(rid)
        self._refresh_payment_state(rid)

    def _after_write(self, rid: int, vals: dict[str, Any]) -> None:
        if {"amount_residual", "amount_total", "state"} & set(vals):
            self._refresh_payment_state(rid)

    def _assign_name(self, rid: int) -> None:
        prefix = {"out_invoice": "INV", "out_refund": "RINV", "in_invoice": "BILL",
                  "in_refund": "RBILL", "entry": "MISC"}.get(self._value(rid, "move_type"), "MISC")
        year = str(self._value(rid, "invoice_date") or self._value(rid, "date") or _today())[:4]
        company = self._value(rid, "company_id")
        number = self.db.next_sequence(f"account.move:{company}:{prefix}:{year}")
        self.db.update(self._name, rid, {"name": f"{prefix}/{year}/{number:05d}"})

    def _refresh_payment_state(self, rid: int) -> None:
        total = self._value(rid, "amount_total") or 0.0
        residual = self._value(rid, "amount_residual") or 0.0
        if self._value(rid, "state") != "posted":
            state = "not_paid"
        elif total and abs(residual) < 0.005:
            state = "paid"
        elif abs(residual - total) < 0.005:
            state = "not_paid"
        else:
            state = "partial"
        self.db.update(self._name, rid, {"payment_state": state})

    def _before_unlink(self, rid: int) -> None:
        if self._value(rid, "state") == "posted":
            raise UserError("You cannot delete an entry which has been posted once.")

    @rpc
    def action_post(self, ids):
        self._check_acl("write")
        ids = list(ids) if isinstance(ids, list) else [ids]
        self._check_exists(ids)
        self._check_rules(ids, "write")
        for rid in ids:
            if self._value(rid, "state") != "draft":
                raise UserError("The entry %s (id %s) is already posted." %  # noqa: UP031
                                (self._value(rid, "name"), rid))
            if not self._value(rid, "partner_id") and \
                    self._value(rid, "move_type") != "entry":
                raise UserError("The field 'Customer' is required, please complete it to "
                                "validate the Customer Invoice.")
            self.db.update(self._name, rid, {"state": "posted"})
            self._assign_name(rid)
            self._refresh_payment_state(rid)
        return False


class AccountPayment(BaseModel):
    _name, _description, _order = "account.payment", "Payments", "date desc, name desc"
    _access = {ACC_RO: "r", ACC: ALL, SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        if version == "17":
            states = [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")]
            memo = {"ref": f.Char("Memo")}
        else:
            states = [("draft", "Draft"), ("in_process", "In Process"), ("paid", "Paid"),
                      ("canceled", "Canceled"), ("rejected", "Rejected")]
            memo = {"memo": f.Char("Memo")}
        return {
            "name": f.Char("Number", readonly=True),
            "amount": f.Monetary("Amount"),
            "payment_type": f.Selection("Payment Type", [("outbound", "Send"),
                                                         ("inbound", "Receive")]),
            "partner_type": f.Selection("Partner Type", [("customer", "Customer"),
                                                         ("supplier", "Vendor")]),
            "partner_id": f.Many2one("res.partner", "Customer/Vendor"),
            "date": f.Date("Date", default=_today),
            "state": f.Selection("Status", states, default="draft"),
            **memo,
            "currency_id": f.Many2one("res.currency", "Currency", default=_company_currency),
            "company_id": f.Many2one("res.company", "Company", required=True),
            "reconciled_invoice_ids": f.Many2many("account.move", "Reconciled Invoices"),
        }


class IrModel(BaseModel):
    _name, _description, _order = "ir.model", "Models", "model"
    _rec_name = "name"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "model": f.Char("Model", required=True),
            "name": f.Char("Model Description", required=True, translate=True),
            "info": f.Text("Information"),
            "transient": f.Boolean("Transient Model"),
            "state": f.Selection("Type", [("manual", "Custom Object"),
                                          ("base", "Base Object")], default="base"),
            "modules": f.Char("In Apps"),
        }


MODELS: list[type[BaseModel]] = [
    ResCurrency, ResCompany, ResUsers, ResPartner, ProductCategory, UomUom, ProductTemplate,
    ProductProduct, SaleOrder, SaleOrderLine, AccountMove, AccountPayment, IrModel,
]

def build_registry(version: str) -> dict[str, type[BaseModel]]:
    """One subclass per model with the columns of ``version``; fresh Field objects each time."""
    from sandbox.odoo.setup_models import SETUP_MODELS

    registry: dict[str, type[BaseModel]] = {}
    for model in [*MODELS, *SETUP_MODELS]:
        cls = type(model.__name__, (model,), {"_columns": model.columns(version)})  # type: ignore[attr-defined]
        registry[model._name] = cls
    return registry
