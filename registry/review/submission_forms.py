"""The decision form: one per action, so each action's fields sit next to its button."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

# The actions whose form asks for a reason, and how the label puts it.
REASON_LABELS = {
    "return_incomplete": "What is missing (the provider reads this)",
    "desk_reject": "Why it is rejected at screening",
    "approve": "Reason (required when you go against the recommendation)",
    "request_revisions": "What to revise (optional; the criteria below are listed too)",
    "reject": "Why it is rejected",
    "suspend": "Why it is suspended",
    "withdraw": "Why you withdraw it (optional)",
    "retire": "Why it is retired (optional)",
    "reinstate": "Note (optional)",
    "resubmit": "What you changed (optional)",
    "send_to_review": "Note (optional)",
}


class ActionForm(FlaskForm):
    """What one action may carry; the service checks what it requires (reason, deadline, ...)."""

    reason = TextAreaField("Reason", render_kw={"rows": 3})
    deadline = StringField(
        "Revision deadline",
        description="The last day to resubmit (YYYY-MM-DD); after it the submission is rejected.",
        render_kw={"type": "date"},
    )
    unmet_criteria = SelectMultipleField(
        "Criteria not met",
        choices=[],
        validate_choice=False,  # the service names any code the pinned rubric lacks
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )

    def __init__(self, action: str, criteria: Sequence[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(prefix=action, **kwargs)
        self.action = action
        self.reason.label.text = REASON_LABELS.get(action, "Reason")
        self.unmet_criteria.choices = list(criteria)

    def facts(self) -> dict[str, Any]:
        """The form's values in the shape take_action reads."""
        facts: dict[str, Any] = {"reason": (self.reason.data or "").strip()}
        if self.action == "request_revisions":
            facts["deadline"] = (self.deadline.data or "").strip()
            facts["unmet_criteria"] = list(self.unmet_criteria.data or [])
        return facts


# The button of each action, and whether it ends or takes something away (drawn as a warning).
ACTION_LABELS = {
    "submit": "Submit for review",
    "send_to_review": "Send to review",
    "return_incomplete": "Return as incomplete",
    "desk_reject": "Reject at screening",
    "approve": "Approve and publish",
    "request_revisions": "Request revisions",
    "reject": "Reject",
    "resubmit": "Resubmit for a new round",
    "withdraw": "Withdraw the submission",
    "suspend": "Suspend",
    "reinstate": "Reinstate",
    "retire": "Retire the credential",
}
DANGEROUS = frozenset({"desk_reject", "reject", "withdraw", "suspend", "retire"})
