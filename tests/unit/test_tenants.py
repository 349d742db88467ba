"""Tenants file (encrypted secrets, atomic writes, clear errors) and the credential cache."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from mcp_servers.odoo import CredentialManager, TenantConfig, TenantError, TenantStore
from mcp_servers.odoo.tenants import tenant_from_settings
from mcp_servers.settings import Settings

VENDAS_KEY = "171dd109876ea19ba00e68de5edfa2e5b3ef5443"
FIN_KEY = "8280df188244a59303c48744058f2646768afc6e"


def tenant(tenant_id: str = "casaobra", secret: str = VENDAS_KEY, **kw) -> TenantConfig:
    fields = {"url": "http://127.0.0.1:8069", "db": "casaobra", "login": "vendas",
              "display_name": "Casa & Obra", "cnpj": "41522871000152", "environment": "sandbox",
              "allowed_company_ids": [1, 2]}
    fields.update(kw)
    return TenantConfig(tenant_id=tenant_id, secret=SecretStr(secret), **fields)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def store(tmp_path, key) -> TenantStore:
    return TenantStore(tmp_path / "var" / "tenants.json", key)


# --- store ----------------------------------------------------------------------------------


def test_add_list_get_round_trip_with_encrypted_secret(store):
    store.add(tenant())
    store.add(tenant("filial", FIN_KEY, login="financeiro", allowed_company_ids=[2]))

    raw = store.path.read_bytes()
    assert VENDAS_KEY.encode() not in raw and FIN_KEY.encode() not in raw
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    doc = json.loads(raw)
    assert doc["format"] == 1
    assert set(doc["tenants"]) == {"casaobra", "filial"}
    assert "secret" not in doc["tenants"]["casaobra"]
    assert doc["tenants"]["casaobra"]["secret_token"].startswith("gAAAA")

    listed = store.list()
    assert [t.tenant_id for t in listed] == ["casaobra", "filial"]
    assert all(not hasattr(t, "secret") for t in listed)
    assert VENDAS_KEY not in repr(listed)

    got = store.get("casaobra")
    assert got.secret.get_secret_value() == VENDAS_KEY
    assert got.cnpj == "41.522.871/0001-52"  # normalized
    assert got.allowed_company_ids == [1, 2] and got.environment == "sandbox"
    assert VENDAS_KEY not in repr(got) and VENDAS_KEY not in str(got.model_dump())
    assert store.get("filial").secret.get_secret_value() == FIN_KEY


def test_atomic_write_leaves_no_temp_files(store):
    store.add(tenant())
    store.add(tenant(), replace=True)
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["tenants.json"]


def test_add_existing_requires_replace(store):
    store.add(tenant())
    with pytest.raises(TenantError, match="already exists"):
        store.add(tenant(secret=FIN_KEY))
    store.add(tenant(secret=FIN_KEY), replace=True)
    assert store.get("casaobra").secret.get_secret_value() == FIN_KEY


def test_missing_file_error(store):
    with pytest.raises(TenantError) as info:
        store.get("casaobra")
    assert str(info.value) == (
        f"tenants file {store.path} not found; create it with `balcao tenants add`"
    )


def test_wrong_key_error_names_tenant_not_secret(store, tmp_path):
    store.add(tenant())
    other_key = Fernet.generate_key().decode()
    with pytest.raises(TenantError) as info:
        TenantStore(store.path, other_key).get("casaobra")
    message = str(info.value)
    assert "cannot decrypt secrets of tenant 'casaobra'" in message
    assert "wrong BALCAO_TENANTS_KEY" in message
    assert other_key not in message and VENDAS_KEY not in message


def test_invalid_or_missing_key(store):
    store.add(tenant())
    with pytest.raises(TenantError, match="not a valid Fernet key"):
        TenantStore(store.path, "not-a-key").get("casaobra")
    with pytest.raises(TenantError, match="BALCAO_TENANTS_KEY is not set"):
        TenantStore(store.path, None).get("casaobra")
    assert [t.tenant_id for t in TenantStore(store.path, None).list()] == ["casaobra"]


def test_corrupt_file_error_has_line_and_col(store):
    store.add(tenant())
    store.path.write_text('{"format": 1,\n  "tenants": {,}}\n')
    with pytest.raises(TenantError) as info:
        store.list()
    assert f"tenants file {store.path} is corrupt (line 2, col 15)" in str(info.value)


def test_invalid_entry_and_plaintext_secret_rejected(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"format": 1, "tenants": {"x": {
        "url": "ftp://nope", "db": "d", "login": "l", "secret_token": "gAAAA"}}}))
    with pytest.raises(TenantError, match=r"invalid: tenant 'x'.*url"):
        store.list()
    store.path.write_text(json.dumps({"format": 1, "tenants": {"x": {
        "url": "http://o", "db": "d", "login": "l", "secret": "plain-pw"}}}))
    with pytest.raises(TenantError) as info:
        store.list()
    assert "plaintext" in str(info.value) and "plain-pw" not in str(info.value)


def test_unknown_tenant_lists_known(store):
    store.add(tenant("b-store"))
    store.add(tenant("a-store"))
    with pytest.raises(TenantError) as info:
        store.get("zzz")
    assert "unknown tenant 'zzz'" in str(info.value)
    assert "(known: a-store, b-store)" in str(info.value)


def test_rotate_key(store, key):
    store.add(tenant())
    store.add(tenant("filial", FIN_KEY))
    before = store.path.read_bytes()
    new_key = Fernet.generate_key().decode()
    assert store.rotate_key(new_key) == 2
    assert store.path.read_bytes() != before
    assert VENDAS_KEY.encode() not in store.path.read_bytes()
    with pytest.raises(TenantError, match="wrong BALCAO_TENANTS_KEY"):
        TenantStore(store.path, key).get("casaobra")
    fresh = TenantStore(store.path, new_key)
    assert fresh.get("casaobra").secret.get_secret_value() == VENDAS_KEY
    assert fresh.get("filial").secret.get_secret_value() == FIN_KEY
    assert store.get("filial").secret.get_secret_value() == FIN_KEY  # store now uses new key


def test_rotate_with_wrong_current_key_leaves_file_untouched(store):
    store.add(tenant())
    before = store.path.read_bytes()
    wrong = TenantStore(store.path, Fernet.generate_key().decode())
    with pytest.raises(TenantError):
        wrong.rotate_key(Fernet.generate_key().decode())
    assert store.path.read_bytes() == before


def test_remove(store):
    store.add(tenant())
    store.add(tenant("filial"))
    store.remove("casaobra")
    assert store.ids() == ["filial"]
    with pytest.raises(TenantError, match="unknown tenant 'casaobra'"):
        store.remove("casaobra")


@pytest.mark.parametrize(
    "bad",
    [{"tenant_id": "Bad Id"}, {"url": "http://u:p@odoo"}, {"cnpj": "41.522.871/0001-53"},
     {"environment": "prod"}, {"secret_kind": "token"}, {"allowed_company_ids": [0]},
     {"secret": SecretStr("")}],
)
def test_tenant_validation(bad):
    fields = {"tenant_id": "ok", "url": "http://o", "db": "d", "login": "l",
              "secret": SecretStr("s")}
    fields.update(bad)
    with pytest.raises(PydanticValidationError):
        TenantConfig(**fields)


# --- credential manager ---------------------------------------------------------------------


class FakeConnector:
    def __init__(self, config: TenantConfig):
        self.config = config
        self.closed = False

    def close(self) -> None:
        self.closed = True


def manager(store, clock, **kw) -> CredentialManager:
    return CredentialManager(store, ttl_s=kw.pop("ttl_s", 60), max_size=kw.pop("max_size", 8),
                             clock=clock, connector_factory=FakeConnector, **kw)


def test_credential_cache_ttl_expiry(store, key):
    clock = Clock()
    store.add(tenant())
    creds = manager(store, clock)
    first = creds.get("casaobra")
    store.add(tenant(secret=FIN_KEY), replace=True)  # changed on disk
    assert creds.get("casaobra") is first  # still cached
    clock.now += 59
    assert creds.get("casaobra").secret.get_secret_value() == VENDAS_KEY
    clock.now += 1  # TTL reached
    assert creds.get("casaobra").secret.get_secret_value() == FIN_KEY


def test_credential_cache_max_size_eviction(store):
    clock = Clock()
    for name in ("a", "b", "c"):
        store.add(tenant(name))
    creds = manager(store, clock, max_size=2)
    creds.get("a")
    creds.get("b")
    creds.get("a")  # a is now the most recently used
    creds.get("c")  # cache full: evicts b
    store.add(tenant("a", FIN_KEY), replace=True)
    store.add(tenant("b", FIN_KEY), replace=True)
    assert creds.get("a").secret.get_secret_value() == VENDAS_KEY  # still cached
    assert creds.get("b").secret.get_secret_value() == FIN_KEY  # evicted: reread from disk


def test_connector_cache_max_size_eviction(store):
    for name in ("a", "b", "c"):
        store.add(tenant(name))
    creds = manager(store, Clock(), max_size=2)
    conn_a, conn_b = creds.connector("a"), creds.connector("b")
    assert creds.connector("a") is conn_a
    creds.connector("c")  # evicts b's connector (least recently used)
    assert creds.connector("a") is conn_a
    assert creds.connector("b") is not conn_b


def test_expired_connector_replaced_and_closed_after_grace(store):
    clock = Clock()
    store.add(tenant("a"))
    creds = manager(store, clock, ttl_s=60, close_grace_s=30)
    old = creds.connector("a")
    clock.now += 59
    assert creds.connector("a") is old  # still within the TTL
    clock.now += 1  # TTL reached
    new = creds.connector("a")
    assert new is not old and old.closed is False  # retired, not cut mid-call
    clock.now += 29
    assert creds.connector("a") is new and old.closed is False
    clock.now += 1  # grace over
    assert creds.connector("a") is new
    assert old.closed is True and new.closed is False


def test_connector_lru_eviction_order_and_grace(store):
    clock = Clock()
    for name in ("a", "b", "c"):
        store.add(tenant(name))
    creds = manager(store, clock, max_size=2, close_grace_s=30)
    conn_a, conn_b = creds.connector("a"), creds.connector("b")
    creds.connector("a")  # a is now the most recently used
    conn_c = creds.connector("c")  # evicts b, not a
    clock.now += 30
    creds.connector("c")
    assert conn_b.closed is True
    assert conn_a.closed is False and conn_c.closed is False
    assert creds.connector("a") is conn_a and creds.connector("c") is conn_c


def test_reload_retires_connectors_and_close_closes_all(store):
    clock = Clock()
    store.add(tenant("a"))
    store.add(tenant("b"))
    creds = manager(store, clock, close_grace_s=30)
    old_a = creds.connector("a")
    creds.reload()
    assert old_a.closed is False  # retired with a grace period, not closed at once
    new_a, conn_b = creds.connector("a"), creds.connector("b")
    assert new_a is not old_a
    creds.close()
    assert old_a.closed and new_a.closed and conn_b.closed


def test_repr_counts_only_fresh_configs(store):
    clock = Clock()
    store.add(tenant())
    creds = manager(store, clock, ttl_s=60)
    creds.get("casaobra")
    assert "cached=1" in repr(creds)
    clock.now += 60
    assert "cached=0" in repr(creds)


@pytest.mark.parametrize(("kw", "message"), [({"max_size": 0}, "maxsize must be >= 1"),
                                             ({"ttl_s": 0}, "ttl_s must be > 0")])
def test_manager_rejects_invalid_cache_limits(store, kw, message):
    with pytest.raises(ValueError, match=message):
        manager(store, Clock(), **kw)


def test_evicted_connectors_closed_after_grace(store):
    clock = Clock()
    store.add(tenant("a"))
    store.add(tenant("b"))
    creds = manager(store, clock, max_size=1, close_grace_s=30)
    conn_a = creds.connector("a")
    creds.connector("b")  # evicts a
    assert conn_a.closed is False  # may still be in use on another thread
    clock.now += 31
    creds.connector("b")
    assert conn_a.closed is True


def test_connector_cached_per_tenant(store):
    store.add(tenant("a"))
    store.add(tenant("b"))
    creds = manager(store, Clock())
    assert creds.connector("a") is creds.connector("a")
    assert creds.connector("a") is not creds.connector("b")
    assert creds.connector("b").config.tenant_id == "b"


def test_reload_picks_up_changed_file(store):
    clock = Clock()
    store.add(tenant())
    creds = manager(store, clock)
    old_conn = creds.connector("casaobra")
    store.add(tenant(secret=FIN_KEY, login="financeiro"), replace=True)
    assert creds.get("casaobra").login == "vendas"
    creds.reload()
    assert creds.get("casaobra").login == "financeiro"
    new_conn = creds.connector("casaobra")
    assert new_conn is not old_conn
    assert new_conn.config.secret.get_secret_value() == FIN_KEY
    store.path.write_text("{broken")
    with pytest.raises(TenantError, match="corrupt"):
        creds.reload()


def test_fallback_tenant_from_settings_only_without_file(tmp_path, key):
    settings = Settings(tenants_file=tmp_path / "tenants.json", tenants_key=key,
                        odoo_url="http://127.0.0.1:8069", odoo_db="casaobra",
                        odoo_login="admin", odoo_secret="b2e80f8e248c74280aa7d7e2456436e05cb6fe51",
                        default_tenant="casaobra")
    creds = CredentialManager.from_settings(settings, connector_factory=FakeConnector)
    default = creds.get("casaobra")
    assert default.login == "admin" and default.secret_kind == "api_key"
    assert default.environment == "sandbox"
    with pytest.raises(TenantError, match=r"unknown tenant 'other'.*not found"):
        creds.get("other")
    TenantStore(settings.tenants_file, key).add(tenant("other"))
    creds.reload()
    assert creds.get("other").login == "vendas"
    with pytest.raises(TenantError, match=r"unknown tenant 'casaobra'.*known: other"):
        creds.get("casaobra")  # the file wins once it exists


def test_tenant_from_settings_password_kind():
    settings = Settings(odoo_url="https://erp.example.com", odoo_secret="vendas",
                        default_tenant="loja")
    t = tenant_from_settings(settings)
    assert t.tenant_id == "loja" and t.secret_kind == "password"
    assert t.environment == "production"


def test_store_and_manager_repr_hide_key(store, key):
    store.add(tenant())
    assert key not in repr(store)
    creds = manager(store, Clock())
    creds.get("casaobra")
    assert key not in repr(creds) and VENDAS_KEY not in repr(creds)
