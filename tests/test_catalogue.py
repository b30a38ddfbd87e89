"""Catalogue files: import checks the whole file and stores all or nothing; export gives it back."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

import registry.models  # noqa: F401 -- every table in the metadata, for the row counts
from registry.audit.models import AuditEvent
from registry.credentials.catalogue import current_revision
from registry.credentials.fields import CTID_PATTERN, rule_edges
from registry.credentials.models import (
    Credential,
    CredentialEdge,
    CredentialVersion,
    CreditUnit,
    Recognition,
)
from registry.db import Base
from registry.demo.seed import demo_document
from registry.errors import ValidationError
from registry.interop.catalogue import export_catalogue, import_catalogue, import_steps

DEMO = demo_document()


def row_counts(session: Session) -> dict[str, int]:
    """Rows in every table of the schema."""
    session.flush()
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def problems(session: Session, document: Any) -> list[tuple[str, str]]:
    """The (place, message) pairs an import refuses `document` with; asserts nothing changed."""
    before = row_counts(session)
    with pytest.raises(ValidationError) as caught:
        import_catalogue(session, document, actor=None)
    assert row_counts(session) == before
    return [(error.field, error.message) for error in caught.value.errors]


def credential(id: str, provider: str, title: str, **fields: Any) -> dict[str, Any]:
    """A credential as an export writes it: the defaults spelled out."""
    defaults = {"credit_unit": "ECTS", "type": "micro-credential", "status": "published"}
    return {"id": id, "provider": provider, "title": title, **defaults, **fields}


def small(**sections: Any) -> dict[str, Any]:
    """A valid two-provider catalogue that round-trips exactly, with `sections` replaced."""
    document = {
        "credit_units": {"ECTS": 1, "SCQF": 0.5},
        "providers": [
            {"id": "uni-a", "name": "Uni A", "country": "IE"},
            {"id": "uni-b", "name": "Uni B", "country": "DE"},
        ],
        "credentials": [
            credential("a1", "uni-a", "A1", credits=5),
            credential("a2", "uni-a", "A2", credits=10, credit_unit="SCQF"),
            credential("b1", "uni-b", "B1", credits=5),
            credential(
                "qa",
                "uni-a",
                "QA",
                requirements={"all": [{"credential": "a1"}, {"credential": "a2"}]},
            ),
        ],
        "recognitions": [{"from": "b1", "to": "a1", "by": "uni-a"}],
    }
    document.update(sections)
    return document


# --- round trips ------------------------------------------------------------------------------


def test_demo_import_then_export_gives_the_demo_back(db_session: Session) -> None:
    report = import_catalogue(db_session, copy.deepcopy(DEMO), actor=None)

    exported = export_catalogue(db_session)

    assert exported == DEMO
    # Same key order in every provider and credential, and the same order of the lists.
    assert [list(p) for p in exported["providers"]] == [list(p) for p in DEMO["providers"]]
    assert [list(c) for c in exported["credentials"]] == [list(c) for c in DEMO["credentials"]]
    assert report.counts() == {
        "credit_units": len(DEMO["credit_units"]) - 1,  # ECTS comes with the schema
        "providers": len(DEMO["providers"]),
        "credentials": len(DEMO["credentials"]),
        "edges": sum(
            len(rule_edges(c.get("prerequisites"), c.get("requirements")))
            for c in DEMO["credentials"]
        ),
        "recognitions": len(DEMO["recognitions"]),
    }


def test_import_stores_one_first_version_per_credential_with_its_pointers(
    db_session: Session,
) -> None:
    import_catalogue(db_session, copy.deepcopy(DEMO), actor=None)

    for doc in DEMO["credentials"]:
        credential = db_session.get(Credential, doc["id"])
        assert [v.number for v in credential.versions] == [1]
        version = credential.versions[0]
        assert credential.current_version_id == version.id
        assert version.status == doc["status"]
        published = version.id if doc["status"] == "published" else None
        assert credential.published_version_id == published
        edges = {(e.component_id, e.kind) for e in version.edges}
        assert edges == set(rule_edges(doc.get("prerequisites"), doc.get("requirements")))
        assert CTID_PATTERN.match(credential.ctid)


def test_import_records_one_audit_event_with_the_counts(db_session: Session) -> None:
    events = db_session.scalar(select(func.count()).select_from(AuditEvent))

    report = import_catalogue(db_session, small(), actor=None)

    db_session.flush()
    rows = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).all()
    assert len(rows) == events + 1
    assert rows[0].action == "catalogue.import"
    assert (
        rows[0].after
        == report.counts()
        == {
            "credit_units": 1,
            "providers": 2,
            "credentials": 4,
            "edges": 2,
            "recognitions": 1,
        }
    )


def test_an_import_moves_the_catalogue_revision_and_a_refusal_does_not(
    db_session: Session,
) -> None:
    start = current_revision(db_session)

    import_catalogue(db_session, small(), actor=None)
    assert current_revision(db_session) == start + 1
    problems(db_session, small())
    assert current_revision(db_session) == start + 1


def test_defaults_are_filled_in_and_exported(db_session: Session) -> None:
    document = small(
        credit_units={"SCQF": 0.5},
        credentials=[{"id": "a1", "provider": "uni-a", "title": "A1", "description": ""}],
        recognitions=[],
    )

    import_catalogue(db_session, document, actor=None)

    exported = export_catalogue(db_session)
    # ECTS comes with every registry, so it is listed even when the file leaves it out.
    assert exported["credit_units"] == {"ECTS": 1, "SCQF": 0.5}
    # Empty values are left out; the defaults are written out.
    assert exported["credentials"] == [
        {
            "id": "a1",
            "provider": "uni-a",
            "title": "A1",
            "credit_unit": "ECTS",
            "type": "micro-credential",
            "status": "published",
        }
    ]
    credential = db_session.get(Credential, "a1")
    assert credential.published_version_id == credential.current_version_id is not None


def test_ctids_from_the_file_are_kept_and_exported_on_request(db_session: Session) -> None:
    provider_ctid = "ce-11111111-2222-3333-4444-555555555555"
    credential_ctid = "ce-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    document = small(recognitions=[])
    document["providers"][0] = {"id": "uni-a", "ctid": provider_ctid, **document["providers"][0]}
    document["credentials"][0] = {"id": "a1", "ctid": credential_ctid, **document["credentials"][0]}

    import_catalogue(db_session, copy.deepcopy(document), actor=None)

    assert export_catalogue(db_session, with_ctids=False) == {
        **document,
        "providers": [{k: v for k, v in p.items() if k != "ctid"} for p in document["providers"]],
        "credentials": [
            {k: v for k, v in c.items() if k != "ctid"} for c in document["credentials"]
        ],
    }
    backup = export_catalogue(db_session, with_ctids=True)
    assert list(backup["providers"][0])[:2] == ["id", "ctid"]
    assert backup["providers"][0]["ctid"] == provider_ctid
    assert backup["credentials"][0]["ctid"] == credential_ctid
    made = [c["ctid"] for c in backup["credentials"][1:]] + [backup["providers"][1]["ctid"]]
    assert all(CTID_PATTERN.match(ctid) for ctid in made)
    assert len(set(made)) == len(made)


def test_a_full_backup_restores_into_an_empty_registry(db_session: Session) -> None:
    import_catalogue(db_session, copy.deepcopy(DEMO), actor=None)
    backup = export_catalogue(db_session, with_ctids=True)
    db_session.rollback()  # back to the empty registry of this test

    import_catalogue(db_session, copy.deepcopy(backup), actor=None)

    assert export_catalogue(db_session, with_ctids=True) == backup


def test_progress_counts_every_row_checked_and_written(db_session: Session) -> None:
    calls: list[int] = []

    import_catalogue(db_session, copy.deepcopy(DEMO), actor=None, progress=calls.append)

    assert sum(calls) == import_steps(DEMO) == 2 * (7 + 125 + 6)
    assert all(n > 0 for n in calls)


def test_a_second_catalogue_builds_on_the_first(db_session: Session) -> None:
    import_catalogue(db_session, small(), actor=None)
    second = {
        "credit_units": {"ECTS": 1, "SCQF": 0.5, "HKU": 0.4},
        "providers": [{"id": "uni-c", "name": "Uni C", "country": "HK"}],
        "credentials": [
            {
                "id": "qc",
                "provider": "uni-c",
                "title": "QC",
                "credit_unit": "HKU",
                "requirements": {"all": [{"credential": "qa"}, {"credential": "c1"}]},
            },
            {"id": "c1", "provider": "uni-c", "title": "C1", "prerequisites": {"credential": "a1"}},
        ],
        "recognitions": [{"from": "a2", "to": "c1", "by": "uni-c"}],
    }

    report = import_catalogue(db_session, copy.deepcopy(second), actor=None)

    assert report.counts() == {
        "credit_units": 1,
        "providers": 1,
        "credentials": 2,
        "edges": 3,
        "recognitions": 1,
    }
    exported = export_catalogue(db_session)
    assert exported["credit_units"] == {"ECTS": 1, "HKU": 0.4, "SCQF": 0.5}
    assert [c["id"] for c in exported["credentials"]] == ["a1", "a2", "b1", "qa", "qc", "c1"]
    # The reserved version ids do not collide with versions made afterwards.
    credential = db_session.get(Credential, "c1")
    db_session.add(CredentialVersion(credential=credential, number=2, title="C1 v2"))
    db_session.flush()
    assert db_session.scalar(select(func.max(CredentialVersion.id))) > credential.current_version_id


# --- refusals ---------------------------------------------------------------------------------


def test_a_broken_catalogue_gives_every_problem_with_its_place_and_stores_nothing(
    db_session: Session,
) -> None:
    broken = {
        "credit_units": {"ECTS": 1, "HKU": -1, "bad unit!": 1, "SCQF": "half"},
        "providers": [
            {"id": "uni-a", "name": "Uni A", "country": "IE"},
            {"id": "uni-b", "name": "Uni B", "country": "Ireland"},
            {"id": "uni-a", "name": "Uni A again", "country": "IE"},
        ],
        "credentials": [
            {"id": "c1", "provider": "uni-a", "title": "C1"},
            {"id": "c2", "provider": "uni-x", "title": "C2"},
            {"id": "c1", "provider": "uni-a", "title": "C1 again"},
            {
                "id": "q1",
                "provider": "uni-a",
                "title": "Q1",
                "requirements": {"all": [{"credential": "c1"}, {"credential": "nope"}]},
            },
            {
                "id": "q2",
                "provider": "uni-a",
                "title": "Q2",
                "requirements": {"at_least": 3, "of": [{"credential": "c1"}]},
            },
            {
                "id": "q3",
                "provider": "uni-a",
                "title": "Q3",
                "requirements": {"all": [{"credential": "q4"}]},
            },
            {
                "id": "q4",
                "provider": "uni-a",
                "title": "Q4",
                "requirements": {"any": [{"credential": "q3"}]},
            },
            {"id": "c5", "provider": "uni-a", "title": "C5", "credit_unit": "HKU"},
            {"id": "c6", "provider": "uni-b", "title": "C6", "prerequisites": {"credential": "c6"}},
        ],
        "recognitions": [
            {"from": "c1", "to": "c2", "by": "uni-z"},
            {"from": "c1", "to": "missing", "by": "uni-a"},
            {"from": "c1", "to": "c1", "by": "uni-a"},
            {"from": "c6", "to": "q1", "by": "uni-b"},
            {"from": "c6", "to": "c5", "by": "uni-a", "note": "x"},
            {"from": "c6", "to": "c5", "by": "uni-a"},
        ],
        "extras": [],
    }

    found = problems(db_session, broken)

    assert found == [
        (
            "extras",
            "is not a catalogue section (credit_units, providers, credentials, recognitions)",
        ),
        ("credit_units.HKU", "must be at least 0"),
        ("credit_units.bad unit!", "a unit code is 1-40 letters, digits, '.', '_' or '-'"),
        ("credit_units.SCQF", "must be a number: how many ECTS one unit is worth"),
        ("providers[1].country", "must be an ISO 3166 two-letter country code"),
        ("providers[2].id", "duplicate id 'uni-a' (first at providers[0])"),
        ("credentials[1].provider", "unknown provider 'uni-x'"),
        ("credentials[2].id", "duplicate id 'c1' (first at credentials[0])"),
        ("credentials[3].requirements.all[1].credential", "unknown credential 'nope'"),
        ("credentials[4].requirements.at_least", "at_least must be between 1 and 1"),
        ("credentials[5].requirements", "requirements form a cycle: q3 -> q4 -> q3"),
        ("credentials[8].prerequisites", "prerequisites form a cycle: c6 -> c6"),
        ("recognitions[0].by", "unknown provider 'uni-z'"),
        ("recognitions[1].to", "unknown credential 'missing'"),
        ("recognitions[2].to", "a credential is not recognised as itself"),
        (
            "recognitions[3].by",
            "'q1' belongs to 'uni-a'; only its own provider recognises other credentials as it",
        ),
        ("recognitions[4].note", "is not a known field"),
        ("recognitions[5]", "duplicate recognition of 'c6' as 'c5' (first at recognitions[4])"),
    ]


def test_what_already_exists_is_refused_with_its_place(db_session: Session) -> None:
    first = small()
    first["credentials"][0]["ctid"] = "ce-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    import_catalogue(db_session, copy.deepcopy(first), actor=None)
    again = {
        "credit_units": {"SCQF": 0.6},
        "providers": [
            {"id": "uni-c", "name": "Uni C", "country": "IE"},
            {"id": "uni-b", "name": "Uni B", "country": "DE"},
        ],
        "credentials": [
            {"id": "c1", "provider": "uni-c", "title": "C1"},
            {
                "id": "a2",
                "provider": "uni-a",
                "title": "A2",
                "ctid": "ce-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            },
        ],
        "recognitions": [{"from": "b1", "to": "a1", "by": "uni-a"}],
    }

    assert problems(db_session, again) == [
        (
            "credit_units.SCQF",
            "the registry counts SCQF as 0.5 ECTS; a catalogue file cannot change a rate",
        ),
        ("providers[1].id", "provider 'uni-b' already exists"),
        ("credentials[1].id", "credential 'a2' already exists"),
        (
            "credentials[1].ctid",
            "ctid 'ce-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' is already in use",
        ),
        ("recognitions[0]", "'b1' is already recognised as 'a1'"),
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            [],
            [
                (
                    "",
                    "a catalogue must be a JSON object with " + "credit_units, providers, "
                    "credentials, recognitions",
                )
            ],
        ),
        (
            {"credit_units": [], "providers": {}, "credentials": "x", "recognitions": None},
            [
                ("credit_units", "must be an object of codes and ECTS rates"),
                ("providers", "must be a list"),
                ("credentials", "must be a list"),
                ("recognitions", "must be a list"),
            ],
        ),
        (
            {"credentials": [7], "recognitions": ["x"]},
            [
                ("credentials[0]", "must be an object"),
                ("recognitions[0]", "must be an object with from, to and by"),
            ],
        ),
        (
            {"credit_units": {"ECTS": 2}},
            [("credit_units.ECTS", "ECTS is the base unit; its rate is 1")],
        ),
        (
            {"recognitions": [{"from": 1}]},
            [
                ("recognitions[0].from", "must be a credential id"),
                ("recognitions[0].to", "is required"),
                ("recognitions[0].by", "is required"),
            ],
        ),
    ],
)
def test_a_document_of_the_wrong_shape_is_refused(
    db_session: Session, document: Any, expected: list[tuple[str, str]]
) -> None:
    assert problems(db_session, document) == expected


def test_ctids_must_be_unique_within_the_file(db_session: Session) -> None:
    ctid = "ce-11111111-2222-3333-4444-555555555555"
    document = small(recognitions=[])
    document["providers"][1]["ctid"] = ctid
    document["credentials"][2]["ctid"] = ctid

    assert problems(db_session, document) == [
        ("credentials[2].ctid", f"duplicate ctid '{ctid}' (first at providers[1])")
    ]


def test_nothing_is_asked_or_written_row_by_row(db_session: Session) -> None:
    """A large import sends a handful of statements, not one per credential."""
    n = 12_000
    document = {
        "providers": [{"id": "uni", "name": "Uni", "country": "IE"}],
        "credentials": [
            {"id": f"c{i}", "provider": "uni", "title": f"C{i}", "credits": 5} for i in range(n)
        ]
        + [
            {
                "id": "q",
                "provider": "uni",
                "title": "Q",
                "requirements": {"count": 3, "where": {"credentials": ["c1", "c2", "c3"]}},
            }
        ],
    }
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = db_session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = import_catalogue(db_session, document, actor=None)
        db_session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert report.credentials == n + 1
    assert report.edges == 3
    assert len(statements) < 40, statements
    assert db_session.scalar(select(func.count()).select_from(CredentialEdge)) == 3
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.published_version_id.is_(None))
        )
        == 0
    )


def test_an_empty_document_adds_nothing_but_its_event(db_session: Session) -> None:
    before = row_counts(db_session)

    report = import_catalogue(db_session, {}, actor=None)

    after = row_counts(db_session)
    assert report.counts() == dict.fromkeys(report.counts(), 0)
    assert after == {**before, "audit_events": before["audit_events"] + 1}
    assert db_session.scalar(select(func.count()).select_from(CreditUnit)) == 1
    assert db_session.scalar(select(func.count()).select_from(Recognition)) == 0
