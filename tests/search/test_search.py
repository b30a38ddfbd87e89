"""Search on the current database: relevance, facets and counts, filters, paging, sorting."""

from __future__ import annotations

from typing import Any

import pytest

from registry.search import services
from registry.search.facets import FACETS
from registry.search.services import SearchResult, search_credentials
from tests.search.conftest import UNITS, WORDS, oracle, oracle_counts


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def counts(result: SearchResult) -> dict[str, dict[str, int]]:
    return {
        name: {v.value: v.count for v in values if v.count}
        for name, values in result.facets.items()
    }


def everything(session, q: str = "", **kw: Any) -> list[str]:
    """Every result of a search, page after page."""
    found, page = [], 1
    while True:
        result = search_credentials(session, q, page=page, per_page=7, **kw)
        found += ids(result)
        if page >= result.pages:
            return found
        page += 1


# --- relevance ------------------------------------------------------------------------------


def test_a_title_match_ranks_above_a_description_match(db_session, factory, catalogue):
    in_title = [c for c in catalogue["credentials"] if c["title"].lower().startswith("pottery")]
    only_described = [
        c for c in oracle(catalogue, ["pottery"]) if not c["title"].lower().startswith("pottery")
    ]
    assert in_title and only_described, "the catalogue must have both kinds"

    result = search_credentials(db_session, "pottery", per_page=100)

    titled = {c["id"] for c in in_title if c["status"] == "published"}
    ranked = ids(result)
    assert result.sort == "relevance"
    assert set(ranked[: len(titled)]) == titled
    assert set(ranked) == {c["id"] for c in oracle(catalogue, ["pottery"])}


def test_words_are_all_required_and_found_in_every_indexed_field(db_session, catalogue):
    # A provider name, a subject code and a subject's name are found like the title.
    assert set(ids(search_credentials(db_session, "granite", per_page=100))) == {
        c["id"] for c in oracle(catalogue, ["granite"])
    }
    assert set(ids(search_credentials(db_session, "0533", per_page=100))) == {
        c["id"] for c in oracle(catalogue, ["0533"])
    }
    physics = search_credentials(db_session, "physics", per_page=100)
    assert set(ids(physics)) == {c["id"] for c in oracle(catalogue, ["0533"])}
    both = search_credentials(db_session, "python welding", per_page=100)
    assert set(ids(both)) == {c["id"] for c in oracle(catalogue, ["python", "welding"])}


def test_stemming_finds_other_forms_of_a_word(db_session, factory):
    provider = factory.provider(name="Stem College")
    credential = factory.credential(provider, "stems", title="Nursing the elderly")
    credential.current.status = "published"
    credential.published = credential.current
    db_session.flush()

    assert ids(search_credentials(db_session, "nurses")) == ["stems"]
    assert ids(search_credentials(db_session, "NURSE")) == ["stems"]


def test_a_phrase_and_an_exclusion(db_session, catalogue):
    phrase = search_credentials(db_session, '"practical module"', per_page=100)
    assert phrase.total == len(oracle(catalogue))
    assert search_credentials(db_session, '"module practical"').total == 0

    without = search_credentials(db_session, "studio -python", per_page=100)
    expected = {c["id"] for c in oracle(catalogue)} - {
        c["id"] for c in oracle(catalogue, ["python"])
    }
    assert set(ids(without)) == expected
    only_minus = everything(db_session, "-python")
    assert set(only_minus) == expected


def test_a_snippet_marks_the_words_found(db_session, catalogue):
    result = search_credentials(db_session, "astronomy")

    hit = result.hits[0]
    assert any(
        marked and fragment.lower().startswith("astronom") for fragment, marked in hit.snippet
    ) or (hit.title.lower().startswith("astronomy"))


# --- facets, filters, paging, sorting ---------------------------------------------------------


def test_facet_counts_without_a_search_count_every_published_credential(db_session, catalogue):
    result = search_credentials(db_session)

    assert result.total == len(oracle(catalogue))
    assert counts(result) == oracle_counts(catalogue, [], {})


@pytest.mark.parametrize(
    ("q", "filters"),
    [
        ("", {"level": ("6",)}),
        ("studio", {"level": ("6", "7"), "type": ("course",)}),
        ("", {"subject": ("0613",), "language": ("en",)}),
        ("python", {"price": ("free", "none"), "credits": ("0-5",)}),
        ("", {"provider": ("harbour", "lantern"), "participation": ("online", "none")}),
        ("finance", {"credits": ("60+", "none"), "level": ("none", "8")}),
        ("", {"language": ("fr", "de"), "price": ("1000+",), "type": ("badge", "course")}),
    ],
)
def test_filters_combine_and_each_facet_ignores_its_own_filter(db_session, catalogue, q, filters):
    words = [q] if q else []

    result = search_credentials(db_session, q, filters=filters, per_page=100)

    expected = oracle(catalogue, words, filters)
    assert result.total == len(expected)
    assert set(ids(result)) == {c["id"] for c in expected}
    assert counts(result) == oracle_counts(catalogue, words, filters)
    for name, chosen in filters.items():
        shown = {v.value for v in result.facets[name] if v.selected}
        assert shown == set(chosen), f"{name}: a chosen value is always listed, marked"


def test_a_chosen_value_nothing_has_is_listed_with_zero(db_session, catalogue):
    result = search_credentials(db_session, filters={"provider": ("nobody",)})

    assert result.total == 0
    assert [(v.value, v.count, v.selected) for v in result.facets["provider"]][-1] == (
        "nobody",
        0,
        True,
    )


def test_credit_bands_are_in_ects(db_session, catalogue):
    """60 US semester hours are 120 ECTS; 90 SCQF points are 45."""
    for band in ("0-5", "5-10", "10-30", "30-60", "60+", "none"):
        found = set(everything(db_session, filters={"credits": (band,)}))
        assert found == {c["id"] for c in oracle(catalogue, [], {"credits": [band]})}, band
    assert UNITS["US-semester-hour"] == 2.0


@pytest.mark.parametrize("q", ["", "studio", "python"])
@pytest.mark.parametrize("sort", [None, "relevance", "credits", "price", "newest"])
def test_pages_hold_every_result_once(db_session, catalogue, q, sort):
    found = everything(db_session, q, sort=sort)

    assert len(found) == len(set(found))
    assert set(found) == {c["id"] for c in oracle(catalogue, [q] if q else [])}


def test_sorting_by_credits_price_and_newest(db_session, catalogue):
    by_id = {c["id"]: c for c in catalogue["credentials"]}

    def ects(ident: str) -> float:
        c = by_id[ident]
        return c["credits"] * UNITS[c["credit_unit"]] if c.get("credits") is not None else 1e9

    credits = everything(db_session, sort="credits")
    assert [ects(i) for i in credits] == sorted(ects(i) for i in credits)
    prices = everything(db_session, sort="price")
    keyed = [by_id[i].get("price", 1e9) for i in prices]
    assert keyed == sorted(keyed)
    # Imported in file order: the newest is the last one in the file.
    newest = everything(db_session, sort="newest")
    assert newest == sorted(newest, reverse=True)
    assert everything(db_session) == newest  # the default without words


def test_relevance_without_words_falls_back_to_newest(db_session, catalogue):
    result = search_credentials(db_session, sort="relevance")

    assert result.sort == "newest"


def test_a_page_past_the_end_is_empty_not_an_error(db_session, catalogue):
    result = search_credentials(db_session, page=99)

    assert result.hits == [] and result.total == len(oracle(catalogue))


# --- only what learners may see ---------------------------------------------------------------


def test_only_published_credentials_are_found(db_session, factory, catalogue):
    drafts = {c["id"] for c in catalogue["credentials"] if c["status"] != "published"}
    assert drafts
    provider = factory.provider(name="Draft House")
    factory.credential(provider, "draft-only", title="Python draft studio")

    found = set(everything(db_session))
    assert not found & drafts
    assert "draft-only" not in everything(db_session, "python")
    for word in WORDS:
        assert not set(everything(db_session, word)) & drafts


def test_every_facet_is_answered(db_session, catalogue):
    result = search_credentials(db_session, "python")

    assert list(result.facets) == list(FACETS)


@pytest.mark.parametrize(("first", "rank_all"), [(1, 10_000), (1, 3), (2, 0)])
def test_ranking_by_asking_for_more_or_scoring_all_gives_the_same_pages(
    db_session, catalogue, monkeypatch, first, rank_all
):
    """A narrow filter on a broad word: the engine's best rows hold too few filtered ones."""
    filters = {"level": ("4", "8"), "language": ("en",)}
    before = [everything(db_session, "studio", filters=filters)]
    before.append(everything(db_session, "studio practical", filters={"type": ("badge",)}))

    monkeypatch.setattr(services, "FIRST_ASK_MIN", first)
    monkeypatch.setattr(services, "RANK_ALL_ABOVE", rank_all)

    after = [everything(db_session, "studio", filters=filters)]
    after.append(everything(db_session, "studio practical", filters={"type": ("badge",)}))
    assert after == before
    assert all(before)
