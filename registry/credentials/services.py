"""Credential operations: create and edit drafts, keep rule edges in step, pick what to show."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from registry.audit.services import record_event
from registry.auth.models import User
from registry.auth.permissions import can_edit_credential, has_permission
from registry.credentials.catalogue import bump_revision
from registry.credentials.fields import (
    credential_document,
    credential_problems,
    new_ctid,
    rule_edges,
    version_values,
)
from registry.credentials.models import (
    Credential,
    CredentialEdge,
    CredentialVersion,
    CreditUnit,
    Status,
)
from registry.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationError
from registry.providers.models import Provider
from registry.stacking import referenced_ids
from registry.stacking.rules import iter_nodes, key_path, rule_kind

# Each rule field and the kind of edge (and graph) it makes.
RULE_FIELDS = {"prerequisites": "prerequisite", "requirements": "requirement"}
# Versions that passed review once: anyone may read them in a credential's history.
PUBLIC_STATUSES = frozenset({"published", "superseded", "suspended", "retired"})
# An edit changes these versions in place: nobody has decided on them yet.
EDIT_IN_PLACE = frozenset({Status.DRAFT.value, Status.REVISIONS_REQUESTED.value})
# An edit of these makes a new draft version; the decided one is kept as it was.
EDIT_AS_NEW_VERSION = frozenset(
    {
        Status.PUBLISHED.value,
        Status.SUSPENDED.value,
        Status.REJECTED.value,
        Status.WITHDRAWN.value,
        Status.RETIRED.value,
    }
)
# Keeps IN (...) lists well below every database's limit on bound parameters.
_CHUNK = 500


# --- looking up ---------------------------------------------------------------------------


def get_credential(session: Session, credential_id: str) -> Credential:
    """The credential with this id, or NotFound."""
    credential = session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(f"no credential with id {credential_id!r}")
    return credential


def published_credentials(
    session: Session, *, provider_id: str | None = None, page: int = 1, per_page: int = 25
) -> tuple[list[tuple[Credential, CredentialVersion]], int]:
    """One page of published credentials (with their published version) by title, and the total."""
    where = [Credential.published_version_id.is_not(None)]
    if provider_id:
        where.append(Credential.provider_id == provider_id)
    total = session.scalar(select(func.count()).select_from(Credential).where(*where)) or 0
    rows = session.execute(
        select(Credential, CredentialVersion)
        .join(CredentialVersion, CredentialVersion.id == Credential.published_version_id)
        .options(joinedload(Credential.provider))
        .where(*where)
        .order_by(CredentialVersion.title, Credential.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return [(c, v) for c, v in rows], total


def unpublished_work(
    session: Session, provider_id: str
) -> list[tuple[Credential, CredentialVersion]]:
    """A provider's credentials whose current version is not the published one, by title."""
    rows = session.execute(
        select(Credential, CredentialVersion)
        .join(CredentialVersion, CredentialVersion.id == Credential.current_version_id)
        .where(
            Credential.provider_id == provider_id,
            or_(
                Credential.published_version_id.is_(None),
                Credential.published_version_id != Credential.current_version_id,
            ),
        )
        .order_by(CredentialVersion.title, Credential.id)
    ).all()
    return [(c, v) for c, v in rows]


def published_titles(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Titles of the published versions of these credentials (for links in rules)."""
    titles: dict[str, str] = {}
    for chunk in _chunks(set(ids)):
        rows = session.execute(
            select(Credential.id, CredentialVersion.title)
            .join(CredentialVersion, CredentialVersion.id == Credential.published_version_id)
            .where(Credential.id.in_(chunk))
        )
        titles.update((ident, title) for ident, title in rows)
    return titles


def credential_titles(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Titles to show for credentials: the published version's, else the newest version's."""
    titles: dict[str, str] = {}
    for chunk in _chunks(set(ids)):
        rows = session.execute(
            select(Credential.id, CredentialVersion.title)
            .join(
                CredentialVersion,
                CredentialVersion.id
                == func.coalesce(Credential.published_version_id, Credential.current_version_id),
            )
            .where(Credential.id.in_(chunk))
        )
        titles.update((ident, title) for ident, title in rows)
    return titles


def sees_drafts(user: Any, credential: Credential) -> bool:
    """Whether `user` may read this credential's unpublished versions (owner staff, QA, admin)."""
    return can_edit_credential(user, credential) or has_permission(
        user, "credential:view-unpublished"
    )


def version_to_show(
    credential: Credential, wanted: str | None, *, drafts_visible: bool
) -> CredentialVersion:
    """The version asked for: None (published, else current for those who may see drafts),
    "published", "current" or a version number; PermissionDenied or NotFound otherwise."""
    if wanted in (None, ""):
        if credential.published is not None:
            return credential.published
        if drafts_visible and credential.current is not None:
            return credential.current
        raise PermissionDenied("this credential is not published")
    if wanted == "published":
        if credential.published is None:
            raise NotFound("this credential has no published version")
        return credential.published
    if wanted == "current":
        if not drafts_visible:
            raise PermissionDenied(
                "only the provider's staff, coordinators and admins see unpublished versions"
            )
        if credential.current is None:
            raise NotFound("this credential has no current version")
        return credential.current
    if not wanted.isdigit():
        raise ValidationError(
            FieldError("version", "must be 'current', 'published' or a version number")
        )
    version = next((v for v in credential.versions if v.number == int(wanted)), None)
    if version is None:
        raise NotFound(f"this credential has no version {wanted}")
    if version.status not in PUBLIC_STATUSES and not drafts_visible:
        raise PermissionDenied(f"version {wanted} is not published")
    return version


def version_history(credential: Credential, *, drafts_visible: bool) -> list[CredentialVersion]:
    """Every version the reader may see, newest first."""
    return [
        v for v in reversed(credential.versions) if drafts_visible or v.status in PUBLIC_STATUSES
    ]


def credential_api_document(credential: Credential, version: CredentialVersion) -> dict[str, Any]:
    """A version in catalogue shape plus the read-only keys ctid, country, version and status."""
    doc = credential_document(credential, version, with_ctid=True)
    doc["country"] = credential.provider.country
    doc["version"] = version.number
    doc["status"] = version.status
    return doc


# --- changing -----------------------------------------------------------------------------


def create_credential(
    session: Session, data: Mapping[str, Any], *, actor: User | None
) -> Credential:
    """Add a credential from a catalogue-shape document as a draft version 1.

    Every problem is reported at once (ValidationError), a taken id or ctid is a Conflict;
    nothing is stored on either. `status` in `data` is checked but ignored: new credentials
    are drafts, publication goes through review. `actor` None is a system action.
    """
    problems = credential_problems_in_db(session, data)
    if problems:
        raise ValidationError(problems)
    if session.get(Credential, data["id"]) is not None:
        raise Conflict(f"a credential with id {data['id']!r} already exists")
    ctid = data.get("ctid") or new_ctid()
    if session.scalar(select(Credential.id).where(Credential.ctid == ctid)) is not None:
        raise Conflict(f"a credential with ctid {ctid!r} already exists")
    version = CredentialVersion(
        number=1,
        status=Status.DRAFT.value,
        created_by_id=actor.id if actor is not None else None,
        **_version_columns(data),
    )
    credential = Credential(id=data["id"], ctid=ctid, provider_id=data["provider"])
    credential.versions.append(version)
    credential.current = version
    sync_rule_edges(version)
    session.add(credential)
    session.flush()
    # A wallet may name any known credential, drafts included (they count, never planned).
    bump_revision(session)
    record_event(
        session,
        "credential.create",
        "credential",
        credential.id,
        actor=actor,
        to_state=version.status,
        after=credential_document(credential, version),
    )
    return credential


def update_credential(
    session: Session, credential: Credential, data: Mapping[str, Any], *, actor: User | None
) -> Credential:
    """Change a credential's content with a catalogue-shape document.

    A draft (or a version whose revisions were requested) has no decision on it yet, so it
    changes in place and keeps its number. A version that was decided on (published,
    suspended, rejected, withdrawn, retired) is kept as it is: the change becomes a new draft
    version, number + 1, and a published version stays what learners see until the new one
    is approved. A version in review is a Conflict. Its id, provider and ctid stay.
    """
    base = editable_version(credential)
    data = {"id": credential.id, "provider": credential.provider_id, **data}
    problems = credential_problems_in_db(session, data, credential)
    if problems:
        raise ValidationError(problems)
    before = credential_document(credential, base)
    if base.status in EDIT_IN_PLACE:
        version = base
        for key, value in _version_columns(data).items():
            setattr(version, key, value)
    else:
        version = CredentialVersion(
            number=max(v.number for v in credential.versions) + 1,
            status=Status.DRAFT.value,
            created_by_id=actor.id if actor is not None else None,
            **_version_columns(data),
        )
        credential.versions.append(version)
        credential.current = version
    sync_rule_edges(version)
    session.flush()
    bump_revision(session)
    after = credential_document(credential, version)
    if version is not base:
        after["version"] = version.number
    record_event(
        session,
        "credential.update" if version is base else "credential.new_version",
        "credential",
        credential.id,
        actor=actor,
        from_state=base.status,
        to_state=version.status,
        before=before,
        after=after,
    )
    return credential


def editable_version(credential: Credential) -> CredentialVersion:
    """The version an edit starts from (the current one), or a Conflict while it is in review."""
    version = credential.current
    if version is not None and version.status in EDIT_IN_PLACE | EDIT_AS_NEW_VERSION:
        return version
    state = version.status.replace("_", " ") if version is not None else "missing"
    raise Conflict(
        f"{credential.id!r} cannot be edited now: its current version is {state}, in review. "
        "Withdraw the submission to change it, or wait for the decision."
    )


def edits_in_place(version: CredentialVersion) -> bool:
    """Whether saving an edit changes this version itself rather than making a new one."""
    return version.status in EDIT_IN_PLACE


def sync_rule_edges(version: CredentialVersion) -> None:
    """Make the version's derived edge rows match its rules (call after changing them)."""
    wanted = rule_edges(version.prerequisites, version.requirements)
    kept = {(e.component_id, e.kind): e for e in version.edges}
    version.edges = [
        kept.get((component, kind)) or CredentialEdge(component_id=component, kind=kind)
        for component, kind in wanted
    ]


# --- checks -------------------------------------------------------------------------------


def _version_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    values = version_values(data)
    values["title"] = values["title"].strip()
    return values


def credential_problems_in_db(
    session: Session, data: Mapping[str, Any], existing: Credential | None = None
) -> list[FieldError]:
    """Every problem of a document against the database: fields, ids, units, providers, then
    cycles for the rules that are well formed. `existing` is the credential being updated."""
    problems = credential_problems(
        data,
        known_ids=_existing_ids(session, _rule_ids(data)),
        known_providers=_existing_providers(session, data.get("provider")),
        known_units=set(session.scalars(select(CreditUnit.code))),
    )
    if existing is not None:
        if data.get("id") != existing.id:
            problems.append(FieldError("id", "cannot be changed"))
        if data.get("provider") != existing.provider_id:
            problems.append(FieldError("provider", "cannot be changed"))
        if data.get("ctid") not in (None, existing.ctid):
            problems.append(FieldError("ctid", "cannot be changed"))
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        return problems
    for name, kind in RULE_FIELDS.items():
        rule = data.get(name)
        if not isinstance(rule, dict) or any(_under(p.field, name) for p in problems):
            continue
        cycle = _cycle_through(session, data["id"], rule, kind)
        if cycle is not None:
            where = _reference_path(rule, cycle[1])
            problems.append(
                FieldError(
                    f"{name}.{where}" if where else name,
                    "this rule makes a cycle: " + " -> ".join(cycle),
                )
            )
    return problems


def _under(field: str, name: str) -> bool:
    return field == name or field.startswith((name + ".", name + "["))


def _rule_ids(data: Any) -> set[str]:
    if not isinstance(data, Mapping):
        return set()
    ids: set[str] = set()
    for name in RULE_FIELDS:
        if isinstance(data.get(name), dict):
            ids |= referenced_ids(data[name])
    return ids


def _chunks(items: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(items)
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _existing_ids(session: Session, ids: set[str]) -> set[str]:
    """Which of `ids` are credentials in the database (only those a rule names are asked)."""
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(session.scalars(select(Credential.id).where(Credential.id.in_(chunk))))
    return found


def _existing_providers(session: Session, provider_id: Any) -> set[str]:
    if isinstance(provider_id, str) and provider_id and session.get(Provider, provider_id):
        return {provider_id}
    return set()


def _cycle_through(
    session: Session, credential_id: str, rule: dict[str, Any], kind: str
) -> list[str] | None:
    """The shortest cycle `credential_id -> ... -> credential_id` the rule would close, if any.

    A breadth-first walk over the stored edges of every credential's current and published
    versions, one query per level, starting from the ids the rule names.
    """
    starts = referenced_ids(rule)
    if credential_id in starts:
        return [credential_id, credential_id]
    parent: dict[str, str | None] = dict.fromkeys(starts)
    frontier = sorted(starts)
    while frontier:
        following: list[str] = []
        for chunk in _chunks(frontier):
            rows = session.execute(
                select(CredentialVersion.credential_id, CredentialEdge.component_id)
                .join(CredentialEdge, CredentialEdge.version_id == CredentialVersion.id)
                .join(Credential, Credential.id == CredentialVersion.credential_id)
                .where(
                    CredentialVersion.credential_id.in_(chunk),
                    CredentialEdge.kind == kind,
                    or_(
                        Credential.current_version_id == CredentialVersion.id,
                        Credential.published_version_id == CredentialVersion.id,
                    ),
                )
                .distinct()
                .order_by(CredentialVersion.credential_id, CredentialEdge.component_id)
            )
            for source, target in rows:
                if target == credential_id:
                    path = [source]
                    while (step := parent[path[-1]]) is not None:
                        path.append(step)
                    return [credential_id, *reversed(path), credential_id]
                if target not in parent:
                    parent[target] = source
                    following.append(target)
        frontier = sorted(following)
    return None


def _reference_path(rule: dict[str, Any], ident: str) -> str:
    """The path inside `rule` of the first place that names `ident` ("" if none)."""
    for path, node in iter_nodes(rule):
        kind = rule_kind(node)
        if kind == "credential" and node["credential"] == ident:
            return key_path(path, "credential")
        if kind not in ("credits", "count"):
            continue
        filters = [("where", node.get("where"))]
        parts = node.get("of_which")
        if isinstance(parts, list):
            filters += [
                (f"of_which[{i}].where", part.get("where"))
                for i, part in enumerate(parts)
                if isinstance(part, dict)
            ]
        for prefix, where in filters:
            names = where.get("credentials") if isinstance(where, dict) else None
            if isinstance(names, list) and ident in names:
                return f"{key_path(path, prefix)}.credentials[{names.index(ident)}]"
    return ""
