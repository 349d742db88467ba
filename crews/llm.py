"""The language model crews use, from settings; None means deterministic mode.

No model is configured by default: everything runs offline, and the flows fall back to
templates over the same computed figures.
"""

from __future__ import annotations

from crewai import LLM

from mcp_servers.settings import Settings


def llm_from_settings(settings: Settings) -> LLM | None:
    if not settings.llm_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LLM(model=settings.llm_model, base_url=settings.llm_base_url or None, api_key=key,
               temperature=0.2, timeout=settings.llm_timeout_s)
