"""Persistence, idempotent demo loading, versions 18/19 and JSON-2."""

from __future__ import annotations

from pathlib import Path

import httpx

from sandbox.odoo import Database, EmbeddedOdoo
from sandbox.odoo.security import demo_api_key


def test_created_records_survive_a_restart(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite")
    with db.transaction():
        pid = db.env(2)["res.partner"].create({"name": "Persisted Ltda"})
    db.close()
    again = Database(tmp_path / "db.sqlite")
    assert again.env(2)["res.partner"].read([pid], ["name"])[0]["name"] == "Persisted Ltda"
    assert again.env(2)["product.product"].search_count([]) == 200  # loaded once, not twice
    again.close()


def test_failed_call_rolls_back_everything(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite")
    env = db.env(2)
    before = env["res.partner"].search_count([])
    try:
        with db.transaction():
            env["res.partner"].create({"name": "half"})
            env["res.partner"].create({"email": "no name"})  # required name → error
    except Exception as exc:
        assert type(exc).__name__ == "ValidationError"
    assert env["res.partner"].search_count([]) == before
    db.close()
    assert Database(tmp_path / "db.sqlite").env(2)["res.partner"].search_count([]) == before


def test_demo_loading_is_deterministic(tmp_path: Path) -> None:
    first = Database(tmp_path / "a.sqlite")
    second = Database(tmp_path / "b.sqlite")
    fields = ["name", "ref", "amount_residual", "partner_id", "company_id"]
    ctx = {"allowed_company_ids": [1, 2]}
    assert first.env(2, ctx)["account.move"].search_read([], fields, order="id") == \
        second.env(2, ctx)["account.move"].search_read([], fields, order="id")


def test_odoo18_has_is_storable_and_no_product_type(tmp_path: Path) -> None:
    db = Database(tmp_path / "v18.sqlite", version="18")
    products = db.env(2)["product.product"]
    assert products.search_count([["is_storable", "=", True]]) == 200
    assert products.search_count([["type", "=", "product"]]) == 0
    assert "detailed_type" not in products.fields_get()


def test_json2_on_odoo19(tmp_path: Path) -> None:
    with EmbeddedOdoo(tmp_path, version="19") as server:
        headers = {"Authorization": f"bearer {demo_api_key('admin')}",
                   "X-Odoo-Database": "casaobra"}
        ok = httpx.post(f"{server.url}/json/2/product.product/search_count",
                        json={"domain": [["qty_available", "=", 0]]}, headers=headers)
        assert ok.status_code == 200 and ok.json() == 17
        read = httpx.post(f"{server.url}/json/2/product.product/read",
                          json={"ids": [1], "fields": ["default_code"]}, headers=headers)
        assert read.json() == [{"id": 1, "default_code": "FIX-0001"}]
        bad_key = httpx.post(f"{server.url}/json/2/res.partner/search", json={"domain": []},
                             headers={"Authorization": "bearer nope"})
        assert bad_key.status_code == 401
        assert bad_key.json()["name"] == "werkzeug.exceptions.Unauthorized"
        with_ids = httpx.post(f"{server.url}/json/2/res.partner/search",
                              json={"ids": [1], "domain": []}, headers=headers)
        assert with_ids.status_code == 422
        denied = httpx.post(f"{server.url}/json/2/account.move/search_count", json={
            "domain": []}, headers={"Authorization": f"bearer {demo_api_key('vendas')}"})
        assert denied.status_code == 403
        assert denied.json()["name"] == "odoo.exceptions.AccessError"
