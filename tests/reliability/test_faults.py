"""Faults on the deployed topology: a worker killed mid-turn, Redis restarted, Odoo down
for 30 s, Chatwoot answering 429/500. No message is lost, no order is made twice, and
customers are told when they wait. Then: no secret in any process's log or the audit."""

from __future__ import annotations

import itertools
import random
import time
import uuid
from pathlib import Path

import httpx
import pytest

from flows.conversations import ConversationStore
from mcp_servers.odoo import OdooConnector
from sandbox.chatwoot import DEMO_BOT_TOKEN, DEMO_WEBHOOK_SECRET, EmbeddedChatwoot
from sandbox.chatwoot.store import OUTGOING
from sandbox.chatwoot.webhooks import WebhookSender, encode, message_webhook_data
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key
from sandbox.topology import JWT_SECRET, Topology, wait_for

DELAYED = "sistema está lento"


def replies(chatwoot: EmbeddedChatwoot, cid: int) -> list[str]:
    return [m.content or "" for m in chatwoot.store.get_conversation(cid).messages
            if m.message_type == OUTGOING and not m.private]


def deliver(topology: Topology, chatwoot: EmbeddedChatwoot, cid: int, text: str) -> None:
    """The customer writes; Chatwoot's webhook reaches one of the API replicas."""
    message = chatwoot.store.add_incoming_message(cid, text, deliver=False)
    raw = encode(message_webhook_data(chatwoot.store, message, "message_created"))
    url = random.choice(topology.api_urls)
    headers = WebhookSender(url, DEMO_WEBHOOK_SECRET).headers(raw, str(uuid.uuid4()))
    response = httpx.post(f"{url}/webhooks/chatwoot", content=raw, headers=headers, timeout=10)
    assert response.json()["status"] == "queued", response.text


def say(topology: Topology, chatwoot: EmbeddedChatwoot, cid: int, text: str,
        timeout_s: float = 90) -> str:
    before = len(replies(chatwoot, cid))
    deliver(topology, chatwoot, cid, text)
    wait_for(lambda: len(replies(chatwoot, cid)) > before, timeout_s, f"a reply to {text!r}",
             topology.worker_logs[-1])
    return replies(chatwoot, cid)[before]


def orders(odoo: EmbeddedOdoo, cid: int) -> list[dict[str, object]]:
    connector = OdooConnector(odoo.url, "casaobra", "admin", demo_api_key("admin"))
    return connector.search_read("sale.order", [["client_order_ref", "=like",
                                                 f"chatwoot:3:{cid}:%"]], ["name"])


NUMBERS = itertools.count(8300)  # display ids no other module's orders use


@pytest.fixture
def conversation(chatwoot: EmbeddedChatwoot, request: pytest.FixtureRequest) -> int:
    number = next(NUMBERS)
    phone = f"+55119555{number:04d}"
    return chatwoot.store.add_conversation(request.node.name[:30], phone,
                                           display_id=number).display_id


def test_workers_killed_mid_turn_the_turn_resumes_with_one_order(
        topology: Topology, chatwoot: EmbeddedChatwoot, embedded_odoo: EmbeddedOdoo,
        conversation: int) -> None:
    assert "SIM" in say(topology, chatwoot, conversation, "quero 2 sacos de cimento CP II")
    store = ConversationStore.from_url(topology.redis.url)
    processing = f"balcao:conv:3:{conversation}:processing"
    deliver(topology, chatwoot, conversation, "sim")
    wait_for(lambda: store.redis.llen(processing) > 0, 60, "the turn to start")
    restarts = len(topology.restarts)
    for index in range(len(topology.workers)):  # whichever holds the turn dies with it
        topology.kill_worker(index)
    answered_before_restart = len(replies(chatwoot, conversation))
    wait_for(lambda: any("Orçamento S" in r for r in replies(chatwoot, conversation)), 120,
             "the quotation after the restart", topology.worker_logs[-1])
    assert answered_before_restart == 1  # the kill came before the answer
    assert topology.restarts[restarts:restarts + 2] == [-9, -9]  # both replaced
    assert len(orders(embedded_odoo, conversation)) == 1
    time.sleep(2)
    assert len([r for r in replies(chatwoot, conversation) if "Orçamento S" in r]) == 1


def test_redis_restarted_mid_run_loses_no_message(
        topology: Topology, chatwoot: EmbeddedChatwoot, conversation: int) -> None:
    deliver(topology, chatwoot, conversation, "quero 4 sacos de cimento CP II")
    topology.redis.stop()  # SIGTERM: Redis writes its append-only file before leaving
    topology.redis.start()  # same port, same data dir
    wait_for(lambda: replies(chatwoot, conversation), 120, "the answer after the restart",
             topology.worker_logs[-1])
    assert "4 Saco" in replies(chatwoot, conversation)[-1] or \
        "- 4 " in replies(chatwoot, conversation)[-1], replies(chatwoot, conversation)
    reply = say(topology, chatwoot, conversation, "sim")  # the system works on after it
    assert "Orçamento S" in reply


def test_odoo_down_for_30_s_the_customer_is_told_and_one_order_is_made(
        topology: Topology, chatwoot: EmbeddedChatwoot, embedded_odoo: EmbeddedOdoo,
        conversation: int) -> None:
    assert "SIM" in say(topology, chatwoot, conversation, "quero 2 sacos de cimento CP II")
    embedded_odoo.pause()
    started = time.monotonic()
    try:
        assert DELAYED in say(topology, chatwoot, conversation, "sim")
        time.sleep(max(0.0, 30 - (time.monotonic() - started)))
        assert not any("Orçamento" in r for r in replies(chatwoot, conversation))
    finally:
        embedded_odoo.resume()
    wait_for(lambda: any("Orçamento S" in r for r in replies(chatwoot, conversation)), 120,
             "the quotation once Odoo is back")
    assert len(orders(embedded_odoo, conversation)) == 1
    assert len([r for r in replies(chatwoot, conversation) if DELAYED in r]) == 1


@pytest.mark.parametrize("status", [429, 500])
def test_chatwoot_failing_for_a_while_the_reply_arrives_once(
        topology: Topology, chatwoot: EmbeddedChatwoot, conversation: int,
        status: int) -> None:
    chatwoot.fail_next(status, 6)  # beyond the client's own retries: the turn retries too
    deliver(topology, chatwoot, conversation, "7 sacos de cimento CP II")
    wait_for(lambda: any("Seu pedido" in r for r in replies(chatwoot, conversation)), 120,
             "the summary through the failures")
    time.sleep(2)
    summaries = [r for r in replies(chatwoot, conversation) if "Seu pedido" in r]
    assert len(summaries) == 1 and "7 Saco" in summaries[0]


def test_no_secret_in_any_log_or_audit_record(topology: Topology) -> None:
    secrets = {"jwt secret": JWT_SECRET, "odoo key": demo_api_key("admin"),
               "service token": topology.env["BALCAO_MCP_TOKEN"],
               "webhook secret": DEMO_WEBHOOK_SECRET, "chatwoot token": DEMO_BOT_TOKEN}
    files = [*topology.tmp.glob("*.log"), *Path(topology.env["BALCAO_AUDIT_DIR"]).glob("*")]
    assert len(files) >= 6 and any(f.suffix == ".jsonl" for f in files)
    everything = "".join(p.read_text(errors="replace") for p in files)
    assert "failed (attempt" in everything  # the error paths above were logged, and read
    for path in files:
        text = path.read_text(errors="replace")
        for name, secret in secrets.items():
            assert secret not in text, f"the {name} is in {path.name}"
