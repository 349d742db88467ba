"""Odoo's domain language: normalisation and parsing, with Odoo's own error messages.

A malformed domain raises exactly what ``odoo.osv.expression`` raises; it is never
widened into "all records".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NOT, AND, OR = "!", "&", "|"
TERM_OPERATORS = (
    "=", "!=", "<=", "<", ">", ">=", "=?", "=like", "=ilike", "like", "not like",
    "ilike", "not ilike", "in", "not in", "child_of", "parent_of", "any", "not any",
)
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)
_ARITY = {NOT: 1, AND: 2, OR: 2}


def normalize_domain(domain: Any) -> list[Any]:
    """Make implicit ANDs explicit (``odoo.osv.expression.normalize_domain``)."""
    if not isinstance(domain, list | tuple):
        raise ValueError(
            "Domains to normalize must have a 'domain' form: a list or tuple of domain components"
        )
    if not domain:
        return [TRUE_LEAF]
    result: list[Any] = []
    expected = 1
    for token in domain:
        if expected == 0:
            result[0:0] = [AND]
            expected = 1
        if isinstance(token, list | tuple):
            expected -= 1
            if len(token) == 3 and token[1] in ("any", "not any"):
                token = (token[0], token[1], normalize_domain(token[2]))
            else:
                token = tuple(token)
        else:
            expected += _ARITY.get(token, 0) - 1
        result.append(token)
    if expected:
        raise ValueError(f"Domain {domain} is syntactically not correct.")
    return result


def _is_leaf(token: Any) -> bool:
    return (
        isinstance(token, tuple)
        and len(token) == 3
        and (token in (TRUE_LEAF, FALSE_LEAF) or isinstance(token[0], str))
        and (token[1] in TERM_OPERATORS or token[1] == "<>")
    )


@dataclass(frozen=True)
class Leaf:
    path: str
    operator: str
    value: Any
    raw: tuple[Any, ...]


@dataclass(frozen=True)
class Node:
    operator: str  # "&", "|" or "!"
    children: tuple[Any, ...]


def parse(domain: Any) -> Any:
    """Turn a domain into a tree of ``Node``/``Leaf``/``bool``, checking every leaf."""
    tokens = normalize_domain(domain)
    for token in tokens:
        if token in (NOT, AND, OR):
            continue
        if not _is_leaf(token):
            raise ValueError(f"Invalid leaf {token}")
    pos = 0

    def take() -> Any:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == NOT:
            return Node(NOT, (take(),))
        if token in (AND, OR):
            left = take()
            return Node(token, (left, take()))
        if token == TRUE_LEAF:
            return True
        if token == FALSE_LEAF:
            return False
        path, op, value = token
        return Leaf(path, "!=" if op == "<>" else op, value, token)

    tree = take()
    return tree


def like_regex(pattern: str, *, raw: bool, case_insensitive: bool) -> re.Pattern[str]:
    """SQL LIKE → regex. ``like``/``ilike`` wrap the value in ``%``; ``=like`` is raw."""
    if not raw:
        pattern = f"%{pattern}%"
    out = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
    return re.compile("^" + "".join(out) + "$", flags)


def mentions(tree: Any, field_name: str) -> bool:
    """Does a parsed domain test ``field_name`` (for ``active_test``)?"""
    if isinstance(tree, Leaf):
        return tree.path.split(".")[0] == field_name
    if isinstance(tree, Node):
        return any(mentions(child, field_name) for child in tree.children)
    return False
