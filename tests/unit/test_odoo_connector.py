"""OdooConnector against a recorder: protocol detection, auth, context, version traps,
retries (reads only), capabilities, secret hygiene."""

from __future__ import annotations

import threading

import httpx
import pytest

from mcp_servers.odoo import (
    AccessDenied,
    MissingError,
    OdooConnectionError,
    OdooConnector,
    ServerError,
)
from mcp_servers.settings import Settings

KEY = "171dd109876ea19ba00e68de5edfa2e5b3ef5443"


def connector(fake, secret=KEY, **kwargs) -> OdooConnector:
    kwargs.setdefault("sleep", lambda _s: None)
    return OdooConnector(fake.url, fake.db, "vendas", secret, http_client=fake.client(),
                         **kwargs)


# --- protocol detection ---------------------------------------------------------------------


def test_auto_uses_jsonrpc_on_17(fake_odoo):
    fake_odoo.on("res.partner", "search", [1])
    odoo = connector(fake_odoo)
    assert odoo.search("res.partner", []) == [1]
    assert odoo.protocol == "jsonrpc"
    assert odoo.server_version == 17
    assert fake_odoo.calls[-1].protocol == "jsonrpc"


def test_auto_uses_json2_on_19_with_api_key(make_fake_odoo):
    fake = make_fake_odoo(major=19)
    fake.on("res.partner", "search", [1, 2])
    odoo = connector(fake, secret_kind="api_key")
    assert odoo.search("res.partner", [["is_company", "=", True]], limit=2) == [1, 2]
    assert odoo.protocol == "json2"
    assert odoo.server_version == 19
    assert odoo.uid == fake.uid  # from res.users/context_get
    call = fake.calls[-1]
    assert call.protocol == "json2"
    assert call.kwargs["domain"] == [["is_company", "=", True]]
    assert call.kwargs["limit"] == 2
    assert call.kwargs["context"]["lang"] == "pt_BR"


def test_auto_falls_back_to_jsonrpc_on_19_with_password(make_fake_odoo):
    fake = make_fake_odoo(major=19, secret="vendas")
    fake.on("res.partner", "search", [])
    odoo = connector(fake, secret="vendas")
    odoo.search("res.partner", [])
    assert odoo.protocol == "jsonrpc"


def test_auto_uses_json2_when_jsonrpc_is_gone(make_fake_odoo):
    fake = make_fake_odoo(major=22, jsonrpc_enabled=False)
    fake.on("res.partner", "search_count", 41)
    odoo = connector(fake)
    assert odoo.search_count("res.partner", []) == 41
    assert odoo.protocol == "json2"
    assert odoo.server_version == 22
    paths = [r.url.path for r in fake.requests]
    assert paths[:2] == ["/jsonrpc", "/web/version"]


@pytest.mark.parametrize("protocol", ["jsonrpc", "xmlrpc"])
def test_explicit_protocol_skips_detection(fake_odoo, protocol):
    fake_odoo.on("res.partner", "search", [5])
    odoo = connector(fake_odoo, protocol=protocol)
    assert odoo.search("res.partner", []) == [5]
    assert fake_odoo.calls[-1].protocol == protocol
    assert odoo.version()["server_version"] == "17.0"
    assert odoo.server_version == 17


# --- authentication -------------------------------------------------------------------------


def test_authenticate_once_and_thread_safe(fake_odoo):
    fake_odoo.on("res.partner", "search", [])
    odoo = connector(fake_odoo)
    threads = [threading.Thread(target=odoo.search, args=("res.partner", [])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fake_odoo.authenticate_calls == 1
    assert len(fake_odoo.calls) == 8
    assert all(c.args[0] == [] for c in fake_odoo.calls)


def test_authenticate_false_raises_access_denied_without_secret(fake_odoo):
    wrong = "0123456789abcdef0123456789abcdef01234567"
    odoo = connector(fake_odoo, secret=wrong)
    with pytest.raises(AccessDenied) as info:
        odoo.authenticate()
    message = info.value.message
    assert "'vendas'" in message and "'casaobra'" in message
    assert wrong not in message and wrong not in repr(info.value)
    assert odoo.uid is None


def test_access_denied_on_call_drops_cached_uid(fake_odoo):
    fake_odoo.on("res.partner", "search", [])
    odoo = connector(fake_odoo)
    odoo.search("res.partner", [])
    fake_odoo.secret = "rotated-key"  # key revoked server-side
    with pytest.raises(AccessDenied):
        odoo.search("res.partner", [])
    assert odoo.uid is None


def test_repr_never_shows_secret(fake_odoo):
    odoo = connector(fake_odoo)
    assert KEY not in repr(odoo)
    assert "casaobra" in repr(odoo)


# --- context and version traps --------------------------------------------------------------


def test_context_on_every_call_and_company_override(fake_odoo):
    fake_odoo.on("sale.order", "search_read", [])
    odoo = connector(fake_odoo, company_ids=[1, 2], tz="UTC")
    odoo.search_read("sale.order", [], ["name"], limit=5)
    ctx = fake_odoo.calls[-1].kwargs["context"]
    assert ctx == {"lang": "pt_BR", "tz": "UTC", "allowed_company_ids": [1, 2]}
    assert fake_odoo.calls[-1].kwargs["limit"] == 5
    assert fake_odoo.calls[-1].kwargs["fields"] == ["name"]

    odoo.search_read("sale.order", [], company_ids=[2])
    assert fake_odoo.calls[-1].kwargs["context"]["allowed_company_ids"] == [2]

    odoo.execute_kw("sale.order", "search_read", [[]], {"context": {"active_test": False}},
                    context={"lang": "en_US"})
    ctx = fake_odoo.calls[-1].kwargs["context"]
    assert ctx["active_test"] is False and ctx["lang"] == "en_US"
    assert ctx["allowed_company_ids"] == [1, 2]


def test_name_search_passes_domain_positionally(fake_odoo):
    fake_odoo.on("res.partner", "name_search", [[14, "Azure Interior"]])
    odoo = connector(fake_odoo)
    assert odoo.name_search("res.partner", "azure", [["is_company", "=", True]], limit=5) == [
        [14, "Azure Interior"]]
    call = fake_odoo.calls[-1]
    assert call.args == ["azure", [["is_company", "=", True]], "ilike", 5]
    assert set(call.kwargs) == {"context"}  # neither "args" nor "domain" as keyword


def test_search_never_sends_count(fake_odoo):
    odoo = connector(fake_odoo)
    with pytest.raises(ValueError, match="search_count"):
        odoo.execute_kw("res.partner", "search", [[]], {"count": True})
    assert fake_odoo.calls == []


def test_helpers_build_orm_calls(fake_odoo):
    fake_odoo.on("sale.order", "create", 25)
    fake_odoo.on("sale.order", "write", True)
    fake_odoo.on("sale.order", "unlink", True)
    fake_odoo.on("sale.order", "read", [{"id": 25}])
    fake_odoo.on("sale.order", "action_confirm", True)
    fake_odoo.on("sale.order", "read_group", [{"state": "draft", "__count": 4}])
    fake_odoo.on("sale.order", "fields_get", {"state": {"type": "selection"}})
    odoo = connector(fake_odoo)
    assert odoo.create("sale.order", {"partner_id": 43}) == 25
    assert fake_odoo.calls[-1].args == [{"partner_id": 43}]
    assert odoo.write("sale.order", 25, {"note": "x"}) is True
    assert fake_odoo.calls[-1].args == [[25], {"note": "x"}]
    odoo.unlink("sale.order", [25])
    assert fake_odoo.calls[-1].args == [[25]]
    odoo.read("sale.order", [25], ["name"])
    assert fake_odoo.calls[-1].args == [[25]] and fake_odoo.calls[-1].kwargs["fields"] == ["name"]
    assert odoo.call("sale.order", "action_confirm", 25, company_ids=[2]) is True
    assert fake_odoo.calls[-1].args == [[25]]
    assert fake_odoo.calls[-1].kwargs == {"context": {"lang": "pt_BR", "tz": "America/Sao_Paulo",
                                                      "allowed_company_ids": [2]}}
    odoo.read_group("sale.order", [], ["amount_total:sum"], "state", lazy=False)
    call = fake_odoo.calls[-1]
    assert call.args == [[], ["amount_total:sum"], ["state"]]
    assert call.kwargs["lazy"] is False and "orderby" not in call.kwargs
    odoo.fields_get("sale.order", ["state"], ["type"])
    assert fake_odoo.calls[-1].kwargs["allfields"] == ["state"]


# --- retries --------------------------------------------------------------------------------


def test_reads_are_retried_on_connection_errors(fake_odoo):
    fake_odoo.on("res.partner", "search_read", [{"id": 1}])
    sleeps: list[float] = []
    odoo = connector(fake_odoo, read_retries=3, sleep=sleeps.append)
    odoo.authenticate()
    fake_odoo.failures = [httpx.ConnectError("down"), httpx.ReadTimeout("slow")]
    assert odoo.search_read("res.partner", []) == [{"id": 1}]
    assert len(sleeps) == 2 and sleeps[1] >= sleeps[0]  # exponential backoff


def test_reads_give_up_after_read_retries(fake_odoo):
    fake_odoo.on("res.partner", "search", [])
    odoo = connector(fake_odoo, read_retries=2)
    odoo.authenticate()
    before = len(fake_odoo.requests)
    fake_odoo.failures = [httpx.ConnectError("down")] * 5
    with pytest.raises(OdooConnectionError):
        odoo.search("res.partner", [])
    assert len(fake_odoo.requests) - before == 3  # 1 try + 2 retries


def test_writes_are_never_retried(fake_odoo):
    fake_odoo.on("res.partner", "write", True)
    odoo = connector(fake_odoo, read_retries=3)
    odoo.authenticate()
    before = len(fake_odoo.requests)
    fake_odoo.failures = [httpx.ReadTimeout("lost answer")]
    with pytest.raises(OdooConnectionError):
        odoo.write("res.partner", [1], {"name": "x"})
    assert len(fake_odoo.requests) - before == 1


def test_business_errors_are_not_retried(fake_odoo):
    def missing(_a, _k):
        raise fake_odoo.error("odoo.exceptions.MissingError", "Record does not exist")

    fake_odoo.on("res.partner", "read", missing)
    odoo = connector(fake_odoo, read_retries=3)
    with pytest.raises(MissingError):
        odoo.read("res.partner", [999999])
    assert len([c for c in fake_odoo.calls if c.method == "read"]) == 1


def test_server_error_surfaces_odoo_text(fake_odoo):
    odoo = connector(fake_odoo)
    with pytest.raises(ServerError, match=r"does not exist on the model 'res\.partner'"):
        odoo.call("res.partner", "no_such_method", [1])


# --- capabilities ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "domain"),
    [
        ({"is_storable": {"type": "boolean"}, "type": {"selection": [["consu", "Goods"]]}},
         "is_storable", [["is_storable", "=", True]]),
        ({"type": {"selection": [["consu", "Consumable"], ["service", "Service"],
                                 ["product", "Storable Product"]]}},
         "type", [["type", "=", "product"]]),
        ({"type": {"selection": [["consu", "Consumable"], ["service", "Service"]]}}, None, None),
    ],
)
def test_capabilities_storable_detection(fake_odoo, fields, field, domain):
    fake_odoo.on("product.product", "fields_get", fields)
    odoo = connector(fake_odoo)
    caps = odoo.capabilities()
    assert caps.storable_field == field
    assert caps.storable_domain == domain
    assert caps.has_stock is (field is not None)
    assert caps.server_version == 17
    assert fake_odoo.calls[-1].kwargs["allfields"] == ["is_storable", "type"]
    odoo.capabilities()
    assert len([c for c in fake_odoo.calls if c.method == "fields_get"]) == 1  # cached


# --- settings and lifecycle -----------------------------------------------------------------


def test_from_settings_and_close():
    settings = Settings(odoo_url="http://odoo.test:8069/", odoo_db="casaobra",
                        odoo_login="financeiro", odoo_secret=KEY, odoo_protocol="xmlrpc",
                        odoo_timeout_s=3.0, odoo_read_retries=1, odoo_lang="en_US")
    with OdooConnector.from_settings(settings) as odoo:
        assert odoo.url == "http://odoo.test:8069"
        assert odoo.login == "financeiro" and odoo.requested_protocol == "xmlrpc"
        assert odoo.timeout_s == 3.0 and odoo.read_retries == 1 and odoo.lang == "en_US"
        assert KEY not in repr(odoo)
    with pytest.raises(OdooConnectionError, match="closed"):
        odoo.search("res.partner", [])
