"""The catalogue shape of providers and credentials: field checks and conversions.

One definition serves the JSON API, the pages' forms and the catalogue files, so a field means
the same everywhere and every path of entry refuses the same bad input with the same message.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Container, Mapping
from typing import Any

from registry.credentials.models import PARTICIPATION_FORMS, STATUS_VALUES
from registry.errors import FieldError
from registry.stacking import referenced_ids, rule_problems

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
CTID_PATTERN = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

# Key order of the catalogue document (STACKING.md "Catalogue files").
PROVIDER_FIELDS = ("id", "name", "country", "url", "email_domains", "description")
CREDENTIAL_FIELDS = (
    "id",
    "provider",
    "title",
    "description",
    "learning_outcomes",
    "credits",
    "credit_unit",
    "level",
    "subjects",
    "languages",
    "type",
    "assessment_type",
    "participation_form",
    "quality_assurance",
    "duration",
    "url",
    "status",
    "valid_years",
    "price",
    "prerequisites",
    "requirements",
    "max_reuse",
)
# Accepted on input so a full backup keeps its identifiers; not part of the default document.
OPTIONAL_INPUT_FIELDS = ("ctid",)


def new_ctid() -> str:
    """A Credential Engine style identifier: `ce-` and a UUID, made once and never changed."""
    return f"ce-{uuid.uuid4()}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


class _Checker:
    """Collects FieldErrors under a prefix such as `credentials[3]`."""

    def __init__(self, data: Mapping[str, Any], prefix: str) -> None:
        self.data = data
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def add(self, name: str, message: str) -> None:
        self.errors.append(FieldError(self.path(name), message))

    def present(self, name: str) -> bool:
        return self.data.get(name) is not None

    def string(self, name: str, *, required: bool = False, max_len: int = 300) -> None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.add(name, "is required")
        elif not isinstance(value, str):
            self.add(name, "must be a string")
        elif required and not value.strip():
            self.add(name, "must not be empty")
        elif len(value) > max_len:
            self.add(name, f"must be at most {max_len} characters")

    def pattern(self, name: str, pattern: re.Pattern[str], what: str, *, required=False) -> None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.add(name, "is required")
        elif not isinstance(value, str) or not pattern.match(value):
            self.add(name, f"must be {what}")

    def string_list(self, name: str, item: Callable[[str], bool] | None = None, what="") -> None:
        value = self.data.get(name)
        if value is None:
            return
        if not _str_list(value):
            self.add(name, "must be a list of non-empty strings")
            return
        for i, v in enumerate(value):
            if item is not None and not item(v):
                self.errors.append(FieldError(f"{self.path(name)}[{i}]", f"must be {what}"))
        if len(set(value)) != len(value):
            self.add(name, "must not repeat an item")

    def number(self, name: str, *, minimum: float = 0) -> None:
        value = self.data.get(name)
        if value is None:
            return
        if not _is_number(value) or not math.isfinite(value):  # NaN and infinity are no numbers
            self.add(name, "must be a number")
        elif value < minimum:
            self.add(name, f"must be at least {minimum:g}")

    def integer(self, name: str, *, minimum: int, maximum: int | None = None) -> None:
        value = self.data.get(name)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(name, "must be a whole number")
        elif value < minimum or (maximum is not None and value > maximum):
            span = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
            self.add(name, f"must be {span}")

    def one_of(self, name: str, choices: tuple[str, ...]) -> None:
        value = self.data.get(name)
        if value is not None and value not in choices:
            self.add(name, f"must be one of {', '.join(choices)}")

    def unknown_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                self.add(key, "is not a known field")


def provider_problems(data: Any, prefix: str = "") -> list[FieldError]:
    """Every problem with a provider in catalogue shape."""
    if not isinstance(data, Mapping):
        return [FieldError(prefix, "must be an object")]
    c = _Checker(data, prefix)
    c.unknown_keys(PROVIDER_FIELDS + OPTIONAL_INPUT_FIELDS)
    c.pattern("id", ID_PATTERN, "a slug of letters, digits, '.', '_' or '-'", required=True)
    c.pattern("ctid", CTID_PATTERN, "'ce-' followed by a UUID")
    c.string("name", required=True)
    c.pattern("country", COUNTRY_PATTERN, "an ISO 3166 two-letter country code", required=True)
    c.pattern("url", URL_PATTERN, "an http(s) URL")
    c.string_list(
        "email_domains", lambda d: bool(DOMAIN_PATTERN.match(d)), "a domain name in lower case"
    )
    c.string("description", max_len=20_000)
    return c.errors


def credential_problems(
    data: Any,
    prefix: str = "",
    *,
    known_ids: Container[str] | None = None,
    known_providers: Container[str] | None = None,
    known_units: Container[str] | None = None,
) -> list[FieldError]:
    """Every problem with a credential in catalogue shape; rules are checked for shape and ids.

    `known_*` name what exists (None skips that check); the credential's own id counts as known
    so that the caller can decide about self-references (a cycle) with the whole graph.
    """
    if not isinstance(data, Mapping):
        return [FieldError(prefix, "must be an object")]
    c = _Checker(data, prefix)
    c.unknown_keys(CREDENTIAL_FIELDS + OPTIONAL_INPUT_FIELDS)
    c.pattern("id", ID_PATTERN, "a slug of letters, digits, '.', '_' or '-'", required=True)
    c.pattern("ctid", CTID_PATTERN, "'ce-' followed by a UUID")
    c.string("provider", required=True, max_len=100)
    provider = data.get("provider")
    known = known_providers
    if known is not None and isinstance(provider, str) and provider and provider not in known:
        c.add("provider", f"unknown provider {provider!r}")
    c.string("title", required=True)
    c.string("description", max_len=20_000)
    c.string_list("learning_outcomes")
    c.number("credits")
    c.string("credit_unit", max_len=40)
    unit = data.get("credit_unit")
    if known_units is not None and isinstance(unit, str) and unit not in known_units:
        c.add("credit_unit", f"unknown credit unit {unit!r}")
    c.integer("level", minimum=1, maximum=8)
    c.string_list("subjects")
    c.string_list("languages", lambda v: bool(LANGUAGE_PATTERN.match(v)), "a language code")
    c.string("type", max_len=50)
    c.string("assessment_type", max_len=200)
    c.one_of("participation_form", PARTICIPATION_FORMS)
    c.string("quality_assurance", max_len=300)
    c.string("duration", max_len=100)
    c.pattern("url", URL_PATTERN, "an http(s) URL")
    c.one_of("status", STATUS_VALUES)
    c.integer("valid_years", minimum=1, maximum=100)
    c.number("price")
    c.integer("max_reuse", minimum=1)
    if c.present("max_reuse") and not c.present("requirements"):
        c.add("max_reuse", "only a qualification (a credential with requirements) has max_reuse")
    ids = known_ids
    if known_ids is not None and isinstance(data.get("id"), str):
        own = data["id"]
        ids = _WithOwnId(known_ids, own)
    for name in ("prerequisites", "requirements"):
        if name in data and data[name] is not None:
            for problem in rule_problems(data[name], ids):
                path = f"{name}.{problem.path}" if problem.path else name
                c.errors.append(FieldError(c.path(path), problem.message))
    return c.errors


class _WithOwnId:
    def __init__(self, ids: Container[str], own: str) -> None:
        self.ids, self.own = ids, own

    def __contains__(self, item: object) -> bool:
        return item == self.own or item in self.ids


# Columns of CredentialVersion filled from the document, with their defaults when absent.
VERSION_DEFAULTS: dict[str, Any] = {
    "title": "",
    "description": "",
    "learning_outcomes": [],
    "credits": None,
    "credit_unit": "ECTS",
    "level": None,
    "subjects": [],
    "languages": [],
    "type": "micro-credential",
    "assessment_type": None,
    "participation_form": None,
    "quality_assurance": None,
    "duration": None,
    "url": None,
    "valid_years": None,
    "price": None,
    "prerequisites": None,
    "requirements": None,
    "max_reuse": None,
}


def version_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for a CredentialVersion from a checked document (defaults filled in)."""
    values = {key: data.get(key, default) for key, default in VERSION_DEFAULTS.items()}
    for key in ("learning_outcomes", "subjects", "languages"):
        values[key] = list(values[key] or [])
    return values


def _has_value(value: Any) -> bool:
    """Keys without a value (null, empty text, empty list) are left out of documents."""
    return value is not None and value != "" and value != []


def _plain(value: Any) -> Any:
    """Floats that are whole numbers come out as ints, so 5 stays 5 through the database."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def provider_document(provider: Any, *, with_ctid: bool = False) -> dict[str, Any]:
    """A provider in catalogue shape."""
    doc: dict[str, Any] = {"id": provider.id}
    if with_ctid:
        doc["ctid"] = provider.ctid
    doc.update(
        {
            "name": provider.name,
            "country": provider.country,
            "url": provider.url,
            "email_domains": list(provider.email_domains or []),
            "description": provider.description,
        }
    )
    return {k: v for k, v in doc.items() if _has_value(v)}


def credential_document(
    credential: Any, version: Any, *, with_ctid: bool = False
) -> dict[str, Any]:
    """One version of a credential in catalogue shape."""
    doc: dict[str, Any] = {"id": credential.id}
    if with_ctid:
        doc["ctid"] = credential.ctid
    doc["provider"] = credential.provider_id
    for key in CREDENTIAL_FIELDS[2:]:
        value = getattr(version, key)
        if _has_value(value):
            doc[key] = _plain(value)
    return doc


def rule_edges(
    prerequisites: Mapping[str, Any] | None, requirements: Mapping[str, Any] | None
) -> list[tuple[str, str]]:
    """The derived edges (component id, kind) of one version's rules, sorted."""
    edges = {(cid, "prerequisite") for cid in referenced_ids(prerequisites or {})}
    edges |= {(cid, "requirement") for cid in referenced_ids(requirements or {})}
    return sorted(edges)
