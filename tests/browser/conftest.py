"""Real-browser fixtures: the app served on a free local port, and Debian's Chromium via Playwright.

The live server has a database of its own: the per-test savepoint of `db_session` lives on one
connection and cannot be shared with the server's request threads, so browser tests commit
their set-up data for real (`live_server.session()`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.conftest import PROJECT_ROOT, Factory, fresh_database, migrated_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@dataclass
class LiveServer:
    """Where the app answers, and a way to put data into its database."""

    url: str
    app: Flask

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in an app context of the live app, committed when the block ends."""
        from registry.db import db

        with self.app.app_context():
            yield db.session
            db.session.commit()

    @contextmanager
    def factory(self) -> Iterator[Factory]:
        """The test factory on the live database; what it makes is committed at the end."""
        with self.session() as session:
            yield Factory(session)


def buffered(app: Flask):
    """The app with each response body read whole before the server writes it.

    Werkzeug's server skips the body's close() when the browser drops the connection while
    the server drains the request; a static file's handle then leaks and, with warnings as
    errors, fails whichever test the garbage collector happens to run in.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a fresh migrated database, served by werkzeug on 127.0.0.1 in a thread."""
    with contextmanager(fresh_database)(tmp_path_factory.mktemp("live-db")) as url:
        app = migrated_app(url)
        server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["BASE_URL"] = base_url
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(base_url, app)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            app.extensions["registry.db"].engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium (never a downloaded browser); fails in CI when it is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: install Debian's chromium (`make test` does)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser, live_server: LiveServer) -> Iterator[object]:
    """A fresh browser context (no cookies) and page for each test, opened on the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture()
def screenshot(request: pytest.FixtureRequest) -> Callable[[object, str], Path]:
    """Save a full-page screenshot under test-artifacts/, named after the test and `name`."""

    def take(page, name: str) -> Path:
        test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        path = ARTIFACTS / f"{test}--{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
