"""The fixture scenario, installed in a new store (``shared/fixtures/chatwoot``).

Account 3 "Ferragens Paulista"; WhatsApp inbox 7 "WhatsApp Vendas" with agent bot 2
"Assistente de Pedidos" connected; agent Carla Mendes (user 12, member of inbox 7); team 4
"vendas"; contact João Pereira (1482, +5511987654321); conversation 245 holding the eight
messages of ``api/messages_list.response.json`` (ids 58231–58238), so replaying the fixture
requests gives the fixture responses (the next message id is 58239).

Times are shifted so the conversation happened in the five minutes before the store was
created: the contact's last message is recent, so WhatsApp's 24-hour window is open.

Also: inbox 8 "Balcão API" (``Channel::Api``, no agent members, no bot: incoming messages
can be created through the API there, and Carla gets Pundit's 401), and account 1 "Loja
Modelo", to which neither token belongs (401, where an unknown account id is a 404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.chatwoot.store import (
    ACTIVITY,
    API_CHANNEL,
    INCOMING,
    OUTGOING,
    WHATSAPP,
    Account,
    AgentBot,
    Contact,
    ContactInbox,
    Conversation,
    Inbox,
    Message,
    Team,
    User,
)

if TYPE_CHECKING:
    from sandbox.chatwoot.store import ChatwootStore

ACCOUNT_ID, INBOX_ID, API_INBOX_ID, CONVERSATION_ID = 3, 7, 8, 245
AGENT_ID, AGENT_BOT_ID, TEAM_ID, CONTACT_ID = 12, 2, 4, 1482
CONTACT_NAME, CONTACT_PHONE = "João Pereira", "+5511987654321"

_WAMID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUC"
_ATTACHMENT_TOKEN = ("eyJfcmFpbHMiOnsiZGF0YSI6MjIwOTQsInB1ciI6ImJsb2JfaWQifX0=--"
                     "4f1e9c2b7a3d8e05b6c1f0a9d2e7b8c3a4f5d6e1")
_BASE = "https://chat.ferragenspaulista.com.br/rails/active_storage"

# (id, seconds after the first message, type, sender, private, status, source_id, content)
_HISTORY: list[tuple[int, int, int, str | None, bool, str, str | None, str]] = [
    (58231, 0, INCOMING, "Contact", False, "sent",
     _WAMID + "ABIYFDNBMEY4QjI3QzE5RDQ1RTlBNzRGAA==",
     "Oi, quero 2 caixas de parafuso sextavado 3/8 e 1 furadeira"),
    (58232, 6, OUTGOING, "AgentBot", False, "read",
     _WAMID + "ABEYEjJDMTlENDVFOUE3NEYzQTBGOAA=",
     "Olá, João! 👋 Sou o assistente de pedidos da Ferragens Paulista.\n"
     "A caixa de parafuso sextavado 3/8\" (50 un.) sai por R$ 42,00 e temos furadeiras a "
     "partir de R$ 189,90.\nVocê já tem algum modelo de furadeira em mente?"),
    (58233, 53, INCOMING, "Contact", False, "sent",
     _WAMID + "ABIYFDdDMjlFNEIxMEE1QjRGMDhCODE2AA==",
     "Vocês entregam em Guarulhos? Preciso pra amanhã cedo"),
    (58234, 82, INCOMING, "Contact", False, "sent",
     _WAMID + "ABIYFDk1QTFEMzcwQ0U4NjQyQjM5RjJBAA==",
     "Essa aqui, vocês têm? A de 650W"),
    (58235, 100, ACTIVITY, None, False, "sent", None,
     "Conversa foi reaberta por Assistente de Pedidos"),
    (58236, 101, ACTIVITY, None, False, "sent", None,
     "Atribuído a Carla Mendes por Assistente de Pedidos"),
    (58237, 184, OUTGOING, "User", True, "sent", None,
     "Cliente quer 2 cx parafuso sextavado 3/8\" + 1 furadeira de impacto 650W (foto). "
     "Confirmar estoque e frete p/ Guarulhos antes de fechar."),
    (58238, 252, OUTGOING, "User", False, "delivered",
     _WAMID + "ABEYEjNFQjBBMjc0RkI4QzE5MDdEOQA=",
     "Oi João, aqui é a Carla, da Ferragens Paulista 🙂\n"
     "Temos a furadeira de impacto 650W por R$ 289,90 e as 2 caixas de parafuso sextavado "
     "3/8\" saem R$ 84,00.\nEntregamos em Guarulhos amanhã até 12h (frete R$ 15,00). "
     "Posso fechar o pedido?"),
]


def _templates() -> list[dict[str, Any]]:
    """WhatsApp templates of inbox 7, shaped like Meta's ``message_templates`` objects that
    Chatwoot stores on ``Channel::Whatsapp`` (rendered in the inbox JSON)."""
    def body(text: str) -> list[dict[str, Any]]:
        return [{"type": "BODY", "text": text}]

    return [
        {"id": "1170001", "name": "retomar_atendimento", "status": "APPROVED",
         "category": "UTILITY", "language": "pt_BR",
         "components": body("Olá {{1}}! Aqui é da Ferragens Paulista. Podemos continuar o "
                            "seu atendimento sobre {{2}}?")},
        {"id": "1170002", "name": "pedido_confirmado", "status": "APPROVED",
         "category": "UTILITY", "language": "pt_BR",
         "components": body("Seu pedido {{1}} foi confirmado e sai para entrega em {{2}}.")},
        {"id": "1170003", "name": "promocao_semana", "status": "REJECTED",
         "category": "MARKETING", "language": "pt_BR",
         "components": body("Promoção da semana: {{1}}")},
    ]


def install_demo(store: ChatwootStore) -> None:
    """Fill an empty store with the scenario (call once, on a new store)."""
    start = store.clock() - 300.0
    store.accounts[ACCOUNT_ID] = Account(ACCOUNT_ID, "Ferragens Paulista")
    store.accounts[1] = Account(1, "Loja Modelo")
    store.users[AGENT_ID] = User(AGENT_ID, "Carla Mendes",
                                 "carla.mendes@ferragenspaulista.com.br", [ACCOUNT_ID])
    store.agent_bots[AGENT_BOT_ID] = AgentBot(
        AGENT_BOT_ID, "Assistente de Pedidos", ACCOUNT_ID,
        description="Atende pedidos pelo WhatsApp antes de passar para a equipe")
    store.teams[TEAM_ID] = Team(TEAM_ID, ACCOUNT_ID, "vendas",
                                "Equipe de vendas (balcão e WhatsApp)", True,
                                1755190931.483, 1755190931.483, [AGENT_ID])
    store.inboxes[INBOX_ID] = Inbox(INBOX_ID, ACCOUNT_ID, "WhatsApp Vendas", WHATSAPP,
                                    [AGENT_ID], AGENT_BOT_ID,
                                    message_templates=_templates())
    store.inboxes[API_INBOX_ID] = Inbox(API_INBOX_ID, ACCOUNT_ID, "Balcão API", API_CHANNEL)
    store.contacts[CONTACT_ID] = Contact(CONTACT_ID, ACCOUNT_ID, CONTACT_NAME, CONTACT_PHONE,
                                         created_at=start - 0.29)
    store.contact_inboxes[1503] = ContactInbox(
        1503, CONTACT_ID, INBOX_ID, CONTACT_PHONE.lstrip("+"), start - 0.29, start - 0.29,
        pubsub_token="pX8vKq3mTzR5nW2bYc7dLh4F")
    conversation = Conversation(
        CONVERSATION_ID, ACCOUNT_ID, INBOX_ID, CONTACT_ID, 1503, created_at=start,
        updated_at=start + 252.62, status="open", assignee_id=AGENT_ID, team_id=TEAM_ID,
        labels=["pedido", "whatsapp"],
        custom_attributes={"origem_pedido": "whatsapp", "cep_entrega": "07010-000"},
        agent_last_seen_at=start + 282.118, assignee_last_seen_at=start + 282.118,
        first_reply_created_at=start + 252, last_activity_at=start + 252,
        uuid="0f6c3b1e-7a52-4c1e-9d0b-3e6f2a8c5d41")
    for message_id, offset, kind, sender, private, status, source_id, content in _HISTORY:
        sender_id = {"Contact": CONTACT_ID, "AgentBot": AGENT_BOT_ID, "User": AGENT_ID,
                     None: None}[sender]
        message = Message(message_id, ACCOUNT_ID, INBOX_ID, CONVERSATION_ID, kind, content,
                          start + offset, start + offset, sender, sender_id, status=status,
                          private=private, source_id=source_id)
        if message_id == 58234:
            message.attachments.append({
                "id": 8841, "message_id": 58234, "file_type": "image", "account_id": ACCOUNT_ID,
                "extension": None,
                "data_url": f"{_BASE}/blobs/redirect/{_ATTACHMENT_TOKEN}/furadeira-650w.jpeg",
                "thumb_url": f"{_BASE}/representations/redirect/{_ATTACHMENT_TOKEN}/"
                             "eyJfcmFpbHMiOnsiZGF0YSI6eyJmb3JtYXQiOiJqcGVnIiwicmVzaXplX3RvX2Zp"
                             "bGwiOlsyNTAsbnVsbF19LCJwdXIiOiJ2YXJpYXRpb24ifX0=--0d8a1b7c6e5f4a3"
                             "b2c1d0e9f8a7b6c5d4e3f2a1b/furadeira-650w.jpeg",
                "file_size": 184322, "width": None, "height": None})
        conversation.messages.append(message)
    store.conversations[(ACCOUNT_ID, CONVERSATION_ID)] = conversation
    store.next_ids.update({"contact": 1483, "contact_inbox": 1504, "message": 58239,
                           "attachment": 8842})
