"""Recording audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.auth.models import User


def record_event(
    session: Session,
    action: str,
    object_type: str,
    object_id: str,
    *,
    actor: User | None,
    actor_role: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event; the caller's transaction commits it with the change it records."""
    if actor_role is None and actor is not None:
        actor_role = _main_role(actor)
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_role=actor_role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        from_state=from_state,
        to_state=to_state,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(event)
    return event


_ROLE_ORDER = ("admin", "coordinator", "reviewer", "provider", "learner")


def _main_role(user: User) -> str | None:
    return next((r for r in _ROLE_ORDER if user.has_role(r)), None)
