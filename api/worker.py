"""Celery: the workers that run flows, and the beat schedule (`balcao worker`, `balcao beat`).

Redis is broker and result backend. Tasks are acknowledged late and rejected when a worker
dies, so a crash re-delivers the work instead of losing it; a Redis lock keeps two syncs of
one tenant from running at once (beat and an operator, or two beats).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis
from celery import Celery

from flows.catalog_sync import run_catalog_sync
from flows.mcp_client import FlowToolError
from mcp_servers.odoo.tenants import CredentialManager
from mcp_servers.settings import Settings, get_settings

log = logging.getLogger(__name__)


def make_app(settings: Settings) -> Celery:
    celery = Celery("balcao", broker=settings.redis_url, backend=settings.redis_url)
    celery.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=86_400, broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule={"catalog-sync": {"task": "balcao.catalog_sync_all",
                                        "schedule": settings.catalog_sync_interval_s}})
    return celery


app = make_app(get_settings())


@app.task(name="balcao.catalog_sync", bind=True, autoretry_for=(FlowToolError,),
          retry_backoff=30, retry_backoff_max=600, max_retries=5)
def catalog_sync(self: Any, tenant: str = "", full: bool = False) -> dict[str, Any]:
    """Sync one tenant's catalog; skipped (not queued twice) while another sync runs."""
    settings = get_settings()
    tenant = tenant or settings.default_tenant
    lock = redis.Redis.from_url(settings.redis_url).lock(
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
