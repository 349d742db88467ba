"""The embedded Chatwoot on the wire, checked against the shared Chatwoot contract fixtures.

Raw HTTP over loopback (no client library, no mocks): the fixture requests are replayed and
the responses compared key by key with the fixture responses; webhooks go to a real
receiver that recomputes the HMAC. Fixtures: ``tests/fixtures/chatwoot`` (a copy of the
shared Chatwoot contract fixtures, so the tests never depend on anything outside the repo).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.chatwoot import DEMO_WEBHOOK_SECRET, EmbeddedChatwoot
from sandbox.chatwoot.webhooks import encode, sign, verify

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chatwoot"
REPO = Path(__file__).resolve().parents[2]
ACCOUNT = 3


HTTP = httpx.Client(timeout=10)  # one pool: a new client per call costs ~40 ms


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


def fixture(name: str) -> Any:
    path = FIXTURES / name
    return json.loads(path.read_text(encoding="utf-8"))


def assert_same_shape(actual: Any, expected: Any, path: str = "$",
                      optional: frozenset[str] = frozenset()) -> None:
    """Same keys at every level and the same JSON types (``null`` matches anything);
    keys in ``optional`` may be missing on either side."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        missing = set(expected) - set(actual) - optional
        extra = set(actual) - set(expected) - optional
        assert not missing and not extra, f"{path}: missing {missing}, unexpected {extra}"
        for key in expected.keys() & actual.keys():
            assert_same_shape(actual[key], expected[key], f"{path}.{key}", optional)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected an array, got {actual!r}"
        for index, item in enumerate(actual):
            if expected:
                assert_same_shape(item, expected[min(index, len(expected) - 1)],
                                  f"{path}[{index}]", optional)
    elif expected is not None and actual is not None:
        assert type(actual) is type(expected), f"{path}: {actual!r} vs {expected!r}"


def call(server: EmbeddedChatwoot, method: str, path: str = "", *, token: str | None = "user",
         json_body: Any = None, params: dict[str, Any] | None = None,
         account: int = ACCOUNT, conversation: int | str = 245,
         headers: dict[str, str] | None = None) -> httpx.Response:
    """``METHOD /api/v1/accounts/{account}/conversations/{conversation}{path}``."""
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["api_access_token"] = {"user": server.user_token,
                                           "bot": server.bot_token}.get(token, token)
    url = f"{server.url}/api/v1/accounts/{account}/conversations/{conversation}{path}"
    return HTTP.request(method, url, json=json_body, params=params, headers=all_headers)


def without(data: Any, keys: set[str]) -> Any:
    """``data`` with those keys dropped at every level."""
    if isinstance(data, dict):
        return {k: without(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [without(item, keys) for item in data]
    return data


@pytest.fixture(scope="module")
def shared_server() -> Iterator[EmbeddedChatwoot]:
    with EmbeddedChatwoot() as server:
        yield server


@pytest.fixture
def cw(shared_server: EmbeddedChatwoot) -> EmbeddedChatwoot:
    """The double, back to the fixture scenario."""
    shared_server.reset()
    return shared_server


class Receiver:
    """A webhook endpoint on loopback that records every request (headers, raw body)."""

    def __init__(self) -> None:
        self.requests: queue.Queue[tuple[Any, bytes]] = queue.Queue()
        self.status, self.delay, self.hits = 200, 0.0, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.hits += 1
                outer.requests.put((self.headers, raw))
                time.sleep(outer.delay)
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up (timeout)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, *args: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/chatwoot/events"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()

    def next(self, timeout: float = 5.0) -> tuple[Any, bytes, dict[str, Any]]:
        headers, raw = self.requests.get(timeout=timeout)
        return headers, raw, json.loads(raw)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def hooked(receiver: Receiver) -> Iterator[EmbeddedChatwoot]:
    with EmbeddedChatwoot(webhook_url=receiver.url) as server:
        yield server


# --- 1. messages --------------------------------------------------------------------------
def test_bot_reply_replays_the_send_message_fixture(cw: EmbeddedChatwoot) -> None:
    expected = fixture("api/send_message.response.json")
    response = call(cw, "POST", "/messages", token="bot",
                    json_body=fixture("api/send_message.request.json"))
    assert response.status_code == 200
    body = response.json()
    assert_same_shape(body, expected)
    assert without(body, {"id", "created_at"}) == without(expected, {"id", "created_at"})
    assert body["id"] == 58239  # the seeded conversation ends with 58238
    assert abs(body["created_at"] - time.time()) < 5


def test_private_note_replays_the_fixture(cw: EmbeddedChatwoot) -> None:
    expected = fixture("api/send_private_note.response.json")
    response = call(cw, "POST", "/messages", json_body=fixture(
        "api/send_private_note.request.json"))
    assert response.status_code == 200
    body = response.json()
    assert_same_shape(body, expected)
    assert body["private"] is True and body["message_type"] == 1
    assert body["sender"] == expected["sender"]  # Carla, User#push_event_data


def test_quoted_reply_gets_the_whatsapp_id_of_the_quoted_message(cw: EmbeddedChatwoot) -> None:
    expected = fixture("api/send_message_in_reply_to.response.json")
    response = call(cw, "POST", "/messages", token="bot",
                    json_body=fixture("api/send_message_in_reply_to.request.json"))
    assert response.status_code == 200
    assert without(response.json(), {"created_at"}) == without(expected, {"created_at"})


def test_quoting_an_unknown_message_clears_both_reply_keys(cw: EmbeddedChatwoot) -> None:
    body = call(cw, "POST", "/messages", token="bot", json_body={
        "content": "ok", "content_attributes": {"in_reply_to": 1, "ignored": True}}).json()
    assert body["content_attributes"] == {"in_reply_to": None, "in_reply_to_external_id": None}


def test_echo_id_and_template_params(cw: EmbeddedChatwoot) -> None:
    body = call(cw, "POST", "/messages", token="bot", json_body={
        "content": "Seu pedido saiu", "echo_id": "e-1",
        "template_params": {"name": "pedido_enviado", "category": "UTILITY",
                            "language": "pt_BR", "processed_params": {"1": "João"}}}).json()
    assert body["echo_id"] == "e-1"
    stored = cw.store.get_conversation(245).messages[-1]
    assert stored.additional_attributes["template_params"]["name"] == "pedido_enviado"


def test_messages_list_is_the_fixture_conversation(cw: EmbeddedChatwoot) -> None:
    expected = fixture("api/messages_list.response.json")
    response = call(cw, "GET", "/messages")
    assert response.status_code == 200
    body = response.json()
    assert_same_shape(body, expected)
    times = {"created_at", "agent_last_seen_at", "assignee_last_seen_at"}
    assert without(body, times) == without(expected, times)
    created = [m["created_at"] for m in body["payload"]]
    assert created == sorted(created)


def test_messages_cursor_before_after_and_internal_filter(cw: EmbeddedChatwoot) -> None:
    conversation = cw.store.add_conversation("Ana Lima", "+5511911112222")
    ids = [cw.store.add_incoming_message(conversation.display_id, f"m{n}").id
           for n in range(30)]

    def page(**params: Any) -> list[int]:
        response = call(cw, "GET", "/messages", conversation=conversation.display_id,
                        params=params)
        assert response.status_code == 200
        return [m["id"] for m in response.json()["payload"]]

    assert page() == ids[-20:]
    assert page(before=ids[10]) == ids[:10]
    assert page(before=ids[25]) == ids[5:25]
    assert page(before=ids[0]) == []
    assert page(after=ids[27]) == ids[28:]
    assert page(after=ids[3], before=ids[6]) == ids[3:6]
    internal = [m["id"] for m in call(cw, "GET", "/messages",
                                      params={"filter_internal_messages": "true"}
                                      ).json()["payload"]]
    assert internal == [58231, 58232, 58233, 58234, 58238]  # no activity, no private note


# --- 2. status, typing -------------------------------------------------------------------
def test_toggle_status_resolved_snoozed_and_bot_handoff(cw: EmbeddedChatwoot) -> None:
    for name, token in (("toggle_status", "bot"), ("toggle_status.snoozed", "bot")):
        response = call(cw, "POST", "/toggle_status", token=token,
                        json_body=fixture(f"api/{name}.request.json"))
        assert response.status_code == 200
        assert response.json() == fixture(f"api/{name}.response.json")
    assert cw.store.get_conversation(245).status == "snoozed"
    pending = call(cw, "POST", "/toggle_status", json_body={"status": "pending"}).json()
    assert pending["payload"]["current_status"] == "pending"
    assert pending["payload"]["snoozed_until"] is None  # cleared when leaving snoozed
    handoff = call(cw, "POST", "/toggle_status", token="bot",
                   json_body=fixture("api/toggle_status.bot_handoff.request.json"))
    assert handoff.json() == fixture("api/toggle_status.bot_handoff.response.json")


def test_toggle_without_status_flips_open_and_resolved(cw: EmbeddedChatwoot) -> None:
    statuses = [call(cw, "POST", "/toggle_status", token="bot").json()["payload"]
                ["current_status"] for _ in range(2)]
    assert statuses == ["resolved", "open"]


def test_invalid_status_is_a_500_as_in_rails(cw: EmbeddedChatwoot) -> None:
    response = call(cw, "POST", "/toggle_status", json_body={"status": "closed"})
    assert response.status_code == 500
    assert cw.store.get_conversation(245).status == "open"


def test_agent_opening_a_conversation_takes_it_but_a_bot_does_not(
        cw: EmbeddedChatwoot) -> None:
    assert call(cw, "POST", "/assignments", json_body={"assignee_id": None}).json() is None
    call(cw, "POST", "/toggle_status", json_body={"status": "resolved"})
    call(cw, "POST", "/toggle_status", token="bot", json_body={"status": "open"})
    assert "assignee" not in call(cw, "GET", token="bot").json()["meta"]
    call(cw, "POST", "/toggle_status", json_body={"status": "resolved"})
    call(cw, "POST", "/toggle_status", json_body={"status": "open"})
    assert call(cw, "GET", token="bot").json()["meta"]["assignee"]["id"] == 12


def test_typing_indicator_is_an_empty_200(cw: EmbeddedChatwoot) -> None:
    response = call(cw, "POST", "/toggle_typing_status", token="bot",
                    json_body=fixture("api/toggle_typing_status.request.json"))
    assert response.status_code == 200
    assert response.content == b""


# --- 3. assignments ------------------------------------------------------------------------
def test_assign_agent_and_team_replay_the_fixtures(cw: EmbeddedChatwoot) -> None:
    call(cw, "POST", "/assignments", json_body={"assignee_id": None})
    call(cw, "POST", "/assignments", json_body={"team_id": None})
    for name in ("assign_agent", "assign_team"):
        response = call(cw, "POST", "/assignments", token="bot",
                        json_body=fixture(f"api/{name}.request.json"))
        assert response.status_code == 200
        assert response.json() == fixture(f"api/{name}.response.json")
    conversation = cw.store.get_conversation(245)
    assert (conversation.assignee_id, conversation.team_id) == (12, 4)


def test_assignment_edge_cases(cw: EmbeddedChatwoot) -> None:
    conversation = cw.store.get_conversation(245)
    both = call(cw, "POST", "/assignments", json_body={"assignee_id": None, "team_id": None})
    assert both.json() is None
    assert (conversation.assignee_id, conversation.team_id) == (None, 4)  # team ignored
    assert call(cw, "POST", "/assignments", json_body={"team_id": 999}).json() is None
    assert conversation.team_id is None
    call(cw, "POST", "/assignments", json_body={"assignee_id": 12})
    assert call(cw, "POST", "/assignments", json_body={"assignee_id": 777}).json() is None
    assert conversation.assignee_id is None  # unknown user unassigns
    assert call(cw, "POST", "/assignments", json_body={}).json() is None
    bot = call(cw, "POST", "/assignments",
               json_body={"assignee_id": 2, "assignee_type": "AgentBot"}).json()
    assert set(bot) == {"id", "name", "description", "thumbnail", "outgoing_url", "bot_type"}
    assert conversation.assignee_agent_bot_id == 2


# --- 4. labels, custom attributes ----------------------------------------------------------
def test_labels_post_replaces_the_whole_list(cw: EmbeddedChatwoot) -> None:
    assert call(cw, "POST", "/labels", json_body={"labels": ["vip"]}).json() == {
        "payload": ["vip"]}
    response = call(cw, "POST", "/labels", token="bot",
                    json_body=fixture("api/labels.request.json"))
    assert response.json() == fixture("api/labels.response.json")
    assert call(cw, "GET", "/labels", token="bot").json() == fixture(
        "api/labels.response.json")  # "vip" is gone
    assert call(cw, "POST", "/labels", json_body={"labels": []}).json() == {"payload": []}
    assert call(cw, "GET", "/labels").json() == {"payload": []}


def test_custom_attributes_replace_the_whole_hash(cw: EmbeddedChatwoot) -> None:
    call(cw, "POST", "/custom_attributes", json_body={"custom_attributes": {"antigo": 1}})
    response = call(cw, "POST", "/custom_attributes", token="bot",
                    json_body=fixture("api/custom_attributes.request.json"))
    assert response.status_code == 200
    assert response.json() == fixture("api/custom_attributes.response.json")
    shown = call(cw, "GET").json()["custom_attributes"]
    assert shown == fixture("api/custom_attributes.response.json")["custom_attributes"]


def test_custom_attribute_too_long_is_the_record_invalid_422(cw: EmbeddedChatwoot) -> None:
    before = dict(cw.store.get_conversation(245).custom_attributes)
    response = call(cw, "POST", "/custom_attributes",
                    json_body={"custom_attributes": {"observacoes": "x" * 1501}})
    assert response.status_code == 422
    assert response.json() == fixture("api/errors/422_record_invalid.json")
    assert cw.store.get_conversation(245).custom_attributes == before


# --- 5. conversation show -----------------------------------------------------------------
def test_show_conversation(cw: EmbeddedChatwoot) -> None:
    response = call(cw, "GET", token="bot")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == 245 and body["inbox_id"] == 7 and body["status"] == "open"
    assert body["meta"]["sender"]["phone_number"] == "+5511987654321"
    assert body["meta"]["channel"] == "Channel::Whatsapp"
    assert body["meta"]["assignee"]["id"] == 12 and body["meta"]["team"]["id"] == 4
    assert body["labels"] == ["pedido", "whatsapp"]
    assert body["can_reply"] is True
    assert [m["id"] for m in body["messages"]] == [58238]
    assert body["last_non_activity_message"]["id"] == 58238
    assert isinstance(body["updated_at"], float) and isinstance(body["created_at"], int)


# --- 6. errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(("token", "account", "conversation", "status", "error"), [
    (None, 3, 245, 401, "401_no_token_devise"),
    ("", 3, 245, 401, "401_no_token_devise"),
    ("not-a-token", 3, 245, 401, "401_invalid_access_token"),
    ("bot", 3, 245, 401, "401_bot_endpoint_not_allowed"),
    ("user", 1, 245, 401, "401_user_not_authorized_for_account"),
    ("user", 999, 245, 404, "404_not_found"),
    ("user", 3, 99999, 404, "404_not_found"),
    ("user", 3, "abc", 404, "404_not_found"),
])
def test_messages_list_errors(cw: EmbeddedChatwoot, token: str | None, account: int,
                              conversation: int | str, status: int, error: str) -> None:
    response = call(cw, "GET", "/messages", token=token, account=account,
                    conversation=conversation)
    assert response.status_code == status
    assert response.json() == fixture(f"api/errors/{error}.json")


def test_hyphenated_header_is_accepted(cw: EmbeddedChatwoot) -> None:
    response = call(cw, "GET", "/labels", token=None,
                    headers={"Api-Access-Token": cw.bot_token})
    assert response.status_code == 200


def test_bot_outside_its_account(cw: EmbeddedChatwoot) -> None:
    response = call(cw, "POST", "/messages", token="bot", account=1,
                    json_body={"content": "oi"})
    assert response.status_code == 401
    assert response.json() == fixture("api/errors/401_bot_not_authorized_for_account.json")


def test_agent_outside_the_inbox_gets_pundits_401(cw: EmbeddedChatwoot) -> None:
    conversation = cw.store.add_conversation("Loja Parceira", "+5511933334444", inbox_id=8)
    response = call(cw, "GET", "/messages", conversation=conversation.display_id)
    assert response.status_code == 401
    assert response.json() == fixture("api/errors/401_pundit_not_authorized.json")
    assert call(cw, "GET", "/labels", token="bot",
                conversation=conversation.display_id).status_code == 200
    with EmbeddedChatwoot(user_role="administrator") as admin_server:
        other = admin_server.store.add_conversation("Loja Parceira", "+5511933334444",
                                                    inbox_id=8)
        assert call(admin_server, "GET", "/messages",
                    conversation=other.display_id).status_code == 200


def test_incoming_messages_only_in_api_inboxes(cw: EmbeddedChatwoot) -> None:
    response = call(cw, "POST", "/messages", token="bot",
                    json_body={"content": "oi", "message_type": "incoming"})
    assert response.status_code == 422
    assert response.json() == fixture("api/errors/422_message_create_failed.json")
    api = cw.store.add_conversation("Sistema Legado", "+5511955556666", inbox_id=8)
    created = call(cw, "POST", "/messages", token="bot", conversation=api.display_id,
                   json_body={"content": "oi", "message_type": "incoming"})
    assert created.status_code == 200
    assert created.json()["message_type"] == 0
    assert created.json()["sender"]["type"] == "contact"


@pytest.mark.parametrize(("body", "error"), [
    ({"message_type": "outgoing"}, "param is missing or the value is empty: content"),
    ({"content": "   "}, "param is missing or the value is empty: content"),
    ({"content": "oi", "message_type": "bogus"}, "'bogus' is not a valid message_type"),
    ({"content": "oi", "content_type": "bogus"}, "'bogus' is not a valid content_type"),
    ({"content": "x" * 150_001},
     "Validation failed: Content is too long (maximum is 150000 characters)"),
])
def test_invalid_messages_are_422(cw: EmbeddedChatwoot, body: dict[str, Any],
                                  error: str) -> None:
    count = len(cw.store.get_conversation(245).messages)
    response = call(cw, "POST", "/messages", token="bot", json_body=body)
    assert response.status_code == 422
    assert response.json() == {"error": error}
    assert len(cw.store.get_conversation(245).messages) == count


def test_malformed_json_is_a_400(cw: EmbeddedChatwoot) -> None:
    response = HTTP.post(f"{cw.url}/api/v1/accounts/3/conversations/245/labels",
                          content=b"{not json", headers={"api_access_token": cw.user_token,
                                                          "Content-Type": "application/json"})
    assert response.status_code == 400


def test_message_flood_is_the_422_fixture() -> None:
    with EmbeddedChatwoot(message_flood_limit=3) as server:
        conversation = server.store.add_conversation("Bot Em Loop", "+5511977778888")
        codes = [call(server, "POST", "/messages", token="bot",
                      conversation=conversation.display_id,
                      json_body={"content": f"eco {n}"}).status_code for n in range(3)]
        assert codes == [200, 200, 200]
        response = call(server, "POST", "/messages", token="bot",
                        conversation=conversation.display_id, json_body={"content": "eco"})
        assert response.status_code == 422
        assert response.json() == fixture("api/errors/422_message_flood.json")


# --- 7. rate limit -------------------------------------------------------------------------
def test_rate_limit_answers_429_then_recovers() -> None:
    with EmbeddedChatwoot(rate_limit=3, rate_limit_period=1.5) as server:
        codes = [call(server, "GET", "/labels").status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        throttled = call(server, "GET", "/labels", token=None)  # counted before auth
        assert throttled.status_code == 429
        assert throttled.text == "Retry later\n"
        assert throttled.headers["content-type"].startswith("text/plain")
        assert "retry-after" not in throttled.headers
        time.sleep(1.6)
        assert call(server, "GET", "/labels").status_code == 200


# --- 8. webhooks -------------------------------------------------------------------------
def test_encoding_and_signature_match_the_signature_example() -> None:
    example = fixture("webhooks/_signature_example.json")
    body = fixture("webhooks/message_created.incoming_text.json")
    raw = encode(body)
    assert raw == example["body"].encode()
    headers = example["headers"]
    assert sign(example["secret"], headers["X-Chatwoot-Timestamp"], raw) == headers[
        "X-Chatwoot-Signature"]
    assert verify(example["secret"], headers, raw, tolerance=10**10)
    assert not verify(example["secret"], headers, raw)  # too old for 5 minutes
    assert json.loads(encode({"t": "<a&b>"})) == {"t": "<a&b>"}
    assert b"\\u003ca\\u0026b\\u003e" in encode({"t": "<a&b>"})


def _check_signature(headers: Any, raw: bytes, secret: str = DEMO_WEBHOOK_SECRET) -> None:
    timestamp = headers["X-Chatwoot-Timestamp"]
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    assert headers["X-Chatwoot-Signature"] == "sha256=" + mac.hexdigest()
    assert abs(int(timestamp) - time.time()) < 10
    uuid.UUID(headers["X-Chatwoot-Delivery"])
    assert headers["Content-Type"] == "application/json"


def test_incoming_message_is_delivered_signed(hooked: EmbeddedChatwoot,
                                              receiver: Receiver) -> None:
    conversation = hooked.store.add_conversation("Maria Souza", "+5521999990000")
    message = hooked.store.add_incoming_message(conversation.display_id, "Tem cimento CP-II?")
    assert receiver.hits == 1  # delivered before add_incoming_message returned
    headers, raw, body = receiver.next()
    _check_signature(headers, raw)
    assert_same_shape(body, fixture("webhooks/message_created.incoming_text.json"))
    assert body["event"] == "message_created" and body["message_type"] == "incoming"
    assert body["id"] == message.id and body["content"] == "Tem cimento CP-II?"
    assert body["conversation"]["id"] == conversation.display_id
    assert body["conversation"]["status"] == "pending"
    assert body["conversation"]["messages"][0]["id"] == message.id
    assert body["sender"]["phone_number"] == "+5521999990000"
    assert body["conversation"]["contact_inbox"]["source_id"] == "5521999990000"
    assert hooked.webhooks is not None and hooked.webhooks.deliveries[-1].ok


def test_bot_reply_echoes_as_outgoing_then_updated(hooked: EmbeddedChatwoot,
                                                   receiver: Receiver) -> None:
    conversation = hooked.store.add_conversation("Maria Souza", "+5521999990000")
    hooked.store.add_incoming_message(conversation.display_id, "Oi")
    receiver.next()
    reply = call(hooked, "POST", "/messages", token="bot", conversation=conversation.display_id,
                 json_body={"content": "Temos sim!"}).json()
    headers, raw, created = receiver.next()
    _check_signature(headers, raw)
    assert_same_shape(created, fixture("webhooks/message_created.outgoing_agent_bot.json"))
    assert created["event"] == "message_created" and created["message_type"] == "outgoing"
    assert created["id"] == reply["id"] and created["sender"]["type"] == "agent_bot"
    assert created["source_id"] is None
    _, _, updated = receiver.next()
    assert updated["event"] == "message_updated" and updated["id"] == reply["id"]
    assert updated["source_id"].startswith("wamid.")


def test_private_note_is_emitted_but_not_the_conversations_last_message(
        hooked: EmbeddedChatwoot, receiver: Receiver) -> None:
    note = call(hooked, "POST", "/messages",
                json_body=fixture("api/send_private_note.request.json")).json()
    _, _, body = receiver.next()
    expected = fixture("webhooks/message_created.private_note.json")
    # there the last public message was João's photo; here it is Carla's reply
    last_sender = body["conversation"]["messages"][0].pop("sender")
    assert last_sender == fixture("api/send_private_note.response.json")["sender"]
    expected["conversation"]["messages"][0].pop("sender")
    assert_same_shape(body, expected, optional=frozenset({"attachments"}))
    assert body["private"] is True and body["id"] == note["id"]
    assert body["sender"] == {"id": 12, "name": "Carla Mendes",
                              "email": "carla.mendes@ferragenspaulista.com.br", "type": "user"}
    assert body["conversation"]["messages"][0]["id"] == 58238
    with pytest.raises(queue.Empty):
        receiver.next(timeout=0.3)  # a note is never sent to WhatsApp: no message_updated


def test_failed_delivery_is_not_retried(receiver: Receiver) -> None:
    receiver.status = 500
    with EmbeddedChatwoot(webhook_url=receiver.url) as server:
        server.store.add_incoming_message(245, "oi")
        time.sleep(0.2)
        assert receiver.hits == 1
        assert server.webhooks is not None
        assert server.webhooks.deliveries[-1].error == "500 Internal Server Error"


def test_slow_receiver_times_out_without_retry(receiver: Receiver) -> None:
    receiver.delay = 1.0
    with EmbeddedChatwoot(webhook_url=receiver.url, webhook_timeout=0.2) as server:
        started = time.monotonic()
        server.store.add_incoming_message(245, "oi")
        assert time.monotonic() - started < 0.9
        assert server.webhooks is not None
        assert "Timeout" in (server.webhooks.deliveries[-1].error or "")
        time.sleep(0.3)
        assert receiver.hits == 1


def test_unsigned_when_no_secret(receiver: Receiver) -> None:
    with EmbeddedChatwoot(webhook_url=receiver.url, webhook_secret=None) as server:
        server.store.add_incoming_message(245, "oi")
        headers, _, _ = receiver.next()
        assert headers["X-Chatwoot-Signature"] is None
        assert headers["X-Chatwoot-Timestamp"] is None
        assert headers["X-Chatwoot-Delivery"]


# --- 9. WhatsApp window and conversation lifecycle --------------------------------------------
def test_reply_outside_the_24h_window_fails_after_creation(cw: EmbeddedChatwoot) -> None:
    conversation = cw.store.add_conversation("Cliente Antigo", "+5511900001111")
    day_ago = time.time() - 25 * 3600
    cw.store.add_incoming_message(conversation.display_id, "oi", created_at=day_ago)
    assert conversation.last_incoming_at == day_ago
    assert call(cw, "GET", conversation=conversation.display_id).json()["can_reply"] is False
    sent = call(cw, "POST", "/messages", token="bot", conversation=conversation.display_id,
                json_body={"content": "Ainda precisa?"}).json()
    assert sent["status"] == "sent"  # the API answers before the WhatsApp send
    template = call(cw, "POST", "/messages", token="bot", conversation=conversation.display_id,
                    json_body={"content": "Olá!", "template_params": {
                        "name": "retomar", "language": "pt_BR"}}).json()
    stored = {m["id"]: m for m in call(cw, "GET", "/messages",
                                       conversation=conversation.display_id).json()["payload"]}
    assert stored[sent["id"]]["status"] == "failed"
    assert "external_error" in stored[sent["id"]]["content_attributes"]
    assert stored[template["id"]]["status"] == "sent"
    assert stored[template["id"]]["source_id"].startswith("wamid.")
    cw.store.add_incoming_message(conversation.display_id, "sim")
    assert call(cw, "GET", conversation=conversation.display_id).json()["can_reply"] is True


def test_contact_message_reopens_snoozed_and_resolved_conversations(
        cw: EmbeddedChatwoot) -> None:
    call(cw, "POST", "/toggle_status", json_body={"status": "snoozed",
                                                  "snoozed_until": int(time.time()) + 9999})
    cw.store.add_incoming_message(245, "voltei")
    conversation = cw.store.get_conversation(245)
    assert (conversation.status, conversation.snoozed_until) == ("open", None)
    call(cw, "POST", "/toggle_status", json_body={"status": "resolved"})
    cw.store.add_incoming_message(245, "mais uma coisa")
    assert conversation.status == "pending"  # the inbox has a bot: it gets it back
    api = cw.store.add_conversation("Sistema", "+5511922223333", inbox_id=8)
    assert api.status == "open"  # no bot in that inbox
    call(cw, "POST", "/toggle_status", token="bot", conversation=api.display_id,
         json_body={"status": "resolved"})
    cw.store.add_incoming_message(api.display_id, "oi")
    assert api.status == "open"


# --- 10. persistence, command line ---------------------------------------------------------
def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "chatwoot-sandbox.json"
    with EmbeddedChatwoot(tmp_path) as first:
        call(first, "POST", "/labels", json_body={"labels": ["persistido"]})
        assert '"persistido"' in state.read_text(encoding="utf-8")  # written at each change
        sent = call(first, "POST", "/messages", token="bot",
                    json_body={"content": "guardado"}).json()
        added = first.store.add_conversation("Rita Alves", "+5511944445555")
        saved = json.loads(state.read_text(encoding="utf-8"))
        by_id = {c["display_id"]: c for c in saved["conversations"]}
        assert by_id[245]["labels"] == ["persistido"]
        assert by_id[245]["messages"][-1]["content"] == "guardado"
        assert added.display_id in by_id
    with EmbeddedChatwoot(tmp_path) as second:
        assert call(second, "GET", "/labels").json() == {"payload": ["persistido"]}
        ids = [m["id"] for m in call(second, "GET", "/messages").json()["payload"]]
        assert ids[-1] == sent["id"]
        assert second.store.get_conversation(added.display_id).contact_id == added.contact_id
        again = call(second, "POST", "/messages", token="bot", json_body={"content": "x"})
        assert again.json()["id"] == sent["id"] + 1


def test_command_line_serves_the_double(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = "import typer; from api.chatwoot_sandbox_cli import chatwoot; typer.run(chatwoot)"
    process = subprocess.Popen(
        [sys.executable, "-c", script, "--port", str(port), "--data-dir", str(tmp_path)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                response = HTTP.get(
                    f"http://127.0.0.1:{port}/api/v1/accounts/3/conversations/245/labels",
                    headers={"api_access_token": "cw-sandbox-agent-bot-token-2"})
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the command did not start serving"
                time.sleep(0.1)
        assert response.json() == {"payload": ["pedido", "whatsapp"]}
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert (tmp_path / "chatwoot-sandbox.json").exists()
