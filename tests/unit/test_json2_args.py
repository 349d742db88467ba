"""Positional execute_kw args → JSON-2 named params (reference §1.6 and §3), and the JSON-2
transport's wire format (path, bearer key, database header, errors)."""

from __future__ import annotations

import json

import httpx
import pytest

from mcp_servers.odoo import (
    AccessDenied,
    EndpointNotFound,
    Json2Transport,
    MissingError,
    OdooConnectionError,
    ServerError,
    to_json2_body,
)

API_KEY = "171dd109876ea19ba00e68de5edfa2e5b3ef5443"
DB = "casaobra"
DOMAIN = [["sale_ok", "=", True]]


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "expected"),
    [
        ("search", [DOMAIN], {"limit": 5}, {"domain": DOMAIN, "limit": 5}),
        ("search", [DOMAIN, 10, 5, "name asc"], {},
         {"domain": DOMAIN, "offset": 10, "limit": 5, "order": "name asc"}),
        ("search_count", [DOMAIN, 100], {}, {"domain": DOMAIN, "limit": 100}),
        ("search_read", [DOMAIN], {"fields": ["name"], "limit": 3},
         {"domain": DOMAIN, "fields": ["name"], "limit": 3}),
        ("read", [[1, 2, 3]], {"fields": ["name"], "load": None},
         {"ids": [1, 2, 3], "fields": ["name"], "load": None}),
        ("read", [4, ["name"]], {}, {"ids": [4], "fields": ["name"]}),
        ("fields_get", [["is_storable"], ["type"]], {},
         {"allfields": ["is_storable"], "attributes": ["type"]}),
        ("create", [{"name": "X"}], {}, {"vals_list": {"name": "X"}}),
        ("create", [[{"name": "X"}, {"name": "Y"}]], {},
         {"vals_list": [{"name": "X"}, {"name": "Y"}]}),
        ("write", [[7], {"name": "Z"}], {}, {"ids": [7], "vals": {"name": "Z"}}),
        ("unlink", [[7, 8]], {}, {"ids": [7, 8]}),
        ("name_search", ["deco", DOMAIN, "ilike", 8], {},
         {"name": "deco", "domain": DOMAIN, "operator": "ilike", "limit": 8}),
        ("read_group", [[], ["amount_total:sum"], ["state"]], {"lazy": False},
         {"domain": [], "fields": ["amount_total:sum"], "groupby": ["state"], "lazy": False}),
        ("action_confirm", [[25]], {}, {"ids": [25]}),
        ("action_post", [[26]], {"context": {"lang": "pt_BR"}},
         {"ids": [26], "context": {"lang": "pt_BR"}}),
        ("create_invoices", [[1]], {}, {"ids": [1]}),
        ("check_access_rights", [], {"operation": "read"}, {"operation": "read"}),
    ],
)
def test_positional_args_become_named(method, args, kwargs, expected):
    assert to_json2_body(method, args, kwargs) == expected


def test_model_methods_never_get_ids():
    body = to_json2_body("search", [[["id", "in", [1, 2]]]], {})
    assert "ids" not in body
    assert body == {"domain": [["id", "in", [1, 2]]]}


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("action_foo", [[1], "extra"], {}),  # unknown signature: extra positional unnamed
        ("some_model_method", ["not ids"], {}),
        ("search", [DOMAIN, 0, 5, "id", "extra"], {}),  # more positional than params
        ("search", [DOMAIN], {"domain": DOMAIN}),  # same param twice
        ("write", [], {}),  # record method without ids
        ("read", [["a"]], {}),  # ids must be ints
        ("read", [[True]], {}),  # bools are not ids
    ],
)
def test_unmappable_calls_raise_type_error(method, args, kwargs):
    with pytest.raises(TypeError):
        to_json2_body(method, args, kwargs)


# --- Json2Transport on the wire ------------------------------------------------------------


@pytest.fixture
def odoo19(make_fake_odoo):
    return make_fake_odoo(major=19, secret=API_KEY, db=DB)


def transport(fake) -> Json2Transport:
    return Json2Transport(fake.url, fake.client(), secrets=[API_KEY])


def test_json2_request_shape(odoo19):
    odoo19.on("res.partner", "search_read", [{"id": 25, "name": "Deco Addict"}])
    result = transport(odoo19).execute_kw(
        DB, 7, API_KEY, "res.partner", "search_read", [DOMAIN],
        {"fields": ["name"], "context": {"lang": "en_US"}},
    )
    assert result == [{"id": 25, "name": "Deco Addict"}]
    request = odoo19.requests[-1]
    assert request.method == "POST"
    assert request.url.path == "/json/2/res.partner/search_read"
    assert request.headers["authorization"] == f"bearer {API_KEY}"
    assert request.headers["x-odoo-database"] == DB
    assert json.loads(request.content) == {"domain": DOMAIN, "fields": ["name"],
                                           "context": {"lang": "en_US"}}


def test_json2_null_result_is_none(odoo19):
    odoo19.on("sale.order", "action_unlock", None)
    assert transport(odoo19).execute_kw(DB, 7, API_KEY, "sale.order", "action_unlock",
                                        [[3]], {}) is None


def test_json2_errors_are_typed_and_redacted(odoo19):
    def boom(_args, body):
        raise odoo19.error("odoo.exceptions.MissingError", "Record does not exist or has been "
                       f"deleted. {API_KEY}", status=404)

    odoo19.on("res.partner", "write", boom)
    with pytest.raises(MissingError) as info:
        transport(odoo19).execute_kw(DB, 7, API_KEY, "res.partner", "write",
                                     [[999999], {"name": "x"}], {})
    assert info.value.code == 404
    assert API_KEY not in info.value.message and "***" in info.value.message

    with pytest.raises(AccessDenied) as denied:
        transport(odoo19).execute_kw(DB, 7, "0" * 40, "res.partner", "search", [[]], {})
    assert denied.value.message == "Invalid apikey"

    with pytest.raises(ServerError):
        transport(odoo19).execute_kw(DB, 7, API_KEY, "no.model", "search", [[]], {})


def test_json2_html_404_means_no_json2_endpoint(make_fake_odoo):
    fake17 = make_fake_odoo(major=17)
    with pytest.raises(EndpointNotFound):
        transport(fake17).execute_kw(DB, 7, API_KEY, "res.partner", "search", [[]], {})


def test_json2_authenticate_and_version(odoo19):
    t = transport(odoo19)
    assert t.call_common("authenticate", [DB, "vendas", API_KEY, {}]) == 7
    assert odoo19.calls[-1].model == "res.users" and odoo19.calls[-1].method == "context_get"
    assert "ids" not in odoo19.calls[-1].kwargs
    assert t.call_common("authenticate", [DB, "vendas", "f" * 40, {}]) is False
    version = t.call_common("version", [])
    assert version["server_version_info"][0] == 19
    assert version["server_version"] == "19.0"
    assert odoo19.requests[-1].method == "GET"
    assert odoo19.requests[-1].url.path == "/web/version"


def test_json2_gateway_errors_are_retryable_connection_errors(odoo19):
    client = httpx.Client(transport=httpx.MockTransport(
        lambda r: httpx.Response(503, json={"detail": "upstream down"})))
    with pytest.raises(OdooConnectionError) as info:
        Json2Transport(odoo19.url, client).execute_kw(DB, 7, API_KEY, "res.partner", "search",
                                                      [[]], {})
    assert info.value.retryable is True
    assert info.value.code == 503
