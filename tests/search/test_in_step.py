"""The index follows every change to what learners may see, in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from registry.credentials.models import Credential, CreditUnit
from registry.credentials.services import update_credential
from registry.errors import ValidationError
from registry.interop.catalogue import import_catalogue
from registry.providers.services import update_provider
from registry.review.services import submission_for, submit_credential, take_action
from registry.search.models import SearchEntry
from registry.search.services import search_credentials
from tests.review.submission_helpers import ALL_MET, COMPLETE, add_review, make_rubric


def found(session, q: str = "", **kw: Any) -> set[str]:
    return {hit.id for hit in search_credentials(session, q, per_page=100, **kw).hits}


@pytest.fixture()
def people(factory, db_session) -> dict[str, Any]:
    own = factory.provider("quill", name="Quill College", email_domains=["quill.example"])
    make_rubric(db_session)
    return {
        "own": own,
        "staff": factory.user("provider", provider=own),
        "coordinator": factory.user("coordinator"),
        "reviewers": [factory.user("reviewer"), factory.user("reviewer")],
    }


def approve(session, people, credential: Credential) -> None:
    """Through the real review: submit, review, decide."""
    submission = submit_credential(session, credential, actor=people["staff"])
    take_action(session, submission, "send_to_review", actor=people["coordinator"])
    for reviewer in people["reviewers"]:
        add_review(session, submission, reviewer, ALL_MET)
    take_action(
        session, submission, "complete_reviews", actor=None, system=True, facts={"quorum": True}
    )
    take_action(session, submission, "approve", actor=people["coordinator"])


def test_approval_publishes_into_the_index_and_suspension_takes_out(db_session, factory, people):
    credential = factory.credential(
        people["own"], "kiln", title="Kiln firing for beginners", **COMPLETE
    )
    assert found(db_session, "kiln") == set()

    approve(db_session, people, credential)
    assert found(db_session, "kiln") == {"kiln"}
    assert found(db_session, filters={"provider": ("quill",)}) == {"kiln"}

    take_action(
        db_session,
        submission_for(db_session, credential.published),
        "suspend",
        actor=people["coordinator"],
        facts={"reason": "The kiln room is closed."},
    )
    assert found(db_session, "kiln") == set()


def test_an_edit_shows_once_the_new_version_is_approved(db_session, factory, people):
    credential = factory.credential(people["own"], "glaze", title="Glaze chemistry", **COMPLETE)
    approve(db_session, people, credential)

    update_credential(
        db_session, credential, {**COMPLETE, "title": "Glaze recipes"}, actor=people["staff"]
    )
    assert found(db_session, "chemistry") == {"glaze"}  # the published version still shows
    assert found(db_session, "recipes") == set()

    approve(db_session, people, credential)
    assert found(db_session, "recipes") == {"glaze"}
    assert found(db_session, "chemistry") == set()


def test_renaming_a_provider_renames_it_in_the_index(db_session, factory, people):
    credential = factory.credential(people["own"], "slip", title="Slip casting", **COMPLETE)
    approve(db_session, people, credential)

    update_provider(
        db_session, people["own"], {"name": "Feather School", "country": "IE"}, actor=None
    )

    assert found(db_session, "feather") == {"slip"}
    assert found(db_session, "quill college") == set()
    assert search_credentials(db_session, "slip").hits[0].provider_name == "Feather School"


def test_a_new_credit_rate_moves_a_credential_between_credit_bands(db_session, factory, people):
    db_session.add(CreditUnit(code="HOURS", ects_rate=0.1))
    credential = factory.credential(
        people["own"],
        "wheel",
        title="Wheel throwing",
        **{**COMPLETE, "credit_unit": "HOURS", "credits": 40},
    )
    approve(db_session, people, credential)
    assert found(db_session, filters={"credits": ("0-5",)}) == {"wheel"}

    db_session.get(CreditUnit, "HOURS").ects_rate = 0.5
    db_session.flush()

    assert found(db_session, filters={"credits": ("10-30",)}) == {"wheel"}


def test_an_import_is_searchable_at_once_and_a_refused_one_adds_nothing(db_session, factory):
    document = {
        "providers": [{"id": "ember", "name": "Ember Guild", "country": "IE"}],
        "credentials": [
            {"id": "e1", "provider": "ember", "title": "Enamel work", "status": "published"},
            {"id": "e2", "provider": "ember", "title": "Enamel colour", "status": "draft"},
        ],
    }
    import_catalogue(db_session, document, actor=None)
    assert found(db_session, "enamel") == {"e1"}

    bad = {"credentials": [{"id": "e3", "provider": "nobody", "title": "Enamel again"}]}
    with pytest.raises(ValidationError):
        import_catalogue(db_session, bad, actor=None)
    assert found(db_session, "enamel") == {"e1"}


def test_the_index_rows_match_the_published_versions(db_session, factory, people):
    """After all sorts of changes, rebuilding the index from scratch changes nothing."""
    from registry.search.index import reindex_all

    for n in range(3):
        credential = factory.credential(people["own"], f"pot-{n}", title=f"Pot {n}", **COMPLETE)
        if n != 1:
            approve(db_session, people, credential)
    update_provider(db_session, people["own"], {"name": "Renamed", "country": "IE"}, actor=None)

    def rows() -> list[tuple]:
        entries = db_session.scalars(select(SearchEntry).order_by(SearchEntry.version_id))
        return [(e.version_id, e.credential_id, e.provider_name, e.title) for e in entries]

    before = rows()
    reindex_all(db_session.connection())
    assert rows() == before
    assert [r[1] for r in before] == ["pot-0", "pot-2"]


def test_a_remembered_answer_is_not_served_once_the_index_changes(
    client, db_session, factory, people
):
    credential = factory.credential(people["own"], "raku", title="Raku firing", **COMPLETE)
    db_session.commit()
    for _ in range(2):  # the second answer comes from the cache
        assert client.get("/api/v1/search?q=raku").get_json()["total"] == 0
        assert "No credentials match" in client.get("/search?q=raku").get_data(as_text=True)

    approve(db_session, people, credential)
    db_session.commit()

    assert client.get("/api/v1/search?q=raku").get_json()["total"] == 1
    assert 'href="/credentials/raku"' in client.get("/search?q=raku").get_data(as_text=True)


def test_saving_a_draft_leaves_the_index_revision_alone(db_session, factory, people):
    """Servers reread the facet columns when the revision moves: only for real changes."""
    from registry.search.facets import current_revision

    before = current_revision(db_session)
    credential = factory.credential(people["own"], "draft-pot", title="Draft pot", **COMPLETE)
    update_credential(db_session, credential, {**COMPLETE, "title": "Still a draft"}, actor=None)
    assert current_revision(db_session) == before

    approve(db_session, people, credential)
    assert current_revision(db_session) != before
