"""What the wallet pages show, gathered from the services: titles, explanations, plans, reasons."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from registry.auth.models import User
from registry.credentials.catalogue import cached_catalogue
from registry.credentials.models import Credential
from registry.credentials.services import credential_titles
from registry.errors import NotReady
from registry.learners import services
from registry.learners.explain import Part, Reason, explain_assignment, unreachable_reasons
from registry.learners.models import WalletEntry
from registry.search.services import search_credentials
from registry.stacking.pages import counts_toward

NEAREST = 10  # in-progress and unreachable qualifications shown before "show all"
# "Show all" stops here: a catalogue of a million credentials holds tens of thousands of
# qualifications, more than a page can list (the progress API answers them all).
SHOW_ALL_LIMIT = 500
COUNTS_TOWARD_SHOWN = 12  # qualifications listed on a credential page
SUGGESTIONS = 60  # credentials offered in the chooser's suggestion list
COST_LABELS = {"credits": "credits (ECTS)", "count": "number of credentials", "price": "price"}


@dataclass
class Step:
    credential: str
    title: str
    cost: float | None


@dataclass
class Row:
    qualification: str
    title: str
    status: str
    progress: float | None = None
    plan: list[Step] = field(default_factory=list)
    plan_cost: float | None = None
    parts: list[Part] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        """Whole percent, rounded down, so that only a completed qualification shows 100."""
        if self.progress is None:
            return None
        return min(
            math.floor(self.progress * 100 + 1e-9), 99 if self.status != "completed" else 100
        )


@dataclass
class ProgressPage:
    cost: str
    completed: list[Row]
    in_progress: list[Row]
    unreachable: list[Row]
    more_in_progress: bool
    more_unreachable: int
    entries: list[WalletEntry]
    titles: dict[str, str]


def progress_page(session: Session, owner: User, *, cost: str, show_all: bool) -> ProgressPage:
    """The "My qualifications" page: the evaluation answer, in words and with titles."""
    limit = SHOW_ALL_LIMIT if show_all else NEAREST
    # One more than shown tells whether there are more than the page lists.
    answer = services.progress(session, owner, cost=cost, limit=limit + 1)
    catalogue = cached_catalogue(session)
    entries = services.wallet_entries(session, owner)
    held = {entry.credential_id for entry in entries}
    in_progress = answer["in_progress"]
    more_in_progress = len(in_progress) > limit
    in_progress = in_progress[:limit]
    unreachable_ids = answer["unreachable"]
    shown_unreachable = unreachable_ids[:limit]

    ids: set[str] = {entry.credential_id for entry in entries}
    ids.update(row["qualification"] for row in answer["completed"])
    ids.update(shown_unreachable)
    for row in in_progress:
        ids.add(row["qualification"])
        ids.update(row["plan"])
    titles = credential_titles(session, ids)
    index = catalogue.index()

    def step_cost(ident: str) -> float | None:
        spec = catalogue.credentials[ident]
        if cost == "count":
            return 1.0
        if cost == "price":
            return spec.price
        return index.value_in(spec, "ECTS")

    completed = []
    for row in answer["completed"]:
        ident = row["qualification"]
        parts = explain_assignment(catalogue, ident, row["assignment"])
        completed.append(Row(ident, titles.get(ident, ident), "completed", 1.0, parts=parts))
    progressing = [
        Row(
            row["qualification"],
            titles.get(row["qualification"], row["qualification"]),
            "in_progress",
            row["progress"],
            plan=[Step(i, titles.get(i, i), step_cost(i)) for i in row["plan"]],
            plan_cost=row["plan_cost"],
        )
        for row in in_progress
    ]
    unreachable = [
        Row(
            ident,
            titles.get(ident, ident),
            "unreachable",
            reasons=unreachable_reasons(catalogue, ident, held),
        )
        for ident in shown_unreachable
    ]
    # Titles for every credential the explanations and reasons name.
    named: set[str] = set()
    for part in (p for row in completed for p in row.parts):
        named.update(part.through, (v for kind, v in part.pieces if kind == "id"))
    for reason in (r for row in unreachable for r in row.reasons):
        named.update(reason.through, (v for kind, v in reason.pieces if kind == "id"))
    titles.update(credential_titles(session, named - set(titles)))
    return ProgressPage(
        cost=cost,
        completed=completed,
        in_progress=progressing,
        unreachable=unreachable,
        more_in_progress=more_in_progress,
        more_unreachable=len(unreachable_ids) - len(shown_unreachable),
        entries=entries,
        titles=titles,
    )


def suggestions(session: Session, owner: User) -> list[tuple[str, str]]:
    """Credentials worth offering in the chooser: the next steps of the nearest qualifications.

    The full catalogue may hold a million credentials, so the chooser offers these and the
    server also accepts any identifier or a title typed in full (see `resolve_credential`).
    """
    answer = services.progress(session, owner, limit=NEAREST)
    ids: list[str] = []
    for row in answer["in_progress"]:
        ids.extend(i for i in row["plan"] if i not in ids)
    ids = ids[:SUGGESTIONS]
    titles = credential_titles(session, ids)
    return [(ident, titles.get(ident, ident)) for ident in ids]


def resolve_credential(
    session: Session, text: str, *, limit: int = 20
) -> tuple[str | None, list[tuple[str, str]]]:
    """What the chooser's text means: (the credential id, []) or (None, candidates to choose).

    The text names a credential when it is an identifier (what a suggestion fills in; the
    service then decides whether it may be added) or the one published title equal to it,
    ignoring case. Otherwise the catalogue search's best `limit` hits are offered to choose
    from, so a near miss is never added silently.
    """
    text = text.strip()
    if not text:
        return None, []
    if session.get(Credential, text) is not None:
        return text, []
    hits = [(hit.id, hit.title) for hit in search_credentials(session, text, per_page=limit).hits]
    same = [ident for ident, title in hits if title.casefold() == text.casefold()]
    if len(same) == 1:
        return same[0], []
    return None, hits


def counts_toward_progress(session: Session, owner: Any, credential_id: str) -> list[Row] | None:
    """For a credential page: the learner's standing on each qualification it counts toward.

    None for visitors who are not logged in when there is something to show (the page then
    invites them to log in). When the credential is a qualification itself, it comes first.
    """
    catalogue = cached_catalogue(session)
    spec = catalogue.credentials.get(credential_id)
    if spec is None:
        return []
    wanted = [
        q for q in counts_toward(catalogue, credential_id) if catalogue.credentials[q].is_published
    ]
    if spec.is_qualification and spec.is_published:
        wanted.insert(0, credential_id)
    wanted = wanted[:COUNTS_TOWARD_SHOWN]
    if not wanted:
        return []
    if not getattr(owner, "is_authenticated", False):
        return None
    try:
        answer = services.progress(session, owner, qualifications=wanted)
    except NotReady:
        return []  # the page still shows the credential; progress comes once prepared
    titles = credential_titles(session, wanted)
    status: dict[str, Row] = {}
    for row in answer["completed"]:
        status[row["qualification"]] = Row(row["qualification"], "", "completed", 1.0)
    for row in answer["in_progress"]:
        status[row["qualification"]] = Row(
            row["qualification"], "", "in_progress", row["progress"], plan_cost=row["plan_cost"]
        )
    rows = []
    for ident in wanted:
        found = status.get(ident) or Row(ident, "", "unreachable")
        found.title = titles.get(ident, ident)
        rows.append(found)
    return rows
