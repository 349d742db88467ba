"""The connector against embedded Odoo 17, 18 and 19: protocol detection and version traps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_servers.odoo import AccessError, OdooConnector
from sandbox.odoo import EmbeddedOdoo
from sandbox.odoo.security import demo_api_key


@pytest.fixture(scope="module", params=["18", "19"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[EmbeddedOdoo]:
    with EmbeddedOdoo(tmp_path_factory.mktemp(f"odoo{request.param}"),
                      version=request.param) as running:
        yield running


def test_auto_picks_json2_on_19_with_an_api_key(server: EmbeddedOdoo) -> None:
    with OdooConnector(server.url, "casaobra", "admin", demo_api_key("admin")) as odoo:
        assert odoo.search_count("product.product", [["qty_available", "=", 0]]) == 17
        expected = "json2" if server.db.version == "19" else "jsonrpc"
        assert odoo.protocol == expected
        assert odoo.server_version == int(server.db.version)


def test_auto_with_a_password_stays_on_jsonrpc(server: EmbeddedOdoo) -> None:
    with OdooConnector(server.url, "casaobra", "admin", "admin") as odoo:
        assert odoo.authenticate() == 2
        assert odoo.protocol == "jsonrpc"


def test_storable_products_found_the_version_way(server: EmbeddedOdoo) -> None:
    with OdooConnector(server.url, "casaobra", "admin", demo_api_key("admin")) as odoo:
        caps = odoo.capabilities()
        assert caps.storable_field == "is_storable"
        assert odoo.search_count("product.product", caps.storable_domain) == 200
        # 18+: "product" is no longer a type; the domain matches nothing, without error
        assert odoo.search_count("product.product", [["type", "=", "product"]]) == 0


def test_json2_errors_keep_their_class(server: EmbeddedOdoo) -> None:
    with OdooConnector(server.url, "casaobra", "vendas", demo_api_key("vendas")) as odoo, \
            pytest.raises(AccessError):
        odoo.search_read("account.move", [], ["name"], limit=1)


def test_name_search_positional_domain_on_every_version(server: EmbeddedOdoo) -> None:
    with OdooConnector(server.url, "casaobra", "admin", demo_api_key("admin")) as odoo:
        hits = odoo.name_search("product.product", "FIX-0001", [["sale_ok", "=", True]])
        assert hits and hits[0][1].startswith("[FIX-0001]")


def test_odoo17_capabilities_use_product_type(embedded_odoo: EmbeddedOdoo) -> None:
    with OdooConnector(embedded_odoo.url, "casaobra", "admin", demo_api_key("admin")) as odoo:
        caps = odoo.capabilities()
        assert caps.storable_field == "type"
        assert odoo.search_count("product.product", caps.storable_domain) == 200


def test_data_dir_per_version(tmp_path: Path) -> None:
    with EmbeddedOdoo(tmp_path, version="18"):
        pass
    assert (tmp_path / "casaobra-odoo18.sqlite").exists()
