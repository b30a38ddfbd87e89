"""Who may do what: one row per route and method, one column per kind of user.

`test_every_route_has_a_row` fails when a route of the app has no row here, so each new route
must say, for every kind of user, what it answers. Expectations are a status code or, for a
redirect, "302 <path>". POSTs carry a valid CSRF token (the client logged in through the real
login page); API calls carry a Bearer token made with `create_token`. Writes send data that
is refused (an empty form or field, a JSON body that is not an object), so an allowed user
gets 422 or 409 and nothing changes between rows; only the last row (log out) changes the
session. (An edit form keeps the stored value of a field the POST leaves out, so edit rows
send an empty required field.)
"""

# ruff: noqa: E501 -- the permission table keeps one aligned line per route, to be read as a table
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound

from registry.auth.services import create_token
from registry.review.rubrics import create_default_rubric
from tests.conftest import Auth, bearer, csrf_token

ROLES = ("anonymous", "learner", "staff_own", "staff_other", "reviewer", "coordinator", "admin")
LOGIN = "302 /login"  # an anonymous visitor is sent to log in
HOME = "302 /"
TOKENS = "302 /account/tokens"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# The fixed ids of the sample world; users and tokens get theirs from the database.
OWN, OTHER = "uni-own", "uni-other"
DRAFT, PUBLISHED = "own-draft", "own-published"
MISSING = "no-such-thing"
MISSING_ID = 999_999_999


@dataclass(frozen=True)
class Row:
    method: str
    url: str  # with {placeholders} for ids from the sample world
    expected: tuple[Any, ...]  # one per ROLES
    body: Any = None  # form fields for pages, the JSON body for the API
    # A route another change is adding: skipped while the app lacks it, checked once it has it.
    pending: bool = False

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


def row(method: str, url: str, *expected: Any, body: Any = None, pending: bool = False) -> Row:
    assert len(expected) in (1, len(ROLES)), f"{method} {url}: one status or one per role"
    statuses = expected * len(ROLES) if len(expected) == 1 else expected
    return Row(method, url, statuses, body, pending)


# fmt: off
#    method   url                                          anon   learner staff_own staff_other reviewer coord admin
TABLE = [
    row("GET",  "/",                                          200),
    row("GET",  "/healthz",                                   200),
    row("GET",  "/search",                                    200),
    row("GET",  "/login",                                     200,   HOME,   HOME,  HOME,  HOME,  HOME,  HOME),
    row("POST", "/login",                                     422,   HOME,   HOME,  HOME,  HOME,  HOME,  HOME),
    row("GET",  "/register",                                  200,   HOME,   HOME,  HOME,  HOME,  HOME,  HOME),
    row("POST", "/register",                                  422,   HOME,   HOME,  HOME,  HOME,  HOME,  HOME),
    row("GET",  "/logout",                                    405),
    row("GET",  "/account/password",                          LOGIN, 200,    200,   200,   200,   200,   200),
    row("POST", "/account/password",                          LOGIN, 422,    422,   422,   422,   422,   422),
    row("GET",  "/account/tokens",                            LOGIN, 200,    200,   200,   200,   200,   200),
    row("POST", "/account/tokens",                            LOGIN, 422,    422,   422,   422,   422,   422),
    # Revoking the learner's token: only the learner may; for everyone else it does not exist.
    row("POST", "/account/tokens/{learner_token}/revoke",     LOGIN, TOKENS, 404,   404,   404,   404,   404),
    row("GET",  "/account/tokens/{learner_token}/revoke",     405),
    row("GET",  "/admin/users",                               LOGIN, 403,    403,   403,   403,   403,   200),
    row("GET",  "/admin/users/new",                           LOGIN, 403,    403,   403,   403,   403,   200),
    row("POST", "/admin/users/new",                           LOGIN, 403,    403,   403,   403,   403,   422),
    row("GET",  "/admin/users/{learner}",                     LOGIN, 403,    403,   403,   403,   403,   200),
    row("POST", "/admin/users/{learner}",                     LOGIN, 403,    403,   403,   403,   403,   422),
    row("GET",  "/admin/users/{missing_user}",                LOGIN, 403,    403,   403,   403,   403,   404),
    # Providers: public pages; only admins add or edit them.
    row("GET",  "/providers/",                                200),
    row("GET",  "/providers/{own}",                           200),
    row("GET",  "/providers/{missing}",                       404),
    row("GET",  "/providers/new",                             LOGIN, 403,    403,   403,   403,   403,   200),
    row("POST", "/providers/new",                             LOGIN, 403,    403,   403,   403,   403,   422),
    row("GET",  "/providers/{own}/edit",                      LOGIN, 403,    403,   403,   403,   403,   200),
    row("POST", "/providers/{own}/edit",                      LOGIN, 403,    403,   403,   403,   403,   422,
        body={"name": ""}),
    row("GET",  "/providers/{missing}/edit",                  LOGIN, 403,    403,   403,   403,   403,   404),
    # Credentials: published ones are public; drafts only for their provider's staff and QA.
    row("GET",  "/credentials/",                              200),
    row("GET",  "/credentials/{published}",                   200),
    row("GET",  "/credentials/{draft}",                       LOGIN, 403,    200,   403,   403,   200,   200),
    row("GET",  "/credentials/{missing}",                     404),
    row("GET",  "/credentials/new",                           LOGIN, 403,    200,   200,   403,   403,   200),
    row("POST", "/credentials/new",                           LOGIN, 403,    422,   422,   403,   403,   422),
    row("GET",  "/credentials/{draft}/edit",                  LOGIN, 403,    200,   403,   403,   403,   200),
    row("POST", "/credentials/{draft}/edit",                  LOGIN, 403,    422,   403,   403,   403,   422,
        body={"title": ""}),
    # Editing a published credential makes a new draft version (the published one stays).
    row("GET",  "/credentials/{published}/edit",              LOGIN, 403,    200,   403,   403,   403,   200),
    row("GET",  "/credentials/{missing}/edit",                404),
    # Pathway pictures: seen by who sees the credential.
    row("GET",  "/credentials/{published}/pathway",           200),
    row("GET",  "/credentials/{draft}/pathway",               LOGIN, 403,    200,   403,   403,   200,   200),
    row("GET",  "/credentials/{missing}/pathway",             404),
    row("GET",  "/credentials/{published}/pathway.svg",       200),
    row("GET",  "/credentials/{draft}/pathway.svg",           LOGIN, 403,    200,   403,   403,   200,   200),
    row("GET",  "/credentials/{missing}/pathway.svg",         404),
    # The JSON API: 401 without a token, never a redirect.
    row("GET",  "/api/v1/me",                                 401,   200,    200,   200,   200,   200,   200),
    row("POST", "/api/v1/me",                                 405),
    row("GET",  "/api/v1/openapi.json",                       200),
    row("GET",  "/api/v1/search",                             200),
    row("GET",  "/api/v1/providers",                          200),
    row("POST", "/api/v1/providers",                          401,   403,    403,   403,   403,   403,   422),
    row("GET",  "/api/v1/providers/{own}",                    200),
    row("GET",  "/api/v1/providers/{missing}",                404),
    row("PATCH", "/api/v1/providers/{own}",                   401,   403,    403,   403,   403,   403,   422),
    row("PATCH", "/api/v1/providers/{missing}",               401,   403,    403,   403,   403,   403,   404),
    row("GET",  "/api/v1/credentials",                        200),
    row("POST", "/api/v1/credentials",                        401,   403,    422,   422,   403,   403,   422),
    row("GET",  "/api/v1/credentials/{published}",            200),
    row("GET",  "/api/v1/credentials/{draft}",                401,   403,    200,   403,   403,   200,   200),
    row("GET",  "/api/v1/credentials/{missing}",              404),
    row("PATCH", "/api/v1/credentials/{draft}",               401,   403,    422,   403,   403,   403,   422),
    row("PATCH", "/api/v1/credentials/{published}",           401,   403,    422,   403,   403,   403,   422),
    row("PATCH", "/api/v1/credentials/{missing}",             401,   404,    404,   404,   404,   404,   404),
    # Stacking (being added): anyone evaluates a wallet; a pathway is seen by who sees the credential.
    row("GET",  "/api/v1/credentials/{published}/pathway",    200,                                                 pending=True),
    row("GET",  "/api/v1/credentials/{draft}/pathway",        401,   403,    200,   403,   403,   200,   200,     pending=True),
    row("GET",  "/api/v1/credentials/{missing}/pathway",      404,                                                 pending=True),
    row("POST", "/api/v1/evaluate",                           422,                                                 pending=True),
    # Rubrics: admins manage versions (a version is current already: making it so changes nothing).
    row("GET",  "/review/rubrics/",                           LOGIN, 403,    403,   403,   403,   403,   200),
    row("GET",  "/review/rubrics/versions/{rubric_version}",  LOGIN, 403,    403,   403,   403,   403,   200),
    row("GET",  "/review/rubrics/versions/{missing_rubric_version}", LOGIN, 403, 403, 403, 403,   403,   404),
    row("GET",  "/review/rubrics/versions/{rubric_version}/edit", LOGIN, 403, 403,  403,   403,   403,   200),
    row("POST", "/review/rubrics/versions/{rubric_version}/edit", LOGIN, 403, 403,  403,   403,   403,   422),
    row("GET",  "/review/rubrics/versions/{rubric_version}/new", LOGIN, 403, 403,   403,   403,   403,   200),
    row("POST", "/review/rubrics/versions/{rubric_version}/new", LOGIN, 403, 403,   403,   403,   403,   422),
    row("POST", "/review/rubrics/versions/{rubric_version}/make-current", LOGIN, 403, 403, 403, 403, 403, "302 /review/rubrics/"),
    row("GET",  "/review/rubrics/versions/{rubric_version}/make-current", 405),
    # The QA dashboard: coordinators and admins.
    row("GET",  "/review/dashboard",                          LOGIN, 403,    403,   403,   403,   200,   200),
    row("GET",  "/api/v1/rubrics/current",                    200),
    # Reviewers: their queue, answering and scoring their own assignment (it awaits an answer).
    row("GET",  "/reviews/",                                  LOGIN, 403,    403,   403,   200,   403,   403),
    row("GET",  "/reviews/{assignment}",                      LOGIN, 403,    403,   403,   200,   403,   403),
    row("POST", "/reviews/{assignment}",                      LOGIN, 403,    403,   403,   409,   403,   403),
    row("GET",  "/reviews/{missing_id}",                      LOGIN, 403,    403,   403,   404,   403,   403),
    row("GET",  "/reviews/{assignment}/accept",               LOGIN, 403,    403,   403,   200,   403,   403),
    row("POST", "/reviews/{assignment}/accept",               LOGIN, 403,    403,   403,   422,   403,   403),
    row("GET",  "/reviews/{assignment}/decline",              LOGIN, 403,    403,   403,   200,   403,   403),
    row("POST", "/reviews/{assignment}/decline",              LOGIN, 403,    403,   403,   422,   403,   403,
        body={"reason": "x" * 4001}),
    row("GET",  "/reviews/conflicts",                         LOGIN, 403,    403,   403,   200,   403,   403),
    row("POST", "/reviews/conflicts",                         LOGIN, 403,    403,   403,   422,   403,   403),
    row("POST", "/reviews/conflicts/{missing_id}/withdraw",   LOGIN, 403,    403,   403,   404,   403,   403),
    row("GET",  "/reviews/conflicts/{missing_id}/withdraw",   405),
    # Coordinators assign (the automatic run finds nobody left to ask, so it changes nothing).
    row("GET",  "/reviews/assign",                            LOGIN, 403,    403,   403,   403,   200,   403),
    row("POST", "/reviews/assign/auto",                       LOGIN, 403,    403,   403,   403,   "302 /reviews/assign", 403),
    row("GET",  "/reviews/assign/auto",                       405),
    row("GET",  "/reviews/assign/{in_review}",                LOGIN, 403,    403,   403,   403,   200,   403),
    row("POST", "/reviews/assign/{in_review}",                LOGIN, 403,    403,   403,   403,   422,   403),
    row("GET",  "/reviews/assign/{missing_id}",               LOGIN, 403,    403,   403,   403,   404,   403),
    row("POST", "/reviews/assignments/{assignment}/cancel",   LOGIN, 403,    403,   403,   403,   422,   403),
    row("GET",  "/reviews/assignments/{assignment}/cancel",   405),
    row("POST", "/api/v1/submissions/{in_review}/assign",     401,   403,    403,   403,   403,   422,   403),
    row("POST", "/api/v1/submissions/{missing_id}/assign",    401,   403,    403,   403,   403,   404,   403),
    row("GET",  "/api/v1/reviews",                            401,   403,    403,   403,   200,   403,   403),
    row("GET",  "/api/v1/reviews/{assignment}",               401,   403,    403,   403,   200,   403,   403),
    row("GET",  "/api/v1/reviews/{missing_id}",               401,   403,    403,   403,   404,   403,   403),
    row("POST", "/api/v1/reviews/{assignment}/accept",        401,   403,    403,   403,   422,   403,   403),
    row("POST", "/api/v1/reviews/{assignment}/decline",       401,   403,    403,   403,   422,   403,   403),
    row("POST", "/api/v1/reviews/{assignment}/submit",        401,   403,    403,   403,   422,   403,   403),
    # Submissions: the provider's staff submit; QA and the provider follow; coordinators decide.
    # The draft lacks mandatory elements (422); the submission in review is refused what its
    # state does not allow, so nothing changes between rows.
    row("POST", "/credentials/{draft}/submit",                LOGIN, 403,    422,   403,   403,   403,   403),
    row("GET",  "/credentials/{draft}/submit",                405),
    row("GET",  "/review/submissions/",                       LOGIN, 403,    200,   200,   403,   200,   200),
    row("GET",  "/review/submissions/{in_review}",            LOGIN, 403,    200,   403,   200,   200,   200),
    row("GET",  "/review/submissions/{missing_id}",           LOGIN, 404,    404,   404,   404,   404,   404),
    row("POST", "/review/submissions/{in_review}/actions/approve", LOGIN, 403, 403, 403,  403,   409,   403),
    row("POST", "/review/submissions/{in_review}/actions/retire",  LOGIN, 403, 409, 403,  403,   409,   403),
    row("POST", "/review/submissions/{in_review}/actions/nonsense", LOGIN, 404, 404, 404, 404,   404,   404),
    row("GET",  "/review/submissions/{in_review}/actions/approve", 405),
    row("POST", "/api/v1/credentials/{draft}/submit",         401,   403,    422,   403,   403,   403,   403),
    # A review record is opened for a published version only (the draft has none: 409).
    row("POST", "/credentials/{draft}/review-record",         LOGIN, 403,    409,   403,   403,   409,   403),
    row("GET",  "/credentials/{draft}/review-record",         405),
    row("POST", "/api/v1/credentials/{draft}/review-record",  401,   403,    409,   403,   403,   409,   403),
    row("POST", "/api/v1/credentials/{missing}/submit",       401,   404,    404,   404,   404,   404,   404),
    row("GET",  "/api/v1/submissions/{in_review}",            401,   403,    200,   403,   200,   200,   200),
    row("GET",  "/api/v1/submissions/{missing_id}",           401,   404,    404,   404,   404,   404,   404),
    row("POST", "/api/v1/submissions/{in_review}/actions/approve", 401, 403, 403,  403,   403,   409,   403),
    # Withdraw is the provider's from this state: its body (not an object) is refused, 422.
    row("POST", "/api/v1/submissions/{in_review}/actions/withdraw", 401, 403, 422, 403,   403,   403,   403),
    row("POST", "/api/v1/submissions/{missing_id}/actions/approve", 401, 404, 404, 404,   404,   404,   404),
    # Wallets: every logged-in account keeps its own; another's entry is simply not found.
    row("GET",  "/wallet",                                    LOGIN, 200,    200,   200,   200,   200,   200),
    row("POST", "/wallet/entries",                            LOGIN, 422,    422,   422,   422,   422,   422),
    row("POST", "/wallet/import",                             LOGIN, 422,    422,   422,   422,   422,   422),
    row("POST", "/wallet/entries/{missing_id}/remove",        LOGIN, 404,    404,   404,   404,   404,   404),
    row("GET",  "/wallet/entries/{missing_id}/remove",        405),
    row("GET",  "/wallet/progress",                           LOGIN, 200,    200,   200,   200,   200,   200),
    row("GET",  "/api/v1/wallet/entries",                     401,   200,    200,   200,   200,   200,   200),
    row("POST", "/api/v1/wallet/entries",                     401,   422,    422,   422,   422,   422,   422),
    row("GET",  "/api/v1/wallet/entries/{missing_id}",        401,   404,    404,   404,   404,   404,   404),
    row("DELETE", "/api/v1/wallet/entries/{missing_id}",      401,   404,    404,   404,   404,   404,   404),
    row("GET",  "/api/v1/wallet/progress",                    401,   200,    200,   200,   200,   200,   200),
    # Last: it ends the session the rows above used.
    row("POST", "/logout",                                    HOME),
]
# fmt: on

# Placeholder values that only have to route like the real ones (for the completeness check).
ROUTING_SAMPLE = {
    "learner": 1,
    "learner_token": 1,
    "missing_user": MISSING_ID,
    "own": OWN,
    "missing": MISSING,
    "draft": DRAFT,
    "published": PUBLISHED,
    "rubric_version": 1,
    "missing_rubric_version": MISSING_ID,
    "assignment": 1,
    "in_review": 1,
    "missing_id": MISSING_ID,
}


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_row(app: Flask) -> None:
    """A new route must be added to TABLE with what each kind of user gets."""
    adapter = app.url_map.bind("registry.test")
    covered, problems = set(), []
    for entry in TABLE:
        url = entry.url.format(**ROUTING_SAMPLE)
        try:
            rule, _ = adapter.match(url, method=entry.method, return_rule=True)
        except MethodNotAllowed:
            if set(entry.expected) != {405}:
                problems.append(f"{entry}: the route does not take {entry.method}")
            continue
        except NotFound:
            if not entry.pending:
                problems.append(f"{entry}: no such route (a stale row?)")
            continue
        covered.add((entry.method, rule.rule))
    missing = sorted(_routes(app) - covered, key=lambda r: (r[1], r[0]))
    problems += [f"no row for {method} {rule}" for method, rule in missing]

    assert not problems, "the permission table is out of date:\n" + "\n".join(problems)


@pytest.fixture()
def world(app: Flask, factory, db_session) -> dict[str, Any]:
    """Two providers, one user of each kind, a draft and a published credential, tokens."""
    own, other = factory.provider(OWN), factory.provider(OTHER)
    users = {
        "learner": factory.user("learner"),
        "staff_own": factory.user("provider", provider=own),
        "staff_other": factory.user("provider", provider=other),
        "reviewer": factory.user("reviewer"),
        "coordinator": factory.user("coordinator"),
        "admin": factory.user("admin"),
    }
    factory.credential(own, DRAFT, title="A draft")
    published = factory.credential(own, PUBLISHED, title="A published credential")
    # As a finished review leaves it: the current version is the published one.
    published.current.status = "published"
    published.published = published.current
    rubric_version = create_default_rubric(db_session)
    assignment = _assignment_in_review(db_session, factory, own, users)
    tokens = {role: create_token(db_session, user, "api")[1] for role, user in users.items()}
    revocable, _ = create_token(db_session, users["learner"], "to revoke")
    db_session.commit()
    return {
        "users": users,
        "tokens": tokens,
        "ids": {
            "learner": users["learner"].id,
            "learner_token": revocable.id,
            "missing_user": MISSING_ID,
            "own": OWN,
            "missing": MISSING,
            "draft": DRAFT,
            "published": PUBLISHED,
            "rubric_version": rubric_version.id,
            "missing_rubric_version": MISSING_ID,
            "assignment": assignment.id,
            "in_review": assignment.submission_id,
            "missing_id": MISSING_ID,
        },
    }


def _assignment_in_review(db_session, factory, own, users) -> Any:
    """A credential of `own` in review (on a rubric of its own, so the default one stays
    unfrozen), with the reviewer asked and not yet answering."""
    import datetime as dt

    from registry.review.models import Assignment, Criterion, Rubric, RubricVersion, Submission

    credential = factory.credential(own, "own-in-review", title="A credential in review")
    credential.current.status = "in_review"
    pinned = RubricVersion(
        number=1,
        levels=[{"value": 0, "label": "No"}, {"value": 1, "label": "Yes"}],
        met_level=1,
        criteria=[Criterion(position=0, code="Q", title="Quality", principle="quality")],
    )
    db_session.add(Rubric(name="Pinned for the permission table", versions=[pinned]))
    submission = Submission(
        credential=credential, version=credential.current, state="in_review", rubric_version=pinned
    )
    today = dt.date.today()
    assignment = Assignment(
        submission=submission,
        round=1,
        reviewer=users["reviewer"],
        response_due=today + dt.timedelta(days=7),
        review_due=today + dt.timedelta(days=21),
    )
    db_session.add(assignment)
    db_session.flush()
    return assignment


def _has_route(app: Flask, entry: Row) -> bool:
    adapter = app.url_map.bind("registry.test")
    try:
        adapter.match(entry.url.format(**ROUTING_SAMPLE), method=entry.method)
    except (NotFound, MethodNotAllowed):
        return False
    return True


def _outcome(response) -> Any:
    if 300 <= response.status_code < 400:
        return f"{response.status_code} {urlsplit(response.headers['Location']).path}"
    return response.status_code


def _send(entry: Row, url: str, page_client: FlaskClient, api_client: FlaskClient, *, token, csrf):
    if entry.is_api:
        headers = bearer(token) if token else {}
        body = ([] if entry.body is None else entry.body) if entry.method in UNSAFE else None
        return api_client.open(url, method=entry.method, headers=headers, json=body)
    data = {**(entry.body or {}), "csrf_token": csrf} if entry.method in UNSAFE else None
    return page_client.open(url, method=entry.method, data=data)


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_table(app: Flask, client: FlaskClient, world, role: str) -> None:
    """Every row for one kind of user; all differences are reported together."""
    column = ROLES.index(role)
    token = None
    if role != "anonymous":
        user = world["users"][role]
        assert Auth(client).login(user).status_code == 302
        token = world["tokens"][role]
    csrf = csrf_token(client, "/login" if role == "anonymous" else "/")
    api_client = app.test_client()  # no cookies: the API sees only the Bearer token

    wrong = []
    for entry in [e for e in TABLE if not e.pending or _has_route(app, e)]:
        url = entry.url.format(**world["ids"])
        try:
            got = _outcome(_send(entry, url, client, api_client, token=token, csrf=csrf))
        except Exception as exc:  # one broken route must not hide the other rows
            got = f"an exception: {exc!r}"
        expected = entry.expected[column]
        if got != expected:
            wrong.append(f"{entry.method} {url}: expected {expected}, got {got}")

    assert not wrong, f"as {role}:\n" + "\n".join(wrong)


def test_a_browser_session_must_send_the_csrf_token_to_the_api(
    app: Flask, client: FlaskClient, auth, factory
) -> None:
    """Cookies alone do not authorise an API write; a token or the CSRF token must come too."""
    auth.login(factory.user("admin"))

    refused = client.post("/api/v1/providers", json={"id": "csrf-probe"})
    anonymous = app.test_client().post("/api/v1/providers", json={"id": "csrf-probe"})

    assert refused.status_code == 400
    assert anonymous.status_code == 401
    assert client.get("/api/v1/providers/csrf-probe").status_code == 404
