"""`balcao tenants` commands: secrets never on the command line nor in the output."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from api.tenants_cli import tenants_app
from mcp_servers.odoo import TenantStore
from mcp_servers.settings import get_settings

SECRET = "8280df188244a59303c48744058f2646768afc6e"
ADD = ["add", "casaobra", "--url", "http://127.0.0.1:8069", "--db", "casaobra",
       "--login", "financeiro", "--company-id", "1", "--company-id", "2",
       "--cnpj", "41.522.871/0001-52", "--environment", "sandbox"]


@pytest.fixture
def env(tmp_path, monkeypatch):
    key = Fernet.generate_key().decode()
    path = tmp_path / "tenants.json"
    monkeypatch.setenv("BALCAO_TENANTS_KEY", key)
    monkeypatch.setenv("BALCAO_TENANTS_FILE", str(path))
    monkeypatch.setenv("ODOO_SECRET_FOR_TEST", SECRET)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield {"key": key, "path": path}
    get_settings.cache_clear()


runner = CliRunner()


def test_add_from_env_var_then_list(env):
    result = runner.invoke(tenants_app, [*ADD, "--secret-env", "ODOO_SECRET_FOR_TEST"])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert SECRET.encode() not in env["path"].read_bytes()
    stored = TenantStore(env["path"], env["key"]).get("casaobra")
    assert stored.secret.get_secret_value() == SECRET
    assert stored.allowed_company_ids == [1, 2] and stored.login == "financeiro"

    listed = runner.invoke(tenants_app, ["list"])
    assert listed.exit_code == 0
    assert "casaobra" in listed.output and "financeiro" in listed.output
    assert SECRET not in listed.output and env["key"] not in listed.output


def test_add_from_stdin_and_hidden_prompt(env):
    result = runner.invoke(tenants_app, [*ADD, "--secret-stdin"], input=f"{SECRET}\n")
    assert result.exit_code == 0, result.output
    assert TenantStore(env["path"], env["key"]).get("casaobra").secret.get_secret_value() == SECRET
    prompted = runner.invoke(tenants_app, [*ADD, "--replace"], input="other-password\n")
    assert prompted.exit_code == 0, prompted.output
    assert "other-password" not in prompted.output  # hidden input is not echoed
    got = TenantStore(env["path"], env["key"]).get("casaobra")
    assert got.secret.get_secret_value() == "other-password"


def test_add_rejects_invalid_values_without_echoing_secret(env):
    result = runner.invoke(tenants_app, [*ADD[:-2], "--environment", "prod",
                                         "--secret-env", "ODOO_SECRET_FOR_TEST"])
    assert result.exit_code == 1
    assert "environment" in result.output and SECRET not in result.output
    assert not env["path"].exists()


def test_rotate_key_and_generate_key(env, monkeypatch):
    runner.invoke(tenants_app, [*ADD, "--secret-env", "ODOO_SECRET_FOR_TEST"])
    generated = runner.invoke(tenants_app, ["generate-key"])
    new_key = generated.output.strip()
    Fernet(new_key.encode())  # a valid key
    monkeypatch.setenv("NEW_TENANTS_KEY", new_key)
    result = runner.invoke(tenants_app, ["rotate-key", "--new-key-env", "NEW_TENANTS_KEY"])
    assert result.exit_code == 0, result.output
    assert new_key not in result.output
    assert TenantStore(env["path"], new_key).get("casaobra").secret.get_secret_value() == SECRET
    listed_with_old_key = runner.invoke(tenants_app, ["list"])  # listing needs no key
    assert listed_with_old_key.exit_code == 0


def test_check_unknown_tenant_fails_cleanly(env):
    runner.invoke(tenants_app, [*ADD, "--secret-env", "ODOO_SECRET_FOR_TEST"])
    result = runner.invoke(tenants_app, ["check", "nope"])
    assert result.exit_code == 1
    assert "unknown tenant 'nope'" in result.output and "known: casaobra" in result.output


def test_check_prints_uid_and_version_without_secret(env, monkeypatch, make_fake_odoo):
    import api.tenants_cli as cli
    from mcp_servers.odoo import CredentialManager, OdooConnector

    fake = make_fake_odoo(major=17, secret=SECRET, db="casaobra")
    real_from_settings = CredentialManager.from_settings

    def from_settings(settings):
        def factory(t):
            return OdooConnector(t.url, t.db, t.login, t.secret, http_client=fake.client(),
                                 secret_kind=t.secret_kind)
        return real_from_settings(settings, connector_factory=factory)

    monkeypatch.setattr(cli.CredentialManager, "from_settings", from_settings)
    runner.invoke(tenants_app, [*ADD, "--secret-env", "ODOO_SECRET_FOR_TEST"])
    result = runner.invoke(tenants_app, ["check", "casaobra"])
    assert result.exit_code == 0, result.output
    assert "uid 7" in result.output and "Odoo 17.0 via jsonrpc" in result.output
    assert SECRET not in result.output

    fake.secret = "revoked"
    denied = runner.invoke(tenants_app, ["check", "casaobra"])
    assert denied.exit_code == 1
    assert "refused login 'financeiro'" in denied.output and SECRET not in denied.output
