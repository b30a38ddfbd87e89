"""The database: declarative base, naming convention, one engine and session factory per app."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

from flask import Flask, current_app, g
from sqlalchemy import JSON, DateTime, MetaData, String, create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 -- SQLAlchemy reads this class attribute as is
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


# Column aliases used across the models (Warehouse's Annotated style).
Slug = Annotated[str, mapped_column(String(100))]
Created = Annotated[dt.datetime, mapped_column(default=utcnow)]
Updated = Annotated[dt.datetime, mapped_column(default=utcnow, onupdate=utcnow)]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, WAL for concurrent readers, and a busy timeout instead of instant errors."""
    # The sqlite3 module's legacy mode emits BEGIN only before INSERT/UPDATE/DELETE, so a
    # SAVEPOINT opened first commits on RELEASE and a rollback misses it: SQLAlchemy emits
    # BEGIN itself instead (see _sqlite_begin), as its SQLite documentation recommends.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`, with the SQLite pragmas attached when the URL is SQLite."""
    # Plain PostgreSQL URLs (and the postgres:// that hosts hand out) mean psycopg 3.
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            url = "postgresql+psycopg://" + url.removeprefix(scheme)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


class Database:
    """Owns the engine and the per-app-context session; attaches itself with `init_app`."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["registry.db"] = _State(engine, sessionmaker(bind=engine))
        app.teardown_appcontext(self._remove_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["registry.db"].engine

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        return current_app.extensions["registry.db"].sessionmaker

    @property
    def session(self) -> Session:
        """The session of the current app context, created on first use."""
        if "db_session" not in g:
            g.db_session = self.sessionmaker()
        return g.db_session

    @staticmethod
    def _remove_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            # Whatever the edge did not commit is abandoned: one commit per request.
            session.rollback()
            session.close()


class _State:
    def __init__(self, engine: Engine, factory: sessionmaker[Session]) -> None:
        self.engine = engine
        self.sessionmaker = factory


db = Database()


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (the rowcount of its cursor result)."""
    return cast(CursorResult[Any], result).rowcount
