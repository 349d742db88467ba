"""State of the embedded Chatwoot, with the model rules a bot runs into.

Records are dataclasses named after Chatwoot's models; their ``push_event_data`` /
``webhook_data`` methods render the same hashes as the Ruby methods of the same name. The
rules follow Chatwoot's code (``Message`` callbacks, ``MessageBuilder``,
``ConversationsController#toggle_status``, ``AssignmentsController``, ``LabelConcern``,
``JsonbAttributesLengthValidator``). Everything is in memory behind one lock; with a path,
the whole state is written to a JSON file after every change and read back on start.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.chatwoot.webhooks import WebhookSender

INCOMING, OUTGOING, ACTIVITY, TEMPLATE = 0, 1, 2, 3
MESSAGE_TYPES = {"incoming": INCOMING, "outgoing": OUTGOING, "activity": ACTIVITY,
                 "template": TEMPLATE}
MESSAGE_TYPE_NAMES = {number: name for name, number in MESSAGE_TYPES.items()}
CONTENT_TYPES = ("text", "input_text", "input_textarea", "input_email", "input_select", "cards",
                 "form", "article", "incoming_email", "input_csat", "integrations", "sticker")
STATUSES = ("open", "resolved", "pending", "snoozed")
WHATSAPP, API_CHANNEL = "Channel::Whatsapp", "Channel::Api"
MESSAGING_WINDOW = 24 * 3600  # WhatsApp's customer-service window, seconds
MAX_CONTENT = 150_000
MAX_ATTRIBUTE_STRING, MAX_ATTRIBUTE_INTEGER = 1500, 9_999_999_999

NOT_FOUND = {"error": "Resource could not be found"}
INCOMING_ONLY_API = {"error": "Incoming messages are only allowed in Api inboxes"}
TOO_MANY_MESSAGES = {"error": "Validation failed: Too many messages"}
INTERNAL_ERROR = {"status": 500, "error": "Internal Server Error"}
# Sandbox-only text: the real one depends on the Chatwoot version and on Meta's answer.
OUTSIDE_WINDOW_ERROR = ("Outside the 24-hour WhatsApp window: only a template message "
                        "(template_params) can be sent")


class ChatwootError(Exception):
    """An HTTP error with Chatwoot's body, raised by the store and rendered by the app."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(status, body)
        self.status, self.body = status, body


def iso(timestamp: float | None) -> str | None:
    """Rails' ``as_json`` of a time: ISO 8601, milliseconds, ``Z``."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch(timestamp: float | None) -> int:
    """``nil.to_i`` is 0: unset conversation times render as 0."""
    return int(timestamp) if timestamp is not None else 0


@dataclass
class Account:
    id: int
    name: str

    def webhook_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass
class User:
    id: int
    name: str
    email: str
    account_ids: list[int]
    role: str = "agent"  # or "administrator"
    availability_status: str = "online"
    auto_offline: bool = True
    confirmed: bool = True
    provider: str = "email"
    display_name: str | None = None

    @property
    def available_name(self) -> str:
        return self.display_name or self.name

    def push_event_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "available_name": self.available_name,
                "avatar_url": "", "type": "user",
                "availability_status": self.availability_status, "thumbnail": ""}

    def webhook_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "type": "user"}

    def agent_json(self, account_id: int) -> dict[str, Any]:
        """``api/v1/models/_agent.json.jbuilder``."""
        return {"id": self.id, "account_id": account_id,
                "availability_status": self.availability_status,
                "auto_offline": self.auto_offline, "confirmed": self.confirmed,
                "email": self.email, "provider": self.provider,
                "available_name": self.available_name, "name": self.name, "role": self.role,
                "thumbnail": "", "custom_role_id": None}


@dataclass
class AgentBot:
    id: int
    name: str
    account_id: int | None
    description: str = ""
    outgoing_url: str | None = None
    bot_type: str = "webhook"

    def push_event_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "avatar_url": "", "type": "agent_bot"}

    def webhook_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": "agent_bot"}

    def slim_json(self) -> dict[str, Any]:
        """``api/v1/models/_agent_bot_slim.json.jbuilder``."""
        return {"id": self.id, "name": self.name, "description": self.description,
                "thumbnail": "", "outgoing_url": self.outgoing_url, "bot_type": self.bot_type}


@dataclass
class Team:
    id: int
    account_id: int
    name: str
    description: str = ""
    allow_auto_assign: bool = True
    created_at: float = 0.0
    updated_at: float = 0.0
    member_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """``render json: @team``: every column."""
        return {"id": self.id, "name": self.name, "description": self.description,
                "allow_auto_assign": self.allow_auto_assign, "account_id": self.account_id,
                "created_at": iso(self.created_at), "updated_at": iso(self.updated_at)}


@dataclass
class Inbox:
    id: int
    account_id: int
    name: str
    channel_type: str = WHATSAPP
    member_ids: list[int] = field(default_factory=list)
    agent_bot_id: int | None = None
    # Channel::Whatsapp#message_templates: Meta's template objects as Chatwoot syncs them
    message_templates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Contact:
    id: int
    account_id: int
    name: str
    phone_number: str | None = None
    email: str | None = None
    identifier: str | None = None
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    blocked: bool = False
    created_at: float = 0.0

    def push_event_data(self) -> dict[str, Any]:
        return {"additional_attributes": self.additional_attributes,
                "custom_attributes": self.custom_attributes, "email": self.email,
                "id": self.id, "identifier": self.identifier, "name": self.name,
                "phone_number": self.phone_number, "thumbnail": "", "blocked": self.blocked,
                "type": "contact"}

    def webhook_data(self, account: Account) -> dict[str, Any]:
        return {"account": account.webhook_data(),
                "additional_attributes": self.additional_attributes, "avatar": "",
                "custom_attributes": self.custom_attributes, "email": self.email,
                "id": self.id, "identifier": self.identifier, "name": self.name,
                "phone_number": self.phone_number, "thumbnail": "", "blocked": self.blocked}

    def as_json(self) -> dict[str, Any]:
        """``api/v1/models/_contact.json.jbuilder`` (conversation ``meta.sender``)."""
        return {"additional_attributes": self.additional_attributes,
                "availability_status": "offline", "email": self.email, "id": self.id,
                "name": self.name, "phone_number": self.phone_number, "blocked": self.blocked,
                "identifier": self.identifier, "thumbnail": "",
                "custom_attributes": self.custom_attributes,
                "created_at": epoch(self.created_at)}


@dataclass
class ContactInbox:
    id: int
    contact_id: int
    inbox_id: int
    source_id: str
    created_at: float
    updated_at: float
    hmac_verified: bool = False
    pubsub_token: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "contact_id": self.contact_id, "inbox_id": self.inbox_id,
                "source_id": self.source_id, "created_at": iso(self.created_at),
                "updated_at": iso(self.updated_at), "hmac_verified": self.hmac_verified,
                "pubsub_token": self.pubsub_token}


@dataclass
class Message:
    id: int
    account_id: int
    inbox_id: int
    conversation_id: int  # the conversation's display id
    message_type: int
    content: str | None
    created_at: float
    updated_at: float
    sender_type: str | None = None  # "Contact", "User", "AgentBot" or None (activity)
    sender_id: int | None = None
    content_type: str = "text"
    status: str = "sent"
    content_attributes: dict[str, Any] = field(default_factory=dict)
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    private: bool = False
    source_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    echo_id: str | None = None

    @property
    def webhook_sendable(self) -> bool:
        return self.message_type in (INCOMING, OUTGOING, TEMPLATE)


@dataclass
class Conversation:
    display_id: int
    account_id: int
    inbox_id: int
    contact_id: int
    contact_inbox_id: int
    created_at: float
    updated_at: float
    status: str = "pending"
    assignee_id: int | None = None
    assignee_agent_bot_id: int | None = None
    team_id: int | None = None
    labels: list[str] = field(default_factory=list)
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    additional_attributes: dict[str, Any] = field(default_factory=dict)
    snoozed_until: float | None = None
    priority: str | None = None
    agent_last_seen_at: float | None = None
    assignee_last_seen_at: float | None = None
    contact_last_seen_at: float | None = None
    waiting_since: float | None = None
    first_reply_created_at: float | None = None
    last_activity_at: float | None = None
    uuid: str = ""
    messages: list[Message] = field(default_factory=list)

    @property
    def last_incoming_at(self) -> float | None:
        """When the contact last wrote (opens WhatsApp's 24-hour window), epoch seconds."""
        incoming = [m.created_at for m in self.messages if m.message_type == INCOMING]
        return max(incoming) if incoming else None

    def last_chat_message(self) -> Message | None:
        """``messages.chat.last``: the last public, non-activity message."""
        chat = [m for m in self.messages if m.message_type != ACTIVITY and not m.private]
        return chat[-1] if chat else None

    def unread_count(self) -> int:
        seen = self.agent_last_seen_at or 0.0
        return sum(1 for m in self.messages if m.message_type == INCOMING and m.created_at > seen)


_RECORDS: dict[str, type] = {"accounts": Account, "users": User, "agent_bots": AgentBot,
                             "teams": Team, "inboxes": Inbox, "contacts": Contact,
                             "contact_inboxes": ContactInbox}


def _pubsub_token() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789"
    return "".join(secrets.choice(alphabet) for _ in range(24))


class ChatwootStore:
    """Accounts, users, bots, teams, inboxes, contacts and conversations, thread-safe.

    ``webhooks`` (set by the server) receives ``message_created``/``message_updated``.
    """

    def __init__(self, path: Path | str | None = None, *, seed: bool = True,
                 message_flood_limit: int = 200, clock: Callable[[], float] = time.time):
        self.path = Path(path) if path else None
        self.clock = clock
        self.message_flood_limit = message_flood_limit
        self.default_account_id = 3
        self.webhooks: WebhookSender | None = None
        # (conversation display id, "on"/"off", monotonic time): what agents would see live
        self.typing_events: list[tuple[int, str, float]] = []
        self._lock = threading.RLock()
        self._tokens: dict[str, tuple[str, int]] = {}
        self.accounts: dict[int, Account] = {}
        self.users: dict[int, User] = {}
        self.agent_bots: dict[int, AgentBot] = {}
        self.teams: dict[int, Team] = {}
        self.inboxes: dict[int, Inbox] = {}
        self.contacts: dict[int, Contact] = {}
        self.contact_inboxes: dict[int, ContactInbox] = {}
        self.conversations: dict[tuple[int, int], Conversation] = {}
        self.next_ids: dict[str, int] = {"contact": 1, "contact_inbox": 1, "message": 1,
                                         "attachment": 1}
        if self.path and self.path.exists():
            self._load()
        elif seed:
            self.reset()

    def reset(self) -> None:
        """Back to the demo scenario (times shifted to now); tokens are kept."""
        from sandbox.chatwoot.seed import install_demo

        with self._lock:
            for table in (self.accounts, self.users, self.agent_bots, self.teams, self.inboxes,
                          self.contacts, self.contact_inboxes, self.conversations):
                table.clear()
            self.next_ids = {"contact": 1, "contact_inbox": 1, "message": 1, "attachment": 1}
            install_demo(self)
            self.save()

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    # --- persistence -------------------------------------------------------------------
    def save(self) -> None:
        if not self.path:
            return
        with self._lock:
            state: dict[str, Any] = {"version": 1, "next_ids": self.next_ids}
            for name in _RECORDS:
                state[name] = [asdict(r) for r in getattr(self, name).values()]
            state["conversations"] = [asdict(c) for c in self.conversations.values()]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)

    def _load(self) -> None:
        assert self.path is not None
        state = json.loads(self.path.read_text(encoding="utf-8"))
        self.next_ids = state["next_ids"]
        for name, cls in _RECORDS.items():
            getattr(self, name).update({r["id"]: cls(**r) for r in state[name]})
        for raw in state["conversations"]:
            messages = [Message(**m) for m in raw.pop("messages")]
            conversation = Conversation(**raw, messages=messages)
            self.conversations[(conversation.account_id, conversation.display_id)] = conversation

    # --- ids and tokens ----------------------------------------------------------------
    def next_id(self, kind: str) -> int:
        with self._lock:
            value = self.next_ids.setdefault(kind, 1)
            self.next_ids[kind] = value + 1
            return value

    def set_token(self, token: str, *, user_id: int | None = None,
                  agent_bot_id: int | None = None) -> None:
        """Make ``token`` act as that user or agent bot (tokens are not persisted)."""
        if user_id is not None and agent_bot_id is None:
            self._tokens[token] = ("User", user_id)
        elif agent_bot_id is not None and user_id is None:
            self._tokens[token] = ("AgentBot", agent_bot_id)
        else:
            raise ValueError("give exactly one of user_id, agent_bot_id")

    def principal(self, token: str) -> User | AgentBot | None:
        kind, ident = self._tokens.get(token, ("", 0))
        if kind == "User":
            return self.users.get(ident)
        if kind == "AgentBot":
            return self.agent_bots.get(ident)
        return None

    # --- lookups ---------------------------------------------------------------------
    def account(self, account_id: int) -> Account:
        found = self.accounts.get(account_id)
        if found is None:
            raise ChatwootError(404, NOT_FOUND)
        return found

    def conversation(self, account_id: int, display_id: int) -> Conversation:
        found = self.conversations.get((account_id, display_id))
        if found is None:
            raise ChatwootError(404, NOT_FOUND)
        return found

    def get_conversation(self, display_id: int, account_id: int | None = None) -> Conversation:
        return self.conversation(account_id or self.default_account_id, display_id)

    def sender_of(self, message: Message) -> Contact | User | AgentBot | None:
        table: dict[str | None, dict[int, Any]] = {
            "Contact": self.contacts, "User": self.users, "AgentBot": self.agent_bots}
        records = table.get(message.sender_type)
        return records.get(message.sender_id) if records and message.sender_id else None

    def can_reply(self, conversation: Conversation, now: float | None = None) -> bool:
        """``Conversation#can_reply?``: WhatsApp needs an incoming message in the last 24 h."""
        if self.inboxes[conversation.inbox_id].channel_type != WHATSAPP:
            return True
        last = conversation.last_incoming_at
        now = self.clock() if now is None else now
        return last is not None and now - last < MESSAGING_WINDOW

    # --- helpers for tests and demos --------------------------------------------------
    def add_contact(self, name: str, phone_number: str | None = None, *,
                    email: str | None = None, account_id: int | None = None) -> Contact:
        """The account's contact with that phone (or email), created if new."""
        account_id = account_id or self.default_account_id
        with self._lock:
            self.account(account_id)
            for contact in self.contacts.values():
                if contact.account_id == account_id and (
                        (phone_number and contact.phone_number == phone_number)
                        or (email and contact.email == email)):
                    return contact
            contact = Contact(id=self.next_id("contact"), account_id=account_id, name=name,
                              phone_number=phone_number, email=email, created_at=self.clock())
            self.contacts[contact.id] = contact
            self.save()
            return contact

    def add_conversation(self, contact_name: str, phone_number: str | None = None, *,
                         inbox_id: int = 7, account_id: int | None = None,
                         email: str | None = None, status: str | None = None,
                         assignee_id: int | None = None, team_id: int | None = None,
                         labels: list[str] | None = None,
                         custom_attributes: dict[str, Any] | None = None,
                         display_id: int | None = None,
                         created_at: float | None = None) -> Conversation:
        """A new conversation with that contact (found or created by phone/email).

        Status defaults as in Chatwoot: ``pending`` when the inbox has an agent bot, else
        ``open``. Add the contact's first message with :meth:`add_incoming_message`.
        """
        account_id = account_id or self.default_account_id
        with self._lock:
            inbox = self.inboxes.get(inbox_id)
            if inbox is None or inbox.account_id != account_id:
                raise ValueError(f"no inbox {inbox_id} in account {account_id}")
            if status is not None and status not in STATUSES:
                raise ValueError(f"status must be one of {STATUSES}")
            contact = self.add_contact(contact_name, phone_number, email=email,
                                       account_id=account_id)
            now = self.clock() if created_at is None else created_at
            source_id = (phone_number or "").lstrip("+") or str(uuid.uuid4())
            contact_inbox = next(
                (ci for ci in self.contact_inboxes.values()
                 if ci.contact_id == contact.id and ci.inbox_id == inbox_id), None)
            if contact_inbox is None:
                contact_inbox = ContactInbox(
                    id=self.next_id("contact_inbox"), contact_id=contact.id, inbox_id=inbox_id,
                    source_id=source_id, created_at=now, updated_at=now,
                    pubsub_token=_pubsub_token())
                self.contact_inboxes[contact_inbox.id] = contact_inbox
            if display_id is None:
                display_id = 1 + max((d for (a, d) in self.conversations if a == account_id),
                                     default=0)
            elif (account_id, display_id) in self.conversations:
                raise ValueError(f"conversation {display_id} exists")
            conversation = Conversation(
                display_id=display_id, account_id=account_id, inbox_id=inbox_id,
                contact_id=contact.id, contact_inbox_id=contact_inbox.id, created_at=now,
                updated_at=now, status=status or ("pending" if inbox.agent_bot_id else "open"),
                assignee_id=assignee_id, team_id=team_id, labels=list(labels or []),
                custom_attributes=dict(custom_attributes or {}), last_activity_at=now,
                uuid=str(uuid.uuid4()))
            self.conversations[(account_id, display_id)] = conversation
            self.save()
            return conversation

    def add_incoming_message(self, conversation_id: int, content: str | None, *,
                             account_id: int | None = None, source_id: str | None = None,
                             attachments: list[dict[str, Any]] | None = None,
                             created_at: float | None = None, deliver: bool = True) -> Message:
        """The contact writes: record the message and, if a webhook is configured, POST a
        signed ``message_created`` to it before returning (5 s timeout, no retry).

        ``created_at`` in the past (e.g. ``time.time() - 25 * 3600``) closes the 24-hour
        window. ``attachments`` items may give ``file_type``, ``data_url``, ``file_size``.
        """
        with self._lock:
            conversation = self.get_conversation(conversation_id, account_id)
            now = self.clock() if created_at is None else created_at
            message = Message(
                id=self.next_id("message"), account_id=conversation.account_id,
                inbox_id=conversation.inbox_id, conversation_id=conversation.display_id,
                message_type=INCOMING, content=content, created_at=now, updated_at=now,
                sender_type="Contact", sender_id=conversation.contact_id,
                source_id=source_id or f"wamid.SANDBOX{secrets.token_hex(12).upper()}")
            for item in attachments or []:
                message.attachments.append(self._attachment(message, item))
            self._append(conversation, message)
            self.save()
            body = self._webhook_body(message, "message_created")
        if deliver and body is not None and self.webhooks is not None:
            self.webhooks.send(body)
        return message

    def _attachment(self, message: Message, item: dict[str, Any]) -> dict[str, Any]:
        attachment_id = self.next_id("attachment")
        return {"id": attachment_id, "message_id": message.id,
                "file_type": item.get("file_type", "image"), "account_id": message.account_id,
                "extension": item.get("extension"),
                "data_url": item.get("data_url", f"https://sandbox.invalid/{attachment_id}"),
                "thumb_url": item.get("thumb_url", ""),
                "file_size": item.get("file_size", 0), "width": item.get("width"),
                "height": item.get("height")}

    # --- the API's operations ----------------------------------------------------------
    def create_message(self, conversation: Conversation, actor: User | AgentBot, *,
                       content: str | None, message_type: int = OUTGOING,
                       private: bool = False, content_type: str = "text",
                       in_reply_to: Any = None, items: Any = None,
                       template_params: dict[str, Any] | None = None,
                       echo_id: str | None = None, source_id: str | None = None) -> Message:
        """``Messages::MessageBuilder#perform`` + the model's validations and callbacks.

        Returns the message as it was at creation (what the API renders); the emulated
        WhatsApp send then sets ``source_id`` or marks it ``failed`` (outside the window),
        both announced by ``message_updated``.
        """
        with self._lock:
            inbox = self.inboxes[conversation.inbox_id]
            if message_type == INCOMING and inbox.channel_type != API_CHANNEL:
                raise ChatwootError(422, INCOMING_ONLY_API)
            if content is not None and len(content) > MAX_CONTENT:
                raise ChatwootError(422, {"error": "Validation failed: Content is too long "
                                                   f"(maximum is {MAX_CONTENT} characters)"})
            now = self.clock()
            recent = sum(1 for m in conversation.messages if m.created_at >= now - 60)
            if recent >= self.message_flood_limit:
                raise ChatwootError(422, TOO_MANY_MESSAGES)
            if message_type == OUTGOING:
                sender_type, sender_id = type(actor).__name__, actor.id
            else:
                sender_type, sender_id = "Contact", conversation.contact_id
            content_attributes: dict[str, Any] = {}
            if items is not None:
                content_attributes["items"] = items
            if in_reply_to not in (None, ""):
                quoted = next((m for m in conversation.messages if str(m.id) == str(in_reply_to)),
                              None)
                content_attributes["in_reply_to"] = quoted.id if quoted else None
                content_attributes["in_reply_to_external_id"] = (
                    quoted.source_id if quoted else None)
            additional: dict[str, Any] = {}
            if template_params:
                additional["template_params"] = template_params
            message = Message(
                id=self.next_id("message"), account_id=conversation.account_id,
                inbox_id=conversation.inbox_id, conversation_id=conversation.display_id,
                message_type=message_type, content=content, created_at=now, updated_at=now,
                sender_type=sender_type, sender_id=sender_id, content_type=content_type,
                content_attributes=content_attributes, additional_attributes=additional,
                private=private, source_id=source_id, echo_id=echo_id)
            self._append(conversation, message)
            created = copy.deepcopy(message)
            bodies = [self._webhook_body(message, "message_created")]
            if (message.message_type in (OUTGOING, TEMPLATE) and not message.private
                    and inbox.channel_type == WHATSAPP):
                bodies.append(self._send_on_whatsapp(conversation, message, now))
            self.save()
        if self.webhooks is not None:
            for body in bodies:
                if body is not None:
                    self.webhooks.enqueue(body)
        return created

    def _send_on_whatsapp(self, conversation: Conversation, message: Message,
                          now: float) -> dict[str, Any] | None:
        """``SendReplyJob``, emulated at once: a wamid, or ``failed`` outside the window."""
        if self.can_reply(conversation, now) or message.additional_attributes.get(
                "template_params"):
            message.source_id = f"wamid.SANDBOX{secrets.token_hex(12).upper()}"
        else:
            message.status = "failed"
            message.content_attributes["external_error"] = OUTSIDE_WINDOW_ERROR
        message.updated_at = now
        return self._webhook_body(message, "message_updated")

    def _append(self, conversation: Conversation, message: Message) -> None:
        """``Message`` after-create callbacks that touch the conversation."""
        conversation.messages.append(message)
        conversation.updated_at = message.created_at
        if message.message_type == INCOMING:
            if conversation.status == "snoozed":
                conversation.status, conversation.snoozed_until = "open", None
            elif conversation.status == "resolved":
                has_bot = self.inboxes[conversation.inbox_id].agent_bot_id is not None
                conversation.status = "pending" if has_bot else "open"
        conversation.last_activity_at = message.created_at
        human = message.message_type == OUTGOING and message.sender_type == "User"
        if human and not message.private:
            if conversation.first_reply_created_at is None:
                conversation.first_reply_created_at = message.created_at
            conversation.waiting_since = None
        elif message.message_type == INCOMING and conversation.waiting_since is None:
            conversation.waiting_since = message.created_at

    def _webhook_body(self, message: Message, event: str) -> dict[str, Any] | None:
        if self.webhooks is None or not message.webhook_sendable:
            return None
        from sandbox.chatwoot.webhooks import message_webhook_data

        # a snapshot: the worker encodes it later, after further changes
        return copy.deepcopy(message_webhook_data(self, message, event))

    def list_messages(self, conversation: Conversation, *, before: int | None = None,
                      after: int | None = None,
                      filter_internal: bool = False) -> list[Message]:
        """``MessageFinder``: latest 20, 20 ``before`` an id, 100 ``after``, 1000 between."""
        with self._lock:
            messages = sorted(conversation.messages, key=lambda m: (m.created_at, m.id))
            if filter_internal:
                messages = [m for m in messages if not m.private and m.message_type != ACTIVITY]
            if after is not None and before is not None:
                return [m for m in messages if after <= m.id < before][:1000]
            if before is not None:
                return [m for m in messages if m.id < before][-20:]
            if after is not None:
                return [m for m in messages if m.id > after][:100]
            return messages[-20:]

    def toggle_status(self, conversation: Conversation, actor: User | AgentBot,
                      status: str | None, snoozed_until: float | None) -> bool | None:
        """``ConversationsController#toggle_status``; returns ``@status`` (``success``)."""
        with self._lock:
            if status and status not in STATUSES:
                raise ChatwootError(500, INTERNAL_ERROR)  # ArgumentError from the enum
            success: bool | None = True
            if isinstance(actor, AgentBot) and conversation.status == "pending" and (
                    status == "open"):
                conversation.status = "open"  # bot_handoff!: @status stays nil
                success = None
            elif status:
                conversation.status = status
                if snoozed_until is not None:
                    conversation.snoozed_until = snoozed_until
            else:
                conversation.status = "resolved" if conversation.status == "open" else "open"
            if conversation.status != "snoozed":
                conversation.snoozed_until = None
            if (conversation.status == "open" and isinstance(actor, User)
                    and actor.role == "agent"):
                conversation.assignee_id, conversation.assignee_agent_bot_id = actor.id, None
            conversation.updated_at = self.clock()
            self.save()
            return success

    def assign_agent(self, conversation: Conversation, assignee_id: Any,
                     assignee_type: str | None) -> User | AgentBot | None:
        """``Conversations::AssignmentService``: unknown ids unassign."""
        with self._lock:
            agent: User | AgentBot | None = None
            key = _int_or_none(assignee_id)
            if assignee_type == "AgentBot":
                bot = self.agent_bots.get(key) if key is not None else None
                if bot and bot.account_id in (None, conversation.account_id):
                    agent = bot
                conversation.assignee_agent_bot_id = agent.id if agent else None
                conversation.assignee_id = None
            else:
                user = self.users.get(key) if key is not None else None
                if user and conversation.account_id in user.account_ids:
                    agent = user
                conversation.assignee_id = agent.id if agent else None
                conversation.assignee_agent_bot_id = None
            conversation.updated_at = self.clock()
            self.save()
            return agent

    def assign_team(self, conversation: Conversation, team_id: Any) -> Team | None:
        with self._lock:
            key = _int_or_none(team_id)
            team = self.teams.get(key) if key is not None else None
            if team and team.account_id != conversation.account_id:
                team = None
            conversation.team_id = team.id if team else None
            conversation.updated_at = self.clock()
            self.save()
            return team

    def set_labels(self, conversation: Conversation, labels: list[str]) -> list[str]:
        """``update!(label_list: labels)``: the whole list is replaced."""
        with self._lock:
            unique: list[str] = []
            for label in labels:
                name = str(label).strip()
                if name and name not in unique:
                    unique.append(name)
            conversation.labels = unique
            conversation.updated_at = self.clock()
            self.save()
            return list(unique)

    def set_custom_attributes(self, conversation: Conversation,
                              attributes: dict[str, Any]) -> dict[str, Any]:
        """The whole hash is replaced; ``JsonbAttributesLengthValidator`` applies."""
        errors = []
        for key, value in attributes.items():
            if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_STRING:
                errors.append(f"Custom attributes {key} length should be < 1500")
            elif (isinstance(value, int) and not isinstance(value, bool)
                  and value > MAX_ATTRIBUTE_INTEGER):
                errors.append(f"Custom attributes {key} value should be < 9999999999")
        if errors:
            raise ChatwootError(422, {"message": ", ".join(errors),
                                      "attributes": ["custom_attributes"]})
        with self._lock:
            conversation.custom_attributes = dict(attributes)
            conversation.updated_at = self.clock()
            self.save()
            return dict(attributes)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
