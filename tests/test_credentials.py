"""Credential services and pages: drafts, validation, cycles, edges, versions and who sees what."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.credentials.models import Credential, CredentialEdge, CredentialVersion
from registry.credentials.rules_text import rule_lines
from registry.credentials.services import create_credential, update_credential
from registry.errors import Conflict, ValidationError
from tests.conftest import post_form


@pytest.fixture()
def world(factory, db_session):
    uni_a = factory.provider("uni-a", name="University A", country="IE")
    uni_b = factory.provider("uni-b", name="University B", country="FR")
    users = {
        "staff_a": factory.user("provider", provider=uni_a),
        "staff_b": factory.user("provider", provider=uni_b),
        "admin": factory.user("admin"),
        "coordinator": factory.user("coordinator"),
        "learner": factory.user("learner"),
    }
    draft = factory.credential(uni_a, "a-draft", title="Draft of A")
    published = factory.credential(uni_a, "a-pub", title="Published A", credits=5)
    publish(published)
    db_session.commit()
    return {"users": users, "draft": draft, "published": published}


def publish(credential: Credential) -> None:
    """Simulate a finished review: the current version becomes the published one."""
    credential.current.status = "published"
    credential.published = credential.current


def counts(session) -> tuple[int, int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Credential, CredentialVersion, CredentialEdge, AuditEvent)
    )


def edges(credential: Credential) -> list[tuple[str, str]]:
    return [(e.component_id, e.kind) for e in credential.current.edges]


def errors_by_field(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, block in re.findall(
        r'<ul class="errors" id="([\w-]+)-errors">(.*?)</ul>', page, re.S
    ):
        found[name] = re.findall(r"<li>(.*?)</li>", block, re.S)
    return found


# --- the services ---------------------------------------------------------------------------


def test_create_makes_a_draft_version_one_with_edges_and_an_event(world, db_session):
    staff = world["users"]["staff_a"]
    credential = create_credential(
        db_session,
        {
            "id": "q",
            "provider": "uni-a",
            "title": " Qualification ",
            "status": "published",  # ignored: new credentials are drafts
            "requirements": {"all": [{"credential": "a-pub"}, {"credential": "a-draft"}]},
            "prerequisites": {"credential": "a-pub"},
            "max_reuse": 1,
        },
        actor=staff,
    )
    assert credential.ctid.startswith("ce-") and credential.published is None
    version = credential.current
    assert (version.number, version.status, version.title) == (1, "draft", "Qualification")
    assert version.created_by_id == staff.id and credential.versions == [version]
    assert edges(credential) == [
        ("a-draft", "requirement"),
        ("a-pub", "prerequisite"),
        ("a-pub", "requirement"),
    ]
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.object_id == "q")).one()
    assert (event.action, event.actor_id, event.to_state) == (
        "credential.create",
        staff.id,
        "draft",
    )
    assert event.after["requirements"]["all"][0] == {"credential": "a-pub"}


def test_create_with_no_actor_is_a_system_action(world, db_session):
    credential = create_credential(
        db_session, {"id": "sys", "provider": "uni-a", "title": "By the system"}, actor=None
    )
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.object_id == "sys")).one()
    assert event.actor_id is None and credential.current.created_by_id is None


def test_update_replaces_the_draft_in_place_and_moves_edges(world, db_session, factory):
    factory.credential("uni-a", "c-part", title="Part")
    draft = world["draft"]
    draft_version_id = draft.current.id
    update_credential(
        db_session,
        draft,
        {"title": "Draft of A v1b", "requirements": {"credential": "c-part"}},
        actor=world["users"]["staff_a"],
    )
    assert edges(draft) == [("c-part", "requirement")]
    update_credential(
        db_session,
        draft,
        {"title": "Draft of A v1c", "prerequisites": {"credential": "a-pub"}},
        actor=world["users"]["staff_a"],
    )
    db_session.flush()
    stored = db_session.scalars(
        select(CredentialEdge).where(CredentialEdge.version_id == draft_version_id)
    ).all()
    assert [(e.component_id, e.kind) for e in stored] == [("a-pub", "prerequisite")]
    assert draft.current.id == draft_version_id and draft.current.number == 1
    assert draft.current.requirements is None and len(draft.versions) == 1
    updates = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credential.update").order_by(AuditEvent.id)
    ).all()
    assert [(e.before["title"], e.after["title"]) for e in updates] == [
        ("Draft of A", "Draft of A v1b"),
        ("Draft of A v1b", "Draft of A v1c"),
    ]


@pytest.mark.parametrize("status", ["submitted", "in_review", "decision_pending"])
def test_update_of_a_version_in_review_is_a_conflict(world, db_session, status):
    draft = world["draft"]
    draft.current.status = status
    before = counts(db_session)
    with pytest.raises(Conflict, match=r"in review\. Withdraw the submission"):
        update_credential(db_session, draft, {"title": "Changed"}, actor=None)
    assert draft.current.title == "Draft of A" and counts(db_session) == before


@pytest.mark.parametrize("status", ["published", "suspended", "rejected", "withdrawn", "retired"])
def test_update_of_a_decided_version_makes_a_new_draft_version(world, db_session, status):
    credential = world["published"]
    credential.current.status = status
    if status != "published":
        credential.published = None
    db_session.flush()
    update_credential(
        db_session, credential, {"title": "Published A, revised", "credits": 6}, actor=None
    )
    assert [(v.number, v.status, v.title) for v in credential.versions] == [
        (1, status, "Published A"),
        (2, "draft", "Published A, revised"),
    ]
    assert credential.current.number == 2 and credential.current.credits == 6
    expected_published = 1 if status == "published" else None
    assert (credential.published.number if credential.published else None) == expected_published
    event = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.from_state, event.to_state) == (
        "credential.new_version",
        status,
        "draft",
    )
    assert event.before["title"] == "Published A" and event.after["version"] == 2


def test_the_new_draft_changes_in_place_afterwards(world, db_session):
    credential = world["published"]
    update_credential(db_session, credential, {"title": "v2"}, actor=None)
    update_credential(db_session, credential, {"title": "v2, again"}, actor=None)
    assert [(v.number, v.title) for v in credential.versions] == [
        (1, "Published A"),
        (2, "v2, again"),
    ]


def test_revisions_requested_change_the_submitted_version_in_place(world, db_session):
    draft = world["draft"]
    draft.current.status = "revisions_requested"
    update_credential(db_session, draft, {"title": "Revised"}, actor=None)
    assert [(v.number, v.status, v.title) for v in draft.versions] == [
        (1, "revisions_requested", "Revised")
    ]


def test_cycles_are_found_through_stored_edges_and_named(world, db_session, factory):
    factory.credential("uni-a", "c", title="C")
    factory.credential("uni-a", "b", title="B", requirements={"credential": "c"})
    update_credential(
        db_session, world["draft"], {"title": "A", "requirements": {"credential": "b"}}, actor=None
    )
    before = counts(db_session)
    c = db_session.get(Credential, "c")
    with pytest.raises(ValidationError) as caught:
        update_credential(
            db_session,
            c,
            {
                "title": "C",
                "requirements": {"all": [{"credential": "a-pub"}, {"credential": "a-draft"}]},
            },
            actor=None,
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("requirements.all[1].credential", "this rule makes a cycle: c -> a-draft -> b -> c")
    ]
    assert counts(db_session) == before and edges(c) == []


def test_the_two_graphs_are_separate(world, db_session, factory):
    # b requires a-draft; a-draft may still *presuppose* b: a prerequisite is another graph.
    factory.credential("uni-a", "b", title="B", requirements={"credential": "a-draft"})
    update_credential(
        db_session, world["draft"], {"title": "A", "prerequisites": {"credential": "b"}}, actor=None
    )
    assert edges(world["draft"]) == [("b", "prerequisite")]
    with pytest.raises(ValidationError, match=r"prerequisites\.credential: this rule makes a"):
        update_credential(
            db_session,
            db_session.get(Credential, "b"),
            {"title": "B", "prerequisites": {"credential": "a-draft"}},
            actor=None,
        )


def test_only_current_and_published_versions_make_cycles(world, db_session, factory):
    # b's old version 1 required a-draft; its current version 2 no longer does.
    b = factory.credential("uni-a", "b", title="B", requirements={"credential": "a-draft"})
    b.current.status = "superseded"
    version_2 = CredentialVersion(number=2, status="draft", title="B v2")
    b.versions.append(version_2)
    b.current = version_2
    db_session.flush()
    update_credential(
        db_session, world["draft"], {"title": "A", "requirements": {"credential": "b"}}, actor=None
    )
    assert edges(world["draft"]) == [("b", "requirement")]


# --- the readable rule ----------------------------------------------------------------------


def test_rules_read_as_nested_lists():
    tree = rule_lines(
        {
            "all": [
                {"credential": "core"},
                {"at_least": 2, "of": [{"credential": "x"}, {"credential": "y"}]},
                {
                    "credits": 30,
                    "where": {"subjects": ["0613"], "level_min": 6},
                    "of_which": [{"share": 0.75, "where": {"credentials": ["x", "y"]}}],
                    "within_years": 5,
                },
                {"count": 3, "where": {"types": ["badge"]}},
            ]
        }
    )

    def text(line):
        return "".join(value for _, value in line.pieces)

    # Learner language (deliberately changed from "All of:" / "At least 2 of:" / raw codes).
    assert text(tree) == "All 4 of these:"
    assert [text(c) for c in tree.children] == [
        "core",
        "Both of these:",
        "30 ECTS at EQF level 6 or above in Software and applications development and "
        "analysis (earned within the last 5 years)",
        "3 different credentials of type badge",
    ]
    assert text(tree.children[2].children[0]) == (
        "of which at least 75 % of the credits from one of x or y"
    )
    assert ("id", "x") in tree.children[2].children[0].pieces


# --- pages: creating ------------------------------------------------------------------------


FORM = {
    "id": "sql-basics",
    "provider": "uni-a",
    "title": "SQL basics",
    "description": "Querying data.",
    "learning_outcomes": "Write joins\n\nGroup rows\n",
    "credits": "5.0",
    "credit_unit": "ECTS",
    "level": "5",
    "subjects": "0613, 0542",
    "languages": "en, ga",
    "type": "micro-credential",
    "assessment_type": "project",
    "participation_form": "on-site",
    "quality_assurance": "internal QA",
    "price": "450",
    "duration": "6 weeks",
    "url": "https://uni-a.example/sql",
    "valid_years": "3",
    "prerequisites": '{"credential": "a-pub"}',
    "requirements": "",
    "max_reuse": "",
}


def test_staff_create_a_draft_through_the_form(client, auth, world, db_session):
    auth.login(world["users"]["staff_a"])
    form = client.get("/credentials/new").get_data(as_text=True)
    for name in FORM:
        assert f'name="{name}"' in form, name
    assert "Save draft" in form and 'class="code"' in form
    assert "University B" not in form  # staff choose only their own provider

    response = post_form(client, "/credentials/new", FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/credentials/sql-basics")
    credential = db_session.get(Credential, "sql-basics")
    version = credential.current
    assert version.learning_outcomes == ["Write joins", "Group rows"]
    assert version.subjects == ["0613", "0542"] and version.languages == ["en", "ga"]
    assert (version.credits, version.level, version.price, version.valid_years) == (5, 5, 450, 3)
    assert version.participation_form == "on-site" and version.prerequisites == {
        "credential": "a-pub"
    }
    assert version.requirements is None and version.max_reuse is None
    assert edges(credential) == [("a-pub", "prerequisite")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved the draft of SQL basics" in page


# (form change, the field that shows the error, a piece of its message)
PAGE_INVALID = [
    ({"title": ""}, "title", "is required"),
    ({"level": "9"}, "level", "must be between 1 and 8"),
    ({"participation_form": "teleport"}, "participation_form", "must be one of"),
    ({"credits": "-5"}, "credits", "must be at least 0"),
    ({"credits": "five"}, "credits", "Not a valid float value"),
    ({"credit_unit": "FURLONG"}, "credit_unit", "unknown credit unit"),
    (
        {"requirements": '{"all": [{"credential": "a-pub"}, {"credits": -1}]}'},
        "requirements",
        "requirements.all[1].credits: credits must be a number &gt;= 0",
    ),
    (
        {"requirements": '{"any": [{"credential": "ghost"}]}'},
        "requirements",
        "requirements.any[0].credential: unknown credential",
    ),
    (
        {"requirements": '{"credential": "sql-basics"}'},
        "requirements",
        "requirements.credential: this rule makes a cycle: sql-basics -&gt; sql-basics",
    ),
    ({"prerequisites": '{"all": [}'}, "prerequisites", "is not valid JSON"),
    ({"max_reuse": "1"}, "max_reuse", "only a qualification"),
    ({"id": "a-draft"}, "id", "already exists"),
]


@pytest.mark.parametrize(("change", "field", "message"), PAGE_INVALID)
def test_create_form_shows_each_problem_on_its_field_and_stores_nothing(
    client, auth, world, db_session, change, field, message
):
    auth.login(world["users"]["staff_a"])
    before = counts(db_session)
    response = post_form(
        client, "/credentials/new", {**FORM, **change}, form_url="/credentials/new"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = errors_by_field(page)
    assert list(errors) == [field]
    assert any(message in e for e in errors[field]), errors
    assert "Nothing was saved" in page
    assert counts(db_session) == before
    assert db_session.get(Credential, "sql-basics") is None


def test_bad_json_does_not_hide_the_other_problems(client, auth, world, db_session):
    auth.login(world["users"]["staff_a"])
    response = post_form(
        client, "/credentials/new", {**FORM, "title": "", "level": "0", "requirements": "{oops"}
    )
    assert response.status_code == 422
    assert set(errors_by_field(response.get_data(as_text=True))) == {
        "title",
        "level",
        "requirements",
    }


@pytest.mark.parametrize(
    ("who", "provider", "status"),
    [
        ("learner", "uni-a", 403),
        ("coordinator", "uni-a", 403),
        ("staff_b", "uni-a", 403),  # another provider's staff
        ("staff_a", "uni-b", 403),
        ("admin", "uni-b", 302),
    ],
)
def test_who_may_create_for_which_provider(client, auth, world, db_session, who, provider, status):
    auth.login(world["users"][who])
    before = counts(db_session)
    response = post_form(
        client, "/credentials/new", {**FORM, "provider": provider}, form_url="/account/tokens"
    )
    assert response.status_code == status
    if status == 403:
        assert counts(db_session) == before


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    for url in ("/credentials/new", "/credentials/a-draft", "/credentials/a-draft/edit"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- pages: viewing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("learner", 403),
        ("staff_b", 403),  # 403, never 404: the credential exists
        ("staff_a", 200),
        ("coordinator", 200),
        ("admin", 200),
    ],
)
def test_unpublished_credential_page_is_for_its_provider_and_qa(client, auth, world, who, status):
    auth.login(world["users"][who])
    response = client.get("/credentials/a-draft")
    assert response.status_code == status
    assert ("Draft of A" in response.get_data(as_text=True)) is (status == 200)


def test_published_credential_is_public(client, world):
    response = client.get("/credentials/a-pub")
    assert response.status_code == 200
    assert "Published A" in response.get_data(as_text=True)


def test_unknown_credential_is_404(client, world):
    assert client.get("/credentials/nothing-here").status_code == 404


def test_credential_page_shows_every_field(client, factory, world, db_session):
    factory.credential("uni-a", "core", title="Core module")
    publish(db_session.get(Credential, "core"))
    factory.credential(
        "uni-a",
        "full",
        title="Full certificate",
        description="Everything at once.",
        learning_outcomes=["Outcome one", "Outcome two"],
        credits=7.5,
        credit_unit="ECTS",
        level=6,
        subjects=["0613"],
        languages=["en", "fr"],
        type="certificate",
        assessment_type="proctored exam",
        participation_form="blended",
        quality_assurance="accredited by QQI",
        price=200,
        duration="12 weeks",
        url="https://uni-a.example/full",
        valid_years=3,
        prerequisites={"credential": "a-pub"},
        requirements={"all": [{"credential": "core"}, {"credits": 10, "where": {"level_min": 5}}]},
        max_reuse=2,
    )
    publish(db_session.get(Credential, "full"))
    db_session.commit()
    page = client.get("/credentials/full").get_data(as_text=True)
    facts: dict[str, str] = {
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dt)).strip(): re.sub(
            r"\s+", " ", re.sub(r"<[^>]+>", " ", dd)
        ).strip()
        for dt, dd in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S)
    }
    expected: dict[str, Any] = {
        "Identifier": "full",
        "Awarding provider": "University A",
        "Country": "IE",
        "Type": "certificate",
        "Learning outcomes": "Outcome one Outcome two",
        "Credits": "7.5 ECTS",
        "EQF level": "Level 6",
        "Subjects": "0613",
        "Languages": "en fr",
        "Assessment": "proctored exam",
        "Form of participation": "Blended",
        "Quality assurance": "accredited by QQI",
        "Price": "200",
        "Duration": "12 weeks",
        "Validity": "3 years after the award",
        "Further information": "https://uni-a.example/full",
        "Prerequisites": "Hold Published A ( a-pub )",
        "Reuse of one award": "in at most 2 qualifications",
        "Status": "published",
        "Version": "1",
    }
    for term, value in expected.items():
        assert facts[term] == value, term
    # The requirements are read beside the pathway picture, in learner language.
    assert facts["Requirements"] == "What it takes, beside its pathway below"
    stacks = page.split('id="how-it-stacks"')[1].split("</section>")[0]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", stacks))
    assert "Both of these: Core module 10 ECTS at EQF level 5 or above" in words
    assert '<ul class="outcomes"><li>Outcome one</li><li>Outcome two</li></ul>' in page
    assert 'href="/credentials/core"' in page and 'href="/credentials/a-pub"' in page
    assert "<details>" in page and '"max_reuse": 2' in page
    assert 'class="status status-published"' in page


def test_version_history_lists_every_version_for_staff_and_reviewed_ones_for_all(
    client, auth, world, db_session
):
    credential = world["published"]
    version_2 = CredentialVersion(number=2, status="draft", title="Published A, revised")
    credential.versions.append(version_2)
    credential.current = version_2
    db_session.commit()

    public = client.get("/credentials/a-pub").get_data(as_text=True)
    assert "Published A, revised" not in public and "(shown)" in public
    assert client.get("/credentials/a-pub?version=2").status_code == 302  # log in first

    auth.login(world["users"]["staff_a"])
    page = client.get("/credentials/a-pub").get_data(as_text=True)
    history = page.split('id="history-heading"')[1]
    assert re.findall(r"<td>(Published A(?:, revised)?)</td>", history) == [
        "Published A, revised",
        "Published A",
    ]
    assert 'href="/credentials/a-pub?version=2"' in history
    newest = client.get("/credentials/a-pub?version=current").get_data(as_text=True)
    assert "<h1>Published A, revised</h1>" in newest and "Learners see" in newest


# --- pages: editing -------------------------------------------------------------------------


def test_staff_edit_their_draft_and_the_edges_follow(client, auth, world, db_session):
    auth.login(world["users"]["staff_a"])
    form = client.get("/credentials/a-draft/edit").get_data(as_text=True)
    assert 'value="Draft of A"' in form and 'name="id"' not in form
    response = post_form(
        client,
        "/credentials/a-draft/edit",
        {"title": "Draft of A, edited", "requirements": '{"all": [{"credential": "a-pub"}]}'},
    )
    assert response.status_code == 302
    draft = db_session.get(Credential, "a-draft")
    assert draft.current.title == "Draft of A, edited" and draft.current.number == 1
    assert edges(draft) == [("a-pub", "requirement")]
    response = post_form(client, "/credentials/a-draft/edit", {"title": "Draft of A, again"})
    assert response.status_code == 302
    assert edges(db_session.get(Credential, "a-draft")) == []


def test_edit_form_refuses_bad_input_and_changes_nothing(client, auth, world, db_session):
    auth.login(world["users"]["staff_a"])
    before = counts(db_session)
    response = post_form(
        client,
        "/credentials/a-draft/edit",
        {"title": "Changed", "requirements": '{"credential": "a-draft"}'},
    )
    assert response.status_code == 422
    assert "this rule makes a cycle: a-draft -&gt; a-draft" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Credential, "a-draft").current.title == "Draft of A"
    assert counts(db_session) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("learner", 403), ("coordinator", 403), ("staff_b", 403), ("admin", 200)],
)
def test_who_may_edit(client, auth, world, db_session, who, status):
    auth.login(world["users"][who])
    assert client.get("/credentials/a-draft/edit").status_code == status
    response = post_form(
        client, "/credentials/a-draft/edit", {"title": "Changed"}, form_url="/account/tokens"
    )
    assert response.status_code == (302 if status == 200 else 403)
    db_session.expire_all()
    expected = "Changed" if status == 200 else "Draft of A"
    assert db_session.get(Credential, "a-draft").current.title == expected


def test_editing_a_published_credential_makes_version_two(client, auth, world, db_session):
    auth.login(world["users"]["staff_a"])
    response = client.get("/credentials/a-pub/edit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Saving makes version 2, a draft that goes through review" in page
    assert "learners keep seeing version 1" in page
    response = post_form(
        client, "/credentials/a-pub/edit", {"title": "Published A, 2nd"}, form_url="/account/tokens"
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved version 2 of Published A, 2nd as a draft. Version 1 stays published" in page
    db_session.expire_all()
    credential = db_session.get(Credential, "a-pub")
    assert [(v.number, v.status) for v in credential.versions] == [(1, "published"), (2, "draft")]
    assert credential.published.title == "Published A"
    # The public still sees version 1.
    auth.logout()
    assert "Published A, 2nd" not in client.get("/credentials/a-pub").get_data(as_text=True)


def test_a_credential_in_review_is_not_edited(client, auth, world, db_session):
    world["draft"].current.status = "in_review"
    db_session.commit()
    auth.login(world["users"]["staff_a"])
    response = client.get("/credentials/a-draft/edit")
    assert response.status_code == 409
    assert "Withdraw the submission" in response.get_data(as_text=True)
    response = post_form(
        client, "/credentials/a-draft/edit", {"title": "Sneaky"}, form_url="/account/tokens"
    )
    assert response.status_code == 409
    db_session.expire_all()
    assert db_session.get(Credential, "a-draft").current.title == "Draft of A"


# --- pages: the list ------------------------------------------------------------------------


def test_index_lists_published_credentials_only(client, world):
    page = client.get("/credentials/").get_data(as_text=True)
    assert "Published A" in page and "Draft of A" not in page


def test_index_filters_by_provider_and_pages(client, factory, world, db_session):
    for n in range(26):
        publish(factory.credential("uni-b", f"b-{n:02}", title=f"Course B{n:02}"))
    db_session.commit()
    page = client.get("/credentials/?provider=uni-b").get_data(as_text=True)
    assert "Course B00" in page and "Course B24" in page and "Course B25" not in page
    assert "Published A" not in page and "Page 1 of 2" in page
    assert "provider=uni-b" in page.split('rel="next"')[0].rsplit("<a ", 1)[1]
    second = client.get("/credentials/?provider=uni-b&page=2").get_data(as_text=True)
    assert "Course B25" in second and "Course B24" not in second


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("", "No published credentials yet"),
        ("?provider=uni-b", "University B has no published credentials yet"),
        ("?provider=nobody", "No provider called “nobody”"),
    ],
)
def test_index_empty_states_help(client, factory, db_session, query, text):
    factory.provider("uni-b", name="University B")
    db_session.commit()
    assert text in client.get("/credentials/" + query).get_data(as_text=True)
