"""Typed outputs of the Chatwoot MCP tools.

No optional (``anyOf`` with null) fields: absent values are "", 0, false or empty lists.
Times are epoch seconds (0 = unknown).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class MessageInfo(BaseModel):
    id: int
    content: str = ""
    message_type: str = Field(description="incoming, outgoing, activity or template")
    private: bool = False
    status: str = ""
    created_at: int = 0
    sender_type: str = Field("", description="contact, user, agent_bot or '' (activity)")
    sender_id: int = 0
    sender_name: str = ""
    echo_id: str = ""
    attachments: int = Field(0, description="Number of attachments.")


class SendResult(BaseModel):
    conversation_id: int
    message: MessageInfo
    duplicate: bool = Field(False, description="True: this idempotency_key was already "
                                               "sent; nothing new was sent.")


class MessagePage(BaseModel):
    conversation_id: int
    messages: list[MessageInfo] = Field(description="Oldest first.")
    next_before: int = Field(0, description="Pass as `before` for older messages; 0 = none.")


class TemplateInfo(BaseModel):
    name: str
    language: str
    category: str
    status: str
    body: str = Field(description="Body text with {{1}}, {{2}} … placeholders.")
    params: int = Field(description="Number of body parameters to fill.")
    inbox_id: int


class TemplateList(BaseModel):
    templates: list[TemplateInfo]


class TypingResult(BaseModel):
    conversation_id: int
    typing: str


class StatusResult(BaseModel):
    conversation_id: int
    status: str
    snoozed_until: str = Field("", description="ISO time the snooze ends; '' if not snoozed.")


class AssignResult(BaseModel):
    conversation_id: int
    agent_id: int = 0
    agent_name: str = ""
    team_id: int = 0
    team_name: str = ""
    note_message_id: int = Field(0, description="Id of the handoff private note; 0 = none.")


class LabelsResult(BaseModel):
    conversation_id: int
    labels: list[str]


class AttributesResult(BaseModel):
    conversation_id: int
    custom_attributes: dict[str, Any]


class ConversationInfo(BaseModel):
    id: int
    status: str
    inbox_id: int
    channel: str
    contact_id: int
    contact_name: str
    contact_phone: str = ""
    contact_email: str = ""
    assignee_id: int = 0
    assignee_name: str = ""
    team_id: int = 0
    team_name: str = ""
    labels: list[str] = Field(default_factory=list)
    custom_attributes: dict[str, Any] = Field(default_factory=dict)
    can_reply: bool = Field(description="False: WhatsApp's 24-hour window is closed; only "
                                        "a template can be sent.")
    unread_count: int = 0
    created_at: int = 0
    last_activity_at: int = 0
    snoozed_until: str = ""


class ContactInfo(BaseModel):
    id: int
    name: str
    phone_number: str = ""
    email: str = ""
    identifier: str = ""


class ContactMatches(BaseModel):
    query: str
    contacts: list[ContactInfo]
    count: int


class QualifyResult(BaseModel):
    conversation_id: int
    qualified: bool
    score: int = Field(description="Sum of the four BANT scores, 0–40.")
    labels: list[str]
    custom_attributes: dict[str, Any]


class ConversationStats(BaseModel):
    period_from: str = ""
    period_to: str = ""
    open: int
    pending: int
    resolved: int
    snoozed: int
    total: int
    source: str = Field(description="conversations/meta (exact counts) or conversations "
                                    "list (filtered by creation date).")


class AgentStats(BaseModel):
    agent_id: int
    agent_name: str = ""
    conversations: int
    open: int
    resolved: int
    avg_first_response_s: float = Field(0.0, description="Mean seconds from conversation "
                                                        "start to first human reply; 0 = none.")
    avg_resolution_s: float = Field(0.0, description="Mean seconds from start to the last "
                                                     "update of resolved conversations.")
    replied: int = Field(0, description="Conversations with a human first reply.")


class AgentPerformance(BaseModel):
    period_from: str = ""
    period_to: str = ""
    agents: list[AgentStats]


class AgentComparison(BaseModel):
    period_from: str = ""
    period_to: str = ""
    agents: list[AgentStats]
    fastest_first_response_agent_id: int = 0
    most_resolved_agent_id: int = 0
