"""Brazilian phone numbers as customers type them and as WhatsApp sends them.

The same mobile arrives as ``+55 11 98765-4321``, ``5511987654321``, ``(11) 98765-4321`` or,
from older WhatsApp accounts, without the ninth digit (``551187654321``). Partners in Odoo
carry any of these. Matching compares canonical forms: DDD + subscriber number.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D+")


def digits(phone: str) -> str:
    return _DIGITS.sub("", phone or "")


def national(phone: str) -> str:
    """DDD + number without country code or trunk prefix, e.g. ``11987654321``."""
    number = digits(phone)
    if number.startswith("55") and len(number) in (12, 13):
        number = number[2:]
    if number.startswith("0") and len(number) in (11, 12):
        number = number[1:]
    return number


def variants(phone: str) -> set[str]:
    """Every national form that is the same line: with and without the mobile ninth digit."""
    number = national(phone)
    if len(number) == 11 and number[2] == "9":
        return {number, number[:2] + number[3:]}
    if len(number) == 10 and number[2] in "6789":  # a mobile written before the ninth digit
        return {number, number[:2] + "9" + number[2:]}
    return {number} if number else set()


def same_line(a: str, b: str) -> bool:
    return bool(variants(a) & variants(b))


def search_suffix(phone: str) -> str:
    """The last 8 digits: present in every stored spelling, good for an ``ilike`` prefilter."""
    number = national(phone)
    return number[-8:] if len(number) >= 8 else number


def e164(phone: str) -> str:
    """``+55`` + national number with the ninth digit for mobiles (how WhatsApp stores it)."""
    number = max(variants(phone), key=len, default="")
    return f"+55{number}" if number else ""
