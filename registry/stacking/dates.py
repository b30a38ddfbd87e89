"""Calendar dates: strict ISO parsing and whole-year arithmetic (29 Feb + 1 year = 28 Feb)."""

from __future__ import annotations

import datetime
import re

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: object) -> datetime.date | None:
    """The date of a strict `YYYY-MM-DD` string, else None."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def add_years(day: datetime.date, years: int) -> datetime.date:
    """`day` moved by whole calendar years; 29 February lands on 28 February in common years.

    Saturates at the ends of the calendar so huge `valid_years` mean "never expires".
    """
    year = day.year + years
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if year < datetime.MINYEAR:
        return datetime.date.min
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return day.replace(year=year, day=28)
