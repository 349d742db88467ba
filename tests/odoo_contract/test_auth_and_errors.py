"""Authentication and error classes, identical over JSON-RPC and XML-RPC."""

from __future__ import annotations

import pytest

from mcp_servers.odoo import (
    AccessDenied,
    AccessError,
    MissingError,
    OdooConnector,
    ServerError,
    UserError,
    ValidationError,
)
from mcp_servers.odoo.transports import JsonRpcTransport, XmlRpcTransport


def test_version_reports_a_supported_series(odoo: OdooConnector) -> None:
    info = odoo.version()
    assert info["server_version_info"][0] >= 17
    assert info["protocol_version"] == 1


def test_authenticate_returns_the_uid(odoo: OdooConnector) -> None:
    uid = odoo.authenticate()
    assert isinstance(uid, int) and uid > 0
    me = odoo.read("res.users", [uid], ["login"])
    assert me[0]["login"] == odoo.login


def test_wrong_secret_is_access_denied_and_never_echoed(target, protocol: str) -> None:
    bad = "not-the-password-0123456789"
    conn = OdooConnector(target.url, target.db, target.login, bad, protocol=protocol)
    with conn, pytest.raises(AccessDenied) as err:
        conn.authenticate()
    assert bad not in str(err.value)
    assert target.login in str(err.value)


def test_wrong_secret_on_execute_is_access_denied(target, odoo: OdooConnector,
                                                  protocol: str) -> None:
    """``authenticate`` answers false, but ``execute_kw`` with a bad secret raises."""
    uid = odoo.authenticate()
    bad = "wrong-secret-for-execute"
    transport_cls = JsonRpcTransport if protocol == "jsonrpc" else XmlRpcTransport
    transport = transport_cls(target.url, timeout_s=10, secrets=[bad])
    with pytest.raises(AccessDenied) as err:
        transport.execute_kw(target.db, uid, bad, "res.partner", "search", [[]], {"limit": 1})
    assert bad not in str(err.value)


def test_invalid_field_in_domain_is_a_server_error_not_all_records(odoo: OdooConnector) -> None:
    with pytest.raises(ServerError) as err:
        odoo.search_read("res.partner", [["no_such_field", "=", "x"]], ["name"], limit=5)
    assert "Invalid field" in err.value.message
    assert "Traceback" not in err.value.message


def test_invalid_operator_is_rejected(odoo: OdooConnector) -> None:
    with pytest.raises(ServerError) as err:
        odoo.search("res.partner", [["name", "bogus_op", "x"]], limit=5)
    assert "Invalid leaf" in err.value.message


def test_syntactically_broken_domain_is_rejected(odoo: OdooConnector) -> None:
    with pytest.raises(ServerError):
        odoo.search("res.partner", ["|", ["name", "=", "x"]], limit=5)


def test_search_count_keyword_is_gone_since_17(target, odoo: OdooConnector,
                                               protocol: str) -> None:
    """The server refuses ``count=``; the connector refuses it before sending."""
    with pytest.raises(ValueError, match="search_count"):
        odoo.execute_kw("res.partner", "search", [[]], {"count": True})
    transport_cls = JsonRpcTransport if protocol == "jsonrpc" else XmlRpcTransport
    transport = transport_cls(target.url, timeout_s=10, secrets=[target.secret])
    with pytest.raises(ServerError) as err:
        transport.execute_kw(target.db, odoo.authenticate(), target.secret, "res.partner",
                             "search", [[]], {"count": True})
    assert "unexpected keyword argument 'count'" in err.value.message


def test_unknown_model_is_a_user_error(odoo: OdooConnector) -> None:
    with pytest.raises(UserError) as err:
        odoo.search("no.such.model", [], limit=1)
    assert "doesn't exist" in err.value.message


def test_private_method_is_an_access_error(odoo: OdooConnector) -> None:
    with pytest.raises(AccessError) as err:
        odoo.execute_kw("res.partner", "_search", [[]])
    assert "Private methods" in err.value.message


def test_unknown_method_is_a_server_error(odoo: OdooConnector) -> None:
    with pytest.raises(ServerError) as err:
        odoo.execute_kw("res.partner", "no_such_method", [[]])
    assert "no_such_method" in err.value.message


def test_write_on_deleted_record_is_missing_error(odoo: OdooConnector, protocol: str) -> None:
    pid = odoo.create("res.partner", {"name": "BalcaoCT deleted"})
    odoo.unlink("res.partner", [pid])
    with pytest.raises(MissingError if protocol == "jsonrpc" else UserError) as err:
        odoo.write("res.partner", [pid], {"name": "again"})
    assert "does not exist" in err.value.message


def test_read_of_deleted_record_is_silently_empty(odoo: OdooConnector) -> None:
    pid = odoo.create("res.partner", {"name": "BalcaoCT read-deleted"})
    odoo.unlink("res.partner", [pid])
    assert odoo.read("res.partner", [pid], ["name"]) == []


def test_missing_required_value_is_validation_error(odoo: OdooConnector, protocol: str) -> None:
    expected = ValidationError if protocol == "jsonrpc" else UserError
    with pytest.raises(expected):
        odoo.create("sale.order", {"client_order_ref": "no partner"})


def test_invalid_field_on_read_is_a_server_error(odoo: OdooConnector) -> None:
    with pytest.raises(ServerError) as err:
        odoo.search_read("res.partner", [], ["no_such_field"], limit=1)
    assert "no_such_field" in err.value.message
