"""Odoo's exception classes, named as real Odoo names them on the wire.

JSON-RPC clients see ``error.data.name`` = ``f"{module}.{class}"``, so these classes set
``__module__`` to ``odoo.exceptions``; XML-RPC clients see a fault code per class.
"""

from __future__ import annotations


class UserError(Exception):
    """Business rule violated; fault code 2."""

    fault_code = 2
    http_status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AccessDenied(UserError):
    """Wrong login, password or API key."""

    fault_code = 3
    http_status = 401

    def __init__(self, message: str = "Access Denied"):
        super().__init__(message)


class AccessError(UserError):
    """ACL, record rule, private method or company not allowed."""

    fault_code = 4
    http_status = 403


class MissingError(UserError):
    """Record does not exist or has been deleted."""

    http_status = 404


class ValidationError(UserError):
    """Constraint violated."""


class OperationalError(Exception):
    """What psycopg2 raises for an unknown database; surfaces as a server error."""


for _cls in (UserError, AccessDenied, AccessError, MissingError, ValidationError):
    _cls.__module__ = "odoo.exceptions"
OperationalError.__module__ = "psycopg2"


def qualified_name(exc: BaseException) -> str:
    """The ``error.data.name`` Odoo puts in a JSON-RPC error envelope."""
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"
