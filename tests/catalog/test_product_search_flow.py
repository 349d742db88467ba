"""The product search flow and its commands, over the synced catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from flows.mcp_client import gateway_tools
from flows.product_search import search_products
from flows.replies import language_of
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import get_settings
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key

pytestmark = pytest.mark.anyio


async def test_answer_is_ranked_priced_and_explained(gateway: Gateway) -> None:
    async with gateway_tools(gateway.settings, gateway=gateway) as tools:
        answer = await search_products(tools, "parafuso sextavado 3/8 x 2")
    assert answer.language == "pt" and answer.found
    top = answer.best[0]
    assert top.default_code == "FIX-0008"
    assert "3/8x2" in top.why and top.price > 0
    assert f"{top.price:.2f}".replace(".", ",") in answer.message


async def test_out_of_stock_best_match_gets_in_stock_alternatives(gateway: Gateway) -> None:
    async with gateway_tools(gateway.settings, gateway=gateway) as tools:
        answer = await search_products(tools, "FIX-0009")  # 3/8 x 3 bolt: no stock
        assert answer.best[0].default_code == "FIX-0009" and not answer.best[0].in_stock
        english = await search_products(tools, "white paint 18 liters")
    assert answer.alternatives and all(a.in_stock for a in answer.alternatives)
    assert answer.best[0].product_id not in {a.product_id for a in answer.alternatives}
    assert english.language == "en"
    assert "paint" in english.best[0].name.lower()


def test_language_guess() -> None:
    assert language_of("white paint 18 liters") == "en"
    assert language_of("tinta branca 18 litros") == "pt"


def test_cli_sync_then_search(embedded_odoo: EmbeddedOdoo, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ODOO_URL": embedded_odoo.url, "ODOO_API_KEY": demo_api_key("admin"),
                        "BALCAO_TENANTS_FILE": str(tmp_path / "none.json"),
                        "QDRANT_PATH": str(tmp_path / "qdrant"),
                        "BALCAO_AUDIT_DIR": str(tmp_path / "audit")}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        synced = runner.invoke(app, ["catalog", "sync"])
        assert synced.exit_code == 0, synced.output
        assert "embedded 200" in synced.output
        again = runner.invoke(app, ["catalog", "sync"])
        assert "embedded 0" in again.output
        found = runner.invoke(app, ["flow", "search", "furadeira 220V", "--json"])
        assert found.exit_code == 0, found.output
        answer = json.loads(found.output)
        assert [b["default_code"] for b in answer["best"][:2]] == ["FEL-0004", "FEL-0002"]
    finally:
        get_settings.cache_clear()


async def test_crewai_flow_without_llm_uses_the_template(gateway: Gateway) -> None:
    from flows.product_search_flow import ProductSearchFlow

    flow = ProductSearchFlow(gateway.settings, gateway)
    answer = await flow.kickoff_async(inputs={"query": "furadeira 220V"})
    assert flow.state.worded_by == "template"
    assert [s.default_code for s in answer.best[:2]] == ["FEL-0004", "FEL-0002"]
    assert "R$" in answer.message


def test_crew_is_built_from_yaml_with_no_tools() -> None:
    from crewai import LLM

    from crews.product_search.crew import build_crew, load_config

    agents, tasks = load_config()
    crew = build_crew(LLM(model="openai/gpt-4o-mini", api_key="sk-not-used"))
    [agent] = crew.agents
    [task] = crew.tasks
    assert agent.role.strip() == agents["product_specialist"]["role"].strip()
    assert agent.tools == [] and agent.allow_delegation is False
    assert "{candidates}" in task.description and "{query}" in task.description
    assert set(tasks) == {"answer_customer"}


def test_crewai_never_phones_home() -> None:
    import os

    import flows  # noqa: F401  (sets the switches on import)

    assert os.environ["CREWAI_DISABLE_TELEMETRY"] == "true"
    assert os.environ["OTEL_SDK_DISABLED"] == "true"
    assert os.environ["CREWAI_TRACING_ENABLED"] == "false"
