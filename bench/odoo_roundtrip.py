"""Connector round-trip latency against the embedded Odoo, beside a bare HTTP POST.

Starts ``balcao sandbox odoo`` in its own process on a loopback port (so client and server
do not share a GIL), then times ``search_read`` of 80 products:
- bare: one pre-encoded JSON-RPC POST with httpx (the floor: server work + HTTP),
- connector over JSON-RPC, connector over XML-RPC.

Run: ``.venv/bin/python bench/odoo_roundtrip.py [--n 300]`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from mcp_servers.odoo import OdooConnector

FIELDS = ["name", "default_code", "list_price", "qty_available", "uom_id"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/web/version", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"embedded Odoo did not start at {url}")


def measure(fn: Callable[[], object], n: int) -> tuple[float, float, float]:
    for _ in range(10):  # warm-up: connections, auth cache
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[94], statistics.fmean(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="timed calls per variant")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("balcao")), "sandbox", "odoo", "--port",
             str(port), "--data-dir", data_dir], stderr=subprocess.DEVNULL)
        try:
            wait_ready(url)
            from sandbox.odoo.security import demo_api_key

            key = demo_api_key("admin")
            uid = 2
            payload = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                "service": "object", "method": "execute_kw", "args": [
                    "casaobra", uid, key, "product.product", "search_read", [[]],
                    {"fields": FIELDS, "limit": 80}]}}).encode()
            bare_client = httpx.Client(headers={"Content-Type": "application/json"})

            def bare() -> object:
                body = bare_client.post(f"{url}/jsonrpc", content=payload).json()
                assert len(body["result"]) == 80
                return body

            rows = [("bare HTTP POST (floor)", bare)]
            for protocol in ("jsonrpc", "xmlrpc"):
                conn = OdooConnector(url, "casaobra", "admin", key, protocol=protocol)

                def call(conn: OdooConnector = conn) -> object:
                    result = conn.search_read("product.product", [], FIELDS, limit=80)
                    assert len(result) == 80
                    return result

                rows.append((f"connector {protocol}", call))
            print(f"search_read of 80 products, {args.n} calls each, embedded Odoo on loopback")
            print(f"{'variant':<26}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
            for name, fn in rows:
                p50, p95, mean = measure(fn, args.n)
                print(f"{name:<26}{p50:>9.2f}{p95:>9.2f}{mean:>9.2f}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
