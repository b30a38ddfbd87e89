"""Wallet operations: add, import and remove entries, the wallet as STACKING.md reads it, progress.

Every function acts for one learner (`owner`); another learner's entries are out of sight, as
if they did not exist. Functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.models import User
from registry.credentials.models import Credential
from registry.errors import FieldError, NotFound, ValidationError
from registry.learners.evaluation import evaluate_wallet
from registry.learners.models import EntrySource, WalletEntry
from registry.stacking.dates import parse_date

RESULT_MAX_LENGTH = 100
IMPORT_MAX_ENTRIES = 1000
# Fields of an entry that the API lists but that a client cannot set (ignored on the way in,
# so a listed wallet can be posted back as it is).
READ_ONLY_FIELDS = frozenset({"id", "source", "title"})
ENTRY_FIELDS = frozenset(
    {"credential", "earned_on", "expires_on", "result", "revoked", "counted_toward"}
)


def wallet_entries(session: Session, owner: User) -> list[WalletEntry]:
    """The owner's entries in the wallet's one order: earned_on, then the order they were added.

    This order is the wallet's: progress answers index entries by their place in this list.
    """
    return list(
        session.scalars(
            select(WalletEntry)
            .where(WalletEntry.user_id == owner.id)
            .order_by(WalletEntry.earned_on, WalletEntry.id)
        )
    )


def entry_document(entry: WalletEntry) -> dict[str, Any]:
    """One entry in the STACKING.md wallet-entry shape (optional fields only when set)."""
    document: dict[str, Any] = {
        "credential": entry.credential_id,
        "earned_on": entry.earned_on.isoformat(),
    }
    if entry.expires_on is not None:
        document["expires_on"] = entry.expires_on.isoformat()
    if entry.revoked:
        document["revoked"] = True
    if entry.result is not None:
        document["result"] = entry.result
    if entry.counted_toward:
        document["counted_toward"] = list(entry.counted_toward)
    return document


def wallet_of(session: Session, owner: User) -> list[dict[str, Any]]:
    """The owner's wallet as a STACKING.md wallet list, in the order of `wallet_entries`."""
    return [entry_document(entry) for entry in wallet_entries(session, owner)]


def add_entry(
    session: Session,
    owner: User,
    data: Any,
    *,
    source: str = EntrySource.MANUAL,
    today: dt.date | None = None,
) -> WalletEntry:
    """Add one entry to the owner's wallet; every problem is reported with its field."""
    entries = _checked_entries(session, owner, [data], prefix=None, today=today)
    return _store(session, owner, entries, source)[0]


def import_entries(
    session: Session, owner: User, items: Any, *, today: dt.date | None = None
) -> list[WalletEntry]:
    """Add a JSON list of entries, all or nothing; problems are named `entries[3].earned_on`."""
    if not isinstance(items, list):
        raise ValidationError(FieldError("entries", "send a JSON list of wallet entries"))
    if not items:
        raise ValidationError(FieldError("entries", "the list is empty: nothing to import"))
    if len(items) > IMPORT_MAX_ENTRIES:
        raise ValidationError(
            FieldError("entries", f"at most {IMPORT_MAX_ENTRIES} entries in one import")
        )
    entries = _checked_entries(session, owner, items, prefix="entries", today=today)
    return _store(session, owner, entries, EntrySource.IMPORT)


def remove_entry(session: Session, owner: User, entry_id: int) -> WalletEntry:
    """Remove one of the owner's entries; anyone else's is NotFound, like a missing one."""
    entry = session.get(WalletEntry, entry_id)
    if entry is None or entry.user_id != owner.id:
        raise NotFound(f"no wallet entry {entry_id} in your wallet")
    session.delete(entry)
    session.flush()
    return entry


def progress(
    session: Session,
    owner: User,
    *,
    cost: str = "credits",
    limit: int | None = None,
    qualifications: Sequence[str] | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """The STACKING.md answer for the owner's wallet (entries index `wallet_entries` order)."""
    request: dict[str, Any] = {"wallet": wallet_of(session, owner), "cost": cost}
    if limit is not None:
        request["limit"] = limit
    if qualifications is not None:
        request["qualifications"] = list(qualifications)
    if as_of is not None:
        request["as_of"] = as_of.isoformat()
    return evaluate_wallet(session, request)


def parse_result(text: str) -> str | int | float | None:
    """A result typed in a form: empty is none, "72" or "72.5" a number, anything else text."""
    text = text.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and "." not in text else number


# --- checking -----------------------------------------------------------------------------


def _checked_entries(
    session: Session,
    owner: User,
    items: Sequence[Any],
    *,
    prefix: str | None,
    today: dt.date | None,
) -> list[dict[str, Any]]:
    """Every item checked; a ValidationError listing every problem, or the clean entries."""
    today = today or dt.date.today()
    ids: set[str] = set()
    for item in items:
        if isinstance(item, Mapping):
            counted = item.get("counted_toward")
            named = [item.get("credential"), *(counted if isinstance(counted, list) else [])]
            ids.update(i for i in named if isinstance(i, str))
    known = _credential_states(session, ids)
    held = _held(session, owner)
    errors: list[FieldError] = []
    clean: list[dict[str, Any]] = []
    seen: set[tuple[str, dt.date]] = set()
    for n, item in enumerate(items):
        place = f"{prefix}[{n}]" if prefix is not None else ""
        problems, entry = _check_entry(item, place, known, held, today)
        if entry is not None:
            key = (entry["credential"], entry["earned_on"])
            if key in seen:
                problems.append(
                    FieldError(_at(place, "credential"), "listed twice with the same date earned")
                )
            seen.add(key)
        errors.extend(problems)
        if entry is not None and not problems:
            clean.append(entry)
    if errors:
        raise ValidationError(errors)
    return clean


def _at(place: str, name: str) -> str:
    return f"{place}.{name}" if place else name


def _check_entry(
    item: Any,
    place: str,
    known: dict[str, bool],
    held: set[tuple[str, dt.date | None]],
    today: dt.date,
) -> tuple[list[FieldError], dict[str, Any] | None]:
    if not isinstance(item, Mapping):
        return [FieldError(place, "a wallet entry must be an object")], None
    errors: list[FieldError] = []
    for key in sorted(set(item) - ENTRY_FIELDS - READ_ONLY_FIELDS, key=str):
        errors.append(FieldError(_at(place, str(key)), "unknown field"))

    ident = item.get("credential")
    if not isinstance(ident, str) or not ident.strip():
        errors.append(FieldError(_at(place, "credential"), "choose a credential"))
        ident = None
    elif ident not in known:
        errors.append(FieldError(_at(place, "credential"), f"no credential {ident!r}"))
        ident = None
    elif not known[ident] and (ident, None) not in held:
        errors.append(
            FieldError(_at(place, "credential"), f"{ident!r} is not a published credential")
        )
        ident = None

    earned_on = _date(item.get("earned_on"))
    if item.get("earned_on") in (None, ""):
        errors.append(FieldError(_at(place, "earned_on"), "give the date it was earned"))
    elif earned_on is None:
        errors.append(FieldError(_at(place, "earned_on"), "must be a date YYYY-MM-DD"))
    elif earned_on > today:
        errors.append(FieldError(_at(place, "earned_on"), "cannot be in the future"))
        earned_on = None

    expires_on = None
    if item.get("expires_on") not in (None, ""):
        expires_on = _date(item.get("expires_on"))
        if expires_on is None:
            errors.append(FieldError(_at(place, "expires_on"), "must be a date YYYY-MM-DD"))
        elif earned_on is not None and expires_on <= earned_on:
            errors.append(FieldError(_at(place, "expires_on"), "must be after the date earned"))

    result = item.get("result")
    if isinstance(result, str):
        result = result.strip() or None
    if result is None:
        pass
    elif isinstance(result, bool) or not isinstance(result, str | int | float):
        errors.append(FieldError(_at(place, "result"), "must be a short text or a number"))
    elif isinstance(result, float) and not math.isfinite(result):
        errors.append(FieldError(_at(place, "result"), "must be a finite number"))
    elif isinstance(result, str) and len(result) > RESULT_MAX_LENGTH:
        errors.append(FieldError(_at(place, "result"), f"at most {RESULT_MAX_LENGTH} characters"))

    revoked = item.get("revoked", False)
    if revoked is None:
        revoked = False
    if not isinstance(revoked, bool):
        errors.append(FieldError(_at(place, "revoked"), "must be true or false"))

    counted = item.get("counted_toward") or []
    if not isinstance(counted, list) or not all(isinstance(q, str) for q in counted):
        errors.append(FieldError(_at(place, "counted_toward"), "must be a list of ids"))
        counted = []
    for n, other in enumerate(counted):
        if other not in known:
            errors.append(
                FieldError(_at(place, f"counted_toward[{n}]"), f"no qualification {other!r}")
            )

    if ident is not None and earned_on is not None and (ident, earned_on) in held:
        errors.append(
            FieldError(
                _at(place, "credential"),
                f"{ident!r} earned on {earned_on.isoformat()} is already in your wallet",
            )
        )
    if errors or ident is None or earned_on is None:
        return errors, None
    return errors, {
        "credential": ident,
        "earned_on": earned_on,
        "expires_on": expires_on,
        "result": result,
        "revoked": revoked,
        "counted_toward": sorted(set(counted)),
    }


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return parse_date(value.strip() if isinstance(value, str) else value)


def _credential_states(session: Session, ids: set[str]) -> dict[str, bool]:
    """For each id that exists: whether it is published."""
    states: dict[str, bool] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(Credential.id, Credential.published_version_id).where(
                Credential.id.in_(wanted[start : start + 500])
            )
        )
        states.update((ident, published is not None) for ident, published in rows)
    return states


def _held(session: Session, owner: User) -> set[tuple[str, dt.date | None]]:
    """(credential, earned_on) of every entry held, and (credential, None) for each credential."""
    held: set[tuple[str, dt.date | None]] = set()
    rows = session.execute(
        select(WalletEntry.credential_id, WalletEntry.earned_on).where(
            WalletEntry.user_id == owner.id
        )
    )
    for ident, earned_on in rows:
        held.update({(ident, earned_on), (ident, None)})
    return held


def _store(
    session: Session, owner: User, entries: list[dict[str, Any]], source: str
) -> list[WalletEntry]:
    rows = [
        WalletEntry(
            user_id=owner.id,
            credential_id=entry["credential"],
            earned_on=entry["earned_on"],
            expires_on=entry["expires_on"],
            result=entry["result"],
            revoked=entry["revoked"],
            counted_toward=entry["counted_toward"],
            source=source,
        )
        for entry in entries
    ]
    session.add_all(rows)
    session.flush()
    return rows
