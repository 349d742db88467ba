"""Multi-tenant Odoo credentials, encrypted at rest.

Why: one Balcão serves several stores (tenants), each with its own Odoo URL, database, user and
API key. Those secrets must not sit in plaintext on disk nor appear in logs, tracebacks or CLI
output, and an operator must be able to add a tenant or rotate the key without a restart.

The tenants file (default ``var/tenants.json``, setting ``tenants_file``) looks like::

    {"format": 1,
     "tenants": {
       "casaobra": {"url": "http://127.0.0.1:8069", "db": "casaobra", "login": "vendas",
                    "secret_token": "gAAAAAB...", "secret_kind": "api_key",
                    "display_name": "Casa & Obra", "cnpj": "41.522.871/0001-52",
                    "environment": "sandbox", "rate_limit_per_minute": 60,
                    "allowed_company_ids": [1, 2], "protocol": "auto"}}}

``secret_token`` is the Fernet token of the API key or password; the Fernet key comes from
``BALCAO_TENANTS_KEY`` (setting ``tenants_key``) and is never written to the file. The file is
replaced atomically (temp file + ``os.replace``) with mode 0600.

Fallback: when the tenants file does not exist, :meth:`CredentialManager.from_settings`
serves exactly one tenant, ``settings.default_tenant``, built from the single-tenant settings
(``ODOO_URL``, ``ODOO_DB``, ``ODOO_LOGIN``, ``ODOO_API_KEY``/``ODOO_PASSWORD``...). As soon as
the file exists, only the file counts.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from cachetools import TTLCache
from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError

from mcp_servers.odoo.connector import OdooConnector

if TYPE_CHECKING:
    from mcp_servers.settings import Settings

log = logging.getLogger(__name__)

FILE_FORMAT = 1
KEY_ENV = "BALCAO_TENANTS_KEY"
_TENANT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_API_KEY_RE = re.compile(r"[0-9a-f]{40}")


class TenantError(Exception):
    """A tenant cannot be served: missing/corrupt file, wrong key, unknown tenant.

    Messages name the tenant and the file and say what to do; never a secret or the key.
    """


def generate_key() -> str:
    """A new Fernet key (url-safe base64, 32 bytes) for ``BALCAO_TENANTS_KEY``."""
    return Fernet.generate_key().decode("ascii")


def _cnpj_check_digits_ok(cnpj: str) -> bool:
    """Módulo 11 check digits; ``ord(c) - 48`` also covers the alphanumeric CNPJ (2026)."""
    values = [ord(c) - 48 for c in cnpj[:12]]
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        rest = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
        values.append(0 if rest < 2 else 11 - rest)
    return cnpj[12:] == f"{values[12]}{values[13]}"


class TenantInfo(BaseModel):
    """Everything about a tenant except its secret: safe to list, log and show."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str
    url: str
    db: str = Field(min_length=1)
    login: str = Field(min_length=1)
    secret_kind: Literal["api_key", "password"] = "api_key"
    display_name: str = ""
    cnpj: str | None = None
    environment: Literal["production", "sandbox"] = "production"
    rate_limit_per_minute: int = Field(60, ge=1, le=100_000)
    allowed_company_ids: list[int] = Field(default_factory=list)
    protocol: Literal["auto", "jsonrpc", "xmlrpc", "json2"] = "auto"
    write_tools: list[str] = Field(
        default_factory=list,
        description="Odoo MCP write tools enabled for this tenant (all off unless listed).",
    )

    @field_validator("tenant_id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _TENANT_ID_RE.match(value):
            raise ValueError("tenant id must be lowercase letters, digits, '-' or '_' (max 63)")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must look like https://odoo.example.com")
        if parts.username or parts.password:
            raise ValueError("url must not contain user:password (use login and secret)")
        return value.rstrip("/")

    @field_validator("cnpj")
    @classmethod
    def _check_cnpj(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        raw = re.sub(r"[.\-/\s]", "", value).upper()
        if not re.fullmatch(r"[0-9A-Z]{12}[0-9]{2}", raw) or not _cnpj_check_digits_ok(raw):
            raise ValueError("invalid CNPJ (expected 14 characters with valid check digits)")
        return f"{raw[:2]}.{raw[2:5]}.{raw[5:8]}/{raw[8:12]}-{raw[12:]}"

    @field_validator("allowed_company_ids")
    @classmethod
    def _check_companies(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("company ids are positive integers")
        return value


class TenantConfig(TenantInfo):
    """A tenant with its decrypted secret (API key or password) as ``SecretStr``."""

    secret: SecretStr

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("secret must not be empty")
        return value

    def info(self) -> TenantInfo:
        """The same tenant without its secret."""
        return TenantInfo(**self.model_dump(exclude={"secret"}))


def _fernet(key: str | bytes | SecretStr) -> Fernet:
    raw = key.get_secret_value() if isinstance(key, SecretStr) else key
    try:
        return Fernet(raw.encode("ascii") if isinstance(raw, str) else raw)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise TenantError(
            f"{KEY_ENV} is not a valid Fernet key (32 url-safe base64-encoded bytes); "
            "generate one with `balcao tenants generate-key`"
        ) from None


def _describe(exc: PydanticValidationError) -> str:
    """Pydantic errors without the offending input values (they could be secrets)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
    )


class TenantStore:
    """The tenants file: read, validate, encrypt/decrypt, write atomically.

    Every read goes to disk, so changes made by ``balcao tenants add`` in another process are
    seen immediately; caching is :class:`CredentialManager`'s job. ``key`` may be ``None`` for
    operations that need no secret (``list``).
    """

    def __init__(self, path: str | Path, key: str | bytes | SecretStr | None):
        self.path = Path(path)
        self._key = key
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"TenantStore(path={str(self.path)!r}, key={'***' if self._key else None})"

    # --- raw file ---------------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the tenants file exists."""
        return self.path.is_file()

    def _fernet(self) -> Fernet:
        if not self._key:
            raise TenantError(
                f"{KEY_ENV} is not set: it is needed to read or write secrets in {self.path}; "
                "generate one with `balcao tenants generate-key`"
            )
        return _fernet(self._key)

    def load(self) -> dict[str, dict[str, Any]]:
        """The tenants as raw entries (with ``secret_token``, validated, not decrypted)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TenantError(
                f"tenants file {self.path} not found; create it with `balcao tenants add`"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TenantError(
                f"cannot read tenants file {self.path}: {type(exc).__name__}"
            ) from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TenantError(
                f"tenants file {self.path} is corrupt (line {exc.lineno}, col {exc.colno}): "
                f"{exc.msg}"
            ) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("tenants"), dict):
            raise TenantError(
                f'tenants file {self.path} is corrupt: expected {{"format": {FILE_FORMAT}, '
                '"tenants": {...}}'
            )
        if doc.get("format", FILE_FORMAT) != FILE_FORMAT:
            raise TenantError(
                f"tenants file {self.path} has format {doc.get('format')!r}; this Balcão reads "
                f"format {FILE_FORMAT}"
            )
        entries: dict[str, dict[str, Any]] = {}
        for tenant_id, entry in doc["tenants"].items():
            entries[tenant_id] = self._validate_entry(tenant_id, entry)
        return entries

    def _validate_entry(self, tenant_id: str, entry: Any) -> dict[str, Any]:
        where = f"tenant '{tenant_id}' in {self.path}"
        if not isinstance(entry, dict):
            raise TenantError(f"tenants file {self.path} is corrupt: {where} is not an object")
        if "secret" in entry:
            raise TenantError(
                f"{where} has a plaintext 'secret'; remove it and re-add the tenant with "
                "`balcao tenants add` so it is stored encrypted"
            )
        token = entry.get("secret_token")
        if not isinstance(token, str) or not token:
            raise TenantError(f"{where} has no secret_token; re-add it with `balcao tenants add`")
        fields = {k: v for k, v in entry.items() if k != "secret_token"}
        try:
            info = TenantInfo(tenant_id=tenant_id, **fields)
        except (PydanticValidationError, TypeError) as exc:
            detail = _describe(exc) if isinstance(exc, PydanticValidationError) else "bad fields"
            raise TenantError(f"tenants file {self.path} is invalid: {where}: {detail}") from None
        return {**info.model_dump(exclude={"tenant_id"}), "secret_token": token}

    def save(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        """Write all entries atomically (temp file in the same dir + ``os.replace``), mode 0600."""
        doc = {"format": FILE_FORMAT, "tenants": {k: dict(v) for k, v in sorted(entries.items())}}
        data = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                       dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def _load_or_empty(self) -> dict[str, dict[str, Any]]:
        return self.load() if self.exists() else {}

    # --- tenants ----------------------------------------------------------------------------

    def _unknown(self, tenant_id: str, known: list[str]) -> TenantError:
        return TenantError(
            f"unknown tenant '{tenant_id}' in {self.path} "
            f"(known: {', '.join(sorted(known)) or 'none'})"
        )

    def add(self, tenant: TenantConfig, *, replace: bool = False) -> None:
        """Encrypt the tenant's secret and write it to the file (created if missing)."""
        fernet = self._fernet()
        with self._lock:
            entries = self._load_or_empty()
            if tenant.tenant_id in entries and not replace:
                raise TenantError(
                    f"tenant '{tenant.tenant_id}' already exists in {self.path}; "
                    "use --replace to overwrite it"
                )
            token = fernet.encrypt(tenant.secret.get_secret_value().encode("utf-8"))
            entries[tenant.tenant_id] = {
                **tenant.model_dump(exclude={"tenant_id", "secret"}),
                "secret_token": token.decode("ascii"),
            }
            self.save(entries)

    def remove(self, tenant_id: str) -> None:
        """Delete a tenant from the file."""
        with self._lock:
            entries = self.load()
            if tenant_id not in entries:
                raise self._unknown(tenant_id, list(entries))
            del entries[tenant_id]
            self.save(entries)

    def ids(self) -> list[str]:
        """Tenant ids, sorted."""
        return sorted(self.load())

    def list(self) -> list[TenantInfo]:
        """Every tenant without secrets (no key needed), sorted by id."""
        entries = self.load()
        return [
            TenantInfo(tenant_id=tid, **{k: v for k, v in entry.items() if k != "secret_token"})
            for tid, entry in sorted(entries.items())
        ]

    def _decrypt(self, fernet: Fernet, tenant_id: str, token: str) -> str:
        try:
            return fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise TenantError(
                f"cannot decrypt secrets of tenant '{tenant_id}' in {self.path}: wrong "
                f"{KEY_ENV} (or the file was encrypted with another key)"
            ) from None

    def get(self, tenant_id: str) -> TenantConfig:
        """The tenant with its secret decrypted."""
        entries = self.load()
        entry = entries.get(tenant_id)
        if entry is None:
            raise self._unknown(tenant_id, list(entries))
        secret = self._decrypt(self._fernet(), tenant_id, entry["secret_token"])
        fields = {k: v for k, v in entry.items() if k != "secret_token"}
        return TenantConfig(tenant_id=tenant_id, secret=SecretStr(secret), **fields)

    def rotate_key(self, new_key: str | bytes | SecretStr) -> int:
        """Re-encrypt every secret with ``new_key`` in one atomic write; returns the count.

        All secrets are decrypted first, so a wrong current key leaves the file untouched.
        After this the store uses ``new_key``; set ``BALCAO_TENANTS_KEY`` to it.
        """
        new_fernet = _fernet(new_key)
        with self._lock:
            old_fernet = self._fernet()
            entries = self.load()
            for tenant_id, entry in entries.items():
                plain = self._decrypt(old_fernet, tenant_id, entry["secret_token"])
                entry["secret_token"] = new_fernet.encrypt(plain.encode("utf-8")).decode("ascii")
            self.save(entries)
            self._key = new_key
            return len(entries)


def tenant_from_settings(settings: Settings) -> TenantConfig:
    """The single tenant described by the ``ODOO_*`` settings (fallback when no file exists).

    ``secret_kind`` is guessed (40 hex chars = API key); ``environment`` is ``sandbox`` for a
    loopback URL (the embedded Odoo), else ``production``.
    """
    secret = settings.odoo_secret.get_secret_value()
    host = urlsplit(settings.odoo_url).hostname or ""
    return TenantConfig(
        tenant_id=settings.default_tenant,
        url=settings.odoo_url,
        db=settings.odoo_db,
        login=settings.odoo_login,
        secret=SecretStr(secret),
        secret_kind="api_key" if _API_KEY_RE.fullmatch(secret) else "password",
        display_name=settings.odoo_db,
        environment="sandbox" if host in ("127.0.0.1", "localhost", "::1") else "production",
        protocol=settings.odoo_protocol,
        write_tools=settings.odoo_write_tool_list,
        rate_limit_per_minute=settings.odoo_rate_limit_per_minute,
    )


ConnectorFactory = Callable[[TenantConfig], OdooConnector]


def default_connector_factory(tenant: TenantConfig) -> OdooConnector:
    """An OdooConnector for ``tenant`` with the connector's default timeouts and context."""
    return OdooConnector(
        tenant.url, tenant.db, tenant.login, tenant.secret,
        protocol=tenant.protocol, company_ids=tenant.allowed_company_ids or None,
        secret_kind=tenant.secret_kind,
    )


class _ConnectorCache(TTLCache):
    """``cachetools.TTLCache`` that hands every connector leaving it to ``on_evict``.

    cachetools drops entries in three places: :meth:`expire` (TTL, also called on every insert
    and by ``len()``), :meth:`popitem` (size limit, least recently used first) and :meth:`clear`;
    each is hooked so an evicted connector can be closed. Not thread-safe: the caller locks.
    """

    def __init__(
        self,
        maxsize: int,
        ttl: float,
        timer: Callable[[], float],
        on_evict: Callable[[OdooConnector], None],
    ):
        super().__init__(maxsize, ttl, timer=timer)
        self._on_evict = on_evict

    def expire(self, time: float | None = None) -> list[tuple[str, OdooConnector]]:
        expired = super().expire(time)
        for _tenant_id, connector in expired:
            self._on_evict(connector)
        return expired

    def popitem(self) -> tuple[str, OdooConnector]:
        tenant_id, connector = super().popitem()
        self._on_evict(connector)
        return tenant_id, connector

    def clear(self) -> None:
        with self.timer as now:  # one instant, so nothing expires between the two steps
            self.expire(now)
            connectors = list(self.values())
        super().clear()
        for connector in connectors:
            self._on_evict(connector)


class CredentialManager:
    """Decrypted tenants and their connectors, cached with a TTL and a maximum size.

    Why a cache: decrypting and re-reading the file on every tool call is wasteful, but keeping
    secrets forever in memory means a rotated/revoked key is never noticed. After ``ttl_s``
    the tenant is re-read from disk. Evicted connectors are closed after ``close_grace_s`` so a
    call still running on another thread is not cut. ``fallback`` is served only while the
    tenants file does not exist (see module docstring).
    """

    def __init__(
        self,
        store: TenantStore,
        ttl_s: float = 1800.0,
        max_size: int = 128,
        *,
        fallback: TenantConfig | None = None,
        connector_factory: ConnectorFactory = default_connector_factory,
        clock: Callable[[], float] = time.monotonic,
        close_grace_s: float = 300.0,
    ):
        if max_size < 1:
            raise ValueError("maxsize must be >= 1")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be > 0")
        self.store = store
        self.fallback = fallback
        self._factory = connector_factory
        self._clock = clock
        self._close_grace_s = close_grace_s
        # cachetools caches are not thread-safe: every access below holds self._lock.
        self._lock = threading.RLock()
        self._configs: TTLCache[str, TenantConfig] = TTLCache(max_size, ttl_s, timer=clock)
        self._connectors = _ConnectorCache(max_size, ttl_s, clock, self._retire)
        self._retired: list[tuple[float, OdooConnector]] = []

    @classmethod
    def from_settings(
        cls, settings: Settings, *, connector_factory: ConnectorFactory | None = None
    ) -> CredentialManager:
        """Store, cache sizes, connector timeouts/lang/tz and fallback tenant from settings."""

        def factory(tenant: TenantConfig) -> OdooConnector:
            return OdooConnector(
                tenant.url, tenant.db, tenant.login, tenant.secret,
                protocol=tenant.protocol, timeout_s=settings.odoo_timeout_s,
                read_retries=settings.odoo_read_retries, lang=settings.odoo_lang,
                tz=settings.odoo_tz, company_ids=tenant.allowed_company_ids or None,
                secret_kind=tenant.secret_kind,
            )

        return cls(
            TenantStore(settings.tenants_file, settings.tenants_key),
            ttl_s=settings.tenant_cache_ttl_s,
            max_size=settings.tenant_cache_size,
            fallback=tenant_from_settings(settings),
            connector_factory=connector_factory or factory,
        )

    def __repr__(self) -> str:
        with self._lock:
            return f"CredentialManager(store={self.store!r}, cached={len(self._configs)})"

    def _retire(self, connector: OdooConnector) -> None:
        self._retired.append((self._clock(), connector))

    def _reap(self, *, force: bool = False) -> None:
        """Close retired connectors whose grace period is over."""
        now = self._clock()
        keep: list[tuple[float, OdooConnector]] = []
        for retired_at, connector in self._retired:
            if force or now - retired_at >= self._close_grace_s:
                connector.close()
            else:
                keep.append((retired_at, connector))
        self._retired = keep

    def get(self, tenant_id: str) -> TenantConfig:
        """The tenant's config with its decrypted secret (from cache while fresh)."""
        with self._lock:
            self._configs.expire()  # drop stale decrypted secrets now, not at the next insert
            cached = self._configs.get(tenant_id)
            if cached is not None:
                return cached
            if self.fallback is not None and not self.store.exists():
                if tenant_id != self.fallback.tenant_id:
                    raise TenantError(
                        f"unknown tenant '{tenant_id}': tenants file {self.store.path} not "
                        f"found (only the default tenant '{self.fallback.tenant_id}' from "
                        "ODOO_* settings is available); create it with `balcao tenants add`"
                    )
                tenant = self.fallback
            else:
                tenant = self.store.get(tenant_id)
            self._configs[tenant_id] = tenant
            return tenant

    def tenants(self) -> list[TenantInfo]:
        """Every tenant that can be served, without secrets (file, or the settings fallback)."""
        if self.fallback is not None and not self.store.exists():
            return [self.fallback.info()]
        return self.store.list()

    def connector(self, tenant_id: str) -> OdooConnector:
        """The tenant's OdooConnector, created once per TTL period and shared by callers."""
        with self._lock:
            self._connectors.expire()  # retire expired connectors (their grace starts now)
            self._reap()
            cached = self._connectors.get(tenant_id)
            if cached is not None:
                return cached
            connector = self._factory(self.get(tenant_id))
            self._connectors[tenant_id] = connector
            return connector

    def reload(self) -> None:
        """Forget every cached tenant and connector and re-read the file now (no restart).

        Raises TenantError if the file became unreadable, so a bad edit is reported at once.
        """
        with self._lock:
            self._configs.clear()
            self._connectors.clear()
            if self.store.exists():
                self.store.load()

    def close(self) -> None:
        """Close every connector (cached and retired) and drop all caches."""
        with self._lock:
            self._configs.clear()
            self._connectors.clear()
            self._reap(force=True)
