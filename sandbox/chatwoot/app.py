"""The HTTP face of the embedded Chatwoot: the conversation API a reply bot uses.

All routes are ``/api/v1/accounts/{account_id}/conversations/{id}[/…]``, ``{id}`` being the
display id. Each request goes through Chatwoot's checks in Chatwoot's order: token
(``AccessTokenAuthHelper``), bot endpoint list, account membership
(``EnsureCurrentAccountHelper``), conversation lookup, inbox membership (Pundit, 401).
Bodies and status codes are those of ``shared/fixtures/chatwoot/api.md``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.chatwoot.store import (
    ACTIVITY,
    CONTENT_TYPES,
    MESSAGE_TYPE_NAMES,
    MESSAGE_TYPES,
    STATUSES,
    AgentBot,
    ChatwootError,
    ChatwootStore,
    Conversation,
    Message,
    User,
    epoch,
    iso,
)
from sandbox.chatwoot.webhooks import message_push_event_data

NO_TOKEN = {"errors": ["You need to sign in or sign up before continuing."]}
INVALID_TOKEN = {"error": "Invalid Access Token"}
BOT_NOT_ALLOWED = {"error": "Access to this endpoint is not authorized for bots"}
BOT_NOT_IN_ACCOUNT = {"error": "Bot is not authorized to access this account"}
USER_NOT_IN_ACCOUNT = {"error": "You are not authorized to access this account"}
PUNDIT = {"error": "You are not authorized to do this action"}
BAD_REQUEST = {"status": 400, "error": "Bad Request"}
RETRY_LATER = "Retry later\n"

# AccessTokenAuthHelper::BOT_ACCESSIBLE_ENDPOINTS, restricted to the routes served here
BOT_ACCESSIBLE = {"conversations#show", "conversations#toggle_status",
                  "conversations#toggle_typing_status", "messages#create",
                  "assignments#create", "custom_attributes#create", "labels#index",
                  "labels#create"}
_FALSE = {False, "0", "f", "F", "false", "FALSE", "off", "OFF"}


@dataclass
class Context:
    """What a handler gets: the caller, the conversation and Rails-style params."""

    store: ChatwootStore
    actor: User | AgentBot
    conversation: Conversation
    params: dict[str, Any]


Handler = Callable[[Context], Response]


def _ruby_int(value: Any) -> int:
    """``String#to_i``: leading digits, else 0."""
    text = str(value).strip()
    digits = ""
    for index, char in enumerate(text):
        if char.isdigit() or (index == 0 and char in "+-"):
            digits += char
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _present(value: Any) -> bool:
    """``Object#present?``."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return True


def _boolean(value: Any) -> bool:
    """ActiveModel's boolean cast (``nil``/``""`` → false here, as ``|| false`` does)."""
    if value is None or value == "":
        return False
    return value not in _FALSE


def render_message(store: ChatwootStore, message: Message) -> dict[str, Any]:
    """``api/v1/models/_message.json.jbuilder``."""
    data: dict[str, Any] = {
        "id": message.id, "content": message.content, "inbox_id": message.inbox_id,
        "conversation_id": message.conversation_id, "message_type": message.message_type,
        "content_type": message.content_type, "status": message.status,
        "content_attributes": message.content_attributes,
        "created_at": int(message.created_at), "private": message.private,
        "source_id": message.source_id,
    }
    sender = store.sender_of(message)
    if sender is not None:
        data["sender"] = sender.push_event_data()
    if message.attachments:
        data["attachments"] = message.attachments
    if message.echo_id:
        data["echo_id"] = message.echo_id
    return data


def render_conversation(store: ChatwootStore, conversation: Conversation,
                        actor: User | AgentBot | None = None) -> dict[str, Any]:
    """``api/v1/conversations/partials/_conversation.json.jbuilder`` (show).

    Not fixtured: the shape is read from the jbuilder (no enterprise/SLA keys).
    """
    inbox = store.inboxes[conversation.inbox_id]
    contact_inbox = store.contact_inboxes[conversation.contact_inbox_id]
    meta: dict[str, Any] = {"sender": store.contacts[conversation.contact_id].as_json(),
                            "channel": inbox.channel_type}
    assignee = store.users.get(conversation.assignee_id) if conversation.assignee_id else None
    if assignee is not None:
        meta["assignee"] = assignee.agent_json(conversation.account_id)
    team = store.teams.get(conversation.team_id) if conversation.team_id else None
    if team is not None:
        meta["team"] = {"id": team.id, "name": team.name, "description": team.description,
                        "allow_auto_assign": team.allow_auto_assign,
                        "account_id": team.account_id,
                        "is_member": isinstance(actor, User) and actor.id in team.member_ids}
    meta["hmac_verified"] = contact_inbox.hmac_verified
    last = conversation.messages[-1] if conversation.messages else None
    # non_activity_messages is ordered id desc, so its .first is the latest one
    last_non_activity = next((m for m in reversed(conversation.messages)
                              if m.message_type != ACTIVITY), None)
    return {
        "meta": meta, "id": conversation.display_id,
        "messages": [message_push_event_data(store, last)] if last else [],
        "account_id": conversation.account_id, "uuid": conversation.uuid,
        "additional_attributes": conversation.additional_attributes,
        "agent_last_seen_at": epoch(conversation.agent_last_seen_at),
        "assignee_last_seen_at": epoch(conversation.assignee_last_seen_at),
        "can_reply": store.can_reply(conversation),
        "contact_last_seen_at": epoch(conversation.contact_last_seen_at),
        "custom_attributes": conversation.custom_attributes,
        "inbox_id": conversation.inbox_id, "labels": list(conversation.labels),
        "muted": False, "snoozed_until": iso(conversation.snoozed_until),
        "status": conversation.status, "created_at": epoch(conversation.created_at),
        "updated_at": round(conversation.updated_at, 3),
        "timestamp": epoch(conversation.last_activity_at),
        "first_reply_created_at": epoch(conversation.first_reply_created_at),
        "unread_count": conversation.unread_count(),
        "last_non_activity_message": (message_push_event_data(store, last_non_activity)
                                      if last_non_activity else None),
        "last_activity_at": epoch(conversation.last_activity_at),
        "priority": conversation.priority,
        "waiting_since": epoch(conversation.waiting_since),
        "sla_policy_id": None,
    }


# --- handlers ----------------------------------------------------------------------------
def show(ctx: Context) -> Response:
    with ctx.store.lock:
        return JSONResponse(render_conversation(ctx.store, ctx.conversation, ctx.actor))


def create_message(ctx: Context) -> Response:
    params = ctx.params
    content = params.get("content")
    if content is not None and not isinstance(content, str):
        content = json.dumps(content) if isinstance(content, list | dict) else str(content)
    if not _present(content) and not _present(params.get("attachments")):
        # api.md: content is required; Chatwoot's ParameterMissing body
        raise ChatwootError(422, {"error": "param is missing or the value is empty: content"})
    raw_type = params.get("message_type") or "outgoing"
    message_type = MESSAGE_TYPES.get(str(raw_type))
    if message_type is None and str(raw_type).isdigit() and int(raw_type) in MESSAGE_TYPE_NAMES:
        message_type = int(raw_type)
    if message_type is None:
        raise ChatwootError(422, {"error": f"'{raw_type}' is not a valid message_type"})
    content_type = params.get("content_type") or "text"
    if content_type not in CONTENT_TYPES:
        raise ChatwootError(422, {"error": f"'{content_type}' is not a valid content_type"})
    attributes = params.get("content_attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    template_params = params.get("template_params")
    message = ctx.store.create_message(
        ctx.conversation, ctx.actor, content=content, message_type=message_type,
        private=_boolean(params.get("private")), content_type=content_type,
        in_reply_to=attributes.get("in_reply_to"), items=attributes.get("items"),
        template_params=template_params if isinstance(template_params, dict) else None,
        echo_id=params.get("echo_id"), source_id=params.get("source_id"))
    with ctx.store.lock:
        return JSONResponse(render_message(ctx.store, message))


def list_messages(ctx: Context) -> Response:
    params, store, conversation = ctx.params, ctx.store, ctx.conversation
    before = _ruby_int(params["before"]) if _present(params.get("before")) else None
    after = _ruby_int(params["after"]) if _present(params.get("after")) else None
    messages = store.list_messages(conversation, before=before, after=after,
                                   filter_internal=_present(
                                       params.get("filter_internal_messages")))
    with store.lock:
        meta: dict[str, Any] = {
            "labels": list(conversation.labels),
            "additional_attributes": conversation.additional_attributes,
            "contact": store.contacts[conversation.contact_id].push_event_data()}
        assignee = store.users.get(conversation.assignee_id) if conversation.assignee_id else None
        if assignee is not None:
            meta["assignee"] = assignee.push_event_data()
        meta["agent_last_seen_at"] = iso(conversation.agent_last_seen_at)
        meta["assignee_last_seen_at"] = iso(conversation.assignee_last_seen_at)
        return JSONResponse({"meta": meta,
                             "payload": [render_message(store, m) for m in messages]})


def toggle_status(ctx: Context) -> Response:
    status = ctx.params.get("status")
    if isinstance(status, int) and not isinstance(status, bool) and 0 <= status < len(STATUSES):
        status = STATUSES[status]  # the enum also takes its integer values
    status = str(status) if _present(status) else None
    raw_until = ctx.params.get("snoozed_until")
    snoozed_until = None
    if raw_until is not None and raw_until is not False:
        try:
            snoozed_until = float(int(str(raw_until)))  # DateTime.strptime(value, '%s')
        except ValueError:
            raise ChatwootError(500, {"status": 500, "error": "Internal Server Error"}) from None
    success = ctx.store.toggle_status(ctx.conversation, ctx.actor, status, snoozed_until)
    return JSONResponse({"meta": {}, "payload": {
        "success": success, "conversation_id": ctx.conversation.display_id,
        "current_status": ctx.conversation.status,
        "snoozed_until": iso(ctx.conversation.snoozed_until)}})


def toggle_typing_status(ctx: Context) -> Response:
    status = str(ctx.params.get("typing_status", ""))
    if status in ("on", "off"):  # anything else is ignored, as Chatwoot's `case` does
        ctx.store.typing_events.append((ctx.conversation.display_id, status,
                                        time.monotonic()))
    return Response(status_code=200)  # head :ok; ActionCable + typing webhooks in Chatwoot


def assignments(ctx: Context) -> Response:
    params = ctx.params
    if "assignee_id" in params or str(params.get("assignee_type")) == "AgentBot":
        agent = ctx.store.assign_agent(ctx.conversation, params.get("assignee_id"),
                                       params.get("assignee_type"))
        if isinstance(agent, User):
            return JSONResponse(agent.agent_json(ctx.conversation.account_id))
        if isinstance(agent, AgentBot):
            return JSONResponse(agent.slim_json())
        return JSONResponse(None)
    if "team_id" in params:
        team = ctx.store.assign_team(ctx.conversation, params.get("team_id"))
        return JSONResponse(team.as_json() if team else None)
    return JSONResponse(None)


def list_labels(ctx: Context) -> Response:
    return JSONResponse({"payload": list(ctx.conversation.labels)})


def set_labels(ctx: Context) -> Response:
    labels = ctx.params.get("labels")  # params.permit(labels: []): anything else is nil
    labels = [label for label in labels if isinstance(label, str | int | float)] if isinstance(
        labels, list) else []
    return JSONResponse({"payload": ctx.store.set_labels(ctx.conversation, labels)})


def set_custom_attributes(ctx: Context) -> Response:
    attributes = ctx.params.get("custom_attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    saved = ctx.store.set_custom_attributes(ctx.conversation, attributes)
    return JSONResponse({"custom_attributes": saved})


# --- the request pipeline -------------------------------------------------------------------
def authenticate(store: ChatwootStore, request: Request, *, bot_allowed: bool) -> Any:
    """The token's principal, or the 401 response Chatwoot gives (no/invalid token, bot)."""
    token = request.headers.get("api_access_token") or request.headers.get("api-access-token")
    if not token or not token.strip():
        return JSONResponse(NO_TOKEN, status_code=401)
    actor = store.principal(token)
    if actor is None:
        return JSONResponse(INVALID_TOKEN, status_code=401)
    if isinstance(actor, AgentBot) and not bot_allowed:
        return JSONResponse(BOT_NOT_ALLOWED, status_code=401)
    return actor


def _endpoint(store: ChatwootStore, action: str,
              handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        actor = authenticate(store, request, bot_allowed=action in BOT_ACCESSIBLE)
        if isinstance(actor, Response):
            return actor
        params: dict[str, Any] = dict(request.query_params)
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                return JSONResponse(BAD_REQUEST, status_code=400)
            if isinstance(body, dict):
                params.update(body)
        try:
            account_id = request.path_params["account_id"]
            account = store.account(int(account_id) if account_id.isdigit() else -1)
            if isinstance(actor, User) and account.id not in actor.account_ids:
                return JSONResponse(USER_NOT_IN_ACCOUNT, status_code=401)
            if isinstance(actor, AgentBot) and not _bot_in_account(store, actor, account.id):
                return JSONResponse(BOT_NOT_IN_ACCOUNT, status_code=401)
            display_id = request.path_params["conversation_id"]
            conversation = store.conversation(account.id,
                                              int(display_id) if display_id.isdigit() else -1)
            if isinstance(actor, User) and actor.role != "administrator" and (
                    actor.id not in store.inboxes[conversation.inbox_id].member_ids):
                return JSONResponse(PUNDIT, status_code=401)
            return handler(Context(store, actor, conversation, params))
        except ChatwootError as exc:
            return JSONResponse(exc.body, status_code=exc.status)

    return endpoint


def _bot_in_account(store: ChatwootStore, bot: AgentBot, account_id: int) -> bool:
    return bot.account_id == account_id or any(
        inbox.agent_bot_id == bot.id for inbox in store.inboxes.values()
        if inbox.account_id == account_id)


class RateLimit:
    """Rack::Attack's throttle, emulated: ``limit`` requests per ``period`` seconds per
    client IP (sliding window), then ``429`` ``Retry later`` (no ``Retry-After``)."""

    def __init__(self, app: ASGIApp, limit: int, period: float = 60.0):
        self.app, self.limit, self.period = app, limit, period
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = (scope.get("client") or ("?", 0))[0]
            now = time.monotonic()
            with self._lock:
                hits = self._hits[client]
                while hits and hits[0] <= now - self.period:
                    hits.popleft()
                throttled = len(hits) >= self.limit
                if not throttled:
                    hits.append(now)
            if throttled:
                await PlainTextResponse(RETRY_LATER, status_code=429)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Faults:
    """Fault injection for reliability tests: the next ``count`` matching requests get
    ``status`` with Chatwoot's own body for it (Rack::Attack's 429, Rails' 500)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self._rules: list[list[Any]] = []  # [status, remaining, method, path suffix]
        self._lock = threading.Lock()

    def add(self, status: int, count: int, method: str, path_suffix: str) -> None:
        with self._lock:
            self._rules.append([status, count, method, path_suffix])

    def _take(self, method: str, path: str) -> int | None:
        with self._lock:
            for rule in self._rules:
                if rule[1] > 0 and rule[2] == method and path.endswith(rule[3]):
                    rule[1] -= 1
                    return int(rule[0])
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = self._take(scope["method"], scope["path"]) if scope["type"] == "http" \
            else None
        if status == 429:
            await PlainTextResponse(RETRY_LATER, status_code=429)(scope, receive, send)
        elif status is not None:
            await JSONResponse({"status": status, "error": "Internal Server Error"},
                               status_code=status)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(store: ChatwootStore, *, rate_limit: int | None = None,
               rate_limit_period: float = 60.0) -> Faults:
    """The ASGI application serving ``store`` (optionally throttled)."""
    base = "/api/v1/accounts/{account_id}/conversations/{conversation_id}"

    def route(path: str, action: str, handler: Handler, method: str) -> Route:
        return Route(base + path, _endpoint(store, action, handler), methods=[method])

    from sandbox.chatwoot.account_api import account_routes

    routes = [
        *account_routes(store),  # /conversations/meta must win over /conversations/{id}
        route("", "conversations#show", show, "GET"),
        route("/messages", "messages#create", create_message, "POST"),
        route("/messages", "messages#index", list_messages, "GET"),
        route("/toggle_status", "conversations#toggle_status", toggle_status, "POST"),
        route("/toggle_typing_status", "conversations#toggle_typing_status",
              toggle_typing_status, "POST"),
        route("/assignments", "assignments#create", assignments, "POST"),
        route("/labels", "labels#index", list_labels, "GET"),
        route("/labels", "labels#create", set_labels, "POST"),
        route("/custom_attributes", "custom_attributes#create", set_custom_attributes, "POST"),
    ]
    app = Starlette(routes=routes)
    app.state.store = store
    return Faults(RateLimit(app, rate_limit, rate_limit_period) if rate_limit else app)
