"""The catalog sync task on a real Celery worker process, with Redis as broker and backend."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from api.celery_app import make_app
from api.worker import catalog_sync
from mcp_servers.settings import Settings
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key


@pytest.fixture
def worker_env(embedded_odoo: EmbeddedOdoo, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ODOO_URL": embedded_odoo.url, "ODOO_API_KEY": demo_api_key("admin"),
            "BALCAO_REDIS_URL": redis_url, "QDRANT_PATH": ":memory:",
            "BALCAO_TENANTS_FILE": str(tmp_path / "none.json"),
            "BALCAO_AUDIT_DIR": str(tmp_path / "audit")}


@pytest.fixture
def worker(worker_env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "api.worker", "worker",
                             "--pool", "solo", "--concurrency", "1", "--loglevel", "WARNING"],
                            env=worker_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(30)


def test_catalog_sync_runs_on_a_worker(worker: None, redis_url: str) -> None:
    client = make_app(Settings(_env_file=None, redis_url=redis_url))
    result = client.send_task(catalog_sync.name, kwargs={"tenant": "casaobra"})
    report = result.get(timeout=180)
    assert (report["tenant"], report["read"], report["embedded"]) == ("casaobra", 200, 200)


def test_a_running_sync_is_not_started_twice(redis_url: str, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setenv("BALCAO_REDIS_URL", redis_url)
    from mcp_servers.settings import get_settings

    get_settings.cache_clear()
    lock = redis.Redis.from_url(redis_url).lock("balcao:lock:catalog-sync:busy", timeout=60)
    assert lock.acquire()
    try:
        assert catalog_sync.run(tenant="busy")["skipped"]
    finally:
        lock.release()
        get_settings.cache_clear()
