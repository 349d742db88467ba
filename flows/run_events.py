"""Progress of a flow run as events: one per stage and per tool call, then done or error.

Flows take an ``emit`` callback; the terminal draws progress bars from it, the workers
publish it to Redis for the crews API's event stream. The shape is the API's SSE payload.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field


class RunEvent(BaseModel):
    type: Literal["stage", "tool", "done", "error"]
    stage: str = ""
    progress: float = Field(0.0, ge=0.0, le=1.0)
    message: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


Emit = Callable[[RunEvent], None]


def ignore(_event: RunEvent) -> None:
    """The default listener: a flow run nobody watches."""


class ObservedTools:
    """MCP tools that report each call (name, seconds, outcome) as a ``tool`` event."""

    def __init__(self, tools: Any, emit: Emit, stage: Callable[[], tuple[str, float]]):
        self.tools, self.emit, self.stage = tools, emit, stage

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        started = time.perf_counter()
        ok = False
        try:
            result = await self.tools.call(tool, **arguments)
            ok = True
            return result
        finally:
            stage, progress = self.stage()
            self.emit(RunEvent(type="tool", stage=stage, progress=progress, message=tool,
                               data={"tool": tool, "ok": ok, "seconds": round(
                                   time.perf_counter() - started, 4)}))
