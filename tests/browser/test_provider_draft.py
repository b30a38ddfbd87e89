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
