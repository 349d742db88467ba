"""Run an ASGI app on a loopback port in a background thread (embedded backends, tests).

The socket is created with ``IPPROTO_TCP`` so asyncio sets ``TCP_NODELAY`` on accepted
connections; without it Nagle + delayed ACK add ~40 ms to every keep-alive round trip.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn


class LoopbackServer:
    """``start()``/``stop()`` or a context manager; ``url`` once bound (port 0 = any free)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0,
                 lifespan: str = "auto"):
        self.host = host
        self._app, self._lifespan = app, lifespan
        self.port = port
        self._bind()
        self._thread: threading.Thread | None = None

    def _bind(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self.host, self.port))
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self._app, log_level="warning",
                                                     access_log=False,
                                                     lifespan=self._lifespan))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self.serve_forever, name="loopback-server",
                                        daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server on {self.url} failed to start")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
        self._socket.close()

    def pause(self) -> None:
        """A real outage: the port stops listening (connection refused) until ``resume``."""
        LoopbackServer.stop(self)

    def resume(self) -> None:
        """Listen again on the same port with the same app and its data."""
        self._bind()
        self.start()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
