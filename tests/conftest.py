"""Shared fixtures: real parts started for the test session (embedded Odoo on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.odoo import EmbeddedOdoo


@pytest.fixture(scope="session")
def embedded_odoo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedOdoo]:
    """The embedded Odoo 17 with the demo company, on a free loopback port."""
    with EmbeddedOdoo(tmp_path_factory.mktemp("odoo17")) as server:
        yield server
