"""The HTTP face of the embedded Odoo: the same routes and envelopes as a real Odoo.

- ``POST /jsonrpc``: errors are HTTP 200 with ``error.data.name``; ``None`` → no ``result``.
- ``POST /xmlrpc/2/common|object``: faults with Odoo's codes (1 generic with the traceback,
  2 user error, 3 access denied, 4 access error); ``None`` cannot be marshalled.
- ``POST /json/2/<model>/<method>`` (emulated Odoo 19 only) and ``GET /web/version``.
"""

from __future__ import annotations

import json
import traceback
import xmlrpc.client
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.loopback import LoopbackServer
from sandbox.odoo.database import Database
from sandbox.odoo.exceptions import AccessDenied, AccessError, UserError, qualified_name
from sandbox.odoo.service import HttpError, OdooService

XML = "text/xml; charset=utf-8"


def _error_data(exc: BaseException) -> dict[str, Any]:
    message = exc.message if isinstance(exc, UserError) else str(exc)
    return {"name": qualified_name(exc), "debug": "".join(traceback.format_exception(exc)),
            "message": message, "arguments": list(exc.args), "context": {}}


def _fault_code(exc: BaseException) -> int:
    if isinstance(exc, AccessError):
        return 4
    if isinstance(exc, AccessDenied):
        return 3
    if isinstance(exc, UserError):
        return 2
    return 1


def create_app(db: Database) -> Starlette:
    """The ASGI application serving ``db``."""
    service = OdooService(db)

    async def jsonrpc(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
            params = payload["params"]
            if not isinstance(params, dict):
                raise ValueError("params must be an object")
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {
                "code": 400, "message": "Odoo Server Error", "data": {
                    "name": "werkzeug.exceptions.BadRequest", "debug": "",
                    "message": f"400 Bad Request: Invalid JSON-RPC request: {exc}",
                    "arguments": [], "context": {}}}})
        request_id = payload.get("id")
        try:
            result = await run_in_threadpool(service.dispatch, params.get("service", ""),
                                             params.get("method", ""), params.get("args") or [])
        except Exception as exc:
            return JSONResponse({"jsonrpc": "2.0", "id": request_id, "error": {
                "code": 200, "message": "Odoo Server Error", "data": _error_data(exc)}})
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if result is not None:
            body["result"] = result
        return JSONResponse(body)

    def xmlrpc_route(service_name: str) -> Any:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()

            def run() -> bytes:
                try:
                    args, method = xmlrpc.client.loads(raw)
                    result = service.dispatch(service_name, method or "", list(args))
                    return xmlrpc.client.dumps((result,), methodresponse=True,
                                               allow_none=False).encode()
                except Exception as exc:
                    code = _fault_code(exc)
                    text = "".join(traceback.format_exception(exc)) if code == 1 else (
                        exc.message if isinstance(exc, UserError) else str(exc))
                    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, text),
                                               allow_none=False).encode()

            return Response(await run_in_threadpool(run), media_type=XML)

        return endpoint

    async def json2(request: Request) -> Response:
        model, method = request.path_params["model"], request.path_params["method"]
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        try:
            result = await run_in_threadpool(
                service.json2, model, method, body, request.headers.get("authorization"),
                request.headers.get("x-odoo-database"))
        except HttpError as exc:
            return JSONResponse({"name": exc.name, "message": exc.message,
                                 "arguments": [exc.message, exc.status], "context": {},
                                 "debug": ""}, status_code=exc.status)
        except Exception as exc:
            status = getattr(exc, "http_status", 500) if isinstance(exc, UserError) else 500
            return JSONResponse(_error_data(exc), status_code=status)
        return JSONResponse(result)

    async def json2_help(request: Request) -> Response:
        return JSONResponse({"name": "werkzeug.exceptions.NotFound",
                             "message": "Did you mean POST /json/2/<model>/<method>?"},
                            status_code=404)

    async def web_version(request: Request) -> Response:
        info = service.version()
        return JSONResponse({"version_info": info["server_version_info"],
                             "version": info["server_version"]})

    routes = [
        Route("/jsonrpc", jsonrpc, methods=["POST"]),
        Route("/xmlrpc/2/common", xmlrpc_route("common"), methods=["POST"]),
        Route("/xmlrpc/2/object", xmlrpc_route("object"), methods=["POST"]),
        Route("/xmlrpc/2/db", xmlrpc_route("db"), methods=["POST"]),
        Route("/web/version", web_version, methods=["GET"]),
        Route("/json/2/{model}/{method}", json2, methods=["POST"]),
        Route("/json/2", json2_help),
    ]
    app = Starlette(routes=routes)
    app.state.service = service
    return app


class EmbeddedOdoo(LoopbackServer):
    """Runs the embedded Odoo on a loopback port, in-process (tests) or as a command."""

    def __init__(self, data_dir: Path | str, *, host: str = "127.0.0.1", port: int = 0,
                 version: str = "17", db_name: str = "casaobra", demo: bool = True):
        self.db = Database(Path(data_dir) / f"{db_name}-odoo{version}.sqlite", db_name, version,
                           demo=demo)
        super().__init__(create_app(self.db), host=host, port=port, lifespan="off")

    def stop(self) -> None:
        super().stop()
        self.db.close()

    def __enter__(self) -> EmbeddedOdoo:
        self.start()
        return self
