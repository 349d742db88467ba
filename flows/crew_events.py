"""CrewAI's event bus, routed to the run that owns the crew.

The bus is process-wide and several runs share a worker, so each event goes to the run
whose crew's agent raised it (by agent id): its tool calls as ``tool`` events and each
model answer as a ``stage`` event. Handlers run on the bus's own threads; the bus is
flushed before the route closes so no event lands after the stage that caused it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from crewai.events import crewai_event_bus
from crewai.events.types.llm_events import LLMCallCompletedEvent
from crewai.events.types.tool_usage_events import (
    ToolUsageErrorEvent,
    ToolUsageFinishedEvent,
)

from flows.run_events import Emit, RunEvent

Where = Callable[[], tuple[str, float]]  # the run's current (stage, progress)
_routes: dict[str, tuple[Emit, Where]] = {}
_lock = threading.Lock()
_installed = False


def _forward(_source: Any, event: Any) -> None:
    route = _routes.get(str(getattr(event, "agent_id", "") or ""))
    if route is None:
        return
    emit, where = route
    stage, progress = where()
    if isinstance(event, LLMCallCompletedEvent):
        emit(RunEvent(type="stage", stage=stage, progress=progress, message="model answered",
                      data={"source": "crewai", "agent": event.agent_role or "",
                            "model": event.model or ""}))
        return
    emit(RunEvent(type="tool", stage=stage, progress=progress, message=event.tool_name,
                  data={"source": "crewai", "tool": event.tool_name, "agent":
                        event.agent_role or "",
                        "ok": isinstance(event, ToolUsageFinishedEvent)}))


def _install() -> None:
    global _installed
    with _lock:
        if not _installed:
            for kind in (LLMCallCompletedEvent, ToolUsageFinishedEvent, ToolUsageErrorEvent):
                crewai_event_bus.register_handler(kind, _forward)
            _installed = True


@contextmanager
def routed(crew: Any, emit: Emit, where: Where) -> Iterator[None]:
    """While open, ``crew``'s bus events reach ``emit``."""
    _install()
    ids = [str(agent.id) for agent in crew.agents]
    with _lock:
        _routes.update({agent_id: (emit, where) for agent_id in ids})
    try:
        yield
    finally:
        crewai_event_bus.flush()
        with _lock:
            for agent_id in ids:
                _routes.pop(agent_id, None)
