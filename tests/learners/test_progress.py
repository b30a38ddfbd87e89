"""My qualifications, the progress API and the credential page, checked against evaluate."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from registry.credentials.catalogue import bump_revision
from registry.credentials.rules_text import rule_lines
from registry.learners import services
from registry.learners.explain import explain_assignment, leaf_of, node_at
from registry.stacking import Catalogue, CredentialSpec
from tests.conftest import post_form
from tests.learners.conftest import entry
from tests.openapi import schema_errors

AS_WALLET = [entry("course-1", "2025-03-01", result="B"), entry("lab-skills", "2024-05-01")]


class ProgressPage(HTMLParser):
    """The qualifications of a progress page: status, data-progress, plan, explanation rows."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None
        self.path: str | None = None
        self.percent_next = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and "data-qualification" in a:
            self.current = {
                "status": a["data-status"],
                "progress": a.get("data-progress"),
                "plan_cost": a.get("data-plan-cost"),
                "plan": [],
                "explanation": {},
                "bar": None,
            }
            self.rows[a["data-qualification"] or ""] = self.current
        elif self.current is None:
            return
        elif tag == "li" and "data-credential" in a:
            self.current["plan"].append(a["data-credential"])
        elif tag == "tr" and "data-path" in a:
            self.path = a["data-path"]
            self.current["explanation"][self.path] = []
        elif tag == "li" and "data-entry-index" in a and self.path is not None:
            self.current["explanation"][self.path].append(int(a["data-entry-index"] or 0))
        elif tag == "progress":
            self.current["bar"] = a.get("value")


def page_rows(client, url: str = "/wallet/progress") -> dict[str, dict[str, Any]]:
    response = client.get(url)
    assert response.status_code == 200
    return ProgressPage(response.get_data(as_text=True)).rows


@pytest.fixture()
def holding(db_session, learner):
    services.import_entries(db_session, learner, AS_WALLET)
    db_session.commit()
    return learner


def evaluate_api(app, wallet, **extra: Any) -> dict[str, Any]:
    """The evaluate endpoint's answer, asked by an anonymous caller (it stores nothing)."""
    response = app.test_client().post("/api/v1/evaluate", json={"wallet": wallet, **extra})
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("cost", ["credits", "count", "price"])
def test_the_page_agrees_with_the_evaluate_api(app, logged_in, holding, db_session, cost):
    wallet = services.wallet_of(db_session, holding)
    answer = evaluate_api(app, wallet, cost=cost)

    rows = page_rows(logged_in, f"/wallet/progress?cost={cost}")

    for row in answer["in_progress"]:
        shown = rows[row["qualification"]]
        assert shown["status"] == "in_progress"
        assert float(shown["progress"]) == row["progress"]
        assert float(shown["plan_cost"]) == row["plan_cost"]
        assert shown["plan"] == row["plan"]
        assert int(shown["bar"]) == int(row["progress"] * 100)
    for row in answer["completed"]:
        assert rows[row["qualification"]]["status"] == "completed"
    for ident in answer["unreachable"]:
        assert rows[ident]["status"] == "unreachable"
    assert len(rows) == sum(len(answer[k]) for k in ("completed", "in_progress", "unreachable"))


def test_the_progress_bar_moves_up_until_the_qualification_is_completed(
    logged_in, learner, db_session
):
    seen = []
    for ident in ("course-1", "course-2", "course-3"):
        post_form(
            logged_in,
            "/wallet/entries",
            {"credential": ident, "earned_on": "2025-03-01"},
            form_url="/wallet",
        )
        seen.append(page_rows(logged_in)["diploma"])

    assert [row["status"] for row in seen] == ["in_progress", "in_progress", "completed"]
    assert int(seen[0]["bar"]) < int(seen[1]["bar"]) < int(seen[2]["bar"]) == 100


def test_the_explanation_maps_paths_and_entries_to_words(logged_in, db_session, learner):
    services.import_entries(
        db_session,
        learner,
        [entry("course-3", "2024-01-01"), entry("course-1", "2025-01-01"), entry("course-2")],
    )
    db_session.commit()
    answer = services.progress(db_session, learner)
    diploma = next(r for r in answer["completed"] if r["qualification"] == "diploma")

    page = logged_in.get("/wallet/progress").get_data(as_text=True)
    rows = ProgressPage(page).rows

    expected = {a["path"]: a["entries"] for a in diploma["assignment"]}
    assert rows["diploma"]["explanation"] == expected
    # The certificate is reached through the diploma's first part: the page says so.
    assert any(path.startswith("all[0]/cert/") for path in expected)
    assert 'Through <a href="/credentials/cert">Certificate in computing</a>:' in page
    assert "EQF level 6 or above" in page


def test_the_explanation_helpers_follow_nested_paths():
    catalogue = Catalogue(
        {
            "a": CredentialSpec("a"),
            "b": CredentialSpec("b", credits=5, level=6),
            "q": CredentialSpec("q", requirements={"any": [{"credential": "a"}]}),
            "top": CredentialSpec(
                "top",
                requirements={
                    "all": [
                        {"credential": "q"},
                        {"at_least": 1, "of": [{"credits": 5, "where": {"level_min": 6}}]},
                    ]
                },
            ),
        }
    )
    rule = catalogue.credentials["top"].requirements

    assert node_at(rule, "") == rule
    assert node_at(rule, "all[1].at_least[0]") == {"credits": 5, "where": {"level_min": 6}}
    assert node_at(rule, "all[7]") is None
    assert node_at(rule, "any[0]") is None
    assert leaf_of(catalogue, "top", "all[0]/q/any[0]") == (["q"], {"credential": "a"})
    parts = explain_assignment(
        catalogue,
        "top",
        [
            {"path": "all[0]/q/any[0]", "entries": [0]},
            {"path": "all[1].at_least[0]", "entries": [1]},
        ],
    )
    assert [(p.through, p.pieces, p.entries) for p in parts] == [
        (["q"], [("id", "a")], [0]),
        ([], rule_lines({"credits": 5, "where": {"level_min": 6}}).pieces, [1]),
    ]


def test_the_learner_chooses_the_cost(logged_in, holding):
    by_count = page_rows(logged_in, "/wallet/progress?cost=count")
    by_price = logged_in.get("/wallet/progress?cost=price").get_data(as_text=True)

    # The certificate needs one more course: 1 credential, and the cheapest one by price.
    assert float(by_count["cert"]["plan_cost"]) == 1
    assert ProgressPage(by_price).rows["cert"]["plan"] == ["course-3"]
    assert '<option value="price" selected>' in by_price
    assert 'in total <strong class="wallet-plan-cost">200</strong>' in by_price
    # An unknown cost falls back to credits rather than failing.
    assert '<option value="credits" selected>' in logged_in.get(
        "/wallet/progress?cost=bogus"
    ).get_data(as_text=True)


def test_unreachable_qualifications_say_why(logged_in, holding):
    page = logged_in.get("/wallet/progress").get_data(as_text=True)

    assert ProgressPage(page).rows["lost-cause"]["status"] == "unreachable"
    assert (
        '<a href="/credentials/draft-only">A draft course</a>: '
        "<strong>no published credential gives it</strong>" in page
    )


def test_only_the_nearest_are_shown_until_show_all(logged_in, holding, monkeypatch):
    from registry.learners import pages

    monkeypatch.setattr(pages, "NEAREST", 1)
    first = logged_in.get("/wallet/progress").get_data(as_text=True)
    everything = page_rows(logged_in, "/wallet/progress?all=1")

    assert [k for k, v in ProgressPage(first).rows.items() if v["status"] == "in_progress"] == [
        "cert"
    ]
    assert "Show all qualifications in progress" in first
    assert {k for k, v in everything.items() if v["status"] == "in_progress"} == {
        "cert",
        "diploma",
    }
    # "Show all" has a ceiling, for catalogues with tens of thousands of qualifications.
    monkeypatch.setattr(pages, "SHOW_ALL_LIMIT", 1)
    capped = logged_in.get("/wallet/progress?all=1").get_data(as_text=True)
    assert len([v for v in ProgressPage(capped).rows.values() if v["status"] == "in_progress"]) == 1
    assert "GET /api/v1/wallet/progress</code>) lists every one" in capped


def test_an_empty_wallet_is_told_where_to_start(logged_in):
    page = logged_in.get("/wallet/progress").get_data(as_text=True)

    assert "Nothing in your wallet yet" in page
    assert ProgressPage(page).rows["cert"]["progress"] == "0.0"


# --- the API ----------------------------------------------------------------------------


@pytest.mark.parametrize("cost", ["credits", "count", "price"])
def test_the_progress_api_is_the_evaluate_answer_for_the_wallet(
    logged_in, holding, db_session, app, cost
):
    from registry.auth.services import create_token
    from tests.conftest import bearer

    token = create_token(db_session, holding, "t")[1]
    db_session.commit()
    listed = app.test_client().get("/api/v1/wallet/entries", headers=bearer(token)).get_json()
    wallet = [{k: v for k, v in e.items() if k not in ("id", "source")} for e in listed["entries"]]

    response = app.test_client().get(f"/api/v1/wallet/progress?cost={cost}", headers=bearer(token))

    assert response.status_code == 200
    assert response.get_json() == evaluate_api(app, wallet, cost=cost)


def test_the_progress_api_refuses_a_bad_cost_or_limit(app, holding, db_session):
    from registry.auth.services import create_token
    from tests.conftest import bearer

    token = create_token(db_session, holding, "t")[1]
    db_session.commit()
    client = app.test_client()

    bad_cost = client.get("/api/v1/wallet/progress?cost=euros", headers=bearer(token))
    bad_limit = client.get("/api/v1/wallet/progress?limit=-1", headers=bearer(token))
    limited = client.get("/api/v1/wallet/progress?limit=1", headers=bearer(token))

    assert bad_cost.status_code == 422
    assert bad_cost.get_json()["error"]["errors"][0]["field"] == "cost"
    assert bad_limit.status_code == 422
    assert bad_limit.get_json()["error"]["errors"][0]["field"] == "limit"
    assert len(limited.get_json()["in_progress"]) == 1


def test_the_wallet_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert set(paths["/wallet/entries"]) == {"get", "post"}
    assert set(paths["/wallet/entries/{entry_id}"]) == {"get", "delete"}
    assert "get" in paths["/wallet/progress"]


# --- the credential page -----------------------------------------------------------------


def test_a_visitor_is_invited_to_log_in_on_a_credential_page(client, stack, factory, db_session):
    page = client.get("/credentials/course-1").get_data(as_text=True)

    assert "Your progress" in page
    assert "/login?next=/credentials/course-1" in page
    # A credential that counts toward nothing has nothing to invite to.
    factory.credential(stack["provider"], "loner", title="Counts toward nothing")
    factory.publish("loner")
    bump_revision(db_session)
    db_session.commit()
    assert "Your progress" not in client.get("/credentials/loner").get_data(as_text=True)


def test_a_learner_sees_progress_on_what_a_credential_counts_toward(logged_in, holding):
    page = logged_in.get("/credentials/course-2").get_data(as_text=True)
    rows = ProgressPage(page).rows

    assert set(rows) == {"cert", "diploma"}
    assert rows["cert"]["status"] == "in_progress"
    assert rows["cert"]["bar"] == "50"


def test_completed_and_unreachable_show_on_the_credential_page(logged_in, learner, db_session):
    services.import_entries(db_session, learner, [entry("course-1"), entry("course-2")])
    db_session.commit()

    course = ProgressPage(logged_in.get("/credentials/course-1").get_data(as_text=True)).rows
    lab = ProgressPage(logged_in.get("/credentials/lab-skills").get_data(as_text=True)).rows
    cert = ProgressPage(logged_in.get("/credentials/cert").get_data(as_text=True)).rows

    assert course["cert"]["status"] == "completed"
    assert lab == {"lost-cause": lab["lost-cause"]}
    assert lab["lost-cause"]["status"] == "unreachable"
    # A qualification's own page shows the learner's standing on it first.
    assert next(iter(cert)) == "cert" and cert["cert"]["status"] == "completed"


def test_the_wallet_answers_match_the_openapi_document(app, holding, db_session):
    from registry.auth.services import create_token
    from tests.conftest import bearer

    token = create_token(db_session, holding, "t")[1]
    db_session.commit()
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]

    def check(response, path: str, method: str) -> None:
        described = paths[path][method]["responses"][str(response.status_code)]
        if "$ref" in described:
            described = document["components"]["responses"][described["$ref"].rsplit("/", 1)[-1]]
        schema = described["content"]["application/json"]["schema"]
        assert schema_errors(response.get_json(), schema, document) == []

    headers = bearer(token)
    check(client.get("/api/v1/wallet/entries", headers=headers), "/wallet/entries", "get")
    one = client.post("/api/v1/wallet/entries", json=entry("course-2"), headers=headers)
    check(one, "/wallet/entries", "post")
    many = client.post("/api/v1/wallet/entries", json=[entry("course-3")], headers=headers)
    check(many, "/wallet/entries", "post")
    bad = client.post("/api/v1/wallet/entries", json=[entry("nope")], headers=headers)
    check(bad, "/wallet/entries", "post")
    path = "/wallet/entries/{entry_id}"
    check(
        client.get(f"/api/v1/wallet/entries/{one.get_json()['id']}", headers=headers), path, "get"
    )
    check(client.delete("/api/v1/wallet/entries/999999", headers=headers), path, "delete")
    for cost in ("credits", "count", "price"):
        answer = client.get(f"/api/v1/wallet/progress?cost={cost}", headers=headers)
        check(answer, "/wallet/progress", "get")
