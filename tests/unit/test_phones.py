from __future__ import annotations

import pytest

from mcp_servers.odoo.phones import e164, national, same_line, search_suffix, variants


@pytest.mark.parametrize("raw", ["+55 11 98765-4321", "5511987654321", "(11) 98765-4321",
                                 "011 98765 4321", "551187654321", "1187654321"])
def test_spellings_of_one_mobile_match(raw: str) -> None:
    assert same_line(raw, "+5511987654321")
    assert e164(raw) == "+5511987654321"


def test_different_numbers_do_not_match() -> None:
    assert not same_line("+5511987654321", "+5511987654322")
    assert not same_line("+5511987654321", "+5521987654321")  # other DDD


def test_landline_keeps_eight_digits() -> None:
    assert variants("(11) 3456-7890") == {"1134567890"}
    assert national("+55 11 3456-7890") == "1134567890"


def test_search_suffix_is_common_to_all_spellings() -> None:
    assert {search_suffix(p) for p in ["+5511987654321", "551187654321"]} == {"87654321"}


def test_empty_input() -> None:
    assert variants("") == set() and e164("n/a") == ""
