"""The Chatwoot webhook: signatures, tokens, filtering, dedupe, limits, all on real Redis."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.webhooks import WebhookRejected, verify_signature
from mcp_servers.gateway.tokens import mint_token
from mcp_servers.settings import Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "chatwoot" / "webhooks"
SECRET = "whsec-test-" + "s" * 20
JWT = "jwt-secret-" + "j" * 32


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    ts = str(int(at if at is not None else time.time()))
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": f"sha256={mac}",
            "Content-Type": "application/json"}


class Queue:
    """Records what the API queued (the Celery path is tested with a real worker)."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, float]] = []

    def __call__(self, account_id: int, conversation_id: int, delay_s: float) -> None:
        self.calls.append((account_id, conversation_id, delay_s))


@pytest.fixture
def settings(redis_url: str) -> Settings:
    redis.Redis.from_url(redis_url).flushdb()
    return Settings(_env_file=None, redis_url=redis_url, jwt_secret=JWT,
                    chatwoot_webhook_secret=SECRET, webhook_max_bytes=64 * 1024)


@pytest.fixture
def queue() -> Queue:
    return Queue()


@pytest.fixture
def client(settings: Settings, queue: Queue) -> Iterator[TestClient]:
    with TestClient(create_app(settings, enqueue=queue)) as test_client:
        yield test_client


def post(client: TestClient, payload: dict[str, Any] | bytes, **headers: str) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/webhooks/chatwoot", content=body, headers={**signed(body), **headers})


def test_the_contract_example_signature_verifies() -> None:
    example = json.loads((FIXTURES / "_signature_example.json").read_text())
    headers = example["headers"]
    verify_signature(example["body"].encode(), headers["X-Chatwoot-Timestamp"],
                     headers["X-Chatwoot-Signature"], example["secret"], 300,
                     now=int(headers["X-Chatwoot-Timestamp"]) + 10)
    with pytest.raises(WebhookRejected, match="too old"):
        verify_signature(example["body"].encode(), headers["X-Chatwoot-Timestamp"],
                         headers["X-Chatwoot-Signature"], example["secret"], 300)


def test_incoming_message_is_recorded_and_queued(client: TestClient, queue: Queue) -> None:
    response = post(client, fixture("message_created.incoming_text.json"))
    assert response.status_code == 200
    assert response.json() == {"status": "queued", "message_id": 58231}
    assert queue.calls == [(3, 245, 3.0)]
    store = client.app.state.store
    [message] = store.take(3, 245)
    assert message.content.startswith("Oi, quero 2 caixas")
    assert message.phone == "+5511987654321"


def test_duplicates_by_message_or_delivery_are_acknowledged_once(client: TestClient,
                                                                queue: Queue) -> None:
    payload = fixture("message_created.incoming_text.json")
    first = post(client, payload, **{"X-Chatwoot-Delivery": "d-1"})
    again = post(client, payload, **{"X-Chatwoot-Delivery": "d-1"})
    other_delivery = post(client, payload, **{"X-Chatwoot-Delivery": "d-2"})
    assert [r.json()["status"] for r in (first, again, other_delivery)] == [
        "queued", "duplicate", "duplicate"]
    assert len(queue.calls) == 1
    assert client.app.state.store.pending(3, 245) == 1


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")
                                        if not p.name.startswith("_")
                                        and p.name != "message_created.incoming_text.json"
                                        and p.name != "message_created.agent_bot.incoming_text.json"
                                        and p.name != "message_created.incoming_image.json"))
def test_every_other_event_is_acknowledged_and_ignored(client: TestClient, queue: Queue,
                                                        name: str) -> None:
    response = post(client, fixture(name))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ignored"
    assert queue.calls == []


def test_a_photo_with_a_caption_is_a_customer_message(client: TestClient) -> None:
    payload = fixture("message_created.incoming_image.json")
    assert post(client, payload).json()["status"] == "queued"
    [message] = client.app.state.store.take(3, 245)
    assert message.content == payload["content"]
    payload = {**payload, "content": None, "id": payload["id"] + 1}
    assert post(client, payload).json() == {"status": "ignored",
                                            "reason": "no text (attachment only)"}


def test_own_messages_private_notes_and_attachments_are_ignored(client: TestClient) -> None:
    reasons = {name: post(client, fixture(name)).json()["reason"] for name in (
        "message_created.outgoing_agent_bot.json", "message_created.private_note.json",
        "message_created.outgoing_agent.json")}
    assert reasons["message_created.outgoing_agent_bot.json"] == "message_type outgoing"
    assert "private" in reasons["message_created.private_note.json"] or \
        "outgoing" in reasons["message_created.private_note.json"]


def test_handoff_silences_the_bot_until_resolved(client: TestClient, queue: Queue) -> None:
    store = client.app.state.store
    store.set_handoff(3, 245, on=True)
    payload = fixture("message_created.incoming_text.json")
    assert post(client, payload).json() == {"status": "ignored",
                                            "reason": "handed off to a human"}
    resolved = post(client, fixture("conversation_resolved.agent_bot.json")).json()
    assert resolved["status"] == "ignored" and not store.is_handed_off(3, 245)
    assert post(client, payload).json()["status"] == "queued"


@pytest.mark.parametrize(("mutate", "status", "error"), [
    (lambda h, b: {**h, "X-Chatwoot-Signature": "sha256=" + "0" * 64}, 401, "wrong"),
    (lambda h, b: {k: v for k, v in h.items() if k != "X-Chatwoot-Signature"}, 401, "missing"),
    (lambda h, b: {**signed(b, at=time.time() - 600)}, 401, "too old"),
    (lambda h, b: signed(b, secret="another-secret"), 401, "wrong"),
])
def test_forged_or_stale_signatures_are_refused(client: TestClient, queue: Queue,
                                                 mutate: Any, status: int, error: str) -> None:
    body = json.dumps(fixture("message_created.incoming_text.json")).encode()
    response = client.post("/webhooks/chatwoot", content=body,
                           headers=mutate(signed(body), body))
    assert response.status_code == status and error in response.json()["error"]
    assert queue.calls == [] and client.app.state.store.pending(3, 245) == 0


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"{not json", 400, "malformed JSON"),
    (b"[1, 2]", 422, "JSON object"),
    (b'{"message_type": "incoming"}', 422, "'event' is missing"),
    (json.dumps({"event": "message_created", "message_type": "incoming", "private": False,
                 "content": "oi", "id": 1, "inbox": {"id": 7}}).encode(), 422, "conversation"),
    (b"x" * (65 * 1024), 413, "body over"),
])
def test_bad_bodies_are_4xx_with_a_clear_error(client: TestClient, queue: Queue, body: bytes,
                                               status: int, error: str) -> None:
    response = client.post("/webhooks/chatwoot", content=body, headers=signed(body))
    assert response.status_code == status and error in response.json()["error"]
    assert queue.calls == []


def test_token_mode_and_refusal_to_start_without_auth(redis_url: str, queue: Queue) -> None:
    with pytest.raises(SystemExit, match="BALCAO_CHATWOOT_WEBHOOK_SECRET"):
        create_app(Settings(_env_file=None, redis_url=redis_url), enqueue=queue)
    app = create_app(Settings(_env_file=None, redis_url=redis_url, webhook_token="tok-123"),
                     enqueue=queue)
    body = json.dumps(fixture("message_created.incoming_text.json")).encode()
    with TestClient(app) as client:
        assert client.post("/webhooks/chatwoot", content=body).status_code == 401
        assert client.post("/webhooks/chatwoot?token=nope", content=body).status_code == 401
        assert client.post("/webhooks/chatwoot?token=tok-123", content=body).status_code == 200


def test_inbox_filter(redis_url: str, queue: Queue) -> None:
    settings = Settings(_env_file=None, redis_url=redis_url, demo_mode=True,
                        chatwoot_inbox_ids="9")
    payload = copy.deepcopy(fixture("message_created.incoming_text.json"))
    payload["id"] = 990001
    with TestClient(create_app(settings, enqueue=queue)) as client:
        response = client.post("/webhooks/chatwoot", json=payload)
    assert response.json() == {"status": "ignored", "reason": "inbox 7 is not served by the bot"}


def test_conversation_endpoint_needs_an_operator(client: TestClient,
                                                 settings: Settings) -> None:
    post(client, fixture("message_created.incoming_text.json"))
    url = "/conversations/3/245"
    assert client.get(url).status_code == 401
    viewer = mint_token(settings, subject="v", role="viewer", tenant="casaobra")
    assert client.get(url, headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
    operator = mint_token(settings, subject="o", role="operator", tenant="casaobra")
    response = client.get(url, headers={"Authorization": f"Bearer {operator}"})
    assert response.status_code == 200
    assert response.json()["stage"] == "new" and response.json()["cart"] == []
    missing = client.get("/conversations/3/999", headers={"Authorization": f"Bearer {operator}"})
    assert missing.status_code == 404


def test_health_ready_metrics(client: TestClient) -> None:
    post(client, fixture("message_created.incoming_text.json"))
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json()["checks"]["redis"] == "ok"
    metrics = client.get("/metrics").text
    assert 'balcao_webhooks_total{outcome="queued"} 1.0' in metrics
    assert client.get("/openapi.json").json()["info"]["title"] == "Balcão API"
