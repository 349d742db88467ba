"""What an MCP caller may read and write in Odoo, whatever the Odoo user could do.

Odoo's own ACLs still apply underneath; this is the product's narrower fence: credential
models and fields are never reachable, writes are off unless the tenant enables the tool
and the caller's role allows writing, and generic writes only touch allow-listed models.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

ALWAYS_BLOCKED_MODELS = ("res.users", "res.users.*", "ir.*", "base.*", "auth_*",
                         "res.config*", "mail.*")
CREDENTIAL_FIELD_PATTERNS = ("password*", "*api_key*", "*apikey*", "*token*", "*secret*",
                             "totp*", "oauth*", "*_pin", "signup_*", "new_password")
ROLES = ("viewer", "operator", "admin")
WRITE_TOOLS = ("create_quotation", "confirm_order", "create_partner", "execute_write")


@dataclass(frozen=True)
class OdooPolicy:
    """Model allow/deny lists per operation (glob patterns; deny wins)."""

    read_allow: tuple[str, ...] = ("*",)
    read_deny: tuple[str, ...] = ()
    write_allow: tuple[str, ...] = ("res.partner", "sale.order", "sale.order.line",
                                    "product.template", "product.product", "crm.lead")
    write_deny: tuple[str, ...] = ()
    blocked_fields: tuple[str, ...] = field(default=CREDENTIAL_FIELD_PATTERNS)

    def can_read(self, model: str) -> bool:
        return _allowed(model, self.read_allow, self.read_deny)

    def can_write(self, model: str) -> bool:
        return _allowed(model, self.write_allow, self.write_deny)

    def field_blocked(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.blocked_fields)


def _allowed(model: str, allow: tuple[str, ...], deny: tuple[str, ...]) -> bool:
    if any(fnmatch.fnmatch(model, p) for p in ALWAYS_BLOCKED_MODELS + deny):
        return False
    return any(fnmatch.fnmatch(model, p) for p in allow)


def role_can_write(role: str) -> bool:
    return role in ("operator", "admin")
