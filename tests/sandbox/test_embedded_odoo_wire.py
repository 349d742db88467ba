"""The embedded Odoo on the wire: envelopes, fault codes and the demo company, byte for byte.

These talk raw HTTP (no connector) so they check the server against Odoo's contract.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import httpx
import pytest

from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key


def _jsonrpc(server: EmbeddedOdoo, service: str, method: str, *args: Any,
             request_id: Any = 7) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/jsonrpc", json={
        "jsonrpc": "2.0", "method": "call", "id": request_id,
        "params": {"service": service, "method": method, "args": list(args)}})
    assert response.status_code == 200  # Odoo answers errors with HTTP 200 too
    return response.json()


def _object(server: EmbeddedOdoo) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object")


def test_jsonrpc_authenticate_admin(embedded_odoo: EmbeddedOdoo) -> None:
    body = _jsonrpc(embedded_odoo, "common", "authenticate", "casaobra", "admin", "admin", {})
    assert body == {"jsonrpc": "2.0", "id": 7, "result": 2}


def test_bad_password_authenticates_to_false_not_error(embedded_odoo: EmbeddedOdoo) -> None:
    body = _jsonrpc(embedded_odoo, "common", "authenticate", "casaobra", "admin", "nope", {})
    assert body["result"] is False


def test_api_key_works_in_place_of_password(embedded_odoo: EmbeddedOdoo) -> None:
    key = demo_api_key("financeiro")
    body = _jsonrpc(embedded_odoo, "common", "authenticate", "casaobra", "financeiro", key, {})
    assert body["result"] == 4


def test_xmlrpc_counts_the_demo_catalog(embedded_odoo: EmbeddedOdoo) -> None:
    models = _object(embedded_odoo)
    assert models.execute_kw("casaobra", 2, "admin", "product.product", "search_count",
                             [[]]) == 200
    assert models.execute_kw("casaobra", 2, "admin", "product.product", "search_count",
                             [[["qty_available", "=", 0]]]) == 17


def test_demo_company_figures(embedded_odoo: EmbeddedOdoo) -> None:
    models = _object(embedded_odoo)
    ctx = {"context": {"allowed_company_ids": [1, 2]}}

    def count(model: str, domain: list) -> int:
        return models.execute_kw("casaobra", 2, "admin", model, "search_count", [domain], ctx)

    assert count("res.company", []) == 2
    assert count("res.partner", [["customer_rank", ">", 0], ["ref", "!=", False]]) == 60
    assert count("res.partner", [["supplier_rank", ">", 0]]) == 13
    assert count("account.move", []) == 707
    assert count("account.move", [["move_type", "=", "out_invoice"]]) + \
        count("account.move", [["move_type", "=", "in_invoice"]]) == 707
    assert count("res.partner", [["phone", "=like", "+55%"], ["ref", "!=", False]]) == 73


def test_residual_is_total_minus_paid(embedded_odoo: EmbeddedOdoo) -> None:
    import csv

    from sandbox.odoo.demo_data import DATA_DIR

    rows = {r["ref"]: r for r in csv.DictReader((DATA_DIR / "invoices.csv").open())}
    moves = _object(embedded_odoo).execute_kw(
        "casaobra", 2, "admin", "account.move", "search_read", [[]],
        {"fields": ["ref", "amount_total", "amount_residual", "payment_state"],
         "context": {"allowed_company_ids": [1, 2]}})
    assert len(moves) == len(rows)
    for move in moves:
        row = rows[move["ref"]]
        expected = round(float(row["amount_total"]) - float(row["amount_paid"] or 0), 2)
        assert move["amount_residual"] == pytest.approx(expected, abs=0.005)
        paid = float(row["amount_paid"] or 0)
        state = "paid" if expected == 0 else ("partial" if paid else "not_paid")
        assert move["payment_state"] == state


def test_vendas_reading_invoices_gets_access_error_envelope(embedded_odoo: EmbeddedOdoo) -> None:
    body = _jsonrpc(embedded_odoo, "object", "execute_kw", "casaobra", 3, "vendas",
                    "account.move", "search_read", [[]], {"limit": 1})
    error = body["error"]
    assert error["code"] == 200
    assert error["message"] == "Odoo Server Error"
    assert error["data"]["name"] == "odoo.exceptions.AccessError"
    assert "You are not allowed to access 'Journal Entry' (account.move)" in \
        error["data"]["message"]
    assert error["data"]["arguments"] == [error["data"]["message"]]
    assert "result" not in body


def test_xmlrpc_fault_codes(embedded_odoo: EmbeddedOdoo) -> None:
    models = _object(embedded_odoo)
    cases = [
        (("casaobra", 2, "wrong", "res.partner", "search", [[]]), 3, "Access Denied"),
        (("casaobra", 3, "vendas", "account.move", "search", [[]]), 4, "account.move"),
        (("casaobra", 2, "admin", "res.partner", "write", [[999999], {"name": "x"}]), 2,
         "Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)"),
        (("casaobra", 2, "admin", "res.partner", "search", [[["x", "=", 1]]]), 1,
         "ValueError: Invalid field res.partner.x in leaf ('x', '=', 1)"),
    ]
    for args, code, text in cases:
        with pytest.raises(xmlrpc.client.Fault) as fault:
            models.execute_kw(*args)
        assert fault.value.faultCode == code
        assert text in fault.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as fault:
        models.execute_kw("casaobra", 2, "admin", "res.partner", "search", [[]], {"count": True})
    assert fault.value.faultString.startswith("Traceback (most recent call last)")


def test_none_result_has_no_result_key(embedded_odoo: EmbeddedOdoo) -> None:
    order = _jsonrpc(embedded_odoo, "object", "execute_kw", "casaobra", 2, "admin",
                     "sale.order", "create", [{"partner_id": 10}])["result"]
    body = _jsonrpc(embedded_odoo, "object", "execute_kw", "casaobra", 2, "admin",
                    "sale.order", "action_lock", [[order]], request_id=None)
    assert body == {"jsonrpc": "2.0", "id": None}
    with pytest.raises(xmlrpc.client.Fault) as fault:
        _object(embedded_odoo).execute_kw("casaobra", 2, "admin", "sale.order", "action_unlock",
                                          [[order]])
    assert "cannot marshal None" in fault.value.faultString
    locked = _jsonrpc(embedded_odoo, "object", "execute_kw", "casaobra", 2, "admin",
                      "sale.order", "read", [[order], ["locked"]])["result"][0]["locked"]
    assert locked is False  # committed before the marshalling failed, as in Odoo
    _jsonrpc(embedded_odoo, "object", "execute_kw", "casaobra", 2, "admin", "sale.order",
             "unlink", [[order]])


def test_confirm_reserves_stock(embedded_odoo: EmbeddedOdoo) -> None:
    call = _object(embedded_odoo).execute_kw
    [before] = call("casaobra", 3, "vendas", "product.product", "search_read",
                    [[["default_code", "=", "FIX-0004"]]],
                    {"fields": ["qty_available", "virtual_available"]})
    order = call("casaobra", 3, "vendas", "sale.order", "create", [{
        "partner_id": 10, "order_line": [[0, 0, {"product_id": before["id"],
                                                 "product_uom_qty": 4}]]}])
    [draft] = call("casaobra", 3, "vendas", "sale.order", "read", [[order]],
                   {"fields": ["name", "state", "amount_total"]})
    assert draft["state"] == "draft" and draft["name"].startswith("S")
    assert draft["amount_total"] == pytest.approx(4 * 24.50)
    assert call("casaobra", 3, "vendas", "sale.order", "action_confirm", [[order]]) is True
    [after] = call("casaobra", 3, "vendas", "product.product", "read", [[before["id"]]],
                   {"fields": ["qty_available", "virtual_available"]})
    assert after["qty_available"] == before["qty_available"]
    assert after["virtual_available"] == before["virtual_available"] - 4
    call("casaobra", 3, "vendas", "sale.order", "action_cancel", [[order]])


def test_translated_names_follow_context_lang(embedded_odoo: EmbeddedOdoo) -> None:
    call = _object(embedded_odoo).execute_kw
    args = ("casaobra", 2, "admin", "product.product", "search_read",
            [[["default_code", "=", "FIX-0001"]]])
    [pt] = call(*args, {"fields": ["name"], "context": {"lang": "pt_BR"}})
    [en] = call(*args, {"fields": ["name"], "context": {"lang": "en_US"}})
    assert pt["name"].startswith("Parafuso sextavado")
    assert en["name"].startswith("Hex bolt")
    hits = call("casaobra", 2, "admin", "product.product", "search_count",
                [[["name", "ilike", "parafuso sextavado"]]], {"context": {"lang": "pt_BR"}})
    assert hits > 0


def test_company_not_allowed_gives_real_access_error(embedded_odoo: EmbeddedOdoo) -> None:
    body = _jsonrpc(embedded_odoo, "object", "execute_kw", "casaobra", 3, "vendas",
                    "res.partner", "search_count", [[]],
                    {"context": {"allowed_company_ids": [2]}})
    assert body["error"]["data"]["name"] == "odoo.exceptions.AccessError"
    assert body["error"]["data"]["message"] == "Access to unauthorized or invalid companies."


def test_company_records_follow_allowed_companies(embedded_odoo: EmbeddedOdoo) -> None:
    call = _object(embedded_odoo).execute_kw

    def count(companies: list[int]) -> int:
        return call("casaobra", 4, "financeiro", "account.move", "search_count", [[]],
                    {"context": {"allowed_company_ids": companies}})

    one, two, both = count([1]), count([2]), count([1, 2])
    assert one > 0 and two > 0 and one + two == both == 707
    # without a context only the user's default company is active
    assert call("casaobra", 4, "financeiro", "account.move", "search_count", [[]]) == one


def test_unknown_database_is_a_server_error(embedded_odoo: EmbeddedOdoo) -> None:
    body = _jsonrpc(embedded_odoo, "common", "authenticate", "nodb", "admin", "admin", {})
    assert body["error"]["data"]["name"] == "psycopg2.OperationalError"


def test_web_version_and_no_json2_on_17(embedded_odoo: EmbeddedOdoo) -> None:
    assert httpx.get(f"{embedded_odoo.url}/web/version").json() == {
        "version_info": [17, 0, 0, "final", 0, ""], "version": "17.0"}
    response = httpx.post(f"{embedded_odoo.url}/json/2/res.partner/search", json={})
    assert response.status_code == 404


def test_malformed_jsonrpc_body_is_an_error_not_a_crash(embedded_odoo: EmbeddedOdoo) -> None:
    response = httpx.post(f"{embedded_odoo.url}/jsonrpc", content=b"{not json")
    assert response.status_code == 200
    assert response.json()["error"]["data"]["name"] == "werkzeug.exceptions.BadRequest"
