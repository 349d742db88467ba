"""WhatsApp order intake as a CrewAI Flow: one customer turn in, one reply out.

understand (engine) → route by intent → add / change / remove / answer a question /
confirm (quotation in Odoo) / cancel / hand off / order status / greet / refuse.
Products, prices and stock come from the catalog and Odoo through MCP, never from text.
The quotation is created only when the customer confirms the cart that was last shown to
them (checked in code), with ``client_order_ref`` = conversation + confirming message, so a
retried turn returns the same order. State persists in Redis after every step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from typing import Any, Protocol

from crewai.flow.flow import Flow, listen, router, start
from pydantic import BaseModel, Field, PrivateAttr

from crews.order_intake.crew import OfflineUnderstanding
from crews.order_intake.offline import ParsedItem, ParsedTurn
from flows.business_hours import BusinessHours
from flows.conversations import CartLine, ConversationState, SaleOrderRef, Turn
from flows.mcp_client import FlowToolError, McpTools
from flows.order_resolution import Option, option_from_hit, resolve
from flows.persistence import RedisFlowPersistence
from flows.replies import language_of, money
from mcp_servers.catalog.text import fold

log = logging.getLogger(__name__)
HISTORY = 20
MAX_QUANTITY = 10_000
UOM_WORDS = {"cx": "caixa", "pct": "pacote", "un": "unidade", "saco": "saco", "lata": "lata",
             "rolo": "rolo", "barra": "barra", "par": "par"}


class Understanding(Protocol):
    """Reads a customer turn: the LLM crew or the offline parser (crews/order_intake)."""

    async def understand(self, text: str, *, cart: list[dict[str, Any]],
                         pending: str = "") -> ParsedTurn: ...


class PendingChoice(BaseModel):
    quantity: float
    options: list[Option]
    action: str = "add"


class OrderState(ConversationState):
    """The conversation's state plus what only the flow needs (``id`` = account:conv)."""

    id: str = ""
    account_id: int = 0
    conversation_id: int = 0
    contact_name: str = ""
    phone: str = ""
    partner_id: int = 0
    turn_text: str = ""
    turn_message_id: int = 0
    pending: PendingChoice | None = None
    shown_cart_hash: str = ""
    quoted_cart_hash: str = ""
    reply: str = ""
    reply_sent: bool = False
    handled_ids: list[int] = Field(default_factory=list)  # answered messages (crash replays)
    parsed: ParsedTurn | None = None


def cart_hash(cart: list[CartLine]) -> str:
    data = json.dumps([(line.product_id, line.quantity) for line in cart])
    return hashlib.sha256(data.encode()).hexdigest()[:16]


class WhatsAppOrderFlow(Flow[OrderState]):
    """Run with ``kickoff_async(inputs={"id": "3:245", "turn_text": …, …})``."""

    _skip_auto_memory = True
    _tools: McpTools | None = PrivateAttr(default=None)
    _tenant: str = PrivateAttr(default="")
    _hours: BusinessHours = PrivateAttr(default_factory=BusinessHours)
    _engine: Understanding = PrivateAttr(default_factory=OfflineUnderstanding)

    def __init__(self, tools: McpTools, persistence: RedisFlowPersistence, tenant: str = "",
                 hours: BusinessHours | None = None, engine: Understanding | None = None):
        super().__init__(persistence=persistence, suppress_flow_events=True)
        self._tools = tools
        self._tenant = tenant
        self._hours = hours or BusinessHours()
        self._engine = engine or OfflineUnderstanding()

    def follow_up(self) -> str:
        """When a person will pick this up, if people are not at work right now."""
        return self._hours.follow_up_text(dt.datetime.now(dt.UTC), self.state.language)

    def _log_flow_event(self, message: str, color: str = "yellow",
                        level: str = "info") -> None:
        """CrewAI prints these to stdout; they belong in the debug log."""
        log.debug("%s", message)

    @property
    def tools(self) -> McpTools:
        assert self._tools is not None
        return self._tools

    def t(self, pt: str, en: str) -> str:
        return en if self.state.language == "en" else pt

    # ------------------------------------------------------------------ understand + route
    @start()
    async def understand(self) -> None:
        s = self.state
        s.language = language_of(s.turn_text, s.language)
        s.history = [*s.history, Turn(role="customer", text=s.turn_text)][-HISTORY:]
        s.last_message_id = s.turn_message_id
        s.parsed = self._choice() or await self._engine.understand(
            s.turn_text, cart=[{"code": line.default_code, "name": line.name,
                                "quantity": line.quantity, "unit": line.uom}
                               for line in s.cart], pending=s.pending_question)

    def _choice(self) -> ParsedTurn | None:
        """'1', '2', '3' (or a named option's code) answers the pending question."""
        pending = self.state.pending
        text = self.state.turn_text.strip().lower()
        if pending is None:
            return None
        match = re.fullmatch(r"(?:op[cç][aã]o\s*|option\s*|n[ºo]?\s*)?([1-9])\.?", text)
        chosen = None
        if match and int(match.group(1)) <= len(pending.options):
            chosen = pending.options[int(match.group(1)) - 1]
        else:
            chosen = next((o for o in pending.options
                           if o.default_code.lower() in text.replace(" ", "-")), None)
        if chosen is None:
            return None
        return ParsedTurn(intent="add", items=[ParsedItem(text=chosen.default_code,
                                                          quantity=pending.quantity)])

    @router(understand)
    async def route(self) -> str:
        parsed = self.state.parsed
        assert parsed is not None
        return {"change_qty": "change"}.get(parsed.intent, parsed.intent)

    # ------------------------------------------------------------------ cart changes
    @listen("add")
    async def add_items(self) -> None:
        s = self.state
        assert s.parsed is not None
        notes: list[str] = []
        s.pending = None
        for item in s.parsed.items:
            if item.quantity <= 0 or item.quantity > MAX_QUANTITY:
                notes.append(self.t(f"Quantidade {item.quantity:g} inválida para "
                                    f"\"{item.text}\".", f"Quantity {item.quantity:g} is not "
                                    f"valid for \"{item.text}\"."))
                continue
            resolution = await resolve(self.tools, item, self._tenant)
            if resolution.status == "resolved" and resolution.product:
                notes += await self._put(resolution.product, item.quantity)
            elif resolution.status == "ask" and s.pending is None:
                s.pending = PendingChoice(quantity=item.quantity, options=resolution.options)
                notes.append(self._ask_text(item, resolution.options))
            else:
                notes.append(self.t(f"Não encontrei \"{item.text}\". Pode mandar o código ou "
                                    "descrever de outro jeito?",
                                    f"I couldn't find \"{item.text}\". Could you send the code "
                                    "or describe it differently?"))
        await self._summary(notes)

    async def _put(self, product: Option, quantity: float) -> list[str]:
        """Add with live price and stock; never silently add what is out of stock."""
        s = self.state
        if product.qty_available < quantity:
            have = max(product.qty_available, 0)
            alternatives = await self._alternatives(product)
            text = self.t(f"{product.name} ({product.default_code}): temos só {have:g} "
                          f"{product.uom} em estoque, não incluí.",
                          f"{product.name} ({product.default_code}): only {have:g} "
                          f"{product.uom} in stock, not added.")
            if alternatives:
                s.pending = PendingChoice(quantity=quantity, options=alternatives)
                text += "\n" + self._options_text(alternatives, self.t(
                    "Com estoque, posso oferecer:", "In stock I can offer:"))
            return [text]
        for line in s.cart:
            if line.product_id == product.product_id:
                line.quantity += quantity
                line.subtotal = round(line.quantity * line.price_unit, 2)
                return []
        s.cart = [*s.cart, CartLine(default_code=product.default_code,
                                    product_id=product.product_id, name=product.name,
                                    quantity=quantity, uom=product.uom,
                                    price_unit=product.price,
                                    subtotal=round(quantity * product.price, 2))]
        return []

    async def _alternatives(self, product: Option) -> list[Option]:
        result = await self.tools.call("catalog_search", query=product.name, limit=4,
                                       in_stock=True, tenant=self._tenant)
        return [option_from_hit(h) for h in result["hits"]
                if h["product_id"] != product.product_id][:3]

    def _options_text(self, options: list[Option], head: str) -> str:
        lines = [head, *(f"{i}. {o.name} ({o.default_code}) — {money(o.price)}"
                         for i, o in enumerate(options, start=1)),
                 self.t("Responda com o número.", "Reply with the number.")]
        return "\n".join(lines)

    def _ask_text(self, item: ParsedItem, options: list[Option]) -> str:
        return self._options_text(options, self.t(f"Qual destes para \"{item.text}\"?",
                                                  f"Which one for \"{item.text}\"?"))

    def _find_line(self, item: ParsedItem, hits_codes: list[str]) -> CartLine | None:
        cart = self.state.cart
        if not item.text:  # "na verdade são 3 caixas": the line sold in boxes, else the last
            same_unit = [line for line in cart if item.unit and
                         fold(line.uom).startswith(UOM_WORDS.get(item.unit, item.unit))]
            return (same_unit or cart or [None])[-1]
        for code in hits_codes:
            for line in cart:
                if line.default_code == code:
                    return line
        words = set(item.text.lower().split())
        scored = [(len(words & set(line.name.lower().split())), line) for line in cart]
        scored = [x for x in scored if x[0] > 0]
        return max(scored, key=lambda x: x[0])[1] if scored else None

    async def _codes_for(self, item: ParsedItem) -> list[str]:
        if not item.text:
            return []
        result = await self.tools.call("catalog_search", query=item.text, limit=5,
                                       tenant=self._tenant, live=False)
        return [h["default_code"] for h in result["hits"]]

    @listen("change")
    async def change_quantity(self) -> None:
        s = self.state
        assert s.parsed is not None
        notes = []
        for item in s.parsed.items:
            line = self._find_line(item, await self._codes_for(item))
            if line is None:
                notes.append(self.t("Não achei esse item no seu pedido.",
                                    "I couldn't find that item in your order."))
            elif 0 < item.quantity <= MAX_QUANTITY:
                line.quantity = item.quantity
                line.subtotal = round(line.quantity * line.price_unit, 2)
        s.cart = list(s.cart)
        await self._summary(notes)

    @listen("remove")
    async def remove_items(self) -> None:
        s = self.state
        assert s.parsed is not None
        notes = []
        for item in s.parsed.items:
            line = self._find_line(item, await self._codes_for(item))
            if line is None:
                notes.append(self.t(f"\"{item.text}\" não está no pedido.",
                                    f"\"{item.text}\" is not in the order."))
            else:
                s.cart = [x for x in s.cart if x is not line]
        await self._summary(notes)

    async def _summary(self, notes: list[str]) -> None:
        s = self.state
        parts = [n for n in notes if n]
        if s.cart:
            total = sum(line.subtotal for line in s.cart)
            lines = [f"- {line.quantity:g} {line.uom} {line.name} ({line.default_code}) × "
                     f"{money(line.price_unit)} = {money(line.subtotal)}" for line in s.cart]
            parts.append(self.t("Seu pedido:", "Your order:") + "\n" + "\n".join(lines) +
                         "\n" + self.t("Total estimado: ", "Estimated total: ") + money(total))
            if s.pending is None:
                parts.append(self.t("Posso fechar o orçamento? Responda SIM para confirmar.",
                                    "Shall I place the quotation? Reply YES to confirm."))
                s.stage, s.shown_cart_hash = "awaiting_confirmation", cart_hash(s.cart)
            else:
                s.stage = "clarifying"
        elif not parts:
            parts.append(self.t("Seu pedido está vazio. O que você precisa?",
                                "Your order is empty. What do you need?"))
            s.stage = "browsing"
        else:
            s.stage = "clarifying" if s.pending else "browsing"
        s.pending_question = s.pending.options[0].name if s.pending else ""
        s.reply = "\n\n".join(parts)

    # ------------------------------------------------------------------ confirm → Odoo
    @listen("confirm")
    async def place_quotation(self) -> None:
        s = self.state
        current = cart_hash(s.cart)
        if s.sale_order and s.quoted_cart_hash == current:
            s.reply = self.t(f"Seu orçamento {s.sale_order.name} já foi criado: total "
                             f"{money(s.sale_order.amount_total)}.",
                             f"Your quotation {s.sale_order.name} is already created: total "
                             f"{money(s.sale_order.amount_total)}.")
            return
        if not s.cart:
            s.reply = self.t("Ainda não há itens no pedido. O que você precisa?",
                             "There are no items in the order yet. What do you need?")
            return
        if s.pending is not None or s.shown_cart_hash != current:
            # the gate: only the cart the customer last saw can be ordered
            await self._summary([])
            return
        partner_id = await self._partner()
        order = await self.tools.call(
            "odoo_create_quotation", partner_id=partner_id, tenant=self._tenant,
            client_order_ref=f"chatwoot:{s.account_id}:{s.conversation_id}:"
                             f"{s.turn_message_id}",
            lines=[{"product_id": line.product_id, "quantity": line.quantity}
                   for line in s.cart],
            note=f"WhatsApp, Chatwoot conversation {s.conversation_id}")
        status = await self.tools.call("odoo_get_order_status", order=order["name"],
                                       tenant=self._tenant)
        s.sale_order = SaleOrderRef(id=status["id"], name=status["name"],
                                    state=status["state"], amount_total=status["amount_total"])
        s.quoted_cart_hash, s.stage = current, "quoted"
        s.reply = self.t(f"Pronto! Orçamento {status['name']} criado, total "
                         f"{money(status['amount_total'])}. Um vendedor confirma a entrega "
                         "com você.",
                         f"Done! Quotation {status['name']} created, total "
                         f"{money(status['amount_total'])}. A salesperson will confirm "
                         "delivery with you.")
        if later := self.follow_up():
            s.reply += "\n" + later

    async def _own_partner_ids(self) -> set[int]:
        """The customer's Odoo partners: the one this chat ordered as, or those with the
        chat's phone number. Empty when neither is known: nothing is theirs."""
        s = self.state
        if s.partner_id:
            return {s.partner_id}
        if not s.phone:
            return set()
        found = await self.tools.call("odoo_find_partner_by_phone", phone=s.phone,
                                      tenant=self._tenant)
        return {p["id"] for p in found["partners"]}

    async def _partner(self) -> int:
        s = self.state
        if s.partner_id:
            return s.partner_id
        if s.phone:
            found = await self.tools.call("odoo_find_partner_by_phone", phone=s.phone,
                                          tenant=self._tenant)
            if found["partners"]:
                s.partner_id = found["partners"][0]["id"]
                return s.partner_id
        created = await self.tools.call("odoo_create_partner",
                                        name=s.contact_name or s.phone or "WhatsApp",
                                        phone=s.phone, tenant=self._tenant)
        s.partner_id = created["id"]
        return s.partner_id

    # ------------------------------------------------------------------ the rest
    @listen("cancel")
    async def cancel_order(self) -> None:
        s = self.state
        s.cart, s.pending, s.stage, s.pending_question = [], None, "cancelled", ""
        s.reply = self.t("Tudo bem, cancelei o pedido. Se precisar, é só chamar!",
                         "All right, I cancelled the order. Message us any time!")

    @listen("human")
    async def hand_off(self) -> None:
        await handoff(self.tools, self.state, reason=self.t(
            "cliente pediu um atendente", "customer asked for a person"))
        later = self.follow_up()
        self.state.reply = self.t("Claro! Passei sua conversa para um atendente.",
                                  "Sure! I passed your conversation to our team.") + \
            " " + later if later else self.t(
                "Claro! Vou chamar um atendente, ele responde aqui em instantes.",
                "Sure! A person from our team will answer here shortly.")

    @listen("status")
    async def order_status(self) -> None:
        s = self.state
        assert s.parsed is not None
        ref = s.parsed.order_ref or (s.sale_order.name if s.sale_order else "")
        if not ref:
            s.reply = self.t("Não encontrei pedido nesta conversa. Qual o número (ex.: "
                             "S00042)?", "I found no order in this chat. What is its number "
                             "(e.g. S00042)?")
            return
        try:
            order = await self.tools.call("odoo_get_order_status", order=ref,
                                          tenant=self._tenant)
        except FlowToolError:
            s.reply = self.t(f"Não encontrei o pedido {ref}.", f"I couldn't find order {ref}.")
            return
        if order["partner_id"] not in await self._own_partner_ids():
            # another customer's order: say no more than for an unknown number
            s.reply = self.t(f"Não encontrei o pedido {ref} no seu cadastro.",
                             f"I couldn't find order {ref} for you.")
            return
        s.reply = self.t(f"Pedido {order['name']}: {order['state_label']}, total "
                         f"{money(order['amount_total'])}.",
                         f"Order {order['name']}: {order['state_label']}, total "
                         f"{money(order['amount_total'])}.")

    @listen("question")
    async def answer_question(self) -> None:
        s = self.state
        assert s.parsed is not None
        lines = []
        for item in s.parsed.items:
            resolution = await resolve(self.tools, item, self._tenant)
            for option in ([resolution.product] if resolution.product else
                           resolution.options[:3]):
                stock = self.t(f"{option.qty_available:g} em estoque",
                               f"{option.qty_available:g} in stock") \
                    if option.qty_available > 0 else self.t("sem estoque", "out of stock")
                lines.append(f"- {option.name} ({option.default_code}): "
                             f"{money(option.price)}/{option.uom}, {stock}")
        s.reply = "\n".join(lines) if lines else self.t(
            "Sobre frete e entrega, um atendente confirma os detalhes. Posso ajudar com "
            "produtos e preços!", "A person from our team will confirm delivery details. I "
            "can help with products and prices!")
        if not lines and (later := self.follow_up()):
            s.reply += "\n" + later

    @listen("greet")
    async def say_hello(self) -> None:
        self.state.reply = self.t(
            "Olá! Sou o assistente da loja. Diga o que você precisa, por exemplo: "
            "\"2 sacos de cimento CP II e 1 trena de 5 m\".",
            "Hello! I'm the store's assistant. Tell me what you need, for example: "
            "\"2 bags of CP II cement and a 5 m tape measure\".")

    @listen("other")
    async def refuse(self) -> None:
        self.state.reply = self.t(
            "Desculpe, só posso ajudar com produtos, preços e pedidos da loja.",
            "Sorry, I can only help with the store's products, prices and orders.")


async def handoff(tools: McpTools, state: ConversationState, reason: str) -> None:
    """Private note with the cart, status open, label; the bot then stays silent."""
    cart = "\n".join(f"- {line.quantity:g} × {line.name} ({line.default_code})"
                     for line in state.cart) or "(vazio)"
    note = f"Bot → atendente: {reason}.\nCarrinho:\n{cart}"
    await tools.call("chatwoot_send_message", conversation_id=state.conversation_id,
                     content=note, private=True,
                     idempotency_key=f"handoff-note:{state.last_message_id}")
    await tools.call("chatwoot_update_status", conversation_id=state.conversation_id,
                     status="open")
    await tools.call("chatwoot_add_labels", conversation_id=state.conversation_id,
                     labels=["bot-handoff"])
    state.handoff, state.stage = True, "handoff"

