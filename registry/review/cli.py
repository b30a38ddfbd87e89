"""Commands for the review outbox: `outbox send`, `outbox list` and `reminders`."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from registry.db import db

outbox_cli = AppGroup("outbox", help="Mail the queued notices and reminders.")


@outbox_cli.command("send")
def outbox_send() -> None:
    """Mail every waiting message over SMTP (MAIL_* settings); failed ones wait for the next run.

    Exits 1 when any message failed, after printing each failure.
    """
    from registry.review.outbox import send_outbox

    report = send_outbox(db.session, current_app.config)
    for message_id, error in report.failed.items():
        click.echo(f"error: message {message_id}: {error}", err=True)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@outbox_cli.command("list")
def outbox_list() -> None:
    """List the messages not sent yet, with their attempts and last error."""
    from registry.review.outbox import pending_messages

    messages = pending_messages(db.session)
    if not messages:
        click.echo("No messages waiting.")
        return
    for message in messages:
        line = f"{message.id}\t{message.kind}\t{message.to_address}\t{message.subject}"
        if message.attempts:
            line += f"\t{message.attempts} attempt(s), last error: {message.last_error}"
        click.echo(line)


@click.command("reminders")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to act for, YYYY-MM-DD (default: today, UTC).",
)
def reminders_command(today: dt.datetime | None) -> None:
    """Queue reminders for overdue reviews and reject submissions whose revision deadline passed.

    Run it once a day (cron); a second run on the same day reminds nobody twice. The mail goes
    out with the next `outbox send`.
    """
    from registry.review.outbox import queue_reminders
    from registry.review.services import expire_overdue_revisions

    day = today.date() if today else dt.datetime.now(dt.UTC).date()
    # Both or neither: the app context's teardown rolls back whatever is not committed.
    reminded = queue_reminders(db.session, day, base_url=current_app.config["BASE_URL"])
    expired = expire_overdue_revisions(db.session, day)
    db.session.commit()
    click.echo(f"Queued {reminded} reminder(s) for {day.isoformat()}.")
    click.echo(f"Rejected {expired} submission(s) whose revision deadline had passed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(outbox_cli)
    app.cli.add_command(reminders_command)
