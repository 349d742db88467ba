"""Builds the gateway from settings: which servers, which auth, which session store."""

from __future__ import annotations

from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import JWTVerifier
from key_value.aio.stores.redis import RedisStore
from starlette.middleware import Middleware

from mcp_servers.odoo.app import build_odoo_server
from mcp_servers.odoo.server import OdooTools
from mcp_servers.odoo.tenants import CredentialManager
from mcp_servers.settings import Settings

from .lockout import AuthLockout
from .server import build_gateway


def jwt_verifier(settings: Settings) -> JWTVerifier:
    """HS256 with BALCAO_JWT_SECRET, or keys from BALCAO_JWT_JWKS_URL."""
    if settings.jwt_jwks_url:
        return JWTVerifier(jwks_uri=settings.jwt_jwks_url, issuer=settings.jwt_issuer,
                           audience=settings.jwt_audience)
    if settings.jwt_secret is None:
        raise SystemExit("the HTTP gateway needs BALCAO_JWT_SECRET (HS256) or "
                         "BALCAO_JWT_JWKS_URL: it never serves without authentication")
    return JWTVerifier(public_key=settings.jwt_secret.get_secret_value(), algorithm="HS256",
                       issuer=settings.jwt_issuer, audience=settings.jwt_audience)


def gateway_from_settings(settings: Settings, *, http: bool) -> FastMCP:
    """The gateway over the Odoo server; HTTP adds JWT auth and Redis-held sessions."""
    tools = OdooTools(CredentialManager.from_settings(settings), settings,
                      default_role=settings.mcp_role)
    servers = {"odoo": (build_odoo_server(tools), "Odoo ERP: partners, products, "
                        "quotations, sale orders, receivables and payables")}
    if not http:
        return build_gateway(servers, default_role=settings.mcp_role)
    return build_gateway(servers, default_role="viewer", auth=jwt_verifier(settings),
                         session_store=RedisStore(url=settings.redis_url))


def http_middleware(settings: Settings) -> list[Middleware]:
    """ASGI middleware of the gateway's HTTP app (failed-auth lockout)."""
    return [Middleware(AuthLockout, redis_url=settings.redis_url,
                       failures=settings.auth_lockout_failures,
                       window_s=settings.auth_lockout_s)]
