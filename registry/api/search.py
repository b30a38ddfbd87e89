"""JSON endpoint for catalogue search: results, total, pages and facet counts."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for

from registry.api.blueprint import bp
from registry.api.openapi import PATHS
from registry.db import db
from registry.search import services
from registry.search.cache import answer_key, answers


@bp.get("/search")
def search():
    """Published credentials matching the words and filters, one page, with facet counts."""
    params = services.params_from(request.args)

    def answer() -> str:
        result = services.search_credentials(
            db.session,
            params.q,
            filters=params.filters,
            sort=params.sort,
            page=params.page,
            per_page=params.per_page,
        )
        document = services.result_document(
            result, lambda ident: url_for("credentials.show", credential_id=ident, _external=True)
        )
        return current_app.json.dumps(document)

    body = answers.get_or_make(answer_key(db.session, "api", request.url), answer)
    return current_app.response_class(body, mimetype="application/json")


def _many(name: str, description: str, values: list[str] | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "string"}
    if values:
        items["enum"] = values
    return {
        "name": name,
        "in": "query",
        "description": description + " Repeat the parameter for several values (any of them).",
        "schema": {"type": "array", "items": items},
        "style": "form",
        "explode": True,
    }


_FACET_VALUE = {
    "type": "object",
    "required": ["value", "label", "count", "selected"],
    "properties": {
        "value": {"type": "string"},
        "label": {"type": "string"},
        "count": {"type": "integer", "minimum": 0},
        "selected": {"type": "boolean"},
    },
}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
SEARCH_RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["query", "total", "page", "per_page", "pages", "results", "facets"],
    "properties": {
        "query": {
            "type": "object",
            "properties": {
                "q": {"type": "string"},
                "filters": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "sort": {"enum": list(services.SORTS)},
            },
        },
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "provider", "type", "url"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "provider": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                    },
                    "type": {"type": "string"},
                    "level": {"type": ["integer", "null"]},
                    "credits": {
                        "type": ["object", "null"],
                        "properties": {
                            "value": {"type": "number"},
                            "unit": {"type": "string"},
                            "ects": _NUMBER_OR_NULL,
                        },
                    },
                    "price": _NUMBER_OR_NULL,
                    "participation_form": {"type": ["string", "null"]},
                    "languages": {"type": "array", "items": {"type": "string"}},
                    "subjects": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "name": {"type": ["string", "null"]},
                            },
                        },
                    },
                    "snippet": {"type": "string"},
                    "highlights": {"type": "array", "items": {"type": "string"}},
                    "url": {"type": "string", "format": "uri"},
                },
            },
        },
        "facets": {
            "type": "object",
            "properties": {
                name: {"type": "array", "items": _FACET_VALUE} for name in services.FACETS
            },
        },
    },
}

PATHS["/search"] = {
    "get": {
        "summary": "Search the published catalogue, with facet counts",
        "description": (
            "Full text over title, description, learning outcomes, provider and subjects. "
            'Words are all required; "quoted words" form a phrase; -word excludes. Each '
            "facet's counts ignore that facet's own filter."
        ),
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string"}},
            _many("provider", "Provider id."),
            _many("type", "Credential type."),
            _many("level", "EQF level, or none.", services.ORDERED["level"]),
            _many("credits", "Credits in ECTS, as a band.", services.ORDERED["credits"]),
            _many("subject", "ISCED-F subject code."),
            _many("participation", "Form of participation.", services.ORDERED["participation"]),
            _many("language", "Language code."),
            _many("price", "Price band.", services.ORDERED["price"]),
            {
                "name": "sort",
                "in": "query",
                "description": "relevance (the default with words), credits, price or newest",
                "schema": {"enum": list(services.SORTS)},
            },
            {
                "name": "page",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": services.MAX_PAGE},
            },
            {
                "name": "per_page",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": services.MAX_PER_PAGE},
            },
        ],
        "responses": {
            "200": {
                "description": "One page of results, the total and the facets",
                "content": {"application/json": {"schema": SEARCH_RESULT_SCHEMA}},
            },
            "422": {"$ref": "#/components/responses/Error"},
        },
    }
}
