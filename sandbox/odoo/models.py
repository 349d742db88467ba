"""``BaseModel``: the ORM methods Odoo exposes over RPC, with Odoo's signatures and errors.

Method signatures copy Odoo 17's so that a wrong keyword fails as it does there
(``BaseModel.search() got an unexpected keyword argument 'count'``). Methods decorated
with ``@api_model`` take no ids; the others take the ids as their first argument.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from sandbox.odoo import domain as dom
from sandbox.odoo.database import Env
from sandbox.odoo.exceptions import AccessError, MissingError, ValidationError
from sandbox.odoo.fields import NUMERIC, RELATIONAL, X2MANY, Field
from sandbox.odoo.fields import Datetime as _Datetime
from sandbox.odoo.fields import Integer as _Integer
from sandbox.odoo.fields import Many2one as _Many2one

_OPERATION_WORD = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}


def api_model(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method that takes no record ids (Odoo's ``@api.model``)."""
    method._api_model = True  # type: ignore[attr-defined]
    return method


def rpc(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a public record method callable over RPC (``args[0]`` is the ids)."""
    method._rpc = True  # type: ignore[attr-defined]
    return method


def is_public(method: Any) -> bool:
    return bool(getattr(method, "_api_model", False) or getattr(method, "_rpc", False))


class BaseModel:
    """A model class per Odoo model; instances are bound to an ``Env``."""

    _name: ClassVar[str] = ""
    _description: ClassVar[str] = ""
    _order: ClassVar[str] = "id"
    _rec_name: ClassVar[str] = "name"
    _parent_name: ClassVar[str] = "parent_id"
    _inherits: ClassVar[dict[str, str]] = {}
    _columns: ClassVar[dict[str, Field]] = {}
    # access control: group -> "rwcu" letters granted
    _access: ClassVar[dict[str, str]] = {}
    _company_rule: ClassVar[bool] = True

    def __init__(self, env: Env):
        self.env = env
        self.db = env.db

    # ------------------------------------------------------------------ schema
    @classmethod
    def own_fields(cls) -> dict[str, Field]:
        cached = cls.__dict__.get("_own_fields")
        if cached is None:
            cached = cls._build_own_fields()
            cls._own_fields = cached  # type: ignore[attr-defined]
        return cached

    @classmethod
    def _build_own_fields(cls) -> dict[str, Field]:
        fields = {"id": _Integer("ID", readonly=True, name="id")}
        fields.update(cls._columns)
        # Odoo's log access fields, on every model: incremental syncs page on write_date
        fields.setdefault("create_date", _Datetime("Created on", readonly=True))
        fields.setdefault("create_uid", _Many2one("res.users", "Created by", readonly=True))
        fields.setdefault("write_date", _Datetime("Last Updated on", readonly=True))
        fields.setdefault("write_uid", _Many2one("res.users", "Last Updated by", readonly=True))
        fields.setdefault("display_name", Field("char", "Display Name", store=False,
                                                compute="_display_name", name="display_name"))
        for fname, field in fields.items():
            field.name = fname
        return fields

    def all_fields(self) -> dict[str, Field]:
        """Own fields plus those of ``_inherits`` parents (cached: registries are per db)."""
        cls = type(self)
        cached = cls.__dict__.get("_all_fields")
        if cached is None:
            cached = {}
            for parent in self._inherits:
                cached.update(self.env[parent].all_fields())
            cached.update(self.own_fields())
            cls._all_fields = cached  # type: ignore[attr-defined]
        return cached

    def _field(self, fname: str) -> Field | None:
        return self.all_fields().get(fname)

    def _delegate(self, fname: str) -> tuple[str, str] | None:
        """(parent model, link field) when ``fname`` lives on an ``_inherits`` parent."""
        if not self._inherits:
            return None
        cls = type(self)
        table = cls.__dict__.get("_delegates")
        if table is None:
            own = self.own_fields()
            table = {}
            for parent, link in self._inherits.items():
                for name in self.env[parent].all_fields():
                    if name not in own:
                        table.setdefault(name, (parent, link))
            cls._delegates = table  # type: ignore[attr-defined]
        return table.get(fname)

    # ------------------------------------------------------------------ access control
    def _check_acl(self, operation: str) -> None:
        letter = {"read": "r", "write": "w", "create": "c", "unlink": "u"}[operation]
        groups = self.env.user.get("groups") or []
        if any(letter in self._access.get(g, "") for g in groups):
            return
        from sandbox.odoo.security import GROUP_NAMES

        allowed = sorted(GROUP_NAMES.get(g, g) for g, perms in self._access.items()
                         if letter in perms)
        lines = "".join(f"\n\t- {name}" for name in allowed)
        raise AccessError(
            f"You are not allowed to {_OPERATION_WORD[operation]} '{self._description}' "
            f"({self._name}) records.\n\nThis operation is allowed for the following groups:"
            f"{lines}\n\nContact your administrator to request access if necessary."
        )

    def _rule_allows(self, rid: int) -> bool:
        """Multi-company record rule: shared (no company) or one of the active companies."""
        if not self._company_rule:
            return True
        field = self._field("company_id")
        if field is None or field.type != "many2one":
            return True
        company = self._value(rid, "company_id")
        return not company or company in self.env.company_ids

    def _check_rules(self, ids: Iterable[int], operation: str) -> None:
        denied = [rid for rid in ids if not self._rule_allows(rid)]
        if denied:
            records = ", ".join(f"{self._display_name(r)} (id={r})" for r in denied[:6])
            raise AccessError(
                f"Due to security restrictions, you are not allowed to "
                f"{_OPERATION_WORD[operation]} '{self._description}' ({self._name}) records.\n\n"
                f"Records: {records}\nUser: {self.env.user.get('name')} (id={self.env.uid})\n\n"
                "Note: this might be a multi-company issue. Switching company may help - in Odoo, "
                "not in free text.\n\nContact your administrator to request access if necessary."
            )

    def _check_exists(self, ids: list[int]) -> None:
        table = self.db.tables[self._name]
        missing = [rid for rid in ids if rid not in table]
        if missing:
            shown = ", ".join(str(r) for r in missing)
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {self._name}({shown},), User: {self.env.uid})"
            )

    # ------------------------------------------------------------------ values
    def _value(self, rid: int, fname: str) -> Any:
        """The value in internal form: m2o → id/False, x2many → ids, text in env lang."""
        if fname == "id":
            return rid
        field = self.own_fields().get(fname)
        if field is None:
            parent, link = self._delegate(fname)  # type: ignore[misc]
            parent_id = self._value(rid, link)
            return self.env[parent]._value(parent_id, fname) if parent_id else False
        if field.type == "one2many":
            comodel = self.env[field.relation]  # type: ignore[index]
            return comodel._search_ids([(field.inverse_name, "=", rid)])
        if field.compute and not field.store:
            return getattr(self, field.compute)(rid)
        row = self.db.row(self._name, rid) or {}
        value = row.get(fname, field.empty())
        if field.translate and isinstance(value, dict):
            return value.get(self.env.lang) or value.get("en_US") or False
        if field.type in X2MANY:
            return list(value or [])
        return value if value is not None else field.empty()

    def _display_name(self, rid: int) -> str:
        value = self._value(rid, self._rec_name)
        return value or f"{self._name},{rid}"

    def _to_read(self, rid: int, fname: str, load: str | None) -> Any:
        field = self.all_fields()[fname]
        value = self._value(rid, fname)
        if field.type == "many2one":
            if not value:
                return False
            if load is None:
                return value
            return [value, self.env[field.relation]._display_name(value)]  # type: ignore[index]
        if field.type in ("float", "monetary") and value is not False:
            return float(value)
        return value

    # ------------------------------------------------------------------ searching
    def _search_ids(self, domain: Any, order: str | None = None) -> list[int]:
        """Ids matching ``domain`` under record rules and ``active_test``, ordered."""
        tree = dom.parse(domain)
        self._validate_tree(tree)
        active = self._field("active")
        active_test = (
            active is not None
            and self.env.context.get("active_test", True)
            and not dom.mentions(tree, "active")
        )
        ids = []
        for rid in self.db.tables[self._name]:
            if active_test and not self._value(rid, "active"):
                continue
            if not self._rule_allows(rid):
                continue
            if self._match(rid, tree):
                ids.append(rid)
        return self._sort(ids, order or self._order)

    def _validate_tree(self, tree: Any) -> None:
        if isinstance(tree, dom.Node):
            for child in tree.children:
                self._validate_tree(child)
        elif isinstance(tree, dom.Leaf):
            self._resolve_path(tree)

    def _resolve_path(self, leaf: dom.Leaf) -> Field:
        model: BaseModel = self
        parts = leaf.path.split(".")
        field: Field | None = None
        for i, part in enumerate(parts):
            field = model._field(part)
            if field is None or not field.searchable:
                raise ValueError(f"Invalid field {model._name}.{part} in leaf {leaf.raw}")
            if i < len(parts) - 1:
                if field.type not in RELATIONAL:
                    raise ValueError(f"Invalid field {model._name}.{part} in leaf {leaf.raw}")
                model = self.env[field.relation]  # type: ignore[index]
        if leaf.operator in ("any", "not any") and field.type not in RELATIONAL:  # type: ignore[union-attr]
            raise ValueError(f"Invalid leaf {leaf.raw}")
        return field  # type: ignore[return-value]

    def _match(self, rid: int, tree: Any) -> bool:
        if tree is True or tree is False:
            return tree
        if isinstance(tree, dom.Node):
            if tree.operator == dom.NOT:
                return not self._match(rid, tree.children[0])
            if tree.operator == dom.AND:
                return all(self._match(rid, c) for c in tree.children)
            return any(self._match(rid, c) for c in tree.children)
        return self._match_leaf(rid, tree)

    def _match_leaf(self, rid: int, leaf: dom.Leaf) -> bool:
        head, _, rest = leaf.path.partition(".")
        field = self._field(head)
        assert field is not None
        if rest:
            targets = self._related_ids(rid, head)
            comodel = self.env[field.relation]  # type: ignore[index]
            sub = dom.Leaf(rest, leaf.operator, leaf.value, leaf.raw)
            return any(comodel._match_leaf(t, sub) for t in targets)
        op, value = leaf.operator, leaf.value
        if op == "=?":
            if value is False or value is None:
                return True
            op = "="
        if head == "id":
            field = Field("many2one", "ID", relation=self._name)
            current: Any = rid
        else:
            current = self._value(rid, head)
        if op in ("any", "not any"):
            comodel = self.env[field.relation]  # type: ignore[index]
            hits = set(comodel._search_ids(value))
            found = any(t in hits for t in self._related_ids(rid, head))
            return found if op == "any" else not found
        if field.type in RELATIONAL:
            return self._match_relational(field, current, op, value)
        return _compare(field, current, op, value)

    def _related_ids(self, rid: int, fname: str) -> list[int]:
        value = self._value(rid, fname)
        if isinstance(value, list):
            return value
        return [value] if value else []

    def _match_relational(self, field: Field, current: Any, op: str, value: Any) -> bool:
        ids = current if isinstance(current, list) else ([current] if current else [])
        comodel = self.env[field.relation]  # type: ignore[index]
        if op in ("child_of", "parent_of"):
            roots = comodel._coerce_ids(value)
            family = comodel._hierarchy(roots, down=op == "child_of")
            return any(i in family for i in ids)
        negative = op in ("!=", "not in", "not like", "not ilike")
        if isinstance(value, str) or (
            isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value)
        ):
            # compare on display names, like Odoo's name_search on the comodel
            names = [comodel._display_name(i) for i in ids]
            if not names:
                return negative
            return any(_compare(Field("char", ""), n, op, value) for n in names) if not negative \
                else all(_compare(Field("char", ""), n, op, value) for n in names)
        if op in ("=", "!="):
            hit = not ids if value is False or value is None else value in ids
        elif op in ("in", "not in"):
            wanted = value if isinstance(value, list | tuple) else [value]
            hit = any(i in wanted for i in ids) or (not ids and False in wanted)
        elif op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
            pos = op.replace("not ", "")
            hit = any(_compare(Field("char", ""), comodel._display_name(i), pos, value)
                      for i in ids)
        else:
            hit = any(_compare(Field("integer", ""), i, op, value) for i in ids)
            return hit
        return not hit if negative else hit

    def _coerce_ids(self, value: Any) -> list[int]:
        if isinstance(value, str):
            return [i for i, _ in self.name_search(value, limit=None)]
        if isinstance(value, list | tuple):
            return [int(v) for v in value]
        return [int(value)] if value else []

    def _hierarchy(self, roots: list[int], *, down: bool) -> set[int]:
        parent = self._parent_name
        result = set(roots)
        if down:
            frontier = set(roots)
            while frontier:
                children = {rid for rid, row in self.db.tables[self._name].items()
                            if row.get(parent) in frontier} - result
                result |= children
                frontier = children
        else:
            for rid in roots:
                seen = self.db.row(self._name, rid)
                while seen and seen.get(parent) and seen[parent] not in result:
                    result.add(seen[parent])
                    seen = self.db.row(self._name, seen[parent])
        return result

    def _sort(self, ids: list[int], order: str) -> list[int]:
        keys = []
        for part in order.split(","):
            words = part.strip().split()
            if not words:
                continue
            fname = words[0]
            direction = words[1].lower() if len(words) > 1 else "asc"
            field = self._field(fname)
            if field is None or not (field.store or field.type == "many2one") or \
                    direction not in ("asc", "desc") or len(words) > 3:
                raise ValueError(
                    f'Invalid "order" specified ({order}). A valid "order" specification is a '
                    "comma-separated list of valid field names (optionally followed by asc/desc "
                    "for the direction)"
                )
            keys.append((fname, direction == "desc"))
        for fname, reverse in reversed(keys):
            ids.sort(key=lambda rid, f=fname: self._sort_key(rid, f), reverse=reverse)
        return ids

    def _sort_key(self, rid: int, fname: str) -> tuple[int, Any]:
        field = self.all_fields()[fname]
        value = self._value(rid, fname)
        if field.type == "many2one" and value:
            value = self.env[field.relation]._display_name(value).lower()  # type: ignore[index]
        elif isinstance(value, str):
            value = value.lower()
        if value is False or value is None:
            return (1, 0)  # NULLs sort last ascending, first descending (PostgreSQL)
        if isinstance(value, bool):
            value = int(value)
        return (0, value)

    # ------------------------------------------------------------------ RPC: reading
    @api_model
    def search(self, domain, offset=0, limit=None, order=None):
        self._check_acl("read")
        ids = self._search_ids(domain, order)
        end = None if not limit else offset + limit
        return ids[offset:end]

    @api_model
    def search_count(self, domain, limit=None):
        self._check_acl("read")
        count = len(self._search_ids(domain))
        return min(count, limit) if limit else count

    @api_model
    def search_read(self, domain=None, fields=None, offset=0, limit=None, order=None,
                    **read_kwargs):
        ids = self.search(domain or [], offset=offset, limit=limit, order=order)
        return self.read(ids, fields, **read_kwargs)

    @rpc
    def read(self, ids, fields=None, load="_classic_read"):
        self._check_acl("read")
        ids = _as_ids(ids)
        all_fields = self.all_fields()
        if fields:
            for fname in fields:
                if fname not in all_fields:
                    raise ValueError(f"Invalid field {fname!r} on model {self._name!r}")
            names = [f for f in fields if f != "id"]
        else:
            names = [f for f in all_fields if f != "id"]
        table = self.db.tables[self._name]
        existing = list(dict.fromkeys(rid for rid in ids if rid in table))
        self._check_rules(existing, "read")
        return [{"id": rid, **{f: self._to_read(rid, f, load) for f in names}}
                for rid in existing]

    @rpc
    def name_get(self, ids):
        if self.db.version != "17":
            raise AttributeError(
                f"The method 'name_get' does not exist on the model '{self._name}'")
        return [[r["id"], r["display_name"]] for r in self.read(ids, ["display_name"])]

    @api_model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        self._check_acl("read")
        domain = list(args or [])
        if name:
            domain = ["&", *self._name_search_domain(name, operator), *(domain or [dom.TRUE_LEAF])]
        ids = self._search_ids(domain or [])
        if limit:
            ids = ids[:limit]
        return [[rid, self._display_name(rid)] for rid in ids]

    def _name_search_domain(self, name: str, operator: str) -> list[Any]:
        return [(self._rec_name, operator, name)]

    @api_model
    def fields_get(self, allfields=None, attributes=None):
        result = {}
        for fname, field in self.all_fields().items():
            if allfields and fname not in allfields:
                continue
            info = field.describe()
            result[fname] = {k: v for k, v in info.items() if not attributes or k in attributes}
        return result

    @api_model
    def default_get(self, fields_list):
        defaults = self._defaults()
        return {f: defaults[f] for f in fields_list if f in defaults}

    @api_model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False,
                   lazy=True):
        self._check_acl("read")
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        if not groupby:
            raise ValueError("read_group: groupby is required")
        specs = [_parse_groupby(g) for g in (groupby[:1] if lazy else groupby)]
        for fname, _gran in specs:
            if self._field(fname) is None:
                raise ValueError(f"Invalid field {fname!r} on model {self._name!r}")
        aggregates = self._aggregate_specs(fields, {f for f, _ in specs})
        ids = self._search_ids(domain)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for rid in ids:
            key = tuple(self._group_value(rid, f, g) for f, g in specs)
            groups.setdefault(key, []).append(rid)
        rows = []
        for key, members in groups.items():
            row: dict[str, Any] = {}
            sub_domain: list[Any] = []
            for (fname, gran), value in zip(specs, key, strict=True):
                label = groupby[specs.index((fname, gran))] if lazy else \
                    (f"{fname}:{gran}" if gran else fname)
                row[label] = self._group_label(fname, gran, value)
                sub_domain.extend(self._group_domain(fname, gran, value))
            count_key = f"{groupby[0].split(':')[0]}_count" if lazy else "__count"
            row[count_key] = len(members)
            for alias, func, fname in aggregates:
                empty = self.all_fields()[fname].empty()
                values = [self._value(m, fname) or empty for m in members]
                row[alias] = _aggregate(func, values)
            row["__domain"] = ["&"] * max(len(sub_domain) - 1, 0) + sub_domain if not domain \
                else ["&", *(["&"] * (len(sub_domain) - 1)), *sub_domain, *domain] if sub_domain \
                else list(domain)
            if lazy and len(groupby) > 1:
                row["__context"] = {"group_by": groupby[1:]}
            rows.append((key, row))
        rows.sort(key=lambda kr: [(v is False or v is None, str(v) if not isinstance(v, int | float)
                                   else v) for v in kr[0]])
        if orderby:
            for part in reversed(str(orderby).split(",")):
                words = part.split()
                if not words:
                    continue
                name, desc = words[0], len(words) > 1 and words[1].lower() == "desc"
                rows.sort(key=lambda kr, n=name: (kr[1].get(n) is False, kr[1].get(n) or 0)
                          if not isinstance(kr[1].get(n), list | str)
                          else (False, str(kr[1].get(n))), reverse=desc)
        result = [row for _key, row in rows]
        end = None if not limit else offset + limit
        return result[offset:end]

    def _aggregate_specs(self, fields: list[str], grouped: set[str]) -> list[tuple[str, str, str]]:
        specs = []
        for spec in fields or []:
            alias, _, rest = spec.partition(":")
            if rest and "(" in rest:
                func, fname = rest.rstrip(")").split("(", 1)
            else:
                fname, func = alias, rest
            if fname in grouped or fname == "__count":
                continue
            field = self._field(fname)
            if field is None:
                raise ValueError(f"Invalid field {fname!r} on model {self._name!r}")
            if field.type not in NUMERIC:
                continue
            specs.append((alias, func or field.group_operator or "sum", fname))
        return specs

    def _group_value(self, rid: int, fname: str, granularity: str | None) -> Any:
        value = self._value(rid, fname)
        if granularity and value:
            day = dt.date.fromisoformat(str(value)[:10])
            if granularity == "day":
                return day.isoformat()
            if granularity == "week":
                iso = day.isocalendar()
                return f"{iso[0]}-W{iso[1]:02d}"
            if granularity == "month":
                return f"{day.year}-{day.month:02d}"
            if granularity == "quarter":
                return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
            if granularity == "year":
                return str(day.year)
            raise ValueError(f"Invalid date/time grouping {granularity!r}")
        if isinstance(value, list):
            return tuple(value)
        return value

    def _group_label(self, fname: str, granularity: str | None, value: Any) -> Any:
        field = self.all_fields()[fname]
        if value is False or value is None:
            return False
        if field.type == "many2one":
            return [value, self.env[field.relation]._display_name(value)]  # type: ignore[index]
        if granularity == "month":
            year, month = value.split("-")
            return f"{calendar.month_name[int(month)]} {year}"
        if granularity == "quarter":
            year, quarter = value.split("-")
            return f"{quarter} {year}"
        if granularity == "week":
            year, week = value.split("-W")
            return f"W{int(week)} {year}"
        if granularity == "day":
            return dt.date.fromisoformat(value).strftime("%d %b %Y")
        return value

    def _group_domain(self, fname: str, granularity: str | None, value: Any) -> list[Any]:
        if value is False or value is None:
            return [(fname, "=", False)]
        if not granularity:
            return [(fname, "=", value)]
        start, end = _period_bounds(granularity, value)
        return ["&", (fname, ">=", start), (fname, "<", end)]

    # ------------------------------------------------------------------ RPC: writing
    def _defaults(self) -> dict[str, Any]:
        defaults = {}
        for fname, field in self.all_fields().items():
            if field.default is not None:
                defaults[fname] = field.default(self.env) if callable(field.default) \
                    else copy.deepcopy(field.default)
        if "company_id" in self.all_fields() and self._company_rule and \
                self.all_fields()["company_id"].required:
            defaults.setdefault("company_id", self.env.company_id)
        return defaults

    @api_model
    def create(self, vals_list):
        self._check_acl("create")
        single = isinstance(vals_list, dict)
        batch = [vals_list] if single else list(vals_list)
        ids = [self._create_one(dict(vals)) for vals in batch]
        return ids[0] if single else ids

    def _create_one(self, vals: dict[str, Any]) -> int:
        self._check_field_names(vals)
        vals = {**self._defaults(), **vals}
        parent_vals: dict[str, dict[str, Any]] = {}
        for parent, link in self._inherits.items():
            own = self.own_fields()
            moved = {k: vals.pop(k) for k in list(vals) if k not in own and
                     k in self.env[parent].all_fields()}
            if not vals.get(link):
                parent_vals[parent] = moved
            elif moved:
                self.env[parent]._write_one(vals[link], moved)
        for parent, pvals in parent_vals.items():
            vals[self._inherits[parent]] = self.env[parent]._create_one(pvals)
        vals = self._prepare_create(vals)
        stored, x2many = self._split_vals(vals)
        self._check_required(stored)
        stored.update(self._log_values(create=True))
        rid = self.db.insert(self._name, stored)
        self._apply_x2many(rid, x2many)
        self._after_create(rid, vals)
        self._constrain([rid])
        return rid

    def _log_values(self, *, create: bool = False) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        values = {"write_date": now, "write_uid": self.env.uid}
        if create:
            values.update(create_date=now, create_uid=self.env.uid)
        return values

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        return vals

    def _after_create(self, rid: int, vals: dict[str, Any]) -> None:
        pass

    @rpc
    def write(self, ids, vals):
        self._check_acl("write")
        ids = _as_ids(ids)
        self._check_exists(ids)
        self._check_rules(ids, "write")
        self._check_field_names(vals)
        for rid in ids:
            self._write_one(rid, dict(vals))
        self._constrain(ids)
        return True

    def _write_one(self, rid: int, vals: dict[str, Any]) -> None:
        for parent, link in self._inherits.items():
            own = self.own_fields()
            moved = {k: vals.pop(k) for k in list(vals) if k not in own and
                     k in self.env[parent].all_fields()}
            if moved:
                self.env[parent]._write_one(self._value(rid, link), moved)
        self._before_write(rid, vals)
        stored, x2many = self._split_vals(vals, rid)
        if stored:
            self._check_required({**(self.db.row(self._name, rid) or {}), **stored})
        # like Odoo, any write stamps write_date, even one that only reaches a parent
        self.db.update(self._name, rid, {**stored, **self._log_values()})
        self._apply_x2many(rid, x2many)
        self._after_write(rid, vals)

    def _before_write(self, rid: int, vals: dict[str, Any]) -> None:
        pass

    def _after_write(self, rid: int, vals: dict[str, Any]) -> None:
        pass

    @rpc
    def unlink(self, ids):
        self._check_acl("unlink")
        ids = _as_ids(ids)
        self._check_exists(ids)
        self._check_rules(ids, "unlink")
        for rid in ids:
            self._before_unlink(rid)
        for rid in ids:
            if self.db.row(self._name, rid) is not None:
                self._unlink_one(rid)
        return True

    def _before_unlink(self, rid: int) -> None:
        pass

    def _unlink_one(self, rid: int) -> None:
        for model_name, cls in self.db.registry.items():
            for fname, field in cls.own_fields().items():
                if field.type != "many2one" or field.relation != self._name or not field.store:
                    continue
                for other_id, row in list(self.db.tables[model_name].items()):
                    if row.get(fname) != rid:
                        continue
                    ondelete = field.extra.get("ondelete") or ("restrict" if field.required
                                                               else "set null")
                    if ondelete == "cascade":
                        if self.db.row(model_name, other_id) is not None:
                            self.env[model_name]._unlink_one(other_id)
                    elif ondelete == "restrict":
                        raise ValidationError(
                            "The operation cannot be completed: another model requires the "
                            "record being deleted. If possible, archive it instead.\n\n"
                            f"Model: {cls._description} ({model_name}), Constraint: "
                            f"{model_name.replace('.', '_')}_{fname}_fkey"
                        )
                    else:
                        self.db.update(model_name, other_id, {fname: False})
        self.db.delete(self._name, rid)

    # ------------------------------------------------------------------ write helpers
    def _check_field_names(self, vals: dict[str, Any]) -> None:
        if not isinstance(vals, dict):
            raise TypeError(f"vals must be a dict, not {type(vals).__name__}")
        fields = self.all_fields()
        for fname in vals:
            if fname not in fields:
                raise ValueError(f"Invalid field {fname!r} on model {self._name!r}")

    def _split_vals(self, vals: dict[str, Any], rid: int | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
        stored: dict[str, Any] = {}
        x2many: dict[str, Any] = {}
        own = self.own_fields()
        for fname, value in vals.items():
            field = own.get(fname)
            if field is None or fname in ("id", "display_name"):
                continue
            if field.type in X2MANY:
                x2many[fname] = value
            elif field.compute and not field.store:
                continue  # like Odoo: a computed field without inverse ignores writes
            elif field.translate and isinstance(value, dict):
                stored[fname] = dict(value)  # all languages at once (data loading)
            elif field.translate and value not in (False, None):
                # Odoo 17+: translations in one JSON value; a write in a language changes
                # only that language, a create fills en_US too.
                row = (self.db.row(self._name, rid) or {}) if rid is not None else {}
                current = dict(row.get(fname) or {})
                current.setdefault("en_US", str(value))
                current[self.env.lang] = str(value)
                stored[fname] = current
            else:
                stored[fname] = self._convert_to_cache(field, value)
        return stored, x2many

    def _convert_to_cache(self, field: Field, value: Any) -> Any:
        if value is None:
            value = False
        if field.type == "selection" and value is not False:
            allowed = [k for k, _ in field.selection or []]
            if value not in allowed:
                raise ValueError(f"Wrong value for {self._name}.{field.name}: {value!r}")
        if field.type == "many2one" and value is not False:
            if isinstance(value, list | tuple):
                value = value[0]
            value = int(value)
            if self.db.row(field.relation, value) is None:  # type: ignore[arg-type]
                raise ValidationError(
                    "The operation cannot be completed: another model requires the record being "
                    "deleted. If possible, archive it instead.\n\n"
                    f"Model: {self._description} ({self._name})\n"
                    f"Constraint: {self._name.replace('.', '_')}_{field.name}_fkey\n"
                )
        if field.type in ("float", "monetary") and value is not False:
            value = float(value)
        if field.type == "integer" and value is not False:
            value = int(value)
        if field.type == "boolean":
            value = bool(value)
        if field.type in ("char", "text") and value is not False:
            value = str(value)
        return value

    def _check_required(self, stored: dict[str, Any]) -> None:
        for fname, field in self.own_fields().items():
            if field.required and field.store and stored.get(fname) in (None, False, ""):
                raise ValidationError(
                    "The operation cannot be completed:\n- Create/update: a mandatory field is "
                    "not set.\n- Delete: another model requires the record being deleted. If "
                    "possible, archive it instead.\n\n"
                    f"Model: {self._description} ({self._name})\nField: {field.string} ({fname})"
                )

    def _apply_x2many(self, rid: int, x2many: dict[str, Any]) -> None:
        for fname, commands in x2many.items():
            field = self.own_fields()[fname]
            comodel = self.env[field.relation]  # type: ignore[index]
            if field.type == "one2many":
                for command in commands or []:
                    self._o2m_command(rid, field, comodel, command)
            else:
                current = self._value(rid, fname)
                for command in commands or []:
                    current = _m2m_command(current, command)
                self.db.update(self._name, rid, {fname: current})

    def _o2m_command(self, rid: int, field: Field, comodel: BaseModel, command: Any) -> None:
        code = command[0]
        inverse = field.inverse_name
        if code == 0:
            comodel._create_one({**command[2], inverse: rid})  # type: ignore[dict-item]
        elif code == 1:
            comodel._write_one(command[1], dict(command[2]))
        elif code in (2, 3):
            if comodel.db.row(comodel._name, command[1]) is not None:
                comodel._unlink_one(command[1])
        elif code == 4:
            comodel._write_one(command[1], {inverse: rid})  # type: ignore[dict-key]
        elif code in (5, 6):
            keep = set(command[2]) if code == 6 else set()
            for child in comodel._search_ids([(inverse, "=", rid)]):
                if child not in keep:
                    comodel._unlink_one(child)
            for child in keep:
                comodel._write_one(child, {inverse: rid})  # type: ignore[dict-key]
        else:
            raise ValueError(f"Invalid x2many command {command!r}")

    def _constrain(self, ids: list[int]) -> None:
        """Python constraints (``@api.constrains``) of the model."""


# ---------------------------------------------------------------------- helpers
def _as_ids(ids: Any) -> list[int]:
    if isinstance(ids, bool):
        raise TypeError("ids must be a list of integers")
    if isinstance(ids, int):
        return [ids]
    if not isinstance(ids, list | tuple):
        raise TypeError(f"ids must be a list of integers, not {type(ids).__name__}")
    return [int(i) for i in ids]


def _m2m_command(current: list[int], command: Any) -> list[int]:
    if isinstance(command, int):  # a bare id list was given instead of commands
        return [*current, command] if command not in current else current
    code = command[0]
    if code == 6:
        return list(command[2])
    if code == 5:
        return []
    if code == 4:
        return current if command[1] in current else [*current, command[1]]
    if code in (2, 3):
        return [i for i in current if i != command[1]]
    raise ValueError(f"Invalid x2many command {command!r}")


def _compare(field: Field, current: Any, op: str, value: Any) -> bool:
    empty = current is False or current is None or current == ""
    if field.type == "boolean":
        current = bool(current)
        empty = False
    if op in ("=", "!="):
        if value is False or value is None:
            hit = empty if field.type != "boolean" else current is False
        elif empty:
            hit = False
        else:
            hit = current == value
        return hit if op == "=" else not hit
    if op in ("in", "not in"):
        values = value if isinstance(value, list | tuple) else [value]
        hit = (empty and (False in values or None in values)) or (not empty and current in values)
        return hit if op == "in" else not hit
    if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
        negative = op.startswith("not ")
        base = op.replace("not ", "")
        if value is False or value is None:
            hit = empty
        elif empty:
            hit = False
        else:
            regex = dom.like_regex(str(value), raw=base.startswith("="),
                                   case_insensitive="ilike" in base)
            hit = bool(regex.match(str(current)))
        return not hit if negative else hit
    if op in ("<", "<=", ">", ">="):
        if empty or value is False or value is None:
            return False
        if op == "<":
            return current < value
        if op == "<=":
            return current <= value
        if op == ">":
            return current > value
        return current >= value
    if op in ("child_of", "parent_of"):
        raise ValueError(f"Invalid leaf: {op} needs a relational field")
    raise ValueError(f"Invalid operator {op!r}")


def _aggregate(func: str, values: list[Any]) -> Any:
    if func == "sum":
        return round(sum(values), 2) if any(isinstance(v, float) for v in values) else sum(values)
    if func == "avg":
        return sum(values) / len(values) if values else 0
    if func == "max":
        return max(values) if values else False
    if func == "min":
        return min(values) if values else False
    if func in ("count", "count_distinct"):
        return len(set(values)) if func == "count_distinct" else len(values)
    raise ValueError(f"Invalid aggregation function {func!r}")


def _parse_groupby(spec: str) -> tuple[str, str | None]:
    fname, _, gran = spec.partition(":")
    return fname, gran or None


def _period_bounds(granularity: str, key: str) -> tuple[str, str]:
    if granularity == "day":
        day = dt.date.fromisoformat(key)
        return day.isoformat(), (day + dt.timedelta(days=1)).isoformat()
    if granularity == "week":
        year, week = key.split("-W")
        start = dt.date.fromisocalendar(int(year), int(week), 1)
        return start.isoformat(), (start + dt.timedelta(days=7)).isoformat()
    if granularity == "month":
        year, month = (int(p) for p in key.split("-"))
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
        return dt.date(year, month, 1).isoformat(), end.isoformat()
    if granularity == "quarter":
        year_s, q = key.split("-Q")
        year, first = int(year_s), (int(q) - 1) * 3 + 1
        end = dt.date(year + (first == 10), (first + 2) % 12 + 1, 1)
        return dt.date(year, first, 1).isoformat(), end.isoformat()
    year = int(key)
    return f"{year}-01-01", f"{year + 1}-01-01"
