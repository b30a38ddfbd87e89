"""The filter scans (postings, then the columns for the keys they do not answer) find and
group exactly what checking every credential with `spec_matches` finds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.stacking import Catalogue, CredentialSpec, exact
from registry.stacking.engine import reach
from registry.stacking.index import spec_matches
from registry.stacking.solver import Node, Part

from .test_oracle_properties import examples

PROVIDERS = ("p1", "p2", "p3")
SUBJECTS = ("0411", "0413", "0613")
TYPES = ("badge", "course")
specs = st.builds(
    lambda number, provider, subjects, level, kind: CredentialSpec(
        f"c{number:02d}", provider=provider, subjects=tuple(subjects), level=level, type=kind
    ),
    st.integers(0, 40),
    st.sampled_from(PROVIDERS),
    st.lists(st.sampled_from(SUBJECTS), max_size=2),
    st.one_of(st.none(), st.integers(1, 8)),
    st.sampled_from(TYPES),
)
# Lists as the rules allow them, and the odd values a filter may still carry (duplicates,
# unknown ids, non-strings, an empty list).
values = {
    "credentials": st.lists(
        st.one_of(st.sampled_from(("c00", "c03", "c17", "c99")), st.integers()), max_size=3
    ),
    "providers": st.lists(st.one_of(st.sampled_from(PROVIDERS), st.just(7)), max_size=3),
    "subjects": st.lists(st.sampled_from((*SUBJECTS, "9999")), max_size=3),
    "types": st.lists(st.sampled_from((*TYPES, "degree")), max_size=2),
    "level_min": st.integers(0, 9),
    "level_max": st.integers(0, 9),
    "result_min": st.integers(0, 100),
}
filters = st.fixed_dictionaries({}, optional=values)


@examples(ci=1500, dev=150)
@given(st.lists(specs, max_size=30, unique_by=lambda spec: spec.id), filters)
def test_filter_candidates_agree_with_spec_matches(specs, where) -> None:
    catalogue = Catalogue({spec.id: spec for spec in specs})
    index = catalogue.index()
    want = [ident for ident in sorted(catalogue.credentials) if spec_matches(
        catalogue.credentials[ident], where)]  # fmt: skip
    assert index.filter_candidates(where, remember=False) == want


def _with_costs(spec, credits, unit, status, qualification, price) -> CredentialSpec:
    return CredentialSpec(
        spec.id,
        provider=spec.provider,
        subjects=spec.subjects,
        level=spec.level,
        type=spec.type,
        credits=credits,
        credit_unit=unit,
        status=status,
        price=price,
        requirements={"credential": "c00"} if qualification else None,
    )


grouped_specs = st.builds(
    _with_costs,
    specs,
    st.sampled_from((0, 1, 2.5, 3, 3.0, 6)),
    st.sampled_from(("ECTS", "US")),
    st.sampled_from(("published", "draft")),
    st.booleans(),
    st.sampled_from((None, 0, 90, 90.0, 120.5)),
)


@examples(ci=1000, dev=100)
@given(
    st.lists(grouped_specs, max_size=30, unique_by=lambda spec: spec.id),
    filters,
    st.lists(filters, max_size=3),
    st.booleans(),
)
def test_filter_groups_agree_with_grouping_by_spec_matches(specs, where, parts, pricing) -> None:
    catalogue = Catalogue({spec.id: spec for spec in specs})
    want: dict[tuple, list[str]] = {}
    for ident in sorted(catalogue.credentials):
        spec = catalogue.credentials[ident]
        if not spec_matches(spec, where):
            continue
        plannable = spec.is_published and not spec.is_qualification
        fields = (spec.credits, spec.credit_unit, plannable, spec.price if pricing else None)
        flags = tuple(spec_matches(spec, part) for part in parts)
        want.setdefault((fields, flags), []).append(ident)
    assert catalogue.index().filter_groups(where, parts, pricing) == want


part_kinds = st.sampled_from(("credits", "count", "share"))


@examples(ci=1000, dev=100)
@given(
    st.lists(grouped_specs, min_size=10, max_size=30, unique_by=lambda spec: spec.id),
    filters,
    st.lists(st.tuples(part_kinds, filters), max_size=2),
    st.sampled_from(("credits", "count", "price")),
)
def test_a_tables_classes_are_found_from_a_credentials_fields(specs, where, parts, cost) -> None:
    """A leaf table finds a credential's class from the group its fields put it in; the
    answer is the class whose members hold it, for every credential of the catalogue."""
    catalogue = Catalogue({spec.id: spec for spec in specs})
    amounts = {"credits": 4, "count": 1, "share": 0.5}
    node = Node(
        path="",
        kind="credits",
        cutoff=None,
        amount=6,
        where=where,
        parts=tuple(Part(kind, amounts[kind], part) for kind, part in parts),
    )
    try:
        table = exact._build_table(catalogue.index(), node, cost)
    except exact.Unknown:
        return  # two shares, or credits the grid cannot hold: no table
    assert table.member_class.locate is not None
    for ident in [*sorted(catalogue.credentials), "unknown"]:
        holding = [n for n, (_, _, members) in enumerate(table.classes) if ident in members]
        assert table.member_class.get(ident) == (holding[0] if holding else None), ident


@examples(ci=1000, dev=100)
@given(
    st.lists(specs, min_size=1, max_size=30, unique_by=lambda spec: spec.id),
    st.lists(filters, min_size=1, max_size=6),
)
def test_the_filters_a_credential_reaches_are_those_it_passes(specs, wheres) -> None:
    """`Reach.matching_filters` finds each credential's filters through their postings and
    checks only what the postings do not answer: the same filters as `spec_matches`."""
    rules = {
        f"q{n}": CredentialSpec(f"q{n}", requirements={"credits": 1, "where": where})
        for n, where in enumerate(wheres)
    }
    catalogue = Catalogue({**{spec.id: spec for spec in specs}, **rules})
    paths = reach(catalogue)
    for spec in catalogue.credentials.values():
        want = {at for at, (where, _) in enumerate(paths.filters) if spec_matches(spec, where)}
        assert set(paths.matching_filters(spec)) == want, spec.id
