"""Accounts through the real pages: register, log in and out, passwords, users, API tokens."""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import urlencode, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from registry.audit.models import AuditEvent
from registry.auth import services
from registry.auth.models import ApiToken, User
from registry.auth.services import create_token, get_user_by_email
from tests.conftest import PASSWORD, bearer, csrf_token, post_form

NEW_PASSWORD = "a much longer new passphrase"
REGISTRATION = {
    "name": "Ada Learner",
    "email": "ada@example.org",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def field_errors(response, field: str) -> list[str]:
    """The messages shown under one form field."""
    page = response.get_data(as_text=True)
    match = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    return (
        [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []
    )


def whoami(client: FlaskClient) -> str | None:
    """The email of the user the client's session belongs to, or None when anonymous."""
    response = client.get("/api/v1/me")
    return response.get_json()["email"] if response.status_code == 200 else None


def location(response) -> str:
    """The redirect target as a path with its query (the site's own links are relative)."""
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in {"", "localhost"}, f"redirect leaves the site: {parts.geturl()}"
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- registering a learner ----------------------------------------------------------------


def test_the_register_page_labels_every_field(client: FlaskClient) -> None:
    page = client.get("/register").get_data(as_text=True)

    for field in ("name", "email", "password", "confirm"):
        assert f'<label for="{field}">' in page


def test_register_a_learner(client: FlaskClient, db_session: Session) -> None:
    response = post_form(client, "/register", {**REGISTRATION, "email": "Ada@Example.ORG"})

    assert response.status_code == 302
    assert location(response) == "/"
    user = get_user_by_email(db_session, "ada@example.org")
    assert user is not None
    assert user.email == "ada@example.org"
    assert user.name == "Ada Learner"
    assert user.roles == {"learner"}
    assert user.active is True
    assert whoami(client) == "ada@example.org"
    assert "Your account is ready." in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"name": "n" * 201}, "name", "Field cannot be longer than 200 characters."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-address"}, "email", "Invalid email address."),
        ({"email": "a" * 250 + "@example.org"}, "email", "Field cannot be longer than 254"),
        ({"password": "short", "confirm": "short"}, "password", "at least 10 characters"),
        ({"password": ""}, "password", "This field is required."),
        ({"confirm": "something else entirely"}, "confirm", "Passwords do not match."),
        ({"confirm": ""}, "confirm", "This field is required."),
    ],
)
def test_register_names_the_field_and_the_reason_and_stores_nothing(
    client: FlaskClient, db_session: Session, changes: dict, field: str, message: str
) -> None:
    users, events = count(db_session, User), count(db_session, AuditEvent)

    response = post_form(client, "/register", {**REGISTRATION, **changes})

    assert response.status_code == 422
    assert any(message in e for e in field_errors(response, field)), field_errors(response, field)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert count(db_session, User) == users
    assert count(db_session, AuditEvent) == events
    assert whoami(client) is None


def test_register_refuses_an_email_already_taken_in_any_case(
    client: FlaskClient, db_session: Session, factory
) -> None:
    factory.user("learner", email="ada@example.org")
    users = count(db_session, User)

    response = post_form(client, "/register", {**REGISTRATION, "email": "ADA@example.org"})

    assert response.status_code == 422
    assert field_errors(response, "email") == ["An account with this email already exists."]
    assert count(db_session, User) == users
    assert whoami(client) is None


def test_a_registration_that_loses_a_race_for_the_email_is_refused_not_a_crash(
    client: FlaskClient, db_session: Session, factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two submissions at once both pass the lookup; the unique constraint decides."""
    factory.user("learner", email="ada@example.org")
    monkeypatch.setattr(services, "get_user_by_email", lambda session, email: None)

    response = post_form(client, "/register", REGISTRATION)

    assert response.status_code == 422
    assert field_errors(response, "email") == ["An account with this email already exists."]
    assert db_session.scalar(select(func.count()).where(User.email == "ada@example.org")) == 1


def test_a_logged_in_user_is_sent_home_from_register_and_login(
    client: FlaskClient, auth, factory
) -> None:
    auth.login(factory.user("learner"))

    assert location(client.get("/register")) == "/"
    assert location(client.get("/login")) == "/"


# --- logging in and out -------------------------------------------------------------------


def test_log_in_with_the_right_password(client: FlaskClient, auth, factory) -> None:
    user = factory.user("learner", name="Grace")

    response = auth.login(user)

    assert response.status_code == 302
    assert location(response) == "/"
    assert whoami(client) == user.email
    assert "Welcome back, Grace." in client.get("/").get_data(as_text=True)


def test_keep_me_logged_in_sets_a_cookie_scripts_cannot_read(client: FlaskClient, factory) -> None:
    user = factory.user("learner")

    response = post_form(
        client, "/login", {"email": user.email, "password": PASSWORD, "remember": "y"}
    )

    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert "HttpOnly" in cookies["remember_token"]
    assert "SameSite=Lax" in cookies["remember_token"]
    assert "HttpOnly" in cookies["session"]
    assert "SameSite=Lax" in cookies["session"]


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("known@example.org", "not the right password"),
        ("nobody@example.org", PASSWORD),
        ("KNOWN@example.org", "not the right password"),
    ],
)
def test_a_wrong_email_or_password_is_refused_without_saying_which(
    client: FlaskClient, auth, factory, email: str, password: str
) -> None:
    factory.user("learner", email="known@example.org")

    response = auth.login(email, password)

    assert response.status_code == 422
    assert field_errors(response, "password") == ["Email or password is wrong."]
    assert whoami(client) is None


def test_the_email_is_matched_in_any_case(client: FlaskClient, auth, factory) -> None:
    factory.user("learner", email="known@example.org")

    assert auth.login("Known@Example.org").status_code == 302
    assert whoami(client) == "known@example.org"


def test_an_inactive_user_cannot_log_in(client: FlaskClient, auth, factory) -> None:
    user = factory.user("learner")
    user.active = False

    response = auth.login(user)

    assert response.status_code == 422
    assert field_errors(response, "password") == ["Email or password is wrong."]
    assert whoami(client) is None


def test_a_user_deactivated_while_logged_in_is_logged_out(
    client: FlaskClient, auth, factory, db_session: Session
) -> None:
    user = factory.user("learner")
    auth.login(user)
    user.active = False
    db_session.flush()

    response = client.get("/account/tokens")

    assert response.status_code == 302
    assert location(response).startswith("/login")


def test_log_out_is_a_post_with_the_csrf_token(client: FlaskClient, auth, factory) -> None:
    user = factory.user("learner")
    auth.login(user)

    assert client.get("/logout").status_code == 405
    assert whoami(client) == user.email
    assert client.post("/logout").status_code == 400
    assert whoami(client) == user.email

    response = auth.logout()

    assert response.status_code == 302
    assert location(response) == "/"
    assert whoami(client) is None
    assert location(client.get("/account/tokens")).startswith("/login")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "///evil.example",
        "http:/evil.example",
        "evil.example",
    ],
)
def test_a_next_that_leaves_the_site_goes_to_the_home_page(
    client: FlaskClient, factory, target: str
) -> None:
    user = factory.user("learner")
    url = "/login?" + urlencode({"next": target})

    response = post_form(client, url, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_next_on_the_site_is_followed(client: FlaskClient, factory) -> None:
    user = factory.user("learner")
    url = "/login?" + urlencode({"next": "/account/tokens?tab=1"})

    response = post_form(client, url, {"email": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/tokens?tab=1"


def test_a_page_that_needs_login_sends_to_login_and_back(client: FlaskClient, factory) -> None:
    user = factory.user("learner")

    response = client.get("/account/password")
    assert response.status_code == 302
    login_url = location(response)
    assert login_url == "/login?next=%2Faccount%2Fpassword"

    response = post_form(client, login_url, {"email": user.email, "password": PASSWORD})
    assert location(response) == "/account/password"


# --- CSRF stays on ------------------------------------------------------------------------


def test_register_without_the_csrf_token_is_refused_and_stores_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    users = count(db_session, User)

    response = client.post("/register", data=REGISTRATION)

    assert response.status_code == 400
    assert "The form expired or was not sent by this site" in response.get_data(as_text=True)
    assert count(db_session, User) == users
    assert whoami(client) is None


def test_login_without_the_csrf_token_is_refused(client: FlaskClient, factory) -> None:
    user = factory.user("learner")

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 400
    assert whoami(client) is None


def test_a_csrf_token_from_another_session_is_refused(
    app, client: FlaskClient, db_session: Session
) -> None:
    someone_else = app.test_client()
    token = csrf_token(someone_else, "/register")

    response = client.post("/register", data={**REGISTRATION, "csrf_token": token})

    assert response.status_code == 400
    assert get_user_by_email(db_session, REGISTRATION["email"]) is None


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/account/tokens", {"name": "laptop"}),
        ("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        ("/admin/users/new", {"email": "x@example.org", "name": "X", "roles": "learner"}),
        ("/logout", {}),
    ],
)
def test_a_logged_in_post_without_the_csrf_token_changes_nothing(
    client: FlaskClient, auth, factory, db_session: Session, url: str, data: dict
) -> None:
    admin = factory.user("admin")
    auth.login(admin)
    hash_before, tokens, users = (
        admin.password_hash,
        count(db_session, ApiToken),
        count(db_session, User),
    )

    response = client.post(url, data={**data, "confirm": data.get("new_password", "")})

    assert response.status_code == 400
    db_session.refresh(admin)
    assert admin.password_hash == hash_before
    assert count(db_session, ApiToken) == tokens
    assert count(db_session, User) == users
    assert whoami(client) == admin.email


# --- changing one's password --------------------------------------------------------------


def _change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    return post_form(
        client,
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("not my password", NEW_PASSWORD, None, "current_password", "is not your current password"),
        (PASSWORD, "short", None, "new_password", "at least 10 characters"),
        (PASSWORD, NEW_PASSWORD, "something else", "confirm", "Passwords do not match."),
        ("", NEW_PASSWORD, None, "current_password", "This field is required."),
    ],
)
def test_a_bad_password_change_says_why_and_changes_nothing(
    client: FlaskClient, auth, factory, db_session: Session, current, new, confirm, field, message
) -> None:
    user = factory.user("learner")
    auth.login(user)
    before = user.password_hash

    response = _change_password(client, current, new, confirm)

    assert response.status_code == 422
    assert any(message in e for e in field_errors(response, field)), field_errors(response, field)
    db_session.refresh(user)
    assert user.password_hash == before


def test_change_password_then_only_the_new_one_works(
    client: FlaskClient, auth, factory, db_session: Session
) -> None:
    user = factory.user("learner")
    auth.login(user)

    response = _change_password(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert location(response) == "/account/tokens"
    db_session.refresh(user)
    assert user.password_hash.startswith("scrypt:")
    auth.logout()
    assert auth.login(user, PASSWORD).status_code == 422
    assert auth.login(user, NEW_PASSWORD).status_code == 302
    assert whoami(client) == user.email


def test_passwords_are_stored_as_salted_scrypt_hashes(factory) -> None:
    first, second = factory.user("learner"), factory.user("learner")

    for user in (first, second):
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash
    assert first.password_hash != second.password_hash  # a salt of its own each


def test_real_password_hashes_use_the_full_scrypt_cost(
    cheap_password_hashes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "PASSWORD_HASH_METHOD", cheap_password_hashes)

    hashed = services.hash_password(PASSWORD)

    assert hashed.startswith("scrypt:32768:8:1$")
    assert check_password_hash(hashed, PASSWORD)


# --- managing users (admins) --------------------------------------------------------------


@pytest.fixture()
def admin(auth, factory):
    user = factory.user("admin", name="Admin")
    auth.login(user)
    return user


def _user_form(**fields) -> dict:
    data = {
        "email": "new.staff@uni.example",
        "name": "New Staff",
        "password": PASSWORD,
        "roles": ["provider", "reviewer"],
        "provider": "",
        "expertise": "0613, 0542",
        "active": "y",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_the_user_list_shows_every_account_with_its_roles(
    client: FlaskClient, admin, factory
) -> None:
    uni = factory.provider(name="Uni of Somewhere")
    factory.user("provider", provider=uni, email="staff@uni.example")

    page = client.get("/admin/users").get_data(as_text=True)

    assert "staff@uni.example" in page
    assert admin.email in page
    assert '<span class="tag">provider</span>' in page
    assert "Uni of Somewhere" in page


def test_an_admin_creates_a_user_with_roles_and_a_provider(
    client: FlaskClient, admin, factory, db_session: Session
) -> None:
    uni = factory.provider()

    response = post_form(client, "/admin/users/new", _user_form(provider=uni.id))

    assert response.status_code == 302
    assert location(response) == "/admin/users"
    user = get_user_by_email(db_session, "new.staff@uni.example")
    assert user.roles == {"provider", "reviewer"}
    assert user.provider_id == uni.id
    assert user.expertise == ["0613", "0542"]
    assert user.active is True
    assert user.password_hash.startswith("scrypt:")
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.object_id == str(user.id)
        )
    ).one()
    assert event.actor_id == admin.id


def test_an_admin_creates_an_inactive_user_who_cannot_log_in(
    app, client: FlaskClient, admin, db_session: Session
) -> None:
    response = post_form(
        client,
        "/admin/users/new",
        _user_form(roles=["learner"], active=None, email="off@example.org"),
    )

    assert response.status_code == 302
    user = get_user_by_email(db_session, "off@example.org")
    assert user.active is False
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.object_id == str(user.id)
        )
    ).one()
    assert event.after["active"] is False
    other = app.test_client()
    assert (
        post_form(other, "/login", {"email": "off@example.org", "password": PASSWORD}).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"roles": ["provider"]}, "provider", "provider staff must belong to a provider"),
        ({"roles": []}, "roles", "This field is required."),
        ({"roles": ["superuser"]}, "roles", "'superuser' is not a valid choice"),
        ({"provider": "no-such-provider"}, "provider", "Not a valid choice."),
        ({"email": "nope"}, "email", "Invalid email address."),
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_creating_a_user_names_the_field_and_the_reason_and_stores_nothing(
    client: FlaskClient, admin, db_session: Session, fields, field, message
) -> None:
    users = count(db_session, User)

    response = post_form(client, "/admin/users/new", _user_form(**fields))

    assert response.status_code == 422
    assert any(message in e for e in field_errors(response, field)), field_errors(response, field)
    assert count(db_session, User) == users


def test_creating_a_user_with_a_taken_email_is_refused(
    client: FlaskClient, admin, factory, db_session: Session
) -> None:
    uni = factory.provider()
    factory.user("learner", email="new.staff@uni.example")
    users = count(db_session, User)

    response = post_form(client, "/admin/users/new", _user_form(provider=uni.id))

    assert response.status_code == 422
    assert field_errors(response, "email") == [
        "a user with email new.staff@uni.example already exists"
    ]
    assert count(db_session, User) == users


def test_an_admin_edits_a_users_roles(
    client: FlaskClient, admin, factory, db_session: Session
) -> None:
    user = factory.user("learner", name="Lin")

    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="Lin"' in page

    response = post_form(
        client,
        f"/admin/users/{user.id}",
        {
            "name": "Lin",
            "roles": ["reviewer", "coordinator"],
            "provider": "",
            "expertise": "0613",
            "active": "y",
        },
    )

    assert response.status_code == 302
    db_session.refresh(user)
    assert user.roles == {"reviewer", "coordinator"}
    assert user.expertise == ["0613"]
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "user.update", AuditEvent.object_id == str(user.id)
        )
    ).one()
    assert event.before["roles"] == ["learner"]
    assert event.after["roles"] == ["coordinator", "reviewer"]


@pytest.mark.parametrize(
    "changes", [{"roles": ["coordinator"]}, {"roles": ["admin"], "active": None}]
)
def test_an_admin_cannot_demote_or_deactivate_themselves(
    client: FlaskClient, admin, db_session: Session, changes
) -> None:
    data = {"name": "Admin", "roles": ["admin"], "provider": "", "expertise": "", "active": "y"}
    data.update(changes)

    response = post_form(
        client, f"/admin/users/{admin.id}", {k: v for k, v in data.items() if v is not None}
    )

    assert response.status_code == 422
    assert field_errors(response, "roles") == [
        "you cannot remove your own admin role or deactivate yourself"
    ]
    db_session.refresh(admin)
    assert admin.roles == {"admin"}
    assert admin.active is True


def test_editing_a_user_that_does_not_exist_is_404(client: FlaskClient, admin) -> None:
    assert client.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize("role", ["learner", "provider", "reviewer", "coordinator"])
def test_only_admins_manage_users(
    client: FlaskClient, auth, factory, db_session: Session, role: str
) -> None:
    uni = factory.provider()
    user = factory.user(role, provider=uni if role == "provider" else None)
    victim = factory.user("learner")
    auth.login(user)

    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.get(f"/admin/users/{victim.id}").status_code == 403
    promote = {"name": "V", "roles": ["admin"], "provider": "", "expertise": "", "active": "y"}
    assert post_form(client, f"/admin/users/{victim.id}", promote, form_url="/").status_code == 403
    db_session.refresh(victim)
    assert victim.roles == {"learner"}
    assert "/admin/users" not in client.get("/").get_data(as_text=True)


# --- API tokens ---------------------------------------------------------------------------

SECRET_RE = re.compile(r'<code class="secret" id="new-token">([^<]+)</code>')


def _create_token_page(client: FlaskClient, name: str = "laptop") -> str:
    response = post_form(client, "/account/tokens", {"name": name})
    assert response.status_code == 200
    match = SECRET_RE.search(response.get_data(as_text=True))
    assert match, "the new token's secret is not shown"
    return match.group(1)


def test_a_new_token_is_shown_once_and_then_only_its_prefix(
    client: FlaskClient, auth, factory, db_session: Session
) -> None:
    user = factory.user("learner")
    auth.login(user)

    secret = _create_token_page(client, "laptop")

    token = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert secret.startswith("reg_")
    assert token.prefix == secret[:12]
    later = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in later
    assert f"<code>{token.prefix}…</code>" in later
    assert "laptop" in later
    assert client.get("/api/v1/me", headers=bearer(secret)).get_json()["email"] == user.email


def test_tokens_are_stored_as_hashes_only(
    client: FlaskClient, auth, factory, db_session: Session
) -> None:
    auth.login(factory.user("learner"))

    secret = _create_token_page(client)

    row = db_session.execute(select(ApiToken.__table__)).one()
    assert all(secret not in str(value) for value in row)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()


@pytest.mark.parametrize(
    ("name", "message"), [("", "This field is required."), ("n" * 101, "longer than 100")]
)
def test_a_token_needs_a_short_name(
    client: FlaskClient, auth, factory, db_session: Session, name: str, message: str
) -> None:
    auth.login(factory.user("learner"))

    response = post_form(client, "/account/tokens", {"name": name})

    assert response.status_code == 422
    assert any(message in e for e in field_errors(response, "name"))
    assert not SECRET_RE.search(response.get_data(as_text=True))
    assert count(db_session, ApiToken) == 0


def test_a_revoked_token_gets_401_and_a_good_one_200(
    client: FlaskClient, auth, factory, db_session: Session
) -> None:
    uni = factory.provider()
    user = factory.user("provider", "reviewer", provider=uni)
    _, keep_secret = create_token(db_session, user, "keep")
    drop, drop_secret = create_token(db_session, user, "drop")
    auth.login(user)

    response = post_form(
        client, f"/account/tokens/{drop.id}/revoke", {}, form_url="/account/tokens"
    )

    assert response.status_code == 302
    assert location(response) == "/account/tokens"
    db_session.refresh(drop)
    assert drop.revoked_at is not None
    assert "revoked" in client.get("/account/tokens").get_data(as_text=True)
    anonymous = client.application.test_client()
    refused = anonymous.get("/api/v1/me", headers=bearer(drop_secret))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["status"] == 401
    accepted = anonymous.get("/api/v1/me", headers=bearer(keep_secret))
    assert accepted.status_code == 200
    assert accepted.get_json() == {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": ["provider", "reviewer"],
        "provider": uni.id,
    }


def test_nobody_revokes_another_users_token(
    client: FlaskClient, auth, factory, db_session: Session
) -> None:
    owner = factory.user("learner")
    token, secret = create_token(db_session, owner)
    auth.login(factory.user("admin"))

    response = post_form(
        client, f"/account/tokens/{token.id}/revoke", {}, form_url="/account/tokens"
    )

    assert response.status_code == 404
    db_session.refresh(token)
    assert token.revoked_at is None
    assert (
        client.application.test_client().get("/api/v1/me", headers=bearer(secret)).status_code
        == 200
    )


@pytest.mark.parametrize("header", ["Bearer reg_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_the_api_refuses_a_missing_or_unknown_token(client: FlaskClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.get_json()["error"]["title"] == "Log in needed"


def test_the_token_of_an_inactive_user_is_refused(
    client: FlaskClient, factory, db_session: Session
) -> None:
    user = factory.user("learner")
    _, secret = create_token(db_session, user)
    user.active = False
    db_session.flush()

    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_pages_ignore_bearer_tokens(client: FlaskClient, factory, db_session: Session) -> None:
    _, secret = create_token(db_session, factory.user("learner"))

    response = client.get("/account/tokens", headers=bearer(secret))

    assert response.status_code == 302
    assert location(response).startswith("/login")


def test_an_api_call_with_a_token_acts_as_the_token_not_the_session_cookie(
    client: FlaskClient, auth, factory, db_session: Session
) -> None:
    """The API skips CSRF for token calls, so a cookie must never stand in for a bad token."""
    browser_user, token_user = factory.user("admin"), factory.user("learner")
    revoked, revoked_secret = create_token(db_session, browser_user)
    revoked.revoked_at = revoked.created_at
    _, secret = create_token(db_session, token_user)
    auth.login(browser_user)

    assert whoami(client) == browser_user.email
    assert client.get("/api/v1/me", headers=bearer("reg_forged")).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(revoked_secret)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(secret)).get_json()["email"] == token_user.email


def test_token_pages_need_login(client: FlaskClient) -> None:
    assert location(client.get("/account/tokens")).startswith("/login")


# --- the command line ---------------------------------------------------------------------


def test_cli_creates_a_user_with_roles_and_a_provider(runner, factory, db_session: Session) -> None:
    uni = factory.provider()

    result = runner.invoke(
        args=[
            "users",
            "create",
            "Cli@Uni.example",
            "--role",
            "provider",
            "--role",
            "reviewer",
            "--provider",
            uni.id,
            "--password",
            PASSWORD,
            "--expertise",
            "0613,0542",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Created user cli@uni.example (provider, reviewer)." in result.output
    user = get_user_by_email(db_session, "cli@uni.example")
    assert user.roles == {"provider", "reviewer"}
    assert user.provider_id == uni.id
    assert user.expertise == ["0613", "0542"]


def test_cli_names_every_bad_field_and_stores_nothing(runner, db_session: Session) -> None:
    users = count(db_session, User)

    result = runner.invoke(
        args=[
            "users",
            "create",
            "not-an-email",
            "--role",
            "provider",
            "--role",
            "wizard",
            "--password",
            "short",
        ]
    )

    assert result.exit_code == 1
    for field in ("email", "password", "roles", "provider"):
        assert f"error: {field}: " in result.output
    assert count(db_session, User) == users


def test_cli_refuses_a_taken_email(runner, factory, db_session: Session) -> None:
    factory.user("learner", email="taken@example.org")

    result = runner.invoke(
        args=["users", "create", "taken@example.org", "--role", "learner", "--password", PASSWORD]
    )

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_cli_token_is_printed_once_and_works(runner, client: FlaskClient, factory) -> None:
    user = factory.user("coordinator")

    result = runner.invoke(args=["tokens", "create", user.email, "--name", "script"])

    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers=bearer(secret)).get_json()["email"] == user.email


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.org"], "error: email: no user nobody@example.org"),
        (["{email}", "--name", "n" * 101], "error: name: must be at most 100 characters"),
    ],
)
def test_cli_token_refuses_bad_input(runner, factory, db_session: Session, args, message) -> None:
    user = factory.user("learner")

    result = runner.invoke(args=["tokens", "create", *[a.format(email=user.email) for a in args]])

    assert result.exit_code == 1
    assert message in result.output
    assert count(db_session, ApiToken) == 0
