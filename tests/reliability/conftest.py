"""The multi-process topology for the reliability suite, once per module.

Bounded in time and loopback only: each wait has a deadline, every process is stopped
(or killed) at the end, and the backends are the embedded Odoo and the Chatwoot double.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flows.catalog_sync import SyncReport
from mcp_servers.gateway.assemble import Gateway
from sandbox.chatwoot import EmbeddedChatwoot
from sandbox.odoo import EmbeddedOdoo
from sandbox.topology import Topology
from tests.conftest import copy_catalog


@pytest.fixture(scope="module")
def topology(embedded_odoo: EmbeddedOdoo, chatwoot: EmbeddedChatwoot,
             catalog_gateway: tuple[Gateway, SyncReport],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """2 API processes, 2 Celery workers, the gateway over HTTP, redis-server with AOF."""
    tmp = tmp_path_factory.mktemp("topology")
    copy_catalog(catalog_gateway[0], tmp / "qdrant")
    stack = Topology(tmp, odoo=embedded_odoo, chatwoot=chatwoot, qdrant_path=tmp / "qdrant")
    try:
        yield stack.start(apis=2, workers=2)
    finally:
        stack.stop()
