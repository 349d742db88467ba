"""Webhook acknowledgement and end-to-end turn latency, on loopback, in one run.

    python -m bench.webhook_load [--seconds 10] [--turns 200]

1. Ack throughput and p50/p99 of ``POST /webhooks/chatwoot`` (signed, recorded in Redis,
   queued) at 1, 50 and 200 concurrent connections, beside a bare FastAPI endpoint that
   returns 200 (the ceiling), both served by uvicorn in their own process.
2. Offline end-to-end turn latency (webhook in → reply posted in Chatwoot) over ``--turns``
   turns: embedded Odoo, Chatwoot double, Qdrant catalog, one Celery worker, debounce 0.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

from bench.odoo_roundtrip import free_port
from sandbox.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests/fixtures/chatwoot/webhooks/message_created.incoming_text.json"
SECRET = "bench-webhook-secret"
BARE = """
from fastapi import FastAPI
app = FastAPI()
@app.post("/webhooks/chatwoot")
async def ok() -> dict:
    return {"status": "ok"}
"""


def signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": f"sha256={mac}",
            "Content-Type": "application/json"}


def serve(target: str, port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    factory = ["--factory"] if target.endswith("app_from_env") else []
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", target, *factory, "--port",
                             str(port), "--log-level", "warning", "--no-access-log"],
                            env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{target} did not start")


async def hammer(url: str, concurrency: int, seconds: float) -> tuple[float, list[float], int]:
    """Requests/s, latencies and errors with ``concurrency`` connections for ``seconds``."""
    base = json.loads(FIXTURE.read_text())
    bodies = []  # prepared up front: the client's own CPU must not be what is measured
    for n in range(20_000):
        payload = copy.deepcopy(base)
        payload["id"] = 10_000_000 + n + concurrency * 100_000
        payload["conversation"]["id"] = 100_000 + n % 5000
        body = json.dumps(payload).encode()
        bodies.append((body, signed(body)))
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            body, headers = bodies[next(counter) % len(bodies)]
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                errors += response.status != 200
            latencies.append(time.perf_counter() - start)

    # aiohttp: httpx's pool is itself the bottleneck at these concurrencies (measured)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(one(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def ack_section(seconds: float, tmp: Path) -> None:
    (tmp / "bare_app.py").write_text(BARE)
    with RedisServer(tmp) as redis_server:
        env = {**os.environ, "BALCAO_REDIS_URL": redis_server.url,
               "BALCAO_CHATWOOT_WEBHOOK_SECRET": SECRET, "BALCAO_DEBOUNCE_S": "3600"}
        bare_port, api_port = free_port(), free_port()
        bare = serve("bare_app:app", bare_port, {**env, "PYTHONPATH": str(tmp)}, tmp)
        api = serve("api.app:app_from_env", api_port, env, ROOT)
        try:
            print(f"{'endpoint':<28}{'conc.':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
                  f"{'errors':>8}")
            for name, port in (("bare FastAPI (ceiling)", bare_port),
                               ("POST /webhooks/chatwoot", api_port)):
                for concurrency in (1, 50, 200):
                    rate, lat, errors = asyncio.run(hammer(
                        f"http://127.0.0.1:{port}/webhooks/chatwoot", concurrency, seconds))
                    print(f"{name:<28}{concurrency:>6}{rate:>9.0f}{pct(lat, .5):>9.2f}"
                          f"{pct(lat, .99):>9.2f}{errors:>8}")
        finally:
            for proc in (bare, api):
                proc.terminate()
                proc.wait(10)


def turn_section(turns: int, tmp: Path) -> None:
    from celery.contrib.testing.worker import start_worker
    from pydantic import SecretStr

    from api import worker as worker_module
    from api.app import create_app
    from flows.catalog_sync import run_catalog_sync
    from mcp_servers.gateway.assemble import Gateway
    from mcp_servers.settings import Settings
    from sandbox.chatwoot import EmbeddedChatwoot
    from sandbox.chatwoot.server import DEMO_WEBHOOK_SECRET
    from sandbox.chatwoot.store import OUTGOING
    from sandbox.loopback import LoopbackServer
    from sandbox.odoo import EmbeddedOdoo
    from sandbox.odoo.security import demo_api_key

    with EmbeddedOdoo(tmp / "odoo") as odoo, RedisServer(tmp) as redis_server, \
            EmbeddedChatwoot(message_flood_limit=10**6) as chatwoot:
        settings = Settings(_env_file=None, odoo_url=odoo.url,
                            odoo_secret=demo_api_key("admin"),
                            tenants_file=tmp / "none.json", qdrant_path=tmp / "qdrant",
                            audit_dir=tmp / "audit", redis_url=redis_server.url,
                            chatwoot_url=chatwoot.url, debounce_s=0.0,
                            chatwoot_webhook_secret=SecretStr(DEMO_WEBHOOK_SECRET),
                            odoo_write_tools="create_quotation,create_partner")
        asyncio.run(run_catalog_sync(settings))
        worker_module.app.conf.update(broker_url=settings.redis_url,
                                      result_backend=settings.redis_url)
        worker_module.use_gateway(Gateway(settings, http=False, default_role="operator"))
        api = LoopbackServer(create_app(settings)).start()
        chatwoot.set_webhook(f"{api.url}/webhooks/chatwoot", DEMO_WEBHOOK_SECRET)
        texts = ["quero 2 sacos de cimento CP II", "1 trena de 5m", "tira a trena",
                 "quanto custa a furadeira 650W 220V?"]
        samples: list[float] = []
        try:
            with start_worker(worker_module.app, pool="solo", concurrency=1,
                              perform_ping_check=False, shutdown_timeout=30):
                conversations = [chatwoot.store.add_conversation(f"Bench {i}",
                                                                 f"+55119{i:08d}")
                                 for i in range(max(1, turns // len(texts)))]
                for i in range(turns):
                    conversation = conversations[i % len(conversations)]
                    outgoing = sum(m.message_type == OUTGOING for m in conversation.messages)
                    start = time.perf_counter()
                    chatwoot.store.add_incoming_message(conversation.display_id,
                                                        texts[(i // len(conversations))
                                                              % len(texts)])
                    while sum(m.message_type == OUTGOING
                              for m in conversation.messages) == outgoing:
                        time.sleep(0.002)
                    samples.append(time.perf_counter() - start)
        finally:
            chatwoot.set_webhook(None)
            api.stop()
            worker_module.use_gateway(None)
    print(f"\nend-to-end turn (webhook in → reply posted), {turns} turns, 1 worker, "
          f"debounce 0: p50 {pct(samples, .5):.0f} ms   p95 {pct(samples, .95):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("webhook acknowledgement on loopback (uvicorn, 1 process each)")
        ack_section(args.seconds, Path(tmp))
        turn_section(args.turns, Path(tmp))


if __name__ == "__main__":
    main()
