"""Odoo's RPC services (``common``, ``object``, ``db``) and the JSON-2 dispatcher.

Independent of the transport: the HTTP layer decodes JSON-RPC, XML-RPC or JSON-2 and
calls these; the errors raised here are encoded by the HTTP layer the way Odoo does.
"""

from __future__ import annotations

import inspect
from typing import Any

from sandbox.odoo.database import Database
from sandbox.odoo.exceptions import AccessDenied, AccessError, OperationalError
from sandbox.odoo.models import is_public
from sandbox.odoo.security import CredentialCache, check_api_key, check_password

VERSION_INFO = {
    "17": [17, 0, 0, "final", 0, ""],
    "18": [18, 0, 0, "final", 0, ""],
    "19": [19, 0, 0, "final", 0, ""],
}


class HttpError(Exception):
    """A werkzeug HTTP exception as JSON-2 reports it (name, status)."""

    def __init__(self, status: int, name: str, message: str):
        super().__init__(message, status)
        self.status = status
        self.name = name
        self.message = message


class OdooService:
    """What ``odoo.service.common``/``model``/``db`` do, over one embedded database."""

    def __init__(self, db: Database):
        self.db = db
        self.credentials = CredentialCache()

    # ------------------------------------------------------------------ common
    def version(self) -> dict[str, Any]:
        info = VERSION_INFO[self.db.version]
        return {"server_version": f"{info[0]}.0", "server_version_info": info,
                "server_serie": f"{info[0]}.0", "protocol_version": 1}

    def dispatch(self, service: str, method: str, args: list[Any]) -> Any:
        if service == "common":
            return self._common(method, args)
        if service == "object":
            if method == "execute_kw":
                db, uid, secret, model, meth, *rest = args
                call_args = rest[0] if rest else []
                kwargs = rest[1] if len(rest) > 1 else {}
                return self.execute_kw(db, uid, secret, model, meth, call_args, kwargs or {})
            if method == "execute":
                db, uid, secret, model, meth, *call_args = args
                return self.execute_kw(db, uid, secret, model, meth, list(call_args), {})
            raise NameError(f"object.{method} is not a valid method")
        if service == "db":
            if method == "list":
                return [self.db.name]
            if method == "server_version":
                return self.version()["server_version"]
            if method == "db_exist":
                return args[0] == self.db.name
            raise AccessDenied()
        raise Exception(f"No such service: {service}")

    def _common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return self.version()
        if method in ("authenticate", "login"):
            db, login, secret = args[0], args[1], args[2]
            return self.authenticate(db, login, secret)
        if method == "about":
            about = "See http://openerp.com"
            return [about, self.version()["server_version"]] if args and args[0] else about
        raise NameError(f"common.{method} is not a valid method")

    def _check_db(self, db: str) -> None:
        if db != self.db.name:
            raise OperationalError(
                f'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{db}" does not exist'
            )

    def authenticate(self, db: str, login: str, secret: str) -> int | bool:
        """The uid, or ``False`` (not an error) for a wrong login, password or key."""
        self._check_db(db)
        for uid, row in self.db.tables["res.users"].items():
            if row.get("login") == login and row.get("active"):
                return uid if self._secret_ok(uid, secret) else False
        return False

    def _secret_ok(self, uid: int, secret: Any) -> bool:
        if not isinstance(secret, str) or not secret:
            return False
        row = self.db.row("res.users", uid) or {}
        stamp = f"{row.get('_password')}|{row.get('_api_key')}"
        if self.credentials.known(uid, secret, stamp):
            return True
        ok = check_api_key(secret, row.get("_api_key")) or \
            check_password(secret, row.get("_password") or "")
        if ok:
            self.credentials.remember(uid, secret, stamp)
        return ok

    def check(self, db: str, uid: Any, secret: Any) -> None:
        self._check_db(db)
        row = self.db.row("res.users", uid) if isinstance(uid, int) else None
        if not row or not row.get("active") or not self._secret_ok(uid, secret):
            raise AccessDenied()

    # ------------------------------------------------------------------ object
    def execute_kw(self, db: str, uid: int, secret: str, model: str, method: str,
                   args: list[Any], kwargs: dict[str, Any]) -> Any:
        self.check(db, uid, secret)
        kwargs = dict(kwargs or {})
        context = kwargs.pop("context", None) or {}
        if not isinstance(args, list | tuple):
            raise TypeError("execute_kw: args must be a list")
        return self.call(uid, model, method, list(args), kwargs, context)

    def call(self, uid: int, model: str, method: str, args: list[Any], kwargs: dict[str, Any],
             context: dict[str, Any]) -> Any:
        """``odoo.api.call_kw``: ids first for record methods, ``args`` as-is otherwise."""
        with self.db.transaction():
            env = self.db.env(uid, context)
            records = env[model]
            fn = self._method(records, method)
            if self.db.version == "19" and method == "name_search":
                if "args" in kwargs:
                    raise TypeError("BaseModel.name_search() got an unexpected keyword argument "
                                    "'args'")
                if "domain" in kwargs:
                    kwargs["args"] = kwargs.pop("domain")
            if getattr(fn, "_api_model", False):
                return fn(*args, **kwargs)
            if not args:
                raise TypeError(f"{method}() missing 1 required positional argument: 'ids'")
            return fn(args[0], *args[1:], **kwargs)

    @staticmethod
    def _method(records: Any, method: str) -> Any:
        if method.startswith("_"):
            raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")
        fn = getattr(records, method, None)
        if fn is None or not is_public(fn):
            raise AttributeError(
                f"The method '{method}' does not exist on the model '{records._name}'")
        return fn

    # ------------------------------------------------------------------ JSON-2 (Odoo 19)
    def json2(self, model: str, method: str, body: Any, authorization: str | None,
              database: str | None) -> Any:
        if self.db.version != "19":
            raise HttpError(404, "werkzeug.exceptions.NotFound", "404: Not Found")
        if database and database != self.db.name:
            raise HttpError(404, "werkzeug.exceptions.NotFound", f"database {database!r} not found")
        scheme, _, key = (authorization or "").partition(" ")
        uid = self._uid_for_key(key.strip()) if scheme.lower() == "bearer" else None
        if uid is None:
            raise HttpError(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey")
        if model not in self.db.registry:
            raise HttpError(404, "werkzeug.exceptions.NotFound",
                            f"the model {model!r} does not exist")
        if not isinstance(body, dict):
            raise HttpError(422, "werkzeug.exceptions.UnprocessableEntity",
                            "the body must be a JSON object")
        params = dict(body)
        ids = params.pop("ids", None)
        context = params.pop("context", None) or {}
        with self.db.transaction():
            records = self.db.env(uid, context)[model]
            try:
                fn = self._method(records, method)
            except AttributeError as exc:
                raise HttpError(404, "werkzeug.exceptions.NotFound", str(exc)) from exc
            record_method = not getattr(fn, "_api_model", False)
            if not record_method and ids:
                raise HttpError(422, "werkzeug.exceptions.UnprocessableEntity",
                                f"cannot call {model}.{method} with ids")
            if method == "name_search" and "domain" in params:
                params["args"] = params.pop("domain")
            bound_args = [ids or []] if record_method else []
            try:
                inspect.signature(fn).bind(*bound_args, **params)
            except TypeError as exc:
                raise HttpError(422, "werkzeug.exceptions.UnprocessableEntity", str(exc)) from exc
            return fn(*bound_args, **params)

    def _uid_for_key(self, key: str) -> int | None:
        if not key:
            return None
        for uid, row in self.db.tables["res.users"].items():
            if row.get("active") and check_api_key(key, row.get("_api_key")):
                return uid
        return None
