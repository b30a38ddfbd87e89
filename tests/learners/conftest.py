"""A small published stack and a logged-in learner, for the wallet tests."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from registry.credentials.catalogue import bump_revision
from registry.learners.models import WalletEntry


@pytest.fixture()
def stack(factory, db_session) -> dict[str, Any]:
    """Three courses, a certificate (2 of them), a diploma (the certificate and 5 more ECTS at
    level 6), a draft course, and a qualification that needs the draft (so out of reach)."""
    provider = factory.provider("uni-wallet")
    for n, price in ((1, 100), (2, 300), (3, 200)):
        factory.credential(
            provider,
            f"course-{n}",
            title=f"Course {n} in computing",
            credits=5,
            level=6,
            subjects=["0613"],
            price=price,
        )
    factory.credential(provider, "lab-skills", title="Lab skills", credits=2, level=5, price=50)
    factory.credential(
        provider,
        "cert",
        title="Certificate in computing",
        type="certificate",
        requirements={"at_least": 2, "of": [{"credential": f"course-{n}"} for n in (1, 2, 3)]},
    )
    factory.credential(
        provider,
        "diploma",
        title="Diploma in computing",
        type="diploma",
        requirements={"all": [{"credential": "cert"}, {"credits": 5, "where": {"level_min": 6}}]},
    )
    factory.credential(provider, "draft-only", title="A draft course", credits=5)
    factory.credential(
        provider,
        "lost-cause",
        title="Needs a draft",
        type="certificate",
        requirements={"all": [{"credential": "lab-skills"}, {"credential": "draft-only"}]},
    )
    for ident in (
        "course-1",
        "course-2",
        "course-3",
        "lab-skills",
        "cert",
        "diploma",
        "lost-cause",
    ):
        factory.publish(ident)
    bump_revision(db_session)
    db_session.flush()
    return {"provider": provider}


@pytest.fixture()
def learner(factory, stack):
    return factory.user("learner")


@pytest.fixture()
def logged_in(client, auth, learner):
    """The client, logged in as the learner."""
    assert auth.login(learner).status_code == 302
    return client


def count_entries(session, user=None) -> int:
    query = select(func.count()).select_from(WalletEntry)
    if user is not None:
        query = query.where(WalletEntry.user_id == user.id)
    return session.scalar(query)


def entry(ident: str, day: str = "2025-03-01", **extra: Any) -> dict[str, Any]:
    return {"credential": ident, "earned_on": day, **extra}
