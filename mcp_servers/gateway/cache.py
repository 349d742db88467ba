"""Redis cache of read-only Odoo tool results, invalidated by writes to the same models.

Key: tenant, tool, arguments and the current *generation* of each model the tool reads.
A write tool bumps the generations of the models it changes, so the next read misses and
stale entries simply expire (TTL, default 300 s). Only Odoo read tools are cached: Chatwoot
conversations change from outside (webhooks), so their reads always go to the backend.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import mcp.types as mt
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.server.middleware.caching import CachableToolResult
from fastmcp.tools import ToolResult

from mcp_servers.gateway.metrics import GatewayMetrics
from mcp_servers.redis_clients import async_redis

SALES = ["sale.order", "sale.order.line", "product.product", "product.template"]
READS = {"list_receivables": ["account.move"], "list_payables": ["account.move"],
         "get_order_status": SALES, "find_partner_by_phone": ["res.partner"],
         "list_tenants": ["res.company"], "get_current_context": ["res.users"]}
WRITES = {"create_quotation": SALES, "confirm_order": SALES, "create_partner": ["res.partner"]}


def models_read(tool: str, arguments: dict[str, Any]) -> list[str]:
    return READS.get(tool) or [arguments.get("model") or "_meta"]


def models_written(tool: str, arguments: dict[str, Any]) -> list[str]:
    if tool == "execute_write":
        try:  # the token's payload (not secret: it is signed, not encrypted) names the model
            body = str(arguments.get("token", "")).split(".")[0]
            return [json.loads(base64.urlsafe_b64decode(body))["model"]]
        except (ValueError, KeyError):
            return []
    return WRITES.get(tool, [])


class ReadCacheMiddleware(Middleware):
    def __init__(self, redis_url: str, ttl_s: int, metrics: GatewayMetrics,
                 default_tenant: str, namespace: str = "odoo"):
        self.redis = async_redis(redis_url)
        self.ttl_s = ttl_s
        self.metrics = metrics
        self.default_tenant = default_tenant
        self.prefix = f"{namespace}_"

    async def on_call_tool(self, context: MiddlewareContext[mt.CallToolRequestParams],
                           call_next: CallNext[mt.CallToolRequestParams, ToolResult]
                           ) -> ToolResult:
        name = context.message.name
        if not name.startswith(self.prefix) or self.ttl_s <= 0:
            return await call_next(context)
        tool = name.removeprefix(self.prefix)
        arguments = dict(context.message.arguments or {})
        token = get_access_token()
        tenant = arguments.get("tenant") or (token.claims.get("tenant_id") if token else "") \
            or self.default_tenant
        written = models_written(tool, arguments)
        if written:
            result = await call_next(context)
            if not result.is_error:
                for model in written:
                    await self.redis.incr(f"balcao:cache-gen:{tenant}:{model}")
            return result
        server = context.fastmcp_context.fastmcp if context.fastmcp_context else None
        described = await server.get_tool(name) if server else None
        if described is None or "read" not in described.tags:
            return await call_next(context)
        models = models_read(tool, arguments)
        generations = await self.redis.mget([f"balcao:cache-gen:{tenant}:{m}" for m in models])
        digest = hashlib.sha256(json.dumps(
            [tenant, name, arguments, [g.decode() if g else "0" for g in generations]],
            sort_keys=True, default=str).encode()).hexdigest()
        key = f"balcao:cache:{tenant}:{name}:{digest}"
        cached = await self.redis.get(key)
        if cached is not None:
            self.metrics.cache_hits.labels(name, tenant).inc()
            return CachableToolResult.model_validate_json(cached).unwrap()
        result = await call_next(context)
        if not result.is_error:
            await self.redis.set(key, CachableToolResult.wrap(result).model_dump_json(),
                                 ex=self.ttl_s)
        return result
