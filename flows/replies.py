"""What every customer-facing reply shares: the customer's language and how money reads."""

from __future__ import annotations

import re

_EN = re.compile(r"\b(the|an?|and|with|for|of|please|i|want|need|can|yes|hello|hi|how|much|"
                 r"order|my|thanks|where|is|bags?|box(es)?|rolls?|packs?|white|black|paint|"
                 r"drill|bolts?|screws?|cable|tape|liters?|litres?|gallons?|hammer|saw|glue|"
                 r"pipe)\b")
_PT = re.compile(r"\b(o|a|de|e|quero|preciso|me|sim|oi|ola|bom|dia|caixas?|sacos?|"
                 r"quanto|pedido|meu|obrigad\w|cade|tem|vc|pfv)\b")


def language_of(text: str, current: str = "pt") -> str:
    """'en' or 'pt' by common words; a tie keeps ``current`` (the shop's language: pt)."""
    lowered = text.lower()
    en, pt = len(_EN.findall(lowered)), len(_PT.findall(lowered))
    if en > pt:
        return "en"
    if pt > en:
        return "pt"
    return current


def money(value: float) -> str:
    """Brazilian reais: R$ 1.234,56."""
    return f"R$ {value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
