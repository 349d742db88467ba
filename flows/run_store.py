"""Crew runs in Redis: the record (status, timings, result) and the event stream.

Events go to a Redis stream per run (``XADD``), not plain pub/sub: every API replica can
follow any run live with a blocking ``XREAD``, a client that connects late or reconnects
with ``Last-Event-ID`` still gets every event, and nothing is lost between a run starting
and someone subscribing. Records and streams expire after ``BALCAO_RUN_TTL_S``.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

import redis
from pydantic import BaseModel

from flows.run_events import RunEvent
from mcp_servers.redis_clients import async_redis, sync_redis

Status = Literal["queued", "running", "succeeded", "failed"]
PREFIX = "balcao:run:"
MAX_EVENTS = 10_000  # a stream is capped: a runaway run cannot fill Redis


class RunRecord(BaseModel):
    run_id: str
    crew: str
    tenant: str
    status: Status
    inputs: dict[str, Any]
    requested_by: str = ""
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    error: str = ""
    files: list[str] = []

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed")


def _key(run_id: str) -> str:
    return f"{PREFIX}{run_id}"


def _events_key(run_id: str) -> str:
    return f"{PREFIX}{run_id}:events"


class RunStore:
    """Writes (the API creates, workers update) and synchronous reads."""

    def __init__(self, client: redis.Redis, ttl_s: int):
        self.redis, self.ttl_s = client, ttl_s

    @classmethod
    def from_url(cls, url: str, ttl_s: int) -> RunStore:
        return cls(sync_redis(url), ttl_s)

    def create(self, crew: str, tenant: str, inputs: dict[str, Any], requested_by: str
               ) -> RunRecord:
        record = RunRecord(run_id=uuid.uuid4().hex, crew=crew, tenant=tenant, status="queued",
                           inputs=inputs, requested_by=requested_by, created_at=time.time())
        self._save(record)
        return record

    def _save(self, record: RunRecord) -> None:
        self.redis.set(_key(record.run_id), record.model_dump_json(), ex=self.ttl_s)

    def get(self, run_id: str) -> RunRecord | None:
        raw = self.redis.get(_key(run_id))
        return RunRecord.model_validate_json(raw) if raw else None

    def update(self, run_id: str, **changes: Any) -> RunRecord:
        record = self.get(run_id)
        if record is None:
            raise KeyError(f"no run {run_id} (expired?)")
        record = record.model_copy(update=changes)
        self._save(record)
        return record

    def publish(self, run_id: str, event: RunEvent) -> str:
        key = _events_key(run_id)
        pipe = self.redis.pipeline()
        pipe.xadd(key, {"event": event.model_dump_json()}, maxlen=MAX_EVENTS,
                  approximate=True)
        pipe.expire(key, self.ttl_s)
        return pipe.execute()[0].decode()


class RunReader:
    """The API's asynchronous side: records and live event streams."""

    def __init__(self, url: str):
        self.redis = async_redis(url)

    async def get(self, run_id: str) -> RunRecord | None:
        raw = await self.redis.get(_key(run_id))
        return RunRecord.model_validate_json(raw) if raw else None

    async def events(self, run_id: str, after: str = "0", block_ms: int = 15_000
                     ) -> list[tuple[str, RunEvent]]:
        """Events after stream id ``after``; waits up to ``block_ms`` for the next one."""
        found = await self.redis.xread({_events_key(run_id): after}, count=100,
                                       block=block_ms)
        return [(entry_id.decode(), RunEvent.model_validate_json(fields[b"event"]))
                for _stream, entries in found for entry_id, fields in entries]


def result_json(result: dict[str, Any]) -> dict[str, Any]:
    """A result as JSON will store it (dates and decimals as the CLI writes them)."""
    return json.loads(json.dumps(result, default=str))
