"""The main pages, scanned with axe-core in a real browser, at desktop and at phone width.

axe-core comes from the npm registry at the version pinned in tests/browser/package-lock.json
(`make test` runs `npm ci --prefix tests/browser`) and is injected into each page by Playwright.
A violation of impact "serious" or "critical" fails the test, naming the rule and the elements.
Pages that other features add (search, the learner's wallet and qualifications) are scanned as
soon as their routes exist. Every scanned page is saved as a screenshot under test-artifacts/.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from werkzeug.serving import make_server

from tests.browser.conftest import ARTIFACTS, buffered
from tests.conftest import Factory, fresh_database, migrated_app

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# How many pixels the page is wider than the window (more than 0: a sideways scroll bar).
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Demo records the pages below show (from registry/demo/catalogue.json).
CREDENTIAL = "nfx-sds-prob"
QUALIFICATION = "nfx-sds-micromasters"
PROVIDER = "northfield"
DRAFT = "a11y-draft"  # made by the fixture: a draft of the demo provider


@dataclass(frozen=True)
class Target:
    """A page to scan: a fixed path, or every argument-free page of a blueprint."""

    name: str
    path: str | None = None
    role: str | None = None  # which demo account is logged in (None: a visitor)
    endpoint: str | None = None  # skipped while the app has no such endpoint
    blueprint: str | None = None  # for pages other features add: all their GET pages
    status: int = 200


TARGETS = [
    Target("home", "/"),
    Target("credentials", "/credentials/"),
    Target("credential", f"/credentials/{CREDENTIAL}"),
    Target("qualification", f"/credentials/{QUALIFICATION}"),
    Target("providers", "/providers/"),
    Target("provider", f"/providers/{PROVIDER}"),
    Target("login", "/login"),
    Target("register", "/register"),
    Target("not-found", "/no-such-page", status=404),
    Target("forbidden", "/admin/users", role="learner", status=403),
    Target("account", "/account/tokens", role="learner"),
    Target("search", blueprint="search"),
    Target("search-results", "/search?q=data", endpoint="search.index"),
    Target("search-nothing-found", "/search?q=zzqxj", endpoint="search.index"),
    Target("pathway", f"/credentials/{QUALIFICATION}/pathway", endpoint="pathways.page"),
    Target("learner", blueprint="wallet", role="learner"),
    Target("password", "/account/password", role="learner"),
    Target("new-credential", "/credentials/new", role="provider"),
    Target("provider-staff", f"/providers/{PROVIDER}", role="provider"),
    Target("draft", f"/credentials/{DRAFT}", role="provider"),
    Target("edit-draft", f"/credentials/{DRAFT}/edit", role="provider"),
    Target("submissions", "/review/submissions/", role="coordinator"),
    Target("review-record", "/review/submissions/{record}", role="coordinator"),
    Target("submission", "/review/submissions/{submission}", role="coordinator"),
    Target("assign-submission", "/reviews/assign/{submission}", role="coordinator"),
    Target("scoring-form", "/reviews/{assignment}", role="reviewer"),
    Target("submission-for-staff", "/review/submissions/{submission}", role="provider"),
    Target("qa-dashboard", "/review/dashboard", role="coordinator"),
    Target("assign-reviewers", "/reviews/assign", role="coordinator"),
    Target("my-reviews", "/reviews/", role="reviewer"),
    Target("rubrics", "/review/rubrics/", role="admin"),
    Target("rubric", "/review/rubrics/versions/{rubric}", role="admin"),
    Target("users", "/admin/users", role="admin"),
    Target("user-form", "/admin/users/new", role="admin"),
    Target("provider-form", f"/providers/{PROVIDER}/edit", role="admin"),
    Target("competing-interests", "/reviews/conflicts", role="reviewer"),
]


@dataclass
class DemoServer:
    url: str
    app: Flask
    ids: dict[str, object]  # of the records made for the review pages, for Target.path


def review_pages_data(session) -> dict[str, object]:
    """A provider's draft, a review record, and a submission in review whose reviewer has
    accepted, so the staff, QA and reviewer pages have rows and forms to show."""
    from sqlalchemy import select

    from registry.auth.services import get_user_by_email
    from registry.credentials.services import get_credential
    from registry.review import services
    from registry.review.assignment import assign_reviewers
    from registry.review.models import RubricVersion
    from registry.review.reviews import accept_assignment
    from tests.review.review_world import complete_credential

    factory = Factory(session)
    factory.credential(
        PROVIDER,
        DRAFT,
        title="Responsible AI in Practice",
        description="Assess and document the risks of a machine-learning system.",
        credits=4,
        level=6,
    )
    coordinator = get_user_by_email(session, "coordinator@demo.example")
    staff = get_user_by_email(session, "provider@demo.example")
    reviewer = get_user_by_email(session, "reviewer@demo.example")
    record = services.open_review_record(
        session, get_credential(session, CREDENTIAL), actor=coordinator
    )
    reviewed = complete_credential(
        factory, PROVIDER, id="a11y-in-review", title="Data Ethics for Analysts", subjects=["0542"]
    )
    submission = services.submit_credential(session, reviewed, actor=staff)
    services.take_action(session, submission, "send_to_review", actor=coordinator)
    session.flush()
    session.expire(submission)
    (assignment,) = assign_reviewers(session, submission, [reviewer], actor=coordinator)
    accept_assignment(session, assignment, "none", actor=reviewer)
    rubric = session.scalar(select(RubricVersion.id).where(RubricVersion.current.is_(True)))
    return {
        "record": record.id,
        "submission": submission.id,
        "assignment": assignment.id,
        "rubric": rubric,
    }


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The app with the demo catalogue and accounts, on a database of its own (the shared live
    server's data belongs to the other browser tests)."""
    from registry.db import db
    from registry.demo.seed import seed_demo

    with contextmanager(fresh_database)(tmp_path_factory.mktemp("a11y-db")) as url:
        app = migrated_app(url)
        with app.app_context():
            seed_demo(db.session)
            ids = review_pages_data(db.session)
            db.session.commit()
        server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="a11y-server", daemon=True)
        thread.start()
        try:
            yield DemoServer(f"http://127.0.0.1:{server.server_port}", app, ids)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            app.extensions["registry.db"].engine.dispose()


@pytest.fixture(scope="module")
def axe_source() -> Path:
    """axe.min.js as `npm ci` installed it; a clear failure (CI) or skip when it is missing."""
    if not AXE.is_file():
        message = f"{AXE} is missing: run `make axe` (npm ci --prefix tests/browser)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return AXE


@pytest.fixture(scope="module")
def logged_in_states(browser: Browser, demo_server: DemoServer) -> dict[str, dict]:
    """Cookies of each demo account after logging in once through the real form, by role."""
    from registry.demo.seed import DEMO_PASSWORD, DEMO_USERS

    states: dict[str, dict] = {}
    for demo in DEMO_USERS:
        context = browser.new_context(base_url=demo_server.url)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(demo.email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        states[demo.role] = context.storage_state()
        context.close()
    return states


@contextmanager
def browsing(browser: Browser, server: DemoServer, states: dict, role: str | None):
    """A fresh context, logged in as the demo account of `role` (or a visitor)."""
    context: BrowserContext = browser.new_context(
        base_url=server.url, viewport=DESKTOP, storage_state=states[role] if role else None
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def paths_of(target: Target, server: DemoServer) -> list[tuple[str, str]]:
    """(label, path) of each page `target` names; empty while the feature has no such route."""
    if target.path is not None:
        return [(target.name, target.path.format_map(server.ids))]
    pages = []
    for rule in server.app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != target.blueprint or rule.arguments:
            continue
        if "GET" not in (rule.methods or ()) or rule.rule.startswith("/api/"):
            continue
        pages.append((f"{target.name}-{rule.endpoint.split('.', 1)[1]}", rule.rule))
    return sorted(pages)


def axe_violations(page: Page, axe: Path) -> list[dict]:
    """The serious and critical violations axe-core finds in the page as it is now."""
    page.add_script_tag(path=str(axe))
    results = page.evaluate(
        """async () => await axe.run(document, {resultTypes: ["violations"]})"""
    )
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def save(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"a11y--{name}.png"), full_page=True)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_page_has_no_serious_accessibility_violations(
    target: Target, browser, demo_server, logged_in_states, axe_source
) -> None:
    if target.endpoint and target.endpoint not in demo_server.app.view_functions:
        pytest.skip(f"no {target.endpoint} page yet")
    pages = paths_of(target, demo_server)
    if not pages:
        pytest.skip(f"no {target.blueprint} pages yet")
    problems = []
    with browsing(browser, demo_server, logged_in_states, target.role) as page:
        for label, path in pages:
            response = page.goto(path)
            assert response is not None
            assert response.status == target.status, f"{path} answered {response.status}"
            for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(viewport)
                violations = axe_violations(page, axe_source)
                if violations:
                    problems.append(f"{path} at {width} width:\n{describe(violations)}")
                save(page, f"{label}--{width}")
                if target.path is not None:
                    # The layout fits the screen: wide content scrolls inside its own box.
                    overflow = page.evaluate(OVERFLOW)
                    assert overflow <= 0, f"{path} is {overflow}px wider than a {width} screen"
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_main(
    browser, demo_server, logged_in_states
) -> None:
    with browsing(browser, demo_server, logged_in_states, None) as page:
        page.goto(f"/credentials/{QUALIFICATION}")

        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        save(page, "skip-link--desktop")

        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        # The next Tab goes on from the content, not back to the header.
        page.keyboard.press("Tab")
        in_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
        assert in_main


def test_nav_marks_the_current_page_and_wraps_on_a_phone(
    browser, demo_server, logged_in_states
) -> None:
    with browsing(browser, demo_server, logged_in_states, "coordinator") as page:
        page.set_viewport_size(PHONE)
        page.goto(f"/credentials/{CREDENTIAL}")
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Credentials")).to_have_attribute(
            "aria-current", "true"
        )
        page.goto("/providers/")
        expect(nav.get_by_role("link", name="Providers")).to_have_attribute("aria-current", "page")
        expect(nav.get_by_role("link", name="Credentials")).not_to_have_attribute(
            "aria-current", "page"
        )
        # Every link of the main menu is on screen without a script or a hidden menu.
        for link in nav.get_by_role("link").all():
            expect(link).to_be_in_viewport()
        expect(nav.get_by_role("button", name="Log out")).to_be_visible()
        save(page, "nav-coordinator--phone")
