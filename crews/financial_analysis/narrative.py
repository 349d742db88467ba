"""The financial report's narrative: the finance crew's words, or a template's, over the
computed figures.

The crew is handed the figures already formatted and must quote them; its text is then
checked: a number that is not one of the figures (a recomputed total, an invented rate)
rejects the whole narrative and the deterministic template stands instead. Either way the
figures in the text are the computed ones.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

log = logging.getLogger(__name__)
CONFIG = Path(__file__).parent / "config"
NUMBER = re.compile(r"\d[\d.,]*\d|\d")
# words a narrative may use without them being figures: horizons, week, months, buckets
FREE_NUMBERS = {"1", "7", "12", "30", "31", "60", "61", "90", "100"}


class Narrative(BaseModel):
    summary: str
    risks: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    written_by: str = "template"


def brl(value: float) -> str:
    """R$ in Brazilian notation: R$ 1.234.567,89."""
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"R$ {text}"


def facts(report: dict[str, Any]) -> dict[str, str]:
    """The figures a narrative may quote, formatted once for both writers."""
    rec, pay = report["receivables"], report["payables"]
    horizons = report["cash_projection"]["horizons"]
    out = {
        "receivables_open": brl(rec["open_total"]),
        "receivables_open_count": str(rec["open_count"]),
        "receivables_overdue": brl(rec["overdue_total"]),
        "receivables_overdue_count": str(rec["overdue_count"]),
        "receivables_over_90_days": brl(rec["ageing"][">90"]),
        "payables_open": brl(pay["open_total"]),
        "payables_overdue": brl(pay["overdue_total"]),
        "payables_overdue_count": str(pay["overdue_count"]),
        "payables_next_7_days": brl(report["payables_next_7_days"]["total"]),
        "payables_next_7_days_count": str(len(report["payables_next_7_days"]["items"])),
        "dso_days": (f"{report['dso']['days']:.1f}".replace(".", ",")
                     if report["dso"]["days"] is not None else "n/a"),
    }
    for h in horizons:
        out[f"cash_net_{h['days']}_days"] = brl(h["net"])
        out[f"cash_in_{h['days']}_days"] = brl(h["inflow"])
        out[f"cash_out_{h['days']}_days"] = brl(h["outflow"])
    if report["top_overdue_customers"]:
        top = report["top_overdue_customers"][0]
        out["top_overdue_customer"] = top["partner_name"]
        out["top_overdue_customer_amount"] = brl(top["overdue_total"])
        out["top_overdue_customer_oldest_days"] = str(top["oldest_days"])
    if report["payment_risk"]:
        risk = report["payment_risk"][0]
        out["riskiest_customer"] = risk["partner_name"]
        out["riskiest_customer_reason"] = risk["reason"]
        out["riskiest_customer_score"] = str(risk["score"])
    return out


def template(report: dict[str, Any], language: str = "pt") -> Narrative:
    """The deterministic narrative: the same figures, fixed wording (PT or EN)."""
    f = facts(report)
    pt = language == "pt"
    net30 = report["cash_projection"]["horizons"][0]["net"]
    summary = (
        f"Contas a receber em aberto somam {f['receivables_open']} "
        f"({f['receivables_open_count']} títulos), dos quais {f['receivables_overdue']} "
        f"vencidos. Contas a pagar em aberto: {f['payables_open']}, com "
        f"{f['payables_overdue']} vencidos. O prazo médio de recebimento (DSO) é de "
        f"{f['dso_days']} dias. Pelos vencimentos, o caixa dos próximos 30 dias fica em "
        f"{f['cash_net_30_days']}."
        if pt else
        f"Open receivables total {f['receivables_open']} ({f['receivables_open_count']} "
        f"invoices), of which {f['receivables_overdue']} is overdue. Open payables: "
        f"{f['payables_open']}, with {f['payables_overdue']} overdue. Days sales outstanding "
        f"(DSO) is {f['dso_days']} days. By due dates, net cash over the next 30 days is "
        f"{f['cash_net_30_days']}.")
    risks, actions = [], []
    if report["receivables"]["ageing"][">90"]:
        risks.append(f"{f['receivables_over_90_days']} a receber está vencido há mais de 90 "
                     "dias." if pt else f"{f['receivables_over_90_days']} of receivables is "
                     "more than 90 days past due.")
    if net30 < 0:
        risks.append(f"O caixa previsto para 30 dias é negativo ({f['cash_net_30_days']})."
                     if pt else f"Projected 30-day cash is negative ({f['cash_net_30_days']}).")
    if report["payables"]["overdue_total"]:
        risks.append(f"Há {f['payables_overdue']} em contas a pagar vencidas "
                     f"({f['payables_overdue_count']} títulos)." if pt else
                     f"{f['payables_overdue']} of bills is overdue "
                     f"({f['payables_overdue_count']} bills).")
    if "top_overdue_customer" in f:
        actions.append(
            f"Cobrar {f['top_overdue_customer']}: {f['top_overdue_customer_amount']} vencido, "
            f"o mais antigo há {f['top_overdue_customer_oldest_days']} dias." if pt else
            f"Chase {f['top_overdue_customer']}: {f['top_overdue_customer_amount']} overdue, "
            f"oldest {f['top_overdue_customer_oldest_days']} days.")
    if "riskiest_customer" in f:
        actions.append(
            f"Rever o crédito de {f['riskiest_customer']}: risco de pagamento "
            f"{f['riskiest_customer_score']} de 100 pelo histórico." if pt else
            f"Review credit for {f['riskiest_customer']} "
            f"({f['riskiest_customer_reason']}).")
    if report["payables_next_7_days"]["items"]:
        actions.append(
            f"Reservar {f['payables_next_7_days']} para {f['payables_next_7_days_count']} "
            "contas que vencem nos próximos 7 dias." if pt else
            f"Set aside {f['payables_next_7_days']} for the "
            f"{f['payables_next_7_days_count']} bills due in the next 7 days.")
    if not risks:
        risks.append("Nenhum risco relevante nos números deste período." if pt
                     else "No material risk in this period's figures.")
    return Narrative(summary=summary, risks=risks, actions=actions, written_by="template")


def quotes_only_figures(narrative: Narrative, allowed: dict[str, str]) -> bool:
    """True when every number in the text is one of the figures (or a horizon word)."""
    known = {n for value in allowed.values() for n in NUMBER.findall(value)} | FREE_NUMBERS
    text = " ".join([narrative.summary, *narrative.risks, *narrative.actions])
    stray = [n for n in NUMBER.findall(text) if n.rstrip(".,") not in known]
    if stray:
        log.warning("finance narrative rejected: numbers not among the figures: %s", stray[:5])
    return not stray


def build_crew(llm: Any) -> Any:
    """The finance crew (imported lazily: crewai costs seconds to import)."""
    from crewai import Agent, Crew, Process, Task

    agents_cfg = yaml.safe_load((CONFIG / "agents.yaml").read_text(encoding="utf-8"))
    tasks_cfg = yaml.safe_load((CONFIG / "tasks.yaml").read_text(encoding="utf-8"))
    agents = {name: Agent(llm=llm, tools=[], allow_delegation=False, verbose=False, **cfg)
              for name, cfg in agents_cfg.items()}
    tasks = [Task(agent=agents[cfg.pop("agent")], output_pydantic=Narrative, **cfg)
             for cfg in tasks_cfg.values()]
    return Crew(agents=list(agents.values()), tasks=tasks, process=Process.sequential,
                verbose=False)


async def crew_narrative(llm: Any, report: dict[str, Any], language: str = "pt", *,
                         watch: Callable[[Any], AbstractContextManager[Any]] | None = None
                         ) -> Narrative:
    """The crew's narrative when it quotes only the figures; the template's otherwise.

    ``watch(crew)`` is held open while the crew runs (the flow routes its events).
    """
    allowed = facts(report)
    scope = f"company {report['company']}" if report["company"] != "all" else "all companies"
    try:
        crew = build_crew(llm)
        with watch(crew) if watch else nullcontext():
            result = await crew.kickoff_async(inputs={
                "facts": json.dumps(allowed, ensure_ascii=False, indent=1), "scope": scope,
                "as_of": report["as_of"],
                "language": "English" if language == "en" else "Brazilian Portuguese"})
        narrative = result.pydantic if isinstance(result.pydantic, Narrative) else \
            Narrative.model_validate_json(str(result.raw))
    except Exception as exc:  # any model failure: the template's text stands
        log.warning("finance crew failed (%s: %s); template narrative used",
                    type(exc).__name__, exc)
        return template(report, language)
    if not quotes_only_figures(narrative, allowed):
        return template(report, language)
    return narrative.model_copy(update={"written_by": "crew"})
