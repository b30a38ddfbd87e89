"""In a real browser, a learner searches the catalogue, narrows it with facets and pages on."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from registry.interop.catalogue import import_catalogue
from tests.search.conftest import make_catalogue, oracle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def document(live_server) -> dict[str, Any]:
    """The search tests' catalogue, with ids of its own, imported into the live database."""
    document = make_catalogue(n=60, seed=11)
    renamed = {p["id"]: f"bs-{p['id']}" for p in document["providers"]}
    for provider in document["providers"]:
        provider["id"] = renamed[provider["id"]]
    for credential in document["credentials"]:
        credential["id"] = f"bs-{credential['id']}"
        credential["provider"] = renamed[credential["provider"]]
    with live_server.session() as session:
        import_catalogue(session, document, actor=None)
    return document


def count_heading(page: Page):
    return page.locator("#results-heading")


def shown_ids(page: Page) -> list[str]:
    links = page.locator(".result-title a")
    return [href.rsplit("/", 1)[-1] for href in links.evaluate_all("els => els.map(e => e.href)")]


def test_a_learner_searches_ticks_facets_and_pages(page: Page, document, screenshot) -> None:
    page.goto("/")
    page.get_by_label("Search the catalogue").fill("pottery")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page).to_have_url(re.compile(r"/search\?q=pottery$"))
    everything = oracle(document, ["pottery"])
    expect(count_heading(page)).to_have_text(f"{len(everything)} credentials for “pottery”")
    screenshot(page, "results")

    # One facet value, then a second facet: each narrows, and the URL says so.
    level = next(
        v for v in ("6", "7", "5", "8", "4", "3") if oracle(document, ["pottery"], {"level": [v]})
    )
    page.locator("#facet-level").get_by_label(re.compile(rf"^Level {level}\b")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(rf"level={level}"))
    narrowed = oracle(document, ["pottery"], {"level": [level]})
    expect(count_heading(page)).to_contain_text(f"{len(narrowed)} credential")
    assert set(shown_ids(page)) == {c["id"] for c in narrowed}
    expect(
        page.locator("#facet-level").get_by_label(re.compile(rf"^Level {level}\b"))
    ).to_be_checked()

    language = page.locator("#facet-language input").first
    value = language.get_attribute("value")
    language.check()
    page.get_by_role("button", name="Apply filters").click()
    both = oracle(document, ["pottery"], {"level": [level], "language": [value]})
    expect(count_heading(page)).to_contain_text(
        f"{len(both)} credential" if len(both) != 1 else "1 credential"
    )
    assert set(shown_ids(page)) == {c["id"] for c in both}
    screenshot(page, "two-facets")

    # A filter chip takes the filter off again.
    page.get_by_role("link", name=re.compile(r"Remove filter Language")).click()
    expect(count_heading(page)).to_contain_text(f"{len(narrowed)} credential")

    # Pages: a word every credential has, five to a page.
    page.goto("/search?q=studio&per_page=5&sort=newest")
    first = shown_ids(page)
    expect(page.get_by_role("navigation", name="Pages of results")).to_be_visible()
    page.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    second = shown_ids(page)
    assert len(first) == len(second) == 5 and not set(first) & set(second)
    expect(page.locator('.pagination [aria-current="page"]')).to_have_text("2")
    screenshot(page, "page-2")

    # A result opens its credential page.
    title = page.locator(".result-title a").first.inner_text()
    page.locator(".result-title a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def test_an_empty_search_helps_the_learner_on(page: Page, document, screenshot) -> None:
    page.goto("/search?q=potery&type=badge")

    expect(page.get_by_role("heading", name="No credentials match “potery”")).to_be_visible()
    expect(page.get_by_text("Check the spelling of “potery”")).to_be_visible()
    screenshot(page, "no-results")
    page.get_by_role("link", name="Search without the filters").click()
    expect(page).to_have_url(re.compile(r"/search\?q=potery$"))

    page.get_by_role("link", name="Search", exact=True).click()  # the menu link
    expect(page.get_by_role("heading", name="Popular subjects")).to_be_visible()
    screenshot(page, "browse")


def test_the_search_page_works_from_the_keyboard(page: Page, document) -> None:
    page.goto("/search")
    page.get_by_label("Search words").focus()
    page.keyboard.type("welding")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"q=welding"))
    expect(count_heading(page)).to_contain_text(f"{len(oracle(document, ['welding']))} credential")
