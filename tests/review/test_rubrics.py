"""Rubric versions, the default rubric, the editor pages, the QA dashboard and the rubric API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.errors import Conflict, NotFound, ValidationError
from registry.review import rubrics
from registry.review.aggregate import krippendorff_alpha_ordinal
from registry.review.models import Assignment, Review, Rubric, RubricVersion, Submission
from tests.conftest import csrf_token, post_form


@pytest.fixture()
def default(db_session) -> RubricVersion:
    version = rubrics.create_default_rubric(db_session)
    db_session.commit()
    return version


@pytest.fixture()
def admin(factory, db_session):
    user = factory.user("admin")
    db_session.commit()
    return user


def document(version: RubricVersion) -> dict[str, Any]:
    return rubrics.rubric_for_form(version)


def version_count(session) -> int:
    return session.scalar(select(func.count()).select_from(RubricVersion))


def events(session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# --- the default rubric -----------------------------------------------------------------------


def test_the_default_rubric_covers_the_ten_eu_principles(default) -> None:
    criteria = default.criteria

    assert 12 <= len(criteria) <= 16
    assert {c.principle for c in criteria} == set(rubrics.PRINCIPLES)
    assert len(rubrics.PRINCIPLES) == 10
    assert all(1 <= c.points <= 3 and c.title and c.guidance for c in criteria)
    assert 3 <= sum(c.essential for c in criteria) < len(criteria)
    assert len({c.code for c in criteria}) == len(criteria)
    assert [level["label"] for level in default.levels] == [
        "Not evident",
        "Partly",
        "Met",
        "Exemplary",
    ]
    assert (default.met_level, default.threshold, default.reviewers_per_submission) == (2, 0.85, 3)
    assert default.current and not default.frozen
    assert rubrics.rubric_problems(document(default)) == []


def test_creating_the_default_rubric_twice_changes_nothing(default, db_session) -> None:
    again = rubrics.create_default_rubric(db_session)

    assert again.id == default.id
    assert db_session.scalar(select(func.count()).select_from(Rubric)) == 1
    assert version_count(db_session) == 1


def test_the_default_rubric_does_not_take_over_another_current_version(db_session) -> None:
    other = rubrics.create_rubric(db_session, "House rubric", rubrics.DEFAULT_VERSION, actor=None)
    rubrics.make_current(db_session, other, actor=None)

    default = rubrics.create_default_rubric(db_session)

    assert not default.current
    assert rubrics.current_rubric_version(db_session).id == other.id


def test_there_is_no_current_version_until_one_is_made_current(db_session) -> None:
    with pytest.raises(NotFound, match="no rubric version is current"):
        rubrics.current_rubric_version(db_session)


def test_seed_demo_loads_the_default_rubric(runner, db_session) -> None:
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    current = rubrics.current_rubric_version(db_session)
    assert current.rubric.name == rubrics.DEFAULT_RUBRIC_NAME
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert version_count(db_session) == 1


# --- checking a version's content -------------------------------------------------------------


def _changed(**changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in rubrics.DEFAULT_VERSION.items()}
    data["criteria"] = [dict(c) for c in data["criteria"]]
    data["levels"] = [dict(level) for level in data["levels"]]
    for path, value in changes.items():
        target: Any = data
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_changed(threshold=0), "threshold", "above 0"),
        (_changed(threshold=1.2), "threshold", "at most 1"),
        (_changed(threshold="85%"), "threshold", "must be a number"),
        (_changed(threshold=True), "threshold", "must be a number"),
        (_changed(met_level=7), "met_level", "one of the scale's level values"),
        (_changed(met_level=0), "met_level", "above the lowest level"),
        (_changed(met_level="2"), "met_level", "whole number"),
        (_changed(reviewers_per_submission=0), "reviewers_per_submission", "from 1 to 10"),
        (_changed(reviewers_per_submission=11), "reviewers_per_submission", "from 1 to 10"),
        (_changed(levels=[{"value": 0, "label": "Only"}]), "levels", "from 2 to 10"),
        (_changed(levels__1__value=0), "levels[1].value", "repeats the level 0"),
        (_changed(levels__2__label=" "), "levels[2].label", "required"),
        (_changed(levels__0__value=-1), "levels[0].value", "from 0 to 100"),
        (_changed(criteria=[]), "criteria", "at least one criterion"),
        (_changed(criteria__0__code="Q A"), "criteria[0].code", "letters, digits"),
        (_changed(criteria__1__code="qa1"), "criteria[1].code", "repeats the code qa1"),
        (_changed(criteria__2__title=""), "criteria[2].title", "required"),
        (_changed(criteria__3__title="x" * 301), "criteria[3].title", "at most 300"),
        (_changed(criteria__4__principle="fun"), "criteria[4].principle", "must be one of"),
        (_changed(criteria__5__points=4), "criteria[5].points", "1, 2 or 3"),
        (_changed(criteria__5__points=0), "criteria[5].points", "1, 2 or 3"),
        (_changed(criteria__6__essential="yes"), "criteria[6].essential", "true or false"),
        (_changed(criteria__7__guidance=5), "criteria[7].guidance", "must be text"),
        ("not a document", "", "must be an object"),
    ],
)
def test_rubric_problems_name_the_field(data, field, message) -> None:
    problems = rubrics.rubric_problems(data)

    assert [p.field for p in problems] == [field]
    assert message in problems[0].message


# --- versions ---------------------------------------------------------------------------------


def test_a_new_version_copies_nothing_back(default, db_session) -> None:
    data = document(default)
    data["criteria"][0]["title"] = "Internal QA, reworded"
    data["threshold"] = 0.8

    new = rubrics.new_rubric_version(db_session, default.rubric, data, actor=None)

    assert (new.number, new.current, new.frozen) == (2, False, False)
    assert new.criteria[0].title == "Internal QA, reworded" and new.threshold == 0.8
    db_session.refresh(default)
    assert default.criteria[0].title == "Internal quality assurance is documented and applied"
    assert default.threshold == 0.85
    assert [v.number for v in default.rubric.versions] == [1, 2]
    assert events(db_session, "rubric.version_create")[0].after["threshold"] == 0.8


def test_a_bad_new_version_changes_nothing(default, db_session) -> None:
    with pytest.raises(ValidationError):
        rubrics.new_rubric_version(
            db_session, default.rubric, _changed(criteria__0__points=9), actor=None
        )

    assert version_count(db_session) == 1


def test_an_unfrozen_version_changes_in_place_keeping_codes(default, db_session) -> None:
    data = document(default)
    data["criteria"] = [*reversed(data["criteria"][:3])]
    data["criteria"][0]["points"] = 1

    rubrics.update_rubric_version(db_session, default, data, actor=None)

    db_session.expire_all()
    assert [c.code for c in default.criteria] == ["TR1", "QA2", "QA1"]
    assert [c.position for c in default.criteria] == [1, 2, 3]
    assert default.criteria[0].points == 1
    (event,) = events(db_session, "rubric.version_update")
    assert len(event.before["criteria"]) == 14 and len(event.after["criteria"]) == 3


def test_a_frozen_version_is_never_edited(default, db_session) -> None:
    rubrics.freeze(default)
    db_session.flush()
    data = _changed(threshold=0.5)

    with pytest.raises(Conflict, match="frozen"):
        rubrics.update_rubric_version(db_session, default, data, actor=None)

    db_session.expire_all()
    assert default.threshold == 0.85
    assert events(db_session, "rubric.version_update") == []


def test_a_version_frozen_meanwhile_is_not_edited(default, db_session) -> None:
    """The update is guarded in the database: a pin that landed since it was read wins."""
    from sqlalchemy import update

    db_session.execute(
        update(RubricVersion)
        .where(RubricVersion.id == default.id)
        .values(frozen_at=dt.datetime.now(dt.UTC))
        .execution_options(synchronize_session=False)
    )
    assert not default.frozen  # as the editing request read it

    with pytest.raises(Conflict, match="frozen"):
        rubrics.update_rubric_version(db_session, default, _changed(threshold=0.5), actor=None)

    assert default.frozen and default.threshold == 0.85


def test_freezing_keeps_the_first_time(default) -> None:
    rubrics.freeze(default)
    first = default.frozen_at

    rubrics.freeze(default)

    assert first is not None and default.frozen_at == first


def test_making_a_version_current_leaves_exactly_one(default, db_session) -> None:
    new = rubrics.new_rubric_version(db_session, default.rubric, document(default), actor=None)

    rubrics.make_current(db_session, new, actor=None)

    current = db_session.scalars(select(RubricVersion).where(RubricVersion.current)).all()
    assert [v.id for v in current] == [new.id]
    assert not default.current  # the objects in the session follow the change
    assert rubrics.current_rubric_version(db_session).id == new.id
    event = events(db_session, "rubric.make_current")[-1]  # the first made the default current
    assert (event.before, event.after) == ({"current": [default.id]}, {"current": [new.id]})


# --- aggregates and statistics ----------------------------------------------------------------


def _submission(factory, db_session, version: RubricVersion, *, round: int = 1) -> Submission:
    provider = factory.provider()
    credential = factory.credential(provider)
    submission = Submission(
        credential_id=credential.id,
        version_id=credential.current.id,
        state="in_review",
        round=round,
        rubric_version_id=version.id,
    )
    db_session.add(submission)
    db_session.flush()
    return submission


def _review(
    factory, db_session, submission, scores: dict[str, int], *, round=None, cancelled=False
):
    today = dt.date(2025, 1, 1)
    assignment = Assignment(
        submission_id=submission.id,
        round=round or submission.round,
        reviewer_id=factory.user("reviewer").id,
        response_due=today,
        review_due=today,
        cancelled_at=dt.datetime.now(dt.UTC) if cancelled else None,
    )
    db_session.add(assignment)
    db_session.flush()
    db_session.add(
        Review(assignment_id=assignment.id, scores=scores, recommendation="approve", confidence=3)
    )
    db_session.flush()
    return assignment


def scores(version: RubricVersion, level: int, **overrides: int) -> dict[str, int]:
    return {c.code: overrides.get(c.code, level) for c in version.criteria}


def test_the_submission_aggregate_uses_the_newest_live_reviews_of_this_round(
    default, factory, db_session
) -> None:
    submission = _submission(factory, db_session, default, round=2)
    _review(factory, db_session, submission, scores(default, 2))
    revised = _review(factory, db_session, submission, scores(default, 0))
    db_session.add(
        Review(
            assignment_id=revised.id,
            number=2,
            scores=scores(default, 3),
            recommendation="approve",
            confidence=4,
        )
    )
    # Neither a cancelled assignment nor the previous round counts.
    _review(factory, db_session, submission, scores(default, 0), cancelled=True)
    _review(factory, db_session, submission, scores(default, 0), round=1)
    db_session.flush()

    result = rubrics.submission_aggregate(db_session, submission)

    assert result.reviews == 2
    assert result.passes and result.recommendation == "approve"
    assert result.levels["QA1"].min == 2 and result.levels["QA1"].max == 3


def test_the_aggregate_of_a_failing_submission_names_what_is_unmet(
    default, factory, db_session
) -> None:
    submission = _submission(factory, db_session, default)
    for _ in range(3):
        _review(factory, db_session, submission, scores(default, 2, AU1=1, IG1=0))

    result = rubrics.submission_aggregate(db_session, submission)

    assert result.unmet == ["AU1", "IG1"]
    assert not result.passes  # AU1 is essential
    assert result.flags == []


def test_a_submission_without_a_pinned_rubric_has_no_aggregate(
    default, factory, db_session
) -> None:
    submission = _submission(factory, db_session, default)
    submission.rubric_version_id = None
    db_session.flush()
    db_session.refresh(submission)

    with pytest.raises(Conflict, match="no rubric version is pinned"):
        rubrics.submission_aggregate(db_session, submission)


def _reviewed(factory, db_session, version, *levels_per_reviewer: dict[str, int]):
    submission = _submission(factory, db_session, version)
    for levels in levels_per_reviewer:
        _review(factory, db_session, submission, levels)
    return submission


def test_reliability_per_criterion_across_submissions(default, factory, db_session) -> None:
    # Three submissions, two or three reviewers: QA1 agreed, TR1 read very differently.
    rows = [
        ({"QA1": 3, "TR1": 0}, {"QA1": 3, "TR1": 3}),
        ({"QA1": 1, "TR1": 3}, {"QA1": 1, "TR1": 0}, {"QA1": 1, "TR1": 1}),
        ({"QA1": 2, "TR1": 2}, {"QA1": 2, "TR1": 0}),
    ]
    for row in rows:
        _reviewed(factory, db_session, default, *(scores(default, 2, **r) for r in row))
    _reviewed(factory, db_session, default, scores(default, 0))  # one reviewer: not pairable

    stats = {r.code: r for r in rubrics.criterion_reliability(db_session)}

    qa1, tr1, qa2 = stats["QA1"], stats["TR1"], stats["QA2"]
    assert (qa1.units, qa1.ratings) == (3, 7)
    assert qa1.alpha == pytest.approx(1.0) and "alike" in qa1.reading
    assert tr1.alpha == pytest.approx(krippendorff_alpha_ordinal([[0, 3], [3, 0, 1], [2, 0]]))
    assert tr1.alpha < 0.667 and "read this criterion differently" in tr1.reading
    assert tr1.reliable is False
    assert qa2.alpha is None and "same level" in qa2.reading
    assert list(stats)[:3] == ["QA1", "QA2", "TR1"]  # the current rubric's order


def test_reliability_waits_for_enough_reviews(default, factory, db_session) -> None:
    _reviewed(factory, db_session, default, scores(default, 2), scores(default, 0))

    stats = rubrics.criterion_reliability(db_session)

    assert all(not r.enough and r.alpha is None for r in stats)
    assert stats[0].reading == "Not enough reviews yet."


def test_submission_counts_list_every_state(default, factory, db_session) -> None:
    _submission(factory, db_session, default)
    second = _submission(factory, db_session, default)
    second.state = "published"
    db_session.flush()

    counts = dict(rubrics.submission_counts(db_session))

    assert counts["in_review"] == 1 and counts["published"] == 1 and counts["draft"] == 0
    assert len(counts) == 10


# --- pages ------------------------------------------------------------------------------------


def form_fields(data: dict[str, Any], *, spare: int = 0) -> dict[str, Any]:
    """What a browser posts from the editor for this content (with some empty rows)."""
    fields: dict[str, Any] = {
        "met_level": str(data["met_level"]),
        "threshold": str(data["threshold"]),
        "reviewers_per_submission": str(data["reviewers_per_submission"]),
    }
    for i, level in enumerate([*data["levels"], *({"value": "", "label": ""},) * spare]):
        fields[f"levels-{i}-value"] = str(level["value"])
        fields[f"levels-{i}-label"] = level["label"]
    blank = {"code": "", "title": "", "guidance": "", "principle": "", "points": "1"}
    for i, c in enumerate([*data["criteria"], *(blank,) * spare]):
        for key in ("code", "title", "guidance", "principle"):
            fields[f"criteria-{i}-{key}"] = c[key]
        fields[f"criteria-{i}-points"] = str(c["points"])
        if c.get("essential"):
            fields[f"criteria-{i}-essential"] = "y"
    return fields


def test_the_editor_pages_are_for_admins(client, auth, factory, default, db_session) -> None:
    coordinator = factory.user("coordinator")
    db_session.commit()
    auth.login(coordinator)

    assert client.get("/review/rubrics/").status_code == 403
    assert client.get(f"/review/rubrics/versions/{default.id}").status_code == 403


def test_the_rubric_list_shows_versions_and_their_state(
    client, auth, admin, default, db_session
) -> None:
    new = rubrics.new_rubric_version(db_session, default.rubric, document(default), actor=None)
    rubrics.freeze(default)
    db_session.commit()
    auth.login(admin)

    page = client.get("/review/rubrics/").get_data(as_text=True)

    assert "EU micro-credential quality rubric" in page
    assert f'href="/review/rubrics/versions/{new.id}"' in page
    assert "current" in page and "frozen" in page and "draft" in page
    assert f"/review/rubrics/versions/{default.id}/edit" not in page  # frozen: no edit link
    assert f"/review/rubrics/versions/{new.id}/edit" in page


def test_the_rubric_list_has_an_empty_state(client, auth, admin) -> None:
    auth.login(admin)

    page = client.get("/review/rubrics/").get_data(as_text=True)

    assert "There is no rubric yet" in page and "seed-demo" in page


def test_a_version_page_shows_criteria_and_rules(client, auth, admin, default) -> None:
    auth.login(admin)

    page = client.get(f"/review/rubrics/versions/{default.id}").get_data(as_text=True)

    assert "Authentic: holder, issuer and date are verifiable" in page
    assert "Information and guidance" in page
    assert "85 % of 31 points" in page
    assert "Not evident" in page and "Exemplary" in page


def test_the_editor_form_is_labelled_and_prefilled(client, auth, admin, default) -> None:
    auth.login(admin)

    page = client.get(f"/review/rubrics/versions/{default.id}/edit").get_data(as_text=True)

    assert 'value="QA1"' in page
    # Every input of the criteria table has a label naming its row.
    for name in re.findall(r'<input[^>]*id="(criteria-\d+-\w+)"', page):
        assert f'<label for="{name}"' in page
    assert 'for="criteria-14-code"' in page  # a spare row to add a criterion


def test_admin_edits_an_unfrozen_version(client, auth, admin, default, db_session) -> None:
    auth.login(admin)
    data = document(default)
    data["criteria"][1]["title"] = "External QA is named and checkable"
    url = f"/review/rubrics/versions/{default.id}/edit"

    response = post_form(client, url, form_fields(data, spare=2))

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/review/rubrics/versions/{default.id}")
    db_session.expire_all()
    assert default.criteria[1].title == "External QA is named and checkable"
    assert len(default.criteria) == 14 and version_count(db_session) == 1


def test_the_editor_adds_and_removes_criteria(client, auth, admin, default, db_session) -> None:
    auth.login(admin)
    fields = form_fields(document(default), spare=1)
    fields["criteria-0-remove"] = "y"
    fields |= {
        "criteria-14-code": "NEW1",
        "criteria-14-title": "A new criterion",
        "criteria-14-principle": "relevance",
        "criteria-14-points": "3",
        "criteria-14-essential": "y",
    }

    response = post_form(client, f"/review/rubrics/versions/{default.id}/new", fields)

    assert response.status_code == 302
    new = db_session.scalars(select(RubricVersion).where(RubricVersion.number == 2)).one()
    codes = [c.code for c in new.criteria]
    assert "QA1" not in codes and codes[-1] == "NEW1"
    assert (new.criteria[-1].points, new.criteria[-1].essential) == (3, True)
    db_session.refresh(default)
    assert len(default.criteria) == 14  # the original is untouched


def test_a_bad_edit_marks_the_row_and_saves_nothing(
    client, auth, admin, default, db_session
) -> None:
    auth.login(admin)
    fields = form_fields(document(default))
    fields["criteria-3-code"] = "QA1"  # a duplicate
    fields["criteria-5-principle"] = "fun"
    fields["threshold"] = "eighty"
    url = f"/review/rubrics/versions/{default.id}/edit"

    response = post_form(client, url, fields)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in page
    assert re.search(r'id="criteria-3-code-errors"><li>repeats the code QA1', page)
    assert re.search(r'id="criteria-5-principle-errors"><li>must be one of', page)
    assert re.search(r'id="threshold-errors"><li>must be a number', page)
    db_session.expire_all()
    assert default.criteria[3].code == "TR2" and default.threshold == 0.85
    assert events(db_session, "rubric.version_update") == []


def test_editing_a_frozen_version_answers_409_and_offers_a_copy(
    client, auth, admin, default, db_session
) -> None:
    rubrics.freeze(default)
    db_session.commit()
    auth.login(admin)
    url = f"/review/rubrics/versions/{default.id}/edit"
    data = document(default)
    data["threshold"] = 0.5

    page = client.get(url)
    posted = client.post(
        url, data={**form_fields(data), "csrf_token": csrf_token(client, "/review/rubrics/")}
    )

    assert page.status_code == 409 and posted.status_code == 409
    text = page.get_data(as_text=True)
    assert "is frozen" in text and f"/review/rubrics/versions/{default.id}/new" in text
    db_session.expire_all()
    assert default.threshold == 0.85


def test_a_new_version_from_a_frozen_one(client, auth, admin, default, db_session) -> None:
    rubrics.freeze(default)
    db_session.commit()
    auth.login(admin)
    data = document(default)
    data["threshold"] = 0.9

    response = post_form(client, f"/review/rubrics/versions/{default.id}/new", form_fields(data))

    assert response.status_code == 302
    new = db_session.scalars(select(RubricVersion).where(RubricVersion.number == 2)).one()
    assert (new.threshold, new.current, new.frozen) == (0.9, False, False)
    db_session.refresh(default)
    assert default.current and default.threshold == 0.85


def test_admin_makes_a_version_current(client, auth, admin, default, db_session) -> None:
    new = rubrics.new_rubric_version(db_session, default.rubric, document(default), actor=None)
    db_session.commit()
    auth.login(admin)

    response = post_form(
        client,
        f"/review/rubrics/versions/{new.id}/make-current",
        {},
        form_url="/review/rubrics/",
    )

    assert response.status_code == 302
    db_session.expire_all()
    assert new.current and not default.current
    event = events(db_session, "rubric.make_current")[-1]
    assert event.actor_id == admin.id and event.after == {"current": [new.id]}


def test_make_current_without_the_csrf_token_changes_nothing(
    client, auth, admin, default, db_session
) -> None:
    new = rubrics.new_rubric_version(db_session, default.rubric, document(default), actor=None)
    db_session.commit()
    auth.login(admin)

    response = client.post(f"/review/rubrics/versions/{new.id}/make-current")

    assert response.status_code == 400
    db_session.expire_all()
    assert default.current and not new.current


# --- the dashboard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("admin", 200), ("reviewer", 403), ("provider", 403), ("learner", 403)],
)
def test_the_dashboard_is_for_coordinators_and_admins(client, auth, factory, role, status):
    provider = factory.provider() if role == "provider" else None
    auth.login(factory.user(role, provider=provider))

    assert client.get("/review/dashboard").status_code == status


def test_the_dashboard_has_empty_states(client, auth, factory, default) -> None:
    auth.login(factory.user("coordinator"))

    page = client.get("/review/dashboard").get_data(as_text=True)

    assert "No credential has been submitted for review yet" in page
    assert "Not enough reviews yet to measure agreement" in page
    assert "/review/rubrics/" not in page  # the editor link is for admins


def test_the_dashboard_shows_alpha_and_counts(client, auth, factory, default, db_session) -> None:
    for row in [
        ({"TR1": 0}, {"TR1": 3}),
        ({"TR1": 3}, {"TR1": 0}, {"TR1": 1}),
        ({"TR1": 2}, {"TR1": 0}),
    ]:
        _reviewed(factory, db_session, default, *(scores(default, 2, **r) for r in row))
    coordinator = factory.user("coordinator")
    db_session.commit()
    auth.login(coordinator)

    page = client.get("/review/dashboard").get_data(as_text=True)

    alpha = krippendorff_alpha_ordinal([[0, 3], [3, 0, 1], [2, 0]])
    tr1 = re.search(r"<code>TR1</code>.*?</tr>", page, re.S).group(0)
    assert f"{alpha:.2f}" in tr1 and "read this criterion differently" in tr1
    assert re.search(r"<td>3</td>\s*<td>7</td>", tr1)  # three submissions, seven reviews
    qa1 = re.search(r"<code>QA1</code>.*?</tr>", page, re.S).group(0)
    assert "same level" in qa1
    assert re.search(r"<strong>3</strong> <span class=\"status status-in_review\">", page)


# --- the API ----------------------------------------------------------------------------------


def test_the_api_answers_the_current_rubric(client, default) -> None:
    response = client.get("/api/v1/rubrics/current")

    body = response.get_json()
    assert response.status_code == 200
    assert body["id"] == default.id and body["number"] == 1 and body["current"] is True
    assert body["rubric"]["name"] == rubrics.DEFAULT_RUBRIC_NAME
    assert body["threshold"] == 0.85 and body["met_level"] == 2
    assert body["criteria"][0] == {
        "code": "QA1",
        "title": "Internal quality assurance is documented and applied",
        "guidance": default.criteria[0].guidance,
        "principle": "quality",
        "points": 3,
        "essential": True,
    }
    assert rubrics.rubric_problems(body) == []  # the answer is itself a valid version document


def test_the_api_says_when_no_rubric_is_current(client, db_session) -> None:
    response = client.get("/api/v1/rubrics/current")

    assert response.status_code == 404
    assert "no rubric version is current" in response.get_json()["error"]["message"]


def test_the_rubric_endpoint_is_in_the_openapi_document(client, db_session) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    schema = paths["/rubrics/current"]["get"]["responses"]["200"]["content"]
    assert "criteria" in schema["application/json"]["schema"]["required"]
