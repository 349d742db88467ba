"""Loads the Casa & Obra demo company into an Odoo database through the connector.

It goes through the connector because that is how Balcão talks to Odoo: the same calls fill
compose's fresh ``odoo:17`` and the embedded Odoo the tests run against. It only uses Odoo's
public API as a person at the keyboard would: the "Register Payment" wizard pays invoices,
the "Update Quantity" wizard sets stock, invoices get their totals from their lines.

Running it twice changes nothing: every record is looked up by its natural key first
(company name, product code, partner ref, invoice ref), a draft invoice is posted, an invoice
is only paid what it still lacks, and the ``balcao.demo_seed`` parameter marks a finished run.
A run that stopped half-way is finished by the next one.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from mcp_servers.odoo.connector import OdooConnector
from mcp_servers.odoo.errors import AccessDenied

log = logging.getLogger(__name__)

MARKER = "balcao.demo_seed"
ODOO_INITIAL_PASSWORD = "admin"  # what `odoo -i ...` gives the admin of a new database
PT = {"lang": "pt_BR"}
UNITS = {  # catalog code -> (pt_BR, en_US)
    "un": ("Unidade", "Units"), "cx": ("Caixa", "Box"), "saco": ("Saco", "Bag"),
    "kg": ("kg", "kg"), "lata": ("Lata", "Can"), "galão": ("Galão", "Gallon"),
    "rolo": ("Rolo", "Roll"), "pct": ("Pacote", "Pack"),
}
LINE_LABEL = {"out_invoice": "Materiais de construção", "in_invoice": "Mercadorias para revenda"}
Progress = Callable[[str, int, int], None]


@dataclass
class SeedResult:
    """What a run created (by kind) and what Odoo then holds open, per company and kind."""

    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    already_seeded: bool = False
    open_due: dict[tuple[int, str], Decimal] = field(default_factory=dict)


def read_demo(data_dir: Path) -> dict[str, list[dict[str, str]]]:
    def rows(name: str) -> list[dict[str, str]]:
        with (data_dir / name).open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    return {name: rows(f"{name}.csv") for name in ("companies", "catalog", "partners",
                                                    "invoices")}


def claim(odoo: OdooConnector, initial_password: str = ODOO_INITIAL_PASSWORD) -> bool:
    """Give a new database's admin the configured secret. True if it had to be changed.

    A fresh Odoo's admin has the well-known password ``admin``; the seed replaces it before
    loading anything, so the database is never left open with it.
    """
    try:
        odoo.authenticate()
        return False
    except AccessDenied:
        pass
    first = OdooConnector(odoo.url, odoo.db, odoo.login, initial_password, lang="en_US",
                          protocol=odoo.requested_protocol, timeout_s=odoo.timeout_s)
    with first:
        first.execute_kw("res.users", "change_password",
                         [initial_password, odoo._secret_value()])
    odoo.authenticate()
    log.info("changed the initial password of %s on %s", odoo.login, odoo.host)
    return True


def partner_values(row: dict[str, str], companies: dict[str, int], brazil: int,
                   states: dict[str, int]) -> dict[str, Any]:
    """A ``partners.csv`` row as ``res.partner`` values (also the embedded demo's)."""
    return {
        "name": row["name"],
        "ref": row["partner_id"],
        "is_company": row["is_company"] == "1",
        "vat": row["vat"] or False,
        "phone": row["phone"] or False,
        "email": row["email"] or False,
        "city": row["city"] or False,
        "state_id": states.get(row["state"], False),
        "country_id": brazil,
        "company_id": companies[row["company_id"]] if row["company_id"] else False,
        "customer_rank": 1 if row["kind"] == "customer" else 0,
        "supplier_rank": 0 if row["kind"] == "customer" else 1,
        "lang": "pt_BR",
    }


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _m2o(value: Any) -> int | bool:
    return value[0] if isinstance(value, list) and value else value


class DemoSeed:
    """One seeding run against one Odoo database (the connector's user must be an admin)."""

    def __init__(self, odoo: OdooConnector, data_dir: Path, *, batch: int = 50,
                 progress: Progress | None = None):
        self.odoo = odoo
        self.data = read_demo(data_dir)
        self.batch = batch
        self.progress = progress or (lambda step, done, total: None)
        self.result = SeedResult()

    # ------------------------------------------------------------------ the run
    def run(self, *, force: bool = False) -> SeedResult:
        if not force and self.odoo.execute_kw("ir.config_parameter", "get_param", [MARKER]):
            self.result.already_seeded = True
            self.result.open_due = self.open_due()
            return self.result
        self._portuguese()
        brl = self._brl()
        brazil, states = self._brazil()
        companies = self._companies(brl, brazil, states)
        units = self._units()
        products = self._products(units, self._categories())
        self._stock(products, min(companies.values()))
        partners = self._partners(companies, brazil, states)
        moves = self._invoices(companies, partners)
        self._post(moves)
        self._payments(moves)
        self.odoo.execute_kw("ir.config_parameter", "set_param",
                             [MARKER, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")])
        self.result.open_due = self.open_due()
        return self.result

    def _created(self, kind: str, count: int) -> None:
        self.result.created[kind] += count

    # ------------------------------------------------------------------ settings
    def _portuguese(self) -> None:
        lang = self.odoo.search_read("res.lang", [["code", "=", "pt_BR"],
                                                  ["active", "in", [True, False]]],
                                     ["active"], limit=1)
        if not lang:
            raise RuntimeError("Odoo has no pt_BR language record")
        if not lang[0]["active"]:
            wizard = self.odoo.create("base.language.install",
                                      {"lang_ids": [[6, 0, [lang[0]["id"]]]]})
            self.odoo.call("base.language.install", "lang_install", [wizard])
            self._created("languages", 1)

    def _brl(self) -> int:
        found = self.odoo.search_read("res.currency", [["name", "=", "BRL"],
                                                       ["active", "in", [True, False]]],
                                      ["active"], limit=1)
        if not found:
            raise RuntimeError("Odoo has no BRL currency record")
        if not found[0]["active"]:
            self.odoo.write("res.currency", found[0]["id"], {"active": True})
        return found[0]["id"]

    def _brazil(self) -> tuple[int, dict[str, int]]:
        brazil = self.odoo.search("res.country", [["code", "=", "BR"]], limit=1)
        if not brazil:
            raise RuntimeError("Odoo has no country BR")
        states = self.odoo.search_read("res.country.state", [["country_id", "=", brazil[0]]],
                                       ["code"], limit=100)
        return brazil[0], {s["code"]: s["id"] for s in states}

    def _companies(self, brl: int, brazil: int, states: dict[str, int]) -> dict[str, int]:
        """Demo company 1 becomes the database's main company; the others are created."""
        uid = self.odoo.uid or self.odoo.authenticate()
        user = self.odoo.read("res.users", uid, ["company_id"])[0]
        ids: dict[str, int] = {}
        for row in self.data["companies"]:
            vals = {"name": row["name"], "vat": row["vat"], "city": row["city"],
                    "country_id": brazil, "state_id": states.get(row["state"], False)}
            found = self.odoo.search("res.company", [["name", "=", row["name"]]], limit=1)
            if found:
                ids[row["company_id"]] = found[0]
            elif row["company_id"] == "1":
                ids["1"] = _m2o(user["company_id"])
                self.odoo.write("res.company", ids["1"], vals)
            else:
                ids[row["company_id"]] = self.odoo.create("res.company",
                                                          {**vals, "currency_id": brl})
                self._created("companies", 1)
            company = self.odoo.read("res.company", ids[row["company_id"]],
                                     ["currency_id", "chart_template"])[0]
            if _m2o(company["currency_id"]) != brl:
                self.odoo.write("res.company", company["id"], {"currency_id": brl})
            self.odoo.write("res.users", uid, {"company_ids": [[4, company["id"]]]})
            if not company["chart_template"]:
                self.odoo.call("account.chart.template", "try_loading", [], "generic_coa",
                               company["id"], False)
        return ids

    # ------------------------------------------------------------------ catalog
    def _units(self) -> dict[str, int]:
        existing = self.odoo.search_read("uom.uom", [], ["name", "category_id"], limit=500)
        by_name = {u["name"]: u["id"] for u in existing}
        unit_category = next((_m2o(u["category_id"]) for u in existing
                              if u["name"] == "Units"), None)
        if unit_category is None:
            raise RuntimeError("Odoo has no 'Units' unit of measure")
        ids = {}
        for code, (pt, en) in UNITS.items():
            if en not in by_name:
                by_name[en] = self.odoo.create("uom.uom", {"name": en,
                                                           "category_id": unit_category,
                                                           "uom_type": "bigger"})
                self.odoo.write("uom.uom", by_name[en], {"name": pt}, context=PT)
                self._created("units", 1)
            ids[code] = by_name[en]
        return ids

    def _categories(self) -> dict[str, int]:
        root = self.odoo.search("product.category", [["name", "=", "All"],
                                                     ["parent_id", "=", False]], limit=1)
        if not root:
            root = [self.odoo.create("product.category", {"name": "All"})]
        ids = {}
        for name in dict.fromkeys(row["category"] for row in self.data["catalog"]):
            found = self.odoo.search("product.category", [["name", "=", name],
                                                          ["parent_id", "=", root[0]]], limit=1)
            if found:
                ids[name] = found[0]
            else:
                ids[name] = self.odoo.create("product.category",
                                             {"name": name, "parent_id": root[0]})
                self._created("categories", 1)
        return ids

    def _products(self, units: dict[str, int], categories: dict[str, int]) -> dict[str, int]:
        rows = self.data["catalog"]
        codes = [row["default_code"] for row in rows]
        found = self.odoo.search_read("product.product", [["default_code", "in", codes]],
                                      ["default_code"], limit=len(codes) + 1,
                                      context={"active_test": False})
        ids = {p["default_code"]: p["id"] for p in found}
        missing = [row for row in rows if row["default_code"] not in ids]
        fields = self.odoo.fields_get("product.product", ["is_storable", "uom_po_id"],
                                      ["type"]) if missing else {}
        storable = {"type": "consu", "is_storable": True} if "is_storable" in fields else \
            {"type": "product", "detailed_type": "product"}  # 18+ vs 16/17
        done = 0
        for chunk in _chunks(missing, self.batch):
            vals = [{
                "name": row["name_en"],
                "description_sale": row["description_sale"] or False,
                "default_code": row["default_code"],
                "barcode": row["barcode"] or False,
                "list_price": float(row["list_price"]),
                "categ_id": categories[row["category"]],
                "uom_id": units[row["uom"]],
                **({"uom_po_id": units[row["uom"]]} if "uom_po_id" in fields else {}),
                "sale_ok": True,
                "purchase_ok": True,
                "taxes_id": [[6, 0, []]],  # catalog prices are final: no default sales tax
                "supplier_taxes_id": [[6, 0, []]],
                **storable,
            } for row in chunk]
            for row, pid in zip(chunk, self.odoo.create("product.product", vals), strict=True):
                ids[row["default_code"]] = pid
                pt = {"name": row["name_pt"]}
                self.odoo.write("product.product", pid, pt, context=PT)
            done += len(chunk)
            self._created("products", len(chunk))
            self.progress("products", done, len(missing))
        return ids

    def _stock(self, products: dict[str, int], company: int) -> None:
        """On-hand quantities for products that have none yet (a re-run never resets stock)."""
        wanted = {products[row["default_code"]]: float(row["qty_available"])
                  for row in self.data["catalog"] if float(row["qty_available"]) > 0}
        current = self.odoo.search_read("product.product", [["id", "in", list(wanted)]],
                                        ["qty_available", "product_tmpl_id"],
                                        limit=len(wanted) + 1, company_ids=[company])
        todo = [p for p in current if not p["qty_available"]]
        for done, product in enumerate(todo, start=1):
            wizard = self.odoo.create("stock.change.product.qty", {
                "product_id": product["id"],
                "product_tmpl_id": _m2o(product["product_tmpl_id"]),
                "new_quantity": wanted[product["id"]]}, company_ids=[company])
            self.odoo.call("stock.change.product.qty", "change_product_qty", [wizard],
                           company_ids=[company])
            self.progress("stock", done, len(todo))
        self._created("stock quantities", len(todo))

    # ------------------------------------------------------------------ customers, ledger
    def _partners(self, companies: dict[str, int], brazil: int,
                  states: dict[str, int]) -> dict[str, int]:
        rows = self.data["partners"]
        refs = [row["partner_id"] for row in rows]
        found = self.odoo.search_read("res.partner", [["ref", "in", refs]], ["ref"],
                                      limit=len(refs) + 1, context={"active_test": False},
                                      company_ids=sorted(companies.values()))
        ids = {p["ref"]: p["id"] for p in found}
        missing = [row for row in rows if row["partner_id"] not in ids]
        for chunk in _chunks(missing, self.batch):
            vals = [partner_values(row, companies, brazil, states) for row in chunk]
            created = self.odoo.create("res.partner", vals,
                                       company_ids=sorted(companies.values()))
            ids.update(zip((row["partner_id"] for row in chunk), created, strict=True))
            self._created("partners", len(chunk))
        return ids

    def _existing_moves(self, company: int, refs: list[str]) -> dict[str, dict[str, Any]]:
        found = self.odoo.search_read(
            "account.move", [["ref", "in", refs], ["move_type", "in", list(LINE_LABEL)]],
            ["ref", "state", "amount_total", "amount_residual"], limit=len(refs) + 1,
            company_ids=[company])
        return {m["ref"]: m for m in found}

    def _invoices(self, companies: dict[str, int],
                  partners: dict[str, int]) -> dict[str, dict[str, Any]]:
        """Invoices and bills as Odoo makes them: one line each, its price the CSV total."""
        moves: dict[str, dict[str, Any]] = {}
        by_company: dict[int, list[dict[str, str]]] = defaultdict(list)
        for row in self.data["invoices"]:
            by_company[companies[row["company_id"]]].append(row)
        total, done = len(self.data["invoices"]), 0
        for company, rows in by_company.items():
            refs = [row["ref"] for row in rows]
            existing = self._existing_moves(company, refs)
            done += len(existing)
            missing = sorted((row for row in rows if row["ref"] not in existing),
                             key=lambda row: (row["invoice_date"], row["ref"]))
            for chunk in _chunks(missing, self.batch):
                self.odoo.create("account.move", [{
                    "move_type": row["move_type"],
                    "partner_id": partners[row["partner_id"]],
                    "company_id": company,
                    "invoice_date": row["invoice_date"],
                    "invoice_date_due": row["invoice_date_due"],
                    "ref": row["ref"],
                    "payment_reference": row["ref"],
                    "invoice_line_ids": [[0, 0, {
                        "name": f"{LINE_LABEL[row['move_type']]} ({row['ref']})",
                        "quantity": 1,
                        "price_unit": float(row["amount_total"]),
                        "tax_ids": [[6, 0, []]],
                    }]],
                } for row in chunk], company_ids=[company])
                self._created("invoices and bills", len(chunk))
                done += len(chunk)
                self.progress("invoices", done, total)
            for ref, move in self._existing_moves(company, refs).items():
                moves[ref] = {**move, "company": company}
        return moves

    def _post(self, moves: dict[str, dict[str, Any]]) -> None:
        drafts: dict[int, list[tuple[str, int]]] = defaultdict(list)
        dates = {row["ref"]: row["invoice_date"] for row in self.data["invoices"]}
        for ref, move in moves.items():
            if move["state"] == "draft":
                drafts[move["company"]].append((dates[ref], move["id"]))
        posted = 0
        for company, dated in drafts.items():
            ordered = [mid for _, mid in sorted(dated)]  # numbers follow the dates
            for chunk in _chunks(ordered, self.batch):
                self.odoo.call("account.move", "action_post", list(chunk),
                               company_ids=[company])
                posted += len(chunk)
                self.progress("posting", posted, sum(map(len, drafts.values())))
        for move in moves.values():
            move["state"] = "posted" if move["state"] == "draft" else move["state"]
        self._created("posted", posted)

    def _payments(self, moves: dict[str, dict[str, Any]]) -> None:
        """Pay each invoice what the CSV says was paid and Odoo does not have yet."""
        todo = []
        for row in self.data["invoices"]:
            move = moves[row["ref"]]
            target = Decimal(row["amount_total"]) - Decimal(row["amount_paid"] or "0")
            missing = Decimal(str(move["amount_residual"])) - target
            if move["state"] == "posted" and missing >= Decimal("0.01"):
                todo.append((row, move, missing))
        for done, (row, move, amount) in enumerate(todo, start=1):
            context = {"active_model": "account.move", "active_ids": [move["id"]]}
            wizard = self.odoo.create("account.payment.register", {
                "amount": float(amount),
                "payment_date": row["last_payment_date"] or row["invoice_date"],
            }, context=context, company_ids=[move["company"]])
            self.odoo.call("account.payment.register", "action_create_payments", [wizard],
                           context=context, company_ids=[move["company"]])
            self.progress("payments", done, len(todo))
        self._created("payments", len(todo))

    # ------------------------------------------------------------------ the check
    def open_due(self) -> dict[tuple[int, str], Decimal]:
        """What Odoo holds open per (company, move type): compare with the demo CSV."""
        companies = self.odoo.search("res.company", [], limit=100)
        totals: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for company in companies:
            for move in self.odoo.search_read(
                    "account.move", [["move_type", "in", list(LINE_LABEL)],
                                     ["state", "=", "posted"], ["company_id", "=", company],
                                     ["payment_state", "in", ["not_paid", "partial"]]],
                    ["move_type", "amount_residual"], limit=100_000, company_ids=[company]):
                totals[company, move["move_type"]] += Decimal(str(move["amount_residual"]))
        return dict(totals)
