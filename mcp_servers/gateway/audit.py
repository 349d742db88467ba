"""One JSONL audit record per tool call through the gateway, in daily files.

A record: time, request id, subject, tenant, tool, arguments (values that look like
secrets redacted), outcome (ok | error | refused), error text, duration. Files older than
the retention are deleted when a new day's file starts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import mcp.types as mt
from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools import ToolResult

from mcp_servers.gateway.metrics import GatewayMetrics

_SECRET_KEY = re.compile(r"pass|secret|token|api_?key|authorization|credential", re.I)
_SECRET_VALUE = re.compile(r"^(eyJ[\w-]+\.[\w-]+\.[\w-]+|[0-9a-f]{40}|gAAAAA[\w=-]{20,})$")


def redact(value: Any, key: str = "") -> Any:
    """Arguments as logged: secret-looking keys and values become ``***``."""
    if key and _SECRET_KEY.search(key) and key != "client_order_ref":
        return "***"
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str) and _SECRET_VALUE.match(value):
        return "***"
    return value


class AuditMiddleware(Middleware):
    """Outermost gateway middleware: audit record + metrics for every tool call."""

    def __init__(self, directory: Path, retention_days: int, metrics: GatewayMetrics,
                 default_tenant: str):
        self.directory = directory
        self.retention_days = retention_days
        self.metrics = metrics
        self.default_tenant = default_tenant
        self._lock = asyncio.Lock()
        self._day = ""

    async def on_initialize(self, context: MiddlewareContext[mt.InitializeRequest],
                            call_next: CallNext[mt.InitializeRequest,
                                                mt.InitializeResult | None]
                            ) -> mt.InitializeResult | None:
        self.metrics.sessions.inc()  # a client opening a session costs a handshake
        return await call_next(context)

    async def on_call_tool(self, context: MiddlewareContext[mt.CallToolRequestParams],
                           call_next: CallNext[mt.CallToolRequestParams, ToolResult]
                           ) -> ToolResult:
        token = get_access_token()
        claims = dict(token.claims) if token else {}
        arguments = dict(context.message.arguments or {})
        tenant = arguments.get("tenant") or claims.get("tenant_id") or self.default_tenant
        tool = context.message.name
        start = time.perf_counter()
        outcome, error = "ok", ""
        try:
            result = await call_next(context)
            if result.is_error:
                outcome = "error"
            return result
        except ToolError as exc:
            error = str(exc)
            outcome = "refused" if ("not allowed" in error or "rate limit" in error
                                    or "your token is for" in error) else "error"
            raise
        except Exception as exc:
            outcome, error = "error", type(exc).__name__
            raise
        finally:
            elapsed = time.perf_counter() - start
            self.metrics.calls.labels(tool, tenant, outcome).inc()
            self.metrics.latency.labels(tool).observe(elapsed)
            ctx = context.fastmcp_context
            request_id = ""
            if ctx is not None and ctx.request_context is not None:
                request_id = str(ctx.request_id)
            await self.write({
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "request_id": request_id, "subject": claims.get("sub", ""), "tenant": tenant,
                "tool": tool, "arguments": redact(arguments), "outcome": outcome,
                "error": redact(error), "duration_ms": round(elapsed * 1000, 1)})

    async def write(self, record: dict[str, Any]) -> None:
        day = record["time"][:10]
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        async with self._lock:
            await asyncio.to_thread(self._append, day, line)

    def _append(self, day: str, line: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if day != self._day:
            self._day = day
            self._prune(dt.date.fromisoformat(day))
        with (self.directory / f"audit-{day}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(line)

    def _prune(self, today: dt.date) -> None:
        oldest = today - dt.timedelta(days=self.retention_days)
        for path in self.directory.glob("audit-*.jsonl"):
            try:
                day = dt.date.fromisoformat(path.stem.removeprefix("audit-"))
            except ValueError:
                continue
            if day < oldest:
                path.unlink()
