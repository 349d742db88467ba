"""The Celery application object, apart from the tasks so the API can queue work without
importing the flows (and CrewAI) the workers run."""

from __future__ import annotations

from celery import Celery

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
        beat_schedule={"catalog-sync": {"task": "balcao.catalog_sync_all",
                                        "schedule": settings.catalog_sync_interval_s}})
    return celery
