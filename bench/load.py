"""Load: simulated WhatsApp customers against the multi-process topology.

    .venv/bin/python -m bench.load [--customers 100] [--seconds 60] [--workers 1,2]

For each worker count: redis-server, the MCP gateway over HTTP, 2 API processes and N
Celery workers (`sandbox/topology.py`, the commands compose runs); the embedded Odoo and the
Chatwoot double are the backends, in this process. Each customer writes, waits for the
bot's answer, and writes again (a person does not type while the bot answers), cycling
through an order conversation ending in "sim" (a quotation in Odoo). Prints messages/s,
turn latency (webhook POST → reply posted in Chatwoot) p50/p95/p99, errors, and the
1 → 2 worker scaling ratio. Loopback only; bounded by --seconds plus a drain of 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from flows.catalog_sync import sync_catalog
from flows.mcp_client import gateway_tools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings
from sandbox.chatwoot import DEMO_WEBHOOK_SECRET, EmbeddedChatwoot
from sandbox.chatwoot.store import OUTGOING
from sandbox.chatwoot.webhooks import WebhookSender, encode, message_webhook_data
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key
from sandbox.topology import Topology

SCRIPT = ("quero 2 sacos de cimento CP II", "e 1 trena de 5 m", "na verdade são 3 sacos",
          "tem argamassa ACIII?", "sim")
REPLY_TIMEOUT_S = 30.0


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def bot_replies(chatwoot: EmbeddedChatwoot, cid: int) -> int:
    return sum(1 for m in chatwoot.store.get_conversation(cid).messages
               if m.message_type == OUTGOING and not m.private)


async def customer(chatwoot: EmbeddedChatwoot, http: httpx.AsyncClient, urls: list[str],
                   cid: int, until: float, results: Results) -> None:
    signer = WebhookSender(urls[0], DEMO_WEBHOOK_SECRET)
    step = 0
    await asyncio.sleep(random.random() * 2)  # customers do not all start in one instant
    while time.monotonic() < until:
        text = SCRIPT[step % len(SCRIPT)]
        step += 1
        before = bot_replies(chatwoot, cid)
        message = chatwoot.store.add_incoming_message(cid, text, deliver=False)
        raw = encode(message_webhook_data(chatwoot.store, message, "message_created"))
        sent = time.monotonic()
        try:
            response = await http.post(f"{random.choice(urls)}/webhooks/chatwoot",
                                       content=raw,
                                       headers=signer.headers(raw, str(uuid.uuid4())))
        except httpx.HTTPError as exc:
            results.error(f"webhook {type(exc).__name__}")
            continue
        if response.status_code != 200:
            results.error(f"webhook {response.status_code}")
            continue
        while bot_replies(chatwoot, cid) <= before:
            if time.monotonic() - sent > REPLY_TIMEOUT_S:
                results.error("no reply within 30 s")
                break
            await asyncio.sleep(0.02)
        else:
            results.latencies.append(time.monotonic() - sent)


async def drive(topology: Topology, chatwoot: EmbeddedChatwoot, customers: int,
                seconds: float, first_id: int) -> tuple[Results, float]:
    results = Results()
    conversations = [chatwoot.store.add_conversation(
        f"Cliente {i}", f"+551198{first_id + i:07d}", display_id=first_id + i).display_id
        for i in range(customers)]
    limits = httpx.Limits(max_connections=customers, max_keepalive_connections=customers)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        started = time.monotonic()
        await asyncio.gather(*(customer(chatwoot, http, topology.api_urls, cid,
                                        started + seconds, results)
                               for cid in conversations))
        elapsed = time.monotonic() - started
    return results, elapsed


def cpu_seconds(leader: int) -> float:
    """CPU time of a process group (a worker and its pool children), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def cpu_by_role(topology: Topology) -> dict[str, float]:
    roles = {"gateway": cpu_seconds(topology.gateway.pid) if topology.gateway else 0.0,
             "apis": sum(cpu_seconds(p.pid) for p, _url in topology.apis),
             "workers": sum(cpu_seconds(p.pid) for p in topology.workers)}
    roles["this process (Odoo, Chatwoot, customers)"] = time.process_time()
    return roles


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else (values[0] if values else float("nan"))


def prepare_catalog(odoo: EmbeddedOdoo, tmp: Path) -> Path:
    """Sync the demo catalog into an embedded Qdrant directory the gateway process opens."""
    path = tmp / "qdrant"
    settings = Settings(_env_file=None, odoo_url=odoo.url,
                        odoo_secret=demo_api_key("admin"), tenants_file=tmp / "none.json",
                        qdrant_path=path, audit_dir=tmp / "audit")
    gateway = Gateway(settings, http=False, default_role="operator")

    async def sync() -> None:
        async with gateway_tools(settings, gateway=gateway) as tools:
            await sync_catalog(tools)

    asyncio.run(sync())
    gateway.catalog.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    parser.add_argument("--apis", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_dir, \
            EmbeddedOdoo(Path(tmp_dir) / "odoo") as odoo, EmbeddedChatwoot() as chatwoot:
        qdrant = prepare_catalog(odoo, Path(tmp_dir))
        for n, workers in enumerate(int(w) for w in args.workers.split(",")):
            tmp = Path(tmp_dir) / f"run-{workers}"
            tmp.mkdir()
            copy = tmp / "qdrant"
            shutil.copytree(qdrant, copy)
            topology = Topology(tmp, odoo=odoo, chatwoot=chatwoot, qdrant_path=copy)
            try:
                topology.start(apis=args.apis, workers=workers)
                base = cpu_by_role(topology)
                results, elapsed = asyncio.run(drive(topology, chatwoot, args.customers,
                                                     args.seconds, 7000 + n * 1000))
                cpu = {k: v - base[k] for k, v in cpu_by_role(topology).items()}
            finally:
                topology.stop()
            done = results.latencies
            rows.append((workers, len(done) / elapsed, done, results.errors, elapsed, cpu))
    print(f"load: {args.customers} customers, {args.seconds:.0f} s, {args.apis} API processes, "
          "gateway over HTTP, redis-server; each customer waits for the answer\n")
    print(f"{'workers':>7} {'answered':>8} {'msg/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7}  errors")
    for workers, rate, done, errors, _elapsed, _cpu in rows:
        print(f"{workers:>7} {len(done):>8} {rate:>6.2f} {percentile(done, 50) * 1000:>7.0f} "
              f"{percentile(done, 95) * 1000:>7.0f} {percentile(done, 99) * 1000:>7.0f}  "
              f"{errors or 'none'}")
    print("\nCPU seconds during the run, by role (of 2 cores × the run's length):")
    for workers, _rate, done, _errors, elapsed, cpu in rows:
        per_turn = {k: v / max(len(done), 1) * 1000 for k, v in cpu.items()}
        print(f"  {workers} worker(s), {elapsed:.0f} s: " + ", ".join(
            f"{k} {v:.0f} s ({per_turn[k]:.0f} ms/answer)" for k, v in cpu.items()))
    if len(rows) > 1 and rows[0][1]:
        print(f"\nscaling {rows[0][0]} → {rows[-1][0]} workers: messages/s ×"
              f"{rows[-1][1] / rows[0][1]:.2f} (on {os.cpu_count()} cores shared by every "
              "process)")


if __name__ == "__main__":
    main()
