"""Credential pages kept rendered for visitors: the same page while nothing it shows has
changed, a fresh one as soon as something has, and never for anyone signed in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from registry.credentials import views
from registry.credentials.models import Credential
from registry.credentials.services import update_credential
from registry.providers.services import provider_document, update_provider


@pytest.fixture()
def course(factory, db_session):
    provider = factory.provider("uni-kept", name="Kept University")
    factory.credential(provider, "kept-course", title="Kept course", credits=5)
    factory.publish("kept-course")
    db_session.commit()
    return provider


def page(client, url: str = "/credentials/kept-course") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_visitor_gets_the_same_page_until_the_catalogue_changes(
    client, factory, db_session, course
):
    first = page(client)
    assert page(client) == first

    # A new published version (the catalogue's revision moves): the page follows at once.
    credential = db_session.get(Credential, "kept-course")
    update_credential(db_session, credential, {"title": "Renamed course"}, actor=None)
    factory.publish("kept-course")
    db_session.commit()
    assert "Renamed course" in page(client)


def test_a_provider_change_shows_without_a_catalogue_change(client, db_session, course):
    assert "Kept University" in page(client)

    document = provider_document(course)
    update_provider(db_session, course, {**document, "name": "Renamed University"}, actor=None)
    db_session.commit()

    shown = page(client)
    assert "Renamed University" in shown and "Kept University" not in shown


def test_signed_in_users_get_their_own_page(client, auth, factory, db_session, course):
    assert "Edit" not in page(client)
    auth.login(factory.user("provider", provider=course))
    db_session.commit()
    assert "Change (makes a new version)" in page(client)
    auth.logout()
    assert "Change (makes a new version)" not in page(client)


def test_a_message_for_one_visitor_is_not_kept_for_the_next(client, app, course):
    page(client)  # the kept page, without messages
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Only for this visitor")]
    assert "Only for this visitor" in page(client)
    assert "Only for this visitor" not in page(client)
    assert "Only for this visitor" not in page(app.test_client())


def test_with_a_ttl_a_change_shows_after_at_most_that_long(
    app, client, db_session, course, monkeypatch
):
    clock = [1000.0]  # the views' clock, moved by hand so that load cannot change the outcome
    monkeypatch.setattr(views, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setitem(app.config, "VISITOR_PAGE_TTL", 0.5)
    first = page(client)
    document = provider_document(course)
    update_provider(db_session, course, {**document, "name": "Renamed University"}, actor=None)
    db_session.commit()

    # Within the TTL the server trusts what it read: no database round trip, the kept page.
    clock[0] += 0.4
    assert page(client) == first
    clock[0] += 0.2
    assert "Renamed University" in page(client)
