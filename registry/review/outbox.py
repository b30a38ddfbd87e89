"""The outbox: notices and reminders queued as rows, mailed later over SMTP by a command."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from registry.db import rows_changed, utcnow
from registry.errors import FieldError, ValidationError
from registry.review.models import Assignment, OutboxMessage, Submission

if TYPE_CHECKING:
    from registry.auth.models import User

# Sizes of the columns the message is stored in (a longer value would fail on PostgreSQL only).
KIND_MAX, SUBJECT_MAX = 40, 300
# How long one SMTP exchange may take before the message counts as failed for this run.
DEFAULT_TIMEOUT = 30.0


def queue_notice(
    session: Session, kind: str, to: str | User, subject: str, body: str
) -> OutboxMessage:
    """Queue one message to a user or an address; `outbox send` mails it later.

    Refuses (ValidationError) an empty kind, an address that is not one, and an empty subject
    or body. The subject is folded onto one line (a line break in it would forge mail headers)
    and shortened to fit, since callers build it from titles people typed.
    """
    from registry.auth.services import normalise_email

    address = to if isinstance(to, str) else to.email
    problems: list[FieldError] = []
    kind = (kind or "").strip()
    if not kind:
        problems.append(FieldError("kind", "a kind is required"))
    elif len(kind) > KIND_MAX:
        problems.append(FieldError("kind", f"at most {KIND_MAX} characters"))
    try:
        address = normalise_email(address or "")
    except ValidationError as exc:
        problems.append(FieldError("to", exc.errors[0].message))
    subject = " ".join((subject or "").split())
    if not subject:
        problems.append(FieldError("subject", "a subject is required"))
    elif len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    if not (body or "").strip():
        problems.append(FieldError("body", "a body is required"))
    if problems:
        raise ValidationError(problems)
    message = OutboxMessage(kind=kind, to_address=address, subject=subject, body=body)
    session.add(message)
    session.flush()
    return message


@dataclass
class SendReport:
    """What one `send_outbox` run did: sent and failed message ids, each failure's error."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    # Messages another sender took while this run was going (never sent twice).
    skipped: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if not (self.sent or self.failed or self.skipped):
            return "No messages waiting."
        line = f"Sent {len(self.sent)} message(s), {len(self.failed)} failed"
        if self.skipped:
            line += f", {len(self.skipped)} taken by another sender"
        return line + "."


def pending_messages(session: Session) -> list[OutboxMessage]:
    """Messages not sent yet, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
        )
    )


def send_outbox(session: Session, config: Mapping[str, Any]) -> SendReport:
    """Mail every unsent message over SMTP; commits after each message, unlike the services.

    Each message is claimed (its row updated and so locked), sent, and marked sent in one
    transaction of its own: a crash loses nothing (the row stays unsent), a second sender
    running at the same time waits on the row and then finds it sent, and a failure keeps the
    row with attempts + 1 and the error for the next run. If the server cannot be reached,
    every remaining message fails that way. The only window for a duplicate is a crash
    between the server accepting a message and the commit; the Message-ID is the same on
    every attempt, so mail clients fold such a duplicate away.
    """
    report = SendReport()
    ids = [m.id for m in pending_messages(session)]
    session.commit()  # end the read; each message gets a transaction of its own
    smtp: smtplib.SMTP | None = None
    try:
        for position, message_id in enumerate(ids):
            if smtp is None:
                try:
                    smtp = _connect(config)
                except (OSError, smtplib.SMTPException) as exc:
                    _fail_all(session, ids[position:], _unreachable(exc, config), report)
                    break
            message = _claim(session, message_id)
            if message is None:
                session.rollback()
                report.skipped.append(message_id)
                continue
            try:
                smtp.send_message(_email(message, config))
            except (OSError, ValueError, UnicodeError) as exc:
                # smtplib's errors are OSErrors too. When the connection is gone (a dropped
                # socket, a 421 answer) the next message opens a new one.
                if smtp.sock is None or not isinstance(exc, smtplib.SMTPResponseException):
                    _close(smtp)
                    smtp = None
                _fail(session, message, _describe(exc), report)
            else:
                message.sent_at = utcnow()
                message.last_error = None
                session.commit()
                report.sent.append(message_id)
    finally:
        session.rollback()
        if smtp is not None:
            _close(smtp)
    return report


def _host_port(config: Mapping[str, Any]) -> tuple[str, int]:
    return config.get("MAIL_SERVER") or "127.0.0.1", int(config.get("MAIL_PORT") or 25)


def _server(config: Mapping[str, Any]) -> str:
    return "{}:{}".format(*_host_port(config))


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    """An open, greeted (and, when configured, encrypted and logged-in) SMTP connection."""
    host, port = _host_port(config)
    timeout = float(config.get("MAIL_TIMEOUT") or DEFAULT_TIMEOUT)
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        _close(smtp)
        raise
    return smtp


def _unreachable(exc: OSError, config: Mapping[str, Any]) -> str:
    """Why no connection could be opened: a refused greeting or login, or the network."""
    if isinstance(exc, smtplib.SMTPException) and not isinstance(
        exc, smtplib.SMTPServerDisconnected
    ):
        return f"the mail server {_server(config)} refused: {_describe(exc)}"
    return f"cannot reach the mail server {_server(config)}: {_describe(exc)}"


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _claim(session: Session, message_id: int) -> OutboxMessage | None:
    """Count the attempt and lock the row, or None when another sender has sent it."""
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(claimed) != 1:
        return None
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    return message


def _fail(session: Session, message: OutboxMessage, error: str, report: SendReport) -> None:
    """Keep the claimed row for the next run with its error (attempts already counted)."""
    message.last_error = error
    session.commit()
    report.failed[message.id] = error


def _fail_all(session: Session, ids: list[int], error: str, report: SendReport) -> None:
    """Count one failed attempt for each unsent message of `ids`, in one transaction."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
        .values(attempts=OutboxMessage.attempts + 1, last_error=error)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    report.failed.update(dict.fromkeys(ids, error))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error or "")
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{to}: {code} {reply.decode(errors='replace')}"
            for to, (code, reply) in exc.recipients.items()
        )
    return str(exc) or type(exc).__name__


def _email(message: OutboxMessage, config: Mapping[str, Any]) -> EmailMessage:
    sender = config.get("MAIL_DEFAULT_SENDER") or "registry@localhost"
    domain = sender.rpartition("@")[2].strip(">") or "localhost"
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    # Stable per row, so a message sent again after a crash is recognisably the same one.
    email["Message-ID"] = f"<outbox-{message.id}-{_stamp(message.created_at)}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the registry
    body = message.body
    # Plain 7-bit text when it can be (readable as it travels); quoted-printable otherwise.
    plain = body.isascii() and all(len(line) <= 998 for line in body.splitlines())
    if plain:
        email.set_content(body, cte="7bit")
    else:
        email.set_content(body)
    return email


def _stamp(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y%m%d%H%M%S") if moment else "0"


def queue_reminders(session: Session, today: dt.date, *, base_url: str = "") -> int:
    """Queue a reminder for each overdue assignment of a submission in review; how many.

    An assignment is reminded at most once a day: `last_reminded_at` is moved with a guarded
    update, so two runs on the same day (even at the same moment) queue one reminder.
    `base_url` starts the link to the reviewer's queue in the mail.
    """
    from registry.audit.services import record_event
    from registry.review.assignment import assignment_status
    from registry.review.workflow import IN_REVIEW

    assignments = session.scalars(
        select(Assignment)
        .join(Assignment.submission)
        .where(
            Submission.state == IN_REVIEW,
            Assignment.round == Submission.round,
            Assignment.cancelled_at.is_(None),
            Assignment.declined_at.is_(None),
            _not_reminded_on(today),
        )
        .options(joinedload(Assignment.submission).joinedload(Submission.version))
        .options(joinedload(Assignment.reviewer))
        .order_by(Assignment.id)
    ).all()
    # The reminder is dated `today` (at the present time of day) so a run for a given day
    # is recognised by the next run for that same day, even when `today` is not the real one.
    reminded_at = dt.datetime.combine(today, utcnow().timetz())
    queued = 0
    for assignment in assignments:
        if assignment_status(assignment, today) != "overdue":
            continue
        moved = session.execute(
            update(Assignment)
            .where(Assignment.id == assignment.id, _not_reminded_on(today))
            .values(last_reminded_at=reminded_at)
            .execution_options(synchronize_session=False)
        )
        session.expire(assignment, ["last_reminded_at"])
        if rows_changed(moved) != 1:
            continue  # another run reminded it a moment ago
        subject, body = _reminder_text(assignment, today, base_url)
        queue_notice(session, "reminder", assignment.reviewer, subject, body)
        # On the submission, like the assignment's other events, so coordinators see it in
        # the timeline (providers' timelines leave out everything but workflow actions).
        record_event(
            session,
            "assignment.reminded",
            "submission",
            str(assignment.submission_id),
            actor=None,
            actor_role="system",
            after={
                "assignment": assignment.id,
                "reviewer": assignment.reviewer_id,
                "missed": "response" if assignment.accepted_at is None else "review",
                "due": _due(assignment).isoformat(),
            },
        )
        queued += 1
    return queued


def _not_reminded_on(today: dt.date) -> Any:
    """Assignments never reminded, or last reminded before `today` began (UTC)."""
    start = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    return or_(Assignment.last_reminded_at.is_(None), Assignment.last_reminded_at < start)


def _due(assignment: Assignment) -> dt.date:
    """The date that was missed: the answer before accepting, the review after."""
    return assignment.response_due if assignment.accepted_at is None else assignment.review_due


def _reminder_text(assignment: Assignment, today: dt.date, base_url: str) -> tuple[str, str]:
    title = assignment.submission.version.title
    due = _due(assignment)
    late = (today - due).days
    days = f"{late} day{'s' if late != 1 else ''}"
    if assignment.accepted_at is None:
        subject = f"Reminder: please accept or decline the review of {title}"
        ask = (
            f"You were asked to review {title!r}. Your answer was due on {due:%d %B %Y} "
            f"({days} ago). Please accept (declaring any competing interests) or decline."
        )
    else:
        subject = f"Reminder: your review of {title} is overdue"
        ask = (
            f"Your review of {title!r} was due on {due:%d %B %Y} ({days} ago). "
            "Please score it against the rubric, or tell the QA office if you cannot."
        )
    body = (
        f"Dear {assignment.reviewer.name},\n\n{ask}\n\n"
        f"Your review queue: {base_url.rstrip('/')}/reviews/\n\n"
        "-- The credential registry QA office\n"
    )
    return subject, body
