"""The financial analysis flow: receivables, payables, overdue and cash for analysts.

``fetch`` reads the ledger through the Odoo MCP tools (one session, paged), ``compute``
turns it into exact figures, ``narrate`` words them (finance crew with an LLM, template
without), ``write`` puts down report.json and report.md, ``render`` the charts and
report.html. Run it as ``balcao flow finance`` or ``python -m flows.financial_analysis``
(same options), or ``FinancialAnalysisFlow().kickoff(inputs={...})``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from crewai.flow.flow import Flow, listen, start
from pydantic import BaseModel, PrivateAttr

from crews.financial_analysis.narrative import crew_narrative, template
from crews.llm import llm_from_settings
from flows import finance_fetch, finance_report
from flows.crew_events import routed
from flows.finance_figures import Ledger, compute, jsonable
from flows.mcp_client import gateway_tools
from flows.run_events import Emit, ObservedTools, RunEvent, ignore
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings, get_settings

# (stage, progress when it starts): what the progress bars and the SSE stream show
STAGES = {"fetch_receivables": 0.0, "fetch_payables": 0.25, "fetch_history": 0.4,
          "compute": 0.6, "narrate": 0.65, "write": 0.8, "render": 0.85}


class FinanceInputs(BaseModel):
    tenant: str = ""
    company: str = "all"
    as_of: str = ""
    period: str = "monthly"
    out: str = "reports"
    language: str = "pt"

    def checked(self, settings: Settings) -> FinanceInputs:
        """Inputs with defaults filled in, or ValueError naming the bad one."""
        finance_fetch.company_id(self.company)
        as_of = self.as_of or dt.datetime.now(_zone(settings)).date().isoformat()
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValueError(f"as_of must be a date YYYY-MM-DD, not {as_of!r}") from None
        finance_fetch.periods(as_of, self.period)
        if self.language not in ("pt", "en"):
            raise ValueError("language must be pt or en")
        return self.model_copy(update={"as_of": as_of,
                                       "tenant": self.tenant or settings.default_tenant})


class FinanceState(FinanceInputs):
    files: list[str] = []
    narrative_by: str = ""


def _zone(settings: Settings) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.timezone)


class FinancialAnalysisFlow(Flow[FinanceState]):
    """``FinancialAnalysisFlow(settings, emit=print).kickoff(inputs={"company": "all"})``
    returns the report (the dict written to report.json)."""

    _skip_auto_memory = True
    _settings: Settings = PrivateAttr()
    _gateway: Gateway | None = PrivateAttr(default=None)
    _emit: Emit = PrivateAttr()
    _stage: tuple[str, float] = PrivateAttr(default=("", 0.0))
    _ledger: Ledger | None = PrivateAttr(default=None)
    _report: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, settings: Settings | None = None, gateway: Gateway | None = None,
                 emit: Emit = ignore):
        super().__init__(suppress_flow_events=True)
        self._settings = settings or get_settings()
        self._gateway = gateway
        self._emit = emit

    def stage(self, name: str, message: str, within: float = 0.0) -> None:
        """Announce a stage (or progress ``within`` it, 0..1) to whoever listens."""
        names = list(STAGES)
        start_at = STAGES[name]
        end_at = STAGES[names[names.index(name) + 1]] if name != names[-1] else 1.0
        progress = round(start_at + (end_at - start_at) * within, 4)
        self._stage = (name, progress)
        self._emit(RunEvent(type="stage", stage=name, progress=progress, message=message,
                            data={"within": round(within, 4)}))

    @property
    def inputs(self) -> FinanceInputs:
        return FinanceInputs(**self.state.model_dump(include=set(FinanceInputs.model_fields)))

    @start()
    async def fetch(self) -> None:
        inputs = self.inputs.checked(self._settings)
        self.state.as_of, self.state.tenant = inputs.as_of, inputs.tenant
        scope = {"tenant": inputs.tenant, "company": inputs.company, "as_of": inputs.as_of}
        async with gateway_tools(self._settings, role="viewer",
                                 gateway=self._gateway) as session:
            tools = ObservedTools(session, self._emit, lambda: self._stage)
            self.stage("fetch_receivables", "open customer invoices")
            receivables, rec_totals = await finance_fetch.open_items(
                tools, "receivable", **scope, progress=lambda n, total: self.stage(
                    "fetch_receivables", f"{n} of {total} open invoices", n / max(total, 1)))
            self.stage("fetch_payables", "open vendor bills")
            payables, pay_totals = await finance_fetch.open_items(
                tools, "payable", **scope, progress=lambda n, total: self.stage(
                    "fetch_payables", f"{n} of {total} open bills", n / max(total, 1)))
            self.stage("fetch_history", "revenue and expenses per period, payment history")
            flows = await finance_fetch.period_flows(
                tools, **scope, period=inputs.period, progress=lambda n, total: self.stage(
                    "fetch_history", f"period {n} of {total}", 0.8 * n / total))
            paid = await finance_fetch.paid_invoices(tools, **scope)
        self._ledger = Ledger(**scope, period=inputs.period, receivables=receivables,
                              payables=payables, paid_invoices=paid, flows=flows,
                              tool_totals={**rec_totals, **pay_totals})

    @listen(fetch)
    def compute(self) -> None:
        assert self._ledger is not None  # set by fetch
        self.stage("compute", "ageing, DSO, projection, risk")
        self._report = jsonable(compute(self._ledger))

    @listen(compute)
    async def narrate(self) -> None:
        self.stage("narrate", "executive summary, risks, actions")
        llm = llm_from_settings(self._settings)
        language = self.state.language
        narrative = (await crew_narrative(
            llm, self._report, language,
            watch=lambda crew: routed(crew, self._emit, lambda: self._stage))
            if llm is not None else template(self._report, language))
        self._report["narrative"] = narrative.model_dump()
        self.state.narrative_by = narrative.written_by

    @listen(narrate)
    def write(self) -> None:
        self.stage("write", "report.json and report.md")
        out = Path(self.state.out)
        self._report["files"] = ["report.json", "report.md", "report.html",
                                 *finance_report.CHARTS]
        self.state.files = [str(p) for p in finance_report.write(self._report, out)]

    @listen(write)
    def render(self) -> dict[str, Any]:
        self.stage("render", "charts and report.html")
        self.state.files += [str(p) for p in finance_report.render(self._report,
                                                                   Path(self.state.out))]
        self._emit(RunEvent(type="stage", stage="render", progress=1.0, message="report ready",
                            data={"files": self._report["files"]}))
        return self._report


def run(inputs: FinanceInputs, *, settings: Settings | None = None,
        gateway: Gateway | None = None, emit: Emit = ignore) -> dict[str, Any]:
    """Run the flow to completion (for the CLI, the workers and the bench)."""
    flow = FinancialAnalysisFlow(settings, gateway=gateway, emit=emit)
    return asyncio.run(flow.kickoff_async(inputs=inputs.model_dump()))


def main() -> None:  # pragma: no cover - `python -m flows.financial_analysis ...`
    from flows.finance_cli import app

    app()


if __name__ == "__main__":  # pragma: no cover
    main()
