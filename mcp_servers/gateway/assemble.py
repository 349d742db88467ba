"""Builds the gateway from settings: servers, auth, session store and governance."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import JWTVerifier
from key_value.aio.stores.redis import RedisStore
from starlette.middleware import Middleware

from mcp_servers.catalog.app import build_catalog_server
from mcp_servers.catalog.live import LivePrices
from mcp_servers.catalog.server import CatalogTools
from mcp_servers.chatwoot.app import build_chatwoot_server
from mcp_servers.chatwoot.server import ChatwootTools
from mcp_servers.odoo.app import build_odoo_server
from mcp_servers.odoo.errors import OdooError
from mcp_servers.odoo.server import OdooTools
from mcp_servers.odoo.tenants import CredentialManager, TenantError
from mcp_servers.redis_clients import async_redis
from mcp_servers.settings import Settings

from .audit import AuditMiddleware
from .cache import ReadCacheMiddleware
from .limits import TenantRateLimit
from .lockout import AuthLockout
from .metrics import GatewayMetrics
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


class Gateway:
    """The gateway's parts, so the HTTP app and tests can reach metrics and credentials."""

    def __init__(self, settings: Settings, *, http: bool,
                 credentials: CredentialManager | None = None,
                 catalog: CatalogTools | None = None,
                 extra: dict[str, tuple[FastMCP, str]] | None = None,
                 default_role: str | None = None):
        self.settings = settings
        self.metrics = GatewayMetrics()
        self.credentials = credentials or CredentialManager.from_settings(settings)
        role = default_role or settings.mcp_role
        tools = OdooTools(self.credentials, settings, default_role=role)
        self.chatwoot = ChatwootTools(settings)
        self.catalog = catalog or CatalogTools(
            settings, live=LivePrices(self.credentials, settings.catalog_live_ttl_s))
        servers = {"odoo": (build_odoo_server(tools), "Odoo ERP: partners, products, "
                            "quotations, sale orders, receivables and payables"),
                   "catalog": (build_catalog_server(self.catalog), "Product catalog: "
                               "hybrid search (meaning, words, sizes, codes) with live "
                               "price and stock"),
                   "chatwoot": (build_chatwoot_server(self.chatwoot),
                                "Chatwoot inbox: WhatsApp conversations, messages, labels, "
                                "assignment, lead qualification and agent statistics"),
                   **(extra or {})}
        audit = AuditMiddleware(settings.audit_dir, settings.audit_retention_days,
                                self.metrics, settings.default_tenant)
        if not http:
            self.mcp = build_gateway(servers, default_role=role, audit=audit,
                                     metrics=self.metrics)
            return
        inner = [TenantRateLimit(settings.redis_url, self.credentials, self.metrics,
                                 settings.default_tenant),
                 ReadCacheMiddleware(settings.redis_url, settings.cache_ttl_s, self.metrics,
                                     settings.default_tenant)]
        self.mcp = build_gateway(servers, default_role="viewer", auth=jwt_verifier(settings),
                                 session_store=RedisStore(url=settings.redis_url),
                                 audit=audit, inner=inner, metrics=self.metrics,
                                 ready=self.ready)

    async def ready(self) -> dict[str, str]:
        """Redis, the default tenant's Odoo, the catalog's Qdrant and Chatwoot answer."""
        checks: dict[str, str] = {}
        try:
            await async_redis(self.settings.redis_url).ping()
            checks["redis"] = "ok"
        except OSError as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        except aioredis.RedisError as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        try:
            connector = self.credentials.connector(self.settings.default_tenant)
            await asyncio.to_thread(connector.version)
            checks["odoo"] = "ok"
        except (OdooError, TenantError) as exc:
            checks["odoo"] = f"unreachable: {type(exc).__name__}"
        checks["qdrant"] = await self.catalog.ready()
        checks["chatwoot"] = await asyncio.to_thread(self.chatwoot.ready)
        return checks

    def http_middleware(self) -> list[Middleware]:
        """ASGI middleware of the HTTP app (failed-auth lockout, counted in metrics)."""
        return [Middleware(AuthLockout, redis_url=self.settings.redis_url,
                           failures=self.settings.auth_lockout_failures,
                           window_s=self.settings.auth_lockout_s, metrics=self.metrics)]
