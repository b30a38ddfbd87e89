"""In a real browser, a learner builds a wallet and watches a qualification fill up."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from registry.credentials.catalogue import bump_revision
from registry.credentials.models import Credential
from tests.browser.test_provider_draft import log_in

pytestmark = pytest.mark.browser

COURSES = ("bw-data-basics", "bw-python", "bw-statistics")


@pytest.fixture(scope="module")
def catalogue(live_server) -> str:
    """A small published stack on the live server; returns the learner's email."""
    with live_server.factory() as factory:
        provider = factory.provider(id="bw-wallet-uni", name="Wallet Browser University")
        titles = ("Data basics", "Programming in Python", "Applied statistics")
        for ident, title, price in zip(COURSES, titles, (120, 240, 180), strict=True):
            factory.credential(
                provider, ident, title=title, credits=5, level=6, subjects=["0542"], price=price
            )
        for n in (1, 2, 3):
            factory.credential(
                provider, f"bw-badge-{n}", title=f"Open data badge {n}", credits=1, level=5
            )
        factory.credential(
            provider,
            "bw-cert",
            title="Certificate in data analysis",
            type="certificate",
            requirements={"all": [{"credential": ident} for ident in COURSES]},
        )
        factory.credential(
            provider,
            "bw-diploma",
            title="Diploma in data science",
            type="diploma",
            requirements={
                "all": [
                    {"credential": "bw-cert"},
                    {"count": 2, "where": {"credentials": [f"bw-badge-{n}" for n in (1, 2, 3)]}},
                ]
            },
        )
        session = factory.session
        for ident in (*COURSES, "bw-badge-1", "bw-badge-2", "bw-badge-3", "bw-cert", "bw-diploma"):
            credential = session.get(Credential, ident)
            credential.current.status = "published"
            credential.published = credential.current
        bump_revision(session)
        return factory.user("learner", email="learner@wallet-browser.example", name="Wren").email


def certificate_progress(page: Page) -> str:
    """Open My qualifications and read the certificate's bar (its value, or "done")."""
    page.goto("/wallet/progress")
    card = page.locator('li[data-qualification="bw-cert"]')
    expect(card).to_be_visible()
    return card.locator("progress").get_attribute("value") or ""


def test_a_learner_builds_a_wallet_and_completes_a_qualification(
    page: Page, live_server, catalogue, screenshot
) -> None:
    log_in(page, catalogue)
    page.get_by_role("link", name="My wallet").click()
    expect(page.get_by_role("heading", name="Your wallet is empty")).to_be_visible()
    screenshot(page, "1-empty-wallet")

    # As the learner types, the chooser offers the catalogue search's matches.
    badge = page.locator('#credential-suggestions option[value="bw-badge-3"]')
    expect(badge).to_have_count(0)  # not a next step of any qualification
    page.get_by_label("Credential", exact=True).fill("Open data badge 3")
    expect(badge).to_have_count(1)

    seen = [int(certificate_progress(page))]
    screenshot(page, "2-progress-before")
    for ident in COURSES:
        page.goto("/wallet")
        page.get_by_label("Credential", exact=True).fill(ident)
        page.get_by_label("Date earned").fill("2025-03-01")
        page.get_by_label("Result (optional)").fill("B+")
        page.get_by_role("button", name="Add to my wallet").click()
        expect(page.get_by_role("status")).to_contain_text("Added")
        seen.append(int(certificate_progress(page)))
        if ident == COURSES[1]:
            screenshot(page, "3-progress-under-way")

    assert seen[0] < seen[1] < seen[2] < seen[3] == 100, seen
    certificate = page.locator('li[data-qualification="bw-cert"]')
    expect(certificate.locator(".status-completed")).to_have_text("completed")
    certificate.get_by_text("Which of your credentials counted for which part").click()
    expect(certificate.get_by_role("table")).to_contain_text("Programming in Python")
    diploma = page.locator('li[data-qualification="bw-diploma"]')
    expect(diploma.locator("ol.wallet-plan li")).to_have_count(2)
    screenshot(page, "4-certificate-completed")

    # Two badges as a JSON list complete the diploma too.
    page.goto("/wallet")
    page.get_by_label("Entries as JSON").fill(
        json.dumps(
            [
                {"credential": "bw-badge-1", "earned_on": "2025-06-01"},
                {"credential": "bw-badge-2", "earned_on": "2025-07-01", "result": 95},
            ]
        )
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 2 entries")
    expect(page.locator("table.wallet-table tbody tr")).to_have_count(5)
    screenshot(page, "5-wallet-after-import")
    page.goto("/wallet/progress")
    expect(
        page.locator('li[data-qualification="bw-diploma"][data-status="completed"]')
    ).to_be_visible()

    # Removing a course takes both back to in progress.
    page.goto("/wallet")
    page.get_by_role("button", name="Remove Programming in Python earned 2025-03-01").click()
    expect(page.get_by_role("status")).to_contain_text("Removed Programming in Python")
    expect(page.locator("table.wallet-table tbody tr")).to_have_count(4)
    assert int(certificate_progress(page)) < 100
    expect(
        page.locator('li[data-qualification="bw-diploma"][data-status="in_progress"]')
    ).to_be_visible()
    screenshot(page, "6-after-removing")

    # The credential page shows where the course counts, with the learner's progress.
    page.goto("/credentials/bw-python")
    counts = page.locator("section.wallet-counts")
    expect(counts.locator('li[data-qualification="bw-cert"] progress')).to_be_visible()
    screenshot(page, "7-credential-counts-toward")


def test_a_bad_import_names_the_entry_and_adds_nothing(
    page: Page, live_server, catalogue, screenshot
) -> None:
    with live_server.factory() as factory:
        email = factory.user("learner", email="careful@wallet-browser.example").email
    log_in(page, email)
    page.goto("/wallet")

    page.get_by_label("Entries as JSON").fill(
        json.dumps(
            [
                {"credential": "bw-python", "earned_on": "2025-03-01"},
                {"credential": "bw-statistics", "earned_on": "2025-02-30"},
            ]
        )
    )
    page.get_by_role("button", name="Import").click()

    expect(page.locator("#entries-errors")).to_contain_text("entries[1].earned_on")
    expect(page.get_by_role("heading", name="Your wallet is empty")).to_be_visible()
    screenshot(page, "import-refused")


def test_a_title_that_is_not_exact_offers_a_choice(
    page: Page, live_server, catalogue, screenshot
) -> None:
    with live_server.factory() as factory:
        email = factory.user("learner", email="chooser@wallet-browser.example").email
    log_in(page, email)
    page.goto("/wallet")

    page.get_by_label("Credential", exact=True).fill("data")
    page.get_by_label("Date earned").fill("2025-04-01")
    page.get_by_role("button", name="Add to my wallet").click()

    choices = page.get_by_role("group", name="Published credentials found for “data”")
    expect(choices).to_be_visible()
    screenshot(page, "choose")
    choices.get_by_label("Data basics").check()
    page.get_by_role("button", name="Add the chosen credential").click()
    expect(page.get_by_role("status")).to_contain_text("Added Data basics (earned 2025-04-01)")
