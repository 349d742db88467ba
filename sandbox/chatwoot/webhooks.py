"""Webhook deliveries as Chatwoot makes them, and the payloads they carry.

``Webhooks::Trigger``: ``POST <url>`` with the compact JSON body (ActiveSupport escapes ``<``,
``>``, ``&``), ``X-Chatwoot-Delivery`` (a UUID), and, when a secret is set,
``X-Chatwoot-Timestamp`` + ``X-Chatwoot-Signature`` = ``sha256=`` + hex HMAC-SHA256 of
``"{timestamp}.{raw body}"``. One attempt, 5 s timeout, no retry (account webhooks).

Payload builders mirror ``Message#webhook_data``, ``Message#webhook_push_event_data`` and
``Conversations::EventDataPresenter#webhook_data`` (see the fixtures in
``shared/fixtures/chatwoot/webhooks``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.chatwoot.store import (
    MESSAGE_TYPE_NAMES,
    AgentBot,
    ChatwootStore,
    Contact,
    Conversation,
    Message,
    User,
    epoch,
    iso,
)

log = logging.getLogger(__name__)

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
            "\u2029": "\\u2029"}


def encode(body: dict[str, Any]) -> bytes:
    """``payload.to_json``: compact UTF-8, HTML-sensitive characters escaped."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _ESCAPES[m.group()], text).encode()


def sign(secret: str, timestamp: str, raw: bytes) -> str:
    """The ``X-Chatwoot-Signature`` value for that timestamp and raw body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, headers: Any, raw: bytes, *, tolerance: float = 300) -> bool:
    """What a receiver checks (constant-time compare, timestamps within ``tolerance``)."""
    timestamp, signature = headers.get("X-Chatwoot-Timestamp"), headers.get(
        "X-Chatwoot-Signature")
    if not timestamp or not signature or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, raw), signature)


@dataclass
class Delivery:
    """One delivery attempt (there is never a second one)."""

    event: str
    delivery_id: str
    url: str
    status_code: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    """Posts signed events to one URL: ``send`` waits, ``enqueue`` goes through a worker
    thread in order (like Chatwoot's jobs). Every attempt is kept in ``deliveries``."""

    def __init__(self, url: str, secret: str | None, *, timeout: float = 5.0):
        self.url, self.secret, self.timeout = url, secret, timeout
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client

    def headers(self, raw: bytes, delivery_id: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "X-Chatwoot-Delivery": delivery_id}
        if self.secret:
            timestamp = str(int(time.time()))
            headers["X-Chatwoot-Timestamp"] = timestamp
            headers["X-Chatwoot-Signature"] = sign(self.secret, timestamp, raw)
        return headers

    def send(self, body: dict[str, Any]) -> Delivery:
        raw = encode(body)
        delivery = Delivery(event=str(body.get("event")), delivery_id=str(uuid.uuid4()),
                            url=self.url)
        try:
            response = self._http().post(self.url, content=raw,
                                         headers=self.headers(raw, delivery.delivery_id))
            delivery.status_code = response.status_code
            if not delivery.ok:
                delivery.error = f"{response.status_code} {response.reason_phrase}"
        except httpx.HTTPError as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        if delivery.error:
            log.warning("webhook %s to %s failed: %s", delivery.event, self.url, delivery.error)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def enqueue(self, body: dict[str, Any]) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="chatwoot-webhooks",
                                                daemon=True)
                self._worker.start()
        self._queue.put(body)

    def _run(self) -> None:
        while True:
            body = self._queue.get()
            try:
                if body is None:
                    return
                self.send(body)
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every queued event has been attempted."""
        self._queue.join()

    def close(self) -> None:
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=self.timeout + 1)
            self._worker = None
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


# --- payloads ------------------------------------------------------------------------------
def normalize_content(content: str | None) -> str | None:
    """``Messages::WebhookContentNormalizer``: markdown hard breaks become newlines."""
    if content is None:
        return None
    return content.replace("\\\n", "\n").rstrip()


def sender_push_data(sender: Contact | User | AgentBot | None) -> dict[str, Any] | None:
    return sender.push_event_data() if sender is not None else None


def message_push_event_data(store: ChatwootStore, message: Message) -> dict[str, Any]:
    """``Message#push_event_data`` (items of ``conversation.messages``)."""
    conversation = store.conversation(message.account_id, message.conversation_id)
    contact_inbox = store.contact_inboxes[conversation.contact_inbox_id]
    data: dict[str, Any] = {
        "id": message.id, "content": normalize_content(message.content),
        "account_id": message.account_id, "inbox_id": message.inbox_id,
        "conversation_id": message.conversation_id, "message_type": message.message_type,
        "created_at": int(message.created_at), "updated_at": iso(message.updated_at),
        "private": message.private, "status": message.status, "source_id": message.source_id,
        "content_type": message.content_type,
        "content_attributes": message.content_attributes,
        "sender_type": message.sender_type, "sender_id": message.sender_id,
        "external_source_ids": {}, "additional_attributes": message.additional_attributes,
        "processed_message_content": normalize_content(message.content), "sentiment": {},
        "conversation": {"assignee_id": conversation.assignee_id,
                         "unread_count": conversation.unread_count(),
                         "last_activity_at": epoch(conversation.last_activity_at),
                         "contact_inbox": {"source_id": contact_inbox.source_id}},
    }
    if message.attachments:
        data["attachments"] = message.attachments
    sender = sender_push_data(store.sender_of(message))
    if sender is not None:
        data["sender"] = sender
    return data


def conversation_webhook_data(store: ChatwootStore,
                              conversation: Conversation) -> dict[str, Any]:
    """``Conversations::EventDataPresenter#webhook_data`` (``push_data`` + account)."""
    account = store.accounts[conversation.account_id]
    inbox = store.inboxes[conversation.inbox_id]
    contact = store.contacts[conversation.contact_id]
    contact_inbox = store.contact_inboxes[conversation.contact_inbox_id]
    assignee: User | AgentBot | None = None
    assignee_type = None
    if conversation.assignee_id is not None:
        assignee, assignee_type = store.users.get(conversation.assignee_id), "User"
    elif conversation.assignee_agent_bot_id is not None:
        assignee = store.agent_bots.get(conversation.assignee_agent_bot_id)
        assignee_type = "AgentBot"
    team = store.teams.get(conversation.team_id) if conversation.team_id else None
    last = conversation.last_chat_message()
    return {
        "additional_attributes": conversation.additional_attributes,
        "can_reply": store.can_reply(conversation), "channel": inbox.channel_type,
        "contact_inbox": contact_inbox.as_json(), "id": conversation.display_id,
        "inbox_id": conversation.inbox_id,
        "messages": [message_push_event_data(store, last)] if last else [],
        "labels": list(conversation.labels),
        "meta": {"sender": contact.push_event_data(),
                 "assignee": assignee.push_event_data() if assignee else None,
                 "assignee_type": assignee_type if assignee else None,
                 "team": {"id": team.id, "name": team.name} if team else None,
                 "hmac_verified": contact_inbox.hmac_verified},
        "status": conversation.status,
        "custom_attributes": conversation.custom_attributes,
        "snoozed_until": iso(conversation.snoozed_until),
        "unread_count": conversation.unread_count(),
        "first_reply_created_at": iso(conversation.first_reply_created_at),
        "priority": conversation.priority,
        "waiting_since": epoch(conversation.waiting_since),
        "agent_last_seen_at": epoch(conversation.agent_last_seen_at),
        "contact_last_seen_at": epoch(conversation.contact_last_seen_at),
        "last_activity_at": epoch(conversation.last_activity_at),
        "timestamp": epoch(conversation.last_activity_at),
        "created_at": epoch(conversation.created_at),
        "updated_at": round(conversation.updated_at, 3),
        "account": account.webhook_data(),
    }


def message_webhook_data(store: ChatwootStore, message: Message, event: str) -> dict[str, Any]:
    """``Message#webhook_data`` + ``event`` (``message_created`` / ``message_updated``)."""
    account = store.accounts[message.account_id]
    inbox = store.inboxes[message.inbox_id]
    conversation = store.conversation(message.account_id, message.conversation_id)
    sender = store.sender_of(message)
    data: dict[str, Any] = {
        "account": account.webhook_data(),
        "additional_attributes": message.additional_attributes,
        "content_attributes": message.content_attributes,
        "content_type": message.content_type,
        "content": normalize_content(message.content),
        "conversation": conversation_webhook_data(store, conversation),
        "created_at": iso(message.created_at), "id": message.id,
        "inbox": {"id": inbox.id, "name": inbox.name},
        "message_type": MESSAGE_TYPE_NAMES[message.message_type],
        "private": message.private,
        "sender": (sender.webhook_data(account) if isinstance(sender, Contact)
                   else sender.webhook_data() if sender is not None else None),
        "source_id": message.source_id,
    }
    if message.attachments:
        data["attachments"] = message.attachments
    data["event"] = event
    return data
