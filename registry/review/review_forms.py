"""Forms of the reviewer and assignment pages: accept, decline, score, declare, assign, cancel."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from registry.review.models import RubricVersion
from registry.review.reviews import RECOMMENDATIONS

COMPETING_CHOICES = [
    SelectChoice("none", "I have no competing interests with this credential or its provider"),
    SelectChoice("declare", "I have a competing interest to declare"),
]
RECOMMENDATION_LABELS = {
    "approve": "Approve: publish as it stands",
    "revise": "Revise: publish after the changes I list",
    "reject": "Reject: it does not meet the rubric",
}
CONFIDENCE_LABELS = {
    1: "1 · an educated guess",
    2: "2 · willing to defend, with gaps",
    3: "3 · fairly confident",
    4: "4 · confident",
    5: "5 · certain: I know this field well",
}


class EmptyForm(FlaskForm):
    """Only the CSRF token, for one-button actions."""


class AcceptForm(FlaskForm):
    competing = RadioField(
        "Competing interests",
        choices=COMPETING_CHOICES,
        validators=[
            InputRequired('Answer explicitly: "none" is an answer, leaving it blank is not.')
        ],
    )
    statement = TextAreaField(
        "Your statement",
        validators=[Length(max=4000)],
        description="What the interest is (a past job, a joint project, a friendship...). "
        "The coordinator reads it; the provider never does.",
    )

    def validate_statement(self, field: Any) -> None:
        if self.competing.data == "declare" and not (field.data or "").strip():
            raise ValidationError("Describe the competing interest you declare.")

    def answer(self) -> str:
        """What the service gets: "none", or the statement."""
        return "none" if self.competing.data == "none" else (self.statement.data or "").strip()


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional)",
        validators=[Optional(), Length(max=4000)],
        description="It helps the coordinator, e.g. whom else to ask.",
    )


class ConflictForm(FlaskForm):
    provider = SelectField("Provider", validators=[InputRequired("Choose a provider.")])
    reason = TextAreaField(
        "What the interest is",
        validators=[InputRequired("Say what the interest is."), Length(max=4000)],
        description="E.g. you work or worked there, co-author with its staff, or advise it.",
    )


class AssignForm(FlaskForm):
    reviewers = SelectMultipleField("Reviewers to ask", coerce=int, validate_choice=False)


class CancelForm(FlaskForm):
    reason = TextAreaField(
        "Reason for cancelling", validators=[InputRequired("A reason is required.")]
    )


def score_field(index: int) -> str:
    return f"score_{index}"


def comment_field(index: int) -> str:
    return f"comment_{index}"


def scoring_form(version: RubricVersion, **kwargs: Any) -> FlaskForm:
    """A form with a level (radio buttons) and a comment for every criterion of the version.

    Fields are named by the criterion's position, so any criterion code makes a valid name.
    Levels and comments are checked by the review service, which reports every problem at once.
    """
    level_choices = [
        SelectChoice(int(level["value"]), f"{level['value']} · {level['label']}")
        for level in version.levels
    ]

    class ScoringForm(FlaskForm):
        recommendation = RadioField(
            "Your recommendation",
            choices=[SelectChoice(r, RECOMMENDATION_LABELS[r]) for r in RECOMMENDATIONS],
            validators=[Optional()],
        )
        confidence = RadioField(
            "How confident are you in this review?",
            choices=[SelectChoice(n, label) for n, label in CONFIDENCE_LABELS.items()],
            coerce=int,
            validators=[Optional()],
        )

    for index, criterion in enumerate(version.criteria):
        setattr(
            ScoringForm,
            score_field(index),
            RadioField(
                f"{criterion.code} {criterion.title}",
                choices=level_choices,
                coerce=int,
                validators=[Optional()],
            ),
        )
        setattr(
            ScoringForm,
            comment_field(index),
            TextAreaField(
                f"Comment on {criterion.code}",
                validators=[Optional(), Length(max=10000)],
            ),
        )
    return ScoringForm(**kwargs)
