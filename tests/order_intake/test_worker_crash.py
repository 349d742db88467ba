"""A worker killed (SIGKILL) while it runs a turn: another worker finishes it, one order.

Real Celery worker processes on the real redis-server; the catalog is copied into an
embedded Qdrant directory the worker opens (vectors included, so nothing is re-embedded).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.celery_app import make_app
from flows.catalog_sync import SyncReport
from flows.conversations import ConversationStore, IncomingMessage
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.odoo import OdooConnector
from mcp_servers.settings import Settings
from sandbox.chatwoot import EmbeddedChatwoot
from sandbox.chatwoot.store import OUTGOING
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key
from tests.conftest import copy_catalog


@pytest.fixture
def chatwoot() -> Iterator[EmbeddedChatwoot]:
    with EmbeddedChatwoot() as server:
        yield server


@pytest.fixture
def env(embedded_odoo: EmbeddedOdoo, redis_url: str, tmp_path: Path,
        chatwoot: EmbeddedChatwoot,
        catalog_gateway: tuple[Gateway, SyncReport]) -> dict[str, str]:
    copy_catalog(catalog_gateway[0], tmp_path / "qdrant")
    return {**os.environ, "ODOO_URL": embedded_odoo.url, "ODOO_API_KEY": demo_api_key("admin"),
            "BALCAO_ODOO_WRITE_TOOLS": "create_quotation,create_partner",
            "BALCAO_REDIS_URL": redis_url, "BALCAO_CHATWOOT_URL": chatwoot.url,
            "BALCAO_DEBOUNCE_S": "0", "BALCAO_TASK_VISIBILITY_S": "3",
            "BALCAO_TENANTS_FILE": str(tmp_path / "none.json"),
            "QDRANT_PATH": str(tmp_path / "qdrant"), "BALCAO_AUDIT_DIR": str(tmp_path / "audit")}


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "api.worker", "worker",
                                 "--pool", "solo", "--loglevel", "INFO"], env=env,
                                stdout=out, stderr=out)


def test_killed_worker_mid_turn_resumes_with_one_order(env: dict[str, str], redis_url: str,
                                                       chatwoot: EmbeddedChatwoot,
                                                       tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    celery = make_app(Settings(_env_file=None, redis_url=redis_url, task_visibility_s=3))
    store = ConversationStore.from_url(redis_url)
    cw = chatwoot
    worker = start_worker(env, log)
    try:
        conversation = cw.store.add_conversation("Construtora Horizonte", "+5515927684208",
                                                 display_id=9701)  # unused by other tests
        cid = conversation.display_id

        def customer(message_id: int, text: str) -> None:
            cw.store.add_incoming_message(cid, text, deliver=False)
            store.record(IncomingMessage(account_id=3, conversation_id=cid,
                                         message_id=message_id, inbox_id=7, content=text,
                                         contact_name="Construtora Horizonte",
                                         phone="+5515927684208"))
            celery.send_task("balcao.process_conversation", args=[3, cid])

        def replies() -> list[str]:
            return [m.content or "" for m in cw.store.get_conversation(cid).messages
                    if m.message_type == OUTGOING and not m.private]

        customer(900_001, "quero 2 sacos de cimento CP II")
        _wait(lambda: len(replies()) == 1, 120, "the first reply")
        customer(900_002, "sim")
        processing = f"balcao:conv:3:{cid}:processing"
        _wait(lambda: store.redis.llen(processing) > 0, 60, "the turn to start")
        worker.send_signal(signal.SIGKILL)  # mid-turn: its messages are still in processing
        worker.wait(10)
        worker = start_worker(env, log)
        _wait(lambda: any("Orçamento" in r for r in replies()), 120, "the quotation reply",
              log)
        _wait(lambda: store.redis.llen(processing) == 0, 30, "the turn to finish")
    finally:
        worker.terminate()
        worker.wait(30)
    odoo = OdooConnector(env["ODOO_URL"], "casaobra", "admin", demo_api_key("admin"))
    orders = odoo.search_read("sale.order", [["client_order_ref", "=", f"chatwoot:3:{cid}:900002"]],
                              ["name", "amount_total"])
    assert len(orders) == 1
    assert any(orders[0]["name"] in r for r in replies())


def _wait(condition: object, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")
