"""The LLM engine of order intake: one agent reads the turn into a ``ParsedTurn``.

Agents and tasks are in ``config/*.yaml``. The agent's only tool searches the catalog
over the turn's own MCP session (no new connection per call, unlike CrewAI's ``mcps=``):
the crew runs in a worker thread and each tool call is handed back to the event loop that
owns the session. Tool results carry names and codes, never prices. The output is
validated as a pydantic model; anything unusable falls back to the offline parser, so a
flaky model degrades the reply instead of losing the turn.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Protocol

import yaml
from crewai import LLM, Agent, Crew, Process, Task
from crewai.tools import BaseTool
from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from crews.order_intake import guard
from crews.order_intake.offline import ParsedTurn, parse

CONFIG = Path(__file__).parent / "config"
TOOL_TIMEOUT_S = 30.0
log = logging.getLogger(__name__)
logging.getLogger("crewai.llms.base_llm").setLevel(logging.ERROR)  # token-count estimates


class ToolCaller(Protocol):
    """An open MCP session (``flows.mcp_client.McpTools``)."""

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]: ...


class CatalogSearchArgs(BaseModel):
    query: str = Field(description="Product words, e.g. 'parafuso sextavado 3/8 x 2'.")
    limit: int = Field(5, ge=1, le=10, description="How many products to return.")


class CatalogSearchTool(BaseTool):
    """The catalog, searched over the turn's MCP session."""

    name: str = "catalog_search"
    description: str = ("Search the store's catalog by product words or code; returns codes, "
                        "names, units and categories (no prices).")
    args_schema: type[BaseModel] = CatalogSearchArgs
    _caller: ToolCaller = PrivateAttr()
    _loop: asyncio.AbstractEventLoop = PrivateAttr()
    _tenant: str = PrivateAttr()

    def __init__(self, caller: ToolCaller, loop: asyncio.AbstractEventLoop, tenant: str):
        super().__init__()
        self._caller, self._loop, self._tenant = caller, loop, tenant

    def _run(self, query: str, limit: int = 5) -> str:
        future = asyncio.run_coroutine_threadsafe(self._caller.call(
            "catalog_search", query=query, limit=limit, tenant=self._tenant, live=False),
            self._loop)
        result = future.result(timeout=TOOL_TIMEOUT_S)
        hits = [{key: hit.get(key) for key in ("default_code", "name", "uom", "category")}
                for hit in result.get("hits", [])]
        return json.dumps(hits, ensure_ascii=False)


def load_config() -> tuple[dict[str, Any], dict[str, Any]]:
    agents = yaml.safe_load((CONFIG / "agents.yaml").read_text(encoding="utf-8"))
    tasks = yaml.safe_load((CONFIG / "tasks.yaml").read_text(encoding="utf-8"))
    return agents, tasks


def build_crew(llm: LLM, tools: list[BaseTool]) -> tuple[Crew, Agent]:
    """The crew for ``kickoff(inputs={message, cart, pending})`` and its one agent."""
    agents_cfg, tasks_cfg = load_config()
    agent = Agent(llm=llm, tools=tools, allow_delegation=False, verbose=False, max_iter=4,
                  **agents_cfg["order_clerk"])
    task_cfg = dict(tasks_cfg["understand_turn"])
    task_cfg.pop("agent")
    task = Task(agent=agent, output_pydantic=ParsedTurn, **task_cfg)
    return Crew(agents=[agent], tasks=[task], process=Process.sequential,
                verbose=False), agent


class CrewUnderstanding:
    """The LLM engine: ``await understand(text, cart=…, pending=…)`` → ``ParsedTurn``."""

    def __init__(self, llm: LLM, caller: ToolCaller, tenant: str = "",
                 extra_tools: list[BaseTool] | None = None):
        self.llm, self.caller, self.tenant = llm, caller, tenant
        self.extra_tools = extra_tools or []  # tests: tools the guard must refuse
        self.scope = guard.TurnScope()

    async def understand(self, text: str, *, cart: list[dict[str, Any]],
                         pending: str = "") -> ParsedTurn:
        loop = asyncio.get_running_loop()
        crew, agent = build_crew(self.llm, [CatalogSearchTool(self.caller, loop, self.tenant),
                                            *self.extra_tools])
        guard.bind(agent, self.scope)
        try:
            output = await crew.kickoff_async(inputs={
                "message": text, "cart": json.dumps(cart, ensure_ascii=False),
                "pending": pending or "-"})
            return validated(output.pydantic, output.raw)
        except Exception as exc:  # any model failure (HTTP, timeout, bad JSON): fall back
            log.warning("LLM understanding failed (%s: %s); using the offline parser",
                        type(exc).__name__, exc)
            return parse(text)
        finally:
            guard.release(agent)


def validated(model: BaseModel | None, raw: str) -> ParsedTurn:
    """The crew's answer as a ParsedTurn, or ValueError when it is not one."""
    try:
        if model is not None:
            return ParsedTurn.model_validate(model.model_dump())
        return ParsedTurn.model_validate_json(raw)
    except ValidationError as exc:
        raise ValueError(f"the model's answer is not a ParsedTurn: {exc}") from None


class OfflineUnderstanding:
    """The deterministic engine behind the same interface."""

    async def understand(self, text: str, *, cart: list[dict[str, Any]],
                         pending: str = "") -> ParsedTurn:
        return parse(text)
