"""The three ways to talk to Odoo, behind one interface.

Why three: JSON-RPC (``/jsonrpc``) is the best choice for Odoo 14-18 (class names in errors,
``None`` results are safe); JSON-2 (``/json/2``) is Odoo 19's API and the only one left after
22; XML-RPC (``/xmlrpc/2``) is the lowest common denominator, kept as a fallback. The
connector picks one; everything above it only sees :class:`Transport`.

All three go through one ``httpx.Client`` (owned by the connector) so connections are reused
and every call honours the same timeout. ``xmlrpc.client.ServerProxy`` is deliberately not
used: it opens a new connection per call and has no real timeout control.
"""

from __future__ import annotations

import abc
import itertools
import json
import threading
import xmlrpc.client
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError

import httpx

from mcp_servers.odoo.errors import (
    AccessDenied,
    EndpointNotFound,
    OdooConnectionError,
    OdooError,
    from_json2_error,
    from_jsonrpc_error,
    from_xmlrpc_fault,
    is_marshal_none_fault,
    redact,
)
from mcp_servers.odoo.json2_params import to_json2_body

USER_AGENT = "balcao-odoo-connector/0.1"


@runtime_checkable
class Transport(Protocol):
    """What the connector needs from a wire protocol.

    ``call_common`` covers the unauthenticated ``common`` service (``version``,
    ``authenticate``); ``execute_kw`` is ``object.execute_kw`` with Odoo's exact signature.
    Both raise :class:`~mcp_servers.odoo.errors.OdooError` subclasses, never httpx errors.
    """

    name: str

    def call_common(self, method: str, args: Sequence[Any]) -> Any:
        """Call ``common.<method>(*args)``."""
        ...

    def execute_kw(
        self,
        db: str,
        uid: int,
        secret: str,
        model: str,
        method: str,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> Any:
        """Call ``model.method(*args, **kwargs)`` as ``uid``."""
        ...


def host_of(url: str) -> str:
    """``host[:port]`` of ``url`` without user:password, for error messages."""
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host


def make_client(timeout_s: float) -> httpx.Client:
    """The shared HTTP client: keep-alive pool, one timeout for connect/read/write/pool."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout_s),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class _HttpTransport:
    """Common plumbing: URL, client, secret redaction, and httpx → OdooConnectionError."""

    name = "http"

    def __init__(
        self,
        url: str,
        client: httpx.Client | None = None,
        *,
        timeout_s: float = 15.0,
        secrets: Iterable[str | None] = (),
    ):
        self.url = url.rstrip("/")
        self.host = host_of(self.url)
        self._owns_client = client is None
        self.client = client if client is not None else make_client(timeout_s)
        self._secrets = tuple(s for s in secrets if s)

    def close(self) -> None:
        """Close the HTTP client if this transport created it."""
        if self._owns_client:
            self.client.close()

    def _redact(self, text: str, extra: Iterable[str | None] = ()) -> str:
        return redact(text, (*self._secrets, *extra))

    def _send(self, request_method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one HTTP request; turn every transport failure into OdooConnectionError."""
        where = f"Odoo at {self.host}"
        try:
            return self.client.request(request_method, f"{self.url}{path}", **kwargs)
        except httpx.TimeoutException:
            raise OdooConnectionError(
                f"timed out talking to {where} ({path}); check that the server is up and "
                "not overloaded, or raise BALCAO_ODOO_TIMEOUT_S",
            ) from None  # httpx errors carry the full URL (and any user:password in it)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            raise OdooConnectionError(
                f"invalid Odoo URL for {where}; it must look like https://odoo.example.com",
                retryable=False,
            ) from None
        except httpx.HTTPError as exc:
            raise OdooConnectionError(
                f"cannot reach {where} ({path}): {type(exc).__name__}; check the URL "
                "(ODOO_URL / tenant url), DNS, firewall and that Odoo is running",
            ) from None

    def _check_status(self, response: httpx.Response, path: str) -> None:
        """Non-200 on RPC routes is never Odoo's ORM talking: 404 = no such route, else HTTP."""
        status = response.status_code
        if status == 200:
            return
        if status == 404:
            raise EndpointNotFound(
                f"Odoo at {self.host} has no {path} route (HTTP 404); check the URL and the "
                "protocol (Odoo 19+ uses JSON-2, Odoo 22 drops /jsonrpc and /xmlrpc)",
            )
        raise OdooConnectionError(
            f"Odoo at {self.host} answered HTTP {status} on {path}; check the URL, any reverse "
            "proxy in front of Odoo, and the server logs",
            code=status,
            retryable=status >= 500 or status in (408, 429),
        )


class _ServiceTransport(_HttpTransport, abc.ABC):
    """The ``common``/``object`` services shared by JSON-RPC and XML-RPC; ``_call`` differs."""

    @abc.abstractmethod
    def _call(self, service: str, method: str, params: Sequence[Any], secret: str | None
              ) -> Any:
        """Send ``service.method(*params)``; ``secret`` is redacted from any error."""

    def call_common(self, method: str, args: Sequence[Any]) -> Any:
        """``common.<method>``; the password of ``authenticate`` is redacted from errors."""
        secret = args[2] if method in ("authenticate", "login") and len(args) > 2 else None
        return self._call("common", method, args, secret if isinstance(secret, str) else None)

    def execute_kw(
        self,
        db: str,
        uid: int,
        secret: str,
        model: str,
        method: str,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> Any:
        """``object.execute_kw(db, uid, secret, model, method, args, kwargs)``."""
        return self._call(
            "object", "execute_kw", [db, uid, secret, model, method, list(args), dict(kwargs)],
            secret,
        )


class JsonRpcTransport(_ServiceTransport):
    """``POST /jsonrpc`` (reference §1.1). Errors come back as HTTP 200 + ``error``."""

    name = "jsonrpc"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()

    def _next_id(self) -> int:
        with self._ids_lock:
            return next(self._ids)

    def _call(self, service: str, method: str, args: Sequence[Any], secret: str | None) -> Any:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": self._next_id(),
            "params": {"service": service, "method": method, "args": list(args)},
        }
        response = self._send("POST", "/jsonrpc", json=payload)
        self._check_status(response, "/jsonrpc")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise OdooConnectionError(
                f"Odoo at {self.host} did not answer JSON on /jsonrpc; check that the URL "
                "points to Odoo and not to a login page or proxy",
                retryable=False,
            ) from None
        if not isinstance(body, dict):
            raise OdooConnectionError(
                f"Odoo at {self.host} answered an unexpected JSON-RPC payload", retryable=False
            )
        if body.get("error") is not None:
            raise from_jsonrpc_error(body["error"], secret=(*self._secrets, secret))
        # A method returning None yields no "result" key at all (reference §1.1).
        return body.get("result")



def none_to_false(value: Any) -> Any:
    """Replace ``None`` by ``False`` recursively: Odoo's XML-RPC has allow_none off."""
    if value is None:
        return False
    if isinstance(value, Mapping):
        return {k: none_to_false(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [none_to_false(v) for v in value]
    return value


class XmlRpcTransport(_ServiceTransport):
    """``POST /xmlrpc/2/common`` and ``/xmlrpc/2/object`` (reference §1.2).

    Bodies are built with ``xmlrpc.client.dumps``/``loads`` and sent through httpx.
    ``None`` is never sent (converted to ``False``). When a method *returns* None, Odoo
    commits and then fails to marshal it (fault 1 "cannot marshal None"); that fault is
    returned as ``None``, like JSON-RPC, so callers don't retry an action that already ran.
    """

    name = "xmlrpc"

    def _call(self, service: str, method: str, params: Sequence[Any], secret: str | None) -> Any:
        path = f"/xmlrpc/2/{service}"
        body = xmlrpc.client.dumps(tuple(none_to_false(list(params))), method, allow_none=False)
        response = self._send(
            "POST", path, content=body.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        self._check_status(response, path)
        try:
            result, _ = xmlrpc.client.loads(response.content)
        except xmlrpc.client.Fault as fault:
            if is_marshal_none_fault(fault):
                return None
            raise from_xmlrpc_fault(fault, secret=(*self._secrets, secret)) from None
        except (ExpatError, xmlrpc.client.ResponseError, ValueError):
            raise OdooConnectionError(
                f"Odoo at {self.host} did not answer XML-RPC on {path}; check that the URL "
                "points to Odoo",
                retryable=False,
            ) from None
        return result[0] if result else None



class Json2Transport(_HttpTransport):
    """Odoo 19 ``POST /json/2/<model>/<method>`` with a bearer API key (reference §1.6).

    Stateless: the API key authenticates every request, the database goes in
    ``X-Odoo-Database``. ``call_common`` emulates the two ``common`` methods the connector
    uses: ``version`` (``GET /web/version``, reshaped like ``common.version``) and
    ``authenticate`` (``context_get`` → ``uid``; ``False`` when the key is refused, exactly as
    ``common.authenticate`` answers). The login is not checked: the key decides the user.
    """

    name = "json2"

    def version(self) -> dict[str, Any]:
        """``GET /web/version`` → ``{"version_info": [19, 0, ...], "version": "19.0"}``."""
        response = self._send("GET", "/web/version")
        self._check_status(response, "/web/version")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise OdooConnectionError(
                f"Odoo at {self.host} did not answer JSON on /web/version", retryable=False
            ) from None
        if not isinstance(body, dict):
            raise OdooConnectionError(
                f"Odoo at {self.host} answered an unexpected /web/version payload",
                retryable=False,
            )
        return body

    def call_common(self, method: str, args: Sequence[Any]) -> Any:
        """``version`` and ``authenticate`` only; other ``common`` methods don't exist here."""
        if method == "version":
            raw = self.version()
            info = raw.get("version_info") or raw.get("server_version_info") or []
            version = raw.get("version") or raw.get("server_version") or ""
            return {
                "server_version": version,
                "server_version_info": info,
                "server_serie": raw.get("server_serie") or version,
                "protocol_version": raw.get("protocol_version", 1),
                **raw,
            }
        if method in ("authenticate", "login"):
            db, _login, secret = args[0], args[1], args[2]
            try:
                context = self.execute_kw(db, 0, secret, "res.users", "context_get", [], {})
            except OdooError as exc:
                if isinstance(exc, AccessDenied) or exc.code == 401:
                    return False
                raise
            uid = context.get("uid") if isinstance(context, dict) else None
            return uid if isinstance(uid, int) and not isinstance(uid, bool) else False
        raise OdooConnectionError(
            f"common.{method} is not available over JSON-2", retryable=False
        )

    def execute_kw(
        self,
        db: str,
        uid: int,
        secret: str,
        model: str,
        method: str,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> Any:
        """Map positional ``args`` to named params and POST them; ``uid`` is implied by the key."""
        del uid  # the bearer key identifies the user
        body = to_json2_body(method, args, kwargs)
        path = f"/json/2/{model}/{method}"
        headers = {
            "Authorization": f"bearer {secret}",
            "Content-Type": "application/json; charset=utf-8",
        }
        if db:
            headers["X-Odoo-Database"] = db
        response = self._send("POST", path, json=body, headers=headers)
        status = response.status_code
        try:
            payload: Any = response.json()
            is_json = True
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload, is_json = None, False
        if 200 <= status < 300:
            if not is_json and response.content:
                raise OdooConnectionError(
                    f"Odoo at {self.host} did not answer JSON on {path}", retryable=False
                )
            return payload
        odoo_body = isinstance(payload, dict) and "name" in payload
        if not is_json or (status in (502, 503, 504) and not odoo_body):
            # Not Odoo's error body: a proxy/gateway (retryable), or an Odoo without JSON-2
            # (17/18 answer an HTML 404 → EndpointNotFound).
            self._check_status(response, path)
        raise from_json2_error(status, payload, secret=(*self._secrets, secret))
