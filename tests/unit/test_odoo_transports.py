"""JSON-RPC and XML-RPC transports on the wire (reference §1.1, §1.2), against a recorder."""

from __future__ import annotations

import json
import xmlrpc.client

import httpx
import pytest

from mcp_servers.odoo import (
    AccessDenied,
    EndpointNotFound,
    JsonRpcTransport,
    MissingError,
    OdooConnectionError,
    ServerError,
    UserError,
    XmlRpcTransport,
)

KEY = "171dd109876ea19ba00e68de5edfa2e5b3ef5443"


def test_jsonrpc_request_envelope(fake_odoo):
    fake_odoo.on("product.product", "search_read", [{"id": 1, "name": "Cimento"}])
    t = JsonRpcTransport(fake_odoo.url, fake_odoo.client())
    result = t.execute_kw("casaobra", 7, KEY, "product.product", "search_read",
                          [[["sale_ok", "=", True]]], {"fields": ["name"], "limit": 3})
    assert result == [{"id": 1, "name": "Cimento"}]
    request = fake_odoo.requests[-1]
    assert request.method == "POST" and request.url.path == "/jsonrpc"
    payload = json.loads(request.content)
    assert payload["jsonrpc"] == "2.0" and payload["method"] == "call"
    assert isinstance(payload["id"], int)
    assert payload["params"] == {
        "service": "object", "method": "execute_kw",
        "args": ["casaobra", 7, KEY, "product.product", "search_read",
                 [[["sale_ok", "=", True]]], {"fields": ["name"], "limit": 3}],
    }
    t.call_common("version", [])
    assert json.loads(fake_odoo.requests[-1].content)["id"] != payload["id"]


def test_jsonrpc_missing_result_is_none(fake_odoo):
    fake_odoo.on("sale.order", "action_unlock", None)
    t = JsonRpcTransport(fake_odoo.url, fake_odoo.client())
    assert t.execute_kw("casaobra", 7, KEY, "sale.order", "action_unlock", [[3]], {}) is None


def test_jsonrpc_error_is_typed(fake_odoo):
    def missing(_a, _k):
        raise fake_odoo.error("odoo.exceptions.MissingError",
                              "Record does not exist or has been deleted.")

    fake_odoo.on("res.partner", "write", missing)
    t = JsonRpcTransport(fake_odoo.url, fake_odoo.client())
    with pytest.raises(MissingError) as info:
        t.execute_kw("casaobra", 7, KEY, "res.partner", "write", [[9], {"name": "x"}], {})
    assert "Traceback" not in info.value.message
    with pytest.raises(AccessDenied):
        t.execute_kw("casaobra", 7, "wrong", "res.partner", "write", [[9], {}], {})


def test_jsonrpc_authenticate_error_redacts_password():
    def handler(request):
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "error": {
            "code": 200, "message": "Odoo Server Error",
            "data": {"name": "builtins.KeyError", "message": "bad login hunter2-pw"}}})

    t = JsonRpcTransport("http://odoo.test", httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(ServerError) as info:
        t.call_common("authenticate", ["casaobra", "admin", "hunter2-pw", {}])
    assert "hunter2-pw" not in info.value.message
    assert info.value.message == "bad login ***"


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [(httpx.ConnectTimeout("slow"), True), (httpx.ConnectError("refused"), True)],
)
def test_network_failures_become_connection_errors(exc, retryable):
    def handler(request):
        raise exc

    url = "http://admin:s3cret-pw@odoo.example.com:8069"
    t = JsonRpcTransport(url, httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(OdooConnectionError) as info:
        t.call_common("version", [])
    assert "odoo.example.com:8069" in info.value.message
    assert "s3cret-pw" not in info.value.message and "admin:" not in info.value.message
    assert info.value.retryable is retryable
    assert info.value.__cause__ is None  # httpx errors (with the full URL) are not chained


@pytest.mark.parametrize(("status", "cls", "retryable"),
                         [(404, EndpointNotFound, False), (502, OdooConnectionError, True),
                          (403, OdooConnectionError, False)])
def test_http_status_errors(status, cls, retryable):
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(status)))
    with pytest.raises(cls) as info:
        JsonRpcTransport("http://odoo.test", client).call_common("version", [])
    assert type(info.value) is cls
    assert info.value.retryable is retryable
    assert "odoo.test" in info.value.message


def test_non_json_answer_is_a_connection_error():
    client = httpx.Client(transport=httpx.MockTransport(
        lambda r: httpx.Response(200, text="<html>login</html>")))
    with pytest.raises(OdooConnectionError, match="did not answer JSON"):
        JsonRpcTransport("http://odoo.test", client).call_common("version", [])


# --- XML-RPC --------------------------------------------------------------------------------


def test_xmlrpc_sends_no_none_and_uses_object_endpoint(fake_odoo):
    fake_odoo.on("res.partner", "search_read", [{"id": 3}])
    t = XmlRpcTransport(fake_odoo.url, fake_odoo.client())
    result = t.execute_kw("casaobra", 7, KEY, "res.partner", "search_read",
                          [[["email", "=", None]]], {"limit": None, "context": {"x": None}})
    assert result == [{"id": 3}]
    request = fake_odoo.requests[-1]
    assert request.url.path == "/xmlrpc/2/object"
    assert b"<nil/>" not in request.content
    params, method = xmlrpc.client.loads(request.content)
    assert method == "execute_kw"
    assert params[5] == [[["email", "=", False]]]
    assert params[6] == {"limit": False, "context": {"x": False}}


def test_xmlrpc_common_and_faults(fake_odoo):
    t = XmlRpcTransport(fake_odoo.url, fake_odoo.client())
    assert t.call_common("version", [])["server_version_info"][0] == 17
    assert fake_odoo.requests[-1].url.path == "/xmlrpc/2/common"
    assert t.call_common("authenticate", ["casaobra", "vendas", KEY, {}]) == 7
    assert t.call_common("authenticate", ["casaobra", "vendas", "nope", {}]) is False

    def user_error(_a, _k):
        raise fake_odoo.error("odoo.exceptions.UserError", "Object x doesn't exist", 2)

    def value_error(_a, _k):
        raise fake_odoo.error("builtins.ValueError", "Invalid field 'x' on model 'res.partner'")

    fake_odoo.on("x", "search", user_error)
    fake_odoo.on("res.partner", "read", value_error)
    with pytest.raises(UserError, match="Object x doesn't exist"):
        t.execute_kw("casaobra", 7, KEY, "x", "search", [[]], {})
    with pytest.raises(ServerError) as info:
        t.execute_kw("casaobra", 7, KEY, "res.partner", "read", [[1]], {"fields": ["x"]})
    assert info.value.message == "ValueError: Invalid field 'x' on model 'res.partner'"
    with pytest.raises(AccessDenied):
        t.execute_kw("casaobra", 7, "bad", "res.partner", "read", [[1]], {})


def test_xmlrpc_marshal_none_fault_means_none(fake_odoo):
    fake_odoo.on("sale.order", "action_lock", None)  # Odoo commits, then cannot marshal None
    t = XmlRpcTransport(fake_odoo.url, fake_odoo.client())
    assert t.execute_kw("casaobra", 7, KEY, "sale.order", "action_lock", [[3]], {}) is None
    assert fake_odoo.calls[-1].method == "action_lock"
