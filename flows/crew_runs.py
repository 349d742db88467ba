"""The crews the HTTP API can run, their inputs, and how a worker runs one.

Each crew name maps to a validated input model and a runner that reports progress through
``emit``. Runs act for the tenant of the token that started them, never one named in the
inputs. ``order_intake`` is a dry run: it reads a text message, finds and prices the items
and words the reply, but writes nothing to Odoo (quotations come only from a confirmed
WhatsApp conversation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from flows.mcp_client import gateway_tools
from flows.run_events import Emit, ObservedTools, RunEvent, ignore
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings


class CrewInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderIntakeInputs(CrewInputs):
    message: str = Field(min_length=1, max_length=4000,
                         description="The customer's message, as written.")


class ProductSearchInputs(CrewInputs):
    query: str = Field(min_length=1, max_length=500)
    limit: int = Field(3, ge=1, le=10)


class FinancialAnalysisInputs(CrewInputs):
    company: str = Field("all", pattern=r"^(all|[1-9]\d*)$")
    as_of: dt.date | None = Field(None, description="Default: today in BALCAO_TIMEZONE.")
    period: Literal["monthly", "quarterly"] = "monthly"
    language: Literal["pt", "en"] = "pt"

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_only(cls, value: Any) -> Any:
        if isinstance(value, str) and value and len(value) != 10:
            raise ValueError("as_of must be a date YYYY-MM-DD")
        return value


@dataclass
class RunContext:
    """Where a run happens: its tenant, its files' directory, and who listens."""

    tenant: str
    directory: Path
    settings: Settings
    gateway: Gateway | None = None
    emit: Emit = ignore


Runner = Callable[[Any, RunContext], Awaitable[dict[str, Any]]]


def _stage(ctx: RunContext, stage: str, progress: float, message: str) -> None:
    ctx.emit(RunEvent(type="stage", stage=stage, progress=progress, message=message))


async def run_order_intake(inputs: OrderIntakeInputs, ctx: RunContext) -> dict[str, Any]:
    from flows.order_resolution import resolve
    from flows.order_turn import engine

    where = ["understand", 0.0]
    async with gateway_tools(ctx.settings, role="viewer", gateway=ctx.gateway) as session:
        tools = ObservedTools(session, ctx.emit, lambda: (where[0], where[1]))
        _stage(ctx, "understand", 0.0, "reading the message")
        parsed = await engine(ctx.settings, tools, tenant=ctx.tenant).understand(
            inputs.message, cart=[])
        where[:] = ["resolve", 0.4]
        _stage(ctx, "resolve", 0.4, f"{len(parsed.items)} items to find")
        resolutions = [await resolve(tools, item, ctx.tenant) for item in parsed.items]
    lines = [r.model_dump() for r in resolutions]
    total = round(sum(r.product.price * r.item.quantity for r in resolutions
                      if r.status == "resolved" and r.product), 2)
    return {"intent": parsed.intent, "order_ref": parsed.order_ref, "lines": lines,
            "resolved_total": total, "written_to_odoo": False}


async def run_product_search(inputs: ProductSearchInputs, ctx: RunContext) -> dict[str, Any]:
    from flows.product_search_flow import ProductSearchFlow

    _stage(ctx, "search", 0.0, inputs.query)
    flow = ProductSearchFlow(ctx.settings, gateway=ctx.gateway, emit=ctx.emit)
    answer = await flow.kickoff_async(inputs={"query": inputs.query, "limit": inputs.limit,
                                              "tenant": ctx.tenant})
    _stage(ctx, "reply", 0.8, f"worded by {flow.state.worded_by}")
    return {**answer.model_dump(), "worded_by": flow.state.worded_by}


async def run_financial_analysis(inputs: FinancialAnalysisInputs, ctx: RunContext
                                 ) -> dict[str, Any]:
    from flows.financial_analysis import FinanceInputs, FinancialAnalysisFlow

    flow = FinancialAnalysisFlow(ctx.settings, gateway=ctx.gateway, emit=ctx.emit)
    finance = FinanceInputs(tenant=ctx.tenant, company=inputs.company,
                            as_of=inputs.as_of.isoformat() if inputs.as_of else "",
                            period=inputs.period, language=inputs.language,
                            out=str(ctx.directory))
    return await flow.kickoff_async(inputs=finance.model_dump())


CREWS: dict[str, tuple[type[CrewInputs], Runner]] = {
    "order_intake": (OrderIntakeInputs, run_order_intake),
    "product_search": (ProductSearchInputs, run_product_search),
    "financial_analysis": (FinancialAnalysisInputs, run_financial_analysis),
}


async def execute(crew: str, inputs: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Run ``crew`` on already-validated ``inputs``; the result is JSON-ready."""
    model, runner = CREWS[crew]
    return await runner(model.model_validate(inputs), ctx)
