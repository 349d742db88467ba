"""The Chatwoot tool logic, independent of MCP plumbing (plain synchronous methods).

Rules the tools enforce (see ``tests/fixtures/chatwoot/api.md``):

* Labels and custom attributes: Chatwoot's POST **replaces** the whole list/hash, so every
  change reads the current value first and posts the merge.
* Idempotent sends: an ``idempotency_key`` is remembered per conversation in a bounded
  in-process TTL map, and also sent as the message's ``echo_id`` and looked for among the
  conversation's latest messages (Chatwoot renders ``echo_id`` back), so a key survives a
  restart as long as the message is among the latest 20.
* WhatsApp's 24-hour window: a public free-text message is refused when the conversation
  cannot be replied to (Chatwoot's ``can_reply``: last incoming message older than 24 h);
  a template must be used (``send_whatsapp_template``).
* WhatsApp templates come from the inbox JSON (``message_templates``, Meta's objects as
  Chatwoot syncs them); a template is sent as a message with ``template_params``
  (``name, category, language, processed_params``) — api.md §1.
* Statistics: counts from ``conversations/meta``; with a period (UTC dates, by creation
  time) and for agent metrics, from the paged conversation list. First response time is
  ``first_reply_created_at - created_at`` (first public human reply), resolution time is
  ``updated_at - created_at`` of resolved conversations (the list has no ``resolved_at``).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cachetools import TTLCache
from fastmcp.exceptions import ToolError

from mcp_servers.chatwoot.client import (
    ChatwootClient,
    ChatwootConnectionError,
    ChatwootError,
    ChatwootNotFound,
    ChatwootRateLimited,
    ChatwootServerError,
    ChatwootUnauthorized,
    ChatwootUnprocessable,
)
from mcp_servers.chatwoot.schemas import (
    AgentPerformance,
    AgentStats,
    AssignResult,
    AttributesResult,
    ContactInfo,
    ContactMatches,
    ConversationInfo,
    ConversationStats,
    LabelsResult,
    MessageInfo,
    MessagePage,
    QualifyResult,
    SendResult,
    StatusResult,
    TemplateInfo,
    TemplateList,
    TypingResult,
)
from mcp_servers.odoo import phones
from mcp_servers.settings import Settings

WHATSAPP = "Channel::Whatsapp"
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
STATUSES = ("open", "pending", "resolved", "snoozed")
PAGE_SIZE, MAX_PAGES = 25, 40
IDEMPOTENCY_TTL_S, IDEMPOTENCY_SIZE = 24 * 3600, 10_000
LEAD_LABELS = {True: "lead-qualified", False: "lead-unqualified"}
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")

_NEXT_STEP: list[tuple[type[ChatwootError], str]] = [
    (ChatwootUnauthorized, "the Chatwoot access token is wrong or lacks rights (e.g. the "
                           "agent is not a member of that inbox); an admin must fix "
                           "BALCAO_CHATWOOT_TOKEN or the inbox membership"),
    (ChatwootNotFound, "check the id (conversation ids are the display ids shown in "
                       "Chatwoot); search again for a current one"),
    (ChatwootUnprocessable, "fix the values named in the message and call again"),
    (ChatwootRateLimited, "Chatwoot is throttling; wait a minute and call again"),
    (ChatwootServerError, "Chatwoot failed; retry in a minute and check the values if it "
                          "persists"),
    (ChatwootConnectionError, "Chatwoot is unreachable or slow right now; retry in a minute"),
]


def tool_error(exc: ChatwootError) -> ToolError:
    """A ToolError with Chatwoot's (token-free) message and the next step."""
    for cls, hint in _NEXT_STEP:
        if isinstance(exc, cls):
            return ToolError(f"{exc.message.strip()} — {hint}.")
    return ToolError(f"{exc.message.strip()} — retry, and report it if it persists.")


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _epoch(value: Any) -> int:
    """Epoch seconds from Chatwoot's epoch ints, floats or ISO strings (0 = unknown)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value:
        try:
            return int(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return 0
    return 0


def message_info(raw: dict[str, Any]) -> MessageInfo:
    sender = raw.get("sender") or {}
    return MessageInfo(
        id=_int(raw.get("id")), content=raw.get("content") or "",
        message_type=MESSAGE_TYPES.get(_int(raw.get("message_type")), "outgoing"),
        private=bool(raw.get("private")), status=raw.get("status") or "",
        created_at=_epoch(raw.get("created_at")), sender_type=sender.get("type") or "",
        sender_id=_int(sender.get("id")), sender_name=sender.get("name") or "",
        echo_id=str(raw.get("echo_id") or ""), attachments=len(raw.get("attachments") or []))


def conversation_info(raw: dict[str, Any]) -> ConversationInfo:
    meta = raw.get("meta") or {}
    contact, assignee, team = (meta.get("sender") or {}, meta.get("assignee") or {},
                               meta.get("team") or {})
    return ConversationInfo(
        id=_int(raw.get("id")), status=raw.get("status") or "",
        inbox_id=_int(raw.get("inbox_id")), channel=meta.get("channel") or "",
        contact_id=_int(contact.get("id")), contact_name=contact.get("name") or "",
        contact_phone=contact.get("phone_number") or "",
        contact_email=contact.get("email") or "", assignee_id=_int(assignee.get("id")),
        assignee_name=assignee.get("available_name") or assignee.get("name") or "",
        team_id=_int(team.get("id")), team_name=team.get("name") or "",
        labels=list(raw.get("labels") or []),
        custom_attributes=dict(raw.get("custom_attributes") or {}),
        can_reply=bool(raw.get("can_reply", True)), unread_count=_int(raw.get("unread_count")),
        created_at=_epoch(raw.get("created_at")),
        last_activity_at=_epoch(raw.get("last_activity_at")),
        snoozed_until=raw.get("snoozed_until") or "")


def _day(value: str, name: str, end: bool = False) -> float:
    """A YYYY-MM-DD date as UTC epoch seconds (start of day; end of day with ``end``)."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ToolError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min, dt.UTC)
    return moment.timestamp()


def _names(records: dict[int, dict[str, Any]]) -> str:
    return ", ".join(f"{i} {r.get('name')}" for i, r in records.items()) or "none"


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


class ChatwootTools:
    """The tool implementations over one Chatwoot account (settings: URL, token, account,
    allowed inboxes)."""

    def __init__(self, settings: Settings, client: ChatwootClient | None = None,
                 clock: Callable[[], float] = time.time):
        self.settings = settings
        self.client = client or ChatwootClient(settings)
        self.clock = clock
        self.inbox_ids = [int(i) for i in settings.chatwoot_inbox_ids.split(",") if i.strip()]
        self._sent: TTLCache[tuple[int, str], MessageInfo] = TTLCache(IDEMPOTENCY_SIZE,
                                                                      IDEMPOTENCY_TTL_S)
        self._locks_guard = threading.Lock()
        self._key_locks: dict[tuple[int, str], threading.Lock] = {}

    def ready(self) -> str:
        """'ok' when Chatwoot answers with our token (for the gateway's /ready)."""
        try:
            self.client.request("GET", "/inboxes", retry_server_errors=False)
        except ChatwootError as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok"

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _api(self) -> Iterator[None]:
        try:
            yield
        except ChatwootError as exc:
            raise tool_error(exc) from None

    def _conv(self, conversation_id: int) -> str:
        return f"/conversations/{conversation_id}"

    def _check_inbox(self, inbox_id: int) -> None:
        if self.inbox_ids and inbox_id not in self.inbox_ids:
            raise ToolError(f"inbox {inbox_id} is outside the inboxes this server may use "
                            f"({self.inbox_ids}); pick a conversation from those inboxes")

    def _conversation(self, conversation_id: int) -> dict[str, Any]:
        with self._api():
            raw = self.client.get(self._conv(conversation_id))
        self._check_inbox(_int(raw.get("inbox_id")))
        return raw

    def _scoped(self, conversation_id: int) -> None:
        """Check the inbox scope (one extra call, only when inboxes are restricted)."""
        if self.inbox_ids:
            self._conversation(conversation_id)

    @contextmanager
    def _key_lock(self, key: tuple[int, str]) -> Iterator[None]:
        with self._locks_guard:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            yield
        with self._locks_guard:
            if not lock.locked():
                self._key_locks.pop(key, None)

    def _recent(self, conversation_id: int) -> list[dict[str, Any]]:
        with self._api():
            body = self.client.get(f"{self._conv(conversation_id)}/messages")
        return list((body or {}).get("payload") or [])

    def _already_sent(self, conversation_id: int, key: str,
                      recent: list[dict[str, Any]]) -> MessageInfo | None:
        cached = self._sent.get((conversation_id, key))
        if cached is not None:
            return cached
        for raw in recent:
            attributes = raw.get("content_attributes") or {}
            if key in (raw.get("echo_id"), attributes.get("echo_id")):
                return message_info(raw)
        return None

    def _post_message(self, conversation_id: int, body: dict[str, Any]) -> MessageInfo:
        with self._api():
            # a create is not idempotent: retry 429 (never processed), not 5xx
            raw = self.client.post(f"{self._conv(conversation_id)}/messages", body,
                                   retry_server_errors=False)
        return message_info(raw or {})

    def _send(self, conversation_id: int, body: dict[str, Any], key: str,
              check: Callable[[dict[str, Any], list[dict[str, Any]]], None]) -> SendResult:
        conversation = self._conversation(conversation_id)
        if not key:
            check(conversation, [])
            return SendResult(conversation_id=conversation_id,
                              message=self._post_message(conversation_id, body))
        with self._key_lock((conversation_id, key)):
            recent = self._recent(conversation_id)
            found = self._already_sent(conversation_id, key, recent)
            if found is not None:
                return SendResult(conversation_id=conversation_id, message=found,
                                  duplicate=True)
            check(conversation, recent)
            message = self._post_message(conversation_id, {**body, "echo_id": key})
            self._sent[(conversation_id, key)] = message
            return SendResult(conversation_id=conversation_id, message=message)

    # ------------------------------------------------------------------ messages
    def send_message(self, conversation_id: int, content: str, private: bool,
                     idempotency_key: str) -> SendResult:
        if not content.strip():
            raise ToolError("content is empty; write the message text")

        def window(conversation: dict[str, Any], recent: list[dict[str, Any]]) -> None:
            channel = (conversation.get("meta") or {}).get("channel")
            if private or channel != WHATSAPP or conversation.get("can_reply", True):
                return
            incoming = [_epoch(m.get("created_at")) for m in recent or self._recent(
                            conversation_id)
                        if _int(m.get("message_type")) == 0]
            since = ""
            if incoming:
                hours = (self.clock() - max(incoming)) / 3600
                since = f" (the customer last wrote {hours:.0f} h ago)"
            raise ToolError(
                "WhatsApp's 24-hour window is closed for this conversation" + since + ": a "
                "free-text message would not be delivered. Use send_whatsapp_template "
                "(list_whatsapp_templates shows the approved ones), or send a private note.")

        return self._send(conversation_id, {"content": content, "message_type": "outgoing",
                                            "private": private}, idempotency_key, window)

    def get_messages(self, conversation_id: int, before: int,
                     include_private: bool) -> MessagePage:
        self._scoped(conversation_id)
        with self._api():
            body = self.client.get(f"{self._conv(conversation_id)}/messages",
                                   before=before or None,
                                   filter_internal_messages=None if include_private else "true")
        payload = list((body or {}).get("payload") or [])
        messages = [message_info(m) for m in payload]
        next_before = messages[0].id if len(payload) >= 20 else 0
        return MessagePage(conversation_id=conversation_id, messages=messages,
                           next_before=next_before)

    # ------------------------------------------------------------------ templates
    def _templates_of(self, inbox_id: int) -> list[TemplateInfo]:
        with self._api():
            inbox = self.client.get(f"/inboxes/{inbox_id}")
        return self._parse_templates(inbox or {})

    @staticmethod
    def _parse_templates(inbox: dict[str, Any]) -> list[TemplateInfo]:
        if inbox.get("channel_type") != WHATSAPP:
            return []
        found = []
        for raw in inbox.get("message_templates") or []:
            body = next((c.get("text") or "" for c in raw.get("components") or []
                         if str(c.get("type", "")).upper() == "BODY"), "")
            numbers = {int(n) for n in _PLACEHOLDER.findall(body)}
            found.append(TemplateInfo(
                name=raw.get("name") or "", language=raw.get("language") or "",
                category=raw.get("category") or "", status=raw.get("status") or "",
                body=body, params=max(numbers, default=0), inbox_id=_int(inbox.get("id"))))
        return found

    def list_whatsapp_templates(self, conversation_id: int, inbox_id: int,
                                include_unapproved: bool) -> TemplateList:
        if conversation_id:
            inbox_ids = [_int(self._conversation(conversation_id).get("inbox_id"))]
        elif inbox_id:
            self._check_inbox(inbox_id)
            inbox_ids = [inbox_id]
        else:
            with self._api():
                inboxes = (self.client.get("/inboxes") or {}).get("payload") or []
            inbox_ids = [_int(i.get("id")) for i in inboxes
                         if i.get("channel_type") == WHATSAPP
                         and (not self.inbox_ids or _int(i.get("id")) in self.inbox_ids)]
        templates = [t for i in inbox_ids for t in self._templates_of(i)
                     if include_unapproved or t.status.upper() == "APPROVED"]
        return TemplateList(templates=templates)

    def send_whatsapp_template(self, conversation_id: int, template_name: str,
                               params: list[str], language: str,
                               idempotency_key: str) -> SendResult:
        conversation = self._conversation(conversation_id)
        if (conversation.get("meta") or {}).get("channel") != WHATSAPP:
            raise ToolError("this conversation is not on WhatsApp; use send_message")
        templates = self._templates_of(_int(conversation.get("inbox_id")))
        matches = [t for t in templates if t.name == template_name
                   and (not language or t.language == language)]
        if not matches:
            names = sorted({f"{t.name} ({t.language})" for t in templates
                            if t.status.upper() == "APPROVED"})
            raise ToolError(f"no template {template_name!r}"
                            f"{f' in {language}' if language else ''} in this inbox; "
                            f"approved ones: {', '.join(names) or 'none'}")
        template = matches[0]
        if template.status.upper() != "APPROVED":
            raise ToolError(f"template {template_name!r} is {template.status}, not approved "
                            "by Meta; use an approved one (list_whatsapp_templates)")
        if len(params) != template.params:
            raise ToolError(f"template {template_name!r} takes {template.params} parameters "
                            f"({template.body!r}); you gave {len(params)}")
        content = _PLACEHOLDER.sub(lambda m: params[int(m.group(1)) - 1], template.body)
        body = {"content": content, "message_type": "outgoing", "private": False,
                "template_params": {
                    "name": template.name, "category": template.category,
                    "language": template.language,
                    "processed_params": {str(i + 1): v for i, v in enumerate(params)}}}
        return self._send(conversation_id, body, idempotency_key, lambda c, r: None)

    # ------------------------------------------------------------------ conversation state
    def set_typing(self, conversation_id: int, on: bool) -> TypingResult:
        self._scoped(conversation_id)
        status = "on" if on else "off"
        with self._api():
            self.client.post(f"{self._conv(conversation_id)}/toggle_typing_status",
                             {"typing_status": status, "is_private": False})
        return TypingResult(conversation_id=conversation_id, typing=status)

    def update_status(self, conversation_id: int, status: str,
                      snoozed_until: str) -> StatusResult:
        if status not in STATUSES:
            raise ToolError(f"status must be one of {', '.join(STATUSES)}")
        body: dict[str, Any] = {"status": status}
        if snoozed_until:
            if status != "snoozed":
                raise ToolError("snoozed_until only goes with status 'snoozed'")
            try:
                moment = dt.datetime.fromisoformat(snoozed_until.replace("Z", "+00:00"))
            except ValueError:
                raise ToolError("snoozed_until must be an ISO date-time, e.g. "
                                "2026-11-22T09:00:00-03:00") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            if moment.timestamp() <= self.clock():
                raise ToolError("snoozed_until is in the past; give a future time")
            body["snoozed_until"] = int(moment.timestamp())
        self._scoped(conversation_id)
        with self._api():
            raw = self.client.post(f"{self._conv(conversation_id)}/toggle_status", body)
        payload = (raw or {}).get("payload") or {}
        return StatusResult(conversation_id=conversation_id,
                            status=payload.get("current_status") or status,
                            snoozed_until=payload.get("snoozed_until") or "")

    def assign(self, conversation_id: int, agent_id: int, team_id: int,
               handoff_note: str) -> AssignResult:
        if not agent_id and not team_id:
            raise ToolError("give agent_id, team_id or both")
        self._scoped(conversation_id)
        result = AssignResult(conversation_id=conversation_id)
        path = f"{self._conv(conversation_id)}/assignments"
        with self._api():
            # Chatwoot unassigns/clears on an unknown id, so check the ids first
            if team_id:
                teams = {_int(t.get("id")): t for t in self.client.get("/teams") or []}
                if team_id not in teams:
                    raise ToolError(f"no team {team_id}; teams: {_names(teams)}")
                self.client.post(path, {"team_id": team_id})  # first: it may auto-assign
                result.team_id, result.team_name = team_id, teams[team_id].get("name") or ""
            if agent_id:
                agents = {_int(a.get("id")): a for a in self.client.get("/agents") or []}
                if agent_id not in agents:
                    raise ToolError(f"no agent {agent_id} in this account; agents: "
                                    f"{_names(agents)}")
                agent = self.client.post(path, {"assignee_id": agent_id}) or {}
                result.agent_id = _int(agent.get("id"))
                result.agent_name = agent.get("available_name") or agent.get("name") or ""
        if handoff_note.strip():
            note = self._post_message(conversation_id, {"content": handoff_note,
                                                        "message_type": "outgoing",
                                                        "private": True})
            result.note_message_id = note.id
        return result

    def _labels(self, conversation_id: int) -> list[str]:
        with self._api():
            return list((self.client.get(f"{self._conv(conversation_id)}/labels") or {})
                        .get("payload") or [])

    def _set_labels(self, conversation_id: int, labels: list[str]) -> list[str]:
        with self._api():
            body = self.client.post(f"{self._conv(conversation_id)}/labels",
                                    {"labels": labels})
        return list((body or {}).get("payload") or [])

    @staticmethod
    def _clean_labels(labels: list[str]) -> list[str]:
        cleaned = [label.strip().lower() for label in labels if label.strip()]
        if not cleaned:
            raise ToolError("give at least one non-empty label")
        return cleaned

    def add_labels(self, conversation_id: int, labels: list[str]) -> LabelsResult:
        wanted = self._clean_labels(labels)
        self._scoped(conversation_id)
        current = self._labels(conversation_id)
        merged = current + [label for label in wanted if label not in current]
        if merged != current:
            current = self._set_labels(conversation_id, merged)
        return LabelsResult(conversation_id=conversation_id, labels=current)

    def remove_labels(self, conversation_id: int, labels: list[str]) -> LabelsResult:
        unwanted = set(self._clean_labels(labels))
        self._scoped(conversation_id)
        current = self._labels(conversation_id)
        kept = [label for label in current if label.lower() not in unwanted]
        if kept != current:
            current = self._set_labels(conversation_id, kept)
        return LabelsResult(conversation_id=conversation_id, labels=current)

    def set_custom_attributes(self, conversation_id: int,
                              attributes: dict[str, Any]) -> AttributesResult:
        if not attributes:
            raise ToolError("give at least one attribute")
        current = dict(self._conversation(conversation_id).get("custom_attributes") or {})
        merged = {**current, **attributes}
        with self._api():
            body = self.client.post(f"{self._conv(conversation_id)}/custom_attributes",
                                    {"custom_attributes": merged})
        return AttributesResult(conversation_id=conversation_id,
                                custom_attributes=dict((body or {}).get("custom_attributes")
                                                       or merged))

    def get_conversation(self, conversation_id: int) -> ConversationInfo:
        return conversation_info(self._conversation(conversation_id))

    def qualify_lead(self, conversation_id: int, qualified: bool, reason: str, budget: int,
                     authority: int, need: int, timing: int) -> QualifyResult:
        if not reason.strip():
            raise ToolError("give the reason for the qualification")
        score = budget + authority + need + timing
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC).isoformat(timespec="seconds")
        attributes = self.set_custom_attributes(conversation_id, {
            "lead_status": "qualified" if qualified else "unqualified",
            "lead_reason": reason.strip()[:1000], "bant_budget": budget,
            "bant_authority": authority, "bant_need": need, "bant_timing": timing,
            "bant_score": score, "lead_qualified_at": now}).custom_attributes
        current = self._labels(conversation_id)
        labels = [label for label in current if label != LEAD_LABELS[not qualified]]
        if LEAD_LABELS[qualified] not in labels:
            labels.append(LEAD_LABELS[qualified])
        if labels != current:
            current = self._set_labels(conversation_id, labels)
        return QualifyResult(conversation_id=conversation_id, qualified=qualified,
                             score=score, labels=current, custom_attributes=attributes)

    # ------------------------------------------------------------------ contacts
    def search_contacts(self, query: str) -> ContactMatches:
        query = query.strip()
        if len(query) < 2:
            raise ToolError("give a phone number, an e-mail or at least 2 characters of a name")
        digits = phones.digits(query)
        is_phone = "@" not in query and len(digits) >= 8 and not re.search(r"[^\d\s()+\-.]",
                                                                             query)
        q = phones.search_suffix(query) if is_phone else query
        with self._api():
            body = self.client.get("/contacts/search", q=q) or {}
        found = [c for c in body.get("payload") or []
                 if not is_phone or phones.same_line(c.get("phone_number") or "", query)]
        contacts = [ContactInfo(id=_int(c.get("id")), name=c.get("name") or "",
                                phone_number=c.get("phone_number") or "",
                                email=c.get("email") or "",
                                identifier=c.get("identifier") or "") for c in found]
        return ContactMatches(query=query, contacts=contacts, count=len(contacts))

    # ------------------------------------------------------------------ statistics
    def _period(self, date_from: str, date_to: str) -> tuple[float, float]:
        start = _day(date_from, "date_from") if date_from else 0.0
        end = _day(date_to, "date_to", end=True) if date_to else float("inf")
        if start > end:
            raise ToolError("date_from is after date_to")
        return start, end

    def conversations(self, date_from: str, date_to: str) -> list[dict[str, Any]]:
        """Every conversation (any status) of the allowed inboxes created in the period."""
        start, end = self._period(date_from, date_to)
        found: list[dict[str, Any]] = []
        with self._api():
            for page in range(1, MAX_PAGES + 1):
                data = (self.client.get("/conversations", status="all", assignee_type="all",
                                        page=page) or {}).get("data") or {}
                payload = data.get("payload") or []
                found += payload
                if len(payload) < PAGE_SIZE:
                    break
        return [c for c in found
                if start <= _epoch(c.get("created_at")) <= end
                and (not self.inbox_ids or _int(c.get("inbox_id")) in self.inbox_ids)]

    def conversation_stats(self, date_from: str, date_to: str) -> ConversationStats:
        counts = dict.fromkeys(STATUSES, 0)
        if date_from or date_to:
            for conversation in self.conversations(date_from, date_to):
                status = conversation.get("status")
                if status in counts:
                    counts[status] += 1
            source = "conversations list"
        else:
            with self._api():
                for status in STATUSES:
                    for inbox in self.inbox_ids or [0]:
                        meta = (self.client.get("/conversations/meta", status=status,
                                                inbox_id=inbox or None) or {}).get("meta") or {}
                        counts[status] += _int(meta.get("all_count"))
            source = "conversations/meta"
        return ConversationStats(period_from=date_from, period_to=date_to,
                                 total=sum(counts.values()), source=source, **counts)

    def agent_names(self) -> dict[int, str]:
        with self._api():
            return {_int(a.get("id")): a.get("available_name") or a.get("name") or ""
                    for a in self.client.get("/agents") or []}

    @staticmethod
    def agent_stats(agent_id: int, name: str,
                    conversations: list[dict[str, Any]]) -> AgentStats:
        mine = [c for c in conversations
                if _int(((c.get("meta") or {}).get("assignee") or {}).get("id")) == agent_id]
        first, resolution = [], []
        for c in mine:
            created, reply = _epoch(c.get("created_at")), _epoch(c.get("first_reply_created_at"))
            if created and reply >= created:
                first.append(float(reply - created))
            if c.get("status") == "resolved":
                updated = _epoch(c.get("updated_at"))
                if created and updated >= created:
                    resolution.append(float(updated - created))
        return AgentStats(agent_id=agent_id, agent_name=name, conversations=len(mine),
                          open=sum(1 for c in mine if c.get("status") == "open"),
                          resolved=sum(1 for c in mine if c.get("status") == "resolved"),
                          avg_first_response_s=_mean(first), avg_resolution_s=_mean(resolution),
                          replied=len(first))

    def agent_performance(self, date_from: str, date_to: str,
                          agent_ids: list[int]) -> AgentPerformance:
        conversations = self.conversations(date_from, date_to)
        names = self.agent_names()
        ids = list(dict.fromkeys(agent_ids)) or sorted(names)
        return AgentPerformance(period_from=date_from, period_to=date_to, agents=[
            self.agent_stats(i, names.get(i, ""), conversations) for i in ids])

    @staticmethod
    def comparison_winners(agents: list[AgentStats]) -> tuple[int, int]:
        replied = [a for a in agents if a.replied]
        fastest = min(replied, key=lambda a: a.avg_first_response_s).agent_id if replied else 0
        resolved = [a for a in agents if a.resolved]
        most = max(resolved, key=lambda a: a.resolved).agent_id if resolved else 0
        return fastest, most
