"""``OdooConnector``: the one object the rest of Balcão uses to talk to an Odoo database.

Why it exists on top of the transports: it owns the things that must be identical whatever the
protocol — protocol auto-detection (JSON-RPC for 17/18, JSON-2 for 19+), lazy and thread-safe
authentication, the context sent on every call (``lang``, ``tz``, ``allowed_company_ids``),
retries that are safe (idempotent reads only, connection failures only), and typed helpers
that encode the version traps of the external API (no ``search(count=True)``, ``name_search``
domain passed positionally, storable-product detection via ``fields_get``).

Demo (embedded sandbox, db ``casaobra``)::

    with OdooConnector("http://127.0.0.1:8069", "casaobra", "vendas",
                       "171dd109876ea19ba00e68de5edfa2e5b3ef5443") as odoo:
        odoo.search_read("res.partner", [["customer_rank", ">", 0]], ["name"], limit=5)
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
from pydantic import SecretStr
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from mcp_servers.odoo.errors import (
    AccessDenied,
    AccessError,
    EndpointNotFound,
    OdooConnectionError,
    UserError,
    redact,
)
from mcp_servers.odoo.transports import (
    Json2Transport,
    JsonRpcTransport,
    Transport,
    XmlRpcTransport,
    host_of,
    make_client,
)

if TYPE_CHECKING:
    from mcp_servers.settings import Settings

log = logging.getLogger(__name__)

Protocol = Literal["auto", "jsonrpc", "xmlrpc", "json2"]
SecretKind = Literal["api_key", "password"]
T = TypeVar("T")

#: Methods that only read: safe to retry after a connection failure.
READ_METHODS = frozenset(
    {"search", "search_read", "read", "search_count", "fields_get", "name_search", "read_group"}
)
_API_KEY_RE = re.compile(r"[0-9a-f]{40}")
_MAJOR_RE = re.compile(r"(\d+)")


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, OdooConnectionError) and exc.retryable


def parse_major(version_info: Any, version: Any = None) -> int | None:
    """Major version from ``server_version_info[0]`` (17, or ``"saas~17"`` on SaaS builds)."""
    for candidate in ((version_info or [None])[0] if version_info else None, version):
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return candidate
        if isinstance(candidate, str):
            match = _MAJOR_RE.search(candidate)
            if match:
                return int(match.group(1))
    return None


@dataclass(frozen=True)
class Capabilities:
    """What this database supports, detected with ``fields_get`` rather than the version.

    ``storable_field`` is ``"is_storable"`` on 18+ (boolean "Track Inventory"), ``"type"`` on
    16/17 (``type == "product"``), or ``None`` when ``stock`` is not installed.
    """

    server_version: int | None
    storable_field: Literal["is_storable", "type"] | None

    @property
    def has_stock(self) -> bool:
        """Whether storable products exist at all (module ``stock`` installed)."""
        return self.storable_field is not None

    @property
    def storable_domain(self) -> list[list[Any]] | None:
        """Domain selecting storable products on product.product/template (a fresh list)."""
        if self.storable_field == "is_storable":
            return [["is_storable", "=", True]]
        if self.storable_field == "type":
            return [["type", "=", "product"]]
        return None


class OdooConnector:
    """A thread-safe client for one Odoo database as one user.

    ``secret`` is an API key (preferred) or a password. ``protocol="auto"`` asks
    ``common.version`` over JSON-RPC and switches to JSON-2 on 19+ when the secret is an API key
    (``secret_kind``, or a 40-hex-char secret when not given); if ``/jsonrpc`` is gone (404) it
    uses JSON-2 after ``GET /web/version``. ``company_ids`` becomes ``allowed_company_ids`` on
    every call (the first id is the current company). ``transport`` injects a ready transport
    (tests, custom wiring) and skips detection; ``http_client`` shares an ``httpx.Client``
    (not closed by :meth:`close`). ``retry_wait_s`` is the backoff base; ``sleep`` is injectable.
    """

    def __init__(
        self,
        url: str,
        db: str,
        login: str,
        secret: str | SecretStr,
        *,
        protocol: Protocol = "auto",
        timeout_s: float = 15.0,
        read_retries: int = 3,
        lang: str | None = "pt_BR",
        tz: str | None = "America/Sao_Paulo",
        company_ids: Sequence[int] | None = None,
        secret_kind: SecretKind | None = None,
        transport: Transport | None = None,
        http_client: httpx.Client | None = None,
        retry_wait_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if protocol not in ("auto", "jsonrpc", "xmlrpc", "json2"):
            raise ValueError(f"unknown Odoo protocol {protocol!r}")
        self.url = url.rstrip("/")
        self.db = db
        self.login = login
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self.requested_protocol: Protocol = protocol
        self.timeout_s = timeout_s
        self.read_retries = max(0, read_retries)
        self.lang = lang
        self.tz = tz
        self.company_ids: list[int] | None = list(company_ids) if company_ids else None
        self.secret_kind = secret_kind
        self._retry_wait_s = retry_wait_s
        self._sleep = sleep
        self._lock = threading.RLock()
        self._owns_client = http_client is None and transport is None
        self._client = http_client or (make_client(timeout_s) if transport is None else None)
        self._transport: Transport | None = transport
        self._uid: int | None = None
        self._version_info: dict[str, Any] | None = None
        self._server_version: int | None = None
        self._capabilities: Capabilities | None = None
        self._closed = False

    # --- construction / lifecycle -----------------------------------------------------------

    @classmethod
    def from_settings(cls, settings: Settings) -> OdooConnector:
        """The single-tenant connector described by ``ODOO_*`` / ``BALCAO_ODOO_*``."""
        return cls(
            settings.odoo_url,
            settings.odoo_db,
            settings.odoo_login,
            settings.odoo_secret,
            protocol=settings.odoo_protocol,
            timeout_s=settings.odoo_timeout_s,
            read_retries=settings.odoo_read_retries,
            lang=settings.odoo_lang,
            tz=settings.odoo_tz,
        )

    def close(self) -> None:
        """Close the HTTP connections. The connector must not be used afterwards."""
        with self._lock:
            self._closed = True
            if self._client is not None and self._owns_client:
                self._client.close()

    def __enter__(self) -> OdooConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"OdooConnector(url={self.url!r}, db={self.db!r}, login={self.login!r}, "
            f"protocol={self.protocol!r}, uid={self._uid!r})"
        )

    # --- state ------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``host[:port]`` of the server, safe for messages."""
        return host_of(self.url)

    @property
    def protocol(self) -> str:
        """The protocol in use once detected (``"auto"`` before the first call)."""
        transport = self._transport
        if transport is None:
            return self.requested_protocol
        return str(getattr(transport, "name", self.requested_protocol))

    @property
    def server_version(self) -> int | None:
        """Major Odoo version (17, 18, 19...) once known (after detection or ``version()``)."""
        return self._server_version

    @property
    def uid(self) -> int | None:
        """The authenticated user id, or ``None`` before authentication."""
        return self._uid

    def _secret_value(self) -> str:
        return self._secret.get_secret_value()

    def _secret_is_api_key(self) -> bool:
        if self.secret_kind is not None:
            return self.secret_kind == "api_key"
        return bool(_API_KEY_RE.fullmatch(self._secret_value()))

    def _redact(self, text: str) -> str:
        return redact(text, (self._secret_value(),))

    def _retrying(self, fn: Callable[[], T]) -> T:
        """Run an idempotent call, retrying connection failures with exponential backoff."""
        if self.read_retries <= 0:
            return fn()
        retryer = Retrying(
            stop=stop_after_attempt(self.read_retries + 1),
            wait=wait_exponential(multiplier=self._retry_wait_s, max=10),
            retry=retry_if_exception(_is_retryable),
            reraise=True,
            sleep=self._sleep,
            before_sleep=lambda state: log.warning(
                "Odoo at %s unreachable (attempt %d), retrying: %s",
                self.host, state.attempt_number,
                state.outcome.exception() if state.outcome else "",
            ),
        )
        return retryer(fn)

    def _build_transport(self, name: str) -> Transport:
        kinds: dict[str, type[JsonRpcTransport | XmlRpcTransport | Json2Transport]] = {
            "jsonrpc": JsonRpcTransport, "xmlrpc": XmlRpcTransport, "json2": Json2Transport,
        }
        return kinds[name](
            self.url, self._client, timeout_s=self.timeout_s, secrets=(self._secret_value(),)
        )

    def _remember_version(self, info: Any) -> dict[str, Any]:
        info = dict(info) if isinstance(info, Mapping) else {}
        self._version_info = info
        self._server_version = parse_major(
            info.get("server_version_info"), info.get("server_version")
        )
        return info

    # --- detection and authentication -------------------------------------------------------

    def _ensure_transport(self) -> Transport:
        """Pick the transport once (thread-safe); auto mode probes the server."""
        if self._closed:
            raise OdooConnectionError(
                f"this OdooConnector for {self.host} was closed", retryable=False
            )
        if self._transport is not None:
            return self._transport
        with self._lock:
            if self._transport is not None:
                return self._transport
            if self.requested_protocol != "auto":
                self._transport = self._build_transport(self.requested_protocol)
                return self._transport
            jsonrpc = self._build_transport("jsonrpc")
            try:
                info = self._remember_version(
                    self._retrying(lambda: jsonrpc.call_common("version", []))
                )
            except EndpointNotFound:
                json2 = self._build_transport("json2")
                info = self._remember_version(
                    self._retrying(lambda: json2.call_common("version", []))
                )
                log.info("Odoo at %s has no /jsonrpc; using JSON-2 (%s)",
                         self.host, info.get("server_version"))
                self._transport = json2
                return json2
            major = self._server_version or 0
            if major >= 19 and self._secret_is_api_key():
                self._transport = self._build_transport("json2")
            else:
                if major >= 19:
                    log.info("Odoo %s at %s: JSON-2 needs an API key; using JSON-RPC", major,
                             self.host)
                self._transport = jsonrpc
            return self._transport

    def version(self) -> dict[str, Any]:
        """``common.version``: ``{"server_version": "17.0", "server_version_info": [...]}``."""
        transport = self._ensure_transport()
        info = self._retrying(lambda: transport.call_common("version", []))
        with self._lock:
            return dict(self._remember_version(info))

    def authenticate(self) -> int:
        """Log in (again) and cache the uid. Raises AccessDenied if Odoo answers ``false``."""
        transport = self._ensure_transport()
        with self._lock:
            uid = self._retrying(
                lambda: transport.call_common(
                    "authenticate", [self.db, self.login, self._secret_value(), {}]
                )
            )
            if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
                self._uid = None
                raise AccessDenied(
                    self._redact(
                        f"Odoo at {self.host} refused login '{self.login}' on database "
                        f"'{self.db}' (Access Denied): check the login and its API key or "
                        "password; API keys can expire (18+) and 2FA users need an API key"
                    ),
                    odoo_name="odoo.exceptions.AccessDenied",
                )
            self._uid = uid
            return uid

    def _ensure_uid(self) -> int:
        uid = self._uid
        if uid is not None:
            return uid
        with self._lock:
            return self._uid if self._uid is not None else self.authenticate()

    # --- the one generic call ---------------------------------------------------------------

    def _context(
        self,
        *overrides: Mapping[str, Any] | None,
        company_ids: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """Context for one call: defaults, then caller overrides, then per-call companies."""
        ctx: dict[str, Any] = {}
        if self.lang:
            ctx["lang"] = self.lang
        if self.tz:
            ctx["tz"] = self.tz
        if self.company_ids:
            ctx["allowed_company_ids"] = list(self.company_ids)
        for override in overrides:
            if override:
                ctx.update(override)
        if company_ids is not None:
            if company_ids:
                ctx["allowed_company_ids"] = list(company_ids)
            else:
                ctx.pop("allowed_company_ids", None)
        return ctx

    def execute_kw(
        self,
        model: str,
        method: str,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> Any:
        """``model.method(*args, **kwargs)`` with the connector's context merged in.

        Reads (:data:`READ_METHODS`) are retried on connection failures; everything else runs
        exactly once, because a write whose answer was lost may already be committed.
        """
        call_args = list(args or [])
        call_kwargs = dict(kwargs or {})
        if method == "search" and "count" in call_kwargs:
            raise ValueError("search(count=True) fails on Odoo 17+: use search_count()")
        call_kwargs["context"] = self._context(
            call_kwargs.pop("context", None), context, company_ids=company_ids
        )
        transport = self._ensure_transport()
        uid = self._ensure_uid()

        def once() -> Any:
            try:
                return transport.execute_kw(
                    self.db, uid, self._secret_value(), model, method, call_args, call_kwargs
                )
            except AccessDenied:
                with self._lock:  # key revoked/expired: authenticate again next time
                    self._uid = None
                raise

        return self._retrying(once) if method in READ_METHODS else once()

    # --- typed helpers ----------------------------------------------------------------------

    def search(
        self,
        model: str,
        domain: Sequence[Any],
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> list[int]:
        """Ids matching ``domain``. Use :meth:`search_count` to count (never ``count=True``)."""
        kwargs = _non_default(offset=offset, limit=limit, order=order)
        return self.execute_kw(model, "search", [list(domain)], kwargs,
                               context=context, company_ids=company_ids)

    def search_read(
        self,
        model: str,
        domain: Sequence[Any],
        fields: Sequence[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Records matching ``domain`` as dicts. Pass ``limit``: Odoo has no implicit one."""
        kwargs = _non_default(offset=offset, limit=limit, order=order)
        if fields is not None:
            kwargs["fields"] = list(fields)
        return self.execute_kw(model, "search_read", [list(domain)], kwargs,
                               context=context, company_ids=company_ids)

    def read(
        self,
        model: str,
        ids: int | Sequence[int],
        fields: Sequence[str] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Read records by id. Deleted ids are silently dropped by Odoo (no MissingError)."""
        kwargs = {"fields": list(fields)} if fields is not None else {}
        return self.execute_kw(model, "read", [_ids(ids)], kwargs,
                               context=context, company_ids=company_ids)

    def search_count(
        self,
        model: str,
        domain: Sequence[Any],
        limit: int | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> int:
        """Number of records matching ``domain`` (capped at ``limit`` when given)."""
        return self.execute_kw(model, "search_count", [list(domain)], _non_default(limit=limit),
                               context=context, company_ids=company_ids)

    def create(
        self,
        model: str,
        vals: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> int | list[int]:
        """Create one record (dict → id) or several (list of dicts → list of ids). Not retried."""
        payload: Any = dict(vals) if isinstance(vals, Mapping) else [dict(v) for v in vals]
        return self.execute_kw(model, "create", [payload], {},
                               context=context, company_ids=company_ids)

    def write(
        self,
        model: str,
        ids: int | Sequence[int],
        vals: Mapping[str, Any],
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> bool:
        """Update records. MissingError if an id no longer exists. Not retried."""
        return self.execute_kw(model, "write", [_ids(ids), dict(vals)], {},
                               context=context, company_ids=company_ids)

    def unlink(
        self,
        model: str,
        ids: int | Sequence[int],
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> bool:
        """Delete records. Not retried."""
        return self.execute_kw(model, "unlink", [_ids(ids)], {},
                               context=context, company_ids=company_ids)

    def fields_get(
        self,
        model: str,
        fields: Sequence[str] | None = None,
        attributes: Sequence[str] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Field definitions; only the fields that exist are returned (capability probe)."""
        kwargs: dict[str, Any] = {}
        if fields is not None:
            kwargs["allfields"] = list(fields)
        if attributes is not None:
            kwargs["attributes"] = list(attributes)
        return self.execute_kw(model, "fields_get", [], kwargs,
                               context=context, company_ids=company_ids)

    def name_search(
        self,
        model: str,
        name: str,
        domain: Sequence[Any] | None = None,
        operator: str = "ilike",
        limit: int = 100,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> list[list[Any]]:
        """``[[id, display_name], ...]``. The domain goes positionally: its keyword is ``args``
        on 17/18 and ``domain`` on 19, so naming it would break one of them."""
        args = [name, list(domain or []), operator, limit]
        return self.execute_kw(model, "name_search", args, {},
                               context=context, company_ids=company_ids)

    def read_group(
        self,
        model: str,
        domain: Sequence[Any],
        fields: Sequence[str],
        groupby: str | Sequence[str],
        offset: int = 0,
        limit: int | None = None,
        orderby: str | bool = False,
        lazy: bool = True,
        *,
        context: Mapping[str, Any] | None = None,
        company_ids: Sequence[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Grouped aggregates (``"amount_total:sum"``). Deprecated but present on 19."""
        groups = [groupby] if isinstance(groupby, str) else list(groupby)
        kwargs: dict[str, Any] = {"lazy": lazy}
        kwargs.update(_non_default(offset=offset, limit=limit))
        if orderby:
            kwargs["orderby"] = orderby
        return self.execute_kw(model, "read_group", [list(domain), list(fields), groups], kwargs,
                               context=context, company_ids=company_ids)

    def call(self, model: str, method: str, ids: int | Sequence[int], *args: Any,
             **kwargs: Any) -> Any:
        """A business method on records, e.g. ``call("sale.order", "action_confirm", [7])``.

        ``context`` and ``company_ids`` keyword arguments are taken by the connector (as Odoo
        itself pops ``context``); every other keyword goes to the method. Not retried.
        """
        context = kwargs.pop("context", None)
        company_ids = kwargs.pop("company_ids", None)
        return self.execute_kw(model, method, [_ids(ids), *args], kwargs,
                               context=context, company_ids=company_ids)

    # --- capabilities -----------------------------------------------------------------------

    def capabilities(self, *, refresh: bool = False) -> Capabilities:
        """Detect version-dependent features once (cached), e.g. how to filter storable products.

        18+ has the boolean ``is_storable``; 16/17 mark storable products with
        ``type == "product"``; without ``stock`` (or without products) neither exists.
        """
        if self._capabilities is not None and not refresh:
            return self._capabilities
        if self._server_version is None:
            self.version()
        try:
            fields = self.fields_get("product.product", ["is_storable", "type"],
                                     ["type", "selection"])
        except (AccessDenied, AccessError):
            raise
        except UserError as exc:  # "Object product.product doesn't exist": no product module
            log.info("product.product unavailable on %s: %s", self.host, exc)
            fields = {}
        storable: Literal["is_storable", "type"] | None = None
        if "is_storable" in fields:
            storable = "is_storable"
        elif any(key == "product" for key, *_ in (fields.get("type", {}).get("selection") or [])):
            storable = "type"
        caps = Capabilities(server_version=self._server_version, storable_field=storable)
        self._capabilities = caps
        return caps


def _ids(ids: int | Sequence[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)


def _non_default(**values: Any) -> dict[str, Any]:
    """Only the kwargs that differ from Odoo's defaults (0 / None): smaller, version-proof calls."""
    return {k: v for k, v in values.items() if v not in (None, 0, "") or v is False}
