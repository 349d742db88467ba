"""A small Python client for the crews API.

    from api.client import CrewsClient
    with CrewsClient("http://127.0.0.1:8000", token) as client:
        run_id = client.run_crew("financial_analysis", {"company": "all"})
        for event in client.stream_events(run_id):
            print(event["stage"], event["progress"], event["message"])
        report = client.get_run(run_id)["result"]

Errors from the API raise ``CrewsApiError`` with its status and message.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse


class CrewsApiError(RuntimeError):
    def __init__(self, status: int, detail: Any):
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class CrewsClient:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = 30.0):
        self.http = httpx.Client(base_url=base_url, timeout=timeout_s,
                                 headers={"Authorization": f"Bearer {token}"})

    def __enter__(self) -> CrewsClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_error:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise CrewsApiError(response.status_code, detail)
        return response

    def run_crew(self, name: str, inputs: dict[str, Any]) -> str:
        """Start a run; returns its id at once (the run goes on on the workers)."""
        return self._check(self.http.post(f"/crews/{name}/runs", json=inputs)).json()["run_id"]

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self._check(self.http.get(f"/crews/runs/{run_id}")).json()

    def stream_events(self, run_id: str, *, last_event_id: str = ""
                      ) -> Iterator[dict[str, Any]]:
        """The run's events, from the first (or after ``last_event_id``) to done or error;
        each has ``type``, ``stage``, ``progress``, ``message``, ``data`` and ``id``."""
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        with connect_sse(self.http, "GET", f"/crews/runs/{run_id}/events", headers=headers,
                         timeout=httpx.Timeout(self.http.timeout.connect, read=None)
                         ) as source:
            if source.response.is_error:
                source.response.read()
                self._check(source.response)
            for sse in source.iter_sse():
                event = {**sse.json(), "id": sse.id}
                yield event
                if event["type"] in ("done", "error"):
                    return

    def download(self, run_id: str, name: str, to: Path) -> Path:
        response = self._check(self.http.get(f"/crews/runs/{run_id}/files/{name}"))
        to.write_bytes(response.content)
        return to


def run_crew(base_url: str, token: str, name: str, inputs: dict[str, Any]) -> str:
    """Start a run of ``name`` and return its id."""
    with CrewsClient(base_url, token) as client:
        return client.run_crew(name, inputs)


def stream_events(base_url: str, token: str, run_id: str) -> Iterator[dict[str, Any]]:
    """Follow a run's events to the end (done or error)."""
    with CrewsClient(base_url, token) as client:
        yield from client.stream_events(run_id)
