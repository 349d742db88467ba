"""The financial analysis flow against the embedded Odoo, checked against the demo's CSV.

Every expected figure here is computed from ``sandbox/data/invoices.csv`` (the data the
embedded Odoo was loaded from) independently of the flow's code, with ``Decimal``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastmcp import Client
from pydantic import SecretStr
from typer.testing import CliRunner

from api.cli import app
from crews.financial_analysis.narrative import Narrative, facts, quotes_only_figures, template
from flows.financial_analysis import STAGES, FinanceInputs, run
from flows.run_events import RunEvent
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings, get_settings
from sandbox.llm_replay import ScriptedLLM, answer
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key
from tests.conftest import catalog_settings

AS_OF = "2026-11-20"
DAY = dt.date.fromisoformat(AS_OF)
DATA = Path(__file__).parents[2] / "sandbox" / "data"


@pytest.fixture(scope="module")
def odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedOdoo]:
    """An Odoo of its own: no other test's writes can move these figures."""
    with EmbeddedOdoo(tmp_path_factory.mktemp("finance-odoo")) as server:
        yield server


@pytest.fixture(scope="module")
def settings(odoo: EmbeddedOdoo, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return catalog_settings(odoo, tmp_path_factory.mktemp("finance"))


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Gateway:
    return Gateway(settings, http=False, default_role="viewer")


def ledger_csv() -> list[dict[str, Any]]:
    rows = list(csv.DictReader((DATA / "invoices.csv").open(encoding="utf-8")))
    for row in rows:
        row["residual"] = Decimal(row["amount_total"]) - Decimal(row["amount_paid"] or "0")
    return rows


def open_rows(move_type: str, company: str = "all") -> list[dict[str, Any]]:
    return [r for r in ledger_csv() if r["move_type"] == move_type and r["residual"] > 0
            and company in ("all", r["company_id"])]


def total(rows: list[dict[str, Any]], key: str = "residual") -> float:
    return float(sum((Decimal(str(r[key])) for r in rows), Decimal("0")))


def test_cli_writes_the_artefacts_and_overdue_totals_match_the_csv_to_the_cent(
        odoo: EmbeddedOdoo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ODOO_URL": odoo.url, "ODOO_API_KEY": demo_api_key("admin"),
                        "BALCAO_TENANTS_FILE": str(tmp_path / "none.json"),
                        "QDRANT_PATH": str(tmp_path / "qdrant"),
                        "BALCAO_AUDIT_DIR": str(tmp_path / "audit")}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    out = tmp_path / "r"
    try:
        result = CliRunner().invoke(app, ["flow", "finance", "--company", "all", "--as-of",
                                          AS_OF, "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    for name in ("report.json", "report.md", "report.html", "ageing.png",
                 "revenue_expenses.png", "cash_projection.png"):
        assert (out / name).stat().st_size > 0, name
        assert str(out / name) in result.output
    for chart in out.glob("*.png"):
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3  # self-contained
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for kind, move_type in (("receivables", "out_invoice"), ("payables", "in_invoice")):
        rows = open_rows(move_type)
        overdue = [r for r in rows if r["invoice_date_due"] < AS_OF]
        assert report[kind]["overdue_total"] == total(overdue), kind
        assert report[kind]["open_total"] == total(rows), kind
        assert report[kind]["overdue_count"] == len(overdue)
    assert report["receivables"]["overdue_total"] == 54987.55  # the figure in the note
    assert report["checks"]["totals_match_odoo"] is True
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "R$ 54.987,55" in markdown and "![Ageing" in markdown


def bucket_of(due: str) -> str:
    late = (DAY - dt.date.fromisoformat(due)).days
    return ("current" if late <= 0 else "1-30" if late <= 30 else "31-60" if late <= 60
            else "61-90" if late <= 90 else ">90")


@pytest.mark.parametrize("company", ["1", "2"])
def test_ageing_periods_projection_and_week_match_the_csv(
        settings: Settings, gateway: Gateway, tmp_path: Path, company: str) -> None:
    report = run(FinanceInputs(company=company, as_of=AS_OF, out=str(tmp_path)),
                 settings=settings, gateway=gateway)
    for kind, move_type in (("receivables", "out_invoice"), ("payables", "in_invoice")):
        buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in open_rows(move_type, company):
            buckets[bucket_of(row["invoice_date_due"])].append(row)
        assert report[kind]["ageing"] == {b: total(buckets[b]) for b in
                                          ("current", "1-30", "31-60", "61-90", ">90")}
    months = {p["period"]: p for p in report["periods"]}
    assert list(months) == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    for label, period in months.items():
        issued = [r for r in ledger_csv() if r["company_id"] == company
                  and r["invoice_date"][:7] == label and r["invoice_date"] <= AS_OF]
        assert period["revenue"] == total([r for r in issued if r["move_type"] ==
                                           "out_invoice"], "amount_total"), label
        assert period["expenses"] == total([r for r in issued if r["move_type"] ==
                                            "in_invoice"], "amount_total"), label
    horizon = report["cash_projection"]["horizons"][0]
    soon = (DAY + dt.timedelta(days=30)).isoformat()
    assert horizon["inflow"] == total([r for r in open_rows("out_invoice", company)
                                       if AS_OF <= r["invoice_date_due"] <= soon])
    assert horizon["outflow"] == total([r for r in open_rows("in_invoice", company)
                                        if AS_OF <= r["invoice_date_due"] <= soon])
    week = (DAY + dt.timedelta(days=7)).isoformat()
    assert report["payables_next_7_days"]["total"] == total(
        [r for r in open_rows("in_invoice", company) if AS_OF <= r["invoice_date_due"] <= week])
    revenue = sum(Decimal(str(p["revenue"])) for p in report["periods"])
    window = (DAY - dt.date(2025, 12, 1)).days + 1
    expected_dso = (Decimal(str(report["receivables"]["open_total"])) / revenue * window)
    assert report["dso"]["days"] == float(expected_dso.quantize(Decimal("0.1")))


def test_payment_risk_follows_each_customers_history(
        settings: Settings, gateway: Gateway, tmp_path: Path) -> None:
    report = run(FinanceInputs(company="all", as_of=AS_OF, out=str(tmp_path)),
                 settings=settings, gateway=gateway)
    names = {r["partner_id"]: r["name"] for r in
             csv.DictReader((DATA / "partners.csv").open(encoding="utf-8"))}
    since = (DAY - dt.timedelta(days=365)).isoformat()
    history: dict[str, list[int]] = defaultdict(list)
    for row in ledger_csv():
        if row["move_type"] == "out_invoice" and row["residual"] == 0 \
                and since <= row["invoice_date_due"] <= AS_OF:
            late = (dt.date.fromisoformat(row["last_payment_date"])
                    - dt.date.fromisoformat(row["invoice_date_due"])).days
            history[names[row["partner_id"]]].append(max(0, late))
    ranking = report["payment_risk"]
    assert len(ranking) == 10
    assert [r["score"] for r in ranking] == sorted((r["score"] for r in ranking), reverse=True)
    for row in ranking:
        days = history[row["partner_name"]]
        assert row["paid_invoices"] == len(days), row["partner_name"]
        assert row["paid_late"] == sum(1 for d in days if d > 0)
        if days:
            assert row["avg_days_late"] == round(sum(days) / len(days), 1)
        assert row["reason"].startswith(f"paid {row['paid_late']} of {len(days)}")
    overdue = defaultdict(Decimal)
    for row in open_rows("out_invoice"):
        if row["invoice_date_due"] < AS_OF:
            overdue[names[row["partner_id"]]] += row["residual"]
    top = report["top_overdue_customers"][0]
    assert top["partner_name"] == max(overdue, key=lambda n: overdue[n])
    assert top["overdue_total"] == float(overdue[top["partner_name"]])


def test_progress_events_cover_each_stage_in_order_and_every_tool_call(
        settings: Settings, gateway: Gateway, tmp_path: Path) -> None:
    events: list[RunEvent] = []
    run(FinanceInputs(company="1", as_of=AS_OF, out=str(tmp_path)), settings=settings,
        gateway=gateway, emit=events.append)
    stages = [e.stage for e in events if e.type == "stage"]
    assert list(dict.fromkeys(stages)) == list(STAGES)
    progress = [e.progress for e in events]
    assert progress == sorted(progress) and progress[-1] == 1.0
    tools = [e.data["tool"] for e in events if e.type == "tool"]
    assert set(tools) == {"odoo_list_receivables", "odoo_list_payables",
                          "odoo_aggregate_records", "odoo_search_records"}
    assert tools.count("odoo_aggregate_records") == 12  # one per month
    assert all(e.data["ok"] for e in events if e.type == "tool")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_mcp_prompt_names_the_flows_steps_and_tools(gateway: Gateway) -> None:
    async with Client(gateway.mcp) as client:
        name = next(p.name for p in await client.list_prompts()
                    if p.name.endswith("financial-analysis"))
        prompt = await client.get_prompt(name, {"company_id": "0"})
    text = prompt.messages[0].content.text
    for stage in ("fetch_receivables", "fetch_payables", "fetch_history", "compute",
                  "narrate"):
        assert stage in text and stage in STAGES
    for tool in ("list_receivables", "list_payables", "aggregate_records", "search_records"):
        assert tool in text
    assert "current/1-30/31-60/61-90/>90" in text and "30/60/90" in text


def test_template_narrative_quotes_only_computed_figures(
        settings: Settings, gateway: Gateway, tmp_path: Path) -> None:
    report = run(FinanceInputs(company="all", as_of=AS_OF, out=str(tmp_path)),
                 settings=settings, gateway=gateway)
    allowed = facts(report)
    for language in ("pt", "en"):
        narrative = template(report, language)
        assert quotes_only_figures(narrative, allowed), narrative
        assert allowed["receivables_overdue"] in narrative.summary
    invented = Narrative(summary=f"Overdue is {allowed['receivables_overdue']}, about "
                                 "R$ 55.000,00 in round numbers.")
    assert not quotes_only_figures(invented, allowed)


@pytest.mark.parametrize("args, message", [
    (["--company", "matriz"], "company must be"),
    (["--as-of", "2026-13-01"], "as_of must be a date"),
    (["--period", "weekly"], "period must be monthly or quarterly"),
    (["--language", "fr"], "language must be pt or en")])
def test_bad_options_are_refused_before_anything_runs(tmp_path: Path, args: list[str],
                                                      message: str) -> None:
    result = CliRunner().invoke(app, ["flow", "finance", "--out", str(tmp_path / "r"), *args])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "r").exists()


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


def test_crew_narrative_is_kept_only_when_it_quotes_the_figures(
        settings: Settings, gateway: Gateway, tmp_path: Path, llm: ScriptedLLM) -> None:
    with_llm = settings.model_copy(update={
        "llm_model": "openai/scripted-model", "llm_base_url": llm.base_url,
        "llm_api_key": SecretStr("sk-local-test")})
    inputs = FinanceInputs(company="all", as_of=AS_OF, out=str(tmp_path), language="en")
    figures = facts(run(inputs, settings=settings, gateway=gateway))
    faithful = {"summary": f"Receivables of {figures['receivables_overdue']} are overdue.",
                "risks": [f"{figures['receivables_over_90_days']} is over 90 days late."],
                "actions": [f"Call {figures['top_overdue_customer']} this week."]}
    llm.script(answer(faithful))
    events: list[RunEvent] = []
    report = run(inputs, settings=with_llm, gateway=gateway, emit=events.append)
    assert report["narrative"]["written_by"] == "crew"
    from_crewai = [e for e in events if e.data.get("source") == "crewai"]
    assert [(e.stage, e.message) for e in from_crewai] == [("narrate", "model answered")]
    assert events.index(from_crewai[0]) < next(  # routed while its stage was current
        i for i, e in enumerate(events) if e.stage == "write")
    assert report["narrative"]["summary"] == faithful["summary"]
    sent = json.dumps(llm.requests[-1]["messages"], ensure_ascii=False)
    assert figures["receivables_overdue"] in sent  # the model got the computed figures

    llm.script(answer({**faithful, "summary": "Overdue receivables are about R$ 55.000,00."}))
    report = run(inputs, settings=with_llm, gateway=gateway)
    assert report["narrative"]["written_by"] == "template"  # an invented figure: rejected
    assert "55.000,00" not in json.dumps(report["narrative"])
    assert llm.pending() == 0
