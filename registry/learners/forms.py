"""The wallet forms: add one entry, import a JSON list (pasted or uploaded)."""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from registry.learners.services import parse_result

IMPORT_MAX_BYTES = 1_000_000


class AddEntryForm(FlaskForm):
    """One award: which credential, when it was earned, and the result if there is one."""

    credential = StringField(
        "Credential",
        description="Type its title or identifier; pick from the suggestions as you type.",
        validators=[Length(max=300)],
        render_kw={"list": "credential-suggestions", "autocomplete": "off"},
    )
    earned_on = StringField(
        "Date earned",
        description="The date on the award.",
        render_kw={"type": "date", "required": True},
    )
    result = StringField(
        "Result (optional)",
        description='A grade such as "B+" or a mark such as 72.',
        validators=[Length(max=100)],
    )

    def to_data(self, credential_id: str) -> dict[str, Any]:
        return {
            "credential": credential_id,
            "earned_on": (self.earned_on.data or "").strip(),
            "result": parse_result(self.result.data or ""),
        }


class ImportForm(FlaskForm):
    """A JSON list of wallet entries, pasted into the text box or uploaded as a file."""

    entries = TextAreaField(
        "Entries as JSON",
        description='A list such as [{"credential": "c1", "earned_on": "2025-03-01"}].',
        render_kw={"rows": 6, "class": "code", "spellcheck": "false"},
    )
    file = FileField("Or upload a JSON file")

    def read(self) -> tuple[Any, str | None]:
        """The decoded list, or None with a message saying what is wrong with the input."""
        upload = self.file.data
        text = self.entries.data or ""
        if upload is not None and getattr(upload, "filename", ""):
            raw = upload.read(IMPORT_MAX_BYTES + 1)
            if len(raw) > IMPORT_MAX_BYTES:
                return None, "the file is larger than 1 MB"
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return None, "the file is not UTF-8 text"
        if not text.strip():
            return None, "paste a JSON list or choose a file"
        try:
            return json.loads(text), None
        except ValueError as exc:
            return None, f"not valid JSON ({exc})"
