"""In a real browser, a qualification goes from draft to published through quality review.

Provider staff submit it, a coordinator sends it to review and assigns reviewers automatically,
three reviewers accept and score it on the scoring form, the coordinator approves it; then it
is published and counts in stacking (POST /api/v1/evaluate).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.test_provider_draft import fact, log_in

pytestmark = pytest.mark.browser

QUALIFICATION = "hp-data-cert"
TITLE = "Certificate in Applied Data Analysis"
COMPONENTS = ("hp-stats", "hp-python")
# The one criterion the first reviewer scores below met (the form then asks for a comment).
PARTLY = "IG1"


@pytest.fixture()
def review_world(live_server):
    """The default rubric, a provider with two published components and a complete draft
    qualification built on them, its staff, a coordinator, three external reviewers and one
    reviewer who shares the provider's email domain (never eligible)."""
    from registry.credentials.catalogue import bump_revision
    from registry.review.rubrics import create_default_rubric

    with live_server.factory() as factory:
        session = factory.session
        create_default_rubric(session)
        provider = factory.provider(
            id="harbour-poly",
            name="Harbour Polytechnic",
            country="IE",
            email_domains=["harbour-poly.example"],
        )
        complete = {
            "learning_outcomes": ["Clean and summarise a data set", "Fit and read a model"],
            "level": 6,
            "subjects": ["0542"],
            "languages": ["en"],
            "assessment_type": "Graded project with an oral defence",
            "participation_form": "blended",
            "quality_assurance": "Harbour Polytechnic academic council; external examiner",
        }
        for ident, title in zip(
            COMPONENTS, ("Statistics for Analysts", "Python for Data"), strict=True
        ):
            component = factory.credential(provider, ident, title=title, credits=5, **complete)
            # Components enter the catalogue published (as an import would publish them).
            component.current.status = "published"
            component.published = component.current
        factory.credential(
            provider,
            QUALIFICATION,
            title=TITLE,
            type="certificate",
            credits=10,
            requirements={"all": [{"credential": c} for c in COMPONENTS]},
            **complete,
        )
        bump_revision(session)
        staff = factory.user("provider", provider=provider, email="staff@harbour-poly.example")
        coordinator = factory.user(
            "coordinator", email="cora@qa-office.example", name="Cora Coordinator"
        )
        reviewers = [
            factory.user(
                "reviewer",
                email=f"{name.split()[0].lower()}@{domain}",
                name=name,
                expertise=["0542"],
            )
            for name, domain in (
                ("Rui Reviewer", "reviews.example"),
                ("Rosa Reviewer", "qa-experts.example"),
                ("Ravi Reviewer", "university-review.example"),
            )
        ]
        insider = factory.user(
            "reviewer", email="insider@harbour-poly.example", name="Ines Insider"
        )
        return {
            "staff": staff.email,
            "coordinator": coordinator.email,
            "reviewers": [r.email for r in reviewers],
            "insider": insider.email,
        }


@contextmanager
def signed_in(browser, live_server, email: str) -> Iterator[Page]:
    """A fresh browser context (its own cookies) logged in as `email`."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, email)
        yield page
    finally:
        context.close()


def completed_qualifications(browser, live_server) -> list[str]:
    """What POST /api/v1/evaluate says a wallet of both components completes (no login)."""
    context = browser.new_context(base_url=live_server.url)
    try:
        wallet = [{"credential": c, "earned_on": "2026-01-15"} for c in COMPONENTS]
        response = context.request.post("/api/v1/evaluate", data={"wallet": wallet})
        assert response.status == 200, response.text()
        return [c["qualification"] for c in response.json()["completed"]]
    finally:
        context.close()


def the_submission(live_server) -> tuple[int, str]:
    """The id and state of the qualification's submission, read from the live database."""
    from registry.review.models import Submission

    with live_server.session() as session:
        submission = session.scalars(
            select(Submission).where(Submission.credential_id == QUALIFICATION)
        ).one()
        return submission.id, submission.state


def test_a_qualification_is_reviewed_approved_and_then_counts_in_stacking(
    page: Page, browser, live_server, review_world, screenshot
) -> None:
    from registry.credentials.models import Credential
    from registry.review.models import Assignment, Review

    assert QUALIFICATION not in completed_qualifications(browser, live_server)

    # 1. Provider staff submit the complete draft from its page.
    log_in(page, review_world["staff"])
    page.goto(f"/credentials/{QUALIFICATION}")
    page.get_by_role("button", name="Submit for review").click()
    # The provider lands on the submission's page, without any reviewer on it yet.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review of {TITLE}")
    expect(fact(page.locator("dl.facts"), "State")).to_contain_text("submitted")
    screenshot(page, "1-provider-submitted")

    # 2. The coordinator sends it to review, then assigns every waiting submission at once.
    with signed_in(browser, live_server, review_world["coordinator"]) as qa:
        qa.goto("/review/submissions/")
        qa.get_by_role("link", name=TITLE).click()
        expect(qa.get_by_role("heading", level=1)).to_have_text(f"Review of {TITLE}")
        qa.get_by_role("button", name="Send to review").click()
        expect(fact(qa.locator("dl.facts"), "State")).to_contain_text("in review")
        expect(fact(qa.locator("dl.facts"), "Rubric")).to_contain_text(
            "EU micro-credential quality rubric, version"
        )
        qa.goto("/reviews/assign")
        qa.get_by_role("button", name="Assign all waiting automatically").click()
        expect(qa.get_by_role("status").first).to_contain_text("Asked 3 reviewers")
        screenshot(qa, "2-coordinator-assigned")

    submission_id, _ = the_submission(live_server)
    with live_server.session() as session:
        assigned = session.scalars(
            select(Assignment).where(Assignment.submission_id == submission_id)
        ).all()
        assigned_emails = sorted(a.reviewer.email for a in assigned)
    assert len(assigned_emails) == 3
    assert review_world["insider"] not in assigned_emails  # shares the provider's domain
    assert not any(e.endswith("@harbour-poly.example") for e in assigned_emails)

    # 3. Each reviewer accepts (declaring no competing interest) and scores every criterion.
    for number, email in enumerate(assigned_emails, start=1):
        with signed_in(browser, live_server, email) as reviewer:
            reviewer.goto("/reviews/")
            row = reviewer.get_by_role("row").filter(has_text=TITLE)
            row.get_by_role("link", name="Accept").click()
            reviewer.get_by_label(
                "I have no competing interests with this credential or its provider"
            ).check()
            reviewer.get_by_role("button", name="Accept the review").click()
            expect(reviewer.get_by_role("heading", name="Score the credential")).to_be_visible()
            # Blind: nobody else's review shows before one's own is in.
            expect(reviewer.get_by_text("stay hidden until you submit your own")).to_be_visible()
            score_every_criterion(reviewer, partly=number == 1)
            if number == 1:
                # A level below met without a comment is refused, criterion by criterion.
                reviewer.get_by_role("button", name="Submit the review").click()
                errors = reviewer.locator(f"#criterion-{PARTLY} .errors")
                expect(errors).to_contain_text("explain what is missing")
                screenshot(reviewer, "3-scoring-form-refused")
                reviewer.get_by_label(f"Comment on {PARTLY}").fill(
                    "Say whom learners ask about recognition of prior learning."
                )
                screenshot(reviewer, "3-scoring-form-filled")
            reviewer.get_by_role("button", name="Submit the review").click()
            expect(reviewer.get_by_role("status").first).to_contain_text("your review is submitted")
            expect(reviewer.get_by_role("heading", name="Your review", exact=True)).to_be_visible()
            if number == 3:
                # Now the other two reviews are visible to this reviewer.
                others = reviewer.locator("section[aria-labelledby=others-heading]")
                expect(others.get_by_text("Reviewer", exact=False).first).to_be_visible()
                screenshot(reviewer, "4-reviewer-sees-the-others")

    with live_server.session() as session:
        reviews = session.scalars(
            select(Review).join(Assignment).where(Assignment.submission_id == submission_id)
        ).all()
        assert len(reviews) == 3
        assert all(r.recommendation == "approve" and r.confidence == 4 for r in reviews)
    assert the_submission(live_server) == (submission_id, "decision_pending")
    # Not published yet: stacking does not count it.
    assert QUALIFICATION not in completed_qualifications(browser, live_server)

    # 4. The coordinator reads the aggregate and approves on the submission page.
    with signed_in(browser, live_server, review_world["coordinator"]) as qa:
        qa.goto(f"/review/submissions/{submission_id}")
        expect(fact(qa.locator("dl.facts"), "State")).to_contain_text("decision pending")
        aggregate = qa.locator("section[aria-labelledby=aggregate-heading]")
        expect(aggregate).to_contain_text("passes")
        expect(aggregate).to_contain_text(re.compile(r"approve.{0,40}recommendation", re.I))
        expect(qa.locator("section[aria-labelledby=reviews-heading] article")).to_have_count(3)
        screenshot(qa, "5-coordinator-decision")
        approve = qa.locator("form.decision", has=qa.get_by_role("heading", name="Approve"))
        approve.get_by_label("Reason").fill("Three reviewers agree; every essential is met.")
        approve.get_by_role("button", name="Approve and publish").click()
        expect(fact(qa.locator("dl.facts"), "State")).to_contain_text("published")
        expect(qa.get_by_role("status").first).to_contain_text("approved")
        screenshot(qa, "6-coordinator-approved")

    # 5. Published: the public page says so, and the components now complete it in stacking.
    public_context = browser.new_context(base_url=live_server.url)
    try:
        public = public_context.new_page()
        public.goto(f"/credentials/{QUALIFICATION}")
        expect(public.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(fact(public.locator("dl.facts"), "Status")).to_have_text("published")
    finally:
        public_context.close()
    assert QUALIFICATION in completed_qualifications(browser, live_server)
    with live_server.session() as session:
        credential = session.get(Credential, QUALIFICATION)
        assert credential.published_version_id == credential.current_version_id
        assert credential.published.status == "published"
    assert the_submission(live_server) == (submission_id, "published")


def score_every_criterion(page: Page, *, partly: bool) -> None:
    """Met on every criterion (Exemplary on the first), Partly on PARTLY when asked; approve."""
    criteria = page.locator("fieldset.criterion")
    codes = [
        re.sub(r"^criterion-", "", c) for c in criteria.evaluate_all("fs => fs.map(f => f.id)")
    ]
    assert len(codes) >= 10  # the default rubric: the ten EU principles, some with two criteria
    for index, code in enumerate(codes):
        level = "2 · Met"
        if index == 0:
            level = "3 · Exemplary"
        if partly and code == PARTLY:
            level = "1 · Partly"
        page.locator(f"#criterion-{code}").get_by_label(level, exact=True).check()
    page.get_by_label("Approve: publish as it stands").check()
    page.get_by_label("4 · confident", exact=True).check()
