"""Every tool of the Chatwoot MCP server, through an in-memory fastmcp Client, against the
embedded Chatwoot on loopback (real HTTP, no mocks)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastmcp import Client, FastMCP
from fastmcp.exceptions import ToolError

from mcp_servers.chatwoot.app import TOOL_NAMES, WRITE_TOOLS, build_chatwoot_server
from mcp_servers.chatwoot.client import ChatwootClient, ChatwootServerError
from mcp_servers.chatwoot.server import ChatwootTools
from mcp_servers.settings import Settings
from sandbox.chatwoot import EmbeddedChatwoot
from sandbox.chatwoot.store import OUTGOING, User

pytestmark = pytest.mark.anyio
CONVERSATION = 245
DAY = 24 * 3600


@pytest.fixture(scope="module")
def shared_cw() -> Iterator[EmbeddedChatwoot]:
    with EmbeddedChatwoot() as server:
        yield server


@pytest.fixture
def cw(shared_cw: EmbeddedChatwoot) -> EmbeddedChatwoot:
    shared_cw.reset()
    return shared_cw


def make_server(cw: EmbeddedChatwoot, backoff_s: float = 0.01, **settings: Any) -> FastMCP:
    config = Settings(_env_file=None, chatwoot_url=cw.url, **settings)
    return build_chatwoot_server(ChatwootTools(config, ChatwootClient(config,
                                                                      backoff_s=backoff_s)))


@pytest.fixture
def mcp(cw: EmbeddedChatwoot) -> FastMCP:
    return make_server(cw)


async def call(server: FastMCP, tool: str, **args: Any) -> dict[str, Any]:
    async with Client(server) as client:
        result = await client.call_tool(tool, args)
    return result.structured_content


def add_agent(cw: EmbeddedChatwoot, user_id: int, name: str) -> None:
    cw.store.users[user_id] = User(user_id, name, f"{name.lower()}@example.com", [3])
    cw.store.inboxes[7].member_ids.append(user_id)


def stale_conversation(cw: EmbeddedChatwoot) -> int:
    """A WhatsApp conversation whose customer last wrote 25 hours ago."""
    conversation = cw.store.add_conversation("Maria Souza", "+5511912345678",
                                             created_at=time.time() - 26 * 3600)
    cw.store.add_incoming_message(conversation.display_id, "Oi, tem cimento?",
                                  created_at=time.time() - 25 * 3600)
    return conversation.display_id


# --- schemas ---------------------------------------------------------------------------
async def test_tools_are_typed_annotated_and_plain(mcp: FastMCP) -> None:
    async with Client(mcp) as client:
        tools = await client.list_tools()
    assert {t.name for t in tools} == set(TOOL_NAMES)
    for tool in tools:
        assert tool.title and tool.description and len(tool.description) > 40, tool.name
        assert tool.outputSchema is not None, tool.name
        assert "anyOf" not in json.dumps([tool.inputSchema, tool.outputSchema]), tool.name
        assert tool.annotations is not None
        assert tool.annotations.readOnlyHint == (tool.name not in WRITE_TOOLS), tool.name
        tags = set(tool.meta["fastmcp"]["tags"])  # type: ignore[index]
        assert tags == {"chatwoot", "write" if tool.name in WRITE_TOOLS else "read"}
    by_name = {t.name: t for t in tools}
    assert by_name["send_message"].annotations.destructiveHint  # type: ignore[union-attr]
    assert not by_name["add_labels"].annotations.destructiveHint  # type: ignore[union-attr]


# --- messages ----------------------------------------------------------------------------
async def test_send_message_and_private_note(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    sent = await call(mcp, "send_message", conversation_id=CONVERSATION,
                      content="Fechado! Envio o link de pagamento.")
    last = cw.store.get_conversation(CONVERSATION).messages[-1]
    assert sent["message"]["id"] == last.id and not sent["duplicate"]
    assert last.content == "Fechado! Envio o link de pagamento." and not last.private
    assert last.message_type == OUTGOING and last.source_id  # delivered on WhatsApp
    note = await call(mcp, "send_message", conversation_id=CONVERSATION,
                      content="Cliente pediu nota fiscal", private=True)
    assert note["message"]["private"] and cw.store.get_conversation(
        CONVERSATION).messages[-1].private


async def test_same_idempotency_key_sends_once(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    def copies() -> int:
        return sum(1 for m in cw.store.get_conversation(CONVERSATION).messages
                   if m.content == "Seu pedido saiu para entrega")

    args = {"conversation_id": CONVERSATION, "content": "Seu pedido saiu para entrega",
            "idempotency_key": "reply-58238"}
    first = await call(mcp, "send_message", **args)
    second = await call(mcp, "send_message", **args)
    assert not first["duplicate"] and second["duplicate"]
    assert second["message"]["id"] == first["message"]["id"] and copies() == 1
    # a new process (empty in-memory map) still finds the key in the conversation (echo_id)
    restarted = await call(make_server(cw), "send_message", **args)
    assert restarted["duplicate"] and restarted["message"]["id"] == first["message"]["id"]
    assert copies() == 1
    other = await call(mcp, "send_message", **{**args, "idempotency_key": "reply-2"})
    assert not other["duplicate"] and copies() == 2


async def test_free_text_refused_outside_the_24h_window(cw: EmbeddedChatwoot,
                                                         mcp: FastMCP) -> None:
    stale = stale_conversation(cw)
    before = len(cw.store.get_conversation(stale).messages)
    with pytest.raises(ToolError, match="send_whatsapp_template") as error:
        await call(mcp, "send_message", conversation_id=stale, content="Temos sim!")
    assert "25 h ago" in str(error.value)
    assert len(cw.store.get_conversation(stale).messages) == before
    note = await call(mcp, "send_message", conversation_id=stale, content="ligar amanhã",
                      private=True)  # private notes are never delivered: allowed
    assert note["message"]["private"]


async def test_whatsapp_templates_list_and_send(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    listed = await call(mcp, "list_whatsapp_templates")
    assert {t["name"] for t in listed["templates"]} == {"retomar_atendimento",
                                                        "pedido_confirmado"}
    everything = await call(mcp, "list_whatsapp_templates", conversation_id=CONVERSATION,
                            include_unapproved=True)
    assert "promocao_semana" in {t["name"] for t in everything["templates"]}
    stale = stale_conversation(cw)
    sent = await call(mcp, "send_whatsapp_template", conversation_id=stale,
                      template_name="retomar_atendimento", params=["Maria", "o cimento"],
                      idempotency_key="retomar-1")
    message = cw.store.get_conversation(stale).messages[-1]
    assert sent["message"]["id"] == message.id
    assert message.content == ("Olá Maria! Aqui é da Ferragens Paulista. Podemos continuar "
                               "o seu atendimento sobre o cimento?")
    assert message.additional_attributes["template_params"]["processed_params"] == {
        "1": "Maria", "2": "o cimento"}
    assert message.status != "failed" and message.source_id
    again = await call(mcp, "send_whatsapp_template", conversation_id=stale,
                       template_name="retomar_atendimento", params=["Maria", "o cimento"],
                       idempotency_key="retomar-1")
    assert again["duplicate"] and cw.store.get_conversation(stale).messages[-1].id == message.id
    with pytest.raises(ToolError, match="takes 2 parameters"):
        await call(mcp, "send_whatsapp_template", conversation_id=stale,
                   template_name="retomar_atendimento", params=["Maria"])
    with pytest.raises(ToolError, match="REJECTED"):
        await call(mcp, "send_whatsapp_template", conversation_id=stale,
                   template_name="promocao_semana", params=["x"])
    with pytest.raises(ToolError, match="approved ones: pedido_confirmado"):
        await call(mcp, "send_whatsapp_template", conversation_id=stale,
                   template_name="nao_existe")


async def test_get_messages_pages_back_with_before(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    for n in range(15):
        cw.store.add_incoming_message(CONVERSATION, f"mensagem {n}")
    latest = await call(mcp, "get_messages", conversation_id=CONVERSATION)
    assert len(latest["messages"]) == 20 and latest["messages"][-1]["content"] == "mensagem 14"
    assert latest["messages"][-1]["message_type"] == "incoming"
    older = await call(mcp, "get_messages", conversation_id=CONVERSATION,
                       before=latest["next_before"])
    assert [m["id"] for m in older["messages"]] == [58231, 58232, 58233]
    assert older["next_before"] == 0
    public = await call(mcp, "get_messages", conversation_id=CONVERSATION,
                        before=latest["next_before"] + 6, include_private=False)
    assert all(not m["private"] and m["message_type"] != "activity"
               for m in public["messages"])
    assert 58237 not in {m["id"] for m in public["messages"]}


# --- conversation state -----------------------------------------------------------------
async def test_get_conversation(mcp: FastMCP) -> None:
    info = await call(mcp, "get_conversation", conversation_id=CONVERSATION)
    assert info["contact_name"] == "João Pereira" and info["assignee_id"] == 12
    assert info["team_name"] == "vendas" and info["channel"] == "Channel::Whatsapp"
    assert info["labels"] == ["pedido", "whatsapp"] and info["can_reply"]


async def test_set_typing(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    assert (await call(mcp, "set_typing", conversation_id=CONVERSATION))["typing"] == "on"
    off = await call(mcp, "set_typing", conversation_id=CONVERSATION, on=False)
    assert off["typing"] == "off"
    with pytest.raises(ToolError, match="404"):
        await call(mcp, "set_typing", conversation_id=999)


async def test_update_status_and_snooze(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    resolved = await call(mcp, "update_status", conversation_id=CONVERSATION,
                          status="resolved")
    assert resolved["status"] == "resolved"
    assert cw.store.get_conversation(CONVERSATION).status == "resolved"
    until = int(time.time()) + 3 * 3600
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until))
    snoozed = await call(mcp, "update_status", conversation_id=CONVERSATION,
                         status="snoozed", snoozed_until=iso)
    conversation = cw.store.get_conversation(CONVERSATION)
    assert conversation.status == "snoozed" and conversation.snoozed_until == until
    assert snoozed["snoozed_until"].startswith(iso[:16])
    with pytest.raises(ToolError, match="only goes with status 'snoozed'"):
        await call(mcp, "update_status", conversation_id=CONVERSATION, status="open",
                   snoozed_until=iso)
    assert cw.store.get_conversation(CONVERSATION).status == "snoozed"


async def test_assign_agent_team_and_handoff_note(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    add_agent(cw, 13, "Rafael")
    result = await call(mcp, "assign", conversation_id=CONVERSATION, agent_id=13, team_id=4,
                        handoff_note="Cliente quer fechar; confirmar frete.")
    conversation = cw.store.get_conversation(CONVERSATION)
    assert conversation.assignee_id == 13 and conversation.team_id == 4
    assert result["agent_name"] == "Rafael" and result["team_name"] == "vendas"
    note = conversation.messages[-1]
    assert note.id == result["note_message_id"] and note.private
    assert note.content == "Cliente quer fechar; confirmar frete."
    with pytest.raises(ToolError, match="no agent 999"):
        await call(mcp, "assign", conversation_id=CONVERSATION, agent_id=999)
    with pytest.raises(ToolError, match="no team 77"):
        await call(mcp, "assign", conversation_id=CONVERSATION, team_id=77)
    conversation = cw.store.get_conversation(CONVERSATION)
    assert conversation.assignee_id == 13 and conversation.team_id == 4  # nothing cleared


async def test_labels_are_merged_not_replaced(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    added = await call(mcp, "add_labels", conversation_id=CONVERSATION,
                       labels=["Urgente", "pedido"])
    assert added["labels"] == ["pedido", "whatsapp", "urgente"]
    assert cw.store.get_conversation(CONVERSATION).labels == ["pedido", "whatsapp", "urgente"]
    removed = await call(mcp, "remove_labels", conversation_id=CONVERSATION,
                         labels=["pedido"])
    assert removed["labels"] == ["whatsapp", "urgente"]
    assert cw.store.get_conversation(CONVERSATION).labels == ["whatsapp", "urgente"]


async def test_custom_attributes_are_merged(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    result = await call(mcp, "set_custom_attributes", conversation_id=CONVERSATION,
                        attributes={"forma_pagamento": "pix", "cep_entrega": "07020-000"})
    expected = {"origem_pedido": "whatsapp", "cep_entrega": "07020-000",
                "forma_pagamento": "pix"}
    assert result["custom_attributes"] == expected
    assert cw.store.get_conversation(CONVERSATION).custom_attributes == expected
    with pytest.raises(ToolError, match="length should be < 1500"):
        await call(mcp, "set_custom_attributes", conversation_id=CONVERSATION,
                   attributes={"obs": "x" * 2000})
    assert cw.store.get_conversation(CONVERSATION).custom_attributes == expected


async def test_qualify_lead_keeps_labels_and_attributes(cw: EmbeddedChatwoot,
                                                       mcp: FastMCP) -> None:
    result = await call(mcp, "qualify_lead", conversation_id=CONVERSATION, qualified=True,
                        reason="Obra em andamento, compra esta semana", budget=8,
                        authority=10, need=9, timing=7)
    conversation = cw.store.get_conversation(CONVERSATION)
    assert result["score"] == 34 and conversation.labels == ["pedido", "whatsapp",
                                                             "lead-qualified"]
    attributes = conversation.custom_attributes
    assert attributes["origem_pedido"] == "whatsapp" and attributes["bant_need"] == 9
    assert attributes["lead_status"] == "qualified" and attributes["bant_score"] == 34
    await call(mcp, "qualify_lead", conversation_id=CONVERSATION, qualified=False,
               reason="Só pesquisando preço", budget=2)
    conversation = cw.store.get_conversation(CONVERSATION)
    assert conversation.labels == ["pedido", "whatsapp", "lead-unqualified"]
    assert conversation.custom_attributes["lead_status"] == "unqualified"
    assert conversation.custom_attributes["cep_entrega"] == "07010-000"
    with pytest.raises(ToolError):
        await call(mcp, "qualify_lead", conversation_id=CONVERSATION, qualified=True,
                   reason="x", budget=11)


# --- contacts and statistics ----------------------------------------------------------
async def test_search_contacts_by_phone_email_and_name(cw: EmbeddedChatwoot,
                                                       mcp: FastMCP) -> None:
    cw.store.add_contact("Ana Lima", "+5511933334444", email="ana@obra.com.br")
    for query in ("(11) 98765-4321", "11 8765-4321", "+55 11 98765 4321"):
        found = await call(mcp, "search_contacts", query=query)
        assert [c["id"] for c in found["contacts"]] == [1482], query
    by_email = await call(mcp, "search_contacts", query="ana@obra.com.br")
    assert [c["name"] for c in by_email["contacts"]] == ["Ana Lima"]
    by_name = await call(mcp, "search_contacts", query="pereira")
    assert [c["phone_number"] for c in by_name["contacts"]] == ["+5511987654321"]
    assert (await call(mcp, "search_contacts", query="21 99999-0000"))["count"] == 0


def _history(cw: EmbeddedChatwoot) -> None:
    """Agents 13 and 14; conversations created 10 days ago and today, with reply times."""
    add_agent(cw, 13, "Rafael")
    add_agent(cw, 14, "Bia")
    now = time.time()
    plan = [  # (agent, status, created seconds ago, first reply after s, resolved after s)
        (13, "resolved", 600, 60, 300), (13, "resolved", 900, 120, 500),
        (14, "open", 1200, 600, 0), (14, "resolved", 10 * DAY, 30, 90),
        (14, "pending", 300, 0, 0)]
    for n, (agent, status, ago, reply, resolved) in enumerate(plan):
        conversation = cw.store.add_conversation(f"Cliente {n}", f"+55119100000{n:02d}",
                                                 status=status, assignee_id=agent,
                                                 created_at=now - ago)
        conversation.first_reply_created_at = now - ago + reply if reply else None
        conversation.updated_at = now - ago + resolved if resolved else now - ago
        conversation.last_activity_at = now - ago


async def test_conversation_stats(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    _history(cw)
    stats = await call(mcp, "conversation_stats")
    assert (stats["open"], stats["pending"], stats["resolved"], stats["snoozed"]) == (
        2, 1, 3, 0)
    assert stats["total"] == 6 and stats["source"] == "conversations/meta"
    today = time.strftime("%Y-%m-%d", time.gmtime())
    recent = await call(mcp, "conversation_stats", date_from=today, date_to=today)
    assert (recent["resolved"], recent["total"]) == (2, 5)
    with pytest.raises(ToolError, match="YYYY-MM-DD"):
        await call(mcp, "conversation_stats", date_from="ontem")
    scoped = await call(make_server(cw, chatwoot_inbox_ids="8"), "conversation_stats")
    assert scoped["total"] == 0  # inbox 8 holds none of them


async def test_agent_performance(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    _history(cw)
    report = await call(mcp, "agent_performance", agent_ids=[13, 14])
    rafael, bia = report["agents"]
    assert (rafael["conversations"], rafael["resolved"]) == (2, 2)
    assert rafael["avg_first_response_s"] == pytest.approx(90, abs=1)
    assert rafael["avg_resolution_s"] == pytest.approx(400, abs=1)
    assert (bia["conversations"], bia["open"], bia["replied"]) == (3, 1, 2)
    assert bia["avg_first_response_s"] == pytest.approx(315, abs=1)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    recent = await call(mcp, "agent_performance", date_from=today, agent_ids=[14])
    assert recent["agents"][0]["conversations"] == 2
    everyone = await call(mcp, "agent_performance")
    assert {a["agent_id"] for a in everyone["agents"]} == {12, 13, 14}


async def test_compare_agents_reports_progress(cw: EmbeddedChatwoot, mcp: FastMCP) -> None:
    _history(cw)
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with Client(mcp, progress_handler=on_progress) as client:
        result = (await client.call_tool("compare_agents",
                                         {"agent_ids": [13, 14, 12]})).structured_content
        assert [a["agent_id"] for a in result["agents"]] == [13, 14, 12]
        assert result["fastest_first_response_agent_id"] == 13
        assert result["most_resolved_agent_id"] == 13
        assert progress == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
        for bad in ([13], [1, 2, 3, 4, 5, 6]):
            with pytest.raises(ToolError):
                await client.call_tool("compare_agents", {"agent_ids": bad})


# --- errors --------------------------------------------------------------------------------
async def test_unknown_conversation_is_a_tool_error(mcp: FastMCP) -> None:
    with pytest.raises(ToolError, match=r"404.*search again"):
        await call(mcp, "get_conversation", conversation_id=99999)


async def test_wrong_token_is_clear_and_never_echoed(cw: EmbeddedChatwoot) -> None:
    secret = "wrong-token-s3cr3t-value"
    server = make_server(cw, chatwoot_token=secret)
    with pytest.raises(ToolError) as error:
        await call(server, "get_conversation", conversation_id=CONVERSATION)
    message = str(error.value)
    assert "access token" in message and "Invalid Access Token" in message
    assert "BALCAO_CHATWOOT_TOKEN" in message and secret not in message
    tools = ChatwootTools(Settings(_env_file=None, chatwoot_url=cw.url,
                                   chatwoot_token=secret))
    assert secret not in repr(tools.client)


async def test_inbox_scope_is_enforced(cw: EmbeddedChatwoot) -> None:
    scoped = make_server(cw, chatwoot_inbox_ids="8")
    with pytest.raises(ToolError, match="outside the inboxes"):
        await call(scoped, "send_message", conversation_id=CONVERSATION, content="oi")
    assert cw.store.get_conversation(CONVERSATION).messages[-1].id == 58238


async def test_429_is_retried_until_it_passes() -> None:
    with EmbeddedChatwoot(rate_limit=1, rate_limit_period=0.5) as limited:
        server = make_server(limited, backoff_s=0.3)
        await call(server, "get_conversation", conversation_id=CONVERSATION)
        started = time.monotonic()
        info = await call(server, "get_conversation", conversation_id=CONVERSATION)
        assert info["id"] == CONVERSATION and time.monotonic() - started >= 0.3


async def test_429_that_persists_is_a_clear_error() -> None:
    with EmbeddedChatwoot(rate_limit=1, rate_limit_period=60) as limited:
        server = make_server(limited, backoff_s=0.01)
        await call(server, "set_typing", conversation_id=CONVERSATION)
        with pytest.raises(ToolError, match=r"429.*gave up after 3 attempts.*wait a minute"):
            await call(server, "set_typing", conversation_id=CONVERSATION)


def test_client_retries_5xx_but_never_other_4xx(cw: EmbeddedChatwoot) -> None:
    settings = Settings(_env_file=None, chatwoot_url=cw.url)
    client = ChatwootClient(settings, backoff_s=0.01)
    seen: list[int] = []
    client._http.event_hooks["response"].append(lambda r: seen.append(r.status_code))
    with pytest.raises(ChatwootServerError, match="gave up after 3 attempts"):
        client.post(f"/conversations/{CONVERSATION}/toggle_status", {"status": "bogus"})
    assert seen == [500, 500, 500]
    seen.clear()
    with pytest.raises(Exception, match="422") as error:
        client.post(f"/conversations/{CONVERSATION}/messages", {"content": ""})
    assert "gave up" not in str(error.value) and seen == [422]
    seen.clear()
    with pytest.raises(ChatwootServerError):
        client.post(f"/conversations/{CONVERSATION}/toggle_status", {"status": "bogus"},
                    retry_server_errors=False)
    assert seen == [500]
    client.close()
