"""The lexical signal: BM25-style sparse vectors computed locally, no model to download.

Words (normalised, stemmed; sizes like ``3/8x2`` and ``220v`` are words too) carry weight
1; their character trigrams carry a small weight so "parafuzo" still meets "parafuso".
Document weights saturate like BM25's term frequency; Qdrant applies the IDF
(``Modifier.IDF``) over the live collection, so rare words such as a size count most.
"""

from __future__ import annotations

import zlib
from collections import Counter

from qdrant_client import models

from mcp_servers.catalog.text import tokens, trigrams

K1 = 1.2
TRIGRAM_WEIGHT = 0.25


def _index(term: str) -> int:
    return zlib.crc32(term.encode()) & 0x7FFFFFFF


def _term_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for tok in tokens(text):
        counts[f"w:{tok}"] += 1
        for tri in trigrams(tok):
            counts[f"t:{tri}"] += TRIGRAM_WEIGHT
    return counts


def _vector(weights: dict[int, float]) -> models.SparseVector:
    indices = sorted(weights)
    return models.SparseVector(indices=indices, values=[weights[i] for i in indices])


def document_vector(text: str) -> models.SparseVector:
    """Saturated term frequencies of a product's text."""
    weights: dict[int, float] = {}
    for term, tf in _term_counts(text).items():
        index = _index(term)
        weights[index] = weights.get(index, 0.0) + tf * (K1 + 1) / (tf + K1)
    return _vector(weights)


def query_vector(text: str) -> models.SparseVector:
    """One weight per distinct query term (trigrams lighter)."""
    weights: dict[int, float] = {}
    for term in _term_counts(text):
        index = _index(term)
        weights[index] = TRIGRAM_WEIGHT if term.startswith("t:") else 1.0
    return _vector(weights)
