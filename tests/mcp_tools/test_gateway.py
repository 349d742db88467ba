"""The gateway over streamable HTTP: JWT auth, roles, tenant binding, domain scoping in Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import redis
from fastmcp import Client, FastMCP
from fastmcp.exceptions import ToolError

from mcp_servers.gateway.assemble import Gateway
from mcp_servers.gateway.tokens import mint_token
from mcp_servers.odoo.policy import WRITE_TOOLS
from mcp_servers.settings import Settings
from sandbox.loopback import LoopbackServer
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key

pytestmark = pytest.mark.anyio
SECRET = "test-secret-" + "x" * 32


@pytest.fixture
def settings(embedded_odoo: EmbeddedOdoo, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(_env_file=None, odoo_url=embedded_odoo.url,
                    odoo_secret=demo_api_key("admin"), odoo_write_tools=",".join(WRITE_TOOLS),
                    tenants_file=tmp_path / "none.json", jwt_secret=SECRET,
                    redis_url=redis_url, audit_dir=tmp_path / "audit",
                    qdrant_path=Path(":memory:"))


@pytest.fixture
def gateway(settings: Settings, redis_url: str) -> Gateway:
    client = redis.Redis.from_url(redis_url)
    for key in client.keys("balcao:*"):
        client.delete(key)
    other = FastMCP("demo")

    @other.tool(tags={"demo", "read"})
    def echo(text: str) -> str:
        """Echo the text (a second domain, to show scoping)."""
        return text

    return Gateway(settings, http=True, extra={"demo": (other, "test domain")})


@pytest.fixture
def gateway_url(gateway: Gateway) -> Iterator[str]:
    with LoopbackServer(gateway.mcp.http_app(middleware=gateway.http_middleware())) as server:
        yield f"{server.url}/mcp"


def token(settings: Settings, role: str, tenant: str = "casaobra", **kw: object) -> str:
    return mint_token(settings, subject=f"test-{role}", role=role, tenant=tenant, **kw)


async def names(url: str, bearer: str) -> set[str]:
    async with Client(url, auth=bearer) as client:
        return {t.name for t in await client.list_tools()}


async def test_no_token_is_401(gateway_url: str) -> None:
    response = httpx.post(gateway_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers={"Accept": "application/json, text/event-stream"})
    assert response.status_code == 401


@pytest.mark.parametrize("bad", ["expired", "wrong-secret", "wrong-audience"])
async def test_invalid_tokens_are_401(gateway_url: str, settings: Settings, bad: str) -> None:
    claims = {"sub": "x", "tenant_id": "casaobra", "roles": ["admin"],
              "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "exp": int(time.time()) + 600}
    key = SECRET
    if bad == "expired":
        claims["exp"] = int(time.time()) - 10
    elif bad == "wrong-secret":
        key = "another-secret-" + "y" * 32
    else:
        claims["aud"] = "someone-else"
    response = httpx.post(gateway_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                          headers={"Authorization": f"Bearer {jwt.encode(claims, key)}",
                                   "Accept": "application/json, text/event-stream"})
    assert response.status_code == 401


async def test_viewer_sees_only_read_tools(gateway_url: str, settings: Settings) -> None:
    visible = await names(gateway_url, token(settings, "viewer"))
    assert "odoo_search_records" in visible and "odoo_list_receivables" in visible
    assert not {f"odoo_{t}" for t in WRITE_TOOLS} & visible
    assert "chatwoot_get_messages" in visible and "chatwoot_send_message" not in visible
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        with pytest.raises(ToolError, match="not allowed for role viewer"):
            await client.call_tool("odoo_create_quotation", {
                "partner_id": 10, "client_order_ref": "viewer-try",
                "lines": [{"default_code": "FIX-0001", "quantity": 1}]})


async def test_operator_can_quote_once_per_reference(gateway_url: str,
                                                     settings: Settings) -> None:
    args = {"partner_id": 10, "client_order_ref": f"gw-{time.time_ns()}",
            "lines": [{"default_code": "FIX-0001", "quantity": 1}]}
    async with Client(gateway_url, auth=token(settings, "operator")) as client:
        first = await client.call_tool("odoo_create_quotation", args)
        second = await client.call_tool("odoo_create_quotation", args)
    assert first.structured_content["created"] and not second.structured_content["created"]
    assert first.structured_content["id"] == second.structured_content["id"]


async def test_token_tenant_binds_the_calls(gateway_url: str, settings: Settings) -> None:
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        context = await client.call_tool("odoo_get_current_context", {})
        assert context.structured_content["tenant"] == "casaobra"
        with pytest.raises(ToolError, match="your token is for tenant 'casaobra'"):
            await client.call_tool("odoo_count_records", {"model": "res.partner",
                                                          "domain": [], "tenant": "other"})
    async with Client(gateway_url, auth=token(settings, "viewer", tenant="other")) as client:
        with pytest.raises(ToolError, match="unknown tenant 'other'"):
            await client.call_tool("odoo_count_records", {"model": "res.partner",
                                                          "domain": []})


async def test_select_domain_catalog_leaves_only_catalog_tools(gateway_url: str,
                                                              settings: Settings) -> None:
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        await client.call_tool("select_domain", {"domain": "catalog"})
        visible = {t.name for t in await client.list_tools()}
    assert visible == {"catalog_search", "catalog_count", "catalog_list_collections",
                       "catalog_collection_info", "list_domains", "select_domain",
                       "get_session_status"}


async def test_select_domain_scopes_the_session(gateway_url: str, settings: Settings,
                                                redis_url: str) -> None:
    before = len(redis.Redis.from_url(redis_url).keys("*"))
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        domains = await client.call_tool("list_domains", {})
        assert {d["name"] for d in domains.structured_content["domains"]} == {
            "odoo", "catalog", "chatwoot", "demo"}
        status = await client.call_tool("select_domain", {"domain": "demo"})
        assert status.structured_content["domain"] == "demo"
        visible = {t.name for t in await client.list_tools()}
        assert visible == {"demo_echo", "list_domains", "select_domain", "get_session_status"}
        with pytest.raises(ToolError):
            await client.call_tool("odoo_count_records", {"model": "res.partner",
                                                          "domain": []})
        assert (await client.call_tool("get_session_status", {})).structured_content[
            "domain"] == "demo"
        await client.call_tool("select_domain", {"domain": "chatwoot"})
        scoped = {t.name for t in await client.list_tools()}
        assert "chatwoot_get_conversation" in scoped
        assert not any(n.startswith(("odoo_", "demo_")) for n in scoped)
        await client.call_tool("select_domain", {"domain": "all"})
        assert "odoo_search_records" in {t.name for t in await client.list_tools()}
    assert len(redis.Redis.from_url(redis_url).keys("*")) > before  # session state in Redis
    async with Client(gateway_url, auth=token(settings, "viewer")) as other_session:
        assert "odoo_search_records" in {t.name for t in await other_session.list_tools()}


async def test_unknown_domain(gateway_url: str, settings: Settings) -> None:
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        with pytest.raises(ToolError, match="unknown domain"):
            await client.call_tool("select_domain", {"domain": "nope"})


async def test_health(gateway_url: str) -> None:
    assert httpx.get(gateway_url.replace("/mcp", "/health")).json() == {"status": "ok"}


async def test_three_failed_authentications_lock_the_client_out(gateway_url: str,
                                                                settings: Settings) -> None:
    request = {"json": {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
               "headers": {"Authorization": "Bearer not-a-token",
                           "Accept": "application/json, text/event-stream"}}
    codes = [httpx.post(gateway_url, **request).status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    good = {"Authorization": f"Bearer {token(settings, 'admin')}",
            "Accept": "application/json, text/event-stream"}
    locked = httpx.post(gateway_url, json=request["json"], headers=good)
    assert locked.status_code == 429  # even a valid token, for 15 minutes
    assert int(locked.headers["retry-after"]) > 800
    assert "too many failed authentications" in locked.json()["error_description"]


async def test_audit_records_every_call(gateway_url: str, settings: Settings) -> None:
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        await client.call_tool("odoo_count_records", {"model": "res.partner", "domain": []})
        with pytest.raises(ToolError):
            await client.call_tool("odoo_confirm_order", {"order_id": 1})
    [log] = list(settings.audit_dir.glob("audit-*.jsonl"))
    records = [json.loads(line) for line in log.read_text().splitlines()]
    ok = next(r for r in records if r["tool"] == "odoo_count_records")
    assert ok["outcome"] == "ok" and ok["subject"] == "test-viewer"
    assert ok["tenant"] == "casaobra" and ok["arguments"]["model"] == "res.partner"
    assert ok["request_id"] and ok["duration_ms"] >= 0
    refused = next(r for r in records if r["tool"] == "odoo_confirm_order")
    assert refused["outcome"] == "refused"
    assert SECRET not in log.read_text()


async def test_secret_looking_arguments_are_redacted(gateway_url: str,
                                                     settings: Settings) -> None:
    jwt_like = token(settings, "viewer")
    async with Client(gateway_url, auth=token(settings, "operator")) as client:
        with pytest.raises(ToolError):
            await client.call_tool("odoo_execute_write", {"token": jwt_like, "confirm": True})
    text = next(settings.audit_dir.glob("audit-*.jsonl")).read_text()
    assert jwt_like not in text and '"token": "***"' in text


async def test_reads_are_cached_and_writes_invalidate(gateway: Gateway, gateway_url: str,
                                                      settings: Settings) -> None:
    key = f"cache-{time.time_ns()}"
    count = {"model": "sale.order", "domain": [["client_order_ref", "=", key]]}

    def hits() -> float:
        return sum(s.value for m in gateway.metrics.registry.collect()
                   if m.name == "balcao_mcp_cache_hits" for s in m.samples
                   if s.name.endswith("_total"))

    async with Client(gateway_url, auth=token(settings, "operator")) as client:
        first = await client.call_tool("odoo_count_records", count)
        before = hits()
        second = await client.call_tool("odoo_count_records", count)
        assert hits() == before + 1
        assert first.structured_content == second.structured_content == {
            "model": "sale.order", "count": 0}
        await client.call_tool("odoo_create_quotation", {
            "partner_id": 10, "client_order_ref": key,
            "lines": [{"default_code": "FIX-0001", "quantity": 1}]})
        after = await client.call_tool("odoo_count_records", count)
    assert after.structured_content["count"] == 1  # the write invalidated the cached read


async def test_rate_limit_per_tenant(embedded_odoo: EmbeddedOdoo, redis_url: str,
                                     tmp_path: Path) -> None:
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    from mcp_servers.odoo.tenants import TenantConfig, TenantStore

    key = Fernet.generate_key().decode()
    TenantStore(tmp_path / "tenants.json", key).add(TenantConfig(
        tenant_id="tiny", url=embedded_odoo.url, db="casaobra", login="admin",
        secret=SecretStr(demo_api_key("admin")), rate_limit_per_minute=3))
    settings = Settings(_env_file=None, tenants_file=tmp_path / "tenants.json",
                        tenants_key=key, default_tenant="tiny", jwt_secret=SECRET,
                        redis_url=redis_url, audit_dir=tmp_path / "audit")
    client = redis.Redis.from_url(redis_url)
    for stale in client.keys("balcao:rate:tiny:*"):
        client.delete(stale)
    gateway = Gateway(settings, http=True)
    with LoopbackServer(gateway.mcp.http_app(middleware=gateway.http_middleware())) as server:
        async with Client(f"{server.url}/mcp", auth=token(settings, "viewer", "tiny")) as mcp:
            results = [await mcp.call_tool("odoo_count_records",
                                           {"model": "res.partner", "domain": []},
                                           raise_on_error=False) for _ in range(5)]
    errors = [r.content[0].text for r in results if r.is_error]
    assert len(errors) >= 2 and all("rate limit of 3 calls per minute" in e for e in errors)


async def test_metrics_and_ready(gateway_url: str, settings: Settings) -> None:
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        await client.call_tool("odoo_count_records", {"model": "res.partner", "domain": []})
    base = gateway_url.removesuffix("/mcp")
    metrics = httpx.get(f"{base}/metrics").text
    assert 'balcao_mcp_tool_calls_total{outcome="ok",tenant="casaobra",' \
           'tool="odoo_count_records"}' in metrics
    assert "balcao_mcp_tool_seconds_bucket" in metrics
    ready = httpx.get(f"{base}/ready")  # no Chatwoot runs for this gateway: named as down
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert {k: v for k, v in checks.items() if k != "chatwoot"} == {
        "redis": "ok", "odoo": "ok", "qdrant": "ok"}
    assert checks["chatwoot"].startswith("unreachable")


async def test_ready_is_ok_when_chatwoot_answers(settings: Settings) -> None:
    from sandbox.chatwoot import EmbeddedChatwoot

    with EmbeddedChatwoot() as chatwoot:
        gateway = Gateway(settings.model_copy(update={"chatwoot_url": chatwoot.url}),
                          http=True)
        assert await gateway.ready() == {"redis": "ok", "odoo": "ok", "qdrant": "ok",
                                         "chatwoot": "ok"}
