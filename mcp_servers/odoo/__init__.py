"""Odoo access for Balcão: typed errors, three transports, one connector, tenant credentials.

Import from here, not from the submodules: this is the package's public surface.
"""

from mcp_servers.odoo.connector import READ_METHODS, Capabilities, OdooConnector
from mcp_servers.odoo.errors import (
    AccessDenied,
    AccessError,
    EndpointNotFound,
    MissingError,
    OdooConnectionError,
    OdooError,
    ServerError,
    UserError,
    ValidationError,
    from_json2_error,
    from_jsonrpc_error,
    from_xmlrpc_fault,
    redact,
    sanitize,
    strip_tracebacks,
)
from mcp_servers.odoo.json2_params import ORM_SIGNATURES, to_json2_body
from mcp_servers.odoo.tenants import (
    CredentialManager,
    TenantConfig,
    TenantError,
    TenantInfo,
    TenantStore,
    generate_key,
)
from mcp_servers.odoo.transports import (
    Json2Transport,
    JsonRpcTransport,
    Transport,
    XmlRpcTransport,
)

__all__ = [
    "ORM_SIGNATURES",
    "READ_METHODS",
    "AccessDenied",
    "AccessError",
    "Capabilities",
    "CredentialManager",
    "EndpointNotFound",
    "Json2Transport",
    "JsonRpcTransport",
    "MissingError",
    "OdooConnectionError",
    "OdooConnector",
    "OdooError",
    "ServerError",
    "TenantConfig",
    "TenantError",
    "TenantInfo",
    "TenantStore",
    "Transport",
    "UserError",
    "ValidationError",
    "XmlRpcTransport",
    "from_json2_error",
    "from_jsonrpc_error",
    "from_xmlrpc_fault",
    "generate_key",
    "redact",
    "sanitize",
    "strip_tracebacks",
    "to_json2_body",
]
