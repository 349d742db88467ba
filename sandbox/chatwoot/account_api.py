"""Account-level routes of the embedded Chatwoot: conversation lists and counts, contact
search, inboxes (with WhatsApp templates) and agents.

Not fixtured (``api.md`` documents only the per-conversation calls): shapes are read from
Chatwoot's controllers and jbuilder views at the same upstream revision, as best we can:

* ``GET /api/v1/accounts/{id}/conversations`` — ``ConversationsController#index`` +
  ``ConversationFinder``: ``status`` (default ``open``; ``all`` = any), ``assignee_type``
  (``me``/``unassigned``/``assigned``/``all``, default all), ``inbox_id``, ``team_id``,
  ``labels[]``, ``page`` (25 per page, latest activity first). Body
  ``{"data": {"meta": {mine_count, assigned_count, unassigned_count, all_count},
  "payload": [conversation partial …]}}``; counts are taken after the status/inbox/team/label
  filters, before the assignee filter and paging.
* ``GET …/conversations/meta`` — same filters, body ``{"meta": {…the four counts}}``.
* ``GET …/contacts/search?q=`` — ``ContactsController#search``: ``q`` required (422
  ``ParameterMissing``), ILIKE on name, email, phone number and identifier, 15 per page,
  ``{"meta": {"count", "current_page"}, "payload": [contact …]}``.
* ``GET …/inboxes`` / ``GET …/inboxes/{inbox_id}`` — ``InboxesController``; agents see only
  inboxes they are members of (an inbox outside: Pundit's 401). The inbox partial is cut
  down to the keys a bot reads, including ``message_templates`` of WhatsApp inboxes.
* ``GET …/agents`` — ``AgentsController#index``: an array of the ``_agent`` partial.
* ``GET …/teams`` — ``TeamsController#index``: an array of the ``_team`` partial
  (``id, name, description, allow_auto_assign, account_id, is_member``).

None of these is open to agent-bot tokens (``BOT_ACCESSIBLE_ENDPOINTS``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.chatwoot.store import (
    STATUSES,
    WHATSAPP,
    Account,
    ChatwootError,
    ChatwootStore,
    Conversation,
    Inbox,
    User,
)

PER_PAGE, CONTACTS_PER_PAGE = 25, 15
AccountHandler = Callable[[ChatwootStore, User, Account, dict[str, Any]], Response]


def _visible(store: ChatwootStore, user: User, inbox: Inbox) -> bool:
    return user.role == "administrator" or user.id in inbox.member_ids


def _page(params: dict[str, Any]) -> int:
    try:
        return max(1, int(str(params.get("page") or 1)))
    except ValueError:
        return 1


def _filtered(store: ChatwootStore, user: User, account: Account,
              params: dict[str, Any]) -> list[Conversation]:
    """``ConversationFinder`` up to (not including) the assignee filter."""
    status = str(params.get("status") or "open")
    if status != "all" and status not in STATUSES:
        return []
    inbox_id, team_id = params.get("inbox_id"), params.get("team_id")
    labels = params.get("labels") or params.get("labels[]")
    labels = [labels] if isinstance(labels, str) else list(labels or [])
    found = []
    for conversation in store.conversations.values():
        if conversation.account_id != account.id:
            continue
        if not _visible(store, user, store.inboxes[conversation.inbox_id]):
            continue
        if status != "all" and conversation.status != status:
            continue
        if inbox_id and str(conversation.inbox_id) != str(inbox_id):
            continue
        if team_id and str(conversation.team_id) != str(team_id):
            continue
        if labels and not set(labels) & set(conversation.labels):
            continue
        found.append(conversation)
    found.sort(key=lambda c: (c.last_activity_at or 0.0, c.display_id), reverse=True)
    return found


def _counts(conversations: list[Conversation], user: User) -> dict[str, int]:
    return {"mine_count": sum(1 for c in conversations if c.assignee_id == user.id),
            "assigned_count": sum(1 for c in conversations if c.assignee_id is not None),
            "unassigned_count": sum(1 for c in conversations if c.assignee_id is None),
            "all_count": len(conversations)}


def list_conversations(store: ChatwootStore, user: User, account: Account,
                       params: dict[str, Any]) -> Response:
    from sandbox.chatwoot.app import render_conversation

    with store.lock:
        conversations = _filtered(store, user, account, params)
        meta = _counts(conversations, user)
        assignee_type = str(params.get("assignee_type") or "all")
        if assignee_type == "me":
            conversations = [c for c in conversations if c.assignee_id == user.id]
        elif assignee_type == "unassigned":
            conversations = [c for c in conversations if c.assignee_id is None]
        elif assignee_type == "assigned":
            conversations = [c for c in conversations if c.assignee_id is not None]
        start = (_page(params) - 1) * PER_PAGE
        payload = [render_conversation(store, c, user)
                   for c in conversations[start:start + PER_PAGE]]
        return JSONResponse({"data": {"meta": meta, "payload": payload}})


def conversations_meta(store: ChatwootStore, user: User, account: Account,
                       params: dict[str, Any]) -> Response:
    with store.lock:
        return JSONResponse({"meta": _counts(_filtered(store, user, account, params), user)})


def search_contacts(store: ChatwootStore, user: User, account: Account,
                    params: dict[str, Any]) -> Response:
    query = str(params.get("q") or "").strip()
    if not query:
        raise ChatwootError(422, {"error": "param is missing or the value is empty: q"})
    needle = query.lower()
    with store.lock:
        found = [c for c in sorted(store.contacts.values(), key=lambda c: c.id)
                 if c.account_id == account.id and any(
                     needle in (value or "").lower()
                     for value in (c.name, c.email, c.phone_number, c.identifier))]
        start = (_page(params) - 1) * CONTACTS_PER_PAGE
        return JSONResponse({"meta": {"count": len(found), "current_page": _page(params)},
                             "payload": [c.as_json()
                                         for c in found[start:start + CONTACTS_PER_PAGE]]})


def _render_inbox(inbox: Inbox) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": inbox.id, "avatar_url": "", "channel_id": inbox.id, "name": inbox.name,
        "channel_type": inbox.channel_type, "greeting_enabled": False,
        "greeting_message": None, "working_hours_enabled": False,
        "enable_auto_assignment": True, "allow_messages_after_resolved": True,
        "lock_to_single_conversation": False}
    if inbox.channel_type == WHATSAPP:
        data.update({"phone_number": "+551140028922", "provider": "whatsapp_cloud",
                     "message_templates": inbox.message_templates})
    return data


def list_inboxes(store: ChatwootStore, user: User, account: Account,
                 params: dict[str, Any]) -> Response:
    with store.lock:
        inboxes = [i for i in sorted(store.inboxes.values(), key=lambda i: i.id)
                   if i.account_id == account.id and _visible(store, user, i)]
        return JSONResponse({"payload": [_render_inbox(i) for i in inboxes]})


def show_inbox(store: ChatwootStore, user: User, account: Account,
               params: dict[str, Any]) -> Response:
    from sandbox.chatwoot.app import PUNDIT
    from sandbox.chatwoot.store import NOT_FOUND

    raw = str(params.get("inbox_id", ""))
    with store.lock:
        inbox = store.inboxes.get(int(raw)) if raw.isdigit() else None
        if inbox is None or inbox.account_id != account.id:
            raise ChatwootError(404, NOT_FOUND)
        if not _visible(store, user, inbox):
            raise ChatwootError(401, PUNDIT)
        return JSONResponse(_render_inbox(inbox))


def list_agents(store: ChatwootStore, user: User, account: Account,
                params: dict[str, Any]) -> Response:
    with store.lock:
        agents = [u.agent_json(account.id) for u in sorted(store.users.values(),
                                                            key=lambda u: u.id)
                  if account.id in u.account_ids]
        return JSONResponse(agents)


def list_teams(store: ChatwootStore, user: User, account: Account,
               params: dict[str, Any]) -> Response:
    with store.lock:
        return JSONResponse([
            {"id": t.id, "name": t.name, "description": t.description,
             "allow_auto_assign": t.allow_auto_assign, "account_id": t.account_id,
             "is_member": user.id in t.member_ids}
            for t in sorted(store.teams.values(), key=lambda t: t.id)
            if t.account_id == account.id])


def _account_endpoint(store: ChatwootStore,
                      handler: AccountHandler) -> Callable[[Request], Awaitable[Response]]:
    """Chatwoot's checks for account routes: token, bots refused, account membership."""
    from sandbox.chatwoot.app import USER_NOT_IN_ACCOUNT, authenticate

    async def endpoint(request: Request) -> Response:
        actor = authenticate(store, request, bot_allowed=False)
        if isinstance(actor, Response):
            return actor
        params: dict[str, Any] = dict(request.query_params)
        if "labels[]" in request.query_params:
            params["labels"] = request.query_params.getlist("labels[]")
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                return JSONResponse({"status": 400, "error": "Bad Request"}, status_code=400)
            if isinstance(body, dict):
                params.update(body)
        params.update(request.path_params)
        try:
            account_id = str(request.path_params["account_id"])
            account = store.account(int(account_id) if account_id.isdigit() else -1)
            if account.id not in actor.account_ids:
                return JSONResponse(USER_NOT_IN_ACCOUNT, status_code=401)
            return handler(store, actor, account, params)
        except ChatwootError as exc:
            return JSONResponse(exc.body, status_code=exc.status)

    return endpoint


def account_routes(store: ChatwootStore) -> list[Route]:
    """The routes above; mount them before the per-conversation routes (``/meta``)."""
    base = "/api/v1/accounts/{account_id}"

    def route(path: str, handler: AccountHandler) -> Route:
        return Route(base + path, _account_endpoint(store, handler), methods=["GET"])

    return [
        route("/conversations", list_conversations),
        route("/conversations/meta", conversations_meta),
        route("/contacts/search", search_contacts),
        route("/inboxes", list_inboxes),
        route("/inboxes/{inbox_id}", show_inbox),
        route("/agents", list_agents),
        route("/teams", list_teams),
    ]
