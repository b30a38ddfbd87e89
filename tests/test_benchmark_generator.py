"""The benchmark's catalogue and wallet generator, at a scale small enough for the test suite."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from benchmarks.generate import AS_OF, generate, wallet, write_catalogue
from registry.credentials.fields import credential_problems, provider_problems
from registry.stacking import CredentialSpec, find_cycle, referenced_ids
from registry.stacking.rules import iter_nodes, rule_kind

N = 1500


@pytest.fixture(scope="module")
def document():
    return generate(N, seed=7)


def test_the_document_passes_the_registry_checks(document):
    ids = {c["id"] for c in document["credentials"]}
    providers = {p["id"] for p in document["providers"]}
    problems = []
    for i, provider in enumerate(document["providers"]):
        problems += provider_problems(provider, f"providers[{i}]")
    for i, credential in enumerate(document["credentials"]):
        problems += credential_problems(
            credential,
            f"credentials[{i}]",
            known_ids=ids,
            known_providers=providers,
            known_units=document["credit_units"],
        )
    assert problems == []
    specs = {
        c["id"]: CredentialSpec(
            id=c["id"], prerequisites=c.get("prerequisites"), requirements=c.get("requirements")
        )
        for c in document["credentials"]
    }
    assert find_cycle(specs) is None
    for recognition in document["recognitions"]:
        assert {recognition["from"], recognition["to"]} <= ids
        assert recognition["by"] in providers


def test_the_document_has_the_catalogue_shape_and_proportions(document):
    assert list(document) == ["credit_units", "providers", "credentials", "recognitions"]
    assert document["credit_units"]["SCQF"] == 0.5
    assert document["credit_units"]["US-semester-hour"] == 2
    credentials = document["credentials"]
    assert len(credentials) == N
    assert len({c["id"] for c in credentials}) == N
    assert len(document["providers"]) == round(N / 14)
    qualifications = [c for c in credentials if "requirements" in c]
    assert 0.03 * N <= len(qualifications) <= 0.07 * N
    unpublished = [c for c in credentials if c["status"] != "published"]
    assert 0 < len(unpublished) <= 0.05 * N
    assert any("prerequisites" in c for c in credentials)
    assert document["recognitions"]


def test_qualifications_mix_every_kind_of_rule_and_nest_two_levels(document):
    credentials = {c["id"]: c for c in document["credentials"]}
    kinds, keys = set(), set()
    depth = {}
    for ident, credential in credentials.items():  # ids only point backwards, so one pass
        rule = credential.get("requirements")
        if rule is None:
            continue
        for _, node in iter_nodes(rule):
            kinds.add(rule_kind(node))
            keys.update(k for k in ("of_which", "within_years") if k in node)
        below = [depth.get(i, 0) for i in referenced_ids(rule)]
        depth[ident] = 1 + max(below, default=0)
    assert kinds == {"credential", "all", "any", "at_least", "credits", "count"}
    assert keys == {"of_which", "within_years"}
    assert max(depth.values()) == 2
    assert any("max_reuse" in c for c in credentials.values())


def test_generation_is_deterministic_by_seed(document):
    assert generate(N, seed=7) == document
    assert generate(N, seed=8) != document


def test_the_streaming_writer_writes_the_same_document(tmp_path):
    path = write_catalogue(300, tmp_path / "catalogue.json", seed=3)
    assert json.loads(path.read_text()) == generate(300, seed=3)
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("n", [1, 2, 5, 20])
def test_tiny_catalogues_are_still_valid(n):
    document = generate(n)
    assert len(document["credentials"]) == n
    ids = {c["id"] for c in document["credentials"]}
    providers = {p["id"] for p in document["providers"]}
    for credential in document["credentials"]:
        assert credential_problems(credential, known_ids=ids, known_providers=providers) == []


def test_wallets_are_realistic_and_deterministic(document):
    ids = {c["id"]: c for c in document["credentials"]}
    first = wallet(document, seed=11)
    assert wallet(document, seed=11) == first
    assert wallet(document, seed=12) != first
    assert len(first) == 30
    for entry in first:
        assert entry["credential"] in ids
        earned = dt.date.fromisoformat(entry["earned_on"])
        assert AS_OF - dt.timedelta(days=6 * 366) <= earned <= AS_OF
    # Most of the entries come from one or two providers' stacks.
    providers = [ids[e["credential"]]["provider"] for e in first]
    top_two = sorted((providers.count(p) for p in set(providers)), reverse=True)[:2]
    assert sum(top_two) >= 10
    wallets = [wallet(document, seed=s) for s in range(20)]
    assert any("result" in e for w in wallets for e in w)
