"""Catalogue search: the request read and checked, the matches, facet counts, one page of results.

`search_credentials` is the one service the search page and `GET /api/v1/search` call. Only
published credentials are indexed, so only they are ever found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.credentials.isced import FIELDS as SUBJECT_NAMES
from registry.credentials.models import PARTICIPATION_FORMS
from registry.errors import FieldError, ValidationError
from registry.providers.models import Provider
from registry.search.backends import backend_for
from registry.search.facets import FACETS, NONE, Columns, cached_columns
from registry.search.index import CREDIT_BANDS, PRICE_BANDS
from registry.search.models import SearchEntry, SearchLanguage, SearchSubject
from registry.search.query import Terms, parse, snippet

SORTS = ("relevance", "credits", "price", "newest")
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000
MAX_VALUES = 50  # values of one facet in one request
MAX_VALUE_LENGTH = 100
SHOWN_VALUES = 12  # values of a long facet (providers, subjects) listed, beside those chosen

CREDIT_LABELS = {
    "0-5": "Under 5 ECTS",
    "5-10": "5 to 10 ECTS",
    "10-30": "10 to 30 ECTS",
    "30-60": "30 to 60 ECTS",
    "60+": "60 ECTS or more",
    NONE: "No credits stated",
}
PRICE_LABELS = {
    "free": "Free",
    "0-100": "Under 100",
    "100-500": "100 to 500",
    "500-1000": "500 to 1,000",
    "1000+": "1,000 or more",
    NONE: "Price not stated",
}
PARTICIPATION_LABELS = {
    "online": "Online",
    "on-site": "On site",
    "blended": "Blended",
    NONE: "Not stated",
}
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "it": "Italian",
    "ja": "Japanese",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "sv": "Swedish",
    "zh": "Chinese",
}
FACET_TITLES = {
    "provider": "Provider",
    "type": "Type",
    "level": "EQF level",
    "credits": "Credits",
    "subject": "Subject",
    "participation": "Form of participation",
    "language": "Language",
    "price": "Price",
}
# Facets whose values have a natural order; the others list the commonest first.
ORDERED = {
    "level": [*(str(n) for n in range(1, 9)), NONE],
    "credits": [code for code, _, _ in CREDIT_BANDS] + [NONE],
    "price": [code for code, _, _ in PRICE_BANDS] + [NONE],
    "participation": [*PARTICIPATION_FORMS, NONE],
}
# Facets whose values must be one of a known list (others are ids and codes: any string).
CLOSED = {name: set(values) for name, values in ORDERED.items()}


@dataclass(frozen=True)
class SearchParams:
    """A checked search request."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """The request as URL query arguments (for links), with some changed."""
        args: dict[str, Any] = {"q": self.q or None, "sort": self.sort, "page": None}
        args.update({name: list(values) for name, values in self.filters.items() if values})
        if self.per_page != DEFAULT_PER_PAGE:
            args["per_page"] = self.per_page
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, [], "")}


@dataclass
class Hit:
    id: str
    title: str
    provider_id: str
    provider_name: str
    type: str
    level: int | None
    credits: float | None
    credit_unit: str
    credits_ects: float | None
    price: float | None
    participation_form: str | None
    subjects: list[str]
    languages: list[str]
    snippet: list[tuple[str, bool]]


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    params: SearchParams
    terms: Terms
    sort: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.params.per_page))

    def page_links(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and those near this one; None for a gap."""
        page, last = self.params.page, self.pages
        wanted = sorted({1, last, *range(max(1, page - around), min(last, page + around) + 1)})
        out: list[int | None] = []
        for n in wanted:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def _whole(args: Mapping[str, Any], name: str, default: int, high: int) -> tuple[int, list]:
    raw = args.get(name)
    if raw in (None, ""):
        return default, []
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= high:
        return default, [FieldError(name, f"must be a whole number from 1 to {high}")]
    return int(text), []


def params_from(args: Any) -> SearchParams:
    """Read and check a search request from URL arguments (a MultiDict or a plain mapping).

    Every problem is reported at once as a ValidationError naming its field.
    """

    def values(name: str) -> list[str]:
        if hasattr(args, "getlist"):
            return [str(v) for v in args.getlist(name)]
        raw = args.get(name)
        if raw is None:
            return []
        return [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]

    problems: list[FieldError] = []
    q = " ".join(values("q"))
    filters: dict[str, tuple[str, ...]] = {}
    for name in FACETS:
        chosen = [v.strip() for v in values(name) if v.strip()]
        if len(chosen) > MAX_VALUES:
            problems.append(FieldError(name, f"at most {MAX_VALUES} values"))
            continue
        wrong = [v for v in chosen if len(v) > MAX_VALUE_LENGTH]
        if name in CLOSED:
            wrong += [v for v in chosen if v not in CLOSED[name]]
        if wrong:
            allowed = f": one of {', '.join(ORDERED[name])}" if name in CLOSED else ""
            problems.append(FieldError(name, f"unknown value {wrong[0][:40]!r}{allowed}"))
            continue
        if chosen:
            filters[name] = tuple(dict.fromkeys(chosen))
    sort = (values("sort") or [""])[0].strip() or None
    if sort is not None and sort not in SORTS:
        problems.append(FieldError("sort", f"must be one of {', '.join(SORTS)}"))
        sort = None
    page, wrong_page = _whole(args, "page", 1, MAX_PAGE)
    per_page, wrong_size = _whole(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    problems += wrong_page + wrong_size
    if problems:
        raise ValidationError(problems)
    return SearchParams(q=q, filters=filters, sort=sort, page=page, per_page=per_page)


def search_credentials(
    session: Session,
    query: str = "",
    *,
    filters: Mapping[str, tuple[str, ...]] | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> SearchResult:
    """Published credentials matching `query` and `filters`: a page of them, total, facets.

    Values within one facet widen the choice (any of them), facets narrow it (all of them).
    Each facet's counts ignore that facet's own filter, so a learner sees what widening it
    would add. Sort: relevance (the default with words to search), credits (fewest ECTS
    first), price (cheapest first), newest (the default otherwise); missing values last.
    """
    params = SearchParams(
        q=query, filters=dict(filters or {}), sort=sort, page=page, per_page=per_page
    )
    columns = cached_columns(session)
    terms = parse(query)
    matched = _text_matches(session, columns, terms)
    masks = {
        name: columns.facets[name].mask(values, columns.size)
        for name, values in params.filters.items()
        if values
    }
    chosen = _combine(matched, masks, skip=None)
    total = columns.size if chosen is None else int(np.count_nonzero(chosen))
    effective = sort or "relevance"
    if effective == "relevance" and not terms.find:
        effective = "newest"  # no words to rank by
    offset = (page - 1) * per_page
    if effective == "relevance":
        positions = _ranked_page(session, columns, terms, chosen, bool(masks), offset, per_page)
    else:
        positions = _page(columns, chosen, effective, offset, per_page)
    counts = {
        name: (
            _counts(columns, _combine(matched, masks, skip=name), name)
            if name in masks
            else _counts(columns, chosen, name)
        )
        for name in FACETS
    }
    return SearchResult(
        params=params,
        terms=terms,
        sort=effective,
        total=total,
        hits=_hits(session, columns.version_ids[positions], terms),
        facets=_facets(session, columns, counts, params.filters),
    )


def _text_matches(session: Session, columns: Columns, terms: Terms) -> np.ndarray | None:
    """Rows the words match (None: no words typed, every row)."""
    if not terms.given:
        return None
    matched = np.zeros(columns.size, dtype=bool)
    if not terms.searchable:
        return matched  # only punctuation, operators or joining words: nothing to find
    connection = session.connection()
    backend = backend_for(connection)
    if not terms.find:  # exclusions alone: everything but what they match
        at, held = columns.positions(backend.ids(connection, Terms(terms.text, terms.exclude)))
        matched[:] = True
        matched[at[held]] = False
        return matched
    at, held = columns.positions(backend.ids(connection, terms))
    matched[at[held]] = True
    return matched


def _combine(
    matched: np.ndarray | None, masks: Mapping[str, np.ndarray], *, skip: str | None
) -> np.ndarray | None:
    """Rows passing the text match and every filter but `skip` (None: every row)."""
    out = matched
    for name, mask in masks.items():
        if name != skip:
            out = mask if out is None else out & mask
    return out


def _counts(columns: Columns, rows: np.ndarray | None, name: str) -> np.ndarray:
    if rows is None:
        return columns.all_counts()[name]
    return columns.facets[name].counts(rows)


def _page(
    columns: Columns, chosen: np.ndarray | None, sort: str, offset: int, limit: int
) -> np.ndarray:
    """Row positions of one page sorted by credits, price or age; ties go to the newest."""
    if sort in ("credits", "price"):
        order = columns.order(sort)
        if chosen is not None:
            order = order[chosen[order]]
        return order[offset : offset + limit]
    rows = np.arange(columns.size) if chosen is None else np.flatnonzero(chosen)
    return rows[::-1][offset : offset + limit]


# Relevance: ask the engine for its best rows a few times the page's reach, keep the filtered
# ones, ask for more while too few are kept; past RANK_ALL_ABOVE, score every match instead.
FIRST_ASK_MIN = 200
RANK_ALL_ABOVE = 20_000


def _ranked_page(
    session: Session,
    columns: Columns,
    terms: Terms,
    chosen: np.ndarray,
    filtered: bool,
    offset: int,
    limit: int,
) -> np.ndarray:
    """Row positions of one page by relevance (best score first, ties newest first)."""
    connection = session.connection()
    backend = backend_for(connection)
    reach = offset + limit
    ask = max(4 * reach, FIRST_ASK_MIN) if filtered else reach
    while ask <= max(RANK_ALL_ABOVE, reach):
        ids = np.asarray(backend.top(connection, terms, ask), dtype=np.int64)
        at, held = columns.positions(ids)
        kept = at[held][chosen[at[held]]]
        if len(kept) >= reach or len(ids) < ask:
            return kept[offset:reach]
        ask *= 8
    ids, scores = backend.matches(connection, terms)
    at, held = columns.positions(ids)
    at, scores = at[held], scores[held]
    keep = chosen[at]
    at, scores = at[keep], scores[keep]
    order = np.lexsort((-columns.version_ids[at], scores))
    return at[order[offset:reach]]


def _hits(session: Session, version_ids: np.ndarray, terms: Terms) -> list[Hit]:
    """The rows of one page, in the order given."""
    ids = [int(v) for v in version_ids]
    if not ids:
        return []
    entries = {
        e.version_id: e
        for e in session.scalars(select(SearchEntry).where(SearchEntry.version_id.in_(ids)))
    }
    many: dict[str, dict[int, list[str]]] = {"subjects": {}, "languages": {}}
    for key, model in (("subjects", SearchSubject), ("languages", SearchLanguage)):
        for version_id, code in session.execute(
            select(model.version_id, model.code)
            .where(model.version_id.in_(ids))
            .order_by(model.version_id, model.code)
        ):
            many[key].setdefault(version_id, []).append(code)
    hits = []
    for version_id in ids:
        entry = entries.get(version_id)
        if entry is None:
            continue  # unpublished since the facet columns were read
        pieces = snippet(entry.description, terms)
        if terms.words and not any(marked for _, marked in pieces) and entry.outcomes:
            outcomes = snippet(entry.outcomes, terms)  # the words may be in the outcomes
            if any(marked for _, marked in outcomes):
                pieces = outcomes
        hits.append(
            Hit(
                id=entry.credential_id,
                title=entry.title,
                provider_id=entry.provider_id,
                provider_name=entry.provider_name,
                type=entry.type,
                level=entry.level,
                credits=entry.credits,
                credit_unit=entry.credit_unit,
                credits_ects=entry.credits_ects,
                price=entry.price,
                participation_form=entry.participation_form,
                subjects=many["subjects"].get(version_id, []),
                languages=many["languages"].get(version_id, []),
                snippet=pieces,
            )
        )
    return hits


def _label(session_names: Mapping[str, str], name: str, value: str) -> str:
    if name == "provider":
        return session_names.get(value, value)
    if name == "subject":
        known = SUBJECT_NAMES.get(value)
        return f"{known} ({value})" if known else value
    if name == "level":
        return "No level" if value == NONE else f"Level {value}"
    if name == "credits":
        return CREDIT_LABELS.get(value, value)
    if name == "price":
        return PRICE_LABELS.get(value, value)
    if name == "participation":
        return PARTICIPATION_LABELS.get(value, value)
    if name == "language":
        return LANGUAGE_NAMES.get(value, value)
    return value


def _facets(
    session: Session,
    columns: Columns,
    counts: Mapping[str, np.ndarray],
    filters: Mapping[str, tuple[str, ...]],
) -> dict[str, list[FacetValue]]:
    """Each facet's values with their counts: those chosen always, others when they count."""
    listed: dict[str, list[tuple[str, int]]] = {}
    for name in FACETS:
        facet = columns.facets[name]
        chosen = set(filters.get(name, ()))
        pairs = [
            (value, int(count))
            for value, count in zip(facet.values, counts[name], strict=True)
            if count or value in chosen
        ]
        pairs += [(value, 0) for value in chosen if value not in facet.lookup]
        if name in ORDERED:
            rank = {value: i for i, value in enumerate(ORDERED[name])}
            pairs.sort(key=lambda p: rank.get(p[0], len(rank)))
        else:
            pairs.sort(key=lambda p: (-p[1], p[0]))
            if name in ("provider", "subject"):
                pairs = [p for i, p in enumerate(pairs) if i < SHOWN_VALUES or p[0] in chosen]
        listed[name] = pairs
    wanted = [value for value, _ in listed["provider"]]
    names: dict[str, str] = {}
    if wanted:
        rows = session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(wanted)))
        names = {ident: name for ident, name in rows}
    return {
        name: [
            FacetValue(value, _label(names, name, value), count, value in filters.get(name, ()))
            for value, count in pairs
        ]
        for name, pairs in listed.items()
    }


def result_document(result: SearchResult, url_for_credential: Any) -> dict[str, Any]:
    """The JSON answer of `GET /api/v1/search`."""
    return {
        "query": {
            "q": result.terms.text,
            "filters": {k: list(v) for k, v in result.params.filters.items()},
            "sort": result.sort,
        },
        "total": result.total,
        "page": result.params.page,
        "per_page": result.params.per_page,
        "pages": result.pages,
        "results": [
            {
                "id": hit.id,
                "title": hit.title,
                "provider": {"id": hit.provider_id, "name": hit.provider_name},
                "type": hit.type,
                "level": hit.level,
                "credits": (
                    None
                    if hit.credits is None
                    else {"value": hit.credits, "unit": hit.credit_unit, "ects": hit.credits_ects}
                ),
                "price": hit.price,
                "participation_form": hit.participation_form,
                "languages": hit.languages,
                "subjects": [
                    {"code": code, "name": SUBJECT_NAMES.get(code)} for code in hit.subjects
                ],
                "snippet": "".join(fragment for fragment, _ in hit.snippet),
                "highlights": [fragment for fragment, marked in hit.snippet if marked],
                "url": url_for_credential(hit.id),
            }
            for hit in result.hits
        ],
        "facets": {
            name: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in values
            ]
            for name, values in result.facets.items()
        },
    }
