"""The crews API end to end: the API on loopback, a real Celery worker, redis-server, the
embedded Odoo and Qdrant through the gateway; the client is ``api/client.py``."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from pydantic import SecretStr

from api import worker as worker_module
from api.app import create_app
from api.client import CrewsApiError, CrewsClient
from flows.catalog_sync import SyncReport
from flows.financial_analysis import STAGES, FinanceInputs, run
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.gateway.tokens import mint_token
from mcp_servers.settings import Settings
from sandbox.loopback import LoopbackServer
from sandbox.odoo import EmbeddedOdoo
from tests.conftest import catalog_settings

AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def stack(embedded_odoo: EmbeddedOdoo, redis_url: str,
          catalog_gateway: tuple[Gateway, SyncReport],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    tmp = tmp_path_factory.mktemp("crews-api")
    db = redis_url.rsplit("/", 1)[0] + "/5"  # its own queue: no other module's tasks
    settings = catalog_settings(
        embedded_odoo, tmp, redis_url=db, jwt_secret=SecretStr("crews-" + "k" * 40),
        runs_dir=tmp / "runs", sse_poll_ms=300,
        chatwoot_webhook_secret=SecretStr("w" * 32))
    worker_module.use_broker(db)
    gateway = Gateway(settings, http=False, default_role="operator",
                      catalog=catalog_gateway[0].catalog)
    worker_module.use_gateway(gateway)
    api = LoopbackServer(create_app(settings, gateway=gateway))
    api.start()
    try:
        with start_worker(worker_module.app, pool="threads", concurrency=2,
                          perform_ping_check=False, shutdown_timeout=30):
            yield settings, api.url
    finally:
        api.stop()
        worker_module.use_gateway(None)


def token(settings: Settings, role: str = "operator", tenant: str = "casaobra",
          ttl_s: int = 600) -> str:
    return mint_token(settings, subject=f"{role}@{tenant}", role=role, tenant=tenant,
                      ttl_s=ttl_s)


def follow(client: CrewsClient, run_id: str) -> list[dict[str, Any]]:
    return list(client.stream_events(run_id))


def test_finance_run_streams_stages_to_done_and_its_result_is_the_clis_json(
        stack: tuple[Settings, str], tmp_path: Path) -> None:
    settings, url = stack
    with CrewsClient(url, token(settings)) as client:
        run_id = client.run_crew("financial_analysis", {"company": "all", "as_of": AS_OF})
        events = follow(client, run_id)
        record = client.get_run(run_id)
        html = client.download(run_id, "report.html", tmp_path / "downloaded.html")
    assert events[-1]["type"] == "done" and events[-1]["progress"] == 1.0
    stages = [e["stage"] for e in events if e["type"] == "stage"]
    assert list(dict.fromkeys(stages)) == list(STAGES)
    assert {e["message"] for e in events if e["type"] == "tool"} >= {
        "odoo_list_receivables", "odoo_list_payables", "odoo_aggregate_records"}
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)
    assert record["status"] == "succeeded" and record["tenant"] == "casaobra"
    assert record["created_at"] <= record["started_at"] <= record["finished_at"]
    assert set(record["files"]) == {"report.json", "report.md", "report.html", "ageing.png",
                                    "revenue_expenses.png", "cash_projection.png"}
    # the CLI's JSON for the same inputs (what `balcao flow finance` writes)
    run(FinanceInputs(tenant="casaobra", company="all", as_of=AS_OF, out=str(tmp_path / "cli")),
        settings=settings)
    cli = json.loads((tmp_path / "cli" / "report.json").read_text(encoding="utf-8"))
    assert record["result"] == cli
    assert record["result"]["receivables"]["overdue_total"] == 54987.55
    assert html.read_bytes() == (Path(settings.runs_dir) / run_id / "report.html").read_bytes()


def test_product_search_and_order_intake_runs(stack: tuple[Settings, str]) -> None:
    settings, url = stack
    with CrewsClient(url, token(settings)) as client:
        search = client.run_crew("product_search", {"query": "parafuso sextavado 3/8 x 2"})
        order = client.run_crew("order_intake", {
            "message": "quero 10 sacos de cimento CP II e 2 galões de tinta branca"})
        search_events, order_events = follow(client, search), follow(client, order)
        found, quoted = client.get_run(search)["result"], client.get_run(order)["result"]
    assert search_events[-1]["type"] == order_events[-1]["type"] == "done"
    assert found["best"][0]["default_code"] == "FIX-0008" and found["worded_by"] == "template"
    assert quoted["intent"] == "add" and quoted["written_to_odoo"] is False
    cement = quoted["lines"][0]
    assert cement["item"]["quantity"] == 10 and cement["status"] == "resolved"
    assert cement["product"]["default_code"].startswith("CIM-")
    tools = {e["message"] for e in order_events if e["type"] == "tool"}
    assert tools == {"catalog_search"}  # a dry run: nothing but catalog reads


def test_a_run_that_fails_says_why_in_its_events_and_record(
        stack: tuple[Settings, str]) -> None:
    settings, url = stack
    with CrewsClient(url, token(settings)) as client:
        run_id = client.run_crew("financial_analysis", {"company": "9", "as_of": AS_OF})
        events = follow(client, run_id)
        record = client.get_run(run_id)
    assert events[-1]["type"] == "error" and record["status"] == "failed"
    assert "9" in record["error"] and events[-1]["message"] == record["error"]
    assert record["files"] == [] and record["result"] is None


def test_events_resume_after_last_event_id(stack: tuple[Settings, str]) -> None:
    settings, url = stack
    with CrewsClient(url, token(settings, "viewer")) as viewer, \
            CrewsClient(url, token(settings)) as client:
        run_id = client.run_crew("product_search", {"query": "FEL-0002"})
        everything = follow(viewer, run_id)
        rest = list(viewer.stream_events(run_id, last_event_id=everything[1]["id"]))
    assert rest == everything[2:] and rest[-1]["type"] == "done"


def run_keys(settings: Settings) -> int:
    return len(list(redis.Redis.from_url(settings.redis_url).scan_iter("balcao:run:*")))


def test_roles_tenants_and_bad_requests_get_clear_4xx_and_change_nothing(
        stack: tuple[Settings, str]) -> None:
    settings, url = stack
    with CrewsClient(url, token(settings)) as client:
        run_id = client.run_crew("product_search", {"query": "cimento"})
        follow(client, run_id)
    before = run_keys(settings)
    cases: list[tuple[str, str, str, Any, int, str]] = [
        ("post", "/crews/product_search/runs", token(settings, "viewer"), {"query": "x"},
         403, "operator role"),
        ("post", "/crews/product_search/runs", "", {"query": "x"}, 401, "missing bearer"),
        ("post", "/crews/product_search/runs", token(settings, ttl_s=-10), {"query": "x"},
         401, "invalid or expired"),
        ("post", "/crews/poetry/runs", token(settings), {}, 404, "no crew 'poetry'"),
        ("post", "/crews/product_search/runs", token(settings), {"query": ""}, 422, "query"),
        ("post", "/crews/product_search/runs", token(settings), {"query": "x", "tenant": "b"},
         422, "tenant"),
        ("post", "/crews/financial_analysis/runs", token(settings), {"company": "matriz"},
         422, "company"),
        ("post", "/crews/financial_analysis/runs", token(settings), {"as_of": "20/11/2026"},
         422, "as_of"),
        ("post", "/crews/order_intake/runs", token(settings), ["not", "an", "object"], 422,
         "dict"),
        ("get", f"/crews/runs/{run_id}", token(settings, "viewer", tenant="other"), None, 404,
         "another tenant"),
        ("get", f"/crews/runs/{run_id}/events", token(settings, tenant="other"), None, 404,
         "another tenant"),
        ("get", "/crews/runs/0123456789abcdef", token(settings, "viewer"), None, 404,
         "no run"),
        ("get", f"/crews/runs/{run_id}/files/..%2F..%2Fetc%2Fpasswd", token(settings), None,
         404, "Not Found"),
        ("get", f"/crews/runs/{run_id}/files/.env", token(settings), None, 404,
         "wrote no file"),
    ]
    for method, path, bearer, body, status, message in cases:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        response = httpx.request(method, url + path, json=body, headers=headers, timeout=10)
        assert response.status_code == status, (path, body, response.text)
        assert message in response.text, (path, response.text)
    with CrewsClient(url, token(settings, "viewer")) as viewer:
        assert viewer.get_run(run_id)["status"] == "succeeded"  # same tenant: visible
        with pytest.raises(CrewsApiError) as refused:
            viewer.run_crew("product_search", {"query": "x"})
    assert refused.value.status == 403
    time.sleep(0.2)
    assert run_keys(settings) == before  # no rejected request created a run


def test_beats_daily_finance_report_is_a_run_like_any_other(
        stack: tuple[Settings, str]) -> None:
    settings, url = stack
    [run_id] = worker_module.finance_report_all()
    with CrewsClient(url, token(settings, "viewer")) as viewer:
        events = follow(viewer, run_id)
        record = viewer.get_run(run_id)
    assert events[-1]["type"] == "done" and record["requested_by"] == "beat"
    assert record["tenant"] == "casaobra" and "report.html" in record["files"]
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date().isoformat()
    assert record["inputs"]["as_of"] is None and record["result"]["as_of"] == today
    schedule = worker_module.app.conf.beat_schedule
    assert schedule["finance-daily"]["task"] == "balcao.finance_report_all"
    assert schedule["finance-daily"]["schedule"].hour == {settings.finance_report_hour}
