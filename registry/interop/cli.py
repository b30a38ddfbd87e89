"""Commands for catalogue files and the demo: `catalogue import|export` and `seed-demo`."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click
from flask import Flask
from flask.cli import AppGroup

from registry.cli import fail
from registry.db import db
from registry.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
from registry.errors import Conflict, ValidationError
from registry.interop.catalogue import export_catalogue, import_catalogue, import_steps

# Below this many steps an import is over before a progress bar would tell anyone anything.
PROGRESS_BAR_FROM = 5000

catalogue_cli = AppGroup("catalogue", help="Import and export whole catalogue files (JSON).")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def read_json(file: IO[bytes]) -> Any:
    """The JSON document in `file`, or an error naming the file, line and column, and exit 1."""
    try:
        return json.load(file, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text: {exc.reason} at byte {exc.start}"
    except ValueError as exc:
        message = f"not valid JSON: {exc}"
    click.echo(f"error: {file.name}: {message}", err=True)
    sys.exit(1)


@catalogue_cli.command("import")
@click.argument("file", type=click.File("rb"))
def import_command(file: IO[bytes]) -> None:
    """Import the catalogue document in FILE ('-' for stdin): everything or, on any error, nothing.

    Every problem is printed as `error: <place in the file>: <message>`. Ids that already exist
    in the registry are refused.
    """
    document = read_json(file)
    steps = import_steps(document)
    try:
        if steps >= PROGRESS_BAR_FROM:
            with click.progressbar(length=steps, label="Importing", file=sys.stderr) as bar:
                report = import_catalogue(db.session, document, actor=None, progress=bar.update)
        else:
            report = import_catalogue(db.session, document, actor=None)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        fail(exc)
    click.echo(
        f"Imported {report.credit_units} credit units, {report.providers} providers, "
        f"{report.credentials} credentials ({report.edges} rule edges) and "
        f"{report.recognitions} recognitions."
    )


@catalogue_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", atomic=True), default="-")
@click.option("--with-ctids", is_flag=True, help="Include every provider's and credential's ctid.")
def export_command(file: IO[str], with_ctids: bool) -> None:
    """Write the whole catalogue as one JSON document to FILE (default: stdout)."""
    document = export_catalogue(db.session, with_ctids=with_ctids)
    json.dump(document, file, indent=2, ensure_ascii=False)
    file.write("\n")
    click.echo(
        f"Exported {len(document['providers'])} providers, "
        f"{len(document['credentials'])} credentials and "
        f"{len(document['recognitions'])} recognitions.",
        err=True,
    )


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo catalogue and one demo account per role; running it again changes nothing."""
    try:
        report = seed_demo(db.session)
        db.session.commit()
    except (ValidationError, Conflict) as exc:
        db.session.rollback()
        fail(exc)
    if not report.changed:
        click.echo("The demo is already loaded; nothing changed.")
    elif report.catalogue is None:
        click.echo("The demo catalogue was already loaded.")
    else:
        counts = report.catalogue
        click.echo(
            f"Loaded the demo catalogue: {counts.providers} providers, "
            f"{counts.credentials} credentials, {counts.recognitions} recognitions."
        )
    new = {user.email for user in report.created}
    click.echo("Demo accounts:")
    for demo in DEMO_USERS:
        where = f" at {demo.provider}" if demo.provider else ""
        click.echo(f"  {demo.email:<28} {demo.role}{where}{' (new)' if demo.email in new else ''}")
    click.echo(f"Every demo account's password is: {DEMO_PASSWORD}")


def init_app(app: Flask) -> None:
    app.cli.add_command(catalogue_cli)
    app.cli.add_command(seed_demo_command)
