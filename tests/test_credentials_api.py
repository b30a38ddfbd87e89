"""The credentials JSON API: who sees what, drafts only, 201 + Location, 422 per field."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.auth.services import create_token
from registry.credentials.models import Credential, CredentialEdge, CredentialVersion
from tests.conftest import bearer


@pytest.fixture()
def world(factory, db_session):
    """Two providers, their staff and the other roles, each with an API token."""
    uni_a = factory.provider("uni-a", name="University A", country="IE")
    uni_b = factory.provider("uni-b", name="University B", country="FR")
    users = {
        "staff_a": factory.user("provider", provider=uni_a),
        "staff_b": factory.user("provider", provider=uni_b),
        "admin": factory.user("admin"),
        "coordinator": factory.user("coordinator"),
        "learner": factory.user("learner"),
    }
    tokens = {name: bearer(create_token(db_session, user)[1]) for name, user in users.items()}
    tokens["anonymous"] = {}
    draft = factory.credential(uni_a, "a-draft", title="Draft of A", credits=5)
    published = factory.credential(uni_a, "a-pub", title="Published A", credits=10, level=6)
    publish(published)
    db_session.commit()
    return {"tokens": tokens, "users": users, "draft": draft, "published": published}


def publish(credential: Credential) -> None:
    """Simulate a finished review: the current version becomes the published one."""
    credential.current.status = "published"
    credential.published = credential.current


def counts(session) -> tuple[int, int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Credential, CredentialVersion, CredentialEdge, AuditEvent)
    )


NEW = {"id": "new-one", "provider": "uni-a", "title": "New one", "credits": 5, "level": 5}


# --- reading --------------------------------------------------------------------------------


def test_list_shows_published_credentials_only_with_read_only_keys(client, world):
    body = client.get("/api/v1/credentials").get_json()
    assert body["total"] == 1 and body["page"] == 1
    (item,) = body["items"]
    assert item["id"] == "a-pub" and item["title"] == "Published A"
    assert item["country"] == "IE" and item["status"] == "published" and item["version"] == 1
    assert item["ctid"].startswith("ce-") and item["credits"] == 10 and item["level"] == 6


def test_list_filters_by_provider_and_pages(client, factory, world, db_session):
    for n in range(26):
        publish(factory.credential("uni-b", f"b-{n:02}", title=f"B {n:02}"))
    db_session.commit()
    only_b = client.get("/api/v1/credentials?provider=uni-b").get_json()
    assert only_b["total"] == 26 and len(only_b["items"]) == 25
    assert {i["provider"] for i in only_b["items"]} == {"uni-b"}
    second = client.get("/api/v1/credentials?provider=uni-b&page=2").get_json()
    assert [i["id"] for i in second["items"]] == ["b-25"] and second["page"] == 2
    assert client.get("/api/v1/credentials?provider=uni-a").get_json()["total"] == 1


def test_list_refuses_a_bad_page(client, world):
    response = client.get("/api/v1/credentials?page=zero")
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"] == [
        {"field": "page", "message": "must be a whole number >= 1"}
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("learner", 403),
        ("staff_b", 403),  # another provider's staff: 403, never 404
        ("staff_a", 200),
        ("coordinator", 200),
        ("admin", 200),
    ],
)
def test_unpublished_credential_is_for_its_provider_and_qa(client, world, who, status):
    response = client.get("/api/v1/credentials/a-draft", headers=world["tokens"][who])
    assert response.status_code == status
    if status == 200:
        doc = response.get_json()
        assert doc["status"] == "draft" and doc["version"] == 1 and doc["title"] == "Draft of A"
    else:
        assert response.get_json()["error"]["status"] == status


@pytest.mark.parametrize("who", ["anonymous", "learner", "staff_b", "staff_a", "admin"])
def test_published_credential_is_public(client, world, who):
    response = client.get("/api/v1/credentials/a-pub", headers=world["tokens"][who])
    assert response.status_code == 200
    assert response.get_json()["status"] == "published"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("learner", 403),
        ("staff_b", 403),
        ("staff_a", 200),
        ("coordinator", 200),
        ("admin", 200),
    ],
)
def test_version_current_shows_the_new_draft_to_staff_and_qa_only(
    client, world, db_session, who, status
):
    credential = world["published"]
    draft = CredentialVersion(number=2, status="draft", title="Published A, revised")
    credential.versions.append(draft)
    credential.current = draft
    db_session.commit()

    public = client.get("/api/v1/credentials/a-pub", headers=world["tokens"][who]).get_json()
    assert (public["version"], public["title"]) == (1, "Published A")
    response = client.get("/api/v1/credentials/a-pub?version=current", headers=world["tokens"][who])
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["version"] == 2
        assert response.get_json()["title"] == "Published A, revised"


def test_unknown_credential_is_404(client, world):
    response = client.get("/api/v1/credentials/nope")
    assert response.status_code == 404
    assert "nope" in response.get_json()["error"]["message"]


# --- creating -------------------------------------------------------------------------------


def test_staff_create_a_draft_with_201_and_location(client, world, db_session):
    response = client.post(
        "/api/v1/credentials",
        json={**NEW, "requirements": {"all": [{"credential": "a-pub"}]}},
        headers=world["tokens"]["staff_a"],
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/credentials/new-one")
    doc = response.get_json()
    assert doc["status"] == "draft" and doc["version"] == 1 and doc["country"] == "IE"
    fetched = client.get(response.headers["Location"], headers=world["tokens"]["staff_a"])
    assert fetched.get_json() == doc

    credential = db_session.get(Credential, "new-one")
    assert credential.published is None and credential.current.number == 1
    assert [(e.component_id, e.kind) for e in credential.current.edges] == [
        ("a-pub", "requirement")
    ]
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.object_id == "new-one")).one()
    assert event.action == "credential.create" and event.actor_id == world["users"]["staff_a"].id
    assert event.after["title"] == "New one"


@pytest.mark.parametrize(
    ("who", "provider", "status"),
    [
        ("anonymous", "uni-a", 401),
        ("learner", "uni-a", 403),
        ("coordinator", "uni-a", 403),
        ("staff_b", "uni-a", 403),  # another provider's staff
        ("staff_a", "uni-b", 403),
        ("staff_a", "uni-a", 201),
        ("admin", "uni-b", 201),
    ],
)
def test_who_may_create_for_which_provider(client, world, db_session, who, provider, status):
    before = counts(db_session)
    response = client.post(
        "/api/v1/credentials", json={**NEW, "provider": provider}, headers=world["tokens"][who]
    )
    assert response.status_code == status
    if status != 201:
        assert counts(db_session) == before


# Every kind of field problem, with the field path the API names and the message.
INVALID = [
    ({"title": None}, "title", "is required"),
    ({"level": 9}, "level", "must be between 1 and 8"),
    ({"participation_form": "teleport"}, "participation_form", "must be one of"),
    ({"credits": -5}, "credits", "must be at least 0"),
    ({"credit_unit": "FURLONG"}, "credit_unit", "unknown credit unit 'FURLONG'"),
    (
        {"requirements": {"all": [{"credential": "a-pub"}, {"at_least": 3, "of": []}]}},
        "requirements.all[1].of",
        "of must be a non-empty list of rules",
    ),
    (
        {"prerequisites": {"any": [{"credential": "a-pub"}, {"credential": "ghost"}]}},
        "prerequisites.any[1].credential",
        "unknown credential 'ghost'",
    ),
    (
        {"requirements": {"all": [{"credential": "a-pub"}, {"credential": "new-one"}]}},
        "requirements.all[1].credential",
        "this rule makes a cycle: new-one -> new-one",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), INVALID)
def test_create_refuses_each_field_problem_and_stores_nothing(
    client, world, db_session, change, field, message
):
    before = counts(db_session)
    data = {k: v for k, v in {**NEW, **change}.items() if v is not None}
    response = client.post("/api/v1/credentials", json=data, headers=world["tokens"]["staff_a"])
    assert response.status_code == 422
    errors = response.get_json()["error"]["errors"]
    assert [e["field"] for e in errors] == [field]
    assert message in errors[0]["message"]
    assert counts(db_session) == before


def test_create_lists_every_problem_at_once(client, world, db_session):
    response = client.post(
        "/api/v1/credentials",
        json={"id": "bad id", "provider": "uni-a", "level": 0, "credits": "five", "ctid": "x"},
        headers=world["tokens"]["staff_a"],
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["error"]["errors"]}
    assert fields == {"ctid", "id", "title", "level", "credits"}


def test_create_refuses_a_taken_id_with_409(client, world, db_session):
    before = counts(db_session)
    response = client.post(
        "/api/v1/credentials", json={**NEW, "id": "a-draft"}, headers=world["tokens"]["staff_a"]
    )
    assert response.status_code == 409
    assert "a-draft" in response.get_json()["error"]["message"]
    assert counts(db_session) == before


def test_create_refuses_a_published_status(client, world, db_session):
    response = client.post(
        "/api/v1/credentials", json={**NEW, "status": "published"}, headers=world["tokens"]["admin"]
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"][0]["field"] == "status"
    assert db_session.get(Credential, "new-one") is None


def test_create_needs_a_json_object(client, world):
    response = client.post("/api/v1/credentials", data="[1, 2]", headers=world["tokens"]["staff_a"])
    assert response.status_code == 422


# --- changing -------------------------------------------------------------------------------


def test_patch_merges_onto_the_draft_and_moves_the_edges(client, world, db_session, factory):
    factory.credential("uni-a", "c-part", title="Part C")
    db_session.commit()
    draft = world["draft"]
    response = client.patch(
        "/api/v1/credentials/a-draft",
        json={"title": "Draft of A, better", "requirements": {"credential": "c-part"}},
        headers=world["tokens"]["staff_a"],
    )
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["title"] == "Draft of A, better" and doc["credits"] == 5 and doc["version"] == 1
    assert [(e.component_id, e.kind) for e in draft.current.edges] == [("c-part", "requirement")]

    response = client.patch(
        "/api/v1/credentials/a-draft",
        json={"requirements": None, "prerequisites": {"credential": "a-pub"}, "credits": None},
        headers=world["tokens"]["staff_a"],
    )
    assert response.status_code == 200
    assert "requirements" not in response.get_json() and "credits" not in response.get_json()
    assert [(e.component_id, e.kind) for e in draft.current.edges] == [("a-pub", "prerequisite")]
    assert len(draft.versions) == 1
    events = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_id == "a-draft", AuditEvent.action == "credential.update")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.before.get("title") for e in events] == ["Draft of A", "Draft of A, better"]


def test_patch_accepts_read_only_keys_sent_back_unchanged(client, world):
    headers = world["tokens"]["staff_a"]
    doc = client.get("/api/v1/credentials/a-draft", headers=headers).get_json()
    doc["title"] = "Round trip"
    response = client.patch("/api/v1/credentials/a-draft", json=doc, headers=headers)
    assert response.status_code == 200 and response.get_json()["title"] == "Round trip"
    response = client.patch(
        "/api/v1/credentials/a-draft", json={"country": "DE", "version": 7}, headers=headers
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["error"]["errors"]} == {"country", "version"}


def test_patch_of_a_published_credential_makes_a_new_draft_version(client, world, db_session):
    headers = world["tokens"]["staff_a"]
    doc = client.get("/api/v1/credentials/a-pub", headers=headers).get_json()
    doc["title"] = "Published A, revised"  # the read-only keys of version 1 come back unchanged
    response = client.patch("/api/v1/credentials/a-pub", json=doc, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["version"], body["status"], body["title"]) == (2, "draft", "Published A, revised")
    public = client.get("/api/v1/credentials/a-pub").get_json()
    assert (public["version"], public["title"]) == (1, "Published A")
    latest = client.get("/api/v1/credentials/a-pub?version=current", headers=headers).get_json()
    assert latest["version"] == 2


def test_patch_of_a_credential_in_review_is_409(client, world, db_session):
    world["published"].current.status = "in_review"
    world["published"].published = None
    db_session.commit()
    before = counts(db_session)
    response = client.patch(
        "/api/v1/credentials/a-pub", json={"title": "Sneaky"}, headers=world["tokens"]["staff_a"]
    )
    assert response.status_code == 409
    assert "in review" in response.get_json()["error"]["message"]
    assert world["published"].current.title == "Published A"
    assert counts(db_session) == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("learner", 403), ("coordinator", 403), ("staff_b", 403), ("admin", 200)],
)
def test_who_may_patch(client, world, db_session, who, status):
    response = client.patch(
        "/api/v1/credentials/a-draft", json={"title": "Changed"}, headers=world["tokens"][who]
    )
    assert response.status_code == status
    db_session.expire_all()
    expected = "Changed" if status == 200 else "Draft of A"
    assert db_session.get(Credential, "a-draft").current.title == expected


def test_patch_refuses_a_cycle_and_names_it(client, factory, world, db_session):
    # a-draft requires mid, mid requires top: making top require a-draft closes a loop.
    factory.credential("uni-a", "top", title="Top")
    factory.credential("uni-a", "mid", title="Mid", requirements={"credential": "top"})
    db_session.commit()
    headers = world["tokens"]["staff_a"]
    assert (
        client.patch(
            "/api/v1/credentials/a-draft",
            json={"requirements": {"credential": "mid"}},
            headers=headers,
        ).status_code
        == 200
    )
    before = counts(db_session)
    response = client.patch(
        "/api/v1/credentials/top",
        json={"requirements": {"count": 1, "where": {"credentials": ["a-pub", "a-draft"]}}},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"] == [
        {
            "field": "requirements.where.credentials[1]",
            "message": "this rule makes a cycle: top -> a-draft -> mid -> top",
        }
    ]
    assert counts(db_session) == before
    assert db_session.get(Credential, "top").current.requirements is None


@pytest.mark.parametrize(("change", "field", "message"), INVALID[:-1])
def test_patch_refuses_each_field_problem_and_changes_nothing(
    client, world, db_session, change, field, message
):
    response = client.patch(
        "/api/v1/credentials/a-draft", json=change, headers=world["tokens"]["staff_a"]
    )
    assert response.status_code == 422
    errors = response.get_json()["error"]["errors"]
    assert [e["field"] for e in errors] == [field] and message in errors[0]["message"]
    db_session.expire_all()
    current = db_session.get(Credential, "a-draft").current
    assert (current.title, current.credits, current.requirements) == ("Draft of A", 5, None)


def test_patch_cannot_move_a_credential_to_another_provider(client, world):
    response = client.patch(
        "/api/v1/credentials/a-draft", json={"provider": "uni-b"}, headers=world["tokens"]["admin"]
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"] == [
        {"field": "provider", "message": "cannot be changed"}
    ]


def test_openapi_describes_the_credential_endpoints(client):
    paths: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/credentials"]) == {"get", "post"}
    assert {"get", "patch"} <= set(paths["/credentials/{credential_id}"])
    created = paths["/credentials"]["post"]["responses"]["201"]
    assert "Location" in created["headers"]
    schema = created["content"]["application/json"]["schema"]
    assert schema["properties"]["ctid"]["readOnly"] is True
