"""The demo learner's wallet: progress to show at once, and seeding twice adds nothing."""

from __future__ import annotations

from registry.auth.services import get_user_by_email
from registry.demo.seed import DEMO_WALLET, DEMO_WALLET_LEARNER, seed_demo
from registry.learners import services


def test_the_demo_learner_has_a_completed_and_an_ongoing_qualification(db_session):
    first = seed_demo(db_session)
    again = seed_demo(db_session)
    learner = get_user_by_email(db_session, DEMO_WALLET_LEARNER)

    answer = services.progress(db_session, learner)

    assert first.wallet_entries == len(DEMO_WALLET)
    assert again.wallet_entries == 0 and not again.changed
    assert len(services.wallet_entries(db_session, learner)) == len(DEMO_WALLET)
    assert "wda-pathway-digital-work" in {row["qualification"] for row in answer["completed"]}
    ongoing = {row["qualification"]: row["progress"] for row in answer["in_progress"]}
    assert ongoing["nfx-sds-micromasters"] >= 0.4
