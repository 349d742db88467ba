"""`balcao tenants ...`: manage the encrypted tenants file.

Secrets never travel as plain CLI arguments (they would land in shell history and ``ps``):
``add`` reads the secret from a hidden prompt, from ``--secret-env VAR`` or ``--secret-stdin``.
The Fernet key comes from ``BALCAO_TENANTS_KEY``; ``rotate-key`` reads the new one from an
environment variable named by ``--new-key-env``. No command prints a secret or a key, except
``generate-key``, whose only job is to print a new key.

Demo (embedded Odoo)::

    export BALCAO_TENANTS_KEY=$(balcao tenants generate-key)
    ODOO_KEY=171dd109876ea19ba00e68de5edfa2e5b3ef5443 balcao tenants add casaobra \\
        --url http://127.0.0.1:8069 --db casaobra --login vendas --secret-env ODOO_KEY \\
        --environment sandbox --company-id 1 --company-id 2
    balcao tenants check casaobra
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcp_servers.odoo.errors import OdooError
from mcp_servers.odoo.tenants import (
    KEY_ENV,
    CredentialManager,
    TenantConfig,
    TenantError,
    TenantStore,
    generate_key,
)
from mcp_servers.settings import Settings, get_settings

tenants_app = typer.Typer(help="Manage Odoo tenants (credentials encrypted at rest).",
                          no_args_is_help=True)


def _out() -> Console:
    """Created per command so the terminal width (COLUMNS) is read when the command runs."""
    return Console(highlight=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="Tenants file (default: BALCAO_TENANTS_FILE or var/tenants.json)."),
]


def _fail(message: str) -> NoReturn:
    _err().print(f"[red]error:[/red] {escape(message)}", markup=True)
    raise typer.Exit(1)


def _settings(file: Path | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"tenants_file": file}) if file else settings


def _store(settings: Settings) -> TenantStore:
    return TenantStore(settings.tenants_file, settings.tenants_key)


def _read_secret(secret_env: str | None, secret_stdin: bool) -> str:
    if secret_env and secret_stdin:
        _fail("use either --secret-env or --secret-stdin, not both")
    if secret_env:
        value = os.environ.get(secret_env)
        if not value:
            _fail(f"environment variable {secret_env} is not set or empty")
        return value
    if secret_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            _fail("no secret on standard input")
        return value
    return typer.prompt("API key or password", hide_input=True)


@tenants_app.command("add")
def add(
    tenant_id: Annotated[str, typer.Argument(help="Tenant id: lowercase letters, digits, - _.")],
    url: Annotated[str, typer.Option(help="Odoo base URL, e.g. https://odoo.example.com.")],
    db: Annotated[str, typer.Option(help="Odoo database name.")],
    login: Annotated[str, typer.Option(help="Odoo user login.")],
    secret_kind: Annotated[str, typer.Option(help="api_key (preferred) or password.")] = "api_key",
    display_name: Annotated[str, typer.Option(help="Human-readable store name.")] = "",
    cnpj: Annotated[str | None, typer.Option(help="Company CNPJ (validated).")] = None,
    environment: Annotated[str, typer.Option(help="production or sandbox.")] = "production",
    rate_limit_per_minute: Annotated[int, typer.Option(help="Max Odoo calls per minute.")] = 60,
    company_id: Annotated[
        list[int] | None,
        typer.Option("--company-id", help="Allowed company id (repeat; first = current)."),
    ] = None,
    protocol: Annotated[str, typer.Option(help="auto, jsonrpc, xmlrpc or json2.")] = "auto",
    secret_env: Annotated[
        str | None, typer.Option(help="Name of an env var holding the secret.")
    ] = None,
    secret_stdin: Annotated[bool, typer.Option(help="Read the secret from stdin.")] = False,
    replace: Annotated[bool, typer.Option(help="Overwrite an existing tenant.")] = False,
    file: FileOption = None,
) -> None:
    """Add (or --replace) a tenant; its secret is encrypted with BALCAO_TENANTS_KEY."""
    settings = _settings(file)
    store = _store(settings)
    secret = _read_secret(secret_env, secret_stdin)
    try:
        tenant = TenantConfig(
            tenant_id=tenant_id, url=url, db=db, login=login, secret=SecretStr(secret),
            secret_kind=secret_kind, display_name=display_name or tenant_id, cnpj=cnpj,
            environment=environment, rate_limit_per_minute=rate_limit_per_minute,
            allowed_company_ids=company_id or [], protocol=protocol,
        )
    except PydanticValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        _fail(f"invalid tenant '{tenant_id}': {details}")
    try:
        store.add(tenant, replace=replace)
    except TenantError as exc:
        _fail(str(exc))
    _out().print(f"tenant '{tenant_id}' saved in {store.path} (secret encrypted)")


@tenants_app.command("list")
def list_tenants(file: FileOption = None) -> None:
    """List tenants (never their secrets)."""
    store = _store(_settings(file))
    try:
        tenants = store.list()
    except TenantError as exc:
        _fail(str(exc))
    table = Table(title=f"Tenants in {store.path}")
    for column in ("id", "name", "url", "db", "login", "kind", "env", "companies", "protocol",
                   "rate/min", "CNPJ"):
        table.add_column(column, overflow="fold")
    for t in tenants:
        table.add_row(
            t.tenant_id, t.display_name, t.url, t.db, t.login, t.secret_kind, t.environment,
            ",".join(map(str, t.allowed_company_ids)) or "-", t.protocol,
            str(t.rate_limit_per_minute), t.cnpj or "-",
        )
    _out().print(table)


@tenants_app.command("remove")
def remove(tenant_id: str, file: FileOption = None) -> None:
    """Remove a tenant from the file."""
    store = _store(_settings(file))
    try:
        store.remove(tenant_id)
    except TenantError as exc:
        _fail(str(exc))
    _out().print(f"tenant '{tenant_id}' removed from {store.path}", highlight=False)


@tenants_app.command("rotate-key")
def rotate_key(
    new_key_env: Annotated[
        str, typer.Option(help="Name of an env var holding the new Fernet key.")
    ],
    file: FileOption = None,
) -> None:
    """Re-encrypt every secret with a new key (current key from BALCAO_TENANTS_KEY)."""
    new_key = os.environ.get(new_key_env)
    if not new_key:
        _fail(f"environment variable {new_key_env} is not set or empty")
    store = _store(_settings(file))
    try:
        count = store.rotate_key(new_key)
    except TenantError as exc:
        _fail(str(exc))
    _out().print(
        f"re-encrypted {count} tenant secret(s) in {store.path}; now set {KEY_ENV} to the value "
        f"of {new_key_env} everywhere Balcão runs",
    )


@tenants_app.command("generate-key")
def generate_key_cmd() -> None:
    """Print a new Fernet key for BALCAO_TENANTS_KEY."""
    typer.echo(generate_key())


@tenants_app.command("check")
def check(tenant_id: str, file: FileOption = None) -> None:
    """Authenticate as the tenant and print uid, server version and protocol."""
    manager = CredentialManager.from_settings(_settings(file))
    try:
        connector = manager.connector(tenant_id)
        version = connector.version()
        uid = connector.authenticate()
    except (TenantError, OdooError) as exc:
        _fail(f"tenant '{tenant_id}': {exc}")
    finally:
        manager.close()
    _out().print(
        f"tenant '{tenant_id}': uid {uid} on {connector.host} db '{connector.db}', Odoo "
        f"{version.get('server_version', '?')} via {connector.protocol}",
    )
