"""The demo's WhatsApp conversation, played through the running product.

A redis-server, the Chatwoot double, the API on loopback and a Celery worker start in this
process. The Chatwoot double POSTs each customer message as a signed webhook to
``/webhooks/chatwoot``; the worker runs the order flow; the bot's replies come back through
Chatwoot's API. At the end the quotation is read back from Odoo.
"""

from __future__ import annotations

import time
from pathlib import Path

from celery.contrib.testing.worker import start_worker
from pydantic import SecretStr
from rich.console import Console

from api import worker as worker_module
from api.app import create_app
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.odoo import OdooConnector
from mcp_servers.settings import Settings
from sandbox.chatwoot import EmbeddedChatwoot
from sandbox.chatwoot.server import DEMO_WEBHOOK_SECRET
from sandbox.chatwoot.store import OUTGOING
from sandbox.loopback import LoopbackServer
from sandbox.redis_server import RedisServer

CUSTOMER = ("Construtora Horizonte", "+5515927684208")
SCRIPT = ("Oi, quero 2 caixas de parafuso sextavado 3/8 x 2 e 1 furadeira de impacto 650W 220V",
          "na verdade são 3 caixas",
          "sim")


def _replies(chatwoot: EmbeddedChatwoot, conversation_id: int) -> list[str]:
    conversation = chatwoot.store.get_conversation(conversation_id)
    return [m.content or "" for m in conversation.messages
            if m.message_type == OUTGOING and not m.private]


def play(settings: Settings, odoo: OdooConnector, data_dir: Path, console: Console) -> None:
    """Run the scripted conversation and print it, ending with the quotation from Odoo."""
    # the Chatwoot double keeps its state beside Odoo's: conversation and message ids, and so
    # the quotation keys made of them, stay unique across demo runs
    with RedisServer(data_dir) as redis_server, EmbeddedChatwoot(data_dir) as chatwoot:
        demo = settings.model_copy(update={
            "redis_url": redis_server.url, "chatwoot_url": chatwoot.url,
            "chatwoot_webhook_secret": SecretStr(DEMO_WEBHOOK_SECRET), "debounce_s": 1.0,
            "odoo_write_tools": "create_quotation,create_partner"})
        worker_module.use_broker(demo.redis_url)
        gateway = Gateway(demo, http=False, default_role="operator")
        worker_module.use_gateway(gateway)
        api = LoopbackServer(create_app(demo, gateway=gateway)).start()
        chatwoot.set_webhook(f"{api.url}/webhooks/chatwoot", DEMO_WEBHOOK_SECRET)
        try:
            with start_worker(worker_module.app, pool="solo", concurrency=1,
                              perform_ping_check=False, shutdown_timeout=30):
                conversation = chatwoot.store.add_conversation(*CUSTOMER)
                console.rule(f"WhatsApp: {CUSTOMER[0]} ({CUSTOMER[1]}), Chatwoot "
                             f"conversation {conversation.display_id}, API {api.url}")
                for text in SCRIPT:
                    before = len(_replies(chatwoot, conversation.display_id))
                    console.print(f"[bold cyan]cliente:[/] {text}")
                    chatwoot.store.add_incoming_message(conversation.display_id, text)
                    deadline = time.monotonic() + 120
                    while len(_replies(chatwoot, conversation.display_id)) == before:
                        if time.monotonic() > deadline:
                            raise SystemExit("the bot did not answer within 120 s")
                        time.sleep(0.1)
                    console.print(f"[bold green]bot:[/] "
                                  f"{_replies(chatwoot, conversation.display_id)[-1]}\n")
        finally:
            chatwoot.set_webhook(None)
            api.stop()
            if worker_module._gateway is not None:
                worker_module._gateway.catalog.close()
            worker_module.use_gateway(None)
    orders = odoo.search_read(
        "sale.order", [["client_order_ref", "like", f"chatwoot:3:{conversation.display_id}:"]],
        ["name", "partner_id", "amount_total", "state"])
    for order in orders:
        console.print(f"Odoo: quotation [bold]{order['name']}[/] for {order['partner_id'][1]}, "
                      f"state {order['state']}, total R$ {order['amount_total']:.2f}")
