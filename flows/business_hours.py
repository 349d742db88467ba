"""When people answer the shop's WhatsApp, so the bot can say when a person follows up.

The spec is short and readable in an env var: ``"mon-fri 08:00-18:00; sat 08:00-12:00"``
(days ``mon``…``sun``, ranges or comma lists; one or more spans per day). Empty = always.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_NAMES = {"pt": ["segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"],
             "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday"]}
_PART = re.compile(r"^\s*([a-z,\-]+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class BusinessHoursError(ValueError):
    """The spec cannot be read; the message shows the expected shape."""


def _days(text: str) -> list[int]:
    found: list[int] = []
    for chunk in text.split(","):
        first, _, last = chunk.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise BusinessHoursError(f"unknown day in {text!r}: use {', '.join(DAYS)}")
        start, end = DAYS.index(first), DAYS.index(last or first)
        found += list(range(start, end + 1)) if start <= end else \
            [*range(start, 7), *range(0, end + 1)]
    return found


@dataclass(frozen=True)
class BusinessHours:
    """Opening spans per weekday (0 = Monday) in ``tz``; no spans at all = always open."""

    spans: dict[int, list[tuple[dt.time, dt.time]]] = field(default_factory=dict)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @classmethod
    def parse(cls, spec: str, timezone: str = "UTC") -> BusinessHours:
        spans: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for part in filter(str.strip, spec.lower().split(";")):
            match = _PART.match(part)
            if not match:
                raise BusinessHoursError(
                    f"cannot read {part.strip()!r}: expected e.g. 'mon-fri 08:00-18:00; "
                    "sat 08:00-12:00'")
            days, h1, m1, h2, m2 = match.groups()
            try:
                opens, closes = dt.time(int(h1), int(m1)), dt.time(int(h2), int(m2))
            except ValueError as exc:
                raise BusinessHoursError(f"bad time in {part.strip()!r}: {exc}") from None
            if closes <= opens:
                raise BusinessHoursError(f"{part.strip()!r} closes before it opens")
            for day in _days(days):
                spans.setdefault(day, []).append((opens, closes))
        return cls({d: sorted(s) for d, s in spans.items()}, ZoneInfo(timezone))

    def is_open(self, now: dt.datetime) -> bool:
        if not self.spans:
            return True
        local = now.astimezone(self.tz)
        return any(o <= local.time() < c for o, c in self.spans.get(local.weekday(), []))

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """The next moment people answer (None when always open or never)."""
        if not self.spans:
            return None
        local = now.astimezone(self.tz)
        for offset in range(8):
            day = local.date() + dt.timedelta(days=offset)
            for opens, _ in self.spans.get(day.weekday(), []):
                moment = dt.datetime.combine(day, opens, tzinfo=self.tz)
                if moment > local:
                    return moment
        return None

    def follow_up_text(self, now: dt.datetime, language: str) -> str:
        """'A person answers Monday at 08:00.' in the customer's language ('' when open)."""
        if self.is_open(now):
            return ""
        opening = self.next_opening(now)
        if opening is None:
            return ""
        local = now.astimezone(self.tz)
        lang = "en" if language == "en" else "pt"
        if opening.date() == local.date():
            when = {"pt": "hoje", "en": "today"}[lang]
        elif opening.date() == local.date() + dt.timedelta(days=1):
            when = {"pt": "amanhã", "en": "tomorrow"}[lang]
        else:
            when = DAY_NAMES[lang][opening.weekday()]
        hour = opening.strftime("%H:%M")
        if lang == "en":
            return (f"Our team is out of office now; a person will follow up {when} at "
                    f"{hour}.")
        return f"Nosso time está fora do horário agora; um atendente retorna {when} às {hour}."
