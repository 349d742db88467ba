"""Locks out a client after repeated failed authentications (counted in Redis).

After ``failures`` answers of 401 to one client address within ``window_s``, that client
gets 429 for the rest of the window, before its token is even looked at. Counting in Redis
makes the lockout hold across gateway processes.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_servers.gateway.metrics import GatewayMetrics
from mcp_servers.redis_clients import async_redis


class AuthLockout:
    """ASGI middleware for the gateway's HTTP app."""

    def __init__(self, app: ASGIApp, redis_url: str, failures: int = 3, window_s: int = 900,
                 metrics: GatewayMetrics | None = None):
        self.app = app
        self.metrics = metrics
        self.redis = async_redis(redis_url)
        self.failures = failures
        self.window_s = window_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == "/health":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        key = f"balcao:auth-failures:{client}"
        if int(await self.redis.get(key) or 0) >= self.failures:
            ttl = max(int(await self.redis.ttl(key)), 1)
            await _locked(send, ttl)
            return
        status: dict[str, Any] = {}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        if status.get("code") == 401:
            if self.metrics is not None:
                self.metrics.auth_failures.inc()
            count = await self.redis.incr(key)
            if count == 1:
                await self.redis.expire(key, self.window_s)


async def _locked(send: Send, retry_after: int) -> None:
    body = json.dumps({"error": "too_many_failed_authentications",
                       "error_description": "too many failed authentications from this "
                       f"client; try again in {retry_after // 60 + 1} minutes"}).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"),
                            (b"retry-after", str(retry_after).encode())]})
    await send({"type": "http.response.body", "body": body})
