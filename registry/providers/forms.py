"""The provider form, converted to and from the catalogue shape."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, URLField


class ProviderForm(FlaskForm):
    """Field names equal the catalogue keys, so errors from the service land on them."""

    id = StringField(
        "Identifier",
        description="Letters, digits, '.', '_' or '-', e.g. uni-galway; it never changes.",
    )
    name = StringField("Name")
    country = StringField(
        "Country", description="ISO 3166 two-letter code, e.g. IE.", render_kw={"maxlength": 2}
    )
    url = URLField("Website")
    email_domains = StringField(
        "Email domains",
        description=(
            "Domains of the provider's staff, separated by commas, e.g. uni-galway.ie. "
            "Reviewers from these domains never review its credentials."
        ),
    )
    description = TextAreaField("Description")

    def to_data(self) -> dict[str, Any]:
        """The catalogue-shape document of what was posted (empty fields left out)."""
        data: dict[str, Any] = {
            "name": (self.name.data or "").strip(),
            "country": (self.country.data or "").strip().upper(),
            "url": (self.url.data or "").strip(),
            "email_domains": [
                d.strip().lower() for d in (self.email_domains.data or "").split(",") if d.strip()
            ],
            "description": (self.description.data or "").strip(),
        }
        if "id" in self:
            data["id"] = (self.id.data or "").strip()
        return {k: v for k, v in data.items() if v != "" and v != []}


def form_values(document: dict[str, Any]) -> dict[str, Any]:
    """A provider document as the form's initial data."""
    return {**document, "email_domains": ", ".join(document.get("email_domains", []))}
