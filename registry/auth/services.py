"""Account operations: create users, check passwords, manage roles and API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from registry.audit.services import record_event
from registry.auth.models import ROLE_VALUES, ApiToken, User
from registry.db import utcnow
from registry.errors import Conflict, FieldError, NotFound, ValidationError
from registry.providers.models import Provider

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "reg_"
# werkzeug's scrypt with its default work factor, spelled out. The test suite lowers n so that
# its many logins stay fast; the algorithm and the code path stay the same.
PASSWORD_HASH_METHOD = "scrypt:32768:8:1"


def hash_password(password: str) -> str:
    """A salted scrypt hash."""
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash to check against when the email is unknown, so timing does not reveal accounts."""
    return generate_password_hash("not-a-real-password", method=method)


def normalise_email(email: str) -> str:
    """The canonical form of an address, or a ValidationError naming `email`."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(FieldError("email", str(exc))) from exc


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    return None


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    session: Session,
    email: str,
    *,
    name: str,
    password: str,
    roles: Iterable[str] = ("learner",),
    provider_id: str | None = None,
    expertise: list[str] | None = None,
    active: bool = True,
    actor: User | None = None,
) -> User:
    """Create an account; refuses bad fields (all of them at once) and duplicate emails."""
    errors: list[FieldError] = []
    try:
        email = normalise_email(email)
    except ValidationError as exc:
        errors.extend(exc.errors)
    if not name.strip():
        errors.append(FieldError("name", "is required"))
    if problem := password_problem(password):
        errors.append(FieldError("password", problem))
    wanted = set(roles)
    if unknown := wanted - set(ROLE_VALUES):
        errors.append(FieldError("roles", f"unknown role(s): {', '.join(sorted(unknown))}"))
    if not wanted:
        errors.append(FieldError("roles", "at least one role is required"))
    errors.extend(_provider_problems(session, wanted, provider_id))
    if errors:
        raise ValidationError(errors)
    if get_user_by_email(session, email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        provider_id=provider_id or None,
        expertise=list(expertise or []),
        active=active,
    )
    user.roles = wanted
    try:
        # The check above can race a concurrent request (a double-clicked form); the unique
        # constraint decides, and the savepoint keeps the caller's session usable.
        with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:
        raise Conflict(f"a user with email {email} already exists") from exc
    record_event(
        session,
        "user.create",
        "user",
        str(user.id),
        actor=actor or user,
        after={"email": email, "roles": sorted(wanted), "provider": provider_id, "active": active},
    )
    return user


def _provider_problems(session: Session, roles: set[str], provider_id: str | None) -> list:
    if provider_id and session.get(Provider, provider_id) is None:
        return [FieldError("provider", f"unknown provider {provider_id!r}")]
    if "provider" in roles and not provider_id:
        return [FieldError("provider", "provider staff must belong to a provider")]
    return []


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = get_user_by_email(session, email)
    if user is None:
        check_password_hash(_dummy_hash(PASSWORD_HASH_METHOD), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise ValidationError(FieldError("current_password", "is not your current password"))
    if problem := password_problem(new):
        raise ValidationError(FieldError("new_password", problem))
    user.password_hash = hash_password(new)
    record_event(session, "user.password_change", "user", str(user.id), actor=user)


def update_user(
    session: Session,
    user: User,
    *,
    name: str,
    roles: set[str],
    provider_id: str | None,
    expertise: list[str],
    active: bool,
    actor: User,
) -> User:
    """Change an account's name, roles, provider, expertise and active flag (admins only)."""
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError("name", "is required"))
    if unknown := set(roles) - set(ROLE_VALUES):
        errors.append(FieldError("roles", f"unknown role(s): {', '.join(sorted(unknown))}"))
    if not roles:
        errors.append(FieldError("roles", "at least one role is required"))
    errors.extend(_provider_problems(session, set(roles), provider_id))
    if user.id == actor.id and ("admin" not in roles or not active):
        errors.append(
            FieldError("roles", "you cannot remove your own admin role or deactivate yourself")
        )
    if errors:
        raise ValidationError(errors)
    before = _user_snapshot(user)
    user.name = name.strip()
    user.roles = roles
    user.provider_id = provider_id or None
    user.expertise = list(expertise)
    user.active = active
    session.flush()
    record_event(
        session,
        "user.update",
        "user",
        str(user.id),
        actor=actor,
        before=before,
        after=_user_snapshot(user),
    )
    return user


def _user_snapshot(user: User) -> dict:
    return {
        "name": user.name,
        "roles": sorted(user.roles),
        "provider": user.provider_id,
        "expertise": list(user.expertise),
        "active": user.active,
    }


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, user: User, name: str = "API token") -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret, which is never stored."""
    name = name.strip() or "API token"
    if len(name) > 100:
        raise ValidationError(FieldError("name", "must be at most 100 characters"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_token_hash(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    record_event(
        session, "token.create", "user", str(user.id), actor=user, after={"token": token.id}
    )
    return token, secret


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("no such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(
            session, "token.revoke", "user", str(user.id), actor=user, after={"token": token.id}
        )
    return token


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user
