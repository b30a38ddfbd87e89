"""Provider pages and API: everyone reads, admins create and change, bad input stores nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.auth.services import create_token
from registry.errors import ValidationError
from registry.providers.models import Provider
from registry.providers.services import update_provider
from tests.conftest import bearer, post_form


@pytest.fixture()
def world(factory, db_session):
    uni = factory.provider("uni-a", name="University A", country="IE", url="https://uni-a.example")
    other = factory.provider("uni-b", name="University B", country="FR")
    users = {
        "admin": factory.user("admin"),
        "staff": factory.user("provider", provider=uni),
        "other_staff": factory.user("provider", provider=other),
        "coordinator": factory.user("coordinator"),
        "learner": factory.user("learner"),
    }
    draft = factory.credential(uni, "a-draft", title="Unfinished draft")
    published = factory.credential(uni, "a-pub", title="Published course")
    published.current.status = "published"
    published.published = published.current
    db_session.commit()
    return {"users": users, "uni": uni, "draft": draft}


def provider_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Provider))


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- pages ----------------------------------------------------------------------------------


def test_index_lists_providers_as_cards(client, world):
    page = client.get("/providers/").get_data(as_text=True)
    assert 'class="cards"' in page
    assert "University A" in page and "University B" in page
    assert 'href="/providers/uni-a"' in page


def test_index_has_a_helpful_empty_state(client, db_session):
    page = client.get("/providers/").get_data(as_text=True)
    assert "No providers yet" in page


def test_show_gives_details_and_published_credentials(client, world):
    page = client.get("/providers/uni-a").get_data(as_text=True)
    assert "University A" in page and "IE" in page and "https://uni-a.example" in page
    assert "Published course" in page
    assert "Unfinished draft" not in page and "Unpublished work" not in page


@pytest.mark.parametrize(
    ("who", "sees_drafts"),
    [
        ("learner", False),
        ("other_staff", False),
        ("staff", True),
        ("coordinator", True),
        ("admin", True),
    ],
)
def test_show_lists_drafts_for_the_providers_staff_and_qa(client, auth, world, who, sees_drafts):
    auth.login(world["users"][who])
    page = client.get("/providers/uni-a").get_data(as_text=True)
    assert ("Unfinished draft" in page) is sees_drafts
    assert ("Unpublished work" in page) is sees_drafts


def test_unknown_provider_is_404(client, db_session):
    assert client.get("/providers/nobody").status_code == 404


@pytest.mark.parametrize("url", ["/providers/new", "/providers/uni-a/edit"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("learner", 403),
        ("staff", 403),
        ("coordinator", 403),
        ("admin", 200),
    ],
)
def test_provider_forms_are_for_admins(client, auth, world, url, who, status):
    if who:
        auth.login(world["users"][who])
    response = client.get(url)
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]


def test_staff_cannot_post_a_provider(client, auth, world, db_session):
    auth.login(world["users"]["staff"])
    token = client.get("/").get_data(as_text=True).split('name="csrf_token" value="')[1]
    response = client.post(
        "/providers/new",
        data={"id": "mine", "name": "Mine", "country": "IE", "csrf_token": token.split('"')[0]},
    )
    assert response.status_code == 403
    assert db_session.get(Provider, "mine") is None


def test_admin_adds_a_provider(client, auth, world, db_session):
    auth.login(world["users"]["admin"])
    response = post_form(
        client,
        "/providers/new",
        {
            "id": "uni-c",
            "name": "University C",
            "country": "de",
            "url": "https://uni-c.example",
            "email_domains": "uni-c.example, staff.uni-c.example",
            "description": "A new one.",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/providers/uni-c")
    provider = db_session.get(Provider, "uni-c")
    assert (provider.name, provider.country) == ("University C", "DE")
    assert provider.email_domains == ["uni-c.example", "staff.uni-c.example"]
    assert provider.ctid.startswith("ce-")
    (event,) = events(db_session, "provider.create")
    assert event.after["name"] == "University C" and event.actor_id == world["users"]["admin"].id
    assert "Added University C" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field_text"),
    [
        ({"name": ""}, "is required"),
        ({"country": "Ireland"}, "must be an ISO 3166 two-letter country code"),
        ({"id": "not a slug"}, "must be a slug"),
        ({"url": "ftp://x"}, "must be an http(s) URL"),
        ({"email_domains": "Not A Domain"}, "email_domains[0]: must be a domain name"),
        ({"id": "uni-a"}, "a provider with id &#39;uni-a&#39; already exists"),
    ],
)
def test_provider_form_shows_the_problem_and_stores_nothing(
    client, auth, world, db_session, change, field_text
):
    auth.login(world["users"]["admin"])
    before = provider_count(db_session)
    data = {"id": "uni-c", "name": "University C", "country": "DE", **change}
    response = post_form(client, "/providers/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<ul class="errors"' in page and field_text in page
    assert provider_count(db_session) == before
    assert events(db_session, "provider.create") == []


def test_admin_edits_a_provider_and_the_change_is_audited(client, auth, world, db_session):
    auth.login(world["users"]["admin"])
    form = client.get("/providers/uni-a/edit").get_data(as_text=True)
    assert 'value="University A"' in form and 'name="id"' not in form
    response = post_form(
        client,
        "/providers/uni-a/edit",
        {"name": "University A (renamed)", "country": "IE", "url": "", "email_domains": ""},
    )
    assert response.status_code == 302
    provider = db_session.get(Provider, "uni-a")
    assert provider.name == "University A (renamed)" and provider.url is None
    (event,) = events(db_session, "provider.update")
    assert event.before["name"] == "University A"
    assert event.after["name"] == "University A (renamed)"
    assert "url" in event.before and "url" not in event.after


def test_edit_form_refuses_bad_input_and_changes_nothing(client, auth, world, db_session):
    auth.login(world["users"]["admin"])
    response = post_form(client, "/providers/uni-a/edit", {"name": "", "country": "xx1"})
    assert response.status_code == 422
    db_session.expire_all()
    assert db_session.get(Provider, "uni-a").name == "University A"
    assert events(db_session, "provider.update") == []


def test_update_service_keeps_the_id(world, db_session):
    with pytest.raises(ValidationError) as caught:
        update_provider(
            db_session, world["uni"], {"id": "renamed", "name": "X", "country": "IE"}, actor=None
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [("id", "cannot be changed")]


# --- API ------------------------------------------------------------------------------------


@pytest.fixture()
def tokens(world, db_session):
    made = {name: bearer(create_token(db_session, u)[1]) for name, u in world["users"].items()}
    db_session.commit()
    return {**made, "anonymous": {}}


def test_api_lists_and_reads_providers(client, world):
    body = client.get("/api/v1/providers").get_json()
    assert body["total"] == 2 and body["page"] == 1
    assert [p["id"] for p in body["items"]] == ["uni-a", "uni-b"]
    doc = client.get("/api/v1/providers/uni-a").get_json()
    assert doc["name"] == "University A" and doc["country"] == "IE"
    assert doc["ctid"].startswith("ce-") and doc["url"] == "https://uni-a.example"
    assert client.get("/api/v1/providers/nobody").status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("learner", 403), ("staff", 403), ("coordinator", 403), ("admin", 201)],
)
def test_api_create_is_for_admins(client, tokens, db_session, who, status):
    before = provider_count(db_session)
    response = client.post(
        "/api/v1/providers",
        json={"id": "uni-c", "name": "University C", "country": "DE"},
        headers=tokens[who],
    )
    assert response.status_code == status
    if status == 201:
        assert response.headers["Location"].endswith("/api/v1/providers/uni-c")
        assert client.get(response.headers["Location"]).get_json()["name"] == "University C"
    else:
        assert provider_count(db_session) == before


def test_api_create_lists_every_problem_and_stores_nothing(client, tokens, db_session):
    before = provider_count(db_session)
    response = client.post(
        "/api/v1/providers",
        json={"id": "", "country": "Ireland", "email_domains": ["ok.example", "BAD"], "x": 1},
        headers=tokens["admin"],
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.get_json()["error"]["errors"]]
    assert sorted(fields) == ["country", "email_domains[1]", "id", "name", "x"]
    assert provider_count(db_session) == before


def test_api_create_refuses_a_taken_id_with_409(client, tokens, db_session):
    response = client.post(
        "/api/v1/providers",
        json={"id": "uni-a", "name": "Again", "country": "IE"},
        headers=tokens["admin"],
    )
    assert response.status_code == 409
    assert db_session.get(Provider, "uni-a").name == "University A"


def test_api_patch_changes_only_what_is_sent(client, tokens, db_session):
    response = client.patch(
        "/api/v1/providers/uni-a",
        json={"name": "University A, patched", "url": None},
        headers=tokens["admin"],
    )
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["name"] == "University A, patched" and doc["country"] == "IE"
    assert "url" not in doc
    (event,) = events(db_session, "provider.update")
    assert event.before["url"] == "https://uni-a.example"


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("staff", 403), ("coordinator", 403)]
)
def test_api_patch_is_for_admins(client, tokens, db_session, who, status):
    response = client.patch("/api/v1/providers/uni-a", json={"name": "Mine"}, headers=tokens[who])
    assert response.status_code == status
    db_session.expire_all()
    assert db_session.get(Provider, "uni-a").name == "University A"


def test_api_patch_refuses_bad_fields_and_changes_nothing(client, tokens, db_session):
    response = client.patch(
        "/api/v1/providers/uni-a",
        json={"country": "ireland", "id": "elsewhere"},
        headers=tokens["admin"],
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["error"]["errors"]} == {"country", "id"}
    db_session.expire_all()
    assert db_session.get(Provider, "uni-a").country == "IE"
    assert events(db_session, "provider.update") == []
