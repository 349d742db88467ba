"""The Celery application object, apart from the tasks so the API can queue work without
importing the flows (and CrewAI) the workers run."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.schedules import crontab

from mcp_servers.settings import Settings


def make_app(settings: Settings) -> Celery:
    celery = Celery("balcao", broker=settings.redis_url, backend=settings.redis_url)
    celery.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=86_400, broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # a killed worker's unacknowledged task comes back after this (Redis transport)
        broker_transport_options={
            "visibility_timeout": settings.task_visibility_s,
            # sweep for abandoned tasks a few times per visibility period, not every ~100 s
            "unacked_restore_interval": max(1, min(10, settings.task_visibility_s // 3)),
            "unacked_restore_throttle": 1},
        result_backend_transport_options={"visibility_timeout": settings.task_visibility_s},
        timezone=settings.timezone,
        beat_schedule=beat_schedule(settings))
    return celery


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The catalog sync every few minutes and, unless switched off, the daily finance
    report of every tenant (a crews API run: listed, streamed and downloadable there)."""
    schedule: dict[str, dict[str, Any]] = {
        "catalog-sync": {"task": "balcao.catalog_sync_all",
                         "schedule": settings.catalog_sync_interval_s}}
    if settings.finance_report_hour >= 0:
        schedule["finance-daily"] = {"task": "balcao.finance_report_all",
                                     "schedule": crontab(hour=settings.finance_report_hour,
                                                         minute=0)}
    return schedule
