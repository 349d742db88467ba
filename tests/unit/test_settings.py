"""Every setting is documented in .env.example, and the environment drives the settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcp_servers.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _env_names(field_name: str) -> set[str]:
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if alias is not None:
        return {str(choice) for choice in alias.choices}  # type: ignore[union-attr]
    return {f"BALCAO_{field_name.upper()}"}


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(),
                                re.MULTILINE))
    missing = [name for name in Settings.model_fields if not _env_names(name) & documented]
    assert missing == []


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields
               if not any(env in readme for env in _env_names(name))]
    assert missing == []


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODOO_URL", "https://erp.example.com")
    monkeypatch.setenv("ODOO_API_KEY", "k" * 40)
    monkeypatch.setenv("BALCAO_ODOO_PROTOCOL", "xmlrpc")
    settings = Settings(_env_file=None)
    assert settings.odoo_url == "https://erp.example.com"
    assert settings.odoo_protocol == "xmlrpc"
    assert settings.odoo_secret.get_secret_value() == "k" * 40
    assert "k" * 40 not in repr(settings)


def test_invalid_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALCAO_ODOO_PROTOCOL", "soap")
    with pytest.raises(ValueError, match="odoo_protocol"):
        Settings(_env_file=None)
