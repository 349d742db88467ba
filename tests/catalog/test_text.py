"""Normalisation makes customers' spellings meet the catalog's."""

from __future__ import annotations

import pytest

from mcp_servers.catalog.index import codes_in
from mcp_servers.catalog.text import attributes, expand, normalize, stem, tokens


@pytest.mark.parametrize(("raw", "expected"), [
    ('Parafuso sextavado 3/8 x 2" zincado', "parafuso sextavado 3/8x2 zincado"),
    ("parafuzo 3/8 pol x 2 pol", "parafuzo 3/8x2"),
    ("furadeira 220", "furadeira 220v"),
    ("Furadeira 220 V", "furadeira 220v"),
    ("lixadeira 110v", "lixadeira 127v"),
    ("tinta 18 litros", "tinta 18l"),
    ("Tinta 3,6 L", "tinta 3.6l"),
    ('esmerilhadeira 4 1/2"', "esmerilhadeira 4.1/2"),
    ("Cabo 2,5 mm²", "cabo 2.5mm2"),
    ("CIMENTO Açúcar", "cimento acucar"),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_tokens_drop_stop_words_and_fold_plurals() -> None:
    assert tokens("Quero 2 caixas de parafusos sextavados") == [
        "2", "caixa", "parafuso", "sextavado"]
    assert stem("pincéis".replace("é", "e")) == "pincel"
    assert stem("3/8") == "3/8"


def test_dimensions_also_yield_their_parts_and_units_their_number() -> None:
    assert tokens("3/8 x 2") == ["3/8x2", "3/8", "2"]
    assert tokens("fio 2,5mm²") == ["fio", "2.5mm2", "2.5"]


def test_conflicts_name_the_differing_fact() -> None:
    wanted = attributes("furadeira 220V")
    assert wanted.conflicts(attributes('Furadeira de impacto 650W 3/8" 127V')) == [
        "127v instead of 220v"]
    assert wanted.conflicts(attributes('Furadeira de impacto 850W 1/2" 220V')) == []
    assert wanted.conflicts(attributes("Máquina de solda inversora 160A bivolt")) == []
    assert attributes("parafuso 3/8 x 2").conflicts(attributes('Parafuso 3/8 x 1"')) == [
        "size 3/8x1"]
    assert attributes("tinta branca").conflicts(attributes("Tinta branco neve 18 L")) == []


def test_codes_in_queries() -> None:
    assert codes_in("FEL-0002") == ["FEL-0002"]
    assert codes_in("quero o fel 0002 e o 7890001000351") == ["FEL-0002", "7890001000351"]
    assert codes_in("parafuso 3/8") == []


def test_synonyms_are_added_never_replacing() -> None:
    assert expand("fio 2,5") == "fio 2,5 cabo"
    assert expand("tinta branca") == "tinta branca branco"
    assert expand("parafuso") == "parafuso"
