"""The order crew's tool scope, enforced in code for every tool call an agent makes.

A CrewAI ``before_tool_call`` hook (global, so no agent can bypass it) refuses any tool
outside the turn's allowed set, and the quotation tools unless the customer confirmed the
cart being ordered. Prompt injection can make a model *ask* for a tool; it cannot make the
call happen.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from crewai.hooks import register_before_tool_call_hook
from crewai.hooks.tool_hooks import ToolCallHookContext

log = logging.getLogger(__name__)
ORDER_TOOLS = frozenset({"catalog_search"})
CONFIRMATION_GATED = ("create_quotation", "confirm_order")


@dataclass
class TurnScope:
    """What one turn's agents may call; ``refused`` records what was blocked."""

    allowed: frozenset[str] = ORDER_TOOLS
    cart_confirmed: bool = False
    refused: list[str] = field(default_factory=list)


_scopes: dict[int, TurnScope] = {}  # id(agent) → its turn's scope
_lock = threading.Lock()


def bind(agent: object, scope: TurnScope) -> None:
    with _lock:
        _scopes[id(agent)] = scope


def release(agent: object) -> None:
    with _lock:
        _scopes.pop(id(agent), None)


def order_scope_guard(context: ToolCallHookContext) -> bool | None:
    """False blocks the call; None lets it through (agents of other crews are not ours)."""
    with _lock:
        scope = _scopes.get(id(context.agent))
    if scope is None:
        return None
    name = context.tool_name
    gated = any(word in name for word in CONFIRMATION_GATED)
    if name not in scope.allowed or (gated and not scope.cart_confirmed):
        scope.refused.append(name)
        log.warning("refused tool call %r: outside the order turn's scope", name)
        return False
    return None


register_before_tool_call_hook(order_scope_guard)
