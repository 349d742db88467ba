"""An embedded Chatwoot: a faithful double of the REST calls a reply bot makes (like moto).

Same paths, auth header, response bodies and error codes as Chatwoot (see
``shared/fixtures/chatwoot/api.md``), plus signed webhooks, so the same client code works
unchanged against a real Chatwoot.
"""

from sandbox.chatwoot.app import create_app
from sandbox.chatwoot.server import (
    DEMO_BOT_TOKEN,
    DEMO_USER_TOKEN,
    DEMO_WEBHOOK_SECRET,
    EmbeddedChatwoot,
)
from sandbox.chatwoot.store import ChatwootError, ChatwootStore, Conversation, Message
from sandbox.chatwoot.webhooks import WebhookSender, sign, verify

__all__ = [
    "DEMO_BOT_TOKEN",
    "DEMO_USER_TOKEN",
    "DEMO_WEBHOOK_SECRET",
    "ChatwootError",
    "ChatwootStore",
    "Conversation",
    "EmbeddedChatwoot",
    "Message",
    "WebhookSender",
    "create_app",
    "sign",
    "verify",
]
