"""Refusals on the deployed topology, process by process: every API replica refuses forged
and old webhook signatures; the crews API refuses expired tokens, the wrong role and another
tenant's runs on any replica; the gateway process refuses the wrong role and tenant and
locks a client out after 3 failed authentications. Nothing is stored for a refused request.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import jwt
import pytest
import redis
from fastmcp import Client
from fastmcp.exceptions import ToolError

from flows.conversations import ConversationStore
from mcp_servers.gateway.tokens import mint_token
from sandbox.chatwoot import DEMO_WEBHOOK_SECRET, EmbeddedChatwoot
from sandbox.chatwoot.store import OUTGOING
from sandbox.chatwoot.webhooks import encode, message_webhook_data, sign
from sandbox.topology import JWT_SECRET, Topology, wait_for

ACCEPT = {"Accept": "application/json, text/event-stream"}


def bearer(topology: Topology, role: str = "operator", tenant: str = "casaobra",
           ttl_s: int = 600) -> str:
    return mint_token(topology.settings, subject=f"security-{role}", role=role, tenant=tenant,
                      ttl_s=ttl_s)


def test_every_replica_refuses_forged_and_old_signatures(topology: Topology,
                                                          chatwoot: EmbeddedChatwoot) -> None:
    cid = chatwoot.store.add_conversation("security", "+5511955508500",
                                          display_id=8500).display_id
    store = ConversationStore.from_url(topology.redis.url)
    for url in topology.api_urls:
        message = chatwoot.store.add_incoming_message(cid, "quero 9 sacos de cimento CP II",
                                                      deliver=False)
        raw = encode(message_webhook_data(chatwoot.store, message, "message_created"))
        now = str(int(time.time()))
        old = str(int(time.time()) - 3600)
        attempts = {
            "wrong X-Chatwoot-Signature": (now, sign("not-the-secret", now, raw)),
            "too old": (old, sign(DEMO_WEBHOOK_SECRET, old, raw)),
            "missing X-Chatwoot-Signature": (None, None),
        }
        for reason, (timestamp, signature) in attempts.items():
            headers = {"Content-Type": "application/json",
                       "X-Chatwoot-Delivery": str(uuid.uuid4())}
            if timestamp:
                headers |= {"X-Chatwoot-Timestamp": timestamp,
                            "X-Chatwoot-Signature": signature}
            response = httpx.post(f"{url}/webhooks/chatwoot", content=raw, headers=headers,
                                  timeout=10)
            assert response.status_code == 401 and reason in response.text, response.text
    time.sleep(1.5)  # what a refused delivery would have started has had time to show
    assert not store.has_state(3, cid) and store.pending(3, cid) == 0
    assert [m for m in chatwoot.store.get_conversation(cid).messages
            if m.message_type == OUTGOING] == []  # no reply either


def test_crews_api_refusals_hold_on_every_replica(topology: Topology) -> None:
    first, second = topology.api_urls[:2]
    started = httpx.post(f"{first}/crews/product_search/runs", json={"query": "cimento"},
                         headers={"Authorization": f"Bearer {bearer(topology)}"}, timeout=10)
    assert started.status_code == 202, started.text
    run = started.json()["run_id"]
    owner = {"Authorization": f"Bearer {bearer(topology, 'viewer')}"}
    wait_for(lambda: httpx.get(f"{second}/crews/runs/{run}", headers=owner,
                               timeout=10).json()["status"] == "succeeded", 90,
             "the run, read on the other replica", topology.worker_logs[-1])
    runs_before = len(list(redis.Redis.from_url(topology.redis.url).scan_iter("balcao:run:*")))
    for url in (first, second):
        cases = [
            ("post", "/crews/product_search/runs", bearer(topology, ttl_s=-10), 401,
             "invalid or expired"),
            ("post", "/crews/product_search/runs", bearer(topology, "viewer"), 403,
             "operator role"),
            ("get", f"/crews/runs/{run}", bearer(topology, "admin", tenant="other"), 404,
             "another tenant"),
            ("get", f"/crews/runs/{run}/events", bearer(topology, tenant="other"), 404,
             "another tenant"),
        ]
        for method, path, token, status, message in cases:
            response = httpx.request(method, url + path, json={"query": "x"},
                                     headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert (response.status_code, message in response.text) == (status, True), \
                (url, path, response.text)
    runs_after = len(list(redis.Redis.from_url(topology.redis.url).scan_iter("balcao:run:*")))
    assert runs_after == runs_before


def test_the_gateway_process_refuses_role_tenant_and_locks_out_after_3_failures(
        topology: Topology) -> None:
    """Last in the module: until the lockout is lifted, this host is locked out."""

    async def scoped_refusals() -> None:
        async with Client(topology.mcp_url, auth=bearer(topology, "viewer")) as client:
            with pytest.raises(ToolError, match="not allowed for role viewer"):
                await client.call_tool("odoo_create_quotation", {
                    "partner_id": 10, "client_order_ref": "security-viewer",
                    "lines": [{"default_code": "FIX-0001", "quantity": 1}]})
            with pytest.raises(ToolError, match="your token is for tenant 'casaobra'"):
                await client.call_tool("odoo_count_records", {
                    "model": "res.partner", "domain": [], "tenant": "other"})
        async with Client(topology.mcp_url,
                          auth=bearer(topology, "admin", tenant="other")) as client:
            with pytest.raises(ToolError, match="unknown tenant 'other'"):
                await client.call_tool("odoo_count_records", {"model": "res.partner",
                                                              "domain": []})

    asyncio.run(scoped_refusals())
    claims = {"sub": "x", "tenant_id": "casaobra", "roles": ["admin"],
              "iss": topology.settings.jwt_issuer, "aud": topology.settings.jwt_audience}
    refused = [
        jwt.encode({**claims, "exp": int(time.time()) - 10}, JWT_SECRET),  # expired
        jwt.encode({**claims, "exp": int(time.time()) + 600}, "another-" + "y" * 40),
        "not-a-token",
    ]
    list_tools = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    lockout = redis.Redis.from_url(topology.redis.url)
    try:
        for token in refused:
            response = httpx.post(topology.mcp_url, json=list_tools, timeout=10,
                                  headers={**ACCEPT, "Authorization": f"Bearer {token}"})
            assert response.status_code == 401
        valid = httpx.post(topology.mcp_url, json=list_tools, timeout=10,
                           headers={**ACCEPT, "Authorization": f"Bearer {bearer(topology)}"})
        assert valid.status_code == 429 and int(valid.headers["retry-after"]) > 800
        assert int(lockout.get("balcao:auth-failures:127.0.0.1")) == 3  # shared in Redis
    finally:
        lockout.delete("balcao:auth-failures:127.0.0.1")
    again = httpx.post(topology.mcp_url, json=list_tools, timeout=10,
                       headers={**ACCEPT, "Authorization": f"Bearer {bearer(topology)}"})
    assert again.status_code != 429
