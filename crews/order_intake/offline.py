"""The offline understanding engine: a deterministic PT/EN parser for shop messages.

It turns one customer turn into an intent and a list of items (product words, quantity,
packaging unit); the flow then resolves the words against the catalog. No model, no
network: this is the default engine, and the fallback when no LLM is configured.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from mcp_servers.catalog.text import fold

Intent = Literal["greet", "add", "remove", "change_qty", "confirm", "cancel", "question",
                 "status", "human", "other"]


class ParsedItem(BaseModel):
    text: str  # product words as the customer wrote them (quantity and unit removed)
    quantity: float
    unit: str = ""


class ParsedTurn(BaseModel):
    intent: Intent
    items: list[ParsedItem] = []
    order_ref: str = ""  # e.g. S00123 in a status question


NUMBER_WORDS = {
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
    "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12, "quinze": 15,
    "vinte": 20, "trinta": 30, "cinquenta": 50, "cem": 100, "one": 1, "a": 1, "an": 1,
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "fifty": 50,
    "hundred": 100, "milheiro": 1000}
# packaging units: a number next to one of these is a quantity, never a size
UNITS = {
    "cx": "cx", "caixa": "cx", "caixas": "cx", "box": "cx", "boxes": "cx",
    "pct": "pct", "pcts": "pct", "pacote": "pct", "pacotes": "pct", "pack": "pct",
    "packs": "pct", "un": "un", "und": "un", "unid": "un", "unidade": "un",
    "unidades": "un", "pc": "un", "pcs": "un", "peca": "un", "pecas": "un", "piece": "un",
    "pieces": "un", "saco": "saco", "sacos": "saco", "bag": "saco", "bags": "saco",
    "lata": "lata", "latas": "lata", "tub": "lata", "tubs": "lata", "can": "lata",
    "cans": "lata", "rolo": "rolo", "rolos": "rolo", "roll": "rolo", "rolls": "rolo",
    "barra": "barra", "barras": "barra", "bar": "barra", "bars": "barra", "par": "par",
    "pares": "par", "pair": "par", "pairs": "par", "tubo": "un", "tubos": "un",
    "tube": "un", "tubes": "un", "kit": "un", "kits": "un", "galao": "galao",
    "galoes": "galao", "gallon": "galao", "gallons": "galao", "kg": "kg", "quilo": "kg",
    "quilos": "kg", "kilo": "kg", "kilos": "kg", "m": "m", "metro": "m", "metros": "m",
    "meter": "m", "meters": "m", "metres": "m", "of": "", "de": ""}
# measures count as a quantity only where a quantity stands: "5 kg de rejunte", not
# "trena de 5 m" (a size)
MEASURES = {"kg", "m"}
# words before a bare number that make it a size, not a quantity ("disjuntor de 32",
# "3/8 x 2", "size 42")
SIZE_CUES = {"x", "de", "of", "size", "tamanho", "n", "no", "numero", "number", "do", "da"}
# unit words that are part of a product's name
_UNIT_IN_NAME = re.compile(r"^(caixa d'?\s?agua|caixa de (luz|passagem|ferramentas?|correio)|"
                           r"rolo de (la|pintura|espuma|textura)|rolo (de )?la\b)")

_PATTERNS: list[tuple[Intent, str]] = [
    ("other", r"ignor\w* (suas|as|all|previous|todas)|instruc|instruction|prompt|"
              r"telefones? e|endereco d[oe]|ultimo cliente|outro cliente|torce|futebol|"
              r"\bkkk+|system|override|set the price|price of every|admin mode|\bcpf\b|"
              r"faturamento|revenue|lucro|"
              r"desconto|discount|faturas? d[oe]s? (outros )?clientes|other customers|"
              r"outros clientes|telefones? d[oe]s? clientes|phone numbers|admin:|"
              r"apaga\w*|zera\w*|mud[ae] o preco|change the price|weather|tempo em|senha|"
              r"password|"),
    ("human", r"atendente|falar com (um|uma|alguem)|pessoa|humano|vendedor|gerente|"
              r"me liga|me ligar|talk to (a|someone)|salesperson|human|real person|"
              r"call me"),
    ("cancel", r"\bcancel\w*|\bdesist\w*+(?! d[oa]s? )|nao vou querer mais nada|forget it|"
               r"nao quero mais nada|esquece tudo|don'?t want (it|anything)"),
    ("status", r"cade (o )?meu pedido|status|meu pedido (ja )?(saiu|chegou)|"
               r"chega (hj|hoje|amanha)\?|ate agora nada|nao chegou|has my order|"
               r"order (shipped|arrived?)|shipped yet|hasn'?t arrived|didn'?t arrive|"
               r"where is my order|order status|update on (my )?order|rastre|tracking|"
               r"previsao de entrega"),
    ("remove", r"\btira\b|\btirar\b|remove\w*|\bdrop\b|take .* off|nao quero mais (o|a|os|as)|"
               r"desisti d|sem o |sem a |exclu\w*|delete"),
    ("change_qty", r"na verdade|em vez de|instead of|make it|make that|change the .* to|"
                   r"muda pra|\berrei\b|pode ser so|\bactually\b|\be nao \d|\bnot \d|"
                   r"troca a quantidade|muda a quantidade|altera\w*|so (que )?(sao|e) \d"),
    ("question", r"quanto (custa|e|fica|ta|sai)|qual (o )?preco|\bpreco\b|qto|"
                 r"\btem\b.*\?|voces tem|vcs tem|tem em estoque|em estoque|how much|price|"
                 r"in stock|do you have|\?$"),
]
_CONFIRM = re.compile(
    r"^(sim|s|isso|isso mesmo|ok|okay|pode|pode (fechar|mandar|confirmar)|fechado|fecha|"
    r"confirm\w*|correto|certo|perfeito|beleza|blz|yes|yep|yeah|sure|go ahead|"
    r"that'?s right|place the order|confirmed)\b")
_GREETING = re.compile(r"^((hi|hello|hey) there|oi+|ola|bom dia|boa tarde|boa noite|hello|"
                       r"hi|hey|good "
                       r"(morning|afternoon|evening)|opa|e ai|tudo bem)"
                       r"\b[\s,!.?]*")
_TRAILING = re.compile(
    r"\s*[,.;]?\s*\b(pra|para|p/) (buscar|retirar|entregar|obra)\b.*$|"
    r"\s*[,.;]?\s*\b(entrega|entregar) (em|na|no|amanha|hoje)\b.*$|"
    r"\s*[,.;]?\s*\b(send it|deliver(y|ed)?|ship it) (to|on|tomorrow)\b.*$|"
    r"\s*[,.;]?\s*\bi'?ll pick (them|it) up\b.*$|\s*[,.;]?\s*\bpasso ai\b.*$|"
    r"\s*[,.;]?\s*\b(thx|thanks|obrigad\w|valeu|vlw|pfv|pf|por favor|please|pls)\b[\s!.]*")
_FILLER = re.compile(
    r"^(e |and |tambem |tbm |coloca (tambem |tbm )?|me (ve|vê|manda|separa|envia)|"
    r"manda|separa|quero|queria|preciso de|preciso|gostaria de|vou querer|"
    r"i'?d like|i want|i need|need|can i get|i'?ll take|get me|(can|could) you add|"
    r"(please |pls )?add|adiciona|"
    r"vc pode separar|voce pode separar|pode separar|me ve)\s*", re.I)
_ORDER_REF = re.compile(r"\b(s\d{4,6})\b", re.I)
_QTY_NUMBER = r"\d+(?:[.,]\d+)?"
_SIZE_UNIT = re.compile(r"(mm2?|m|cm|l|lt|litros?|liters?|ml|kg|g|w|v|a|mm²|pol|\"|x\d+)",
                        re.I)
COLOURS = {"azul", "verde", "vermelho", "vermelha", "preto", "preta", "branco", "branca",
           "amarelo", "amarela", "cinza", "blue", "green", "red", "black", "white", "yellow",
           "grey", "gray"}
_NOISE = {"blz", "beleza", "ok", "tbm", "tambem", "them", "eles", "elas", "deles", "delas",
          "ele", "ela", "pfv", "obrigado", "obrigada", "valeu", "thanks", "thx"}


_ADD_CUE = re.compile(r"\b(quero|queria|me ve|manda|separa|preciso|vou querer|can i get|"
                     r"i'?d like|i want|i need|i'?ll take|get me|coloca|adiciona)\b")


def _without_greetings(folded: str) -> str:
    while True:
        rest = _GREETING.sub("", folded, count=1).strip(" ,!.?")
        if rest == folded:
            return rest
        folded = rest


def detect_intent(text: str) -> Intent:
    folded = fold(text).strip()
    if not folded:
        return "other"
    rest = re.sub(r"[^\w\s?]", "", _without_greetings(folded)).strip()
    if not rest or re.fullmatch(r"(tudo bem|tudo bom|como vai|how are you|td bem)\??", rest):
        return "greet"
    for intent, pattern in _PATTERNS:
        if pattern and re.search(pattern.rstrip("|"), folded):
            if intent == "question" and _ADD_CUE.search(folded) and not re.search(
                    r"quanto|preco|price|how much|in stock|estoque", folded):
                return "add"
            if intent == "question" and not _mentions_product(folded):
                return "question" if "?" in folded and len(folded.split()) > 2 else "other"
            return intent
    if _CONFIRM.match(folded) and len(folded.split()) <= 6:
        return "confirm"
    return "add"


def _mentions_product(folded: str) -> bool:
    words = re.findall(r"[a-z]{3,}", folded)
    stop = {"quanto", "custa", "qual", "preco", "tem", "voces", "vcs", "estoque", "how",
            "much", "price", "stock", "the", "and", "for", "you", "have", "esta", "fica",
            "frete", "entregam", "entrega", "delivery", "qto"}
    return any(w not in stop for w in words)


_JOIN_WORDS = "|".join([*(w for w in NUMBER_WORDS if w != "milheiro"), "meia", "half", "o",
                        "os", "as", "the"])
_ITEM_JOIN = re.compile(rf"\s+(?:e|and)\s+(?=(?:\d|(?:{_JOIN_WORDS})\b))")


def _segments(text: str) -> list[str]:
    body = _without_greetings(fold(text).strip())
    lines = re.split(r"[\n;]+|(?:^|\s)[-•*]\s+|\s\+\s", body)
    parts: list[str] = []
    for line in lines:
        line = re.sub(r"^\s*[-•*]\s*", "", line)
        line = _TRAILING.sub("", line).strip(" ,.!?")
        pieces = re.split(r"(?<!\d),\s*|,(?!\d)\s*", line)
        if len(pieces) > 1:  # "a, b e c": in a list, " e " joins items too
            pieces = [part for piece in pieces for part in (
                re.split(r"\s+(?:e|and)\s+", piece) if not re.search(r"\d", piece)
                else [piece])]
        for piece in pieces:
            # after a quantity with its unit ("1 un e galao ..."), " e " starts a new item
            piece = re.sub(r"(\d\s*(?:un|cx|pct|latas?|sacos?|rolos?|caixas?|unidades?|"
                           r"bags?|boxes|packs?))\s+(?:e|and)\s+", r"\1 ; ", piece)
            if " ; " in piece:
                parts.extend(p for p in piece.split(" ; "))
                continue
            # " e "/" and " separate items when a quantity or article follows
            parts.extend(_ITEM_JOIN.split(piece))
    return [p.strip(" ,.!?") for p in parts if p.strip(" ,.!?")]


def _stands_as_quantity(words: list[str], i: int) -> bool:
    """A measure ("5 kg") is a quantity before "de"/"of" ("5 kg de rejunte"), else a size
    ("trena 5 m", "8m tape measure")."""
    return i + 2 < len(words) and words[i + 2] in ("de", "of", "do", "da")


def _quantity(words: list[str], sizes: bool = False
              ) -> tuple[float | None, str, list[str]]:
    """(quantity, unit, the remaining words) from one segment's words.

    ``sizes``: bare numbers are attributes (a price question names no quantity).
    """
    while words and words[0] in ("o", "os", "as", "the"):
        words = words[1:]
    # an explicit "<number> <packaging unit>" anywhere wins ("a areia ... 30 sacos")
    for i, w in enumerate(words[:-1]):
        if _UNIT_IN_NAME.match(" ".join(words[i + 1:])):
            continue
        if UNITS.get(words[i + 1]) in MEASURES and not _stands_as_quantity(words, i):
            continue
        if re.fullmatch(_QTY_NUMBER, w) and UNITS.get(words[i + 1]):
            rest = [x for j, x in enumerate(words) if j not in (i, i + 1)]
            while rest and rest[0] in ("de", "of", "do", "da", "o", "a", "the", "x"):
                rest.pop(0)
            return float(w.replace(",", ".")), UNITS[words[i + 1]], rest
    qty: float | None = None
    unit = ""
    rest = []
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        prev = words[i - 1] if i else ""
        m = re.fullmatch(rf"(?:x({_QTY_NUMBER})|({_QTY_NUMBER})x)", w)
        glued = re.fullmatch(rf"({_QTY_NUMBER})({'|'.join(k for k in UNITS if k)})", w)
        if _UNIT_IN_NAME.match(" ".join(words[i:])):
            rest.append(w)
        elif w in ("milheiro", "milheiros"):
            qty = (qty or 1) * 1000
        elif qty is None and m:
            qty = float((m.group(1) or m.group(2)).replace(",", "."))
        elif qty is None and w in ("duzia", "dozen") :
            qty = 12 * (qty or 1)
        elif qty is None and w == "meia" and nxt == "duzia":
            qty, i = 6, i + 1
        elif qty is None and (w, nxt) in (("uma", "duzia"), ("a", "dozen")):
            qty, i = 12, i + 1
        elif qty is None and w == "half" and words[i + 1:i + 3] == ["a", "dozen"]:
            qty, i = 6, i + 2
        elif qty is None and re.fullmatch(_QTY_NUMBER, w) and not _SIZE_UNIT.fullmatch(nxt) \
                and not (sizes and not UNITS.get(nxt)) \
                and not (rest and prev in SIZE_CUES and not UNITS.get(nxt)) \
                and not re.fullmatch(r"[\d/]+x", prev) \
                and (not rest or UNITS.get(nxt) not in (None, "") or i + 1 == len(words)
                     or nxt in ("de", "of") or (rest and UNITS.get(nxt) is not None)):
            qty = float(w.replace(",", "."))
            if UNITS.get(nxt):
                unit, i = UNITS[nxt], i + 1
        elif qty is None and w in NUMBER_WORDS and (not rest or UNITS.get(nxt)) and \
                not (w == "a" and rest):
            qty = float(NUMBER_WORDS[w])
            if UNITS.get(nxt):
                unit, i = UNITS[nxt], i + 1
        elif glued and qty is None and (UNITS[glued.group(2)] not in MEASURES
                                        or nxt in ("de", "of", "do", "da")):
            number, found = glued.groups()
            qty, unit = float(number.replace(",", ".")), UNITS[found]
        elif w in UNITS and not rest and UNITS[w]:
            unit = UNITS[w]
        else:
            rest.append(w)
        i += 1
    while rest and rest[0] in ("de", "of", "do", "da", "o", "a", "the", "x"):
        rest.pop(0)
    return qty, unit, rest


_ATTRIBUTE = re.compile(r"(\d+(?:[.,]\d+)?\s*(v|w|mm|cm|a)|bivolt|" + "|".join(COLOURS) + ")")


def parse_items(text: str, sizes: bool = False) -> list[ParsedItem]:
    """Items of an order message; a segment with only a quantity applies to the previous,
    one with only attributes ("110V", "azul") completes it."""
    items: list[ParsedItem] = []
    each: float | None = None
    for segment in _segments(text):
        segment = _FILLER.sub("", segment).strip()
        segment = re.sub(r"\b(\d+) de cada\b|\b(one|1) of each\b", "", segment).strip() \
            if re.search(r"\bde cada\b|\bof each\b", segment) else segment
        if re.search(r"\b(\d+|um|uma|one) (de cada|of each)\b", fold(text)):
            each = float(re.search(r"\b(\d+|um|uma|one) (?:de cada|of each)\b",
                                   fold(text)).group(1).replace("um", "1").replace(
                                       "uma", "1").replace("one", "1"))
        words = [w for w in segment.split() if w not in _NOISE]
        qty, unit, rest = _quantity(words, sizes)
        product = " ".join(rest).strip(" -:")
        if items and rest and (all(w in COLOURS for w in rest) or (
                rest[0] in COLOURS and re.search(rf"\b(do|da|o|a|the) {rest[0]}\b", segment))):
            # "o cabo 2,5 azul e o vermelho", "3kg do cinza platina": the previous product
            base = [w for w in items[-1].text.split() if w not in COLOURS]
            product = " ".join([*base, product])
        elif items and qty is None and rest and all(_ATTRIBUTE.fullmatch(w) for w in rest):
            items[-1].text = f"{items[-1].text} {product}"  # "need a drill, 110V"
            continue
        if not product and items and qty is not None:  # "..., 3 cx" belongs to the previous
            items[-1].quantity, items[-1].unit = qty, unit or items[-1].unit
            continue
        if not product:
            continue
        if items and re.fullmatch(r"(de |of )?[\d.,/x]+\s*\w{0,3}", product) and rest:
            head = items[-1].text.split()[0]  # "duas trenas de 5m e uma de 8"
            product = f"{head} {product}"
        items.append(ParsedItem(text=product, quantity=qty if qty is not None else
                                (each or 1.0), unit=unit))
    if each is not None:
        for item in items:
            item.quantity = each
    return items


def parse(text: str) -> ParsedTurn:
    """Intent and items of one customer turn (several messages joined by newlines)."""
    intent = detect_intent(text)
    ref = _ORDER_REF.search(text)
    if intent == "question" and re.search(r"frete|entregam|delivery fee|shipping",
                                          fold(text)):
        return ParsedTurn(intent=intent)
    if intent in ("add", "remove", "change_qty", "question"):
        items = parse_items(_strip_intent_words(text, intent), sizes=intent == "question")
        if intent == "change_qty" and not items:
            qty, unit, _rest = _quantity(_strip_intent_words(text, intent).split())
            items = [ParsedItem(text="", quantity=qty, unit=unit)] if qty is not None else []
        if intent == "add" and not items:
            intent = "other"
        return ParsedTurn(intent=intent, items=items, order_ref=ref.group(1).upper()
                          if ref else "")
    return ParsedTurn(intent=intent, order_ref=ref.group(1).upper() if ref else "")


def _strip_intent_words(text: str, intent: Intent) -> str:
    folded = fold(text)
    if intent == "remove":
        folded = re.sub(r"\b(tira|tirar|remove|drop|take|off the order|off|nao quero mais|"
                        r"desisti d[oa]s?|please|sem|exclui|delete|don'?t need it anymore|"
                        r"tira ele)\b", " ", folded)
    elif intent == "question":
        folded = re.sub(r"quanto (custa|e|fica|ta|sai)|qual (o )?preco( d[oa])?|qto( ta)?|"
                        r"(voces|vcs) tem|tem em estoque\??|em estoque|how much (is|for)?|"
                        r"price (for|of)?|is the|in stock|do you have|\btem\b|\?", " ", folded)
        folded = re.sub(r"\s+e\s+(o|a)\s+", ", ", folded)
    elif intent == "change_qty":
        folded = re.sub(r"\berrei\b,?|\bsao\b|\be nao \d+|,?\s*\bnot \d+|pode ser so|"
                        r"actually( i need)?|make that|\bsorry\b,?|muda pra|"
                        r"na verdade( sao| e)?|em vez de \d+|instead of \d+|make it|"
                        r"change the|troca a quantidade d[oa]|muda a quantidade d[oa]|"
                        r"coloca|\bpra\b|\bto\b", " ", folded)
    return re.sub(r"[ \t]+", " ", folded)
