"""A fake Odoo speaking the three wire formats through ``httpx.MockTransport``.

It is a recorder, not an ORM: tests register answers per (model, method) and then assert what
the connector and transports actually put on the wire. No server, no sockets.
"""

from __future__ import annotations

import json
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

API_KEY = "171dd109876ea19ba00e68de5edfa2e5b3ef5443"  # demo key of user "vendas"
DB = "casaobra"
URL = "http://odoo.test:8069"


class RpcError(Exception):
    """Raise inside a handler to make the fake answer an Odoo error of class ``name``."""

    def __init__(self, name: str, message: str, fault_code: int = 1, status: int = 500):
        super().__init__(message)
        self.name, self.message, self.fault_code, self.status = name, message, fault_code, status


@dataclass
class Call:
    protocol: str
    model: str
    method: str
    args: list[Any]
    kwargs: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeOdoo:
    major: int = 17
    uid: int = 7
    secret: str = API_KEY
    db: str = DB
    url: str = URL
    jsonrpc_enabled: bool = True
    handlers: dict[tuple[str, str], Callable[[list, dict], Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)  # raised before answering, FIFO
    authenticate_calls: int = 0

    error = RpcError  # tests raise fake_odoo.error(name, message, ...) inside handlers

    def on(self, model: str, method: str, fn: Callable[[list, dict], Any] | Any) -> None:
        self.handlers[(model, method)] = fn if callable(fn) else (lambda a, k, v=fn: v)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    # --- dispatch ---------------------------------------------------------------------------

    def _version(self) -> dict[str, Any]:
        info = [self.major, 0, 0, "final", 0, ""]
        return {"server_version": f"{self.major}.0", "server_version_info": info,
                "server_serie": f"{self.major}.0", "protocol_version": 1}

    def _common(self, method: str, args: list) -> Any:
        if method == "version":
            return self._version()
        if method == "authenticate":
            self.authenticate_calls += 1
            return self.uid if args[0] == self.db and args[2] == self.secret else False
        raise RpcError("builtins.AttributeError", f"no common.{method}")

    def _object(self, protocol: str, args: list, headers: dict[str, str]) -> Any:
        db, _uid, secret, model, method, margs, mkwargs = args
        self.calls.append(Call(protocol, model, method, margs, mkwargs, headers))
        if db != self.db:
            raise RpcError("psycopg2.OperationalError", f'database "{db}" does not exist')
        if secret != self.secret:
            raise RpcError("odoo.exceptions.AccessDenied", "Access Denied", 3, 401)
        handler = self.handlers.get((model, method))
        if handler is None:
            raise RpcError("builtins.AttributeError",
                           f"The method '{method}' does not exist on the model '{model}'")
        return handler(margs, mkwargs)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            raise self.failures.pop(0)
        path = request.url.path
        if path == "/jsonrpc":
            if not self.jsonrpc_enabled:
                return httpx.Response(404, text="<html>404: Not Found</html>")
            return self._jsonrpc(request)
        if path.startswith("/xmlrpc/2/"):
            return self._xmlrpc(request, path.rsplit("/", 1)[1])
        if path == "/web/version":
            return httpx.Response(200, json={"version_info": [self.major, 0, 0, "final", 0, ""],
                                             "version": f"{self.major}.0"})
        if path.startswith("/json/2/") and self.major >= 19:
            return self._json2(request)
        return httpx.Response(404, text="<html>404: Not Found</html>")

    def _jsonrpc(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        params = payload["params"]
        try:
            if params["service"] == "common":
                result = self._common(params["method"], params["args"])
            else:
                result = self._object("jsonrpc", params["args"], dict(request.headers))
        except RpcError as exc:
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": payload["id"], "error": {
                "code": 200, "message": "Odoo Server Error",
                "data": {"name": exc.name, "message": exc.message, "arguments": [exc.message],
                         "debug": "Traceback (most recent call last):\n  File x", "context": {}}}})
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": payload["id"]}
        if result is not None:
            body["result"] = result
        return httpx.Response(200, json=body)

    def _xmlrpc(self, request: httpx.Request, service: str) -> httpx.Response:
        params, method = xmlrpc.client.loads(request.content)
        try:
            if service == "common":
                result = self._common(method, list(params))
            else:
                result = self._object("xmlrpc", list(params), dict(request.headers))
            body = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except RpcError as exc:
            text = exc.message if exc.fault_code != 1 else (
                "Traceback (most recent call last):\n  File \"x.py\", line 1\n"
                f"{exc.name.rsplit('.', 1)[1]}: {exc.message}\n")
            body = xmlrpc.client.dumps(xmlrpc.client.Fault(exc.fault_code, text))
        except TypeError as exc:  # what Odoo does when a method returns None
            body = xmlrpc.client.dumps(xmlrpc.client.Fault(
                1, f"Traceback (most recent call last):\n  File x\nTypeError: {exc}\n"))
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/xml"})

    def _json2(self, request: httpx.Request) -> httpx.Response:
        _, _, _, model, method = request.url.path.split("/", 4)
        body = json.loads(request.content or b"{}")
        headers = dict(request.headers)
        token = headers.get("authorization", "").removeprefix("bearer ")
        if token != self.secret:
            return httpx.Response(401, json={"name": "werkzeug.exceptions.Unauthorized",
                                             "message": "Invalid apikey",
                                             "arguments": ["Invalid apikey", 401], "context": {},
                                             "debug": "Traceback (most recent call last): ..."})
        if (model, method) == ("res.users", "context_get"):
            self.calls.append(Call("json2", model, method, [], body, headers))
            return httpx.Response(200, json={"lang": "en_US", "tz": "UTC", "uid": self.uid})
        self.calls.append(Call("json2", model, method, [], body, headers))
        handler = self.handlers.get((model, method))
        if handler is None:
            return httpx.Response(404, json={"name": "werkzeug.exceptions.NotFound",
                                             "message": f"the model '{model}' does not exist"})
        try:
            return httpx.Response(200, json=handler([], body))
        except RpcError as exc:
            return httpx.Response(exc.status, json={"name": exc.name, "message": exc.message,
                                                    "arguments": [exc.message], "context": {}})


@pytest.fixture
def make_fake_odoo() -> Callable[..., FakeOdoo]:
    """Factory: ``make_fake_odoo(major=19, jsonrpc_enabled=False, ...)``."""
    return FakeOdoo


@pytest.fixture
def fake_odoo() -> FakeOdoo:
    """An Odoo 17 with JSON-RPC, XML-RPC and no JSON-2."""
    return FakeOdoo()
