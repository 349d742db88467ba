"""Product search flow: a customer's description in, a ranked, explained answer out.

One call to ``catalog_search`` (hybrid search with live price and stock). The answer names
each product's code, price and stock and why it matched; when the best match is out of
stock it offers in-stock alternatives from a second search restricted to stock. Used by
``balcao flow search`` and by the order-intake flow.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from flows.mcp_client import McpTools
from flows.replies import language_of, money

SAME_NEED = 0.8  # an in-stock hit this close to the best already answers the customer
ALTERNATIVE = 0.5  # below this score an in-stock product answers another need


class Suggestion(BaseModel):
    product_id: int
    default_code: str
    name: str
    price: float
    qty_available: float
    uom: str
    in_stock: bool
    score: float
    why: str = Field(description="Why it matched, in the answer's language.")


class ProductAnswer(BaseModel):
    query: str
    language: str
    found: bool
    best: list[Suggestion]
    alternatives: list[Suggestion] = Field(
        description="In-stock products offered because the best match has no stock.")
    message: str


def _why(hit: dict[str, Any], lang: str) -> str:
    match = hit["match"]
    parts = []
    if match["exact_code"]:
        parts.append("exact code" if lang == "en" else "código exato")
    if match["matched_terms"]:
        label = "matches" if lang == "en" else "confere"
        parts.append(f"{label}: {', '.join(match['matched_terms'][:6])}")
    if match["dense_rank"] and match["dense_rank"] <= 3 and not match["exact_code"]:
        parts.append("similar meaning" if lang == "en" else "significado parecido")
    if match["conflicts"]:
        label = "but" if lang == "en" else "mas"
        parts.append(f"{label} {'; '.join(match['conflicts'])}")
    return "; ".join(parts) or ("weak match" if lang == "en" else "semelhança fraca")


def _suggestion(hit: dict[str, Any], lang: str) -> Suggestion:
    return Suggestion(product_id=hit["product_id"], default_code=hit["default_code"],
                      name=hit["name_en"] if lang == "en" and hit["name_en"] else hit["name"],
                      price=hit["price"], qty_available=hit["qty_available"], uom=hit["uom"],
                      in_stock=hit["in_stock"], score=hit["score"], why=_why(hit, lang))


def compose(query: str, lang: str, best: list[Suggestion],
            alternatives: list[Suggestion]) -> str:
    """The reply text, from the computed figures only."""
    if not best:
        return (f'I found nothing for "{query}". Could you describe it differently or send '
                "the product code?" if lang == "en" else
                f'Não encontrei nada para "{query}". Pode descrever de outro jeito ou mandar '
                "o código do produto?")
    lines = []
    for i, s in enumerate(best, start=1):
        stock = (f"{s.qty_available:g} in stock" if lang == "en" else
                 f"{s.qty_available:g} em estoque") if s.in_stock else \
            ("out of stock" if lang == "en" else "sem estoque")
        lines.append(f"{i}. {s.name} ({s.default_code}) — {money(s.price)}/{s.uom}, {stock}")
    if alternatives:
        head = "In stock instead:" if lang == "en" else "Com estoque, no lugar:"
        lines.append(head)
        lines += [f"- {a.name} ({a.default_code}) — {money(a.price)}/{a.uom}"
                  for a in alternatives]
    return "\n".join(lines)


async def search_products(tools: McpTools, query: str, *, limit: int = 3,
                          tenant: str = "") -> ProductAnswer:
    """Ranked products for ``query``, with alternatives when the best has no stock."""
    lang = language_of(query)
    result = await tools.call("catalog_search", query=query, limit=limit, tenant=tenant)
    hits = result["hits"]
    best = [_suggestion(h, lang) for h in hits]
    alternatives: list[Suggestion] = []
    top = best[0] if best else None
    if top and not top.in_stock and not any(
            s.in_stock and s.score >= SAME_NEED * top.score for s in best):
        # search for what the best match is, so a bare code still finds its neighbours;
        # a differing size or voltage stays visible in "why"
        stocked = await tools.call("catalog_search", query=hits[0]["name"], limit=limit + 2,
                                   tenant=tenant, in_stock=True)
        shown = {s.product_id for s in best}
        alternatives = [_suggestion(h, lang) for h in stocked["hits"]
                        if h["product_id"] not in shown and h["score"] >= ALTERNATIVE][:2]
    return ProductAnswer(query=query, language=lang, found=bool(best), best=best,
                         alternatives=alternatives,
                         message=compose(query, lang, best, alternatives))
