"""A small catalogue for the search tests, loaded through the real import, and a search oracle.

The oracle answers a search by plain Python over the catalogue document: the words are
chosen so that no two share a stem, so "the word appears" is exactly what both full-text
engines decide.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from registry.credentials.isced import FIELDS as SUBJECT_NAMES
from registry.interop.catalogue import import_catalogue

UNITS = {"ECTS": 1.0, "US-semester-hour": 2.0, "SCQF": 0.5}
WORDS = ("python", "welding", "pottery", "astronomy", "baking", "robotics", "finance", "poetry")
SUBJECTS = ("0613", "0715", "0214", "0533", "0721", "0714", "0412", "0232")
TYPES = ("course", "badge", "micro-credential", "certificate")
FORMS = ("online", "on-site", "blended", None)
LANGUAGES = (["en"], ["de"], ["en", "fr"], ["es"], [])
PRICES = (None, 0, 49, 100, 250, 750, 1500)
FACETS = ("provider", "type", "level", "credits", "subject", "participation", "language", "price")
PROVIDERS = (
    ("harbour", "Harbour Polytechnic"),
    ("meadow", "Meadow Open University"),
    ("granite", "Granite Institute"),
    ("lantern", "Lantern Academy"),
)


def make_catalogue(n: int = 48, seed: int = 7) -> dict[str, Any]:
    """A deterministic catalogue document with every facet value spread around."""
    rng = random.Random(seed)
    credentials = []
    for i in range(n):
        word = WORDS[i % len(WORDS)]
        other = rng.choice(WORDS)
        unit = rng.choice(tuple(UNITS))
        credential: dict[str, Any] = {
            "id": f"s{i:03d}",
            "provider": PROVIDERS[i % len(PROVIDERS)][0],
            "title": f"{word.title()} studio {i}",
            "description": f"A practical module on {other} and related work, unit {i}.",
            "learning_outcomes": [f"Plan a project number {i}.", "Reflect on practice."],
            "credit_unit": unit,
            "type": TYPES[rng.randrange(len(TYPES))],
            "subjects": sorted({SUBJECTS[i % len(SUBJECTS)], rng.choice(SUBJECTS)}),
            "languages": rng.choice(LANGUAGES),
            "status": "draft" if i % 11 == 5 else "published",
        }
        if i % 9 != 4:
            credential["credits"] = rng.choice((1, 3, 5, 8, 12, 20, 45, 60, 90))
        if i % 7 != 3:
            credential["level"] = rng.randint(3, 8)
        form = FORMS[rng.randrange(len(FORMS))]
        if form is not None:
            credential["participation_form"] = form
        price = rng.choice(PRICES)
        if price is not None:
            credential["price"] = price
        credentials.append(credential)
    return {
        "credit_units": dict(UNITS),
        "providers": [
            {"id": ident, "name": name, "country": "IE", "email_domains": []}
            for ident, name in PROVIDERS
        ],
        "credentials": credentials,
        "recognitions": [],
    }


@pytest.fixture()
def catalogue(db_session) -> dict[str, Any]:
    """The catalogue document, imported (and so indexed) in this test's transaction."""
    document = make_catalogue()
    import_catalogue(db_session, document, actor=None)
    db_session.commit()
    return document


# --- the oracle -----------------------------------------------------------------------------

CREDIT_BANDS = ((5, "0-5"), (10, "5-10"), (30, "10-30"), (60, "30-60"))
PRICE_BANDS = ((100, "0-100"), (500, "100-500"), (1000, "500-1000"))


def credits_band(c: Mapping[str, Any], units: Mapping[str, float]) -> str:
    if c.get("credits") is None:
        return "none"
    ects = c["credits"] * units[c["credit_unit"]]
    return next((code for high, code in CREDIT_BANDS if ects < high), "60+")


def price_band(c: Mapping[str, Any]) -> str:
    price = c.get("price")
    if price is None:
        return "none"
    if price == 0:
        return "free"
    return next((code for high, code in PRICE_BANDS if price < high), "1000+")


def facet_values(c: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, set[str]]:
    """Every facet's values of one credential, as the search names them."""
    units = document["credit_units"]
    return {
        "provider": {c["provider"]},
        "type": {c["type"]},
        "level": {str(c["level"]) if c.get("level") else "none"},
        "credits": {credits_band(c, units)},
        "subject": set(c["subjects"]),
        "participation": {c.get("participation_form") or "none"},
        "language": set(c["languages"]),
        "price": {price_band(c)},
    }


def text_of(c: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    names = {p["id"]: p["name"] for p in document["providers"]}
    subjects = [f"{code} {SUBJECT_NAMES.get(code, '')}" for code in c["subjects"]]
    parts = [c["title"], c["description"], *c["learning_outcomes"], names[c["provider"]]]
    return " ".join(parts + subjects).lower()


def oracle(
    document: Mapping[str, Any],
    words: Iterable[str] = (),
    filters: Mapping[str, Iterable[str]] | None = None,
    *,
    skip: str | None = None,
) -> list[dict[str, Any]]:
    """Published credentials having every word and, per facet but `skip`, one chosen value."""
    filters = {k: set(v) for k, v in (filters or {}).items() if v}
    out = []
    for c in document["credentials"]:
        if c["status"] != "published":
            continue
        text = text_of(c, document)
        if any(not re.search(rf"\b{re.escape(w)}\b", text) for w in words):
            continue
        values = facet_values(c, document)
        if all(values[k] & chosen for k, chosen in filters.items() if k != skip):
            out.append(c)
    return out


def oracle_counts(
    document: Mapping[str, Any], words: Iterable[str], filters: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, int]]:
    """Each facet's counts over the matches, ignoring that facet's own filter."""
    counts: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        tally: dict[str, int] = {}
        for c in oracle(document, words, filters, skip=facet):
            for value in facet_values(c, document)[facet]:
                tally[value] = tally.get(value, 0) + 1
        counts[facet] = tally
    return counts
