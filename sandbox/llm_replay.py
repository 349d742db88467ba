"""An OpenAI-compatible chat server that replays scripted completions (tests, offline demo).

Each POST to ``/v1/chat/completions`` is recorded and answered with the next scripted
reply: plain content, or tool calls. The real ``openai`` client inside CrewAI's LLM talks
to it over loopback, so the whole client path (HTTP, JSON, tool-call parsing) runs.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.loopback import LoopbackServer


def tool_call(name: str, **arguments: Any) -> dict[str, Any]:
    """A scripted reply that calls one tool."""
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def answer(content: str | dict[str, Any]) -> dict[str, Any]:
    """A scripted final reply (a dict is sent as its JSON)."""
    return {"content": content if isinstance(content, str) else json.dumps(content)}


class ScriptedLLM(LoopbackServer):
    """``script(...)`` queues replies; ``requests`` holds every request body received."""

    def __init__(self, *, model: str = "scripted-model"):
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        app = Starlette(routes=[
            Route("/v1/chat/completions", self._completions, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"])])
        super().__init__(app, lifespan="off")

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def script(self, *replies: dict[str, Any]) -> None:
        with self._lock:
            self._replies.extend(replies)

    def pending(self) -> int:
        return len(self._replies)

    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [
            {"id": self.model, "object": "model", "created": 0, "owned_by": "sandbox"}]})

    async def _completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            reply = self._replies.popleft() if self._replies else None
        if reply is None:
            return JSONResponse({"error": {"message": "no scripted reply left",
                                           "type": "invalid_request_error"}}, status_code=400)
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
        finish = "stop"
        if calls := reply.get("tool_calls"):
            message["tool_calls"] = [
                {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                 "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
                for c in calls]
            finish = "tool_calls"
        return JSONResponse({
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})
