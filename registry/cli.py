"""Command-line interface: `flask --app registry db|users|tokens|catalogue|seed-demo ...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup

from registry.db import db
from registry.errors import Conflict, RegistryError, ValidationError

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> AlembicConfig:
    """Alembic settings pointing at `migrations/` and at the app's database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a % in a password.
    cfg.set_main_option(
        "sqlalchemy.url", (url or current_app.config["DATABASE_URL"]).replace("%", "%%")
    )
    return cfg


def fail(exc: RegistryError) -> None:
    """Print every problem of a domain error on stderr and exit non-zero."""
    if isinstance(exc, ValidationError):
        for error in exc.errors:
            click.echo(
                f"error: {error.field}: {error.message}"
                if error.field
                else f"error: {error.message}",
                err=True,
            )
    else:
        click.echo(f"error: {exc}", err=True)
    sys.exit(1)


db_cli = AppGroup("db", help="Manage the database schema through Alembic migrations.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    command.upgrade(alembic_config(), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (default: one step; 'base' for empty)."""
    command.downgrade(alembic_config(), revision)
    click.echo(f"Database downgraded to {revision}.")


@db_cli.command("check")
def db_check() -> None:
    """Fail if the models and the migrations differ."""
    command.check(alembic_config())
    click.echo("Models and migrations agree.")


@db_cli.command("current")
def db_current() -> None:
    """Show the current revision."""
    command.current(alembic_config())


users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, help="May be given several times.")
@click.option("--provider", "provider_id", default=None, help="Provider id, for provider staff.")
@click.option("--password", default=None, help="Prompted for when not given.")
@click.option("--name", default=None, help="Display name (default: the part before @).")
@click.option("--expertise", default="", help="Subject codes separated by commas.")
def users_create(email, roles, provider_id, password, name, expertise) -> None:
    """Create a user with one or more roles."""
    from registry.auth.services import create_user

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            db.session,
            email,
            name=name or email.split("@")[0],
            password=password,
            roles=set(roles),
            provider_id=provider_id,
            expertise=[s.strip() for s in expertise.split(",") if s.strip()],
        )
        db.session.commit()
    except (ValidationError, Conflict) as exc:
        db.session.rollback()
        fail(exc)
    click.echo(f"Created user {user.email} ({', '.join(sorted(user.roles))}).")


tokens_cli = AppGroup("tokens", help="Manage personal API tokens.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="CLI token")
def tokens_create(email: str, name: str) -> None:
    """Create an API token for EMAIL; the token is printed on the last line."""
    from registry.auth.services import create_token, get_user_by_email

    user = get_user_by_email(db.session, email)
    if user is None:
        click.echo(f"error: email: no user {email}", err=True)
        sys.exit(1)
    try:
        _, secret = create_token(db.session, user, name)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        fail(exc)
    click.echo(f"Token for {user.email} (shown once):")
    click.echo(secret)


@click.command("evaluate")
@click.argument("file", type=click.File("r"))
def evaluate_command(file) -> None:
    """Evaluate the request in FILE ('-' for stdin) and print the answer JSON."""
    import json

    from registry.learners.evaluation import evaluate_wallet

    try:
        request = json.load(file)
    except json.JSONDecodeError as exc:
        click.echo(f"error: {file.name}: not JSON: {exc}", err=True)
        sys.exit(1)
    try:
        answer = evaluate_wallet(db.session, request)
    except ValidationError as exc:
        fail(exc)
    click.echo(json.dumps(answer, indent=2))


stacking_cli = AppGroup("stacking", help="Prepare the stacking engine's per-catalogue answers.")


@stacking_cli.command("prepare")
@click.option(
    "--cost",
    "costs",
    multiple=True,
    help="credits, count or price (repeatable; default: all three)",
)
@click.option("--force", is_flag=True, help="compute again what this revision already has")
def stacking_prepare(costs: tuple[str, ...], force: bool) -> None:
    """Compute and keep every qualification's empty-wallet answer for this catalogue revision.

    Run it after an import or a round of publications on a large catalogue: app servers then
    start answering evaluations at once instead of computing these first.
    """
    from registry.credentials.models import STACKING_COSTS
    from registry.credentials.prepared import prepare

    def progress(qualifications, cost):
        return click.progressbar(
            qualifications, label=f"{cost}: {len(qualifications):,} qualifications", file=sys.stderr
        )

    try:
        written = prepare(db.session, costs or STACKING_COSTS, force=force, progress=progress)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        fail(exc)
    if not written:
        click.echo("Already prepared for this catalogue revision (--force computes again).")
    for prepared_set in written:
        click.echo(
            f"Prepared {prepared_set.qualifications:,} qualifications under cost "
            f"{prepared_set.cost} for catalogue revision {prepared_set.revision} "
            f"in {prepared_set.seconds:.1f} s."
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(evaluate_command)
    app.cli.add_command(stacking_cli)

    from registry.interop import cli as interop_cli
    from registry.review import cli as review_cli

    interop_cli.init_app(app)
    review_cli.init_app(app)
