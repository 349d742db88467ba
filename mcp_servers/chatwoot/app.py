"""Registers the Chatwoot tools on a FastMCP server.

Tool names are snake_case without a prefix; the gateway mounts this server under the
``chatwoot`` namespace (``chatwoot_send_message``). Tags: ``chatwoot`` (domain scoping)
plus ``read`` or ``write`` (roles).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from fastmcp import Context, FastMCP
from pydantic import Field

from mcp_servers.chatwoot.schemas import (
    AgentComparison,
    AgentPerformance,
    AssignResult,
    AttributesResult,
    ContactMatches,
    ConversationInfo,
    ConversationStats,
    LabelsResult,
    MessagePage,
    QualifyResult,
    SendResult,
    StatusResult,
    TemplateList,
    TypingResult,
)
from mcp_servers.chatwoot.server import ChatwootTools
from mcp_servers.odoo.server import DESTRUCTIVE, READ, WRITE

ConversationId = Annotated[int, Field(ge=1, description="Conversation display id (the number "
                                                        "shown in Chatwoot and in webhooks).")]
IdempotencyKey = Annotated[str, Field(
    max_length=200, description="Same key + same conversation never sends twice (the first "
                                "message is returned with duplicate=true). Use one per "
                                "intended message, e.g. the id of the message you answer.")]
Day = Annotated[str, Field(description="Date YYYY-MM-DD (UTC); empty = unbounded.")]
Score = Annotated[int, Field(ge=0, le=10)]
Labels = Annotated[list[str], Field(min_length=1, description="Label names, e.g. "
                                                              '["pedido", "urgente"].')]


def build_chatwoot_server(tools: ChatwootTools) -> FastMCP:
    """The Chatwoot MCP server over ``tools`` (usable alone or mounted in the gateway)."""
    mcp = FastMCP("chatwoot", instructions=(
        "Chatwoot, the shop's customer inbox (WhatsApp): read conversations and messages, "
        "reply, hand off to humans, label, qualify leads, and see team statistics. "
        "Conversation ids are display ids. Outside WhatsApp's 24-hour window only "
        "templates can be sent. Write tools may be disabled for your role."),
        mask_error_details=True)

    def read(title: str, **kw: Any) -> Any:
        return mcp.tool(title=title, annotations=READ, tags={"chatwoot", "read"}, **kw)

    def write(title: str, annotations: Any = WRITE, **kw: Any) -> Any:
        return mcp.tool(title=title, annotations=annotations, tags={"chatwoot", "write"},
                        **kw)

    @write("Send message", annotations=DESTRUCTIVE)
    def send_message(conversation_id: ConversationId,
                     content: Annotated[str, Field(min_length=1, max_length=150_000)],
                     idempotency_key: IdempotencyKey = "", private: bool = False) -> SendResult:
        """Send a message to the customer, or a private note for agents (private=true, never
        delivered to the customer). Refused for WhatsApp when the customer has not written
        in the last 24 hours: then use send_whatsapp_template."""
        return tools.send_message(conversation_id, content, private, idempotency_key)

    @read("List WhatsApp templates")
    def list_whatsapp_templates(conversation_id: Annotated[int, Field(
                                    ge=0, description="Templates of this conversation's "
                                                      "inbox; 0 = not used.")] = 0,
                                inbox_id: Annotated[int, Field(ge=0)] = 0,
                                include_unapproved: bool = False) -> TemplateList:
        """WhatsApp message templates (approved by Meta unless include_unapproved) with
        their body text and number of parameters, for send_whatsapp_template. Give a
        conversation_id or inbox_id, or nothing for every allowed WhatsApp inbox."""
        return tools.list_whatsapp_templates(conversation_id, inbox_id, include_unapproved)

    @write("Send WhatsApp template", annotations=DESTRUCTIVE)
    def send_whatsapp_template(conversation_id: ConversationId,
                               template_name: Annotated[str, Field(min_length=1)],
                               params: Annotated[list[str], Field(
                                   description="Values for {{1}}, {{2}} … in order.")] = [],  # noqa: B006
                               language: Annotated[str, Field(
                                   description="e.g. pt_BR; empty = the template's only or "
                                               "first language.")] = "",
                               idempotency_key: IdempotencyKey = "") -> SendResult:
        """Send an approved WhatsApp template (works outside the 24-hour window). The
        parameter count must match the template (list_whatsapp_templates)."""
        return tools.send_whatsapp_template(conversation_id, template_name, params, language,
                                            idempotency_key)

    @write("Set typing indicator")
    def set_typing(conversation_id: ConversationId, on: bool = True) -> TypingResult:
        """Show (on=true) or hide the typing indicator in Chatwoot's dashboard and web
        widget (WhatsApp users do not see it)."""
        return tools.set_typing(conversation_id, on)

    @write("Update conversation status")
    def update_status(conversation_id: ConversationId,
                      status: Literal["open", "pending", "resolved", "snoozed"],
                      snoozed_until: Annotated[str, Field(
                          description="With snoozed: ISO date-time it reopens, e.g. "
                                      "2026-11-22T09:00:00-03:00; empty = until the "
                                      "customer writes.")] = "") -> StatusResult:
        """Open, resolve, set pending (bot) or snooze a conversation. A snoozed
        conversation reopens when the customer writes."""
        return tools.update_status(conversation_id, status, snoozed_until)

    @write("Assign conversation")
    def assign(conversation_id: ConversationId,
               agent_id: Annotated[int, Field(ge=0, description="Human agent (user) id; "
                                                                "0 = keep.")] = 0,
               team_id: Annotated[int, Field(ge=0, description="Team id; 0 = keep.")] = 0,
               handoff_note: Annotated[str, Field(
                   description="Private note for the agent: what the customer wants and "
                               "what is left to do; empty = none.")] = "") -> AssignResult:
        """Hand the conversation to a human agent and/or a team (ids are checked first),
        optionally leaving a private handoff note."""
        return tools.assign(conversation_id, agent_id, team_id, handoff_note)

    @write("Add labels")
    def add_labels(conversation_id: ConversationId, labels: Labels) -> LabelsResult:
        """Add labels to a conversation, keeping the ones it has. Returns all labels."""
        return tools.add_labels(conversation_id, labels)

    @write("Remove labels")
    def remove_labels(conversation_id: ConversationId, labels: Labels) -> LabelsResult:
        """Remove these labels from a conversation, keeping the others."""
        return tools.remove_labels(conversation_id, labels)

    @write("Set custom attributes")
    def set_custom_attributes(conversation_id: ConversationId,
                              attributes: Annotated[dict[str, Any], Field(
                                  description='e.g. {"cep_entrega": "07010-000"}; strings '
                                              "< 1500 chars, numbers, booleans.")]
                              ) -> AttributesResult:
        """Set conversation custom attributes, merged with the existing ones (keys not
        given are kept). Returns the whole set."""
        return tools.set_custom_attributes(conversation_id, attributes)

    @read("Get conversation")
    def get_conversation(conversation_id: ConversationId) -> ConversationInfo:
        """A conversation: status, contact, assignee, team, labels, custom attributes and
        whether a free-text reply is possible (can_reply)."""
        return tools.get_conversation(conversation_id)

    @read("Get messages")
    def get_messages(conversation_id: ConversationId,
                     before: Annotated[int, Field(ge=0, description="Message id: return the "
                                                                    "20 before it (from "
                                                                    "next_before); 0 = "
                                                                    "latest.")] = 0,
                     include_private: bool = True) -> MessagePage:
        """Up to 20 messages of a conversation, oldest first, with private notes and
        activity unless include_private=false. Page back with next_before."""
        return tools.get_messages(conversation_id, before, include_private)

    @read("Search contacts")
    def search_contacts(query: Annotated[str, Field(
            min_length=2, description="Phone (any spelling: +55, DDD, with or without the "
                                      "ninth digit), e-mail, or part of a name.")]
                        ) -> ContactMatches:
        """Find Chatwoot contacts by phone, e-mail or name."""
        return tools.search_contacts(query)

    @write("Qualify lead")
    def qualify_lead(conversation_id: ConversationId, qualified: bool,
                     reason: Annotated[str, Field(min_length=1, max_length=1000)],
                     budget: Score = 0, authority: Score = 0, need: Score = 0,
                     timing: Score = 0) -> QualifyResult:
        """Record a lead qualification: BANT scores 0–10 (budget, authority, need, timing)
        and the reason as custom attributes, and the label lead-qualified or
        lead-unqualified (the other one is removed). Existing labels/attributes are kept."""
        return tools.qualify_lead(conversation_id, qualified, reason, budget, authority,
                                  need, timing)

    @read("Conversation statistics")
    def conversation_stats(date_from: Day = "", date_to: Day = "") -> ConversationStats:
        """Conversations by status (open, pending, resolved, snoozed) in the allowed
        inboxes; with dates, only those created in that period."""
        return tools.conversation_stats(date_from, date_to)

    @read("Agent performance")
    def agent_performance(date_from: Day = "", date_to: Day = "",
                          agent_ids: Annotated[list[int], Field(
                              description="Agents to report; empty = all.")] = [],  # noqa: B006
                          ) -> AgentPerformance:
        """Per agent: conversations assigned, open and resolved, mean first response time
        and mean resolution time (seconds), for conversations created in the period."""
        return tools.agent_performance(date_from, date_to, agent_ids)

    @read("Compare agents")
    async def compare_agents(agent_ids: Annotated[list[int], Field(min_length=2,
                                                                   max_length=5)],
                             ctx: Context, date_from: Day = "",
                             date_to: Day = "") -> AgentComparison:
        """Compare 2–5 agents side by side (same metrics as agent_performance) and name
        the fastest first responder and the one who resolved most. Reports progress."""
        ids = list(dict.fromkeys(agent_ids))
        total = len(ids) + 1
        await ctx.report_progress(0, total, "loading conversations")
        conversations = await anyio.to_thread.run_sync(tools.conversations, date_from,
                                                       date_to)
        names = await anyio.to_thread.run_sync(tools.agent_names)
        await ctx.report_progress(1, total, "conversations loaded")
        agents = []
        for done, agent_id in enumerate(ids, start=2):
            agents.append(tools.agent_stats(agent_id, names.get(agent_id, ""), conversations))
            await ctx.report_progress(done, total, f"agent {agent_id} done")
        fastest, most = tools.comparison_winners(agents)
        return AgentComparison(period_from=date_from, period_to=date_to, agents=agents,
                               fastest_first_response_agent_id=fastest,
                               most_resolved_agent_id=most)

    return mcp


TOOL_NAMES = (
    "send_message", "list_whatsapp_templates", "send_whatsapp_template", "set_typing",
    "update_status", "assign", "add_labels", "remove_labels", "set_custom_attributes",
    "get_conversation", "get_messages", "search_contacts", "qualify_lead",
    "conversation_stats", "agent_performance", "compare_agents",
)
WRITE_TOOLS = ("send_message", "send_whatsapp_template", "set_typing", "update_status",
               "assign", "add_labels", "remove_labels", "set_custom_attributes",
               "qualify_lead")
