"""Celery: the workers that run flows, and the beat schedule (`balcao worker`, `balcao beat`).

Redis is broker and result backend. Tasks are acknowledged late and rejected when a worker
dies, so a crash re-delivers the work instead of losing it; a Redis lock keeps two syncs of
one tenant from running at once (beat and an operator, or two beats).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path
from typing import Any

from celery.exceptions import MaxRetriesExceededError

from api.celery_app import make_app
from flows.catalog_sync import run_catalog_sync
from flows.conversations import ConversationStore
from flows.crew_runs import RunContext, execute
from flows.mcp_client import FlowToolError, gateway_tools
from flows.order_turn import run_turn
from flows.replies import language_of
from flows.run_events import RunEvent
from flows.run_store import RunStore, result_json
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.odoo.tenants import CredentialManager
from mcp_servers.redis_clients import sync_redis
from mcp_servers.settings import Settings, get_settings

log = logging.getLogger(__name__)


app = make_app(get_settings())
_gateway: Gateway | None = None
_owner = threading.current_thread()  # the thread that may use _gateway itself
_per_thread = threading.local()
DELAYED = {"pt": "Recebi sua mensagem! Nosso sistema está lento agora; seu pedido não se "
                 "perdeu e eu respondo assim que normalizar.",
           "en": "Got your message! Our system is slow right now; nothing is lost and I "
                 "will answer as soon as it recovers."}
SORRY = {"pt": "Desculpe a demora! Tivemos um problema técnico; um atendente vai continuar "
               "seu atendimento por aqui.",
         "en": "Sorry for the delay! We had a technical problem; a person from our team "
               "will continue here."}


def shared_gateway(settings: Settings) -> Gateway | None:
    """This thread's gateway over the process's one catalog (embedding model, Qdrant), or
    None when flows reach a gateway deployed apart (``BALCAO_MCP_URL``).

    A FastMCP server holds asyncio locks that belong to one event loop, and every task runs
    its own loop; so threads (``--pool threads``) each get a gateway, and share the catalog
    and credentials, which are thread-safe.
    """
    global _gateway
    if settings.mcp_url:
        return None
    if _gateway is None:
        _gateway = Gateway(settings, http=False, default_role="operator")
    if threading.current_thread() is _owner:
        return _gateway
    mine: Gateway | None = getattr(_per_thread, "gateway", None)
    if mine is None:
        mine = _per_thread.gateway = Gateway(
            _gateway.settings, http=False, default_role="operator",
            credentials=_gateway.credentials, catalog=_gateway.catalog)
    return mine


def current_settings() -> Settings:
    """The shared gateway's settings when a process set one (the demo), else the env's."""
    return _gateway.settings if _gateway is not None else get_settings()


def use_broker(url: str) -> None:
    """Point this process's Celery app at another Redis (demo and tests). The connection
    and producer pools are dropped too: they are built once from the first broker, and
    tasks (retries included) would otherwise still be published there."""
    app.conf.update(broker_url=url, result_backend=url)
    app._pool = None
    app.amqp._producer_pool = None


def use_gateway(gateway: Gateway | None) -> None:
    """Run this process's tasks on ``gateway``'s settings and catalog (demo and tests)."""
    global _gateway, _owner, _per_thread
    _gateway, _owner, _per_thread = gateway, threading.current_thread(), threading.local()


@app.task(name="balcao.process_conversation", bind=True)
def process_conversation(self: Any, account_id: int, conversation_id: int) -> dict[str, Any]:
    """One turn of one conversation: strictly in order, after the customer paused."""
    settings = current_settings()
    store = ConversationStore.from_url(settings.redis_url, settings.conversation_ttl_s)
    # a dead worker's lock frees itself when its task would be redelivered anyway
    lock = store.redis.lock(f"balcao:lock:conv:{account_id}:{conversation_id}",
                            timeout=settings.task_visibility_s, blocking=False)
    if not lock.acquire():  # another turn of this conversation is running
        raise self.retry(countdown=1, max_retries=None)
    try:
        quiet = store.quiet_for(account_id, conversation_id)
        if quiet < settings.debounce_s:  # the customer is still typing: wait for the burst
            raise self.retry(countdown=settings.debounce_s - quiet, max_retries=None)
        messages = store.take(account_id, conversation_id)
        if not messages:
            return {"status": "nothing to do"}
        try:
            state = asyncio.run(run_turn(settings, messages, store=store,
                                         gateway=shared_gateway(settings)))
        except Exception as exc:  # any failure: retry with backoff, then dead-letter
            log.warning("turn of %s/%s failed (attempt %d): %s: %s", account_id,
                        conversation_id, self.request.retries + 1, type(exc).__name__, exc)
            if self.request.retries == 0:
                tell_delayed(settings, store, messages)
            try:
                raise self.retry(countdown=min(
                    2 ** self.request.retries * settings.turn_retry_base_s, 300),
                    max_retries=settings.turn_retries)
            except MaxRetriesExceededError:
                give_up(settings, store, messages, str(exc))
                return {"status": "dead-lettered", "messages": len(messages)}
        store.done(account_id, conversation_id, len(messages))
        return {"status": "answered", "messages": len(messages), "stage": state.stage}
    finally:
        lock.release()


def _customer_language(store: ConversationStore, messages: list[Any]) -> str:
    last = messages[-1]
    state = store.load_state(last.account_id, last.conversation_id)
    return language_of(" ".join(m.content for m in messages), state.language)


def _best_effort(settings: Settings, calls: list[tuple[str, dict[str, Any]]]) -> str:
    """Run tool calls on this thread's gateway; '' when done, else the error (Chatwoot
    itself may be what is down, and this must never fail the task)."""
    async def run() -> None:
        async with gateway_tools(settings, role="operator",
                                 gateway=shared_gateway(settings)) as tools:
            for tool, arguments in calls:
                await tools.call(tool, **arguments)
    try:
        asyncio.run(run())
    except FlowToolError as exc:
        return str(exc)
    return ""


def tell_delayed(settings: Settings, store: ConversationStore,
                 messages: list[Any]) -> None:
    """First failure of a turn: the customer hears we have it, once (idempotency key)."""
    last = messages[-1]
    error = _best_effort(settings, [("chatwoot_send_message", {
        "conversation_id": last.conversation_id,
        "content": DELAYED[_customer_language(store, messages)],
        "idempotency_key": f"delayed:{last.message_id}"})])
    if error:
        log.info("could not tell %s/%s about the delay: %s", last.account_id,
                 last.conversation_id, error)


def give_up(settings: Settings, store: ConversationStore, messages: list[Any],
            reason: str) -> None:
    """Keep the turn in the dead-letter list, apologise, and hand over to a human."""
    last = messages[-1]
    store.dead_letter({"account_id": last.account_id, "conversation_id": last.conversation_id,
                       "messages": [m.model_dump() for m in messages]}, reason)
    store.done(last.account_id, last.conversation_id, len(messages))
    store.set_handoff(last.account_id, last.conversation_id, on=True)
    error = _best_effort(settings, [
        ("chatwoot_send_message", {"conversation_id": last.conversation_id,
                                   "content": SORRY[_customer_language(store, messages)],
                                   "idempotency_key": f"sorry:{last.message_id}"}),
        ("chatwoot_update_status", {"conversation_id": last.conversation_id,
                                    "status": "open"})])
    if error:
        log.error("could not tell the customer of %s/%s: %s", last.account_id,
                  last.conversation_id, error)


@app.task(name="balcao.catalog_sync", bind=True, autoretry_for=(FlowToolError,),
          retry_backoff=30, retry_backoff_max=600, max_retries=5)
def catalog_sync(self: Any, tenant: str = "", full: bool = False) -> dict[str, Any]:
    """Sync one tenant's catalog; skipped (not queued twice) while another sync runs."""
    settings = get_settings()
    tenant = tenant or settings.default_tenant
    lock = sync_redis(settings.redis_url).lock(
        f"balcao:lock:catalog-sync:{tenant}", timeout=3600, blocking=False)
    if not lock.acquire():
        log.info("catalog sync of %s already running; skipped", tenant)
        return {"tenant": tenant, "skipped": "another sync of this tenant is running"}
    try:
        return asyncio.run(run_catalog_sync(settings, tenant, full=full)).model_dump()
    finally:
        lock.release()


@app.task(name="balcao.catalog_sync_all")
def catalog_sync_all() -> list[str]:
    """Beat's entry: one sync task per tenant."""
    tenants = [t.tenant_id for t in CredentialManager.from_settings(get_settings()).tenants()]
    for tenant in tenants:
        catalog_sync.delay(tenant)
    return tenants


@app.task(name="balcao.crew_run")
def crew_run(run_id: str) -> dict[str, Any]:
    """One run of the crews API: progress to the run's Redis stream, result to its record.

    A run redelivered after a worker died starts over (its events say so); a finished run
    delivered again is left alone.
    """
    settings = current_settings()
    runs = RunStore.from_url(settings.redis_url, settings.run_ttl_s)
    record = runs.get(run_id)
    if record is None or record.finished:
        return {"run_id": run_id, "status": record.status if record else "expired"}
    runs.update(run_id, status="running", started_at=time.time())
    directory = Path(settings.runs_dir) / run_id
    ctx = RunContext(tenant=record.tenant, directory=directory, settings=settings,
                     gateway=shared_gateway(settings),
                     emit=lambda event: runs.publish(run_id, event))
    try:
        result = asyncio.run(execute(record.crew, record.inputs, ctx))
    except Exception as exc:  # the run fails visibly; the worker lives on
        error = (str(exc) if isinstance(exc, FlowToolError | ValueError)
                 else f"{type(exc).__name__} inside the {record.crew} crew (see the "
                      "worker's log)")
        log.exception("run %s (%s) failed", run_id, record.crew)
        runs.update(run_id, status="failed", finished_at=time.time(), error=error)
        runs.publish(run_id, RunEvent(type="error", message=error))
        return {"run_id": run_id, "status": "failed"}
    files = sorted(p.name for p in directory.iterdir() if p.is_file()) \
        if directory.is_dir() else []
    runs.update(run_id, status="succeeded", finished_at=time.time(),
                result=result_json(result), files=files)
    runs.publish(run_id, RunEvent(type="done", progress=1.0, message="succeeded",
                                  data={"files": files}))
    return {"run_id": run_id, "status": "succeeded"}


@app.task(name="balcao.finance_report_all")
def finance_report_all() -> list[str]:
    """Beat's daily entry: a financial analysis run (all companies, today) per tenant."""
    settings = current_settings()
    runs = RunStore.from_url(settings.redis_url, settings.run_ttl_s)
    started = []
    for tenant in CredentialManager.from_settings(settings).tenants():
        record = runs.create("financial_analysis", tenant.tenant_id,
                             {"company": "all", "as_of": None, "period": "monthly",
                              "language": "pt"}, "beat")
        crew_run.delay(record.run_id)
        started.append(record.run_id)
    return started
