"""Per-tenant request limits (the tenants file's ``rate_limit_per_minute``), in Redis.

A fixed one-minute window per tenant, shared by every gateway process.
"""

from __future__ import annotations

import time

import mcp.types as mt
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools import ToolResult

from mcp_servers.gateway.metrics import GatewayMetrics
from mcp_servers.odoo.tenants import CredentialManager, TenantError
from mcp_servers.redis_clients import async_redis


class TenantRateLimit(Middleware):
    def __init__(self, redis_url: str, credentials: CredentialManager,
                 metrics: GatewayMetrics, default_tenant: str):
        self.redis = async_redis(redis_url)
        self.credentials = credentials
        self.metrics = metrics
        self.default_tenant = default_tenant

    async def on_call_tool(self, context: MiddlewareContext[mt.CallToolRequestParams],
                           call_next: CallNext[mt.CallToolRequestParams, ToolResult]
                           ) -> ToolResult:
        arguments = context.message.arguments or {}
        token = get_access_token()
        tenant = arguments.get("tenant") or (token.claims.get("tenant_id") if token else "") \
            or self.default_tenant
        try:
            limit = self.credentials.get(tenant).rate_limit_per_minute
        except TenantError:
            return await call_next(context)  # the tool itself reports the unknown tenant
        window = int(time.time() // 60)
        key = f"balcao:rate:{tenant}:{window}"
        count = await self.redis.incr(key)
        if count == 1:
            await self.redis.expire(key, 120)
        if count > limit:
            self.metrics.rate_limited.labels(context.message.name, tenant).inc()
            retry = 60 - int(time.time() % 60)
            raise ToolError(f"rate limit of {limit} calls per minute for tenant '{tenant}' "
                            f"reached; retry in {retry} s")
        return await call_next(context)
