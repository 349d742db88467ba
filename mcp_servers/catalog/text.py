"""Normalisation, tokens and product attributes shared by indexing and search.

Customers write "parafuzo 3/8 pol", "furadeira 220", "tinta 18 litros"; the catalog writes
'3/8"', '220V', '18 L'. Both sides go through :func:`normalize`, so accents, case, inch
marks, units and decimal commas meet in the middle before anything is compared.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

_QUOTES = str.maketrans({"\u201d": '"', "\u201c": '"', "\u2033": '"', "\u00b4": "'",
                         "\u2019": "'", "\u00b2": "2", "\u00ba": "o", "\u00aa": "a"})
NUMBER = r"\d+(?:\.\d+)?(?:/\d+)?"
# unit words → canonical suffix; order matters (longest first within a family)
_UNITS: list[tuple[str, str]] = [
    (r'(?:"|\'\'|pol(?:egadas?|s)?\.?|inch(?:es)?|in)(?![a-z])', ""),
    (r"(?:volts?|v)(?![a-z])", "v"),
    (r"(?:watts?|w)(?![a-z])", "w"),
    (r"(?:amperes?|amps?)(?![a-z])", "a"),
    (r"(?:litros?|liters?|litres?|lts?|l)(?![a-z])", "l"),
    (r"(?:mililitros?|ml)(?![a-z])", "ml"),
    (r"(?:quilos?|kilos?|kgs?)(?![a-z])", "kg"),
    (r"(?:gramas?|grams?|g)(?![a-z])", "g"),
    (r"(?:milimetros?|millimeters?|mm)(?![a-z0-9])", "mm"),
    (r"(?:centimetros?|centimeters?|cm)(?![a-z])", "cm"),
    (r"(?:metros?|meters?|metres?|mts?|m)(?![a-z0-9])", "m"),
    (r"mm2", "mm2"),
]
_UNIT_RE = [(re.compile(rf"(?<![\w./])({NUMBER})\s*{pattern}"), suffix)
            for pattern, suffix in _UNITS]
_MIXED = re.compile(r"(?<![\w./])(\d+)[\s-]+(\d+/\d+)(?![\w/])")  # "4 1/2" → "4.1/2"
_DECIMAL_COMMA = re.compile(r"(\d),(\d)")
_DIMENSION = re.compile(rf"(?<![\w./])({NUMBER})\s*x\s*({NUMBER})(?![\w/])")
_BARE_VOLTAGE = re.compile(r"(?<![\w./])(110|127|220|380)(?![\w./])")
TOKEN = re.compile(r"[a-z0-9]+(?:[-./][a-z0-9]+)*")
CODE = re.compile(r"^[a-z]{2,5}-?\d{2,6}$")
BARCODE = re.compile(r"^\d{8,14}$")

_STOPWORDS = ("a o as os de da do das dos e em no na nos nas com sem para por um uma uns umas c "
              "the of with for and in on to an by quero preciso tem voce vcs pra pro me "
              "i want need some please")
STOPWORDS = frozenset(_STOPWORDS.split())


# Shop-floor words → the catalog's words. Appended to queries (never replacing them), so
# a customer's "fio 2,5" also looks for "cabo"; colours agree in gender with the product.
SYNONYMS: dict[str, str] = {
    "fio": "cabo", "cano": "tubo", "cola": "adesivo", "glue": "adhesive cement",
    "enforca gato": "abracadeira nylon", "teflon": "veda rosca thread seal",
    "ar quente": "soprador termico", "pistola de calor": "soprador termico",
    "carriola": "carrinho de mao", "pintar": "tinta", "ferro": "vergalhao",
    "branca": "branco", "preta": "preto", "amarela": "amarelo", "vermelha": "vermelho",
    "escura": "escuro", "clara": "claro", "lampada": "led", "bucha": "bucha nylon",
    "cp2": "cp ii", "cp5": "cp v", "ac1": "ac-i", "ac2": "ac-ii", "ac3": "ac-iii",
}
_SYNONYM_RE = re.compile(r"(?<![a-z])(" + "|".join(
    sorted(map(re.escape, SYNONYMS), key=len, reverse=True)) + r")(?![a-z])")


def fold(text: str) -> str:
    """Lower case without accents, typographic quotes made plain."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=65_536)  # product names recur in every search's candidates
def normalize(text: str) -> str:
    """Canonical spelling of sizes, units and voltages ('3/8"' → 3/8, '220 V' → 220v)."""
    text = _DECIMAL_COMMA.sub(r"\1.\2", fold(text))
    text = _MIXED.sub(r"\1.\2", text)
    for regex, suffix in _UNIT_RE:
        text = regex.sub(lambda m, s=suffix: m.group(1) + s, text)
    text = _BARE_VOLTAGE.sub(r"\1v", text)
    text = text.replace("110v", "127v")  # Brazil's "110" outlets are 127 V
    text = _DIMENSION.sub(r"\1x\2", text)
    return re.sub(r"\s+", " ", text).strip()


def expand(query: str) -> str:
    """The query plus the catalog's words for any shop-floor words in it."""
    extra = [SYNONYMS[m] for m in dict.fromkeys(_SYNONYM_RE.findall(fold(query)))]
    return " ".join([query, *extra])


def stem(token: str) -> str:
    """Light Portuguese/English plural folding: parafusos → parafuso, pincéis → pincel."""
    if len(token) <= 3 or any(ch.isdigit() for ch in token):
        return token
    for suffix, repl in (("oes", "ao"), ("aes", "ao"), ("eis", "el"), ("ais", "al"),
                         ("res", "r"), ("ies", "y")):
        if token.endswith(suffix) and len(token) > len(suffix) + 2:
            return token[: -len(suffix)] + repl
    if token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Normalised, stemmed tokens without stop words; dimensions also yield their parts."""
    return list(_tokens(text))


@lru_cache(maxsize=65_536)
def _tokens(text: str) -> tuple[str, ...]:
    """Normalised, stemmed tokens without stop words; dimensions also yield their parts."""
    out: list[str] = []
    for tok in TOKEN.findall(normalize(text)):
        if tok in STOPWORDS:
            continue
        out.append(stem(tok))
        if "-" in tok and not CODE.match(tok):  # "ii-e-32" also answers "cp ii"
            out.extend(p for p in tok.split("-") if p and p not in STOPWORDS)
        unit = _ATTRIBUTE.fullmatch(tok)
        if unit:  # "2.5mm2" also answers a bare "2,5"
            out.append(unit.group(1))
        dims = _DIMENSION.fullmatch(tok.replace("x", " x ", 1)) if "x" in tok else None
        if dims and tok[0].isdigit():
            out.extend(dims.groups())
    return tuple(out)


def trigrams(token: str) -> list[str]:
    """Character trigrams of a word, padded, for typo tolerance ('parafuzo' ~ 'parafuso')."""
    if len(token) < 4 or any(ch.isdigit() for ch in token):
        return []
    padded = f"#{token}#"
    return [padded[i:i + 3] for i in range(len(padded) - 2)]


_ATTRIBUTE = re.compile(rf"(?<![\w./])({NUMBER})(v|w|a|l|ml|kg|g|mm2|mm|cm|m)(?![\w/])")
_FRACTION = re.compile(r"(?<![\w./])(\d+(?:\.\d+)?/\d+)(?![\w/])")


@dataclass(frozen=True)
class Attributes:
    """Hard product facts a query can state: a drill is 127 V or 220 V, not "similar"."""

    units: dict[str, frozenset[str]] = field(default_factory=dict)
    dimensions: frozenset[str] = frozenset()
    fractions: frozenset[str] = frozenset()
    bivolt: bool = False

    def conflicts(self, product: Attributes) -> list[str]:
        """What the query asks for that the product states differently (empty = no clash)."""
        clashes = []
        for unit, wanted in self.units.items():
            has = product.units.get(unit)
            if unit == "v" and product.bivolt:
                continue
            if has and not (wanted & has):
                clashes.append(f"{'/'.join(sorted(has))} instead of {'/'.join(sorted(wanted))}")
        if self.dimensions and product.dimensions and not self.dimensions & product.dimensions:
            clashes.append(f"size {'/'.join(sorted(product.dimensions))}")
        elif self.fractions and product.fractions and not self.fractions & product.fractions:
            clashes.append(f"size {'/'.join(sorted(product.fractions))}")
        return clashes

    def matched(self, product: Attributes) -> list[str]:
        """The stated facts the product shares (for "why it matched")."""
        found = [value for unit, wanted in self.units.items()
                 for value in sorted(wanted & product.units.get(unit, frozenset()))]
        if "v" in self.units and product.bivolt:
            found.append("bivolt")
        found += sorted(self.dimensions & product.dimensions)
        if not self.dimensions:
            found += sorted(self.fractions & product.fractions)
        return found


@lru_cache(maxsize=65_536)
def attributes(text: str) -> Attributes:
    """Voltages, powers, volumes, weights, lengths and sizes stated in ``text``."""
    norm = normalize(text)
    units: dict[str, set[str]] = {}
    for number, unit in _ATTRIBUTE.findall(norm):
        units.setdefault(unit, set()).add(f"{number}{unit}")
    dims = {f"{a}x{b}" for a, b in _DIMENSION.findall(norm)}
    fractions = set(_FRACTION.findall(norm))
    for dim in dims:
        fractions.update(part for part in dim.split("x") if "/" in part)
    return Attributes(units={k: frozenset(v) for k, v in units.items()},
                      dimensions=frozenset(dims), fractions=frozenset(fractions),
                      bivolt="bivolt" in norm)


def looks_like_code(token: str) -> bool:
    """A default code (FEL-0002, fel0002) or a barcode (EAN-8 … GTIN-14)."""
    return bool(CODE.match(token) or BARCODE.match(token))


def canonical_code(token: str) -> str:
    """FEL-0002, fel0002 and fel-0002 all become FEL-0002; barcodes stay digits."""
    token = token.strip().upper()
    if BARCODE.match(token):
        return token
    m = re.match(r"^([A-Z]{2,5})-?(\d{2,6})$", token)
    return f"{m.group(1)}-{m.group(2)}" if m else token
