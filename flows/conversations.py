"""Conversations in Redis: the durable inbox of customer messages and each conversation's state.

The webhook records a message here (deduplicated by message id and by delivery id) before
it answers Chatwoot, so an acknowledged message is never lost. A worker later takes every
pending message of one conversation as one turn: they move atomically to a processing list
and leave it only when the turn has finished, so a worker killed mid-turn leaves them to be
taken again. Keys expire after ``BALCAO_CONVERSATION_TTL_S``.
"""

from __future__ import annotations

import json
import time
from typing import Any, Literal

import redis
from pydantic import BaseModel, Field

from mcp_servers.redis_clients import sync_redis

PREFIX = "balcao:conv"

# move every message from the inbox to the processing list, atomically; processing keeps
# messages a crashed turn did not finish, so they come first
_TAKE = """
local moved = redis.call('LRANGE', KEYS[1], 0, -1)
for _, m in ipairs(moved) do redis.call('RPUSH', KEYS[2], m) end
redis.call('DEL', KEYS[1])
if #moved > 0 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return redis.call('LRANGE', KEYS[2], 0, -1)
"""


# dedupe by delivery and by message id, then append and stamp, in one round trip
_RECORD = """
if ARGV[1] ~= '' and redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[3]) == false then
  return 0
end
if redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[3]) == false then return 0 end
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('SET', KEYS[4], ARGV[4], 'EX', ARGV[3])
return 1
"""


class IncomingMessage(BaseModel):
    """What a turn needs from one customer message (the webhook's payload distilled)."""

    account_id: int
    conversation_id: int
    message_id: int
    inbox_id: int
    content: str
    contact_id: int = 0
    contact_name: str = ""
    phone: str = ""
    received_at: float = Field(default_factory=time.time)


class CartLine(BaseModel):
    default_code: str
    product_id: int
    name: str
    quantity: float
    uom: str
    price_unit: float
    subtotal: float


class SaleOrderRef(BaseModel):
    id: int
    name: str
    state: str
    amount_total: float


class Turn(BaseModel):
    role: Literal["customer", "bot"]
    text: str
    at: float = Field(default_factory=time.time)


class ConversationState(BaseModel):
    """One conversation as the bot sees it (also the body of GET /conversations/…)."""

    account_id: int
    conversation_id: int
    stage: str = "new"
    language: str = "pt"
    cart: list[CartLine] = []
    pending_question: str = ""
    sale_order: SaleOrderRef | None = None
    handoff: bool = False
    last_message_id: int = 0
    history: list[Turn] = []


def _key(account_id: int, conversation_id: int, part: str) -> str:
    return f"{PREFIX}:{account_id}:{conversation_id}:{part}"


class ConversationStore:
    """Redis-backed inbox, dedupe and handoff flag of every conversation."""

    def __init__(self, client: redis.Redis, ttl_s: int = 7 * 86_400):
        self.redis = client
        self.ttl_s = ttl_s
        self._take = client.register_script(_TAKE)
        self._record = client.register_script(_RECORD)

    @classmethod
    def from_url(cls, url: str, ttl_s: int = 7 * 86_400) -> ConversationStore:
        return cls(sync_redis(url, decode_responses=True), ttl_s)

    def record(self, message: IncomingMessage, delivery_id: str = "") -> bool:
        """Store a new message durably; False when it (or its delivery) was seen before."""
        keys = [f"balcao:seen:delivery:{delivery_id}",
                f"balcao:seen:msg:{message.account_id}:{message.message_id}",
                _key(message.account_id, message.conversation_id, "inbox"),
                _key(message.account_id, message.conversation_id, "last_in")]
        return bool(self._record(keys=keys, args=[delivery_id, message.model_dump_json(),
                                                  self.ttl_s, message.received_at]))

    def quiet_for(self, account_id: int, conversation_id: int) -> float:
        """Seconds since the conversation's last customer message (inf when none)."""
        last = self.redis.get(_key(account_id, conversation_id, "last_in"))
        return time.time() - float(last) if last else float("inf")

    def take(self, account_id: int, conversation_id: int) -> list[IncomingMessage]:
        """The turn's messages: unfinished ones from a crashed turn first, then new ones."""
        raw = self._take(keys=[_key(account_id, conversation_id, "inbox"),
                               _key(account_id, conversation_id, "processing")],
                         args=[self.ttl_s])
        return [IncomingMessage.model_validate_json(m) for m in raw]

    def done(self, account_id: int, conversation_id: int, count: int) -> None:
        """The turn that took ``count`` messages finished: forget them."""
        self.redis.ltrim(_key(account_id, conversation_id, "processing"), count, -1)

    def pending(self, account_id: int, conversation_id: int) -> int:
        return int(self.redis.llen(_key(account_id, conversation_id, "inbox")))

    def is_handed_off(self, account_id: int, conversation_id: int) -> bool:
        return bool(self.redis.exists(_key(account_id, conversation_id, "handoff")))

    def set_handoff(self, account_id: int, conversation_id: int, on: bool) -> None:
        key = _key(account_id, conversation_id, "handoff")
        if on:
            self.redis.set(key, 1, ex=self.ttl_s)
        else:
            self.redis.delete(key)

    def dead_letter(self, message: dict[str, Any], reason: str) -> None:
        """Keep a turn that kept failing, for a human to look at (nothing is dropped)."""
        self.redis.rpush("balcao:deadletter", json.dumps({**message, "reason": reason,
                                                          "at": time.time()}))

    def load_state(self, account_id: int, conversation_id: int) -> ConversationState:
        raw = self.redis.get(_key(account_id, conversation_id, "state"))
        if raw:
            return ConversationState.model_validate_json(raw)
        return ConversationState(account_id=account_id, conversation_id=conversation_id)

    def has_state(self, account_id: int, conversation_id: int) -> bool:
        return bool(self.redis.exists(_key(account_id, conversation_id, "state")))
