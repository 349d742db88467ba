"""Backend failures as MCP tool errors that tell the agent what to do next.

Messages are already sanitised by the connectors (no tracebacks, no secrets); this adds the
next step. Anything unexpected is masked by fastmcp (``mask_error_details``).
"""

from __future__ import annotations

from fastmcp.exceptions import ToolError

from mcp_servers.odoo.errors import (
    AccessDenied,
    AccessError,
    MissingError,
    OdooConnectionError,
    OdooError,
    ServerError,
    UserError,
    ValidationError,
)
from mcp_servers.odoo.tenants import TenantError

_NEXT_STEP: list[tuple[type[Exception], str]] = [
    (AccessDenied, "the tenant's Odoo credentials were refused; an admin must fix them "
                   "(`balcao tenants add --replace`)"),
    (AccessError, "the Odoo user of this tenant lacks the rights for this; use a read tool, "
                  "another company, or ask an admin"),
    (MissingError, "the record does not exist (any more); search again for a current id"),
    (ValidationError, "fix the values named in the message and call again"),
    (UserError, "Odoo refused by a business rule; read the message, change the request"),
    (OdooConnectionError, "Odoo is unreachable or slow right now; retry in a minute"),
    (ServerError, "check the model, field names and domain syntax (get_fields shows the "
                  "fields) and call again"),
    (TenantError, "use list_tenants to see the tenants you can use"),
]


def tool_error(exc: Exception) -> ToolError:
    """A ToolError with the backend's (sanitised) message and the next step."""
    for cls, hint in _NEXT_STEP:
        if isinstance(exc, cls):
            message = exc.message if isinstance(exc, OdooError) else str(exc)
            return ToolError(f"{message.strip()} — {hint}.")
    return ToolError("unexpected error; retry, and report it if it persists.")
