"""Gateway bearer tokens: claims, roles and dev minting (HS256 with BALCAO_JWT_SECRET).

Claims: ``sub``, ``tenant_id``, ``roles`` (viewer | operator | admin), optional
``permissions`` (tool names, or ``*``), ``iss``, ``aud``, ``exp``.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from mcp_servers.settings import Settings

ROLES = ("viewer", "operator", "admin")


def mint_token(settings: Settings, *, subject: str, role: str, tenant: str,
               ttl_s: int = 3600, permissions: list[str] | None = None) -> str:
    """A signed token for development and tests; production tokens come from your IdP."""
    if settings.jwt_secret is None:
        raise ValueError("BALCAO_JWT_SECRET is not set: generate one (e.g. `openssl rand "
                         "-hex 32`) and export it for the gateway and this command")
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "tenant_id": tenant, "roles": [role],
                              "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
                              "iat": now, "exp": now + ttl_s}
    if permissions:
        claims["permissions"] = permissions
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def role_of(claims: dict[str, Any]) -> str:
    roles = claims.get("roles") or []
    roles = [roles] if isinstance(roles, str) else list(roles)
    return next((r for r in reversed(ROLES) if r in roles), "viewer")
