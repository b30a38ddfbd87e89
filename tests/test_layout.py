"""The shared layout: landmarks, skip link, current nav item, home page and error pages."""

from __future__ import annotations

import re

import pytest

from tests.conftest import post_form


def nav_link(html: str, label: str) -> str:
    """The <a> tag of the main nav whose text is `label`."""
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    match = re.search(rf"<a [^>]*>{re.escape(label)}</a>", nav)
    assert match, f"no nav link {label!r}"
    return match.group(0)


def test_every_page_has_the_landmarks_and_a_skip_link_to_main(client) -> None:
    html = client.get("/").get_data(as_text=True)

    assert html.index('class="skip-link" href="#main"') < html.index("<header")
    assert '<main id="main" class="wrap" tabindex="-1">' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert '<footer class="site-footer">' in html


@pytest.mark.parametrize(
    ("path", "label", "current"),
    [
        ("/providers/", "Providers", 'aria-current="page"'),
        ("/credentials/", "Credentials", 'aria-current="page"'),
        ("/login", "Log in", 'aria-current="page"'),
    ],
)
def test_the_nav_marks_the_page_it_is_on(client, path: str, label: str, current: str) -> None:
    html = client.get(path).get_data(as_text=True)

    assert current in nav_link(html, label)
    others = [text for text in ("Credentials", "Providers", "Log in") if text != label]
    assert all("aria-current" not in nav_link(html, text) for text in others)


def test_a_page_inside_a_section_marks_its_nav_item_as_current_but_not_the_page(
    client, factory
) -> None:
    provider = factory.provider(id="layout-uni")

    html = client.get(f"/providers/{provider.id}").get_data(as_text=True)

    assert 'aria-current="true"' in nav_link(html, "Providers")


def test_the_home_page_invites_visitors_to_sign_up(client) -> None:
    html = client.get("/").get_data(as_text=True)

    assert "Create a learner account" in html
    assert "Where to start" in html
    assert 'href="/register"' in html


def test_the_home_page_sends_a_signed_in_learner_to_the_wallet(client, factory, auth) -> None:
    auth.login(factory.user("learner"))

    html = client.get("/").get_data(as_text=True)

    assert "Create a learner account" not in html
    assert "Record the credentials you hold" in html
    assert "Log out" in html


def test_the_not_found_page_explains_and_offers_a_way_on(client) -> None:
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)

    assert response.status_code == 404
    assert "<title>Not found" in html
    assert "We could not find that page" in html
    assert 'href="/">Go to the home page' in html
    assert 'href="/credentials/">browse the credentials' in html


def test_a_visitor_refused_a_page_is_offered_the_login_that_returns_there(client) -> None:
    response = client.get("/admin/users")
    html = response.get_data(as_text=True)

    # Either straight to the login page, or the 403 page with a login button back to here.
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code in (401, 403)
        assert "/login?next=%2Fadmin%2Fusers" in html


def test_a_signed_in_user_refused_a_page_is_told_who_they_are(client, factory, auth) -> None:
    auth.login(factory.user("learner", name="Lena Layout"))

    response = client.get("/admin/users")
    html = response.get_data(as_text=True)

    assert response.status_code == 403
    assert "You do not have access to this page" in html
    assert "logged in as Lena Layout" in html
    assert "/login?next=" not in html


def test_the_error_page_goes_back_only_to_this_site(client) -> None:
    here = client.get("/no-such-page", headers={"Referer": "http://localhost/providers/"})
    elsewhere = client.get("/no-such-page", headers={"Referer": "https://evil.example/"})

    assert 'href="http://localhost/providers/">Go back' in here.get_data(as_text=True)
    assert "Go back" not in elsewhere.get_data(as_text=True)
    assert "evil.example" not in elsewhere.get_data(as_text=True)


def test_a_refused_form_lists_its_problems_at_the_top_with_links_to_the_fields(client) -> None:
    response = post_form(client, "/register", {"name": "", "email": "not-an-email"})
    html = response.get_data(as_text=True)
    summary = html[html.index('class="alert alert-error error-summary"') :]
    summary = summary[: summary.index("</div>")]

    assert "Nothing was saved." in summary
    assert '<a href="#name">' in summary
    assert '<a href="#email">' in summary
    assert summary.index("#name") < summary.index("#email")  # in the order of the form
