"""The crews API: start a crew run, read it, stream its progress, download its files.

``POST /crews/{name}/runs`` validates the inputs for that crew, records the run in Redis
and queues it on the Celery workers (202). Any API replica can then answer
``GET /crews/runs/{id}`` and stream ``/events`` (Server-Sent Events from the run's Redis
stream). Operators start runs, viewers read them; a run belongs to the tenant of the token
that started it and is invisible (404) to any other.
"""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations at runtime

from collections.abc import AsyncIterable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastmcp.server.auth.providers.jwt import JWTVerifier
from pydantic import BaseModel, ValidationError

from api.auth import Claims, require, tenant_of
from api.celery_app import make_app
from flows.crew_runs import CREWS
from flows.run_store import RunReader, RunRecord, RunStore
from mcp_servers.settings import Settings

EnqueueRun = Callable[[str], None]


class RunAccepted(BaseModel):
    run_id: str
    status: str
    events: str
    run: str


def celery_enqueue_run(settings: Settings) -> EnqueueRun:
    celery = make_app(settings)

    def enqueue(run_id: str) -> None:
        celery.send_task("balcao.crew_run", args=[run_id])
    return enqueue


def crews_router(settings: Settings, verifier: JWTVerifier | None,
                 enqueue: EnqueueRun) -> APIRouter:
    router = APIRouter(prefix="/crews", tags=["crews"])
    runs = RunStore.from_url(settings.redis_url, settings.run_ttl_s)
    reader = RunReader(settings.redis_url)
    viewer, operator = require(verifier, "viewer"), require(verifier, "operator")

    async def visible_run(run_id: str, claims: Annotated[Claims, Depends(viewer)]
                          ) -> RunRecord:
        record = await reader.get(run_id)
        if record is None or record.tenant != tenant_of(claims):
            raise HTTPException(404, f"no run {run_id} (unknown, expired, or another "
                                     "tenant's)")
        return record

    @router.post("/{name}/runs", status_code=202, response_model=RunAccepted,
                 summary="Start a crew run (operator token)")
    async def start_run(name: str, claims: Annotated[Claims, Depends(operator)],
                        inputs: Annotated[dict[str, Any], Body()]) -> RunAccepted:
        if name not in CREWS:
            raise HTTPException(404, f"no crew {name!r}; crews: {', '.join(CREWS)}")
        try:
            checked = CREWS[name][0].model_validate(inputs)
        except ValidationError as exc:
            raise HTTPException(422, [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]}
                                      for e in exc.errors()]) from None
        record = runs.create(name, tenant_of(claims), checked.model_dump(mode="json"),
                             str(claims.get("sub", "")))
        enqueue(record.run_id)
        return RunAccepted(run_id=record.run_id, status=record.status,
                           events=f"/crews/runs/{record.run_id}/events",
                           run=f"/crews/runs/{record.run_id}")

    @router.get("/runs/{run_id}", response_model=RunRecord,
                summary="A run's status, timings and result (viewer token)")
    async def get_run(record: Annotated[RunRecord, Depends(visible_run)]) -> RunRecord:
        return record

    @router.get("/runs/{run_id}/events", response_class=EventSourceResponse,
                summary="The run's progress as Server-Sent Events, then done or error")
    async def run_events(record: Annotated[RunRecord, Depends(visible_run)],
                         last_event_id: Annotated[str | None, Header()] = None
                         ) -> AsyncIterable[ServerSentEvent]:
        after = last_event_id or "0"
        while True:
            batch = await reader.events(record.run_id, after,
                                        block_ms=settings.sse_poll_ms)
            for event_id, event in batch:
                after = event_id
                yield ServerSentEvent(event=event.type, id=event_id,
                                      data=event.model_dump(mode="json"))
                if event.type in ("done", "error"):
                    return
            if not batch and await reader.get(record.run_id) is None:
                yield ServerSentEvent(event="error", data={
                    "type": "error", "message": "the run expired", "progress": 0.0,
                    "stage": "", "data": {}})
                return

    @router.get("/runs/{run_id}/files/{name}", summary="A file the run wrote (viewer token)")
    async def run_file(name: str, record: Annotated[RunRecord, Depends(visible_run)]
                       ) -> FileResponse:
        if name not in record.files:
            raise HTTPException(404, f"run {record.run_id} wrote no file {name!r}; files: "
                                     f"{', '.join(record.files) or 'none'}")
        path = Path(settings.runs_dir) / record.run_id / name
        if not path.is_file():
            raise HTTPException(410, f"{name} is gone from this server's runs directory "
                                     "(BALCAO_RUNS_DIR must be shared by workers and API)")
        return FileResponse(path, filename=name)

    return router
