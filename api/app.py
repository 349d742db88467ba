"""The HTTP API (`balcao api`): Chatwoot's webhook, crew runs, conversation state, health and
metrics.

The webhook answers within milliseconds: it checks the delivery, records the message in
Redis (durable, deduplicated) and queues the conversation's turn on the Celery workers
after the debounce window. Rejections are 4xx with a JSON ``error``; nothing in a rejected
delivery is stored.
"""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations at runtime

import json
import logging
import time
from collections.abc import Callable
from typing import Annotated, Any

import redis.asyncio as aioredis
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastmcp.server.auth.providers.jwt import JWTVerifier
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from api.auth import require
from api.celery_app import make_app
from api.crews_api import celery_enqueue_run, crews_router
from api.webhooks import (
    Decision,
    WebhookRejected,
    classify,
    verify_signature,
    verify_token,
)
from flows.conversations import ConversationState, ConversationStore
from flows.readiness import backends_ready
from mcp_servers.gateway.assemble import Gateway, jwt_verifier
from mcp_servers.redis_clients import async_redis
from mcp_servers.settings import Settings

log = logging.getLogger(__name__)
Enqueue = Callable[[int, int, float], None]


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter("balcao_webhooks_total", "Webhook deliveries by outcome",
                                ["outcome"], registry=self.registry)
        self.ack_seconds = Histogram("balcao_webhook_ack_seconds", "Time to acknowledge",
                                     registry=self.registry,
                                     buckets=(.001, .0025, .005, .01, .025, .05, .1, .5, 1, 5))


def check_auth_configured(settings: Settings) -> None:
    if not (settings.chatwoot_webhook_secret or settings.webhook_token or settings.demo_mode):
        raise SystemExit("the webhook needs BALCAO_CHATWOOT_WEBHOOK_SECRET (signed deliveries) "
                         "or BALCAO_WEBHOOK_TOKEN (?token=); BALCAO_DEMO_MODE=true accepts "
                         "unauthenticated ones, for the embedded demo only")


def celery_enqueue(settings: Settings) -> Enqueue:
    celery = make_app(settings)

    def enqueue(account_id: int, conversation_id: int, delay_s: float) -> None:
        celery.send_task("balcao.process_conversation", args=[account_id, conversation_id],
                         countdown=delay_s)
    return enqueue


def create_app(settings: Settings, *, enqueue: Enqueue | None = None,
               verifier: JWTVerifier | None = None, gateway: Gateway | None = None,
               enqueue_run: Callable[[str], None] | None = None) -> FastAPI:
    """The API over ``settings``; ``enqueue`` defaults to the Celery workers.

    ``/ready`` asks the gateway at ``BALCAO_MCP_URL`` about the backends, or ``gateway``
    when the API shares a process with one (the demo).
    """
    check_auth_configured(settings)
    store = ConversationStore.from_url(settings.redis_url, settings.conversation_ttl_s)
    queue = enqueue or celery_enqueue(settings)
    metrics = ApiMetrics()
    inbox_ids = {int(i) for i in settings.chatwoot_inbox_ids.split(",") if i.strip()}
    app = FastAPI(title="Balcão API", version="0.1",
                  description="Chatwoot webhook, crew runs with streamed progress, "
                              "conversation state and health of Balcão.")
    app.state.store = store

    def accept(decision: Decision, delivery_id: str) -> dict[str, Any]:
        if decision.resolved:
            store.set_handoff(*decision.resolved, on=False)
        if decision.message is None:
            return {"status": "ignored", "reason": decision.ignored}
        message = decision.message
        if store.is_handed_off(message.account_id, message.conversation_id):
            return {"status": "ignored", "reason": "handed off to a human"}
        if not store.record(message, delivery_id):
            return {"status": "duplicate", "message_id": message.message_id}
        queue(message.account_id, message.conversation_id, settings.debounce_s)
        return {"status": "queued", "message_id": message.message_id}

    @app.exception_handler(WebhookRejected)
    async def rejected(request: Request, exc: WebhookRejected) -> JSONResponse:
        metrics.webhooks.labels(outcome=f"rejected_{exc.status}").inc()
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.post("/webhooks/chatwoot", summary="Chatwoot webhook (every event)")
    async def chatwoot_webhook(
            request: Request, token: Annotated[str | None, Query()] = None,
            x_chatwoot_signature: Annotated[str | None, Header()] = None,
            x_chatwoot_timestamp: Annotated[str | None, Header()] = None,
            x_chatwoot_delivery: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        started = time.perf_counter()
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > settings.webhook_max_bytes:
            raise WebhookRejected(413, f"body over {settings.webhook_max_bytes} bytes")
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > settings.webhook_max_bytes:
                raise WebhookRejected(413, f"body over {settings.webhook_max_bytes} bytes")
        if settings.chatwoot_webhook_secret:
            verify_signature(raw, x_chatwoot_timestamp, x_chatwoot_signature,
                             settings.chatwoot_webhook_secret.get_secret_value(),
                             settings.webhook_tolerance_s)
        elif settings.webhook_token:
            verify_token(token, settings.webhook_token.get_secret_value())
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WebhookRejected(400, f"malformed JSON: {exc}") from None
        decision = classify(payload, inbox_ids)
        # two short loopback round trips (one Lua script, one publish): cheaper inline than
        # a thread hop (measured with bench/webhook_load.py)
        outcome = accept(decision, x_chatwoot_delivery or "")
        metrics.webhooks.labels(outcome=outcome["status"]).inc()
        metrics.ack_seconds.observe(time.perf_counter() - started)
        return outcome

    auth = verifier or (jwt_verifier(settings) if settings.jwt_secret or settings.jwt_jwks_url
                        else None)

    operator = require(auth, "operator")
    app.include_router(crews_router(settings, auth, enqueue_run or celery_enqueue_run(settings)))

    @app.get("/conversations/{account_id}/{conversation_id}", response_model=ConversationState,
             summary="A conversation's state (operator token)")
    async def conversation(account_id: int, conversation_id: int,
                           claims: Annotated[dict[str, Any], Depends(operator)]
                           ) -> ConversationState:
        if not store.has_state(account_id, conversation_id) and \
                not store.pending(account_id, conversation_id):
            raise HTTPException(404, f"no conversation {account_id}/{conversation_id}")
        return store.load_state(account_id, conversation_id)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", summary="Redis, Odoo, Qdrant and Chatwoot reachable")
    async def ready() -> JSONResponse:
        checks = await backends_ready(settings, gateway)
        try:
            await async_redis(settings.redis_url).ping()
            checks["redis"] = "ok"
        except (OSError, aioredis.RedisError) as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def app_from_env() -> FastAPI:
    """The API from the environment (``balcao api``; one per uvicorn worker process)."""
    from mcp_servers.settings import get_settings

    return create_app(get_settings())
