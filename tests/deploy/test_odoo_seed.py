"""`balcao odoo seed` fills a fresh Odoo with the demo shop through the connector.

A fresh embedded Odoo is what compose's ``odoo-init`` leaves: one company in USD, the admin
with Odoo's initial password, no Portuguese, no shop. Everything the seed then writes is
checked against the demo CSV files computed independently here, to the cent.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from flows.financial_analysis import FinanceInputs
from flows.financial_analysis import run as finance
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.odoo.connector import OdooConnector
from mcp_servers.odoo.errors import AccessDenied, UserError
from mcp_servers.odoo.seed import MARKER, DemoSeed, claim
from mcp_servers.settings import Settings, get_settings
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key

DATA = Path(__file__).resolve().parents[2] / "sandbox" / "data"
SECRET = "seed-test-admin-passphrase"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _fresh(tmp: Path) -> EmbeddedOdoo:
    server = EmbeddedOdoo(tmp, demo=False)
    server.start()
    return server


def _connector(server: EmbeddedOdoo, secret: str = SECRET, **kw) -> OdooConnector:
    return OdooConnector(server.url, server.db.name, "admin", secret, lang="en_US", **kw)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OdooConnector, dict]]:
    server = _fresh(tmp_path_factory.mktemp("seeded"))
    steps: Counter[str] = Counter()
    with _connector(server) as odoo:
        assert claim(odoo) is True
        result = DemoSeed(odoo, DATA, progress=lambda step, done, total: steps.update([step]))
        yield odoo, {"result": result.run(), "steps": steps, "server": server}
    server.stop()


def test_a_fresh_database_is_not_a_shop_yet(tmp_path: Path) -> None:
    server = _fresh(tmp_path)
    try:
        with _connector(server, "admin") as odoo:
            company = odoo.read("res.company", 1, ["name", "currency_id"])[0]
            assert company["name"] == "YourCompany" and company["currency_id"][1] == "USD"
            assert odoo.search_count("product.product", []) == 0
            assert odoo.search("res.lang", [["code", "=", "pt_BR"]]) == []  # inactive
            assert odoo.execute_kw("ir.config_parameter", "get_param", [MARKER]) is False
    finally:
        server.stop()


def test_claim_replaces_the_initial_admin_password(tmp_path: Path) -> None:
    server = _fresh(tmp_path)
    try:
        with _connector(server) as odoo:
            with pytest.raises(AccessDenied):
                odoo.authenticate()
            assert claim(odoo) is True
            assert claim(odoo) is False  # already ours
        with _connector(server, "admin") as old, pytest.raises(AccessDenied):
            old.authenticate()
    finally:
        server.stop()


def test_the_companies_become_casa_e_obra_in_reais(seeded) -> None:
    odoo, _ = seeded
    companies = odoo.search_read("res.company", [], ["name", "currency_id", "vat", "state_id",
                                                     "chart_template"], limit=10)
    expected = {row["name"]: row for row in _rows("companies")}
    assert {c["name"] for c in companies} == set(expected)
    for company in companies:
        assert company["currency_id"][1] == "BRL"
        assert company["vat"] == expected[company["name"]]["vat"]
        assert company["state_id"][1] == "São Paulo"
        assert company["chart_template"]  # both have journals to invoice with


def test_every_product_with_its_names_price_unit_and_stock(seeded) -> None:
    odoo, _ = seeded
    rows = {row["default_code"]: row for row in _rows("catalog")}
    fields = ["default_code", "name", "list_price", "qty_available", "uom_id", "categ_id",
              "barcode", "taxes_id", "type"]
    en = {p["default_code"]: p for p in odoo.search_read("product.product", [], fields,
                                                         limit=1000)}
    pt = {p["default_code"]: p["name"] for p in odoo.search_read(
        "product.product", [], ["default_code", "name"], limit=1000, context={"lang": "pt_BR"})}
    assert set(en) == set(rows)
    for code, row in rows.items():
        product = en[code]
        assert product["name"] == row["name_en"] and pt[code] == row["name_pt"]
        assert Decimal(str(product["list_price"])) == Decimal(row["list_price"])
        assert product["qty_available"] == float(row["qty_available"])
        assert product["barcode"] == (row["barcode"] or False)
        assert product["categ_id"][1] == f"All / {row['category']}"
        assert product["taxes_id"] == [] and product["type"] == "product"
    units = {p["default_code"]: p["uom_id"][0] for p in en.values()}
    pt_units = {u["id"]: u["name"] for u in odoo.search_read("uom.uom", [], ["name"], limit=50,
                                                            context={"lang": "pt_BR"})}
    expected_pt = {"un": "Unidades", "kg": "kg", "cx": "Caixa", "saco": "Saco", "lata": "Lata",
                   "galão": "Galão", "rolo": "Rolo", "pct": "Pacote"}
    for code, row in rows.items():
        assert pt_units[units[code]] == expected_pt[row["uom"]]


def test_customers_and_suppliers_with_their_whatsapp_phones(seeded) -> None:
    odoo, _ = seeded
    rows = _rows("partners")
    found = {p["ref"]: p for p in odoo.search_read(
        "res.partner", [["ref", "!=", False]], ["ref", "name", "phone", "customer_rank",
                                                "supplier_rank", "company_id", "state_id"],
        limit=1000, company_ids=[1, 2])}
    assert set(found) == {row["partner_id"] for row in rows}
    for row in rows:
        partner = found[row["partner_id"]]
        assert (partner["name"], partner["phone"] or "") == (row["name"], row["phone"])
        assert bool(partner["customer_rank"]) == (row["kind"] == "customer")
        assert bool(partner["supplier_rank"]) == (row["kind"] != "customer")


def test_the_ledger_matches_the_demo_files_to_the_cent(seeded) -> None:
    """Totals, what is still due, payment states and payments: all from Odoo's own rules."""
    odoo, ctx = seeded
    rows = _rows("invoices")
    moves = {m["ref"]: m for m in odoo.search_read(
        "account.move", [["move_type", "in", ["out_invoice", "in_invoice"]]],
        ["ref", "name", "state", "amount_total", "amount_residual", "payment_state",
         "invoice_date", "invoice_date_due", "company_id"], limit=5000, company_ids=[1, 2])}
    assert len(moves) == len(rows)
    due: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        move = moves[row["ref"]]
        total, paid = Decimal(row["amount_total"]), Decimal(row["amount_paid"] or "0")
        assert move["state"] == "posted"
        assert Decimal(str(move["amount_total"])) == total
        assert Decimal(str(move["amount_residual"])) == total - paid
        assert move["payment_state"] == ("paid" if paid == total else
                                         "partial" if paid else "not_paid")
        assert (move["invoice_date"], move["invoice_date_due"]) == \
            (row["invoice_date"], row["invoice_date_due"])
        if paid != total:
            due[int(row["company_id"]), row["move_type"]] += total - paid
    assert ctx["result"].open_due == dict(due)
    receivable = sum(v for (_, kind), v in due.items() if kind == "out_invoice")
    assert receivable == Decimal("136666.41")  # the finance report's open receivables
    payments = odoo.search_count("account.payment", [], company_ids=[1, 2])
    assert payments == sum(1 for row in rows if Decimal(row["amount_paid"] or "0") > 0)


def test_invoice_numbers_follow_the_dates_per_company(seeded) -> None:
    odoo, _ = seeded
    for company in (1, 2):
        invoices = odoo.search_read("account.move", [["move_type", "=", "out_invoice"]],
                                    ["name", "invoice_date"], limit=5000,
                                    company_ids=[company])
        by_number = sorted(invoices, key=lambda m: m["name"])
        assert [m["invoice_date"] for m in by_number] == \
            sorted(m["invoice_date"] for m in invoices)
        assert all(m["name"].startswith(f"INV/{m['invoice_date'][:4]}/") for m in invoices)


def test_the_run_reported_progress_and_marked_the_database(seeded) -> None:
    odoo, ctx = seeded
    assert {"products", "stock", "invoices", "posting", "payments"} <= set(ctx["steps"])
    assert ctx["result"].created["invoices and bills"] == len(_rows("invoices"))
    assert odoo.execute_kw("ir.config_parameter", "get_param", [MARKER])


def test_running_again_creates_nothing(seeded) -> None:
    odoo, _ = seeded
    counts = {m: odoo.search_count(m, [], company_ids=[1, 2]) for m in
              ("product.product", "res.partner", "account.move", "account.payment",
               "res.company", "uom.uom", "product.category")}
    assert DemoSeed(odoo, DATA).run().already_seeded
    forced = DemoSeed(odoo, DATA).run(force=True)
    assert not any(forced.created.values())
    assert counts == {m: odoo.search_count(m, [], company_ids=[1, 2]) for m in counts}


def test_an_interrupted_seed_is_finished_by_the_next_run(tmp_path: Path) -> None:
    """Stopped after 40 payments: the rerun pays only what is still missing."""
    server = _fresh(tmp_path)

    def crash(step: str, done: int, total: int) -> None:
        if step == "payments" and done == 40:
            raise RuntimeError("power cut")

    try:
        with _connector(server) as odoo:
            claim(odoo)
            with pytest.raises(RuntimeError, match="power cut"):
                DemoSeed(odoo, DATA, progress=crash).run()
            assert odoo.execute_kw("ir.config_parameter", "get_param", [MARKER]) is False
            assert odoo.search_count("account.payment", [], company_ids=[1, 2]) == 40
            result = DemoSeed(odoo, DATA).run()
            rows = _rows("invoices")
            paid_rows = sum(1 for row in rows if Decimal(row["amount_paid"] or "0") > 0)
            assert result.created["payments"] == paid_rows - 40
            assert odoo.search_count("account.payment", [], company_ids=[1, 2]) == paid_rows
            assert sum(v for (_, k), v in result.open_due.items() if k == "out_invoice") == \
                Decimal("136666.41")
    finally:
        server.stop()


def test_odoo_refuses_what_the_seed_must_not_shortcut(tmp_path: Path) -> None:
    """The rules the seed goes through: totals come from lines, posted lines are frozen,
    a paid invoice cannot be paid again, a company with entries keeps its currency."""
    server = _fresh(tmp_path)
    try:
        with _connector(server, "admin") as odoo:
            _check_the_rules(odoo)
    finally:
        server.stop()


def _check_the_rules(odoo: OdooConnector) -> None:
    partner = odoo.create("res.partner", {"name": "Cliente Teste"})
    move = odoo.create("account.move", {
        "move_type": "out_invoice", "partner_id": partner,
        "invoice_date": "2026-11-01", "amount_total": 999.0,
        "invoice_line_ids": [[0, 0, {"name": "x", "quantity": 2, "price_unit": 10.0}]]},
        company_ids=[1])
    assert odoo.read("account.move", move, ["amount_total"])[0]["amount_total"] == 20.0
    odoo.call("account.move", "action_post", [move], company_ids=[1])
    line = odoo.read("account.move", move, ["invoice_line_ids"])[0]["invoice_line_ids"][0]
    with pytest.raises(UserError, match="posted"):
        odoo.write("account.move.line", line, {"price_unit": 1.0}, company_ids=[1])
    context = {"active_model": "account.move", "active_ids": [move]}
    wizard = odoo.create("account.payment.register", {"amount": 5.0}, context=context,
                         company_ids=[1])
    odoo.call("account.payment.register", "action_create_payments", [wizard], context=context,
              company_ids=[1])
    state = odoo.read("account.move", move, ["payment_state", "amount_residual"])[0]
    assert (state["payment_state"], state["amount_residual"]) == ("partial", 15.0)
    wizard = odoo.create("account.payment.register", {}, context=context, company_ids=[1])
    odoo.call("account.payment.register", "action_create_payments", [wizard], context=context,
              company_ids=[1])
    with pytest.raises(UserError, match="nothing left to pay"):
        odoo.create("account.payment.register", {}, context=context, company_ids=[1])
    brl = odoo.search("res.currency", [["name", "=", "BRL"], ["active", "in", [True, False]]])
    with pytest.raises(UserError, match="currency"):
        odoo.write("res.company", 1, {"currency_id": brl[0]})


def test_the_cli_seeds_and_never_shows_the_secret(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server = _fresh(tmp_path)
    runner = CliRunner()
    try:
        for key, value in {"ODOO_URL": server.url, "ODOO_DB": server.db.name,
                           "ODOO_LOGIN": "admin", "ODOO_PASSWORD": SECRET}.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        refused = runner.invoke(app, ["odoo", "seed"])
        said = " ".join(refused.output.split())
        assert refused.exit_code == 1
        assert "refused login 'admin'" in said and "--claim" in said and SECRET not in said
        first = runner.invoke(app, ["odoo", "seed", "--claim"])
        assert first.exit_code == 0, first.output
        said = " ".join(first.output.split())
        assert "200 products" in said and "707 invoices and bills" in said
        assert "81,048.36" in said and "55,618.05" in said  # open receivables per company
        again = runner.invoke(app, ["odoo", "seed", "--claim"])
        assert again.exit_code == 0 and "already seeded" in again.output
        assert SECRET not in first.output + again.output
    finally:
        get_settings.cache_clear()
        server.stop()


def _comparable(report: Any) -> Any:
    """A finance report without what depends on record ids and numbering order."""
    if isinstance(report, dict):
        items = {k: _comparable(v) for k, v in report.items() if k != "partner_id"}
        if "items" in items and isinstance(items["items"], list):
            items["items"] = sorted(({k: v for k, v in i.items() if k != "name"}
                                     for i in items["items"]), key=repr)
        return items
    return [_comparable(v) for v in report] if isinstance(report, list) else report


def test_the_finance_report_of_the_seeded_odoo_is_the_demos(seeded,
                                                            tmp_path: Path) -> None:
    """Every figure, ranking and reason the finance flow derives is the same as on the
    embedded demo database: the seed loaded the same shop, only ids and numbers differ."""
    _, ctx = seeded

    def report(server: EmbeddedOdoo, secret: str, name: str) -> dict[str, Any]:
        settings = Settings(_env_file=None, odoo_url=server.url, odoo_secret=secret,
                            tenants_file=tmp_path / "none.json", qdrant_path=Path(":memory:"),
                            audit_dir=tmp_path / name)
        return finance(FinanceInputs(company="all", as_of="2026-11-20",
                                     out=str(tmp_path / name)), settings=settings,
                       gateway=Gateway(settings, http=False, default_role="viewer"))

    seeded_report = report(ctx["server"], SECRET, "seeded")
    assert seeded_report["receivables"]["overdue_total"] == 54987.55
    assert seeded_report["payables"]["overdue_total"] == 53085.45
    assert seeded_report["checks"]["totals_match_odoo"] is True
    with EmbeddedOdoo(tmp_path / "demo-odoo") as demo:  # its own: no other test's writes
        demo_report = report(demo, demo_api_key("admin"), "demo")
    assert _comparable(seeded_report) == _comparable(demo_report)
