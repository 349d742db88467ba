"""Prometheus metrics of one gateway (its own registry, served on ``/metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class GatewayMetrics:
    """Calls, errors, latency, cache hits, rate-limit hits and auth failures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter("balcao_mcp_tool_calls", "Tool calls by outcome.",
                             ["tool", "tenant", "outcome"], registry=self.registry)
        self.latency = Histogram("balcao_mcp_tool_seconds", "Tool call latency.", ["tool"],
                                 registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.cache_hits = Counter("balcao_mcp_cache_hits", "Read tool results from cache.",
                                  ["tool", "tenant"], registry=self.registry)
        self.rate_limited = Counter("balcao_mcp_rate_limited", "Calls refused by rate limit.",
                                    ["tool", "tenant"], registry=self.registry)
        self.sessions = Counter("balcao_mcp_sessions", "MCP sessions opened (initialize).",
                                registry=self.registry)
        self.auth_failures = Counter("balcao_mcp_auth_failures", "HTTP 401 answers.",
                                     registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
