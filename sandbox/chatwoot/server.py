"""Runs the embedded Chatwoot on a loopback port, in-process (tests) or as a command."""

from __future__ import annotations

from pathlib import Path

from sandbox.chatwoot.app import create_app
from sandbox.chatwoot.seed import ACCOUNT_ID, AGENT_BOT_ID, AGENT_ID
from sandbox.chatwoot.store import ChatwootStore
from sandbox.chatwoot.webhooks import WebhookSender
from sandbox.loopback import LoopbackServer

# A demo installation's credentials, public on purpose (like the embedded Odoo's API keys).
DEMO_USER_TOKEN = "cw-sandbox-user-token-carla-12"
DEMO_BOT_TOKEN = "cw-sandbox-agent-bot-token-2"
DEMO_WEBHOOK_SECRET = "cw-sandbox-webhook-secret"
STATE_FILE = "chatwoot-sandbox.json"


class EmbeddedChatwoot(LoopbackServer):
    """The embedded Chatwoot: the fixture scenario, served over HTTP on ``url``.

    ``user_token`` acts as Carla Mendes (user 12, ``user_role`` "agent" or
    "administrator"), ``bot_token`` as agent bot 2; the account is 3. With ``data_dir`` the
    state is kept in ``DIR/chatwoot-sandbox.json`` across restarts, else in memory.
    ``webhook_url`` receives signed ``message_created``/``message_updated`` events.
    ``rate_limit`` requests per ``rate_limit_period`` seconds, then 429 ``Retry later``;
    ``message_flood_limit`` messages per conversation per minute, then 422.
    """

    def __init__(self, data_dir: Path | str | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, user_token: str = DEMO_USER_TOKEN,
                 bot_token: str = DEMO_BOT_TOKEN, user_role: str = "agent",
                 webhook_url: str | None = None,
                 webhook_secret: str | None = DEMO_WEBHOOK_SECRET,
                 webhook_timeout: float = 5.0, rate_limit: int | None = None,
                 rate_limit_period: float = 60.0, message_flood_limit: int = 200):
        if user_role not in ("agent", "administrator"):
            raise ValueError("user_role is 'agent' or 'administrator'")
        path = Path(data_dir) / STATE_FILE if data_dir is not None else None
        self.store = ChatwootStore(path, message_flood_limit=message_flood_limit)
        self.store.set_token(user_token, user_id=AGENT_ID)
        self.store.set_token(bot_token, agent_bot_id=AGENT_BOT_ID)
        self.user_role = user_role
        self.store.users[AGENT_ID].role = user_role
        self.user_token, self.bot_token = user_token, bot_token
        self.account_id = ACCOUNT_ID
        self.webhooks: WebhookSender | None = None
        self.set_webhook(webhook_url, webhook_secret, timeout=webhook_timeout)
        self.faults = create_app(self.store, rate_limit=rate_limit,
                                 rate_limit_period=rate_limit_period)
        super().__init__(self.faults, host=host, port=port, lifespan="off")

    def fail_next(self, status: int, count: int, *, method: str = "POST",
                  path_suffix: str = "/messages") -> None:
        """The next ``count`` ``method`` requests to a path ending in ``path_suffix``
        answer ``status`` (429 or 5xx), as a throttled or failing Chatwoot would."""
        self.faults.add(status, count, method, path_suffix)

    def set_webhook(self, url: str | None, secret: str | None = DEMO_WEBHOOK_SECRET, *,
                    timeout: float = 5.0) -> None:
        """Send events to ``url`` from now on (``None``: stop sending)."""
        old, self.webhooks = self.webhooks, (
            WebhookSender(url, secret, timeout=timeout) if url else None)
        self.store.webhooks = self.webhooks
        if old is not None:
            old.close()

    def reset(self) -> None:
        """Back to the demo scenario (like ``moto``'s reset): state only, same tokens."""
        self.store.reset()
        self.store.users[AGENT_ID].role = self.user_role

    def stop(self) -> None:
        super().stop()
        if self.webhooks is not None:
            self.webhooks.close()
        self.store.save()

    def __enter__(self) -> EmbeddedChatwoot:
        self.start()
        return self
