"""Live price and stock of search hits, read from Odoo and cached briefly.

The index holds the price and stock of its last sync; a customer must be quoted today's.
Only the top hits are read (one ``read`` call), and a failure of Odoo degrades to the
indexed figures with ``live=false`` instead of failing the search.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from cachetools import TTLCache

from mcp_servers.odoo.errors import OdooError
from mcp_servers.odoo.tenants import CredentialManager, TenantError

log = logging.getLogger(__name__)


class LivePrices:
    """``{product_id: (price, qty_available)}`` per tenant, cached for ``ttl_s``."""

    def __init__(self, credentials: CredentialManager, ttl_s: float = 30.0):
        self.credentials = credentials
        self._cache: TTLCache[tuple[str, int], tuple[float, float]] = TTLCache(50_000, ttl_s)
        self._lock = threading.Lock()
        self._down_until: dict[str, float] = {}  # after a failure, don't wait on Odoo again
        self.ttl_s = ttl_s

    def read(self, tenant: str, product_ids: Sequence[int]) -> dict[int, tuple[float, float]]:
        with self._lock:
            found = {pid: self._cache[(tenant, pid)] for pid in product_ids
                     if (tenant, pid) in self._cache}
        missing = [pid for pid in product_ids if pid not in found]
        if not missing or time.monotonic() < self._down_until.get(tenant, 0.0):
            return found
        try:
            rows = self.credentials.connector(tenant).read(
                "product.product", missing, ["lst_price", "qty_available"])
        except (OdooError, TenantError) as exc:
            log.warning("live price/stock unavailable for tenant %s: %s; indexed figures "
                        "for %.0f s", tenant, type(exc).__name__, self.ttl_s)
            self._down_until[tenant] = time.monotonic() + self.ttl_s
            return found
        with self._lock:
            for row in rows:
                value = (float(row["lst_price"]), float(row["qty_available"]))
                self._cache[(tenant, row["id"])] = value
                found[row["id"]] = value
        return found
