"""Access rights, multi-company context and sale order behaviours."""

from __future__ import annotations

import pytest

from mcp_servers.odoo import AccessError, OdooConnector, UserError


def test_salesman_cannot_read_invoices(limited: OdooConnector) -> None:
    with pytest.raises(AccessError) as err:
        limited.search_read("account.move", [], ["name"], limit=1)
    assert "account.move" in err.value.message


def test_salesman_cannot_modify_users(limited: OdooConnector) -> None:
    uid = limited.authenticate()
    with pytest.raises(AccessError):
        limited.write("res.users", [uid], {"name": "hijack"})


def test_company_outside_the_users_companies_is_refused(odoo: OdooConnector) -> None:
    uid = odoo.authenticate()
    [me] = odoo.read("res.users", [uid], ["company_ids"])
    foreign = max(me["company_ids"]) + 1000
    with pytest.raises(AccessError) as err:
        odoo.search_count("res.partner", [], company_ids=[foreign])
    assert err.value.message == "Access to unauthorized or invalid companies."


def test_allowed_companies_filter_company_records(odoo: OdooConnector) -> None:
    uid = odoo.authenticate()
    [me] = odoo.read("res.users", [uid], ["company_ids"])
    companies = sorted(me["company_ids"])
    per_company = [odoo.search_count("sale.order", [], company_ids=[c]) for c in companies]
    together = odoo.search_count("sale.order", [], company_ids=companies)
    assert together == sum(per_company)


def test_quotation_confirm_and_delete_rules(odoo: OdooConnector, make_partner,
                                            tag: str) -> None:
    partner = make_partner(name=f"{tag} customer")
    [product] = odoo.search_read("product.product", [["sale_ok", "=", True]],
                                 ["id", "lst_price"], limit=1, order="id")
    order_id = odoo.create("sale.order", {
        "partner_id": partner,
        "client_order_ref": tag,
        "order_line": [[0, 0, {"product_id": product["id"], "product_uom_qty": 3,
                               "price_unit": 10.0}]],
    })
    try:
        [order] = odoo.read("sale.order", [order_id], ["state", "amount_untaxed", "name"])
        assert order["state"] == "draft"
        assert order["amount_untaxed"] == pytest.approx(30.0)
        assert odoo.call("sale.order", "action_confirm", [order_id]) is True
        assert odoo.read("sale.order", [order_id], ["state"])[0]["state"] == "sale"
        with pytest.raises(UserError) as err:
            odoo.unlink("sale.order", [order_id])
        assert "cancel" in err.value.message
    finally:
        odoo.call("sale.order", "action_cancel", [order_id])
        odoo.unlink("sale.order", [order_id])


def test_method_returning_none(odoo: OdooConnector, make_partner, tag: str,
                               protocol: str) -> None:
    """JSON-RPC answers None with no ``result`` key; XML-RPC cannot marshal None at all."""
    order_id = odoo.create("sale.order", {"partner_id": make_partner(name=f"{tag} lock")})
    try:
        if protocol == "jsonrpc":
            assert odoo.call("sale.order", "action_unlock", [order_id]) is None
        else:
            # the side effect happened; the connector reports it as success, not an error
            assert odoo.call("sale.order", "action_unlock", [order_id]) is None
        assert odoo.read("sale.order", [order_id], ["locked"])[0]["locked"] is False
    finally:
        odoo.unlink("sale.order", [order_id])
