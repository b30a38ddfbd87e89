"""Domain errors; they know nothing of HTTP (registry.web.errors maps them)."""

from __future__ import annotations

from dataclasses import dataclass


class RegistryError(Exception):
    """Base of every domain error."""


class NotFound(RegistryError):
    """The thing asked for does not exist."""


class PermissionDenied(RegistryError):
    """The actor may not do this."""


class Conflict(RegistryError):
    """The request clashes with the current state (a duplicate, a wrong workflow state)."""


class NotReady(RegistryError):
    """The answer needs work an operator has not done yet; asking again later may succeed."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; `field` is a path such as `credentials[3].requirements`."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ValidationError(RegistryError):
    """Input that cannot be accepted; carries every problem found, each with its field."""

    def __init__(self, errors: list[FieldError] | FieldError, message: str = "invalid input"):
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__(message)

    def __str__(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in self.errors)
