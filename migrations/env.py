"""Alembic environment: the models' metadata and the app's database URL."""

from alembic import context

from registry.db import make_engine
from registry.models import metadata

config = context.config


def include_name(name: str | None, type_: str, parents: dict) -> bool:
    """Leave the database-specific full-text index out of the comparison with the models.

    SQLite's FTS5 table `search_fts` comes with shadow tables (`search_fts_data`, ...), and
    PostgreSQL's `search_entries.document` tsvector has a GIN index; migration 0006 makes them.
    """
    if type_ == "table":
        return not (name or "").startswith("search_fts")
    if type_ == "column":
        return name != "document" or parents.get("table_name") != "search_entries"
    if type_ == "index":
        return name != "ix_search_entries_document"
    return True


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        include_name=include_name,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()  # also when a migration fails, so no connection is left open


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copy, drop and rename; with foreign keys on, the drop
        # would cascade into the child tables and delete their rows. Off for the run (as
        # Alembic advises), then every key is checked before the one commit.
        _sqlite_foreign_keys(connection, on=False)
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_name=include_name,
            # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
            render_as_batch=sqlite,
            # registry.db makes SQLite open real transactions, so DDL can be all or nothing.
            transactional_ddl=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                _refuse_broken_keys(connection)
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection, *, on: bool) -> None:
    """Switch SQLite's foreign keys; the pragma is silently ignored inside a transaction."""
    driver = connection.connection.driver_connection
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if driver.execute("PRAGMA foreign_keys").fetchone()[0] != int(on):
        raise RuntimeError("could not switch SQLite foreign keys for the migration")


def _refuse_broken_keys(connection) -> None:
    """Fail (and so roll back) when the migrations left a row whose foreign key points nowhere."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        rows = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in broken)
        raise RuntimeError(f"migration left broken foreign keys: {rows}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
