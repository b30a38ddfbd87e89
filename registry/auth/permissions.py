"""Named permissions, the one map from role to permission, and the predicates that check them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registry.credentials.models import Credential

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "user:manage",
            "provider:create",
            "provider:edit",
            "credential:create",
            "credential:edit",
            "credential:view-unpublished",
            "catalogue:import",
            "audit:view",
            "token:own",
            "rubric:manage",
            "review:dashboard",
        }
    ),
    "coordinator": frozenset(
        {
            "credential:view-unpublished",
            "audit:view",
            "token:own",
            "review:dashboard",
            "review:coordinate",
        }
    ),
    "reviewer": frozenset({"review:review", "token:own"}),
    "provider": frozenset({"credential:create", "credential:edit", "token:own"}),
    "learner": frozenset({"wallet:use", "token:own"}),
}


def has_permission(user: Any, permission: str) -> bool:
    """Whether any of the user's roles grants `permission` (anonymous users have none)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(permission in ROLE_PERMISSIONS.get(role, ()) for role in user.roles)


def acts_for_provider(user: Any, provider_id: str) -> bool:
    """Admins act for every provider; provider staff only for their own."""
    if has_permission(user, "provider:edit"):
        return True
    return user.has_role("provider") and user.provider_id == provider_id


def can_create_credential(user: Any, provider_id: str) -> bool:
    return has_permission(user, "credential:create") and acts_for_provider(user, provider_id)


def can_view_credential(user: Any, credential: Credential) -> bool:
    """Published credentials are public; the rest only for their provider's staff and QA."""
    if credential.published_version_id is not None:
        return True
    if has_permission(user, "credential:view-unpublished"):
        return True
    return (
        getattr(user, "is_authenticated", False)
        and user.has_role("provider")
        and user.provider_id == credential.provider_id
    )


def can_edit_credential(user: Any, credential: Credential) -> bool:
    """Staff of the owning provider (or admins) may edit a credential's draft version."""
    return has_permission(user, "credential:edit") and acts_for_provider(
        user, credential.provider_id
    )


def can_keep_wallet(user: Any) -> bool:
    """Every logged-in account keeps its own wallet (staff and reviewers learn too).

    A wallet only ever holds its owner's awards and nobody acts on another's, so no role is
    needed; anonymous visitors have none.
    """
    return bool(getattr(user, "is_authenticated", False))
