"""Forms for logging in, registering, passwords, tokens and user administration."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from registry.auth.models import ROLE_VALUES
from registry.auth.services import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")


class RegisterForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="Passwords do not match.")],
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="Passwords do not match.")],
    )


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    roles = SelectMultipleField(
        "Roles",
        choices=[SelectChoice(r, r.title()) for r in ROLE_VALUES],
        validators=[DataRequired()],
        # Checkboxes rather than a Ctrl-click multi-select: easier by mouse, keyboard and touch.
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    provider = SelectField("Provider (for provider staff and affiliated reviewers)", choices=[])
    expertise = StringField(
        "Subjects of expertise", description="Subject codes separated by commas, e.g. 0613, 0542"
    )
    active = BooleanField("Active")


class UserCreateForm(UserEditForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        "Initial password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that post."""
