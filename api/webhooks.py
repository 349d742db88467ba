"""Chatwoot webhook deliveries: authenticity, then what (if anything) the bot must do.

Authenticity: ``X-Chatwoot-Signature`` = ``sha256=`` HMAC-SHA256(secret,
"{X-Chatwoot-Timestamp}.{raw body}") checked on the raw bytes in constant time, with
timestamps older than the tolerance refused; or, for Chatwoot versions that do not sign,
a shared ``?token=``. The bot acts only on a customer's public message
(``message_created`` + ``incoming`` + not private) in an inbox it serves; everything else
is acknowledged and ignored, which also keeps it from answering its own messages.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from flows.conversations import IncomingMessage


class WebhookRejected(Exception):
    """The delivery is refused; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def verify_signature(raw: bytes, timestamp: str | None, signature: str | None, secret: str,
                     tolerance_s: int, now: float | None = None) -> None:
    if not timestamp or not signature:
        raise WebhookRejected(401, "missing X-Chatwoot-Signature or X-Chatwoot-Timestamp")
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookRejected(401, "X-Chatwoot-Timestamp is not a number") from None
    if abs((now or time.time()) - sent) > tolerance_s:
        raise WebhookRejected(401, "signature timestamp is too old (or in the future)")
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    if not hmac.compare_digest("sha256=" + mac.hexdigest(), signature):
        raise WebhookRejected(401, "wrong X-Chatwoot-Signature")


def verify_token(given: str | None, expected: str) -> None:
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookRejected(401, "missing or wrong ?token=")


@dataclass(frozen=True)
class Decision:
    """``message`` when the bot must act; else ``ignored`` says why."""

    message: IncomingMessage | None = None
    ignored: str = ""
    resolved: tuple[int, int] | None = None  # (account, conversation) handed back to the bot


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise WebhookRejected(422, f"{what} is missing or not a number")
    try:
        return int(value)
    except ValueError:
        raise WebhookRejected(422, f"{what} is not a number") from None


def classify(payload: Any, inbox_ids: set[int]) -> Decision:
    """What this delivery means for the bot (raises WebhookRejected on a malformed body)."""
    if not isinstance(payload, dict):
        raise WebhookRejected(422, "the body must be a JSON object")
    event = payload.get("event")
    if not isinstance(event, str):
        raise WebhookRejected(422, "'event' is missing")
    if event in ("conversation_resolved", "conversation_status_changed") and \
            payload.get("status") == "resolved":
        account = payload.get("account") or {}
        messages = payload.get("messages") or [{}]
        account_id = account.get("id") or messages[0].get("account_id")
        if account_id and payload.get("id"):
            return Decision(ignored="resolved: the bot answers the next message",
                            resolved=(_int(account_id, "account.id"),
                                      _int(payload["id"], "id")))
        return Decision(ignored=f"{event} without account id")
    if event != "message_created":
        return Decision(ignored=f"event {event}")
    if payload.get("message_type") != "incoming":
        return Decision(ignored=f"message_type {payload.get('message_type')}")
    if payload.get("private") is not False:
        return Decision(ignored="private note")
    conversation = payload.get("conversation")
    if not isinstance(conversation, dict):
        raise WebhookRejected(422, "'conversation' is missing")
    inbox_id = _int((payload.get("inbox") or {}).get("id", conversation.get("inbox_id")),
                    "inbox.id")
    if inbox_ids and inbox_id not in inbox_ids:
        return Decision(ignored=f"inbox {inbox_id} is not served by the bot")
    if (conversation.get("meta") or {}).get("assignee"):
        return Decision(ignored="a human agent is assigned")
    content = payload.get("content")
    if not isinstance(content, str) or not content.strip():
        return Decision(ignored="no text (attachment only)")
    account_id = (payload.get("account") or {}).get("id")
    sender = (conversation.get("meta") or {}).get("sender") or payload.get("sender") or {}
    return Decision(message=IncomingMessage(
        account_id=_int(account_id, "account.id"),
        conversation_id=_int(conversation.get("id"), "conversation.id"),
        message_id=_int(payload.get("id"), "id"), inbox_id=inbox_id,
        content=content.strip()[:4000], contact_id=int(sender.get("id") or 0),
        contact_name=str(sender.get("name") or ""),
        phone=str(sender.get("phone_number") or "")))
