"""The search page: a search box, facets with their counts, a page of results."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session
from flask_login import current_user

from registry.db import db
from registry.errors import ValidationError
from registry.search import services
from registry.search.cache import answer_key, answers

bp = Blueprint("search", __name__)


@bp.route("/search")
def index() -> tuple[str, int]:
    """Search published credentials; every choice is in the URL, so a search can be shared."""
    if current_user.is_authenticated or session.get("_flashes"):
        return _page()  # the page shows who is logged in, or a message: made for one visitor
    return answers.get_or_make(answer_key(db.session, "page", request.url), _page)


def _page() -> tuple[str, int]:
    problems = []
    try:
        params = services.params_from(request.args)
    except ValidationError as exc:
        # Show the search without the values that could not be read, and say which they were.
        problems = exc.errors
        wrong = {problem.field for problem in problems}
        kept = {k: v for k, v in request.args.lists() if k not in wrong}
        params = services.params_from(kept)
    result = services.search_credentials(
        db.session,
        params.q,
        filters=params.filters,
        sort=params.sort,
        page=params.page,
        per_page=params.per_page,
    )
    page = render_template(
        "search/index.html",
        result=result,
        params=params,
        problems=problems,
        facet_titles=services.FACET_TITLES,
        sorts=services.SORTS,
        subject_names=services.SUBJECT_NAMES,
    )
    return page, 422 if problems else 200
