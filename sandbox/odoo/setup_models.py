"""Models a fresh database needs before it holds a shop: languages, countries, units, taxes,
settings, and the wizards an installer drives over RPC (payments, stock, charts of accounts).

They exist so that ``balcao odoo seed`` can be tested against the embedded Odoo exactly as it
runs against a real one: through the same public methods, with the same refusals (a company
without a chart of accounts has no sales journal, an invoice's total comes from its lines, a
payment lowers what is due).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.odoo import fields as f
from sandbox.odoo.exceptions import AccessError, UserError
from sandbox.odoo.models import BaseModel, _as_ids, api_model, rpc
from sandbox.odoo.registry import ACC, ACC_RO, ALL, SYS, U


class ResLang(BaseModel):
    _name, _description, _order = "res.lang", "Languages", "active desc, name"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Name", required=True),
            "code": f.Char("Locale Code", required=True),
            "iso_code": f.Char("ISO code"),
            "active": f.Boolean("Active"),
        }


class BaseLanguageInstall(BaseModel):
    _name, _description = "base.language.install", "Install Language"
    _access = {SYS: ALL}
    _company_rule = False

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {"lang_ids": f.Many2many("res.lang", "Languages"),
                "overwrite": f.Boolean("Overwrite Existing Terms")}

    @rpc
    def lang_install(self, ids):
        self._check_acl("write")
        for rid in _as_ids(ids):
            for lang in self._value(rid, "lang_ids") or []:
                self.db.update("res.lang", lang, {"active": True})
        return {"type": "ir.actions.client", "tag": "reload"}


class ResCountry(BaseModel):
    _name, _description, _order = "res.country", "Country", "name"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {"name": f.Char("Country Name", required=True, translate=True),
                "code": f.Char("Country Code", required=True)}


class ResCountryState(BaseModel):
    _name, _description, _order = "res.country.state", "Country state", "code"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {"name": f.Char("State Name", required=True),
                "code": f.Char("State Code", required=True),
                "country_id": f.Many2one("res.country", "Country", required=True)}


class UomCategory(BaseModel):
    _name, _description, _order = "uom.category", "Product UoM Categories", "name"
    _access = {U: "r", SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {"name": f.Char("Unit of Measure Category", required=True, translate=True)}


class AccountTax(BaseModel):
    _name, _description, _order = "account.tax", "Tax", "sequence, id"
    _access = {U: "r", ACC: ALL, SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "name": f.Char("Tax Name", required=True),
            "sequence": f.Integer("Sequence", default=1),
            "amount": f.Float("Amount (%)"),
            "type_tax_use": f.Selection("Tax Type", [("sale", "Sales"), ("purchase",
                                                                         "Purchases"),
                                                     ("none", "None")], default="sale"),
            "company_id": f.Many2one("res.company", "Company", required=True),
            "active": f.Boolean("Active", default=True),
        }


class AccountMoveLine(BaseModel):
    """Invoice lines: the only source of an invoice's amounts, as in Odoo."""

    _name, _description, _order = "account.move.line", "Journal Item", "move_id, sequence, id"
    _access = {ACC_RO: "r", ACC: ALL, SYS: ALL}

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "move_id": f.Many2one("account.move", "Journal Entry", required=True,
                                  extra={"ondelete": "cascade"}),
            "sequence": f.Integer("Sequence", default=10),
            "name": f.Char("Label"),
            "product_id": f.Many2one("product.product", "Product"),
            "quantity": f.Float("Quantity", default=1.0),
            "price_unit": f.Float("Unit Price"),
            "discount": f.Float("Discount (%)"),
            "tax_ids": f.Many2many("account.tax", "Taxes"),
            "price_subtotal": f.Monetary("Subtotal", readonly=True),
            "price_total": f.Monetary("Total", readonly=True),
            "company_id": f.Many2one("res.company", "Company", readonly=True),
        }

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        move = self.db.row("account.move", int(vals.get("move_id") or 0)) or {}
        if move.get("state") == "posted":
            raise UserError("You cannot modify a posted entry of this journal.")
        vals["company_id"] = move.get("company_id", False)
        return vals

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        self._compute(rid)

    def _before_write(self, rid: int, vals: dict[str, Any]) -> None:
        self._check_draft(rid)

    def _after_write(self, rid: int, vals: dict[str, Any]) -> None:
        self._compute(rid)

    def _check_draft(self, rid: int) -> None:
        move = self._value(rid, "move_id")
        if move and self.env["account.move"]._value(move, "state") == "posted":
            raise UserError("You cannot modify a posted entry of this journal.")

    def _compute(self, rid: int) -> None:
        qty = self._value(rid, "quantity") or 0.0
        price = self._value(rid, "price_unit") or 0.0
        discount = self._value(rid, "discount") or 0.0
        subtotal = round(qty * price * (1 - discount / 100.0), 2)
        taxes = self.env["account.tax"]
        rate = sum(taxes._value(t, "amount") or 0.0 for t in self._value(rid, "tax_ids") or [])
        self.db.update(self._name, rid, {"price_subtotal": subtotal,
                                         "price_total": round(subtotal * (1 + rate / 100), 2)})
        self.env["account.move"].recompute_amounts(self._value(rid, "move_id"))

    def _unlink_one(self, rid: int) -> None:
        self._check_draft(rid)
        move = self._value(rid, "move_id")
        super()._unlink_one(rid)
        if self.db.row("account.move", move) is not None:
            self.env["account.move"].recompute_amounts(move)


class AccountPaymentRegister(BaseModel):
    """The "Register Payment" wizard: the supported way to pay invoices over RPC."""

    _name, _description = "account.payment.register", "Register Payment"
    _access = {ACC: ALL, SYS: ALL}
    _company_rule = False

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "amount": f.Monetary("Amount"),
            "payment_date": f.Date("Payment Date"),
            "communication": f.Char("Memo"),
            "line_ids": f.Many2many("account.move", "Journal items"),
        }

    @api_model
    def create(self, vals_list):
        self._check_acl("create")
        moves = self._active_moves()
        single = isinstance(vals_list, dict)
        batch = [vals_list] if single else list(vals_list)
        due = round(sum(self.env["account.move"]._value(m, "amount_residual") or 0.0
                        for m in moves), 2)
        names = " ".join(self.env["account.move"]._value(m, "name") for m in moves)
        ids = [super(AccountPaymentRegister, self).create(
            {"amount": due, "payment_date": dt.date.today().isoformat(), "communication": names,
             **vals, "line_ids": [[6, 0, moves]]}) for vals in batch]
        return ids[0] if single else ids

    def _active_moves(self) -> list[int]:
        ctx = self.env.context
        if ctx.get("active_model") != "account.move" or not ctx.get("active_ids"):
            raise UserError("The register payment wizard should only be called on "
                            "account.move or account.move.line records.")
        moves = self.env["account.move"]
        ids = _as_ids(ctx["active_ids"])
        moves._check_exists(ids)
        moves._check_rules(ids, "read")
        for rid in ids:
            if moves._value(rid, "state") != "posted":
                raise UserError("You can only register payment for posted journal entries.")
            if abs(moves._value(rid, "amount_residual") or 0.0) < 0.005:
                raise UserError("You can't register a payment because there is nothing left "
                                "to pay on the selected journal items.")
        return ids

    @rpc
    def action_create_payments(self, ids):
        self._check_acl("write")
        payment = False
        for rid in _as_ids(ids):
            moves = self._value(rid, "line_ids") or []
            for move in moves:
                amount = self._value(rid, "amount") if len(moves) == 1 else \
                    self.env["account.move"]._value(move, "amount_residual")
                payment = self._pay(move, float(amount), self._value(rid, "payment_date"),
                                    self._value(rid, "communication"))
        return {"name": "Payments", "type": "ir.actions.act_window",
                "res_model": "account.payment", "res_id": payment, "view_mode": "form",
                "context": {"create": False}}

    def _pay(self, move: int, amount: float, date: str, memo: str | None) -> int:
        if amount <= 0:
            raise UserError("The payment amount must be strictly positive.")
        moves = self.env["account.move"]
        inbound = moves._value(move, "move_type") in ("out_invoice", "in_refund")
        company = moves._value(move, "company_id")
        version = self.db.version
        number = self.db.next_sequence(f"account.payment:{company}:{date[:4]}")
        payment = self.env["account.payment"].create({
            "name": f"PBNK{company}/{date[:4]}/{number:05d}",
            "amount": round(amount, 2),
            "payment_type": "inbound" if inbound else "outbound",
            "partner_type": "customer" if moves._value(move, "move_type").startswith("out")
            else "supplier",
            "partner_id": moves._value(move, "partner_id"),
            "date": date,
            "state": "posted" if version == "17" else "paid",
            ("ref" if version == "17" else "memo"): memo or moves._value(move, "name"),
            "company_id": company,
            "reconciled_invoice_ids": [[6, 0, [move]]],
        })
        residual = max(0.0, round((moves._value(move, "amount_residual") or 0.0) - amount, 2))
        self.db.update("account.move", move, {"amount_residual": residual})
        moves._refresh_payment_state(move)
        return payment


class StockChangeProductQty(BaseModel):
    """Inventory's "Update Quantity" wizard: sets what is on hand in the company's warehouse."""

    _name, _description = "stock.change.product.qty", "Change Product Quantity"
    _access = {SYS: ALL}
    _company_rule = False

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {
            "product_id": f.Many2one("product.product", "Product", required=True),
            "product_tmpl_id": f.Many2one("product.template", "Template", required=True),
            "new_quantity": f.Float("New Quantity on Hand", default=1.0),
        }

    @rpc
    def change_product_qty(self, ids):
        self._check_acl("write")
        products = self.env["product.product"]
        for rid in _as_ids(ids):
            product = self._value(rid, "product_id")
            if self._value(rid, "new_quantity") < 0:
                raise UserError("Quantity cannot be negative.")
            storable = products._value(product, "is_storable") if self.db.version != "17" \
                else products._value(product, "type") == "product"
            if not storable:
                raise UserError("Only storable products can have a quantity on hand.")
            self.db.update("product.product", product,
                           {"qty_available": float(self._value(rid, "new_quantity"))})
        return {"type": "ir.actions.act_window_close"}


class AccountChartTemplate(BaseModel):
    """Loading a chart of accounts gives a company its journals (here: the flag that it has)."""

    _name, _description = "account.chart.template", "Account Chart Template"
    _company_rule = False

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {}

    @rpc  # Odoo 17 does not mark it @api.model: over RPC the ids ([]) come first
    def try_loading(self, ids, template_code, company, install_demo=True):
        if not self.env.has_group(SYS):
            raise AccessError("Only administrators can install chart templates")
        if template_code not in ("generic_coa", "br"):
            raise UserError(f"Unknown chart template {template_code!r}")
        company_id = company[0] if isinstance(company, list | tuple) else int(company)
        self.env["res.company"]._check_exists([company_id])
        if not self.db.row("res.company", company_id).get("chart_template"):
            self.db.update("res.company", company_id, {"chart_template": template_code})
        return None


class IrConfigParameter(BaseModel):
    _name, _description, _order = "ir.config_parameter", "System Parameter", "key"
    _rec_name = "key"
    _access = {SYS: ALL}
    _company_rule = False

    @classmethod
    def columns(cls, version: str) -> dict[str, f.Field]:
        return {"key": f.Char("Key", required=True), "value": f.Text("Value", required=True)}

    def _check_sys(self) -> None:
        if not self.env.has_group(SYS):
            raise AccessError("You are not allowed to access 'System Parameter' "
                              "(ir.config_parameter) records.")

    @api_model
    def get_param(self, key, default=False):
        self._check_sys()
        found = self._search_ids([("key", "=", key)])
        return self._value(found[0], "value") if found else default

    @api_model
    def set_param(self, key, value):
        self._check_sys()
        found = self._search_ids([("key", "=", key)])
        old = self._value(found[0], "value") if found else False
        if found:
            self._write_one(found[0], {"value": str(value)})
        else:
            self._create_one({"key": key, "value": str(value)})
        return old


SETUP_MODELS: list[type[BaseModel]] = [
    ResLang, BaseLanguageInstall, ResCountry, ResCountryState, UomCategory, AccountTax,
    AccountMoveLine, AccountPaymentRegister, StockChangeProductQty, AccountChartTemplate,
    IrConfigParameter,
]
