"""What MCP costs on top of a direct call: catalog ``search`` and Odoo ``search_records``.

Catalog ``search`` (200 demo products, embedded Qdrant, live overlay off so only MCP is
measured) and Odoo ``search_records``, each three ways:

- direct: ``OdooTools.search_records`` called in Python,
- in-memory: the same tool through a fastmcp in-memory Client,
- HTTP: through streamable HTTP on loopback,
- the gateway over HTTP (JWT, roles, audit, rate limit) with its Redis cache off and on.

The embedded Odoo runs in its own process (``balcao sandbox odoo``) so the figures show the
MCP layers, not GIL contention with the backend. Run: ``.venv/bin/python -m bench.mcp_overhead``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis
from fastmcp import Client

from bench.catalog_search import demo_docs
from bench.odoo_roundtrip import free_port, wait_ready
from mcp_servers.catalog.app import build_catalog_server
from mcp_servers.catalog.server import CatalogTools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.gateway.tokens import mint_token
from mcp_servers.odoo.app import build_odoo_server
from mcp_servers.odoo.server import OdooTools
from mcp_servers.odoo.tenants import CredentialManager
from mcp_servers.settings import Settings
from sandbox.loopback import LoopbackServer
from sandbox.odoo.security import demo_api_key

ARGS = {"model": "product.product", "domain": [["sale_ok", "=", True]],
        "fields": ["default_code", "name", "lst_price", "qty_available"], "limit": 20}


SECRET = "bench-secret-" + "b" * 32


def start_redis(data_dir: str, processes: list[subprocess.Popen[bytes]]) -> str:
    """A throwaway redis-server on loopback for the gateway's cache."""
    port = free_port()
    processes.append(subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
         "127.0.0.1", "--dir", data_dir, "--save", ""], stdout=subprocess.DEVNULL))
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0"


def summary(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[94]


async def timed(fn: Callable[[], Awaitable[object]], n: int) -> tuple[float, float]:
    for _ in range(10):
        await fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return summary(samples)


async def catalog_rows(n: int) -> list[tuple[str, tuple[float, float]]]:
    tools = CatalogTools(Settings(_env_file=None, qdrant_path=Path(":memory:")))
    tools.index.upsert("casaobra", demo_docs())
    server = build_catalog_server(tools)
    query = {"query": "parafuso sextavado 3/8 x 2", "live": False}

    async def direct() -> object:
        return await asyncio.to_thread(tools.search, query["query"], live=False)

    rows = [("catalog: direct Python call", await timed(direct, n))]
    async with Client(server) as client:
        rows.append(("catalog: in-memory MCP client",
                     await timed(lambda: client.call_tool("search", query), n)))
    with LoopbackServer(server.http_app()) as http:
        async with Client(f"{http.url}/mcp") as client:
            rows.append(("catalog: streamable HTTP",
                         await timed(lambda: client.call_tool("search", query), n)))

        async def session_per_call() -> object:  # what CrewAI's Agent(mcps=...) does
            async with Client(f"{http.url}/mcp") as fresh:
                return await fresh.call_tool("search", query)

        rows.append(("catalog: HTTP, new session/call", await timed(session_per_call, n)))
    return rows


async def run(url: str, n: int, data_dir: str, redis_url: str) -> None:
    print(f"{'catalog search (200 products)':<32}{'p50 ms':>9}{'p95 ms':>9}")
    for name, (p50, p95) in await catalog_rows(n):
        print(f"{name:<32}{p50:>9.2f}{p95:>9.2f}")
    print()
    settings = Settings(_env_file=None, odoo_url=url, odoo_secret=demo_api_key("admin"),
                        tenants_file=Path(data_dir) / "none.json")
    tools = OdooTools(CredentialManager.from_settings(settings), settings)
    server = build_odoo_server(tools)

    async def direct() -> object:
        return await asyncio.to_thread(tools.search_records, ARGS["model"], ARGS["domain"],
                                       ARGS["fields"], ARGS["limit"], 0, "", "", 0)

    rows = [("direct Python call", await timed(direct, n))]
    async with Client(server) as client:
        rows.append(("in-memory MCP client",
                     await timed(lambda: client.call_tool("search_records", ARGS), n)))
    with LoopbackServer(server.http_app()) as http:
        async with Client(f"{http.url}/mcp") as client:
            rows.append(("streamable HTTP (loopback)",
                         await timed(lambda: client.call_tool("search_records", ARGS), n)))
    for cache_ttl in (0, 300):
        gateway = Gateway(Settings(_env_file=None, odoo_url=url,
                                   odoo_secret=demo_api_key("admin"),
                                   tenants_file=Path(data_dir) / "none.json",
                                   jwt_secret=SECRET, redis_url=redis_url,
                                   cache_ttl_s=cache_ttl,
                                   audit_dir=Path(data_dir) / "audit"), http=True)
        bearer = mint_token(gateway.settings, subject="bench", role="viewer",
                            tenant="casaobra", ttl_s=3600)
        app = gateway.mcp.http_app(middleware=gateway.http_middleware())
        with LoopbackServer(app) as http:
            async with Client(f"{http.url}/mcp", auth=bearer) as client:
                rows.append((f"gateway HTTP, cache {'hit' if cache_ttl else 'off'}",
                             await timed(lambda c=client: c.call_tool(
                                 "odoo_search_records", ARGS), n)))
    print(f"odoo search_records (20 products), {n} calls each; embedded Odoo in its own process")
    off, hit = rows[-2][1][0], rows[-1][1][0]
    print(f"{'path':<32}{'p50 ms':>9}{'p95 ms':>9}")
    for name, (p50, p95) in rows:
        print(f"{name:<32}{p50:>9.2f}{p95:>9.2f}")
    print(f"cache-hit speed-up through the gateway (p50): {off / hit:.1f}x")
    print("note: most of the in-memory overhead is the MCP client validating each result")
    print("against the tool's output schema (jsonschema), measured with cProfile")


def main() -> None:
    # the MCP library logs a client's normal disconnect from the SSE stream as an error
    logging.getLogger("mcp.server.streamable_http").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        odoo = subprocess.Popen([str(Path(sys.executable).with_name("balcao")), "sandbox",
                                 "odoo", "--port", str(port), "--data-dir", data_dir],
                                stderr=subprocess.DEVNULL)
        processes = [odoo]
        try:
            wait_ready(f"http://127.0.0.1:{port}")
            redis_url = start_redis(data_dir, processes)
            asyncio.run(run(f"http://127.0.0.1:{port}", args.n, data_dir, redis_url))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
