"""Whatever is typed into the search box: no error, no injection, sensible results."""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from registry.credentials.models import Credential
from registry.search.models import SearchEntry
from registry.search.query import parse
from registry.search.services import search_credentials
from tests.search.conftest import oracle

# (typed, the words an honest search looks for, or None when any answer without an error will do)
CASES = [
    ('python"', ["python"]),
    ('"python', ["python"]),
    ('""', []),
    ('"', []),
    ("python*", ["python"]),
    ("*", []),
    ("-", []),
    ("--", []),
    ("python -", ["python"]),
    ("python:", ["python"]),
    ("title:python", None),
    (":", []),
    ("AND OR NOT", []),
    ("python AND welding", ["python", "welding"]),
    ("python OR", ["python"]),
    ("NOT python", ["python"]),
    ("NEAR(python welding)", None),
    ("NEAR", None),
    ("(python", ["python"]),
    ("python)", ["python"]),
    ("((()))", []),
    ("^python", ["python"]),
    ("python + welding", ["python", "welding"]),
    ("{python}", ["python"]),
    ("python\x00welding", ["python", "welding"]),
    ("\x00", None),  # nothing typed once cleaned: the whole catalogue
    ("pytho\u0301n", None),  # a combining acute accent
    ("cafe\u0301 \u00e9t\u00e9", None),
    ("🐍🐍", []),
    ("python 🐍", ["python"]),
    ("\uff30\uff59\uff54\uff48\uff4f\uff4e", None),  # full-width letters
    ("ﬁnance", None),  # a ligature
    ("日本語の講座", None),
    ("\u202epython", ["python"]),  # a right-to-left override
    ("python\u200b", ["python"]),  # a zero-width space
    ("'; DROP TABLE search_entries; --", None),
    ("' OR '1'='1", None),
    ('" OR 1=1 --', None),
    ("python') UNION SELECT * FROM users --", None),
    ("%", []),
    ("_", []),
    ("\\", []),
    ("python" + " " * 5000, ["python"]),
    ("python " * 2000, ["python"]),
    ("x" * 10_000, None),
    ("&page=2&sort=bad", None),
]


@pytest.mark.parametrize(("typed", "words"), CASES, ids=[repr(c[0])[:30] for c in CASES])
def test_typed_text_is_searched_safely(client, db_session, catalogue, typed, words):
    before = db_session.scalar(select(func.count()).select_from(SearchEntry))

    response = client.get(f"/api/v1/search?q={quote(typed)}&per_page=100")

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    published = {c["id"] for c in oracle(catalogue)}
    found = {r["id"] for r in body["results"]}
    assert found <= published
    if words is not None:
        expected = {c["id"] for c in oracle(catalogue, words)} if words else set()
        assert found == expected
    assert db_session.scalar(select(func.count()).select_from(SearchEntry)) == before
    assert db_session.scalar(select(func.count()).select_from(Credential)) == len(
        catalogue["credentials"]
    )


@pytest.mark.parametrize("typed", [c[0] for c in CASES[::3]], ids=lambda t: repr(t)[:30])
def test_the_page_answers_and_shows_what_was_typed(client, catalogue, typed):
    response = client.get(f"/search?q={quote(typed)}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = parse(typed).text
    if shown and "<" not in shown:
        from markupsafe import escape

        assert str(escape(shown))[:60] in page


def test_random_unicode_never_fails(db_session, catalogue):
    rng = random.Random(1)
    alphabet = [chr(c) for c in range(0x20, 0x2FFF) if not 0xD800 <= c <= 0xDFFF] + list('"*():-^')
    for _ in range(60):
        typed = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))

        result = search_credentials(db_session, typed)

        assert result.total <= len(oracle(catalogue))


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters(client, catalogue):
    response = client.get("/api/v1/search?q=%ff%fe%00python")

    assert response.status_code == 200
    assert {r["id"] for r in response.get_json()["results"]} <= {c["id"] for c in oracle(catalogue)}


def test_markup_in_the_query_is_shown_as_text(client, catalogue):
    response = client.get("/search?q=" + quote('<script>alert("x")</script> python'))

    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
