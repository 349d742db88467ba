"""Typed inputs and outputs of the catalog tools (no optional unions: plain defaults)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class ProductDocument(BaseModel):
    """One sellable product variant as the catalog indexes it."""

    product_id: Annotated[int, Field(ge=1, description="product.product id in Odoo.")]
    default_code: str = ""
    barcode: str = ""
    name_pt: Annotated[str, Field(min_length=1, max_length=500)]
    name_en: Annotated[str, Field(max_length=500)] = ""
    category: str = ""
    uom: str = ""
    list_price: float = 0.0
    qty_available: float = 0.0
    company_id: Annotated[int, Field(ge=0, description="0 = shared by every company.")] = 0
    active: bool = True
    write_date: Annotated[str, Field(description="Odoo write_date, 'YYYY-MM-DD HH:MM:SS'.")] = ""


class SearchFilters(BaseModel):
    category: Annotated[str, Field(description="Category name, e.g. 'Tintas'; empty = all.")] = ""
    in_stock: Annotated[bool, Field(description="Only products with stock > 0.")] = False
    min_price: Annotated[float, Field(ge=0)] = 0.0
    max_price: Annotated[float, Field(ge=0, description="0 = no upper bound.")] = 0.0
    company_id: Annotated[int, Field(ge=0, description="0 = any company.")] = 0


class MatchInfo(BaseModel):
    exact_code: bool = Field(description="The query named this product's code or barcode.")
    dense_rank: int = Field(description="Rank by meaning (1 = best; 0 = not in the top).")
    lexical_rank: int = Field(description="Rank by words, sizes and codes (0 = not in top).")
    matched_terms: list[str] = Field(description="Query words and facts found in the name.")
    conflicts: list[str] = Field(description="Facts that differ from the query (e.g. "
                                             "127v instead of 220v); such hits rank lower.")


class SearchHit(BaseModel):
    id: str = Field(description="Qdrant point id (stable: tenant + product id).")
    product_id: int
    default_code: str
    barcode: str
    name: str
    name_en: str
    category: str
    uom: str
    price: float
    qty_available: float
    in_stock: bool
    live: bool = Field(description="price and stock were read from Odoo just now.")
    score: float = Field(description="0..1; 1 = exact code or best by both signals.")
    match: MatchInfo


class SearchResult(BaseModel):
    query: str
    normalized: str
    tenant: str
    hits: list[SearchHit]
    took_ms: float


class UpsertResult(BaseModel):
    received: int
    embedded: int = Field(description="Documents whose text changed (new vectors).")
    payload_updated: int = Field(description="Only price/stock/flags changed; no embedding.")
    unchanged: int
    ids: list[str]


class DeleteResult(BaseModel):
    deleted: int
    would_delete: int = Field(description="Points a confirm=true call would delete.")
    confirmed: bool


class CountResult(BaseModel):
    tenant: str
    count: int


class CollectionSummary(BaseModel):
    name: str
    description: str
    points: int


class CollectionList(BaseModel):
    collections: list[CollectionSummary]


class CollectionInfo(BaseModel):
    name: str
    status: str
    points: int
    tenant: str
    tenant_points: int
    last_write_date: str = Field(description="Newest Odoo write_date indexed for the tenant; "
                                             "empty when none (sync starts from scratch).")
    embedding_model: str
    vector_size: int
    distance: str
    sparse_vectors: list[str]
    location: str = Field(description="'local:<path>', 'memory' or the server URL.")
