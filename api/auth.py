"""Bearer tokens for the HTTP API: the gateway's JWTs (same issuer, audience and roles).

``require(verifier, "operator")`` is a FastAPI dependency that returns the token's claims
or answers 401 (missing, invalid, expired) / 403 (role too low, no tenant).
"""

# no `from __future__ import annotations`: FastAPI reads the dependency's annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, HTTPException
from fastmcp.server.auth.providers.jwt import JWTVerifier

from mcp_servers.gateway.tokens import ROLES, role_of

Claims = dict[str, Any]


def require(verifier: JWTVerifier | None, role: str
            ) -> Callable[..., Awaitable[Claims]]:
    """A dependency admitting tokens whose highest role is ``role`` or above."""
    needed = ROLES.index(role)

    async def claims(authorization: Annotated[str | None, Header()] = None) -> Claims:
        if verifier is None:
            raise HTTPException(503, "no JWT verifier: set BALCAO_JWT_SECRET or "
                                     "BALCAO_JWT_JWKS_URL")
        if not authorization or not authorization.lower().startswith("bearer "):
            raise HTTPException(401, "missing bearer token",
                                headers={"WWW-Authenticate": "Bearer"})
        access = await verifier.verify_token(authorization[7:].strip())
        if access is None:
            raise HTTPException(401, "invalid or expired token",
                                headers={"WWW-Authenticate": "Bearer"})
        found = dict(access.claims)
        if ROLES.index(role_of(found)) < needed:
            raise HTTPException(403, f"needs the {role} role")
        return found
    return claims


def tenant_of(claims: Claims) -> str:
    tenant = str(claims.get("tenant_id") or "")
    if not tenant:
        raise HTTPException(403, "the token names no tenant (tenant_id claim)")
    return tenant
