"""The command line: catalogue import and export, seed-demo, and the users and tokens commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.auth.models import ApiToken
from registry.auth.services import authenticate, get_user_by_email
from registry.credentials.models import Credential
from registry.demo.seed import DEMO_CATALOGUE, DEMO_PASSWORD, DEMO_PROVIDER, DEMO_USERS
from registry.interop.cli import PROGRESS_BAR_FROM
from tests.conftest import PASSWORD, bearer
from tests.test_catalogue import row_counts, small

DEMO_TEXT = DEMO_CATALOGUE.read_text(encoding="utf-8")
DEMO = json.loads(DEMO_TEXT)


def write(tmp_path: Path, document: object, name: str = "catalogue.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


# --- catalogue import / export ----------------------------------------------------------------


def test_import_then_export_prints_the_file_back(runner, db_session: Session) -> None:
    imported = runner.invoke(args=["catalogue", "import", str(DEMO_CATALOGUE)])

    assert imported.exit_code == 0, imported.output
    assert imported.stdout == (
        "Imported 3 credit units, 7 providers, 125 credentials (85 rule edges) and "
        "6 recognitions.\n"
    )
    exported = runner.invoke(args=["catalogue", "export"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout) == DEMO
    assert exported.stderr == "Exported 7 providers, 125 credentials and 6 recognitions.\n"


def test_export_to_a_file_with_ctids(runner, db_session: Session, tmp_path: Path) -> None:
    assert runner.invoke(args=["catalogue", "import", write(tmp_path, small())]).exit_code == 0
    out = tmp_path / "backup.json"

    result = runner.invoke(args=["catalogue", "export", str(out), "--with-ctids"])

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    backup = json.loads(out.read_text(encoding="utf-8"))
    assert [list(p)[:2] for p in backup["providers"]] == [["id", "ctid"]] * 2
    without = {
        **backup,
        "providers": [{k: v for k, v in p.items() if k != "ctid"} for p in backup["providers"]],
        "credentials": [{k: v for k, v in c.items() if k != "ctid"} for c in backup["credentials"]],
    }
    assert without == small()


def test_import_reads_stdin(runner, db_session: Session) -> None:
    result = runner.invoke(args=["catalogue", "import", "-"], input=json.dumps(small()))

    assert result.exit_code == 0, result.output
    assert "4 credentials" in result.stdout
    assert db_session.scalar(select(func.count()).select_from(Credential)) == 4


def test_a_broken_file_prints_every_error_and_stores_nothing(
    runner, db_session: Session, tmp_path: Path
) -> None:
    broken = small()
    broken["providers"].append({"id": "uni-a", "name": "Again", "country": "ie"})
    broken["credentials"][3]["requirements"] = {"all": [{"credential": "zz"}]}
    broken["recognitions"][0]["by"] = "nobody"
    before = row_counts(db_session)

    result = runner.invoke(args=["catalogue", "import", write(tmp_path, broken)])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: providers[2].country: must be an ISO 3166 two-letter country code",
        "error: providers[2].id: duplicate id 'uni-a' (first at providers[0])",
        "error: credentials[3].requirements.all[0].credential: unknown credential 'zz'",
        "error: recognitions[0].by: unknown provider 'nobody'",
    ]
    assert row_counts(db_session) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"providers": [\n  {"id": "a",}\n]}',
            "not valid JSON: Expecting property name "
            "enclosed in double quotes at line 2, column 14",
        ),
        (b"", "not valid JSON: Expecting value at line 1, column 1"),
        (b'{"credit_units": {"ECTS": NaN}}', "not valid JSON: NaN is not a JSON number"),
        (b'{"providers": "\xff"}', "not UTF-8 text: invalid start byte at byte 15"),
        (
            b"[1, 2]",
            "a catalogue must be a JSON object with credit_units, providers, "
            "credentials, recognitions",
        ),
    ],
)
def test_a_file_that_is_no_catalogue_is_refused(
    runner, db_session: Session, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    before = row_counts(db_session)

    result = runner.invoke(args=["catalogue", "import", str(path)])

    assert result.exit_code == 1
    where = "" if message.startswith("a catalogue") else f"{path}: "
    assert result.stderr == f"error: {where}{message}\n"
    assert row_counts(db_session) == before


def test_a_missing_file_is_a_usage_error(runner, db_session: Session, tmp_path: Path) -> None:
    result = runner.invoke(args=["catalogue", "import", str(tmp_path / "nope.json")])

    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr


def test_a_large_import_shows_a_progress_bar_on_stderr(
    runner, db_session: Session, tmp_path: Path
) -> None:
    n = PROGRESS_BAR_FROM // 2
    document = {
        "providers": [{"id": "uni", "name": "Uni", "country": "IE"}],
        "credentials": [{"id": f"c{i}", "provider": "uni", "title": f"C{i}"} for i in range(n)],
    }

    result = runner.invoke(args=["catalogue", "import", write(tmp_path, document)])

    assert result.exit_code == 0, result.output
    assert "Importing" in result.stderr
    assert f"{n} credentials" in result.stdout


# --- seed-demo --------------------------------------------------------------------------------


def test_seed_demo_loads_the_catalogue_and_one_account_per_role(
    runner, db_session: Session
) -> None:
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Loaded the demo catalogue: 7 providers, 125 credentials, 6 recognitions."
    assert lines[-1] == f"Every demo account's password is: {DEMO_PASSWORD}"
    for demo in DEMO_USERS:
        user = authenticate(db_session, demo.email, DEMO_PASSWORD)
        assert user is not None, demo.email
        assert user.roles == {demo.role}
        assert user.provider_id == demo.provider
        assert any(line.split()[0] == demo.email and "(new)" in line for line in lines)
    assert get_user_by_email(db_session, "provider@demo.example").provider_id == DEMO_PROVIDER
    assert DEMO_PROVIDER in {p["id"] for p in DEMO["providers"]}
    exported = runner.invoke(args=["catalogue", "export"])
    assert json.loads(exported.stdout) == DEMO


def test_seed_demo_twice_changes_nothing_the_second_time(runner, db_session: Session) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = row_counts(db_session)

    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "The demo is already loaded; nothing changed."
    assert "(new)" not in result.stdout
    assert row_counts(db_session) == before


def test_seed_demo_adds_missing_accounts_to_a_loaded_catalogue(runner, db_session: Session) -> None:
    assert runner.invoke(args=["catalogue", "import", str(DEMO_CATALOGUE)]).exit_code == 0

    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "The demo catalogue was already loaded."
    assert result.stdout.count("(new)") == len(DEMO_USERS)


# --- users and tokens -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard"], "error: roles: unknown role(s): wizard"),
        (["--role", "provider", "--provider", "nope"], "error: provider: unknown provider 'nope'"),
        (["--role", "provider"], "error: provider: provider staff must belong to a provider"),
    ],
)
def test_users_create_names_the_bad_field_and_creates_nobody(
    runner, db_session: Session, args: list[str], message: str
) -> None:
    result = runner.invoke(
        args=["users", "create", "new@example.org", *args, "--password", PASSWORD]
    )

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""
    assert get_user_by_email(db_session, "new@example.org") is None


def test_users_create_then_token_works_as_bearer(
    runner, client: FlaskClient, db_session: Session, factory
) -> None:
    uni = factory.provider("uni-a")
    db_session.commit()
    created = runner.invoke(
        args=[
            "users",
            "create",
            "Staff@Uni-A.example",
            "--role",
            "provider",
            "--provider",
            uni.id,
            "--password",
            PASSWORD,
        ]
    )
    assert created.exit_code == 0, created.output

    result = runner.invoke(args=["tokens", "create", "staff@uni-a.example"])

    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert token.startswith("reg_")
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.get_json()["email"] == "staff@uni-a.example"
    assert me.get_json()["provider"] == "uni-a"
    assert client.get("/api/v1/me", headers=bearer(token + "x")).status_code == 401


def test_tokens_create_for_an_unknown_email_fails(runner, db_session: Session) -> None:
    result = runner.invoke(args=["tokens", "create", "ghost@example.org"])

    assert result.exit_code == 1
    assert result.stderr == "error: email: no user ghost@example.org\n"
    assert db_session.scalar(select(func.count()).select_from(ApiToken)) == 0
