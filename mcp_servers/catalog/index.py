"""The product index in Qdrant: one point per product variant, dense + lexical vectors.

Search fuses the two rankings (reciprocal rank fusion), puts exact ``default_code`` and
barcode matches first, and ranks products that contradict a stated fact (220 V asked,
127 V offered; 3/8 x 2 asked, 3/8 x 1 offered) below those that do not. Re-indexing an
unchanged product does no embedding work: each point stores a hash of the text it was
embedded from and of the model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import uuid
from collections.abc import Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from mcp_servers.catalog import lexical
from mcp_servers.catalog.embeddings import EmbeddingProvider
from mcp_servers.catalog.schemas import (
    CollectionInfo,
    MatchInfo,
    ProductDocument,
    SearchFilters,
    SearchHit,
)
from mcp_servers.catalog.text import (
    attributes,
    canonical_code,
    expand,
    fold,
    looks_like_code,
    tokens,
)

DENSE = "dense"
LEXICAL = "lexical"
RRF_K = 10  # small k: the top ranks of each signal decide (measured on both eval sets)
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.7  # words add precision; meaning leads when they disagree
CONFLICT_PENALTY = 0.5
_NAMESPACE = uuid.UUID("6f1c1f38-52a5-4d33-9a55-9b5d8c1e0a11")
_CODE_IN_TEXT = re.compile(r"(?<![a-z0-9])([a-z]{2,5})[\s-]?(\d{2,6})(?![0-9])|(\d{8,14})")
_PAYLOAD_INDEXES: dict[str, models.PayloadSchemaType] = {
    "tenant": models.PayloadSchemaType.KEYWORD,
    "product_id": models.PayloadSchemaType.INTEGER,
    "default_code": models.PayloadSchemaType.KEYWORD,
    "barcode": models.PayloadSchemaType.KEYWORD,
    "category_key": models.PayloadSchemaType.KEYWORD,
    "company_id": models.PayloadSchemaType.INTEGER,
    "list_price": models.PayloadSchemaType.FLOAT,
    "qty_available": models.PayloadSchemaType.FLOAT,
    "active": models.PayloadSchemaType.BOOL,
    "write_ts": models.PayloadSchemaType.FLOAT,
}


class CatalogError(ValueError):
    """A request the index cannot serve; the message says what to change."""


def point_id(tenant: str, product_id: int) -> str:
    """Stable across runs and machines, so re-ingesting overwrites instead of duplicating."""
    return str(uuid.uuid5(_NAMESPACE, f"{tenant}:{product_id}"))


def embedded_text(doc: ProductDocument) -> str:
    """Both languages in one passage: English queries meet English names, no translator."""
    parts = [doc.name_pt, doc.name_en, doc.category]
    return " | ".join(p for p in parts if p)


def lexical_text(doc: ProductDocument) -> str:
    return " ".join(p for p in (doc.name_pt, doc.name_en, doc.category, doc.default_code) if p)


def _write_ts(write_date: str) -> float:
    if not write_date:
        return 0.0
    try:
        return dt.datetime.fromisoformat(write_date).replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        raise CatalogError(f"write_date {write_date!r} is not 'YYYY-MM-DD HH:MM:SS'") from None


def codes_in(query: str) -> list[str]:
    """Default codes and barcodes named in a query ('FEL-0002', 'fel 0002', '789…')."""
    found = []
    for letters, digits, barcode in _CODE_IN_TEXT.findall(fold(query)):
        code = barcode or f"{letters}-{digits}"
        if looks_like_code(code.replace("-", "")) or barcode:
            found.append(canonical_code(code))
    return list(dict.fromkeys(found))


def _without_codes(query: str) -> list[str]:
    """The query's words once codes and barcodes are taken out."""
    return [t for t in tokens(_CODE_IN_TEXT.sub(" ", fold(query)))
            if not t.isdigit() and not looks_like_code(t)]


class CatalogIndex:
    """The ``catalog`` collection of one Qdrant (embedded local mode or a server)."""

    def __init__(self, client: QdrantClient, provider: EmbeddingProvider, *,
                 collection: str = "catalog", location: str = "memory"):
        self.client = client
        self.provider = provider
        self.collection = collection
        self.location = location
        # local mode keeps everything in Python structures: serialise access to it
        self._lock = threading.RLock()
        self._ready = False

    @classmethod
    def open(cls, provider: EmbeddingProvider, *, url: str = "", api_key: str = "",
             path: str = "", collection: str = "catalog") -> CatalogIndex:
        """A server when ``url`` is set, else embedded local mode at ``path`` (or memory)."""
        if url:
            client = QdrantClient(url=url, api_key=api_key or None, timeout=10)
            location = url
        elif path:
            try:
                client = QdrantClient(path=path)
            except RuntimeError as exc:
                raise CatalogError(
                    f"the embedded Qdrant at {path} is in use by another process ({exc}); "
                    "stop it, or run a Qdrant server and set QDRANT_URL") from None
            location = f"local:{path}"
        else:
            client = QdrantClient(location=":memory:")
            location = "memory"
        return cls(client, provider, collection=collection, location=location)

    # --- collection -------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the collection and payload indexes once; refuse a vector-size mismatch."""
        if self._ready:
            return
        with self._lock:
            if self.client.collection_exists(self.collection):
                info = self.client.get_collection(self.collection)
                vectors = info.config.params.vectors
                size = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors \
                    else -1
                if size != self.provider.dim:
                    raise CatalogError(
                        f"collection '{self.collection}' holds {size}-dimensional vectors but "
                        f"the embedding model {self.provider.model_id} makes "
                        f"{self.provider.dim}; rebuild it with `balcao catalog sync --full "
                        "--recreate`")
            else:
                self.client.create_collection(
                    self.collection,
                    vectors_config={DENSE: models.VectorParams(
                        size=self.provider.dim, distance=models.Distance.COSINE)},
                    sparse_vectors_config={LEXICAL: models.SparseVectorParams(
                        modifier=models.Modifier.IDF)})
                if not self.location.startswith(("local:", "memory")):
                    for name, schema in _PAYLOAD_INDEXES.items():
                        self.client.create_payload_index(self.collection, name, schema)
            self._ready = True

    def recreate(self) -> None:
        """Drop and recreate the collection (model change, corruption)."""
        with self._lock:
            if self.client.collection_exists(self.collection):
                self.client.delete_collection(self.collection)
            self._ready = False
        self.ensure()

    def info(self, tenant: str) -> CollectionInfo:
        self.ensure()
        with self._lock:
            info = self.client.get_collection(self.collection)
            total = self.client.count(self.collection, exact=True).count
        return CollectionInfo(
            name=self.collection, status=str(info.status.value), points=total,
            tenant=tenant, tenant_points=self.count(tenant, SearchFilters(), active_only=False),
            last_write_date=self.last_write_date(tenant),
            embedding_model=self.provider.model_id, vector_size=self.provider.dim,
            distance="cosine", sparse_vectors=[LEXICAL], location=self.location)

    def last_write_date(self, tenant: str) -> str:
        """The newest write_date indexed for ``tenant`` (the incremental sync's watermark)."""
        self.ensure()
        with self._lock:
            points, _ = self.client.scroll(
                self.collection, scroll_filter=self._tenant_filter(tenant), limit=1,
                order_by=models.OrderBy(key="write_ts", direction=models.Direction.DESC),
                with_payload=["write_date"])
        return str(points[0].payload.get("write_date") or "") if points else ""

    # --- writes -----------------------------------------------------------------------------

    def upsert(self, tenant: str, docs: Sequence[ProductDocument]) -> dict[str, Any]:
        """Insert or update; embeds only documents whose text (or the model) changed."""
        self.ensure()
        ids = [point_id(tenant, d.product_id) for d in docs]
        if len(set(ids)) != len(ids):
            raise CatalogError("the same product_id appears twice in one call; send each "
                               "product once")
        with self._lock:
            existing = {str(p.id): p.payload or {} for p in self.client.retrieve(
                self.collection, ids, with_payload=True, with_vectors=False)}
        to_embed: list[tuple[str, ProductDocument, dict[str, Any]]] = []
        payload_only: list[tuple[str, dict[str, Any]]] = []
        unchanged = 0
        for pid, doc in zip(ids, docs, strict=True):
            payload = self._payload(tenant, doc)
            old = existing.get(pid)
            if old is None or old.get("content_hash") != payload["content_hash"]:
                to_embed.append((pid, doc, payload))
            elif old != payload:
                payload_only.append((pid, payload))
            else:
                unchanged += 1
        dense = self.provider.embed_documents([embedded_text(d) for _, d, _ in to_embed]) \
            if to_embed else []
        points = [models.PointStruct(id=pid, payload=payload, vector={
                      DENSE: vector, LEXICAL: lexical.document_vector(lexical_text(doc))})
                  for (pid, doc, payload), vector in zip(to_embed, dense, strict=True)]
        with self._lock:
            if points:
                self.client.upsert(self.collection, points, wait=True)
            if payload_only:  # one request for the batch, not one per product
                self.client.batch_update_points(self.collection, [
                    models.OverwritePayloadOperation(overwrite_payload=models.SetPayload(
                        payload=payload, points=[pid])) for pid, payload in payload_only],
                    wait=True)
        return {"received": len(docs), "embedded": len(points),
                "payload_updated": len(payload_only), "unchanged": unchanged, "ids": ids}

    def _payload(self, tenant: str, doc: ProductDocument) -> dict[str, Any]:
        text = f"{self.provider.model_id}\n{embedded_text(doc)}\n{lexical_text(doc)}"
        return {"tenant": tenant, "product_id": doc.product_id,
                "default_code": canonical_code(doc.default_code) if doc.default_code else "",
                "barcode": doc.barcode.strip(), "name_pt": doc.name_pt, "name_en": doc.name_en,
                "category": doc.category, "category_key": fold(doc.category),
                "uom": doc.uom, "list_price": doc.list_price,
                "qty_available": doc.qty_available, "company_id": doc.company_id,
                "active": doc.active, "write_date": doc.write_date,
                "write_ts": _write_ts(doc.write_date),
                "content_hash": hashlib.sha256(text.encode()).hexdigest()[:32]}

    def _delete_filter(self, tenant: str, product_ids: Sequence[int],
                       keep_product_ids: Sequence[int] | None) -> models.Filter:
        if keep_product_ids is not None:
            return models.Filter(
                must=[self._tenant_condition(tenant)],
                must_not=[models.FieldCondition(key="product_id", match=models.MatchAny(
                    any=list(keep_product_ids)))] if keep_product_ids else [])
        if product_ids:
            return models.Filter(must=[
                self._tenant_condition(tenant),
                models.FieldCondition(key="product_id",
                                      match=models.MatchAny(any=list(product_ids)))])
        raise CatalogError("name product_ids to delete, or keep_product_ids to delete "
                           "everything else")

    def matching(self, tenant: str, product_ids: Sequence[int] = (),
                 keep_product_ids: Sequence[int] | None = None) -> int:
        """How many points :meth:`delete` would remove."""
        self.ensure()
        flt = self._delete_filter(tenant, product_ids, keep_product_ids)
        with self._lock:
            return self.client.count(self.collection, count_filter=flt, exact=True).count

    def delete(self, tenant: str, product_ids: Sequence[int] = (),
               keep_product_ids: Sequence[int] | None = None) -> int:
        """Delete by product id, or every product of ``tenant`` not in ``keep_product_ids``."""
        self.ensure()
        flt = self._delete_filter(tenant, product_ids, keep_product_ids)
        with self._lock:
            doomed = self.client.count(self.collection, count_filter=flt, exact=True).count
            if doomed:
                self.client.delete(self.collection, points_selector=models.FilterSelector(
                    filter=flt), wait=True)
        return doomed

    # --- reads ------------------------------------------------------------------------------

    @staticmethod
    def _tenant_condition(tenant: str) -> models.FieldCondition:
        return models.FieldCondition(key="tenant", match=models.MatchValue(value=tenant))

    def _tenant_filter(self, tenant: str) -> models.Filter:
        return models.Filter(must=[self._tenant_condition(tenant)])

    def _filter(self, tenant: str, filters: SearchFilters, *, active_only: bool = True
                ) -> models.Filter:
        must: list[models.Condition] = [self._tenant_condition(tenant)]
        if active_only:
            must.append(models.FieldCondition(key="active", match=models.MatchValue(value=True)))
        if filters.category:
            must.append(models.FieldCondition(key="category_key", match=models.MatchValue(
                value=fold(filters.category))))
        if filters.in_stock:
            must.append(models.FieldCondition(key="qty_available", range=models.Range(gt=0)))
        if filters.min_price or filters.max_price:
            if filters.max_price and filters.max_price < filters.min_price:
                raise CatalogError("max_price is below min_price; swap them or set 0 for no "
                                   "upper bound")
            must.append(models.FieldCondition(key="list_price", range=models.Range(
                gte=filters.min_price or None, lte=filters.max_price or None)))
        if filters.company_id:
            must.append(models.FieldCondition(key="company_id", match=models.MatchAny(
                any=[0, filters.company_id])))
        return models.Filter(must=must)

    def count(self, tenant: str, filters: SearchFilters, *, active_only: bool = True) -> int:
        self.ensure()
        with self._lock:
            return self.client.count(self.collection, exact=True, count_filter=self._filter(
                tenant, filters, active_only=active_only)).count

    def search(self, tenant: str, query: str, filters: SearchFilters | None = None, *,
               limit: int = 5, score_threshold: float = 0.0, depth: int = 50,
               use_dense: bool = True, use_lexical: bool = True) -> list[SearchHit]:
        """Hybrid search; see the module docstring for the ranking rules."""
        query = query.strip()
        if not query:
            raise CatalogError("the query is empty; describe the product, give its code or "
                               "its barcode")
        self.ensure()
        filters = filters or SearchFilters()
        flt = self._filter(tenant, filters)
        depth = max(depth, limit)
        query = expand(query)
        requests = []
        if use_dense:
            requests.append(models.QueryRequest(query=self.provider.embed_query(query),
                                                using=DENSE, filter=flt, limit=depth,
                                                with_payload=True))
        if use_lexical:
            requests.append(models.QueryRequest(query=lexical.query_vector(query),
                                                using=LEXICAL, filter=flt, limit=depth,
                                                with_payload=True))
        codes = codes_in(query)
        with self._lock:
            responses = self.client.query_batch_points(self.collection, requests) \
                if requests else []
            exact = self._exact(flt, codes) if codes else []
        ranks: dict[str, dict[str, int]] = {}
        payloads: dict[str, dict[str, Any]] = {}
        for signal, response in zip([s for s, on in ((DENSE, use_dense),
                                                      (LEXICAL, use_lexical)) if on],
                                    responses, strict=True):
            for rank, point in enumerate(response.points, start=1):
                ranks.setdefault(str(point.id), {})[signal] = rank
                payloads[str(point.id)] = point.payload or {}
        for point in exact:
            payloads[str(point.id)] = point.payload or {}
            ranks.setdefault(str(point.id), {})
        exact_ids = {str(p.id) for p in exact}
        wanted = attributes(query)
        query_terms = set(tokens(query))
        weight = {DENSE: DENSE_WEIGHT if use_dense else 0.0,
                  LEXICAL: LEXICAL_WEIGHT if use_lexical else 0.0}
        best = sum(weight.values()) / (RRF_K + 1)
        hits = []
        for pid, signals in ranks.items():
            payload = payloads[pid]
            fused = sum(weight[s] / (RRF_K + r) for s, r in signals.items())
            score = 1.0 if pid in exact_ids else fused / best if best else 0.0
            facts = attributes(f"{payload['name_pt']} {payload['name_en']}")
            conflicts = [] if pid in exact_ids else wanted.conflicts(facts)
            if conflicts:
                score *= CONFLICT_PENALTY
            name_terms = set(tokens(f"{payload['name_pt']} {payload['name_en']} "
                                    f"{payload['category']}"))
            found = query_terms & name_terms
            # "220" is only the number part of "220v": show the fact once
            matched = sorted(t for t in found if not any(
                o != t and o.startswith(t) and o[len(t):].isalpha() for o in found)) + [
                f for f in wanted.matched(facts) if f not in query_terms]
            hits.append(SearchHit(
                id=pid, product_id=payload["product_id"],
                default_code=payload["default_code"], barcode=payload["barcode"],
                name=payload["name_pt"], name_en=payload["name_en"],
                category=payload["category"], uom=payload["uom"],
                price=payload["list_price"], qty_available=payload["qty_available"],
                in_stock=payload["qty_available"] > 0, live=False, score=round(score, 4),
                match=MatchInfo(exact_code=pid in exact_ids,
                                dense_rank=signals.get(DENSE, 0),
                                lexical_rank=signals.get(LEXICAL, 0),
                                matched_terms=matched, conflicts=conflicts)))
        hits.sort(key=lambda h: (-h.score, h.default_code))
        if exact_ids and not _without_codes(query):
            hits = [h for h in hits if h.id in exact_ids]  # a bare code means that product
        return [h for h in hits if h.score >= score_threshold][:limit]

    def _exact(self, flt: models.Filter, codes: list[str]) -> list[models.Record]:
        by_code = models.Filter(should=[
            models.FieldCondition(key="default_code", match=models.MatchAny(any=codes)),
            models.FieldCondition(key="barcode", match=models.MatchAny(any=codes))])
        points, _ = self.client.scroll(self.collection, limit=len(codes) * 2,
                                       scroll_filter=models.Filter(must=[*flt.must, by_code]),
                                       with_payload=True)
        return points

