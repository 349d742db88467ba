"""Storage of the embedded Odoo: SQLite on disk, a dict per model in memory.

Every RPC call runs in one transaction, as in Odoo: committed on success, rolled back on
any error. Records are JSON documents in SQLite so created records survive restarts; the
in-memory copy makes domain evaluation simple and fast for a shop-sized database.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.odoo.exceptions import AccessError

if TYPE_CHECKING:
    from sandbox.odoo.models import BaseModel

log = logging.getLogger(__name__)
_META = "__meta__"
# bump when stored records change shape (2: log access fields create/write_date;
# 3: countries, states, languages, unit categories, invoice lines)
SCHEMA = 3
SUPPORTED_VERSIONS = ("17", "18", "19")


class Database:
    """One Odoo database (``casaobra`` by default) of one emulated Odoo version.

    ``demo=False`` creates it as a fresh Odoo without demo data would be.
    """

    def __init__(self, path: Path | str, name: str = "casaobra", version: str = "17",
                 *, demo: bool = True):
        from sandbox.odoo.registry import build_registry

        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"unsupported Odoo version {version!r}: use {SUPPORTED_VERSIONS}")
        self.name = name
        self.version = version
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.registry: dict[str, type[BaseModel]] = build_registry(version)
        self.lock = threading.RLock()
        self._sql = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._sql.execute("PRAGMA journal_mode=WAL")
        self._sql.execute(
            "CREATE TABLE IF NOT EXISTS records (model TEXT, id INTEGER, data TEXT, "
            "PRIMARY KEY (model, id))"
        )
        self.tables: dict[str, dict[int, dict[str, Any]]] = {m: {} for m in self.registry}
        self.tables[_META] = {}
        for model, rid, data in self._sql.execute("SELECT model, id, data FROM records"):
            self.tables.setdefault(model, {})[rid] = json.loads(data)
        self._next_id = {m: max(rows, default=0) + 1 for m, rows in self.tables.items()}
        self._journal: dict[tuple[str, int], dict[str, Any] | None] | None = None
        stored_version = self.meta("odoo_version")
        if stored_version is not None and self.meta("schema") != SCHEMA:
            log.warning("rebuilding %s: written by an older embedded Odoo (schema %s, now %s)",
                        self.path, self.meta("schema"), SCHEMA)
            self._sql.execute("DELETE FROM records")
            self.tables = {m: {} for m in [*self.registry, _META]}
            self._next_id = {m: 1 for m in self.tables}
            stored_version = None
        if stored_version is None:
            from sandbox.odoo.demo_data import install, install_fresh

            with self.transaction():
                self.set_meta("odoo_version", version)
                self.set_meta("schema", SCHEMA)
                install(self) if demo else install_fresh(self)
        elif stored_version != version:
            raise ValueError(
                f"database {self.path} holds Odoo {stored_version} data, not {version}: "
                "use another --data-dir or the same version"
            )

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise calls; commit on success, restore the touched records on error."""
        with self.lock:
            if self._journal is not None:  # nested: part of the outer transaction
                yield
                return
            self._journal = {}
            try:
                yield
            except BaseException:
                for (model, rid), before in self._journal.items():
                    if before is None:
                        self.tables[model].pop(rid, None)
                    else:
                        self.tables[model][rid] = before
                raise
            else:
                self._flush()
            finally:
                self._journal = None

    def _flush(self) -> None:
        assert self._journal is not None
        if not self._journal:
            return
        rows = []
        gone = []
        for model, rid in self._journal:
            current = self.tables[model].get(rid)
            if current is None:
                gone.append((model, rid))
            else:
                rows.append((model, rid, json.dumps(current, separators=(",", ":"))))
        self._sql.execute("BEGIN")
        try:
            self._sql.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", rows)
            self._sql.executemany("DELETE FROM records WHERE model = ? AND id = ?", gone)
            self._sql.execute("COMMIT")
        except BaseException:
            self._sql.execute("ROLLBACK")
            raise

    def _touch(self, model: str, rid: int) -> None:
        if self._journal is None:
            raise RuntimeError("writes must happen inside Database.transaction()")
        key = (model, rid)
        if key not in self._journal:
            before = self.tables[model].get(rid)
            self._journal[key] = copy.deepcopy(before) if before is not None else None

    # ------------------------------------------------------------------ rows
    def row(self, model: str, rid: int) -> dict[str, Any] | None:
        return self.tables[model].get(rid)

    def insert(self, model: str, values: dict[str, Any], rid: int | None = None) -> int:
        if rid is None:
            rid = self._next_id[model]
        self._next_id[model] = max(self._next_id[model], rid + 1)
        self._touch(model, rid)
        self.tables[model][rid] = dict(values)
        return rid

    def update(self, model: str, rid: int, values: dict[str, Any]) -> None:
        self._touch(model, rid)
        self.tables[model][rid].update(values)

    def delete(self, model: str, rid: int) -> None:
        self._touch(model, rid)
        del self.tables[model][rid]

    def meta(self, key: str) -> Any:
        row = self.tables[_META].get(_meta_id(key))
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: Any) -> None:
        rid = _meta_id(key)
        self._touch(_META, rid)
        self.tables[_META][rid] = {"key": key, "value": value}

    def next_sequence(self, code: str) -> int:
        """Next number of a named sequence (e.g. sale orders), rolled back with the call."""
        number = int(self.meta(f"seq:{code}") or 0) + 1
        self.set_meta(f"seq:{code}", number)
        return number

    # ------------------------------------------------------------------ environments
    def env(self, uid: int, context: dict[str, Any] | None = None) -> Env:
        return Env(self, uid, context or {})

    def close(self) -> None:
        self._sql.close()


def _meta_id(key: str) -> int:
    import zlib

    return zlib.crc32(key.encode())


class Env:
    """Who calls and with which context: Odoo's ``env`` reduced to what the API needs."""

    def __init__(self, db: Database, uid: int, context: dict[str, Any]):
        self.db = db
        self.uid = uid
        self.context = dict(context)
        user = db.row("res.users", uid) or {}
        self.user = user
        self.lang = self.context.get("lang") or "en_US"
        user_companies = list(user.get("company_ids") or [])
        allowed = self.context.get("allowed_company_ids")
        if allowed:
            if not isinstance(allowed, list) or not set(allowed) <= set(user_companies):
                raise AccessError("Access to unauthorized or invalid companies.")
            self.company_ids = list(allowed)
        else:
            self.company_ids = [user["company_id"]] if user.get("company_id") else []
        self.user_company_ids = user_companies

    @property
    def company_id(self) -> int | bool:
        return self.company_ids[0] if self.company_ids else False

    def __getitem__(self, model: str) -> BaseModel:
        cls = self.db.registry.get(model)
        if cls is None:
            from sandbox.odoo.exceptions import UserError

            raise UserError(f"Object {model} doesn't exist")
        return cls(self)

    def with_context(self, **overrides: Any) -> Env:
        return Env(self.db, self.uid, {**self.context, **overrides})

    def has_group(self, group: str) -> bool:
        return group in (self.user.get("groups") or [])
