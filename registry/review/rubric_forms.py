"""The rubric version editor form: shape only, converted to the document the service checks."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)

from registry.errors import ValidationError
from registry.review.rubrics import PRINCIPLES

# Empty rows offered under the filled ones, so an admin can add without scripts.
SPARE_CRITERIA = 3
SPARE_LEVELS = 2


class LevelForm(Form):
    value = StringField("Value", render_kw={"inputmode": "numeric", "size": 4})
    label = StringField("Label")
    remove = BooleanField("Remove")

    def blank(self) -> bool:
        return not (self.value.data or "").strip() and not (self.label.data or "").strip()


class CriterionForm(Form):
    code = StringField("Code", render_kw={"size": 8})
    title = StringField("Title")
    guidance = TextAreaField("Guidance", render_kw={"rows": 2})
    # Unknown values are left for the service to refuse with its own message.
    principle = SelectField(
        "Principle",
        choices=[SelectChoice("", "— choose —")]
        + [SelectChoice(tag, label) for tag, label in PRINCIPLES.items()],
        validate_choice=False,
    )
    points = SelectField(
        "Points", choices=[SelectChoice(p, p) for p in ("1", "2", "3")], validate_choice=False
    )
    essential = BooleanField("Essential")
    remove = BooleanField("Remove")

    def blank(self) -> bool:
        return not any((f.data or "").strip() for f in (self.code, self.title, self.guidance))


class RubricVersionForm(FlaskForm):
    """Field names equal the document's keys, so the service's errors land on them."""

    levels = FieldList(FormField(LevelForm), label="Level scale")
    met_level = StringField(
        "Counts as met from level",
        description="Levels at or above this value count as met, e.g. 2 (Met).",
        render_kw={"inputmode": "numeric"},
    )
    threshold = StringField(
        "Pass threshold",
        description="The share of points a submission needs, from 0 to 1, e.g. 0.85 for 85 %.",
        render_kw={"inputmode": "decimal"},
    )
    reviewers_per_submission = StringField(
        "Reviewers per submission",
        description="How many reviewers score each submission (1-10); one is always external.",
        render_kw={"inputmode": "numeric"},
    )
    criteria = FieldList(FormField(CriterionForm), label="Criteria")

    # Which form row each document entry came from (blank and removed rows are left out).
    level_rows: list[int]
    criterion_rows: list[int]

    def fill(self, document: dict[str, Any]) -> None:
        """Start from a version's content, with spare empty rows to add to."""
        for level in document["levels"]:
            self.levels.append_entry({"value": str(level["value"]), "label": level["label"]})
        for _ in range(SPARE_LEVELS):
            self.levels.append_entry()
        self.met_level.data = str(document["met_level"])
        self.threshold.data = str(document["threshold"])
        self.reviewers_per_submission.data = str(document["reviewers_per_submission"])
        for criterion in document["criteria"]:
            self.criteria.append_entry({**criterion, "points": str(criterion["points"])})
        for _ in range(SPARE_CRITERIA):
            self.criteria.append_entry()

    def to_data(self) -> dict[str, Any]:
        """The version document of what was posted; numbers that do not parse stay text."""
        self.level_rows, self.criterion_rows = [], []
        levels = []
        for i, row in enumerate(self.levels):
            if row.form.blank() or row.form.remove.data:
                continue
            self.level_rows.append(i)
            levels.append(
                {"value": _number(row.form.value.data, int), "label": row.form.label.data or ""}
            )
        criteria = []
        for i, row in enumerate(self.criteria):
            form = row.form
            if form.blank() or form.remove.data:
                continue
            self.criterion_rows.append(i)
            criteria.append(
                {
                    "code": (form.code.data or "").strip(),
                    "title": form.title.data or "",
                    "guidance": form.guidance.data or "",
                    "principle": form.principle.data or "",
                    "points": _number(form.points.data, int),
                    "essential": bool(form.essential.data),
                }
            )
        return {
            "levels": levels,
            "met_level": _number(self.met_level.data, int),
            "threshold": _number(self.threshold.data, float),
            "reviewers_per_submission": _number(self.reviewers_per_submission.data, int),
            "criteria": criteria,
        }

    def apply_errors(self, exc: ValidationError) -> None:
        """Put each service error on its row's field, e.g. criteria[2].code on that input."""
        for error in exc.errors:
            target = self._field_for(error.field)
            if target is None:
                self.form_errors.append(
                    f"{error.field}: {error.message}" if error.field else error.message
                )
                continue
            if isinstance(target.errors, tuple):
                target.errors = list(target.errors)
            target.errors.append(error.message)

    def _field_for(self, path: str) -> Any:
        head, _, rest = path.partition(".")
        name, _, index = head.partition("[")
        if name not in ("levels", "criteria"):
            return getattr(self, name, None) if name and not index else None
        if not index:
            return None  # about the whole list: shown above the form
        rows = self.level_rows if name == "levels" else self.criterion_rows
        position = int(index.rstrip("]"))
        if position >= len(rows):
            return None
        entry = getattr(self, name)[rows[position]].form
        return getattr(entry, rest, None) if rest else None


def _number(text: str | None, kind: type) -> Any:
    """The number written, or the text itself so the service can say what is wrong with it."""
    text = (text or "").strip()
    try:
        return kind(text)
    except ValueError:
        return text or None
