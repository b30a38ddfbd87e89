"""Adding, importing and removing wallet entries, on the pages and through the API."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from registry.auth.services import create_token
from registry.learners import services
from registry.learners.models import WalletEntry
from tests.conftest import Auth, bearer, csrf_token, post_form
from tests.learners.conftest import count_entries, entry

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


def add_page(client, **fields: Any):
    return post_form(client, "/wallet/entries", fields, form_url="/wallet")


def import_page(client, text: str):
    return post_form(client, "/wallet/import", {"entries": text}, form_url="/wallet")


@pytest.fixture()
def token(db_session, learner) -> str:
    value = create_token(db_session, learner, "wallet")[1]
    db_session.commit()
    return value


@pytest.fixture()
def api(app, token):
    """An API caller with the learner's Bearer token (no cookies)."""
    client = app.test_client()

    class Caller:
        def get(self, url: str):
            return client.get(url, headers=bearer(token))

        def post(self, url: str, body: Any):
            return client.post(url, json=body, headers=bearer(token))

        def delete(self, url: str):
            return client.delete(url, headers=bearer(token))

    return Caller()


# --- adding one entry --------------------------------------------------------------------


def test_the_empty_wallet_explains_how_to_start(logged_in):
    page = logged_in.get("/wallet").get_data(as_text=True)

    assert "Your wallet is empty" in page
    assert 'list="credential-suggestions"' in page
    assert '<option value="course-1">Course 1 in computing</option>' in page


def test_a_learner_adds_an_entry_by_identifier(logged_in, db_session, learner):
    response = add_page(logged_in, credential="course-1", earned_on="2025-03-01", result="B+")

    assert response.status_code == 302
    (stored,) = services.wallet_entries(db_session, learner)
    assert (stored.credential_id, stored.earned_on, stored.result, stored.source) == (
        "course-1",
        dt.date(2025, 3, 1),
        "B+",
        "manual",
    )
    page = logged_in.get("/wallet").get_data(as_text=True)
    assert '<a href="/credentials/course-1">Course 1 in computing</a>' in page
    assert "2025-03-01" in page and "B+" in page and "Added by you" in page


def test_a_number_typed_as_the_result_is_stored_as_a_number(logged_in, db_session, learner):
    add_page(logged_in, credential="course-1", earned_on="2025-03-01", result="72.5")

    assert services.wallet_entries(db_session, learner)[0].result == 72.5


def test_a_unique_title_chooses_the_credential(logged_in, db_session, learner):
    response = add_page(logged_in, credential="lab skills", earned_on="2025-03-01")

    assert response.status_code == 302
    assert [e.credential_id for e in services.wallet_entries(db_session, learner)] == ["lab-skills"]


def test_an_ambiguous_title_offers_a_choice_without_script(logged_in, db_session, learner):
    response = add_page(logged_in, credential="in computing", earned_on="2025-03-01")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "choose one of these" in page
    for ident in ("course-1", "course-2", "course-3", "cert", "diploma"):
        assert f'type="radio" name="credential" value="{ident}"' in page
    assert count_entries(db_session, learner) == 0
    # Choosing one of them sends the same date along.
    assert 'name="earned_on" value="2025-03-01"' in page
    assert add_page(logged_in, credential="course-2", earned_on="2025-03-01").status_code == 302


BAD_ENTRIES = [
    pytest.param({"credential": "", "earned_on": "2025-03-01"}, "credential", id="no credential"),
    pytest.param({"credential": "nope", "earned_on": "2025-03-01"}, "credential", id="unknown"),
    pytest.param({"credential": "draft-only", "earned_on": "2025-03-01"}, "credential", id="draft"),
    pytest.param({"credential": "course-1", "earned_on": ""}, "earned_on", id="no date"),
    pytest.param({"credential": "course-1", "earned_on": "2025-13-01"}, "earned_on", id="bad date"),
    pytest.param({"credential": "course-1", "earned_on": "1/3/2025"}, "earned_on", id="not iso"),
    pytest.param({"credential": "course-1", "earned_on": TOMORROW}, "earned_on", id="future"),
    pytest.param(
        {"credential": "course-1", "earned_on": "2025-03-01", "result": "x" * 101},
        "result",
        id="long result",
    ),
]


@pytest.mark.parametrize(("fields", "field"), BAD_ENTRIES)
def test_the_page_refuses_a_bad_entry_naming_the_field(
    logged_in, db_session, learner, fields, field
):
    before = count_entries(db_session)

    response = add_page(logged_in, **fields)

    assert response.status_code == 422
    assert f'id="{field}-errors"' in response.get_data(as_text=True)
    assert count_entries(db_session) == before


API_BAD_ENTRIES = [
    *BAD_ENTRIES,
    pytest.param(entry("course-1", result=True), "result", id="boolean result"),
    pytest.param(entry("course-1", result=["A"]), "result", id="list result"),
    pytest.param(entry("course-1", expires_on="2025-02-01"), "expires_on", id="expires before"),
    pytest.param(entry("course-1", expires_on="soon"), "expires_on", id="expires not a date"),
    pytest.param(entry("course-1", revoked="yes"), "revoked", id="revoked not bool"),
    pytest.param(entry("course-1", counted_toward="cert"), "counted_toward", id="counted not list"),
    pytest.param(
        entry("course-1", counted_toward=["nope"]), "counted_toward[0]", id="counted unknown"
    ),
    pytest.param(entry("course-1", colour="blue"), "colour", id="unknown field"),
    pytest.param({"credential": 7, "earned_on": "2025-03-01"}, "credential", id="id not text"),
    pytest.param(
        {"credential": "course-1", "earned_on": 20250301}, "earned_on", id="date a number"
    ),
]


@pytest.mark.parametrize(("body", "field"), API_BAD_ENTRIES)
def test_the_api_refuses_a_bad_entry_naming_the_field(api, db_session, body, field):
    before = count_entries(db_session)

    response = api.post("/api/v1/wallet/entries", body)

    assert response.status_code == 422
    fields = [e["field"] for e in response.get_json()["error"]["errors"]]
    assert field in fields
    assert count_entries(db_session) == before


def test_the_same_award_twice_is_refused(api, db_session):
    assert api.post("/api/v1/wallet/entries", entry("course-1")).status_code == 201

    again = api.post("/api/v1/wallet/entries", entry("course-1"))

    assert again.status_code == 422
    assert again.get_json()["error"]["errors"][0]["field"] == "credential"
    assert count_entries(db_session) == 1
    # A retake on another day is a second award.
    assert api.post("/api/v1/wallet/entries", entry("course-1", "2025-06-01")).status_code == 201


def test_a_credential_no_longer_published_can_be_added_again_if_held(api, db_session, learner):
    from registry.credentials.models import Credential

    assert api.post("/api/v1/wallet/entries", entry("course-1")).status_code == 201
    db_session.get(Credential, "course-1").published = None
    db_session.commit()

    assert api.post("/api/v1/wallet/entries", entry("course-1", "2025-09-01")).status_code == 201
    assert api.post("/api/v1/wallet/entries", entry("course-2")).status_code == 201
    db_session.get(Credential, "course-2").published = None
    db_session.commit()
    refused = api.post("/api/v1/wallet/entries", entry("course-3", "2025-09-01"))
    assert refused.status_code == 201  # course-3 is still published
    assert count_entries(db_session, learner) == 4


def test_the_api_adds_one_entry_with_201_and_location(api, db_session):
    body = entry("course-1", result=64, expires_on="2030-01-01")

    response = api.post("/api/v1/wallet/entries", body)

    assert response.status_code == 201
    created = response.get_json()
    assert created == {**body, "id": created["id"], "source": "manual"}
    assert response.headers["Location"].endswith(f"/api/v1/wallet/entries/{created['id']}")
    assert api.get(response.headers["Location"]).get_json() == created


def test_a_body_that_is_neither_object_nor_list_is_refused(api, db_session):
    response = api.post("/api/v1/wallet/entries", "course-1")

    assert response.status_code == 422
    assert count_entries(db_session) == 0


# --- importing a list --------------------------------------------------------------------


def test_the_api_imports_a_list_all_at_once(api, db_session, learner):
    body = [entry("course-1"), entry("course-2", "2024-01-15", result="A"), entry("lab-skills")]

    response = api.post("/api/v1/wallet/entries", body)

    assert response.status_code == 201
    assert [e["credential"] for e in response.get_json()["entries"]] == [
        "course-1",
        "course-2",
        "lab-skills",
    ]
    assert {e.source for e in services.wallet_entries(db_session, learner)} == {"import"}


def test_a_bad_import_names_every_bad_entry_and_adds_nothing(api, db_session):
    api.post("/api/v1/wallet/entries", entry("lab-skills"))
    before = count_entries(db_session)
    body = [
        entry("course-1"),
        entry("course-2", "2025-02-30"),
        "not an entry",
        entry("nope"),
        entry("course-3", TOMORROW),
        entry("course-1"),  # the first one again
        entry("lab-skills"),  # already in the wallet
    ]

    response = api.post("/api/v1/wallet/entries", body)

    assert response.status_code == 422
    fields = [e["field"] for e in response.get_json()["error"]["errors"]]
    assert fields == [
        "entries[1].earned_on",
        "entries[2]",
        "entries[3].credential",
        "entries[4].earned_on",
        "entries[5].credential",
        "entries[6].credential",
    ]
    assert count_entries(db_session) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "paste a JSON list"),
        ("[{", "not valid JSON"),
        ('{"credential": "course-1"}', "send a JSON list"),
        ("[]", "the list is empty"),
        (json.dumps([entry("course-1"), entry("course-2", "tomorrow")]), "entries[1].earned_on"),
    ],
)
def test_the_import_page_refuses_bad_input_and_adds_nothing(logged_in, db_session, text, message):
    response = import_page(logged_in, text)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="entries-errors"' in page
    assert message in page
    assert count_entries(db_session) == 0


def test_the_import_page_takes_pasted_json_or_a_file(logged_in, db_session, learner):
    assert import_page(logged_in, json.dumps([entry("course-1")])).status_code == 302
    upload = io.BytesIO(json.dumps([entry("course-2"), entry("course-3")]).encode())
    token = csrf_token(logged_in, "/wallet")

    response = logged_in.post(
        "/wallet/import",
        data={"csrf_token": token, "file": (upload, "wallet.json")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    held = [e.credential_id for e in services.wallet_entries(db_session, learner)]
    assert sorted(held) == ["course-1", "course-2", "course-3"]
    assert "Imported list" in logged_in.get("/wallet").get_data(as_text=True)


def test_a_listed_wallet_posts_back_as_it_is(api, db_session, factory, app):
    api.post("/api/v1/wallet/entries", [entry("course-1", result="A"), entry("course-2")])
    listed = api.get("/api/v1/wallet/entries").get_json()["entries"]
    other = factory.user("learner")
    other_token = create_token(db_session, other, "t")[1]
    db_session.commit()

    response = app.test_client().post(
        "/api/v1/wallet/entries", json=listed, headers=bearer(other_token)
    )

    assert response.status_code == 201
    assert [
        {k: v for k, v in e.items() if k not in ("id", "source")}
        for e in response.get_json()["entries"]
    ] == [{k: v for k, v in e.items() if k not in ("id", "source")} for e in listed]


# --- listing and removing ----------------------------------------------------------------


def test_entries_are_listed_oldest_award_first(api):
    api.post("/api/v1/wallet/entries", entry("course-2", "2025-06-01"))
    api.post("/api/v1/wallet/entries", entry("course-1", "2024-01-01"))
    api.post("/api/v1/wallet/entries", entry("lab-skills", "2025-06-01"))

    listed = api.get("/api/v1/wallet/entries").get_json()["entries"]

    assert [e["credential"] for e in listed] == ["course-1", "course-2", "lab-skills"]


def test_a_learner_removes_an_entry_on_the_page(logged_in, db_session, learner):
    add_page(logged_in, credential="course-1", earned_on="2025-03-01")
    (stored,) = services.wallet_entries(db_session, learner)

    response = post_form(logged_in, f"/wallet/entries/{stored.id}/remove", {}, form_url="/wallet")

    assert response.status_code == 302
    assert count_entries(db_session, learner) == 0


def test_other_learners_entries_are_invisible_and_cannot_be_removed(
    app, api, client, db_session, factory, learner
):
    other = factory.user("learner")
    theirs = services.add_entry(db_session, other, entry("course-1"))
    db_session.commit()

    assert api.get("/api/v1/wallet/entries").get_json() == {"entries": []}
    assert api.get(f"/api/v1/wallet/entries/{theirs.id}").status_code == 404
    assert api.delete(f"/api/v1/wallet/entries/{theirs.id}").status_code == 404
    missing = api.delete("/api/v1/wallet/entries/999999999")
    assert (
        missing.get_json()["error"]["message"].replace("999999999", str(theirs.id))
        == (api.delete(f"/api/v1/wallet/entries/{theirs.id}").get_json()["error"]["message"])
    )
    Auth(client).login(learner)
    page = post_form(client, f"/wallet/entries/{theirs.id}/remove", {}, form_url="/wallet")
    assert page.status_code == 404
    assert f'data-entry="{theirs.id}"' not in client.get("/wallet").get_data(as_text=True)
    assert db_session.get(WalletEntry, theirs.id) is not None


def test_the_api_removes_an_entry_with_204(api, db_session):
    created = api.post("/api/v1/wallet/entries", entry("course-1")).get_json()

    response = api.delete(f"/api/v1/wallet/entries/{created['id']}")

    assert response.status_code == 204
    assert response.data == b""
    assert count_entries(db_session) == 0


def test_a_cookie_session_must_send_the_csrf_token(logged_in, db_session):
    refused = logged_in.post("/api/v1/wallet/entries", json=entry("course-1"))
    token = csrf_token(logged_in, "/wallet")
    accepted = logged_in.post(
        "/api/v1/wallet/entries", json=entry("course-1"), headers={"X-CSRFToken": token}
    )

    assert refused.status_code == 400
    assert accepted.status_code == 201
    assert count_entries(db_session) == 1
