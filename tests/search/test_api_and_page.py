"""GET /api/v1/search and the /search page: answers, refusals naming the field, empty states."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.search.conftest import oracle, oracle_counts


def conforms(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """The ways `value` breaks the (small) part of JSON Schema the OpenAPI document uses."""
    problems: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        python = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "number": (int, float),
            "boolean": bool,
            "null": type(None),
        }
        if not any(isinstance(value, python[k]) for k in kinds) or (
            isinstance(value, bool) and "boolean" not in kinds
        ):
            return [f"{where}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        problems += [f"{where}.{k}: missing" for k in schema.get("required", []) if k not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += conforms(value[key], sub, f"{where}.{key}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                problems += conforms(item, extra, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += conforms(item, schema["items"], f"{where}[{i}]")
    return problems


def test_the_answer_matches_the_openapi_document(client, catalogue):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/search"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    named = {p["name"] for p in operation["parameters"]}
    assert named == {
        "q",
        "provider",
        "type",
        "level",
        "credits",
        "subject",
        "participation",
        "language",
        "price",
        "sort",
        "page",
        "per_page",
    }

    for url in (
        "/api/v1/search",
        "/api/v1/search?q=python&level=6&level=7&sort=price&page=1",
        "/api/v1/search?q=nothing-matches-this",
    ):
        body = client.get(url).get_json()
        assert conforms(body, schema) == [], url


def test_the_api_answers_results_total_pages_and_facets(client, catalogue):
    response = client.get("/api/v1/search?q=python&language=en&per_page=2&page=2")

    assert response.status_code == 200
    body = response.get_json()
    expected = oracle(catalogue, ["python"], {"language": ["en"]})
    assert body["total"] == len(expected)
    assert body["page"] == 2 and body["per_page"] == 2 and body["pages"] == -(-len(expected) // 2)
    assert body["query"] == {"q": "python", "filters": {"language": ["en"]}, "sort": "relevance"}
    first = body["results"][0]
    assert first["url"].endswith(f"/credentials/{first['id']}")
    assert client.get(urlsplit(first["url"]).path).status_code == 200
    counts = {
        name: {v["value"]: v["count"] for v in values if v["count"]}
        for name, values in body["facets"].items()
    }
    assert counts == oracle_counts(catalogue, ["python"], {"language": ["en"]})


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=best", "sort"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("level=9", "level"),
        ("level=six", "level"),
        ("credits=lots", "credits"),
        ("price=cheap", "price"),
        ("participation=by-post", "participation"),
        ("provider=" + "x" * 101, "provider"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(client, catalogue, query, field):
    response = client.get(f"/api/v1/search?{query}")

    assert response.status_code == 422
    errors = response.get_json()["error"]["errors"]
    assert [e["field"] for e in errors] == [field]


def test_every_bad_parameter_is_named_at_once(client, catalogue):
    response = client.get("/api/v1/search?sort=x&page=0&level=0")

    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["error"]["errors"]} == {
        "sort",
        "page",
        "level",
    }


# --- the page -------------------------------------------------------------------------------


def labels_of(page: str) -> dict[str, str]:
    return dict(re.findall(r'<label[^>]*\bfor="([^"]+)"[^>]*>\s*(.*?)</label>', page, re.S))


def test_the_page_has_labelled_facets_with_counts_and_result_links(client, catalogue):
    response = client.get("/search?q=python&level=6")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    inputs = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', page)
    labels = labels_of(page)
    assert inputs and all(i in labels for i in inputs), "every control has a label"
    assert re.search(r'name="level" value="6" id="[^"]+" checked', page)
    expected = oracle(catalogue, ["python"], {"level": ["6"]})
    for c in expected:
        assert f'href="/credentials/{c["id"]}"' in page
    assert f"{len(expected)} credential" in page
    assert 'method="get"' in page and "csrf_token" not in page.split("<main", 1)[1]


def test_pages_link_to_each_other_keeping_the_search(client, catalogue):
    page = client.get("/search?q=studio&per_page=5&sort=price&type=course").get_data(as_text=True)

    links = re.findall(r'<a href="(/search\?[^"]+)"[^>]*rel="next"', page)
    assert links
    args = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert args == {
        "q": ["studio"],
        "sort": ["price"],
        "type": ["course"],
        "per_page": ["5"],
        "page": ["2"],
    }
    assert client.get(links[0].replace("&amp;", "&")).status_code == 200


def test_without_a_query_the_page_offers_popular_subjects_and_providers(client, catalogue):
    page = client.get("/search").get_data(as_text=True)

    assert "Popular subjects" in page and "Largest providers" in page
    assert 'href="/search?subject=' in page and 'href="/search?provider=' in page


def test_no_results_suggest_removing_filters_and_repeat_the_words(client, catalogue):
    page = client.get("/search?q=pyhton&type=badge&level=8").get_data(as_text=True)

    assert "No credentials match “pyhton”" in page
    assert "Check the spelling of “pyhton”" in page
    assert "Search without the filters" in page
    assert page.count('class="tag" href="/search?') >= 2  # one link per filter to remove it


def test_a_query_of_operators_alone_says_there_is_nothing_to_search(client, catalogue):
    page = client.get("/search?q=AND+OR+%22%22").get_data(as_text=True)

    assert "Nothing to search for" in page


def test_a_bad_parameter_on_the_page_is_named_and_the_rest_is_kept(client, catalogue):
    response = client.get("/search?q=python&level=9&sort=worst")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<strong>level</strong>" in page and "<strong>sort</strong>" in page
    assert f"{len(oracle(catalogue, ['python']))} credential" in page


def test_the_home_page_and_the_menu_lead_to_search(client, catalogue):
    page = client.get("/").get_data(as_text=True)

    assert re.search(r'<form method="get" action="/search"', page)
    assert '<label class="visually-hidden" for="home-q">' in page
    assert '<a href="/search"' in page
