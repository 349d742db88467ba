"""Fuzzing the webhook and the crews API (hypothesis): never a 5xx, and a rejected or
ignored request changes nothing in Redis.

The app runs in-process on the real redis-server (its own database); runs it accepts go to
a list instead of Celery, since nothing here is about running them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from api.app import create_app
from mcp_servers.gateway.tokens import mint_token
from mcp_servers.settings import Settings
from sandbox.chatwoot.webhooks import sign

SECRET = "fuzz-webhook-" + "w" * 24
JWT = "fuzz-jwt-" + "j" * 40
FIXTURES = Path(__file__).parents[1] / "fixtures" / "chatwoot" / "webhooks"
EVENTS = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))
          if not p.name.startswith("_")]
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4), max_leaves=12)


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    """A real Chatwoot event with some of its fields replaced, removed or retyped."""
    event = json.loads(json.dumps(draw(st.sampled_from(EVENTS))))
    for _ in range(draw(st.integers(1, 4))):
        node, key = event, None
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if isinstance(node, dict) and node:
            key = key if key in node else draw(st.sampled_from(sorted(node)))
            if draw(st.booleans()):
                node[key] = draw(json_values)
            else:
                del node[key]
    return event


@pytest.fixture(scope="module")
def app(redis_url: str, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[TestClient, redis.Redis, list[str], Settings]]:
    db = redis_url.rsplit("/", 1)[0] + "/7"
    config = Settings(_env_file=None, redis_url=db, chatwoot_webhook_secret=SecretStr(SECRET),
                      jwt_secret=SecretStr(JWT), chatwoot_inbox_ids="7",
                      runs_dir=tmp_path_factory.mktemp("runs"))
    queued: list[str] = []
    api = create_app(config, enqueue=lambda *_args: None, enqueue_run=queued.append)
    client = redis.Redis.from_url(db)
    client.flushdb()
    with TestClient(api, raise_server_exceptions=False) as http:
        yield http, client, queued, config


def signed(raw: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"Content-Type": "application/json", "X-Chatwoot-Timestamp": timestamp,
            "X-Chatwoot-Signature": sign(SECRET, timestamp, raw)}


def keys(client: redis.Redis) -> set[bytes]:
    return set(client.scan_iter("*"))


@FUZZ
@given(body=mutated_events() | json_values)
def test_signed_fuzzed_events_never_5xx_and_rejections_store_nothing(
        app: tuple[TestClient, redis.Redis, list[str], Settings], body: Any) -> None:
    http, client, _queued, _config = app
    raw = json.dumps(body).encode()
    before = keys(client)
    response = http.post("/webhooks/chatwoot", content=raw, headers=signed(raw))
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert "error" in response.json()
    if response.status_code >= 400 or response.json().get("status") == "ignored":
        assert keys(client) == before, response.text


@FUZZ
@given(raw=st.binary(max_size=300), headers=st.dictionaries(
    st.sampled_from(["X-Chatwoot-Signature", "X-Chatwoot-Timestamp", "Content-Type",
                     "X-Chatwoot-Delivery"]), st.text(max_size=60), max_size=4))
def test_unsigned_or_garbled_deliveries_are_refused_and_store_nothing(
        app: tuple[TestClient, redis.Redis, list[str], Settings], raw: bytes,
        headers: dict[str, str]) -> None:
    http, client, _queued, _config = app
    before = keys(client)
    try:
        response = http.post("/webhooks/chatwoot", content=raw, headers=headers)
    except UnicodeEncodeError:  # not a header an HTTP client can send
        return
    assert 400 <= response.status_code < 500, response.text
    assert keys(client) == before


@FUZZ
@given(crew=st.sampled_from(["order_intake", "product_search", "financial_analysis"])
       | st.text(max_size=20), body=json_values,
       role=st.sampled_from(["viewer", "operator", "admin", "expired", "garbage"]))
def test_fuzzed_crew_runs_never_5xx_and_only_valid_ones_are_recorded(
        app: tuple[TestClient, redis.Redis, list[str], Settings], crew: str, body: Any,
        role: str) -> None:
    http, client, queued, config = app
    if role == "garbage":
        token = "not.a.jwt"
    else:
        token = mint_token(config, subject="fuzz", role="operator" if role == "expired"
                           else role, tenant="casaobra", ttl_s=-60 if role == "expired" else 60)
    before, started = keys(client), len(queued)
    response = http.post(f"/crews/{quote(crew, safe='')}/runs", json=body,
                         headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    if response.status_code == 202:
        assert role in ("operator", "admin") and len(queued) == started + 1
        run = response.json()["run_id"]
        assert http.get(f"/crews/runs/{run}", headers={"Authorization": f"Bearer {token}"}
                        ).json()["inputs"] is not None
    else:
        assert keys(client) == before and len(queued) == started, response.text
