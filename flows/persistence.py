"""CrewAI flow state in Redis, so a worker that dies mid-turn resumes where it stopped.

A conversation's flow id is ``"{account}:{conversation}"``; its state lives under the same
key the API reads for ``GET /conversations/…`` and expires after
``BALCAO_CONVERSATION_TTL_S``. Registered as CrewAI's default persistence on import.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from crewai.flow.persistence import FlowPersistence
from crewai.flow.persistence.factory import set_flow_persistence_factory
from pydantic import BaseModel, PrivateAttr

from flows.conversations import PREFIX
from mcp_servers.redis_clients import sync_redis
from mcp_servers.settings import get_settings


def state_key(flow_id: str) -> str:
    account, _, conversation = flow_id.partition(":")
    if conversation:
        return f"{PREFIX}:{account}:{conversation}:state"
    return f"balcao:flow:{flow_id}:state"


class RedisFlowPersistence(FlowPersistence):
    """Latest state per flow id, as JSON, with a TTL."""

    persistence_type: str = "RedisFlowPersistence"
    url: str = ""
    ttl_s: int = 7 * 86_400
    _client: Any = PrivateAttr(default=None)

    def init_db(self) -> None:
        self._redis()

    def _redis(self) -> redis.Redis:
        if self._client is None:
            self._client = sync_redis(self.url or get_settings().redis_url,
                                      decode_responses=True)
        return self._client

    def save_state(self, flow_uuid: str, method_name: str,
                   state_data: dict[str, Any] | BaseModel) -> None:
        data = state_data.model_dump(mode="json") if isinstance(state_data, BaseModel) \
            else dict(state_data)
        self._redis().set(state_key(flow_uuid), json.dumps(data), ex=self.ttl_s)

    def load_state(self, flow_uuid: str) -> dict[str, Any] | None:
        raw = self._redis().get(state_key(flow_uuid))
        return json.loads(raw) if raw else None


def _default() -> RedisFlowPersistence:
    settings = get_settings()
    return RedisFlowPersistence(url=settings.redis_url, ttl_s=settings.conversation_ttl_s)


set_flow_persistence_factory(_default)
