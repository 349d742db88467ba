"""The catalog MCP server's tool implementations (plain synchronous methods).

Every call is scoped to a tenant (empty = the default tenant): points carry the tenant in
their payload and every filter includes it, so stores sharing one Qdrant never see each
other's products. The Qdrant index opens lazily, so a server that never searches never
takes the embedded store's lock.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from fastmcp.exceptions import ToolError
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from mcp_servers.catalog.embeddings import EmbeddingError, provider_from_settings
from mcp_servers.catalog.index import CatalogError, CatalogIndex
from mcp_servers.catalog.live import LivePrices
from mcp_servers.catalog.schemas import (
    CollectionInfo,
    CollectionList,
    CollectionSummary,
    CountResult,
    DeleteResult,
    ProductDocument,
    SearchFilters,
    SearchResult,
    UpsertResult,
)
from mcp_servers.catalog.text import normalize
from mcp_servers.settings import Settings

MAX_BATCH = 500
_TENANT = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
DESCRIPTIONS = {"catalog": "Products for sale (one point per variant): names in Portuguese "
                           "and English, code, barcode, category, price, stock."}


class CatalogTools:
    """Search and maintain the product catalog in Qdrant."""

    def __init__(self, settings: Settings, *, index: CatalogIndex | None = None,
                 live: LivePrices | None = None):
        self.settings = settings
        self._index = index
        self._open_lock = threading.Lock()
        self.live = live

    @property
    def index(self) -> CatalogIndex:
        with self._open_lock:
            if self._index is None:
                s = self.settings
                path = str(s.qdrant_path)
                if not s.qdrant_url and path != ":memory:":
                    s.qdrant_path.mkdir(parents=True, exist_ok=True)
                self._index = CatalogIndex.open(
                    provider_from_settings(s), url=s.qdrant_url,
                    api_key=s.qdrant_api_key.get_secret_value() if s.qdrant_api_key else "",
                    path="" if path == ":memory:" else path, collection=s.catalog_collection)
            return self._index

    def close(self) -> None:
        """Release Qdrant (the embedded store's lock) if it was opened."""
        with self._open_lock:
            if self._index is not None:
                self._index.client.close()
                self._index = None

    def tenant(self, tenant: str) -> str:
        tenant = tenant or self.settings.default_tenant
        if not _TENANT.match(tenant):
            raise ToolError(f"tenant '{tenant[:70]}' is not a valid id (lower-case letters, "
                            "digits, '-', '_', '.'); use list_tenants on the odoo server")
        return tenant

    @contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except ToolError:
            raise
        except CatalogError as exc:
            raise ToolError(str(exc)) from None
        except EmbeddingError as exc:
            raise ToolError(f"{exc}; retry in a minute or check BALCAO_EMBEDDINGS_URL") \
                from None
        except (ResponseHandlingException, UnexpectedResponse, OSError) as exc:
            raise ToolError(f"Qdrant is unreachable or refused the request "
                            f"({type(exc).__name__}); retry in a minute") from None

    def require_writable(self, tool: str) -> None:
        if self.settings.catalog_read_only:
            raise ToolError(f"{tool} is disabled: the catalog is read-only here "
                            "(BALCAO_CATALOG_READ_ONLY)")

    # ------------------------------------------------------------------ read tools
    def search(self, query: str, limit: int = 5, score_threshold: float = 0.0,
               filters: SearchFilters | None = None, tenant: str = "",
               live: bool = True) -> SearchResult:
        started = time.perf_counter()
        tenant = self.tenant(tenant)
        filters = filters or SearchFilters()
        with self.errors():
            hits = self.index.search(tenant, query, filters, limit=limit,
                                     score_threshold=score_threshold)
        if live and hits and self.live is not None:
            figures = self.live.read(tenant, [h.product_id for h in hits])
            for hit in hits:
                if hit.product_id in figures:
                    hit.price, hit.qty_available = figures[hit.product_id]
                    hit.in_stock = hit.qty_available > 0
                    hit.live = True
            if filters.in_stock:
                hits = [h for h in hits if h.in_stock]
        return SearchResult(query=query, normalized=normalize(query), tenant=tenant, hits=hits,
                            took_ms=round((time.perf_counter() - started) * 1000, 2))

    def count(self, filters: SearchFilters | None = None, tenant: str = "") -> CountResult:
        tenant = self.tenant(tenant)
        with self.errors():
            return CountResult(tenant=tenant, count=self.index.count(
                tenant, filters or SearchFilters()))

    def list_collections(self) -> CollectionList:
        with self.errors():
            index = self.index
            index.ensure()
            names = [c.name for c in index.client.get_collections().collections]
            return CollectionList(collections=[
                CollectionSummary(
                    name=name, points=index.client.count(name, exact=True).count,
                    description=DESCRIPTIONS.get(
                        "catalog" if name == index.collection else name,
                        "Not managed by Balcão (read with care)."))
                for name in sorted(names)])

    def collection_info(self, tenant: str = "") -> CollectionInfo:
        tenant = self.tenant(tenant)
        with self.errors():
            return self.index.info(tenant)

    # ------------------------------------------------------------------ write tools
    def upsert_documents(self, documents: Sequence[ProductDocument],
                         tenant: str = "") -> UpsertResult:
        self.require_writable("upsert_documents")
        tenant = self.tenant(tenant)
        if len(documents) > MAX_BATCH:
            raise ToolError(f"{len(documents)} documents in one call; send at most "
                            f"{MAX_BATCH} per call")
        with self.errors():
            return UpsertResult(**self.index.upsert(tenant, documents))

    def delete_documents(self, product_ids: Sequence[int] = (),
                         keep_product_ids: Sequence[int] = (), keep_only: bool = False,
                         confirm: bool = False, tenant: str = "") -> DeleteResult:
        self.require_writable("delete_documents")
        tenant = self.tenant(tenant)
        if keep_only and product_ids:
            raise ToolError("give product_ids (delete these) or keep_only with "
                            "keep_product_ids (delete all others), not both")
        if not keep_only and not product_ids:
            raise ToolError("nothing to delete: give product_ids, or keep_only=true with "
                            "keep_product_ids")
        keep = list(keep_product_ids) if keep_only else None
        with self.errors():
            if not confirm:
                return DeleteResult(deleted=0, would_delete=self.index.matching(
                    tenant, product_ids, keep), confirmed=False)
            return DeleteResult(deleted=self.index.delete(tenant, product_ids, keep),
                                would_delete=0, confirmed=True)

    async def ready(self) -> str:
        """'ok' when Qdrant answers (for the gateway's /ready)."""
        import anyio

        try:
            await anyio.to_thread.run_sync(lambda: self.index.client.get_collections())
        except (CatalogError, ResponseHandlingException, UnexpectedResponse, OSError) as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok"
