"""Typed Odoo errors, and the functions that build them from each wire format.

Why a module of its own: Odoo reports the same failure three different ways (JSON-RPC
``error.data.name``, XML-RPC integer ``faultCode``, JSON-2 HTTP status + ``name``), and every
caller above the connector (MCP tools, flows, the CLI) must be able to write
``except MissingError`` without knowing which transport was used.

Hierarchy (mirrors ``odoo.exceptions`` so ``except UserError`` means what it means in Odoo)::

    OdooError
    ├── UserError                 business rule (odoo.exceptions.UserError, RedirectWarning)
    │   ├── AccessDenied          bad login / password / API key
    │   ├── AccessError           ACL, record rule, private method, company not allowed
    │   ├── MissingError          record deleted or never existed
    │   └── ValidationError       constraint violated
    ├── ServerError               anything else (builtins.ValueError, TypeError, psycopg2...)
    └── OdooConnectionError       network, timeout, HTTP or protocol failure (never from Odoo's ORM)
        └── EndpointNotFound      the route does not exist (HTTP 404), e.g. /json/2 on Odoo 17

``OdooConnectionError`` is a subclass of ``OdooError`` on purpose: a tool can catch
``OdooError`` once and still tell "Odoo said no" from "Odoo could not be reached" by type.
The connector retries reads only on ``OdooConnectionError`` whose ``retryable`` is true.

Every message is sanitized: Odoo's ``debug`` field is never read, Python tracebacks are cut out
and the caller's secret (password or API key) is replaced by ``***``. Messages otherwise keep
Odoo's own text, because that text is what users and LLMs can act on.
"""

from __future__ import annotations

import re
import xmlrpc.client
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"


class OdooError(Exception):
    """Base of every error the Odoo connector raises.

    Attributes:
        message: sanitized, human-readable text (Odoo's own words when Odoo produced it).
        odoo_name: the server-side class, e.g. ``"odoo.exceptions.AccessError"`` or
            ``"builtins.ValueError"``; ``None`` when unknown (connection errors, XML-RPC code 2).
        code: what the wire gave: JSON-RPC ``error.code`` (200), XML-RPC ``faultCode``
            (1-4), or the JSON-2 / HTTP status (401, 404, 422, 500...).
    """

    def __init__(self, message: str, *, odoo_name: str | None = None, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.odoo_name = odoo_name
        self.code = code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, odoo_name={self.odoo_name!r}, "
            f"code={self.code!r})"
        )


class UserError(OdooError):
    """A business rule refused the operation (odoo.exceptions.UserError and RedirectWarning)."""


class AccessDenied(UserError):
    """Wrong login, password or API key (or the key expired / 2FA forbids passwords)."""


class AccessError(UserError):
    """The user may not do this: ACL, record rule, private method, or company not allowed."""


class MissingError(UserError):
    """The record does not exist or has been deleted (write/unlink/actions on a dead id)."""


class ValidationError(UserError):
    """A constraint (Python or SQL) rejected the values."""


class ServerError(OdooError):
    """Any other server exception: bad domain/field (ValueError), bad kwargs (TypeError),
    unknown method (AttributeError), database errors. Usually a bug on the caller's side."""


class OdooConnectionError(OdooError):
    """Odoo could not be reached or answered something that is not Odoo's protocol.

    ``retryable`` tells the connector whether trying again may help (timeouts, refused
    connections, HTTP 5xx) or not (HTTP 4xx such as a wrong URL path).
    """

    def __init__(self, message: str, *, code: int | None = None, retryable: bool = True):
        super().__init__(message, odoo_name=None, code=code)
        self.retryable = retryable


class EndpointNotFound(OdooConnectionError):
    """HTTP 404 on a protocol route: this Odoo does not speak that protocol (or the URL is
    wrong). Protocol auto-detection relies on it to fall back from /jsonrpc to JSON-2."""

    def __init__(self, message: str, *, code: int | None = 404):
        super().__init__(message, code=code, retryable=False)


# --- sanitizing -----------------------------------------------------------------------------

_TRACEBACK_RE = re.compile(
    r"Traceback \(most recent call last\):[^\n]*\n?"  # the header line
    r"(?:[ \t]+[^\n]*\n?|\n)*"  # indented frame/code lines and blank lines
)
_CHAINING_RE = re.compile(
    r"^(?:During handling of the above exception, another exception occurred:"
    r"|The above exception was the direct cause of the following exception:)[ \t]*$",
    re.MULTILINE,
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` by ``***``.

    Longest secrets first so a secret that contains another is fully hidden.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def strip_tracebacks(text: str) -> str:
    """Cut every ``Traceback (most recent call last):`` block (header and indented frames).

    The final ``SomeError: message`` line of a block is kept: it is the useful part and holds
    no server paths. Chaining banners between tracebacks are removed too.
    """
    text = _TRACEBACK_RE.sub("", text)
    text = _CHAINING_RE.sub("", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def sanitize(text: Any, secrets: Iterable[str | None] = ()) -> str:
    """Make any server text safe to show to a user or an LLM (see module docstring)."""
    cleaned = strip_tracebacks(str(text if text is not None else ""))
    return redact(cleaned, secrets)


def _as_secrets(secret: str | Iterable[str | None] | None) -> tuple[str | None, ...]:
    if secret is None:
        return ()
    if isinstance(secret, str):
        return (secret,)
    return tuple(secret)


# --- class-name mapping ---------------------------------------------------------------------

_BY_CLASS_NAME: dict[str, type[OdooError]] = {
    "AccessDenied": AccessDenied,
    "AccessError": AccessError,
    "MissingError": MissingError,
    "ValidationError": ValidationError,
    "UserError": UserError,
    "RedirectWarning": UserError,
    "Warning": UserError,  # odoo.exceptions.Warning, alias of UserError before 16
    "except_orm": UserError,  # legacy base of UserError
}

# JSON-2 wraps transport-level refusals in werkzeug exceptions (see reference §1.6).
_BY_WERKZEUG_NAME: dict[str, type[OdooError]] = {
    "Unauthorized": AccessDenied,  # 401 "Invalid apikey"
    "Forbidden": AccessError,  # 403
}

_BY_JSON2_STATUS: dict[int, type[OdooError]] = {
    401: AccessDenied,
    403: AccessError,
}


def error_class_for_name(name: str | None) -> type[OdooError]:
    """The connector class for a server exception name such as ``odoo.exceptions.AccessError``.

    Only ``odoo.exceptions.*`` (and ``odoo.addons.*`` subclasses that keep the Odoo class
    name) map to business errors; everything else is a ``ServerError``.
    """
    if not name:
        return ServerError
    module, _, cls = name.rpartition(".")
    if module == "odoo.exceptions" or module.startswith("odoo."):
        return _BY_CLASS_NAME.get(cls, ServerError)
    if module == "werkzeug.exceptions":
        return _BY_WERKZEUG_NAME.get(cls, ServerError)
    return ServerError


# --- JSON-RPC -------------------------------------------------------------------------------


def from_jsonrpc_error(
    error: Mapping[str, Any], *, secret: str | Iterable[str | None] | None = None
) -> OdooError:
    """Build the typed error for a JSON-RPC ``error`` object.

    Classified by ``error.data.name`` only: ``error.message`` is "Odoo Server Error" on pristine
    Odoo and rebranded elsewhere, so it is used as text only when ``data.message`` is missing.
    ``data.debug`` (the server traceback) is never read.
    """
    secrets = _as_secrets(secret)
    data = error.get("data") if isinstance(error, Mapping) else None
    data = data if isinstance(data, Mapping) else {}
    name = data.get("name") if isinstance(data.get("name"), str) else None
    raw = data.get("message")
    if not raw and isinstance(data.get("arguments"), list | tuple) and data["arguments"]:
        raw = data["arguments"][0]
    if not raw:
        raw = error.get("message") if isinstance(error, Mapping) else None
    message = sanitize(raw, secrets) or "Odoo server error"
    code = error.get("code") if isinstance(error, Mapping) else None
    return error_class_for_name(name)(
        message, odoo_name=name, code=code if isinstance(code, int) else None
    )


# --- XML-RPC --------------------------------------------------------------------------------

# Best-effort refinement of fault code 2 (UserError family), by text only. Odoo translates
# messages into the context ``lang``, so the Portuguese wording is listed next to the English.
_MISSING_PATTERNS = (
    "Record does not exist or has been deleted",
    "não existe ou foi excluído",
    "não existe ou foi eliminado",
)
_VALIDATION_PATTERNS = (
    "The operation cannot be completed",
    "A operação não pode ser concluída",
)
_LAST_LINE_NAME_RE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*): ?")


def _last_nonblank_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()
    return text.strip()


def from_xmlrpc_fault(
    fault: xmlrpc.client.Fault, *, secret: str | Iterable[str | None] | None = None
) -> OdooError:
    """Build the typed error for an XML-RPC fault from ``/xmlrpc/2/*``.

    faultCode 4 → AccessError, 3 → AccessDenied, 2 → UserError (refined to MissingError or
    ValidationError by text, best effort: XML-RPC cannot tell them apart), 1 → ServerError whose
    message is the last line of the formatted traceback (``"ValueError: Invalid field ..."``).
    Any other code (legacy ``/xmlrpc/`` string codes) → ServerError.
    """
    secrets = _as_secrets(secret)
    code = fault.faultCode
    text = fault.faultString if isinstance(fault.faultString, str) else str(fault.faultString)
    if code == 4:
        return AccessError(sanitize(text, secrets) or "Access error", code=code,
                           odoo_name="odoo.exceptions.AccessError")
    if code == 3:
        return AccessDenied(sanitize(text, secrets) or "Access Denied", code=code,
                            odoo_name="odoo.exceptions.AccessDenied")
    if code == 2:
        message = sanitize(text, secrets) or "Odoo user error"
        if any(p in message for p in _MISSING_PATTERNS):
            return MissingError(message, code=code, odoo_name="odoo.exceptions.MissingError")
        if any(p in message for p in _VALIDATION_PATTERNS):
            return ValidationError(message, code=code,
                                   odoo_name="odoo.exceptions.ValidationError")
        return UserError(message, code=code, odoo_name=None)
    last = redact(_last_nonblank_line(text), secrets) or "Odoo server error"
    odoo_name = None
    match = _LAST_LINE_NAME_RE.match(last)
    if match:
        name = match.group("name")
        odoo_name = name if "." in name else f"builtins.{name}"
    return ServerError(last, code=code if isinstance(code, int) else None, odoo_name=odoo_name)


def is_marshal_none_fault(fault: xmlrpc.client.Fault) -> bool:
    """True for the fault Odoo's XML-RPC raises when a method *returned* None.

    The method ran and its transaction was committed before marshalling failed (reference
    §1.2), so the transport turns this fault into a ``None`` result, as JSON-RPC does.
    """
    return fault.faultCode == 1 and "cannot marshal None" in str(fault.faultString)


# --- JSON-2 ---------------------------------------------------------------------------------


def from_json2_error(
    status: int, body: Any, *, secret: str | Iterable[str | None] | None = None
) -> OdooError:
    """Build the typed error for a JSON-2 (Odoo 19) non-2xx response.

    Classified by ``body.name`` first (same names as JSON-RPC ``data.name``), then by status
    for werkzeug wrappers (401 → AccessDenied, 403 → AccessError). 404 "model does not exist"
    and 422 "bad kwargs / ids on a model method" are caller bugs → ServerError, like the
    AttributeError/TypeError JSON-RPC reports for the same mistakes. ``debug`` is never read.
    """
    secrets = _as_secrets(secret)
    name: str | None = None
    raw: Any = None
    if isinstance(body, Mapping):
        name = body.get("name") if isinstance(body.get("name"), str) else None
        raw = body.get("message")
        if not raw and isinstance(body.get("arguments"), list | tuple) and body["arguments"]:
            raw = body["arguments"][0]
    elif isinstance(body, str):  # early master variant of json2.py returned plain strings
        raw = body
    message = sanitize(raw, secrets) or f"Odoo answered HTTP {status}"
    cls = error_class_for_name(name)
    if cls is ServerError and (name is None or name.startswith("werkzeug.")):
        cls = _BY_JSON2_STATUS.get(status, ServerError)
    return cls(message, odoo_name=name, code=status)
