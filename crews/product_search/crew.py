"""The product search crew: one agent that words the reply from computed results.

Agents and tasks are in ``config/*.yaml`` (edit the wording there, not here). The crew gets
no tools: the flow has already searched through MCP, so the model can neither call
backends nor change a figure; it only writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from crewai import LLM, Agent, Crew, Process, Task

CONFIG = Path(__file__).parent / "config"


def load_config() -> tuple[dict[str, Any], dict[str, Any]]:
    agents = yaml.safe_load((CONFIG / "agents.yaml").read_text(encoding="utf-8"))
    tasks = yaml.safe_load((CONFIG / "tasks.yaml").read_text(encoding="utf-8"))
    return agents, tasks


def build_crew(llm: LLM) -> Crew:
    """The crew, ready for ``kickoff(inputs={query, candidates, alternatives, language})``."""
    agents_cfg, tasks_cfg = load_config()
    agents = {name: Agent(llm=llm, tools=[], allow_delegation=False, verbose=False, **cfg)
              for name, cfg in agents_cfg.items()}
    tasks = [Task(agent=agents[cfg.pop("agent")], **cfg) for cfg in tasks_cfg.values()]
    return Crew(agents=list(agents.values()), tasks=tasks, process=Process.sequential,
                verbose=False)
