"""The outbox against a real SMTP server on loopback: delivery, failures kept, reminders."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select

from registry.audit.models import AuditEvent
from registry.errors import ValidationError
from registry.review import outbox
from registry.review.models import Assignment, OutboxMessage, Review, Submission
from registry.review.outbox import queue_notice, queue_reminders, send_outbox

SENDER = "qa-office@registry.test"
TODAY = dt.date(2031, 3, 10)


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what arrived and can be told to misbehave."""

    arrived: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    hang_up: int = 0  # how many next DATA commands get "421 closing"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.hang_up:
            self.hang_up -= 1
            return "421 4.3.2 Shutting down, try again later"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        # Lines travel as CRLF on the wire; read them back as Python text.
        content = envelope.content.replace(b"\r\n", b"\n")
        self.arrived.append(message_from_bytes(content, policy=policy.default))
        return "250 Message accepted for delivery"

    def by_subject(self) -> dict[str, EmailMessage]:
        return {m["Subject"]: m for m in self.arrived}


def free_port() -> int:
    """A loopback port nobody listens on (the OS picks it, we let it go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    controller: Controller | None = None

    @property
    def config(self) -> dict[str, Any]:
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_DEFAULT_SENDER": SENDER,
            "MAIL_TIMEOUT": 5,
        }

    def start(self, **smtp_parameters: Any) -> None:
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **smtp_parameters
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture()
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 and a free port, started."""
    server = SmtpServer(free_port(), Mailbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def smtp_down() -> Iterator[SmtpServer]:
    """The address of an SMTP server that is not running (yet): `start()` brings it up."""
    server = SmtpServer(free_port(), Mailbox())
    yield server
    server.stop()


def queued(session, n: int = 3) -> list[OutboxMessage]:
    return [
        queue_notice(session, "notice", f"person{i}@example.org", f"Notice {i}", f"Body {i}\n")
        for i in range(1, n + 1)
    ]


def fresh(session, message: OutboxMessage) -> OutboxMessage:
    session.expire_all()
    return session.get(OutboxMessage, message.id)


# --- queue_notice -----------------------------------------------------------------------------


def test_queue_notice_stores_one_row_per_message_to_a_user_or_an_address(db_session, factory):
    user = factory.user("reviewer", email="Rita.Reviewer@Example.ORG")

    to_user = queue_notice(db_session, "assignment", user, "You have a review", "Please log in.")
    to_address = queue_notice(db_session, "notice", " qa@example.org ", "Hello", "Text")

    assert (to_user.kind, to_user.to_address, to_user.subject) == (
        "assignment",
        "rita.reviewer@example.org",
        "You have a review",
    )
    assert to_address.to_address == "qa@example.org"
    for message in (to_user, to_address):
        assert message.id is not None
        assert (message.sent_at, message.attempts, message.last_error) == (None, 0, None)


def test_queue_notice_folds_a_subject_onto_one_line_and_shortens_it_to_fit(db_session):
    forged = queue_notice(db_session, "notice", "a@example.org", "Hi\r\nBcc: all@x.org", "B")
    long = queue_notice(db_session, "notice", "a@example.org", "word " * 100, "B")

    assert forged.subject == "Hi Bcc: all@x.org"
    assert len(long.subject) == 300 and long.subject.endswith("word…")


@pytest.mark.parametrize(
    ("kind", "to", "subject", "body", "fields"),
    [
        ("", "a@example.org", "S", "B", {"kind"}),
        ("notice", "not an address", "S", "B", {"to"}),
        ("notice", "a@example.org", " \r\n ", "B", {"subject"}),
        ("notice", "a@example.org", "S", " \n ", {"body"}),
        ("k" * 41, "", "", "", {"kind", "to", "subject", "body"}),
    ],
)
def test_queue_notice_refuses_bad_input_naming_each_field_and_stores_nothing(
    db_session, kind, to, subject, body, fields
):
    before = db_session.scalar(select(func.count()).select_from(OutboxMessage))

    with pytest.raises(ValidationError) as refused:
        queue_notice(db_session, kind, to, subject, body)

    assert {e.field for e in refused.value.errors} == fields
    assert all(e.message for e in refused.value.errors)
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == before


# --- send_outbox against a real server ---------------------------------------------------------


def test_send_outbox_delivers_each_message_once_with_its_headers_and_body(db_session, smtp):
    user = queue_notice(db_session, "decision", "provider@uni.example", "Approved", "Good news.\n")
    others = queued(db_session, 2)

    report = send_outbox(db_session, smtp.config)

    assert report.ok and report.sent == [user.id] + [m.id for m in others]
    assert report.summary() == "Sent 3 message(s), 0 failed."
    arrived = smtp.mailbox.by_subject()
    assert set(arrived) == {"Approved", "Notice 1", "Notice 2"}
    mail = arrived["Approved"]
    assert (mail["From"], mail["To"]) == (SENDER, "provider@uni.example")
    assert mail.get_content() == "Good news.\n"
    assert mail["Message-ID"].startswith(f"<outbox-{user.id}-")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert smtp.mailbox.envelopes[0] == (SENDER, ["provider@uni.example"])
    for message in [user, *others]:
        row = fresh(db_session, message)
        assert row.sent_at is not None and row.attempts == 1 and row.last_error is None

    # A second run finds nothing to do and the server receives nothing more.
    again = send_outbox(db_session, smtp.config)
    assert (again.sent, again.failed, again.summary()) == ([], {}, "No messages waiting.")
    assert len(smtp.mailbox.arrived) == 3


def test_long_lines_and_non_ascii_text_arrive_intact(db_session, smtp):
    long_line = "Learning outcomes: " + "write and defend an analysis; " * 12 + "done.\n"
    ascii_message = queue_notice(db_session, "notice", "a@example.org", "Plain", long_line)
    accented = "Décision : approuvé — Zoë a dit « café » ✓\n"
    utf8_message = queue_notice(db_session, "notice", "b@example.org", "Accents ✓", accented)

    assert send_outbox(db_session, smtp.config).sent == [ascii_message.id, utf8_message.id]

    arrived = smtp.mailbox.by_subject()
    assert arrived["Plain"]["Content-Transfer-Encoding"] == "7bit"
    assert arrived["Plain"].get_content() == long_line
    assert arrived["Accents ✓"].get_content() == accented


def test_a_server_that_is_down_keeps_every_message_then_the_next_run_sends_each_once(
    db_session, smtp_down
):
    messages = queued(db_session, 3)

    report = send_outbox(db_session, smtp_down.config)

    assert not report.ok and report.sent == []
    assert sorted(report.failed) == [m.id for m in messages]
    assert report.summary() == "Sent 0 message(s), 3 failed."
    for message in messages:
        row = fresh(db_session, message)
        assert row.sent_at is None and row.attempts == 1
        assert row.last_error.startswith(f"cannot reach the mail server 127.0.0.1:{smtp_down.port}")

    # Still down: one more attempt counted, still nothing lost.
    send_outbox(db_session, smtp_down.config)
    assert [fresh(db_session, m).attempts for m in messages] == [2, 2, 2]

    smtp_down.start()
    report = send_outbox(db_session, smtp_down.config)

    assert report.ok and report.sent == [m.id for m in messages]
    assert sorted(m["Subject"] for m in smtp_down.mailbox.arrived) == [
        "Notice 1",
        "Notice 2",
        "Notice 3",
    ]
    for message in messages:
        row = fresh(db_session, message)
        assert row.sent_at is not None and row.attempts == 3 and row.last_error is None
    assert send_outbox(db_session, smtp_down.config).sent == []
    assert len(smtp_down.mailbox.arrived) == 3


def test_a_refused_recipient_fails_alone_and_is_kept_with_the_servers_answer(db_session, smtp):
    first, bounced, last = queued(db_session, 3)
    smtp.mailbox.refuse = {bounced.to_address}

    report = send_outbox(db_session, smtp.config)

    assert report.sent == [first.id, last.id]
    assert list(report.failed) == [bounced.id]
    assert "550 5.1.1 No such mailbox here" in report.failed[bounced.id]
    row = fresh(db_session, bounced)
    assert row.sent_at is None and row.attempts == 1 and "550" in row.last_error
    assert sorted(m["To"] for m in smtp.mailbox.arrived) == [first.to_address, last.to_address]

    # The mailbox is fixed: the next run sends only the one that was kept.
    smtp.mailbox.refuse = set()
    assert send_outbox(db_session, smtp.config).sent == [bounced.id]
    assert [m["To"] for m in smtp.mailbox.arrived].count(bounced.to_address) == 1


def test_a_server_that_hangs_up_fails_that_message_and_the_next_one_reconnects(db_session, smtp):
    first, second = queued(db_session, 2)
    smtp.mailbox.hang_up = 1

    report = send_outbox(db_session, smtp.config)

    assert list(report.failed) == [first.id] and "421" in report.failed[first.id]
    assert report.sent == [second.id]
    assert [m["Subject"] for m in smtp.mailbox.arrived] == ["Notice 2"]


class Crash(BaseException):
    """The process dying in the middle of a run (not an error the sender handles)."""


def test_a_crash_in_the_middle_loses_nothing_and_sends_nothing_twice(db_session, smtp, monkeypatch):
    first, second, third = queued(db_session, 3)
    build = outbox._email

    def crash_on_second(message, config):
        if message.id == second.id:
            raise Crash
        return build(message, config)

    monkeypatch.setattr(outbox, "_email", crash_on_second)
    with pytest.raises(Crash):
        send_outbox(db_session, smtp.config)

    assert [m["Subject"] for m in smtp.mailbox.arrived] == ["Notice 1"]
    assert fresh(db_session, first).sent_at is not None
    # The interrupted message's attempt was never committed; the rest are untouched.
    assert [(fresh(db_session, m).sent_at, m.attempts) for m in (second, third)] == [
        (None, 0),
        (None, 0),
    ]

    monkeypatch.setattr(outbox, "_email", build)
    assert send_outbox(db_session, smtp.config).sent == [second.id, third.id]
    assert sorted(m["Subject"] for m in smtp.mailbox.arrived) == [
        "Notice 1",
        "Notice 2",
        "Notice 3",
    ]


def test_a_message_another_sender_delivered_meanwhile_is_skipped_not_sent_again(
    db_session, smtp, monkeypatch
):
    taken, mine = queued(db_session, 2)
    listed = outbox.pending_messages(db_session)
    # Another sender delivers `taken` between this run's listing and its claim.
    taken.sent_at = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    db_session.commit()
    monkeypatch.setattr(outbox, "pending_messages", lambda session: listed)

    report = send_outbox(db_session, smtp.config)

    assert (report.sent, report.skipped) == ([mine.id], [taken.id])
    assert [m["Subject"] for m in smtp.mailbox.arrived] == ["Notice 2"]
    assert fresh(db_session, taken).attempts == 0


def test_send_outbox_logs_in_when_a_username_is_configured(db_session, smtp_down):
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    # Plain-text AUTH on loopback only: the test has no certificate for STARTTLS.
    smtp_down.start(authenticator=authenticator, auth_require_tls=False)
    (message,) = queued(db_session, 1)

    wrong = send_outbox(
        db_session, {**smtp_down.config, "MAIL_USERNAME": "qa", "MAIL_PASSWORD": "x"}
    )
    assert wrong.failed[message.id].startswith(
        f"the mail server 127.0.0.1:{smtp_down.port} refused: 535"
    )
    assert fresh(db_session, message).attempts == 1

    right = {**smtp_down.config, "MAIL_USERNAME": "qa", "MAIL_PASSWORD": "s3cret"}
    assert send_outbox(db_session, right).sent == [message.id]
    # smtplib tries each mechanism the server offers before giving up on a password.
    assert set(logins[:-1]) == {(b"qa", b"x")} and logins[-1] == (b"qa", b"s3cret")
    assert len(smtp_down.mailbox.arrived) == 1


# --- the `outbox` commands --------------------------------------------------------------------


def test_outbox_send_command_prints_a_summary_and_exits_zero(
    app, runner, db_session, smtp, monkeypatch
):
    for key, value in smtp.config.items():
        monkeypatch.setitem(app.config, key, value)
    queued(db_session, 2)

    result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Sent 2 message(s), 0 failed."
    assert len(smtp.mailbox.arrived) == 2


def test_outbox_send_command_exits_non_zero_with_each_failure_when_the_server_is_down(
    app, runner, db_session, smtp_down, monkeypatch
):
    for key, value in smtp_down.config.items():
        monkeypatch.setitem(app.config, key, value)
    first, second = queued(db_session, 2)

    result = runner.invoke(args=["outbox", "send"])

    assert result.exit_code == 1
    assert f"error: message {first.id}: cannot reach the mail server" in result.stderr
    assert f"error: message {second.id}: cannot reach the mail server" in result.stderr
    assert result.stdout.strip() == "Sent 0 message(s), 2 failed."
    listing = runner.invoke(args=["outbox", "list"])
    assert listing.exit_code == 0
    assert f"{first.id}\tnotice\tperson1@example.org\tNotice 1\t1 attempt(s)" in listing.output


def test_outbox_list_says_when_nothing_waits(runner, db_session):
    assert runner.invoke(args=["outbox", "list"]).output == "No messages waiting.\n"


# --- reminders ---------------------------------------------------------------------------------


def review_assignment(
    session,
    factory,
    *,
    response_due: dt.date,
    review_due: dt.date,
    accepted: bool = False,
    state: str = "in_review",
    title: str = "Data Literacy Basics",
) -> Assignment:
    """A reviewer's assignment on a submission of a fresh credential (rows made directly)."""
    provider = factory.provider()
    credential = factory.credential(provider, title=title)
    reviewer = factory.user("reviewer", name="Rita Reviewer")
    submission = Submission(
        credential_id=credential.id,
        version_id=credential.current_version_id,
        state=state,
        round=1,
    )
    session.add(submission)
    session.flush()
    assignment = Assignment(
        submission_id=submission.id,
        round=1,
        reviewer_id=reviewer.id,
        response_due=response_due,
        review_due=review_due,
        accepted_at=dt.datetime(2031, 1, 2, tzinfo=dt.UTC) if accepted else None,
        competing_interests="none" if accepted else None,
    )
    session.add(assignment)
    session.flush()
    return assignment


def reminders_to(session, address: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "reminder", OutboxMessage.to_address == address
            )
        )
    )


def test_an_unanswered_request_past_its_response_date_is_reminded_once_a_day(db_session, factory):
    late = review_assignment(
        db_session,
        factory,
        response_due=TODAY - dt.timedelta(days=2),
        review_due=TODAY + dt.timedelta(days=20),
    )
    email = late.reviewer.email

    assert queue_reminders(db_session, TODAY, base_url="https://registry.example") == 1

    (reminder,) = reminders_to(db_session, email)
    assert (
        reminder.subject == "Reminder: please accept or decline the review of Data Literacy Basics"
    )
    assert "Dear Rita Reviewer" in reminder.body
    assert "was due on 08 March 2031 (2 days ago)" in reminder.body
    assert "https://registry.example/reviews/\n" in reminder.body
    db_session.expire_all()
    assert late.last_reminded_at.date() == TODAY
    event = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "assignment.reminded",
            AuditEvent.object_type == "submission",
            AuditEvent.object_id == str(late.submission_id),
        )
    )
    assert event is not None and event.actor_id is None and event.actor_role == "system"
    assert event.after == {
        "assignment": late.id,
        "reviewer": late.reviewer_id,
        "missed": "response",
        "due": "2031-03-08",
    }

    # The same day again: nobody is reminded twice.
    assert queue_reminders(db_session, TODAY) == 0
    assert len(reminders_to(db_session, email)) == 1
    # The next day, still overdue: one more.
    assert queue_reminders(db_session, TODAY + dt.timedelta(days=1)) == 1
    assert len(reminders_to(db_session, email)) == 2


def test_an_accepted_review_past_its_due_date_gets_an_overdue_reminder(db_session, factory):
    late = review_assignment(
        db_session,
        factory,
        response_due=TODAY - dt.timedelta(days=30),
        review_due=TODAY - dt.timedelta(days=1),
        accepted=True,
        title="Cloud Basics",
    )

    assert queue_reminders(db_session, TODAY) == 1

    (reminder,) = reminders_to(db_session, late.reviewer.email)
    assert reminder.subject == "Reminder: your review of Cloud Basics is overdue"
    assert "was due on 09 March 2031 (1 day ago)" in reminder.body


@pytest.mark.parametrize(
    "case",
    ["not yet due", "accepted and not yet due", "submitted", "declined", "cancelled", "withdrawn"],
)
def test_assignments_that_are_not_overdue_get_no_reminder(db_session, factory, case):
    past, future = TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=3)
    assignment = review_assignment(
        db_session,
        factory,
        response_due=future if case == "not yet due" else past,
        review_due=future if case == "accepted and not yet due" else past,
        accepted=case in {"accepted and not yet due", "submitted"},
        state="withdrawn" if case == "withdrawn" else "in_review",
    )
    moment = dt.datetime(2031, 3, 1, tzinfo=dt.UTC)
    if case == "submitted":
        db_session.add(
            Review(
                assignment_id=assignment.id,
                scores={},
                recommendation="approve",
                confidence=3,
            )
        )
    elif case == "declined":
        assignment.declined_at = moment
    elif case == "cancelled":
        assignment.cancelled_at = moment
    db_session.flush()

    assert queue_reminders(db_session, TODAY) == 0
    assert reminders_to(db_session, assignment.reviewer.email) == []


def test_reminders_command_queues_them_and_outbox_send_delivers_them(
    app, runner, db_session, factory, smtp, monkeypatch
):
    for key, value in smtp.config.items():
        monkeypatch.setitem(app.config, key, value)
    late = review_assignment(
        db_session,
        factory,
        response_due=TODAY - dt.timedelta(days=1),
        review_due=TODAY + dt.timedelta(days=14),
        title="Welding Safety",
    )
    email = late.reviewer.email

    first = runner.invoke(args=["reminders", "--today", TODAY.isoformat()])
    again = runner.invoke(args=["reminders", "--today", TODAY.isoformat()])
    sent = runner.invoke(args=["outbox", "send"])

    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "Queued 1 reminder(s) for 2031-03-10."
    assert again.output.splitlines()[0] == "Queued 0 reminder(s) for 2031-03-10."
    assert sent.exit_code == 0 and sent.output.strip() == "Sent 1 message(s), 0 failed."
    (mail,) = smtp.mailbox.arrived
    assert mail["To"] == email
    assert mail["Subject"] == "Reminder: please accept or decline the review of Welding Safety"
    assert "Welding Safety" in mail.get_content()


def test_reminders_command_refuses_a_date_that_is_not_one(runner, db_session):
    result = runner.invoke(args=["reminders", "--today", "31/03/2031"])

    assert result.exit_code == 2
    assert "Invalid value for '--today'" in result.output
    assert db_session.scalar(select(OutboxMessage.id).limit(1)) is None
