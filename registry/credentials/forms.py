"""The credential form: every catalogue field, converted to and from the catalogue shape."""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FloatField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import NumberInput

from registry.credentials.models import PARTICIPATION_FORMS
from registry.web.filters import PARTICIPATION_LABELS

COMMON_TYPES = ("micro-credential", "badge", "certificate", "course", "diploma", "degree")
RULE_HINT = (
    'A rule in JSON, e.g. {"all": [{"credential": "intro-data"}, '
    '{"credits": 10, "where": {"subjects": ["0613"], "level_min": 6}}]}. Leave empty for none.'
)


def _comma_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class RuleField(TextAreaField):
    """A JSON rule in a textarea; bad JSON is this field's error and nothing goes further."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "") or ""
        self.raw_text = text
        if not text.strip():
            self.data = None
            return
        try:
            self.data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.data = None
            raise ValueError(
                f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from exc

    def _value(self) -> str:
        if getattr(self, "raw_text", None) is not None:
            return self.raw_text
        return "" if self.data is None else json.dumps(self.data, indent=2, ensure_ascii=False)


def _whole_level(form: FlaskForm, field: SelectField) -> None:
    if field.data and not str(field.data).isdigit():
        raise ValidationError("must be a whole number between 1 and 8")


class CredentialForm(FlaskForm):
    """Field names equal the catalogue keys, so errors from the service land on them."""

    id = StringField(
        "Identifier",
        description="Letters, digits, '.', '_' or '-'; it appears in links and never changes.",
    )
    provider = SelectField("Awarding provider", choices=[], validate_choice=False)
    title = StringField("Title")
    description = TextAreaField("Description")
    learning_outcomes = TextAreaField(
        "Learning outcomes", description="One outcome per line, e.g. “Clean a data set in SQL”."
    )
    credits = FloatField(
        "Credits (notional workload)", validators=[Optional()], widget=NumberInput(step="any")
    )
    credit_unit = SelectField("Credit unit", choices=[], validate_choice=False)
    level = SelectField(
        "EQF level",
        choices=[SelectChoice("", "— none —")]
        + [SelectChoice(str(n), f"Level {n}") for n in range(1, 9)],
        validate_choice=False,
        validators=[_whole_level],
    )
    subjects = StringField(
        "Subjects", description="Codes separated by commas, e.g. ISCED-F 0613, 0542."
    )
    languages = StringField(
        "Languages of instruction", description="Language codes separated by commas, e.g. en, fr."
    )
    type = StringField(
        "Type",
        description="Choose a common type or write your own.",
        render_kw={"list": "credential-types"},
    )
    assessment_type = StringField(
        "Type of assessment", description="e.g. proctored exam, project, portfolio."
    )
    participation_form = SelectField(
        "Form of participation",
        choices=[SelectChoice("", "— not stated —")]
        + [SelectChoice(v, PARTICIPATION_LABELS.get(v, v)) for v in PARTICIPATION_FORMS],
        validate_choice=False,
    )
    quality_assurance = StringField(
        "Quality assurance", description="e.g. internal QA of the university, accredited by …"
    )
    price = FloatField("Price", validators=[Optional()], widget=NumberInput(step="any"))
    duration = StringField("Duration", description="e.g. 6 weeks, 40 hours.")
    url = URLField("Further information (URL)")
    valid_years = IntegerField(
        "Valid for (years)",
        validators=[Optional()],
        description="Leave empty when an award does not expire.",
    )
    prerequisites = RuleField(
        "Prerequisites (what a learner must hold first)",
        description=RULE_HINT,
        render_kw={"class": "code", "rows": 6, "spellcheck": "false"},
    )
    requirements = RuleField(
        "Requirements (makes this credential a qualification)",
        description=RULE_HINT,
        render_kw={"class": "code", "rows": 8, "spellcheck": "false"},
    )
    max_reuse = IntegerField(
        "Maximum reuse",
        validators=[Optional()],
        description=(
            "Qualifications only: in how many qualifications one award may count. "
            "Empty means no limit."
        ),
    )

    def to_data(self) -> dict[str, Any]:
        """The catalogue-shape document of what was posted (empty fields left out)."""
        data: dict[str, Any] = {
            "title": (self.title.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "learning_outcomes": _lines(self.learning_outcomes.data),
            "credits": _whole(self.credits.data),
            "credit_unit": self.credit_unit.data or None,
            "level": int(self.level.data) if str(self.level.data or "").isdigit() else None,
            "subjects": _comma_list(self.subjects.data),
            "languages": _comma_list(self.languages.data),
            "type": (self.type.data or "").strip() or None,
            "assessment_type": (self.assessment_type.data or "").strip() or None,
            "participation_form": self.participation_form.data or None,
            "quality_assurance": (self.quality_assurance.data or "").strip() or None,
            "price": _whole(self.price.data),
            "duration": (self.duration.data or "").strip() or None,
            "url": (self.url.data or "").strip() or None,
            "valid_years": self.valid_years.data,
            "prerequisites": self.prerequisites.data,
            "requirements": self.requirements.data,
            "max_reuse": self.max_reuse.data,
        }
        if "id" in self:
            data["id"] = (self.id.data or "").strip()
        if "provider" in self:
            data["provider"] = self.provider.data or None
        return {k: v for k, v in data.items() if v is not None and v != "" and v != []}


def _whole(value: float | None) -> float | int | None:
    """5.0 typed into a number box is 5, as in the catalogue files."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def form_values(document: dict[str, Any]) -> dict[str, Any]:
    """A catalogue-shape document as the form's initial data."""
    values = dict(document)
    values["learning_outcomes"] = "\n".join(document.get("learning_outcomes", []))
    values["subjects"] = ", ".join(document.get("subjects", []))
    values["languages"] = ", ".join(document.get("languages", []))
    values["level"] = str(document["level"]) if document.get("level") else ""
    return values
