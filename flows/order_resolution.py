"""Resolve the products a customer named against the catalog, or decide to ask.

A parsed item ("parafuso sextavado 3/8", 2 caixas) is searched in the catalog. It is taken
as resolved only when one product clearly stands out: an exact code, or a top hit with no
contradicted fact and no close runner-up. Otherwise the bot asks, offering the top options:
a wrong product in a quotation costs more than one question.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from crews.order_intake.offline import ParsedItem
from flows.mcp_client import McpTools
from mcp_servers.catalog.text import fold

UOM_PREFIX = {"cx": ("cai", "cx"), "pct": ("pac", "pct"), "saco": ("sac",), "lata": ("lat",),
              "galao": ("gal",), "rolo": ("rol",), "kg": ("kg", "qui")}
CLOSE = 0.8  # a runner-up within this share of the top score may be an alternative
MIN_SCORE = 0.5  # below this the top hit is a guess, not a match


class Option(BaseModel):
    product_id: int
    default_code: str
    name: str
    price: float
    qty_available: float
    uom: str


class Resolution(BaseModel):
    item: ParsedItem
    status: Literal["resolved", "ask", "unknown"]
    product: Option | None = None
    options: list[Option] = []


def option_from_hit(hit: dict[str, Any]) -> Option:
    """A catalog_search hit as an offer to the customer."""
    return Option(product_id=hit["product_id"], default_code=hit["default_code"],
                  name=hit["name"], price=hit["price"], qty_available=hit["qty_available"],
                  uom=hit["uom"])


def decide(item: ParsedItem, hits: list[dict[str, Any]]) -> Resolution:
    """The rule above, on catalog_search hits (best first)."""
    if not hits or hits[0]["score"] < MIN_SCORE:
        return Resolution(item=item, status="unknown",
                          options=[option_from_hit(h) for h in hits[:3]])
    top = hits[0]
    if top["match"]["exact_code"]:
        return Resolution(item=item, status="resolved", product=option_from_hit(top))
    said = set(top["match"]["matched_terms"])
    # a runner-up is a real alternative when it is nearly as good and the customer's words
    # give no reason to prefer the top hit (it matches every word the top one matches)
    close = [h for h in hits if h is top or (h["score"] >= CLOSE * top["score"] and
                                              said <= set(h["match"]["matched_terms"]))]
    if len(close) == 1 and not top["match"]["conflicts"]:
        return Resolution(item=item, status="resolved", product=option_from_hit(top))
    fitting = [h for h in close if not h["match"]["conflicts"]] or close
    if item.unit in UOM_PREFIX:  # "1 galão de esmalte branco": the 3.6 L can, not 900 ml
        sold_so = [h for h in fitting
                   if fold(h.get("uom") or "").startswith(UOM_PREFIX[item.unit])]
        if len(sold_so) == 1 and not sold_so[0]["match"]["conflicts"]:
            return Resolution(item=item, status="resolved", product=option_from_hit(sold_so[0]))
        fitting = sold_so or fitting
    return Resolution(item=item, status="ask", options=[option_from_hit(h) for h in fitting[:3]])


async def resolve(tools: McpTools, item: ParsedItem, tenant: str = "") -> Resolution:
    result = await tools.call("catalog_search", query=item.text, limit=5, tenant=tenant)
    return decide(item, result["hits"])
