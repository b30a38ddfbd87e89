"""The application factory, its configuration and the database connection it sets up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import DEV_SECRET_KEY, Config, ProductionConfig, TestingConfig
from registry import create_app
from registry.cli import alembic_config
from registry.db import db, make_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith("postgres")


def _sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'app.sqlite3'}"


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter, so config.py reads `env` as the process starts."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    clean.pop("REGISTRY_ENV", None)
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- create_app ---------------------------------------------------------------------------


def test_create_app_with_a_config_class(tmp_path: Path) -> None:
    class Settings(TestingConfig):
        DATABASE_URL = _sqlite_url(tmp_path)
        PAGE_SIZE = 7

    app = create_app(Settings)

    assert app.testing is True
    assert app.config["SECRET_KEY"] == "test-secret-key"
    assert app.config["PAGE_SIZE"] == 7
    assert app.config["DATABASE_URL"] == _sqlite_url(tmp_path)
    assert {"web", "auth", "admin", "api", "providers", "credentials"} <= set(app.blueprints)


def test_create_app_with_a_mapping_overrides_the_environment_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_ENV", "testing")

    app = create_app({"DATABASE_URL": _sqlite_url(tmp_path), "PAGE_SIZE": 3})

    assert app.config["PAGE_SIZE"] == 3
    # Everything the mapping does not name comes from the class REGISTRY_ENV chose.
    assert app.testing is True
    assert app.config["SECRET_KEY"] == TestingConfig.SECRET_KEY
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_without_a_database_url_the_app_uses_sqlite_in_the_instance_folder(
    tmp_path: Path,
) -> None:
    app = create_app({**_testing_settings(), "DATABASE_URL": None})

    expected = Path(app.instance_path) / "registry.sqlite3"
    assert app.config["DATABASE_URL"] == f"sqlite:///{expected}"
    assert Path(app.instance_path).is_dir()
    with app.app_context():
        assert db.engine.dialect.name == "sqlite"
        assert db.engine.url.database == str(expected)


def test_the_database_url_given_is_the_one_used(tmp_path: Path) -> None:
    app = create_app({**_testing_settings(), "DATABASE_URL": _sqlite_url(tmp_path)})

    with app.app_context():
        assert db.engine.url.database == str(tmp_path / "app.sqlite3")
        db.session.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        db.session.commit()
    assert (tmp_path / "app.sqlite3").is_file()
    app.extensions["registry.db"].engine.dispose()


def _testing_settings() -> dict:
    return {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}


# --- SECRET_KEY -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [DEV_SECRET_KEY, "", None])
def test_production_refuses_to_start_without_a_real_secret_key(tmp_path: Path, key) -> None:
    class Production(ProductionConfig):
        SECRET_KEY = key
        DATABASE_URL = _sqlite_url(tmp_path)

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)


def test_production_starts_with_a_real_secret_key(tmp_path: Path) -> None:
    class Production(ProductionConfig):
        SECRET_KEY = "a-long-random-production-secret"
        DATABASE_URL = _sqlite_url(tmp_path)

    app = create_app(Production)

    assert app.config["SECRET_KEY"] == "a-long-random-production-secret"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_development_and_tests_start_with_the_development_key(tmp_path: Path) -> None:
    class Development(Config):
        SECRET_KEY = DEV_SECRET_KEY
        DATABASE_URL = _sqlite_url(tmp_path)

    assert create_app(Development).config["SECRET_KEY"] == DEV_SECRET_KEY


def test_production_reads_its_settings_from_the_environment(tmp_path: Path) -> None:
    """As gunicorn starts it: REGISTRY_ENV, SECRET_KEY and DATABASE_URL from the environment."""
    url = _sqlite_url(tmp_path)
    result = _run_python(
        "from registry import create_app; from registry.db import db\n"
        "app = create_app()\n"
        "with app.app_context(): print(db.engine.url)\n"
        "print(app.config['SECRET_KEY'])",
        REGISTRY_ENV="production",
        SECRET_KEY="from-the-environment",
        DATABASE_URL=url,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [url, "from-the-environment"]


# --- SQLite connections -----------------------------------------------------------------------


def test_sqlite_connections_enforce_foreign_keys_use_wal_and_wait_when_busy(
    tmp_path: Path,
) -> None:
    app = create_app({**_testing_settings(), "DATABASE_URL": _sqlite_url(tmp_path)})

    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    app.extensions["registry.db"].engine.dispose()


def test_sqlite_refuses_a_row_whose_foreign_key_points_nowhere(tmp_path: Path) -> None:
    engine = make_engine(_sqlite_url(tmp_path))
    metadata = MetaData()
    parent = Table("parent", metadata, Column("id", Integer, primary_key=True))
    child = Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey(parent.c.id)),
    )
    metadata.create_all(engine)

    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(child).values(id=1, parent_id=42))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(child)) == 0
    engine.dispose()


def test_sqlite_savepoints_roll_back_with_their_transaction(tmp_path: Path) -> None:
    """A commit inside a savepoint is undone by the outer rollback (the tests rely on it)."""
    engine = make_engine(_sqlite_url(tmp_path))
    metadata = MetaData()
    things = Table("things", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(engine)

    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        session.execute(insert(things).values(id=1))
        session.commit()
        with session.begin_nested():
            session.execute(insert(things).values(id=2))
            session.rollback()
        assert session.scalars(select(things.c.id)).all() == [1]
        session.close()
        outer.rollback()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(things)) == 0
    engine.dispose()


def test_what_a_request_does_not_commit_is_rolled_back(tmp_path: Path) -> None:
    app = create_app({**_testing_settings(), "DATABASE_URL": _sqlite_url(tmp_path)})
    with app.app_context():
        db.session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
        db.session.commit()
        db.session.execute(text("INSERT INTO notes (id) VALUES (1)"))
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM notes")) == 0
    app.extensions["registry.db"].engine.dispose()


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    engine = make_engine(f"{scheme}://registry:secret@db.example:5432/registry")

    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"
    assert engine.url.database == "registry"


@pytest.mark.skipif(not ON_POSTGRES, reason="DATABASE_URL does not name a PostgreSQL server")
def test_the_app_talks_to_postgresql_through_psycopg_3() -> None:
    app = create_app({**_testing_settings(), "DATABASE_URL": os.environ["DATABASE_URL"]})

    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"
        version = db.session.scalar(text("SELECT version()"))
        connection = db.session.connection().connection.driver_connection
    assert version.startswith("PostgreSQL")
    assert type(connection).__module__.startswith("psycopg")
    app.extensions["registry.db"].engine.dispose()


def test_alembic_gets_a_url_with_a_percent_sign_unchanged() -> None:
    url = "postgresql://registry:p%40ss%25word@db.example/registry"

    assert alembic_config(url).get_main_option("sqlalchemy.url") == url


# --- error pages ------------------------------------------------------------------------------


def test_unknown_pages_get_the_error_page_and_the_api_its_json_shape(app: Flask, client) -> None:
    page = client.get("/no-such-page")
    api = client.get("/api/v1/no-such-endpoint")
    wrong_method = client.delete("/api/v1/me")

    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Not found" in page.get_data(as_text=True)
    assert api.status_code == 404
    assert api.get_json()["error"]["status"] == 404
    assert api.get_json()["error"]["title"] == "Not found"
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["status"] == 405


def test_healthz_answers_ok(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
