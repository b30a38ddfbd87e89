"""Property tests: for any words, filters, sort and page size, search agrees with brute force."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.search.services import search_credentials
from tests.search.conftest import (
    FACETS,
    LANGUAGES,
    PROVIDERS,
    SUBJECTS,
    TYPES,
    WORDS,
    oracle,
    oracle_counts,
)

VALUES = {
    "provider": [p for p, _ in PROVIDERS] + ["nobody"],
    "type": [*TYPES, "diploma"],
    "level": [*(str(n) for n in range(1, 9)), "none"],
    "credits": ["0-5", "5-10", "10-30", "30-60", "60+", "none"],
    "subject": [*SUBJECTS, "9999"],
    "participation": ["online", "on-site", "blended", "none"],
    "language": sorted({code for codes in LANGUAGES for code in codes}),
    "price": ["free", "0-100", "100-500", "500-1000", "1000+", "none"],
}
filters_strategy = st.dictionaries(
    st.sampled_from(FACETS),
    st.just(None),
    max_size=4,
).flatmap(
    lambda chosen: st.fixed_dictionaries(
        {
            name: st.lists(st.sampled_from(VALUES[name]), min_size=1, max_size=3, unique=True)
            for name in chosen
        }
    )
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    # The catalogue is read, never changed, by every example: one per test is enough.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(
    words=st.lists(st.sampled_from([*WORDS, "studio", "granite", "0613"]), max_size=2, unique=True),
    filters=filters_strategy,
)
def test_results_and_facet_counts_match_brute_force(db_session, catalogue, words, filters):
    result = search_credentials(
        db_session, " ".join(words), filters={k: tuple(v) for k, v in filters.items()}, per_page=100
    )

    expected = oracle(catalogue, words, filters)
    assert result.total == len(expected)
    assert {hit.id for hit in result.hits} == {c["id"] for c in expected}
    counts = {
        name: {v.value: v.count for v in values if v.count}
        for name, values in result.facets.items()
    }
    assert counts == oracle_counts(catalogue, words, filters)


@SETTINGS
@given(
    words=st.lists(st.sampled_from([*WORDS, "studio"]), max_size=1),
    filters=filters_strategy,
    sort=st.sampled_from([None, "relevance", "credits", "price", "newest"]),
    per_page=st.integers(min_value=1, max_value=12),
)
def test_paging_never_repeats_or_loses_a_result(
    db_session, catalogue, words, filters, sort, per_page
):
    q = " ".join(words)
    chosen = {k: tuple(v) for k, v in filters.items()}
    first = search_credentials(db_session, q, filters=chosen, sort=sort, per_page=per_page)
    seen = [hit.id for hit in first.hits]
    for page in range(2, first.pages + 1):
        result = search_credentials(
            db_session, q, filters=chosen, sort=sort, page=page, per_page=per_page
        )
        assert result.total == first.total
        seen += [hit.id for hit in result.hits]

    assert len(seen) == len(set(seen)) == first.total
    assert set(seen) == {c["id"] for c in oracle(catalogue, words, filters)}
