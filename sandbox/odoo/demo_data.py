"""Installs a new database: base records (currencies, users, models) and the demo company,
or (``demo=False``) only what a fresh ``odoo -i sale_management,stock,account --without-demo
all`` holds, for ``balcao odoo seed`` to fill through the connector.

The demo data is Casa & Obra, a building-materials store (``sandbox/data/*.csv``, copied
from the shared demo set so nothing outside the project is read at run time). Installation
runs once per database, in one transaction, in file order, so ids and numbers are the same
on every machine.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from mcp_servers.odoo.seed import UNITS, partner_values
from sandbox.odoo.database import Database
from sandbox.odoo.security import (
    ADMIN_GROUPS,
    DEMO_USERS,
    demo_api_key,
    hash_api_key,
    hash_password,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ADMIN_UID = 2



BR_STATES = {
    "AC": "Acre", "AL": "Alagoas", "AP": "Amapá", "AM": "Amazonas", "BA": "Bahia",
    "CE": "Ceará", "DF": "Distrito Federal", "ES": "Espírito Santo", "GO": "Goiás",
    "MA": "Maranhão", "MT": "Mato Grosso", "MS": "Mato Grosso do Sul", "MG": "Minas Gerais",
    "PA": "Pará", "PB": "Paraíba", "PR": "Paraná", "PE": "Pernambuco", "PI": "Piauí",
    "RJ": "Rio de Janeiro", "RN": "Rio Grande do Norte", "RS": "Rio Grande do Sul",
    "RO": "Rondônia", "RR": "Roraima", "SC": "Santa Catarina", "SP": "São Paulo",
    "SE": "Sergipe", "TO": "Tocantins",
}
UNIT_CATEGORY, WEIGHT_CATEGORY = 1, 2


def _install_reference(db: Database, *, portuguese: bool) -> dict[str, int]:
    """Languages, countries and unit categories (ids stable); returns Brazil's state ids."""
    db.insert("res.lang", {"name": "English (US)", "code": "en_US", "iso_code": "en",
                           "active": True})
    db.insert("res.lang", {"name": "Portuguese (BR) / Português (BR)", "code": "pt_BR",
                           "iso_code": "pt_BR", "active": portuguese})
    brazil = db.insert("res.country", {"name": {"en_US": "Brazil", "pt_BR": "Brasil"},
                                       "code": "BR"})
    db.insert("res.country", {"name": {"en_US": "United States", "pt_BR": "Estados Unidos"},
                              "code": "US"})
    db.insert("uom.category", {"name": {"en_US": "Unit", "pt_BR": "Unidade"}},
              rid=UNIT_CATEGORY)
    db.insert("uom.category", {"name": {"en_US": "Weight", "pt_BR": "Peso"}},
              rid=WEIGHT_CATEGORY)
    return {code: db.insert("res.country.state", {"name": name, "code": code,
                                                   "country_id": brazil})
            for code, name in BR_STATES.items()}


def install_fresh(db: Database) -> None:
    """A new Odoo database without demo data: one company in USD, the admin, no shop."""
    db.insert("res.currency", {"name": "BRL", "symbol": "R$", "rounding": 0.01, "active": False})
    usd = db.insert("res.currency", {"name": "USD", "symbol": "$", "rounding": 0.01,
                                     "active": True})
    _install_reference(db, portuguese=False)
    partner = db.insert("res.partner", {"name": "YourCompany", "complete_name": "YourCompany",
                                        "is_company": True, "company_type": "company",
                                        "active": True, "type": "contact", "lang": "en_US"})
    db.insert("res.company", {"name": "YourCompany", "partner_id": partner, "currency_id": usd,
                              "sequence": 0, "active": True, "chart_template": "generic_coa"},
              rid=1)
    db.update("res.partner", partner, {"company_id": 1})
    db.insert("res.users", {"name": "OdooBot", "login": "__system__", "active": False,
                            "company_id": 1, "company_ids": [1], "groups": []}, rid=1)
    admin = db.insert("res.partner", {"name": "Administrator", "complete_name": "Administrator",
                                      "active": True, "type": "contact",
                                      "company_type": "person", "lang": "en_US"})
    db.insert("res.users", {"name": "Administrator", "login": "admin", "partner_id": admin,
                            "company_id": 1, "company_ids": [1], "lang": "en_US",
                            "tz": False, "share": False, "active": True,
                            "groups": ADMIN_GROUPS, "_password": hash_password("admin")},
              rid=ADMIN_UID)
    env = db.env(ADMIN_UID, {"lang": "en_US", "tracking_disable": True})
    for cls in db.registry.values():
        env["ir.model"].create({"model": cls._name, "name": cls._description,
                                "modules": cls.__module__.split(".")[-1]})
    env["uom.uom"].create({"name": {"en_US": "Units", "pt_BR": "Unidades"},
                           "category_id": UNIT_CATEGORY})
    env["uom.uom"].create({"name": {"en_US": "kg", "pt_BR": "kg"},
                           "category_id": WEIGHT_CATEGORY})
    env["product.category"].create({"name": "All"})
    db.set_meta("demo_loaded", False)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def install(db: Database) -> None:
    """Create base and demo records in a new database (the caller holds a transaction)."""
    brl = db.insert("res.currency", {"name": "BRL", "symbol": "R$", "rounding": 0.01,
                                     "active": True})
    db.insert("res.currency", {"name": "USD", "symbol": "$", "rounding": 0.01, "active": True})
    states = _install_reference(db, portuguese=True)
    companies = _rows("companies.csv")
    for row in companies:  # company partners take ids 1..n, companies keep the csv ids
        pid = db.insert("res.partner", {"name": row["name"], "is_company": True,
                                        "company_type": "company", "vat": row["vat"],
                                        "city": row["city"], "state_id": states[row["state"]],
                                        "complete_name": row["name"], "active": True,
                                        "type": "contact", "lang": "pt_BR"})
        db.insert("res.company", {"name": row["name"], "partner_id": pid, "currency_id": brl,
                                  "vat": row["vat"], "city": row["city"],
                                  "state_id": states[row["state"]], "sequence": 10,
                                  "active": True, "chart_template": "generic_coa"},
                  rid=int(row["company_id"]))
    for rid, row in db.tables["res.partner"].items():
        company = next(c for c, crow in db.tables["res.company"].items()
                       if crow["partner_id"] == rid)
        row["company_id"] = company
    db.insert("res.users", {"name": "OdooBot", "login": "__system__", "active": False,
                            "company_id": 1, "company_ids": [1, 2], "groups": []}, rid=1)
    for login, name, groups, company, company_ids in DEMO_USERS:
        partner = db.insert("res.partner", {"name": name, "complete_name": name,
                                            "email": f"{login}@casaeobra.example.com.br",
                                            "active": True, "type": "contact",
                                            "company_type": "person", "lang": "pt_BR"})
        db.insert("res.users", {
            "name": name, "login": login, "email": f"{login}@casaeobra.example.com.br",
            "partner_id": partner, "company_id": company, "company_ids": company_ids,
            "lang": "pt_BR", "tz": "America/Sao_Paulo", "share": False, "active": True,
            "groups": groups, "_password": hash_password(login),
            "_api_key": hash_api_key(demo_api_key(login)),
        })
    env = db.env(ADMIN_UID, {"allowed_company_ids": [1, 2], "lang": "en_US",
                             "tracking_disable": True})
    for cls in db.registry.values():
        env["ir.model"].create({"model": cls._name, "name": cls._description,
                                "modules": cls.__module__.split(".")[-1]})
    _install_catalog(env)
    partners = _install_partners(env, states)
    _install_invoices(env, partners)
    db.set_meta("demo_loaded", True)


def _install_catalog(env: Any) -> None:
    uoms = {code: env["uom.uom"].create({
        "name": {"en_US": en, "pt_BR": pt},
        "category_id": WEIGHT_CATEGORY if code == "kg" else UNIT_CATEGORY})
        for code, (pt, en) in UNITS.items()}
    root = env["product.category"].create({"name": "All"})
    categories: dict[str, int] = {}
    version = env.db.version
    for row in _rows("catalog.csv"):
        if row["category"] not in categories:
            categories[row["category"]] = env["product.category"].create(
                {"name": row["category"], "parent_id": root})
        storable = {"type": "product", "detailed_type": "product"} if version == "17" \
            else {"type": "consu", "is_storable": True}
        description = row["description_sale"] or False
        env["product.product"].create({
            "name": {"en_US": row["name_en"], "pt_BR": row["name_pt"]},
            "description_sale": {"en_US": description, "pt_BR": description}
            if description else False,
            "default_code": row["default_code"],
            "barcode": row["barcode"] or False,
            "list_price": float(row["list_price"]),
            "categ_id": categories[row["category"]],
            "uom_id": uoms[row["uom"]],
            "uom_po_id": uoms[row["uom"]],
            "qty_available": float(row["qty_available"]),
            "sale_ok": True,
            "purchase_ok": True,
            **storable,
        })


def _install_partners(env: Any, states: dict[str, int]) -> dict[str, int]:
    brazil = env["res.country"]._search_ids([("code", "=", "BR")])[0]
    companies = {str(c): c for c in env.db.tables["res.company"]}
    return {row["partner_id"]: env["res.partner"].create(
        partner_values(row, companies, brazil, states)) for row in _rows("partners.csv")}


def scale_ledger(db: Database, factor: int) -> int:
    """Add ``factor - 1`` copies of the demo's invoices and bills (same partners and dates,
    references suffixed ``-xN``): a bigger ledger for benchmarks. Returns the moves added."""
    env = db.env(ADMIN_UID, {"allowed_company_ids": [1, 2], "lang": "en_US",
                             "tracking_disable": True})
    partners = {row["ref"]: rid for rid, row in db.tables["res.partner"].items()
                if row.get("ref")}
    rows = _rows("invoices.csv")
    with db.transaction():
        for copy in range(2, factor + 1):
            _install_invoices(env, partners, [{**r, "ref": f"{r['ref']}-x{copy}"}
                                              for r in rows], first=len(rows) * (copy - 1) + 1)
    return len(rows) * (factor - 1)


def _install_invoices(env: Any, partners: dict[str, int],
                      rows: list[dict[str, str]] | None = None, first: int = 1) -> None:
    memo = "ref" if env.db.version == "17" else "memo"
    paid_state = "posted" if env.db.version == "17" else "paid"
    for number, row in enumerate(rows or _rows("invoices.csv"), start=first):
        total = round(float(row["amount_total"]), 2)
        paid = round(float(row["amount_paid"] or 0), 2)
        company = int(row["company_id"])
        move = env["account.move"].create({
            "ref": row["ref"],
            "move_type": row["move_type"],
            "state": "posted",
            "partner_id": partners[row["partner_id"]],
            "company_id": company,
            "invoice_date": row["invoice_date"],
            "invoice_date_due": row["invoice_date_due"],
            "amount_total": total,
            "amount_residual": round(total - paid, 2),
            "payment_reference": row["ref"],
        })
        if paid > 0:
            inbound = row["move_type"] == "out_invoice"
            env["account.payment"].create({
                "name": f"PBNK{company}/{row['last_payment_date'][:4]}/{number:05d}",
                "amount": paid,
                "payment_type": "inbound" if inbound else "outbound",
                "partner_type": "customer" if inbound else "supplier",
                "partner_id": partners[row["partner_id"]],
                "date": row["last_payment_date"] or row["invoice_date"],
                "state": paid_state,
                memo: env["account.move"]._value(move, "name"),
                "company_id": company,
                "reconciled_invoice_ids": [[6, 0, [move]]],
            })
