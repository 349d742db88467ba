"""Where the conformance suite points: the embedded Odoo, or a real one.

Set ``ODOO_TEST_URL`` (+ ``ODOO_TEST_DB``, ``ODOO_TEST_LOGIN``, ``ODOO_TEST_KEY``) to run the
same behaviours against a real Odoo 17/18 (``make test-odoo-live``). A live run must not
assume the demo data: tests create what they read and remove it afterwards. Behaviours
that need a second, restricted user read ``ODOO_TEST_LIMITED_LOGIN``/``_KEY`` when live.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from mcp_servers.odoo import OdooConnector
from sandbox.odoo.security import demo_api_key

LIVE_URL = os.environ.get("ODOO_TEST_URL")


@dataclass(frozen=True)
class Target:
    url: str
    db: str
    login: str
    secret: str
    live: bool
    limited_login: str | None = None
    limited_secret: str | None = None


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    if LIVE_URL:
        return Target(
            url=LIVE_URL,
            db=os.environ["ODOO_TEST_DB"],
            login=os.environ.get("ODOO_TEST_LOGIN", "admin"),
            secret=os.environ["ODOO_TEST_KEY"],
            live=True,
            limited_login=os.environ.get("ODOO_TEST_LIMITED_LOGIN"),
            limited_secret=os.environ.get("ODOO_TEST_LIMITED_KEY"),
        )
    server = request.getfixturevalue("embedded_odoo")
    return Target(url=server.url, db=server.db.name, login="admin", secret=demo_api_key("admin"),
                  live=False, limited_login="vendas", limited_secret=demo_api_key("vendas"))


@pytest.fixture(scope="session", params=["jsonrpc", "xmlrpc"])
def protocol(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def odoo(target: Target, protocol: str) -> Iterator[OdooConnector]:
    """The admin connector over one protocol; each behaviour runs over both."""
    with OdooConnector(target.url, target.db, target.login, target.secret, protocol=protocol,
                       lang="en_US") as connector:
        yield connector


@pytest.fixture(scope="session")
def limited(target: Target, protocol: str) -> Iterator[OdooConnector]:
    """A salesman without accounting rights (``vendas`` on the embedded Odoo)."""
    if not target.limited_login or not target.limited_secret:
        pytest.skip("live run without ODOO_TEST_LIMITED_LOGIN/_KEY: no restricted user")
    with OdooConnector(target.url, target.db, target.limited_login, target.limited_secret,
                       protocol=protocol, lang="en_US") as connector:
        yield connector


@pytest.fixture
def tag() -> str:
    """A unique prefix so tests find only the records they created (also on a live db)."""
    return f"BalcaoCT-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_partner(odoo: OdooConnector) -> Iterator[Callable[..., int]]:
    """Creates partners and unlinks them after the test."""
    created: list[int] = []

    def make(**vals: object) -> int:
        pid = odoo.create("res.partner", vals)
        created.append(pid)
        return pid

    yield make
    existing = [r["id"] for r in odoo.read("res.partner", created, ["id"])]
    if existing:
        odoo.unlink("res.partner", sorted(existing, reverse=True))
