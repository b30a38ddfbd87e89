"""In a real browser: a qualification's pathway picture is visible, its boxes are links a
keyboard can follow, and the picture scales down on a narrow screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def diploma(live_server) -> str:
    """A diploma of two courses and a nested certificate (2 of 3 modules), and a degree on top."""
    with live_server.factory() as factory:
        provider = factory.provider(id="pw-uni", name="Pathway University")
        for n in range(1, 6):
            factory.credential(provider, f"pw-course-{n}", title=f"Pathway course {n}", credits=5)
        factory.credential(
            provider,
            "pw-cert",
            title="Certificate in Paths",
            type="certificate",
            credits=10,
            requirements={
                "at_least": 2,
                "of": [{"credential": f"pw-course-{n}"} for n in (3, 4, 5)],
            },
        )
        factory.credential(
            provider,
            "pw-diploma",
            title="Diploma in Paths",
            type="diploma",
            credits=30,
            requirements={
                "all": [
                    {"credential": "pw-course-1"},
                    {"credential": "pw-course-2"},
                    {"credential": "pw-cert"},
                ]
            },
        )
        factory.credential(
            provider,
            "pw-degree",
            title="Degree in Paths",
            requirements={"credential": "pw-diploma"},
        )
        factory.publish(
            *(f"pw-course-{n}" for n in range(1, 6)),
            "pw-cert",
            "pw-diploma",
            "pw-degree",
        )
    return "pw-diploma"


def test_a_pathway_box_is_followed_by_keyboard(page: Page, diploma, screenshot) -> None:
    page.goto(f"/credentials/{diploma}")
    picture = page.locator("svg.pathway-svg")
    expect(picture).to_be_visible()
    expect(page.get_by_role("heading", name="What it takes")).to_be_visible()
    box = picture.locator('a[data-key="pw-cert"]')
    expect(box).to_be_visible()
    # Each box is a link named by its whole title and what it is.
    expect(
        picture.get_by_role("link", name="Certificate in Paths: Qualification · 10 ECTS")
    ).to_have_attribute("href", "/credentials/pw-cert")
    assert picture.bounding_box()["width"] > 500
    page.locator("#how-it-stacks").scroll_into_view_if_needed()
    screenshot(page, "qualification")

    # Tab from the top of the page until the certificate's box has the focus.
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('data-key')") == "pw-cert":
            break
    else:
        pytest.fail("the certificate's box never took the keyboard focus")
    expect(box).to_be_focused()
    screenshot(page, "focused")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/credentials/pw-cert$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate in Paths")
    expect(page.locator('svg.pathway-svg a[aria-current="page"]')).to_have_attribute(
        "data-key", "pw-cert"
    )
    screenshot(page, "followed")


def test_the_picture_fits_a_narrow_screen(page: Page, diploma, screenshot) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/credentials/{diploma}")
    picture = page.locator("svg.pathway-svg")
    expect(picture).to_be_visible()
    # The list is there for screen readers and for anyone who opens it.
    page.get_by_text("The picture as a list").click()
    expect(page.locator(".pathway-list li[data-key=pw-degree] > a")).to_be_visible()
    screenshot(page, "narrow")
