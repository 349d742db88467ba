"""Field declarations for the embedded Odoo's models.

Only what the external API exposes: type, label, relation, selection, storage and the
attributes ``fields_get`` reports. Values live in plain dicts inside the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RELATIONAL = {"many2one", "one2many", "many2many"}
X2MANY = {"one2many", "many2many"}
NUMERIC = {"integer", "float", "monetary"}


@dataclass
class Field:
    """One field of a model, as ``fields_get`` describes it."""

    type: str
    string: str
    relation: str | None = None
    inverse_name: str | None = None  # one2many: the many2one on the other side
    selection: list[tuple[str, str]] | None = None
    required: bool = False
    readonly: bool = False
    store: bool = True
    translate: bool = False
    compute: str | None = None  # name of a method computing the value on read
    default: Any = None
    help: str = ""
    name: str = ""  # filled by the model
    group_operator: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def searchable(self) -> bool:
        return self.store or self.compute is not None or self.type == "one2many"

    def empty(self) -> Any:
        """The value Odoo returns for an unset field of this type."""
        if self.type in X2MANY:
            return []
        if self.type in NUMERIC:
            return 0 if self.type == "integer" else 0.0
        return False

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "type": self.type,
            "string": self.string,
            "required": self.required,
            "readonly": self.readonly or (self.compute is not None and not self.store),
            "store": self.store,
            "searchable": self.searchable,
            "sortable": self.store,
            "translate": self.translate,
            "help": self.help,
            "name": self.name,
        }
        if self.relation:
            info["relation"] = self.relation
        if self.inverse_name:
            info["relation_field"] = self.inverse_name
        if self.selection is not None:
            info["selection"] = [list(s) for s in self.selection]
        if self.type in NUMERIC and self.type != "integer":
            info["group_operator"] = self.group_operator or "sum"
        info.update(self.extra)
        return info


def _mk(type_: str) -> Callable[..., Field]:
    def make(string: str, **kw: Any) -> Field:
        return Field(type_, string, **kw)

    return make


Char = _mk("char")
Text = _mk("text")
Integer = _mk("integer")
Float = _mk("float")
Monetary = _mk("monetary")
Boolean = _mk("boolean")
Date = _mk("date")
Datetime = _mk("datetime")


def Selection(string: str, selection: list[tuple[str, str]], **kw: Any) -> Field:
    return Field("selection", string, selection=selection, **kw)


def Many2one(relation: str, string: str, **kw: Any) -> Field:
    return Field("many2one", string, relation=relation, **kw)


def One2many(relation: str, inverse_name: str, string: str, **kw: Any) -> Field:
    return Field("one2many", string, relation=relation, inverse_name=inverse_name, store=False,
                 **kw)


def Many2many(relation: str, string: str, **kw: Any) -> Field:
    return Field("many2many", string, relation=relation, **kw)
