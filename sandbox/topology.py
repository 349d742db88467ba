"""The deployed topology without Docker: every Balcão role as its own OS process (the
reliability suite and `bench/load.py`).

One redis-server (AOF on), the MCP gateway (`balcao mcp serve --server gateway --transport
http`, JWT), N API processes (`balcao api`) on their own ports and M Celery workers
(`balcao worker`), all started with the same commands compose runs. API and workers reach
Odoo, Qdrant and Chatwoot only through the gateway over HTTP (``BALCAO_MCP_URL``). The
backends are the embedded Odoo and the Chatwoot double, served by the test process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from mcp_servers.gateway.tokens import mint_token
from mcp_servers.settings import Settings
from sandbox.chatwoot import DEMO_WEBHOOK_SECRET, EmbeddedChatwoot
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key
from sandbox.redis_server import RedisServer

JWT_SECRET = "topology-" + "s" * 40
SERVICE_TOKEN_SUBJECT = "balcao-service"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout_s: float, what: str,
             log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            result = condition()
        except (httpx.HTTPError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    raise TimeoutError(f"{what} did not happen in {timeout_s:.0f} s\n{tail}")


class Topology:
    def __init__(self, tmp: Path, *, odoo: EmbeddedOdoo, chatwoot: EmbeddedChatwoot,
                 qdrant_path: Path, env: dict[str, str] | None = None):
        self.tmp, self.odoo, self.chatwoot = tmp, odoo, chatwoot
        self.redis = RedisServer(tmp / "redis", appendonly=True)
        (tmp / "redis").mkdir(exist_ok=True)
        self.gateway_port = free_port()
        self.settings = Settings(_env_file=None, jwt_secret=JWT_SECRET)
        token = mint_token(self.settings, subject=SERVICE_TOKEN_SUBJECT, role="admin",
                           tenant="casaobra", ttl_s=6 * 3600)
        self.env = {
            **os.environ, "ODOO_URL": odoo.url, "ODOO_API_KEY": demo_api_key("admin"),
            "BALCAO_ODOO_WRITE_TOOLS": "create_quotation,create_partner",
            "BALCAO_REDIS_URL": self.redis.url, "BALCAO_CHATWOOT_URL": chatwoot.url,
            "BALCAO_CHATWOOT_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
            "BALCAO_DEBOUNCE_S": "0.3", "BALCAO_TASK_VISIBILITY_S": "10",
            "BALCAO_TURN_RETRY_BASE_S": "1", "BALCAO_TURN_RETRIES": "6",
            "BALCAO_BUSINESS_HOURS": "", "BALCAO_JWT_SECRET": JWT_SECRET,
            "BALCAO_TENANTS_FILE": str(tmp / "none.json"), "QDRANT_PATH": str(qdrant_path),
            "BALCAO_AUDIT_DIR": str(tmp / "audit"), "BALCAO_RUNS_DIR": str(tmp / "runs"),
            "BALCAO_MCP_TOKEN": token, "BALCAO_LOG_LEVEL": "INFO", **(env or {})}
        self.mcp_url = f"http://127.0.0.1:{self.gateway_port}/mcp"
        self.gateway: subprocess.Popen[bytes] | None = None
        self.apis: list[tuple[subprocess.Popen[bytes], str]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self.worker_logs: list[Path] = []  # one per worker ever started
        self.restarts: list[int] = []  # exit codes of the workers the supervisor replaced
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)

    def _spawn(self, args: list[str], log: str, *, flows: bool = True
               ) -> subprocess.Popen[bytes]:
        env = {**self.env, "BALCAO_MCP_URL": self.mcp_url if flows else ""}
        with (self.tmp / log).open("ab") as out:
            return subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=env,
                                    stdout=out, stderr=out, start_new_session=True)

    def start(self, *, apis: int, workers: int) -> Topology:
        self.redis.start()
        self.gateway = self._spawn(["mcp", "serve", "--server", "gateway", "--transport",
                                    "http", "--port", str(self.gateway_port)], "gateway.log",
                                   flows=False)
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{self.gateway_port}/health",
                                   timeout=2).is_success, 120, "the gateway",
                 self.tmp / "gateway.log")
        for _ in range(apis):
            self.start_api()
        for _ in range(workers):
            self.start_worker()
        self._supervisor.start()
        return self

    def _supervise(self) -> None:
        """compose's ``restart: unless-stopped`` for the workers: one that exits (killed,
        or crashed) is replaced, and late acknowledgement redelivers what it held."""
        while not self._stopping.wait(0.5):
            with self._lock:
                for index, process in enumerate(self.workers):
                    if process.poll() is not None and not self._stopping.is_set():
                        self.restarts.append(process.returncode)
                        self.workers[index] = self._start_worker_process()

    def start_api(self) -> str:
        port = free_port()
        process = self._spawn(["api", "--port", str(port)], f"api-{port}.log")
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{url}/health", timeout=2).is_success, 60,
                 f"the API on {port}", self.tmp / f"api-{port}.log")
        self.apis.append((process, url))
        return url

    def start_worker(self) -> subprocess.Popen[bytes]:
        with self._lock:
            process = self._start_worker_process()
            self.workers.append(process)
            return process

    def _start_worker_process(self) -> subprocess.Popen[bytes]:
        n = len(self.worker_logs)
        process = self._spawn(["worker", "--concurrency", "2", "--loglevel", "INFO"],
                              f"worker-{n}.log")
        log = self.tmp / f"worker-{n}.log"
        self.worker_logs.append(log)
        wait_for(lambda: b"ready." in log.read_bytes(), 90, f"worker {n}", log)
        return process

    def kill_worker(self, index: int) -> None:
        """SIGKILL the worker's whole process group (its pool children too); the
        supervisor starts a new one, as compose's restart policy would."""
        process = self.workers[index]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    @property
    def api_urls(self) -> list[str]:
        return [url for _process, url in self.apis]

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("*.log")))

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(120)
        processes = [p for p in self.workers] + [p for p, _ in self.apis]
        processes += [self.gateway] if self.gateway else []
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.redis.stop()
