"""Shared fixtures: one migrated database per test session, a savepoint per test, CSRF on.

The database is SQLite unless DATABASE_URL names a PostgreSQL server, in which case a fresh
database is created on that server for the session and dropped at the end.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from config import TestingConfig
from registry import create_app
from registry.cli import alembic_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"
PASSWORD = "correct horse battery"


def _server_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    return url if url and url.startswith("postgresql") else None


DATABASE_FREE = PROJECT_ROOT / "tests" / "stacking"  # the pure stacking core's tests
DATABASE_FIXTURES = {"database_url", "live_server"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With REGISTRY_TESTS=database, leave out the tests that reach no database.

    CI runs the suite on SQLite and again on PostgreSQL. The pure stacking core's tests (no
    Flask, no SQLAlchemy; its property tests are most of the suite's time) answer the same
    on both, so the second run deselects them; pytest reports how many.
    """
    if os.environ.get("REGISTRY_TESTS") != "database":
        return
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        free = item.path.is_relative_to(DATABASE_FREE)
        if free and not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            left_out.append(item)
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, empty database for this test session."""
    yield from fresh_database(tmp_path_factory.mktemp("db"))


def fresh_database(folder: Path) -> Iterator[str]:
    """Yield the URL of a new empty database (SQLite file, or a PostgreSQL database)."""
    server = _server_url()
    if server is None:
        yield f"sqlite:///{folder / 'registry.sqlite3'}"
        return
    url = make_url(server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"registry_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_app(url: str, **overrides: Any) -> Flask:
    """An app on `url` with the schema built by the migrations (never create_all)."""
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    config.update(DATABASE_URL=url, **overrides)
    app = create_app(config)
    with app.app_context():
        command.upgrade(alembic_config(url), "head")
    return app


def _fresh_request_globals(sender: Flask, **_extra: Any) -> None:
    """Test requests share the test's app context; each still starts with its own `g`.

    Otherwise the previous request's user and CSRF token leak into the next one. The
    database session is kept: it is the test's savepoint session. What the test set up is
    committed first (a savepoint release), as it would be in the database before a real
    request; else a view's rollback after a refused form would undo the test's own data.
    """
    for key in [k for k in vars(g) if k != "db_session"]:
        g.pop(key)
    if (session := g.get("db_session")) is not None:
        session.commit()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[str]:
    """scrypt at a test work factor (same algorithm and code, ~100x faster); yields the real one."""
    from registry.auth import services

    production = services.PASSWORD_HASH_METHOD
    services.PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    yield production
    services.PASSWORD_HASH_METHOD = production


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = migrated_app(database_url)
    request_started.connect(_fresh_request_globals, app)
    yield app
    app.extensions["registry.db"].engine.dispose()


@pytest.fixture()
def db_session(app: Flask) -> Iterator[Session]:
    """The app's session for this test, inside a transaction that is rolled back afterwards.

    Commits made by views and services release savepoints only, so every test starts clean.
    """
    state = app.extensions["registry.db"]
    connection = state.engine.connect()
    outer = connection.begin()
    original = state.sessionmaker
    state.sessionmaker = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    with app.app_context():
        from registry.db import db

        yield db.session
    state.sessionmaker = original
    outer.rollback()
    connection.close()
    # The per-process catalogue cache is keyed by revision; a rolled-back test's catalogue
    # must not be served to the next test that reaches the same revision number.
    from registry.credentials.catalogue import _cache

    _cache.clear()


@pytest.fixture()
def client(app: Flask, db_session: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask, db_session: Session):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form at `url` (CSRF stays on in tests, as in production)."""
    response = client.get(url)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no csrf token on {url} ({response.status_code})"
    return match.group(1)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], *, form_url: str | None = None, **kw: Any
):
    """POST `data` to `url` with a fresh CSRF token taken from `form_url` (default `url`)."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kw)


class Factory:
    """Makes providers, users and credentials through the real services."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def provider(self, id: str | None = None, **fields: Any):
        from registry.credentials.fields import new_ctid
        from registry.providers.models import Provider

        n = self._next()
        provider = Provider(
            id=id or f"provider-{n}",
            ctid=new_ctid(),
            name=fields.pop("name", f"Provider {n}"),
            country=fields.pop("country", "IE"),
            email_domains=fields.pop("email_domains", [f"provider-{n}.example"]),
            **fields,
        )
        self.session.add(provider)
        self.session.flush()
        return provider

    def user(self, *roles: str, provider=None, email: str | None = None, **kw: Any):
        from registry.auth.services import create_user

        n = self._next()
        user = create_user(
            self.session,
            email or f"user{n}@example.org",
            name=kw.pop("name", f"User {n}"),
            password=PASSWORD,
            roles=set(roles or ("learner",)),
            provider_id=getattr(provider, "id", provider),
            **kw,
        )
        self.session.flush()
        return user

    def credential(self, provider, id: str | None = None, **fields: Any):
        """A credential through the credential service (status defaults to draft)."""
        from registry.credentials.services import create_credential

        n = self._next()
        data = {
            "id": id or f"cred-{n}",
            "provider": getattr(provider, "id", provider),
            "title": fields.pop("title", f"Credential {n}"),
            **fields,
        }
        credential = create_credential(self.session, data, actor=None)
        self.session.flush()
        return credential

    def publish(self, *ids: str) -> None:
        """Publish these credentials' current versions and move the catalogue revision on,
        as an approval does (tests/review go through the real review workflow)."""
        from registry.credentials.catalogue import bump_revision
        from registry.credentials.models import Credential

        for ident in ids:
            credential = self.session.get(Credential, ident)
            credential.current.status = "published"
            credential.published = credential.current
        bump_revision(self.session)
        self.session.flush()


@pytest.fixture()
def factory(db_session: Session) -> Factory:
    return Factory(db_session)


class Auth:
    """Logs a test client in and out through the real pages."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user_or_email: Any, password: str = PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return post_form(self.client, "/login", {"email": email, "password": password})

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture()
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
