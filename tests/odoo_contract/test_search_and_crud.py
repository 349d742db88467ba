"""Domains, ordering, paging and create/write/unlink round trips.

Every test creates its own partners under a unique tag so it also runs on a live Odoo.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mcp_servers.odoo import OdooConnector


@pytest.fixture
def family(make_partner: Callable[..., int], tag: str) -> dict[str, int]:
    """A company with two contacts and a stand-alone person, all tagged."""
    company = make_partner(name=f"{tag} Alpha Materiais", is_company=True,
                           email=f"alpha@{tag.lower()}.example.com", customer_rank=5,
                           city="Campinas")
    beta = make_partner(name=f"{tag} Beta Silva", parent_id=company,
                        email=f"beta@{tag.lower()}.example.com", customer_rank=2, city="Santos")
    gamma = make_partner(name=f"{tag} Gamma Souza", parent_id=company, email=False,
                         customer_rank=0, city="Santos")
    delta = make_partner(name=f"{tag} Delta_solo", email=f"delta@{tag.lower()}.example.com",
                         customer_rank=9, city=False)
    return {"alpha": company, "beta": beta, "gamma": gamma, "delta": delta}


def _ids(odoo: OdooConnector, tag: str, domain: list) -> set[int]:
    scoped = [["name", "=like", f"{tag}%"], *domain]
    return {r["id"] for r in odoo.search_read("res.partner", scoped, ["id"], limit=50)}


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([["customer_rank", "=", 2]], {"beta"}),
        ([["customer_rank", "!=", 2]], {"alpha", "gamma", "delta"}),
        ([["customer_rank", "<", 2]], {"gamma"}),
        ([["customer_rank", "<=", 2]], {"beta", "gamma"}),
        ([["customer_rank", ">", 2]], {"alpha", "delta"}),
        ([["customer_rank", ">=", 5]], {"alpha", "delta"}),
        ([["name", "like", "Silva"]], {"beta"}),
        ([["name", "like", "silva"]], set()),
        ([["name", "ilike", "silva"]], {"beta"}),
        ([["name", "=like", "%Souza"]], {"gamma"}),
        ([["name", "=ilike", "%SOUZA"]], {"gamma"}),
        ([["name", "=like", "%Delta\\_solo"]], {"delta"}),
        ([["city", "in", ["Santos", "Campinas"]]], {"alpha", "beta", "gamma"}),
        ([["city", "not in", ["Santos"]]], {"alpha", "delta"}),
        ([["email", "=", False]], {"gamma"}),
        ([["email", "!=", False]], {"alpha", "beta", "delta"}),
        ([["parent_id.name", "ilike", "alpha materiais"]], {"beta", "gamma"}),
        (["|", ["customer_rank", "=", 9], ["city", "=", "Campinas"]], {"delta", "alpha"}),
        (["!", ["city", "=", "Santos"]], {"alpha", "delta"}),
        (["&", ["city", "=", "Santos"], ["customer_rank", ">", 0]], {"beta"}),
        (["|", "&", ["city", "=", "Santos"], ["customer_rank", ">", 0],
          ["customer_rank", "=", 9]], {"beta", "delta"}),
    ],
)
def test_operators(odoo: OdooConnector, family: dict[str, int], tag: str, domain: list,
                   expected: set[str]) -> None:
    assert _ids(odoo, tag, domain) == {family[k] for k in expected}


def test_child_of_includes_the_parent(odoo: OdooConnector, family: dict[str, int],
                                      tag: str) -> None:
    found = _ids(odoo, tag, [["id", "child_of", family["alpha"]]])
    assert found == {family["alpha"], family["beta"], family["gamma"]}
    assert _ids(odoo, tag, [["parent_id", "child_of", family["alpha"]]]) == {
        family["beta"], family["gamma"]}


def test_many2one_reads_as_id_and_display_name(odoo: OdooConnector,
                                               family: dict[str, int], tag: str) -> None:
    [beta] = odoo.read("res.partner", [family["beta"]], ["parent_id", "display_name"])
    assert beta["parent_id"] == [family["alpha"], f"{tag} Alpha Materiais"]
    assert beta["display_name"] == f"{tag} Alpha Materiais, {tag} Beta Silva"


def test_order_and_paging(odoo: OdooConnector, family: dict[str, int], tag: str) -> None:
    domain = [["name", "=like", f"{tag}%"]]
    ranked = odoo.search_read("res.partner", domain, ["customer_rank"],
                              order="customer_rank desc, id", limit=10)
    assert [r["customer_rank"] for r in ranked] == [9, 5, 2, 0]
    page = odoo.search_read("res.partner", domain, ["id"], order="customer_rank desc",
                            offset=1, limit=2)
    assert [r["id"] for r in page] == [family["alpha"], family["beta"]]
    assert odoo.search_count("res.partner", domain) == 4
    by_name = odoo.search("res.partner", domain, order="name asc")
    assert by_name == [family["alpha"], family["beta"], family["delta"], family["gamma"]]


def test_create_write_unlink_round_trip(odoo: OdooConnector, tag: str) -> None:
    pid = odoo.create("res.partner", {"name": f"{tag} Round Trip", "phone": "+5511999990000"})
    assert odoo.read("res.partner", [pid], ["name", "phone"])[0]["phone"] == "+5511999990000"
    assert odoo.write("res.partner", [pid], {"phone": "+5511888880000", "city": "Sorocaba"})
    [row] = odoo.read("res.partner", [pid], ["phone", "city"])
    assert (row["phone"], row["city"]) == ("+5511888880000", "Sorocaba")
    assert odoo.unlink("res.partner", [pid]) is True
    assert odoo.search_count("res.partner", [["id", "=", pid]]) == 0


def test_create_many_returns_ids(odoo: OdooConnector, tag: str) -> None:
    ids = odoo.execute_kw("res.partner", "create",
                          [[{"name": f"{tag} one"}, {"name": f"{tag} two"}]])
    try:
        assert isinstance(ids, list) and len(ids) == 2
        names = {r["name"] for r in odoo.read("res.partner", ids, ["name"])}
        assert names == {f"{tag} one", f"{tag} two"}
    finally:
        odoo.unlink("res.partner", ids)


def test_archived_records_are_hidden_unless_asked(odoo: OdooConnector,
                                                  make_partner: Callable[..., int],
                                                  tag: str) -> None:
    pid = make_partner(name=f"{tag} archived")
    odoo.write("res.partner", [pid], {"active": False})
    assert odoo.search("res.partner", [["name", "=", f"{tag} archived"]]) == []
    assert odoo.search("res.partner", [["name", "=", f"{tag} archived"],
                                       ["active", "=", False]]) == [pid]


def test_name_search_takes_its_domain_positionally(odoo: OdooConnector,
                                                   family: dict[str, int], tag: str) -> None:
    hits = odoo.name_search("res.partner", tag, [["city", "=", "Santos"]], limit=10)
    assert {h[0] for h in hits} == {family["beta"], family["gamma"]}
    assert all(isinstance(h[1], str) for h in hits)


def test_read_group_sums_per_group(odoo: OdooConnector, family: dict[str, int],
                                   tag: str) -> None:
    groups = odoo.read_group("res.partner", [["name", "=like", f"{tag}%"]],
                             ["customer_rank:sum"], ["city"], lazy=False)
    by_city = {g["city"]: (g["__count"], g["customer_rank"]) for g in groups}
    assert by_city == {"Santos": (2, 2), "Campinas": (1, 5), False: (1, 9)}


def test_fields_get_describes_types(odoo: OdooConnector) -> None:
    fields = odoo.fields_get("res.partner", attributes=["type", "relation", "string"])
    assert fields["parent_id"]["type"] == "many2one"
    assert fields["parent_id"]["relation"] == "res.partner"
    assert fields["name"]["type"] == "char"
    assert set(fields["name"]) <= {"type", "relation", "string"}
