"""One turn of a WhatsApp conversation, exactly once: flow, reply, state.

A turn is every message the customer sent in one burst. The state (with the ids of the
messages it answered) is saved after the flow has run and before the reply is sent; the
reply is marked sent afterwards. A turn retried after a crash therefore re-runs only
messages not yet answered, or only re-sends the saved reply: the cart never changes twice
and the quotation key (conversation + message) makes Odoo return the same order.
"""

from __future__ import annotations

import logging

from crews.llm import llm_from_settings
from crews.order_intake.crew import CrewUnderstanding, OfflineUnderstanding
from flows.business_hours import BusinessHours
from flows.conversations import ConversationStore, IncomingMessage, Turn
from flows.mcp_client import FlowToolError, McpTools, gateway_tools
from flows.persistence import RedisFlowPersistence
from flows.whatsapp_order import HISTORY, OrderState, Understanding, WhatsAppOrderFlow
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings

log = logging.getLogger(__name__)


async def run_turn(settings: Settings, messages: list[IncomingMessage], *,
                   store: ConversationStore, gateway: Gateway | None = None) -> OrderState:
    """Process one burst of messages of one conversation and answer it."""
    last = messages[-1]
    flow_id = f"{last.account_id}:{last.conversation_id}"
    persistence = RedisFlowPersistence(url=settings.redis_url, ttl_s=settings.conversation_ttl_s)
    saved = persistence.load_state(flow_id)
    handled = set((saved or {}).get("handled_ids", []))
    fresh = [m for m in messages if m.message_id not in handled]
    async with gateway_tools(settings, role="operator", gateway=gateway) as tools:
        if saved and not fresh:
            state = OrderState.model_validate(saved)  # the flow finished before a crash
        else:
            messages, last = fresh, fresh[-1]
            await _typing(tools, last.conversation_id, on=True)
            try:
                flow = WhatsAppOrderFlow(tools, persistence, tenant=settings.default_tenant,
                                         hours=BusinessHours.parse(settings.business_hours,
                                                                   settings.timezone),
                                         engine=engine(settings, tools))
                await flow.kickoff_async(inputs={
                    "id": flow_id, "account_id": last.account_id,
                    "conversation_id": last.conversation_id,
                    "turn_text": "\n".join(m.content for m in messages),
                    "turn_message_id": last.message_id, "contact_name": last.contact_name,
                    "phone": last.phone, "reply_sent": False})
            finally:
                await _typing(tools, last.conversation_id, on=False)
            state = flow.state
            state.history = [*state.history, Turn(role="bot", text=state.reply)][-HISTORY:]
            state.handled_ids = [*state.handled_ids, *(m.message_id for m in messages)][-50:]
            persistence.save_state(flow_id, "turn", state)
        if not state.reply_sent:
            await tools.call("chatwoot_send_message", conversation_id=last.conversation_id,
                             content=state.reply, idempotency_key=f"reply:{last.message_id}")
            state.reply_sent = True
            persistence.save_state(flow_id, "replied", state)
    if state.handoff:
        store.set_handoff(last.account_id, last.conversation_id, on=True)
    return state


def engine(settings: Settings, tools: McpTools, tenant: str = "") -> Understanding:
    """The LLM crew when a model is configured, else the offline parser."""
    llm = llm_from_settings(settings)
    if llm is None:
        return OfflineUnderstanding()
    return CrewUnderstanding(llm, tools, tenant or settings.default_tenant)


async def _typing(tools: McpTools, conversation_id: int, *, on: bool) -> None:
    """Best effort: a missing typing indicator must never fail the turn."""
    try:
        await tools.call("chatwoot_set_typing", conversation_id=conversation_id, on=on)
    except FlowToolError as exc:
        log.info("typing indicator not set: %s", exc)
