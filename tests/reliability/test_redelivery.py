"""Every message delivered three times, 20 conversations at once, 2 API processes and 2
workers: each message is processed once, in order, and each confirmed cart is one order."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter

import httpx

from flows.conversations import ConversationStore
from mcp_servers.odoo import OdooConnector
from sandbox.chatwoot import DEMO_WEBHOOK_SECRET, EmbeddedChatwoot
from sandbox.chatwoot.store import OUTGOING
from sandbox.chatwoot.webhooks import WebhookSender, encode, message_webhook_data
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key
from sandbox.topology import Topology, wait_for

SCRIPT = ("quero 2 sacos de cimento CP II", "e 1 trena de 5 m", "na verdade são 3 sacos",
          "tira a trena", "sim")
CONVERSATIONS = 20
FIRST_DISPLAY_ID = 8101  # above every id other modules use with their own doubles


def customers() -> list[tuple[str, str]]:
    import csv
    from pathlib import Path

    rows = csv.DictReader((Path(__file__).parents[2] / "sandbox" / "data" /
                           "partners.csv").open(encoding="utf-8"))
    return [(r["name"], r["phone"]) for r in rows if r["kind"] == "customer"][:CONVERSATIONS]


def bot_replies(chatwoot: EmbeddedChatwoot, conversation_id: int) -> list[str]:
    conversation = chatwoot.store.get_conversation(conversation_id)
    return [m.content or "" for m in conversation.messages
            if m.message_type == OUTGOING and not m.private]


def deliver_three_times(chatwoot: EmbeddedChatwoot, urls: list[str], conversation_id: int,
                        text: str, outcomes: Counter[str]) -> None:
    """Chatwoot's webhook and a second one (two receivers, two delivery ids) hit both API
    replicas at once; then a retry of the first delivery (same id) hits a random one."""
    message = chatwoot.store.add_incoming_message(conversation_id, text, deliver=False)
    body = message_webhook_data(chatwoot.store, message, "message_created")
    raw = encode(body)
    signer = WebhookSender(urls[0], DEMO_WEBHOOK_SECRET)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    answers: list[str] = []

    def post(url: str, delivery: str) -> None:
        response = httpx.post(f"{url}/webhooks/chatwoot", content=raw, timeout=10,
                              headers=signer.headers(raw, delivery))
        response.raise_for_status()
        answers.append(response.json()["status"])

    threads = [threading.Thread(target=post, args=(urls[0], first)),
               threading.Thread(target=post, args=(urls[1], second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    post(random.choice(urls), first)
    outcomes.update(answers)
    assert sorted(answers) == ["duplicate", "duplicate", "queued"], answers


def test_redelivered_messages_are_processed_once_in_order_with_one_order_per_cart(
        topology: Topology, chatwoot: EmbeddedChatwoot, embedded_odoo: EmbeddedOdoo) -> None:
    people = customers()
    conversations = [chatwoot.store.add_conversation(name, phone, display_id=FIRST_DISPLAY_ID + i)
                     for i, (name, phone) in enumerate(people)]
    outcomes: Counter[str] = Counter()
    failures: list[BaseException] = []

    def customer(conversation_id: int) -> None:
        try:
            for n, text in enumerate(SCRIPT, start=1):
                deliver_three_times(chatwoot, topology.api_urls, conversation_id, text,
                                    outcomes)
                # a person waits for the answer before writing again
                wait_for(lambda n=n: len(bot_replies(chatwoot, conversation_id)) >= n, 90,
                         f"reply {n} in conversation {conversation_id}")
        except BaseException as exc:  # reported below, with the others
            failures.append(exc)

    threads = [threading.Thread(target=customer, args=(c.display_id,)) for c in conversations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not failures, f"{failures[0]}\n{topology.logs()[-3000:]}"
    assert outcomes == Counter(queued=CONVERSATIONS * len(SCRIPT),
                               duplicate=2 * CONVERSATIONS * len(SCRIPT))
    odoo = OdooConnector(embedded_odoo.url, "casaobra", "admin", demo_api_key("admin"))
    store = ConversationStore.from_url(topology.redis.url)
    for conversation in conversations:
        cid = conversation.display_id
        replies = bot_replies(chatwoot, cid)
        assert len(replies) == len(SCRIPT), (cid, replies)  # one answer per message
        history = store.load_state(3, cid).history
        # each message read once, in the order written, each followed by its answer
        assert [t.text for t in history if t.role == "customer"] == list(SCRIPT), cid
        assert [t.role for t in history] == ["customer", "bot"] * len(SCRIPT), cid
        orders = odoo.search_read("sale.order",
                                  [["client_order_ref", "=like", f"chatwoot:3:{cid}:%"]],
                                  ["name", "order_line"])
        assert len(orders) == 1, (cid, orders)  # one quotation per confirmed cart
        lines = odoo.read("sale.order.line", orders[0]["order_line"],
                          ["product_uom_qty", "product_id"])
        # "3 sacos" came after "2 sacos" and the tape was removed before "sim"
        assert [(line["product_uom_qty"], line["product_id"][1][:5]) for line in lines] \
            == [(3.0, "[CIM-")], (cid, lines)
        assert orders[0]["name"] in replies[-1]
