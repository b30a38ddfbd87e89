"""Helpers shared by the HTML forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from registry.errors import ValidationError


def apply_errors(form: FlaskForm, exc: ValidationError) -> None:
    """Show a service's field errors on the form's fields (unknown fields on the form itself)."""
    for error in exc.errors:
        top = error.field.split(".")[0].split("[")[0]
        field = getattr(form, top, None)
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            prefix = "" if error.field == top else f"{error.field}: "
            field.errors.append(prefix + error.message)
        else:
            form.form_errors.append(
                f"{error.field}: {error.message}" if error.field else error.message
            )
