"""Commands for submissions: `flask --app registry review expire`."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from registry.db import db

review_cli = AppGroup("review", help="Quality review: submissions and their deadlines.")


@review_cli.command("expire")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to act for, YYYY-MM-DD (default: today, UTC).",
)
def expire_command(today: dt.datetime | None) -> None:
    """Reject the submissions whose revision deadline has passed (the day after it)."""
    from registry.review.services import expire_overdue_revisions, today_utc

    day = today.date() if today else today_utc()
    expired = expire_overdue_revisions(db.session, day)
    db.session.commit()
    click.echo(f"Rejected {expired} submission(s) whose revision deadline had passed.")
