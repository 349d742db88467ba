"""Shared fixtures: real parts for the session (embedded Odoo, redis-server, synced catalog)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qdrant_client import QdrantClient, models

from flows.catalog_sync import SyncReport, sync_catalog
from flows.mcp_client import gateway_tools
from mcp_servers.gateway.assemble import Gateway
from mcp_servers.settings import Settings
from sandbox.chatwoot import EmbeddedChatwoot
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key
from sandbox.redis_server import RedisServer


@pytest.fixture(scope="session")
def embedded_odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedOdoo]:
    """The embedded Odoo 17 with the demo company, on a free loopback port."""
    with EmbeddedOdoo(tmp_path_factory.mktemp("odoo17")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port, for the whole session."""
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


def catalog_settings(odoo: EmbeddedOdoo, tmp: Path, **overrides: Any) -> Settings:
    """Settings for the embedded Odoo, an in-memory Qdrant and no tenants file."""
    return Settings(_env_file=None, odoo_url=odoo.url, odoo_secret=demo_api_key("admin"),
                    tenants_file=tmp / "no-tenants.json", qdrant_path=Path(":memory:"),
                    audit_dir=tmp / "audit", **overrides)


@pytest.fixture(scope="session")
def catalog_gateway(embedded_odoo: EmbeddedOdoo,
                    tmp_path_factory: pytest.TempPathFactory) -> tuple[Gateway, SyncReport]:
    """An in-process gateway whose catalog holds the 200 demo products (synced once)."""
    settings = catalog_settings(embedded_odoo, tmp_path_factory.mktemp("catalog"))
    gateway = Gateway(settings, http=False, default_role="operator")

    async def sync() -> SyncReport:
        async with gateway_tools(settings, gateway=gateway) as tools:
            return await sync_catalog(tools)

    return gateway, asyncio.run(sync())


@pytest.fixture(scope="module")
def chatwoot() -> Iterator[EmbeddedChatwoot]:
    """A fresh Chatwoot double per test module (its ids restart in each one)."""
    with EmbeddedChatwoot() as server:
        yield server


def copy_catalog(source: Gateway, path: Path) -> None:
    """The synced catalog, vectors included, into an embedded Qdrant directory another
    process can open (nothing is embedded again)."""
    index = source.catalog.index
    target = QdrantClient(path=str(path))
    info = index.client.get_collection(index.collection)
    target.create_collection(index.collection, vectors_config=info.config.params.vectors,
                             sparse_vectors_config=info.config.params.sparse_vectors)
    offset = None
    while True:
        points, offset = index.client.scroll(index.collection, limit=256, offset=offset,
                                             with_vectors=True, with_payload=True)
        target.upsert(index.collection, [
            models.PointStruct(id=p.id, vector=p.vector, payload=p.payload) for p in points])
        if offset is None:
            break
    target.close()
