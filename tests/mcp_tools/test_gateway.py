"""The gateway over streamable HTTP: JWT auth, roles, tenant binding, domain scoping in Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import redis
from fastmcp import Client, FastMCP
from fastmcp.exceptions import ToolError
from key_value.aio.stores.redis import RedisStore

from mcp_servers.gateway.assemble import http_middleware, jwt_verifier
from mcp_servers.gateway.server import build_gateway
from mcp_servers.gateway.tokens import mint_token
from mcp_servers.odoo.app import build_odoo_server
from mcp_servers.odoo.policy import WRITE_TOOLS
from mcp_servers.odoo.server import OdooTools
from mcp_servers.odoo.tenants import CredentialManager
from mcp_servers.settings import Settings
from sandbox.loopback import LoopbackServer
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key

pytestmark = pytest.mark.anyio
SECRET = "test-secret-" + "x" * 32


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(embedded_odoo: EmbeddedOdoo, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(_env_file=None, odoo_url=embedded_odoo.url,
                    odoo_secret=demo_api_key("admin"), odoo_write_tools=",".join(WRITE_TOOLS),
                    tenants_file=tmp_path / "none.json", jwt_secret=SECRET,
                    redis_url=redis_url)


@pytest.fixture
def gateway_url(settings: Settings, redis_url: str) -> Iterator[str]:
    redis.Redis.from_url(redis_url).delete(*redis.Redis.from_url(redis_url).keys(
        "balcao:auth-failures:*") or ["none"])
    tools = OdooTools(CredentialManager.from_settings(settings), settings)
    other = FastMCP("demo")

    @other.tool(tags={"demo", "read"})
    def echo(text: str) -> str:
        """Echo the text (a second domain, to show scoping)."""
        return text

    gateway = build_gateway(
        {"odoo": (build_odoo_server(tools), "Odoo ERP"), "demo": (other, "test domain")},
        auth=jwt_verifier(settings), session_store=RedisStore(url=settings.redis_url))
    app = gateway.http_app(middleware=http_middleware(settings))
    with LoopbackServer(app) as server:
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


async def test_select_domain_scopes_the_session(gateway_url: str, settings: Settings,
                                                redis_url: str) -> None:
    before = len(redis.Redis.from_url(redis_url).keys("*"))
    async with Client(gateway_url, auth=token(settings, "viewer")) as client:
        domains = await client.call_tool("list_domains", {})
        assert {d["name"] for d in domains.structured_content["domains"]} == {"odoo", "demo"}
        status = await client.call_tool("select_domain", {"domain": "demo"})
        assert status.structured_content["domain"] == "demo"
        visible = {t.name for t in await client.list_tools()}
        assert visible == {"demo_echo", "list_domains", "select_domain", "get_session_status"}
        with pytest.raises(ToolError):
            await client.call_tool("odoo_count_records", {"model": "res.partner",
                                                          "domain": []})
        assert (await client.call_tool("get_session_status", {})).structured_content[
            "domain"] == "demo"
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
