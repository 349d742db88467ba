"""Business hours: the spec operators write, and what the customer is told."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.business_hours import BusinessHours, BusinessHoursError

SP = "America/Sao_Paulo"
HOURS = BusinessHours.parse("mon-fri 08:00-18:00; sat 08:00-12:00", SP)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """São Paulo local time on 2026-11-16 (a Monday) + ``day`` days."""
    from zoneinfo import ZoneInfo

    return dt.datetime(2026, 11, 16 + day, hour, minute, tzinfo=ZoneInfo(SP))


@pytest.mark.parametrize(("moment", "is_open"), [
    (at(0, 8), True), (at(0, 7, 59), False), (at(4, 17, 59), True), (at(4, 18), False),
    (at(5, 11), True), (at(5, 12), False), (at(6, 10), False)])
def test_open_and_closed(moment: dt.datetime, is_open: bool) -> None:
    assert HOURS.is_open(moment) is is_open


def test_utc_instants_are_read_in_the_shop_time_zone() -> None:
    # 10:30 UTC on a Monday is 07:30 in São Paulo: still closed
    assert not HOURS.is_open(dt.datetime(2026, 11, 16, 10, 30, tzinfo=dt.UTC))
    assert HOURS.is_open(dt.datetime(2026, 11, 16, 11, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize(("moment", "pt", "en"), [
    (at(0, 6), "retorna hoje às 08:00", "follow up today at 08:00"),
    (at(0, 19), "retorna amanhã às 08:00", "follow up tomorrow at 08:00"),
    (at(5, 13), "retorna segunda às 08:00", "follow up Monday at 08:00"),
])
def test_follow_up_says_when_a_person_answers(moment: dt.datetime, pt: str, en: str) -> None:
    assert pt in HOURS.follow_up_text(moment, "pt")
    assert en in HOURS.follow_up_text(moment, "en")


def test_open_or_unset_says_nothing() -> None:
    assert HOURS.follow_up_text(at(1, 10), "pt") == ""
    always = BusinessHours.parse("", SP)
    assert always.is_open(at(6, 3)) and always.follow_up_text(at(6, 3), "en") == ""


def test_day_lists_and_wrapping_ranges() -> None:
    hours = BusinessHours.parse("sat-mon 09:00-10:00; wed,fri 14:00-15:00")
    assert sorted(hours.spans) == [0, 2, 4, 5, 6]


@pytest.mark.parametrize("spec", ["mon-fri 8-18", "funday 08:00-10:00", "mon 18:00-08:00",
                                  "mon 25:00-26:00"])
def test_bad_specs_say_what_is_expected(spec: str) -> None:
    with pytest.raises(BusinessHoursError):
        BusinessHours.parse(spec)
