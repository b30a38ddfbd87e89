"""In a real browser, provider staff log in and save a new credential as a draft."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Page, email: str, screenshot=None) -> None:
    page.goto("/login")
    if screenshot:
        screenshot(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back")


def test_login_page_logs_provider_staff_in(page: Page, live_server, screenshot) -> None:
    with live_server.factory() as factory:
        provider = factory.provider(id="browser-login-uni", name="Browser Login University")
        user = factory.user("provider", provider=provider, email="login@browser-login.example")
        email = user.email

    log_in(page, email, screenshot)

    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


def test_wrong_password_keeps_the_visitor_on_the_login_page(page: Page, live_server) -> None:
    with live_server.factory() as factory:
        email = factory.user("learner", email="wrong@browser.example").email

    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_text("Email or password is wrong.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_provider_staff_save_a_new_credential_as_a_draft(
    page: Page, live_server, screenshot
) -> None:
    with live_server.factory() as factory:
        provider = factory.provider(id="browser-uni", name="Browser University", country="IE")
        factory.provider(id="other-uni", name="Other University")
        email = factory.user("provider", provider=provider, email="staff@browser-uni.example").email
    log_in(page, email)

    page.goto("/credentials/new")
    expect(page.get_by_role("heading", name="Add a credential")).to_be_visible()
    # Staff may choose only their own provider.
    provider_select = page.get_by_label("Awarding provider")
    expect(provider_select.locator("option", has_text="Other University")).to_have_count(0)
    provider_select.select_option("browser-uni")
    page.get_by_label("Identifier").fill("browser-sql-basics")
    page.get_by_label("Title").fill("SQL for Data Analysis")
    page.get_by_label("Description").fill("Querying relational data for everyday analysis.")
    page.get_by_label("Learning outcomes").fill(
        "Write SELECT queries with joins\nSummarise data with GROUP BY"
    )
    page.get_by_label("Type", exact=True).fill("micro-credential")
    page.get_by_label("EQF level").select_option(label="Level 5")
    page.get_by_label("Credits (notional workload)").fill("5")
    page.get_by_label("Credit unit").select_option("ECTS")
    page.get_by_label("Subjects").fill("0613, 0542")
    page.get_by_label("Languages of instruction").fill("en, ga")
    page.get_by_label("Duration").fill("6 weeks")
    page.get_by_label("Valid for (years)").fill("3")
    page.get_by_label("Type of assessment").fill("project")
    page.get_by_label("Form of participation").select_option(label="Blended")
    page.get_by_label("Quality assurance").fill("internal QA of the university")
    page.get_by_label("Price", exact=True).fill("450")
    page.get_by_label("Further information (URL)").fill("https://browser-uni.example/sql")
    screenshot(page, "form")
    page.get_by_role("button", name="Save draft").click()

    expect(page).to_have_url(re.compile(r"/credentials/browser-sql-basics$"))
    expect(page.get_by_role("status").first).to_contain_text("Saved the draft of SQL for Data")
    expect(page.get_by_role("heading", level=1)).to_have_text("SQL for Data Analysis")
    facts = page.locator("dl.facts")
    expect(fact(facts, "Status")).to_have_text("draft")
    expect(fact(facts, "Identifier")).to_have_text("browser-sql-basics")
    expect(fact(facts, "Awarding provider")).to_have_text("Browser University")
    expect(fact(facts, "Learning outcomes").get_by_role("listitem")).to_have_text(
        ["Write SELECT queries with joins", "Summarise data with GROUP BY"]
    )
    expect(fact(facts, "Credits")).to_have_text("5 ECTS")
    expect(fact(facts, "EQF level")).to_have_text("Level 5")
    expect(fact(facts, "Subjects").locator(".tag")).to_have_text(["0613", "0542"])
    expect(fact(facts, "Languages").locator(".tag")).to_have_text(["en", "ga"])
    expect(fact(facts, "Assessment")).to_have_text("project")
    expect(fact(facts, "Form of participation")).to_have_text("Blended")
    expect(fact(facts, "Price")).to_have_text("450")
    expect(fact(facts, "Validity")).to_have_text("3 years after the award")
    expect(fact(facts, "Further information")).to_have_text("https://browser-uni.example/sql")
    screenshot(page, "new-draft")

    # What the page shows is what was stored.
    from registry.credentials.models import Credential

    with live_server.session() as session:
        credential = session.get(Credential, "browser-sql-basics")
        assert credential is not None
        version = credential.current
        assert (credential.provider_id, version.status, version.number) == (
            "browser-uni",
            "draft",
            1,
        )
        assert version.credits == 5 and version.level == 5 and version.price == 450
        assert version.subjects == ["0613", "0542"] and version.languages == ["en", "ga"]
        assert version.participation_form == "blended" and version.valid_years == 3


def fact(facts, term: str):
    """The <dd> that follows the <dt> named `term` in a definition list."""
    return facts.locator(f"dt:text-is('{term}') + dd")
