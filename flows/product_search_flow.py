"""The product search flow as a CrewAI Flow: find (MCP search) → reply (crew or template).

``find`` always runs the deterministic search through the catalog MCP tools. ``reply``
asks the product search crew to word the answer when an LLM is configured
(``BALCAO_LLM_MODEL``); otherwise the template's message stands. Either way the products,
prices and stock are the computed ones.
"""

from __future__ import annotations

import json

from crewai.flow.flow import Flow, listen, start
from pydantic import BaseModel, PrivateAttr

from crews.llm import llm_from_settings
from crews.product_search.crew import build_crew
from flows.crew_events import routed
from flows.mcp_client import gateway_tools
from flows.product_search import ProductAnswer, search_products
from flows.run_events import Emit, ignore
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings, get_settings


class ProductSearchState(BaseModel):
    query: str = ""
    tenant: str = ""
    limit: int = 3
    answer: ProductAnswer | None = None
    worded_by: str = ""


class ProductSearchFlow(Flow[ProductSearchState]):
    """``ProductSearchFlow(settings).kickoff(inputs={"query": "furadeira 220V"})``."""

    _skip_auto_memory = True  # no CrewAI memory store on disk: the flow keeps no memory
    _settings: Settings = PrivateAttr()
    _gateway: Gateway | None = PrivateAttr(default=None)
    _emit: Emit = PrivateAttr()

    def __init__(self, settings: Settings | None = None, gateway: Gateway | None = None,
                 emit: Emit = ignore):
        super().__init__(suppress_flow_events=True)
        self._settings = settings or get_settings()
        self._gateway = gateway
        self._emit = emit

    @start()
    async def find(self) -> None:
        async with gateway_tools(self._settings, role="viewer",
                                 gateway=self._gateway) as tools:
            self.state.answer = await search_products(
                tools, self.state.query, limit=self.state.limit, tenant=self.state.tenant)

    @listen(find)
    async def reply(self) -> ProductAnswer:
        answer = self.state.answer
        assert answer is not None  # set by find
        llm = llm_from_settings(self._settings)
        if llm is None:
            self.state.worded_by = "template"
            return answer
        crew = build_crew(llm)
        with routed(crew, self._emit, lambda: ("reply", 0.8)):
            result = await crew.kickoff_async(inputs={
                "query": answer.query,
                "language": "English" if answer.language == "en" else "português do Brasil",
                "candidates": json.dumps([s.model_dump() for s in answer.best],
                                         ensure_ascii=False),
                "alternatives": json.dumps([s.model_dump() for s in answer.alternatives],
                                           ensure_ascii=False)})
        answer.message = str(result.raw).strip() or answer.message
        self.state.worded_by = "crew"
        return answer


def main() -> None:  # pragma: no cover - `python -m flows.product_search_flow "query"`
    import sys

    flow = ProductSearchFlow()
    answer = flow.kickoff(inputs={"query": " ".join(sys.argv[1:]) or "furadeira 220V"})
    print(answer.message)


if __name__ == "__main__":  # pragma: no cover
    main()
