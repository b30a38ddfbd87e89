"""Loading the demo: the demo catalogue file and one demo account per role, safe to repeat."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.models import User
from registry.auth.services import create_user, get_user_by_email
from registry.interop.catalogue import ImportReport, import_catalogue
from registry.learners.services import import_entries, wallet_entries
from registry.providers.models import Provider
from registry.review.rubrics import create_default_rubric

DEMO_CATALOGUE = Path(__file__).resolve().parent / "catalogue.json"
# One documented password for every demo account; the demo is for trying the registry out.
DEMO_PASSWORD = "demo-password"
# The provider whose staff account the demo includes (the first provider of the demo file).
DEMO_PROVIDER = "northfield"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    provider: str | None = None
    expertise: tuple[str, ...] = ()


# The demo learner's wallet, as (credential, days before today, result): a completed
# qualification (5 Weser digital badges), one well under way (3 of the 6 parts of the
# statistics MicroMasters) and scattered badges, so that "My qualifications" shows all three.
DEMO_WALLET_LEARNER = "learner@demo.example"
DEMO_WALLET = (
    ("wda-badge-word", 600, None),
    ("wda-badge-spreadsheet", 540, None),
    ("wda-badge-collaboration", 420, None),
    ("wda-badge-genai", 300, None),
    ("wda-badge-low-code", 120, 88),
    ("nfx-sds-prob", 700, 87),
    ("nfx-sds-stats", 450, 91),
    ("nfx-sds-ml", 200, 78),
    ("sbtu-comp-programming", 380, "Merit"),
    ("hks-mc-pm-fundamentals", 900, "A-"),
    ("brsu-ete-engage-01", 60, None),
    ("brsu-ete-engage-02", 30, None),
)

DEMO_USERS = (
    DemoUser("admin@demo.example", "Ada Admin", "admin"),
    DemoUser("coordinator@demo.example", "Cora Coordinator", "coordinator"),
    # An external reviewer (no provider) with data-science and computing subjects.
    DemoUser("reviewer@demo.example", "Rui Reviewer", "reviewer", expertise=("0542", "0613")),
    DemoUser("provider@demo.example", "Pat Provider", "provider", provider=DEMO_PROVIDER),
    DemoUser("learner@demo.example", "Lee Learner", "learner"),
)


@dataclass
class SeedReport:
    """What `seed_demo` added: the catalogue import (None if it was loaded before) and users."""

    catalogue: ImportReport | None
    created: list[User] = field(default_factory=list)
    wallet_entries: int = 0  # entries given to the demo learner's empty wallet

    @property
    def changed(self) -> bool:
        return self.catalogue is not None or bool(self.created) or bool(self.wallet_entries)


def demo_document() -> dict[str, Any]:
    """The demo catalogue document."""
    return json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))


def seed_demo(session: Session, *, actor: User | None = None) -> SeedReport:
    """Add the demo catalogue unless one of its providers exists, then any missing demo user."""
    document = demo_document()
    provider_ids = [provider["id"] for provider in document["providers"]]
    loaded = session.scalar(select(Provider.id).where(Provider.id.in_(provider_ids)).limit(1))
    report = SeedReport(None if loaded else import_catalogue(session, document, actor=actor))
    for demo in DEMO_USERS:
        if get_user_by_email(session, demo.email) is not None:
            continue
        user = create_user(
            session,
            demo.email,
            name=demo.name,
            password=DEMO_PASSWORD,
            roles={demo.role},
            provider_id=demo.provider,
            expertise=list(demo.expertise),
            actor=actor,
        )
        report.created.append(user)
    report.wallet_entries = _seed_wallet(session)
    # The rubric submissions are reviewed against (created once; kept if already there).
    create_default_rubric(session, actor=actor)
    return report


def _seed_wallet(session: Session) -> int:
    """Fill the demo learner's wallet if it is empty; dated back from today so it stays current."""
    learner = get_user_by_email(session, DEMO_WALLET_LEARNER)
    if learner is None or wallet_entries(session, learner):
        return 0
    today = dt.date.today()
    items = [
        {"credential": ident, "earned_on": (today - dt.timedelta(days=days)).isoformat()}
        | ({} if result is None else {"result": result})
        for ident, days, result in DEMO_WALLET
    ]
    return len(import_entries(session, learner, items, today=today))
